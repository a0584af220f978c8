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

from . import inspector, optimizers
from .colours import hex_rgb, ramp
from .numbers import distinct_labels, tick
from .objectives import Objective
from .optimizers import FALLBACK_COLOURS, OptimizerSpec
from .runner import Trajectory

Array = np.ndarray


def colour_of(key: str) -> str:
    """An optimizer's colour, the same in every panel: its spec's
    (:attr:`~optviz.optimizers.OptimizerSpec.line_colour`; a second instance of it,
    ``"<key>~2"``, its own: :func:`~optviz.optimizers.instance_style`), or for a key that
    is not registered a fallback picked by a checksum of the key (the same in every
    process)."""
    if optimizers.spec_key(key) in optimizers.REGISTRY:
        return optimizers.instance_style(key)[0]
    return FALLBACK_COLOURS[zlib.crc32(key.encode()) % len(FALLBACK_COLOURS)]


MAX_FRAMES = 200
MAX_LINE_POINTS = 1500  # line panels are thinned to this many points (markers use exact values)
#: the room plotly's own ▶ Play buttons and slider take under the panels, in pixels
PLAY_CONTROLS_PX = 88

__all__ = [
    "MAX_FRAMES",
    "THEMES",
    "GhostFan",
    "PathView",
    "Style",
    "Theme",
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

    def __init__(self, spec: dict, cursors: list[Cursor] | None = None) -> None:
        super().__init__()
        self._spec = spec
        self._cursors = cursors or []  # every step's cursor values (:meth:`cursor_at`)

    @property
    def spec(self) -> dict:
        return self._spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    def cursor_at(self, step: int) -> list[dict]:
        """Every step cursor's points at ``step`` (exact, any step: the figure's cursor
        table may keep only some steps), in the order of ``layout.meta.optvizCursor``."""
        return _cursor_values(self._cursors, step)

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

    @property
    def dash(self) -> str:
        """Its line style: the spec's, or a second instance's own."""
        return self._style[1]

    @property
    def marker(self) -> str:
        """The symbol along its path and at its end: the spec's, or an instance's own."""
        return self._style[2]

    @property
    def _style(self) -> tuple[str, str, str]:
        if optimizers.spec_key(self.key) in optimizers.REGISTRY:
            return optimizers.instance_style(self.key)
        return self.colour, self.spec.dash, self.spec.marker


@dataclass(frozen=True)
class Theme:
    """The colours of a figure that are not an optimizer's: background, text, grid, the
    contour's colour scales, the ghost fans' ramp.

    ``edge`` shades the contour's band edges: below 1 darker (the colour times ``edge``),
    above 1 lighter (``edge − 1`` of the way to white, so that edges show on near-black);
    ``halo`` outlines markers drawn over paths (the background's colour), ``ink`` marks
    drawn in no optimizer's colour (the start, a divergence's outline).
    """

    name: str
    paper: str
    plot: str
    text: str
    grid: str
    axis_line: str
    halo: str
    ink: str
    sequential: tuple
    diverging: tuple
    edge: float
    #: a ghost fan's sequential ramp, by the swept value (lightness rises with the value)
    ghost_ramp: tuple
    #: secondary text of a page around the figure (the HTML export's footer)
    muted: str = "#777777"
    #: secondary text and marks inside a figure (a panel's notes, a reference line)
    note: str = "#555555"
    #: a bar or cell that is neither good nor bad (a grid's "neither solved nor diverged")
    neutral: str = "#d9d9d9"
    #: the opacity of a dimmed path (an open lesson is about another optimizer): on a dark
    #: background a translucent line sinks into it sooner than on white
    dimmed_opacity: float = 0.35
    #: the opacity of a faint ghost path (the bold paths are drawn over it)
    ghost_opacity: float = 0.45


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
# On a dark page the contour stays dark and low in colour, so that the paths (mid to
# light colours) stand out: the valley floor a slate grey (no optimizer's hue), high ground
# near black; its band edges are drawn lighter (``Theme.edge`` above 1), so the shape of the
# function shows even where the fill is darkest.
SEQUENTIAL_DARK = (
    (0.0, (74, 82, 100)),
    (0.15, (60, 67, 83)),
    (0.35, (46, 52, 65)),
    (0.6, (34, 38, 48)),
    (0.8, (26, 29, 37)),
    (1.0, (20, 23, 30)),
)
DIVERGING_DARK = (
    (0.0, (52, 90, 146)),
    (0.25, (36, 54, 82)),
    (0.5, (28, 30, 36)),
    (0.75, (84, 44, 42)),
    (1.0, (148, 56, 50)),
)
# Plasma (matplotlib's; perceptually uniform, its lightness rising, readable with colour
# blindness), cut so that neither end disappears into the background.
PLASMA = (
    (0.0, (13, 8, 135)),
    (0.125, (75, 3, 161)),
    (0.25, (125, 3, 168)),
    (0.375, (168, 34, 150)),
    (0.5, (203, 70, 121)),
    (0.625, (229, 107, 93)),
    (0.75, (248, 148, 65)),
    (0.875, (253, 195, 40)),
    (1.0, (240, 249, 33)),
)


def _cut(scale: tuple, lo: float, hi: float) -> tuple:
    """The part ``[lo, hi]`` of a colour scale, as a scale of its own."""
    return tuple(
        (i / 8, tuple(round(float(255 * c)) for c in hex_rgb(ramp(t, scale))))
        for i, t in enumerate(np.linspace(lo, hi, 9))
    )


LIGHT = Theme(
    name="light",
    paper="white",
    plot="white",
    text="#222222",
    grid="#e6e6e6",
    axis_line="#888888",
    halo="white",
    ink="black",
    sequential=SEQUENTIAL,
    diverging=DIVERGING,
    edge=0.78,
    ghost_ramp=_cut(PLASMA, 0.0, 0.78),
)
#: Dark and high in contrast, for a projector: a near-black page, white text.
PROJECTOR = Theme(
    name="projector",
    paper="#0E1117",
    plot="#0E1117",
    text="#F5F5F5",
    grid="#3A3F4B",
    axis_line="#9AA0AA",
    halo="#0E1117",
    ink="white",
    sequential=SEQUENTIAL_DARK,
    diverging=DIVERGING_DARK,
    edge=1.2,
    ghost_ramp=_cut(PLASMA, 0.3, 1.0),
    muted="#B0B4BC",
    note="#B0B4BC",
    neutral="#4A505C",
    dimmed_opacity=0.7,
    ghost_opacity=0.6,
)
#: The themes by name: "light" (the default) and "projector" (the app's and the link's
#: ``theme``).
THEMES = {t.name: t for t in (LIGHT, PROJECTOR)}


def theme_of(name: str) -> Theme:
    """The theme called ``name`` (``ValueError`` naming the known ones otherwise)."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; known: {', '.join(THEMES)}") from None


@dataclass(frozen=True)
class Style:
    """Sizes for the screen, or (presenter mode) for a projector; its colours are the
    :class:`Theme`."""

    font: int = 13
    line: float = 2.2
    marker: int = 11
    height_top: int = 560
    height_row: int = 250
    theme: Theme = LIGHT
    #: at most this many markers along each path or curve (plotly's
    #: ``marker.maxdisplayed``, which staggers them between traces, so that two curves
    #: that coincide show both symbols): enough to tell lines apart, too few to clutter
    path_markers: int = 12

    @classmethod
    def presenter(cls, theme: str = "light") -> Style:
        return cls(
            font=19, line=4.0, marker=17, height_top=680, height_row=300, theme=theme_of(theme)
        )

    @classmethod
    def of(cls, presenter: bool = False, theme: str = "light") -> Style:
        """The presenter's sizes or the screen's, in the theme called ``theme``."""
        return cls.presenter(theme) if presenter else cls(theme=theme_of(theme))


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


def contour_image(grid: ContourGrid, theme: Theme = LIGHT) -> dict:
    """The filled contour as a background image (a ``layout.images`` entry).

    Plotly erases contour and heatmap traces when an animation with ``redraw: False``
    starts, and ``redraw: True`` redraws the whole figure at every frame; an image under
    the axes is untouched by animations. Bands are the contour levels, with a darker
    line where the level changes (lighter, on a dark theme); points where f is not real
    and finite are transparent.
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
    rgb = _colorize(t, theme.diverging if not grid.log and lo < 0 < hi else theme.sequential)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    if theme.edge <= 1.0:
        rgb[edge] = rgb[edge] * theme.edge
    else:  # towards white: a multiple of near-black would stay near-black
        rgb[edge] = rgb[edge] + (255.0 - rgb[edge]) * (theme.edge - 1.0)
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


def _colorbar_trace(grid: ContourGrid, style: Style, length: dict | None = None) -> dict:
    """An undrawn scatter whose only job is the colour bar of the contour image
    (``length``: its ``len`` and ``lenmode``, when a ghost fan's bar shares the side)."""
    lo, hi, _ = _levels(grid)
    diverging = not grid.log and lo < 0 < hi
    scale = style.theme.diverging if diverging else style.theme.sequential
    colorbar: dict = {
        "thickness": 12,
        "len": 0.45,
        "y": 1.0,
        "yanchor": "top",
        "x": -0.07,
        "xanchor": "right",
        "tickfont": {"size": style.font - 2},
        **(length or {}),
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
def _background(
    objective: Objective, resolution: int, theme: str = "light"
) -> tuple[ContourGrid, dict, dict]:
    """The parts of a figure that depend only on the objective, built once per objective.

    (Objectives compare by identity; the catalogue and the custom-formula cache hand out
    one object per function, so a slider move reuses the contour image.) Callers copy
    nothing: the dicts are treated as read-only.
    """
    grid = contour_grid(objective, resolution)
    return grid, contour_image(grid, theme_of(theme)), _click_grid(objective)


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
    #: the height as fixed and flexible bands (see :func:`_grid_layout`)
    fit: dict
    #: a fourth right-hand row holds the rate bars
    bars: bool = False


def _grid_layout(
    acc_rows: int, style: Style, *, controls: bool = True, bars: bool = False
) -> _Layout:
    """Where the panels sit. ``controls``: room at the bottom for plotly's ▶ Play buttons
    and step slider (the app's chart draws its own control bar above the figure instead).

    ``fit`` describes the figure's height as bands of pixels from the top, each fixed (a
    gap holding titles and tick labels) or flexible (a panel): a viewer that must fit the
    figure to a smaller window shrinks the flexible bands only, so that titles and tick
    labels keep their room (the app's chart does, see ``chart_frontend/chart.js``).
    ``bars``: a fourth right-hand row, under the step axis of the three, for the rate
    bars at the cursor (:class:`RateBarsPanel`).
    """
    grow = 3 * (style.font - Style().font)  # presenter mode: bigger type needs more room
    top_margin = 34 + grow  # the legend sits above the panels
    # between the right-hand panels: the next panel's title (the three share the step
    # axis, whose tick labels and title only the lowest shows)
    row_gap = 32 + grow // 2
    axis_room = 50 + grow * 2 // 3  # under a panel: its tick labels and axis title
    block_gap = 130 + 2 * grow  # between the top block and the accumulator rows
    # below the lowest panel: its axis title (and the play buttons and slider)
    bottom = 62 + (PLAY_CONTROLS_PX if controls else 0) + 2 * grow
    height = top_margin + style.height_top + acc_rows * (style.height_row + block_gap) + bottom
    px = 1.0 / height

    def band(top_px: float, h_px: float) -> tuple[float, float]:
        return (1 - (top_px + h_px) * px, 1 - top_px * px)

    top = band(top_margin, style.height_top)
    # the bars' row, under the rate panels' step axis: that axis keeps its tick labels but
    # no title there, and the bars say what they are in the legend, so the gap between
    # them holds one line of labels
    bars_gap = 30 + grow if bars else 0
    bars_h = round(0.2 * style.height_top) if bars else 0
    sub = (style.height_top - 2 * row_gap - bars_gap - bars_h) / 3
    right = tuple(band(top_margin + i * (sub + row_gap), sub) for i in range(3))
    if bars:
        right += (band(top_margin + style.height_top - bars_h, bars_h),)
    acc = tuple(
        band(
            top_margin + style.height_top + block_gap + i * (style.height_row + block_gap),
            style.height_row,
        )
        for i in range(acc_rows)
    )
    bands: list[tuple[float, float, bool]] = [(0.0, top_margin, False)]
    for i in range(3):
        at = top_margin + i * (sub + row_gap)
        if i:
            bands.append((at - row_gap, at, False))
        bands.append((at, at + sub, True))
    if bars:
        at = top_margin + 3 * sub + 2 * row_gap
        bands += [(at, at + bars_gap, False), (at + bars_gap, at + bars_gap + bars_h, True)]
    at = top_margin + style.height_top
    for _ in range(acc_rows):
        bands += [
            (at, at + block_gap, False),
            (at + block_gap, at + block_gap + style.height_row, True),
        ]
        at += block_gap + style.height_row
    bands.append((at, height, False))
    # what must be seen on the first screen: the top block and its step axis' title
    anchor = top_margin + style.height_top + axis_room
    fit = {"height": height, "bands": [list(b) for b in bands], "anchor": anchor}
    return _Layout(height, top, right, acc, fit, bars)


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
        self,
        objective: Objective,
        paths: list[PathView],
        style: Style,
        shown: Array,
        *,
        controls: bool = True,
        bars: bool = False,
    ) -> None:
        self.objective = objective
        self.paths = paths
        self.style = style
        self.shown = shown  # the steps the cursors' columns hold: every step
        self.steps = paths[0].trajectory.steps if paths else 0
        acc_rows = math.ceil(sum(bool(p.spec.state_fields) for p in paths) / 3)
        self.geo = _grid_layout(acc_rows, style, controls=controls, bars=bars)
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
        theme = self.style.theme
        common = {**AXIS_STYLE, "gridcolor": theme.grid, "linecolor": theme.axis_line}
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

    def step_axis(self, x: str, *, titled: bool = False, labelled: bool = True) -> None:
        self.axis(x)["range"] = [-0.02 * max(self.steps, 1), self.steps * 1.02 + 1]
        if titled:
            self.axis(x)["title"] = {"text": "step"}
        if not labelled:  # a panel above another on the same steps: its labels are below
            self.axis(x)["showticklabels"] = False


@dataclass
class Cursor:
    """One animated marker trace: a point per owner on axes ``(x, y)``, moved by every
    frame. ``ys`` (and ``xs``, unless the points sit at the frame's step) are one column
    per point, holding its value at each frame's step. ``zs``: the points' heights, for a
    cursor in the 3-D view's scene (``axes`` is then ``("scene", "")``; its trace is a
    ``scatter3d``, moved by ``Plotly.restyle`` in the app: ``Plotly.animate`` does not
    move 3-D traces)."""

    axes: tuple[str, str]
    owners: list[PathView]
    ys: list[Array]
    xs: list[Array] | None = None
    #: how its trace is drawn, when not as the cursor's markers (an arrow: a line)
    trace: dict | None = None
    zs: list[Array] | None = None


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


#: the opacity of a dimmed path on the light theme (each theme has its own,
#: :attr:`Theme.dimmed_opacity`)
DIMMED_OPACITY = LIGHT.dimmed_opacity


def _path_line(path: PathView, style: Style, axes: tuple[str, str], **extra: object) -> dict:
    """One optimizer's path or curve: its colour, its dash and, every so often, its
    marker (at most ``style.path_markers`` of them; plotly staggers them between traces,
    so two curves that coincide still show both symbols)."""
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "legendgroup": path.key,
        "name": path.label,
        "line": {"color": path.colour, "width": style.line, "dash": path.dash},
        "marker": {
            "symbol": path.marker,
            "size": max(6, round(style.marker * 0.7)),
            "color": path.colour,
            "maxdisplayed": style.path_markers,
            "line": {"color": style.theme.halo, "width": 1},
        },
        "xaxis": axes[0],
        "yaxis": axes[1],
        **extra,
    }
    if path.dimmed:
        line["opacity"] = style.theme.dimmed_opacity
    return line


