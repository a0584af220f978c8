"""An optimizer and an objective defined outside the package, registered through the public
functions, work everywhere: runs, sweeps, the inspector, figures, the app, the URL, exports.

Nothing in optviz names them: this is the test that "the spec is the one extension point".
"""

from __future__ import annotations

import json
import types
from typing import NamedTuple

import numpy as np
import pytest

import optviz as ov
from optviz import export, figures, inspector, objectives, optimizers, sweeps
from optviz.optimizers import Equation, HyperParam, OptimizerSpec, StateField


class SignMomentumState(NamedTuple):
    avg_grad: np.ndarray


def _rule(g, fields, hp, sqrt):
    """m_t = β m_{t-1} + (1-β) g_t;  Δx_t = -η m_t / sqrt(m_t² + ε)."""
    (m,) = fields
    m = hp.beta * m + hp.one_minus_beta * g
    rate = hp.lr / sqrt(m * m + hp.eps)
    return -rate * m, (m,), rate


def sign_momentum(lr=0.05, beta=0.8, eps=1e-8):
    return optimizers.from_rule(
        "sign_momentum",
        SignMomentumState,
        _rule,
        lambda lr, beta, eps: types.SimpleNamespace(
            lr=lr, beta=beta, one_minus_beta=1.0 - beta, eps=eps
        ),
        lr=lr,
        beta=beta,
        eps=eps,
    )


SPEC = OptimizerSpec(
    key="sign_momentum",
    display_name="Sign momentum",
    factory=sign_momentum,
    hyperparams=(
        HyperParam(
            "lr",
            r"\eta",
            "η (step)",
            0.05,
            "length of each step",
            0.0,
            np.inf,
            ui_low=1e-4,
            ui_high=1.0,
            log=True,
        ),
        HyperParam(
            "beta",
            r"\beta",
            "β (decay)",
            0.8,
            "decay of the average",
            0.0,
            1.0,
            high_open=True,
            ui_low=0.0,
            ui_high=0.99,
            log=False,
            step=0.01,
        ),
        HyperParam(
            "eps",
            r"\epsilon",
            "ε",
            1e-8,
            "keeps the root positive",
            0.0,
            np.inf,
            low_open=True,
            ui_low=1e-12,
            ui_high=1e-2,
            log=True,
        ),
    ),
    equations=(
        Equation(
            r"m_t = \beta m_{t-1} + (1-\beta) g_t",
            r"«beta» \cdot («avg_grad_prev») + (1 - «beta») \cdot («g») = «avg_grad»",
        ),
        Equation(
            r"\Delta x_t = -\frac{\eta}{\sqrt{m_t^2 + \epsilon}}\, m_t",
            r"-\frac{«lr»}{«sqrt0»} \cdot («avg_grad») = «update»",
        ),
    ),
    state_fields=(StateField("avg_grad", "m", "running average of gradients", signed=True),),
    effective_lr_latex=r"\frac{\eta}{\sqrt{m_t^2 + \epsilon}}",
    effective_lr_meaning="the factor applied to the average m",
    colour="#123456",
    dash="dash",
    sweep_axes=("lr", "beta"),
    lr_kind=optimizers.LR_STEP,
    paper_values={"eps": 1e-8},  # "the paper" fixes ε; the variant frees it
    note="ε ≠ 1e-8 is this test's library variant",
    divergence_hint="try a smaller step η",
)

BOWL = objectives.from_sympy(
    objectives.X**2 + 4 * (objectives.Y - 1) ** 2,
    name="bowl",
    display_name="Bowl",
    bounds=((-3.0, 3.0), (-2.0, 4.0)),
    start=(-2.5, 3.5),
    minima=[objectives.Minimum((0.0, 1.0), 0.0)],
    lesson="A round-ish bowl registered from outside the package.",
)


@pytest.fixture(scope="module", autouse=True)
def registered():
    optimizers.register(SPEC)
    objectives.register(BOWL)
    yield
    del optimizers.REGISTRY["sign_momentum"]
    del objectives._REGISTERED["bowl"]


def test_registration_checks_the_spec_and_names_the_problem():
    from dataclasses import replace

    with pytest.raises(ValueError, match="registered already"):
        optimizers.register(SPEC)
    bad = replace(SPEC, key="other", sweep_axes=("rho",))
    with pytest.raises(ValueError, match="sweep_axes names 'rho'"):
        optimizers.register(bad)
    bad = replace(SPEC, key="other", equations=(Equation("x", "«nonsense»"),))
    with pytest.raises(ValueError, match="no value «nonsense»"):
        optimizers.register(bad)
    bad = replace(SPEC, key="other", state_fields=(StateField("velocity", "v", "?"),))
    with pytest.raises(ValueError, match="'velocity' is not in its state"):
        optimizers.register(bad)
    with pytest.raises(ValueError, match="lr_kind"):
        optimizers.register(replace(SPEC, key="other", lr_kind="fast"))
    with pytest.raises(ValueError, match="URL-safe"):
        optimizers.register(replace(SPEC, key="Other key"))

    bad = replace(
        optimizers.get("adadelta"), key="other", equations=(Equation("x", "«delta» «dleta»"),)
    )
    with pytest.raises(ValueError, match="no value «dleta»"):  # inspector_values checked too
        optimizers.register(bad)
    assert "other" not in optimizers.REGISTRY  # a refused spec leaves nothing behind
    with pytest.raises(ValueError, match="taken"):
        objectives.register(BOWL)


