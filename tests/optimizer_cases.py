"""The per-optimizer test data: one entry per registered optimizer, and nothing else.

In the spirit of torch's ``optim_db`` and optax's ``alias_test``, every per-optimizer test
in ``tests/test_optimizers.py`` and ``tests/test_sweeps.py`` parametrises over
:data:`CASES`; adding an optimizer to the registry makes those tests fail (through
:func:`entry`) until it has an entry here. That is the one place a new optimizer needs test
data. An entry (:class:`OptimizerCase`) holds

* ``step`` and ``initial_state``: a plain-Python reference implementation of one step on
  one coordinate (floats), written from the published update equations (Zeiler 2012 for
  ADADELTA, torch's documented forms for the others) in *textbook* order, independently of
  optviz's ``rule``; the tests compare it with optviz to ``RTOL`` (a few ulps), and the
  hand-computed literal first steps in ``test_optimizers.py`` check the reference itself;
* ``settings``: the defaults plus the non-default hyperparameters that matter, each saying
  why (ADADELTA's ρ × ε corners, ADAGRAD with an initial accumulator, Adam's β's near 1,
  momentum with β = 0 …); ``same_as`` names a setting that is, bit for bit, another
  optimizer;
* ``bad``: hyperparameter values that must raise ``ValueError``, with the message pattern
  (it names the parameter and the value);
* ``effective_lr``: what the effective learning rate must equal, computed from the recorded
  states, and how the applied update is rebuilt from it;
* ``convergence``: the setting each convex objective is tested at, chosen by the rule stated
  in :data:`CONVERGENCE_RULE`, and what happens there (converges, or honestly what happens
  instead).

Nothing in this file imports optviz: the entries are data and plain arithmetic.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

HP = Mapping[str, float]
State = dict[str, float]

# ---------------------------------------------------------------------------
# The shape of an entry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One hyperparameter setting worth testing (unnamed hyperparameters: the defaults)."""

    id: str
    hp: HP
    why: str
    #: ``(key, hp)``: this setting is, bit for bit, optimizer ``key`` with ``hp``
    same_as: tuple[str, HP] | None = None
    #: a first gradient of 0 gives 0/0 (a denominator √0 + ε with ε = 0): NaN, not a step
    nan_at_zero_gradient: bool = False


@dataclass(frozen=True)
class BadValue:
    """Hyperparameters ``build`` must refuse with a ``ValueError`` matching ``pattern``."""

    hp: Mapping[str, Any]
    pattern: str


@dataclass(frozen=True)
class Tolerance:
    """How close two arrays must be: within ``ulps`` units in the last place of ``scale``
    (default: the larger magnitude of the two) or within ``rtol`` relatively; both 0 means
    equal to the last bit."""

    ulps: float = 0.0
    rtol: float = 0.0


EXACT = Tolerance()

#: The reference is written in textbook order, optviz in torch's: a few ulps apart.
RTOL = 1e-14


@dataclass(frozen=True)
class Record:
    """What a run recorded, for the effective-rate checks: ``hp`` (complete), the state
    fields ``before`` and ``after`` each step (arrays ``(T, 2)`` by name), the step numbers
    ``t`` (``(T, 1)``, from 1), the gradients ``grads`` and the rates ``eff`` (``(T, 2)``)."""

    hp: HP
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    t: Any
    grads: Any
    eff: Any


@dataclass(frozen=True)
class EffectiveLR:
    """What ``Trajectory.effective_lr`` must be.

    ``rate(record)``: the rate recomputed from the recorded states, within ``rate_tol``.
    ``applied(record)``: the terms whose sum is the applied update, rebuilt from the rate
    (``−eff·g`` for the plain ones), within ``applied_tol(hp)`` in ulps of the terms'
    magnitudes. ``adaptive``: the rate changes from step to step and differs between the
    coordinates.
    """

    rate: Callable[..., Any]
    rate_tol: Tolerance
    applied: Callable[..., tuple[Any, ...]]
    applied_tol: Callable[[HP], Tolerance]
    adaptive: bool


