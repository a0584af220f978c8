"""Compiled kernels for :mod:`optviz.network`: tanh, its derivative, and the update rules.

:func:`optviz.network.sweep` (``engine="auto"`` or ``"compiled"``) runs three things
through numba instead of NumPy; everything else (the matrix products, the softmax, the
median step factor) stays NumPy. Nothing is written twice:

* **the update rule** is the optimizer's own ``rule`` — the same code object — compiled
  exactly as the 2-D engine compiles it (:func:`optviz.compiled._cell_rule`) and fed the
  hyperparameters its ``derive`` made for the NumPy path, one value per row
  (:func:`optviz.compiled._cell_hyperparams`), elementwise over the stacked parameter rows.
  It also does what the loop did around it — a diverged row's gradient and update set to
  zero, the update added to the weights — in the same order, so every number is the same
  bits as the NumPy path (asserted: 0 ulps, ``tests/test_network.py``);
* **the backward pass's** ``δ ⊙ (1 − a²)`` is fused in place: the same two operations,
  the same bits (no fastmath, so no FMA contraction);
* **the forward pass's** ``tanh(z + b)`` is fused in place, with a tanh of its own
  (:func:`_tanh`: Cephes' rational function below |x| = 0.625, ``1 − 2/(eˣ+1)`` with an
  fdlibm-style ``exp`` above) that has no library call, so that LLVM vectorises it (this
  NumPy build has no vector tanh for float64: 13 ns a number). It is not NumPy's tanh
  bit for bit: measured over 2·10⁶ arguments in [−20, 20] and near 0, it differs from
  ``np.tanh`` by at most :data:`TANH_ULPS` ulps (``tests/test_network.py`` asserts that
  bound; 79 % of them are the same bits), so a compiled tanh run drifts from the NumPy one
  by rounding only: after one epoch of the 64-100-100-10 network, measured, weights within
  10⁻¹¹ relative for ADADELTA, SGD, momentum and Adam, 3·10⁻⁹ for ADAGRAD's smallest
  weights (the tests assert 10⁻⁹ relative + 10⁻¹³ absolute for ADADELTA); the torch
  references (1e-11) still pass on the compiled path. ReLU runs are the same bits.

Kernels release the GIL and run their rows on :data:`optviz.parallel.THREADS` threads (rows
are independent, so the split changes no number). They are compiled once per process (or
loaded from numba's disk cache in :func:`optviz.compiled.cache_dir`); when numba is
missing or a compile fails the sweep runs on NumPy.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from . import compiled, optimizers
from .parallel import in_parts

Array = np.ndarray

#: the largest difference, in ulps, between :func:`_tanh` and ``np.tanh`` (measured and
#: asserted in the tests)
TANH_ULPS = 2
#: bump when a template changes (it is part of the on-disk key)
KERNEL_VERSION = 1

_STATIC = '''"""Kernels of optviz.network_compiled (generated; safe to delete)."""
import math

from numba import njit

# Cephes tanh.c, |x| < 0.625: tanh x = x + x·z·P(z)/Q(z), z = x²
P0 = -9.64399179425052238628e-1
P1 = -9.92877231001918586564e1
P2 = -1.61468768441708447952e3
Q0 = 1.12811678491632931402e2
Q1 = 2.23548839060100448583e3
Q2 = 4.84406305325125486048e3
# fdlibm e_exp.c
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
E1 = 1.66666666666666019037e-01
E2 = -2.77777777770155933842e-03
E3 = 6.61375632143793436117e-05
E4 = -1.65339022054652515390e-06
E5 = 4.13813679705723846039e-08


@njit(inline="always", error_model="numpy")
def _exp_pos(y):
    """exp(y) for 0 <= y <= 41, with no library call (k < 64: 2^k by six selects)."""
    k = int(y * INV_LN2 + 0.5)
    hi = y - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (E1 + t * (E2 + t * (E3 + t * (E4 + t * E5))))
    e = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    p = 1.0
    p = p * (2.0 if k & 1 else 1.0)
    p = p * (4.0 if k & 2 else 1.0)
    p = p * (16.0 if k & 4 else 1.0)
    p = p * (256.0 if k & 8 else 1.0)
    p = p * (65536.0 if k & 16 else 1.0)
    p = p * (4294967296.0 if k & 32 else 1.0)
    return e * p


@njit(inline="always", error_model="numpy")
def tanh(x):
    ax = abs(x)
    big = not (ax < 20.0)  # tanh is ±1 in float64 from |x| ≈ 19.06; inf and NaN too
    a = 20.0 if big else ax
    z = a * a
    small = a + a * z * ((P0 * z + P1) * z + P2) / (((z + Q0) * z + Q1) * z + Q2)
    large = 1.0 - 2.0 / (_exp_pos(a + a) + 1.0)
    t = small if a < 0.625 else large
    t = 1.0 if big else t
    t = -t if x < 0.0 else t
    return x if (x != x) | (x == 0.0) else t


@njit(cache=True, nogil=True, error_model="numpy")
def bias_tanh(z, b, lo, hi):
    """z[r, i, j] = tanh(z[r, i, j] + b[r, j]) for rows lo … hi − 1, in place."""
    n = z.shape[1]
    m = z.shape[2]
    for r in range(lo, hi):
        for i in range(n):
            for j in range(m):
                z[r, i, j] = tanh(z[r, i, j] + b[r, j])


@njit(cache=True, nogil=True, error_model="numpy")
def tanh_array(x, out, lo, hi):
    """out[i] = tanh(x[i]) for i in lo … hi − 1 (for the tests)."""
    for i in range(lo, hi):
        out[i] = tanh(x[i])


@njit(cache=True, nogil=True, error_model="numpy")
def times_tanh_grad(d, a, lo, hi):
    """d[r, i, j] *= 1 − a[r, i, j]² for rows lo … hi − 1, in place (a broadcast over
    rows when it has one)."""
    n = d.shape[1]
    m = d.shape[2]
    one = a.shape[0] == 1
    for r in range(lo, hi):
        ra = 0 if one else r
        for i in range(n):
            for j in range(m):
                v = a[ra, i, j]
                d[r, i, j] = d[r, i, j] * (1.0 - v * v)
'''

_RULE = '''"""An update-rule kernel of optviz.network_compiled (generated; safe to delete)."""
import math

from numba import njit

# set by optviz.network_compiled before the first call
rule = HP = Power = None


@njit(cache=True, nogil=True, error_model="numpy")
def rows(g, dead, params, upd, «ARGS_», lo, hi):
    p = g.shape[1]
    for r in range(lo, hi):
        hp = HP(«HP_»)
        d = dead[r]
        for j in range(p):
            gj = 0.0 if d else g[r, j]
            g[r, j] = gj
            u, f, _ = rule(gj, («FIELDS_»), hp, math.sqrt)
«STORES_»
            u = 0.0 if d else u
            upd[r, j] = u
            params[r, j] = params[r, j] + u
'''


def _rule_source(layout: tuple, n_fields: int) -> str:
    hp = ", ".join(
        f"Power(h_{name}[r])" if kind == "p" else f"h_{name}[r]" for name, kind in layout
    )
    fields = "".join(f"s{k}[r, j], " for k in range(n_fields))
    stores = "\n".join(f"            s{k}[r, j] = f[{k}]" for k in range(n_fields))
    args = ", ".join([*(f"h_{name}" for name, _ in layout), *(f"s{k}" for k in range(n_fields))])
    text = _RULE
    for name, value in {"ARGS_": args, "HP_": hp, "FIELDS_": fields, "STORES_": stores}.items():
        text = text.replace(f"«{name}»", value)
    return text


def _import(source: str, tag: str) -> Any:
    """Write ``source`` to the cache folder (once) and import it, so that numba's disk
    cache can key on the file."""
    digest = hashlib.sha256(
        repr((source, KERNEL_VERSION, compiled.numba.__version__, sys.version_info[:2])).encode()
    ).hexdigest()[:20]
    name = f"optviz_net_{tag}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    return compiled.import_source(name, source)


class _Entry:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error = ""
        self.seconds = float("nan")


_ENTRIES: dict[tuple, _Entry] = {}
_LOCK = threading.Lock()


def _split(kernel: Callable, n: int, *args: Any) -> None:
    """``kernel(*args, lo, hi)`` over ``0 … n`` cut into parts (the
    training's own split, :func:`optviz.parallel.in_parts`)."""
    in_parts(lambda lo, hi: kernel(*args, lo, hi), n)


def _build_static() -> Any:
    module = _import(_STATIC, "static")
    z = np.zeros((1, 1, 1))
    module.bias_tanh(z, np.zeros((1, 1)), 0, 1)
    module.times_tanh_grad(z, z, 0, 1)
    module.tanh_array(np.zeros(1), np.zeros(1), 0, 1)
    return module


def _build_rule(opt: optimizers.Optimizer, layout: tuple, n_fields: int) -> Callable:
    compiled._register_power()
    module = _import(_rule_source(layout, n_fields), f"rule_{opt.key}")
    module.rule = compiled._cell_rule(opt.rule)
    module.HP = namedtuple("HP", [n for n, _ in layout])
    module.Power = compiled.Power
    hp = [np.zeros(1, dtype=np.bool_ if k == "b" else np.float64) + 0.5 for _, k in layout]
    one = np.zeros((1, 1))
    module.rows(one, np.zeros(1, dtype=np.bool_), np.zeros((1, 1)), np.zeros((1, 1)), *hp,
                *(np.zeros((1, 1)) for _ in range(n_fields)), 0, 1)  # fmt: skip
    return module.rows


def _get(key: tuple, build: Callable[[], Any], wait: float | None) -> Any:
    """The built value of ``key`` (its build started in a thread if new), or None when
    it failed or is not ready within ``wait`` seconds (None: wait until done)."""
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is None:
            entry = _ENTRIES[key] = _Entry()

            def run() -> None:
                t0 = time.perf_counter()
                try:
                    entry.value = build()
                except Exception as err:  # any failure means "use NumPy"
                    entry.error = f"{type(err).__name__}: {str(err).strip()[:300]}"
                finally:
                    entry.seconds = time.perf_counter() - t0
                    entry.done.set()

            threading.Thread(target=run, name="optviz-net-compile", daemon=True).start()
    entry.done.wait(wait)
    return entry.value if entry.done.is_set() else None


class Kernels:
    """The compiled kernels one network sweep uses (see the module docstring)."""

    def __init__(self, static: Any, rows: Callable, hp: list[Array]) -> None:
        self._static = static
        self._rows = rows
        self._hp = hp

    def bias_tanh(self, z: Array, b: Array) -> Array:
        """``tanh(z + b[..., None, :])`` in place on ``z`` ``(..., n, h)``."""
        z3 = z.reshape(-1, *z.shape[-2:])
        b2 = np.ascontiguousarray(np.broadcast_to(b, (*z.shape[:-2], z.shape[-1]))).reshape(
            len(z3), -1
        )
        _split(self._static.bias_tanh, len(z3), z3, b2)
        return z

    def times_tanh_grad(self, d: Array, a: Array) -> Array:
        """``d * (1 − a²)`` in place on ``d`` (``a`` of d's shape, or broadcast over its
        configurations as the first layer's images are)."""
        d3 = d.reshape(-1, *d.shape[-2:])
        a3 = np.ascontiguousarray(np.broadcast_to(a, d.shape)).reshape(d3.shape)
        _split(self._static.times_tanh_grad, len(d3), d3, a3)
        return d

    def step(self, g: Array, dead: Array, params: Array, state: tuple) -> Array:
        """One update of every row: ``g`` zeroed where ``dead``, the state fields updated
        in place, the updates returned (zero where ``dead``) and added to ``params``."""
        upd = np.empty_like(g)
        _split(self._rows, len(g), g, dead, params, upd, *self._hp, *state)
        return upd


def tanh(x: Array) -> Array:
    """The compiled :func:`_tanh` over an array (for the tests); raises when numba is
    missing or the kernels do not compile."""
    static = _get(("static",), _build_static, None)
    if static is None:
        raise compiled.CompiledUnavailable("the network kernels did not compile")
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    _split(static.tanh_array, len(flat), flat, out)
    return out.reshape(np.shape(x))


def kernels(
    opt: optimizers.Optimizer, rows: int, state: tuple, wait: float | None
) -> Kernels | None:
    """The kernels for ``opt`` over ``rows`` parameter rows with state fields ``state``,
    or None (numba missing, a compile that failed, or not ready within ``wait`` s)."""
    if compiled.numba is None:
        return None
    try:
        layout, hp = compiled._cell_hyperparams(opt, rows)
    except compiled.CompiledUnavailable:
        return None
    if any(not (isinstance(f, np.ndarray) and f.flags.c_contiguous) for f in state):
        return None
    static = _get(("static",), _build_static, wait)
    key = ("rule", opt.key, compiled._rule_digest(opt.rule), layout, len(state))
    rule = _get(key, lambda: _build_rule(opt, layout, len(state)), wait)
    if static is None or rule is None:
        return None
    return Kernels(static, rule, hp)


def error(opt_key: str = "") -> str:
    """Why a kernel is missing (the static kernels, or the first failed rule), for messages."""
    for key, entry in _ENTRIES.items():
        if entry.done.is_set() and entry.error and opt_key in key:
            return entry.error
    return ""
