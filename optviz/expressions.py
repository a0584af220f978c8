"""A student's own formula as an :class:`~optviz.objectives.Objective`, safely.

:func:`from_expression` turns text such as ``"x^2 + 3*sin(y)"`` into the same
:class:`~optviz.objectives.Objective` as the catalogue's (value, gradient, Hessian and LaTeX,
built with :func:`optviz.objectives.from_sympy`). Anything it will not accept raises
:class:`ExpressionError` (a :class:`ValueError`) whose message says what is wrong and
where, in words meant for a student, e.g.::

    unknown name 'z' at character 5 — use x and y
    the formula is too long (max 300 characters)
    missing operator between '2' and 'x' at character 2 — write 2*x to multiply

The text comes from a web page, so it is treated as hostile. It goes through these layers,
each of which rejects with an :class:`ExpressionError`; no text is ever handed to
``eval``, ``exec``, ``sympify`` or ``parse_expr``:

1. **Size.** At most :data:`MAX_LENGTH` (300) characters, checked before anything else.
2. **Characters.** Control and invisible formatting characters (Unicode categories Cc and
   Cf, e.g. NUL, ESC, the bidi override U+202E, zero-width spaces) are refused, except
   space and tab. ``π − × · ÷`` and non-breaking spaces are read as ``pi - * * /`` and
   spaces; every other non-ASCII character is refused (so no look-alike letters); and so
   is every ASCII character a formula does not need, e.g. ``_ [ ] = < ' " % : @``.
   ``^`` becomes Python's ``**``.
3. **Tokens.** Python keywords (``lambda``, ``if``, ``import``…), a ``.`` outside a
   number, and two operands side by side (``2x``, ``x y``, ``sin x``, ``2(x+1)``) are
   refused with a hint (``write 2*x``).
4. **Parsing.** :func:`ast.parse` in ``"eval"`` mode builds a syntax tree (it never runs
   anything); its own limits (``SyntaxError``, ``RecursionError``, ``MemoryError``…)
   become :class:`ExpressionError`.
5. **Allow-list walk.** Only these nodes pass: ``int``/``float`` literals (no ``bool``,
   complex, string or bytes), the names ``x y pi e``, unary ``+ -``, binary
   ``+ - * / **``, and calls by name to :data:`FUNCTIONS` with the right number of
   positional arguments. Everything else — attributes, subscripts, keywords, ``*args``,
   lambdas, comprehensions, comparisons, ``and``/``or``/``not``, ``if … else``, ``:=``,
   f-strings, any other name (builtins, dunders) — is refused. The same walk enforces
   limits that keep SymPy from hanging:

   * at most :data:`MAX_NODES` (200) tree nodes and :data:`MAX_DEPTH` (30) levels of
     nesting (a run of ``+``/``-`` or of ``*``/``/`` counts as one level, so a long sum is
     not "deep");
   * every number literal at most :data:`MAX_NUMBER` (10¹²) in size;
   * every sub-expression without ``x`` and ``y`` is also evaluated in floating point
     (bounded work, see below); it must be a finite real number: ``9^9^9``, ``exp(1000)``,
     ``1/0``, ``log(-1)``, ``(-8)^(1/3)`` or ``asin(2)`` are refused;
   * a constant exponent is at most :data:`MAX_EXPONENT` (100) in size, so ``9^9^9``,
     ``x^(9^9^9)`` and ``2^10^100`` are refused before anything large is computed;
   * nested constant exponents multiply to at most :data:`MAX_DEGREE` (1000):
     ``(x^10)^100`` passes, ``((x^10)^10)^100`` does not;
   * **no power towers**: the exponent of ``^`` may contain powers with constant
     exponents (``e^(-(x^2+y^2))``, ``x^(y^2)``) but no *exponential*, that is no
     ``exp()`` and no power with ``x`` or ``y`` in its exponent: ``2^2^x``,
     ``(x^y)^(x^y)`` and ``e^exp(x)`` are refused;
   * exponentials nest at most :data:`MAX_EXP_NESTING` (2) deep: ``exp(exp(x))`` and
     ``exp(x^y)`` pass, ``exp(exp(exp(x)))`` does not;
   * a constant base ≤ 0 with ``x`` or ``y`` in the exponent (``(-2)^x``, ``0^y``) is
     refused: it is not real, and its derivative is not either.

6. **Translation** by a small recursive translator (tree node → SymPy constructor:
   ``sp.Integer``, ``sp.Float``, :data:`~optviz.objectives.X`, ``sp.pi``, ``sp.E``,
   ``sp.sin``…). A result that SymPy finds undefined or complex (``tan(pi/2)``,
   ``atan2(0, 0)``), or whose first or second derivatives contain something that cannot
   be evaluated on real floats (``I``, ``zoo``, ``re``/``im``/``conjugate``, unevaluated
   ``Derivative``; e.g. from ``(0*x)^y``), is refused. Two SymPy habits are worked
   around: ``abs(u)`` becomes ``sqrt(u^2)`` when SymPy cannot tell that ``u`` is real
   (otherwise it differentiates with ``re``/``im``), and a constant call that SymPy
   writes in complex form although the walk found it real (``atan2(1, tan(e))`` is
   ``-I*log(…)``) takes its float value. Exact rationals too large for a float (which
   SymPy can make by multiplying out, e.g. ``(10^12*x)^100``) become floats, so that
   NumPy never raises ``OverflowError``.
7. **Time limit.** Even a short, valid formula can make SymPy work for a long time (the
   Hessian of a product of twenty sines takes it about 20 s). So a new formula is first
   built — translated, differentiated twice, lambdified and smoke-tested — in a separate
   worker process (``python -c`` running :func:`_worker_main`, talking JSON lines over its
   stdin/stdout; its address space is capped on Linux). If it does not answer within
   :data:`TIMEOUT_SECONDS` the worker is killed (a new one is started in the background)
   and the formula is refused with "this formula takes too long to process — simplify
   it"; if it dies, with "this formula is too complex to process — simplify it". The work
   is deterministic, so when the worker succeeds the same build in this process takes
   about as long. Results (and refusals) are cached by text, so a repeated formula is
   instant. If no worker can be started (no usable ``sys.executable``), formulas are
   built in this process, guarded by layers 1–6 only.
8. **Numerics.** Where the function is not real and finite (``log`` or ``sqrt`` of a
   negative number, division by zero, overflow) ``value``/``grad``/``hessian`` give NaN
   or ±inf, silently (NumPy's ``errstate`` is set to ignore inside them), and the runner
   marks a path that gets there as diverged. ``scalar_grad`` (Python floats; only for a
   gradient of + − × ÷, whole powers, square roots, ``abs`` and ``sign``, see
   :func:`optviz.objectives._correctly_rounded`) may raise ``ValueError`` or
   ``ZeroDivisionError`` there, which the runner catches and then continues on arrays.
   ``abs`` has a second derivative SymPy
   writes with ``DiracDelta``; it is taken as 0 (the Hessian almost everywhere). A
   function that has no finite value anywhere in the plot window is refused.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import keyword
import math
import numbers
import os
import queue
import re
import subprocess
import sys
import threading
import time
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from . import objectives
from .objectives import Objective, X, Y

__all__ = [
    "DEFAULT_BOUNDS",
    "FUNCTIONS",
    "MAX_BOUND",
    "MAX_DEGREE",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_EXP_NESTING",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER",
    "RETRY_AFTER_SECONDS",
    "TIMEOUT_SECONDS",
    "CacheInfo",
    "ExpressionError",
    "cache_info",
    "clear_cache",
    "from_expression",
    "parse",
    "warm_up",
]

#: Longest accepted formula, in characters.
MAX_LENGTH = 300
#: Most nodes in the syntax tree (numbers, names, operators, calls).
MAX_NODES = 200
#: Deepest nesting of brackets/functions/operators (a run of + - or of * / is one level).
MAX_DEPTH = 30
#: Largest size of a number literal.
MAX_NUMBER = 10**12
#: Largest size of a constant exponent.
MAX_EXPONENT = 100
#: Largest product of nested constant exponents, as in ``(x^a)^b``.
MAX_DEGREE = 1000
#: Deepest nesting of exponentials (``exp()`` or a power with x or y in its exponent).
MAX_EXP_NESTING = 2
#: Seconds the worker process may take to build a new formula.
TIMEOUT_SECONDS = 3.0
#: Seconds a new worker process may take to start (import NumPy and SymPy).
STARTUP_TIMEOUT_SECONDS = 60.0
#: Extra address space (bytes) the worker may allocate on Linux before MemoryError.
WORKER_MEMORY_BYTES = 2 * 1024**3
#: Whether to use the worker process at all (False: build in this process, no time limit).
USE_WORKER = True
#: How many formulas (and refusals) the cache keeps.
CACHE_SIZE = 256
#: The plot window must lie within ±this (the runner's default box).
MAX_BOUND = 1e6
#: The plot window when none is given.
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))

#: Exact rationals larger than this (numerator or denominator) become floats.
_BIG = 10**290


class ExpressionError(ValueError):
    """A formula (or its bounds or start) that :func:`from_expression` will not accept.

    ``str(err)`` is a message for the student; ``position`` is the 0-based index in the
    text where the problem is, or None when it is not about one place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


