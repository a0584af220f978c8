"""No student can freeze the class: hostile links, forged messages, clients that vanish.

Three layers, cheapest first:

* the link's parser (``optviz.ui.url.read_query``) on hostile text for every setting it
  knows: never an exception, a short warning for each refused value, nothing over a
  ceiling of ``optviz.limits`` let through, no formula text run as code;
* the whole page (AppTest) on hostile links: no exception, one warning box, the defaults
  drawn; and the budget of one rerun (``limits.RUN_BUDGET``) applied to a link and to
  the steps slider alike;
* a real server (``streamlit run app.py`` on a free loopback port): websocket clients
  that disconnect mid-run, that send garbage frames, text frames, forged widget values
  and bogus fragment ids; afterwards ``/_stcore/health`` says ok and a new session still
  gets its whole first run.

Every loop is bounded in count and in time; the server tests wait on messages, not sleeps.
"""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest
from browser_support import running_app
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from optviz import limits, optimizers
from optviz.ui import url
from optviz.ui.state import DEFAULT_FORMULA, DEFAULT_OPTIMIZERS, DEFAULT_STEPS, WINDOW_KEYS

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")

#: a file that a formula run as code would create (nothing may)
MARKER = pathlib.Path(f"/tmp/optviz-pwned-{os.getpid()}")

#: text no setting accepts, for every setting of the link
HOSTILE = [
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "1e400",
    str(10**100),
    "9" * 100_000,  # (int() refuses over 4300 digits: a ValueError, not a hang)
    "x" * 100_000,
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\system32",
    "%00",
    "\x00\x01",
    f"__import__('os').system('touch {MARKER}')",
    "().__class__.__bases__",
    "lambda: 0",
    "x.__class__",
    "<script>alert(1)</script>",
]

#: formulas meant to run code or to hang SymPy (each refused before SymPy sees it)
HOSTILE_FORMULAS = [
    f"__import__('os').system('touch {MARKER}')",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 0)()",
    "lambda x: x",
    "x.__class__",
    "x**9999999",
    "x^9999999",
    "2^10^100",
    "(" * 500 + "x" + ")" * 500,
    "(" * 20_000 + "x" + ")" * 20_000,
    "x+" * 50_000 + "y",
    "exec('1')",
    "eval('1')",
    "open('/etc/passwd')",
    "x if y else 1",
    "[x for x in ()]",
    "x; import os",
    "x\nimport os",
]

#: settings whose value is free text (a label): accepted, but cleaned and cut short
FREE_TEXT = {"adadelta~2.label", "adadelta.label"}


def all_names() -> list[str]:
    """Every query name the link knows, plus a few dotted ones."""
    dotted = ["adadelta.rho", "sgd.lr", "adadelta.variant", "nope.rho", "adadelta.nope"]
    return sorted({*url.KNOWN, *dotted})


@pytest.fixture(autouse=True)
def no_marker():
    MARKER.unlink(missing_ok=True)
    yield
    assert not MARKER.exists(), "a formula was run as code"


# --- the link's parser ----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:20]))
def test_hostile_text_in_any_setting_is_refused_with_a_short_warning(text):
    keys = {**url.SIMPLE, **url.SENSITIVITY, "step": "step", "opt": "optimizers"}
    custom = {"f", *WINDOW_KEYS}  # (read with a typed formula only)
    for name in all_names():
        params = {"objective": "custom", name: text} if name in custom else {name: text}
        values, warnings = url.read_query(params)
        assert warnings, (name, text[:40])
        assert all(len(w) < 400 for w in warnings), (name, [w[:80] for w in warnings])
        assert keys.get(name, name) not in values, name
        long = [v for v in values.values() if isinstance(v, str) and len(v) > 300]
        assert long == [], name


def test_a_very_long_unknown_name_is_cut_short_in_its_warning():
    values, (warning,) = url.read_query({"z" * 100_000: "1"})
    assert values == {}
    assert len(warning) < 300 and "not a setting of this app" in warning


def test_a_link_of_many_made_up_names_gets_a_short_list():
    params = {f"name{i}": "1" for i in range(10_000)}
    values, warnings = url.read_query({**params, "steps": "120"})
    assert values == {"steps": 120}
    assert len(warnings) == limits.MAX_LINK_WARNINGS
    assert warnings[-1].startswith(f"… and {10_000 - limits.MAX_LINK_WARNINGS + 1} more")


