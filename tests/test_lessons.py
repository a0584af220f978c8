"""Lessons: every claim holds numerically with its settings, every number in the text comes
from the runs, and the explanations survive any settings the app may hand them."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

import optviz as ov
from optviz import lessons, objectives, optimizers, sweeps
from optviz.formula import from_expression
from optviz.lessons import FALLBACK, fmt, pct, times
from optviz.scene import Scene, Transform

REQUIRED = [
    "adagrad_decay",
    "adagrad_bad_start",
    "no_learning_rate",
    "insensitive",
    "per_dimension",
    "units",
    "large_gradient",
    "noisy_gradients",
    "eps_warmup",
    "saddle",
    "the_price",
    "paper_experiment",
]


@pytest.fixture(scope="module")
def runs():
    """The runs of every lesson's own settings."""
    return {key: lessons.get(key).scene.runs() for key in lessons.names()}


@pytest.fixture(scope="module")
def texts(runs):
    return {
        key: lessons.get(key).explain(lessons.get(key).scene, runs[key]) for key in lessons.names()
    }


def gap(tr):
    return float(tr.loss_gap[-1])


# ---------------------------------------------------------------------------
# The catalogue of lessons
# ---------------------------------------------------------------------------


def test_names_unique_snake_case_in_teaching_order():
    names = lessons.names()
    assert len(names) == len(set(names)) == len(lessons.LESSONS)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", n) for n in names)
    assert [n for n in names if n in REQUIRED] == REQUIRED
    for lesson in lessons.LESSONS:
        assert lessons.get(lesson.key) is lesson
        assert lesson.title.strip() and lesson.claim.strip() and lesson.look_at.strip()
        # static text carries no numbers that could go stale when a slider moves
        assert not re.search(r"\d", lesson.title + lesson.look_at), lesson.key


def test_register_appends_a_lesson_and_refuses_a_taken_key(monkeypatch):
    monkeypatch.setattr(lessons.base, "_REGISTRY", dict(lessons.base._REGISTRY))
    saddle = lessons.get("saddle")
    with pytest.raises(ValueError, match="'saddle' is already registered"):
        lessons.register(saddle)
    with pytest.raises(TypeError):
        lessons.register("saddle")
    extra = lessons.Lesson(
        key="saddle_again",
        title="The saddle, again",
        claim=saddle.claim,
        scene=saddle.scene,
        look_at=saddle.look_at,
        explain=saddle.explain,
        check=saddle.check,
    )
    assert lessons.register(extra) is extra
    assert lessons.names() == [*REQUIRED, "saddle_again"]
    assert lessons.LESSONS[-1] is lessons.get("saddle_again") is extra
    assert extra.ghosts(extra.scene) == []


def test_each_lesson_module_registers_its_own_lesson():
    import importlib

    for key in lessons.names():
        assert importlib.import_module(f"optviz.lessons.{key}").LESSON is lessons.get(key)


def test_unknown_lesson_lists_the_names():
    with pytest.raises(KeyError) as err:
        lessons.get("no_such_lesson")
    for name in lessons.names():
        assert name in str(err.value)


@pytest.mark.parametrize("key", lessons.names())
def test_settings_are_explicit_and_runnable(key, runs):
    lesson = lessons.get(key)
    s = lesson.scene
    assert set(dict(s.hyperparams)) == set(s.optimizers)  # every optimizer set explicitly
    for k, items in s.hyperparams:
        assert [n for n, _ in items] == sorted(n for n, _ in items)
        assert set(dict(items)) == set(optimizers.get(k).defaults)
    assert lesson.view in ("trajectories", "sensitivity", "network")
    assert list(runs[key]) == list(s.optimizers)
    for k, tr in runs[key].items():
        assert tr.steps == s.steps <= 5000  # loadable in the app (10 … 5000 steps)
        assert tuple(tr.positions[0]) == s.start
        assert tr.noise == s.sigma and tr.seed == s.seed
        if k == "adadelta":
            assert tr.optimizer.hyperparams["lr"] == 1.0  # the paper's method
    assert hash(s) == hash(s.replace())  # hashable, a cache key


@pytest.mark.parametrize("key", lessons.names())
def test_claim_holds_with_the_lesson_settings(key, runs):
    lesson = lessons.get(key)
    assert lesson.check.__wrapped__(runs[key]) is True  # raw: no exception swallowed
    assert lesson.check(runs[key]) is True


@pytest.mark.parametrize("key", lessons.names())
def test_explanation_is_markdown_with_numbers(key, texts):
    text = texts[key]
    assert FALLBACK not in text
    assert re.search(r"\d", text)
    assert "$" not in text  # no LaTeX: Streamlit's markdown would try to typeset it
    full = lessons.get(key).markdown()
    assert lessons.get(key).claim in full and lessons.get(key).look_at in full


