"""Content is never trusted code: no expression runs code or reads a file, no name reaches outside the
content folder, and what cannot be laid out is refused instead of silently dropped.

Each test attacks a private copy of the tiny report, the way an attacker or a clumsy editor would,
and checks the located error; most stop at the model stage, which is where the rules live.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image as PILImage

from conftest import STYLES
from render.assemble import assemble
from render.build import build
from render.coverage import check_coverage
from render.errors import ContentError
from render.load import load_content
from render.theme import Theme

PWNED = Path("/tmp/impact-report-pwned")


def model_error(content: Path) -> str:
    with pytest.raises(ContentError) as caught:
        report = assemble(load_content(content), STYLES)
        check_coverage(report, Theme.load(STYLES))
    return caught.value.describe()


def model(content: Path):
    return assemble(load_content(content), STYLES)


def write_section(content: Path, body: str) -> tuple[Path, int]:
    """Append body to the tiny report's section; returns the file and the line body starts on."""
    section = content / "sections" / "intro.md"
    before = section.read_text(encoding="utf-8")
    section.write_text(before + "\n" + body + "\n", encoding="utf-8")
    return section, before.count("\n") + 2


# --- expressions run in a sandbox ----------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {PWNED}').read() }}}}",
        "{{ lipsum.__globals__ }}",
        "{{ joiner() }}",
        "{{ namespace() }}",
        "{{ range(3) }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ calls.__class__ }}",
        "{{ tables.cases.path }}",
        "{{ tables.cases._table.path }}",
        "{{ tables.cases.total.__self__ }}",
        "{{ tables.items() }}",
        "{{ report.__class__ }}",
        "{{ report.organisation.upper() }}",
        "{{ calls | attr('__class__') }}",
        "{{ 'x' * 1000000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ '%s' % calls }}",
        "{% include '/etc/passwd' %}",
        "{% for i in tables %}{% endfor %}",
        "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}",
    ],
)
def test_an_expression_cannot_escape_the_sandbox(tiny_content, expression):
    PWNED.unlink(missing_ok=True)
    section, line = write_section(tiny_content, f"Word {expression} end.")
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message, message
    assert not PWNED.exists()
    assert "root:" not in message  # nothing read from /etc/passwd


def test_a_report_toml_text_is_sandboxed_too(tiny_content):
    config = tiny_content / "report.toml"
    text = config.read_text()
    config.write_text(
        text.replace('caption = "Cases by kind', 'caption = "{{ lipsum.__globals__ }} Cases by kind')
    )
    message = model_error(tiny_content)
    line = next(n for n, t in enumerate(config.read_text().splitlines(), 1) if "lipsum" in t)
    assert f"report.toml, line {line}" in message


def test_the_documented_expressions_still_work(tiny_content):
    write_section(
        tiny_content,
        "Share {{ tables.cases.share(kind='Runaway') | percent }}, "
        "total {{ tables['cases'].total() | number }}, "
        "one {{ tables.cases.value(kind='Abduction') | number }}, "
        "change {{ change(10000, 12500) | percent }}, "
        "year {{ report.year - 1 }}.",
    )
    text = model(tiny_content).sections[0].blocks[-1].markdown
    assert "Share 86%, total 350, one 50, change 25%, year 2021." in text


def test_an_unknown_table_suggests_the_right_name(tiny_content):
    section, line = write_section(tiny_content, "We had {{ tables.casse.total() | number }} cases.")
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message and "did you mean 'cases'" in message


# --- styles templates run in the same sandbox ----------------------------------------------------


@pytest.fixture
def styles_copy(tmp_path) -> Path:
    target = tmp_path / "styles"
    shutil.copytree(STYLES, target)
    return target


def html_error(content: Path, styles: Path) -> str:
    from render.pdf import _html, render_html
    from render.pdf_parts import whole

    report = assemble(load_content(content), styles)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    theme = Theme.load(styles)
    with pytest.raises(ContentError) as caught:
        source = render_html(report, theme, {cid: svg for cid in report.charts})
        _html(report, theme, source.layout, whole(source.layout))
    return caught.value.describe()


