"""The shipped real series that ``green_indicators`` runs on (its example): Xinjiang's CO2 and GDP.

* CO2, county series: Chen J. et al. (2020), County-level CO2 emissions and sequestration in China
  during 1997–2017, Scientific Data 7: 391 (``data/belt/co2_county.csv``, Mt/yr), summed over the
  Xinjiang counties it holds (the Corps cities it lists included).
* CO2, provincial inventory: CEADs (Guan D. et al. 2021, Earth's Future 9: e2021EF002241), t/yr.
* GDP: reported current-price figures, 10^8 yuan (``data/industry/indicator_series.csv``; its
  ``indicator_series_sources.csv`` names each document); China's GDP deflator for constant prices.
* Population: year-end resident population, 10^4 persons (China Statistical Yearbook).

No GDP series of the Belt's prefectures for 1997–2017 was found, so the prefectures have CO2 only
(:func:`prefecture_co2`).
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

XINJIANG = "650000"
CHINA = "100000"
T_PER_MT = 1e6


def _data(*parts: str) -> str:
    return str(files("ecociv").joinpath("data", *parts))


def indicator_series() -> pd.DataFrame:
    """The long table ``indicator_series.csv`` (unit, name, year, indicator, value, units, status,
    source, note)."""
    return pd.read_csv(_data("industry", "indicator_series.csv"), dtype={"unit": str})


def county_co2() -> pd.DataFrame:
    """County CO2 1997–2017 (Chen et al. 2020) in long form: adcode, year, co2_t (t/yr), in_belt."""
    wide = pd.read_csv(_data("belt", "co2_county.csv"), dtype={"adcode": str})
    years = [c for c in wide.columns if c.startswith("co2_")]
    long = wide.melt(id_vars=["adcode", "in_belt"], value_vars=years, var_name="year", value_name="co2_mt")
    long["year"] = long["year"].str[4:].astype(int)
    long["co2_t"] = long["co2_mt"] * T_PER_MT
    return long[["adcode", "year", "co2_t", "in_belt"]]


def prefecture_of(adcode: str) -> str:
    """Prefecture-level unit of a county adcode: its first 4 digits + '00'; Corps cities (6590xx)
    are their own unit."""
    return adcode if adcode.startswith("6590") else adcode[:4] + "00"


def prefecture_co2(belt_only: bool = True) -> pd.DataFrame:
    """CO2 per prefecture-level unit and year (t/yr), summed from the county series."""
    long = county_co2()
    if belt_only:
        long = long[long["in_belt"].astype(bool)]
    long = long.assign(unit=long["adcode"].map(prefecture_of))
    return long.groupby(["unit", "year"], as_index=False)["co2_t"].sum()


def xinjiang_co2(source: str = "county") -> pd.Series:
    """Xinjiang CO2 per year (t/yr): ``county`` = sum of the county series (1997–2017), ``ceads``
    = the CEADs provincial inventory (1998–2017)."""
    if source == "county":
        return county_co2().groupby("year")["co2_t"].sum()
    if source == "ceads":
        series = indicator_series()
        rows = series[(series["unit"] == XINJIANG) & (series["indicator"] == "co2_ceads")]
        return rows.set_index("year")["value"].astype(float)
    raise ValueError(f"unknown CO2 source {source!r}; expected 'county' or 'ceads'")


def _indicator(unit: str, indicator: str) -> pd.Series:
    series = indicator_series()
    rows = series[(series["unit"] == unit) & (series["indicator"] == indicator)]
    return rows.set_index("year")["value"].astype(float).sort_index()


def xinjiang_gdp(prices: str = "current") -> pd.Series:
    """Xinjiang GDP per year (1997–2017), 10^8 yuan: ``current`` prices as reported, or
    ``constant_2015`` = current / (China's GDP deflator / 100), 2015 = 100 (an approximation: the
    national deflator, no Xinjiang deflator with a source was found)."""
    gdp = _indicator(XINJIANG, "gdp")
    if prices == "current":
        return gdp
    if prices == "constant_2015":
        deflator = _indicator(CHINA, "gdp_deflator")
        years = [y for y in gdp.index if y in deflator.index]
        return gdp[years] / (deflator[years] / 100.0)
    raise ValueError(f"unknown prices {prices!r}; expected 'current' or 'constant_2015'")


def xinjiang_population() -> pd.Series:
    """Xinjiang year-end resident population, 10^4 persons (2000–2017, China Statistical Yearbook)."""
    return _indicator(XINJIANG, "population")


def xinjiang_water_use() -> pd.Series:
    """Xinjiang total water supply (= use) per year, 10^8 m³/yr, from the Belt dataset's
    ``reported_statistics.csv`` (the years it holds: 2014, water resources bulletin)."""
    table = pd.read_csv(_data("belt", "reported_statistics.csv"), dtype={"adcode": str})
    rows = table[(table["adcode"] == XINJIANG) & (table["indicator"] == "total water supply")
                 & (table["unit_of_measure"] == "1e8 m3")]
    return rows.assign(year=rows["year"].astype(int)).set_index("year")["value"].astype(float)


def xinjiang_accounts(source: str = "county", prices: str = "current") -> pd.DataFrame:
    """Accounts table of Xinjiang for ``green_indicators``: unit, year, value_added (10^8 yuan,
    ``prices`` as :func:`xinjiang_gdp`), co2_t (t/yr, ``source`` as :func:`xinjiang_co2`),
    water_use (10^8 m³/yr, where reported), for the years with GDP and CO2."""
    co2 = xinjiang_co2(source)
    gdp = xinjiang_gdp(prices)
    water = xinjiang_water_use()
    years = sorted(set(co2.index) & set(gdp.index))
    return pd.DataFrame({"unit": XINJIANG, "year": years, "value_added": [gdp[y] for y in years],
                         "co2_t": [float(co2[y]) for y in years],
                         "water_use": [float(water[y]) if y in water.index else float("nan") for y in years]})


def xinjiang_population_table() -> pd.DataFrame:
    """The ``unit_population`` table of ``green_indicators`` for Xinjiang: unit, year, population
    (10^4 persons)."""
    population = xinjiang_population()
    return pd.DataFrame({"unit": XINJIANG, "year": population.index.astype(int),
                         "population": population.to_numpy()})
