"""The Streamlit app driven headlessly with AppTest: widgets in, rendered elements out."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz as ov
from optviz.figures import untyped as decode
from optviz.inspector import latex_number

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")


def fresh() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def trajectory_charts(at: AppTest) -> list:
    """The animated figure's component elements (the page shows one, or none)."""
    return [
        e for e in at.get("component_instance") if e.proto.component_name.endswith(".optviz_chart")
    ]


def chart_spec(at: AppTest) -> dict:
    """The figure the page sends to the browser: the component's ``spec`` argument."""
    (chart,) = trajectory_charts(at)
    return json.loads(json.loads(chart.proto.json_args)["spec"])


def path_of(spec: dict, legendgroup: str) -> np.ndarray:
    trace = next(
        t for t in spec["data"] if t.get("legendgroup") == legendgroup and t.get("showlegend")
    )
    return np.stack([decode(trace["x"]), decode(trace["y"])], axis=-1)


def lesson_titles(at: AppTest) -> list[str]:
    """The open lesson's title: the label of the box that holds its text."""
    return [e.label for e in at.expander if e.label.startswith("**Lesson ")]


def widget(at: AppTest, key: str):
    for kind in (
        "select_slider",
        "slider",
        "selectbox",
        "multiselect",
        "number_input",
        "toggle",
        "radio",
        "button",
    ):
        for w in getattr(at, kind):
            if w.key == key:
                return w
    for w in at.get("button_group"):  # segmented controls
        if w.key == key:
            return w
    raise KeyError(key)


@pytest.fixture(scope="module")
def app() -> AppTest:
    return fresh()


def test_the_default_page_renders(app):
    spec = chart_spec(app)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    assert legend == ["SGD", "Momentum", "ADAGRAD", "ADADELTA"]
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    # no plotly frames: the chart moves its cursor from the table of every step
    assert "frames" not in spec and "sliders" not in spec["layout"]
    table = spec["layout"]["meta"]["optvizCursor"]
    assert table["steps"] == 500 and decode(table["rows"]).tolist() == list(range(501))
    assert not app.error
    assert (
        "Rosenbrock" in str(widget(app, "objective").value)
        or widget(app, "objective").value == "rosenbrock"
    )


def test_the_default_adadelta_path_is_the_papers_method(app):
    spec = chart_spec(app)
    obj = ov.objectives.get("rosenbrock")
    expected = ov.run(obj, ov.optimizers.adadelta(rho=0.95, eps=1e-6), (-1.5, 2.0), 500)
    np.testing.assert_array_equal(path_of(spec, "adadelta"), expected.positions)


@pytest.mark.parametrize("name", ov.objectives.names())
def test_every_objective_can_be_selected(name):
    at = fresh()
    widget(at, "objective").set_value(name).run()
    assert not at.exception
    obj = ov.objectives.get(name)
    assert widget(at, "start_x").value == pytest.approx(obj.start[0])
    assert widget(at, "start_y").value == pytest.approx(obj.start[1])
    spec = chart_spec(at)
    assert spec["layout"]["xaxis"]["range"] == list(obj.bounds[0])
    assert [t["name"] for t in spec["data"] if t.get("showlegend")]


def test_every_optimizer_can_be_selected():
    at = fresh()
    widget(at, "optimizers").set_value(ov.optimizers.names()).run()
    assert not at.exception
    spec = chart_spec(at)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    assert legend == [ov.optimizers.get(k).display_name for k in ov.optimizers.names()]
    keys = {w.key for w in at.sidebar if w.key}
    for k in ov.optimizers.names():
        for hp in ov.optimizers.get(k).hyperparams:
            if k == "adadelta" and hp.name == "lr":
                assert f"hp.{k}.{hp.name}" not in keys  # hidden behind the advanced toggle
            else:
                assert f"hp.{k}.{hp.name}" in keys


@pytest.mark.parametrize(("key", "value"), [("hp.adadelta.rho", 0.9), ("hp.adadelta.eps", 1e-4)])
def test_changing_rho_or_eps_changes_the_adadelta_path(key, value):
    at = fresh()
    before = chart_spec(at)
    widget(at, key).set_value(value).run()
    assert not at.exception
    after = chart_spec(at)
    assert not np.array_equal(path_of(before, "adadelta"), path_of(after, "adadelta"))
    np.testing.assert_array_equal(path_of(before, "sgd"), path_of(after, "sgd"))
    hp = {"rho": 0.95, "eps": 1e-6, key.rsplit(".", 1)[1]: value}
    expected = ov.run(
        ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(**hp), (-1.5, 2.0), 500
    )
    np.testing.assert_array_equal(path_of(after, "adadelta"), expected.positions)


def test_the_library_variant_is_labelled():
    at = fresh()
    widget(at, "adadelta_variant").set_value(True).run()
    widget(at, "hp.adadelta.lr").set_value(0.5).run()
    assert not at.exception
    legend = [t["name"] for t in chart_spec(at)["data"] if t.get("showlegend")]
    assert "ADADELTA (library variant, η=0.5)" in legend
    assert any("not the paper's method" in w.value for w in at.warning)


def test_a_diverging_setting_shows_a_message_not_an_exception():
    at = fresh()
    widget(at, "hp.sgd.lr").set_value(1.0).run()
    assert not at.exception
    expected = ov.run(ov.objectives.get("rosenbrock"), ov.optimizers.sgd(lr=1.0), (-1.5, 2.0), 500)
    messages = [e.value for e in at.error]
    assert any(
        f"SGD** diverged at step {expected.diverged_at}" in m and "smaller learning rate" in m
        for m in messages
    ), messages
    cross = [t for t in chart_spec(at)["data"] if t.get("name") == "SGD diverged"]
    assert len(cross) == 1


def test_the_summary_table_writes_numbers_readably():
    """Himmelblau: SGD ends 7.9e-31 above the minimum, which a table must not print as
    0.0000000000000000000000000000007 (nor anything as a row of zeros)."""
    from optviz.numbers import table_number

    at = fresh()
    widget(at, "objective").set_value("himmelblau").run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe]
    obj = ov.objectives.get("himmelblau")
    sgd = ov.run(obj, ov.optimizers.sgd(lr=widget(at, "hp.sgd.lr").value), obj.start, 500)
    row = table[table["optimizer"].str.startswith("SGD")].iloc[0]
    gap = float(sgd.values[-1]) - obj.f_min
    assert 0 < gap < 1e-20
    assert row["final f − f_min"] == table_number(gap) == "7.89e-31"
    assert row["final x"] == table_number(sgd.positions[-1, 0])
    for column in ("final f − f_min", "best", "final x", "final y"):
        for cell in table[column]:
            assert isinstance(cell, str) and "0000" not in cell, (column, cell)
            assert cell == "0" or float(cell) != 0


def test_table_number_is_readable_scientific():
    from optviz.numbers import table_number

    assert table_number(7.000000001e-31) == "7e-31"
    assert table_number(0.0) == table_number(-0.0) == "0"
    assert table_number(1.23456e-5) == "1.23e-5"
    assert table_number(0.95) == "0.95"
    assert table_number(4.2e42) == "4.2e42"
    assert table_number(float("nan")) == "NaN"


def test_a_click_on_the_contour_sets_the_start_point():
    def page():
        import streamlit as st

        from optviz.ui.controls import apply_click, ensure_defaults

        ensure_defaults()  # every control has its value, as on the app's first run
        ignored = [
            apply_click(v)
            for v in (None, {"x": float("nan"), "y": 1.0}, {"x": "1", "y": 2}, {"y": 1.0})
        ]
        taken = apply_click({"x": 0.5, "y": -0.25, "at": 1700000000000})
        st.write(f"{ignored} {taken} {st.session_state.start_x} {st.session_state.start_y}")

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    assert not at.exception
    assert at.markdown[0].value == "[False, False, False, False] True 0.5 -0.25"


