"""The Sensitivity view: every selected optimizer over its hyperparameter grid, one colour scale.

What it shows, for the sidebar's scene (objective, start, steps, σ and seed, and the other
hyperparameters at their slider values):

* a heatmap per optimizer over :func:`optviz.sweeps.default_grid` (ADADELTA: ρ × ε; SGD:
  η as a strip; momentum: η × β; ADAGRAD: η × ε; RMSprop, Adam, Nesterov when selected),
  one metric on one shared colour scale (:mod:`optviz.sweep_figures`); a click on a cell
  loads that configuration into the trajectory view (:func:`apply_cell`);
* each optimizer's grid score (:func:`optviz.sweeps.grid_score`: the share of its own grid
  that solved the problem, that diverged, and the spread of its final gaps) as a table and
  stacked bars, with its grid, resolution and budget beside every number;
* ADADELTA on the paper's own 3 × 4 grid (ρ ∈ {0.9, 0.95, 0.99} × ε ∈ {10⁻², 10⁻⁴, 10⁻⁶,
  10⁻⁸}, :data:`optviz.sweeps.PAPER_GRID`) instead of its sliders' ranges, one click away
  (:data:`GRID_KEY`);
* in a second tab (:data:`SECTIONS`, lazy: only the open tab is computed and drawn), a σ
  sweep: the final loss against the gradient-noise scale, averaged over 20 seeds
  (:data:`N_SEEDS`), every σ × seed of an optimizer one batch
  (:func:`optviz.sweeps.sigma_sweep`);
* in a third, basin maps: for each optimizer at its slider setting, which listed minimum
  each start of a 60 × 60 grid over the plot reaches, and in how many steps
  (:func:`optviz.sweeps.basins`, one batch per optimizer).

Every sweep runs with ``engine="auto"`` (:data:`ENGINE`): the compiled kernel of
:mod:`optviz.compiled` when it is ready, NumPy while it compiles in the background — the
same numbers either way, so the engine is not part of any cache key; each caption's
seconds say which engine they measured.

The robustness demos apply here as in the trajectory view: with f × 10ᵏ and x stretched
by s, the sweeps run on the same transformed function, from the same transformed start,
with σ × 10ᵏ — so a cell's numbers are those of the trajectory view's run with that
configuration. (Distances to the minimum are then measured in the stretched coordinates
the optimizers see.)

Cost. A sweep costs about steps × cells row-steps. Each optimizer's resolution is lowered,
and the page says so, when its cost would pass :data:`WORK_BUDGET` (sized for the NumPy
loop, which runs whenever a kernel is not compiled yet); a basin map's likewise. Each
optimizer's sweep is cached on (the scene without its optimizers — :func:`problem_of` —,
optimizer, resolution, its off-grid hyperparameters), so a slider move only moves a
marker; the σ runs and the basin map per optimizer and its hyperparameters, the figure
per (scene, metric, resolution).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import streamlit as st

from .. import limits, optimizers, sweeps
from ..figures import SpecFigure
from ..numbers import share, slider_value
from ..scene import CUSTOM, Scene
from ..sweep_figures import (
    DISPLAY_FLOOR,
    BasinPanel,
    NoiseSeries,
    Panel,
    axis_kind,
    basin_class_name,
    basin_figure,
    from_axis,
    heatmap_figure,
    metrics_for,
    noise_figure,
    score_figure,
)
from ..sweeps import BasinMap, GridScore, SweepResult, sweep_axes
from .compute import SCENE_KEY
from .controls import write_scene
from .markup import escape
from .state import Presentation, on_slider_range, options_for, scene_of, snap

#: session-state keys of the view's own controls (and the URL's names for them: url.py)
METRIC_KEY = "sens_metric"
RESOLUTION_KEY = "sens_resolution"
GRID_KEY = "sens_grid"
#: which of the view's sections is open (a lazy tab: only the open one is computed and
#: drawn, so a first visit draws the heatmaps and grid scores alone)
SECTION_KEY = "sens_section"
CHART_KEY = "sensitivity_chart"
#: the last value chosen, kept while the view is not shown (Streamlit forgets the state
#: of widgets that are not drawn)
KEEP = {
    METRIC_KEY: "_keep.sens_metric",
    RESOLUTION_KEY: "_keep.sens_resolution",
    GRID_KEY: "_keep.sens_grid",
    SECTION_KEY: "_keep.sens_section",
}

METRICS = ("final", "best", "steps", "distance")
DEFAULT_METRIC = "final"
RESOLUTIONS = limits.RESOLUTIONS
DEFAULT_RESOLUTION = 50
#: steps × cells allowed per optimizer's sweep (and per basin map): what the NumPy loop
#: runs in a few seconds, since a sweep runs on NumPy while its compiled kernel compiles
WORK_BUDGET = limits.WORK_BUDGET
#: the engine of every sweep here (:func:`optviz.sweeps.sweep`): the compiled kernel when
#: it is ready, NumPy while it compiles in the background (the same numbers either way)
ENGINE = "auto"
#: ADADELTA's grid: its sliders' ranges at the chosen resolution, or the paper's 3 × 4
GRIDS = ("sliders", "paper")
DEFAULT_GRID = "sliders"
GRID_LABELS = {"sliders": "its sliders' ranges", "paper": "the paper's 3 × 4"}
SIGMAS = (0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
N_SEEDS = limits.NOISE_SEEDS
REFERENCE_SIGMA = 1.0
#: starts per axis of a basin map (lowered, as a sweep's resolution, past WORK_BUDGET)
BASIN_RESOLUTIONS = (20, 40, 60)

#: the view's sections, each a tab (the link's ``section=``)
SECTIONS = ("Heatmaps", "Gradient noise", "Basins")
DEFAULT_SECTION = SECTIONS[0]

DEFAULTS = {
    METRIC_KEY: DEFAULT_METRIC,
    RESOLUTION_KEY: DEFAULT_RESOLUTION,
    GRID_KEY: DEFAULT_GRID,
    SECTION_KEY: DEFAULT_SECTION,
}


# ---------------------------------------------------------------------------
# What to sweep
# ---------------------------------------------------------------------------


def swept_optimizers(selected: tuple[str, ...] | list[str]) -> list[str]:
    """The selected optimizers that have a default grid, ADADELTA first."""
    keys = [k for k in dict.fromkeys(selected) if k in optimizers.REGISTRY and sweep_axes(k)]
    return sorted(keys, key=lambda k: k != "adadelta")


def uses_paper_grid(key: str, grid: str) -> bool:
    """Whether optimizer ``key`` runs on the paper's grid (ADADELTA, when asked)."""
    return grid == "paper" and key == "adadelta"


