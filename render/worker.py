"""A child process, a fresh interpreter, running one function: the live preview's draft builds
(preview/background.py). The build's own helpers are forks instead (forked.py).

Unlike a multiprocessing pool, the child cannot outlive the build: it reads its job from a pipe
that the build keeps open, and leaves as soon as that pipe closes (the build finished, failed or
was killed -9); on Linux the kernel also kills it when its parent dies. No multiprocessing
primitives are involved, so there is no resource tracker either.

Protocol: the parent writes one pickled job, `("module:function", args)`, length-prefixed, on the
child's stdin and keeps stdin open; the child answers on stdout with one pickled reply: the
function's result and how long it took, a ContentError, or the traceback of anything else.

    python -m render.worker
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .errors import ContentError

_LENGTH = struct.Struct("!Q")
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


class WorkerError(RuntimeError):
    """A bug in code that ran in the worker, or the worker vanishing: not a content mistake."""


class Worker:
    """Run `target` ("module:function") on args in a child process; `result()` waits for it."""

    def __init__(self, target: str, *args: Any) -> None:
        self.target = target
        # The child imports this very copy of the package (-P: not whatever the current folder has).
        path = os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))
        self._proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "render.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        try:
            job = pickle.dumps((target, args), protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.write(_LENGTH.pack(len(job)) + job)
            self._proc.stdin.flush()
        except BaseException:
            self.close()
            raise
        # The reply is read as soon as it comes, so the child can leave then and free its memory
        # (a big report's deck worker held 300 MB while it waited for the pipe to be read, at
        # the very moment the PDF took the most).
        self._reply = b""
        self._reader = threading.Thread(target=self._read_reply, daemon=True)
        self._reader.start()

    def _read_reply(self) -> None:
        try:
            self._reply = self._proc.stdout.read()
        except (OSError, ValueError):  # closed by close(): the build no longer wants it
            pass

    @property
    def pid(self) -> int:
        return self._proc.pid

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def result(self) -> tuple[Any, float]:
        """The function's return value and its run time in seconds; re-raises its ContentError."""
        self._reader.join()
        reply = self._reply
        self.close()
        if not reply:
            raise WorkerError(
                f"the worker process for {self.target} stopped without a result "
                f"(exit status {self._proc.returncode})"
            )
        kind, *rest = pickle.loads(reply)
        if kind == "ok":
            value, elapsed = rest
            return value, elapsed
        if kind == "content-error":
            raise rest[0]
        raise WorkerError(f"{self.target} failed in the worker process:\n{rest[0]}")

    def close(self) -> None:
        """Stop the child if it is still running (closing its stdin alone would also end it)."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass  # a broken pipe to a child that already left
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.join()  # the child is gone, so its pipe is at its end
        try:
            self._proc.stdout.close()
        except OSError:
            pass


# --- the child's side ---------------------------------------------------------------------------


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _exit_when_parent_goes(fd: int) -> None:
    # The parent never writes after the job: the first EOF means it closed the pipe or died.
    while os.read(fd, 4096):
        pass
    os._exit(1)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the parent dies: a second guard beside the pipe.

    The signal comes when the parent *thread* that started us ends; the build waits for our result
    in that same thread, so that is never before the build is done with us.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def main() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    try:
        (size,) = _LENGTH.unpack(_read_exactly(0, _LENGTH.size))
        target, args = pickle.loads(_read_exactly(0, size))
    except EOFError:
        os._exit(1)  # the parent went away before sending a job
    threading.Thread(target=_exit_when_parent_goes, args=(0,), daemon=True).start()
    # Keep stdout for the reply alone: anything a library prints goes to stderr instead.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        module, name = target.split(":")
        function = getattr(importlib.import_module(module), name)
        start = time.perf_counter()
        value = function(*args)
        reply = pickle.dumps(("ok", value, time.perf_counter() - start), protocol=pickle.HIGHEST_PROTOCOL)
    except ContentError as e:
        reply = pickle.dumps(("content-error", e))
    except Exception:
        reply = pickle.dumps(("bug", traceback.format_exc()))
    with os.fdopen(reply_fd, "wb") as out:
        out.write(reply)


if __name__ == "__main__":
    main()
