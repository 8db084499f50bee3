"""After the build: calibrate water_yield against gauged runoff with the project's interpreter.

The build itself runs in a throwaway environment without ecociv's dependencies; this step runs
``ecociv calibrate --dataset <out>`` with the interpreter that started the build (the project's
venv), which writes the calibrated layers (``precipitation_annual_calibrated``,
``seasonality_z``, status ``calibrated``), ``calibration/`` (parameters, before/after per gauge,
held-out test, report) and ``reference/gauges.csv`` into the freshly built folder. The gauge
table is ``src/ecociv/data/calibration/belt_gauges.csv``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def calibrate_dataset(out: Path, repo: Path) -> int:
    """Run ``ecociv calibrate`` on the built dataset; the exit code (0 = calibrated)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(repo / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    argv = [sys.executable, "-m", "ecociv.cli.main", "calibrate", "--dataset", str(out)]
    print(f"[calibrate] {' '.join(argv[1:])}", flush=True)
    code = subprocess.run(argv, env=env).returncode
    if code != 0:
        print("[calibrate] failed: the dataset is built but not calibrated; the baseline scenario "
              "needs the calibrated layers (run the command above with the project's Python)",
              flush=True)
    return code
