"""Sidebar controls: widgets drawn from the core's self-descriptions, and the Scene they set.

Every widget has a key in ``st.session_state`` whose default is written once (by
:func:`ensure_defaults`), so the value displayed is always the value used, a reset is
just a rewrite of those keys, and other code (a click on the contour, a lesson, a URL)
can change a setting by writing its key before the widgets are drawn.
:func:`settle_controls` reads the scene from those keys; the sidebar's widgets are drawn
in three parts, the optimizers' hyperparameters by the view's fragment.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from .. import limits, objectives, optimizers
from ..formula import suggest_bounds
from ..numbers import slider_value
from ..optimizers import HyperParam
from ..scene import Scene
from .markup import escape
from .state import (
    CUSTOM,
    DEFAULT_FORMULA,
    DEFAULT_OBJECTIVE,
    DEFAULT_WINDOW,
    GHOST_COUNTS,
    MAX_NOISE,
    SCALE_EXPONENTS,
    SPEEDS,
    STAGE,
    STEPS_RANGE,
    STRETCHES,
    UNTRANSFORMED,
    WINDOW_KEYS,
    Presentation,
    all_defaults,
    clean_label,
    extra_key,
    hp_key,
    label_key,
    objective_names,
    options_for,
    scene_of,
    setting,
    snap,
    state_of,
    variant_key,
)

#: at most this many runs of one optimizer side by side (:mod:`optviz.limits`)
MAX_INSTANCES = limits.MAX_INSTANCES
#: session-state key: (steps asked for, steps run) when the budget lowered the steps
STEPS_CAPPED = "_steps_capped"


def custom_window(state: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    (a, b), (c, d) = DEFAULT_WINDOW
    get = state.get
    return (
        (float(get("xmin", a)), float(get("xmax", b))),
        (float(get("ymin", c)), float(get("ymax", d))),
    )


def custom_objective(state: Any) -> objectives.Objective:
    """The typed formula's objective (ExpressionError, a ValueError, if it is refused)."""
    scene = Scene(
        objective=CUSTOM,
        formula=str(state.get("formula", DEFAULT_FORMULA)),
        bounds=custom_window(state),
    )
    return scene.base_objective()


def _objective_defaults(name: str) -> dict[str, Any]:
    """Session-state values that follow the objective: start, noise, learning rates (a
    typed formula: the start ``from_expression`` suggests for the formula in the box)."""
    defaults = all_defaults(name)
    values = {k: defaults[k] for k in ("start_x", "start_y", "noise")}
    if name == CUSTOM:
        try:
            start = custom_objective(st.session_state).start
        except (ValueError, KeyError):
            start = (1.5, 1.5)
        values.update(start_x=float(start[0]), start_y=float(start[1]), noise=0.0)
    for key in optimizers.names():  # learning rates suited to this function
        if optimizers.get(key).lr_kind != optimizers.LR_NONE:
            values[hp_key(key, "lr")] = defaults[hp_key(key, "lr")]
    return values


def ensure_defaults() -> None:
    """Give every control key a value once per session (never overwriting the user's).

    An optimizer taken out of the comparison keeps its settings for when it comes back:
    Streamlit forgets the value of a widget not drawn in a run, unless the script
    writes it (the documented way to keep it), so every optimizer's keys are written
    back as they are.
    """
    state = st.session_state
    for k, v in all_defaults(state.get("objective", DEFAULT_OBJECTIVE)).items():
        state.setdefault(k, v)
    instances = [k for k in state["optimizers"] if k not in optimizers.REGISTRY]
    for key in [*optimizers.names(), *instances]:  # (a new instance: the copied settings)
        spec = optimizers.get(key)
        for hp in spec.hyperparams:
            state[hp_key(key, hp.name)] = setting(state, key, hp.name)
        if spec.paper_values:
            state[variant_key(key)] = bool(setting(state, key, None))
    for key in instances:
        state[label_key(key)] = state.get(label_key(key), "")
    state[UNTRANSFORMED] = [k for k in state.get(UNTRANSFORMED, ()) if k in state["optimizers"]]


