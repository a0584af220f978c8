"""The Network view: the paper's own experiment in miniature (:mod:`optviz.network`).

Tables 1–2 (test error of SGD, momentum and ADAGRAD over η, of ADADELTA over ρ × ε) on
one colour scale, Figure 1 (test error against epochs, each baseline at its best η and
ADADELTA at the paper's defaults, the tuning stated) and Figure 2 (ADADELTA's per-layer step
sizes), for a budget, an architecture and a number of seeds chosen here; Keras'
η = 0.001 variant one switch away. Every sentence is computed from the numbers shown.

Its controls are the view's own (not part of the 2-D scene); like the Sensitivity view's
they keep their values while the view is hidden and go into the link.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import streamlit as st

from .. import limits, network, optimizers
from ..network import GOOD_ERROR, PAPER_EPS, PAPER_LRS, PAPER_RHOS, TABLE1, TABLE2
from ..network_figures import curves_figure, rates_figure, tables_figure
from ..numbers import slider_value
from .markup import escape
from .state import Presentation

EPOCHS = limits.NETWORK_EPOCHS
SEEDS = limits.NETWORK_SEEDS
HIDDEN = limits.NETWORK_HIDDEN
#: session-state keys of the view's controls, their defaults, and the link's names
EPOCHS_KEY, SEEDS_KEY, ACT_KEY, HIDDEN_KEY, KERAS_KEY = (
    "net_epochs",
    "net_seeds",
    "net_activation",
    "net_hidden",
    "net_keras",
)
DEFAULTS: dict[str, Any] = {
    EPOCHS_KEY: 6,  # the paper's Table 1–2 budget
    SEEDS_KEY: 1,
    ACT_KEY: "tanh",
    HIDDEN_KEY: HIDDEN[0],
    KERAS_KEY: False,
}
#: Keras' ADADELTA: the paper's rule times a learning rate η = 0.001
KERAS_LR = 0.001


def _kept(key: str) -> str:
    return f"_keep.{key}"


def current_setting(state: Mapping[str, Any], key: str) -> Any:
    """The view's setting ``key`` even while the view is hidden (its kept value)."""
    if key in state:
        return state[key]
    return state.get(_kept(key), DEFAULTS[key])


def hidden_sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


#: the tables trained so far (per setting, at most :data:`KEPT_TABLES`, oldest dropped),
#: shared by every session of the server. Not ``st.cache_resource``: that replays the
#: elements a cached function draws, and the progress bar is drawn while training.
_TABLES: OrderedDict[tuple, dict[str, network.NetworkResult]] = OrderedDict()
_TABLES_LOCK = threading.Lock()
KEPT_TABLES = 8
#: held while a training runs: at most :data:`optviz.limits.NETWORK_TRAININGS` at a time
#: for the whole server (every session's request waits its turn)
_TRAINING = threading.BoundedSemaphore(limits.NETWORK_TRAININGS)
#: how often a waiting session looks again (and calls its ``waiting``: a Streamlit call, so
#: a student who moves on stops waiting)
WAIT_POLL_S = 0.5


def _cached(key: tuple) -> dict[str, network.NetworkResult] | None:
    with _TABLES_LOCK:
        if key in _TABLES:
            _TABLES.move_to_end(key)
            return _TABLES[key]
    return None


def network_tables(
    epochs: int,
    n_seeds: int,
    activation: str,
    hidden: tuple[int, ...],
    keras: bool,
    progress: Callable[[float], Any] | None = None,
    waiting: Callable[[float], Any] | None = None,
) -> dict[str, network.NetworkResult]:
    """The four sweeps of Tables 1–2 (:func:`optviz.network.tables`), trained once per
    setting; ``progress(fraction)`` is told how far the training is.

    At most :data:`optviz.limits.NETWORK_TRAININGS` trainings run at a time, whichever
    sessions asked: another request waits, calling ``waiting(seconds waited)`` every
    :data:`WAIT_POLL_S` (it may raise to stop waiting: Streamlit's stop of a rerun), and
    finds the tables already trained when the running training was the same setting."""
    key = (int(epochs), int(n_seeds), str(activation), tuple(hidden), bool(keras))
    found = _cached(key)
    if found is not None:
        return found
    started = time.monotonic()
    while not _TRAINING.acquire(timeout=WAIT_POLL_S):
        if waiting is not None:
            waiting(time.monotonic() - started)
    try:
        found = _cached(key)  # (trained by the session this one waited for)
        if found is not None:
            return found
        results = network.tables(
            epochs=epochs,
            seeds=tuple(range(n_seeds)),
            activation=activation,
            hidden=hidden,
            adadelta_fixed={"lr": KERAS_LR} if keras else None,
            progress=progress,
        )
        with _TABLES_LOCK:  # (before the next in line looks)
            _TABLES[key] = results
            while len(_TABLES) > KEPT_TABLES:
                _TABLES.popitem(last=False)
    finally:
        _TRAINING.release()
    return results


