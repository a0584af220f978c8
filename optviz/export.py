"""Exports for slides and notebooks: an offline HTML animation, the data as CSV or JSON,
and (when kaleido is installed) a PNG of one frame.

* :func:`to_html` — one self-contained HTML file: a heading, the caption (lesson text or a
  description of the settings; minimal markdown, HTML-escaped) and the animated figure, with
  plotly.js embedded (``include_plotlyjs=True``): no ``<script src=…>``, nothing loaded from
  the network, so it plays from a USB stick in a classroom without internet. The
  animation does not start by itself (``auto_play=False``).
* :func:`trajectories_to_csv` — one row per optimizer and step ``t = 0 … T``: position, f,
  gradient, update, effective learning rate and every accumulator, both dimensions; header
  comment lines ``# key: value`` name the settings. Floats are written with ``repr`` so they
  read back to the same bits; an empty cell means "does not apply" (no gradient, update or
  rate at the last position ``t = T``; an accumulator another optimizer does not have);
  ``nan`` means the run had diverged.
* :func:`trajectories_to_json` — the same numbers as JSON, NaN as ``null`` (strict JSON).
* :func:`frame_png` — a PNG of one frame through plotly's kaleido, which is *not* a
  dependency of optviz; without it (or without a browser for it) a clear
  :class:`ExportUnavailable` says why and how to get it.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import plotly.io as pio

from .figures import with_frames
from .runner import Trajectory

__all__ = [
    "CSV_BASE_COLUMNS",
    "ExportUnavailable",
    "frame_png",
    "frame_spec",
    "markdown_to_html",
    "png_unavailable_reason",
    "settings_dict",
    "to_html",
    "trajectories_to_csv",
    "trajectories_to_json",
]

#: The columns every CSV has, before the accumulators (``<field>_x``, ``<field>_y``).
CSV_BASE_COLUMNS = (
    "optimizer",
    "step",
    "x",
    "y",
    "f",
    "g_x",
    "g_y",
    "dx_x",
    "dx_y",
    "lr_eff_x",
    "lr_eff_y",
)


class ExportUnavailable(RuntimeError):
    """An export that needs something optviz does not ship (kaleido, a browser)."""


# ---------------------------------------------------------------------------
# Minimal markdown
# ---------------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\*\w])\*(?=\S)(.+?)(?<=\S)\*(?![\*\w])")
_CODE = re.compile(r"`([^`]+)`")
_BULLET = re.compile(r"^\s*[-*] ")
#: a backslash-escaped character (``\*``: a star, not emphasis), as ``optviz.ui.markup``
#: writes the user's text; kept aside as a private-use character while the rest is read
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~$#])")
_PRIVATE = 0xE000


def _inline(text: str) -> str:
    """Escape ``text`` and render **bold**, *italic*, `code` and backslash escapes."""
    out = _ESCAPED.sub(lambda m: chr(_PRIVATE + ord(m[1])), text)
    out = html.escape(out, quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _EM.sub(r"<em>\1</em>", out)
    return re.sub(
        "[\ue000-\ue07f]", lambda m: html.escape(chr(ord(m[0]) - _PRIVATE), quote=False), out
    )


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_to_html(text: str) -> str:
    """The small part of markdown the lessons use, as HTML (everything escaped first).

    Blocks are separated by blank lines: ``| a | b |`` rows (with a ``|---|`` second row)
    become a table, ``- item`` lines a list, ``# …`` a heading, anything else a paragraph
    (its lines joined by spaces). Inline: ``**bold**``, ``*italic*``, ```code```.
    """
    blocks = re.split(r"\n\s*\n", text.strip()) if text.strip() else []
    out = []
    for block in blocks:
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if all(ln.lstrip().startswith("|") for ln in lines):
            rows = [_cells(ln) for ln in lines]
            has_head = len(rows) > 1 and all(re.fullmatch(r":?-+:?", c) for c in rows[1])
            parts = ["<table>"]
            if has_head:
                parts.append(
                    "<thead><tr>"
                    + "".join(f"<th>{_inline(c)}</th>" for c in rows[0])
                    + "</tr></thead>"
                )
                rows = rows[2:]
            parts.append(
                "<tbody>"
                + "".join(
                    "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows
                )
                + "</tbody></table>"
            )
            out.append("".join(parts))
        elif all(_BULLET.match(ln) for ln in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', ln))}</li>" for ln in lines)
            out.append(f"<ul>{items}</ul>")
        elif len(lines) == 1 and re.match(r"#{1,6} ", lines[0]):
            level = min(6, len(lines[0]) - len(lines[0].lstrip("#")) + 1)
            out.append(f"<h{level}>{_inline(lines[0].lstrip('#').strip())}</h{level}>")
        else:
            out.append(f"<p>{_inline(' '.join(ln.strip() for ln in lines))}</p>")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 1.5rem auto; max-width: 1400px; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.5rem; }
.caption { font-size: 1.05rem; max-width: 70rem; }
.caption table { border-collapse: collapse; margin: 0.5rem 0; }
.caption th, .caption td { border: 1px solid #ccc; padding: 0.15rem 0.6rem; text-align: left; }
.caption code { background: #f3f3f3; padding: 0 0.2rem; }
footer { color: #777; font-size: 0.85rem; margin-top: 1rem; }
"""


