"""Batched runs over noise levels × seeds and over start points (``optviz.sweeps``), and
the basin map's figure: every number is the one-start ``optviz.run``'s."""

from __future__ import annotations

import numpy as np
import pytest

import optviz as ov
from optviz import objectives, optimizers, sweeps
from optviz.figures import untyped
from optviz.sweep_figures import (
    DIVERGED_COLOR,
    ESCAPED_COLOR,
    BasinPanel,
    basin_class_colour,
    basin_figure,
    basin_shade,
)
from optviz.sweeps import DIVERGED, ESCAPED, NO_MINIMUM

try:
    import numba  # noqa: F401

    ENGINES = ["numpy", "compiled"]
except ImportError:  # pragma: no cover
    ENGINES = ["numpy"]


def old_noise_loop(obj, key, hp, x0, steps, sigmas, seeds):
    """The Sensitivity view's σ × seed loop before it was batched: one ``run`` each."""
    opt = optimizers.build(key, **hp)
    out = np.full((len(sigmas), len(seeds)), np.nan)
    for i, sigma in enumerate(sigmas):
        for j, seed in enumerate(seeds):
            traj = ov.run(obj, opt, x0, steps, seed=seed, noise=sigma)
            if traj.diverged_at < 0:
                out[i, j] = float(traj.values[-1])
    return out


# ---------------------------------------------------------------------------
# σ × seeds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("objective", "key", "hp"),
    [
        ("rosenbrock", "adadelta", {"rho": 0.95, "eps": 1e-6}),
        ("booth", "sgd", {"lr": 0.02}),
        ("beale", "adam", {"lr": 0.05, "beta1": 0.9}),
        ("noisy_quadratic", "momentum", {"lr": 0.3, "beta": 0.9}),  # diverges at large σ
    ],
)
def test_sigma_sweep_equals_the_per_run_loop_to_the_bit(objective, key, hp, engine):
    obj = objectives.get(objective)
    sigmas, seeds = (0.0, 0.1, 1.0, 5.0, 40.0), (3, 4, 5, 11)
    res = sweeps.sigma_sweep(obj, key, hp, obj.start, 120, sigmas, seeds, engine=engine)
    old = old_noise_loop(obj, key, hp, obj.start, 120, sigmas, seeds)
    # + − × ÷ and √ only: the compiled kernel gives the same bits as NumPy by construction
    np.testing.assert_array_equal(res.final_value, old)
    assert np.array_equal(res.diverged, np.isnan(old))
    assert res.engine == engine
    assert res.final_value.shape == (len(sigmas), len(seeds))


def test_sigma_sweep_shows_divergence_and_checks_its_input():
    obj = objectives.get("noisy_quadratic")
    res = sweeps.sigma_sweep(obj, "sgd", {"lr": 0.5}, obj.start, 200, (0.0, 1.0), (0, 1))
    assert res.diverged.all() and np.isnan(res.final_value).all()  # lr 0.5 on curvature 10
    with pytest.raises(ValueError, match="σ"):
        sweeps.sigma_sweep(obj, "sgd", {}, obj.start, 10, (-1.0,), (0,))
    with pytest.raises(ValueError, match="seed"):
        sweeps.sigma_sweep(obj, "sgd", {}, obj.start, 10, (1.0,), (-2,))
    with pytest.raises(ValueError, match="at least one"):
        sweeps.sigma_sweep(obj, "sgd", {}, obj.start, 10, (), (0,))
    with pytest.raises(ValueError, match="lr"):
        sweeps.sigma_sweep(obj, "sgd", {"lr": -1.0}, obj.start, 10, (1.0,), (0,))


# ---------------------------------------------------------------------------
# Basins
# ---------------------------------------------------------------------------


def test_himmelblau_gradient_descent_starts_next_to_each_minimum_end_there():
    obj = objectives.get("himmelblau")
    b = sweeps.basins(obj, "sgd", {"lr": 0.01}, 200, resolution=60)
    assert b.label.shape == (60, 60) and b.size == 3600
    assert len(b.minima) == 4
    for k, (mx, my) in enumerate(b.minima):
        i, j = int(np.argmin(abs(b.ys - my))), int(np.argmin(abs(b.xs - mx)))
        assert abs(b.xs[j] - mx) < 0.09 and abs(b.ys[i] - my) < 0.09  # the nearest cell
        assert b.label[i, j] == k
        assert 0 <= b.steps[i, j] < 200
    counts = b.counts()
    assert sum(counts.values()) == b.size
    assert all(counts[k] > 500 for k in range(4))  # four basins, each a real share
    assert counts[DIVERGED] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_every_start_is_its_own_run(engine):
    obj = objectives.get("himmelblau")
    b = sweeps.basins(obj, "adam", {"lr": 0.1}, 150, resolution=7, seed=5, noise=2.0,
                      engine=engine)  # fmt: skip
    assert b.engine == engine
    opt = optimizers.build("adam", **b.hyperparams)
    for i in range(7):
        for j in range(7):
            tr = ov.run(obj, opt, (b.xs[j], b.ys[i]), 150, seed=5, noise=2.0)
            d = [np.hypot(*(tr.positions[-1] - np.array(m))) for m in b.minima]
            assert b.final_distance[i, j] == min(d)
            k = int(np.argmin(d))
            if min(d) <= b.radius:
                assert b.label[i, j] == k
                hits = np.flatnonzero(tr.values - b.minimum_values[k] < b.tol)
                assert b.steps[i, j] == (hits[0] if hits.size else -1)
            else:
                assert b.label[i, j] in (NO_MINIMUM, ESCAPED)


