"""Hyperparameter sweeps: a whole grid of configurations as one vectorised run.

:func:`sweep` runs every configuration of a grid (the cartesian product of a few
hyperparameters' values) from one start, as a batch of ``B`` rows with array
hyperparameters, and keeps only summaries, never the histories. Cell by cell the numbers
are exactly those of :func:`optviz.run` with that configuration:

* the same step (the optimizer's own ``rule``, through :meth:`Optimizer.step`), the same
  gradient (``objective.grad``) and the same noise — a single ``x0`` is shared by every
  configuration, so every row gets noise row 0,
  ``objectives.gradient_noise(seed, steps, 1) * σ``;
* the same divergence: the first index ``t`` (``0 … steps``) at which the position is not
  finite, ``|x| > box`` in either coordinate, or ``f(x_t)`` is not finite.

:func:`grid_score` turns a sweep into "how much of the optimizer's own grid works", and
:func:`default_grid` builds a grid from an optimizer's slider ranges.

The loop runs the batch in chunks of at most :data:`CHUNK_ROWS` rows, in the calling
thread unless :data:`THREADS` > 1 (then chunks go to a thread pool; NumPy releases the GIL
inside its loops). Chunks are independent rows, so the split changes no number. Threads
are off by default: the loop is ~50 NumPy calls per step on arrays of a few thousand
numbers, and on the 2-core machine this was measured on, handing the GIL back and forth
made two threads 1.8× *slower* than one. Positions are stored coordinate-major (a
``(2, n)`` array seen through its transpose) so that ``x``, ``y`` and every ``(n, 2)``
temporary of the rule are contiguous per coordinate (2× faster than row-major with per-row
hyperparameter columns); the arithmetic, element by element, is unchanged.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import optimizers
from .objectives import Objective, gradient_noise
from .runner import DEFAULT_BOX, _check_box, _check_seed, _check_sigma, _check_steps

Array = np.ndarray

__all__ = [
    "CHUNK_ROWS",
    "CONVERGED_GAP",
    "PAPER_GRID",
    "SUCCESS_REDUCTION",
    "THREADS",
    "GridScore",
    "SweepResult",
    "default_grid",
    "grid_score",
    "grid_text",
    "score_table",
    "sweep",
    "sweep_axes",
]

#: Largest number of rows one chunk of the batch runs at a time (its arrays stay in cache).
CHUNK_ROWS = 8192
#: Batches smaller than this always run in the calling thread.
PARALLEL_MIN_ROWS = 2048
#: Worker threads for batches of at least PARALLEL_MIN_ROWS rows (1: no thread pool; see
#: the module docstring for why that is the default). At most ``os.cpu_count()`` are used.
THREADS = 1

#: A final gap ``f − f_min`` below this has converged for every purpose of a picture or a
#: score: the heatmaps draw it as this value and :func:`grid_score` counts it as this.
CONVERGED_GAP = 1e-12
#: :func:`grid_score`'s success criterion: a run closes all but this share of the start's
#: gap f(x₀) − f_min within its budget.
SUCCESS_REDUCTION = 1e-3
#: The paper's grid for ADADELTA (Zeiler 2012, Table 2): ρ × ε.
PAPER_GRID = {"rho": (0.9, 0.95, 0.99), "eps": (1e-2, 1e-4, 1e-6, 1e-8)}


def sweep_axes(optimizer_name: str) -> tuple[str, ...]:
    """The hyperparameters :func:`default_grid` sweeps for an optimizer, in order: its
    spec's ``sweep_axes`` (:attr:`~optviz.optimizers.OptimizerSpec.axes`)."""
    return optimizers.get(optimizer_name).axes


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Summaries of a sweep, one number per configuration.

    Every array has the grid's shape ``tuple(len(grid[a]) for a in axes)``; cell
    ``(i, j, …)`` is the configuration ``axes[0] = grid[axes[0]][i]``,
    ``axes[1] = grid[axes[1]][j]``, … with the other hyperparameters as in ``fixed``
    (see :meth:`configuration`). With ``T = steps``:

    ==================  ======  ================================================================
    field               dtype   meaning
    ==================  ======  ================================================================
    ``final_value``     float   :math:`f(x_T)`; NaN where the run diverged
    ``best_value``      float   min of :math:`f(x_t)` over ``t = 0 … T`` before divergence
                                (NaN values ignored; :math:`f(x_0)` always counts)
    ``steps_to_tol``    int     first ``t`` with :math:`f(x_t) - f_{min} <` ``tol`` (before
                                divergence), −1 if never or if the objective has no minimum
    ``diverged``        bool    the run diverged
    ``diverged_at``     int     first diverged index ``t``, −1 if never
    ``final_distance``  float   Euclidean distance from :math:`x_T` to the nearest of
                                ``objective.minima``; NaN where there are none or it diverged
    ==================  ======  ================================================================

    ``start_value`` is :math:`f(x_0)`, the same for every cell.

    These are exactly what :func:`optviz.run` gives for that one configuration:
    ``traj.values[-1]``, ``np.nanmin(traj.values)``, the first index of
    ``traj.values - f_min < tol``, ``traj.diverged_at`` and ``np.hypot`` of
    ``traj.positions[-1]`` minus each minimum. The arrays are read-only.
    """

    final_value: Array
    best_value: Array
    steps_to_tol: Array
    diverged: Array
    diverged_at: Array
    final_distance: Array
    grid: dict[str, Array]
    axes: tuple[str, ...]
    objective: str
    optimizer: str
    x0: tuple[float, float]
    steps: int
    noise: float
    seed: int
    tol: float = 1e-6
    box: float = DEFAULT_BOX
    f_min: float | None = None
    fixed: dict[str, float] = field(default_factory=dict)
    start_value: float = math.nan

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape: one entry per axis."""
        return tuple(len(self.grid[a]) for a in self.axes)

    @property
    def size(self) -> int:
        """The number of configurations."""
        return math.prod(self.shape)

    def configuration(self, index: Sequence[int] | int) -> dict[str, float]:
        """The hyperparameters of cell ``index`` (a tuple, or a flat index in C order).

        ``optimizers.build(result.optimizer, **result.configuration(index))`` rebuilds it.
        """
        if isinstance(index, (int, np.integer)):
            index = np.unravel_index(int(index), self.shape) if self.axes else ()
        index = tuple(int(i) for i in index)
        if len(index) != len(self.axes):
            raise ValueError(f"index {index} must have one entry per axis {self.axes}")
        config = dict(self.fixed)
        for axis, i in zip(self.axes, index):
            config[axis] = float(self.grid[axis][i])
        return config


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_known(spec: optimizers.OptimizerSpec, name: str) -> None:
    """A ValueError naming the optimizer's hyperparameters when ``name`` is not one."""
    known = [hp.name for hp in spec.hyperparams]
    if name not in known:
        raise ValueError(
            f"{spec.display_name} has no hyperparameter {name!r}; it has {', '.join(known)}"
        )


