"""The figure builders, tested without Streamlit: structure, frames, payload, contents."""

from __future__ import annotations

import base64
import itertools
import json
import os
import struct
import zlib

import numpy as np
import plotly.io as pio
import pytest

import optviz as ov
from optviz import figures
from optviz.figures import PathView, frame_steps, left_bounds_at, trajectory_figure
from optviz.figures import untyped as decode

DEFAULT_HP = {
    "sgd": {"lr": 1e-3},
    "momentum": {"lr": 1e-3, "beta": 0.9},
    "adagrad": {"lr": 0.05},
    "adadelta": {},
}


def scene(objective="rosenbrock", hp=None, steps=500, start=None):
    obj = ov.objectives.get(objective)
    hp = DEFAULT_HP if hp is None else hp
    paths = []
    for key, values in hp.items():
        spec = ov.optimizers.get(key)
        traj = ov.run(obj, spec.build(**values), start or obj.start, steps)
        paths.append(PathView(key, spec.display_name, spec, traj))
    return obj, paths


def png_size(data_uri):
    raw = base64.b64decode(data_uri.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", raw[16:24])
    return width, height, raw


@pytest.fixture(scope="module")
def default_figure():
    obj, paths = scene()
    return obj, paths, trajectory_figure(obj, paths)


def test_trace_kinds_and_counts(default_figure):
    _obj, paths, fig = default_figure
    data = fig.spec["data"]
    assert {t["type"] for t in data} == {"scatter"}  # the contour is an image, not a trace
    names = [t.get("name") for t in data]
    # one path per optimizer in the contour panel, with the legend shown once
    legend = [t for t in data if t.get("showlegend")]
    assert [t["name"] for t in legend] == ["SGD", "Momentum", "ADAGRAD", "ADADELTA"]
    assert names.count("click-to-start") == 1
    assert names.count("global minimum") == 1
    assert names.count("start") == 1
    # per optimizer: path + loss + two effective-rate lines
    for p in paths:
        assert sum(
            1 for t in data if t.get("legendgroup") == p.key and t["mode"].startswith("lines")
        ) == 4 + 2 * len(p.spec.state_fields)
    # four cursor traces in the top block + one per optimizer that has state
    assert names.count("cursor") == 4 + 3


def test_every_panel_has_a_fixed_range(default_figure):
    _, _, fig = default_figure
    layout = fig.spec["layout"]
    axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
    assert len(axes) == 2 * (4 + 3)
    for k in axes:
        assert "range" in layout[k], k
        assert layout[k].get("autorange") is not True
    assert layout["xaxis"]["range"] == [-2.0, 2.0]
    assert layout["yaxis"]["range"] == [-1.0, 3.0]
    assert layout["yaxis2"]["type"] == "log"  # f − f_min
    assert layout["yaxis3"]["type"] == layout["yaxis4"]["type"] == "log"  # effective lr
    # log panels end on whole decades, beyond every finite value they show
    paths = default_figure[1]
    for k in ("yaxis2", "yaxis3", "yaxis4"):
        lo, hi = layout[k]["range"]
        assert lo == int(lo) and hi == int(hi), (k, lo, hi)
    eff = np.concatenate([p.trajectory.effective_lr.ravel() for p in paths])
    eff = eff[np.isfinite(eff) & (eff > 0)]
    lo, hi = layout["yaxis3"]["range"]
    assert 10.0**lo < eff.min() and eff.max() < 10.0**hi


def test_log_ranges_are_whole_decades_with_a_margin():
    assert figures._log_range([np.array([2e-3, 5e-2])]) == (-3.0, -1.0)
    assert figures._log_range([np.array([1e-3, 0.1])]) == (-4.0, 0.0)  # 0.05 decade margin
    assert figures._log_range([np.array([0.5, 0.6])]) == (-1.0, 0.0)
    assert figures._log_range([np.array([np.nan, -1.0, 0.0])]) == (-1.0, 1.0)  # nothing to show
    # a small change of the data usually leaves the range where it was
    assert figures._log_range([np.array([3e-4, 2e-2])]) == figures._log_range(
        [np.array([3.3e-4, 2.4e-2])]
    )


def test_frames_move_only_markers(default_figure):
    _, paths, fig = default_figure
    spec = fig.spec
    frames = spec["frames"]
    assert len(frames) <= figures.MAX_FRAMES
    assert frames[0]["name"] == "0" and frames[-1]["name"] == "500"  # last frame = last step
    cursor = [i for i, t in enumerate(spec["data"]) if t.get("name") == "cursor"]
    for fr in frames:
        assert fr["traces"] == cursor
        assert all(d["type"] == "scatter" for d in fr["data"])
        assert all(len(d["x"]) <= 2 * len(paths) for d in fr["data"])
    assert "contour" not in json.dumps(frames)
    steps = [int(f["name"]) for f in frames]
    assert steps == sorted(steps)
    slider = spec["layout"]["sliders"][0]
    assert [s["args"][0][0] for s in slider["steps"]] == [f["name"] for f in frames]
    play = spec["layout"]["updatemenus"][0]["buttons"][0]
    assert play["label"].endswith("Play") and play["args"][1]["frame"]["redraw"] is False


def test_the_step_slider_spans_the_width_under_the_buttons(default_figure):
    # nothing overlaps however narrow the chart: the slider is a row of its own, below
    # the Play/Pause buttons, and its "step N" label sits at its right end
    layout = default_figure[2].spec["layout"]
    slider, buttons = layout["sliders"][0], layout["updatemenus"][0]
    assert (slider["x"], slider["len"]) == (0.0, 1.0)
    assert buttons["yanchor"] == slider["yanchor"] == "top"
    height_px = layout["height"]
    assert (buttons["y"] - slider["y"]) * height_px >= 36  # a button's height, at least
    assert slider["currentvalue"]["xanchor"] == "right"
    assert slider["y"] > 0


def test_frame_markers_sit_on_the_trajectories(default_figure):
    _, paths, fig = default_figure
    frame = fig.spec["frames"][100]
    s = int(frame["name"])
    assert 200 < s < 300
    xs, ys = decode(frame["data"][0]["x"]), decode(frame["data"][0]["y"])
    for i, p in enumerate(paths):
        np.testing.assert_allclose([xs[i], ys[i]], p.trajectory.positions[s], rtol=1e-5)
    # loss panel: f − f_min at step s; rate panels: the realised −Δx/g of step s (not
    # positive: no place on a log scale, so no cursor)
    loss = decode(frame["data"][1]["y"])
    lr_x = decode(frame["data"][2]["y"])
    for i, p in enumerate(paths):
        np.testing.assert_allclose(loss[i], p.trajectory.values[s], rtol=1e-5)
        realised = p.trajectory.step_factor[s - 1, 0]
        if realised > 0:
            np.testing.assert_allclose(lr_x[i], realised, rtol=1e-5)
        else:
            assert lr_x[i] is None or np.isnan(lr_x[i])
    keys = [p.key for p in paths]
    if "momentum" in keys:  # the panel shows the velocity's part too, not the constant η
        m = paths[keys.index("momentum")].trajectory
        assert not np.allclose(m.step_factor[s - 1], m.effective_lr[s - 1])


def test_paths_are_the_trajectories_bit_for_bit(default_figure):
    _, paths, fig = default_figure
    data = fig.spec["data"]
    for p in paths:
        trace = next(t for t in data if t.get("legendgroup") == p.key and t.get("showlegend"))
        np.testing.assert_array_equal(decode(trace["x"]), p.trajectory.positions[:, 0])
        np.testing.assert_array_equal(decode(trace["y"]), p.trajectory.positions[:, 1])


def test_default_scene_payload_is_under_one_megabyte(default_figure):
    _, _, fig = default_figure
    size = len(pio.to_json(fig, validate=False))
    assert 50_000 < size < 1_000_000


def test_contour_image_and_log_colour_bar(default_figure):
    _obj, _, fig = default_figure
    layout = fig.spec["layout"]
    (image,) = layout["images"]
    assert image["xref"] == "x" and image["layer"] == "below"
    assert (image["x"], image["y"]) == (-2.0, 3.0)
    width, height, _raw = png_size(image["source"])
    assert (width, height) == (320, 320)
    bar = next(t for t in fig.spec["data"] if t.get("marker", {}).get("showscale"))
    ticks = bar["marker"]["colorbar"]["ticktext"]
    assert "1" in ticks and "100" in ticks  # levels labelled in f − f_min, log-spaced
    assert bar["marker"]["colorbar"]["tickvals"] == sorted(bar["marker"]["colorbar"]["tickvals"])


def test_contour_grid_is_log_of_the_gap_and_hover_shows_true_f():
    obj = ov.objectives.get("rosenbrock")
    grid = figures.contour_grid(obj, 50)
    assert grid.log
    np.testing.assert_allclose(10**grid.z - grid.delta, grid.f - obj.f_min, rtol=1e-9, atol=1e-12)
    click = figures._click_grid(obj, 5)
    np.testing.assert_allclose(
        decode(click["customdata"]),
        obj.value(np.stack([decode(click["x"]), decode(click["y"])], -1)),
        rtol=1e-6,
    )


def test_linear_contour_for_saddles():
    grid = figures.contour_grid(ov.objectives.get("saddle"), 40)
    assert not grid.log
    np.testing.assert_array_equal(grid.z, grid.f)


def test_diverged_path_ends_with_a_cross_and_axes_stay_on_the_bounds():
    obj, paths = scene(hp={"sgd": {"lr": 1.0}}, steps=50)
    traj = paths[0].trajectory
    assert traj.diverged_at == 2
    fig = trajectory_figure(obj, paths)
    cross = next(t for t in fig.spec["data"] if t.get("name") == "SGD diverged")
    assert cross["marker"]["symbol"] == "x"
    # its last finite point (153.5, 52) is far outside [-2, 2] × [-1, 3]: the ✕ sits where
    # the step from (-1.5, 2) leaves the plot, through the top edge y = 3 at t = 1/50
    np.testing.assert_array_equal(traj.positions[1], [153.5, 52.0])
    np.testing.assert_allclose([cross["x"][0], cross["y"][0]], [1.6, 3.0], rtol=1e-12)
    assert "last finite point is (153.5, 52)" in cross["hovertemplate"]
    assert cross["cliponaxis"] is False  # drawn whole, not cut in half by the edge
    assert fig.spec["layout"]["xaxis"]["range"] == [-2.0, 2.0]
    # the cursor stays on the last finite point after divergence
    last = fig.spec["frames"][-1]["data"][0]
    np.testing.assert_allclose([last["x"][0], last["y"][0]], traj.positions[1], rtol=1e-5)


def test_the_divergence_mark_is_always_inside_the_plot():
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    inside = np.array([[0.0, 0.0], [1.0, 2.0], [np.nan, np.nan]])
    assert figures.divergence_mark(inside, bounds) == (1.0, 2.0, False)
    left = np.array([[0.0, 0.0], [-10.0, 1.0], [np.nan, np.nan]])  # exits at x = -2
    x, y, edge = figures.divergence_mark(left, bounds)
    assert edge and x == -2.0 and y == pytest.approx(0.2)
    outside_first = np.array([[5.0, 9.0], [np.nan, np.nan]])
    assert figures.divergence_mark(outside_first, bounds) == (2.0, 3.0, True)


def test_frame_steps_and_leaving_the_bounds():
    assert frame_steps(10).tolist() == list(range(11))
    many = frame_steps(5000)
    assert len(many) <= 200 and many[0] == 0 and many[-1] == 5000
    pos = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 0.0], [np.nan, np.nan]])
    assert left_bounds_at(pos, ((-2, 2), (-2, 2))) == 2
    assert left_bounds_at(pos[:2], ((-2, 2), (-2, 2))) == -1


