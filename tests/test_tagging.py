"""The tag repairs on their own: only the named marked content changes, nothing else."""

from __future__ import annotations

from render.tagging import _retag


def test_retag_turns_only_the_named_mcids_into_artifacts():
    content = (
        b"/Span\n<</MCID 0>>\nBDC\n(a) Tj\nEMC\n/P <</MCID 1>> BDC (b) Tj EMC\n/Span << /MCID 12 >> BDC EMC"
    )
    rewritten, count = _retag(content, {1, 12})
    assert count == 2
    assert b"<</MCID 0>>" in rewritten
    assert b"MCID 1>" not in rewritten and b"MCID 12" not in rewritten
    assert rewritten.count(b"/Artifact << /Type /Pagination >> BDC") == 2
    assert b"(a) Tj" in rewritten and b"(b) Tj" in rewritten


def test_retag_leaves_content_alone_when_nothing_matches():
    content = b"/Span <</MCID 3>> BDC (x) Tj EMC"
    assert _retag(content, {4}) == (content, 0)
