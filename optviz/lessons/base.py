"""The lessons' types and registry, shared by every lesson module.

* :class:`Settings` — everything a lesson loads, and its cached runs; :func:`hyperparams`,
  :func:`default_hyperparams` (each spec's ``lr_kind`` picks the objective's suggested
  learning rate, as in the app's defaults);
* :data:`OBJECTIVES` — objectives defined by lessons (a lesson module adds its own), and
  :func:`objective_for`;
* :class:`Lesson`, :class:`Ghost`, and ``_lesson``, which wraps a lesson's explanation and
  check so that they never raise (:func:`_explainer`, :func:`_checker`);
* the registry: :func:`register`, :func:`names`, :func:`get`, :func:`all_lessons`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from .. import objectives, optimizers
from ..formula import from_expression
from ..objectives import Objective
from ..runner import Trajectory, run
from ..scene import Transform

Array = np.ndarray
Bounds = tuple[tuple[float, float], tuple[float, float]]
HyperParams = tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
Runs = dict[str, Trajectory]


class Ghost(NamedTuple):
    """A faint extra path for the figure. It names the optimizer it belongs to, not a
    colour: the figure side picks the colour (``optviz.figures.colour_of(key)``)."""

    positions: Array  #: (T+1, 2), in the original x
    key: str  #: the optimizer key whose colour it is drawn in
    label: str


#: Fewer steps than this and a lesson has nothing to say.
MIN_STEPS = 10

FALLBACK = "⚠ The explanation could not be computed for these settings"


# ---------------------------------------------------------------------------
# Objectives: the catalogue's, and those defined for lessons
# ---------------------------------------------------------------------------

#: Objectives defined for lessons (name -> factory); a lesson module adds its own.
OBJECTIVES: dict[str, Callable[[], Objective]] = {}


@functools.cache
def objective_for(name: str) -> Objective:
    """A catalogue objective, or one defined for a lesson (:data:`OBJECTIVES`)."""
    if name in OBJECTIVES:
        return OBJECTIVES[name]()
    return objectives.get(name)


@functools.lru_cache(maxsize=64)
def _objective(
    name: str,
    formula: str,
    bounds: Bounds | None,
    start: tuple[float, float],
    scale_exponent: int,
    stretch: float,
) -> Objective:
    if name in OBJECTIVES or name in objectives.names():
        obj = objective_for(name)
    elif formula:
        obj = from_expression(formula, bounds=bounds, start=start)
    else:
        raise KeyError(f"unknown objective {name!r} and no formula given")
    return Transform(scale_exponent, stretch).objective(obj)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def default_hyperparams(key: str, objective: Objective | None) -> dict[str, float]:
    """Spec defaults with learning rates from ``objective.suggested_lr`` (as the app does)."""
    spec = optimizers.get(key)
    values = spec.defaults
    gradient_lr, step_lr = objective.suggested_lr if objective is not None else (0.01, 0.1)
    if spec.lr_kind == optimizers.LR_GRADIENT:
        values["lr"] = gradient_lr
    elif spec.lr_kind == optimizers.LR_STEP:
        values["lr"] = step_lr
    return values


def hyperparams(**per_key: Mapping[str, float]) -> HyperParams:
    """``hyperparams(sgd={"lr": 0.1}, ...)`` in :attr:`Settings.hyperparams`' shape: per key,
    the spec's defaults overridden by the given values, as sorted (name, value) pairs."""
    out = []
    for key, values in per_key.items():
        full = {**optimizers.get(key).defaults, **{k: float(v) for k, v in values.items()}}
        out.append((key, tuple(sorted(full.items()))))
    return tuple(sorted(out))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a lesson loads; hashable, the same shape as the app's ``Scene`` where
    they overlap.

    * ``objective`` — a catalogue key (``objectives.names()``) or a lesson objective
      (:data:`OBJECTIVES`); ``formula`` — the same function as text (for the app's custom
      formula box, with ``bounds``), used only when ``objective`` is neither;
    * ``start`` — in the *original* coordinates: with ``stretch`` s the run is made on the
      stretched objective x' = s·x from (s·x₀, y₀), and :meth:`run` maps its positions
      back to the original x (as the app does), so paths compare on one contour;
    * ``hyperparams`` — per optimizer key, sorted (name, value) pairs; a key left out takes
      the spec's defaults with the objective's suggested learning rate. ADADELTA's ``lr`` is
      forced to 1 (the paper's method: every spec's ``paper_values``) unless the optimizer
      is in ``variants`` (the libraries' variant);
    * ``noise`` — σ of the gradient noise for the unscaled f (scaled by 10^k with f);
    * ``scale_exponent`` k — f is multiplied by 10^k; ``stretch`` s — x is stretched by s
      (``Objective.stretched``); ``view`` — ``"trajectories"`` or ``"sensitivity"``.
    """

    objective: str
    start: tuple[float, float]
    steps: int
    optimizers: tuple[str, ...]
    hyperparams: HyperParams = ()
    noise: float = 0.0
    seed: int = 0
    variants: tuple[str, ...] = ()
    scale_exponent: int = 0
    stretch: float = 1.0
    view: str = "trajectories"
    formula: str = ""
    bounds: Bounds | None = None

    def objective_obj(self) -> Objective:
        """The objective these settings describe (catalogue, lesson or formula; then
        ``.scaled(10**k)`` and ``.stretched(s)``). Compiled once per distinct setting."""
        return _objective(
            self.objective,
            self.formula,
            self.bounds,
            tuple(self.start),
            int(self.scale_exponent),
            float(self.stretch),
        )

    def plot_objective(self) -> Objective:
        """What a figure draws: the objective scaled by 10^k, in the original x (the
        runs' positions are in the original x too)."""
        return self.replace(stretch=1.0).objective_obj()

    @property
    def transform(self) -> Transform:
        """The robustness demos' f × 10^k and x' = s·x (:class:`optviz.scene.Transform`)."""
        return Transform(int(self.scale_exponent), float(self.stretch))

    @property
    def run_start(self) -> tuple[float, float]:
        """The start in the coordinates of :meth:`objective_obj` ((s·x, y) when stretched)."""
        return self.transform.to_run(self.start)

    @property
    def sigma(self) -> float:
        """The gradient-noise σ the runs use: ``noise`` × 10^k (noise scales with f)."""
        return self.transform.noise(self.noise)

    def hp(self, key: str) -> dict[str, float]:
        """The hyperparameters optimizer ``key`` runs with."""
        try:
            base = default_hyperparams(key, self.objective_obj())
        except (KeyError, ValueError):
            base = default_hyperparams(key, None)
        for k, items in self.hyperparams:
            if k == key:
                base.update(dict(items))
        if key not in self.variants:  # the paper's method (ADADELTA: no learning rate)
            base.update(optimizers.get(key).paper_values)
        return base

    def with_hp(self, key: str, values: Mapping[str, float]) -> Settings:
        """A copy with optimizer ``key``'s hyperparameters set to ``values``."""
        others = tuple((k, v) for k, v in self.hyperparams if k != key)
        mine = (key, tuple(sorted((n, float(v)) for n, v in values.items())))
        return replace(self, hyperparams=tuple(sorted((*others, mine))))

    def replace(self, **changes: Any) -> Settings:
        """``dataclasses.replace`` (e.g. ``settings.replace(steps=100)``)."""
        return replace(self, **changes)

    def run(self) -> Runs:
        """One run per optimizer (in ``optimizers`` order), noise and seed applied, made on
        :meth:`objective_obj` from :attr:`run_start`; with a stretch the positions are
        mapped back to the original x (``trajectory.objective`` stays the stretched one).
        Runs are cached per distinct settings; a fresh dict is returned each time."""
        return dict(_run_settings(self))

    def scene_fields(self) -> dict[str, Any]:
        """These settings as keyword arguments of the app's ``Scene`` (same meanings;
        ``scale_exponent`` is the scene's ``scale_exp``). ``objective`` may be a lesson
        objective (:data:`OBJECTIVES`), which the app knows only through ``formula`` and
        ``bounds``."""
        return {
            "objective": self.objective,
            "start": tuple(self.start),
            "steps": self.steps,
            "optimizers": tuple(self.optimizers),
            "hyperparams": self.hyperparams,
            "noise": self.noise,
            "seed": self.seed,
            "variants": tuple(self.variants),
            "formula": self.formula,
            "bounds": self.bounds,
            "scale_exp": self.scale_exponent,
            "stretch": self.stretch,
        }

    def describe(self) -> dict[str, Any]:
        """The settings as plain JSON-able values (for export headers)."""
        obj = self.objective_obj()
        return {
            "objective": self.objective,
            "objective_name": obj.display_name,
            "formula": self.formula or str(obj.expr),
            "bounds": [list(b) for b in obj.bounds],
            "start": list(self.start),
            "steps": self.steps,
            "optimizers": list(self.optimizers),
            "hyperparams": {k: self.hp(k) for k in self.optimizers},
            "noise": self.noise,
            "seed": self.seed,
            "library_variants": list(self.variants),
            "scale_exponent": self.scale_exponent,
            "stretch": self.stretch,
            "view": self.view,
        }


@functools.lru_cache(maxsize=64)
def _run_settings(settings: Settings) -> Runs:
    obj = settings.objective_obj()
    out: Runs = {}
    for key in settings.optimizers:
        opt = optimizers.build(key, **settings.hp(key))
        tr = run(
            obj, opt, settings.run_start, settings.steps, seed=settings.seed, noise=settings.sigma
        )
        out[key] = settings.transform.to_plot(tr)
    return out


# ---------------------------------------------------------------------------
# The lesson type and the registry
# ---------------------------------------------------------------------------


def _explainer(fn: Callable[[Settings, Runs], str]) -> Callable[[Settings, Runs], str]:
    """Never raise, never warn: a failure becomes a message (the raw function is
    ``__wrapped__``)."""

    @functools.wraps(fn)
    def explain(settings: Settings, runs: Mapping[str, Trajectory]) -> str:
        short = sorted({tr.steps for tr in runs.values() if tr.steps < MIN_STEPS})
        if short:
            return (
                f"These settings run only {short[0]} step{'s' * (short[0] != 1)}: too few "
                f"for this lesson's numbers (run at least {MIN_STEPS})."
            )
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return fn(settings, dict(runs))
        except Exception as exc:  # the UI shows text, whatever the settings
            return f"{FALLBACK} ({type(exc).__name__}: {exc})."

    return explain


def _checker(fn: Callable[[Runs], bool]) -> Callable[[Runs], bool]:
    """False instead of an exception (the raw function is ``__wrapped__``)."""

    @functools.wraps(fn)
    def check(runs: Mapping[str, Trajectory]) -> bool:
        if any(tr.steps < MIN_STEPS for tr in runs.values()):
            return False
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return bool(fn(dict(runs)))
        except Exception:
            return False

    return check


def _no_ghosts(_settings: Settings) -> list[Ghost]:
    return []


@dataclass(frozen=True)
class Lesson:
    """One claim of the paper, the settings that show it, and its live explanation."""

    key: str
    title: str
    claim: str
    settings: Settings
    look_at: str
    explain: Callable[[Settings, Runs], str] = field(repr=False)
    check: Callable[[Runs], bool] = field(repr=False)
    ghosts: Callable[[Settings], list[Ghost]] = field(repr=False, default=_no_ghosts)

    def markdown(self, settings: Settings | None = None, runs: Runs | None = None) -> str:
        """Claim, explanation (for ``settings``/``runs``, default the lesson's own) and
        what to look at, as one markdown text."""
        settings = self.settings if settings is None else settings
        runs = settings.run() if runs is None else runs
        return (
            f"*The paper:* {self.claim}\n\n{self.explain(settings, runs)}\n\n"
            f"**What to look at:** {self.look_at}"
        )


def _lesson(
    key: str,
    title: str,
    claim: str,
    settings: Settings,
    look_at: str,
    explain: Callable[[Settings, Runs], str],
    check: Callable[[Runs], bool],
    ghosts: Callable[[Settings], list[Ghost]] = _no_ghosts,
) -> Lesson:
    return Lesson(
        key=key,
        title=title,
        claim=claim,
        settings=settings,
        look_at=look_at,
        explain=_explainer(explain),
        check=_checker(check),
        ghosts=ghosts,
    )


_REGISTRY: dict[str, Lesson] = {}


def register(lesson: Lesson) -> Lesson:
    """Add ``lesson`` to the registry, after the lessons already there (``names()`` and
    ``LESSONS`` keep this order), and return it. A second lesson with the same key is a
    ``ValueError``: keys are what the CLI, the URL and the app's picker use."""
    if not isinstance(lesson, Lesson):
        raise TypeError(f"register() takes a Lesson, not {type(lesson).__name__}")
    known = _REGISTRY.get(lesson.key)
    if known is not None:
        raise ValueError(
            f"a lesson with key {lesson.key!r} is already registered ({known.title!r}); "
            "keys must be unique"
        )
    _REGISTRY[lesson.key] = lesson
    return lesson


def all_lessons() -> tuple[Lesson, ...]:
    """Every registered lesson, in teaching order (the package's ``LESSONS``)."""
    return tuple(_REGISTRY.values())


def names() -> list[str]:
    """Lesson keys in teaching order."""
    return list(_REGISTRY)


def get(key: str) -> Lesson:
    """The lesson ``key`` (``KeyError`` listing the known keys otherwise)."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown lesson {key!r}; known: {', '.join(_REGISTRY)}") from None
