"""``grid.compact.lazy_map``: a whole-grid array handed to the writer chunk by chunk is not copied
(``da.from_array`` copies a NumPy array whole first, which doubled a model's memory at the end of
a run), and the chunks give the values of ``func`` on the whole array."""

from __future__ import annotations

import numpy as np
import rioxarray  # noqa: F401  (the .rio accessor lazy_map writes the CRS with)
from affine import Affine

from ecociv.grid.compact import lazy_map
from ecociv.grid.spec import CHINA_ALBERS, GridSpec


def _double(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64) * 2.0


def test_lazy_map_chunks_are_views_and_values_are_func_of_the_whole_array() -> None:
    # 10 × 7 cells in chunks of 4 × 3: func over the chunks equals func over the whole array
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (10, 7))
    values = np.arange(70, dtype=np.float32).reshape(10, 7)
    raster = lazy_map(_double, (values,), grid, name="doubled", units="")
    rechunked = raster.data.rechunk(((4, 4, 2), (3, 3, 1)))
    np.testing.assert_array_equal(rechunked.compute(), values.astype(np.float64) * 2.0)
    # the source blocks of the graph are views of the array, not of a copy of it
    graph = dict(raster.data.__dask_graph__())
    sources = [v for v in graph.values() if isinstance(v, np.ndarray)]
    assert sources and all(np.shares_memory(v, values) for v in sources)
    assert sum(v.size for v in sources) == values.size
