"""Lesson 10, saddle points: escape steps on x² − y² from y = 0.001 (RMSprop is the fastest
here)."""

from __future__ import annotations

import numpy as np

from ..runner import Trajectory
from .base import Runs, Scene, _lesson, hyperparams, register
from .fair import tuned_paragraph
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
        parts.append(f"Fastest: {_name(fastest)} (step {done[fastest]}).")
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
            first = "ADADELTA first" if ad < sgd else ("together" if ad == sgd else "SGD first")
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
        baselines=tuned_paragraph,
        beyond_paper=True,
    )
)
