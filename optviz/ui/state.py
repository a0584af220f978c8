"""The page's state as values, and the one table that maps them to the controls (no
Streamlit here).

What is run is an :class:`optviz.scene.Scene` (the core's); how it is shown — the view,
the presenter mode, the playback speed, ghost paths, the open lesson — is a
:class:`Presentation`. Every control of the sidebar and the header has a session-state
key; :data:`CONTROLS` lists them once, each with how its value is read off a scene and a
presentation (``get``) and, for the link, its query name, parser, allowed values and
warning. From that table come:

* :func:`state_of` — the controls' values for a scene and a presentation (a lesson's
  scene, a callback's new scene, the defaults: :func:`all_defaults`), snapped to values
  the widgets offer;
* :func:`scene_of` — its inverse: the scene and presentation the controls describe
  (``scene_of(state_of(s, p)) == (s, p)`` for a scene whose values the sliders offer;
  the tests assert it for every lesson);
* the link's settings (``optviz.ui.url``), read and written through the same entries.

Also here: the option grids the sliders offer (:func:`options_for`, :func:`snap`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import lessons, limits, objectives, optimizers
from ..figures import THEMES, colour_of
from ..optimizers import HyperParam
from ..scene import (
    CUSTOM,
    DEFAULT_OBJECTIVE,
    DEFAULT_OPTIMIZERS,
    DEFAULT_STEPS,
    STEPS_RANGE,
    Scene,
    Transform,
)

__all__ = [
    "CONTROLS",
    "CUSTOM",
    "DEFAULT_OBJECTIVE",
    "DEFAULT_OPTIMIZERS",
    "DEFAULT_STEPS",
    "STEPS_RANGE",
    "Control",
    "Presentation",
    "all_defaults",
    "extra_key",
    "hp_key",
    "label_key",
    "lecture_place",
    "lesson_focus",
    "lesson_ghosts",
    "lesson_state",
    "options_for",
    "scene_of",
    "snap",
    "state_of",
    "variant_key",
]

SPEEDS = {"¼×": 240, "½×": 120, "1×": 60, "2×": 30, "4×": 15}
#: The one step cursor: the step every panel, the step inspector and the link show
#: (0 … steps; kept while the number of steps changes), and a count of the times Python
#: moved it (the inspector, a lesson's button, a link), which the chart follows.
STEP = "step"
STEP_REV = "_step_rev"
#: where the open lesson is in the lecture: 0 as it opens, k after its k-th follow-up
#: (``optviz.lessons.lecture``; meaningless with no lesson open)
STAGE = "lecture_stage"
#: the lessons opened in this session (the agenda ticks them)
VISITED = "_lecture_visited"
#: the step inspector's widgets (its step field shows :data:`STEP`)
INSPECT_STEP = "inspect_step"
INSPECT_KEY = "inspect_key"


def move_step(state: Any, step: int) -> None:
    """Put the shared step cursor at ``step`` from Python: the chart follows."""
    state[STEP] = max(int(step), 0)
    state[STEP_REV] = int(state.get(STEP_REV, 0)) + 1


def shared_step(state: Mapping[str, Any], steps: int) -> int:
    """The shared step, within ``0 … steps``."""
    return min(max(int(state.get(STEP, 0) or 0), 0), steps)


SCALE_EXPONENTS = tuple(range(-3, 4))
STRETCHES = (0.01, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)
GHOST_COUNTS = limits.GHOST_COUNTS
MAX_NOISE = limits.MAX_NOISE
#: the views the page offers, in the order of its tabs (their titles: ``page.VIEWS``)
VIEWS = ("trajectories", "sensitivity", "network", "lessons")
DEFAULT_FORMULA = "x^4 + y^2"
DEFAULT_WINDOW = ((-2.0, 2.0), (-2.0, 2.0))
WINDOW_KEYS = ("xmin", "xmax", "ymin", "ymax")


def hp_key(opt_key: str, name: str) -> str:
    """The session-state key of optimizer ``opt_key``'s hyperparameter ``name``."""
    return f"hp.{opt_key}.{name}"


def label_key(key: str) -> str:
    """The session-state key of run ``key``'s typed legend label (empty: its own)."""
    return f"label.{key}"


#: the session-state key of the runs that ignore the robustness demos' transform
UNTRANSFORMED = "untransformed"
#: the longest legend label a user may type
MAX_LABEL = limits.MAX_LABEL


