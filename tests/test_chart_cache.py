"""Chart pictures are drawn once per content change: a build with a cache gives the same bytes as a
build without one, a warm cache draws nothing, and a damaged cache is repaired, never trusted.

Whole builds use the tiny report; every cache here is a folder of the test's own.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, STYLES, TINY
from render import chart_cache, chart_draw
from render.assemble import assemble
from render.build import build
from render.chart_cache import ChartPictures, picture_key
from render.load import load_content
from render.model import Series
from render.theme import Theme

PDF, DECK = "impact-report-2022.pdf", "impact-report-2022.pptx"


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (PDF, DECK)}


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "charts").glob("*.*[gs]"))


@pytest.fixture
def tiny(tiny_content) -> Path:
    """The tiny report with its chart moved to a second chapter, so the deck shows it on a slide."""
    intro = tiny_content / "sections" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace('{{ chart("cases") }}', ""), encoding="utf-8")
    (tiny_content / "sections" / "cases.md").write_text(
        '# Cases\n\nThe cases, by kind.\n\n{{ chart("cases") }}\n', encoding="utf-8"
    )
    config = tiny_content / "report.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('sections = ["intro"]', 'sections = ["intro", "cases"]'), encoding="utf-8")
    return tiny_content


def no_drawing(monkeypatch) -> None:
    """Make any drawing fail, and keep the deck in this process so that holds for it too."""

    def refuse(*args, **kwargs):
        raise AssertionError("a chart was drawn although its picture was cached")

    monkeypatch.setattr(chart_draw, "render_svg", refuse)
    monkeypatch.setattr(chart_draw, "render_png", refuse)
    monkeypatch.setenv("IMPACT_REPORT_SERIAL", "1")


def test_a_cached_build_and_a_clean_build_are_byte_identical(tiny, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    build(tiny, tmp_path / "clean", styles_dir=STYLES, cache_dir=None)
    build(tiny, tmp_path / "cold", styles_dir=STYLES, cache_dir=cache)
    assert not (tmp_path / "clean" / ".cache").exists() and entries(cache), "the cold build filled the cache"
    no_drawing(monkeypatch)
    build(tiny, tmp_path / "warm", styles_dir=STYLES, cache_dir=cache)
    clean = outputs(tmp_path / "clean")
    assert outputs(tmp_path / "cold") == clean
    assert outputs(tmp_path / "warm") == clean


def test_a_truncated_or_corrupt_entry_is_drawn_again_and_rewritten(tiny, tmp_path):
    cache = tmp_path / "cache"
    build(tiny, tmp_path / "first", styles_dir=STYLES, cache_dir=cache)
    stored = {p: p.read_bytes() for p in entries(cache)}
    assert sorted(p.suffix for p in stored) == [".png", ".svg"], "the PDF's picture and the slide's"
    damaged, truncated = list(stored)[:2]
    data = bytearray(stored[damaged])
    data[-10] ^= 0xFF  # one flipped byte inside the picture
    damaged.write_bytes(bytes(data))
    truncated.write_bytes(stored[truncated][: len(stored[truncated]) // 2])  # a build killed mid-write
    shutil.rmtree(cache / "outputs")  # else the whole outputs are read back and no picture is asked for

    build(tiny, tmp_path / "second", styles_dir=STYLES, cache_dir=cache)
    assert outputs(tmp_path / "second") == outputs(tmp_path / "first")
    assert {p: p.read_bytes() for p in entries(cache)} == stored, "both entries written again, intact"


def test_an_entry_that_is_not_a_picture_at_all_is_ignored(tiny, tmp_path):
    cache = tmp_path / "cache"
    build(tiny, tmp_path / "first", styles_dir=STYLES, cache_dir=cache)
    for path in entries(cache):
        path.write_bytes(b"")
    build(tiny, tmp_path / "second", styles_dir=STYLES, cache_dir=cache)
    assert outputs(tmp_path / "second") == outputs(tmp_path / "first")


def test_changed_data_is_drawn_afresh_not_served_from_the_cache(tiny, tmp_path):
    cache = tmp_path / "cache"
    build(tiny, tmp_path / "before", styles_dir=STYLES, cache_dir=cache)
    data = tiny / "data"
    (data / "cases.csv").write_text("kind,children\nRunaway,301\nAbduction,50\n", encoding="utf-8")
    totals = (data / "control_totals.csv").read_text(encoding="utf-8")
    (data / "control_totals.csv").write_text(totals.replace(",350,", ",351,"), encoding="utf-8")
    build(tiny, tmp_path / "cached", styles_dir=STYLES, cache_dir=cache)
    build(tiny, tmp_path / "clean", styles_dir=STYLES, cache_dir=None)
    assert outputs(tmp_path / "cached") == outputs(tmp_path / "clean")
    assert outputs(tmp_path / "cached")[PDF] != outputs(tmp_path / "before")[PDF]


def test_a_cache_that_cannot_be_written_only_means_drawing_again(tiny, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    build(tiny, tmp_path / "out", styles_dir=STYLES, cache_dir=blocker / "cache")
    build(tiny, tmp_path / "clean", styles_dir=STYLES, cache_dir=None)
    assert outputs(tmp_path / "out") == outputs(tmp_path / "clean")


def test_the_key_changes_with_data_words_size_theme_and_fonts(tmp_path):
    theme = Theme.load(STYLES)
    chart = assemble(load_content(TINY), STYLES).charts["cases"]
    key = picture_key("svg", chart, theme, {})
    assert key == picture_key("svg", chart, Theme.load(STYLES), {}), "same inputs, same key"
    series = dataclasses.replace(chart.series, values=(chart.series.values[0] + 1, *chart.series.values[1:]))
    other_colours = theme.settings.chart.model_copy(update={"palette": ["#000000"]})
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    regular = fonts / theme.font_files["regular"].name
    regular.write_bytes(theme.font_files["regular"].read_bytes() + b"\0")
    changed = {
        "data": picture_key("svg", dataclasses.replace(chart, series=series), theme, {}),
        "labels": picture_key("svg", dataclasses.replace(chart, series=Series(("x",), (1.0,))), theme, {}),
        "words": picture_key("svg", dataclasses.replace(chart, value_label="Other"), theme, {}),
        "kind": picture_key("png", chart, theme, {}),
        "size": picture_key("png", chart, theme, {"width_in": 11.0, "height_in": 5.0}),
        "theme": picture_key(
            "svg",
            chart,
            dataclasses.replace(theme, settings=theme.settings.model_copy(update={"chart": other_colours})),
            {},
        ),
        "font bytes": picture_key(
            "svg", chart, dataclasses.replace(theme, font_files={**theme.font_files, "regular": regular}), {}
        ),
    }
    assert key not in changed.values() and len(set(changed.values())) == len(changed)


def test_the_user_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("IMPACT_REPORT_CACHE", str(tmp_path / "mine"))
    assert ChartPictures.at("user").folder == tmp_path / "mine" / "charts"
    monkeypatch.delenv("IMPACT_REPORT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert chart_cache.user_cache_dir() == tmp_path / "xdg" / "impact-report"
    assert ChartPictures.at(None).folder is None


def test_binding_the_model_imports_no_plotting_library():
    """The model stage, and a build whose pictures are all cached, never pay for matplotlib,
    seaborn or pandas."""
    code = (
        "import sys; from render.build import build; import render.assemble, render.cli, render.deck\n"
        "print(sorted({'matplotlib', 'seaborn', 'pandas'} & set(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.fixture(autouse=True)
def _no_user_cache(monkeypatch, tmp_path):
    """Whatever a test here forgets to pass, nothing lands in the user's real cache."""
    monkeypatch.setenv("IMPACT_REPORT_CACHE", str(tmp_path / "user-cache"))


