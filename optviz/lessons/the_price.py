"""Lesson 11, the price: on Himmelblau ADADELTA oscillates near the minimum; and the memory
table (:func:`memory_table`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import optimizers
from ..runner import Trajectory
from .base import Array, FollowUp, Runs, Scene, _lesson, hyperparams, register
from .fair import tuned_paragraph
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


#: The plain quadratic on which the lesson shows the same mechanism (§4.3's "approach 1").
QUADRATIC = "ill_conditioned"
QUADRATIC_EPS = 1e-4
QUADRATIC_STEPS = 5000


def spectral_radius(rate: Array, hessian: Array) -> float:
    """Of the step's linearisation x ↦ x − diag(rate)·H·x near a minimum: below 1 the
    step contracts towards it, above 1 every overshoot grows."""
    return float(max(abs(np.linalg.eigvals(np.eye(2) - np.diag(rate) @ hessian))))


@dataclass(frozen=True)
class Onset:
    """Where ADADELTA's steps stop being stable near the minimum it ends at."""

    hessian: Array  # at that minimum
    radius: Array  # (T,) spectral_radius of each step's rate
    crossed: int  # first step (0-based) whose radius is above 1, −1 if none
    floor: Array  # E[Δx²] / ε at that step, per dimension
    rate_start: Array  # the rate of the first step
    rate_crossed: Array  # the rate at ``crossed``

    @property
    def curvature(self) -> float:
        """The largest eigenvalue λ of the Hessian; a gradient step is stable below 2/λ."""
        return float(np.linalg.eigvalsh(self.hessian).max())


def stability_onset(tr: Trajectory) -> Onset | None:
    """The §4.3 mechanism, measured on an ADADELTA run: its rate RMS[Δx]/RMS[g] per step
    against the stability of a gradient step at the minimum nearest to where it ends.
    None when the objective has no minima or the run diverged."""
    if _diverged(tr) or not tr.objective.minima or tr.optimizer.key != "adadelta":
        return None
    end = tr.positions[-1]
    nearest = min(tr.objective.minima, key=lambda m: float(np.hypot(*(end - np.array(m.point)))))
    hessian = np.asarray(tr.objective.hessian(np.array(nearest.point, dtype=float)))
    rates = tr.effective_lr
    radius = np.array([spectral_radius(r, hessian) for r in rates])
    over = np.flatnonzero(radius > 1.0)
    crossed = int(over[0]) if over.size else -1
    eps = float(tr.optimizer.hyperparams["eps"])
    at = max(crossed, 0)
    return Onset(
        hessian=hessian,
        radius=radius,
        crossed=crossed,
        floor=tr.states.sq_step_avg[at] / eps,
        rate_start=rates[0],
        rate_crossed=rates[at],
    )


def _quadratic_run() -> Trajectory:
    from ..scene import Scene as _Scene

    sc = _Scene.of_objective(QUADRATIC, steps=QUADRATIC_STEPS, optimizers=("adadelta",))
    return sc.with_hp("adadelta", {"eps": QUADRATIC_EPS}).run("adadelta")


def _mechanism(ad: Trajectory) -> str:
    on = stability_onset(ad)
    if on is None or on.crossed < 0:
        return ""
    lam = on.curvature
    t = on.crossed
    return (
        f" **Why (the paper's own §4.3).** Near the minimum both accumulators shrink. By "
        f"step {t + 1}, E[Δx²] is {fmt(on.floor[0], 2)} × ε in x and {fmt(on.floor[1], 2)} × "
        "ε in y: RMS[Δx] sits on its floor √ε, so the rate is √ε / RMS[g] and grows as E[g²] "
        f"decays — {fmt(on.rate_start[0])} in x at the first step, {fmt(on.rate_crossed[0])} "
        f"at step {t + 1}. A step near the minimum is stable only while the spectral radius "
        "of x ↦ x − diag(rate)·H·x (H the Hessian there; its largest curvature λ = "
        f"{fmt(lam)}) stays below 1 — rates below about 2/λ = {fmt(2 / lam)}. It passed 1 at "
        f"step {t + 1}. Every overshoot then grows until E[Δx²] outgrows ε again, and the "
        "run settles into a hop whose rate sits on the stability limit (radius "
        f"{fmt(float(on.radius[-1]), 4)} at the last step). The paper notes that near the "
        "end of training the step sizes approach 1 as ε dominates; any rate above 2/λ is "
        "enough to oscillate."
    )