def test_a_registered_optimizer_leaves_every_lessons_claim_as_it_was():
    from optviz import lessons

    for lesson in lessons.LESSONS:
        assert lesson.check(lesson.scene.runs()), lesson.key


def test_it_runs_float_by_float_and_on_arrays_with_the_same_bits():
    optimizer = optimizers.build("sign_momentum")
    single = ov.run(BOWL, optimizer, BOWL.start, 200)
    batch = ov.run(BOWL, optimizer, np.array([BOWL.start] * 9), 200)
    np.testing.assert_array_equal(single.positions, batch.positions[:, 4])
    np.testing.assert_array_equal(single.states.avg_grad, batch.states.avg_grad[:, 4])
    assert single.diverged_at == -1 and single.loss_gap[-1] < 1e-2 * single.loss_gap[0]
    # the hand-computed first step: m = 0.2 g, Δx = -η m/√(m² + ε)
    g = BOWL.grad(np.array(BOWL.start))
    m = 0.2 * g
    np.testing.assert_allclose(single.updates[0], -0.05 * m / np.sqrt(m * m + 1e-8), rtol=1e-15)


def test_it_is_swept_over_its_own_axes():
    assert sweeps.sweep_axes("sign_momentum") == ("lr", "beta")
    grid = sweeps.default_grid("sign_momentum", 4)
    result = ov.sweep(BOWL, "sign_momentum", grid, BOWL.start, 50)
    assert result.final_value.shape == (4, 4)
    one = ov.run(
        BOWL,
        optimizers.build("sign_momentum", lr=grid["lr"][1], beta=grid["beta"][2]),
        BOWL.start,
        50,
    )
    assert result.final_value[1, 2] == one.values[-1]


def test_the_inspector_fills_its_equations_and_replays_its_rule():
    traj = ov.run(BOWL, optimizers.build("sign_momentum"), BOWL.start, 20)
    detail = inspector.step_details(traj, 5)
    assert detail.reproduces
    assert detail.rule_latex == SPEC.rule_latex
    assert len(detail.equations["x"]) == 2 and "«" not in "".join(detail.equations["x"])
    assert inspector.latex_number(float(traj.updates[4, 0])) in detail.equations["x"][1]


def test_the_figure_draws_it_in_its_own_colour_and_dash():
    traj = ov.run(BOWL, optimizers.build("sign_momentum"), BOWL.start, 50)
    path = figures.PathView(key="sign_momentum", label="Sign momentum", spec=SPEC, trajectory=traj)
    fig = figures.trajectory_figure(BOWL, [path])
    line = next(t for t in fig.to_dict()["data"] if t.get("name") == "Sign momentum")
    assert line["line"]["color"] == "#123456" and line["line"]["dash"] == "dash"
    assert figures.colour_of("sign_momentum") == "#123456"


def test_exports_carry_it():
    traj = ov.run(BOWL, optimizers.build("sign_momentum"), BOWL.start, 10)
    data = json.loads(export.trajectories_to_json({"sign_momentum": traj}, {}))
    text = json.dumps(data)
    assert "sign_momentum" in text and "avg_grad" in text
    csv = export.trajectories_to_csv({"sign_momentum": traj}, {})
    assert "sign_momentum" in csv