def test_ghosts_name_their_optimizer_and_the_core_imports_no_figure_code():
    code = (
        "import sys; from optviz import lessons, optimizers\n"
        "for key in lessons.names():\n"
        "    lesson = lessons.get(key)\n"
        "    for g in lesson.ghosts(lesson.scene):\n"
        "        assert isinstance(g, lessons.Ghost) and g.key in optimizers.names(), g\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('plotly', 'streamlit')\n"
        "       or m in ('optviz.figures', 'optviz.sweep_figures')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_adadelta_lr_is_forced_to_one_unless_variant():
    s = lessons.get("eps_warmup").scene.with_hp("adadelta", {"rho": 0.9, "eps": 1e-6, "lr": 3.0})
    assert s.hp("adadelta")["lr"] == 1.0
    assert s.replace(variants=("adadelta",)).hp("adadelta")["lr"] == 3.0
    assert s.hp("adadelta")["rho"] == 0.9


def test_unset_optimizer_takes_the_objective_suggested_rate():
    s = Scene(objective="rosenbrock", start=(-1.5, 2.0), steps=10, optimizers=("sgd",))
    assert s.hp("sgd")["lr"] == objectives.get("rosenbrock").suggested_lr[0]
    assert s.hp("adagrad")["lr"] == objectives.get("rosenbrock").suggested_lr[1]


def test_scale_and_stretch_build_the_objective():
    s = Scene(
        objective="booth",
        start=(1.0, 2.0),
        steps=5,
        optimizers=("sgd",),
        transform=Transform(2, 4.0),
        noise=0.5,
    )
    obj, base = s.run_objective(), objectives.get("booth")
    p = np.array([0.3, -1.2])
    assert obj.value(np.array([4.0 * p[0], p[1]])) == pytest.approx(100 * base.value(p))
    assert s.run_start == (4.0, 2.0)
    assert s.sigma == pytest.approx(50.0)
    assert s.run_objective() is obj  # compiled once
    assert s.plot_objective().value(p) == pytest.approx(100 * base.value(p))


def test_stretched_runs_come_back_in_the_original_x():
    """As in the app: the run is made in x' = s·x, its positions are mapped back to x."""
    s = Scene(
        objective="ill_conditioned",
        start=(-3.5, 1.5),
        steps=30,
        optimizers=("sgd", "adadelta"),
        transform=Transform(stretch=10.0),
    )
    for tr in s.runs().values():
        assert tuple(tr.positions[0]) == s.start
        assert lessons.stretch_of(tr) == 10.0
        raw = lessons.run_positions(tr)
        assert tuple(raw[0]) == s.run_start
        np.testing.assert_allclose(tr.objective.value(raw), tr.values, rtol=1e-12)
        np.testing.assert_array_equal(lessons.original_positions(tr), tr.positions)


def test_cliff_formula_is_the_same_function():
    s = lessons.get("large_gradient").scene
    ours = s.base_objective()
    typed = from_expression(lessons.CLIFF_FORMULA, bounds=lessons.CLIFF_BOUNDS, start=s.start)
    xs = np.random.default_rng(0).uniform(-4, 6, size=(200, 2))
    assert np.allclose(ours.value(xs), typed.value(xs), rtol=1e-12, atol=1e-12)
    assert ours.bounds == typed.bounds == lessons.CLIFF_BOUNDS
    assert ours.f_min == pytest.approx(-5.0)


def test_fmt_and_pct_parse_back():
    for v in [1.0, 0.0064, 1e-6, 5.4e73, 145.3, 1450.0, 999.9999, -0.268, 1e-29, 2e6]:
        assert float(fmt(v)) == pytest.approx(v, rel=5e-3)
    assert fmt(float("nan")) == "NaN" and fmt(float("inf")) == "∞"
    assert pct(0.0064) == "0.64 %" and pct(1.0) == "100 %"
    assert times(24.2) == "24×"


# ---------------------------------------------------------------------------
# 1. ADAGRAD's learning rate dies
# ---------------------------------------------------------------------------


def test_adagrad_decay_numbers(runs, texts):
    r = runs["adagrad_decay"]
    ag = r["adagrad"].effective_lr[-1] / r["adagrad"].effective_lr[0]
    ad = r["adadelta"].effective_lr[-1] / r["adadelta"].effective_lr[0]
    assert np.all(ag < 0.01)
    assert np.all(ad >= 0.01)
    assert gap(r["adagrad"]) > 1000 * gap(r["adadelta"])  # and progress stalls
    text = texts["adagrad_decay"]
    assert f"fell to {pct(ag[0])} of its first value in x and {pct(ag[1])} in y" in text
    assert fmt(gap(r["adagrad"])) in text and fmt(gap(r["adadelta"])) in text
    assert f"{times(ad[0])} its first value in x" in text


# ---------------------------------------------------------------------------
# 2. ADAGRAD remembers a bad start
# ---------------------------------------------------------------------------


def test_bad_start_fresh_restart_computed_independently(runs, texts):
    r = runs["adagrad_bad_start"]
    text = texts["adagrad_bad_start"]
    for key, low, high in [
        ("adagrad", 10, math.inf),
        ("adadelta", 0.5, 2.0),
        ("rmsprop", 0.5, 2.0),
    ]:
        tr = r[key]
        norms = np.linalg.norm(tr.grads, axis=-1)
        running = np.maximum.accumulate(norms)
        t = int(np.flatnonzero(norms < 0.1 * running)[0])
        fresh = ov.run(
            tr.objective,
            optimizers.build(key, **tr.optimizer.hyperparams),
            tr.positions[t],
            tr.steps - t,
        )
        ratio = fresh.effective_lr[-1] / tr.effective_lr[-1]
        assert np.all((ratio > low) & (ratio < high)), (key, ratio)
        assert f"step {t}" in text
        assert f"{times(ratio[0])}" in text and fmt(gap(fresh)) in text
    # the memory costs ADAGRAD: the fresh restart ends far lower
    ghost = lessons.get("adagrad_bad_start").ghosts(lessons.get("adagrad_bad_start").scene)
    assert len(ghost) == 1
    positions, _, label, emphasis = ghost[0]
    assert emphasis  # the path the text names: drawn dotted and strong
    assert "ADAGRAD" in label
    assert gap(r["adagrad"]) > 5 * float(r["adagrad"].objective.value(positions[-1]))


# ---------------------------------------------------------------------------
# 3. No learning rate
# ---------------------------------------------------------------------------


def test_no_learning_rate_table_matches_single_runs(runs, texts):
    r = runs["no_learning_rate"]
    ad = r["adadelta"]
    text = texts["no_learning_rate"]
    assert fmt(gap(ad)) in text
    assert gap(ad) < 0.01 * float(ad.loss_gap[0])
    diverged = slower = 0
    for lr in lessons.sgd_rates(r):
        single = ov.run(ad.objective, optimizers.sgd(lr), ad.positions[0], ad.steps)
        cell = (
            f"diverged at step {single.diverged_at}"
            if single.diverged_at >= 0
            else fmt(gap(single))
        )
        assert f"| {fmt(lr)} | {cell} |" in text
        diverged += single.diverged_at >= 0
        slower += single.diverged_at < 0 and gap(single) > gap(ad)
    assert diverged >= 1 and slower >= 1
    assert f"{diverged} of the {len(lessons.sgd_rates(r))} learning rates diverged" in text
    ghosts = lessons.get("no_learning_rate").ghosts(lessons.get("no_learning_rate").scene)
    assert len(ghosts) == len(lessons.sgd_rates(r)) - 1  # the settings' own SGD is bold


# ---------------------------------------------------------------------------
# 4. Insensitive to ρ and ε
# ---------------------------------------------------------------------------


def test_insensitive_scores_from_independent_sweeps(runs, texts):
    r = runs["insensitive"]
    ad = r["adadelta"]
    obj, x0 = ad.objective, tuple(ad.positions[0])
    res = lessons.LESSON_RESOLUTION
    scores = {
        k: sweeps.grid_score(sweeps.sweep(obj, k, sweeps.default_grid(k, res), x0, ad.steps))
        for k in ("adadelta", "sgd", "momentum", "adagrad")
    }
    paper = sweeps.grid_score(sweeps.sweep(obj, "adadelta", sweeps.PAPER_GRID, x0, ad.steps))
    text = texts["insensitive"]
    rows = [("ADADELTA", scores["adadelta"]), ("ADADELTA, the paper's grid", paper)]
    rows += [(ov.optimizers.get(k).display_name, scores[k]) for k in ("sgd", "momentum", "adagrad")]
    assert sweeps.score_table(rows) in text
    # the claim the lesson checks, and what it says it does not show
    assert scores["adadelta"].diverged_share < scores["sgd"].diverged_share
    assert scores["adadelta"].spread < scores["sgd"].spread
    best = max(("sgd", "momentum", "adagrad"), key=lambda k: scores[k].share)
    if scores[best].share > scores["adadelta"].share:
        assert "**What it does not:**" in text
    assert f"On the paper's 12 cells ADADELTA solved {paper.solved} and diverged in" in text
    assert lessons.get("insensitive").view == "sensitivity"
    # the same sweeps as the Sensitivity view's default resolution: one number per thing
    from optviz.ui import sensitivity as sens

    assert res == sens.DEFAULT_RESOLUTION


def test_insensitive_claim_holds_on_other_starts():
    ad = lessons.get("insensitive").scene.run("adadelta")
    for start in lessons.insensitive.OTHER_STARTS:
        s = lessons.insensitive._sweeps(ad.objective, ("adadelta", "sgd"), start, ad.steps, 0.0, 0)
        assert s["scores"]["adadelta"].diverged_share < s["scores"]["sgd"].diverged_share


# ---------------------------------------------------------------------------
# 5. Per-dimension rates
# ---------------------------------------------------------------------------


def test_per_dimension_look_reads_the_rate_bars_truly(runs):
    """Lesson 5's "what to look at": over the first ten steps the rate bars' numerators are
    equal in x and y (ADADELTA's RMS[Δx] from √ε, ADAGRAD's η), the denominators follow
    each coordinate (the steeper y's over 10× larger), so each step leaves −g's direction:
    its x and y components are nearly equal while the gradient's differ over 10×."""
    from optviz import inspector

    look = lessons.get("per_dimension").look_at
    assert "rate = solid ÷ pale" in look and "√ε" in look
    for key in ("adadelta", "adagrad"):
        tr = runs["per_dimension"][key]
        num, den = inspector.rate_parts(tr)
        np.testing.assert_allclose(num[:10, 0], num[:10, 1], rtol=0.01)
        assert (den[:10, 1] > 10 * den[:10, 0]).all()
        g, step = np.abs(tr.grads[:10]), np.abs(tr.updates[:10])
        assert (g[:, 1] > 10 * g[:, 0]).all()
        np.testing.assert_allclose(step[:, 0], step[:, 1], rtol=0.15)
    eps = runs["per_dimension"]["adadelta"].optimizer.hyperparams["eps"]
    num, _ = inspector.rate_parts(runs["per_dimension"]["adadelta"])
    assert (num[0] == math.sqrt(eps)).all()


def test_per_dimension_against_the_catalogue_rotated_valley(runs, texts):
    r = runs["per_dimension"]
    rot = objectives.get("rotated_ill_conditioned")
    x0, y0 = r["adadelta"].positions[0]
    start = ((x0 - y0) / math.sqrt(2), (x0 + y0) / math.sqrt(2))
    assert rot.value(np.array(start)) == pytest.approx(r["adadelta"].values[0])
    text = texts["per_dimension"]
    for key in ("adadelta", "adagrad"):
        tr = r[key]
        turned = ov.run(rot, tr.optimizer, start, tr.steps)
        aligned = np.median(tr.effective_lr[:, 0] / tr.effective_lr[:, 1])
        rotated = np.median(turned.effective_lr[:, 0] / turned.effective_lr[:, 1])
        assert max(aligned, 1 / aligned) > 5
        assert max(aligned, 1 / aligned) > 3 * max(rotated, 1 / rotated)
        assert gap(turned) > 10 * gap(tr)
        assert f"x/y rate {fmt(aligned, 2)} here, {fmt(rotated, 2)} turned" in text
        assert fmt(gap(turned)) in text
    sgd_turned = ov.run(rot, r["sgd"].optimizer, start, r["sgd"].steps)
    assert gap(sgd_turned) == pytest.approx(gap(r["sgd"]), rel=1e-6)  # SGD doesn't care


# ---------------------------------------------------------------------------
# 6. Units
# ---------------------------------------------------------------------------


def test_units_probe_by_hand(texts):
    """The probe's ratios against the rules written out by hand, and the table in the text."""
    s = lessons.get("units").scene
    assert s.transform == Transform(stretch=10.0)
    base = s.replace(transform=Transform()).runs()
    k = 10.0
    ad = base["adadelta"]
    hp = ad.optimizer.hyperparams
    rho, eps = hp["rho"], hp["eps"]
    g1 = ad.grads[0, 0]
    first = -math.sqrt(eps) / math.sqrt((1 - rho) * g1 * g1 + eps) * g1
    stretched = -math.sqrt(eps) / math.sqrt((1 - rho) * (g1 / k) ** 2 + eps) * (g1 / k)
    probe = lessons.units_probe(ad, k)
    assert probe[0] == pytest.approx((stretched / k) / first, rel=1e-12)
    assert probe[0] == pytest.approx(1 / k, rel=1e-3)  # like ADAGRAD's, not 1
    paired = lessons.units_probe(ad, k, k * k)
    stretched = -math.sqrt(eps * k * k) / math.sqrt((1 - rho) * (g1 / k) ** 2 + eps * k * k)
    assert paired[0] == pytest.approx((stretched * g1 / k / k) / first, rel=1e-12)
    assert paired[0] == pytest.approx(1.0, abs=0.01) and paired[-1] < 0.9
    sgd = lessons.units_probe(base["sgd"], k)
    np.testing.assert_allclose(sgd, 1 / k**2, rtol=1e-14)
    text = texts["units"]
    last = s.steps
    row = " | ".join(fmt(float(paired[t - 1]), 3) for t in (1, 10, 100, last))
    assert f"| ADADELTA, ε × s² | {row} |" in text
    assert "no single ε is invariant to every change of units" in text
    # the other direction: ε × s² keeps the units for the whole run
    reverse = lessons.units_probe(ad, 1 / k, 1 / k**2)
    assert np.nanmax(np.abs(reverse - 1)) < 0.01
    assert f"within {pct(float(np.nanmax(np.abs(reverse - 1))))} of 1" in text


def test_units_says_how_far_each_path_moved(runs, texts):
    r = runs["units"]
    s = lessons.get("units").scene
    flat = s.replace(transform=Transform()).runs()
    text = texts["units"]
    for key in ("sgd", "adagrad", "adadelta"):
        moved = float(np.hypot(*(r[key].positions[-1] - flat[key].positions[-1])))
        assert moved > 0.05 * 10  # every path's end moves, ADADELTA's too
        assert f"**{ov.optimizers.get(key).display_name}** {fmt(moved)}" in text
        assert lessons.path_deviation(r[key], flat[key]) >= moved
    unstretched = lessons.get("units").explain(s.replace(transform=Transform()), flat)
    assert "The scene has no stretch; the probe used s = 10" in unstretched


# ---------------------------------------------------------------------------
# 7. A sudden large gradient
# ---------------------------------------------------------------------------


def test_large_gradient_jump_and_bound(runs, texts):
    r = runs["large_gradient"]
    text = texts["large_gradient"]
    ad = r["adadelta"]
    hp = ad.optimizer.hyperparams
    rms_prev = np.sqrt(ad.states.sq_step_avg[:-1] + hp["eps"])
    assert np.all(np.abs(ad.updates) <= rms_prev / math.sqrt(1 - hp["rho"]) * (1 + 1e-12))
    for key in ("sgd", "momentum", "adadelta"):
        tr = r[key]
        g = np.linalg.norm(tr.grads, axis=-1)
        u = np.linalg.norm(tr.updates, axis=-1)
        t = int(np.argmax(g[1:])) + 1
        assert abs(tr.positions[t, 0]) < 0.5  # the steepest point is the cliff at x = 0
        assert f"at step {t + 1}: |g| = {fmt(g[t])}" in text  # the inspector's step
        assert f"{times(u[t] / u[t - 1])} the step before" in text
        if key == "sgd":
            assert u[t] / u[t - 1] >= 10
        if key == "adadelta":
            assert u[t] / u[t - 1] <= 1 / math.sqrt(1 - hp["rho"])


# ---------------------------------------------------------------------------
# 8. Noisy gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_noisy_gradients_across_seeds(seed):
    lesson = lessons.get("noisy_gradients")
    r = lesson.scene.replace(seed=seed).runs()
    assert lesson.check(r)
    n = round(0.2 * (r["sgd"].steps + 1))
    for key in ("sgd", "rmsprop", "adagrad"):
        assert np.mean(r["adadelta"].loss_gap[-n:]) < np.mean(r[key].loss_gap[-n:])


def test_noisy_text_numbers(runs, texts):
    r = runs["noisy_gradients"]
    n = round(0.2 * (r["sgd"].steps + 1))
    for tr in r.values():
        assert f"mean f − f_min {fmt(np.mean(tr.loss_gap[-n:]))}" in texts["noisy_gradients"]
    assert "in 5 of 5" in texts["noisy_gradients"]


def test_noisy_says_which_way_adadeltas_rate_goes(runs, texts):
    """The panel shows ADADELTA's rate rising as RMS[g] falls to the noise level; the text
    used to say it fell."""
    ad = runs["noisy_gradients"]["adadelta"]
    n = round(0.2 * ad.steps)
    early = np.nanmedian(ad.step_factor[:n], axis=0)
    late = np.nanmedian(ad.step_factor[-n:], axis=0)
    assert np.all(late > 1.5 * early)
    text = texts["noisy_gradients"]
    assert "**rises**" in text and f"median {fmt(early[0])} in x" in text
    eps = ad.optimizer.hyperparams["eps"]
    rms_g = np.sqrt(ad.states.sq_grad_avg[-1] + eps)
    assert np.all(np.abs(rms_g - ad.noise) < 0.1 * ad.noise)  # at the noise level σ
    assert "rate rises as RMS[g] falls" in lessons.get("noisy_gradients").look_at


# ---------------------------------------------------------------------------
# 9. ε warm-up
# ---------------------------------------------------------------------------


def test_eps_first_step_is_the_formula(runs, texts):
    ad = runs["eps_warmup"]["adadelta"]
    rho, eps = ad.optimizer.hyperparams["rho"], ad.optimizer.hyperparams["eps"]
    for d in range(2):
        g = float(ad.grads[0, d])
        expected = -math.sqrt(eps) * g / math.sqrt((1 - rho) * g * g + eps)
        assert abs(ad.updates[0, d] - expected) <= 1e-15 * abs(expected)
        assert abs(ad.updates[0, d]) == pytest.approx(math.sqrt(eps / (1 - rho)), rel=1e-3)
    assert np.all(np.diff(ad.effective_lr[:11], axis=0) > 0)
    text = texts["eps_warmup"]
    assert f"Δx = ({fmt(ad.updates[0, 0])}, {fmt(ad.updates[0, 1])})" in text
    assert f"√(ε/(1−ρ)) = {fmt(math.sqrt(eps / (1 - rho)))}" in text
    for value in lessons.EPS_VALUES:
        assert f"| {fmt(value)} | {fmt(math.sqrt(value / (1 - rho)))} |" in text


def test_eps_text_follows_the_settings():
    lesson = lessons.get("eps_warmup")
    s = lesson.scene.with_hp("adadelta", {"rho": 0.9, "eps": 1e-4})
    r = s.runs()
    text = lesson.explain(s, r)
    assert f"√(ε/(1−ρ)) = {fmt(math.sqrt(1e-4 / 0.1))}" in text
    assert lesson.check(r)  # the formula holds for any ρ, ε


# ---------------------------------------------------------------------------
# 10. Saddle
# ---------------------------------------------------------------------------


def test_saddle_escape_steps(runs, texts):
    r = runs["saddle"]
    steps = {}
    for key, tr in r.items():
        y = np.abs(tr.positions[:, 1])
        hits = np.flatnonzero(y > 1)
        steps[key] = int(hits[0]) if hits.size else None
        assert f"| {optimizers.get(key).display_name} | {steps[key]} |" in texts["saddle"]
    assert steps["adadelta"] is not None and steps["sgd"] is not None
    assert steps["adadelta"] < steps["sgd"]
    # SGD slides to the saddle first; ADADELTA leaves while still far from it
    assert abs(r["sgd"].positions[steps["sgd"], 0]) < 0.01
    assert abs(r["adadelta"].positions[steps["adadelta"], 0]) > 1


# ---------------------------------------------------------------------------
# 11. The price
# ---------------------------------------------------------------------------


def test_memory_table_exact():
    table = lessons.memory_table()
    assert [k for k, _ in table] == optimizers.names()
    assert dict(table) == {
        "sgd": 0,
        "momentum": 1,
        "nesterov": 1,
        "adagrad": 1,
        "adadelta": 2,
        "rmsprop": 1,
        "adam": 2,
    }


def test_price_oscillation(runs, texts):
    ad = runs["the_price"]["adadelta"]
    n = round(0.25 * ad.steps)
    u = ad.updates[-n:]
    share = np.mean(np.sign(u[1:]) != np.sign(u[:-1]), axis=0)
    assert np.all(share >= 0.5)
    best = int(np.argmin(ad.loss_gap))
    assert gap(ad) > 10 * ad.loss_gap[best]
    for key, tr in runs["the_price"].items():
        if key != "adadelta":
            assert gap(tr) < gap(ad)  # the others keep converging
    text = texts["the_price"]
    assert f"{fmt(ad.loss_gap[best])} of the minimum at step {best}" in text
    assert f"{pct(share[0])} of the steps in x" in text
    assert "| ADADELTA | 2 |" in text and "| SGD | 0 |" in text


def test_price_names_the_eps_floor_and_the_stability_limit(runs, texts):
    """§4.3's mechanism, recomputed: the rate RMS[Δx]/RMS[g] passes the stability limit of
    a gradient step at the minimum while E[Δx²] ≪ ε, and the run ends on that limit."""
    ad = runs["the_price"]["adadelta"]
    eps = ad.optimizer.hyperparams["eps"]
    minimum = min(ad.objective.minima, key=lambda m: np.hypot(*(ad.positions[-1] - m.point)))
    h = ad.objective.hessian(np.array(minimum.point))
    radius = [max(abs(np.linalg.eigvals(np.eye(2) - np.diag(r) @ h))) for r in ad.effective_lr]
    crossed = int(np.flatnonzero(np.array(radius) > 1)[0])
    assert np.all(ad.states.sq_step_avg[crossed] < 0.1 * eps)  # RMS[Δx] on its √ε floor
    best = int(np.argmin(ad.loss_gap))
    assert abs(crossed - best) < 10  # the oscillation starts where the rate passes the limit
    assert abs(radius[-1] - 1) < 0.01
    lam = float(np.linalg.eigvalsh(h).max())
    text = texts["the_price"]
    assert f"It passed 1 at step {crossed + 1}" in text
    assert f"2/λ = {fmt(2 / lam)}" in text
    assert "memory of earlier" not in text  # the old, wrong mechanism
    # on the plain quadratic with ε = 1e-4: back up by many orders, x's rate at 1 (§4.3)
    q = lessons.the_price._quadratic_run()
    assert q.loss_gap[-1] > 1e20 * np.min(q.loss_gap)
    assert q.effective_lr[-1, 0] == pytest.approx(1.0, abs=1e-3)
    assert q.effective_lr[-1, 1] == pytest.approx(0.02, rel=1e-3)
    assert f"climbs back to {fmt(q.loss_gap[-1])} by step {q.steps}" in text


# ---------------------------------------------------------------------------
# Any settings: text, never an exception
# ---------------------------------------------------------------------------


def variants(s: Scene) -> dict[str, Scene]:
    out = {
        f"without {k}": s.replace(optimizers=tuple(o for o in s.optimizers if o != k))
        for k in s.optimizers
    }
    out["none"] = s.replace(optimizers=())
    out["only adadelta"] = s.replace(optimizers=("adadelta",))
    out["rho 0.5"] = s.with_hp("adadelta", {"rho": 0.5, "eps": 1e-6})
    out["diverging sgd"] = s.replace(
        optimizers=tuple(dict.fromkeys((*s.optimizers, "sgd")))
    ).with_hp("sgd", {"lr": 10.0})
    out["other objective"] = s.replace(
        objective="rosenbrock", formula="", bounds=None, start=(-1.5, 2.0)
    )
    out["no minimum"] = s.replace(
        objective="monkey_saddle", formula="", bounds=None, start=(1.5, 0.1)
    )
    out["noise"] = s.replace(noise=0.5, seed=3)
    out["few steps"] = s.replace(steps=12)
    out["too few steps"] = s.replace(steps=2)
    return out


@pytest.mark.parametrize("key", lessons.names())
def test_explain_survives_modified_settings(key):
    lesson = lessons.get(key)
    for name, s in variants(lesson.scene).items():
        r = s.runs()
        text = lesson.explain(s, r)
        assert isinstance(text, str) and text.strip(), (key, name)
        assert FALLBACK not in text, (key, name, text)
        if all(tr.steps >= lessons.MIN_STEPS for tr in r.values()):
            # the raw function too: no exception, no RuntimeWarning (an error under pytest)
            assert lesson.explain.__wrapped__(s, r) == text
        assert isinstance(lesson.check(r), bool)


def test_the_shared_sentences_and_tables():
    none = "No optimizer is selected."
    for key in lessons.names():
        lesson = lessons.get(key)
        s = lesson.scene.replace(optimizers=())
        compares_runs = key not in (
            "adagrad_decay",
            "adagrad_bad_start",
            "eps_warmup",
            "the_price",
            "paper_experiment",  # its numbers are the network's, not the 2-D runs'
        )
        assert (lesson.explain(s, {}) == none) is compares_runs, key
    table = lessons.text._table(["a", "b", "c"], [(1, "x", ""), ("y", 2.5, 0)])
    assert table == "| a | b | c |\n|---|---|---|\n| 1 | x | |\n| y | 2.5 | 0 |"


def test_explain_names_a_missing_optimizer_and_a_divergence():
    lesson = lessons.get("adagrad_decay")
    s = lesson.scene.replace(optimizers=("adadelta",))
    assert "**ADAGRAD** is not in this comparison" in lesson.explain(s, s.runs())
    s = lesson.scene.with_hp("adagrad", {"lr": 1e7})
    r = s.runs()
    assert r["adagrad"].diverged_at >= 0
    assert f"diverged at step {r['adagrad'].diverged_at}" in lesson.explain(s, r)
    assert not lesson.check(r)


def test_explanation_follows_the_runs_not_a_stored_text(runs):
    lesson = lessons.get("adagrad_decay")
    s = lesson.scene.with_hp("adagrad", {"lr": 0.1})
    r = s.runs()
    text = lesson.explain(s, r)
    ratio = r["adagrad"].effective_lr[-1] / r["adagrad"].effective_lr[0]
    assert pct(ratio[0]) in text and "(η = 0.1)" in text
    assert text != lesson.explain(lesson.scene, runs["adagrad_decay"])


def test_a_typed_formula_objective():
    s = Scene(
        objective="custom",
        formula="x^2 + 3*y^2",
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.0, 1.0),
        steps=20,
        optimizers=("sgd", "adadelta"),
    )
    r = s.runs()
    assert r["sgd"].values[0] == pytest.approx(4.0)
    assert s.base_objective().bounds == ((-2.0, 2.0), (-2.0, 2.0))
    assert FALLBACK not in lessons.get("saddle").explain(s, r)