@dataclass(frozen=True)
class GhostFan:
    """Faint paths for a fan of values of one hyperparameter (one batched run), drawn
    under the bold paths: each coloured on a sequential ramp by its value (a colour bar
    beside the contour states the values), labelled with as many digits as tell the
    values apart (:func:`~optviz.numbers.distinct_labels`), each ending in a dot (a ✕
    where it diverged).

    ``positions`` has shape ``(T+1, n, 2)``, one column per value; ``scale`` is how the
    values are spread over the ramp: ``"log"`` (ε, a learning rate), ``"log1m"``
    (1 − value on a log scale: a decay rate ρ or β near 1) or ``"linear"``.
    """

    key: str
    name: str
    symbol: str
    values: tuple[float, ...]
    positions: Array
    scale: str = "linear"

    @property
    def labels(self) -> list[str]:
        """Each value's label (``adadelta rho=0.9995``: the link's notation)."""
        return [f"{self.key} {self.name}={t}" for t in distinct_labels(self.values)]

    @property
    def ramp_positions(self) -> Array:
        """Where each value sits on the ramp, in [0, 1], increasing with the value."""
        v = np.asarray(self.values, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.scale == "log":
                u = np.log10(v)
            elif self.scale == "log1m":
                u = -np.log10(1.0 - v)
            else:
                u = v
        lo, hi = float(np.min(u)), float(np.max(u))
        return (u - lo) / (hi - lo) if hi > lo else np.full(u.shape, 0.5)

    def colours(self, theme: Theme) -> list[str]:
        """Each ghost's colour on ``theme``'s ramp."""
        return [ramp(t, theme.ghost_ramp) for t in self.ramp_positions]


def _end_point(positions: Array) -> tuple[float, float, bool]:
    """A path's last finite point, and whether it diverged (NaN after it)."""
    k = last_finite(positions)
    return float(positions[k, 0]), float(positions[k, 1]), k < positions.shape[0] - 1


def fan_traces(fan: GhostFan, style: Style, axes: tuple[str, str], bar: dict) -> list[dict]:
    """A ghost fan's lines (thin, translucent: the bold paths stay readable on top), one
    trace of their ends, and its colour bar (``bar``: where it sits)."""
    colours, labels = fan.colours(style.theme), fan.labels
    traces = []
    for i, (colour, label) in enumerate(zip(colours, labels)):
        traces.append(
            {
                "type": "scatter",
                "x": typed(fan.positions[:, i, 0], "f4"),
                "y": typed(fan.positions[:, i, 1], "f4"),
                "mode": "lines",
                "opacity": style.theme.ghost_opacity,
                "hoverinfo": "name",
                "line": {"color": colour, "width": max(1.2, style.line * 0.6)},
                "showlegend": False,
                "name": label,
                "xaxis": axes[0],
                "yaxis": axes[1],
            }
        )
    ends = [_end_point(fan.positions[:, i]) for i in range(len(labels))]
    traces.append(
        {
            "type": "scatter",
            "x": [e[0] for e in ends],
            "y": [e[1] for e in ends],
            "mode": "markers",
            "marker": {
                "symbol": ["x" if e[2] else "circle" for e in ends],
                "size": max(6, style.marker - 4),
                "color": colours,
                "line": {"color": style.theme.halo, "width": 1},
            },
            "text": [f"{t} ends" + (" (diverged)" if e[2] else "") for t, e in zip(labels, ends)],
            "hovertemplate": "%{text} at (%{x:.4g}, %{y:.4g})<extra></extra>",
            "showlegend": False,
            "name": f"ghost ends: {fan.key} {fan.name}",
            "xaxis": axes[0],
            "yaxis": axes[1],
        }
    )
    t = fan.ramp_positions
    shown = np.unique(np.round(np.linspace(0, len(labels) - 1, min(len(labels), 7))).astype(int))
    short = distinct_labels(fan.values)
    traces.append(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": f"ghost colour bar: {fan.key} {fan.name}",
            "showlegend": False,
            "hoverinfo": "skip",
            "xaxis": axes[0],
            "yaxis": axes[1],
            "marker": {
                "color": [0.0],
                "cmin": 0.0,
                "cmax": 1.0,
                "showscale": True,
                "colorscale": [[a, f"rgb{c}"] for a, c in style.theme.ghost_ramp],
                "colorbar": {
                    "thickness": 12,
                    "x": -0.07,
                    "xanchor": "right",
                    "title": {"text": f"ghosts' {fan.symbol}", "side": "top"},
                    "tickvals": [float(t[i]) for i in shown],
                    "ticktext": [short[i] for i in shown],
                    "tickfont": {"size": style.font - 2},
                    **bar,
                },
            },
        }
    )
    return traces


