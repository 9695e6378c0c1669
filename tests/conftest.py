"""Shared fixtures: the real 2022 report is built once per test session, and tests read the result.

Tests that change content work on a copy of content/2022 in a temporary folder, never the original.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from render.build import BuildResult, build

ROOT = Path(__file__).resolve().parent.parent
CONTENT_2022 = ROOT / "content" / "2022"
TINY = ROOT / "tests" / "fixtures" / "tiny" / "2022"  # one section, one table, one chart: fast builds
STYLES = ROOT / "styles"


@pytest.fixture(scope="session", autouse=True)
def _session_chart_cache(tmp_path_factory):
    """Builds keep their chart pictures in a folder of this session's (child processes too), never
    in the user's cache; builds of the same content in one session share it."""
    saved = os.environ.get("IMPACT_REPORT_CACHE")
    os.environ["IMPACT_REPORT_CACHE"] = str(tmp_path_factory.mktemp("chart-cache"))
    yield
    if saved is None:
        os.environ.pop("IMPACT_REPORT_CACHE", None)
    else:
        os.environ["IMPACT_REPORT_CACHE"] = saved


# Every year folder the project holds is built and checked, not only 2022.
YEARS = sorted((p for p in (ROOT / "content").iterdir() if p.name.isdigit()), key=lambda p: p.name)


@pytest.fixture(scope="session", params=YEARS, ids=[p.name for p in YEARS])
def year_content(request) -> Path:
    return request.param


@pytest.fixture(scope="session")
def pdf_build(tmp_path_factory, year_content) -> BuildResult:
    """The year's PDF and web edition, built from the real content in one build."""
    return build(year_content, tmp_path_factory.mktemp("pdf"), styles_dir=STYLES, formats=("pdf", "web"))


@pytest.fixture(scope="session")
def pdf_ua1_build(tmp_path_factory, year_content) -> BuildResult:
    """The year's PDF as PDF/UA-1 (report.toml's pdf_standard = "ua-1"), which stays supported."""
    out = tmp_path_factory.mktemp("pdf-ua1")
    return build(year_content, out, styles_dir=STYLES, formats=("pdf",), pdf_standard="ua-1")


@pytest.fixture(scope="session")
def verapdf_results(pdf_build, pdf_ua1_build) -> dict[tuple[str, str], dict]:
    """veraPDF on both PDFs, every profile, in one JVM: (file name, profile) → result."""
    from render import verapdf

    pdfs = [pdf_build.outputs["pdf"], pdf_ua1_build.outputs["pdf"]]
    renamed = []
    for path, kind in zip(pdfs, ("ua2", "ua1")):
        target = path.with_name(f"{kind}-{path.name}")
        shutil.copyfile(path, target)
        renamed.append(target)
    results = verapdf.validate(renamed)
    return {(Path(r["file"]).name.split("-")[0], r["profile"]): r for r in results}


@pytest.fixture(scope="session")
def deck_build(tmp_path_factory, year_content) -> BuildResult:
    """The year's deck, built from the real content."""
    return build(year_content, tmp_path_factory.mktemp("deck"), styles_dir=STYLES, formats=("pptx",))


@pytest.fixture(scope="session")
def built(pdf_build, deck_build) -> BuildResult:
    """Both outputs of the 2022 report."""
    return BuildResult(
        pdf_build.report,
        {**pdf_build.outputs, **deck_build.outputs},
        {**pdf_build.timings, **deck_build.timings},
    )


@pytest.fixture(scope="session")
def report(pdf_build):
    return pdf_build.report


@pytest.fixture(scope="session")
def pdf_path(pdf_build) -> Path:
    return pdf_build.outputs["pdf"]


@pytest.fixture(scope="session")
def web_dir(pdf_build) -> Path:
    """The year's web edition folder (index.html and its assets)."""
    return pdf_build.outputs["web"]


@pytest.fixture(scope="session")
def deck_path(deck_build) -> Path:
    return deck_build.outputs["pptx"]


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of the 2022 content that a test may edit."""
    target = tmp_path / "content" / "2022"
    shutil.copytree(CONTENT_2022, target)
    return target


@pytest.fixture
def tiny_content(tmp_path) -> Path:
    """A private copy of the tiny report (one section, one table, one chart) that a test may edit:
    for rules a whole build must show, at a fraction of the real report's build time."""
    target = tmp_path / "content" / "2022"
    shutil.copytree(TINY, target)
    return target
