"""Pure Plotly figure builders: arrays in, ``go.Figure`` out (no Streamlit, no optimizing).

The main figure, :func:`trajectory_figure`, is one Plotly figure with one animation and one
step cursor shared by every panel. Each panel is one :class:`Panel` subclass (its axes, its
traces, its animated :class:`Cursor` columns, its ranges; the frames are assembled from the
cursors), so a new panel is one class:

* :class:`ContourPanel`: the contour of the objective (log-spaced levels for functions
  with a known minimum: Plotly has no log contour levels, so ``log10(f − f_min + δ)`` is
  contoured, with colour-bar ticks labelled in ``f − f_min`` and hover showing the true
  ``f``), minima, the start, each optimizer's whole path drawn once, a ✕ where a path
  diverged, and an invisible grid of points that makes a click on the contour selectable;
* :class:`LossPanel`: ``f − f_min`` per optimizer (log y);
* :class:`RatePanel`: each optimizer's realised per-dimension rate −Δxᵢ/gᵢ
  (``Trajectory.step_factor``, one quantity for every optimizer), x and y in separate
  panels (log y);
* :class:`AccumulatorPanel`: one panel per optimizer with state: every accumulator, x
  solid and y dotted, read generically from the optimizer's state fields and their symbols
  (signed fields, such as a velocity or Adam's m, are drawn as magnitudes ``|v|``, and
  labelled so).

Frames move only markers: the paths, lines and the contour are never repeated in a frame
(that would multiply the payload by the number of frames), and each frame names the trace
indices it updates, so the contour and the paths stay drawn while the animation plays.
Axis ranges are fixed (autorange is not animated).
"""

from __future__ import annotations

import base64
import functools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from . import optimizers
from .numbers import tick
from .objectives import Objective
from .optimizers import FALLBACK_COLOURS, OptimizerSpec
from .runner import Trajectory

Array = np.ndarray


def colour_of(key: str) -> str:
    """An optimizer's colour, the same in every panel: its spec's
    (:attr:`~optviz.optimizers.OptimizerSpec.line_colour`), or for a key that is not
    registered a fallback picked by a checksum of the key (the same in every process)."""
    if key in optimizers.REGISTRY:
        return optimizers.REGISTRY[key].line_colour
    return FALLBACK_COLOURS[zlib.crc32(key.encode()) % len(FALLBACK_COLOURS)]


MAX_FRAMES = 200
MAX_LINE_POINTS = 1500  # line panels are thinned to this many points (markers use exact values)

__all__ = [
    "MAX_FRAMES",
    "PathView",
    "colour_of",
    "contour_grid",
    "frame_steps",
    "left_bounds_at",
    "trajectory_figure",
]


class SpecFigure(go.Figure):
    """A ``go.Figure`` that carries a ready-made spec (plain dicts and NumPy arrays).

    Plotly builds a Python object, with validation, for every property of every trace and
    frame: for our ~200 frames that costs about half a second per slider move. This class
    skips it: ``to_dict()`` / ``to_plotly_json()`` return the spec itself, which is all
    that ``st.plotly_chart``, ``plotly.io.to_json`` and ``to_html`` read. Use :attr:`spec`
    to inspect it (``fig.data`` of this object is empty by design).
    """

    def __init__(self, spec: dict) -> None:
        super().__init__()
        self._spec = spec

    @property
    def spec(self) -> dict:
        return self._spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    def __repr__(self) -> str:
        return (
            f"SpecFigure({len(self._spec.get('data', []))} traces, "
            f"{len(self._spec.get('frames', []))} frames)"
        )


@dataclass(frozen=True)
class PathView:
    """What the figure needs to draw one optimizer's run (a single-start Trajectory)."""

    key: str
    label: str
    spec: OptimizerSpec
    trajectory: Trajectory
    color: str = ""
    #: drawn faint: an open lesson is about other optimizers (``Lesson.focus``)
    dimmed: bool = False

    @property
    def colour(self) -> str:
        return self.color or colour_of(self.key)


@dataclass(frozen=True)
class Style:
    """Sizes for the screen, or (presenter mode) for a projector."""

    font: int = 13
    line: float = 2.2
    marker: int = 11
    height_top: int = 560
    height_row: int = 250

    @classmethod
    def presenter(cls) -> Style:
        return cls(font=19, line=4.0, marker=17, height_top=680, height_row=300)


# ---------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> Array:
    """At most ``max_frames`` step indices from 0 to ``steps``, evenly spread, last = ``steps``."""
    if steps + 1 <= max_frames:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, max_frames)).astype(int))


def left_bounds_at(positions: Array, bounds: tuple) -> int:
    """First index at which a (finite) path is outside the plot bounds, −1 if never."""
    (x0, x1), (y0, y1) = bounds
    x, y = positions[:, 0], positions[:, 1]
    with np.errstate(invalid="ignore"):
        out = np.isfinite(x) & np.isfinite(y) & ((x < x0) | (x > x1) | (y < y0) | (y > y1))
    return int(np.argmax(out)) if out.any() else -1


def divergence_mark(positions: Array, bounds: tuple) -> tuple[float, float, bool]:
    """Where to draw a diverged path's ✕: ``(x, y, at_edge)``.

    Its last finite point when that is inside the plot; otherwise the point where the path
    first crosses the plot's edge (``at_edge`` True), so that the ✕ is seen: a divergence
    typically jumps far outside in one step.
    """
    k = last_finite(positions)
    (x0, x1), (y0, y1) = bounds
    px, py = positions[k]
    if x0 <= px <= x1 and y0 <= py <= y1:
        return float(px), float(py), False
    j = left_bounds_at(positions, bounds)
    if j < 1:  # it started outside: the nearest point of the edge
        return float(np.clip(px, x0, x1)), float(np.clip(py, y0, y1)), True
    a, b = positions[j - 1], positions[j]
    t = 1.0
    for dim, (lo, hi) in enumerate(bounds):  # the first edge the segment a→b crosses
        d = b[dim] - a[dim]
        if d > 0 and b[dim] > hi:
            t = min(t, (hi - a[dim]) / d)
        elif d < 0 and b[dim] < lo:
            t = min(t, (lo - a[dim]) / d)
    x, y = a + t * (b - a)
    return float(np.clip(x, x0, x1)), float(np.clip(y, y0, y1)), True