# ---------------------------------------------------------------------------
# The fair-comparison rule (lessons.fair)
# ---------------------------------------------------------------------------


def test_every_baseline_is_set_against_its_stated_sweep():
    """Each lesson with a baseline says how its learning rate relates to the best of the
    stated sweep on its own scene — numbers from independent single runs."""
    from optviz.lessons import fair

    for key in lessons.names():
        lesson = lessons.get(key)
        runs = lesson.scene.runs()
        text = lesson.markdown(lesson.scene, runs)
        baselines = [k for k in runs if fair.has_own_rate(k)]
        if key in ("no_learning_rate", "insensitive", "paper_experiment"):
            continue  # their own sweeps are the lesson (checked above)
        assert "**Fair comparison.**" in text, key
        if key in ("units", "saddle"):
            continue  # a stated rule (the probe does not depend on η); escape steps (below)
        for k in baselines:
            tr = runs[k]
            hp = dict(tr.optimizer.hyperparams)
            finals = {}
            for lr in sorted({*fair.TUNING_RATES, float(hp["lr"])}):
                one = ov.run(
                    tr.objective,
                    optimizers.build(k, **{**hp, "lr": lr}),
                    tuple(tr.positions[0]),
                    tr.steps,
                    seed=tr.seed,
                    noise=tr.noise,
                )
                if one.diverged_at < 0:
                    gaps = one.loss_gap
                    if key == "noisy_gradients":  # its own measure: the last 20 %
                        finals[lr] = float(np.mean(gaps[-round(0.2 * len(gaps)) :]))
                    else:
                        finals[lr] = float(gaps[-1])
            low = min(finals.values())
            tied = [lr for lr, f in finals.items() if f == low]
            best = float(hp["lr"]) if float(hp["lr"]) in tied else min(tied)
            name = optimizers.get(k).display_name
            verb = (
                "gives a mean f − f_min over the last 20 % of"
                if key == "noisy_gradients"
                else "ends at"
            )
            if best == float(hp["lr"]):
                others = [fmt(lr) for lr in sorted(tied) if lr != best]
                tie = f" (tied with η = {', '.join(others)})" if others else ""
                assert f"{name}'s η = {fmt(hp['lr'])} is the best of the sweep{tie}." in text, key
            else:
                assert (
                    f"{name}'s η = {fmt(hp['lr'])} is *not* the best of the sweep: η = "
                    f"{fmt(best)} {verb} {fmt(finals[best])}" in text
                ), key
            ad = runs.get("adadelta")
            ad_score = (
                None
                if ad is None or ad.diverged_at >= 0
                else float(np.mean(ad.loss_gap[-round(0.2 * len(ad.loss_gap)) :]))
                if key == "noisy_gradients"
                else float(ad.loss_gap[-1])
            )
            if ad_score is not None and finals[best] < ad_score:
                assert "a tuned baseline wins, and what ADADELTA buys is not having to tune" in (
                    text
                ), key


