"""The app in a real browser: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Small behaviour tests, one behaviour each, on one server shared by the class; each test
gets a fresh page (its own browser context: a new Streamlit session with the default
scene), opened and idle. Every wait is on a condition of the page — the script's run
state, the chart's counters, the figure's layout, the step label — never a fixed sleep.
No test writes into the repository (the README's screenshot comes from
``assets/make_screenshot.py``).

Never `playwright install` (it downloads a browser): the system Chromium is used. On a
machine without it the tests skip with the command that installs it, except under CI
(CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import signal
import tempfile
import time
from typing import Any

import pytest
from browser_support import (
    ADADELTA_PATH_JS,
    ARGS,
    CHART_IFRAME,
    CHROMIUM,
    COUNTS_JS,
    CURSOR_OPACITY_JS,
    IDLE,
    LEGEND,
    OPTIMIZER_PATHS_JS,
    PLOT_SIZE_JS,
    SAME_AS_FRESH_JS,
    UNDRAWN_TRACES_JS,
    VIEWPORT,
    chart_frame,
    need_browser,
    open_app,
    play_until,
    running_app,
    server_runs,
    start_app,
    step_label,
    step_of,
    stop_app,
    wait_for,
    wait_until_idle,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SERVER_LOG = "server.log"
OPTIMIZERS = ["SGD", "Momentum", "ADAGRAD", "ADADELTA"]  # the default scene's
CONTOUR_IMAGE = ".js-plotly-plot .imagelayer image"
EXCEPTION = "[data-testid='stException']"
RHO = "ρ (decay rate)"


@pytest.fixture(scope="class")
def server(tmp_path_factory):
    """One ``streamlit run app.py`` for the class's tests: its URL, and the file it prints
    to (with the app's timing lines)."""
    need_browser()
    log = tmp_path_factory.mktemp("streamlit") / SERVER_LOG
    with running_app(log) as url:
        yield url, log


@pytest.fixture(scope="class")
def browser_context():
    """One headless Chromium for the class, with one browser context: its pages share the
    HTTP cache (the page loads plotly.js and Streamlit's scripts once), each page is its
    own Streamlit session. Closed before the tests below the class, which start Playwright
    themselves (its sync API does not nest)."""
    from playwright.sync_api import sync_playwright

    need_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_context(viewport=VIEWPORT)
        browser.close()


@dataclasses.dataclass
class App:
    page: Any  # playwright.sync_api.Page
    chart: Any  # the chart component's Frame
    url: str
    log: pathlib.Path
    errors: list[str]  # console errors and uncaught exceptions, in any frame


@pytest.fixture
def app(server, browser_context):
    """A fresh page on the shared server, 1500×1250, the app open and idle (a new session:
    the default scene). Afterwards: no console error and no Streamlit exception happened
    in it, and the server is left with no run of it in progress."""
    url, log = server
    page = browser_context.new_page()
    try:
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield App(page, open_app(page, url), url, log, errors)
        page.wait_for_selector(IDLE, timeout=30_000)
        exceptions = page.locator(EXCEPTION).all_text_contents()
    finally:
        # what Streamlit keeps for the next page of the origin (e.g. the sidebar folded by
        # presenter mode) goes with this one
        with contextlib.suppress(Exception):
            page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        page.close()
    assert exceptions == [], exceptions
    assert errors == [], errors


def _press_rho_left(app: App) -> float:
    """One ArrowLeft on the ρ slider's thumb; waits until ADADELTA's new path is drawn and
    the app is idle again. Returns the seconds from the key press to the new path."""
    before = app.chart.evaluate(ADADELTA_PATH_JS)
    app.page.get_by_role("slider", name=RHO).focus()
    started = time.perf_counter()
    app.page.keyboard.press("ArrowLeft")
    wait_for(app.chart, f"(old) => ({ADADELTA_PATH_JS})() !== old", "ADADELTA's new path", before)
    elapsed = time.perf_counter() - started
    wait_until_idle(app.page, app.chart, timeout=30_000)
    return elapsed


class TestTheAppInABrowser:
    def test_the_contour_and_a_path_per_optimizer_are_drawn_with_a_local_plotly(self, app):
        chart = app.chart
        # the contour (a background image) and one path per optimizer
        assert chart.locator(CONTOUR_IMAGE).count() == 1
        assert chart.locator(LEGEND).all_text_contents() == OPTIMIZERS
        paths = chart.evaluate(OPTIMIZER_PATHS_JS)
        assert list(paths) == OPTIMIZERS
        assert all(d and d.startswith("M") for d in paths.values()), paths
        assert app.page.locator(EXCEPTION).count() == 0
        # plotly.js came from the app's own server (the app needs no internet)
        assert chart.evaluate("() => typeof Plotly") == "object"
        assert chart.url.startswith(app.url)
        assert app.errors == []

    def test_a_narrower_window_reflows_the_figure_and_keeps_its_height(self, app):
        # plotly re-measures its container on a resize; an iframe's body has no height of
        # its own, so the container must keep the figure's
        wide = app.chart.evaluate(PLOT_SIZE_JS)
        assert wide["height"] > 500, wide
        app.page.set_viewport_size({"width": 1150, "height": VIEWPORT["height"]})
        wait_for(
            app.chart,
            f"""(wide) => {{ const now = ({PLOT_SIZE_JS})();
                return now.width < wide && Math.abs(now.layoutWidth - now.width) < 1; }}""",
            "the figure laid out again at the narrower width",
            wide["width"],
        )
        narrow = app.chart.evaluate(PLOT_SIZE_JS)
        assert narrow["height"] == wide["height"], (wide, narrow)

    def test_play_advances_the_step_cursor_and_the_contour_survives(self, app):
        assert step_label(app.chart) == "step 0 of 500"
        assert play_until(app.chart, past=0) > 0
        assert app.chart.locator(CONTOUR_IMAGE).count() == 1

    def test_a_rho_key_press_changes_adadeltas_path_in_place(self, app):
        chart = app.chart
        at = play_until(chart, past=20)  # the cursor away from step 0
        counts = chart.evaluate(COUNTS_JS)
        before = chart.evaluate(ADADELTA_PATH_JS)
        runs = len(server_runs(app.log))
        elapsed = _press_rho_left(app)
        assert chart.evaluate(ADADELTA_PATH_JS) != before
        # in place: the figure is not redrawn
        now = chart.evaluate(COUNTS_JS)
        assert now["full"] == counts["full"], "a ρ move must not redraw the whole figure"
        assert now["inPlace"] > counts["inPlace"], (counts, now)
        # and what is on screen is what a fresh drawing of the same figure gives
        check = chart.evaluate(SAME_AS_FRESH_JS)
        assert check["differ"] == [] and check["step"] > 0, check
        assert chart.evaluate(UNDRAWN_TRACES_JS) == []  # every panel keeps its curves
        # ρ's slider belongs to the view's fragment: only the view ran on the server, not
        # the header and the rest of the sidebar
        assert server_runs(app.log)[runs:] == ["view"], server_runs(app.log)
        assert step_of(chart) == at  # the cursor stays on its step
        print(
            f"\nbrowser: ρ slider key press -> new ADADELTA path drawn in {elapsed:.3f} s "
            "(one sample; benchmarks/bench_browser.py measures twenty)"
        )

    def test_play_after_a_rho_move_goes_on_from_the_cursors_step(self, app):
        chart = app.chart
        at = play_until(chart, past=20)
        _press_rho_left(app)
        assert step_of(chart) == at
        chart.evaluate(
            """() => { window.optvizPlayed = [];
                new MutationObserver(() => window.optvizChart.playing &&
                        window.optvizPlayed.push(window.optvizChart.step))
                    .observe(document.getElementById('label'), {childList: true}); }"""
        )
        resumed = play_until(chart, past=at)
        played = chart.evaluate("() => window.optvizPlayed")
        # every step played is at or after the cursor's: ▶ Play did not start over
        assert played and min(played) >= at, (at, played[:5])
        assert resumed > at, (at, resumed)

    def test_hiding_sgd_in_the_legend_hides_its_cursors_showing_it_brings_them_back(self, app):
        chart = app.chart
        assert chart.evaluate(CURSOR_OPACITY_JS)[:4] == [1, 1, 1, 1]
        sgd = chart.locator(LEGEND, has_text="SGD")
        sgd.click()
        wait_for(chart, f"() => ({CURSOR_OPACITY_JS})()[0] === 0", "SGD's cursors hidden")
        assert chart.evaluate(CURSOR_OPACITY_JS)[:4] == [0, 0, 0, 0]  # contour, loss, rates
        sgd.click()
        wait_for(chart, f"() => ({CURSOR_OPACITY_JS})()[0] === 1", "SGD's cursors shown")
        assert chart.evaluate(CURSOR_OPACITY_JS)[:4] == [1, 1, 1, 1]

    def test_the_address_carries_the_new_rho(self, app):
        _press_rho_left(app)
        # a copied link opens this scene
        wait_for(app.page, "() => location.search.includes('adadelta.rho=')", "ρ in the address")
        value = app.page.get_by_role("slider", name=RHO).get_attribute("aria-valuetext")
        assert value == "0.92"
        assert "adadelta.rho=0.92" in app.page.url

    def test_a_click_on_the_contour_moves_the_start(self, app):
        page, chart = app.page, app.chart
        start = page.get_by_role("spinbutton", name="start x")
        expect(start).to_have_value("-1.5")
        drag = chart.locator(".js-plotly-plot .nsewdrag").first
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        x, y = box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25
        # plotly picks the clicked point from the hover: wait until it hovers a point of
        # the contour panel
        page.mouse.move(x - 6, y - 6)
        page.mouse.move(x, y)
        wait_for(chart, HOVERS_CONTOUR_JS, "plotly hovering a point of the contour panel")
        page.mouse.click(x, y)
        wait_for(page, "() => location.search.includes('x0=')", "the clicked start in the address")
        expect(start).not_to_have_value("-1.5", timeout=30_000)
        wait_until_idle(page, chart, timeout=30_000)
        start_x = float(start.input_value())
        assert 0.5 < start_x < 1.5, start_x  # 3/4 of the way across x ∈ [-2, 2]

    def test_presenter_mode_redraws_the_figure_bigger_in_the_same_frame(self, app):
        # the whole figure is drawn anew, bigger, while the sidebar folds away (the frame
        # widens): it must keep its new height, not collapse, and stay in the same iframe
        page, chart = app.page, app.chart
        small = chart.evaluate(PLOT_SIZE_JS)
        full = chart.evaluate(COUNTS_JS)["full"]
        chart.evaluate("() => { window.optvizSameFrame = true; }")
        page.get_by_role("switch", name="Presenter").click(force=True)
        wait_for(chart, "(n) => window.optvizChart.full > n", "the figure drawn anew", full)
        wait_for(page, SIDEBAR_FOLDED_JS, "the sidebar folded away")
        wait_until_idle(page, chart, timeout=30_000)
        big = chart.evaluate(PLOT_SIZE_JS)
        assert big["height"] > small["height"], (small, big)
        assert big["height"] == big["layoutHeight"], big
        assert big["width"] > small["width"], (small, big)
        assert page.locator(CHART_IFRAME).count() == 1
        assert not chart.is_detached()
        assert chart.evaluate("() => window.optvizSameFrame") is True

    # --- the one step cursor ---------------------------------------------------------

    def test_the_keys_and_buttons_move_every_panels_cursor_one_step_at_a_time(self, app):
        page, chart = app.page, app.chart
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for key, step, what in (
            ("ArrowRight", 1, "→: step 1"),
            ("Shift+ArrowRight", 11, "Shift+→: ten more"),
            ("#back", 10, "◀: one back"),
            ("End", 500, "End: the last step"),
            ("Home", 0, "Home: the start"),
            ("#forward", 1, "▶: one on"),
        ):
            if key.startswith("#"):  # a button of the chart's bar
                chart.locator(key).click()
            else:
                page.keyboard.press(key)
            wait_for(chart, f"() => window.optvizChart.step === {step}", what)
        wait_until_idle(page, chart)
        # every panel's cursor is at step 1: the contour's at each path's second point
        at = chart.evaluate(CURSOR_POINTS_JS)
        assert at["contour"] == at["path1"], at
        assert step_label(chart) == "step 1 of 500"
        # Space plays (and pauses)
        page.keyboard.press(" ")
        wait_for(chart, "() => window.optvizChart.step > 5", "Space: ▶ Play")
        page.keyboard.press(" ")
        wait_for(chart, "() => !window.optvizChart.playing", "Space: pause")

    def test_the_arrows_follow_the_step_cursor_to_the_step_and_the_gradient_step(self, app):
        """At each step the keys reach, every arrow on the contour starts at the cursor and
        ends where the figure's own arithmetic says: x_t + m·Δx_t and x_t − m·η·g_t; and
        ADADELTA's rate bars stand at the step inspector's RMS[Δx]ₜ₋₁ and RMS[g]ₜ."""
        import numpy as np

        from optviz import figures, inspector
        from optviz.scene import Scene
        from optviz.ui.compute import scene_paths

        page, chart = app.page, open_app(app.page, app.url + "?arrows=1&opt=sgd,adadelta")
        scene = Scene.of_objective("rosenbrock", optimizers=("sgd", "adadelta"))
        span = figures._spans(scene.plot_objective().bounds)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for t in (1, 2, 3):
            page.keyboard.press("ArrowRight")
            wait_for(chart, f"() => window.optvizChart.step === {t}", f"→: step {t}")
            wait_until_idle(page, chart)
            drawn = chart.evaluate(ARROWS_JS)
            for p in scene_paths(scene):
                tr = p.trajectory
                m = figures.arrow_magnifier(tr.updates, span)
                x = tr.positions[t]
                step = np.array(drawn[f"{p.label}: next step Δx"], dtype=float)
                np.testing.assert_allclose(step[0], x, rtol=1e-9)
                np.testing.assert_allclose(step[1], x + m * tr.updates[t], rtol=1e-9)
                if p.key == "sgd":
                    lr = dict(tr.optimizer.hyperparams)["lr"]
                    gradient = np.array(drawn[f"{p.label}: {figures.ARROW_NAMES['gradient']}"])
                    np.testing.assert_allclose(gradient[1], x - m * lr * tr.grads[t], rtol=1e-9)
            # ADADELTA's rate bars: the inspector's RMS[Δx] and RMS[g] of the same step
            bars = chart.evaluate(BARS_JS)
            (adadelta,) = [p for p in scene_paths(scene) if p.key == "adadelta"]
            replayed = [inspector.step_values(adadelta.trajectory, t + 1, d)[0] for d in (0, 1)]
            for label, name in (("RMS[Δx]ₜ₋₁", "sqrt1"), ("RMS[g]ₜ", "sqrt0")):
                want = [v[name] for v in replayed]
                np.testing.assert_allclose(bars[f"{adadelta.label}: {label}"], want, rtol=1e-9)
            assert not any("SGD" in name for name in bars)  # SGD's rate is no ratio

    def test_the_3d_view_keeps_the_step_follows_the_keys_and_keeps_the_camera(self, app):
        """Key 3 turns the contour into the 3-D surface at the same step; there the keys
        move each optimizer's cursor to x_t lifted onto the surface (the figure's own
        numbers); a drag turns the scene, and the turned camera stays through a cursor
        move and a ρ move (the component keeps it: uirevision)."""
        import numpy as np

        from optviz import figures
        from optviz.ui.compute import scene_paths
        from optviz.ui.state import default_scene

        page, chart = app.page, app.chart
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for t in (1, 2, 3):
            page.keyboard.press("ArrowRight")
            wait_for(chart, f"() => window.optvizChart.step === {t}", f"→: step {t}")
        wait_until_idle(page, chart)
        page.keyboard.press("3")
        wait_for(chart, SCENE_JS, "the 3-D scene drawn", timeout=60_000)
        wait_until_idle(page, chart)
        wait_for(page, "() => location.search.includes('surface=1')", "3-D in the address")
        assert chart.evaluate("() => window.optvizChart.step") == 3
        assert step_label(chart) == "step 3 of 500"
        scene = default_scene()
        fig = figures.trajectory_figure(
            scene.plot_objective(), scene_paths(scene), frames=False, surface=True
        )
        table = fig.spec["layout"]["meta"]["optvizCursor"]
        names = [fig.spec["data"][i]["name"] for i in table["traces"]]

        def expected(step):
            return {
                name: [pt["x"][0], pt["y"][0], pt["z"][0]]
                for name, pt in zip(names, fig.cursor_at(step))
                if name.endswith(": at the cursor")
            }

        for t in (3, 5):
            if t == 5:
                page.keyboard.press("ArrowRight")
                page.keyboard.press("ArrowRight")
                wait_for(chart, "() => window.optvizChart.step === 5", "→ →: step 5")
                wait_for(chart, "() => window.optvizChart.told === 5", "step 5 told")
                wait_until_idle(page, chart)
            drawn = chart.evaluate(DEEP_CURSOR_JS)
            want = expected(t)
            assert set(drawn) == set(want) and len(want) == 4
            for name, point in want.items():
                np.testing.assert_allclose(drawn[name], point, rtol=1e-9)
        # a drag turns the scene; the camera stays through a cursor move and a ρ move
        frame = page.locator(CHART_IFRAME).bounding_box()
        box = chart.evaluate(SCENE_BOX_JS)
        x, y = frame["x"] + box["x"] + box["width"] / 2, frame["y"] + box["y"] + box["height"] / 2
        before = chart.evaluate(EYE_JS)
        start = page.evaluate(START_IN_LINK_JS)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 120, y + 30, steps=10)
        page.mouse.up()
        chart.wait_for_function(EYE_SETTLED_JS, arg=before, polling=300, timeout=30_000)
        wait_until_idle(page, chart)
        turned = chart.evaluate(EYE_JS)
        # plotly's scene calls every frame drawn with the button held a "click": a drag
        # that turns the camera must not also move the start
        assert page.evaluate(START_IN_LINK_JS) == start
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("ArrowRight")
        wait_for(chart, "() => window.optvizChart.step === 6", "→: step 6")
        # the step reaches Python before ρ moves (else ρ's rerun carries the step field's
        # older value, which moves the cursor back: a race no hand is fast enough for)
        wait_for(chart, "() => window.optvizChart.told === 6", "step 6 told")
        wait_for(page, "() => location.search.includes('step=6')", "step 6 in the link")
        wait_until_idle(page, chart)
        assert chart.evaluate(EYE_JS) == pytest.approx(turned)
        drawn = chart.evaluate("() => window.optvizChart.inPlace + window.optvizChart.full")
        app.page.get_by_role("slider", name=RHO).focus()
        app.page.keyboard.press("ArrowLeft")
        wait_for(
            chart,
            "(n) => window.optvizChart.inPlace + window.optvizChart.full > n",
            "the new ρ drawn",
            drawn,
        )
        wait_until_idle(page, chart)
        assert chart.evaluate(EYE_JS) == pytest.approx(turned)
        assert chart.evaluate("() => window.optvizChart.step") == 6
        # a click (the button up where it went down) on the surface sets a new start there
        assert start == [None, None]  # the default start
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        wait_for(page, "() => location.search.includes('x0=')", "the clicked start in the link")

    def test_go_to_a_step_and_the_inspector_and_address_follow(self, app):
        page, chart = app.page, app.chart
        box = chart.locator("#goto")
        box.fill("123")
        box.press("Enter")
        wait_for(chart, "() => window.optvizChart.step === 123", "go to step 123")
        inspector = page.get_by_role("spinbutton", name="step t")
        expect(inspector).to_have_value("123", timeout=30_000)
        wait_for(page, "() => location.search.includes('step=123')", "the step in the address")
        # and the inspector's field moves the chart
        wait_until_idle(page, chart)
        inspector.fill("7")
        inspector.press("Enter")
        wait_for(chart, "() => window.optvizChart.step === 7", "the chart at the inspector's step")

    def test_keys_typed_into_a_field_stay_in_the_field(self, app):
        page, chart = app.page, app.chart
        start = page.get_by_role("spinbutton", name="start x")
        start.click()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("End")
        wait_until_idle(page, chart)
        assert chart.evaluate("() => window.optvizChart.step") == 0

    def test_a_link_with_a_step_opens_the_chart_there(self, server, browser_context):
        url, _log = server
        page = browser_context.new_page()
        try:
            chart = open_app(page, url + "?step=42")
            wait_for(chart, "() => window.optvizChart.step === 42", "the link's step")
            assert step_label(chart) == "step 42 of 500"
        finally:
            page.close()

    def test_the_keys_n_and_p_walk_the_lecture_in_every_view(self, server, browser_context):
        """N goes one stage on each press: into lesson 4 (the Sensitivity view: no chart
        there, the page's own key listener), through lesson 5's follow-up, to lesson 6; P
        comes back the same way. The step cursor starts at 0 at each stage."""
        url, _log = server
        page = browser_context.new_page()
        try:
            open_app(page, url + "?lesson=no_learning_rate&step=30")

            def press(key: str, query: str) -> None:
                page.evaluate("() => document.activeElement && document.activeElement.blur()")
                page.keyboard.press(key)
                page.wait_for_function(
                    "(q) => window.location.search === '?' + q", arg=query, timeout=60_000
                )
                page.wait_for_selector(IDLE, timeout=60_000)
                if page.locator(CHART_IFRAME).count():  # a new chart: listening to keys
                    wait_until_idle(page, chart_frame(page))

            press("n", "lesson=insensitive")
            assert page.locator(CHART_IFRAME).count() == 0  # the Sensitivity view
            press("n", "lesson=per_dimension")
            press("PageDown", "lesson=per_dimension&stage=1")
            chart = chart_frame(page)
            wait_for(chart, "() => window.optvizChart.step === 0", "the stage's step 0")
            picker = page.locator(".st-key-lecture").first.get_by_role("combobox", name="Lesson")
            assert "5/12 · part 2 of 2. " in picker.aria_snapshot()
            press("n", "lesson=units")
            press("p", "lesson=per_dimension&stage=1")
            press("PageUp", "lesson=per_dimension")
            press("p", "lesson=insensitive")
            press("p", "lesson=no_learning_rate")
        finally:
            page.close()


