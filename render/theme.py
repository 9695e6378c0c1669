"""The shared look: colours, the font files, chart and slide sizes, read from styles/theme.toml.

One face for PDF, charts and slides: the font files come from an installed Python package, so the
same glyphs are used on every machine, and Matplotlib is told about them explicitly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from fontTools.ttLib import TTFont

from .errors import ContentError
from .paths import Resolver
from .settings import ThemeSettings, read_toml, validate
from .tomlpos import key_lines, line_of

PACKAGE_DIR = Path(__file__).resolve().parent


FONT_STYLES = ("regular", "italic", "semibold", "bold", "bold_italic", "black")
FONT_WEIGHTS = {  # each style's CSS font-weight and font-style
    "regular": (400, "normal"),
    "italic": (400, "italic"),
    "semibold": (600, "normal"),
    "bold": (700, "normal"),
    "bold_italic": (700, "italic"),
    "black": (900, "normal"),
}


@dataclass(frozen=True)
class Theme:
    styles_dir: Path
    settings: ThemeSettings
    font_files: dict[str, Path]  # style name (regular, bold …) → a checked font file
    resolver: Resolver

    @classmethod
    def load(cls, styles_dir: Path) -> Theme:
        """theme.toml, checked against its schema, with every font file opened once to prove it is
        a font: a mistake here is a located error before anything renders."""
        styles_dir = Path(styles_dir)
        path = styles_dir / "theme.toml"
        data, text = read_toml(path)
        settings = validate(ThemeSettings, data, text, path)
        font_package = _font_folder(settings.font.package, path, text)
        resolver = Resolver.of(styles_dir, PACKAGE_DIR, font_package)
        folder = font_package or styles_dir
        lines = key_lines(text)
        files = {}
        for style in FONT_STYLES:
            name = getattr(settings.font, style)
            if name is None:
                continue
            line = line_of(lines, ("font", style))
            font = resolver.file(folder / name, blame=path, line=line, what="font file")
            _check_font(font, path, line)
            files[style] = font
        return cls(styles_dir, settings, files, resolver)

    @cached_property
    def colors(self) -> dict[str, str]:
        return self.settings.colors.model_dump()

    @cached_property
    def chart(self) -> dict:
        return self.settings.chart.model_dump()

    @property
    def page(self):
        return self.settings.page

    @cached_property
    def slides(self) -> dict:
        return self.settings.slides.model_dump(exclude_none=True)

    @property
    def font_family(self) -> str:
        return self.settings.font.family

    @property
    def font_fallback(self) -> str:
        return self.settings.font.fallback


def _font_folder(package: str | None, path: Path, text: str) -> Path | None:
    """The files/ folder of the installed font package, if the theme names one."""
    if package is None:
        return None
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise ContentError(
            path,
            f"the font package {package!r} is not installed",
            line=line_of(key_lines(text), ("font", "package")),
            hint="run `make report` again, which installs the dependencies",
        ) from None
    return Path(module.__file__).parent / "files"


def _check_font(font: Path, theme_path: Path, line: int | None) -> None:
    try:
        TTFont(str(font), lazy=True)["cmap"].getBestCmap()
    except Exception as e:  # fontTools raises many kinds for a damaged file; all mean "not a font"
        raise ContentError(
            theme_path,
            f"the font file {font.name} cannot be read as a font ({type(e).__name__})",
            line=line,
            hint="replace it with an intact .ttf or .otf file",
        ) from None


def relative_luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    h = hex_color.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
