"""Settings in the address bar: every control round-trips through the URL's query string.

``read_query`` turns query parameters (untrusted text) into session-state values, with a
warning for each value it cannot use — that setting alone falls back to its default.
``to_query`` writes the current controls back, leaving defaults out, so a copied link
opens the same scene. Nothing here is ever evaluated: every value is parsed as a number,
a whole number, a flag or a name from a fixed list.

The link's names, parsers, allowed values and warnings are those of the controls' table
(``optviz.ui.state.CONTROLS``): :data:`SETTINGS` are its entries read and written as they
are; the objective, the start, the optimizers and their hyperparameters depend on each
other and have a reader each (``_read_objective``, ``_read_start``, ``_read_optimizers``,
``_read_dotted``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from .. import lessons, limits, objectives, optimizers
from ..numbers import query_text, slider_value
from . import network_view as nv
from .controls import custom_objective
from .markup import code, escape
from .sensitivity import (
    DEFAULT_GRID,
    DEFAULT_METRIC,
    DEFAULT_RESOLUTION,
    DEFAULT_SECTION,
    GRID_KEY,
    GRIDS,
    METRIC_KEY,
    METRICS,
    RESOLUTION_KEY,
    RESOLUTIONS,
    SECTION_KEY,
    SECTIONS,
    current_setting,
)
from .state import (
    CONTROLS,
    CUSTOM,
    DEFAULT_FORMULA,
    DEFAULT_WINDOW,
    STAGE,
    STEP,
    STEPS_RANGE,
    UNTRANSFORMED,
    WINDOW_KEYS,
    Control,
    all_defaults,
    clean_label,
    extra_key,
    hp_key,
    label_key,
    lecture_place,
    lesson_state,
    one_of,
    options_for,
    parse_flag,
    parse_number,
    scene_of,
    variant_key,
)

#: "<optimizer>.variant=1": that optimizer as the libraries' variant of the paper's method
#: (ADADELTA's is "variant=1", as links have always said)
VARIANT = "variant"
#: "<optimizer>~2.label=…": the legend label typed for a second run of an optimizer
LABEL = "label"

#: The Sensitivity and Network views' own controls (not part of a scene or its
#: presentation: each view keeps them while hidden, ``current_setting``); ``get`` gives
#: the default.
VIEW_CONTROLS: tuple[Control, ...] = (
    Control(
        METRIC_KEY,
        lambda _s, _p: DEFAULT_METRIC,
        "metric",
        str,
        METRICS.__contains__,
        one_of(METRICS),
    ),
    Control(
        RESOLUTION_KEY,
        lambda _s, _p: DEFAULT_RESOLUTION,
        "res",
        int,
        RESOLUTIONS.__contains__,
        one_of(RESOLUTIONS),
    ),
    Control(
        GRID_KEY,
        lambda _s, _p: DEFAULT_GRID,
        "grid",
        str,
        GRIDS.__contains__,
        one_of(GRIDS),
    ),
    Control(
        SECTION_KEY,
        lambda _s, _p: DEFAULT_SECTION,
        "section",
        str,
        SECTIONS.__contains__,
        one_of(SECTIONS),
    ),
    # the Network view's
    Control(
        nv.EPOCHS_KEY,
        lambda _s, _p: nv.DEFAULTS[nv.EPOCHS_KEY],
        "epochs",
        int,
        nv.EPOCHS.__contains__,
        one_of(nv.EPOCHS),
    ),
    Control(
        nv.SEEDS_KEY,
        lambda _s, _p: nv.DEFAULTS[nv.SEEDS_KEY],
        "seeds",
        int,
        nv.SEEDS.__contains__,
        one_of(nv.SEEDS),
    ),
    Control(
        nv.ACT_KEY,
        lambda _s, _p: nv.DEFAULTS[nv.ACT_KEY],
        "units",
        str,
        nv.network.ACTIVATIONS.__contains__,
        one_of(nv.network.ACTIVATIONS),
    ),
    Control(
        nv.HIDDEN_KEY,
        lambda _s, _p: nv.DEFAULTS[nv.HIDDEN_KEY],
        "hidden",
        lambda text: ", ".join(p.strip() for p in text.split(",")),
        nv.HIDDEN.__contains__,
        one_of(nv.HIDDEN),
    ),
    Control(
        nv.KERAS_KEY,
        lambda _s, _p: False,
        "keras",
        parse_flag,
        why=lambda: "1 or 0 is needed",
    ),
)
#: The link's settings read and written as they are (the table's entries with a name).
SETTINGS: tuple[Control, ...] = (
    *(c for c in CONTROLS if c.name and not c.dependent),
    *VIEW_CONTROLS,
)
#: The settings read by a reader of their own (query name -> session-state key; "opt",
#: the optimizers compared, is read by :func:`_read_optimizers`).
DEPENDENT = {c.name: c.key for c in CONTROLS if c.dependent and c.name not in ("opt", "orig")}
#: The views' own controls (their defaults are not in state.all_defaults).
SENSITIVITY = {c.name: c.key for c in VIEW_CONTROLS}
#: Query name -> session-state key of every scalar setting the link writes as it is.
SIMPLE = {**DEPENDENT, **{c.name: c.key for c in SETTINGS if c.name not in SENSITIVITY}}
#: Every query name without a dot the link may carry ("<optimizer>.<name>" are the rest).
#: The step cursor's step ("step=37": the chart, the inspector at step 37; 0 is left out).
STEP_SETTING = Control(
    STEP,
    lambda _s, _p: 0,
    "step",
    int,
    lambda v: 0 <= v <= STEPS_RANGE[1],
    lambda: f"a whole number from 0 to {STEPS_RANGE[1]} is needed",
)
#: The lecture's stage of the open lesson ("lesson=units&stage=1": the lesson after its
#: first follow-up; 0 is left out). Which stages there are depends on the lesson.
STAGE_NAME = "stage"
KNOWN = frozenset({*SIMPLE, *SENSITIVITY, "opt", "orig", STEP_SETTING.name, STAGE_NAME})


def _read_custom(params: Mapping[str, str], values: dict[str, Any], bad: Any) -> tuple:
    """A typed formula and its window from the link (the formula is parsed, never run)."""
    window = dict(zip(WINDOW_KEYS, (v for pair in DEFAULT_WINDOW for v in pair)))
    given = {}
    for key in WINDOW_KEYS:
        if key in params:
            try:
                given[key] = parse_number(params[key])
                if abs(given[key]) > limits.MAX_WINDOW:
                    del given[key]
                    raise ValueError
            except ValueError:
                bad(key, params[key], f"a number within ±{limits.MAX_WINDOW:g} is needed")
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


def _read_dotted(qname: str, text: str, values: dict[str, Any], bad: Callable) -> None:
    """An "<optimizer>.<hyperparameter>" (or "<optimizer>.variant") setting of the link."""
    opt_key, hp_name = qname.split(".", 1)
    if optimizers.spec_key(opt_key) in optimizers.REGISTRY and hp_name == LABEL:
        values[label_key(opt_key)] = clean_label(text)
        return
    if hp_name == VARIANT and optimizers.spec_key(opt_key) in optimizers.REGISTRY:
        if optimizers.get(opt_key).paper_values:
            try:
                values[variant_key(opt_key)] = parse_flag(text)
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
        v = hp.validate(parse_number(text))
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
        if v not in opts:  # kept exactly (e.g. a heatmap cell's): the slider's extra value
            values[extra_key(hp_key(opt_key, hp_name))] = v
    elif not hp.ui_low <= v <= hp.ui_high:
        bad(qname, text, f"the slider goes from {hp.ui_low:g} to {hp.ui_high:g}")
        return
    values[hp_key(opt_key, hp_name)] = v


def _read_objective(params: Mapping[str, str], values: dict[str, Any], bad: Callable) -> tuple:
    """The objective (a known name, or a typed formula with its window); its plot window."""
    name = params.get("objective")
    if name is None:
        return objectives.get("rosenbrock").bounds
    if name in objectives.names() or name in objectives.lesson_names():
        values["objective"] = name
        return objectives.get(name).bounds
    if name == CUSTOM:
        values["objective"] = CUSTOM
        return _read_custom(params, values, bad)
    known = ", ".join([*objectives.names(), *objectives.lesson_names(), CUSTOM])
    bad("objective", name, f"no such objective (known: {known})")
    return objectives.get("rosenbrock").bounds


def _read_start(
    params: Mapping[str, str], values: dict[str, Any], bad: Callable, bounds: tuple
) -> None:
    """The start, which must lie inside the objective's plot window."""
    (x0, x1), (y0, y1) = bounds
    for qname, key, lo, hi in (("x0", "start_x", x0, x1), ("y0", "start_y", y0, y1)):
        if qname in params:
            try:
                v = parse_number(params[qname])
                if not lo <= v <= hi:
                    raise ValueError
                values[key] = v
            except ValueError:
                bad(qname, params[qname], f"a start inside [{lo:g}, {hi:g}] is needed")


