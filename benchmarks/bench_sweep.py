"""How fast is ``ov.sweep``? A 100 × 100 ADADELTA ρ × ε grid × 500 steps on Rosenbrock.

Run with ``python benchmarks/bench_sweep.py`` (a few seconds). Prints trajectory-steps per
second (configurations × steps / wall time, best of N after a warm-up) for

* ``ov.sweep`` (one vectorised batch, summaries only), in one thread and in two;
* ``ov.run`` with the whole grid as one batch of array hyperparameters (full history);
* ``ov.run`` one configuration at a time, the plain Python loop (100 of the 10,000
  configurations timed, spread over the grid, and extrapolated).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np

import optviz as ov
from optviz import sweeps

STEPS = 500
RESOLUTION = 100
START = (-1.5, 2.0)


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    objective = ov.objectives.get("rosenbrock")
    grid = sweeps.default_grid("adadelta", RESOLUTION)
    cells = RESOLUTION * RESOLUTION
    print(
        f"problem: ADADELTA ρ × ε grid {RESOLUTION} × {RESOLUTION} ({cells:,} configurations:"
        f" ρ {grid['rho'][0]:g} … {grid['rho'][-1]:g} in log(1−ρ), ε {grid['eps'][0]:g} … "
        f"{grid['eps'][-1]:g}) × {STEPS} steps, Rosenbrock from {START}"
    )
    work = cells * STEPS
    rows: list[tuple[str, float, bool]] = []

    threads = sweeps.THREADS
    for n in sorted({1, 2, threads}):
        sweeps.THREADS = n
        t = best_of(lambda: ov.sweep(objective, "adadelta", grid, START, STEPS), 5)
        label = f"ov.sweep, {n} thread{'s' if n > 1 else ''}"
        rows.append((label + (" (default)" if n == threads else ""), t, False))
    sweeps.THREADS = threads
    result = ov.sweep(objective, "adadelta", grid, START, STEPS)

    rho, eps = (m.reshape(-1) for m in np.meshgrid(grid["rho"], grid["eps"], indexing="ij"))
    batch = ov.optimizers.adadelta(rho=rho, eps=eps)
    t = best_of(lambda: ov.run(objective, batch, START, STEPS), 1)
    rows.append(("ov.run, grid as one batch (full history)", t, False))

    sample = np.linspace(0, cells - 1, 100).round().astype(int)
    configs = [result.configuration(int(i)) for i in sample]
    built = [ov.optimizers.build("adadelta", **c) for c in configs]

    def one_at_a_time() -> None:
        for opt in built:
            ov.run(objective, opt, START, STEPS)

    t = best_of(one_at_a_time, 3) * cells / len(built)
    rows.append(("ov.run, one configuration at a time*", t, True))

    fastest = min(t for _, t, _ in rows)
    print()
    print(f"{'method':<44} {'time (s)':>10} {'traj-steps/s':>14} {'vs sweep':>9}")
    print("-" * 80)
    for label, t, _ in rows:
        print(f"{label:<44} {t:>10.3f} {work / t:>14.3g} {t / fastest:>8.1f}×")
    print("-" * 80)
    print(f"* 100 configurations timed, extrapolated to all {cells:,}")
    print(
        f"sweep: {int(result.diverged.sum())} of {cells:,} cells diverged; "
        f"best final f = {np.nanmin(result.final_value):.3g}"
    )


if __name__ == "__main__":
    main()
