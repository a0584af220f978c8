"""The classroom benchmark's core (``benchmarks/bench_classroom.py``) against a real server.

Simulated students speak Streamlit's websocket protocol to ``streamlit run app.py`` on a
free loopback port: a move of ADADELTA's ρ reaches the server as the browser sends it
(every widget's state, that one changed, the slider's fragment), every move is answered
with a new chart, and the benchmark's figures are real numbers in order. No time limit is
asserted: the benchmark reports times, the tests check what they are made of.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import pathlib
import random
import sys

import pytest
from browser_support import start_app, stop_app

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "bench_classroom", ROOT / "benchmarks" / "bench_classroom.py"
)
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_classroom"] = bench  # (its dataclasses look their module up there)
_spec.loader.exec_module(bench)

#: seconds one run may take on a loaded 2-core machine before a student counts as dropped
TIMEOUT_S = 90


@pytest.fixture(scope="module")
def server():
    """A server, and its PID (for the memory and CPU figures)."""
    proc, base = start_app()
    try:
        yield base, proc.pid
    finally:
        stop_app(proc)


def test_quantiles_are_nearest_rank_and_ordered():
    q = bench.quantiles([0.3, 0.1, 0.2, 0.4] * 5 + [9.0])
    assert q["n"] == 21 and q["p50"] == 0.3 and q["p95"] == 0.4 and q["max"] == 9.0
    empty = bench.quantiles([])
    assert empty["n"] == 0 and math.isnan(empty["p50"])


def test_a_students_move_reaches_the_server_as_a_browser_sends_it(server):
    base, _pid = server

    async def scenario():
        student = bench.Student(base, timeout=TIMEOUT_S)
        await student.connect()
        try:
            first = await student.first_run()
            keys = {wid.rsplit("-", 1)[-1] for wid in student.widgets}
            _, state, fragment, element = student.movable("rho")
            before = list(state.string_array_value.data)
            moved = await student.move("rho", random.Random(3))
            _, after, _, _ = student.movable("rho")
            return first, keys, fragment, element, before, moved, after
        finally:
            await student.close()

    first, keys, fragment, element, before, moved, after = asyncio.run(scenario())
    assert first.status == bench.ForwardMsg.FINISHED_SUCCESSFULLY and first.chart_s is not None
    assert first.exceptions == 0
    # every widget's state is held and sent, not just the one moved
    assert {"hp.adadelta.rho", "hp.adadelta.eps", "steps", "objective", "optimizers"} <= keys
    assert element.slider.label.startswith("ρ") and before == ["0.95"]
    assert fragment, "ρ's slider belongs to the view's fragment"
    # the move: a rerun of that fragment only, with a new chart, at the new ρ
    (value,) = after.string_array_value.data
    assert value != "0.95" and value in element.slider.options
    assert moved.status == bench.ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    assert moved.chart_s is not None and moved.chart_s <= moved.finished_s
    assert f"adadelta.rho={value}" in moved.link
    assert moved.exceptions == 0 and moved.unknown_references == 0


def test_two_students_moving_for_eight_seconds(server):
    base, pid = server
    phase = asyncio.run(
        bench.classroom(base, 2, 8.0, pids=[pid], moves=["rho", "eps"], timeout=TIMEOUT_S)
    )
    assert phase.errors == [] and phase.dropped == 0
    assert len(phase.first_run_s) == 2
    # each student moves within its first pause (at most 4 s), so at least once each
    assert phase.moves >= 2
    assert phase.moves_without_chart == 0
    assert len(phase.chart_s) == len(phase.end_s) == phase.moves
    assert all(0 < c <= e for c, e in zip(phase.chart_s, phase.end_s))
    summary = phase.summary()
    for what in ("chart", "end", "first_run"):
        q = summary[what]
        assert all(math.isfinite(q[k]) for k in ("p50", "p95", "max")), what
        assert 0 < q["p50"] <= q["p95"] <= q["max"], what
    before, peak, after = summary["rss_mb"]
    assert all(math.isfinite(v) and v > 50 for v in (before, peak, after))
    assert peak >= min(before, after)
    assert math.isfinite(phase.server_cpu_pct) and phase.server_cpu_pct > 0
    assert math.isfinite(phase.client_cpu_pct) and phase.client_cpu_pct >= 0