# ---------------------------------------------------------------------------
# The vocabulary
# ---------------------------------------------------------------------------


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

_VARIABLES = {"x": X, "y": Y}
_CONSTANTS = {"pi": (sp.pi, math.pi), "e": (sp.E, math.e)}
_FUNCTION_LIST = ", ".join(FUNCTIONS)
_HELP = (
    "a formula may use numbers, x and y, pi and e, + - * /, '^' (power; ** works too), "
    f"brackets ( ) and the functions {_FUNCTION_LIST}."
)

# Characters read as another: pasted maths. NBSP and friends are plain spaces.
_ALIASES = {
    "^": "**",
    "\u2212": "-",  # − minus sign
    "\u00d7": "*",  # ×
    "\u00b7": "*",  # ·
    "\u22c5": "*",  # ⋅
    "\u00f7": "/",  # ÷
    "\u03c0": "pi",  # π
}
_ALLOWED_ASCII = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t.+-*/(),")
_CHAR_HINTS = {
    "=": "write only the right-hand side, e.g. x^2 + y^2 rather than f = x^2 + y^2",
    "<": "comparisons are not part of a formula, which must give a number",
    ">": "comparisons are not part of a formula, which must give a number",
    "!": "comparisons and factorials are not allowed",
    "[": "use round brackets ( ) for grouping",
    "]": "use round brackets ( ) for grouping",
    "{": "use round brackets ( ) for grouping",
    "}": "use round brackets ( ) for grouping",
    "_": "the only names are x, y, pi, e and the functions " + _FUNCTION_LIST,
    "'": "text in quotes is not part of a formula",
    '"': "text in quotes is not part of a formula",
    "`": "text in quotes is not part of a formula",
    "%": "the remainder operator is not available",
    "|": "for the absolute value write abs(x)",
    "&": "logical operators are not available",
    "~": "logical operators are not available",
    "\n": "write the formula on one line",
    "\r": "write the formula on one line",
    "\u00b2": "write x^2 for x squared",
    "\u00b3": "write x^3 for x cubed",
}


