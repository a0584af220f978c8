"""The catalogue of 2-D test functions: derivatives, minima, shapes, metadata, transforms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import optviz as ov
from optviz import objectives as obj

NAMES = obj.names()


def random_points(objective, n, seed):
    (x0, x1), (y0, y1) = objective.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def test_catalogue_names():
    assert NAMES == [
        "rosenbrock",
        "beale",
        "himmelblau",
        "booth",
        "saddle",
        "monkey_saddle",
        "ill_conditioned",
        "rotated_ill_conditioned",
        "noisy_quadratic",
        "rastrigin",
        "styblinski_tang",
    ]
    assert obj.get("rosenbrock") is obj.get("rosenbrock")  # compiled once
    with pytest.raises(KeyError, match="unknown objective 'nope'; known: rosenbrock"):
        obj.get("nope")


# ---------------------------------------------------------------------------
# Derivatives against central differences
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    f = obj.get(name)
    p = random_points(f, 200, seed=NAMES.index(name))
    (x0, x1), (y0, y1) = f.bounds
    h = 1e-5 * max(x1 - x0, y1 - y0)
    e = np.eye(2) * h
    fd = np.stack([(f.value(p + e[i]) - f.value(p - e[i])) / (2 * h) for i in range(2)], -1)
    g = f.grad(p)
    assert g.shape == (200, 2)
    # truncation O(h² f''') + rounding O(ε|f|/h): about 1e-7 of the largest gradient at worst
    scale = np.abs(g).max()
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_central_differences_of_the_gradient(name):
    f = obj.get(name)
    p = random_points(f, 200, seed=100 + NAMES.index(name))
    (x0, x1), (y0, y1) = f.bounds
    h = 1e-5 * max(x1 - x0, y1 - y0)
    e = np.eye(2) * h
    fd = np.stack([(f.grad(p + e[i]) - f.grad(p - e[i])) / (2 * h) for i in range(2)], -2)
    hess = f.hessian(p)
    assert hess.shape == (200, 2, 2)
    np.testing.assert_array_equal(hess, np.swapaxes(hess, -1, -2))  # symmetric
    scale = np.abs(hess).max()
    np.testing.assert_allclose(hess, fd, rtol=1e-6, atol=1e-6 * scale)


def test_rosenbrock_derivatives_by_hand():
    f = obj.get("rosenbrock")
    p = np.array([-1.5, 2.0])
    assert float(f.value(p)) == 12.5
    np.testing.assert_array_equal(f.grad(p), [-155.0, -50.0])
    # ∂²f/∂x² = 2 − 400(y − 3x²) = 2 − 400(2 − 6.75) = 1902; ∂²f/∂x∂y = −400x = 600; ∂²f/∂y² = 200
    np.testing.assert_array_equal(f.hessian(p), [[1902.0, 600.0], [600.0, 200.0]])


# ---------------------------------------------------------------------------
# Minima
# ---------------------------------------------------------------------------

# Locations and values from the literature (to the printed digits).
KNOWN_GLOBAL = {
    "rosenbrock": ([(1.0, 1.0)], 0.0),
    "beale": ([(3.0, 0.5)], 0.0),
    "himmelblau": (
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        0.0,
    ),
    "booth": ([(1.0, 3.0)], 0.0),
    "ill_conditioned": ([(0.0, 0.0)], 0.0),
    "rotated_ill_conditioned": ([(0.0, 0.0)], 0.0),
    "noisy_quadratic": ([(0.0, 0.0)], 0.0),
    "rastrigin": ([(0.0, 0.0)], 0.0),
    "styblinski_tang": ([(-2.903534, -2.903534)], 2 * -39.16616570377142),
}


def test_every_listed_minimum_is_a_minimum():
    checked = 0
    for name in NAMES:
        f = obj.get(name)
        for m in f.minima:
            p = np.array(m.point)
            hess = f.hessian(p)
            # its value is the function's value there
            assert float(f.value(p)) == m.value, (name, m)
            if m.is_global:
                assert m.value == pytest.approx(f.f_min, abs=1e-12), (name, m)
            else:
                assert m.value > f.f_min + 1.0, (name, m)
            # (near-)zero gradient, relative to the curvature
            assert np.abs(f.grad(p)).max() <= 1e-12 * (1 + np.abs(hess).max()), (name, m)
            # positive-(semi)definite Hessian
            assert np.linalg.eigvalsh(hess).min() >= -1e-9, (name, m)
            # and nothing nearby is lower
            angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = p + 1e-3 * np.column_stack([np.cos(angles), np.sin(angles)])
            assert np.all(f.value(ring) > m.value), (name, m)
            checked += 1
    assert checked == 15


@pytest.mark.parametrize("name", list(KNOWN_GLOBAL))
def test_global_minima_agree_with_the_literature(name):
    f = obj.get(name)
    points, value = KNOWN_GLOBAL[name]
    assert f.f_min == pytest.approx(value, abs=1e-12, rel=1e-14)
    assert len(f.global_minima) == len(points)
    for m, expected in zip(f.global_minima, points):
        np.testing.assert_allclose(m.point, expected, atol=1e-6)


def test_styblinski_tang_has_three_local_minima():
    f = obj.get("styblinski_tang")
    assert len(f.minima) == 4 and len(f.global_minima) == 1
    local = sorted(m.value for m in f.minima if not m.is_global)
    np.testing.assert_allclose(local, [-64.19561235905536] * 2 + [-50.05889331056788], rtol=1e-12)


def test_saddles_have_no_minimum():
    for name in ("saddle", "monkey_saddle"):
        f = obj.get(name)
        assert f.minima == () and f.global_minima == ()
        assert f.f_min is None
        # the origin is stationary but not a minimum
        np.testing.assert_array_equal(f.grad(np.zeros(2)), [0.0, 0.0])
        assert np.linalg.eigvalsh(f.hessian(np.zeros(2))).min() <= 0
        traj = ov.run(f, ov.optimizers.sgd(lr=0.01), f.start, 3)
        np.testing.assert_array_equal(traj.loss_gap, traj.values)  # f_min None → f itself


def test_loss_gap_subtracts_f_min():
    f = obj.get("styblinski_tang")
    traj = ov.run(f, ov.optimizers.sgd(lr=0.01), f.start, 5)
    np.testing.assert_array_equal(traj.loss_gap, traj.values - f.f_min)
    assert np.all(traj.loss_gap >= 0)


def test_from_sympy_polishes_approximate_minima():
    f = obj.from_sympy(
        (obj.X - 1) ** 2 + 3 * (obj.Y + 2) ** 2 + 5,
        name="bowl",
        minima=[obj.Minimum((0.9, -2.1), 123.0)],
    )
    (m,) = f.minima
    assert m.point == (1.0, -2.0) and m.value == 5.0 and f.f_min == 5.0
    assert f.display_name == "bowl" and f.latex
    # default start: 20 % across x, 80 % up y in the default bounds (−2, 2)²
    assert f.start == pytest.approx((-1.2, 1.2))


def test_from_sympy_with_given_derivatives_does_not_differentiate(monkeypatch):
    expr = sp.Abs(obj.X) * obj.Y**3 + sp.sin(obj.X * obj.Y)
    derivatives = obj.differentiate(expr)
    assert derivatives[0] == [sp.diff(expr, obj.X), sp.diff(expr, obj.Y)]
    assert derivatives[1][0][1] == sp.diff(expr, obj.X, obj.Y)
    assert derivatives[1][0][0].has(sp.DiracDelta)  # as SymPy writes it
    fresh = obj.from_sympy(expr, name="f", refine=False)

    def no_diff(*_args, **_kwargs):
        raise AssertionError("differentiated again")

    monkeypatch.setattr(sp, "diff", no_diff)
    given = obj.from_sympy(expr, name="f", refine=False, derivatives=derivatives)
    pts = np.random.default_rng(1).uniform(-2, 2, size=(50, 2))
    for fn in ("value", "grad", "hessian"):
        np.testing.assert_array_equal(getattr(given, fn)(pts), getattr(fresh, fn)(pts))
    assert given.scalar_grad is None and fresh.scalar_grad is None


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2)])
def test_output_shapes_and_pointwise_agreement(name, shape):
    f = obj.get(name)
    p = random_points(f, math.prod(shape[:-1]), seed=7).reshape(shape)
    v, g, h = f.value(p), f.grad(p), f.hessian(p)
    assert v.shape == shape[:-1] and g.shape == shape and h.shape == (*shape, 2)
    assert v.dtype == g.dtype == h.dtype == np.float64
    flat = p.reshape(-1, 2)
    for i, q in enumerate(flat):  # batched == one point at a time
        assert f.value(q).shape == () and f.grad(q).shape == (2,)
        assert v.reshape(-1)[i] == f.value(q)
        np.testing.assert_array_equal(g.reshape(-1, 2)[i], f.grad(q))
        np.testing.assert_array_equal(h.reshape(-1, 2, 2)[i], f.hessian(q))


@pytest.mark.parametrize(
    ("name", "hessian"),
    [
        ("booth", [[10.0, 8.0], [8.0, 10.0]]),
        ("ill_conditioned", [[1.0, 0.0], [0.0, 100.0]]),
        ("noisy_quadratic", [[1.0, 0.0], [0.0, 10.0]]),
        ("saddle", [[2.0, 0.0], [0.0, -2.0]]),
        ("rotated_ill_conditioned", [[50.5, -49.5], [-49.5, 50.5]]),
    ],
)
@pytest.mark.parametrize("shape", [(2,), (5, 2), (3, 4, 2)])
def test_constant_hessians_are_broadcast_to_full_shape(name, hessian, shape):
    f = obj.get(name)
    p = random_points(f, math.prod(shape[:-1]), seed=3).reshape(shape)
    h = f.hessian(p)
    assert h.shape == (*shape, 2)
    np.testing.assert_allclose(h, np.broadcast_to(hessian, h.shape), rtol=1e-14, atol=1e-13)
    h[..., 0, 0] = -1.0  # a fresh writable array: scribbling on it changes nothing later
    np.testing.assert_allclose(
        f.hessian(p), np.broadcast_to(hessian, h.shape), rtol=1e-14, atol=1e-13
    )


def test_constant_gradient_component_has_full_shape():
    # ∂/∂y of x² + 3y is the constant 3, which lambdify returns as a bare scalar
    f = obj.from_sympy(obj.X**2 + 3 * obj.Y, name="ramp")
    for shape in [(2,), (5, 2), (3, 4, 2)]:
        p = np.arange(math.prod(shape), dtype=float).reshape(shape)
        g = f.grad(p)
        assert g.shape == shape
        np.testing.assert_array_equal(g[..., 1], 3.0)
        np.testing.assert_array_equal(g[..., 0], 2 * p[..., 0])
        assert f.hessian(p).shape == (*shape, 2)
        np.testing.assert_array_equal(f.hessian(p)[..., 0, 0], 2.0)
    out = np.full((5, 2), np.nan)
    assert f.grad(np.zeros((5, 2)), out=out) is out
    np.testing.assert_array_equal(out, [[0.0, 3.0]] * 5)


def test_ill_conditioned_gradient_by_hand():
    f = obj.get("ill_conditioned")
    p = np.array([[3.0, 0.5], [-1.0, -0.25], [0.0, 0.0]])
    np.testing.assert_array_equal(f.grad(p), [[3.0, 50.0], [-1.0, -25.0], [0.0, 0.0]])
    np.testing.assert_array_equal(f.value(p), [0.5 * (9 + 25), 0.5 * (1 + 6.25), 0.0])


# ---------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    f = obj.get(name)
    assert f.name == name
    assert f.display_name.strip()
    assert f.latex.strip() and f.lesson.strip()
    (x0, x1), (y0, y1) = f.bounds
    assert all(isinstance(b, float) for b in (x0, x1, y0, y1))
    assert x0 < x1 and y0 < y1
    assert x0 < f.start[0] < x1 and y0 < f.start[1] < y1
    for m in f.minima:
        assert x0 <= m.point[0] <= x1 and y0 <= m.point[1] <= y1
    assert isinstance(f.log_scale, bool)
    if name == "noisy_quadratic":
        assert f.noise > 0
    else:
        assert f.noise == 0.0
    assert isinstance(f.expr, sp.Expr) and f.expr.free_symbols <= {obj.X, obj.Y}


def test_f_min_is_the_lowest_value_in_the_plot_bounds():
    for name in NAMES:
        f = obj.get(name)
        if f.f_min is None:
            continue
        values = f.value(random_points(f, 20_000, seed=11))
        assert values.min() >= f.f_min, name
        assert values.min() < f.f_min + 0.05 * (values.max() - f.f_min), name


# ---------------------------------------------------------------------------
# scaled / stretched
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rosenbrock", "styblinski_tang", "noisy_quadratic", "saddle"])
def test_scaled(name):
    f = obj.get(name)
    c = 2.5
    fc = f.scaled(c)
    p = random_points(f, 50, seed=5)
    np.testing.assert_allclose(fc.value(p), c * f.value(p), rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(fc.grad(p), c * f.grad(p), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(fc.hessian(p), c * f.hessian(p), rtol=1e-13, atol=1e-12)
    assert fc.bounds == f.bounds and fc.start == f.start
    assert [m.point for m in fc.minima] == [m.point for m in f.minima]
    assert [m.value for m in fc.minima] == [c * m.value for m in f.minima]
    assert [m.is_global for m in fc.minima] == [m.is_global for m in f.minima]
    assert fc.f_min == (None if f.f_min is None else c * f.f_min)
    assert fc.noise == c * f.noise  # noise is in gradient units, so it scales too
    # the transform is carried as fields, never in the name
    assert fc.name == name and (fc.scale, fc.stretch) == (2.5, 1.0) and "2.5" in fc.display_name
    assert (fc.scaled(4.0).scale, fc.stretched(3.0).stretch) == (10.0, 3.0)
    for m in fc.minima:
        assert np.abs(fc.grad(np.array(m.point))).max() < 1e-10
    assert f.scaled(1).value(p).tolist() == f.value(p).tolist()


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_scaled_and_stretched_reject_bad_factors(bad):
    f = obj.get("booth")
    with pytest.raises(ValueError, match=r"scale factor = .* must be a positive finite number"):
        f.scaled(bad)
    with pytest.raises(ValueError, match=r"stretch factor = .* must be a positive finite number"):
        f.stretched(bad)


@pytest.mark.parametrize("name", ["ill_conditioned", "himmelblau"])
def test_stretched(name):
    f = obj.get(name)
    s = 4.0
    fs = f.stretched(s)
    p = random_points(f, 50, seed=9)
    q = p * [s, 1.0]  # the same points in stretched coordinates
    np.testing.assert_allclose(fs.value(q), f.value(p), rtol=1e-13, atol=1e-12)
    # chain rule: ∂f'/∂x' = (1/s) ∂f/∂x, ∂f'/∂y unchanged
    np.testing.assert_allclose(fs.grad(q), f.grad(p) * [1 / s, 1.0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        fs.hessian(q), f.hessian(p) * [[1 / s**2, 1 / s], [1 / s, 1.0]], rtol=1e-12, atol=1e-12
    )
    (x0, x1), yb = f.bounds
    assert fs.bounds == ((s * x0, s * x1), yb)
    assert fs.start == (s * f.start[0], f.start[1])
    for m, ms in zip(f.minima, fs.minima):
        assert ms.point == (s * m.point[0], m.point[1]) and ms.value == m.value
        assert float(fs.value(np.array(ms.point))) == pytest.approx(m.value, abs=1e-10)
        assert np.abs(fs.grad(np.array(ms.point))).max() < 1e-9
    assert fs.f_min == f.f_min
    assert fs.name == name and (fs.scale, fs.stretch) == (1.0, s)


def test_stretched_ill_conditioned_is_the_isotropic_bowl():
    """½(x² + 100y²) seen with x' = 10x is ½(x'²/100 + 100y²): curvature 1/100 and 100."""
    fs = obj.get("ill_conditioned").stretched(10.0)
    np.testing.assert_allclose(fs.hessian(np.zeros(2)), [[0.01, 0.0], [0.0, 100.0]], rtol=1e-14)


# ---------------------------------------------------------------------------
# Gradient noise
# ---------------------------------------------------------------------------


def test_gradient_noise_shape_and_statistics():
    xi = obj.gradient_noise(seed=3, steps=4000, rows=3)
    assert xi.shape == (4000, 3, 2) and xi.dtype == np.float64
    assert abs(xi.mean()) < 0.03 and abs(xi.std() - 1.0) < 0.02
    assert obj.gradient_noise(0, 0, 5).shape == (0, 5, 2)
    assert obj.gradient_noise(0, 5, 0).shape == (5, 0, 2)
    with pytest.raises(ValueError, match="non-negative"):
        obj.gradient_noise(0, -1)
    with pytest.raises(ValueError, match="non-negative"):
        obj.gradient_noise(0, 3, rows=-2)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    steps=st.integers(1, 30),
    rows=st.integers(1, 6),
    more_steps=st.integers(0, 20),
    more_rows=st.integers(0, 4),
)
def test_gradient_noise_depends_only_on_seed_row_and_step(seed, steps, rows, more_steps, more_rows):
    small = obj.gradient_noise(seed, steps, rows)
    big = obj.gradient_noise(seed, steps + more_steps, rows + more_rows)
    np.testing.assert_array_equal(big[:steps, :rows], small)
    np.testing.assert_array_equal(obj.gradient_noise(seed, steps, rows), small)  # replay
    other = obj.gradient_noise(seed + 1, steps, rows)
    assert not np.any(other == small)
    if rows > 1:  # rows are not copies of one another, nor of a neighbouring seed's rows
        assert not np.any(small[:, 0] == small[:, 1])
        assert not np.any(other[:, 0] == small[:, 1])
