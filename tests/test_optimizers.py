"""The optimizers' arithmetic, checked against the update equations written out by hand.

Every per-optimizer test parametrises over the case table ``tests/optimizer_cases.py``
(one entry per registered optimizer: a reference step, its settings, bad values, effective
rate and convergence setting), crossed with the objective registry where the objective
matters. The reference steps are plain Python floats from the published update rules
(Zeiler 2012 for ADADELTA, the usual forms for the others), never optviz; they are written
in the *textbook* order of operations (e.g. Adam's bias-corrected m̂/(√v̂ + ε)), not
torch's, so agreement is to a few ulps (``RTOL = 1e-14``); where optviz promises exact
equality (SGD, momentum's Δx = βv − ηg, ADADELTA's update = −effective_lr·g) the comparison
is bitwise. The literal first steps below, worked by hand, are the check of the references
themselves.
"""

from __future__ import annotations

import math
import re

import numpy as np
import optimizer_cases as oc
import pytest
from optimizer_cases import RTOL, entry, setting_id, settings_of

import optviz as ov
from optviz import optimizers as opt

KEYS = opt.names()
SETTINGS = settings_of(KEYS)
OBJECTIVES = ov.objectives.names()


def full(key: str, hp) -> dict:
    """The setting's hyperparameters with the spec's defaults for the others."""
    return {**opt.get(key).defaults, **hp}


