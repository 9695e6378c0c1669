"""The PDF's fonts are subset one way on every machine, and fast: micro-documents and single fonts."""

from __future__ import annotations

import io

import pytest
import weasyprint
from fontTools import subset
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._k_e_r_n import KernTable_format_0
from weasyprint.pdf import fonts as weasyprint_fonts

from conftest import STYLES
from render import fontsubset
from render.theme import Theme


@pytest.fixture(scope="module")
def regular() -> bytes:
    return Theme.load(STYLES).font_files["regular"].read_bytes()


def weasyprint_options() -> subset.Options:
    """The options WeasyPrint 70 subsets with (weasyprint/pdf/fonts.py, Font._fonttools_subset)."""
    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=False,
    )
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    return options


def subset_bytes(font_bytes: bytes, subsetter_class) -> bytes:
    font = TTFont(io.BytesIO(font_bytes))
    subsetter = subsetter_class(weasyprint_options())
    subsetter.populate(gids=set(range(1, 120)))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def test_the_hook_still_fits_this_weasyprint():
    """If this fails, a WeasyPrint release moved what fontsubset swaps: update the hook."""
    assert fontsubset.hook_applies()


def test_fonts_are_subset_by_fonttools_even_where_harfbuzz_subset_is_installed(monkeypatch):
    used = []
    # As on a machine where libharfbuzz-subset loads (e.g. one with Debian's chromium).
    monkeypatch.setattr(weasyprint_fonts, "harfbuzz_subset", object())
    monkeypatch.setattr(weasyprint_fonts.Font, "_harfbuzz_subset", lambda *a: used.append("harfbuzz"))
    subsetter = fontsubset.PrunedFirstSubsetter.subset
    monkeypatch.setattr(
        fontsubset.PrunedFirstSubsetter,
        "subset",
        lambda self, font: used.append("fontTools") or subsetter(self, font),
    )
    font = Theme.load(STYLES).font_files["regular"]
    css = f"@font-face {{ font-family: Probe; src: url({font.as_uri()}) }} p {{ font-family: Probe }}"

    def write() -> None:
        config = weasyprint.text.fonts.FontConfiguration()
        document = weasyprint.HTML(string="<p>Same bytes everywhere</p>")
        document.write_pdf(stylesheets=[weasyprint.CSS(string=css, font_config=config)], font_config=config)

    write()
    assert used == ["harfbuzz"], "without the hook WeasyPrint would pick HarfBuzz here"
    used.clear()
    with fontsubset.reproducible_subsetting():
        write()
    assert used == ["fontTools"]
    assert weasyprint_fonts.subset is subset, "WeasyPrint is left as it was found"


def test_dropping_layout_tables_first_gives_fonttools_own_bytes(regular, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    assert subset_bytes(regular, fontsubset.PrunedFirstSubsetter) == subset_bytes(regular, subset.Subsetter)


def test_a_legacy_kern_table_is_dropped_as_fonttools_drops_it(regular, monkeypatch):
    """fontTools drops `kern` when GPOS is still in the font as it meets it; dropping GPOS
    earlier must not change that decision."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1672531200")
    font = TTFont(io.BytesIO(regular))
    table = KernTable_format_0()
    table.version, table.coverage, table.format, table.tupleIndex = 0, 1, 0, None
    order = font.getGlyphOrder()
    table.kernTable = {(order[5], order[6]): -40}
    font["kern"] = newTable("kern")
    font["kern"].version, font["kern"].kernTables = 0, [table]
    with_kern = io.BytesIO()
    font.save(with_kern)
    fast = subset_bytes(with_kern.getvalue(), fontsubset.PrunedFirstSubsetter)
    assert fast == subset_bytes(with_kern.getvalue(), subset.Subsetter)
    assert "kern" not in TTFont(io.BytesIO(fast))
