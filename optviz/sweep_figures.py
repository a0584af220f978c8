"""Pure Plotly builders for the Sensitivity view: sweeps in, ``SpecFigure`` out.

No Streamlit and no optimizing here: :mod:`optviz.sweeps` computes the grids, this module
draws them. Four figures:

* :func:`heatmap_figure` — one panel per optimizer over its default grid
  (:func:`optviz.sweeps.default_grid`): ADADELTA over ρ × ε, momentum over η × β, ADAGRAD
  over η × ε, …; a 1-D grid (SGD over η) is a one-row strip. Every panel shows the *same*
  metric on *one shared colour scale* (one ``coloraxis``; every metric heatmap also carries
  the same ``zmin``/``zmax``). Diverged cells are NaN in the metric heatmap (so they never
  stretch the colour scale) and are painted by a separate overlay in a colour that is not
  on the scale, with a legend entry "diverged"; for "steps to tolerance", cells that
  never reached the tolerance (without diverging) get a second, grey overlay. The paper's
  default (ρ = 0.95, ε = 10⁻⁶) is a star on the ADADELTA panel, the sliders' current
  values an open ring on every panel. Invisible points at the cell centres make cells
  hoverable and selectable (heatmaps emit no selection events); each carries the cell's
  hyperparameter values in ``customdata`` and the optimizer in its ``legendgroup``
  (``"cells.<key>"``).
* :func:`score_figure` — how much of each optimizer's own grid solved the problem or
  diverged (:func:`optviz.sweeps.grid_score`), as stacked bars.
* :func:`noise_figure` — final loss against the gradient-noise scale σ, one line per
  optimizer (log y when the function has a minimum).
* :func:`basin_figure` — which listed minimum each start reaches
  (:func:`optviz.sweeps.basins`), one map per optimizer, coloured by minimum.

Axes. A log-scaled hyperparameter (η, ε) is drawn at ``log10(value)``; a decay rate in
[0, 1) (ρ, β, β₁) at ``−log10(1 − value)`` — the coordinate in which
:func:`~optviz.sweeps.default_grid` spaces it evenly — with tick labels in the rate itself
(0.5, 0.9, 0.99, 0.999, 0.9999). Axes are plain linear axes in these coordinates, with
fixed ranges; hover shows the hyperparameters' own values.

Metrics (:func:`metrics_for`): for a function with a known minimum, the final and the best
``f − f_min``, the steps until ``f − f_min < tol`` and the final distance to the nearest
minimum; for one without (the saddles), the final and the best ``f``. Gaps and distances
are coloured by ``log10(max(value, DISPLAY_FLOOR))`` with ``DISPLAY_FLOOR = CONVERGED_GAP``: a
run within 10⁻¹² of the minimum has converged for every purpose of this picture, and
letting exact zeros or round-off (a gap of 10⁻³⁰⁰, or a slightly negative one) set the
bottom of the scale would spend most of the colours on nothing. Steps are linear; ``f``
itself, which can be negative, is coloured on a signed log scale
``sign(f)·log10(1 + |f|)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import optimizers
from .figures import AXIS_STYLE, SpecFigure, Style, colour_of, finite_extent, typed
from .numbers import hover_value, power_of_ten, table_number
from .optimizers import HyperParam
from .sweeps import (
    CONVERGED_GAP,
    DIVERGED,
    ESCAPED,
    NO_MINIMUM,
    BasinMap,
    GridScore,
    SweepResult,
)

Array = np.ndarray

__all__ = [
    "BASIN_COLORS",
    "DISPLAY_FLOOR",
    "DIVERGED_COLOR",
    "ESCAPED_COLOR",
    "NEVER_COLOR",
    "PAPER_DEFAULT",
    "BasinPanel",
    "Metric",
    "NoiseSeries",
    "Panel",
    "axis_kind",
    "axis_ticks",
    "basin_class_colour",
    "basin_class_name",
    "basin_figure",
    "basin_shade",
    "colour_range",
    "colour_ticks",
    "display_values",
    "from_axis",
    "heatmap_figure",
    "metric_values",
    "metrics_for",
    "never_reached",
    "noise_figure",
    "score_figure",
    "to_axis",
]

#: Gaps and distances below this are drawn as this (see the module docstring).
DISPLAY_FLOOR = CONVERGED_GAP
#: Diverged cells: a red that is on no colour scale used here (Viridis has none).
DIVERGED_COLOR = "#D7191C"
#: Cells that never reached the tolerance (steps metric only), without diverging.
NEVER_COLOR = "#BDBDBD"
#: Zeiler's recommended setting, starred on the ADADELTA panel.
PAPER_DEFAULT = {"rho": 0.95, "eps": 1e-6}
#: pixels above the legend for plotly's mode bar (it is drawn at the figure's top right)
MODEBAR_ROOM = 40
#: The colour scale of every metric heatmap (low values dark, high values bright yellow).
COLORSCALE = "Viridis"

_DECAY_TICKS = (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One number per grid cell, and how to colour it.

    ``scale`` is ``"log"`` (``log10(max(v, DISPLAY_FLOOR))``), ``"linear"`` or
    ``"symlog"`` (``sign(v)·log10(1 + |v|)``).
    """

    key: str
    label: str  # the colour bar's title and the hover's name
    scale: str
    help: str


def metrics_for(has_minimum: bool, tol: float = 1e-6) -> dict[str, Metric]:
    """The metrics offered for a function with (or without) a known minimum, by key."""
    if has_minimum:
        return {
            "final": Metric(
                "final", "final f − f<sub>min</sub>", "log", "f − f_min at the last step"
            ),
            "best": Metric(
                "best", "best f − f<sub>min</sub>", "log", "the lowest f − f_min along the run"
            ),
            "steps": Metric(
                "steps",
                f"steps until f − f<sub>min</sub> < {tol:g}",
                "linear",
                f"the first step with f − f_min < {tol:g}",
            ),
            "distance": Metric(
                "distance",
                "distance to the nearest minimum",
                "log",
                "Euclidean distance from the last point to the nearest listed minimum",
            ),
        }
    return {
        "final": Metric("final", "final f", "symlog", "f at the last step"),
        "best": Metric("best", "best f", "symlog", "the lowest f along the run"),
    }


