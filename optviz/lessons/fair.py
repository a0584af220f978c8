"""The one fair-comparison rule every lesson states: a baseline's learning rate is set
against the best of a stated sweep on the lesson's own scene.

For every optimizer of a scene that has a learning rate of its own (SGD, momentum,
Nesterov, ADAGRAD, RMSprop, Adam — not ADADELTA, whose ``lr`` is only the libraries'
multiplier), :func:`tuning` runs it at every rate of :data:`TUNING_RATES` (and the slider's
own) as one batched run, from the same start, for the same steps, noise and seed, its
other hyperparameters as on the sliders. The best rate is the one with the lowest score
by the lesson's own measure — the final f − f_min (f without a minimum) by default,
:func:`tail_mean` for a noisy lesson — a diverged run is never best, and on a tie the
slider's rate is named. :func:`tuned_paragraph` writes the table and what it means for the
lesson: whether the slider's rate is the best, and whether a tuned baseline scores below
ADADELTA — in which case the lesson says so. (The saddle lesson measures escape steps
instead, with its own paragraph.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import optimizers
from ..runner import Trajectory
from .base import Array, Runs, Scene
from .runs import _conditions, _diverged, _run_cached, _scalar_hp
from .text import _name, _table, fmt

#: The sweep every baseline's learning rate is set against: 10⁻⁵ … 1 in half decades.
TUNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


@dataclass(frozen=True)
class Tuning:
    """One baseline's sweep of learning rates on a lesson's scene."""

    key: str
    rates: tuple[float, ...]  # ascending, the slider's own included
    finals: tuple[float, ...]  # the measure per rate, lower is better (inf: diverged)
    diverged: int
    own: float  # the slider's rate
    own_final: float

    @property
    def best(self) -> float:
        """The rate with the lowest final gap (NaN when every rate diverged); on a tie the
        slider's own, so that the table and the sentence name the same rate."""
        finite = [(f, r) for f, r in zip(self.finals, self.rates) if math.isfinite(f)]
        if not finite:
            return math.nan
        low = min(f for f, _ in finite)
        tied = [r for f, r in finite if f == low]
        return self.own if self.own in tied else min(tied)

    @property
    def best_final(self) -> float:
        finite = [f for f in self.finals if math.isfinite(f)]
        return min(finite) if finite else math.inf

    @property
    def own_is_best(self) -> bool:
        return self.own == self.best


def has_own_rate(key: str) -> bool:
    """Whether optimizer ``key`` has a learning rate to tune (ADADELTA has none)."""
    spec = optimizers.get(key)
    return spec.lr_kind != optimizers.LR_NONE and "lr" in spec.defaults


def sweep_run(
    tr: Trajectory, rates: tuple[float, ...] = TUNING_RATES
) -> tuple[tuple[float, ...], Trajectory]:
    """The rates (``rates`` and ``tr``'s own, ascending) and ``tr``'s optimizer run at every
    one of them on ``tr``'s objective, start, steps, noise and seed: one batched, cached
    run whose row i has rate i."""
    hp = _scalar_hp(tr)
    own = float(hp["lr"])
    grid = tuple(sorted({*(float(r) for r in rates), own}))
    others = tuple(sorted((k, float(v)) for k, v in hp.items() if k != "lr"))
    batch = _run_cached(tr.objective, tr.optimizer.key, (("lr", grid), *others), *_conditions(tr))
    return grid, batch


def final_value(loss_gap: Array) -> Array:
    """The measure most lessons compare: f − f_min (f without a minimum) at the last step,
    of a history ``(T+1,)`` or a batch's ``(T+1, B)``."""
    return loss_gap[-1]


def tail_mean(loss_gap: Array, fraction: float = 0.2) -> Array:
    """The mean f − f_min over the last ``fraction`` of the run (noisy lessons: one final
    sample of a jittering run says little)."""
    n = max(1, round(fraction * loss_gap.shape[0]))
    return np.mean(loss_gap[-n:], axis=0)


