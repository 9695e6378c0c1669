"""Screenshots of the web edition at a desktop and a phone width, for looking at it and for notes.

    .venv/bin/python scripts/web-screenshots.py [WEB_DIR] [OUT_DIR]

Without arguments: the newest output/<year>/web/ into docs/ (web-1280.png, web-375.png: the top
of the page, one screen high; web-375-chart.png: the first chart on a phone). Uses Debian's
Chromium through Playwright, as the tests do (`make test` installs both).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    web = Path(sys.argv[1]) if len(sys.argv) > 1 else sorted((ROOT / "output").glob("*/web"))[-1]
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs"
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Chromium is not installed: run scripts/ensure-test-tools.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for width, height in ((1280, 900), (375, 812)):
            page = browser.new_page(viewport={"width": width, "height": height}, reduced_motion="reduce")
            page.goto((web / "index.html").as_uri())
            page.screenshot(path=out / f"web-{width}.png")
            if width == 375:
                page.locator("figure svg").first.scroll_into_view_if_needed()
                page.screenshot(path=out / f"web-{width}-chart.png")
            page.close()
        browser.close()
    print(f"Wrote web-1280.png, web-375.png, web-375-chart.png in {out}")


if __name__ == "__main__":
    main()
