"""Classroom lessons: one per claim of Zeiler's ADADELTA paper, each with live numbers.

A :class:`Lesson` bundles

* ``key`` (snake_case, used by the CLI), ``title`` and ``claim`` (the paper's claim, one line);
* ``scene`` — an :class:`optviz.scene.Scene`: the objective, start, steps, optimizers and
  their hyperparameters, noise and seed, and the robustness demos' ``transform`` (f × 10^k,
  x stretched by s); ``view`` (the app's view it opens in) and ``fan`` (a hyperparameter
  it fans out as ghost paths, e.g. ``"adadelta.rho"``);
* ``look_at`` — which panel and which moment to watch (plain text, no numbers);
* ``explain(scene, runs) -> str`` — a short markdown explanation whose every number is
  computed from ``runs``, the runs of the *current* scene (the UI passes whatever the
  user has changed). It never raises: missing optimizers, diverged runs (NaN) or another
  objective are described in words;
* ``check(runs) -> bool`` — whether the claim holds numerically for these runs (it is True
  for the lesson's own scene; the tests assert it). It needs only the runs: the
  objective, start, steps, noise and seed are read from the trajectories.

Some lessons run extra experiments inside ``explain``/``check`` (a fresh ADAGRAD restarted
after the steep phase, an SGD learning-rate sweep, a (ρ, ε) grid, the valley turned by
45°, f without its factor); these runs are cached. ``ghosts(scene)`` gives faint extra
paths for the figure (the SGD learning rates of :mod:`.no_learning_rate`, the restarted
ADAGRAD of :mod:`.adagrad_bad_start`), each a :class:`Ghost` that names its optimizer: the
figure side colours it.

``names()`` lists the lessons in teaching order, ``get(key)`` returns one, ``LESSONS`` is
the tuple (of the lessons registered so far). ``register(lesson)`` adds one after them
(``ValueError`` for a key already taken). :func:`memory_table` is the number of
per-parameter state values of every optimizer (from ``OptimizerSpec.memory_per_parameter``).
:mod:`.lecture` orders them as a lecture: each lesson, then its follow-ups (``stages()``).

The package: :mod:`.base` has the types (:class:`Lesson`, :class:`Ghost`) and the
registry; :mod:`.runs` reads and reruns trajectories; :mod:`.text` writes numbers and the
shared sentences. Each lesson is one module named by its key, holding its scene (and any
function of its own, :func:`optviz.objectives.define`), claim, explanation, check and ghosts; it
registers its lesson when imported, and this file imports them in teaching order.

The lessons, in teaching order (each ``_check_*`` docstring states exactly what it asserts):

=====================  ====================================================================
``adagrad_decay``      Himmelblau: ADAGRAD's effective rate falls below 1 % of its first, it
                       stalls far from a minimum; ADADELTA's and RMSprop's rates grow.
``adagrad_bad_start``  Rosenbrock from high on the wall: ADAGRAD restarted with an empty
                       memory where the steep phase ends has a >10× larger rate; ADADELTA's
                       and RMSprop's restarts are within a few percent (they forgot).
``no_learning_rate``   Beale: ADADELTA at its defaults vs SGD at six learning rates (one
                       batched run): some diverge, some crawl — and a tuned one wins.
``insensitive``        Rosenbrock: the paper's four optimizers, each over its own whole
                       grid, and ADADELTA over the paper's 3 × 4, scored by
                       ``sweeps.grid_score``: ADADELTA rarely diverges, but on a 2-D toy it
                       does not solve more of its grid (said so; lesson 12 shows Table 2).
``per_dimension``      The axis-aligned valley against the same valley turned by 45°.
``units``              x in units 10× smaller (§3.2): a teacher-forced probe of each
                       optimizer's x-steps (``units_probe``): SGD 1/s², ADAGRAD and ADADELTA
                       1/s, ADADELTA with ε × s² 1 until ε takes over RMS[g].
``large_gradient``     A valley with a cliff (:data:`CLIFF_FORMULA`): SGD leaps, ADADELTA's
                       step stays below RMS[Δx]_(t−1)/√(1−ρ).
``noisy_gradients``    The noisy quadratic: ADADELTA settles below SGD (five seeds).
``eps_warmup``         Booth: the first step is −√ε·g/√((1−ρ)g² + ε), the rate then grows.
``saddle``             x² − y² from y = 0.001: escape steps (RMSprop is the fastest here).
``the_price``          Himmelblau: ADADELTA oscillates near the minimum once ε takes over
                       both roots and its rate passes the curvature's stability limit
                       (``stability_onset``, §4.3); the memory table.
``paper_experiment``   The network on digits (:mod:`optviz.network`, the Network view):
                       Tables 1–2 after 6 epochs, Keras' η = 0.001, step sizes → 1 (§4.3).
=====================  ====================================================================

Where a claim of the paper does not hold as stated on a 2-D problem, the lesson says what
the numbers show: a tuned SGD beats ADADELTA at its defaults (no_learning_rate); ε matters
more than ρ (insensitive); ADADELTA's step has the units of x only when ε is given
them, and no single ε keeps them for every change of units (units); lesson 4 also says
that momentum solves more of its grid on Rosenbrock (insensitive); ADADELTA does not
escape the saddle fastest (saddle).
"""