def test_a_click_on_the_contour_reruns_the_whole_app():
    """The chart is drawn by the view's fragment, but the start point it sets is shown in
    the sidebar too: its callback asks for a whole-app rerun."""

    def page():
        import streamlit as st

        from optviz.ui.controls import ensure_defaults
        from optviz.ui.trajectories import CHART_KEY, _on_chart_message

        st.session_state["app_runs"] = st.session_state.get("app_runs", 0) + 1
        ensure_defaults()
        st.session_state[CHART_KEY] = {"kind": "click", "x": 0.5, "y": -0.25, "at": 1700000000000}
        st.write(
            f"runs {st.session_state.app_runs} start {st.session_state.start_x} "
            f"{st.session_state.start_y}"
        )

        @st.fragment
        def view():
            st.button("stands in for a click on the chart", on_click=_on_chart_message)

        view()

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    at.button[0].click().run()
    assert not at.exception
    assert at.markdown[0].value == "runs 2 start 0.5 -0.25"


def test_a_rho_move_updates_the_chart_the_link_and_the_inspector():
    # (in the browser this reruns only the view's fragment: see test_browser.py)
    at = fresh()
    before = chart_spec(at)
    at.select_slider(key="hp.adadelta.rho").set_value(0.9).run()
    assert not at.exception
    assert not np.array_equal(path_of(before, "adadelta"), path_of(chart_spec(at), "adadelta"))
    assert query(at) == {"adadelta.rho": "0.9"}
    (shown,) = [m.value for m in at.markdown if "| quantity |" in m.value]
    assert r"= 0.9 \cdot" in shown  # E[g²] filled in with the new ρ


def test_the_page_pauses_for_the_browser_only_after_a_new_figure(monkeypatch):
    from optviz.ui import trajectories

    pauses = []
    monkeypatch.setattr(trajectories, "PICTURE_FIRST_S", 0.01)
    monkeypatch.setattr(trajectories, "FIRST_PICTURE_S", 0.02)
    monkeypatch.setattr(trajectories, "sleep", pauses.append)
    at = fresh()
    assert pauses == [0.02]  # the session's first figure: the browser makes its chart
    at.run()
    assert pauses == [0.02]  # the same figure: nothing new to draw, no pause
    at.select_slider(key="hp.adadelta.rho").set_value(0.9).run()
    assert pauses == [0.02, 0.01]
    widget(at, "inspect_step").set_value(7).run()  # the step moves: the same figure
    assert pauses == [0.02, 0.01]


def test_the_inspected_step_stays_when_the_number_of_steps_changes():
    at = fresh()
    assert widget(at, "inspect_step").value == 1  # the cursor at the start: the first move
    assert at.session_state["step"] == 0
    widget(at, "inspect_step").set_value(13).run()
    assert at.session_state["step"] == 13  # the one step cursor: the chart follows
    widget(at, "steps").set_value(510).run()  # a new range for the inspector's slider
    assert not at.exception
    assert widget(at, "inspect_step").value == 13
    widget(at, "steps").set_value(10).run()  # fewer steps than that: the last one
    assert widget(at, "inspect_step").value == 10
    assert widget(at, "inspect_step").max == 10


def test_the_step_inspector_shows_the_trajectorys_numbers():
    from optviz.numbers import table_number

    at = fresh()
    widget(at, "inspect_step").set_value(7).run()
    assert not at.exception
    chooser = next(b for b in at.get("button_group") if b.key == "inspect_key")
    assert chooser.value == "adadelta"  # ADADELTA first, when shown
    obj = ov.objectives.get("rosenbrock")
    traj = ov.run(obj, ov.optimizers.adadelta(), (-1.5, 2.0), 500)
    (shown,) = [m.value for m in at.markdown if "| quantity |" in m.value]
    table = shown[shown.index("| quantity |") :]
    for symbol, value in [
        ("g_t", traj.grads[6]),
        (r"\Delta x_t", traj.updates[6]),
        ("x_t", traj.positions[7]),
        (r"E[g^2]_{t}", traj.states.sq_grad_avg[7]),
        (r"E[\Delta x^2]_{t-1}", traj.states.sq_step_avg[6]),
    ]:
        row = next(line for line in table.splitlines() if line.startswith(f"| ${symbol}$"))
        assert f"| {table_number(value[0])} | {table_number(value[1])} |" in row, row
    # the x coordinate's equations, with the numbers filled in, above the table
    x_part = shown[shown.index("**x coordinate**") : shown.index("**y coordinate**")]
    rms = np.sqrt(traj.states.sq_grad_avg[7, 0] + 1e-6)
    assert any(
        latex_number(rms) in block and r"\mathrm{RMS}[g]_t" in block
        for block in x_part.split("$$")[1::2]
    )
    assert any("to the last bit" in c.value for c in at.caption)
    # another optimizer's numbers, one click away
    next(b for b in at.get("button_group") if b.key == "inspect_key").set_value("sgd").run()
    (table,) = [m.value for m in at.markdown if "| quantity |" in m.value]
    sgd = ov.run(obj, ov.optimizers.sgd(lr=1e-3), (-1.5, 2.0), 500)
    assert table_number(sgd.updates[6, 0]) in table


def test_an_optimizer_taken_out_and_back_keeps_its_settings():
    at = fresh()
    widget(at, "hp.adadelta.rho").set_value(0.9).run()
    widget(at, "adadelta_variant").set_value(True).run()
    widget(at, "optimizers").set_value(["sgd", "momentum"]).run()
    widget(at, "steps").set_value(100).run()  # a run or two without ADADELTA's sliders
    widget(at, "optimizers").set_value(["sgd", "momentum", "adadelta"]).run()
    assert not at.exception
    assert widget(at, "hp.adadelta.rho").value == 0.9
    assert widget(at, "adadelta_variant").value is True


def test_reset_restores_the_defaults():
    at = fresh()
    widget(at, "hp.adadelta.rho").set_value(0.9).run()
    widget(at, "objective").set_value("booth").run()
    widget(at, "steps").set_value(100).run()
    next(b for b in at.button if b.label == "Reset to defaults").click().run()
    assert not at.exception
    assert widget(at, "objective").value == "rosenbrock"
    assert widget(at, "hp.adadelta.rho").value == 0.95
    assert widget(at, "steps").value == 500
    assert (widget(at, "start_x").value, widget(at, "start_y").value) == (-1.5, 2.0)


def test_noise_is_offered_and_used():
    at = fresh()
    widget(at, "objective").set_value("noisy_quadratic").run()
    assert widget(at, "noise").value == 1.0
    spec_a = chart_spec(at)
    widget(at, "seed").set_value(3).run()
    spec_b = chart_spec(at)
    assert not np.array_equal(path_of(spec_a, "adadelta"), path_of(spec_b, "adadelta"))
    obj = ov.objectives.get("noisy_quadratic")
    expected = ov.run(obj, ov.optimizers.adadelta(), obj.start, 500, seed=3, noise=1.0)
    np.testing.assert_array_equal(path_of(spec_b, "adadelta"), expected.positions)


# --- settings in the URL -----------------------------------------------------------------

LINK = {
    "objective": "booth",
    "x0": "2.5",
    "y0": "-4",
    "steps": "120",
    "speed": "2×",
    "opt": "sgd,adadelta,adam",
    "sgd.lr": "0.05",
    "adadelta.rho": "0.9",
    "adadelta.eps": "0.0001",
    "adam.beta1": "0.8",
    "noise": "0.5",
    "seed": "7",
}


