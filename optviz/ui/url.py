"""Settings in the address bar: every control round-trips through the URL's query string.

``read_query`` turns query parameters (untrusted text) into session-state values, with a
warning for each value it cannot use — that setting alone falls back to its default.
``to_query`` writes the current controls back, leaving defaults out, so a copied link
opens the same scene. Nothing here is ever evaluated: every value is parsed as a number,
a whole number, a flag or a name from a fixed list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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

#: query name -> session-state key, for the scalar settings (hyperparameters are
#: "<optimizer>.<name>", e.g. adadelta.rho, and the optimizers are "opt=sgd,adadelta")
SIMPLE = {
    "objective": "objective",
    "x0": "start_x",
    "y0": "start_y",
    "steps": "steps",
    "speed": "speed",
    "noise": "noise",
    "seed": "seed",
    "variant": "adadelta_variant",
    "presenter": "presenter",
    "view": "view",
    "scale": "scale_exp",
    "stretch": "stretch",
    "ghost": "ghost",
    "ghosts": "ghost_count",
    "f": "formula",
    "lesson": "lesson",
    "xmin": "xmin",
    "xmax": "xmax",
    "ymin": "ymin",
    "ymax": "ymax",
}
#: "<optimizer>.variant=1": that optimizer as the libraries' variant of the paper's method
#: (ADADELTA's is "variant=1", as links have always said)
VARIANT = "variant"
#: the Sensitivity view's own controls (its defaults are not in controls.all_defaults)
SENSITIVITY = {"metric": METRIC_KEY, "res": RESOLUTION_KEY}
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


def read_query(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Session-state values from query parameters, and a warning for each bad one."""
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def bad(name: str, text: str, why: str) -> None:
        shown = text if len(text) <= 40 else text[:37] + "…"
        warnings.append(f"Ignored `{name}={shown}` from the link: {why}; using the default.")

    def read(qname: str, key: str, parse: Any, ok: Any, why: str, keep: Any = None) -> None:
        """Parse ``params[qname]`` (if given); store it (through ``keep``) if ``ok``."""
        if qname not in params:
            return
        try:
            v = parse(params[qname])
        except ValueError:
            v = None
        if v is None or not ok(v):
            bad(qname, params[qname], why)
        else:
            values[key] = keep(v) if keep else v

    name = params.get("objective")
    bounds = objectives.get("rosenbrock").bounds
    if name is not None:
        if name in objectives.names():
            values["objective"] = name
            bounds = objectives.get(name).bounds
        elif name == CUSTOM:
            values["objective"] = CUSTOM
            bounds = _read_custom(params, values, bad)
        else:
            bad(
                "objective",
                name,
                f"no such objective (known: {', '.join(objectives.names())}, {CUSTOM})",
            )
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
    read(
        "steps",
        "steps",
        int,
        lambda v: STEPS_RANGE[0] <= v <= STEPS_RANGE[1],
        f"a whole number from {STEPS_RANGE[0]} to {STEPS_RANGE[1]} is needed",
        lambda v: v - v % 10,
    )  # the slider's step is 10
    if "speed" in params:
        if params["speed"] in SPEEDS:
            values["speed"] = params["speed"]
        else:
            bad("speed", params["speed"], f"one of {', '.join(SPEEDS)} is needed")
    if "opt" in params:
        keys = [k for k in params["opt"].split(",") if k]
        unknown = [k for k in keys if k not in optimizers.names()]
        if unknown or not keys:
            bad("opt", params["opt"], f"known optimizers are {', '.join(optimizers.names())}")
        else:
            values["optimizers"] = list(dict.fromkeys(keys))
    read(
        "noise",
        "noise",
        _number,
        lambda v: 0 <= v <= MAX_NOISE,
        f"σ from 0 to {MAX_NOISE:g} is needed",
        lambda v: round(v / 0.05) * 0.05,
    )
    read("seed", "seed", int, lambda v: 0 <= v < 2**31, "a whole number ≥ 0 is needed")
    for qname, key in (("variant", "adadelta_variant"), ("presenter", "presenter")):
        if qname in params:
            try:
                values[key] = _flag(params[qname])
            except ValueError:
                bad(qname, params[qname], "1 or 0 is needed")
    if "lesson" in params:
        if params["lesson"] in lessons.names():
            values["lesson"] = params["lesson"]
        else:
            bad("lesson", params["lesson"], f"known lessons: {', '.join(lessons.names())}")
    if "view" in params:
        if params["view"] in VIEWS:
            values["view"] = params["view"]
        else:
            bad("view", params["view"], f"one of {', '.join(VIEWS)} is needed")

    read("scale", "scale_exp", int, SCALE_EXPONENTS.__contains__, "k from −3 to 3 is needed")
    read(
        "stretch",
        "stretch",
        _number,
        STRETCHES.__contains__,
        f"one of {', '.join(map(str, STRETCHES))}",
    )
    if "ghost" in params:
        key, _, name = params["ghost"].partition(".")
        try:
            hp = optimizers.get(key).hyperparam(name)
            if options_for(hp) is None:
                raise KeyError(name)
            values["ghost"] = params["ghost"]
        except KeyError:
            bad("ghost", params["ghost"], "an <optimizer>.<hyperparameter> is needed")
    read(
        "ghosts",
        "ghost_count",
        int,
        lambda v: GHOST_COUNTS[0] <= v <= GHOST_COUNTS[1],
        "a count from 10 to 30 is needed",
    )

    if "metric" in params:
        if params["metric"] in METRICS:
            values[METRIC_KEY] = params["metric"]
        else:
            bad("metric", params["metric"], f"one of {', '.join(METRICS)} is needed")
    read(
        "res",
        RESOLUTION_KEY,
        int,
        RESOLUTIONS.__contains__,
        f"one of {', '.join(map(str, RESOLUTIONS))} is needed",
    )

    for qname, text in params.items():
        if "." not in qname:
            if qname not in SIMPLE and qname not in SENSITIVITY and qname != "opt":
                bad(qname, text, "not a setting of this app")
            continue
        opt_key, hp_name = qname.split(".", 1)
        if hp_name == VARIANT and opt_key in optimizers.REGISTRY:
            if optimizers.get(opt_key).paper_values:
                try:
                    values[variant_key(opt_key)] = _flag(text)
                except ValueError:
                    bad(qname, text, "1 or 0 is needed")
            else:
                bad(qname, text, "this optimizer has no library variant")
            continue
        try:
            hp = optimizers.get(opt_key).hyperparam(hp_name)
        except KeyError:
            bad(qname, text, "not a setting of this app")
            continue
        try:
            v = hp.validate(_number(text))
        except ValueError as err:
            bad(qname, text, str(err) if "outside" in str(err) else "a number is needed")
            continue
        opts = options_for(hp)
        if opts is not None:
            if not opts[0] <= v <= opts[-1]:
                bad(
                    qname,
                    text,
                    f"the slider goes from {slider_value(opts[0])} to {slider_value(opts[-1])}",
                )
                continue
            near = snap(v, opts)
            if near != v:
                warnings.append(
                    f"`{qname}={text}` is not on the slider; using the nearest "
                    f"value, {slider_value(near)}."
                )
            v = near
        elif not hp.ui_low <= v <= hp.ui_high:
            bad(qname, text, f"the slider goes from {hp.ui_low:g} to {hp.ui_high:g}")
            continue
        values[hp_key(opt_key, hp_name)] = v
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
