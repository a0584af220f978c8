"""The Sensitivity view: its figure builders without Streamlit, its numbers, and the app."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import pathlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz as ov
from optviz import sweep_figures as sf
from optviz import sweeps
from optviz.figures import untyped as decode
from optviz.numbers import share
from optviz.scene import Scene
from optviz.sweep_figures import Panel, heatmap_figure
from optviz.ui import sensitivity as sens
from optviz.ui.state import all_defaults, options_for, scene_of, state_of

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
DEFAULT_FOUR = ("adadelta", "sgd", "momentum", "adagrad")
ALL = ",".join(ov.optimizers.names())


def role(spec: dict, name: str, key: str | None = None) -> list[dict]:
    return [
        t
        for t in spec["data"]
        if (t.get("meta") or {}).get("role") == name
        and (key is None or t["meta"].get("optimizer") == key)
    ]


def run_sweeps(objective="booth", keys=DEFAULT_FOUR, resolution=10, steps=150, current=None):
    obj = ov.objectives.get(objective)
    panels = []
    for key in keys:
        result = sweeps.sweep(
            obj, key, sweeps.default_grid(key, resolution), obj.start, steps, noise=obj.noise
        )
        cur = (current or {}).get(key, {})
        panels.append(Panel(key, ov.optimizers.get(key).display_name, result, current=cur))
    return panels


@pytest.fixture(scope="module")
def panels():
    return run_sweeps(
        current={
            "adadelta": {"rho": 0.9, "eps": 1e-4},
            "sgd": {"lr": 1e-3},
            "momentum": {"lr": 1e-3, "beta": 0.9},
            "adagrad": {"lr": 0.05, "eps": 1e-10},
        }
    )


# --- the figure builders ---------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["final", "best", "steps", "distance"])
def test_one_shared_colour_scale(panels, metric):
    spec = heatmap_figure(panels, metric).spec
    heat = role(spec, "metric")
    assert [t["meta"]["optimizer"] for t in heat] == list(DEFAULT_FOUR)
    assert {t["coloraxis"] for t in heat} == {"coloraxis"}
    assert len({(t["zmin"], t["zmax"]) for t in heat}) == 1
    zmin, zmax = heat[0]["zmin"], heat[0]["zmax"]
    axis = spec["layout"]["coloraxis"]
    assert (axis["cmin"], axis["cmax"]) == (zmin, zmax)
    assert math.isfinite(zmin) and math.isfinite(zmax) and zmin < zmax
    finite = np.concatenate([decode(t["z"]).ravel() for t in heat])
    finite = finite[np.isfinite(finite)]
    assert finite.size  # on Booth every metric has finite cells
    assert (finite.min(), finite.max()) == pytest.approx((zmin, zmax))
    # one colour bar for the figure, no per-trace scales
    assert not any(t.get("showscale") for t in spec["data"])
    assert axis["colorbar"]["title"]["text"] == sf.metrics_for(True)[metric].label


def test_heatmap_z_is_the_sweeps_metric(panels):
    spec = heatmap_figure(panels, "final").spec
    for p, t in zip(panels, role(spec, "metric")):
        r = p.result
        gap = np.where(r.diverged, np.nan, r.final_value - r.f_min)
        expected = np.where(
            np.isfinite(gap),
            np.log10(np.maximum(np.nan_to_num(gap, nan=1.0), sf.DISPLAY_FLOOR)),
            np.nan,
        )
        z = decode(t["z"])
        if len(r.axes) == 2:
            assert z.shape == (len(r.grid[r.axes[1]]), len(r.grid[r.axes[0]]))  # (y, x)
            np.testing.assert_array_equal(z, expected.T)
        else:
            np.testing.assert_array_equal(z, expected.reshape(1, -1))  # a one-row strip
        np.testing.assert_array_equal(
            decode(t["x"]),
            sf.to_axis(r.grid[r.axes[0]], "log" if r.axes[0] in ("lr", "eps") else "decay"),
        )


def test_diverged_cells_are_nan_and_in_their_own_overlay(panels):
    spec = heatmap_figure(panels, "final").spec
    momentum = next(p for p in panels if p.key == "momentum").result
    assert momentum.diverged.any() and not momentum.diverged.all()
    (heat,) = role(spec, "metric", "momentum")
    (over,) = role(spec, "diverged", "momentum")
    z, o = decode(heat["z"]).T, decode(over["z"]).T
    np.testing.assert_array_equal(np.isnan(z), momentum.diverged)
    np.testing.assert_array_equal(o[momentum.diverged], 1.0)
    assert np.isnan(o[~momentum.diverged]).all()
    assert over["colorscale"] == [[0, sf.DIVERGED_COLOR], [1, sf.DIVERGED_COLOR]]
    assert "coloraxis" not in over  # not on the metric's scale
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    assert legend.count("diverged") == 1
    assert legend.count("current slider setting") == 1  # one entry, whatever the panels
    assert len(legend) == len(set(legend))


def test_nan_never_poisons_the_colour_scale():
    assert sf.colour_range([np.array([np.nan, 1.0, 3.0]), np.full(4, np.nan)]) == (1.0, 3.0)
    assert sf.colour_range([np.full(3, np.nan)]) == (0.0, 1.0)
    assert sf.colour_range([np.array([2.0, np.inf])]) == (1.5, 2.5)
    z = sf.display_values(np.array([np.nan, 0.0, -1e-9, 1e-3, np.inf]), "log")
    assert np.isnan(z[0]) and np.isnan(z[4])
    np.testing.assert_array_equal(z[1:4], [-12.0, -12.0, -3.0])  # floored at DISPLAY_FLOOR


def test_steps_metric_marks_never_reached_apart_from_diverged(panels):
    spec = heatmap_figure(panels, "steps").spec
    adagrad = next(p for p in panels if p.key == "adagrad").result
    never = (adagrad.steps_to_tol < 0) & ~adagrad.diverged
    assert never.any()
    (over,) = role(spec, "never", "adagrad")
    np.testing.assert_array_equal(decode(over["z"]).T == 1.0, never)
    (heat,) = role(spec, "metric", "adagrad")
    z = decode(heat["z"]).T
    np.testing.assert_array_equal(z[~np.isnan(z)], adagrad.steps_to_tol[~np.isnan(z)])
    assert np.isnan(z[never]).all()
    names = [t["name"] for t in spec["data"] if t.get("showlegend")]
    assert "diverged" in names and any(n.startswith("never reached") for n in names)
    assert sf.NEVER_COLOR != sf.DIVERGED_COLOR
    assert not any(
        n.startswith("never reached")
        for n in [
            t["name"] for t in heatmap_figure(panels, "final").spec["data"] if t.get("showlegend")
        ]
    )


def test_the_papers_default_is_starred_on_the_adadelta_panel(panels):
    spec = heatmap_figure(panels, "final").spec
    (star,) = role(spec, "paper")
    (heat,) = role(spec, "metric", "adadelta")
    assert (star["xaxis"], star["yaxis"]) == (heat["xaxis"], heat["yaxis"])
    assert star["x"][0] == pytest.approx(-math.log10(1 - 0.95))
    assert star["y"][0] == pytest.approx(-6.0)
    assert star["marker"]["symbol"] == "star"
    assert "0.95" in star["name"]
    # the sliders' setting: a ring on every panel, at its own values
    rings = [t for t in role(spec, "current") if t.get("showlegend") is not None]
    assert {t["meta"]["optimizer"] for t in rings} == set(DEFAULT_FOUR)
    ada = [t for t in rings if t["meta"]["optimizer"] == "adadelta"]
    assert ada[0]["x"][0] == pytest.approx(1.0) and ada[0]["y"][0] == pytest.approx(-4.0)
    sgd = [t for t in rings if t["meta"]["optimizer"] == "sgd"]
    assert sgd[0]["x"][0] == pytest.approx(-3.0) and sgd[0]["y"][0] == 0.0


def test_axes_show_rho_and_log_values(panels):
    spec = heatmap_figure(panels, "final").spec
    layout = spec["layout"]
    (heat,) = role(spec, "metric", "adadelta")
    xaxis = layout["xaxis" + heat["xaxis"][1:]]
    assert xaxis["ticktext"] == ["0.5", "0.9", "0.99", "0.999", "0.9999"]
    assert xaxis["tickvals"] == pytest.approx(
        [-math.log10(1 - r) for r in (0.5, 0.9, 0.99, 0.999, 0.9999)]
    )
    assert "ρ" in xaxis["title"]["text"]
    yaxis = layout["yaxis" + heat["yaxis"][1:]]
    assert "ε" in yaxis["title"]["text"] and "log" in yaxis["title"]["text"]
    assert all(v == int(v) for v in yaxis["tickvals"])
    assert yaxis["ticktext"][-1] == "10⁻¹"
    # momentum's β axis starts at 0
    (mom,) = role(spec, "metric", "momentum")
    assert layout["yaxis" + mom["yaxis"][1:]]["ticktext"][:2] == ["0", "0.5"]
    # ranges cover the cells exactly (half a cell beyond the first and last centres)
    x = decode(heat["x"])
    half = (x[1] - x[0]) / 2
    assert xaxis["range"] == pytest.approx([x[0] - half, x[-1] + half])


def test_cells_carry_their_configuration_for_a_click(panels):
    spec = heatmap_figure(panels, "final").spec
    for p in panels:
        (cells,) = role(spec, "cells", p.key)
        assert cells["legendgroup"] == f"cells.{p.key}"
        assert len(cells["customdata"]) == p.result.size
        for k in (0, 7, p.result.size - 1):
            config = p.result.configuration(k)
            assert cells["customdata"][k] == pytest.approx(
                [config[a] for a in p.result.axes], rel=1e-5
            )
            assert "click" in cells["hovertemplate"]
        assert cells["marker"]["color"] == "rgba(0,0,0,0)"


def test_a_function_without_minimum_offers_f_only():
    assert list(sf.metrics_for(False)) == ["final", "best"]
    saddle = run_sweeps("saddle", ("adadelta", "sgd"), resolution=6, steps=60)
    spec = heatmap_figure(saddle, "final").spec
    assert spec["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "final f"
    with pytest.raises(ValueError, match="not offered"):
        heatmap_figure(saddle, "steps")
    with pytest.raises(ValueError):
        sf.metric_values(saddle[0].result, "distance")


def test_presenter_mode_uses_bigger_type(panels):
    small = heatmap_figure(panels, "final").spec["layout"]
    big = heatmap_figure(panels, "final", presenter=True).spec["layout"]
    assert big["font"]["size"] > small["font"]["size"]
    assert big["height"] > small["height"]


def test_noise_and_score_figures():
    series = [sf.NoiseSeries("sgd", "SGD", (1.0, 2.0, float("nan")), (0, 1, 5), 5)]
    spec = sf.noise_figure((0.0, 1.0, 5.0), series, has_minimum=True).spec
    line, dead = spec["data"]
    assert line["y"] == [1.0, 2.0, None] and dead["x"] == [2]
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert spec["layout"]["xaxis"]["ticktext"] == ["0", "1", "5"]
    assert line["text"][1] == "2<br>1 of 5 seeds diverged (left out of the mean)"
    # without a minimum: f on a signed log scale, ticks labelled in f
    saddle = [sf.NoiseSeries("sgd", "SGD", (-1e6, 0.0, 50.0), (0, 0, 0), 5)]
    spec = sf.noise_figure((0.0, 1.0, 5.0), saddle, has_minimum=False).spec
    assert spec["data"][0]["y"] == pytest.approx([-math.log10(1 + 1e6), 0.0, math.log10(51)])
    assert "0" in spec["layout"]["yaxis"]["ticktext"]
    assert "−10⁶" in spec["layout"]["yaxis"]["ticktext"]

    def score(key, solved, diverged):
        return sweeps.GridScore(key, 10, solved, diverged, 1.0, (0.0, 1.0, 2.0), 50, "η, 10")

    scores = {"adadelta": score("adadelta", 5, 0), "sgd": score("sgd", 1, 4)}
    bars = sf.score_figure(scores, {"adadelta": "ADADELTA"}).spec
    solved, neither, diverged = bars["data"]
    assert bars["layout"]["barmode"] == "stack"
    assert solved["y"] == ["sgd", "ADADELTA"]  # the first optimizer on top
    assert solved["x"] == [10.0, 50.0] and diverged["x"] == [40.0, 0.0]
    assert neither["x"] == [50.0, 50.0]  # the three add up to the whole grid
    assert diverged["marker"]["color"] == sf.DIVERGED_COLOR


def _sensitivity_figures(panels, theme: str) -> list[dict]:
    """The view's four figures, built in ``theme``."""
    series = [sf.NoiseSeries("sgd", "SGD", (1.0, 2.0, float("nan")), (0, 1, 5), 5)]
    score = sweeps.GridScore("sgd", 10, 1, 4, 1.0, (0.0, 1.0, 2.0), 50, "η, 10")
    return [
        heatmap_figure(panels, "final", theme=theme).spec,
        sf.score_figure({"sgd": score}, {"sgd": "SGD"}, theme=theme).spec,
        sf.noise_figure(
            (0.0, 1.0, 5.0), series, has_minimum=True, theme=theme, current_sigma=1.0
        ).spec,
        sf.basin_figure([sf.BasinPanel("sgd", "SGD", _basin_map())], theme=theme).spec,
    ]


