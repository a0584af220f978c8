"""Run an optimizer on an objective and keep the whole history: :func:`run` -> :class:`Trajectory`.

One step ``t`` (``t = 0 … steps−1``) of a run is

.. math::
    g_t = \\nabla f(x_t) + \\sigma\\, \\xi_t, \\qquad
    (\\Delta x_t,\\ s_{t+1}) = \\mathrm{update}(g_t,\\ s_t), \\qquad
    x_{t+1} = x_t + \\Delta x_t

where :math:`\\xi_t` is the seeded standard normal noise of
:func:`optviz.objectives.gradient_noise` (it depends only on the seed, the step and the
batch row, so every optimizer in a comparison sees the same noise).

Divergence is shown, never hidden: the first index ``t`` at which the position is not
finite, leaves the box ``|x| > box`` or has a non-finite value is ``diverged_at``; every
array is NaN from there on (the state and the update that led there are kept). No
exception, no clipping and no RuntimeWarning.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .objectives import Objective, gradient_noise
from .optimizers import Optimizer

Array = np.ndarray

DEFAULT_BOX = 1e6

__all__ = ["DEFAULT_BOX", "Trajectory", "run"]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The full history of a run. With ``T`` steps and a batch of ``B`` starts:

    ========================  =====================  ===========================================
    field                     shape                  meaning
    ========================  =====================  ===========================================
    ``positions``             ``(T+1, B, 2)``        :math:`x_0 … x_T`
    ``values``                ``(T+1, B)``           :math:`f(x_t)` (without noise)
    ``grads``                 ``(T, B, 2)``          :math:`g_t`, the gradient used (noise included)
    ``updates``               ``(T, B, 2)``          :math:`\\Delta x_t`
    ``effective_lr``          ``(T, B, 2)``          the optimizer's own per-dimension rate factor
                                                     (see each optimizer; :attr:`step_factor`
                                                     is the realised −Δx/g)
    ``states``                each ``(T+1, B, 2)``   the optimizer state before step t (index t)
    ``diverged_at``           ``(B,)``               first diverged index, −1 if never
    ========================  =====================  ===========================================

    For a single start (``x0`` of shape ``(2,)``) the batch axis is dropped and
    ``diverged_at`` is an ``int``.
    """

    positions: Array
    values: Array
    grads: Array
    updates: Array
    effective_lr: Array
    states: Any
    diverged_at: Any
    objective: Objective = field(repr=False)
    optimizer: Optimizer = field(repr=False)
    noise: float = 0.0
    seed: int = 0
    #: True when ``positions`` were mapped from the coordinates the optimizer ran in (those
    #: of ``objective``, e.g. a stretched x' = s·x) to the plot's (x); see
    #: :class:`optviz.scene.Transform`. Everything else stays in the optimizer's coordinates.
    in_plot_coordinates: bool = False

    @property
    def steps(self) -> int:
        return self.grads.shape[0]

    @property
    def state_fields(self) -> tuple[str, ...]:
        return tuple(self.states._fields)

    @functools.cached_property
    def step_factor(self) -> Array:
        """The realised per-dimension step factor :math:`-\\Delta x_{t,i} / g_{t,i}`, ``(T, B, 2)``:
        one quantity for every optimizer, the one the rate panel draws.

        For SGD, ADAGRAD, RMSprop and ADADELTA it equals ``effective_lr`` up to rounding
        (their step is that factor times the current gradient). For momentum and Nesterov
        ``effective_lr`` is the constant η while the realised factor carries the velocity
        (it may be far larger, or negative when the step goes against the gradient); for
        Adam ``effective_lr`` multiplies the average m, not g. NaN where :math:`g_{t,i} = 0`
        (no factor exists) and after divergence. Read-only.
        """
        with np.errstate(all="ignore"):
            out = -self.updates / self.grads
        out[(self.grads == 0) | ~np.isfinite(out) | np.isnan(self.effective_lr)] = np.nan
        out.setflags(write=False)
        return out

    @property
    def loss_gap(self) -> Array:
        """:math:`f(x_t) - f_{min}` (or :math:`f(x_t)` when the objective has no minimum)."""
        f_min = self.objective.f_min
        return self.values - (f_min if f_min is not None else 0.0)


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps = {steps} must be ≥ 0")
    return int(steps)


