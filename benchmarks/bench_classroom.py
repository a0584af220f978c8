"""How does one server cope with a class? Students simulated at Streamlit's websocket protocol.

Each simulated student does what a browser does, without drawing anything: it loads the
page (``GET /``, keeping any cookie a balancer sets, see ``assets/deploy/``), opens
``/_stcore/stream`` (subprotocol ``streamlit``), asks for its first run and reads it up to
``script_finished``. Then, every 2–4 s (uniform jitter), it moves ADADELTA's ρ slider to
another of its values (``--move rho,eps`` moves ε now and then too) by sending a rerun
with **every** widget's current state, as the browser's widget manager does, one value
changed, and the fragment the slider belongs to. A student waits for its move's rerun to
finish before the next move (a student looks at the picture first): when a rerun takes
longer than the pause, the next move follows at once, so an overloaded server sees fewer
moves, not a queue. Like a browser it keeps the large messages (the chart) it has been
sent and tells the server their hashes, so a figure it has already seen comes back as a
reference; it answers no pings of its own and accepts compressed frames.

What is measured, per class size (1, 10, 30, 60 students for 60 s each by default):

* for every move, the time from sending it to receiving the chart's new element (the
  ``component_instance`` whose ``component_name`` ends in ``optviz_chart``) and to the
  end of the rerun (``script_finished``): median, p95 and max;
* errors (a run that finished otherwise than successfully, an exception element, a move
  whose rerun had no chart, a reference to a message never sent) and dropped sessions (a
  connection closed by the server, or a rerun that did not finish in ``--timeout`` s);
* the server's memory, the resident set of the streamlit process and all its children
  (``/proc/PID/statm``: VmRSS), before the students join, at its peak while they move, and
  a few seconds after they have left; and the server's CPU time over the moves as a
  percentage of one core (``/proc/PID/stat`` utime + stime of the process tree), with the
  share of its main thread, the event loop that reads the websockets and serialises,
  compresses and sends every message (each rerun runs in a thread of its own), and the
  time that thread was ready to run but waited for a CPU (``/proc/PID/task/PID/schedstat``:
  the cost of the machine's other load), beside this benchmark's own CPU (it shares the
  machine);
* for a burst of 30 students joining within 2 s (uniformly), the time from each one's
  join to its first complete run: p50, p95, max, and the server's CPU time meanwhile.

Start: ``python benchmarks/bench_classroom.py`` starts its own server on a free loopback
port and stops it by its PID afterwards; ``--url http://127.0.0.1:8080`` measures a
running one instead (``--pid`` names its processes for the memory and CPU figures).
Shorter: ``--students 1,10 --seconds 20 --burst 0``. ``--json out.json`` writes the
figures. Every loop is bounded in count and in time; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import pathlib
import random
import resource
import statistics
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import start_app, stop_app  # noqa: E402

#: the chart's component (its element's component_name ends with this)
CHART = "optviz_chart"
#: the widgets a student moves, by their key (a widget id ends in "-" + its key)
MOVABLE = {"rho": "hp.adadelta.rho", "eps": "hp.adadelta.eps"}
#: a student's pause between moves, seconds (uniform)
PAUSE_S = (2.0, 4.0)
#: messages one run may take before the student counts as broken (the page has ~100)
MAX_MESSAGES = 20_000
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGESIZE")
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


# --- the server's processes, read from /proc ----------------------------------------------


def process_tree(pids: list[int]) -> list[int]:
    """``pids`` and all their living descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    seen, todo = [], list(pids)
    while todo and len(seen) < 10_000:
        pid = todo.pop()
        if pid not in seen and os.path.exists(f"/proc/{pid}"):
            seen.append(pid)
            todo.extend(parents.get(pid, []))
    return seen


