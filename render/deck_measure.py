"""How wide text sets and where it wraps, from the theme's font files, so the deck's plan can tell
whether a title needs two lines or a table one slide before anything is drawn.

Every run names the theme's face (the PDF's and the charts'). A presenting machine without it
substitutes the theme's fallback (Arial by default), which sets up to 12% wider than Source Sans Pro,
so every width is measured as if set in the fallback and the boxes survive the substitution.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .settings import SlideStyle
from .theme import Theme

LINE = 1.25  # line height per point of type: Source Sans Pro's ascender plus descender
FALLBACK_WIDTH = 1.12  # Arial's widest ratio to Source Sans Pro, measured on the report's prose
# Accessibility floors, not style: no slide text under 18 pt, no title under 28 pt, whatever the theme.
MIN_BODY, MIN_TITLE = 18.0, 28.0
SLACK = 4.0  # points a text box gets beyond its measured text, for rounding in the renderer


class _Face:
    """Advance widths of one font file, to estimate where PowerPoint will wrap a line."""

    def __init__(self, path: Path):
        font = TTFont(str(path), lazy=True)
        self.upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        self._widths = {code: hmtx[name][0] for code, name in font.getBestCmap().items()}
        self._missing = hmtx[".notdef"][0]
        p = font["OS/2"].panose
        self.panose = "".join(
            f"{v:02X}"
            for v in (
                p.bFamilyType,
                p.bSerifStyle,
                p.bWeight,
                p.bProportion,
                p.bContrast,
                p.bStrokeVariation,
                p.bArmStyle,
                p.bLetterForm,
                p.bMidline,
                p.bXHeight,
            )
        )

    def width(self, text: str, size: float, *, fallback: bool = True) -> float:
        """Points `text` sets in at `size`; as if in the wider fallback face unless told otherwise
        (the PDF embeds its font, so it never substitutes)."""
        units = sum(self._widths.get(ord(ch), self._missing) for ch in text)
        return units / self.upm * size * (FALLBACK_WIDTH if fallback else 1.0)

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        lines: list[str] = []
        line = ""
        for word in text.split():
            trial = f"{line} {word}" if line else word
            if line and self.width(trial, size) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        return lines + [line]


@lru_cache(maxsize=8)
def font_face(path: Path) -> _Face:
    return _Face(path)


@dataclass(frozen=True)
class Para:
    """One paragraph of a text box: its size, weight and colour are one thing. `links` gives the
    address of words that link (as (words, address) pieces that spell the text); empty for none."""

    text: str
    size: float
    color: str
    bold: bool = False
    align: str = "left"
    bullet: bool = False
    space_before: float = 0.0
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Type:
    """The theme's faces and colours, with the measurements the layout needs."""

    theme: Theme

    def face(self, bold: bool) -> _Face:
        files = self.theme.font_files
        return font_face(files["bold" if bold else "regular"] if "bold" in files else files["regular"])

    def lines(self, p: Para, width: float) -> int:
        indent = self.indent(p.size) if p.bullet else 0.0
        return len(self.face(p.bold).wrap(p.text, width - indent, p.size))

    def width(self, p: Para) -> float:
        """The widest line `p` sets in when nothing wraps it."""
        return self.face(p.bold).width(p.text, p.size)

    def height(self, paras: list[Para], width: float) -> float:
        return sum(p.space_before + self.lines(p, width) * p.size * LINE for p in paras)

    def widest_word(self, text: str, size: float, bold: bool) -> float:
        return max((self.face(bold).width(w, size) for w in text.split()), default=0.0)

    def indent(self, size: float) -> float:
        return round(size * self.style.points.indent)

    @property
    def style(self) -> SlideStyle:
        return self.theme.settings.slides

    @property
    def size(self) -> tuple[float, float]:
        return self.style.width_in * 72, self.style.height_in * 72

    @property
    def content_width(self) -> float:
        return self.size[0] - 2 * self.style.margin

    def title_paras(self, title: str, *, compact: bool = False) -> list[Para]:
        """The title at the theme's size, or smaller (never under 28 pt) when that saves a line: down
        to the theme's title_lines, or as few lines as possible when `compact` (a chart or table
        needs the height)."""
        s = self.style
        options = [
            [Para(title, size, s.title_color, bold=True)]
            for size in range(int(s.title_size), int(MIN_TITLE) - 1, -2)
        ]
        lines = [self.lines(paras[0], self.content_width) for paras in options]
        fewest = min(lines) if compact else max(s.title_lines, min(lines))
        return next(paras for paras, n in zip(options, lines) if n <= fewest)

    def title_height(self, paras: list[Para]) -> float:
        return self.height(paras, self.content_width) + SLACK

    def content_top(self, title: str, *, compact: bool = False) -> float:
        """Where a content slide's body starts, below its title and the title bar."""
        s = self.style
        return s.title_top + self.title_height(self.title_paras(title, compact=compact)) + s.title_gap
