"""The large-print PDF handouts, opened and measured: tags, language, fonts, sizes, text."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pytest

from pipeline.checks.pdf import inspect_pdf
from pipeline.checks.text import missing_segments
from pipeline.cli import main
from pipeline.core.errors import UnsafeResourceError
from pipeline.writers.common.fetcher import allowed_file

from conftest import ROOTS, SLUG, copy_project, handout_pdf

LANGUAGES = ["en", "es", "ar", "zh-Hans", "vi"]
FOOTERS = {"en": "Page 1 of", "es": "Página 1 de", "ar": "الصفحة 1 من", "zh-Hans": "第 1 页，共", "vi": "Trang 1 trên"}
FAMILY = {"en": "Andika", "es": "Andika", "vi": "Andika", "ar": "Noto-Sans-Arabic", "zh-Hans": "Noto-Sans-CJK-SC"}


@pytest.fixture
def built(pdf_handouts):
    return pdf_handouts


pdf_path = handout_pdf


@pytest.mark.parametrize("tag", LANGUAGES)
def test_tagged_pdf_ua_with_language_title_and_bookmarks(built, tag):
    root, jobs = built
    with pikepdf.open(pdf_path(root, tag)) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == tag
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
        assert str(pdf.docinfo.Title) == jobs[tag].article.meta.title.text
        assert str(pdf.docinfo.Author) == "Ann Pietrangelo"
        assert str(pdf.docinfo.Keywords) == ", ".join(c.text for c in jobs[tag].article.meta.categories)
        with pdf.open_outline() as outline:
            top = outline.root[0]
            assert top.title == jobs[tag].article.meta.title.text
            assert len(top.children) == 7  # five sections, related reading, about this handout


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_font_embedded_and_the_right_family(built, tag):
    root, _ = built
    listing = subprocess.run(["pdffonts", str(pdf_path(root, tag))], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert rows
    for row in rows:
        assert row[-5] == "yes", f"not embedded: {row[0]}"  # the 'emb' column
        assert row[-3] == "yes", f"no Unicode mapping: {row[0]}"  # the 'uni' column
    names = " ".join(row[0] for row in rows)
    assert FAMILY[tag] in names
    assert "JP" not in names and "CJK-JP" not in names


@pytest.mark.parametrize("tag", LANGUAGES)
def test_no_text_below_18_points_and_heading_structure(built, tag):
    root, _ = built
    report = inspect_pdf(pdf_path(root, tag))
    assert report.min_font_size >= 18.0
    assert report.headings[0] == "H1" and report.headings.count("H1") == 1
    assert report.headings.count("H2") == 7
    assert {"L", "LI", "P", "BlockQuote"} <= set(report.structure)
    assert report.problems() == []


@pytest.mark.parametrize("tag", LANGUAGES)
def test_page_number_footer_in_the_handout_language_on_every_page(built, tag):
    root, _ = built
    report = inspect_pdf(pdf_path(root, tag))
    assert len(report.footer_text) == report.pages > 1
    for number, footer in enumerate(report.footer_text, start=1):
        expected = FOOTERS[tag].replace("1", str(number))
        assert re.sub(r"\s", "", footer).startswith(re.sub(r"\s", "", expected)), footer
        assert str(report.pages) in footer


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_segment_is_in_the_text_in_order(built, tag):
    root, jobs = built
    job = jobs[tag]
    report = inspect_pdf(pdf_path(root, tag), rtl=job.facts.is_rtl)
    segments = [s.text for s in job.article.reading_order()]
    assert len(segments) == 43  # every segment of the article (no image here)
    assert missing_segments(report.body_text, segments, rtl=job.facts.is_rtl) == []


def test_the_order_check_would_notice_a_lost_or_swapped_segment(built):
    root, jobs = built
    job = jobs["ar"]
    report = inspect_pdf(pdf_path(root, "ar"), rtl=True)
    segments = [s.text for s in job.article.reading_order()]
    assert missing_segments(report.body_text, segments + ["جملة غير موجودة في النشرة"], rtl=True)
    swapped = segments[:5] + [segments[6], segments[5]] + segments[7:]
    assert missing_segments(report.body_text, swapped, rtl=True)


@pytest.mark.parametrize("tag", [t for t in LANGUAGES if t != "en"])
def test_unreviewed_notice_is_on_page_one_with_its_english_part_tagged_english(built, tag):
    root, jobs = built
    report = inspect_pdf(pdf_path(root, tag))
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf_path(root, tag)), "-"],
                                capture_output=True, text=True, check=True).stdout
    assert "This is a draft translation." in " ".join(first_page.split())
    assert report.languages_in_tree.get("en", 0) >= 1


def test_english_source_has_no_review_notice(built):
    root, _ = built
    text = subprocess.run(["pdftotext", str(pdf_path(root, "en")), "-"], capture_output=True, text=True).stdout
    assert "draft translation" not in text


def test_letter_by_default_and_a4_on_request(built, tmp_path):
    root, _ = built
    with pikepdf.open(pdf_path(root, "en")) as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox[2:]] == [612, 792]
    copy = copy_project(tmp_path / "a4")
    assert main(["--root", str(copy), "build", "--format", "pdf", "--lang", "en", "--paper", "a4", "-q"]) == 0
    with pikepdf.open(pdf_path(copy, "en")) as pdf:
        assert [round(float(v)) for v in pdf.pages[0].mediabox[2:]] == [595, 842]


def test_full_syntax_article_figure_lists_and_deeper_headings(tmp_path):
    root = copy_project(tmp_path / "syntax", ROOTS / "full-syntax")
    assert main(["--root", str(root), "build", "--format", "pdf", "--lang", "en", "-q"]) == 0
    path = root / "outputs" / "en" / "every-element.en.pdf"
    report = inspect_pdf(path)
    assert report.problems() == []
    assert {"H3", "H4", "Figure", "L", "LI", "Lbl", "LBody", "Link"} <= set(report.structure)
    with pikepdf.open(path) as pdf:
        alts = []

        def walk(node):
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                for kid in kids:
                    if isinstance(kid, pikepdf.Dictionary):
                        if kid.get("/S") == "/Figure":
                            alts.append(str(kid.get("/Alt", "")))
                        walk(kid)

        walk(pdf.Root.StructTreeRoot)
    assert alts == ["A patient and a nurse talking at a desk"]


def test_a_character_no_font_has_is_an_error_naming_it(project_copy, run_cli):
    path = project_copy / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    text = path.read_text("utf-8").replace("Diagnóstico reciente", "Diagnóstico reciente \U0001D11E")
    path.write_text(text, "utf-8")
    result = run_cli(project_copy, "build", "--format", "pdf", "--lang", "es", "-q")
    assert result.code == 1
    assert "U+1D11E MUSICAL SYMBOL G CLEF" in result.err
    assert not (project_copy / "outputs" / "es" / f"{SLUG}.es.pdf").exists()


@pytest.mark.parametrize("url", [
    "https://example.org/tracker.png",
    "file:///etc/passwd",
    "file:///ARTICLE/../../etc/passwd",
    "ftp://example.org/x.png",
])
def test_the_fetcher_refuses_anything_outside_the_article_folder(tmp_path, url):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "ok.png").write_bytes(b"x")
    assert allowed_file((folder / "ok.png").as_uri(), (folder,)) == (folder / "ok.png").resolve()
    with pytest.raises(UnsafeResourceError):
        allowed_file(url.replace("/ARTICLE", str(folder)), (folder,))