def rss_mb(pids: list[int]) -> float:
    """The resident memory of ``pids`` and their children, MB (VmRSS summed)."""
    total = 0
    for pid in process_tree(pids):
        with contextlib.suppress(OSError):
            statm = pathlib.Path(f"/proc/{pid}/statm").read_text().split()
            total += int(statm[1]) * PAGE_SIZE
    return total / 1e6


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of ``pids``' process trees so far, and of their reaped
    children, seconds."""
    ticks = 0
    for pid in process_tree(pids):
        with contextlib.suppress(OSError):
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / CLK_TCK


def main_thread_cpu_seconds(pids: list[int]) -> float:
    """CPU time of ``pids``' main threads (Streamlit's event loop: the websocket's reads,
    the messages' serialisation, compression and sending; each rerun has a thread of
    its own), seconds."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = pathlib.Path(f"/proc/{pid}/task/{pid}/stat").read_text()
            ticks += sum(int(f) for f in stat.rsplit(")", 1)[1].split()[11:13])
    return ticks / CLK_TCK


def main_thread_wait_seconds(pids: list[int]) -> float:
    """Time ``pids``' main threads have spent ready to run but waiting for a CPU
    (``/proc/PID/task/PID/schedstat``), seconds: what other processes on the machine cost
    the event loop."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += int(pathlib.Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1])
    return total / 1e9


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


# --- one student ----------------------------------------------------------------------------


def widget_state(element) -> WidgetState | None:
    """The state a browser holds for a widget element when it is drawn (its value as the
    server set it, else its default); None for buttons (triggers, sent only when pressed),
    the chart (its value is sent only when its cursor moves) and elements that are not
    widgets."""
    kind = element.WhichOneof("type")
    w = getattr(element, kind)
    state = WidgetState(id=getattr(w, "id", ""))
    if not state.id:
        return None
    if kind == "slider":
        if w.type == w.SELECT_SLIDER:  # its options' text, the value or the default ones
            raw = list(w.raw_value) or [w.options[int(i)] for i in w.default]
            state.string_array_value.data.extend(raw)
        else:
            state.double_array_value.data.extend(w.value if w.set_value else w.default)
    elif kind == "checkbox":
        state.bool_value = w.value if w.set_value else w.default
    elif kind == "number_input":
        value = w.value if w.set_value else w.default
        if w.data_type == w.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind == "selectbox":
        state.string_value = w.raw_value if w.set_value else w.options[w.default]
    elif kind == "multiselect":
        raw = list(w.raw_values) if w.set_value else [w.options[i] for i in w.default]
        state.string_array_value.data.extend(raw)
    elif kind == "button_group":
        raw = list(w.raw_values) if w.set_value else [w.options[i].content for i in w.default]
        state.string_array_value.data.extend(raw)
    elif kind in ("text_input", "text_area"):
        state.string_value = w.value if w.set_value else w.default
    else:  # buttons, download buttons, components…
        return None
    return state


def element_of(msg: ForwardMsg):
    if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
        return msg.delta.new_element
    return None


def is_chart(element) -> bool:
    return element.WhichOneof("type") == "component_instance" and (
        element.component_instance.component_name.endswith(CHART)
    )


class Dropped(Exception):
    """The session is gone: closed by the server, or a run that did not finish in time."""


@dataclass
class Run:
    """One run as the student saw it: times since the request was sent, seconds."""

    chart_s: float | None = None
    finished_s: float | None = None
    status: int | None = None
    exceptions: int = 0
    chart_by_reference: bool = False
    unknown_references: int = 0
    link: str = ""  # the page's "Link to this scene" (the settings the server ran)
    widgets: dict = field(default_factory=dict)  # id → (WidgetState, fragment id, element)


@dataclass
class Student:
    """A browser tab, minus the drawing: one websocket session with its widget states."""

    base: str
    timeout: float = 60.0
    seed: int = 0
    cookie: str = ""
    ws: object = None
    query: str = ""
    page_hash: str = ""
    widgets: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)  # hash → [message, run in which last used]
    max_cache_age: int = 2
    runs: int = 0
    session_id: str = ""

    async def connect(self) -> None:
        """Load the page as a browser does (keeping a balancer's cookie), then open the
        websocket with that cookie and the page's origin."""
        await asyncio.to_thread(self._load_page)
        stream = self.base.replace("http://", "ws://", 1) + "/_stcore/stream"
        headers = {"Origin": self.base}  # (a browser's: checked against the Host header)
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await websockets.connect(
            stream,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,  # (a browser sends no pings; the server's are answered)
            close_timeout=5,
        )

    def _load_page(self) -> None:
        request = urllib.request.Request(self.base + "/")
        if self.cookie:
            request.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            answer.read()
            for header in answer.headers.get_all("Set-Cookie") or []:
                pair = header.split(";", 1)[0].strip()
                if pair:
                    self.cookie = "; ".join(p for p in (self.cookie, pair) if p)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)
            self.ws = None

    def rerun_message(self, fragment: str = "") -> bytes:
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query
        client.page_script_hash = self.page_hash
        client.fragment_id = fragment
        client.widget_states.widgets.extend(state for state, _, _ in self.widgets.values())
        client.cached_message_hashes.extend(self.cache)
        return msg.SerializeToString()

    async def first_run(self) -> Run:
        """The page's first run (the browser's rerun on connecting)."""
        return await self.request(self.rerun_message())

    def movable(self, name: str):
        """(widget id, its state, fragment, element) of the widget a move changes."""
        suffix = "-" + MOVABLE[name]
        for wid, (state, fragment, element) in self.widgets.items():
            if wid.endswith(suffix):
                return wid, state, fragment, element
        raise LookupError(f"no widget with key {MOVABLE[name]!r} on the page")

    async def move(self, name: str, rng: random.Random) -> Run:
        """Move one select slider (ρ or ε) to another of its values, as the browser does:
        every widget's state, that one changed, a rerun of the slider's fragment."""
        wid, state, fragment, element = self.movable(name)
        options = list(element.slider.options)
        current = state.string_array_value.data[0] if state.string_array_value.data else None
        choice = rng.choice([o for o in options if o != current])
        changed = WidgetState(id=wid)
        changed.string_array_value.data.append(choice)
        self.widgets[wid] = (changed, fragment, element)
        return await self.request(self.rerun_message(fragment))

    async def request(self, payload: bytes) -> Run:
        """Send one rerun and read it to its ``script_finished``."""
        run = Run()
        started = time.perf_counter()
        deadline = started + self.timeout
        try:
            await self.ws.send(payload)
            for _ in range(MAX_MESSAGES):
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise Dropped(f"a run did not finish in {self.timeout:.0f} s")
                raw = await asyncio.wait_for(self.ws.recv(), left)
                now = time.perf_counter() - started
                if self._receive(raw, run, now):
                    break
            else:
                raise Dropped("too many messages in one run")
        except (websockets.ConnectionClosed, TimeoutError, OSError) as err:
            raise Dropped(f"{type(err).__name__}: {err}") from err
        self.runs += 1
        if run.status == ForwardMsg.FINISHED_SUCCESSFULLY:  # a whole page: what it drew
            self.widgets = run.widgets
        else:
            self.widgets.update(run.widgets)
        self.cache = {
            h: entry
            for h, entry in self.cache.items()
            if self.runs - entry[1] <= self.max_cache_age
        }
        return run

    def _receive(self, raw: bytes, run: Run, now: float) -> bool:
        """Take one message into ``run``; True once the run has finished."""
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        by_reference = False
        if kind == "ref_hash":
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                run.unknown_references += 1
                return False
            entry[1] = self.runs + 1
            msg, by_reference = entry[0], True  # (with its delta's fragment id)
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = [msg, self.runs + 1]
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
            self.session_id = msg.new_session.initialize.session_id
            self.max_cache_age = msg.new_session.config.max_cached_message_age or 2
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "script_finished":
            run.status = msg.script_finished
            run.finished_s = now
            return True
        element = element_of(msg)
        if element is None:
            return False
        fragment = msg.delta.fragment_id
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions += 1
        elif kind == "code" and element.code.code_text.startswith("http"):
            run.link = element.code.code_text
        elif is_chart(element) and run.chart_s is None:
            run.chart_s, run.chart_by_reference = now, by_reference
        state = widget_state(element)
        if state is not None:
            held = self.widgets.get(state.id)
            widget = getattr(element, kind)
            if held is not None and not getattr(widget, "set_value", True):
                state = held[0]  # (the browser keeps its own value unless the server sets it)
            run.widgets[state.id] = (state, fragment, element)
        return False


