"""Cached computations behind the page: small hashable keys in, core objects out.

Objectives (SymPy + lambdified functions) and trajectories hold functions, which
``st.cache_data`` would have to pickle, so they live in ``st.cache_resource`` (shared,
never mutated), each cache bounded. A slider move changes one optimizer's key: the other
optimizers' runs and the objective come straight from the cache.
"""

from __future__ import annotations

import numpy as np
import plotly.io as pio
import streamlit as st

from .. import objectives, optimizers
from ..figures import PathView, SpecFigure, colour_of, trajectory_figure
from ..formula import from_expression
from ..objectives import Objective
from ..optimizers import HyperParam
from ..runner import Trajectory
from ..scene import Transform
from .state import Scene, lesson_ghosts

ObjectiveKey = str | tuple  # a catalogue name, or ("custom", formula, bounds)

# A Scene is a frozen dataclass of numbers, strings and tuples, so its repr is a complete,
# exact key; Streamlit's generic hashing of it costs ~1 ms per cached call.
SCENE_KEY = {Scene: repr}


@st.cache_resource(max_entries=64, show_spinner=False)
def objective_for(key: ObjectiveKey) -> Objective:
    """A catalogue objective, or a typed formula (``("custom", text, bounds)``), compiled
    once per process (the formula through :func:`optviz.formula.from_expression`: validated,
    never evaluated as code; ``ExpressionError`` for a formula it will not accept)."""
    if isinstance(key, tuple):
        _, formula, bounds = key
        return from_expression(formula, bounds=bounds)
    return objectives.get(key)


def transformed_objective(key: ObjectiveKey, scale_exp: int, stretch: float) -> Objective:
    """The objective multiplied by 10**scale_exp and seen in stretched x (x' = s·x)."""
    return Transform(scale_exp, stretch).objective(objective_for(key))


def scene_objective(scene: Scene) -> Objective:
    """What the figure draws: the objective, scaled (the contour is in original x)."""
    return Transform(scene.scale_exp, scene.stretch).plot_objective(
        objective_for(scene.objective_key)
    )


@st.cache_resource(max_entries=512, show_spinner=False)
def trajectory_for(
    objective_key: ObjectiveKey,
    key: str,
    hyperparams: tuple[tuple[str, float], ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
    scale_exp: int = 0,
    stretch: float = 1.0,
) -> Trajectory:
    """One optimizer's run (ValueError for bad hyperparameters, with a clear message).

    With a stretch s the run happens in x' = s·x (from x'₀ = s·x₀) and its positions are
    returned in the original x, so that paths can be compared on one contour.
    """
    opt = optimizers.build(key, **dict(hyperparams))
    transform = Transform(scale_exp, stretch)
    return transform.run(objective_for(objective_key), opt, start, steps, seed=seed, noise=noise)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=SCENE_KEY)
def ghost_paths_for(scene: Scene) -> list[tuple[np.ndarray, str, str]]:
    """Faint paths for a fan of values of one hyperparameter (one batched run)."""
    if not scene.ghost or "." not in scene.ghost:
        return []
    key, name = scene.ghost.split(".", 1)
    if key not in scene.optimizers:
        return []
    hp = optimizers.get(key).hyperparam(name)
    values = fan(hp, scene.ghost_count)
    config = {**scene.hp(key), name: values}
    opt = optimizers.build(key, **config)
    traj = Transform(scene.scale_exp, scene.stretch).run(
        objective_for(scene.objective_key),
        opt,
        scene.start,
        scene.steps,
        seed=scene.seed,
        noise=scene.noise,
    )
    colour = colour_of(key)
    return [(traj.positions[:, i], colour, f"{key} {name}={v:.3g}") for i, v in enumerate(values)]


def fan(hp: HyperParam, count: int) -> np.ndarray:
    """``count`` values across a hyperparameter's slider range (log, or log(1−ρ) for rates)."""
    lo, hi = hp.ui_low, hp.ui_high
    if hp.log:
        return np.logspace(np.log10(lo), np.log10(hi), count)
    if hp.high == 1.0 and hp.high_open:
        return 1.0 - np.logspace(np.log10(1.0 - lo), np.log10(1.0 - hi), count)
    return np.linspace(lo, hi, count)


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def scene_paths(scene: Scene) -> list[PathView]:
    """Every selected optimizer's run in ``scene``, as the figure wants them."""
    paths = []
    for key in scene.optimizers:
        spec = optimizers.get(key)
        hp = scene.hp(key)
        traj = trajectory_for(
            scene.objective_key,
            key,
            tuple(sorted(hp.items())),
            scene.start,
            scene.steps,
            scene.noise,
            scene.seed,
            scene.scale_exp,
            scene.stretch,
        )
        paths.append(PathView(key=key, label=spec.label(hp), spec=spec, trajectory=traj))
    return paths


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def scene_figure(scene: Scene) -> SpecFigure:
    """The animated figure of ``scene`` (built once per distinct scene)."""
    return trajectory_figure(
        scene_objective(scene),
        scene_paths(scene),
        start=scene.start,
        frame_ms=scene.frame_ms,
        presenter=scene.presenter,
        ghosts=ghost_paths_for(scene) + lesson_ghosts(scene),
    )


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=SCENE_KEY)
def scene_figure_json(scene: Scene) -> str:
    """:func:`scene_figure` as the JSON text the browser gets (made once per scene, not
    on every rerun that shows the same figure)."""
    return pio.to_json(scene_figure(scene), validate=False)