#: Convergence outcomes (see :data:`CONVERGENCE_RULE`).
CONVERGES = "converges"
#: Adam: it settles within the budget, but once the gradients have vanished v̂ forgets
#: them (it decays by β₂ each step) and the rate η/(√v̂ + ε) grows without bound, past the
#: stability limit 2/λ_max; the iterate is thrown out of the tolerance before the horizon.
RATE_RUNAWAY = "settles, then its rate runs away and throws it out"
#: ε-limited: near a minimum ε dominates both of ADADELTA's RMS terms, so its rate tends to
#: √ε/√ε = 1, unstable along any curvature above 2; it is pushed out into a period-2
#: oscillation whose rates sit at the edge of stability (spectral radius of I − diag(rate)·H
#: ≈ 1). It may pass below the tolerance first (``*_AFTER_TOUCHING``) but does not stay.
EDGE_CYCLE = "edge-of-stability 2-cycle"
EDGE_CYCLE_AFTER_TOUCHING = "below tol at the budget, then the edge-of-stability 2-cycle"
#: RMSprop near a minimum: E[g²] follows g², so the step is ±η in every coordinate (sign
#: descent); it ends in the 2-cycle x* ± (η/2)·s, s a sign vector, at f − f_min = ⅛ sᵀHs η².
SIGN_CYCLE = "sign-descent 2-cycle at ±η/2"


@dataclass(frozen=True)
class Convergence:
    """The convex-objective test: ``sweep`` (axis -> values, other hyperparameters at their
    defaults) is what :data:`CONVERGENCE_RULE` chooses from; ``settings[objective]`` is
    its choice and ``outcomes[objective]`` what the test asserts there."""

    sweep: Mapping[str, tuple[float, ...]]
    settings: Mapping[str, HP]
    outcomes: Mapping[str, str]
    why: str = ""

    def grid(self) -> list[dict[str, float]]:
        """The sweep's configurations, in product order (the last axis fastest)."""
        axes = list(self.sweep)
        return [dict(zip(axes, values)) for values in itertools.product(*self.sweep.values())]


@dataclass(frozen=True)
class OptimizerCase:
    key: str
    step: Callable[[HP, float, State, int], tuple[float, float, State]]
    initial_state: Callable[[HP], State]
    settings: tuple[Setting, ...]
    bad: tuple[BadValue, ...]
    effective_lr: EffectiveLR
    convergence: Convergence


# ---------------------------------------------------------------------------
# The convergence test's rule (the same for every optimizer)
# ---------------------------------------------------------------------------

#: The convex objectives, run without gradient noise.
CONVEX = ("booth", "ill_conditioned", "rotated_ill_conditioned", "noisy_quadratic")
BUDGET = 2000
HORIZON = 4 * BUDGET
TOL = 1e-10
#: Learning rates 1 and 3 per decade, 1e-4 … 3.
LR_SWEEP = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
#: ADADELTA has no learning rate: ρ and ε over the values of Zeiler's sensitivity table.
RHO_EPS_SWEEP = {"rho": (0.9, 0.95, 0.99), "eps": (1e-8, 1e-6, 1e-4, 1e-2)}

CONVERGENCE_RULE = f"""\
Each convex objective ({", ".join(CONVEX)}) runs from its start without noise. An
optimizer *settles* at step s when f − f_min < {TOL:g} at every step from s to the budget of
{BUDGET} steps. Its setting for an objective is the configuration of its ``sweep`` (the
other hyperparameters at their defaults) that settles first; ties go to the first in sweep
order; when none settles, the one with the smallest f − f_min at the budget. The run then
goes on to the horizon of {HORIZON} steps. ``{CONVERGES}`` means: it settles within the
budget and stays below the tolerance to the horizon. The other outcomes say what it does
instead."""


# ---------------------------------------------------------------------------
# Reference implementations: one coordinate, plain floats, the equations as printed
# ---------------------------------------------------------------------------


def _sgd(hp: HP, g: float, _state: State, _t: int) -> tuple[float, float, State]:
    return -hp["lr"] * g, hp["lr"], {}  # Δx_t = −η g_t


def _momentum(hp: HP, g: float, state: State, _t: int) -> tuple[float, float, State]:
    lr, beta = hp["lr"], hp["beta"]
    v = beta * state["velocity"] - lr * g  # v_t = β v_{t−1} − η g_t;  Δx_t = v_t
    return v, lr, {"velocity": v}


def _nesterov(hp: HP, g: float, state: State, _t: int) -> tuple[float, float, State]:
    lr, beta = hp["lr"], hp["beta"]
    v = beta * state["velocity"] - lr * g
    return beta * v - lr * g, lr * (1.0 + beta), {"velocity": v}  # Δx_t = β v_t − η g_t


