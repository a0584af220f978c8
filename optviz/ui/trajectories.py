"""The trajectory view: messages, the animated figure, and the step inspector."""

from __future__ import annotations

import functools
import math
from time import sleep

import numpy as np
import streamlit as st

from .. import export, lessons, optimizers
from ..figures import DENSE_STEPS, PathView, left_bounds_at, untyped
from ..inspector import step_details
from ..numbers import fmt, table_number
from ..runner import OVERFLOW, STEEP, UNDEFINED, divergence_cause
from ..scene import CUSTOM, Scene, Transform
from .chart import animated_chart
from .compute import scene_figure, scene_figure_json, scene_paths
from .controls import apply_click
from .lessons_view import lesson_panel, open_next_lesson
from .markup import escape
from .state import (
    INSPECT_KEY,
    INSPECT_STEP,
    STEP,
    STEP_REV,
    Presentation,
    move_step,
    shared_step,
)

CHART_KEY = "trajectory_chart"


def _on_chart_message() -> None:
    """What the chart says. A click on the contour (or the 3-D surface) sets the start
    point, which the sidebar shows too; the next or previous lesson (its keys) changes
    the header; its key 3 turns the 3-D view on or off: the whole app reruns. A step is
    where the cursor came to rest: the step inspector and the link follow it (the view's
    fragment reruns)."""
    message = st.session_state.get(CHART_KEY)
    if not isinstance(message, dict):
        return
    kind = message.get("kind", "click")
    if kind == "step":
        step = message.get("step")
        if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
            st.session_state[STEP] = step
    elif kind == "lesson":
        delta = message.get("delta")
        if delta in (1, -1) and open_next_lesson(delta):
            st.rerun()
    elif kind == "surface":  # the chart's key 3: the 3-D view on or off, at its step
        on = message.get("on")
        st.session_state["surface"] = (
            on if isinstance(on, bool) else not st.session_state.get("surface", False)
        )
        step = message.get("step")
        if isinstance(step, int) and not isinstance(step, bool) and step >= 0:
            st.session_state[STEP] = step
        st.rerun()
    elif apply_click(message):
        st.rerun()


def _entered_undefined_region(tr) -> bool:
    """Did the run stop because f is not finite at a finite point inside the box?"""
    d = tr.diverged_at
    if d < 1 or d > tr.steps:
        return False
    nxt = tr.positions[d - 1] + tr.updates[d - 1]
    if not np.all(np.isfinite(nxt)) or np.any(np.abs(nxt) > 1e6):
        return False
    with np.errstate(all="ignore"):
        return not np.isfinite(tr.objective.value(nxt))


def _no_minimum_divergence(p: PathView, cause: str) -> str:
    """Why a run on a function without a known minimum stopped (not steepness)."""
    at = f"**{p.label}** stopped at step {p.trajectory.diverged_at}"
    if cause == OVERFLOW:
        return (
            f"{at}: the numbers overflow — f or its gradient is beyond what a float64 "
            "holds (about 1.8e308) — although the point is finite. The function is bounded "
            "or not, but too large to compute here (a high power?): plot a smaller "
            "window, or start nearer the minimum."
        )
    if cause == UNDEFINED:
        return f"{at}: f is not a real, finite number there (like the log of a negative number)."
    return (
        f"{at}: it escaped to infinity with f falling all the way — this function is "
        "unbounded below, so the path runs off for ever."
    )


def problem_messages(scene: Scene, paths: list[PathView]) -> None:
    """Divergence and leaving the plot are shown, never hidden."""
    obj = scene.plot_objective()
    for p in paths:
        tr = p.trajectory
        if tr.diverged_at >= 0:
            if _entered_undefined_region(tr):
                st.error(
                    f"**{p.label}** stopped at step {tr.diverged_at}: its next point is "
                    "where f is not a real, finite number (like the log of a negative "
                    "number). The blank part of the contour is that region.",
                    icon=":material/close:",
                )
            elif obj.f_min is None and (cause := divergence_cause(tr)) != STEEP:
                st.warning(_no_minimum_divergence(p, cause), icon=":material/close:")
            elif obj.f_min is None:  # steep, not unbounded: say how steep
                g = float(np.max(np.abs(tr.grads[tr.diverged_at - 1])))
                f = float(tr.values[tr.diverged_at - 1])
                st.error(
                    f"**{p.label}** diverged at step {tr.diverged_at}: where it was, f = "
                    f"{fmt(f)} and the gradient is huge ({fmt(g)}), so its step threw it far "
                    "out of the plot. The function is very steep there — that is not a sign "
                    f"that it is unbounded below. {p.spec.divergence_hint.capitalize()}, "
                    "start nearer the minimum, or plot a smaller window.",
                    icon=":material/close:",
                )
            else:
                hint = p.spec.divergence_hint
                st.error(
                    f"**{p.label}** diverged at step {tr.diverged_at} — {hint}.",
                    icon=":material/close:",
                )
            continue
        out = left_bounds_at(tr.positions, obj.bounds)
        if out >= 0:
            st.info(
                f"**{p.label}** leaves the plotted area at step {out} (its values stay "
                "finite); the path is drawn up to the edge.",
                icon=":material/open_in_new:",
            )


