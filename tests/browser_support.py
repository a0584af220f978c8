"""What the real-browser tests share with the browser benchmark and the screenshot script:
starting and stopping ``streamlit run app.py``, Debian's Chromium and its flags, opening the
app until it is idle, the chart's frame, and the JavaScript that reads the chart's state.

Used by ``tests/test_browser.py``, ``benchmarks/bench_browser.py`` and
``assets/make_screenshot.py``. Never ``playwright install`` (it downloads a browser): the
system Chromium is used.

Every wait here is a wait on a condition of the page (the script's run state, the chart's
counters, the figure's layout), never a fixed sleep.
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
import time
import urllib.request

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
VIEWPORT = {"width": 1500, "height": 1250}  # the README's screenshot is this size
# Streamlit has finished the script's run (and none is queued).
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The chart component's iframe, and its legend once plotly.js has drawn the figure.
CHART_IFRAME = "iframe[title='optviz.ui.chart.optviz_chart']"
LEGEND = ".js-plotly-plot .legend .traces"
INSTALL_HINT = "no Chromium: install it with `apt-get install -y chromium` (Debian)"


def need_browser() -> None:
    """Skip without Chromium, with the command that installs it; under CI (CI=true) a
    missing browser is a failure: there the browser tests must run."""
    import pytest  # (the benchmark and the screenshot script use the rest without pytest)

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT + " — under CI the browser test must run")
        pytest.skip(INSTALL_HINT)


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(log: pathlib.Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free loopback port; return it and its URL once
    ``/_stcore/health`` says ok.

    With ``log``, the server writes there what it prints, with the app's timing lines
    (OPTVIZ_TIMING: one line per run of the whole script, one per run of the view).
    """
    port = free_port()
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
    while True:  # polls the health endpoint: no page to wait on yet
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
    """:func:`start_app` for a ``with`` block: yields the URL, stops the server after."""
    proc, url = start_app(log)
    try:
        yield url
    finally:
        stop_app(proc)


def server_runs(log: pathlib.Path) -> list[str]:
    """The server's timing lines so far: 'script' (the whole page) or 'view' (the view's
    fragment alone), one per run."""
    return [line.split()[1] for line in log.read_text().splitlines() if line.startswith("optviz: ")]


# --- the chart's state, read in its frame --------------------------------------------------

# Counts the figures Streamlit sends to the chart (one 'streamlit:render' message each);
# the chart counts those it has drawn (window.optvizChart), so the two are equal once it
# has drawn the last one. Runs in every frame before the frame's own scripts.
COUNT_RENDERS_JS = """
if (window.optvizRenders === undefined) {
    window.optvizRenders = 0;
    window.addEventListener('message', function (event) {
        if (event.data && event.data.type === 'streamlit:render') { window.optvizRenders += 1; }
    });
}
"""

# The chart is at rest: it has drawn every figure it received, plotly has laid the figure
# out at its container's width (a resize is re-measured 100 ms after it happens) and no
# animation (▶ Play, or an in-place update's transition) is running.
CHART_AT_REST_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const c = window.optvizChart;
    if (!gd || !gd._fullLayout || !c || !gd.querySelector('.legend .traces')) return false;
    const drawn = c.full + c.inPlace + c.unchanged;
    const playing = c.playing || !!(gd._transitionData && gd._transitionData._animationRaf);
    const width = gd.getBoundingClientRect().width;
    return drawn > 0 && drawn === window.optvizRenders && !playing &&
        Math.abs(gd._fullLayout.width - width) < 1;
}"""

# How the chart has drawn the figures it received so far: {full, inPlace, unchanged}.
COUNTS_JS = """() => ({full: window.optvizChart.full, inPlace: window.optvizChart.inPlace,
                     unchanged: window.optvizChart.unchanged})"""

# ▶ Play (or any other animation) is running. plotly.js keeps the handle of its animation
# loop's next frame while it runs, and drops it when the loop stops.
PLAYING_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    return !!(gd._transitionData && gd._transitionData._animationRaf);
}"""