def tuning(
    tr: Trajectory,
    rates: tuple[float, ...] = TUNING_RATES,
    measure: Callable[[Array], Array] = final_value,
) -> Tuning:
    """``tr``'s optimizer at every rate of ``rates`` and its own, on ``tr``'s objective,
    start, steps, noise and seed (one batched, cached run), scored by ``measure`` of the
    loss-gap history (lower is better)."""
    own = float(_scalar_hp(tr)["lr"])
    grid, batch = sweep_run(tr, rates)
    gaps = np.asarray(measure(batch.loss_gap), dtype=np.float64)
    finals = tuple(
        math.inf if batch.diverged_at[i] >= 0 or not math.isfinite(gaps[i]) else float(gaps[i])
        for i in range(len(grid))
    )
    own_final = math.inf if _diverged(tr) else float(measure(tr.loss_gap))
    return Tuning(
        key=tr.optimizer.key,
        rates=grid,
        finals=finals,
        diverged=int(np.count_nonzero(batch.diverged_at >= 0)),
        own=own,
        own_final=own_final,
    )


def _gap_text(v: float) -> str:
    return "diverged" if not math.isfinite(v) else fmt(v)


def tuned_paragraph(
    _scene: Scene,
    runs: Runs,
    measure: Callable[[Array], Array] = final_value,
    measure_name: str = "",
) -> str:
    """The rule, the table of every baseline's sweep and what it means (see the module
    docstring); "" when the scene has no optimizer with a learning rate. ``measure`` and
    its name (``"mean f − f_min over the last 20 %"``) make it the lesson's own measure."""
    keys = [k for k in runs if has_own_rate(k)]
    if not keys:
        return ""
    tunings = {k: tuning(runs[k], measure=measure) for k in keys}
    ad = runs.get("adadelta")
    ad_final = math.inf if ad is None or _diverged(ad) else float(measure(ad.loss_gap))
    rows = [
        (
            _name(k),
            fmt(t.own),
            _gap_text(t.own_final),
            fmt(t.best) if math.isfinite(t.best) else "—",
            _gap_text(t.best_final),
            f"{t.diverged} of {len(t.rates)}",
        )
        for k, t in tunings.items()
    ]
    head = (
        "**Fair comparison.** Every baseline's learning rate is set against the best of "
        f"{len(TUNING_RATES)} rates from {fmt(TUNING_RATES[0])} to {fmt(TUNING_RATES[-1])} "
        "(half decades, and the slider's own) on this very scene — the same start, steps "
        "and noise, its other settings as on the sliders (`optviz.lessons.fair`)."
    )
    what = measure_name or (
        "final f − f_min" if next(iter(runs.values())).objective.f_min is not None else "final f"
    )
    table = _table(
        [
            "optimizer",
            "η on the slider",
            what,
            "best η of the sweep",
            f"{what} there",
            "diverged in the sweep",
        ],
        rows,
    )
    if measure_name:  # e.g. a mean over the last part of the run
        verb = f"gives a {measure_name} of"

        def below(n: int) -> str:
            return "score below" if n > 1 else "scores below"

    else:
        verb = "ends at"

        def below(n: int) -> str:
            return "end below" if n > 1 else "ends below"

    notes, winners, holders = [], [], []
    for k, t in tunings.items():
        if not math.isfinite(t.best):
            notes.append(f"{_name(k)} diverged at every rate of the sweep.")
            continue
        edge = (
            " — at the edge of the sweep, so a rate beyond it might do better"
            if t.best in (t.rates[0], t.rates[-1]) and not t.own_is_best
            else ""
        )
        ties = [r for r, f in zip(t.rates, t.finals) if f == t.best_final and r != t.own]
        tie = f" (tied with η = {', '.join(fmt(r) for r in ties)})" if ties else ""
        notes.append(
            f"{_name(k)}'s η = {fmt(t.own)} is the best of the sweep{tie}."
            if t.own_is_best
            else f"{_name(k)}'s η = {fmt(t.own)} is *not* the best of the sweep: η = "
            f"{fmt(t.best)} {verb} {fmt(t.best_final)}{edge}."
        )
        if math.isfinite(ad_final):
            (winners if t.best_final < ad_final else holders).append(_name(k))
    if winners:
        notes.append(
            f"**Tuned, {_join(winners)} {below(len(winners))} ADADELTA's "
            f"{fmt(ad_final)}**: on this scene a tuned baseline wins, and what ADADELTA buys "
            "is not having to tune."
        )
    if holders:
        notes.append(
            f"No rate of the sweep takes {_join(holders)} below ADADELTA's {fmt(ad_final)}: "
            "there the comparison holds for every rate tried."
        )
    return "\n\n".join([head, table, " ".join(notes)])


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def tail_mean_paragraph(scene: Scene, runs: Runs) -> str:
    """:func:`tuned_paragraph` scored by :func:`tail_mean` — for a noisy lesson."""
    return tuned_paragraph(scene, runs, tail_mean, "mean f − f_min over the last 20 %")
