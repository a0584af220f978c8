"""A compiled sweep engine: one numba kernel per (optimizer, objective) runs a whole grid.

:func:`optviz.sweep` (``engine="compiled"``, or ``"auto"`` once a kernel is ready) hands
its grid to :func:`sweep_into`, which runs every cell for all steps in one compiled loop
and writes the same summaries as the NumPy loop of :mod:`optviz.sweeps`. Nothing is
written twice:

* the per-cell step is the optimizer's own ``rule`` — the same code object, compiled by
  ``numba.njit`` with ``math.sqrt`` as its ``sqrt`` (the helpers it calls that choose
  between a float and an array, ``_common_count``, ``_pow_half`` and ``np.where``, get
  their one-cell meaning: a cell's count is a float, ``v ** 0.5``, a select), and its
  hyperparameters are exactly what the optimizer's ``derive`` made for the NumPy path,
  read back per cell (Adam's ``β**t`` powers become :class:`Power`, ``base ** t`` with
  the same libm ``pow``);
* the gradient and the value are printed from the objective's SymPy expression by the
  printer of the NumPy code (:mod:`optviz.objectives`: whole powers as the same chain of
  multiplications), so catalogue functions and typed formulas alike compile.

The loop runs :data:`CHUNK` cells side by side in its inner loop (so LLVM vectorises
across cells: no fastmath, so no reassociation or FMA contraction; NumPy's error model,
so a division by zero gives inf or NaN as in NumPy instead of a branch that raises), the
chunks split over :data:`THREADS` threads (the kernel releases the GIL; numba's
``parallel=True`` tripled the compile time here). The noise is the NumPy path's own
array, ``gradient_noise(seed, steps, 1) * σ``, added to every cell, so noisy sweeps are
compiled too; the loop over cells is written twice, with the noise (gathered into rows
first) and without, since a test of ``noisy`` or a gather inside it keeps LLVM from
vectorising it (``tests/test_compiled.py`` checks the packed square roots).

Equality with the NumPy sweep (``tests/test_compiled.py``, every built-in optimizer on
several objectives and a typed formula): diverged flags, ``diverged_at`` and
``steps_to_tol`` exactly; values within :data:`ULP_BOUND` ulps. Built from + − × ÷ and
square roots (Rosenbrock, Beale, the quadratics …) every number is the same bits by
construction: each operation is correctly rounded in both, in the same order. Functions
such as sin and cos, and Adam's ``pow``, are libm's in the kernel; NumPy calls the same
libm on this machine (AVX2), so they agree too — measured: 0 ulps on every pair tested,
noise included. Where NumPy uses its own SIMD sin/cos (AVX-512 builds) a last-bit
difference per step could grow along a run beyond the bound, on those functions only.

Kernels are cached in memory by (optimizer key, rule code, hyperparameter layout,
objective expression) and on disk by numba (``cache=True``): each kernel's source is
written to :func:`cache_dir` so that numba can key its cache on the file. The first
compile takes a few seconds; ``engine="auto"`` never waits for it: it starts the compile
in a background thread and runs NumPy until the kernel is ready (and for good when
compiling fails, e.g. a formula with a function numba lacks). ``engine="compiled"``
waits up to :data:`COMPILE_LIMIT_S`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import math
import os
import re
import sys
import tempfile
import textwrap
import threading
import types
from collections import namedtuple
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from . import objectives, optimizers
from .objectives import Objective

try:  # numba is a dependency, but optviz works without it (the NumPy path)
    import numba
except ImportError:  # pragma: no cover - exercised where numba is missing
    numba = None

Array = np.ndarray

__all__ = [
    "CHUNK",
    "COMPILE_LIMIT_S",
    "ULP_BOUND",
    "CompiledUnavailable",
    "Power",
    "available",
    "cache_dir",
    "compile_seconds",
    "kernel_ready",
    "sweep_into",
]

#: Cells one chunk runs side by side in the inner loop (the compiler vectorises across them).
CHUNK = 512
#: Threads a compiled sweep runs its chunks on (the kernel releases the GIL, so unlike the
#: NumPy loop's threads these scale).
THREADS = os.cpu_count() or 1
#: How long ``engine="compiled"`` waits for a kernel to compile (seconds).
COMPILE_LIMIT_S = 120.0
#: Largest difference, in ulps, between a compiled and a NumPy sweep's values, over a whole
#: run (the tests assert it; measured here: 0 on every optimizer × objective tested, the
#: same bits — see the module docstring for where it could be more).
ULP_BOUND = 4
#: Bump when the kernel's template changes (it is part of the on-disk key).
KERNEL_VERSION = 3


class CompiledUnavailable(RuntimeError):
    """The compiled engine cannot run this sweep (no numba, a compile that failed or is
    still running, or a rule or gradient numba cannot compile); the message says which."""


def available() -> bool:
    """Whether numba is importable (the compiled engine can run at all)."""
    return numba is not None


def cache_dir() -> Path:
    """Where kernels' sources and numba's cache of them live: ``$OPTVIZ_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/optviz/kernels`` (``~/.cache/optviz/kernels``), else a temporary
    folder when that is not writable."""
    env = os.environ.get("OPTVIZ_CACHE_DIR")
    if env:
        path = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        path = Path(base) / "optviz" / "kernels"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        path = Path(tempfile.gettempdir()) / f"optviz-kernels-{os.getuid()}"
        path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------
# What a rule reads, per cell
# ---------------------------------------------------------------------------


class Power:
    """``base ** t``: one cell's counterpart of ``optimizers._FloatPow`` (Adam's powers),
    a value numba knows (see :func:`_register_power`)."""

    def __init__(self, base: float) -> None:
        self.base = float(base)

    def __call__(self, t: float) -> float:
        return self.base**t


_REGISTERED = False
_REGISTER_LOCK = threading.Lock()


def _register_power() -> None:
    """Teach numba :class:`Power`: a struct of one float, built in a kernel with
    ``Power(base)`` and called as ``p(t)`` → ``base ** t``."""
    global _REGISTERED
    with _REGISTER_LOCK:
        if not _REGISTERED:
            _register_power_once()
            _REGISTERED = True


def _register_power_once() -> None:
    from numba import types as nt
    from numba.core import cgutils
    from numba.extending import (
        lower_builtin,
        make_attribute_wrapper,
        models,
        overload_method,
        register_model,
        type_callable,
        typeof_impl,
    )

    class PowerType(nt.Type):
        def __init__(self) -> None:
            super().__init__(name="optviz.Power")

    power_type = PowerType()

    @typeof_impl.register(Power)
    def _typeof(val: Any, c: Any) -> Any:  # noqa: ARG001
        return power_type

    @register_model(PowerType)
    class _Model(models.StructModel):
        def __init__(self, dmm: Any, fe_type: Any) -> None:
            super().__init__(dmm, fe_type, [("base", nt.float64)])

    make_attribute_wrapper(PowerType, "base", "base")

    @type_callable(Power)
    def _type_new(context: Any) -> Callable:  # noqa: ARG001
        def typer(base: Any) -> Any:
            return power_type if isinstance(base, nt.Float) else None

        return typer

    @lower_builtin(Power, nt.Float)
    def _new(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        power = cgutils.create_struct_proxy(sig.return_type)(context, builder)
        power.base = args[0]
        return power._getvalue()

    @overload_method(PowerType, "__call__")
    def _call(self: Any, t: Any) -> Callable:  # noqa: ARG001
        def impl(self: Any, t: Any) -> float:
            return self.base**t

        return impl

    @lower_builtin(power_type, power_type, nt.float64)
    def _lower_call(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return context.compile_internal(builder, lambda p, t: p.base**t, sig, args)


def _select(condition: Any, a: Any, b: Any) -> Any:
    return a if condition else b


def _same(count: Any) -> Any:
    return count


def _pow_half(value: Any) -> Any:
    return value**0.5


def _cell_numpy() -> types.ModuleType:
    """NumPy's namespace with ``where`` as a one-cell select (a rule's ``np.where`` on
    per-row hyperparameters is, cell by cell, the branch it selects)."""
    module = types.ModuleType("optviz_cell_numpy")
    module.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("__")})
    module.where = numba.njit(_select)
    return module


def _cell_rule(rule: Callable) -> Callable:
    """The optimizer's rule — its own code object — with the globals that pick between a
    float and an array given their one-cell meaning, compiled by numba."""
    names = set(rule.__code__.co_names)
    glob = dict(rule.__globals__)
    if "np" in names:
        glob["np"] = _cell_numpy()
    if "_common_count" in names:
        glob["_common_count"] = numba.njit(_same)
    if "_pow_half" in names:
        glob["_pow_half"] = numba.njit(_pow_half)
    copy = types.FunctionType(
        rule.__code__, glob, rule.__name__, rule.__defaults__, rule.__closure__
    )
    return numba.njit(copy, inline="always", error_model="numpy")


def _rule_digest(rule: Callable) -> str:
    """A digest of the rule's code (bytecode, constants, names), for the cache keys."""
    code = rule.__code__
    parts = [code.co_code, repr(code.co_consts).encode(), repr(code.co_names).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _closure_value(fn: Callable, name: str) -> Any:
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    return cells[name].cell_contents


def _cell_hyperparams(opt: optimizers.Optimizer, size: int) -> tuple[tuple, list[Array]]:
    """What ``opt``'s rule reads as ``hp`` — the very ``_HP`` its ``derive`` made for the
    NumPy path — as one array per attribute: ``layout`` ((name, kind), …) with kind
    ``"f"`` (float), ``"b"`` (bool) or ``"p"`` (a :class:`Power`'s base)."""
    hp = _closure_value(opt.step, "hp")
    layout, arrays = [], []
    for name, value in vars(hp).items():
        if isinstance(value, optimizers._FloatPow):
            kind = "p"
            if value.scalar:
                arr = np.full(size, value.base)
            else:
                arr = np.asarray(value.unique, dtype=np.float64)[value.inverse].reshape(-1)
        elif isinstance(value, (bool, np.bool_)) or (
            isinstance(value, np.ndarray) and value.dtype == np.bool_
        ):
            kind, arr = "b", np.broadcast_to(np.asarray(value, dtype=np.bool_).reshape(-1), size)
        elif isinstance(value, (int, float, np.floating, np.integer, np.ndarray)):
            arr = np.asarray(value, dtype=np.float64).reshape(-1)
            kind, arr = "f", np.broadcast_to(arr, size)
        else:
            raise CompiledUnavailable(
                f"{opt.key}: hyperparameter {name!r} is a {type(value).__name__}, "
                "which the compiled engine does not know"
            )
        if not name.isidentifier():
            raise CompiledUnavailable(f"{opt.key}: hyperparameter name {name!r}")
        layout.append((name, kind))
        arrays.append(np.array(arr, order="C"))  # a writable copy: one signature for all
    return tuple(layout), arrays


# ---------------------------------------------------------------------------
# The kernel's source
# ---------------------------------------------------------------------------


class _Traced:
    """A stand-in for a number that records the multiplications done to it, as text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __mul__(self, other: _Traced) -> _Traced:
        return _Traced(f"({self.text}*{other.text})")


def _power_function(n: int) -> str:
    """``_ipow<n>(b)``: :func:`optviz.objectives.integer_power` for this ``n`` written out,
    traced from the function itself (the same multiplications in the same order), so
    that the compiler sees straight-line code instead of a loop."""
    return f"def _ipow{n}(b):\n    return {objectives.integer_power(_Traced('b'), n).text}\n"


_CALL = re.compile(r"(\(1/)?_integer_power\((.*), (\d+)\)(\))?")


class _KernelPrinter(objectives._ArrayPrinter):
    """The NumPy code's printer (the same powers, the same order), with ``numpy.`` names
    and each whole power as a call of its written-out ``_ipow<n>``."""

    def __init__(self, settings: dict) -> None:
        super().__init__(settings)
        self.powers: set[int] = set()

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        text = super()._print_Pow(expr, rational=rational)
        match = _CALL.fullmatch(text)
        if match is None:
            return text
        invert, base, n, _ = match.groups()
        self.powers.add(int(n))
        call = f"_ipow{n}({base})"
        return f"(1/{call})" if invert else call


def _code(exprs: list[sp.Expr]) -> tuple[list[str], str]:
    """Each expression as numba-ready code, and the ``_ipow<n>`` functions they call."""
    printer = _KernelPrinter({**objectives._PRINTER_SETTINGS, "fully_qualified_modules": True})
    texts = [printer.doprint(e) for e in exprs]
    powers = "\n\n".join(
        '@njit(inline="always", error_model="numpy")\n' + _power_function(n)
        for n in sorted(printer.powers)
    )
    return texts, powers


def _source(layout: tuple, n_fields: int, expr: sp.Expr) -> str:
    """The kernel module's source: value and gradient printed from ``expr``, and the loop.

    A chunk keeps every per-cell number — position, state fields, summaries and the
    hyperparameters the rule reads — in one ``(ROWS, CHUNK)`` work array indexed by
    constant rows, so that the compiler sees that no two rows overlap and vectorises the
    loop over cells (separate arrays would need a run-time overlap test per pair).
    """
    gradient, _ = objectives.differentiate(expr)
    (value, gx, gy), powers = _code([expr, *gradient])
    rows = {"px": 0, "py": 1, "best": 2, "stt": 3, "div": 4, "last": 5, "alive": 6}
    rows.update({"nx": 7, "ny": 8})  # the step's noise of each cell, gathered
    for k in range(n_fields):
        for c in "xy":
            rows[f"s{k}{c}"] = len(rows)
    for name, _ in layout:
        rows[f"h_{name}"] = len(rows)

    def w(row: str) -> str:
        return f"r_{row}[j]"

    hp_args = [f"h_{name}" for name, _ in layout]
    inits = [f"s{k}{c}" for k in range(n_fields) for c in "xy"]
    fill = "\n".join(f"            {w(a)} = i_{a}[i]" for a in (*inits, *hp_args))
    hp_new = ", ".join(
        f"Power({w('h_' + name)})"
        if kind == "p"
        else f"({w('h_' + name)} != 0.0)"
        if kind == "b"
        else w("h_" + name)
        for name, kind in layout
    )

    def fields(c: str) -> str:
        return "(" + "".join(f"{w(f's{k}{c}')}, " for k in range(n_fields)) + ")"

    stores = "\n".join(f"{w(f's{k}{c}')} = f{c}[{k}]" for k in range(n_fields) for c in "xy")
    args = ", ".join(["i_x0", "i_y0", "i_best0", "i_stt0", "nrow",
                      *(f"i_{a}" for a in (*hp_args, *inits))])  # fmt: skip
    # the cell's step, written once and placed in both of the kernel's loops over cells
    step = _STEP.replace("«STORES_»", stores)
    template = _TEMPLATE.replace("«STEP_»", textwrap.indent(step, " " * 20))
    for name, text in {
        "CHUNK_": str(CHUNK),
        "ROWS_": str(len(rows)),
        "VALUE_": value,
        "GRAD_": f"{gx}, {gy}",
        "POWERS_": powers,
        "ARGS_": args,
        "FILL_": fill,
        "HP_": hp_new,
        "FX_": fields("x"),
        "FY_": fields("y"),
    }.items():
        template = template.replace(f"«{name}»", text)
    views = "\n".join(f"    r_{row} = w[{index}]" for row, index in rows.items())
    template = template.replace("«VIEWS_»", views)
    for row in rows:
        template = template.replace(f"«{row}»", f"r_{row}[j]")
    return template


_TEMPLATE = '''"""A kernel of optviz.compiled (generated; safe to delete)."""
import math

import numpy
from numba import njit

CHUNK = «CHUNK_»
ROWS = «ROWS_»
NAN = math.nan
# set by optviz.compiled before the first call
rule = HP = Power = None


«POWERS_»


@njit(cache=True, error_model="numpy")
def value(x, y):
    return «VALUE_»


@njit(cache=True, error_model="numpy")
def grad(x, y):
    return («GRAD_»)


@njit(cache=True, nogil=True, error_model="numpy")
def kernel(«ARGS_», xi, noisy, steps, box, f_min, has_min, tol,
           c_lo, c_hi, o_final, o_best, o_stt, o_div, o_px, o_py):
    n = o_final.shape[0]
    w = numpy.empty((ROWS, CHUNK))
«VIEWS_»
    for c in range(c_lo, c_hi):
        lo = c * CHUNK
        m = min(CHUNK, n - lo)
        for j in range(m):
            i = lo + j
            «px» = i_x0[i]
            «py» = i_y0[i]
            «best» = i_best0[i]
            «stt» = i_stt0[i]
            «div» = -1.0
            «last» = NAN
            «alive» = 1.0
«FILL_»
        for t in range(1, steps + 1):
            ft = float(t)
            count = 0
            # Two loops over the cells, one with noise and one without: a test of `noisy`
            # (or a gather from xi) inside the loop keeps LLVM from vectorising it, which
            # costs ~10x here. The noise is gathered into rows first.
            if noisy:
                for j in range(m):
                    r = nrow[lo + j]
                    «nx» = xi[t - 1, r, 0]
                    «ny» = xi[t - 1, r, 1]
                for j in range(m):
                    gx, gy = grad(«px», «py»)
                    gx = gx + «nx»
                    gy = gy + «ny»
«STEP_»
            else:
                for j in range(m):
                    gx, gy = grad(«px», «py»)
«STEP_»
            if count == 0:
                break
        for j in range(m):
            i = lo + j
            o_final[i] = «last» if «alive» != 0.0 else NAN
            o_best[i] = «best»
            o_stt[i] = int(«stt»)
            o_div[i] = int(«div»)
            o_px[i] = «px»
            o_py[i] = «py»
'''


#: one cell's step after its gradient ``gx, gy``: the rule, the move and the summaries
_STEP = """hp = HP(«HP_»)
ux, fx, _ = rule(gx, «FX_», hp, math.sqrt)
uy, fy, _ = rule(gy, «FY_», hp, math.sqrt)
«STORES_»
x = «px» + ux
y = «py» + uy
v = value(x, y)
ok = (abs(x) <= box) & (abs(y) <= box) & ((v - v) == 0.0)
«div» = ft if («div» < 0.0) & (not ok) else «div»
«px» = x if ok else NAN
«py» = y if ok else NAN
«best» = v if ok & (v < «best») else «best»
if has_min:
    hit = («stt» < 0.0) & ok & ((v - f_min) < tol)
    «stt» = ft if hit else «stt»
«last» = v
«alive» = 1.0 if ok else 0.0
count += 1 if ok else 0
"""


# ---------------------------------------------------------------------------
# Building, caching, running
# ---------------------------------------------------------------------------


class _Kernel:
    """One compiled (optimizer, objective) kernel, or why it could not be made."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.run: Callable | None = None
        self.error: str = ""
        self.compile_s: float = math.nan


_KERNELS: dict[tuple, _Kernel] = {}
_LOCK = threading.Lock()


def _key(opt: optimizers.Optimizer, layout: tuple, n_fields: int, expr: sp.Expr) -> tuple:
    return (opt.key, _rule_digest(opt.rule), layout, n_fields, sp.srepr(expr), CHUNK)


def _digest(key: tuple) -> str:
    text = repr((key, KERNEL_VERSION, numba.__version__, sys.version_info[:2]))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def import_source(name: str, source: str) -> types.ModuleType:
    """Write a kernel's ``source`` to :func:`cache_dir` as ``<name>.py`` (once; atomically,
    so that two processes never read half a file) and import it as module ``name``, so
    that numba's disk cache can key on the file and find the kernel's globals by the
    module's name."""
    path = cache_dir() / f"{name}.py"  # UTF-8, as Python reads source, whatever the locale
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source, encoding="utf-8")
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load(key: tuple, rule: Callable, layout: tuple, n_fields: int, expr: sp.Expr) -> Callable:
    """Write the kernel's source (once), import it, give it its rule, and compile it."""
    _register_power()
    source = _source(layout, n_fields, expr)
    module = import_source(f"optviz_kernel_{_digest((key, source))}", source)
    module.rule = _cell_rule(rule)
    module.HP = namedtuple("HP", [n for n, _ in layout])
    module.Power = Power
    return module.kernel