def query(at: AppTest) -> dict[str, str]:
    """The app's query parameters (AppTest keeps a dict of str or list of str)."""
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def with_query(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_sets_every_control():
    at = with_query(LINK)
    assert widget(at, "objective").value == "booth"
    assert (widget(at, "start_x").value, widget(at, "start_y").value) == (2.5, -4.0)
    assert widget(at, "steps").value == 120
    assert widget(at, "speed").value == "2×"
    assert widget(at, "optimizers").value == ["sgd", "adadelta", "adam"]
    assert widget(at, "hp.sgd.lr").value == 0.05
    assert widget(at, "hp.adadelta.rho").value == 0.9
    assert widget(at, "hp.adadelta.eps").value == 1e-4
    assert widget(at, "hp.adam.beta1").value == 0.8
    assert widget(at, "noise").value == 0.5
    assert widget(at, "seed").value == 7
    assert not at.warning
    # and the chart is that scene
    obj = ov.objectives.get("booth")
    expected = ov.run(
        obj, ov.optimizers.adadelta(rho=0.9, eps=1e-4), (2.5, -4.0), 120, noise=0.5, seed=7
    )
    np.testing.assert_array_equal(path_of(chart_spec(at), "adadelta"), expected.positions)


def test_the_url_round_trips_and_leaves_defaults_out():
    at = with_query(LINK)
    assert query(at) == LINK
    plain = fresh()
    assert query(plain) == {}  # nothing but defaults: a clean address
    widget(plain, "hp.adadelta.rho").set_value(0.99).run()
    assert query(plain) == {"adadelta.rho": "0.99"}
    widget(plain, "objective").set_value("beale").run()
    assert query(plain) == {"objective": "beale", "adadelta.rho": "0.99"}


@pytest.mark.parametrize(
    ("params", "key", "default"),
    [
        ({"objective": "nope"}, "objective", "rosenbrock"),
        ({"adadelta.rho": "7"}, "hp.adadelta.rho", 0.95),
        ({"adadelta.eps": "abc"}, "hp.adadelta.eps", 1e-6),
        ({"steps": "99999999"}, "steps", 500),
        ({"sgd.lr": "nan"}, "hp.sgd.lr", 1e-3),
        ({"x0": "1e308"}, "start_x", -1.5),
        ({"opt": "sgd,__import__"}, "optimizers", ["sgd", "momentum", "adagrad", "adadelta"]),
        ({"opt": "sgd,adadelta~1"}, "optimizers", ["sgd", "momentum", "adagrad", "adadelta"]),
        ({"opt": "sgd,nope~2"}, "optimizers", ["sgd", "momentum", "adagrad", "adadelta"]),
        ({"seed": "-3"}, "seed", 0),
        ({"noise": "1e9"}, "noise", 0.0),
    ],
)
def test_tampered_values_warn_and_fall_back_for_that_setting_only(params, key, default):
    at = with_query({**params, "adadelta.eps": params.get("adadelta.eps", "0.0001")})
    assert widget(at, key).value == default
    assert any("Ignored" in w.value for w in at.warning), [w.value for w in at.warning]
    if key != "hp.adadelta.eps":  # the good setting in the same link still applies
        assert widget(at, "hp.adadelta.eps").value == 1e-4
    assert chart_spec(at)["data"]


def test_a_link_with_many_bad_values_warns_once_listing_them_all():
    at = with_query({"steps": "abc", "seed": "-3", "noise": "1e9", "adadelta.rho": "7"})
    (box,) = at.warning
    assert box.value.count("Ignored") == 4
    for name in ("steps=abc", "seed=-3", "noise=1e9", "adadelta.rho=7"):
        assert f"`{name}`" in box.value


#: a tampered link: 20 settings the app refuses, each for its own reason
TAMPERED = {
    "objective": "nope",
    "x0": "1e308",
    "y0": "zz",
    "opt": "sgd,__import__",
    "steps": "abc",
    "speed": "9x",
    "noise": "1e9",
    "seed": "-3",
    "variant": "2",
    "presenter": "maybe",
    "lesson": "nope",
    "view": "nope",
    "scale": "99",
    "stretch": "3",
    "ghost": "sgd.zzz",
    "ghosts": "500",
    "adadelta.rho": "7",
    "adadelta.eps": "abc",
    "sgd.lr": "nan",
    "momentum.lr": "-1",
}


def test_a_tampered_link_gives_one_box_listing_every_ignored_setting():
    at = with_query(TAMPERED)
    (box,) = at.warning
    assert box.value.count("Ignored") == len(TAMPERED)
    for name, text in TAMPERED.items():
        assert f"`{name}={text}`" in box.value
    assert chart_spec(at)["data"]  # and the page still draws the defaults


# --- ghost paths and robustness demos ------------------------------------------------------


def test_ghost_paths_fan_out_one_hyperparameter():
    at = fresh()
    widget(at, "ghost").set_value("adadelta.rho").run()
    widget(at, "ghost_count").set_value(12).run()
    assert not at.exception
    ghosts = [t for t in chart_spec(at)["data"] if t.get("name", "").startswith("adadelta rho=")]
    assert len(ghosts) == 12
    rhos = [float(t["name"].split("=")[1]) for t in ghosts]
    assert rhos[0] == pytest.approx(0.5) and rhos[-1] == pytest.approx(0.9999, rel=1e-3)
    assert all(t["opacity"] < 0.5 for t in ghosts)  # faint, under the bold path
    # the ghost at rho = 0.5 is that configuration's path
    first = ghosts[0]
    expected = ov.run(
        ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(rho=0.5), (-1.5, 2.0), 500
    )
    np.testing.assert_allclose(decode(first["x"]), expected.positions[:, 0], rtol=1e-6)
    assert query(at) == {"ghost": "adadelta.rho", "ghosts": "12"}


def test_the_projector_theme_darkens_the_figure_and_the_page_and_goes_in_the_link():
    at = fresh()
    assert chart_spec(at)["layout"]["paper_bgcolor"] == "white"
    widget(at, "theme").set_value("projector").run()
    assert not at.exception
    layout = chart_spec(at)["layout"]
    assert layout["paper_bgcolor"] == ov.figures.PROJECTOR.paper
    assert layout["font"]["color"] == ov.figures.PROJECTOR.text
    assert query(at) == {"theme": "projector"}
    assert any("#0E1117" in h.proto.body for h in at.get("html"))  # the page's dark CSS
    # a link with the theme opens in it; a bad one is refused with a warning
    dark = with_query({"theme": "projector"})
    assert chart_spec(dark)["layout"]["paper_bgcolor"] == ov.figures.PROJECTOR.paper
    bad = with_query({"theme": "neon"})
    assert chart_spec(bad)["layout"]["paper_bgcolor"] == "white"
    assert any("theme=neon" in w.value for w in bad.warning)


def test_opening_a_lesson_keeps_the_theme():
    at = fresh()
    widget(at, "theme").set_value("projector").run()
    widget(at, "lesson").set_value("adagrad_decay").run()
    assert not at.exception
    assert at.session_state["theme"] == "projector"
    assert chart_spec(at)["layout"]["paper_bgcolor"] == ov.figures.PROJECTOR.paper


def test_the_next_lesson_keeps_presenter_mode():
    at = with_query({"presenter": "1"})
    widget(at, "lecture_next").click().run()
    assert not at.exception
    assert at.session_state["lesson"] == lessons.names()[0]
    assert at.session_state["presenter"] is True and widget(at, "presenter").value
    assert query(at)["presenter"] == "1"


def test_scaling_f_leaves_adadelta_nearly_in_place_and_breaks_sgd():
    at = fresh()
    widget(at, "scale_exp").set_value(2).run()
    assert not at.exception
    (info,) = [i.value for i in at.info if "Robustness demo" in i.value]
    assert "SGD** diverges" in info
    moved = float(info.split("**ADADELTA** ends ")[1].split(" ")[0])
    assert moved < 0.01
    spec = chart_spec(at)
    base = ov.run(ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(), (-1.5, 2.0), 500)
    scaled = path_of(spec, "adadelta")
    assert np.max(np.abs(scaled - base.positions)) == pytest.approx(moved, rel=0.5, abs=0.01)


def test_stretching_x_draws_paths_in_the_original_coordinates():
    at = fresh()
    widget(at, "stretch").set_value(10.0).run()
    assert not at.exception
    obj = ov.objectives.get("rosenbrock").stretched(10.0)
    run = ov.run(obj, ov.optimizers.adadelta(), (-15.0, 2.0), 500)
    drawn = path_of(chart_spec(at), "adadelta")
    np.testing.assert_allclose(drawn[:, 0], run.positions[:, 0] / 10.0, rtol=1e-12)
    np.testing.assert_array_equal(drawn[:, 1], run.positions[:, 1])
    assert any("x is measured in units 10× smaller" in i.value for i in at.info)


def test_the_inspector_gives_the_stretch_demo_in_the_optimizers_units():
    from optviz.numbers import table_number

    at = fresh()
    widget(at, "stretch").set_value(10.0).run()
    widget(at, "inspect_step").set_value(10).run()
    assert not at.exception
    run = ov.run(
        ov.objectives.get("rosenbrock").stretched(10.0), ov.optimizers.adadelta(), (-15.0, 2.0), 500
    )
    (shown,) = [m.value for m in at.markdown if "| quantity |" in m.value]
    t = 10  # the inspector's first step: x_{t-1}, Δx_t and x_t all in x' = 10·x
    for symbol, value in [
        ("x_{t-1}", run.positions[t - 1, 0]),
        (r"\Delta x_t", run.updates[t - 1, 0]),
        ("x_t", run.positions[t, 0]),
    ]:
        assert f"| ${symbol}$ |" in shown
        row = next(r for r in shown.splitlines() if r.startswith(f"| ${symbol}$ |"))
        assert row.split("|")[3].strip() == table_number(value), (symbol, row)
    assert any("the optimizers run in x′ = 10·x" in c.value for c in at.caption)


# --- custom formulas ------------------------------------------------------------------------


def custom_app(formula: str) -> AppTest:
    at = fresh()
    widget(at, "objective").set_value("custom").run()
    at.text_input(key="formula").set_value(formula).run()
    assert not at.exception, at.exception
    return at


def test_a_typed_formula_draws_its_contour_and_paths():
    at = custom_app("x^4 + y^2 - x*y")
    shown = [e.value for e in at.sidebar.markdown]
    assert any(v.startswith("$f(x, y) =") and "x^{4}" in v and "y^{2}" in v for v in shown), shown
    spec = chart_spec(at)
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png")
    assert spec["layout"]["xaxis"]["range"] == [-2.0, 2.0]
    obj = ov.formula.from_expression("x^4 + y^2 - x*y", bounds=((-2, 2), (-2, 2)))
    start = (widget(at, "start_x").value, widget(at, "start_y").value)
    expected = ov.run(obj, ov.optimizers.adadelta(), start, 500)
    np.testing.assert_array_equal(path_of(spec, "adadelta"), expected.positions)
    assert query(at)["f"] == "x^4 + y^2 - x*y" and query(at)["objective"] == "custom"


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('touch /tmp/optviz_pwned')",
        "x ** (9 ** 9 ** 9)",
        "z + 1",
        "x +",
        "().__class__",
    ],
)
def test_a_bad_formula_shows_the_message_and_the_page_keeps_working(formula):
    at = custom_app(formula)
    messages = [e.value for e in at.sidebar.get("alert")] + [e.value for e in at.error]
    assert messages, "the reason must be shown where the formula is typed"
    assert not trajectory_charts(at)
    assert any("formula in the sidebar cannot be used" in i.value for i in at.info)
    assert not pathlib.Path("/tmp/optviz_pwned").exists()
    # and a good formula afterwards works again
    at.text_input(key="formula").set_value("x^2 + y^2").run()
    assert not at.exception and trajectory_charts(at)