def reset_to_defaults() -> None:
    """Callback of the reset button: every control back to its default."""
    for k, v in all_defaults(DEFAULT_OBJECTIVE).items():
        st.session_state[k] = v
    st.session_state[STAGE] = 0  # no lesson open: no place in the lecture
    for k in [k for k in st.session_state if str(k).startswith(extra_key(""))]:
        del st.session_state[k]


def _on_objective_change() -> None:
    for k, v in _objective_defaults(st.session_state["objective"]).items():
        st.session_state[k] = v


def _settle_hyperparam(opt_key: str, hp: HyperParam) -> float:
    """The value of a hyperparameter's control, one its slider offers: a grid value, or
    the slider's extra position (an exact value a heatmap cell or a link set), else the
    nearest grid value."""
    key = hp_key(opt_key, hp.name)
    opts = options_for(hp, st.session_state.get(extra_key(key)))
    current = st.session_state.get(key, hp.default)
    if opts is not None and current not in opts:
        st.session_state[key] = snap(float(current), opts)
    return float(st.session_state[key])


def _hyperparam_widget(opt_key: str, hp: HyperParam) -> None:
    key = hp_key(opt_key, hp.name)
    opts = options_for(hp, st.session_state.get(extra_key(key)))
    if opts is not None:
        st.select_slider(hp.label, options=opts, key=key, format_func=slider_value, help=hp.meaning)
        return
    step = hp.step or (hp.ui_high - hp.ui_low) / 100
    st.slider(
        hp.label,
        min_value=float(hp.ui_low),
        max_value=float(hp.ui_high),
        step=float(step),
        key=key,
        help=hp.meaning,
    )


def _window() -> tuple[tuple[float, float], tuple[float, float]]:
    """The plotted window: the objective's bounds, or the custom one (a valid one)."""
    if st.session_state["objective"] == CUSTOM:
        (x0, x1), (y0, y1) = custom_window(st.session_state)
        if x0 < x1 and y0 < y1:  # an impossible window: its error is shown in the sidebar
            return (x0, x1), (y0, y1)
        return DEFAULT_WINDOW
    return objectives.get(st.session_state["objective"]).bounds


def _ghost_options(chosen: list[str] | tuple[str, ...]) -> list[str]:
    return [""] + [
        f"{k}.{hp.name}"
        for k in chosen
        for hp in optimizers.get(k).hyperparams
        if options_for(hp) is not None and hp.name not in optimizers.get(k).paper_values
    ]


def settle_controls() -> tuple[Scene, Presentation]:
    """Make every control's value one its widget can show, and return the scene and the
    presentation they set (:func:`optviz.ui.state.scene_of`).

    Draws nothing: every control has a key in ``st.session_state`` (a widget's new value
    is there before the script runs), so the scene does not wait for the widgets. The
    sidebar can then be drawn in parts — :func:`sidebar_top`, :func:`optimizer_controls`
    (by the view's fragment) and :func:`sidebar_bottom` —, each widget showing exactly
    the value used.
    """
    ensure_defaults()
    state = st.session_state
    if state["objective"] not in objective_names():  # e.g. an objective registered no more
        state["objective"] = DEFAULT_OBJECTIVE
    (x0, x1), (y0, y1) = _window()
    for key, lo, hi in (("start_x", x0, x1), ("start_y", y0, y1)):
        if not lo <= float(state.get(key, lo)) <= hi:  # a window was narrowed
            state[key] = float(min(max(state[key], lo), hi))
    chosen = tuple(state["optimizers"])
    if state.get("ghost") not in _ghost_options(chosen):
        state["ghost"] = ""
    if state.get("speed") not in SPEEDS:
        state["speed"] = "1×"
    for key in chosen:
        for hp in optimizers.get(key).hyperparams:
            _settle_hyperparam(key, hp)
    _settle_steps(scene_of(state)[0])
    return scene_of(state)


