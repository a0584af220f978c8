"""The lecture: the lessons in teaching order, each followed by its follow-ups.

A lesson's *stages* are its own scene (stage 0), then each of its follow-ups in order,
each applied to the scene before it (stage 1 is the lesson's scene with its first
follow-up applied, stage 2 that with the second applied, …). A follow-up that its
``available`` refuses on the scene before it is left out of the sequence (its button
still shows where it is offered). The lecture is every lesson's stages, lesson after
lesson: ``stages()``; :func:`neighbour` is the stage one place after (or before) another,
which the lecture's ▶ / ◀ and the keys N / P open.

Pure functions of the registry: no Streamlit here.
"""

from __future__ import annotations

from typing import NamedTuple

from .base import FollowUp, Scene, get, names


class Stage(NamedTuple):
    """One place in the lecture: lesson ``lesson``'s stage ``stage`` (0: the lesson as it
    opens; k ≥ 1: after its k-th follow-up in the sequence, ``follow_up`` its index in
    ``Lesson.follow_ups``, -1 for stage 0), and the scene it shows."""

    lesson: str
    stage: int
    follow_up: int
    scene: Scene

    @property
    def label(self) -> str:
        """What the stage is: the lesson's title, or the follow-up's label."""
        lesson = get(self.lesson)
        return lesson.title if self.follow_up < 0 else lesson.follow_ups[self.follow_up].label


def lesson_stages(key: str) -> list[Stage]:
    """Lesson ``key``'s stages: its own scene, then each follow-up it offers in turn."""
    lesson = get(key)
    scene = lesson.scene
    out = [Stage(key, 0, -1, scene)]
    for i, follow in enumerate(lesson.follow_ups):
        if _offered(follow, scene):
            scene = follow.scene(scene)
            out.append(Stage(key, len(out), i, scene))
    return out


def _offered(follow: FollowUp, scene: Scene) -> bool:
    try:
        return bool(follow.available(scene))
    except Exception:  # a follow-up that cannot judge this scene is not offered
        return False


def stage_count(key: str) -> int:
    """How many stages lesson ``key`` has (1: no follow-up)."""
    return len(lesson_stages(key))


def stage_scene(key: str, stage: int) -> Scene:
    """The scene of lesson ``key``'s stage ``stage`` (``IndexError`` past its last)."""
    if stage < 0:
        raise IndexError(f"no stage {stage} of lesson {key!r}")
    return lesson_stages(key)[stage].scene


def stages() -> list[Stage]:
    """The whole lecture, in order: every lesson's stages, lesson after lesson."""
    return [s for key in names() for s in lesson_stages(key)]


def position(key: str, stage: int) -> int:
    """The index in :func:`stages` of lesson ``key``'s stage ``stage`` (a stage past the
    lesson's last counts as its last)."""
    order = [(s.lesson, s.stage) for s in stages()]
    last = stage_count(key) - 1
    return order.index((key, min(max(int(stage), 0), last)))


def neighbour(key: str, stage: int, delta: int) -> Stage | None:
    """The stage ``delta`` places after (``delta`` < 0: before) lesson ``key``'s stage
    ``stage``; from no lesson (``key`` ""), the lecture's first (or, going back, its
    last) stage. None past either end."""
    order = stages()
    if key not in names():
        return order[0 if delta > 0 else -1] if delta and order else None
    index = position(key, stage) + delta
    return order[index] if 0 <= index < len(order) else None