def last_finite(positions: Array) -> int:
    """Index of the last finite position of a path."""
    finite = np.isfinite(positions).all(axis=-1)
    return int(np.flatnonzero(finite)[-1]) if finite.any() else 0


def _thin(n: int, limit: int = MAX_LINE_POINTS) -> Array:
    """Indices ``0 … n−1`` thinned to at most ``limit``, keeping the first and last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))


def typed(values: Array, dtype: str = "f8") -> dict:
    """A NumPy array as plotly.js's base64 typed-array spec (``{"dtype", "bdata", "shape"}``).

    Plotly's graph objects do this during validation, which :class:`SpecFigure` skips; a
    float64 path costs 8 bytes a number this way instead of ~20 as JSON text.
    """
    arr = np.asarray(values, dtype=np.float64)
    if dtype == "f4":  # unless a value is beyond float32 (e.g. a typed x^100): then float64
        with np.errstate(invalid="ignore"):
            big = bool(np.any(np.abs(arr[np.isfinite(arr)]) > np.finfo(np.float32).max))
        dtype = "f8" if big else "f4"
    arr = np.ascontiguousarray(arr, dtype=np.float32 if dtype == "f4" else np.float64)
    spec = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in arr.shape)
    return spec


def untyped(values: dict | list) -> Array:
    """The inverse of :func:`typed`: a typed-array spec (or a plain list, None as NaN) as a
    NumPy array — for reading a figure's spec back, e.g. in tests or a notebook."""
    if isinstance(values, dict):
        dtype = {"f8": np.float64, "f4": np.float32}[values["dtype"]]
        out = np.frombuffer(base64.b64decode(values["bdata"]), dtype=dtype)
        if "shape" in values:
            out = out.reshape([int(n) for n in values["shape"].split(",")])
        return out
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _round(values: Array, digits: int = 6) -> list:
    """Frame payloads are JSON lists: keep 6 significant digits, NaN -> None (not drawn)."""
    out = []
    for v in np.ravel(values).tolist():
        out.append(None if not math.isfinite(v) else float(f"{v:.{digits}g}"))
    return out


def _log_range(values: Sequence[Array], floor: float = 1e-300) -> tuple[float, float]:
    """A fixed log10 axis range covering every finite positive value.

    The ends are whole decades (10^k), at least 0.05 decade beyond the data: a small
    change of a hyperparameter then usually leaves the axes where they were, so the eye
    compares the curves against the same frame and the browser only moves the curves
    (no axis redraw).
    """
    lo, hi = math.inf, -math.inf
    for v in values:
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v) & (v > floor)]
        if v.size:
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    if not math.isfinite(lo):
        return (-1.0, 1.0)
    return (float(math.floor(math.log10(lo) - 0.05)), float(math.ceil(math.log10(hi) + 0.05)))


def finite_extent(arrays: Sequence[Array]) -> tuple[float, float] | None:
    """``(min, max)`` over every finite value of every array (None when there is none)."""
    lo, hi = math.inf, -math.inf
    for arr in arrays:
        arr = np.asarray(arr, dtype=float)
        arr = arr[np.isfinite(arr)]
        if arr.size:
            lo, hi = min(lo, float(arr.min())), max(hi, float(arr.max()))
    return (lo, hi) if math.isfinite(lo) else None


def _lin_range(values: Sequence[Array]) -> tuple[float, float]:
    extent = finite_extent(values)
    if extent is None:
        return (-1.0, 1.0)
    lo, hi = extent
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = 0.05 * (hi - lo)
    return (lo - pad, hi + pad)


# ---------------------------------------------------------------------------
# The contour
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContourGrid:
    xs: Array
    ys: Array
    f: Array  # true values, shape (ny, nx); NaN where not real and finite
    z: Array  # what is contoured (log10(f − f_min + δ) or f)
    log: bool
    delta: float
    f_min: float
    #: what ``f_min`` is: the minimum (f − f_min), or the lowest sampled f of a function
    #: whose minimum is not known (a typed formula whose values span many decades)
    reference: str = "f − f<sub>min</sub>"


#: a function without a known minimum gets log levels when f − (its lowest sampled value)
#: spans more than this many decades between the 10th and the 99th percentile
AUTO_LOG_DECADES = 2.0


