"""Lessons in the app: load a lesson's settings into the controls, and keep its text live.

A lesson (``optviz.lessons``) loads its settings into the same session-state keys the
sidebar's widgets use, so every control then shows the lesson's scene and stays movable.
Its explanation is recomputed from the runs of the *current* controls on every rerun:
move ρ and the numbers in the text move with the picture.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from .. import lessons, objectives, optimizers
from ..lessons import Lesson, Settings
from ..runner import Trajectory
from .controls import CUSTOM, STRETCHES, all_defaults, hp_key
from .state import Scene, options_for, scene_settings, snap, variant_key

NONE = ""
#: lessons that also fan out one hyperparameter as ghost paths on the contour
LESSON_GHOSTS = {"insensitive": "adadelta.rho"}


def _label(key: str) -> str:
    if key == NONE:
        return "— free exploration —"
    return f"{lessons.names().index(key) + 1}. {lessons.get(key).title}"


def lesson_state(lesson: Lesson) -> dict[str, Any]:
    """The session-state values that load ``lesson`` (every control it names)."""
    s = lesson.settings
    values: dict[str, Any]
    if s.objective in objectives.names():
        values = all_defaults(s.objective)
    else:  # a lesson's own function goes through the formula box
        values = all_defaults(CUSTOM)
        (x0, x1), (y0, y1) = s.bounds or ((-3.0, 3.0), (-3.0, 3.0))
        values.update(objective=CUSTOM, formula=s.formula, xmin=x0, xmax=x1, ymin=y0, ymax=y1)
    values.update(
        start_x=float(s.start[0]),
        start_y=float(s.start[1]),
        steps=int(s.steps),
        optimizers=list(s.optimizers),
        noise=float(s.noise),
        seed=int(s.seed),
        **{
            variant_key(k): k in s.variants
            for k in optimizers.names()
            if optimizers.get(k).paper_values
        },
        scale_exp=int(s.scale_exponent),
        stretch=snap(float(s.stretch), STRETCHES),
        view=s.view,
        ghost=LESSON_GHOSTS.get(lesson.key, ""),
        lesson=lesson.key,
    )
    for key, items in s.hyperparams:
        spec = optimizers.get(key)
        for name, value in items:
            opts = options_for(spec.hyperparam(name))
            values[hp_key(key, name)] = snap(value, opts) if opts else value
    return values


def _on_lesson_change() -> None:
    key = st.session_state.get("lesson", NONE)
    if key:
        for k, v in lesson_state(lessons.get(key)).items():
            st.session_state[k] = v


def lesson_picker() -> None:
    """The lesson selector (loading a lesson sets every control it names)."""
    st.selectbox(
        "Lesson",
        [NONE, *lessons.names()],
        key="lesson",
        format_func=_label,
        on_change=_on_lesson_change,
        help="one lesson per claim of the paper: it loads a scene, and its text "
        "is computed from the live numbers as you move the sliders",
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _lesson_text(key: str, settings: Settings, _runs: dict[str, Trajectory]) -> tuple[str, bool]:
    lesson = lessons.get(key)
    return lesson.markdown(settings, _runs), bool(lesson.check(_runs))


def lesson_panel(scene: Scene, runs: dict[str, Trajectory]) -> None:
    """The active lesson's title and text, computed from the runs on screen."""
    if not scene.lesson:
        return
    lesson = lessons.get(scene.lesson)
    settings = scene_settings(scene)
    text, holds = _lesson_text(lesson.key, settings, runs)
    with st.container(border=True):
        st.markdown(f"#### Lesson {lessons.names().index(lesson.key) + 1}: {lesson.title}")
        st.markdown(text)
        if settings == _own(lesson):
            st.caption(
                "✓ With the lesson's own settings its claim holds numerically."
                if holds
                else "✗ With these settings the claim does not hold: see the numbers above."
            )
        else:
            st.caption(
                "You have changed the lesson's settings: the text above follows your "
                "numbers." + ("" if holds else " Its claim does not hold with them.")
            )


def _own(lesson: Lesson) -> Settings:
    """The lesson's settings as the controls hold them (rounded to the sliders' values)."""
    state = lesson_state(lesson)
    s = lesson.settings
    hyper = []
    for key in sorted(s.optimizers):
        spec = optimizers.get(key)
        values = {hp.name: state.get(hp_key(key, hp.name), hp.default) for hp in spec.hyperparams}
        if key not in s.variants:
            values.update(spec.paper_values)  # the paper's method (ADADELTA: no learning rate)
        hyper.append((key, tuple(sorted(values.items()))))
    return Settings(
        objective=s.objective,
        start=tuple(s.start),
        steps=s.steps,
        optimizers=s.optimizers,
        hyperparams=tuple(hyper),
        noise=s.noise,
        seed=s.seed,
        variants=s.variants,
        scale_exponent=s.scale_exponent,
        stretch=state["stretch"],
        formula=s.formula,
        bounds=s.bounds,
    )


def lessons_overview() -> None:
    """The list of lessons, one line each, with a button that loads each."""
    st.markdown(
        "Each lesson loads a scene that shows one claim of Zeiler's paper; its text "
        "is computed from the runs on screen, so it stays true as you move the "
        "sliders."
    )
    for i, key in enumerate(lessons.names(), 1):
        lesson = lessons.get(key)
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        c1.markdown(f"**{i}. {lesson.title}** — {lesson.claim}")
        c2.button("Open", key=f"open_{key}", on_click=_open, args=(key,), width="stretch")
    st.markdown("**The cost in memory** (state values kept per parameter):")
    st.table(
        [
            {"optimizer": optimizers.get(k).display_name, "values per parameter": n}
            for k, n in lessons.memory_table()
        ]
    )


def _open(key: str) -> None:
    """Load a lesson from the overview: it sets the header's picker and the sidebar's
    controls, so the whole app reruns (not only the view's fragment)."""
    st.session_state["lesson"] = key
    _on_lesson_change()
    st.rerun()
