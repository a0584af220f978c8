"""The Sensitivity view on either engine (the same numbers, and captions that say which
ran), its batched noise runs, and its Basins section."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz as ov
from optviz import sweeps
from optviz.figures import untyped
from optviz.scene import Scene
from optviz.ui import sensitivity as sens

pytest.importorskip("numba")

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
SCENE = Scene(
    objective="rosenbrock",
    start=(-1.5, 2.0),
    steps=120,
    noise=0.5,
    seed=4,
    optimizers=("adadelta", "sgd", "momentum", "adam"),
)


def _clear() -> None:
    for fn in (sens.sweep_for, sens.heatmap_for, sens.noise_runs, sens.basins_for):
        fn.clear()


@pytest.fixture
def engine(monkeypatch):
    def use(name: str) -> None:
        monkeypatch.setattr(sens, "ENGINE", name)
        _clear()

    yield use
    _clear()


def _metric_z(fig) -> dict[str, np.ndarray]:
    return {
        t["meta"]["optimizer"]: untyped(t["z"])
        for t in fig.spec["data"]
        if (t.get("meta") or {}).get("role") == "metric"
    }


@pytest.mark.parametrize("metric", ["final", "steps"])
def test_the_heatmaps_are_the_same_whichever_engine_ran(engine, metric):
    sc = sens.swept_scene(SCENE)
    figures, engines = {}, {}
    for name in ("numpy", "compiled"):
        engine(name)
        data = sens.sweep_set(sc, 10)
        engines[name] = set(data.engines.values())
        figures[name] = _metric_z(sens.heatmap_for(sc, metric, 10))
    assert engines == {"numpy": {"numpy"}, "compiled": {"compiled"}}
    assert figures["numpy"].keys() == figures["compiled"].keys() == set(sc.optimizers)
    for key, z in figures["numpy"].items():
        # Rosenbrock is + − × only: the kernel gives NumPy's bits, not merely close ones
        np.testing.assert_array_equal(figures["compiled"][key], z, err_msg=key)


def test_the_noise_chart_is_the_per_run_loop_on_either_engine(engine):
    sc = sens.swept_scene(SCENE.replace(optimizers=("adadelta", "sgd")))
    obj = sc.run_objective()
    sigmas = (0.0, 0.5, 5.0)
    old = {}
    for key in sc.optimizers:  # the view's loop before it was batched
        opt = ov.optimizers.build(key, **sc.hp(key))
        rows = []
        for sigma in sigmas:
            row = []
            for seed in range(sc.seed, sc.seed + 6):
                tr = ov.run(obj, opt, sc.run_start, sc.steps, seed=seed, noise=sigma)
                row.append(np.nan if tr.diverged_at >= 0 else tr.values[-1] - obj.f_min)
            rows.append(row)
        old[key] = np.array(rows)
    for name in ("numpy", "compiled"):
        engine(name)
        ns = sens.noise_sweep(sc, sigmas=sigmas, n_seeds=6)
        assert set(ns.engines.values()) == {name}
        for key in sc.optimizers:
            np.testing.assert_array_equal(ns.finals[key], old[key], err_msg=f"{name} {key}")


def test_the_engine_phrase_says_what_ran(monkeypatch):
    monkeypatch.setattr(sens, "ENGINE", "auto")
    assert sens.engine_phrase({"sgd": "compiled"}) == "the compiled kernel"
    assert sens.engine_phrase({"sgd": "numpy"}).startswith("NumPy (its compiled kernel")
    mixed = sens.engine_phrase({"sgd": "compiled", "adam": "numpy"})
    assert "NumPy for Adam" in mixed and "SGD" not in mixed
    monkeypatch.setattr(sens, "ENGINE", "numpy")
    assert sens.engine_phrase({"sgd": "numpy"}) == "NumPy"
    assert sens.engine_phrase({"sgd": "none"}) == "no step was run"


def test_the_budget_lowers_the_basin_grid():
    assert sens.basin_resolution(500) == 60
    assert sens.basin_resolution(5000) == 60  # 3600 × 5000 = 1.8e7 ≤ 2e7
    assert sens.basin_resolution(10_000) == 40
    assert sens.basin_resolution(10**9) == sens.BASIN_RESOLUTIONS[0]


def test_the_basin_counts_name_every_class_and_add_up():
    b = sweeps.basins(ov.objectives.get("himmelblau"), "sgd", {"lr": 0.03}, 100, resolution=20)
    text = sens.basin_counts(b)  # 1 start reaches (3.58, -1.85), 74 diverge, 325 wander
    assert (
        text == "0.25% to minimum (3.58, -1.85), 81.2% in the plot, near no minimum, 18.5% diverged"
    )
    assert sum(b.counts().values()) == 400


def app(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"view": "sensitivity", **params}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _basin_spec(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (spec,) = [
        s for s in specs if any((t.get("meta") or {}).get("role") == "basin" for t in s["data"])
    ]
    return spec


def test_the_basins_section_renders_one_map_per_optimizer():
    at = app(
        {
            "objective": "himmelblau",
            "steps": "100",
            "res": "10",
            "opt": "sgd,adadelta",
            "section": "Basins",
        }
    )
    assert not at.error, [e.value for e in at.error]
    assert any("Basins" in m.value for m in at.markdown)
    spec = _basin_spec(at)
    shown = {t["meta"]["optimizer"] for t in spec["data"] if t["meta"]["role"] == "basin"}
    assert shown == {"sgd", "adadelta"}
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert any("SGD" in t and "η = " in t for t in titles)  # its hyperparameters stated
    legend = [t["name"] for t in spec["data"] if t["meta"]["role"] == "legend"]
    assert "minimum (3, 2)" in legend
    caption = next(c.value for c in at.caption if "grid over the plot" in c.value)
    assert "60 × 60" in caption and "sidebar's settings" in caption
    assert "runs took" in caption


def test_the_basins_of_a_saddle_and_of_a_typed_formula_render():
    at = app({"objective": "saddle", "steps": "30", "res": "10", "opt": "sgd", "section": "Basins"})
    assert not at.error
    legend = [t["name"] for t in _basin_spec(at)["data"] if t["meta"]["role"] == "legend"]
    assert "left the plot (no minimum)" in legend
    at.selectbox(key="objective").set_value("custom").run()
    at.text_input(key="formula").set_value("x^4 + y^2 - x*y").run()
    assert not at.exception and not at.error
    _basin_spec(at)