def contour_grid(objective: Objective, resolution: int = 140) -> ContourGrid:
    """Sample the objective on its plot bounds; decide log or linear contour levels.

    Log levels of f − f_min when the minimum is known (and the objective asks for them);
    for one whose minimum is not known (a typed formula) but that allows log levels, log
    levels of f − (the lowest sampled f) when those span more than
    :data:`AUTO_LOG_DECADES` decades — ``(x²+y²)^100`` is flat white on a linear scale."""
    (x0, x1), (y0, y1) = objective.bounds
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        f = objective.value(np.stack([gx, gy], axis=-1))
    f = np.where(np.isfinite(f), f, np.nan)
    f_min = objective.f_min
    finite = f[np.isfinite(f)]
    use_log = bool(objective.log_scale and f_min is not None and finite.size)
    if use_log:
        gap = np.maximum(f - f_min, 0.0)
        positive = gap[np.isfinite(gap) & (gap > 0)]
        typical = float(np.median(positive)) if positive.size else 1.0
        delta = 10.0 ** (math.floor(math.log10(typical)) - 4)
        with np.errstate(invalid="ignore"):
            z = np.log10(gap + delta)
        return ContourGrid(xs, ys, f, z, True, delta, float(f_min))
    if objective.log_scale and f_min is None and finite.size:
        low = float(finite.min())
        gap = f - low
        positive = gap[np.isfinite(gap) & (gap > 0)]
        if positive.size:
            p10, p99 = (float(v) for v in np.percentile(positive, (10, 99)))
            if p10 > 0 and math.log10(p99 / p10) > AUTO_LOG_DECADES:
                delta = 10.0 ** (math.floor(math.log10(p10)) - 2)
                with np.errstate(invalid="ignore"):
                    z = np.log10(gap + delta)
                return ContourGrid(xs, ys, f, z, True, delta, low, "f − lowest f in view")
    return ContourGrid(xs, ys, f, f, False, 0.0, float(f_min) if f_min is not None else 0.0)


# Colour scales as (position, (r, g, b)) anchors; low values get the strong colour so that
# the valley floor, where the paths end, stands out, and the light background keeps the
# coloured paths readable.
SEQUENTIAL = (
    (0.0, (8, 48, 107)),
    (0.15, (33, 113, 181)),
    (0.35, (107, 174, 214)),
    (0.6, (198, 219, 239)),
    (0.8, (235, 243, 250)),
    (1.0, (255, 255, 255)),
)
DIVERGING = (
    (0.0, (33, 102, 172)),
    (0.25, (146, 197, 222)),
    (0.5, (247, 247, 247)),
    (0.75, (244, 165, 130)),
    (1.0, (178, 24, 43)),
)
CONTOUR_LEVELS = 24


def _colorize(t: Array, scale: tuple) -> Array:
    """Map values in [0, 1] to RGB bytes by linear interpolation between anchors."""
    pos = np.array([a for a, _ in scale])
    rgb = np.array([c for _, c in scale], dtype=float)
    out = np.empty((*t.shape, 3))
    for k in range(3):
        out[..., k] = np.interp(t, pos, rgb[:, k])
    return out


def _png(rgba: Array) -> bytes:
    """Encode an (h, w, 4) uint8 array as a PNG (stdlib zlib; no imaging library needed)."""
    h, w, _ = rgba.shape
    raw = b"".join(b"\x00" + rgba[row].tobytes() for row in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _levels(grid: ContourGrid) -> tuple[float, float, float]:
    z = grid.z[np.isfinite(grid.z)]
    lo, hi = (float(z.min()), float(z.max())) if z.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi, (hi - lo) / CONTOUR_LEVELS


def contour_image(grid: ContourGrid) -> dict:
    """The filled contour as a background image (a ``layout.images`` entry).

    Plotly erases contour and heatmap traces when an animation with ``redraw: False``
    starts, and ``redraw: True`` redraws the whole figure at every frame; an image under
    the axes is untouched by animations. Bands are the contour levels, with a darker
    line where the level changes; points where f is not real and finite are transparent.
    """
    lo, hi, size = _levels(grid)
    z = grid.z
    finite = np.isfinite(z)
    band = np.floor((np.where(finite, z, lo) - lo) / size).clip(0, CONTOUR_LEVELS - 1)
    t = (band + 0.5) / CONTOUR_LEVELS
    if not grid.log and lo < 0 < hi:  # signed functions: white at f = 0
        t = np.where(z < 0, 0.5 * (z - lo) / -lo, 0.5 + 0.5 * z / hi)
        band_t = np.floor(t * CONTOUR_LEVELS)
        t = (band_t + 0.5) / CONTOUR_LEVELS
        band = band_t
    rgb = _colorize(t, DIVERGING if not grid.log and lo < 0 < hi else SEQUENTIAL)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] *= 0.78
    rgb = np.where(finite[..., None], rgb, 255.0)  # transparent there anyway
    alpha = np.where(finite, 235, 0)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).round().astype(np.uint8)
    rgba = rgba[::-1]  # image rows go from the top (y1) down
    (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
    return {
        "source": "data:image/png;base64," + base64.b64encode(_png(rgba)).decode("ascii"),
        "xref": "x",
        "yref": "y",
        "x": float(x0),
        "y": float(y1),
        "sizex": float(x1 - x0),
        "sizey": float(y1 - y0),
        "sizing": "stretch",
        "layer": "below",
        "opacity": 1.0,
        "name": "contour",
    }


def _colorbar_trace(grid: ContourGrid, style: Style) -> dict:
    """An undrawn scatter whose only job is the colour bar of the contour image."""
    lo, hi, _ = _levels(grid)
    diverging = not grid.log and lo < 0 < hi
    scale = DIVERGING if diverging else SEQUENTIAL
    colorbar: dict = {
        "thickness": 12,
        "len": 0.45,
        "y": 1.0,
        "yanchor": "top",
        "x": -0.07,
        "xanchor": "right",
        "tickfont": {"size": style.font - 2},
    }
    if grid.log:
        ticks = np.arange(math.ceil(lo), math.floor(hi) + 1)
        if ticks.size > 8:
            ticks = ticks[:: math.ceil(ticks.size / 8)]
        colorbar.update(
            title={"text": grid.reference, "side": "top"},
            tickvals=ticks.tolist(),
            ticktext=[tick(10.0**t) for t in ticks],
        )
    else:
        colorbar.update(title={"text": "f", "side": "top"})
    cmin, cmax = (lo, hi)
    if diverging:
        m = max(-lo, hi)
        cmin, cmax = -m, m
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "markers",
        "name": "f",
        "showlegend": False,
        "hoverinfo": "skip",
        "xaxis": "x",
        "yaxis": "y",
        "marker": {
            "color": [lo],
            "cmin": cmin,
            "cmax": cmax,
            "showscale": True,
            "colorscale": [[a, f"rgb{c}"] for a, c in scale],
            "colorbar": colorbar,
        },
    }