def _controls() -> tuple[int, int, str, str, bool]:
    state = st.session_state
    for key, default in DEFAULTS.items():
        if key not in state:
            state[key] = state.get(_kept(key), default)
    if state[EPOCHS_KEY] not in EPOCHS:
        state[EPOCHS_KEY] = DEFAULTS[EPOCHS_KEY]
    if state[SEEDS_KEY] not in SEEDS:
        state[SEEDS_KEY] = DEFAULTS[SEEDS_KEY]
    if state[ACT_KEY] not in network.ACTIVATIONS:
        state[ACT_KEY] = DEFAULTS[ACT_KEY]
    if state[HIDDEN_KEY] not in HIDDEN:
        state[HIDDEN_KEY] = DEFAULTS[HIDDEN_KEY]
    c1, c2, c3, c4 = st.columns([3, 1.2, 1.2, 1.6], vertical_alignment="bottom")
    epochs = c1.select_slider(
        "Training budget (epochs)",
        options=EPOCHS,
        key=EPOCHS_KEY,
        help="one epoch is 13 minibatches of 100 images; the paper's tables are after 6 "
        "epochs, its Figure 1 runs to 50",
    )
    seeds = c2.radio(
        "Seeds",
        SEEDS,
        key=SEEDS_KEY,
        horizontal=True,
        help="every cell is the mean over this many seeds: each seed its own split, "
        "initial weights and minibatch order, the same for every optimizer",
    )
    activation = c3.radio("Units", network.ACTIVATIONS, key=ACT_KEY, horizontal=True)
    hidden = c4.selectbox(
        "Hidden layers",
        HIDDEN,
        key=HIDDEN_KEY,
        help="the sizes of the hidden layers: 64 pixels in, 10 digits out",
    )
    keras = st.toggle(
        f"Library variant: Keras' ADADELTA (η = {KERAS_LR:g})",
        key=KERAS_KEY,
        help="Keras multiplies the paper's step by a learning rate, 0.001 by default; "
        "torch's default is η = 1 (the paper's) with ρ = 0.9, a cell of Table 2",
    )
    for key in DEFAULTS:
        state[_kept(key)] = state[key]
    return int(epochs), int(seeds), str(activation), str(hidden), bool(keras)


def _count(result: network.NetworkResult, epoch: int) -> tuple[int, int]:
    ok = network.works(result, epoch)
    return int(ok.sum()), int(ok.size)


def tables_sentence(results: Mapping[str, network.NetworkResult], epoch: int) -> str:
    """How many cells of each table end below :data:`GOOD_ERROR` test error."""
    parts = []
    for key in TABLE1:
        r = results[key]
        ok = network.works(r, epoch)
        rates = [slider_value(v) for v, good in zip(PAPER_LRS, ok) if good]
        name = optimizers.get(key).display_name
        parts.append(
            f"**{name}** at {ok.sum()} of {ok.size} learning rates"
            + (f" (η = {', '.join(rates)})" if rates else "")
        )
    good, total = _count(results[TABLE2], epoch)
    lr = results[TABLE2].fixed.get("lr", 1.0)
    ada = (
        f"**ADADELTA** in {good} of {total} (ρ, ε) cells, with no learning rate to choose"
        if lr == 1.0
        else f"**ADADELTA with Keras' η = {lr:g}** in {good} of {total} (ρ, ε) cells"
    )
    updates = epoch * results[TABLE2].updates_per_epoch
    return (
        f"After {epoch} epoch{'s' * (epoch != 1)} ({updates} updates), the test error is "
        f"below {100 * GOOD_ERROR:g} % for " + ", ".join(parts) + f"; and for {ada}."
    )


def _best_curves(
    results: Mapping[str, network.NetworkResult], epoch: int
) -> tuple[list[tuple[str, str, np.ndarray]], str]:
    curves, tuned = [], []
    for key in TABLE1:
        r = results[key]
        (i,) = network.best_index(r, epoch)
        name = optimizers.get(key).display_name
        curves.append((key, f"{name}, η = {slider_value(PAPER_LRS[i])} (best)", r.test_error[i]))
        tuned.append(f"{name} η = {slider_value(PAPER_LRS[i])}")
    r = results[TABLE2]
    i, j = PAPER_RHOS.index(0.95), PAPER_EPS.index(1e-6)
    curves.append(("adadelta", "ADADELTA, ρ = 0.95, ε = 10⁻⁶ (defaults)", r.test_error[i, j]))
    return curves, ", ".join(tuned)


