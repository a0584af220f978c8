"""Lesson 9, ε is a warm-up learning rate: on Booth the first step is −√ε·g/√((1−ρ)g² + ε),
and the rate then grows."""

from __future__ import annotations

import math

import numpy as np

from ..runner import Trajectory
from .base import Array, FollowUp, Inspect, Runs, Scene, _lesson, hyperparams, register
from .fair import tuned_paragraph
from .runs import _diverged, _final_gap, _finite_rows, _rerun, _scalar_hp
from .text import _bold, _diverged_at, _missing, _point, _table, fmt


def first_step_formula(g: Array, rho: float, eps: float, lr: float = 1.0) -> Array:
    """ADADELTA's first step: −η·√ε·g/√((1−ρ)g² + ε) (E[g²]₀ = E[Δx²]₀ = 0)."""
    g = np.asarray(g, dtype=float)
    return -lr * (np.sqrt(eps) / np.sqrt((1.0 - rho) * g * g + eps)) * g


def _longest_over_first(tr: Trajectory) -> float:
    """The longest step's length over the first's (NaN-safe)."""
    lengths = np.linalg.norm(tr.updates, axis=-1)
    return float(np.nanmax(lengths) / lengths[0]) if lengths[0] > 0 else math.nan


def warmup_steps(tr: Trajectory, factor: float = 10.0) -> int | None:
    """The first step at which ADADELTA's step length reaches ``factor`` × its first."""
    u = np.linalg.norm(tr.updates, axis=-1)
    hits = np.flatnonzero(np.isfinite(u) & (u >= factor * u[0]))
    return int(hits[0]) if hits.size and u[0] > 0 else None


EPS_VALUES = (1e-8, 1e-6, 1e-4, 1e-2)


def _explain_eps(_scene: Scene, runs: Runs) -> str:
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
            else "its step length never reaches 10× the first (the longest is "
            f"{fmt(_longest_over_first(ad), 3)}× the first)"
        )
        when = "at the last step, still growing" if peak == rows[-1] else f"at step {peak}"
        parts.append(
            f"ADADELTA's effective rate then grows, from {fmt(e[0, 0])} (x) and {fmt(e[0, 1])} (y) "
            f"to {fmt(e[peak, 0])} and {fmt(e[peak, 1])} {when}; {grow}."
        )
    rows = []
    for value in EPS_VALUES:
        other = _rerun(ad, eps=value)
        end = _diverged_at(other) if _diverged(other) else f"f − f_min = {fmt(_final_gap(other))}"
        rows.append((fmt(value), fmt(lr * math.sqrt(value / (1 - rho))), end))
    return (
        " ".join(parts)
        + f"\n\nThe same run with other values of ε (ρ = {fmt(rho)}), after {ad.steps} steps:"
        + "\n\n"
        + _table(["ε", "first step ≈ √(ε/(1−ρ))", "end"], rows)
    )


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


LESSON = register(
    _lesson(
        "eps_warmup",
        "ε is a warm-up learning rate",
        "With both accumulators at zero, ADADELTA's first step is −√ε·g/√((1−ρ)g² + ε): "
        "about √(ε/(1−ρ)) per coordinate, so ε sets the size of the first steps.",
        Scene(
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
        baselines=tuned_paragraph,
        inspections=(
            Inspect(
                "Inspect ADADELTA's first step",
                lambda runs: ("adadelta", 1) if "adadelta" in runs else None,
            ),
        ),
        focus=("adadelta",),
        arrows=True,
        follow_ups=(
            FollowUp(
                "Beside it, ADADELTA with ε 100× larger (first steps 10× longer)",
                lambda scene: scene.with_run(
                    "adadelta", {"eps": min(scene.hp("adadelta")["eps"] * 100.0, 1e-2)}
                ),
                lambda scene: (
                    "adadelta" in scene.optimizers
                    and not any(k.startswith("adadelta~") for k in scene.optimizers)
                ),
            ),
        ),
    )
)
