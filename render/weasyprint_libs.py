"""WeasyPrint, imported without running the C compiler and linker dozens of times.

WeasyPrint 70 opens Pango, HarfBuzz, fontconfig and GObject with cffi's `ffi.dlopen(name)`,
trying several spellings of each ('libgobject-2.0-0', 'gobject-2.0-0', 'gobject-2.0',
'libgobject-2.0.so.0', …). For every spelling that is not a loadable file name, cffi calls
`ctypes.util.find_library`, which on Linux runs `ldconfig -p`, then gcc, then ld: 68
subprocesses per `import weasyprint` here, 0.90-1.11 s for the import instead of 0.60-0.67 s
(5 fresh processes each, load ~3.5).

While WeasyPrint is imported, find_library answers from a single `ldconfig -p` (what CPython's
own first step reads) and otherwise says "not found" at once instead of asking gcc and ld. Every
library WeasyPrint needs has a spelling that is a plain file name ('libpango-1.0.so.0'), which
the dynamic loader resolves by itself (LD_LIBRARY_PATH included), so no library is lost; one
that only gcc's own search path could find is the exception. Other platforms import as usual.

Every module of ours that needs WeasyPrint imports it from here, so this runs first.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

# As ctypes.util._findSoname_ldconfig maps machines to the ABI names ldconfig prints.
ABI = {
    "x86_64-64": "libc6,x86-64",
    "ppc64-64": "libc6,64bit",
    "sparc64-64": "libc6,64bit",
    "s390x-64": "libc6,64bit",
    "ia64-64": "libc6,IA-64",
}


@cache
def _ldconfig_cache() -> str:
    try:
        return subprocess.run(
            ["/sbin/ldconfig", "-p"], capture_output=True, text=True, env={"LC_ALL": "C", "LANG": "C"}
        ).stdout
    except OSError:
        return ""


def _find_library(name: str) -> str | None:
    """ctypes.util.find_library's ldconfig step alone, from one run of ldconfig."""
    machine = os.uname().machine + ("-64" if sys.maxsize > 2**32 else "-32")
    abi = ABI.get(machine, "libc6")
    found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}", _ldconfig_cache())
    return found.group(1) if found else None


@contextmanager
def _quick_find_library() -> Iterator[None]:
    if not sys.platform.startswith("linux"):
        yield
        return
    saved = ctypes.util.find_library
    ctypes.util.find_library = _find_library
    try:
        yield
    finally:
        ctypes.util.find_library = saved


with _quick_find_library():
    import weasyprint
    from weasyprint.pdf import fonts as weasyprint_fonts
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

__all__ = ["FatalURLFetchingError", "FontConfiguration", "URLFetcher", "weasyprint", "weasyprint_fonts"]