from __future__ import annotations

from typing import Any

from . import base
from .base import (
    FALLBACK,
    MIN_STEPS,
    Array,
    Bounds,
    FollowUp,
    Ghost,
    HyperParams,
    Inspect,
    Lesson,
    Runs,
    Scene,
    default_hyperparams,
    get,
    hyperparams,
    names,
    register,
)
from .runs import original_positions, run_positions, stretch_of
from .text import fmt, pct, times

# The lesson modules, in teaching order: importing one registers its lesson, so the order
# of these lines is the order of names() (which is why they are not sorted).
# isort: off
from . import adagrad_decay  # noqa: F401  (no public helpers: imported to register)
from .adagrad_bad_start import restart_after_steep, steep_phase_end
from .no_learning_rate import SGD_RATES, sgd_rates, sgd_sweep
from .insensitive import LESSON_RESOLUTION, insensitivity
from .per_dimension import axis_ratio, rotate_point, rotated_run
from .units import path_deviation, units_probe
from .large_gradient import CLIFF_BOUNDS, CLIFF_FORMULA, adadelta_step_bound, jump
from .noisy_gradients import SEEDS, tail_mean_gap, tail_step
from .eps_warmup import EPS_VALUES, first_step_formula, warmup_steps
from .saddle import ESCAPE, escape_step
from .the_price import EXPECTED_MEMORY, memory_table, sign_change_share, stability_onset
from . import paper_experiment  # noqa: F401  (no public helpers: imported to register)

# isort: on
from .lecture import Stage, lesson_stages, neighbour, position, stage_count, stage_scene, stages

__all__ = [
    "CLIFF_BOUNDS",
    "CLIFF_FORMULA",
    "EPS_VALUES",
    "ESCAPE",
    "EXPECTED_MEMORY",
    "FALLBACK",
    "LESSONS",
    "LESSON_RESOLUTION",
    "MIN_STEPS",
    "SEEDS",
    "SGD_RATES",
    "Array",
    "Bounds",
    "FollowUp",
    "Ghost",
    "HyperParams",
    "Inspect",
    "Lesson",
    "Runs",
    "Scene",
    "Stage",
    "adadelta_step_bound",
    "axis_ratio",
    "default_hyperparams",
    "escape_step",
    "first_step_formula",
    "fmt",
    "get",
    "hyperparams",
    "insensitivity",
    "jump",
    "lesson_stages",
    "memory_table",
    "names",
    "neighbour",
    "original_positions",
    "path_deviation",
    "pct",
    "position",
    "register",
    "restart_after_steep",
    "rotate_point",
    "rotated_run",
    "run_positions",
    "sgd_rates",
    "sgd_sweep",
    "sign_change_share",
    "stability_onset",
    "stage_count",
    "stage_scene",
    "stages",
    "steep_phase_end",
    "stretch_of",
    "tail_mean_gap",
    "tail_step",
    "times",
    "units_probe",
    "warmup_steps",
]


def __getattr__(name: str) -> Any:
    if name == "LESSONS":  # computed on access, so that it includes later register() calls
        return base.all_lessons()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "LESSONS"])
