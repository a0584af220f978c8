"""Regenerate tests/data/torch_network_reference.npz: the digits network trained by torch.

Not part of the test suite (torch is not a dependency of optviz). Run it where torch is
installed, from the repository root, with torch's portable CPU kernels (see
make_torch_reference.py for why)::

    ATEN_CPU_CAPABILITY=default python tests/make_torch_network_reference.py

For each case, torch trains optviz's network (:class:`optviz.network.Net`, hidden (8, 8))
from optviz's initial weights of seed 0 on optviz's minibatches of seed 0's split, for one
epoch (13 updates): ``torch.nn.functional.cross_entropy`` (mean over the batch), autograd,
and the ``torch.optim`` optimizer. Recorded, as float64 arrays: the weights before and the
gradient at updates 1, 2 and 13 (flat, in optviz's layout) and the weights after the epoch.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from optviz import network as nw

HIDDEN = (8, 8)
RECORDED = (1, 2, 13)
CASES = [
    # (case id, activation, optviz key, optviz hyperparameters, torch class, torch kwargs)
    ("sgd", "tanh", "sgd", {"lr": 0.5}, torch.optim.SGD, {"lr": 0.5}),
    (
        "momentum",
        "tanh",
        "momentum",
        {"lr": 0.1, "beta": 0.9},
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.9},
    ),
    ("adagrad", "tanh", "adagrad", {"lr": 0.1}, torch.optim.Adagrad, {"lr": 0.1}),
    (
        "adadelta",
        "tanh",
        "adadelta",
        {"rho": 0.95, "eps": 1e-6},
        torch.optim.Adadelta,
        {"lr": 1.0, "rho": 0.95, "eps": 1e-6},
    ),
    (
        "adadelta_relu",
        "relu",
        "adadelta",
        {"rho": 0.9, "eps": 1e-4},
        torch.optim.Adadelta,
        {"lr": 1.0, "rho": 0.9, "eps": 1e-4},
    ),
    ("adam_relu", "relu", "adam", {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
]


def record(case: tuple) -> dict[str, np.ndarray]:
    cid, activation, _key, _hp, cls, kwargs = case
    net = nw.Net(HIDDEN, activation)
    flat = torch.tensor(nw.initial_params(net, 0), dtype=torch.float64)
    tensors = []
    for w, shape, b in net.slices:
        tensors.append(flat[w].reshape(shape).clone().requires_grad_(True))
        tensors.append(flat[b].clone().requires_grad_(True))
    opt = cls(tensors, **kwargs)
    x_train, y_train, _x_test, _y_test = nw.split(0)
    out: dict[str, np.ndarray] = {}

    def flat_of(ts) -> np.ndarray:
        return np.concatenate([t.detach().numpy().reshape(-1) for t in ts])

    for u, batch in enumerate(nw._batches(0, 0, len(y_train), 100), 1):
        x = torch.from_numpy(np.ascontiguousarray(x_train[batch]))
        y = torch.from_numpy(np.ascontiguousarray(y_train[batch]))
        before = flat_of(tensors)
        opt.zero_grad()
        a = x
        for i in range(0, len(tensors), 2):
            a = a @ tensors[i] + tensors[i + 1]
            if i < len(tensors) - 2:
                a = torch.tanh(a) if activation == "tanh" else torch.relu(a)
        loss = torch.nn.functional.cross_entropy(a, y)
        loss.backward()
        if u in RECORDED:
            out[f"{cid}.before{u}"] = before
            out[f"{cid}.grad{u}"] = flat_of([t.grad for t in tensors])
        opt.step()
    out[f"{cid}.after"] = flat_of(tensors)
    return out


def main() -> None:
    data: dict[str, np.ndarray] = {}
    for case in CASES:
        data.update(record(case))
    path = pathlib.Path(__file__).parent / "data" / "torch_network_reference.npz"
    np.savez_compressed(path, **data, torch_version=np.array(torch.__version__))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
