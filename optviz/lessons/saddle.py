"""Lesson 10, saddle points: escape steps on x² − y² from y = 0.001 (RMSprop is the fastest
here)."""

from __future__ import annotations

import numpy as np

from ..runner import Trajectory
from .base import Inspect, Runs, Scene, _lesson, hyperparams, register
from .fair import TUNING_RATES, has_own_rate, sweep_run
from .runs import _any_run, original_positions
from .text import _missing_from, _name, _needs_a_run, _table, fmt

ESCAPE = 1.0


def escape_step(tr: Trajectory, threshold: float = ESCAPE) -> int | None:
    """The first step at which |y| > ``threshold`` (None if it never does)."""
    y = np.abs(tr.positions[:, 1])
    hits = np.flatnonzero(np.isfinite(y) & (y > threshold))
    return int(hits[0]) if hits.size else None


@_needs_a_run
def _explain_saddle(_scene: Scene, runs: Runs) -> str:
    ref = _any_run(runs)
    y0 = float(ref.positions[0, 1])
    if not abs(y0) < ESCAPE:
        return (
            f"The path starts at y = {fmt(y0)}, already beyond |y| > {fmt(ESCAPE)}: there "
            "is nothing to escape from. Start close to y = 0 to watch who leaves it first."
        )
    rows = []
    escapes: dict[str, int | None] = {}
    for key, tr in runs.items():
        t = escape_step(tr)
        escapes[key] = t
        if t is None:
            rows.append((_name(key), f"did not escape in {tr.steps} steps", ""))
        else:
            rows.append((_name(key), t, fmt(original_positions(tr)[t, 0])))
    on_saddle = ref.objective.name == "saddle"
    parts = [
        f"The path starts at y = {fmt(y0)}"
        + (", next to the line that leads straight into the saddle" if on_saddle else "")
        + f". Escape step = the first step with |y| > {fmt(ESCAPE)}:\n\n"
        + _table(["optimizer", "escape step", "x at escape"], rows)
    ]
    done = {k: t for k, t in escapes.items() if t is not None}
    if done:
        fastest = min(done, key=done.__getitem__)
        line = f"Fastest: {_name(fastest)} (step {done[fastest]})."
        ad = done.get("adadelta")
        if ad is not None:
            ahead = [k for k, t in done.items() if k != "adadelta" and t < ad]
            tied = [k for k, t in done.items() if k != "adadelta" and t == ad]
            if ahead or tied:
                line += (
                    " ADADELTA is not first here: "
                    + ", ".join(
                        [f"{_name(k)} escapes earlier (step {done[k]})" for k in ahead]
                        + [f"{_name(k)} at the same step" for k in tied]
                    )
                    + "."
                )
            slow = [k for k in ("adagrad", "rmsprop", "adam") if k in done and done[k] > ad]
            if slow:
                line += (
                    " Per-dimension scaling alone does not make an escape fast: "
                    + ", ".join(f"{_name(k)}, also per-dimension, needs {done[k]}" for k in slow)
                    + " — the learning rate matters as much (the fair comparison below)."
                )
        parts.append(line)
    missing = _missing_from(runs, ("adadelta", "sgd"), "for the comparison")
    if missing:
        parts.append(missing)
    else:
        ad, sgd = escapes["adadelta"], escapes["sgd"]
        if ad is None:
            result = "Here ADADELTA did not escape" + (
                f", SGD did at step {sgd}." if sgd is not None else ", nor did SGD."
            )
        elif sgd is None:
            result = f"Here ADADELTA escapes at step {ad} and SGD not at all."
        else:
            first = (
                "ADADELTA before SGD"
                if ad < sgd
                else ("together" if ad == sgd else "SGD before ADADELTA")
            )
            result = f"Here ADADELTA escapes at step {ad}, SGD at step {sgd}: {first}."
        parts.append(
            "SGD's step in y is η·|∂f/∂y|"
            + (" = 2η|y|" if on_saddle else "")
            + ", tiny while that gradient is tiny, so it first slides towards the saddle and "
            "escapes only once y has grown geometrically; ADADELTA divides each coordinate by "
            "its own RMS[g], so a tiny y-gradient still gets a step comparable to x's. "
            + result
            + (
                " After escaping, the paths run off: this function has no minimum."
                if ref.objective.f_min is None
                else ""
            )
        )
    return "\n\n".join(parts)