def metric_values(result: SweepResult, metric: str) -> Array:
    """The metric's raw numbers, in the grid's shape; NaN where the run diverged.

    ``"final"``/``"best"``: ``f − f_min`` (or ``f`` when the function has no minimum) at
    the last step / the lowest along the run; ``"steps"``: ``steps_to_tol`` as a float,
    NaN also where the tolerance was never reached; ``"distance"``: ``final_distance``.
    """
    diverged = np.asarray(result.diverged, dtype=bool)
    f_min = result.f_min
    if metric in ("final", "best"):
        values = result.final_value if metric == "final" else result.best_value
        values = np.asarray(values, dtype=float)
        if f_min is not None:
            values = values - f_min
    elif metric == "steps":
        if f_min is None:
            raise ValueError("steps to tolerance needs a function with a known minimum")
        steps = np.asarray(result.steps_to_tol)
        values = np.where(steps >= 0, steps.astype(float), np.nan)
    elif metric == "distance":
        if f_min is None:
            raise ValueError("the distance to the nearest minimum needs known minima")
        values = np.asarray(result.final_distance, dtype=float)
    else:
        raise ValueError(f"unknown metric {metric!r}; known: final, best, steps, distance")
    return np.where(diverged, np.nan, values)


def never_reached(result: SweepResult, metric: str) -> Array:
    """Cells that did not diverge but never reached the tolerance (the steps metric only)."""
    if metric != "steps":
        return np.zeros(result.shape, dtype=bool)
    return (np.asarray(result.steps_to_tol) < 0) & ~np.asarray(result.diverged, dtype=bool)


def display_values(values: Array, scale: str) -> Array:
    """What the heatmap colours: the metric through its scale (NaN stays NaN, no warnings)."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    safe = np.where(finite, values, 1.0)
    if scale == "log":
        out = np.log10(np.maximum(safe, DISPLAY_FLOOR))
    elif scale == "symlog":
        out = np.sign(safe) * np.log10(1.0 + np.abs(safe))
    elif scale == "linear":
        out = safe
    else:
        raise ValueError(f"unknown scale {scale!r}")
    return np.where(finite, out, np.nan)


#: the colour range ends at these percentiles of the cells' values when values lie far
#: beyond them (:func:`robust_colour_range`)
CLIP_PERCENTILES = (1.0, 99.0)
#: "far": beyond a percentile by more than this many times the percentiles' span (the
#: outliers would more than triple the range). A sweep's ordinary tails stay on the scale:
#: the default Rosenbrock sweep is not clipped; a run ending at 10⁴² among 10⁻⁸ … 1 is
CLIP_FACTOR = 2.0


def colour_range(arrays: Sequence[Array]) -> tuple[float, float]:
    """``(zmin, zmax)`` over every finite value of every array; NaN never takes part.

    A constant (or empty) set of values gets a unit-wide range around it.
    """
    extent = finite_extent(arrays)
    if extent is None:
        return (0.0, 1.0)
    lo, hi = extent
    if hi - lo < 1e-9:
        return (lo - 0.5, hi + 0.5)
    return (lo, hi)


@dataclass(frozen=True)
class ColourRange:
    """The colour scale's ends, and whether each was clipped (values lie beyond it)."""

    zmin: float
    zmax: float
    clipped_low: bool = False
    clipped_high: bool = False

    @property
    def clipped(self) -> bool:
        return self.clipped_low or self.clipped_high


def robust_colour_range(arrays: Sequence[Array]) -> ColourRange:
    """:func:`colour_range`, unless a few outliers would spend the scale on themselves (one
    run ending at 10⁴² turns every other cell one colour): an end lying more than
    :data:`CLIP_FACTOR` × the span of the 1st–99th percentiles beyond its percentile is
    clipped there. Cells beyond are drawn in the end colour and marked (the figure's
    "beyond" markers); their hover still says their value."""
    lo, hi = colour_range(arrays)
    values = np.concatenate([np.asarray(a, dtype=float).reshape(-1) for a in arrays] or [[]])
    values = values[np.isfinite(values)]
    if values.size < 10:
        return ColourRange(lo, hi)
    q_lo, q_hi = (float(q) for q in np.percentile(values, CLIP_PERCENTILES))
    span = max(q_hi - q_lo, 1e-9)
    low, high = q_lo - lo > CLIP_FACTOR * span, hi - q_hi > CLIP_FACTOR * span
    zmin, zmax = (q_lo if low else lo), (q_hi if high else hi)
    if zmax - zmin < 1e-9:
        zmin, zmax = zmin - 0.5, zmax + 0.5
    return ColourRange(zmin, zmax, low, high)


def _true_value(z: float, scale: str) -> float:
    """The metric's own value at colour coordinate ``z`` (the inverse of the scale)."""
    if scale == "log":
        return 10.0**z
    if scale == "symlog":
        return math.copysign(10.0 ** abs(z) - 1.0, z)
    return z


def _nice_ticks(scale: str, zmin: float, zmax: float) -> list[float]:
    """Colour coordinates of round values of the metric (1, 2, 5 × 10ᵏ, or finer) inside
    ``[zmin, zmax]``: at least two, else three evenly spaced ones."""
    to_z = {"log": math.log10, "symlog": lambda v: math.copysign(math.log10(1 + abs(v)), v)}
    if scale not in to_z:
        return []
    f = to_z[scale]
    top = max(abs(_true_value(zmin, scale)), abs(_true_value(zmax, scale)), 1e-300)
    bottom = 1e-300 if scale == "symlog" else _true_value(zmin, scale)
    exps = range(math.floor(math.log10(max(bottom, 1e-300))) - 1, math.ceil(math.log10(top)) + 1)
    for mantissas in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        values = {m * 10.0**e for e in exps for m in mantissas}
        if scale == "symlog":
            values |= {-v for v in values} | {0.0}
        ticks = sorted(z for z in map(f, values) if zmin - 1e-9 <= z <= zmax + 1e-9)
        if len(ticks) >= 2:
            step = max(1, math.ceil(len(ticks) / 8))
            return ticks[::-1][::step][::-1]
    return [zmin + (zmax - zmin) * k / 2 for k in range(3)]


def _tick_label(z: float, scale: str) -> str:
    v = _true_value(z, scale)
    e = round(math.log10(abs(v))) if v else 0
    if v and abs(abs(v) - 10.0**e) <= 1e-9 * abs(v):  # a power of ten
        return ("−" if v < 0 else "") + power_of_ten(e)
    return table_number(v).replace("-", "−") if v < 0 else table_number(v)


