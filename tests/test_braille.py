"""The braille edition, read back: liblouis back-translates every BRF and PEF of the seven
languages with a verified table and finds every sentence in order; the PEF passes the
PEF 2008-1 RelaxNG schema (libbrailleutils-java's, validated by libxml2); pages are 40
cells by 25 lines of North American Braille ASCII with CR LF and form feeds; the title
page says who reviewed it, the review notice, the clinic and the number of braille pages;
languages without a table get a note and no file; a table liblouis cannot load is one
line and every other language is still embossable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from pipeline.checks.braille import brf_pages, check_edition, pef_schema_text, text_cells
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.inputs.project import load_project
from pipeline.writers.braille import choice_for
from pipeline.writers.braille.edition import volumes_of
from pipeline.writers.braille.louis import back_translate
from pipeline.writers.braille.serialize import from_brf_text

from conftest import SLUG, copy_project

BRAILLE = ["en", "es", "fr", "pl", "pt-BR", "ru", "ar"]
BRF_ASCII = set(b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_")


@pytest.fixture(scope="module")
def braille(tmp_path_factory):
    """The real project's braille editions in every language; (root, {tag: job}, stderr)."""
    import contextlib
    import io

    root = copy_project(tmp_path_factory.mktemp("braille") / "project")
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["--root", str(root), "build", "--format", "braille"]) == 0
    jobs = {plan.facts.tag: plan.job for plan in load_project(load_config(root)).plans if plan.job}
    return root, jobs, err.getvalue()


def read_back(table: str, rows: list[str]) -> str:
    """The text of braille rows (Unicode cells or BRF), read back by liblouis, spaces folded."""
    cells = "\u2800".join(from_brf_text(row) if row.isascii() else row for row in rows if row.strip(" \u2800"))
    return " ".join(back_translate(table, cells).split())


def edition(root: Path, tag: str, suffix: str) -> bytes:
    return (root / "outputs" / tag / f"{SLUG}.{tag}{suffix}").read_bytes()


@pytest.mark.parametrize("tag", BRAILLE)
def test_every_sentence_is_found_in_order_in_the_back_translation_and_the_pef_is_valid(braille, tag):
    root, jobs, _ = braille
    report = check_edition(edition(root, tag, ".brf"), edition(root, tag, ".pef"), jobs[tag])
    assert report.problems == []
    assert report.pages >= 6 and report.volumes == 1


@pytest.mark.parametrize("tag", BRAILLE)
def test_pef_passes_the_pef_2008_1_schema(braille, tag):
    root, _, _ = braille
    schema_text = pef_schema_text()
    assert schema_text, "the PEF schema ships in Debian's libbrailleutils-java"
    schema = etree.RelaxNG(etree.fromstring(schema_text))
    document = etree.fromstring(edition(root, tag, ".pef"))
    assert schema.validate(document), schema.error_log.last_error
    assert document.findtext(".//{http://purl.org/dc/elements/1.1/}language") == tag


@pytest.mark.parametrize("tag", BRAILLE)
def test_brf_pages_are_40_cells_by_25_lines_of_braille_ascii_with_form_feeds(braille, tag):
    root, _, _ = braille
    data = edition(root, tag, ".brf")
    assert set(data) <= BRF_ASCII | {0x0D, 0x0A, 0x0C}
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line ends CR LF
    pages = data.rstrip(b"\x0c").split(b"\x0c")
    for page in pages:
        lines = page.split(b"\r\n")[:-1] if page.endswith(b"\r\n") else page.split(b"\r\n")
        assert len(lines) <= 25 and all(len(line) <= 40 for line in lines)
    parsed, problems = brf_pages(data)
    assert problems == [] and len(parsed) == len(pages)


def test_the_english_title_page_reads_like_a_transcribers(braille):
    root, jobs, _ = braille
    job = jobs["en"]
    pages, _ = brf_pages(edition(root, "en", ".brf"))
    table = choice_for(job).table
    title = read_back(table, pages[0])
    assert "Understanding the Difference Between Invasive" in title
    assert "Medically reviewed by Violet Hanft" in title and "Updated on May 29, 2020" in title
    assert f"Braille pages: {len(pages)}" in title
    first_text = [line for line in pages[1] if line.strip()]
    assert first_text[0].startswith("    ")  # the main heading, centred
    body = [line for line in pages[1][3:] if line.strip()]
    assert any(line.startswith("  ,") for line in body)  # paragraphs begin in cell 3
    assert pages[1][-1].rstrip().endswith("#B")  # braille page 2 at the bottom right (BANA)


