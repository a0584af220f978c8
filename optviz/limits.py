"""Every ceiling on an input that costs time, in one place (no Streamlit here).

A lecturer runs one server for a class; no student's setting may freeze it. Each input
whose value makes a rerun slower has its ceiling here, and both the app's widgets
(``optviz.ui.controls``, ``optviz.ui.network_view``, ``optviz.ui.sensitivity``) and the
link's parser (``optviz.ui.url``, through the table ``optviz.ui.state.CONTROLS``) read it
from here: a link that asks for more gets a warning and the default (or, for the steps
of a scene over :data:`RUN_BUDGET`, the most the budget allows).

**The bound.** One rerun of the Trajectories view at any setting these ceilings allow
computes for at most about **2 s** on this project's 2-core machine when it is quiet
(measured by ``benchmarks/bench_limits.py``; the machine is shared and loaded numbers run
up to 2× higher). A slider move usually costs far less: runs are cached one by one, so it
reruns one optimizer. Three kinds of work are longer by nature and are bounded separately,
each computed once per setting and shared by every session through a cache: a typed
formula's first build (:data:`FORMULA_SECONDS`, in a separate process), the Sensitivity
view's sweeps (:data:`WORK_BUDGET` per optimizer) and the Network view's tables
(:data:`NETWORK_EPOCHS` × :data:`NETWORK_SEEDS`; at most :data:`NETWORK_TRAININGS` at a
time for the whole server, the others waiting with a message).

Measured costs below are cold (nothing cached), on 2026-12-03, at a load average of
0.2–1 unless said (the machine is shared with two other developers: rough numbers).
The Sensitivity view's first visit runs every shown optimizer's sweep and σ chart on the
script thread, one after the other: about 1–3 s per optimizer on NumPy, less once the
compiled kernels are ready (:data:`NOISE_SEEDS`, :data:`WORK_BUDGET`).
"""

from __future__ import annotations

import math

__all__ = [
    "FLOAT_PATH_SHARE",
    "FORMULA_SECONDS",
    "GHOST_COUNTS",
    "MAX_FORMULA_DEGREE",
    "MAX_FORMULA_DEPTH",
    "MAX_FORMULA_EXPONENT",
    "MAX_FORMULA_EXP_NESTING",
    "MAX_FORMULA_LENGTH",
    "MAX_FORMULA_NODES",
    "MAX_FORMULA_NUMBER",
    "MAX_GHOSTS",
    "MAX_INSTANCES",
    "MAX_LABEL",
    "MAX_LINK_WARNINGS",
    "MAX_NOISE",
    "MAX_RUNS",
    "MAX_STEPS",
    "MAX_WINDOW",
    "MIN_GHOSTS",
    "MIN_STEPS",
    "NETWORK_EPOCHS",
    "NETWORK_HIDDEN",
    "NETWORK_SEEDS",
    "NETWORK_TRAININGS",
    "NOISE_SEEDS",
    "RESOLUTIONS",
    "RUN_BUDGET",
    "STEPS_GRAIN",
    "WORK_BUDGET",
    "max_steps",
    "run_cost",
]

# --- the trajectories ----------------------------------------------------------------------

#: Fewest steps of a scene.
MIN_STEPS = 10
#: Most steps of one run. One run of 5000 steps costs 17–76 ms on a function whose
#: gradient has a float path (Rosenbrock, Beale: 3–15 µs a step) and 250–410 ms on one
#: that has not (Rastrigin, or a typed formula with sin, exp…: 50–81 µs a step, NumPy
#: arrays of one row). How many runs may have that many is :data:`RUN_BUDGET`'s business.
MAX_STEPS = 5000
#: The steps slider's (and the link's) grain.
STEPS_GRAIN = 10
#: Most runs of one optimizer side by side ("Add another run", ``adadelta~2`` … in a
#: link): instances 2 to 4.
MAX_INSTANCES = 4
#: Most runs compared in one scene (every registered optimizer, each
#: :data:`MAX_INSTANCES` times, for the seven built-in ones). At :data:`MAX_STEPS` all 28
#: cost 0.9 s on Rosenbrock but 9.1 s on Rastrigin: hence :data:`RUN_BUDGET`.
MAX_RUNS = 28
#: What one rerun may compute, in run-steps of the slow path (NumPy arrays, ≤ 81 µs a
#: step measured): runs × steps ≤ 25 000 is ≤ 2.0 s. Measured at the budget, on Rastrigin
#: (runs, figure, JSON; at load 1, and in brackets at load 3): 4 runs × 5000 steps 1.3 s
#: (1.9–3.2 s), 7 × 3570 1.6 s (2.0–2.3 s), 28 × 890 1.7 s (2.7–3.1 s). The four default
#: optimizers keep 5000 steps on every objective.
RUN_BUDGET = 25_000
#: What a step of the float path (an objective whose gradient is correctly rounded
#: arithmetic: ``Objective.scalar_grad``) counts for against :data:`RUN_BUDGET`: 3–15 µs
#: against the array path's 50–81 µs, so at most a quarter. 28 runs × 3570 steps on
#: Rosenbrock: 0.7–0.9 s (1.3–2.8 s at load 3).
FLOAT_PATH_SHARE = 0.25
#: Most ghost paths of the fan (and fewest). They run as one batch: 30 paths × 5000 steps
#: on Rastrigin 0.37–0.7 s, on top of the budget.
MIN_GHOSTS, MAX_GHOSTS = 10, 30
GHOST_COUNTS = (MIN_GHOSTS, MAX_GHOSTS)
#: Largest gradient-noise σ (the slider's end). Not a cost (σ = 5 adds 0.1–0.2 s to 28
#: runs of 5000 steps: the noise's draw), but a ceiling of the link's all the same.
MAX_NOISE = 5.0
#: Longest typed legend label (characters). Not a cost: bounds what the page echoes.
MAX_LABEL = 40
#: Most settings of a link the warning box lists one by one (then how many more): a link
#: with 100 000 made-up names gets a short box, not a page of them. Each echoed value is
#: cut to 40 characters.
MAX_LINK_WARNINGS = 30


