"""The step inspector: one step of a run, its rule in LaTeX and the same rule with numbers.

One source of truth: the equations are the optimizer spec's own
(:class:`~optviz.optimizers.Equation`, with «placeholders» for the numbers), the numbers
come from the :class:`~optviz.runner.Trajectory`; the
intermediate quantities (the square roots: RMS[g], RMS[Δx], √G, …) come from running the
optimizer's own ``rule`` again, float by float, on the stored gradient and state, with a
square root that records what it computes. :func:`step_details` checks that this replay
reproduces the stored update and state bit for bit (``reproduces``), so what the inspector
shows *is* what the engine did.

Step ``t`` (1 ≤ t ≤ T) is the move from :math:`x_{t-1}` to :math:`x_t`: gradient
``grads[t-1]``, state ``states[t-1]`` before and ``states[t]`` after, update
``updates[t-1]``, effective rate ``effective_lr[t-1]``.
"""

from __future__ import annotations

import contextlib
import math
import re
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from .numbers import latex_number
from .optimizers import REGISTRY
from .runner import Trajectory

Array = np.ndarray

__all__ = ["StepDetail", "latex_number", "rate_parts", "step_details", "step_values"]


@dataclass(frozen=True)
class StepDetail:
    """Everything the inspector shows for one optimizer at one step."""

    key: str
    t: int
    rule_latex: str
    #: (LaTeX symbol, meaning, x value, y value) for each quantity of the step
    rows: tuple[tuple[str, str, float, float], ...]
    #: per dimension ("x", "y"): the rule's equations with the numbers filled in
    equations: dict[str, tuple[str, ...]]
    #: the replay of the engine's rule gave the stored update and state bit for bit
    reproduces: bool
    diverged: bool


def _fill(template: str, values: dict[str, float]) -> str:
    return re.sub("«([a-z0-9_]+)»", lambda m: latex_number(values[m.group(1)]), template)


def step_values(traj: Trajectory, t: int, d: int) -> tuple[dict[str, float], bool]:
    """Every named value of step ``t`` in dimension ``d`` (0: x, 1: y), as the inspector's
    «placeholders» read them: ``g``, ``update``, ``eff``, ``x_prev``, ``x_new``, each state
    field before (``<name>_prev``) and after, every hyperparameter, the square roots the
    optimizer's own ``rule`` takes when replayed on the stored gradient and state
    (``sqrt0``, ``sqrt1`` … in order) and what the spec's ``inspector_values`` adds; and
    whether the replay gave the stored update, rate and state bit for bit (False where it
    could not run: a diverged step, or array hyperparameters)."""
    opt = traj.optimizer
    spec = REGISTRY[opt.key]
    g = float(traj.grads[t - 1, d])
    values: dict[str, float] = {
        "g": g,
        "update": float(traj.updates[t - 1, d]),
        "eff": float(traj.effective_lr[t - 1, d]),
        "x_prev": float(traj.positions[t - 1, d]),
        "x_new": float(traj.positions[t, d]),
    }
    before = [float(f[t - 1, d]) for f in traj.states]
    after = [float(f[t, d]) for f in traj.states]
    for name, b, a in zip(traj.states._fields, before, after):
        values[f"{name}_prev"] = b
        values[name] = a
    for name, v in opt.hyperparams.items():
        values[name] = float(np.ravel(v)[0])
    roots: list[float] = []

    def tracing_sqrt(v: float) -> float:
        r = math.sqrt(v)
        roots.append(r)
        return r

    reproduces = False
    # (a step that diverged in either dimension is not replayed in either)
    finite = bool(np.isfinite(traj.grads[t - 1]).all() and np.isfinite(traj.updates[t - 1]).all())
    if opt.scalar_hp is not None and finite:
        try:
            u, new_fields, e = opt.rule(g, tuple(before), opt.scalar_hp, tracing_sqrt)
        except (ValueError, ZeroDivisionError, OverflowError):
            pass
        else:
            reproduces = (
                u == values["update"]
                and e == values["eff"]
                and all(nf == a for nf, a in zip(new_fields, after))
            )
    for i, r in enumerate(roots):
        values[f"sqrt{i}"] = r
    if spec.inspector_values is not None:
        with contextlib.suppress(ZeroDivisionError, OverflowError):
            values.update(spec.inspector_values(values))
    return values, reproduces