def test_presenter_mode_is_bigger():
    obj, paths = scene(steps=50)
    normal = trajectory_figure(obj, paths).spec["layout"]
    big = trajectory_figure(obj, paths, presenter=True).spec["layout"]
    assert big["font"]["size"] > normal["font"]["size"]
    assert big["height"] > normal["height"]


def test_png_encoder_roundtrip():
    rgba = np.zeros((3, 2, 4), dtype=np.uint8)
    rgba[1, 1] = (10, 20, 30, 255)
    png = figures._png(rgba)
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2, 3)
    idat_len = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41 : 41 + idat_len])
    rows = [raw[i * 9 : (i + 1) * 9] for i in range(3)]
    assert all(r[0] == 0 for r in rows)  # filter byte
    assert rows[1][5:9] == bytes([10, 20, 30, 255])


def test_an_optimizer_without_a_colour_of_its_own_gets_the_same_one_in_every_process():
    import subprocess
    import sys

    code = "from optviz.figures import colour_of; print(colour_of('lion'), colour_of('sgd'))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1 and seen.pop().split()[1] == "#4477AA"


def test_every_path_shows_where_it_ended(default_figure):
    _obj, paths, fig = default_figure
    ends = {t["legendgroup"]: t for t in fig.spec["data"] if str(t.get("name")).endswith(": end")}
    for p in paths:
        tr = p.trajectory
        if tr.diverged_at >= 0:
            assert p.key not in ends  # a diverged run ends in ✕ instead
            continue
        mark = ends[p.key]
        assert [mark["x"][0], mark["y"][0]] == tr.positions[-1].tolist()
        assert mark["marker"]["color"] == p.colour and mark["opacity"] == 1.0


