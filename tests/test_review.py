"""Review bound to the exact texts it approved (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog

from conftest import SLUG

OLD_SENTENCE = "A tumor in the lungs might cause shortness of breath."
NEW_SENTENCE = "A tumor in the lungs might cause shortness of breath or a cough."
NEW_SPANISH = "Un tumor en los pulmones podría causar dificultad para respirar o tos."
NOTICE = "Esta es una traducción preliminar."


def spanish_po(root: Path) -> Path:
    return catalog_path(root / "translations", "es", SLUG)


def change_the_english_sentence(root: Path) -> None:
    path = root / "sources" / f"{SLUG}.md"
    text = path.read_text("utf-8")
    assert OLD_SENTENCE in text
    path.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE), "utf-8")


def translator_updates_the_fuzzy_entry(root: Path) -> None:
    """What a PO editor does (Poedit: edit, then 'Needs work' off): new translation, the
    fuzzy flag and the previous text (#|) gone."""
    path = spanish_po(root)
    catalog = read_catalog(path, locale="es")
    message = next(m for m in catalog if m.id and NEW_SENTENCE in m.id)
    assert message.fuzzy
    message.string = message.string.replace("podría causar dificultad para respirar.", "podría causar "
                                            "dificultad para respirar o tos.")
    assert NEW_SPANISH in message.string
    message.flags.discard("fuzzy")
    message.previous_id = []
    path.write_text(render_catalog(catalog), "utf-8")


def test_a_review_header_does_not_outlive_the_sentence_it_approved(project_copy, run_cli):
    """The defect as filed: reviewed header, changed sentence, fuzzy cleared -> no notice."""
    path = spanish_po(project_copy)
    text = path.read_text("utf-8")
    text = text.replace('"X-Review-Status: unreviewed\\n"', '"X-Review-Status: reviewed\\n"')
    text = text.replace('"X-Reviewed-By: \\n"', '"X-Reviewed-By: Ana Test, CHI\\n"')
    text = text.replace('"X-Review-Date: \\n"', '"X-Review-Date: 2024-02-01\\n"')
    path.write_text(text, "utf-8")
    change_the_english_sentence(project_copy)
    assert run_cli(project_copy, "extract").code == 0
    translator_updates_the_fuzzy_entry(project_copy)
    assert run_cli(project_copy, "build", "--lang", "es", "--format", "html", "-q").code == 0
    html = (project_copy / "outputs" / "es" / f"{SLUG}.es.html").read_text("utf-8")
    assert NEW_SPANISH in html
    assert NOTICE in html, "a review that approved other text must not remove the draft notice"
