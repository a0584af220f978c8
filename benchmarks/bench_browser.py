"""How fast does the picture follow a slider in a real browser? (see README, Performance)

Starts ``streamlit run app.py`` on a free loopback port, opens the default scene in
headless Chromium (Debian's, /usr/bin/chromium, driven by Playwright) and presses the
ρ slider's arrow keys ``--moves`` times: five steps left (0.95 → 0.7), five back, and so
on. The first moves are to values never run before (the server computes them), later ones
come from its cache; some moves change an axis range, most do not. For each key press
it measures, from the moment Playwright sends it (the page polled every 5 ms):

* **path drawn**: until ADADELTA's path in the contour panel is a different SVG path;
* **curves in every panel**: until every ADADELTA curve on screen is a new SVG path (the
  path, the loss, both learning rates and all four accumulators): the new picture;
* **chart update done**: until the chart has also replaced the animation's frames (what
  ▶ Play and the step slider show next), after any axis range change;
* **script done**: until Streamlit reports the run finished (the table and the step
  inspector below the chart arrive after the picture: see ``trajectories._picture_first``).

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

# the browser tests' own helpers: the same server start, browser flags, chart lookup and
# "the app is open and idle"
from browser_support import (  # noqa: E402
    ADADELTA_PATH_JS,
    ARGS,
    CHROMIUM,
    DRAWN_TRACES_JS,
    IDLE,
    VIEWPORT,
    open_app,
    running_app,
)

UPDATES_JS = "() => window.optvizChart.inPlace + window.optvizChart.full"
# Every ADADELTA curve on screen (its path, loss, learning rates and accumulators in
# every panel), as the SVG paths drawn: one string per trace.
ADADELTA_CURVES_JS = f"""() => {{
    const drawn = ({DRAWN_TRACES_JS})();
    return document.querySelector('.js-plotly-plot').data
        .map((t, i) => t.legendgroup === 'adadelta' ? drawn[i] : null)
        .filter(d => d);
}}"""


def measure(url: str, moves: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        chart = open_app(page, url)
        drawn, panels, complete, done, how = [], [], [], [], []
        thumb = page.get_by_role("slider", name="ρ (decay rate)")
        for i in range(moves):
            before = chart.evaluate(ADADELTA_PATH_JS)
            curves = chart.evaluate(ADADELTA_CURVES_JS)
            updates = chart.evaluate(UPDATES_JS)
            counts = chart.evaluate("() => Object.assign({}, window.optvizChart)")
            thumb.focus()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowLeft" if i % 10 < 5 else "ArrowRight")
            chart.wait_for_function(
                f"(old) => {{ const p = ({ADADELTA_PATH_JS})(); return p !== null && p !== old; }}",
                arg=before,
                timeout=30_000,
                polling=5,
            )
            drawn.append(time.perf_counter() - t0)
            chart.wait_for_function(
                f"(old) => {{ const now = ({ADADELTA_CURVES_JS})(); "
                "return now.length === old.length && "
                "now.every((d, i) => d !== old[i]); }",
                arg=curves,
                timeout=30_000,
                polling=5,
            )
            panels.append(time.perf_counter() - t0)
            chart.wait_for_function(
                f"(n) => ({UPDATES_JS})() > n", arg=updates, timeout=30_000, polling=5
            )
            complete.append(time.perf_counter() - t0)
            page.wait_for_selector(IDLE, timeout=30_000)
            done.append(time.perf_counter() - t0)
            after = chart.evaluate("() => Object.assign({}, window.optvizChart)")
            how.append("in place" if after["inPlace"] > counts["inPlace"] else "redrawn")
            # a student's pace between moves (part of what is measured: each move starts
            # from a page at rest), not a wait for something to happen
            page.wait_for_timeout(1200)
        browser.close()

    def row(name: str, xs: list[float]) -> None:
        print(
            f"  {name:<50} median {1e3 * statistics.median(xs):6.0f} ms   "
            f"best {1e3 * min(xs):6.0f} ms   worst {1e3 * max(xs):6.0f} ms   "
            f"over 0.5 s: {sum(x > 0.5 for x in xs)} of {len(xs)}"
        )

    print(
        f"optviz browser benchmark — {os.cpu_count()} cores, {moves} ρ key presses, "
        "default scene, headless Chromium (software rendering)"
    )
    row("key press -> ADADELTA path drawn", drawn)
    row("key press -> its curves in every panel drawn", panels)
    row("key press -> chart update done (Play frames too)", complete)
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
