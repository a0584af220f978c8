"""Settings in the address bar: every control round-trips through the URL's query string.

``read_query`` turns query parameters (untrusted text) into session-state values, with a
warning for each value it cannot use — that setting alone falls back to its default.
``to_query`` writes the current controls back, leaving defaults out, so a copied link
opens the same scene. Nothing here is ever evaluated: every value is parsed as a number,
a whole number, a flag or a name from a fixed list.

The scalar settings are one table, :data:`SETTINGS` (query name, session-state key, parser,
what is allowed, the warning, the rounding), read and written the same way; the objective,
the start, the optimizers and their hyperparameters depend on each other and have a reader
each (``_read_objective``, ``_read_start``, ``_read_optimizers``, ``_read_dotted``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .. import lessons, objectives, optimizers
from ..numbers import query_text, slider_value
from .controls import (
    CUSTOM,
    DEFAULT_FORMULA,
    DEFAULT_WINDOW,
    GHOST_COUNTS,
    SCALE_EXPONENTS,
    SPEEDS,
    STRETCHES,
    WINDOW_KEYS,
    all_defaults,
    custom_objective,
    hp_key,
)
from .lessons_view import lesson_state
from .sensitivity import (
    DEFAULT_METRIC,
    DEFAULT_RESOLUTION,
    METRIC_KEY,
    METRICS,
    RESOLUTION_KEY,
    RESOLUTIONS,
    current_setting,
)
from .state import STEPS_RANGE, options_for, snap, variant_key

#: "<optimizer>.variant=1": that optimizer as the libraries' variant of the paper's method
#: (ADADELTA's is "variant=1", as links have always said)
VARIANT = "variant"
VIEWS = ("trajectories", "sensitivity", "lessons")  # the views the page offers (see page.VIEWS)
MAX_NOISE = 5.0


def _number(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError
    return v


def _flag(text: str) -> bool:
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


@dataclass(frozen=True)
class Setting:
    """One scalar setting of the link: query ``name`` → session-state ``key``.

    ``parse`` turns the text into a value (``ValueError`` when it cannot), ``allowed`` says
    whether the control can show it, ``why`` is what the warning says otherwise (a function:
    some lists, such as the lessons, grow at run time), and ``keep`` rounds an allowed value
    to the control's step.
    """

    name: str
    key: str
    parse: Callable[[str], Any]
    allowed: Callable[[Any], bool]
    why: Callable[[], str]
    keep: Callable[[Any], Any] = lambda v: v


def _one_of(options: Any) -> Callable[[], str]:
    return lambda: f"one of {', '.join(map(str, options))} is needed"


def _ghost_allowed(text: str) -> bool:
    """An "<optimizer>.<hyperparameter>" whose slider is a list of values."""
    key, _, name = text.partition(".")
    try:
        return options_for(optimizers.get(key).hyperparam(name)) is not None
    except KeyError:
        return False


#: The link's scalar settings, read and written the same way (the objective, the start,
#: the optimizers, their hyperparameters and a typed formula's window depend on each other
#: and are read by :func:`read_query` itself).
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "steps",
        "steps",
        int,
        lambda v: STEPS_RANGE[0] <= v <= STEPS_RANGE[1],
        lambda: f"a whole number from {STEPS_RANGE[0]} to {STEPS_RANGE[1]} is needed",
        lambda v: v - v % 10,  # the slider's step is 10
    ),
    Setting("speed", "speed", str, SPEEDS.__contains__, _one_of(SPEEDS)),
    Setting(
        "noise",
        "noise",
        _number,
        lambda v: 0 <= v <= MAX_NOISE,
        lambda: f"σ from 0 to {MAX_NOISE:g} is needed",
        lambda v: round(v / 0.05) * 0.05,
    ),
    Setting("seed", "seed", int, lambda v: 0 <= v < 2**31, lambda: "a whole number ≥ 0 is needed"),
    Setting("variant", "adadelta_variant", _flag, lambda _v: True, lambda: "1 or 0 is needed"),
    Setting("presenter", "presenter", _flag, lambda _v: True, lambda: "1 or 0 is needed"),
    Setting(
        "lesson",
        "lesson",
        str,
        lambda v: v in lessons.names(),
        lambda: f"known lessons: {', '.join(lessons.names())}",
    ),
    Setting("view", "view", str, VIEWS.__contains__, _one_of(VIEWS)),
    Setting(
        "scale", "scale_exp", int, SCALE_EXPONENTS.__contains__, lambda: "k from −3 to 3 is needed"
    ),
    Setting("stretch", "stretch", _number, STRETCHES.__contains__, _one_of(STRETCHES)),
    Setting(
        "ghost",
        "ghost",
        str,
        _ghost_allowed,
        lambda: "an <optimizer>.<hyperparameter> is needed",
    ),
    Setting(
        "ghosts",
        "ghost_count",
        int,
        lambda v: GHOST_COUNTS[0] <= v <= GHOST_COUNTS[1],
        lambda: "a count from 10 to 30 is needed",
    ),
    Setting("metric", METRIC_KEY, str, METRICS.__contains__, _one_of(METRICS)),
    Setting("res", RESOLUTION_KEY, int, RESOLUTIONS.__contains__, _one_of(RESOLUTIONS)),
)


#: The settings read by :func:`read_query` itself: query name -> session-state key.
DEPENDENT = {
    "objective": "objective",
    "x0": "start_x",
    "y0": "start_y",
    "f": "formula",
    **{key: key for key in WINDOW_KEYS},
}
#: The Sensitivity view's own controls (their defaults are not in controls.all_defaults).
SENSITIVITY = {s.name: s.key for s in SETTINGS if s.key in (METRIC_KEY, RESOLUTION_KEY)}
#: Query name -> session-state key of every scalar setting the link writes as it is.
SIMPLE = {**DEPENDENT, **{s.name: s.key for s in SETTINGS if s.name not in SENSITIVITY}}
#: Every query name without a dot the link may carry ("<optimizer>.<name>" are the rest).
KNOWN = frozenset({*SIMPLE, *SENSITIVITY, "opt"})


def _read_custom(params: Mapping[str, str], values: dict[str, Any], bad: Any) -> tuple:
    """A typed formula and its window from the link (the formula is parsed, never run)."""
    window = dict(zip(WINDOW_KEYS, (v for pair in DEFAULT_WINDOW for v in pair)))
    given = {}
    for key in WINDOW_KEYS:
        if key in params:
            try:
                given[key] = _number(params[key])
            except ValueError:
                bad(key, params[key], "a number is needed")
    trial = {**window, **given}
    if given and not (trial["xmin"] < trial["xmax"] and trial["ymin"] < trial["ymax"]):
        bad(
            "xmin…ymax",
            ",".join(params.get(k, "") for k in WINDOW_KEYS),
            "the window needs min < max",
        )
    else:
        window = trial
        values.update(given)
    formula = params.get("f", DEFAULT_FORMULA)
    if "f" in params:
        state = {**window, "formula": formula}
        try:
            custom_objective(state)
            values["formula"] = formula
        except ValueError as err:
            bad("f", formula, str(err))
    return ((window["xmin"], window["xmax"]), (window["ymin"], window["ymax"]))


def _read_dotted(
    qname: str, text: str, values: dict[str, Any], warnings: list[str], bad: Callable
) -> None:
    """An "<optimizer>.<hyperparameter>" (or "<optimizer>.variant") setting of the link."""
    opt_key, hp_name = qname.split(".", 1)
    if hp_name == VARIANT and opt_key in optimizers.REGISTRY:
        if optimizers.get(opt_key).paper_values:
            try:
                values[variant_key(opt_key)] = _flag(text)
            except ValueError:
                bad(qname, text, "1 or 0 is needed")
        else:
            bad(qname, text, "this optimizer has no library variant")
        return
    try:
        hp = optimizers.get(opt_key).hyperparam(hp_name)
    except KeyError:
        bad(qname, text, "not a setting of this app")
        return
    try:
        v = hp.validate(_number(text))
    except ValueError as err:
        bad(qname, text, str(err) if "outside" in str(err) else "a number is needed")
        return
    opts = options_for(hp)
    if opts is not None:
        if not opts[0] <= v <= opts[-1]:
            bad(
                qname,
                text,
                f"the slider goes from {slider_value(opts[0])} to {slider_value(opts[-1])}",
            )
            return
        near = snap(v, opts)
        if near != v:
            warnings.append(
                f"`{qname}={text}` is not on the slider; using the nearest "
                f"value, {slider_value(near)}."
            )
        v = near
    elif not hp.ui_low <= v <= hp.ui_high:
        bad(qname, text, f"the slider goes from {hp.ui_low:g} to {hp.ui_high:g}")
        return
    values[hp_key(opt_key, hp_name)] = v


def _read_objective(params: Mapping[str, str], values: dict[str, Any], bad: Callable) -> tuple:
    """The objective (a known name, or a typed formula with its window); its plot window."""
    name = params.get("objective")
    if name is None:
        return objectives.get("rosenbrock").bounds
    if name in objectives.names():
        values["objective"] = name
        return objectives.get(name).bounds
    if name == CUSTOM:
        values["objective"] = CUSTOM
        return _read_custom(params, values, bad)
    bad("objective", name, f"no such objective (known: {', '.join(objectives.names())}, {CUSTOM})")
    return objectives.get("rosenbrock").bounds


def _read_start(
    params: Mapping[str, str], values: dict[str, Any], bad: Callable, bounds: tuple
) -> None:
    """The start, which must lie inside the objective's plot window."""
    (x0, x1), (y0, y1) = bounds
    for qname, key, lo, hi in (("x0", "start_x", x0, x1), ("y0", "start_y", y0, y1)):
        if qname in params:
            try:
                v = _number(params[qname])
                if not lo <= v <= hi:
                    raise ValueError
                values[key] = v
            except ValueError:
                bad(qname, params[qname], f"a start inside [{lo:g}, {hi:g}] is needed")