def _check_sigma(noise: Any, objective: Objective) -> float:
    sigma = objective.noise if noise is None else noise
    try:
        sigma = float(sigma)
    except (TypeError, ValueError):
        raise ValueError(f"noise σ must be a number, got {noise!r}") from None
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"noise σ = {sigma!r} must be a finite number ≥ 0")
    return sigma


def _check_box(box: Any) -> float:
    try:
        box = float(box)
    except (TypeError, ValueError):
        raise ValueError(f"box must be a number, got {box!r}") from None
    if not (math.isfinite(box) and box > 0):
        raise ValueError(f"box = {box!r} must be a finite number > 0")
    return box


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
    return int(seed)


def _starts(x0: Any, optimizer: Optimizer) -> tuple[Array, bool, int]:
    """Return the (B, 2) starts, whether the output is batched, and how many noise rows."""
    try:
        starts = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"x0 must be a point (x, y) or an array of shape (B, 2), got {x0!r}"
        ) from None
    if starts.shape == (2,):
        starts = starts[None, :]
        single = True
    elif starts.ndim == 2 and starts.shape[1] == 2:
        single = False
    else:
        raise ValueError(f"x0 must have shape (2,) or (B, 2), got {starts.shape}")
    if starts.shape[0] == 0:
        raise ValueError("x0 must hold at least one start")
    rows = starts.shape[0]
    batch = optimizer.batch_size
    if batch is not None:
        single = False  # one configuration per row: the output keeps its batch axis
        if batch != starts.shape[0]:
            if starts.shape[0] != 1:
                raise ValueError(
                    f"the optimizer has {batch} hyperparameter rows but x0 has "
                    f"{starts.shape[0]} starts"
                )
            starts = np.repeat(starts, batch, axis=0)  # one start shared by every row
    return starts, single, rows


def _mask_divergence(
    positions: Array,
    values: Array,
    grads: Array,
    updates: Array,
    effective: Array,
    state_hist: list[Array],
    box: float,
) -> Array:
    """Find each row's first diverged index and blank everything from there on (in place)."""
    bad = _outside(positions, values, box)
    any_bad = bad.any(axis=0)
    diverged_at = np.where(any_bad, bad.argmax(axis=0), -1)
    for row in np.flatnonzero(any_bad):
        d = int(diverged_at[row])
        first = max(d, 1)  # the start itself is kept, so the user sees where it was
        positions[first:, row] = np.nan
        values[first:, row] = np.nan
        grads[d:, row] = np.nan
        updates[d:, row] = np.nan
        effective[d:, row] = np.nan
        for hist in state_hist:
            hist[d + 1 :, row] = np.nan
    return diverged_at


Buffers = tuple[Array, Array, Array, Array, list[Array], Array | None]

#: Runs with at most this many rows (and scalar hyperparameters) go float by float.
SCALAR_PATH_MAX_ROWS = 8


def _outside(points: Array, values: Array | None, box: float) -> Array:
    """Rows that have diverged: a coordinate not finite or beyond ``box``, or f not finite.

    (``box`` is finite, so NaN and ±inf fail ``|x| <= box``; testing each coordinate in
    turn avoids NumPy's slow reductions over a length-2 axis.)
    """
    bad = np.zeros(points.shape[:-1], dtype=bool) if values is None else ~np.isfinite(values)
    for c in (points[..., 0], points[..., 1]):
        bad |= ~(np.abs(c) <= box)
    return bad


def _all_gone(points: Array, box: float) -> bool:
    """True when no row is finite and inside the box (all have diverged)."""
    return bool(_outside(points, None, box).all())


def _blank(buffers: Buffers, first: int) -> None:
    positions, grads, updates, effective, state_hist, _ = buffers
    positions[first + 1 :] = np.nan
    for arr in (grads, updates, effective):
        arr[first:] = np.nan
    for hist in state_hist:
        hist[first + 1 :] = np.nan


