#!/usr/bin/env bash
# What the test suite needs to run veraPDF (render/verapdf.py): a headless JDK and Debian's JAXB
# runtime. Installed from Debian when missing; does nothing when both are there.
set -euo pipefail
if command -v javac >/dev/null 2>&1 && [[ -f /usr/share/java/jaxb-runtime.jar ]]; then
    exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
    sudo="sudo"
fi
packages=(libjaxb-java)
command -v javac >/dev/null 2>&1 || packages+=(default-jdk-headless)
echo "Installing ${packages[*]} from Debian for the PDF/UA-2 tests (once) ..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
