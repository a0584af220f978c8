"""Lessons in the app: open a lesson's scene in the controls, and keep its text live.

A lesson (``optviz.lessons``) holds a :class:`optviz.scene.Scene`; opening it writes that
scene into the controls (``controls.write_scene``), so every control then shows the
lesson's scene and stays movable.
Its explanation is recomputed from the runs of the *current* controls on every rerun:
move ρ and the numbers in the text move with the picture.
"""

from __future__ import annotations

import dataclasses
import functools

import streamlit as st

from .. import lessons, optimizers
from ..runner import Trajectory
from ..scene import Scene
from .controls import write_scene
from .state import (
    INSPECT_KEY,
    STAGE,
    VISITED,
    Presentation,
    lecture_place,
    lesson_presentation,
    lesson_state,
    move_step,
    scene_of,
)

NONE = ""


def _label(key: str, place: tuple[str, int] = (NONE, 0)) -> str:
    """A lesson's entry in the picker: its place in the lecture, and for the open lesson
    (``place``: its key and stage) with follow-ups, which part of it is on screen
    ("5/12 · part 2 of 2. …")."""
    if key == NONE:
        return "No lesson: free exploration"
    number = f"{lessons.names().index(key) + 1}/{len(lessons.names())}"
    count = lessons.stage_count(key) if key == place[0] else 1
    part = f" · part {place[1] + 1} of {count}" if count > 1 else ""
    return f"{number}{part}. {lessons.get(key).title}"


def _on_lesson_change() -> None:
    key = st.session_state.get("lesson", NONE)
    if key:
        open_lesson(key)
    else:
        st.session_state[STAGE] = 0


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
        # (the lecture's place is bound now: the labels are those of this run)
        format_func=functools.partial(_label, place=lecture_place(st.session_state)),
        on_change=_on_lesson_change,
        label_visibility=label_visibility,
        help="one lesson per claim of the paper: it loads a scene, and its text "
        "is computed from the live numbers as you move the sliders",
    )


def _step_lecture(delta: int) -> None:
    open_next_lesson(delta)


def _numbered(key: str) -> str:
    return f"{lessons.names().index(key) + 1}/{len(lessons.names())}. {lessons.get(key).title}"


def next_help(key: str, stage: int) -> str:
    """What ▶ opens from lesson ``key``'s stage ``stage`` ("" key: no lesson open)."""
    after = lessons.neighbour(key, stage, 1)
    if after is None:
        return "the end of the lecture"
    if after.lesson == key:
        return f"next: {after.label} (key N or Page Down)"
    return f"next lesson: {_numbered(after.lesson)} (key N or Page Down)"


def back_help(key: str, stage: int) -> str:
    """What ◀ opens from lesson ``key``'s stage ``stage``."""
    before = lessons.neighbour(key, stage, -1)
    if before is None:
        return "the start of the lecture"
    if before.lesson == key:
        if before.stage == 0:
            return f"back: {_numbered(key)}, as it opens (key P or Page Up)"
        return f"back: {before.label} (key P or Page Up)"
    after = f", after “{before.label}”" if before.stage else ""
    return f"previous lesson: {_numbered(before.lesson)}{after} (key P or Page Up)"


def lecture_controls() -> None:
    """The lecture: back one stage, the lesson picker (its number of the whole shown, and
    the part of a lesson with follow-ups), on one stage — a stage is a lesson as it opens,
    or one of its follow-ups (``optviz.lessons.lecture``). The chart's keys N / P (or
    Page Down / Page Up) do the same."""
    key, stage = lecture_place(st.session_state)
    if key:  # the agenda ticks the lessons opened in this session
        st.session_state.setdefault(VISITED, set()).add(key)
    with st.container(key="lecture"):
        _lecture_row(key, stage)


