"""The step inspector on every optimizer: the spec's equations with that step's numbers,
and a replay of the engine's rule that gives the stored step bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import optviz as ov
from optviz import inspector, objectives, optimizers
from optviz.inspector import latex_number


@pytest.mark.parametrize("key", optimizers.names())
@pytest.mark.parametrize("name", ["rosenbrock", "booth", "rastrigin"])
def test_every_step_is_replayed_and_written_out(key, name):
    f = objectives.get(name)
    spec = optimizers.get(key)
    traj = ov.run(f, spec.build(**({"lr": 1e-3} if spec.lr_kind != "none" else {})), f.start, 30)
    for t in (1, 2, 17, 30):
        d = inspector.step_details(traj, t)
        assert d.reproduces, (key, name, t)
        assert d.rule_latex == spec.rule_latex
        for dim, lines in d.equations.items():
            i = "xy".index(dim)
            assert len(lines) == len(spec.equations)
            assert not any("«" in line for line in lines)
            # the last number written is the stored update (or, for the rules whose last
            # equation is a state update, that state's stored value)
            assert lines[-1].endswith(latex_number(float(traj.updates[t - 1, i]))) or any(
                lines[-1].endswith(latex_number(float(getattr(traj.states, f.name)[t, i])))
                for f in spec.state_fields
            )


def test_adadeltas_library_variant_adds_the_applied_step():
    f = objectives.get("rosenbrock")
    traj = ov.run(f, optimizers.build("adadelta", lr=0.5), f.start, 5)
    d = inspector.step_details(traj, 3)
    assert d.reproduces and len(d.equations["x"]) == 6
    assert d.equations["x"][-1].startswith(r"\text{applied (library variant)}")
    assert d.equations["x"][-1].endswith(latex_number(float(traj.updates[2, 0])))
    paper = inspector.step_details(ov.run(f, optimizers.build("adadelta"), f.start, 5), 3)
    assert len(paper.equations["x"]) == 5


def test_the_rule_latex_is_the_equations_joined():
    for key in optimizers.names():
        spec = optimizers.get(key)
        assert spec.rule_latex == r", \quad ".join(e.latex for e in spec.equations)
        assert all(
            line.startswith(e.latex) for line, e in zip(spec.number_templates, spec.equations)
        )


def test_a_diverged_step_is_shown_without_numbers_it_does_not_have():
    f = objectives.get("rosenbrock")
    traj = ov.run(f, optimizers.build("sgd", lr=1.0), f.start, 40)
    assert traj.diverged_at > 0
    d = inspector.step_details(traj, traj.steps)
    assert d.diverged and not d.reproduces
    assert np.isnan(d.rows[1][2])


# --- the rate's two parts (the figure's rate bars) -----------------------------------------


@pytest.mark.parametrize("key", ["adagrad", "adadelta", "rmsprop", "adam"])
@pytest.mark.parametrize("name", ["rosenbrock", "rotated_ill_conditioned", "beale"])
def test_the_rate_is_the_ratio_of_its_two_parts_to_the_bit(key, name):
    """numerator ÷ denominator is the engine's own rate factor, bit for bit, at every step;
    row s holds the step taken from x_s (the inspector's step s + 1), the last row none."""
    f = objectives.get(name)
    traj = ov.run(f, optimizers.build(key), f.start, 80)
    num, den = inspector.rate_parts(traj)
    assert num.shape == den.shape == traj.positions.shape
    assert np.isnan(num[-1]).all() and np.isnan(den[-1]).all()
    ok = np.isfinite(traj.effective_lr).all(axis=1)
    assert ok.sum() > 10
    np.testing.assert_array_equal((num[:-1] / den[:-1])[ok], traj.effective_lr[ok])
    assert (num[:-1][ok] > 0).all() and (den[:-1][ok] > 0).all()
    bars = optimizers.get(key).rate_bars
    for s in (0, 1, 40):  # the inspector's numbers of step s + 1
        for d in (0, 1):
            values, reproduces = inspector.step_values(traj, s + 1, d)
            assert reproduces
            assert num[s, d] == values[bars.numerator] and den[s, d] == values[bars.denominator]


def test_the_rate_parts_name_the_papers_quantities():
    """ADADELTA's bars are RMS[Δx]ₜ₋₁ = √(E[Δx²]ₜ₋₁ + ε) and RMS[g]ₜ = √(E[g²]ₜ + ε),
    computed here from the stored state; ADAGRAD's are η and √Gₜ + ε."""
    f = objectives.get("rosenbrock")
    traj = ov.run(f, optimizers.build("adadelta", rho=0.9, eps=1e-4), f.start, 20)
    num, den = inspector.rate_parts(traj)
    eps = 1e-4
    np.testing.assert_array_equal(num[:-1], np.sqrt(traj.states.sq_step_avg[:-1] + eps))
    np.testing.assert_array_equal(den[:-1], np.sqrt(traj.states.sq_grad_avg[1:] + eps))
    assert num[0, 0] == pytest.approx(1e-2)  # √ε: the first step's warm-up numerator
    traj = ov.run(f, optimizers.build("adagrad", lr=0.3), f.start, 20)
    num, den = inspector.rate_parts(traj)
    assert (num[:-1] == 0.3).all()
    np.testing.assert_array_equal(den[:-1], np.sqrt(traj.states.grad_sq_sum[1:]) + 1e-10)


def test_methods_whose_rate_is_no_ratio_have_no_bars():
    f = objectives.get("booth")
    for key in ("sgd", "momentum", "nesterov"):
        assert optimizers.get(key).rate_bars is None
        assert inspector.rate_parts(ov.run(f, optimizers.build(key), f.start, 5)) is None


@pytest.mark.parametrize(
    ("key", "hp"),
    [
        ("adagrad", {}),
        ("adadelta", {"lr": 0.5}),  # the libraries' variant: rate = η · ratio
        ("rmsprop", {}),
        ("adam", {}),
        ("adagrad", {"lr": 1e200}),  # diverges: NaN from there on
        ("adadelta", {"eps": 1e300}),
    ],
)
def test_the_replay_of_all_steps_at_once_gives_the_step_by_step_numbers(key, hp, monkeypatch):
    """The fast path (one replay of the rule on every step) and the step-by-step replay
    give the same bars to the bit, NaN where a step diverged."""
    f = objectives.get("rosenbrock")
    traj = ov.run(f, optimizers.build(key, **hp), f.start, 300)
    fast = inspector._parts_at_once(traj)
    assert fast is not None
    monkeypatch.setattr(inspector, "_parts_at_once", lambda _traj: None)
    slow = inspector.rate_parts(traj)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)  # (NaN where the other is NaN)
    if traj.diverged_at >= 0:
        assert np.isnan(fast[0][traj.diverged_at :]).all()


def test_a_replay_that_does_not_reproduce_falls_back_to_step_by_step():
    f = objectives.get("booth")
    traj = ov.run(f, optimizers.build("adadelta"), f.start, 20)
    traj.updates[3, 0] = np.nextafter(traj.updates[3, 0], 1.0)  # one stored bit changed
    assert inspector._parts_at_once(traj) is None
    num, _ = inspector.rate_parts(traj)  # still the inspector's numbers
    assert num[3, 1] == inspector.step_values(traj, 4, 1)[0]["sqrt1"]
