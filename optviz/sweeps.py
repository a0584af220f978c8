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

The same loop runs rows with their own start and their own noise row: :func:`sigma_sweep`
(one configuration, every noise scale σ × seed as one batch) and :func:`basins` (one
configuration from a grid of starts: which listed minimum each reaches, and in how many
steps). Each row equals the one-start :func:`optviz.run` with that start, seed and σ.

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
    "DIVERGED",
    "ESCAPED",
    "NO_MINIMUM",
    "PAPER_GRID",
    "SUCCESS_REDUCTION",
    "THREADS",
    "BasinMap",
    "GridScore",
    "NoiseResult",
    "SweepResult",
    "basins",
    "default_grid",
    "grid_score",
    "grid_text",
    "score_table",
    "sigma_sweep",
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

    ``start_value`` is :math:`f(x_0)`, the same for every cell. ``engine`` says what ran
    the cells: ``"numpy"``, ``"compiled"`` (the numba kernel) or ``"none"`` (no step ran:
    0 steps, or a start that had already diverged).

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
    engine: str = "numpy"

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
    starts: Array  # (B, 2): each row's start
    steps: int
    xi: Array | None  # (steps, K, 2): σ × the noise of K noise rows
    noise_row: Array  # (B,) int: the noise row each row adds (all 0 when K = 1)
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
    problem: _Problem, rows: Array, hyper: dict[str, Any], out: _Outputs, best0: Array, hit0: Array
) -> None:
    """Run rows ``rows`` (configurations ``hyper``) for all steps and store their summaries.

    Step ``t`` (1 … T) is run's step ``t − 1``: gradient at ``x_{t−1}`` plus the row's
    noise row, ``optimizer.step``, ``x_t = x_{t−1} + Δx``. Then ``f(x_t)`` and the
    divergence test; a row that fails it records ``t`` and its position becomes NaN, so it
    stays NaN (and is left out of every summary) until the end.
    """
    with np.errstate(all="ignore"):  # errstate is per thread: set it in the worker
        opt = optimizers.build(problem.optimizer, **hyper)
        n = len(rows)
        coords = np.empty((2, n))  # coordinate-major storage
        coords[0] = problem.starts[rows, 0]
        coords[1] = problem.starts[rows, 1]
        pos = coords.T  # the (n, 2) view every API sees
        g = np.empty((2, n)).T
        state = opt.init(pos)
        state = type(state)(*(np.asfortranarray(f) for f in state))
        step, grad, value = opt.step, problem.objective.grad, problem.objective.value
        xi, box, f_min, tol = problem.xi, problem.box, problem.f_min, problem.tol

        hit0 = hit0[rows]
        best = np.array(best0[rows], dtype=np.float64)
        steps_to_tol = np.where(hit0, 0, -1).astype(np.int64)
        diverged_at = np.full(n, -1, dtype=np.int64)
        pending = ~hit0 if f_min is not None else np.zeros(n, dtype=bool)  # looking for tol
        # one noise row for every row (a sweep), or each row its own (seeds, σ)
        own = None if xi is None or xi.shape[1] == 1 else problem.noise_row[rows]
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
                g += xi[t - 1] if own is None else xi[t - 1, own]
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
    columns: dict[str, Array], fixed: dict[str, float], size: int
) -> list[tuple[Array, dict[str, Any]]]:
    """Split the ``size`` rows into ``(rows, hyperparameters)`` work items of at most
    :data:`CHUNK_ROWS` rows (a multiple of :data:`THREADS` items for large batches)."""
    rows = np.arange(size)
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
    """Whether the compiled engine ran the rows (``"auto"``: only when numba is there and
    the kernel is ready; ``"compiled"``: it must)."""
    if engine == "numpy":
        return False
    from . import compiled

    if engine == "auto" and not compiled.available():
        return False
    return compiled.sweep_into(*args, wait=None if engine == "compiled" else 0.0)


def _check_engine(engine: str | None) -> str:
    engine = ENGINE if engine is None else engine
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