def _click_grid(objective: Objective, n: int = 31) -> dict:
    """Invisible points over the contour: contours emit no selection events, points do.

    A click picks the nearest point (so the start lands on a 31 × 31 grid over the plot
    bounds); every point is an SVG node, and 41 × 41 of them cost the browser ~130 ms per
    redraw.
    """
    (x0, x1), (y0, y1) = objective.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    pts = np.stack([xs.ravel(), ys.ravel()], axis=-1)
    with np.errstate(all="ignore"):
        f = objective.value(pts)
    return {
        "type": "scatter",
        "x": typed(pts[:, 0], "f4"),
        "y": typed(pts[:, 1], "f4"),
        "mode": "markers",
        "marker": {"size": 14, "color": "rgba(0,0,0,0)"},
        "customdata": typed(np.where(np.isfinite(f), f, np.nan), "f4"),
        "hovertemplate": "x=%{x:.3g}, y=%{y:.3g}<br>f=%{customdata:.4g}"
        "<br><i>click to start here</i><extra></extra>",
        "showlegend": False,
        "name": "click-to-start",
        "selected": {"marker": {"opacity": 0}},
        "unselected": {"marker": {"opacity": 0}},
        "xaxis": "x",
        "yaxis": "y",
    }


@functools.lru_cache(maxsize=32)
def _background(objective: Objective, resolution: int) -> tuple[ContourGrid, dict, dict]:
    """The parts of a figure that depend only on the objective, built once per objective.

    (Objectives compare by identity; the catalogue and the custom-formula cache hand out
    one object per function, so a slider move reuses the contour image.) Callers copy
    nothing: the dicts are treated as read-only.
    """
    grid = contour_grid(objective, resolution)
    return grid, contour_image(grid), _click_grid(objective)


# ---------------------------------------------------------------------------
# The main figure
# ---------------------------------------------------------------------------


def _field_values(path: PathView, name: str) -> tuple[Array, bool]:
    """A state field's history (T+1, 2), and whether it is signed (then drawn as |·|)."""
    hist = np.asarray(getattr(path.trajectory.states, name), dtype=float)
    signed = name in path.spec.signed_fields
    if not signed:
        finite = hist[np.isfinite(hist)]
        signed = bool(finite.size and finite.min() < 0)
    return (np.abs(hist) if signed else hist), signed


@dataclass(frozen=True)
class _Layout:
    """Where each panel sits (paper coordinates), computed once per figure shape."""

    height: int
    top: tuple[float, float]
    right_rows: tuple[tuple[float, float], ...]
    acc_rows: tuple[tuple[float, float], ...]


def _grid_layout(acc_rows: int, style: Style) -> _Layout:
    grow = 3 * (style.font - Style().font)  # presenter mode: bigger type needs more room
    top_margin = 34 + grow  # the legend sits above the panels
    row_gap = 58 + grow  # room for a panel's x-axis title and the next panel's title
    block_gap = 130 + 2 * grow  # between the top block and the accumulator rows
    controls = 150 + 2 * grow  # below the lowest panel: its axis title, the play button, slider
    height = top_margin + style.height_top + acc_rows * (style.height_row + block_gap) + controls
    px = 1.0 / height

    def band(top_px: float, h_px: float) -> tuple[float, float]:
        return (1 - (top_px + h_px) * px, 1 - top_px * px)

    top = band(top_margin, style.height_top)
    sub = (style.height_top - 2 * row_gap) / 3
    right = tuple(band(top_margin + i * (sub + row_gap), sub) for i in range(3))
    acc = tuple(
        band(
            top_margin + style.height_top + block_gap + i * (style.height_row + block_gap),
            style.height_row,
        )
        for i in range(acc_rows)
    )
    return _Layout(height, top, right, acc)


#: How every panel's axes look, in this figure and the Sensitivity view's.
AXIS_STYLE = {
    "showgrid": True,
    "gridcolor": "#e6e6e6",
    "zeroline": False,
    "linecolor": "#888",
    "mirror": True,
    "ticks": "outside",
}

_ACC_COLUMNS = ((0.0, 0.29), (0.355, 0.645), (0.71, 1.0))
_LEFT, _RIGHT = (0.0, 0.47), (0.57, 1.0)


