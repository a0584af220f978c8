"""Paths you can tell apart: the optimizers' colours (also with colour blindness, on both
themes), their line styles and markers, and the labels of a ghost fan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optviz as ov
from optviz import colours, figures
from optviz.numbers import distinct_labels
from optviz.optimizers import DASHES, MARKERS, OptimizerSpec

BUILT_IN = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adadelta")
VISIONS = ("normal", "deuteranopia", "protanopia")
#: CIEDE2000: about 1 is just noticeable side by side; thin lines need far more
MIN_BETWEEN = 12.0
MIN_FROM_BACKGROUND = 15.0


def palette() -> list[str]:
    return [ov.optimizers.get(k).line_colour for k in BUILT_IN]


@pytest.mark.parametrize(
    "lab1, lab2, expected",  # Sharma, Wu & Dalal (2005), table 1
    [
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ],
)
def test_ciede2000_matches_the_published_test_pairs(lab1, lab2, expected):
    assert colours.delta_e(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_the_simulations_keep_grey_grey_and_white_white():
    for vision in colours.CVD:
        np.testing.assert_allclose(colours.simulate("#FFFFFF", vision), 1.0, atol=2e-3)
        grey = colours.simulate("#808080", vision)
        assert np.ptp(grey) < 0.01


@pytest.mark.parametrize("vision", VISIONS)
def test_the_seven_colours_are_pairwise_distinct_also_with_colour_blindness(vision):
    distance, pair = colours.min_distance(palette(), vision)
    assert distance >= MIN_BETWEEN, f"{pair} are only ΔE {distance:.1f} apart ({vision})"


@pytest.mark.parametrize("theme", figures.THEMES.values(), ids=lambda t: t.name)
@pytest.mark.parametrize("vision", VISIONS)
def test_every_colour_stands_out_on_each_themes_background(theme, vision):
    background = "#FFFFFF" if theme.paper == "white" else theme.paper
    seen = colours.lab(colours.simulate(background, vision))
    for key, colour in zip(BUILT_IN, palette()):
        d = colours.delta_e(colours.lab(colours.simulate(colour, vision)), seen)
        assert d >= MIN_FROM_BACKGROUND, f"{key} {colour} on {background}: ΔE {d:.1f} ({vision})"


def test_the_old_palette_fails_the_same_test():
    """What the lecturer saw (two oranges, two blues, a purple): the threshold is not lax."""
    old = ["#0072B2", "#E69F00", "#CC79A7", "#009E73", "#D55E00", "#56B4E9", "#6A3D9A"]
    assert colours.min_distance(old, "deuteranopia")[0] < MIN_BETWEEN


def test_each_optimizer_has_its_own_colour_dash_and_marker():
    specs = [ov.optimizers.get(k) for k in BUILT_IN]
    for what in ("line_colour", "dash", "marker"):
        values = [getattr(s, what) for s in specs]
        assert len(set(values)) == len(values), what
    assert all(s.dash in DASHES and s.marker in MARKERS for s in specs)


def test_register_refuses_an_unknown_marker():
    spec = ov.optimizers.get("sgd")
    bad = OptimizerSpec(**{**spec.__dict__, "key": "sgd_star", "marker": "sparkle"})
    with pytest.raises(ValueError, match="marker must be one of"):
        ov.optimizers.register(bad)
    assert "sgd_star" not in ov.optimizers.REGISTRY


def test_the_ramp_interpolates_between_its_anchors():
    scale = ((0.0, (0, 0, 0)), (1.0, (255, 255, 255)))
    assert colours.ramp(0.0, scale) == "#000000"
    assert colours.ramp(0.5, scale) == "#808080"
    assert colours.ramp(2.0, scale) == "#FFFFFF"  # clipped


# --- the labels of a ghost fan ----------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        np.linspace(0.9, 0.9995, 15),
        1 - np.logspace(-1, np.log10(5e-4), 15),  # ρ in [0.9, 0.9995], spread like the fan
        np.logspace(-10, -1, 30),  # 30 values of ε
        np.logspace(-12, -2, 30),
    ],
    ids=["rho-linear", "rho-log", "eps-1e-10", "eps-1e-12"],
)
def test_a_fans_labels_are_distinct(values):
    labels = distinct_labels(values)
    assert len(set(labels)) == len(values)
    for v, text in zip(values, labels):  # each reads back as its value, to its digits
        assert float(text) == pytest.approx(v, rel=5e-3)


def test_0_9995_is_never_written_1():
    labels = distinct_labels(np.linspace(0.9, 0.9995, 15))
    assert labels[-1] == "0.9995" and "1" not in labels
    assert distinct_labels([0.5, 0.9999]) == ["0.5", "0.9999"]
    assert distinct_labels([1e-8, 1e-6, 1e-3]) == ["1e-8", "1e-6", "0.001"]  # 3 digits suffice


def test_the_apps_fans_have_distinct_labels():
    from optviz.ui.compute import fan

    for key, name, count in (
        ("adadelta", "rho", 15),
        ("adadelta", "eps", 30),
        ("adam", "beta1", 30),
    ):
        values = fan(ov.optimizers.get(key).hyperparam(name), count)
        labels = distinct_labels(values)
        assert len(set(labels)) == count, (key, name)
        assert all(a != b for a, b in itertools.pairwise(labels))


@pytest.mark.parametrize("key", BUILT_IN)
def test_a_second_run_of_an_optimizer_differs_from_the_first_in_colour_dash_and_marker(key):
    first = ov.optimizers.instance_style(key)
    assert first == (
        ov.optimizers.get(key).line_colour,
        ov.optimizers.get(key).dash,
        ov.optimizers.get(key).marker,
    )
    styles = [ov.optimizers.instance_style(f"{key}~{n}") for n in (2, 3, 4)]
    for colour, dash, marker in styles:
        assert colour != first[0] and dash != first[1] and marker == f"{first[2]}-open"
        assert dash in DASHES
    assert len({s[0] for s in styles}) == 3 and len({s[1] for s in styles}) == 3
    assert figures.colour_of(f"{key}~2") == styles[0][0]


@pytest.mark.parametrize("theme", figures.THEMES.values(), ids=lambda t: t.name)
@pytest.mark.parametrize("vision", VISIONS)
def test_the_second_runs_colours_stand_out_on_each_themes_background(theme, vision):
    background = "#FFFFFF" if theme.paper == "white" else theme.paper
    seen = colours.lab(colours.simulate(background, vision))
    for colour in ov.optimizers.INSTANCE_COLOURS:
        d = colours.delta_e(colours.lab(colours.simulate(colour, vision)), seen)
        assert d >= MIN_FROM_BACKGROUND, f"{colour} on {background}: ΔE {d:.1f} ({vision})"
