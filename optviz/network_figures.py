"""Pure Plotly builders for the Network view (:mod:`optviz.network`): the paper's Tables
1–2 as heatmaps of test error on one colour scale, Figure 1 (test error against epochs)
and Figure 2 (per-layer step sizes over the updates).

Each returns a :class:`optviz.figures.SpecFigure` of plain dicts. Trace ``meta`` says what
a trace is (``{"role": "table1" | "table2" | "diverged" | "curve" | "rate" | "one"}``), so
the tests read a figure by meaning, not by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import optimizers
from .figures import AXIS_STYLE, SpecFigure, Style, colour_of
from .network import PAPER_EPS, PAPER_LRS, PAPER_RHOS, TABLE1, TABLE2, NetworkResult
from .numbers import slider_value, table_number

Array = np.ndarray

#: test error, in %, from which the colour scale saturates (chance is 90 %)
ERROR_SCALE = (0.0, 90.0)
COLORSCALE = "Viridis"
DIVERGED_COLOR = "#D7191C"
#: torch.optim.Adadelta's defaults, a cell of Table 2 (its η = 1 is the paper's)
TORCH_DEFAULT = {"rho": 0.9, "eps": 1e-6}


def _pct(v: float) -> str:
    """A cell's test error, in % (the colour bar says so): "3.4"; "✕" diverged."""
    return "✕" if np.isnan(v) else table_number(100 * v)


def _name(key: str) -> str:
    return optimizers.get(key).display_name


def tables_figure(
    results: Mapping[str, NetworkResult],
    epoch: int,
    *,
    presenter: bool = False,
    theme: str = "light",
) -> SpecFigure:
    """Table 1 (left: SGD, momentum, ADAGRAD × η) and Table 2 (right: ADADELTA, ρ × ε):
    the mean test error after ``epoch`` epochs, written in every cell, on one colour scale
    (0 … 90 %, chance); diverged cells are red and say so. ``theme`` names a
    :class:`optviz.figures.Theme` (the colour scale is the same in every theme)."""
    style = Style.of(presenter, theme)
    e = int(epoch) - 1
    t1 = np.array([results[k].test_error[:, e] for k in TABLE1]) * 100
    t2 = results[TABLE2].test_error[..., e] * 100
    zmin, zmax = ERROR_SCALE
    common = {
        "type": "heatmap",
        "colorscale": COLORSCALE,
        "reversescale": True,
        "zmin": zmin,
        "zmax": zmax,
        "texttemplate": "%{text}",
        "textfont": {"size": style.font + 1},
        "hovertemplate": "%{y}, %{x}: test error %{text} %<extra></extra>",
        "xgap": 2,
        "ygap": 2,
    }
    lr_labels = [slider_value(v) for v in PAPER_LRS]
    eps_labels = [slider_value(v) for v in PAPER_EPS]
    rho_labels = [f"ρ {v:g}" for v in PAPER_RHOS]
    traces = [
        {
            **common,
            "z": np.where(np.isnan(t1), None, t1).tolist(),
            "x": lr_labels,
            "y": [_name(k) for k in TABLE1],
            "text": [[_pct(v / 100) for v in row] for row in t1],
            "xaxis": "x",
            "yaxis": "y",
            "colorbar": {
                "title": {"text": "test error (%)", "side": "right"},
                "x": 1.0,
                "len": 0.9,
                "thickness": 14,
            },
            "meta": {"role": "table1"},
        },
        {
            **common,
            "z": np.where(np.isnan(t2), None, t2).tolist(),
            "x": eps_labels,
            "y": rho_labels,
            "text": [[_pct(v / 100) for v in row] for row in t2],
            "xaxis": "x2",
            "yaxis": "y2",
            "showscale": False,
            "meta": {"role": "table2"},
        },
    ]
    for role, data, xs, ys, axes in (
        ("diverged", t1, lr_labels, [_name(k) for k in TABLE1], ("x", "y")),
        ("diverged", t2, eps_labels, rho_labels, ("x2", "y2")),
    ):
        rows, cols = np.nonzero(np.isnan(data))
        if rows.size:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [xs[c] for c in cols],
                    "y": [ys[r] for r in rows],
                    "marker": {"symbol": "square", "size": 40, "color": DIVERGED_COLOR},
                    "xaxis": axes[0],
                    "yaxis": axes[1],
                    "name": "diverged",
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "meta": {"role": role},
                }
            )
    fixed = results[TABLE2].fixed
    lr = fixed.get("lr", 1.0)
    right = "ADADELTA, no η" if lr == 1.0 else f"ADADELTA, library variant η = {slider_value(lr)}"
    layout = {
        "height": 330 if not presenter else 420,
        "margin": {"l": 10, "r": 10, "t": 90, "b": 10},
        "font": {"size": style.font, "color": style.theme.text},
        "xaxis": {
            "domain": [0.0, 0.42],
            "side": "top",
            "automargin": True,
            "tickangle": 0,
            "type": "category",
            "title": {"text": "η", "standoff": 2},
        },
        "yaxis": {
            "domain": [0.0, 0.8],
            "autorange": "reversed",
            "automargin": True,
            "type": "category",
        },
        "xaxis2": {
            "domain": [0.58, 0.95],
            "side": "top",
            "automargin": True,
            "anchor": "y2",
            "tickangle": 0,
            "type": "category",
            "title": {"text": "ε", "standoff": 2},
        },
        "yaxis2": {
            "domain": [0.0, 0.8],
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
            "anchor": "x2",
        },
        "annotations": [
            {
                "text": f"<b>Table 1</b>: test error (%), {epoch} epochs",
                "x": 0.0,
                "y": 1.0,
                "yshift": 44,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
            },
            {
                "text": f"<b>Table 2</b>: {right}",
                "x": 0.58,
                "y": 1.0,
                "yshift": 44,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
            },
        ],
        "plot_bgcolor": style.theme.plot,
        "paper_bgcolor": style.theme.paper,
    }
    return SpecFigure({"data": traces, "layout": layout})