def _quadratic_sentence() -> str:
    q = _quadratic_run()
    gap = q.loss_gap
    best = int(np.nanargmin(gap))
    return (
        f"The same happens on a plain quadratic, ½(x² + 100y²), with ε = "
        f"{fmt(QUADRATIC_EPS)}: f − f_min falls to {fmt(gap[best])} at step {best}, then "
        f"climbs back to {fmt(gap[-1])} by step {q.steps}; there x's rate ends at "
        f"{fmt(float(q.effective_lr[-1, 0]), 4)} — the paper's \"approach 1\" — and y's at "
        f"{fmt(float(q.effective_lr[-1, 1]), 4)}, its stability limit 2/100."
    )


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
                f"steps in x and {pct(sc[1])} in y: it hops back and forth, with a rate of "
                f"{fmt(e[-1, 0])} in x and {fmt(e[-1, 1])} in y at the last step."
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
        mechanism = _mechanism(ad) if np.all(sc >= 0.5) else ""
        if mechanism:
            parts.append("\n\n" + mechanism.strip())
        parts.append("\n\n" + _quadratic_sentence())
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
    return oscillates and slowed and as_expected and _mechanism_holds(ad)


def _mechanism_holds(ad: Trajectory) -> bool:
    """§4.3's mechanism, on the lesson's run and on the plain quadratic: the rate passes
    the stability limit while E[Δx²] is below a tenth of ε in both dimensions (RMS[Δx] on
    its √ε floor), and the run ends hopping on that limit (radius within 1 % of 1); on the
    quadratic x's rate ends within 1 % of 1."""
    on = stability_onset(ad)
    if on is None or on.crossed < 0:
        return False
    floor = bool(np.all(on.floor < 0.1))
    on_limit = abs(float(on.radius[-1]) - 1.0) < 0.01
    q = _quadratic_run()
    oq = stability_onset(q)
    quad = (
        oq is not None
        and oq.crossed >= 0
        and bool(np.all(oq.floor < 0.1))
        and abs(float(q.effective_lr[-1, 0]) - 1.0) < 0.01
        and q.loss_gap[-1] > 1e6 * np.nanmin(q.loss_gap)
    )
    return floor and on_limit and bool(quad)


LESSON = register(
    _lesson(
        "the_price",
        "The price: oscillation and memory",
        "ADADELTA's robustness has costs: near the minimum ε takes over both of its roots, its "
        "rate grows past what the curvature allows and it oscillates (§4.3); and it keeps two "
        "accumulators per parameter.",
        Scene(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=2000,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
        ),
        "The f − f_min panel at the end of the run: ADADELTA rises again while the others stay "
        "down; the accumulator panels; then the memory table.",
        _explain_price,
        _check_price,
        baselines=tuned_paragraph,
        follow_ups=(
            FollowUp(
                "Show it on the plain quadratic (ε = 10⁻⁴, 5000 steps)",
                lambda scene: scene.replace(
                    objective=QUADRATIC, start=(-3.5, 1.5), steps=QUADRATIC_STEPS
                ).with_hp("adadelta", {**scene.hp("adadelta", paper=False), "eps": QUADRATIC_EPS}),
                lambda scene: "adadelta" in scene.optimizers and scene.objective != QUADRATIC,
            ),
        ),
        focus=("adadelta",),
    )
)