def test_a_link_carries_the_formula():
    at = with_query({"objective": "custom", "f": "sin(x) + y^2", "xmin": "-3", "x0": "1"})
    assert at.text_input(key="formula").value == "sin(x) + y^2"
    assert widget(at, "xmin").value == -3.0
    assert widget(at, "start_x").value == 1.0
    assert chart_spec(at)["layout"]["xaxis"]["range"] == [-3.0, 2.0]


def test_a_path_into_the_undefined_region_stops_with_a_message():
    at = custom_app("log(x) + y^2")
    widget(at, "start_x").set_value(0.5).run()
    widget(at, "hp.sgd.lr").set_value(1.0).run()
    assert not at.exception
    assert any(
        "SGD** stopped at step" in e.value and "not a real, finite number" in e.value
        for e in at.error
    )


# --- lessons and exports --------------------------------------------------------------------

from optviz import lessons  # noqa: E402


@pytest.mark.parametrize("key", lessons.names())
def test_each_lesson_loads_and_sets_the_controls_it_names(key):
    at = fresh()
    at.selectbox(key="lesson").set_value(key).run()
    assert not at.exception, at.exception
    s = lessons.get(key).scene
    assert widget(at, "optimizers").value == list(s.optimizers)
    assert widget(at, "steps").value == s.steps
    assert (widget(at, "start_x").value, widget(at, "start_y").value) == tuple(s.start)
    assert widget(at, "objective").value == s.objective  # a lesson's own function too
    if s.objective == "custom":
        assert at.text_input(key="formula").value == s.formula
    assert at.session_state["view"] == lessons.get(key).view
    for opt_key, items in s.hyperparams:
        for name, value in items:
            if opt_key == "adadelta" and name == "lr":
                continue
            assert widget(at, f"hp.{opt_key}.{name}").value == pytest.approx(value)
    count = lessons.stage_count(key)  # a lesson with follow-ups: which part of it
    part = f" · part 1 of {count}" if count > 1 else ""
    assert lesson_titles(at) == [
        f"**Lesson {lessons.names().index(key) + 1}: {lessons.get(key).title}**{part}"
    ]
    assert any("claim holds numerically" in c.value for c in at.caption)
    assert query(at)["lesson"] == key
    # a lesson in the Sensitivity or Network view: its box is the title, the view's
    # settings are folded (the picture starts on a projector's first screen)
    folded = [e for e in at.expander if e.label.startswith("This view's settings")]
    assert len(folded) == (lessons.get(key).view in ("sensitivity", "network"))
    assert not (folded and at.subheader)


def test_a_lessons_ghosts_are_drawn_in_their_optimizers_colour():
    at = fresh()
    at.selectbox(key="lesson").set_value("no_learning_rate").run()
    named = [t for t in chart_spec(at)["data"] if t.get("name", "").startswith("SGD η = ")]
    ghosts = [t for t in named if not t["name"].endswith(": end")]
    assert len(ghosts) == 5  # six rates, but the settings' own SGD is the bold path
    assert len(named) == 10  # each ends in a marker
    assert all(t["line"]["color"] == ov.figures.colour_of("sgd") for t in ghosts)
    assert all(t["opacity"] < 0.5 for t in ghosts)


def test_the_lesson_text_follows_the_sliders():
    at = fresh()
    at.selectbox(key="lesson").set_value("eps_warmup").run()
    before = next(m.value for m in at.markdown if "√" in m.value or "first step" in m.value)
    widget(at, "hp.adadelta.eps").set_value(1e-4).run()
    after = next(m.value for m in at.markdown if "√" in m.value or "first step" in m.value)
    assert before != after
    assert any("changed the lesson's settings" in c.value for c in at.caption)


def test_a_link_opens_a_lesson():
    at = with_query({"lesson": "units"})
    assert widget(at, "stretch").value == 10.0 and widget(at, "scale_exp").value == 0
    assert widget(at, "objective").value == "himmelblau"
    assert lesson_titles(at)[0].startswith("**Lesson 6:")


def test_the_lessons_view_lists_every_lesson_and_the_memory_table():
    at = with_query({"view": "lessons"})
    text = " ".join(m.value for m in at.markdown)
    for key in lessons.names():
        assert lessons.get(key).title in text
    (table,) = at.table
    rows = table.value.to_dict("records")
    assert {r["optimizer"]: r["values per parameter"] for r in rows}["ADADELTA"] == 2


def test_the_scene_can_be_exported():
    from optviz import export

    at = fresh()
    labels = [b.proto.label for b in at.get("download_button")]
    expected = ["Offline HTML animation", "Trajectories as CSV", "Trajectories as JSON"]
    if export.png_unavailable_reason() is None:
        expected.append("PNG of step 0 (the step cursor's)")
    else:  # the page says why, instead of a button that would fail
        assert any("PNG made on the server is not available" in c.value for c in at.caption)
    assert labels == expected


def test_without_a_png_renderer_the_page_says_why(monkeypatch):
    from optviz import export

    monkeypatch.setattr(
        export,
        "png_unavailable_reason",
        lambda: "PNG export needs a Chromium or Chrome on this machine",
    )
    at = fresh()
    labels = [b.proto.label for b in at.get("download_button")]
    assert not any(label.startswith("PNG") for label in labels)
    assert any(
        "needs a Chromium or Chrome" in c.value and "camera button" in c.value for c in at.caption
    )


def test_a_lesson_link_keeps_a_value_changed_back_to_the_global_default():
    at = fresh()
    at.selectbox(key="lesson").set_value("adagrad_decay").run()  # the lesson sets 2000 steps
    widget(at, "steps").set_value(500).run()  # 500 is the app's default, not the lesson's
    link = query(at)
    assert link["lesson"] == "adagrad_decay" and link["steps"] == "500"
    again = with_query(link)
    assert widget(again, "steps").value == 500
    assert widget(again, "objective").value == "himmelblau"


