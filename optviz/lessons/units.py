"""Lesson 6, units (the paper's §3.2): x measured in units s times smaller. The paper argues
that ADADELTA's step has the units of x; a teacher-forced probe (:func:`units_probe`) shows
it has them only while ε is given the units of x² — and the same ε sits under RMS[g], so no
single ε keeps them for the whole run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import optimizers
from ..objectives import Objective
from ..runner import Trajectory
from ..scene import Transform, plot_positions, stretch_of
from .base import FollowUp, Runs, Scene, _lesson, hyperparams, register
from .runs import _diverged, _rerun, original_positions
from .text import _bold, _name, _needs_a_run, fmt, pct

#: The stretch the probe uses when the scene has none.
DEFAULT_STRETCH = 10.0
#: The steps (1-based) the probe's table shows, besides the last.
PROBE_STEPS = (1, 10, 100)


def path_deviation(a: Trajectory, b: Trajectory) -> float:
    """Largest distance between two paths step by step, in the original coordinates
    (:func:`original_positions`); ∞ if either diverged."""
    if _diverged(a, b):
        return math.inf
    pa, pb = original_positions(a), original_positions(b)
    n = min(len(pa), len(pb))
    return float(np.max(np.linalg.norm(pa[:n] - pb[:n], axis=-1)))


def end_distance(a: Trajectory, b: Trajectory) -> float:
    """Distance between where two paths end, in the original coordinates; ∞ if either
    diverged (the robustness box under the lesson measures the same)."""
    if _diverged(a, b):
        return math.inf
    pa, pb = original_positions(a)[-1], original_positions(b)[-1]
    return float(np.hypot(*(pa - pb)))


def _width(obj: Objective) -> float:
    (x0, x1), (y0, y1) = obj.bounds
    return max(x1 - x0, y1 - y0)


@dataclass(frozen=True)
class ProbeRow:
    """One optimizer's x-steps with the gradients in stretched units, as a ratio."""

    label: str
    key: str
    eps_note: str  # "" or how ε was changed
    ratio: np.ndarray  # (T,): (Δx'_t / s) / Δx_t, NaN where Δx_t = 0


def units_probe(reference: Trajectory, s: float, eps_factor: float | None = None) -> np.ndarray:
    """Teacher-forced: the x-gradients g₁ … g_T of ``reference`` (an unstretched run) fed
    to the same optimizer twice — once as they are, once in units s times smaller
    (x' = s·x, so g' = g/s) — and the x-step of the second, measured back in x's units
    (Δx'/s), divided by the first's. An update with the units of x gives 1 at every
    step (Newton's does); SGD's gives 1/s², one normalised by RMS[g] 1/s.

    ``eps_factor`` multiplies ε in the stretched run (s² gives ε the units of x², 1/s²
    those of g²). Both runs are the optimizer's own rule (``Optimizer.update``), rows of
    one batch with per-row hyperparameters."""
    g = np.asarray(reference.grads[:, 0], dtype=np.float64)
    hp = dict(reference.optimizer.hyperparams)
    rows = {name: np.array([float(v), float(v)]) for name, v in hp.items()}
    if eps_factor is not None:
        rows["eps"] = np.array([float(hp["eps"]), float(hp["eps"]) * eps_factor])
    opt = optimizers.build(reference.optimizer.key, **rows)
    state = opt.init(np.zeros((2, 1)))
    steps = np.empty((len(g), 2))
    scale = np.array([[1.0], [1.0 / s]])
    with np.errstate(all="ignore"):
        for t, gt in enumerate(g):
            update, state = opt.update(scale * gt, state)
            steps[t] = update[:, 0]
        ratio = (steps[:, 1] / s) / steps[:, 0]
    ratio[steps[:, 0] == 0] = np.nan
    return ratio


def probe_rows(base: Runs, s: float) -> list[ProbeRow]:
    """The probe for every optimizer of ``base`` (unstretched runs), and for ADADELTA also
    with ε × s² and ε / s²."""
    out = []
    for key, tr in base.items():
        if _diverged(tr):
            continue
        out.append(ProbeRow(_name(key), key, "", units_probe(tr, s)))
        if key == "adadelta":
            out.append(ProbeRow(_name(key), key, "ε × s²", units_probe(tr, s, s * s)))
            out.append(ProbeRow(_name(key), key, "ε / s²", units_probe(tr, s, 1 / (s * s))))
    return out


