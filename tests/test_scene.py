"""optviz.scene.Transform: the robustness demos' change of f and of x's units, in one place."""

from __future__ import annotations

import numpy as np
import pytest

import optviz as ov
from optviz import objectives, optimizers
from optviz.scene import Transform, plot_positions, run_positions


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