def test_the_chart_component_serves_its_own_copy_of_plotly():
    from optviz.ui import chart

    served = chart.served_directory()
    assert sorted(p.name for p in served.iterdir()) == [
        "PLOTLY-LICENSE",
        "chart.js",
        "index.html",
        "plotly-cartesian.min.js",
        "plotly-gl3d.min.js",
        "plotly.min.js",
    ]
    assert (served / "plotly.min.js").read_bytes() == chart.PLOTLY_JS.read_bytes()
    assert served.stat().st_mode & 0o077 == 0  # private: nobody else can plant a script
    page = (served / "index.html").read_text()
    script = (served / "chart.js").read_text()
    assert "http" not in page and "http" not in script  # no CDN
    assert 'href="plotly-cartesian.min.js"' in page
    # the partial bundles: plotly.js of the plotly package's own version, licence kept
    import plotly.offline

    version = plotly.offline.get_plotlyjs_version()
    for name, kind in [("plotly-cartesian.min.js", "cartesian"), ("plotly-gl3d.min.js", "gl3d")]:
        assert f'"{name}"' in script
        head = (served / name).read_text()[:200]
        assert f"plotly.js ({kind} - minified) v{version}" in head, head
        assert "Licensed under the MIT license" in head
    assert "MIT License" in (served / "PLOTLY-LICENSE").read_text()


def test_importing_the_app_changes_nothing_outside_it():
    """No directory is made and no garbage-collector state changed on import: both are
    the app's start-up, on its first run."""
    code = (
        "import gc, glob, tempfile, os\n"
        "import optviz.ui, optviz.ui.chart, optviz.ui.page\n"
        "mine = glob.glob(os.path.join(tempfile.gettempdir(), f'optviz-chart-{os.getpid()}-*'))\n"
        "print(gc.get_freeze_count(), len(mine))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]


def test_a_killed_servers_chart_directory_is_removed_by_the_next(tmp_path, monkeypatch):
    from optviz.ui import chart

    monkeypatch.setattr(chart.tempfile, "gettempdir", lambda: str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"optviz-chart-{int(gone.stdout)}-abc"
    alive = tmp_path / f"optviz-chart-{os.getppid()}-def"
    other = tmp_path / "optviz-chart-notes"
    for d in (dead, alive, other):
        d.mkdir()
        (d / "plotly.min.js").write_text("x")
    chart._remove_orphans()
    assert not dead.exists() and alive.exists() and other.exists()


def test_icons_come_from_the_bundled_material_font_not_emoji():
    """A classroom machine without an emoji font draws emoji as empty boxes; Streamlit
    ships the Material Symbols font, so every icon the app sets is one of those."""
    at = with_query({"steps": "abc", "view": "trajectories"})
    icons = [e.proto.icon for kind in ("warning", "error", "info") for e in getattr(at, kind)]
    icons += [e.proto.icon for e in at.expander if e.proto.icon]
    assert icons and all(i.startswith(":material/") for i in icons), icons


def test_a_lessons_follow_up_button_loads_its_next_scene_and_keeps_the_lesson():
    at = with_query({"lesson": "per_dimension"})
    at.button(key="follow.per_dimension.0").click().run()
    assert not at.exception
    assert widget(at, "objective").value == "rotated_ill_conditioned"
    assert at.session_state["lesson"] == "per_dimension"
    assert lesson_titles(at)[0].startswith("**Lesson 5:")
    # on the turned valley the button turns it back
    at.button(key="follow.per_dimension.0").click().run()
    assert widget(at, "objective").value == "ill_conditioned"


def test_the_default_scene_says_what_a_newcomer_is_looking_at():
    from optviz.numbers import fmt
    from optviz.scene import Scene
    from optviz.ui.compute import scene_paths
    from optviz.ui.trajectories import reading_text

    at = fresh()
    (caption,) = [c.value for c in at.caption if "Reading this picture" in c.value]
    scene = Scene()
    paths = scene_paths(scene)
    gaps = {p.key: float(p.trajectory.loss_gap[-1]) for p in paths}
    best = min(gaps, key=gaps.__getitem__)
    assert reading_text(scene, paths) in caption
    assert f"lowest final f − f_min: {ov.optimizers.get(best).display_name}" in caption
    assert f"ADADELTA ends at {fmt(gaps['adadelta'])}" in caption  # and why: its warm-up
    assert "√(ε/(1−ρ)) = 0.00447" in caption and "The **Lessons** tab" in caption
    # with a lesson open the lesson speaks instead
    at = with_query({"lesson": "units"})
    assert not any("Reading this picture" in c.value for c in at.caption)


def test_an_inspection_button_opens_the_step_inspector_where_the_text_points():
    from optviz.lessons.large_gradient import jump

    at = with_query({"lesson": "large_gradient"})
    at.button(key="inspect.large_gradient.0").click().run()
    assert not at.exception
    ad = lessons.get("large_gradient").scene.run("adadelta")
    step = jump(ad)[0] + 1
    assert widget(at, "inspect_step").value == step
    assert at.session_state["step"] == step  # the chart's cursor too
    (chart,) = trajectory_charts(at)
    args = json.loads(chart.proto.json_args)
    assert args["step"] == step and args["step_rev"] >= 1
    assert next(b for b in at.get("button_group") if b.key == "inspect_key").value == "adadelta"
    assert any(f"step {step}" in b.proto.label for b in at.button if b.key.startswith("inspect."))


# --- the one step cursor, and the lecture -----------------------------------------------------


def chart_args(at: AppTest) -> dict:
    (chart,) = trajectory_charts(at)
    return json.loads(chart.proto.json_args)


def test_a_link_opens_the_chart_and_the_inspector_at_its_step():
    at = with_query({"step": "37"})
    assert at.session_state["step"] == 37
    assert widget(at, "inspect_step").value == 37
    assert chart_args(at)["step"] == 37
    assert query(at)["step"] == "37"  # and the address keeps it
    # a step past the run's end shows the last step; a bad one is refused, once
    at = with_query({"step": "4999", "steps": "100"})
    assert widget(at, "inspect_step").value == 100 and chart_args(at)["step"] == 100
    at = with_query({"step": "-3"})
    assert any("Ignored `step=-3`" in w.value for w in at.warning)
    assert at.session_state["step"] == 0 and "step" not in query(at)


def test_the_inspectors_step_moves_the_chart_and_the_address():
    at = fresh()
    rev = chart_args(at)["step_rev"]
    widget(at, "inspect_step").set_value(12).run()
    args = chart_args(at)
    assert args["step"] == 12 and args["step_rev"] == rev + 1  # a new step for the chart
    assert query(at)["step"] == "12"
    assert widget(at, "inspect_step").value == 12


def test_the_chart_s_step_reaches_the_inspector():
    def page():
        import streamlit as st

        from optviz.ui.controls import ensure_defaults
        from optviz.ui.trajectories import CHART_KEY, _on_chart_message

        ensure_defaults()
        st.session_state.setdefault("step", 0)
        st.session_state.setdefault("_step_rev", 0)
        st.session_state[CHART_KEY] = {"kind": "step", "step": 42, "at": 1}
        st.write(f"step {st.session_state.step} rev {st.session_state._step_rev}")
        st.button("the chart speaks", on_click=_on_chart_message)

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    at.button[0].click().run()
    assert not at.exception
    # the step is the chart's: it is not sent back as a new one (the revision stays)
    assert at.markdown[0].value == "step 42 rev 0"


def test_the_chart_s_lesson_keys_open_the_next_and_previous_lesson():
    def page():
        import streamlit as st

        from optviz.ui.controls import ensure_defaults
        from optviz.ui.trajectories import CHART_KEY, _on_chart_message

        ensure_defaults()
        st.session_state.setdefault("step", 5)
        delta = 1 if st.session_state.get("n", 0) < 2 else -1
        st.session_state[CHART_KEY] = {"kind": "lesson", "delta": delta, "at": 1}
        st.write(f"lesson {st.session_state.get('lesson', '')} step {st.session_state.step}")

        def speak():
            st.session_state["n"] = st.session_state.get("n", 0) + 1
            _on_chart_message()

        st.button("the chart speaks", on_click=speak)

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    names = lessons.names()
    at.button[0].click().run()
    assert at.markdown[0].value == f"lesson {names[0]} step 0"  # the first, at its start
    at.button[0].click().run()
    assert at.markdown[0].value == f"lesson {names[1]} step 0"
    at.button[0].click().run()  # back
    assert at.markdown[0].value == f"lesson {names[0]} step 0"


def test_the_lecture_buttons_go_through_the_lessons_in_order():
    at = fresh()
    names = lessons.names()
    widget(at, "lecture_next").click().run()
    assert not at.exception
    assert at.session_state["lesson"] == names[0]
    assert widget(at, "lecture_back").proto.disabled  # the first lesson: nothing before
    assert lesson_titles(at)[0].startswith("**Lesson 1:")
    widget(at, "lecture_next").click().run()
    assert at.session_state["lesson"] == names[1]
    assert widget(at, "objective").value == lessons.get(names[1]).scene.objective
    assert lesson_titles(at)[0].startswith("**Lesson 2:")
    widget(at, "lecture_back").click().run()
    assert at.session_state["lesson"] == names[0]
    # the picker names the lesson's place in the lecture
    assert widget(at, "lesson").format_func(names[0]).startswith(f"1/{len(names)}. ")


def test_the_lecture_walks_through_a_lessons_follow_ups_and_back_exactly():
    at = with_query({"lesson": "per_dimension", "step": "40"})
    lesson = lessons.get("per_dimension")
    own = lesson.scene
    turned = lesson.follow_ups[0].scene(own)
    assert "next: Turn the valley by 45°" in widget(at, "lecture_next").proto.help
    assert widget(at, "lesson").format_func("per_dimension") == (
        "5/12 · part 1 of 2. One step size per dimension"
    )
    widget(at, "lecture_next").click().run()  # the follow-up, not lesson 6
    assert not at.exception
    assert at.session_state["lesson"] == "per_dimension"
    assert at.session_state["lecture_stage"] == 1
    assert widget(at, "objective").value == turned.objective == "rotated_ill_conditioned"
    assert (widget(at, "start_x").value, widget(at, "start_y").value) == tuple(turned.start)
    assert at.session_state["step"] == 0 and chart_args(at)["step"] == 0
    assert widget(at, "lesson").format_func("per_dimension").startswith("5/12 · part 2 of 2. ")
    assert lesson_titles(at) == ["**Lesson 5: One step size per dimension** · part 2 of 2"]
    assert any(m.value == f"**Follow-up:** {lesson.follow_ups[0].label}" for m in at.markdown)
    assert "next lesson: 6/12. Units" in widget(at, "lecture_next").proto.help
    assert "back: 5/12. One step size per dimension, as it opens" in (
        widget(at, "lecture_back").proto.help
    )
    assert query(at) == {"lesson": "per_dimension", "stage": "1"}
    widget(at, "lecture_next").click().run()  # then the next lesson, at its start
    assert at.session_state["lesson"] == "units" and at.session_state["lecture_stage"] == 0
    assert widget(at, "objective").value == lessons.get("units").scene.objective
    assert "after “Turn the valley" in widget(at, "lecture_back").proto.help
    widget(at, "lecture_back").click().run()  # back: the follow-up's scene again
    assert (at.session_state["lesson"], at.session_state["lecture_stage"]) == ("per_dimension", 1)
    assert widget(at, "objective").value == "rotated_ill_conditioned"
    widget(at, "hp.adadelta.rho").set_value(0.5).run()  # a change, then back: the stage before
    widget(at, "lecture_back").click().run()
    assert (at.session_state["lesson"], at.session_state["lecture_stage"]) == ("per_dimension", 0)
    assert widget(at, "objective").value == own.objective
    assert widget(at, "hp.adadelta.rho").value == own.hp("adadelta")["rho"]
    assert query(at) == {"lesson": "per_dimension"}
    assert any("its claim holds numerically" in c.value for c in at.caption)


def test_the_chart_s_n_key_walks_the_follow_ups_too():
    def page():
        import streamlit as st

        from optviz.ui.controls import ensure_defaults
        from optviz.ui.trajectories import CHART_KEY, _on_chart_message

        ensure_defaults()
        if "lesson" not in st.session_state or st.session_state.get("lesson") == "":
            st.session_state["lesson"] = "the_price"
        st.session_state[CHART_KEY] = {"kind": "lesson", "delta": 1, "at": 1}
        stage = st.session_state.get("lecture_stage", 0)
        st.write(f"{st.session_state.lesson} {stage} {st.session_state.objective}")
        st.button("N", on_click=_on_chart_message)

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    at.button[0].click().run()
    assert not at.exception
    follow = lessons.get("the_price").follow_ups[0].scene(lessons.get("the_price").scene)
    assert at.markdown[0].value == f"the_price 1 {follow.objective}"
    at.button[0].click().run()
    assert at.markdown[0].value.startswith("paper_experiment 0 ")


def test_a_link_reopens_the_lecture_at_a_follow_up_and_step():
    at = with_query({"lesson": "the_price", "stage": "1", "step": "25"})
    assert not at.warning
    lesson = lessons.get("the_price")
    follow = lesson.follow_ups[0].scene(lesson.scene)
    assert at.session_state["lecture_stage"] == 1
    assert widget(at, "objective").value == follow.objective
    assert widget(at, "steps").value == follow.steps
    assert widget(at, "hp.adadelta.eps").value == follow.hp("adadelta")["eps"]
    assert at.session_state["step"] == 25
    assert query(at) == {"lesson": "the_price", "stage": "1", "step": "25"}
    assert "next lesson: 12/12." in widget(at, "lecture_next").proto.help
    assert lesson_titles(at) == ["**Lesson 11: The price: oscillation and memory** · part 2 of 2"]
    assert any("follow-up's settings" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"lesson": "per_dimension", "stage": "2"}, "from 0 to 1 is needed"),
        ({"lesson": "per_dimension", "stage": "x"}, "from 0 to 1 is needed"),
        ({"lesson": "saddle", "stage": "1"}, "has only stage 0"),
        ({"stage": "1"}, "a stage needs a lesson"),
    ],
)
def test_a_bad_stage_in_a_link_warns_once_and_opens_the_lesson_as_it_opens(params, says):
    at = with_query(params)
    (box,) = [w for w in at.warning if "from the link" in w.value]  # (the saddle has its own)
    assert box.value.count("Ignored") == 1 and f"`stage={params['stage']}`" in box.value
    assert says in box.value
    assert at.session_state["lecture_stage"] == 0
    assert "stage" not in query(at)
    if "lesson" in params:
        assert widget(at, "objective").value == lessons.get(params["lesson"]).scene.objective


