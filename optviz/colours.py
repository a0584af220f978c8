"""Colour arithmetic for telling paths apart (the core: NumPy only, no Plotly).

* :func:`simulate` — how a colour looks with a colour-vision deficiency: the matrices of
  Machado, Oliveira & Fernandes (2009), severity 1 (protanopia, deuteranopia,
  tritanopia), applied in linear RGB;
* :func:`lab` and :func:`delta_e` — CIELAB (D65) and the CIEDE2000 colour difference;
* :func:`min_distance` — the smallest ΔE between any two of a set of colours (and the
  background), for every kind of vision: what the palette's test holds above a threshold;
* :func:`ramp` — a position in [0, 1] on a sequential colour scale, as ``#rrggbb``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "CVD",
    "delta_e",
    "hex_rgb",
    "lab",
    "min_distance",
    "ramp",
    "rgb_hex",
    "simulate",
]

#: Machado et al. (2009), severity 1.0, for linear RGB ("normal" is the identity).
CVD: dict[str, np.ndarray] = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def hex_rgb(colour: str) -> np.ndarray:
    """``#rrggbb`` as sRGB in [0, 1]."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"a colour is #rrggbb, got {colour!r}")
    return np.array([int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def rgb_hex(rgb: Sequence[float]) -> str:
    """sRGB in [0, 1] as ``#rrggbb``."""
    return "#" + "".join(f"{round(255 * min(max(float(c), 0.0), 1.0)):02X}" for c in rgb)


def _linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _gamma(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def simulate(colour: str, vision: str = "normal") -> np.ndarray:
    """sRGB in [0, 1] of ``colour`` as seen with ``vision`` (a key of :data:`CVD`)."""
    return _gamma(CVD[vision] @ _linear(hex_rgb(colour)))


_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = _XYZ @ np.ones(3)


def lab(srgb: Sequence[float]) -> np.ndarray:
    """CIELAB (D65 white) of an sRGB colour in [0, 1]."""
    t = (_XYZ @ _linear(np.asarray(srgb, dtype=float))) / _WHITE
    e = 216 / 24389
    f = np.where(t > e, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """CIEDE2000 difference of two CIELAB colours (Sharma, Wu & Dalal 2005)."""
    l1, a1, b1 = (float(v) for v in lab1)
    l2, a2, b2 = (float(v) for v in lab2)
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        if dh > 180:
            dh -= 360
        elif dh < -180:
            dh += 360
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_bar_p = (l1 + l2) / 2, (c1p + c2p) / 2
    h_bar = h1p + h2p
    if c1p * c2p:
        if abs(h1p - h2p) <= 180:
            h_bar = h_bar / 2
        elif h_bar < 360:
            h_bar = (h_bar + 360) / 2
        else:
            h_bar = (h_bar - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (dc / s_c) * (d_h / s_h)
    )


def min_distance(
    colours: Sequence[str], vision: str = "normal", background: str | None = None
) -> tuple[float, tuple[str, str]]:
    """The smallest CIEDE2000 difference between two of ``colours`` (and between each and
    ``background``, if given) as seen with ``vision``, and the pair that has it."""
    seen = {c: lab(simulate(c, vision)) for c in {*colours, *filter(None, [background])}}
    pairs = list(itertools.combinations(colours, 2))
    if background:
        pairs += [(c, background) for c in colours]
    best = min(pairs, key=lambda p: delta_e(seen[p[0]], seen[p[1]]))
    return delta_e(seen[best[0]], seen[best[1]]), best


def ramp(t: float, scale: Sequence[tuple[float, tuple[int, int, int]]]) -> str:
    """The colour at ``t`` in [0, 1] on ``scale`` (``(position, (r, g, b))`` anchors, linear
    interpolation between them), as ``#rrggbb``."""
    t = min(max(float(t), 0.0), 1.0)
    pos = [a for a, _ in scale]
    rgb = [np.interp(t, pos, [c[k] for _, c in scale]) / 255 for k in range(3)]
    return rgb_hex(rgb)