class _Canvas:
    """What the panels of one figure share: its style, layout and frame steps, and the
    axes and titles they place."""

    def __init__(
        self, objective: Objective, paths: list[PathView], style: Style, shown: Array
    ) -> None:
        self.objective = objective
        self.paths = paths
        self.style = style
        self.shown = shown  # the step of each animation frame
        self.steps = paths[0].trajectory.steps if paths else 0
        self.geo = _grid_layout(math.ceil(sum(bool(p.spec.state_fields) for p in paths) / 3), style)
        self.layout: dict = {}
        self.annotations: list[dict] = []

    def title(self, text: str, x: float, y: float, **extra: object) -> None:
        self.annotations.append(
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": x,
                "y": y,
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": self.style.font + 1},
                **extra,
            }
        )

    def axis_pair(self, n: int, xdom: tuple, ydom: tuple, title: str) -> tuple[str, str]:
        """Axes number ``n`` (``x``/``y`` for 1, ``x2``/``y2``…) over the given domains."""
        suffix = "" if n == 1 else str(n)
        common = AXIS_STYLE
        self.layout[f"xaxis{suffix}"] = {"domain": list(xdom), "anchor": f"y{suffix}", **common}
        self.layout[f"yaxis{suffix}"] = {
            "domain": list(ydom),
            "anchor": f"x{suffix}",
            **common,
            "exponentformat": "power",
        }
        if title:
            self.title(title, (xdom[0] + xdom[1]) / 2, ydom[1])
        return f"x{suffix}", f"y{suffix}"

    def axis(self, name: str) -> dict:
        """The layout entry of axis ``x3`` / ``y3`` (``xaxis3`` / ``yaxis3``)."""
        return self.layout[f"{name[0]}axis{name[1:]}"]

    def step_axis(self, x: str, *, titled: bool = False) -> None:
        self.axis(x)["range"] = [-0.02 * max(self.steps, 1), self.steps * 1.02 + 1]
        if titled:
            self.axis(x)["title"] = {"text": "step"}


@dataclass
class Cursor:
    """One animated marker trace: a point per owner on axes ``(x, y)``, moved by every
    frame. ``ys`` (and ``xs``, unless the points sit at the frame's step) are one column
    per point, holding its value at each frame's step."""

    axes: tuple[str, str]
    owners: list[PathView]
    ys: list[Array]
    xs: list[Array] | None = None


class Panel:
    """One panel (or a set of panels) of :func:`trajectory_figure`.

    A new panel is one subclass: :meth:`place` makes its axes, :meth:`static_traces` and
    :meth:`path_traces` what is drawn once, :meth:`cursors` its animated markers (the
    frames are assembled from their columns), :meth:`finish` its axis ranges. The figure
    calls them in that order, panel by panel; the traces of one optimizer across the
    panels that draw paths stay together (legend groups).
    """

    def place(self, canvas: _Canvas) -> None:
        self.canvas = canvas

    def static_traces(self) -> list[dict]:
        return []

    def path_traces(self, path: PathView) -> list[dict]:  # noqa: ARG002 (a default)
        return []

    def cursors(self) -> list[Cursor]:
        return []

    def finish(self) -> None:
        return None


#: the opacity of a dimmed path (an open lesson is about another optimizer)
DIMMED_OPACITY = 0.35


def _path_line(path: PathView, style: Style, axes: tuple[str, str], **extra: object) -> dict:
    line = {
        "type": "scatter",
        "mode": "lines",
        "legendgroup": path.key,
        "name": path.label,
        "line": {"color": path.colour, "width": style.line, "dash": path.spec.dash},
        "xaxis": axes[0],
        "yaxis": axes[1],
        **extra,
    }
    if path.dimmed:
        line["opacity"] = DIMMED_OPACITY
    return line


