"""The scene: what is run, as one frozen value (:class:`Scene`), and the change of f and of
the units of x that the robustness demos apply (:class:`Transform`). No Streamlit here.

A :class:`Scene` names the objective (a catalogue or lesson objective by name, or a typed
formula with its window), the start, the number of steps, the optimizers compared with
their hyperparameters, the gradient noise and its seed, and a :class:`Transform`. It is
the only code that builds the objective of a scene (:meth:`Scene.base_objective`,
:meth:`Scene.run_objective`, :meth:`Scene.plot_objective`) and runs it (:meth:`Scene.run`,
:meth:`Scene.runs`, cached per distinct run). The app's controls, a link, a lesson and the
Sensitivity view all describe what they run as a Scene; how it is shown (the view, the
presenter mode, the playback speed, ghost paths, the open lesson) is not part of it.

A transform multiplies f by 10^k (``scale_exp`` k) and measures x in units s times smaller
(``stretch`` s: the optimizer sees f'(x', y) = 10^k f(x'/s, y) with x' = s·x). Runs happen in
the optimizer's coordinates (x', y), from the start (s·x₀, y₀), with the gradient noise σ
scaled like f (σ·10^k); figures draw them in the plot's coordinates (x, y), on the scaled
but unstretched contour, so that paths before and after compare on one picture. Every part
of optviz that applies the demos (the app's runs, ghost paths and sweeps, the lessons, the
step inspector's "optimizer's units") goes through this class.

The transformed objective records the transform as fields (``Objective.scale``,
``Objective.stretch``), never in its name, and a trajectory mapped to the plot's coordinates
says so (``Trajectory.in_plot_coordinates``): nothing is guessed back from strings or values.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import limits, objectives, optimizers
from .formula import from_expression
from .objectives import Objective
from .optimizers import Optimizer
from .runner import Trajectory, run

__all__ = [
    "CUSTOM",
    "DEFAULT_OBJECTIVE",
    "DEFAULT_OPTIMIZERS",
    "DEFAULT_STEPS",
    "STEPS_RANGE",
    "Scene",
    "Transform",
    "default_hyperparams",
    "hyperparams",
]

Bounds = tuple[tuple[float, float], tuple[float, float]]
HyperParams = tuple[tuple[str, tuple[tuple[str, float], ...]], ...]

#: the objective of a scene whose function is a typed formula (with ``formula`` and ``bounds``)
CUSTOM = "custom"
DEFAULT_OBJECTIVE = "rosenbrock"
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adadelta")
DEFAULT_STEPS = 500
#: fewest and most steps (:mod:`optviz.limits`)
STEPS_RANGE = (limits.MIN_STEPS, limits.MAX_STEPS)


@dataclass(frozen=True)
class Transform:
    """f × 10^``scale_exp``, and x measured in units ``stretch`` times smaller (x' = s·x)."""

    scale_exp: int = 0
    stretch: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.scale_exp, bool) or not isinstance(self.scale_exp, (int, np.integer)):
            raise ValueError(f"scale exponent must be a whole number, got {self.scale_exp!r}")
        if not (math.isfinite(self.stretch) and self.stretch > 0):
            raise ValueError(f"stretch = {self.stretch!r} must be a positive finite number")

    @property
    def factor(self) -> float:
        """What f (and the gradient noise σ) is multiplied by: 10^k."""
        return 10.0**self.scale_exp

    def objective(self, base: Objective) -> Objective:
        """The function the optimizer sees: ``base`` scaled by 10^k, in stretched x'."""
        return _transformed(base, int(self.scale_exp), float(self.stretch))

    def plot_objective(self, base: Objective) -> Objective:
        """The function the figure draws: scaled, in the plot's (unstretched) x."""
        return _transformed(base, int(self.scale_exp), 1.0)

    def noise(self, sigma: float) -> float:
        """The gradient-noise σ of the run: σ × 10^k (noise is in the units of f's gradient)."""
        return float(sigma) * self.factor

    def to_run(self, point: Any) -> tuple[float, float]:
        """A point of the plot, (x, y), in the optimizer's coordinates: (s·x, y)."""
        return (float(point[0]) * self.stretch, float(point[1]))

    def plot_positions(self, positions: np.ndarray) -> np.ndarray:
        """Positions in the optimizer's coordinates (x', y), as the plot's (x'/s, y) (a copy)."""
        out = np.array(positions, dtype=np.float64)
        if self.stretch != 1.0:
            out[..., 0] /= self.stretch
        return out

    def to_plot(self, traj: Trajectory) -> Trajectory:
        """``traj`` (run in the optimizer's coordinates) with its positions in the plot's;
        its gradients, updates, states and objective stay the optimizer's."""
        if traj.in_plot_coordinates or self.stretch == 1.0:
            return dataclasses.replace(traj, in_plot_coordinates=True)
        return dataclasses.replace(
            traj, positions=self.plot_positions(traj.positions), in_plot_coordinates=True
        )

    def to_optimizer(self, traj: Trajectory) -> Trajectory:
        """``traj`` with its positions in the optimizer's own coordinates (x' = s·x) again,
        where the rest of it (gradients, updates, state) is."""
        if not traj.in_plot_coordinates:
            return traj
        positions = np.array(traj.positions, dtype=np.float64)
        if self.stretch != 1.0:
            positions[..., 0] *= self.stretch
        return dataclasses.replace(traj, positions=positions, in_plot_coordinates=False)

    def run(
        self,
        base: Objective,
        optimizer: Optimizer,
        start: Any,
        steps: int,
        *,
        seed: int = 0,
        noise: float = 0.0,
    ) -> Trajectory:
        """``optimizer`` on ``base`` under this transform, from ``start`` (plot
        coordinates; one point or a batch), its positions returned in the plot's
        coordinates (see the module docstring)."""
        starts = np.array(start, dtype=np.float64)
        if self.stretch != 1.0:
            starts[..., 0] *= self.stretch
        traj = run(
            self.objective(base),
            optimizer,
            starts,
            steps,
            seed=seed,
            noise=self.noise(noise),
        )
        return self.to_plot(traj)


