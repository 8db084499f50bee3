"""Route: the shipped strategy scenarios with their levers (presets of the dashboard's lever
editor)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ecociv.web.auth import User
from ecociv.web.deps import State, current_user, state

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