def _ordinal(pos: int) -> str:
    return f"character {pos + 1}"


def _show(ch: str) -> str:
    """A character as a student can see it in a message."""
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


# ---------------------------------------------------------------------------
# Layers 1-4: size, characters, tokens, parsing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """A formula that passed layers 1–5: its text, Python source and checked tree."""

    text: str
    source: str
    tree: ast.Expression
    where: tuple[int, ...]  # where[i]: index in ``text`` of ``source[i]``
    #: the float value of every call without x and y (filled in by the walk)
    constants: dict[ast.AST, float] = field(default_factory=dict, compare=False, repr=False)

    def position(self, i: int) -> int:
        """Index in the text of index ``i`` of the source (the end for ``i`` past it)."""
        if 0 <= i < len(self.where):
            return self.where[i]
        return self.where[-1] + 1 if self.where else len(self.text)

    def segment(self, node: ast.AST) -> str:
        """The text a tree node came from, shortened for a message."""
        start = self.position(node.col_offset)
        end = self.position(node.end_col_offset - 1) + 1 if node.end_col_offset else start + 1
        piece = " ".join(self.text[start:end].split())
        return piece if len(piece) <= 40 else piece[:37] + "…"


def _normalise(text: str) -> tuple[str, tuple[int, ...]]:
    """Layers 1–2: check size and characters; return the Python source and its positions."""
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula is too long (max {MAX_LENGTH} characters, this one has {len(text)})"
        )
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in _ALLOWED_ASCII:
            out.append(ch)
            where.append(i)
            continue
        if ch in _ALIASES:
            rep = _ALIASES[ch]
            out.extend(rep)
            where.extend([i] * len(rep))
            continue
        category = unicodedata.category(ch)
        if category == "Zs":  # non-breaking and other spaces
            out.append(" ")
            where.append(i)
            continue
        if ch in _CHAR_HINTS:
            raise ExpressionError(
                f"{_show(ch)} at {_ordinal(i)} is not allowed — {_CHAR_HINTS[ch]}", i
            )
        if category in ("Cc", "Cf"):
            raise ExpressionError(
                f"the formula contains an invisible control character ({_show(ch)}) at "
                f"{_ordinal(i)} — retype the formula as plain text",
                i,
            )
        if ord(ch) < 128:
            raise ExpressionError(f"{_show(ch)} at {_ordinal(i)} is not allowed — {_HELP}", i)
        raise ExpressionError(
            f"the character {_show(ch)} (U+{ord(ch):04X}) at {_ordinal(i)} is not "
            f"allowed — type plain letters, digits and + - * / ^ ( )",
            i,
        )
    source = "".join(out)
    # strip surrounding blanks (a leading blank is an IndentationError for Python)
    lead = len(source) - len(source.lstrip(" \t"))
    source = source.strip(" \t")
    return source, tuple(where[lead : lead + len(source)])


_TOKEN = re.compile(
    r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<op>\*\*|[-+*/(),])"
    r"|(?P<blank>[ \t]+)"
    r"|(?P<other>.)"
)


def _check_tokens(source: str, where: tuple[int, ...]) -> None:
    """Layer 3: keywords, stray dots and two operands side by side."""

    def pos(i: int) -> int:
        return where[i] if i < len(where) else (where[-1] + 1 if where else 0)

    previous: tuple[str, str] | None = None  # kind and text of the last token
    for m in _TOKEN.finditer(source):
        kind, tok, at = m.lastgroup, m.group(), pos(m.start())
        if kind == "blank":
            continue
        if kind == "other":
            hint = "a '.' belongs inside a number such as 0.5" if tok == "." else _HELP
            raise ExpressionError(f"'{tok}' at {_ordinal(at)} is not allowed — {hint}", at)
        if kind == "name" and keyword.iskeyword(tok) and tok not in ("True", "False", "None"):
            raise ExpressionError(
                f"'{tok}' at {_ordinal(at)} is a Python keyword, not part of a formula — {_HELP}",
                at,
            )
        if previous is not None:
            pkind, ptok = previous
            ends_operand = pkind in ("number", "name") or ptok == ")"
            starts_operand = kind in ("number", "name") or (tok == "(" and pkind == "number")
            if ends_operand and starts_operand:
                if pkind == "name" and ptok in FUNCTIONS:
                    raise ExpressionError(
                        f"'{ptok}' is a function and needs brackets: write {ptok}({tok}) "
                        f"(at {_ordinal(at)})",
                        at,
                    )
                if pkind == "number" and kind == "number":
                    raise ExpressionError(
                        f"two numbers side by side ('{ptok}' and '{tok}') at {_ordinal(at)} "
                        "— is there a typo?",
                        at,
                    )
                right = "(…)" if tok == "(" else tok
                raise ExpressionError(
                    f"missing operator between '{ptok}' and '{tok}' at {_ordinal(at)} — "
                    f"write {ptok}*{right} to multiply",
                    at,
                )
        previous = (kind, tok)


