"""The paper's own setting in miniature: a small network trained on real digits.

Zeiler's evidence for "no learning rate to tune" and "insensitive to ρ and ε" is a
network trained on MNIST (Tables 1–2, Figures 1–2). This module trains a small
multi-layer perceptron on scikit-learn's 8×8 digits (1797 images that ship inside the
package: nothing is downloaded) with **the same optimizers and the same update rules**
as the 2-D views: an optimizer's elementwise rule does not care whether a row holds the
two coordinates of a point or the 17 710 weights of a network.

The model, for a :class:`Net` with hidden sizes h₁, h₂, … and activation σ (tanh or ReLU):

    a₀ = x (64 pixels, scaled to [0, 1]),  aₗ = σ(aₗ₋₁ Wₗ + bₗ),  p = softmax(a_L W_out + b_out)
    loss = −(1/n) Σᵢ log p_{i, yᵢ}   (mean cross-entropy over a minibatch of n images)

with Glorot-uniform weights for tanh (U(±√(6/(fan_in+fan_out)))), He-normal for ReLU
(N(0, 2/fan_in)), and zero biases. The gradient is the exact backward pass of that loss
(the tests compare it with central differences).

**Batched.** Every configuration of a grid and every seed trains at once: the parameters
are one ``(rows, P)`` array (row = seed × configuration), the hyperparameters one value per
row (as in :func:`optviz.sweeps.sweep`), and the forward and backward passes are stacked
matrix products: one BLAS product per network (so a network's numbers do not depend on
the others' in the stack), the networks split over :data:`optviz.parallel.THREADS` threads,
each with a one-thread BLAS (:func:`_matmul`; OpenBLAS's own threads, on top of the kernels'
and another process's, made a 20-epoch × 3-seed table take 52 s here instead of 9.5 s
with one BLAS thread, and 5.3 s split over two). The same seed gives the same train/test
split (1297 / 500, stratified), the same initial weights and the same minibatch order for
every optimizer and configuration.

:func:`sweep` returns a :class:`NetworkResult`: test error after every epoch, the training
loss, which runs diverged, and the per-layer step sizes of Figure 2.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import optimizers
from .memory import reuse_freed_memory
from .parallel import in_parts

Array = np.ndarray

__all__ = [
    "ACTIVATIONS",
    "PAPER_EPS",
    "PAPER_LRS",
    "PAPER_RHOS",
    "TEST_SIZE",
    "Net",
    "NetworkResult",
    "digits",
    "initial_params",
    "loss_and_grads",
    "split",
    "sweep",
]

ACTIVATIONS = ("tanh", "relu")
#: the learning rates of the paper's Table 1 (SGD, momentum, ADAGRAD)
PAPER_LRS = (1.0, 0.1, 0.01, 0.001)
#: the grid of the paper's Table 2 (ADADELTA): ρ × ε
PAPER_RHOS = (0.9, 0.95, 0.99)
PAPER_EPS = (1e-2, 1e-4, 1e-6, 1e-8)
TEST_SIZE = 500
N_CLASSES = 10
N_PIXELS = 64
#: most rows (configurations × seeds) trained in one stacked pass
MAX_ROWS = 4096
#: ``sweep(engine=…)``'s choices
ENGINES = ("auto", "numpy", "compiled")
#: how long ``engine="auto"`` waits for the kernels' compile (a cold one takes a few
#: seconds, less than the training it speeds up; from numba's disk cache about one)
AUTO_WAIT_S = 60.0


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@functools.cache
def digits() -> tuple[Array, Array]:
    """scikit-learn's 8×8 digits: images ``(1797, 64)`` scaled to [0, 1] and labels."""
    from sklearn.datasets import load_digits  # imported when first needed: it is slow

    data = load_digits()
    x = np.asarray(data.data, dtype=np.float64) / 16.0
    y = np.asarray(data.target, dtype=np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


@functools.lru_cache(maxsize=16)
def split(seed: int) -> tuple[Array, Array, Array, Array]:
    """The stratified split of seed ``seed``: (train images, train labels, test images,
    test labels), 1297 and :data:`TEST_SIZE` = 500 images."""
    from sklearn.model_selection import train_test_split

    x, y = digits()
    parts = train_test_split(x, y, test_size=TEST_SIZE, stratify=y, random_state=int(seed))
    x_train, x_test, y_train, y_test = (np.ascontiguousarray(p) for p in parts)
    for p in (x_train, x_test, y_train, y_test):
        p.setflags(write=False)
    return x_train, y_train, x_test, y_test


def _batches(seed: int, epoch: int, n: int, size: int) -> list[Array]:
    """The minibatches of one epoch for seed ``seed``: a permutation of the training set
    cut into batches of ``size`` (the last one shorter)."""
    order = np.random.default_rng([int(seed), 2, int(epoch)]).permutation(n)
    return [order[i : i + size] for i in range(0, n, size)]


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Net:
    """A fully connected network 64 → hidden… → 10 with activation ``activation``."""

    hidden: tuple[int, ...] = (100, 100)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not self.hidden or any(not 1 <= h <= 1000 for h in self.hidden):
            raise ValueError(f"hidden sizes must be 1 … 1000 (at least one layer): {self.hidden}")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (N_PIXELS, *self.hidden, N_CLASSES)

    @property
    def layers(self) -> int:
        """The number of weight matrices."""
        return len(self.sizes) - 1

    @property
    def slices(self) -> list[tuple[slice, tuple[int, int], slice]]:
        """Per layer: where its weights ``(fan_in, fan_out)`` and its biases sit in a row."""
        out, at = [], 0
        for fan_in, fan_out in itertools.pairwise(self.sizes):
            w = slice(at, at + fan_in * fan_out)
            at = w.stop
            b = slice(at, at + fan_out)
            at = b.stop
            out.append((w, (fan_in, fan_out), b))
        return out

    @property
    def n_params(self) -> int:
        return self.slices[-1][2].stop

    def layer_names(self) -> list[str]:
        """``"64→100"``, … one per weight matrix."""
        return [f"{a}→{b}" for a, b in itertools.pairwise(self.sizes)]


def initial_params(net: Net, seed: int) -> Array:
    """The initial weights of seed ``seed`` as one row ``(P,)`` (see the module docstring)."""
    rng = np.random.default_rng([int(seed), 1])
    row = np.zeros(net.n_params)
    for w, (fan_in, fan_out), _b in net.slices:
        if net.activation == "tanh":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            row[w] = rng.uniform(-limit, limit, fan_in * fan_out)
        else:
            row[w] = rng.normal(0.0, math.sqrt(2.0 / fan_in), fan_in * fan_out)
    return row


def _weights(params: Array, net: Net) -> list[tuple[Array, Array]]:
    """Views of ``params`` ``(..., P)``: per layer (W ``(..., fan_in, fan_out)``, b)."""
    lead = params.shape[:-1]
    return [(params[..., w].reshape(*lead, *shape), params[..., b]) for w, shape, b in net.slices]


def _act(z: Array, kind: str) -> Array:
    return np.tanh(z) if kind == "tanh" else np.maximum(z, 0.0)


def _act_grad(a: Array, kind: str) -> Array:
    """σ'(z) from a = σ(z): 1 − a² for tanh, [a > 0] for ReLU."""
    return 1.0 - a * a if kind == "tanh" else (a > 0).astype(np.float64)


def _log_softmax(z: Array) -> Array:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _matmul(a: Array, b: Array, out: Array | None = None) -> Array:
    """``a @ b`` for stacks ``(S, C, n, k) @ (S, C, k, m)`` (either may have 1 for C, to
    broadcast): the configurations C split over :func:`optviz.parallel.in_parts`. Each
    network's product is the same BLAS call as in one ``np.matmul`` of the whole stack, so
    the numbers are the same bits."""
    if out is None:
        shape = (*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), a.shape[-2], b.shape[-1])
        out = np.empty(shape, dtype=np.result_type(a, b))
    if a.ndim != 4 or b.ndim != 4:
        return np.matmul(a, b, out=out)

    def product(lo: int, hi: int) -> None:
        np.matmul(
            a if a.shape[1] == 1 else a[:, lo:hi],
            b if b.shape[1] == 1 else b[:, lo:hi],
            out=out[:, lo:hi],
        )

    in_parts(product, max(a.shape[1], b.shape[1]))
    return out


