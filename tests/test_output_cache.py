"""Whole outputs read back from the build cache: only while every input is the same, and always
the same bytes as a build that makes them afresh."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, STYLES, TINY
from render.build import build
from render.outputs import REGISTRY


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".impact-report")
    }


def test_an_output_is_reused_only_while_every_input_is_the_same(tiny_content, tmp_path):
    styles = tmp_path / "styles"
    shutil.copytree(STYLES, styles)
    cache = tmp_path / "cache"

    def run(name: str, cache_dir: Path | None = cache):
        return build(tiny_content, tmp_path / name, styles_dir=styles, cache_dir=cache_dir)

    assert run("first").reused == ()
    again = run("again")
    assert set(again.reused) == set(REGISTRY), "nothing changed: every output read back"
    clean = run("clean", cache_dir=None)
    assert _files(tmp_path / "again") == _files(tmp_path / "clean") == _files(tmp_path / "first")
    assert again.findings == clean.findings

    stylesheet = styles / "report.css.j2"  # read by the PDF alone, and not part of the model
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    assert run("styled").reused == (), "a styles file changed"
    assert set(run("styled-again").reused) == set(REGISTRY)

    (tiny_content / "images").mkdir()
    (tiny_content / "images" / "new.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert run("picture").reused == (), "a file in the content folder changed"

    for entry in (cache / "outputs").iterdir():  # a full disk or a killed build left them cut short
        entry.write_bytes(entry.read_bytes()[:200])
    damaged = run("damaged")
    assert damaged.reused == ()
    assert _files(tmp_path / "damaged") == _files(tmp_path / "picture")


KEY = """
import sys
from pathlib import Path
from render.assemble import assemble
from render.load import load_content
from render.output_cache import OutputCache
from render.outputs import REGISTRY
from render.theme import Theme
tiny, styles = Path(sys.argv[1]), Path(sys.argv[2])
print(OutputCache(None).key(REGISTRY["pdf"], assemble(load_content(tiny), styles), Theme.load(styles), None))
"""


def test_the_key_is_the_same_in_every_process():
    """The model's part of the key is its repr: nothing in it may depend on the process (an
    object's address, a set's order under another hash seed)."""
    keys = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", KEY, str(TINY), str(STYLES)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        keys.add(done.stdout.strip())
    assert len(keys) == 1 and len(keys.pop()) == 64


def test_the_cache_keeps_the_newest_entries_within_its_count_and_size(tmp_path):
    from render.cache_store import prune

    for age, name in enumerate("abcdef"):  # a is the newest
        entry = tmp_path / name
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (1_000_000 - age, 1_000_000 - age))
    prune(tmp_path, keep=4, max_bytes=250)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"], "two entries fit in 250 bytes"
    (tmp_path / "big").write_bytes(b"x" * 1000)
    prune(tmp_path, keep=4, max_bytes=250)
    assert [p.name for p in tmp_path.iterdir()] == ["big"], "the newest is kept even when it alone is over"


def test_the_key_changes_with_a_font_file_the_theme_names(tmp_path):
    """The fonts live in an installed package, outside the styles folder: their bytes count too."""
    from render.assemble import assemble
    from render.load import load_content
    from render.output_cache import OutputCache
    from render.theme import Theme

    theme = Theme.load(STYLES)
    report = assemble(load_content(TINY), STYLES)
    key = OutputCache(None).key(REGISTRY["pdf"], report, theme, None)
    copy = tmp_path / "Regular.ttf"
    copy.write_bytes(theme.font_files["regular"].read_bytes())
    moved = dataclasses.replace(theme, font_files={**theme.font_files, "regular": copy})
    assert OutputCache(None).key(REGISTRY["pdf"], report, moved, None) == key, "the same bytes elsewhere"
    copy.write_bytes(copy.read_bytes() + b"\0")
    assert OutputCache(None).key(REGISTRY["pdf"], report, moved, None) != key