def _page_theme(fig: Any) -> str:
    """CSS that puts the page in the figure's colours when it has a dark background (the
    projector theme, ``optviz.figures.PROJECTOR``); nothing for a light figure."""
    spec = fig if isinstance(fig, dict) else fig.to_dict()
    layout = spec.get("layout") or {}
    background = str(layout.get("paper_bgcolor") or "white")
    if background.lower() in ("white", "#fff", "#ffffff"):
        return ""
    text = (layout.get("font") or {}).get("color") or "#F5F5F5"
    return (
        f"\nbody {{ background: {background}; color: {text}; }}\n"
        "footer { color: #B0B4BC; }\n.caption code { background: #1E222B; }\n"
        ".caption th, .caption td { border-color: #3A3F4B; }\n"
    )


def to_html(fig: Any, *, title: str, caption: str = "") -> str:
    """A self-contained HTML page: ``title`` as heading, ``caption`` (minimal markdown, see
    :func:`markdown_to_html`) above the chart, plotly.js embedded; it loads nothing from
    the network and does not auto-play. ``fig`` is a figure (a ``SpecFigure`` or any
    ``go.Figure``) or its dict, or a list of them (drawn one under the other, plotly.js
    embedded once)."""
    figures = list(fig) if isinstance(fig, (list, tuple)) else [fig]
    chart = "\n".join(
        pio.to_html(
            _spec(one),
            include_plotlyjs=i == 0,
            full_html=False,
            auto_play=False,
            validate=False,
            div_id="optviz-chart" if i == 0 else f"optviz-chart-{i + 1}",
            config={"displaylogo": False, "responsive": True},
        )
        for i, one in enumerate(figures)
    )
    safe_title = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{safe_title}</title>\n<style>{_STYLE}{_page_theme(figures[0])}</style>\n"
        "</head>\n<body>\n"
        f"<header>\n<h1>{safe_title}</h1>\n"
        f'<div class="caption">\n{markdown_to_html(caption)}\n</div>\n</header>\n'
        f'<main class="chart">\n{chart}\n</main>\n'
        "<footer>Made with optviz. Self-contained: plotly.js is inside this file, "
        "no network needed. Press ▶ Play.</footer>\n"
        "</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------
# Data: CSV and JSON
# ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain JSON values: tuples -> lists, NumPy -> Python, non-finite floats -> None."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def settings_dict(settings: Any) -> dict[str, Any]:
    """Settings as a plain dict: an object's ``describe()`` (``optviz.scene.Scene``), a
    dataclass's fields (the app's ``Scene``), or a mapping as it is."""
    if settings is None:
        return {}
    if hasattr(settings, "describe") and callable(settings.describe):
        settings = settings.describe()
    elif dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        settings = dataclasses.asdict(settings)
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a mapping or a dataclass, got {type(settings)!r}")
    return dict(settings)


