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

from .theme import Theme

LINE = 1.25  # line height per point of type: Source Sans Pro's ascender plus descender
FALLBACK_WIDTH = 1.12  # Arial's widest ratio to Source Sans Pro, measured on the report's prose


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
    """One paragraph of a text box: a single run, so its size, weight and colour are one thing."""

    text: str
    size: float
    color: str
    bold: bool = False
    align: str = "left"
    bullet: bool = False
    space_before: float = 0.0


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

    def height(self, paras: list[Para], width: float) -> float:
        return sum(p.space_before + self.lines(p, width) * p.size * LINE for p in paras)

    def widest_word(self, text: str, size: float, bold: bool) -> float:
        return max((self.face(bold).width(w, size) for w in text.split()), default=0.0)

    @staticmethod
    def indent(size: float) -> float:
        return round(size * 1.1)

    @property
    def slide(self) -> dict:
        return self.theme.slides

    @property
    def size(self) -> tuple[float, float]:
        return self.slide["width_in"] * 72, self.slide["height_in"] * 72
