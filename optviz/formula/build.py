"""Layers 6 (second half) and 8: a SymPy expression → an :class:`~optviz.objectives.Objective`.

:func:`build` translates a parsed formula (:mod:`optviz.formula.translate`),
differentiates it once with :func:`optviz.objectives.differentiate`, and refuses it when
its first or second derivatives contain something that cannot be evaluated on real floats
(``I``, ``zoo``, ``re``/``im``/``conjugate``, unevaluated ``Derivative``; e.g. from
``(0*x)^y``). The same derivatives then go to :func:`optviz.objectives.from_sympy`, which
compiles value, gradient and Hessian exactly as for the catalogue; a smoke test evaluates
everything once, so that code NumPy cannot run fails here and not in the runner.

8. **Numerics.** Where the function is not real and finite (``log`` or ``sqrt`` of a
   negative number, division by zero, overflow) ``value``/``grad``/``hessian`` give NaN
   or ±inf, silently (NumPy's ``errstate`` is set to ignore inside them), and the runner
   marks a path that gets there as diverged. ``scalar_grad`` (Python floats; only for a
   gradient of + − × ÷, whole powers, square roots, ``abs`` and ``sign``, see
   :func:`optviz.objectives._correctly_rounded`) may raise ``ValueError`` or
   ``ZeroDivisionError`` there, which the runner catches and then continues on arrays.
   ``abs`` has a second derivative SymPy writes with ``DiracDelta``; it is taken as 0 (the
   Hessian almost everywhere). A function that has no finite value anywhere in the plot
   window is refused (by :func:`optviz.formula.from_expression`, which knows the window).

Building is the slow part (SymPy may take seconds), so :mod:`optviz.formula.worker` runs
it first under a time limit; :func:`build_guarded` turns every unexpected failure into an
:class:`~optviz.formula.ExpressionError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import sympy as sp

from .. import objectives
from ..objectives import Objective, X, Y
from .errors import ExpressionError
from .translate import to_sympy
from .tree import Parsed

#: The plot window when none is given.
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))


def _quiet_value(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def value(xy: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                return fn(xy)
            except ArithmeticError:
                return np.full(np.shape(xy)[:-1], np.nan)

    return value


def _quiet_grad(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def grad(xy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                return fn(xy, out=out)
            except ArithmeticError:
                if out is None:
                    out = np.empty(np.shape(xy), dtype=np.float64)
                out[...] = np.nan
                return out

    return grad


def _quiet_hessian(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def hessian(xy: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                return fn(xy)
            except ArithmeticError:
                return np.full((*np.shape(xy), 2), np.nan)

    return hessian


_LESSON = "Your own function."


def _smoke_test(obj: Objective) -> None:
    """Evaluate everything once on a small grid: unsupported code fails here, not later."""
    pts = np.stack(np.meshgrid(np.linspace(-3, 3, 5), np.linspace(-3, 3, 5)), axis=-1)
    obj.value(pts)
    obj.grad(pts)
    obj.hessian(pts)
    with np.errstate(all="ignore"):  # as in the runner
        for x, y in () if obj.scalar_grad is None else [(0.5, 0.5), (-1.5, 2.0), (0.0, 0.0)]:
            with contextlib.suppress(ArithmeticError, ValueError):
                obj.scalar_grad(x, y)


# What a derivative must not contain: SymPy writes these when it cannot tell that a
# sub-expression is real (e.g. |log y|' with re/im), or for 0^y (zoo); none can be
# evaluated on floats.
_UNUSABLE = (
    sp.I,
    sp.S.ComplexInfinity,
    sp.S.NaN,
    sp.S.Infinity,
    sp.S.NegativeInfinity,
    sp.re,
    sp.im,
    sp.conjugate,
    sp.arg,
    sp.Derivative,
    sp.Subs,
)


def build(parsed: Parsed) -> Objective:
    """Layers 6 and 8: SymPy expression → Objective (slow; run under the time limit)."""
    expr = to_sympy(parsed)
    grad, hess = objectives.differentiate(expr)  # once: for the checks and the compiler
    if any(d.has(*_UNUSABLE) for d in [*grad, *hess[0], *hess[1]]):
        raise ExpressionError(
            "this formula cannot be differentiated into real numbers (for example a "
            "negative number or 0 to a power containing x or y) — try writing it differently"
        )
    obj = objectives.from_sympy(
        expr,
        name="custom",
        display_name=f"f(x, y) = {parsed.text.strip()}",
        bounds=DEFAULT_BOUNDS,
        minima=(),
        lesson=_LESSON,
        log_scale=True,  # log levels when its values span many decades (figures.contour_grid)
        refine=False,
        derivatives=(grad, hess),
    )
    hessian = obj.hessian
    if any(h.has(sp.DiracDelta) for h in [*hess[0], *hess[1]]):
        # d²|u| = 2 δ(u) …: NumPy knows no DiracDelta; use the Hessian almost everywhere.
        hess = [[h.replace(sp.DiracDelta, lambda *_: sp.S.Zero) for h in row] for row in hess]
        hessian = objectives._vectorise_matrix(sp.lambdify((X, Y), hess, modules="numpy"))
    obj = replace(
        obj,
        value=_quiet_value(obj.value),
        grad=_quiet_grad(obj.grad),
        hessian=_quiet_hessian(hessian),
    )
    _smoke_test(obj)
    return obj


def build_guarded(parsed: Parsed) -> Objective:
    """:func:`build`, with every unexpected failure turned into an ExpressionError."""
    try:
        return build(parsed)
    except ExpressionError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError("this formula is too complex to process — simplify it") from exc
    except Exception as exc:
        raise ExpressionError(
            f"this formula could not be processed ({type(exc).__name__}) — try writing it "
            "differently"
        ) from exc