@pytest.mark.parametrize("text", ["inf", "1e309", str(10**100), "9" * 100_000, "-100", "nan"])
def test_numbers_over_their_ceiling_fall_back_to_the_default(text):
    for name, key in (("steps", "steps"), ("ghosts", "ghost_count"), ("noise", "noise"),
                      ("res", "sens_resolution"), ("epochs", "net_epochs"), ("seeds", "net_seeds"),
                      ("step", "step"), ("seed", "seed"), ("x0", "start_x")):  # fmt: skip
        values, warnings = url.read_query({name: text})
        assert key not in values, (name, values)
        assert any(f"Ignored `{name}=" in w and "using the default" in w for w in warnings)


def test_values_at_their_ceilings_are_accepted():
    values, warnings = url.read_query(
        {"steps": str(limits.MAX_STEPS), "ghosts": str(limits.MAX_GHOSTS), "noise": "5"}
    )
    assert warnings == []
    assert values["steps"] == limits.MAX_STEPS and values["ghost_count"] == limits.MAX_GHOSTS
    for name, over in (("steps", limits.MAX_STEPS + 10), ("ghosts", limits.MAX_GHOSTS + 1)):
        values, warnings = url.read_query({name: str(over)})
        assert values == {} and len(warnings) == 1


def test_runs_of_one_optimizer_stop_at_the_ceiling():
    last = optimizers.instance_key("adadelta", limits.MAX_INSTANCES)
    values, warnings = url.read_query({"opt": f"adadelta,{last}"})
    assert warnings == [] and values["optimizers"] == ["adadelta", last]
    for number in (limits.MAX_INSTANCES + 1, 99):
        values, warnings = url.read_query({"opt": f"adadelta,adadelta~{number}"})
        assert "optimizers" not in values and len(warnings) == 1
    for text in (
        "adadelta~100",
        "adadelta~0",
        "adadelta~-1",
        "adadelta~1e9",
        ",".join(["sgd"] * 10**4),
    ):
        values, warnings = url.read_query({"opt": text})
        assert values.get("optimizers", ["sgd"]) == ["sgd"], text[:30]


def every_run() -> list[str]:
    """The most runs a scene compares: each optimizer at every instance number."""
    keys = [
        optimizers.instance_key(k, n)
        for k in optimizers.names()
        for n in range(1, limits.MAX_INSTANCES + 1)
    ]
    return keys[: limits.MAX_RUNS]


def test_steps_over_the_budget_of_one_rerun_are_lowered_with_a_warning():
    runs = every_run()
    ceiling = limits.max_steps(len(runs), float_path=False)  # Rastrigin: no float path
    assert limits.run_cost(len(runs), ceiling, False) <= limits.RUN_BUDGET
    values, warnings = url.read_query(
        {"objective": "rastrigin", "opt": ",".join(runs), "steps": "5000"}
    )
    assert values["steps"] == ceiling < 5000
    assert values["optimizers"] == runs
    (warning,) = warnings
    assert "Lowered `steps=5000`" in warning and f"{len(runs)} runs" in warning
    # the runs alone, at the default steps: lowered too if they pass the budget
    values, warnings = url.read_query({"objective": "rastrigin", "opt": ",".join(runs)})
    assert values.get("steps", DEFAULT_STEPS) == min(DEFAULT_STEPS, ceiling)
    # a float-path objective allows more; the defaults keep every step the slider offers
    assert limits.max_steps(len(runs), True) > ceiling
    assert limits.max_steps(len(DEFAULT_OPTIMIZERS), False) == limits.MAX_STEPS


@pytest.mark.parametrize("formula", HOSTILE_FORMULAS, ids=lambda t: repr(t[:24]))
def test_a_hostile_formula_in_a_link_is_refused_fast_and_never_run(formula):
    started = time.perf_counter()
    values, warnings = url.read_query({"objective": "custom", "f": formula})
    took = time.perf_counter() - started
    assert "formula" not in values
    (warning,) = warnings
    assert warning.startswith("Ignored `f=") and len(warning) < 600
    assert took < limits.FORMULA_SECONDS + 2  # (refused by the checks, never in SymPy)


# --- long work: one network training at a time ----------------------------------------------


@pytest.fixture
def fake_training(monkeypatch):
    """The Network view's tables with a training that runs until released: the epochs of
    every training started, an event set once one runs, and the event that ends it."""
    from collections import OrderedDict

    from optviz.ui import network_view as nv

    started, release, calls = threading.Event(), threading.Event(), []

    def tables(**kw):
        calls.append(kw["epochs"])
        started.set()
        assert release.wait(30)
        return {"epochs": kw["epochs"]}

    monkeypatch.setattr(nv.network, "tables", tables)
    monkeypatch.setattr(nv, "_TABLES", OrderedDict())
    monkeypatch.setattr(nv, "WAIT_POLL_S", 0.01)
    return nv, started, release, calls