def test_the_agenda_lists_the_lecture_and_marks_where_it_is_and_what_was_seen():
    at = with_query({"view": "lessons"})
    assert widget(at, "agenda_start").proto.label == "Start the lecture"
    text = [m.value for m in at.markdown]
    assert not any("you are here" in t for t in text) and not any("✓" in t for t in text)
    for i, key in enumerate(lessons.names(), 1):
        lesson = lessons.get(key)
        assert any(t.startswith(f"**{i}. {lesson.title}** — {lesson.claim}") for t in text)
        for j, follow in enumerate(lesson.follow_ups, 1):
            assert any(f"follow-up {i}.{j}:* {follow.label}" in t for t in text)
            assert widget(at, f"open_{key}.{j}").proto.label == "Open"
    widget(at, "agenda_start").click().run()
    assert at.session_state["lesson"] == lessons.names()[0]
    for _ in range(5):  # lessons 1-5, then lesson 5's follow-up
        widget(at, "lecture_next").click().run()
    assert (at.session_state["lesson"], at.session_state["lecture_stage"]) == ("per_dimension", 1)
    widget(at, "view").set_value("lessons").run()
    assert not at.exception
    text = [m.value for m in at.markdown]
    here = [t for t in text if "you are here" in t]
    assert len(here) == 1 and "follow-up 5.1:* Turn the valley" in here[0]
    ticked = [t for t in text if t.startswith(":green[**✓**] **")]
    assert [t.split("**")[3].split(".")[0] for t in ticked] == ["1", "2", "3", "4", "5"]
    assert widget(at, "agenda_continue").proto.label == (
        "Continue: 5/12. One step size per dimension · part 2"
    )
    widget(at, "open_units.1").click().run()  # a follow-up opened from the agenda
    assert (at.session_state["lesson"], at.session_state["lecture_stage"]) == ("units", 1)
    assert widget(at, "stretch").value == 0.1  # x measured the other way round
    assert at.session_state["view"] == "trajectories"
    widget(at, "view").set_value("lessons").run()
    widget(at, "agenda_continue").click().run()  # back to the lesson, nothing reset
    assert at.session_state["view"] == "trajectories"
    assert (at.session_state["lesson"], at.session_state["lecture_stage"]) == ("units", 1)
    assert widget(at, "stretch").value == 0.1