def colour_ticks(
    scale: str, zmin: float, zmax: float, clipped: ColourRange | None = None
) -> tuple[list[float], list[str]]:
    """Colour-bar tick positions and labels, always in the metric's own units (never the
    log10 coordinates; [] → automatic, for a linear scale). ``clipped``: the ends beyond
    which values lie are labelled "≥" / "≤" their value."""
    if scale == "log":
        exps = list(range(math.ceil(zmin - 1e-9), math.floor(zmax + 1e-9) + 1))
        if len(exps) >= 2:
            step = max(1, math.ceil(len(exps) / 8))
            exps = exps[::-1][::step][::-1]  # keep the top tick
            ticks, labels = [float(e) for e in exps], [power_of_ten(e) for e in exps]
        else:  # less than a decade: round values inside it, labelled as themselves
            ticks = _nice_ticks(scale, zmin, zmax)
            labels = [_tick_label(z, scale) for z in ticks]
        floor = round(math.log10(DISPLAY_FLOOR))
        if ticks and abs(ticks[0] - floor) < 1e-9:
            labels[0] = "≤" + labels[0]
        return _mark_clipped(ticks, labels, scale, zmin, zmax, clipped)
    if scale == "linear":
        if clipped is None or not clipped.clipped:
            return [], []
        ticks = [zmin + (zmax - zmin) * k / 4 for k in range(5)]
        return _mark_clipped(ticks, [table_number(z) for z in ticks], scale, zmin, zmax, clipped)
    ticks, labels = _symlog_ticks(zmin, zmax)
    if len(ticks) < 2:
        ticks = _nice_ticks(scale, zmin, zmax)
        labels = [_tick_label(z, scale) for z in ticks]
    return _mark_clipped(ticks, labels, scale, zmin, zmax, clipped)


def _mark_clipped(
    ticks: list[float],
    labels: list[str],
    scale: str,
    zmin: float,
    zmax: float,
    clipped: ColourRange | None,
) -> tuple[list[float], list[str]]:
    """Ticks at a clipped end, labelled "≥ value" / "≤ value" (the colour means "this or
    beyond")."""
    if clipped is None:
        return ticks, labels
    pairs = dict(zip(ticks, labels))
    for on, z, sign in ((clipped.clipped_low, zmin, "≤"), (clipped.clipped_high, zmax, "≥")):
        if on:
            near = [t for t in pairs if abs(t - z) < 0.06 * (zmax - zmin)]
            for t in near:
                del pairs[t]
            pairs[z] = sign + _tick_label(z, scale) if scale != "linear" else sign + table_number(z)
    order = sorted(pairs)
    return order, [pairs[t] for t in order]


def _symlog_ticks(zmin: float, zmax: float) -> tuple[list[float], list[str]]:
    """±10ᵏ (and 0) inside the range, as the symlog scale's ticks."""
    top = max(abs(zmin), abs(zmax))
    exps = list(range(0, math.floor(top) + 1))
    if len(exps) > 3:  # ±1 would crowd 0; keep every step-th power, the largest included
        exps = exps[1:]
        step = max(1, math.ceil(len(exps) / 4))
        exps = exps[::-1][::step][::-1]
    ticks = {0.0: "0"} if zmin - 1e-9 <= 0 <= zmax + 1e-9 else {}
    for k in exps:
        for sign in (-1, 1):
            z = sign * math.log10(1.0 + 10.0**k)
            if zmin - 1e-9 <= z <= zmax + 1e-9:
                ticks[z] = ("−" if sign < 0 else "") + power_of_ten(k)
    order = sorted(ticks)
    return order, [ticks[z] for z in order]


# ---------------------------------------------------------------------------
# Axes
# ---------------------------------------------------------------------------


def axis_kind(hp: HyperParam) -> str:
    """``"log"`` (η, ε), ``"decay"`` (a rate in [0, 1): ρ, β) or ``"linear"``."""
    if hp.log:
        return "log"
    if hp.low == 0.0 and hp.high == 1.0 and hp.high_open:
        return "decay"
    return "linear"


def to_axis(values: Array | float, kind: str) -> Array:
    """Hyperparameter values → axis coordinates (log10 v, −log10(1 − v), or v)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log":
            return np.log10(v)
        if kind == "decay":
            return -np.log10(1.0 - v)
    return v


def from_axis(coords: Array | float, kind: str) -> Array:
    """Axis coordinates → hyperparameter values (the inverse of :func:`to_axis`)."""
    c = np.asarray(coords, dtype=float)
    if kind == "log":
        return 10.0**c
    if kind == "decay":
        return 1.0 - 10.0 ** (-c)
    return c


def axis_ticks(values: Array, kind: str) -> tuple[list[float], list[str]]:
    """Tick positions and labels for a grid's axis, in the hyperparameter's own values."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if kind == "decay":
        vals = [v for v in _DECAY_TICKS if lo - 1e-12 <= v <= hi + 1e-12]
        return [float(to_axis(v, kind)) for v in vals], [f"{v:g}" for v in vals]
    if kind == "log":
        exps = list(range(math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9) + 1))
        step = max(1, math.ceil(len(exps) / 6))
        exps = exps[::-1][::step][::-1]
        return [float(e) for e in exps], [power_of_ten(e) for e in exps]
    return [], []


def _axis_title(hp: HyperParam, kind: str, two_lines: bool = False) -> str:
    """The hyperparameter and its scale; ``two_lines`` (an x axis): the scale on a second,
    smaller line, since two panels side by side at 1024 px leave no room for one long line
    under each (their titles ran together). A y axis's title runs upwards: one line."""
    scale = {"log": "log scale", "decay": f"log scale in 1 − {hp.label.split()[0]}"}.get(kind)
    if not scale:
        return hp.label
    return (
        f"{hp.label}<br><span style='font-size:0.85em'>{scale}</span>"
        if two_lines
        else (f"{hp.label}, {scale}")
    )


def _half_step(coords: Array) -> float:
    return float(abs(coords[1] - coords[0])) / 2 if len(coords) > 1 else 0.5


# ---------------------------------------------------------------------------
# The heatmap figure
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One optimizer's sweep as the heatmap figure wants it."""

    key: str
    label: str
    result: SweepResult
    #: the sliders' current values of the grid's hyperparameters (marked with a ring)
    current: Mapping[str, float] = field(default_factory=dict)
    #: a short note under the title (e.g. "71% within 10× of the best")
    note: str = ""

    @property
    def colour(self) -> str:
        return colour_of(self.key)

    @property
    def hyperparams(self) -> tuple[HyperParam, ...]:
        spec = optimizers.get(self.key)
        return tuple(spec.hyperparam(a) for a in self.result.axes)


