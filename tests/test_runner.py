"""ov.run: trajectories, batches, noise, divergence, argument checks, and properties."""

from __future__ import annotations

import functools
import warnings
import zlib

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optviz as ov
from optviz import objectives as obj
from optviz import optimizers as opt

ALL_KEYS = opt.names()
ADAPTIVE = ["adagrad", "adadelta", "rmsprop", "adam"]
NAMES = obj.names()
PROPS = settings(max_examples=40, deadline=None)


def field_arrays(traj):
    """Every array of a trajectory, states included, by name."""
    out = {
        "positions": traj.positions,
        "values": traj.values,
        "grads": traj.grads,
        "updates": traj.updates,
        "effective_lr": traj.effective_lr,
    }
    out.update({f"state.{n}": getattr(traj.states, n) for n in traj.state_fields})
    return out


def assert_same_row(single, batch, row):
    """Run ``single`` (no batch axis) equals row ``row`` of run ``batch``, bit for bit."""
    assert single.diverged_at == int(batch.diverged_at[row])
    b = field_arrays(batch)
    for name, arr in field_arrays(single).items():
        np.testing.assert_array_equal(arr, b[name][:, row], err_msg=f"{name}, row {row}")


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------


def point_in(objective):
    (x0, x1), (y0, y1) = objective.bounds
    return st.tuples(
        st.floats(x0, x1, allow_nan=False, allow_infinity=False),
        st.floats(y0, y1, allow_nan=False, allow_infinity=False),
    )


@st.composite
def problems(draw, names=tuple(NAMES), min_rows=1, max_rows=12):
    """(objective, starts of shape (B, 2)) with every start inside the plot bounds."""
    objective = obj.get(draw(st.sampled_from(names)))
    starts = draw(st.lists(point_in(objective), min_size=min_rows, max_size=max_rows))
    return objective, np.array(starts, dtype=np.float64)


# ---------------------------------------------------------------------------
# The trajectory itself
# ---------------------------------------------------------------------------


def test_trajectory_shapes_single_and_batch():
    f = obj.get("rosenbrock")
    single = ov.run(f, opt.adam(), (-1.5, 2.0), 7)
    assert single.steps == 7
    assert single.positions.shape == (8, 2) and single.values.shape == (8,)
    assert single.grads.shape == single.updates.shape == single.effective_lr.shape == (7, 2)
    assert single.state_fields == ("first_moment", "second_moment", "count")
    assert all(h.shape == (8, 2) for h in single.states)
    assert isinstance(single.diverged_at, int) and single.diverged_at == -1
    batch = ov.run(f, opt.adam(), [(-1.5, 2.0), (0.0, 0.0), (1.0, 1.0)], 7)
    assert batch.positions.shape == (8, 3, 2) and batch.values.shape == (8, 3)
    assert batch.grads.shape == (7, 3, 2)
    assert all(h.shape == (8, 3, 2) for h in batch.states)
    assert batch.diverged_at.shape == (3,) and batch.diverged_at.tolist() == [-1, -1, -1]
    one_row = ov.run(f, opt.adam(), [(-1.5, 2.0)], 7)  # a batch of one keeps its axis
    assert one_row.positions.shape == (8, 1, 2)
    empty = ov.run(f, opt.sgd(), (-1.5, 2.0), 0)
    assert empty.positions.tolist() == [[-1.5, 2.0]] and empty.grads.shape == (0, 2)
    assert single.objective is f and single.optimizer.key == "adam"
    assert single.noise == 0.0 and single.seed == 0


@PROPS
@given(problem=problems(), key=st.sampled_from(ALL_KEYS), steps=st.integers(0, 30))
def test_trajectory_is_self_consistent(problem, key, steps):
    f, starts = problem
    traj = ov.run(f, opt.build(key), starts, steps, noise=0.0)
    ok = traj.diverged_at == -1
    pos = traj.positions[:, ok]
    # x_{t+1} = x_t + Δx_t exactly, f and ∇f evaluated where the optimizer was
    np.testing.assert_array_equal(pos[1:], pos[:-1] + traj.updates[:, ok])
    np.testing.assert_array_equal(traj.values[:, ok], f.value(pos))
    np.testing.assert_array_equal(traj.grads[:, ok], f.grad(pos[:-1]))
    # the state before step 0 is init's
    init = opt.build(key).init(starts)
    for hist, first in zip(traj.states, init):
        np.testing.assert_array_equal(hist[0], first)
    np.testing.assert_array_equal(traj.positions[0], starts)


@PROPS
@given(
    problem=problems(max_rows=3),
    key=st.sampled_from(ALL_KEYS),
    steps=st.integers(0, 20),
    more=st.integers(1, 20),
    seed=st.integers(0, 2**31),
)
def test_a_shorter_run_is_a_prefix_of_a_longer_one(problem, key, steps, more, seed):
    """Including the noise: step t's noise does not depend on how many steps are run."""
    f, starts = problem
    short = ov.run(f, opt.build(key), starts, steps, noise=0.5, seed=seed)
    long = ov.run(f, opt.build(key), starts, steps + more, noise=0.5, seed=seed)
    ok = long.diverged_at == -1
    assume(ok.any())
    s, g = field_arrays(short), field_arrays(long)
    for name, arr in s.items():
        np.testing.assert_array_equal(arr[:, ok], g[name][: len(arr), ok], err_msg=name)


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