def _adagrad(hp: HP, g: float, state: State, _t: int) -> tuple[float, float, State]:
    G = state["grad_sq_sum"] + g**2  # G_t = G_{t−1} + g_t²
    rate = hp["lr"] / (math.sqrt(G) + hp["eps"])
    return -rate * g, rate, {"grad_sq_sum": G}


def _adadelta(hp: HP, g: float, state: State, _t: int) -> tuple[float, float, State]:
    rho, eps, lr = hp["rho"], hp["eps"], hp.get("lr", 1.0)
    Eg2 = rho * state["sq_grad_avg"] + (1.0 - rho) * g**2  # E[g²]_t
    rms_dx_prev = math.sqrt(state["sq_step_avg"] + eps)  # RMS[Δx]_{t−1}
    rms_g = math.sqrt(Eg2 + eps)  # RMS[g]_t
    dx = -(rms_dx_prev / rms_g) * g  # Δx_t (paper, no learning rate)
    Edx2 = rho * state["sq_step_avg"] + (1.0 - rho) * dx**2  # E[Δx²]_t, unscaled Δx
    return lr * dx, lr * rms_dx_prev / rms_g, {"sq_grad_avg": Eg2, "sq_step_avg": Edx2}


def _rmsprop(hp: HP, g: float, state: State, _t: int) -> tuple[float, float, State]:
    rho = hp["rho"]
    Eg2 = rho * state["sq_grad_avg"] + (1.0 - rho) * g**2
    rate = hp["lr"] / (math.sqrt(Eg2) + hp["eps"])
    return -rate * g, rate, {"sq_grad_avg": Eg2}


def _adam(hp: HP, g: float, state: State, t: int) -> tuple[float, float, State]:
    b1, b2, lr, eps = hp["beta1"], hp["beta2"], hp["lr"], hp["eps"]
    m = b1 * state["first_moment"] + (1.0 - b1) * g
    v = b2 * state["second_moment"] + (1.0 - b2) * g**2
    m_hat = m / (1.0 - b1**t)
    v_hat = v / (1.0 - b2**t)
    update = -lr * m_hat / (math.sqrt(v_hat) + eps)
    rate = (lr / (1.0 - b1**t)) / (math.sqrt(v) / math.sqrt(1.0 - b2**t) + eps)
    return update, rate, {"first_moment": m, "second_moment": v, "count": float(t)}


# ---------------------------------------------------------------------------
# Effective learning rates, from the recorded states (NumPy arrays (T, 2))
# ---------------------------------------------------------------------------


def _pow(base: float, t: Any) -> Any:
    """β**t in Python floats, element by element (the equations' power; NumPy's ``**`` on
    arrays may differ in the last bit, which 1 − β^t magnifies when β is near 1)."""
    return np.array([base ** float(k) for k in np.ravel(t)]).reshape(np.shape(t))


def _adam_rate(r: Record) -> Any:
    """(η/(1 − β₁ᵗ)) / (√v_t/√(1 − β₂ᵗ) + ε)"""
    b1, b2 = _pow(r.hp["beta1"], r.t), _pow(r.hp["beta2"], r.t)
    return (r.hp["lr"] / (1 - b1)) / (
        np.sqrt(r.after["second_moment"]) / np.sqrt(1 - b2) + r.hp["eps"]
    )


def _minus_eff_g(r: Record) -> tuple[Any, ...]:
    return (-r.eff * r.grads,)


def _exact_at_lr_one(hp: HP) -> Tolerance:
    # ADADELTA multiplies by η last: η = 1 (the paper) is exact, another η two roundings
    return EXACT if hp.get("lr", 1.0) == 1.0 else Tolerance(ulps=2)


def _two_ulps(_hp: HP) -> Tolerance:
    return Tolerance(ulps=2)


def _exact(_hp: HP) -> Tolerance:
    return EXACT


CONSTANT_LR = EffectiveLR(
    rate=lambda r: np.full_like(r.eff, r.hp["lr"]),
    rate_tol=EXACT,
    applied=_minus_eff_g,
    applied_tol=_exact,
    adaptive=False,
)


# ---------------------------------------------------------------------------
# The entries
# ---------------------------------------------------------------------------


