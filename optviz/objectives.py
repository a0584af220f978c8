"""2-D test functions, each defined once as a SymPy expression in ``x`` and ``y``.

An :class:`Objective` lambdifies its value, gradient and Hessian to NumPy and
vectorises them over points of shape ``[..., 2]``:

* ``value(xy)``   -> ``[...]``
* ``grad(xy)``    -> ``[..., 2]``
* ``hessian(xy)`` -> ``[..., 2, 2]``

(always the full shape, even for constant components such as ∂(3y)/∂y = 3, which
``lambdify`` returns as a bare scalar). It also carries its display name, LaTeX,
plot bounds, every known minimum with ``f_min``, a default start, one sentence on what
it teaches and its default gradient-noise scale σ.

``get(name)`` returns a catalogue objective, ``names()`` lists them.
:func:`gradient_noise` defines the Gaussian noise that the runner adds to gradients.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

Array = np.ndarray
Bounds = tuple[tuple[float, float], tuple[float, float]]

X, Y = sp.symbols("x y", real=True)

__all__ = [
    "Derivatives",
    "Minimum",
    "Objective",
    "X",
    "Y",
    "differentiate",
    "from_sympy",
    "get",
    "gradient_noise",
    "names",
    "register",
]


@dataclass(frozen=True)
class Minimum:
    """A known minimum: its location, value, and whether it is a global one."""

    point: tuple[float, float]
    value: float
    is_global: bool = True


def _vectorise_scalar(fn: Callable[..., object]) -> Callable[[Array], Array]:
    def value(xy: Array) -> Array:
        xy = np.asarray(xy, dtype=np.float64)
        out = np.empty(xy.shape[:-1], dtype=np.float64)
        with np.errstate(all="ignore"):  # NaN/inf where f is not real and finite
            out[...] = fn(xy[..., 0], xy[..., 1])
        return out

    return value


def _vectorise_vector(fn: Callable[..., Sequence[object]]) -> Callable[..., Array]:
    def grad(xy: Array, out: Array | None = None) -> Array:
        xy = np.asarray(xy, dtype=np.float64)
        if out is None:
            out = np.empty(xy.shape, dtype=np.float64)
        with np.errstate(all="ignore"):
            gx, gy = fn(xy[..., 0], xy[..., 1])
        out[..., 0] = gx
        out[..., 1] = gy
        return out

    return grad


def _vectorise_matrix(fn: Callable[..., Sequence[Sequence[object]]]) -> Callable[[Array], Array]:
    def hessian(xy: Array) -> Array:
        xy = np.asarray(xy, dtype=np.float64)
        out = np.empty((*xy.shape, 2), dtype=np.float64)
        (hxx, hxy), (hyx, hyy) = fn(xy[..., 0], xy[..., 1])
        out[..., 0, 0] = hxx
        out[..., 0, 1] = hxy
        out[..., 1, 0] = hyx
        out[..., 1, 1] = hyy
        return out

    return hessian


@dataclass(frozen=True, eq=False)
class Objective:
    """A 2-D function with its derivatives compiled to vectorised NumPy code.

    Build one with :func:`from_sympy` (or take one from the catalogue with :func:`get`);
    the compiled ``value``/``grad``/``hessian`` are made once, at construction.
    """

    name: str
    display_name: str
    expr: sp.Expr
    bounds: Bounds
    start: tuple[float, float]
    minima: tuple[Minimum, ...]
    lesson: str
    noise: float = 0.0
    log_scale: bool = True
    latex: str = ""
    #: Learning rates that make a sensible first picture: (for methods whose step scales
    #: with the gradient — SGD, momentum —, for methods whose first steps are about lr in
    #: size — ADAGRAD, RMSprop, Adam). A starting point for the sliders, not a tuned optimum.
    suggested_lr: tuple[float, float] = (0.01, 0.1)
    #: the robustness demos' transform, as fields (never in the name): f multiplied by
    #: ``scale``, and x measured in units ``stretch`` times smaller (x' = stretch·x)
    scale: float = 1.0
    stretch: float = 1.0
    value: Callable[[Array], Array] = field(repr=False, default=None)  # type: ignore[assignment]
    grad: Callable[..., Array] = field(repr=False, default=None)  # type: ignore[assignment]
    hessian: Callable[[Array], Array] = field(repr=False, default=None)  # type: ignore[assignment]
    #: ``scalar_grad(x, y) -> [gx, gy]`` on Python floats, the same bits as ``grad`` by
    #: construction (see :func:`_correctly_rounded`); None when the gradient uses a function
    #: such as sin or exp, whose float and array implementations may differ in the last bit.
    #: It may raise ZeroDivisionError/ValueError where ``grad`` gives inf or NaN.
    scalar_grad: Callable[[float, float], Sequence[float]] = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def f_min(self) -> float | None:
        """The global minimum value, or None when the function has no minimum (saddles)."""
        if not self.minima:
            return None
        return min(m.value for m in self.minima)

    @property
    def global_minima(self) -> tuple[Minimum, ...]:
        return tuple(m for m in self.minima if m.is_global)

    def scaled(self, factor: float) -> Objective:
        """The same function multiplied by ``factor`` (> 0): same minima, gradients × factor."""
        if not (factor > 0 and math.isfinite(factor)):
            raise ValueError(f"scale factor = {factor!r} must be a positive finite number")
        scaled = from_sympy(
            sp.Float(factor) * self.expr if factor != 1 else self.expr,
            name=self.name,
            display_name=f"{factor:g} × {self.display_name}",
            bounds=self.bounds,
            start=self.start,
            minima=tuple(Minimum(m.point, m.value * factor, m.is_global) for m in self.minima),
            lesson=self.lesson,
            noise=self.noise * factor,
            log_scale=self.log_scale,
            refine=False,
            suggested_lr=self.suggested_lr,
        )
        return replace(scaled, scale=self.scale * factor, stretch=self.stretch)

    def stretched(self, s: float) -> Objective:
        """The function seen in stretched coordinates: ``x' = s·x`` (so f'(x', y) = f(x'/s, y)).

        A point ``(x, y)`` of the original corresponds to ``(s·x, y)`` of the stretched one.
        """
        if not (s > 0 and math.isfinite(s)):
            raise ValueError(f"stretch factor = {s!r} must be a positive finite number")
        (x0, x1), yb = self.bounds
        stretched = from_sympy(
            self.expr.subs(X, X / sp.Float(s)) if s != 1 else self.expr,
            name=self.name,
            display_name=f"{self.display_name} (x stretched ×{s:g})",
            bounds=((x0 * s, x1 * s), yb),
            start=(self.start[0] * s, self.start[1]),
            minima=tuple(
                Minimum((m.point[0] * s, m.point[1]), m.value, m.is_global) for m in self.minima
            ),
            lesson=self.lesson,
            noise=self.noise,
            log_scale=self.log_scale,
            refine=False,
            suggested_lr=self.suggested_lr,
        )
        return replace(stretched, scale=self.scale, stretch=self.stretch * s)


#: Whole exponents up to this size are written as multiplications (:func:`integer_power`).
MAX_CHAINED_EXPONENT = 64


def integer_power(base: Any, n: int) -> Any:
    """``base ** n`` for a whole ``n ≥ 2``, by repeated squaring.

    The same multiplications in the same order on a Python float and on a NumPy array,
    each correctly rounded by IEEE 754, so both give the same bits by construction.
    (``pow`` does not: NumPy's array power and C's ``pow`` behind Python's float ``**``
    differ in the last bit for a few per cent of arguments, by how NumPy was built.)
    """
    result = None
    square = base
    while True:
        if n & 1:
            result = square if result is None else result * square
        n >>= 1
        if not n:
            return result
        square = square * square


def _whole_exponent(exponent: sp.Expr) -> int | None:
    """The exponent as an int when it is a whole number small enough to chain, else None."""
    if exponent.is_Integer or (exponent.is_Float and float(exponent).is_integer()):
        n = int(exponent)
        if 0 < abs(n) <= MAX_CHAINED_EXPONENT:
            return n
    return None


class _ChainedPowers:
    """Prints ``b**n`` (whole n) as :func:`integer_power` and ``b**-1`` as ``1/b``.

    Mixed into the printers of both the array code and the float code, so that every
    power in either is the same sequence of correctly rounded operations (``**½`` is
    ``sqrt`` in both, also correctly rounded).
    """

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        n = _whole_exponent(expr.exp)
        if n is None:
            return super()._print_Pow(expr, rational=rational)  # type: ignore[misc]
        base = self._print(expr.base)  # type: ignore[attr-defined]
        if abs(n) == 1:
            power = f"({base})"
        elif abs(n) == 2 and expr.base.is_Symbol:
            power = f"({base}*{base})"  # integer_power's one multiplication, without a call
        else:
            power = f"_integer_power({base}, {abs(n)})"
        return power if n > 0 else f"(1/{power})"


class _ArrayPrinter(_ChainedPowers, NumPyPrinter):
    pass


class _FloatPrinter(_ChainedPowers, PythonCodePrinter):
    pass


_PRINTER_SETTINGS = {
    "fully_qualified_modules": False,
    "inline": True,
    "allow_unknown_functions": True,
    "user_functions": {},
}
_POWERS = {"_integer_power": integer_power}


def _array_code(expr: Any) -> Callable:
    return sp.lambdify(
        (X, Y), expr, modules=[_POWERS, "numpy"], printer=_ArrayPrinter(_PRINTER_SETTINGS)
    )


def _correctly_rounded(exprs: Sequence[sp.Expr]) -> bool:
    """True when the expressions use only operations IEEE 754 rounds correctly.

    That is + − × ÷, whole powers (as :func:`integer_power`), square roots, ``abs`` and
    ``sign``: each gives the same bits on a Python float as on a NumPy array. Functions
    such as sin or exp do not (NumPy may use its own vector kernels, C's libm another
    algorithm), so an objective with one has no float-by-float gradient.
    """
    for expr in exprs:
        for node in sp.preorder_traversal(expr):
            if node.is_Atom or isinstance(node, (sp.Add, sp.Mul, sp.Abs, sp.sign)):
                continue
            if isinstance(node, sp.Pow) and (
                _whole_exponent(node.exp) is not None or abs(node.exp) == sp.S.Half
            ):
                continue
            return False
    return True


#: A gradient ``[f_x, f_y]`` and Hessian ``[[f_xx, f_xy], [f_yx, f_yy]]`` as SymPy expressions.
Derivatives = tuple[list[sp.Expr], list[list[sp.Expr]]]


def differentiate(expr: sp.Expr) -> Derivatives:
    """The first and second derivatives of ``expr`` in :data:`X` and :data:`Y`, as SymPy
    writes them (a ``DiracDelta`` from ``|u|`` included; the compiled Hessian takes it as 0).

    Differentiating is the slow part of building an objective: a caller that needs to look
    at the derivatives (as :mod:`optviz.formula` does) differentiates once with this and
    hands the result to :func:`from_sympy` as ``derivatives``.
    """
    gradient = [sp.diff(expr, X), sp.diff(expr, Y)]
    return gradient, [[sp.diff(g, v) for v in (X, Y)] for g in gradient]


def _compile(
    expr: sp.Expr, derivatives: Derivatives | None = None
) -> tuple[Callable, Callable, Callable, Callable | None]:
    gradient, second = differentiate(expr) if derivatives is None else derivatives
    # d/dx |x| = sign(x) differentiates to a DiracDelta, which NumPy cannot evaluate: it is
    # 0 everywhere but at a single point, so the Hessian takes it as 0
    hess = [[h.replace(sp.DiracDelta, lambda *_: sp.Integer(0)) for h in row] for row in second]
    scalar_grad = None
    if _correctly_rounded(gradient):
        scalar_grad = sp.lambdify(
            (X, Y), gradient, modules=[_POWERS, "math"], printer=_FloatPrinter(_PRINTER_SETTINGS)
        )
    return (
        _vectorise_scalar(_array_code(expr)),
        _vectorise_vector(_array_code(gradient)),
        _vectorise_matrix(_array_code(hess)),
        scalar_grad,
    )


def _refine(point: tuple[float, float], grad: Callable, hessian: Callable) -> tuple[float, float]:
    """Polish an approximate stationary point with a few Newton steps."""
    p = np.array(point, dtype=np.float64)
    for _ in range(8):
        h = hessian(p)
        g = grad(p)
        try:
            p = p - np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
    return float(p[0]), float(p[1])


def from_sympy(
    expr: sp.Expr,
    *,
    name: str,
    display_name: str | None = None,
    bounds: Bounds = ((-2.0, 2.0), (-2.0, 2.0)),
    start: tuple[float, float] | None = None,
    minima: Sequence[Minimum] = (),
    lesson: str = "",
    noise: float = 0.0,
    log_scale: bool = True,
    refine: bool = True,
    suggested_lr: tuple[float, float] = (0.01, 0.1),
    derivatives: Derivatives | None = None,
) -> Objective:
    """Build an :class:`Objective` from a SymPy expression in :data:`X` and :data:`Y`.

    Known minima given approximately are polished by Newton's method (``refine``) and
    their values recomputed, so listed minima are exact to floating-point precision.
    ``derivatives``, when given, must be :func:`differentiate` of ``expr``; it saves
    differentiating a second time.
    """
    expr = sp.sympify(expr)
    value, grad, hessian, scalar_grad = _compile(expr, derivatives)
    polished = []
    for m in minima:
        point = _refine(m.point, grad, hessian) if refine else tuple(map(float, m.point))
        val = float(value(np.array(point))) if refine else float(m.value)
        polished.append(Minimum(point, val, m.is_global))
    if start is None:
        (x0, x1), (y0, y1) = bounds
        start = (x0 + 0.2 * (x1 - x0), y0 + 0.8 * (y1 - y0))
    return Objective(
        name=name,
        display_name=display_name or name,
        expr=expr,
        bounds=(tuple(map(float, bounds[0])), tuple(map(float, bounds[1]))),  # type: ignore[arg-type]
        start=(float(start[0]), float(start[1])),
        minima=tuple(polished),
        lesson=lesson,
        noise=float(noise),
        log_scale=log_scale,
        suggested_lr=suggested_lr,
        latex=sp.latex(expr),
        value=value,
        grad=grad,
        hessian=hessian,
        scalar_grad=scalar_grad,
    )


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------

_R2 = sp.sqrt(2)


def _catalogue() -> dict[str, dict]:
    x, y = X, Y
    u, v = (x + y) / _R2, (y - x) / _R2  # coordinates rotated by 45°
    return {
        "rosenbrock": dict(
            suggested_lr=(0.001, 0.05),
            display_name="Rosenbrock",
            expr=(1 - x) ** 2 + 100 * (y - x**2) ** 2,
            latex=r"(1 - x)^2 + 100\,(y - x^2)^2",
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
            start=(-1.5, 2.0),
            minima=[Minimum((1.0, 1.0), 0.0)],
            lesson="A curved, narrow valley: easy to find, slow to follow to the minimum "
            "at (1, 1).",
        ),
        "beale": dict(
            suggested_lr=(0.0001, 0.05),
            display_name="Beale",
            expr=(sp.Rational(3, 2) - x + x * y) ** 2
            + (sp.Rational(9, 4) - x + x * y**2) ** 2
            + (sp.Rational(21, 8) - x + x * y**3) ** 2,
            latex=r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            bounds=((-4.5, 4.5), (-4.5, 4.5)),
            start=(1.0, 1.5),
            minima=[Minimum((3.0, 0.5), 0.0)],
            lesson="Gradients span many orders of magnitude: flat plateaus next to steep walls.",
        ),
        "himmelblau": dict(
            suggested_lr=(0.01, 0.1),
            display_name="Himmelblau",
            expr=(x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
            latex=r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            start=(-0.5, -0.5),
            minima=[
                Minimum((3.0, 2.0), 0.0),
                Minimum((-2.805118, 3.131312), 0.0),
                Minimum((-3.779310, -3.283186), 0.0),
                Minimum((3.584428, -1.848126), 0.0),
            ],
            lesson="Four equal minima: which one an optimizer reaches depends on its path.",
        ),
        "booth": dict(
            suggested_lr=(0.02, 0.5),
            display_name="Booth",
            expr=(x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
            latex=r"(x + 2y - 7)^2 + (2x + y - 5)^2",
            bounds=((-10.0, 10.0), (-10.0, 10.0)),
            start=(-8.0, 8.0),
            minima=[Minimum((1.0, 3.0), 0.0)],
            lesson="A well-behaved quadratic bowl: every method should succeed here.",
        ),
        "saddle": dict(
            suggested_lr=(0.05, 0.05),
            display_name="Saddle",
            expr=x**2 - y**2,
            latex=r"x^2 - y^2",
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            start=(1.5, 1e-3),
            minima=[],
            log_scale=False,
            lesson="A saddle point at the origin: the gradient vanishes there, so who escapes, "
            "and how fast?",
        ),
        "monkey_saddle": dict(
            suggested_lr=(0.05, 0.05),
            display_name="Monkey saddle",
            expr=x**3 - 3 * x * y**2,
            latex=r"x^3 - 3xy^2",
            bounds=((-2.0, 2.0), (-2.0, 2.0)),
            start=(1.5, 0.1),
            minima=[],
            log_scale=False,
            lesson="A degenerate saddle with three valleys: the gradient is tiny near the "
            "origin in every direction.",
        ),
        "ill_conditioned": dict(
            suggested_lr=(0.01, 0.1),
            display_name="Ill-conditioned valley",
            expr=(x**2 + 100 * y**2) / 2,
            latex=r"\tfrac12\,(x^2 + 100\,y^2)",
            bounds=((-4.0, 4.0), (-2.0, 2.0)),
            start=(-3.5, 1.5),
            minima=[Minimum((0.0, 0.0), 0.0)],
            lesson="Curvatures 1 and 100 along the axes: a per-dimension step size fixes "
            "what one global learning rate cannot.",
        ),
        "rotated_ill_conditioned": dict(
            suggested_lr=(0.01, 0.1),
            display_name="Rotated ill-conditioned valley",
            expr=(u**2 + 100 * v**2) / 2,
            latex=r"\tfrac12\,(u^2 + 100\,v^2),\ u = \tfrac{x+y}{\sqrt2},\ v = \tfrac{y-x}{\sqrt2}",
            bounds=((-4.0, 4.0), (-4.0, 4.0)),
            start=(-3.0, -2.0),
            minima=[Minimum((0.0, 0.0), 0.0)],
            lesson="The same valley turned by 45°: the axes no longer match the curvature, "
            "so per-coordinate step sizes lose their edge.",
        ),
        "noisy_quadratic": dict(
            suggested_lr=(0.05, 0.05),
            display_name="Noisy quadratic",
            expr=(x**2 + 10 * y**2) / 2,
            latex=r"\tfrac12\,(x^2 + 10\,y^2) \;+\; \text{gradient noise}",
            bounds=((-3.0, 3.0), (-3.0, 3.0)),
            start=(-2.5, 2.0),
            minima=[Minimum((0.0, 0.0), 0.0)],
            noise=1.0,
            lesson="Every gradient carries Gaussian noise (σ = 1 by default), as with "
            "mini-batches: who settles, and who keeps jittering?",
        ),
        "rastrigin": dict(
            suggested_lr=(0.002, 0.05),
            display_name="Rastrigin",
            expr=20 + x**2 + y**2 - 10 * (sp.cos(2 * sp.pi * x) + sp.cos(2 * sp.pi * y)),
            latex=r"20 + x^2 + y^2 - 10\,(\cos 2\pi x + \cos 2\pi y)",
            bounds=((-5.12, 5.12), (-5.12, 5.12)),
            start=(2.2, 3.3),
            minima=[Minimum((0.0, 0.0), 0.0)],
            log_scale=False,
            lesson="A bowl covered in local minima: gradient methods stop in the nearest one.",
        ),
        "styblinski_tang": dict(
            suggested_lr=(0.01, 0.1),
            display_name="Styblinski–Tang",
            expr=(x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y) / 2,
            latex=r"\tfrac12\,(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)",
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
            start=(0.5, 4.5),
            minima=[
                Minimum((-2.903534, -2.903534), -78.33233),
                Minimum((-2.903534, 2.746803), -64.19561, is_global=False),
                Minimum((2.746803, -2.903534), -64.19561, is_global=False),
                Minimum((2.746803, 2.746803), -50.05889, is_global=False),
            ],
            lesson="One global and three local minima of different depths: the start decides.",
        ),
    }


_CATALOGUE = _catalogue()
#: Objectives added with :func:`register`, by name, after the catalogue's.
_REGISTERED: dict[str, Objective] = {}
#: Lessons' own functions (:func:`define`): known by name, built on first use.
_DEFINED: dict[str, Callable[[], Objective]] = {}


def names() -> list[str]:
    """The names of every objective: the catalogue's, then the registered ones."""
    return [*_CATALOGUE, *_REGISTERED]