def test_a_lesson_beyond_the_paper_says_so():
    saddle = lessons.get("saddle")
    assert saddle.beyond_paper
    assert saddle.markdown().startswith("*Beyond the paper:*")
    assert lessons.get("adagrad_decay").markdown().startswith("*The paper:*")


def test_follow_ups_make_the_scenes_their_buttons_name():
    from optviz.lessons.per_dimension import rotate_point, turned_scene

    five = lessons.get("per_dimension")
    (turn,) = five.follow_ups
    assert turn.available(five.scene)
    turned = turn.scene(five.scene)
    assert turned.objective == "rotated_ill_conditioned"
    assert turned.start == pytest.approx(rotate_point(five.scene.start), abs=1e-6)
    rot = objectives.get("rotated_ill_conditioned")
    plain = objectives.get("ill_conditioned")
    assert rot.value(np.array(turned.start)) == pytest.approx(
        plain.value(np.array(five.scene.start)), rel=1e-5
    )
    back = turned_scene(turned)  # and back again
    assert back.objective == "ill_conditioned"
    assert back.start == pytest.approx(five.scene.start, abs=1e-5)
    assert not turn.available(five.scene.replace(objective="booth"))

    six = lessons.get("units")
    other_way, _ = six.follow_ups
    assert other_way.scene(six.scene).transform == Transform(stretch=0.1)
    assert other_way.scene(other_way.scene(six.scene)).transform == Transform(stretch=10.0)

    eleven = lessons.get("the_price")
    (quad,) = eleven.follow_ups
    q = quad.scene(eleven.scene)
    assert (q.objective, q.steps, q.hp("adadelta")["eps"]) == ("ill_conditioned", 5000, 1e-4)
    assert not quad.available(q)
    text = eleven.explain(q, q.runs())
    assert "came within" in text and "ends at" in text  # the same oscillation, on screen


