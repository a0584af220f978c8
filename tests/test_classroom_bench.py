"""The classroom benchmark's core (``benchmarks/bench_classroom.py``) against a real server.

Simulated students speak Streamlit's websocket protocol to ``streamlit run app.py`` on a
free loopback port: a move of ADADELTA's ρ reaches the server as the browser sends it
(every widget's state, that one changed, the slider's fragment), every move is answered
with a new chart, and the benchmark's figures are real numbers in order.

Then a course (``assets/deploy/serve_course.sh`` with two app processes behind nginx, on
loopback; skipped where nginx is not installed): the routing cookie is set once and kept,
routes spread over both processes and stick, students' pages, websockets, reruns and
reconnects stay on one process (nginx's own log says which served what), the benchmark
runs through the balancer, and SIGTERM stops nginx and both apps.

No time limit is asserted: the benchmark reports times, the tests check what they are
made of. Every wait is bounded and waits on a condition (health, a log line), not a sleep.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from browser_support import free_port, start_app, stop_app

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


# --- a course: two app processes behind nginx (assets/deploy/) -----------------------------

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
SERVE = ROOT / "assets" / "deploy" / "serve_course.sh"
#: seconds the launcher may take to start two apps and nginx on a loaded machine
START_S = 240


def get(url: str, cookie: str = "") -> tuple[int, list[str]]:
    """GET ``url`` (with ``cookie``): its status and its Set-Cookie headers."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        return answer.status, answer.headers.get_all("Set-Cookie") or []


