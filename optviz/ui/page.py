"""Page layout: URL state in, the sidebar's scene, the chosen view, URL state out."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
import traceback

import numpy as np
import streamlit as st
from PIL import Image

from .. import lessons
from ..figures import THEMES
from ..scene import Scene
from .compute import scene_paths
from .controls import (
    all_defaults,
    optimizer_controls,
    settle_controls,
    sidebar_bottom,
    sidebar_top,
)
from .lessons_view import lecture_controls, lesson_panel, lessons_overview
from .markup import escape
from .network_view import network_view
from .sensitivity import sensitivity_view
from .state import STAGE, STEP, Presentation, lesson_state
from .state import VIEWS as VIEW_KEYS
from .trajectories import trajectory_view
from .url import link, read_query, to_query

# A compact page, so that the figure, its step controls and a lesson's text share the first
# screen (1280×720, or 1024×768 on a projector): less padding above and beside the page,
# a one-row header, the lesson's text in a box of bounded height that scrolls.
_PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.75rem; padding-bottom: 3rem;
  padding-left: 1.5rem; padding-right: 1.5rem; }
[data-testid="stHeader"] { height: 2.5rem; }
.st-key-page_header { gap: 0.25rem; }
.st-key-page_header [data-testid="stMarkdownContainer"] p { margin-bottom: 0; }
/* a narrow window (the sidebar open on a projector): the header wraps, nothing is cut */
.st-key-page_header [data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: 0.4rem; }
.st-key-page_header [data-testid="stColumn"]:has(.st-key-view) { min-width: 23.6rem; }
.st-key-page_header [data-testid="stColumn"]:has(.st-key-lesson) { min-width: 17rem; }
.st-key-lecture [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; }
.st-key-lecture [data-testid="stColumn"] { min-width: 0 !important; }
.st-key-lesson_text [data-testid="stExpanderDetails"] { max-height: 20vh; overflow-y: auto; }
.st-key-lecture_keys { display: none; }
</style>"""
# Presenter mode: bigger type for a projector, and the sidebar folded away once.
_PRESENTER_CSS = """<style>
[data-testid="stMainBlockContainer"] p,
[data-testid="stMainBlockContainer"] li { font-size: 1.25rem; }
.st-key-page_header p { font-size: 1rem; }
.st-key-lesson_text [data-testid="stExpanderDetails"] { max-height: 16vh; }
.st-key-page_header [data-testid="stColumn"]:has(.st-key-lesson) { min-width: 15rem; }
.st-key-page_header [data-testid="stColumn"]:has(.st-key-presenter) [data-testid="stColumn"] {
  min-width: 0 !important; }
</style>"""
# The projector theme: the page dark and high in contrast, like its figures
# (``optviz.figures.PROJECTOR``). Streamlit's own theme is fixed when the server starts,
# so the page is restyled here; the data grids (drawn on a canvas) are inverted.
_PROJECTOR_CSS = """<style>
[data-testid="stApp"], [data-testid="stBottomBlockContainer"] {
  background-color: #0E1117 !important; color: #F5F5F5 !important; }
/* the header bar stays see-through, as on the light page: it lies over the page's header row */
[data-testid="stHeader"] { background-color: transparent !important; color: #F5F5F5 !important; }
[data-testid="stSidebar"], [data-testid="stSidebarContent"] {
  background-color: #1A1D24 !important; }
[data-testid="stApp"] p, [data-testid="stApp"] li, [data-testid="stApp"] label,
[data-testid="stApp"] h1, [data-testid="stApp"] h2, [data-testid="stApp"] h3,
[data-testid="stApp"] td, [data-testid="stApp"] th, [data-testid="stApp"] summary,
[data-testid="stWidgetLabel"] { color: #F5F5F5 !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  color: #C9CDD4 !important; }
[data-testid="stExpander"] details { background-color: #161A22 !important;
  border-color: #3A3F4B !important; }
[data-testid="stCode"] pre, [data-testid="stApp"] code { background-color: #1E222B !important;
  color: #F5F5F5 !important; }
[data-testid="stExpander"] summary { background-color: #161A22 !important; }
[data-testid="stApp"] input, [data-testid="stApp"] textarea,
[data-baseweb="select"] div:not([data-baseweb="tag"]):not([data-baseweb="tag"] *),
[data-testid="stApp"] [data-baseweb="input"] { background-color: #1E222B !important;
  color: #F5F5F5 !important; border-color: #5A606C !important; }
[data-baseweb="popover"] ul, [data-baseweb="popover"] li { background-color: #1E222B !important;
  color: #F5F5F5 !important; }
[data-testid^="stBaseButton"]:not([data-testid*="header"]) {
  background-color: #1E222B !important; color: #F5F5F5 !important;
  border-color: #5A606C !important; }
[data-testid="stApp"] button[kind^="segmented"] { background-color: #1E222B !important;
  color: #F5F5F5 !important; border-color: #5A606C !important; }
[data-testid="stApp"] button[kind^="segmented"] * { color: #F5F5F5 !important; }
[data-testid^="stBaseButton"][kind*="Active"], [data-testid="stApp"] button[kind*="Active"] {
  background-color: #2C3A52 !important; border-color: #8AB4F8 !important; }
[data-testid="stDataFrame"] { filter: invert(0.92) hue-rotate(180deg); }
[data-testid="stApp"] a { color: #8AB4F8 !important; }
/* Streamlit's own colours are the light theme's: every control that keeps one is redone.
   Segmented controls and pills (the view switch, the theme): dark buttons, light text,
   the chosen one blue-edged. */
[data-testid="stButtonGroup"] button { background-color: #1E222B !important;
  color: #F5F5F5 !important; border-color: #5A606C !important; }
[data-testid="stButtonGroup"] button * { color: #F5F5F5 !important; }
[data-testid="stButtonGroup"] button[aria-checked="true"],
[data-testid="stButtonGroup"] button[data-selected="true"] {
  background-color: #2C3A52 !important; border-color: #8AB4F8 !important; }
[data-testid="stButtonGroup"] button[aria-checked="true"] *,
[data-testid="stButtonGroup"] button[data-selected="true"] * { color: #FFFFFF !important; }
[data-testid="stButtonGroup"] button:hover { border-color: #8AB4F8 !important; }
/* fields: select boxes and the multiselect (react-aria groups), number inputs, text */
[data-testid="stSelectbox"] [role="group"], [data-testid="stMultiSelect"] [role="group"],
[data-testid="stNumberInputContainer"], [data-testid="stTextInputRootElement"],
[data-testid="stTextArea"] [role="group"], [data-testid="stDateInput"] [role="group"] {
  background-color: #1E222B !important; border-color: #5A606C !important;
  color: #F5F5F5 !important; }
[data-testid="stSelectbox"] button, [data-testid="stMultiSelect"] button,
[data-testid="stNumberInputContainer"] button { background-color: transparent !important;
  color: #F5F5F5 !important; }
[data-testid="stNumberInputContainer"] button:hover { background-color: #2C3A52 !important; }
[data-testid="stMultiSelect"] [data-tag], [data-testid="stMultiSelect"] [data-tag] * {
  color: #FFFFFF !important; }
[data-testid="stApp"] input::placeholder, [data-testid="stApp"] textarea::placeholder {
  color: #9AA0AA !important; }
[data-testid="stApp"] input:disabled, [data-testid="stApp"] textarea:disabled {
  color: #9AA0AA !important; -webkit-text-fill-color: #9AA0AA !important; }
/* the lists a select box opens (drawn outside the app's element) */
[role="listbox"], [role="listbox"] [role="option"], [data-testid="stSelectboxVirtualDropdown"],
[data-rac][role="dialog"], .react-aria-Popover { background-color: #1E222B !important;
  color: #F5F5F5 !important; border-color: #5A606C !important; }
[role="listbox"] [role="option"] * { color: #F5F5F5 !important; }
[role="listbox"] [role="option"][data-focused="true"], [role="listbox"] [role="option"]:hover,
[role="listbox"] [role="option"][aria-selected="true"] { background-color: #2C3A52 !important; }
/* the ? of a help text, a heading's link icon, the header's buttons (the sidebar's >> and
   << included), every material icon */
[data-testid="stTooltipHoverTarget"] button, [data-testid="stTooltipIcon"] button {
  color: #C9CDD4 !important; }
[data-testid="stHeaderActionElements"] a, [data-testid="stHeaderActionElements"] svg {
  color: #C9CDD4 !important; }
[data-testid="stTooltipHoverTarget"] svg, [data-testid="stHeaderActionElements"] svg {
  color: #C9CDD4 !important; stroke: #C9CDD4 !important; }
[data-testid="stNumberInputContainer"] button svg, [data-testid="stMultiSelect"] [role="group"] svg,
[data-testid="stSelectbox"] [role="group"] svg { color: #F5F5F5 !important;
  fill: #F5F5F5 !important; }
[data-testid="stNumberInputContainer"] button:disabled svg { fill: #6A707C !important; }
[data-testid="stHeader"] button, [data-testid="stSidebarCollapseButton"] button,
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button,
[data-testid="stHeader"] [data-testid="stIconMaterial"],
[data-testid="stSidebarCollapseButton"] [data-testid="stIconMaterial"],
[data-testid="stExpandSidebarButton"] [data-testid="stIconMaterial"] {
  color: #F5F5F5 !important; }
[data-testid="stApp"] [data-testid="stIconMaterial"] { color: inherit; }
/* buttons: disabled ones readable, but dimmer */
[data-testid^="stBaseButton"]:disabled, [data-testid="stApp"] button:disabled {
  background-color: #161A22 !important; color: #8A8F99 !important;
  border-color: #3A3F4B !important; }
[data-testid^="stBaseButton"]:disabled * { color: #8A8F99 !important; }
[data-testid^="stBaseButton"]:not([data-testid*="header"]):hover {
  border-color: #8AB4F8 !important; }
/* toggles, checkboxes and radio buttons: a visible track, box or ring */
[data-testid="stCheckbox"] label:has(input:not(:checked)) > div:first-of-type {
  background-color: #5A606C !important; border-color: #9AA0AA !important; }
[data-testid="stRadioOption"]:not([data-selected="true"]) > div > div:first-child {
  background-color: #1E222B !important; border-color: #9AA0AA !important; }
/* tabs, alerts, the data grid's toolbar, code */
[data-testid="stTabs"] button[role="tab"], [data-testid="stTabs"] button[role="tab"] * {
  color: #C9CDD4 !important; }
[data-testid="stTabs"] button[role="tab"][aria-selected="true"],
[data-testid="stTabs"] button[role="tab"][aria-selected="true"] * { color: #FFFFFF !important; }
/* boxes (st.info, st.warning, st.error, st.success): each its own dark tint, light text */
[data-testid="stAlertContainer"] { background-color: #14263B !important;
  color: #E3EEFF !important; }
[data-testid="stAlertContainer"]:has([data-testid="stAlertContentWarning"]) {
  background-color: #332B12 !important; color: #FFF1C2 !important; }
[data-testid="stAlertContainer"]:has([data-testid="stAlertContentError"]) {
  background-color: #3A1A1C !important; color: #FFD9D9 !important; }
[data-testid="stAlertContainer"]:has([data-testid="stAlertContentSuccess"]) {
  background-color: #15301F !important; color: #D3F5DD !important; }
[data-testid="stAlertContainer"] *:not(code) { color: inherit !important; }
[data-testid="stElementToolbarButtonContainer"], [data-testid="stElementToolbar"] button {
  background-color: #1E222B !important; color: #F5F5F5 !important; }
[data-testid="stTooltipContent"], [data-baseweb="tooltip"] > div {
  background-color: #2A2F3A !important; color: #F5F5F5 !important; }
</style>"""
_COLLAPSE_SIDEBAR = """<script>
(function () {
  const b = window.parent.document.querySelector('[data-testid="stSidebarCollapseButton"] button')
         || document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (b) { b.click(); }
})();
</script>"""