# --- a class --------------------------------------------------------------------------------


@dataclass
class Phase:
    """What a class of ``students`` saw over ``seconds`` of moves."""

    students: int
    seconds: float
    chart_s: list[float] = field(default_factory=list)  # move → the chart's new element
    end_s: list[float] = field(default_factory=list)  # move → script_finished
    moves: int = 0
    moves_without_chart: int = 0
    charts_by_reference: int = 0
    errors: list[str] = field(default_factory=list)
    dropped: int = 0
    first_run_s: list[float] = field(default_factory=list)  # join → first whole run
    join_cpu_s: float = math.nan  # the server's CPU seconds while the students joined
    rss_before_mb: float = math.nan
    rss_peak_mb: float = math.nan
    rss_after_mb: float = math.nan
    server_cpu_pct: float = math.nan  # of one core, over the moves
    event_loop_cpu_pct: float = math.nan  # the server's main threads' share of it
    event_loop_wait_pct: float = math.nan  # their time ready to run, waiting for a CPU
    client_cpu_pct: float = math.nan
    load_before: str = ""
    load_after: str = ""

    def summary(self) -> dict:
        return {
            "students": self.students,
            "seconds": self.seconds,
            "moves": self.moves,
            "chart": quantiles(self.chart_s),
            "end": quantiles(self.end_s),
            "first_run": quantiles(self.first_run_s),
            "join_cpu_s": self.join_cpu_s,
            "moves_without_chart": self.moves_without_chart,
            "charts_by_reference": self.charts_by_reference,
            "errors": len(self.errors),
            "error_examples": self.errors[:5],
            "dropped": self.dropped,
            "rss_mb": [self.rss_before_mb, self.rss_peak_mb, self.rss_after_mb],
            "server_cpu_pct": self.server_cpu_pct,
            "event_loop_cpu_pct": self.event_loop_cpu_pct,
            "event_loop_wait_pct": self.event_loop_wait_pct,
            "client_cpu_pct": self.client_cpu_pct,
            "load": [self.load_before, self.load_after],
        }


