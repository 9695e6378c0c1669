"""WeasyPrint is imported with its C libraries found from one `ldconfig -p`, not by running gcc and
ld for every spelling of every library name it tries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

COUNT_SUBPROCESSES = """
import subprocess
started = []
popen_init = subprocess.Popen.__init__
def counting(self, args, *more, **options):
    started.append(args if isinstance(args, str) else args[0])
    popen_init(self, args, *more, **options)
subprocess.Popen.__init__ = counting
import render.pdf
from render.weasyprint_libs import weasyprint_fonts
print(started, weasyprint_fonts.harfbuzz is not None)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick lookup is for Linux")
def test_importing_weasyprint_runs_one_ldconfig_and_still_finds_its_libraries():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-P", "-c", COUNT_SUBPROCESSES], env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "['/sbin/ldconfig'] True", done.stderr
