"""The README's Python API examples run as written (blocks marked
``<!-- readme-example: ... -->``), so the documentation cannot drift from the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- readme-example: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)\n```",
                   re.S)


def examples() -> dict[str, str]:
    return {m["name"]: m["code"] for m in BLOCK.finditer(README.read_text(encoding="utf-8"))}


def test_the_readme_has_the_python_api_examples() -> None:
    assert {"python-api", "python-api-scenario"} <= set(examples())


@pytest.mark.parametrize("name", ["python-api", "python-api-scenario"])
def test_readme_example_runs(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(examples()[name], f"README.md:{name}", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    if name == "python-api":
        assert (tmp_path / "water_yield_run" / "water_yield.tif").exists()
        assert (tmp_path / "water_yield_run" / "manifest.json").exists()
        assert "converted from meter / year to mm/yr" in printed
        assert ("input 'precipitation' (in memory): cell (row 1, col 1): value -5 mm/yr below"
                in printed)
    else:
        runs = list((tmp_path / "ecociv-runs" / "runs").iterdir())
        assert len(runs) == 1 and (runs[0] / "water_yield" / "water_yield.tif").exists()