@PROPS
@given(problem=problems(), key=st.sampled_from(ALL_KEYS), steps=st.integers(0, 40))
def test_a_batch_equals_its_single_runs(problem, key, steps):
    """B ≤ 8 rows run float by float, more go through NumPy: both must give the same bits."""
    f, starts = problem
    optimizer = opt.build(key)
    batch = ov.run(f, optimizer, starts, steps, noise=0.0)
    for r, start in enumerate(starts):
        assert_same_row(ov.run(f, optimizer, start, steps, noise=0.0), batch, r)


@pytest.mark.parametrize("key", ALL_KEYS)
@pytest.mark.parametrize("name", NAMES)
def test_float_path_and_array_path_agree_on_every_objective(name, key):
    """Deterministic companion of the property above, on every objective × optimizer:
    9 rows force the array path, one start goes float by float. The bound is 0 ulps:
    the same bits, by construction, on any NumPy build."""
    f = obj.get(name)
    rng = np.random.default_rng(zlib.crc32(f"{name}:{key}".encode()))
    (x0, x1), (y0, y1) = f.bounds
    starts = np.column_stack([rng.uniform(x0, x1, 9), rng.uniform(y0, y1, 9)])
    batch = ov.run(f, opt.build(key), starts, 80, noise=0.0)
    for r in (0, 4, 8):
        assert_same_row(ov.run(f, opt.build(key), starts[r], 80, noise=0.0), batch, r)


def test_only_objectives_with_sin_exp_and_the_like_lack_the_float_path():
    """The float path exists exactly where its bits cannot differ from NumPy's: a gradient
    of correctly rounded operations. Rastrigin (cos) is the catalogue's one exception."""
    without = {name for name in NAMES if obj.get(name).scalar_grad is None}
    assert without == {"rastrigin"}


def test_the_float_path_gives_the_array_paths_bits_on_every_objective():
    """Teacher-forced: the same points into both gradients, every component identical."""
    rng = np.random.default_rng(7)
    for name in NAMES:
        f = obj.get(name)
        if f.scalar_grad is None:
            continue
        (x0, x1), (y0, y1) = f.bounds
        pts = np.column_stack([rng.uniform(x0, x1, 2000), rng.uniform(y0, y1, 2000)])
        floats = np.array([f.scalar_grad(x, y) for x, y in pts.tolist()], dtype=np.float64)
        np.testing.assert_array_equal(floats, f.grad(pts), err_msg=name)


@PROPS
@given(
    powers=st.lists(st.tuples(st.integers(-9, 12), st.integers(-9, 12)), min_size=1, max_size=4),
    coefficients=st.lists(st.integers(-50, 50), min_size=4, max_size=4),
    point=st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
)
def test_polynomials_give_the_same_bits_on_floats_and_arrays(powers, coefficients, point):
    """Any sum of c·xᵃ·yᵇ (negative powers included), through the objective compiler."""
    terms = [c * obj.X**a * (obj.Y + 4) ** b for c, (a, b) in zip(coefficients, powers)]
    f = obj.from_sympy(sp.Add(*terms), name="poly", refine=False)
    assume(point[0] != 0)
    assert f.scalar_grad is not None
    with np.errstate(all="ignore"):
        arrays = f.grad(np.array([point]))[0]
    try:
        floats = np.array(f.scalar_grad(*point), dtype=np.float64)
    except ZeroDivisionError:  # Python's x/0; the runner then carries on with arrays
        return
    np.testing.assert_array_equal(floats, arrays)


@PROPS
@given(base=st.floats(-1e3, 1e3), n=st.integers(2, obj.MAX_CHAINED_EXPONENT))
def test_integer_power_is_one_implementation_for_floats_and_arrays(base, n):
    """integer_power makes the same multiplications on a float and on an array, and
    stays within n ulps of the correctly rounded power (one rounding per multiplication)."""
    on_float = obj.integer_power(base, n)
    with np.errstate(over="ignore"):
        on_array = obj.integer_power(np.array([base, base]), n)
    np.testing.assert_array_equal(on_array, [on_float, on_float])
    exact = float(sp.Float(base, 60) ** n) if abs(base) ** n < 1e300 else None
    if exact is not None and exact != 0:
        assert abs(on_float - exact) <= n * np.spacing(abs(exact))


# ---------------------------------------------------------------------------
# Properties of the optimizers along whole runs
# ---------------------------------------------------------------------------

BOUNDED = ("booth", "ill_conditioned", "rotated_ill_conditioned", "noisy_quadratic")