def _read_optimizers(params: Mapping[str, str], values: dict[str, Any], bad: Callable) -> None:
    """The optimizers compared ("opt=sgd,adadelta"), each a registered key."""
    if "opt" not in params:
        return
    keys = [k for k in params["opt"].split(",") if k]
    if not keys or any(k not in optimizers.names() for k in keys):
        bad("opt", params["opt"], f"known optimizers are {', '.join(optimizers.names())}")
    else:
        values["optimizers"] = list(dict.fromkeys(keys))


def read_query(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Session-state values from query parameters, and a warning for each bad one."""
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def bad(name: str, text: str, why: str) -> None:
        shown = text if len(text) <= 40 else text[:37] + "…"
        warnings.append(f"Ignored `{name}={shown}` from the link: {why}; using the default.")

    def read(setting: Setting) -> None:
        """Parse the setting's text (if given); store it (through ``keep``) if allowed."""
        if setting.name not in params:
            return
        try:
            v = setting.parse(params[setting.name])
        except ValueError:
            v = None
        if v is None or not setting.allowed(v):
            bad(setting.name, params[setting.name], setting.why())
        else:
            values[setting.key] = setting.keep(v)

    bounds = _read_objective(params, values, bad)
    _read_start(params, values, bad, bounds)
    _read_optimizers(params, values, bad)
    for setting in SETTINGS:
        read(setting)

    for qname, text in params.items():
        if "." not in qname:
            if qname not in KNOWN:
                bad(qname, text, "not a setting of this app")
            continue
        _read_dotted(qname, text, values, warnings, bad)
    return values, warnings


def to_query(state: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of the current controls, defaults left out."""
    # start, noise and learning rates default to the chosen objective's own values; with a
    # lesson open, the link reopens the lesson, so its own settings are the defaults
    lesson = state.get("lesson")
    if lesson in lessons.names():
        defaults = {**lesson_state(lessons.get(lesson)), "lesson": ""}
    else:
        defaults = {**all_defaults(state.get("objective", "rosenbrock")), "objective": "rosenbrock"}
    out: dict[str, str] = {}
    for qname, key in SIMPLE.items():
        if key in state and state[key] != defaults.get(key):
            out[qname] = query_text(state[key])
    for qname, key, default in (
        ("metric", METRIC_KEY, DEFAULT_METRIC),
        ("res", RESOLUTION_KEY, DEFAULT_RESOLUTION),
    ):
        value = current_setting(state, key)
        if value != default:
            out[qname] = query_text(value)
    chosen = list(state.get("optimizers", defaults["optimizers"]))
    if chosen != defaults["optimizers"]:
        out["opt"] = ",".join(chosen)
    for opt_key in chosen:
        qname = f"{opt_key}.{VARIANT}"
        if SIMPLE.get("variant") != variant_key(opt_key) and state.get(variant_key(opt_key)):
            out[qname] = "1"  # (ADADELTA's switch is the shorter "variant")
        for hp in optimizers.get(opt_key).hyperparams:
            key = hp_key(opt_key, hp.name)
            if key in state and state[key] != defaults.get(key):
                paper = optimizers.get(opt_key).paper_values
                if hp.name in paper and not state.get(variant_key(opt_key)):
                    continue
                out[f"{opt_key}.{hp.name}"] = query_text(state[key])
    return out


def link(base_url: str, query: Mapping[str, str]) -> str:
    """The shareable address: the app's URL with the scene's query string."""
    base = base_url.split("?", 1)[0]
    return f"{base}?{urlencode(query)}" if query else base