def _summaries(
    objective: Objective,
    optimizer_name: str,
    columns: dict[str, Array],
    rest: dict[str, float],
    starts: Array,
    steps: int,
    xi: Array | None,
    noise_row: Array,
    box: float,
    f_min: float | None,
    tol: float,
    engine: str,
    v0: Array,
) -> tuple[_Outputs, str]:
    """Run ``B`` rows — row ``b`` from ``starts[b]`` with hyperparameters ``rest`` and
    ``columns[·][b]``, adding noise row ``noise_row[b]`` of ``xi`` (``(steps, K, 2)``,
    σ already applied; None: no noise) — and return their flat summaries, and the
    engine that ran them (``"numpy"``, ``"compiled"``, or ``"none"`` when no row took a
    step). ``v0`` is ``f(starts)`` per row. A row whose start is not finite, is outside
    the box or has no finite value diverged at 0 and never runs."""
    size = len(starts)
    with np.errstate(all="ignore"):
        v0 = np.array(np.broadcast_to(np.asarray(v0, dtype=np.float64), (size,)))
        start_bad = ~(np.isfinite(v0) & np.isfinite(starts).all(axis=1))
        start_bad |= (np.abs(starts) > box).any(axis=1)
        hit0 = (v0 - f_min < tol) if f_min is not None else np.zeros(size, dtype=bool)
    out = _Outputs(
        final_value=np.full(size, np.nan),
        best_value=v0.copy(),
        steps_to_tol=np.where(hit0, 0, -1).astype(np.int64),
        diverged_at=np.where(start_bad, 0, -1).astype(np.int64),
        final_position=np.full((size, 2), np.nan),
    )
    good = np.flatnonzero(~start_bad)
    if good.size == 0:
        return out, "none"
    if steps == 0:
        out.final_value[good] = v0[good]
        out.final_position[good] = starts[good]
        return out, "none"
    whole = good.size == size
    if whole:
        sub, cols, first, rows_noise = out, columns, starts, noise_row
    else:  # run the good rows only, then put their summaries in place
        n = good.size
        sub = _Outputs(np.full(n, np.nan), v0[good], out.steps_to_tol[good],
                       np.full(n, -1, dtype=np.int64), np.full((n, 2), np.nan))  # fmt: skip
        cols = {k: v[good] for k, v in columns.items()}
        first, rows_noise = starts[good], noise_row[good]
    best0, hits = v0 if whole else v0[good], hit0 if whole else hit0[good]
    if _run_compiled(engine, objective, optimizer_name, cols, rest, first, steps, xi,
                     rows_noise, box, f_min, tol, best0, hits, sub):  # fmt: skip
        used = "compiled"
    else:
        used = "numpy"
        problem = _Problem(objective, optimizer_name, first, steps, xi, rows_noise, box, f_min, tol)
        items = _chunks(cols, rest, len(first))
        jobs = [(problem, rows, hyper, sub, best0, hits) for rows, hyper in items]
        workers = min(THREADS, os.cpu_count() or 1, len(jobs))
        workers = workers if len(first) >= PARALLEL_MIN_ROWS else 1
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for future in [pool.submit(_run_chunk, *job) for job in jobs]:
                    future.result()
        else:
            for job in jobs:
                _run_chunk(*job)
    if not whole:
        for name in ("final_value", "best_value", "steps_to_tol", "diverged_at", "final_position"):
            getattr(out, name)[good] = getattr(sub, name)
    return out, used


def _nearest_distance(objective: Objective, positions: Array) -> Array:
    """Euclidean distance from each ``(B, 2)`` position to the nearest listed minimum
    (NaN where the position is NaN or there are no minima)."""
    if not objective.minima:
        return np.full(len(positions), np.nan)
    with np.errstate(all="ignore"):
        px, py = positions[:, 0], positions[:, 1]
        dists = [np.hypot(px - m.point[0], py - m.point[1]) for m in objective.minima]
        return np.min(np.stack(dists), axis=0)  # NaN stays NaN


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
    engine = _check_engine(engine)
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
        v0 = float(objective.value(np.array(start)))
    xi = gradient_noise(seed, steps, 1) * sigma if sigma > 0 and steps > 0 else None
    starts = np.empty((size, 2))
    starts[:] = start
    out, used = _summaries(objective, optimizer_name, columns, rest, starts, steps, xi,
                           np.zeros(size, dtype=np.int64), box, f_min, tol, engine, v0)  # fmt: skip
    final_distance = _nearest_distance(objective, out.final_position)

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
        engine=used,
    )


