"""How soon does a new visitor see the trajectory chart? (see README, Performance)

Starts ``streamlit run app.py`` on a free loopback port (``--rounds`` times), and opens the
default scene in headless Chromium (Debian's, driven by Playwright): first the **cold**
visitor, the first after the server started (imports, the first script run), then
``--visitors`` **warm** ones, each in a fresh browser context (an empty cache: a new
visitor). For each it measures, from the page's navigation start (the main frame's
``performance.timeOrigin``; every time below is on that clock):

* **shell**: Streamlit's app element is in the page (its own JavaScript ran);
* **iframe**: the chart component's iframe is in the page (the script's run reached it);
* **plotly request / loaded**: plotly.js requested and downloaded by the iframe, and its
  size (Resource Timing inside the iframe);
* **the frame's scripts run**: the iframe's ``domInteractive`` (``chart.js``, and
  plotly.js where ``index.html`` loads it itself); **chart ready**: its
  ``componentReady`` message (Streamlit answers with the figure at once); **plotly.js
  run**: ``Plotly`` defined in the frame (checked every frame);
* **first paint**: the contour panel drawn — its contour image and every optimizer's
  path (an SVG path) in it: what ``tests/test_browser.py`` checks first; and the chart's
  own time for that first drawing (``window.optvizChart.lastMs``: ``Plotly.react`` and
  the cursors).

It also reads the server's own time for its first script run of the visit (the
``OPTVIZ_TIMING`` line of the whole script, on the server's log), and prints medians.

Run: python benchmarks/bench_first_paint.py [--rounds 5] [--visitors 5]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import (  # noqa: E402
    ARGS,
    CHART_IFRAME,
    CHROMIUM,
    IDLE,
    VIEWPORT,
    running_app,
)

# Runs in every frame before its own scripts: records, on the absolute clock (ms since
# the epoch, sub-millisecond), when each milestone is first seen (checked every frame).
MARKS_JS = f"""(() => {{
    if (window.parent !== window || window.__firstPaint) return;  // the main frame only
    const marks = window.__firstPaint = {{origin: performance.timeOrigin}};
    const now = () => performance.timeOrigin + performance.now();
    // the chart says it is ready (plotly.js and chart.js have run); Streamlit answers
    // with the figure at once
    window.addEventListener('message', (e) => {{
        const type = e.data && e.data.type;
        if (type === 'streamlit:componentReady' && !marks.ready) marks.ready = now();
    }});
    const drawn = (doc) => {{  // the contour image and every optimizer's path, in the frame
        const gd = doc && doc.querySelector('.js-plotly-plot');
        if (!gd || !gd.data || !gd.querySelector('.imagelayer image')) return false;
        const paths = {{}};
        for (const el of gd.querySelectorAll('.scatterlayer .trace')) {{
            const d = el.__data__;
            const p = el.querySelector('path.js-line');
            if (d && d[0] && d[0].trace && p) paths[d[0].trace.index] = p.getAttribute('d');
        }}
        const mine = gd.data.map((t, i) => [t, i]).filter(([t]) => t.showlegend && t.legendgroup);
        return mine.length > 0 && mine.every(([, i]) => (paths[i] || '').startsWith('M'));
    }};
    const poll = () => {{
        if (!marks.shell && document.querySelector("[data-testid='stApp']")) marks.shell = now();
        const frame = document.querySelector("{CHART_IFRAME}");
        if (frame && !marks.iframe) marks.iframe = now();
        if (frame && !marks.paint && drawn(frame.contentDocument)) marks.paint = now();
        const win = frame && frame.contentWindow;
        if (win && win.Plotly && !marks.plotly) marks.plotly = now();  // plotly.js has run
        // the chart's own time for its first drawing, once it has finished it
        const c = win && win.optvizChart;
        if (c && c.full >= 1 && c.lastMs > 0 && marks.draw === undefined) marks.draw = c.lastMs;
        if (!marks.paint || marks.draw === undefined) requestAnimationFrame(poll);
    }};
    requestAnimationFrame(poll);
}})();"""

# The chart frame's resource and navigation timings, on the absolute clock.
TIMINGS_JS = """() => {
    const o = performance.timeOrigin;
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource')
        .filter(e => /plotly[^/]*\\.js/.test(e.name))
        .map(e => ({name: e.name.split('/').pop(), start: o + e.startTime,
                    end: o + e.responseEnd, bytes: e.encodedBodySize || e.transferSize}));
    return {origin: o, interactive: o + nav.domInteractive, plotly: res};
}"""

FIELDS = [
    ("shell", "Streamlit shell (app element)"),
    ("iframe", "chart iframe in the page"),
    ("request", "plotly.js requested"),
    ("loaded", "plotly.js downloaded"),
    ("parsed", "the frame's scripts run (domInteractive)"),
    ("ready", "chart ready, asks for the figure"),
    ("plotly", "plotly.js run (window.Plotly there)"),
    ("paint", "FIRST PAINT: contour panel drawn"),
]


def visit(browser, url: str, log: pathlib.Path, seen: int) -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(MARKS_JS)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "() => window.__firstPaint.paint && window.__firstPaint.draw !== undefined",
        timeout=120_000,
        polling=50,
    )
    frame = page.wait_for_selector(CHART_IFRAME, state="attached").content_frame()
    main = page.evaluate("() => window.__firstPaint")
    inner = frame.evaluate(TIMINGS_JS)
    page.wait_for_selector(IDLE, timeout=120_000)  # the run is over: its time is on the log
    context.close()
    t0 = main["origin"]
    out = {
        "shell": main["shell"] - t0,
        "iframe": main["iframe"] - t0,
        "ready": main["ready"] - t0,
        "plotly": main["plotly"] - t0,
        "paint": main["paint"] - t0,
        "parsed": inner["interactive"] - t0,
        "draw": main["draw"],
    }
    if inner["plotly"]:
        first = inner["plotly"][0]
        out["request"] = first["start"] - t0
        out["loaded"] = first["end"] - t0
        out["bundle"] = f"{first['name']} {first['bytes'] / 1e6:.2f} MB"
    runs = [ln for ln in log.read_text().splitlines() if ln.startswith("optviz: script run")]
    out["server"] = float(runs[seen].split()[3]) if len(runs) > seen else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="server starts (cold visitors)")
    parser.add_argument("--visitors", type=int, default=5, help="warm visitors per server")
    parser.add_argument("--json", type=pathlib.Path, help="also write every visit's times here")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit("no Chromium: install it with `apt-get install -y chromium` (Debian)")
    from playwright.sync_api import sync_playwright

    cold: list[dict] = []
    warm: list[dict] = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for r in range(args.rounds):
            log = pathlib.Path(tmp) / f"server-{r}.log"
            with running_app(log) as url:
                runs = 0
                for v in range(1 + args.visitors):
                    got = visit(browser, url, log, runs)
                    runs = len(
                        [
                            ln
                            for ln in log.read_text().splitlines()
                            if ln.startswith("optviz: script")
                        ]
                    )
                    (cold if v == 0 else warm).append(got)
                    print(
                        f"  round {r} {'cold' if v == 0 else 'warm'}: first paint "
                        f"{got['paint'] / 1e3:.2f} s (server's script run "
                        f"{got['server']:.0f} ms, {got.get('bundle', 'no plotly.js')})",
                        flush=True,
                    )
        browser.close()
    if args.json:
        args.json.write_text(json.dumps({"cold": cold, "warm": warm, "load": os.getloadavg()}))

    print(
        f"\noptviz first paint — {os.cpu_count()} cores, headless Chromium (software "
        f"rendering); {len(cold)} cold visitors, {len(warm)} warm; load "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"  {'from navigation start, median (min–max)':<44} {'warm':>22} {'cold':>22}")

    def cell(rows: list[dict], key: str, scale: float = 1e-3, unit: str = "s") -> str:
        xs = [r[key] for r in rows if key in r]
        if not xs:
            return "—"
        return (
            f"{statistics.median(xs) * scale:.2f} ({min(xs) * scale:.2f}–{max(xs) * scale:.2f}) "
            f"{unit}"
        )

    for key, name in FIELDS:
        print(f"  {name:<44} {cell(warm, key):>22} {cell(cold, key):>22}")
    print(
        f"  {'chart: its first drawing (Plotly.react)':<44} {cell(warm, 'draw'):>22} "
        f"{cell(cold, 'draw'):>22}"
    )
    print(
        f"  {'server: first script run of the visit':<44} {cell(warm, 'server'):>22} "
        f"{cell(cold, 'server'):>22}"
    )
    bundles = sorted({r["bundle"] for r in warm + cold if "bundle" in r})
    print(f"  plotly.js: {', '.join(bundles) or '—'}")


if __name__ == "__main__":
    main()
