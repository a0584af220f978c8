"""One real-browser test: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Never `playwright install` (it downloads a browser): the system Chromium is used. On a
machine without it the test skips with the command that installs it, except under CI
(CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SCREENSHOT = ROOT / "assets" / "screenshot.png"

pytestmark = pytest.mark.browser

# Every trace drawn in the page, by its index in the figure: the SVG path of its line
# (null for markers only). plotly.js keeps each trace's index on its DOM node.
DRAWN_TRACES_JS = """() => {
            const gd = document.querySelector('.js-plotly-plot');
            const out = {};
            for (const el of gd.querySelectorAll('.scatterlayer .trace')) {
                const d = el.__data__;
                if (d && d[0] && d[0].trace) {
                    const p = el.querySelector('path.js-line');
                    out[d[0].trace.index] = p ? p.getAttribute('d') : null;
                }
            }
            return out;
        }"""

# The SVG path of ADADELTA's trajectory in the contour panel.
ADADELTA_PATH_JS = f"""() => {{
            const gd = document.querySelector('.js-plotly-plot');
            const i = gd.data.findIndex(t => t.legendgroup === 'adadelta' && t.showlegend);
            const d = ({DRAWN_TRACES_JS})()[i];
            return d === undefined ? null : d;
        }}"""

# The traces of the figure that have no drawing in the page (plotly.js once dropped
# every trace of a panel left out of an in-place update).
UNDRAWN_TRACES_JS = f"""() => {{
            const drawn = ({DRAWN_TRACES_JS})();
            return document.querySelector('.js-plotly-plot').data
                .map((t, i) => i).filter(i => !(i in drawn));
        }}"""


def _need_browser() -> None:
    if not os.path.exists(CHROMIUM):
        message = "no Chromium: install it with `apt-get install -y chromium` (Debian)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI the browser test must run")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(log: pathlib.Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free loopback port; return it and its URL once
    ``/_stcore/health`` says ok.

    With ``log``, the server writes there what it prints, with the app's timing lines
    (OPTVIZ_TIMING: one line per run of the whole script, one per run of the view).
    """
    port = _free_port()
    env = {**os.environ, "OPTVIZ_TIMING": "1"} if log else None
    with open(log or os.devnull, "w") as out:  # the server keeps its own copy of the file
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            stop_app(proc)
            raise RuntimeError("streamlit did not become healthy within 60 s")
        time.sleep(0.3)


def stop_app(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Stop the server by its PID (``sig``: SIGTERM, or SIGINT as Ctrl-C sends); its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


@contextlib.contextmanager
def running_app(log: pathlib.Path | None = None):
    """:func:`start_app` for a ``with`` block: yields the URL, stops the server after.
    Shared with ``benchmarks/bench_browser.py``."""
    proc, url = start_app(log)
    try:
        yield url
    finally:
        stop_app(proc)


SERVER_LOG = "server.log"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    log = tmp_path_factory.mktemp("streamlit") / SERVER_LOG
    with running_app(log) as url:
        yield url, log


def _runs(log: pathlib.Path) -> list[str]:
    """The server's timing lines so far: 'script' (the whole page) or 'view' (the view's
    fragment alone), one per run."""
    return [line.split()[1] for line in log.read_text().splitlines() if line.startswith("optviz: ")]


# Whether what is on screen after in-place updates is what a fresh drawing of the last
# figure received gives: every trace's x and y at the same step, and every axis range
# (or, kept from before, one that contains it and is at most twice as wide).
SAME_AS_FRESH_JS = """async () => {
    const gd = document.querySelector('.js-plotly-plot');
    const spec = JSON.parse(window.optvizChart.lastSpec);
    const div = document.createElement('div');
    div.style.width = gd.offsetWidth + 'px';
    document.body.appendChild(div);
    await Plotly.newPlot(div, spec.data, spec.layout);
    await Plotly.addFrames(div, spec.frames);
    const at = gd.layout.sliders[0].active || 0;
    const now = {transition: {duration: 0}, frame: {duration: 0, redraw: false},
                 mode: 'immediate'};
    if (at > 0) await Plotly.animate(div, [spec.frames[at].name], now);
    const text = v => JSON.stringify(Array.from(v || []));
    const differ = [];
    gd._fullData.forEach((t, i) => {
        const u = div._fullData[i];
        if (text(t.x) !== text(u.x) || text(t.y) !== text(u.y)) differ.push(t.name);
    });
    for (const name of Object.keys(gd._fullLayout)) {
        if (!/^[xy]axis\\d*$/.test(name)) continue;
        const [a, b] = gd._fullLayout[name].range, [c, d] = div._fullLayout[name].range;
        const same = text([a, b]) === text([c, d]);
        const kept = a <= c && d <= b && (b - a) <= 2 * (d - c);
        if (!same && !kept) differ.push(name);
    }
    Plotly.purge(div);
    div.remove();
    return {differ: differ, step: at};
}"""


def chart_frame(page):
    """The frame of the animated figure (a Streamlit component holds the Plotly chart)."""
    for _ in range(600):
        for frame in page.frames:
            if "optviz_chart" in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("the chart component never appeared")


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
        runs = len(_runs(log))
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
        assert _runs(log)[runs:] == ["view"], _runs(log)
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

    _need_browser()
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
