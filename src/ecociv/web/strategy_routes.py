"""Routes: the shipped strategy scenarios with their levers (presets of the dashboard's lever
editor), and a scenario of one's own made from one of them, runnable as it is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from ecociv.web.auth import User
from ecociv.web.deps import State, current_user, role, state

router = APIRouter()


@router.get("/strategies", tags=["scenarios"])
def strategies(_: User = Depends(current_user), st: State = Depends(state)) -> list[dict[str, Any]]:
    """The shipped strategies (baseline first): id, titles (English, Chinese), the scenario's
    name and description, and its ``levers`` by lever group."""
    if "strategies" not in st.cache:
        import yaml

        from ecociv.strategies.catalog import STRATEGIES

        rows = []
        for item in STRATEGIES:
            data = yaml.safe_load(item.path.read_text(encoding="utf-8")) or {}
            rows.append({"id": item.id, "title": item.title, "title_zh": item.title_zh,
                         "name": data.get("name"), "description": data.get("description"),
                         "levers": data.get("levers") or {}})
        st.cache["strategies"] = rows
    return st.cache["strategies"]


@router.post("/strategies/{strategy_id}/scenario", tags=["scenarios"], status_code=201)
def scenario_from_strategy(strategy_id: str, user: User = Depends(role("planner")),
                           st: State = Depends(state)) -> dict[str, Any]:
    """A private scenario of the caller with the shipped strategy file's text (``BAU``, ``S1`` …
    ``S6``, ``COMBINED``, any case): it names the shipped files (the Belt water network …) as
    read-only resources, so it validates and runs as it is; edit its levers like any other."""
    from ecociv.strategies.catalog import STRATEGIES
    from ecociv.web.routes import ScenarioText, create_scenario

    strategy = next((s for s in STRATEGIES if s.id.lower() == strategy_id.lower()), None)
    if strategy is None:
        raise HTTPException(404, f"no strategy {strategy_id!r}; the shipped ones are "
                            f"{', '.join(s.id for s in STRATEGIES)}")
    text = strategy.path.read_text(encoding="utf-8")
    return {**create_scenario(ScenarioText(yaml=text), user, st), "strategy": strategy.id}