def test_large_gradient_says_who_got_there_first(runs, texts):
    """On the cliff SGD's leap helps it (past the cliff at step ~17, ADADELTA at ~679) and
    no rate of the fair sweep diverges: the lesson says so instead of implying a disaster."""
    from optviz.lessons.fair import tuning
    from optviz.lessons.large_gradient import crossing_step

    r = runs["large_gradient"]
    t_sgd, t_ad = crossing_step(r["sgd"]), crossing_step(r["adadelta"])
    x = r["sgd"].positions[:, 0]
    assert x[t_sgd] > 0 and x[t_sgd - 1] <= 0 and 0 < t_sgd < t_ad
    text = texts["large_gradient"]
    assert f"SGD is past the cliff at step {t_sgd}, ADADELTA at step {t_ad}" in text
    assert "Here SGD's leap *helped*" in text
    assert tuning(r["sgd"]).diverged == 0
    assert "a protection this cliff does not need" in text


def test_adagrad_decay_holds_across_the_sweep_and_says_where_it_stalls(runs, texts):
    from optviz.lessons.fair import TUNING_RATES

    ag = runs["adagrad_decay"]["adagrad"]
    hp = dict(ag.optimizer.hyperparams)
    ratios, finals = [], {}
    for lr in sorted({*TUNING_RATES, hp["lr"]}):
        one = ov.run(
            ag.objective, optimizers.adagrad(**{**hp, "lr": lr}), ag.positions[0], ag.steps
        )
        assert one.diverged_at < 0
        ratios.append(one.effective_lr[-1] / one.effective_lr[0])
        finals[lr] = float(one.loss_gap[-1])
    ratios = np.array(ratios)
    assert np.all(ratios < 1)  # the decay, at every rate
    text = texts["adagrad_decay"]
    assert f"fell at every one, to {pct(ratios.min())}–{pct(ratios.max(axis=1).max())}" in text
    stalled = max(lr for lr, f in finals.items() if f > 1)
    reached = min(lr for lr, f in finals.items() if f < 1e-6)
    assert f"with η ≤ {fmt(stalled)} it ends above f − f_min = 1" in text
    assert f"with η ≥ {fmt(reached)} it reaches" in text


