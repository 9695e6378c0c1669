"""How WeasyPrint subsets the fonts it embeds: always with fontTools, and without fontTools 4.68's
detour through tables that are dropped anyway.

One subsetter, chosen deliberately. WeasyPrint 70 (weasyprint/pdf/fonts.py, `Font.subset`) subsets
with HarfBuzz when a system libharfbuzz-subset >= 4.1 loads, and with fontTools otherwise. The two
produce different font subsets, so the same report had different PDF bytes on a machine where
something (Debian's chromium, for one) happened to install libharfbuzz-subset0. fontTools comes
from pip on every machine, pinned with the project, so the report always uses it: same inputs,
same bytes, whatever the system has.

Fast on every machine. fontTools 4.68 subsets these fonts about 5x slower than 4.67, because of
the behaviour below; `PrunedFirstSubsetter` drops what the options drop before fontTools looks at
it, which gives byte-identical subsets at 4.67's speed.

    fontTools 4.68.0: Subsetter.subset() decompiles GSUB and GPOS even when
    options.drop_tables lists them

    What: 4.68 wraps the subsetting in `beyond64k._compact_layout_tables(font)`, entered before
    `_prune_pre_subset`. It reads `font[tag]` for GDEF, GSUB and GPOS and, for layout tables
    older than version 1.2, walks every lookup (`_has_extended_layout_formats`), so both tables
    are fully decompiled, and only then does `_prune_pre_subset` delete them as asked. 4.67
    deleted them without reading them.
    Measured (Python 3.11, x86-64, SourceSansPro-Regular.ttf 2.020 from PyPI
    font-source-sans-pro, glyph ids 1-199, WeasyPrint 70's options, median of 5): 4.67.0 0.076 s,
    4.68.0 0.437 s; 4.68.0 with GSUB and GPOS deleted first 0.077 s, byte-identical output
    (with SOURCE_DATE_EPOCH set). In a 29-page report with five faces, 5 x ~0.4 s of the PDF's
    write time.
    Reproduce:
        import io, time
        from fontTools import subset

from .weasyprint_libs import weasyprint_fonts
        from fontTools.ttLib import TTFont
        font = TTFont("SourceSansPro-Regular.ttf")
        options = subset.Options(retain_gids=True, passthrough_tables=True,
                                 ignore_missing_glyphs=True, hinting=False, desubroutinize=True)
        options.drop_tables += ["GSUB", "GPOS"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=set(range(1, 200)))
        start = time.perf_counter(); subsetter.subset(font); print(time.perf_counter() - start)
    Expected: tables in drop_tables are dropped before anything decompiles them (e.g. run
    `_compact_layout_tables` after the drop step of `_prune_pre_subset`, or skip tags that
    `drop_tables` lists).

The hook is two module attributes of weasyprint.pdf.fonts, swapped only while our PDF is written
(`reproducible_subsetting`): `harfbuzz_subset` (None makes `Font.subset` take its fontTools
branch) and `subset` (the fontTools.subset module it calls as `subset.Options` and
`subset.Subsetter`). No WeasyPrint code is copied. If a WeasyPrint release moves either,
`hook_applies()` turns false: tests/test_fontsubset.py fails, and builds carry on with WeasyPrint's own
choice (slower, or with machine-dependent bytes) until the hook is updated.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

from fontTools import subset
from fontTools.ttLib import TTFont

from .weasyprint_libs import weasyprint_fonts


class PrunedFirstSubsetter(subset.Subsetter):
    """fontTools' Subsetter, except that GSUB and GPOS, when the options drop them, are dropped
    before fontTools 4.68 decompiles them (see the module docstring). What `_prune_pre_subset`
    would have decided is kept exactly: it drops `kern` (unless `legacy_kern`) when it meets it
    while GPOS is still in the font, which is always, since `kern` sorts before GPOS there."""

    def subset(self, font) -> None:
        drop = [tag for tag in ("GSUB", "GPOS") if tag in font and tag in self.options.drop_tables]
        if "GPOS" in drop and "kern" in font and not self.options.legacy_kern:
            drop.append("kern")
        for tag in drop:
            del font[tag]
        super().subset(font)


# What weasyprint.pdf.fonts uses of fontTools.subset.
_FAST_SUBSET = SimpleNamespace(Options=subset.Options, Subsetter=PrunedFirstSubsetter)


def hook_applies() -> bool:
    """Whether this WeasyPrint still subsets through the two attributes the hook swaps."""
    return (
        getattr(weasyprint_fonts, "subset", None) is subset
        and hasattr(weasyprint_fonts, "harfbuzz_subset")
        and hasattr(weasyprint_fonts.Font, "_fonttools_subset")
    )


@contextmanager
def reproducible_subsetting() -> Iterator[None]:
    """While WeasyPrint writes a PDF: subset with fontTools, never HarfBuzz, and skip the layout
    tables that WeasyPrint drops anyway."""
    if not hook_applies():
        warnings.warn(
            "render.fontsubset: this WeasyPrint subsets fonts differently; PDF bytes may depend on "
            "the machine's libraries",
            RuntimeWarning,
            stacklevel=2,
        )
        yield
        return
    saved = weasyprint_fonts.harfbuzz_subset, weasyprint_fonts.subset
    weasyprint_fonts.harfbuzz_subset = None
    weasyprint_fonts.subset = _FAST_SUBSET
    try:
        yield
    finally:
        weasyprint_fonts.harfbuzz_subset, weasyprint_fonts.subset = saved


@dataclass(frozen=True)
class DeferredFont:
    """A font a part's PDF embeds empty, to be subset once for all parts (pdf_merge.py): which
    file (by SHA-256) and face, the glyphs the part uses, and WeasyPrint's options for it."""

    digest: str
    index: int
    glyphs: tuple[int, ...]
    hinting: bool
    notdef_outline: bool


