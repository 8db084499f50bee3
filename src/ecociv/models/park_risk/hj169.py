r"""The classification tables of HJ 169-2018 (建设项目环境风险评价技术导则, Technical guidelines for
environmental risk assessment on projects, Ministry of Ecology and Environment, 2018), as used here.

Tables, and how each was checked (the standard's text itself could not be opened here):

- Q classes (C.1.1): Q < 1 → potential I directly; 1 ≤ Q < 10; 10 ≤ Q < 100; Q ≥ 100.
- M scores (Table C.1) and classes: M > 20 → M1; 10 < M ≤ 20 → M2; 5 < M ≤ 10 → M3; M = 5 → M4.
- P (Table C.2), rows Q ≥ 100 / 10 ≤ Q < 100 / 1 ≤ Q < 10, columns M1..M4:
  P1 P1 P2 P3 / P1 P2 P3 P4 / P2 P3 P4 P4.
- Air sensitivity (Table D.1): E1 population within 5 km > 50,000 or within 500 m > 1,000; E2 within
  5 km > 10,000 (up to 50,000) or within 500 m > 500 (up to 1,000); E3 otherwise.
- Risk potential (Table 2), rows E1..E3, columns P1..P4: IV+ IV III III / IV III III II / III III II I.
- Assessment level (Table 1): IV+, IV → level 1; III → level 2; II → level 3; I → simple analysis.

These were compared with a transcription of the standard's tables in a public repository
(``判据库数字化 (5)：HJ 169-2018 环境风险判据`` with the official URL
https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/other/pjjsdz/201810/t20181024_665360.shtml) and with the
calculation core of a public HJ 169 calculator (``hj169calc.py``, tables C.2, D.2, D.5, D.7 and 2)
and its self-test case (Q = 11.75, M3 → P3; E1/E3/E3 → III/II/II):

- Surface water (Table D.2), rows S1..S3, columns F1..F3: E1 E1 E2 / E1 E2 E3 / E1 E2 E3, and
- groundwater (Table D.5), rows D1..D3, columns G1..G3: E1 E1 E2 / E1 E2 E3 / E2 E3 E3;
- vadose zone (Table D.7, used to justify the default D1, not computed): D3 when a layer at least
  1.0 m thick with K ≤ 1e-6 cm/s is continuous; D2 when 0.5-1.0 m with K ≤ 1e-6 cm/s, or at least
  1.0 m with 1e-6 < K ≤ 1e-4 cm/s; D1 otherwise (e.g. piedmont gravels, K far above 1e-4 cm/s).

Both are secondary copies: the standard's text itself could not be opened here.
"""

from __future__ import annotations

import math

#: M score per unit (套) of a process category of Table C.1; keys are the ids used in tables
M_SCORES: dict[str, float] = {
    # 光气及光气化、电解（氯碱）、氯化、硝化、合成氨、裂解（裂化）、氟化、加氢、重氮化、氧化、过氧化、
    # 胺基化、磺化、聚合、烷基化、新型煤化工、电石生产、偶氮化工艺
    "hazardous_process": 10.0,
    # 无机酸制酸工艺、焦化工艺
    "acid_or_coking": 5.0,
    # 其他高温（≥300 ℃）或高压（≥10 MPa）且涉及危险物质的工艺过程、危险物质贮存罐区
    "high_temperature_pressure_or_tank_farm": 5.0,
    # 涉及危险物质管道运输项目、港口/码头
    "pipeline_or_port": 10.0,
    # 石油、天然气、页岩气开采（含净化），气库，油库，油气管线
    "oil_gas": 10.0,
    # 其他：涉及危险物质使用、贮存的项目
    "other_storage_or_use": 5.0,
}

P_TABLE: dict[str, tuple[str, str, str, str]] = {  # Q class -> P for M1..M4 (Table C.2)
    "Q3": ("P1", "P1", "P2", "P3"),
    "Q2": ("P1", "P2", "P3", "P4"),
    "Q1": ("P2", "P3", "P4", "P4"),
}

