"""Carrying-state grades (资源环境承载能力: 超载 overloaded / 临界超载 near-overload / 不超载 not
overloaded) from pressure ratios, and alert levels. The indicators follow the 2016 national
method (Fan, Zhou and Wang 2017, Progress in Geography 36(3):266-276, Table 1); the cut-offs in
standards_carrying_thresholds.csv are marked ``illustrative`` (not read in a source) and can be
changed there. The alert levels combine the grade with the direction of the pressure (the
scheme of the 2016 method as recalled, marked uncertain): overloaded and worsening (or of
unknown trend) red, overloaded and easing orange, near-overload and worsening (or unknown)
yellow, near-overload and easing blue; not overloaded: no alert."""

from __future__ import annotations

from typing import Any

STATES = ("not_overloaded", "near_overload", "overloaded")
STATES_ZH = {"not_overloaded": "不超载", "near_overload": "临界超载", "overloaded": "超载"}
ELEMENT = {"water_use": "water_resources", "groundwater": "water_resources", "air": "environment",
           "surface_water": "environment", "lake_area": "ecology"}


def grade(ratio: Any, threshold: dict[str, Any]) -> Any:
    """Grade index 0/1/2 (not / near / overloaded) of pressure ratios (array-like).

    ``threshold`` has ``overloaded_at``, ``overloaded_rule`` (``ge``: overloaded at the cut-off,
    ``gt``: only above it) and ``near_at``. NaN ratios grade 0."""
    import numpy as np

    r = np.asarray(ratio, dtype=float)
    cut = float(threshold["overloaded_at"])
    over = r >= cut if threshold["overloaded_rule"] == "ge" else r > cut
    near = r >= float(threshold["near_at"])
    return np.where(over, 2, np.where(near, 1, 0))


def level(state: str, worsening: bool | None) -> str:
    """Alert level of a graded check (``""`` when not overloaded)."""
    rising = worsening is None or worsening
    if state == "overloaded":
        return "red" if rising else "orange"
    if state == "near_overload":
        return "yellow" if rising else "blue"
    return ""