def grid_for(key: str, resolution: int, grid: str = DEFAULT_GRID) -> dict[str, Any]:
    """The grid the view sweeps for ``key``: the paper's 3 × 4 for ADADELTA when ``grid``
    is ``"paper"``, else :func:`optviz.sweeps.default_grid` at ``resolution``."""
    if uses_paper_grid(key, grid):
        # ascending, as every grid the heatmaps draw (the paper lists ε from 10⁻² down)
        return {a: np.sort(np.asarray(v, dtype=np.float64)) for a, v in sweeps.PAPER_GRID.items()}
    return sweeps.default_grid(key, resolution)


def resolution_for(key: str, requested: int, steps: int) -> int:
    """The largest offered resolution ≤ ``requested`` whose cost fits :data:`WORK_BUDGET`."""
    dims = len(sweep_axes(key))
    fitting = [r for r in RESOLUTIONS if r <= requested and steps * r**dims <= WORK_BUDGET]
    return max(fitting) if fitting else RESOLUTIONS[0]


def swept_scene(scene: Scene) -> Scene:
    """``scene`` with only the optimizers the view sweeps (:func:`swept_optimizers`), each
    with its hyperparameters as it runs them: what the view's figures depend on."""
    keys = tuple(swept_optimizers(scene.optimizers))
    return scene.replace(
        optimizers=keys,
        hyperparams=tuple((k, tuple(scene.hp(k).items())) for k in keys),
        variants=tuple(k for k in scene.variants if k in keys),
    )


def problem_of(scene: Scene) -> Scene:
    """What a sweep of any optimizer depends on besides the optimizer: ``scene`` without
    its optimizers (a cache key shared by every optimizer's sweep)."""
    return scene.replace(optimizers=(), hyperparams=(), variants=())


# ---------------------------------------------------------------------------
# Cached computations
# ---------------------------------------------------------------------------


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=SCENE_KEY)
def sweep_for(
    problem: Scene,
    key: str,
    resolution: int,
    fixed: tuple[tuple[str, float], ...],
    grid_choice: str = DEFAULT_GRID,
) -> tuple[SweepResult, float]:
    """One optimizer's sweep over its grid (:func:`grid_for`), and the seconds it took.

    Keyed on the problem, the optimizer, the resolution and its hyperparameters *off*
    the grid only: moving a slider of a gridded hyperparameter (or another optimizer's)
    moves a marker and reuses the sweep.
    """
    grid = grid_for(key, resolution, grid_choice)
    started = time.perf_counter()
    result = sweeps.sweep(
        problem.run_objective(),
        key,
        grid,
        problem.run_start,
        problem.steps,
        seed=problem.seed,
        noise=problem.sigma,
        fixed=dict(fixed),
        engine=ENGINE,  # not in the key: every engine gives these numbers
    )
    return result, time.perf_counter() - started