def test_diverged_starts_are_labelled_diverged():
    obj = objectives.get("himmelblau")
    b = sweeps.basins(obj, "sgd", {"lr": 0.03}, 100, resolution=20)
    counts = b.counts()
    assert 0 < counts[DIVERGED] < 400 and sum(counts.values()) == 400
    opt = optimizers.build("sgd", lr=0.03)
    for i, j in zip(*np.nonzero(b.label == DIVERGED)):
        tr = ov.run(obj, opt, (b.xs[j], b.ys[i]), 100)
        assert tr.diverged_at >= 0 and b.steps[i, j] == tr.diverged_at
    fig = basin_figure([BasinPanel("sgd", "SGD", b)])
    red = [t for t in fig.spec["data"] if (t.get("meta") or {}).get("class") == DIVERGED]
    assert red and red[0]["colorscale"][0][1] == DIVERGED_COLOR
    assert any(t.get("name") == "diverged" for t in fig.spec["data"])  # in the legend


def test_local_minima_steps_are_measured_against_their_own_value():
    obj = objectives.get("styblinski_tang")
    b = sweeps.basins(obj, "sgd", {"lr": 0.01}, 300, resolution=12)
    counts = b.counts()
    assert all(counts[k] > 0 for k in range(4))  # the global and the three local minima
    local = [k for k, v in enumerate(b.minimum_values) if v != obj.f_min]
    assert len(local) == 3
    for k in local:
        assert (b.steps[b.label == k] > 0).all()  # reached within 10⁻⁶ of f(m), not f_min


def test_the_saddle_escapes_except_near_its_stable_line():
    obj = objectives.get("saddle")
    b = sweeps.basins(obj, "sgd", {"lr": 0.05}, 20, resolution=30)  # |y| × 1.1 a step
    counts = b.counts()
    assert counts[ESCAPED] > 0 and counts[NO_MINIMUM] > 0 and sum(counts.values()) == 900
    stayed = np.abs(b.ys[np.nonzero(b.label == NO_MINIMUM)[0]])
    left = np.abs(b.ys[np.nonzero(b.label == ESCAPED)[0]])
    assert stayed.max() < left.min()  # escape is decided by the distance from y = 0


def test_basins_check_their_input():
    obj = objectives.get("himmelblau")
    for kwargs, match in (
        ({"resolution": 0}, "resolution"),
        ({"resolution": 2.5}, "resolution"),
        ({"bounds": ((1, 0), (0, 1))}, "x0 < x1"),
        ({"bounds": "nonsense"}, "bounds"),
        ({"radius": -1.0}, "radius"),
        ({"engine": "gpu"}, "engine"),
    ):
        with pytest.raises(ValueError, match=match):
            sweeps.basins(obj, "sgd", {"lr": 0.01}, 10, **kwargs)


def test_the_basin_figure_draws_the_core_result():
    obj = objectives.get("himmelblau")
    maps = [
        BasinPanel("sgd", "SGD", sweeps.basins(obj, "sgd", {"lr": 0.01}, 100, resolution=15)),
        BasinPanel("adam", "Adam", sweeps.basins(obj, "adam", {"lr": 0.5}, 100, resolution=15)),
    ]
    for theme in ("light", "projector"):
        fig = basin_figure(maps, theme=theme)
        for p in maps:
            b = p.basins
            cells = [
                t
                for t in fig.spec["data"]
                if (t.get("meta") or {}).get("role") == "basin" and t["meta"]["optimizer"] == p.key
            ]
            covered = np.zeros(b.label.shape, dtype=int)
            for t in cells:
                z = untyped(t["z"]).reshape(b.label.shape)
                cls = t["meta"]["class"]
                np.testing.assert_array_equal(~np.isnan(z), b.label == cls)
                np.testing.assert_array_equal(z[b.label == cls], basin_shade(b)[b.label == cls])
                assert t["colorscale"][0][1] == basin_class_colour(cls)
                covered += ~np.isnan(z)
            assert (covered == 1).all()  # every start drawn, exactly once
        legend = [
            t["name"] for t in fig.spec["data"] if (t.get("meta") or {}).get("role") == "legend"
        ]
        assert "minimum (3, 2)" in legend and "minimum (-2.81, 3.13)" in legend
    assert ESCAPED_COLOR not in {basin_class_colour(k) for k in range(4)}
    with pytest.raises(ValueError):
        basin_figure([])