# Every arrow trace on the contour as drawn: {name: [[x, y] of its tail, head, …]}.
# The rate bars at the cursor: each trace's bar tops (x, then y), by trace name.
BARS_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const out = {};
    gd.data.filter(t => t.legendgroup === 'bars' && !t.showlegend).forEach(t => {
        out[t.name] = [t.y[1], t.y[4]];
    });
    return out;
}"""


ARROWS_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const out = {};
    gd.data.filter(t => t.legendgroup === 'arrows' && !t.showlegend).forEach(t => {
        out[t.name] = Array.from(t.x, (x, i) => [x, t.y[i]]);
    });
    return out;
}"""


# The 3-D view: its scene is drawn (a WebGL canvas in the scene's container).
SCENE_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    return !!(gd && gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene
              && gd.data.some(t => t.type === 'surface'));
}"""
# Each optimizer's 3-D cursor point as drawn: {trace name: [x, y, z]}.
DEEP_CURSOR_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const out = {};
    gd.data.filter(t => t.type === 'scatter3d' && / at the cursor$/.test(t.name || ''))
      .forEach(t => { out[t.name] = [t.x[0], t.y[0], t.z[0]]; });
    return out;
}"""
# The scene's box in the chart's frame, and its camera's eye.
SCENE_BOX_JS = """() => {
    const r = document.querySelector('.js-plotly-plot')._fullLayout.scene._scene.container
      .getBoundingClientRect();
    return {x: r.left, y: r.top, width: r.width, height: r.height};
}"""
# The start point the link carries (x0, y0; null where it is the objective's own).
START_IN_LINK_JS = """() => {
    const q = new URLSearchParams(location.search);
    return [q.get('x0'), q.get('y0')];
}"""
EYE_JS = """() => {
    const scene = document.querySelector('.js-plotly-plot')._fullLayout.scene._scene;
    const eye = scene.getCamera().eye;
    return [eye.x, eye.y, eye.z];
}"""
# The camera has turned from ``arg`` and stayed where it is since the last poll.
EYE_SETTLED_JS = (
    "(start) => { const now = JSON.stringify((" + EYE_JS + ")());"
    " const same = window.__optvizEye === now; window.__optvizEye = now;"
    " return same && now !== JSON.stringify(start); }"
)