@functools.lru_cache(maxsize=64)
def _transformed(base: Objective, scale_exp: int, stretch: float) -> Objective:
    obj = base
    if scale_exp:
        obj = obj.scaled(10.0**scale_exp)
    if stretch != 1.0:
        obj = obj.stretched(stretch)
    return obj


def stretch_of(traj: Trajectory) -> float:
    """The stretch of the objective ``traj`` ran on (1 for none)."""
    return float(traj.objective.stretch)


def run_positions(traj: Trajectory) -> np.ndarray:
    """``traj``'s positions in the coordinates of ``traj.objective`` (where reruns start),
    whichever coordinates it holds them in."""
    return Transform(stretch=stretch_of(traj)).to_optimizer(traj).positions


def plot_positions(traj: Trajectory) -> np.ndarray:
    """``traj``'s positions in the plot's coordinates (where paths are drawn and compared)."""
    return Transform(stretch=stretch_of(traj)).to_plot(traj).positions


# ---------------------------------------------------------------------------
# The scene
# ---------------------------------------------------------------------------


def default_hyperparams(key: str, objective: Objective | None) -> dict[str, float]:
    """Optimizer ``key``'s spec defaults, its learning rate (by the spec's ``lr_kind``) taken
    from ``objective.suggested_lr`` (gradient-scaled, step-sized; (0.01, 0.1) without one)."""
    spec = optimizers.get(key)
    values = spec.defaults
    gradient_lr, step_lr = objective.suggested_lr if objective is not None else (0.01, 0.1)
    if spec.lr_kind == optimizers.LR_GRADIENT:
        values["lr"] = gradient_lr
    elif spec.lr_kind == optimizers.LR_STEP:
        values["lr"] = step_lr
    return values


def hyperparams(**per_key: Mapping[str, float]) -> HyperParams:
    """``hyperparams(sgd={"lr": 0.1}, ...)`` in :attr:`Scene.hyperparams`' shape: per key,
    the spec's defaults overridden by the given values, as sorted (name, value) pairs."""
    out = []
    for key, values in per_key.items():
        full = {**optimizers.get(key).defaults, **{k: float(v) for k, v in values.items()}}
        out.append((key, tuple(sorted(full.items()))))
    return tuple(sorted(out))