def _read_optimizers(params: Mapping[str, str], values: dict[str, Any], bad: Callable) -> None:
    """The runs compared ("opt=sgd,adadelta,adadelta~2"), each a registered key or a second
    (third, …) run of one ("<key>~n"); the untransformed ones among them ("orig=…")."""
    if "opt" in params:
        keys = list(dict.fromkeys(k for k in params["opt"].split(",") if k))
        if not keys or any(not _run_key(k) for k in keys):
            known = ", ".join(optimizers.names())
            bad(
                "opt",
                params["opt"],
                f"known optimizers are {known} (a second run: adadelta~2, "
                f"up to ~{limits.MAX_INSTANCES})",
            )
        elif len(keys) > limits.MAX_RUNS:
            bad("opt", params["opt"], f"at most {limits.MAX_RUNS} runs are compared")
        else:
            values["optimizers"] = keys
    if "orig" in params:  # (those not compared are left out: state.scene_of)
        keys = [k for k in params["orig"].split(",") if k]
        if not keys or any(not _run_key(k) for k in keys):
            bad("orig", params["orig"], "a list of the compared runs (opt=) is needed")
        else:
            values[UNTRANSFORMED] = list(dict.fromkeys(keys))


def _run_key(key: str) -> bool:
    """Whether ``key`` names a registered optimizer or an instance of one."""
    base = optimizers.spec_key(key)
    number = optimizers.instance_number(key)
    return base in optimizers.REGISTRY and (key == base or 1 < number <= limits.MAX_INSTANCES)


