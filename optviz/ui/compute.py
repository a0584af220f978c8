"""Cached computations behind the page: small hashable keys in, core objects out.

Objectives (SymPy + lambdified functions) and trajectories hold functions, which
``st.cache_data`` would have to pickle, so they live in ``st.cache_resource`` (shared,
never mutated), each cache bounded. A slider move changes one optimizer's key: the other
optimizers' runs and the objective come straight from the cache.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import plotly.io as pio
import streamlit as st

from .. import objectives, optimizers
from ..figures import PathView, SpecFigure, colour_of, trajectory_figure
from ..formula import from_expression
from ..objectives import Objective
from ..optimizers import HyperParam
from ..runner import Trajectory, run
from .lessons_view import lesson_ghosts
from .state import Scene

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


@st.cache_resource(max_entries=64, show_spinner=False)
def transformed_objective(key: ObjectiveKey, scale_exp: int, stretch: float) -> Objective:
    """The objective multiplied by 10**scale_exp and seen in stretched x (x' = s·x)."""
    obj = objective_for(key)
    if scale_exp:
        obj = obj.scaled(10.0**scale_exp)
    if stretch != 1.0:
        obj = obj.stretched(stretch)
    return obj


def scene_objective(scene: Scene) -> Objective:
    """What the figure draws: the objective, scaled (the contour is in original x)."""
    return transformed_objective(scene.objective_key, scene.scale_exp, 1.0)


def _to_original_x(traj: Trajectory, stretch: float) -> Trajectory:
    """A run made in stretched coordinates x' = s·x, with its positions mapped back to x."""
    if stretch == 1.0:
        return traj
    positions = traj.positions.copy()
    positions[..., 0] /= stretch
    return dataclasses.replace(traj, positions=positions)


def in_optimizer_coordinates(traj: Trajectory, stretch: float) -> Trajectory:
    """A run of the stretch demo with its positions in the optimizer's own x' = s·x again
    (the figure draws it in x; its gradients, updates and state are in x' throughout)."""
    if stretch == 1.0:
        return traj
    positions = traj.positions.copy()
    positions[..., 0] *= stretch
    return dataclasses.replace(traj, positions=positions)


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
    obj = transformed_objective(objective_key, scale_exp, stretch)
    x0 = (start[0] * stretch, start[1])
    traj = run(obj, opt, x0, steps, seed=seed, noise=noise * 10.0**scale_exp)
    return _to_original_x(traj, stretch)


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
    obj = transformed_objective(scene.objective_key, scene.scale_exp, scene.stretch)
    traj = run(
        obj,
        opt,
        (scene.start[0] * scene.stretch, scene.start[1]),
        scene.steps,
        seed=scene.seed,
        noise=scene.noise * 10.0**scene.scale_exp,
    )
    positions = traj.positions.copy()
    positions[..., 0] /= scene.stretch
    colour = colour_of(key)
    return [(positions[:, i], colour, f"{key} {name}={v:.3g}") for i, v in enumerate(values)]


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
        label = spec.display_name
        if key == "adadelta" and hp.get("lr", 1.0) != 1.0:
            label = f"ADADELTA (library variant, η={hp['lr']:g})"
        paths.append(PathView(key=key, label=label, spec=spec, trajectory=traj))
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
