"""The PDF tag tree after `pdf_tags.repair`, read back page by page, on every language and
on an article with a paragraph, a list and a link that cross page breaks; the same tree
from WeasyPrint alone, on which `handouts check` names each problem and its page; and an
independent PDF/UA-1 validator (`page`, which passes the veraPDF test corpus)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import page as pdfua_validator
import pikepdf
import pytest

from pipeline.checks.pdf import expected_tags, inspect_pdf, tag_tree_problems
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.inputs.project import load_project
from pipeline.writers.pdf.writer import handout_html
from pipeline.writers.pdf.content import marked_sequences
from pipeline.writers.pdf.structure import is_element, kids_of

from conftest import ALL_LANGUAGES, assert_same_pixels, handout_pdf

ALL = ALL_LANGUAGES

SPLIT_ARTICLE = """---
title: A Long Visit
language: en
updated: 2024-03-15
---

## Before

{filler}

{long}

## The list

{items}

## After

Call the clinic if anything is unclear.
"""


def jobs_of(root: Path) -> dict:
    return {plan.facts.tag: plan.job for plan in load_project(load_config(root)).plans}


def validator_failures(path: Path) -> list[str]:
    report = pdfua_validator.validate_pdf(str(path), profile="ua1")
    return [f"{failure.rule_id}: {failure.message}" for failure in report.failures]


def pagination_artifacts(pdf) -> list[set[str]]:
    """Per page, the subtypes of its /Pagination artifacts (Header, Footer)."""
    found = []
    for page in pdf.pages:
        instructions = list(pikepdf.parse_content_stream(page))
        subtypes = set()
        for sequence in marked_sequences(instructions)[0]:
            properties = instructions[sequence.start].operands
            if sequence.tag == "/Artifact" and len(properties) > 1 and properties[1].get("/Type") == "/Pagination":
                subtypes.add(str(properties[1].Subtype).lstrip("/"))
        found.append(subtypes)
    return found


@pytest.mark.parametrize("tag", ALL)
def test_every_page_of_every_language_passes_the_tag_tree_checks(pdf_handouts, tag):
    root, jobs = pdf_handouts
    with pikepdf.open(handout_pdf(root, tag)) as pdf:
        assert tag_tree_problems(pdf, expected_tags(handout_html(jobs[tag]))) == []
        artifacts = pagination_artifacts(pdf)
    assert all("Footer" in subtypes for subtypes in artifacts), artifacts  # "Page 2 of 7"
    assert all("Header" in subtypes for subtypes in artifacts[1:]), artifacts  # the running title


@pytest.mark.parametrize("tag", ALL)
def test_an_independent_pdf_ua_validator_finds_nothing(pdf_handouts, tag):
    root, _ = pdf_handouts
    assert validator_failures(handout_pdf(root, tag)) == []


@pytest.mark.parametrize("tag", ALL)
def test_the_back_matter_is_in_one_piece_on_a_last_page_with_more_than_a_line_or_two(pdf_handouts, tag):
    root, jobs = pdf_handouts
    path = handout_pdf(root, tag)
    about = jobs[tag].ui.gettext("About this handout")
    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
        height = float(pdf.pages[0].mediabox[3])
        with pdf.open_outline() as outline:
            entry = next(item for item in outline.root[0].children if item.title == about)
            about_page = pdf.pages.index(pikepdf.Page(entry.destination[0])) + 1
    assert about_page == pages  # the heading, hence the whole block (break-inside: avoid), is on the last page
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), "-y", "63", "-H", str(int(height - 130)),
                           "-W", "1000", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert len([line for line in last.splitlines() if line.strip()]) >= 5


# --- an article whose paragraph, list and link cross page breaks ---------------------


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The test article built twice: repaired, and as WeasyPrint leaves it."""
    folder = tmp_path_factory.mktemp("split")
    sentence = "Your care team will explain each step of the visit and answer every question you have. "
    text = SPLIT_ARTICLE.format(
        filler="\n\n".join(sentence * 3 for _ in range(4)),
        long=sentence * 9 + "Write to [the clinic desk](mailto:desk@clinic.example) before you come. " + sentence * 6,
        items="\n".join(f"- Item number {n}: bring what the clinic asked for, and your questions." for n in range(24)),
    )
    built = {}
    for name, repaired in (("repaired", True), ("raw", False)):
        root = folder / name
        (root / "sources").mkdir(parents=True)
        (root / "sources" / "long-visit.md").write_text(text, "utf-8")
        with pytest.MonkeyPatch.context() as patch:
            if not repaired:
                patch.setattr("pipeline.writers.pdf.writer.repair", lambda data, *shaping: data)
            assert main(["--root", str(root), "build", "--format", "pdf", "--jobs", "1", "-q"]) == 0
        built[name] = (root / "outputs" / "en" / "long-visit.en.pdf", jobs_of(root)["en"])
    return built


