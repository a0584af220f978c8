"""Optimizers as pairs of pure functions over batches of 2-D points.

Every factory (:func:`sgd`, :func:`momentum`, :func:`adagrad`, :func:`adadelta`,
:func:`rmsprop`, :func:`adam`) returns an :class:`Optimizer` with

* ``init(params) -> state`` — ``params`` has shape ``(B, 2)``; the state is a
  ``NamedTuple`` whose fields are the optimizer's accumulators, each of shape ``(B, 2)``
  (Adam also keeps its step count t, as an array of the same shape);
* ``update(grads, state) -> (updates, new_state)`` — the runner adds ``updates`` to the
  parameters (the minus sign lives here);
* ``step(grads, state) -> (updates, new_state, effective_lr)`` — the same computation,
  also returning the per-dimension *effective learning rate*: the factor the optimizer
  applies to each coordinate of the current gradient (see each docstring).

Hyperparameters live in the closure. Each may be a scalar or an array of shape ``(B,)``
(one configuration per batch row), which is what makes hyperparameter sweeps one
vectorised run. They are validated when the optimizer is built: a bad value raises
``ValueError`` naming the parameter, the value and the allowed range.

The arithmetic is written in the same order as ``torch.optim``'s single-tensor CPU code.
What the tests assert against steps recorded from torch (``tests/test_torch_reference.py``):
SGD equal to the last bit; ADAGRAD, ADADELTA, RMSprop and Adam bit-identical in at least
90 % of the compared numbers and within 4 ulps in the rest (torch's float64 ``sqrt`` on CPU
is not correctly rounded for about 1.4 % of arguments). Momentum follows the paper's form
``v <- beta*v - lr*g`` and agrees with torch up to rounding; see :func:`momentum`.

Each optimizer also describes itself (:class:`OptimizerSpec`): display name,
hyperparameters with ranges and scales, its update rule in LaTeX, the LaTeX symbol and
meaning of every state field and of its effective learning rate. The registry
:data:`REGISTRY` maps a key (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
``"adadelta"``, ``"rmsprop"``, ``"adam"``) to its spec.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray
HyperValue = float | Array

__all__ = [
    "LR_GRADIENT",
    "LR_NONE",
    "LR_STEP",
    "MARKERS",
    "REGISTRY",
    "AdaDeltaState",
    "AdaGradState",
    "AdamState",
    "EmptyState",
    "Equation",
    "HyperParam",
    "MomentumState",
    "Optimizer",
    "OptimizerSpec",
    "RMSpropState",
    "RateBars",
    "StateField",
    "adadelta",
    "adagrad",
    "adam",
    "build",
    "from_rule",
    "get",
    "instance_key",
    "instance_number",
    "instance_style",
    "momentum",
    "names",
    "register",
    "rmsprop",
    "sgd",
    "spec_key",
]


# ---------------------------------------------------------------------------
# Self-description
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HyperParam:
    """One hyperparameter: how to validate it and how a UI should offer it.

    ``low``/``high`` bound what is *valid* (``low_open``/``high_open`` say whether the end
    itself is excluded); ``ui_low``/``ui_high`` are the slider's range, with ``log``
    saying whether the slider is log-scaled and ``step`` its increment on a linear scale.
    """

    name: str
    symbol: str
    label: str
    default: float
    meaning: str
    low: float
    high: float
    ui_low: float
    ui_high: float
    log: bool
    step: float | None = None
    low_open: bool = False
    high_open: bool = False

    @property
    def range_text(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or math.isinf(self.high) else "]"
        high = "∞" if math.isinf(self.high) else f"{self.high:g}"
        return f"{left}{self.low:g}, {high}{right}"

    def validate(self, value: Any) -> HyperValue:
        """Return ``value`` as a float (or float64 array) or raise a clear ValueError."""
        if isinstance(value, bool) or value is None:
            raise ValueError(f"{self.name} must be a number, got {value!r}")
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        if arr.ndim == 1 and arr.size == 0:
            raise ValueError(f"{self.name} must not be an empty array")
        if arr.ndim > 1:
            raise ValueError(
                f"{self.name} must be a number or a 1-D array (one value per batch row), "
                f"got shape {arr.shape}"
            )
        bad = ~np.isfinite(arr)
        bad |= (arr <= self.low) if self.low_open else (arr < self.low)
        bad |= (arr >= self.high) if self.high_open else (arr > self.high)
        if np.any(bad):
            first = arr.reshape(-1)[np.argmax(bad.reshape(-1))]
            raise ValueError(
                f"{self.name} = {float(first)!r} is outside the allowed range {self.range_text}"
            )
        if arr.ndim == 0:
            return float(arr)
        return arr.copy()


@dataclass(frozen=True)
class StateField:
    """A state field's name (as in the NamedTuple), LaTeX symbol and meaning.

    ``signed``: the field takes either sign (a velocity, Adam's m); the accumulator panel
    draws it as its magnitude ``|·|`` on a log axis, and says so.
    """

    name: str
    symbol: str
    meaning: str
    signed: bool = False


@dataclass(frozen=True)
class Equation:
    """One equation of an update rule, written once for every place that shows it.

    ``latex`` is the equation in symbols (``v_t = \\beta\\, v_{t-1} - \\eta\\, g_t``);
    ``numbers`` its right-hand side with «name» placeholders that the step inspector fills
    with that step's values (``«beta» \\cdot («velocity_prev») - «lr» \\cdot («g») =
    «velocity»``). The names: ``g`` (the gradient), ``update`` (Δx applied), ``eff`` (the
    effective rate), ``x_prev``/``x_new``, each state field after the step (its name) and
    before it (``<name>_prev``), ``sqrt0``, ``sqrt1`` … (the square roots the rule took, in
    order), every hyperparameter, and what the spec's ``inspector_values`` adds. An empty
    ``numbers`` shows the equation in symbols only.
    """

    latex: str
    numbers: str = ""


@dataclass(frozen=True)
class RateBars:
    """An adaptive method's per-dimension rate as a ratio, rate = numerator ÷ denominator,
    whose two parts the trajectory figure draws as bars at the step cursor (ADADELTA's
    RMS[Δx]ₜ₋₁ ÷ RMS[g]ₜ, ADAGRAD's η ÷ (√Gₜ + ε) …).

    ``numerator`` and ``denominator`` name values of the step inspector (its «names»:
    ``lr``, ``sqrt0`` …, or what ``inspector_values`` adds), so that the bars are the
    inspector's numbers (:func:`optviz.inspector.rate_parts`); the labels are plain text
    for the figure. ``applies_to`` says what the rate multiplies (``g``, or Adam's ``m``).
    """

    numerator: str
    numerator_label: str
    denominator: str
    denominator_label: str
    applies_to: str = "g"


#: How an optimizer's learning rate relates to the objective (``OptimizerSpec.lr_kind``):
#: the step is the learning rate times the gradient (SGD, momentum: the sliders start at
#: the objective's first suggested rate) …
LR_GRADIENT = "gradient"
#: … its first steps are about the learning rate in size (ADAGRAD, RMSprop, Adam: the
#: objective's second suggested rate) …
LR_STEP = "step"
#: … or it has none of its own (ADADELTA: ``lr`` is only the libraries' multiplier).
LR_NONE = "none"
LR_KINDS = (LR_GRADIENT, LR_STEP, LR_NONE)

#: Colours for optimizers that bring none (picked by a checksum of the key).
FALLBACK_COLOURS = ("#999999", "#882255", "#117733", "#332288")
#: A seventh line style: dash, dot, dot (Plotly takes a dash as a list of lengths).
DASH_DOT_DOT = "9px,3px,2px,3px,2px,3px"
#: The line styles a spec may ask for: Plotly's dash names, and :data:`DASH_DOT_DOT`.
DASHES = ("solid", "dot", "dash", "longdash", "dashdot", "longdashdot", DASH_DOT_DOT)
#: The marker symbols a spec may ask for (Plotly's names): its path carries a few of them
#: and ends in one. (``x`` marks a divergence, a star a minimum, an open circle the start.)
MARKERS = (
    "circle",
    "square",
    "diamond",
    "cross",
    "triangle-up",
    "triangle-down",
    "triangle-left",
    "triangle-right",
    "pentagon",
    "hexagon",
    "hourglass",
    "bowtie",
)


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer's whole self-description: the one place the rest of optviz (runs,
    sweeps, figures, the step inspector, the app's controls, the URL, exports, the CLI)
    learns anything about it. Register a new one with :func:`register`.

    * ``equations``: its update rule, one :class:`Equation` each; :attr:`rule_latex` and
      the inspector's lines with numbers are both made from them;
    * ``colour``, ``dash`` and ``marker``: how its path and curves are drawn — its line
      style (one of :data:`DASHES`) and the symbol (one of :data:`MARKERS`) a few points
      of its path and its end carry, so that paths differ in more than colour (empty
      colour: a fixed fallback picked from the key). The built-in seven use Paul Tol's
      "bright" scheme (its grey darkened to #AAAAAA to stand out on white), pairwise
      distinct for deuteranopes and protanopes too (``tests/test_palette.py``);
    * ``sweep_axes``: the hyperparameters the Sensitivity view and ``default_grid`` sweep
      (default: the first two);
    * ``lr_kind``: :data:`LR_GRADIENT`, :data:`LR_STEP` or :data:`LR_NONE` (which of the
      objective's suggested learning rates its ``lr`` slider starts at);
    * ``paper_values``: hyperparameters the paper's method fixes (ADADELTA's ``lr = 1``);
      another value is the libraries' variant, labelled with ``note``;
    * ``inspector_values``: extra named values for the inspector's «placeholders», computed
      from the others (ADADELTA's Δx before the libraries' multiplier);
    * ``rate_bars``: its rate as numerator ÷ denominator (:class:`RateBars`), for the
      figure's bars at the cursor (adaptive methods only);
    * ``divergence_hint``: what to try when a run diverges.
    """

    key: str
    display_name: str
    factory: Callable[..., Optimizer]
    hyperparams: tuple[HyperParam, ...]
    equations: tuple[Equation, ...]
    state_fields: tuple[StateField, ...]
    effective_lr_latex: str
    effective_lr_meaning: str
    fixed: Mapping[str, Any] = None  # type: ignore[assignment]
    note: str = ""
    colour: str = ""
    dash: str = "solid"
    marker: str = "circle"
    sweep_axes: tuple[str, ...] = ()
    lr_kind: str = LR_GRADIENT
    paper_values: Mapping[str, float] = field(default_factory=dict)
    #: shown by the inspector, after the rule, when ``paper_values`` are left
    variant_equation: Equation | None = None
    inspector_values: Callable[[Mapping[str, float]], dict[str, float]] | None = None
    rate_bars: RateBars | None = None
    divergence_hint: str = "try a smaller learning rate"

    def hyperparam(self, name: str) -> HyperParam:
        for hp in self.hyperparams:
            if hp.name == name:
                return hp
        raise KeyError(f"{self.display_name} has no hyperparameter {name!r}")

    @property
    def defaults(self) -> dict[str, float]:
        return {hp.name: hp.default for hp in self.hyperparams}

    @property
    def rule_latex(self) -> str:
        """The update rule in LaTeX: its equations side by side."""
        return r", \quad ".join(e.latex for e in self.equations)

    @property
    def number_templates(self) -> tuple[str, ...]:
        """The inspector's lines: each equation followed by its numbers."""
        return tuple(f"{e.latex} = {e.numbers}" if e.numbers else e.latex for e in self.equations)

    @property
    def line_colour(self) -> str:
        """Its colour, or a fallback that is the same in every process (a CRC of the key,
        not Python's salted ``hash``)."""
        return (
            self.colour or FALLBACK_COLOURS[zlib.crc32(self.key.encode()) % len(FALLBACK_COLOURS)]
        )

    @property
    def axes(self) -> tuple[str, ...]:
        """The hyperparameters a sensitivity sweep varies (``sweep_axes``, or the first two)."""
        return self.sweep_axes or tuple(hp.name for hp in self.hyperparams[:2])

    @property
    def signed_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.state_fields if f.signed)

    @property
    def memory_per_parameter(self) -> int:
        """Number of per-parameter accumulators the optimizer keeps (its memory cost)."""
        return len(self.state_fields)

    def is_variant(self, values: Mapping[str, float]) -> bool:
        """Whether ``values`` leave the paper's method (a ``paper_values`` entry changed)."""
        return any(values.get(k, v) != v for k, v in self.paper_values.items())

    def label(self, values: Mapping[str, float]) -> str:
        """Its name in a legend: the display name, and for the libraries' variant what
        differs from the paper (``ADADELTA (library variant, η=0.5)``)."""
        changed = [
            f"{self.hyperparam(k).label.split(' ')[0]}={values[k]:g}"
            for k, v in self.paper_values.items()
            if values.get(k, v) != v
        ]
        if not changed:
            return self.display_name
        return f"{self.display_name} (library variant, {', '.join(changed)})"

    def build(self, **hyperparams: Any) -> Optimizer:
        """Build the optimizer; unspecified hyperparameters take their defaults."""
        unknown = set(hyperparams) - {hp.name for hp in self.hyperparams}
        if unknown:
            raise ValueError(
                f"{self.display_name} has no hyperparameter {sorted(unknown)[0]!r}; "
                f"it has {', '.join(hp.name for hp in self.hyperparams)}"
            )
        kwargs = {**self.defaults, **hyperparams, **(self.fixed or {})}
        return self.factory(**kwargs)


class Optimizer(NamedTuple):
    """``init``/``update`` pure functions, plus ``step`` which also returns the effective lr.

    ``rule`` is the optimizer's one definition of its arithmetic, elementwise:
    ``rule(g, fields, hp, sqrt) -> (update, new_fields, effective_lr)`` where ``fields`` is
    the tuple of state fields, ``hp`` the hyperparameters (as floats, or as ``(B, 1)``
    columns) and ``sqrt`` the square root to use. ``update`` and ``step`` apply it to whole
    ``(B, 2)`` arrays; the runner also applies it to plain floats, one coordinate at a time,
    when a run is small (the same operations in the same order, so the same bits, only
    without NumPy's per-call overhead). ``scalar_hp`` is ``hp`` as floats, or ``None``
    when a hyperparameter is an array.
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any], tuple[Array, Any]]
    step: Callable[[Array, Any], tuple[Array, Any, Array]]
    key: str
    hyperparams: Mapping[str, HyperValue]
    rule: Callable[..., tuple[Any, tuple, Any]]
    scalar_hp: Any

    @property
    def spec(self) -> OptimizerSpec:
        return REGISTRY[self.key]

    @property
    def batch_size(self) -> int | None:
        """The batch size implied by array hyperparameters (None when all are scalars)."""
        sizes = {np.shape(v)[0] for v in self.hyperparams.values() if np.ndim(v) == 1}
        return sizes.pop() if sizes else None


class _HP:
    """Attribute bag of hyperparameters (and constants derived from them) for a rule."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def _column(value: HyperValue) -> HyperValue:
    """A per-row hyperparameter array ``(B,)`` becomes ``(B, 1)`` to broadcast over (B, 2)."""
    if isinstance(value, np.ndarray):
        return value[:, None]
    return value


def _check_lengths(**values: HyperValue) -> None:
    sizes = {name: np.shape(v)[0] for name, v in values.items() if np.ndim(v) == 1}
    if len(set(sizes.values())) > 1:
        raise ValueError(
            "array hyperparameters must all have the same length (one value per batch row), "
            f"got {sizes}"
        )


def _validated(key: str, **values: HyperValue) -> dict[str, HyperValue]:
    """``values`` checked against optimizer ``key``'s self-description, in order (a
    ValueError naming the hyperparameter and its range for the first bad one)."""
    spec = REGISTRY[key]
    return {name: spec.hyperparam(name).validate(v) for name, v in values.items()}


def _make(
    key: str,
    state_cls: type,
    rule: Callable[..., tuple[Any, tuple, Any]],
    hyperparams: Mapping[str, HyperValue],
    derive: Callable[..., _HP],
    fill: tuple[HyperValue, ...] | None = None,
) -> Optimizer:
    """Assemble an :class:`Optimizer` from its elementwise ``rule``.

    ``derive(**hyperparams)`` returns the ``_HP`` bag the rule reads; it is called once
    with ``(B, 1)`` columns (array path) and, when every hyperparameter is a scalar, once
    with floats (scalar path). ``fill`` gives each state field's initial value (default 0).
    """
    _check_lengths(**hyperparams)
    hp = derive(**{k: _column(v) for k, v in hyperparams.items()})
    all_scalar = all(np.ndim(v) == 0 for v in hyperparams.values())
    scalar_hp = derive(**{k: float(v) for k, v in hyperparams.items()}) if all_scalar else None

    start = fill or (0.0,) * len(state_cls._fields)

    def init(params: Array) -> Any:
        shape = np.shape(params)
        return state_cls(*(np.zeros(shape, dtype=np.float64) + s for s in start))

    def step(grads: Array, state: Any) -> tuple[Array, Any, Array]:
        updates, fields, effective = rule(grads, tuple(state), hp, np.sqrt)
        shape = np.shape(grads)
        if np.shape(effective) != shape:
            effective = np.broadcast_to(effective, shape)
        return updates, state_cls(*fields), effective

    def update(grads: Array, state: Any) -> tuple[Array, Any]:
        updates, new_state, _ = step(grads, state)
        return updates, new_state

    return Optimizer(
        init=init,
        update=update,
        step=step,
        key=key,
        hyperparams=dict(hyperparams),
        rule=rule,
        scalar_hp=scalar_hp,
    )


def from_rule(
    key: str,
    state_cls: type,
    rule: Callable[..., tuple[Any, tuple, Any]],
    derive: Callable[..., Any],
    *,
    fill: tuple[HyperValue, ...] | None = None,
    **hyperparams: HyperValue,
) -> Optimizer:
    """An optimizer from its one elementwise ``rule``: what a spec's ``factory`` returns.

    ``rule(g, fields, hp, sqrt) -> (update, new_fields, effective_lr)`` must work on
    Python floats and on NumPy arrays alike (see :class:`Optimizer`); ``state_cls`` is its
    state's NamedTuple; ``derive(**hyperparams)`` returns what the rule reads as ``hp`` (any
    object with attributes, e.g. ``types.SimpleNamespace``), called with ``(B, 1)`` columns
    and, when all are scalars, with floats; ``fill`` the state's initial values (default
    0). ``hyperparams`` are checked against the registered spec ``key``.
    """
    return _make(key, state_cls, rule, _validated(key, **hyperparams), derive, fill)


# Hyperparameter descriptions shared by several optimizers -------------------------------


def _lr(default: float, meaning: str = "step size multiplying the gradient") -> HyperParam:
    return HyperParam(
        name="lr",
        symbol=r"\eta",
        label="η (learning rate)",
        default=default,
        meaning=meaning,
        low=0.0,
        high=math.inf,
        ui_low=1e-6,
        ui_high=10.0,
        log=True,
    )


def _decay(
    name: str,
    symbol: str,
    label: str,
    default: float,
    meaning: str,
    ui_low: float,
    ui_high: float,
    step: float,
) -> HyperParam:
    return HyperParam(
        name=name,
        symbol=symbol,
        label=label,
        default=default,
        meaning=meaning,
        low=0.0,
        high=1.0,
        high_open=True,
        ui_low=ui_low,
        ui_high=ui_high,
        log=False,
        step=step,
    )


def _rho(default: float, meaning: str) -> HyperParam:
    """A decay rate ρ in [0, 1), offered from 0.5 to 0.9999 (the paper tried 0.9–0.99)."""
    return _decay("rho", r"\rho", "ρ (decay rate)", default, meaning, 0.5, 0.9999, 0.0001)


def _eps(
    default: float,
    meaning: str,
    ui_low: float = 1e-10,
    ui_high: float = 1e-1,
    positive: bool = False,
) -> HyperParam:
    return HyperParam(
        name="eps",
        symbol=r"\epsilon",
        label="ε",
        default=default,
        meaning=meaning,
        low=0.0,
        low_open=positive,
        high=math.inf,
        ui_low=ui_low,
        ui_high=ui_high,
        log=True,
    )


# ---------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------


class EmptyState(NamedTuple):
    """SGD keeps no state."""


def _sgd_rule(g: Any, fields: tuple, hp: _HP, _sqrt: Callable) -> tuple[Any, tuple, Any]:
    return hp.neg_lr * g, fields, hp.lr


def sgd(lr: HyperValue = 0.01) -> Optimizer:
    r"""Plain gradient descent: :math:`\Delta x_t = -\eta\, g_t`.

    Effective learning rate: :math:`\eta` in every dimension. Identical to
    ``torch.optim.SGD(lr=lr)``.
    """
    return _make(
        "sgd", EmptyState, _sgd_rule, _validated("sgd", lr=lr), lambda lr: _HP(lr=lr, neg_lr=-lr)
    )


# ---------------------------------------------------------------------------
# Momentum
# ---------------------------------------------------------------------------


class MomentumState(NamedTuple):
    velocity: Array  # v_t, in units of x: the step taken is v_t itself


def _momentum_rule(g: Any, fields: tuple, hp: _HP, _sqrt: Callable) -> tuple[Any, tuple, Any]:
    (velocity,) = fields
    lr_g = hp.lr * g
    velocity = hp.beta * velocity - lr_g
    updates = hp.beta * velocity - lr_g if hp.nesterov else velocity
    return updates, (velocity,), hp.rate


def momentum(lr: HyperValue = 0.01, beta: HyperValue = 0.9, nesterov: bool = False) -> Optimizer:
    r"""Classical (heavy-ball) momentum, in the paper's form.

    .. math::
        v_t = \beta\, v_{t-1} - \eta\, g_t, \qquad \Delta x_t = v_t

    With ``nesterov=True`` the applied step looks ahead along the new velocity, as in
    ``torch.optim.SGD(nesterov=True)``: :math:`\Delta x_t = \beta\, v_t - \eta\, g_t`.

    This equals ``torch.optim.SGD(lr, momentum=beta, dampening=0)`` mathematically
    (torch stores :math:`b_t = \beta b_{t-1} + g_t` and steps :math:`-\eta b_t`, so
    :math:`v_t = -\eta b_t`); the two differ only by floating-point rounding of order one
    ulp per step. With :math:`\beta = 0` it is exactly :func:`sgd`.

    Effective learning rate: :math:`\eta` — the factor applied to the *current* gradient
    (:math:`\eta(1+\beta)` with Nesterov). The velocity, drawn as an accumulator, carries the
    past gradients; for a constant gradient the step grows to :math:`\eta/(1-\beta)`.
    """
    key = "nesterov" if nesterov else "momentum"
    hyper = _validated(key, lr=lr, beta=beta)

    def derive(lr: Any, beta: Any) -> _HP:
        rate = lr * (1.0 + beta) if nesterov else lr
        return _HP(lr=lr, beta=beta, nesterov=nesterov, rate=rate)

    return _make(key, MomentumState, _momentum_rule, hyper, derive)


# ---------------------------------------------------------------------------
# ADAGRAD
# ---------------------------------------------------------------------------


class AdaGradState(NamedTuple):
    grad_sq_sum: Array  # G_t = G_0 + sum of squared gradients so far


def _adagrad_rule(g: Any, fields: tuple, hp: _HP, sqrt: Callable) -> tuple[Any, tuple, Any]:
    (grad_sq_sum,) = fields
    grad_sq_sum = grad_sq_sum + g * g
    denom = sqrt(grad_sq_sum) + hp.eps
    return (hp.neg_lr * g) / denom, (grad_sq_sum,), hp.lr / denom  # torch's addcdiv order


def adagrad(
    lr: HyperValue = 0.1, eps: HyperValue = 1e-10, initial_accumulator: HyperValue = 0.0
) -> Optimizer:
    r"""ADAGRAD (Duchi et al., 2011), as in ``torch.optim.Adagrad``.

    .. math::
        G_t = G_{t-1} + g_t^2, \qquad \Delta x_t = -\frac{\eta}{\sqrt{G_t} + \epsilon}\, g_t

    with :math:`G_0` = ``initial_accumulator``. The paper's form (Zeiler's eq. 5) has no
    :math:`\epsilon`; torch adds it outside the root to avoid dividing by zero. Because
    :math:`G_t` only grows, the effective learning rate :math:`\eta/(\sqrt{G_t}+\epsilon)`
    only shrinks: the decay ADADELTA was designed to fix. The operations of
    ``torch.optim.Adagrad(lr, eps=eps, initial_accumulator_value=initial_accumulator)``, in
    its order (tested: ≥ 90 % of numbers bit-identical, the rest within 4 ulps).
    """
    hyper = _validated("adagrad", lr=lr, eps=eps, initial_accumulator=initial_accumulator)
    return _make(
        "adagrad",
        AdaGradState,
        _adagrad_rule,
        hyper,
        lambda lr, eps, **_: _HP(lr=lr, neg_lr=-lr, eps=eps),
        fill=(_column(hyper["initial_accumulator"]),),
    )


# ---------------------------------------------------------------------------
# ADADELTA
# ---------------------------------------------------------------------------


class AdaDeltaState(NamedTuple):
    sq_grad_avg: Array  # E[g^2]_t
    sq_step_avg: Array  # E[Δx^2]_t


def _adadelta_rule(g: Any, fields: tuple, hp: _HP, sqrt: Callable) -> tuple[Any, tuple, Any]:
    sq_grad_avg, sq_step_avg = fields
    sq_grad_avg = sq_grad_avg * hp.rho + hp.one_minus_rho * g * g  # E[g²]_t
    rms_grad = sqrt(sq_grad_avg + hp.eps)  # RMS[g]_t
    rms_step = sqrt(sq_step_avg + hp.eps)  # RMS[Δx]_{t-1}
    ratio = rms_step / rms_grad
    delta = ratio * g  # −Δx_t of the paper
    sq_step_avg = sq_step_avg * hp.rho + hp.one_minus_rho * delta * delta  # E[Δx²]_t
    return hp.neg_lr * delta, (sq_grad_avg, sq_step_avg), hp.lr * ratio


def adadelta(rho: HyperValue = 0.95, eps: HyperValue = 1e-6, lr: HyperValue = 1.0) -> Optimizer:
    r"""ADADELTA — Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method", Algorithm 1.

    Require decay rate :math:`\rho`, constant :math:`\epsilon`. Initialise
    :math:`E[g^2]_0 = 0`, :math:`E[\Delta x^2]_0 = 0`. For each step :math:`t`:

    1. compute the gradient :math:`g_t`;
    2. accumulate it: :math:`E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2`;
    3. compute the update:
       :math:`\Delta x_t = -\dfrac{\mathrm{RMS}[\Delta x]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t`,
       where :math:`\mathrm{RMS}[u]_t = \sqrt{E[u^2]_t + \epsilon}`;
    4. accumulate updates: :math:`E[\Delta x^2]_t = \rho\, E[\Delta x^2]_{t-1} + (1-\rho)\,
       \Delta x_t^2`;
    5. apply it: :math:`x_{t+1} = x_t + \Delta x_t`.

    The paper has no learning rate: ``lr=1`` (the default) *is* the paper's method
    (multiplying by 1 is exact). ``lr != 1`` is the libraries' variant
    (``torch.optim.Adadelta``, Keras): the applied step is :math:`\eta\,\Delta x_t` while
    :math:`E[\Delta x^2]` still accumulates the unscaled :math:`\Delta x_t`. The operations
    of ``torch.optim.Adadelta(lr, rho, eps)``, in its order (tested: ≥ 90 % of numbers
    bit-identical, the rest within 4 ulps).

    Effective learning rate (per dimension):
    :math:`\eta\,\mathrm{RMS}[\Delta x]_{t-1} / \mathrm{RMS}[g]_t`. The very first step is
    :math:`-\sqrt{\epsilon}\, g_1/\sqrt{(1-\rho) g_1^2 + \epsilon}`, about
    :math:`\sqrt{\epsilon/(1-\rho)}` in size: :math:`\epsilon` acts as a warm-up rate.
    """
    hyper = _validated("adadelta", rho=rho, eps=eps, lr=lr)
    return _make(
        "adadelta",
        AdaDeltaState,
        _adadelta_rule,
        hyper,
        lambda rho, eps, lr: _HP(rho=rho, one_minus_rho=1.0 - rho, eps=eps, lr=lr, neg_lr=-lr),
    )


# ---------------------------------------------------------------------------
# RMSprop
# ---------------------------------------------------------------------------


class RMSpropState(NamedTuple):
    sq_grad_avg: Array  # E[g^2]_t


def _rmsprop_rule(g: Any, fields: tuple, hp: _HP, sqrt: Callable) -> tuple[Any, tuple, Any]:
    (sq_grad_avg,) = fields
    sq_grad_avg = sq_grad_avg * hp.rho + hp.one_minus_rho * g * g
    denom = sqrt(sq_grad_avg) + hp.eps
    return (hp.neg_lr * g) / denom, (sq_grad_avg,), hp.lr / denom  # torch's addcdiv order


def rmsprop(lr: HyperValue = 0.01, rho: HyperValue = 0.9, eps: HyperValue = 1e-8) -> Optimizer:
    r"""RMSprop (Tieleman & Hinton, 2012), as ``torch.optim.RMSprop(alpha=rho)``.

    .. math::
        E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2, \qquad
        \Delta x_t = -\frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\, g_t

    (:math:`\epsilon` outside the root, as torch). ADADELTA's denominator without its
    numerator: a learning rate :math:`\eta` must still be chosen.
    Effective learning rate: :math:`\eta / (\sqrt{E[g^2]_t} + \epsilon)`.
    """
    hyper = _validated("rmsprop", lr=lr, rho=rho, eps=eps)
    return _make(
        "rmsprop",
        RMSpropState,
        _rmsprop_rule,
        hyper,
        lambda lr, rho, eps: _HP(lr=lr, neg_lr=-lr, rho=rho, one_minus_rho=1.0 - rho, eps=eps),
    )


# ---------------------------------------------------------------------------
# Adam
# ---------------------------------------------------------------------------


class AdamState(NamedTuple):
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    count: Array  # t, the number of steps taken (the same in both columns)


def _common_count(count: Any) -> Any:
    """The step count as a Python float when every row has the same (always, in a run)."""
    if isinstance(count, float):
        return count
    first = count.flat[0]
    return float(first) if (count == first).all() else count


class _FloatPow:
    """``base ** t`` with Python's float ``pow``, as torch computes Adam's powers.

    NumPy special-cases some exponents on arrays (``** 2`` is ``b*b``, ``** 0.5`` is
    ``sqrt``), which can differ from ``pow`` in the last bit; a run with per-row β's must
    give the bits of the single runs (and of torch). So the power is taken float by float,
    once per *distinct* base — found once, when the optimizer is built (a sweep has few
    distinct β's) — and indexed back to the rows.
    """

    def __init__(self, base: Any) -> None:
        self.scalar = not isinstance(base, np.ndarray)
        if self.scalar:
            self.base = float(base)
        else:
            unique, inverse = np.unique(base, return_inverse=True)
            self.unique = unique.tolist()
            self.inverse = inverse.reshape(np.shape(base))

    def __call__(self, t: Any) -> Any:
        if isinstance(t, float):
            if self.scalar:
                return self.base**t
            return np.array([b**t for b in self.unique])[self.inverse]
        # per-row step counts (run never makes them): element by element
        base = self.base if self.scalar else np.array(self.unique)[self.inverse]
        b, e = np.broadcast_arrays(np.asarray(base, dtype=np.float64), t)
        flat = [x**y for x, y in zip(b.ravel().tolist(), e.ravel().tolist())]
        return np.array(flat).reshape(b.shape)


def _pow_half(value: Any) -> Any:
    """``value ** 0.5`` with Python's float pow (torch's Adam bias correction), per row."""
    if isinstance(value, float):
        return value**0.5
    return np.array([v**0.5 for v in np.ravel(value).tolist()]).reshape(np.shape(value))


def _adam_rule(g: Any, fields: tuple, hp: _HP, sqrt: Callable) -> tuple[Any, tuple, Any]:
    m, v, count = fields
    count = count + 1.0
    # torch's lerp(m, g, w): m + w (g − m) when w < 0.5, else g − (g − m)(1 − w)
    if hp.lerp_low is True:
        m = m + hp.weight * (g - m)
    elif hp.lerp_low is False:
        m = g - (g - m) * hp.one_minus_weight
    else:  # per-row hyperparameters on both sides of 0.5
        m = np.where(hp.lerp_low, m + hp.weight * (g - m), g - (g - m) * hp.one_minus_weight)
    v = v * hp.beta2 + hp.one_minus_beta2 * g * g
    t = _common_count(count)
    step_size = hp.lr / (1.0 - hp.beta1_pow(t))
    bias2_sqrt = _pow_half(1.0 - hp.beta2_pow(t))  # torch: ** 0.5, not sqrt
    denom = sqrt(v) / bias2_sqrt + hp.eps
    return (-step_size * m) / denom, (m, v, count), step_size / denom  # addcdiv order


def adam(
    lr: HyperValue = 0.01,
    beta1: HyperValue = 0.9,
    beta2: HyperValue = 0.999,
    eps: HyperValue = 1e-8,
) -> Optimizer:
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \Delta x_t = -\frac{\eta/(1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}\, m_t

    (:math:`m_t` is computed as torch's ``lerp``: :math:`m_{t-1} + (1-\beta_1)(g_t - m_{t-1})`.)

    Effective learning rate: the per-dimension factor applied to the momentum average
    :math:`m_t`, :math:`\frac{\eta/(1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t}+\epsilon}`
    — Adam's counterpart of RMSprop's rate. (The current gradient itself enters
    :math:`m_t` with weight :math:`1-\beta_1`.)
    """
    hyper = _validated("adam", lr=lr, beta1=beta1, beta2=beta2, eps=eps)

    def derive(lr: Any, beta1: Any, beta2: Any, eps: Any) -> _HP:
        weight = 1.0 - beta1
        low = np.asarray(weight < 0.5)
        lerp_low = bool(low.all()) if low.all() or not low.any() else low
        return _HP(
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight=weight,
            one_minus_weight=1.0 - weight,
            one_minus_beta2=1.0 - beta2,
            lerp_low=lerp_low,
            beta1_pow=_FloatPow(beta1),
            beta2_pow=_FloatPow(beta2),
        )

    return _make("adam", AdamState, _adam_rule, hyper, derive)


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

_BETA = _decay(
    "beta",
    r"\beta",
    "β (momentum)",
    0.9,
    "fraction of the previous velocity kept each step",
    0.0,
    0.999,
    0.001,
)

_VELOCITY = StateField("velocity", r"v", "velocity: the decaying sum of past steps", signed=True)
_E_G2 = r"E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2"
_E_G2_NUMBERS = r"«rho» \cdot «sq_grad_avg_prev» + (1 - «rho») \cdot («g»)^2 = «sq_grad_avg»"


def _adadelta_inspector_values(values: Mapping[str, float]) -> dict[str, float]:
    """Δx of the paper, −RMS[Δx]ₜ₋₁/RMS[g]ₜ · g, as the rule computes it (before the
    libraries' multiplier η): the ratio of the two roots the replay took, times g."""
    if "sqrt1" not in values:
        return {}
    return {"delta": values["sqrt1"] / values["sqrt0"] * -values["g"]}


def _root_plus_eps(values: Mapping[str, float]) -> dict[str, float]:
    """ADAGRAD's and RMSprop's denominator, √(·) + ε, as their rule computes it."""
    if "sqrt0" not in values:
        return {}
    return {"denom": values["sqrt0"] + values["eps"]}


def _adam_inspector_values(values: Mapping[str, float]) -> dict[str, float]:
    """Adam's step size η/(1 − β₁ᵗ) and denominator √vₜ/√(1 − β₂ᵗ) + ε, as its rule
    computes them (Python's float ``pow``, ``** 0.5`` for the bias correction), float by
    float also where the values are arrays of steps (NumPy's vector ``**`` can differ from
    ``pow`` in the last bit: on AVX-512 machines it does, for about one step in thirty)."""
    if "sqrt0" not in values:
        return {}
    t = values["count"]
    step_size = values["lr"] / (1.0 - _FloatPow(values["beta1"])(t))
    bias2_sqrt = _pow_half(1.0 - _FloatPow(values["beta2"])(t))
    return {"step_size": step_size, "denom": values["sqrt0"] / bias2_sqrt + values["eps"]}


_BUILT_IN: tuple[OptimizerSpec, ...] = (
    OptimizerSpec(
        key="sgd",
        display_name="SGD",
        factory=sgd,
        hyperparams=(_lr(0.01),),
        equations=(Equation(r"\Delta x_t = -\eta\, g_t", r"-«lr» \cdot («g») = «update»"),),
        state_fields=(),
        effective_lr_latex=r"\eta",
        effective_lr_meaning="the learning rate itself, the same in every dimension",
        colour="#4477AA",
        dash="dot",
        marker="circle",
        sweep_axes=("lr",),
    ),
    OptimizerSpec(
        key="momentum",
        display_name="Momentum",
        factory=momentum,
        hyperparams=(_lr(0.01), _BETA),
        equations=(
            Equation(
                r"v_t = \beta\, v_{t-1} - \eta\, g_t",
                r"«beta» \cdot («velocity_prev») - «lr» \cdot («g») = «velocity»",
            ),
            Equation(r"\Delta x_t = v_t", "«update»"),
        ),
        state_fields=(_VELOCITY,),
        effective_lr_latex=r"\eta",
        effective_lr_meaning=(
            "the factor applied to the current gradient; the velocity carries the past ones "
            "(a constant gradient is amplified up to η/(1−β))"
        ),
        fixed={"nesterov": False},
        colour="#AA3377",
        dash="dash",
        marker="square",
        sweep_axes=("lr", "beta"),
    ),
    OptimizerSpec(
        key="nesterov",
        display_name="Nesterov momentum",
        factory=momentum,
        hyperparams=(_lr(0.01), _BETA),
        equations=(
            Equation(
                r"v_t = \beta\, v_{t-1} - \eta\, g_t",
                r"«beta» \cdot («velocity_prev») - «lr» \cdot («g») = «velocity»",
            ),
            Equation(
                r"\Delta x_t = \beta\, v_t - \eta\, g_t",
                r"«beta» \cdot («velocity») - «lr» \cdot («g») = «update»",
            ),
        ),
        state_fields=(_VELOCITY,),
        effective_lr_latex=r"\eta\,(1+\beta)",
        effective_lr_meaning="the factor applied to the current gradient (it enters twice)",
        fixed={"nesterov": True},
        colour="#AAAAAA",
        dash="longdash",
        marker="triangle-down",
        sweep_axes=("lr", "beta"),
    ),
    OptimizerSpec(
        key="adagrad",
        display_name="ADAGRAD",
        factory=adagrad,
        hyperparams=(
            _lr(0.1, "global step size, divided by the root of the gradient-square sum"),
            _eps(
                1e-10,
                "added to the denominator to avoid division by zero (torch; not in the paper)",
            ),
            HyperParam(
                name="initial_accumulator",
                symbol=r"G_0",
                label="G₀ (initial sum)",
                default=0.0,
                meaning="starting value of the squared-gradient sum",
                low=0.0,
                high=math.inf,
                ui_low=0.0,
                ui_high=10.0,
                log=False,
                step=0.1,
            ),
        ),
        equations=(
            Equation(r"G_t = G_{t-1} + g_t^2", r"«grad_sq_sum_prev» + («g»)^2 = «grad_sq_sum»"),
            Equation(
                r"\Delta x_t = -\frac{\eta}{\sqrt{G_t} + \epsilon}\, g_t",
                r"-\frac{«lr»}{«sqrt0» + «eps»} \cdot («g») = «update»",
            ),
        ),
        state_fields=(StateField("grad_sq_sum", r"G", "sum of all squared gradients so far"),),
        effective_lr_latex=r"\frac{\eta}{\sqrt{G_t} + \epsilon}",
        effective_lr_meaning="shrinks for ever, because G only grows",
        colour="#228833",
        dash="dashdot",
        marker="diamond",
        sweep_axes=("lr", "eps"),
        lr_kind=LR_STEP,
        inspector_values=_root_plus_eps,
        rate_bars=RateBars("lr", "η", "denom", "(√Gₜ + ε)"),
    ),
    OptimizerSpec(
        key="adadelta",
        display_name="ADADELTA",
        factory=adadelta,
        hyperparams=(
            _rho(0.95, "how much of the running averages is kept each step"),
            _eps(
                1e-6,
                "added inside both roots: starts the first steps (a warm-up rate) and "
                "conditions the denominator",
                positive=True,
            ),
            _lr(
                1.0,
                "NOT in the paper: the libraries' multiplier on the applied step "
                "(1 = the paper's method)",
            ),
        ),
        equations=(
            Equation(_E_G2, _E_G2_NUMBERS),
            Equation(r"\mathrm{RMS}[g]_t = \sqrt{E[g^2]_t + \epsilon}", "«sqrt0»"),
            Equation(
                r"\mathrm{RMS}[\Delta x]_{t-1} = \sqrt{E[\Delta x^2]_{t-1} + \epsilon}",
                "«sqrt1»",
            ),
            Equation(
                r"\Delta x_t = -\frac{\mathrm{RMS}[\Delta x]_{t-1}}{\mathrm{RMS}[g]_t}\, g_t",
                r"-\frac{«sqrt1»}{«sqrt0»} \cdot («g») = «delta»",
            ),
            Equation(
                r"E[\Delta x^2]_t = \rho\, E[\Delta x^2]_{t-1} + (1-\rho)\, \Delta x_t^2",
                (
                    r"«rho» \cdot «sq_step_avg_prev» + (1 - «rho»)"
                    r" \cdot («delta»)^2 = «sq_step_avg»"
                ),
            ),
        ),
        state_fields=(
            StateField("sq_grad_avg", r"E[g^2]", "running average of squared gradients"),
            StateField("sq_step_avg", r"E[\Delta x^2]", "running average of squared updates"),
        ),
        effective_lr_latex=r"\frac{\mathrm{RMS}[\Delta x]_{t-1}}{\mathrm{RMS}[g]_t}",
        effective_lr_meaning=(
            "a separate rate per dimension, with the units of x over the units of g"
        ),
        note="η ≠ 1 is the libraries' variant (torch, Keras); it scales only the applied step",
        colour="#EE6677",
        dash="solid",
        marker="pentagon",
        sweep_axes=("rho", "eps"),
        lr_kind=LR_NONE,
        paper_values={"lr": 1.0},
        variant_equation=Equation(
            r"\text{applied (library variant)}\ \eta\,\Delta x_t",
            r"«lr» \cdot («delta») = «update»",
        ),
        inspector_values=_adadelta_inspector_values,
        rate_bars=RateBars("sqrt1", "RMS[Δx]ₜ₋₁", "sqrt0", "RMS[g]ₜ"),
        divergence_hint="try a smaller ε or a larger ρ",
    ),
    OptimizerSpec(
        key="rmsprop",
        display_name="RMSprop",
        factory=rmsprop,
        hyperparams=(
            _lr(0.01),
            _rho(0.9, "how much of the running average is kept each step"),
            _eps(1e-8, "added to the denominator to avoid division by zero"),
        ),
        equations=(
            Equation(_E_G2, _E_G2_NUMBERS),
            Equation(
                r"\Delta x_t = -\frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\, g_t",
                r"-\frac{«lr»}{«sqrt0» + «eps»} \cdot («g») = «update»",
            ),
        ),
        state_fields=(
            StateField("sq_grad_avg", r"E[g^2]", "running average of squared gradients"),
        ),
        effective_lr_latex=r"\frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}",
        effective_lr_meaning="a separate rate per dimension, still scaled by a chosen η",
        colour="#66CCEE",
        dash="longdashdot",
        marker="triangle-up",
        sweep_axes=("lr", "rho"),
        lr_kind=LR_STEP,
        inspector_values=_root_plus_eps,
        rate_bars=RateBars("lr", "η", "denom", "(√E[g²]ₜ + ε)"),
    ),
    OptimizerSpec(
        key="adam",
        display_name="Adam",
        factory=adam,
        hyperparams=(
            _lr(0.01),
            _decay(
                "beta1",
                r"\beta_1",
                "β₁ (momentum decay)",
                0.9,
                "decay of the running average of gradients",
                0.0,
                0.999,
                0.001,
            ),
            _decay(
                "beta2",
                r"\beta_2",
                "β₂ (square decay)",
                0.999,
                "decay of the running average of squared gradients",
                0.5,
                0.9999,
                0.0001,
            ),
            _eps(1e-8, "added to the denominator to avoid division by zero"),
        ),
        equations=(
            Equation(
                r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
                (
                    r"«beta1» \cdot («first_moment_prev») + (1 -"
                    r" «beta1») \cdot («g») = «first_moment»"
                ),
            ),
            Equation(
                r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
                (
                    r"«beta2» \cdot «second_moment_prev» + (1 - «beta2»)"
                    r" \cdot («g»)^2 = «second_moment»"
                ),
            ),
            Equation(
                (
                    r"\Delta x_t ="
                    r" -\frac{\eta/(1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}\, m_t"
                ),
                r"-«eff» \cdot («first_moment») = «update»",
            ),
        ),
        state_fields=(
            StateField("first_moment", r"m", "running average of gradients", signed=True),
            StateField("second_moment", r"v", "running average of squared gradients"),
        ),
        effective_lr_latex=r"\frac{\eta/(1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}",
        effective_lr_meaning="the per-dimension rate applied to the momentum average m",
        colour="#CCBB44",
        dash=DASH_DOT_DOT,
        marker="cross",
        sweep_axes=("lr", "beta1"),
        lr_kind=LR_STEP,
        inspector_values=_adam_inspector_values,
        rate_bars=RateBars("step_size", "η/(1−β₁ᵗ)", "denom", "(√v̂ₜ + ε)", applies_to="m"),
    ),
)

#: Every optimizer by key, in the order they were registered (the built-in seven first).
REGISTRY: dict[str, OptimizerSpec] = {}

_PLACEHOLDER = re.compile("«([a-z0-9_]+)»")


def register(spec: OptimizerSpec, *, replace: bool = False) -> OptimizerSpec:
    """Add ``spec`` to the registry, after checking that it is complete and consistent.

    Everything else (runs, sweeps, figures, the inspector, the app, the URL, exports, the
    CLI) reads the registry, so this is all a new optimizer needs. The checks, each with a
    message naming the spec: a key that is new (unless ``replace``) and URL-safe, a factory
    that builds with the defaults and steps a ``(1, 2)`` batch, state fields that name the
    state's fields, sweep axes and paper values that name hyperparameters, a known
    ``lr_kind``, dash and marker, and inspector placeholders that name values the inspector has.
    """
    where = f"optimizer spec {spec.key!r}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.key):
        raise ValueError(f"{where}: a key is lower-case letters, digits and _ (URL-safe)")
    if spec.key in REGISTRY and not replace:
        raise ValueError(f"{where}: that key is registered already (pass replace=True)")
    names = [hp.name for hp in spec.hyperparams]
    if "variant" in names:  # "<key>.variant" is the library-variant switch in links
        raise ValueError(f"{where}: a hyperparameter may not be called 'variant'")
    for what, used in (
        ("sweep_axes", spec.sweep_axes),
        ("paper_values", tuple(spec.paper_values)),
    ):
        unknown = [n for n in used if n not in names]
        if unknown:
            raise ValueError(f"{where}: {what} names {unknown[0]!r}, not a hyperparameter")
    if spec.lr_kind not in LR_KINDS:
        raise ValueError(f"{where}: lr_kind must be one of {LR_KINDS}, got {spec.lr_kind!r}")
    if spec.lr_kind != LR_NONE and "lr" not in names:
        raise ValueError(f"{where}: lr_kind {spec.lr_kind!r} needs a hyperparameter 'lr'")
    if spec.dash not in DASHES:
        raise ValueError(f"{where}: dash must be one of {DASHES}, got {spec.dash!r}")
    if spec.marker not in MARKERS:
        raise ValueError(f"{where}: marker must be one of {MARKERS}, got {spec.marker!r}")
    if not spec.equations:
        raise ValueError(f"{where}: it needs its update rule as equations")
    before = REGISTRY.get(spec.key)
    REGISTRY[spec.key] = spec  # a factory validates its values against its spec
    try:
        _check_spec(spec, where)
    except BaseException:
        if before is None:
            del REGISTRY[spec.key]
        else:
            REGISTRY[spec.key] = before
        raise
    return spec


def _check_spec(spec: OptimizerSpec, where: str) -> None:
    names = [hp.name for hp in spec.hyperparams]
    try:
        optimizer = spec.build()
        state = optimizer.init(np.zeros((1, 2)))
        update, _, _ = optimizer.step(np.full((1, 2), 0.5), state)
        # the float path: the same rule on Python floats must give the same numbers
        floats = tuple(float(f[0, 0]) for f in state)
        u, _, _ = optimizer.rule(0.5, floats, optimizer.scalar_hp, math.sqrt)
    except Exception as err:
        raise ValueError(f"{where}: building and stepping it failed: {err}") from err
    if type(u) is not float or u != float(update[0, 0]):
        raise ValueError(
            f"{where}: its rule gives {u!r} on floats but {float(update[0, 0])!r} on arrays "
            "(write powers as products and roots with the sqrt it is given, not **)"
        )
    fields = tuple(getattr(state, "_fields", ()))
    missing = [f.name for f in spec.state_fields if f.name not in fields]
    if missing:
        raise ValueError(f"{where}: state field {missing[0]!r} is not in its state {fields}")
    known = {"g", "update", "eff", "x_prev", "x_new", *names}
    known |= {n for f in fields for n in (f, f"{f}_prev")}
    if spec.inspector_values is not None:  # what it adds, given every value it may read
        sample = {n: 0.5 for n in (*known, *(f"sqrt{i}" for i in range(8)))}
        known |= set(spec.inspector_values(sample))
    if spec.rate_bars is not None:
        for name in (spec.rate_bars.numerator, spec.rate_bars.denominator):
            if name not in known and not re.fullmatch(r"sqrt\d+", name):
                raise ValueError(f"{where}: its rate bars read «{name}», which the inspector lacks")
    for equation in (*spec.equations, *filter(None, [spec.variant_equation])):
        for name in _PLACEHOLDER.findall(equation.numbers):
            if name not in known and not re.fullmatch(r"sqrt\d+", name):
                raise ValueError(f"{where}: the inspector has no value «{name}»")


for _spec in _BUILT_IN:
    register(_spec)


def names() -> list[str]:
    """Keys of every optimizer in the registry."""
    return list(REGISTRY)


#: A comparison may run one optimizer several times, each with its own settings: the
#: first run's key is the spec's (``"adadelta"``), the n-th's ``"adadelta~n"`` (n ≥ 2;
#: "~" is URL-safe and never in a spec's key).
INSTANCE_MARK = "~"
#: The n-th instance's colour (n ≥ 2, in turn): Paul Tol's "muted" teal, olive, wine and
#: indigo, none of them one of the seven specs' "bright" colours.
INSTANCE_COLOURS = ("#44AA99", "#999933", "#882255", "#332288")
_INSTANCE = re.compile(r"([a-z][a-z0-9_]*)~([2-9]|[1-9][0-9])")


def spec_key(key: str) -> str:
    """The spec's key of a run's key: ``"adadelta~2"`` → ``"adadelta"`` (a spec's own key,
    or a key that is no instance, as it is)."""
    match = _INSTANCE.fullmatch(key)
    return match.group(1) if match else key


def instance_number(key: str) -> int:
    """Which instance of its spec a run's key names: 1 for the spec's key, n for ``~n``."""
    match = _INSTANCE.fullmatch(key)
    return int(match.group(2)) if match else 1


def instance_key(key: str, number: int) -> str:
    """The key of instance ``number`` (1, 2, … 99) of spec ``key``."""
    if not 1 <= int(number) <= 99:
        raise ValueError(f"an instance number is 1 to 99, got {number!r}")
    base = spec_key(key)
    return base if int(number) == 1 else f"{base}{INSTANCE_MARK}{int(number)}"


def instance_style(key: str) -> tuple[str, str, str]:
    """How run ``key`` is drawn, (colour, dash, marker): its spec's for the first instance;
    for the n-th, the n-th of :data:`INSTANCE_COLOURS`, the spec's dash moved n − 1 places
    along :data:`DASHES` and its marker open, so that two runs of one optimizer differ in
    all three."""
    spec = get(key)
    n = instance_number(key)
    if n == 1:
        return spec.line_colour, spec.dash, spec.marker
    colour = INSTANCE_COLOURS[(n - 2) % len(INSTANCE_COLOURS)]
    dash = DASHES[(DASHES.index(spec.dash) + n - 1) % len(DASHES)]
    return colour, dash, f"{spec.marker}-open"


def get(key: str) -> OptimizerSpec:
    """The spec of optimizer ``key``, or of the optimizer an instance key ``"<key>~n"`` runs
    (``KeyError`` listing the known keys otherwise)."""
    try:
        return REGISTRY[spec_key(key)]
    except KeyError:
        raise KeyError(f"unknown optimizer {key!r}; known: {', '.join(REGISTRY)}") from None


def build(key: str, **hyperparams: Any) -> Optimizer:
    """Build optimizer ``key`` (or the one instance key ``"<key>~n"`` runs) with the given
    hyperparameters (defaults for the rest)."""
    return get(key).build(**hyperparams)