def _lr_sweep_convergence(settings: Mapping[str, float], outcomes=None, why="") -> Convergence:
    return Convergence(
        sweep={"lr": LR_SWEEP},
        settings={name: {"lr": lr} for name, lr in settings.items()},
        outcomes=outcomes or dict.fromkeys(CONVEX, CONVERGES),
        why=why,
    )


_MOMENTUM_SETTINGS = (
    Setting("default", {}, "the defaults: η = 0.01, β = 0.9"),
    Setting("lr1e-3", {"lr": 1e-3, "beta": 0.9}, "a small step, the classic β"),
    Setting("lr2e-4-beta0.8", {"lr": 2e-4, "beta": 0.8}, "another β"),
    Setting("beta0.999", {"lr": 1e-3, "beta": 0.999}, "β near 1: the velocity hardly decays"),
    Setting("beta0", {"lr": 1e-3, "beta": 0.0}, "β = 0: no memory", same_as=("sgd", {"lr": 1e-3})),
)

_DECAY_RANGE = r"the allowed range \[0, 1\)"
_POSITIVE_RANGE = r"the allowed range \[0, ∞\)"

CASES: dict[str, OptimizerCase] = {
    c.key: c
    for c in (
        OptimizerCase(
            key="sgd",
            step=_sgd,
            initial_state=lambda _hp: {},
            settings=(
                Setting("default", {}, "the default η = 0.01"),
                Setting("lr1e-3", {"lr": 1e-3}, "a smaller step"),
                Setting("lr2e-4", {"lr": 2e-4}, "a step small enough for every objective"),
            ),
            bad=(
                BadValue({"lr": -1}, rf"^lr = -1\.0 is outside {_POSITIVE_RANGE}"),
                BadValue({"lr": float("nan")}, r"^lr = nan is outside"),
                BadValue({"lr": "fast"}, r"^lr must be a number, got 'fast'"),
                BadValue({"lr": True}, r"^lr must be a number, got True"),
                BadValue({"lr": None}, r"^lr must be a number, got None"),
                BadValue({"lr": np.ones((2, 2))}, r"^lr must be a number or a 1-D array"),
                BadValue({"lr": np.array([])}, r"^lr must not be an empty array"),
                BadValue({"beta": 0.9}, r"^SGD has no hyperparameter 'beta'; it has lr$"),
            ),
            effective_lr=CONSTANT_LR,
            convergence=_lr_sweep_convergence(
                {
                    "booth": 0.1,
                    "ill_conditioned": 0.01,
                    "rotated_ill_conditioned": 0.01,
                    "noisy_quadratic": 0.1,
                },
                why="η below 2/λ_max (booth 18, the valleys 100, the quadratic 10)",
            ),
        ),
        OptimizerCase(
            key="momentum",
            step=_momentum,
            initial_state=lambda _hp: {"velocity": 0.0},
            settings=_MOMENTUM_SETTINGS,
            bad=(
                BadValue({"beta": 1}, rf"^beta = 1\.0 is outside {_DECAY_RANGE}"),
                BadValue({"beta": -0.1}, r"^beta = -0\.1 is outside"),
                BadValue({"lr": float("inf")}, r"^lr = inf is outside"),
                BadValue({"nesterov": True}, r"^Momentum has no hyperparameter 'nesterov'"),
            ),
            effective_lr=EffectiveLR(
                rate=CONSTANT_LR.rate,
                rate_tol=EXACT,
                # Δx_t = v_t = β v_{t−1} − η g_t: the same two operations, so exact
                applied=lambda r: (r.hp["beta"] * r.before["velocity"], -r.eff * r.grads),
                applied_tol=_exact,
                adaptive=False,
            ),
            convergence=_lr_sweep_convergence(
                {
                    "booth": 0.03,
                    "ill_conditioned": 0.003,
                    "rotated_ill_conditioned": 0.01,
                    "noisy_quadratic": 0.03,
                }
            ),
        ),
        OptimizerCase(
            key="nesterov",
            step=_nesterov,
            initial_state=lambda _hp: {"velocity": 0.0},
            settings=_MOMENTUM_SETTINGS,
            bad=(
                BadValue({"beta": 1.0}, rf"^beta = 1\.0 is outside {_DECAY_RANGE}"),
                BadValue({"lr": -0.5}, r"^lr = -0\.5 is outside"),
                BadValue(
                    {"nesterov": False}, r"^Nesterov momentum has no hyperparameter 'nesterov'"
                ),
            ),
            effective_lr=EffectiveLR(
                rate=lambda r: np.full_like(r.eff, r.hp["lr"] * (1.0 + r.hp["beta"])),
                rate_tol=EXACT,
                # Δx_t = β v_t − η g_t = β² v_{t−1} − η(1+β) g_t (rounded differently)
                applied=lambda r: (
                    r.hp["beta"] * r.hp["beta"] * r.before["velocity"],
                    -r.eff * r.grads,
                ),
                applied_tol=lambda _hp: Tolerance(ulps=8),
                adaptive=False,
            ),
            convergence=_lr_sweep_convergence(
                {
                    "booth": 0.03,
                    "ill_conditioned": 0.01,
                    "rotated_ill_conditioned": 0.01,
                    "noisy_quadratic": 0.1,
                }
            ),
        ),
        OptimizerCase(
            key="adagrad",
            step=_adagrad,
            initial_state=lambda hp: {"grad_sq_sum": hp.get("initial_accumulator", 0.0)},
            settings=(
                Setting("default", {}, "the defaults: η = 0.1, ε = 1e-10, G₀ = 0"),
                Setting("lr0.3-eps1e-3", {"lr": 0.3, "eps": 1e-3}, "a larger ε shows in the rate"),
                Setting("lr0.2-eps1e-3", {"lr": 0.2, "eps": 1e-3}, "another step size"),
                Setting(
                    "G0-400",
                    {"lr": 0.1, "eps": 1e-10, "initial_accumulator": 400.0},
                    "an initial accumulator enters the very first step",
                ),
                Setting(
                    "eps0",
                    {"eps": 0.0},
                    "ε = 0: the paper's form (Zeiler's eq. 5), which divides by √G_t",
                    nan_at_zero_gradient=True,
                ),
            ),
            bad=(
                BadValue({"eps": -1e-8}, rf"^eps = -1e-08 is outside {_POSITIVE_RANGE}"),
                BadValue({"initial_accumulator": -1}, r"^initial_accumulator = -1\.0 is outside"),
                BadValue(
                    {"initial_accumulator": float("inf")},
                    r"^initial_accumulator = inf is outside",
                ),
                BadValue({"lr": -0.1}, r"^lr = -0\.1 is outside"),
            ),
            effective_lr=EffectiveLR(
                # η/(√G_t + ε)
                rate=lambda r: r.hp["lr"] / (np.sqrt(r.after["grad_sq_sum"]) + r.hp["eps"]),
                rate_tol=Tolerance(rtol=RTOL),
                applied=_minus_eff_g,
                applied_tol=_two_ulps,  # (−η g)/d against −(η/d) g: two roundings each
                adaptive=True,
            ),
            convergence=_lr_sweep_convergence(
                {
                    "booth": 3.0,
                    "ill_conditioned": 3.0,
                    "rotated_ill_conditioned": 1.0,
                    "noisy_quadratic": 3.0,
                },
                why=(
                    "its rate η/√G_t only decays, but on a quadratic the gradients shrink "
                    "geometrically, so G_t stays bounded and the rate tends to η/√G_∞ > 0: "
                    "it converges at a large η (at small η the decay makes it slow)"
                ),
            ),
        ),
        OptimizerCase(
            key="adadelta",
            step=_adadelta,
            initial_state=lambda _hp: {"sq_grad_avg": 0.0, "sq_step_avg": 0.0},
            settings=(
                Setting("default", {}, "the paper's values: ρ = 0.95, ε = 1e-6, no η"),
                Setting("rho0.9-eps1e-4", {"rho": 0.9, "eps": 1e-4}, "the paper's other ρ"),
                Setting("rho0.99-eps1e-8", {"rho": 0.99, "eps": 1e-8}, "long memory, tiny ε"),
                Setting("rho0.5-eps1e-2", {"rho": 0.5, "eps": 1e-2}, "short memory, large ε"),
                Setting("rho0.5-eps1e-10", {"rho": 0.5, "eps": 1e-10}, "slider corner"),
                Setting("rho0.9999-eps1e-10", {"rho": 0.9999, "eps": 1e-10}, "slider corner"),
                Setting("rho0.9999-eps0.1", {"rho": 0.9999, "eps": 0.1}, "slider corner"),
                Setting("rho0.5-eps0.1", {"rho": 0.5, "eps": 0.1}, "slider corner"),
                Setting("rho0", {"rho": 0.0}, "ρ = 0: no running average at all"),
                Setting(
                    "lr0.7", {"rho": 0.5, "eps": 1e-2, "lr": 0.7}, "the libraries' η ≠ 1 variant"
                ),
            ),
            bad=(
                BadValue({"rho": 1}, rf"^rho = 1\.0 is outside {_DECAY_RANGE}"),
                BadValue({"rho": -0.1}, r"^rho = -0\.1 is outside"),
                BadValue({"rho": float("nan")}, r"^rho = nan is outside"),
                BadValue({"rho": np.array([0.9, 1.0])}, r"^rho = 1\.0 is outside"),
                BadValue({"eps": 0}, r"^eps = 0\.0 is outside the allowed range \(0, ∞\)"),
                BadValue({"eps": -1e-8}, r"^eps = -1e-08 is outside"),
                BadValue({"lr": -1.0}, r"^lr = -1\.0 is outside"),
                BadValue(
                    {"momentum": 0.9},
                    r"^ADADELTA has no hyperparameter 'momentum'; it has rho, eps, lr",
                ),
                BadValue(
                    {"rho": np.array([0.9, 0.95, 0.99]), "eps": np.array([1e-6, 1e-4])},
                    r"same length.*'rho': 3, 'eps': 2",
                ),
            ),
            effective_lr=EffectiveLR(
                # η RMS[Δx]_{t−1}/RMS[g]_t
                rate=lambda r: (
                    r.hp["lr"]
                    * np.sqrt(r.before["sq_step_avg"] + r.hp["eps"])
                    / np.sqrt(r.after["sq_grad_avg"] + r.hp["eps"])
                ),
                rate_tol=Tolerance(rtol=RTOL),
                applied=_minus_eff_g,
                applied_tol=_exact_at_lr_one,
                adaptive=True,
            ),
            convergence=Convergence(
                sweep=RHO_EPS_SWEEP,
                settings={
                    "booth": {"rho": 0.9, "eps": 1e-6},
                    "ill_conditioned": {"rho": 0.99, "eps": 1e-6},
                    "rotated_ill_conditioned": {"rho": 0.99, "eps": 1e-6},
                    "noisy_quadratic": {"rho": 0.99, "eps": 1e-6},
                },
                outcomes={
                    "booth": EDGE_CYCLE,
                    "ill_conditioned": EDGE_CYCLE_AFTER_TOUCHING,
                    "rotated_ill_conditioned": EDGE_CYCLE,
                    "noisy_quadratic": EDGE_CYCLE_AFTER_TOUCHING,
                },
                why=(
                    "ε-limited: at the minimum its rate is √ε/√ε = 1 and every one of these "
                    "objectives has a curvature above 2, so it cannot stay there; on the two "
                    "axis-aligned ones one setting passes below the tolerance by the budget, "
                    "and leaves again"
                ),
            ),
        ),
        OptimizerCase(
            key="rmsprop",
            step=_rmsprop,
            initial_state=lambda _hp: {"sq_grad_avg": 0.0},
            settings=(
                Setting("default", {}, "the defaults: η = 0.01, ρ = 0.9, ε = 1e-8"),
                Setting("rho0.3-eps1e-2", {"lr": 0.05, "rho": 0.3, "eps": 1e-2}, "large ε"),
                Setting("rho0.8-eps1e-3", {"lr": 0.003, "rho": 0.8, "eps": 1e-3}, "another ρ"),
                Setting("rho0", {"rho": 0.0}, "ρ = 0: sign descent, |Δx| = η|g|/(|g| + ε)"),
                Setting("rho0.9999", {"rho": 0.9999}, "ρ near 1: E[g²] starts tiny"),
            ),
            bad=(
                BadValue({"rho": 1.5}, rf"^rho = 1\.5 is outside {_DECAY_RANGE}"),
                BadValue({"rho": 1.0}, r"^rho = 1\.0 is outside"),
                BadValue({"eps": -1e-8}, r"^eps = -1e-08 is outside"),
                BadValue({"lr": float("-inf")}, r"^lr = -inf is outside"),
            ),
            effective_lr=EffectiveLR(
                # η/(√E[g²]_t + ε)
                rate=lambda r: r.hp["lr"] / (np.sqrt(r.after["sq_grad_avg"]) + r.hp["eps"]),
                rate_tol=Tolerance(rtol=RTOL),
                applied=_minus_eff_g,
                applied_tol=_two_ulps,
                adaptive=True,
            ),
            convergence=_lr_sweep_convergence(
                {
                    "booth": 0.01,
                    "ill_conditioned": 0.003,
                    "rotated_ill_conditioned": 0.003,
                    "noisy_quadratic": 0.003,
                },
                outcomes=dict.fromkeys(CONVEX, SIGN_CYCLE),
                why=(
                    "η-limited: its rate η/√E[g²] grows as the gradient shrinks, so it never "
                    "settles; the best η is the smallest that reaches the cycle in the budget"
                ),
            ),
        ),
        OptimizerCase(
            key="adam",
            step=_adam,
            initial_state=lambda _hp: {"first_moment": 0.0, "second_moment": 0.0, "count": 0.0},
            settings=(
                Setting("default", {}, "the defaults: η = 0.01, β₁ = 0.9, β₂ = 0.999, ε = 1e-8"),
                Setting(
                    "beta1-0.3",
                    {"lr": 0.2, "beta1": 0.3, "beta2": 0.6, "eps": 1e-2},
                    "β₁ < 0.5: the other branch of torch's lerp",
                ),
                Setting(
                    "beta1-0.8",
                    {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3},
                    "large ε shows in the rate",
                ),
                Setting(
                    "betas-near-1",
                    {"beta1": 0.999, "beta2": 0.9999},
                    "β's near 1: the bias corrections 1/(1 − βᵗ) are huge",
                ),
                Setting("beta1-0", {"beta1": 0.0}, "β₁ = 0: no momentum, m_t = g_t"),
            ),
            bad=(
                BadValue({"lr": float("inf")}, r"^lr = inf is outside"),
                BadValue({"beta1": 1.0}, rf"^beta1 = 1\.0 is outside {_DECAY_RANGE}"),
                BadValue({"beta2": -0.5}, r"^beta2 = -0\.5 is outside"),
                BadValue({"beta2": 1.0}, r"^beta2 = 1\.0 is outside"),
                BadValue({"eps": float("nan")}, r"^eps = nan is outside"),
            ),
            effective_lr=EffectiveLR(
                rate=_adam_rate,
                rate_tol=Tolerance(rtol=1e-13),
                # the rate multiplies the momentum average m_t, not g_t
                applied=lambda r: (-r.eff * r.after["first_moment"],),
                applied_tol=_two_ulps,
                adaptive=True,
            ),
            convergence=_lr_sweep_convergence(
                {
                    "booth": 1.0,
                    "ill_conditioned": 0.3,
                    "rotated_ill_conditioned": 0.3,
                    "noisy_quadratic": 0.3,
                },
                outcomes={
                    "booth": CONVERGES,
                    "ill_conditioned": RATE_RUNAWAY,
                    "rotated_ill_conditioned": RATE_RUNAWAY,
                    "noisy_quadratic": RATE_RUNAWAY,
                },
                why=(
                    "it settles fast everywhere, and stays only on booth, because there it "
                    "lands exactly on (1, 3), where the float gradient is 0: its rate grows "
                    "past 2/λ_max there too, but nothing is left to amplify"
                ),
            ),
        ),
    )
}


MISSING = (
    "optimizer {key!r} is registered but has no entry in tests/optimizer_cases.py: add one "
    "(its reference step and initial state, settings, bad values, effective rate and "
    "convergence setting) — it is the one place a new optimizer needs test data"
)


def entry(key: str) -> OptimizerCase:
    """The case of optimizer ``key``; a registered optimizer without one fails the test."""
    import pytest

    if key not in CASES:
        pytest.fail(MISSING.format(key=key))
    return CASES[key]


def settings_of(keys: list[str]) -> list[tuple[str, Setting | None]]:
    """``(key, setting)`` for every setting of every key (``None`` for a key without an
    entry, so that its tests fail with :data:`MISSING` instead of being left out)."""
    return [(key, s) for key in keys for s in (CASES[key].settings if key in CASES else (None,))]


def setting_id(value: Any) -> str:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        key, s = value
        return f"{key}-{s.id}" if s is not None else f"{key}-MISSING"
    return str(value)