def test_a_second_training_waits_its_turn_and_is_told(fake_training):
    nv, started, release, calls = fake_training
    assert limits.NETWORK_TRAININGS == 1
    results = {}
    first = threading.Thread(
        target=lambda: results.update(first=nv.network_tables(7, 1, "tanh", (50,), False))
    )
    first.start()
    assert started.wait(30)
    waited: list[float] = []

    def waiting(seconds: float) -> None:
        waited.append(seconds)
        if len(waited) == 3:  # told three times: let the first one finish
            release.set()

    same = nv.network_tables(7, 1, "tanh", (50,), False, waiting=waiting)
    first.join(30)
    assert not first.is_alive()
    assert len(waited) >= 3 and waited == sorted(waited)
    assert calls == [7] and same is results["first"]  # the same setting: trained once
    told = len(waited)
    other = nv.network_tables(8, 1, "tanh", (50,), False, waiting=waiting)  # no one ahead
    assert calls == [7, 8] and other == {"epochs": 8} and len(waited) == told


def test_a_session_that_stops_waiting_leaves_no_training_slot_held(fake_training):
    nv, started, release, calls = fake_training
    first = threading.Thread(target=lambda: nv.network_tables(7, 1, "tanh", (50,), False))
    first.start()
    assert started.wait(30)

    def stopped(_seconds: float) -> None:
        raise RuntimeError("the student moved on")  # (Streamlit raises its StopException)

    with pytest.raises(RuntimeError):
        nv.network_tables(9, 1, "tanh", (50,), False, waiting=stopped)
    release.set()
    first.join(30)
    assert nv.network_tables(9, 1, "tanh", (50,), False, waiting=stopped) == {"epochs": 9}
    assert calls == [7, 9]


# --- the page (AppTest) ---------------------------------------------------------------------


