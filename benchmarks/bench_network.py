"""How long do the paper's Tables 1–2 take on the digits network? (see README)

Prints the wall time of :func:`optviz.network.tables` (SGD, momentum and ADAGRAD over four
learning rates, ADADELTA over its 3 × 4 grid: 24 configurations, every one trained at once
per optimizer) for the Network view's default (6 epochs, 1 seed), and for the paper's full
budget with three seeds (60 epochs × 3 seeds: 72 networks), after the data are loaded.

Run: python benchmarks/bench_network.py
"""

from __future__ import annotations

import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optviz import network  # noqa: E402


def timed(**kwargs) -> float:
    started = time.perf_counter()
    network.tables(**kwargs)
    return time.perf_counter() - started


def warm() -> None:
    """Compile (or load from numba's disk cache) the network kernels once, outside the
    timings: ``engine="auto"`` uses them from then on."""
    started = time.perf_counter()
    network.tables(epochs=1, seeds=(0,), engine="compiled")
    print(f"kernels ready and a 1-epoch warm-up done in {time.perf_counter() - started:.2f} s")


def main() -> None:
    for seed in (0, 1, 2):
        network.split(seed)  # scikit-learn's import and the splits: once per process
    warm()
    for label, kwargs in (
        ("6 epochs, 1 seed, engine='numpy'", {"epochs": 6, "seeds": (0,), "engine": "numpy"}),
        ("6 epochs, 1 seed (the view's default)", {"epochs": 6, "seeds": (0,)}),
        ("6 epochs, 3 seeds", {"epochs": 6, "seeds": (0, 1, 2)}),
        ("60 epochs, 1 seed", {"epochs": 60, "seeds": (0,)}),
        ("60 epochs, 3 seeds", {"epochs": 60, "seeds": (0, 1, 2)}),
    ):
        best = min(timed(**kwargs) for _ in range(2 if kwargs["epochs"] < 60 else 1))
        print(f"Tables 1–2, {label}: {best:.2f} s")


if __name__ == "__main__":
    main()
