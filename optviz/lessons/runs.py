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
from ..scene import plot_positions, run_positions, stretch_of  # noqa: F401 (re-exported)
from .base import Array, Runs

# Where a trajectory's positions are (the optimizer's coordinates or the plot's) is recorded
# on it (``Trajectory.in_plot_coordinates``): see optviz.scene.
original_positions = plot_positions


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


def rose_back(tr: Trajectory, factor: float) -> tuple[int, float] | None:
    """(step, f − f_min) of the best point of ``tr`` when it ended more than ``factor`` ×
    above it (it came close and rose back); None otherwise."""
    gap = tr.loss_gap
    best = int(np.nanargmin(gap))
    return (best, float(gap[best])) if gap[-1] > factor * gap[best] else None


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
