"""The compiled sweep engine against NumPy and jitted JAX, side by side in one run.

ADADELTA on Rosenbrock from (−1.5, 2), a 100 × 100 ρ × ε grid (``default_grid``) × 500
steps, every method computing the same summaries (final and best value, first step
under tol, divergence step). Run with ``python benchmarks/bench_compiled.py`` (about a
minute, most of it compiling). Prints trajectory-steps per second (cells × steps / wall
time, best of 7 rounds after a warm-up, the engines taking turns within each round):

* ``sweep(engine="numpy")``, the NumPy loop (one thread);
* ``sweep(engine="compiled")``: its compile in a fresh cache folder, then a load of the
  same kernel from numba's disk cache (a new process's first call), then runs;
* jitted float64 JAX, when ``jax`` is importable (a benchmark-only dependency): the same
  ``rule`` of ``optviz.optimizers`` on ``jax.numpy`` arrays with ``jnp.sqrt``, the
  gradient lambdified from the same SymPy expression, ``lax.fori_loop`` over the steps;
* a ``torch.optim`` loop, when ``torch`` is importable (benchmark-only, CPU, float64): how
  a torch user sweeps a grid. ``torch.optim.Adadelta`` takes one ρ and ε per parameter
  group, so every cell is a group of its own (its (1, 2) point as the parameter), and each
  step is ``zero_grad``, the summed Rosenbrock's ``backward`` and ``step`` (``foreach``
  cannot batch groups with different hyperparameters). Run on a subset of ``TORCH_CELLS``
  cells spread over the grid (the whole grid would take minutes); its steps/s are the
  subset's, and its final values are compared with the sweep's on those cells.

JAX and torch are for this comparison only, never the project's dependencies: e.g.
``python -m venv /tmp/bench && /tmp/bench/bin/pip install -e . jax torch==2.13.0`` (this
machine has torch 2.13.0's CPU build on disk), then ``/tmp/bench/bin/python
benchmarks/bench_compiled.py``.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np
import sympy as sp

import optviz as ov
from optviz import compiled, objectives, optimizers, sweeps

STEPS = 500
RESOLUTION = 100
START = (-1.5, 2.0)
TOL = 1e-6


ROUNDS = 7


def interleaved(fns: dict, rounds: int = ROUNDS) -> dict:
    """Best time of each function over ``rounds`` rounds, each round running every
    function once in turn (after one warm-up each), so that a change in the machine's
    load during the run hits all of them alike."""
    for fn in fns.values():
        fn()
    times: dict = {label: [] for label in fns}
    for _ in range(rounds):
        for label, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t0)
    return {label: min(ts) for label, ts in times.items()}


def jax_sweep(objective: objectives.Objective, grid: dict):
    """A jitted JAX function running the whole grid, or None without jax."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    opt = optimizers.build("adadelta")
    rule = opt.rule
    rho, eps = (m.reshape(-1) for m in np.meshgrid(grid["rho"], grid["eps"], indexing="ij"))
    one_minus_rho = 1.0 - rho
    gradient, _ = objectives.differentiate(objective.expr)
    modules = [objectives._POWERS, jnp]
    grad_fn = sp.lambdify((objectives.X, objectives.Y), gradient, modules=modules)
    value_fn = sp.lambdify((objectives.X, objectives.Y), objective.expr, modules=modules)
    f_min = objective.f_min
    box = sweeps.DEFAULT_BOX

    @jax.jit
    def run(rho, one_minus_rho, eps):
        n = rho.shape[0]
        hp = optimizers._HP(
            rho=rho[:, None], one_minus_rho=one_minus_rho[:, None], eps=eps[:, None],
            lr=1.0, neg_lr=-1.0,
        )  # fmt: skip
        pos = jnp.tile(jnp.array(START), (n, 1))
        v0 = value_fn(*START)
        fields = (jnp.zeros((n, 2)), jnp.zeros((n, 2)))
        carry = (pos, fields, jnp.full(n, v0), jnp.full(n, -1), jnp.full(n, -1), jnp.full(n, v0))

        def step(t, carry):
            pos, fields, best, stt, div, _ = carry
            gx, gy = grad_fn(pos[:, 0], pos[:, 1])
            upd, fields, _ = rule(jnp.stack([gx, gy], axis=1), fields, hp, jnp.sqrt)
            pos = pos + upd
            v = value_fn(pos[:, 0], pos[:, 1])
            ok = (jnp.max(jnp.abs(pos), axis=1) <= box) & jnp.isfinite(v)
            div = jnp.where((div < 0) & ~ok, t, div)
            pos = jnp.where(ok[:, None], pos, jnp.nan)
            best = jnp.where(ok & (v < best), v, best)
            stt = jnp.where((stt < 0) & ok & (v - f_min < TOL), t, stt)
            return pos, fields, best, stt, div, jnp.where(ok, v, jnp.nan)

        return jax.lax.fori_loop(1, STEPS + 1, step, carry)

    args = tuple(jnp.asarray(a) for a in (rho, one_minus_rho, eps))
    return lambda: jax.block_until_ready(run(*args)), jax.__version__


#: the cells of the grid the torch.optim loop runs (every len(grid) / TORCH_CELLS-th)
TORCH_CELLS = 200


