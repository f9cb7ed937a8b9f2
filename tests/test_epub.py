"""The EPUB 3 files: EPUBCheck and Ace clean, metadata, language and direction, navigation, text."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image

from pipeline.checks.epub import NS, XML_LANG, read_package, run_ace, run_epubcheck
from pipeline.checks.text import missing_segments
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.errors import DependencyError
from pipeline.inputs.project import load_project

from conftest import ROOTS, SLUG, copy_project

LANGUAGES = ["en", "es", "ar", "zh-Hans", "vi"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("epub") / "project")
    assert main(["--root", str(root), "build", "--format", "epub", "-q", *[f"--lang={tag}" for tag in LANGUAGES]]) == 0
    syntax = copy_project(tmp_path_factory.mktemp("epub") / "syntax", ROOTS / "full-syntax")
    assert main(["--root", str(syntax), "build", "--format", "epub", "--lang", "en", "-q"]) == 0
    project = load_project(load_config(root))
    paths = {tag: root / "outputs" / tag / f"{SLUG}.{tag}.epub" for tag in LANGUAGES}
    paths["syntax"] = syntax / "outputs" / "en" / "every-element.en.epub"
    return paths, {plan.facts.tag: plan.job for plan in project.plans}


@pytest.mark.parametrize("name", LANGUAGES + ["syntax"])
def test_epubcheck_finds_no_error_and_no_warning(built, name):
    paths, _ = built
    result = run_epubcheck(paths[name])
    assert result.errors == [] and result.warnings == []


@pytest.mark.parametrize("name", LANGUAGES + ["syntax"])
def test_ace_by_daisy_finds_no_violation(built, name):
    paths, _ = built
    try:
        violations = run_ace(paths[name])
    except DependencyError as missing:
        pytest.skip(f"Ace by DAISY cannot run here: {missing.one_line()}")
    assert violations == []


@pytest.mark.parametrize("tag", LANGUAGES)
def test_accessibility_and_identity_metadata(built, tag):
    paths, jobs = built
    job = jobs[tag]
    package = read_package(paths[tag])
    assert package.metadata("dc:identifier") == [f"urn:uuid:{uuid.uuid5(uuid.UUID('6f1d3c1e-2b7a-4f4e-9a51-3c9d0b7e5a10'), f'{SLUG}/{tag}')}"]
    assert package.metadata("dc:title") == [job.article.meta.title.text]
    assert package.metadata("dc:language") == [tag]
    assert package.metadata("dc:creator") == ["Ann Pietrangelo"]
    assert package.metadata("dc:contributor") == ["Violet Hanft RN"]
    assert package.opf.find(".//opf:meta[@refines='#reviewer-1'][@property='role']", NS).text == "rev"
    assert package.metadata("dc:subject") == [c.text for c in job.article.meta.categories]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", package.metadata("dcterms:modified")[0])
    # Every EPUB of this module has its read-along narration (the EPUB brings the audio it uses).
    assert set(package.metadata("schema:accessMode")) == {"textual", "visual", "auditory"}
    assert "textual" in package.metadata("schema:accessModeSufficient")
    assert set(package.metadata("schema:accessibilityFeature")) >= {
        "structuralNavigation", "tableOfContents", "readingOrder", "alternativeText", "displayTransformability"}
    assert package.metadata("schema:accessibilityHazard") == ["none"]
    assert package.metadata("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert package.metadata("a11y:certifiedBy")
    summary = package.metadata("schema:accessibilitySummary")[0]
    assert summary.startswith(job.ui.gettext(
        "This publication meets WCAG 2.1 Level AA. It has a table of contents, a heading for every "
        "section, and a text description for every image. You can change the font, size and colors "
        "of the text in your reading app.")[:20])
    # The print edition its page list follows is a source too (EPUB Accessibility 1.1).
    print_edition = f"{SLUG}.{tag}.pdf (US Letter)"
    if tag != "en":
        assert "This publication" not in summary
        assert package.metadata("dc:source") == [f"{SLUG} (en)", print_edition]
        assert "draft translation" in package.metadata("dc:description")[0]
    else:
        assert package.metadata("dc:source") == [print_edition]


@pytest.mark.parametrize("tag", LANGUAGES)
def test_language_and_direction_everywhere(built, tag):
    paths, jobs = built
    package = read_package(paths[tag])
    direction = "rtl" if tag == "ar" else "ltr"
    assert package.opf.get(XML_LANG) == tag
    for name, document in package.documents.items():
        assert document.get("lang") == tag and document.get(XML_LANG) == tag, name
        assert document.get("dir") == direction, name
    spine = package.opf.find(".//opf:spine", NS)
    assert spine.get("page-progression-direction") == ("rtl" if tag == "ar" else None)


@pytest.mark.parametrize("tag", LANGUAGES)
def test_navigation_toc_and_landmarks(built, tag):
    paths, jobs = built
    job = jobs[tag]
    package = read_package(paths[tag])
    toc = package.nav_entries("toc")
    headings = [h.segment.text for h, _ in job.article.sections()]
    assert [title for _, title in toc] == [job.article.meta.title.text, *headings,
                                          job.ui.gettext("Related reading"), job.ui.gettext("About this handout")]
    for href, _ in toc:
        file_name, _, anchor = href.partition("#")
        assert file_name in package.documents
        if anchor:
            assert package.documents[file_name].find(f".//*[@id='{anchor}']") is not None
    landmarks = package.documents[package.nav_file].findall(".//x:nav[@epub:type='landmarks']//x:a", NS)
    assert [a.get(f"{{{NS['epub']}}}type") for a in landmarks] == ["cover", "titlepage", "toc", "bodymatter", "backmatter"]
    assert len([d for d in package.spine if d.startswith("chapter-")]) == len(headings)


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_segment_in_the_content_documents_in_order(built, tag):
    paths, jobs = built
    text = read_package(paths[tag]).spine_text()
    assert missing_segments(text, [s.text for s in jobs[tag].article.reading_order()]) == []


@pytest.mark.parametrize("tag", ["en", "ar", "zh-Hans"])
def test_generated_cover_has_title_alt_text_and_size(built, tag):
    paths, jobs = built
    package = read_package(paths[tag])
    cover_item = package.opf.find(".//opf:item[@properties='cover-image']", NS)
    image = Image.open(io.BytesIO(package.files[cover_item.get("href")]))
    assert image.size == (1600, 2400)
    img = package.documents["cover.xhtml"].find(".//x:img", NS)
    assert jobs[tag].article.meta.title.text in img.get("alt")


def test_reflowable_styles_leave_size_and_font_to_the_reader(built):
    paths, _ = built
    css = read_package(paths["en"]).files["style.css"].decode()
    assert not re.search(r"font-size:\s*[\d.]+(pt|px)", css)
    assert "font-family" not in css
    assert "justify" not in css


def test_full_syntax_book_carries_its_image_with_alt_text(built):
    paths, _ = built
    package = read_package(paths["syntax"])
    assert "images/visit.png" in package.files
    images = [img for doc in package.documents.values() for img in doc.iter("{http://www.w3.org/1999/xhtml}img")]
    assert "A patient and a nurse talking at a desk" in [img.get("alt") for img in images]
    toc_titles = [title for _, title in package.nav_entries("toc")]
    assert "What to Bring" in toc_titles  # ### headings are listed under their section


def test_the_same_inputs_give_the_same_bytes(built, tmp_path):
    paths, _ = built
    again = copy_project(tmp_path / "again")
    assert main(["--root", str(again), "build", "--format", "epub", "--lang", "ar", "-q"]) == 0
    assert (again / "outputs" / "ar" / f"{SLUG}.ar.epub").read_bytes() == paths["ar"].read_bytes()


def test_the_order_check_sees_a_paragraph_out_of_place(built):
    paths, jobs = built
    text = read_package(paths["es"]).spine_text()
    segments = [s.text for s in jobs["es"].article.reading_order()]
    later = max(range(len(segments)), key=lambda i: len(segments[i]))
    moved = segments[:2] + [segments[later]] + segments[2:later] + segments[later + 1:]
    assert missing_segments(text, moved)
    assert missing_segments(text, segments + ["Una frase que el libro no contiene."]) == [
        "Una frase que el libro no contiene."]