def _settle_steps(scene: Scene) -> None:
    """The steps within the budget of one rerun (:meth:`Scene.max_steps`: fewer for many
    runs), remembered with what was asked for so that the sidebar can say so."""
    state = st.session_state
    ceiling = scene.max_steps()
    runs = len(scene.optimizers)
    if scene.steps > ceiling:
        state[STEPS_CAPPED] = (scene.steps, ceiling, runs)
        state["steps"] = ceiling
    elif state.get(STEPS_CAPPED) and state[STEPS_CAPPED][1:] != (scene.steps, runs):
        state.pop(STEPS_CAPPED)  # (a new value within the budget, or other runs)


def write_scene(
    scene: Scene, presentation: Presentation | None = None, exact: bool = False
) -> None:
    """Show ``scene`` (and ``presentation``, if given) in the controls: the callbacks'
    way of changing what is run (a click on the contour, a heatmap cell, a lesson).
    ``exact``: the compared optimizers' hyperparameters as they are, off the sliders'
    grid if need be (a heatmap cell's configuration: :func:`state.state_of`).

    Every control of the new scene is written, except the sliders of optimizers it does not
    compare: those change only where their default does (a new objective's learning
    rates), so an optimizer taken out of the comparison keeps its settings for when it
    comes back.
    """
    state = st.session_state
    old_scene, old_presentation = scene_of(state)
    presentation = old_presentation if presentation is None else presentation
    before = state_of(old_scene, old_presentation)
    owner = {
        key: opt
        for opt in dict.fromkeys([*optimizers.names(), *old_scene.optimizers, *scene.optimizers])
        for key in (
            variant_key(opt),
            *(hp_key(opt, hp.name) for hp in optimizers.get(opt).hyperparams),
        )
    }
    for key, value in state_of(scene, presentation, exact=exact).items():
        opt = owner.get(key)
        if opt is None or opt in scene.optimizers or value != before.get(key) or key not in state:
            state[key] = value


def _objective_label(name: str) -> str:
    if name == CUSTOM:
        return "Custom: type f(x, y)…"
    label = objectives.get(name).display_name
    return f"{label} (a lesson's)" if name in objectives.lesson_names() else label