class ContourPanel(Panel):
    """The objective's contour (a picture), the click grid, ghosts, minima, the start,
    each optimizer's path and a ✕ where one diverged; the cursor is each position."""

    def __init__(self, *, start, clickable: bool, resolution: int, ghosts) -> None:
        self.start, self.clickable, self.resolution, self.ghosts = (
            start,
            clickable,
            resolution,
            ghosts,
        )

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        self.axes = canvas.axis_pair(1, _LEFT, canvas.geo.top, "")

    def static_traces(self) -> list[dict]:
        c, style, objective = self.canvas, self.canvas.style, self.canvas.objective
        cx, cy = self.axes
        grid, self.image, click = _background(objective, self.resolution)
        traces = [_colorbar_trace(grid, style)]
        if self.clickable:
            traces.append(click)
        for positions, colour, label, *rest in self.ghosts:
            strong = bool(rest and rest[0])  # a lesson's named path: dotted, not faint
            traces.append(
                {
                    "type": "scatter",
                    "x": typed(positions[:, 0], "f4"),
                    "y": typed(positions[:, 1], "f4"),
                    "mode": "lines",
                    "opacity": 0.95 if strong else 0.3,
                    "hoverinfo": "name" if strong else "skip",
                    "line": {
                        "color": colour,
                        "width": style.line if strong else max(1.0, style.line / 2),
                        **({"dash": "dot"} if strong else {}),
                    },
                    "showlegend": strong,
                    "name": label,
                    "xaxis": cx,
                    "yaxis": cy,
                }
            )
            end = positions[-1]
            if strong and np.isfinite(end).all():
                traces.append(
                    {
                        "type": "scatter",
                        "x": [float(end[0])],
                        "y": [float(end[1])],
                        "mode": "markers",
                        "marker": {
                            "symbol": "square-open",
                            "size": style.marker - 2,
                            "color": colour,
                            "line": {"width": 2},
                        },
                        "name": f"{label}: end",
                        "showlegend": False,
                        "hovertemplate": f"{label} ends at (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
                        "xaxis": cx,
                        "yaxis": cy,
                    }
                )
        for m in objective.minima:
            traces.append(
                {
                    "type": "scatter",
                    "x": [m.point[0]],
                    "y": [m.point[1]],
                    "mode": "markers",
                    "marker": {
                        "symbol": "star",
                        "size": style.marker + 4,
                        "color": "gold" if m.is_global else "white",
                        "line": {"color": "black", "width": 1},
                    },
                    "name": "global minimum" if m.is_global else "local minimum",
                    "hovertemplate": f"minimum ({m.point[0]:.4g}, {m.point[1]:.4g})<br>"
                    f"f = {m.value:.6g}<extra></extra>",
                    "showlegend": False,
                    "xaxis": cx,
                    "yaxis": cy,
                }
            )
        start = self.start
        if start is None and c.paths:
            start = tuple(c.paths[0].trajectory.positions[0])
        if start is not None:
            traces.append(
                {
                    "type": "scatter",
                    "x": [start[0]],
                    "y": [start[1]],
                    "mode": "markers",
                    "marker": {
                        "symbol": "circle-open",
                        "size": style.marker + 5,
                        "color": "black",
                        "line": {"width": 2.5},
                    },
                    "name": "start",
                    "showlegend": False,
                    "xaxis": cx,
                    "yaxis": cy,
                    "hovertemplate": "start (%{x:.4g}, %{y:.4g})<extra></extra>",
                }
            )
        return traces

    def path_traces(self, path: PathView) -> list[dict]:
        style, objective, tr = self.canvas.style, self.canvas.objective, path.trajectory
        idx = _thin(tr.positions.shape[0])
        traces = [
            _path_line(
                path,
                style,
                self.axes,
                x=typed(tr.positions[idx, 0]),
                y=typed(tr.positions[idx, 1]),
                showlegend=True,
                hovertemplate=f"{path.label}<br>x=%{{x:.4g}}, y=%{{y:.4g}}<extra></extra>",
            )
        ]
        if tr.diverged_at < 0:  # where it ended: visible even under the start's marker
            end = tr.positions[-1]
            value = float(tr.values[-1])
            traces.append(
                {
                    "type": "scatter",
                    "x": [float(end[0])],
                    "y": [float(end[1])],
                    "mode": "markers",
                    "legendgroup": path.key,
                    "showlegend": False,
                    "name": f"{path.label}: end",
                    "opacity": DIMMED_OPACITY if path.dimmed else 1.0,
                    "marker": {
                        "symbol": "square",
                        "size": max(style.marker - 4, 5),
                        "color": path.colour,
                        "line": {"color": "white", "width": 1},
                    },
                    # the value as text: a slider move then only moves it (chart.js
                    # updates x, y and text in place; anything else redraws the figure)
                    "text": [f"{value:.6g}"],
                    "hovertemplate": f"{path.label} ends at step {tr.steps}<br>"
                    "(%{x:.4g}, %{y:.4g}), f = %{text}<extra></extra>",
                    "xaxis": self.axes[0],
                    "yaxis": self.axes[1],
                }
            )
        if tr.diverged_at >= 0:
            mx, my, at_edge = divergence_mark(tr.positions, objective.bounds)
            where = ""
            if at_edge:
                k = last_finite(tr.positions)
                where = (
                    f"<br>(it leaves the plot here; its last finite point is "
                    f"({tr.positions[k, 0]:.4g}, {tr.positions[k, 1]:.4g}))"
                )
            traces.append(
                {
                    "type": "scatter",
                    "x": [mx],
                    "y": [my],
                    "cliponaxis": False,  # whole at an edge
                    "mode": "markers",
                    "legendgroup": path.key,
                    "showlegend": False,
                    "marker": {
                        "symbol": "x",
                        "size": style.marker + 8,
                        "color": path.colour,
                        "line": {"width": 1.5, "color": "black"},
                    },
                    "name": f"{path.label} diverged",
                    "xaxis": self.axes[0],
                    "yaxis": self.axes[1],
                    "hovertemplate": f"{path.label} diverged at step {tr.diverged_at}{where}"
                    "<extra></extra>",
                }
            )
        return traces

    def cursors(self) -> list[Cursor]:
        paths, shown = self.canvas.paths, self.canvas.shown
        last = [last_finite(p.trajectory.positions) for p in paths]
        at = [p.trajectory.positions[np.minimum(shown, k)] for p, k in zip(paths, last)]
        return [Cursor(self.axes, paths, [a[:, 1] for a in at], [a[:, 0] for a in at])]

    def finish(self) -> None:
        (x0, x1), (y0, y1) = self.canvas.objective.bounds
        self.canvas.axis(self.axes[0]).update(range=[x0, x1], title={"text": "x"})
        self.canvas.axis(self.axes[1]).update(range=[y0, y1], title={"text": "y"})