@functools.cache
def _basin_map() -> sweeps.BasinMap:
    return sweeps.basins(ov.objectives.get("himmelblau"), "sgd", {"lr": 0.01}, 50, resolution=8)


@pytest.mark.parametrize("theme", ov.figures.THEMES.values(), ids=lambda t: t.name)
def test_the_sweep_figures_take_the_themes_colours(panels, theme):
    heat, bars, noise, basin = _sensitivity_figures(panels, theme.name)
    for spec in (heat, bars, noise, basin):
        layout = spec["layout"]
        assert layout["paper_bgcolor"] == theme.paper
        assert layout["plot_bgcolor"] == theme.plot
        assert layout["font"]["color"] == theme.text  # titles, ticks, colour bar, legend
    # the heatmap's axes, the notes under its titles, the sliders' ring (its legend entry)
    for spec in (heat, basin):
        axes = [v for k, v in spec["layout"].items() if k.startswith(("xaxis", "yaxis"))]
        assert axes and all(a["linecolor"] == theme.axis_line for a in axes)
    minima = role(basin, "minima")[0]
    assert minima["marker"]["line"]["color"] == theme.ink
    ring = next(t for t in role(heat, "current") if t["showlegend"])
    assert ring["marker"]["color"] == theme.ink
    # the colour scale is the same whatever the theme: the numbers mean the same colours
    assert heat["layout"]["coloraxis"]["colorscale"] == sf.COLORSCALE
    neither = next(t for t in bars["data"] if t["name"] == "neither")
    assert neither["marker"]["color"] == theme.neutral
    assert bars["layout"]["xaxis"]["gridcolor"] == theme.grid
    assert noise["layout"]["yaxis"]["gridcolor"] == theme.grid
    assert noise["layout"]["shapes"][0]["line"]["color"] == theme.axis_line