def _loop_array(
    objective: Objective, optimizer: Optimizer, buffers: Buffers, first: int, steps: int, box: float
) -> None:
    """Steps ``first … steps−1`` on whole ``(B, 2)`` arrays, writing into the history."""
    positions, grads, updates, effective, state_hist, xi = buffers
    state = optimizer.init(positions[0])
    state = type(state)(*(hist[first] for hist in state_hist))
    grad, step = objective.grad, optimizer.step
    for t in range(first, steps):
        if t % 32 == 0 and t > first and _all_gone(positions[t], box):
            _blank(buffers, t)  # every row has diverged: the rest is masked anyway
            return
        g = grad(positions[t], out=grads[t])
        if xi is not None:
            g += xi[t]
        upd, state, eff = step(g, state)
        updates[t] = upd
        effective[t] = eff
        np.add(positions[t], upd, out=positions[t + 1])
        for hist, value in zip(state_hist, state):
            hist[t + 1] = value


def _loop_scalar(objective: Objective, optimizer: Optimizer, buffers: Buffers, steps: int) -> int:
    """The same steps on Python floats, one coordinate at a time, for small runs.

    The optimizer's ``rule`` and the objective's ``scalar_grad`` perform the same
    correctly rounded IEEE operations as the array path, so the numbers are identical by
    construction (an objective whose gradient needs sin, exp … has no ``scalar_grad``), without
    NumPy's per-call overhead (about 10x faster for one start). Python floats raise where
    NumPy gives inf or NaN (x/0, the square root of a negative number, ``**`` overflowing in a
    rule); then the history so
    far is kept, the number of completed steps returned, and the array path carries on
    from there.
    """
    positions, grads, updates, effective, state_hist, xi = buffers
    rule, hp, sqrt, gradf = optimizer.rule, optimizer.scalar_hp, math.sqrt, objective.scalar_grad
    n = positions.shape[1]
    nf = len(state_hist)
    completed = steps
    for r in range(n):
        x, y = positions[0, r].tolist()
        fx = tuple(float(h[0, r, 0]) for h in state_hist)
        fy = tuple(float(h[0, r, 1]) for h in state_hist)
        noise = xi[:, min(r, xi.shape[1] - 1)].tolist() if xi is not None else None
        record = []
        append = record.append
        try:
            for t in range(min(steps, completed)):
                gx, gy = gradf(x, y)
                gx, gy = float(gx), float(gy)
                if noise is not None:
                    nx, ny = noise[t]
                    gx += nx
                    gy += ny
                ux, fx, ex = rule(gx, fx, hp, sqrt)
                uy, fy, ey = rule(gy, fy, hp, sqrt)
                x += ux
                y += uy
                append((x, y, gx, gy, ux, uy, ex, ey, *fx, *fy))
        except (OverflowError, ZeroDivisionError, ValueError, TypeError):
            # (a registered rule may use ``**``, which raises OverflowError on floats, or
            # go complex, which the next math call refuses with TypeError)
            completed = len(record)
        if record:
            rec = np.array(record, dtype=np.float64).reshape(len(record), 8 + 2 * nf)
            k = len(record)
            positions[1 : k + 1, r] = rec[:, 0:2]
            grads[:k, r] = rec[:, 2:4]
            updates[:k, r] = rec[:, 4:6]
            effective[:k, r] = rec[:, 6:8]
            for i, hist in enumerate(state_hist):
                hist[1 : k + 1, r, 0] = rec[:, 8 + i]
                hist[1 : k + 1, r, 1] = rec[:, 8 + nf + i]
    return completed