def _cell_text(result: SweepResult, metric: Metric, raw: Array, never: Array) -> list[str]:
    """Each cell's value for the hover (the metric's name is in the template)."""
    diverged_at = np.asarray(result.diverged_at).reshape(-1)
    raw = raw.reshape(-1)
    never = never.reshape(-1)
    out = []
    for k in range(raw.size):
        if diverged_at[k] >= 0:
            out.append(f"<b>diverged</b> at step {int(diverged_at[k])}")
        elif never[k]:
            out.append(f"never reached in {result.steps} steps")
        elif metric.key == "steps":
            out.append(str(int(raw[k])))
        else:
            out.append(hover_value(float(raw[k])))
    return out


def _customdata(result: SweepResult) -> list[list[float]]:
    grids = [np.asarray(result.grid[a], dtype=float) for a in result.axes]
    mesh = np.meshgrid(*grids, indexing="ij")
    flat = np.stack([m.reshape(-1) for m in mesh], axis=-1)
    return flat.tolist()  # exact (JSON keeps every float64): a click loads what was swept


@dataclass(frozen=True)
class _Geometry:
    height: int
    boxes: tuple[tuple[tuple[float, float], tuple[float, float]], ...]  # (xdom, ydom)
    colorbar: tuple[float, float]  # y range (paper) of the colour bar


_COLUMNS = ((0.0, 0.40), (0.6, 0.99))  # room for the right panel's y-axis title
_FULL = (0.0, 0.99)


def _geometry(dims: Sequence[int], style: Style, title_lines: int = 2) -> _Geometry:
    """Where each panel sits: 2-D panels two to a row, then 1-D strips at full width.
    ``title_lines``: the most lines a panel's title has (its name, its score's parts)."""
    top = 84  # the legend (up to three rows in a narrow page), under the mode bar
    title = 8 + title_lines * round(1.3 * (style.font + 1))  # a panel's title above it
    below = 88 + 3 * (style.font - 13)  # its x tick labels and two-line axis title
    square = 330 if style.font <= 13 else 420
    strip = 64 if style.font <= 13 else 80
    two = [i for i, d in enumerate(dims) if d == 2]
    one = [i for i, d in enumerate(dims) if d != 2]
    rows_2d = math.ceil(len(two) / 2)
    height = top + rows_2d * (title + square + below) + len(one) * (title + strip + below) + 10
    px = 1.0 / height
    placed: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {}
    y = top
    for r in range(rows_2d):
        for c, i in enumerate(two[2 * r : 2 * r + 2]):
            ydom = (1 - (y + title + square) * px, 1 - (y + title) * px)
            placed[i] = (_COLUMNS[c], ydom)
        y += title + square + below
    for i in one:
        ydom = (1 - (y + title + strip) * px, 1 - (y + title) * px)
        placed[i] = (_FULL, ydom)
        y += title + strip + below
    boxes = tuple(placed[i] for i in range(len(dims)))
    cb_top = max(ydom[1] for _, ydom in boxes)
    cb_bottom = min(ydom[0] for _, ydom in boxes)
    return _Geometry(height, boxes, (max(cb_bottom, 0.0), cb_top))


def _page(style: Style, colours: Any) -> dict:
    """A figure's font and backgrounds in ``colours`` (a :class:`~optviz.figures.Theme`)."""
    return {
        "font": {
            "size": style.font,
            "family": "Arial, Helvetica, sans-serif",
            "color": colours.text,
        },
        "paper_bgcolor": colours.paper,
        "plot_bgcolor": colours.plot,
    }