# The lecture's keys in every view: N / Page Down and P / Page Up press the header's
# ▶ / ◀. Where the trajectory chart is on the page its own keys do it (chart.js, which
# leaves a key pressed on a button to the page), so that a key moves the lecture once.
_LECTURE_KEYS = """<script>
(function () {
  const w = window.parent || window;
  if (w.__optvizLectureKeys) { return; }
  w.__optvizLectureKeys = true;
  const doc = w.document;
  const CHART = "iframe[title='optviz.ui.chart.optviz_chart']";
  const FIELDS = 'input,textarea,select,[contenteditable="true"],[role="slider"],' +
    '[role="listbox"],[role="combobox"],[role="spinbutton"],[role="option"],' +
    '[role="menu"],[role="dialog"]';
  const WHICH = {PageDown: "next", n: "next", N: "next", PageUp: "back", p: "back", P: "back"};
  doc.addEventListener("keydown", function (event) {
    const which = WHICH[event.key];
    if (!which || event.ctrlKey || event.metaKey || event.altKey) { return; }
    const t = event.target;
    if (t && t.closest && t.closest(FIELDS)) { return; }
    if (doc.querySelector(CHART) && !(t && t.tagName === "BUTTON")) { return; }
    const button = doc.querySelector(".st-key-lecture_" + which + " button");
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
})();
</script>"""

