"""The compiled sweep engine equals the NumPy sweep: every optimizer on several objectives.

Divergence flags, ``diverged_at`` and ``steps_to_tol`` must be equal exactly, the values
within ``compiled.ULP_BOUND`` ulps (the bound the module states). Each (optimizer,
objective) pair compiles a kernel once (a few seconds; numba caches it on disk, under
``OPTVIZ_CACHE_DIR`` when set).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("numba")

from optviz import compiled, objectives, optimizers, sweeps
from optviz.formula import from_expression
from optviz.objectives import X, Y

STEPS = 150
OPTIMIZERS = [key for key in optimizers.names() if key in optimizers.REGISTRY]
CATALOGUE = ["rosenbrock", "rastrigin", "noisy_quadratic"]
FORMULA = "abs(x) + (y - 1)^2 / 2 + sin(3*x*y) / 4"


def ulps(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference between ``a`` and ``b`` in units of the last place; NaN must
    be NaN in both (and ±inf equal)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(a) & np.isfinite(b)
    assert np.array_equal(a[~finite & ~np.isnan(a)], b[~finite & ~np.isnan(b)])
    if not finite.any():
        return 0.0
    big = np.maximum(np.abs(a[finite]), np.abs(b[finite]))
    return float(np.max(np.abs(a[finite] - b[finite]) / np.spacing(big)))


def assert_same(numpy_result: sweeps.SweepResult, compiled_result: sweeps.SweepResult) -> float:
    """Exact on the integers and flags, within the bound on the values; returns the
    largest difference seen, in ulps."""
    for name in ("diverged", "diverged_at", "steps_to_tol"):
        np.testing.assert_array_equal(
            getattr(compiled_result, name), getattr(numpy_result, name), err_msg=name
        )
    worst = 0.0
    for name in ("final_value", "best_value", "final_distance"):
        d = ulps(getattr(numpy_result, name), getattr(compiled_result, name))
        assert d <= compiled.ULP_BOUND, f"{name}: {d} ulps"
        worst = max(worst, d)
    assert compiled_result.start_value == numpy_result.start_value
    return worst


def both(objective: objectives.Objective, key: str, **kwargs) -> tuple:
    grid = sweeps.default_grid(key, 5)
    args = (objective, key, grid, objective.start, STEPS)
    return (
        sweeps.sweep(*args, engine="numpy", **kwargs),
        sweeps.sweep(*args, engine="compiled", **kwargs),
    )


@pytest.mark.parametrize("name", CATALOGUE)
@pytest.mark.parametrize("key", OPTIMIZERS)
def test_compiled_equals_numpy_on_the_catalogue(key: str, name: str) -> None:
    a, b = both(objectives.get(name), key)
    worst = assert_same(a, b)
    if objectives.get(name).scalar_grad is not None and name != "noisy_quadratic":
        # + − × ÷ and sqrt only: correctly rounded in both, so the very same bits
        assert worst == 0.0


@pytest.mark.parametrize("key", ["sgd", "adadelta", "adam"])
def test_compiled_equals_numpy_on_a_typed_formula(key: str) -> None:
    objective = from_expression(FORMULA)
    a, b = both(objective, key)
    assert_same(a, b)


def test_noise_follows_the_same_stream() -> None:
    """σ > 0 on a function that has none by default: the kernel adds the NumPy path's
    own noise array, so the sweeps agree, and another seed gives other numbers."""
    objective = objectives.get("rosenbrock")
    a, b = both(objective, "adadelta", noise=0.5, seed=3)
    assert assert_same(a, b) == 0.0
    _, c = both(objective, "adadelta", noise=0.5, seed=4)
    assert not np.array_equal(c.final_value, b.final_value, equal_nan=True)


def test_fixed_hyperparameters_and_a_larger_grid() -> None:
    """A grid of more than one chunk, split over threads, with a fixed non-default value."""
    objective = objectives.get("rosenbrock")
    grid = {"rho": np.linspace(0.5, 0.999, 40), "eps": np.logspace(-10, -1, 30)}
    args = (objective, "adadelta", grid, (-1.5, 2.0), 60)
    a = sweeps.sweep(*args, fixed={"lr": 0.5}, engine="numpy")
    b = sweeps.sweep(*args, fixed={"lr": 0.5}, engine="compiled")
    assert a.size > compiled.CHUNK
    assert assert_same(a, b) == 0.0


def test_auto_uses_a_ready_kernel_and_numpy_otherwise() -> None:
    objective = objectives.get("rosenbrock")
    grid = sweeps.default_grid("rmsprop", 5)
    args = (objective, "rmsprop", grid, objective.start, STEPS)
    b = sweeps.sweep(*args, engine="compiled")
    assert compiled.kernel_ready(objective, "rmsprop") is True
    c = sweeps.sweep(*args, engine="auto")
    np.testing.assert_array_equal(c.final_value, b.final_value)
    # a function whose kernel was never asked for: NumPy now, its compile started
    fresh = objectives.from_sympy((X - 0.25) ** 2 + 3 * (Y + 0.5) ** 2, name="fresh_bowl")
    d = sweeps.sweep(fresh, "rmsprop", grid, (1.0, 1.0), STEPS, engine="auto")
    e = sweeps.sweep(fresh, "rmsprop", grid, (1.0, 1.0), STEPS, engine="numpy")
    np.testing.assert_array_equal(d.final_value, e.final_value)


def test_an_objective_numba_cannot_compile_falls_back_to_numpy() -> None:
    """NumPy prints Max as ``numpy.amax((a, b), axis=0)``, which numba does not take."""
    objective = objectives.from_sympy(sp.Max(X, Y) ** 2 + X**2 + Y**2, name="max_bowl")
    grid = sweeps.default_grid("sgd", 4)
    args = (objective, "sgd", grid, (1.0, 0.5), 20)
    with pytest.raises(compiled.CompiledUnavailable, match="max_bowl"):
        sweeps.sweep(*args, engine="compiled")
    a = sweeps.sweep(*args, engine="auto")
    b = sweeps.sweep(*args, engine="numpy")
    np.testing.assert_array_equal(a.final_value, b.final_value)


def test_an_unknown_engine_is_refused() -> None:
    objective = objectives.get("booth")
    with pytest.raises(ValueError, match="engine"):
        sweeps.sweep(objective, "sgd", {"lr": [0.01]}, (0.0, 0.0), 5, engine="fast")


@pytest.mark.skipif(
    __import__("platform").machine() not in ("x86_64", "AMD64"), reason="x86 assembly"
)
def test_the_loop_over_cells_is_vectorised(tmp_path, monkeypatch) -> None:
    """The engine's speed is LLVM vectorising the loop over a chunk's cells: ADADELTA's
    four square roots per cell and step are packed instructions (several cells at once)
    in both of the kernel's loops (with and without noise), not only scalar ones. A test
    of ``noisy`` inside the loop once kept it scalar, ~10× slower."""
    import re

    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path))  # compiled here: its assembly
    monkeypatch.setattr(compiled, "_KERNELS", {})  # (an earlier test may have made it)
    objective = objectives.get("rosenbrock")
    result = sweeps.sweep(
        objective, "adadelta", sweeps.default_grid("adadelta", 5), objective.start, 5,
        engine="compiled",
    )  # fmt: skip
    assert result.engine == "compiled"
    (entry,) = compiled._KERNELS.values()
    kernel = entry.run
    asm = kernel.inspect_asm(kernel.signatures[0])
    packed = re.findall(r"\bv?sqrtpd\b", asm)
    assert len(packed) >= 2 * 4, f"{len(packed)} packed square roots"