def test_a_follow_up_button_moves_the_lectures_place_too():
    at = with_query({"lesson": "per_dimension"})
    at.button(key="follow.per_dimension.0").click().run()
    assert at.session_state["lecture_stage"] == 1
    assert query(at) == {"lesson": "per_dimension", "stage": "1"}
    at.button(key="follow.per_dimension.0").click().run()  # turned back: as it opens
    assert at.session_state["lecture_stage"] == 0
    assert query(at) == {"lesson": "per_dimension"}


def _unescaped(markdown: str, marker: str) -> bool:
    """Whether ``marker`` (e.g. ``**``) occurs in ``markdown`` outside a code span and not
    backslash-escaped, where Markdown would read it as emphasis."""
    import re

    outside = re.sub(r"(`+).*?\1", "", markdown)
    return re.search(r"(?<!\\)" + re.escape(marker[0]) * len(marker), outside) is not None


def test_messages_quoting_the_users_text_are_not_read_as_markdown():
    """A refused formula's message and a link's warning keep the user's ``**`` (power):
    Markdown must not eat it as bold."""
    from optviz.ui.markup import escape

    at = custom_app("x**2 if y else 1")
    (alert,) = at.sidebar.error
    message = str(alert.value)
    assert "** works too" in message.replace("\\", "")  # the message quotes `**`
    assert not _unescaped(message, "**"), message
    assert escape("x**2 _a_ $b$ <i>") == r"x\*\*2 \_a\_ \$b\$ \<i\>"

    at = with_query({"objective": "custom", "f": "x**2 if y**2 else 1", "steps": "`a`**b**"})
    (box,) = at.warning
    assert not _unescaped(box.value, "**"), box.value
    assert "``steps=`a`**b**``" in box.value  # the text as typed, in a code span


@pytest.mark.parametrize("lesson", ["insensitive", "paper_experiment"])  # Sensitivity, Network
@pytest.mark.parametrize("bad", [{"formula": "   "}, {"formula": "x^2", "xmin": 3.0}])
def test_an_empty_or_refused_formula_is_said_plainly_in_every_view(lesson, bad):
    """An empty formula (or an impossible window) with a lesson open in any view: a
    message saying what is wrong, never 'Something went wrong' and a traceback."""
    at = with_query({"lesson": lesson})
    widget(at, "objective").set_value("custom").run()
    for key, value in bad.items():
        if key == "formula":
            at.text_input(key="formula").set_value(value).run()
        else:
            widget(at, key).set_value(value).run()
    assert not at.exception
    shown = [e.value for kind in ("error", "info", "warning") for e in getattr(at, kind)]
    assert not any("Something went wrong" in m for m in shown), shown
    assert not [e for e in at.expander if "Details for the developers" in e.label]
    assert any("formula is empty" in m or "range" in m for m in shown), shown


def test_a_steep_bounded_formula_is_not_called_unbounded_below():
    """(x² + y²)¹⁰⁰ has its minimum 0 at the origin; SGD's first gradient (~7e47) throws
    it out: the message says the function is steep, not unbounded below."""
    at = custom_app("(x^2+y^2)^100")
    shown = [e.value for kind in ("error", "warning") for e in getattr(at, kind)]
    sgd = [m for m in shown if m.startswith("**SGD**")]
    assert sgd and "gradient is huge" in sgd[0] and "steep" in sgd[0], shown
    assert not any("unbounded below" in m and "not a sign" not in m for m in shown), shown


def test_an_unbounded_formula_is_still_called_unbounded_below():
    at = custom_app("-x^2 - y^2")
    assert any(
        m.value.startswith("**Momentum**") and "unbounded below" in m.value for m in at.warning
    ), [m.value for m in at.warning]


def _expanded(at: AppTest, label: str) -> bool:
    (box,) = [e for e in at.expander if e.label == label]
    return bool(box.proto.expanded)


def test_the_robustness_demos_stay_open_while_used():
    """Moving k to 2 and back to 0 (or choosing a ghost fan and then "off") keeps the
    expander open: it folded shut as k came back to 0."""
    at = fresh()
    assert not _expanded(at, "Robustness demos")
    widget(at, "scale_exp").set_value(2).run()
    assert _expanded(at, "Robustness demos")
    widget(at, "scale_exp").set_value(0).run()
    assert not at.exception and _expanded(at, "Robustness demos")
    widget(at, "stretch").set_value(10.0).run()
    widget(at, "stretch").set_value(1.0).run()
    assert _expanded(at, "Robustness demos")
    widget(at, "ghost").set_value("adadelta.rho").run()
    widget(at, "ghost").set_value("").run()
    assert _expanded(at, "Ghost paths")
    assert _expanded(with_query({"scale": "1"}), "Robustness demos")  # a link's k opens it


#: characters a browser draws with an emoji font (an empty box without one): everything
#: from U+1F000 on, the emoji variation selector, and the BMP's emoji-presentation ones
_EMOJI_BMP = set(
    "⌚⌛⏩⏪⏫⏬⏰⏳◽◾☔☕♿⚓⚡⚪⚫⚽⚾⛄⛅⛎⛔⛪⛲⛳⛵⛺⛽✅✊✋✨❌❎❓❔❕❗➕➖➗➰➿⬛⬜⭐⭕"
)


def _is_emoji(ch: str) -> bool:
    return ord(ch) >= 0x1F000 or ch == "\ufe0f" or ch in _EMOJI_BMP or "♈" <= ch <= "♓"


