"""Lesson 5, one step size per dimension: the axis-aligned valley against the same valley
turned by 45°."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from .. import objectives, optimizers
from ..objectives import Minimum, Objective, X, Y
from ..runner import Trajectory
from .base import FollowUp, Runs, Scene, _lesson, hyperparams, register
from .fair import tuned_paragraph
from .runs import _any_run, _diverged, _final_gap, _nanmedian, _rerun, run_positions
from .text import _bold, _missing, _needs_a_run, _point, fmt, times


def _rotate_expr(expr: sp.Expr) -> sp.Expr:
    """f(u, v) with u = (x + y)/√2, v = (y − x)/√2: the function turned by 45°."""
    r2 = sp.sqrt(2)
    return expr.subs({X: (X + Y) / r2, Y: (Y - X) / r2}, simultaneous=True)


@functools.lru_cache(maxsize=16)
def _rotated(obj: Objective) -> Objective:
    """``obj`` turned by 45° (the catalogue's rotated valley for the ill-conditioned one)."""
    if obj.name == "ill_conditioned" and (obj.scale, obj.stretch) == (1.0, 1.0):
        return objectives.get("rotated_ill_conditioned")
    (x0, x1), (y0, y1) = obj.bounds
    half = max(x1 - x0, y1 - y0) / 2 * math.sqrt(2)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ccx, ccy = rotate_point((cx, cy))
    rotated = objectives.from_sympy(
        _rotate_expr(obj.expr),
        name=f"{obj.name}|rotated",
        display_name=f"{obj.display_name} (turned by 45°)",
        bounds=((ccx - half, ccx + half), (ccy - half, ccy + half)),
        start=rotate_point(obj.start),
        minima=[Minimum(rotate_point(m.point), m.value, m.is_global) for m in obj.minima],
        refine=False,
        lesson=obj.lesson,
        noise=obj.noise,
        log_scale=obj.log_scale,
        suggested_lr=obj.suggested_lr,
    )
    # the same transform as the original (its runs' positions are read through it)
    return dataclasses.replace(rotated, scale=obj.scale, stretch=obj.stretch)


def rotate_point(p: Sequence[float]) -> tuple[float, float]:
    """The point of the 45°-turned function that corresponds to ``p`` = (u, v) of the
    original: x = (u − v)/√2, y = (u + v)/√2."""
    u, v = float(p[0]), float(p[1])
    r2 = math.sqrt(2.0)
    return ((u - v) / r2, (u + v) / r2)


def unrotate_point(p: Sequence[float]) -> tuple[float, float]:
    """The inverse of :func:`rotate_point`: u = (x + y)/√2, v = (y − x)/√2."""
    x, y = float(p[0]), float(p[1])
    r2 = math.sqrt(2.0)
    return ((x + y) / r2, (y - x) / r2)


#: the catalogue's valley and the same valley turned by 45°
VALLEYS = ("ill_conditioned", "rotated_ill_conditioned")


def turned_scene(scene: Scene) -> Scene:
    """``scene`` on the other valley of :data:`VALLEYS`, from the corresponding start (the
    lesson's follow-up; rounded to what the start boxes show)."""
    if scene.objective == VALLEYS[0]:
        x, y = rotate_point(scene.start)
        return scene.replace(objective=VALLEYS[1], start=(round(x, 6), round(y, 6)))
    x, y = unrotate_point(scene.start)
    return scene.replace(objective=VALLEYS[0], start=(round(x, 6), round(y, 6)))


def _factor(ratio: float) -> str:
    """ "145×", or "about 4 × 10⁵ times" for a large one (readable from the back row)."""
    if ratio < 1000:
        return times(ratio)
    exp = math.floor(math.log10(ratio))
    mantissa = round(ratio / 10**exp)
    if mantissa == 10:
        mantissa, exp = 1, exp + 1
    digits = str(exp).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return f"about {mantissa} × 10{digits} times"


def axis_ratio(tr: Trajectory) -> float:
    """Median over the run of (effective rate in x) / (effective rate in y)."""
    e = tr.effective_lr
    return _nanmedian(e[:, 0] / e[:, 1])


def _lopsided(r: float) -> float:
    """How unequal two rates are, whichever is larger: max(r, 1/r)."""
    return max(r, 1.0 / r) if math.isfinite(r) and r > 0 else math.nan


#: the steps a class walks through with the arrows (→ from the start)
FIRST_STEPS = 10


def step_angles(tr: Trajectory, n: int = FIRST_STEPS) -> tuple[float, float, float]:
    """Over the first ``n`` steps, medians of: the angle in degrees between the step Δx_t
    and −g_t (what the arrows at the cursor show), how many times larger one gradient
    component is than the other (max(|g_x|/|g_y|, |g_y|/|g_x|)), and the same for the
    step's components. NaN where there is no such step."""
    g, d = tr.grads[:n], tr.updates[:n]
    with np.errstate(all="ignore"):
        cos = np.sum(-g * d, axis=1) / (np.hypot(*g.T) * np.hypot(*d.T))
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        gr = np.abs(g[:, 0] / g[:, 1])
        dr = np.abs(d[:, 0] / d[:, 1])
    lop = lambda r: np.maximum(r, 1.0 / r)  # noqa: E731
    return _nanmedian(angle), _nanmedian(lop(gr)), _nanmedian(lop(dr))


def _angles_paragraph(tr: Trajectory) -> str:
    """ADADELTA's first steps against −g, here and turned (:func:`step_angles`)."""
    rt = rotated_run(tr)
    here, turned = step_angles(tr), step_angles(rt)
    if not all(math.isfinite(v) for v in (*here, *turned)):
        return ""
    (a, ga, da), (b, gb, db) = here, turned

    def x(r: float) -> str:
        return f"{r:.3g}×"

    head = (
        f"**The arrows, step by step (→ from the start):** over its first {FIRST_STEPS} "
        f"steps ADADELTA's step Δx points {a:.0f}° away from −g here and {b:.0f}° on the "
        f"turned valley (medians). "
    )
    tail = " (Press 3 on the chart for the 3-D surface: the step stays.)"
    lopsided = (
        "one gradient component is {g} the other while the step's two components are "
        "within {d} of each other: the per-dimension rates shrink the steep coordinate's "
        "step and keep the flat one's, and that turns Δx off −g"
    )
    even = (
        "the gradient's two components are within {g} of each other, and so are the "
        "step's ({d}): equal-sized steps per coordinate point almost along −g"
    )
    if a >= b:
        return (
            head
            + "Here "
            + lopsided.format(g=x(ga), d=x(da))
            + ". Turned, "
            + even.format(g=x(gb), d=x(db))
            + "."
            + tail
        )
    return (
        head
        + "Here "
        + even.format(g=x(ga), d=x(da))
        + ". Turned, "
        + lopsided.format(g=x(gb), d=x(db))
        + "."
        + tail
    )


def rotated_run(tr: Trajectory) -> Trajectory:
    """``tr``'s optimizer on its objective turned by 45°, from the corresponding start."""
    return _rerun(tr, objective=_rotated(tr.objective), start=rotate_point(run_positions(tr)[0]))


def _against_turned(tr: Trajectory) -> tuple[float, float, float, float] | None:
    """``tr`` against :func:`rotated_run`: how lopsided its two rates are here and turned
    (:func:`_lopsided` of :func:`axis_ratio`), and its final f − f_min here and turned; None
    if either run diverged."""
    rt = rotated_run(tr)
    if _diverged(tr, rt):
        return None
    return _lopsided(axis_ratio(tr)), _lopsided(axis_ratio(rt)), _final_gap(tr), _final_gap(rt)


@_needs_a_run
def _explain_per_dimension(_scene: Scene, runs: Runs) -> str:
    ref = _any_run(runs)
    rot_obj = _rotated(ref.objective)
    rot_name = (
        "the catalogue's `rotated_ill_conditioned`"
        if rot_obj.name == "rotated_ill_conditioned"
        else "this function turned by 45°"
    )
    p = rotate_point(run_positions(ref)[0])
    parts = [
        f"Each adaptive method gives every coordinate its own step size. The numbers below "
        f"compare this run with the same optimizer on {rot_name}, started at the "
        f"corresponding point {_point(p)}: the rate in x over the rate in y (median over the "
        f"run), and the final f − f_min."
    ]
    items = []
    adaptive = [k for k in ("adadelta", "adagrad", "rmsprop", "adam") if k in runs]
    for key in [*adaptive, *[k for k in runs if k not in adaptive]]:
        tr = runs[key]
        rt = rotated_run(tr)
        if _diverged(tr, rt):
            which = "here" if _diverged(tr) else "on the turned function"
            items.append(f"- {_bold(key)} diverged {which}, so there is nothing to compare.")
            continue
        ra, rr = axis_ratio(tr), axis_ratio(rt)
        rates = (
            f"x/y rate {fmt(ra, 2)} here, {fmt(rr, 2)} turned; "
            if optimizers.get(key).lr_kind != optimizers.LR_GRADIENT
            else "one rate for both axes; "
        )
        items.append(
            f"- {_bold(key)}: {rates}f − f_min {fmt(_final_gap(tr))} here, "
            f"{fmt(_final_gap(rt))} turned."
        )
    parts.append("\n".join(items))
    ad = runs.get("adadelta")
    turned = _against_turned(ad) if ad is not None else None
    if turned is not None:
        la, lr_, ga, gr = turned
        if la > lr_:
            parts.append(
                f"On this function ADADELTA's two rates differ by {times(la)}, turned only by "
                f"{times(lr_)}: the axes here line up with the curvature, so a per-coordinate "
                f"rate can match each direction"
                + (
                    f", and it ends {times(gr / ga)} lower than on the turned one."
                    if ga > 0 and gr > ga
                    else "."
                )
                + " Turned, each coordinate mixes both curvatures and the advantage fades; SGD,"
                " with one rate, does not care about the rotation."
            )
        else:
            parts.append(
                f"Here ADADELTA's two rates differ by {times(la)}, on the turned function by "
                f"{times(lr_)}: this function's axes line up with its curvature less well "
                "than the turned one's."
            )
    elif ad is None:
        parts.append(_missing("adadelta", "to see its per-dimension rates"))
    if ad is not None and not _diverged(ad):
        parts.append(_angles_paragraph(ad))
    if "adagrad" in runs and not _diverged(runs["adagrad"]):
        parts.append(_adagrad_across_the_sweep(runs["adagrad"]))
    sgd = runs.get("sgd")
    if ad is not None and sgd is not None and not _diverged(ad, sgd):
        a_gap, s_gap = _final_gap(ad), _final_gap(sgd)
        if s_gap < a_gap:
            parts.append(
                f"**Against SGD, though:** with one rate for both axes SGD ends at "
                f"{fmt(s_gap)} here, {_factor(a_gap / s_gap) if s_gap > 0 else 'far'} below "
                f"ADADELTA's {fmt(a_gap)}. A per-coordinate rate helps ADADELTA against its "
                "own turned run; on a quadratic a single well-chosen rate does better still "
                "(see the fair comparison below)."
            )
        else:
            parts.append(
                f"SGD, with one rate for both axes, ends at {fmt(s_gap)}, above ADADELTA's "
                f"{fmt(a_gap)}."
            )
    return "\n\n".join(parts)


def adagrad_sweep(ag: Trajectory) -> list[tuple[float, tuple[float, float, float, float] | None]]:
    """ADAGRAD at every rate of the fair sweep against its turned run
    (:func:`_against_turned`)."""
    from .fair import TUNING_RATES

    rates = sorted({*TUNING_RATES, float(ag.optimizer.hyperparams["lr"])})
    return [(lr, _against_turned(_rerun(ag, lr=lr))) for lr in rates]


def _adagrad_across_the_sweep(ag: Trajectory) -> str:
    rows = [(lr, t) for lr, t in adagrad_sweep(ag) if t is not None]
    if not rows:
        return ""
    ratios = [t[0] for _, t in rows]
    worse = [lr for lr, t in rows if t[3] > 10 * t[2]]
    text = (
        f"Across the fair sweep of ADAGRAD's rates its x and y rates differ by "
        f"{times(min(ratios))}–{times(max(ratios))} on this valley at every rate"
    )
    if worse and len(worse) < len(rows):
        text += (
            f", but the turned valley ends over 10× higher only with η ≥ {fmt(min(worse))}: "
            "with a smaller η neither run gets far enough for the rotation to matter."
        )
    elif worse:
        text += ", and the turned valley ends over 10× higher at every one."
    else:
        text += "; the turned valley never ends 10× higher."
    return text


def _check_per_dimension(runs: Runs) -> bool:
    """For ADADELTA (and ADAGRAD, if present): the median x/y rate ratio is above 5
    (either way round) and over 3× as lopsided as on the 45°-turned function, and the
    turned run ends over 10× higher."""
    ok = True
    for key in ("adadelta", "adagrad"):
        if key not in runs:
            continue
        turned = _against_turned(runs[key])
        if turned is None:
            return False
        la, lr_, ga, gr = turned
        ok &= la > 5 and la > 3 * lr_ and 10 * ga < gr
    return bool(ok and "adadelta" in runs)


LESSON = register(
    _lesson(
        "per_dimension",
        "One step size per dimension",
        "ADADELTA (like ADAGRAD) adapts a separate learning rate for every dimension, which "
        "helps when the curvature differs along the axes.",
        Scene(
            objective="ill_conditioned",
            start=(-3.5, 1.5),
            steps=1000,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
        ),
        "The two rate panels: on this valley ADADELTA's and ADAGRAD's x and y curves sit far "
        "apart for the first part of the run (SGD has no y-rate: its first step lands on the "
        "valley's floor, where the gradient in y vanishes). Then turn the valley with the "
        "button and watch them close up, and the end of the run get worse. Step from the "
        "start with →: ADADELTA's and ADAGRAD's solid steps leave the dotted gradient's "
        "direction. The bars under the rate panels say why: rate = solid ÷ pale, per "
        "dimension; the numerators are equal in x and y (ADADELTA's RMS[Δx] starts at √ε "
        "in both, ADAGRAD's is η), while each denominator follows its own coordinate's "
        "gradients, so the steeper coordinate gets the smaller rate.",
        _explain_per_dimension,
        _check_per_dimension,
        baselines=tuned_paragraph,
        arrows=True,
        follow_ups=(
            FollowUp(
                "Turn the valley by 45°, from the corresponding start",
                turned_scene,
                lambda scene: scene.objective in VALLEYS and scene.transform.stretch == 1.0,
            ),
        ),
    )
)
