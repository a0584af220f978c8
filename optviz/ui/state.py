"""The scene: every setting of the page as one small, hashable value (no Streamlit here).

Controls produce a :class:`Scene`; cached computations take a scene (or its parts) as
their key. This module also defines the option grids the sliders offer, the defaults a
scene takes for a given objective, and the scene as a lesson's ``Settings``
(:func:`scene_settings`) and the lesson's ghost paths for it (:func:`lesson_ghosts`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .. import lessons, objectives, optimizers
from ..figures import colour_of
from ..lessons import Settings
from ..optimizers import HyperParam

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adadelta")
DEFAULT_OBJECTIVE = "rosenbrock"
DEFAULT_STEPS = 500
STEPS_RANGE = (10, 5000)
DEFAULT_FRAME_MS = 60
#: the objective picker's entry for a typed formula
CUSTOM = "custom"


def variant_key(key: str) -> str:
    """The control that switches optimizer ``key`` from the paper's method to the
    libraries' variant (for a spec with ``paper_values``; ADADELTA's is ``adadelta_variant``)."""
    return f"{key}_variant"


def log_options(low: float, high: float) -> tuple[float, ...]:
    """1-2-5 values per decade from ``low`` to ``high`` (both included)."""
    out = []
    for exp in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{exp}")
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9):
                out.append(v)
    return tuple(out)


def decay_options(low: float, high: float) -> tuple[float, ...]:
    """Decay rates from ``low`` to ``high``: coarse below 0.9, fine towards 1 (0.99, 0.999…)."""
    coarse = [round(v, 2) for v in _frange(0.0, 0.9, 0.1)] + [0.85]
    fine = [0.9, 0.92, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999]
    vals = sorted({v for v in coarse + fine if low - 1e-12 <= v <= high + 1e-12} | {low, high})
    return tuple(vals)


def _frange(a: float, b: float, step: float) -> list[float]:
    n = round((b - a) / step)
    return [a + i * step for i in range(n + 1)]


def options_for(hp: HyperParam) -> tuple[float, ...] | None:
    """The discrete values a select-slider offers for ``hp`` (None: a plain slider)."""
    if hp.log:
        opts = log_options(hp.ui_low, hp.ui_high)
    elif hp.high == 1.0 and hp.high_open:  # a decay rate in [0, 1)
        opts = decay_options(hp.ui_low, hp.ui_high)
    else:
        return None
    if hp.default not in opts and hp.ui_low <= hp.default <= hp.ui_high:
        opts = tuple(sorted((*opts, hp.default)))
    return opts


def snap(value: float, options: tuple[float, ...]) -> float:
    """The option nearest to ``value`` (in log distance for positive grids)."""
    if all(o > 0 for o in options) and value > 0:
        return min(options, key=lambda o: abs(math.log(o) - math.log(value)))
    return min(options, key=lambda o: abs(o - value))


@dataclass(frozen=True)
class Scene:
    """Every setting of the trajectory view. Hashable: it is the cache key."""

    objective: str = DEFAULT_OBJECTIVE
    start: tuple[float, float] = (-1.5, 2.0)
    steps: int = DEFAULT_STEPS
    frame_ms: int = DEFAULT_FRAME_MS
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    #: per optimizer key, its hyperparameters as sorted (name, value) pairs
    hyperparams: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    noise: float = 0.0
    seed: int = 0
    #: optimizers run as the libraries' variant (their ``paper_values`` left free)
    variants: tuple[str, ...] = ()
    presenter: bool = False
    formula: str = ""  # the text of a custom objective ("" for catalogue objectives)
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: robustness demos: f multiplied by 10**scale_exp; x measured in units s times smaller
    #: (the objective seen through x' = s·x; paths are drawn back in the original x)
    scale_exp: int = 0
    stretch: float = 1.0
    #: ghost paths: "<optimizer>.<hyperparameter>" fanned over its range, and how many
    ghost: str = ""
    ghost_count: int = 15
    #: the lesson whose text is shown (its numbers come from this scene's runs)
    lesson: str = ""

    @property
    def objective_key(self) -> str | tuple:
        """The cache key of the objective: its catalogue name, or the formula and window."""
        return ("custom", self.formula, self.bounds) if self.formula else self.objective

    def hp(self, key: str) -> dict[str, float]:
        """The hyperparameters of optimizer ``key`` in this scene (its defaults if unset)."""
        for k, items in self.hyperparams:
            if k == key:
                values = dict(items)
                break
        else:
            values = default_hyperparams(key, self.objective)
        if key not in self.variants:  # the paper's method (ADADELTA: no learning rate)
            values.update(optimizers.get(key).paper_values)
        return values

    def with_hp(self, key: str, values: dict[str, float]) -> Scene:
        others = tuple((k, v) for k, v in self.hyperparams if k != key)
        mine = (key, tuple(sorted(values.items())))
        return replace(self, hyperparams=tuple(sorted((*others, mine))))


def default_hyperparams(key: str, objective_name: str) -> dict[str, float]:
    """Spec defaults, with learning rates suited to the objective (see ``suggested_lr``),
    as the lessons take them (:func:`optviz.lessons.default_hyperparams`)."""
    try:
        objective = objectives.get(objective_name)
    except KeyError:  # custom objectives
        objective = None
    return lessons.default_hyperparams(key, objective)


def scene_settings(scene: Scene) -> Settings:
    """The current controls as a lesson's ``Settings`` (to explain the live runs)."""
    hyper = tuple((k, tuple(sorted(scene.hp(k).items()))) for k in sorted(scene.optimizers))
    objective = scene.objective
    if scene.formula:
        lesson = lessons.get(scene.lesson) if scene.lesson else None
        same = lesson is not None and lesson.settings.formula == scene.formula
        objective = lesson.settings.objective if same else CUSTOM
    return Settings(
        objective=objective,
        start=scene.start,
        steps=scene.steps,
        optimizers=scene.optimizers,
        hyperparams=hyper,
        noise=scene.noise,
        seed=scene.seed,
        variants=scene.variants,
        scale_exponent=scene.scale_exp,
        stretch=scene.stretch,
        formula=scene.formula,
        bounds=scene.bounds,
    )


def lesson_ghosts(scene: Scene) -> list:
    """Extra faint paths a lesson draws (e.g. SGD at other learning rates), as the figure
    takes them: (positions, colour, label), in the colour of the ghost's optimizer."""
    if not scene.lesson:
        return []
    ghosts = lessons.get(scene.lesson).ghosts(scene_settings(scene))
    return [(g.positions, colour_of(g.key), g.label) for g in ghosts]
