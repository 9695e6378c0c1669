"""The forked helper: a result or None, never an exception in the parent; a big result does not
keep the child alive until it is asked for; a child may talk with its parent on the way."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from render.forked import Forked

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return waited == 0


def test_a_result_comes_back_and_a_failure_is_none():
    assert Forked.start(lambda: {"a": [1, 2]}).result() == {"a": [1, 2]}
    assert Forked.start(lambda: 1 / 0).result() is None


def test_a_big_result_lets_the_child_leave_before_it_is_asked_for():
    child = Forked.start(lambda: os.urandom(20_000_000))
    deadline = time.monotonic() + 20
    while _alive_without_reaping(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive_without_reaping(child.pid), "the child left before its result was asked for"
    assert len(child.result()) == 20_000_000


def _alive_without_reaping(pid: int) -> bool:
    """Whether the process still runs (a zombie has left: it only waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_checker_shares_its_pages_with_a_child_only_when_the_build_lets_it(pdf_path, monkeypatch):
    """The text of the 2022 PDF, walked half in a forked child, is the same pieces in the same
    order; without forked.sharing (the `check` command) this process walks every page."""
    import pikepdf

    from render import pdf_text
    from render.forked import sharing

    walked: list[int] = []
    parent = os.getpid()
    real = pdf_text._Walk.__init__

    def counting(self, page, fonts):
        if os.getpid() == parent:
            walked.append(page)
        real(self, page, fonts)

    monkeypatch.setattr(pdf_text._Walk, "__init__", counting)
    with pikepdf.open(pdf_path) as pdf:
        alone = pdf_text.page_pieces(pdf)
        assert len(walked) == len(pdf.pages)
        walked.clear()
        with sharing(True):
            shared = pdf_text.page_pieces(pdf)
    assert shared == alone and len(alone) > 1000
    assert walked == list(range(len(walked))) and 0 < len(walked) < len(pdf.pages) - 5, (
        "the child walked the rest"
    )


def test_a_child_that_talks_says_things_on_the_way_and_waits_for_answers():
    def work(channel):
        channel.send("planned")
        answer = channel.receive()
        return f"wrote {answer}"

    child = Forked.start(work, talk=True)
    assert child.receive() == "planned"
    assert child.send(["a", "b"])
    assert child.result() == "wrote ['a', 'b']"

    # A parent that gives up without answering: the child hears None and its work goes on.
    child = Forked.start(lambda channel: (channel.send(1), channel.receive())[1], talk=True)
    assert child.receive() == 1
    assert child.result() is None, "the parent closed its end: the child received None and returned it"

    # A child that leaves without saying anything: the parent hears None, not a hang.
    child = Forked.start(lambda channel: 1 / 0, talk=True)
    assert child.receive() is None
    assert child.result() is None
