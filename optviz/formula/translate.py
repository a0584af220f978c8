"""Layer 6, first half: a checked syntax tree → a SymPy expression, by our own translator.

A small recursive translator maps each node of a tree that passed the allow-list walk to
a SymPy constructor: ``sp.Integer``, ``sp.Float``, :data:`~optviz.objectives.X`,
``sp.pi``, ``sp.E``, ``sp.sin``… (the table in :mod:`optviz.formula.vocabulary`). No text
is ever handed to ``sympify`` or ``parse_expr``. A result that SymPy finds undefined or
complex (``tan(pi/2)``, ``atan2(0, 0)``) is refused. Two SymPy habits are worked around:
``abs(u)`` becomes ``sqrt(u^2)`` when SymPy cannot tell that ``u`` is real (otherwise it
differentiates with ``re``/``im``), and a constant call that SymPy writes in complex form
although the walk found it real (``atan2(1, tan(e))`` is ``-I*log(…)``) takes its float
value. Exact rationals too large for a float (which SymPy can make by multiplying out,
e.g. ``(10^12*x)^100``) become floats, so that NumPy never raises ``OverflowError``.

The derivatives are checked in :mod:`optviz.formula.build`.
"""

from __future__ import annotations

import ast

import sympy as sp

from .errors import ExpressionError
from .tree import Parsed
from .vocabulary import CONSTANTS, FUNCTIONS, VARIABLES

#: Exact rationals larger than this (numerator or denominator) become floats.
_BIG = 10**290


def _translate(node: ast.AST, constants: dict[ast.AST, float]) -> sp.Expr:
    """Translate a *validated* tree node by node into SymPy constructors.

    ``constants`` holds the float value of every constant call; it is used where SymPy's
    own exact value would not be recognisably real (``atan2(1, tan(e))`` comes back as
    ``-I*log(…)``).
    """
    if isinstance(node, ast.Expression):
        return _translate(node.body, constants)
    if isinstance(node, ast.Constant):
        return sp.Integer(node.value) if type(node.value) is int else sp.Float(node.value)
    if isinstance(node, ast.Name):
        if node.id in VARIABLES:
            return VARIABLES[node.id]
        return CONSTANTS[node.id][0]
    if isinstance(node, ast.UnaryOp):
        inner = _translate(node.operand, constants)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        a, b = _translate(node.left, constants), _translate(node.right, constants)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        if op is ast.Pow:
            return a**b
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fname = node.func.id
        args = [_translate(a, constants) for a in node.args]
        if node in constants:  # a real number, checked by the walk
            if fname == "abs":
                return sp.Abs(args[0])
            result = FUNCTIONS[fname].sympy(*args)
            if result.has(sp.I) and not result.has(sp.S.ComplexInfinity, sp.S.NaN):
                return sp.Float(constants[node])
            return result
        if fname == "abs" and args[0].is_extended_real is not True:
            # SymPy differentiates Abs(u) with re/im/conjugate unless it knows u is real
            # (e.g. |log y|); sqrt(u^2) is the same function on the reals
            return sp.sqrt(args[0] ** 2)
        return FUNCTIONS[fname].sympy(*args)
    raise AssertionError(f"unvalidated node {type(node).__name__}")  # pragma: no cover


def to_sympy(parsed: Parsed) -> sp.Expr:
    """Layer 6: the SymPy expression of a validated formula, checked to be real."""
    expr = _translate(parsed.tree, parsed.constants)
    if expr.has(sp.S.ComplexInfinity, sp.S.NaN, sp.S.Infinity, sp.S.NegativeInfinity):
        raise ExpressionError(
            "part of this formula is undefined (like tan(pi/2), atan2(0, 0) or a division by 0)"
        )
    if expr.has(sp.I) or expr.is_extended_real is False:
        raise ExpressionError(
            "this formula is not a real number (like the log or square root of a negative number)"
        )
    big = {r: sp.Float(r) for r in expr.atoms(sp.Rational) if abs(r.p) > _BIG or r.q > _BIG}
    return expr.xreplace(big) if big else expr
