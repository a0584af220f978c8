"""How fast is ``ov.run``? Every optimizer on Rosenbrock, one start and a batch of starts.

Run with ``python benchmarks/bench_run.py`` (a few seconds). For each optimizer in
``ov.optimizers.names()`` it prints wall time (best of N after a warm-up) and
trajectory-steps per second (starts × steps / time) for

* one start × 1000 steps (the scalar fast path; best of 5; target < 20 ms), and
* a batch of 10⁴ starts × 500 steps with full history (best of 3 after a 100-start
  warm-up; target ≥ 10⁷ trajectory-steps/s),
* one start × 1000 steps on Rastrigin, whose gradient (cos) has no float path,

then splits one ADADELTA batch run into the step loop (``runner._loop_array``), ``f`` on
the whole history, and divergence masking (``runner._mask_divergence``).

Hyperparameters are chosen so that the single run does not diverge (SGD and momentum at
their default η = 0.01 blow up on Rosenbrock within a few steps).
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
from optviz import runner

START = (-1.5, 2.0)
SINGLE_STEPS = 1000
BATCH_STARTS = 10_000
BATCH_STEPS = 500
SINGLE_TARGET_MS = 20.0
BATCH_TARGET = 1e7

HYPERPARAMS = {  # anything not listed: the spec's defaults
    "sgd": {"lr": 1e-3},
    "momentum": {"lr": 1e-4, "beta": 0.9},
    "nesterov": {"lr": 1e-4, "beta": 0.9},
}


def best_of(fn, repeats: int, warm_up=None):
    """Best wall time of ``repeats`` calls after one warm-up call, and the last result."""
    (warm_up or fn)()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    objective = ov.objectives.get("rosenbrock")
    (x_lo, x_hi), (y_lo, y_hi) = objective.bounds
    rng = np.random.default_rng(0)
    starts = np.column_stack(
        [rng.uniform(x_lo, x_hi, BATCH_STARTS), rng.uniform(y_lo, y_hi, BATCH_STARTS)]
    )
    print(
        f"Rosenbrock; single: start {START} × {SINGLE_STEPS} steps; batch: "
        f"{BATCH_STARTS:,} uniform starts in the plot bounds × {BATCH_STEPS} steps, full history"
    )
    print()
    header = (
        f"{'optimizer':<10} {'single ms':>10} {'steps/s':>10} {'div':>5} │"
        f" {'batch s':>8} {'traj-steps/s':>13} {'diverged':>9} │ targets"
    )
    print(header)
    print("-" * len(header))
    for name in ov.optimizers.names():
        optimizer = ov.optimizers.build(name, **HYPERPARAMS.get(name, {}))
        single, traj = best_of(lambda opt=optimizer: ov.run(objective, opt, START, SINGLE_STEPS), 5)
        batch, batch_traj = best_of(
            lambda opt=optimizer: ov.run(objective, opt, starts, BATCH_STEPS),
            3,
            warm_up=lambda opt=optimizer: ov.run(objective, opt, starts[:100], BATCH_STEPS),
        )
        rate = BATCH_STARTS * BATCH_STEPS / batch
        ok_single = single * 1e3 < SINGLE_TARGET_MS
        ok_batch = rate >= BATCH_TARGET
        print(
            f"{name:<10} {single * 1e3:>10.2f} {SINGLE_STEPS / single:>10.3g}"
            f" {'yes' if traj.diverged_at >= 0 else 'no':>5} │"
            f" {batch:>8.3f} {rate:>13.3g} {int((batch_traj.diverged_at >= 0).sum()):>9,} │"
            f" {'ok' if ok_single else 'MISS'} / {'ok' if ok_batch else 'MISS'}"
        )
        del batch_traj
    print("-" * len(header))
    print(
        f"targets: single < {SINGLE_TARGET_MS:g} ms; batch ≥ {BATCH_TARGET:.0e} trajectory-steps/s"
    )
    print()
    array_path_single_runs()
    print()
    breakdown(objective, starts)


def array_path_single_runs(name: str = "rastrigin") -> None:
    """One start on an objective with no float path (its gradient needs cos): the price
    of exactness by construction, since such a run goes through NumPy on (1, 2) arrays."""
    objective = ov.objectives.get(name)
    assert objective.scalar_grad is None
    print(f"{name} (no float path: cos), one start × {SINGLE_STEPS} steps:")
    for key in ov.optimizers.names():
        optimizer = ov.optimizers.build(key, **HYPERPARAMS.get(key, {}))
        took, _ = best_of(
            lambda opt=optimizer: ov.run(objective, opt, objective.start, SINGLE_STEPS), 5
        )
        print(f"  {key:<10} {took * 1e3:>7.2f} ms")


def breakdown(objective: ov.Objective, starts: np.ndarray, name: str = "adadelta") -> None:
    """Where a batch run's time goes: the step loop, f on the history, divergence masking."""
    optimizer = ov.optimizers.build(name, **HYPERPARAMS.get(name, {}))
    parts = {
        "runner._loop_array": runner._loop_array,
        "runner._mask_divergence": runner._mask_divergence,
    }
    spent: dict[str, float] = {}

    def timed(key, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - t0

        return wrapper

    best: tuple[float, dict[str, float]] | None = None
    value = objective.value
    try:
        runner._loop_array = timed("runner._loop_array", parts["runner._loop_array"])
        runner._mask_divergence = timed("runner._mask_divergence", parts["runner._mask_divergence"])
        object.__setattr__(objective, "value", timed("objective.value (history)", value))
        for _ in range(2):
            spent.clear()
            t0 = time.perf_counter()
            ov.run(objective, optimizer, starts, BATCH_STEPS)
            total = time.perf_counter() - t0
            if best is None or total < best[0]:
                best = (total, dict(spent))
    finally:
        runner._loop_array = parts["runner._loop_array"]
        runner._mask_divergence = parts["runner._mask_divergence"]
        object.__setattr__(objective, "value", value)
    assert best is not None
    total, spent = best
    rest = total - sum(spent.values())
    items = ", ".join(f"{k} {v:.3f} s" for k, v in spent.items())
    print(
        f"{name} batch, where the time goes (best of 2, {total:.3f} s): {items}, "
        f"rest (allocation, noise, output) {rest:.3f} s"
    )


if __name__ == "__main__":
    main()