def quantiles(values: list[float]) -> dict:
    """p50 / p95 / max (nearest rank) of ``values``, or NaNs for none."""
    if not values:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan}
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p95": ordered[rank - 1],
        "max": ordered[-1],
    }


def check_run(run: Run, phase: Phase, what: str) -> None:
    if run.status not in FINISHED:
        phase.errors.append(f"{what}: finished with status {run.status}")
    if run.exceptions:
        phase.errors.append(f"{what}: {run.exceptions} exception element(s)")
    if run.unknown_references:
        phase.errors.append(f"{what}: {run.unknown_references} reference(s) to unsent messages")


async def join(student: Student, phase: Phase, at: float, t0: float) -> bool:
    """Connect ``at`` s after ``t0`` and read the first run; False if the session failed."""
    await asyncio.sleep(max(0.0, t0 + at - time.perf_counter()))
    joined = time.perf_counter()
    try:
        await student.connect()
        run = await student.first_run()
    except (Dropped, OSError, websockets.InvalidHandshake, TimeoutError) as err:
        phase.dropped += 1
        phase.errors.append(f"join: {type(err).__name__}: {err}")
        return False
    phase.first_run_s.append(time.perf_counter() - joined)
    check_run(run, phase, "first run")
    if run.chart_s is None:
        phase.errors.append("first run: no chart")
    return True


async def keep_moving(
    student: Student, phase: Phase, end: float, moves: list[str], rng: random.Random
) -> None:
    """Move every 2–4 s until ``end`` (the first move after a random part of a pause)."""
    next_move = time.perf_counter() + rng.uniform(0, PAUSE_S[1])
    for _ in range(10_000):
        if next_move >= end:
            return
        await asyncio.sleep(max(0.0, next_move - time.perf_counter()))
        sent = time.perf_counter()
        try:
            run = await student.move(rng.choice(moves), rng)
        except Dropped as err:
            phase.dropped += 1
            phase.errors.append(f"move: {err}")
            return
        phase.moves += 1
        check_run(run, phase, "move")
        if run.chart_s is None:
            phase.moves_without_chart += 1
            phase.errors.append("move: no chart in its rerun")
        else:
            phase.chart_s.append(run.chart_s)
            phase.charts_by_reference += run.chart_by_reference
        if run.finished_s is not None:
            phase.end_s.append(run.finished_s)
        next_move = max(sent + rng.uniform(*PAUSE_S), time.perf_counter())


