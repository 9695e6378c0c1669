"""`impact-report preview` on the tiny report: what a person editing sees in the browser, and what
the preview promises about the computer it runs on (loopback only, its own files only, nothing
left running after Ctrl-C)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, STYLES
from render.preview import Preview


@pytest.fixture
def preview(tiny_content, tmp_path):
    """The preview of a private copy of the tiny report, without its background PDF and deck."""
    started = Preview(tiny_content, STYLES, out_dir=tmp_path / "drafts", background=False)
    first = started.start()
    assert first.error is None
    yield started
    started.stop()


def get(port: int, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (no client-side clean-up of `..`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


class Events:
    """The page's event stream, as the reload script reads it."""

    def __init__(self, port: int, page: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.connection.request("GET", f"/_preview/events?page={page}")
        self.response = self.connection.getresponse()
        assert self.response.readline().startswith(b"retry:")

    def next_reload(self) -> float:
        start = time.perf_counter()
        while not self.response.readline().startswith(b"event: reload"):
            pass
        self.connection.close()
        return time.perf_counter() - start


def page_version(port: int) -> str:
    return re.search(rb'data-page="(\d+)"', get(port, "/web/")[1]).group(1).decode()


def port_of(preview: Preview) -> int:
    return preview.server.server_address[1]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_reloads_the_page_and_a_mistake_shows_its_file_and_line_over_the_last_good_page(
    preview, tiny_content
):
    port = port_of(preview)
    intro = tiny_content / "sections" / "intro.md"

    events = Events(port, page_version(port))
    edit(intro, "{{ chart(", "We thank every volunteer.\n\n{{ chart(")
    assert events.next_reload() < 5
    status, page = get(port, "/web/")
    assert status == 200 and b"We thank every volunteer." in page
    assert b'role="alert"' not in page

    events = Events(port, page_version(port))
    edit(intro, "We thank every volunteer.", "We thank {{ volunteers | number }} volunteers.")
    events.next_reload()
    page = get(port, "/web/")[1].decode()
    line = intro.read_text().splitlines().index("We thank {{ volunteers | number }} volunteers.") + 1
    alert = re.search(r'<div class="ir-preview-error" role="alert">.*?</div>', page, re.S).group(0)
    assert f"intro.md, line {line}" in alert and "volunteers" in alert
    assert "We thank every volunteer." in page, "the last good page is still there, under the notice"
    assert preview.session.error is not None and preview.session.error.errors[0].line == line

    events = Events(port, page_version(port))
    edit(intro, "We thank {{ volunteers | number }} volunteers.", "We thank all our volunteers.")
    events.next_reload()
    page = get(port, "/web/")[1]
    assert b"We thank all our volunteers." in page and b'role="alert"' not in page


def test_a_mistake_before_the_first_build_is_shown_until_it_is_fixed(tiny_content, tmp_path):
    intro = tiny_content / "sections" / "intro.md"
    edit(intro, "{{ calls | number }}", "{{ calls | nubmer }}")
    started = Preview(tiny_content, STYLES, out_dir=tmp_path / "drafts", background=False)
    assert started.start().error is not None
    try:
        port = port_of(started)
        page = get(port, "/web/")[1].decode()
        assert "Nothing built yet" in page and "intro.md, line 3" in page and "nubmer" in page
        events = Events(port, page_version(port))
        edit(intro, "{{ calls | nubmer }}", "{{ calls | number }}")
        events.next_reload()
        page = get(port, "/web/")[1].decode()
        assert "Nothing built yet" not in page and 'role="alert"' not in page and "Founded in" in page
    finally:
        started.stop()


def test_a_saved_stylesheet_reaches_the_page(tiny_content, tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    started = Preview(tiny_content, styles, out_dir=tmp_path / "drafts", background=False)
    started.start()
    try:
        port = port_of(started)
        events = Events(port, page_version(port))
        css = styles / "web" / "site.css.j2"
        css.write_text(css.read_text() + "\n.edited-in-preview { color: inherit; }\n")
        events.next_reload()
        assert b".edited-in-preview" in get(port, "/web/site.css")[1]
    finally:
        started.stop()


def test_the_preview_serves_its_own_files_and_nothing_else(preview, tiny_content):
    port = port_of(preview)
    assert get(port, "/")[0] == 302
    for path in ("/web/", "/web/index.html", "/web/site.css", "/web/fonts/SourceSansPro-Regular.woff"):
        assert get(port, path)[0] == 200, path
    secrets = [b"root:", b"[charts.cases]", b"Founded in"]
    for path in (
        "/web/../../../../etc/passwd",
        "/web/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/web/..%2f..%2f..%2fetc%2fpasswd",
        "/web//etc/passwd",
        "/web/fonts/../../report.toml",
        "/web/..\\..\\report.toml",
        "/../../etc/passwd",
        "/etc/passwd",
        f"/web/{tiny_content}/report.toml",
        "/report.toml",
        "/sections/intro.md",
        "/web/sections/intro.md",
        "/impact-report-2022.pdf",  # not built yet (no background here): a 404, never another file
    ):
        status, body = get(port, path)
        assert status == 404, path
        assert not any(s in body for s in secrets), path


def test_the_preview_listens_on_loopback_only(preview):
    host, port = preview.server.server_address
    assert host == "127.0.0.1" and preview.url.startswith("http://127.0.0.1:")
    others = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in others - {"127.0.0.1"}:
        if address.startswith("127."):
            continue
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()


# --- the command, as a person runs it ------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process started by pid, and by those, from /proc."""
    found, stack = set(), [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited {timeout:.0f} s for {what}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_command_links_the_draft_pdf_with_its_time_prints_mistakes_and_ctrl_c_stops_everything(
    tiny_content, tmp_path
):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-P", "-m", "render", "preview", str(tiny_content), "--no-open"]
    command += ["--out", str(tmp_path / "drafts"), "--styles", str(STYLES)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = wait_for(process.stdout.readline, 30, "the preview to start")
        while "http://127.0.0.1:" not in line:
            line = process.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", line).group(1))

        outputs = wait_for(
            lambda: (lambda text: "Draft PDF</a> built at" in text and text)(
                get(port, "/_preview/outputs")[1].decode()
            ),
            120,  # seconds on a busy machine (the build runs at a lower priority); 5 s on an idle one
            "the draft PDF and deck",
        )
        assert re.search(r"Draft PDF</a> built at \d\d:\d\d:\d\d", outputs)
        pdf = re.search(r'<a href="(/[^"]+\.pdf)"', get(port, "/web/")[1].decode()).group(1)
        assert get(port, pdf)[1].startswith(b"%PDF")

        # A mistake: printed in the terminal with its file and line; then a good edit, whose
        # background build is still running when Ctrl-C comes.
        intro = tiny_content / "sections" / "intro.md"
        edit(intro, "{{ chart(", "We thank {{ volunteers | number }} volunteers.\n\n{{ chart(")
        wait_for(lambda: b'role="alert"' in get(port, "/web/")[1], 10, "the mistake on the page")
        edit(intro, "We thank {{ volunteers | number }} volunteers.", "We thank every volunteer.")
        wait_for(lambda: "Building them again" in get(port, "/_preview/outputs")[1].decode(), 10, "a rebuild")
        started = wait_for(lambda: descendants(process.pid), 10, "the background build's process")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert re.search(r"intro\.md, line \d+: 'volunteers' is undefined", err), err
    assert "Stopped." in out
    time.sleep(0.5)  # a child killed by its parent's death signal is gone within moments
    assert [pid for pid in started if alive(pid)] == []
