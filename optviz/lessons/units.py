"""Lesson 6, units: with f × 100 ADADELTA's path is unchanged while SGD's diverges; a
stretched x is described honestly (no optimizer is invariant to it)."""

from __future__ import annotations

import math

import numpy as np

from ..objectives import Objective
from ..runner import Trajectory
from ..scene import Transform
from .base import Runs, Scene, _lesson, hyperparams, register
from .runs import _diverged, _rerun, original_positions
from .text import _bold, _name, _needs_a_run, fmt, pct


def path_deviation(a: Trajectory, b: Trajectory) -> float:
    """Largest distance between two paths step by step, in the original coordinates
    (:func:`original_positions`); ∞ if either diverged."""
    if _diverged(a, b):
        return math.inf
    pa, pb = original_positions(a), original_positions(b)
    n = min(len(pa), len(pb))
    return float(np.max(np.linalg.norm(pa[:n] - pb[:n], axis=-1)))


def _width(obj: Objective) -> float:
    (x0, x1), (y0, y1) = obj.bounds
    return max(x1 - x0, y1 - y0)


@_needs_a_run
def _explain_units(scene: Scene, runs: Runs) -> str:
    k = scene.transform.scale_exp
    other_k = 0 if k != 0 else 2
    base = scene.replace(transform=Transform(other_k, scene.transform.stretch)).runs()
    width = _width(scene.plot_objective())
    parts = [
        f"Here f is multiplied by 10^{k} = {fmt(10.0**k)}; each path is compared with the same "
        f"optimizer on f × 10^{other_k} (largest distance between the two paths, as a share "
        f"of the plot's width {fmt(width)}):"
    ]
    items = []
    for key, tr in runs.items():
        other = base.get(key)
        if other is None:
            continue
        if _diverged(tr, other):
            d = [
                f"at step {int(t.diverged_at)} with f × 10^{kk}"
                for t, kk in ((tr, k), (other, other_k))
                if _diverged(t)
            ]
            items.append(f"- {_bold(key)} diverged {' and '.join(d)}.")
        else:
            dev = path_deviation(tr, other)
            items.append(
                f"- {_bold(key)}: the paths differ by at most {fmt(dev)} ({pct(dev / width)})."
            )
    parts.append("\n".join(items))
    parts.append(
        "ADADELTA's step RMS[Δx]/RMS[g]·g does not change when f is multiplied by a constant "
        "(only ε, added to E[g²], notices the scale). ADAGRAD and RMSprop divide by a root "
        "mean square of gradients too, so they are just as unaffected here; their step is "
        "about η whatever the units of x, while ADADELTA's numerator RMS[Δx] carries the units "
        "of x. SGD's step is η·g: it grows and shrinks with f."
    )
    if scene.transform.stretch != 1.0:
        flat = scene.replace(transform=Transform(k)).runs()
        s = scene.transform.stretch
        items = []
        for key, tr in runs.items():
            if key in flat:
                dev = path_deviation(tr, flat[key])
                items.append(
                    f"{_name(key)} {fmt(dev)}" if math.isfinite(dev) else f"{_name(key)} diverged"
                )
        parts.append(
            f"x is also stretched by {fmt(s)}. Back in the original coordinates, the largest "
            f"distance from the unstretched paths: {'; '.join(items)}. No optimizer "
            "here is invariant to stretching one axis: ADADELTA's first steps are "
            "√(ε/(1−ρ)) in every coordinate, whatever units x has."
        )
    return "\n\n".join(parts)


def _check_units(runs: Runs) -> bool:
    """ADADELTA's path on f/100 stays within 1 % of the plot's width of its path on f;
    SGD's either diverges or moves by more than 10 %."""
    ad, sgd = runs["adadelta"], runs["sgd"]
    obj = ad.objective
    down = Transform(-2).objective(obj)
    (x0, x1), (y0, y1) = obj.bounds  # the plot's width: the run's x' measured back in x
    width = max((x1 - x0) / obj.stretch, y1 - y0)
    ad2 = _rerun(ad, objective=down, noise=ad.noise / 100)
    sgd2 = _rerun(sgd, objective=down, noise=sgd.noise / 100)
    ad_dev = path_deviation(ad, ad2)
    sgd_dev = path_deviation(sgd, sgd2)
    return bool(ad_dev < 0.01 * width and (not math.isfinite(sgd_dev) or sgd_dev > 0.1 * width))


LESSON = register(
    _lesson(
        "units",
        "Units: a factor on f changes nothing",
        "ADADELTA's update has the units of x (like Newton's method), so rescaling f leaves "
        "its steps unchanged, while SGD's steps scale with the gradient.",
        Scene(
            objective="himmelblau",
            start=(-0.5, -0.5),
            steps=500,
            optimizers=("sgd", "adagrad", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 0.01}, adagrad={"lr": 0.1}, adadelta={}),
            transform=Transform(scale_exp=2),
        ),
        "The contour with and without the factor on f: ADADELTA's path does not move, SGD's "
        "diverges with the factor and crawls without it. Try stretching x too.",
        _explain_units,
        _check_units,
    )
)