@pytest.mark.parametrize(
    "inserted, expected",
    [
        ("{{ cycler.__init__.__globals__.os }}", "report.html.j2"),
        ("{{ meta.__class__.__mro__ }}", "report.html.j2"),
        ("{% include '/etc/passwd' %}", "does not exist in the styles folder"),
        ("{% include '../../../../etc/passwd' %}", "does not exist in the styles folder"),
        ("{% include 'missing.html' %}", "'missing.html' does not exist"),
        ("{% if meta.title %", "template error"),
    ],
)
def test_a_styles_template_is_sandboxed_and_its_mistakes_located(
    tiny_content, styles_copy, inserted, expected
):
    template = styles_copy / "templates" / "report.html.j2"
    text = template.read_text()
    template.write_text(text.replace("<body>\n", f"<body>\n{inserted}\n"))
    message = html_error(tiny_content, styles_copy)
    assert expected in message, message
    assert "root:" not in message


def test_a_styles_template_may_not_include_a_file_through_a_symlink_out(tiny_content, styles_copy, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text("SECRET")
    (styles_copy / "templates" / "leak.html").symlink_to(secret)
    template = styles_copy / "templates" / "report.html.j2"
    template.write_text(template.read_text().replace("<body>\n", "<body>\n{% include 'leak.html' %}\n"))
    assert "is outside" in html_error(tiny_content, styles_copy)


def test_a_title_with_quotes_and_ampersand_prints_as_written_everywhere(tiny_content, tmp_path):
    from pptx import Presentation
    from pypdf import PdfReader

    config = tiny_content / "report.toml"
    config.write_text(
        config.read_text().replace('title = "Tiny {{ report.year }}"', 'title = "Safety & \\"Impact\\""')
    )
    result = build(tiny_content, tmp_path / "out", styles_dir=STYLES)
    reader = PdfReader(str(result.outputs["pdf"]))
    pages = [p.extract_text() for p in reader.pages]
    text = " ".join(pages)
    assert all('Safety & "Impact"' in page for page in pages[2:-1])  # the running header (CSS)
    assert "&amp;" not in text and "&#34;" not in text and "\\22" not in text
    assert reader.metadata.title == 'Safety & "Impact"'
    deck = Presentation(str(result.outputs["pptx"]))
    assert deck.slides[0].shapes.title.text == 'Safety & "Impact"'
    assert deck.core_properties.title == 'Safety & "Impact"'


# --- every file resolves inside the content ------------------------------------------------------


def test_a_symlinked_section_pointing_outside_is_refused(tiny_content, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nThe secret text.\n")
    section = tiny_content / "sections" / "intro.md"
    section.unlink()
    section.symlink_to(secret)
    message = model_error(tiny_content)
    assert "outside" in message and "symbolic link" in message


def test_a_symlinked_section_inside_the_content_still_works(tiny_content):
    section = tiny_content / "sections" / "intro.md"
    kept = tiny_content / "drafts" / "intro.md"
    kept.parent.mkdir()
    section.rename(kept)
    section.symlink_to(kept)
    assert model(tiny_content).sections[0].title == "Introduction"


def test_a_symlinked_data_file_pointing_outside_is_refused(tiny_content, tmp_path):
    data = tiny_content / "data" / "cases.csv"
    outside = tmp_path / "cases.csv"
    shutil.move(data, outside)
    data.symlink_to(outside)
    assert "is outside" in model_error(tiny_content)


# --- pictures: only from images/, with alt text --------------------------------------------------


def make_png(path: Path, size=(40, 20)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", size, (11, 61, 107)).save(path)


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("![A secret](/etc/passwd.svg)", "absolute path"),
        ("![A secret][ref]\n\n[ref]: /abs/path.svg", "absolute path"),
        ("![A photo](https://example.org/photo.png)", "not a file in the content's images/ folder"),
        ("![A photo](../../outside.png)", "is outside"),
        ("![A photo](images/missing.png)", "does not exist"),
        ("![](images/photo.png)", "has no alt text"),
        ("![A document](images/notes.txt)", "not a picture this report can show"),
    ],
)
def test_an_image_must_be_a_described_picture_in_images(tiny_content, tmp_path, markdown, expected):
    make_png(tiny_content / "images" / "photo.png")
    make_png(tmp_path / "content" / "outside.png")
    (tiny_content / "images" / "notes.txt").write_text("text")
    section, line = write_section(tiny_content, markdown)
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message, message
    assert expected in message
    assert "styles" not in message.split("\n")[0]  # blamed on the text, not on the styles folder


@pytest.mark.parametrize(
    "svg, expected",
    [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<image href="file:///etc/passwd" width="10" height="10"/></svg>',
            "refers to 'file:///etc/passwd'",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            '<style>rect { fill: url("/etc/x.svg#a") }</style><rect width="5" height="5"/></svg>',
            "refers to '/etc/x.svg#a'",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>',
            "declares XML entities",
        ),
    ],
)
def test_an_svg_may_not_reach_outside_itself(tiny_content, svg, expected):
    (tiny_content / "images").mkdir()
    (tiny_content / "images" / "drawing.svg").write_text(svg)
    section, line = write_section(tiny_content, "![A drawing](images/drawing.svg)")
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message and expected in message


