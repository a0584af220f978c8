"""The error a refused formula raises, and the way messages name a place in the text.

Every layer of :mod:`optviz.formula` refuses with an :class:`ExpressionError`; nothing else
escapes :func:`~optviz.formula.from_expression` for any text.
"""

from __future__ import annotations


class ExpressionError(ValueError):
    """A formula (or its bounds or start) that :func:`~optviz.formula.from_expression` will
    not accept.

    ``str(err)`` is a message for the student; ``position`` is the 0-based index in the
    text where the problem is, or None when it is not about one place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


def ordinal(pos: int) -> str:
    """How a message names the 0-based index ``pos`` of the text: ``character <pos + 1>``."""
    return f"character {pos + 1}"