@PROPS
@given(
    problem=problems(names=BOUNDED),
    key=st.sampled_from(ADAPTIVE),
    steps=st.integers(1, 60),
    sigma=st.sampled_from([0.0, 0.5, 3.0]),
    seed=st.integers(0, 99),
)
def test_adaptive_runs_on_quadratics_stay_finite_and_bounded(problem, key, steps, sigma, seed):
    f, starts = problem
    optimizer = opt.build(key)
    traj = ov.run(f, optimizer, starts, steps, noise=sigma, seed=seed)
    assert (traj.diverged_at == -1).all()
    for name, arr in field_arrays(traj).items():
        assert np.isfinite(arr).all(), name
    hp, step = optimizer.hyperparams, np.abs(traj.updates)
    slack = 1 + 1e-12
    if key == "adagrad":  # G_t ≥ g_t², so |Δx| ≤ η
        assert (step <= hp["lr"] * slack).all()
    elif key == "rmsprop":  # E[g²]_t ≥ (1−ρ) g_t², so |Δx| ≤ η/√(1−ρ)
        assert (step <= hp["lr"] / np.sqrt(1 - hp["rho"]) * slack).all()
    elif key == "adadelta":  # |Δx_t| ≤ RMS[Δx]_{t−1}/√(1−ρ)
        rms_prev = np.sqrt(traj.states.sq_step_avg[:-1] + hp["eps"])
        assert (step <= rms_prev / np.sqrt(1 - hp["rho"]) * slack).all()


@PROPS
@given(
    problem=problems(max_rows=10),
    steps=st.integers(1, 40),
    lr=st.floats(1e-4, 1.0),
    g0=st.sampled_from([0.0, 0.1, 5.0]),
    sigma=st.sampled_from([0.0, 1.0]),
    seed=st.integers(0, 99),
)
def test_adagrad_accumulator_never_decreases(problem, steps, lr, g0, sigma, seed):
    f, starts = problem
    traj = ov.run(
        f, opt.adagrad(lr=lr, initial_accumulator=g0), starts, steps, noise=sigma, seed=seed
    )
    G = traj.states.grad_sq_sum
    np.testing.assert_array_equal(G[0], g0)
    for r in range(len(starts)):
        d = int(traj.diverged_at[r])
        last = steps + 1 if d == -1 else d + 1  # states up to the step that led out are kept
        Gr = G[:last, r]
        assert np.all(np.diff(Gr, axis=0) >= 0)
        gr = traj.grads[: last - 1, r]
        if np.isfinite(gr).all():  # G_t = G_0 + Σ g²
            np.testing.assert_allclose(Gr[-1], g0 + (gr**2).sum(axis=0), rtol=1e-12)


def running_max(a):
    return np.maximum.accumulate(a, axis=0)


@PROPS
@given(
    problem=problems(max_rows=10),
    key=st.sampled_from(["adadelta", "rmsprop"]),
    rho=st.floats(0.0, 0.999),
    steps=st.integers(1, 40),
    sigma=st.sampled_from([0.0, 1.0]),
    seed=st.integers(0, 99),
)
def test_running_averages_stay_within_zero_and_the_largest_square_seen(
    problem, key, rho, steps, sigma, seed
):
    """E[g²]_t = ρE[g²]_{t−1} + (1−ρ)g_t² is a convex mix of 0 and the g_s², s ≤ t.

    Three roundings (ρE, (1−ρ)g², the sum) can put it a few ulps above the largest g_s²,
    hence the 1e-15 relative slack."""
    f, starts = problem
    traj = ov.run(f, opt.build(key, rho=rho), starts, steps, noise=sigma, seed=seed)
    ok = traj.diverged_at == -1
    assume(ok.any())
    slack = 1 + 1e-15
    Eg2 = traj.states.sq_grad_avg[1:, ok]
    assert (Eg2 >= 0).all()
    assert (Eg2 <= running_max(traj.grads[:, ok] ** 2) * slack).all()
    if key == "adadelta":  # lr = 1: the update is the paper's Δx
        Edx2 = traj.states.sq_step_avg[1:, ok]
        assert (Edx2 >= 0).all()
        assert (Edx2 <= running_max(traj.updates[:, ok] ** 2) * slack).all()


@functools.cache
def scaled(name, c):
    return obj.get(name).scaled(c)


