"""Writing table and vector outputs (rasters are written by ``ecociv.grid.write``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.errors import OutputError
from ecociv.io.table_files import write_table
from ecociv.spec import TableOutput, VectorOutput

PARQUET_ROWS = 100_000


def write_other(output: Any, value: Any, folder: Path) -> dict[str, Any]:
    if isinstance(output, TableOutput):
        if not isinstance(value, pd.DataFrame):
            raise OutputError(f"output '{output.id}' should be a table, got {type(value).__name__}")
        missing = [c.id for c in output.columns if c.required and c.id not in value.columns]
        if missing:
            raise OutputError(f"table output '{output.id}' lacks declared column(s) {missing}")
        write_table(value, folder / f"{output.id}.csv")
        meta = {"type": "table", "path": f"{output.id}.csv", "rows": len(value),
                "units": {c.id: c.units for c in output.columns}}
        if len(value) > PARQUET_ROWS:
            value.to_parquet(folder / f"{output.id}.parquet", index=False)
            meta["parquet"] = f"{output.id}.parquet"
        return meta
    if isinstance(output, VectorOutput):
        value.to_file(folder / f"{output.id}.gpkg", driver="GPKG", layer=output.id, engine="pyogrio")
        return {"type": "vector", "path": f"{output.id}.gpkg", "features": len(value),
                "units": {c.id: c.units for c in output.fields}}
    raise OutputError(f"cannot write output '{output.id}' of type {type(output).__name__}")
