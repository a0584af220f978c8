"""Exports: offline HTML (plotly.js inside, nothing loaded from anywhere), CSV and JSON that
read back to the same bits as the Trajectory, and a PNG export that fails clearly."""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib
import re
import struct
import subprocess
import sys
import types

import numpy as np
import plotly.io as pio
import pytest

import optviz as ov
from optviz import export, lessons, optimizers
from optviz.export import ExportUnavailable
from optviz.figures import PathView, trajectory_figure

SCRIPT_SRC = re.compile(r"<script[^>]+src\s*=", re.I)


@pytest.fixture(scope="module")
def runs():
    """Every optimizer on Rosenbrock, one of them diverging (SGD with a large rate)."""
    obj = ov.objectives.get("rosenbrock")
    out = {}
    for key in optimizers.names():
        hp = {"lr": 0.01} if key == "sgd" else {}
        out[key] = ov.run(obj, optimizers.build(key, **hp), (-1.5, 2.0), 60, noise=0.1, seed=2)
    assert out["sgd"].diverged_at >= 0  # NaN after divergence is part of what is exported
    return out


@pytest.fixture(scope="module")
def figure(runs):
    paths = [
        PathView(k, optimizers.get(k).display_name, optimizers.get(k), tr) for k, tr in runs.items()
    ]
    return trajectory_figure(ov.objectives.get("rosenbrock"), paths)