def test_the_app_offers_runs_links_and_sweeps_it():
    from test_app import chart_spec, query, widget, with_query

    at = with_query({"objective": "bowl", "opt": "sign_momentum,adadelta"})
    assert "bowl" in widget(at, "objective").options or any(
        "Bowl" in o for o in widget(at, "objective").options
    )
    assert widget(at, "objective").value == "bowl"
    spec = chart_spec(at)
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    assert legend == ["Sign momentum", "ADADELTA"]
    # its slider starts at the objective's suggested step size (lr_kind = step)
    assert widget(at, "hp.sign_momentum.lr").value == BOWL.suggested_lr[1]
    widget(at, "hp.sign_momentum.beta").set_value(0.9).run()
    assert not at.exception
    assert query(at)["sign_momentum.beta"] == "0.9"
    again = with_query(query(at))
    assert widget(again, "hp.sign_momentum.beta").value == 0.9
    # its paper value is fixed until its library variant is switched on, in the link too
    assert "hp.sign_momentum.eps" not in [w.key for w in at.select_slider]
    widget(at, "sign_momentum_variant").set_value(True).run()
    widget(at, "hp.sign_momentum.eps").set_value(1e-4).run()
    assert not at.exception
    link = query(at)
    assert link["sign_momentum.variant"] == "1" and link["sign_momentum.eps"] == "0.0001"
    spec = chart_spec(at)
    assert "Sign momentum (library variant, ε=0.0001)" in [t["name"] for t in spec["data"]]
    assert widget(with_query(link), "hp.sign_momentum.eps").value == 1e-4
    # the Sensitivity view sweeps it over its own axes, heatmap, share and noise chart
    sens = with_query({**query(at), "view": "sensitivity"})
    assert not sens.exception and not sens.error
    heatmaps, _shares = (json.loads(c.proto.spec) for c in sens.get("plotly_chart"))
    noisy = with_query({**query(at), "view": "sensitivity", "section": "Gradient noise"})
    assert not noisy.exception and not noisy.error
    (noise,) = (json.loads(c.proto.spec) for c in noisy.get("plotly_chart"))
    names = [t.get("name") for t in heatmaps["data"]]
    assert "Sign momentum cells" in names
    titles = [a.get("text", "") for a in heatmaps["layout"]["annotations"]]
    assert any(t.startswith("<b>Sign momentum</b> — η × β") for t in titles)
    assert "Sign momentum" in [t.get("name") for t in noise["data"]]


def _explain_bowl(settings, runs):
    gap = float(runs["sign_momentum"].loss_gap[-1]) if "sign_momentum" in runs else float("nan")
    return f"After {settings.steps} steps sign momentum is {gap:.3g} above the minimum."


def _check_bowl(runs):
    tr = runs["sign_momentum"]
    return bool(tr.loss_gap[-1] < 1e-2 * tr.loss_gap[0])


def test_a_lesson_registered_from_outside_opens_in_the_app_and_the_link():
    from test_app import query, widget, with_query

    from optviz import lessons

    lesson = lessons.register(
        lessons.Lesson(
            key="bowl_demo",
            title="A bowl, from outside",
            claim="Sign momentum reaches the bottom of a bowl.",
            scene=lessons.Scene(
                objective="bowl", start=(-2.5, 3.5), steps=200, optimizers=("sign_momentum",)
            ),
            look_at="The f − f_min panel.",
            explain=_explain_bowl,
            check=_check_bowl,
        )
    )
    try:
        assert "bowl_demo" in lessons.names() and lesson.check(lesson.scene.runs())
        at = with_query({"lesson": "bowl_demo"})
        assert widget(at, "lesson").value == "bowl_demo"
        assert widget(at, "objective").value == "bowl"
        text = " ".join([*(m.value for m in at.markdown), *(e.label for e in at.expander)])
        assert "A bowl, from outside" in text and "above the minimum" in text
        assert query(at)["lesson"] == "bowl_demo"
        # and the exports (the CLI's renderer, in this process where it is registered)
        from optviz.__main__ import render

        assert "Sign momentum" in render("bowl_demo", "html")
        assert "sign_momentum" in render("bowl_demo", "csv")
    finally:
        lessons.base._REGISTRY.pop("bowl_demo", None)


def test_a_rule_written_with_powers_does_not_crash_the_float_path_when_it_overflows():
    """Python's ``**`` raises OverflowError where NumPy gives inf: the float path hands over
    to the array path there, and one start gives what the same start among 9 gives."""
    from dataclasses import replace

    def pow_rule(g, fields, hp, sqrt):
        (m,) = fields
        m = hp.beta * m + hp.one_minus_beta * g
        rate = hp.lr / sqrt(m**2 + hp.eps)
        return -rate * m, (m,), rate

    def pow_factory(lr=0.05, beta=0.8, eps=1e-8):
        return optimizers.from_rule(
            "pow_momentum",
            SignMomentumState,
            pow_rule,
            lambda lr, beta, eps: types.SimpleNamespace(
                lr=lr, beta=beta, one_minus_beta=1.0 - beta, eps=eps
            ),
            lr=lr,
            beta=beta,
            eps=eps,
        )

    optimizers.register(replace(SPEC, key="pow_momentum", factory=pow_factory, paper_values={}))
    try:
        steep = objectives.from_sympy(objectives.X**8, name="steep", refine=False)
        opt = optimizers.build("pow_momentum")
        single = ov.run(steep, opt, (1e30, 0.0), 5, box=1e300)
        batch = ov.run(steep, opt, np.array([(1e30, 0.0)] * 9), 5, box=1e300)
        assert single.diverged_at == int(batch.diverged_at[0])
        np.testing.assert_array_equal(single.positions, batch.positions[:, 0])
        np.testing.assert_array_equal(single.effective_lr, batch.effective_lr[:, 0])
        assert single.effective_lr[0, 0] == 0.0  # lr / sqrt(inf): the overflow happened
    finally:
        optimizers.REGISTRY.pop("pow_momentum", None)