def heatmap_figure(
    panels: Sequence[Panel],
    metric: str,
    *,
    presenter: bool = False,
    theme: str = "light",
) -> SpecFigure:
    """Every optimizer's sweep on one shared colour scale (see the module docstring).

    ``panels`` share one objective; ``metric`` is a key of :func:`metrics_for`; ``theme``
    names a :class:`optviz.figures.Theme` (the background, text and axes; the colour scale
    is the same in every theme). Trace
    ``meta`` says what a trace is: ``{"role": "metric" | "diverged" | "never" | "cells" |
    "current" | "paper", "optimizer": key}``.
    """
    panels = list(panels)
    if not panels:
        raise ValueError("no sweeps to draw")
    style = Style.of(presenter, theme)
    colours = style.theme
    has_min = panels[0].result.f_min is not None
    metrics = metrics_for(has_min, panels[0].result.tol)
    if metric not in metrics:
        raise ValueError(
            f"metric {metric!r} is not offered here; choose one of {', '.join(metrics)}"
        )
    m = metrics[metric]
    raws = [metric_values(p.result, metric) for p in panels]
    zs = [display_values(r, m.scale) for r in raws]
    rng = robust_colour_range(zs)
    zmin, zmax = rng.zmin, rng.zmax
    tickvals, ticktext = colour_ticks(m.scale, zmin, zmax, rng)
    notes = [p.note.split(" · ") if p.note else [] for p in panels]
    geo = _geometry(
        [len(p.result.axes) for p in panels], style, 1 + max((len(n) for n in notes), default=0)
    )

    traces: list[dict] = []
    annotations: list[dict] = []
    layout: dict = {}
    legend_shown: set[str] = set()

    def legend_once(name: str) -> bool:
        first = name not in legend_shown
        legend_shown.add(name)
        return first

    for n, (p, raw, z) in enumerate(zip(panels, raws, zs), start=1):
        suffix = "" if n == 1 else str(n)
        ax, ay = f"x{suffix}", f"y{suffix}"
        xdom, ydom = geo.boxes[n - 1]
        res = p.result
        hps = p.hyperparams
        kinds = [axis_kind(hp) for hp in hps]
        coords = [to_axis(res.grid[a], k) for a, k in zip(res.axes, kinds)]
        two_d = len(res.axes) == 2
        xc = coords[0]
        yc = coords[1] if two_d else np.array([0.0])
        # SweepResult is (axis0, axis1); a heatmap's z is (rows = y, columns = x)
        zt = z.T if two_d else z.reshape(1, -1)
        diverged = np.asarray(res.diverged, dtype=bool)
        never = never_reached(res, metric)
        common = {
            "x": typed(xc),
            "y": typed(yc),
            "xaxis": ax,
            "yaxis": ay,
            "hoverinfo": "skip",
            "showscale": False,
        }
        traces.append(
            {
                **common,
                "type": "heatmap",
                "z": typed(zt),
                "name": p.label,
                "coloraxis": "coloraxis",
                "zmin": zmin,
                "zmax": zmax,
                "zauto": False,
                "meta": {"role": "metric", "optimizer": p.key},
            }
        )
        for role, mask, colour in (
            ("diverged", diverged, DIVERGED_COLOR),
            ("never", never, NEVER_COLOR),
        ):
            if not mask.any():
                continue
            over = np.where(mask, 1.0, np.nan)
            traces.append(
                {
                    **common,
                    "type": "heatmap",
                    "z": typed(over.T if two_d else over.reshape(1, -1)),
                    "colorscale": [[0, colour], [1, colour]],
                    "zmin": 0,
                    "zmax": 1,
                    "name": f"{p.label}: {role}",
                    "meta": {"role": role, "optimizer": p.key},
                }
            )
        # invisible points at the cell centres: hover, and the cell a click selects
        mesh = np.meshgrid(xc, yc if two_d else np.array([0.0]), indexing="ij")
        cell_px = (ydom[1] - ydom[0]) * geo.height / (len(yc) if two_d else 1)
        # cells beyond a clipped colour range: drawn in the end colour, and marked
        zf = z.reshape(-1)
        for side, mask, symbol in (
            ("above", np.isfinite(zf) & (zf > zmax + 1e-12), "triangle-up"),
            ("below", np.isfinite(zf) & (zf < zmin - 1e-12), "triangle-down"),
        ):
            if not mask.any():
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": typed(mesh[0].reshape(-1)[mask]),
                    "y": typed(mesh[1].reshape(-1)[mask]),
                    "xaxis": ax,
                    "yaxis": ay,
                    "marker": {
                        "symbol": symbol,
                        "size": max(5.0, min(12.0, 0.7 * cell_px)),
                        "color": "white",
                        "line": {"color": "black", "width": 1},
                    },
                    "hoverinfo": "skip",
                    "name": f"beyond the colour range ({side})",
                    "legendgroup": f"beyond-{side}",
                    "showlegend": legend_once(f"beyond-{side}"),
                    "meta": {"role": "beyond", "side": side, "optimizer": p.key},
                }
            )
        sym = [hp.label.split()[0] for hp in hps]
        name = m.label.replace("<sub>min</sub>", "_min")
        lines = "".join(f"<br>{s} = %{{customdata[{i}]:.5g}}" for i, s in enumerate(sym))
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": typed(mesh[0].reshape(-1)),
                "y": typed(mesh[1].reshape(-1)),
                "xaxis": ax,
                "yaxis": ay,
                "marker": {"size": max(6.0, min(40.0, cell_px)), "color": "rgba(0,0,0,0)"},
                "customdata": _customdata(res),
                "text": _cell_text(res, m, raw, never),
                "hovertemplate": f"<b>{p.label}</b>{lines}<br>{name}: %{{text}}"
                "<br><i>click: load into the trajectory view</i><extra></extra>",
                "name": f"{p.label} cells",
                "legendgroup": f"cells.{p.key}",
                "showlegend": False,
                "selected": {"marker": {"opacity": 0}},
                "unselected": {"marker": {"opacity": 0}},
                "meta": {"role": "cells", "optimizer": p.key},
            }
        )
        # the paper's default, and the sliders' current values
        if p.key == "adadelta" and two_d and set(res.axes) == set(PAPER_DEFAULT):
            px_, py_ = (float(to_axis(PAPER_DEFAULT[a], k)) for a, k in zip(res.axes, kinds))
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [px_],
                    "y": [py_],
                    "xaxis": ax,
                    "yaxis": ay,
                    "cliponaxis": False,
                    "marker": {
                        "symbol": "star",
                        "size": style.marker + 9,
                        "color": "gold",
                        "line": {"color": "black", "width": 1.5},
                    },
                    "name": "paper's default (ρ = 0.95, ε = 10⁻⁶)",
                    "legendgroup": "paper",
                    "showlegend": legend_once("paper"),
                    "hovertemplate": "the paper's default<br>ρ = 0.95, ε = 1e-06<extra></extra>",
                    "meta": {"role": "paper", "optimizer": p.key},
                }
            )
        if all(a in p.current for a in res.axes):
            cur = [float(to_axis(p.current[a], k)) for a, k in zip(res.axes, kinds)]
            cx, cy = cur[0], cur[1] if two_d else 0.0
            text = ", ".join(f"{s} = {p.current[a]:.4g}" for s, a in zip(sym, res.axes))
            # a ring in the theme's ink over a halo in its background: its legend entry
            # (the ink ring) stays visible on a dark page too
            rings = ((5.0, colours.halo, False), (2.2, colours.ink, True))
            for width, colour, shown in rings:
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "x": [cx],
                        "y": [cy],
                        "xaxis": ax,
                        "yaxis": ay,
                        "cliponaxis": False,
                        "marker": {
                            "symbol": "circle-open",
                            "size": style.marker + 7,
                            "color": colour,
                            "line": {"width": width, "color": colour},
                        },
                        "name": "current slider setting",
                        "legendgroup": "current",
                        "showlegend": shown and legend_once("current"),
                        "hovertemplate": (
                            f"{p.label}: the sliders' setting<br>{text}<extra></extra>"
                        ),
                        "meta": {"role": "current", "optimizer": p.key},
                    }
                )

        # axes
        half_x = _half_step(xc)
        xticks = axis_ticks(res.grid[res.axes[0]], kinds[0])
        layout[f"xaxis{suffix}"] = {
            "domain": list(xdom),
            "anchor": ay,
            "range": [float(xc[0]) - half_x, float(xc[-1]) + half_x],
            "tickvals": xticks[0],
            "ticktext": xticks[1],
            "ticks": "outside",
            "showgrid": False,
            "zeroline": False,
            "linecolor": colours.axis_line,
            "mirror": True,
            "title": {"text": _axis_title(hps[0], kinds[0], two_lines=True), "standoff": 4},
            "fixedrange": False,
        }
        if two_d:
            half_y = _half_step(yc)
            yticks = axis_ticks(res.grid[res.axes[1]], kinds[1])
            layout[f"yaxis{suffix}"] = {
                "domain": list(ydom),
                "anchor": ax,
                "range": [float(yc[0]) - half_y, float(yc[-1]) + half_y],
                "tickvals": yticks[0],
                "ticktext": yticks[1],
                "ticks": "outside",
                "showgrid": False,
                "zeroline": False,
                "linecolor": colours.axis_line,
                "mirror": True,
                "title": {"text": _axis_title(hps[1], kinds[1]), "standoff": 4},
            }
        else:
            layout[f"yaxis{suffix}"] = {
                "domain": list(ydom),
                "anchor": ax,
                "range": [-0.5, 0.5],
                "showticklabels": False,
                "ticks": "",
                "showgrid": False,
                "zeroline": False,
                "linecolor": colours.axis_line,
                "mirror": True,
                "fixedrange": True,
            }
        title = f"<b>{p.label}</b> — {' × '.join(sym)}"
        if not two_d:
            title += " (one hyperparameter: a strip)"
        for part in notes[n - 1]:  # each on a line of its own: side by side, at 1024 px,
            title += f"<br><span style='color:{colours.note}'>{part}</span>"  # must not collide
        annotations.append(
            {
                "text": title,
                "xref": "paper",
                "yref": "paper",
                "x": xdom[0],
                "y": ydom[1],
                "xanchor": "left",
                "yanchor": "bottom",
                "align": "left",
                "yshift": 4,
                "showarrow": False,
                "font": {"size": style.font + 1},
            }
        )

    # legend-only entries for the overlays (one each, whatever the number of panels)
    for role, name, colour in (
        ("diverged", "diverged", DIVERGED_COLOR),
        ("never", f"never reached f − f_min < {panels[0].result.tol:g}", NEVER_COLOR),
    ):
        if role == "never" and metric != "steps":
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [None],
                "y": [None],
                "marker": {
                    "symbol": "square",
                    "size": 14,
                    "color": colour,
                    "line": {"color": "#444", "width": 1},
                },
                "name": name,
                "showlegend": True,
                "hoverinfo": "skip",
                "legendgroup": role,
                "meta": {"role": f"legend-{role}"},
            }
        )

    note = ""
    if rng.clipped:
        low, high = CLIP_PERCENTILES
        ends = " and ".join(
            t
            for t, on in ((f"{low:g}st", rng.clipped_low), (f"{high:g}th", rng.clipped_high))
            if on
        )
        note = f"<br><sub>colours clipped at the {ends} percentile (▲▼: beyond)</sub>"
    colorbar: dict = {
        "title": {"text": m.label + note, "side": "right"},
        "thickness": 14,
        "len": geo.colorbar[1] - geo.colorbar[0],
        "lenmode": "fraction",
        "y": geo.colorbar[1],
        "yanchor": "top",
        "x": 1.0,
        "xanchor": "left",
        "tickfont": {"size": style.font - 1},
    }
    if tickvals:
        colorbar.update(tickvals=tickvals, ticktext=ticktext)
    layout.update(
        height=geo.height,
        **_page(style, colours),
        # the top margin holds plotly's mode bar, so that it sits above the legend, not on it
        margin={"l": 80, "r": 100, "t": MODEBAR_ROOM, "b": 10},
        coloraxis={
            "colorscale": COLORSCALE,
            "cmin": zmin,
            "cmax": zmax,
            "cauto": False,
            "colorbar": colorbar,
        },
        legend={
            "orientation": "h",
            "x": 0.0,
            "y": 1.0,
            "yanchor": "top",  # inside the figure's top, below the margin of the mode bar
            "yref": "paper",
            "font": {"size": style.font},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        hovermode="closest",
        clickmode="event+select",
        dragmode="zoom",
        annotations=annotations,
        uirevision="sensitivity",
    )
    return SpecFigure({"data": traces, "layout": layout})


# ---------------------------------------------------------------------------
# Grid scores and the noise sweep
# ---------------------------------------------------------------------------


def score_figure(
    scores: Mapping[str, GridScore],
    labels: Mapping[str, str],
    *,
    presenter: bool = False,
    theme: str = "light",
) -> SpecFigure:
    """One stacked bar per optimizer (:func:`optviz.sweeps.grid_score`): the share of its
    own grid that solved the problem (its colour), that diverged (red) and the rest (grey),
    adding up to 100 %. Without a minimum only the diverged share is known: the rest is
    grey. ``theme`` names a :class:`optviz.figures.Theme`."""
    style = Style.of(presenter, theme)
    colours = style.theme
    keys = list(scores)[::-1]  # the first optimizer on top
    names = [labels.get(k, k) for k in keys]
    solved = [100.0 * (scores[k].share or 0.0) for k in keys]
    diverged = [100.0 * scores[k].diverged_share for k in keys]
    rest = [max(100.0 - s - d, 0.0) for s, d in zip(solved, diverged)]

    def bar(name: str, x: list[float], colour: Any, what: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "x": x,
            "y": names,
            "marker": {"color": colour, "line": {"color": colours.paper, "width": 1}},
            "text": [f"{v:.3g}%" if v >= 4 else "" for v in x],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "hovertemplate": f"%{{y}}: %{{x:.3g}}% of its grid {what}<extra></extra>",
            "showlegend": True,
        }

    traces = [
        bar("solved (in its colour)", solved, [colour_of(k) for k in keys], "solved the problem"),
        bar("neither", rest, colours.neutral, "neither solved it nor diverged"),
        bar("diverged", diverged, DIVERGED_COLOR, "diverged"),
    ]
    layout = {
        "barmode": "stack",
        "height": 90 + (34 if not presenter else 46) * len(keys),
        **_page(style, colours),
        "margin": {"l": 10, "r": 20, "t": 34, "b": 50},
        # above the bars: below, it ran into the x-axis title
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        "xaxis": {
            "range": [0, 100],
            "title": {"text": "% of the optimizer's own grid"},
            "tickvals": [0, 20, 40, 60, 80, 100],
            "showgrid": True,
            "gridcolor": colours.grid,
            "zeroline": False,
            "fixedrange": True,
        },
        "yaxis": {"automargin": True, "fixedrange": True},
        "bargap": 0.35,
    }
    return SpecFigure({"data": traces, "layout": layout})


@dataclass(frozen=True)
class NoiseSeries:
    """One optimizer's final loss per σ, averaged over seeds (NaN: every seed diverged)."""

    key: str
    label: str
    mean: tuple[float, ...]
    diverged: tuple[int, ...]  # how many seeds diverged, per σ
    seeds: int


def noise_figure(
    sigmas: Sequence[float],
    series: Sequence[NoiseSeries],
    *,
    has_minimum: bool,
    presenter: bool = False,
    current_sigma: float | None = None,
    theme: str = "light",
) -> SpecFigure:
    """Final loss (mean over seeds) against σ, one line per optimizer.

    With a minimum, ``f − f_min`` on a log axis; without one, ``f`` on the signed log scale
    ``sign(f)·log10(1 + |f|)`` (ticks labelled in f), since an escaping run reaches
    −10¹¹ while the others stay near 0. σ values sit evenly spaced (0 cannot go on a log
    axis), labelled with their values. A σ where every seed diverged is a ✕ at the top.
    ``theme`` names a :class:`optviz.figures.Theme`.
    """
    style = Style.of(presenter, theme)
    colours = style.theme
    axis_style = {**AXIS_STYLE, "gridcolor": colours.grid, "linecolor": colours.axis_line}
    xs = list(range(len(sigmas)))
    values = [np.asarray(s.mean, dtype=float) for s in series]
    if has_minimum:
        # a mean of exactly 0 cannot sit on a log axis: draw it at the floor (NaN stays NaN)
        plotted = [
            np.where(np.isfinite(v) & (v <= DISPLAY_FLOOR), DISPLAY_FLOOR, v) for v in values
        ]
        finite = [np.log10(v[np.isfinite(v)]) for v in plotted]
    else:
        plotted = [display_values(v, "symlog") for v in values]
        finite = [v[np.isfinite(v)] for v in plotted]
    allv = np.concatenate(finite) if finite else np.array([])
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (-1.0, 1.0)
    if hi - lo < 1:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.08 * (hi - lo)
    yrange = [lo - pad, hi + pad]
    top = 10.0 ** yrange[1] if has_minimum else yrange[1]
    word = "diverged" if has_minimum else "ran off to infinity"
    traces = []
    for n, (s, v, y) in enumerate(zip(series, values, plotted)):
        nudge = 0.07 * (n - (len(series) - 1) / 2)  # ✕s of several optimizers side by side
        colour = colour_of(s.key)
        text = [
            f"{hover_value(float(m))}<br>"
            + (
                f"{d} of {s.seeds} seeds {word} (left out of the mean)"
                if d
                else f"mean of {s.seeds} seeds"
            )
            for m, d in zip(v, s.diverged)
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": xs,
                "y": [float(u) if math.isfinite(u) else None for u in y],
                "name": s.label,
                "legendgroup": s.key,
                "text": text,
                "line": {"color": colour, "width": style.line},
                "marker": {"color": colour, "size": style.marker - 3},
                "customdata": list(sigmas),
                "hovertemplate": f"{s.label}<br>σ = %{{customdata}}<br>%{{text}}<extra></extra>",
            }
        )
        dead = [i for i, u in enumerate(y) if not math.isfinite(u)]
        if dead:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [i + nudge for i in dead],
                    "y": [top] * len(dead),
                    "name": f"{s.label}: every seed {word}",
                    "legendgroup": s.key,
                    "showlegend": False,
                    "cliponaxis": False,
                    "marker": {
                        "symbol": "x",
                        "size": style.marker + 2,
                        "color": colour,
                        "line": {"width": 1, "color": colours.ink},
                    },
                    "hovertemplate": f"{s.label}: every seed {word} at σ = %{{customdata}}"
                    "<extra></extra>",
                    "customdata": [sigmas[i] for i in dead],
                }
            )
    shapes = []
    if current_sigma is not None and current_sigma in sigmas:
        i = list(sigmas).index(current_sigma)
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": i,
                "x1": i,
                "y0": 0,
                "y1": 1,
                "line": {"color": colours.axis_line, "dash": "dot", "width": 1.5},
            }
        )
    label = (
        "final f − f<sub>min</sub> (mean of seeds)"
        if has_minimum
        else "final f (mean of seeds, signed log scale)"
    )
    yticks: dict = {}
    if not has_minimum:
        vals, texts = colour_ticks("symlog", *yrange)
        yticks = {"tickvals": vals, "ticktext": texts}
    layout = {
        "height": 380 if not presenter else 480,
        **_page(style, colours),
        "margin": {"l": 80, "r": 20, "t": 10, "b": 60},
        "xaxis": {
            "tickvals": xs,
            "ticktext": [f"{s:g}" for s in sigmas],
            "range": [-0.3, len(xs) - 0.7],
            "title": {"text": "σ, the gradient-noise scale (points evenly spaced)"},
            **axis_style,
        },
        "yaxis": {
            "type": "log" if has_minimum else "linear",
            "range": yrange,
            "title": {"text": label},
            "exponentformat": "power",
            **yticks,
            **axis_style,
        },
        "legend": {
            "orientation": "h",
            "x": 0.0,
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": style.font},
        },
        "hovermode": "closest",
        "shapes": shapes,
    }
    return SpecFigure({"data": traces, "layout": layout})


