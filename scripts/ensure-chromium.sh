#!/usr/bin/env bash
# What the test suite needs to open the web edition in a real browser (tests/test_web_browser.py):
# Debian's Chromium, driven headless through Playwright (which cannot download a browser of its own
# here). Installed from Debian when missing; does nothing when it is there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
    sudo="sudo"
fi
echo "Installing chromium from Debian for the web edition's browser tests (once) ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