def test_the_projector_sweep_figures_are_dark_with_light_text(panels):
    from optviz.colours import hex_rgb, lab

    light = _sensitivity_figures(panels, "light")
    dark = _sensitivity_figures(panels, "projector")
    for l_spec, d_spec in zip(light, dark):
        bg, text = (d_spec["layout"][k] for k in ("paper_bgcolor", "font"))
        assert bg != l_spec["layout"]["paper_bgcolor"]
        assert lab(hex_rgb(bg))[0] < 15 and lab(hex_rgb(text["color"]))[0] > 90
    # the notes under a panel's title ("x% solved") are written in the theme's note colour
    noted = dataclasses.replace(panels[0], note="1% solved · 2% diverged")
    spec = heatmap_figure([noted], "final", theme="projector").spec
    title = spec["layout"]["annotations"][0]["text"]
    assert f"color:{ov.figures.PROJECTOR.note}" in title and "#555" not in title
    with pytest.raises(ValueError, match="unknown theme"):
        heatmap_figure(panels, "final", theme="neon")


def test_the_app_draws_the_sensitivity_figures_in_the_sessions_theme():
    for theme in ov.figures.THEMES.values():
        for section, drawn in (("Heatmaps", 2), ("Gradient noise", 1), ("Basins", 1)):
            at = app({"steps": "100", "res": "10", "theme": theme.name, "section": section})
            specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
            assert len(specs) == drawn  # the heatmaps and grid scores; the σ chart; basins
            for spec in specs:
                assert spec["layout"]["paper_bgcolor"] == theme.paper
                assert spec["layout"]["font"]["color"] == theme.text


