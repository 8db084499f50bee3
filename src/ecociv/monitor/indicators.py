"""The indicators ``ecociv monitor`` knows: their domain, canonical unit, the units accepted (with
the factor to the canonical unit) and the names accepted for them. Light module (no numpy)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: concentration units of air pollutants (µg/m³ canonical except CO in mg/m³, as GB 3095-2012)
_UG = {"ug/m3": 1.0, "µg/m3": 1.0, "μg/m3": 1.0, "ug/m**3": 1.0, "µg/m³": 1.0, "μg/m³": 1.0,
       "mg/m3": 1000.0, "mg/m³": 1000.0, "mg/m**3": 1000.0}
_MG_AIR = {"mg/m3": 1.0, "mg/m³": 1.0, "mg/m**3": 1.0,
           "ug/m3": 0.001, "µg/m3": 0.001, "μg/m3": 0.001, "µg/m³": 0.001, "μg/m³": 0.001}
_MG_L = {"mg/l": 1.0, "mg/L": 1.0, "ug/l": 0.001, "ug/L": 0.001, "µg/L": 0.001, "μg/L": 0.001}
_COUNT_L = {"count/L": 1.0, "个/L": 1.0, "MPN/L": 1.0, "cfu/L": 1.0}
_M = {"m": 1.0, "cm": 0.01}
_KM2 = {"km2": 1.0, "km**2": 1.0, "km²": 1.0, "ha": 0.01, "hm2": 0.01, "m2": 1e-6, "m**2": 1e-6}
_M3 = {"m3": 1.0, "m**3": 1.0, "m³": 1.0, "1e4 m3": 1e4, "万m3": 1e4, "万立方米": 1e4,
       "1e8 m3": 1e8, "亿m3": 1e8, "亿立方米": 1e8, "hundred_million m**3": 1e8}


@dataclass(frozen=True)
class Indicator:
    """One observed quantity.

    Attributes
    ----------
    id : str
        Identifier used in the outputs (GB names where a standard defines them).
    domain : str
        ``air``, ``surface_water``, ``groundwater``, ``lake`` or ``water_use``.
    unit : str
        Canonical unit of the outputs.
    factors : dict
        Accepted unit spellings and the factor that converts them to ``unit``.
    nonnegative : bool
        Whether a negative value is impossible (concentrations, areas, volumes).
    aliases : tuple
        Other names accepted in the ``indicator`` column (case-insensitive).
    """

    id: str
    domain: str
    unit: str
    factors: dict[str, float] = field(default_factory=dict)
    nonnegative: bool = True
    aliases: tuple[str, ...] = ()


def _water(id_: str, *aliases: str, unit: str = "mg/L") -> Indicator:
    return Indicator(id_, "surface_water", unit, _COUNT_L if unit == "count/L" else _MG_L, True, aliases)


INDICATORS: dict[str, Indicator] = {i.id: i for i in [
    Indicator("SO2", "air", "ug/m3", _UG, True, ("二氧化硫",)),
    Indicator("NO2", "air", "ug/m3", _UG, True, ("二氧化氮",)),
    Indicator("PM10", "air", "ug/m3", _UG, True, ("可吸入颗粒物",)),
    Indicator("PM2.5", "air", "ug/m3", _UG, True, ("PM25", "PM2_5", "细颗粒物")),
    Indicator("CO", "air", "mg/m3", _MG_AIR, True, ("一氧化碳",)),
    Indicator("O3", "air", "ug/m3", _UG, True, ("O3_8h", "O3-8h", "臭氧")),
    _water("DO", "溶解氧"), _water("CODMn", "高锰酸盐指数", "permanganate_index"),
    _water("COD", "CODcr", "化学需氧量"), _water("BOD5", "五日生化需氧量"),
    _water("NH3-N", "NH3N", "ammonia_nitrogen", "氨氮"), _water("TP", "总磷"), _water("TN", "总氮"),
    _water("Cu", "铜"), _water("Zn", "锌"), _water("F", "fluoride", "氟化物"), _water("Se", "硒"),
    _water("As", "砷"), _water("Hg", "汞"), _water("Cd", "镉"), _water("Cr6", "Cr(VI)", "六价铬"),
    _water("Pb", "铅"), _water("CN", "cyanide", "氰化物"), _water("phenol", "volatile_phenol", "挥发酚"),
    _water("petroleum", "oil", "石油类"), _water("LAS", "阴离子表面活性剂"), _water("S2", "sulfide", "硫化物"),
    _water("fecal_coliform", "粪大肠菌群", unit="count/L"),
    Indicator("gw_level", "groundwater", "m", _M, False, ("groundwater_level", "地下水位")),
    Indicator("gw_depth", "groundwater", "m", _M, False, ("groundwater_depth", "地下水埋深")),
    Indicator("lake_area", "lake", "km2", _KM2, True, ("湖泊面积",)),
    Indicator("water_use", "water_use", "m3", _M3, True, ("用水总量",)),
    Indicator("groundwater_use", "water_use", "m3", _M3, True, ("地下水开采量",)),
]}

_BY_NAME: dict[str, str] = {}
for _ind in INDICATORS.values():
    for _name in (_ind.id, *_ind.aliases):
        _BY_NAME[_name.lower()] = _ind.id


def resolve(name: str) -> str | None:
    """The indicator id for a name in the ``indicator`` column, or None when unknown."""
    return _BY_NAME.get(name.strip().lower())


def unit_factor(indicator: str, unit: str) -> float | None:
    """Factor converting ``unit`` to the indicator's canonical unit, or None when not accepted."""
    text = unit.strip()
    factors = INDICATORS[indicator].factors
    if text in factors:
        return factors[text]
    lowered = {k.lower().replace(" ", ""): v for k, v in factors.items()}
    return lowered.get(text.lower().replace(" ", ""))
