"""Benchmark the preview and the web edition (issue 11's goals: a one-paragraph edit shows in the
browser within 1 s of the save).

Scenarios:

  paragraph    one paragraph of a section rewritten (a word in it replaced) and saved
  chart data   two rows of a chart's table changed (the grand total kept, so the control totals
               still agree), so the chart is drawn again
  web build    the web edition alone, `build(..., formats=("web",))` in a fresh process with the
               chart pictures cached (its own stage, and the whole process with interpreter
               start, loading and binding)
  web warm     the web renderer again in a process that has rendered it before (what a preview
               rebuild pays besides binding the model)

The preview runs as a user runs it (`impact-report preview --no-open`) on a copy of the content,
with its background PDF and deck builds on, so the two cores are as busy as while someone
edits. Each edit is timed end to end as a browser sees it: the file saved → the reload event
received on the page's event stream → the new page fetched in full. Medians and ranges.

    python bench/preview_bench.py [--runs 5] [--content content/2022]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from build_bench import child  # noqa: E402  (a fresh interpreter, timed: the same helper)

WORDS = "notably clearly plainly largely mostly partly widely deeply firmly fully simply truly".split()

WEB_BUILD = r"""
import json, sys, time
start = time.perf_counter()
from render.build import build
args = json.loads(sys.argv[1])
result = build(args["content"], args["out"], formats=("web",), cache_dir=args["cache"])
end = time.perf_counter()
t0 = time.perf_counter()
from render.chart_cache import ChartPictures
from render.outputs import Job
from render.theme import Theme
from render.web import render_files
from pathlib import Path
theme = Theme.load(Path(args["root"]) / "styles")
job = Job(theme, ChartPictures.at(args["cache"]))
warm = []
for _ in range(3):
    t = time.perf_counter()
    render_files(result.report, job)
    warm.append(time.perf_counter() - t)
print(json.dumps({"stage": result.timings["web"], "total": end - start, "warm": min(warm)}))
"""


class Preview:
    """`impact-report preview` in a child process, and a browser's view of it."""

    def __init__(self, content: Path, out: Path, cache: Path) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "IMPACT_REPORT_CACHE": str(cache),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", "render", "preview", str(content), "--no-open", "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.process.stdout:
            m = re.search(r"at http://127\.0\.0\.1:(\d+)/web/", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            sys.exit("the preview did not start")

    def get(self, path: str) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path)
        body = connection.getresponse().read()
        connection.close()
        return body

    def time_edit(self, edit) -> tuple[float, float]:
        """(save → reload event, save → new page fetched), in seconds; `edit()` saves a file and
        returns words the new page must show."""
        page = self.get("/web/").decode()
        version = re.search(r'data-page="(\d+)"', page).group(1)
        stream = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        stream.request("GET", f"/_preview/events?page={version}")
        events = stream.getresponse()
        events.readline()  # "retry: …", the stream is open
        start = time.perf_counter()
        expect = edit()
        while True:
            line = events.readline()
            if line.startswith(b"event: reload"):
                break
        event = time.perf_counter() - start
        stream.close()
        page = self.get("/web/").decode()
        fetched = time.perf_counter() - start
        if expect not in page or "could not be built" in page:
            notice = re.search(r'<div class="ir-preview-error".*?</div>', page, re.S)
            sys.exit(
                f"the reloaded page does not show the edit ({expect!r}): {notice.group(0) if notice else ''}"
            )
        return event, fetched

    def stop(self) -> None:
        self.process.send_signal(2)  # Ctrl-C
        self.process.wait(timeout=30)


def paragraph_edit(content: Path):
    """Rewrites the end of a paragraph (plain prose, no figures or links in it) of the longest
    section: a sentence added, with a different word each run."""
    section = max((content / "sections").glob("*.md"), key=lambda p: p.stat().st_size)
    lines = section.read_text(encoding="utf-8").splitlines(keepends=True)
    heading = next(i for i, line in enumerate(lines) if line.startswith("#"))  # after any front matter
    fenced, inside = set(), False  # lines of ::: blocks (key figures, speaker notes): not paragraphs
    for i, line in enumerate(lines):
        if line.startswith(":::"):
            inside = not inside
            fenced.add(i)
        elif inside:
            fenced.add(i)
    number = next(
        (
            i
            for i, line in enumerate(lines)
            if i > heading and i not in fenced and line[:1].isalpha() and "{" not in line and "[" not in line
        ),
        None,
    )
    if number is None:
        sys.exit(f"{section}: no plain paragraph to edit")
    original = lines[number].rstrip("\n")

    def edit(run: int) -> str:
        sentence = f"Our work goes on, {WORDS[run % len(WORDS)]} so."
        lines[number] = f"{original} {sentence}\n"
        section.write_text("".join(lines), encoding="utf-8")
        return sentence

    return edit


def data_edit(content: Path, table: str = "cvip_requests_by_agency", column: str = "requests"):
    """Moves a few of a column's counts from its first row to its third, a different number each
    run: the chart changes, the column's total (and so its control total) does not."""
    path = content / "data" / f"{table}.csv"

    def edit(run: int) -> str:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        at = rows[0].index(column)
        moved = 7 + run
        rows[1][at] = str(int(rows[1][at]) - moved)
        rows[3][at] = str(int(rows[3][at]) + moved)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        return f"{int(rows[3][at]):,}"

    return edit


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.3f} s  ({min(values):.3f}–{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "2022")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Preview benchmark of {args.content}: {args.runs} runs each, {cores} usable cores")
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="impact-preview-bench-") as tmp:
        tmp = Path(tmp)
        content = tmp / "content" / args.content.name
        shutil.copytree(args.content, content)

        builds = []
        for run in range(-1, args.runs):  # run -1 draws the charts into the cache, untimed
            job = {
                "content": str(content),
                "out": str(tmp / f"web-{run}"),
                "cache": str(tmp / "cache"),
                "root": str(ROOT),
            }
            # The charts stay cached; the web edition itself is made each time, not read back.
            shutil.rmtree(tmp / "cache" / "outputs", ignore_errors=True)
            answer, _, _ = child(WEB_BUILD, job)
            if run >= 0:
                builds.append(answer)

        preview = Preview(content, tmp / "drafts", tmp / "cache")
        try:
            time.sleep(1.0)  # the first background build has started: the cores are busy, as in use
            results = {}
            for name, make in (("paragraph", paragraph_edit), ("chart data", data_edit)):
                edit = make(content)
                timings = []
                for run in range(args.runs):
                    timings.append(preview.time_edit(lambda run=run, edit=edit: edit(run)))
                    time.sleep(0.3)
                results[name] = timings
        finally:
            preview.stop()

        print()
        print(f"  {'scenario':<14} {'save → reload event':<30} {'save → page fetched':<30}")
        for name, timings in results.items():
            print(
                f"  {name:<14} {summary([t[0] for t in timings]):<30} {summary([t[1] for t in timings]):<30}"
            )
        print()
        print(
            f"  web build, fresh process: stage {summary([b['stage'] for b in builds])}, "
            f"whole process {summary([b['total'] for b in builds])}"
        )
        print(f"  web renderer, warm:       {summary([b['warm'] for b in builds])}")
        print(f"  load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