def _check_single(key: str, tr: Trajectory) -> None:
    if np.ndim(tr.positions) != 2:
        raise ValueError(
            f"{key}: export takes single-start runs, got positions of shape "
            f"{np.shape(tr.positions)}"
        )


def _state_columns(runs: Mapping[str, Trajectory]) -> list[str]:
    fields: list[str] = []
    for tr in runs.values():
        for name in tr.state_fields:
            if name not in fields:
                fields.append(name)
    return fields


def _cell(value: float) -> str:
    return repr(float(value))


def _one_line(text: Any) -> str:
    if not isinstance(text, str):
        text = json.dumps(_jsonable(text), ensure_ascii=False, allow_nan=False)
    return re.sub(r"[\r\n]+", " ", text)


def trajectories_to_csv(runs: Mapping[str, Trajectory], settings_header: Any = None) -> str:
    """Every step of every run as CSV (see the module docstring for the conventions).

    Columns: :data:`CSV_BASE_COLUMNS`, then ``<field>_x, <field>_y`` for the union of the
    runs' state fields (in order of first appearance). Row ``(optimizer, t)`` holds
    ``x_t``, ``f(x_t)``, the state before step ``t`` and — for ``t < T`` — ``g_t``,
    ``Δx_t`` and the effective rate of step ``t``. Comment lines first: ``# key: value``
    for each setting (non-string values as JSON), then per optimizer its hyperparameters,
    state fields and ``diverged_at``.
    """
    for key, tr in runs.items():
        _check_single(key, tr)
    fields = _state_columns(runs)
    buf = io.StringIO()
    buf.write("# optviz trajectories\n")
    for key, value in settings_dict(settings_header).items():
        buf.write(f"# {_one_line(str(key))}: {_one_line(value)}\n")
    for key, tr in runs.items():
        hp = {k: _jsonable(v) for k, v in tr.optimizer.hyperparams.items()}
        buf.write(f"# hyperparams.{key}: {_one_line(hp)}\n")
        buf.write(f"# state_fields.{key}: {', '.join(tr.state_fields)}\n")
        buf.write(f"# diverged_at.{key}: {int(tr.diverged_at)}\n")
    buf.write(
        "# empty cell: does not apply (no gradient/update/rate at the last step t = T; "
        "an accumulator this optimizer does not keep); nan: after divergence\n"
    )
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_BASE_COLUMNS, *(f"{f}_{d}" for f in fields for d in ("x", "y"))])
    for key, tr in runs.items():
        states = dict(zip(tr.state_fields, tr.states))
        steps = tr.steps
        for t in range(steps + 1):
            row = [
                key,
                str(t),
                _cell(tr.positions[t, 0]),
                _cell(tr.positions[t, 1]),
                _cell(tr.values[t]),
            ]
            if t < steps:
                row += [_cell(v) for v in (*tr.grads[t], *tr.updates[t], *tr.effective_lr[t])]
            else:
                row += [""] * 6
            for f in fields:
                if f in states:
                    row += [_cell(states[f][t, 0]), _cell(states[f][t, 1])]
                else:
                    row += ["", ""]
            writer.writerow(row)
    return buf.getvalue()


def _rows(arr: np.ndarray) -> list:
    return _jsonable(np.asarray(arr, dtype=float))


