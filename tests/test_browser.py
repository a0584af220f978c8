"""One real-browser test: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Never `playwright install` (it downloads a browser): the system Chromium is used. On a
machine without it the test skips with the command that installs it, except under CI
(CI=true), where a missing browser is a failure. The helpers it shares with
``benchmarks/bench_browser.py`` live in ``tests/browser_support.py``.
"""

from __future__ import annotations

import pathlib
import signal
import tempfile
import time

import pytest
from browser_support import (
    ADADELTA_PATH_JS,
    ARGS,
    CHROMIUM,
    IDLE,
    ROOT,
    SAME_AS_FRESH_JS,
    UNDRAWN_TRACES_JS,
    chart_frame,
    need_browser,
    running_app,
    server_runs,
    start_app,
    stop_app,
)

SCREENSHOT = ROOT / "assets" / "screenshot.png"

pytestmark = pytest.mark.browser


SERVER_LOG = "server.log"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    log = tmp_path_factory.mktemp("streamlit") / SERVER_LOG
    with running_app(log) as url:
        yield url, log


def _slider_label(chart) -> str:
    return chart.locator(".slider-container .slider-label").first.text_content() or ""


def test_the_app_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    server, log = server  # the app's URL, and the file its server prints to
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server)
        page.wait_for_selector(IDLE, timeout=90_000)
        chart = chart_frame(page)
        chart.wait_for_selector(".js-plotly-plot .legend .traces", timeout=60_000)
        page.wait_for_timeout(1000)

        # the contour (a background image) and one path per optimizer are drawn
        assert chart.locator(".js-plotly-plot .imagelayer image").count() == 1
        legend = chart.locator(".js-plotly-plot .legend .traces").all_text_contents()
        assert legend == ["SGD", "Momentum", "ADAGRAD", "ADADELTA"]
        assert page.locator("[data-testid='stException']").count() == 0
        # plotly.js came from the app's own server (the app needs no internet)
        assert chart.evaluate("() => typeof Plotly") == "object"
        assert chart.url.startswith(server)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # a narrower window reflows the figure and keeps its height (plotly re-measures
        # its container on a resize; an iframe's body has no height of its own)
        plot_height = "() => document.querySelector('.js-plotly-plot').offsetHeight"
        tall = chart.evaluate(plot_height)
        page.set_viewport_size({"width": 1150, "height": 1250})
        page.wait_for_timeout(1500)
        assert chart.evaluate(plot_height) == tall > 500
        page.set_viewport_size({"width": 1500, "height": 1250})
        page.wait_for_timeout(1500)

        # ▶ Play advances the step cursor, and the contour is still drawn afterwards
        assert _slider_label(chart).strip() == "step 0"
        chart.locator(".updatemenu-item-text", has_text="Play").click()
        page.wait_for_timeout(1500)
        chart.locator(".updatemenu-item-text", has_text="Pause").click()
        page.wait_for_timeout(300)
        label = _slider_label(chart).strip()
        assert label.startswith("step ") and int(label.split()[1]) > 0, label
        assert chart.locator(".js-plotly-plot .imagelayer image").count() == 1

        # moving the ρ slider changes the ADADELTA path (keyboard on the slider thumb),
        # in place: the figure is not redrawn, and the cursor stays on its step
        counts = chart.evaluate("() => Object.assign({}, window.optvizChart)")
        before = chart.evaluate(ADADELTA_PATH_JS)
        runs = len(server_runs(log))
        thumb = page.get_by_role("slider", name="ρ (decay rate)")
        thumb.focus()
        started = time.perf_counter()
        page.keyboard.press("ArrowLeft")
        chart.wait_for_function(
            f"(old) => ({ADADELTA_PATH_JS})() !== old", arg=before, timeout=30_000
        )
        elapsed = time.perf_counter() - started
        page.wait_for_selector(IDLE, timeout=30_000)
        chart.wait_for_function(
            "(n) => window.optvizChart.inPlace > n", arg=counts["inPlace"], timeout=30_000
        )
        after = chart.evaluate(ADADELTA_PATH_JS)
        assert after != before
        assert chart.evaluate(UNDRAWN_TRACES_JS) == []  # every panel keeps its curves
        # ρ's slider belongs to the view's fragment: only the view ran, not the header
        # and the rest of the sidebar
        assert server_runs(log)[runs:] == ["view"], server_runs(log)
        now = chart.evaluate("() => Object.assign({}, window.optvizChart)")
        assert now["full"] == counts["full"], "a ρ move must not redraw the whole figure"
        assert _slider_label(chart).strip() == label
        check = chart.evaluate(SAME_AS_FRESH_JS)
        assert check["differ"] == [] and check["step"] > 0, check
        # ▶ Play goes on from the cursor's step, not from step 0
        chart.locator(".updatemenu-item-text", has_text="Play").click()
        page.wait_for_timeout(500)
        chart.locator(".updatemenu-item-text", has_text="Pause").click()
        page.wait_for_timeout(300)
        resumed = _slider_label(chart).strip()
        assert int(resumed.split()[1]) > int(label.split()[1]), (label, resumed)
        # hiding SGD in the legend hides its step cursors too, and showing it brings them back
        cursor_opacity = """() => document.querySelector('.js-plotly-plot').data
            .filter(t => t.name === 'cursor').map(t => (t.marker.opacity || [])[0])"""
        sgd = chart.locator(".js-plotly-plot .legend .traces", has_text="SGD")
        sgd.click()
        chart.wait_for_function(f"() => ({cursor_opacity})()[0] === 0", timeout=10_000)
        assert chart.evaluate(cursor_opacity)[:4] == [0, 0, 0, 0]  # contour, loss, rates
        sgd.click()
        chart.wait_for_function(f"() => ({cursor_opacity})()[0] === 1", timeout=10_000)
        # the address now carries the new ρ (a copied link opens this scene)
        page.wait_for_function(
            "() => window.location.search.includes('adadelta.rho=')", timeout=10_000
        )
        assert "adadelta.rho=0.92" in page.url

        # a click on the contour moves the start point there
        drag = chart.locator(".js-plotly-plot .nsewdrag").first
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        x, y = box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25
        page.mouse.move(x - 6, y - 6)  # plotly picks the clicked point from the hover
        page.wait_for_timeout(300)
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        page.mouse.click(x, y)
        page.wait_for_function("() => window.location.search.includes('x0=')", timeout=30_000)
        page.wait_for_selector(IDLE, timeout=30_000)
        start_x = float(page.get_by_role("spinbutton", name="start x").input_value())
        assert 0.5 < start_x < 1.5, start_x  # 3/4 of the way across x ∈ [-2, 2]
        # presenter mode redraws the whole figure bigger while the sidebar folds away (the
        # frame widens): the figure must keep its new height, not collapse
        full = chart.evaluate("() => window.optvizChart.full")
        page.get_by_role("switch", name="Presenter mode").click(force=True)
        page.wait_for_selector(IDLE, timeout=30_000)
        chart.wait_for_function("(n) => window.optvizChart.full > n", arg=full, timeout=30_000)
        page.wait_for_timeout(2000)
        assert chart.evaluate(plot_height) > tall
        print(
            f"\nbrowser: ρ slider key press -> new ADADELTA path drawn in {elapsed:.3f} s "
            "(one sample; benchmarks/bench_browser.py measures twenty)"
        )
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
        browser.close()


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
