"""The shipped strategy scenarios: business as usual, the six strategies and their combination."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from ecociv.errors import InputError


@dataclass(frozen=True)
class Strategy:
    """One shipped strategy scenario."""

    id: str
    file: str
    title: str
    title_zh: str

    @property
    def path(self) -> Path:
        """Path of the scenario file inside the installed package."""
        with as_file(files("ecociv") / "data" / "strategies" / self.file) as path:
            return Path(path)


#: in run order: the baseline first (the others are compared with it)
STRATEGIES: tuple[Strategy, ...] = (
    Strategy("BAU", "bau.yaml", "business as usual", "基准情景"),
    Strategy("S1", "s1_land_pattern.yaml", "land spatial pattern optimisation", "国土空间格局优化"),
    Strategy("S2", "s2_water_land.yaml", "water and land resources allocation", "水土资源优化配置"),
    Strategy("S3", "s3_green_industry.yaml", "green industrial development", "绿色产业发展"),
    Strategy("S4", "s4_eco_protection.yaml", "eco-environment protection priority", "生态环境保护优先"),
    Strategy("S5", "s5_institutions.yaml", "institutional reform", "体制机制改革"),
    Strategy("S6", "s6_westward_opening.yaml", "westward opening", "向西开放"),
    Strategy("COMBINED", "combined.yaml", "all six strategies combined", "综合情景"),
)

BASELINE = "BAU"


def select(only: str | None) -> list[Strategy]:
    """The strategies named in ``only`` (comma-separated ids, any case, e.g. ``"S1,S4"``), always
    with the baseline first; all of them when ``only`` is empty.

    Raises
    ------
    InputError
        An id that is not a shipped strategy (the valid ids are listed).
    """
    if not only or not only.strip():
        return list(STRATEGIES)
    known = {s.id: s for s in STRATEGIES}
    wanted = [part.strip().upper() for part in only.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InputError(f"--only: unknown strategy {', '.join(repr(u) for u in unknown)}; "
                         f"expected ids from {', '.join(known)}")
    chosen = {BASELINE, *wanted}
    return [s for s in STRATEGIES if s.id in chosen]


def parse_years(text: str | None) -> list[int] | None:
    """``"2025,2030,2035"`` as a sorted list of years (``None`` when not given).

    Raises
    ------
    InputError
        A part that is not a year between 2020 and 2100.
    """
    if text is None or not text.strip():
        return None
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 2020 <= int(part) <= 2100:
            raise InputError(f"--years: {part!r} is not a year between 2020 and 2100 "
                             "(expected e.g. 2025,2030,2035)")
        years.append(int(part))
    return sorted(set(years))