def _syntax_message(
    err: SyntaxError, source: str, where: tuple[int, ...], text: str
) -> ExpressionError:
    """Layer 4: Python's syntax error in a student's words, pointing into ``text``."""

    def pos(i: int) -> int:
        return where[i] if 0 <= i < len(where) else (where[-1] + 1 if where else 0)

    msg = err.msg or ""
    off = (err.offset or 0) - 1  # 0-based index into the source; -1 when unknown
    at = pos(off)
    if "never closed" in msg:
        return ExpressionError(f"the '(' at {_ordinal(at)} is never closed — add a ')'", at)
    if "unmatched" in msg or "does not match" in msg:
        return ExpressionError(f"the ')' at {_ordinal(at)} has no matching '('", at)
    if "too many nested parentheses" in msg:
        return ExpressionError(
            f"too many nested brackets (at most {MAX_DEPTH} levels) — simplify the formula"
        )
    if "leading zeros" in msg:
        return ExpressionError(
            f"the number at {_ordinal(at)} starts with 0 — write 7 rather than 007", at
        )
    if "literal" in msg or "digit" in msg:
        return ExpressionError(f"the number at {_ordinal(at)} is malformed", at)
    if off < 0 or off >= len(source) or not source[off:].strip():
        end = pos(len(source))
        last = text[:end].rstrip()[-1:]
        after = f" after '{last}'" if last else ""
        return ExpressionError(f"the formula ends too early — something is missing{after}", end)
    ch = text[at] if at < len(text) else source[off]
    note = ""
    if ch in "*^":
        note = " ('^' is allowed and means power, e.g. x^2; '*' means times)"
    return ExpressionError(f"unexpected '{ch}' at {_ordinal(at)}{note}", at)