# The contour cursor's points, and each optimizer's path at step 1 (its second point).
CURSOR_POINTS_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const cursor = gd.data.find(t => t.name === 'cursor' && (t.xaxis || 'x') === 'x');
    const paths = gd._fullData.filter(t => t.showlegend && t.legendgroup);
    const r = v => Math.round(v * 1e9) / 1e9;
    return {contour: Array.from(cursor.x).map(r),
            path1: paths.map(t => r(t.x[1]))};
}"""


@pytest.mark.parametrize(
    ("width", "height", "query"),
    [
        (1280, 720, ""),
        (1024, 768, "?presenter=1&lesson=per_dimension"),
        (1024, 768, "?presenter=1&lesson=per_dimension&stage=1"),
        (1280, 720, "?lesson=eps_warmup"),
        (1024, 768, "?presenter=1&lesson=saddle"),  # four notes about its paths
        (1024, 768, "?presenter=1&lesson=units"),  # the robustness demo's box
    ],
    ids=[
        "laptop",
        "projector-lesson",
        "projector-follow-up",
        "laptop-lesson",
        "projector-saddle",
        "projector-units",
    ],
)
def test_the_figure_its_controls_and_the_lesson_fit_on_the_first_screen(width, height, query):
    """At scroll 0: the step controls, the legend and the whole top block of the figure
    (contour, f − f_min and both rate panels with their step axis) are inside the window,
    and so is the lesson's title; nothing overlaps the bar."""
    from playwright.sync_api import sync_playwright

    need_browser()
    with running_app() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        chart = open_app(page, url + query)
        wait_for(chart, "() => window.optvizChart.scale <= 1", "the figure fitted")
        frame = page.locator(CHART_IFRAME).bounding_box()
        inside = chart.evaluate(FIRST_SCREEN_JS)
        bottom = frame["y"] + inside["topBlockBottom"]
        assert frame["y"] + inside["playBottom"] < height, (frame, inside)
        assert bottom <= height, f"the top block ends at {bottom:.0f} px of {height}"
        assert inside["barBottom"] <= inside["legendTop"] + 1, inside  # bar above the legend
        if "lesson" in query:
            title = page.locator(".st-key-lesson_text summary").bounding_box()
            assert title and title["y"] + title["height"] < frame["y"], (title, frame)
        browser.close()