def torch_sweep(objective: objectives.Objective, grid: dict):
    """A ``torch.optim.Adadelta`` loop over ``TORCH_CELLS`` cells of the grid (one parameter
    group per cell), as ``(run, cells, version)``; ``run()`` returns each cell's final
    Rosenbrock value. None without torch, or for an objective other than Rosenbrock."""
    try:
        import torch
    except ImportError:
        return None
    if objective.name != "rosenbrock":
        return None
    rho, eps = (m.reshape(-1) for m in np.meshgrid(grid["rho"], grid["eps"], indexing="ij"))
    picked = np.linspace(0, rho.size - 1, TORCH_CELLS).round().astype(int)
    torch.set_num_threads(1)

    def run() -> np.ndarray:
        points = [torch.tensor([START], dtype=torch.float64, requires_grad=True) for _ in picked]
        groups = [
            {"params": [p], "rho": float(rho[i]), "eps": float(eps[i])}
            for p, i in zip(points, picked)
        ]
        opt = torch.optim.Adadelta(groups, lr=1.0)
        for _ in range(STEPS):
            opt.zero_grad()
            xy = torch.cat(points)
            x, y = xy[:, 0], xy[:, 1]
            ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum().backward()
            opt.step()
        with torch.no_grad():
            xy = torch.cat(points)
            x, y = xy[:, 0], xy[:, 1]
            return ((1 - x) ** 2 + 100 * (y - x**2) ** 2).numpy()

    return run, picked, torch.__version__


def main() -> None:
    import numba

    print(
        f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, numba {numba.__version__}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    objective = ov.objectives.get("rosenbrock")
    grid = sweeps.default_grid("adadelta", RESOLUTION)
    cells = RESOLUTION * RESOLUTION
    work = cells * STEPS
    print(
        f"problem: ADADELTA ρ × ε {RESOLUTION} × {RESOLUTION} ({cells:,} cells) × {STEPS} steps,"
        f" Rosenbrock from {START}; compiled: {compiled.THREADS} threads, chunks of "
        f"{compiled.CHUNK} cells"
    )

    def sweep(engine: str) -> sweeps.SweepResult:
        return ov.sweep(objective, "adadelta", grid, START, STEPS, tol=TOL, engine=engine)

    with tempfile.TemporaryDirectory() as folder:
        os.environ["OPTVIZ_CACHE_DIR"] = folder
        t0 = time.perf_counter()
        first = sweep("compiled")
        total = time.perf_counter() - t0
        build = compiled.compile_seconds(objective, "adadelta")
        compiled._KERNELS.clear()  # as a new process: the kernel comes from the disk cache
        sweep("compiled")
        load = compiled.compile_seconds(objective, "adadelta")
        reference = sweep("numpy")
        same = all(
            np.array_equal(getattr(first, f), getattr(reference, f), equal_nan=True)
            for f in ("final_value", "best_value", "steps_to_tol", "diverged_at")
        )
        fns = {"compiled": lambda: sweep("compiled"), "numpy": lambda: sweep("numpy")}
        made = jax_sweep(objective, grid)
        jax_first = None
        if made is not None:
            run_jax, jax_version = made
            t0 = time.perf_counter()
            run_jax()
            jax_first = time.perf_counter() - t0
            fns[f"jax {jax_version} (jit, float64)"] = run_jax
        works = dict.fromkeys(fns, work)
        torch_made = torch_sweep(objective, grid)
        torch_label = None
        if torch_made is not None:
            run_torch, picked, torch_version = torch_made
            torch_label = f"torch {torch_version}.optim loop*"
            fns[torch_label] = run_torch
            works[torch_label] = len(picked) * STEPS
        rows = list(interleaved(fns).items())

    print()
    print(f"{'engine':<32} {'time (s)':>9} {'traj-steps/s':>13} {'compiled is':>12}")
    print("-" * 70)
    speed = {label: works[label] / t for label, t in rows}
    for label, t in rows:
        times_faster = speed["compiled"] / speed[label]
        print(f"{label:<32} {t:>9.4f} {speed[label]:>13.3g} {times_faster:>10.1f}× faster")
    print("-" * 70)
    if torch_label is not None:
        finals = run_torch()
        ours = first.final_value.reshape(-1)[picked]
        both = np.isfinite(finals) & np.isfinite(ours)
        gaps = np.abs(finals[both] - ours[both]) / np.maximum(np.abs(ours[both]), 1e-300)
        print(
            f"* torch: {len(picked)} cells of the grid (one parameter group each); its "
            f"final values against the sweep's on those cells, relative gap: median "
            f"{np.median(gaps):.1e}, {int((gaps < 1e-9).sum())} of {int(both.sum())} cells "
            f"under 1e-9, largest {gaps.max():.1e} (autograd's gradient is not the SymPy "
            "expression's: a last-bit difference per step can grow along a run)"
        )
    print(
        f"compiled: first call {total:.2f} s, of which compiling {build:.2f} s; loading it "
        f"from the disk cache {load:.2f} s"
    )
    if jax_first is not None:
        print(f"jax: first call (trace + XLA compile + run) {jax_first:.2f} s")
    else:
        print("jax: not installed (pip install jax to compare)")
    print(f"compiled summaries equal NumPy's to the last bit: {same}")
    print(f"{int(reference.diverged.sum())} of {cells:,} cells diverged")


if __name__ == "__main__":
    main()
