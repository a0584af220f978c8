"""Every way optviz writes a number, in one place (the core; no Streamlit, no Plotly).

==========================  ===================================================================
:func:`fmt`                 prose (lessons, captions): 3 significant digits, ``1e-6``, ``5.4e73``
:func:`distinct_labels`     values to tell apart (a ghost fan's): as few digits as keep them apart
:func:`table_number`        every table's cells (summary, step inspector, network): ``7e-31``
:func:`pct`, :func:`times`  a ratio as a percentage (``0.64 %``) or a factor (``24×``)
:func:`share`               a share of a sweep's grid (``37.2%``)
:func:`latex_number`        LaTeX for the step inspector: ``1.234 \\times 10^{-5}``
:func:`plain_number`        the same as plain text, for tables: ``1.234 × 10⁻⁵``
:func:`slider_value`        a hyperparameter as its slider shows it (``1e-06``, ``0.95``)
:func:`tick`                a power of ten on a log axis (``0.01``, ``1e-5``)
:func:`power_of_ten`        10 to a whole power as a colour-bar label (``10⁻³``)
:func:`hover_value`         a heatmap cell's value (``—`` where there is none)
:func:`query_text`          a setting in a link: exact (``repr``), whole numbers without ``.0``
:func:`message_number`      a number in a formula's error message (10 significant digits)
==========================  ===================================================================
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "distinct_labels",
    "fmt",
    "hover_value",
    "latex_number",
    "message_number",
    "pct",
    "plain_number",
    "power_of_ten",
    "query_text",
    "share",
    "slider_value",
    "table_number",
    "tick",
    "times",
]


def fmt(value: Any, digits: int = 3) -> str:
    """A number as the lessons print it: ``digits`` significant digits, whole numbers from
    10^digits to 10^6 in full, exponents without padding (1e-6, 5.4e73); "NaN" for NaN,
    "∞" for infinities. ``float(fmt(v))`` parses back."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    text = f"{v:.{digits}g}"
    if "e" in text and 1 <= abs(v) < 1e6:
        return f"{v:.0f}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], text)


def distinct_labels(values: Any, digits: int = 3) -> list[str]:
    """Labels for values that must be told apart, e.g. a fan of ghost paths: :func:`fmt`
    with the fewest significant digits (at least ``digits``) that give distinct values
    distinct labels and show no value as a whole number it is not (ρ = 0.9995 is
    "0.9995", never "1")."""
    values = [float(v) for v in values]
    count = len(set(values))
    for d in range(digits, 18):
        labels = [fmt(v, d) for v in values]
        rounded_whole = any(
            math.isfinite(v) and not v.is_integer() and float(text).is_integer()
            for v, text in zip(values, labels)
            if text not in ("NaN", "∞", "−∞")
        )
        if len(set(labels)) == count and not rounded_whole:
            return labels
    return [repr(v) for v in values]


def table_number(value: Any) -> str:
    """A number in a table's cell, the one way every table of the app writes them: 3
    significant digits, scientific outside 10⁻³ … 10⁶ (``7e-31``, ``1.23e-5``, ``0.95``,
    ``4.2e42``), 0 as ``0``, never a row of zeros such as ``0.0000…07``; ``NaN``, ``∞``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v == 0:
        return "0"
    return fmt(v)


def pct(ratio: Any) -> str:
    """A ratio as a percentage: two significant digits below 10 %, whole percents above
    (0.0064 -> "0.64 %", 1.0 -> "100 %")."""
    try:
        r = float(ratio)
    except (TypeError, ValueError):
        return str(ratio)
    if not math.isfinite(r):
        return fmt(r)
    return f"{fmt(100 * r, 2)} %"


def times(ratio: Any) -> str:
    """A ratio as a factor: 24.2 -> "24×" (two significant digits)."""
    return f"{fmt(ratio, 2)}×"


def share(ratio: float) -> str:
    """A share of a sweep's grid, as the Sensitivity view prints it: 0.372 -> "37.2%"."""
    return f"{100 * ratio:.3g}%"


def latex_number(v: float, digits: int = 4) -> str:
    """A float as LaTeX: 4 significant digits, scientific notation as ``a \\times 10^{b}``."""
    if not math.isfinite(v):
        return r"\mathrm{NaN}" if math.isnan(v) else (r"\infty" if v > 0 else r"-\infty")
    if v == 0:
        return "0"
    exp = math.floor(math.log10(abs(v)))
    if -3 <= exp <= 4:
        return f"{v:.{digits}g}"
    mant = v / 10.0**exp
    text = f"{mant:.{digits - 1}f}".rstrip("0").rstrip(".")
    if text in ("10", "-10"):  # rounding carried into the next power
        text, exp = text[:-1], exp + 1
    return rf"{text} \times 10^{{{exp}}}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_number(v: float) -> str:
    """:func:`latex_number`'s value as plain text (1.234 × 10⁻⁵): no LaTeX to typeset."""
    text = latex_number(v)
    if r"\times 10^{" in text:
        mant, exp = text.split(r" \times 10^{")
        return f"{mant.replace('-', '−')} × 10{exp.rstrip('}').translate(_SUPERSCRIPT)}"
    return (
        text.replace(r"\mathrm{NaN}", "NaN")
        .replace(r"-\infty", "−∞")
        .replace(r"\infty", "∞")
        .replace("-", "−")
    )


def slider_value(v: float) -> str:
    """How a hyperparameter value is displayed: the value used, readably (1e-06, 0.95)."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.6g}"
    return f"{v:.0e}" if float(f"{v:.0e}") == v else f"{v:.3g}"


def tick(v: float) -> str:
    """Tick text for a power of ten: 0.01 … 100 plainly, else 1e-5, 1e3."""
    if v == 0:
        return "0"
    exp = math.floor(math.log10(abs(v)) + 1e-9)
    if -2 <= exp <= 2:
        return f"{v:.3g}"
    mant = v / 10.0**exp
    return f"1e{exp}" if abs(mant - 1) < 1e-6 else f"{mant:.2g}e{exp}"


def power_of_ten(exp: int) -> str:
    """10^exp as a label: "1", "10", "10⁻³", "10⁴"."""
    if exp == 0:
        return "1"
    if exp == 1:
        return "10"
    return "10" + str(exp).translate(_SUPERSCRIPT)


def hover_value(v: float) -> str:
    """A heatmap cell's value in its hover: 3 significant digits, "—" when not finite."""
    if not math.isfinite(v):
        return "—"
    return f"{v:.3g}"


def query_text(v: Any) -> str:
    """A setting as the link writes it: flags as 1/0, whole floats without ".0", other
    floats exactly (``repr``), anything else as its text."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def message_number(v: float) -> str:
    """A number in a typed formula's error message: 10 significant digits."""
    return f"{v:.10g}"
