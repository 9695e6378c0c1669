#!/usr/bin/env bash
# Render the slide deck to PNG images, one per slide, for looking at every slide before presenting.
#
#   scripts/preview-deck.sh [PPTX] [OUTDIR]
#
# Defaults: the newest output/<year>/impact-report-<year>.pptx and output/<year>/preview/.
# PREVIEW_DPI sets the images' resolution (default 50); PYTHON the interpreter that finds the theme's
# font (default the project's .venv).
# LibreOffice (headless) turns the deck into a PDF and pdftoppm turns each page into a PNG. Both are
# installed from Debian when missing. LibreOffice is pointed at the report's own font files, so the
# preview shows the face the deck names instead of a substitute with different widths.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"

deck="${1:-}"
if [[ -z "$deck" ]]; then
    year="$(ls -1 "$root/output" 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)"
    if [[ -z "$year" ]]; then
        echo "No output/<year>/ folder yet: build the report first (make report)." >&2
        exit 2
    fi
    deck="$root/output/$year/impact-report-$year.pptx"
fi
if [[ ! -f "$deck" ]]; then
    echo "No deck at $deck: build it first (make report, or impact-report build --only pptx)." >&2
    exit 2
fi
deck="$(cd "$(dirname "$deck")" && pwd)/$(basename "$deck")"
outdir="${2:-$(dirname "$deck")/preview}"

install() {
    local packages=("$@")
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then
        sudo="sudo"
    fi
    echo "Installing ${packages[*]} from Debian (a few minutes the first time) ..." >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
}
missing=()
command -v soffice >/dev/null || missing+=(libreoffice-impress)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if ((${#missing[@]})); then
    install "${missing[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A fontconfig setup that adds the theme's font folder to the system's fonts.
fonts=""
if [[ -x "$python" ]]; then
    fonts="$(PYTHONPATH="$root" "$python" -c 'import sys
from render.build import PROJECT_ROOT
from render.theme import Theme
files = Theme.load(PROJECT_ROOT / "styles").font_files
print(next(iter(files.values())).parent)' 2>/dev/null || true)"
fi
if [[ -n "$fonts" ]]; then
    cat > "$work/fonts.conf" <<CONF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>$fonts</dir>
  <cachedir>$work/fontcache</cachedir>
</fontconfig>
CONF
    export FONTCONFIG_FILE="$work/fonts.conf"
fi

# A private LibreOffice profile, so a running LibreOffice or an old profile cannot interfere.
soffice --headless --norestore "-env:UserInstallation=file://$work/profile" \
    --convert-to pdf --outdir "$work" "$deck" >/dev/null
pdf="$work/$(basename "${deck%.*}").pdf"
if [[ ! -f "$pdf" ]]; then
    echo "LibreOffice did not convert $deck" >&2
    exit 1
fi

mkdir -p "$outdir"
rm -f "$outdir"/slide-*.png
pdftoppm -png -r "${PREVIEW_DPI:-50}" "$pdf" "$outdir/slide"
cp "$pdf" "$outdir/"
count="$(ls -1 "$outdir"/slide-*.png | wc -l)"
echo "Wrote $count slide images to $outdir"
