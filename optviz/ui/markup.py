"""Text the user typed (a formula, a link's setting), or a message quoting it, made safe to
show in Streamlit's Markdown (``st.error``, ``st.warning``, ``st.markdown`` …): shown as
typed, never read as emphasis, links, maths or HTML. No Streamlit here."""

from __future__ import annotations

import re

__all__ = ["code", "escape"]

#: what Markdown reads inside a line (and Streamlit's extensions: $maths$, :colour[text],
#: ~~strike~~); the rest of CommonMark's escapable characters only matter at a line's start
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$#])")


def escape(text: object) -> str:
    """``text`` with every Markdown character backslash-escaped: ``x**2`` stays ``x**2``."""
    return _SPECIAL.sub(r"\\\1", str(text))


def code(text: object) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds (CommonMark: a fence of
    more backticks than any run inside, padded by spaces when the text starts or ends with
    one)."""
    s = str(text).replace("\n", " ")
    runs = [len(r) for r in re.findall(r"`+", s)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{fence}{pad}{s}{pad}{fence}"