def run(
    objective: Objective,
    optimizer: Optimizer,
    x0: Any,
    steps: int,
    *,
    seed: int = 0,
    noise: float | None = None,
    box: float = DEFAULT_BOX,
) -> Trajectory:
    """Run ``optimizer`` on ``objective`` from ``x0`` for ``steps`` steps, keeping everything.

    ``x0`` is one start ``(x, y)`` or a batch ``(B, 2)``; an optimizer with array
    hyperparameters of length B runs one configuration per row (a single ``x0`` is then
    shared by all rows, and so is its noise). ``noise`` is the gradient-noise scale σ
    (``None``: the objective's default). See the module docstring for the exact step.
    """
    steps = _check_steps(steps)
    box = _check_box(box)
    sigma = _check_sigma(noise, objective)
    seed = _check_seed(seed)
    starts, single, noise_rows = _starts(x0, optimizer)
    n = starts.shape[0]

    positions = np.empty((steps + 1, n, 2))
    positions[0] = starts
    grads = np.empty((steps, n, 2))
    updates = np.empty((steps, n, 2))
    effective = np.empty((steps, n, 2))
    state = optimizer.init(starts)
    state_hist = [np.empty((steps + 1, *np.shape(f))) for f in state]
    for hist, value in zip(state_hist, state):
        hist[0] = value
    xi = gradient_noise(seed, steps, noise_rows) * sigma if sigma > 0 else None
    buffers = positions, grads, updates, effective, state_hist, xi

    with np.errstate(all="ignore"):
        use_scalar = (
            optimizer.scalar_hp is not None
            and objective.scalar_grad is not None
            and n <= SCALAR_PATH_MAX_ROWS
        )
        done = _loop_scalar(objective, optimizer, buffers, steps) if use_scalar else 0
        if done < steps:
            _loop_array(objective, optimizer, buffers, done, steps, box)
        values = objective.value(positions)
        diverged_at = _mask_divergence(
            positions, values, grads, updates, effective, state_hist, box
        )

    state_cls = type(state)
    states = state_cls(*state_hist)
    if single:
        positions, values, grads, updates, effective = (
            a[:, 0] for a in (positions, values, grads, updates, effective)
        )
        states = type(states)(*(h[:, 0] for h in states))
        diverged_at = int(diverged_at[0])
    return Trajectory(
        positions=positions,
        values=values,
        grads=grads,
        updates=updates,
        effective_lr=effective,
        states=states,
        diverged_at=diverged_at,
        objective=objective,
        optimizer=optimizer,
        noise=sigma,
        seed=seed,
    )


#: why a run diverged (:func:`divergence_cause`)
UNDEFINED, OVERFLOW, UNBOUNDED, STEEP = "undefined", "overflow", "unbounded", "steep"


def divergence_cause(tr: Trajectory, box: float = DEFAULT_BOX) -> str | None:
    """Why the single-start run ``tr`` diverged (None if it did not), from its last finite
    point x, the gradient g and the step Δx taken there, and the point x + Δx it led to:

    * :data:`UNDEFINED` — x + Δx is a finite point inside the box where f is NaN (the log
      of a negative number…);
    * :data:`OVERFLOW` — g, Δx or f(x + Δx) is beyond float64 (±inf) although x + Δx is
      inside the box: the numbers overflow, e.g. a high power like ``(x²+y²)^100``;
    * :data:`UNBOUNDED` — f fell all the way: it was below f(x₀) and still falling (or −∞)
      where the run left — a function unbounded below;
    * :data:`STEEP` — anything else: a step too large for how steep f is there, which threw
      the run out of the box (f rising, not falling).
    """
    d = int(tr.diverged_at)
    if d < 0:
        return None
    if d == 0:  # the start itself: f is not finite there
        v = float(tr.values[0])
        return UNDEFINED if math.isnan(v) else (UNBOUNDED if v < 0 else OVERFLOW)
    x, g, dx = tr.positions[d - 1], tr.grads[d - 1], tr.updates[d - 1]
    f_x, f_0 = float(tr.values[d - 1]), float(tr.values[0])
    with np.errstate(all="ignore"):
        nxt = x + dx
        inside = bool(np.all(np.abs(nxt) <= box))
        f_next = float(tr.objective.value(nxt)) if np.all(np.isfinite(nxt)) else math.nan
    if inside and math.isnan(f_next):
        return UNDEFINED
    falling = f_x < f_0 and (f_next == -math.inf or f_next < f_x)
    if falling or (inside and f_next == -math.inf):
        return UNBOUNDED
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(dx))) or (inside and f_next == math.inf):
        return OVERFLOW
    return STEEP