def elements(pdf, kind: str) -> list:
    found = []

    def walk(node):
        for kid in kids_of(node):
            if is_element(kid):
                if kid.S == kind:
                    found.append(kid)
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def pages_of(pdf, element) -> set[int]:
    page_of = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    pages = set()

    def walk(node):
        for kid in kids_of(node):
            if is_element(kid):
                walk(kid)
            elif isinstance(kid, int):
                pages.add(page_of[node.Pg.objgen])
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                pages.add(page_of[kid.Pg.objgen])

    walk(element)
    return pages


def test_a_paragraph_and_a_list_across_page_breaks_are_one_element_each(split):
    path, job = split["repaired"]
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 3
        paragraphs = elements(pdf, "/P")
        lists = elements(pdf, "/L")
        assert len(paragraphs) == expected_tags(handout_html(job))["P"]
        assert len(lists) == 2  # the article's list and "About this handout"
        assert any(len(pages_of(pdf, p)) == 2 for p in paragraphs), "no paragraph crosses a page break"
        assert len(pages_of(pdf, lists[0])) >= 2
        for item in elements(pdf, "/LI"):
            assert [str(k.S) for k in kids_of(item) if is_element(k)] in (["/Lbl", "/LBody"], ["/LBody"])
        assert len(elements(pdf, "/Part")) == 1
        assert tag_tree_problems(pdf, expected_tags(handout_html(job))) == []
    assert validator_failures(path) == []


def test_a_link_is_one_element_holding_its_annotation_with_contents_and_print_flag(split):
    path, _ = split["repaired"]
    with pikepdf.open(path) as pdf:
        links = elements(pdf, "/Link")
        assert len(links) == 1
        references = [k for k in kids_of(links[0]) if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
        annotations = [a for page in pdf.pages for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
        assert len(references) == len(annotations) >= 1
        for annotation in annotations:
            assert str(annotation.Contents) == "the clinic desk (mailto:desk@clinic.example)"
            assert int(annotation.F) & 4


def test_the_check_names_each_problem_of_weasyprints_own_tree_with_its_page(split):
    path, job = split["raw"]
    with pikepdf.open(path) as pdf:
        problems = tag_tree_problems(pdf, expected_tags(handout_html(job)))
    assert all(re.match(r"page \d+: ", problem) for problem in problems), problems
    text = "\n".join(problems)
    assert "running title or page number tagged as Span content" in text
    assert "is neither in the tag tree nor an artifact" in text
    assert "not Lbl + LBody" in text
    assert "painted in another order than the tag tree's" in text
    assert re.search(r"P elements for \d+ in the HTML: an element split by a page break", text)
    assert "Part elements for 1" in text
    assert inspect_pdf(path, expected_tags=expected_tags(handout_html(job))).problems()


def test_handouts_check_passes_the_repaired_pdf_and_fails_the_raw_one(split, capsys):
    for name, verdict in (("repaired", "ok"), ("raw", "FAIL")):
        path, _ = split[name]
        root = path.parents[2]
        main(["--root", str(root), "check"])
        lines = [line for line in capsys.readouterr().out.splitlines() if "long-visit.en.pdf" in line]
        assert len(lines) == 1 and lines[0].startswith(verdict), lines


def test_the_repair_changes_no_pixel_of_any_page(split):
    """Moving marked content to paint in tag order, and artifacts, must not change the look."""
    assert_same_pixels(split["raw"][0], split["repaired"][0], scale=1.5)