def with_query(params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def widget_value(at: AppTest, key: str):
    for kind in ("slider", "select_slider", "selectbox", "multiselect", "number_input"):
        for w in getattr(at, kind):
            if w.key == key:
                return w.value
    return at.session_state[key]


def link_box(at: AppTest) -> str:
    (box,) = [w.value for w in at.warning if "from the link" in w.value]
    return box


HOSTILE_LINK = {
    "objective": "../../etc/passwd",
    "x0": "1e309",
    "y0": "-1e309",
    "steps": str(10**100),
    "noise": "NaN",
    "seed": "1e400",
    "ghosts": "9" * 100_000,
    "opt": "sgd,__import__('os')",
    "lesson": "/etc/passwd",
    "view": "x" * 100_000,
    "speed": "inf",
    "theme": "<script>alert(1)</script>",
    "adadelta.rho": "nan",
    "sgd.lr": "-inf",
    "epochs": str(10**100),
    "seeds": "1e309",
    "hidden": "10000, 10000",
    "res": "100000",
    "y" * 100_000: "1",
}


def test_a_hostile_link_opens_the_default_page_with_one_warning():
    at = with_query(HOSTILE_LINK)
    box = link_box(at)
    assert box.count("Ignored") == len(HOSTILE_LINK)
    assert len(box) < 200 * len(HOSTILE_LINK)  # every echoed value cut short
    assert widget_value(at, "objective") == "rosenbrock"
    assert widget_value(at, "steps") == DEFAULT_STEPS
    assert widget_value(at, "optimizers") == list(DEFAULT_OPTIMIZERS)
    assert widget_value(at, "noise") == 0.0
    assert widget_value(at, "start_x") == -1.5
    assert not at.error


@pytest.mark.parametrize(
    "formula",
    [
        f"__import__('os').system('touch {MARKER}')",
        "().__class__.__bases__",
        "(lambda: 0)()",
        "x.__class__",
        "x**9999999",
        "(" * 20_000 + "x" + ")" * 20_000,
    ],
    ids=["import", "bases", "lambda", "attribute", "exponent", "nesting"],
)
def test_a_hostile_formula_link_warns_and_draws_the_default_formula(formula):
    at = with_query({"objective": "custom", "f": formula})
    assert link_box(at).startswith("Ignored `f=")
    assert at.session_state["formula"] == DEFAULT_FORMULA
    assert at.get("component_instance"), "the page draws the default formula's figure"


def test_a_link_over_the_budget_is_lowered_and_says_so():
    runs = every_run()
    at = with_query({"objective": "rastrigin", "opt": ",".join(runs), "steps": "5000"})
    ceiling = limits.max_steps(len(runs), False)
    assert widget_value(at, "steps") == ceiling
    assert "Lowered `steps=5000`" in link_box(at)


def test_the_steps_slider_is_held_to_the_budget_of_one_rerun():
    keys = list(optimizers.names())  # every optimizer once: 7 runs
    at = with_query({"objective": "rastrigin", "opt": ",".join(keys), "steps": "1000"})
    ceiling = limits.max_steps(len(keys), False)
    assert ceiling < limits.MAX_STEPS and widget_value(at, "steps") == 1000
    next(w for w in at.slider if w.key == "steps").set_value(limits.MAX_STEPS).run()
    assert not at.exception
    assert widget_value(at, "steps") == ceiling
    assert any(f"{limits.MAX_STEPS} steps asked for; {ceiling} run" in c.value for c in at.caption)
    # with fewer runs, the same steps are allowed again
    next(w for w in at.multiselect if w.key == "optimizers").set_value(["adadelta"]).run()
    next(w for w in at.slider if w.key == "steps").set_value(limits.MAX_STEPS).run()
    assert widget_value(at, "steps") == limits.MAX_STEPS
    assert not any("steps asked for" in c.value for c in at.caption)


# --- a real server --------------------------------------------------------------------------

#: seconds any one wait on the server may take (a loaded 2-core machine)
WAIT_S = 90


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_app(log) as base:
        yield base, log


def stream_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/_stcore/stream"


def connect(base: str):
    return ws_connect(stream_url(base), subprotocols=["streamlit"], open_timeout=30, max_size=None)


def rerun(query: str = "", widgets=()) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = ""
    for wid, value in widgets:
        w = msg.rerun_script.widget_states.widgets.add()
        w.id = wid
        w.double_array_value.data.extend([value])
    return msg.SerializeToString()


def receive(ws, timeout: float, failure: str) -> bytes:
    """The next message on ``ws`` within ``timeout`` seconds (else the test fails, saying
    ``failure``)."""
    try:
        return ws.recv(timeout=timeout)
    except TimeoutError:
        pytest.fail(failure)


def until_finished(ws) -> list:
    """The elements of one whole run, up to its ``script_finished`` (bounded in time and
    in messages); fails if the run does not finish."""
    deadline = time.monotonic() + WAIT_S
    elements = []
    for _ in range(100_000):
        left = deadline - time.monotonic()
        assert left > 0, "the run did not finish in time"
        msg = ForwardMsg()
        msg.ParseFromString(receive(ws, left, "the run did not finish in time"))
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            elements.append(msg.delta.new_element)
        if kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            return elements
    pytest.fail("too many messages for one run")


def kinds(elements) -> list[str]:
    return [e.WhichOneof("type") for e in elements]


def healthy(base: str) -> bool:
    return urllib.request.urlopen(base + "/_stcore/health", timeout=10).read() == b"ok"


def assert_a_new_session_runs(base: str) -> list:
    """Health says ok, and a new, well-behaved session gets its whole first run: the
    chart, and no exception element."""
    assert healthy(base)
    with connect(base) as ws:
        ws.send(rerun())
        elements = until_finished(ws)
    assert "exception" not in kinds(elements)
    assert any(
        e.WhichOneof("type") == "component_instance"
        and e.component_instance.component_name.endswith("optviz_chart")
        for e in elements
    )
    return elements


def first_message(ws) -> None:
    """Wait for the server's first message of a run (the run has started)."""
    msg = ForwardMsg()
    msg.ParseFromString(receive(ws, WAIT_S, "the run did not start in time"))


def closed_by_server(ws) -> bool:
    """Whether the server closes ``ws`` (bounded: it may also just ignore the message)."""
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
    except TimeoutError:
        return False
    except ConnectionClosed:
        return True
    return False


def test_clients_that_vanish_mid_run_leave_the_server_serving(server):
    base, _log = server
    for query in ("", "view=network&epochs=2", "view=sensitivity&res=100", "steps=5000"):
        with connect(base) as ws:
            ws.send(rerun(query))
            first_message(ws)  # the run has started…
        # …and the client is gone (a closing handshake)
    with connect(base) as raw:  # one that vanishes without a closing handshake
        raw.send(rerun("view=network&epochs=2"))
        first_message(raw)
        raw.socket.shutdown(socket.SHUT_RDWR)
    assert_a_new_session_runs(base)


TRAINING = "Training every configuration"


def wait_for_progress(ws) -> None:
    """Read ``ws``'s run until its network training shows its progress bar (fails if the
    run finishes first, or in time)."""
    deadline = time.monotonic() + WAIT_S
    for _ in range(100_000):
        left = deadline - time.monotonic()
        assert left > 0, "no training started in time"
        msg = ForwardMsg()
        msg.ParseFromString(receive(ws, left, "no training started in time"))
        kind = msg.WhichOneof("type")
        assert kind != "script_finished", "the run finished without training"
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "progress" and TRAINING in element.progress.text:
                return
    pytest.fail("too many messages")


def test_a_long_training_stops_when_its_client_goes(server):
    """60 epochs × 3 seeds take minutes. A client that asks for them and goes stops the
    training (Streamlit stops the run, and the training's progress bar is the first
    Streamlit call that notices): the next client asking for the same tables trains them
    itself — had the first training gone on, it would wait its turn and then find them
    trained. That one goes too, and a new session still gets its first run."""
    base, _log = server
    query = "view=network&epochs=60&seeds=3"
    with connect(base) as first:
        first.send(rerun(query))
        wait_for_progress(first)
    with connect(base) as second:
        second.send(rerun(query))
        wait_for_progress(second)
    assert_a_new_session_runs(base)


def test_garbage_frames_close_that_connection_only(server):
    base, _log = server
    frames = [
        b"\x00",
        b"\xff" * 64,
        os.urandom(4096),
        b"\x0a\xff\xff\xff\xff\x0f",  # a field's length far past the end
        b"\x08" + b"\xff" * 20,  # a varint that never ends
    ]
    closed = 0
    for frame in frames:
        with connect(base) as ws:
            ws.send(frame)
            closed += closed_by_server(ws)
    with connect(base) as ws:
        ws.send("a text frame: Streamlit speaks binary protobufs")
        closed += closed_by_server(ws)
    assert closed >= len(frames)  # (each a protocol error: that connection is closed)
    assert_a_new_session_runs(base)


def test_forged_widget_values_over_their_ceilings_are_not_run(server):
    base, _log = server
    with connect(base) as ws:
        ws.send(rerun())
        elements = until_finished(ws)
        ids = {
            getattr(e, e.WhichOneof("type")).label: getattr(e, e.WhichOneof("type")).id
            for e in elements
            if e.WhichOneof("type") == "slider"
        }
        forged = [
            (ids["Number of steps"], 1e9),
            (ids["how many ghost paths"], 1e6),
            (ids["σ (noise scale)"], 1e300),
            ("$$ID-not-a-widget-steps", 1e9),
        ]
        started = time.monotonic()
        ws.send(rerun(widgets=forged))
        elements = until_finished(ws)
        took = time.monotonic() - started
        link = next(
            e.code.code_text
            for e in elements
            if e.WhichOneof("type") == "code" and e.code.code_text.startswith("http")
        )
        params = dict(p.split("=", 1) for p in link.split("?", 1)[-1].split("&") if "=" in p)
        assert int(params.get("steps", DEFAULT_STEPS)) <= limits.MAX_STEPS
        assert int(params.get("ghosts", 15)) <= limits.MAX_GHOSTS
        assert float(params.get("noise", 0)) <= limits.MAX_NOISE
        assert "exception" not in kinds(elements)
        assert took < WAIT_S
        # a fragment that does not exist, a page that does not exist
        bogus = BackMsg()
        bogus.rerun_script.fragment_id = "no-such-fragment"
        ws.send(bogus.SerializeToString())
        bogus = BackMsg()
        bogus.rerun_script.page_script_hash = "x" * 10_000
        ws.send(bogus.SerializeToString())
        ws.send(rerun("steps=" + "9" * 100_000))
        elements = until_finished(ws)
        assert "exception" not in kinds(elements)
    assert_a_new_session_runs(base)


def test_a_hostile_link_through_the_server_warns_and_runs(server):
    base, _log = server
    hostile = {**HOSTILE_LINK, "objective": "custom", "f": HOSTILE_FORMULAS[0]}
    query = urllib.parse.urlencode(hostile)
    with connect(base) as ws:
        ws.send(rerun(query))
        elements = until_finished(ws)
    alerts = [e.alert.body for e in elements if e.WhichOneof("type") == "alert"]
    assert any("Ignored" in a and "from the link" in a for a in alerts)
    assert "exception" not in kinds(elements)
    assert_a_new_session_runs(base)
