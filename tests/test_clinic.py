"""The clinic's own handout: `[clinic]` and `[publishing] base_url` in handouts.toml, the
clinic named in every language (PDF, web page, EPUB), the printed QR code decoded by a
real decoder (zxing-cpp) from the rendered page; the EPUB page list that matches the
printed pages, next to the read-along; and the one-line errors of a bad configuration."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from pipeline.checks.epub import NS, read_package, run_ace, run_epubcheck
from pipeline.checks.pdf import expected_tags, inspect_pdf, tag_tree_problems
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.errors import DependencyError
from pipeline.core.uitext import QR_DESCRIPTION
from pipeline.core.job import Job
from pipeline.inputs.project import load_project
from pipeline.writers.base import upstream_bytes
from pipeline.writers.pdf.writer import handout_html

from conftest import ALL_LANGUAGES, ROOTS, SLUG, copy_project

ALL = ALL_LANGUAGES
BASE_URL = "https://handouts.riverside-clinic.example.org"
NAME = "Riverside Community Clinic"
PHONE = "(617) 555-0142"
CLINIC = f"""
[clinic]
name = "{NAME}"
phone = "{PHONE}"
address = "12 Harbor Street, Boston, MA 02110"
website = "https://riverside-clinic.example.org"
logo = "logo.png"
logo_alt = "Riverside Community Clinic: a blue square and a red circle"
"""


def add_clinic(root: Path) -> Path:
    image = Image.new("RGB", (600, 200), "white")
    image.paste((27, 75, 114), (10, 10, 190, 190))
    image.save(root / "logo.png")
    text = (root / "handouts.toml").read_text("utf-8")
    text = text.replace('paper = "letter"', f'paper = "letter"\nbase_url = "{BASE_URL}/"')
    (root / "handouts.toml").write_text(text + CLINIC, "utf-8")
    return root


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """Every language's PDF with the clinic and the QR code; English with narration and
    Arabic without, also as EPUB (with the page list) and web page."""
    root = add_clinic(copy_project(tmp_path_factory.mktemp("clinic") / "project"))
    assert main(["--root", str(root), "build", "--format", "pdf", "-q"]) == 0
    assert main(["--root", str(root), "build", "--format", "pdf", "--format", "epub", "--format", "html",
                 "--format", "audio", "--lang", "en", "-q"]) == 0
    assert main(["--root", str(root), "build", "--format", "pdf", "--format", "epub", "--format", "html",
                 "--lang", "ar", "-q"]) == 0
    return root, {plan.facts.tag: plan.job for plan in load_project(load_config(root)).plans}


def output(root: Path, tag: str, suffix: str) -> Path:
    return root / "outputs" / tag / f"{SLUG}.{tag}{suffix}"


def last_page_image(path: Path, scale: float = 2.5) -> Image.Image:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return document[len(document) - 1].render(scale=scale).to_pil().convert("L")
    finally:
        document.close()


@pytest.mark.parametrize("tag", ALL)
def test_the_handout_names_the_clinic_and_its_phone_as_written(clinic, tag):
    root, _ = clinic
    report = inspect_pdf(output(root, tag, ".pdf"))
    text = " ".join(report.body_text.split())
    assert NAME in text
    assert "6175550142" in re.sub(r"\D", "", text)  # right-to-left extraction mirrors the parentheses
    assert report.min_font_size >= 18.0


@pytest.mark.parametrize("tag", ALL)
def test_the_qr_code_decodes_to_the_language_page_of_the_download_site(clinic, tag):
    root, _ = clinic
    codes = zxingcpp.read_barcodes(last_page_image(output(root, tag, ".pdf")))
    assert [code.text for code in codes] == [f"{BASE_URL}/{tag}/"]


@pytest.mark.parametrize("tag", ALL)
def test_qr_and_logo_are_tagged_figures_with_alt_text_and_the_tree_is_clean(clinic, tag):
    root, jobs = clinic
    job = jobs[tag]
    path = output(root, tag, ".pdf")
    with pikepdf.open(path) as pdf:
        assert tag_tree_problems(pdf, expected_tags(handout_html(job))) == []
        alts = []

        def walk(node):
            for kid in node.get("/K", []) if isinstance(node.get("/K"), pikepdf.Array) else []:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    if kid.S == "/Figure":
                        alts.append(str(kid.get("/Alt", "")))
                    walk(kid)

        walk(pdf.Root.StructTreeRoot)
    assert job.ui.gettext(QR_DESCRIPTION) in alts
    logo_alt = ("Riverside Community Clinic: a blue square and a red circle" if tag == "en"
                else job.ui.gettext("Logo of %(clinic)s", clinic=NAME))
    assert logo_alt in alts


def test_the_web_page_and_the_ebook_name_the_clinic(clinic):
    root, _ = clinic
    for tag in ("en", "ar"):
        page = output(root, tag, ".html").read_text("utf-8")
        assert NAME in page and 'href="tel:+16175550142"' in page and "data:image/png;base64," in page
        package = read_package(output(root, tag, ".epub"))
        back = "".join(package.documents["backmatter.xhtml"].itertext())
        assert NAME in back and PHONE in back
        assert "images/clinic-logo.png" in package.files
        assert "<svg" not in package.files["backmatter.xhtml"].decode()  # the QR code is for print only


@pytest.mark.parametrize("tag", ["en", "ar"])
def test_the_ebook_page_list_matches_the_printed_pages(clinic, tag):
    root, jobs = clinic
    job = jobs[tag]
    with pikepdf.open(output(root, tag, ".pdf")) as pdf:
        pages = len(pdf.pages)
    package = read_package(output(root, tag, ".epub"))
    entries = package.nav_entries("page-list")
    assert [label for _, label in entries] == [job.facts.format_number(n) for n in range(1, pages + 1)]
    for number, (href, label) in enumerate(entries, start=1):
        file_name, anchor = href.split("#")
        marker = package.documents[file_name].find(f".//*[@id='{anchor}']")
        assert anchor == f"page-{number}"
        assert marker.get(f"{{{NS['epub']}}}type") == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == label
    first = package.documents["titlepage.xhtml"].find(".//x:h1", NS)
    assert first.getprevious().get("id") == "page-1"  # page 1 starts with the title
    nav = package.documents[package.nav_file].find(".//x:nav[@epub:type='page-list']", NS)
    assert nav.find(".//x:h2", NS).text == job.ui.gettext("Pages")
    source = package.opf.find(".//dc:source[@id='print-edition']", NS)
    assert source.text == f"{SLUG}.{tag}.pdf (US Letter)"
    assert package.opf.find(".//opf:meta[@refines='#print-edition'][@property='source-of']", NS).text == "pagination"
    assert {"pageBreakMarkers", "pageNavigation"} <= set(package.metadata("schema:accessibilityFeature"))


@pytest.mark.parametrize("tag", ["en", "ar"])
def test_the_ebook_with_page_list_and_clinic_stays_clean_for_epubcheck_and_ace(clinic, tag):
    root, _ = clinic
    path = output(root, tag, ".epub")
    result = run_epubcheck(path)
    assert result.errors == [] and result.warnings == []
    try:
        assert run_ace(path) == []
    except DependencyError as missing:
        pytest.skip(f"Ace by DAISY cannot run here: {missing.one_line()}")


def test_the_read_along_still_works_next_to_the_page_list(clinic):
    root, _ = clinic
    with zipfile.ZipFile(output(root, "en", ".epub")) as book:
        names = book.namelist()
        opf = book.read("EPUB/content.opf").decode()
    assert "EPUB/audio/narration.mp3" in names and any(name.endswith(".smil") for name in names)
    assert 'media-overlay="' in opf and "media:active-class" in opf
    assert read_package(output(root, "en", ".epub")).nav_entries("page-list")


def test_asking_for_the_ebook_alone_builds_the_print_edition_its_pages_come_from(tmp_path):
    root = copy_project(tmp_path / "syntax", ROOTS / "full-syntax")
    assert main(["--root", str(root), "build", "--format", "epub", "--lang", "en", "-q"]) == 0
    assert (root / "outputs" / "en" / "every-element.en.pdf").exists()
    package = read_package(root / "outputs" / "en" / "every-element.en.epub")
    pages = len(pikepdf.open(root / "outputs" / "en" / "every-element.en.pdf").pages)
    assert len(package.nav_entries("page-list")) == pages
    assert "pageBreakMarkers" in package.metadata("schema:accessibilityFeature")


def test_upstream_results_reach_a_writer_as_bytes():
    job = Job.__new__(Job)
    job.upstream = {"pdf": {".pages.json": b"{}"}, "audio": {".mp3": b"ID3"}}
    assert upstream_bytes(job, "pdf", ".pages.json") == b"{}"
    assert upstream_bytes(job, "audio", ".mp3") == b"ID3"
    assert upstream_bytes(job, "audio", ".timeline.json") is None
    assert upstream_bytes(job, "epub", ".epub") is None


@pytest.mark.parametrize("table, key", [
    ('[clinic]\nname = "A"\nphone = "12"\n', "clinic.phone"),
    ('[clinic]\nname = "A"\nphone = "call us"\n', "clinic.phone"),
    ('[clinic]\nphone = "(617) 555-0142"\n', "[clinic] has no name"),
    ('[clinic]\nname = "A"\nphone = "(617) 555-0142"\nwebsite = "ftp://clinic.example"\n', "clinic.website"),
    ('[clinic]\nname = "A"\nphone = "(617) 555-0142"\nlogo = "visit.png"\n', "clinic.logo"),
    ('[clinic]\nname = "A"\nphone = "(617) 555-0142"\nlogo = "notes.txt"\nlogo_alt = "x"\n', "clinic.logo"),
    ('[clinic]\nname = "A"\nphone = "(617) 555-0142"\nlogo = "missing.png"\nlogo_alt = "x"\n', "clinic.logo"),
    ('[clinic]\nname = "A"\nphone = "(617) 555-0142"\ncolour = "red"\n', "'colour'"),
    ("", "publishing.base_url"),
])
def test_a_bad_clinic_or_address_is_one_line_naming_the_file_and_key(tmp_path, run_cli, table, key):
    root = copy_project(tmp_path / "syntax", ROOTS / "full-syntax")
    (root / "notes.txt").write_text("not an image", "utf-8")
    (root / "visit.png").write_bytes((root / "sources" / "visit.png").read_bytes())
    base = 'base_url = "javascript:alert(1)"\n' if not table else ""
    (root / "handouts.toml").write_text(f'[publishing]\nlanguages = ["en"]\n{base}{table}', "utf-8")
    result = run_cli(root, "status")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "handouts.toml" in lines[0] and key in lines[0], lines