def _parse_source(source: str) -> ast.Expression:
    """Parse Python source in eval mode; failures other than SyntaxError become
    ExpressionError.

    :func:`ast.parse` only builds a tree; it executes nothing. Warnings it might emit
    (``SyntaxWarning`` for odd literals) are silenced.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="eval")
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        raise ExpressionError("the formula is too complicated to read — simplify it") from exc


# ---------------------------------------------------------------------------
# Layer 5: the allow-list walk with its limits
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Info:
    """What the walk knows about a sub-expression."""

    value: float | None  # its value when it has no x or y, else None
    exp_level: int  # nesting of exponentials inside it
    degree: float  # product of nested constant exponents (1 when none)


_FORBIDDEN = {
    ast.Attribute: ("'.' after a name or bracket (attribute access) is not allowed", ""),
    ast.Subscript: ("'[ ]' (indexing) is not allowed", "use round brackets ( )"),
    ast.Slice: ("slices are not allowed", ""),
    ast.Compare: ("comparisons (<, >, ==, is, in) are not allowed", "a formula gives a number"),
    ast.BoolOp: ("'and' and 'or' are not allowed", ""),
    ast.IfExp: ("'if … else' is not allowed", ""),
    ast.Lambda: ("'lambda' is not allowed", ""),
    ast.ListComp: ("'for' (comprehensions) is not allowed", ""),
    ast.SetComp: ("'for' (comprehensions) is not allowed", ""),
    ast.DictComp: ("'for' (comprehensions) is not allowed", ""),
    ast.GeneratorExp: ("'for' (comprehensions) is not allowed", ""),
    ast.Tuple: (
        "a ',' outside a function's brackets is not allowed",
        "a formula is one expression; ',' only separates the arguments of atan2(y, x)",
    ),
    ast.List: ("'[ ]' (lists) are not allowed", "use round brackets ( )"),
    ast.Set: ("'{ }' is not allowed", "use round brackets ( )"),
    ast.Dict: ("'{ }' is not allowed", "use round brackets ( )"),
    ast.JoinedStr: ("text (f-strings) is not part of a formula", ""),
    ast.FormattedValue: ("text (f-strings) is not part of a formula", ""),
    ast.NamedExpr: ("':=' (assignment) is not allowed", ""),
    ast.Starred: ("'*' in front of an argument is not allowed", "'*' means times"),
    ast.Await: ("'await' is not allowed", ""),
    ast.Yield: ("'yield' is not allowed", ""),
    ast.YieldFrom: ("'yield' is not allowed", ""),
}
_OPERATORS = {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow}
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^ (bitwise)",
    ast.BitAnd: "&",
}
_FAMILY = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}
_TOO_LARGE = f"numbers must stay below about 1e308 (literals at most {MAX_NUMBER:.0e})"
_TOWER = "power towers are not allowed"
_TOWER_HINT = (
    "an exponent may not contain exp() or a power with x or y in its exponent; "
    "exp(exp(x)) is allowed"
)


def _fmt(v: float) -> str:
    return f"{v:.10g}"


class _Walker:
    """Layer 5: check a tree against the allow-list and the limits, bottom-up.

    The depth is checked on the way down, so the recursion stops at ``MAX_DEPTH`` levels
    (a chain ``a + b - c + …`` or ``a * b / c …`` is one level, whatever its length, and
    is bounded by ``MAX_NODES``). Everything not explicitly handled is refused.
    """

    def __init__(self, parsed: Parsed) -> None:
        self.p = parsed
        self.nodes = 0

    def fail(
        self, what: str, node: ast.AST | None = None, hint: str = "", show: bool = True
    ) -> ExpressionError:
        """``<what> at character N ('<its text>') — <hint>``."""
        where, i = "", None
        if node is not None and hasattr(node, "col_offset"):
            i = self.p.position(node.col_offset)
            where = f" at {_ordinal(i)}" + (f" ('{self.p.segment(node)}')" if show else "")
        return ExpressionError(what + where + (f" — {hint}" if hint else ""), i)

    def walk(self, node: ast.AST, depth: int = 0, family: str | None = None) -> _Info:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(
                f"the formula has too many parts (more than {MAX_NODES}) — simplify it"
            )
        if depth > MAX_DEPTH:
            raise self.fail(
                f"the formula is nested too deeply (more than {MAX_DEPTH} levels)",
                node,
                "simplify it",
                show=False,
            )
        if isinstance(node, ast.Expression):
            return self.walk(node.body, depth, None)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                word = "'not'" if isinstance(node.op, ast.Not) else "'~'"
                raise self.fail(f"{word} is not allowed", node)
            inner = self.walk(node.operand, depth + 1, None)
            if inner.value is None or isinstance(node.op, ast.UAdd):
                return inner
            return replace(inner, value=-inner.value)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth, family)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        for kind, (what, hint) in _FORBIDDEN.items():
            if isinstance(node, kind):
                raise self.fail(what, node, hint)
        raise self.fail("this is not allowed in a formula", node, _HELP)

    def constant(self, node: ast.Constant) -> _Info:
        v = node.value
        if type(v) in (int, float):
            if not math.isfinite(v) or abs(v) > MAX_NUMBER:
                raise self.fail("the number is too large", node, _TOO_LARGE)
            return _Info(float(v), 0, 1.0)
        if type(v) is complex:
            raise self.fail("imaginary numbers (like 1j) are not allowed", node)
        if isinstance(v, (str, bytes)):
            raise self.fail("text in quotes is not part of a formula", node)
        if isinstance(v, bool) or v is None:
            raise self.fail(f"unknown name '{v}'", node, "use x and y", show=False)
        raise self.fail("this is not allowed in a formula", node, _HELP)

    def name(self, node: ast.Name) -> _Info:
        ident = node.id
        if ident in _VARIABLES:
            return _Info(None, 0, 1.0)
        if ident in _CONSTANTS:
            return _Info(_CONSTANTS[ident][1], 0, 1.0)
        if ident in FUNCTIONS:
            raise self.fail(
                f"'{ident}' is a function", node, f"write {ident}(…) with its argument", False
            )
        raise self.fail(f"unknown name '{ident}'", node, _unknown_name_hint(ident), show=False)

    def binop(self, node: ast.BinOp, depth: int, family: str | None) -> _Info:
        op = type(node.op)
        if op not in _OPERATORS:
            symbol = _OPERATOR_SYMBOLS.get(op, op.__name__)
            raise self.fail(f"the operator '{symbol}' is not allowed", node, _HELP)
        if op is ast.Pow:
            return self.power(node, depth)
        fam = _FAMILY[op]
        # a chain a + b - c + … nests to the left in the tree: count it as one level
        left = self.walk(node.left, depth if fam == family else depth + 1, fam)
        right = self.walk(node.right, depth + 1, None)
        if op is ast.Div and right.value == 0:
            raise self.fail("division by zero", node)
        value = None
        if left.value is not None and right.value is not None:
            a, b = left.value, right.value
            if op is ast.Div:
                value = a / b
            else:
                value = a + b if op is ast.Add else a - b if op is ast.Sub else a * b
            self.finite(value, node)
        return _Info(value, max(left.exp_level, right.exp_level), max(left.degree, right.degree))

    def power(self, node: ast.BinOp, depth: int) -> _Info:
        base = self.walk(node.left, depth + 1, None)
        exponent = self.walk(node.right, depth + 1, None)
        if exponent.exp_level > 0:
            raise self.fail(_TOWER, node, _TOWER_HINT)
        if exponent.value is None:  # an exponential such as 2^x or x^y
            if base.value is not None and base.value <= 0:
                raise self.fail(
                    f"{'0' if base.value == 0 else 'a negative number'} to a power containing "
                    "x or y is not a real number",
                    node,
                )
            level = base.exp_level + 1
            if level > MAX_EXP_NESTING:
                raise self.fail(
                    f"exponentials are nested too deeply (at most {MAX_EXP_NESTING} levels)",
                    node,
                    "simplify it",
                )
            return _Info(None, level, base.degree)
        p = exponent.value
        if abs(p) > MAX_EXPONENT:
            raise self.fail(
                f"the exponent {_fmt(p)} is too large",
                node.right,
                f"exponents may be at most {MAX_EXPONENT} in size",
            )
        # a constant power is bounded by its value instead (below)
        degree = 1.0 if base.value is not None else max(1.0, abs(p)) * base.degree
        if degree > MAX_DEGREE:
            raise self.fail(
                f"the powers are nested too high (together a power of {_fmt(degree)})",
                node,
                f"at most {MAX_DEGREE}",
            )
        value = None
        if base.value is not None:
            b = base.value
            if b == 0 and p < 0:
                raise self.fail("0 to a negative power is a division by zero", node)
            if b < 0 and p != int(p):
                raise self.fail(
                    "a negative number to a fractional power is not a real number", node
                )
            try:
                value = math.pow(b, p)
            except OverflowError:
                raise self.fail("this number is too large", node, _TOO_LARGE) from None
            self.finite(value, node)
        return _Info(value, base.exp_level, degree)

    def call(self, node: ast.Call, depth: int) -> _Info:
        func = node.func
        if not isinstance(func, ast.Name):
            i = self.p.source.find("(", func.end_col_offset or 0)
            i = self.p.position(i if i >= 0 else node.col_offset)
            raise ExpressionError(
                f"missing operator before the '(' at {_ordinal(i)} — to multiply, write "
                "'*' before it, e.g. (x+1)*(x-1)",
                i,
            )
        fname = func.id
        if fname not in FUNCTIONS:
            if fname in _VARIABLES or fname in _CONSTANTS:
                raise self.fail(
                    f"'{fname}' is not a function", func, f"write {fname}*(…) to multiply", False
                )
            raise self.fail(
                f"unknown function '{fname}'", func, _unknown_function_hint(fname), False
            )
        if node.keywords:
            raise self.fail(
                "'name=value' and '**' are not allowed in a function's brackets",
                node,
                f"write {fname}(…) with plain arguments",
            )
        spec = FUNCTIONS[fname]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                what, hint = _FORBIDDEN[ast.Starred]
                raise self.fail(what, arg, hint)
        if len(node.args) != spec.arity:
            want = "1 argument" if spec.arity == 1 else f"{spec.arity} arguments"
            if fname == "atan2":
                want += " (y, x)"
            raise self.fail(f"{fname} takes {want}, not {len(node.args)}", node)
        args = [self.walk(a, depth + 1, None) for a in node.args]
        level = max(a.exp_level for a in args)
        if fname == "exp":
            level += 1
            if level > MAX_EXP_NESTING:
                raise self.fail(
                    f"exponentials are nested too deeply (at most {MAX_EXP_NESTING} levels)",
                    node,
                    "simplify it",
                )
        value = None
        if all(a.value is not None for a in args):
            try:
                value = float(spec.number(*(a.value for a in args)))
            except OverflowError:
                raise self.fail("this number is too large", node, _TOO_LARGE) from None
            except (ValueError, ZeroDivisionError):
                raise self.fail("this is not a real number", node, spec.domain) from None
            self.finite(value, node)
            self.p.constants[node] = value
        return _Info(value, level, max(a.degree for a in args))

    def finite(self, value: float, node: ast.AST) -> None:
        if not math.isfinite(value):
            raise self.fail("this number is too large", node, _TOO_LARGE)


def _split_name(name: str) -> list[str] | None:
    """Split 'xy', 'xpi', 'x2' into known names and numbers, if that is possible."""
    parts: list[str] = []
    i = 0
    while i < len(name):
        m = re.match(r"\d+", name[i:])
        if m:
            parts.append(m.group())
            i += len(m.group())
            continue
        for known in ("pi", "x", "y", "e"):
            if name.startswith(known, i):
                parts.append(known)
                i += len(known)
                break
        else:
            return None
    return parts


def _unknown_name_hint(ident: str) -> str:
    parts = _split_name(ident)
    if parts and len(parts) > 1:
        return f"for a product write {'*'.join(parts)}"
    for f in sorted(FUNCTIONS, key=len, reverse=True):
        rest = ident[len(f) :]
        if ident.startswith(f) and rest and _split_name(rest):
            return f"write {f}({'*'.join(_split_name(rest) or [rest])})"
    lower = ident.lower()
    if lower in _VARIABLES or lower in _CONSTANTS:
        return f"names are lower case: write {lower}"
    return "use x and y (and the constants pi and e)"


def _unknown_function_hint(fname: str) -> str:
    lower = fname.lower()
    guess = lower if lower in FUNCTIONS else None
    if lower.startswith("arc") and "a" + lower[3:] in FUNCTIONS:
        guess = "a" + lower[3:]
    if guess:
        return f"did you mean {guess}?"
    return f"the functions are {_FUNCTION_LIST}"


def parse(text: str) -> Parsed:
    """Layers 1–5: check ``text`` and return its validated syntax tree (no SymPy involved).

    Raises :class:`ExpressionError` with a student-facing message. Cheap (well under a
    millisecond), so a UI may call it on every keystroke.
    """
    source, where = _normalise(text)
    if not source:
        raise ExpressionError("the formula is empty — type a function of x and y, e.g. x^2 + y^2")
    _check_tokens(source, where)
    return _parse_and_walk(text, source, where)


def _parse_python(source: str) -> Parsed:
    """Layers 4–5 only, on raw Python source: lets the tests probe the allow-list alone."""
    return _parse_and_walk(source, source, tuple(range(len(source))))


def _parse_and_walk(text: str, source: str, where: tuple[int, ...]) -> Parsed:
    """Layers 4–5: the syntax tree of ``source``, checked node by node."""
    try:
        tree = _parse_source(source)
    except SyntaxError as err:
        raise _syntax_message(err, source, where, text) from None
    parsed = Parsed(text, source, tree, where)
    _Walker(parsed).walk(tree)
    return parsed


# ---------------------------------------------------------------------------
# Layer 6: translation to SymPy
# ---------------------------------------------------------------------------


def _to_sympy(node: ast.AST, constants: dict[ast.AST, float]) -> sp.Expr:
    """Translate a *validated* tree node by node into SymPy constructors.

    ``constants`` holds the float value of every constant call; it is used where SymPy's
    own exact value would not be recognisably real (``atan2(1, tan(e))`` comes back as
    ``-I*log(…)``).
    """
    if isinstance(node, ast.Expression):
        return _to_sympy(node.body, constants)
    if isinstance(node, ast.Constant):
        return sp.Integer(node.value) if type(node.value) is int else sp.Float(node.value)
    if isinstance(node, ast.Name):
        if node.id in _VARIABLES:
            return _VARIABLES[node.id]
        return _CONSTANTS[node.id][0]
    if isinstance(node, ast.UnaryOp):
        inner = _to_sympy(node.operand, constants)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        a, b = _to_sympy(node.left, constants), _to_sympy(node.right, constants)
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
        args = [_to_sympy(a, constants) for a in node.args]
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


def _expression(parsed: Parsed) -> sp.Expr:
    """Layer 6: the SymPy expression of a validated formula, checked to be real."""
    expr = _to_sympy(parsed.tree, parsed.constants)
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


# ---------------------------------------------------------------------------
# Building the Objective
# ---------------------------------------------------------------------------


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


def _build(parsed: Parsed) -> Objective:
    """Layers 6 and 8: SymPy expression → Objective (slow; run under the time limit)."""
    expr = _expression(parsed)
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
        log_scale=False,
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


def _build_guarded(parsed: Parsed) -> Objective:
    """:func:`_build`, with every unexpected failure turned into an ExpressionError."""
    try:
        return _build(parsed)
    except ExpressionError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError("this formula is too complex to process — simplify it") from exc
    except Exception as exc:
        raise ExpressionError(
            f"this formula could not be processed ({type(exc).__name__}) — try writing it "
            "differently"
        ) from exc


# ---------------------------------------------------------------------------
# Layer 7: the worker process
# ---------------------------------------------------------------------------

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from optviz.expressions import _worker_main; _worker_main()"
)
_TIMEOUT_MESSAGE = "this formula takes too long to process — simplify it"
_CRASH_MESSAGE = "this formula is too complex to process — simplify it"


def _limit_memory() -> None:
    """Cap the worker's address space (Linux only) so a runaway build gets MemoryError."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + WORKER_MEMORY_BYTES
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _worker_main() -> None:
    """The worker process: read ``{"id", "text"}`` lines, build, answer ``{"id", ...}``."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write to the answer channel
    _limit_memory()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            ident = request["id"]
        except (ValueError, KeyError, TypeError):
            continue
        try:
            _build_guarded(parse(request["text"]))
            answer: dict[str, Any] = {"id": ident, "ok": True}
        except ExpressionError as err:
            answer = {"id": ident, "error": str(err), "position": err.position}
        except BaseException:  # e.g. MemoryError while handling MemoryError
            answer = {"id": ident, "error": _CRASH_MESSAGE, "position": None}
        try:
            out.write(json.dumps(answer) + "\n")
            out.flush()
        except (OSError, ValueError):
            return


def _pump(stream: Any, lines: queue.Queue) -> None:
    """Reader thread: copy the worker's answer lines to a queue; None at the end."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