def _lecture_row(key: str, stage: int) -> None:
    back, picker, forward = st.columns([1, 7, 1], vertical_alignment="center", gap="small")
    back.button(
        "",
        key="lecture_back",
        icon=":material/chevron_left:",
        on_click=_step_lecture,
        args=(-1,),
        disabled=bool(key) and lessons.neighbour(key, stage, -1) is None,
        help=back_help(key, stage),
    )
    with picker:
        lesson_picker("collapsed")
    forward.button(
        "",
        key="lecture_next",
        icon=":material/chevron_right:",
        on_click=_step_lecture,
        args=(1,),
        disabled=bool(key) and lessons.neighbour(key, stage, 1) is None,
        help=next_help(key, stage),
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def _lesson_text(key: str, scene: Scene, _runs: dict[str, Trajectory]) -> tuple[str, bool]:
    lesson = lessons.get(key)
    return lesson.markdown(scene, _runs), lesson.holds(scene, _runs)


def lesson_panel(scene: Scene, presentation: Presentation, runs: dict[str, Trajectory]) -> None:
    """The open lesson's title and text, computed from the runs on screen (at a follow-up
    of the lecture, which part of the lesson it is and the follow-up's label)."""
    if not presentation.lesson:
        return
    lesson = lessons.get(presentation.lesson)
    open_key, stage = lecture_place(st.session_state)
    stage = stage if open_key == lesson.key else 0
    count = lessons.stage_count(lesson.key)
    text, holds = _lesson_text(lesson.key, scene, runs)
    number = lessons.names().index(lesson.key) + 1
    part = f" · part {stage + 1} of {count}" if count > 1 else ""
    with (
        st.container(key="lesson_text"),
        st.expander(f"**Lesson {number}: {lesson.title}**{part}", expanded=True),
    ):
        if stage:
            st.markdown(f"**Follow-up:** {lessons.lesson_stages(lesson.key)[stage].label}")
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
        st.caption(verdict(holds, own=scene == own_scene(lesson, stage), stage=stage))


def verdict(holds: bool, *, own: bool, stage: int = 0) -> str:
    """The line under a lesson's text: whether its claim holds numerically with the
    settings on screen (``own``: the lesson's own settings, at its ``stage`` of the
    lecture: 0 as it opens, k ≥ 1 after its k-th follow-up)."""
    if own and stage:
        return (
            "✓ With this follow-up's settings the lesson's claim holds numerically too."
            if holds
            else "With this follow-up's settings the lesson's check does not pass: the text "
            "above says what changed."
        )
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
    reruns: the sidebar shows the new settings). The lecture's place follows: the stage
    whose scene is now on screen (a follow-up that undoes itself, as turning the valley
    back, is back at the lesson as it opens), else the follow-up's own stage."""
    scene, presentation = scene_of(st.session_state)
    write_scene(follow_scene(key, index, scene), presentation)
    now = scene_of(st.session_state)[0]
    stages = lessons.lesson_stages(key)
    same = [s.stage for s in stages if own_scene(lessons.get(key), s.stage) == now]
    its = [s.stage for s in stages if s.follow_up == index]
    st.session_state[STAGE] = (same or its or [lecture_place(st.session_state)[1]])[0]
    move_step(st.session_state, 0)
    st.rerun()


def own_scene(lesson: lessons.Lesson, stage: int = 0) -> Scene:
    """The lesson's scene (at its ``stage`` of the lecture) as the controls show it
    (values snapped to the sliders')."""
    return scene_of(lesson_state(lesson, stage))[0]


AGENDA_INTRO = (
    "The lecture: each lesson loads a scene that shows one claim of Zeiler's paper, then "
    "its follow-ups; its text is computed from the runs on screen, so it stays true as you "
    "move the sliders. Walk it with the arrows beside the header's lesson picker, or the "
    "keys **N** / **P** (Page Down / Page Up), in every view."
)