class Sampler:
    """The server's memory every ``every`` s while a phase runs (its peak)."""

    def __init__(self, pids: list[int], every: float = 1.0):
        self.pids, self.every, self.peak = pids, every, math.nan
        self._task: asyncio.Task | None = None

    async def _loop(self) -> None:
        for _ in range(100_000):
            value = rss_mb(self.pids)
            self.peak = value if math.isnan(self.peak) else max(self.peak, value)
            await asyncio.sleep(self.every)

    def __enter__(self):
        if self.pids:
            self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def __exit__(self, *exc):
        if self._task:
            self._task.cancel()


async def classroom(
    base: str,
    students: int,
    seconds: float,
    *,
    pids: list[int] = (),
    moves: list[str] = ("rho",),
    seed: int = 0,
    join_within: float | None = None,
    timeout: float = 60.0,
    settle: float = 3.0,
) -> Phase:
    """``students`` join (spread over ``join_within`` s: by default 0.1 s apart, at most
    5 s), read their first run, then all move for ``seconds``; they leave, and after
    ``settle`` s the server's memory is read again. With ``seconds=0`` only the joining is
    measured (the burst)."""
    pids = list(pids)
    phase = Phase(students, seconds)
    phase.load_before = load()
    if pids:
        phase.rss_before_mb = rss_mb(pids)
    rng = random.Random(seed)
    spread = min(0.1 * students, 5.0) if join_within is None else join_within
    offsets = sorted(rng.uniform(0, spread) for _ in range(students))
    class_ = [Student(base, timeout=timeout, seed=seed * 1000 + i) for i in range(students)]
    try:
        with Sampler(pids) as sampler:
            cpu_join = cpu_seconds(pids)
            t0 = time.perf_counter()
            joined = await asyncio.gather(
                *(join(s, phase, at, t0) for s, at in zip(class_, offsets))
            )
            if pids:
                phase.join_cpu_s = cpu_seconds(pids) - cpu_join
            present = [s for s, ok in zip(class_, joined) if ok]
            if seconds > 0 and present:
                cpu0, loop0 = cpu_seconds(pids), main_thread_cpu_seconds(pids)
                wait0 = main_thread_wait_seconds(pids)
                own0, wall0 = own_cpu_seconds(), time.perf_counter()
                end = wall0 + seconds
                await asyncio.gather(
                    *(
                        keep_moving(s, phase, end, list(moves), random.Random(s.seed))
                        for s in present
                    )
                )
                wall = time.perf_counter() - wall0
                if pids:
                    phase.server_cpu_pct = 100 * (cpu_seconds(pids) - cpu0) / wall
                    phase.event_loop_cpu_pct = 100 * (main_thread_cpu_seconds(pids) - loop0) / wall
                    phase.event_loop_wait_pct = (
                        100 * (main_thread_wait_seconds(pids) - wait0) / wall
                    )
                phase.client_cpu_pct = 100 * (own_cpu_seconds() - own0) / wall
            phase.rss_peak_mb = sampler.peak
    finally:
        await asyncio.gather(*(s.close() for s in class_))
    if pids:
        await asyncio.sleep(settle)
        phase.rss_after_mb = rss_mb(pids)
    phase.load_after = load()
    return phase


# --- the report -----------------------------------------------------------------------------


def ms(q: dict) -> str:
    if not q["n"]:
        return "—"
    return f"{1e3 * q['p50']:.0f} / {1e3 * q['p95']:.0f} / {1e3 * q['max']:.0f}"


