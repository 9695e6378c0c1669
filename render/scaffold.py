"""`impact-report new YEAR`: next year's content folder, made from the newest earlier year.

Everything that carries over is kept (the narrative, the schemas with their categories, the
settings, which totals to check, the dates and definitions marked `fixed`); every figure of the
year is emptied. A build of the new folder then fails with one checklist of what is still to fill
in, so no figure of last year can be published as this year's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, read_utf8
from .load import CONTROLS, FACTS
from .settings import read_toml
from .tomlpos import key_lines
from .years import HISTORY


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    source: Path
    emptied: int  # figures to fill in
    kept: int  # fixed figures carried over


def earlier_year(content_root: Path, year: int) -> Path:
    """The newest year folder before `year`."""
    years = (
        sorted(
            (int(p.name), p)
            for p in content_root.iterdir()
            if p.is_dir() and p.name.isdigit() and int(p.name) < year and (p / "report.toml").is_file()
        )
        if content_root.is_dir()
        else []
    )
    if not years:
        raise ContentError(
            content_root,
            f"there is no earlier year to start {year} from",
            hint="a content folder holds one folder per year, e.g. content/2022 with its report.toml",
        )
    return years[-1][1]


def new_year(year: int, content_root: Path) -> Scaffold:
    """Write content_root/YEAR from the newest earlier year, all at once (a failure leaves nothing)."""
    target = content_root / str(year)
    if target.exists():
        raise ContentError(target, f"{year} already exists", hint="edit it, or remove it to start again")
    source = earlier_year(content_root, year)
    step = year - int(source.name)
    work = Path(tempfile.mkdtemp(prefix=f".{year}.", dir=content_root))
    try:
        shutil.copytree(source, work / "year", ignore=_ignored)
        folder = work / "year"
        _bump_years(folder / "report.toml", step)
        emptied = kept = 0
        for path in sorted((folder / "data").glob("*.csv")):
            e, k = _empty_figures(path)
            emptied, kept = emptied + e, kept + k
        folder.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Scaffold(target, source, emptied, kept)


def _ignored(folder: str, names: list[str]) -> set[str]:
    """Editors' and spreadsheets' leftovers are not content."""
    return {n for n in names if n.startswith((".", "~$")) or n.endswith(("~", ".tmp")) or n == "__pycache__"}


def _bump_years(config: Path, step: int) -> None:
    """year and published_year move on by `step`, on their own lines, comments kept."""
    data, text = read_toml(config)
    lines = text.splitlines(keepends=True)
    where = key_lines(text)
    for key in ("year", "published_year"):
        if key in data and (key,) in where:
            n = where[(key,)] - 1
            lines[n] = re.sub(r"=\s*\d+", f"= {data[key] + step}", lines[n], count=1)
    config.write_text("".join(lines), encoding="utf-8")


def _empty_figures(path: Path) -> tuple[int, int]:
    """Empty this year's figures in one data file; returns (emptied, kept as fixed)."""
    name = path.stem
    if name == HISTORY:
        return 0, 0  # earlier years' figures do not change
    schema = json.loads(read_utf8(path.with_name(f"{name}.schema.json")))
    numeric = {f["name"] for f in schema["fields"] if f.get("type") in ("integer", "number")}
    if name == CONTROLS:
        numeric = {"expected"}  # which totals to check, and their tolerances, carry over
    elif name == FACTS:
        numeric = {"value"}
    rows = list(csv.reader(io.StringIO(read_utf8(path, bom=True))))
    if not rows:
        return 0, 0
    header = [h.strip() for h in rows[0]]
    columns = [i for i, h in enumerate(header) if h in numeric]
    kind = header.index("kind") if name == FACTS and "kind" in header else None
    emptied = kept = 0
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if kind is not None and kind < len(row) and row[kind].strip() == "fixed":
            kept += 1
            continue
        for i in columns:
            if i < len(row):
                emptied += row[i].strip() != ""
                row[i] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return emptied, kept
