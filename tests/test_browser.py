"""One real-browser test: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Never `playwright install` (it downloads a browser): the system Chromium is used. On a
machine without it the test skips with the command that installs it, except under CI
(CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SCREENSHOT = ROOT / "assets" / "screenshot.png"

pytestmark = pytest.mark.browser

# The SVG path of ADADELTA's trajectory in the contour panel (found through the trace
# index plotly stores on each trace's DOM node).
ADADELTA_PATH_JS = """() => {
            const gd = document.querySelector('.js-plotly-plot');
            const i = gd.data.findIndex(t => t.legendgroup === 'adadelta' && t.showlegend);
            for (const el of gd.querySelectorAll('.scatterlayer .trace')) {
                const d = el.__data__;
                if (d && d[0] && d[0].trace && d[0].trace.index === i) {
                    const p = el.querySelector('path.js-line');
                    return p ? p.getAttribute('d') : null;
                }
            }
            return null;
        }"""


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


@pytest.fixture(scope="module")
def server():
    _need_browser()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1",
         "--browser.gatherUsageStats=false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("streamlit did not become healthy within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _slider_label(page) -> str:
    return page.locator(".slider-container .slider-label").first.text_content() or ""


def _adadelta_path(page) -> str:
    """The SVG path drawn for ADADELTA's trajectory in the contour panel."""
    return page.evaluate(ADADELTA_PATH_JS)


def test_the_app_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server)
        page.wait_for_selector(IDLE, timeout=90_000)
        page.wait_for_selector(".js-plotly-plot .legend .traces", timeout=60_000)
        page.wait_for_timeout(1000)

        # the contour (a background image) and one path per optimizer are drawn
        assert page.locator(".js-plotly-plot .imagelayer image").count() == 1
        legend = page.locator(".js-plotly-plot .legend .traces").all_text_contents()
        assert legend == ["SGD", "Momentum", "ADAGRAD", "ADADELTA"]
        assert page.locator("[data-testid='stException']").count() == 0
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # ▶ Play advances the step cursor, and the contour is still drawn afterwards
        assert _slider_label(page).strip() == "step 0"
        page.locator(".updatemenu-item-text", has_text="Play").click()
        page.wait_for_timeout(1500)
        label = _slider_label(page).strip()
        assert label.startswith("step ") and int(label.split()[1]) > 0, label
        assert page.locator(".js-plotly-plot .imagelayer image").count() == 1
        page.locator(".updatemenu-item-text", has_text="Pause").click()

        # moving the ρ slider changes the ADADELTA path (keyboard on the slider thumb)
        before = _adadelta_path(page)
        thumb = page.get_by_role("slider", name="ρ (decay rate)")
        thumb.focus()
        started = time.perf_counter()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            f"(old) => ({ADADELTA_PATH_JS})() !== old", arg=before, timeout=30_000
        )
        elapsed = time.perf_counter() - started
        page.wait_for_selector(IDLE, timeout=30_000)
        after = _adadelta_path(page)
        assert after != before
        # the address now carries the new ρ (a copied link opens this scene)
        page.wait_for_function("() => window.location.search.includes('adadelta.rho=')",
                               timeout=10_000)
        assert "adadelta.rho=0.92" in page.url

        # a click on the contour moves the start point there
        drag = page.locator(".js-plotly-plot .nsewdrag").first
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
        print(f"\nbrowser: ρ slider key press -> new ADADELTA path drawn in {elapsed:.3f} s")
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
        browser.close()