def test_an_open_lessons_focus_is_drawn_on_top_and_the_others_dimmed():
    from optviz import lessons
    from optviz.ui.compute import scene_paths

    lesson = lessons.get("adagrad_decay")
    assert lesson.focus == ("adagrad", "adadelta")
    paths = scene_paths(lesson.scene, lesson.focus)
    assert [p.key for p in paths] == ["rmsprop", "adagrad", "adadelta"]  # focus last: on top
    assert [p.dimmed for p in paths] == [True, False, False]
    fig = trajectory_figure(lesson.scene.plot_objective(), paths)
    shared = {"x", "x2", "x3", "x4"}  # contour, loss, rates (each optimizer's accumulators
    # have a panel of their own: nothing to dim there)
    lines = [
        t for t in fig.spec["data"] if t.get("legendgroup") == "rmsprop" and t["xaxis"] in shared
    ]
    assert lines and all(t.get("opacity") == figures.DIMMED_OPACITY for t in lines)
    bold = [t for t in fig.spec["data"] if t.get("legendgroup") == "adagrad"]
    assert bold and all(t.get("opacity", 1.0) == 1.0 for t in bold)
    # without a lesson nothing is dimmed and the sidebar's order stays
    plain = scene_paths(lesson.scene)
    assert [p.key for p in plain] == list(lesson.scene.optimizers)
    assert not any(p.dimmed for p in plain)


# --- the step cursor as data (the app's chart) ----------------------------------------------


@pytest.fixture(scope="module")
def app_figure(default_figure):
    obj, paths, _ = default_figure
    return obj, paths, trajectory_figure(obj, paths, frames=False)


def test_the_app_figure_carries_every_step_of_every_cursor(app_figure):
    _, paths, fig = app_figure
    spec = fig.spec
    assert "frames" not in spec
    assert "sliders" not in spec["layout"] and "updatemenus" not in spec["layout"]
    table = spec["layout"]["meta"]["optvizCursor"]
    cursor = [i for i, t in enumerate(spec["data"]) if t.get("name") == "cursor"]
    assert table["traces"] == cursor and table["steps"] == 500
    rows = decode(table["rows"])
    assert rows.tolist() == list(range(501))  # every step, the first ones one at a time
    # the contour cursor: each optimizer's position at every step, exactly (float64)
    xy_x, xy_y = decode(table["x"][0]), decode(table["y"][0])
    assert xy_x.shape == (501, len(paths))
    for i, p in enumerate(paths):
        np.testing.assert_array_equal(xy_x[:, i], p.trajectory.positions[:, 0])
        np.testing.assert_array_equal(xy_y[:, i], p.trajectory.positions[:, 1])
    # the loss cursor sits at the step itself (x null) and holds f − f_min
    assert table["x"][1] is None
    loss = decode(table["y"][1])
    np.testing.assert_array_equal(loss[7, 0], paths[0].trajectory.values[7] - 0.0)
    # the cursors as drawn at first: step 0
    assert spec["data"][cursor[0]]["x"] == [p.trajectory.positions[0, 0] for p in paths]


def test_cursor_at_gives_any_step_exactly_and_matches_the_table(app_figure):
    fig = app_figure[2]
    table = fig.spec["layout"]["meta"]["optvizCursor"]
    for step in (0, 1, 2, 37, 499, 500):
        values = fig.cursor_at(step)
        assert len(values) == len(table["traces"])
        for column, (x, y) in enumerate(zip(table["x"], table["y"])):
            want = decode(y)[step]
            got = np.array([np.nan if v is None else v for v in values[column]["y"]])
            np.testing.assert_array_equal(got, want)
            if x is None:
                assert values[column]["x"] == [step] * len(want)


def test_a_long_crowded_run_keeps_its_first_steps_whole_and_thins_the_rest():
    rows = figures.cursor_rows(5000, 60)
    assert rows[0] == 0 and rows[-1] == 5000
    assert rows.size * 60 <= figures.CURSOR_TABLE_VALUES + 60
    assert rows[: figures.DENSE_STEPS].tolist() == list(range(figures.DENSE_STEPS))
    assert np.all(np.diff(rows) >= 1)
    # a short run keeps every step
    assert figures.cursor_rows(500, 60).tolist() == list(range(501))


def test_with_frames_makes_the_same_animation_as_plotly_frames(default_figure, app_figure):
    """The HTML export animates the app's figure with plotly's own frames, made from the
    cursor table: the same frames, buttons and slider as a figure built with them."""
    built = default_figure[2].spec
    made = figures.with_frames(app_figure[2].spec)
    assert [f["name"] for f in made["frames"]] == [f["name"] for f in built["frames"]]
    assert made["frames"] == built["frames"]
    assert made["layout"]["height"] == built["layout"]["height"]
    assert made["layout"]["sliders"] == built["layout"]["sliders"]
    assert made["layout"]["updatemenus"] == built["layout"]["updatemenus"]
    for name in ("yaxis", "yaxis2", "yaxis3", "yaxis4", "yaxis5"):
        np.testing.assert_allclose(made["layout"][name]["domain"], built["layout"][name]["domain"])
    # the app's figure itself is left as it was
    assert "frames" not in app_figure[2].spec and "sliders" not in app_figure[2].spec["layout"]