def _ratio_text(v: float) -> str:
    return "—" if not math.isfinite(v) else fmt(v, 3)


def _stretch(scene: Scene) -> float:
    s = float(scene.transform.stretch)
    return s if s != 1.0 else DEFAULT_STRETCH


@_needs_a_run
def _explain_units(scene: Scene, runs: Runs) -> str:
    s = _stretch(scene)
    k = scene.transform.scale_exp
    unstretched = scene.replace(transform=Transform(k, 1.0))
    base = unstretched.runs()
    rows = probe_rows(base, s)
    steps = next(iter(base.values())).steps
    shown = [t for t in PROBE_STEPS if t < steps] + [steps]
    parts = [
        "**The paper's argument (§3.2).** If f has no units, SGD's step −η·g has the units "
        "of 1/x, and Newton's −H⁻¹g the units of x, as a step should. ADADELTA's "
        "−RMS[Δx]/RMS[g]·g has the units of x *if* RMS[Δx] has them.",
        f"**The probe.** Measure x in units {fmt(s)} times smaller (x′ = {fmt(s)}·x, so every "
        f"x-gradient is {fmt(s)} times smaller). Each optimizer gets the x-gradients of its "
        "own run here twice, as they are and in the new units, and each x-step of the second, "
        "measured back in x, is divided by the first's. **A step with the units of x gives "
        f"1**; SGD's gives 1/s² = {fmt(1 / s**2)}, a step divided by RMS[g] 1/s = "
        f"{fmt(1 / s)}.",
    ]
    head = "| optimizer | " + " | ".join(f"step {t}" for t in shown) + " |"
    table = [head, "|---|" + "---:|" * len(shown)]
    for row in rows:
        label = row.label + (f", {row.eps_note}" if row.eps_note else "")
        cells = " | ".join(_ratio_text(float(row.ratio[t - 1])) for t in shown)
        table.append(f"| {label} | {cells} |")
    parts.append("\n".join(table))

    by = {(r.key, r.eps_note): r.ratio for r in rows}
    same = by.get(("adadelta", ""))
    paired = by.get(("adadelta", "ε × s²"))
    if same is not None and paired is not None:
        early = float(paired[min(shown[-2] if len(shown) > 1 else 1, steps) - 1])
        last = float(paired[-1])
        parts.append(
            f"With the same ε, ADADELTA's ratio is {_ratio_text(float(same[0]))} at the first "
            f"step and {_ratio_text(float(same[-1]))} at the last: like ADAGRAD's, not 1. "
            "Its RMS[Δx] starts at √ε — a bare number, with no units — and afterwards only "
            "grows or shrinks by unit-free factors, so it never learns the units of x. The "
            "units come from ε: give ε the units of x² (ε × s²) and the ratio is "
            f"{_ratio_text(float(paired[0]))} at the first step, {_ratio_text(early)} at step "
            f"{min(shown[-2] if len(shown) > 1 else 1, steps)}, but {_ratio_text(last)} at the "
            "last — because the same ε also sits under RMS[g] = √(E[g²] + ε), and there "
            "ε × s² is far too large: in the new units E[g²] shrank by s² while ε grew by "
            "s². Once E[g²] is no longer large against it, the denominator is wrong. "
            "Giving ε the units of g² (ε / s²) fixes the denominator and breaks the "
            "numerator."
        )
        back = 1.0 / s
        reverse = units_probe(base["adadelta"], back, back * back)
        worst = float(np.nanmax(np.abs(reverse - 1.0)))
        parts.append(
            f"The other way round — x in units {fmt(s)} times *larger* (s = {fmt(back)}), "
            f"gradients {fmt(s)} times larger — ε × s² keeps the ratio within "
            f"{pct(worst)} of 1 for all {steps} steps: larger gradients drown ε in RMS[g]. "
            "So **no single ε is invariant to every change of units**: §3.2's argument holds "
            "when ε is scaled with x² and the gradients stay large against it."
        )

    width = _width(scene.plot_objective())
    items = []
    for key, tr in runs.items():
        other = base.get(key)
        if other is None:
            continue
        dev = end_distance(tr, other)
        items.append(
            f"{_bold(key)} {fmt(dev)} ({pct(dev / width)})"
            if math.isfinite(dev)
            else f"{_bold(key)} diverged"
        )
    if scene.transform.stretch != 1.0 and items:
        parts.append(
            f"**The paths.** On the contour x is stretched by {fmt(scene.transform.stretch)}; "
            "back in the original coordinates each path ends this far from where the "
            f"unstretched one ends: {'; '.join(items)} (as a share of the plot's width "
            f"{fmt(width)}; the same distances as the box under this text). No optimizer here "
            "is invariant to stretching one axis."
        )
    else:
        parts.append(
            f"(The scene has no stretch; the probe used s = {fmt(s)}. Set the stretch under "
            "*Robustness demos* to see the paths move.)"
        )
    parts.append(
        "A factor on f is a different matter: ADAGRAD, RMSprop and Adam divide it away "
        "(exactly but for their tiny ε), ADADELTA nearly (its ε sits under both roots), "
        "while SGD's steps grow with it. That is not §3.2's claim."
    )
    return "\n\n".join(parts)


