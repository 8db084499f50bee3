"""Compiled (numba) loops that start fast: loaded from numba's on-disk cache without the full
set-up of numba's compiler, and still working where no cache can be written.

A function compiled with ``numba.njit(cache=True)`` is loaded from the cache on its first call
in a new process. numba first "refreshes" its typing and lowering contexts, importing and
registering every implementation it could compile (array maths, linear algebra with
``scipy.linalg``, strings, dictionaries ...): 0.22 s of the 0.27 s CPU of a first call of
``water_yield``'s loop, and none of it is used when the machine code comes from the cache.
:func:`jit` loads it with only what running it needs (numba's runtime, ``rtsys``); a call that
does have to compile (no cache yet, another signature) goes through numba's compiler, which
refreshes the contexts itself.

Where the cache cannot be written (a read-only install with no writable user cache directory)
numba refuses ``cache=True`` when the function is defined; :func:`jit` then compiles in every
process instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _lean_cache_load(dispatcher: Any) -> bool:
    """Make ``dispatcher`` load its cached machine code without refreshing numba's contexts.

    Returns False (and leaves numba's own loading in place) when numba's internals are not
    the ones this was written for (numba 0.60-0.68)."""
    try:
        from numba.core.runtime import rtsys

        cache = dispatcher._cache
        load = cache._load_overload
        guard = cache._guard_against_spurious_io_errors
    except (AttributeError, ImportError):
        return False

    def load_overload(sig: Any, target_context: Any) -> Any:
        # numba's own version refreshes the whole target context first; the cached code only
        # needs the runtime (memory management) its calls link against
        rtsys.initialize(target_context)
        with guard():
            return load(sig, target_context)
        return None  # the guard swallowed an I/O error: numba compiles instead

    cache.load_overload = load_overload
    return True


def jit(*, lean: bool = True, **options: Any) -> Callable[[F], F]:
    """``numba.njit(cache=True, **options)``, loading from the cache lean (see the module
    docstring), or without a cache where numba has nowhere to write one.

    ``lean=False`` keeps numba's own cache loading (only the fallback without a cache): for
    ``parallel=True`` loops, whose cached code also needs numba's threading layer set up.
    Functions that call other compiled functions load lean too (the caller's cached code holds
    the callees'; ``tests/test_compiled.py``). numba's own loading costs a full refresh of its
    contexts, 0.15-0.9 s CPU once per process on this machine.

    Examples
    --------
    >>> @jit(nogil=True)  # doctest: +SKIP
    ... def total(values): ...
    """
    import numba

    def decorate(func: F) -> F:
        try:
            dispatcher = numba.njit(cache=True, **options)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(**options)(func)
        if lean and not options.get("parallel"):
            _lean_cache_load(dispatcher)
        return dispatcher

    return decorate
