"""Lessons in the app: open a lesson's scene in the controls, and keep its text live.

A lesson (``optviz.lessons``) holds a :class:`optviz.scene.Scene`; opening it writes that
scene into the controls (``controls.write_scene``), so every control then shows the
lesson's scene and stays movable.
Its explanation is recomputed from the runs of the *current* controls on every rerun:
move ρ and the numbers in the text move with the picture.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from .. import lessons, optimizers
from ..runner import Trajectory
from ..scene import Scene
from .controls import write_scene
from .state import (
    INSPECT_KEY,
    Presentation,
    lesson_presentation,
    lesson_state,
    move_step,
    scene_of,
)

NONE = ""


def _label(key: str) -> str:
    if key == NONE:
        return "No lesson: free exploration"
    return f"{lessons.names().index(key) + 1}/{len(lessons.names())}. {lessons.get(key).title}"


def _on_lesson_change() -> None:
    key = st.session_state.get("lesson", NONE)
    if key:
        open_lesson(key)


def _opening(lesson: lessons.Lesson):
    """How ``lesson`` opens, in the theme and the presenter mode the page is in (they are
    the room's, not the lesson's: ▶ in a lecture keeps the projector's big type)."""
    return dataclasses.replace(
        lesson_presentation(lesson),
        theme=str(st.session_state.get("theme") or "light"),
        presenter=bool(st.session_state.get("presenter", False)),
    )


def lesson_picker(label_visibility: str = "visible") -> None:
    """The lesson selector (loading a lesson sets every control it names)."""
    st.selectbox(
        "Lesson",
        [NONE, *lessons.names()],
        key="lesson",
        format_func=_label,
        on_change=_on_lesson_change,
        label_visibility=label_visibility,
        help="one lesson per claim of the paper: it loads a scene, and its text "
        "is computed from the live numbers as you move the sliders",
    )


def _step_lecture(delta: int) -> None:
    open_next_lesson(delta)


def lecture_controls() -> None:
    """The lecture: the previous lesson, the lesson picker (its number of the whole shown),
    the next lesson. The chart's keys N / P (or Page Down / Page Up) do the same."""
    names = lessons.names()
    current = st.session_state.get("lesson", NONE)
    at = names.index(current) if current in names else -1
    with st.container(key="lecture"):
        _lecture_row(names, at)


def _lecture_row(names: list[str], at: int) -> None:
    back, picker, forward = st.columns([1, 7, 1], vertical_alignment="center", gap="small")
    back.button(
        "",
        key="lecture_back",
        icon=":material/chevron_left:",
        on_click=_step_lecture,
        args=(-1,),
        disabled=at == 0,
        help="the previous lesson (key P or Page Up)",
    )
    with picker:
        lesson_picker("collapsed")
    forward.button(
        "",
        key="lecture_next",
        icon=":material/chevron_right:",
        on_click=_step_lecture,
        args=(1,),
        disabled=at == len(names) - 1,
        help="the next lesson (key N or Page Down)" if at >= 0 else "the first lesson (key N)",
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _lesson_text(key: str, scene: Scene, _runs: dict[str, Trajectory]) -> tuple[str, bool]:
    lesson = lessons.get(key)
    return lesson.markdown(scene, _runs), bool(lesson.check(_runs))


def lesson_panel(scene: Scene, presentation: Presentation, runs: dict[str, Trajectory]) -> None:
    """The open lesson's title and text, computed from the runs on screen."""
    if not presentation.lesson:
        return
    lesson = lessons.get(presentation.lesson)
    text, holds = _lesson_text(lesson.key, scene, runs)
    number = lessons.names().index(lesson.key) + 1
    with (
        st.container(key="lesson_text"),
        st.expander(f"**Lesson {number}: {lesson.title}**", expanded=True),
    ):
        st.markdown(text)
        for i, inspect in enumerate(lesson.inspections):
            target = inspect.at(runs)
            if target is not None and target[0] in runs:
                st.button(
                    f"{inspect.label} (step {target[1]})",
                    key=f"inspect.{lesson.key}.{i}",
                    on_click=_inspect,
                    args=target,
                    icon=":material/search:",
                )
        offered = [(i, f) for i, f in enumerate(lesson.follow_ups) if f.available(scene)]
        for i, follow in offered:
            st.button(
                follow.label,
                key=f"follow.{lesson.key}.{i}",
                on_click=_follow,
                args=(lesson.key, i),
                icon=":material/arrow_forward:",
            )
        st.caption(verdict(holds, own=scene == own_scene(lesson)))


def verdict(holds: bool, *, own: bool) -> str:
    """The line under a lesson's text: whether its claim holds numerically with the
    settings on screen (``own``: the lesson's own settings)."""
    if own:
        return (
            "✓ With the lesson's own settings its claim holds numerically."
            if holds
            else "✗ With these settings the claim does not hold: see the numbers above."
        )
    return "You have changed the lesson's settings: the text above follows your numbers." + (
        "" if holds else " Its claim does not hold with them."
    )


def _inspect(key: str, step: int) -> None:
    """An inspection button: the step inspector (under the chart) at that optimizer and
    step."""
    st.session_state[INSPECT_KEY] = key
    move_step(st.session_state, int(step))


def follow_scene(key: str, index: int, scene: Scene) -> Scene:
    """The scene lesson ``key``'s follow-up ``index`` makes of ``scene``."""
    return lessons.get(key).follow_ups[index].scene(scene)


def _follow(key: str, index: int) -> None:
    """A follow-up button: its scene in the controls, the lesson still open (the whole app
    reruns: the sidebar shows the new settings)."""
    scene, presentation = scene_of(st.session_state)
    write_scene(follow_scene(key, index, scene), presentation)
    st.rerun()


def own_scene(lesson: lessons.Lesson) -> Scene:
    """The lesson's scene as the controls show it (values snapped to the sliders')."""
    return scene_of(lesson_state(lesson))[0]


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


def open_next_lesson(delta: int) -> bool:
    """Open the lesson ``delta`` places after (or before) the open one, in the lecture's
    order (with none open, the first or the last); False when there is none."""
    names = lessons.names()
    current = st.session_state.get("lesson", NONE)
    first = 0 if delta > 0 else len(names) - 1
    index = names.index(current) + delta if current in names else first
    if not 0 <= index < len(names):
        return False
    open_lesson(names[index])
    return True


def open_lesson(key: str) -> None:
    """Open lesson ``key``: its scene and presentation become the controls', the step
    cursor at the start."""
    lesson = lessons.get(key)
    write_scene(lesson.scene, _opening(lesson))
    move_step(st.session_state, 0)


def _open(key: str) -> None:
    """Open a lesson from the overview: its scene and presentation become the controls'
    (the header's picker included), so the whole app reruns (not only the view's fragment)."""
    open_lesson(key)
    st.rerun()