# The figure's size on screen, and as plotly laid it out.
PLOT_SIZE_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    return {height: gd.offsetHeight, width: gd.getBoundingClientRect().width,
            layoutWidth: gd._fullLayout.width, layoutHeight: gd._fullLayout.height};
}"""

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

# Each optimizer's path in the contour panel (the trace its legend entry stands for), by
# its name: the SVG path drawn, or null.
OPTIMIZER_PATHS_JS = f"""() => {{
            const drawn = ({DRAWN_TRACES_JS})();
            const out = {{}};
            document.querySelector('.js-plotly-plot').data.forEach((t, i) => {{
                if (t.showlegend && t.legendgroup) out[t.name] = drawn[i] || null;
            }});
            return out;
        }}"""

# The traces of the figure that have no drawing in the page (plotly.js once dropped
# every trace of a panel left out of an in-place update).
UNDRAWN_TRACES_JS = f"""() => {{
            const drawn = ({DRAWN_TRACES_JS})();
            return document.querySelector('.js-plotly-plot').data
                .map((t, i) => i).filter(i => !(i in drawn));
        }}"""

# The opacity of the first point (SGD's) of each panel's step-cursor trace.
CURSOR_OPACITY_JS = """() => document.querySelector('.js-plotly-plot').data
            .filter(t => t.name === 'cursor').map(t => (t.marker.opacity || [])[0])"""

# Whether what is on screen after in-place updates is what a fresh drawing of the last
# figure received gives: every trace's x and y at the same step, and every axis range
# (or, kept from before, one that contains it and is at most twice as wide).
SAME_AS_FRESH_JS = """async () => {
    const gd = document.querySelector('.js-plotly-plot');
    const spec = JSON.parse(window.optvizChart.lastSpec);
    delete spec.layout.meta;
    const at = window.optvizChart.step;
    const cursor = window.optvizChart.cursorAt(at);  // the newest table's points at the step
    cursor.traces.forEach((i, k) => {
        spec.data[i] = Object.assign({}, spec.data[i], {x: cursor.data[k].x, y: cursor.data[k].y});
    });
    const div = document.createElement('div');
    div.style.width = gd.offsetWidth + 'px';
    document.body.appendChild(div);
    await Plotly.newPlot(div, spec.data, spec.layout);
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


# --- the page --------------------------------------------------------------------------


def chart_frame(page, timeout: float = 60_000):
    """The frame of the animated figure (a Streamlit component holds the Plotly chart),
    once its iframe is in the page."""
    frame = page.wait_for_selector(CHART_IFRAME, state="attached", timeout=timeout).content_frame()
    if frame is None:
        raise AssertionError("the chart component's iframe has no frame")
    return frame


def wait_for(frame, js: str, what: str, arg=None, timeout: float = 30_000):
    """``frame.wait_for_function(js, arg)``; a timeout fails with what was awaited."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return frame.wait_for_function(js, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(f"{what}: not within {timeout / 1000:g} s") from None


def wait_until_idle(page, chart, timeout: float = 60_000) -> None:
    """Until Streamlit has finished its run and the chart is at rest
    (:data:`CHART_AT_REST_JS`; needs :data:`COUNT_RENDERS_JS` in the page before it loads)."""
    page.wait_for_selector(IDLE, timeout=timeout)
    wait_for(chart, CHART_AT_REST_JS, "the chart at rest, every figure drawn", timeout=timeout)


def open_app(page, url: str, timeout: float = 90_000):
    """Open the app in ``page`` and wait until it is idle: the script's run finished, the
    chart's legend drawn, every figure received drawn. Returns the chart's frame."""
    page.add_init_script(COUNT_RENDERS_JS)
    page.goto(url)
    chart = chart_frame(page, timeout)
    chart.wait_for_selector(LEGEND, timeout=timeout)
    wait_until_idle(page, chart, timeout)
    return chart


def step_label(chart) -> str:
    """The chart's step label, 'step N of M'."""
    return (chart.locator("#label").text_content() or "").strip()


def step_of(chart) -> int:
    label = step_label(chart)
    assert label.startswith("step "), label
    return int(label.split()[1])


# The step shown by the chart's label is past ``arg``.
STEP_PAST_JS = """(past) => {
    const el = document.getElementById('label');
    const m = el && /^step (\\d+)/.exec(el.textContent.trim());
    return !!m && Number(m[1]) > past;
}"""


def play_until(chart, past: int, timeout: float = 30_000) -> int:
    """Press ▶ Play, wait until the step label shows a step past ``past``, press Pause
    and wait until the animation has stopped. Returns the step it stopped at."""
    chart.locator("#play").click()
    wait_for(chart, STEP_PAST_JS, f"▶ Play past step {past}", arg=past, timeout=timeout)
    chart.locator("#play").click()
    wait_for(
        chart, "() => !window.optvizChart.playing", "Pause stops the animation", timeout=timeout
    )
    # the step reaches the server (the inspector follows it): then the page is at rest
    wait_for(chart, TOLD_JS, "the step told to the server", timeout=timeout)
    step = step_of(chart)
    wait_for(
        chart.page, INSPECTED_JS, "the inspector at the step", arg=max(step, 1), timeout=timeout
    )
    wait_until_idle(chart.page, chart, timeout=timeout)
    return step


# The chart has told the server the step it shows (a moment after it came to rest).
TOLD_JS = "() => window.optvizChart.told === window.optvizChart.step"

# The step inspector shows step ``arg`` (the server has run with the chart's step).
INSPECTED_JS = """(step) => {
    const box = document.querySelector('.st-key-inspect_step input');
    return !!box && Number(box.value) === step;
}"""
