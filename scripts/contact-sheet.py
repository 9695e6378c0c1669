"""A contact sheet of the report or the deck: every page or slide as a numbered thumbnail in one PNG.

    .venv/bin/python scripts/contact-sheet.py [PDF-or-PPTX] [OUT.png]

Without arguments, both sheets of the newest output/<year>/: docs/pdf-contact-sheet.png and
docs/deck-contact-sheet.png. Slides are rendered with scripts/preview-deck.sh (LibreOffice, with
the report's own font), pages with pdftoppm (poppler, installed by that script when missing), so
the sheets show what the previews show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 5
THUMB = 400  # thumbnail width in pixels
GAP = 24
LABEL = 30  # room under each thumbnail for its number
BACKGROUND = "#E9EDF2"
INK = "#1A1A2E"


def newest(suffix: str) -> Path:
    years = sorted(
        (p for p in (ROOT / "output").glob("[0-9]*") if p.name.isdigit()), key=lambda p: int(p.name)
    )
    if not years:
        sys.exit("No output/<year>/ folder yet: build the report first (make report).")
    return years[-1] / f"impact-report-{years[-1].name}.{suffix}"


def render(document: Path, folder: Path) -> list[Path]:
    if document.suffix == ".pdf":
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(document), str(folder / "page")], check=True)
        return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    env = dict(os.environ, PREVIEW_DPI="72", PYTHON=os.environ.get("PYTHON", sys.executable))
    subprocess.run(
        [str(ROOT / "scripts" / "preview-deck.sh"), str(document), str(folder)], check=True, env=env
    )
    return sorted(folder.glob("slide-*.png"), key=lambda p: int(p.stem.split("-")[-1]))


def sheet(images: list[Path], columns: int = COLUMNS) -> Image.Image:
    first = Image.open(images[0])
    height = round(THUMB * first.height / first.width)
    rows = -(-len(images) // columns)
    size = (GAP + columns * (THUMB + GAP), GAP + rows * (height + LABEL + GAP))
    out = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(out)
    font = _font()
    for n, path in enumerate(images):
        x = GAP + (n % columns) * (THUMB + GAP)
        y = GAP + (n // columns) * (height + LABEL + GAP)
        thumb = Image.open(path).convert("RGB").resize((THUMB, height), Image.LANCZOS)
        out.paste(thumb, (x, y))
        draw.rectangle((x - 1, y - 1, x + THUMB, y + height), outline="#B8C2CE")
        draw.text((x, y + height + 6), str(n + 1), fill=INK, font=font)
    return out


def _font() -> ImageFont.ImageFont:
    try:
        from render.theme import Theme

        path = Theme.load(ROOT / "styles").font_files.get("bold")
        return ImageFont.truetype(str(path), 20) if path else ImageFont.load_default()
    except Exception:  # the sheet is still useful with the default bitmap font
        return ImageFont.load_default()


def make(document: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        images = render(document.resolve(), Path(tmp))
        if not images:
            sys.exit(f"Nothing rendered from {document}")
        out.parent.mkdir(parents=True, exist_ok=True)
        # 256 colours are plenty (flat colours, one chart palette) and a third of the size
        columns = 8 if document.suffix == ".pdf" else COLUMNS
        sheet(images, columns).quantize(256).save(out, optimize=True)
    print(f"Wrote {out} ({len(images)} {'pages' if document.suffix == '.pdf' else 'slides'})")


def main() -> None:
    if len(sys.argv) > 1:
        document = Path(sys.argv[1])
        kind = "pdf" if document.suffix == ".pdf" else "deck"
        make(
            document, Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / f"{kind}-contact-sheet.png"
        )
        return
    make(newest("pdf"), ROOT / "docs" / "pdf-contact-sheet.png")
    make(newest("pptx"), ROOT / "docs" / "deck-contact-sheet.png")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