def test_charts_drawn_half_in_a_forked_child_are_the_same_bytes(report, monkeypatch, tmp_path):
    """With a core to spare the PDF's charts are shared with a forked child: the same pictures,
    and this process draws only some of them. A child that fails leaves them all to this one."""
    from render.pdf import chart_svgs

    theme = Theme.load(STYLES)
    alone = chart_svgs(report, theme, ChartPictures(None))
    drawn_here: list[str] = []
    real = chart_draw.render_svg
    parent = os.getpid()

    def counting(chart, *args, **kwargs):
        if os.getpid() == parent:
            drawn_here.append(chart.id)
        return real(chart, *args, **kwargs)

    monkeypatch.setattr(chart_draw, "render_svg", counting)
    shared = chart_svgs(report, theme, ChartPictures(tmp_path / "charts"), apart=True)
    assert shared == alone
    assert 0 < len(drawn_here) <= len(alone) // 2 + 1, "the child drew the others"
    assert len(entries(tmp_path)) == len(alone), "the child's pictures are in the cache too"

    def failing_in_the_child(chart, *args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return counting(chart, *args, **kwargs)

    monkeypatch.setattr(chart_draw, "render_svg", failing_in_the_child)
    drawn_here.clear()
    assert chart_svgs(report, theme, ChartPictures(None), apart=True) == alone
    assert len(drawn_here) == len(alone)