def clean_label(text: Any) -> str:
    """A typed label as the legend shows it: one line, at most :data:`MAX_LABEL`
    characters, without the ``<``, ``>`` and ``&`` that plotly would read as markup."""
    words = " ".join(str(text or "").split())
    return "".join("‹" if c == "<" else "›" if c == ">" else "+" if c == "&" else c for c in words)[
        :MAX_LABEL
    ]


def extra_key(key: str) -> str:
    """The session-state key of the one extra value the select-slider of control ``key``
    offers besides its grid: an exact value off the grid, e.g. a Sensitivity cell's
    ρ = 0.998590…, so that the value used is the value shown (:func:`options_for`)."""
    return f"_extra.{key}"


def variant_key(key: str) -> str:
    """The control that switches optimizer ``key`` from the paper's method to the
    libraries' variant (for a spec with ``paper_values``; ADADELTA's is ``adadelta_variant``)."""
    return f"{key}_variant"


# ---------------------------------------------------------------------------
# The sliders' values
# ---------------------------------------------------------------------------


def log_options(low: float, high: float) -> tuple[float, ...]:
    """1-2-5 values per decade from ``low`` to ``high`` (both included)."""
    out = []
    for exp in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{exp}")
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9):
                out.append(v)
    return tuple(out)


def decay_options(low: float, high: float) -> tuple[float, ...]:
    """Decay rates from ``low`` to ``high``: coarse below 0.9, fine towards 1 (0.99, 0.999…)."""
    coarse = [round(v, 2) for v in _frange(0.0, 0.9, 0.1)] + [0.85]
    fine = [0.9, 0.92, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999]
    vals = sorted({v for v in coarse + fine if low - 1e-12 <= v <= high + 1e-12} | {low, high})
    return tuple(vals)


def _frange(a: float, b: float, step: float) -> list[float]:
    n = round((b - a) / step)
    return [a + i * step for i in range(n + 1)]


def options_for(hp: HyperParam, extra: Any = None) -> tuple[float, ...] | None:
    """The discrete values a select-slider offers for ``hp`` (None: a plain slider), with
    ``extra`` among them when it is a value inside the grid's range (an exact value a
    heatmap cell or a link asked for)."""
    opts = _grid_options(hp)
    if opts is None or not on_slider_range(hp, extra) or extra in opts:
        return opts
    return tuple(sorted((*opts, float(extra))))


def on_slider_range(hp: HyperParam, value: Any) -> bool:
    """Whether ``value`` is a number ``hp``'s select-slider can offer as an extra position:
    finite, allowed for ``hp``, between the grid's first and last value."""
    opts = _grid_options(hp)
    if opts is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        hp.validate(float(value))
    except ValueError:
        return False
    return math.isfinite(value) and opts[0] <= value <= opts[-1]


def _grid_options(hp: HyperParam) -> tuple[float, ...] | None:
    if hp.log:
        opts = log_options(hp.ui_low, hp.ui_high)
    elif hp.high == 1.0 and hp.high_open:  # a decay rate in [0, 1)
        opts = decay_options(hp.ui_low, hp.ui_high)
    else:
        return None
    if hp.default not in opts and hp.ui_low <= hp.default <= hp.ui_high:
        opts = tuple(sorted((*opts, hp.default)))
    return opts


def snap(value: float, options: tuple[float, ...]) -> float:
    """The option nearest to ``value`` (in log distance for positive grids)."""
    if all(o > 0 for o in options) and value > 0:
        return min(options, key=lambda o: abs(math.log(o) - math.log(value)))
    return min(options, key=lambda o: abs(o - value))


def _slider_value(hp: HyperParam, value: float, exact: bool = False) -> float:
    """``value`` as ``hp``'s widget can show it: the nearest option of a select-slider
    (``exact``: the value itself when the slider can offer it as its extra position)."""
    opts = options_for(hp)
    if exact and on_slider_range(hp, value):
        return float(value)
    return snap(float(value), opts) if opts else float(value)


