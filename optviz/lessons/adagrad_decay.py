"""Lesson 1, ADAGRAD's learning rate dies: on Himmelblau ADAGRAD's effective rate falls
below 1 % of its first and it stalls far from a minimum; ADADELTA's and RMSprop's rates
grow."""

from __future__ import annotations

import math

import numpy as np

from ..runner import Trajectory
from .base import Array, Runs, Scene, _lesson, hyperparams, register
from .fair import sweep_run, tuned_paragraph
from .runs import _diverged, _final_gap, _finite_rows, rose_back
from .text import _bold, _hp_text, _usable, fmt, pct, times


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


def _came_back(tr: Trajectory) -> str:
    """ ", after coming within 1.58e-29 at step 437 — the oscillation of lesson 11" when the
    run ended far above the best it reached; "" otherwise."""
    back = rose_back(tr, 100.0)
    if back is None:
        return ""
    return (
        f", after coming within {fmt(back[1])} of the minimum at step {back[0]}: its rising "
        "rate overshoots there, the price lesson 11 explains"
    )


def _travel_halves(tr: Trajectory) -> tuple[float, float]:
    steps = np.linalg.norm(tr.updates, axis=-1)
    half = tr.steps // 2
    return float(np.nansum(steps[:half])), float(np.nansum(steps[half:]))


def _explain_adagrad_decay(_scene: Scene, runs: Runs) -> str:
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
        parts.append(_across_the_sweep(ag))
    ad = _usable(runs, "adadelta", "to compare with a rate that can recover", parts)
    if ad is not None:
        r = _rate_ratio(ad)
        parts.append(
            f"{_bold('adadelta')} divides by a running average that forgets old gradients "
            f"instead: its rate {_ratio_pair(r)}, and it ends at f − f_min = "
            f"{fmt(_final_gap(ad))}" + _came_back(ad) + "."
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


def sweep_ratios(ag: Trajectory) -> tuple[tuple[float, ...], Array, Array]:
    """ADAGRAD at every rate of the fair comparison's sweep: the rates, the last effective
    rate over the first per rate and dimension ``(R, 2)`` (NaN where it diverged), and the
    final f − f_min per rate (NaN where it diverged)."""
    rates, batch = sweep_run(ag)
    e = batch.effective_lr  # (T, R, 2)
    ok = batch.diverged_at < 0
    ratios = np.where(ok[:, None], e[-1] / e[0], np.nan)
    finals = np.where(ok, batch.loss_gap[-1], np.nan)
    return rates, ratios, finals


def _across_the_sweep(ag: Trajectory) -> str:
    rates, ratios, finals = sweep_ratios(ag)
    ok = np.isfinite(finals)
    if not ok.any():
        return ""
    slower = np.nanmax(ratios, axis=1)  # the slower-falling dimension, per rate
    fell = bool(np.all(slower[ok] < 1))
    stalled = [r for r, f in zip(rates, finals) if math.isfinite(f) and f > 1.0]
    reached = [(r, f) for r, f in zip(rates, finals) if math.isfinite(f) and f < 1e-6]
    text = f"Across the fair comparison's {len(rates)} rates " + (
        f"ADAGRAD's rate fell at every one, to {pct(float(np.nanmin(ratios)))}–"
        f"{pct(float(np.nanmax(slower[ok])))} of its first value: the decay is what the "
        "growing sum does, whatever η."
        if fell
        else "its rate did not fall at every one."
    )
    if stalled and reached:
        text += (
            f" Whether it *stalls* depends on η: with η ≤ {fmt(max(stalled))} it ends above "
            f"f − f_min = 1; with η ≥ {fmt(min(r for r, _ in reached))} it reaches "
            f"{fmt(max(f for _, f in reached))} or better before its rate has fallen too far."
        )
    return text


def _check_adagrad_decay(runs: Runs) -> bool:
    """ADAGRAD's last effective rate is below 1 % of its first in both dimensions,
    ADADELTA's is not (neither diverged); and at every rate of the fair comparison's sweep
    that did not diverge ADAGRAD's rate ends below its first in both dimensions."""
    ag, ad = runs["adagrad"], runs["adadelta"]
    if _diverged(ag, ad):
        return False
    _rates, ratios, finals = sweep_ratios(ag)
    ok = np.isfinite(finals)
    falls = bool(ok.any() and np.all(ratios[ok] < 1))
    return bool(falls and np.all(_rate_ratio(ag) < 0.01) and np.all(_rate_ratio(ad) >= 0.01))


LESSON = register(
    _lesson(
        "adagrad_decay",
        "ADAGRAD's learning rate dies",
        "ADAGRAD's accumulator of squared gradients only grows, so its effective learning rate "
        "keeps falling towards zero and training stalls; ADADELTA's running averages do not.",
        Scene(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=2000,
            optimizers=("adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(adagrad={"lr": 0.01}, rmsprop={"lr": 0.01}, adadelta={}),
        ),
        "The rate panels (−Δx/g), x and y: ADAGRAD's curve falls for the whole run while "
        "ADADELTA's rises and then settles. Then the contour: ADAGRAD's small square, where "
        "it stopped, short of the minimum (RMSprop is drawn faint).",
        _explain_adagrad_decay,
        _check_adagrad_decay,
        baselines=tuned_paragraph,
        focus=("adagrad", "adadelta"),
    )
)
