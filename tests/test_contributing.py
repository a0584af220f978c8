"""CONTRIBUTING.md's example of a new optimizer runs as written, and works."""

from __future__ import annotations

import pathlib
import re

import numpy as np

import optviz as ov
from optviz import inspector, objectives, optimizers

DOC = pathlib.Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def test_the_optimizer_example_registers_runs_and_is_inspected():
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[:1]
    assert "sign_momentum" not in optimizers.REGISTRY
    try:
        exec(compile(code, str(DOC), "exec"), {"__name__": "contributing_example"})
        spec = optimizers.get("sign_momentum")
        f = objectives.get("booth")
        one = ov.run(f, spec.build(), f.start, 100)
        nine = ov.run(f, spec.build(), np.array([f.start] * 9), 100)
        np.testing.assert_array_equal(one.positions, nine.positions[:, 3])
        assert one.loss_gap[-1] < one.loss_gap[0]
        assert inspector.step_details(one, 10).reproduces
    finally:
        optimizers.REGISTRY.pop("sign_momentum", None)
