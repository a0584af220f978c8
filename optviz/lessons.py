"""Classroom lessons: one per claim of Zeiler's ADADELTA paper, each with live numbers.

A :class:`Lesson` bundles

* ``key`` (snake_case, used by the CLI), ``title`` and ``claim`` (the paper's claim, one line);
* ``settings`` — a :class:`Settings`: the objective, start, steps, optimizers and their
  hyperparameters, noise and seed, and a few lesson-only knobs (``scale_exponent``: f is
  multiplied by 10^k; ``stretch``: x is stretched by s; ``view``);
* ``look_at`` — which panel and which moment to watch (plain text, no numbers);
* ``explain(settings, runs) -> str`` — a short markdown explanation whose every number is
  computed from ``runs``, the runs of the *current* settings (the UI passes whatever the
  user has changed). It never raises: missing optimizers, diverged runs (NaN) or another
  objective are described in words;
* ``check(runs) -> bool`` — whether the claim holds numerically for these runs (it is True
  for the lesson's own settings; the tests assert it). It needs only the runs: the
  objective, start, steps, noise and seed are read from the trajectories.

Some lessons run extra experiments inside ``explain``/``check`` (a fresh ADAGRAD restarted
after the steep phase, an SGD learning-rate sweep, a (ρ, ε) grid, the valley turned by
45°, f without its factor); these runs are cached. ``ghosts(settings)`` gives faint extra
paths for the figure (the SGD learning rates of :func:`no_learning_rate`, the restarted
ADAGRAD of the bad-start lesson), each a :class:`Ghost` that names its optimizer: the
figure side colours it.

``names()`` lists the lessons in teaching order, ``get(key)`` returns one, ``LESSONS`` is
the tuple. :func:`memory_table` is the number of per-parameter state values of every
optimizer (from ``OptimizerSpec.memory_per_parameter``).

The lessons, in teaching order (each ``_check_*`` docstring states exactly what it asserts):

=====================  ====================================================================
``adagrad_decay``      Himmelblau: ADAGRAD's effective rate falls below 1 % of its first, it
                       stalls far from a minimum; ADADELTA's and RMSprop's rates grow.
``adagrad_bad_start``  Rosenbrock from high on the wall: ADAGRAD restarted with an empty
                       memory where the steep phase ends has a >10× larger rate; ADADELTA's
                       and RMSprop's restarts are within a few percent (they forgot).
``no_learning_rate``   Beale: ADADELTA at its defaults vs SGD at six learning rates (one
                       batched run): some diverge, some crawl — and a tuned one wins.
``insensitive``        Rosenbrock: ADADELTA over a 5×5 (ρ, ε) grid vs SGD over 25 rates,
                       share within 10× of the best (``sweeps.insensitivity_share``).
``per_dimension``      The axis-aligned valley against the same valley turned by 45°.
``units``              f × 100: ADADELTA's path is unchanged, SGD's diverges.
``large_gradient``     A valley with a cliff (:data:`CLIFF_FORMULA`): SGD leaps, ADADELTA's
                       step stays below RMS[Δx]_(t−1)/√(1−ρ).
``noisy_gradients``    The noisy quadratic: ADADELTA settles below SGD (five seeds).
``eps_warmup``         Booth: the first step is −√ε·g/√((1−ρ)g² + ε), the rate then grows.
``saddle``             x² − y² from y = 0.001: escape steps (RMSprop is the fastest here).
``the_price``          Himmelblau: ADADELTA oscillates near the minimum; the memory table.
=====================  ====================================================================

Where a claim of the paper does not hold as stated on a 2-D problem, the lesson says what
the numbers show: a tuned SGD beats ADADELTA at its defaults (no_learning_rate); ε matters
more than ρ (insensitive); ADAGRAD and RMSprop are as unaffected by a factor on f as
ADADELTA, and no optimizer is invariant to stretching one axis (units); ADADELTA does not
escape the saddle fastest (saddle).
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from . import objectives, optimizers
from .objectives import Minimum, Objective, X, Y
from .runner import Trajectory, run

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


__all__ = [
    "CLIFF_FORMULA",
    "LESSONS",
    "OBJECTIVES",
    "Lesson",
    "Settings",
    "default_hyperparams",
    "fmt",
    "get",
    "hyperparams",
    "memory_table",
    "names",
    "objective_for",
    "original_positions",
    "pct",
    "rotate_point",
    "run_positions",
    "stretch_of",
    "times",
]

#: optimizers whose step scales with the gradient (they get the objective's first
#: suggested learning rate) and those whose first steps are about lr in size (the second),
#: as in the app's defaults
GRADIENT_SCALED = ("sgd", "momentum", "nesterov")
STEP_SIZED = ("adagrad", "rmsprop", "adam")

#: Fewer steps than this and a lesson has nothing to say.
MIN_STEPS = 10

FALLBACK = "⚠ The explanation could not be computed for these settings"


# ---------------------------------------------------------------------------
# Lesson-specific objectives
# ---------------------------------------------------------------------------

#: The cliff: a gentle valley whose floor drops by 10 over a narrow band at x = 0.
CLIFF_FORMULA = "(x - 2.5)^2/4 + y^2 - 5*tanh(10*x)"
CLIFF_BOUNDS: Bounds = ((-4.0, 6.0), (-3.0, 3.0))


def _cliff() -> Objective:
    expr = (X - sp.Rational(5, 2)) ** 2 / 4 + Y**2 - 5 * sp.tanh(10 * X)
    return objectives.from_sympy(
        expr,
        name="cliff",
        display_name="Valley with a cliff",
        bounds=CLIFF_BOUNDS,
        start=(-3.5, 1.5),
        minima=[Minimum((2.5, 0.0), -5.0)],
        lesson="A gentle valley whose floor drops suddenly across a narrow band at x = 0: "
        "one sudden, very large gradient on the way to the minimum.",
        suggested_lr=(0.1, 0.1),
    )


#: Objectives defined here, for lessons (name -> factory).
OBJECTIVES: dict[str, Callable[[], Objective]] = {"cliff": _cliff}


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
        obj = objectives.from_expression(formula, bounds=bounds, start=start)
    else:
        raise KeyError(f"unknown objective {name!r} and no formula given")
    if scale_exponent:
        obj = obj.scaled(10.0**scale_exponent)
    if stretch != 1.0:
        obj = obj.stretched(stretch)
    return obj


def _rotate_expr(expr: sp.Expr) -> sp.Expr:
    """f(u, v) with u = (x + y)/√2, v = (y − x)/√2: the function turned by 45°."""
    r2 = sp.sqrt(2)
    return expr.subs({X: (X + Y) / r2, Y: (Y - X) / r2}, simultaneous=True)


@functools.lru_cache(maxsize=16)
def _rotated(obj: Objective) -> Objective:
    """``obj`` turned by 45° (the catalogue's rotated valley for the ill-conditioned one)."""
    if obj.name == "ill_conditioned":
        return objectives.get("rotated_ill_conditioned")
    (x0, x1), (y0, y1) = obj.bounds
    half = max(x1 - x0, y1 - y0) / 2 * math.sqrt(2)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ccx, ccy = rotate_point((cx, cy))
    return objectives.from_sympy(
        _rotate_expr(obj.expr),
        name=f"{obj.name}|rotated",
        display_name=f"{obj.display_name} (turned by 45°)",
        bounds=((ccx - half, ccx + half), (ccy - half, ccy + half)),
        start=rotate_point(obj.start),
        minima=[Minimum(rotate_point(m.point), m.value, m.is_global) for m in obj.minima],
        refine=False,
        lesson=obj.lesson,
        noise=obj.noise,
        log_scale=obj.log_scale,
        suggested_lr=obj.suggested_lr,
    )


def rotate_point(p: Sequence[float]) -> tuple[float, float]:
    """The point of the 45°-turned function that corresponds to ``p`` = (u, v) of the
    original: x = (u − v)/√2, y = (u + v)/√2."""
    u, v = float(p[0]), float(p[1])
    r2 = math.sqrt(2.0)
    return ((u - v) / r2, (u + v) / r2)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


def default_hyperparams(key: str, objective: Objective | None) -> dict[str, float]:
    """Spec defaults with learning rates from ``objective.suggested_lr`` (as the app does)."""
    values = optimizers.get(key).defaults
    gradient_lr, step_lr = objective.suggested_lr if objective is not None else (0.01, 0.1)
    if key in GRADIENT_SCALED:
        values["lr"] = gradient_lr
    elif key in STEP_SIZED:
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
      forced to 1 (the paper's method) unless ``adadelta_variant``;
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
    adadelta_variant: bool = False
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
        return _objective(
            self.objective,
            self.formula,
            self.bounds,
            tuple(self.start),
            int(self.scale_exponent),
            1.0,
        )

    @property
    def run_start(self) -> tuple[float, float]:
        """The start in the coordinates of :meth:`objective_obj` ((s·x, y) when stretched)."""
        return (float(self.start[0]) * float(self.stretch), float(self.start[1]))

    @property
    def sigma(self) -> float:
        """The gradient-noise σ the runs use: ``noise`` × 10^k (noise scales with f)."""
        return float(self.noise) * 10.0**self.scale_exponent

    def hp(self, key: str) -> dict[str, float]:
        """The hyperparameters optimizer ``key`` runs with."""
        try:
            base = default_hyperparams(key, self.objective_obj())
        except (KeyError, ValueError):
            base = default_hyperparams(key, None)
        for k, items in self.hyperparams:
            if k == key:
                base.update(dict(items))
        if key == "adadelta" and not self.adadelta_variant:
            base["lr"] = 1.0  # the paper's method has no learning rate
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
            "adadelta_variant": self.adadelta_variant,
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
            "adadelta_variant": self.adadelta_variant,
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
        out[key] = _to_original_x(tr, float(settings.stretch))
    return out


def _to_original_x(tr: Trajectory, stretch: float) -> Trajectory:
    if stretch == 1.0:
        return tr
    positions = tr.positions.copy()
    positions[..., 0] /= stretch
    return replace(tr, positions=positions)


_STRETCHED = re.compile(r"\|x\*([0-9.eE+-]+)")


def stretch_of(tr: Trajectory) -> float:
    """The stretch s of the objective ``tr`` ran on (``Objective.stretched`` names it
    ``…|x*s``), 1 for any other."""
    m = _STRETCHED.search(tr.objective.name)
    try:
        return float(m[1]) if m else 1.0
    except ValueError:
        return 1.0


def _mapped_back(tr: Trajectory, s: float) -> bool:
    """Were ``tr``'s positions mapped back to the original x (the app's and :meth:`Settings.run`'s
    convention), rather than left in the run's stretched x'?"""
    p = tr.positions
    rows = _finite_rows(p)
    rows = rows[np.abs(p[rows, 0]) > 0][:50]
    if rows.size == 0:
        return False
    v = tr.values[rows]
    as_is = np.abs(tr.objective.value(p[rows]) - v)
    back = np.abs(tr.objective.value(p[rows] * np.array([s, 1.0])) - v)
    return bool(np.nansum(back) < np.nansum(as_is))


def run_positions(tr: Trajectory) -> Array:
    """``tr``'s positions in the coordinates of ``tr.objective`` (where reruns start)."""
    s = stretch_of(tr)
    if s == 1.0 or not _mapped_back(tr, s):
        return tr.positions
    return tr.positions * np.array([s, 1.0])


def original_positions(tr: Trajectory) -> Array:
    """``tr``'s positions in the original x (where paths are drawn and compared)."""
    s = stretch_of(tr)
    if s == 1.0 or _mapped_back(tr, s):
        return tr.positions
    return tr.positions / np.array([s, 1.0])


@functools.lru_cache(maxsize=128)
def _run_cached(
    obj: Objective,
    key: str,
    hp: tuple[tuple[str, Any], ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
) -> Trajectory:
    values = {k: (np.array(v) if isinstance(v, tuple) else v) for k, v in hp}
    return run(obj, optimizers.build(key, **values), start, steps, seed=seed, noise=noise)


def _rerun(
    tr: Trajectory,
    *,
    objective: Objective | None = None,
    start: Sequence[float] | None = None,
    steps: int | None = None,
    noise: float | None = None,
    seed: int | None = None,
    **hp_changes: Any,
) -> Trajectory:
    """The run ``tr`` with some of its ingredients changed (cached)."""
    hp = {**_scalar_hp(tr), **hp_changes}
    items = tuple(
        sorted((k, tuple(np.ravel(v).tolist()) if np.ndim(v) else float(v)) for k, v in hp.items())
    )
    p0 = run_positions(tr)[0] if start is None else start
    return _run_cached(
        tr.objective if objective is None else objective,
        tr.optimizer.key,
        items,
        (float(p0[0]), float(p0[1])),
        tr.steps if steps is None else int(steps),
        tr.noise if noise is None else float(noise),
        tr.seed if seed is None else int(seed),
    )


def _scalar_hp(tr: Trajectory) -> dict[str, float]:
    return {k: float(v) for k, v in tr.optimizer.hyperparams.items()}


# ---------------------------------------------------------------------------
# Formatting and small numeric helpers
# ---------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    """A number as the lessons print it: ``digits`` significant digits, whole numbers from
    10^digits to 10^6 in full, exponents without padding (1e-6, 5.4e73); "NaN" for NaN,
    "∞" for infinities. ``float(fmt(v))`` parses back."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    text = f"{v:.{digits}g}"
    if "e" in text and 1 <= abs(v) < 1e6:
        return f"{v:.0f}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], text)


def pct(ratio: Any) -> str:
    """A ratio as a percentage: two significant digits below 10 %, whole percents above
    (0.0064 -> "0.64 %", 1.0 -> "100 %")."""
    try:
        r = float(ratio)
    except (TypeError, ValueError):
        return str(ratio)
    if not math.isfinite(r):
        return fmt(r)
    return f"{fmt(100 * r, 2)} %"


def times(ratio: Any) -> str:
    """A ratio as a factor: 24.2 -> "24×" (two significant digits)."""
    return f"{fmt(ratio, 2)}×"


def _name(key: str) -> str:
    try:
        return optimizers.get(key).display_name
    except KeyError:
        return key


def _bold(key: str) -> str:
    return f"**{_name(key)}**"


def _point(p: Sequence[float]) -> str:
    return f"({fmt(p[0])}, {fmt(p[1])})"


def _finite_rows(arr: Array) -> Array:
    """Indices of rows (first axis) whose entries are all finite."""
    a = np.asarray(arr, dtype=float)
    mask = np.isfinite(a).reshape(a.shape[0], -1).all(axis=1) if a.size else np.zeros(0, bool)
    return np.flatnonzero(mask)


def _nanmin(arr: Any) -> float:
    a = np.asarray(arr, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else math.nan


def _nanmedian(arr: Any) -> float:
    a = np.asarray(arr, dtype=float)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else math.nan


def _final_gap(tr: Trajectory) -> float:
    return float(tr.loss_gap[-1])


def _diverged(tr: Trajectory) -> bool:
    return int(tr.diverged_at) >= 0


def _hp_text(tr: Trajectory, names: Sequence[str] | None = None) -> str:
    spec = tr.optimizer.spec
    hp = _scalar_hp(tr)
    parts = []
    for p in spec.hyperparams:
        if names is not None and p.name not in names:
            continue
        if p.name not in hp:
            continue
        symbol = {
            "lr": "η",
            "rho": "ρ",
            "eps": "ε",
            "beta": "β",
            "beta1": "β₁",
            "beta2": "β₂",
            "initial_accumulator": "G₀",
        }.get(p.name, p.name)
        parts.append(f"{symbol} = {fmt(hp[p.name])}")
    return ", ".join(parts)


def _missing(key: str, why: str) -> str:
    return f"{_bold(key)} is not in this comparison: add it {why}."


def _diverged_text(tr: Trajectory, key: str) -> str:
    return (
        f"{_bold(key)} diverged at step {int(tr.diverged_at)} with these settings, so its "
        "numbers stop there."
    )


def _usable(runs: Runs, key: str, why: str, parts: list[str]) -> Trajectory | None:
    """``runs[key]`` when it is there and did not diverge; otherwise None, and ``parts``
    gets the sentence that says which (why to add it, or where it diverged)."""
    tr = runs.get(key)
    if tr is None:
        parts.append(_missing(key, why))
    elif _diverged(tr):
        parts.append(_diverged_text(tr, key))
    else:
        return tr
    return None


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


def _any_run(runs: Runs) -> Trajectory | None:
    return next(iter(runs.values()), None)


# ---------------------------------------------------------------------------
# The lesson type
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# 1. ADAGRAD's learning rate dies
# ---------------------------------------------------------------------------


def _rate_ratio(tr: Trajectory) -> Array:
    """Last finite effective rate over the first one, per dimension."""
    rows = _finite_rows(tr.effective_lr)
    if rows.size == 0:
        return np.array([math.nan, math.nan])
    return tr.effective_lr[rows[-1]] / tr.effective_lr[rows[0]]


def _ratio_words(r: float) -> str:
    if not math.isfinite(r):
        return "an undefined fraction of its first value"
    if r < 1:
        return f"{pct(r)} of its first value"
    return f"{times(r)} its first value"


def _ratio_pair(r: Array) -> str:
    """ "fell to 0.64 % of its first value in x and 0.68 % in y" and the like."""
    x, y = float(r[0]), float(r[1])
    if math.isfinite(x) and math.isfinite(y):
        if x < 1 and y < 1:
            return f"fell to {pct(x)} of its first value in x and {pct(y)} in y"
        if x >= 1 and y >= 1:
            return f"ends at {times(x)} its first value in x and {times(y)} in y"
    return f"ends at {_ratio_words(x)} in x and {_ratio_words(y)} in y"


def _travel_halves(tr: Trajectory) -> tuple[float, float]:
    steps = np.linalg.norm(tr.updates, axis=-1)
    half = tr.steps // 2
    return float(np.nansum(steps[:half])), float(np.nansum(steps[half:]))


def _explain_adagrad_decay(_settings: Settings, runs: Runs) -> str:
    parts = []
    ag = _usable(runs, "adagrad", "to watch its learning rate die", parts)
    if ag is not None:
        r = _rate_ratio(ag)
        first, second = _travel_halves(ag)
        parts.append(
            f"{_bold('adagrad')} ({_hp_text(ag, ['lr'])}) divides η by √G, and G — the sum "
            f"of every squared gradient so far — only grows: over {ag.steps} steps its "
            f"effective learning rate {_ratio_pair(r)}. It moved {fmt(first)} in the first "
            f"half of the run and {fmt(second)} in the second, and ends at f − f_min = "
            f"{fmt(_final_gap(ag))}."
        )
    ad = _usable(runs, "adadelta", "to compare with a rate that can recover", parts)
    if ad is not None:
        r = _rate_ratio(ad)
        parts.append(
            f"{_bold('adadelta')} divides by a running average that forgets old gradients "
            f"instead: its rate {_ratio_pair(r)}, and it reaches f − f_min = "
            f"{fmt(_final_gap(ad))}."
        )
    for key in ("rmsprop", "adam"):
        tr = runs.get(key)
        if tr is not None and not _diverged(tr):
            r = _rate_ratio(tr)
            parts.append(
                f"{_bold(key)}, also a running average: its rate {_ratio_pair(r)} "
                f"(f − f_min = {fmt(_final_gap(tr))})."
            )
    return " ".join(parts)


def _check_adagrad_decay(runs: Runs) -> bool:
    """ADAGRAD's last effective rate is below 1 % of its first in both dimensions,
    ADADELTA's is not (neither diverged)."""
    ag, ad = runs["adagrad"], runs["adadelta"]
    if _diverged(ag) or _diverged(ad):
        return False
    return bool(np.all(_rate_ratio(ag) < 0.01) and np.all(_rate_ratio(ad) >= 0.01))


# ---------------------------------------------------------------------------
# 2. ADAGRAD remembers a bad start
# ---------------------------------------------------------------------------


def steep_phase_end(tr: Trajectory, fraction: float = 0.1) -> int | None:
    """The first step t ≥ 1 at which |g_t| has fallen below ``fraction`` × the largest
    |g| seen so far (None if it never does, or the run diverged before)."""
    norms = np.linalg.norm(tr.grads, axis=-1)
    if norms.size < 2 or not np.isfinite(norms[0]):
        return None
    running = np.maximum.accumulate(np.where(np.isfinite(norms), norms, 0.0))
    below = np.isfinite(norms) & (norms < fraction * running)
    below[0] = False
    hits = np.flatnonzero(below)
    return int(hits[0]) if hits.size else None


def restart_after_steep(tr: Trajectory) -> tuple[int, Trajectory] | None:
    """``(t, fresh)``: the same optimizer restarted with an empty memory at ``x_t``, the end
    of the steep phase, for the remaining ``T − t`` steps (None if there is none)."""
    t = steep_phase_end(tr)
    start = run_positions(tr)[t] if t is not None else None
    if t is None or t >= tr.steps or not np.isfinite(start).all():
        return None
    return t, _rerun(tr, start=start, steps=tr.steps - t)


def _memory_ratio(tr: Trajectory) -> tuple[int, Trajectory, Array] | None:
    """Fresh-restart effective rate over the remembering run's, at the last step."""
    out = restart_after_steep(tr)
    if out is None or _diverged(tr) or _diverged(out[1]):
        return None
    t, fresh = out
    return t, fresh, fresh.effective_lr[-1] / tr.effective_lr[-1]


def _explain_bad_start(_settings: Settings, runs: Runs) -> str:
    parts = []
    ag = _usable(runs, "adagrad", "to see a bad start remembered", parts)
    if ag is not None:
        m = _memory_ratio(ag)
        if m is None:
            parts.append(
                f"{_bold('adagrad')}'s gradient never fell below a tenth of its largest value "
                "in this run: there is no steep start for it to remember."
            )
        else:
            t, fresh, r = m
            peak = -_nanmin(-np.linalg.norm(ag.grads[: t + 1], axis=-1))  # the largest |g|
            parts.append(
                f"{_bold('adagrad')} ({_hp_text(ag, ['lr'])}) met gradients up to |g| = "
                f"{fmt(peak)} on the way down; they fell below a tenth of that at step {t}, "
                f"at {_point(original_positions(ag)[t])}. A fresh ADAGRAD started there — "
                f"same point, empty memory, the faint path — ends with an effective rate "
                f"{times(r[0])} larger in x and {times(r[1])} in y than the one that "
                f"remembers the steep start, and reaches f − f_min = "
                f"{fmt(_final_gap(fresh))} instead of {fmt(_final_gap(ag))}."
            )
    others = []
    for key in ("rmsprop", "adadelta", "adam"):
        tr = runs.get(key)
        if tr is None:
            continue
        if _diverged(tr):
            others.append(_diverged_text(tr, key))
            continue
        m = _memory_ratio(tr)
        if m is None:
            others.append(f"{_bold(key)} had no steep phase to forget in this run.")
            continue
        t, fresh, r = m
        hp = _scalar_hp(tr)
        name, rho = ("ρ", hp["rho"]) if "rho" in hp else ("β₂", hp.get("beta2"))
        memory = (
            f"; its running averages forget within about 1/(1−{name}) = {fmt(1 / (1 - rho))} steps"
            if rho is not None and rho < 1
            else ""
        )
        others.append(
            f"{_bold(key)}, restarted the same way at step {t}: fresh ÷ remembering = "
            f"{times(r[0])} in x and {times(r[1])} in y (f − f_min {fmt(_final_gap(fresh))} "
            f"fresh, {fmt(_final_gap(tr))} remembering){memory}."
        )
    if "adadelta" not in runs:
        others.append(_missing("adadelta", "to compare with a memory that fades"))
    return " ".join(parts + others)


def _check_bad_start(runs: Runs) -> bool:
    """Restarted with an empty memory at the end of its steep phase, ADAGRAD ends with
    an effective rate more than 10× larger in both dimensions; ADADELTA's restart ends
    within a factor 2 of the remembering run."""
    ag, ad = _memory_ratio(runs["adagrad"]), _memory_ratio(runs["adadelta"])
    if ag is None or ad is None:
        return False
    return bool(np.all(ag[2] > 10) and np.all((ad[2] > 0.5) & (ad[2] < 2)))


def _ghosts_bad_start(settings: Settings) -> list[Ghost]:
    runs = settings.run()
    if "adagrad" not in runs:
        return []
    out = restart_after_steep(runs["adagrad"])
    if out is None:
        return []
    t, fresh = out
    return [Ghost(original_positions(fresh), "adagrad", f"ADAGRAD restarted at step {t}")]


# ---------------------------------------------------------------------------
# 3. No learning rate to choose
# ---------------------------------------------------------------------------

#: SGD's learning rates in the no-learning-rate lesson (plus the settings' own).
SGD_RATES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def sgd_rates(runs: Runs) -> tuple[float, ...]:
    """:data:`SGD_RATES` plus the learning rate of the runs' SGD, if any, sorted."""
    rates = set(SGD_RATES)
    if "sgd" in runs:
        rates.add(float(runs["sgd"].optimizer.hyperparams["lr"]))
    return tuple(sorted(rates))


def sgd_sweep(reference: Trajectory, rates: Sequence[float]) -> Trajectory:
    """SGD at every rate in ``rates`` (one batched run) on ``reference``'s objective, from its
    start, for its steps, noise and seed."""
    return _run_cached(
        reference.objective,
        "sgd",
        (("lr", tuple(float(r) for r in rates)),),
        tuple(map(float, run_positions(reference)[0])),
        reference.steps,
        reference.noise,
        reference.seed,
    )


def _explain_no_lr(_settings: Settings, runs: Runs) -> str:
    ad = runs.get("adadelta")
    ref = ad if ad is not None else _any_run(runs)
    if ref is None:
        return "No optimizer is selected."
    parts = []
    g0 = float(ref.loss_gap[0])
    if ad is None:
        parts.append(_missing("adadelta", "to compare with a method that has no learning rate"))
        ad_gap = math.nan
    elif _diverged(ad):
        parts.append(_diverged_text(ad, "adadelta"))
        ad_gap = math.nan
    else:
        ad_gap = _final_gap(ad)
        defaults = optimizers.get("adadelta").defaults
        hp = _scalar_hp(ad)
        which = (
            "its defaults"
            if all(hp[k] == defaults[k] for k in ("rho", "eps"))
            else f"not its defaults, ρ = {fmt(defaults['rho'])}, ε = {fmt(defaults['eps'])}"
        )
        parts.append(
            f"{_bold('adadelta')} at {_hp_text(ad, ['rho', 'eps'])} ({which}), with no "
            f"learning rate, ends at f − f_min = {fmt(ad_gap)} after {ad.steps} steps: "
            f"{pct(ad_gap / g0) if g0 > 0 else fmt(ad_gap)} of where it started "
            f"({fmt(g0)}). **SGD** needs a learning rate η, and everything depends on it:"
        )
    rates = sgd_rates(runs)
    sw = sgd_sweep(ref, rates)
    rows = ["", "| η | SGD's final f − f_min |", "|---|---|"]
    diverged = slower = better = 0
    best_rate, best_gap = math.nan, math.inf
    for i, lr in enumerate(rates):
        d = int(sw.diverged_at[i])
        gap = float(sw.loss_gap[-1, i])
        if d >= 0:
            diverged += 1
            cell = f"diverged at step {d}"
        else:
            cell = fmt(gap)
            if math.isfinite(ad_gap) and gap > ad_gap:
                slower += 1
            if math.isfinite(ad_gap) and gap < ad_gap:
                better += 1
            if gap < best_gap:
                best_rate, best_gap = lr, gap
        rows.append(f"| {fmt(lr)} | {cell} |")
    parts.append("\n".join(rows) + "\n")
    summary = f"{diverged} of the {len(rates)} learning rates diverged" + (
        f" and {slower} ended above ADADELTA" if math.isfinite(ad_gap) else ""
    )
    if math.isfinite(best_gap):
        summary += f"; the best, η = {fmt(best_rate)}, reached {fmt(best_gap)}"
    summary += "."
    if math.isfinite(ad_gap):
        if better:
            summary += (
                f" So {better} well-chosen learning rate{'s' if better > 1 else ''} "
                "beat ADADELTA here: its promise is not to beat a tuned SGD but to need "
                "no tuning — it got this far without a search over η."
            )
        else:
            summary += " None of them beat ADADELTA, which needed no search at all."
    parts.append(summary)
    return "\n".join(parts)


def _check_no_lr(runs: Runs) -> bool:
    """ADADELTA ends below 1 % of its starting f − f_min, while among SGD's learning
    rates (:func:`sgd_rates`) at least one diverged and at least one ended above
    ADADELTA."""
    ad = runs["adadelta"]
    if _diverged(ad):
        return False
    ad_gap, g0 = _final_gap(ad), float(ad.loss_gap[0])
    sw = sgd_sweep(ad, sgd_rates(runs))
    finals = sw.loss_gap[-1]
    diverged = sw.diverged_at >= 0
    slower = (~diverged) & (finals > ad_gap)
    return bool(ad_gap < 0.01 * g0 and diverged.any() and slower.any())


def _ghosts_no_lr(settings: Settings) -> list[Ghost]:
    runs = settings.run()
    ref = _any_run(runs)
    if ref is None:
        return []
    rates = sgd_rates(runs)
    sw = sgd_sweep(ref, rates)
    own = float(runs["sgd"].optimizer.hyperparams["lr"]) if "sgd" in runs else None
    positions = original_positions(sw)
    return [
        Ghost(positions[:, i], "sgd", f"SGD η = {fmt(lr)}")
        for i, lr in enumerate(rates)
        if lr != own
    ]


# ---------------------------------------------------------------------------
# 4. Insensitive to ρ and ε
# ---------------------------------------------------------------------------

#: The (ρ, ε) grid of the insensitivity lesson.
ADADELTA_GRID = {"rho": (0.8, 0.9, 0.95, 0.99, 0.999), "eps": (1e-8, 1e-7, 1e-6, 1e-5, 1e-4)}
#: SGD's grid: this many learning rates, log-spaced over the objective's suggested rate
#: × 10^−2 … × 10^2 (as many decades as the ε axis spans).
SGD_GRID_SIZE = 25


@functools.lru_cache(maxsize=16)
def _sweeps(
    obj: Objective, start: tuple[float, float], steps: int, noise: float, seed: int
) -> dict[str, Any]:
    from . import sweeps

    centre = obj.suggested_lr[0]
    grid_sgd = {"lr": centre * np.logspace(-2, 2, SGD_GRID_SIZE)}
    ad = sweeps.sweep(obj, "adadelta", ADADELTA_GRID, start, steps, seed=seed, noise=noise)
    sgd = sweeps.sweep(obj, "sgd", grid_sgd, start, steps, seed=seed, noise=noise)
    share = sweeps.insensitivity_share({"adadelta": ad, "sgd": sgd}, 10.0)
    return {"adadelta": ad, "sgd": sgd, "share": share}


def insensitivity(reference: Trajectory) -> dict[str, Any]:
    """The lesson's sweeps on ``reference``'s objective, start, steps, noise and seed:
    ``{"adadelta": SweepResult over ρ × ε, "sgd": SweepResult over η, "share": {key:
    share of configurations within 10× of the best final f − f_min}}``
    (``optviz.sweeps.insensitivity_share``)."""
    return _sweeps(
        reference.objective,
        tuple(map(float, run_positions(reference)[0])),
        reference.steps,
        reference.noise,
        reference.seed,
    )


def _spread(values: Array, axis: int) -> float:
    """Median over the other axis of (max / min) of the finite positive values along
    ``axis`` — how much changing that hyperparameter alone changes the result."""
    v = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    out = []
    for line in np.moveaxis(v, axis, -1).reshape(-1, v.shape[axis]):
        line = line[np.isfinite(line)]
        if line.size >= 2:
            out.append(float(line.max() / line.min()))
    return _nanmedian(out)


def _explain_insensitive(_settings: Settings, runs: Runs) -> str:
    ref = runs.get("adadelta") or _any_run(runs)
    if ref is None:
        return "No optimizer is selected."
    s = insensitivity(ref)
    ad, sgd, share = s["adadelta"], s["sgd"], s["share"]
    f_min = ad.f_min if ad.f_min is not None else 0.0
    gaps = np.asarray(ad.final_value) - f_min
    rates = sgd.grid["lr"]
    rho, eps = ADADELTA_GRID["rho"], ADADELTA_GRID["eps"]
    n_ad, n_sgd = ad.size, sgd.size
    text = (
        f"Every setting was run for {ref.steps} steps from the same start: "
        f"{_bold('adadelta')} on a {len(rho)} × {len(eps)} grid, ρ from {fmt(rho[0])} to "
        f"{fmt(rho[-1])} and ε from {fmt(eps[0])} to {fmt(eps[-1])}; **SGD** at "
        f"{n_sgd} learning rates from {fmt(rates[0])} to {fmt(rates[-1])}. "
        + ("(This function has no minimum: f itself is compared.) " if ad.f_min is None else "")
        + "Within 10× of the best final f − f_min that any of them reached: "
        f"{pct(share['adadelta'])} of ADADELTA's settings, {pct(share['sgd'])} of SGD's. "
        f"{int(ad.diverged.sum())} of ADADELTA's {n_ad} settings diverged, "
        f"{int(sgd.diverged.sum())} of SGD's {n_sgd}."
    )
    rho_spread, eps_spread = _spread(gaps, 0), _spread(gaps, 1)
    if math.isfinite(rho_spread) and math.isfinite(eps_spread):
        text += (
            f" Not all of ADADELTA's knobs are equal: changing ρ alone changes its final "
            f"f − f_min by a factor of {fmt(rho_spread, 2)} (median over ε), changing ε alone "
            f"by {fmt(eps_spread, 2)} (median over ρ)"
            + (
                " — ε, which sets the size of the first steps, matters more than ρ."
                if eps_spread > rho_spread
                else " — here ρ matters more than ε."
            )
        )
    return text


def _check_insensitive(runs: Runs) -> bool:
    """A larger share of ADADELTA's (ρ, ε) grid than of SGD's learning rates ends within
    10× of the best final f − f_min; no ADADELTA setting diverged, some SGD rate did."""
    s = insensitivity(runs["adadelta"])
    return bool(
        s["share"]["adadelta"] > s["share"]["sgd"]
        and not s["adadelta"].diverged.any()
        and s["sgd"].diverged.any()
    )


# ---------------------------------------------------------------------------
# 5. One step size per dimension
# ---------------------------------------------------------------------------


def axis_ratio(tr: Trajectory) -> float:
    """Median over the run of (effective rate in x) / (effective rate in y)."""
    e = tr.effective_lr
    return _nanmedian(e[:, 0] / e[:, 1])


def _lopsided(r: float) -> float:
    """How unequal two rates are, whichever is larger: max(r, 1/r)."""
    return max(r, 1.0 / r) if math.isfinite(r) and r > 0 else math.nan


def rotated_run(tr: Trajectory) -> Trajectory:
    """``tr``'s optimizer on its objective turned by 45°, from the corresponding start."""
    return _rerun(tr, objective=_rotated(tr.objective), start=rotate_point(run_positions(tr)[0]))


def _explain_per_dimension(_settings: Settings, runs: Runs) -> str:
    ref = _any_run(runs)
    if ref is None:
        return "No optimizer is selected."
    rot_obj = _rotated(ref.objective)
    rot_name = (
        "the catalogue's `rotated_ill_conditioned`"
        if rot_obj.name == "rotated_ill_conditioned"
        else "this function turned by 45°"
    )
    p = rotate_point(run_positions(ref)[0])
    parts = [
        f"Each adaptive method gives every coordinate its own step size. The numbers below "
        f"compare this run with the same optimizer on {rot_name}, started at the "
        f"corresponding point {_point(p)}: the rate in x over the rate in y (median over the "
        f"run), and the final f − f_min."
    ]
    items = []
    adaptive = [k for k in ("adadelta", "adagrad", "rmsprop", "adam") if k in runs]
    for key in [*adaptive, *[k for k in runs if k not in adaptive]]:
        tr = runs[key]
        rt = rotated_run(tr)
        if _diverged(tr) or _diverged(rt):
            which = "here" if _diverged(tr) else "on the turned function"
            items.append(f"- {_bold(key)} diverged {which}, so there is nothing to compare.")
            continue
        ra, rr = axis_ratio(tr), axis_ratio(rt)
        rates = (
            f"x/y rate {fmt(ra, 2)} here, {fmt(rr, 2)} turned; "
            if key not in GRADIENT_SCALED
            else "one rate for both axes; "
        )
        items.append(
            f"- {_bold(key)}: {rates}f − f_min {fmt(_final_gap(tr))} here, "
            f"{fmt(_final_gap(rt))} turned."
        )
    parts.append("\n".join(items))
    ad = runs.get("adadelta")
    if ad is not None and not _diverged(ad) and not _diverged(rotated_run(ad)):
        la, lr_ = _lopsided(axis_ratio(ad)), _lopsided(axis_ratio(rotated_run(ad)))
        ga, gr = _final_gap(ad), _final_gap(rotated_run(ad))
        if la > lr_:
            parts.append(
                f"On this function ADADELTA's two rates differ by {times(la)}, turned only by "
                f"{times(lr_)}: the axes here line up with the curvature, so a per-coordinate "
                f"rate can match each direction"
                + (
                    f", and it ends {times(gr / ga)} lower than on the turned one."
                    if ga > 0 and gr > ga
                    else "."
                )
                + " Turned, each coordinate mixes both curvatures and the advantage fades; SGD,"
                " with one rate, does not care about the rotation."
            )
        else:
            parts.append(
                f"Here ADADELTA's two rates differ by {times(la)}, on the turned function by "
                f"{times(lr_)}: this function's axes line up with its curvature less well "
                "than the turned one's."
            )
    elif ad is None:
        parts.append(_missing("adadelta", "to see its per-dimension rates"))
    return "\n\n".join(parts)


def _check_per_dimension(runs: Runs) -> bool:
    """For ADADELTA (and ADAGRAD, if present): the median x/y rate ratio is above 5
    (either way round) and over 3× as lopsided as on the 45°-turned function, and the
    turned run ends over 10× higher."""
    ok = True
    for key in ("adadelta", "adagrad"):
        if key not in runs:
            continue
        tr = runs[key]
        rt = rotated_run(tr)
        if _diverged(tr) or _diverged(rt):
            return False
        la, lr_ = _lopsided(axis_ratio(tr)), _lopsided(axis_ratio(rt))
        ok &= la > 5 and la > 3 * lr_ and 10 * _final_gap(tr) < _final_gap(rt)
    return bool(ok and "adadelta" in runs)


# ---------------------------------------------------------------------------
# 6. Units: a factor on f, a stretched axis
# ---------------------------------------------------------------------------


def path_deviation(a: Trajectory, b: Trajectory) -> float:
    """Largest distance between two paths step by step, in the original coordinates
    (:func:`original_positions`); ∞ if either diverged."""
    if _diverged(a) or _diverged(b):
        return math.inf
    pa, pb = original_positions(a), original_positions(b)
    n = min(len(pa), len(pb))
    return float(np.max(np.linalg.norm(pa[:n] - pb[:n], axis=-1)))


def _width(obj: Objective) -> float:
    (x0, x1), (y0, y1) = obj.bounds
    return max(x1 - x0, y1 - y0)


def _explain_units(settings: Settings, runs: Runs) -> str:
    if not runs:
        return "No optimizer is selected."
    k = int(settings.scale_exponent)
    other_k = 0 if k != 0 else 2
    base = settings.replace(scale_exponent=other_k).run()
    width = _width(settings.plot_objective())
    parts = [
        f"Here f is multiplied by 10^{k} = {fmt(10.0**k)}; each path is compared with the same "
        f"optimizer on f × 10^{other_k} (largest distance between the two paths, as a share "
        f"of the plot's width {fmt(width)}):"
    ]
    items = []
    for key, tr in runs.items():
        other = base.get(key)
        if other is None:
            continue
        if _diverged(tr) or _diverged(other):
            d = [
                f"at step {int(t.diverged_at)} with f × 10^{kk}"
                for t, kk in ((tr, k), (other, other_k))
                if _diverged(t)
            ]
            items.append(f"- {_bold(key)} diverged {' and '.join(d)}.")
        else:
            dev = path_deviation(tr, other)
            items.append(
                f"- {_bold(key)}: the paths differ by at most {fmt(dev)} ({pct(dev / width)})."
            )
    parts.append("\n".join(items))
    parts.append(
        "ADADELTA's step RMS[Δx]/RMS[g]·g does not change when f is multiplied by a constant "
        "(only ε, added to E[g²], notices the scale). ADAGRAD and RMSprop divide by a root "
        "mean square of gradients too, so they are just as unaffected here; their step is "
        "about η whatever the units of x, while ADADELTA's numerator RMS[Δx] carries the units "
        "of x. SGD's step is η·g: it grows and shrinks with f."
    )
    if settings.stretch != 1.0:
        flat = settings.replace(stretch=1.0).run()
        s = settings.stretch
        items = []
        for key, tr in runs.items():
            if key in flat:
                dev = path_deviation(tr, flat[key])
                items.append(
                    f"{_name(key)} {fmt(dev)}" if math.isfinite(dev) else f"{_name(key)} diverged"
                )
        parts.append(
            f"x is also stretched by {fmt(s)}. Back in the original coordinates, the largest "
            f"distance from the unstretched paths: {'; '.join(items)}. No optimizer "
            "here is invariant to stretching one axis: ADADELTA's first steps are "
            "√(ε/(1−ρ)) in every coordinate, whatever units x has."
        )
    return "\n\n".join(parts)


def _check_units(runs: Runs) -> bool:
    """ADADELTA's path on f/100 stays within 1 % of the plot's width of its path on f;
    SGD's either diverges or moves by more than 10 %."""
    ad, sgd = runs["adadelta"], runs["sgd"]
    obj = ad.objective
    down = _scaled_down(obj)
    width = _width(obj)
    ad2 = _rerun(ad, objective=down, noise=ad.noise / 100)
    sgd2 = _rerun(sgd, objective=down, noise=sgd.noise / 100)
    ad_dev = path_deviation(ad, ad2)
    sgd_dev = path_deviation(sgd, sgd2)
    return bool(ad_dev < 0.01 * width and (not math.isfinite(sgd_dev) or sgd_dev > 0.1 * width))


@functools.lru_cache(maxsize=16)
def _scaled_down(obj: Objective) -> Objective:
    return obj.scaled(0.01)


# ---------------------------------------------------------------------------
# 7. A sudden large gradient
# ---------------------------------------------------------------------------


def jump(tr: Trajectory) -> tuple[int, float, float, float] | None:
    """At the step t ≥ 1 with the largest |g| (the steepest point of the path, before any
    divergence): ``(t, |g_t|, |Δx_t|, |Δx_t| / |Δx_{t−1}|)``."""
    g = np.linalg.norm(tr.grads, axis=-1)
    u = np.linalg.norm(tr.updates, axis=-1)
    if g.size < 2:
        return None
    cand = np.where(np.isfinite(g[1:]) & np.isfinite(u[1:]) & np.isfinite(u[:-1]), g[1:], -1.0)
    if cand.max() < 0:
        return None
    t = int(np.argmax(cand)) + 1
    prev = u[t - 1]
    return t, float(g[t]), float(u[t]), float(u[t] / prev) if prev > 0 else math.inf


def adadelta_step_bound(tr: Trajectory) -> tuple[float, bool]:
    """ADADELTA's steps against their bound: |Δx_t| ≤ η·RMS[Δx]_{t−1}/√(1−ρ) per coordinate
    (η = 1 for the paper's method). Returns (largest |Δx_t| / (η·RMS[Δx]_{t−1}), every step
    within the bound)."""
    hp = _scalar_hp(tr)
    rms_prev = np.sqrt(tr.states.sq_step_avg[:-1] + hp["eps"])
    ratio = np.abs(tr.updates) / (hp["lr"] * rms_prev)
    finite = ratio[np.isfinite(ratio)]
    if finite.size == 0:
        return math.nan, False
    bound = 1.0 / math.sqrt(1.0 - hp["rho"])
    return float(finite.max()), bool(np.all(finite <= bound * (1 + 1e-12)))


def _explain_large_gradient(_settings: Settings, runs: Runs) -> str:
    if not runs:
        return "No optimizer is selected."
    items = []
    for key, tr in runs.items():
        j = jump(tr)
        if j is None:
            items.append(f"- {_bold(key)}: no step to look at in this run.")
            continue
        t, g, u, ratio = j
        before = _nanmedian(np.linalg.norm(tr.grads[:t], axis=-1))
        div = f"; it diverged at step {int(tr.diverged_at)}" if _diverged(tr) else ""
        items.append(
            f"- {_bold(key)} meets its steepest gradient at step {t}: |g| = {fmt(g)}, "
            f"{times(g / before)} its median gradient before that. Its step there is "
            f"{fmt(u)}, {times(ratio)} the step before, and lands at "
            f"{_point(original_positions(tr)[t + 1])}{div}."
        )
    on_cliff = next(iter(runs.values())).objective.name.split("*")[0].split("|")[0] == "cliff"
    parts = [
        "The steepest point of each path"
        + (" (on the cliff, where the path crosses it):" if on_cliff else ":"),
        "\n".join(items),
    ]
    ad = runs.get("adadelta")
    if ad is None:
        parts.append(_missing("adadelta", "to see a bounded step"))
    else:
        worst, ok = adadelta_step_bound(ad)
        rho = _scalar_hp(ad)["rho"]
        j = jump(ad)
        at = ""
        if j is not None:
            hp = _scalar_hp(ad)
            rms = hp["lr"] * np.sqrt(ad.states.sq_step_avg[j[0]] + hp["eps"])
            here = float(np.max(np.abs(ad.updates[j[0]]) / rms))
            at = (
                f" At its steepest step it moved {fmt(here)} × its recent RMS step (largest "
                f"of x and y); the most it ever moved was {fmt(worst)} × "
                f"({'within' if ok else 'NOT within'} the bound), which only a step taken "
                "with an empty E[g²] comes near."
            )
        parts.append(
            f"ADADELTA's step |Δx| = RMS[Δx]·|g|/√(ρE[g²] + (1−ρ)g² + ε) can never exceed "
            f"RMS[Δx]_(t−1)/√(1−ρ) = {fmt(1 / math.sqrt(1 - rho))} × its recent RMS step, "
            f"however large g is.{at} SGD's step is η·g, as large as the gradient; momentum "
            "adds it to its velocity and carries it on. (ADAGRAD's and RMSprop's steps are "
            "bounded too, by η and η/√(1−ρ): the protection comes from dividing by a root mean "
            "square of gradients; ADADELTA's bound is in units of its own recent steps.)"
        )
    return "\n\n".join(parts)


def _check_large_gradient(runs: Runs) -> bool:
    """At its steepest step SGD's step is ≥ 10× its previous one (or SGD diverged);
    ADADELTA's step there is ≤ 1/√(1−ρ) × its previous one and every ADADELTA step
    respects |Δx| ≤ η·RMS[Δx]_{t−1}/√(1−ρ)."""
    sgd, ad = jump(runs["sgd"]), jump(runs["adadelta"])
    if ad is None:
        return False
    _, ok = adadelta_step_bound(runs["adadelta"])
    rho = _scalar_hp(runs["adadelta"])["rho"]
    sgd_jumped = _diverged(runs["sgd"]) or (sgd is not None and sgd[3] >= 10)
    return bool(sgd_jumped and ok and ad[3] <= 1 / math.sqrt(1 - rho))


# ---------------------------------------------------------------------------
# 8. Noisy gradients
# ---------------------------------------------------------------------------


def tail_mean_gap(tr: Trajectory, fraction: float = 0.2) -> float:
    """Mean f − f_min over the last ``fraction`` of the run (NaN if it diverged)."""
    n = max(1, round(fraction * (tr.steps + 1)))
    return float(np.mean(tr.loss_gap[-n:])) if not _diverged(tr) else math.nan


def tail_step(tr: Trajectory, fraction: float = 0.2) -> float:
    """Root mean square step length over the last ``fraction`` of the run."""
    n = max(1, round(fraction * tr.steps))
    u = np.linalg.norm(tr.updates[-n:], axis=-1)
    return float(np.sqrt(np.mean(u * u))) if not _diverged(tr) else math.nan


SEEDS = 5


def _explain_noisy(_settings: Settings, runs: Runs) -> str:
    if not runs:
        return "No optimizer is selected."
    ref = _any_run(runs)
    if ref.noise == 0:
        return (
            "There is no gradient noise in these settings (σ = 0): set σ above 0 to see who "
            "settles and who keeps jittering."
        )
    items = []
    for key, tr in runs.items():
        if _diverged(tr):
            items.append(f"- {_bold(key)} diverged at step {int(tr.diverged_at)}.")
            continue
        items.append(
            f"- {_bold(key)} ({_hp_text(tr, ['lr', 'rho', 'eps'])}): mean f − f_min "
            f"{fmt(tail_mean_gap(tr))}, RMS step {fmt(tail_step(tr))}."
        )
    parts = [
        f"Every gradient carries Gaussian noise of σ = {fmt(ref.noise)}. Over the last "
        f"20 % of the {ref.steps} steps:",
        "\n".join(items),
    ]
    ad, sgd = runs.get("adadelta"), runs.get("sgd")
    if ad is None or sgd is None:
        parts.append(_missing("adadelta" if ad is None else "sgd", "for the comparison"))
        return "\n\n".join(parts)
    seeds = [ref.seed + i for i in range(SEEDS)]
    wins = 0
    for s in seeds:
        a, b = _rerun(ad, seed=s), _rerun(sgd, seed=s)
        wins += tail_mean_gap(a) < tail_mean_gap(b)
    a_gap, s_gap = tail_mean_gap(ad), tail_mean_gap(sgd)
    lower = math.isfinite(a_gap) and math.isfinite(s_gap) and a_gap < s_gap
    parts.append(
        (
            "ADADELTA settles lower than SGD here: "
            if lower
            else "ADADELTA does not settle lower than SGD here: "
        )
        + f"SGD keeps taking steps of about η·|g| and so jitters at a level set by η and σ, "
        f"while ADADELTA's RMS[Δx] shrinks once the gradients are mostly noise, so its steps "
        f"shrink with it. With seeds {seeds[0]}–{seeds[-1]} ADADELTA's mean was lower than "
        f"SGD's in {wins} of {len(seeds)}."
    )
    return "\n\n".join(parts)


def _check_noisy(runs: Runs) -> bool:
    """With noise, ADADELTA's mean f − f_min over the last 20 % of the run is below
    SGD's."""
    ad, sgd = runs["adadelta"], runs["sgd"]
    if ad.noise == 0:
        return False
    return bool(tail_mean_gap(ad) < tail_mean_gap(sgd))


# ---------------------------------------------------------------------------
# 9. ε is a warm-up learning rate
# ---------------------------------------------------------------------------


def first_step_formula(g: Array, rho: float, eps: float, lr: float = 1.0) -> Array:
    """ADADELTA's first step: −η·√ε·g/√((1−ρ)g² + ε) (E[g²]₀ = E[Δx²]₀ = 0)."""
    g = np.asarray(g, dtype=float)
    return -lr * (np.sqrt(eps) / np.sqrt((1.0 - rho) * g * g + eps)) * g


def warmup_steps(tr: Trajectory, factor: float = 10.0) -> int | None:
    """The first step at which ADADELTA's step length reaches ``factor`` × its first."""
    u = np.linalg.norm(tr.updates, axis=-1)
    hits = np.flatnonzero(np.isfinite(u) & (u >= factor * u[0]))
    return int(hits[0]) if hits.size and u[0] > 0 else None


EPS_VALUES = (1e-8, 1e-6, 1e-4, 1e-2)


def _explain_eps(_settings: Settings, runs: Runs) -> str:
    ad = runs.get("adadelta")
    if ad is None:
        return _missing("adadelta", "to see its warm-up")
    hp = _scalar_hp(ad)
    rho, eps, lr = hp["rho"], hp["eps"], hp["lr"]
    g0, u0 = ad.grads[0], ad.updates[0]
    formula = first_step_formula(g0, rho, eps, lr)
    size = lr * math.sqrt(eps / (1 - rho))
    parts = [
        f"{_bold('adadelta')} starts with E[Δx²] = 0, so its first step is "
        f"−√ε·g/√((1−ρ)g² + ε): with g = {_point(g0)} it is Δx = {_point(u0)} "
        f"(the formula gives {_point(formula)}), about √(ε/(1−ρ)) = {fmt(size)} per "
        f"coordinate whatever the gradient — ε acts as a warm-up learning rate."
    ]
    sgd = runs.get("sgd")
    if sgd is not None:
        parts.append(
            f"SGD's first step is −η·g = {_point(sgd.updates[0])}, as large as the gradient."
        )
    e = ad.effective_lr
    rows = _finite_rows(e)
    if rows.size:
        peak = int(rows[np.argmax(e[rows, 0] + e[rows, 1])])
        t10 = warmup_steps(ad)
        grow = (
            f"its step length first reaches 10× the first at step {t10}"
            if t10 is not None
            else "its step length never reaches 10× the first"
        )
        when = "at the last step, still growing" if peak == rows[-1] else f"at step {peak}"
        parts.append(
            f"ADADELTA's effective rate then grows, from {fmt(e[0, 0])} (x) and {fmt(e[0, 1])} (y) "
            f"to {fmt(e[peak, 0])} and {fmt(e[peak, 1])} {when}; {grow}."
        )
    items = []
    for value in EPS_VALUES:
        other = _rerun(ad, eps=value)
        end = (
            f"diverged at step {int(other.diverged_at)}"
            if _diverged(other)
            else f"f − f_min = {fmt(_final_gap(other))}"
        )
        items.append(f"| {fmt(value)} | {fmt(lr * math.sqrt(value / (1 - rho)))} | {end} |")
    parts.append(
        f"\n\nThe same run with other values of ε (ρ = {fmt(rho)}), after {ad.steps} "
        "steps:\n\n| ε | first step ≈ √(ε/(1−ρ)) | end |\n|---|---|---|\n" + "\n".join(items)
    )
    return " ".join(parts[:-1]) + parts[-1]


def _check_eps(runs: Runs) -> bool:
    """ADADELTA's first step equals −η·√ε·g/√((1−ρ)g² + ε) to 1e-15 relative, per
    coordinate, and its effective rate grows over the first ten steps in both
    dimensions."""
    ad = runs["adadelta"]
    hp = _scalar_hp(ad)
    expected = first_step_formula(ad.grads[0], hp["rho"], hp["eps"], hp["lr"])
    exact = bool(np.all(np.abs(ad.updates[0] - expected) <= 1e-15 * np.abs(expected)))
    grows = bool(np.all(np.diff(ad.effective_lr[:11], axis=0) > 0))
    return exact and grows


# ---------------------------------------------------------------------------
# 10. Saddle points
# ---------------------------------------------------------------------------

ESCAPE = 1.0


def escape_step(tr: Trajectory, threshold: float = ESCAPE) -> int | None:
    """The first step at which |y| > ``threshold`` (None if it never does)."""
    y = np.abs(tr.positions[:, 1])
    hits = np.flatnonzero(np.isfinite(y) & (y > threshold))
    return int(hits[0]) if hits.size else None


def _explain_saddle(_settings: Settings, runs: Runs) -> str:
    if not runs:
        return "No optimizer is selected."
    ref = _any_run(runs)
    y0 = float(ref.positions[0, 1])
    if not abs(y0) < ESCAPE:
        return (
            f"The path starts at y = {fmt(y0)}, already beyond |y| > {fmt(ESCAPE)}: there "
            "is nothing to escape from. Start close to y = 0 to watch who leaves it first."
        )
    rows = []
    escapes: dict[str, int | None] = {}
    for key, tr in runs.items():
        t = escape_step(tr)
        escapes[key] = t
        if t is None:
            rows.append(f"| {_name(key)} | did not escape in {tr.steps} steps | |")
        else:
            rows.append(f"| {_name(key)} | {t} | {fmt(original_positions(tr)[t, 0])} |")
    on_saddle = ref.objective.name.split("*")[0].split("|")[0] == "saddle"
    parts = [
        f"The path starts at y = {fmt(y0)}"
        + (", next to the line that leads straight into the saddle" if on_saddle else "")
        + f". Escape step = the first step with |y| > {fmt(ESCAPE)}:\n\n"
        "| optimizer | escape step | x at escape |\n|---|---|---|\n" + "\n".join(rows)
    ]
    done = {k: t for k, t in escapes.items() if t is not None}
    if done:
        fastest = min(done, key=done.__getitem__)
        parts.append(f"Fastest: {_name(fastest)} (step {done[fastest]}).")
    if "adadelta" not in escapes or "sgd" not in escapes:
        parts.append(
            _missing("adadelta" if "adadelta" not in escapes else "sgd", "for the comparison")
        )
    else:
        ad, sgd = escapes["adadelta"], escapes["sgd"]
        if ad is None:
            result = "Here ADADELTA did not escape" + (
                f", SGD did at step {sgd}." if sgd is not None else ", nor did SGD."
            )
        elif sgd is None:
            result = f"Here ADADELTA escapes at step {ad} and SGD not at all."
        else:
            first = "ADADELTA first" if ad < sgd else ("together" if ad == sgd else "SGD first")
            result = f"Here ADADELTA escapes at step {ad}, SGD at step {sgd}: {first}."
        parts.append(
            "SGD's step in y is η·|∂f/∂y|"
            + (" = 2η|y|" if on_saddle else "")
            + ", tiny while that gradient is tiny, so it first slides towards the saddle and "
            "escapes only once y has grown geometrically; ADADELTA divides each coordinate by "
            "its own RMS[g], so a tiny y-gradient still gets a step comparable to x's. "
            + result
            + (
                " After escaping, the paths run off: this function has no minimum."
                if ref.objective.f_min is None
                else ""
            )
        )
    return "\n\n".join(parts)


def _check_saddle(runs: Runs) -> bool:
    """ADADELTA reaches |y| > 1 and does so before SGD (or SGD never does)."""
    ad, sgd = escape_step(runs["adadelta"]), escape_step(runs["sgd"])
    return ad is not None and (sgd is None or ad < sgd)


# ---------------------------------------------------------------------------
# 11. The price: oscillation near the minimum, and memory
# ---------------------------------------------------------------------------

#: The number of per-parameter state values the paper's comparison implies.
EXPECTED_MEMORY = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "adadelta": 2,
    "rmsprop": 1,
    "adam": 2,
}


def memory_table() -> list[tuple[str, int]]:
    """(optimizer key, state values kept per parameter) for every registered optimizer,
    from ``OptimizerSpec.memory_per_parameter`` (Adam's step count is one number for the
    whole model, not per parameter)."""
    return [(key, optimizers.get(key).memory_per_parameter) for key in optimizers.names()]


def sign_change_share(tr: Trajectory, fraction: float = 0.25) -> Array:
    """Share of consecutive steps in the last ``fraction`` of the run whose Δx changes
    sign, per dimension (NaN if the run diverged)."""
    n = max(2, round(fraction * tr.steps))
    u = tr.updates[-n:]
    if not np.isfinite(u).all():
        return np.array([math.nan, math.nan])
    return np.mean(np.sign(u[1:]) != np.sign(u[:-1]), axis=0)


def _explain_price(_settings: Settings, runs: Runs) -> str:
    parts = []
    ad = _usable(runs, "adadelta", "to see its end-of-run oscillation", parts)
    if ad is not None:
        gap = ad.loss_gap
        best_t = int(np.nanargmin(gap))
        sc = sign_change_share(ad)
        e = ad.effective_lr
        if gap[-1] > 10 * gap[best_t]:
            head = (
                f"{_bold('adadelta')} came within f − f_min = {fmt(gap[best_t])} of the "
                f"minimum at step {best_t} but ends at {fmt(gap[-1])}."
            )
        else:
            head = (
                f"{_bold('adadelta')} ends at f − f_min = {fmt(gap[-1])}, about the closest "
                f"it came ({fmt(gap[best_t])} at step {best_t})."
            )
        if np.all(sc >= 0.5):
            body = (
                f" In the last quarter of the run its step changed sign in {pct(sc[0])} of the "
                f"steps in x and {pct(sc[1])} in y: it hops back and forth. Near the minimum g "
                f"shrinks faster than RMS[Δx], its memory of earlier and larger steps, so its "
                f"effective rate RMS[Δx]/RMS[g] stays large ({fmt(e[-1, 0])} in x, "
                f"{fmt(e[-1, 1])} in y at the last step) and the steps overshoot."
            )
        else:
            body = (
                f" In the last quarter of the run its step changed sign in only "
                f"{pct(sc[0])} of the steps in x and {pct(sc[1])} in y: no steady "
                "oscillation with these settings."
            )
        parts.append(head + body)
        others = [
            f"{_name(k)} {fmt(_final_gap(tr))}"
            for k, tr in runs.items()
            if k != "adadelta" and not _diverged(tr)
        ]
        if others:
            parts.append(f"Final f − f_min of the others: {', '.join(others)}.")
    table = "\n".join(f"| {_name(k)} | {n} |" for k, n in memory_table())
    ad_mem = dict(memory_table())["adadelta"]
    parts.append(
        f"\n\nThe other price is memory: ADADELTA keeps {ad_mem} numbers per parameter "
        "(E[g²] and E[Δx²]), as many as Adam, one more than ADAGRAD or RMSprop:\n\n"
        "| optimizer | state values per parameter |\n|---|---|\n" + table
    )
    return " ".join(parts[:-1]) + parts[-1]


def _check_price(runs: Runs) -> bool:
    """In the last quarter ADADELTA's Δx changes sign in at least half the steps (both
    dimensions), it ends more than 10× above the best f − f_min it reached, and
    :func:`memory_table` is SGD 0, momentum 1, Nesterov 1, ADAGRAD 1, ADADELTA 2,
    RMSprop 1, Adam 2."""
    ad = runs["adadelta"]
    if _diverged(ad):
        return False
    gap = ad.loss_gap
    oscillates = bool(np.all(sign_change_share(ad) >= 0.5))
    slowed = bool(gap[-1] > 10 * np.nanmin(gap))
    return oscillates and slowed and dict(memory_table()) == EXPECTED_MEMORY


# ---------------------------------------------------------------------------
# The lessons, in teaching order
# ---------------------------------------------------------------------------


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


LESSONS: tuple[Lesson, ...] = (
    _lesson(
        "adagrad_decay",
        "ADAGRAD's learning rate dies",
        "ADAGRAD's accumulator of squared gradients only grows, so its effective learning rate "
        "keeps falling towards zero and training stalls; ADADELTA's running averages do not.",
        Settings(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=2000,
            optimizers=("adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(adagrad={"lr": 0.01}, rmsprop={"lr": 0.01}, adadelta={}),
        ),
        "The effective-learning-rate panels, x and y: ADAGRAD's curve falls for the whole run "
        "while ADADELTA's rises and then settles. Then the contour: ADAGRAD stops short of "
        "the minimum.",
        _explain_adagrad_decay,
        _check_adagrad_decay,
    ),
    _lesson(
        "adagrad_bad_start",
        "ADAGRAD remembers a bad start",
        "Large early gradients stay in ADAGRAD's sum for ever and shrink every later step; a "
        "running average forgets them.",
        Settings(
            objective="rosenbrock",
            start=(-1.0, 2.8),
            steps=2000,
            optimizers=("adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(adagrad={"lr": 0.05}, rmsprop={"lr": 0.01}, adadelta={}),
        ),
        "The contour: the faint path is ADAGRAD restarted with an empty memory where the steep "
        "descent ends; the bold one remembers the wall. Then ADAGRAD's effective-rate curves "
        "just after the steep first steps.",
        _explain_bad_start,
        _check_bad_start,
        _ghosts_bad_start,
    ),
    _lesson(
        "no_learning_rate",
        "No learning rate to choose",
        "ADADELTA needs no manually set learning rate: its defaults work where SGD must be tuned.",
        Settings(
            objective="beale",
            start=(1.0, 1.5),
            steps=2000,
            optimizers=("sgd", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 1e-4}, adadelta={}),
        ),
        "The contour: ADADELTA against the faint SGD paths, one per learning rate (some leave "
        "the plot at once); then the f − f_min panel at the last step.",
        _explain_no_lr,
        _check_no_lr,
        _ghosts_no_lr,
    ),
    _lesson(
        "insensitive",
        "Insensitive to ρ and ε",
        "ADADELTA's results change little across its hyperparameters ρ and ε, unlike SGD's "
        "across learning rates.",
        Settings(
            objective="rosenbrock",
            start=(-1.5, 2.0),
            steps=1000,
            optimizers=("sgd", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 1e-3}, adadelta={}),
            view="sensitivity",
        ),
        "The sensitivity view: how much of ADADELTA's ρ–ε grid ends close to the best result, "
        "against SGD's row of learning rates, and where SGD's row turns into divergence.",
        _explain_insensitive,
        _check_insensitive,
    ),
    _lesson(
        "per_dimension",
        "One step size per dimension",
        "ADADELTA (like ADAGRAD) adapts a separate learning rate for every dimension, which "
        "helps when the curvature differs along the axes.",
        Settings(
            objective="ill_conditioned",
            start=(-3.5, 1.5),
            steps=1000,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
        ),
        "The two effective-rate panels: on this valley ADADELTA's and ADAGRAD's x and y curves "
        "sit far apart. Then load the rotated valley from the corresponding start and watch "
        "them close up, and the end of the run get worse.",
        _explain_per_dimension,
        _check_per_dimension,
    ),
    _lesson(
        "units",
        "Units: a factor on f changes nothing",
        "ADADELTA's update has the units of x (like Newton's method), so rescaling f leaves "
        "its steps unchanged, while SGD's steps scale with the gradient.",
        Settings(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=500,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
            scale_exponent=2,
        ),
        "The contour with and without the factor on f: ADADELTA's path does not move, SGD's "
        "diverges with the factor and crawls without it. Try stretching x too.",
        _explain_units,
        _check_units,
    ),
    _lesson(
        "large_gradient",
        "A sudden large gradient",
        "ADADELTA's step is bounded by its recent steps, so one huge gradient cannot throw it "
        "far, while SGD's step grows with the gradient.",
        Settings(
            objective="cliff",
            formula=CLIFF_FORMULA,
            bounds=CLIFF_BOUNDS,
            start=(-3.5, 1.5),
            steps=1500,
            optimizers=("sgd", "momentum", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 0.1}, momentum={"lr": 0.01, "beta": 0.9}, adadelta={}
            ),
        ),
        "The contour where the paths cross the cliff, then the step inspector at each "
        "optimizer's steepest step named in the text: SGD's leap against ADADELTA's bounded "
        "step.",
        _explain_large_gradient,
        _check_large_gradient,
    ),
    _lesson(
        "noisy_gradients",
        "Noisy gradients",
        "ADADELTA is robust to noisy gradient information.",
        Settings(
            objective="noisy_quadratic",
            start=(-2.5, 2.0),
            steps=2000,
            optimizers=("sgd", "adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 0.05}, adagrad={"lr": 0.05}, rmsprop={"lr": 0.05}, adadelta={}
            ),
            noise=1.0,
            seed=0,
        ),
        "The f − f_min panel over the last part of the run: SGD and RMSprop jitter at a level "
        "set by their learning rate while ADADELTA keeps settling; and its effective rate "
        "falling.",
        _explain_noisy,
        _check_noisy,
    ),
    _lesson(
        "eps_warmup",
        "ε is a warm-up learning rate",
        "With both accumulators at zero, ADADELTA's first step is √ε·g/√((1−ρ)g² + ε): "
        "about √(ε/(1−ρ)) per coordinate, so ε sets the size of the first steps.",
        Settings(
            objective="booth",
            start=(-8.0, 8.0),
            steps=1000,
            optimizers=("sgd", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.02}, adadelta={}),
        ),
        "The step inspector at the first step (ADADELTA's Δx against the formula), then the "
        "effective-rate panels over the first steps: ADADELTA's rate climbing from almost "
        "nothing.",
        _explain_eps,
        _check_eps,
    ),
    _lesson(
        "saddle",
        "Saddle points: who escapes",
        "Per-dimension step sizes help to leave a saddle point, where the gradient is tiny "
        "in the escape direction.",
        Settings(
            objective="saddle",
            start=(1.5, 1e-3),
            steps=150,
            optimizers=("sgd", "momentum", "adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 0.05},
                momentum={"lr": 0.05},
                adagrad={"lr": 0.05},
                rmsprop={"lr": 0.05},
                adadelta={},
            ),
        ),
        "The contour: who leaves the x axis first; the step inspector at each optimizer's "
        "escape step named in the table.",
        _explain_saddle,
        _check_saddle,
    ),
    _lesson(
        "the_price",
        "The price: oscillation and memory",
        "ADADELTA's robustness has costs: near the minimum its remembered step sizes make it "
        "oscillate, and it keeps two accumulators per parameter.",
        Settings(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=2000,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
        ),
        "The f − f_min panel at the end of the run: ADADELTA rises again while the others keep "
        "falling; the accumulator panels; then the memory table.",
        _explain_price,
        _check_price,
    ),
)

_BY_KEY = {lesson.key: lesson for lesson in LESSONS}


def names() -> list[str]:
    """Lesson keys in teaching order."""
    return [lesson.key for lesson in LESSONS]


def get(key: str) -> Lesson:
    """The lesson ``key`` (``KeyError`` listing the known keys otherwise)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown lesson {key!r}; known: {', '.join(_BY_KEY)}") from None