def _rates_sentence(result: network.NetworkResult) -> str:
    i, j = PAPER_RHOS.index(0.95), PAPER_EPS.index(1e-6)
    rates = result.layer_rates[i, j]
    last = rates[-max(1, result.updates_per_epoch) :]  # the last epoch's updates
    final = np.nanmedian(last, axis=0)
    first = rates[0]
    items = ", ".join(f"layer {k + 1} {v:.3g}" for k, v in enumerate(final))
    top = int(np.nanargmax(final))
    low = int(np.nanargmin(final))
    close = float(np.nanmax(final) / np.nanmin(final) - 1.0) < 0.02
    order = (
        f"Here all end within {100 * (np.nanmax(final) / np.nanmin(final) - 1):.2g} % of each "
        "other, so no layer's is clearly the largest"
        if close
        else f"Here layer {top + 1} has the largest and layer {low + 1} the smallest"
    )
    return (
        f"At the first update ADADELTA's median step size is {np.nanmedian(first):.2g} "
        "(√ε / √(ε + (1−ρ)g²) while E[Δx²] is still empty: near 1 wherever (1−ρ)g² ≪ ε); "
        f"over the last epoch it is "
        f"{items}. §4.3 of the paper: as ε comes to dominate, the step sizes approach 1. "
        f"{order} (the paper's Figure 2 has the lowest layer largest and the output layer "
        "smallest)."
    )


def network_view(presentation: Presentation) -> None:
    """The Network tab (see the module docstring). With a lesson open, its box is the
    title and the view's settings are folded, so that the tables start on the first
    screen of a projector."""
    lesson = bool(presentation.lesson)
    if not lesson:
        st.subheader("The paper's experiment, in miniature: a network on real digits")
    with (
        st.expander("This view's settings: the data, the budget, the seeds, the network")
        if lesson
        else contextlib.nullcontext()
    ):
        st.caption(
            "scikit-learn's 8×8 digits (1797 images: 1297 to train, 500 to test, "
            "stratified), a fully connected network 64 → hidden → 10 with softmax, "
            "minibatches of 100, trained by the same optimizers and update rules as the 2-D "
            "views. The paper used MNIST (28×28) and a larger network: the numbers differ, "
            "the question is the same."
        )
        epochs, n_seeds, activation, hidden_text, keras = _controls()
    hidden = hidden_sizes(hidden_text)
    bar = st.empty()

    def progress(fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text="Training every configuration…")

    def waiting(seconds: float) -> None:
        bar.info(
            f"Waiting for another training on this server to finish ({seconds:.0f} s so far): "
            "one network trains at a time, so that the class's other pages keep answering.",
            icon=":material/hourglass_top:",
        )

    try:
        results = network_tables(epochs, n_seeds, activation, hidden, keras, progress, waiting)
    except ValueError as err:
        bar.empty()
        st.error(f"This network cannot be trained: {escape(err)}")
        return
    bar.empty()
    seconds = sum(r.seconds for r in results.values())
    st.plotly_chart(
        tables_figure(results, epochs, presenter=presentation.presenter, theme=presentation.theme),
        key="network_tables",
        width="stretch",
        theme=None,
        config={"displaylogo": False, "displayModeBar": False},
    )
    runs = sum(int(np.prod(r.shape)) * len(r.seeds) for r in results.values())
    st.markdown(tables_sentence(results, epochs))
    st.caption(
        f"Mean test error over seed{'s' * (n_seeds > 1)} "
        f"{', '.join(map(str, range(n_seeds)))}; momentum with β = 0.9; ADAGRAD with "
        "ε = 10⁻¹⁰. One colour scale for both tables (90 % is chance). torch's defaults "
        f"(ρ = 0.9, ε = 10⁻⁶) are a cell of Table 2. {runs} networks trained in "
        f"{seconds:.1f} s (first time; then cached)."
    )
    left, right = st.columns(2)
    curves, tuned = _best_curves(results, epochs)
    with left:
        st.plotly_chart(
            curves_figure(curves, presenter=presentation.presenter, theme=presentation.theme),
            key="network_curves",
            width="stretch",
            theme=None,
            config={"displaylogo": False, "displayModeBar": False},
        )
        st.caption(
            f"Tuned for them: each baseline at the η of Table 1 with the lowest test error "
            f"after {epochs} epochs ({tuned}) — chosen on the test set, the most favourable "
            "choice. ADADELTA at the paper's defaults, not tuned."
        )
    with right:
        r = results[TABLE2]
        i, j = PAPER_RHOS.index(0.95), PAPER_EPS.index(1e-6)
        names = r.net.layer_names()
        st.plotly_chart(
            rates_figure(
                r.layer_rates[i, j],
                names,
                r.updates_per_epoch,
                presenter=presentation.presenter,
                theme=presentation.theme,
            ),
            key="network_rates",
            width="stretch",
            theme=None,
            config={"displaylogo": False, "displayModeBar": False},
        )
        st.caption(_rates_sentence(r) + " Seed 0, ρ = 0.95, ε = 10⁻⁶.")