def _read_budget(values: dict[str, Any], warnings: list[str]) -> None:
    """The link's steps within the budget of one rerun (:meth:`Scene.max_steps`, as the
    sidebar's steps are): more runs allow fewer steps. Over it, the most it allows."""
    if "steps" not in values and "optimizers" not in values:
        return
    defaults = all_defaults(values.get("objective", "rosenbrock"))
    if values.get("lesson"):
        defaults = lesson_state(lessons.get(values["lesson"]), values.get(STAGE, 0))
    scene, _ = scene_of({**defaults, **values})
    ceiling = scene.max_steps()
    if scene.steps > ceiling:
        values["steps"] = ceiling
        warnings.append(
            f"Lowered {code(f'steps={scene.steps}')} from the link to {ceiling}: at most "
            f"{limits.RUN_BUDGET:,} run-steps per rerun, and this link compares "
            f"{len(scene.optimizers)} runs."
        )


def _read_stage(params: Mapping[str, str], values: dict[str, Any], bad: Callable) -> None:
    """The open lesson's stage in the lecture: 0 (as it opens) to its number of
    follow-ups; it needs a lesson in the same link."""
    if STAGE_NAME not in params:
        return
    text = params[STAGE_NAME]
    key = values.get("lesson")
    if not key:
        bad(STAGE_NAME, text, "a stage needs a lesson in the link (lesson=…)")
        return
    last = lessons.stage_count(key) - 1
    try:
        stage = int(text)
    except ValueError:
        stage = -1
    if not 0 <= stage <= last:
        bad(
            STAGE_NAME,
            text,
            f"lesson {key} has only stage 0 (it has no follow-up)"
            if last == 0
            else f"a stage of lesson {key} from 0 to {last} is needed",
        )
        return
    values[STAGE] = stage