def test_only_the_open_section_is_computed_and_drawn_and_the_link_keeps_it(monkeypatch):
    """The view's sections are lazy tabs: a first visit runs the heatmaps' sweeps and draws
    their two figures, not the σ sweep or the basin maps (each runs when its tab opens)."""
    ran = []
    for name in ("noise_sweep", "basins_for"):
        real = getattr(sens, name)
        monkeypatch.setattr(
            sens, name, lambda *a, _r=real, _n=name, **k: ran.append(_n) or _r(*a, **k)
        )
    at = app({"steps": "100", "res": "10"})
    assert [t.label for t in at.tabs] == list(sens.SECTIONS)
    assert len(at.get("plotly_chart")) == 2 and ran == []
    assert "section" not in dict(at.query_params)  # the default is left out of the link
    at = app({"steps": "100", "res": "10", "section": "Gradient noise"})
    assert ran == ["noise_sweep"] and any("Gradient noise" in m.value for m in at.markdown)
    assert at.query_params["section"] in ("Gradient noise", ["Gradient noise"])
    at = app({"steps": "100", "res": "10", "section": "nonsense"})
    assert len(at.get("plotly_chart")) == 2 and at.warning  # said, and the default shown


# --- the view's pure parts -------------------------------------------------------------------


def test_resolution_is_lowered_only_past_the_budget():
    assert sens.resolution_for("adadelta", 100, 500) == 100
    assert sens.resolution_for("adadelta", 100, 5000) == 50  # 5000 × 50² ≤ 2e7 < 5000 × 100²
    assert sens.resolution_for("sgd", 100, 5000) == 100
    assert sens.resolution_for("adam", 100, 500) == 100  # Adam's powers: once per β₁ value
    assert sens.resolution_for("adadelta", 10, 5000) == 10


def _cell_event(key, values, x=None, y=None):
    point = {
        "curve_number": 3,
        "point_index": 0,
        "customdata": list(values),
        "legendgroup": f"cells.{key}",
    }
    if x is not None:
        point.update(x=x, y=y)
    return {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}


BASE = Scene(optimizers=("sgd", "adadelta"))


def test_a_cell_gives_a_scene_with_exactly_its_values():
    new, message = sens.cell_scene(_cell_event("adadelta", [0.95238, 1.17e-6]), BASE)
    assert new.hp("adadelta")["rho"] == 0.95238 and new.hp("adadelta")["eps"] == 1.17e-6
    assert new.optimizers == ("sgd", "adadelta")
    assert new.replace(hyperparams=()) == BASE.replace(hyperparams=())  # nothing else moves
    assert "ρ = 0.95238" in message and "beyond" not in message
    # a value beyond a slider's range is brought to its end, and the message says so
    new, message = sens.cell_scene(_cell_event("adadelta", [0.99999, 1e-6]), BASE)
    assert new.hp("adadelta")["rho"] == 0.9999 and "beyond the sliders" in message


def test_a_cell_adds_its_optimizer_and_reads_axis_coordinates():
    # no customdata: the point's axis coordinates (log10 η, −log10(1 − β1))
    event = _cell_event("adam", [], x=math.log10(0.02), y=-math.log10(1 - 0.9))
    new, message = sens.cell_scene(event, Scene(optimizers=("sgd",)))
    assert new.optimizers == ("sgd", "adam")
    assert new.hp("adam")["lr"] == pytest.approx(0.02) and new.hp("adam")["beta1"] == 0.9
    assert "nearest" not in message  # on the slider already: nothing snapped
    new, _ = sens.cell_scene(_cell_event("sgd", [3e-3]), Scene(optimizers=()))
    assert new.hp("sgd")["lr"] == 3e-3 and new.optimizers == ("sgd",)


@pytest.mark.parametrize(
    "event",
    [
        None,
        {},
        {"selection": {"points": []}},
        {"selection": {"points": [{"x": 1, "y": 2}]}},
        _cell_event("nope", [1.0, 2.0]),
        _cell_event("adadelta", ["a", None]),
    ],
)
def test_anything_but_a_cell_gives_no_scene(event):
    assert sens.cell_scene(event, BASE) is None