def test_the_fit_bands_cover_the_figure_and_keep_its_gaps():
    for style, acc_rows, bars in itertools.product(
        (figures.Style(), figures.Style.presenter()), (0, 1, 2), (False, True)
    ):
        geo = figures._grid_layout(acc_rows, style, controls=False, bars=bars)
        bands = geo.fit["bands"]
        assert bands[0][0] == 0 and bands[-1][1] == pytest.approx(geo.height)
        for (_, b, _), (a, _, _) in itertools.pairwise(bands):
            assert a == pytest.approx(b)  # contiguous
        # the panels flex, the gaps (titles, tick labels) do not
        flex = [(a, b) for a, b, f in bands if f]
        assert len(flex) == 3 + bars + acc_rows
        for (top, bottom), (lo, hi) in zip(flex, [*geo.right_rows, *geo.acc_rows]):
            assert (1 - bottom / geo.height, 1 - top / geo.height) == pytest.approx((lo, hi))
        # the anchor (what must be on the first screen): under the top block
        top_end = (1 - geo.top[0]) * geo.height
        assert top_end < geo.fit["anchor"] < top_end + 80


def test_the_right_hand_panels_share_one_labelled_step_axis(app_figure):
    layout = app_figure[2].spec["layout"]
    assert layout["xaxis2"]["showticklabels"] is False  # f − f_min
    assert layout["xaxis3"]["showticklabels"] is False  # rate x
    assert layout["xaxis4"].get("showticklabels", True) is True  # rate y: labels, title
    assert layout["xaxis4"]["title"]["text"] == "step"
    assert layout["xaxis2"]["range"] == layout["xaxis3"]["range"] == layout["xaxis4"]["range"]


# --- paths you can tell apart: styles, ghosts, themes -------------------------------------------

ALL_SEVEN = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adadelta")


@pytest.fixture(scope="module")
def seven():
    obj = ov.objectives.get("rosenbrock")
    paths = []
    for key in ALL_SEVEN:
        spec = ov.optimizers.get(key)
        paths.append(
            PathView(key, spec.display_name, spec, ov.run(obj, spec.build(), obj.start, 200))
        )
    return obj, paths


def test_each_optimizers_path_has_its_own_colour_dash_and_markers(seven):
    obj, paths = seven
    data = trajectory_figure(obj, paths).spec["data"]
    drawn = {}
    for p in paths:
        lines = [t for t in data if t.get("legendgroup") == p.key and t["mode"] == "lines+markers"]
        assert len(lines) == 4  # path, loss, two rate panels: each in the optimizer's style
        for t in lines:
            assert t["line"]["color"] == p.colour and t["line"]["dash"] == p.spec.dash
            assert t["marker"]["symbol"] == p.spec.marker and t["marker"]["color"] == p.colour
            assert 0 < t["marker"]["maxdisplayed"] <= 20  # a few markers, not one per step
        drawn[p.key] = (p.colour, p.spec.dash, p.spec.marker)
        if p.trajectory.diverged_at >= 0:  # it ends in a ✕ where it left
            assert any(t.get("name") == f"{p.label} diverged" for t in data)
            continue
        end = next(t for t in data if t.get("name") == f"{p.label}: end")
        assert end["marker"]["symbol"] == p.spec.marker  # its end in its own symbol
    for i in range(3):
        assert len({d[i] for d in drawn.values()}) == len(ALL_SEVEN)


def test_coinciding_rate_lines_stay_distinguishable():
    """SGD and momentum with β = 0 take the same steps: their rate lines coincide. Both
    stay visible (different dashes and symbols, markers staggered by plotly) and the
    hover says that they are one line; the data are not moved."""
    obj = ov.objectives.get("rosenbrock")
    paths = []
    for key, hp in (("sgd", {"lr": 1e-3}), ("momentum", {"lr": 1e-3, "beta": 0.0})):
        spec = ov.optimizers.get(key)
        paths.append(
            PathView(key, spec.display_name, spec, ov.run(obj, spec.build(**hp), obj.start, 100))
        )
    data = trajectory_figure(obj, paths).spec["data"]
    rates = {
        p.key: [
            t
            for t in data
            if t.get("legendgroup") == p.key and "−Δx/g" in t.get("hovertemplate", "")
        ]
        for p in paths
    }
    for a, b in zip(rates["sgd"], rates["momentum"]):
        np.testing.assert_array_equal(decode(a["y"]), decode(b["y"]))  # the same numbers
        assert a["line"]["dash"] != b["line"]["dash"]
        assert a["marker"]["symbol"] != b["marker"]["symbol"]
        assert "the same line as Momentum" in a["hovertemplate"]
        assert "the same line as SGD" in b["hovertemplate"]


def _fan(values, scale, key="adadelta", name="rho", steps=150):
    obj = ov.objectives.get("rosenbrock")
    opt = ov.optimizers.build(key, **{name: np.asarray(values)})
    traj = ov.run(obj, opt, obj.start, steps)
    return figures.GhostFan(key, name, "ρ", tuple(float(v) for v in values), traj.positions, scale)


def test_ghosts_are_labelled_distinctly_end_in_markers_and_ramp_with_the_value():
    from optviz.colours import hex_rgb, lab
    from optviz.ui.compute import fan, fan_scale

    obj, paths = scene(steps=150)
    hp = ov.optimizers.get("adadelta").hyperparam("rho")
    rhos = fan(hp, 15)
    ghost_fan = _fan(rhos, fan_scale(hp))
    for theme in figures.THEMES:
        data = trajectory_figure(obj, paths, fan=ghost_fan, theme=theme).spec["data"]
        ghosts = [t for t in data if t.get("name", "").startswith("adadelta rho=")]
        names = [t["name"] for t in ghosts]
        assert len(set(names)) == 15 and "adadelta rho=0.9999" in names
        assert "adadelta rho=1" not in names
        lightness = [lab(hex_rgb(t["line"]["color"]))[0] for t in ghosts]
        assert all(a < b for a, b in itertools.pairwise(lightness))  # monotone in ρ
        # faint: translucent, in the theme's ghost opacity (on a dark page a little less
        # translucent, or the ghosts sink into the background)
        assert all(t["opacity"] == figures.THEMES[theme].ghost_opacity <= 0.6 for t in ghosts)
        # under every bold path
        first_bold = min(i for i, t in enumerate(data) if t.get("showlegend"))
        assert max(data.index(t) for t in ghosts) < first_bold
        ends = next(t for t in data if t.get("name") == "ghost ends: adadelta rho")
        assert len(ends["x"]) == 15 and ends["marker"]["color"] == [
            t["line"]["color"] for t in ghosts
        ]
        for i in range(len(ghosts)):
            k = figures.last_finite(ghost_fan.positions[:, i])
            assert [ends["x"][i], ends["y"][i]] == ghost_fan.positions[k, i].tolist()
        bar = next(t for t in data if t.get("name") == "ghost colour bar: adadelta rho")
        colorbar = bar["marker"]["colorbar"]
        assert colorbar["ticktext"][0] == "0.5" and colorbar["ticktext"][-1] == "0.9999"
        assert "ρ" in colorbar["title"]["text"]


