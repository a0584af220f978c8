"""How fast does the default scene answer a slider move? (server side; see README)

Prints, for the default scene (Rosenbrock, SGD + momentum + ADAGRAD + ADADELTA, 500 steps):

* the core pipeline for one ρ change: the changed optimizer's run, the figure and its JSON
  (what Streamlit sends), with the objective's contour already cached;
* the Streamlit rerun after moving ρ, through AppTest. AppTest runs the whole script
  for it (widgets, caches, every element); in a browser, ρ's slider belongs to the view's
  fragment and only that reruns, so this is an upper bound. The pause that lets a browser
  draw a new figure before the rest of the view (``PICTURE_FIRST_S``) is not computing and
  is left out here; ``bench_browser.py`` measures the page with it.

Run: python benchmarks/bench_app.py
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time

import numpy as np
import plotly.io as pio

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import optviz as ov  # noqa: E402
from optviz.figures import PathView, trajectory_figure  # noqa: E402

RHOS = [0.9, 0.95, 0.97, 0.98, 0.99, 0.92, 0.85, 0.8]


def pipeline() -> list[float]:
    obj = ov.objectives.get("rosenbrock")
    fixed = []
    for key, hp in [("sgd", {"lr": 1e-3}), ("momentum", {"lr": 1e-3}), ("adagrad", {"lr": 0.05})]:
        spec = ov.optimizers.get(key)
        fixed.append(
            PathView(key, spec.display_name, spec, ov.run(obj, spec.build(**hp), obj.start, 500))
        )
    spec = ov.optimizers.get("adadelta")
    trajectory_figure(obj, fixed)  # warm the per-objective background cache
    times = []
    for rho in RHOS * 3:
        t = time.perf_counter()
        traj = ov.run(obj, ov.optimizers.adadelta(rho=rho), obj.start, 500)
        fig = trajectory_figure(obj, [*fixed, PathView("adadelta", "ADADELTA", spec, traj)])
        payload = pio.to_json(fig, validate=False)
        times.append(time.perf_counter() - t)
    print(f"  figure payload: {len(payload) / 1e6:.2f} MB, {len(fig.spec['frames'])} frames")
    return times


def app_rerun() -> list[float]:
    from streamlit.testing.v1 import AppTest

    from optviz.ui import trajectories

    trajectories.PICTURE_FIRST_S = 0.0

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    slider = next(w for w in at.select_slider if w.key == "hp.adadelta.rho")
    times = []
    for rho in RHOS * 2:
        t = time.perf_counter()
        slider.set_value(rho).run()
        times.append(time.perf_counter() - t)
        slider = next(w for w in at.select_slider if w.key == "hp.adadelta.rho")
    assert not at.exception
    return times


def report(name: str, times: list[float]) -> None:
    ms = np.array(times) * 1e3
    print(
        f"  {name:<52} median {statistics.median(ms):6.1f} ms   "
        f"best {ms.min():6.1f} ms   worst {ms.max():6.1f} ms"
    )


def main() -> None:
    print(f"optviz app benchmark — {os.cpu_count()} cores, numpy {np.__version__}")
    report("core: ADADELTA rerun + figure + JSON (one ρ move)", pipeline())
    report("Streamlit rerun after a ρ move (AppTest, whole script)", app_rerun())


if __name__ == "__main__":
    main()