def print_phase(s: dict) -> None:
    rss = "/".join("—" if math.isnan(v) else f"{v:.0f}" for v in s["rss_mb"])
    cpu = "—"
    if not math.isnan(s["server_cpu_pct"]):
        cpu = (
            f"{s['server_cpu_pct']:.0f} % (event loop {s['event_loop_cpu_pct']:.0f} %, "
            f"which waited for a CPU {s['event_loop_wait_pct']:.0f} % of the time)"
        )
    print(
        f"  {s['students']:>3} students {s['seconds']:>4.0f} s: {s['moves']:>4} moves; "
        f"move → chart {ms(s['chart'])} ms, → end {ms(s['end'])} ms (p50 / p95 / max); "
        f"errors {s['errors']}, dropped {s['dropped']}, charts by reference "
        f"{s['charts_by_reference']}; RSS before/peak/after {rss} MB; server CPU {cpu} of a "
        f"core, this client {s['client_cpu_pct']:.0f} %; load {s['load'][0]} → {s['load'][1]}"
    )
    for example in s["error_examples"]:
        print(f"      e.g. {example}")


def print_burst(s: dict) -> None:
    rss = "/".join("—" if math.isnan(v) else f"{v:.0f}" for v in s["rss_mb"])
    cpu = "—" if math.isnan(s["join_cpu_s"]) else f"{s['join_cpu_s']:.1f} s"
    print(
        f"  burst: {s['students']} students joining within 2 s: join → first whole run "
        f"{ms(s['first_run'])} ms (p50 / p95 / max, {s['first_run']['n']} runs), the server's "
        f"CPU {cpu} meanwhile; errors "
        f"{s['errors']}, dropped {s['dropped']}; RSS before/peak/after {rss} MB; "
        f"load {s['load'][0]} → {s['load'][1]}"
    )
    for example in s["error_examples"]:
        print(f"      e.g. {example}")


async def measure(base: str, args, pids: list[int]) -> dict:
    results: dict = {"url": base, "pids": pids, "phases": []}
    warm = await classroom(base, 1, 0, pids=pids, timeout=args.timeout, settle=0)
    results["cold_first_run_s"] = quantiles(warm.first_run_s)["max"]
    print(
        f"  a first session (the teacher's, warming the caches): first run in "
        f"{ms(quantiles(warm.first_run_s))} ms, errors {len(warm.errors)}; load {load()}"
    )
    for n in args.students:
        phase = await classroom(
            base, n, args.seconds, pids=pids, moves=args.move, seed=n, timeout=args.timeout
        )
        summary = phase.summary()
        results["phases"].append(summary)
        print_phase(summary)
    if args.burst:
        burst = await classroom(
            base, args.burst, 0, pids=pids, seed=999, join_within=2.0, timeout=args.timeout
        )
        results["burst"] = burst.summary()
        print_burst(results["burst"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", default="1,10,30,60", help="class sizes, e.g. 1,10")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of moves per size")
    parser.add_argument("--burst", type=int, default=30, help="students joining within 2 s")
    parser.add_argument("--move", default="rho", help="widgets moved: rho, or rho,eps")
    parser.add_argument("--url", help="measure this server instead of starting one")
    parser.add_argument("--pid", default="", help="the server's PIDs (with --url), e.g. 12,34")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a run may take")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    args.students = [int(n) for n in args.students.split(",") if n.strip()]
    args.move = [m.strip() for m in args.move.split(",") if m.strip()]
    unknown = set(args.move) - set(MOVABLE)
    if unknown:
        parser.error(f"--move: unknown {sorted(unknown)}; known: {sorted(MOVABLE)}")
    if args.url:
        host = urllib.parse.urlsplit(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url: loopback only (127.0.0.1)")
    print(f"bench_classroom, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {load()}")
    proc = None
    if args.url:
        base, pids = args.url.rstrip("/"), [int(p) for p in args.pid.split(",") if p.strip()]
    else:
        proc, base = start_app()
        pids = [proc.pid]
        print(f"  started streamlit (PID {proc.pid}) at {base}")
    try:
        results = asyncio.run(measure(base, args, pids))
    finally:
        if proc is not None:
            stop_app(proc)
    results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
