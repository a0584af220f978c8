"""Lesson 11, the price: on Himmelblau ADADELTA oscillates near the minimum; and the memory
table (:func:`memory_table`)."""

from __future__ import annotations

import math

import numpy as np

from .. import optimizers
from ..runner import Trajectory
from .base import Array, Runs, Scene, _lesson, hyperparams, register
from .runs import _diverged, _final_gap
from .text import _bold, _name, _table, _usable, fmt, pct

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


def _explain_price(_scene: Scene, runs: Runs) -> str:
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
    table = [(_name(k), n) for k, n in memory_table()]
    ad_mem = dict(memory_table())["adadelta"]
    return (
        " ".join(parts)
        + f"\n\nThe other price is memory: ADADELTA keeps {ad_mem} numbers per parameter "
        "(E[g²] and E[Δx²]), as many as Adam, one more than ADAGRAD or RMSprop:\n\n"
        + _table(["optimizer", "state values per parameter"], table)
    )


def _check_price(runs: Runs) -> bool:
    """In the last quarter ADADELTA's Δx changes sign in at least half the steps (both
    dimensions), it ends more than 10× above the best f − f_min it reached, and
    :func:`memory_table` gives the paper's optimizers SGD 0, momentum 1, Nesterov 1,
    ADAGRAD 1, ADADELTA 2, RMSprop 1, Adam 2 (an optimizer registered besides them does
    not change the claim)."""
    ad = runs["adadelta"]
    if _diverged(ad):
        return False
    gap = ad.loss_gap
    oscillates = bool(np.all(sign_change_share(ad) >= 0.5))
    slowed = bool(gap[-1] > 10 * np.nanmin(gap))
    memory = dict(memory_table())
    as_expected = all(memory.get(k) == n for k, n in EXPECTED_MEMORY.items())
    return oscillates and slowed and as_expected


LESSON = register(
    _lesson(
        "the_price",
        "The price: oscillation and memory",
        "ADADELTA's robustness has costs: near the minimum its remembered step sizes make it "
        "oscillate, and it keeps two accumulators per parameter.",
        Scene(
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
    )
)
