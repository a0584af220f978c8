"""``python -m optviz``: help, the lesson list, exports, and one-line errors (exit 2)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optviz import __main__ as cli
from optviz import lessons

ROOT = Path(__file__).resolve().parents[1]


def optviz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optviz", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("optviz: error: ")
    return lines[0]


def test_no_command_is_a_usage_error():
    proc = optviz()
    assert proc.returncode == 2 and "a command is needed" in proc.stderr
    assert proc.stderr.startswith("usage: python -m optviz") and not proc.stdout
    assert "Traceback" not in proc.stderr


def test_help_explains_the_command():
    proc = optviz("--help")
    assert proc.returncode == 0
    assert "export" in proc.stdout and "ADADELTA" in proc.stdout
    proc = optviz("export", "--help")
    assert proc.returncode == 0
    for word in ("--lesson", "--out", "--format", "--list", "suffix"):
        assert word in proc.stdout


def test_list_prints_the_lessons_one_per_line():
    proc = optviz("export", "--list")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == lessons.names()


def test_export_html(tmp_path):
    out = tmp_path / "saddle.html"
    proc = optviz("export", "--lesson", "saddle", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Plotly.newPlot" in page and not re.search(r"<script[^>]+src\s*=", page)
    assert f"<h1>{lessons.get('saddle').title}</h1>" in page
    assert "What to look at:" in page and "escape step" in page
    assert len(page) < 15_000_000


def test_export_draws_a_lessons_ghosts_in_their_optimizers_colours(monkeypatch):
    from optviz import export
    from optviz.figures import colour_of

    figures = []
    monkeypatch.setattr(export, "to_html", lambda fig, **_: figures.append(fig) or "")
    cli.render("adagrad_bad_start", "html")
    ghosts = lessons.get("adagrad_bad_start").ghosts(lessons.get("adagrad_bad_start").scene)
    drawn = {t.get("name"): t.get("line", {}).get("color") for t in figures[0].to_dict()["data"]}
    assert ghosts and all(drawn[g.label] == colour_of(g.key) == "#228833" for g in ghosts)


def test_export_has_the_lessons_arrows_and_rate_bars_and_a_theme(monkeypatch):
    """Lesson 5 opens with the step's arrows and rate bars in the app: its export has them
    too (``--arrows off`` leaves them out); ``--theme projector`` colours it dark."""
    from optviz import export, figures

    drawn = []
    monkeypatch.setattr(export, "to_html", lambda fig, **_: drawn.append(fig) or "")
    groups = lambda fig: {t.get("legendgroup") for t in fig.to_dict()["data"]}  # noqa: E731
    cli.render("per_dimension", "html")
    assert {"arrows", "bars"} <= groups(drawn[-1])
    assert drawn[-1].to_dict()["layout"]["meta"]["optvizTheme"] == "light"
    cli.render("per_dimension", "html", arrows=False, theme="projector")
    assert not {"arrows", "bars"} & groups(drawn[-1])
    layout = drawn[-1].to_dict()["layout"]
    assert layout["meta"]["optvizTheme"] == "projector"
    assert layout["paper_bgcolor"] == figures.PROJECTOR.paper
    cli.render("saddle", "html", arrows=True)  # a lesson without them, asked for them
    assert "arrows" in groups(drawn[-1])


def test_export_surface_draws_the_3d_view_with_frames_that_move_it(tmp_path):
    out = tmp_path / "saddle-3d.html"
    proc = optviz("export", "--lesson", "saddle", "--surface", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert '"type":"surface"' in text and '"scene":"scene"' in text
    assert '"redraw":true' in text  # plotly's own ▶ Play moves the 3-D cursor
    flat = cli.render("saddle", "html")
    assert '"type":"surface"' not in flat and '"redraw":false' in flat


def test_export_theme_and_arrows_flags_are_checked():
    assert "--theme" in optviz("export", "--help").stdout
    proc = optviz("export", "--lesson", "saddle", "--out", "-", "--theme", "neon")
    assert proc.returncode == 2 and "invalid choice: 'neon'" in proc.stderr


def test_export_csv_from_suffix_and_json_from_flag(tmp_path):
    out = tmp_path / "warmup.csv"
    proc = optviz("export", "--lesson", "eps_warmup", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "# lesson: eps_warmup" in text
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body)))
    runs = lessons.get("eps_warmup").scene.runs()
    assert len(rows) == sum(tr.steps + 1 for tr in runs.values())
    first = next(r for r in rows if r["optimizer"] == "adadelta" and r["step"] == "0")
    assert float(first["dx_x"]) == runs["adadelta"].updates[0, 0]  # exact

    out = tmp_path / "saddle.txt"
    proc = optviz("export", "--lesson", "saddle", "--out", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["optimizers"]) == list(lessons.get("saddle").scene.optimizers)
    assert data["settings"]["lesson"] == "saddle"


def test_export_to_stdout():
    proc = optviz("export", "--lesson", "saddle", "--out", "-", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["settings"]["objective"] == "saddle"


def test_unknown_lesson_is_one_line_with_the_names(tmp_path):
    line = one_line_error(optviz("export", "--lesson", "nope", "--out", str(tmp_path / "x.html")))
    assert "unknown lesson 'nope'" in line
    for name in lessons.names():
        assert name in line
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("where", ["missing folder", "a directory", "under a file"])
def test_bad_path_is_one_line(tmp_path, where):
    (tmp_path / "file.txt").write_text("x")
    out = {
        "missing folder": tmp_path / "no" / "such" / "x.html",
        "a directory": tmp_path,
        "under a file": tmp_path / "file.txt" / "x.html",
    }[where]
    line = one_line_error(optviz("export", "--lesson", "saddle", "--out", str(out)))
    assert "cannot write" in line and str(out) in line


def test_usage_errors_in_process(capsys):
    assert cli.main(["export"]) == 2
    assert cli.main(["export", "--lesson", "saddle"]) == 2
    assert cli.main(["export", "--lesson", "saddle", "--out", "x.pdf", "--format", "pdf"]) == 2
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(ln.startswith("optviz: error: ") for ln in err)


def test_format_inference():
    assert cli.output_format("a.csv", None) == "csv"
    assert cli.output_format("a.JSON", None) == "json"
    assert cli.output_format("a.html", None) == "html"
    assert cli.output_format("slides", None) == "html"
    assert cli.output_format("a.csv", "json") == "json"


def test_core_never_imports_streamlit():
    code = (
        "import sys, optviz, optviz.lessons, optviz.export, optviz.__main__; "
        "optviz.lessons.get('saddle').scene.runs(); "
        "assert 'streamlit' not in sys.modules, 'streamlit imported'"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
