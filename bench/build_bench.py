"""Benchmark the build: N fresh processes, median wall time and peak memory per stage.

Each run is a new Python process (imports included, as a user's `impact-report build` pays them),
so caches never carry over. Memory is the process's peak resident set size after each stage
(a high-water mark: a stage's figure includes everything before it). When both outputs are built
the deck renders in a worker process alongside the PDF: its stage time is the worker's own, and
the whole-build time shows the overlap. Prints medians and ranges;
the machines are shared and noisy, so compare medians and ratios, not single runs.

    python bench/build_bench.py [--runs 5] [--content content/2022]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
start = time.perf_counter()
from render.build import build
imported = time.perf_counter()
result = build(sys.argv[1], sys.argv[2], formats=tuple(sys.argv[3].split(",")))
end = time.perf_counter()
from pypdf import PdfReader
pages = len(PdfReader(str(result.outputs["pdf"])).pages) if "pdf" in result.outputs else None
slides = None
if "pptx" in result.outputs:
    from pptx import Presentation
    slides = len(Presentation(str(result.outputs["pptx"])).slides)
print(json.dumps({"import": imported - start, "stages": result.timings, "total": end - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "parallel": list(result.parallel), "pages": pages, "slides": slides}))
"""

STAGE_PEAK = r"""
import json, resource, sys, time
from render.build import build
peaks = {}
def progress(stage):
    peaks[progress.last] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    progress.last = stage
progress.last = "import"
build(sys.argv[1], sys.argv[2], formats=tuple(sys.argv[3].split(",")), progress=progress)
peaks[progress.last] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(peaks))
"""


def run(code: str, content: Path, formats: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", code, str(content), out, formats],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "2022")
    parser.add_argument("--formats", default="pdf,pptx")
    args = parser.parse_args()

    runs = [run(CHILD, args.content, args.formats) for _ in range(args.runs)]
    peaks = [run(STAGE_PEAK, args.content, args.formats) for _ in range(max(1, args.runs // 2))]
    stages = list(runs[0]["stages"])

    def line(name: str, values: list[float], peak: float | None) -> str:
        med = statistics.median(values)
        text = f"  {name:<12} {med:7.2f} s   (min {min(values):.2f}, max {max(values):.2f})"
        return text + (f"   peak RSS {peak:6.0f} MB" if peak is not None else "")

    print(
        f"Build of {args.content.relative_to(ROOT)} ({args.formats}), {args.runs} fresh processes, medians:"
    )
    print(line("imports", [r["import"] for r in runs], statistics.median(p["import"] for p in peaks)))
    for stage in stages:
        peak = statistics.median(p.get(stage, 0) for p in peaks)
        print(line(stage, [r["stages"][stage] for r in runs], peak))
    print(line("whole build", [r["total"] for r in runs], statistics.median(r["peak_mb"] for r in runs)))
    if runs[0]["parallel"]:
        worker = statistics.median(r["worker_peak_mb"] for r in runs)
        print(
            f"  ({', '.join(runs[0]['parallel'])} ran in a worker process alongside the PDF; "
            f"worker peak RSS {worker:.0f} MB)"
        )
    if runs[0]["pages"]:
        print(f"  PDF pages:   {runs[0]['pages']}")
    if runs[0]["slides"]:
        print(f"  Deck slides: {runs[0]['slides']}")


if __name__ == "__main__":
    main()
