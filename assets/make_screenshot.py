"""Make the README's screenshot: the default scene in headless Chromium, 1500×1250.

Starts ``streamlit run app.py`` on a free loopback port, opens the app in Debian's Chromium
(driven by Playwright, never ``playwright install``), waits until the app is idle (the
script's run finished, the chart drawn and at rest, the fonts loaded) and writes the PNG.
The tests write nothing into the repository; this script is how the picture is refreshed.

Run: python assets/make_screenshot.py [--out assets/screenshot.png]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# the browser tests' own helpers: the same server start, browser flags and "open and idle"
from browser_support import ARGS, CHROMIUM, INSTALL_HINT, VIEWPORT, open_app, running_app  # noqa: E402

SCREENSHOT = ROOT / "assets" / "screenshot.png"


def make_screenshot(out: pathlib.Path) -> None:
    from playwright.sync_api import sync_playwright

    with running_app() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        chart = open_app(page, url)
        for frame in (page, chart):
            frame.evaluate("() => document.fonts.ready.then(() => true)")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=SCREENSHOT)
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(INSTALL_HINT)
    make_screenshot(args.out)
    print(f"wrote {args.out} ({VIEWPORT['width']}×{VIEWPORT['height']})")


if __name__ == "__main__":
    main()