# ---------------------------------------------------------------------------
# Presentation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    """How a scene is shown: none of it changes a run."""

    view: str = "trajectories"
    presenter: bool = False
    speed: str = "1×"  #: a key of :data:`SPEEDS`
    #: ghost paths: "<optimizer>.<hyperparameter>" fanned over its range ("" off), and how many
    ghost: str = ""
    ghost_count: int = 15
    #: the lesson whose text is shown (its numbers come from the scene's runs; "" none)
    lesson: str = ""
    #: the figures' and the page's colours: "light", or "projector" (dark, high contrast)
    theme: str = "light"
    #: each optimizer's next step, gradient step and velocity as arrows at the cursor
    arrows: bool = False
    #: the contour panel as a rotatable 3-D surface, every path lifted onto it
    surface: bool = False

    @property
    def frame_ms(self) -> int:
        """Milliseconds per frame of ▶ Play."""
        return SPEEDS.get(self.speed, SPEEDS["1×"])


# ---------------------------------------------------------------------------
# The table of controls
# ---------------------------------------------------------------------------


def parse_number(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError
    return v


def parse_flag(text: str) -> bool:
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


def one_of(options: Any) -> Callable[[], str]:
    return lambda: f"one of {', '.join(map(str, options))} is needed"


def _ghost_allowed(text: str) -> bool:
    """An "<optimizer>.<hyperparameter>" whose slider is a list of values."""
    key, _, name = text.partition(".")
    try:
        return options_for(optimizers.get(key).hyperparam(name)) is not None
    except KeyError:
        return False


def _window_of(scene: Scene) -> tuple[tuple[float, float], tuple[float, float]]:
    return scene.bounds if scene.objective == CUSTOM and scene.bounds else DEFAULT_WINDOW


def _window_value(i: int) -> Callable[[Scene, Presentation], float]:
    return lambda s, _p: float(_window_of(s)[i // 2][i % 2])


@dataclass(frozen=True)
class Control:
    """One control: its session-state ``key`` and its value for a scene (``get``).

    A control the link carries as it is has a query ``name``: ``parse`` turns the link's
    text into a value (``ValueError`` when it cannot), ``allowed`` says whether the control
    can show it, ``why`` is what the warning says otherwise (a function: some lists, such as
    the lessons, grow at run time), and ``keep`` rounds an allowed value to the control's
    step. ``dependent``: read by a reader of its own (``optviz.ui.url``), because what is
    allowed depends on other settings (the start on the window, the formula on the window).
    """

    key: str
    get: Callable[[Scene, Presentation], Any]
    name: str = ""
    parse: Callable[[str], Any] = str
    allowed: Callable[[Any], bool] = lambda _v: True
    why: Callable[[], str] = lambda: ""
    keep: Callable[[Any], Any] = lambda v: v
    dependent: bool = False


#: Every control with a single session-state key (the optimizers' hyperparameters and
#: variant switches, one per registered optimizer, are added by :func:`state_of`).
CONTROLS: tuple[Control, ...] = (
    Control("objective", lambda s, _p: s.objective, "objective", dependent=True),
    Control(
        "formula",
        lambda s, _p: s.formula if s.objective == CUSTOM else DEFAULT_FORMULA,
        "f",
        dependent=True,
    ),
    *(
        Control(key, _window_value(i), key, parse_number, dependent=True)
        for i, key in enumerate(WINDOW_KEYS)
    ),
    Control("start_x", lambda s, _p: s.start[0], "x0", parse_number, dependent=True),
    Control("start_y", lambda s, _p: s.start[1], "y0", parse_number, dependent=True),
    Control("optimizers", lambda s, _p: list(s.optimizers), "opt", dependent=True),
    Control(UNTRANSFORMED, lambda s, _p: list(s.untransformed), "orig", dependent=True),
    Control(
        "steps",
        lambda s, _p: s.steps,
        "steps",
        int,
        lambda v: STEPS_RANGE[0] <= v <= STEPS_RANGE[1],
        lambda: f"a whole number from {STEPS_RANGE[0]} to {STEPS_RANGE[1]} is needed",
        lambda v: v - v % 10,  # the slider's step is 10
    ),
    Control("speed", lambda _s, p: p.speed, "speed", str, SPEEDS.__contains__, one_of(SPEEDS)),
    Control(
        "noise",
        lambda s, _p: s.noise,
        "noise",
        parse_number,
        lambda v: 0 <= v <= MAX_NOISE,
        lambda: f"σ from 0 to {MAX_NOISE:g} is needed",
        lambda v: round(v / 0.05) * 0.05,
    ),
    Control(
        "seed",
        lambda s, _p: s.seed,
        "seed",
        int,
        lambda v: 0 <= v < 2**31,
        lambda: "a whole number ≥ 0 is needed",
    ),
    Control(
        variant_key("adadelta"),
        lambda s, _p: "adadelta" in s.variants,
        "variant",  # ADADELTA's switch, as links have always said; others: "<key>.variant"
        parse_flag,
        why=lambda: "1 or 0 is needed",
    ),
    Control(
        "presenter",
        lambda _s, p: p.presenter,
        "presenter",
        parse_flag,
        why=lambda: "1 or 0 is needed",
    ),
    Control("theme", lambda _s, p: p.theme, "theme", str, THEMES.__contains__, one_of(THEMES)),
    Control(
        "arrows",
        lambda _s, p: p.arrows,
        "arrows",
        parse_flag,
        why=lambda: "1 or 0 is needed",
    ),
    Control(
        "surface",
        lambda _s, p: p.surface,
        "surface",
        parse_flag,
        why=lambda: "1 or 0 is needed",
    ),
    Control(
        "lesson",
        lambda _s, p: p.lesson,
        "lesson",
        str,
        lambda v: v in lessons.names(),
        lambda: f"known lessons: {', '.join(lessons.names())}",
    ),
    Control("view", lambda _s, p: p.view, "view", str, VIEWS.__contains__, one_of(VIEWS)),
    Control(
        "scale_exp",
        lambda s, _p: s.transform.scale_exp,
        "scale",
        int,
        SCALE_EXPONENTS.__contains__,
        lambda: "k from −3 to 3 is needed",
    ),
    Control(
        "stretch",
        lambda s, _p: snap(s.transform.stretch, STRETCHES),
        "stretch",
        parse_number,
        STRETCHES.__contains__,
        one_of(STRETCHES),
    ),
    Control(
        "ghost",
        lambda _s, p: p.ghost,
        "ghost",
        str,
        _ghost_allowed,
        lambda: "an <optimizer>.<hyperparameter> is needed",
    ),
    Control(
        "ghost_count",
        lambda _s, p: p.ghost_count,
        "ghosts",
        int,
        lambda v: GHOST_COUNTS[0] <= v <= GHOST_COUNTS[1],
        lambda: f"a count from {GHOST_COUNTS[0]} to {GHOST_COUNTS[1]} is needed",
    ),
)


def state_of(
    scene: Scene, presentation: Presentation = Presentation(), exact: bool = False
) -> dict[str, Any]:
    """The controls' session-state values that show ``scene`` and ``presentation``: every
    control of :data:`CONTROLS`, and every registered optimizer's hyperparameters (those
    not compared keep their defaults for the objective) and variant switch, each value
    snapped to one its widget offers — or, with ``exact``, the compared optimizers'
    values as they are, where off the grid with the slider's extra position
    (:func:`extra_key`) set to them (a heatmap cell's configuration)."""
    values = {c.key: c.get(scene, presentation) for c in CONTROLS}
    instances = [k for k in scene.optimizers if k not in optimizers.REGISTRY]
    for key in [*optimizers.names(), *instances]:
        spec = optimizers.get(key)
        for hp_name, value in scene.hp(key, paper=False).items():
            hp = spec.hyperparam(hp_name)
            keep = exact and key in scene.optimizers
            v = values[hp_key(key, hp_name)] = _slider_value(hp, value, exact=keep)
            if keep and v not in (options_for(hp) or (v,)):
                values[extra_key(hp_key(key, hp_name))] = v
        if spec.paper_values:
            values[variant_key(key)] = key in scene.variants
    for key in scene.optimizers:
        values[label_key(key)] = dict(scene.labels).get(key, "")
    return values


def setting(state: Mapping[str, Any], key: str, name: str) -> Any:
    """Run ``key``'s control ``name`` (a hyperparameter, or the variant switch when
    ``name`` is None): its own, or for a new instance ``"<key>~n"`` without one yet, the
    first instance's (a copy starts from the settings it copies)."""
    own = variant_key(key) if name is None else hp_key(key, name)
    if own in state:
        return state[own]
    first = optimizers.spec_key(key)
    return state.get(variant_key(first) if name is None else hp_key(first, name))


def scene_of(state: Mapping[str, Any]) -> tuple[Scene, Presentation]:
    """The scene and presentation the controls' values describe (the inverse of
    :func:`state_of`). The hyperparameters are the compared optimizers'; a spec's
    ``paper_values`` hold unless its variant switch is on."""
    custom = state["objective"] == CUSTOM
    chosen = tuple(state["optimizers"])
    variants = tuple(k for k in chosen if setting(state, k, None))
    hyper = []
    for key in chosen:
        spec = optimizers.get(key)
        values = {
            hp.name: float(setting(state, key, hp.name))
            if key in variants or hp.name not in spec.paper_values
            else spec.paper_values[hp.name]
            for hp in spec.hyperparams
        }
        hyper.append((key, tuple(values.items())))
    labels = tuple((k, clean_label(state.get(label_key(k)))) for k in chosen)
    (a, b), (c, d) = DEFAULT_WINDOW
    scene = Scene(
        objective=str(state["objective"]),
        formula=str(state.get("formula", DEFAULT_FORMULA)) if custom else "",
        bounds=(
            (float(state.get("xmin", a)), float(state.get("xmax", b))),
            (float(state.get("ymin", c)), float(state.get("ymax", d))),
        )
        if custom
        else None,
        start=(float(state["start_x"]), float(state["start_y"])),
        steps=int(state["steps"]),
        optimizers=chosen,
        hyperparams=tuple(hyper),
        noise=float(state["noise"]),
        seed=int(state["seed"]),
        variants=variants,
        transform=Transform(int(state["scale_exp"]), float(state["stretch"])),
        labels=labels,
        untransformed=tuple(k for k in state.get(UNTRANSFORMED, ()) if k in chosen),
    )
    presentation = Presentation(
        view=str(state.get("view") or "trajectories"),
        presenter=bool(state.get("presenter", False)),
        speed=str(state.get("speed", "1×")),
        ghost=str(state.get("ghost") or ""),
        ghost_count=int(state.get("ghost_count", 15)),
        lesson=str(state.get("lesson") or ""),
        theme=str(state.get("theme") or "light"),
        arrows=bool(state.get("arrows", False)),
        surface=bool(state.get("surface", False)),
    )
    return scene, presentation


def default_scene(objective: str = DEFAULT_OBJECTIVE) -> Scene:
    """What a newcomer sees for ``objective`` (a typed formula: the formula box's default)."""
    if objective == CUSTOM:
        return Scene.of_objective(CUSTOM, formula=DEFAULT_FORMULA, bounds=DEFAULT_WINDOW)
    return Scene.of_objective(objective, optimizers=DEFAULT_OPTIMIZERS, steps=DEFAULT_STEPS)


def all_defaults(objective: str = DEFAULT_OBJECTIVE) -> dict[str, Any]:
    """Every control's default value (by session-state key) for ``objective``."""
    return state_of(default_scene(objective))


def lesson_presentation(lesson: lessons.Lesson) -> Presentation:
    """How ``lesson`` opens: its view and ghost fan, its text shown."""
    return Presentation(view=lesson.view, ghost=lesson.fan, lesson=lesson.key, arrows=lesson.arrows)


def lesson_state(lesson: lessons.Lesson, stage: int = 0) -> dict[str, Any]:
    """The session-state values that open ``lesson`` (every control: its scene, its view)
    at its stage ``stage`` of the lecture (0: its own scene; k: after its k-th follow-up)."""
    return state_of(lessons.stage_scene(lesson.key, stage), lesson_presentation(lesson))


def lecture_place(state: Mapping[str, Any]) -> tuple[str, int]:
    """The open lesson and its stage in the lecture (("", 0) with no lesson open; a stage
    past the lesson's last is its last)."""
    key = str(state.get("lesson") or "")
    if key not in lessons.names():
        return "", 0
    try:
        stage = int(state.get(STAGE, 0) or 0)
    except (TypeError, ValueError):
        stage = 0
    return key, min(max(stage, 0), lessons.stage_count(key) - 1)


def lesson_focus(presentation: Presentation) -> tuple[str, ...]:
    """The optimizers the open lesson is about (the figure dims the others), or ()."""
    if not presentation.lesson:
        return ()
    return lessons.get(presentation.lesson).focus


def lesson_ghosts(scene: Scene, presentation: Presentation) -> list:
    """Extra faint paths the open lesson draws (e.g. SGD at other learning rates), as the
    figure takes them: (positions, colour, label), in the colour of the ghost's optimizer."""
    if not presentation.lesson:
        return []
    ghosts = lessons.get(presentation.lesson).ghosts(scene)
    return [(g.positions, colour_of(g.key), g.label, g.emphasis) for g in ghosts]


def objective_names() -> list[str]:
    """The objective picker's entries: the catalogue, the lessons' own functions, a
    typed formula."""
    return [*objectives.names(), *objectives.lesson_names(), CUSTOM]