def _canonical_hyperparams(items: Any) -> HyperParams:
    """Per key (sorted), its (name, value) pairs sorted, values as floats: equal settings
    give equal (and equally hashed) scenes however they were written."""
    out = {}
    for key, pairs in dict(items).items():
        out[str(key)] = tuple(sorted((str(n), float(v)) for n, v in dict(pairs).items()))
    return tuple(sorted(out.items()))


@dataclass(frozen=True, kw_only=True)
class Scene:
    """What is run: objective, start, steps, optimizers and their hyperparameters, noise,
    seed and transform. Frozen and hashable (a cache key); equal settings are equal scenes.

    * ``objective`` — a name ``objectives.get`` knows (the catalogue, registered objectives
      and lessons' own functions), or :data:`CUSTOM` for the typed ``formula`` on the window
      ``bounds`` (``((xmin, xmax), (ymin, ymax))``; parsed, never evaluated as code);
    * ``start`` — in the plot's coordinates (see :class:`Transform`);
    * ``hyperparams`` — per optimizer key, (name, value) pairs; a key or name left out takes
      :func:`default_hyperparams` for the objective. A spec's ``paper_values`` (ADADELTA's
      η = 1) hold unless the optimizer is in ``variants`` (the libraries' variant; only
      optimizers with ``paper_values`` have one);
    * ``noise`` — σ of the Gaussian gradient noise for the untransformed f (the runs use
      σ·10^k: :attr:`sigma`), replayed exactly by ``seed``;
    * ``optimizers`` — the runs compared, each a spec's key (``"adadelta"``) or, for a
      second (third, …) run of the same optimizer with settings of its own, an instance
      key ``"adadelta~2"`` (:func:`optviz.optimizers.instance_key`); every key has its own
      ``hyperparams`` and variant switch;
    * ``labels`` — (key, text) pairs: a run's legend name typed by the user (else
      :meth:`label` makes one);
    * ``untransformed`` — the runs that ignore ``transform`` (the robustness demos'
      "compare with the untransformed run": the same optimizer on the original f, drawn on
      the same picture).
    """

    objective: str = DEFAULT_OBJECTIVE
    formula: str = ""
    bounds: Bounds | None = None
    start: tuple[float, float] = (-1.5, 2.0)
    steps: int = DEFAULT_STEPS
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    hyperparams: HyperParams = ()
    noise: float = 0.0
    seed: int = 0
    variants: tuple[str, ...] = ()
    transform: Transform = Transform()
    labels: tuple[tuple[str, str], ...] = ()
    untransformed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        custom = self.objective == CUSTOM
        set_("formula", str(self.formula) if custom else "")
        if custom and self.bounds is not None:
            (a, b), (c, d) = self.bounds
            set_("bounds", ((float(a), float(b)), (float(c), float(d))))
        elif not custom:
            set_("bounds", None)
        set_("start", (float(self.start[0]), float(self.start[1])))
        set_("steps", int(self.steps))
        set_("optimizers", tuple(dict.fromkeys(self.optimizers)))
        set_("hyperparams", _canonical_hyperparams(self.hyperparams))
        set_("noise", float(self.noise))
        set_("seed", int(self.seed))
        # only a method the paper fixes a value of has a library variant (ADADELTA's η)
        set_("variants", tuple(sorted(k for k in set(self.variants) if _has_variant(k))))
        labels = {str(k): " ".join(str(t).split()) for k, t in dict(self.labels).items()}
        set_("labels", tuple(sorted((k, t) for k, t in labels.items() if t)))
        set_("untransformed", tuple(sorted(set(self.untransformed))))
        if not isinstance(self.transform, Transform):
            raise TypeError(f"transform must be a Transform, got {self.transform!r}")

    @classmethod
    def of_objective(cls, objective: str = DEFAULT_OBJECTIVE, **changes: Any) -> Scene:
        """The scene a newcomer gets for ``objective``: its own start and noise, learning rates
        suited to it (:func:`default_hyperparams`) for the default optimizers; then
        ``changes`` (for :data:`CUSTOM`, give ``formula`` and ``bounds``)."""
        probe = cls(
            objective=objective,
            formula=changes.get("formula", ""),
            bounds=changes.get("bounds"),
        )
        try:
            obj = probe.base_objective()
        except (KeyError, ValueError):  # a formula it will not accept: the defaults
            fields: dict[str, Any] = {"start": (1.5, 1.5), "noise": 0.0}
        else:
            fields = {"start": tuple(obj.start), "noise": float(obj.noise)}
        return cls(objective=objective, **{**fields, **changes})

    # -- the objective ---------------------------------------------------------

    @property
    def objective_key(self) -> str | tuple:
        """The objective's cache key: its name, or (:data:`CUSTOM`, formula, window)."""
        if self.objective == CUSTOM:
            return (CUSTOM, self.formula, self.bounds)
        return self.objective

    def base_objective(self) -> Objective:
        """The untransformed objective (compiled once per process; ``KeyError`` for an
        unknown name, ``ExpressionError`` — a ``ValueError`` — for a refused formula)."""
        return _base_objective(self.objective_key)

    def run_objective(self) -> Objective:
        """The function the optimizers see: scaled by 10^k, in stretched x' = s·x."""
        return self.transform.objective(self.base_objective())

    def plot_objective(self) -> Objective:
        """The function the figure draws: scaled by 10^k, in the plot's (unstretched) x."""
        return self.transform.plot_objective(self.base_objective())

    @property
    def run_start(self) -> tuple[float, float]:
        """The start in the optimizers' coordinates ((s·x₀, y₀) when stretched)."""
        return self.transform.to_run(self.start)

    @property
    def sigma(self) -> float:
        """The gradient-noise σ the runs use: ``noise`` × 10^k (noise scales with f)."""
        return self.transform.noise(self.noise)

    @property
    def float_path(self) -> bool:
        """Whether the runs go float by float (the objective's gradient has a float path:
        ``Objective.scalar_grad``), ~5× cheaper a step than NumPy arrays. False when the
        objective cannot be built (nothing is run then)."""
        try:
            return self.run_objective().scalar_grad is not None
        except (KeyError, ValueError):
            return False

    def max_steps(self) -> int:
        """The most steps this scene's runs may have within the server's budget for one
        rerun (:func:`optviz.limits.max_steps`: it depends on the number of runs and on
        :attr:`float_path`)."""
        return limits.max_steps(len(self.optimizers), self.float_path)

    # -- the optimizers --------------------------------------------------------

    def hp(self, key: str, *, paper: bool = True) -> dict[str, float]:
        """The hyperparameters optimizer ``key`` runs with (see the class docstring);
        ``paper=False``: as given, before a spec's ``paper_values`` replace them (what the
        library variant's sliders hold)."""
        try:
            base = default_hyperparams(key, self.base_objective())
        except (KeyError, ValueError):
            base = default_hyperparams(key, None)
        base.update(dict(dict(self.hyperparams).get(key, ())))
        if paper and key not in self.variants:  # the paper's method (ADADELTA: no η)
            base.update(optimizers.get(key).paper_values)
        return base

    def with_hp(self, key: str, values: Mapping[str, float]) -> Scene:
        """A copy with optimizer ``key``'s hyperparameters set to ``values``."""
        others = tuple((k, v) for k, v in self.hyperparams if k != key)
        return dataclasses.replace(self, hyperparams=(*others, (key, tuple(values.items()))))

    def label(self, key: str) -> str:
        """Run ``key``'s name in a legend: the label typed for it, or its spec's
        (:meth:`~optviz.optimizers.OptimizerSpec.label`) followed, when the scene runs
        that optimizer more than once, by the hyperparameters in which its runs differ
        (``ADADELTA (ρ=0.9)`` beside ``ADADELTA (ρ=0.99)``; the instance number where
        none differs), and "untransformed" for a run that ignores the transform."""
        typed = dict(self.labels).get(key)
        if typed:
            return typed
        spec = optimizers.get(key)
        values = self.hp(key)
        text = spec.label(values)
        siblings = [k for k in self.optimizers if optimizers.spec_key(k) == spec.key]
        notes = []
        if len(siblings) > 1:
            settings = [self.hp(k) for k in siblings]
            differing = [
                hp
                for hp in spec.hyperparams
                if len({s[hp.name] for s in settings}) > 1 and hp.name not in spec.paper_values
            ]
            notes = [f"{hp.label.split(' ')[0]}={values[hp.name]:.4g}" for hp in differing]
            twins = [k for k in siblings if self._apart(k) == self._apart(key)]
            if not notes and len(twins) > 1:
                notes = [f"run {optimizers.instance_number(key)}"]
        if self._apart(key):
            notes.append("untransformed")
        if not notes:
            return text
        if text.endswith(")"):
            return f"{text[:-1]}, {', '.join(notes)})"
        return f"{text} ({', '.join(notes)})"

    def _apart(self, key: str) -> bool:
        """Whether run ``key`` ignores a transform that changes the others' runs."""
        return key in self.untransformed and self.transform != Transform()

    def transform_of(self, key: str) -> Transform:
        """The transform run ``key`` sees: the scene's, or none for an untransformed run."""
        return Transform() if key in self.untransformed else self.transform

    def with_run(
        self, key: str, values: Mapping[str, float] | None = None, *, untransformed: bool = False
    ) -> Scene:
        """A copy that also runs ``key``'s optimizer once more (the next free instance key,
        placed after ``key``), from ``key``'s settings with ``values`` changed; with
        ``untransformed``, ignoring the transform."""
        base = optimizers.spec_key(key)
        number = next(
            n for n in range(2, 100) if optimizers.instance_key(base, n) not in self.optimizers
        )
        new = optimizers.instance_key(base, number)
        order = list(self.optimizers)
        order.insert(order.index(key) + 1 if key in order else len(order), new)
        hp = {**self.hp(key, paper=False), **dict(values or {})}
        return dataclasses.replace(
            self,
            optimizers=tuple(order),
            hyperparams=(*self.hyperparams, (new, tuple(hp.items()))),
            variants=(*self.variants, *([new] if key in self.variants else [])),
            untransformed=(*self.untransformed, *([new] if untransformed else [])),
        )

    def with_untransformed(self) -> Scene:
        """A copy with, beside every run that sees the transform, the same optimizer with
        the same settings on the original f ("compare with the untransformed run")."""
        scene = self
        for key in [k for k in self.optimizers if k not in self.untransformed]:
            scene = scene.with_run(key, untransformed=True)
        return scene

    def replace(self, **changes: Any) -> Scene:
        """``dataclasses.replace`` (e.g. ``scene.replace(steps=100)``)."""
        return dataclasses.replace(self, **changes)

    # -- the runs --------------------------------------------------------------

    def run(self, key: str) -> Trajectory:
        """Optimizer ``key``'s run: on :meth:`run_objective` from :attr:`run_start`, noise
        σ·10^k and seed applied, its positions returned in the plot's coordinates (its
        objective, gradients, updates and state stay the optimizer's). Cached per distinct
        run: a slider move reruns one optimizer, not the others. ``ValueError`` for a
        hyperparameter its spec refuses (the message says which and why)."""
        return _trajectory(
            self.objective_key,
            key,
            tuple(sorted(self.hp(key).items())),
            self.start,
            self.steps,
            self.noise,
            self.seed,
            self.transform_of(key),
        )

    def runs(self) -> dict[str, Trajectory]:
        """One run per optimizer, in ``optimizers`` order (a fresh dict each time)."""
        return {key: self.run(key) for key in self.optimizers}

    def describe(self) -> dict[str, Any]:
        """The scene as plain JSON-able values (for export headers)."""
        obj = self.base_objective()
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
            "library_variants": [k for k in self.variants if k in self.optimizers],
            "labels": {k: self.label(k) for k in self.optimizers},
            "untransformed": [k for k in self.untransformed if k in self.optimizers],
            "scale_exponent": self.transform.scale_exp,
            "stretch": self.transform.stretch,
        }


def _has_variant(key: str) -> bool:
    try:
        return bool(optimizers.get(key).paper_values)
    except KeyError:  # not registered (yet): kept, and refused where it is run
        return True


@functools.lru_cache(maxsize=64)
def _base_objective(key: str | tuple) -> Objective:
    if isinstance(key, tuple):
        _, formula, bounds = key
        return from_expression(formula, bounds=bounds)
    return objectives.get(key)


@functools.lru_cache(maxsize=512)
def _trajectory(
    objective_key: str | tuple,
    key: str,
    hp: tuple[tuple[str, float], ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
    transform: Transform,
) -> Trajectory:
    opt = optimizers.build(key, **dict(hp))
    return transform.run(_base_objective(objective_key), opt, start, steps, seed=seed, noise=noise)