# Where, inside the chart's frame, the bar, the legend and the top block's lowest step-axis
# labels end (pixels from the frame's top).
FIRST_SCREEN_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const box = el => el.getBoundingClientRect();
    const labels = Array.from(gd.querySelectorAll('.g-xtitle, .xtick text')).map(box);
    const plotTop = box(gd).top;
    const axisBottom = plotTop + gd._fullLayout._size.t +
        (1 - gd._fullLayout.yaxis4.domain[0]) * gd._fullLayout._size.h;
    const below = labels.filter(b => b.top >= axisBottom - 2 && b.top < axisBottom + 80);
    return {
        playBottom: box(document.getElementById('play')).bottom,
        barBottom: box(document.getElementById('bar')).bottom,
        legendTop: box(gd.querySelector('.legend')).top,
        topBlockBottom: Math.max(axisBottom, ...below.map(b => b.bottom)),
    };
}"""


# Plotly hovers a point of the contour panel (its invisible grid, or a path on it): a
# click now reports that point. (plotly.js keeps what it hovers in gd._hoverdata.)
HOVERS_CONTOUR_JS = """() => {
    const h = document.querySelector('.js-plotly-plot')._hoverdata;
    return !!(h && h.length && h[0].xaxis && h[0].xaxis._id === 'x' &&
              h[0].yaxis && h[0].yaxis._id === 'y');
}"""

# Streamlit's sidebar has slid out of the window.
SIDEBAR_FOLDED_JS = """() => {
    const s = document.querySelector('[data-testid="stSidebar"]');
    return !!s && s.getBoundingClientRect().right <= 0;
}"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_the_server_leaves_nothing_behind_when_it_stops(sig):
    """The chart component's copy of plotly.js is made on the app's first run, in a
    directory named after the server's PID, and is gone once the server has stopped."""
    from playwright.sync_api import sync_playwright

    need_browser()
    proc, url = start_app()
    try:
        mine = f"optviz-chart-{proc.pid}-*"
        assert list(pathlib.Path(tempfile.gettempdir()).glob(mine)) == []  # not on import
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(url)
            chart_frame(page).wait_for_selector(".js-plotly-plot", timeout=60_000)
            made = list(pathlib.Path(tempfile.gettempdir()).glob(mine))
            assert len(made) == 1 and (made[0] / "plotly.min.js").is_file()
            assert stop_app(proc, sig) == 0  # with the browser still connected
            browser.close()
        assert not made[0].exists()
    finally:
        stop_app(proc)