def _ordinal(index: int) -> str:
    return ("", "second", "third", "fourth", "fifth", "sixth", "seventh")[index] or "first"


def reading_text(scene: Scene, paths: list[PathView]) -> str:
    """What a newcomer is looking at, from the runs on screen: who ends lowest, where
    ADADELTA stands and why a short run shows mostly its warm-up, how the baselines' rates
    were chosen, and where the lessons are."""
    finished = {p.key: p for p in paths if p.trajectory.diverged_at < 0}
    if not finished:
        return "Every run here diverged. The **Lessons** tab has scenes that show each claim."
    gap = {k: float(p.trajectory.loss_gap[-1]) for k, p in finished.items()}
    what = "f − f_min" if scene.plot_objective().f_min is not None else "f"
    order = sorted(gap, key=gap.__getitem__)
    best = finished[order[0]]
    words = [f"**Reading this picture:** lowest final {what}: {best.label} ({fmt(gap[order[0]])})."]
    if "adadelta" in finished and order[0] != "adadelta":
        hp = scene.hp("adadelta")
        first = math.sqrt(hp["eps"] / (1 - hp["rho"]))
        words.append(
            f"ADADELTA ends at {fmt(gap['adadelta'])}, the {_ordinal(order.index('adadelta'))} "
            f"lowest of {len(order)}: it has no learning rate, its first steps are about "
            f"√(ε/(1−ρ)) = {fmt(first)} and it grows them itself, so a short run shows mostly "
            "its warm-up."
        )
    if any(optimizers.get(p.key).lr_kind != optimizers.LR_NONE for p in paths):
        words.append(
            "The baselines' learning rates are the function's suggested ones, not tuned "
            "(the lessons compare each with the best of a sweep)."
        )
    words.append("The **Lessons** tab walks through the paper's claims, one scene each.")
    return " ".join(words)


def robustness_caption(scene: Scene, paths: list[PathView]) -> None:
    """When f is scaled or x stretched: how far each path moved, from the live runs."""
    k, s = scene.transform.scale_exp, scene.transform.stretch
    if not k and s == 1.0:
        return
    what = []
    if k:
        what.append(f"f is multiplied by 10^{k}")
    if s != 1.0:
        what.append(f"x is measured in units {s:g}× smaller (x' = {s:g}·x)")
    original = scene.replace(transform=Transform())
    parts = []
    for p in (p for p in paths if p.key not in scene.untransformed):
        base = original.run(p.key)
        tr = p.trajectory
        if tr.diverged_at >= 0:
            parts.append(f"**{p.label}** diverges (at step {tr.diverged_at})")
        elif base.diverged_at >= 0:
            parts.append(f"**{p.label}** now converges where the original diverged")
        else:
            moved = float(np.hypot(*(tr.positions[-1] - base.positions[-1])))
            parts.append(f"**{p.label}** ends {moved:.2g} away from where it ended before")
    why = []
    if k:
        why.append(
            "a factor on f: ADAGRAD, RMSprop and Adam divide by a running size of the "
            "gradient, so it cancels up to their ε, and ADADELTA's nearly; SGD's and "
            "momentum's steps scale with it"
        )
    if s != 1.0:
        why.append(
            "new units of x: no optimizer here is invariant — ADADELTA's step has the units "
            "of x only when ε is given them (lesson 6 measures it)"
        )
    st.info(
        "Robustness demo — " + " and ".join(what) + ". Compared with the original "
        "problem, at the last step: "
        + "; ".join(parts)
        + ". ("
        + "; ".join(why)
        + ".)"
        + (
            " The untransformed runs are drawn beside them; their f − f_min is the original f's."
            if any(k in scene.untransformed for k in scene.optimizers)
            else ""
        ),
        icon=":material/biotech:",
    )


