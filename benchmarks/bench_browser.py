"""How fast does the picture follow a slider in a real browser? (see README, Performance)

Starts ``streamlit run app.py`` on a free loopback port, opens the default scene in
headless Chromium (Debian's, /usr/bin/chromium, driven by Playwright) and presses the
ρ slider's arrow keys ``--moves`` times: five steps left (0.95 → 0.7), five back, and so
on. The first moves are to values never run before (the server computes them), later ones
come from its cache; some moves change an axis range, most do not. For each key press
it measures, on the browser's clock:

* **path drawn**: until ADADELTA's path in the contour panel is a different SVG path;
* **all panels**: until the chart has finished the whole update (the path, the loss,
  learning-rate and accumulator curves, any axis range, and the animation frames);
* **script done**: until Streamlit reports the script run finished.

It prints the median and the worst of each, and how the chart applied each update
(in place, or redrawn whole).

Run: python benchmarks/bench_browser.py [--moves 20]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# the browser test's own helpers: the same server start, browser flags and chart lookup
from test_browser import (  # noqa: E402
    ADADELTA_PATH_JS,
    ARGS,
    CHROMIUM,
    IDLE,
    chart_frame,
    running_app,
)

UPDATES_JS = "() => window.optvizChart.inPlace + window.optvizChart.full"


def measure(url: str, moves: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=90_000)
        chart = chart_frame(page)
        chart.wait_for_selector(".js-plotly-plot .legend .traces", timeout=60_000)
        page.wait_for_timeout(2000)
        drawn, complete, done, how = [], [], [], []
        thumb = page.get_by_role("slider", name="ρ (decay rate)")
        for i in range(moves):
            before = chart.evaluate(ADADELTA_PATH_JS)
            updates = chart.evaluate(UPDATES_JS)
            counts = chart.evaluate("() => Object.assign({}, window.optvizChart)")
            thumb.focus()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowLeft" if i % 10 < 5 else "ArrowRight")
            chart.wait_for_function(f"(old) => {{ const p = ({ADADELTA_PATH_JS})(); "
                                    "return p !== null && p !== old; }",
                                    arg=before, timeout=30_000, polling=5)
            drawn.append(time.perf_counter() - t0)
            chart.wait_for_function(f"(n) => ({UPDATES_JS})() > n", arg=updates,
                                    timeout=30_000, polling=5)
            complete.append(time.perf_counter() - t0)
            page.wait_for_selector(IDLE, timeout=30_000)
            done.append(time.perf_counter() - t0)
            after = chart.evaluate("() => Object.assign({}, window.optvizChart)")
            how.append("in place" if after["inPlace"] > counts["inPlace"] else "redrawn")
            page.wait_for_timeout(1200)
        browser.close()

    def row(name: str, xs: list[float]) -> None:
        print(f"  {name:<38} median {1e3 * statistics.median(xs):6.0f} ms   "
              f"best {1e3 * min(xs):6.0f} ms   worst {1e3 * max(xs):6.0f} ms")

    print(f"optviz browser benchmark — {os.cpu_count()} cores, {moves} ρ key presses, "
          "default scene, headless Chromium (software rendering)")
    row("key press -> ADADELTA path drawn", drawn)
    row("key press -> every panel updated", complete)
    row("key press -> script run finished", done)
    print(f"  updates applied: {how.count('in place')} in place, {how.count('redrawn')} redrawn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit("no Chromium: install it with `apt-get install -y chromium` (Debian)")
    with running_app() as url:
        measure(url, args.moves)


if __name__ == "__main__":
    main()