POTENTIAL_TABLE: dict[str, tuple[str, str, str, str]] = {  # E -> potential for P1..P4 (Table 2)
    "E1": ("IV+", "IV", "III", "III"),
    "E2": ("IV", "III", "III", "II"),
    "E3": ("III", "III", "II", "I"),
}

SURFACE_TABLE: dict[str, tuple[str, str, str]] = {  # S -> E for F1..F3 (Table D.2)
    "S1": ("E1", "E1", "E2"),
    "S2": ("E1", "E2", "E3"),
    "S3": ("E1", "E2", "E3"),
}

GROUNDWATER_TABLE: dict[str, tuple[str, str, str]] = {  # D -> E for G1..G3 (Table D.5)
    "D1": ("E1", "E1", "E2"),
    "D2": ("E1", "E2", "E3"),
    "D3": ("E2", "E3", "E3"),
}

LEVELS = {"IV+": "level 1", "IV": "level 1", "III": "level 2", "II": "level 3", "I": "simple analysis"}

#: order of the potentials, lowest first
POTENTIAL_ORDER = ("I", "II", "III", "IV", "IV+")


def q_class(q: float) -> str:
    """Class of the quantity ratio Q (C.1.1): ``Q0`` (Q < 1), ``Q1`` (1 ≤ Q < 10), ``Q2``
    (10 ≤ Q < 100), ``Q3`` (Q ≥ 100)."""
    if not math.isfinite(q) or q < 0:
        raise ValueError(f"Q must be a finite number >= 0, got {q}")
    if q < 1:
        return "Q0"
    if q < 10:
        return "Q1"
    if q < 100:
        return "Q2"
    return "Q3"


def m_class(score: float) -> str:
    """Class of the process score M (C.1.2): M1 (M > 20), M2 (10 < M ≤ 20), M3 (5 < M ≤ 10), M4
    (M = 5; a park listing no process, M < 5, is also put in M4 here: the standard defines no class
    below 5)."""
    if not math.isfinite(score) or score < 0:
        raise ValueError(f"M must be a finite number >= 0, got {score}")
    if score > 20:
        return "M1"
    if score > 10:
        return "M2"
    if score > 5:
        return "M3"
    return "M4"


def p_class(q_cls: str, m_cls: str) -> str | None:
    """Hazard class P from Table C.2 (None for Q0: the potential is I whatever P)."""
    if q_cls == "Q0":
        return None
    return P_TABLE[q_cls][int(m_cls[1]) - 1]


def air_sensitivity(population_5km: float, population_500m: float) -> str:
    """Air sensitivity E from Table D.1: the more sensitive of the 5 km and the 500 m criterion.

    "More than 50,000" is read strictly: 50,000 persons within 5 km is E2, 10,000 is E3; within
    500 m, 1,000 is E2 and 500 is E3.
    """
    if population_5km > 50_000 or population_500m > 1_000:
        return "E1"
    if population_5km > 10_000 or population_500m > 500:
        return "E2"
    return "E3"


def surface_sensitivity(f_cls: str, s_cls: str) -> str:
    """Surface-water sensitivity E from Table D.2 (function class F1..F3, targets S1..S3)."""
    return SURFACE_TABLE[s_cls][int(f_cls[1]) - 1]


def groundwater_sensitivity(g_cls: str, d_cls: str) -> str:
    """Groundwater sensitivity E from Table D.5 (function class G1..G3, vadose zone D1..D3)."""
    return GROUNDWATER_TABLE[d_cls][int(g_cls[1]) - 1]


def risk_potential(q_cls: str, p_cls: str | None, e_cls: str) -> str:
    """Risk potential (Table 2); I when Q < 1."""
    if q_cls == "Q0" or p_cls is None:
        return "I"
    return POTENTIAL_TABLE[e_cls][int(p_cls[1]) - 1]


def highest(potentials: list[str]) -> str:
    """The highest of several potentials (the project's potential is its media's highest)."""
    return max(potentials, key=POTENTIAL_ORDER.index)
