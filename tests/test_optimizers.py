"""The optimizers' arithmetic, checked against the update equations written out by hand.

Every expected number here is computed in plain Python floats from the published update
rules (Zeiler 2012 for ADADELTA, the usual forms for the others), never by calling optviz.
The reference code is deliberately written in the *textbook* order of operations (e.g.
Adam's bias-corrected m̂/(√v̂ + ε)), not torch's, so agreement is to a few ulps, hence the
tolerance ``rtol = 1e-14``; where optviz promises exact equality (SGD, momentum with β = 0,
ADADELTA's update = −effective_lr·g) the comparison is bitwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import optviz as ov
from optviz import optimizers as opt

RTOL = 1e-14
ALL_KEYS = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"]


# ---------------------------------------------------------------------------
# Gradients by hand
# ---------------------------------------------------------------------------


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    """f = (1−x)² + 100(y−x²)²:  ∂f/∂x = −2(1−x) − 400x(y−x²),  ∂f/∂y = 200(y−x²)."""
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


def ill_conditioned_grad(x: float, y: float) -> tuple[float, float]:
    """f = ½(x² + 100y²):  ∇f = (x, 100y)."""
    return x, 100.0 * y


def test_hand_gradients_match_the_catalogue_at_the_start_points():
    rosen = ov.objectives.get("rosenbrock")
    # At (−1.5, 2): y − x² = 2 − 2.25 = −0.25, so ∂f/∂x = −2·2.5 − 400·(−1.5)·(−0.25)
    # = −5 − 150 = −155 and ∂f/∂y = 200·(−0.25) = −50.
    assert rosenbrock_grad(-1.5, 2.0) == (-155.0, -50.0)
    np.testing.assert_array_equal(rosen.grad(np.array([-1.5, 2.0])), [-155.0, -50.0])
    assert float(rosen.value(np.array([-1.5, 2.0]))) == 2.5**2 + 100 * 0.25**2 == 12.5
    ill = ov.objectives.get("ill_conditioned")
    np.testing.assert_array_equal(ill.grad(np.array([3.0, 0.5])), [3.0, 50.0])


# ---------------------------------------------------------------------------
# Reference implementations: one coordinate, plain floats, the equations as printed
# ---------------------------------------------------------------------------


def ref_step(key: str, hp: dict, g: float, state: dict, t: int) -> tuple[float, float, dict]:
    """One step of optimizer ``key`` on one coordinate: (update, effective_lr, new_state).

    ``t`` is the 1-based step number (only Adam needs it).
    """
    if key == "sgd":
        return -hp["lr"] * g, hp["lr"], {}
    if key in ("momentum", "nesterov"):
        lr, beta = hp["lr"], hp["beta"]
        v = beta * state["velocity"] - lr * g  # v_t = β v_{t−1} − η g_t
        if key == "nesterov":
            return beta * v - lr * g, lr * (1.0 + beta), {"velocity": v}
        return v, lr, {"velocity": v}
    if key == "adagrad":
        G = state["grad_sq_sum"] + g**2  # G_t = G_{t−1} + g_t²
        rate = hp["lr"] / (math.sqrt(G) + hp["eps"])
        return -rate * g, rate, {"grad_sq_sum": G}
    if key == "adadelta":
        rho, eps, lr = hp["rho"], hp["eps"], hp.get("lr", 1.0)
        Eg2 = rho * state["sq_grad_avg"] + (1.0 - rho) * g**2  # E[g²]_t
        rms_dx_prev = math.sqrt(state["sq_step_avg"] + eps)  # RMS[Δx]_{t−1}
        rms_g = math.sqrt(Eg2 + eps)  # RMS[g]_t
        dx = -(rms_dx_prev / rms_g) * g  # Δx_t (paper, no learning rate)
        Edx2 = rho * state["sq_step_avg"] + (1.0 - rho) * dx**2  # E[Δx²]_t, unscaled Δx
        return lr * dx, lr * rms_dx_prev / rms_g, {"sq_grad_avg": Eg2, "sq_step_avg": Edx2}
    if key == "rmsprop":
        rho = hp["rho"]
        Eg2 = rho * state["sq_grad_avg"] + (1.0 - rho) * g**2
        rate = hp["lr"] / (math.sqrt(Eg2) + hp["eps"])
        return -rate * g, rate, {"sq_grad_avg": Eg2}
    if key == "adam":
        b1, b2, lr, eps = hp["beta1"], hp["beta2"], hp["lr"], hp["eps"]
        m = b1 * state["first_moment"] + (1.0 - b1) * g
        v = b2 * state["second_moment"] + (1.0 - b2) * g**2
        m_hat = m / (1.0 - b1**t)
        v_hat = v / (1.0 - b2**t)
        update = -lr * m_hat / (math.sqrt(v_hat) + eps)
        rate = (lr / (1.0 - b1**t)) / (math.sqrt(v) / math.sqrt(1.0 - b2**t) + eps)
        return update, rate, {"first_moment": m, "second_moment": v, "count": float(t)}
    raise AssertionError(key)


INITIAL_STATE = {
    "sgd": {},
    "momentum": {"velocity": 0.0},
    "nesterov": {"velocity": 0.0},
    "adagrad": {"grad_sq_sum": 0.0},
    "adadelta": {"sq_grad_avg": 0.0, "sq_step_avg": 0.0},
    "rmsprop": {"sq_grad_avg": 0.0},
    "adam": {"first_moment": 0.0, "second_moment": 0.0, "count": 0.0},
}


def reference_run(key, hp, grad_fn, x0, steps, initial=None):
    """The whole loop x_{t+1} = x_t + Δx_t in plain floats; returns a dict of lists."""
    x = list(x0)
    states = [dict(INITIAL_STATE[key], **(initial or {})) for _ in range(2)]
    out = {"positions": [tuple(x)], "grads": [], "updates": [], "effective_lr": []}
    out["states"] = [tuple(dict(s) for s in states)]
    for t in range(1, steps + 1):
        g = grad_fn(*x)
        step = [ref_step(key, hp, g[i], states[i], t) for i in range(2)]
        states = [s for _, _, s in step]
        x = [x[i] + step[i][0] for i in range(2)]
        out["grads"].append(tuple(g))
        out["updates"].append(tuple(u for u, _, _ in step))
        out["effective_lr"].append(tuple(e for _, e, _ in step))
        out["positions"].append(tuple(x))
        out["states"].append(tuple(dict(s) for s in states))
    return out


HYPER = {
    "sgd": {"lr": 1e-3},
    "momentum": {"lr": 1e-3, "beta": 0.9},
    "nesterov": {"lr": 1e-3, "beta": 0.9},
    "adagrad": {"lr": 0.1, "eps": 1e-10},
    "adadelta": {"rho": 0.95, "eps": 1e-6},
    "rmsprop": {"lr": 0.01, "rho": 0.9, "eps": 1e-8},
    "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}

PROBLEMS = {
    "rosenbrock": (rosenbrock_grad, (-1.5, 2.0)),
    "ill_conditioned": (ill_conditioned_grad, (3.0, 0.5)),
}


def run_rows(key, hp, objective, x0, steps, rows):
    """ov.run with one start (rows=None: float fast path) or the start repeated ``rows``
    times (rows > 8: the NumPy array path); returns arrays with the batch axis removed."""
    optimizer = opt.build(key, **hp)
    if rows is None:
        return ov.run(objective, optimizer, x0=x0, steps=steps)
    traj = ov.run(objective, optimizer, x0=[x0] * rows, steps=steps)
    for r in range(1, rows):  # every row is the same run
        np.testing.assert_array_equal(traj.positions[:, r], traj.positions[:, 0])
    return traj


def assert_matches_reference(traj, ref, key, rows):
    def rows_of(a):
        return a if rows is None else a[:, 0]

    np.testing.assert_allclose(rows_of(traj.positions), ref["positions"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(rows_of(traj.grads), ref["grads"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(rows_of(traj.updates), ref["updates"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(rows_of(traj.effective_lr), ref["effective_lr"], rtol=RTOL, atol=0)
    assert traj.state_fields == tuple(INITIAL_STATE[key])
    for name in traj.state_fields:
        expected = [[s[0][name], s[1][name]] for s in ref["states"]]
        np.testing.assert_allclose(rows_of(getattr(traj.states, name)), expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("rows", [None, 9], ids=["float-path", "array-path"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("key", ALL_KEYS)
def test_first_two_steps_match_the_update_equations(key, problem, rows):
    grad_fn, x0 = PROBLEMS[problem]
    ref = reference_run(key, HYPER[key], grad_fn, x0, steps=2)
    traj = run_rows(key, HYPER[key], ov.objectives.get(problem), x0, 2, rows)
    assert traj.diverged_at == -1 if rows is None else (traj.diverged_at == -1).all()
    assert_matches_reference(traj, ref, key, rows)
    # the two steps really moved (a reference that never moves would prove nothing)
    assert np.all(np.abs(np.asarray(ref["updates"])) > 1e-6)


@pytest.mark.parametrize("key", ["adagrad", "adadelta", "rmsprop", "adam"])
def test_adaptive_first_two_steps_with_non_default_hyperparameters(key):
    hp = {
        "adagrad": {"lr": 0.3, "eps": 1e-3},
        "adadelta": {"rho": 0.5, "eps": 1e-2, "lr": 0.7},
        "rmsprop": {"lr": 0.05, "rho": 0.3, "eps": 1e-2},
        "adam": {"lr": 0.2, "beta1": 0.3, "beta2": 0.6, "eps": 1e-2},  # β1 < 0.5: torch's lerp
    }[key]
    ref = reference_run(key, hp, rosenbrock_grad, (-1.5, 2.0), steps=2)
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.build(key, **hp), (-1.5, 2.0), 2)
    assert_matches_reference(traj, ref, key, None)


def test_adagrad_initial_accumulator_enters_the_first_step():
    hp = {"lr": 0.1, "eps": 1e-10, "initial_accumulator": 400.0}
    ref = reference_run(
        "adagrad", hp, rosenbrock_grad, (-1.5, 2.0), 2, initial={"grad_sq_sum": 400.0}
    )
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.adagrad(**hp), (-1.5, 2.0), 2)
    assert_matches_reference(traj, ref, "adagrad", None)
    # by hand: G_1 = 400 + 50² = 2900 for y, so Δy = 0.1·50/√2900
    assert traj.states.grad_sq_sum[0].tolist() == [400.0, 400.0]
    assert traj.states.grad_sq_sum[1].tolist() == [400.0 + 155.0**2, 400.0 + 50.0**2]
    assert traj.updates[0, 1] == pytest.approx(0.1 * 50 / math.sqrt(2900), rel=RTOL)


# ---------------------------------------------------------------------------
# The first step, as literal numbers (worked by hand from g = (−155, −50))
# ---------------------------------------------------------------------------


def rosenbrock_first(key, **hp):
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.build(key, **hp), (-1.5, 2.0), 2)
    return traj


def test_sgd_first_step_literal():
    traj = rosenbrock_first("sgd", lr=1e-3)
    # x₁ = (−1.5, 2) − 0.001·(−155, −50) = (−1.345, 2.05)
    np.testing.assert_allclose(traj.positions[1], [-1.345, 2.05], rtol=RTOL)
    np.testing.assert_array_equal(traj.effective_lr, np.full((2, 2), 1e-3))


def test_momentum_and_nesterov_first_steps_literal():
    heavy = rosenbrock_first("momentum", lr=1e-3, beta=0.9)
    # v₁ = 0.9·0 − 0.001·g = (0.155, 0.05): the first step is SGD's
    np.testing.assert_allclose(heavy.states.velocity[1], [0.155, 0.05], rtol=RTOL)
    np.testing.assert_allclose(heavy.positions[1], [-1.345, 2.05], rtol=RTOL)
    # second step: v₂ = 0.9·v₁ − 0.001·∇f(−1.345, 2.05)
    g1 = rosenbrock_grad(-1.345, 2.05)
    v2 = [0.9 * 0.155 - 1e-3 * g1[0], 0.9 * 0.05 - 1e-3 * g1[1]]
    np.testing.assert_allclose(heavy.states.velocity[2], v2, rtol=1e-13)
    nest = rosenbrock_first("nesterov", lr=1e-3, beta=0.9)
    # Δx₁ = β v₁ − η g = 1.9·(0.155, 0.05) = (0.2945, 0.095)
    np.testing.assert_allclose(nest.updates[0], [0.2945, 0.095], rtol=RTOL)
    np.testing.assert_allclose(nest.positions[1], [-1.2055, 2.095], rtol=RTOL)
    np.testing.assert_allclose(nest.effective_lr, np.full((2, 2), 1.9e-3), rtol=RTOL)


def test_adaptive_methods_take_equal_first_steps_in_both_coordinates():
    """g = (−155, −50) is lopsided, yet each adaptive method's first step is (almost) the
    same in x and y: it divides the gradient by its own magnitude."""
    # ADAGRAD: −η g/(|g| + ε) ≈ η
    ada = rosenbrock_first("adagrad", lr=0.1, eps=1e-10)
    np.testing.assert_allclose(
        ada.updates[0], [0.1 * 155 / (155 + 1e-10), 0.1 * 50 / (50 + 1e-10)], rtol=RTOL
    )
    np.testing.assert_allclose(ada.updates[0], [0.1, 0.1], rtol=1e-11)
    # RMSprop: −η g/(√(1−ρ)|g| + ε) ≈ η/√(1−ρ) = 0.01/√0.1
    rms = rosenbrock_first("rmsprop", lr=0.01, rho=0.9, eps=1e-8)
    np.testing.assert_allclose(rms.updates[0], [0.01 / math.sqrt(0.1)] * 2, rtol=1e-9)
    # Adam: m̂₁ = g, v̂₁ = g², so Δx₁ = −η g/(|g| + ε) ≈ η
    adam = rosenbrock_first("adam", lr=0.01)
    np.testing.assert_allclose(adam.updates[0], [0.01, 0.01], rtol=1e-9)
    np.testing.assert_array_equal(adam.states.count[1], [1.0, 1.0])
    np.testing.assert_array_equal(adam.states.count[2], [2.0, 2.0])


# ---------------------------------------------------------------------------
# ADADELTA (Zeiler 2012, Algorithm 1)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rho", "eps"), [(0.95, 1e-6), (0.9, 1e-4), (0.99, 1e-8), (0.5, 1e-2)])
def test_adadelta_first_step_formula(rho, eps):
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(rho=rho, eps=eps), (-1.5, 2.0), 1)
    for i, g in enumerate((-155.0, -50.0)):
        # E[Δx²]₀ = 0, so RMS[Δx]₀ = √ε and Δx₁ = −√ε g/√((1−ρ)g² + ε)
        expected = -math.sqrt(eps) * g / math.sqrt((1 - rho) * g * g + eps)
        assert traj.updates[0, i] == pytest.approx(expected, rel=RTOL, abs=0)
        assert traj.effective_lr[0, i] == pytest.approx(
            math.sqrt(eps) / math.sqrt((1 - rho) * g * g + eps), rel=RTOL, abs=0
        )
        assert traj.states.sq_grad_avg[1, i] == pytest.approx((1 - rho) * g * g, rel=RTOL)
        assert traj.states.sq_step_avg[1, i] == pytest.approx((1 - rho) * expected**2, rel=RTOL)


def test_adadelta_first_step_size_is_sqrt_eps_over_one_minus_rho_for_large_gradients():
    """With (1−ρ)g² ≫ ε the first step is ±√(ε/(1−ρ)) whatever g is: ε is a warm-up rate."""
    rho, eps = 0.95, 1e-6
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(rho=rho, eps=eps), (-1.5, 2.0), 1)
    size = math.sqrt(eps / (1 - rho))  # 0.0044721…
    assert size == pytest.approx(0.004472135954999579, rel=1e-12)
    # relative deviation ≈ ε/(2(1−ρ)g²) ≤ 1e-6/(2·0.05·2500) = 4e-9
    np.testing.assert_allclose(traj.updates[0], [size, size], rtol=1e-8)
    assert traj.updates[0, 0] != traj.updates[0, 1]  # but not *exactly* equal


def test_adadelta_lr_variant_scales_the_applied_step_but_not_the_accumulated_one():
    objective = ov.objectives.get("rosenbrock")
    paper = ov.run(objective, opt.adadelta(rho=0.95, eps=1e-6), (-1.5, 2.0), 2)
    lib = ov.run(objective, opt.adadelta(rho=0.95, eps=1e-6, lr=0.5), (-1.5, 2.0), 2)
    # step 1: same gradient, so Δx₁ is the same; torch/Keras apply lr·Δx₁ ...
    np.testing.assert_array_equal(lib.updates[0], 0.5 * paper.updates[0])
    np.testing.assert_array_equal(lib.effective_lr[0], 0.5 * paper.effective_lr[0])
    # ... while E[Δx²] accumulates the unscaled Δx₁ (not (0.5 Δx₁)²)
    np.testing.assert_array_equal(lib.states.sq_step_avg[1], paper.states.sq_step_avg[1])
    unscaled = lib.updates[0] / 0.5
    np.testing.assert_allclose(lib.states.sq_step_avg[1], 0.05 * unscaled**2, rtol=RTOL)
    # step 2, by hand from the lr = 0.5 trajectory's own gradient
    ref = reference_run(
        "adadelta", {"rho": 0.95, "eps": 1e-6, "lr": 0.5}, rosenbrock_grad, (-1.5, 2.0), 2
    )
    assert_matches_reference(lib, ref, "adadelta", None)
    Edx2_1 = lib.states.sq_step_avg[1]
    dx2 = lib.updates[1] / 0.5
    np.testing.assert_allclose(lib.states.sq_step_avg[2], 0.95 * Edx2_1 + 0.05 * dx2**2, rtol=RTOL)
    assert not np.allclose(lib.positions[2], paper.positions[2], rtol=1e-6)


def test_adadelta_lr_one_is_exactly_the_paper_method():
    a = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(), (-1.5, 2.0), 50)
    b = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(lr=1.0), (-1.5, 2.0), 50)
    np.testing.assert_array_equal(a.positions, b.positions)
    ref = reference_run("adadelta", {"rho": 0.95, "eps": 1e-6}, rosenbrock_grad, (-1.5, 2.0), 50)
    np.testing.assert_allclose(a.positions, ref["positions"], rtol=1e-12)


# ---------------------------------------------------------------------------
# Effective learning rates
# ---------------------------------------------------------------------------


def ulp_close(a, b, ulps=2.0):
    a, b = np.asarray(a), np.asarray(b)
    return np.all(np.abs(a - b) <= ulps * np.spacing(np.maximum(np.abs(a), np.abs(b))))


EFF_CASES = {
    "sgd": {"lr": 2e-4},
    "momentum": {"lr": 2e-4, "beta": 0.8},
    "nesterov": {"lr": 2e-4, "beta": 0.8},
    "adagrad": {"lr": 0.2, "eps": 1e-3},
    "adadelta": {"rho": 0.9, "eps": 1e-4},
    "rmsprop": {"lr": 0.003, "rho": 0.8, "eps": 1e-3},
    "adam": {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3},
}


@pytest.mark.parametrize("key", ALL_KEYS)
def test_effective_lr_definitions(key):
    hp = EFF_CASES[key]
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.build(key, **hp), (-1.5, 2.0), 60)
    assert traj.diverged_at == -1
    eff, s = traj.effective_lr, traj.states
    if key in ("sgd", "momentum"):
        np.testing.assert_array_equal(eff, hp["lr"])
    elif key == "nesterov":
        np.testing.assert_array_equal(eff, hp["lr"] * (1 + hp["beta"]))
    elif key == "adagrad":  # η/(√G_t + ε)
        expected = hp["lr"] / (np.sqrt(s.grad_sq_sum[1:]) + hp["eps"])
        np.testing.assert_allclose(eff, expected, rtol=RTOL)
    elif key == "adadelta":  # RMS[Δx]_{t−1}/RMS[g]_t
        expected = np.sqrt(s.sq_step_avg[:-1] + hp["eps"]) / np.sqrt(s.sq_grad_avg[1:] + hp["eps"])
        np.testing.assert_allclose(eff, expected, rtol=RTOL)
    elif key == "rmsprop":  # η/(√E[g²]_t + ε)
        expected = hp["lr"] / (np.sqrt(s.sq_grad_avg[1:]) + hp["eps"])
        np.testing.assert_allclose(eff, expected, rtol=RTOL)
    elif key == "adam":
        t = s.count[1:]
        expected = (hp["lr"] / (1 - hp["beta1"] ** t)) / (
            np.sqrt(s.second_moment[1:]) / np.sqrt(1 - hp["beta2"] ** t) + hp["eps"]
        )
        np.testing.assert_allclose(eff, expected, rtol=1e-13)
    # the rate varies over time for the adaptive ones, and differs between x and y
    if key in ("adagrad", "adadelta", "rmsprop", "adam"):
        assert np.ptp(eff[:, 0]) > 0 and not np.allclose(eff[:, 0], eff[:, 1])


@pytest.mark.parametrize("key", ["sgd", "adagrad", "adadelta", "rmsprop"])
def test_update_is_minus_effective_lr_times_gradient(key):
    traj = ov.run(
        ov.objectives.get("rosenbrock"), opt.build(key, **EFF_CASES[key]), (-1.5, 2.0), 60
    )
    product = -traj.effective_lr * traj.grads
    if key in ("sgd", "adadelta"):  # same operations: exact (adadelta with lr = 1)
        np.testing.assert_array_equal(traj.updates, product)
    else:  # (−η g)/d versus −(η/d) g: two roundings each
        assert ulp_close(traj.updates, product, ulps=2)


def test_adadelta_lr_variant_update_is_minus_effective_lr_times_gradient():
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(lr=0.3), (-1.5, 2.0), 60)
    assert ulp_close(traj.updates, -traj.effective_lr * traj.grads, ulps=2)


def test_momentum_and_adam_effective_lr_multiply_what_they_say():
    rosen = ov.objectives.get("rosenbrock")
    nest = ov.run(rosen, opt.build("nesterov", **EFF_CASES["nesterov"]), (-1.5, 2.0), 30)
    beta = EFF_CASES["nesterov"]["beta"]
    # Δx_t = β² v_{t−1} − η(1+β) g_t
    rebuilt = beta * beta * nest.states.velocity[:-1] - nest.effective_lr * nest.grads
    np.testing.assert_allclose(nest.updates, rebuilt, rtol=1e-12, atol=1e-18)
    adam = ov.run(rosen, opt.build("adam", **EFF_CASES["adam"]), (-1.5, 2.0), 30)
    assert ulp_close(adam.updates, -adam.effective_lr * adam.states.first_moment[1:], ulps=2)


# ---------------------------------------------------------------------------
# Pure functions: init / update / step
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_KEYS)
def test_update_and_step_are_pure_and_agree(key):
    o = opt.build(key)
    params = np.array([[-1.5, 2.0], [0.5, -0.5], [3.0, 0.25]])
    state = o.init(params)
    assert type(state)._fields == tuple(
        [f.name for f in o.spec.state_fields] + (["count"] if key == "adam" else [])
    )
    for field in state:
        assert field.shape == (3, 2) and field.dtype == np.float64
        np.testing.assert_array_equal(field, 0.0)
    grads = np.array([[-155.0, -50.0], [1.0, -2.0], [0.0, 4.0]])
    snapshot = [f.copy() for f in state]
    u1, s1 = o.update(grads, state)
    u2, s2, eff = o.step(grads, state)
    for before, after in zip(snapshot, state):  # the input state is untouched
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(u1, u2)
    for a, b in zip(s1, s2):
        np.testing.assert_array_equal(a, b)
    assert u1.shape == eff.shape == (3, 2)
    assert np.all(np.sign(u1) == -np.sign(grads))  # first step always goes downhill
    # rows are independent: row 1 alone gives the same numbers
    u_row, _ = o.update(grads[1:2], o.init(params[1:2]))
    np.testing.assert_array_equal(u_row[0], u1[1])


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: opt.adadelta(rho=1), r"^rho = 1\.0 is outside the allowed range \[0, 1\)"),
        (lambda: opt.adadelta(rho=-0.1), r"^rho = -0\.1 is outside"),
        (lambda: opt.adadelta(rho=float("nan")), r"^rho = nan is outside"),
        (lambda: opt.rmsprop(rho=1.5), r"^rho = 1\.5 is outside"),
        (lambda: opt.sgd(lr=-1), r"^lr = -1\.0 is outside the allowed range \[0, ∞\)"),
        (lambda: opt.adam(lr=float("inf")), r"^lr = inf is outside"),
        (lambda: opt.rmsprop(eps=-1e-8), r"^eps = -1e-08 is outside"),
        (lambda: opt.adagrad(eps=-1e-8), r"^eps = -1e-08 is outside"),
        (lambda: opt.adadelta(eps=0), r"^eps = 0\.0 is outside the allowed range \(0, ∞\)"),
        (lambda: opt.adadelta(eps=-1e-8), r"^eps = -1e-08 is outside"),
        (lambda: opt.momentum(beta=1), r"^beta = 1\.0 is outside the allowed range \[0, 1\)"),
        (lambda: opt.build("nesterov", beta=1.0), r"^beta = 1\.0 is outside"),
        (lambda: opt.adam(beta1=1.0), r"^beta1 = 1\.0 is outside"),
        (lambda: opt.adam(beta2=-0.5), r"^beta2 = -0\.5 is outside"),
        (lambda: opt.adagrad(initial_accumulator=-1), r"^initial_accumulator = -1\.0 is outside"),
        (lambda: opt.adadelta(rho=np.array([0.9, 1.0])), r"^rho = 1\.0 is outside"),
        (lambda: opt.sgd(lr="fast"), r"^lr must be a number, got 'fast'"),
        (lambda: opt.sgd(lr=True), r"^lr must be a number, got True"),
        (lambda: opt.sgd(lr=np.ones((2, 2))), r"^lr must be a number or a 1-D array"),
        (
            lambda: opt.build("adadelta", momentum=0.9),
            r"^ADADELTA has no hyperparameter 'momentum'; it has rho, eps, lr",
        ),
        (lambda: opt.build("momentum", nesterov=True), r"has no hyperparameter 'nesterov'"),
        (
            lambda: opt.adadelta(rho=np.array([0.9, 0.95, 0.99]), eps=np.array([1e-6, 1e-4])),
            r"same length.*'rho': 3, 'eps': 2",
        ),
    ],
)
def test_bad_hyperparameters_raise_value_error_naming_parameter_and_value(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_unknown_optimizer_key_raises_key_error_listing_known():
    with pytest.raises(KeyError, match="unknown optimizer 'lbfgs'; known: sgd, momentum"):
        opt.build("lbfgs")


def test_boundary_hyperparameters_are_accepted():
    # closed ends are valid: rho = 0 (no memory), lr = 0 (no motion), eps = 0 outside ADADELTA
    opt.adadelta(rho=0.0)
    opt.adagrad(eps=0.0)
    opt.rmsprop(eps=0.0, rho=0.0)
    opt.momentum(beta=0.0)
    traj = ov.run(ov.objectives.get("booth"), opt.sgd(lr=0.0), (-8.0, 8.0), 3)
    np.testing.assert_array_equal(traj.positions, [[-8.0, 8.0]] * 4)
    assert opt.adadelta(rho=0.9).hyperparams == {"rho": 0.9, "eps": 1e-6, "lr": 1.0}


# ---------------------------------------------------------------------------
# Registry and self-description
# ---------------------------------------------------------------------------


def test_registry_keys():
    assert opt.names() == ALL_KEYS
    assert set(opt.REGISTRY) == set(ALL_KEYS)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_spec_describes_the_optimizer(key):
    spec = opt.get(key)
    assert spec.key == key
    assert spec.display_name.strip()
    assert spec.rule_latex.strip() and spec.effective_lr_latex.strip()
    assert spec.effective_lr_meaning.strip()
    assert spec.hyperparams
    for hp in spec.hyperparams:
        assert hp.symbol and hp.label and hp.meaning
        if hp.name == "initial_accumulator":
            assert hp.default == 0.0 and hp.ui_low == 0.0
        else:
            assert hp.ui_low <= hp.default <= hp.ui_high, hp
        assert hp.ui_low < hp.ui_high
        assert hp.validate(hp.default) == hp.default  # the default is valid
        assert hp.validate(hp.ui_low) == hp.ui_low  # so is the whole slider range
        assert hp.validate(hp.ui_high) == hp.ui_high
        if hp.log:
            assert hp.ui_low > 0
    built = spec.build()
    assert built.key == key and built.spec is spec
    assert built.hyperparams == spec.defaults
    state = built.init(np.zeros((4, 2)))
    fields = tuple(type(state)._fields)
    described = tuple(f.name for f in spec.state_fields)
    if key == "adam":
        assert fields == (*described, "count")
    else:
        assert fields == described
    for f in spec.state_fields:
        assert f.symbol and f.meaning


def test_memory_per_parameter():
    memory = {key: opt.get(key).memory_per_parameter for key in ALL_KEYS}
    assert memory == {
        "sgd": 0,
        "momentum": 1,
        "nesterov": 1,
        "adagrad": 1,
        "rmsprop": 1,
        "adadelta": 2,
        "adam": 2,
    }


def test_registry_defaults_are_the_papers():
    assert opt.get("adadelta").defaults == {"rho": 0.95, "eps": 1e-6, "lr": 1.0}
    assert opt.get("adam").defaults == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert opt.get("adadelta").hyperparam("eps").low_open
    with pytest.raises(KeyError, match="ADADELTA has no hyperparameter 'beta'"):
        opt.get("adadelta").hyperparam("beta")
    assert opt.get("rmsprop").hyperparam("rho").range_text == "[0, 1)"
    assert opt.get("adadelta").hyperparam("eps").range_text == "(0, ∞)"


def test_batch_size_from_array_hyperparameters():
    assert opt.adadelta().batch_size is None
    assert opt.adadelta(rho=np.array([0.9, 0.95, 0.99])).batch_size == 3
    assert opt.adam(lr=np.array([0.1, 0.2]), beta1=0.5).batch_size == 2


def test_adam_with_per_row_betas_gives_the_single_runs_bits():
    """NumPy's ``b ** 2`` on an array is ``b*b``, Python's is ``pow``: they differ in the
    last bit for some b (these two, among others). Adam's powers must be Python's."""
    betas = np.array(
        [float.fromhex("0x1.2ff9d1f4d4ad2p-3"), float.fromhex("0x1.c4a3303ba6b52p-1"), 0.9, 0.5]
    )
    f = ov.objectives.get("booth")
    batch = ov.run(f, ov.optimizers.adam(lr=0.5, beta1=betas, beta2=betas), (-8.0, 8.0), 20)
    for i, b in enumerate(betas.tolist()):
        one = ov.run(f, ov.optimizers.adam(lr=0.5, beta1=b, beta2=b), (-8.0, 8.0), 20)
        np.testing.assert_array_equal(batch.positions[:, i], one.positions)
        np.testing.assert_array_equal(batch.effective_lr[:, i], one.effective_lr)
