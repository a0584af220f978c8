"""How the explanations write: numbers (:func:`fmt`, :func:`pct`, :func:`times`),
optimizer names, hyperparameters, and the sentences for a missing or a diverged
optimizer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .. import optimizers
from ..numbers import fmt, pct, times  # noqa: F401 (re-exported: the lessons write with these)
from ..runner import Trajectory
from .base import Runs, Scene
from .runs import _diverged, _scalar_hp


def _name(key: str) -> str:
    try:
        return optimizers.get(key).display_name
    except KeyError:
        return key


def _bold(key: str) -> str:
    return f"**{_name(key)}**"


def _point(p: Sequence[float]) -> str:
    return f"({fmt(p[0])}, {fmt(p[1])})"


def _hp_text(tr: Trajectory, names: Sequence[str] | None = None) -> str:
    spec = tr.optimizer.spec
    hp = _scalar_hp(tr)
    parts = []
    for p in spec.hyperparams:
        if names is not None and p.name not in names:
            continue
        if p.name not in hp:
            continue
        symbol = {
            "lr": "η",
            "rho": "ρ",
            "eps": "ε",
            "beta": "β",
            "beta1": "β₁",
            "beta2": "β₂",
            "initial_accumulator": "G₀",
        }.get(p.name, p.name)
        parts.append(f"{symbol} = {fmt(hp[p.name])}")
    return ", ".join(parts)


def _missing(key: str, why: str) -> str:
    return f"{_bold(key)} is not in this comparison: add it {why}."


def _missing_from(runs: Mapping[str, Any], keys: Sequence[str], why: str) -> str | None:
    """:func:`_missing` for the first of ``keys`` that ``runs`` lacks (None if none)."""
    absent = [key for key in keys if key not in runs]
    return _missing(absent[0], why) if absent else None


def _diverged_at(tr: Trajectory) -> str:
    return f"diverged at step {int(tr.diverged_at)}"


def _diverged_text(tr: Trajectory, key: str) -> str:
    return f"{_bold(key)} {_diverged_at(tr)} with these settings, so its numbers stop there."


def _usable(runs: Runs, key: str, why: str, parts: list[str]) -> Trajectory | None:
    """``runs[key]`` when it is there and did not diverge; otherwise None, and ``parts``
    gets the sentence that says which (why to add it, or where it diverged)."""
    tr = runs.get(key)
    if tr is None:
        parts.append(_missing(key, why))
    elif _diverged(tr):
        parts.append(_diverged_text(tr, key))
    else:
        return tr
    return None


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table: the header, the rule, one line per row (an empty cell is ``| |``),
    with no newline at either end."""

    def line(cells: Sequence[Any]) -> str:
        return "|" + "".join(f" {c} |" if c != "" else " |" for c in cells)

    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])


#: What a lesson that compares runs says when there are none.
NO_OPTIMIZER = "No optimizer is selected."


def _needs_a_run(fn: Callable[[Scene, Runs], str]) -> Callable[[Scene, Runs], str]:
    """An explanation that says :data:`NO_OPTIMIZER` when ``runs`` is empty."""

    @functools.wraps(fn)
    def explain(scene: Scene, runs: Runs) -> str:
        return fn(scene, runs) if runs else NO_OPTIMIZER

    return explain
