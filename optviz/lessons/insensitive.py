"""Lesson 4, insensitive to ρ and ε: on Rosenbrock, ADADELTA over a 5×5 (ρ, ε) grid against
SGD over 25 rates, the share within 10× of the best (``sweeps.insensitivity_share``)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..objectives import Objective
from ..runner import Trajectory
from .base import Array, Runs, Scene, _lesson, hyperparams, register
from .runs import _any_run, _conditions, _nanmedian
from .text import _bold, _needs_a_run, fmt, pct

#: The (ρ, ε) grid of the insensitivity lesson.
ADADELTA_GRID = {"rho": (0.8, 0.9, 0.95, 0.99, 0.999), "eps": (1e-8, 1e-7, 1e-6, 1e-5, 1e-4)}
#: SGD's grid: this many learning rates, log-spaced over the objective's suggested rate
#: × 10^−2 … × 10^2 (as many decades as the ε axis spans).
SGD_GRID_SIZE = 25


@functools.lru_cache(maxsize=16)
def _sweeps(
    obj: Objective, start: tuple[float, float], steps: int, noise: float, seed: int
) -> dict[str, Any]:
    from .. import sweeps

    centre = obj.suggested_lr[0]
    grid_sgd = {"lr": centre * np.logspace(-2, 2, SGD_GRID_SIZE)}
    ad = sweeps.sweep(obj, "adadelta", ADADELTA_GRID, start, steps, seed=seed, noise=noise)
    sgd = sweeps.sweep(obj, "sgd", grid_sgd, start, steps, seed=seed, noise=noise)
    share = sweeps.insensitivity_share({"adadelta": ad, "sgd": sgd}, 10.0)
    return {"adadelta": ad, "sgd": sgd, "share": share}


def insensitivity(reference: Trajectory) -> dict[str, Any]:
    """The lesson's sweeps on ``reference``'s objective, start, steps, noise and seed:
    ``{"adadelta": SweepResult over ρ × ε, "sgd": SweepResult over η, "share": {key:
    share of configurations within 10× of the best final f − f_min}}``
    (``optviz.sweeps.insensitivity_share``)."""
    return _sweeps(reference.objective, *_conditions(reference))


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


@_needs_a_run
def _explain_insensitive(_scene: Scene, runs: Runs) -> str:
    ref = runs.get("adadelta") or _any_run(runs)
    s = insensitivity(ref)
    ad, sgd, share = s["adadelta"], s["sgd"], s["share"]
    f_min = ad.f_min if ad.f_min is not None else 0.0
    gaps = np.asarray(ad.final_value) - f_min
    rates = sgd.grid["lr"]
    rho, eps = ADADELTA_GRID["rho"], ADADELTA_GRID["eps"]
    n_ad, n_sgd = ad.size, sgd.size
    text = (
        f"Every setting was run for {ref.steps} steps from the same start: "
        f"{_bold('adadelta')} on a {len(rho)} × {len(eps)} grid, ρ from {fmt(rho[0])} to "
        f"{fmt(rho[-1])} and ε from {fmt(eps[0])} to {fmt(eps[-1])}; **SGD** at "
        f"{n_sgd} learning rates from {fmt(rates[0])} to {fmt(rates[-1])}. "
        + ("(This function has no minimum: f itself is compared.) " if ad.f_min is None else "")
        + "Within 10× of the best final f − f_min that any of them reached: "
        f"{pct(share['adadelta'])} of ADADELTA's settings, {pct(share['sgd'])} of SGD's. "
        f"{int(ad.diverged.sum())} of ADADELTA's {n_ad} settings diverged, "
        f"{int(sgd.diverged.sum())} of SGD's {n_sgd}."
    )
    rho_spread, eps_spread = _spread(gaps, 0), _spread(gaps, 1)
    if math.isfinite(rho_spread) and math.isfinite(eps_spread):
        text += (
            f" Not all of ADADELTA's knobs are equal: changing ρ alone changes its final "
            f"f − f_min by a factor of {fmt(rho_spread, 2)} (median over ε), changing ε alone "
            f"by {fmt(eps_spread, 2)} (median over ρ)"
            + (
                " — ε, which sets the size of the first steps, matters more than ρ."
                if eps_spread > rho_spread
                else " — here ρ matters more than ε."
            )
        )
    return text


def _check_insensitive(runs: Runs) -> bool:
    """A larger share of ADADELTA's (ρ, ε) grid than of SGD's learning rates ends within
    10× of the best final f − f_min; no ADADELTA setting diverged, some SGD rate did."""
    s = insensitivity(runs["adadelta"])
    return bool(
        s["share"]["adadelta"] > s["share"]["sgd"]
        and not s["adadelta"].diverged.any()
        and s["sgd"].diverged.any()
    )


LESSON = register(
    _lesson(
        "insensitive",
        "Insensitive to ρ and ε",
        "ADADELTA's results change little across its hyperparameters ρ and ε, unlike SGD's "
        "across learning rates.",
        Scene(
            objective="rosenbrock",
            start=(-1.5, 2.0),
            steps=1000,
            optimizers=("sgd", "adadelta"),
            hyperparams=hyperparams(sgd={"lr": 1e-3}, adadelta={}),
        ),
        "The sensitivity view: how much of ADADELTA's ρ–ε grid ends close to the best result, "
        "against SGD's row of learning rates, and where SGD's row turns into divergence.",
        _explain_insensitive,
        _check_insensitive,
        view="sensitivity",
        fan="adadelta.rho",
    )
)
