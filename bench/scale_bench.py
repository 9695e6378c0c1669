"""How the build grows with the report: the 2022 content at 1x, 10x and 30x (bench/scale_content.py),
each built cold (a fresh process, an empty cache) in fresh processes, with the whole build's peak
memory: the resident memory of the build process and every process it starts (the deck's worker),
summed at each moment and sampled every 20 ms from /proc, so the peak of all processes together,
not of each one alone. PSS is the measure of the goal: it counts memory a forked child shares with
its parent once; the RSS sum, printed beside it, counts it in each.

    python bench/scale_bench.py [--sizes 1,10,30] [--runs 1] [--content content/2022]

Prints wall and CPU seconds, pages, the peak, and time per page relative to 1x. Issue 10's goals:
10x content in at most 10x the time and 600 MB; 30x builds without error.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    """The process's proportional share of memory: pages it shares with another process (a
    forked child and its parent share everything the child has not written to) count half."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def run_build(content: Path, out: Path, cache: Path) -> dict:
    """One cold build in a fresh process: wall, CPU (with its children), whole-tree peak RSS and
    PSS. RSS counts a page shared by a parent and its forked child (pdf.py: its parts and charts) in
    both, so their sum overstates what the build holds; PSS counts it once, split between them.
    PSS is costly to read, so it is sampled only near the RSS peak."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    # This checkout's package, whichever checkout the interpreter's environment was installed from.
    env = {**os.environ, "IMPACT_REPORT_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "render.cli", "build", str(content), "--out", str(out), "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = peak_pss = 0
    while proc.poll() is None:
        tree = _tree(proc.pid)
        rss = sum(_rss(p) for p in tree)
        peak = max(peak, rss)
        if rss >= 0.8 * peak:
            peak_pss = max(peak_pss, sum(_pss(p) for p in tree))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"build of {content} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    pdf = next(out.glob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), 0)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak / 2**20, "pss_mb": peak_pss / 2**20, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,10,30")
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per size (default 1)")
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "2022")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    print(f"Scale benchmark of {args.content}: cold builds (empty cache), {args.runs} run(s) per size")
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {}
    try:
        for n in sizes:
            content = work / f"x{n}" / args.content.name
            scale = [sys.executable, str(ROOT / "bench" / "scale_content.py")]
            subprocess.run([*scale, str(args.content), str(content), str(n)], check=True, capture_output=True)
            runs = [run_build(content, work / f"out{n}", work / "cache") for _ in range(args.runs)]
            results[n] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            r = results[n]
            print(
                f"  {n:>3}x: {r['pages']:>4.0f} pages  wall {r['wall']:7.1f} s  CPU {r['cpu']:7.1f} s  "
                f"peak (all processes) PSS {r['pss_mb']:5.0f} MB, RSS {r['peak_mb']:5.0f} MB",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if 1 in results:
        base = results[1]
        for n, r in results.items():
            if n != 1:
                print(
                    f"  {n}x / 1x: wall {r['wall'] / base['wall']:.2f}x, CPU {r['cpu'] / base['cpu']:.2f}x, "
                    f"pages {r['pages'] / base['pages']:.1f}x"
                )
    print(f"  load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