def sidebar_top() -> None:
    """The sidebar down to the choice of optimizers (each widget shows the value
    :func:`settle_controls` settled; so do :func:`optimizer_controls` and
    :func:`sidebar_bottom`, which draw the rest of the sidebar below)."""
    sb = st.sidebar
    sb.selectbox(
        "Objective",
        objective_names(),
        key="objective",
        on_change=_on_objective_change,
        format_func=_objective_label,
    )
    if st.session_state["objective"] == CUSTOM:
        _custom_controls(sb)
        try:
            obj = custom_objective(st.session_state)
        except ValueError as err:  # ExpressionError: said in place, the page keeps working
            sb.error(escape(err), icon=":material/edit:")
        else:
            sb.html(_FORMULA_CSS)
            sb.markdown(formula_markdown(obj.latex))
    else:
        obj = objectives.get(st.session_state["objective"])
        sb.html(_FORMULA_CSS)
        sb.markdown(formula_markdown(obj.latex))
        sb.caption(obj.lesson)

    (x0, x1), (y0, y1) = _window()
    c1, c2 = sb.columns(2)
    c1.number_input(
        "start x",
        min_value=float(x0),
        max_value=float(x1),
        key="start_x",
        step=0.1,
        format="%.4g",
        help="or click a point on the contour",
    )
    c2.number_input(
        "start y",
        min_value=float(y0),
        max_value=float(y1),
        key="start_y",
        step=0.1,
        format="%.4g",
        help="or click a point on the contour",
    )
    sb.slider(
        "Number of steps",
        min_value=STEPS_RANGE[0],
        max_value=STEPS_RANGE[1],
        step=limits.STEPS_GRAIN,
        key="steps",
    )
    capped = st.session_state.get(STEPS_CAPPED)
    if capped:
        asked, ran, runs = capped
        sb.caption(
            f":material/speed: {asked} steps asked for; {ran} run: at most "
            f"{limits.RUN_BUDGET:,} run-steps per rerun ({runs} runs here), so that one "
            "student's setting cannot slow down the class. Fewer runs allow more steps."
        )
    sb.select_slider(
        "Playback speed",
        options=list(SPEEDS),
        key="speed",
        help="how fast ▶ Play moves through the (at most 200) frames",
    )

    chosen = st.session_state["optimizers"]
    sb.multiselect(
        "Optimizers",
        [*optimizers.names(), *(k for k in chosen if k not in optimizers.REGISTRY)],
        key="optimizers",
        format_func=run_name,
        help="SGD, momentum, ADAGRAD and ADADELTA by default; add RMSprop, Adam or Nesterov. "
        "To compare two settings of one optimizer, press “Add another run” in its box below.",
    )
    sb.toggle(
        "Arrows and rate bars at the step cursor",
        key="arrows",
        help="for each optimizer, from where the cursor is (x_t): the step it takes next "
        "(solid; to x_{t+1}, the step inspector's step t + 1), "
        "the plain gradient step −η·g (dotted; for ADADELTA, which has no η, −g in the "
        "step's length: its direction) and momentum's velocity (dashed). The angle "
        "between Δx and −g is the per-dimension scaling; tiny steps are drawn longer, "
        "by a power of ten that the note in the contour's corner states. Under the rate "
        "panels, for that same step, each adaptive method's rate as two bars per "
        "dimension: rate = solid ÷ pale (ADADELTA: RMS[Δx]ₜ₋₁ ÷ RMS[g]ₜ; ADAGRAD: "
        "η ÷ (√G + ε) …), on a log scale, where the ratio is the gap between their tops; "
        "the numbers are the step inspector's",
    )
    sb.toggle(
        "3-D surface (key 3)",
        key="surface",
        help="the contour panel as the surface of f in 3-D — its height is the contour's "
        "quantity (log₁₀(f − f_min + δ) where the contour is log-scaled) — with every path "
        "lifted onto it, its shadow on the floor, and the step cursor on the same step as "
        "the other panels. Drag to turn it, scroll to zoom; the view stays as you left it "
        "while you move sliders or play. Press 3 (or this switch) to go back to the contour",
    )


def run_name(key: str) -> str:
    """A run's name in the sidebar's choice: the optimizer's name and, for a second run of
    it, its number ("ADADELTA 2"). Never the typed label: Streamlit keeps a multiselect's
    choice as these texts, so they must not change while the run is chosen."""
    name = optimizers.get(key).display_name
    n = optimizers.instance_number(key)
    return name if n == 1 else f"{name} {n}"


def next_instance(state: Any, key: str) -> str | None:
    """The key of a new run of ``key``'s optimizer (the first free number), or None when
    :data:`MAX_INSTANCES` of it are compared already."""
    base = optimizers.spec_key(key)
    taken = {
        optimizers.instance_number(k) for k in state["optimizers"] if optimizers.spec_key(k) == base
    }
    if len(taken) >= MAX_INSTANCES:
        return None
    n = min(set(range(1, MAX_INSTANCES + 1)) - taken)
    return optimizers.instance_key(base, n)


def add_run(key: str, untransformed: bool = False) -> str | None:
    """Callback: compare one more run of ``key``'s optimizer, starting from ``key``'s
    settings (its hyperparameters and variant switch copied), placed after it; with
    ``untransformed``, a run that ignores the robustness demos' transform. Returns its key."""
    state = st.session_state
    new = next_instance(state, key)
    if new is None:
        return None
    spec = optimizers.get(key)
    for hp in spec.hyperparams:
        state[hp_key(new, hp.name)] = setting(state, key, hp.name)
        extra = state.get(extra_key(hp_key(key, hp.name)))
        if extra is not None:
            state[extra_key(hp_key(new, hp.name))] = extra
    if spec.paper_values:
        state[variant_key(new)] = bool(setting(state, key, None))
    state[label_key(new)] = ""
    chosen = list(state["optimizers"])
    chosen.insert(chosen.index(key) + 1 if key in chosen else len(chosen), new)
    state["optimizers"] = chosen
    if untransformed:
        state[UNTRANSFORMED] = [*state.get(UNTRANSFORMED, ()), new]
    return new