def test_thirty_eps_ghosts_get_thirty_labels_and_colours():
    values = np.logspace(-10, -1, 30)
    ghost_fan = _fan(values, "log", name="eps", steps=60)
    obj, paths = scene(steps=60)
    data = trajectory_figure(obj, paths, fan=ghost_fan).spec["data"]
    ghosts = [t for t in data if t.get("name", "").startswith("adadelta eps=")]
    assert len({t["name"] for t in ghosts}) == 30
    assert len({t["line"]["color"] for t in ghosts}) >= 25  # a ramp, not one colour
    t = ghost_fan.ramp_positions
    assert t[0] == 0 and t[-1] == 1 and np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), np.diff(t)[0])  # log-spaced values, evenly on the ramp


def test_every_lesson_ghost_ends_in_a_marker():
    obj, paths = scene(steps=100)
    positions = paths[0].trajectory.positions
    data = trajectory_figure(obj, paths, ghosts=[(positions, "#4477AA", "faint one")]).spec["data"]
    end = next(t for t in data if t.get("name") == "faint one: end")
    assert [end["x"][0], end["y"][0]] == positions[-1].tolist()


def test_the_projector_theme_changes_the_figures_colours():
    obj, paths = scene(steps=100)
    light = trajectory_figure(obj, paths).spec
    dark = trajectory_figure(obj, paths, theme="projector").spec
    lay_l, lay_d = light["layout"], dark["layout"]
    assert lay_l["paper_bgcolor"] == "white" and lay_d["paper_bgcolor"] == figures.PROJECTOR.paper
    assert lay_d["plot_bgcolor"] == figures.PROJECTOR.plot
    assert lay_d["font"]["color"] == figures.PROJECTOR.text != lay_l["font"]["color"]
    assert lay_d["xaxis"]["gridcolor"] == figures.PROJECTOR.grid != lay_l["xaxis"]["gridcolor"]
    assert lay_d["sliders"][0]["currentvalue"]["font"]["color"] == figures.PROJECTOR.text
    assert lay_d["images"][0]["source"] != lay_l["images"][0]["source"]  # a dark contour
    bar_d = next(t for t in dark["data"] if t.get("name") == "f")["marker"]["colorscale"]
    assert bar_d == [[a, f"rgb{c}"] for a, c in figures.PROJECTOR.sequential]
    start = next(t for t in dark["data"] if t.get("name") == "start")
    assert start["marker"]["color"] == figures.PROJECTOR.ink
    # the paths keep their colours
    assert [t["line"]["color"] for t in dark["data"] if t.get("showlegend")] == [
        t["line"]["color"] for t in light["data"] if t.get("showlegend")
    ]
    with pytest.raises(ValueError, match="unknown theme"):
        trajectory_figure(obj, paths, theme="neon")


def test_two_runs_of_one_optimizer_and_an_untransformed_run_are_drawn_each_its_own_way():
    """A second ADADELTA has its own colour, dash and open marker; the f − f_min panel
    measures each run against its own minimum (the untransformed run's f is unscaled)."""
    from optviz.scene import Scene, Transform
    from optviz.ui.compute import scene_paths

    sc = Scene.of_objective(
        "styblinski_tang",
        steps=60,
        optimizers=("adadelta", "adadelta~2", "adadelta~3"),
        hyperparams={"adadelta~2": {"rho": 0.9}},
        transform=Transform(1, 1.0),
        untransformed=("adadelta~3",),
    )
    paths = scene_paths(sc)
    spec = trajectory_figure(sc.plot_objective(), paths, start=sc.start, frames=False).spec
    lines = {t["legendgroup"]: t for t in spec["data"] if t.get("showlegend")}
    assert [lines[k]["name"] for k in sc.optimizers] == [
        "ADADELTA (ρ=0.95)",
        "ADADELTA (ρ=0.9)",
        "ADADELTA (ρ=0.95, untransformed)",
    ]
    styles = {
        (t["line"]["color"], t["line"]["dash"], t["marker"]["symbol"]) for t in lines.values()
    }
    assert len(styles) == 3
    assert lines["adadelta~2"]["marker"]["symbol"] == "pentagon-open"
    f_min = ov.objectives.get("styblinski_tang").f_min
    for key, scale in (("adadelta", 10.0), ("adadelta~3", 1.0)):
        loss = next(
            t for t in spec["data"] if t.get("legendgroup") == key and t.get("yaxis") == "y2"
        )
        values = sc.run(key).values
        np.testing.assert_allclose(decode(loss["y"])[0], values[0] - scale * f_min, rtol=1e-12)


def test_second_runs_of_different_optimizers_get_different_colours():
    from optviz.scene import Scene, Transform
    from optviz.ui.compute import scene_paths

    sc = Scene(steps=30, optimizers=("sgd", "adagrad", "adadelta"), transform=Transform(1, 1.0))
    paths = {p.key: p for p in scene_paths(sc.with_untransformed())}
    twins = [paths[k].colour for k in ("sgd~2", "adagrad~2", "adadelta~2")]
    assert twins == list(ov.optimizers.INSTANCE_COLOURS[:3])
    firsts = {paths[k].colour for k in ("sgd", "adagrad", "adadelta")}
    assert not firsts & set(twins)


# --- arrows at the step cursor -----------------------------------------------------------


def _arrow_scene(keys=("sgd", "momentum", "adadelta"), objective="ill_conditioned"):
    from optviz.scene import Scene
    from optviz.ui.compute import scene_paths

    sc = Scene.of_objective(objective, steps=60, optimizers=keys)
    paths = scene_paths(sc)
    fig = trajectory_figure(sc.plot_objective(), paths, start=sc.start, frames=False, arrows=True)
    return sc, paths, fig


def _cursor_group_at(fig, step, group):
    """{trace name: its points at ``step``} for every cursor trace of legend ``group``."""
    spec = fig.spec
    table = spec["layout"]["meta"]["optvizCursor"]
    return {
        spec["data"][i]["name"]: points
        for i, points in zip(table["traces"], fig.cursor_at(step))
        if spec["data"][i].get("legendgroup") == group
    }


def _arrows_at(fig, step):
    """{trace name: its five points at ``step``} for every arrow trace."""
    return {
        name: np.array([points["x"], points["y"]], dtype=float).T
        for name, points in _cursor_group_at(fig, step, "arrows").items()
    }