def lesson_names() -> list[str]:
    """The names of the lessons' own functions (:func:`define`), which the app offers after
    the catalogue's and which links, scenes and the CLI know by name."""
    return list(_DEFINED)


def get(name: str) -> Objective:
    """The objective ``name`` (a catalogue one, or a lesson's, is compiled once, then cached)."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _DEFINED:
        return _defined_objective(name)
    if name not in _CATALOGUE:
        raise KeyError(f"unknown objective {name!r}; known: {', '.join(names() + lesson_names())}")
    return _catalogue_objective(name)


@cache
def _defined_objective(name: str) -> Objective:
    return _DEFINED[name]()


@cache
def _catalogue_objective(name: str) -> Objective:
    entry = dict(_CATALOGUE[name])
    latex = entry.pop("latex")
    obj = from_sympy(name=name, **entry)
    return replace(obj, latex=latex)


def register(objective: Objective, *, replace: bool = False) -> Objective:
    """Add ``objective`` (made by :func:`from_sympy`) to the objectives every part of
    optviz offers: the app's picker, the URL, sweeps, lessons, exports and the CLI.

    Its ``name`` is its key: lower-case letters, digits and ``_`` (it goes into links),
    not a catalogue name, and not registered already unless ``replace``.
    """
    name = objective.name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name == "custom":
        raise ValueError(
            f"objective name {name!r}: lower-case letters, digits and _, and not 'custom'"
        )
    if name in _CATALOGUE or name in _DEFINED or (name in _REGISTERED and not replace):
        raise ValueError(f"objective name {name!r} is taken (pass replace=True to replace it)")
    if objective.value is None or objective.grad is None:
        raise ValueError(f"objective {name!r} has no compiled functions: build it with from_sympy")
    _REGISTERED[name] = objective
    return objective


def define(name: str, factory: Callable[[], Objective]) -> None:
    """Make a lesson's own function known by ``name`` (``factory`` builds it on first use):
    :func:`get`, scenes and links find it; it is listed by :func:`lesson_names`, not by
    :func:`names` (the sweeps' and tests' catalogue), and offered in the app's picker
    after the catalogue."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name == "custom":
        raise ValueError(
            f"objective name {name!r}: lower-case letters, digits and _, and not 'custom'"
        )
    if name in _CATALOGUE or name in _REGISTERED or name in _DEFINED:
        raise ValueError(f"objective name {name!r} is taken")
    _DEFINED[name] = factory


# ---------------------------------------------------------------------------
# Gradient noise
# ---------------------------------------------------------------------------


def gradient_noise(seed: int, steps: int, rows: int = 1) -> Array:
    """Standard normal noise of shape ``(steps, rows, 2)``.

    Row ``r`` at step ``t`` depends only on ``(seed, r, t)``: each row draws from its own
    generator seeded with ``(seed, r)``, one pair per step, so the noise is the same
    whatever the batch size, number of steps or optimizer, and a rerun with the same seed
    replays it exactly. The runner multiplies it by σ.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
    if steps < 0 or rows < 0:
        raise ValueError("steps and rows must be non-negative")
    out = np.empty((steps, rows, 2), dtype=np.float64)
    for r in range(rows):
        rng = np.random.default_rng([int(seed), r])
        out[:, r, :] = rng.standard_normal((steps, 2))
    return out