def remove_run(key: str) -> None:
    """Callback: take run ``key`` out of the comparison."""
    state = st.session_state
    state["optimizers"] = [k for k in state["optimizers"] if k != key]
    state[UNTRANSFORMED] = [k for k in state.get(UNTRANSFORMED, ()) if k != key]


def compare_untransformed() -> None:
    """Callback of the robustness demos: beside every transformed run, the same optimizer
    with the same settings on the original f (drawn on the same picture)."""
    state = st.session_state
    done = set(state.get(UNTRANSFORMED, ()))
    for key in [k for k in state["optimizers"] if k not in done]:
        add_run(key, untransformed=True)


def drop_untransformed() -> None:
    """Callback: take the untransformed runs out again."""
    for key in list(st.session_state.get(UNTRANSFORMED, ())):
        remove_run(key)


def optimizer_controls() -> None:
    """Each chosen optimizer's hyperparameters, in the sidebar below the choice.

    Drawn by the view's fragment (``page.view_of_scene``): moving one of these sliders
    reruns only that fragment — these widgets and the view — not the header or the rest
    of the sidebar, so the browser gets and redraws a fraction of the page.
    """
    state = st.session_state
    for key in state["optimizers"]:
        spec = optimizers.get(key)
        instance = key not in optimizers.REGISTRY
        untransformed = key in state.get(UNTRANSFORMED, ())
        typed = clean_label(state.get(label_key(key)))
        title = (f"{run_name(key)}: {typed}" if typed else run_name(key)) + (
            " · untransformed" if untransformed else ""
        )
        with st.sidebar.expander(title, expanded=key == "adadelta" or instance):
            if untransformed:
                st.caption("Runs on the original f, ignoring the robustness demos' k and s.")
            for hp in spec.hyperparams:
                if hp.name not in spec.paper_values:
                    _hyperparam_widget(key, hp)
            if spec.paper_values:
                _variant_controls(key)
            _run_controls(key, spec, instance)


def _run_controls(key: str, spec: optimizers.OptimizerSpec, instance: bool) -> None:
    """A run's label, and the buttons that add another run of its optimizer (to compare
    two settings side by side) or take this one out."""
    if instance:
        st.text_input(
            "Label in the legend",
            key=label_key(key),
            max_chars=40,
            placeholder="automatic",
            help="empty: the legend names the run by the settings in which it differs",
        )
    st.button(
        "Add another run",
        key=f"add_run.{key}",
        icon=":material/add:",
        on_click=add_run,
        args=(key,),
        disabled=next_instance(st.session_state, key) is None,
        help=f"{spec.display_name} once more, starting from these settings: change one "
        f"and compare the two paths (at most {MAX_INSTANCES} runs of one optimizer)",
        width="stretch",
    )
    if instance:
        st.button(
            "Remove this run",
            key=f"remove_run.{key}",
            icon=":material/close:",
            on_click=remove_run,
            args=(key,),
            width="stretch",
        )