def test_the_arrows_start_at_the_cursor_and_end_at_the_magnified_step_and_gradient_step():
    sc, paths, fig = _arrow_scene()
    span = figures._spans(sc.plot_objective().bounds)
    for t in (0, 1, 7, 59):
        arrows = _arrows_at(fig, t)
        for p in paths:
            tr = p.trajectory
            m = figures.arrow_magnifier(tr.updates, span)
            assert m >= 1 and np.log10(m) == round(np.log10(m))  # a power of ten
            step = arrows[f"{p.label}: next step Δx"]
            np.testing.assert_array_equal(step[0], tr.positions[t])  # from the cursor
            np.testing.assert_allclose(step[1], tr.positions[t] + m * tr.updates[t], rtol=1e-14)
            gradient = arrows[next(k for k in arrows if k.startswith(f"{p.label}: −η·g"))]
            lr = dict(tr.optimizer.hyperparams).get("lr")
            if p.key == "adadelta":  # no η: −g in the step's length (its direction)
                g = tr.grads[t]
                want = -g / np.hypot(*g) * np.hypot(*tr.updates[t])
            else:
                want = -lr * tr.grads[t]
            np.testing.assert_allclose(gradient[1], tr.positions[t] + m * want, rtol=1e-12)
    # momentum's velocity, and Δx = β·v − η·g: the parallelogram closes
    momentum = next(p for p in paths if p.key == "momentum")
    tr = momentum.trajectory
    m = figures.arrow_magnifier(tr.updates, span)
    v = _arrows_at(fig, 5)["Momentum: velocity v"][1] - tr.positions[5]
    np.testing.assert_allclose(v, m * tr.states.velocity[5], rtol=1e-12)
    beta = dict(tr.optimizer.hyperparams)["beta"]
    lr = dict(tr.optimizer.hyperparams)["lr"]
    np.testing.assert_allclose(
        tr.updates[5], beta * tr.states.velocity[5] - lr * tr.grads[5], rtol=1e-12, atol=1e-300
    )
    # at the last step there is no next step: no step or gradient arrow (the velocity stays)
    last = _arrows_at(fig, 60)
    assert all(np.isnan(a).all() for k, a in last.items() if "velocity" not in k)
    assert np.isfinite(last["Momentum: velocity v"]).all()


def test_the_arrows_legend_states_every_magnification_and_arrows_can_be_off():
    sc, paths, fig = _arrow_scene()
    (legend,) = [
        t for t in fig.spec["data"] if t.get("legendgroup") == "arrows" and t.get("showlegend")
    ]
    span = figures._spans(sc.plot_objective().bounds)
    (note,) = [a for a in fig.spec["layout"]["annotations"] if a.get("name") == "arrow magnifiers"]
    assert note["text"].startswith("arrows ×: ")
    for p in paths:
        m = figures.arrow_magnifier(p.trajectory.updates, span)
        assert (f"{p.spec.display_name} {m:g}" in note["text"]) == (m != 1)
    assert len(legend["name"]) <= 40  # one short entry of the legend's row
    plain = trajectory_figure(sc.plot_objective(), paths, start=sc.start, frames=False)
    assert not [t for t in plain.spec["data"] if t.get("legendgroup") == "arrows"]


def test_the_magnifier_keeps_the_first_steps_inside_the_plot():
    span = np.array([4.0, 4.0])
    tiny = np.full((100, 2), 1e-4)
    assert figures.arrow_magnifier(tiny, span) == 1e4  # 1e-4·√2/4 = 3.5e-5 of the span → 35 %
    big_first = tiny.copy()
    big_first[0] = [1.5, 0.0]  # one long first step: nothing beyond half the plot
    m = figures.arrow_magnifier(big_first, span)
    assert 1.5 * m / 4 <= 0.5
    assert figures.arrow_magnifier(np.full((10, 2), 0.5), span) == 1.0
    assert figures.arrow_magnifier(np.full((10, 2), np.nan), span) == 1.0
    pts = figures.arrow_points(np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]]), span)
    np.testing.assert_array_equal(pts[0, 1], [1.0, 0.0])
    assert pts[0, 2, 0] < 1.0 and pts[0, 2, 1] == -pts[0, 4, 1]  # barbs back and symmetric
    assert np.isnan(pts[1]).all()  # a zero step has no arrow


def test_dimmed_paths_and_the_contour_stay_visible_on_the_projector_theme():
    """On near-black a translucent path sinks into the background: the projector dims
    less, and its contour's band edges are lighter than the fill around them."""
    import io

    from PIL import Image

    from optviz import colours, lessons
    from optviz.colours import delta_e, lab
    from optviz.ui.compute import scene_paths

    lesson = lessons.get("eps_warmup")
    paths = scene_paths(lesson.scene, lesson.focus)
    dimmed = [p for p in paths if p.dimmed]
    assert dimmed, "the lesson dims an optimizer"
    obj = lesson.scene.plot_objective()
    for theme in figures.THEMES.values():
        data = trajectory_figure(obj, paths, theme=theme.name).spec["data"]
        faded = [t for t in data if t.get("legendgroup") == dimmed[0].key and "opacity" in t]
        assert faded and all(t["opacity"] == theme.dimmed_opacity for t in faded)
    assert figures.LIGHT.dimmed_opacity == figures.DIMMED_OPACITY  # light as it was

    def seen(colour: str, opacity: float, background: str) -> np.ndarray:
        """A colour drawn at ``opacity`` over ``background``, in CIELAB."""
        c, b = colours.hex_rgb(colour), colours.hex_rgb(background)
        return lab(opacity * c + (1 - opacity) * b)

    back = figures.PROJECTOR.paper
    for p in dimmed:  # the faded SGD stands out from the projector's background
        d = delta_e(
            seen(p.colour, figures.PROJECTOR.dimmed_opacity, back), lab(colours.hex_rgb(back))
        )
        assert d >= 20, f"{p.key} dimmed on the projector: ΔE {d:.1f}"

    # the contour: its band edges are lighter than the bands (rgb pixels of the image)
    grid = figures.contour_grid(obj, 120)
    image = figures.contour_image(grid, figures.PROJECTOR)
    png = base64.b64decode(image["source"].split(",", 1)[1])
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(float)
    shown = rgba[rgba[..., 3] > 0][:, :3]
    brightest = shown.max(axis=0).sum()
    top = np.array(figures.PROJECTOR.sequential[-1][1], dtype=float).sum()
    assert brightest > top + 100  # the edges show, even over the darkest band
    floor = np.array(figures.PROJECTOR.sequential[0][1], dtype=float)
    assert lab(floor / 255)[0] > 33  # the valley floor is not near-black


