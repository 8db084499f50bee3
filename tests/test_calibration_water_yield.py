"""water_yield's optional per-cell seasonality factor (``seasonality_z_map``), the input through
which a calibration's Z per basin reaches the model."""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.models.water_yield import kernels
from ecociv.models.water_yield.model import MODEL, run
from tests.models.test_water_yield import HAND_YIELD, _grid, _hand_inputs


def _z_map(values: np.ndarray):
    return from_array(values, _grid(values.shape), name="seasonality_z_map", units="")


def test_uniform_z_map_equals_the_scalar():
    shape = HAND_YIELD.shape
    out = run(_hand_inputs(seasonality_z_map=_z_map(np.full(shape, 5.0))))
    np.testing.assert_allclose(out["water_yield"].values, HAND_YIELD, rtol=1e-12)


def test_z_map_changes_only_its_cells_and_nan_falls_back_to_the_scalar():
    inputs = _hand_inputs()
    shape = HAND_YIELD.shape
    z = np.full(shape, np.nan)
    z[0, 0] = 20.0
    out = run({**inputs, "seasonality_z_map": _z_map(z)})["water_yield"].values
    keep = np.ones(shape, dtype=bool)
    keep[0, 0] = False
    np.testing.assert_allclose(out[keep], HAND_YIELD[keep], rtol=1e-12)
    # the changed cell is the kernel with Z = 20 on that cell's inputs
    expected = run({**inputs, "seasonality_z": 20.0})["water_yield"].values[0, 0]
    assert out[0, 0] == pytest.approx(expected, rel=1e-12)
    assert out[0, 0] < 0.7 * HAND_YIELD[0, 0]  # forest cell: 500 mm/yr at Z = 5, 313 at Z = 20


def test_kernel_takes_z_per_cell():
    p = np.array([300.0, 300.0])
    fraction = kernels.aet_fraction(p, [900.0, 900.0], [0.8, 0.8], [1, 1], [1000.0, 1000.0],
                                    [1000.0, 1000.0], [0.1, 0.1], np.array([2.0, 10.0]))
    one = kernels.aet_fraction(p[:1], [900.0], [0.8], [1], [1000.0], [1000.0], [0.1], 10.0)
    assert fraction[1] == pytest.approx(one[0], rel=1e-12)
    assert fraction[0] < fraction[1]  # larger Z, larger omega, more evapotranspiration


def test_negative_z_map_is_rejected(tmp_path):
    from ecociv.execute import run_in_memory

    z = np.full(HAND_YIELD.shape, 5.0)
    z[1, 1] = -1.0
    with pytest.raises(InputError, match="seasonality_z_map"):
        run_in_memory(MODEL, _hand_inputs(seasonality_z_map=_z_map(z)), tmp_path / "out")