@dataclass(frozen=True)
class SweepSet:
    """The sweeps of one scene at one requested resolution."""

    results: dict[str, SweepResult]
    resolutions: dict[str, int]  # what each optimizer actually got
    seconds: float  # compute time of the sweeps (when first computed)
    scores: dict[str, GridScore]  # optviz.sweeps.grid_score of each

    @property
    def engines(self) -> dict[str, str]:
        """What computed each optimizer's sweep (``SweepResult.engine``)."""
        return {k: r.engine for k, r in self.results.items()}


def sweep_set(sc: Scene, resolution: int, grid: str = DEFAULT_GRID) -> SweepSet:
    """Every optimizer's sweep (each cached) and its grid score, for a
    :func:`swept_scene`."""
    results, resolutions, seconds = {}, {}, 0.0
    for key in sc.optimizers:
        res = resolution_for(key, resolution, sc.steps)
        axes = sweep_axes(key)
        fixed = tuple(sorted((k, v) for k, v in sc.hp(key).items() if k not in axes))
        results[key], took = sweep_for(problem_of(sc), key, res, fixed, grid)
        resolutions[key] = res
        seconds += took
    scores = {k: sweeps.grid_score(r) for k, r in results.items()}
    return SweepSet(results, resolutions, seconds, scores)


def _label(key: str) -> str:
    return optimizers.get(key).display_name


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=SCENE_KEY)
def heatmap_for(
    sc: Scene,
    metric: str,
    resolution: int,
    presenter: bool = False,
    grid: str = DEFAULT_GRID,
    theme: str = "light",
) -> SpecFigure:
    """The heatmap figure of a :func:`swept_scene`, metric, resolution and grid, in the
    theme called ``theme`` (built once)."""
    data = sweep_set(sc, resolution, grid)
    panels = []
    for key, result in data.results.items():
        hp = sc.hp(key)
        note = score_note(data.scores[key])
        panels.append(
            Panel(
                key,
                _label(key),
                result,
                current={a: hp[a] for a in result.axes if a in hp},
                note=note,
            )
        )
    return heatmap_figure(panels, metric, presenter=presenter, theme=theme)


@dataclass(frozen=True)
class NoiseSweep:
    """Final loss per optimizer, σ and seed (NaN where the run diverged)."""

    sigmas: tuple[float, ...]
    seeds: tuple[int, ...]
    finals: dict[str, np.ndarray]  # (len(sigmas), len(seeds))
    has_minimum: bool
    seconds: float
    engines: dict[str, str] = field(default_factory=dict)  # what ran each optimizer's runs

    def series(self) -> list[NoiseSeries]:
        out = []
        for key, finals in self.finals.items():
            ok = np.isfinite(finals)
            counts = ok.sum(axis=1)
            sums = np.where(ok, finals, 0.0).sum(axis=1)
            mean = np.full(len(self.sigmas), np.nan)
            np.divide(sums, counts, out=mean, where=counts > 0)
            out.append(
                NoiseSeries(
                    key,
                    _label(key),
                    tuple(float(v) for v in mean),
                    tuple(int(len(self.seeds) - c) for c in counts),
                    len(self.seeds),
                )
            )
        return out


@st.cache_resource(max_entries=128, show_spinner=False, hash_funcs=SCENE_KEY)
def noise_runs(
    problem: Scene,
    key: str,
    hp: tuple[tuple[str, float], ...],
    sigmas: tuple[float, ...],
    seeds: tuple[int, ...],
) -> tuple[np.ndarray, float, str]:
    """Final loss of one optimizer per σ (rows) and seed (columns), NaN where it diverged;
    the seconds it took and the engine that ran it, for :func:`problem_of` a scene (its
    noise and seed not used). One batch (:func:`optviz.sweeps.sigma_sweep`): each row is
    the trajectory view's run with that seed and σ (× 10ᵏ under the robustness demo)."""
    obj = problem.run_objective()
    started = time.perf_counter()
    result = sweeps.sigma_sweep(
        obj,
        key,
        dict(hp),
        problem.run_start,
        problem.steps,
        tuple(problem.transform.noise(s) for s in sigmas),
        seeds,
        engine=ENGINE,
    )
    f_min = obj.f_min
    out = result.final_value - f_min if f_min is not None else np.array(result.final_value)
    out.setflags(write=False)
    return out, time.perf_counter() - started, result.engine


def noise_sweep(
    sc: Scene, sigmas: tuple[float, ...] = SIGMAS, n_seeds: int = N_SEEDS
) -> NoiseSweep:
    """Each swept optimizer at its slider setting, for every σ and seed (``ov.run``).

    The loss is ``f − f_min`` at the last step (``f`` when there is no minimum); σ is
    multiplied by 10ᵏ when f is (the robustness demo), as in the trajectory view. Seeds
    are the scene's seed and the next ``n_seeds − 1``.
    """
    seeds = tuple(sc.seed + i for i in range(n_seeds))
    problem = problem_of(sc).replace(noise=0.0, seed=0)  # neither enters the key
    finals, engines, seconds = {}, {}, 0.0
    for key in sc.optimizers:
        finals[key], took, engines[key] = noise_runs(
            problem, key, tuple(sorted(sc.hp(key).items())), tuple(sigmas), seeds
        )
        seconds += took
    has_min = sc.run_objective().f_min is not None
    return NoiseSweep(tuple(sigmas), seeds, finals, has_min, seconds, engines)