def _variant_controls(key: str) -> None:
    """The switch to the libraries' variant of a paper's method, and what it frees."""
    spec = optimizers.get(key)
    fixed = [spec.hyperparam(name) for name in spec.paper_values]
    symbols = ", ".join(
        f"{hp.label.split(' ')[0]} = {spec.paper_values[hp.name]:g}" for hp in fixed
    )
    st.caption(
        "The paper's method has no learning rate."
        if list(spec.paper_values) == ["lr"]
        else f"The paper's method fixes {symbols}."
    )
    variant = st.toggle(
        "Advanced: library variant"
        + (" with a learning rate" if "lr" in spec.paper_values else ""),
        key=variant_key(key),
        help=spec.note or "the libraries' form of the method",
    )
    if variant:
        for hp in fixed:
            _hyperparam_widget(key, hp)
        st.warning(f"Library variant — not the paper's method: {spec.note or symbols}.")


def sidebar_bottom() -> None:
    """Noise, ghost paths, the robustness demos and the reset button."""
    sb = st.sidebar
    chosen = st.session_state["optimizers"]
    if st.session_state["objective"] == CUSTOM:
        try:
            default_sigma = custom_objective(st.session_state).noise
        except ValueError:
            default_sigma = 0.0
    else:
        default_sigma = objectives.get(st.session_state["objective"]).noise
    with _sticky_expander(sb, "Gradient noise", "noise", default_sigma > 0):
        noise = st.slider(
            "σ (noise scale)",
            min_value=0.0,
            max_value=MAX_NOISE,
            step=0.05,
            key="noise",
            help="Gaussian noise added to every gradient; the same noise for every optimizer",
        )
        st.number_input(
            "seed",
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            key="seed",
            disabled=noise == 0,
            help="the same seed replays the same noise",
        )
    with _sticky_expander(sb, "Ghost paths", "ghost", bool(st.session_state.get("ghost"))):
        ghost = st.selectbox(
            "Fan out one hyperparameter",
            _ghost_options(chosen),
            key="ghost",
            format_func=_ghost_label,
            help="faint paths for many values of one hyperparameter across its range, "
            "the current value drawn bold: the spread of behaviours at a glance",
        )
        st.slider("how many ghost paths", *GHOST_COUNTS, key="ghost_count", disabled=not ghost)
    with _sticky_expander(
        sb,
        "Robustness demos",
        "robustness",
        bool(st.session_state.get("scale_exp") or st.session_state.get("stretch") != 1.0),
    ):
        st.select_slider(
            "multiply f by 10ᵏ: k",
            options=SCALE_EXPONENTS,
            key="scale_exp",
            help="gradients grow by the same factor, and so do SGD's and momentum's steps. "
            "ADAGRAD, RMSprop and Adam divide it away (exactly but for their tiny ε); "
            "ADADELTA nearly, once E[g²] has outgrown ε, which sits under both of its roots. "
            "(The paper's §3.2 is about a change of the units of x: the slider below.)",
        )
        st.select_slider(
            "stretch x by s (change its units)",
            options=STRETCHES,
            key="stretch",
            format_func=lambda v: f"{v:g}",
            help="the optimizers see x' = s·x; the paths are drawn back in the original x. "
            "No optimizer here is unaffected. The paper's §3.2: ADADELTA's step "
            "RMS[Δx]/RMS[g]·g has the units of x — but only once E[Δx²] has outgrown ε, and "
            "one ε serves both roots (units of x² and of g²), so no fixed ε is invariant: "
            "at s = 10 its end point moves 10–25 % of the plot's width on the catalogue's "
            "functions, ADAGRAD's 6–45 %",
        )
        transformed = bool(st.session_state.get("scale_exp")) or (
            st.session_state.get("stretch") != 1.0
        )
        if st.session_state.get(UNTRANSFORMED):
            st.button(
                "Remove the untransformed runs",
                key="drop_untransformed",
                on_click=drop_untransformed,
                width="stretch",
            )
        else:
            st.button(
                "Compare with the untransformed run",
                key="compare_untransformed",
                on_click=compare_untransformed,
                disabled=not transformed,
                width="stretch",
                help="beside each run, the same optimizer with the same settings on the "
                "original f (k = 0, s = 1), drawn on the same picture"
                if transformed
                else "set k or s above first",
            )
    sb.button("Reset to defaults", on_click=reset_to_defaults, width="stretch")