def test_noise_sweep_averages_the_runs():
    sc = Scene(
        objective="booth",
        start=(-8.0, 8.0),
        steps=60,
        seed=3,
        optimizers=("adadelta", "sgd"),
        hyperparams=(("adadelta", (("eps", 1e-6), ("rho", 0.95))), ("sgd", (("lr", 0.02),))),
    )
    ns = sens.noise_sweep(sc, sigmas=(0.0, 1.0), n_seeds=3)
    assert ns.seeds == (3, 4, 5)
    obj = ov.objectives.get("booth")
    finals = [
        ov.run(obj, ov.optimizers.adadelta(), (-8.0, 8.0), 60, seed=s, noise=1.0).values[-1]
        for s in (3, 4, 5)
    ]
    (ada, _) = ns.series()
    assert ada.mean[1] == pytest.approx(np.mean(finals), rel=1e-12)
    paragraph = sens.noise_paragraph(ns)
    assert f"ADADELTA {ada.mean[1]:.3g}" in paragraph and "σ = 1" in paragraph


def test_the_score_sentence_reads_the_grid_scores(panels):
    results = {p.key: p.result for p in panels}
    scores = {k: sweeps.grid_score(r) for k, r in results.items()}
    sentence = sens.score_sentence(scores)
    most = max(scores, key=lambda k: scores[k].share)
    label = ov.optimizers.get(most).display_name
    assert f"**{label}** solves the largest share of its own grid" in sentence
    assert f"({share(scores[most].share)})" in sentence
    worst = max(scores, key=lambda k: scores[k].diverged_share)
    if scores[worst].diverged:
        assert f"**{ov.optimizers.get(worst).display_name}** diverges most often" in sentence
    for score in scores.values():
        assert sens.score_note(score).endswith(f"{100 * score.diverged_share:.2g}% diverged")


# --- the app ---------------------------------------------------------------------------------