class _Worker:
    """One long-lived helper process that builds formulas under a time limit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue | None = None
        self.next_id = 0
        self.unavailable = False

    def command(self) -> list[str]:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return [sys.executable, "-P", "-c", _BOOT, root]

    def start(self) -> bool:
        if not sys.executable:
            return False
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        try:
            proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                bufsize=1,
                env=env,
            )
        except (OSError, ValueError):
            return False
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        try:
            ready = lines.get(timeout=STARTUP_TIMEOUT_SECONDS)
            ok = ready is not None and json.loads(ready).get("ready") is True
        except (queue.Empty, ValueError, AttributeError):
            ok = False
        if not ok:
            self.stop(proc)
            return False
        self.proc, self.lines = proc, lines
        return True

    def stop(self, proc: subprocess.Popen | None = None) -> None:
        proc = proc or self.proc
        if proc is None:
            return
        if proc is self.proc:
            self.proc, self.lines = None, None
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()

    def warm_up(self) -> None:
        """Start the process in the background, if it is not running."""

        def start() -> None:
            with self.lock:
                if self.proc is None and not self.unavailable and not self.start():
                    self.unavailable = True

        threading.Thread(target=start, daemon=True).start()

    def check(self, text: str, timeout: float) -> ExpressionError | bool | None:
        """Build ``text`` in the worker: None if it worked, the error if not, False when
        there is no worker to ask."""
        with self.lock:
            if self.unavailable:
                return False
            if self.proc is None or self.proc.poll() is not None:
                self.stop()
                if not self.start():
                    self.unavailable = True
                    return False
            assert self.proc is not None and self.lines is not None
            self.next_id += 1
            ident = self.next_id
            try:
                self.proc.stdin.write(json.dumps({"id": ident, "text": text}) + "\n")
                self.proc.stdin.flush()
            except (OSError, ValueError):
                self.stop()
                return ExpressionError(_CRASH_MESSAGE)
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stop()
                    self.warm_up()  # the next formula need not wait for a fresh start
                    return ExpressionError(_TIMEOUT_MESSAGE)
                try:
                    line = self.lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:  # the worker died (killed, out of memory…)
                    self.stop()
                    return ExpressionError(_CRASH_MESSAGE)
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(answer, dict) or answer.get("id") != ident:
                    continue
                if answer.get("ok") is True:
                    return None
                return ExpressionError(
                    str(answer.get("error") or _CRASH_MESSAGE), answer.get("position")
                )


_WORKER = _Worker()
atexit.register(_WORKER.stop)


# ---------------------------------------------------------------------------
# The cache and the public function
# ---------------------------------------------------------------------------


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


@dataclass(frozen=True)
class _Refusal:
    message: str
    position: int | None
    expires: float = math.inf  # time.monotonic() after which to try again


_CACHE: OrderedDict[str, Objective | _Refusal] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}
#: Seconds a "takes too long"/"too complex" refusal is remembered (a busy machine may
#: have been the cause); every other refusal is remembered like a result.
RETRY_AFTER_SECONDS = 600.0


def cache_info() -> CacheInfo:
    """How often a formula was served from the cache, built anew, and how many are kept."""
    with _CACHE_LOCK:
        return CacheInfo(_STATS["hits"], _STATS["misses"], len(_CACHE))


def clear_cache() -> None:
    """Forget every cached formula and refusal, and reset the counters."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _STATS.update(hits=0, misses=0)