def _shared_product(a: Array, b: Array) -> Array:
    """``a @ b`` for ``a`` ``(S, k, n)`` shared by the C configurations of ``b``
    ``(S, C, n, m)``: one product ``(k, n) @ (n, C·m)`` per seed, which BLAS runs faster than
    C small ones; each column is the same dot product in the same order, so the same bits
    (the tests compare a configuration alone and in a grid). The seeds split over
    :func:`optviz.parallel.in_parts`."""
    s, c, n, m = b.shape
    wide = np.ascontiguousarray(np.moveaxis(b, 1, 2)).reshape(s, n, c * m)
    out = np.empty((s, a.shape[1], c * m))
    in_parts(lambda lo, hi: np.matmul(a[lo:hi], wide[lo:hi], out=out[lo:hi]), s)
    return np.moveaxis(out.reshape(s, a.shape[1], c, m), 2, 1)


_BLAS = {"users": 0, "limiter": None}
_BLAS_LOCK = threading.Lock()


@contextlib.contextmanager
def _one_thread_blas() -> Any:
    """While any training runs, BLAS (OpenBLAS, MKL) runs on one thread: the threads of
    :func:`_matmul` and the kernels are the parallelism (the limit is the process's, so
    it is counted: the last training to end restores BLAS's own setting)."""
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency

    with _BLAS_LOCK:
        if _BLAS["users"] == 0:
            _BLAS["limiter"] = threadpool_limits(limits=1, user_api="blas")
        _BLAS["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS["users"] -= 1
            if _BLAS["users"] == 0 and _BLAS["limiter"] is not None:
                _BLAS["limiter"].restore_original_limits()
                _BLAS["limiter"] = None


def _forward(params: Array, x: Array, net: Net, kernels: Any = None) -> list[Array]:
    """Activations of every layer for images ``x`` ``(S, 1, n, 64)`` (one set per seed,
    shared by that seed's configurations) and ``params`` ``(S, C, P)``; the last is the
    logits ``(S, C, n, 10)``. ``kernels`` (:class:`optviz.network_compiled.Kernels`):
    tanh(z + b) fused and compiled."""
    acts = [x]
    layers = _weights(params, net)
    for i, (w, b) in enumerate(layers):
        if kernels is not None and net.activation == "tanh" and i < len(layers) - 1:
            acts.append(kernels.bias_tanh(_matmul(acts[-1], w), b))
            continue
        z = _matmul(acts[-1], w) + b[..., None, :]
        acts.append(z if i == len(layers) - 1 else _act(z, net.activation))
    return acts


def loss_and_grads(
    params: Array, x: Array, y: Array, net: Net, kernels: Any = None
) -> tuple[Array, Array]:
    """Mean cross-entropy ``(S, C)`` and its exact gradient ``(S, C, P)``.

    ``params`` ``(S, C, P)``; ``x`` ``(S, n, 64)`` and ``y`` ``(S, n)``: seed s's minibatch,
    the same for its C configurations. Backward pass: δ_out = (p − onehot(y))/n,
    ∂W = aᵀδ, ∂b = Σ δ, δ_prev = (δ Wᵀ) ⊙ σ'. ``kernels``: the compiled tanh forward and
    ``⊙ (1 − a²)`` (:mod:`optviz.network_compiled`).
    """
    n = x.shape[-2]
    acts = _forward(params, x[:, None], net, kernels)
    logp = _log_softmax(acts[-1])
    label = np.broadcast_to(y[:, None, :, None], (*logp.shape[:-1], 1))
    loss = -np.take_along_axis(logp, label, axis=-1)[..., 0].mean(axis=-1)
    delta = np.exp(logp)  # softmax p; δ_out = (p − onehot(y))/n
    np.put_along_axis(delta, label, np.take_along_axis(delta, label, axis=-1) - 1.0, axis=-1)
    delta /= n
    grads = np.empty_like(params)
    layers = _weights(params, net)
    gviews = _weights(grads, net)
    for i in range(len(layers) - 1, -1, -1):
        below = acts[i]
        gw, gb = gviews[i]
        if below.shape[1] == 1 < delta.shape[1]:  # the images, shared by the configurations
            gw[...] = _shared_product(np.swapaxes(below[:, 0], -1, -2), delta)
        else:
            gw[...] = _matmul(np.swapaxes(below, -1, -2), delta)
        gb[...] = delta.sum(axis=-2)
        back = _matmul(delta, np.swapaxes(layers[i][0], -1, -2)) if i else None
        if i and kernels is not None and net.activation == "tanh":
            delta = kernels.times_tanh_grad(back, below)
        elif i:
            delta = back * _act_grad(below, net.activation)
    return loss, grads


def _error(params: Array, x: Array, y: Array, net: Net, kernels: Any = None) -> Array:
    """The share of ``x`` ``(S, m, 64)`` misclassified, per row ``(S, C)``; NaN where the
    logits are not finite."""
    logits = _forward(params, x[:, None], net, kernels)[-1]
    wrong = np.argmax(logits, axis=-1) != y[:, None, :]
    out = wrong.mean(axis=-1)
    out[~np.all(np.isfinite(logits), axis=(-1, -2))] = np.nan
    return out


# ---------------------------------------------------------------------------
# Training a grid
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """One optimizer trained over a grid of hyperparameters, for several seeds.

    With G the grid's shape (one axis per name of ``grid``, in order), E the epochs, S the
    seeds, U the updates (epochs × minibatches per epoch) and L the weight matrices:

    ==================  ============  ===========================================================
    field               shape         meaning
    ==================  ============  ===========================================================
    ``per_seed``        G + (S, E)    test error (0 … 1) after each epoch; NaN once diverged
    ``test_error``      G + (E,)      its mean over seeds (NaN where any seed diverged)
    ``train_loss``      G + (E,)      mean over seeds of the epoch's mean minibatch loss
    ``diverged``        G             some seed's loss or weights stopped being finite
    ``layer_rates``     G + (U, L)    seed 0: per weight matrix, the median over its weights
                                      of the realised step factor −Δw/g (NaN where g = 0)
    ``params``          G + (S, P)    the weights after training (``keep_params=True``; else
                                      None), in :class:`Net`'s layout
    ==================  ============  ===========================================================
    """

    key: str
    grid: dict[str, Array]
    fixed: dict[str, float]
    seeds: tuple[int, ...]
    epochs: int
    net: Net
    batch_size: int
    per_seed: Array
    test_error: Array
    train_loss: Array
    diverged: Array
    layer_rates: Array
    seconds: float
    params: Array | None = None

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(self.grid)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.grid.values())

    def configuration(self, index: Sequence[int]) -> dict[str, float]:
        """The hyperparameters of cell ``index`` (the grid's values and ``fixed``)."""
        values = {a: float(self.grid[a][i]) for a, i in zip(self.axes, index)}
        return {**self.fixed, **values}

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil((len(digits()[1]) - TEST_SIZE) / self.batch_size)