def run_cost(runs: int, steps: int, float_path: bool) -> float:
    """What ``runs`` runs of ``steps`` steps cost against :data:`RUN_BUDGET`."""
    return runs * steps * (FLOAT_PATH_SHARE if float_path else 1.0)


def max_steps(runs: int, float_path: bool) -> int:
    """The most steps ``runs`` runs may have within :data:`RUN_BUDGET` (a multiple of
    :data:`STEPS_GRAIN`, between :data:`MIN_STEPS` and :data:`MAX_STEPS`)."""
    per_run = RUN_BUDGET / (max(int(runs), 1) * (FLOAT_PATH_SHARE if float_path else 1.0))
    steps = math.floor(per_run / STEPS_GRAIN) * STEPS_GRAIN
    return int(min(max(steps, MIN_STEPS), MAX_STEPS))


# --- typed formulas (checked by optviz.formula before SymPy sees anything) ------------------

#: Longest formula, in characters (checked before anything else).
MAX_FORMULA_LENGTH = 300
#: Most syntax-tree nodes, deepest nesting (a run of + − or of × ÷ is one level), largest
#: number literal, largest constant exponent, largest product of nested constant exponents
#: (``(x^a)^b``), deepest nesting of exponentials: the limits that keep SymPy from hanging.
MAX_FORMULA_NODES = 200
MAX_FORMULA_DEPTH = 30
MAX_FORMULA_NUMBER = 10**12
MAX_FORMULA_EXPONENT = 100
MAX_FORMULA_DEGREE = 1000
MAX_FORMULA_EXP_NESTING = 2
#: A typed formula's plot window lies within ±this (the runner's default box). Not a
#: cost: beyond it the runner stops a path anyway.
MAX_WINDOW = 1e6
#: Seconds a new formula's first build (SymPy derivatives, compilation) may take, in a
#: separate worker process that is killed after it; then cached by its text. A 281-
#: character sum of 18 sin × cos terms builds in 2.0–2.2 s (4.0 s at load 3); the session
#: that typed it waits, the others do not (the worker is another process).
FORMULA_SECONDS = 3.0

# --- the Sensitivity view -------------------------------------------------------------------

#: The heatmaps' resolutions (cells per axis).
RESOLUTIONS = (10, 20, 30, 50, 100)
#: Steps × cells per optimizer's sweep; above it the resolution is lowered (and the page
#: says so). At the budget one optimizer's sweep takes 1.2–1.5 s (ADADELTA 50 × 50 × 5000
#: steps, Rosenbrock): the view sweeps every selected optimizer, so up to seven times that
#: on its first visit (then cached for every session).
WORK_BUDGET = 2e7
#: Seeds of the σ chart (its seven σ values each run this many times): 140 runs of one
#: optimizer as one batch (:func:`optviz.sweeps.sigma_sweep`), at 5000 steps 1.2 s on
#: NumPy on Rastrigin and Rosenbrock (ADADELTA; SGD 0.03 s on Rosenbrock's float path),
#: 0.1–0.15 s once its compiled kernel is ready. (Run one by one, 5 seeds took 11 s on
#: Rastrigin.) Still on the script thread, for every shown optimizer.
NOISE_SEEDS = 20

# --- the Network view -----------------------------------------------------------------------

#: The training budgets offered (epochs of 13 minibatches). The tables train 24
#: configurations × seeds at once: 6 epochs × 1 seed 3.6–4.7 s, 60 epochs × 1 seed 40 s,
#: 60 × 3 92–104 s (README, ``bench_network.py``). Long work: once per setting for the
#: whole server (cached), with a progress bar, and :data:`NETWORK_TRAININGS` at a time.
NETWORK_EPOCHS = (1, 2, 3, 4, 6, 10, 15, 20, 30, 40, 60)
#: Seeds per cell offered.
NETWORK_SEEDS = (1, 3)
#: Hidden layers offered (the largest, 300 + 100 units, about 4× the default's weights).
NETWORK_HIDDEN = ("100, 100", "30, 30", "50", "300, 100", "100, 100, 100")
#: How many network trainings the server runs at once; another session's request waits
#: (told so) until one is done, so a class asking for different settings at the same time
#: queues instead of dividing the two cores among all of them.
NETWORK_TRAININGS = 1
