"""A student's own formula as an :class:`~optviz.objectives.Objective`, safely.

:func:`from_expression` turns text such as ``"x^2 + 3*sin(y)"`` into the same
:class:`~optviz.objectives.Objective` as the catalogue's (value, gradient, Hessian and LaTeX,
built with :func:`optviz.objectives.from_sympy`). Anything it will not accept raises
:class:`ExpressionError` (a :class:`ValueError`) whose message says what is wrong and
where, in words meant for a student, e.g.::

    unknown name 'z' at character 5 — use x and y
    the formula is too long (max 300 characters)
    missing operator between '2' and 'x' at character 2 — write 2*x to multiply

The text comes from a web page, so it is treated as hostile. **Nothing the user types is
ever executed as code**: no text is ever handed to ``eval``, ``exec``, ``sympify`` or
``parse_expr``. It is only read character by character, parsed into a syntax tree by
:func:`ast.parse` (which builds the tree and runs nothing), checked node by node against
an allow-list, and translated by our own code into SymPy constructors; the only code that
ever runs is what SymPy's ``lambdify`` generates from that checked expression. The text
goes through these layers, each of which rejects with an :class:`ExpressionError`; each
module's docstring gives its layers in full:

1. **Size**, 2. **characters**, 3. **tokens** — :mod:`optviz.formula.text`: at most
   :data:`MAX_LENGTH` characters; no control or invisible characters, no non-ASCII except
   ``π − × · ÷`` and spaces, no ASCII a formula does not need; no keywords, stray dots or
   operands side by side.
4. **Parsing** and 5. **the allow-list walk** — :mod:`optviz.formula.tree`: only numbers,
   ``x y pi e``, ``+ - * / **`` and calls by name to :data:`FUNCTIONS`
   (:mod:`optviz.formula.vocabulary`) pass, within limits that keep SymPy from hanging
   (:data:`MAX_NODES`, :data:`MAX_DEPTH`, :data:`MAX_NUMBER`, :data:`MAX_EXPONENT`,
   :data:`MAX_DEGREE`, :data:`MAX_EXP_NESTING`, no power towers, constants that are finite
   and real).
6. **Translation** — :mod:`optviz.formula.translate` (tree → SymPy, refusing undefined or
   complex results) and :mod:`optviz.formula.build` (derivatives that cannot be evaluated
   on real floats are refused; compiled by :func:`optviz.objectives.from_sympy`).
7. **Time limit** — :mod:`optviz.formula.worker`: a new formula is first built in a
   separate worker process, killed after :data:`TIMEOUT_SECONDS`; results and refusals
   are cached by text (:mod:`optviz.formula.cache`).
8. **Numerics** — :mod:`optviz.formula.build`: where the function is not real and finite
   it gives NaN or ±inf, silently, and the runner marks the path diverged; a function with
   no finite value anywhere in the plot window is refused.

:func:`parse` runs layers 1–5 alone (no SymPy; cheap enough for every keystroke).

The modules depend on each other in one direction only: ``errors``, ``vocabulary`` ←
``text`` ← ``tree`` ← ``translate`` ← ``build`` ← ``worker`` ← ``cache`` ← ``api``. The
package depends on :mod:`optviz.objectives`, never the reverse. The limits exported here are
copies for reading; the settings read at run time (``TIMEOUT_SECONDS``, ``USE_WORKER``,
``RETRY_AFTER_SECONDS``) are changed on their modules, :mod:`optviz.formula.worker` and
:mod:`optviz.formula.cache`.
"""

from .api import MAX_BOUND, from_expression, suggest_bounds
from .build import DEFAULT_BOUNDS
from .cache import RETRY_AFTER_SECONDS, CacheInfo, cache_info, clear_cache
from .errors import ExpressionError
from .text import MAX_LENGTH
from .tree import (
    MAX_DEGREE,
    MAX_DEPTH,
    MAX_EXP_NESTING,
    MAX_EXPONENT,
    MAX_NODES,
    MAX_NUMBER,
    Parsed,
    parse,
)
from .vocabulary import FUNCTIONS
from .worker import TIMEOUT_SECONDS, warm_up

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
    "Parsed",
    "cache_info",
    "clear_cache",
    "from_expression",
    "parse",
    "suggest_bounds",
    "warm_up",
]
