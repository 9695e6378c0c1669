#!/usr/bin/env bash
# The Debian programs the test suite runs, installed from Debian when missing (does nothing when
# they are there):
#   chromium       the web edition in a real browser, driven headless through Playwright, which
#                  cannot download a browser of its own here (tests/test_web_browser.py);
#   poppler-utils  pdftotext, which reads the PDF's pages for the comparison with the web
#                  edition (tests/webtext.py).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
    sudo="sudo"
fi
echo "Installing ${missing[*]} from Debian for the tests (once) ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
