"""The Belt's default dataset against facts anyone can look up. Each check names its source and
allows for what the data are: a 1/12° (about 9 km) DEM resampled to 1 km, ERA5 reanalysis
normals at 0.25°, MODIS land cover at 0.05°."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer

from ecociv.grid.spec import CHINA_ALBERS
from ecociv.grid.zonal import zonal_statistics
from ecociv.region.dataset import load_dataset
from ecociv.region.units import read_units_table

DATASET = load_dataset()
TO_ALBERS = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)

# place: (longitude °E, latitude °N) of the city centre or lake centre
PLACES = {
    "Turpan": (89.18, 42.95),
    "Urumqi": (87.62, 43.83),
    "Ebinur Lake": (83.0, 44.883),  # Wikipedia "Ebi Lake": 44°53'N 83°00'E
    "Sayram Lake": (81.2, 44.6),  # Wikipedia "Sayram Lake": 44°36'N 81°12'E
    "Aydingkol Lake": (89.27, 42.6575),  # Wikipedia "Aydingkol Lake": 42°39'27"N 89°16'14"E
    "Bogda Peak": (88.29, 43.8),  # Wikipedia "Bogda Peak": 43°48'N 88°17'E
}


def _value_at(layer: str, place: str) -> float:
    x, y = TO_ALBERS.transform(*PLACES[place])
    with rasterio.open(DATASET.layer(layer).path) as src:
        row, col = src.index(x, y)
        return float(src.read(1, masked=True)[row, col])


def _unit_areas_km2() -> pd.Series:
    units = read_units_table(DATASET.layer("units_table").path, DATASET.layer("units").source)
    units = units.to_crs(DATASET.grid.crs)
    ones = np.ones(DATASET.grid.shape)
    stats = zonal_statistics({"one": ones}, list(units.geometry), DATASET.grid, names=list(units["adcode"]))
    return stats.set_index("zone")["area_m2"].groupby(units.set_index("adcode")["prefecture_adcode"]).sum() / 1e6


def test_prefecture_areas() -> None:
    areas = _unit_areas_km2()
    # Ürümqi: 13,788 km² (Wikipedia "Ürümqi", infobox, prefecture-level city)
    assert areas["650100"] == pytest.approx(13_788, rel=0.02)
    # Changji Prefecture: 73,500 km² (reported_statistics.csv, Baidu Baike 2023; all 7 counties in the Belt)
    assert areas["652300"] == pytest.approx(73_500, rel=0.02)
    # Turpan: 69,759 km² (Wikipedia "Turpan", infobox; all three county-level units are members)
    assert areas["650400"] == pytest.approx(69_759, rel=0.02)


@pytest.mark.parametrize(
    ("place", "low", "high", "fact"),
    [
        # Turpan city lies at about 30 m in the Turpan Depression (Wikipedia "Turpan": elevation 30 m)
        ("Turpan", -160, 300, 30),
        # Ebinur Lake surface at 189 m (Wikipedia "Ebi Lake": surface elevation 189 m)
        ("Ebinur Lake", 100, 400, 189),
        # Ürümqi at about 800 m (Wikipedia "Ürümqi": elevation 800 m); a 9 km DEM cell averages the
        # city with the rising Tianshan foothills south of it
        ("Urumqi", 500, 1300, 800),
        # Sayram Lake surface at 2,071 m (Wikipedia "Sayram Lake": surface elevation 2,071 m)
        ("Sayram Lake", 1800, 2400, 2071),
        # Aydingkol Lake at −154 m, the lowest point of China (Wikipedia "Aydingkol Lake")
        ("Aydingkol Lake", -200, 100, -154),
    ],
)
def test_spot_elevations(place: str, low: float, high: float, fact: float) -> None:
    value = _value_at("dem", place)
    assert low <= value <= high, f"{place}: DEM {value} m, published {fact} m"


def test_tianshan_peaks_are_high_even_when_smoothed() -> None:
    # Bogda Peak, 5,445 m (Wikipedia "Bogda Peak"); a 9 km cell average is well below, but high
    assert _value_at("dem", "Bogda Peak") > 2500


def test_precipitation_orders_of_magnitude() -> None:
    urumqi = _value_at("precipitation_annual", "Urumqi")
    turpan = _value_at("precipitation_annual", "Turpan")
    # station normals: Ürümqi about 290 mm/yr, Turpan about 15 mm/yr (Wikipedia climate tables of
    # "Ürümqi" and "Turpan", China Meteorological Administration normals); ERA5 is known to be wet
    # over dry basins, so only the order of magnitude and the contrast are checked
    assert 150 <= urumqi <= 600
    assert turpan < 100
    assert urumqi > 3 * turpan


def test_ebinur_and_sayram_are_water() -> None:
    classes = DATASET.layer("land_use").extra["classes"]
    water = next(code for code, name in classes.items() if name == "water")
    assert _value_at("land_use", "Ebinur Lake") == water
    assert _value_at("land_use", "Sayram Lake") == water
    lakes = __import__("geopandas").read_file(DATASET.layer("lakes").path)
    named = set(lakes["name_en"].dropna())
    assert {"Ebinur Lake", "Sayram Lake"} <= named


def test_census_population_of_urumqi() -> None:
    # 2020 census: Ürümqi 4,054,369 residents (Xinjiang 7th census bulletin, via the census dataset)
    census = pd.read_csv(DATASET.layer("census_2020").path, dtype={"adcode": str}).set_index("adcode")
    assert census.loc["650100", "population_total"] == 4_054_369
    counties = pd.read_csv(DATASET.layer("units_table").path, dtype={"adcode": str, "prefecture_adcode": str})
    urumqi = counties.loc[counties["prefecture_adcode"] == "650100", "adcode"]
    assert census.loc[census.index.intersection(urumqi), "population_total"].sum() == pytest.approx(4_054_369, rel=0.01)