@PROPS
@given(
    name=st.sampled_from(["rosenbrock", "booth"]),
    c=st.sampled_from([0.01, 7.0, 100.0]),
    data=st.data(),
    steps=st.integers(1, 25),
)
def test_scaling_f_leaves_adagrad_and_adadelta_paths_but_not_sgds(name, c, data, steps):
    """ADAGRAD and ADADELTA divide the gradient by a root-mean-square of gradients, so
    f → c·f cancels (up to ε); SGD's step is multiplied by c."""
    f = obj.get(name)
    start = data.draw(point_in(f))
    g0 = f.grad(np.array(start))
    assume(np.abs(g0).min() > 1.0)  # keeps ε ≪ the gradients (see tolerances)
    fc = scaled(name, c)

    # ADAGRAD, ε = 1e-14: relative effect ≤ ε/(c·√G) ≤ 1e-14/(0.01·1) = 1e-12
    a = ov.run(f, opt.adagrad(eps=1e-14), start, steps)
    b = ov.run(fc, opt.adagrad(eps=1e-14), start, steps)
    np.testing.assert_allclose(b.updates, a.updates, rtol=0, atol=1e-9 * np.abs(a.updates).max())
    np.testing.assert_allclose(b.positions, a.positions, rtol=0, atol=1e-9)

    # ADADELTA, ε = 1e-12: RMS[g] = √(c²E[g²] + ε) ≈ c·√E[g²] when ε ≪ c²(1−ρ)g²; the
    # relative effect ε/(2c²(1−ρ)g²) is ≤ 1e-12/(2·1e-4·0.05·1) = 1e-7 while |g| stays ≳ 1
    # (25 steps of ≈ 5e-6 barely move it)
    a = ov.run(f, opt.adadelta(eps=1e-12), start, steps)
    b = ov.run(fc, opt.adadelta(eps=1e-12), start, steps)
    np.testing.assert_allclose(b.updates, a.updates, rtol=0, atol=1e-6 * np.abs(a.updates).max())
    np.testing.assert_allclose(b.effective_lr * c, a.effective_lr, rtol=1e-6)

    # SGD: every step multiplied by c (first step exactly from the same point)
    a = ov.run(f, opt.sgd(lr=1e-4), start, steps)
    b = ov.run(fc, opt.sgd(lr=1e-4), start, steps)
    np.testing.assert_allclose(b.updates[0], c * a.updates[0], rtol=1e-13)
    assert not np.allclose(b.updates[0], a.updates[0], rtol=0.5)


def test_scaling_by_100_rosenbrock_example():
    f, f100 = obj.get("rosenbrock"), scaled("rosenbrock", 100.0)
    for make, same in [
        (lambda: opt.adagrad(eps=1e-14), True),
        (lambda: opt.adadelta(eps=1e-12), True),
        (lambda: opt.sgd(lr=1e-4), False),
    ]:
        a = ov.run(f, make(), (-1.5, 2.0), 50)
        b = ov.run(f100, make(), (-1.5, 2.0), 50)
        assert np.allclose(a.positions, b.positions, rtol=0, atol=1e-8) == same
    # with SGD the scaled run goes unstable: lr·c·λ_max ≈ 0.01·2000 > 2
    assert ov.run(f100, opt.sgd(lr=1e-4), (-1.5, 2.0), 50).diverged_at != -1


@PROPS
@given(
    problem=problems(),
    lr=st.floats(1e-5, 0.5),
    steps=st.integers(0, 30),
    sigma=st.sampled_from([0.0, 1.0]),
)
def test_momentum_with_beta_zero_is_sgd_bit_for_bit(problem, lr, steps, sigma):
    f, starts = problem
    plain = ov.run(f, opt.sgd(lr=lr), starts, steps, noise=sigma)
    for key in ("momentum", "nesterov"):
        heavy = ov.run(f, opt.build(key, lr=lr, beta=0.0), starts, steps, noise=sigma)
        np.testing.assert_array_equal(heavy.diverged_at, plain.diverged_at)
        for name in ("positions", "values", "grads", "updates", "effective_lr"):
            np.testing.assert_array_equal(getattr(heavy, name), getattr(plain, name), name)
        ok = heavy.diverged_at == -1
        np.testing.assert_array_equal(heavy.states.velocity[1:, ok], heavy.updates[:, ok])


# ---------------------------------------------------------------------------
# Array hyperparameters
# ---------------------------------------------------------------------------


def test_adadelta_array_hyperparameters_run_one_configuration_per_row():
    rho = np.array([0.5, 0.9, 0.95, 0.99])
    eps = np.array([1e-2, 1e-4, 1e-6, 1e-8])
    f = obj.get("rosenbrock")
    sweep = ov.run(f, opt.adadelta(rho=rho, eps=eps), (-1.5, 2.0), 100)
    assert sweep.positions.shape == (101, 4, 2) and sweep.diverged_at.shape == (4,)
    for i in range(4):
        single = ov.run(f, opt.adadelta(rho=float(rho[i]), eps=float(eps[i])), (-1.5, 2.0), 100)
        assert_same_row(single, sweep, i)
    # the rows really differ: the first step is √(ε/(1−ρ)) in size
    np.testing.assert_allclose(np.abs(sweep.updates[0, :, 0]), np.sqrt(eps / (1 - rho)), rtol=1e-2)


@PROPS
@given(
    key=st.sampled_from(ALL_KEYS),
    rows=st.integers(2, 10),  # 1 row: see test_a_one_value_sweep_keeps_its_batch_axis
    data=st.data(),
    name=st.sampled_from(["rosenbrock", "booth", "himmelblau", "noisy_quadratic"]),
    steps=st.integers(1, 30),
    sigma=st.sampled_from([0.0, 1.0]),
)
def test_array_hyperparameters_equal_scalar_runs(key, rows, data, name, steps, sigma):
    spec = opt.get(key)
    hp = {}
    for h in spec.hyperparams:
        if h.name == "initial_accumulator":
            values = st.floats(0.0, 10.0)
        elif h.log:
            values = st.floats(h.ui_low, h.ui_high).filter(lambda v: v > 0)
        else:
            values = st.floats(h.ui_low, h.ui_high)
        if h.name == "lr":  # keep most runs from diverging at once
            values = st.floats(1e-5, 0.5 if key in ADAPTIVE else 1e-3)
        hp[h.name] = np.array(data.draw(st.lists(values, min_size=rows, max_size=rows)))
    f = obj.get(name)
    start = data.draw(point_in(f))
    sweep = ov.run(f, opt.build(key, **hp), start, steps, noise=sigma, seed=3)
    assert sweep.positions.shape == (steps + 1, rows, 2)
    for i in range(rows):
        one = opt.build(key, **{k: float(v[i]) for k, v in hp.items()})
        # one x0 is shared by all rows, and so is its noise (row 0 of the seed's noise)
        assert_same_row(ov.run(f, one, start, steps, noise=sigma, seed=3), sweep, i)


