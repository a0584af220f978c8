"""The cache: every formula is built (or refused) once per process, keyed by its text.

:func:`objective_of` looks a text up; on a miss it parses it (layers 1–5), has the worker
build it under the time limit (layer 7), builds it in this process (layers 6 and 8) and
keeps the :class:`~optviz.objectives.Objective` — or the refusal — for the next time, so a
repeated formula is instant. Refusals "takes too long" and "too complex" may have been
caused by a busy machine: they are forgotten after :data:`RETRY_AFTER_SECONDS`. At most
:data:`CACHE_SIZE` entries are kept, the least recently used go first. The cached
objective has default metadata; :func:`optviz.formula.from_expression` gives it its name,
window and start.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from ..objectives import Objective
from . import worker
from .build import build_guarded
from .errors import ExpressionError
from .tree import parse

#: How many formulas (and refusals) the cache keeps.
CACHE_SIZE = 256


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


@dataclass(frozen=True)
class _Refusal:
    message: str
    position: int | None
    expires: float = math.inf  # time.monotonic() after which to try again


_CACHE: OrderedDict[str, Objective | _Refusal] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}
#: Seconds a "takes too long"/"too complex" refusal is remembered (a busy machine may
#: have been the cause); every other refusal is remembered like a result.
RETRY_AFTER_SECONDS = 600.0


def cache_info() -> CacheInfo:
    """How often a formula was served from the cache, built anew, and how many are kept."""
    with _CACHE_LOCK:
        return CacheInfo(_STATS["hits"], _STATS["misses"], len(_CACHE))


def clear_cache() -> None:
    """Forget every cached formula and refusal, and reset the counters."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


def objective_of(text: str) -> Objective:
    """The Objective for ``text`` with default metadata: from the cache or built anew."""
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be text, got {type(text).__name__}")
    with _CACHE_LOCK:
        hit = _CACHE.get(text)
        if isinstance(hit, _Refusal) and hit.expires < time.monotonic():
            del _CACHE[text]
            hit = None
        if hit is not None:
            _CACHE.move_to_end(text)
            _STATS["hits"] += 1
        else:
            _STATS["misses"] += 1
    if isinstance(hit, Objective):
        return hit
    if hit is not None:
        raise ExpressionError(hit.message, hit.position)
    try:
        parsed = parse(text)
        verdict = worker.check(text)
        if isinstance(verdict, ExpressionError):
            raise verdict
        result: Objective | _Refusal = build_guarded(parsed)
    except ExpressionError as err:
        message = str(err)
        transient = message in (worker.TIMEOUT_MESSAGE, worker.CRASH_MESSAGE)
        expires = time.monotonic() + RETRY_AFTER_SECONDS if transient else math.inf
        result = _Refusal(message, err.position, expires)
    with _CACHE_LOCK:
        _CACHE[text] = result
        _CACHE.move_to_end(text)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, _Refusal):
        raise ExpressionError(result.message, result.position)
    return result