def _unstretched(tr: Trajectory) -> Trajectory:
    """``tr`` rerun with x in its original units (itself when it was not stretched)."""
    s = stretch_of(tr)
    if s == 1.0:
        return tr
    return _rerun(tr, objective=tr.objective.stretched(1.0 / s), start=plot_positions(tr)[0])


def _units_rule(_scene: Scene, _runs: Runs) -> str:
    return (
        "**Fair comparison.** The probe compares each optimizer with itself in other units, "
        "so no learning rate can favour anyone: SGD's ratio is 1/s² and ADAGRAD's 1/s at "
        "any η (both are homogeneous in g), and ADADELTA has none."
    )


def _check_units(runs: Runs) -> bool:
    """The probe at s = 10 and s = 1/10 on the lesson's unstretched runs: SGD's ratio is
    1/s² and ADAGRAD's 1/s at every step (within 1 %); ADADELTA's with the same ε is 1/s
    at the first step and within a factor of 2 of it at the last; with ε × s² it is within
    1 % of 1 at the first step, and then below 0.9 at the last for s = 10 but within 1 %
    of 1 at every step for s = 1/10."""
    ad, sgd, ag = (_unstretched(runs[k]) for k in ("adadelta", "sgd", "adagrad"))
    ok = True
    for s in (DEFAULT_STRETCH, 1 / DEFAULT_STRETCH):
        r_sgd, r_ag = units_probe(sgd, s), units_probe(ag, s)
        r_same, r_paired = units_probe(ad, s), units_probe(ad, s, s * s)
        ok &= bool(np.nanmax(np.abs(r_sgd * s * s - 1)) < 0.01)
        ok &= bool(np.nanmax(np.abs(r_ag * s - 1)) < 0.01)
        ok &= bool(abs(r_same[0] * s - 1) < 0.01 and 0.5 < r_same[-1] * s < 2)
        ok &= bool(abs(r_paired[0] - 1) < 0.01)
        if s > 1:  # smaller gradients: ε × s² takes over RMS[g] by the end
            ok &= bool(r_paired[-1] < 0.9)
        else:  # larger gradients drown it: the units hold for the whole run
            ok &= bool(np.nanmax(np.abs(r_paired - 1)) < 0.01)
    return ok


LESSON = register(
    _lesson(
        "units",
        "Units: what the paper claims, and what ε does to it",
        "ADADELTA's step has the units of x (§3.2). Measured: only when ε is given the units "
        "of x² — and the same ε sits under RMS[g], so no single ε keeps them right for every "
        "change of units.",
        Scene(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=500,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
            transform=Transform(stretch=DEFAULT_STRETCH),
        ),
        "The probe's table in the text (a ratio of one would be correct units), then the "
        "contour: every "
        "path moves when x is measured in other units, ADADELTA's too. Move the stretch "
        "slider under Robustness demos.",
        _explain_units,
        _check_units,
        baselines=_units_rule,
        follow_ups=(
            FollowUp(
                "Measure x the other way round (s ↦ 1/s)",
                lambda scene: scene.replace(
                    transform=Transform(scene.transform.scale_exp, 1.0 / _stretch(scene))
                ),
                lambda scene: _stretch(scene) in (DEFAULT_STRETCH, 1 / DEFAULT_STRETCH),
            ),
            FollowUp(
                "Compare with the untransformed runs (x in its own units, drawn beside)",
                lambda scene: scene.with_untransformed(),
                lambda scene: _stretch(scene) != 1.0 and not scene.untransformed,
            ),
        ),
    )
)