def _sticky_expander(sb: Any, label: str, name: str, wanted: bool) -> Any:
    """An expander of the sidebar that stays as the user left it.

    Its ``expanded`` argument never changes (Streamlit would take it for a new expander,
    folded as the argument says: the robustness demos folded shut when k came back to 0).
    Its state is kept under a key of its own; it opens by itself when ``wanted`` turns
    true (a link, a lesson or an objective that sets one of its values), and only the user
    folds it.
    """
    key, seen = f"_open.{name}", f"_wanted.{name}"
    state = st.session_state
    if wanted and not state.get(seen):
        state[key] = True
    state[seen] = wanted
    return sb.expander(label, expanded=False, key=key, on_change="rerun")


#: set while the window is one :func:`_on_formula_text_change` chose (not the user)
_WINDOW_CHOSEN = "_window_chosen"


def _on_formula_change() -> None:
    """A new window: start where from_expression suggests (if the formula is accepted);
    the window is the user's from now on."""
    st.session_state[_WINDOW_CHOSEN] = False
    _start_as_suggested()


def _start_as_suggested() -> None:
    try:
        start = custom_objective(st.session_state).start
    except ValueError:
        return
    st.session_state["start_x"], st.session_state["start_y"] = map(float, start)


def _on_formula_text_change() -> None:
    """A new formula: unless the user chose the window, a window that shows where it is
    lowest (:func:`optviz.formula.suggest_bounds`: ``(x-10)^2 + (y-10)^2`` gets
    [−20, 20]²), then the start from_expression suggests there."""
    state = st.session_state
    if state.get(_WINDOW_CHOSEN, False) or custom_window(state) == DEFAULT_WINDOW:
        try:
            obj = custom_objective({**state, **_window_state(DEFAULT_WINDOW)})
        except ValueError:
            obj = None
        if obj is not None:
            window = suggest_bounds(obj, DEFAULT_WINDOW)
            for key, value in _window_state(window).items():
                state[key] = value
            state[_WINDOW_CHOSEN] = True
    _start_as_suggested()


def _window_state(window: Any) -> dict[str, float]:
    (a, b), (c, d) = window
    return dict(zip(WINDOW_KEYS, map(float, (a, b, c, d))))


def _custom_controls(sb: Any) -> None:
    sb.text_input(
        "f(x, y) =",
        key="formula",
        max_chars=300,
        on_change=_on_formula_text_change,
        help="numbers, x, y, pi, e, + − * / and ^ (power), brackets, and sin cos tan exp "
        "log sqrt abs tanh sinh cosh atan …  e.g. x^4 + y^2, (1-x)^2 + 100*(y-x^2)^2",
    )
    c = sb.columns(4)
    labels = ("x min", "x max", "y min", "y max")
    for col, key, label in zip(c, WINDOW_KEYS, labels):
        col.number_input(label, key=key, step=0.5, format="%g", on_change=_on_formula_change)


def _ghost_label(value: str) -> str:
    if not value:
        return "off"
    key, name = value.split(".", 1)
    return f"{run_name(key)}: {optimizers.get(key).hyperparam(name).label}"


# The sidebar's formula at the size of the text around it (KaTeX sets maths 21 % larger).
_FORMULA_CSS = """<style>
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] .katex { font-size: 1em; }
</style>"""


def formula_markdown(latex: str) -> str:
    """The objective's formula as inline maths: unlike a display formula, it wraps at its
    top-level + and − signs, so a long one (Beale, a typed formula) fits the sidebar."""
    return f"$f(x, y) = {latex}$"


def apply_click(click: Any) -> bool:
    """Set the start point from a click on the contour (``{"x": …, "y": …}``); True if set."""
    if not isinstance(click, dict):
        return False
    x, y = click.get("x"), click.get("y")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (x, y)):
        return False
    scene, _ = scene_of(st.session_state)
    write_scene(scene.replace(start=(float(x), float(y))))
    return True
