"""Lesson 3, no learning rate to choose: on Beale, ADADELTA at its defaults against SGD at
six learning rates (one batched run, also drawn as ghost paths): some diverge, some
crawl — and a tuned one wins."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import optimizers
from ..runner import Trajectory
from .base import Ghost, Runs, Scene, _lesson, hyperparams, register
from .runs import (
    _any_run,
    _conditions,
    _diverged,
    _final_gap,
    _run_cached,
    _scalar_hp,
    original_positions,
    rose_back,
)
from .text import _bold, _diverged_text, _hp_text, _missing, _needs_a_run, _table, fmt, pct

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
    rates_hp = (("lr", tuple(float(r) for r in rates)),)
    return _run_cached(reference.objective, "sgd", rates_hp, *_conditions(reference))


@_needs_a_run
def _explain_no_lr(_scene: Scene, runs: Runs) -> str:
    ad = runs.get("adadelta")
    ref = ad if ad is not None else _any_run(runs)
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
    rows = []
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
        rows.append((fmt(lr), cell))
    parts.append("\n" + _table(["η", "SGD's final f − f_min"], rows) + "\n")
    if "sgd" in runs:
        own = float(runs["sgd"].optimizer.hyperparams["lr"])
        own_gap = _final_gap(runs["sgd"]) if not _diverged(runs["sgd"]) else math.nan
        parts.append(
            f"(On the contour the bold SGD path is the slider's η = {fmt(own)}"
            + (
                f", which ends at {fmt(own_gap)}"
                + (" — above ADADELTA" if math.isfinite(ad_gap) and own_gap > ad_gap else "")
                if math.isfinite(own_gap)
                else ", which diverges"
            )
            + "; the faint ones are the table's other rates.)\n"
        )
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
                "no tuning — it got this far without a search over η." + _final_not_best(ad)
            )
        else:
            summary += " None of them beat ADADELTA, which needed no search at all."
    parts.append(summary)
    return "\n".join(parts)


def _final_not_best(ad: Trajectory) -> str:
    """The comparison is by final values; say so when ADADELTA's best was much lower."""
    back = rose_back(ad, 2.0)
    if back is None:
        return ""
    return (
        f" (The comparison is of final values: ADADELTA's best was {fmt(back[1])}, at step "
        f"{back[0]}, before it rose to {fmt(_final_gap(ad))}.)"
    )


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


def _ghosts_no_lr(scene: Scene) -> list[Ghost]:
    runs = scene.runs()
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


LESSON = register(
    _lesson(
        "no_learning_rate",
        "No learning rate to choose",
        "ADADELTA needs no manually set learning rate: its defaults work where SGD must be tuned.",
        Scene(
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
    )
)
