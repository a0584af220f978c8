"""optviz.network: the digits network, its backward pass, its training against torch, and
the paper's claims at this size."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from optviz import network as nw
from optviz import optimizers

REFERENCE = pathlib.Path(__file__).parent / "data" / "torch_network_reference.npz"


@pytest.mark.parametrize("activation", nw.ACTIVATIONS)
def test_the_backward_pass_equals_central_differences(activation):
    net = nw.Net((5, 4), activation)
    rng = np.random.default_rng(0)
    rows = np.stack([nw.initial_params(net, 0), nw.initial_params(net, 1)])[:, None, :]
    params = rows + 0.05 * rng.standard_normal(rows.shape)
    x = rng.uniform(0, 1, (2, 7, 64))
    y = rng.integers(0, 10, (2, 7))
    loss, grads = nw.loss_and_grads(params, x, y, net)
    h = 1e-6
    numeric = np.zeros_like(params)
    for i in range(net.n_params):
        e = np.zeros(net.n_params)
        e[i] = h
        up, down = (nw.loss_and_grads(params + s * e, x, y, net)[0] for s in (1, -1))
        numeric[..., i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grads, numeric, rtol=0, atol=1e-8)
    assert loss.shape == (2, 1) and np.all(loss > 0)


def test_the_data_split_and_minibatches_are_fixed_by_the_seed():
    x, y = nw.digits()
    assert x.shape == (1797, 64) and x.min() >= 0 and x.max() == 1.0
    _x_train, y_train, _x_test, y_test = nw.split(0)
    assert len(y_train) == 1297 and len(y_test) == nw.TEST_SIZE
    share = np.bincount(y_test) / len(y_test)  # stratified: each digit as often as overall
    np.testing.assert_allclose(share, np.bincount(y) / len(y), atol=1.5 / len(y_test))
    assert not np.array_equal(nw.split(1)[3], y_test)
    batches = nw._batches(0, 3, 1297, 100)
    assert [len(b) for b in batches] == [100] * 12 + [97]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(1297))
    np.testing.assert_array_equal(nw.initial_params(nw.Net(), 4), nw.initial_params(nw.Net(), 4))


def test_a_configuration_trains_the_same_alone_or_in_a_grid():
    """Batching changes nothing: one cell of a grid is the run of that cell alone, to the
    last bit, and so is a seed among several."""
    grid = nw.sweep("adadelta", {"rho": [0.9, 0.95], "eps": [1e-4, 1e-6]}, epochs=2, seeds=(0, 1))
    alone = nw.sweep("adadelta", {"rho": [0.95], "eps": [1e-6]}, epochs=2, seeds=(1,))
    np.testing.assert_array_equal(grid.per_seed[1, 1, 1], alone.per_seed[0, 0, 0])
    assert grid.test_error.shape == (2, 2, 2) and grid.per_seed.shape == (2, 2, 2, 2)
    assert grid.layer_rates.shape == (2, 2, 26, 3) and grid.diverged.shape == (2, 2)
    np.testing.assert_allclose(grid.test_error, grid.per_seed.mean(axis=2))


def _reference():
    if not REFERENCE.exists():
        pytest.skip("no torch reference recorded")
    return np.load(REFERENCE)


CASES = {
    # case id: (activation, optviz key, hyperparameters), as make_torch_network_reference.py
    "sgd": ("tanh", "sgd", {"lr": 0.5}),
    "momentum": ("tanh", "momentum", {"lr": 0.1, "beta": 0.9}),
    "adagrad": ("tanh", "adagrad", {"lr": 0.1}),
    "adadelta": ("tanh", "adadelta", {"rho": 0.95, "eps": 1e-6}),
    "adadelta_relu": ("relu", "adadelta", {"rho": 0.9, "eps": 1e-4}),
    "adam_relu": ("relu", "adam", {"lr": 0.01}),
}


@pytest.mark.parametrize("cid", CASES)
def test_the_gradient_equals_torchs_autograd(cid):
    ref = _reference()
    activation, _key, _hp = CASES[cid]
    net = nw.Net((8, 8), activation)
    x_train, y_train, _x, _y = nw.split(0)
    batches = nw._batches(0, 0, len(y_train), 100)
    for u in (1, 2, 13):
        before = ref[f"{cid}.before{u}"]
        batch = batches[u - 1]
        _loss, grads = nw.loss_and_grads(
            before[None, None], x_train[batch][None], y_train[batch][None], net
        )
        torch_grad = ref[f"{cid}.grad{u}"]
        # the same sums in another order: equal to ~1e-16 of the largest component
        np.testing.assert_allclose(grads[0, 0], torch_grad, rtol=0, atol=1e-14)
        assert np.abs(torch_grad).max() > 1e-3


@pytest.mark.parametrize("cid", CASES)
def test_an_epoch_of_training_equals_torchs(cid):
    """optviz's whole training loop (its own gradients, its optimizers' rules over the
    network's 682 weights) against torch.optim on torch's autograd, after 13 updates."""
    ref = _reference()
    activation, key, hp = CASES[cid]
    grid = {name: [value] for name, value in hp.items()}
    result = nw.sweep(key, grid, epochs=1, activation=activation, hidden=(8, 8), keep_params=True)
    ours = result.params.reshape(-1)
    np.testing.assert_allclose(ours, ref[f"{cid}.after"], rtol=1e-11, atol=1e-13)
    assert not np.array_equal(ours, ref[f"{cid}.before1"])  # it moved


def test_one_sgd_update_by_hand():
    """w₁ = w₀ − η·∇loss on the first minibatch, as the rule says: exactly."""
    net = nw.Net((6,), "tanh")
    x_train, y_train, _x, _y = nw.split(0)
    (batch, *_rest) = nw._batches(0, 0, len(y_train), 1297)  # one batch: the epoch
    w0 = nw.initial_params(net, 0)
    _loss, g = nw.loss_and_grads(w0[None, None], x_train[batch][None], y_train[batch][None], net)
    result = nw.sweep(
        "sgd",
        {"lr": [0.3]},
        epochs=1,
        hidden=(6,),
        batch_size=1297,
        keep_params=True,
        engine="numpy",  # its tanh is np.tanh, as loss_and_grads' here
    )
    np.testing.assert_array_equal(result.params.reshape(-1), w0 + -0.3 * g[0, 0])


def test_a_diverging_run_is_marked_and_its_numbers_are_not_hidden_as_numbers():
    result = nw.sweep("sgd", {"lr": [0.1, 1e100]}, epochs=2, activation="relu")
    assert list(result.diverged) == [False, True]
    assert np.isnan(result.test_error[1]).all() and np.isfinite(result.test_error[0]).all()
    assert nw.best_index(result) == (0,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "seeds": ()}, "seeds"),
        ({"epochs": 1, "activation": "sigmoid"}, "activation"),
        ({"epochs": 1, "hidden": ()}, "hidden"),
        ({"epochs": 1, "batch_size": 0}, "batch size"),
    ],
)
def test_bad_settings_are_refused_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nw.sweep("sgd", {"lr": [0.1]}, **kwargs)
    with pytest.raises(KeyError):
        nw.sweep("sgd", {"rho": [0.9]}, epochs=1)


# ---------------------------------------------------------------------------
# The paper's claims, at this size
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables():
    return nw.tables(epochs=6, seeds=(0,))


def test_sgd_works_in_a_narrow_band_while_adadeltas_grid_mostly_works(tables):
    """Tables 1–2 after the paper's 6 epochs: SGD below 10 % test error at one or two of
    the four learning rates; ADADELTA in more than half of its 12 cells, with no η."""
    sgd = nw.works(tables["sgd"])
    ada = nw.works(tables["adadelta"])
    assert 1 <= sgd.sum() <= 2 and sgd[1]  # η = 0.1 only, or with a neighbour
    assert ada.sum() >= 7 and ada.size == 12
    assert ada[:, 1:3].all()  # ε = 1e-4 and 1e-6: every ρ
    assert not ada[:, 0].any()  # ε = 1e-2 fails at this budget (the text says so)
    for key in nw.TABLE1:
        assert tables[key].test_error.shape == (4, 6)


def test_keras_learning_rate_leaves_the_network_untrained():
    keras = nw.sweep("adadelta", {"rho": [0.95], "eps": [1e-6]}, epochs=6, fixed={"lr": 0.001})
    paper = nw.sweep("adadelta", {"rho": [0.95], "eps": [1e-6]}, epochs=6)
    assert keras.test_error[0, 0, -1] > 0.5 > 0.1 > paper.test_error[0, 0, -1]


def test_every_layers_step_size_approaches_one_as_eps_dominates():
    """§4.3: over training the per-layer step sizes climb to 1."""
    r = nw.sweep("adadelta", {"rho": [0.95], "eps": [1e-6]}, epochs=60)
    rates = r.layer_rates[0, 0]
    first = np.nanmedian(rates[:13], axis=0)
    last = np.nanmedian(rates[-13:], axis=0)
    assert np.all(last > 0.95) and np.all(last < 1.05)
    assert np.all(first < 0.9)
    assert r.test_error[0, 0, -1] < 0.05


def test_every_optimizer_trains_the_network():
    """The same rules as the 2-D views, over 17 710 weights: each registered optimizer's
    defaults (with a learning rate suited to a network) run without error."""
    for key in optimizers.names():
        spec = optimizers.get(key)
        grid = {"lr": [0.1]} if "lr" in spec.defaults and not spec.paper_values else {}
        if not grid:
            grid = {spec.axes[0]: [spec.defaults[spec.axes[0]]]}
        r = nw.sweep(key, grid, epochs=1)
        assert r.test_error.shape[-1] == 1 and not r.diverged.any(), key


def test_the_median_step_factor_is_the_median_over_the_weights_with_a_gradient():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(4, 50))
    updates = -rng.uniform(0.1, 2.0, size=(4, 50)) * grads
    grads[0, :7] = 0.0  # no factor there
    grads[1, :] = 0.0  # none at all
    got = nw._median_factor(grads, updates)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(grads != 0, -updates / grads, np.nan)
    assert np.isnan(got[1])
    for row in (0, 2, 3):
        assert got[row] == np.nanmedian(factor[row])


def test_freed_memory_is_reused_on_glibc():
    from optviz import memory

    assert memory.reuse_freed_memory() is memory.reuse_freed_memory()  # once per process
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert memory.reuse_freed_memory()


def test_lesson_twelve_says_which_eps_columns_work_and_how_far_figure_two_is():
    from optviz import lessons
    from optviz.lessons import paper_experiment as pe

    data = pe.results()
    works = nw.works(data["tables"]["adadelta"])
    text = lessons.get("paper_experiment").explain(lessons.get("paper_experiment").scene, {})
    every = [n for n, col in zip(("10⁻²", "10⁻⁴", "10⁻⁶", "10⁻⁸"), works.T) if col.all()]
    assert f"every ρ works at ε = {', '.join(every)}" in text
    assert "10⁻⁸" not in every or works[:, 3].all()  # never "10⁻⁴ to 10⁻⁸" unless it is so
    assert "insensitivity holds for ε from" not in text
    assert "move its epochs slider to 60" in text  # the view's default shows 6 epochs
    keras = float(data["keras"].test_error[0, 0, -1])
    assert f"is at {lessons.pct(keras)} after the same budget" in text


# ---------------------------------------------------------------------------
# The compiled engine (optviz.network_compiled) against the NumPy path
# ---------------------------------------------------------------------------


def _compiled():
    from optviz import compiled

    if not compiled.available():
        pytest.skip("numba is not installed")
    from optviz import network_compiled

    return network_compiled


def test_the_compiled_tanh_is_within_its_ulp_bound_of_numpys():
    nc = _compiled()
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(-20, 20, 200_001),
            rng.normal(0, 1, 200_000),
            np.geomspace(1e-300, 1, 2000),
            -np.geomspace(1e-300, 1, 2000),
            [0.625, np.nextafter(0.625, 0), 19.0, 19.1, 25.0, -25.0, 1e300, -1e300],
        ]
    )
    ours, ref = nc.tanh(x), np.tanh(x)
    ulps = np.abs(ours - ref) / np.spacing(np.abs(ref))
    assert ulps.max() <= nc.TANH_ULPS
    assert np.mean(ours == ref) > 0.7  # most are the same bits (measured: 79 %)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    got = nc.tanh(special)
    np.testing.assert_array_equal(got, np.tanh(special))
    np.testing.assert_array_equal(np.signbit(got[:2]), [False, True])


@pytest.mark.parametrize("key", ["sgd", "momentum", "adagrad", "adadelta", "adam"])
def test_the_compiled_update_rules_train_to_the_numpy_paths_bits(key):
    """ReLU leaves tanh out: what remains compiled (the optimizer's own rule over the
    rows, the zeroing of a diverged row, the addition) is the same bits, 0 ulps."""
    _compiled()
    grid = {"lr": [0.1, 1e100]} if key == "sgd" else {nw.optimizers.get(key).axes[0]: [0.01]}
    if key == "adadelta":
        grid = {"rho": [0.9, 0.95], "eps": [1e-6]}
    runs = [
        nw.sweep(key, grid, epochs=1, activation="relu", engine=e, keep_params=True)
        for e in ("numpy", "compiled")
    ]
    np.testing.assert_array_equal(runs[0].params, runs[1].params)
    np.testing.assert_array_equal(runs[0].layer_rates, runs[1].layer_rates)
    np.testing.assert_array_equal(runs[0].diverged, runs[1].diverged)


def test_the_compiled_tanh_derivative_is_the_numpy_products_bits():
    nc = _compiled()
    opt = optimizers.build("sgd", lr=0.1)
    k = nc.kernels(opt, 1, (), None)
    rng = np.random.default_rng(1)
    a = np.tanh(rng.normal(size=(2, 1, 7, 5)))
    d = rng.normal(size=(2, 3, 7, 5))
    expected = d * (1.0 - np.broadcast_to(a, d.shape) * np.broadcast_to(a, d.shape))
    np.testing.assert_array_equal(
        k.times_tanh_grad(d.copy(), np.broadcast_to(a, d.shape)), expected
    )
    z, b = rng.normal(size=(2, 3, 7, 5)), rng.normal(size=(2, 3, 5))
    ulps = np.abs(k.bias_tanh(z.copy(), b) - np.tanh(z + b[..., None, :]))
    assert np.all(ulps <= nc.TANH_ULPS * np.spacing(np.abs(np.tanh(z + b[..., None, :]))))


def test_a_compiled_tanh_run_differs_from_numpys_by_rounding_only():
    _compiled()
    grid = {"rho": [0.9, 0.95], "eps": [1e-6]}
    a, b = (
        nw.sweep("adadelta", grid, epochs=1, engine=e, keep_params=True)
        for e in ("numpy", "compiled")
    )
    np.testing.assert_allclose(b.params, a.params, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(b.per_seed, a.per_seed, atol=1 / nw.TEST_SIZE)


def test_the_threaded_stacked_product_is_numpys_to_the_bit():
    """``_matmul`` splits the configurations over threads; each network's product is the
    same BLAS call, so the result is ``np.matmul``'s bits, broadcasting included, and the
    caller's error handling holds in the threads."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 1, 7, 5))  # one seed's images, shared by its configurations
    w = rng.standard_normal((2, 5, 5, 3))
    a = rng.standard_normal((2, 5, 7, 5))
    for left, right in ((x, w), (a, w), (np.swapaxes(a, -1, -2), a)):
        np.testing.assert_array_equal(nw._matmul(left, right), np.matmul(left, right))
    huge = np.full((1, 3, 2, 2), 1e300)
    with pytest.raises(FloatingPointError), np.errstate(over="raise"):
        nw._matmul(huge, huge)
    with np.errstate(over="ignore"):
        assert np.isinf(nw._matmul(huge, huge)).all()


def test_blas_runs_on_one_thread_while_training_and_is_given_back():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    nw.split(0)  # scikit-learn (and the BLAS its import loads) already loaded

    def blas_threads():
        return {
            i["filepath"]: i["num_threads"]
            for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"
        }

    before = blas_threads()
    seen = []
    nw.sweep("sgd", {"lr": [0.1]}, epochs=2, progress=lambda _f: seen.append(blas_threads()))
    assert len(seen) == 2 and all(set(t.values()) == {1} for t in seen)
    assert blas_threads() == before
