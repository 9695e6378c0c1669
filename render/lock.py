"""One build per output folder at a time.

Two builds writing the same folder would interleave their outputs and clean up each other's
temporaries. A build holds an flock on a file in the folder for its whole run; the kernel
releases it when the holder exits or is killed, so a crashed build never leaves a stale lock.
A second build waits a bounded time, telling the user whom it waits for, then gives up with a
message naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .errors import ContentError

LOCK_NAME = ".impact-report.lock"
POLL = 0.1  # seconds between attempts while waiting


class OutputLock:
    """An exclusive lock on one output folder, held from `acquire` (or `with`) until `release`."""

    def __init__(
        self, out_dir: Path, *, timeout: float = 120.0, progress: Callable[[str], None] | None = None
    ) -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self.timeout = timeout
        self.progress = progress
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = _read_holder(self.path)
                if time.monotonic() >= deadline:
                    raise ContentError(
                        self.out_dir,
                        f"another build is writing to this folder: {_describe(holder, full=True)}",
                        hint="wait for it to finish, or give it longer with --wait SECONDS "
                        f"(this build waited {self.timeout:g} s)",
                    ) from None
                if not told and self.progress:
                    self.progress(f"Waiting for {_describe(holder)}")
                    told = True
                time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
                continue
            if _same_file(fd, self.path):
                break
            # The previous holder deleted the file as it finished, after we opened it: try anew.
            os.close(fd)
        holder = {"pid": os.getpid(), "started": time.time(), "command": shlex.join(sys.orig_argv)}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        # Deleted while still held, so a waiter that opened this file sees it is gone and retries.
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_holder(path: Path) -> dict:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # the holder has not written its details yet
    return holder if isinstance(holder, dict) else {}


def _describe(holder: dict, *, full: bool = False) -> str:
    if "pid" not in holder:
        return "another build"
    started = datetime.fromtimestamp(holder.get("started", 0))
    when = started.strftime("%H:%M:%S" if started.date() == datetime.now().date() else "%Y-%m-%d %H:%M:%S")
    text = f"the build running as pid {holder['pid']} (started {when})"
    if full and holder.get("command"):
        text += f", command: {holder['command']}"
    return text