# ---------------------------------------------------------------------------
# Noise levels × seeds, and start points, as one batch each
# ---------------------------------------------------------------------------


def _one_configuration(optimizer_name: str, hyperparams: Mapping[str, float] | None) -> dict:
    """``hyperparams`` checked as single values (the spec's defaults for the rest)."""
    rest = _check_fixed(optimizers.get(optimizer_name), hyperparams, {})
    optimizers.build(optimizer_name, **rest)
    return rest


@dataclass(frozen=True, eq=False)
class NoiseResult:
    """:func:`sigma_sweep`'s answer: ``final_value[i, j]`` is f(x_T) of the run with noise
    scale ``sigmas[i]`` and seed ``seeds[j]`` (NaN where it diverged), exactly
    ``optviz.run(…, seed=seeds[j], noise=sigmas[i]).values[-1]``; ``diverged`` likewise.
    ``engine`` is what ran the noisy rows (``"numpy"``, ``"compiled"``, ``"none"``)."""

    sigmas: tuple[float, ...]
    seeds: tuple[int, ...]
    final_value: Array
    diverged: Array
    f_min: float | None
    engine: str


def sigma_sweep(
    objective: Objective,
    optimizer_name: str,
    hyperparams: Mapping[str, float] | None,
    x0: Any,
    steps: int,
    sigmas: Sequence[float],
    seeds: Sequence[int],
    *,
    box: float = DEFAULT_BOX,
    engine: str | None = None,
) -> NoiseResult:
    """One configuration from one start, for every noise scale σ × seed, as one batch.

    Row ``(i, j)`` adds ``gradient_noise(seeds[j], steps, 1)[:, 0] * sigmas[i]`` to every
    gradient — the very noise :func:`optviz.run` draws for one start with that seed and σ,
    so every number equals that run's (the compiled engine: within
    :data:`optviz.compiled.ULP_BOUND` ulps; bit-equal on + − × ÷ and √). σ = 0 runs once,
    without noise (no seed changes it), and fills its row.
    """
    engine = _check_engine(engine)
    rest = _one_configuration(optimizer_name, hyperparams)
    steps = _check_steps(steps)
    start = _check_x0(x0)
    box = _check_box(box)
    sig = tuple(_check_sigma(s, objective) for s in sigmas)
    seeds = tuple(_check_seed(s) for s in seeds)
    if not sig or not seeds:
        raise ValueError("sigma_sweep needs at least one σ and one seed")
    f_min = objective.f_min
    with np.errstate(all="ignore"):
        v0 = float(objective.value(np.array(start)))
    final = np.full((len(sig), len(seeds)), np.nan)
    dead = np.zeros((len(sig), len(seeds)), dtype=bool)
    used = "none"
    if 0.0 in sig:
        one = np.array([start])
        out, _ = _summaries(objective, optimizer_name, {}, rest, one, steps, None,
                            np.zeros(1, dtype=np.int64), box, None, 0.0, engine, v0)  # fmt: skip
        rows = [i for i, s in enumerate(sig) if s == 0.0]
        final[rows, :] = out.final_value[0]
        dead[rows, :] = out.diverged_at[0] >= 0
    noisy = [i for i, s in enumerate(sig) if s > 0]
    if noisy:
        base = [gradient_noise(s, steps, 1) for s in seeds]  # (steps, 1, 2) per seed
        xi = np.concatenate([b * sig[i] for i in noisy for b in base], axis=1)
        size = len(noisy) * len(seeds)
        starts = np.empty((size, 2))
        starts[:] = start
        out, used = _summaries(objective, optimizer_name, {}, rest, starts, steps, xi,
                               np.arange(size), box, None, 0.0, engine, v0)  # fmt: skip
        final[noisy, :] = out.final_value.reshape(len(noisy), len(seeds))
        dead[noisy, :] = (out.diverged_at >= 0).reshape(len(noisy), len(seeds))
    final.setflags(write=False)
    dead.setflags(write=False)
    return NoiseResult(sig, seeds, final, dead, f_min, used)