def basin_resolution(steps: int) -> int:
    """The largest of :data:`BASIN_RESOLUTIONS` whose starts × steps fit
    :data:`WORK_BUDGET` (the smallest when none does)."""
    fitting = [r for r in BASIN_RESOLUTIONS if steps * r * r <= WORK_BUDGET]
    return max(fitting) if fitting else BASIN_RESOLUTIONS[0]


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def basins_for(
    problem: Scene, key: str, hp: tuple[tuple[str, float], ...], resolution: int
) -> tuple[BasinMap, float]:
    """The basin map of one optimizer at hyperparameters ``hp`` over the plot's bounds
    (:func:`optviz.sweeps.basins`: resolution² starts as one batch, with the scene's σ
    and seed), and the seconds it took."""
    started = time.perf_counter()
    result = sweeps.basins(
        problem.run_objective(),
        key,
        dict(hp),
        problem.steps,
        resolution=resolution,
        seed=problem.seed,
        noise=problem.sigma,
        engine=ENGINE,
    )
    return result, time.perf_counter() - started


def engine_phrase(engines: Mapping[str, str]) -> str:
    """ "the compiled kernel", "NumPy (the compiled kernel was still compiling)", or both
    with the optimizers each ran: which engine the seconds beside it measured."""
    used = {k: e for k, e in engines.items() if e != "none"}
    if not used:
        return "no step was run"
    kinds = set(used.values())
    if kinds == {"compiled"}:
        return "the compiled kernel"
    # (imported here: numba, ~0.5 s to import, is for this view's sweeps, not the first
    # page a visitor sees)
    from .. import compiled

    waiting = ENGINE == "auto" and compiled.available()
    why = " (its compiled kernel was still compiling)" if waiting else ""
    if kinds == {"numpy"}:
        return "NumPy" + why
    numpy_ones = ", ".join(_label(k) for k, e in used.items() if e == "numpy")
    return f"the compiled kernel, and NumPy for {numpy_ones}{why}"


def hp_note(key: str, hp: Mapping[str, float]) -> str:
    """ "η = 0.01, β = 0.9": an optimizer's hyperparameters as the sliders show them."""
    spec = optimizers.get(key)
    return ", ".join(
        f"{spec.hyperparam(name).label.split()[0]} = {slider_value(v)}" for name, v in hp.items()
    )


# ---------------------------------------------------------------------------
# Words from numbers
# ---------------------------------------------------------------------------


def grid_phrase(key: str) -> str:
    """ "its ρ × ε grid", "its learning-rate range" …"""
    spec = optimizers.get(key)
    axes = sweep_axes(key)
    if len(axes) == 1:
        return (
            "its learning-rate range"
            if axes[0] == "lr"
            else f"its {spec.hyperparam(axes[0]).label.split()[0]} range"
        )
    return "its " + " × ".join(spec.hyperparam(a).label.split()[0] for a in axes) + " grid"


def score_note(score: GridScore) -> str:
    """The words beside a heatmap's title: "33% solved · 0% diverged" (2 digits: the table
    under the heatmaps has 3)."""
    parts = []
    if score.share is not None:
        parts.append(f"{100 * score.share:.2g}% solved")
    parts.append(f"{100 * score.diverged_share:.2g}% diverged")
    return " · ".join(parts)


def score_sentence(scores: Mapping[str, GridScore]) -> str:
    """What the table says, in words, from its numbers: who solved the most of its own
    grid, who diverged the most, whose results spread the least."""
    known = {k: s for k, s in scores.items() if s.share is not None}
    if not scores:
        return ""
    words = []
    if known:
        most = max(known, key=lambda k: known[k].share)
        words.append(
            f"**{_label(most)}** solves the largest share of its own grid "
            f"({share(known[most].share)})"
        )
        finite = {k: s.spread for k, s in known.items() if math.isfinite(s.spread)}
        if finite:
            tight = min(finite, key=finite.__getitem__)
            words.append(
                f"**{_label(tight)}**'s final gaps spread the least (the middle half within "
                f"{finite[tight]:.2g} decades)"
            )
    worst = max(scores, key=lambda k: scores[k].diverged_share)
    if scores[worst].diverged:
        words.append(
            f"**{_label(worst)}** diverges most often ({share(scores[worst].diverged_share)} "
            "of its grid)"
        )
    else:
        words.append("no configuration of any optimizer diverged")
    return "; ".join(words) + "."