def _compile(entry: _Kernel, key: tuple, opt: optimizers.Optimizer, layout: tuple,
             n_fields: int, expr: sp.Expr) -> None:  # fmt: skip
    import time

    t0 = time.perf_counter()
    try:
        kernel = _load(key, opt.rule, layout, n_fields, expr)
        # compile (or load from disk) for the one signature every call uses
        hp = [np.zeros(1, dtype=np.bool_ if k == "b" else np.float64) + 0.5 for _, k in layout]
        one = np.full((1, 2), 0.5)
        _call(kernel, one, hp, [np.zeros(1)] * (2 * n_fields), np.zeros((1, 1, 2)),
              np.zeros(1, dtype=np.int64), False, 1, 1.0, 0.0, True, 1e-6, np.ones(1),
              np.zeros(1, dtype=bool), _outputs(1))  # fmt: skip
        entry.run = kernel
    except Exception as err:  # numba's errors are many; any means "use NumPy"
        entry.error = f"{type(err).__name__}: {str(err).strip().splitlines()[0][:300]}"
    finally:
        entry.compile_s = time.perf_counter() - t0
        entry.done.set()


def _outputs(n: int) -> tuple[Array, ...]:
    return (np.empty(n), np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.empty(n), np.empty(n))  # fmt: skip


