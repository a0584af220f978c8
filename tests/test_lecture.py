"""The lecture's sequence (``optviz.lessons.lecture``): each lesson, then its follow-ups."""

from __future__ import annotations

import pytest

from optviz import lessons
from optviz.lessons import FollowUp


def test_the_lecture_is_every_lesson_then_its_follow_ups_in_order():
    order = [(s.lesson, s.stage, s.follow_up) for s in lessons.stages()]
    expected = []
    for key in lessons.names():
        expected.append((key, 0, -1))
        expected += [(key, i + 1, i) for i in range(len(lessons.get(key).follow_ups))]
    assert order == expected  # every follow-up of these lessons is offered on its scene
    assert order[:1] == [(lessons.names()[0], 0, -1)]
    assert ("per_dimension", 1, 0) in order and ("the_price", 1, 0) in order
    assert len(order) == len(lessons.names()) + sum(
        len(lessons.get(k).follow_ups) for k in lessons.names()
    )


def test_a_follow_up_stage_is_the_follow_up_applied_to_the_stage_before():
    lesson = lessons.get("per_dimension")
    first, turned = lessons.lesson_stages("per_dimension")
    assert first.scene == lesson.scene and first.label == lesson.title
    assert turned.scene == lesson.follow_ups[0].scene(lesson.scene)
    assert turned.scene.objective == "rotated_ill_conditioned"
    assert turned.label == lesson.follow_ups[0].label
    assert lessons.stage_scene("per_dimension", 1) == turned.scene
    assert lessons.stage_count("per_dimension") == 2 and lessons.stage_count("saddle") == 1
    with pytest.raises(IndexError):
        lessons.stage_scene("saddle", 1)
    with pytest.raises(IndexError):
        lessons.stage_scene("saddle", -1)


def test_next_and_back_walk_the_sequence_and_stop_at_its_ends():
    order = lessons.stages()
    walked, place = [], lessons.neighbour("", 0, 1)  # no lesson open: the first
    while place is not None:
        walked.append(place)
        place = lessons.neighbour(place.lesson, place.stage, 1)
    assert walked == order
    back, place = [], lessons.neighbour("", 0, -1)  # going back from none: the last
    while place is not None:
        back.append(place)
        place = lessons.neighbour(place.lesson, place.stage, -1)
    assert back == order[::-1]
    # back from a lesson after one with a follow-up: that follow-up's stage
    assert lessons.neighbour("units", 0, -1)[:2] == ("per_dimension", 1)
    assert lessons.neighbour("per_dimension", 1, -1)[:2] == ("per_dimension", 0)
    assert lessons.position("per_dimension", 5) == lessons.position("per_dimension", 1)


def test_a_follow_up_not_offered_on_the_stage_before_is_left_out(monkeypatch):
    monkeypatch.setattr(lessons.base, "_REGISTRY", dict(lessons.base._REGISTRY))
    base = lessons.get("saddle")
    more = base.scene.replace(steps=base.scene.steps + 10)
    extra = lessons.Lesson(
        **{
            **{f: getattr(base, f) for f in base.__dataclass_fields__},
            "key": "saddle_staged",
            "follow_ups": (
                FollowUp("ten steps more", lambda s: s.replace(steps=s.steps + 10)),
                FollowUp("never", lambda s: s, lambda _s: False),
                FollowUp("broken", lambda s: s, lambda _s: 1 / 0),
                FollowUp("ten more again", lambda s: s.replace(steps=s.steps + 10)),
            ),
        }
    )
    lessons.register(extra)
    staged = lessons.lesson_stages("saddle_staged")
    assert [(s.stage, s.follow_up) for s in staged] == [(0, -1), (1, 0), (2, 3)]
    assert staged[1].scene == more
    assert staged[2].scene == more.replace(steps=more.steps + 10)
    assert lessons.stages()[-3:] == staged
