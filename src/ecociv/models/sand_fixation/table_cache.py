"""The wind lookup table of :func:`kernels.wind_excess_lookup` kept on disk between runs.

Building the table needs ``scipy.special`` (the incomplete gamma function), whose import takes
0.1-0.2 s, more than the table itself (8 ms): a run that finds the table beside its compiled
loops (``__pycache__`` of this package, where numba keeps them) needs neither. The file is
named by a digest of everything the values depend on (the table's arguments, the text of
scipy's ``version.py`` and NumPy's version), so another scipy computes and stores its own.
Where nothing can be written, or a file does not hold what is expected, the table is computed
as before; a file is written whole or not at all (renamed into place).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

#: Raise when the way the table is computed changes (the digest then names another file).
FORMAT = 1


def _scipy_stamp() -> str | None:
    """The text of the installed scipy's ``version.py`` (version and git revision), found
    without importing scipy; None when there is none."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or spec.origin is None:
        return None
    try:
        return (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except OSError:
        return None


def cache_dir() -> Path:
    """Where the tables are kept: beside numba's cache of this package."""
    return Path(__file__).resolve().parent / "__pycache__"


def cached_table(key: tuple[float, ...], size: int,
                 compute: Callable[[], NDArray[np.float64]]) -> NDArray[np.float64]:
    """The float64 table of ``size`` values that ``compute`` gives for ``key``: read from the
    cache when a file of that digest holds such a table, else computed and stored."""
    stamp = _scipy_stamp()
    if stamp is None:
        return compute()
    digest = hashlib.blake2b(repr((FORMAT, key, size, stamp, np.__version__)).encode(),
                             digest_size=16).hexdigest()
    path = cache_dir() / f"wind_excess_{digest}.npy"
    try:
        values = np.load(path, allow_pickle=False)
        if values.dtype == np.float64 and values.shape == (size,):
            return np.asarray(values)
    except (OSError, ValueError, EOFError):
        pass
    values = compute()
    temporary = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            np.save(file, values, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # e.g. the folder is a file
            pass
    return values
