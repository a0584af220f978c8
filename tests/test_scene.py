"""optviz.scene: the Scene (what is run, one value) and the Transform (the robustness demos'
change of f and of x's units), and the app's table of controls between widgets and a Scene."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optviz as ov
from optviz import lessons, objectives, optimizers
from optviz.scene import CUSTOM, Scene, Transform, plot_positions, run_positions
from optviz.ui import state


@pytest.mark.parametrize(("k", "s"), [(0, 1.0), (2, 1.0), (0, 10.0), (-1, 0.5)])
def test_a_transformed_run_is_the_run_on_the_transformed_objective(k, s):
    base = objectives.get("himmelblau")
    t = Transform(k, s)
    opt = optimizers.build("adadelta")
    mine = t.run(base, opt, base.start, 60, seed=3, noise=0.2)
    by_hand = ov.run(
        base.scaled(10.0**k).stretched(s) if (k or s != 1) else base,
        opt,
        (base.start[0] * s, base.start[1]),
        60,
        seed=3,
        noise=0.2 * 10.0**k,
    )
    np.testing.assert_array_equal(mine.grads, by_hand.grads)
    np.testing.assert_array_equal(mine.positions[:, 0], by_hand.positions[:, 0] / s)
    np.testing.assert_array_equal(mine.positions[:, 1], by_hand.positions[:, 1])
    assert mine.in_plot_coordinates and not by_hand.in_plot_coordinates
    assert (mine.objective.scale, mine.objective.stretch) == (10.0**k, s)
    assert mine.objective.name == "himmelblau"  # the transform is in fields, not the name
    back = t.to_optimizer(mine)  # (x'/s)·s: x' again to within one rounding
    np.testing.assert_allclose(back.positions, by_hand.positions, rtol=2**-52, atol=0)
    assert not back.in_plot_coordinates
    np.testing.assert_allclose(run_positions(mine), by_hand.positions, rtol=2**-52, atol=0)
    np.testing.assert_array_equal(plot_positions(by_hand), mine.positions)


def test_the_plot_objective_is_scaled_but_not_stretched():
    base = objectives.get("booth")
    t = Transform(1, 4.0)
    assert t.plot_objective(base).bounds == base.bounds
    assert t.plot_objective(base).scale == 10.0 and t.plot_objective(base).stretch == 1.0
    assert t.objective(base) is t.objective(base)  # compiled once
    assert t.to_run((1.5, -2.0)) == (6.0, -2.0) and t.noise(0.3) == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [{"scale_exp": 1.5}, {"stretch": 0.0}, {"stretch": float("nan")}])
def test_a_bad_transform_is_refused(bad):
    with pytest.raises(ValueError):
        Transform(**bad)


# ---------------------------------------------------------------------------
# Scene
# ---------------------------------------------------------------------------


def test_equal_settings_are_equal_scenes_however_they_are_written():
    a = Scene(
        objective="booth",
        start=(1, 2),
        steps=50,
        optimizers=["sgd", "adadelta"],
        hyperparams={"sgd": {"lr": 0.1}, "adadelta": (("rho", 0.9), ("eps", 1e-6))},
        variants=["adadelta"],
    )
    b = Scene(
        objective="booth",
        start=(1.0, 2.0),
        steps=50,
        optimizers=("sgd", "adadelta"),
        hyperparams=(("adadelta", (("eps", 1e-6), ("rho", 0.9))), ("sgd", (("lr", 0.1),))),
        variants=("adadelta",),
    )
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    assert Scene(objective="booth", formula="x^2", bounds=((0, 1), (0, 1))) == Scene(
        objective="booth"
    )  # a formula and window belong to a typed formula only


def test_a_scene_runs_each_optimizer_once_and_applies_the_papers_values():
    s = Scene(
        objective="himmelblau",
        start=(-0.5, -0.5),
        steps=40,
        optimizers=("sgd", "adadelta"),
        hyperparams={"adadelta": {"lr": 0.5, "rho": 0.9}},
    )
    runs = s.runs()
    assert list(runs) == ["sgd", "adadelta"] and s.run("sgd") is runs["sgd"]  # cached
    assert s.hp("adadelta")["lr"] == 1.0  # the paper's method: no learning rate
    assert s.hp("adadelta", paper=False)["lr"] == 0.5  # what the variant's slider holds
    assert s.replace(variants=("adadelta",)).hp("adadelta")["lr"] == 0.5
    assert s.hp("sgd")["lr"] == objectives.get("himmelblau").suggested_lr[0]  # unset: suggested
    by_hand = ov.run(objectives.get("himmelblau"), optimizers.adadelta(rho=0.9), (-0.5, -0.5), 40)
    np.testing.assert_array_equal(runs["adadelta"].positions, by_hand.positions)


def test_a_scene_under_a_transform_runs_where_the_transform_says():
    s = Scene(objective="booth", start=(1.0, 2.0), optimizers=("sgd",), steps=5, noise=0.5)
    t = s.replace(transform=Transform(2, 4.0))
    assert t.run_start == (4.0, 2.0) and t.sigma == pytest.approx(50.0)
    assert t.run_objective() is Transform(2, 4.0).objective(objectives.get("booth"))
    assert t.plot_objective().stretch == 1.0 and t.plot_objective().scale == 100.0
    tr = t.run("sgd")
    assert tr.in_plot_coordinates and tuple(tr.positions[0]) == (1.0, 2.0)


def test_a_typed_formula_scene_and_a_lesson_function_by_name():
    s = Scene.of_objective(CUSTOM, formula="x^2 + 3*y^2", bounds=((-2, 2), (-1, 1)))
    assert s.objective_key == (CUSTOM, "x^2 + 3*y^2", ((-2.0, 2.0), (-1.0, 1.0)))
    assert s.base_objective().bounds == ((-2.0, 2.0), (-1.0, 1.0))
    assert s.base_objective() is s.replace(steps=9).base_objective()  # compiled once
    cliff = Scene.of_objective("cliff")
    assert "cliff" in objectives.lesson_names() and "cliff" not in objectives.names()
    assert cliff.start == objectives.get("cliff").start and cliff.base_objective().f_min == -5.0
    with pytest.raises(ValueError):
        objectives.define("cliff", lambda: None)  # taken


# ---------------------------------------------------------------------------
# The app's table of controls (optviz.ui.state: no Streamlit)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", lessons.names())
def test_every_lesson_opens_as_exactly_its_scene(key):
    lesson = lessons.get(key)
    scene, presentation = state.scene_of(state.lesson_state(lesson))
    assert scene == lesson.scene
    assert presentation == state.Presentation(
        view=lesson.view, ghost=lesson.fan, lesson=key, arrows=lesson.arrows
    )
    assert lesson.arrows == (key in ("per_dimension", "eps_warmup"))  # its text is about them


@pytest.mark.parametrize("objective", [*objectives.names(), *objectives.lesson_names(), CUSTOM])
def test_the_defaults_are_the_default_scene(objective):
    values = state.all_defaults(objective)
    assert set(values) >= {c.key for c in state.CONTROLS}
    scene, presentation = state.scene_of(values)
    expected = state.default_scene(objective)
    assert scene.runs().keys() == expected.runs().keys()
    for key in scene.optimizers:
        assert scene.hp(key) == expected.hp(key)
    assert scene.replace(hyperparams=()) == expected.replace(hyperparams=())
    assert presentation == state.Presentation()


def _on_slider(hp, draw):
    opts = state.options_for(hp)
    if opts is not None:
        return draw(st.sampled_from(opts))
    return draw(st.floats(hp.ui_low, hp.ui_high, allow_nan=False))


@st.composite
def slider_scenes(draw):
    """A scene whose every value is one the controls offer."""
    keys = draw(st.lists(st.sampled_from(optimizers.names()), unique=True, max_size=4))
    if keys:  # second and third runs of some of them ("adadelta~2")
        again = draw(st.lists(st.sampled_from(keys), max_size=3))
        keys += list(
            dict.fromkeys(
                optimizers.instance_key(k, 2 + again[:i].count(k)) for i, k in enumerate(again)
            )
        )
    variants = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    words = st.text("abc ρ=0.9 ", max_size=state.MAX_LABEL).map(lambda t: " ".join(t.split()))
    labels = {k: draw(words) for k in keys if draw(st.booleans())}
    untransformed = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    hyper = {}
    for key in keys:
        spec = optimizers.get(key)
        hyper[key] = {
            hp.name: _on_slider(hp, draw)
            if key in variants or hp.name not in spec.paper_values
            else spec.paper_values[hp.name]
            for hp in spec.hyperparams
        }
    objective = draw(st.sampled_from([*objectives.names(), *objectives.lesson_names()]))
    (x0, x1), (y0, y1) = objectives.get(objective).bounds
    scene = Scene(
        objective=objective,
        start=(draw(st.floats(x0, x1)), draw(st.floats(y0, y1))),
        steps=draw(st.integers(1, 500)) * 10,
        optimizers=tuple(keys),
        hyperparams=hyper,
        noise=draw(st.integers(0, 100)) * 0.05,
        seed=draw(st.integers(0, 2**31 - 1)),
        variants=tuple(variants),
        transform=Transform(
            draw(st.sampled_from(state.SCALE_EXPONENTS)), draw(st.sampled_from(state.STRETCHES))
        ),
        labels=labels,
        untransformed=tuple(untransformed),
    )
    presentation = state.Presentation(
        view=draw(st.sampled_from(state.VIEWS)),
        presenter=draw(st.booleans()),
        speed=draw(st.sampled_from(list(state.SPEEDS))),
        lesson=draw(st.sampled_from(["", *lessons.names()])),
    )
    return scene, presentation


@settings(max_examples=60, deadline=None)
@given(slider_scenes())
def test_state_of_and_scene_of_are_inverses_on_the_sliders_values(pair):
    scene, presentation = pair
    assert state.scene_of(state.state_of(scene, presentation)) == (scene, presentation)


def test_the_stretch_sliders_help_tells_the_measured_truth():
    """Its help says ADADELTA's end point moves 10–25 % of the plot's width at s = 10 and
    ADAGRAD's 6–45 % (not "hardly changes"): measured here on the catalogue's functions
    at their default scenes."""
    from optviz import objectives

    moved = {"adagrad": [], "adadelta": []}
    for name in ("rosenbrock", "beale", "booth", "ill_conditioned", "himmelblau"):
        base = Scene.of_objective(name, optimizers=("adagrad", "adadelta"))
        stretched = base.replace(transform=Transform(stretch=10.0))
        width = np.ptp(np.array(objectives.get(name).bounds[0]))
        for key in moved:
            a, b = base.run(key), stretched.run(key)
            assert b.diverged_at < 0
            moved[key].append(np.hypot(*(a.positions[-1] - b.positions[-1])) / width)
    assert min(moved["adadelta"]) >= 0.095 and max(moved["adadelta"]) <= 0.255
    assert min(moved["adagrad"]) >= 0.055 and max(moved["adagrad"]) <= 0.455
    assert max(moved["adagrad"]) >= 0.4 and min(moved["adagrad"]) <= 0.07


# --- several runs of one optimizer -------------------------------------------------------


def test_an_instance_key_names_its_optimizer_and_its_number():
    assert optimizers.spec_key("adadelta~2") == "adadelta"
    assert optimizers.instance_number("adadelta~2") == 2
    assert optimizers.instance_number("adadelta") == 1
    assert optimizers.instance_key("adadelta~3", 1) == "adadelta"
    assert optimizers.instance_key("sgd", 12) == "sgd~12"
    assert optimizers.get("rmsprop~4") is optimizers.get("rmsprop")
    for not_one in ("adadelta~1", "adadelta~0", "adadelta~x", "adadelta~02"):
        assert optimizers.instance_number(not_one) == 1
        assert optimizers.spec_key(not_one) == not_one
    with pytest.raises(KeyError, match="unknown optimizer"):
        optimizers.get("adadelta~1")
    with pytest.raises(ValueError, match="1 to 99"):
        optimizers.instance_key("sgd", 100)


def test_a_second_run_has_its_own_settings_and_its_own_run():
    scene = Scene(
        objective="rosenbrock",
        steps=200,
        optimizers=("adadelta", "adadelta~2"),
        hyperparams={"adadelta~2": {"rho": 0.9, "eps": 1e-4}},
    )
    assert scene.hp("adadelta") == {"lr": 1.0, "rho": 0.95, "eps": 1e-6}
    assert scene.hp("adadelta~2") == {"lr": 1.0, "rho": 0.9, "eps": 1e-4}
    by_hand = ov.run(
        objectives.get("rosenbrock"), optimizers.adadelta(rho=0.9, eps=1e-4), scene.start, 200
    )
    np.testing.assert_array_equal(scene.run("adadelta~2").positions, by_hand.positions)
    assert not np.array_equal(scene.run("adadelta").positions, by_hand.positions)
    # the legend names each by the settings in which they differ
    assert scene.label("adadelta") == "ADADELTA (ρ=0.95, ε=1e-06)"
    assert scene.label("adadelta~2") == "ADADELTA (ρ=0.9, ε=0.0001)"
    same = scene.replace(hyperparams=())
    assert [same.label(k) for k in same.optimizers] == ["ADADELTA (run 1)", "ADADELTA (run 2)"]
    typed = scene.replace(labels={"adadelta~2": "  warm   start "})
    assert typed.labels == (("adadelta~2", "warm start"),)
    assert typed.label("adadelta~2") == "warm start"
    assert typed.describe()["labels"]["adadelta~2"] == "warm start"


@pytest.mark.parametrize(("k", "s"), [(2, 1.0), (0, 10.0)])
def test_an_untransformed_run_ignores_the_transform(k, s):
    scene = Scene(
        objective="himmelblau",
        steps=80,
        optimizers=("sgd", "sgd~2"),
        transform=Transform(k, s),
        untransformed=("sgd~2",),
    )
    original = scene.replace(transform=Transform())
    np.testing.assert_array_equal(scene.run("sgd~2").positions, original.run("sgd").positions)
    np.testing.assert_array_equal(
        scene.run("sgd").positions,
        Scene(**{**_fields(scene), "optimizers": ("sgd",)}).run("sgd").positions,
    )
    assert not np.allclose(scene.run("sgd").positions, scene.run("sgd~2").positions)
    assert scene.label("sgd~2") == "SGD (untransformed)"
    assert scene.label("sgd") == "SGD"
    assert scene.describe()["untransformed"] == ["sgd~2"]
    # with no transform there is nothing to tell apart: the runs are numbered
    assert original.label("sgd~2") == "SGD (run 2)"


def _fields(scene):
    return {f: getattr(scene, f) for f in scene.__dataclass_fields__ if f != "untransformed"}
