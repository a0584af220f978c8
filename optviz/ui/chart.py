"""The trajectory figure in the page: a small component that updates Plotly in place.

``st.plotly_chart`` gives each new figure to ``Plotly.react``, which redraws every panel
and re-registers every frame: on this project's reference machine that alone took
0.23–0.34 s per slider move, too slow for "the picture follows the hand". This component
(``chart_frontend/chart.js``, no build step) keeps the figure and, when only some traces'
data and axis ranges changed, moves those traces with ``Plotly.animate``; anything else is
drawn anew with ``Plotly.react``. It also owns the step cursor: a control bar above the
panels and the keys move every panel's cursor to any step, from the cursor table the
figure carries, and the step comes back to Python for the step inspector and the link.

The figure is built by :func:`optviz.figures.trajectory_figure` (``frames=False``).
plotly.js is served from the same directory as the component, nothing is fetched from the
internet: plotly's partial bundles ``plotly-cartesian.min.js`` (2-D traces, the default
figure) and ``plotly-gl3d.min.js`` (the 3-D view), the npm packages
``plotly.js-{cartesian,gl3d}-dist-min`` of the same plotly.js version as the installed
``plotly`` package's (MIT: ``chart_frontend/PLOTLY-LICENSE``), kept in ``chart_frontend/``;
and, for any other trace type, the full bundle shipped inside the ``plotly`` package.
``chart.js`` loads the smallest that draws the figure, when the figure comes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly
import streamlit.components.v1 as components

FRONTEND = Path(__file__).with_name("chart_frontend")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_FILES = (
    "index.html",
    "chart.js",
    "plotly-cartesian.min.js",
    "plotly-gl3d.min.js",
    "PLOTLY-LICENSE",
)


_PREFIX = "optviz-chart-"


def served_directory() -> Path:
    """A private directory holding the component's page, its script and plotly.js.

    Streamlit serves a component's files from one directory and refuses links that
    leave it, so plotly's own bundle is copied next to ours into a new directory only
    this user can write (``mkdtemp``: a shared, predictable path in /tmp could be planted
    with other scripts), named after this process. It is removed when the process ends
    (``atexit``, which also runs when Streamlit stops on SIGTERM or Ctrl-C); what a killed
    process left behind is removed by the next one (:func:`_remove_orphans`).
    """
    _remove_orphans()
    target = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    for name in _FILES:
        shutil.copyfile(FRONTEND / name, target / name)
    shutil.copyfile(PLOTLY_JS, target / "plotly.min.js")
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    return target


def _remove_orphans() -> None:
    """Remove this user's chart directories whose process no longer runs (killed -9)."""
    for old in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*-*"):
        pid = old.name[len(_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if old.is_dir() and not old.is_symlink() and old.stat().st_uid == os.getuid():
                shutil.rmtree(old, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


_component: Callable[..., Any] | None = None
_component_lock = threading.Lock()


def _chart_component() -> Callable[..., Any]:
    """The component, declared (and its directory made) on first use: at the app's
    start-up, its first run, never on import of the package."""
    global _component
    with _component_lock:
        if _component is None:
            _component = components.declare_component("optviz_chart", path=str(served_directory()))
        return _component


def animated_chart(
    spec_json: str,
    *,
    key: str,
    config: dict | None = None,
    on_change: Callable[[], None] | None = None,
    step: int = 0,
    step_rev: int = 0,
    exact: dict | None = None,
) -> Any:
    """Show a figure given as its JSON text (``plotly.io.to_json`` of a figure made by
    :func:`optviz.figures.trajectory_figure` with ``frames=False``: its step cursor is
    the component's, from the figure's cursor table).

    ``step`` is where Python puts the cursor: it moves there whenever ``step_rev`` is new
    (so a step the student has moved on from since is not forced back). ``exact``:
    ``{"step", "data"}``, the cursors' points at a step the figure's table does not keep
    (:meth:`~optviz.figures.SpecFigure.cursor_at`).

    Returns the component's last message, or None: ``{"kind": "click", "x", "y", "at"}``
    (a click on the contour panel, in its coordinates), ``{"kind": "step", "step", "at"}``
    (the cursor came to rest at a step), ``{"kind": "lesson", "delta", "at"}`` (the
    next or previous lesson asked for by its keys), or ``{"kind": "surface", "on",
    "step", "at"}`` (its key 3: the 3-D view on or off, at the cursor's step). ``at`` is
    the browser's clock, so two equal messages are two events. ``on_change`` runs, before
    the rerun, when one arrives.
    """
    return _chart_component()(
        spec=spec_json,
        config=config or {},
        step=int(step),
        step_rev=int(step_rev),
        exact=exact,
        key=key,
        default=None,
        on_change=on_change,
    )