def test_a_one_value_sweep_keeps_its_batch_axis():
    f = obj.get("rosenbrock")
    two = ov.run(f, opt.adadelta(rho=np.array([0.9, 0.95])), (-1.5, 2.0), 5)
    assert two.positions.shape == (6, 2, 2) and two.diverged_at.shape == (2,)
    one = ov.run(f, opt.adadelta(rho=np.array([0.9])), (-1.5, 2.0), 5)
    assert one.positions.shape == (6, 1, 2)  # a sweep keeps its row axis, even of length 1
    assert one.diverged_at.shape == (1,)


def test_array_hyperparameters_with_one_start_per_row():
    f = obj.get("booth")
    starts = np.array([[-8.0, 8.0], [5.0, -5.0], [0.0, 0.0]])
    lr = np.array([0.01, 0.02, 0.05])
    sweep = ov.run(f, opt.rmsprop(lr=lr), starts, 20)
    for i in range(3):
        assert_same_row(ov.run(f, opt.rmsprop(lr=float(lr[i])), starts[i], 20), sweep, i)
    with pytest.raises(ValueError, match="the optimizer has 3 hyperparameter rows but x0 has 2"):
        ov.run(f, opt.rmsprop(lr=lr), starts[:2], 20)


# ---------------------------------------------------------------------------
# Gradient noise
# ---------------------------------------------------------------------------


def noise_seen(traj, row=None):
    """What was added to the true gradient at each step: g_t − ∇f(x_t)."""
    grads, positions = traj.grads, traj.positions
    if row is not None:
        grads, positions = grads[:, row], positions[:, row]
    return grads - traj.objective.grad(positions[:-1])


def assert_noise_is(traj, expected, row=None):
    # (∇f + σξ) − ∇f is σξ up to the rounding of the sum
    grads = traj.grads if row is None else traj.grads[:, row]
    tol = 4 * np.spacing(np.abs(grads)) + 1e-300
    assert (np.abs(noise_seen(traj, row) - expected) <= tol).all()


def test_noisy_quadratic_uses_its_default_noise():
    f = obj.get("noisy_quadratic")
    traj = ov.run(f, opt.sgd(lr=0.05), f.start, 50, seed=7)
    assert traj.noise == 1.0 and traj.seed == 7
    assert_noise_is(traj, obj.gradient_noise(7, 50, 1)[:, 0] * 1.0)
    quiet = ov.run(f, opt.sgd(lr=0.05), f.start, 50, seed=7, noise=0.0)
    np.testing.assert_array_equal(quiet.grads, f.grad(quiet.positions[:-1]))
    assert ov.run(obj.get("booth"), opt.sgd(), (0.0, 0.0), 3).noise == 0.0


@PROPS
@given(
    seed=st.integers(0, 2**40),
    sigma=st.floats(0.01, 10.0),
    steps=st.integers(1, 30),
    key=st.sampled_from(ALL_KEYS),
    other=st.sampled_from(ALL_KEYS),
)
def test_noise_is_seeded_and_shared_between_optimizers(seed, sigma, steps, key, other):
    f = obj.get("noisy_quadratic")
    a = ov.run(f, opt.build(key), f.start, steps, noise=sigma, seed=seed)
    replay = ov.run(f, opt.build(key), f.start, steps, noise=sigma, seed=seed)
    for name, arr in field_arrays(a).items():
        np.testing.assert_array_equal(arr, field_arrays(replay)[name], err_msg=name)
    different = ov.run(f, opt.build(key), f.start, steps, noise=sigma, seed=seed + 1)
    assert not np.any(different.grads[0] == a.grads[0])
    assert not np.allclose(noise_seen(different), noise_seen(a), rtol=1e-3)
    # another optimizer walks elsewhere but sees the same noise
    b = ov.run(f, opt.build(other), f.start, steps, noise=sigma, seed=seed)
    np.testing.assert_allclose(noise_seen(b), noise_seen(a), rtol=1e-9, atol=1e-12 * sigma)
    assert_noise_is(a, sigma * obj.gradient_noise(seed, steps, 1)[:, 0])