def warm_up() -> None:
    """Start the worker process in the background (it takes about a second), so that the
    first formula does not wait for it. Optional: :func:`from_expression` starts it too."""
    if USE_WORKER:
        _WORKER.warm_up()


def _core(text: str) -> Objective:
    """The Objective for ``text`` with default metadata: from the cache or built anew."""
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be text, got {type(text).__name__}")
    with _CACHE_LOCK:
        hit = _CACHE.get(text)
        if isinstance(hit, _Refusal) and hit.expires < time.monotonic():
            del _CACHE[text]
            hit = None
        if hit is not None:
            _CACHE.move_to_end(text)
            _STATS["hits"] += 1
        else:
            _STATS["misses"] += 1
    if isinstance(hit, Objective):
        return hit
    if hit is not None:
        raise ExpressionError(hit.message, hit.position)
    try:
        parsed = parse(text)
        verdict = _WORKER.check(text, TIMEOUT_SECONDS) if USE_WORKER else False
        if isinstance(verdict, ExpressionError):
            raise verdict
        result: Objective | _Refusal = _build_guarded(parsed)
    except ExpressionError as err:
        message = str(err)
        transient = message in (_TIMEOUT_MESSAGE, _CRASH_MESSAGE)
        expires = time.monotonic() + RETRY_AFTER_SECONDS if transient else math.inf
        result = _Refusal(message, err.position, expires)
    with _CACHE_LOCK:
        _CACHE[text] = result
        _CACHE.move_to_end(text)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, _Refusal):
        raise ExpressionError(result.message, result.position)
    return result


