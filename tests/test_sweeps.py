"""optviz.sweep: every cell must equal optviz.run with that configuration, to the last bit."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from optimizer_cases import entry, setting_id, settings_of

import optviz as ov
from optviz import sweeps

KEYS = ov.optimizers.names()
SETTINGS = settings_of(KEYS)

ROSENBROCK = ov.objectives.get("rosenbrock")
START = (-1.5, 2.0)


def same(a, b) -> bool:
    """Bit-for-bit equality of two arrays (NaN equals NaN; 0.0 and -0.0 differ)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))))


def expected_from_run(result: ov.SweepResult, objective: ov.Objective) -> dict[str, np.ndarray]:
    """The SweepResult fields recomputed cell by cell from full `run` trajectories."""
    out = {
        "final_value": np.empty(result.shape),
        "best_value": np.empty(result.shape),
        "steps_to_tol": np.empty(result.shape, dtype=np.int64),
        "diverged_at": np.empty(result.shape, dtype=np.int64),
        "final_distance": np.empty(result.shape),
    }
    f_min = objective.f_min
    for index in np.ndindex(result.shape):
        optimizer = ov.optimizers.build(result.optimizer, **result.configuration(index))
        traj = ov.run(
            objective,
            optimizer,
            result.x0,
            result.steps,
            seed=result.seed,
            noise=result.noise,
            box=result.box,
        )
        values = traj.values
        out["final_value"][index] = values[-1]
        out["best_value"][index] = np.nanmin(values)
        hits = np.flatnonzero(values - f_min < result.tol) if f_min is not None else []
        out["steps_to_tol"][index] = hits[0] if len(hits) else -1
        out["diverged_at"][index] = traj.diverged_at
        if objective.minima and traj.diverged_at < 0:
            final = traj.positions[-1]
            out["final_distance"][index] = min(
                np.hypot(final[0] - m.point[0], final[1] - m.point[1]) for m in objective.minima
            )
        else:
            out["final_distance"][index] = np.nan
    return out


def assert_matches_run(result: ov.SweepResult, objective: ov.Objective) -> None:
    expected = expected_from_run(result, objective)
    for name, want in expected.items():
        got = getattr(result, name)
        assert got.shape == result.shape, name
        assert same(got, want), (name, got, want)
    assert np.array_equal(result.diverged, expected["diverged_at"] >= 0)


# ---------------------------------------------------------------------------
# Equality with run
# ---------------------------------------------------------------------------


def test_adadelta_rho_eps_matches_run_including_divergence():
    grid = {"rho": [0.5, 0.7, 0.9, 0.95, 0.99], "eps": [1e-8, 1e-4, 1e-2, 1e-1, 0.5]}
    result = ov.sweep(ROSENBROCK, "adadelta", grid, START, 300)
    assert result.shape == (5, 5)
    assert result.axes == ("rho", "eps")
    assert result.diverged.sum() == 2  # ρ = 0.95 with ε = 1e-2 and ε = 0.5
    assert result.diverged_at[3, 2] == 296 and result.diverged_at[3, 4] == 232
    assert np.isnan(result.final_value[3, 2]) and np.isfinite(result.best_value[3, 2])
    assert_matches_run(result, ROSENBROCK)


def test_adadelta_with_noise_and_fixed_lr_matches_run():
    grid = {"rho": [0.6, 0.9, 0.95], "eps": [1e-6, 1e-3]}
    result = ov.sweep(
        ROSENBROCK, "adadelta", grid, START, 200, noise=0.5, seed=3, fixed={"lr": 0.5}
    )
    assert result.noise == 0.5 and result.seed == 3
    assert result.fixed == {"lr": 0.5}
    assert result.configuration((2, 1)) == {"lr": 0.5, "rho": 0.95, "eps": 1e-3}
    assert_matches_run(result, ROSENBROCK)


def test_sgd_one_axis_matches_run_with_and_without_noise():
    lrs = np.logspace(-5, -1, 9)
    quiet = ov.sweep(ROSENBROCK, "sgd", {"lr": lrs}, START, 300)
    assert quiet.shape == (9,)
    assert quiet.diverged_at.tolist() == [-1, -1, -1, -1, -1, 5, 5, 3, 3]
    assert_matches_run(quiet, ROSENBROCK)
    noisy = ov.sweep(ROSENBROCK, "sgd", {"lr": lrs}, START, 300, noise=2.0, seed=11)
    assert not same(noisy.final_value, quiet.final_value)
    assert_matches_run(noisy, ROSENBROCK)