#: :attr:`BasinMap.label` of a start whose run diverged (left the box, or f not finite).
DIVERGED = -2
#: :attr:`BasinMap.label` of a start that ended inside the map's bounds but near no listed
#: minimum.
NO_MINIMUM = -1
#: :attr:`BasinMap.label` of a start that ended outside the map's bounds, near no listed
#: minimum, without diverging (the saddles' escape).
ESCAPED = -3
#: :func:`basins`' default radius: this share of the plot's larger side.
BASIN_RADIUS_SHARE = 0.01


@dataclass(frozen=True, eq=False)
class BasinMap:
    """:func:`basins`' answer: for each start of a grid, which listed minimum it reached.

    ``xs`` (``nx``) and ``ys`` (``ny``) are the starts' coordinates; every array is
    ``(ny, nx)``, row ``i`` at ``ys[i]``, column ``j`` at ``xs[j]``:

    ==================  ===============================================================
    ``label``           index into ``minima`` of the minimum the run ended within
                        ``radius`` of (the nearest); else :data:`DIVERGED` when it
                        diverged, :data:`ESCAPED` when it ended outside ``bounds``,
                        :data:`NO_MINIMUM` when it ended inside them
    ``steps``           for a minimum: the first step ``t`` with ``f(x_t) − f(m) < tol``
                        (−1 if never within the budget); for a diverged start the step it
                        diverged at; −1 otherwise
    ``final_distance``  distance from the last point to the nearest minimum (NaN when
                        diverged or there are none)
    ==================  ===============================================================

    Each start's numbers are :func:`optviz.run`'s from that start alone (noise row 0 of
    ``seed``, as the trajectory view draws one start).
    """

    xs: Array
    ys: Array
    bounds: tuple[tuple[float, float], tuple[float, float]]
    label: Array
    steps: Array
    final_distance: Array
    minima: tuple[tuple[float, float], ...]
    minimum_values: tuple[float, ...]
    objective: str
    optimizer: str
    hyperparams: dict[str, float]
    budget: int
    radius: float
    tol: float
    noise: float
    seed: int
    engine: str

    @property
    def size(self) -> int:
        return int(self.label.size)

    def counts(self) -> dict[int, int]:
        """How many starts ended in each class: every minimum's index, then
        :data:`NO_MINIMUM`, :data:`ESCAPED` and :data:`DIVERGED` (they add up to
        :attr:`size`)."""
        keys = [*range(len(self.minima)), NO_MINIMUM, ESCAPED, DIVERGED]
        return {k: int(np.count_nonzero(self.label == k)) for k in keys}