def rate_parts(traj: Trajectory) -> tuple[Array, Array] | None:
    """The two parts of an adaptive method's rate (its spec's
    :class:`~optviz.optimizers.RateBars`) at every position of a single-start run:
    ``(numerator, denominator)``, each ``(T + 1, 2)``, row ``s`` holding those of the step
    taken *from* x_s (the inspector's step s + 1, the step the figure's arrows show at the
    cursor), the last row NaN; NaN where a step diverged. They are :func:`step_values`'
    numbers, so the bars and the inspector agree to the bit; ``None`` for an optimizer
    without rate bars.

    The rule is replayed on every step at once (:func:`_parts_at_once`) where that provably
    gives those numbers, else step by step (a few milliseconds per hundred steps)."""
    bars = REGISTRY[traj.optimizer.key].rate_bars
    if bars is None or traj.positions.ndim != 2:
        return None
    if traj in _RATE_PARTS:  # a run the core keeps is drawn again on every move
        return _RATE_PARTS[traj]
    parts = _parts_at_once(traj)
    if parts is None:
        n = traj.positions.shape[0]
        parts = np.full((n, 2), np.nan), np.full((n, 2), np.nan)
        for t in range(1, traj.steps + 1):
            if not _replayable(traj, t):
                continue
            for d in (0, 1):
                values, _ = step_values(traj, t, d)
                parts[0][t - 1, d] = values.get(bars.numerator, math.nan)
                parts[1][t - 1, d] = values.get(bars.denominator, math.nan)
    _RATE_PARTS[traj] = parts
    return parts


def _replayable(traj: Trajectory, t: int) -> bool:
    """Step ``t``'s gradient and update are finite (what :func:`step_values` replays)."""
    return bool(np.isfinite(traj.grads[t - 1]).all() and np.isfinite(traj.updates[t - 1]).all())


def _parts_at_once(traj: Trajectory) -> tuple[Array, Array] | None:
    """:func:`rate_parts` from one replay of the optimizer's ``rule`` on all steps at once
    (arrays ``(T, 2)``; ``np.sqrt`` as its sqrt, correctly rounded like ``math.sqrt``, and
    every other operation elementwise in the same order as on floats). Accepted only where
    it gives :func:`step_values`' numbers: the replay reproduces the stored updates, rates
    and state bit for bit on every replayable step, and a part that the spec's
    ``inspector_values`` computes (here on arrays, where NumPy's ``**`` may differ from
    Python's in the last bit) must give numerator ÷ denominator = the stored rate, bit for
    bit. None otherwise (the caller replays step by step)."""
    opt = traj.optimizer
    spec = REGISTRY[opt.key]
    bars = spec.rate_bars
    if opt.scalar_hp is None or traj.steps == 0:
        return None
    grads = np.asarray(traj.grads, dtype=np.float64)
    ok = np.isfinite(grads).all(axis=1) & np.isfinite(traj.updates).all(axis=1)
    before = tuple(np.asarray(f[:-1], dtype=np.float64) for f in traj.states)
    after = tuple(np.asarray(f[1:], dtype=np.float64) for f in traj.states)
    roots: list[Array] = []

    def tracing_sqrt(v: Array) -> Array:
        r = np.sqrt(v)
        roots.append(r)
        return r

    def same(mine: Any, stored: Array) -> bool:
        return bool(np.array_equal(np.broadcast_to(mine, stored.shape)[ok], stored[ok]))

    try:
        with np.errstate(all="ignore"):
            update, fields, rate = opt.rule(grads, before, opt.scalar_hp, tracing_sqrt)
            values: dict[str, Any] = {"g": grads, "update": traj.updates, "eff": rate}
            for name, b, a in zip(traj.states._fields, before, after):
                values[f"{name}_prev"], values[name] = b, a
            for name, v in opt.hyperparams.items():
                values[name] = float(np.ravel(v)[0])
            values.update({f"sqrt{i}": r for i, r in enumerate(roots)})
            derived: dict[str, Any] = {}
            if spec.inspector_values is not None:
                derived = spec.inspector_values(values)
                values.update(derived)
            num = np.broadcast_to(values[bars.numerator], grads.shape)
            den = np.broadcast_to(values[bars.denominator], grads.shape)
            ratio = num / den
    except Exception:  # a rule that does not take arrays: step by step
        return None
    reproduces = same(update, traj.updates) and same(rate, traj.effective_lr)
    reproduces = reproduces and all(same(f, a) for f, a in zip(fields, after))
    if not reproduces:
        return None
    if {bars.numerator, bars.denominator} & set(derived) and not same(ratio, traj.effective_lr):
        return None
    out = []
    for part in (num, den):
        full = np.full(traj.positions.shape, np.nan)
        full[:-1][ok] = part[ok]
        out.append(full)
    return out[0], out[1]


