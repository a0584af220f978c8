"""The lessons' types and registry, shared by every lesson module.

* a lesson's scene is an :class:`optviz.scene.Scene` (with :func:`hyperparams`, re-exported
  from there); a lesson's own function is defined with :func:`optviz.objectives.define`;
* :class:`Lesson`, :class:`Ghost`, and ``_lesson``, which wraps a lesson's explanation and
  check so that they never raise (:func:`_explainer`, :func:`_checker`);
* the registry: :func:`register`, :func:`names`, :func:`get`, :func:`all_lessons`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import optimizers
from ..runner import Trajectory
from ..scene import (  # noqa: F401 (re-exported by the package)
    Bounds,
    HyperParams,
    Scene,
    default_hyperparams,
    hyperparams,
)

Array = np.ndarray
Runs = dict[str, Trajectory]


class Ghost(NamedTuple):
    """A faint extra path for the figure. It names the optimizer it belongs to, not a
    colour: the figure side picks the colour (``optviz.figures.colour_of(key)``)."""

    positions: Array  #: (T+1, 2), in the original x
    key: str  #: the optimizer key whose colour it is drawn in
    label: str
    #: the path the lesson's text is about: drawn dotted and strong, with its end marked,
    #: not faint like a fan of ghosts
    emphasis: bool = False


class FollowUp(NamedTuple):
    """A lesson's next step, as a button under its text ("now turn the valley by 45°"):
    ``scene`` makes the next scene from the one on screen; the button is offered while
    ``available`` says so."""

    label: str
    scene: Callable[[Scene], Scene]
    available: Callable[[Scene], bool] = lambda _scene: True


class Inspect(NamedTuple):
    """A button under a lesson's text that opens the step inspector where the text points
    ("ADADELTA at its steepest step"): ``at(runs)`` gives (optimizer key, step t ≥ 1), or
    None when there is no such step in these runs."""

    label: str
    at: Callable[[Runs], tuple[str, int] | None]


#: Fewer steps than this and a lesson has nothing to say.
MIN_STEPS = 10

FALLBACK = "⚠ The explanation could not be computed for these settings"


# ---------------------------------------------------------------------------
# The lesson type and the registry
# ---------------------------------------------------------------------------


def _explainer(fn: Callable[[Scene, Runs], str]) -> Callable[[Scene, Runs], str]:
    """Never raise, never warn: a failure becomes a message (the raw function is
    ``__wrapped__``)."""

    @functools.wraps(fn)
    def explain(scene: Scene, runs: Mapping[str, Trajectory]) -> str:
        short = sorted({tr.steps for tr in runs.values() if tr.steps < MIN_STEPS})
        if short:
            return (
                f"These settings run only {short[0]} step{'s' * (short[0] != 1)}: too few "
                f"for this lesson's numbers (run at least {MIN_STEPS})."
            )
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return fn(scene, dict(runs))
        except Exception as exc:  # the UI shows text, whatever the scene
            return f"{FALLBACK} ({type(exc).__name__}: {exc})."

    return explain


def _checker(fn: Callable[[Runs], bool]) -> Callable[[Runs], bool]:
    """False instead of an exception (the raw function is ``__wrapped__``)."""

    @functools.wraps(fn)
    def check(runs: Mapping[str, Trajectory]) -> bool:
        if any(tr.steps < MIN_STEPS for tr in runs.values()):
            return False
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return bool(fn(dict(runs)))
        except Exception:
            return False

    return check


def _no_ghosts(_scene: Scene) -> list[Ghost]:
    return []


def _no_baselines(_scene: Scene, _runs: Runs) -> str:
    return ""


@dataclass(frozen=True)
class Lesson:
    """One claim of the paper, the scene that shows it, and its live explanation."""

    key: str
    title: str
    claim: str
    scene: Scene
    look_at: str
    explain: Callable[[Scene, Runs], str] = field(repr=False)
    check: Callable[[Runs], bool] = field(repr=False)
    ghosts: Callable[[Scene], list[Ghost]] = field(repr=False, default=_no_ghosts)
    #: the app's view the lesson opens in, and a hyperparameter it fans out as ghost paths
    #: ("<optimizer>.<name>", as the sidebar's "Ghost paths" picker names it; "" for none)
    view: str = "trajectories"
    fan: str = ""
    #: how the lesson's baselines were chosen, from the numbers (``lessons.fair``): the
    #: paragraph that states the fair-comparison rule; "" for a lesson without baselines
    baselines: Callable[[Scene, Runs], str] = field(repr=False, default=_no_baselines)
    #: the lesson shows something the paper does not claim (said under the title)
    beyond_paper: bool = False
    #: the optimizers its text is about: drawn on top, the others dimmed (() for none)
    focus: tuple[str, ...] = ()
    #: its next steps, offered as buttons (the lesson stays open)
    follow_ups: tuple[FollowUp, ...] = ()
    #: steps its text points the step inspector at, offered as buttons
    inspections: tuple[Inspect, ...] = ()
    #: the step's arrows are drawn at the cursor when it opens (its text is about them)
    arrows: bool = False

    def markdown(self, scene: Scene | None = None, runs: Runs | None = None) -> str:
        """Claim, explanation (for ``scene``/``runs``, default the lesson's own), how
        its baselines were chosen and what to look at, as one markdown text."""
        scene = self.scene if scene is None else scene
        runs = scene.runs() if runs is None else runs
        scene, runs, others = first_runs(scene, runs)
        fair = self.baselines(scene, runs)
        lead = "*Beyond the paper:*" if self.beyond_paper else "*The paper:*"
        beside = (
            f"*Also on the picture, and not in this text:* {', '.join(others)}.\n\n"
            if others
            else ""
        )
        return (
            f"{lead} {self.claim}\n\n{self.explain(scene, runs)}\n\n"
            + (f"{fair}\n\n" if fair else "")
            + beside
            + f"**What to look at:** {self.look_at}"
        )

    def holds(self, scene: Scene | None = None, runs: Runs | None = None) -> bool:
        """Whether the lesson's claim holds numerically for ``scene``/``runs`` (default
        the lesson's own), in the runs its text is about (:func:`first_runs`: a second or
        an untransformed run is not what the claim is about)."""
        scene = self.scene if scene is None else scene
        runs = scene.runs() if runs is None else runs
        return bool(self.check(first_runs(scene, runs)[1]))


def first_runs(scene: Scene, runs: Runs) -> tuple[Scene, Runs, list[str]]:
    """The scene and runs a lesson's text is about: each optimizer's first run (the
    texts are written for ``"adadelta"``, not ``"adadelta~2"``), the untransformed
    runs left out; and the legend names of the runs left out."""
    keys = tuple(
        k for k in scene.optimizers if k in optimizers.REGISTRY and k not in scene.untransformed
    )
    if keys == scene.optimizers:
        return scene, runs, []
    others = [scene.label(k) for k in scene.optimizers if k not in keys]
    kept = scene.replace(optimizers=keys)
    return kept, {k: tr for k, tr in runs.items() if k in keys}, others


def _lesson(
    key: str,
    title: str,
    claim: str,
    scene: Scene,
    look_at: str,
    explain: Callable[[Scene, Runs], str],
    check: Callable[[Runs], bool],
    ghosts: Callable[[Scene], list[Ghost]] = _no_ghosts,
    *,
    view: str = "trajectories",
    fan: str = "",
    baselines: Callable[[Scene, Runs], str] = _no_baselines,
    beyond_paper: bool = False,
    focus: tuple[str, ...] = (),
    follow_ups: tuple[FollowUp, ...] = (),
    inspections: tuple[Inspect, ...] = (),
    arrows: bool = False,
) -> Lesson:
    return Lesson(
        key=key,
        title=title,
        claim=claim,
        scene=scene,
        look_at=look_at,
        explain=_explainer(explain),
        check=_checker(check),
        ghosts=ghosts,
        view=view,
        fan=fan,
        baselines=_explainer(baselines),
        beyond_paper=beyond_paper,
        focus=tuple(focus),
        follow_ups=tuple(follow_ups),
        inspections=tuple(inspections),
        arrows=arrows,
    )


_REGISTRY: dict[str, Lesson] = {}


def register(lesson: Lesson) -> Lesson:
    """Add ``lesson`` to the registry, after the lessons already there (``names()`` and
    ``LESSONS`` keep this order), and return it. A second lesson with the same key is a
    ``ValueError``: keys are what the CLI, the URL and the app's picker use."""
    if not isinstance(lesson, Lesson):
        raise TypeError(f"register() takes a Lesson, not {type(lesson).__name__}")
    known = _REGISTRY.get(lesson.key)
    if known is not None:
        raise ValueError(
            f"a lesson with key {lesson.key!r} is already registered ({known.title!r}); "
            "keys must be unique"
        )
    _REGISTRY[lesson.key] = lesson
    return lesson


def all_lessons() -> tuple[Lesson, ...]:
    """Every registered lesson, in teaching order (the package's ``LESSONS``)."""
    return tuple(_REGISTRY.values())


def names() -> list[str]:
    """Lesson keys in teaching order."""
    return list(_REGISTRY)


def get(key: str) -> Lesson:
    """The lesson ``key`` (``KeyError`` listing the known keys otherwise)."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown lesson {key!r}; known: {', '.join(_REGISTRY)}") from None