def _check_grid(spec: optimizers.OptimizerSpec, grid: Any) -> dict[str, Array]:
    if not isinstance(grid, Mapping):
        raise ValueError(
            f"grid must map hyperparameter names to 1-D sequences of values, got {grid!r}"
        )
    out: dict[str, Array] = {}
    for name, values in grid.items():
        _check_known(spec, name)
        try:
            arr = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"grid[{name!r}] must be a 1-D sequence of numbers") from None
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(
                f"grid[{name!r}] must be a non-empty 1-D sequence, got shape {arr.shape}"
            )
        spec.hyperparam(name).validate(arr)  # a clear ValueError naming a bad value
        arr.setflags(write=False)
        out[name] = arr
    return out


def _check_fixed(
    spec: optimizers.OptimizerSpec, fixed: Any, grid: Mapping[str, Array]
) -> dict[str, float]:
    """The non-grid hyperparameters: the spec's defaults overridden by ``fixed``."""
    fixed = {} if fixed is None else fixed
    if not isinstance(fixed, Mapping):
        raise ValueError(f"fixed must map hyperparameter names to numbers, got {fixed!r}")
    values: dict[str, float] = {}
    for name, value in fixed.items():
        _check_known(spec, name)
        if name in grid:
            raise ValueError(f"{name!r} is both a grid axis and fixed")
        checked = spec.hyperparam(name).validate(value)
        if np.ndim(checked) != 0:
            raise ValueError(f"fixed[{name!r}] must be a single number; sweep it with grid")
        values[name] = float(checked)
    return {k: v for k, v in {**spec.defaults, **values}.items() if k not in grid}


