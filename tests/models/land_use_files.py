"""land_use_change's example inputs written as files, for tests that run it in a scenario (not a
test module)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio


def write_example_inputs(folder: Path) -> None:
    """``land_use.tif``, ``land_use_previous.tif`` (class maps, nodata 255), ``dem.tif`` and
    ``classes.csv`` of ``land_use_change``'s example (30 × 30 cells) in ``folder``."""
    from ecociv.models.land_use_change.model import MODEL

    example = MODEL.example()
    for name in ("land_use", "land_use_previous", "dem"):
        data = example[name]
        values = np.nan_to_num(data.values, nan=255) if name != "dem" else data.values
        with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=30, height=30,
                           count=1, dtype="float32", crs=data.rio.crs,
                           transform=data.rio.transform(),
                           nodata=255 if name != "dem" else None) as dst:
            dst.write(values.astype("float32"), 1)
    example["classes"].to_csv(folder / "classes.csv", index=False)