_started = threading.Event()
_start_lock = threading.Lock()


def _start_up() -> None:
    """Once per server process, on the app's first run (not on import of the package).

    A full garbage collection walks every object the process holds: some 140 000 here
    (NumPy, SymPy, Plotly, Streamlit), ~75 ms that a slider move now and then paid. The
    objects that live as long as the server are set aside from it once, here.
    (The chart component makes its directory on the same first run, when first drawn.)
    """
    with _start_lock:
        if not _started.is_set():
            gc.freeze()
            _started.set()


THEME_LABELS = {"light": "Light", "projector": "Dark"}
# In presenter mode the header is one row at 1024 px: the theme is shown by its icons.
THEME_ICONS = {"light": ":material/light_mode:", "projector": ":material/dark_mode:"}


def page_icon() -> Image.Image:
    """The browser tab's icon: a falling loss curve on a light square, 32 × 32 RGBA.

    An image, which Streamlit serves itself: a material icon as page icon is fetched from
    fonts.gstatic.com, and an emoji is drawn by the browser's emoji font (an empty box on
    a machine without one), so neither works offline on a classroom machine.
    """
    n = 32
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    img = np.zeros((n, n, 4), dtype=np.uint8)
    inside = (np.abs(x - 15.5) < 15) & (np.abs(y - 15.5) < 15)
    img[inside] = (242, 246, 252, 255)
    curve = 4 + 23 * np.exp(-(x - 3) / 7)  # a loss falling towards its minimum
    line = inside & (np.abs(y - (n - 1 - curve)) < 1.6) & (x > 2) & (x < 29)
    img[line] = (31, 119, 180, 255)
    img[inside & (y > 27) & (y < 29) & (x > 2) & (x < 29)] = (120, 120, 120, 255)  # the axis
    return Image.fromarray(img, mode="RGBA")


