"""Benchmark the build against raw WeasyPrint on the same final HTML, every run a fresh process.

Scenarios (issue 10's goals are ratios between them, measured in the same run):

  cold full    PDF + deck, a new process with an empty chart cache
  warm full    PDF + deck, the cache primed by an earlier build of the same content
  one-word     PDF + deck after replacing one word in one section of a temporary copy of the
               content, the cache primed by the build before the edit
  pdf only     the PDF alone, empty cache
  deck only    the deck alone, empty cache
  raw          weasyprint.HTML(...).write_pdf(pdf_variant="pdf/ua-1") on the final HTML and CSS
               the build lays out (written once beforehand), nothing else
  raw+subset   the same with render.fontsubset's subsetting (what WeasyPrint costs once its
               fontTools detour is gone)

The scenarios take turns, round after round, so drifting load on a shared machine spreads over
all of them. Wall time is measured around each process (interpreter start included), CPU time
is the process's and its children's (the deck worker). Medians and ranges; compare the ratios.

    python bench/build_bench.py [--runs 3] [--content content/2022] [--only cold,raw]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = r"""
import inspect, json, resource, sys, time
start = time.perf_counter()
from render.build import build
imported = time.perf_counter()
args = json.loads(sys.argv[1])
# Older commits have no chart cache: let the bench compare them too.
cache = {"cache_dir": args["cache"]} if "cache_dir" in inspect.signature(build).parameters else {}
result = build(args["content"], args["out"], formats=tuple(args["formats"]), **cache)
end = time.perf_counter()
import gc, render.cli  # the impact-report command's own module (it is loaded before the build)
if hasattr(render.cli, "run"):
    gc.freeze()  # as the command does before it exits (render.cli.run)
print(json.dumps({"import": imported - start, "stages": result.timings, "total": end - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "parallel": list(result.parallel), "reused": list(getattr(result, "reused", ()))}))
"""

# The final HTML as one document (figures moved and contents numbered as the build's parts have
# them) and the CSS: what WeasyPrint alone is given to make the same pages.
WRITE_HTML = r"""
import json, sys
from pathlib import Path
from render.assemble import assemble
from render.chart_cache import ChartPictures
from render.load import load_content
from render.pdf import chart_svgs, render_html, whole_html
from render.theme import Theme
args = json.loads(sys.argv[1])
styles = Path(args["root"]) / "styles"
theme = Theme.load(styles)
report = assemble(load_content(Path(args["content"])), styles)
source = render_html(report, theme, chart_svgs(report, theme, ChartPictures.at(args["cache"])))
html = whole_html(report, theme, source, Path(args["cache"]))
Path(args["html"]).write_text(html, encoding="utf-8")
Path(args["css"]).write_text(source.css, encoding="utf-8")
print(json.dumps({"base_url": str(styles)}))
"""

RAW = r"""
import contextlib, json, sys, time
start = time.perf_counter()
import weasyprint
from weasyprint.text.fonts import FontConfiguration
args = json.loads(sys.argv[1])
hook = contextlib.nullcontext()
if args["fast_subset"]:
    from render.fontsubset import reproducible_subsetting
    hook = reproducible_subsetting()
imported = time.perf_counter()
fonts = FontConfiguration()
html = open(args["html"], encoding="utf-8").read()
css = open(args["css"], encoding="utf-8").read()
with hook:
    weasyprint.HTML(string=html, base_url=args["base_url"]).write_pdf(
        args["out"], stylesheets=[weasyprint.CSS(string=css, font_config=fonts)],
        font_config=fonts, pdf_variant="pdf/ua-1")