def test_bad_start_says_for_which_rates_the_memory_costs(texts):
    from optviz.lessons.adagrad_bad_start import sweep_memory

    ag = lessons.get("adagrad_bad_start").scene.run("adagrad")
    rows = dict(sweep_memory(ag))
    assert rows[1e-5] is None and rows[0.003] is None  # no steep phase ends
    assert np.all(rows[0.01] > 10) and np.all(rows[0.05] > 10)  # the claim
    assert not np.all(rows[0.1] > 10) and np.all(rows[1.0] < 1)  # a large η: little memory
    text = texts["adagrad_bad_start"]
    assert "with η from 0.01 to 0.05 the restart's rate is" in text
    assert "with η ∈ {0.1, 0.3, 1} only" in text


# ---------------------------------------------------------------------------
# The audit: one notch of any slider either keeps the claim or the panel says it broke
# ---------------------------------------------------------------------------


def _notches(lesson):
    """Every scene one notch away from the lesson's on one optimizer's hyperparameter."""
    from optviz.ui.state import options_for, snap

    scene = lesson.scene
    for key in scene.optimizers:
        hp = scene.hp(key, paper=False)
        for param in optimizers.get(key).hyperparams:
            opts = options_for(param)
            if not opts or param.name not in hp:
                continue
            at = opts.index(snap(hp[param.name], opts))
            for step in (-1, 1):
                if 0 <= at + step < len(opts):
                    yield key, param.name, scene.with_hp(key, {**hp, param.name: opts[at + step]})