def test_the_app_shows_no_emoji_and_its_page_icon_is_an_image(monkeypatch):
    """No emoji in the app's text (labels, buttons, messages: a classroom machine without
    an emoji font draws empty boxes), and the tab's icon is an image Streamlit serves
    itself (a material page icon is fetched from fonts.gstatic.com)."""
    import ast

    import streamlit as st

    root = pathlib.Path(APP).parent
    for path in [pathlib.Path(APP), *sorted((root / "optviz" / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found = [ch for ch in node.value if _is_emoji(ch)]
                assert not found, (path.name, node.lineno, found)
    calls = []
    real = st.set_page_config
    monkeypatch.setattr(st, "set_page_config", lambda **kw: calls.append(kw) or real(**kw))
    at = fresh()
    from PIL import Image

    assert calls and all(isinstance(kw["page_icon"], Image.Image) for kw in calls)
    assert {kw["page_icon"].size for kw in calls} == {(32, 32)}
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert "Export this scene (offline HTML for slides, CSV, JSON, PNG)" in labels


def _contour_bar(spec: dict) -> dict:
    (bar,) = [t for t in spec["data"] if (t.get("marker") or {}).get("showscale")]
    return bar["marker"]["colorbar"]


def test_a_typed_formula_gets_log_levels_when_its_values_span_many_decades():
    """(x² + y²)¹⁰⁰ spans 90 decades over the window: on linear levels all but the middle
    was one white band. Its levels are now logarithmic, labelled in true values; a formula
    of a few units keeps linear levels."""
    at = custom_app("(x^2+y^2)^100")
    bar = _contour_bar(chart_spec(at))
    assert bar["title"]["text"] == "f − lowest f in view"
    assert len(bar["tickvals"]) >= 3
    assert bar["ticktext"][-1].startswith("1e")  # ticks in f's own units, up to 1e80 or so
    at.text_input(key="formula").set_value("x^4 + y^2 - x*y").run()
    assert _contour_bar(chart_spec(at))["title"]["text"] == "f"


def test_a_typed_formula_gets_a_window_that_shows_its_minimum():
    """(x − 10)² + (y − 10)² kept the (−2, 2)² window, its minimum far outside: the window
    now follows the formula, unless the user chose one."""
    at = custom_app("(x-10)^2 + (y-10)^2")
    assert [widget(at, k).value for k in ("xmin", "xmax", "ymin", "ymax")] == [-20, 20, -20, 20]
    assert chart_spec(at)["layout"]["xaxis"]["range"] == [-20.0, 20.0]
    at.text_input(key="formula").set_value("x^4 + y^2").run()  # its minimum is in (−2, 2)²
    assert [widget(at, k).value for k in ("xmin", "xmax")] == [-2, 2]
    widget(at, "xmax").set_value(3.0).run()  # the user's window stays
    at.text_input(key="formula").set_value("(x-10)^2 + (y-10)^2").run()
    assert widget(at, "xmax").value == 3.0
    from optviz.formula import from_expression, suggest_bounds

    box = ((-2.0, 2.0), (-2.0, 2.0))
    assert suggest_bounds(from_expression("-x^2 - y^2", bounds=box), box) == box  # no minimum


# --- several runs of one optimizer -----------------------------------------------------


def legend_names(at: AppTest) -> dict[str, str]:
    return {t["legendgroup"]: t["name"] for t in chart_spec(at)["data"] if t.get("showlegend")}


def test_another_run_of_adadelta_has_its_own_settings_path_label_and_link():
    at = fresh()
    widget(at, "add_run.adadelta").click().run()
    assert not at.exception
    assert at.session_state["optimizers"] == [
        "sgd",
        "momentum",
        "adagrad",
        "adadelta",
        "adadelta~2",
    ]
    assert widget(at, "hp.adadelta~2.rho").value == 0.95  # a copy of the first's settings
    before = chart_spec(at)
    np.testing.assert_array_equal(path_of(before, "adadelta~2"), path_of(before, "adadelta"))
    widget(at, "hp.adadelta~2.rho").set_value(0.9).run()
    assert not at.exception
    after = chart_spec(at)
    np.testing.assert_array_equal(path_of(after, "adadelta"), path_of(before, "adadelta"))
    expected = ov.run(
        ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(rho=0.9), (-1.5, 2.0), 500
    )
    np.testing.assert_array_equal(path_of(after, "adadelta~2"), expected.positions)
    names = legend_names(at)
    assert names["adadelta"] == "ADADELTA (ρ=0.95)" and names["adadelta~2"] == "ADADELTA (ρ=0.9)"
    assert query(at) == {"opt": "sgd,momentum,adagrad,adadelta,adadelta~2", "adadelta~2.rho": "0.9"}
    rows = at.dataframe[0].value["optimizer"].tolist() if at.dataframe else []
    assert "ADADELTA (ρ=0.9)" in rows
    # the step inspector offers it by its label, and shows its numbers
    assert "ADADELTA (ρ=0.9)" in [str(o) for o in widget(at, "inspect_key").options]
    at.text_input(key="label.adadelta~2").input("  slow <forgetting> ").run()
    assert legend_names(at)["adadelta~2"] == "slow ‹forgetting›"
    assert query(at)["adadelta~2.label"] == "slow ‹forgetting›"
    widget(at, "remove_run.adadelta~2").click().run()
    assert not at.exception
    assert at.session_state["optimizers"] == ["sgd", "momentum", "adagrad", "adadelta"]
    assert "adadelta~2" not in legend_names(at)


def test_a_link_opens_two_runs_of_one_optimizer_with_their_labels():
    at = with_query(
        {
            "opt": "adadelta,adadelta~2,adadelta~3",
            "adadelta~2.rho": "0.99",
            "adadelta~3.label": "third",
        }
    )
    assert not at.warning, [w.value for w in at.warning]
    names = legend_names(at)
    assert names == {
        "adadelta": "ADADELTA (ρ=0.95)",
        "adadelta~2": "ADADELTA (ρ=0.99)",
        "adadelta~3": "third",
    }
    assert widget(at, "hp.adadelta~3.rho").value == 0.95  # unset: the first run's value
    assert query(at) == {
        "opt": "adadelta,adadelta~2,adadelta~3",
        "adadelta~2.rho": "0.99",
        "adadelta~3.label": "third",
    }


def test_compare_with_the_untransformed_run_draws_the_original_beside_the_scaled():
    at = fresh()
    assert widget(at, "compare_untransformed").disabled  # nothing is transformed yet
    widget(at, "scale_exp").set_value(2).run()
    widget(at, "compare_untransformed").click().run()
    assert not at.exception
    chosen = at.session_state["optimizers"]
    assert len(chosen) == 8 and at.session_state["untransformed"] == [k for k in chosen if "~" in k]
    names = legend_names(at)
    assert names["sgd~2"] == "SGD (untransformed)"
    assert names["adadelta~2"] == "ADADELTA (untransformed)"
    spec = chart_spec(at)
    original = ov.run(ov.objectives.get("rosenbrock"), ov.optimizers.adadelta(), (-1.5, 2.0), 500)
    np.testing.assert_array_equal(path_of(spec, "adadelta~2"), original.positions)
    scaled = ov.run(
        ov.objectives.get("rosenbrock").scaled(100.0), ov.optimizers.adadelta(), (-1.5, 2.0), 500
    )
    np.testing.assert_array_equal(path_of(spec, "adadelta"), scaled.positions)
    assert "orig" in query(at)
    (info,) = [i.value for i in at.info if "Robustness demo" in i.value]
    assert "untransformed runs are drawn beside them" in info
    assert "**SGD (untransformed)**" not in info  # the comparison is of the transformed runs
    widget(at, "drop_untransformed").click().run()
    assert at.session_state["optimizers"] == ["sgd", "momentum", "adagrad", "adadelta"]


def test_the_arrows_toggle_draws_them_keeps_them_in_the_link_and_lessons_open_with_them():
    at = fresh()
    arrows = lambda a: [t for t in chart_spec(a)["data"] if t.get("legendgroup") == "arrows"]  # noqa: E731
    assert not arrows(at)
    widget(at, "arrows").set_value(True).run()
    assert not at.exception
    drawn = arrows(at)
    assert len(drawn) == 1 + 2 * 4 + 1  # the legend entry, Δx and −η·g each, momentum's v
    assert query(at) == {"arrows": "1"}
    lesson = with_query({"lesson": "per_dimension"})
    assert widget(lesson, "arrows").value is True
    assert arrows(lesson)
    assert "arrows" not in query(lesson)  # the lesson's own presentation: left out


def test_the_3d_toggle_draws_the_surface_and_keeps_it_in_the_link():
    at = fresh()
    kinds = lambda a: {t["type"] for t in chart_spec(a)["data"]}  # noqa: E731
    assert "surface" not in kinds(at)
    widget(at, "surface").set_value(True).run()
    assert not at.exception
    assert {"surface", "scatter3d"} <= kinds(at)
    assert "scene" in chart_spec(at)["layout"]
    assert query(at) == {"surface": "1"}
    widget(at, "surface").set_value(False).run()
    assert "surface" not in kinds(at) and "surface" not in query(at)
    linked = with_query({"surface": "1", "step": "3"})
    assert widget(linked, "surface").value is True
    assert "surface" in kinds(linked)
    bad = with_query({"surface": "maybe"})
    assert widget(bad, "surface").value is False
    assert any("surface" in w.value for w in bad.warning)


def test_the_chart_s_key_3_turns_the_3d_view_on_and_off():
    def page():
        import streamlit as st

        from optviz.ui.controls import ensure_defaults
        from optviz.ui.trajectories import CHART_KEY, _on_chart_message

        ensure_defaults()
        st.session_state.setdefault("step", 0)
        on = not st.session_state.get("surface", False)
        st.session_state[CHART_KEY] = {"kind": "surface", "on": on, "step": 7, "at": 1}
        st.write(f"surface {st.session_state.surface} step {st.session_state.step}")
        st.button("the chart's key 3", on_click=_on_chart_message)

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "surface False step 0"
    at.button[0].click().run()
    assert not at.exception
    assert at.markdown[0].value == "surface True step 7"  # on, at the chart's step
    at.button[0].click().run()
    assert at.markdown[0].value == "surface False step 7"