def trajectories_to_json(runs: Mapping[str, Trajectory], settings: Any = None) -> str:
    """The runs as strict JSON (NaN -> ``null``)::

        {"settings": {...},
         "optimizers": {key: {"display_name", "hyperparams", "positions": [[x, y], ...],
                              "values": [...], "grads", "updates", "effective_lr",
                              "states": {field: [[x, y], ...]}, "diverged_at": int}}}

    ``positions``, ``values`` and ``states`` have ``T + 1`` entries (index t = before step
    t), ``grads``, ``updates`` and ``effective_lr`` ``T``. Floats round-trip exactly.
    """
    out: dict[str, Any] = {"settings": _jsonable(settings_dict(settings)), "optimizers": {}}
    for key, tr in runs.items():
        _check_single(key, tr)
        out["optimizers"][key] = {
            "display_name": tr.optimizer.spec.display_name,
            "hyperparams": _jsonable(dict(tr.optimizer.hyperparams)),
            "positions": _rows(tr.positions),
            "values": _rows(tr.values),
            "grads": _rows(tr.grads),
            "updates": _rows(tr.updates),
            "effective_lr": _rows(tr.effective_lr),
            "states": {name: _rows(arr) for name, arr in zip(tr.state_fields, tr.states)},
            "diverged_at": int(tr.diverged_at),
        }
    return json.dumps(out, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------
# PNG of one frame
# ---------------------------------------------------------------------------


def _spec(fig: Any) -> dict:
    """The figure's dict; a trajectory figure made for the app's chart (its step cursor
    a table, no plotly frames) gets plotly's frames and ▶ Play (``figures.with_frames``)."""
    if isinstance(fig, Mapping):
        return with_frames(dict(fig))
    spec = getattr(fig, "spec", None)
    if isinstance(spec, dict):
        return with_frames(spec)
    return fig.to_dict()


def frame_spec(fig: Any, step: int | None = None) -> dict:
    """The figure as a static dict showing animation frame ``step`` (the frame named
    ``str(step)``, or the last frame at or before it; ``None``: the figure as it opens).
    The frame's data is merged into the traces it names; frames, sliders and buttons are
    dropped. A trajectory figure (``SpecFigure``) shows its cursors exactly at ``step``,
    whichever steps its frames hold."""
    spec = fig.spec if hasattr(fig, "cursor_at") else _spec(fig)
    data = [dict(trace) for trace in spec.get("data", [])]
    frames = spec.get("frames") or []
    table = (spec.get("layout", {}).get("meta") or {}).get("optvizCursor")
    if step is not None and table and hasattr(fig, "cursor_at"):
        # a trajectory figure knows every step: the cursors exactly at ``step``
        at = min(max(int(step), 0), int(table["steps"]))
        for index, update in zip(table["traces"], fig.cursor_at(at)):
            data[index] = {**data[index], **update}
    elif step is not None and frames:

        def number(frame: Mapping) -> float:
            try:
                return float(frame.get("name"))
            except (TypeError, ValueError):
                return math.inf

        eligible = [f for f in frames if number(f) <= step]
        frame = max(eligible, key=number) if eligible else frames[0]
        indices = frame.get("traces", range(len(frame.get("data", []))))
        for index, update in zip(indices, frame.get("data", [])):
            if 0 <= index < len(data):
                data[index] = {**data[index], **update}
    layout = {
        k: v
        for k, v in spec.get("layout", {}).items()
        if k not in ("sliders", "updatemenus", "meta")
    }
    return {"data": data, "layout": layout}


_HOW = (
    "kaleido (a dependency of optviz: `pip install -e .`) drives a Chrome or Chromium "
    "that is already installed, e.g. `apt-get install -y chromium`; the HTML export "
    "needs neither"
)


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def png_unavailable_reason() -> str | None:
    """Why :func:`frame_png` cannot work here (None when it can: kaleido and a browser).

    kaleido drives a Chromium or Chrome that is already installed (it is never downloaded
    at run time); ``BROWSER_PATH`` may point at one.
    """
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return f"PNG export needs the package kaleido, which is not installed: {_HOW}."
    if os.environ.get("BROWSER_PATH") and os.path.exists(os.environ["BROWSER_PATH"]):
        return None
    if any(shutil.which(name) for name in BROWSERS):
        return None
    return f"PNG export needs a Chromium or Chrome on this machine, and none was found: {_HOW}."


def frame_png(
    fig: Any,
    path: str | Path | None = None,
    *,
    step: int | None = None,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
    title: str | None = None,
    settings: list[str] | None = None,
) -> bytes:
    """A PNG of frame ``step`` of ``fig`` (see :func:`frame_spec`), through plotly's kaleido;
    with ``title`` (:func:`png_title`) and ``settings`` (:func:`settings_lines`) above the
    picture (:func:`titled_spec`), so that the file says what it shows.

    Returns the PNG bytes and, if ``path`` is given, also writes them there. Raises
    :class:`ExportUnavailable` — with a message that says why and how to get it — when
    kaleido is not installed or cannot render (no browser for it).
    """
    try:
        import kaleido  # noqa: F401  (optional, not a dependency of optviz)
    except ImportError:
        raise ExportUnavailable(
            f"PNG export needs the optional package kaleido, which is not installed: {_HOW}."
        ) from None
    spec = frame_spec(fig, step)
    if title is not None or settings:
        spec = titled_spec(spec, title or "", list(settings or []))
        if height is not None:
            height = int(spec["layout"].get("height") or height)
    try:
        png = pio.to_image(
            spec,
            format="png",
            width=width,
            height=height,
            scale=scale,
            validate=False,
        )
    except Exception as exc:  # kaleido reports a missing browser in several ways
        raise ExportUnavailable(
            f"PNG export failed in kaleido ({type(exc).__name__}: {exc}); {_HOW}."
        ) from exc
    if path is not None:
        Path(path).write_bytes(png)
    return png


# ---------------------------------------------------------------------------
# The network's tables (optviz.network)
# ---------------------------------------------------------------------------


def network_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per optimizer, configuration and epoch of :class:`optviz.network.NetworkResult`
    sweeps: hyperparameters, mean test error, training loss, diverged."""
    rows = []
    for key, r in results.items():
        for index in np.ndindex(*r.shape):
            config = r.configuration(index)
            for e in range(r.epochs):
                rows.append(
                    {
                        "optimizer": key,
                        "hyperparams": config,
                        "epoch": e + 1,
                        "test_error": float(r.test_error[index][e]),
                        "train_loss": float(r.train_loss[index][e]),
                        "diverged": bool(r.diverged[index]),
                    }
                )
    return rows


def network_to_csv(results: Mapping[str, Any], settings_header: Any = None) -> str:
    """The network sweeps as CSV: comment lines for the settings, then one row per
    optimizer, configuration and epoch (see :func:`network_rows`; NaN: diverged)."""
    buf = io.StringIO()
    buf.write("# optviz network tables\n")
    for key, value in settings_dict(settings_header).items():
        buf.write(f"# {_one_line(str(key))}: {_one_line(value)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["optimizer", "hyperparams", "epoch", "test_error", "train_loss", "diverged"])
    for row in network_rows(results):
        writer.writerow(
            [
                row["optimizer"],
                json.dumps(row["hyperparams"], sort_keys=True),
                row["epoch"],
                _cell(row["test_error"]),
                _cell(row["train_loss"]),
                int(row["diverged"]),
            ]
        )
    return buf.getvalue()


def network_to_json(results: Mapping[str, Any], settings: Any = None) -> str:
    """The network sweeps as strict JSON: ``{"settings": {...}, "rows": [...]}``."""
    out = {"settings": _jsonable(settings_dict(settings)), "rows": _jsonable(network_rows(results))}
    return json.dumps(out, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------
# What an export shows besides the animation: the settings, the step inspector, the
# Sensitivity view (each from a Scene, optviz.scene)
# ---------------------------------------------------------------------------

#: the step the inspector opens at (the app's default, and the CLI's --step default)
DEFAULT_INSPECT_STEP = 10
#: the Sensitivity heatmaps' resolution in an export (cells per axis)
EXPORT_RESOLUTION = 20


def _g(v: float) -> str:
    from .numbers import slider_value

    return slider_value(float(v))


def settings_lines(scene: Any) -> list[str]:
    """The scene's settings in words, one line each: the objective, start, steps (and
    noise, the robustness demos), then every optimizer with its hyperparameters."""

    obj = scene.plot_objective()
    first = f"{obj.display_name}: start ({_g(scene.start[0])}, {_g(scene.start[1])}), "
    first += f"{scene.steps} steps"
    if scene.noise:
        first += f", gradient noise σ = {_g(scene.noise)} (seed {scene.seed})"
    t = scene.transform
    if t.scale_exp:
        first += f", f × 10^{t.scale_exp}"
    if t.stretch != 1.0:
        first += f", x stretched × {_g(t.stretch)}"
    lines = [first]
    for key in scene.optimizers:
        hp = ", ".join(f"{k} = {_g(v)}" for k, v in scene.hp(key).items())
        lines.append(f"{scene.label(key)}: {hp}")
    return lines


def png_title(scene: Any) -> str:
    """The PNG's title: the objective and the optimizers compared."""
    names = ", ".join(scene.label(k) for k in scene.optimizers)
    return f"{scene.plot_objective().display_name} — {names}"


