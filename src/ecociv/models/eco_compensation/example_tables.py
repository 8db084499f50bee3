"""The packaged Xie et al. (2015) equivalents and Belt class mapping as DataFrames (for examples,
tests and notebooks); the files are data/institutions/esv_equivalents.csv and
esv_class_mapping.csv."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd


def _read(name: str) -> pd.DataFrame:
    with (files("ecociv") / "data" / "institutions" / name).open("rb") as handle:
        return pd.read_csv(handle)


def equivalents() -> pd.DataFrame:
    """Equivalents per ha of the 14 ecosystem types x 11 services (Xie et al. 2015, Table 3)."""
    return _read("esv_equivalents.csv")


def mapping() -> pd.DataFrame:
    """The Belt's land-use codes 1-7 -> Xie 2015 ecosystem types (documented in its note column)."""
    return _read("esv_class_mapping.csv")