@PROPS
@given(seed=st.integers(0, 2**31), rows=st.integers(2, 12), steps=st.integers(1, 20))
def test_noise_of_a_row_does_not_depend_on_the_batch(seed, rows, steps):
    f = obj.get("noisy_quadratic")
    starts = np.tile(f.start, (rows, 1))
    batch = ov.run(f, opt.adadelta(), starts, steps, seed=seed)
    xi = obj.gradient_noise(seed, steps, rows)
    for r in (0, rows - 1):
        assert_noise_is(batch, xi[:, r], row=r)
    # rows with the same start differ only through their noise
    assert not np.array_equal(batch.positions[:, 0], batch.positions[:, 1])
    # row 0 of any batch is the single run with the same seed
    assert_same_row(ov.run(f, opt.adadelta(), f.start, steps, seed=seed), batch, 0)
    smaller = ov.run(f, opt.adadelta(), starts[:2], steps, seed=seed)
    for name, arr in field_arrays(smaller).items():
        np.testing.assert_array_equal(arr, field_arrays(batch)[name][:, :2], err_msg=name)


# ---------------------------------------------------------------------------
# Divergence
# ---------------------------------------------------------------------------


def no_warnings_run(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ov.run(*args, **kwargs)


@pytest.mark.parametrize("rows", [None, 3, 9], ids=["single", "float-batch", "array-batch"])
def test_sgd_lr_1_on_rosenbrock_diverges_at_step_2(rows):
    # Step 0: g(−1.5, 2) = (−155, −50), so x₁ = (−1.5, 2) + (155, 50) = (153.5, 52): far out
    # of the plot but finite and inside the 1e6 box, f(x₁) ≈ 5.5e10 is finite too.
    # Step 1: y − x² = 52 − 23562.25 = −23510.25, so ∂f/∂x = 305 + 400·153.5·23510.25
    # ≈ 1.4435e9 and x₂ ≈ −1.4435e9: |x₂| > 1e6, the run is diverged at index 2.
    f = obj.get("rosenbrock")
    x0 = (-1.5, 2.0) if rows is None else [(-1.5, 2.0)] * rows
    traj = no_warnings_run(f, opt.sgd(lr=1.0), x0, 50)
    d = np.atleast_1d(traj.diverged_at)
    assert d.tolist() == [2] * (rows or 1)
    pos = traj.positions.reshape(51, -1, 2)
    vals = traj.values.reshape(51, -1)
    np.testing.assert_array_equal(pos[0], np.tile([-1.5, 2.0], (rows or 1, 1)))  # start kept
    np.testing.assert_array_equal(pos[1], np.tile([153.5, 52.0], (rows or 1, 1)))
    assert vals[0, 0] == 12.5
    assert vals[1, 0] == pytest.approx(152.5**2 + 100 * 23510.25**2, rel=1e-14)
    assert np.isnan(pos[2:]).all() and np.isnan(vals[2:]).all()
    grads = traj.grads.reshape(50, -1, 2)
    np.testing.assert_array_equal(grads[0], np.tile([-155.0, -50.0], (rows or 1, 1)))
    # the update that led out is kept (step 1); from index 2 on everything is NaN
    upd = traj.updates.reshape(50, -1, 2)
    assert upd[1, 0, 0] == pytest.approx(-(305.0 + 400 * 153.5 * 23510.25), rel=1e-14)
    assert np.isnan(upd[2:]).all() and np.isnan(grads[2:]).all()
    assert np.isnan(traj.effective_lr.reshape(50, -1, 2)[2:]).all()


def test_divergence_keeps_the_state_that_led_out():
    # momentum's first step is SGD's: x₁ = (153.5, 52), v₁ = (155, 50); then
    # v₂ = 0.9·v₁ − ∇f(x₁) ≈ (−1.4435e9, …) throws x₂ out of the box: diverged at 2.
    f = obj.get("rosenbrock")
    traj = no_warnings_run(f, opt.momentum(lr=1.0, beta=0.9), (-1.5, 2.0), 10)
    assert traj.diverged_at == 2
    v = traj.states.velocity
    np.testing.assert_array_equal(v[1], [155.0, 50.0])
    g1 = f.grad(np.array([153.5, 52.0]))
    np.testing.assert_array_equal(v[2], 0.9 * v[1] - g1)  # kept: the step that left
    np.testing.assert_array_equal(traj.updates[1], v[2])
    assert np.isnan(v[3:]).all()


def test_leaving_the_box_is_divergence_even_with_finite_values():
    # SGD with lr = 0.03 on ½(x² + 100y²): y ← (1 − 3)y = −2y; from y₀ = 1.5,
    # |y₁₉| = 1.5·2¹⁹ ≈ 7.9e5 ≤ 1e6 < |y₂₀| ≈ 1.6e6.
    f = obj.get("ill_conditioned")
    traj = no_warnings_run(f, opt.sgd(lr=0.03), (-3.5, 1.5), 40)
    assert traj.diverged_at == 20
    assert abs(traj.positions[19, 1]) == pytest.approx(1.5 * 2**19, rel=1e-12)
    assert np.isnan(traj.positions[20:]).all()
    # a smaller box catches it earlier: |y_t| = 1.5·2^t > 1000 first at t = 10
    assert no_warnings_run(f, opt.sgd(lr=0.03), (-3.5, 1.5), 40, box=1000.0).diverged_at == 10
    stable = no_warnings_run(f, opt.sgd(lr=0.019), (-3.5, 1.5), 200)  # |1 − 1.9| < 1
    assert stable.diverged_at == -1 and np.isfinite(stable.positions).all()
    # x_t = (1 − 0.019)^t x₀, y_t = (1 − 1.9)^t y₀ = (−0.9)^t y₀
    assert stable.positions[-1, 0] == pytest.approx(-3.5 * 0.981**200, rel=1e-11)
    assert stable.positions[-1, 1] == pytest.approx(1.5 * 0.9**200, rel=1e-9)


@pytest.mark.parametrize("rows", [None, 9])
def test_an_overflowing_value_inside_the_box_is_divergence(rows):
    # f = −eˣ + y²: one step of lr = 1e-300 from x = 700 jumps by 1e-300·e⁷⁰⁰ ≈ 1.01e4 to
    # x ≈ 10842, well inside the box, where f = −e¹⁰⁸⁴² = −inf (and Python's math.exp
    # raises OverflowError in the float path, which must fall back quietly).
    f = obj.from_sympy(-sp.exp(obj.X) + obj.Y**2, name="cliff")
    x0 = (700.0, 0.5) if rows is None else [(700.0, 0.5)] * rows
    traj = no_warnings_run(f, opt.sgd(lr=1e-300), x0, 5)
    assert np.atleast_1d(traj.diverged_at).tolist() == [1] * (rows or 1)
    pos = traj.positions.reshape(6, -1, 2)
    np.testing.assert_array_equal(pos[0, 0], [700.0, 0.5])
    assert np.isnan(pos[1:]).all()
    assert traj.updates.reshape(5, -1, 2)[0, 0, 0] == pytest.approx(1e-300 * np.exp(700.0))


def test_a_diverging_row_leaves_the_others_untouched():
    f = obj.get("rosenbrock")
    # (10, 10): ∂f/∂x = 18 + 400·10·90 = 360018, so lr = 1e-3 throws it to x ≈ −350
    starts = np.array([[-1.5, 2.0], [10.0, 10.0], [0.0, 0.0]])
    for tile in (1, 3):  # 3 rows (float path) and 9 rows (array path)
        batch = no_warnings_run(f, opt.sgd(lr=1e-3), np.tile(starts, (tile, 1)), 100)
        assert batch.diverged_at.tolist() == [-1, 2, -1] * tile
        for r in range(3 * tile):
            assert_same_row(ov.run(f, opt.sgd(lr=1e-3), starts[r % 3], 100), batch, r)
        assert np.isfinite(batch.positions[:, [0, 2]]).all()
    # the same with one learning rate per row
    lr = np.array([1e-3, 1.0, 2e-3] * 3)
    sweep = no_warnings_run(f, opt.sgd(lr=lr), (-1.5, 2.0), 100)
    assert sweep.diverged_at.tolist() == [-1, 2, -1] * 3
    for r in (0, 2):
        assert_same_row(ov.run(f, opt.sgd(lr=float(lr[r])), (-1.5, 2.0), 100), sweep, r)


def test_a_start_outside_the_box_is_diverged_at_zero_and_kept():
    traj = no_warnings_run(obj.get("booth"), opt.adam(), (2e6, 0.0), 5)
    assert traj.diverged_at == 0
    np.testing.assert_array_equal(traj.positions[0], [2e6, 0.0])
    assert np.isnan(traj.positions[1:]).all() and np.isnan(traj.grads).all()


@PROPS
@given(
    problem=problems(names=("rosenbrock", "beale", "rastrigin")),
    key=st.sampled_from(ALL_KEYS),
    lr=st.floats(0.5, 50.0),
    steps=st.integers(1, 40),
)
def test_divergence_is_reported_never_raised(problem, key, lr, steps):
    f, starts = problem
    traj = no_warnings_run(f, opt.build(key, lr=lr), starts, steps)
    for r, d in enumerate(traj.diverged_at):
        pos, vals = traj.positions[:, r], traj.values[:, r]
        if d == -1:
            assert np.isfinite(pos).all() and np.isfinite(vals).all()
            assert (np.abs(pos) <= 1e6).all()
        else:
            assert 0 <= d <= steps
            assert np.isfinite(pos[:d]).all() and (np.abs(pos[:d]) <= 1e6).all()
            assert np.isnan(pos[max(d, 1) :]).all() and np.isnan(vals[max(d, 1) :]).all()
            assert np.isnan(traj.updates[d:, r]).all()


# ---------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"steps": -1}, r"steps = -1 must be ≥ 0"),
        ({"steps": 2.5}, r"steps must be a whole number, got 2\.5"),
        ({"steps": True}, r"steps must be a whole number, got True"),
        ({"steps": "10"}, r"steps must be a whole number, got '10'"),
        ({"noise": -1}, r"noise σ = -1\.0 must be a finite number ≥ 0"),
        ({"noise": float("nan")}, r"noise σ = nan must be"),
        ({"noise": float("inf")}, r"noise σ = inf must be"),
        ({"noise": "loud"}, r"noise σ must be a number, got 'loud'"),
        ({"seed": -1}, r"seed must be a whole number ≥ 0, got -1"),
        ({"seed": 1.5}, r"seed must be a whole number ≥ 0, got 1\.5"),
        ({"x0": (1.0, 2.0, 3.0)}, r"x0 must have shape \(2,\) or \(B, 2\), got \(3,\)"),
        ({"x0": np.zeros((2, 3))}, r"x0 must have shape \(2,\) or \(B, 2\), got \(2, 3\)"),
        ({"x0": np.zeros((2, 2, 2))}, r"x0 must have shape"),
        ({"x0": "ab"}, r"x0 must be a point \(x, y\) or an array of shape \(B, 2\)"),
        ({"x0": [(1.0, 2.0), (3.0,)]}, r"x0 must be a point"),
    ],
)
def test_bad_run_arguments_raise_value_error(kwargs, pattern):
    args = {"x0": (0.0, 0.0), "steps": 10, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        ov.run(obj.get("booth"), opt.sgd(), **args)


@pytest.mark.parametrize("box", [float("nan"), -1.0, 0.0, float("inf"), "wide"])
def test_bad_box_raises_value_error(box):
    with pytest.raises(ValueError, match="box"):
        ov.run(obj.get("booth"), opt.sgd(), [(-8.0, 8.0)] * 9, 40, box=box)


def test_empty_hyperparameter_arrays_and_empty_batches_are_rejected():
    with pytest.raises(ValueError, match="rho must not be an empty array"):
        opt.adadelta(rho=np.array([]))
    with pytest.raises(ValueError, match="at least one start"):
        ov.run(obj.get("booth"), opt.sgd(), np.zeros((0, 2)), 3)
    with pytest.raises(ValueError, match="lr must be a number, got None"):
        opt.sgd(lr=None)
    with pytest.raises(ValueError, match="seed"):
        obj.gradient_noise(-1, 3)


def test_numpy_integers_are_fine_as_steps_and_seed():
    traj = ov.run(obj.get("noisy_quadratic"), opt.sgd(), (1.0, 1.0), np.int64(4), seed=np.int32(2))
    assert traj.steps == 4 and traj.seed == 2 and isinstance(traj.seed, int)


# ---------------------------------------------------------------------------
# The realised rate −Δx/g: one quantity for every optimizer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sgd", "adagrad", "rmsprop", "adadelta"])
def test_the_realised_rate_is_the_effective_rate_where_the_step_is_rate_times_g(key):
    obj = ov.objectives.get("rosenbrock")
    traj = ov.run(obj, ov.optimizers.build(key), (-1.5, 2.0), 200)
    np.testing.assert_allclose(traj.step_factor, traj.effective_lr, rtol=4e-16, atol=0)


def test_the_realised_rate_of_momentum_carries_its_velocity():
    obj = ov.objectives.get("rosenbrock")
    traj = ov.run(obj, ov.optimizers.momentum(lr=1e-4, beta=0.9), (-1.5, 2.0), 200)
    assert traj.step_factor[0] == pytest.approx(traj.effective_lr[0])  # no velocity yet
    later = traj.step_factor[50:]
    # −Δx/g = η + β·(−v_{t−1})/g: far from the constant η the optimizer calls its rate
    assert np.nanmax(np.abs(later / 1e-4)) > 5
    expected = -traj.updates / traj.grads
    np.testing.assert_array_equal(traj.step_factor, expected)


def test_the_realised_rate_is_undefined_where_the_gradient_is_zero_or_after_divergence():
    flat_y = ov.formula.from_expression("x^2", bounds=((-2, 2), (-2, 2)))
    traj = ov.run(flat_y, ov.optimizers.sgd(lr=0.1), (1.0, 1.0), 5)
    assert np.isnan(traj.step_factor[:, 1]).all()  # ∂f/∂y = 0: no factor exists
    assert traj.step_factor[:, 0] == pytest.approx(0.1)
    boom = ov.run(ov.objectives.get("rosenbrock"), ov.optimizers.sgd(lr=1.0), (-1.5, 2.0), 50)
    assert boom.diverged_at > 0
    assert np.isnan(boom.step_factor[boom.diverged_at :]).all()
    assert not boom.step_factor.flags.writeable


def test_divergence_cause_tells_steep_overflow_unbounded_and_undefined():
    from optviz import formula
    from optviz.runner import OVERFLOW, STEEP, UNBOUNDED, UNDEFINED, divergence_cause

    box = ((-2.0, 2.0), (-2.0, 2.0))

    def cause(text, opt, start):
        return divergence_cause(ov.run(formula.from_expression(text, bounds=box), opt, start, 200))

    assert cause("(x^2+y^2)^100", ov.optimizers.sgd(lr=1e-2), (-1.2, 1.2)) == STEEP
    assert cause("-x^2 - y^2", ov.optimizers.momentum(lr=1e-2, beta=0.9), (-1.2, 1.2)) == UNBOUNDED
    assert cause("log(x) + y^2", ov.optimizers.sgd(lr=1.0), (0.5, 0.5)) == UNDEFINED
    assert cause("exp(1000*x^2) + y^2", ov.optimizers.sgd(lr=1e-3), (1.9, 0.0)) == OVERFLOW
    assert cause("x^2 + y^2", ov.optimizers.sgd(lr=1e-2), (1.0, 1.0)) is None