def titled_spec(spec: Mapping, title: str, lines: list[str], font: int = 13) -> dict:
    """``spec`` (a static figure dict) with ``title`` above it and ``lines`` (the settings)
    under the title, the top margin grown to hold them: a PNG that says what it shows."""
    layout = dict(spec.get("layout", {}))
    settings = "<br>".join(html.escape(line, quote=False) for line in lines)
    margin = dict(layout.get("margin") or {})
    margin["t"] = int(margin.get("t", 40)) + 56 + round(1.6 * font) * len(lines)
    layout.update(
        title={
            "text": f"<b>{html.escape(title, quote=False)}</b>"
            + f"<br><span style='font-size:{font}px'>{settings}</span>",
            "x": 0.01,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": font + 5},
        },
        margin=margin,
    )
    if layout.get("height"):
        layout["height"] = (
            int(layout["height"])
            + margin["t"]
            - int((spec.get("layout", {}).get("margin") or {}).get("t", 40))
        )
        # plotly anchors a title of several lines by its first line: keep that one inside
        layout["title"]["y"] = 1.0 - (font + 14) / layout["height"]
    return {**spec, "layout": layout}


def inspector_markdown(scene: Any, runs: Mapping[str, Trajectory], step: int) -> str:
    """The step inspector at step ``step`` (clamped to 1 … steps) as markdown: for every
    optimizer, its numbers in x and in y (in the optimizer's own coordinates, as the app's
    inspector shows them), written as every table writes numbers."""
    from .inspector import step_details
    from .numbers import table_number

    parts = []
    for key, tr in runs.items():
        t = min(max(int(step), 1), tr.steps)
        d = step_details(scene.transform_of(key).to_optimizer(tr), t)
        head = f"**Step inspector: {scene.label(key)}, step {t}**"
        if d.diverged:
            head += " (diverged: the numbers are NaN)"
        rows = ["| quantity | meaning | x | y |", "|---|---|---|---|"]
        for sym, meaning, x, y in d.rows:
            symbol = sym.replace("|", "/").replace("`", "'")
            rows.append(f"| `{symbol}` | {meaning} | {table_number(x)} | {table_number(y)} |")
        parts += [head, "\n".join(rows)]
    return "\n\n".join(parts)