# ---------------------------------------------------------------------------
# Basins of attraction
# ---------------------------------------------------------------------------

#: One colour per listed minimum, in the order of ``objective.minima`` (Okabe–Ito, without
#: its reds, so that no minimum looks like :data:`DIVERGED_COLOR`).
BASIN_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: Starts that ended outside the map's bounds, near no minimum, without diverging.
ESCAPED_COLOR = "#7B3294"
#: How pale the slowest start of a minimum's basin is drawn (0: its full colour, 1: white).
BASIN_PALEST = 0.6


@dataclass(frozen=True)
class BasinPanel:
    """One optimizer's :class:`~optviz.sweeps.BasinMap`, titled ``label`` (``note``: a
    line under the title, e.g. its hyperparameters)."""

    key: str
    label: str
    basins: BasinMap
    note: str = ""


def _point(p: Sequence[float]) -> str:
    return f"({p[0]:.3g}, {p[1]:.3g})"


def basin_class_name(basins: BasinMap, cls: int) -> str:
    """The legend's name of a class: "minimum (3, 2)", "diverged", …"""
    if cls >= 0:
        return f"minimum {_point(basins.minima[cls])}"
    return {
        DIVERGED: "diverged",
        ESCAPED: "left the plot (no minimum)",
        NO_MINIMUM: "in the plot, near no minimum",
    }[cls]