def _real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _check_bounds(bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    if bounds is None:
        return DEFAULT_BOUNDS
    shape = "the plot window must be given as ((xmin, xmax), (ymin, ymax))"
    try:
        (x0, x1), (y0, y1) = bounds
    except (TypeError, ValueError):
        raise ExpressionError(shape) from None
    out = []
    for axis, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        if not (_real(lo) and _real(hi)):
            raise ExpressionError(f"{shape}: the {axis} range must be two numbers")
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ExpressionError(f"the {axis} range must be finite, got ({lo:g}, {hi:g})")
        if max(abs(lo), abs(hi)) > MAX_BOUND:
            raise ExpressionError(
                f"the {axis} range must lie within ±{MAX_BOUND:g} (beyond it the runner "
                f"counts a path as diverged), got ({lo:g}, {hi:g})"
            )
        if not lo < hi:
            raise ExpressionError(
                f"the {axis} range must have {axis}min < {axis}max, got ({lo:g}, {hi:g})"
            )
        out.append((lo, hi))
    return out[0], out[1]


def _check_start(start: Any) -> tuple[float, float]:
    message = "the start must be a point (x, y) of two finite numbers"
    try:
        sx, sy = start
    except (TypeError, ValueError):
        raise ExpressionError(message) from None
    if not (_real(sx) and _real(sy)) or not (math.isfinite(sx) and math.isfinite(sy)):
        raise ExpressionError(f"{message}, got {start!r}")
    return float(sx), float(sy)


# where to start by default, as fractions of the window (the first that is finite)
_START_FRACTIONS = [
    (0.2, 0.8),
    (0.8, 0.8),
    (0.8, 0.2),
    (0.2, 0.2),
    (0.5, 0.8),
    (0.5, 0.2),
    (0.2, 0.5),
    (0.8, 0.5),
    (0.35, 0.65),
    (0.65, 0.35),
    (0.5, 0.5),
]


def _default_start(obj: Objective, bounds: objectives.Bounds) -> tuple[float, float]:
    (x0, x1), (y0, y1) = bounds
    points = np.array([(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for fx, fy in _START_FRACTIONS])
    ok = np.isfinite(obj.value(points)) & np.isfinite(obj.grad(points)).all(axis=-1)
    best = points[int(np.argmax(ok))] if ok.any() else points[0]
    return float(best[0]), float(best[1])


def from_expression(
    text: str,
    *,
    bounds: objectives.Bounds | None = None,
    start: tuple[float, float] | None = None,
    name: str | None = None,
) -> Objective:
    """The :class:`~optviz.objectives.Objective` of a formula in ``x`` and ``y``.

    ``text`` uses numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * /``, ``^`` or ``**`` for
    powers, brackets and the :data:`FUNCTIONS`. ``bounds`` is the plot window
    ``((xmin, xmax), (ymin, ymax))`` (default ±3), ``start`` the default start (default: a
    point inside the window where the function and its gradient are finite), ``name``
    the objective's key (default ``"custom"``). The result has ``display_name``
    ``"f(x, y) = <text>"``, LaTeX from SymPy, no known minima and a linear colour scale.

    Raises :class:`ExpressionError` for a formula, window or start it will not accept —
    including a function with no finite value anywhere in the window. See the module
    docstring for the safety layers; repeated formulas come from a cache.
    """
    bounds_ = _check_bounds(bounds)
    start_ = None if start is None else _check_start(start)
    if name is not None and not isinstance(name, str):
        raise ExpressionError(f"the name must be text, got {type(name).__name__}")
    core = _core(text)
    (x0, x1), (y0, y1) = bounds_
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41)), axis=-1)
    if not np.isfinite(core.value(grid)).any():
        raise ExpressionError(
            f"f(x, y) has no finite real value anywhere in the window x from {x0:g} to {x1:g}, "
            f"y from {y0:g} to {y1:g} (like the log of a negative number, or a number too large)"
        )
    return replace(
        core,
        name=name or "custom",
        display_name=f"f(x, y) = {text.strip()}",
        bounds=bounds_,
        start=start_ if start_ is not None else _default_start(core, bounds_),
    )