def test_momentum_lr_beta_matches_run_with_the_objectives_noise():
    quadratic = ov.objectives.get("noisy_quadratic")  # σ = 1 by default
    grid = {"lr": [1e-3, 1e-2, 0.1, 0.3], "beta": [0.0, 0.5, 0.9, 0.99]}
    result = ov.sweep(quadratic, "momentum", grid, quadratic.start, 250, tol=1e-2)
    assert result.noise == 1.0
    assert result.diverged.any() and not result.diverged.all()
    assert_matches_run(result, quadratic)


def test_nesterov_matches_run():
    grid = {"lr": [1e-4, 1e-3, 1e-2], "beta": [0.5, 0.9]}
    result = ov.sweep(ROSENBROCK, "nesterov", grid, START, 150)
    assert result.diverged[2].all() and not result.diverged[:2].any()
    assert_matches_run(result, ROSENBROCK)


def test_adagrad_lr_eps_matches_run_with_a_small_box():
    grid = {"lr": [1e-3, 1e-1, 1.0, 10.0], "eps": [1e-10, 1e-3, 1e-1]}
    result = ov.sweep(ROSENBROCK, "adagrad", grid, START, 200, box=3.0, noise=0.3)
    assert result.box == 3.0
    assert result.diverged[3].all() and not result.diverged[:2].any()
    assert_matches_run(result, ROSENBROCK)


def test_rmsprop_matches_run():
    result = ov.sweep(
        ROSENBROCK, "rmsprop", {"lr": [1e-3, 1e-2, 0.1], "rho": [0.5, 0.99]}, START, 150
    )
    assert_matches_run(result, ROSENBROCK)


def test_adam_matches_run_for_betas_whose_numpy_square_differs_from_pow():
    """NumPy computes ``beta ** 2.0`` on arrays as ``beta * beta``; Python's ``pow`` differs
    in the last bit for a few values (these two, on x86-64 glibc). The sweep must still
    give run's numbers, which use Python's pow for float hyperparameters."""
    odd = [float.fromhex("0x1.2ff9d1f4d4ad2p-3"), float.fromhex("0x1.c4a3303ba6b52p-1")]
    booth = ov.objectives.get("booth")
    grid = {"lr": np.logspace(-3, 0, 13), "beta1": [*odd, 0.9]}
    result = ov.sweep(booth, "adam", grid, booth.start, 20)
    assert_matches_run(result, booth)  # cells (9, 1), (11, 1), (12, 1) would differ
    result = ov.sweep(booth, "adam", grid, booth.start, 20, fixed={"beta2": odd[1]})
    assert_matches_run(result, booth)
    both = ov.sweep(booth, "adam", {"beta1": odd, "beta2": [0.999, *odd]}, booth.start, 20)
    assert_matches_run(both, booth)


def test_transcendental_objective_matches_run():
    rastrigin = ov.objectives.get("rastrigin")
    grid = {"rho": [0.5, 0.9, 0.99], "eps": [1e-6, 1e-2]}
    result = ov.sweep(rastrigin, "adadelta", grid, rastrigin.start, 200, noise=0.1)
    assert_matches_run(result, rastrigin)


def test_objective_without_minimum():
    saddle = ov.objectives.get("saddle")
    result = ov.sweep(saddle, "sgd", {"lr": [1e-3, 0.1, 0.6]}, saddle.start, 100)
    assert result.f_min is None
    assert (result.steps_to_tol == -1).all()
    assert np.isnan(result.final_distance).all()
    assert result.diverged.tolist() == [False, False, True]  # 1e-3·1.2^100 < 1e6 < 1e-3·2.2^100
    assert_matches_run(result, saddle)


def test_steps_to_tol_and_final_distance_on_a_bowl():
    booth = ov.objectives.get("booth")
    grid = {"rho": [0.5, 0.9, 0.95], "eps": [1e-6, 1e-2, 1e-1]}
    result = ov.sweep(booth, "adadelta", grid, booth.start, 1000, tol=1e-3)
    assert result.steps_to_tol[0, 0] == 930 and result.steps_to_tol[2, 2] == 41
    assert (result.steps_to_tol >= 0).sum() == 6
    assert result.final_distance[0, 0] < 0.01
    assert_matches_run(result, booth)


def test_axis_order_follows_the_grid():
    rhos, epss = [0.5, 0.9, 0.99], [1e-6, 1e-2]
    a = ov.sweep(ROSENBROCK, "adadelta", {"rho": rhos, "eps": epss}, START, 50)
    b = ov.sweep(ROSENBROCK, "adadelta", {"eps": epss, "rho": rhos}, START, 50)
    assert a.shape == (3, 2) and b.shape == (2, 3) and b.axes == ("eps", "rho")
    for name in ("final_value", "best_value", "steps_to_tol", "diverged_at", "final_distance"):
        assert same(getattr(a, name).T, getattr(b, name)), name
    assert a.configuration(3) == a.configuration((1, 1)) == {"lr": 1.0, "rho": 0.9, "eps": 1e-2}