def sweep_escapes(tr: Trajectory) -> list[tuple[float, int | None]]:
    """``tr``'s optimizer at every rate of the fair sweep (and its own): the escape step
    of each (None: it never escapes within the run)."""
    rates, batch = sweep_run(tr)
    y = np.abs(batch.positions[:, :, 1])
    out = []
    for i, lr in enumerate(rates):
        hits = np.flatnonzero(np.isfinite(y[:, i]) & (y[:, i] > ESCAPE))
        out.append((lr, int(hits[0]) if hits.size else None))
    return out


def _fair_escapes(_scene: Scene, runs: Runs) -> str:
    """The saddle's fair comparison: escape steps (the lesson's measure), not final f."""
    ad = escape_step(runs["adadelta"]) if "adadelta" in runs else None
    keys = [k for k in runs if has_own_rate(k)]
    if not keys:
        return ""
    words = [
        "**Fair comparison.** Every baseline at the "
        f"{len(TUNING_RATES)} rates from {fmt(TUNING_RATES[0])} to {fmt(TUNING_RATES[-1])} "
        "(half decades, and the slider's own) on this scene, measured as the lesson "
        "measures: the escape step."
        + (f" ADADELTA, with no rate to tune, escapes at step {ad}." if ad is not None else "")
    ]
    for key in keys:
        rows = sweep_escapes(runs[key])
        done = [(lr, t) for lr, t in rows if t is not None]
        if not done:
            words.append(f"{_name(key)} never escapes at any rate of the sweep.")
            continue
        fastest = min(done, key=lambda row: row[1])
        line = (
            f"{_name(key)} escapes from η = {fmt(done[0][0])} on, fastest at η = "
            f"{fmt(fastest[0])} (step {fastest[1]})"
        )
        if ad is not None:
            before = [lr for lr, t in done if t < ad]
            line += (
                f"; it escapes before ADADELTA with η ≥ {fmt(min(before))}"
                if before
                else "; it never escapes before ADADELTA"
            )
        words.append(line + ".")
    words.append(
        "So the verdict depends on the rates chosen: the sliders' equal η = "
        f"{fmt(float(runs[keys[0]].optimizer.hyperparams['lr']))} is not tuned for escaping."
        if len({float(runs[k].optimizer.hyperparams["lr"]) for k in keys}) == 1
        else "So the verdict depends on the rates chosen."
    )
    return " ".join(words)


def _escape(runs: Runs, key: str) -> tuple[str, int] | None:
    """(key, the step that takes ``key`` past |y| = 1), for the step inspector."""
    t = escape_step(runs[key]) if key in runs else None
    return None if not t else (key, t)


def _check_saddle(runs: Runs) -> bool:
    """ADADELTA reaches |y| > 1 and does so before SGD (or SGD never does)."""
    ad, sgd = escape_step(runs["adadelta"]), escape_step(runs["sgd"])
    return ad is not None and (sgd is None or ad < sgd)


LESSON = register(
    _lesson(
        "saddle",
        "Saddle points: who escapes",
        "Per-dimension step sizes help to leave a saddle point, where the gradient is tiny "
        "in the escape direction.",
        Scene(
            objective="saddle",
            start=(1.5, 1e-3),
            steps=150,
            optimizers=("sgd", "momentum", "adagrad", "rmsprop", "adadelta"),
            hyperparams=hyperparams(
                sgd={"lr": 0.05},
                momentum={"lr": 0.05},
                adagrad={"lr": 0.05},
                rmsprop={"lr": 0.05},
                adadelta={},
            ),
        ),
        "The contour: who leaves the x axis first; the step inspector at each optimizer's "
        "escape step named in the table.",
        _explain_saddle,
        _check_saddle,
        baselines=_fair_escapes,
        inspections=(
            Inspect("Inspect ADADELTA at its escape step", lambda runs: _escape(runs, "adadelta")),
            Inspect("Inspect SGD at its escape step", lambda runs: _escape(runs, "sgd")),
        ),
        beyond_paper=True,
    )
)