#: :func:`rate_parts` of the runs still alive (a trajectory is hashed by identity).
_RATE_PARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def step_details(traj: Trajectory, t: int) -> StepDetail:
    """Details of step ``t`` (1 … T) of a single-start trajectory (see the module doc)."""
    if traj.positions.ndim != 2:
        raise ValueError("the inspector works on single-start trajectories")
    steps = traj.steps
    if not 1 <= t <= steps:
        raise ValueError(f"step t = {t} must be between 1 and {steps}")
    opt = traj.optimizer
    spec = REGISTRY[opt.key]
    g = traj.grads[t - 1]
    update = traj.updates[t - 1]
    eff = traj.effective_lr[t - 1]
    before = [np.asarray(f[t - 1]) for f in traj.states]
    after = [np.asarray(f[t]) for f in traj.states]
    diverged = not (np.isfinite(g).all() and np.isfinite(update).all())

    rows: list[tuple[str, str, float, float]] = [
        (r"x_{t-1}", "position before the step", *traj.positions[t - 1].tolist()),
        (r"g_t", "gradient used (noise included)", *g.tolist()),
    ]
    symbols = {f.name: f for f in spec.state_fields}
    for name, b, a in zip(traj.states._fields, before, after):
        if name not in symbols:
            continue
        sym = symbols[name].symbol
        rows.append((rf"{sym}_{{t-1}}", f"{symbols[name].meaning}, before", *b.tolist()))
        rows.append((rf"{sym}_{{t}}", f"{symbols[name].meaning}, after", *a.tolist()))
    rows.append((spec.effective_lr_latex, "the optimizer's own rate factor", *eff.tolist()))
    rows.append((r"\Delta x_t", "update applied", *update.tolist()))
    realised = traj.step_factor[t - 1]
    rows.append(
        (r"-\Delta x_t / g_t", "realised rate (the rate panel's curve)", *realised.tolist())
    )
    rows.append((r"x_t", "position after the step", *traj.positions[t].tolist()))

    equations: dict[str, tuple[str, ...]] = {}
    reproduces = opt.scalar_hp is not None and not diverged
    for d, dim in enumerate("xy"):
        values, same = step_values(traj, t, d)
        reproduces = reproduces and same
        templates = spec.number_templates
        if spec.variant_equation is not None and spec.is_variant(opt.hyperparams):
            v = spec.variant_equation
            templates += (f"{v.latex} = {v.numbers}",)
        try:
            lines = tuple(_fill(tpl, values) for tpl in templates)
        except KeyError:  # a quantity could not be replayed (diverged step)
            lines = ()
        equations[dim] = lines
    return StepDetail(
        key=opt.key,
        t=t,
        rule_latex=spec.rule_latex,
        rows=tuple(rows),
        equations=equations,
        reproduces=reproduces,
        diverged=diverged,
    )