def sensitivity_figure(
    scene: Any,
    resolution: int = EXPORT_RESOLUTION,
    presenter: bool = False,
    theme: str = "light",
):
    """The Sensitivity view's heatmaps of ``scene``: every compared optimizer that has sweep
    axes over its default grid, the others at their settings, on the scene's (transformed)
    function from its start, with its noise and seed; the final f − f_min (or f); in the
    theme called ``theme`` (:data:`optviz.figures.THEMES`)."""
    from . import optimizers, sweeps
    from .sweep_figures import Panel, heatmap_figure

    panels = []
    for key in scene.optimizers:
        axes = sweeps.sweep_axes(key)
        if not axes:
            continue
        hp = scene.hp(key)
        result = sweeps.sweep(
            scene.run_objective(),
            key,
            sweeps.default_grid(key, resolution),
            scene.run_start,
            scene.steps,
            seed=scene.seed,
            noise=scene.sigma,
            fixed={k: v for k, v in hp.items() if k not in axes},
        )
        score = sweeps.grid_score(result)
        note = " · ".join(
            ([f"{100 * score.share:.2g}% solved"] if score.share is not None else [])
            + [f"{100 * score.diverged_share:.2g}% diverged"]
        )
        panels.append(
            Panel(
                key,
                optimizers.get(key).display_name,
                result,
                current={a: hp[a] for a in result.axes if a in hp},
                note=note,
            )
        )
    if not panels:
        return None
    return heatmap_figure(panels, "final", presenter=presenter, theme=theme)