@contextmanager
def deferred_subsetting(files: dict[str, bytes]) -> Iterator[dict[str, DeferredFont]]:
    """While a part is written: the fonts whose files are given (by SHA-256) are embedded empty
    and their glyphs noted, by WeasyPrint's font name, in the dict yielded; the joined PDF embeds
    each font once, subset to the glyphs of every part (`subset_font`). Other fonts, and fonts
    WeasyPrint would change beyond subsetting (variable, colour or bitmap fonts), are subset as
    usual. Subsetting each part's fonts apart would cost five faces' subsetting per part and embed
    each glyph once per part."""
    deferred: dict[str, DeferredFont] = {}
    font_class = weasyprint_fonts.Font
    original = font_class.clean

    def clean(font, to_unicode, hinting):
        digest = hashlib.sha256(font.file_content).hexdigest()
        plain = not ("fvar" in font.tables or font.png or font.svg or font.colr or font.bitmap)
        if digest not in files or not plain or not to_unicode:
            return original(font, to_unicode, hinting)
        deferred[font.name.decode().lstrip("/")] = DeferredFont(
            digest, font.index, tuple(sorted(to_unicode)), bool(hinting), bool(font.missing)
        )
        font.file_content = b""

    font_class.clean = clean
    try:
        yield deferred
    finally:
        font_class.clean = original


def subset_font(data: bytes, fonts: list[DeferredFont]) -> bytes:
    """One font file subset to the glyphs of all the given uses of it, with the options WeasyPrint
    subsets with (Font._fonttools_subset), so it holds what each part's font would have held."""
    first = fonts[0]
    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=any(f.hinting for f in fonts),
        desubroutinize=True,
        notdef_outline=any(f.notdef_outline for f in fonts),
    )
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    subsetter = PrunedFirstSubsetter(options)
    subsetter.populate(gids=sorted({g for f in fonts for g in f.glyphs}))
    font = TTFont(io.BytesIO(data), fontNumber=first.index)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
