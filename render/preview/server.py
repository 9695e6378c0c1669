"""The preview's web server: the web edition from memory, the draft PDF and deck from the preview's
own folder, and the live-reload events, on 127.0.0.1 only.

It answers for a short list of addresses and nothing else: `/web/<file>` looks the name up among
the files of the last good web edition (a dictionary, never a path on disk), the two draft
outputs are served by their exact names, and any other address is a 404. So no address, however
it is spelt (`..`, `%2e%2e`, `//`, a backslash), reaches a file outside what the preview itself
wrote.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import threading
import time
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2

from ..outputs import REGISTRY, file_stem
from .background import FORMATS, OutputsState
from .session import PreviewSession

HOST = "127.0.0.1"  # loopback only: a draft is nobody else's business
STATIC = Path(__file__).parent / "static"
HEARTBEAT = 10.0  # seconds between keep-alive comments on an idle event stream
NAMES = {"pdf": "PDF", "pptx": "deck"}


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(STATIC), autoescape=True, trim_blocks=True)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never keeps the preview from stopping
    allow_reuse_address = True

    def __init__(self, session: PreviewSession, out_dir: Path, port: int = 0) -> None:
        self.session = session
        self.out_dir = Path(out_dir)
        self.outputs = OutputsState()
        self.outputs_changed = threading.Condition()
        self.stopping = threading.Event()
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def outputs_updated(self, state: OutputsState) -> None:
        with self.outputs_changed:
            self.outputs = state
            self.outputs_changed.notify_all()

    def stop(self) -> None:
        self.stopping.set()
        self.session.poke()
        with self.outputs_changed:
            self.outputs_changed.notify_all()
        self.shutdown()
        self.server_close()

    # --- what the page shows besides the report ---------------------------------------------------

    def downloads(self) -> dict[str, str]:
        """Address → file name of each draft output the page may link to."""
        if self.session.year is None:
            return {}
        stem = file_stem(self.session.year)
        return {"/" + REGISTRY[name].output_name(stem): name for name in FORMATS}

    def outputs_html(self) -> str:
        state = self.outputs
        rows = [
            {"name": NAMES[name], "href": address, "built": _clock(state.built.get(name))}
            for address, name in self.downloads().items()
        ]
        return _templates().get_template("outputs.html.j2").render(outputs=rows, state=state)

    def notices_html(self) -> str:
        error = self.session.error
        errors = [
            {"place": _place(e), "message": e.message if e.path or e.line else e.describe(), "hint": e.hint}
            for e in (error.errors if error else [])
        ]
        outputs = self.outputs_html()
        return _templates().get_template("notices.html.j2").render(errors=errors, outputs=outputs)

    def page(self) -> bytes:
        """The web edition's page with the preview's notices on top and its reload script."""
        head = (
            '<link rel="stylesheet" href="/_preview/preview.css">\n'
            f'<script src="/_preview/preview.js" data-page="{self.session.version}" defer></script>\n'
        )
        notices = self.notices_html()
        built = self.session.files.get("index.html")
        if built is None:
            html = _templates().get_template("empty.html.j2").render(head=head, notices=notices)
            return html.encode("utf-8")
        html = built.decode("utf-8").replace("</head>", head + "</head>", 1)
        html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + notices, html, count=1)
        return html.encode("utf-8")


def _clock(moment: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment)) if moment else ""


def _place(error) -> str:
    where = ""
    if error.path is not None:
        try:
            where = str(error.path.resolve().relative_to(Path.cwd()))
        except ValueError:
            where = str(error.path)
        if error.line is not None:
            where += f", line {error.line}"
    if error.where:
        where = f"{where}, {error.where}" if where else error.where
    return where or "the report"


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # the terminal is for rebuilds and errors
        pass

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path == "/" or path == "/web":
            return self._redirect("/web/")
        if path == "/_preview/events":
            return self._events(parse_qs(parts.query).get("page", [""])[0])
        if path == "/_preview/outputs":
            return self._send(self.server.outputs_html().encode("utf-8"), "text/html; charset=utf-8")
        if path in ("/_preview/preview.js", "/_preview/preview.css"):
            return self._send((STATIC / path.rsplit("/", 1)[1]).read_bytes(), _type(path))
        if path in self.server.downloads():
            return self._download(path)
        if path.startswith("/web/"):
            return self._web(path[len("/web/") :])
        self._not_found()

    def _web(self, name: str) -> None:
        name = name or "index.html"
        # A name as the edition's own files are named: relative, no "..", no doubled or back slashes.
        plain = name == posixpath.normpath(name) and not name.startswith("/") and "\\" not in name
        if not plain or ".." in name.split("/"):
            return self._not_found()
        if name == "index.html":
            return self._send(self.server.page(), "text/html; charset=utf-8")
        data = self.server.session.files.get(name)
        if data is None:
            return self._not_found()
        self._send(data, _type(name))

    def _download(self, address: str) -> None:
        file = self.server.out_dir / address[1:]
        try:
            data = file.read_bytes()
        except OSError:
            return self._not_found("not built yet: the preview builds it in the background")
        self._send(data, _type(address))

    def _events(self, page: str) -> None:
        """Server-Sent Events: `reload` when the page changed since the client's version, `outputs`
        when the draft PDF or deck did."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        session, server = self.server.session, self.server
        seen_outputs = server.outputs.version
        known = int(page) if page.isdigit() else -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            written = time.monotonic()
            while not server.stopping.is_set():
                version = session.wait(known, timeout=0.25)
                if version != known:
                    self.wfile.write(f"event: reload\ndata: {version}\n\n".encode())
                    self.wfile.flush()
                    return  # the page reloads and opens a new stream
                if server.outputs.version != seen_outputs:
                    seen_outputs = server.outputs.version
                    self.wfile.write(f"event: outputs\ndata: {seen_outputs}\n\n".encode())
                    self.wfile.flush()
                    written = time.monotonic()
                elif time.monotonic() - written > HEARTBEAT:
                    self.wfile.write(b": still here\n\n")  # finds a client that went away
                    self.wfile.flush()
                    written = time.monotonic()
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            return

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self, why: str = "not found") -> None:
        self._send(why.encode("utf-8") + b"\n", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)

    def _send(self, data: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a reload always shows the latest save
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)


def _type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else kind