#: the opacity of a faint ghost path on the light theme (the bold paths are drawn over it;
#: each theme has its own, :attr:`Theme.ghost_opacity`)
GHOST_OPACITY = LIGHT.ghost_opacity


#: the arrows drawn at the step cursor (:meth:`ContourPanel._arrows`), in order
ARROW_KINDS = ("step", "gradient", "velocity")
ARROW_NAMES = {
    "step": "next step Δx",
    "gradient": "−η·g (−g in Δx's length for a method without η)",
    "velocity": "velocity v",
}
ARROW_DASHES = {"step": "solid", "gradient": "dot", "velocity": "dash"}
#: the length the median step is magnified to, as a share of the plot's span
ARROW_TARGET = 0.15


def _spans(bounds: tuple) -> Array:
    (x0, x1), (y0, y1) = bounds
    return np.array([x1 - x0, y1 - y0], dtype=np.float64)


def step_arrows(path: PathView) -> list[tuple[Array, Array | None]]:
    """For each step t = 0 … T of ``path``, in the plot's coordinates, the arrows at x_t
    as (tails, vectors) per :data:`ARROW_KINDS` (rows of NaN where there is none: the
    last step, after a divergence): the step taken next Δx_t = x_{t+1} − x_t; the plain
    gradient step −η·g_t at the optimizer's learning rate (for a method without one,
    ADADELTA, −g_t scaled to Δx_t's length: its direction); the velocity v_t of a method
    that keeps one (momentum), else None. A stretched run's x components are measured
    back in the plot's x (divided by s)."""
    tr = path.trajectory
    n = tr.positions.shape[0]
    tails = tr.positions
    back = np.array([1.0 / float(tr.objective.stretch), 1.0])

    def padded(rows: Array) -> Array:
        out = np.full((n, 2), np.nan)
        out[: rows.shape[0]] = rows
        return out

    step = padded(tr.updates * back)
    g = padded(tr.grads * back)  # (a gradient in x' is ∂f/∂x' = (∂f/∂x)/s: the same factor)
    hp = dict(tr.optimizer.hyperparams)
    if path.spec.lr_kind == optimizers.LR_NONE or "lr" not in hp:
        with np.errstate(invalid="ignore", divide="ignore"):
            length = np.hypot(*step.T) / np.hypot(*g.T)
        gradient = -g * length[:, None]
    else:
        gradient = -float(hp["lr"]) * g
    velocity = None
    if "velocity" in tr.state_fields:
        velocity = np.asarray(tr.states.velocity, dtype=np.float64) * back
    return [(tails, step), (tails, gradient), (tails, velocity)]


def arrow_magnifier(steps: Array, span: Array) -> float:
    """The factor one optimizer's arrows are drawn with (the same at every step and for
    all its arrows, so that their angles and relative lengths are true): 1 when its first
    steps are visible as they are, else the power of ten nearest to drawing the median of
    its first 20 steps :data:`ARROW_TARGET` of the plot's span long — but never one that
    sends any of its first ten steps beyond half the plot. (The first steps are the ones a
    class steps through; the legend states every factor.)"""
    lengths = np.hypot(*(steps[:20] / span).T)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not lengths.size:
        return 1.0
    median = float(np.median(lengths))
    factor = 10 ** max(round(math.log10(ARROW_TARGET / median)), 0)
    first = float(lengths[:10].max())
    while factor > 1 and first * factor > 0.5:
        factor //= 10
    return float(factor)


def arrow_points(tails: Array, vectors: Array, span: Array, barb: float = 0.3) -> Array:
    """Arrows as polylines, ``(n, 5, 2)``: tail, head, one barb's end, head, the other's,
    for ``tails`` and ``vectors`` of shape ``(n, 2)``. Each barb is ``barb`` of the arrow
    long (at most 4 % of the plot's span), 25° off the shaft, drawn in the plot's
    proportions (``span``: the x and y ranges) so that a head looks the same either way;
    NaN rows where a vector is NaN or zero."""
    heads = tails + vectors
    unit = vectors / span
    length = np.hypot(*unit.T)
    with np.errstate(invalid="ignore", divide="ignore"):
        back = -unit / length[:, None] * np.minimum(barb * length, 0.04)[:, None]
    out = np.full((tails.shape[0], 5, 2), np.nan)
    for i, angle in ((2, 0.436), (4, -0.436)):  # ±25°
        c, s_ = math.cos(angle), math.sin(angle)
        rotated = np.stack([c * back[:, 0] - s_ * back[:, 1], s_ * back[:, 0] + c * back[:, 1]], 1)
        out[:, i] = heads + rotated * span
    out[:, 0], out[:, 1], out[:, 3] = tails, heads, heads
    bad = ~np.isfinite(length) | (length == 0)
    out[bad] = np.nan
    return out