def summary_table(scene: Scene, paths: list[PathView]) -> None:
    obj = scene.plot_objective()
    rows = []
    for p in paths:
        tr = p.trajectory
        finite = np.isfinite(tr.values)
        best = float(np.nanmin(tr.values)) if finite.any() else float("nan")
        final = float(tr.values[-1])
        f_min = tr.objective.f_min  # (its own: an untransformed run's f is unscaled)
        gap = (lambda v, m=f_min: v - m) if obj.f_min is not None else (lambda v: v)
        rows.append(  # numbers as text, written as every table writes them (7e-31, 0)
            {
                "optimizer": p.label,
                "final f − f_min" if obj.f_min is not None else "final f": table_number(gap(final)),
                "best": table_number(gap(best)),
                "final x": table_number(tr.positions[-1, 0]),
                "final y": table_number(tr.positions[-1, 1]),
                "diverged at": f"step {tr.diverged_at}" if tr.diverged_at >= 0 else "never",
                "state values / parameter": p.spec.memory_per_parameter,
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")


def _caption(scene: Scene, presentation: Presentation, paths: list[PathView]) -> tuple[str, str]:
    """Title and text for an exported file: the lesson's live text, or the settings.

    Plain core calls only: it runs when a download is clicked, on Streamlit's download
    thread, not on every rerun.
    """
    runs = {p.key: p.trajectory for p in paths}
    if presentation.lesson:
        lesson = lessons.get(presentation.lesson)
        return f"Lesson: {lesson.title}", lesson.markdown(scene, runs)
    name = paths[0].trajectory.objective.display_name
    lines = [
        f"**{escape(name)}**, start ({scene.start[0]:g}, {scene.start[1]:g}), "
        f"{scene.steps} steps"
        + (f", gradient noise σ = {scene.noise:g} (seed {scene.seed})" if scene.noise else "")
        + "."
    ]
    for p in paths:
        hp = ", ".join(f"{k} = {v:g}" for k, v in sorted(scene.hp(p.key).items()))
        lines.append(f"- {p.label}: {hp}")
    return f"optviz: {name}", "\n".join(lines)


def export_panel(
    scene: Scene, presentation: Presentation, paths: list[PathView], fig: object
) -> None:
    """Offline HTML of the animation, the data as CSV/JSON, and a PNG (when possible).

    Every file is made only when its button is clicked (the captions, settings headers
    and files are not computed on reruns).
    """
    with st.expander(
        "Export this scene (offline HTML for slides, CSV, JSON, PNG)",
        icon=":material/download:",
    ):
        runs = {p.key: p.trajectory for p in paths}
        t = shared_step(st.session_state, scene.steps)  # the one step cursor's

        def html() -> str:
            """The animation, the settings and the step inspector at the inspector's step;
            an open lesson's Sensitivity heatmaps when the lesson points at that view."""
            title, caption = _caption(scene, presentation, paths)
            caption += "\n\n" + export.inspector_markdown(scene, runs, t)
            figures = [fig]
            if presentation.lesson and lessons.get(presentation.lesson).view == "sensitivity":
                heat = export.sensitivity_figure(
                    scene, presenter=presentation.presenter, theme=presentation.theme
                )
                figures += [heat] if heat is not None else []
            return export.to_html(
                figures if len(figures) > 1 else fig, title=title, caption=caption
            )

        def header() -> dict:
            return scene.describe()

        c1, c2, c3 = st.columns(3)
        c1.download_button(
            "Offline HTML animation",
            on_click="ignore",
            mime="text/html",
            file_name="optviz-scene.html",
            icon=":material/movie:",
            data=html,
            help="one self-contained file: plotly.js inside, no internet needed, no autoplay",
        )
        c2.download_button(
            "Trajectories as CSV",
            on_click="ignore",
            mime="text/csv",
            file_name="optviz-trajectories.csv",
            icon=":material/description:",
            data=lambda: export.trajectories_to_csv(runs, header()),
        )
        c3.download_button(
            "Trajectories as JSON",
            on_click="ignore",
            mime="application/json",
            file_name="optviz-trajectories.json",
            icon=":material/data_object:",
            data=lambda: export.trajectories_to_json(runs, header()),
        )
        reason = export.png_unavailable_reason()
        if reason is None:
            st.download_button(
                f"PNG of step {t} (the step cursor's)",
                on_click="ignore",
                icon=":material/image:",
                mime="image/png",
                file_name=f"optviz-step{t}.png",
                data=lambda: export.frame_png(
                    fig,
                    step=t,
                    width=1400,
                    title=f"{export.png_title(scene)}, step {t}",
                    settings=export.settings_lines(scene),
                ),
                help="rendered on the server (takes a few seconds); the camera button in the "
                "chart's toolbar saves exactly what is on screen",
            )
        else:
            st.caption(
                f"PNG: use the camera button in the chart's toolbar — your browser saves the "
                f"picture as shown. (A PNG made on the server is not available here: "
                f"{reason})"
            )
        st.caption(
            "Every step of every optimizer: positions, values, gradients, updates, "
            "effective learning rates and every accumulator, with the settings in "
            "the header."
        )


def _inspect_step_typed() -> None:
    """The inspector's step field moves the one step cursor (the chart follows)."""
    move_step(st.session_state, int(st.session_state[INSPECT_STEP]))


def step_inspector(scene: Scene, paths: list[PathView]) -> None:
    """At the shared step, each optimizer's rule in LaTeX and with the numbers filled in.

    Its step is the chart's cursor (:data:`~optviz.ui.state.STEP`): ◀ ▶, the keys and the
    chart's "go to" move both; the field here moves both too. At step 0 (the start) it
    shows the first move."""
    if scene.steps < 1 or not paths:
        return
    st.subheader("Step inspector")
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    at = shared_step(st.session_state, scene.steps)
    if st.session_state.get(INSPECT_STEP) != max(at, 1):  # (written only when it moved)
        st.session_state[INSPECT_STEP] = max(at, 1)
    t = int(
        c1.number_input(
            "step t (the move from x₍ₜ₋₁₎ to xₜ) — the chart's cursor",
            min_value=1,
            max_value=scene.steps,
            step=1,
            key=INSPECT_STEP,
            on_change=_inspect_step_typed,
            help="the same step as the chart's cursor: ◀ ▶ or ← → in the chart move both",
        )
    )
    keys = [p.key for p in paths]
    if st.session_state.get(INSPECT_KEY) not in keys:
        st.session_state[INSPECT_KEY] = "adadelta" if "adadelta" in keys else keys[0]
    labels = {p.key: p.label for p in paths}
    key = (
        c2.segmented_control("optimizer", keys, key=INSPECT_KEY, format_func=labels.__getitem__)
        or keys[0]
    )
    p = next(p for p in paths if p.key == key)
    d = step_details(scene.transform_of(key).to_optimizer(p.trajectory), t)
    st.latex(d.rule_latex)
    if scene.transform_of(key).stretch != 1.0:
        st.caption(
            f"Robustness demo: the optimizers run in x′ = {scene.transform.stretch:g}·x, so "
            "every number of the x coordinate below — positions, gradients, steps "
            "and accumulators — is in x′, the optimizer's own units (the contour "
            "draws the path in x)."
        )
    if at == 0:
        st.caption("The cursor is at step 0, the start: this is the first move, step 1.")
    if d.diverged:
        st.error(f"{p.label} has diverged by step {t}: the numbers are NaN.")
    # The equations of both coordinates, one below the other (with numbers they are
    # long), and the table of every quantity: one Markdown element, which the browser
    # typesets in a fraction of the time it takes for a dozen separate ones.
    equations = [
        f"**{dim} coordinate**\n\n" + "\n\n".join(f"$$\n{line}\n$$" for line in d.equations[dim])
        for dim in "xy"
    ]
    table = ["| quantity | meaning | x | y |", "|---|---|---|---|"]
    table += [
        f"| ${sym}$ | {meaning} | {table_number(x)} | {table_number(y)} |"
        for sym, meaning, x, y in d.rows
    ]
    st.markdown("\n\n".join([*equations, "\n".join(table)]))
    if d.reproduces:
        st.caption(
            "✓ Replaying the engine's own rule on these numbers gives the stored "
            "update and state to the last bit."
        )
    spec = optimizers.get(p.key)
    st.caption(
        f"The optimizer's own rate factor ${spec.effective_lr_latex}$: "
        f"{spec.effective_lr_meaning}. The rate panels draw the realised $-\\Delta x_t/g_t$ for "
        "every optimizer (the same for SGD, ADAGRAD, RMSprop and ADADELTA; for momentum and "
        "Adam it also carries the velocity or the average of past gradients)."
    )


#: How long the script waits, after sending a new figure, before it sends the rest of
#: the view (see :func:`_picture_first`).
PICTURE_FIRST_S = 0.35
#: The same for a session's first figure, which the browser must first make its chart
#: for: the component's frame, plotly.js loaded and run, the first drawing of every panel.
FIRST_PICTURE_S = 1.5


def _picture_first(spec_json: str) -> None:
    """Let the browser draw a new figure before the rest of the view reaches it.

    The browser renders the page's elements and the figure on one thread, and renders
    whatever has arrived in one go: were the messages, the summary table and the step
    inspector (its maths typeset anew) right behind the figure, the new picture would
    wait for them all (~0.1–0.2 s here). Pausing the script after the figure lets the
    picture go first; the rest follows. Nothing new to draw, no pause.

    A new visitor's page is the extreme case: the rest of the view's elements need
    Streamlit's scripts for a table, a download button, KaTeX… (≈ 1 MB more to fetch and
    run), and arriving 0.35 s after the figure they kept the chart's frame from being
    made for 1–1.5 s here. So the first figure of a session waits longer
    (:data:`FIRST_PICTURE_S`): the contour panel is drawn before the rest arrives.
    """
    sent = st.session_state.get("_figure_sent")
    if sent is spec_json:  # the cached text, unchanged
        return
    st.session_state["_figure_sent"] = spec_json
    pause = FIRST_PICTURE_S if sent is None else PICTURE_FIRST_S
    if pause > 0:
        sleep(pause)


def _exact_cursor(fig: object, step: int) -> dict | None:
    """The cursors' points at ``step`` when the figure's cursor table does not keep it (a
    long, crowded run), so the chart shows that step exactly; None when it does."""
    table = fig.spec["layout"]["meta"]["optvizCursor"]  # type: ignore[attr-defined]
    if step <= DENSE_STEPS or step in _kept_steps(table["rows"]["bdata"]):
        return None
    return {"step": step, "data": fig.cursor_at(step)}  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=8)
def _kept_steps(bdata: str) -> frozenset[int]:
    return frozenset(untyped({"dtype": "f8", "bdata": bdata}).astype(int).tolist())


def trajectory_view(scene: Scene, presentation: Presentation) -> None:
    if not scene.optimizers:
        st.info("Choose at least one optimizer in the sidebar.")
        return
    try:
        paths = scene_paths(scene)
        fig = scene_figure(scene, presentation)
    except ValueError as err:  # a bad combination of settings: say so, plainly
        if scene.objective == CUSTOM:
            st.info(
                f"The formula in the sidebar cannot be used yet: {escape(err)}",
                icon=":material/edit:",
            )
        else:
            st.error(f"These settings cannot run: {escape(err)}")
        return
    runs = {p.key: p.trajectory for p in paths}
    # The lesson's text above the figure comes after it, so that the picture comes
    # first; but a session's first figure is drawn once, fitted under what is above it
    # then: it waits longer for the rest of the view (FIRST_PICTURE_S), so the text
    # comes first.
    first = st.session_state.get("_figure_sent") is None
    above = st.container()
    if first:
        with above:
            lesson_panel(scene, presentation, runs)
    spec_json = scene_figure_json(scene, presentation)
    step = shared_step(st.session_state, scene.steps)
    animated_chart(
        spec_json,
        key=CHART_KEY,
        on_change=_on_chart_message,
        step=step,
        step_rev=int(st.session_state.get(STEP_REV, 0)),
        exact=_exact_cursor(fig, step),
        config={
            "displaylogo": False,
            "scrollZoom": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        },
    )
    _picture_first(spec_json)
    if not first:
        with above:
            lesson_panel(scene, presentation, runs)
    # under the figure, so that the picture is on the first screen (a path that diverged
    # or left the plot is marked on the figure itself: its end marker, a ✕)
    problem_messages(scene, paths)
    robustness_caption(scene, paths)
    st.caption(
        "▶ Play animates every panel together; ◀ ▶ (or the keys ← →, Shift for ten, Space "
        "to play, Home and End) move the one step cursor of every panel and of the step "
        "inspector below. Click anywhere on the contour to start from there."
        + ("" if presentation.lesson else " " + reading_text(scene, paths))
    )
    summary_table(scene, paths)
    export_panel(scene, presentation, paths, fig)
    step_inspector(scene, paths)