def healthy(base: str) -> bool:
    try:
        return urllib.request.urlopen(base + "/_stcore/health", timeout=5).read() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """``serve_course.sh 2 PORT`` on loopback: the balancer's URL, its run directory and
    the two apps' addresses → PIDs. Stopped by SIGTERM afterwards, which must stop nginx
    and both apps."""
    if NGINX is None:
        pytest.skip("no nginx: `apt-get install -y nginx` (Debian) to test serving a course")
    run_dir = tmp_path_factory.mktemp("course")
    ports = []
    while len(ports) < 3:  # the balancer's and two apps', all different
        port = free_port()
        if port not in ports:
            ports.append(port)
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "NGINX": NGINX,
        "OPTVIZ_ADDRESS": "127.0.0.1",
        "OPTVIZ_APP_PORTS": f"{ports[1]},{ports[2]}",
        "OPTVIZ_RUN_DIR": str(run_dir),
    }
    log = open(run_dir / "launcher.log", "w")  # noqa: SIM115 (kept open while it runs)
    proc = subprocess.Popen(
        ["bash", str(SERVE), "2", str(ports[0])],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{ports[0]}"
    deadline = time.monotonic() + START_S
    while not healthy(base):  # polls the balancer's health: no page to wait on yet
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the course did not start: " + (run_dir / "launcher.log").read_text())
        time.sleep(0.5)
    apps = dict(line.split() for line in (run_dir / "apps.txt").read_text().splitlines())
    nginx = nginx_pid(run_dir)
    try:
        yield base, run_dir, {addr: int(pid) for addr, pid in apps.items()}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        finally:
            log.close()
        left = [pid for pid in apps.values() if os.path.exists(f"/proc/{pid}")]
        assert left == [], f"app processes left running: {left}"
        assert nginx is not None and not os.path.exists(f"/proc/{nginx}"), "nginx left running"


def nginx_pid(run_dir: pathlib.Path) -> int | None:
    pid_file = run_dir / "nginx.pid"
    return int(pid_file.read_text()) if pid_file.exists() else None


def log_lines(run_dir: pathlib.Path) -> list[dict]:
    """The balancer's access log: per request its route, upstream and request line."""
    lines = []
    for line in (run_dir / "access.log").read_text().splitlines():
        fields = dict(
            f.split("=", 1) for f in line.split() if f.startswith(("route=", "upstream="))
        )
        fields["request"] = line.split('"')[1]
        lines.append(fields)
    return lines


def routes_seen(run_dir: pathlib.Path, route: str, count: int, what: str) -> list[dict]:
    """The log's lines of ``route`` for ``what`` once there are ``count`` of them
    (nginx logs a websocket when it closes; bounded)."""
    deadline = time.monotonic() + 60
    while True:
        lines = [r for r in log_lines(run_dir) if r["route"] == route and what in r["request"]]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_a_browser_without_the_cookie_gets_one_and_keeps_it(course):
    base, run_dir, apps = course
    status, cookies = get(base + "/")
    assert status == 200
    (cookie,) = [c for c in cookies if c.startswith("ovroute=")]
    pair = cookie.split(";", 1)[0]
    assert "HttpOnly" in cookie and "Path=/" in cookie
    # with the cookie: no new one, and every request of that route on one process
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/"):
        status, again = get(base + path, pair)
        assert status == 200 and not [c for c in again if c.startswith("ovroute=")]
    lines = routes_seen(run_dir, pair.split("=", 1)[1], 5, "GET")
    assert len(lines) == 5 and len({r["upstream"] for r in lines}) == 1
    assert lines[0]["upstream"] in apps


def test_routes_are_spread_over_both_processes_and_each_sticks(course):
    base, run_dir, apps = course
    for i in range(64):  # deterministic: nginx's consistent hash of fixed routes
        get(base + "/_stcore/health", f"ovroute=spread-{i}")
        get(base + "/_stcore/health", f"ovroute=spread-{i}")
    upstream = {}
    for r in log_lines(run_dir):
        if r["route"].startswith("spread-"):
            upstream.setdefault(r["route"], set()).add(r["upstream"])
    assert len(upstream) == 64
    assert all(len(u) == 1 for u in upstream.values()), "a route changed process"
    assert {u for (u,) in upstream.values()} == set(apps), "both processes get students"


def test_students_through_the_balancer_stay_on_their_process(course):
    """Students load the page and open their websocket through nginx, move ρ, leave and
    come back: their page, both websockets and every rerun reach one process."""
    base, run_dir, _ = course

    async def scenario():
        students = [bench.Student(base, timeout=TIMEOUT_S) for _ in range(4)]
        runs = []
        for student in students:
            await student.connect()
            runs.append(await student.first_run())
            runs.append(await student.move("rho", random.Random(len(runs))))
            await student.close()
            await student.connect()  # back, with its cookie
            runs.append(await student.first_run())
            await student.close()
        return students, runs

    students, runs = asyncio.run(scenario())
    assert all(r.chart_s is not None and r.exceptions == 0 for r in runs)
    assert [r.status for r in runs[:3]] == [
        bench.ForwardMsg.FINISHED_SUCCESSFULLY,
        bench.ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
        bench.ForwardMsg.FINISHED_SUCCESSFULLY,
    ]
    for student in students:
        route = student.cookie.split("ovroute=", 1)[1].split(";", 1)[0]
        streams = routes_seen(run_dir, route, 2, "/_stcore/stream")
        pages = [
            r
            for r in log_lines(run_dir)
            if r["route"] == route and r["request"] == "GET / HTTP/1.1"
        ]
        assert len(streams) == 2 and len(pages) == 2, student.cookie
        assert len({r["upstream"] for r in streams + pages}) == 1, student.cookie


def test_the_load_benchmark_through_the_balancer(course):
    base, run_dir, apps = course
    phase = asyncio.run(bench.classroom(base, 4, 8.0, pids=list(apps.values()), timeout=TIMEOUT_S))
    assert phase.errors == [] and phase.dropped == 0
    assert phase.moves >= 4 and phase.moves_without_chart == 0
    assert len(phase.chart_s) == phase.moves
    assert math.isfinite(phase.rss_peak_mb) and phase.rss_peak_mb > 100
    by_route = {}
    for r in log_lines(run_dir):
        if "/_stcore/stream" in r["request"]:
            by_route.setdefault(r["route"], set()).add(r["upstream"])
    assert by_route and all(len(u) == 1 for u in by_route.values())