class ContourPanel(Panel):
    """The objective's contour (a picture), the click grid, ghosts, minima, the start,
    each optimizer's path and a ✕ where one diverged; the cursor is each position."""

    def __init__(
        self, *, start, clickable: bool, resolution: int, ghosts, fan=None, arrows=False
    ) -> None:
        self.start, self.clickable, self.resolution, self.ghosts, self.fan = (
            start,
            clickable,
            resolution,
            ghosts,
            fan,
        )
        self.arrows = arrows

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        self.axes = canvas.axis_pair(1, _LEFT, canvas.geo.top, "")

    def static_traces(self) -> list[dict]:
        c, style, objective = self.canvas, self.canvas.style, self.canvas.objective
        cx, cy = self.axes
        grid, self.image, click = _background(objective, self.resolution, style.theme.name)
        if self.fan is not None:  # two colour bars, one above the other, left of the contour
            half = {"len": 0.47 * style.height_top, "lenmode": "pixels"}
            traces = [_colorbar_trace(grid, style, half)]
        else:
            traces = [_colorbar_trace(grid, style)]
        if self.clickable:
            traces.append(click)
        if self.fan is not None:
            bar = {**half, "y": c.geo.top[0], "yanchor": "bottom"}
            traces += fan_traces(self.fan, style, self.axes, bar)
        for positions, colour, label, *rest in self.ghosts:
            strong = bool(rest and rest[0])  # a lesson's named path: dotted, not faint
            traces.append(
                {
                    "type": "scatter",
                    "x": typed(positions[:, 0], "f4"),
                    "y": typed(positions[:, 1], "f4"),
                    "mode": "lines",
                    "opacity": 0.95 if strong else style.theme.ghost_opacity,
                    "hoverinfo": "name",
                    "line": {
                        "color": colour,
                        "width": style.line if strong else max(1.2, style.line * 0.6),
                        **({"dash": "dot"} if strong else {}),
                    },
                    "showlegend": strong,
                    "name": label,
                    "xaxis": cx,
                    "yaxis": cy,
                }
            )
            ex, ey, diverged = _end_point(positions)
            if np.isfinite([ex, ey]).all():  # every ghost's end is marked
                traces.append(
                    {
                        "type": "scatter",
                        "x": [ex],
                        "y": [ey],
                        "mode": "markers",
                        "opacity": 1.0 if strong else 0.8,
                        "marker": {
                            "symbol": "x" if diverged else "square-open" if strong else "circle",
                            "size": style.marker - 2 if strong else max(6, style.marker - 4),
                            "color": colour,
                            "line": {"width": 2}
                            if strong
                            else {"color": style.theme.halo, "width": 1},
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
                        "color": style.theme.ink,
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
                    "opacity": style.theme.dimmed_opacity if path.dimmed else 1.0,
                    "marker": {  # its own symbol, larger than those along the path
                        "symbol": path.marker,
                        "size": style.marker,
                        "color": path.colour,
                        "line": {"color": style.theme.halo, "width": 1.5},
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
                        "line": {"width": 1.5, "color": style.theme.ink},
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
        points = [Cursor(self.axes, paths, [a[:, 1] for a in at], [a[:, 0] for a in at])]
        return points + (self._arrows() if self.arrows else [])

    def _arrows(self) -> list[Cursor]:
        """At the cursor, for each optimizer: the step it takes next (solid), the plain
        gradient step −η·g (dotted) and, for momentum, its velocity (dashed), all
        magnified by the same :attr:`magnifier` (:func:`step_arrows`)."""
        style, span = self.canvas.style, _spans(self.canvas.objective.bounds)
        vectors = {p.key: step_arrows(p) for p in self.canvas.paths}
        self.magnifiers = {k: arrow_magnifier(v[0][1], span) for k, v in vectors.items()}
        out = []
        for p in self.canvas.paths:
            for kind, (tail, vec) in zip(ARROW_KINDS, vectors[p.key]):
                if vec is None:
                    continue
                pts = arrow_points(tail, self.magnifiers[p.key] * vec, span)
                out.append(
                    Cursor(
                        self.axes,
                        [p] * pts.shape[1],
                        [pts[:, i, 1] for i in range(pts.shape[1])],
                        [pts[:, i, 0] for i in range(pts.shape[1])],
                        trace={
                            "mode": "lines",
                            "name": f"{p.label}: {ARROW_NAMES[kind]}",
                            "legendgroup": "arrows",
                            "line": {
                                "color": p.colour,
                                "width": style.line + (0.5 if kind == "step" else 0),
                                "dash": ARROW_DASHES[kind],
                            },
                            "opacity": style.theme.dimmed_opacity if p.dimmed else 1.0,
                            "cliponaxis": True,
                        },
                    )
                )
        return out

    def arrow_legend(self) -> list[dict]:
        """A legend entry that says what the arrows are (short: a long entry breaks the
        legend's row), and a note in the contour's corner that says which optimizers'
        arrows are drawn longer, and by how much."""
        if not self.arrows:
            return []

        def name(p: PathView) -> str:
            n = optimizers.instance_number(p.key)
            return p.spec.display_name + ("" if n == 1 else f" {n}")

        grown = [
            f"{name(p)} {self.magnifiers[p.key]:g}"
            for p in self.canvas.paths
            if self.magnifiers[p.key] != 1
        ]
        theme = self.canvas.style.theme
        self.canvas.annotations.append(
            {
                "text": "arrows ×: " + ", ".join(grown) if grown else "arrows at true length",
                "xref": f"{self.axes[0]} domain",
                "yref": f"{self.axes[1]} domain",
                # above the contour's top right corner: never over a path or a start
                "x": 1.0,
                "y": 1.0,
                "xanchor": "right",
                "yanchor": "bottom",
                "yshift": 2,
                "showarrow": False,
                "font": {"size": max(self.canvas.style.font - 4, 10), "color": theme.text},
                "name": "arrow magnifiers",
            }
        )
        return [
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "name": "arrows: Δx —, −η·g ···, v - -",
                "legendgroup": "arrows",
                "showlegend": True,
                "line": {"color": theme.text, "width": 1.5},
                "hoverinfo": "skip",
                "xaxis": self.axes[0],
                "yaxis": self.axes[1],
            }
        ]

    def finish(self) -> None:
        (x0, x1), (y0, y1) = self.canvas.objective.bounds
        self.canvas.axis(self.axes[0]).update(range=[x0, x1], title={"text": "x"})
        self.canvas.axis(self.axes[1]).update(range=[y0, y1], title={"text": "y"})


#: samples per side of the 3-D view's surface (the contour's picture has 320: a mesh that
#: fine makes each redraw of the scene slow in a browser drawing without a GPU)
SURFACE_RESOLUTION = 90
#: paths, points and the cursor are drawn this share of the height's range above the
#: surface they lie on (on it exactly, the surface would hide half of each line)
SURFACE_LIFT = 0.012
#: the marker symbols plotly's 3-D scene draws; a path's other symbols become the nearest
_SYMBOLS_3D = (
    "circle",
    "circle-open",
    "cross",
    "diamond",
    "diamond-open",
    "square",
    "square-open",
    "x",
)


def symbol_3d(symbol: str) -> str:
    """``symbol`` as a symbol of plotly's 3-D scene (which has only :data:`_SYMBOLS_3D`)."""
    if symbol in _SYMBOLS_3D:
        return symbol
    for base in ("diamond", "square", "cross", "x"):
        if symbol.startswith(base):
            return base
    return "circle-open" if symbol.endswith("-open") else "circle"


def surface_height(grid: ContourGrid, values: Array) -> Array:
    """The height the 3-D view draws a value of f at: the contour's own quantity,
    ``log10(max(f − f_min, 0) + δ)`` where the contour is log-scaled, else ``f`` itself
    (NaN stays NaN: not drawn)."""
    v = np.asarray(values, dtype=np.float64)
    if not grid.log:
        return v
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log10(np.maximum(v - grid.f_min, 0.0) + grid.delta)


class SurfacePanel(ContourPanel):
    """The 3-D view of the contour panel: the surface of f (the height is the contour's
    quantity, :func:`surface_height`: log-scaled where the contour is), every path, ghost,
    minimum and the start lifted onto it, each path's shadow on the floor, and the step
    cursor (one point per optimizer, with its arrows drawn level at the cursor's height)
    in a rotatable ``scene``. The other panels are unchanged and share the step."""

    def place(self, canvas: _Canvas) -> None:
        Panel.place(self, canvas)
        self.axes = ("scene", "")
        self.image = None
        self.grid = contour_grid(canvas.objective, SURFACE_RESOLUTION)
        lo, hi, _ = _levels(self.grid)
        self.floor = lo - 0.04 * (hi - lo)
        self.z_range = (self.floor, hi + 0.02 * (hi - lo))
        theme = canvas.style.theme

        def axis(title: str, **extra: object) -> dict:
            return {
                "title": {"text": title, "font": {"size": max(12, canvas.style.font - 2)}},
                "backgroundcolor": theme.plot,
                "gridcolor": theme.grid,
                "linecolor": theme.axis_line,
                "zerolinecolor": theme.axis_line,
                "color": theme.text,
                "showbackground": True,
                # small, few labels: the scene is a third of the screen, seen at an angle
                "tickfont": {"size": max(11, canvas.style.font - 3)},
                "nticks": 5,
                **extra,
            }

        canvas.layout["scene"] = {
            "domain": {"x": list(_LEFT), "y": list(canvas.geo.top)},
            "xaxis": axis("x"),
            "yaxis": axis("y"),
            # (untitled: a title there is cut off by the scene's edge at most angles; the
            # colour bar beside it names the height, and its ticks are the same)
            "zaxis": axis("", **self._z_ticks()),
            "aspectmode": "manual",
            "aspectratio": {"x": 1.0, "y": 1.0, "z": 0.6},
            "camera": {"eye": {"x": -1.3, "y": -1.55, "z": 1.05}},
            "dragmode": "turntable",
            "bgcolor": theme.plot,
        }

    def _z_ticks(self) -> dict:
        """Ticks of a log-scaled height labelled in f − f_min, like the colour bar's."""
        if not self.grid.log:
            return {}
        lo, hi, _ = _levels(self.grid)
        ticks = np.arange(math.ceil(lo), math.floor(hi) + 1)
        if ticks.size > 6:
            ticks = ticks[:: math.ceil(ticks.size / 6)]
        return {"tickvals": ticks.tolist(), "ticktext": [tick(10.0**t) for t in ticks]}

    def lift(self, positions: Array, *, above: bool = True) -> Array:
        """The heights of ``positions`` (..., 2) on the surface (the plotted objective's f),
        drawn :data:`SURFACE_LIFT` of the height's range above it (``above``), so that a
        path on the surface is not hidden in it; hover texts give the true f."""
        with np.errstate(all="ignore"):
            f = self.canvas.objective.value(np.asarray(positions, dtype=np.float64))
        lo, hi = self.z_range
        return surface_height(self.grid, f) + (SURFACE_LIFT * (hi - lo) if above else 0.0)

    def _line3d(self, positions: Array, heights: Array, **extra: object) -> dict:
        return {
            "type": "scatter3d",
            "x": typed(positions[:, 0], "f4"),
            "y": typed(positions[:, 1], "f4"),
            "z": typed(heights, "f4"),
            "mode": "lines",
            "scene": "scene",
            **extra,
        }

    def _marker3d(self, x: float, y: float, z: float, **extra: object) -> dict:
        return {
            "type": "scatter3d",
            "x": [x],
            "y": [y],
            "z": [z if math.isfinite(z) else None],
            "mode": "markers",
            "scene": "scene",
            "showlegend": False,
            **extra,
        }

    def static_traces(self) -> list[dict]:
        c, style, grid = self.canvas, self.canvas.style, self.grid
        lo, hi, size = _levels(grid)
        bar = _colorbar_trace(grid, style)["marker"]
        colorbar = dict(bar["colorbar"])
        if self.fan is not None:  # the ghosts' bar shares the side: each takes half
            colorbar.update(len=0.47 * style.height_top, lenmode="pixels")
        traces = [
            {
                "type": "surface",
                "x": typed(grid.xs),
                "y": typed(grid.ys),
                "z": typed(grid.z),
                "customdata": typed(grid.f),
                "name": "f",
                "showlegend": False,
                "scene": "scene",
                "colorscale": bar["colorscale"],
                "cmin": bar["cmin"],
                "cmax": bar["cmax"],
                "showscale": True,
                "colorbar": colorbar,
                "opacity": 0.92,
                "contours": {
                    "z": {
                        "show": True,
                        "start": lo,
                        "end": hi,
                        "size": size * 2,
                        "color": style.theme.axis_line,
                        "width": 1,
                    }
                },
                "hovertemplate": "(%{x:.4g}, %{y:.4g})<br>f = %{customdata:.6g}<extra></extra>",
            }
        ]
        if self.fan is not None:
            traces += self._fan_traces()
        for positions, colour, label, *rest in self.ghosts:
            strong = bool(rest and rest[0])
            traces.append(
                self._line3d(
                    positions,
                    self.lift(positions),
                    opacity=0.95 if strong else style.theme.ghost_opacity,
                    line={
                        "color": colour,
                        "width": 4 if strong else 2,
                        **({"dash": "dot"} if strong else {}),
                    },
                    name=label,
                    showlegend=strong,
                    hoverinfo="name",
                )
            )
        for m in c.objective.minima:
            z = float(self.lift(np.array(m.point, dtype=np.float64)))
            traces.append(
                self._marker3d(
                    m.point[0],
                    m.point[1],
                    z,
                    marker={
                        "symbol": "diamond",
                        "size": max(5, style.marker - 4),
                        "color": "gold" if m.is_global else "white",
                        "line": {"color": "black", "width": 1},
                    },
                    name="global minimum" if m.is_global else "local minimum",
                    hovertemplate=f"minimum ({m.point[0]:.4g}, {m.point[1]:.4g})<br>"
                    f"f = {m.value:.6g}<extra></extra>",
                )
            )
        start = self.start
        if start is None and c.paths:
            start = tuple(c.paths[0].trajectory.positions[0])
        if start is not None:
            z = float(self.lift(np.array(start, dtype=np.float64)))
            traces.append(
                self._marker3d(
                    start[0],
                    start[1],
                    z,
                    marker={
                        "symbol": "circle-open",
                        "size": style.marker - 2,
                        "color": style.theme.ink,
                        "line": {"width": 3},
                    },
                    name="start",
                    hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>",
                )
            )
        return traces

    def _fan_traces(self) -> list[dict]:
        """The ghost fan lifted onto the surface, and its colour bar (a marker trace's)."""
        fan, style = self.fan, self.canvas.style
        colours, labels = fan.colours(style.theme), fan.labels
        traces = [
            self._line3d(
                fan.positions[:, i],
                self.lift(fan.positions[:, i]),
                opacity=style.theme.ghost_opacity,
                line={"color": colour, "width": 2},
                name=label,
                showlegend=False,
                hoverinfo="name",
            )
            for i, (colour, label) in enumerate(zip(colours, labels))
        ]
        flat = fan_traces(fan, style, ("x", "y"), {})[-1]  # the 2-D view's colour bar
        marker = dict(flat["marker"])
        marker["colorbar"] = {
            **marker["colorbar"],
            "len": 0.47 * style.height_top,
            "lenmode": "pixels",
            "y": self.canvas.geo.top[0],
            "yanchor": "bottom",
        }
        traces.append(
            {
                "type": "scatter3d",
                "x": [None],
                "y": [None],
                "z": [None],
                "mode": "markers",
                "scene": "scene",
                "name": flat["name"],
                "showlegend": False,
                "hoverinfo": "skip",
                "marker": marker,
            }
        )
        return traces

    def path_traces(self, path: PathView) -> list[dict]:
        style, objective, tr = self.canvas.style, self.canvas.objective, path.trajectory
        idx = _thin(tr.positions.shape[0])
        at = tr.positions[idx]
        heights = self.lift(at)
        opacity = style.theme.dimmed_opacity if path.dimmed else 1.0
        traces = [
            self._line3d(
                at,
                heights,
                legendgroup=path.key,
                name=path.label,
                showlegend=True,
                opacity=opacity,
                line={"color": path.colour, "width": style.line * 2.2, "dash": path.dash},
                customdata=typed(np.asarray(tr.values)[idx]),
                hovertemplate=f"{path.label}<br>(%{{x:.4g}}, %{{y:.4g}})"
                "<br>f = %{customdata:.6g}<extra></extra>",
            ),
            # its shadow on the floor: where it is, as on the contour
            self._line3d(
                at,
                np.full(at.shape[0], self.floor),
                legendgroup=path.key,
                name=f"{path.label}: on the floor",
                showlegend=False,
                opacity=0.5 * opacity,
                line={"color": path.colour, "width": max(2.0, style.line)},
                hoverinfo="skip",
            ),
        ]
        k = last_finite(tr.positions)
        end = tr.positions[k]
        if tr.diverged_at >= 0:
            mx, my, _ = divergence_mark(tr.positions, objective.bounds)
            mz = float(self.lift(np.array([mx, my])))
            lo, hi = self.z_range
            mz = min(max(mz, lo), hi) if math.isfinite(mz) else hi
            traces.append(
                self._marker3d(
                    mx,
                    my,
                    mz,
                    legendgroup=path.key,
                    name=f"{path.label} diverged",
                    marker={"symbol": "x", "size": style.marker, "color": path.colour},
                    hovertemplate=f"{path.label} diverged at step {tr.diverged_at}<extra></extra>",
                )
            )
        else:
            traces.append(
                self._marker3d(
                    float(end[0]),
                    float(end[1]),
                    float(self.lift(end)),
                    legendgroup=path.key,
                    name=f"{path.label}: end",
                    opacity=opacity,
                    marker={
                        "symbol": symbol_3d(path.marker),
                        "size": max(5, style.marker - 3),
                        "color": path.colour,
                        "line": {"color": style.theme.halo, "width": 1},
                    },
                    # the value as text (moved in place by a slider move, like the 2-D view's)
                    text=[f"{float(tr.values[-1]):.6g}"],
                    hovertemplate=f"{path.label} ends at step {tr.steps}<br>"
                    "(%{x:.4g}, %{y:.4g}), f = %{text}<extra></extra>",
                )
            )
        return traces

    def cursors(self) -> list[Cursor]:
        """One 3-D point per optimizer (its own trace, in its legend group: hiding the
        optimizer hides it), at x_t lifted onto the surface; and its arrows, drawn level
        at that height."""
        paths, shown, style = self.canvas.paths, self.canvas.shown, self.canvas.style
        self.heights = {}
        out = []
        for p in paths:
            at = p.trajectory.positions[np.minimum(shown, last_finite(p.trajectory.positions))]
            z = self.lift(at)
            self.heights[p.key] = z
            out.append(
                Cursor(
                    self.axes,
                    [p],
                    [at[:, 1]],
                    [at[:, 0]],
                    trace={
                        "mode": "markers",
                        "name": f"{p.label}: at the cursor",
                        "legendgroup": p.key,
                        "marker": {
                            "color": p.colour,
                            "size": max(6, style.marker - 2),
                            "line": {"color": style.theme.halo, "width": 2},
                        },
                    },
                    zs=[z],
                )
            )
        if self.arrows:
            for arrow in self._arrows():
                trace = {k: v for k, v in arrow.trace.items() if k != "cliponaxis"}
                trace["line"] = {**trace["line"], "width": trace["line"]["width"] * 2}
                z = self.heights[arrow.owners[0].key]
                out.append(
                    Cursor(self.axes, arrow.owners, arrow.ys, arrow.xs, trace, [z] * len(arrow.ys))
                )
        return out

    def arrow_legend(self) -> list[dict]:
        traces = super().arrow_legend()
        if not traces:
            return []
        note = self.canvas.annotations[-1]
        note.update(xref="paper", yref="paper", x=_LEFT[1], y=self.canvas.geo.top[1])
        legend = {k: v for k, v in traces[0].items() if k not in ("xaxis", "yaxis")}
        return [{**legend, "type": "scatter3d", "z": [None], "scene": "scene"}]

    def finish(self) -> None:
        (x0, x1), (y0, y1) = self.canvas.objective.bounds
        scene = self.canvas.layout["scene"]
        scene["xaxis"]["range"] = [x0, x1]
        scene["yaxis"]["range"] = [y0, y1]
        scene["zaxis"]["range"] = list(self.z_range)


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
        # (each run's own minimum: an untransformed run's f is the original, unscaled one)
        own = tr.objective.f_min if tr.objective.f_min is not None else self.canvas.objective.f_min
        loss = tr.values - own if self.has_min else tr.values
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
        self.canvas.step_axis(self.axes[0], labelled=False)
        y = self.canvas.axis(self.axes[1])
        if self.has_min:
            y.update(type="log", range=_log_range(self.series))
        else:
            y.update(range=_lin_range(self.series))


def _also(template: str, other: str) -> str:
    """A hover template that adds "the same line as ``other``'s"."""
    head, extra = template.rsplit("<extra></extra>", 1)
    return f"{head}<br>(the same line as {other})<extra></extra>{extra}"


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
        self.labels: list[str] = []
        self.drawn: list[tuple[Array, list[dict]]] = []

    def path_traces(self, path: PathView) -> list[dict]:
        realised = path.trajectory.step_factor
        eff = np.where(realised > 0, realised, np.nan)  # NaN stays NaN
        eidx = _thin(eff.shape[0])
        traces = [
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
        # two optimizers at one constant rate (SGD's η and momentum's first steps…) draw
        # one line: their dashes and staggered markers show both, and the hover says so
        for other, (their, their_traces) in zip(self.labels, self.drawn):
            for dim, (mine, theirs) in enumerate(zip(traces, their_traces)):
                same = np.array_equal(eff[:, dim], their[:, dim], equal_nan=True)
                if same and np.isfinite(eff[:, dim]).any():
                    mine["hovertemplate"] = _also(mine["hovertemplate"], other)
                    theirs["hovertemplate"] = _also(theirs["hovertemplate"], path.label)
        self.series.append(eff)
        self.labels.append(path.label)
        self.drawn.append((eff, traces))
        return traces

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
            lowest = i == len(self.axes) - 1
            # (no "step" title over the rate bars: the gap above them is one line)
            titled = lowest and not self.canvas.geo.bars
            self.canvas.step_axis(x, titled=titled, labelled=lowest)
            self.canvas.axis(y).update(type="log", range=lr_range)


#: The rate bars' axes (after any accumulator panel's: ``x5`` … are theirs).
BARS_AXIS = 60
#: How the two parts of a rate are drawn: the numerator solid, the denominator pale.
BAR_OPACITY = {"numerator": 1.0, "denominator": 0.4}


class RateBarsPanel(Panel):
    """At the step cursor, for each adaptive optimizer (its spec's
    :class:`~optviz.optimizers.RateBars`): the two parts of its per-dimension rate as bars,
    rate = numerator ÷ denominator — ADADELTA's RMS[Δx]ₜ₋₁ (solid) and RMS[g]ₜ (pale),
    ADAGRAD's η and √Gₜ + ε … — for x and y side by side, on a log scale, where the ratio
    is the gap between the two bars' tops. The values are the step inspector's
    (:func:`optviz.inspector.rate_parts`), for the step the arrows show: the one taken next
    from the cursor's position.

    The bars are cursor data like the arrows (vertical thick lines from the axis' floor),
    so the keys, ▶ Play and the HTML export move them."""

    def place(self, canvas: _Canvas) -> None:
        super().place(canvas)
        self.owners = []
        for p in canvas.paths:
            parts = inspector.rate_parts(p.trajectory)
            if parts is not None:
                self.owners.append((p, parts))
        self.axes = canvas.axis_pair(BARS_AXIS, _RIGHT, canvas.geo.right_rows[3], "")
        values = [part for _, parts in self.owners for part in parts]
        self.range = _log_range(values) if values else (-1.0, 1.0)

    @staticmethod
    def centre(i: int) -> float:
        """The middle of optimizer ``i``'s group: its x pair left of it, its y pair right."""
        return 3.0 * i

    @staticmethod
    def bar_x(i: int, dim: int, part: int) -> float:
        return 3.0 * i + (-0.6 if dim == 0 else 0.6) + (-0.2 if part == 0 else 0.2)

    def static_traces(self) -> list[dict]:
        """The legend's entry for the bars (what they are: the panel has no title)."""
        return [
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "name": "bars: rate = solid ÷ pale",
                "legendgroup": "bars",
                "legendrank": 1001,  # after the arrows' entry
                "showlegend": True,
                "line": {"color": self.canvas.style.theme.text, "width": 6},
                "hoverinfo": "skip",
                "xaxis": self.axes[0],
                "yaxis": self.axes[1],
            }
        ]

    def cursors(self) -> list[Cursor]:
        shown, style = self.canvas.shown, self.canvas.style
        floor = 10.0 ** self.range[0]
        out = []
        for i, (p, parts) in enumerate(self.owners):
            bars = p.spec.rate_bars
            for part, (kind, values) in enumerate(zip(BAR_OPACITY, parts)):
                label = bars.numerator_label if part == 0 else bars.denominator_label
                ys, xs = [], []
                for dim in (0, 1):
                    top = values[shown, dim]
                    x = np.full(shown.shape, self.bar_x(i, dim, part))
                    base = np.where(np.isfinite(top), floor, np.nan)
                    ys += [base, top, np.full(shown.shape, np.nan)]
                    xs += [x, x, np.full(shown.shape, np.nan)]
                out.append(
                    Cursor(
                        self.axes,
                        [p] * len(ys),
                        ys,
                        xs,
                        trace={
                            "mode": "lines",
                            "name": f"{p.label}: {label}",
                            "legendgroup": "bars",
                            "line": {"color": p.colour, "width": style.line * 4.5},
                            "opacity": BAR_OPACITY[kind]
                            * (style.theme.dimmed_opacity if p.dimmed else 1.0),
                            "cliponaxis": True,
                        },
                    )
                )
        return out

    def finish(self) -> None:
        tickvals, ticktext = [], []
        for i, (p, _) in enumerate(self.owners):
            bars = p.spec.rate_bars
            # three short lines, so that four groups' labels still fit side by side
            rate = f"{bars.numerator_label} ÷<br>{bars.denominator_label}"
            if bars.applies_to != "g":
                rate += f" (× {bars.applies_to})"
            # the name a line under x and y: a ticktext that starts with a line break
            tickvals += [self.centre(i) - 0.6, self.centre(i), self.centre(i) + 0.6]
            ticktext += ["x", f"<br>{p.label}<br>{rate}", "y"]
        n = max(len(self.owners), 1)
        self.canvas.axis(self.axes[0]).update(
            range=[-1.4, 3.0 * (n - 1) + 1.4],
            tickvals=tickvals,
            ticktext=ticktext,
            tickangle=0,
            showgrid=False,
            ticks="",
            tickfont={"size": self.canvas.style.font - 2},
        )
        self.canvas.axis(self.axes[1]).update(type="log", range=list(self.range))


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
    if cursor.zs is not None:  # in the 3-D scene: drawn as its trace says (one owner's)
        n = len(cursor.owners)
        return {
            "type": "scatter3d",
            "x": [None] * n,
            "y": [None] * n,
            "z": [None] * n,
            "showlegend": False,
            "hoverinfo": "skip",
            "scene": cursor.axes[0],
            **(cursor.trace or {}),
        }
    if cursor.trace is not None:
        return {
            "type": "scatter",
            "x": [None] * len(cursor.owners),
            "y": [None] * len(cursor.owners),
            "showlegend": False,
            "hoverinfo": "skip",
            "customdata": [p.key for p in cursor.owners],
            "xaxis": cursor.axes[0],
            "yaxis": cursor.axes[1],
            **cursor.trace,
        }
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


def _at_rows(cursor: Cursor, rows: Array) -> Cursor:
    """``cursor`` with its columns (one value per step) kept at ``rows`` only."""
    return Cursor(
        cursor.axes,
        cursor.owners,
        [y[rows] for y in cursor.ys],
        None if cursor.xs is None else [x[rows] for x in cursor.xs],
        cursor.trace,
        None if cursor.zs is None else [z[rows] for z in cursor.zs],
    )


#: one cursor trace's columns: its points' y (one column per point, a value per frame),
#: x (None where the points sit at the frame's step) and z (None but in the 3-D scene)
Columns = tuple[list[Array], list[Array] | None, list[Array] | None]


def _frames(blocks: list[Columns], indices: list[int], shown: Array) -> list[dict]:
    """One frame per shown step, moving every cursor trace (``blocks``: each one's columns
    at ``shown``). Each trace's columns are rounded in one pass (building the values frame
    by frame cost ~10 ms of Python per move). A trace with z columns is a ``scatter3d``
    (its frames need plotly's ``redraw``: :func:`_play_controls`)."""

    def rows(columns: list[Array]) -> list[list]:
        """One list per frame: the columns' values at that frame, as :func:`_round` gives."""
        if not columns:
            return [[] for _ in shown]
        flat = _round(np.stack(columns, axis=1))
        n = len(columns)
        return [flat[i * n : (i + 1) * n] for i in range(len(shown))]

    ys = [rows(y) for y, _, _ in blocks]
    xs = [rows(x) if x is not None else None for _, x, _ in blocks]
    zs = [rows(z) if z is not None else None for _, _, z in blocks]
    frames = []
    for i, s in enumerate(shown):
        data = []
        for block, x, y, z in zip(blocks, xs, ys, zs):
            point = {
                "type": "scatter" if z is None else "scatter3d",
                "x": x[i] if x is not None else [int(s)] * len(block[0]),
                "y": y[i],
            }
            if z is not None:
                point["z"] = z[i]
            data.append(point)
        frames.append({"name": str(s), "data": data, "traces": indices})
    return frames


#: The step cursor's table holds every step while it has at most this many values (steps
#: × cursor points); beyond, every step of the first :data:`DENSE_STEPS` and the rest thinned
#: (a viewer asks for any other step's values on demand: :meth:`SpecFigure.cursor_at`).
CURSOR_TABLE_VALUES = 160_000
DENSE_STEPS = 1000


def cursor_rows(steps: int, points: int, budget: int = CURSOR_TABLE_VALUES) -> Array:
    """The steps the cursor table keeps, for a figure of ``steps`` steps whose cursors
    have ``points`` points in all: every step ``0 … steps`` when that fits in ``budget``
    values, else every step up to :data:`DENSE_STEPS` (or half the rows) and evenly
    spread steps after it, the last step always kept."""
    n = steps + 1
    rows = max(budget // max(points, 1), 2 * MAX_FRAMES)
    if n <= rows:
        return np.arange(n)
    dense = min(DENSE_STEPS, rows // 2)
    rest = np.round(np.linspace(dense, steps, rows - dense)).astype(int)
    return np.unique(np.concatenate([np.arange(dense), rest]))


def _cursor_table(cursors: list[Cursor], indices: list[int], steps: int) -> dict:
    """The step cursor as data (``layout.meta.optvizCursor``): for each cursor trace, its
    points' x, y and z at each kept step, as ``(rows, points)`` float64 typed arrays (x
    null when the points sit at the step itself, z null but for the 3-D view's traces).
    The app's chart moves the cursors from it; :func:`with_frames` makes plotly frames
    of it."""
    points = sum(len(c.owners) * (1 + (c.xs is not None) + (c.zs is not None)) for c in cursors)
    rows = cursor_rows(steps, points)

    def block(columns: list[Array]) -> dict:
        return typed(np.stack(columns, axis=1) if columns else np.zeros((rows.size, 0)))

    return {
        "steps": int(steps),
        "rows": typed(rows),
        "traces": indices,
        "x": [None if c.xs is None else block([x[rows] for x in c.xs]) for c in cursors],
        "y": [block([y[rows] for y in c.ys]) for c in cursors],
        "z": [None if c.zs is None else block([z[rows] for z in c.zs]) for c in cursors],
    }


def _cursor_values(cursors: list[Cursor], step: int) -> list[dict]:
    """Every cursor trace's points at ``step`` (``{"x", "y"}`` lists, and ``"z"`` for the
    3-D view's, None where NaN)."""

    def clean(values: list[float]) -> list:
        return [float(v) if math.isfinite(v) else None for v in values]

    out = []
    for c in cursors:
        y = clean([float(col[step]) for col in c.ys])
        x = [step] * len(c.owners) if c.xs is None else clean([float(col[step]) for col in c.xs])
        point = {"x": x, "y": y}
        if c.zs is not None:
            point["z"] = clean([float(col[step]) for col in c.zs])
        out.append(point)
    return out


def _play_controls(
    layout: dict, shown: Array, font: int, frame_ms: int, height: int, *, redraw: bool = False
) -> None:
    """plotly's own ▶ Play / ❚❚ Pause buttons and step slider under the panels (for
    figures shown outside the app: the offline HTML export, ``fig.show()``). ``redraw``:
    each frame redraws the figure, which plotly needs to move 3-D traces (the 3-D view)."""
    controls_y = 95 / height  # the lowest panel ends 150 px (or more) above the bottom
    slider_y = (95 - 36 - font) / height  # below the buttons, with its label
    animate = {
        "frame": {"duration": 0, "redraw": redraw},
        "mode": "immediate",
        "transition": {"duration": 0},
    }
    play = {
        "frame": {"duration": frame_ms, "redraw": redraw},
        "fromcurrent": True,
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    layout.update(
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
                "font": {"size": font},
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
                    "font": {"size": font, "color": "#222"},
                },
                "font": {"color": "rgba(0,0,0,0)"},  # 200 tick labels would be unreadable
                "ticklen": 3,
                "steps": [
                    {"label": str(int(s)), "method": "animate", "args": [[str(int(s))], animate]}
                    for s in shown
                ],
            }
        ],
    )


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
    fan: GhostFan | None = None,
    theme: str = "light",
    frames: bool = True,
    arrows: bool = False,
    surface: bool = False,
) -> go.Figure:
    """The synchronised, animated figure of one scene (see the module docstring), made of
    panels: :class:`ContourPanel`, :class:`LossPanel`, :class:`RatePanel` and
    :class:`AccumulatorPanel`.

    ``paths`` are single-start runs of the same length on ``objective``. ``ghosts`` are
    extra faint paths ``(positions, colour, label)`` drawn under the bold ones; a fourth
    element ``True`` makes one a lesson's named path (dotted, strong, in the legend, its
    end marked). ``fan`` is a :class:`GhostFan` (the paths of other values of one
    hyperparameter, on a labelled colour ramp). ``theme`` names a :class:`Theme`
    (:data:`THEMES`: "light", or "projector", dark and high in contrast). ``arrows``:
    at the step cursor, each optimizer's next step, its plain gradient step and its
    velocity as arrows on the contour (:func:`step_arrows`), moved with the cursor; and,
    for the adaptive methods, their rates' two parts as bars (:class:`RateBarsPanel`).
    ``surface``: the contour panel as a rotatable 3-D surface (:class:`SurfacePanel`),
    the rest unchanged and on the same step.

    The step cursor is data: ``layout.meta.optvizCursor`` holds every cursor point at every
    step (:func:`_cursor_table`; thinned past :data:`DENSE_STEPS` for long, crowded runs),
    and ``layout.meta.optvizFit`` how the figure may shrink to fit a window. With
    ``frames`` (for figures shown by plotly alone: the HTML export) the figure also has
    ``max_frames`` plotly frames and plotly's ▶ Play button and slider; the app's chart
    (``frames=False``) draws its own control bar and moves the cursors from the table, so
    that every step can be shown.

    The figure is assembled as plain dicts and wrapped without plotly's per-property
    validation (validating ~200 frames costs about a second per slider move); the tests
    check the structure instead.
    """
    style = Style.of(presenter, theme)
    paths = list(paths)
    steps = paths[0].trajectory.steps if paths else 0
    # the rate bars come with the arrows, where some optimizer's rate is a ratio
    bars = arrows and any(
        p.spec.rate_bars is not None and p.trajectory.positions.ndim == 2 for p in paths
    )
    canvas = _Canvas(objective, paths, style, np.arange(steps + 1), controls=frames, bars=bars)
    contour = (SurfacePanel if surface else ContourPanel)(
        start=start,
        clickable=clickable,
        resolution=contour_resolution,
        ghosts=ghosts,
        fan=fan,
        arrows=arrows and bool(paths),
    )
    path_panels: list[Panel] = [contour, LossPanel(), RatePanel()]
    panels: list[Panel] = [*path_panels, AccumulatorPanel(), *([RateBarsPanel()] if bars else [])]
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
    traces += contour.arrow_legend()
    indices = list(range(len(traces), len(traces) + len(cursors)))
    for c, d in zip(cursors, _cursor_values(cursors, 0)):
        traces.append({**_cursor_trace(c, style), **d})
    for panel in panels:
        panel.finish()

    geo = canvas.geo
    layout = canvas.layout
    layout.update(
        height=geo.height,
        font={
            "size": style.font,
            "family": "Arial, Helvetica, sans-serif",
            "color": style.theme.text,
        },
        paper_bgcolor=style.theme.paper,
        plot_bgcolor=style.theme.plot,
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
        images=[contour.image] if contour.image else [],
        meta={
            "optvizCursor": _cursor_table(cursors, indices, steps),
            "optvizFit": geo.fit,
            "optvizPlay": {"frame_ms": int(frame_ms), "frames": int(max_frames)},
            "optvizTheme": style.theme.name,
        },
    )
    spec: dict = {"data": traces, "layout": layout}
    if frames:
        shown = frame_steps(steps, max_frames).astype(int)
        kept = [_at_rows(c, shown) for c in cursors]
        spec["frames"] = _frames([(c.ys, c.xs, c.zs) for c in kept], indices, shown)
        deep = any(c.zs is not None for c in cursors)
        _play_controls(layout, shown, style.font, frame_ms, geo.height, redraw=deep)
        _theme_controls(layout, style.theme)
    return SpecFigure(spec, cursors)


def with_frames(spec: dict, max_frames: int = MAX_FRAMES) -> dict:
    """A figure spec made by :func:`trajectory_figure` with ``frames=False`` as plotly
    alone can animate it: frames from its cursor table (at most ``max_frames`` of its
    kept steps), and plotly's ▶ Play button and step slider. A spec that has frames, or
    no cursor table, is returned as it is."""
    layout = spec.get("layout", {})
    table = (layout.get("meta") or {}).get("optvizCursor")
    if spec.get("frames") or not table:
        return spec
    rows = untyped(table["rows"]).astype(int)
    pick = np.unique(np.round(np.linspace(0, rows.size - 1, min(max_frames, rows.size))))
    pick = pick.astype(int)
    columns: list[Columns] = []
    zs = table.get("z") or [None] * len(table["y"])
    for x, y, z in zip(table["x"], table["y"], zs):
        ys = untyped(y)[pick]
        columns.append(
            (
                list(ys.T),
                None if x is None else list(untyped(x)[pick].T),
                None if z is None else list(untyped(z)[pick].T),
            )
        )
    shown = rows[pick]
    old = int(layout["height"])
    new_layout = {**layout, "height": old + PLAY_CONTROLS_PX}
    spec = {**spec, "data": [dict(t) for t in spec["data"]]}
    _rescale_for_bottom(spec, new_layout, old=old, new=old + PLAY_CONTROLS_PX)
    font = int((layout.get("font") or {}).get("size", Style().font))
    frame_ms = int(layout["meta"]["optvizPlay"]["frame_ms"])
    deep = any(z is not None for z in zs)
    _play_controls(new_layout, shown, font, frame_ms, old + PLAY_CONTROLS_PX, redraw=deep)
    _theme_controls(new_layout, THEMES.get(layout["meta"].get("optvizTheme", "light"), LIGHT))
    return {**spec, "layout": new_layout, "frames": _frames(columns, table["traces"], shown)}


def _rescale_for_bottom(spec: dict, layout: dict, *, old: float, new: float) -> None:
    """Make room at the bottom of a figure grown from ``old`` to ``new`` pixels high: every
    vertical paper position (axes, titles, colour bars) keeps its distance in pixels from
    the top."""
    k = old / new

    def top_kept(y: float) -> float:
        return 1 - (1 - y) * k

    for trace in spec.get("data", []):
        # a colour bar of a marker's scale, or of a surface's own
        owner = trace["marker"] if "colorbar" in (trace.get("marker") or {}) else trace
        bar = owner.get("colorbar")
        if bar and "len" in bar:
            bar = {**bar}
            if bar.get("lenmode") != "pixels":
                bar["len"] = bar["len"] * k
            if "y" in bar:
                bar["y"] = top_kept(bar["y"])
            if owner is trace:
                trace["colorbar"] = bar
            else:
                trace["marker"] = {**trace["marker"], "colorbar": bar}

    for name, axis in list(layout.items()):
        if name.startswith("yaxis") and isinstance(axis, dict) and "domain" in axis:
            layout[name] = {**axis, "domain": [top_kept(v) for v in axis["domain"]]}
        if name.startswith("scene") and isinstance(axis, dict) and "domain" in axis:
            domain = {**axis["domain"], "y": [top_kept(v) for v in axis["domain"]["y"]]}
            layout[name] = {**axis, "domain": domain}
    layout["annotations"] = [
        {**note, "y": top_kept(note["y"])} if note.get("yref") == "paper" else note
        for note in layout.get("annotations", [])
    ]


def _theme_controls(layout: dict, theme: Theme) -> None:
    """The play buttons' and the slider's colours in ``theme`` (their layout is the
    animation's; only colours are set here)."""
    if theme is LIGHT:
        return
    for menu in layout.get("updatemenus", []):
        menu.update(bgcolor="#2A2F3A", bordercolor=theme.axis_line)
        menu["font"] = {**menu.get("font", {}), "color": theme.text}
    for slider in layout.get("sliders", []):
        slider.update(bgcolor="#2A2F3A", bordercolor=theme.axis_line, tickcolor=theme.axis_line)
        slider["currentvalue"]["font"]["color"] = theme.text


def _latex_to_text(symbol: str) -> str:
    """A state symbol in LaTeX (``E[\\Delta x^2]``) as plain text for Plotly titles."""
    return (
        symbol.replace(r"\Delta ", "Δ")
        .replace(r"\Delta", "Δ")
        .replace("^2", "²")
        .replace(r"\,", " ")
    )
