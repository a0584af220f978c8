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
