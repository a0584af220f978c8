"""One pool of threads for the work of a training that splits into independent parts.

:func:`in_parts` runs ``work(lo, hi)`` over ``0 … n`` cut into :data:`THREADS` parts: the
stacked matrix products of :mod:`optviz.network` (NumPy releases the GIL in a product,
each calling a one-thread BLAS) and the rows of the compiled kernels of
:mod:`optviz.network_compiled` (which release it too). Parts are independent, so the split
changes no number.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: the threads work is split over (this machine's two cores at most)
THREADS = min(2, os.cpu_count() or 1)
_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="optviz-net")
        return _POOL


def in_parts(work: Callable[[int, int], Any], n: int) -> None:
    """``work(lo, hi)`` over ``0 … n`` cut into :data:`THREADS` parts (at most ``n``), on
    the pool's threads; the caller's NumPy error handling applies in every part (it is per
    thread)."""
    parts = max(1, min(THREADS, n))
    if parts == 1:
        work(0, n)
        return
    bounds = [n * k // parts for k in range(parts + 1)]
    errors = np.geterr()

    def part(lo: int, hi: int) -> None:
        with np.errstate(**errors):
            work(lo, hi)

    jobs = [_pool().submit(part, lo, hi) for lo, hi in itertools.pairwise(bounds)]
    for job in jobs:
        job.result()