# --- the rate bars at the step cursor --------------------------------------------------------


def _bars_at(fig, step):
    """{trace name: its bar tops (x, y) at ``step``} for every rate-bar trace."""
    return {
        name: (points["y"][1], points["y"][4])
        for name, points in _cursor_group_at(fig, step, "bars").items()
    }


def test_the_rate_bars_stand_at_the_inspectors_numbers_of_the_arrows_step():
    from optviz import inspector

    _, paths, fig = _arrow_scene(("sgd", "adagrad", "adadelta"), "rotated_ill_conditioned")
    layout = fig.spec["layout"]
    axis = f"yaxis{figures.BARS_AXIS}"
    assert layout[axis]["type"] == "log"
    # under the rate panels, in the right-hand column
    assert layout[axis]["domain"][1] < layout["yaxis4"]["domain"][0]
    assert layout[f"xaxis{figures.BARS_AXIS}"]["domain"] == list(figures._RIGHT)
    assert "title" not in layout["xaxis4"]  # no "step" title crowding the bars
    floor = 10 ** layout[axis]["range"][0]
    for t in (0, 1, 2, 9):
        bars = _bars_at(fig, t)
        assert not any(name.startswith("SGD") for name in bars)  # no ratio: no bars
        for p in paths[1:]:
            rb = p.spec.rate_bars
            num, den = inspector.rate_parts(p.trajectory)
            np.testing.assert_array_equal(bars[f"{p.label}: {rb.numerator_label}"], num[t])
            np.testing.assert_array_equal(bars[f"{p.label}: {rb.denominator_label}"], den[t])
            for d in (0, 1):  # the inspector's step t + 1: the step the arrows draw
                values, _ = inspector.step_values(p.trajectory, t + 1, d)
                assert num[t, d] == values[rb.numerator]
                assert den[t, d] / num[t, d] == pytest.approx(1 / p.trajectory.effective_lr[t, d])
    # each bar rises from the axis' floor, x pair left of the group's name, y pair right
    for points in _cursor_group_at(fig, 3, "bars").values():
        assert points["y"][0] == points["y"][3] == floor
        assert points["x"][0] == points["x"][1] < points["x"][3] == points["x"][4]
    ticks = layout[f"xaxis{figures.BARS_AXIS}"]["ticktext"]
    assert ticks[:3] == ["x", "<br>ADAGRAD<br>η ÷<br>(√Gₜ + ε)", "y"]
    assert "RMS[Δx]ₜ₋₁ ÷<br>RMS[g]ₜ" in ticks[4]
    (legend,) = [t for t in fig.spec["data"] if t.get("legendgroup") == "bars" and t["showlegend"]]
    assert legend["name"] == "bars: rate = solid ÷ pale"


def test_no_rate_bars_without_the_arrows_or_without_an_adaptive_method():
    sc, paths, fig = _arrow_scene(("sgd", "momentum"))
    assert f"yaxis{figures.BARS_AXIS}" not in fig.spec["layout"]
    assert fig.spec["layout"]["xaxis4"]["title"]["text"] == "step"
    sc, paths, _ = _arrow_scene(("adadelta",))
    plain = trajectory_figure(sc.plot_objective(), paths, start=sc.start, frames=False)
    assert f"yaxis{figures.BARS_AXIS}" not in plain.spec["layout"]
    assert not [t for t in plain.spec["data"] if t.get("legendgroup") == "bars"]


def test_the_rate_bars_move_in_the_exported_frames():
    _, paths, fig = _arrow_scene(("adadelta",), "rotated_ill_conditioned")
    spec = figures.with_frames(fig.spec)
    table = spec["layout"]["meta"]["optvizCursor"]
    bar = next(i for i in table["traces"] if spec["data"][i].get("legendgroup") == "bars")
    where = table["traces"].index(bar)
    frames = {int(f["name"]): f["data"][where] for f in spec["frames"]}
    from optviz import inspector

    num, _ = inspector.rate_parts(paths[0].trajectory)
    for step in (0, 5, 30):
        if step in frames:
            # (frames carry six significant digits)
            assert frames[step]["y"][1] == pytest.approx(num[step, 0], rel=1e-5)


# --- the 3-D surface view -----------------------------------------------------------------


def _surface_scene(keys=("sgd", "momentum", "adadelta"), objective="himmelblau", **kw):
    from optviz.scene import Scene
    from optviz.ui.compute import scene_paths

    sc = Scene.of_objective(objective, steps=60, optimizers=keys, **kw)
    paths = scene_paths(sc)
    fig = trajectory_figure(
        sc.plot_objective(), paths, start=sc.start, frames=False, arrows=True, surface=True
    )
    return sc, paths, fig


def _heights(objective, positions):
    grid = figures.contour_grid(objective, figures.SURFACE_RESOLUTION)
    lo, hi = figures._levels(grid)[:2]
    z_lo = lo - 0.04 * (hi - lo)
    z_hi = hi + 0.02 * (hi - lo)
    f = objective.value(np.asarray(positions, dtype=float))
    return np.log10(np.maximum(f - grid.f_min, 0.0) + grid.delta) + figures.SURFACE_LIFT * (
        z_hi - z_lo
    )