VIEWS = dict(zip(VIEW_KEYS, ("Trajectories", "Sensitivity", "Network", "Lessons")))


def _load_url_once() -> None:
    """On a session's first run, the link's settings become the controls' values."""
    if st.session_state.get("_url_loaded"):
        return
    values, warnings = read_query(st.query_params.to_dict())
    defaults = all_defaults(values.get("objective", "rosenbrock"))
    if values.get("lesson"):  # a lesson's scene (at its stage) first, then the link's changes
        defaults = lesson_state(lessons.get(values["lesson"]), values.get(STAGE, 0))
    for k, v in {STEP: 0, STAGE: 0, **defaults, **values}.items():
        st.session_state[k] = v
    st.session_state["_url_warnings"] = warnings
    st.session_state["_url_loaded"] = True


def _sync_url() -> str:
    """Write the controls into the address bar (defaults left out); return the link."""
    query = to_query(st.session_state)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
    try:
        base = st.context.url or ""
    except Exception:  # outside a browser session (AppTest)
        base = ""
    return link(base or "http://localhost:8501/", query)


def _header(presenter_was: bool) -> None:
    """One row: the name, the view, the lesson (with the lecture's ◀ ▶) and presenter mode."""
    st.html(_PAGE_CSS)
    presenting = bool(st.session_state.get("presenter"))
    with st.container(key="page_header"):
        # (on a projector the room goes to the controls: the name is in the window's title)
        widths = [4.2, 3.1, 2.8] if presenting else [0.7, 4.5, 3.7, 1.7]
        name, views, lesson, switch = (
            [None, *st.columns(widths, vertical_alignment="center", gap="small")]
            if presenting
            else st.columns(widths, vertical_alignment="center", gap="small")
        )
        if name is not None:
            name.markdown(
                "**optviz**",
                help="Watch optimizers think: Zeiler (2012), *ADADELTA: An Adaptive Learning "
                "Rate Method* — paths, per-dimension learning rates and accumulators, step by "
                "step.",
            )
        if len(VIEWS) > 1:
            views.segmented_control(
                "View",
                list(VIEWS),
                key="view",
                format_func=VIEWS.__getitem__,
                label_visibility="collapsed",
            )
        with lesson:
            lecture_controls()
        with switch:
            presenter = _presenter_and_theme(presenting)
    if st.session_state.get("theme") == "projector":
        st.html(_PROJECTOR_CSS)
    if presenter:
        st.html(_PRESENTER_CSS)
        if not presenter_was:
            st.html(_COLLAPSE_SIDEBAR, unsafe_allow_javascript=True)


