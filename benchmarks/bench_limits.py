"""What does one rerun cost at each ceiling of ``optviz.limits``? (see README, "Limits")

Every case is computed cold (a value not seen before: a fresh seed or hyperparameter, so
no cache answers), in this process, on the calling thread, and timed end to end as the
page would compute it:

* Trajectories: 4, 7 and ``MAX_RUNS`` runs (each optimizer up to ``MAX_INSTANCES``
  times) at the most steps ``RUN_BUDGET`` allows them, runs + the figure + its JSON — on
  Rosenbrock (float path) and on Rastrigin (its gradient has no float path: NumPy arrays,
  the slow case), with and without noise;
* the ghost fan: ``MAX_GHOSTS`` paths at ``MAX_STEPS`` steps (one batched run);
* Sensitivity: one optimizer's sweep at the largest resolution ``WORK_BUDGET`` allows at
  ``MAX_STEPS``, and the σ chart of one optimizer (7 σ × ``NOISE_SEEDS`` seeds);
* a typed formula of the largest accepted size (first build, through the worker);
* the Network view's cheapest and one costly setting (its dearest, 60 epochs × 3 seeds,
  takes minutes: quoted from ``bench_network.py`` in the README, not rerun here).

Run: python benchmarks/bench_limits.py   (numbers vary 2× with this machine's load)
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402

from optviz import limits, optimizers  # noqa: E402
from optviz.figures import PathView, trajectory_figure  # noqa: E402
from optviz.scene import Scene  # noqa: E402


def _timed(label: str, fn) -> float:
    started = time.perf_counter()
    fn()
    took = time.perf_counter() - started
    print(f"  {label}: {took:.2f} s", flush=True)
    return took


def all_runs(objective: str, runs: int, noise: float, seed: int) -> str:
    """``runs`` runs (each optimizer up to ``MAX_INSTANCES`` times) at the most steps the
    budget allows them (``Scene.max_steps``): runs, figure and JSON, cold."""
    keys = [
        optimizers.instance_key(k, n)
        for n in range(1, limits.MAX_INSTANCES + 1)
        for k in optimizers.names()
    ][:runs]
    probe = Scene.of_objective(objective, optimizers=tuple(keys))
    scene = probe.replace(steps=probe.max_steps(), noise=noise, seed=seed)
    paths = [PathView(k, scene.label(k), optimizers.get(k), scene.run(k)) for k in scene.optimizers]
    fig = trajectory_figure(scene.plot_objective(), paths, frames=False)
    pio.to_json(fig, validate=False)
    return f"{len(keys)} runs × {scene.steps} steps"


def ghosts() -> None:
    import numpy as np

    from optviz import objectives

    obj = objectives.get("rastrigin")
    opt = optimizers.build("adadelta", rho=np.linspace(0.5, 0.9999, limits.MAX_GHOSTS))
    from optviz.runner import run

    run(obj, opt, obj.start, limits.MAX_STEPS)


def sensitivity_sweep() -> None:
    from optviz import objectives, sweeps

    obj = objectives.get("rosenbrock")
    res = max(
        r
        for r in limits.RESOLUTIONS
        if limits.MAX_STEPS * r**2 <= limits.WORK_BUDGET or r == limits.RESOLUTIONS[0]
    )
    print(f"    (ADADELTA ρ × ε at {res} × {res}, {limits.MAX_STEPS} steps)")
    sweeps.sweep(obj, "adadelta", sweeps.default_grid("adadelta", res), obj.start, limits.MAX_STEPS)


def noise_chart(objective: str = "rosenbrock") -> None:
    from optviz import objectives
    from optviz.runner import run

    obj = objectives.get(objective)
    opt = optimizers.build("adadelta")
    for sigma in (0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0):
        for seed in range(limits.NOISE_SEEDS):
            run(obj, opt, obj.start, limits.MAX_STEPS, seed=seed + 11, noise=sigma)


def formula() -> None:
    from optviz.formula import from_expression

    text = "+".join(f"sin({i}*x)*cos({i}*y)" for i in range(1, 40))[: limits.MAX_FORMULA_LENGTH]
    text = text[: text.rfind("+")]
    print(f"    ({len(text)} characters)")
    try:
        from_expression(text, bounds=((-2, 2), (-2, 2)))
    except ValueError as err:
        print(f"    refused: {err}")


def network(epochs: int, seeds: int) -> None:
    from optviz import network as net

    net.tables(epochs=epochs, seeds=tuple(range(seeds)), hidden=(100, 100))


def main() -> None:
    print(f"load average {os.getloadavg()}")
    all_runs("rosenbrock", 4, 0.0, 1)  # warm-up: imports, compiled objectives
    print(f"Trajectories at the budget ({limits.RUN_BUDGET} run-steps):")
    for objective in ("rosenbrock", "rastrigin"):
        for runs in (4, 7, limits.MAX_RUNS):
            for noise in (0.0, limits.MAX_NOISE):
                what = []
                _timed(
                    f"{objective}, σ = {noise:g}",
                    lambda o=objective, r=runs, n=noise, w=what: w.append(all_runs(o, r, n, 7)),
                )
                print(f"    ({what[0]})")
    _timed(f"{limits.MAX_GHOSTS} ghost paths × {limits.MAX_STEPS} steps, Rastrigin", ghosts)
    print("Sensitivity:")
    _timed("one optimizer's sweep at the work budget", sensitivity_sweep)
    _timed(f"the σ chart, one optimizer (7 σ × {limits.NOISE_SEEDS} seeds)", noise_chart)
    _timed("the same on Rastrigin", lambda: noise_chart("rastrigin"))
    print("Typed formula:")
    _timed("a long formula, first build", formula)
    if "--network" in sys.argv:
        print("Network:")
        _timed("1 epoch × 1 seed", lambda: network(1, 1))
        _timed("6 epochs × 1 seed", lambda: network(6, 1))
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
