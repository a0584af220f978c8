"""optviz's optimizers against torch.optim, one teacher-forced step at a time.

tests/data/torch_reference.json was written by tests/make_torch_reference.py with torch's
portable CPU kernels (ATEN_CPU_CAPABILITY=default, so no fused multiply-add). For each
recorded step we load torch's state *before* the step into optviz, feed the same gradient,
take one optviz step and compare with torch's parameter and state *after* it.

* SGD: equal to the last bit (no square root involved).
* ADAGRAD, ADADELTA, RMSprop, Adam: the same operations in the same order as torch, and
  equal to the last bit wherever torch's square root is correctly rounded. torch's CPU
  ``sqrt`` on float64 goes through MKL's vector math, which is off by one ulp for about
  1-2 % of arguments, so a few components differ by a couple of ulps; we require at least
  90 % of all compared numbers to be bit-identical and the rest within 4 ulps.
* Momentum: optviz keeps the paper's velocity v = -lr*b where torch keeps b, so the step is
  equal up to the rounding of that product (within a few ulps of the step).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import optviz as ov

DATA = json.loads((pathlib.Path(__file__).parent / "data" / "torch_reference.json").read_text())
CASES = {case["id"]: case for case in DATA["cases"]}


def unhex(values: list[str], shape: tuple[int, ...]) -> np.ndarray:
    return np.array([float.fromhex(v) for v in values]).reshape(shape)


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units of b's last place (0 where both are equal, NaN pairs included)."""
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        dist = np.abs(a - b) / np.spacing(np.abs(b))
    return np.where(same, 0.0, dist)


def teacher_forced(case: dict):
    """Yield (ours_after, torch_after, ours_update, torch_update) per recorded step."""
    opt = ov.optimizers.build(case["optimizer"], **case["hyperparams"])
    shape = np.shape(DATA["starts"])
    for step in case["steps"]:
        param = unhex(step["before"]["param"], shape)
        grad = unhex(step["grad"], shape)
        if not (np.isfinite(param).any() and np.isfinite(grad).any()):
            continue  # every row has diverged (rows are independent, NaN rows compare equal)
        state = opt.init(param)
        before = step["before"]["state"]
        fields = {}
        for name in state._fields:
            if name == "count":
                fields[name] = np.full(shape, before.get("count", 0.0))
            elif name == "velocity":
                buf = before.get("momentum_buffer")
                lr = case["hyperparams"]["lr"]
                fields[name] = -lr * unhex(buf, shape) if buf else np.zeros(shape)
            elif name in before:
                fields[name] = unhex(before[name], shape)
            else:  # torch creates its state lazily at the first step
                fields[name] = getattr(state, name)
        state = type(state)(**fields)
        with np.errstate(all="ignore"):  # rows that have diverged carry inf/NaN
            update, new_state = opt.update(grad, state)
        ours = {"param": param + update}
        theirs = {"param": unhex(step["after"]["param"], shape)}
        for name in new_state._fields:
            after = step["after"]["state"]
            if name == "count":
                ours[name] = getattr(new_state, name)
                theirs[name] = np.full(shape, after["count"])
            elif name in after:
                ours[name] = getattr(new_state, name)
                theirs[name] = unhex(after[name], shape)
        yield ours, theirs, update


def test_reference_was_made_with_portable_kernels():
    assert DATA["aten_cpu_capability"] == "default"
    assert len(DATA["cases"]) == 11


def test_sgd_equals_torch_to_the_last_bit():
    compared = 0
    for ours, theirs, _ in teacher_forced(CASES["sgd"]):
        np.testing.assert_array_equal(ours["param"], theirs["param"])
        compared += 1
    assert compared == 60


@pytest.mark.parametrize(
    "case_id",
    [
        "adagrad",
        "adagrad_g0",
        "adadelta",
        "adadelta_rho0.9_eps1e-4",
        "adadelta_lr0.5",
        "rmsprop",
        "adam",
        "adam_beta1_0.6",
    ],
)
def test_adaptive_optimizers_equal_torch_up_to_its_sqrt(case_id):
    exact = total = 0
    worst = 0.0
    for ours, theirs, _ in teacher_forced(CASES[case_id]):
        assert ours.keys() == theirs.keys()
        assert len(ours) >= 2, "the state must be compared, not only the parameter"
        for name in ours:
            d = ulps(ours[name], theirs[name])
            exact += int((d == 0).sum())
            total += d.size
            worst = max(worst, float(np.nanmax(d)))
    assert total > 0
    assert worst <= 4, f"{case_id}: worst difference {worst} ulps"
    assert exact / total >= 0.90, f"{case_id}: only {exact}/{total} bit-identical"


@pytest.mark.parametrize("case_id", ["momentum", "nesterov"])
def test_momentum_equals_torch_up_to_rounding_of_the_velocity(case_id):
    compared = 0
    for ours, theirs, update in teacher_forced(CASES[case_id]):
        finite = np.isfinite(theirs["param"])
        np.testing.assert_array_equal(finite, np.isfinite(ours["param"]))
        tol = 2 * np.spacing(np.abs(theirs["param"])) + 8 * np.spacing(np.abs(update))
        with np.errstate(all="ignore"):
            gap = np.abs(ours["param"] - theirs["param"])
        assert np.all(gap[finite] <= tol[finite])
        compared += 1
    assert compared >= 40