def test_a_draft_translation_says_so_on_its_title_page_in_its_language(braille):
    root, jobs, _ = braille
    job = jobs["es"]
    volumes = [[[from_brf_text(line) for line in page] for page in brf_pages(edition(root, "es", ".brf"))[0]]]
    back = back_translate(choice_for(job).table, text_cells([[volumes[0][0]]], False))
    assert "traducción preliminar" in back.casefold()
    # (es.tbl reads the colon back as the digit 3, its cells)
    assert "páginas en braille" in back.casefold() and back.split()[-1] == "10"


def test_languages_without_a_verified_table_get_a_note_and_no_file(braille):
    root, jobs, err = braille
    for tag in ("ht", "tl", "so", "uk", "ja"):
        assert not (root / "outputs" / tag / f"{SLUG}.{tag}.brf").exists()
        assert f"{tag}: no braille: " in err
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    formats = {(entry["language"], entry["format"]) for entry in manifest["files"]}
    assert {(tag, fmt) for tag in BRAILLE for fmt in ("brf", "pef")} <= formats
    assert not any(fmt in ("brf", "pef") for tag, fmt in formats if tag not in BRAILLE)


def test_a_long_handout_is_split_into_volumes_each_with_its_title_page(braille):
    _, jobs, _ = braille
    job = jobs["en"]
    volumes = volumes_of(job, choice_for(job), volume_pages=4)
    assert len(volumes) >= 2
    table = choice_for(job).table
    for number, volume in enumerate(volumes, start=1):
        title = read_back(table, volume[0])
        assert f"Volume {number} of {len(volumes)}" in title
        assert len(volume) <= 4


def test_the_clinic_is_on_the_title_page(tmp_path, run_cli):
    root = copy_project(tmp_path / "project")
    with (root / "handouts.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[clinic]\nname = "Riverside Clinic"\nphone = "(617) 555-0100"\n')
    assert run_cli(root, "build", "--format", "braille", "--lang", "en", "-q").code == 0
    job = next(p.job for p in load_project(load_config(root)).plans if p.job and p.facts.tag == "en")
    pages, _ = brf_pages(edition(root, "en", ".brf"))
    title = read_back(choice_for(job).table, pages[0])
    assert "Riverside Clinic" in title and "(617) 555-0100" in title


def test_a_table_liblouis_cannot_load_is_one_line_and_the_others_are_still_made(tmp_path, run_cli):
    root = copy_project(tmp_path / "project")
    with (root / "handouts.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[language.es]\nbraille_table = "no-such-table.ctb"\n')
    result = run_cli(root, "build", "--format", "braille", "--lang", "es", "--lang", "en")
    assert "internal error" not in result.err
    lines = [line for line in result.err.splitlines() if "no-such-table.ctb" in line]
    assert len(lines) == 1, result.err
    assert (root / "outputs" / "en" / f"{SLUG}.en.brf").exists()
    assert not (root / "outputs" / "es" / f"{SLUG}.es.brf").exists()


def test_lou_translate_backward_reads_every_english_sentence_in_order(braille):
    """The same fidelity rule through liblouis's own command-line tool (not our binding)."""
    import subprocess

    from pipeline.checks.braille import segment_problems

    root, jobs, _ = braille
    job = jobs["en"]
    pages, _ = brf_pages(edition(root, "en", ".brf"))
    rows = text_cells([[[from_brf_text(row) for row in page] for page in pages]], True).split("\u2800")
    # a line per braille word run (the tool reads a line at a time), cells as Unicode braille
    done = subprocess.run(["lou_translate", "--backward", f"unicode.dis,{choice_for(job).table}"],
                          input="\n".join(rows) + "\n", capture_output=True, text=True, check=True)
    assert segment_problems(" ".join(done.stdout.split()), job) == []


def test_a_character_the_table_cannot_translate_is_one_line_naming_the_message(tmp_path, run_cli):
    from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog

    root = copy_project(tmp_path / "project")
    path = catalog_path(root / "translations", "es", SLUG)
    catalog = read_catalog(path, locale="es")
    message = next(m for m in catalog if m.id and m.context == "paragraph")
    message.string = message.string + " \u2603"
    path.write_text(render_catalog(catalog), "utf-8")
    result = run_cli(root, "build", "--format", "braille", "--format", "html", "--lang", "es", "--lang", "en")
    assert "internal error" not in result.err
    lines = [line for line in result.err.splitlines() if "\u2603" in line or "U+2603" in line]
    assert len(lines) == 1, result.err
    assert not (root / "outputs" / "es" / f"{SLUG}.es.brf").exists()
    assert (root / "outputs" / "es" / f"{SLUG}.es.html").exists() and (root / "outputs" / "en" / f"{SLUG}.en.brf").exists()