@pytest.fixture(scope="module")
def page(figure):
    caption = (
        "**Bold** and *italic*, `code` <script>alert(1)</script> & more\n\n"
        "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    return export.to_html(figure, title="Rosenbrock <all> & co", caption=caption)


def without_plotlyjs(page: str) -> str:
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    bundle = max(scripts, key=len)
    return page.replace(bundle, "")


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def test_html_embeds_plotlyjs_and_loads_nothing(page):
    assert page.startswith("<!DOCTYPE html>")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    assert max(len(s) for s in scripts) > 1_000_000  # plotly.js itself, inline
    assert "Plotly" in page and "plotly.js v" in page
    assert not SCRIPT_SRC.search(page)
    rest = without_plotlyjs(page)
    # no URL outside plotly.js's own source (plotly escapes "/" as \u002f inside JSON),
    # and no CDN host name (base64 data has no dots, so "cdn." cannot appear by chance)
    assert not re.search(r"https?:(//|\\u002f)", rest, re.I)
    assert not re.search(r"cdn[\w-]*\.|jsdelivr|unpkg", rest, re.I)
    assert "<link" not in rest.lower() and "@import" not in rest
    assert len(page.encode()) < 15_000_000


def test_html_does_not_autoplay(page):
    rest = without_plotlyjs(page)
    assert "Plotly.newPlot" in rest
    assert "Plotly.animate" not in rest


def test_html_heading_and_escaped_caption(page):
    assert "<title>Rosenbrock &lt;all&gt; &amp; co</title>" in page
    assert "<h1>Rosenbrock &lt;all&gt; &amp; co</h1>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<strong>Bold</strong>" in page and "<em>italic</em>" in page
    assert "<code>code</code>" in page
    assert "<ul><li>one</li><li>two</li></ul>" in page
    assert "<th>a</th>" in page and "<td>2</td>" in page
    # the caption comes before the chart
    assert page.index("<strong>Bold</strong>") < page.index("Plotly.newPlot")


def test_markdown_paragraphs_and_plain_text():
    out = export.markdown_to_html("one line\nsame paragraph\n\nsecond 2 × 3 * 4")
    assert out == "<p>one line same paragraph</p>\n<p>second 2 × 3 * 4</p>"
    assert export.markdown_to_html("") == ""


def test_lesson_html_carries_the_lesson_text():
    lesson = lessons.get("saddle")
    s = lesson.scene
    r = s.runs()
    paths = [
        PathView(k, optimizers.get(k).display_name, optimizers.get(k), tr) for k, tr in r.items()
    ]
    fig = trajectory_figure(s.plot_objective(), paths)
    page = export.to_html(fig, title=lesson.title, caption=lesson.markdown(s, r))
    steps = {k: int(np.flatnonzero(np.abs(tr.positions[:, 1]) > 1)[0]) for k, tr in r.items()}
    assert f"<td>ADADELTA</td><td>{steps['adadelta']}</td>" in page


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def read_csv(text: str):
    comments = [ln for ln in text.splitlines() if ln.startswith("#")]
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    return comments, list(csv.DictReader(io.StringIO(body)))


def same(cell: str, value: float) -> bool:
    got = float(cell)
    return (math.isnan(got) and math.isnan(value)) or got == value


def test_csv_round_trips_every_number(runs):
    header = {
        "objective": "rosenbrock",
        "steps": 60,
        "start": (-1.5, 2.0),
        "hyperparams": {"sgd": {"lr": 0.01}},
        "note": "two\nlines",
    }
    text = export.trajectories_to_csv(runs, header)
    comments, rows = read_csv(text)
    assert "# objective: rosenbrock" in comments
    assert "# steps: 60" in comments and "# start: [-1.5, 2.0]" in comments
    assert "# note: two lines" in comments
    assert '# hyperparams.sgd: {"lr": 0.01}' in comments
    assert f"# diverged_at.sgd: {runs['sgd'].diverged_at}" in comments
    fields = {f for tr in runs.values() for f in tr.state_fields}
    columns = list(rows[0])
    assert columns[:11] == list(export.CSV_BASE_COLUMNS)
    for f in fields:  # every state field of every optimizer, both dimensions
        assert f"{f}_x" in columns and f"{f}_y" in columns
    assert len(rows) == sum(tr.steps + 1 for tr in runs.values())
    by_key: dict[str, list] = {}
    for row in rows:
        by_key.setdefault(row["optimizer"], []).append(row)
    assert list(by_key) == list(runs)
    for key, tr in runs.items():
        mine = by_key[key]
        assert [int(r["step"]) for r in mine] == list(range(tr.steps + 1))
        states = dict(zip(tr.state_fields, tr.states))
        for t, r in enumerate(mine):
            assert same(r["x"], tr.positions[t, 0]) and same(r["y"], tr.positions[t, 1])
            assert same(r["f"], tr.values[t])
            for name, arr in (("g", tr.grads), ("dx", tr.updates), ("lr_eff", tr.effective_lr)):
                for d, axis in enumerate("xy"):
                    if t < tr.steps:
                        assert same(r[f"{name}_{axis}"], arr[t, d]), (key, t, name)
                    else:
                        assert r[f"{name}_{axis}"] == ""  # no step from the last position
            for f in fields:
                for d, axis in enumerate("xy"):
                    if f in states:
                        assert same(r[f"{f}_{axis}"], states[f][t, d]), (key, t, f)
                    else:
                        assert r[f"{f}_{axis}"] == ""
    # NaN after divergence is written as nan, not left empty
    d = runs["sgd"].diverged_at
    assert by_key["sgd"][d + 1]["x"] == "nan"


def test_csv_accepts_a_scene_as_its_header():
    s = lessons.get("eps_warmup").scene.replace(steps=10)
    text = export.trajectories_to_csv(s.runs(), s)
    assert "# objective: booth" in text and '# optimizers: ["sgd", "adadelta"]' in text


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def test_json_is_strict_and_round_trips(runs):
    s = {"objective": "rosenbrock", "start": (-1.5, 2.0), "noise": 0.1, "bad": float("nan")}
    text = export.trajectories_to_json(runs, s)
    data = json.loads(text)
    json.dumps(data, allow_nan=False)  # valid, strict JSON
    assert "NaN" not in text and "Infinity" not in text
    assert data["settings"] == {
        "objective": "rosenbrock",
        "start": [-1.5, 2.0],
        "noise": 0.1,
        "bad": None,
    }
    assert list(data["optimizers"]) == list(runs)

    def back(value):
        return np.array(value, dtype=float)  # None -> nan

    for key, tr in runs.items():
        got = data["optimizers"][key]
        assert got["diverged_at"] == tr.diverged_at
        assert got["hyperparams"] == {k: float(v) for k, v in tr.optimizer.hyperparams.items()}
        for name in ("positions", "values", "grads", "updates", "effective_lr"):
            np.testing.assert_array_equal(back(got[name]), getattr(tr, name), err_msg=name)
        assert set(got["states"]) == set(tr.state_fields)
        for name, arr in zip(tr.state_fields, tr.states):
            np.testing.assert_array_equal(back(got["states"][name]), arr, err_msg=name)
    assert data["optimizers"]["sgd"]["positions"][-1] == [None, None]


def test_batched_runs_are_refused():
    obj = ov.objectives.get("booth")
    tr = ov.run(obj, optimizers.sgd(np.array([0.01, 0.02])), (0.0, 0.0), 5)
    with pytest.raises(ValueError, match="single-start"):
        export.trajectories_to_json({"sgd": tr})


# ---------------------------------------------------------------------------
# PNG
# ---------------------------------------------------------------------------


def test_png_without_kaleido_says_why_and_how(figure, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", None)  # import kaleido -> ImportError
    with pytest.raises(ExportUnavailable) as err:
        export.frame_png(figure)
    assert isinstance(err.value, RuntimeError)
    message = str(err.value)
    assert "kaleido" in message and "pip install" in message
    assert "HTML export" in message


def test_png_without_a_browser_says_why(figure, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", types.ModuleType("kaleido"))

    def no_browser(*_args, **_kwargs):
        raise RuntimeError("Could not find Chrome")

    monkeypatch.setattr(pio, "to_image", no_browser)
    with pytest.raises(ExportUnavailable, match=r"Could not find Chrome.*Chromium"):
        export.frame_png(figure)


def test_png_writes_the_requested_frame(figure, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "kaleido", types.ModuleType("kaleido"))
    seen = {}

    def fake(spec, **_kwargs):
        seen["spec"] = spec
        return b"\x89PNG\r\n\x1a\nfake"

    monkeypatch.setattr(pio, "to_image", fake)
    out = tmp_path / "frame.png"
    assert export.frame_png(figure, out, step=30) == b"\x89PNG\r\n\x1a\nfake"
    assert out.read_bytes().startswith(b"\x89PNG")
    assert seen["spec"] == export.frame_spec(figure, 30)


def test_frame_spec_shows_the_cursors_exactly_at_any_step(figure):
    spec = figure.spec
    table = spec["layout"]["meta"]["optvizCursor"]
    frame = next(f for f in spec["frames"] if f["name"] == "30")
    static = export.frame_spec(figure, 30)
    assert "frames" not in static and "sliders" not in static["layout"]
    assert "meta" not in static["layout"]  # the cursor table is not drawn
    assert frame["traces"] == table["traces"]
    for index, update, exact in zip(frame["traces"], frame["data"], figure.cursor_at(30)):
        assert static["data"][index]["x"] == exact["x"]
        assert static["data"][index]["y"] == exact["y"]
        # the frame holds the same values, rounded to 6 digits
        shown = [v for v in exact["y"] if v is not None]
        framed = [v for v in update["y"] if v is not None]
        np.testing.assert_allclose(framed, shown, rtol=1e-5)
    # a step between frames is shown exactly too (the contour cursor at step 31)
    steps = figure.spec["layout"]["meta"]["optvizCursor"]["steps"]
    assert "31" not in {f["name"] for f in spec["frames"]} or steps < 200
    assert (
        export.frame_spec(figure, 31)["data"][table["traces"][0]]["y"]
        == figure.cursor_at(31)[0]["y"]
    )
    # past the last step: the last step; None is the figure as it opens
    assert export.frame_spec(figure, 10_000)["data"] == export.frame_spec(figure, steps)["data"]
    assert export.frame_spec(figure)["data"] == spec["data"]


def test_a_frame_spec_of_a_plain_dict_uses_its_frames(figure):
    """A figure read back as a dict (no step table to compute from) shows the last frame
    at or before the step, as plotly would."""
    spec = figure.spec
    frame = next(f for f in spec["frames"] if f["name"] == "30")
    static = export.frame_spec(dict(spec), 30)
    for index, update in zip(frame["traces"], frame["data"]):
        assert static["data"][index]["y"] == update["y"]


def test_the_checks_would_catch_a_cdn_page(figure):
    """Negative control: plotly's own CDN variant fails the checks above."""
    cdn = pio.to_html(figure, include_plotlyjs="cdn", full_html=True, validate=False)
    assert SCRIPT_SRC.search(cdn)
    assert re.search(r"cdn[\w-]*\.", cdn)


def test_png_availability_is_checked_without_rendering(monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", None)
    assert "kaleido" in export.png_unavailable_reason()
    monkeypatch.setitem(sys.modules, "kaleido", types.ModuleType("kaleido"))
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(export.shutil, "which", lambda _name: None)
    assert "Chromium" in export.png_unavailable_reason()
    monkeypatch.setattr(export.shutil, "which", lambda _name: "/usr/bin/chromium")
    assert export.png_unavailable_reason() is None


@pytest.mark.skipif(
    export.png_unavailable_reason() is not None,
    reason="needs kaleido and a Chromium (apt-get install -y chromium)",
)
def test_a_real_png_of_a_frame(tmp_path):
    """kaleido drives the installed Chromium (in a fresh interpreter: other tests here fake
    the kaleido module, and plotly remembers what it found)."""
    out = tmp_path / "frame.png"
    code = (
        "import sys, optviz as ov\n"
        "from optviz import export, figures\n"
        "o = ov.objectives.get('booth')\n"
        "spec = ov.optimizers.get('adadelta')\n"
        "traj = ov.run(o, spec.build(), o.start, 20)\n"
        "path = figures.PathView('adadelta', 'ADADELTA', spec, traj)\n"
        "fig = figures.trajectory_figure(o, [path])\n"
        "export.frame_png(fig, sys.argv[1], step=3, width=600, height=500)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=pathlib.Path(__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (600, 500)


def test_html_of_a_projector_figure_is_a_dark_page():
    obj = ov.objectives.get("booth")
    spec = optimizers.get("adadelta")
    paths = [PathView("adadelta", "ADADELTA", spec, ov.run(obj, spec.build(), obj.start, 20))]
    light = export.to_html(trajectory_figure(obj, paths), title="t")
    dark = export.to_html(trajectory_figure(obj, paths, theme="projector"), title="t")
    assert "body { background: #0E1117; color: #F5F5F5; }" in dark
    assert "background: #0E1117" not in light
    assert '"paper_bgcolor":"#0E1117"' in dark.replace(": ", ":")


def test_the_heatmaps_of_a_projector_export_are_dark_too():
    """The Sensitivity heatmaps under a lesson's animation take the theme of the export:
    on a dark page, a dark figure (not a white block)."""
    scene = lessons.get("insensitive").scene
    for theme in ("light", "projector"):
        heat = export.sensitivity_figure(scene, resolution=5, theme=theme)
        layout = heat.spec["layout"]
        want = ov.figures.theme_of(theme)
        assert (layout["paper_bgcolor"], layout["font"]["color"]) == (want.paper, want.text)
    obj = scene.plot_objective()
    spec = optimizers.get("adadelta")
    paths = [PathView("adadelta", "ADADELTA", spec, ov.run(obj, spec.build(), obj.start, 20))]
    page = export.to_html([trajectory_figure(obj, paths, theme="projector"), heat], title="t")
    assert page.replace(": ", ":").count('"paper_bgcolor":"#0E1117"') == 2
    assert '"paper_bgcolor":"white"' not in page.replace(": ", ":")


def test_backslash_escaped_user_text_is_shown_as_typed():
    """A typed formula in an export's caption is escaped (``optviz.ui.markup``): its ``**``
    is two stars, not bold, and no backslash shows."""
    from optviz.export import markdown_to_html
    from optviz.ui.markup import escape

    page = markdown_to_html(f"**{escape('f(x, y) = x**2 + y**2 <b>')}**, 500 steps")
    assert page == "<p><strong>f(x, y) = x**2 + y**2 &lt;b&gt;</strong>, 500 steps</p>"


def test_lesson_4_html_has_its_sensitivity_heatmaps_and_the_inspector():
    """Lesson 4 points at the Sensitivity view: its export draws the heatmaps too (a second
    chart), and every export carries the step inspector's numbers at the chosen step."""
    from optviz import __main__ as cli
    from optviz.inspector import step_details
    from optviz.numbers import table_number

    lesson = lessons.get("insensitive")
    assert lesson.view == "sensitivity"
    page = cli.render("insensitive", "html", step=7)
    assert 'id="optviz-chart-2"' in page  # the heatmaps, under the animation
    assert "final f − f<sub>min</sub>" in page or "final f" in page
    runs = lesson.scene.runs()
    for key, tr in runs.items():
        name = optimizers.get(key).display_name
        assert f"<strong>Step inspector: {name}, step 7</strong>" in page
        d = step_details(lesson.scene.transform.to_optimizer(tr), 7)
        _, meaning, x, y = d.rows[-1]
        assert f"<td>{meaning}</td><td>{table_number(x)}</td><td>{table_number(y)}</td>" in page
    assert "<strong>Settings.</strong>" in page and "rho = 0.95" in page
    # a lesson told on the trajectories has one chart, and the inspector
    saddle = cli.render("saddle", "html")
    assert 'id="optviz-chart-2"' not in saddle and "Step inspector" in saddle


def test_the_png_has_a_title_and_the_settings(figure, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaleido", types.ModuleType("kaleido"))
    seen = {}
    monkeypatch.setattr(pio, "to_image", lambda spec, **_kw: seen.update(spec=spec) or b"png")
    scene = lessons.get("saddle").scene
    title, settings = export.png_title(scene), export.settings_lines(scene)
    export.frame_png(figure, step=30, title=title, settings=settings)
    text = seen["spec"]["layout"]["title"]["text"]
    for key in scene.optimizers:
        assert optimizers.get(key).display_name in text
    assert scene.plot_objective().display_name in text
    assert f"{scene.steps} steps" in text and "start (" in text
    for key in scene.optimizers:
        for name in scene.hp(key):
            assert f"{name} = " in text
    assert seen["spec"]["layout"]["margin"]["t"] > 40 + 18 * len(settings)
    # the picture itself is the frame's
    assert seen["spec"]["data"] == export.frame_spec(figure, 30)["data"]