def _call(kernel: Callable, starts: Array, hp: list, inits: list, xi: Array, nrow: Array,
          noisy: bool, steps: int, box: float, f_min: float, has_min: bool, tol: float,
          best0: Array, hit0: Array, outs: tuple, threads: int = 1) -> None:  # fmt: skip
    """Run every chunk of :data:`CHUNK` cells, split over ``threads`` threads (the kernel
    releases the GIL); chunks are independent cells, so the split changes no number.
    Cell ``i`` starts at ``starts[i]`` (its value ``best0[i]``, already within the
    tolerance where ``hit0[i]``) and adds noise row ``nrow[i]`` of ``xi`` (steps, K, 2)."""
    starts = np.asarray(starts, dtype=np.float64)
    per_cell = (
        np.ascontiguousarray(starts[:, 0]),
        np.ascontiguousarray(starts[:, 1]),
        np.ascontiguousarray(best0, dtype=np.float64),
        np.where(hit0, 0.0, -1.0),
        np.ascontiguousarray(nrow, dtype=np.int64),
    )
    args = (*per_cell, *hp, *inits, np.ascontiguousarray(xi, dtype=np.float64), bool(noisy),
            int(steps), float(box), float(f_min), bool(has_min), float(tol))  # fmt: skip
    chunks = -(-len(outs[0]) // kernel.py_func.__globals__["CHUNK"])  # the kernel's own
    threads = max(1, min(threads, chunks))
    bounds = [chunks * k // threads for k in range(threads + 1)]
    if threads == 1:
        kernel(*args, 0, chunks, *outs)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        jobs = [pool.submit(kernel, *args, lo, hi, *outs) for lo, hi in itertools.pairwise(bounds)]
        for job in jobs:
            job.result()


def _entry(opt: optimizers.Optimizer, layout: tuple, n_fields: int, expr: sp.Expr) -> _Kernel:
    """The cache entry of this kernel, its compile started (in a thread) if new."""
    key = _key(opt, layout, n_fields, expr)
    with _LOCK:
        entry = _KERNELS.get(key)
        if entry is None:
            entry = _KERNELS[key] = _Kernel()
            thread = threading.Thread(
                target=_compile,
                args=(entry, key, opt, layout, n_fields, expr),
                name="optviz-compile",
                daemon=True,
            )
            thread.start()
    return entry


def kernel_ready(objective: Objective, optimizer_name: str) -> bool | None:
    """Whether the kernel for this pair (default hyperparameters' layout) is compiled:
    True, False (compiling or not started), or None (it failed; NumPy it is)."""
    if numba is None:
        return None
    opt = optimizers.build(optimizer_name)
    layout, _ = _cell_hyperparams(opt, 1)
    key = _key(opt, layout, len(opt.init(np.zeros((1, 2)))), objective.expr)
    entry = _KERNELS.get(key)
    if entry is None or not entry.done.is_set():
        return False
    return True if entry.run is not None else None


def compile_seconds(objective: Objective, optimizer_name: str) -> float:
    """How long the kernel for this pair took to compile (or load), NaN if not done."""
    opt = optimizers.build(optimizer_name)
    layout, _ = _cell_hyperparams(opt, 1)
    key = _key(opt, layout, len(opt.init(np.zeros((1, 2)))), objective.expr)
    entry = _KERNELS.get(key)
    return entry.compile_s if entry is not None and entry.done.is_set() else math.nan


def sweep_into(
    objective: Objective,
    optimizer_name: str,
    columns: Mapping[str, Array],
    fixed: Mapping[str, float],
    starts: Array,
    steps: int,
    xi: Array | None,
    noise_row: Array,
    box: float,
    f_min: float | None,
    tol: float,
    best0: Array,
    hit0: Array,
    out: Any,
    *,
    wait: float | None,
) -> bool:
    """Run the sweep's cells with the compiled kernel, writing ``out`` (the
    :class:`optviz.sweeps._Outputs` of the NumPy loop) as it would: cell ``i`` from
    ``starts[i]`` (``f`` there ``best0[i]``; ``hit0[i]``: already within ``tol``), adding
    noise row ``noise_row[i]`` of ``xi`` (``(steps, K, 2)``, σ applied; None: no noise).
    ``wait``: seconds to wait for a kernel still compiling (None: :data:`COMPILE_LIMIT_S`,
    then raise :class:`CompiledUnavailable`; a number: return False when it is not ready
    by then, or when it cannot be made)."""
    strict = wait is None
    try:
        if numba is None:
            raise CompiledUnavailable("numba is not installed")
        size = len(out.final_value)
        opt = optimizers.build(optimizer_name, **fixed, **columns)
        layout, hp = _cell_hyperparams(opt, size)
        state = opt.init(np.zeros((size, 2)))
        entry = _entry(opt, layout, len(state), objective.expr)
        if not entry.done.wait(COMPILE_LIMIT_S if strict else wait):
            raise CompiledUnavailable(
                f"the kernel for {optimizer_name} on {objective.name} is still compiling"
            )
        if entry.run is None:
            raise CompiledUnavailable(
                f"no kernel for {optimizer_name} on {objective.name}: {entry.error}"
            )
    except Exception as err:  # "auto": whatever stops the kernel, NumPy runs the sweep
        if not strict:
            return False
        if isinstance(err, CompiledUnavailable):
            raise
        raise CompiledUnavailable(f"{optimizer_name} on {objective.name}: {err}") from err
    inits = [np.array(f[:, c], dtype=np.float64, order="C") for f in state for c in (0, 1)]
    noise = np.zeros((max(steps, 1), 1, 2)) if xi is None else xi
    rows = np.zeros(size, dtype=np.int64) if xi is None else noise_row
    has_min = f_min is not None
    px, py = np.empty(size), np.empty(size)
    outs = (out.final_value, out.best_value, out.steps_to_tol, out.diverged_at, px, py)
    _call(entry.run, starts, hp, inits, noise, rows, xi is not None, steps, box,
          f_min if has_min else 0.0, has_min, tol, best0, hit0, outs, THREADS)  # fmt: skip
    out.final_position[:, 0] = px
    out.final_position[:, 1] = py
    return True
