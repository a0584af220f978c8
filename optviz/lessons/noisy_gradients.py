"""Lesson 8, noisy gradients: on the noisy quadratic ADADELTA settles below SGD (five
seeds)."""

from __future__ import annotations

import math

import numpy as np

from ..runner import Trajectory
from .base import Runs, Scene, _lesson, hyperparams, register
from .fair import tail_mean, tail_mean_paragraph
from .runs import _any_run, _diverged, _nanmedian, _rerun
from .text import _bold, _diverged_at, _hp_text, _missing_from, _needs_a_run, fmt


def tail_mean_gap(tr: Trajectory, fraction: float = 0.2) -> float:
    """Mean f − f_min over the last ``fraction`` of the run (:func:`fair.tail_mean`, the
    measure its fair comparison uses too; NaN if it diverged)."""
    return float(tail_mean(tr.loss_gap, fraction)) if not _diverged(tr) else math.nan


def tail_step(tr: Trajectory, fraction: float = 0.2) -> float:
    """Root mean square step length over the last ``fraction`` of the run."""
    n = max(1, round(fraction * tr.steps))
    u = np.linalg.norm(tr.updates[-n:], axis=-1)
    return float(np.sqrt(np.mean(u * u))) if not _diverged(tr) else math.nan


SEEDS = 5


@_needs_a_run
def _explain_noisy(_scene: Scene, runs: Runs) -> str:
    ref = _any_run(runs)
    if ref.noise == 0:
        return (
            "There is no gradient noise in these settings (σ = 0): set σ above 0 to see who "
            "settles and who keeps jittering."
        )
    items = []
    for key, tr in runs.items():
        if _diverged(tr):
            items.append(f"- {_bold(key)} {_diverged_at(tr)}.")
            continue
        items.append(
            f"- {_bold(key)} ({_hp_text(tr, ['lr', 'rho', 'eps'])}): mean f − f_min "
            f"{fmt(tail_mean_gap(tr))}, RMS step {fmt(tail_step(tr))}."
        )
    parts = [
        f"Every gradient carries Gaussian noise of σ = {fmt(ref.noise)}. Over the last "
        f"20 % of the {ref.steps} steps:",
        "\n".join(items),
    ]
    missing = _missing_from(runs, ("adadelta", "sgd"), "for the comparison")
    if missing:
        parts.append(missing)
        return "\n\n".join(parts)
    ad, sgd = runs["adadelta"], runs["sgd"]
    seeds = [ref.seed + i for i in range(SEEDS)]
    wins = 0
    for s in seeds:
        a, b = _rerun(ad, seed=s), _rerun(sgd, seed=s)
        wins += tail_mean_gap(a) < tail_mean_gap(b)
    a_gap, s_gap = tail_mean_gap(ad), tail_mean_gap(sgd)
    eps = float(ad.optimizer.hyperparams["eps"])
    rms_g = np.sqrt(ad.states.sq_grad_avg[-1] + eps)
    rms_dx = np.sqrt(ad.states.sq_step_avg[-1] + eps)
    n = max(1, round(0.2 * ad.steps))
    early = np.array([_nanmedian(ad.step_factor[:n, d]) for d in range(2)])
    late = np.array([_nanmedian(ad.step_factor[-n:, d]) for d in range(2)])
    steps_xy = np.sqrt(np.mean(ad.updates[-n:] ** 2, axis=0))
    lower = math.isfinite(a_gap) and math.isfinite(s_gap) and a_gap < s_gap
    parts.append(
        (
            "ADADELTA settles lower than SGD here: "
            if lower
            else "ADADELTA does not settle lower than SGD here: "
        )
        + f"SGD's step is η·g, so once g is mostly noise it jitters with steps of about "
        f"η·σ (its RMS step over the last 20 %: {fmt(tail_step(sgd))}). ADADELTA divides by "
        f"RMS[g], which falls towards the noise level σ = {fmt(ad.noise)} "
        f"({fmt(rms_g[0])} in x and {fmt(rms_g[1])} in y at the last step), and multiplies "
        f"by RMS[Δx], its own recent step size ({fmt(rms_dx[0])}, {fmt(rms_dx[1])}): its "
        f"rate −Δx/g **{'rises' if late[0] > early[0] else 'falls'}** — median "
        f"{fmt(early[0])} in x over the first 20 % of the run, {fmt(late[0])} over the "
        "last — while its steps per coordinate stay about RMS[Δx] (the RMS of its x- and "
        f"y-steps over the last 20 %: {fmt(steps_xy[0])}, {fmt(steps_xy[1])}). It jitters "
        "at a level set by its own step history, not by "
        f"a learning rate. With seeds {seeds[0]}–{seeds[-1]} ADADELTA's mean was lower than "
        f"SGD's (η = {fmt(float(sgd.optimizer.hyperparams['lr']))}) in {wins} of "
        f"{len(seeds)}; whether a tuned SGD does better is in the fair comparison below."
    )
    return "\n\n".join(parts)


def _check_noisy(runs: Runs) -> bool:
    """With noise, ADADELTA's mean f − f_min over the last 20 % of the run is below
    SGD's."""
    ad, sgd = runs["adadelta"], runs["sgd"]
    if ad.noise == 0:
        return False
    return bool(tail_mean_gap(ad) < tail_mean_gap(sgd))


LESSON = register(
    _lesson(
        "noisy_gradients",
        "Noisy gradients",
        "ADADELTA is robust to noisy gradient information.",
        Scene(
            objective="noisy_quadratic",
            start=(-2.5, 2.0),
            steps=2000,
            optimizers=("sgd", "adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 0.05}, adagrad={"lr": 0.05}, rmsprop={"lr": 0.05}, adadelta={}
            ),
            noise=1.0,
            seed=0,
        ),
        "The f − f_min panel over the last part of the run: SGD and RMSprop jitter at a level "
        "set by their learning rate, ADADELTA at one set by its own steps; the rate panels: "
        "ADADELTA's rate rises as RMS[g] falls to the noise level.",
        _explain_noisy,
        _check_noisy,
        baselines=tail_mean_paragraph,
    )
)