def assert_close(actual, expected, tol: oc.Tolerance, scale=None, what=""):
    """``actual`` equals ``expected`` within ``tol`` (bitwise when ``tol`` is EXACT)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    expected = np.broadcast_to(expected, actual.shape)
    if tol == oc.EXACT:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    if scale is None:
        scale = np.maximum(np.abs(actual), np.abs(expected))
    bound = np.maximum(tol.ulps * np.spacing(scale), tol.rtol * np.abs(expected))
    gap = np.abs(actual - expected)
    assert np.all(gap <= bound), f"{what}: worst {np.max(gap / np.maximum(bound, 1e-300)):.3g}×"


# ---------------------------------------------------------------------------
# The table covers the registry
# ---------------------------------------------------------------------------


def test_every_registered_optimizer_has_a_case_entry():
    missing = [key for key in opt.names() if key not in oc.CASES]
    assert not missing, oc.MISSING.format(key=missing[0])
    stale = [key for key in oc.CASES if key not in opt.REGISTRY]
    assert not stale, f"tests/optimizer_cases.py has entries for unregistered {stale}"


def test_a_registered_optimizer_without_an_entry_fails_saying_what_to_add():
    with pytest.raises(pytest.fail.Exception, match=r"no entry in tests/optimizer_cases\.py: add"):
        entry("lbfgs")
    assert settings_of(["lbfgs"]) == [("lbfgs", None)]  # its tests are not left out


@pytest.mark.parametrize("key", KEYS)
def test_case_entry_is_consistent_with_the_spec(key):
    case, spec = entry(key), opt.get(key)
    assert case.key == key
    names = {hp.name for hp in spec.hyperparams}
    ids = [s.id for s in case.settings]
    assert len(set(ids)) == len(ids) and "default" in ids
    assert next(s for s in case.settings if s.id == "default").hp == {}
    assert len(case.settings) >= 3, "the defaults plus the non-default settings that matter"
    for s in case.settings:
        assert set(s.hp) <= names, s.id
    assert case.bad, "bad values with the message each must raise"
    described = [f.name for f in spec.state_fields]
    assert list(case.initial_state(spec.defaults))[: len(described)] == described
    conv = case.convergence
    assert set(conv.settings) == set(conv.outcomes) == set(oc.CONVEX)
    assert set(conv.sweep) <= names
    grid = conv.grid()
    for name, hp in conv.settings.items():
        assert hp in grid, f"{key} on {name}: the setting is not in its stated sweep"


# ---------------------------------------------------------------------------
# Gradients by hand
# ---------------------------------------------------------------------------


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    """f = (1−x)² + 100(y−x²)²:  ∂f/∂x = −2(1−x) − 400x(y−x²),  ∂f/∂y = 200(y−x²)."""
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


def ill_conditioned_grad(x: float, y: float) -> tuple[float, float]:
    """f = ½(x² + 100y²):  ∇f = (x, 100y)."""
    return x, 100.0 * y


HAND_GRADIENTS = {"rosenbrock": rosenbrock_grad, "ill_conditioned": ill_conditioned_grad}


def gradient_of(name: str):
    """The hand gradient where there is one, else the catalogue's (checked against central
    differences in test_objectives.py)."""
    if name in HAND_GRADIENTS:
        return HAND_GRADIENTS[name]
    objective = ov.objectives.get(name)
    return lambda x, y: tuple(objective.grad(np.array([x, y])).tolist())


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
# The reference loop against ov.run
# ---------------------------------------------------------------------------


def reference_run(key, hp, grad_fn, x0, steps, at=None):
    """The whole loop x_{t+1} = x_t + Δx_t in plain floats, with the case table's step and
    initial state; ``hp`` complete. Returns a dict of lists.

    ``at``: positions to take each step from (optviz's own), instead of the reference's:
    where x_t + Δx_t cancels (x = 1 − 0.99999997), a last-bit difference in Δx is a large
    relative one in x and in the next gradient, which says nothing about the optimizer.
    """
    case = entry(key)
    x = list(x0)
    states = [dict(case.initial_state(hp)) for _ in range(2)]
    out = {"positions": [tuple(x)], "grads": [], "updates": [], "effective_lr": []}
    out["states"] = [tuple(dict(s) for s in states)]
    for t in range(1, steps + 1):
        if at is not None:
            x = [float(v) for v in at[t - 1]]
        g = grad_fn(*x)
        step = [case.step(hp, g[i], states[i], t) for i in range(2)]
        states = [s for _, _, s in step]
        x = [x[i] + step[i][0] for i in range(2)]
        out["grads"].append(tuple(g))
        out["updates"].append(tuple(u for u, _, _ in step))
        out["effective_lr"].append(tuple(e for _, e, _ in step))
        out["positions"].append(tuple(x))
        out["states"].append(tuple(dict(s) for s in states))
    return out


def run_rows(key, hp, objective, x0, steps, rows):
    """ov.run with one start (rows=None: the float path, where the objective has one) or
    the start repeated ``rows`` times (rows > 8: the NumPy array path); noise off."""
    optimizer = opt.build(key, **hp)
    if rows is None:
        return ov.run(objective, optimizer, x0=x0, steps=steps, noise=0.0)
    traj = ov.run(objective, optimizer, x0=[x0] * rows, steps=steps, noise=0.0)
    for r in range(1, rows):  # every row is the same run
        np.testing.assert_array_equal(traj.positions[:, r], traj.positions[:, 0])
    return traj


def assert_matches_reference(traj, ref, key, hp, rows=None, rtol=RTOL, forced=False):
    def rows_of(a):
        return a if rows is None else a[:, 0]

    if forced:  # x_{t+1} = x_t + Δx_t, to RTOL of the summands
        x, u = rows_of(traj.positions), np.asarray(ref["updates"])
        scale = np.abs(x[:-1]) + np.abs(u)
        assert np.all(np.abs(x[1:] - (x[:-1] + u)) <= rtol * scale), "positions"
    names = ("grads", "updates", "effective_lr")
    for name in names if forced else ("positions", *names):
        actual = rows_of(getattr(traj, name))
        np.testing.assert_allclose(actual, ref[name], rtol=rtol, atol=0, err_msg=name)
    assert traj.state_fields == tuple(entry(key).initial_state(hp))
    for name in traj.state_fields:
        expected = [[s[0][name], s[1][name]] for s in ref["states"]]
        actual = rows_of(getattr(traj.states, name))
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=name)


@pytest.mark.parametrize("rows", [None, 9], ids=["float-path", "array-path"])
@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("key_setting", SETTINGS, ids=setting_id)
def test_first_two_steps_match_the_reference(key_setting, objective, rows):
    key, setting = key_setting
    entry(key)
    f = ov.objectives.get(objective)
    hp = full(key, setting.hp)
    traj = run_rows(key, setting.hp, f, f.start, 2, rows)
    assert traj.diverged_at == -1 if rows is None else (traj.diverged_at == -1).all()
    at = traj.positions if rows is None else traj.positions[:, 0]
    ref = reference_run(key, hp, gradient_of(objective), f.start, steps=2, at=at)
    assert_matches_reference(traj, ref, key, hp, rows, forced=True)
    # the steps really moved (a reference that never moves would prove nothing): the first
    # in both coordinates, the second in at least one (SGD with η = 1/λ lands on y = 0)
    positions = np.asarray(ref["positions"])
    assert np.all(positions[1] != positions[0]) and np.any(positions[2] != positions[1])


def test_adagrad_initial_accumulator_enters_the_first_step():
    hp = {"lr": 0.1, "eps": 1e-10, "initial_accumulator": 400.0}
    traj = ov.run(ov.objectives.get("rosenbrock"), opt.adagrad(**hp), (-1.5, 2.0), 2)
    ref = reference_run("adagrad", hp, rosenbrock_grad, (-1.5, 2.0), 2)
    assert_matches_reference(traj, ref, "adagrad", hp)
    # by hand: G_1 = 400 + 50² = 2900 for y, so Δy = 0.1·50/√2900
    assert traj.states.grad_sq_sum[0].tolist() == [400.0, 400.0]
    assert traj.states.grad_sq_sum[1].tolist() == [400.0 + 155.0**2, 400.0 + 50.0**2]
    assert traj.updates[0, 1] == pytest.approx(0.1 * 50 / math.sqrt(2900), rel=RTOL)


@pytest.mark.parametrize(
    "key_setting",
    [(k, s) for k, s in SETTINGS if s is not None and s.same_as is not None],
    ids=setting_id,
)
@pytest.mark.parametrize("objective", ["rosenbrock", "booth", "rastrigin"])
def test_settings_that_are_another_optimizer_are_it_bit_for_bit(key_setting, objective):
    key, setting = key_setting
    other, other_hp = setting.same_as
    f = ov.objectives.get(objective)
    a = ov.run(f, opt.build(key, **setting.hp), f.start, 50, noise=0.5, seed=2)
    b = ov.run(f, opt.build(other, **other_hp), f.start, 50, noise=0.5, seed=2)
    for name in ("positions", "updates", "effective_lr"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


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
    hp = {"rho": 0.95, "eps": 1e-6, "lr": 0.5}
    ref = reference_run("adadelta", hp, rosenbrock_grad, (-1.5, 2.0), 2)
    assert_matches_reference(lib, ref, "adadelta", hp)
    Edx2_1 = lib.states.sq_step_avg[1]
    dx2 = lib.updates[1] / 0.5
    np.testing.assert_allclose(lib.states.sq_step_avg[2], 0.95 * Edx2_1 + 0.05 * dx2**2, rtol=RTOL)
    assert not np.allclose(lib.positions[2], paper.positions[2], rtol=1e-6)


def test_adadelta_lr_one_is_exactly_the_paper_method():
    a = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(), (-1.5, 2.0), 50)
    b = ov.run(ov.objectives.get("rosenbrock"), opt.adadelta(lr=1.0), (-1.5, 2.0), 50)
    np.testing.assert_array_equal(a.positions, b.positions)
    hp = {"rho": 0.95, "eps": 1e-6}  # no lr at all: the paper's Algorithm 1
    ref = reference_run("adadelta", hp, rosenbrock_grad, (-1.5, 2.0), 50)
    np.testing.assert_allclose(a.positions, ref["positions"], rtol=1e-12)


# ---------------------------------------------------------------------------
# Effective learning rates
# ---------------------------------------------------------------------------

EFF_STEPS = 60


@pytest.mark.parametrize("key_setting", SETTINGS, ids=setting_id)
def test_effective_lr_is_what_the_table_says_on_every_objective(key_setting):
    """The rate recomputed from the recorded states, and the applied update rebuilt from
    the rate, on every objective (over the steps before any divergence)."""
    key, setting = key_setting
    eff_case = entry(key).effective_lr
    hp = full(key, setting.hp)
    whole_runs = 0
    for name in OBJECTIVES:
        f = ov.objectives.get(name)
        traj = ov.run(f, opt.build(key, **setting.hp), f.start, EFF_STEPS, noise=0.0)
        n = EFF_STEPS if traj.diverged_at < 0 else traj.diverged_at
        whole_runs += traj.diverged_at < 0
        states = {field: getattr(traj.states, field) for field in traj.state_fields}
        before = {k: v[:n] for k, v in states.items()}
        after = {k: v[1 : n + 1] for k, v in states.items()}
        t = np.arange(1, n + 1)[:, None]
        eff, grads = traj.effective_lr[:n], traj.grads[:n]
        record = oc.Record(hp, before, after, t, grads, eff)
        assert_close(eff, eff_case.rate(record), eff_case.rate_tol, what=f"rate on {name}")
        terms = eff_case.applied(record)
        rebuilt = terms[0] if len(terms) == 1 else sum(terms[1:], terms[0])
        scale = sum((np.abs(term) for term in terms), np.zeros_like(eff))
        assert_close(
            traj.updates[:n], rebuilt, eff_case.applied_tol(hp), scale, f"update on {name}"
        )
    assert whole_runs >= len(OBJECTIVES) // 2


@pytest.mark.parametrize("key_setting", SETTINGS, ids=setting_id)
def test_adaptive_rates_vary_in_time_and_between_coordinates(key_setting):
    key, setting = key_setting
    adaptive = entry(key).effective_lr.adaptive
    f = ov.objectives.get("ill_conditioned")
    eff = ov.run(f, opt.build(key, **setting.hp), f.start, EFF_STEPS).effective_lr
    varies = np.ptp(eff[:, 0]) > 0 and not np.allclose(eff[:, 0], eff[:, 1])
    assert varies == adaptive


# ---------------------------------------------------------------------------
# Pure functions: init / update / step
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key_setting", SETTINGS, ids=setting_id)
def test_update_and_step_are_pure_and_agree(key_setting):
    key, setting = key_setting
    initial = entry(key).initial_state(full(key, setting.hp))
    o = opt.build(key, **setting.hp)
    params = np.array([[-1.5, 2.0], [0.5, -0.5], [3.0, 0.25]])
    state = o.init(params)
    assert type(state)._fields == tuple(initial)
    for value, field in zip(initial.values(), state):
        assert field.shape == (3, 2) and field.dtype == np.float64
        np.testing.assert_array_equal(field, value)
    grads = np.array([[-155.0, -50.0], [1.0, -2.0], [0.0, 4.0]])
    snapshot = [f.copy() for f in state]
    with np.errstate(invalid="ignore", divide="ignore"):  # see nan_at_zero_gradient
        u1, s1 = o.update(grads, state)
        u2, s2, eff = o.step(grads, state)
    for before, after in zip(snapshot, state):  # the input state is untouched
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(u1, u2)
    for a, b in zip(s1, s2):
        np.testing.assert_array_equal(a, b)
    assert u1.shape == eff.shape == (3, 2)
    moving = grads != 0
    assert np.all(np.sign(u1[moving]) == -np.sign(grads[moving]))  # the first step goes downhill
    # a zero first gradient does not move, unless the setting divides it by zero
    expected = np.nan if setting.nan_at_zero_gradient else 0.0
    np.testing.assert_array_equal(u1[~moving], expected)
    # rows are independent: row 1 alone gives the same numbers
    u_row, _ = o.update(grads[1:2], o.init(params[1:2]))
    np.testing.assert_array_equal(u_row[0], u1[1])


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad"),
    [(key, bad) for key in KEYS for bad in (oc.CASES[key].bad if key in oc.CASES else [None])],
    ids=lambda v: v if isinstance(v, str) else "-".join(sorted(v.hp)) if v else "MISSING",
)
def test_bad_hyperparameters_raise_value_error_naming_parameter_and_value(key, bad):
    entry(key)
    with pytest.raises(ValueError, match=bad.pattern) as err:
        opt.build(key, **bad.hp)
    assert any(name in str(err.value) for name in bad.hp)


def _outside_values(hp: opt.HyperParam) -> list[float]:
    """Values just outside the valid range, and its open ends."""
    out = [float("nan")]
    out += [hp.low] if hp.low_open else [hp.low - 1.0] if math.isfinite(hp.low) else []
    if math.isinf(hp.high):
        out.append(math.inf)
    else:
        out += [hp.high] if hp.high_open else [hp.high + 1.0]
    return out


@pytest.mark.parametrize("key", KEYS)
def test_every_hyperparameter_refuses_what_its_range_excludes(key):
    """Built from the spec alone: every hyperparameter of every optimizer, through ``build``
    (so a factory that forgets to validate one fails here)."""
    spec = opt.get(key)
    for hp in spec.hyperparams:
        name = hp.name
        for value in _outside_values(hp):
            pattern = rf"^{name} = {re.escape(repr(float(value)))} is outside the allowed range "
            with pytest.raises(ValueError, match=pattern + re.escape(hp.range_text)):
                spec.build(**{name: value})
            with pytest.raises(ValueError, match=pattern):  # one bad row of a sweep
                spec.build(**{name: np.array([hp.default, value])})
        for value, shown in (("fast", "'fast'"), (True, "True"), (None, "None")):
            with pytest.raises(ValueError, match=rf"^{name} must be a number, got {shown}"):
                spec.build(**{name: value})
        with pytest.raises(ValueError, match=rf"^{name} must be a number or a 1-D array"):
            spec.build(**{name: np.ones((2, 2))})
        with pytest.raises(ValueError, match=rf"^{spec.display_name} has no hyperparameter"):
            spec.build(**{f"{name}_typo": hp.default})


@pytest.mark.parametrize("key", KEYS)
def test_closed_range_ends_and_the_slider_range_are_accepted(key):
    spec = opt.get(key)
    for hp in spec.hyperparams:
        values = [hp.ui_low, hp.ui_high, hp.default]
        values += [] if hp.low_open else [hp.low]
        values += [] if hp.high_open or math.isinf(hp.high) else [hp.high]
        for value in values:
            built = spec.build(**{hp.name: value})
            assert built.hyperparams == {**spec.defaults, hp.name: value}


def test_unknown_optimizer_key_raises_key_error_listing_known():
    with pytest.raises(KeyError, match=f"unknown optimizer 'lbfgs'; known: {', '.join(KEYS)}"):
        opt.build("lbfgs")


def test_zero_learning_rate_does_not_move():
    traj = ov.run(ov.objectives.get("booth"), opt.sgd(lr=0.0), (-8.0, 8.0), 3)
    np.testing.assert_array_equal(traj.positions, [[-8.0, 8.0]] * 4)
    assert opt.adadelta(rho=0.9).hyperparams == {"rho": 0.9, "eps": 1e-6, "lr": 1.0}


# ---------------------------------------------------------------------------
# Registry and self-description: properties, not restated constants
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_spec_describes_the_optimizer(key):
    spec = opt.get(key)
    assert spec.key == key and opt.REGISTRY[key] is spec
    assert spec.display_name.strip()
    assert spec.rule_latex.strip() and spec.effective_lr_latex.strip()
    assert spec.effective_lr_meaning.strip()
    assert spec.hyperparams
    for hp in spec.hyperparams:
        assert hp.symbol and hp.label and hp.meaning
        assert hp.ui_low < hp.ui_high
        assert hp.ui_low <= hp.default <= hp.ui_high, hp  # the default is on its slider
        assert hp.validate(hp.default) == hp.default  # and valid
        assert hp.validate(hp.ui_low) == hp.ui_low  # so is the whole slider range
        assert hp.validate(hp.ui_high) == hp.ui_high
        if hp.log:
            assert hp.ui_low > 0
    built = spec.build()
    assert built.key == key and built.spec is spec
    assert built.hyperparams == spec.defaults
    for f in spec.state_fields:
        assert f.symbol and f.meaning


@pytest.mark.parametrize("key", KEYS)
def test_memory_is_the_number_of_per_parameter_state_arrays(key):
    """memory_per_parameter = the described state fields = the state's (B, 2) accumulators;
    anything else the state keeps is a step counter (the same number everywhere)."""
    spec = opt.get(key)
    o = spec.build()
    rng = np.random.default_rng(0)
    params = rng.normal(size=(3, 2))
    state = o.init(params)
    described = tuple(f.name for f in spec.state_fields)
    assert spec.memory_per_parameter == len(described)
    assert type(state)._fields[: len(described)] == described
    for _ in range(4):
        _, state = o.update(rng.normal(size=(3, 2)), state)
    for name in type(state)._fields:
        value = getattr(state, name)
        assert value.shape == (3, 2), name
        if name not in described:  # bookkeeping, not memory: the step count
            np.testing.assert_array_equal(value, 4.0, err_msg=name)
        elif spec.memory_per_parameter:
            assert np.unique(value).size > 1, f"{name} holds one number per parameter"


@pytest.mark.parametrize("key", KEYS)
def test_sweep_axes_are_hyperparameters_with_a_slider_range(key):
    spec = opt.get(key)
    assert spec.axes, "a sweep needs at least one axis"
    assert len(set(spec.axes)) == len(spec.axes)
    for axis in spec.axes:
        hp = spec.hyperparam(axis)  # KeyError if not a hyperparameter
        assert hp.ui_low < hp.ui_high
        # a sweep varies the method, not how far it departs from the paper
        assert axis not in spec.paper_values


def _first_update(spec, g, **hp):
    o = spec.build(**hp)
    update, _ = o.update(np.asarray(g), o.init(np.zeros_like(g)))
    return update


@pytest.mark.parametrize("key", KEYS)
def test_lr_kind_is_consistent_with_the_spec_and_with_the_first_step(key):
    """LR_GRADIENT: the first step is lr times the gradient (times a constant); LR_STEP:
    it is about lr in size whatever the gradient; LR_NONE: no learning rate of its own (lr,
    if there, is a libraries' multiplier fixed to the paper's value)."""
    spec = opt.get(key)
    names = [hp.name for hp in spec.hyperparams]
    assert spec.lr_kind in (opt.LR_GRADIENT, opt.LR_STEP, opt.LR_NONE)
    if spec.lr_kind == opt.LR_NONE:
        assert "lr" not in names or "lr" in spec.paper_values
    else:
        assert "lr" in names and "lr" not in spec.paper_values
    g = np.array([[3.0, -5.0]])
    u1, u10 = _first_update(spec, g), _first_update(spec, 10 * g)
    if spec.lr_kind == opt.LR_GRADIENT:
        np.testing.assert_allclose(u10, 10 * u1, rtol=1e-12)  # follows the gradient's scale
        ratio = np.abs(u1) / (spec.defaults["lr"] * np.abs(g))
        assert np.all((ratio >= 1) & (ratio <= 10))
    else:
        np.testing.assert_allclose(u10, u1, rtol=1e-3)  # does not
    if spec.lr_kind == opt.LR_STEP:
        ratio = np.abs(u1) / spec.defaults["lr"]
        assert np.all((ratio >= 0.1) & (ratio <= 10))
    if "lr" in names:  # lr multiplies the first step, whatever its kind
        lr = spec.defaults["lr"]
        np.testing.assert_allclose(_first_update(spec, g, lr=2 * lr), 2 * u1, rtol=1e-12)


@pytest.mark.parametrize("key", [k for k in KEYS if opt.get(k).paper_values])
def test_paper_values_reproduce_the_papers_method_bit_for_bit(key):
    """The defaults are the paper's method; another value of a ``paper_values``
    hyperparameter is the libraries' multiplier on the applied step: the state is the same
    to the last bit whatever its value, and the update and the rate are exactly value/paper
    times the paper's (bitwise for a paper value of 1, i.e. no multiplier at all)."""
    spec = opt.get(key)
    assert not spec.is_variant(spec.defaults)
    assert spec.label(spec.defaults) == spec.display_name
    rng = np.random.default_rng(7)
    f = ov.objectives.get("rosenbrock")
    warm = ov.run(f, spec.build(**spec.paper_values), [f.start] * 9, 5, noise=0.5)
    state = type(warm.states)(*(np.asarray(s[-1]) for s in warm.states))
    grads = rng.normal(scale=30.0, size=(9, 2))
    paper = spec.build(**spec.paper_values)
    assert paper.hyperparams == spec.defaults
    u_p, s_p, e_p = paper.step(grads, state)
    for name, value in spec.paper_values.items():
        for other in (0.5, 0.25 * value, 3.0):
            variant = {**spec.paper_values, name: other}
            assert spec.is_variant(variant) and spec.label(variant) != spec.display_name
            u_v, s_v, e_v = spec.build(**variant).step(grads, state)
            for a, b in zip(s_v, s_p):
                np.testing.assert_array_equal(a, b)
            factor = other / value
            tol = oc.EXACT if value == 1.0 else oc.Tolerance(ulps=2)
            assert_close(u_v, factor * u_p, tol, what="update")
            assert_close(e_v, factor * e_p, tol, what="rate")


def test_registry_defaults_are_the_papers():
    # Zeiler 2012, §4: ρ = 0.95, ε = 1e-6, and no learning rate (η = 1 is no multiplier)
    assert opt.get("adadelta").defaults == {"rho": 0.95, "eps": 1e-6, "lr": 1.0}
    assert opt.get("adadelta").paper_values == {"lr": 1.0}
    # Kingma & Ba 2015: β₁ = 0.9, β₂ = 0.999, ε = 1e-8 (their η = 0.001 is not optviz's
    # default, which is a starting point for the sliders)
    adam = opt.get("adam").defaults
    assert (adam["beta1"], adam["beta2"], adam["eps"]) == (0.9, 0.999, 1e-8)
    # ADADELTA needs ε > 0: RMS[Δx]₀ = √ε is its whole first step
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


# ---------------------------------------------------------------------------
# Convergence on the convex objectives (optimizer_cases.CONVERGENCE_RULE)
# ---------------------------------------------------------------------------


def settle_step(gaps: np.ndarray, tol: float = oc.TOL) -> np.ndarray:
    """Per column: the first step from which every gap is below ``tol`` (−1: none)."""
    bad = ~(gaps < tol)
    last_bad = np.where(bad.any(axis=0), len(gaps) - 1 - np.argmax(bad[::-1], axis=0), -1)
    return np.where(last_bad == len(gaps) - 1, -1, last_bad + 1)


def test_settle_step_by_hand():
    gaps = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert settle_step(gaps, 0.5).tolist() == [3, 2, 0]
    assert settle_step(gaps[:3], 0.5).tolist() == [-1, 2, 0]


@pytest.mark.parametrize("objective", oc.CONVEX)
@pytest.mark.parametrize("key", KEYS)
def test_convergence_setting_follows_the_stated_rule(key, objective):
    """The table's setting is the one oc.CONVERGENCE_RULE picks from its stated sweep (all
    its configurations run at once, one per batch row)."""
    conv = entry(key).convergence
    f = ov.objectives.get(objective)
    grid = conv.grid()
    arrays = {axis: np.array([c[axis] for c in grid]) for axis in conv.sweep}
    traj = ov.run(f, opt.build(key, **arrays), f.start, oc.BUDGET, noise=0.0)
    gaps = traj.values - f.f_min
    settle = settle_step(gaps)
    if (settle >= 0).any():
        best = int(np.argmin(np.where(settle < 0, oc.BUDGET + 1, settle)))
    else:
        best = int(np.argmin(np.where(np.isnan(gaps[-1]), np.inf, gaps[-1])))
    assert conv.settings[objective] == grid[best], (
        f"{key} on {objective}: the rule picks {grid[best]} "
        f"(settles at {settle[best]}, final gap {gaps[-1, best]:.3g})"
    )


def _spectral_radius(rate: np.ndarray, hessian: np.ndarray) -> float:
    """Of the step's linearisation x ↦ x − diag(rate)·H·x near the minimum."""
    return float(max(abs(np.linalg.eigvals(np.eye(2) - np.diag(rate) @ hessian))))


def _alternates(updates: np.ndarray) -> bool:
    return bool(np.all(np.sign(updates[1:]) == -np.sign(updates[:-1])))


@pytest.mark.parametrize("objective", oc.CONVEX)
@pytest.mark.parametrize("key", KEYS)
def test_convergence_on_the_convex_objectives(key, objective):
    """At its table setting each optimizer does what the table says (oc.CONVERGENCE_RULE):
    converges within the budget and stays, or — honestly — what it does instead."""
    conv = entry(key).convergence
    hp, outcome = conv.settings[objective], conv.outcomes[objective]
    f = ov.objectives.get(objective)
    x_min = np.array(f.minima[0].point)
    hessian = f.hessian(x_min)
    lam_max = float(np.linalg.eigvalsh(hessian).max())
    traj = ov.run(f, opt.build(key, **hp), f.start, oc.HORIZON, noise=0.0)
    assert traj.diverged_at == -1
    gaps = traj.values - f.f_min
    settle = int(settle_step(gaps[: oc.BUDGET + 1, None])[0])
    if outcome in (oc.CONVERGES, oc.RATE_RUNAWAY):
        assert settle >= 0, f"{key} does not settle on {objective} within {oc.BUDGET} steps"
        out = np.flatnonzero(~(gaps[settle:] < oc.TOL))
        if outcome == oc.CONVERGES:
            assert out.size == 0, f"it leaves the tolerance at step {settle + out[0]}"
        else:
            assert out.size > 0, "it stays: the table's runaway claim is out of date"
            left = settle + int(out[0])
            rates = traj.effective_lr[settle:left]
            assert np.all(np.diff(rates, axis=0) > 0)  # growing at every step, in x and y
            assert _spectral_radius(rates[-1], hessian) > 1  # past the stability limit
    elif outcome in (oc.EDGE_CYCLE, oc.EDGE_CYCLE_AFTER_TOUCHING):
        # at the minimum the rate would be √ε/√ε = 1: unstable where a curvature is > 2
        assert lam_max > 2
        if outcome == oc.EDGE_CYCLE_AFTER_TOUCHING:
            assert gaps[oc.BUDGET] < oc.TOL
        else:
            assert settle == -1
        for end in (2 * oc.BUDGET, oc.HORIZON):
            assert gaps[end] >= oc.TOL, "it does not stay"
            assert _alternates(traj.updates[end - 20 : end]), "a period-2 oscillation"
            assert abs(_spectral_radius(traj.effective_lr[end - 1], hessian) - 1) < 1e-2
    elif outcome == oc.SIGN_CYCLE:
        lr = hp["lr"]
        assert settle == -1
        for end in (oc.BUDGET, oc.HORIZON):  # reached by the budget, and kept
            u = traj.updates[end - 20 : end]
            np.testing.assert_allclose(np.abs(u), lr, rtol=1e-3)
            assert _alternates(u)
            s = np.sign(traj.positions[end] - x_min)  # x = x* ± (η/2)·s
            np.testing.assert_allclose(gaps[end], s @ hessian @ s * lr**2 / 8, rtol=1e-2)
    else:
        raise AssertionError(f"unknown outcome {outcome!r}")


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95, 0.9999])
@pytest.mark.parametrize("eps", [1e-10, 1e-6, 0.1])
def test_adadelta_rate_at_a_minimum_is_one_whatever_rho_and_eps(rho, eps):
    """With g = 0 and empty averages both RMS terms are √ε: the rate is exactly 1 — the
    reason ADADELTA cannot settle where a curvature exceeds 2."""
    o = opt.adadelta(rho=rho, eps=eps)
    update, _, eff = o.step(np.zeros((1, 2)), o.init(np.zeros((1, 2))))
    np.testing.assert_array_equal(eff, 1.0)
    np.testing.assert_array_equal(update, 0.0)