class LossPanel(Panel):
    """f − f_min against the step (log y), or f where the objective has no minimum."""

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        self.has_min = canvas.objective.f_min is not None
        title = "f − f<sub>min</sub> (log scale)" if self.has_min else "f"
        self.axes = canvas.axis_pair(2, _RIGHT, canvas.geo.right_rows[0], title)
        self.series: list[Array] = []

    def path_traces(self, path: PathView) -> list[dict]:
        tr = path.trajectory
        loss = tr.values - self.canvas.objective.f_min if self.has_min else tr.values
        if self.has_min:  # a value at the minimum itself (gap 0) cannot sit on a log axis
            loss = np.where(loss > 0, loss, np.where(np.isfinite(loss), 1e-300, np.nan))
        self.series.append(loss)
        idx = _thin(tr.positions.shape[0])
        return [
            _path_line(
                path,
                self.canvas.style,
                self.axes,
                x=typed(idx),
                y=typed(loss[idx]),
                showlegend=False,
                hovertemplate=f"{path.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        ]

    def cursors(self) -> list[Cursor]:
        return [Cursor(self.axes, self.canvas.paths, [v[self.canvas.shown] for v in self.series])]

    def finish(self) -> None:
        self.canvas.step_axis(self.axes[0])
        y = self.canvas.axis(self.axes[1])
        if self.has_min:
            y.update(type="log", range=_log_range(self.series))
        else:
            y.update(range=_lin_range(self.series))


class RatePanel(Panel):
    """Each optimizer's realised per-dimension rate −Δxᵢ/gᵢ (``Trajectory.step_factor``):
    x and y, one panel each, on one log scale — the same quantity for every optimizer, so
    side by side they compare like with like. Where it is not positive (a momentum step
    against the gradient) a log scale has no place for it: the line has a gap there."""

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        rows = canvas.geo.right_rows
        self.axes = [
            canvas.axis_pair(3, _RIGHT, rows[1], "rate −Δx/g, x (log scale)"),
            canvas.axis_pair(4, _RIGHT, rows[2], "rate −Δy/g, y (log scale)"),
        ]
        self.series: list[Array] = []

    def path_traces(self, path: PathView) -> list[dict]:
        realised = path.trajectory.step_factor
        eff = np.where(realised > 0, realised, np.nan)  # NaN stays NaN
        self.series.append(eff)
        eidx = _thin(eff.shape[0])
        return [
            _path_line(
                path,
                self.canvas.style,
                axes,
                x=typed(eidx + 1),
                y=typed(eff[eidx, dim]),
                showlegend=False,
                hovertemplate=f"{path.label}<br>step %{{x}}<br>−Δx/g %{{y:.4g}}<extra></extra>",
            )
            for dim, axes in enumerate(self.axes)
        ]

    def cursors(self) -> list[Cursor]:
        shown = self.canvas.shown
        before = np.maximum(shown - 1, 0)
        return [
            Cursor(
                axes,
                self.canvas.paths,
                [np.where(shown >= 1, e[before, dim], np.nan) for e in self.series],
            )
            for dim, axes in enumerate(self.axes)
        ]

    def finish(self) -> None:
        lr_range = _log_range(self.series)
        for i, (x, y) in enumerate(self.axes):
            self.canvas.step_axis(x, titled=i == len(self.axes) - 1)
            self.canvas.axis(y).update(type="log", range=lr_range)


class AccumulatorPanel(Panel):
    """One panel per optimizer with state, three to a row: every state field, x solid
    and y dotted, log scale (signed fields as magnitudes ``|·|``)."""

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        self.stateful = [p for p in canvas.paths if p.spec.state_fields]
        if self.stateful:
            canvas.title(
                "<b>accumulators</b> per dimension — x solid, y dotted; log scale "
                "(signed ones as magnitudes |·|)",
                0.0,
                canvas.geo.acc_rows[0][1],
                yshift=30,
                xanchor="left",
            )
        self.axes = []
        self.fields: dict[tuple[str, str], tuple[Array, str]] = {}
        for i, p in enumerate(self.stateful):
            symbols = []
            for f in p.spec.state_fields:
                hist, signed = _field_values(p, f.name)
                sym = _latex_to_text(f"|{f.symbol}|" if signed else f.symbol)
                self.fields[(p.key, f.name)] = hist, sym
                symbols.append(sym)
            title = f"{p.label}: {', '.join(symbols)}"
            place = (_ACC_COLUMNS[i % 3], canvas.geo.acc_rows[i // 3])
            self.axes.append(canvas.axis_pair(5 + i, *place, title))

    def static_traces(self) -> list[dict]:
        style = self.canvas.style
        traces = []
        for p, (ax, ay) in zip(self.stateful, self.axes):
            for f in p.spec.state_fields:
                hist, sym = self.fields[(p.key, f.name)]
                idx = _thin(hist.shape[0])
                for dim, dash in ((0, "solid"), (1, "dot")):
                    traces.append(
                        {
                            "type": "scatter",
                            "x": typed(idx),
                            "y": typed(hist[idx, dim]),
                            "mode": "lines",
                            "line": {"color": p.colour, "width": style.line * 0.85, "dash": dash},
                            "legendgroup": p.key,
                            "showlegend": False,
                            "name": f"{sym} ({'xy'[dim]})",
                            "xaxis": ax,
                            "yaxis": ay,
                            "hovertemplate": f"{p.label}: {sym}, {'xy'[dim]}<br>step %{{x}}"
                            "<br>%{y:.4g}<extra></extra>",
                        }
                    )
                end = last_finite(hist)
                traces.append(
                    {
                        "type": "scatter",
                        "x": [end],
                        "y": [float(hist[end, 0])],
                        "mode": "text",
                        "text": [sym],
                        "textposition": "top left",
                        "textfont": {"color": p.colour, "size": style.font},
                        "showlegend": False,
                        "hoverinfo": "skip",
                        "name": sym,
                        "xaxis": ax,
                        "yaxis": ay,
                    }
                )
        return traces

    def cursors(self) -> list[Cursor]:
        shown = self.canvas.shown
        return [
            Cursor(
                axes,
                [p] * (2 * len(p.spec.state_fields)),
                [
                    self.fields[(p.key, f.name)][0][shown, dim]
                    for f in p.spec.state_fields
                    for dim in (0, 1)
                ],
            )
            for p, axes in zip(self.stateful, self.axes)
        ]

    def finish(self) -> None:
        for p, (ax, ay) in zip(self.stateful, self.axes):
            hists = [self.fields[(p.key, f.name)][0] for f in p.spec.state_fields]
            self.canvas.step_axis(ax, titled=True)
            self.canvas.axis(ay).update(type="log", range=_log_range(hists))


def _cursor_trace(cursor: Cursor, style: Style) -> dict:
    # customdata: the legend group of each point, so that a viewer can hide the cursor
    # of an optimizer hidden from the legend (the app's chart does)
    return {
        "type": "scatter",
        "x": [None] * len(cursor.owners),
        "y": [None] * len(cursor.owners),
        "mode": "markers",
        "showlegend": False,
        "hoverinfo": "skip",
        "name": "cursor",
        "marker": {
            "color": [p.colour for p in cursor.owners],
            "size": style.marker,
            "line": {"color": "white", "width": 1.5},
        },
        "customdata": [p.key for p in cursor.owners],
        "xaxis": cursor.axes[0],
        "yaxis": cursor.axes[1],
    }


def _frames(cursors: list[Cursor], indices: list[int], shown: Array) -> list[dict]:
    """One frame per shown step, moving every cursor. Each cursor's columns are rounded
    in one pass (building the values frame by frame cost ~10 ms of Python per move)."""

    def rows(columns: list[Array]) -> list[list]:
        """One list per frame: the columns' values at that frame, as :func:`_round` gives."""
        if not columns:
            return [[] for _ in shown]
        flat = _round(np.stack(columns, axis=1))
        n = len(columns)
        return [flat[i * n : (i + 1) * n] for i in range(len(shown))]

    ys = [rows(c.ys) for c in cursors]
    xs = [rows(c.xs) if c.xs is not None else None for c in cursors]
    frames = []
    for i, s in enumerate(shown):
        data = [
            {
                "type": "scatter",
                "x": x[i] if x is not None else [int(s)] * len(c.owners),
                "y": y[i],
            }
            for c, x, y in zip(cursors, xs, ys)
        ]
        frames.append({"name": str(s), "data": data, "traces": indices})
    return frames


def trajectory_figure(
    objective: Objective,
    paths: Sequence[PathView],
    *,
    start: tuple[float, float] | None = None,
    max_frames: int = MAX_FRAMES,
    frame_ms: int = 60,
    presenter: bool = False,
    clickable: bool = True,
    contour_resolution: int = 320,
    ghosts: Sequence[tuple[Array, str, str]] = (),
) -> go.Figure:
    """The synchronised, animated figure of one scene (see the module docstring), made of
    panels: :class:`ContourPanel`, :class:`LossPanel`, :class:`RatePanel` and
    :class:`AccumulatorPanel`.

    ``paths`` are single-start runs of the same length on ``objective``. ``ghosts`` are
    extra faint paths ``(positions, colour, label)`` drawn under the bold ones; a fourth
    element ``True`` makes one a lesson's named path (dotted, strong, in the legend, its
    end marked).

    The figure is assembled as plain dicts and wrapped without plotly's per-property
    validation (validating ~200 frames costs about a second per slider move); the tests
    check the structure instead.
    """
    style = Style.presenter() if presenter else Style()
    paths = list(paths)
    steps = paths[0].trajectory.steps if paths else 0
    canvas = _Canvas(objective, paths, style, frame_steps(steps, max_frames).astype(int))
    contour = ContourPanel(
        start=start, clickable=clickable, resolution=contour_resolution, ghosts=ghosts
    )
    path_panels: list[Panel] = [contour, LossPanel(), RatePanel()]
    panels: list[Panel] = [*path_panels, AccumulatorPanel()]
    for panel in panels:
        panel.place(canvas)

    traces: list[dict] = []
    for panel in panels[:1]:
        traces += panel.static_traces()
    for p in paths:  # an optimizer's path and curves together, panel by panel
        for panel in path_panels:
            traces += panel.path_traces(p)
    for panel in panels[1:]:
        traces += panel.static_traces()

    cursors = [c for panel in panels for c in panel.cursors()]
    indices = list(range(len(traces), len(traces) + len(cursors)))
    frames = _frames(cursors, indices, canvas.shown)
    for c, d in zip(cursors, frames[0]["data"] if frames else []):
        traces.append({**_cursor_trace(c, style), "x": d["x"], "y": d["y"]})
    for panel in panels:
        panel.finish()

    # --- animation controls ------------------------------------------------------------
    geo = canvas.geo
    controls_y = 95 / geo.height  # the lowest panel ends 150 px (or more) above the bottom
    slider_y = (95 - 36 - style.font) / geo.height  # below the buttons, with its label
    animate = {
        "frame": {"duration": 0, "redraw": False},
        "mode": "immediate",
        "transition": {"duration": 0},
    }
    play = {
        "frame": {"duration": frame_ms, "redraw": False},
        "fromcurrent": True,
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    layout = canvas.layout
    layout.update(
        height=geo.height,
        font={"size": style.font, "family": "Arial, Helvetica, sans-serif"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 80, "r": 20, "t": 20, "b": 10},
        legend={
            "orientation": "h",
            "x": 0.0,
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": style.font + 1},
        },
        hovermode="closest",
        dragmode="pan",
        clickmode="event+select",
        uirevision=objective.name,
        annotations=canvas.annotations,
        images=[contour.image],
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0.0,
                "y": controls_y,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 10, "r": 10},
                "font": {"size": style.font},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], animate]},
                ],
            }
        ],
        # the slider under the buttons, across the whole width, its "step N" label at the
        # right end (level with the buttons): nothing overlaps, however narrow the chart
        sliders=[
            {
                "active": 0,
                "x": 0.0,
                "len": 1.0,
                "y": slider_y,
                "yanchor": "top",
                "pad": {"t": 0},
                "transition": {"duration": 0},
                "currentvalue": {
                    "prefix": "step ",
                    "xanchor": "right",
                    "font": {"size": style.font, "color": "#222"},
                },
                "font": {"color": "rgba(0,0,0,0)"},  # 200 tick labels would be unreadable
                "ticklen": 3,
                "steps": [
                    {"label": str(int(s)), "method": "animate", "args": [[str(int(s))], animate]}
                    for s in canvas.shown
                ],
            }
        ],
    )
    return SpecFigure({"data": traces, "layout": layout, "frames": frames})


def _latex_to_text(symbol: str) -> str:
    """A state symbol in LaTeX (``E[\\Delta x^2]``) as plain text for Plotly titles."""
    return (
        symbol.replace(r"\Delta ", "Δ")
        .replace(r"\Delta", "Δ")
        .replace("^2", "²")
        .replace(r"\,", " ")
    )