def test_chunks_and_threads_change_no_bit(monkeypatch):
    grid = {"rho": np.linspace(0.5, 0.99, 9), "eps": np.logspace(-8, -1, 7)}
    reference = ov.sweep(ROSENBROCK, "adadelta", grid, START, 300, noise=0.2)
    assert reference.diverged.any()
    monkeypatch.setattr(sweeps, "CHUNK_ROWS", 5)
    monkeypatch.setattr(sweeps, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(sweeps, "THREADS", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may warn, in the workers either
        chunked = ov.sweep(ROSENBROCK, "adadelta", grid, START, 300, noise=0.2)
    for name in ("final_value", "best_value", "steps_to_tol", "diverged_at", "final_distance"):
        assert same(getattr(chunked, name), getattr(reference, name)), name


def test_agrees_with_a_batched_run():
    lrs = np.logspace(-5, -1, 9)
    result = ov.sweep(ROSENBROCK, "sgd", {"lr": lrs}, START, 100)
    traj = ov.run(ROSENBROCK, ov.optimizers.sgd(lr=lrs), START, 100)
    assert same(result.final_value, traj.values[-1])
    assert same(result.diverged_at, traj.diverged_at)


def test_start_outside_the_box_and_zero_steps():
    outside = ov.sweep(ROSENBROCK, "sgd", {"lr": [1e-3, 1e-2]}, (5.0, 0.0), 10, box=4.0)
    assert outside.diverged_at.tolist() == [0, 0]
    assert np.isnan(outside.final_value).all() and np.isnan(outside.final_distance).all()
    assert outside.best_value.tolist() == [float(ROSENBROCK.value(np.array([5.0, 0.0])))] * 2
    assert_matches_run(outside, ROSENBROCK)
    zero = ov.sweep(ROSENBROCK, "sgd", {"lr": [1e-3, 1e-2]}, (1.0, 1.0), 0)
    assert zero.final_value.tolist() == [0.0, 0.0]
    assert zero.steps_to_tol.tolist() == [0, 0]
    assert zero.final_distance.tolist() == [0.0, 0.0]
    assert_matches_run(zero, ROSENBROCK)


def test_empty_grid_is_one_configuration():
    result = ov.sweep(ROSENBROCK, "adadelta", {}, START, 100)
    assert result.shape == () and result.final_value.shape == ()
    traj = ov.run(ROSENBROCK, ov.optimizers.adadelta(), START, 100)
    assert same(result.final_value, traj.values[-1])


def test_result_is_frozen_and_read_only():
    result = ov.sweep(ROSENBROCK, "sgd", {"lr": [1e-3]}, START, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.steps = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.final_value[0] = 1.0
    assert result.objective == "rosenbrock" and result.optimizer == "sgd"
    assert result.x0 == START and result.steps == 5 and result.size == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": {"alpha": [1.0]}}, "no hyperparameter 'alpha'"),
        ({"grid": {"rho": []}}, "non-empty"),
        ({"grid": {"rho": [[0.9]]}}, "non-empty 1-D"),
        ({"grid": {"rho": [0.9, 1.0]}}, "rho = 1.0 is outside"),
        ({"fixed": {"rho": 0.9}}, "both a grid axis and fixed"),
        ({"fixed": {"lr": [1.0, 2.0]}}, "single number"),
        ({"x0": [(0, 0), (1, 1)]}, "one point"),
        ({"steps": -1}, "≥ 0"),
        ({"box": 0.0}, "> 0"),
        ({"box": float("inf")}, "finite"),
        ({"tol": float("nan")}, "tol"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    args = {"grid": {"rho": [0.9]}, "x0": START, "steps": 5, **kwargs}
    grid, x0, steps = args.pop("grid"), args.pop("x0"), args.pop("steps")
    with pytest.raises(ValueError, match=message):
        ov.sweep(ROSENBROCK, "adadelta", grid, x0, steps, **args)


# ---------------------------------------------------------------------------
# grid_score: the one measure of insensitivity
# ---------------------------------------------------------------------------


def _result(finals, *, f_min=2.0, start_value=2.0 + 1000.0, diverged=None):
    finals = np.asarray(finals, dtype=np.float64)
    return ov.sweeps.SweepResult(
        final_value=finals,
        best_value=finals,
        steps_to_tol=np.full(finals.shape, -1),
        diverged=~np.isfinite(finals) if diverged is None else np.asarray(diverged),
        diverged_at=np.full(finals.shape, -1),
        final_distance=np.full(finals.shape, np.nan),
        grid={"lr": np.linspace(0.1, 1.0, finals.size)},
        axes=("lr",),
        objective="hand",
        optimizer="sgd",
        x0=(0.0, 0.0),
        steps=50,
        noise=0.0,
        seed=0,
        f_min=f_min,
        start_value=start_value,
    )


def test_grid_score_hand_made():
    # start gap 1000, so a cell is solved at a final gap ≤ 1 (exactly 1 counts)
    gaps = [1e-20, 0.5, 1.0, 1.5, 100.0, np.inf, np.nan, 1e-3]
    score = ov.sweeps.grid_score(_result(2.0 + np.array(gaps)))
    assert score.cells == 8 and score.target == 1.0
    assert score.solved == 4  # 1e-20, 0.5, 1.0, 1e-3; inf and NaN are failures
    assert score.diverged == 2 and score.diverged_share == 0.25
    assert score.share == 0.5
    # log10 of max(gap, 1e-12): -12, log 0.5, 0, log 1.5, 2, inf, inf, -3 -> quartiles
    # sorted: -12, -3, log 0.5, 0, log 1.5, 2, inf, inf; linear quantiles at 1.75, 3.5, 5.25
    q1 = -3.0 + 0.75 * (np.log10(0.5) + 3.0)
    q2 = 0.5 * np.log10(1.5)
    q3 = 2.0 + 0.25 * np.inf  # between 2 and +inf: +inf
    assert score.quartiles[0] == pytest.approx(q1, rel=1e-12)
    assert score.quartiles[1] == pytest.approx(q2, rel=1e-12)
    assert score.quartiles[2] == q3 and score.spread == math.inf
    assert score.grid_text == "η 0.1–1, 8 values" and score.budget == 50


def test_grid_score_spread_is_infinite_once_a_quarter_diverged():
    score = ov.sweeps.grid_score(_result(2.0 + np.array([1.0, 2.0, np.inf, np.inf])))
    assert score.quartiles[2] == math.inf and score.spread == math.inf
    assert "over a quarter diverged" in score.spread_text()


def test_grid_score_does_not_hinge_on_another_optimizers_lucky_cell():
    # the old "within 10× of anyone's best" flipped when one cell of another optimizer
    # hit the minimum; a grid score reads only the optimizer's own cells
    mine = _result(2.0 + np.array([0.1, 0.2, 0.3, 50.0]))
    assert ov.sweeps.grid_score(mine).share == 0.75
    # a finer grid over the same range converges instead of flipping
    coarse = _result(2.0 + np.logspace(-3, 3, 7))
    fine = _result(2.0 + np.logspace(-3, 3, 601))
    assert ov.sweeps.grid_score(coarse).share == pytest.approx(4 / 7)
    assert ov.sweeps.grid_score(fine).share == pytest.approx(0.5, abs=0.01)


def test_grid_score_without_a_minimum():
    score = ov.sweeps.grid_score(_result([1.0, -5.0, np.inf], f_min=None))
    assert score.solved is None and score.share is None and score.spread is None
    assert score.diverged == 1 and score.spread_text() == "—"


def test_grid_score_of_a_real_sweep_matches_its_definition():
    booth = ov.objectives.get("booth")
    grid = {"lr": [1e-4, 1e-3, 1e-2, 0.1, 0.2]}
    sgd = ov.sweep(booth, "sgd", grid, booth.start, 200)
    v0 = float(booth.value(np.array(booth.start)))
    assert sgd.start_value == v0
    score = ov.sweeps.grid_score(sgd)
    gaps = np.where(sgd.diverged, np.inf, sgd.final_value - booth.f_min)
    assert score.solved == int(np.sum(gaps <= 1e-3 * (v0 - booth.f_min)))
    assert score.diverged == int(sgd.diverged.sum()) >= 1  # η = 0.2 diverges on Booth
    assert 0 < score.solved < 5
    with pytest.raises(ValueError, match="between 0 and 1"):
        ov.sweeps.grid_score(sgd, reduction=2.0)


# ---------------------------------------------------------------------------
# default_grid
# ---------------------------------------------------------------------------


def _is_decay(hp) -> bool:
    return hp.low == 0.0 and hp.high == 1.0 and hp.high_open


@pytest.mark.parametrize("key", KEYS)
def test_default_grid_spans_each_sweep_axis_slider(key):
    """The grid's axes are the spec's sweep axes, each spanning its slider range: ends
    exact, ascending, valid, spaced as its scale says (log, log(1 − value), or linear)."""
    entry(key)
    spec = ov.optimizers.get(key)
    grid = ov.sweeps.default_grid(key, 7)
    assert tuple(grid) == spec.axes
    for axis, values in grid.items():
        hp = spec.hyperparam(axis)
        assert values.shape == (7,)
        assert values[0] == hp.ui_low and values[-1] == hp.ui_high
        assert np.all(np.diff(values) > 0)
        hp.validate(values)
        if hp.log:
            spacing = np.diff(np.log(values))
        elif _is_decay(hp):
            spacing = np.diff(np.log(1 - values))
        else:
            spacing = np.diff(values)
        np.testing.assert_allclose(spacing, spacing[0], rtol=1e-9)


def test_default_grid_spacing():
    grid = ov.sweeps.default_grid("adadelta", 13)
    rho, eps = grid["rho"], grid["eps"]
    assert rho[0] == 0.5 and rho[-1] == 0.9999
    steps = np.diff(np.log10(1 - rho))  # uniform in log(1 − ρ)
    assert np.allclose(steps, steps[0])
    assert ((rho >= 0.99) & (rho <= 0.9999)).sum() == 7  # two decades of 1 − ρ out of 3.7
    assert eps[0] == 1e-10 and eps[-1] == 0.1
    assert np.allclose(np.diff(np.log10(eps)), 0.75)
    assert np.allclose(np.log10(ov.sweeps.default_grid("sgd", 8)["lr"]), np.arange(-6, 2))
    beta = ov.sweeps.default_grid("momentum", 4)["beta"]
    assert np.allclose(beta, [0.0, 0.9, 0.99, 0.999])
    with pytest.raises(ValueError, match="≥ 2"):
        ov.sweeps.default_grid("sgd", 1)
    with pytest.raises(KeyError):
        ov.sweeps.default_grid("lbfgs", 5)


@pytest.mark.parametrize("objective", ov.objectives.names())
@pytest.mark.parametrize("key", KEYS)
def test_default_grid_sweep_matches_run_on_every_objective(key, objective):
    entry(key)
    f = ov.objectives.get(objective)
    grid = ov.sweeps.default_grid(key, 3)
    result = ov.sweep(f, key, grid, f.start, 30)  # with the objective's own noise
    assert result.shape == tuple(len(v) for v in grid.values())
    assert np.isfinite(result.best_value).all()
    assert_matches_run(result, f)


@pytest.mark.parametrize("key_setting", SETTINGS, ids=setting_id)
def test_sweeps_around_every_case_setting_match_run(key_setting):
    """The setting's other hyperparameters fixed, its sweep axes varied: with noise, on a
    float-path objective and on one that only has the array path."""
    key, setting = key_setting
    entry(key)
    spec = ov.optimizers.get(key)
    fixed = {k: v for k, v in setting.hp.items() if k not in spec.axes}
    grid = {axis: [setting.hp.get(axis, spec.hyperparam(axis).default)] for axis in spec.axes}
    first = spec.axes[0]
    grid[first] = sorted({*grid[first], *ov.sweeps.default_grid(key, 3)[first].tolist()})
    for objective in ("rosenbrock", "rastrigin"):
        f = ov.objectives.get(objective)
        result = ov.sweep(f, key, grid, f.start, 25, noise=0.3, seed=5, fixed=fixed)
        assert fixed.items() <= result.fixed.items()
        assert_matches_run(result, f)


def test_scale_invariance_in_numbers_on_rosenbrock():
    """Issue 4: between f × 10⁻² and f × 10², ADADELTA's final position moves by less than
    a small tolerance (ε's share of the denominators changes), ADAGRAD's hardly at all,
    while SGD's does not survive (it diverges at × 10²)."""
    import optviz as ov

    f = ov.objectives.get("rosenbrock")
    ends = {}
    for key, hp in (("adadelta", {}), ("adagrad", {"lr": 0.05}), ("sgd", {"lr": 1e-3})):
        runs = [
            ov.run(f.scaled(10.0**k), ov.optimizers.build(key, **hp), f.start, 500) for k in (-2, 2)
        ]
        ends[key] = runs
    low, high = ends["adadelta"]
    assert low.diverged_at == high.diverged_at == -1
    assert np.hypot(*(low.positions[-1] - high.positions[-1])) < 0.02
    low, high = ends["adagrad"]
    assert np.hypot(*(low.positions[-1] - high.positions[-1])) < 1e-8
    low, high = ends["sgd"]
    assert low.diverged_at == -1 and high.diverged_at >= 0