@pytest.mark.parametrize("key", [k for k in lessons.names() if k != "paper_experiment"])
def test_one_notch_of_any_slider_keeps_the_claim_or_the_panel_says_it_broke(key):
    from optviz.ui.lessons_view import verdict

    lesson = lessons.get(key)
    assert lesson.check(lesson.scene.runs())
    moved = 0
    for opt, name, scene in _notches(lesson):
        runs = scene.runs()
        text = lesson.markdown(scene, runs)
        assert lessons.FALLBACK not in text, (opt, name)
        holds = lesson.check(runs)
        line = verdict(holds, own=False)
        assert holds or "Its claim does not hold with them." in line, (opt, name)
        moved += 1
    assert moved >= 2 or key == "units"  # every lesson has sliders to move


def test_the_saddles_fair_comparison_is_in_escape_steps():
    from optviz.lessons.fair import TUNING_RATES
    from optviz.lessons.saddle import escape_step

    scene = lessons.get("saddle").scene
    runs = scene.runs()
    ad = escape_step(runs["adadelta"])
    text = lessons.get("saddle").markdown(scene, runs)
    assert f"ADADELTA, with no rate to tune, escapes at step {ad}." in text
    sgd = runs["sgd"]
    escapes = {}
    for lr in sorted({*TUNING_RATES, 0.05}):
        one = ov.run(sgd.objective, optimizers.sgd(lr=lr), sgd.positions[0], sgd.steps)
        escapes[lr] = escape_step(one)
    before = min(lr for lr, t in escapes.items() if t is not None and t < ad)
    assert f"SGD escapes from η = {fmt(min(lr for lr, t in escapes.items() if t))} on" in text
    assert f"it escapes before ADADELTA with η ≥ {fmt(before)}" in text
    assert escapes[0.05] > ad  # at the lesson's η ADADELTA is first; tuned, it is not