def test_the_surface_view_is_the_contours_quantity_in_a_scene_beside_the_same_panels():
    sc, paths, fig = _surface_scene()
    spec = fig.spec
    layout = spec["layout"]
    obj = sc.plot_objective()
    # the left panel is a 3-D scene where the contour was; no contour picture, no x/y axes
    assert layout["scene"]["domain"]["x"] == list(figures._LEFT)
    assert "xaxis" not in layout and "yaxis" not in layout and layout["images"] == []
    (surface,) = [t for t in spec["data"] if t["type"] == "surface"]
    grid = figures.contour_grid(obj, figures.SURFACE_RESOLUTION)
    assert grid.log  # Himmelblau's contour is log-scaled, and so is the height
    np.testing.assert_array_equal(decode(surface["z"]), grid.z)
    np.testing.assert_array_equal(decode(surface["x"]), grid.xs)
    np.testing.assert_array_equal(decode(surface["customdata"]), grid.f)  # hover: true f
    (x0, x1), (y0, y1) = obj.bounds
    assert layout["scene"]["xaxis"]["range"] == [x0, x1]
    assert layout["scene"]["yaxis"]["range"] == [y0, y1]
    # the z ticks say f − f_min, as the colour bar's do
    ticks = layout["scene"]["zaxis"]
    assert ticks["ticktext"] == [ov.numbers.tick(10.0**t) for t in ticks["tickvals"]]
    # every path lifted onto the surface: its height is log10(f − f_min + δ), drawn just above
    for p in paths:
        (line,) = [
            t
            for t in spec["data"]
            if t["type"] == "scatter3d" and t.get("name") == p.label and t.get("showlegend")
        ]
        idx = figures._thin(p.trajectory.positions.shape[0])
        at = p.trajectory.positions[idx]
        np.testing.assert_allclose(decode(line["x"]), at[:, 0], rtol=1e-6)
        np.testing.assert_allclose(decode(line["z"]), _heights(obj, at), rtol=1e-6)
        np.testing.assert_allclose(decode(line["customdata"]), p.trajectory.values[idx])
    # the other panels are the 2-D view's, trace for trace
    flat = trajectory_figure(obj, paths, start=sc.start, frames=False, arrows=True).spec
    right = lambda s: [  # noqa: E731
        json.dumps(t, sort_keys=True, default=str)
        for t in s["data"]
        if t.get("xaxis") not in (None, "x") and t.get("name") != "cursor"
    ]
    assert len(right(spec)) > 20 and right(spec) == right(flat)
    for name in ("xaxis2", "yaxis2", "xaxis3", "yaxis4", f"xaxis{figures.BARS_AXIS}"):
        assert layout[name] == flat["layout"][name]


def test_the_surface_views_cursor_is_each_path_lifted_at_the_shared_step():
    sc, paths, fig = _surface_scene()
    obj = sc.plot_objective()
    spec = fig.spec
    table = spec["layout"]["meta"]["optvizCursor"]
    assert len(table["z"]) == len(table["traces"])
    for t in (0, 1, 7, 60):
        at = fig.cursor_at(t)
        by_name = {spec["data"][i]["name"]: pt for i, pt in zip(table["traces"], at)}
        for p in paths:
            point = by_name[f"{p.label}: at the cursor"]
            x = p.trajectory.positions[t]
            np.testing.assert_allclose([point["x"][0], point["y"][0]], x, rtol=1e-14)
            np.testing.assert_allclose(point["z"][0], _heights(obj, x), rtol=1e-12)
            # its arrows are drawn level at that height, from the same point
            step = by_name[f"{p.label}: next step Δx"]
            if t < 60:
                assert step["x"][0] == point["x"][0] and step["y"][0] == point["y"][0]
                assert set(step["z"]) == {point["z"][0]}
        # the 2-D panels' cursors at the same step: the loss panel's x is the step itself
        (loss,) = [pt for i, pt in zip(table["traces"], at) if spec["data"][i].get("yaxis") == "y2"]
        assert set(loss["x"]) == {t}
    # each optimizer's 3-D cursor is in its legend group: hiding it hides its cursor
    cursors = [t for t in spec["data"] if str(t.get("name", "")).endswith(": at the cursor")]
    assert {t["legendgroup"] for t in cursors} == {p.key for p in paths}
    assert all(t["type"] == "scatter3d" and t["scene"] == "scene" for t in cursors)


def test_the_surface_view_shows_a_divergence_and_exports_with_3d_frames():
    from optviz.scene import Scene
    from optviz.ui.compute import scene_paths

    sc = Scene.of_objective("rosenbrock", steps=40, optimizers=("sgd",)).with_hp(
        "sgd", {"lr": 0.05}
    )
    paths = scene_paths(sc)
    assert paths[0].trajectory.diverged_at >= 0
    fig = trajectory_figure(sc.plot_objective(), paths, frames=False, surface=True)
    spec = fig.spec
    (cross,) = [t for t in spec["data"] if t.get("name") == f"{paths[0].label} diverged"]
    assert cross["type"] == "scatter3d" and cross["marker"]["symbol"] == "x"
    lo, hi = spec["layout"]["scene"]["zaxis"]["range"]
    assert lo <= cross["z"][0] <= hi  # drawn inside the box, never hidden
    # the export: plotly frames that move the 3-D cursor too, played with redraw
    ex = figures.with_frames(spec)
    table = spec["layout"]["meta"]["optvizCursor"]
    deep = [k for k, z in enumerate(table["z"]) if z is not None]
    assert deep
    frame = ex["frames"][5]
    step = int(frame["name"])
    for k in deep:
        assert frame["data"][k]["type"] == "scatter3d"
        want = untyped_rows(table["z"][k], table["rows"], step)
        np.testing.assert_allclose(frame["data"][k]["z"], want, rtol=1e-5)
    play = ex["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is True
    flat = figures.with_frames(trajectory_figure(sc.plot_objective(), paths, frames=False).spec)
    assert flat["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"] is False
    # the scene keeps its pixels from the top when the export makes room for the buttons
    old, new = spec["layout"]["scene"]["domain"]["y"], ex["layout"]["scene"]["domain"]["y"]
    k = spec["layout"]["height"] / ex["layout"]["height"]
    np.testing.assert_allclose(new, [1 - (1 - v) * k for v in old])


def untyped_rows(block, rows, step):
    """A cursor table block's values at ``step`` (a kept row)."""
    values = decode(block)
    kept = list(decode(rows).astype(int))
    return values[kept.index(step)]


def test_a_linear_surface_is_f_itself_and_3d_symbols_are_plotlys():
    sc, _paths, fig = _surface_scene(keys=("sgd",), objective="saddle")
    grid = figures.contour_grid(sc.plot_objective(), figures.SURFACE_RESOLUTION)
    assert not grid.log
    (surface,) = [t for t in fig.spec["data"] if t["type"] == "surface"]
    np.testing.assert_array_equal(decode(surface["z"]), grid.f)
    assert figures.surface_height(grid, np.array([3.0, -2.0])).tolist() == [3.0, -2.0]
    for symbol in ("triangle-up", "star", "diamond-open", "square-open", "pentagon-open", "x"):
        assert figures.symbol_3d(symbol) in figures._SYMBOLS_3D
    assert figures.symbol_3d("pentagon-open") == "circle-open"
    assert figures.symbol_3d("triangle-up") == "circle"