print(json.dumps({"import": imported - start, "total": time.perf_counter() - start}))
"""

SCENARIOS = ("cold", "warm", "edit", "pdf", "deck", "raw", "raw+subset")
LABELS = {
    "cold": "cold full build",
    "warm": "warm full build",
    "edit": "one-word edit",
    "pdf": "PDF only (cold)",
    "deck": "deck only (cold)",
    "raw": "raw WeasyPrint",
    "raw+subset": "raw + fontsubset",
}
# One new word per run (the edit replaces one word of prose), so no two edited builds see the same text.
WORDS = "notably clearly plainly largely mostly partly widely deeply firmly fully simply truly".split()


def child(code: str, args: dict) -> tuple[dict, float, float]:
    """Run code in a fresh interpreter: its JSON answer, wall seconds, CPU seconds (children too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-c", code, json.dumps(args)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"a benchmark process failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, cpu


class OneWordEdit:
    """Replaces one word of plain prose (outside {{ … }}) in the first section file, a different
    word each run, so no two edited builds see the same text."""

    def __init__(self, content: Path) -> None:
        self.section = sorted((content / "sections").glob("*.md"))[0]
        lines = self.section.read_text(encoding="utf-8").splitlines(keepends=True)
        front = 0  # skip the front matter (--- … ---): its lines are settings, not prose
        if lines and lines[0].strip() == "---":
            front = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        for number, line in enumerate(lines):
            # a paragraph, not a heading, list, callout or placement
            if number >= front and line[:1].isalpha():
                words = [w for part in self.prose_parts(line) for w in re.findall(r"\b[a-z]{5,}\b", part)]
                if words:
                    self.line, self.word = number, words[0]
                    self.first = f"{self.section.name}, line {number + 1}: {self.word!r}"
                    return
        sys.exit(f"{self.section}: no plain word to edit")

    @staticmethod
    def prose_parts(line: str) -> list[str]:
        return re.split(r"\{\{.*?\}\}", line)

    def __call__(self, run: int) -> None:
        new = WORDS[run % len(WORDS)]
        new = WORDS[(run + 1) % len(WORDS)] if new == self.word else new
        lines = self.section.read_text(encoding="utf-8").splitlines(keepends=True)
        parts = re.split(r"(\{\{.*?\}\})", lines[self.line])
        for i in range(0, len(parts), 2):  # even parts are prose, odd ones expressions
            if re.search(rf"\b{self.word}\b", parts[i]):
                parts[i] = re.sub(rf"\b{self.word}\b", new, parts[i], count=1)
                break
        lines[self.line] = "".join(parts)
        self.section.write_text("".join(lines), encoding="utf-8")
        self.word = new


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s  ({min(values):.2f}–{max(values):.2f})"


def count_outputs(out: Path) -> tuple[int | None, int | None]:
    import pikepdf
    from pptx import Presentation

    pdf = next(out.glob("*.pdf"), None)
    deck = next(out.glob("*.pptx"), None)
    pages = len(pikepdf.open(pdf).pages) if pdf else None
    slides = len(Presentation(str(deck)).slides) if deck else None
    return pages, slides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per scenario (default 3)")
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "2022")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if s in args.only.split(",")]
    content = args.content.resolve()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load_start = os.getloadavg()
    print(f"Benchmark of {content}: {args.runs} fresh processes per scenario, {cores} usable cores")
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in load_start)}")

    with tempfile.TemporaryDirectory(prefix="impact-bench-") as tmp:
        tmp = Path(tmp)
        warm_cache, edit_cache = tmp / "warm-cache", tmp / "edit-cache"
        edit_content = tmp / "edit" / content.name
        shutil.copytree(content, edit_content)

        def build_args(name: str, run: int) -> dict:
            formats = {"pdf": ["pdf"], "deck": ["pptx"]}.get(name, ["pdf", "pptx"])
            cache = {"warm": warm_cache, "edit": edit_cache}.get(name, tmp / f"empty-{name}-{run}")
            source = edit_content if name == "edit" else content
            return {
                "content": str(source),
                "out": str(tmp / f"out-{name}-{run}"),
                "formats": formats,
                "cache": str(cache),
            }

        # Untimed: prime the caches, and write the final HTML and CSS for the raw runs.
        if "warm" in chosen:
            child(BUILD, build_args("warm", -1))
        if "edit" in chosen:
            child(BUILD, build_args("edit", -1))
        raw_args = {"html": str(tmp / "report.html"), "css": str(tmp / "report.css")}
        if {"raw", "raw+subset"} & set(chosen):
            prep = {"root": str(ROOT), "content": str(content), "cache": str(warm_cache), **raw_args}
            raw_args.update(child(WRITE_HTML, prep)[0])

        results: dict[str, list[tuple[dict, float, float]]] = {s: [] for s in chosen}
        edit = OneWordEdit(edit_content)
        for run in range(args.runs):
            for name in chosen:
                if name.startswith("raw"):
                    job = {
                        **raw_args,
                        "out": str(tmp / f"raw-{run}.pdf"),
                        "fast_subset": name == "raw+subset",
                    }
                    results[name].append(child(RAW, job))
                    continue
                if name == "edit":
                    edit(run)
                job = build_args(name, run)
                results[name].append(child(BUILD, job))
                if run < args.runs - 1 or name != "cold":
                    shutil.rmtree(job["out"], ignore_errors=True)
        load_end = os.getloadavg()
        for name in ("cold", "edit", "pdf", "deck"):  # an output read back would measure nothing
            if any(r[0].get("reused") for r in results.get(name, [])):
                sys.exit(f"the {LABELS[name]} scenario read outputs back from a cache: not a measurement")

        print()
        print(f"  {'scenario':<18} {'wall: median (range)':<26} {'CPU: median (range)':<26} deck")
        for name in chosen:
            walls = [r[1] for r in results[name]]
            cpus = [r[2] for r in results[name]]
            modes = {
                ("worker" if "deck" in r[0].get("parallel", []) else "in-process") for r in results[name]
            }
            deck = "/".join(sorted(modes)) if name in ("cold", "warm", "edit") else ""
            print(f"  {LABELS[name]:<18} {summary(walls):<26} {summary(cpus):<26} {deck}")

        def ratio(a: str, b: str, label: str) -> None:
            if a in results and b in results:
                wall = statistics.median(r[1] for r in results[a]) / statistics.median(
                    r[1] for r in results[b]
                )
                cpu = statistics.median(r[2] for r in results[a]) / statistics.median(
                    r[2] for r in results[b]
                )
                print(f"  {label:<38} {wall:5.2f}x wall   {cpu:5.2f}x CPU")

        print()
        print("  Ratios of medians (issue 10's goals: full ≈ 1.3x raw, one-word edit ≤ 1.2x raw):")
        for base in ("raw", "raw+subset"):
            ratio("cold", base, f"cold full build / {base}")
            ratio("pdf", base, f"PDF only / {base}")
            ratio("edit", base, f"one-word edit / {base}")
            ratio("warm", base, f"warm full build / {base}")

        for name, title in (("cold", "Cold full build"), ("edit", "One-word edit")):
            if name not in results:
                continue
            runs = [r[0] for r in results[name]]
            print()
            print(f"  {title} by stage (medians; the deck's is the worker's own time when it ran there):")
            print(f"    {'imports':<10} {summary([r['import'] for r in runs])}")
            stages = dict.fromkeys(stage for r in runs for stage in r["stages"])
            for stage in stages:  # a stage that ran in the worker in some runs is missing from those
                times = [r["stages"][stage] for r in runs if stage in r["stages"]]
                print(f"    {stage:<10} {summary(times)}  (n={len(times)})")
            print(
                f"    peak RSS {statistics.median(r['peak_mb'] for r in runs):.0f} MB main process, "
                f"{statistics.median(r['worker_peak_mb'] for r in runs):.0f} MB largest child"
            )
            if name == "cold":
                pages, slides = count_outputs(Path(build_args("cold", args.runs - 1)["out"]))
                print(f"    {pages} PDF pages, {slides} slides")
        if "edit" in results:
            print(f"  One-word edit: {edit.first} replaced by a new word each run")
        print()
        print(f"  load average at end: {' '.join(f'{x:.2f}' for x in load_end)}")


if __name__ == "__main__":
    main()
