"""Reuse, within one process, of a model's intermediate results that do not depend on its levers.

An uncertainty study runs one scenario many times with other lever values. A model part that
does not read the levers (e.g. the suitability fit of ``land_use_change``) gives the same result
in every sample; the model names such a part with :func:`kept`, and a caller that knows the run's
inputs apart from the levers opens a :func:`scope` with a key of them. Without a scope (every
ordinary run) :func:`kept` just computes.

The key of a scope must change with everything the run depends on except the lever parameters:
the study uses the scenario runner's step cache key (model code, input files, upstream results,
parameters, grid) computed without the step's lever-group parameters.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

#: results kept per process (the oldest is dropped first)
KEEP = 4

_scope: ContextVar[str | None] = ContextVar("ecociv_reuse_scope", default=None)
_kept: OrderedDict[tuple[str, str], Any] = OrderedDict()


@contextmanager
def scope(key: str | None) -> Iterator[None]:
    """Let :func:`kept` reuse results under ``key`` (None: no reuse) while the block runs."""
    token = _scope.set(key)
    try:
        yield
    finally:
        _scope.reset(token)


def kept(name: str, compute: Callable[[], T], *, copy_result: bool = True) -> T:
    """``compute()``, or the result it gave earlier in this process under the same scope.

    Parameters
    ----------
    name : str
        What is computed (``"<model id>.<part>"``); ``compute`` must not read the levers.
    compute : callable
        Computes the result.
    copy_result : bool
        Give the caller a deep copy (default), so it may modify what it gets; False when the
        caller only reads it.
    """
    key = _scope.get()
    if key is None:
        return compute()
    slot = (key, name)
    if slot not in _kept:
        _kept[slot] = compute()
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    else:
        _kept.move_to_end(slot)
    value = _kept[slot]
    return copy.deepcopy(value) if copy_result else value


def clear() -> None:
    """Forget every kept result of this process."""
    _kept.clear()
