"""The formula language: the names, constants and functions a formula may use.

One table serves every layer: the text checks know the function names (``sin x`` needs
brackets), the allow-list walk their arity and float value (to check constant arguments),
the translation their SymPy constructor. ``x`` and ``y`` are
:data:`optviz.objectives.X`/:data:`~optviz.objectives.Y`, ``pi`` and ``e`` SymPy's exact
constants. Nothing outside these tables is ever looked up by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..objectives import X, Y


@dataclass(frozen=True)
class _Function:
    arity: int
    sympy: Callable[..., sp.Expr]
    number: Callable[..., float]  # the same function on floats, for constant arguments
    domain: str = ""  # what a constant argument must be, for messages


FUNCTIONS: dict[str, _Function] = {
    "sin": _Function(1, sp.sin, math.sin),
    "cos": _Function(1, sp.cos, math.cos),
    "tan": _Function(1, sp.tan, math.tan),
    "exp": _Function(1, sp.exp, math.exp),
    "log": _Function(1, sp.log, math.log, "log needs a positive number"),
    "ln": _Function(1, sp.log, math.log, "ln needs a positive number"),
    "sqrt": _Function(1, sp.sqrt, math.sqrt, "sqrt needs a number ≥ 0"),
    "abs": _Function(1, sp.Abs, abs),
    "sinh": _Function(1, sp.sinh, math.sinh),
    "cosh": _Function(1, sp.cosh, math.cosh),
    "tanh": _Function(1, sp.tanh, math.tanh),
    "asin": _Function(1, sp.asin, math.asin, "asin needs a number from -1 to 1"),
    "acos": _Function(1, sp.acos, math.acos, "acos needs a number from -1 to 1"),
    "atan": _Function(1, sp.atan, math.atan),
    "atan2": _Function(2, sp.atan2, math.atan2),
}
"""The functions a formula may call, by name (``ln`` is ``log``; ``atan2(y, x)``)."""

VARIABLES = {"x": X, "y": Y}
CONSTANTS = {"pi": (sp.pi, math.pi), "e": (sp.E, math.e)}
FUNCTION_LIST = ", ".join(FUNCTIONS)
HELP = (
    "a formula may use numbers, x and y, pi and e, + - * /, '^' (power; ** works too), "
    f"brackets ( ) and the functions {FUNCTION_LIST}."
)