def _presenter_and_theme(presenting: bool) -> bool:
    """The Presenter switch and the Light / Dark theme: one above the other, or, in
    presenter mode, side by side with the theme as icons (so that the header is one line
    on a 1024 px projector). Returns whether presenter mode is on."""
    toggle_place, theme_place = (
        st.columns([1.3, 1], vertical_alignment="center", gap="small")
        if presenting
        else (st.container(), st.container())
    )
    presenter = toggle_place.toggle(
        "Presenter",
        key="presenter",
        help="presenter mode: larger type, thicker lines and bigger markers for a "
        "projector; the sidebar folds away",
    )
    theme_place.segmented_control(
        "Theme",
        list(THEMES),
        key="theme",
        required=True,
        format_func=(THEME_ICONS if presenting else THEME_LABELS).get,
        label_visibility="collapsed",
        help="light, or dark and high in contrast for a projector (the figure, the "
        "page and the HTML export)",
    )
    return presenter


def _report_time(what: str, started: float) -> None:
    """With OPTVIZ_TIMING set, print how long a run took (the whole script, or the view's
    fragment alone) on the server's standard error."""
    if os.environ.get("OPTVIZ_TIMING"):
        print(f"optviz: {what} run {1e3 * (time.perf_counter() - started):.0f} ms", file=sys.stderr)


@contextlib.contextmanager
def _no_traceback():
    """Whatever goes wrong below is said in the page, never shown as a traceback."""
    try:
        yield
    except Exception as err:
        st.error(f"Something went wrong: {escape(err)}. Press “Reset to defaults” in the sidebar.")
        with st.expander("Details for the developers"):
            st.code("".join(traceback.format_exception(err))[-4000:])


def _lesson_above(scene: Scene, presentation: Presentation) -> None:
    """The open lesson's text above a view that is not the trajectories' (its numbers come
    from the scene's runs: when the scene cannot run — an empty or refused formula, an
    impossible window — it says so instead, and the view below says why)."""
    if not (presentation.lesson and scene.optimizers):
        return
    try:
        runs = {p.key: p.trajectory for p in scene_paths(scene)}
    except ValueError as err:  # ExpressionError included: bad input, said plainly
        st.info(
            f"The lesson's text needs runs of these settings, which cannot run: {escape(err)}",
            icon=":material/edit:",
        )
        return
    lesson_panel(scene, presentation, runs)


@st.fragment
def view_of_scene() -> None:
    """The optimizers' hyperparameter sliders (in the sidebar), the chosen view of the
    scene the controls describe, and the link to it.

    A fragment: moving one of its sliders (ρ, ε, a learning rate…) reruns just this,
    not the header and the rest of the sidebar, so the browser gets and redraws a
    fraction of the page and the picture follows the slider sooner.
    """
    started = time.perf_counter()
    with _no_traceback():
        scene, presentation = settle_controls()
        optimizer_controls()
        view = presentation.view if presentation.view in VIEWS else "trajectories"
        if view == "trajectories":
            trajectory_view(scene, presentation)
        elif view == "sensitivity":
            _lesson_above(scene, presentation)
            sensitivity_view(scene, presentation)
        elif view == "network":
            _lesson_above(scene, presentation)
            network_view(presentation)
        elif view == "lessons":
            lessons_overview()
        url = _sync_url()
        with st.expander("Link to this scene", icon=":material/link:"):
            st.code(url, language=None)
            st.caption(
                "Copy it (the button at the right of the box) and send it: the link "
                "opens this exact scene. Settings left at their defaults are omitted."
            )
    _report_time("view", started)


def main() -> None:
    st.set_page_config(
        page_title="optviz — ADADELTA and friends",
        page_icon=page_icon(),
        layout="wide",
        initial_sidebar_state="collapsed" if st.query_params.get("presenter") == "1" else "auto",
    )
    _start_up()
    started = time.perf_counter()
    with _no_traceback():
        _load_url_once()
        settle_controls()  # before any widget shows a control's value
        # One container for everything above the view, whatever it holds this time
        # (presenter styles, a link's warnings): the view's elements keep their places
        # in the page, so the browser updates the chart instead of building a new one.
        with st.container():
            _header(bool(st.session_state.get("_presenter_shown")))
            st.session_state["_presenter_shown"] = bool(st.session_state.get("presenter"))
            warnings = st.session_state.pop("_url_warnings", [])  # once, as it opens
            if warnings:  # one box, however many settings of the link were refused
                st.warning(
                    "\n".join(f"- {w}" for w in warnings) if len(warnings) > 1 else warnings[0],
                    icon=":material/link:",
                )
        sidebar_top()
        view_of_scene()
        sidebar_bottom()
        with st.container(key="lecture_keys"):  # (hidden: a script, last on the page)
            st.html(_LECTURE_KEYS, unsafe_allow_javascript=True)
    _report_time("script", started)
