"""The public function: a formula, a plot window and a start → a named Objective.

:func:`from_expression` checks the window and the start, takes the formula's objective
from :mod:`optviz.formula.cache` (which runs every layer), refuses a function with no
finite value anywhere in the window, and names the result.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace
from typing import Any

import numpy as np

from .. import limits, objectives
from ..objectives import Objective
from .build import DEFAULT_BOUNDS
from .cache import objective_of
from .errors import ExpressionError

#: The plot window must lie within ±this (the runner's default box; :mod:`optviz.limits`).
MAX_BOUND = limits.MAX_WINDOW


def _real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _check_bounds(bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    if bounds is None:
        return DEFAULT_BOUNDS
    shape = "the plot window must be given as ((xmin, xmax), (ymin, ymax))"
    try:
        (x0, x1), (y0, y1) = bounds
    except (TypeError, ValueError):
        raise ExpressionError(shape) from None
    out = []
    for axis, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        if not (_real(lo) and _real(hi)):
            raise ExpressionError(f"{shape}: the {axis} range must be two numbers")
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ExpressionError(f"the {axis} range must be finite, got ({lo:g}, {hi:g})")
        if max(abs(lo), abs(hi)) > MAX_BOUND:
            raise ExpressionError(
                f"the {axis} range must lie within ±{MAX_BOUND:g} (beyond it the runner "
                f"counts a path as diverged), got ({lo:g}, {hi:g})"
            )
        if not lo < hi:
            raise ExpressionError(
                f"the {axis} range must have {axis}min < {axis}max, got ({lo:g}, {hi:g})"
            )
        out.append((lo, hi))
    return out[0], out[1]


def _check_start(start: Any) -> tuple[float, float]:
    message = "the start must be a point (x, y) of two finite numbers"
    try:
        sx, sy = start
    except (TypeError, ValueError):
        raise ExpressionError(message) from None
    if not (_real(sx) and _real(sy)) or not (math.isfinite(sx) and math.isfinite(sy)):
        raise ExpressionError(f"{message}, got {start!r}")
    return float(sx), float(sy)


# where to start by default, as fractions of the window (the first that is finite)
_START_FRACTIONS = [
    (0.2, 0.8),
    (0.8, 0.8),
    (0.8, 0.2),
    (0.2, 0.2),
    (0.5, 0.8),
    (0.5, 0.2),
    (0.2, 0.5),
    (0.8, 0.5),
    (0.35, 0.65),
    (0.65, 0.35),
    (0.5, 0.5),
]


def _default_start(obj: Objective, bounds: objectives.Bounds) -> tuple[float, float]:
    (x0, x1), (y0, y1) = bounds
    points = np.array([(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for fx, fy in _START_FRACTIONS])
    ok = np.isfinite(obj.value(points)) & np.isfinite(obj.grad(points)).all(axis=-1)
    best = points[int(np.argmax(ok))] if ok.any() else points[0]
    return float(best[0]), float(best[1])


def from_expression(
    text: str,
    *,
    bounds: objectives.Bounds | None = None,
    start: tuple[float, float] | None = None,
    name: str | None = None,
) -> Objective:
    """The :class:`~optviz.objectives.Objective` of a formula in ``x`` and ``y``.

    ``text`` uses numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * /``, ``^`` or ``**`` for
    powers, brackets and the :data:`~optviz.formula.FUNCTIONS`. ``bounds`` is the plot window
    ``((xmin, xmax), (ymin, ymax))`` (default ±3), ``start`` the default start (default: a
    point inside the window where the function and its gradient are finite), ``name``
    the objective's key (default ``"custom"``). The result has ``display_name``
    ``"f(x, y) = <text>"``, LaTeX from SymPy, no known minima and a linear colour scale.

    Raises :class:`ExpressionError` for a formula, window or start it will not accept —
    including a function with no finite value anywhere in the window. See
    :mod:`optviz.formula` for the safety layers; repeated formulas come from a cache.
    """
    bounds_ = _check_bounds(bounds)
    start_ = None if start is None else _check_start(start)
    if name is not None and not isinstance(name, str):
        raise ExpressionError(f"the name must be text, got {type(name).__name__}")
    core = objective_of(text)
    (x0, x1), (y0, y1) = bounds_
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41)), axis=-1)
    if not np.isfinite(core.value(grid)).any():
        raise ExpressionError(
            f"f(x, y) has no finite real value anywhere in the window x from {x0:g} to {x1:g}, "
            f"y from {y0:g} to {y1:g} (like the log of a negative number, or a number too large)"
        )
    return replace(
        core,
        name=name or "custom",
        display_name=f"f(x, y) = {text.strip()}",
        bounds=bounds_,
        start=start_ if start_ is not None else _default_start(core, bounds_),
    )


#: the half-widths :func:`suggest_bounds` tries, smallest first
WINDOW_HALF_WIDTHS = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0)


def suggest_bounds(
    obj: Objective, bounds: objectives.Bounds = DEFAULT_BOUNDS, samples: int = 81
) -> objectives.Bounds:
    """A plot window that shows where ``obj`` is lowest: ``bounds`` if the lowest value f
    takes on a grid over it lies inside (not on its edge), else the smallest square
    ``[−h, h]²`` of :data:`WINDOW_HALF_WIDTHS` wider than ``bounds`` whose lowest sampled
    value does, else ``bounds`` (a function that falls for ever: no window shows it).
    E.g. ``(x − 10)² + (y − 10)²`` → ``[−20, 20]²``; ``x⁴ + y²`` keeps ``[−2, 2]²``."""

    def lowest_inside(window: objectives.Bounds) -> bool:
        (x0, x1), (y0, y1) = window
        gx, gy = np.meshgrid(np.linspace(x0, x1, samples), np.linspace(y0, y1, samples))
        with np.errstate(all="ignore"):
            f = np.asarray(obj.value(np.stack([gx, gy], axis=-1)), dtype=float)
        f = np.where(np.isfinite(f), f, np.inf)
        if not np.isfinite(f).any():
            return False
        i, j = np.unravel_index(int(np.argmin(f)), f.shape)
        return 0 < i < samples - 1 and 0 < j < samples - 1

    if lowest_inside(bounds):
        return bounds
    reach = max(abs(v) for pair in bounds for v in pair)
    for h in WINDOW_HALF_WIDTHS:
        if h > reach and lowest_inside(((-h, h), (-h, h))):
            return ((-h, h), (-h, h))
    return bounds