# The exported page's figure at a frame: plotly's own slider method (Plotly.animate to the
# frame's name, with the export's redraw), then each named trace's points as drawn in data
# coordinates and, for a 2-D line, in pixels (its SVG path) beside the axes' pixels of
# the given data points.
EXPORT_FRAME_JS = """async ([name, redraw]) => {
    const gd = document.querySelector('.js-plotly-plot');
    await Plotly.animate(gd, [name], {frame: {duration: 0, redraw: redraw},
                                      transition: {duration: 0}, mode: 'immediate'});
    return true;
}"""
EXPORT_TRACE_JS = """([name, points]) => {
    const gd = document.querySelector('.js-plotly-plot');
    const i = gd._fullData.findIndex(t => t.name === name);
    const t = gd.data[i];
    const out = {x: Array.from(t.x), y: Array.from(t.y), z: t.z ? Array.from(t.z) : null};
    if (!t.z) {
        const full = gd._fullData[i];
        const xa = gd._fullLayout[full.xaxis.replace('x', 'xaxis')];
        const ya = gd._fullLayout[full.yaxis.replace('y', 'yaxis')];
        const el = [...gd.querySelectorAll('.scatterlayer .trace')]
            .find(g => g.__data__ && g.__data__[0] && g.__data__[0].trace.index === i);
        const d = el.querySelector('path.js-line').getAttribute('d');
        out.drawn = (d.match(/-?[\\d.]+(e-?\\d+)?,-?[\\d.]+(e-?\\d+)?/g) || [])
            .map(p => p.split(',').map(Number));
        out.wanted = points.map(([x, y]) => [xa.l2p(x), ya.l2p(y)]);
        out.inside = out.wanted.every(([px, py]) => px >= 0 && px <= xa._length &&
                                                    py >= 0 && py <= ya._length);
    }
    return out;
}"""