def read_query(params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Session-state values from query parameters, and a warning for each bad one."""
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def bad(name: str, text: str, why: str) -> None:
        name = name if len(name) <= 40 else name[:37] + "…"  # (a name the app does not know)
        shown = text if len(text) <= 40 else text[:37] + "…"
        warnings.append(  # the link's text as typed: a code span; the reason escaped
            f"Ignored {code(f'{name}={shown}')} from the link: {escape(why)}; using the default."
        )

    def read(setting: Control) -> None:
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
    for setting in (*SETTINGS, STEP_SETTING):
        read(setting)
    _read_stage(params, values, bad)

    for qname, text in params.items():
        if "." not in qname:
            if qname not in KNOWN:
                bad(qname, text, "not a setting of this app")
            continue
        _read_dotted(qname, text, values, bad)
    _read_budget(values, warnings)
    if len(warnings) > limits.MAX_LINK_WARNINGS:
        more = len(warnings) - limits.MAX_LINK_WARNINGS + 1
        warnings[limits.MAX_LINK_WARNINGS - 1 :] = [
            f"… and {more} more settings of the link were ignored; using the defaults."
        ]
    return values, warnings


def to_query(state: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of the current controls, defaults left out."""
    # start, noise and learning rates default to the chosen objective's own values; with a
    # lesson open, the link reopens the lesson, so its own settings are the defaults
    lesson, stage = lecture_place(state)
    if lesson:  # (at the stage of the lecture it is at: that stage's settings)
        defaults = {**lesson_state(lessons.get(lesson), stage), "lesson": ""}
    else:
        defaults = {**all_defaults(state.get("objective", "rosenbrock")), "objective": "rosenbrock"}
    out: dict[str, str] = {}
    for qname, key in SIMPLE.items():
        if key in state and state[key] != defaults.get(key):
            out[qname] = query_text(state[key])
    for control in VIEW_CONTROLS:  # a view's own settings, kept while it is hidden
        kept = nv.current_setting if control.key in nv.DEFAULTS else current_setting
        value = kept(state, control.key)
        if value != control.get(None, None):
            out[control.name] = query_text(value)
    if int(state.get(STEP, 0) or 0) > 0:
        out[STEP_SETTING.name] = str(int(state[STEP]))
    if lesson and stage > 0:
        out[STAGE_NAME] = str(stage)
    chosen = list(state.get("optimizers", defaults["optimizers"]))
    if chosen != defaults["optimizers"]:
        out["opt"] = ",".join(chosen)
    untransformed = [k for k in state.get(UNTRANSFORMED, ()) if k in chosen]
    if untransformed != list(defaults.get(UNTRANSFORMED, ())):
        out["orig"] = ",".join(untransformed)
    for opt_key in chosen:
        typed = clean_label(state.get(label_key(opt_key)))
        if typed and typed != defaults.get(label_key(opt_key)):
            out[f"{opt_key}.{LABEL}"] = typed
        qname = f"{opt_key}.{VARIANT}"
        if SIMPLE.get("variant") != variant_key(opt_key) and state.get(variant_key(opt_key)):
            out[qname] = "1"  # (ADADELTA's switch is the shorter "variant")
        first = optimizers.spec_key(opt_key)  # (a second run's default: the first's value)
        for hp in optimizers.get(opt_key).hyperparams:
            key = hp_key(opt_key, hp.name)
            default = defaults.get(key, state.get(hp_key(first, hp.name)))
            if key in state and state[key] != default:
                paper = optimizers.get(opt_key).paper_values
                if hp.name in paper and not state.get(variant_key(opt_key)):
                    continue
                out[f"{opt_key}.{hp.name}"] = query_text(state[key])
    return out


def link(base_url: str, query: Mapping[str, str]) -> str:
    """The shareable address: the app's URL with the scene's query string."""
    base = base_url.split("?", 1)[0]
    return f"{base}?{urlencode(query)}" if query else base
