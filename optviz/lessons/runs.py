"""Reading and re-running a lesson's trajectories: positions in the run's or the original
coordinates of a stretched objective, cached reruns with some ingredients changed, and
small NaN-safe numeric helpers."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import optimizers
from ..objectives import Objective
from ..runner import Trajectory, run
from .base import Array, Runs


def stretch_of(tr: Trajectory) -> float:
    """The stretch s of the objective ``tr`` ran on (``Objective.stretch``; 1 for none)."""
    return float(tr.objective.stretch)


def _mapped_back(tr: Trajectory, s: float) -> bool:
    """Were ``tr``'s positions mapped back to the original x (the app's and :meth:`Settings.run`'s
    convention), rather than left in the run's stretched x'?"""
    p = tr.positions
    rows = _finite_rows(p)
    rows = rows[np.abs(p[rows, 0]) > 0][:50]
    if rows.size == 0:
        return False
    v = tr.values[rows]
    as_is = np.abs(tr.objective.value(p[rows]) - v)
    back = np.abs(tr.objective.value(p[rows] * np.array([s, 1.0])) - v)
    return bool(np.nansum(back) < np.nansum(as_is))


def run_positions(tr: Trajectory) -> Array:
    """``tr``'s positions in the coordinates of ``tr.objective`` (where reruns start)."""
    s = stretch_of(tr)
    if s == 1.0 or not _mapped_back(tr, s):
        return tr.positions
    return tr.positions * np.array([s, 1.0])


def original_positions(tr: Trajectory) -> Array:
    """``tr``'s positions in the original x (where paths are drawn and compared)."""
    s = stretch_of(tr)
    if s == 1.0 or _mapped_back(tr, s):
        return tr.positions
    return tr.positions / np.array([s, 1.0])


@functools.lru_cache(maxsize=128)
def _run_cached(
    obj: Objective,
    key: str,
    hp: tuple[tuple[str, Any], ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
) -> Trajectory:
    values = {k: (np.array(v) if isinstance(v, tuple) else v) for k, v in hp}
    return run(obj, optimizers.build(key, **values), start, steps, seed=seed, noise=noise)


def _rerun(
    tr: Trajectory,
    *,
    objective: Objective | None = None,
    start: Sequence[float] | None = None,
    steps: int | None = None,
    noise: float | None = None,
    seed: int | None = None,
    **hp_changes: Any,
) -> Trajectory:
    """The run ``tr`` with some of its ingredients changed (cached)."""
    hp = {**_scalar_hp(tr), **hp_changes}
    items = tuple(
        sorted((k, tuple(np.ravel(v).tolist()) if np.ndim(v) else float(v)) for k, v in hp.items())
    )
    p0 = run_positions(tr)[0] if start is None else start
    return _run_cached(
        tr.objective if objective is None else objective,
        tr.optimizer.key,
        items,
        (float(p0[0]), float(p0[1])),
        tr.steps if steps is None else int(steps),
        tr.noise if noise is None else float(noise),
        tr.seed if seed is None else int(seed),
    )


def _scalar_hp(tr: Trajectory) -> dict[str, float]:
    return {k: float(v) for k, v in tr.optimizer.hyperparams.items()}


def _finite_rows(arr: Array) -> Array:
    """Indices of rows (first axis) whose entries are all finite."""
    a = np.asarray(arr, dtype=float)
    mask = np.isfinite(a).reshape(a.shape[0], -1).all(axis=1) if a.size else np.zeros(0, bool)
    return np.flatnonzero(mask)


def _nanmin(arr: Any) -> float:
    a = np.asarray(arr, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else math.nan


def _nanmedian(arr: Any) -> float:
    a = np.asarray(arr, dtype=float)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else math.nan


def _final_gap(tr: Trajectory) -> float:
    return float(tr.loss_gap[-1])


def _diverged(*trs: Trajectory) -> bool:
    """Did any of these runs diverge?"""
    return any(int(tr.diverged_at) >= 0 for tr in trs)


def _conditions(tr: Trajectory) -> tuple[tuple[float, float], int, float, int]:
    """``(start, steps, noise, seed)`` of ``tr``, the start in the run's coordinates: what
    an extra experiment on ``tr.objective`` takes to be comparable with ``tr``."""
    return tuple(map(float, run_positions(tr)[0])), tr.steps, tr.noise, tr.seed


def _any_run(runs: Runs) -> Trajectory | None:
    return next(iter(runs.values()), None)
