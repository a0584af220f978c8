"""The Network view in the app (AppTest): Tables 1–2, Figures 1–2, its controls and links."""

from __future__ import annotations

import json

from test_app import query, with_query

from optviz import network as nw


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def roles(spec: dict) -> list[str]:
    return [t.get("meta", {}).get("role") for t in spec["data"]]


def text(at) -> str:
    """Every text of the page: markdown, captions and box titles (a lesson's is its box's)."""
    parts = [*(m.value for m in at.markdown), *(c.value for c in at.caption)]
    return " ".join([*parts, *(e.label for e in at.expander)])


def test_the_view_shows_the_papers_tables_and_figures():
    at = with_query({"view": "network"})
    tables, curves, rates = specs(at)
    assert roles(tables)[:2] == ["table1", "table2"]
    t1, t2 = tables["data"][:2]
    assert len(t1["z"]) == 3 and len(t1["z"][0]) == 4  # SGD, momentum, ADAGRAD × η
    assert len(t2["z"]) == 3 and len(t2["z"][0]) == 4  # ρ × ε
    assert t1["zmin"] == t2["zmin"] and t1["zmax"] == t2["zmax"]  # one colour scale
    results = nw.tables(epochs=6, seeds=(0,))
    expected = results["sgd"].test_error[:, -1] * 100
    assert t1["z"][0] == list(expected)  # the cells are the numbers the core computes
    assert set(roles(curves)) == {"curve"} and len(curves["data"]) == 4
    assert roles(rates).count("rate") == 3 and "one" in roles(rates)
    words = text(at)
    assert "After 6 epochs (78 updates)" in words and "of 12 (ρ, ε) cells" in words
    assert "Tuned for them" in words and "§4.3" in words


def test_the_views_settings_go_into_the_link_and_come_back():
    at = with_query({"view": "network", "epochs": "2", "keras": "1", "units": "relu"})
    assert at.session_state["net_epochs"] == 2 and at.session_state["net_keras"]
    (tables, *_rest) = specs(at)
    titles = [a["text"] for a in tables["layout"]["annotations"]]
    assert "2 epochs" in titles[0] and "library variant η = 0.001" in titles[1]
    assert query(at) == {"view": "network", "epochs": "2", "keras": "1", "units": "relu"}
    at.select_slider(key="net_epochs").set_value(3).run()
    assert query(at)["epochs"] == "3"


def test_a_bad_value_in_the_link_is_said_and_the_view_still_works():
    at = with_query({"view": "network", "epochs": "7", "hidden": "5,5"})
    warning = " ".join(w.value for w in at.warning)
    assert "`epochs=7`" in warning and "`hidden=5,5`" in warning
    assert at.session_state["net_epochs"] == 6 and len(specs(at)) == 3


def test_the_network_lesson_opens_the_view_and_exports_its_tables():
    at = with_query({"lesson": "paper_experiment"})
    assert at.session_state["view"] == "network"
    words = text(at)
    assert "Lesson 12: The paper's experiment, in miniature" in words
    assert "claim holds numerically" in words and "Keras' variant" in words
    from optviz.__main__ import render

    page = render("paper_experiment", "html")
    assert "Table 2" in page and page.count("Plotly.newPlot") == 2
    rows = render("paper_experiment", "csv").splitlines()
    header = rows.index("optimizer,hyperparams,epoch,test_error,train_loss,diverged")
    assert len(rows) - header - 1 == (3 * 4 + 12) * 6  # every cell, every epoch
    data = json.loads(render("paper_experiment", "json"))
    assert data["settings"]["epochs"] == 6 and len(data["rows"]) == 144


def test_the_figure_two_sentence_names_no_largest_layer_when_they_are_level():
    import types

    import numpy as np

    from optviz.ui import network_view as nv

    def result(last):
        rates = np.full((3, 4, 26, 3), 0.5)
        rates[1, 2, 13:] = last  # the defaults' cell, over its last epoch
        return types.SimpleNamespace(layer_rates=rates, updates_per_epoch=13)

    level = nv._rates_sentence(result([0.99925, 1.00024, 1.00023]))  # measured at 60 epochs
    assert "no layer's is clearly the largest" in level
    assert "has the largest and layer" not in level
    apart = nv._rates_sentence(result([0.51, 0.76, 0.39]))  # 6 epochs
    assert "layer 2 has the largest and layer 3 the smallest" in apart


def test_the_network_figures_take_the_themes_colours():
    from optviz import figures
    from optviz.network_figures import curves_figure, rates_figure, tables_figure

    results = nw.tables(epochs=2, seeds=(0,))
    r = results[nw.TABLE2]
    curves = [("sgd", "SGD", results["sgd"].test_error[0])]
    for theme in figures.THEMES.values():
        built = [
            tables_figure(results, 2, theme=theme.name).spec,
            curves_figure(curves, theme=theme.name).spec,
            rates_figure(r.layer_rates[0, 0], r.net.layer_names(), 13, theme=theme.name).spec,
        ]
        for spec in built:
            layout = spec["layout"]
            assert layout["paper_bgcolor"] == theme.paper
            assert layout["plot_bgcolor"] == theme.plot
            assert layout["font"]["color"] == theme.text
        tables, lines, rates = built
        # the cells' colour scale does not change with the theme (the numbers are written
        # in the cells; plotly picks their colour against each cell's)
        assert tables["data"][0]["colorscale"] == "Viridis" and tables["data"][0]["reversescale"]
        assert "color" not in tables["data"][0]["textfont"]
        for spec in (lines, rates):
            assert spec["layout"]["xaxis"]["gridcolor"] == theme.grid
            assert spec["layout"]["yaxis"]["linecolor"] == theme.axis_line
        one = next(t for t in rates["data"] if t["meta"]["role"] == "one")
        assert one["line"]["color"] == theme.note
    assert figures.PROJECTOR.paper != figures.LIGHT.paper
    assert figures.PROJECTOR.text != figures.LIGHT.text


def test_the_app_draws_the_network_figures_in_the_sessions_theme():
    from optviz import figures

    for theme in figures.THEMES.values():
        at = with_query({"view": "network", "epochs": "1", "theme": theme.name})
        drawn = specs(at)
        assert len(drawn) == 3
        for spec in drawn:
            assert spec["layout"]["paper_bgcolor"] == theme.paper
            assert spec["layout"]["font"]["color"] == theme.text
