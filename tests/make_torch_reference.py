"""Regenerate tests/data/torch_reference.json: single steps computed by torch.optim itself.

Not part of the test suite (torch is not a dependency of optviz). Run it where torch is
installed, from the repository root, with torch's portable CPU kernels::

    ATEN_CPU_CAPABILITY=default python tests/make_torch_reference.py

Why ``ATEN_CPU_CAPABILITY=default``: torch's AVX2/AVX-512 kernels let the compiler fuse
``a + b*c`` into one FMA instruction, so on such CPUs torch differs from its own portable
build in the last bit. The portable kernels do one IEEE operation at a time, as optviz does.

For each case a ``torch.optim`` optimizer runs on a float64 parameter of shape (B, 2) on
Rosenbrock, fed at every step the gradient optviz's objective gives at the current point.
Every step is recorded *teacher-forced*: the parameter, gradient and optimizer state
before the step and after it, as ``float.hex`` strings. tests/test_torch_reference.py
loads torch's state before each step into optviz, takes one step and compares.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import optviz as ov

CASES = [
    # (case id, optviz key, optviz hyperparameters, torch class, torch kwargs)
    ("sgd", "sgd", {"lr": 1e-3}, torch.optim.SGD, {"lr": 1e-3}),
    (
        "momentum",
        "momentum",
        {"lr": 1e-3, "beta": 0.9},
        torch.optim.SGD,
        {"lr": 1e-3, "momentum": 0.9},
    ),
    (
        "nesterov",
        "nesterov",
        {"lr": 1e-3, "beta": 0.9},
        torch.optim.SGD,
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    ),
    ("adagrad", "adagrad", {"lr": 0.1}, torch.optim.Adagrad, {"lr": 0.1}),
    (
        "adagrad_g0",
        "adagrad",
        {"lr": 0.5, "eps": 1e-6, "initial_accumulator": 0.3},
        torch.optim.Adagrad,
        {"lr": 0.5, "eps": 1e-6, "initial_accumulator_value": 0.3},
    ),
    (
        "adadelta",
        "adadelta",
        {"rho": 0.95, "eps": 1e-6},
        torch.optim.Adadelta,
        {"lr": 1.0, "rho": 0.95, "eps": 1e-6},
    ),
    (
        "adadelta_rho0.9_eps1e-4",
        "adadelta",
        {"rho": 0.9, "eps": 1e-4},
        torch.optim.Adadelta,
        {"lr": 1.0, "rho": 0.9, "eps": 1e-4},
    ),
    (
        "adadelta_lr0.5",
        "adadelta",
        {"rho": 0.95, "eps": 1e-6, "lr": 0.5},
        torch.optim.Adadelta,
        {"lr": 0.5, "rho": 0.95, "eps": 1e-6},
    ),
    (
        "rmsprop",
        "rmsprop",
        {"lr": 0.01, "rho": 0.9},
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9},
    ),
    ("adam", "adam", {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
    (
        "adam_beta1_0.6",
        "adam",
        {"lr": 0.05, "beta1": 0.6, "beta2": 0.99},
        torch.optim.Adam,
        {"lr": 0.05, "betas": (0.6, 0.99)},
    ),
]

# torch's state names -> optviz's state fields (torch's momentum buffer b is kept as is:
# the test converts it, since optviz's velocity is v = -lr * b).
STATE_NAMES = {
    "momentum_buffer": "momentum_buffer",
    "sum": "grad_sq_sum",
    "square_avg": "sq_grad_avg",
    "acc_delta": "sq_step_avg",
    "exp_avg": "first_moment",
    "exp_avg_sq": "second_moment",
}

STARTS = [[-1.5, 2.0], [0.0, 0.5], [1.8, -0.5]]
STEPS = 60


def hexes(a: np.ndarray) -> list:
    return [float(v).hex() for v in np.ravel(a)]


def record(case: tuple, objective: ov.Objective) -> list[dict]:
    _, _, _, cls, kwargs = case
    param = torch.tensor(STARTS, dtype=torch.float64, requires_grad=True)
    opt = cls([param], **kwargs)

    def state() -> dict:
        st = opt.state.get(param, {})
        out = {STATE_NAMES[k]: hexes(v.detach().numpy()) for k, v in st.items() if k in STATE_NAMES}
        if "step" in st:
            out["count"] = float(st["step"])
        return out

    steps = []
    for _ in range(STEPS):
        before = {"param": hexes(param.detach().numpy()), "state": state()}
        grad = objective.grad(param.detach().numpy())
        param.grad = torch.from_numpy(np.ascontiguousarray(grad))
        opt.step()
        steps.append(
            {
                "before": before,
                "grad": hexes(grad),
                "after": {"param": hexes(param.detach().numpy()), "state": state()},
            }
        )
    return steps


def main() -> None:
    torch.set_default_dtype(torch.float64)
    objective = ov.objectives.get("rosenbrock")
    data = {
        "torch_version": torch.__version__,
        "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY", "(unset)"),
        "starts": STARTS,
        "cases": [
            {
                "id": case[0],
                "optimizer": case[1],
                "hyperparams": case[2],
                "steps": record(case, objective),
            }
            for case in CASES
        ],
    }
    path = pathlib.Path(__file__).parent / "data" / "torch_reference.json"
    path.write_text(json.dumps(data, separators=(",", ":")))
    print(f"wrote {len(data['cases'])} cases to {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