def basin_class_colour(cls: int) -> str:
    """The colour of a class (a minimum's index, or a :mod:`optviz.sweeps` constant)."""
    if cls >= 0:
        return BASIN_COLORS[cls % len(BASIN_COLORS)]
    return {DIVERGED: DIVERGED_COLOR, ESCAPED: ESCAPED_COLOR, NO_MINIMUM: NEVER_COLOR}[cls]


def _pale(colour: str, share: float) -> str:
    """``colour`` (``#rrggbb``) mixed with white: ``share`` 0 is itself, 1 is white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (255 - c) * share) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def basin_shade(basins: BasinMap) -> Array:
    """Per start, 0 … 1: how pale its cell is drawn — a minimum's start by its steps
    (``steps / budget``; 1 when it never came within the tolerance), every other start 0."""
    steps = np.asarray(basins.steps, dtype=np.float64)
    budget = max(basins.budget, 1)
    shade = np.where(steps >= 0, steps / budget, 1.0)
    return np.where(np.asarray(basins.label) >= 0, np.clip(shade, 0.0, 1.0), 0.0)


def _basin_text(b: BasinMap) -> list[list[str]]:
    rows = []
    for i, y in enumerate(b.ys):
        row = []
        for j, x in enumerate(b.xs):
            cls, s = int(b.label[i, j]), int(b.steps[i, j])
            start = f"start ({x:.3g}, {y:.3g})"
            if cls >= 0:
                where = _point(b.minima[cls])
                if s >= 0:
                    row.append(f"{start} → minimum {where} in {s} steps")
                else:
                    row.append(
                        f"{start} → ends near {where}, f − f(m) not yet < {b.tol:g} "
                        f"after {b.budget} steps"
                    )
            elif cls == DIVERGED:
                row.append(f"{start} → diverged at step {s}")
            elif cls == ESCAPED:
                row.append(f"{start} → left the plot, near no minimum, after {b.budget} steps")
            else:
                row.append(f"{start} → near no minimum after {b.budget} steps")
        rows.append(row)
    return rows


def basin_figure(
    panels: Sequence[BasinPanel],
    *,
    presenter: bool = False,
    theme: str = "light",
) -> SpecFigure:
    """Basin maps, one panel per optimizer (two to a row), on one objective.

    Each start's cell is coloured by the minimum its run reached (:data:`BASIN_COLORS`,
    a legend entry per minimum naming its coordinates), paler the more steps it took to
    come within the tolerance (:func:`basin_shade`); diverged starts in
    :data:`DIVERGED_COLOR`, starts that left the plot in :data:`ESCAPED_COLOR`, starts
    near no minimum in grey. The minima are ✕ marks. Hover: the start, where it ended,
    in how many steps. Trace ``meta``: ``{"role": "basin", "class": c, "optimizer": key}``
    for a class's cells (z: the shade where the start is in class ``c``, None elsewhere),
    ``"minima"`` and ``"legend"``. ``theme`` names a :class:`optviz.figures.Theme`.
    """
    panels = list(panels)
    if not panels:
        raise ValueError("no basin maps to draw")
    style = Style.of(presenter, theme)
    colours = style.theme
    geo = _geometry([2] * len(panels), style, 2)
    traces: list[dict] = []
    annotations: list[dict] = []
    layout: dict = {}
    seen: dict[int, str] = {}
    first = panels[0].basins
    for n, p in enumerate(panels, start=1):
        b = p.basins
        suffix = "" if n == 1 else str(n)
        ax, ay = f"x{suffix}", f"y{suffix}"
        xdom, ydom = geo.boxes[n - 1]
        label = np.asarray(b.label)
        shade = basin_shade(b)
        text = _basin_text(b)
        classes = [c for c in (*range(len(b.minima)), NO_MINIMUM, ESCAPED, DIVERGED)]
        for cls in classes:
            mask = label == cls
            if not mask.any():
                continue
            colour = basin_class_colour(cls)
            seen.setdefault(cls, basin_class_name(b, cls))
            z = np.where(mask, shade, np.nan)
            traces.append(
                {
                    "type": "heatmap",
                    "x": typed(b.xs),
                    "y": typed(b.ys),
                    "z": typed(z),
                    "xaxis": ax,
                    "yaxis": ay,
                    "colorscale": [[0, colour], [1, _pale(colour, BASIN_PALEST)]],
                    "zmin": 0.0,
                    "zmax": 1.0,
                    "showscale": False,
                    "text": text,
                    "hovertemplate": f"<b>{p.label}</b><br>%{{text}}<extra></extra>",
                    "hoverongaps": False,
                    "name": f"{p.label}: {basin_class_name(b, cls)}",
                    "meta": {"role": "basin", "class": cls, "optimizer": p.key},
                }
            )
        if b.minima:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [m[0] for m in b.minima],
                    "y": [m[1] for m in b.minima],
                    "xaxis": ax,
                    "yaxis": ay,
                    "marker": {
                        "symbol": "x",
                        "size": style.marker,
                        "color": [basin_class_colour(k) for k in range(len(b.minima))],
                        "line": {"color": colours.ink, "width": 1.5},
                    },
                    "text": [f"minimum {_point(m)}" for m in b.minima],
                    "hovertemplate": "%{text}<extra></extra>",
                    "name": "the minima",
                    "showlegend": False,
                    "meta": {"role": "minima", "optimizer": p.key},
                }
            )
        (x_lo, x_hi), (y_lo, y_hi) = b.bounds
        common = {
            "ticks": "outside",
            "showgrid": False,
            "zeroline": False,
            "linecolor": colours.axis_line,
            "mirror": True,
        }
        layout[f"xaxis{suffix}"] = {
            "domain": list(xdom),
            "anchor": ay,
            "range": [x_lo, x_hi],
            "title": {"text": "start x", "standoff": 4},
            **common,
        }
        layout[f"yaxis{suffix}"] = {
            "domain": list(ydom),
            "anchor": ax,
            "range": [y_lo, y_hi],
            "title": {"text": "start y", "standoff": 4},
            **common,
        }
        title = f"<b>{p.label}</b>"
        if p.note:
            title += f"<br><span style='color:{colours.note}'>{p.note}</span>"
        annotations.append(
            {
                "text": title,
                "xref": "paper",
                "yref": "paper",
                "x": xdom[0],
                "y": ydom[1],
                "xanchor": "left",
                "yanchor": "bottom",
                "align": "left",
                "yshift": 4,
                "showarrow": False,
                "font": {"size": style.font + 1},
            }
        )
    order = [c for c in (*range(len(first.minima)), NO_MINIMUM, ESCAPED, DIVERGED) if c in seen]
    for cls in order:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [None],
                "y": [None],
                "marker": {
                    "symbol": "square",
                    "size": 14,
                    "color": basin_class_colour(cls),
                    "line": {"color": "#444", "width": 1},
                },
                "name": seen[cls],
                "showlegend": True,
                "hoverinfo": "skip",
                "meta": {"role": "legend", "class": cls},
            }
        )
    layout.update(
        height=geo.height,
        **_page(style, colours),
        margin={"l": 80, "r": 30, "t": MODEBAR_ROOM, "b": 10},
        legend={
            "orientation": "h",
            "x": 0.0,
            "y": 1.0,
            "yanchor": "top",
            "yref": "paper",
            "font": {"size": style.font},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        hovermode="closest",
        annotations=annotations,
    )
    return SpecFigure({"data": traces, "layout": layout})