def test_pictures_from_images_reach_the_pdf_with_alt_text_or_as_decoration(tiny_content, tmp_path):
    from pdfstruct import structure

    make_png(tiny_content / "images" / "team.png", (400, 200))
    make_png(tiny_content / "images" / "rule.png", (600, 10))
    write_section(
        tiny_content, "![Our team at the summit](images/team.png)\n\n![](../images/rule.png){.decorative}"
    )
    result = build(tiny_content, tmp_path / "out", styles_dir=STYLES, formats=("pdf",))
    root, _ = structure(result.outputs["pdf"])
    alts = [e.alt for e in root.walk() if e.role == "Figure"]
    assert "Our team at the summit" in alts
    assert all(alt for alt in alts)  # the decorative rule is no untagged figure


def test_the_pdf_fetcher_refuses_files_outside_the_folders(tiny_content, styles_copy, tmp_path):
    css = styles_copy / "report.css.j2"
    css.write_text(css.read_text() + '\nbody { background: url("file:///etc/hostname"); }\n')
    with pytest.raises(ContentError) as caught:
        build(tiny_content, tmp_path / "out", styles_dir=styles_copy, formats=("pdf",))
    assert "outside the content, styles and package folders" in caught.value.describe()


# --- raw HTML, nesting, sizes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "html, tag",
    [
        ("<script>alert(1)</script>", "script"),
        ('<iframe src="https://example.org"></iframe>', "iframe"),
        ('Text <img src="x" onerror="alert(1)"> more', "img"),
        ("<style>body { display: none }</style>", "style"),
        ("Some <b>bold</b> words", "b"),
    ],
)
def test_raw_html_is_refused_naming_the_tag(tiny_content, html, tag):
    section, line = write_section(tiny_content, html)
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message and f"raw HTML <{tag}>" in message


def test_a_literal_less_than_sign_is_still_text(tiny_content):
    write_section(tiny_content, "Fewer calls came in at night, when a < b holds.")
    assert "a < b" in model(tiny_content).sections[0].blocks[-1].markdown


def test_lists_nested_past_three_levels_are_refused_not_dropped(tiny_content):
    items = "\n".join("  " * depth + f"- item {chr(97 + depth % 26)}" for depth in range(40))
    section, line = write_section(tiny_content, items + "\n\nThe paragraph after.")
    message = model_error(tiny_content)
    assert f"intro.md, line {line + 3}" in message and "nested 4 levels deep" in message


def test_callouts_nested_in_callouts_are_refused_not_dropped(tiny_content):
    section, line = write_section(tiny_content, "> " * 30 + "Deep words.\n\nThe paragraph after.")
    assert f"intro.md, line {line}" in model_error(tiny_content)


def test_three_levels_of_list_keep_every_item(tiny_content):
    from render.text import markdown_to_html

    items = "\n".join("  " * depth + f"- level {'abc'[depth]}" for depth in range(3))
    write_section(tiny_content, items + "\n\nThe paragraph after.")
    html = markdown_to_html(model(tiny_content).sections[0].blocks[-1].markdown)
    assert all(f"level {x}" in html for x in "abc") and "The paragraph after." in html


def test_a_huge_section_is_refused_quickly_with_its_size(tiny_content):
    write_section(tiny_content, ("Words without end. " * 60 + "\n\n") * 10_000)
    assert "a section may hold at most 200 KB" in model_error(tiny_content)


def test_a_huge_integer_in_a_csv_is_a_located_error(tiny_content):
    data = tiny_content / "data" / "cases.csv"
    data.write_text(data.read_text().replace("Runaway,300", "Runaway," + "9" * 5000))
    message = model_error(tiny_content)
    assert "cases.csv, line 2" in message and "5000-digit" in message


def test_a_character_the_font_lacks_is_named_with_its_place(tiny_content):
    section, line = write_section(tiny_content, "Thank you, 谢谢, and 😀 to everyone.")
    message = model_error(tiny_content)
    assert f"intro.md, line {line}" in message
    assert "U+8C22" in message and "U+1F600" in message


