"""Lesson 4, insensitive to ρ and ε: on Rosenbrock, each of the paper's four optimizers over
its own whole grid (the Sensitivity view's grids at its default resolution) and ADADELTA
over the paper's 3 × 4, scored by the one measure optviz uses (``sweeps.grid_score``)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..objectives import Objective
from ..runner import Trajectory
from .base import Array, Runs, Scene, _lesson, hyperparams, register
from .runs import _any_run, _conditions, _nanmedian
from .text import _name, _needs_a_run, fmt, pct

#: The resolution of every optimizer's grid here: the Sensitivity view's default, so that
#: the table in the text and the chart under it are the same sweeps (a test holds both).
LESSON_RESOLUTION = 50
#: Other starts on which the lesson's claim is checked (the claim is not the start's).
OTHER_STARTS = ((-1.0, 2.5), (1.5, -0.5))


@functools.lru_cache(maxsize=16)
def _sweeps(
    obj: Objective,
    keys: tuple[str, ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
) -> dict[str, Any]:
    from .. import sweeps

    def run(key: str, grid: dict[str, Any]) -> Any:
        return sweeps.sweep(obj, key, grid, start, steps, seed=seed, noise=noise)

    results = {k: run(k, sweeps.default_grid(k, LESSON_RESOLUTION)) for k in keys}
    paper = run("adadelta", sweeps.PAPER_GRID)
    return {
        "results": results,
        "scores": {k: sweeps.grid_score(r) for k, r in results.items()},
        "paper": paper,
        "paper_score": sweeps.grid_score(paper),
    }


def _keys(runs: Runs) -> tuple[str, ...]:
    """ADADELTA first, then the other optimizers of the scene that have a grid."""
    from ..sweeps import sweep_axes

    keys = [k for k in runs if sweep_axes(k)]
    return tuple(sorted(keys, key=lambda k: k != "adadelta"))


def insensitivity(reference: Trajectory, keys: tuple[str, ...] = ("adadelta", "sgd")) -> dict:
    """The lesson's sweeps on ``reference``'s objective, start, steps, noise and seed:
    ``{"results": {key: SweepResult over its default grid at LESSON_RESOLUTION}, "scores":
    {key: GridScore}, "paper": ADADELTA's SweepResult over the paper's grid,
    "paper_score": its GridScore}`` (``optviz.sweeps.grid_score``)."""
    return _sweeps(reference.objective, tuple(keys), *_conditions(reference))


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


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@_needs_a_run
def _explain_insensitive(_scene: Scene, runs: Runs) -> str:
    from ..sweeps import SUCCESS_REDUCTION, score_table

    ref = runs.get("adadelta") or _any_run(runs)
    keys = _keys(runs) or ("adadelta",)
    s = insensitivity(ref, keys)
    scores, paper = s["scores"], s["paper_score"]
    rows = [(_name(k), scores[k]) for k in keys]
    rows.insert(1 if "adadelta" in scores else 0, ("ADADELTA, the paper's grid", paper))
    start = _conditions(ref)[0]
    target = scores["adadelta"].target if "adadelta" in scores else None
    gap0 = f" = {fmt(target / SUCCESS_REDUCTION)}" if target else ""
    parts = [
        "**How it is measured** (the same everywhere in optviz: `optviz.sweeps.grid_score`). "
        "Each optimizer runs over **its own** grid — log-uniform over its sliders' whole "
        f"ranges, {LESSON_RESOLUTION} values per axis, the Sensitivity view's grids below — "
        f"and ADADELTA also over the paper's 3 × 4 (ρ ∈ {{0.9, 0.95, 0.99}} × ε ∈ "
        "{10⁻², 10⁻⁴, 10⁻⁶, 10⁻⁸}, its Table 2). Every cell is one run of "
        f"{ref.steps} steps from ({fmt(start[0])}, {fmt(start[1])}). A cell **solved** the "
        f"problem when it closed {100 * (1 - SUCCESS_REDUCTION):.4g} % of the start's gap "
        f"f(x₀) − f_min{gap0}; the **spread** is how many decades the middle half of the final "
        "gaps covers (diverged cells count as infinitely bad). No optimizer is judged "
        "against another's luckiest cell.",
        score_table(rows),
    ]
    ad = scores.get("adadelta")
    others = {k: v for k, v in scores.items() if k != "adadelta"}
    if ad is None or ad.share is None:
        parts.append("(This function has no minimum: nothing counts as solved here.)")
        return "\n\n".join(parts)

    verdict = []
    more_div = [k for k, v in others.items() if v.diverged_share > ad.diverged_share]
    less_div = [k for k, v in others.items() if v.diverged_share <= ad.diverged_share]
    if more_div:
        verdict.append(
            f"**What the toy bears out:** ADADELTA diverged in {pct(ad.diverged_share)} of its "
            "grid, "
            + _join([f"{_name(k)} in {pct(others[k].diverged_share)}" for k in more_div])
            + " of theirs"
            + (
                " ("
                + _join([f"{_name(k)} in {pct(others[k].diverged_share)}" for k in less_div])
                + ": no more than ADADELTA)"
                if less_div
                else ""
            )
            + ". A learning rate too large for the curvature throws a run away; ADADELTA "
            "has no learning rate to get wrong: its step is scaled by its own history."
        )
    finite = {k: v.spread for k, v in others.items() if math.isfinite(v.spread)}
    if math.isfinite(ad.spread):
        tighter = [k for k, v in finite.items() if v < ad.spread]
        verdict.append(
            f"Its final gaps spread over {fmt(ad.spread, 2)} decades (the middle half)"
            + (
                f"; {_join([_name(k) for k in tighter])} spread less: it is not the most "
                "uniform here."
                if tighter
                else ", less than any other optimizer's here."
            )
        )
    best = max(others, key=lambda k: others[k].share, default=None)
    if best is not None and others[best].share > ad.share:
        verdict.append(
            f"**What it does not:** {_name(best)} solves more of its grid "
            f"({pct(others[best].share)}) than ADADELTA ({pct(ad.share)}). On a 2-D function "
            f"within {ref.steps} steps, ADADELTA's insensitivity is mostly the absence of "
            "disasters, not of slowness: a small ε makes its first steps tiny "
            "(about √(ε/(1−ρ))), and it has to grow its own step size before it moves."
        )
    else:
        verdict.append(
            f"ADADELTA also solves the largest share of its grid ({pct(ad.share)})"
            + (f", against {_name(best)}'s {pct(others[best].share)}." if best else ".")
        )
    parts.append(" ".join(verdict))

    gaps = np.asarray(s["paper"].final_value) - s["paper"].f_min
    rho_spread, eps_spread = _spread(gaps, 0), _spread(gaps, 1)
    bad = [
        s["paper"].configuration(i) for i in np.ndindex(*s["paper"].shape) if s["paper"].diverged[i]
    ]
    knobs = (
        f"On the paper's 12 cells ADADELTA solved {paper.solved} and diverged in "
        f"{paper.diverged}"
        + (
            " (" + "; ".join(f"ρ = {fmt(c['rho'])}, ε = {fmt(c['eps'])}" for c in bad) + ")"
            if bad
            else ""
        )
        + "."
    )
    if math.isfinite(rho_spread) and math.isfinite(eps_spread):
        knobs += (
            f" Its knobs are not equal (over the cells that did not diverge): changing ρ alone "
            "changes the final f − f_min by a "
            f"factor of {fmt(rho_spread, 2)} (median over ε), changing ε alone by "
            f"{fmt(eps_spread, 2)} (median over ρ)"
            + (
                " — ε, which sets the size of the first steps, matters more than ρ."
                if eps_spread > rho_spread
                else " — here ρ matters more than ε."
            )
        )
    parts.append(knobs)
    parts.append(
        "The paper's claim is about training networks: in its Table 2 every (ρ, ε) cell "
        "reached a similar test error on MNIST. A 2-D toy can show the missing disasters, "
        "not that; lesson 12 (*The paper's experiment, in miniature*) runs Table 2 on real digits."
    )
    return "\n\n".join(parts)


def _claim_holds(scores: dict[str, Any]) -> bool:
    ad, sgd = scores["adadelta"], scores["sgd"]
    return bool(ad.diverged_share < sgd.diverged_share and ad.spread < sgd.spread)


def _check_insensitive(runs: Runs) -> bool:
    """The lesson's claim, on its start and on :data:`OTHER_STARTS`: ADADELTA diverges in a
    smaller share of its own grid than SGD does of its learning rates, and its final gaps
    spread over fewer decades (SGD's spread is infinite once over a quarter of its rates
    diverge)."""
    ad = runs["adadelta"]
    _start, steps, noise, seed = _conditions(ad)
    if not _claim_holds(insensitivity(ad, ("adadelta", "sgd"))["scores"]):
        return False
    for start in OTHER_STARTS:
        scores = _sweeps(ad.objective, ("adadelta", "sgd"), start, steps, noise, seed)
        if not _claim_holds(scores["scores"]):
            return False
    return True


LESSON = register(
    _lesson(
        "insensitive",
        "Insensitive to ρ and ε",
        "Over its whole (ρ, ε) grid ADADELTA rarely diverges and its results vary less than "
        "SGD's over learning rates — but on a 2-D toy it does not solve more of its grid; "
        "the paper's claim is about networks.",
        Scene(
            objective="rosenbrock",
            start=(-1.5, 2.0),
            steps=1000,
            optimizers=("sgd", "momentum", "adagrad", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 1e-3}, momentum={"lr": 1e-4}, adagrad={"lr": 0.1}, adadelta={}
            ),
        ),
        "The table and the bars: how much of each optimizer's own grid solved the problem, "
        "diverged (red), or neither; the heatmaps show where. Switch ADADELTA's grid to "
        "the paper's own in the view's settings above the heatmaps.",
        _explain_insensitive,
        _check_insensitive,
        view="sensitivity",
        fan="adadelta.rho",
    )
)
