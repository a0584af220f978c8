"""Cached computations behind the page: a Scene (and a Presentation) in, figures out.

The objective and every optimizer's run come from the core's own caches
(``Scene.base_objective``, ``Scene.run``: one per distinct run, bounded), so a slider move
reruns one optimizer, not the others. What only the page needs — the ghost fan, the
figure and its JSON — lives in ``st.cache_resource`` (shared, never mutated), each cache
bounded.
"""

from __future__ import annotations

import numpy as np
import plotly.io as pio
import streamlit as st

from .. import optimizers
from ..figures import GhostFan, PathView, SpecFigure, trajectory_figure
from ..optimizers import HyperParam
from ..scene import Scene
from .state import Presentation, lesson_focus, lesson_ghosts

# A Scene is a frozen dataclass of numbers, strings and tuples, so its repr is a complete,
# exact key; Streamlit's generic hashing of it costs ~1 ms per cached call.
SCENE_KEY = {Scene: repr, Presentation: repr}


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=SCENE_KEY)
def ghost_fan_for(scene: Scene, presentation: Presentation) -> GhostFan | None:
    """Faint paths for a fan of values of one hyperparameter (one batched run), or None."""
    ghost = presentation.ghost
    if not ghost or "." not in ghost:
        return None
    key, name = ghost.split(".", 1)
    if key not in scene.optimizers:
        return None
    hp = optimizers.get(key).hyperparam(name)
    values = fan(hp, presentation.ghost_count)
    config = {**scene.hp(key), name: values}
    opt = optimizers.build(key, **config)
    traj = scene.transform_of(key).run(
        scene.base_objective(),
        opt,
        scene.start,
        scene.steps,
        seed=scene.seed,
        noise=scene.noise,
    )
    return GhostFan(
        key=key,
        name=name,
        symbol=hp.label.split(" ")[0],
        values=tuple(float(v) for v in values),
        positions=traj.positions,
        scale=fan_scale(hp),
    )


def fan_scale(hp: HyperParam) -> str:
    """How :func:`fan` spreads a hyperparameter's values (a :class:`GhostFan`'s ``scale``):
    "log", "log1m" (log(1−ρ), for rates below 1) or "linear"."""
    if hp.log:
        return "log"
    if hp.high == 1.0 and hp.high_open:
        return "log1m"
    return "linear"


def fan(hp: HyperParam, count: int) -> np.ndarray:
    """``count`` values across a hyperparameter's slider range (log, or log(1−ρ) for rates)."""
    lo, hi = hp.ui_low, hp.ui_high
    scale = fan_scale(hp)
    if scale == "log":
        return np.logspace(np.log10(lo), np.log10(hi), count)
    if scale == "log1m":
        return 1.0 - np.logspace(np.log10(1.0 - lo), np.log10(1.0 - hi), count)
    return np.linspace(lo, hi, count)


def scene_paths(scene: Scene, focus: tuple[str, ...] = ()) -> list[PathView]:
    """Every compared optimizer's run in ``scene`` (each cached: ``Scene.run``), as the
    figure wants them (``ValueError`` for a hyperparameter a spec refuses); a second run
    of an optimizer in the next of :data:`~optviz.optimizers.INSTANCE_COLOURS`. With a
    ``focus`` (the optimizers an open lesson is about) the others are dimmed and the focus
    is drawn last, on top."""
    focus = tuple(k for k in focus if k in map(optimizers.spec_key, scene.optimizers))
    paths = []
    # second runs take the instance colours in turn, so that no two of them share one
    instances = [k for k in scene.optimizers if k not in optimizers.REGISTRY]
    colours = optimizers.INSTANCE_COLOURS
    for key in scene.optimizers:
        spec = optimizers.get(key)
        label = scene.label(key)
        dimmed = bool(focus) and optimizers.spec_key(key) not in focus  # (its runs too)
        colour = colours[instances.index(key) % len(colours)] if key in instances else ""
        paths.append(
            PathView(
                key=key,
                label=label,
                spec=spec,
                trajectory=scene.run(key),
                color=colour,
                dimmed=dimmed,
            )
        )
    return [p for p in paths if p.dimmed] + [p for p in paths if not p.dimmed]


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def scene_figure(scene: Scene, presentation: Presentation) -> SpecFigure:
    """The animated figure of ``scene`` as ``presentation`` shows it (built once each)."""
    return trajectory_figure(
        scene.plot_objective(),
        scene_paths(scene, lesson_focus(presentation)),
        start=scene.start,
        frame_ms=presentation.frame_ms,
        presenter=presentation.presenter,
        ghosts=lesson_ghosts(scene, presentation),
        fan=ghost_fan_for(scene, presentation),
        theme=presentation.theme,
        frames=False,  # the chart's own step cursor (an export adds plotly's frames)
        arrows=presentation.arrows,
        surface=presentation.surface,
    )


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def scene_figure_json(scene: Scene, presentation: Presentation) -> str:
    """:func:`scene_figure` as the JSON text the browser gets (made once per scene, not
    on every rerun that shows the same figure)."""
    return pio.to_json(scene_figure(scene, presentation), validate=False)