def test_a_category_the_font_lacks_is_named_in_its_data_file(tiny_content):
    data = tiny_content / "data" / "cases.csv"
    data.write_text(data.read_text().replace("Abduction", "Abducción ✈"))
    schema = tiny_content / "data" / "cases.schema.json"
    schema.write_text(schema.read_text().replace('"Abduction"', '"Abducción ✈"'))
    message = model_error(tiny_content)
    assert "U+2708" in message and "U+00E9" not in message  # é is in the font; ✈ is not
    assert "cases.csv, line 3" in message or "cases.schema.json" in message


# --- what does not fit is laid out, never clipped ------------------------------------------------


def characters_off_the_page(pdf: Path) -> list[tuple[int, str]]:
    """Characters whose box reaches into the outer half inch of the page (or beyond it)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    def chars(item):
        if isinstance(item, LTChar):
            yield item
        elif isinstance(item, LTContainer):
            for child in item:
                yield from chars(child)

    off = []
    for number, page in enumerate(extract_pages(str(pdf)), start=1):
        x0, y0, x1, y1 = page.bbox
        for ch in chars(page):
            if ch.x0 < x0 + 36 or ch.x1 > x1 - 36 or ch.y0 < y0 + 36 or ch.y1 > y1 - 36:
                off.append((number, ch.get_text()))
    return off


def body_text(pdf: Path) -> str:
    """The body text (11 pt) of the PDF, without spaces: what a reader reads in the main column."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTContainer

    def chars(item):
        if isinstance(item, LTChar):
            yield item
        elif isinstance(item, LTContainer):
            for child in item:
                yield from chars(child)

    return "".join(
        ch.get_text() for page in extract_pages(str(pdf)) for ch in chars(page) if abs(ch.size - 11) < 0.2
    ).replace(" ", "")


def pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(str(pdf)).pages)


def test_a_two_thousand_character_word_wraps_inside_the_page(tiny_content, tmp_path):
    word = "Supercalifragilistic" * 100
    write_section(tiny_content, f"The word {word} ends here.")
    result = build(tiny_content, tmp_path / "out", styles_dir=STYLES, formats=("pdf",))
    assert characters_off_the_page(result.outputs["pdf"]) == []
    assert word in body_text(result.outputs["pdf"])  # every letter, in order, across the page break


def test_a_sixty_column_table_is_split_into_column_groups_that_all_fit(tiny_content, tmp_path):
    regions = [f"Region {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(60)]
    rows = ["kind,region,children"] + [
        f"{k},{r},{1000 + i}" for k in ("Runaway", "Abduction") for i, r in enumerate(regions)
    ]
    (tiny_content / "data" / "wide.csv").write_text("\n".join(rows) + "\n")
    (tiny_content / "data" / "wide.schema.json").write_text(
        '{"title": "Wide", "source": "Example", "fields": ['
        '{"name": "kind", "type": "string", "title": "Kind"},'
        '{"name": "region", "type": "string", "title": "Region"},'
        '{"name": "children", "type": "integer", "title": "Children", "unit": "children"}]}'
    )
    config = tiny_content / "report.toml"
    config.write_text(
        config.read_text()
        + '\n[tables.wide]\ntable = "wide"\nrows = "kind"\ncolumns = "region"\ntotals = true\n'
        + 'caption = "Children by kind and region"\n'
    )
    write_section(tiny_content, '{{ table("wide") }}')
    result = build(tiny_content, tmp_path / "out", styles_dir=STYLES, formats=("pdf",))
    text = pdf_text(result.outputs["pdf"])
    assert all(region.replace(" ", "") in "".join(text.split()) for region in regions)
    assert "(part 1 of" in text and "(part 2 of" in text
    assert characters_off_the_page(result.outputs["pdf"]) == []


@pytest.mark.parametrize(
    "attack",
    [
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "![A secret](/etc/passwd.svg)",
        "<script>alert(1)</script>",
    ],
)
def test_a_refused_build_exits_2_without_traceback_and_keeps_the_last_good_pair(
    tiny_content, tmp_path, capsys, attack
):
    from render.cli import main

    out = tmp_path / "out"
    assert main(["build", str(tiny_content), "--out", str(out), "--quiet"]) == 0
    before = _files(out)
    section, line = write_section(tiny_content, attack)
    capsys.readouterr()
    assert main(["build", str(tiny_content), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"intro.md, line {line}" in err and "Traceback" not in err and "uid=" not in err
    assert _files(out) == before


def _files(out):
    """Every file the outputs hold (the web edition is a folder), with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