def lessons_overview() -> None:
    """The lecture's agenda: every lesson numbered with its claim, its follow-ups under it,
    each with a button that opens it; where the lecture is ("you are here"), the lessons
    opened in this session (✓), and a button that starts or continues the lecture."""
    st.markdown(AGENDA_INTRO)
    current, stage = lecture_place(st.session_state)
    visited = st.session_state.get(VISITED, set())
    if current:
        part = f" · part {stage + 1}" if lessons.stage_count(current) > 1 else ""
        st.button(
            f"Continue: {_numbered(current)}{part}",
            key="agenda_continue",
            on_click=_continue,
            icon=":material/play_arrow:",
            type="primary",
        )
    else:
        st.button(
            "Start the lecture",
            key="agenda_start",
            on_click=_open,
            args=(lessons.names()[0], 0),
            icon=":material/play_arrow:",
            type="primary",
        )
    for i, key in enumerate(lessons.names(), 1):
        with st.container(key=f"agenda_{key}", border=key == current):
            _agenda_lesson(i, key, current, stage, key in visited)
    st.markdown("**The cost in memory** (state values kept per parameter):")
    st.table(
        [
            {"optimizer": optimizers.get(k).display_name, "values per parameter": n}
            for k, n in lessons.memory_table()
        ]
    )


HERE = " :blue-background[**:material/my_location: you are here**]"


def agenda_line(i: int, key: str, *, here: bool, visited: bool) -> str:
    """A lesson's line in the agenda: ✓ when opened in this session, its number, title
    and claim, and "you are here" at the lecture's place."""
    lesson = lessons.get(key)
    tick = ":green[**✓**] " if visited else ""
    return f"{tick}**{i}. {lesson.title}** — {lesson.claim}" + (HERE if here else "")


def _agenda_lesson(i: int, key: str, current: str, stage: int, visited: bool) -> None:
    c1, c2 = st.columns([6, 1], vertical_alignment="center")
    c1.markdown(agenda_line(i, key, here=key == current and stage == 0, visited=visited))
    c2.button("Open", key=f"open_{key}", on_click=_open, args=(key, 0), width="stretch")
    for s in lessons.lesson_stages(key)[1:]:
        c1, c2 = st.columns([6, 1], vertical_alignment="center")
        here = HERE if key == current and stage == s.stage else ""
        c1.markdown(f"&emsp;↳ *follow-up {i}.{s.stage}:* {s.label}{here}")
        c2.button(
            "Open",
            key=f"open_{key}.{s.stage}",
            on_click=_open,
            args=(key, s.stage),
            width="stretch",
        )


def _continue() -> None:
    """Back to the open lesson where the lecture is, in the lesson's view (its scene as
    it is on screen: nothing is reset)."""
    key, _ = lecture_place(st.session_state)
    if key:
        st.session_state["view"] = lessons.get(key).view
    st.rerun()


def open_next_lesson(delta: int) -> bool:
    """Open the stage of the lecture ``delta`` places after (or before) the one on screen:
    the open lesson's next follow-up, or the next lesson (with none open, the first or the
    last); False when there is none. The header's ▶ / ◀ and the chart's keys N / P."""
    key, stage = lecture_place(st.session_state)
    then = lessons.neighbour(key, stage, delta)
    if then is None:
        return False
    open_stage(then.lesson, then.stage)
    return True


def open_lesson(key: str) -> None:
    """Open lesson ``key``: its scene and presentation become the controls', the step
    cursor at the start."""
    open_stage(key, 0)


def open_stage(key: str, stage: int) -> None:
    """Open lesson ``key`` at its ``stage`` of the lecture (0: its own scene; k: after its
    k-th follow-up): that scene and the lesson's presentation become the controls', the
    step cursor at the start."""
    lesson = lessons.get(key)
    write_scene(lessons.stage_scene(key, stage), _opening(lesson))
    st.session_state[STAGE] = stage
    move_step(st.session_state, 0)


def _open(key: str, stage: int = 0) -> None:
    """Open a lesson (or one of its follow-ups) from the agenda: its scene and presentation
    become the controls' (the header's picker included), so the whole app reruns (not only
    the view's fragment)."""
    open_stage(key, stage)
    st.rerun()