def _median_factor(grads: Array, updates: Array) -> Array:
    """Per row, the median of −Δw/g over the weights with g ≠ 0 (NaN if there are none):
    the undefined ones (g = 0: ±inf or NaN) become +inf and sort last, so the median of the
    k finite values is read off the row after one sort."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = -updates / grads
    factor[~np.isfinite(factor)] = np.inf
    factor.sort(axis=-1)
    k = np.isfinite(factor).sum(axis=-1)
    rows = np.arange(len(k))
    lo, hi = np.maximum((k - 1) // 2, 0), np.maximum(k // 2, 0)
    out = 0.5 * (factor[rows, lo] + factor[rows, hi])
    out[k == 0] = np.nan
    return out


def _check_grid(key: str, grid: Mapping[str, Sequence[float]]) -> dict[str, Array]:
    spec = optimizers.get(key)
    out = {}
    for name, values in grid.items():
        spec.hyperparam(name)  # KeyError naming the known ones
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
        if arr.size == 0:
            raise ValueError(f"the grid of {name!r} is empty")
        out[name] = arr
    return out


def sweep(
    key: str,
    grid: Mapping[str, Sequence[float]],
    *,
    epochs: int,
    seeds: Sequence[int] = (0,),
    activation: str = "tanh",
    hidden: Sequence[int] = (100, 100),
    batch_size: int = 100,
    fixed: Mapping[str, float] | None = None,
    progress: Callable[[float], Any] | None = None,
    keep_params: bool = False,
    engine: str = "auto",
) -> NetworkResult:
    """Train the network with optimizer ``key`` at every configuration of ``grid`` (its
    cartesian product, C order) and every seed, all at once; see :class:`NetworkResult`.

    ``fixed`` sets other hyperparameters (the spec's defaults otherwise — ADADELTA's
    η = 1, the paper's method). ``progress(fraction)`` is called after every epoch.

    ``engine``: ``"numpy"``; ``"compiled"`` (the numba kernels of
    :mod:`optviz.network_compiled` for tanh, its derivative and the update rule; raises
    :class:`optviz.compiled.CompiledUnavailable` when they cannot be had); ``"auto"`` (the
    default): compiled when the kernels are ready within :data:`AUTO_WAIT_S` (their compile
    starts on first use; later processes load them from disk in about a second), else
    NumPy. The choice is made once per sweep, so a sweep is all of one engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if not 1 <= int(epochs) <= 200:
        raise ValueError(f"epochs must be 1 … 200, got {epochs!r}")
    if not 1 <= int(batch_size) <= 1297:
        raise ValueError(f"batch size must be 1 … 1297, got {batch_size!r}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError(f"seeds must be distinct whole numbers ≥ 0, got {seeds!r}")
    net = Net(tuple(hidden), activation)
    reuse_freed_memory()  # megabyte temporaries: reuse, do not page-fault (memory.py)
    axes = _check_grid(key, grid)
    fixed = {k: float(v) for k, v in (fixed or {}).items()}
    spec = optimizers.get(key)
    shape = tuple(len(v) for v in axes.values())
    cells = list(itertools.product(*(range(n) for n in shape)))
    n_conf, n_seed = len(cells), len(seeds)
    if n_conf * n_seed > MAX_ROWS:
        raise ValueError(f"{n_conf} configurations × {n_seed} seeds is more than {MAX_ROWS} runs")

    # hyperparameters, one value per row (row = seed s, configuration c: s·C + c)
    values = {**spec.defaults, **fixed}
    per_row: dict[str, Any] = {}
    for name in values:
        if name in axes:
            column = np.array([axes[name][cell[list(axes).index(name)]] for cell in cells])
            per_row[name] = np.tile(column, n_seed)
        else:
            per_row[name] = values[name]
    opt = optimizers.build(key, **per_row)

    params = np.repeat(np.stack([initial_params(net, s) for s in seeds])[:, None, :], n_conf, 1)
    flat = params.reshape(n_seed * n_conf, net.n_params)  # a view: the optimizer's rows
    state = opt.init(flat)
    kernels = None
    if engine != "numpy":
        from . import compiled, network_compiled

        wait = None if engine == "compiled" else AUTO_WAIT_S
        kernels = network_compiled.kernels(opt, len(flat), tuple(state), wait)
        if kernels is None and engine == "compiled":
            why = network_compiled.error(key) or "numba is missing or the compile timed out"
            raise compiled.CompiledUnavailable(f"no network kernels for {key}: {why}")
    data = [split(s) for s in seeds]
    n_train = len(data[0][1])
    x_test = np.stack([d[2] for d in data])
    y_test = np.stack([d[3] for d in data])

    per_epoch = math.ceil(n_train / batch_size)
    n_updates = per_epoch * int(epochs)
    errors = np.full((n_seed, n_conf, int(epochs)), np.nan)
    losses = np.full((n_seed, n_conf, int(epochs)), np.nan)
    diverged = np.zeros((n_seed, n_conf), dtype=bool)
    rates = np.full((n_conf, n_updates, net.layers), np.nan)
    weight_slices = [w for w, _shape, _b in net.slices]
    started = time.perf_counter()
    u = 0
    with np.errstate(all="ignore"), _one_thread_blas():
        for epoch in range(int(epochs)):
            epoch_loss = np.zeros((n_seed, n_conf))
            orders = [_batches(s, epoch, n_train, batch_size) for s in seeds]
            for b in range(per_epoch):
                x = np.stack([d[0][o[b]] for d, o in zip(data, orders)])
                y = np.stack([d[1][o[b]] for d, o in zip(data, orders)])
                loss, grads = loss_and_grads(params, x, y, net, kernels)
                bad = ~np.isfinite(loss) | ~np.all(np.isfinite(grads), axis=-1)
                diverged |= bad
                g = grads.reshape(flat.shape)
                if kernels is not None:  # the same steps, in one compiled pass
                    updates = kernels.step(g, diverged.reshape(-1), flat, tuple(state))
                else:
                    grads[diverged] = 0.0
                    updates, state, _ = opt.step(g, state)
                    updates[diverged.reshape(-1)] = 0.0  # a diverged run stays where it stopped
                    flat += updates
                epoch_loss += np.where(diverged, np.nan, loss)
                for layer, w in enumerate(weight_slices):  # seed 0's realised step factor
                    rates[:, u, layer] = _median_factor(g[:n_conf, w], updates[:n_conf, w])
                u += 1
            diverged |= ~np.all(np.isfinite(params), axis=-1)
            errors[..., epoch] = np.where(
                diverged, np.nan, _error(params, x_test, y_test, net, kernels)
            )
            losses[..., epoch] = np.where(diverged, np.nan, epoch_loss / per_epoch)
            if progress is not None:
                progress((epoch + 1) / int(epochs))
    seconds = time.perf_counter() - started

    def gridded(a: Array) -> Array:
        """(S, C, …) → G + (S, …)."""
        moved = np.moveaxis(a, 0, 1)
        out = moved.reshape(*shape, *moved.shape[1:])
        out.setflags(write=False)
        return out

    per_seed = gridded(errors)
    test_error = per_seed.mean(axis=len(shape))
    train_loss = gridded(losses).mean(axis=len(shape))
    div = diverged.any(axis=0).reshape(shape)
    rates_g = rates.reshape(*shape, n_updates, net.layers)
    for a in (test_error, train_loss, div, rates_g):
        a.setflags(write=False)
    return NetworkResult(
        key=key,
        grid=axes,
        fixed=fixed,
        seeds=seeds,
        epochs=int(epochs),
        net=net,
        batch_size=int(batch_size),
        per_seed=per_seed,
        test_error=test_error,
        train_loss=train_loss,
        diverged=div,
        layer_rates=rates_g,
        seconds=seconds,
        params=gridded(params) if keep_params else None,
    )


# ---------------------------------------------------------------------------
# The paper's tables
# ---------------------------------------------------------------------------

#: Table 1's optimizers (each over :data:`PAPER_LRS`), and Table 2's
TABLE1 = ("sgd", "momentum", "adagrad")
TABLE2 = "adadelta"
#: what "works" means in the sentences and the lesson: test error below this
GOOD_ERROR = 0.10


def tables(
    *,
    epochs: int,
    seeds: Sequence[int] = (0,),
    activation: str = "tanh",
    hidden: Sequence[int] = (100, 100),
    adadelta_fixed: Mapping[str, float] | None = None,
    progress: Callable[[float], Any] | None = None,
    engine: str = "auto",
) -> dict[str, NetworkResult]:
    """The paper's Tables 1 and 2 on the digits: SGD, momentum (β = 0.9) and ADAGRAD over
    η ∈ :data:`PAPER_LRS`, ADADELTA over ρ ∈ :data:`PAPER_RHOS` × ε ∈ :data:`PAPER_EPS`
    (the paper's method, η = 1, unless ``adadelta_fixed`` says otherwise — Keras' variant is
    ``{"lr": 0.001}``). ``progress`` gets the fraction done of the whole; ``engine`` as in
    :func:`sweep`."""
    jobs = [(key, {"lr": PAPER_LRS}, None) for key in TABLE1]
    jobs.append((TABLE2, {"rho": PAPER_RHOS, "eps": PAPER_EPS}, adadelta_fixed))
    # work per job: its configurations (ADADELTA's 12 against 4)
    weights = [math.prod(len(v) for v in grid.values()) for _k, grid, _f in jobs]
    done, total = 0.0, float(sum(weights))
    out = {}
    for (key, grid, fixed), weight in zip(jobs, weights):

        def report(fraction: float, _done: float = done, _weight: float = weight) -> None:
            if progress is not None:
                progress((_done + fraction * _weight) / total)

        out[key] = sweep(
            key,
            grid,
            epochs=epochs,
            seeds=seeds,
            activation=activation,
            hidden=hidden,
            fixed=fixed,
            progress=report,
            engine=engine,
        )
        done += weight
    return out


def best_index(result: NetworkResult, epoch: int | None = None) -> tuple[int, ...]:
    """The cell with the lowest mean test error after ``epoch`` (1-based; default the
    last), diverged cells never chosen."""
    e = result.epochs if epoch is None else int(epoch)
    errors = np.where(
        np.isnan(result.test_error[..., e - 1]), np.inf, result.test_error[..., e - 1]
    )
    return tuple(int(i) for i in np.unravel_index(int(np.argmin(errors)), errors.shape))


def works(result: NetworkResult, epoch: int | None = None, good: float = GOOD_ERROR) -> Array:
    """Which cells end below ``good`` test error after ``epoch`` (default the last)."""
    e = result.epochs if epoch is None else int(epoch)
    errors = result.test_error[..., e - 1]
    return np.where(np.isnan(errors), False, errors < good)