def test_the_saddle_says_when_adadelta_is_not_first(texts):
    from optviz.lessons.saddle import escape_step

    runs = lessons.get("saddle").scene.runs()
    esc = {k: escape_step(tr) for k, tr in runs.items()}
    text = texts["saddle"]
    ahead = [k for k, t in esc.items() if k != "adadelta" and t is not None and t < esc["adadelta"]]
    assert ahead  # RMSprop, at the lesson's η
    assert "ADADELTA is not first here" in text
    for k in ahead:
        assert f"{optimizers.get(k).display_name} escapes earlier (step {esc[k]})" in text
    assert f"ADAGRAD, also per-dimension, needs {esc['adagrad']}" in text


def test_large_gradient_and_per_dimension_say_how_their_claims_fare_across_the_sweep(texts):
    from optviz.lessons.large_gradient import leaps
    from optviz.lessons.per_dimension import adagrad_sweep

    sgd = lessons.get("large_gradient").scene.run("sgd")
    rows = leaps(sgd)
    big = [lr for lr, _c, r in rows if r is not None and r >= 10]
    assert big == [0.1]  # the leap the lesson shows needs its η
    text = texts["large_gradient"]
    assert "A tenfold leap happens at η = 0.1 only." in text
    assert "The slider's η = 0.1 was chosen to show it." in text
    ag = lessons.get("per_dimension").scene.run("adagrad")
    sweep = [(lr, t) for lr, t in adagrad_sweep(ag) if t is not None]
    assert all(t[0] > 5 and t[0] > 3 * t[1] for _lr, t in sweep)  # lopsided at every rate
    worse = [lr for lr, t in sweep if t[3] > 10 * t[2]]
    assert min(worse) == 0.1 and "ends over 10× higher only with η ≥ 0.1" in texts["per_dimension"]


def test_units_compares_with_the_untransformed_runs_and_its_text_stays_about_its_own():
    six = lessons.get("units")
    _, follow = six.follow_ups
    assert follow.available(six.scene)
    both = follow.scene(six.scene)
    assert not follow.available(both)
    assert both.untransformed == ("adadelta~2", "adagrad~2", "sgd~2")
    runs = both.runs()
    for key in six.scene.optimizers:  # each beside itself on the original f
        original = six.scene.replace(transform=Transform()).run(key)
        np.testing.assert_array_equal(runs[f"{key}~2"].positions, original.positions)
    text = six.markdown(both, runs)
    assert (
        text.replace(
            "\n\n*Also on the picture, and not in this text:* SGD (untransformed), ADAGRAD "
            "(untransformed), ADADELTA (untransformed).",
            "",
        )
        == six.markdown()
    )
    assert six.holds(both, runs) == six.holds()


def test_eps_warmup_puts_a_larger_eps_beside_adadelta_and_keeps_it_in_focus():
    from optviz.ui.compute import scene_paths

    nine = lessons.get("eps_warmup")
    (larger,) = nine.follow_ups
    both = larger.scene(nine.scene)
    assert both.optimizers == ("sgd", "adadelta", "adadelta~2")
    assert both.hp("adadelta~2")["eps"] == pytest.approx(1e-4)
    first = [np.abs(both.run(k).updates[0]) for k in ("adadelta", "adadelta~2")]
    np.testing.assert_allclose(first[1] / first[0], 10.0, rtol=1e-3)  # √100: the warm-up
    dimmed = {p.key: p.dimmed for p in scene_paths(both, nine.focus)}
    assert dimmed == {"sgd": True, "adadelta": False, "adadelta~2": False}
    assert not larger.available(both)


def test_per_dimension_says_how_far_the_first_steps_leave_minus_g_here_and_turned():
    """Lesson 5's paragraph on the arrows: over the first ten steps ADADELTA's step is far
    off −g on the aligned valley (its gradient's components differ over 10×, its step's
    are equal within 10 %) and nearly along −g on the turned one; the text gives the
    angles the runs have, whichever valley the scene is on."""
    from optviz.lessons.per_dimension import rotated_run, step_angles, turned_scene

    lesson = lessons.get("per_dimension")
    for scene in (lesson.scene, turned_scene(lesson.scene)):
        runs = scene.runs()
        tr = runs["adadelta"]
        g, d = tr.grads[:10], tr.updates[:10]
        angle = np.degrees(np.arccos(np.sum(-g * d, 1) / np.hypot(*g.T) / np.hypot(*d.T)))
        here, turned = step_angles(tr), step_angles(rotated_run(tr))
        assert here[0] == pytest.approx(float(np.median(angle)))
        aligned, rotated = (here, turned) if scene is lesson.scene else (turned, here)
        assert aligned[0] > 30 and rotated[0] < 5
        assert aligned[1] > 10 and aligned[2] < 1.1 and rotated[1] < 1.2
        text = lesson.explain(scene, runs)
        assert (
            f"points {here[0]:.0f}° away from −g here and {turned[0]:.0f}° on the turned"
        ) in text
        assert "Press 3 on the chart" in text