def test_the_html_export_moves_the_arrows_to_the_pixel_and_the_3d_cursor_offline(tmp_path):
    """Lesson 5's export, opened from a file with the network off: at a frame of plotly's
    own slider the step arrow ends at x_t + m·Δx_t and the gradient arrow at x_t − m·η·g_t
    (ADAGRAD: it has an η) in data coordinates and to the pixel of its drawn line; the
    export with --surface moves each optimizer's 3-D cursor to x_t lifted onto the
    surface."""
    import numpy as np
    from playwright.sync_api import sync_playwright

    from optviz import figures, lessons, optimizers
    from optviz.__main__ import render

    need_browser()
    lesson = lessons.get("per_dimension")
    scene = lesson.scene
    obj = scene.plot_objective()
    span = figures._spans(obj.bounds)
    runs = scene.runs()
    labels = {k: optimizers.get(k).label(scene.hp(k)) for k in runs}
    grid = figures.contour_grid(obj, figures.SURFACE_RESOLUTION)
    lo, hi = figures._levels(grid)[:2]
    lift = figures.SURFACE_LIFT * ((hi + 0.02 * (hi - lo)) - (lo - 0.04 * (hi - lo)))
    flat, deep = tmp_path / "lesson5.html", tmp_path / "lesson5-3d.html"
    flat.write_text(render("per_dimension", "html"), encoding="utf-8")
    deep.write_text(render("per_dimension", "html", surface=True), encoding="utf-8")
    shown = figures.frame_steps(scene.steps).astype(int)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1250}, offline=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(flat.as_uri())
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullLayout")
        in_pixels = 0
        for t in (int(shown[3]), int(shown[10])):
            page.evaluate(EXPORT_FRAME_JS, [str(t), False])
            for key, tr in runs.items():
                m = figures.arrow_magnifier(tr.updates, span)
                x = tr.positions[t]
                arrows = {"next step Δx": x + m * tr.updates[t]}
                lr = dict(tr.optimizer.hyperparams).get("lr")
                if optimizers.get(key).lr_kind != optimizers.LR_NONE and lr is not None:
                    arrows[figures.ARROW_NAMES["gradient"]] = x - m * lr * tr.grads[t]
                for kind, head in arrows.items():
                    name = f"{labels[key]}: {kind}"
                    got = page.evaluate(EXPORT_TRACE_JS, [name, [list(x), list(head)]])
                    np.testing.assert_allclose([got["x"][0], got["y"][0]], x, rtol=1e-5)
                    np.testing.assert_allclose([got["x"][1], got["y"][1]], head, rtol=1e-5)
                    # the drawn line's first two points: the cursor and the head, in
                    # pixels (where the head is inside the panel: plotly cuts a line
                    # at the panel's edge)
                    if got["inside"]:
                        np.testing.assert_allclose(got["drawn"][:2], got["wanted"], atol=1.0)
                        in_pixels += 1
        assert in_pixels >= 4, in_pixels
        page.goto(deep.as_uri())
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullLayout")
        assert page.evaluate("() => !!document.querySelector('.js-plotly-plot')._fullLayout.scene")
        t = int(shown[5])
        page.evaluate(EXPORT_FRAME_JS, [str(t), True])
        for key, tr in runs.items():
            x = tr.positions[t]
            got = page.evaluate(EXPORT_TRACE_JS, [f"{labels[key]}: at the cursor", []])
            height = figures.surface_height(grid, obj.value(x)) + lift
            np.testing.assert_allclose(
                [got["x"][0], got["y"][0], got["z"][0]], [*x, height], rtol=1e-5
            )
        assert errors == [], errors
        browser.close()
