"""The shared look: colours, the font files, chart and slide sizes, read from styles/theme.toml.

One face for PDF, charts and slides: the font files come from an installed Python package, so the
same glyphs are used on every machine, and Matplotlib is told about them explicitly.
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import ContentError, read_utf8


@dataclass(frozen=True)
class Theme:
    styles_dir: Path
    data: dict

    @classmethod
    def load(cls, styles_dir: Path) -> Theme:
        path = styles_dir / "theme.toml"
        try:
            data = tomllib.loads(read_utf8(path))
        except FileNotFoundError:
            raise ContentError(path, "the theme file is missing") from None
        except tomllib.TOMLDecodeError as e:
            raise ContentError(path, f"the theme is not valid TOML: {e}") from None
        return cls(styles_dir, data)

    @property
    def colors(self) -> dict[str, str]:
        return self.data["colors"]

    @property
    def chart(self) -> dict:
        return self.data["chart"]

    @property
    def slides(self) -> dict:
        return self.data["slides"]

    @property
    def font_family(self) -> str:
        return self.data["font"]["family"]

    @property
    def font_fallback(self) -> str:
        return self.data["font"].get("fallback", "Arial")

    @cached_property
    def font_files(self) -> dict[str, Path]:
        """Style name (regular, bold …) → font file path inside the installed font package."""
        spec = self.data["font"]
        try:
            package = importlib.import_module(spec["package"])
        except ImportError:
            raise ContentError(
                self.styles_dir / "theme.toml",
                f"the font package {spec['package']!r} is not installed",
                hint="run `make report` again, which installs the dependencies",
            ) from None
        folder = Path(package.__file__).parent / "files"
        files = {}
        for style in ("regular", "italic", "semibold", "bold", "bold_italic", "black"):
            if style in spec:
                path = folder / spec[style]
                if not path.exists():
                    raise ContentError(
                        self.styles_dir / "theme.toml", f"font file {spec[style]!r} not found in {folder}"
                    )
                files[style] = path
        return files


def relative_luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    h = hex_color.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
