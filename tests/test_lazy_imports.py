"""``ecociv.lazy``: opening a raster does not import pint, and xarray still recognises pint
quantities once pint is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import xarray as xr
    from ecociv.lazy import xarray_checks_pint_lazily
    replaced = xarray_checks_pint_lazily()
    # coordinates become a pandas index: xarray asks whether they are pint quantities
    xr.DataArray(np.zeros((2, 3)), coords={"y": [0.5, 1.5], "x": [0.5, 1.5, 2.5]}, dims=("y", "x"))
    before = "pint" in sys.modules
    import pint
    from xarray.namedarray.pycompat import array_type
    quantity = pint.UnitRegistry().Quantity(np.arange(3.0), "m")
    wrapped = xr.DataArray(quantity, dims="x")
    print(json.dumps({"replaced": replaced, "pint_before": before,
                      "types": array_type("pint") == (pint.Quantity,),
                      "kept": isinstance(wrapped.data, pint.Quantity),
                      "again": xarray_checks_pint_lazily()}))
""")


def test_pint_is_not_imported_until_used_and_then_recognised() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"replaced": True, "pint_before": False, "types": True, "kept": True,
                     "again": False}
