"""Catalogs: round trip, fuzzy marking, placeholders, status counts, the publishing policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog
from pipeline.core.errors import CatalogError
from pipeline.inputs.sources import read_article
from pipeline.inputs.translate import coverage, template_for, translate

from conftest import REPO, ROOTS, SLUG, full_syntax_project, identity_catalog

ARTICLES = [REPO / "sources" / f"{SLUG}.md", ROOTS / "full-syntax" / "sources" / "every-element.md"]


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_identity_catalog_reproduces_the_source_exactly(path):
    article = read_article(path)
    again = translate(article, identity_catalog(article), "es", "identity.po")
    assert again.meta.language == "es"
    assert again.in_language(article.meta.language) == article


def test_a_translation_replaces_every_segment(project_copy):
    article = read_article(project_copy / "sources" / f"{SLUG}.md", project_copy)
    path = catalog_path(project_copy / "translations", "es", SLUG)
    spanish = translate(article, read_catalog(path, locale="es"), "es", "es.po")
    english_texts = {s.text for s in article.segments()}
    for segment in spanish.segments():
        assert segment.text not in english_texts or segment.role == "list item" and segment.text == "PET"


def test_template_messages_carry_context_reference_and_segment_id():
    article = read_article(ROOTS / "full-syntax" / "sources" / "every-element.md", ROOTS / "full-syntax")
    template = template_for(article)
    message = template.get("Your insurance card", context="list item")
    assert message is not None
    assert message.locations == [("sources/every-element.md", 29)]
    assert any(c.startswith("segment li-") for c in message.auto_comments)
    linked = [m for m in template if m.id and "{1}" in m.id and "{/1}" in m.id]
    assert any("link to https://example.org/guide" in " ".join(m.auto_comments) for m in linked)


def _edit_source(root: Path, old: str, new: str) -> None:
    path = root / "sources" / f"{SLUG}.md"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_changed_sentence_becomes_fuzzy_with_previous_text_kept(project_copy, run_cli):
    _edit_source(project_copy, "Research into treatment for metastatic cancer is ongoing.",
                 "Research into treatment for metastatic cancer is still ongoing.")
    status = run_cli(project_copy, "status", "--lang", "es")
    assert "42/43 translated, 1 fuzzy, 0 untranslated" in status.out
    assert "NOT published" in status.out

    assert run_cli(project_copy, "extract").code == 0
    po_path = catalog_path(project_copy / "translations", "es", SLUG)
    catalog = read_catalog(po_path, locale="es")
    message = catalog.get("Research into treatment for metastatic cancer is still ongoing.", context="paragraph")
    assert message.fuzzy
    assert message.previous_id == ["Research into treatment for metastatic cancer is ongoing."]
    assert message.string == "Las investigaciones sobre el tratamiento del cáncer metastásico continúan."
    previous_line = "#| msgid \"Research into treatment for metastatic cancer is ongoing.\""
    assert previous_line in po_path.read_text("utf-8")
    run_cli(project_copy, "extract")
    assert previous_line in po_path.read_text("utf-8"), "a second extract must keep the previous text"


def test_new_sentence_is_untranslated_and_removed_one_obsolete(project_copy, run_cli):
    _edit_source(project_copy, "Research into treatment for metastatic cancer is ongoing.",
                 "Ask your care team about nutrition during treatment.")
    assert run_cli(project_copy, "extract").code == 0
    catalog = read_catalog(catalog_path(project_copy / "translations", "ar", SLUG), locale="ar")
    assert catalog.get("Ask your care team about nutrition during treatment.", context="paragraph").string == ""
    obsolete = [m.id for m in catalog.obsolete.values()]
    assert "Research into treatment for metastatic cancer is ongoing." in obsolete
    status = run_cli(project_copy, "status", "--lang", "ar")
    assert "42/43 translated, 0 fuzzy, 1 untranslated" in status.out


def test_extract_twice_changes_nothing(project_copy, run_cli):
    first = run_cli(project_copy, "extract")
    second = run_cli(project_copy, "extract")
    assert "0 files updated" in second.out, second.out
    assert first.code == second.code == 0


def test_template_words_pot_is_up_to_date_with_the_code():
    from pipeline.cli.extract import ui_template

    on_disk = read_po((REPO / "translations" / "ui.pot").open("rb"))
    assert {(m.id, m.context) for m in ui_template() if m.id} == {(m.id, m.context) for m in on_disk if m.id}


@pytest.fixture
def syntax_project(tmp_path):
    return full_syntax_project(tmp_path / "syntax")


@pytest.mark.parametrize(
    "broken, words",
    [
        ("ES {1}list{/1} {2}results{/2} {3}guide.", "never closed"),
        ("ES {1}list{/1} {2}results{/2} guide.", "from the source is missing"),
        ("ES {1}list{/1} {2}results{/2} {3}guide{/3} {7}now{/7}.", "not in the source"),
        ("ES {1}list{/1} {1}results{/1} {3}guide{/3}.", "used twice"),
        ("ES {1}list{/1} {2}results{/2} {3}guide{/3} <script>x</script>", "markup"),
    ],
)
def test_broken_placeholders_name_catalog_line_and_message(syntax_project, run_cli, broken, words):
    path = catalog_path(syntax_project / "translations", "es", "every-element")
    text = path.read_text("utf-8")
    pattern = re.compile(r'msgstr ""\n"ES Write down your questions\..*?"\n(?:".*"\n)*')
    assert pattern.search(text)
    catalog = read_catalog(path, locale="es")
    message = next(m for m in catalog if m.id.startswith("Write down your questions"))
    message.string = broken
    path.write_text(render_catalog(catalog), "utf-8")
    result = run_cli(syntax_project, "build", "--format", "html", "-q")
    assert result.code == 1
    line = next(l for l in result.err.splitlines() if words in l)
    assert "translations/es/LC_MESSAGES/every-element.po:" in line
    assert "Write down your questions" in line
    reported_line = int(re.search(r"every-element\.po:(\d+)", line).group(1))
    assert path.read_text("utf-8").splitlines()[reported_line - 1].startswith(("msgid", "msgctxt"))
    assert not (syntax_project / "outputs" / "es").exists()
    assert (syntax_project / "outputs" / "en" / "every-element.en.html").exists()


def test_status_counts_and_publishing_policy(syntax_project, run_cli):
    status = run_cli(syntax_project, "status", "--lang", "es")
    assert "es " in status.out and "will be published" in status.out
    path = catalog_path(syntax_project / "translations", "es", "every-element")
    catalog = read_catalog(path, locale="es")
    messages = [m for m in catalog if m.id]
    messages[0].string = ""
    messages[1].flags.add("fuzzy")
    path.write_text(render_catalog(catalog), "utf-8")
    status = run_cli(syntax_project, "status", "--lang", "es")
    total = len(messages)
    assert f"{total - 2}/{total} translated, 1 fuzzy, 1 untranslated" in status.out
    assert "NOT published: article translation incomplete: 1 untranslated, 1 fuzzy" in status.out
    build = run_cli(syntax_project, "build", "--format", "html", "-q")
    assert build.code == 0  # an unfinished translation waits; it is not a failure
    assert "waiting for translation" in build.err and "  es: 1 article (every-element)" in build.err
    assert not (syntax_project / "outputs" / "es").exists()
    assert (syntax_project / "outputs" / "en" / "every-element.en.html").exists()


def test_coverage_counts_against_the_current_template():
    article = read_article(ARTICLES[1])
    catalog = identity_catalog(article)
    numbers = coverage(catalog, template_for(article))
    assert numbers.complete and numbers.fuzzy == numbers.untranslated == 0


def test_unreadable_catalog_is_one_clear_error(tmp_path):
    path = tmp_path / "es.po"
    path.write_bytes('msgid "a"\nmsgstr "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(CatalogError) as caught:
        read_catalog(path, locale="es")
    assert caught.value.line == 2 and "UTF-8" in caught.value.one_line()


@pytest.mark.parametrize("change", ["as it is", "a fuzzy and an empty entry, an extra one", "an entry missing"])
def test_coverage_without_updating_counts_what_babels_update_counts(change):
    """The count made without copying and updating the catalog (every template message
    present) equals Babel's update in every language; a missing entry takes Babel's way."""
    import copy

    from pipeline.inputs.translate import _coverage_after_update, _coverage_in_step

    template = template_for(read_article(REPO / "sources" / f"{SLUG}.md", REPO))
    for path in sorted(REPO.glob(f"translations/*/LC_MESSAGES/{SLUG}.po")):
        catalog = copy.deepcopy(read_catalog(path, locale=path.parts[-3], shown=str(path)))
        entries = [message for message in catalog if message.id]
        if change.startswith("a fuzzy"):
            entries[3].flags.add("fuzzy")
            entries[5].string = ""
            catalog.add("A sentence no longer in the article.", "x", context="paragraph")
        elif change == "an entry missing":
            catalog.delete(entries[7].id, context=entries[7].context)
            assert _coverage_in_step(catalog, template) is None
            continue
        assert _coverage_in_step(catalog, template) == _coverage_after_update(catalog, template) \
            == coverage(catalog, template), path
