"""Layer 7: the time limit — new formulas are first built in a sandboxed worker process.

Even a short, valid formula can make SymPy work for a long time (the Hessian of a product
of twenty sines takes it about 20 s). So a new formula is first built — translated,
differentiated twice, lambdified and smoke-tested (:func:`optviz.formula.build.build`) —
in a separate worker process (``python -P -c`` running :func:`_worker_main`, talking JSON
lines over its stdin/stdout; its address space is capped on Linux, its stderr discarded).
The worker receives the text only as data in a JSON string and runs it through the same
layers 1–6 as this process: it executes nothing the user typed either. If it does not
answer within :data:`TIMEOUT_SECONDS` the worker is killed (a new one is started in the
background) and the formula is refused with "this formula takes too long to process —
simplify it"; if it dies, with "this formula is too complex to process — simplify it".
The work is deterministic, so when the worker succeeds the same build in this process
takes about as long. If no worker can be started (no usable ``sys.executable``), or
:data:`USE_WORKER` is False, formulas are built in this process, guarded by layers 1–6
only.

The settings are read when a formula is checked, so set them here
(``optviz.formula.worker.TIMEOUT_SECONDS = 5.0``), not on the package.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from .. import limits
from .build import build_guarded
from .errors import ExpressionError
from .tree import parse

#: Seconds the worker process may take to build a new formula.
TIMEOUT_SECONDS = limits.FORMULA_SECONDS
#: Seconds a new worker process may take to start (import NumPy and SymPy).
STARTUP_TIMEOUT_SECONDS = 60.0
#: Extra address space (bytes) the worker may allocate on Linux before MemoryError.
WORKER_MEMORY_BYTES = 2 * 1024**3
#: Whether to use the worker process at all (False: build in this process, no time limit).
USE_WORKER = True

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from optviz.formula.worker import _worker_main; _worker_main()"
)
TIMEOUT_MESSAGE = "this formula takes too long to process — simplify it"
CRASH_MESSAGE = "this formula is too complex to process — simplify it"


def _limit_memory() -> None:
    """Cap the worker's address space (Linux only) so a runaway build gets MemoryError."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + WORKER_MEMORY_BYTES
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _worker_main() -> None:
    """The worker process: read ``{"id", "text"}`` lines, build, answer ``{"id", ...}``."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write to the answer channel
    _limit_memory()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            ident = request["id"]
        except (ValueError, KeyError, TypeError):
            continue
        try:
            build_guarded(parse(request["text"]))
            answer: dict[str, Any] = {"id": ident, "ok": True}
        except ExpressionError as err:
            answer = {"id": ident, "error": str(err), "position": err.position}
        except BaseException:  # e.g. MemoryError while handling MemoryError
            answer = {"id": ident, "error": CRASH_MESSAGE, "position": None}
        try:
            out.write(json.dumps(answer) + "\n")
            out.flush()
        except (OSError, ValueError):
            return


def _pump(stream: Any, lines: queue.Queue) -> None:
    """Reader thread: copy the worker's answer lines to a queue; None at the end."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


class _Worker:
    """One long-lived helper process that builds formulas under a time limit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue | None = None
        self.next_id = 0
        self.unavailable = False

    def command(self) -> list[str]:
        # the folder that holds the optviz package: optviz/formula/worker.py is 3 levels down
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return [sys.executable, "-P", "-c", _BOOT, root]

    def start(self) -> bool:
        if not sys.executable:
            return False
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        try:
            proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                bufsize=1,
                env=env,
            )
        except (OSError, ValueError):
            return False
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        try:
            ready = lines.get(timeout=STARTUP_TIMEOUT_SECONDS)
            ok = ready is not None and json.loads(ready).get("ready") is True
        except (queue.Empty, ValueError, AttributeError):
            ok = False
        if not ok:
            self.stop(proc)
            return False
        self.proc, self.lines = proc, lines
        return True

    def stop(self, proc: subprocess.Popen | None = None) -> None:
        proc = proc or self.proc
        if proc is None:
            return
        if proc is self.proc:
            self.proc, self.lines = None, None
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()

    def warm_up(self) -> None:
        """Start the process in the background, if it is not running."""

        def start() -> None:
            with self.lock:
                if self.proc is None and not self.unavailable and not self.start():
                    self.unavailable = True

        threading.Thread(target=start, daemon=True).start()

    def check(self, text: str, timeout: float) -> ExpressionError | bool | None:
        """Build ``text`` in the worker: None if it worked, the error if not, False when
        there is no worker to ask."""
        with self.lock:
            if self.unavailable:
                return False
            if self.proc is None or self.proc.poll() is not None:
                self.stop()
                if not self.start():
                    self.unavailable = True
                    return False
            assert self.proc is not None and self.lines is not None
            self.next_id += 1
            ident = self.next_id
            try:
                self.proc.stdin.write(json.dumps({"id": ident, "text": text}) + "\n")
                self.proc.stdin.flush()
            except (OSError, ValueError):
                self.stop()
                return ExpressionError(CRASH_MESSAGE)
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stop()
                    self.warm_up()  # the next formula need not wait for a fresh start
                    return ExpressionError(TIMEOUT_MESSAGE)
                try:
                    line = self.lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:  # the worker died (killed, out of memory…)
                    self.stop()
                    return ExpressionError(CRASH_MESSAGE)
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(answer, dict) or answer.get("id") != ident:
                    continue
                if answer.get("ok") is True:
                    return None
                return ExpressionError(
                    str(answer.get("error") or CRASH_MESSAGE), answer.get("position")
                )


_WORKER = _Worker()
atexit.register(_WORKER.stop)


def warm_up() -> None:
    """Start the worker process in the background (it takes about a second), so that the
    first formula does not wait for it. Optional: :func:`optviz.formula.from_expression`
    starts it too."""
    if USE_WORKER:
        _WORKER.warm_up()


def check(text: str) -> ExpressionError | bool | None:
    """Build ``text`` in the worker under :data:`TIMEOUT_SECONDS`: None if it worked, the
    error if not, False when there is no worker to ask (or :data:`USE_WORKER` is off)."""
    if not USE_WORKER:
        return False
    return _WORKER.check(text, TIMEOUT_SECONDS)