def app(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in {"view": "sensitivity", **params}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def heat_spec(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (spec,) = [s for s in specs if role(s, "metric")]
    return spec


def query(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


@pytest.mark.parametrize("name", ov.objectives.names())
def test_every_optimizer_on_every_objective(name, monkeypatch):
    # NumPy only: with "auto", the 7 optimizers × 11 objectives would queue ~77 kernels to
    # compile in the background (minutes on a cold numba cache), slowing every later app
    # test; the engines give the same numbers (tests/test_sensitivity_engines.py)
    monkeypatch.setattr(sens, "ENGINE", "numpy")
    at = app({"objective": name, "steps": "100", "res": "10", "opt": ALL})
    assert not at.error, [e.value for e in at.error]
    spec = heat_spec(at)
    keys = [t["meta"]["optimizer"] for t in role(spec, "metric")]
    assert keys[0] == "adadelta" and sorted(keys) == sorted(ov.optimizers.names())
    obj = ov.objectives.get(name)
    radio = at.radio(key=sens.METRIC_KEY)
    if obj.f_min is None:
        assert list(radio.options) == ["final f", "best f"]
        assert any("no minimum" in i.value for i in at.info)
    else:
        assert len(radio.options) == 4
        assert sum("% of" in m.value for m in at.markdown) == 1  # the share sentence
    for t in role(spec, "metric"):
        z = decode(t["z"])
        assert z.shape[-1] == 10 and z.shape[0] in (1, 10)


def test_metric_and_resolution_change_the_data():
    at = app({"steps": "100", "res": "10"})
    first = heat_spec(at)
    at.radio(key=sens.METRIC_KEY).set_value("steps").run()
    steps = heat_spec(at)
    (a,), (b,) = role(first, "metric", "adadelta"), role(steps, "metric", "adadelta")
    assert not np.array_equal(decode(a["z"]), decode(b["z"]), equal_nan=True)
    # z is the sweep's steps_to_tol (NaN where diverged or never reached)
    obj = ov.objectives.get("rosenbrock")
    result = sweeps.sweep(
        obj, "adadelta", sweeps.default_grid("adadelta", 10), obj.start, 100, fixed={"lr": 1.0}
    )
    expected = np.where(
        (result.steps_to_tol >= 0) & ~result.diverged, result.steps_to_tol.astype(float), np.nan
    )
    np.testing.assert_array_equal(decode(b["z"]), expected.T)
    at.select_slider(key=sens.RESOLUTION_KEY).set_value(20).run()
    finer = heat_spec(at)
    (c,) = role(finer, "metric", "adadelta")
    assert decode(c["z"]).shape == (20, 20)
    assert query(at) == {"view": "sensitivity", "steps": "100", "metric": "steps", "res": "20"}
    # the view's settings survive a visit to the trajectory view
    at.session_state["view"] = "trajectories"
    at.run()
    at.session_state["view"] = "sensitivity"
    at.run()
    assert at.radio(key=sens.METRIC_KEY).value == "steps"
    assert at.select_slider(key=sens.RESOLUTION_KEY).value == 20


def test_the_score_table_in_the_app_is_grid_score_of_independent_sweeps():
    at = app({"steps": "100", "res": "10", "objective": "booth"})
    obj = ov.objectives.get("booth")
    rows = []
    for key in sens.swept_optimizers(DEFAULT_FOUR):  # ADADELTA first, as the view
        hp = {
            "sgd": {"lr": 0.02},
            "momentum": {"lr": 0.02, "beta": 0.9},
            "adagrad": {"lr": 0.5, "eps": 1e-10, "initial_accumulator": 0.0},
            "adadelta": {"rho": 0.95, "eps": 1e-6, "lr": 1.0},
        }[key]
        grid = sweeps.default_grid(key, 10)
        result = sweeps.sweep(
            obj, key, grid, obj.start, 100, fixed={k: v for k, v in hp.items() if k not in grid}
        )
        rows.append((ov.optimizers.get(key).display_name, sweeps.grid_score(result)))
    table = sweeps.score_table(rows)
    assert any(m.value == table for m in at.markdown), table
    # the paper's grid, one click away: ADADELTA's row becomes its 3 × 4
    at.radio(key=sens.GRID_KEY).set_value("paper").run()
    assert not at.exception
    (md,) = [m.value for m in at.markdown if m.value.startswith("| optimizer |")]
    assert "| ADADELTA | ρ 0.9–0.99 × ε 1e-8–0.01, 3 × 4 | 100 |" in md
    assert query(at)["grid"] == "paper"


def test_a_selected_cell_loads_into_the_trajectory_view():
    at = app({"steps": "100", "res": "10"})
    (cells,) = role(heat_spec(at), "cells", "adadelta")
    k = 37  # ρ index 3, ε index 7
    event = {
        "selection": {
            "points": [
                {
                    "customdata": cells["customdata"][k],
                    "x": float(decode(cells["x"])[k]),
                    "y": float(decode(cells["y"])[k]),
                    "legendgroup": cells["legendgroup"],
                }
            ]
        }
    }
    controls = {k: at.session_state[k] for k in all_defaults() if k in at.session_state}
    new, message = sens.cell_scene(event, scene_of(controls)[0])
    assert message
    at.session_state["view"] = "trajectories"
    values = state_of(new)  # on the sliders' grid (exact values: the test below)
    for key, value in values.items():
        if key.startswith("hp.adadelta."):
            at.session_state[key] = value
    at.run()
    assert not at.exception
    rho, eps = values["hp.adadelta.rho"], values["hp.adadelta.eps"]
    assert at.select_slider(key="hp.adadelta.rho").value == rho
    assert at.select_slider(key="hp.adadelta.eps").value == eps
    # the trajectory view's animated figure (a component: its ``spec`` argument)
    (chart,) = [
        e for e in at.get("component_instance") if e.proto.component_name.endswith(".optviz_chart")
    ]
    spec = json.loads(json.loads(chart.proto.json_args)["spec"])
    trace = next(
        t for t in spec["data"] if t.get("legendgroup") == "adadelta" and t.get("showlegend")
    )
    expected = ov.run(
        ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(rho=rho, eps=eps), (-1.5, 2.0), 100
    )
    np.testing.assert_array_equal(
        np.stack([decode(trace["x"]), decode(trace["y"])], -1), expected.positions
    )


@pytest.mark.parametrize(
    ("params", "key", "default"),
    [
        ({"metric": "nope"}, sens.METRIC_KEY, "final"),
        ({"res": "7"}, sens.RESOLUTION_KEY, sens.DEFAULT_RESOLUTION),
        ({"res": "1e9"}, sens.RESOLUTION_KEY, sens.DEFAULT_RESOLUTION),
    ],
)
def test_tampered_view_settings_warn_and_fall_back(params, key, default):
    at = app({"steps": "100", **params})
    assert any("Ignored" in w.value for w in at.warning), [w.value for w in at.warning]
    widget = at.radio(key=key) if key == sens.METRIC_KEY else at.select_slider(key=key)
    assert widget.value == default
    assert "metric" not in query(at) and "res" not in query(at)


def test_a_costly_grid_is_lowered_and_said_so():
    at = app({"opt": "adadelta", "res": "100", "steps": "5000"})
    assert any("too slow" in w.value and "ADADELTA" in w.value for w in at.warning)
    (heat,) = role(heat_spec(at), "metric", "adadelta")
    assert decode(heat["z"]).shape == (50, 50)


def test_a_steps_metric_on_a_saddle_falls_back_with_an_explanation():
    at = app({"objective": "saddle", "metric": "steps", "steps": "50", "res": "10"})
    assert at.radio(key=sens.METRIC_KEY).value == "final"
    assert any("no minimum" in i.value for i in at.info)
    assert not at.error


def test_a_typed_formula_is_swept_and_a_refused_one_is_said_plainly():
    at = app({"steps": "100", "res": "10"})
    at.selectbox(key="objective").set_value("custom").run()
    at.text_input(key="formula").set_value("x^4 + y^2 - x*y").run()
    assert not at.exception and not at.error
    assert len(role(heat_spec(at), "metric")) == 4
    assert list(at.radio(key=sens.METRIC_KEY).options) == ["final f", "best f"]
    assert any("no minimum is known" in i.value.lower() for i in at.info)
    at.text_input(key="formula").set_value("x +").run()
    assert not at.exception
    assert any("cannot be swept" in e.value for e in at.error)


def test_a_clicked_cell_writes_its_scene_into_the_controls():
    """The chart's selection callback itself: the new scene's sliders, the optimizer added,
    the trajectory view, and an optimizer left out keeps its own settings."""

    def page():
        import streamlit as st

        from optviz.ui import sensitivity as sens
        from optviz.ui.controls import ensure_defaults

        ensure_defaults()
        if "seeded" not in st.session_state:
            st.session_state["seeded"] = True
            st.session_state["optimizers"] = ["sgd"]
            st.session_state["view"] = "sensitivity"
            st.session_state["hp.momentum.lr"] = 0.5  # not compared: kept as it is
        st.session_state[sens.CHART_KEY] = {
            "selection": {"points": [{"customdata": [0.9, 1e-4], "legendgroup": "cells.adadelta"}]}
        }
        st.button("stands in for a click on a cell", on_click=sens._on_cell_select)
        s = st.session_state
        st.write(
            f"{s.optimizers} {s.view} {s['hp.adadelta.rho']} {s['hp.adadelta.eps']} "
            f"{s['hp.momentum.lr']}"
        )

    at = AppTest.from_function(page).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "['sgd', 'adadelta'] trajectories 0.9 0.0001 0.5"


def test_the_papers_grid_is_adadeltas_only_and_ascending():
    grid = sens.grid_for("adadelta", 30, "paper")
    assert grid["rho"].tolist() == [0.9, 0.95, 0.99]
    assert grid["eps"].tolist() == [1e-8, 1e-6, 1e-4, 1e-2]  # the heatmap needs ascending axes
    assert (
        sens.grid_for("sgd", 10, "paper")["lr"].tolist()
        == sweeps.default_grid("sgd", 10)["lr"].tolist()
    )
    assert sens.uses_paper_grid("adadelta", "paper") and not sens.uses_paper_grid("sgd", "paper")


def test_a_clicked_cell_loads_exactly_its_configuration_and_reproduces_its_value():
    """#15: a cell at ρ = 0.99859…, ε = 3.3e-4 loaded ρ = 0.999, ε = 5e-4 (the nearest
    slider values; its customdata was rounded too) and the run ended elsewhere. The run the
    cell loads must end at the cell's own value, bit for bit."""
    at = app({"steps": "100", "opt": "adadelta"})  # 50 × 50 cells: most are off the grids
    (cells,) = role(heat_spec(at), "cells", "adadelta")
    scene = scene_of({k: at.session_state[k] for k in at.session_state})[0]
    rho_opts = options_for(ov.optimizers.get("adadelta").hyperparam("rho"))
    eps_opts = options_for(ov.optimizers.get("adadelta").hyperparam("eps"))
    k = next(  # a cell off both sliders' grids
        i for i, (r, e) in enumerate(cells["customdata"]) if r not in rho_opts and e not in eps_opts
    )
    event = {
        "selection": {
            "points": [{"legendgroup": cells["legendgroup"], "customdata": cells["customdata"][k]}]
        }
    }
    new, message = sens.cell_scene(event, scene)
    sweep = sens.sweep_set(sens.swept_scene(scene), sens.DEFAULT_RESOLUTION).results["adadelta"]
    rho, eps = new.hp("adadelta")["rho"], new.hp("adadelta")["eps"]
    assert [rho, eps] == cells["customdata"][k]  # exactly the values the sweep ran
    i, j = list(sweep.grid["rho"]).index(rho), list(sweep.grid["eps"]).index(eps)
    assert float(new.run("adadelta").values[-1]) == float(sweep.final_value[i, j])
    assert "nearest" not in message and "beyond" not in message

    # the click's callback writes them into the controls, and the sliders show them
    def page(event):
        import streamlit as st

        import optviz as ov
        from optviz.ui import sensitivity as sens
        from optviz.ui.controls import _hyperparam_widget, settle_controls

        settle_controls()
        if "seeded" not in st.session_state:
            st.session_state["seeded"] = True
            st.session_state["optimizers"] = ["adadelta"]
            st.session_state["steps"] = 100
        st.session_state[sens.CHART_KEY] = event
        st.button("stands in for a click on a cell", on_click=sens._on_cell_select)
        for hp in ov.optimizers.get("adadelta").hyperparams:
            if hp.name != "lr":
                _hyperparam_widget("adadelta", hp)

    page_at = AppTest.from_function(page, default_timeout=60, args=(event,)).run()
    page_at.button[0].click().run()
    page_at.run()  # and it stays so on the next rerun
    assert not page_at.exception, page_at.exception
    assert page_at.select_slider(key="hp.adadelta.rho").value == rho
    assert page_at.select_slider(key="hp.adadelta.eps").value == eps
    shown = scene_of({k: page_at.session_state[k] for k in page_at.session_state})[0]
    assert shown.hp("adadelta") == new.hp("adadelta")
    assert float(shown.run("adadelta").values[-1]) == float(sweep.final_value[i, j])

    # and the link of that scene opens it exactly
    linked = app(
        {
            "steps": "100",
            "opt": "adadelta",
            "adadelta.rho": repr(rho),
            "adadelta.eps": repr(eps),
            "view": "trajectories",
        }
    )
    assert linked.select_slider(key="hp.adadelta.rho").value == rho
    assert linked.select_slider(key="hp.adadelta.eps").value == eps
    assert not linked.warning


def _as_number(label: str) -> float:
    """A colour-bar label ("10⁻³", "2e-5", "≥10²", "−5") as the number it names."""
    text = label.lstrip("≤≥").replace("−", "-")
    sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    if text.startswith("10") and len(text) > 2 and not text[2:].isdigit():
        return 10.0 ** int(text[2:].translate(sup))
    return float(text)


def _with_gaps(panel: Panel, gaps: np.ndarray) -> Panel:
    """``panel`` whose cells end at f − f_min = ``gaps`` (NaN: diverged)."""
    from dataclasses import replace

    r = panel.result
    f_min = r.f_min or 0.0
    diverged = np.isnan(gaps)
    result = replace(
        r,
        final_value=gaps + f_min,
        diverged=diverged,
        diverged_at=np.where(diverged, 3, -1),
    )
    return replace(panel, result=result)


@pytest.mark.parametrize("lo, hi", [(2e-5, 5e-5), (0.3, 0.9), (1e-3, 3e-3)])
def test_colour_bar_labels_are_true_values_within_a_decade(panels, lo, hi):
    """Less than a decade of f − f_min: the colour bar's ticks were plotly's own, the log10
    coordinates (−4.6, −4.4) shown as if they were f − f_min."""
    p = panels[0]
    gaps = np.geomspace(lo, hi, p.result.final_value.size).reshape(p.result.shape)
    spec = heatmap_figure([_with_gaps(p, gaps)], "final").to_dict()
    bar = spec["layout"]["coloraxis"]["colorbar"]
    assert len(bar["tickvals"]) >= 2
    for z, text in zip(bar["tickvals"], bar["ticktext"]):
        assert _as_number(text) == pytest.approx(10.0**z, rel=5e-3), (z, text)
        assert lo * 0.999 <= 10.0**z <= hi * 1.001


def test_one_outlier_does_not_flatten_the_colours_and_is_marked(panels):
    """One cell at 10⁴² made every other cell one colour: the range is clipped at the 99th
    percentile, the colour bar says so, the outlier is marked, diverged cells stay red."""
    p = panels[0]
    n = p.result.final_value.size
    gaps = np.geomspace(1e-8, 1.0, n)
    gaps[5], gaps[7] = 1e42, np.nan  # one outlier, one diverged
    spec = heatmap_figure([_with_gaps(p, gaps.reshape(p.result.shape))], "final").to_dict()
    axis = spec["layout"]["coloraxis"]
    assert axis["cmax"] < 1.0 and axis["cmin"] == pytest.approx(-8)  # 10⁰ at most, not 10⁴²
    assert "clipped" in axis["colorbar"]["title"]["text"]
    assert axis["colorbar"]["ticktext"][-1].startswith("≥")
    for z, text in zip(axis["colorbar"]["tickvals"], axis["colorbar"]["ticktext"]):
        assert _as_number(text) == pytest.approx(10.0**z, rel=5e-3), (z, text)
    (beyond,) = role(spec, "beyond")
    assert len(decode(beyond["x"])) == 1 and beyond["meta"]["side"] == "above"
    (red,) = role(spec, "diverged")
    assert np.nansum(decode(red["z"])) == 1  # the diverged cell, still shown as diverged
    # and without outliers nothing is clipped
    plain = heatmap_figure(
        [_with_gaps(p, np.geomspace(1e-8, 1.0, n).reshape(p.result.shape))], "final"
    ).to_dict()
    assert not role(plain, "beyond")
    assert "clipped" not in plain["layout"]["coloraxis"]["colorbar"]["title"]["text"]


def _text_px(text: str, font: float) -> float:
    """A generous estimate of a line's width in Arial: 0.6 em a character, tags left out."""
    import re

    return 0.6 * font * len(re.sub(r"<[^>]+>", "", text))


@pytest.mark.parametrize("presenter", [False, True])
def test_the_heatmaps_fit_a_1024_px_screen(panels, presenter):
    """At 1024 × 768 (the sidebar open, the chart 564 px wide) two panels' titles and x-axis
    titles ran into each other, and plotly's mode bar covered the legend."""
    from optviz.figures import Style

    notes = [replace_note(p, "0.22% solved · 0.44% diverged") for p in panels]
    spec = heatmap_figure(notes, "final", presenter=presenter).to_dict()
    layout = spec["layout"]
    font = (Style.presenter() if presenter else Style()).font
    width = 564 if not presenter else 864  # presenter mode folds the sidebar away
    plot = width - layout["margin"]["l"] - layout["margin"]["r"]
    left = layout["xaxis"]["domain"]
    right = next(
        layout[k]["domain"]
        for k in layout
        if k.startswith("xaxis") and k != "xaxis" and layout[k]["domain"][0] > left[1]
    )
    room = (right[0] - left[0]) * plot  # from one column's left edge to the next one's
    for n, a in enumerate(layout["annotations"], start=1):  # left panels' titles, by line
        if layout[f"xaxis{'' if n == 1 else n}"]["domain"][1] > left[1] + 1e-9:
            continue  # a right panel's, or a strip's at full width
        for line in a["text"].split("<br>"):
            assert _text_px(line, font + 1) < room, line
    for k, axis in layout.items():
        if k.startswith("xaxis") and axis["domain"][1] <= left[1] + 1e-9:
            for line in axis["title"]["text"].split("<br>"):
                assert _text_px(line, font) < room, line
    # the legend sits inside the figure, below a top margin that holds the mode bar
    assert layout["legend"]["yanchor"] == "top" and layout["legend"]["y"] == 1.0
    assert layout["margin"]["t"] >= 36


def replace_note(panel: Panel, note: str) -> Panel:
    from dataclasses import replace

    return replace(panel, note=note)