def basins(
    objective: Objective,
    optimizer_name: str,
    hyperparams: Mapping[str, float] | None,
    steps: int,
    *,
    resolution: int = 60,
    bounds: Any = None,
    seed: int = 0,
    noise: float | None = None,
    radius: float | None = None,
    tol: float = 1e-6,
    box: float = DEFAULT_BOX,
    engine: str | None = None,
) -> BasinMap:
    """Run one configuration from ``resolution × resolution`` starts — the centres of a
    grid of cells over ``bounds`` (``((x0, x1), (y0, y1))``, default the objective's plot
    bounds) — as one batch, and say which listed minimum each reaches (see
    :class:`BasinMap`). ``radius`` (default :data:`BASIN_RADIUS_SHARE` × the larger side)
    is how near the last point must be to a minimum to count as reaching it.

    Steps are measured against each minimum's own value: starts that end at a minimum
    whose value is not ``f_min`` (a local one) are run again, as one batch, with that
    value as the target (the runs are the same numbers, so only ``steps`` changes).
    """
    engine = _check_engine(engine)
    rest = _one_configuration(optimizer_name, hyperparams)
    steps = _check_steps(steps)
    sigma = _check_sigma(noise, objective)
    seed = _check_seed(seed)
    tol = _check_number("tol", tol)
    box = _check_box(box)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"resolution must be a whole number, got {resolution!r}")
    if not 1 <= resolution <= 1000:
        raise ValueError(f"resolution = {resolution} must be between 1 and 1000")
    try:
        (x_lo, x_hi), (y_lo, y_hi) = objective.bounds if bounds is None else bounds
        x_lo, x_hi, y_lo, y_hi = (_check_number("bounds", v) for v in (x_lo, x_hi, y_lo, y_hi))
    except (TypeError, ValueError) as err:
        raise ValueError(f"bounds must be ((x0, x1), (y0, y1)) of numbers: {err}") from None
    if not (x_lo < x_hi and y_lo < y_hi):
        raise ValueError(f"bounds {bounds!r} must have x0 < x1 and y0 < y1")
    side = max(x_hi - x_lo, y_hi - y_lo)
    radius = BASIN_RADIUS_SHARE * side if radius is None else _check_number("radius", radius)
    if radius <= 0:
        raise ValueError(f"radius = {radius!r} must be > 0")
    n = int(resolution)
    xs = x_lo + (np.arange(n) + 0.5) * ((x_hi - x_lo) / n)
    ys = y_lo + (np.arange(n) + 0.5) * ((y_hi - y_lo) / n)
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx): row i is ys[i]
    starts = np.column_stack([gx.reshape(-1), gy.reshape(-1)])
    size = len(starts)
    with np.errstate(all="ignore"):
        v0 = objective.value(starts)
    xi = gradient_noise(seed, steps, 1) * sigma if sigma > 0 and steps > 0 else None
    zeros = np.zeros(size, dtype=np.int64)
    f_min = objective.f_min
    out, used = _summaries(objective, optimizer_name, {}, rest, starts, steps, xi, zeros,
                           box, f_min, tol, engine, v0)  # fmt: skip
    minima = objective.minima
    label = np.full(size, NO_MINIMUM, dtype=np.int64)
    diverged = out.diverged_at >= 0
    nearest = _nearest_distance(objective, out.final_position)
    if minima:
        with np.errstate(all="ignore"):
            px, py = out.final_position[:, 0], out.final_position[:, 1]
            dists = np.stack([np.hypot(px - m.point[0], py - m.point[1]) for m in minima])
        which = np.argmin(np.where(np.isnan(dists), np.inf, dists), axis=0)
        near = ~diverged & (nearest <= radius)
        label[near] = which[near]
    with np.errstate(invalid="ignore"):
        px, py = out.final_position[:, 0], out.final_position[:, 1]
        outside = (px < x_lo) | (px > x_hi) | (py < y_lo) | (py > y_hi)
    label[(label == NO_MINIMUM) & outside & ~diverged] = ESCAPED
    label[diverged] = DIVERGED
    steps_to = np.full(size, -1, dtype=np.int64)
    for k, m in enumerate(minima):
        rows = np.flatnonzero(label == k)
        if rows.size == 0:
            continue
        if m.value == f_min:
            steps_to[rows] = out.steps_to_tol[rows]
        else:  # a local minimum: the same runs again, with its value as the target
            again, _ = _summaries(objective, optimizer_name, {}, rest, starts[rows], steps,
                                  xi, zeros[rows], box, m.value, tol, engine, v0[rows])  # fmt: skip
            steps_to[rows] = again.steps_to_tol
    steps_to[diverged] = out.diverged_at[diverged]

    def grid(arr: Array) -> Array:
        arr = arr.reshape(n, n)
        arr.setflags(write=False)
        return arr

    xs.setflags(write=False)
    ys.setflags(write=False)
    return BasinMap(
        xs=xs,
        ys=ys,
        bounds=((x_lo, x_hi), (y_lo, y_hi)),
        label=grid(label),
        steps=grid(steps_to),
        final_distance=grid(nearest),
        minima=tuple((float(m.point[0]), float(m.point[1])) for m in minima),
        minimum_values=tuple(float(m.value) for m in minima),
        objective=objective.name,
        optimizer=optimizer_name,
        hyperparams=rest,
        budget=steps,
        radius=float(radius),
        tol=tol,
        noise=sigma,
        seed=seed,
        engine=used,
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