def _lines_layout(title: str, y_title: str, style: Style, presenter: bool) -> dict:
    """Figures 1 and 2: epochs across, a log axis up, the legend below."""
    axis = {**AXIS_STYLE, "gridcolor": style.theme.grid, "linecolor": style.theme.axis_line}
    return {
        "height": 380 if not presenter else 470,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        "font": {"size": style.font, "color": style.theme.text},
        "title": {"text": title, "x": 0.0, "font": {"size": style.font + 1}},
        "xaxis": {**axis, "title": {"text": "epoch"}},
        "yaxis": {**axis, "title": {"text": y_title}, "type": "log"},
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        "plot_bgcolor": style.theme.plot,
        "paper_bgcolor": style.theme.paper,
    }


def curves_figure(
    curves: Sequence[tuple[str, str, Array]], *, presenter: bool = False, theme: str = "light"
) -> SpecFigure:
    """Figure 1: test error (%) against epochs, one line per (optimizer key, label,
    per-epoch test error); ``theme`` names a :class:`optviz.figures.Theme`."""
    style = Style.of(presenter, theme)
    traces = []
    for key, label, errors in curves:
        y = np.asarray(errors, dtype=float) * 100
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(y) <= 12 else "lines",
                "x": list(range(1, len(y) + 1)),
                "y": np.where(np.isnan(y), None, y).tolist(),
                "name": label,
                "line": {"color": colour_of(key), "width": style.line},
                "marker": {"size": style.marker - 5},
                "meta": {"role": "curve", "optimizer": key},
            }
        )
    return SpecFigure(
        {
            "data": traces,
            "layout": _lines_layout("Figure 1: test error", "test error (%)", style, presenter),
        }
    )


LAYER_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")


def rates_figure(
    rates: Array,
    layer_names: Sequence[str],
    updates_per_epoch: int,
    *,
    presenter: bool = False,
    theme: str = "light",
) -> SpecFigure:
    """Figure 2: per weight matrix, the median realised step factor −Δw/g over the updates
    (log scale), with the line 1 that §4.3 says they approach as ε dominates; ``theme``
    names a :class:`optviz.figures.Theme`."""
    style = Style.of(presenter, theme)
    rates = np.asarray(rates, dtype=float)
    x = (np.arange(rates.shape[0]) + 1) / updates_per_epoch
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": x.tolist(),
            "y": np.where(np.isfinite(rates[:, i]) & (rates[:, i] > 0), rates[:, i], None).tolist(),
            "name": f"layer {i + 1} ({name})",
            "line": {"color": LAYER_COLOURS[i % len(LAYER_COLOURS)], "width": style.line},
            "meta": {"role": "rate", "layer": i},
        }
        for i, name in enumerate(layer_names)
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [float(x[0]), float(x[-1])],
            "y": [1.0, 1.0],
            "name": "1",
            "line": {"color": style.theme.note, "dash": "dash", "width": 1.5},
            "hoverinfo": "skip",
            "meta": {"role": "one"},
        }
    )
    title = "Figure 2: ADADELTA's step size per layer"
    return SpecFigure(
        {"data": traces, "layout": _lines_layout(title, "median −Δw/g", style, presenter)}
    )