def noise_paragraph(ns: NoiseSweep) -> str:
    """A paragraph whose numbers are the σ sweep's."""
    series = {s.key: s for s in ns.series()}
    what = "final f − f_min" if ns.has_minimum else "final f"
    seeds = f"seeds {ns.seeds[0]}–{ns.seeds[-1]}"

    word = "diverged" if ns.has_minimum else "ran off to infinity"

    def at(sigma: float) -> str:
        i = ns.sigmas.index(sigma)
        parts = []
        for s in series.values():
            v = s.mean[i]
            text = (
                f"{_label(s.key)} {v:.3g}"
                if math.isfinite(v)
                else f"{_label(s.key)} {word} for every seed"
            )
            if s.diverged[i] and math.isfinite(v):
                text += f" ({s.diverged[i]} of {s.seeds} seeds {word})"
            parts.append(text)
        return ", ".join(parts)

    ref = REFERENCE_SIGMA if REFERENCE_SIGMA in ns.sigmas else ns.sigmas[len(ns.sigmas) // 2]
    lines = [f"Mean {what} over {seeds} at σ = {ref:g}: {at(ref)}."]
    i = ns.sigmas.index(ref)
    finite = {k: s.mean[i] for k, s in series.items() if math.isfinite(s.mean[i])}
    if len(finite) > 1:
        best = min(finite, key=finite.__getitem__)
        lines.append(f"Lowest there: {_label(best)}.")
    if 0.0 in ns.sigmas:
        lines.append(f"Without noise (σ = 0): {at(0.0)}.")
    top = max(ns.sigmas)
    if top != ref:
        lines.append(f"At σ = {top:g}: {at(top)}.")
    return " ".join(lines)


# ---------------------------------------------------------------------------
# A click on a cell
# ---------------------------------------------------------------------------


def _cell_key(point: Mapping[str, Any]) -> str | None:
    group = point.get("legendgroup") or ""
    if isinstance(group, str) and group.startswith("cells."):
        key = group.split(".", 1)[1]
        return key if key in optimizers.REGISTRY and sweep_axes(key) else None
    return None


def cell_scene(selection: Any, scene: Scene) -> tuple[Scene, str] | None:
    """The scene a click on a heatmap cell asks for, and the message for the user.

    ``selection`` is the chart's selection event (``{"selection": {"points": [...]}}``);
    a cell's point carries its optimizer in ``legendgroup`` (``"cells.<key>"``) and its
    hyperparameter values in ``customdata`` (or, failing that, in its axis coordinates
    ``x``/``y``). The new scene is ``scene`` with that optimizer compared (added if it was
    not) and exactly those values — the ones the sweep ran, so the run reproduces the
    cell — shown by the sliders as an extra position where they are off the sliders' grid
    (written with ``write_scene(…, exact=True)``); a value outside a slider's range is
    brought to its end. None: not a cell.
    """
    try:
        points = selection["selection"]["points"]
        point = points[0]
    except (KeyError, TypeError, IndexError):
        return None
    if not isinstance(point, Mapping):
        return None
    key = _cell_key(point)
    if key is None:
        return None
    spec = optimizers.get(key)
    axes = sweep_axes(key)
    values: list[float] = []
    data = point.get("customdata")
    if isinstance(data, (list, tuple)) and len(data) == len(axes):
        values = [v for v in data if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(values) != len(axes):  # from the point's axis coordinates
        coords = [point.get("x"), point.get("y")][: len(axes)]
        if not all(isinstance(c, (int, float)) for c in coords):
            return None
        values = [float(from_axis(c, axis_kind(spec.hyperparam(a)))) for c, a in zip(coords, axes)]
    if not all(math.isfinite(v) for v in values):
        return None
    chosen, moved, hp = [], [], scene.hp(key, paper=False)
    for name, value in zip(axes, values):
        param = spec.hyperparam(name)
        opts = options_for(param)
        if opts is not None and not on_slider_range(param, value):  # beyond the slider
            near = snap(float(value), opts)
        elif opts is None:
            near = float(min(max(value, param.ui_low), param.ui_high))
        else:
            near = float(value)  # exactly the cell's
        hp[name] = near
        symbol = param.label.split()[0]
        chosen.append(f"{symbol} = {slider_value(near)}")
        if near != value:
            moved.append(f"{symbol} {value:.4g} → {slider_value(near)}")
    compared = scene.optimizers if key in scene.optimizers else (*scene.optimizers, key)
    new = scene.replace(optimizers=compared).with_hp(key, hp)
    message = f"Loaded {spec.display_name} with {', '.join(chosen)}"
    if moved:
        message += f" (beyond the sliders, so their ends: {'; '.join(moved)})"
    return new, message + "."


def _on_cell_select() -> None:
    """A clicked cell: its scene in the trajectory view (the whole app reruns, not only
    the view's fragment that holds the heatmap)."""
    scene, presentation = scene_of(st.session_state)
    picked = cell_scene(st.session_state.get(CHART_KEY), scene)
    if picked:
        new, message = picked
        write_scene(new, replace(presentation, view="trajectories"), exact=True)
        st.toast(message, icon=":material/push_pin:")
        st.rerun()


# ---------------------------------------------------------------------------
# URL helpers (used by url.py)
# ---------------------------------------------------------------------------


def current_setting(state: Mapping[str, Any], key: str) -> Any:
    """The view's setting ``key`` even while the view is hidden (its kept value)."""
    if key in state:
        return state[key]
    return state.get(KEEP[key], DEFAULTS[key])


# ---------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------


def _controls(has_minimum: bool, adadelta: bool) -> tuple[str, int, str]:
    state = st.session_state
    for key in (METRIC_KEY, RESOLUTION_KEY, GRID_KEY, SECTION_KEY):
        if key not in state:
            state[key] = state.get(KEEP[key], DEFAULTS[key])
    offered = metrics_for(has_minimum)
    if state[METRIC_KEY] not in offered:
        state[METRIC_KEY] = DEFAULT_METRIC
    if state[RESOLUTION_KEY] not in RESOLUTIONS:
        state[RESOLUTION_KEY] = DEFAULT_RESOLUTION
    if state[GRID_KEY] not in GRIDS:
        state[GRID_KEY] = DEFAULT_GRID
    if state[SECTION_KEY] not in SECTIONS:  # (the view's tabs, drawn after these)
        state[SECTION_KEY] = DEFAULT_SECTION
    left, middle, right = st.columns([5, 3, 3], vertical_alignment="bottom")
    with left:
        metric = st.radio(
            "Metric",
            list(offered),
            key=METRIC_KEY,
            horizontal=True,
            format_func=lambda k: offered[k].label.replace("<sub>min</sub>", "_min"),
            help="; ".join(
                f"{m.label.replace('<sub>min</sub>', '_min')}: {m.help}" for m in offered.values()
            ),
        )
    with middle:
        resolution = st.select_slider(
            "Resolution (cells per axis)",
            options=list(RESOLUTIONS),
            key=RESOLUTION_KEY,
            format_func=lambda r: f"{r} × {r}",
            help="every cell is one full run; 100 × 100 is 10,000 runs per optimizer",
        )
    with right:
        grid = st.radio(
            "ADADELTA's grid",
            list(GRIDS),
            key=GRID_KEY,
            horizontal=True,
            format_func=GRID_LABELS.__getitem__,
            disabled=not adadelta,
            help="the paper's Table 2 tried ρ ∈ {0.9, 0.95, 0.99} × ε ∈ {10⁻², 10⁻⁴, 10⁻⁶, "
            "10⁻⁸}: 12 cells, whatever the resolution",
        )
    state[KEEP[METRIC_KEY]] = metric
    state[KEEP[RESOLUTION_KEY]] = resolution
    state[KEEP[GRID_KEY]] = grid
    return str(metric), int(resolution), str(grid)


def sensitivity_view(scene: Scene, presentation: Presentation) -> None:
    """The Sensitivity tab (see the module docstring). With a lesson open, its box is the
    title and the view's settings are folded, so that the heatmaps start on the first
    screen of a projector."""
    lesson = bool(presentation.lesson)
    if not lesson:
        st.subheader("Sensitivity: how much of each hyperparameter range works?")
    sc = swept_scene(scene)
    if not sc.optimizers:
        st.info(
            "Choose at least one optimizer in the sidebar (SGD, momentum, ADAGRAD, "
            "ADADELTA, RMSprop, Adam or Nesterov)."
        )
        return
    try:
        obj = sc.run_objective()
    except (ValueError, KeyError) as err:
        st.error(f"This function cannot be swept: {escape(err)}")
        return
    has_min = obj.f_min is not None
    with (
        st.expander("This view's settings: the metric, the resolution, ADADELTA's grid")
        if lesson
        else contextlib.nullcontext()
    ):
        metric, resolution, grid = _controls(has_min, "adadelta" in sc.optimizers)
    if not has_min:
        why = (
            "no minimum is known for a typed formula"
            if sc.objective == CUSTOM
            else f"**{obj.display_name}** has no minimum — it is unbounded below"
        )
        st.info(
            f"{why[0].upper()}{why[1:]}, so there is no f − f_min, no “steps to "
            "tolerance” and no distance to a minimum. The heatmaps show f itself (lower "
            "is better), and a run that escapes to infinity is marked diverged.",
            icon=":material/info:",
        )

    lowered = {
        k: resolution_for(k, resolution, sc.steps)
        for k in sc.optimizers
        if not uses_paper_grid(k, grid)
    }
    lowered = {k: r for k, r in lowered.items() if r < resolution}
    if lowered:
        st.warning(
            f"{sc.steps} steps × {resolution} × {resolution} cells would be too slow here, so "
            + ", ".join(
                f"**{_label(k)}** uses {r} × {r}"
                if len(sweep_axes(k)) == 2
                else f"**{_label(k)}** uses {r} cells"
                for k, r in lowered.items()
            )
            + f" (at most {WORK_BUDGET:.0e} run-steps per optimizer"
            + "). Fewer steps allow a finer grid.",
            icon=":material/timer:",
        )

    state = st.session_state
    heat_tab, noise_tab, basin_tab = st.tabs(
        list(SECTIONS), key=SECTION_KEY, on_change="rerun", width="stretch"
    )
    state[KEEP[SECTION_KEY]] = state[SECTION_KEY]
    with heat_tab:
        if heat_tab.open is not False:
            _heatmap_section(sc, scene, presentation, metric, resolution, grid, has_min)
    with noise_tab:
        if noise_tab.open:
            _noise_section(sc, scene, presentation)
    with basin_tab:
        if basin_tab.open:
            _basins_section(sc, scene, presentation)


def _heatmap_section(
    sc: Scene,
    scene: Scene,
    presentation: Presentation,
    metric: str,
    resolution: int,
    grid: str,
    has_min: bool,
) -> None:
    """The heatmaps (a click on a cell loads it) and each optimizer's grid score."""
    presenter = presentation.presenter
    cells = sum(
        math.prod(
            len(v) for v in grid_for(k, resolution_for(k, resolution, sc.steps), grid).values()
        )
        for k in sc.optimizers
    )
    try:
        with st.spinner(f"Running {cells:,} configurations × {sc.steps} steps…"):
            data = sweep_set(sc, resolution, grid)
            fig = heatmap_for(sc, metric, resolution, presenter, grid, presentation.theme)
    except ValueError as err:  # a bad combination of settings: say so, plainly
        st.error(f"These settings cannot be swept: {escape(err)}")
        return

    st.plotly_chart(
        fig,
        key=CHART_KEY,
        on_select=_on_cell_select,
        selection_mode="points",
        width="stretch",
        theme=None,
        config={
            "displaylogo": False,
            "scrollZoom": False,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        },
    )
    floor = f"{DISPLAY_FLOOR:.0e}".replace("e-", "e−")
    scale_note = {
        "final": f"log colour scale; values below {floor} are drawn as {floor}",
        "best": f"log colour scale; values below {floor} are drawn as {floor}",
        "distance": f"log colour scale; distances below {floor} are drawn as {floor}",
        "steps": "linear colour scale",
    }
    if not has_min:
        scale_note = {
            "final": "signed log colour scale: sign(f)·log₁₀(1 + |f|)",
            "best": "signed log colour scale: sign(f)·log₁₀(1 + |f|)",
        }
    st.caption(
        f"Every cell is one run of {sc.steps} steps from ({scene.start[0]:g}, "
        f"{scene.start[1]:g}) with σ = {scene.noise:g}"
        + (f" (seed {scene.seed})" if scene.noise else "")
        + " — the sidebar's scene; hyperparameters not on a panel's axes keep their slider "
        f"values. One colour scale for every panel ({scale_note[metric]}); red cells "
        "diverged"
        + ("; grey cells never reached the tolerance" if metric == "steps" else "")
        + ". ★ the paper's default (ρ = 0.95, ε = 10⁻⁶); ◯ the sliders' current setting. "
        "**Click a cell** to load that configuration into the trajectory view (the values "
        "move to the nearest ones the sliders offer). "
        f"{sum(r.size for r in data.results.values()):,} runs took {data.seconds:.2f} s "
        f"({engine_phrase(data.engines)}, when first computed)."
    )

    st.markdown("#### How much of each optimizer's own grid works?")
    rows = [(_label(k), score) for k, score in data.scores.items()]
    st.markdown(sweeps.score_table(rows))
    if not has_min:
        st.info(
            "Without a known minimum there is no f − f_min, so nothing counts as solved "
            "and there is no spread of gaps: only the diverged share is measured here. "
            "Pick a function with a minimum (Rosenbrock, Booth, the valleys…).",
            icon=":material/info:",
        )
    else:
        st.markdown(score_sentence(data.scores))
    st.plotly_chart(
        score_figure(
            data.scores,
            {k: _label(k) for k in data.scores},
            presenter=presenter,
            theme=presentation.theme,
        ),
        key="sensitivity_shares",
        width="stretch",
        theme=None,
        config={"displaylogo": False, "displayModeBar": False},
    )
    target = next((s.target for s in data.scores.values() if s.target is not None), None)
    st.caption(
        "Grid score (`optviz.sweeps.grid_score`, the one measure optviz uses for "
        "insensitivity): each optimizer over **its own** grid — log-uniform over its "
        "sliders' ranges, or the paper's 3 × 4 for ADADELTA when chosen — and never against "
        "another's best cell. A cell **solved** the problem when its final f − f_min is at "
        f"most {sweeps.SUCCESS_REDUCTION:g} × the start's gap"
        + (f" (here {target:.3g})" if target is not None else "")
        + ", i.e. it closed 99.9 % of the gap within the steps; the **spread** is how many "
        "decades the middle half of the final gaps covers (gaps below 10⁻¹² count as "
        "10⁻¹², diverged cells as infinitely bad). It does not depend on the metric "
        "shown above."
    )


def _noise_section(sc: Scene, scene: Scene, presentation: Presentation) -> None:
    """The final loss against the gradient noise's σ, each optimizer at its setting."""
    presenter = presentation.presenter
    st.markdown("#### Gradient noise: final loss against σ")
    try:
        with st.spinner(
            f"Running {len(sc.optimizers)} optimizers × {len(SIGMAS)} noise levels × "
            f"{N_SEEDS} seeds…"
        ):
            ns = noise_sweep(sc)
    except ValueError as err:
        st.error(f"The noise sweep cannot run: {escape(err)}")
        return
    st.plotly_chart(
        noise_figure(
            ns.sigmas,
            ns.series(),
            has_minimum=ns.has_minimum,
            presenter=presenter,
            current_sigma=scene.noise if scene.noise in SIGMAS else None,
            theme=presentation.theme,
        ),
        key="sensitivity_noise",
        width="stretch",
        theme=None,
        config={"displaylogo": False, "displayModeBar": False},
    )
    k = sc.transform.scale_exp
    scaled = f" (σ multiplied by 10^{k}, like f)" if k else ""
    runs = sum(f.size for f in ns.finals.values())
    st.caption(
        f"Each optimizer at its slider setting, {sc.steps} steps from the same start, with "
        f"Gaussian noise of scale σ{scaled} added to every gradient; each point is the "
        f"mean over seeds {ns.seeds[0]}–{ns.seeds[-1]} of the runs that did not diverge "
        "(each seed's noise is the trajectory view's with that seed). "
        f"{runs:,} runs took {ns.seconds:.2f} s ({engine_phrase(ns.engines)}, when first "
        "computed)."
    )
    st.markdown(noise_paragraph(ns))


def _basins_section(sc: Scene, scene: Scene, presentation: Presentation) -> None:
    """One basin map per swept optimizer, at the scene's own hyperparameters."""
    st.markdown("#### Basins: which minimum does each start reach?")
    resolution = basin_resolution(sc.steps)
    panels, seconds, engines = [], 0.0, {}
    try:
        with st.spinner(
            f"Running {len(sc.optimizers)} optimizers × {resolution * resolution:,} starts…"
        ):
            for key in sc.optimizers:
                hp = sc.hp(key)
                b, took = basins_for(problem_of(sc), key, tuple(sorted(hp.items())), resolution)
                seconds += took
                engines[key] = b.engine
                panels.append(BasinPanel(key, _label(key), b, hp_note(key, hp)))
            fig = basin_figure(panels, presenter=presentation.presenter, theme=presentation.theme)
    except ValueError as err:
        st.error(f"The basin maps cannot be computed: {escape(err)}")
        return
    st.plotly_chart(
        fig,
        key="sensitivity_basins",
        width="stretch",
        theme=None,
        config={"displaylogo": False, "displayModeBar": False},
    )
    first = panels[0].basins
    st.caption(
        f"Each cell is one start of a {resolution} × {resolution} grid over the plot, run "
        f"for {sc.steps} steps with each optimizer at the sidebar's settings (under its "
        f"title), σ = {scene.noise:g}"
        + (f" (seed {scene.seed})" if scene.noise else "")
        + f"; coloured by the listed minimum its last point is within {first.radius:.3g} "
        f"of, paler the more steps it took to reach f − f(m) < {first.tol:g} (hover for the "
        "number); red: diverged. "
        f"{sum(p.basins.size for p in panels):,} runs took {seconds:.2f} s "
        f"({engine_phrase(engines)}, when first computed)."
    )
    st.markdown("; ".join(f"**{p.label}**: {basin_counts(p.basins)}" for p in panels) + ".")


def basin_counts(b: BasinMap) -> str:
    """ "52 % to minimum (3, 2), 3 % diverged": the shares of a map's starts per class, in
    the legend's words (every class that has a start; they add up to the grid)."""
    return ", ".join(
        f"{share(n / b.size)} {'to ' if cls >= 0 else ''}{basin_class_name(b, cls)}"
        for cls, n in b.counts().items()
        if n
    )
