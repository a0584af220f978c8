"""Layers 1–3 of the safety checks: the formula as text, before anything is parsed.

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

:func:`normalise` returns the Python source (aliases replaced, blanks stripped) with, for
each of its characters, the index in the student's text it came from, so that every later
message points into what the student typed. Nothing here evaluates anything.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

from .. import limits
from .errors import ExpressionError, ordinal
from .vocabulary import FUNCTION_LIST, FUNCTIONS, HELP

#: Longest accepted formula, in characters (:mod:`optviz.limits`).
MAX_LENGTH = limits.MAX_FORMULA_LENGTH

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
    "_": "the only names are x, y, pi, e and the functions " + FUNCTION_LIST,
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


def _show(ch: str) -> str:
    """A character as a student can see it in a message."""
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def normalise(text: str) -> tuple[str, tuple[int, ...]]:
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
                f"{_show(ch)} at {ordinal(i)} is not allowed — {_CHAR_HINTS[ch]}", i
            )
        if category in ("Cc", "Cf"):
            raise ExpressionError(
                f"the formula contains an invisible control character ({_show(ch)}) at "
                f"{ordinal(i)} — retype the formula as plain text",
                i,
            )
        if ord(ch) < 128:
            raise ExpressionError(f"{_show(ch)} at {ordinal(i)} is not allowed — {HELP}", i)
        raise ExpressionError(
            f"the character {_show(ch)} (U+{ord(ch):04X}) at {ordinal(i)} is not "
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


def check_tokens(source: str, where: tuple[int, ...]) -> None:
    """Layer 3: keywords, stray dots and two operands side by side."""

    def pos(i: int) -> int:
        return where[i] if i < len(where) else (where[-1] + 1 if where else 0)

    previous: tuple[str, str] | None = None  # kind and text of the last token
    for m in _TOKEN.finditer(source):
        kind, tok, at = m.lastgroup, m.group(), pos(m.start())
        if kind == "blank":
            continue
        if kind == "other":
            hint = "a '.' belongs inside a number such as 0.5" if tok == "." else HELP
            raise ExpressionError(f"'{tok}' at {ordinal(at)} is not allowed — {hint}", at)
        if kind == "name" and keyword.iskeyword(tok) and tok not in ("True", "False", "None"):
            raise ExpressionError(
                f"'{tok}' at {ordinal(at)} is a Python keyword, not part of a formula — {HELP}",
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
                        f"(at {ordinal(at)})",
                        at,
                    )
                if pkind == "number" and kind == "number":
                    raise ExpressionError(
                        f"two numbers side by side ('{ptok}' and '{tok}') at {ordinal(at)} "
                        "— is there a typo?",
                        at,
                    )
                right = "(…)" if tok == "(" else tok
                raise ExpressionError(
                    f"missing operator between '{ptok}' and '{tok}' at {ordinal(at)} — "
                    f"write {ptok}*{right} to multiply",
                    at,
                )
        previous = (kind, tok)
