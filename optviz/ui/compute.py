"""Cached computations behind the page: small hashable keys in, core objects out.

Objectives (SymPy + lambdified functions) and trajectories hold functions, which
``st.cache_data`` would have to pickle, so they live in ``st.cache_resource`` (shared,
never mutated), each cache bounded. A slider move changes one optimizer's key: the other
optimizers' runs and the objective come straight from the cache.
"""

from __future__ import annotations

import streamlit as st

from .. import objectives, optimizers
from ..figures import PathView, SpecFigure, trajectory_figure
from ..objectives import Objective
from ..runner import Trajectory, run
from .state import Scene


@st.cache_resource(max_entries=64, show_spinner=False)
def objective_for(name: str) -> Objective:
    """A catalogue objective, compiled once per process."""
    return objectives.get(name)


def scene_objective(scene: Scene) -> Objective:
    return objective_for(scene.objective)


@st.cache_resource(max_entries=512, show_spinner=False)
def trajectory_for(
    objective_name: str,
    key: str,
    hyperparams: tuple[tuple[str, float], ...],
    start: tuple[float, float],
    steps: int,
    noise: float,
    seed: int,
) -> Trajectory:
    """One optimizer's run (ValueError for bad hyperparameters, with a clear message)."""
    opt = optimizers.build(key, **dict(hyperparams))
    return run(objective_for(objective_name), opt, start, steps, seed=seed, noise=noise)


def scene_paths(scene: Scene) -> list[PathView]:
    """Every selected optimizer's run in ``scene``, as the figure wants them."""
    paths = []
    for key in scene.optimizers:
        spec = optimizers.get(key)
        hp = scene.hp(key)
        traj = trajectory_for(scene.objective, key, tuple(sorted(hp.items())), scene.start,
                              scene.steps, scene.noise, scene.seed)
        label = spec.display_name
        if key == "adadelta" and hp.get("lr", 1.0) != 1.0:
            label = f"ADADELTA (library variant, η={hp['lr']:g})"
        paths.append(PathView(key=key, label=label, spec=spec, trajectory=traj))
    return paths


@st.cache_resource(max_entries=32, show_spinner=False)
def scene_figure(scene: Scene) -> SpecFigure:
    """The animated figure of ``scene`` (built once per distinct scene)."""
    return trajectory_figure(scene_objective(scene), scene_paths(scene), start=scene.start,
                             frame_ms=scene.frame_ms, presenter=scene.presenter)