def _check_x0(x0: Any) -> tuple[float, float]:
    try:
        point = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be one point (x, y), got {x0!r}") from None
    if point.shape != (2,):
        raise ValueError(f"x0 must be one point (x, y) shared by the grid, got shape {point.shape}")
    return float(point[0]), float(point[1])


def _check_number(name: str, value: Any) -> float:
    """``value`` as a finite float, or a ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} = {value!r} must be a finite number")
    return number


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


@dataclass
class _Problem:
    """Everything a chunk needs, shared read-only by the workers."""

    objective: Objective
    optimizer: str
    x0: tuple[float, float]
    steps: int
    xi: Array | None
    box: float
    f_min: float | None
    tol: float


@dataclass
class _Outputs:
    """Flat ``(B,)`` results; each chunk writes only its own rows."""

    final_value: Array
    best_value: Array
    steps_to_tol: Array
    diverged_at: Array
    final_position: Array  # (B, 2)


def _run_chunk(
    problem: _Problem, rows: Array, hyper: dict[str, Any], out: _Outputs, best0: float, hit0: bool
) -> None:
    """Run rows ``rows`` (configurations ``hyper``) for all steps and store their summaries.

    Step ``t`` (1 … T) is run's step ``t − 1``: gradient at ``x_{t−1}`` plus noise row 0,
    ``optimizer.step``, ``x_t = x_{t−1} + Δx``. Then ``f(x_t)`` and the divergence test; a
    row that fails it records ``t`` and its position becomes NaN, so it stays NaN (and is
    left out of every summary) until the end.
    """
    with np.errstate(all="ignore"):  # errstate is per thread: set it in the worker
        opt = optimizers.build(problem.optimizer, **hyper)
        n = len(rows)
        coords = np.empty((2, n))  # coordinate-major storage
        coords[0] = problem.x0[0]
        coords[1] = problem.x0[1]
        pos = coords.T  # the (n, 2) view every API sees
        g = np.empty((2, n)).T
        state = opt.init(pos)
        state = type(state)(*(np.asfortranarray(f) for f in state))
        step, grad, value = opt.step, problem.objective.grad, problem.objective.value
        xi, box, f_min, tol = problem.xi, problem.box, problem.f_min, problem.tol

        best = np.full(n, best0)
        steps_to_tol = np.full(n, 0 if hit0 else -1, dtype=np.int64)
        diverged_at = np.full(n, -1, dtype=np.int64)
        pending = np.full(n, f_min is not None and not hit0)  # still looking for tol
        n_pending = int(pending.sum())
        ok = np.ones(n, dtype=bool)  # alive: every test passed so far
        n_ok = n
        absolute = np.empty((2, n))
        largest = np.empty(n)
        finite = np.empty(n, dtype=bool)
        gap = np.empty(n)
        hit = np.empty(n, dtype=bool)
        v = np.full(n, np.nan)

        for t in range(1, problem.steps + 1):
            grad(pos, out=g)
            if xi is not None:
                g += xi[t - 1]
            upd, state, _ = step(g, state)
            np.add(pos, upd, out=pos)
            v = value(pos)
            # divergence test, as runner._mask_divergence: NaN and ±inf fail `<= box` too
            np.abs(coords, out=absolute)
            np.maximum(absolute[0], absolute[1], out=largest)
            np.less_equal(largest, box, out=ok)
            np.isfinite(v, out=finite)
            ok &= finite
            count = int(np.count_nonzero(ok))
            if count != n_ok:  # dead rows have NaN positions, so they never pass again
                new = diverged_at == -1
                new &= ~ok
                diverged_at[new] = t
                coords[:, new] = np.nan
                pending &= ok
                n_pending = int(pending.sum())
                n_ok = count
                if n_ok == 0:
                    break
            np.fmin(best, v, out=best, where=ok)
            # fl(v − f_min) grows with v, so if the smallest v misses tol, every row does
            if n_pending and np.fmin.reduce(v) - f_min < tol:
                np.subtract(v, f_min, out=gap)
                np.less(gap, tol, out=hit)
                hit &= pending
                if hit.any():
                    steps_to_tol[hit] = t
                    pending &= ~hit
                    n_pending = int(pending.sum())

        out.final_value[rows] = np.where(ok, v, np.nan)
        out.final_position[rows] = np.where(ok[:, None], pos, np.nan)
        out.best_value[rows] = best
        out.steps_to_tol[rows] = steps_to_tol
        out.diverged_at[rows] = diverged_at


def _chunks(
    columns: dict[str, Array], fixed: dict[str, float]
) -> list[tuple[Array, dict[str, Any]]]:
    """Split the ``B`` rows into ``(rows, hyperparameters)`` work items of at most
    :data:`CHUNK_ROWS` rows (a multiple of :data:`THREADS` items for large batches)."""
    rows = np.arange(len(next(iter(columns.values()))) if columns else 1)
    parts = max(1, math.ceil(len(rows) / CHUNK_ROWS))
    if len(rows) >= PARALLEL_MIN_ROWS and THREADS > 1:
        parts = math.ceil(parts / THREADS) * THREADS
    return [
        (part, {**fixed, **{k: v[part] for k, v in columns.items()}})
        for part in np.array_split(rows, parts)
    ]


#: The engines :func:`sweep` offers (see its ``engine``).
ENGINES = ("auto", "numpy", "compiled")
#: The engine a sweep uses when not told: NumPy, whose every cell equals ``run`` to the
#: last bit (the compiled engine is equal within ulps; callers opt in with "auto").
ENGINE = "numpy"


def _run_compiled(engine: str, *args: Any) -> bool:
    """Whether the compiled engine ran the sweep (``"auto"``: only when numba is there and
    the kernel is ready; ``"compiled"``: it must)."""
    if engine == "numpy":
        return False
    from . import compiled

    if engine == "auto" and not compiled.available():
        return False
    return compiled.sweep_into(*args, wait=None if engine == "compiled" else 0.0)


def sweep(
    objective: Objective,
    optimizer_name: str,
    grid: Mapping[str, Sequence[float]],
    x0: Any,
    steps: int,
    *,
    seed: int = 0,
    noise: float | None = None,
    tol: float = 1e-6,
    fixed: Mapping[str, float] | None = None,
    box: float = DEFAULT_BOX,
    engine: str | None = None,
) -> SweepResult:
    """Run every configuration of ``grid`` from ``x0`` for ``steps`` steps; keep summaries.

    ``grid`` maps hyperparameter names of optimizer ``optimizer_name`` to 1-D sequences;
    the configurations are their cartesian product, in the grid's key order (C order:
    the last axis varies fastest). ``fixed`` sets other hyperparameters to single values;
    the rest take the spec's defaults (``optimizers.get(optimizer_name).defaults``).
    ``noise`` is σ (``None``: the objective's default), ``seed`` the noise seed, ``box``
    the divergence box, ``tol`` the threshold of ``steps_to_tol``.

    Every cell equals :func:`optviz.run` with that configuration, to the last bit; see
    :class:`SweepResult` for the definitions. Nothing is stored per step, so memory is
    ``O(B)``. Divergence never raises or warns.

    ``engine`` (None: :data:`ENGINE`, ``"numpy"``): ``"numpy"`` runs the NumPy loop;
    ``"compiled"`` the numba kernel of :mod:`optviz.compiled`, waiting for it to compile
    (:class:`~optviz.compiled.CompiledUnavailable` when it cannot); ``"auto"`` the kernel
    when it is ready, else NumPy (starting its compile in the background). The compiled
    engine's numbers equal the NumPy loop's within :data:`optviz.compiled.ULP_BOUND` ulps,
    its divergence steps and ``steps_to_tol`` exactly.
    """
    engine = ENGINE if engine is None else engine
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    spec = optimizers.get(optimizer_name)
    steps = _check_steps(steps)
    sigma = _check_sigma(noise, objective)
    seed = _check_seed(seed)
    start = _check_x0(x0)
    tol = _check_number("tol", tol)
    box = _check_box(box)
    axes_values = _check_grid(spec, grid)
    rest = _check_fixed(spec, fixed, axes_values)
    axes = tuple(axes_values)
    shape = tuple(len(v) for v in axes_values.values())
    size = math.prod(shape)

    mesh = np.meshgrid(*axes_values.values(), indexing="ij") if axes else []
    columns = {a: m.reshape(-1) for a, m in zip(axes, mesh)}
    optimizers.build(optimizer_name, **rest, **columns)  # validate the whole batch once

    f_min = objective.f_min
    with np.errstate(all="ignore"):
        point = np.array(start)
        v0 = float(objective.value(point))
        start_bad = not (math.isfinite(v0) and np.isfinite(point).all())
        start_bad = start_bad or bool((np.abs(point) > box).any())
        hit0 = f_min is not None and bool(v0 - f_min < tol)

    out = _Outputs(
        final_value=np.full(size, np.nan),
        best_value=np.full(size, v0),
        steps_to_tol=np.full(size, 0 if hit0 else -1, dtype=np.int64),
        diverged_at=np.full(size, 0 if start_bad else -1, dtype=np.int64),
        final_position=np.full((size, 2), np.nan),
    )
    if not start_bad:
        if steps == 0:
            out.final_value[:] = v0
            out.final_position[:] = start
        else:
            xi = gradient_noise(seed, steps, 1) * sigma if sigma > 0 else None
            if not _run_compiled(engine, objective, optimizer_name, columns, rest, start,
                                 steps, xi, box, f_min, tol, v0, hit0, out):  # fmt: skip
                problem = _Problem(objective, optimizer_name, start, steps, xi, box, f_min, tol)
                items = _chunks(columns, rest)
                jobs = [(problem, rows, hyper, out, v0, hit0) for rows, hyper in items]
                workers = min(THREADS, os.cpu_count() or 1, len(jobs))
                workers = workers if size >= PARALLEL_MIN_ROWS else 1
                if workers > 1:
                    with ThreadPoolExecutor(max_workers=workers) as pool:
                        for future in [pool.submit(_run_chunk, *job) for job in jobs]:
                            future.result()
                else:
                    for job in jobs:
                        _run_chunk(*job)

    final_distance = np.full(size, np.nan)
    if objective.minima:
        with np.errstate(all="ignore"):
            px, py = out.final_position[:, 0], out.final_position[:, 1]
            dists = [np.hypot(px - m.point[0], py - m.point[1]) for m in objective.minima]
            final_distance = np.min(np.stack(dists), axis=0)  # NaN stays NaN

    def grid_shaped(arr: Array) -> Array:
        arr = arr.reshape(shape)
        arr.setflags(write=False)
        return arr

    diverged_at = grid_shaped(out.diverged_at)
    return SweepResult(
        final_value=grid_shaped(out.final_value),
        best_value=grid_shaped(out.best_value),
        steps_to_tol=grid_shaped(out.steps_to_tol),
        diverged=grid_shaped(diverged_at >= 0),
        diverged_at=diverged_at,
        final_distance=grid_shaped(final_distance),
        grid=dict(axes_values),
        axes=axes,
        objective=objective.name,
        optimizer=optimizer_name,
        x0=start,
        steps=steps,
        noise=sigma,
        seed=seed,
        tol=tol,
        box=box,
        f_min=f_min,
        fixed=rest,
        start_value=v0,
    )


# ---------------------------------------------------------------------------
# Comparing optimizers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GridScore:
    """How much of one optimizer's own grid works: :func:`grid_score`'s answer.

    ``cells`` configurations, ``solved`` of them end with ``f − f_min ≤ target``,
    ``diverged`` of them diverged; ``quartiles`` are the 25th, 50th and 75th percentiles
    of ``log10 max(f − f_min, CONVERGED_GAP)`` over all cells (a diverged cell counts as
    +∞, so a quartile is +∞ once more than that share diverged), and ``spread`` is
    the interquartile range in decades (+∞ likewise). For a function without a minimum
    ``target``, ``solved``, ``quartiles`` and ``spread`` are None.
    """

    optimizer: str
    cells: int
    solved: int | None
    diverged: int
    target: float | None
    quartiles: tuple[float, float, float] | None
    budget: int
    grid_text: str

    @property
    def share(self) -> float | None:
        """The share of the grid solved (0 … 1), None without a minimum."""
        return None if self.solved is None else self.solved / self.cells

    @property
    def diverged_share(self) -> float:
        return self.diverged / self.cells

    @property
    def spread(self) -> float | None:
        """Decades between the first and third quartile of the final gaps."""
        if self.quartiles is None:
            return None
        low, _mid, high = self.quartiles
        return math.inf if math.isinf(high) else high - low

    def spread_text(self) -> str:
        """ "0.93 decades", "— (over a quarter diverged)", "—" without a minimum."""
        spread = self.spread
        if spread is None:
            return "—"
        if math.isinf(spread):
            return "— (over a quarter diverged)"
        return f"{spread:.2g} decades"


def _pct(ratio: float) -> str:
    return f"{100 * ratio:.3g} %"


def score_table(rows: Sequence[tuple[str, GridScore]]) -> str:
    """A Markdown table of labelled :class:`GridScore`\\ s: grid, budget, solved, diverged,
    spread — the numbers and what they were measured on, side by side."""
    lines = [
        "| optimizer | grid | steps | solved | diverged | spread of final f − f_min |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, score in rows:
        solved = "—" if score.share is None else _pct(score.share)
        lines.append(
            f"| {label} | {score.grid_text} | {score.budget} | {solved} | "
            f"{_pct(score.diverged_share)} | {score.spread_text()} |"
        )
    return "\n".join(lines)


def grid_text(result: SweepResult) -> str:
    """ "ρ 0.5–0.9999 × ε 1e-10–0.1, 30 × 30" or "η 1e-5–1, 4 values": the grid of a sweep
    (each axis with its range), for the words beside a score."""
    spec = optimizers.get(result.optimizer)

    def axis(name: str) -> str:
        values = np.asarray(result.grid[name], dtype=np.float64)
        symbol = spec.hyperparam(name).label.split()[0]
        return f"{symbol} {_short(float(values.min()))}–{_short(float(values.max()))}"

    names = " × ".join(axis(a) for a in result.axes)
    if len(result.axes) == 1:
        return f"{names}, {result.shape[0]} values"
    return f"{names}, " + " × ".join(str(n) for n in result.shape)


def _short(v: float) -> str:
    """1e-10, 0.9999, 10: a grid's end as the table prints it."""
    return f"{v:.4g}".replace("e-0", "e-").replace("e+0", "e")


def grid_score(result: SweepResult, reduction: float = SUCCESS_REDUCTION) -> GridScore:
    """The one measure of insensitivity optviz uses: how much of an optimizer's **own**
    grid solves the problem, and how much the results vary over it.

    Definition (with Δ₀ = f(x₀) − f_min the start's gap and the final gap
    Δ = f(x_T) − f_min of each cell):

    * a cell is **solved** when Δ ≤ ``reduction`` × Δ₀ (by default 10⁻³: it closed
      99.9 % of the start's gap within the budget), and has not diverged;
    * the **spread** is the interquartile range, in decades, of log₁₀ max(Δ,
      :data:`CONVERGED_GAP`) over every cell, diverged cells counted as +∞.

    Each optimizer is judged against the problem and its own grid only — never against
    the best cell of another, so one lucky cell cannot decide every share, and a finer
    grid over the same ranges converges to the same numbers instead of flipping them.
    The grid, its resolution and the budget are part of the answer (``grid_text``,
    ``budget``): a share means nothing without them.
    """
    reduction = _check_number("reduction", reduction)
    if not 0 < reduction < 1:
        raise ValueError(f"reduction = {reduction!r} must be between 0 and 1")
    finals = np.asarray(result.final_value, dtype=np.float64).reshape(-1)
    diverged = np.asarray(result.diverged).reshape(-1) | ~np.isfinite(finals)
    cells = int(finals.size)
    solved = target = quartiles = None
    if result.f_min is not None and math.isfinite(result.start_value):
        target = reduction * max(result.start_value - result.f_min, 0.0)
        with np.errstate(all="ignore"):
            gap = np.where(diverged, np.inf, finals - result.f_min)
        solved = int(np.count_nonzero(~diverged & (gap <= target)))
        logs = np.log10(np.maximum(gap, CONVERGED_GAP))
        with np.errstate(invalid="ignore"):  # between two +∞: NaN, read as +∞
            q = np.quantile(logs, [0.25, 0.5, 0.75], method="linear")
        quartiles = tuple(float(v) if math.isfinite(v) else math.inf for v in q)
    return GridScore(
        optimizer=result.optimizer,
        cells=cells,
        solved=solved,
        diverged=int(np.count_nonzero(diverged)),
        target=target,
        quartiles=quartiles,
        budget=result.steps,
        grid_text=grid_text(result),
    )


# ---------------------------------------------------------------------------
# Default grids
# ---------------------------------------------------------------------------


def _is_decay(hp: optimizers.HyperParam) -> bool:
    """A rate in [0, 1) like ρ or β: gridded in log(1 − value)."""
    return not hp.log and hp.low == 0.0 and hp.high == 1.0 and hp.high_open


def _axis(hp: optimizers.HyperParam, resolution: int) -> Array:
    lo, hi = hp.ui_low, hp.ui_high
    if hp.log:
        if lo <= 0:
            raise ValueError(f"{hp.name}: a log-scaled range must start above 0")
        values = np.logspace(math.log10(lo), math.log10(hi), resolution)
    elif _is_decay(hp):
        # 1 − value log-spaced from 1 − lo to 1 − hi: 0.9, 0.99, 0.999, 0.9999 get equal room
        values = 1.0 - np.logspace(math.log10(1.0 - lo), math.log10(1.0 - hi), resolution)
    else:
        values = np.linspace(lo, hi, resolution)
    values[0], values[-1] = lo, hi
    return values


def default_grid(optimizer_name: str, resolution: int) -> dict[str, Array]:
    """A grid over the optimizer's usual hyperparameters (:func:`sweep_axes`), each
    spanning its slider range ``[ui_low, ui_high]`` with ``resolution`` values, ascending
    and with both ends exact.

    * log-scaled hyperparameters (``lr``, ``eps``): log-uniform;
    * decay rates in [0, 1) (``rho``, ``beta``, ``beta1``, ``beta2``): uniform in
      ``log(1 − value)``, so that 0.9, 0.99, 0.999 and 0.9999 are equally represented
      (ADADELTA's ρ: 0.5 … 0.9999; the paper tried 0.9 … 0.99);
    * any other: uniform.

    The built-in specs sweep ADADELTA: ρ × ε; SGD: η; momentum and Nesterov: η × β;
    ADAGRAD: η × ε; RMSprop: η × ρ; Adam: η × β₁. A spec without ``sweep_axes`` sweeps
    its first two hyperparameters.
    """
    spec = optimizers.get(optimizer_name)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"resolution must be a whole number, got {resolution!r}")
    if resolution < 2:
        raise ValueError(f"resolution = {resolution} must be ≥ 2")
    axes = spec.axes
    return {name: _axis(spec.hyperparam(name), int(resolution)) for name in axes}
