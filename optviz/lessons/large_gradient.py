"""Lesson 7, a sudden large gradient: on a valley with a cliff (the lesson's own function
``"cliff"``; :data:`CLIFF_FORMULA`, the same function as a student would type it) SGD
leaps, while ADADELTA's step stays below RMS[Δx]_(t−1)/√(1−ρ)."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .. import objectives
from ..objectives import Minimum, Objective, X, Y
from ..runner import Trajectory
from .base import Bounds, Inspect, Runs, Scene, _lesson, hyperparams, register
from .fair import tuned_paragraph
from .runs import _diverged, _nanmedian, _rerun, _scalar_hp, original_positions
from .text import _bold, _diverged_at, _missing, _needs_a_run, _point, fmt, times

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


#: a lesson's own function: Scene(objective="cliff"), and the app's objective picker
objectives.define("cliff", _cliff)


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


@_needs_a_run
def _explain_large_gradient(_scene: Scene, runs: Runs) -> str:
    items = []
    for key, tr in runs.items():
        j = jump(tr)
        if j is None:
            items.append(f"- {_bold(key)}: no step to look at in this run.")
            continue
        t, g, u, ratio = j
        before = _nanmedian(np.linalg.norm(tr.grads[:t], axis=-1))
        div = f"; it {_diverged_at(tr)}" if _diverged(tr) else ""
        items.append(
            # step t + 1 uses g_t (the inspector's count: step t moves x_(t−1) to x_t)
            f"- {_bold(key)} meets its steepest gradient at step {t + 1}: |g| = {fmt(g)}, "
            f"{times(g / before)} its median gradient before that. Its step there is "
            f"{fmt(u)}, {times(ratio)} the step before, and lands at "
            f"{_point(original_positions(tr)[t + 1])}{div}."
        )
    on_cliff = next(iter(runs.values())).objective.name == "cliff"
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
    parts.append(_who_got_there(runs))
    if "sgd" in runs:
        parts.append(_leap_across_the_sweep(runs["sgd"]))
    return "\n\n".join(p for p in parts if p)


def _steepest(runs: Runs, key: str) -> tuple[str, int] | None:
    """(key, the inspector's step t) of ``key``'s steepest step: :func:`jump`'s index t is
    the update of step t + 1."""
    if key not in runs:
        return None
    j = jump(runs[key])
    return None if j is None else (key, j[0] + 1)


def leaps(sgd: Trajectory) -> list[tuple[float, int, float | None]]:
    """SGD at every rate of the fair sweep: (η, step past the cliff or −1, how many times
    its previous step its step at the steepest point was — None if it never got there)."""
    from .fair import TUNING_RATES

    out = []
    for lr in sorted({*TUNING_RATES, float(_scalar_hp(sgd)["lr"])}):
        tr = _rerun(sgd, lr=lr)
        crossed = crossing_step(tr)
        j = jump(tr)
        out.append((lr, crossed, j[3] if j is not None and crossed >= 0 else None))
    return out


def _leap_across_the_sweep(sgd: Trajectory) -> str:
    rows = leaps(sgd)
    never = [lr for lr, c, _ in rows if c < 0]
    big = [lr for lr, _, r in rows if r is not None and r >= 10]
    crossed = [(lr, r) for lr, _, r in rows if r is not None]
    if not crossed:
        return ""
    text = "Across the fair sweep of SGD's rates the leap is not always dramatic: "
    parts = [f"η = {fmt(lr)}: {times(r)}" for lr, r in crossed]
    text += "its step at the cliff is " + ", ".join(parts) + " the step before"
    if never:
        text += f"; with η ≤ {fmt(max(never))} it never reaches the cliff in {sgd.steps} steps"
    text += (
        f". A tenfold leap happens at η = {', '.join(fmt(lr) for lr in big)} only."
        if big
        else ". No rate of the sweep makes a tenfold leap."
    )
    own = float(_scalar_hp(sgd)["lr"])
    if own in big and len(big) < len(crossed):
        text += f" The slider's η = {fmt(own)} was chosen to show it."
    return text


def crossing_step(tr: Trajectory) -> int:
    """The first step after which the path is past the cliff (x > 0, in the original
    coordinates), −1 if never (or after a divergence)."""
    x = original_positions(tr)[:, 0]
    past = np.flatnonzero(np.isfinite(x) & (x > 0))
    if not past.size or (tr.diverged_at >= 0 and past[0] >= tr.diverged_at):
        return -1
    return int(past[0])


def _who_got_there(runs: Runs) -> str:
    """Who crossed the cliff when, and whether the leap hurt anyone: the honest half of
    the lesson (on this cliff the leap does not throw SGD away)."""
    from .fair import tuning

    ad, sgd = runs.get("adadelta"), runs.get("sgd")
    if ad is None or sgd is None or _diverged(sgd) or _diverged(ad):
        return ""
    t_sgd, t_ad = crossing_step(sgd), crossing_step(ad)
    if t_sgd < 0 or t_ad < 0:
        return ""
    sweep = tuning(sgd)
    gap_s, gap_a = float(sgd.loss_gap[-1]), float(ad.loss_gap[-1])
    text = (
        f"**Who got there first.** SGD is past the cliff at step {t_sgd}, ADADELTA at step "
        f"{t_ad}; they end at f − f_min = {fmt(gap_s)} and {fmt(gap_a)}. "
    )
    if t_sgd < t_ad:
        text += (
            "Here SGD's leap *helped*: the huge gradient points down the cliff, towards the "
            "minimum, and a step as large as the gradient got there sooner. "
        )
    if sweep.diverged:
        text += (
            f"The bound is what protects ADADELTA where a leap throws a run away: "
            f"{sweep.diverged} of SGD's {len(sweep.rates)} rates in the fair comparison "
            "diverged on this cliff."
        )
    else:
        text += (
            f"No rate of the fair comparison's sweep ({fmt(sweep.rates[0])} … "
            f"{fmt(sweep.rates[-1])}) made SGD diverge on this cliff: ADADELTA's bounded "
            "step is a protection this cliff does not need, and ADADELTA reaches the cliff "
            f"{t_ad - t_sgd} steps later (its steps start at about √ε and grow from there)."
        )
    return text


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


LESSON = register(
    _lesson(
        "large_gradient",
        "A sudden large gradient",
        "ADADELTA's step is bounded by its recent steps, so one huge gradient cannot throw it "
        "far, while SGD's step grows with the gradient.",
        Scene(
            objective="cliff",
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
        baselines=tuned_paragraph,
        inspections=(
            Inspect(
                "Inspect ADADELTA at its steepest step", lambda runs: _steepest(runs, "adadelta")
            ),
            Inspect("Inspect SGD at its steepest step", lambda runs: _steepest(runs, "sgd")),
        ),
    )
)
