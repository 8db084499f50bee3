"""Run InVEST's Annual Water Yield on a folder made by ``make_awy_inputs.py``.

Runs under a Python that has ``natcap.invest`` (not the project's venv), as one process, so
``bench_water_yield.py`` can time it exactly like ``ecociv model run``::

    INVEST_PYTHON benchmarks/invest_awy_runner.py INPUTS_DIR WORKSPACE [--n-workers -1]

The workspace must not exist: InVEST's taskgraph skips tasks whose outputs are in its cache,
so a reused workspace would time nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", type=Path)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--n-workers", type=int, default=-1,
                        help="InVEST n_workers: -1 = synchronous in this process (InVEST's default)")
    parser.add_argument("--z", type=float, default=None, help="seasonality constant (default: metadata)")
    args = parser.parse_args(argv)
    if args.workspace.exists():
        parser.error(f"{args.workspace} exists; InVEST's task cache would skip the work")
    meta = json.loads((args.inputs / "metadata.json").read_text())
    files = {k: str((args.inputs / v).resolve()) for k, v in meta["files"].items()}
    logging.basicConfig(level=logging.WARNING)

    from natcap.invest import annual_water_yield

    invest_args = {
        "workspace_dir": str(args.workspace),
        "results_suffix": "",
        "lulc_path": files["land_use"],
        "depth_to_root_rest_layer_path": files["root_restricting_depth"],
        "precipitation_path": files["precipitation"],
        "pawc_path": files["plant_available_water"],
        "eto_path": files["et0"],
        "watersheds_path": files["watersheds"],
        "sub_watersheds_path": "",
        "biophysical_table_path": files["biophysical_table"],
        "seasonality_constant": args.z if args.z is not None else meta["seasonality_z"],
        "demand_table_path": "",
        "valuation_table_path": "",
        "n_workers": args.n_workers,
    }
    annual_water_yield.execute(invest_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
