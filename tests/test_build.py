"""What a build promises about its output folder: the outputs are replaced together or not at all,
one build writes a folder at a time, and a killed build leaves no process and no damage behind.

Whole builds use the tiny report (about 3 s); the killed build uses a copy of the real one, whose
deck takes long enough to render that its worker is surely alive when the build is killed.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, STYLES, TINY
from render import build as build_module
from render import publish
from render.assemble import assemble
from render.build import build
from render.chart_cache import ChartPictures
from render.cli import main
from render.errors import ContentError
from render.load import load_content
from render.lock import LOCK_NAME, OutputLock
from render.model import Prose
from render.outputs import REGISTRY, Job
from render.publish import Output
from render.theme import Theme
from render.worker import Worker, WorkerError

PDF, DECK = "impact-report-2022.pdf", "impact-report-2022.pptx"
OLD = {PDF: b"%PDF-1.7 last year's good report", DECK: b"PK last year's good deck"}


def put_old_pair(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in OLD.items():
        (out / name).write_bytes(data)


def folder(out: Path) -> dict[str, bytes]:
    """Every file in the folder (hidden ones included) with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# --- outputs are replaced as a set -------------------------------------------------------------


def test_a_full_disk_while_writing_the_deck_keeps_the_last_good_pair(
    tiny_content, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    put_old_pair(out)
    write_file = publish._write_file

    def disk_fills_up_in_the_deck(path: Path, data: bytes) -> None:
        if DECK in path.name:
            path.write_bytes(data[: len(data) // 2])  # half of it reached the disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write_file(path, data)

    monkeypatch.setattr(publish, "_write_file", disk_fills_up_in_the_deck)
    assert main(["build", str(tiny_content), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{out / DECK}: could not write this output: No space left on device" in err
    assert folder(out) == OLD, "the old pair is untouched and no temporary is left"


def test_a_failed_rename_puts_back_the_outputs_already_replaced(tmp_path, monkeypatch):
    put_old_pair(tmp_path)
    place = publish._place
    seen_when_failing = {}

    def rename_fails_for_the_deck(temp: Path, target: Path) -> None:
        if target.name == DECK:
            seen_when_failing.update(folder(tmp_path))
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(target))
        place(temp, target)

    monkeypatch.setattr(publish, "_place", rename_fails_for_the_deck)
    with pytest.raises(ContentError) as caught:
        publish.publish(tmp_path, [Output(PDF, b"new report"), Output(DECK, b"new deck")])
    assert seen_when_failing[PDF] == b"new report", "the failure came after the PDF was replaced"
    assert caught.value.path == tmp_path / DECK and "Input/output error" in caught.value.describe()
    assert folder(tmp_path) == OLD


def test_a_folder_output_is_replaced_whole_together_with_the_files(tmp_path, monkeypatch):
    """The planned web edition is a folder: it is swapped as one piece, and restored as one."""
    (tmp_path / "web" / "assets").mkdir(parents=True)
    (tmp_path / "web" / "index.html").write_bytes(b"old page")
    (tmp_path / "web" / "assets" / "old.css").write_bytes(b"old style")
    put_old_pair(tmp_path)
    before = folder(tmp_path)
    new_web = Output("web", {"index.html": b"new page", "assets/site.css": b"new style"})
    outputs = [new_web, Output(PDF, b"new report"), Output(DECK, b"new deck")]

    place = publish._place

    def last_rename_fails(temp: Path, target: Path) -> None:
        if target.name == DECK:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(target))
        place(temp, target)

    monkeypatch.setattr(publish, "_place", last_rename_fails)
    with pytest.raises(ContentError):
        publish.publish(tmp_path, outputs)
    assert folder(tmp_path) == before

    monkeypatch.setattr(publish, "_place", place)
    publish.publish(tmp_path, outputs)
    assert folder(tmp_path) == {
        "web/assets/site.css": b"new style",
        "web/index.html": b"new page",
        PDF: b"new report",
        DECK: b"new deck",
    }, "old.css is gone with the old folder"


def test_outputs_get_the_permissions_of_any_file_the_user_writes(tmp_path):
    old_umask = os.umask(0o027)
    try:
        publish.publish(tmp_path, [Output(PDF, b"report")])
    finally:
        os.umask(old_umask)
    assert (tmp_path / PDF).stat().st_mode & 0o777 == 0o640


def test_building_only_the_pdf_leaves_the_deck_alone(tiny_content, tmp_path):
    out = tmp_path / "out"
    put_old_pair(out)
    build(tiny_content, out, styles_dir=STYLES, formats=("pdf",))
    after = folder(out)
    assert after[DECK] == OLD[DECK]
    assert after[PDF].startswith(b"%PDF") and after[PDF] != OLD[PDF]
    assert sorted(after) == [PDF, DECK]


# --- an unusable output folder -----------------------------------------------------------------


def test_an_output_folder_under_a_file_fails_at_once_with_the_whole_path_on_one_line(
    tiny_content, tmp_path, capsys
):
    blocker = tmp_path / "draft.pdf"
    blocker.write_bytes(b"a file where a folder was meant")
    out = blocker / "a-folder-with-a-name-long-enough-to-need-wrapping" / "in-an-80-column-terminal"
    assert len(str(out)) > 80

    assert main(["build", str(tiny_content), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    line = next(line for line in captured.err.splitlines() if "is a file" in line)
    assert line.startswith(f"{out}: cannot create the output folder: {blocker} is a file")

    stages: list[str] = []
    with pytest.raises(ContentError):
        build(tiny_content, out, styles_dir=STYLES, progress=stages.append)
    assert stages == [], "nothing was loaded or rendered"


def test_a_read_only_output_folder_fails_before_loading_anything(tiny_content, tmp_path, monkeypatch):
    # Tests run as root, which may write anywhere: a read-only file system is simulated.
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    stages: list[str] = []
    with pytest.raises(ContentError) as caught:
        build(tiny_content, tmp_path / "out", styles_dir=STYLES, progress=stages.append)
    assert caught.value.path == tmp_path / "out"
    assert "Read-only file system" in caught.value.describe() and "--out" in caught.value.describe()
    assert stages == []


# --- the deck worker ---------------------------------------------------------------------------


def test_a_bug_in_the_worker_arrives_with_its_traceback_and_a_content_mistake_as_itself(tmp_path):
    with pytest.raises(WorkerError) as bug, Worker("json:loads", "{not json") as worker:
        worker.result()
    assert "Traceback" in str(bug.value) and "JSONDecodeError" in str(bug.value)

    latin1 = tmp_path / "facts.csv"
    latin1.write_bytes("key,value\ncafé,1\n".encode("latin-1"))
    with pytest.raises(ContentError) as mistake, Worker("render.errors:read_utf8", latin1) as worker:
        worker.result()
    assert mistake.value.path == latin1 and mistake.value.line == 2


def test_a_worker_leaves_as_soon_as_it_has_answered_even_with_a_big_reply():
    """Its reply is read while the build still works on the PDF, so the child's memory is freed
    then, not held until the build asks for the result."""
    worker = Worker("os:urandom", 20_000_000)  # far more than a pipe holds
    deadline = time.monotonic() + 30
    while worker._proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker._proc.poll() == 0, "the child left before its result was asked for"
    value, _ = worker.result()
    assert len(value) == 20_000_000


def test_a_worker_whose_build_closes_the_pipe_leaves_by_itself():
    """The guard that works everywhere (the kernel's parent-death signal is Linux only)."""
    worker = Worker("time:sleep", 60)
    worker._proc.stdin.close()
    assert worker._proc.wait(timeout=10) != 0


def test_the_deck_gets_a_worker_only_when_a_core_has_room_for_it(tmp_path, monkeypatch):
    report = assemble(load_content(TINY), STYLES)
    theme = Theme.load(STYLES)
    monkeypatch.delenv("IMPACT_REPORT_SERIAL", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    cold, warm = ChartPictures(tmp_path / "cold"), ChartPictures(tmp_path / "warm")
    for chart in report.charts.values():
        warm.svg(chart, theme)

    def idle(share: float) -> None:
        """The machine's two cores were idle this share of the 100 ticks since the build began."""
        monkeypatch.setattr(build_module, "cpu_times", lambda: (100 * share, 100.0))

    def worker(pictures: ChartPictures) -> bool:
        return build_module._use_worker(report, Job(theme, pictures), (0.0, 0.0))

    idle(0.5)
    assert worker(cold) and worker(warm), "a core is idle"
    idle(0.2)
    assert worker(cold) and not worker(warm), "with cached charts the worker pays only on an idle core"
    idle(0.05)
    assert not worker(cold), "no core to spare"
    monkeypatch.setattr(build_module, "cpu_times", lambda: None)  # no /proc/stat: the load average
    monkeypatch.setattr(os, "getloadavg", lambda: (0.8, 1.0, 1.0))
    assert worker(warm)
    monkeypatch.setattr(os, "getloadavg", lambda: (3.5, 3.0, 2.0))
    assert not worker(cold)
    idle(1.0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not worker(cold), "one core"
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    assert worker(warm)
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert not worker(cold)


def test_the_worker_renders_beside_the_pdf_and_its_helpers_with_the_same_bytes(tmp_path, monkeypatch):
    """With a core to spare, the deck and the web edition render in a worker forked before the
    PDF starts, while the PDF shares its parts with helpers of its own; serially, everything
    renders here. The outputs are the same bytes either way."""
    from render import pdf as pdf_module
    from render.forked import Forked

    events: list[str] = []
    real_plan, real_start = pdf_module._Parts._plan, Forked.start

    def plan(self, helpers):
        events.append("plan, helped" if helpers else "plan")
        return real_plan(self, helpers)

    def start(work, **kwargs):
        events.append("fork")
        return real_start(work, **kwargs)

    monkeypatch.setattr(pdf_module._Parts, "_plan", plan)
    monkeypatch.setattr(Forked, "start", start)
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    result = build(TINY, tmp_path / "apart", styles_dir=STYLES, cache_dir=None)
    assert events[:2] == ["fork", "plan, helped"], "the worker first, then the PDF's parts"
    assert "deck" in result.parallel
    events.clear()
    build(TINY, tmp_path / "deck", styles_dir=STYLES, formats=("pptx", "web"), cache_dir=None)
    assert events == [], "no PDF to write meanwhile: the deck and the web edition render here"
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "1")
    result = build(TINY, tmp_path / "serial", styles_dir=STYLES, cache_dir=None)
    assert events == ["plan"] and result.parallel == ()
    for name in ("impact-report-2022.pdf", "impact-report-2022.pptx", "web/index.html"):
        assert (tmp_path / "apart" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name


def test_a_worker_that_fails_leaves_its_outputs_to_the_build(tmp_path, monkeypatch):
    """A forked worker that dies (here: it raises) costs time, not the build: the outputs are
    rendered in the build's own process, and a content mistake there shows as itself."""
    from render import outputs as outputs_module

    parent = os.getpid()
    real = outputs_module.run_apart

    def failing_in_the_child(*args):
        if os.getpid() != parent:
            os._exit(3)
        return real(*args)

    monkeypatch.setattr(build_module, "run_apart", failing_in_the_child)
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "0")
    result = build(TINY, tmp_path / "out", styles_dir=STYLES, cache_dir=None)
    assert (tmp_path / "out" / "impact-report-2022.pptx").stat().st_size > 0
    assert result.parallel == (), "nothing ran apart in the end"


def test_free_cores_are_read_from_the_machine_between_two_moments():
    since = build_module.cpu_times()
    assert since is not None and 0 <= since[0] <= since[1]
    busy_until = time.perf_counter() + 0.4
    while time.perf_counter() < busy_until:  # this process keeps one core busy meanwhile
        pass
    cores = len(os.sched_getaffinity(0))
    free = build_module.free_cores(since, cores)
    assert 0 <= free <= cores - 0.5, "the core this test kept busy is not free"


def _children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is pid, each with its start time (to tell a reused pid apart)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append((int(entry.name), fields[19]))
    return found


def _running(pid: int, started: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and fields[19] == started  # a zombie has ended; nobody may reap it here


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="walks /proc to find the worker")
def test_killing_the_build_kills_its_worker_and_keeps_the_last_good_outputs(content_copy, tmp_path):
    out = tmp_path / "out"
    put_old_pair(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IMPACT_REPORT_SERIAL": "0"}  # a worker, whatever the load
    command = [sys.executable, "-m", "render", "build", str(content_copy), "--out", str(out), "--quiet"]
    builder = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _children(builder.pid):
            assert builder.poll() is None, builder.stderr.read().decode()
            assert time.monotonic() < deadline, "the build never started a worker"
            time.sleep(0.05)
        time.sleep(0.3)  # anything else the worker brings along has started by now
        family = _children(builder.pid)
        family += [grandchild for pid, _ in family for grandchild in _children(pid)]
    finally:
        builder.send_signal(signal.SIGKILL)
        builder.wait()

    deadline = time.monotonic() + 10
    while any(_running(*process) for process in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid, started in family if _running(pid, started)], "no process of the build is left"
    assert {name: data for name, data in folder(out).items() if name != LOCK_NAME} == OLD

    # The killed build holds no lock: the next one gets the folder at once (the deck alone is quick).
    tiny = shutil.copytree(TINY, tmp_path / "tiny" / "2022")
    build(tiny, out, styles_dir=STYLES, formats=("pptx",), lock_timeout=1)
    assert sorted(folder(out)) == [PDF, DECK] and folder(out)[DECK] != OLD[DECK]


def test_the_build_after_one_killed_while_replacing_puts_the_last_good_pair_back(tiny_content, tmp_path):
    out = tmp_path / "out"
    put_old_pair(out)
    # A build killed -9 between its two renames: the PDF is already new, the deck still old.
    killed_mid_rename = f"""
import os, signal, sys
from pathlib import Path
from render import build as build_module
from render import publish
from render.assemble import assemble
place = publish._place
def place_then_die(temp, target):
    place(temp, target)
    os.kill(os.getpid(), signal.SIGKILL)
publish._place = place_then_die
new = [publish.Output({PDF!r}, b"new report"), publish.Output({DECK!r}, b"new deck")]
publish.publish(Path(sys.argv[1]), new)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", killed_mid_rename, str(out)], env=env, check=False)
    assert done.returncode == -signal.SIGKILL
    assert folder(out)[PDF] == b"new report", "the kill came between the renames"

    # Even a build that then fails on its content restores the old pair and clears the leftovers.
    (tiny_content / "data" / "cases.csv").write_text("kind,children\nRunaway,3,00\n", encoding="utf-8")
    with pytest.raises(ContentError):
        build(tiny_content, out, styles_dir=STYLES)
    assert folder(out) == OLD


# --- one build per output folder ---------------------------------------------------------------


def test_a_second_build_waits_for_the_first_then_refuses_naming_it(tiny_content, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    running = OutputLock(out)  # another build, as far as the lock can tell
    running.acquire()
    try:
        assert main(["build", str(tiny_content), "--out", str(out), "--wait", "0.5", "--quiet"]) == 2
    finally:
        running.release()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{out}: another build is writing to this folder" in err
    assert f"pid {os.getpid()}" in err and "--wait" in err
    assert not (out / PDF).exists()


def test_a_build_waits_for_a_lock_released_in_time_and_says_whom_it_waits_for(tiny_content, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    running = OutputLock(out)
    running.acquire()
    released_at: list[float] = []

    def finish() -> None:
        released_at.append(time.monotonic())
        running.release()

    threading.Timer(0.5, finish).start()
    stages: list[tuple[str, float]] = []
    result = build(
        tiny_content,
        out,
        styles_dir=STYLES,
        formats=("pptx",),
        lock_timeout=20,
        progress=lambda s: stages.append((s, time.monotonic())),
    )
    assert re.fullmatch(
        rf"Waiting for the build running as pid {os.getpid()} \(started \d\d:\d\d:\d\d\)", stages[0][0]
    )
    loaded_at = dict(stages)["load"]
    assert loaded_at >= released_at[0], "nothing was read before the other build finished"
    assert sorted(folder(out)) == [DECK] and list(result.outputs) == ["pptx"]


def _a_finding(rendered: bytes) -> list[tuple[int, str, str]]:
    """A checker for the test below: one finding on any PDF."""
    assert rendered.startswith(b"%PDF-")
    return [(1, "example-rule", "an example finding")]


def test_build_checks_what_it_made_says_how_many_and_strict_writes_nothing(
    tiny_content, tmp_path, monkeypatch, capsys
):
    clean = build(tiny_content, tmp_path / "clean", styles_dir=STYLES, formats=("pdf", "pptx"))
    assert clean.findings == {} and "check-pdf" in clean.timings
    assert main(["build", str(tiny_content), "--out", str(tmp_path / "shown"), "--only", "pdf"]) == 0
    assert "Accessibility checks: 0 findings in impact-report-2022.pdf" in capsys.readouterr().out

    finding = dataclasses.replace(REGISTRY["pdf"], checker="test_build:_a_finding")
    monkeypatch.setitem(REGISTRY, "pdf", finding)
    found = build(tiny_content, tmp_path / "found", styles_dir=STYLES, formats=("pdf",))
    assert found.findings == {"pdf": [(1, "example-rule", "an example finding")]}
    assert found.outputs["pdf"].is_file(), "without --strict a finding is reported, the PDF written"
    out = tmp_path / "strict"
    assert main(["build", str(tiny_content), "--out", str(out), "--only", "pdf", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "1 accessibility finding(s)" in err and "impact-report-2022.pdf, page 1: [example-rule]" in err
    assert not list(out.glob("*.pdf")), "strict: nothing written"


def test_renderers_read_the_narrative_parsed_once_with_the_model(tmp_path, monkeypatch):
    """Each run of narrative Markdown is parsed once, when the model is built; the PDF, the deck and
    the web edition read its tokens, never parse it again, and leave the tokens as they were."""
    from render import text

    report = assemble(load_content(TINY), STYLES)
    prose = [b for s in report.sections for b in s.blocks if isinstance(b, Prose)]
    prose += [note for s in report.sections for note in s.notes]
    assert prose

    def shape(p: Prose) -> list[tuple]:
        return [(t.type, t.tag, dict(t.attrs or {}), t.content) for t in p.tokens]

    before = [shape(p) for p in prose]
    parsed: list[str] = []
    parse = text._md.parse
    monkeypatch.setattr(text._md, "parse", lambda src, env=None: parsed.append(src) or parse(src, env))
    theme = Theme.load(STYLES)
    for renderer in REGISTRY.values():
        renderer.run(report, Job(theme, ChartPictures(tmp_path / "charts")))
    assert not {p.markdown for p in prose} & set(parsed), "a renderer parsed the narrative again"
    assert [shape(p) for p in prose] == before, "a renderer changed the model's tokens"


def test_the_command_exits_with_main_s_code_and_spares_the_last_collection(monkeypatch):
    """`impact-report` (render.cli.run) leaves without the interpreter's final garbage collection
    over the build's objects; main() called from Python leaves the collector alone."""
    import gc

    from render import cli

    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(cli, "main", lambda: 3)
    with pytest.raises(SystemExit) as leaving:
        cli.run()
    assert leaving.value.code == 3 and frozen == [True]


def test_a_short_report_builds_without_automatic_collection_and_the_collector_is_left_as_found(
    tmp_path, monkeypatch
):
    """build() makes a short report's outputs without automatic collections, a long one's with
    them, and freezes what it has loaded (build.py); a program that calls it goes on with its
    collector as it was and nothing frozen."""
    import gc

    from render import pdf as pdf_module

    seen: list[bool] = []
    real = pdf_module._Parts.made

    def made(self, helpers):
        seen.append(gc.isenabled())
        return real(self, helpers)

    monkeypatch.setattr(pdf_module._Parts, "made", made)
    assert gc.isenabled()
    build(TINY, tmp_path / "out", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    monkeypatch.setattr(build_module, "SHORT_REPORT_BLOCKS", 0)
    build(TINY, tmp_path / "long", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
    assert seen == [False, True], "the tiny report without collection; as a long one, with"
    gc.disable()
    try:
        build(TINY, tmp_path / "again", styles_dir=STYLES, formats=("pdf",), cache_dir=None)
        assert not gc.isenabled()
    finally:
        gc.enable()
