"""Layers 4–5 of the safety checks: the syntax tree and the allow-list walk over it.

4. **Parsing.** :func:`ast.parse` in ``"eval"`` mode builds a syntax tree (it never runs
   anything); its own limits (``SyntaxError``, ``RecursionError``, ``MemoryError``…)
   become :class:`~optviz.formula.ExpressionError`.
5. **Allow-list walk.** Only these nodes pass: ``int``/``float`` literals (no ``bool``,
   complex, string or bytes), the names ``x y pi e``, unary ``+ -``, binary
   ``+ - * / **``, and calls by name to :data:`~optviz.formula.vocabulary.FUNCTIONS` with
   the right number of positional arguments. Everything else — attributes, subscripts,
   keywords, ``*args``, lambdas, comprehensions, comparisons, ``and``/``or``/``not``,
   ``if … else``, ``:=``, f-strings, any other name (builtins, dunders) — is refused. The
   same walk enforces limits that keep SymPy from hanging:

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

:func:`parse` runs layers 1–5 (with :mod:`optviz.formula.text`) and returns a
:class:`Parsed` formula: the checked tree, plus the float value of every constant call.
No SymPy is involved, so it is cheap enough to run on every keystroke.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from dataclasses import dataclass, field, replace

from .. import limits
from ..numbers import message_number
from .errors import ExpressionError, ordinal
from .text import check_tokens, normalise
from .vocabulary import CONSTANTS, FUNCTION_LIST, FUNCTIONS, HELP, VARIABLES

#: Most nodes in the syntax tree (numbers, names, operators, calls).
MAX_NODES = limits.MAX_FORMULA_NODES
#: Deepest nesting of brackets/functions/operators (a run of + - or of * / is one level).
MAX_DEPTH = limits.MAX_FORMULA_DEPTH
#: Largest size of a number literal.
MAX_NUMBER = limits.MAX_FORMULA_NUMBER
#: Largest size of a constant exponent.
MAX_EXPONENT = limits.MAX_FORMULA_EXPONENT
#: Largest product of nested constant exponents, as in ``(x^a)^b``.
MAX_DEGREE = limits.MAX_FORMULA_DEGREE
#: Deepest nesting of exponentials (``exp()`` or a power with x or y in its exponent).
MAX_EXP_NESTING = limits.MAX_FORMULA_EXP_NESTING


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
        return ExpressionError(f"the '(' at {ordinal(at)} is never closed — add a ')'", at)
    if "unmatched" in msg or "does not match" in msg:
        return ExpressionError(f"the ')' at {ordinal(at)} has no matching '('", at)
    if "too many nested parentheses" in msg:
        return ExpressionError(
            f"too many nested brackets (at most {MAX_DEPTH} levels) — simplify the formula"
        )
    if "leading zeros" in msg:
        return ExpressionError(
            f"the number at {ordinal(at)} starts with 0 — write 7 rather than 007", at
        )
    if "literal" in msg or "digit" in msg:
        return ExpressionError(f"the number at {ordinal(at)} is malformed", at)
    if off < 0 or off >= len(source) or not source[off:].strip():
        end = pos(len(source))
        last = text[:end].rstrip()[-1:]
        after = f" after '{last}'" if last else ""
        return ExpressionError(f"the formula ends too early — something is missing{after}", end)
    ch = text[at] if at < len(text) else source[off]
    note = ""
    if ch in "*^":
        note = " ('^' is allowed and means power, e.g. x^2; '*' means times)"
    return ExpressionError(f"unexpected '{ch}' at {ordinal(at)}{note}", at)


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
            where = f" at {ordinal(i)}" + (f" ('{self.p.segment(node)}')" if show else "")
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
        raise self.fail("this is not allowed in a formula", node, HELP)

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
        raise self.fail("this is not allowed in a formula", node, HELP)

    def name(self, node: ast.Name) -> _Info:
        ident = node.id
        if ident in VARIABLES:
            return _Info(None, 0, 1.0)
        if ident in CONSTANTS:
            return _Info(CONSTANTS[ident][1], 0, 1.0)
        if ident in FUNCTIONS:
            raise self.fail(
                f"'{ident}' is a function", node, f"write {ident}(…) with its argument", False
            )
        raise self.fail(f"unknown name '{ident}'", node, _unknown_name_hint(ident), show=False)

    def binop(self, node: ast.BinOp, depth: int, family: str | None) -> _Info:
        op = type(node.op)
        if op not in _OPERATORS:
            symbol = _OPERATOR_SYMBOLS.get(op, op.__name__)
            raise self.fail(f"the operator '{symbol}' is not allowed", node, HELP)
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
                f"the exponent {message_number(p)} is too large",
                node.right,
                f"exponents may be at most {MAX_EXPONENT} in size",
            )
        # a constant power is bounded by its value instead (below)
        degree = 1.0 if base.value is not None else max(1.0, abs(p)) * base.degree
        if degree > MAX_DEGREE:
            raise self.fail(
                f"the powers are nested too high (together a power of {message_number(degree)})",
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
                f"missing operator before the '(' at {ordinal(i)} — to multiply, write "
                "'*' before it, e.g. (x+1)*(x-1)",
                i,
            )
        fname = func.id
        if fname not in FUNCTIONS:
            if fname in VARIABLES or fname in CONSTANTS:
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
    if lower in VARIABLES or lower in CONSTANTS:
        return f"names are lower case: write {lower}"
    return "use x and y (and the constants pi and e)"


def _unknown_function_hint(fname: str) -> str:
    lower = fname.lower()
    guess = lower if lower in FUNCTIONS else None
    if lower.startswith("arc") and "a" + lower[3:] in FUNCTIONS:
        guess = "a" + lower[3:]
    if guess:
        return f"did you mean {guess}?"
    return f"the functions are {FUNCTION_LIST}"


def parse(text: str) -> Parsed:
    """Layers 1–5: check ``text`` and return its validated syntax tree (no SymPy involved).

    Raises :class:`ExpressionError` with a student-facing message. Cheap (well under a
    millisecond), so a UI may call it on every keystroke.
    """
    source, where = normalise(text)
    if not source:
        raise ExpressionError("the formula is empty — type a function of x and y, e.g. x^2 + y^2")
    check_tokens(source, where)
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
