"""Review bound to the exact texts it approved (issue 20): approval records in the catalogs,
the review state computed from them, review sheets, `handouts approve`, and what the
outputs, the manifest and the feeds say about it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from pipeline.core.job import Approver
from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog, template_path
from pipeline.inputs.review import Scope, add_approval, make_approval, review_state, translation_of
from pipeline.inputs.sources import read_article

from conftest import SLUG, copy_project

OLD_SENTENCE = "A tumor in the lungs might cause shortness of breath."
NEW_SENTENCE = "A tumor in the lungs might cause shortness of breath or a cough."
NEW_SPANISH = "Un tumor en los pulmones podría causar dificultad para respirar o tos."
NOTICE = "Esta es una traducción preliminar."
REVIEWED_LINE = "Traducción revisada por Ana García (CMI, Spanish) el 1 de mayo de 2024."


def spanish_po(root: Path) -> Path:
    return catalog_path(root / "translations", "es", SLUG)


def sheet_json(root: Path, tag: str = "es") -> Path:
    return root / "review" / tag / f"{SLUG}.{tag}.json"


def state(root: Path, tag: str = "es"):
    article = read_article(root / "sources" / f"{SLUG}.md", root)
    catalog_id = tag.replace("-", "_")
    path = catalog_path(root / "translations", catalog_id, SLUG)
    return review_state(article, read_catalog(path, locale=catalog_id), Scope(catalog_id, SLUG), str(path))


def review_and_approve(run_cli, root: Path, tag: str = "es", *extra: str, date: str = "2024-05-01") -> str:
    made = run_cli(root, "review", "--lang", tag, *extra)
    assert made.code == 0, made.err
    digest = json.loads(sheet_json(root, tag).read_text("utf-8"))["digest"]
    approved = run_cli(root, "approve", "--sheet", digest[:10], "--reviewer", "Ana García",
                       "--credential", "CMI, Spanish", "--date", date)
    assert approved.code == 0, approved.err
    return digest


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


def edit_translation(root: Path, old: str, new: str, tag: str = "es") -> int:
    """Change a translation as a translator would; returns the line of its entry."""
    path = catalog_path(root / "translations", tag.replace("-", "_"), SLUG)
    catalog = read_catalog(path, locale=tag.replace("-", "_"))
    message = next(m for m in catalog if m.id and old in translation_of(m))
    message.string = message.string.replace(old, new)
    path.write_text(render_catalog(catalog), "utf-8")
    return message.lineno


def segment_of(root: Path, english: str) -> str:
    article = read_article(root / "sources" / f"{SLUG}.md", root)
    return next(s.id for s in article.segments() if english in s.text)


def spanish_html(root: Path) -> str:
    return (root / "outputs" / "es" / f"{SLUG}.es.html").read_text("utf-8")


# --- the defect, and the four steps ----------------------------------------------


def test_a_review_header_does_not_outlive_the_sentence_it_approved(project_copy, run_cli):
    """The defect as filed: reviewed header, changed sentence, fuzzy cleared -> no notice.
    A bare header now counts for nothing, and the build says so."""
    path = spanish_po(project_copy)
    text = path.read_text("utf-8")
    text = text.replace('"X-Review-Status: unreviewed\\n"', '"X-Review-Status: reviewed\\n"')
    text = text.replace('"X-Reviewed-By: \\n"', '"X-Reviewed-By: Ana Test, CHI\\n"')
    text = text.replace('"X-Review-Date: \\n"', '"X-Review-Date: 2024-02-01\\n"')
    path.write_text(text, "utf-8")
    change_the_english_sentence(project_copy)
    assert run_cli(project_copy, "extract").code == 0
    translator_updates_the_fuzzy_entry(project_copy)
    build = run_cli(project_copy, "build", "--lang", "es", "--format", "html", "-q")
    assert build.code == 0
    html = spanish_html(project_copy)
    assert NEW_SPANISH in html
    assert NOTICE in html, "a review that approved other text must not remove the draft notice"
    assert "the header says 'X-Review-Status: reviewed', but 0 of 43 segments" in build.err


def test_the_four_steps_leave_exactly_the_changed_segment_unreviewed_until_it_is_approved(project_copy, run_cli):
    root = project_copy
    review_and_approve(run_cli, root)  # step 1, done the way it is done now
    assert state(root).reviewed
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0
    assert NOTICE not in spanish_html(root) and REVIEWED_LINE in spanish_html(root)

    change_the_english_sentence(root)  # step 2
    assert run_cli(root, "extract").code == 0
    assert read_catalog(spanish_po(root), locale="es").get(NEW_SENTENCE.replace(
        "A tumor", "A metastatic tumor in the brain, for example, might cause headaches. A tumor"),
        context="paragraph").fuzzy
    translator_updates_the_fuzzy_entry(root)  # step 3
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0  # step 4
    html = spanish_html(root)
    assert NOTICE in html and NEW_SPANISH in html and "Traducción revisada por" not in html

    changed = segment_of(root, NEW_SENTENCE)
    status = run_cli(root, "status", "--lang", "es")
    assert "42/43 segments reviewed (partly reviewed: 42 of 43 segments)" in status.out
    pair = json.loads(run_cli(root, "status", "--lang", "es", "--json").out)["pairs"][0]
    assert pair["review_state"]["waiting"] == [changed] and pair["review_state"]["approved"] == 42

    # The re-review sheet shows only that segment, with both changes as diffs.
    assert run_cli(root, "review", "--lang", "es").code == 0
    sheet = json.loads(sheet_json(root).read_text("utf-8"))
    assert [s["id"] for s in sheet["segments"]] == [changed] and sheet["kind"] == "re-review"
    assert sheet["segments"][0]["previous_source"].endswith(OLD_SENTENCE)
    assert sheet["segments"][0]["previous_translation"].endswith("podría causar dificultad para respirar.")
    html = sheet_json(root).with_suffix(".html").read_text("utf-8")
    assert "<ins> or a cough</ins>" in html or "<ins>or a cough</ins>" in html.replace("<ins> ", "<ins>")
    assert re.search(r"<ins>\s*o tos</ins>", html)
    assert '<mark class="hedge" title="hedge">might</mark>' in html

    approved = run_cli(root, "approve", "--sheet", str(sheet_json(root).with_suffix(".pdf")), "--reviewer",
                       "Luis Pérez", "--credential", "CHI", "--date", "2024-06-02")
    assert approved.code == 0 and "1 segments approved by Luis Pérez (CHI) on 2024-06-02" in approved.out
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0
    html = spanish_html(root)
    assert NOTICE not in html
    assert "Traducción revisada por Ana García (CMI, Spanish) y Luis Pérez (CHI) el 2 de junio de 2024." in html


def test_an_edited_translation_unreviews_exactly_that_segment(project_copy, run_cli):
    root = project_copy
    review_and_approve(run_cli, root)
    edit_translation(root, "podría causar dolores de cabeza", "puede causar dolores de cabeza")
    now = state(root)
    assert (now.reviewed, now.approved, now.total) == (False, 42, 43)
    assert now.waiting == (segment_of(root, "might cause headaches"),)
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0
    assert NOTICE in spanish_html(root)
    edit_translation(root, "puede causar dolores de cabeza", "podría causar dolores de cabeza")
    assert state(root).reviewed, "the approved text again is approved again"


# --- what approve refuses ---------------------------------------------------------


def test_approve_refuses_a_catalog_changed_since_the_sheet_was_made(project_copy, run_cli):
    root = project_copy
    assert run_cli(root, "review", "--lang", "es").code == 0
    line = edit_translation(root, "podría causar dolores de cabeza", "puede causar dolores de cabeza")
    result = run_cli(root, "approve", "--sheet", str(sheet_json(root).with_suffix(".html")), "--reviewer", "Ana",
                     "--credential", "CMI")
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1
    assert f"translations/es/LC_MESSAGES/{SLUG}.po:{line}" in result.err
    assert "changed since the sheet" in result.err and "for example, might cause" in result.err
    assert state(root).approved == 0


@pytest.mark.parametrize("arguments, words", [
    (["--reviewer", "Ana García"], "has no credential"),
    (["--reviewer", "Ana García", "--credential", "  "], "has no credential"),
    (["--reviewer", "", "--credential", "CMI"], "the reviewer has no name"),
    (["--reviewer", "Ana [x]", "--credential", "CMI"], "contains a bracket"),
    (["--reviewer", "Ana", "--credential", "CMI", "--date", "2024-13-01"], "is not a date"),
    (["--reviewer", "Ana", "--credential", "CMI", "--date", "2999-01-01"], "in the future"),
])
def test_approve_refuses_a_reviewer_without_name_or_credential(project_copy, run_cli, arguments, words):
    assert run_cli(project_copy, "review", "--lang", "es").code == 0
    result = run_cli(project_copy, "approve", "--sheet", str(sheet_json(project_copy)), *arguments)
    assert result.code == 1 and words in result.err and len(result.err.strip().splitlines()) == 1
    assert state(project_copy).approved == 0


def test_approve_refuses_a_catalog_with_a_fuzzy_entry(project_copy, run_cli):
    root = project_copy
    change_the_english_sentence(root)
    assert run_cli(root, "extract").code == 0
    made = run_cli(root, "review", "--lang", "es")
    assert "cannot be approved until it is complete" in made.out
    assert "cannot be approved yet" in sheet_json(root).with_suffix(".html").read_text("utf-8")
    result = run_cli(root, "approve", "--sheet", str(sheet_json(root)), "--reviewer", "Ana", "--credential", "CMI")
    assert result.code == 1 and "fuzzy entry: only a complete translation can be approved" in result.err
    assert re.search(rf"{SLUG}\.po:\d+: .*for example, might cause", result.err)


def test_approve_refuses_an_edited_or_unknown_sheet(project_copy, run_cli):
    root = project_copy
    assert run_cli(root, "review", "--lang", "es").code == 0
    path = sheet_json(root)
    sheet = json.loads(path.read_text("utf-8"))
    sheet["segments"] = sheet["segments"][:-1]  # a sheet that shows less than it claims
    path.write_text(json.dumps(sheet), "utf-8")
    result = run_cli(root, "approve", "--sheet", str(path), "--reviewer", "Ana", "--credential", "CMI")
    assert result.code == 1 and "do not match its digest" in result.err
    result = run_cli(root, "approve", "--sheet", "0123456789ab", "--reviewer", "Ana", "--credential", "CMI")
    assert result.code == 1 and "no review sheets in review/ have the digest 0123456789ab" in result.err
    path.write_text("{not json", "utf-8")
    result = run_cli(root, "approve", "--sheet", str(path), "--reviewer", "Ana", "--credential", "CMI")
    assert result.code == 1 and "cannot read the review sheet" in result.err


# --- approval records that do not match the catalog --------------------------------


def _approved_copy(run_cli, root: Path) -> Path:
    review_and_approve(run_cli, root)
    return spanish_po(root)


@pytest.mark.parametrize("case", ["hand-edited", "malformed", "another catalog"])
def test_a_record_that_does_not_match_its_catalog_is_one_line_and_no_handout(project_copy, run_cli, case):
    root = project_copy
    po = _approved_copy(run_cli, root)
    if case == "another catalog":
        # Approved Spanish records pasted into the Portuguese catalog (same English entries).
        spanish = read_catalog(po, locale="es")
        path = catalog_path(root / "translations", "pt_BR", SLUG)
        portuguese = read_catalog(path, locale="pt_BR")
        message = next(m for m in portuguese if m.id)
        message.user_comments = list(spanish.get(message.id, context=message.context).user_comments)
        path.write_text(render_catalog(portuguese), "utf-8")
        tag, msgid = "pt-BR", message.id
    else:
        text = po.read_text("utf-8")
        record = re.search(r"# approved 2024-05-01 by Ana García \(CMI, Spanish\) \[[0-9a-f ]+\]\n", text).group(0)
        bad = record.replace("Ana García", "Ana Garcia") if case == "hand-edited" else "# approved yesterday\n"
        path, tag = po, "es"
        path.write_text(text.replace(record, bad, 1), "utf-8")
        msgid = "Understanding the Difference Between Invasive and Metastatic Breast Cancer"
    build = run_cli(root, "build", "--lang", tag, "--format", "html", "-q")
    assert build.code == 1
    lines = [l for l in build.err.splitlines() if "approval record" in l]
    assert len(lines) == 1, build.err
    shown = str(path.relative_to(root))
    assert re.search(rf"{re.escape(shown)}:\d+: .*{re.escape(msgid[:40])}", lines[0]), lines[0]
    assert not (root / "outputs" / tag / f"{SLUG}.{tag}.html").exists()


# --- the records travel with the catalog --------------------------------------------


def test_an_approved_catalog_keeps_its_approval_through_msgmerge_msgcat_and_babel(project_copy, run_cli, tmp_path):
    from babel.messages.pofile import read_po, write_po

    root = project_copy
    po = _approved_copy(run_cli, root)
    pot = template_path(root / "translations", SLUG)
    merged = tmp_path / "merged.po"
    subprocess.run(["msgmerge", "--quiet", "--previous", "-o", str(merged), str(po), str(pot)], check=True)
    subprocess.run(["msgcat", "-o", str(po), str(merged)], check=True)
    assert state(root).reviewed and state(root).approved == 43
    with po.open("rb") as handle:  # plain Babel, as `pybabel update` would read and write it
        catalog = read_po(handle, locale="es")
    with po.open("wb") as handle:
        write_po(handle, catalog, width=40)  # narrow: Babel wraps the long records
    assert "# approved 2024-05-01 by Ana García (CMI,\n# Spanish)" in po.read_text("utf-8")
    again = state(root)
    assert again.reviewed and again.approvers == (Approver("Ana García", "CMI, Spanish"),)
    # msgmerge with a changed source: the entry goes fuzzy with its record, and only it waits.
    change_the_english_sentence(root)
    assert run_cli(root, "extract").code == 0
    subprocess.run(["msgmerge", "--quiet", "--previous", "-U", "--backup=off", str(po), str(pot)], check=True)
    assert state(root).waiting == (segment_of(root, NEW_SENTENCE),) and state(root).approved == 42


# --- publishing ------------------------------------------------------------------


def test_publish_unreviewed_false_waits_for_a_partly_reviewed_language_and_names_its_segments(project_copy, run_cli):
    root = project_copy
    review_and_approve(run_cli, root)
    config = (root / "handouts.toml").read_text("utf-8")
    (root / "handouts.toml").write_text(config.replace("publish_unreviewed = true", "publish_unreviewed = false"))
    assert run_cli(root, "build", "--lang", "es", "--lang", "vi", "--format", "html", "-q").code == 0
    assert (root / "outputs" / "es" / f"{SLUG}.es.html").exists()
    assert not (root / "outputs" / "vi").exists()
    edit_translation(root, "podría causar dolores de cabeza", "puede causar dolores de cabeza")
    build = run_cli(root, "build", "--lang", "es", "--format", "html", "-q")
    segment = segment_of(root, "might cause headaches")
    assert build.code == 0 and "waiting for review by a qualified medical translator" in build.err
    assert f"  es {SLUG}: 1 of 43 segments wait for approval ({segment};" in build.err
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    spanish = [f for f in manifest["files"] if f["language"] == "es"]
    assert spanish and not any(f["current"] for f in spanish), "the old reviewed page is no longer offered"


def test_an_approval_rebuilds_exactly_the_outputs_it_changes(project_copy, run_cli):
    root = project_copy
    assert run_cli(root, "build", "--lang", "es", "--lang", "vi", "--lang", "ar", "--format", "html", "-q").code == 0
    # Records on some Vietnamese segments: still a draft, so no file changes...
    path = catalog_path(root / "translations", "vi", SLUG)
    catalog = read_catalog(path, locale="vi")
    for message in [m for m in catalog if m.id][:10]:
        add_approval(message, make_approval(Scope("vi", SLUG), "2024-05-01", Approver("Minh Tran", "CMI"),
                                            message.context, message.id, translation_of(message)))
    path.write_text(render_catalog(catalog), "utf-8")
    build = run_cli(root, "build", "--lang", "es", "--lang", "vi", "--lang", "ar", "--format", "html")
    assert "built 0, up to date 3" in build.out
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    vietnamese = next(f for f in manifest["files"] if f["language"] == "vi")
    assert vietnamese["review_state"]["approved"] == 10 and vietnamese["review"] == "partly reviewed: 10 of 43 segments"
    # ...and a full approval of Spanish rebuilds the Spanish page alone.
    review_and_approve(run_cli, root)
    build = run_cli(root, "build", "--lang", "es", "--lang", "vi", "--lang", "ar", "--format", "html")
    assert "built 1, up to date 2" in build.out
    summary = run_cli(root, "status").out
    assert re.search(r"\nes .* 43/43  ", summary) and re.search(r"\nvi .* 10/43  ", summary)


def test_a_new_template_word_missing_from_a_language_holds_nothing_back(project_copy, run_cli):
    """The reviewer-with-credential word is new: until a language translates it, its handouts
    use the words it has; once translated, its own."""
    root = project_copy
    review_and_approve(run_cli, root)
    assert run_cli(root, "extract").code == 0  # the new word arrives untranslated in every ui.po
    ui = catalog_path(root / "translations", "es", "ui")
    assert 'msgid "%(name)s (%(credential)s)"\nmsgstr ""' in ui.read_text("utf-8")
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0
    assert REVIEWED_LINE in spanish_html(root)
    assert "ok   translations/es/LC_MESSAGES/ui.po: translation QA clean" in run_cli(root, "check", "--lang", "es").out
    text = ui.read_text("utf-8").replace('msgid "%(name)s (%(credential)s)"\nmsgstr ""',
                                         'msgid "%(name)s (%(credential)s)"\nmsgstr "%(name)s, %(credential)s"')
    ui.write_text(text, "utf-8")
    assert run_cli(root, "build", "--lang", "es", "--format", "html", "-q").code == 0
    assert "Traducción revisada por Ana García, CMI, Spanish el 1 de mayo de 2024." in spanish_html(root)


def test_extract_writes_the_previous_text_of_a_long_sentence_as_gettext_reads_it(project_copy, run_cli):
    """Babel 2.18 joins the quoted lines of a long previous msgid into one broken `#|` line;
    `handouts extract` writes it the way msgmerge does, so Poedit and msgfmt can open it."""
    change_the_english_sentence(project_copy)
    assert run_cli(project_copy, "extract").code == 0
    po = spanish_po(project_copy)
    text = po.read_text("utf-8")
    assert '#| msgid ""\n#| "A metastatic tumor in the brain, for example, might cause headaches. A "\n' in text
    subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(po)], check=True, capture_output=True)
    message = read_catalog(po, locale="es").get(
        "A metastatic tumor in the brain, for example, might cause headaches. " + NEW_SENTENCE, context="paragraph")
    assert message.previous_id == ["A metastatic tumor in the brain, for example, might cause headaches. "
                                   + OLD_SENTENCE]


# --- reviewed outputs say so (real PDF, EPUB and narration) -------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_a_reviewed_handout_ebook_narration_and_pages_name_the_reviewer(tmp_path, run_cli):
    from mutagen.id3 import ID3

    from pipeline.checks.epub import read_package, run_epubcheck

    root = copy_project(tmp_path / "project")
    review_and_approve(run_cli, root)
    assert run_cli(root, "build", "--lang", "es", "--lang", "vi", "-q").code == 0
    base = root / "outputs" / "es" / f"{SLUG}.es"
    page_one = _words(subprocess.run(["pdftotext", "-f", "1", "-l", "1", f"{base}.pdf", "-"], capture_output=True,
                                     text=True, check=True).stdout)
    assert REVIEWED_LINE in page_one and NOTICE not in page_one
    whole = _words(subprocess.run(["pdftotext", f"{base}.pdf", "-"], capture_output=True, text=True).stdout)
    assert whole.count(REVIEWED_LINE) == 2  # under the title, and in "About this handout"

    package = read_package(Path(f"{base}.epub"))
    assert REVIEWED_LINE in _words(" ".join(package.documents["titlepage.xhtml"].itertext()))
    assert REVIEWED_LINE in package.metadata("dc:description")[0]
    assert "Ana García (CMI, Spanish)" in package.metadata("dc:contributor")
    epubcheck = run_epubcheck(Path(f"{base}.epub"))
    assert epubcheck.errors == [] and epubcheck.warnings == []

    comment = ID3(f"{base}.mp3").getall("COMM")[0].text[0]
    assert REVIEWED_LINE in comment and NOTICE not in comment
    cues = json.loads((root / ".cache" / "handouts" / "artifacts" / "es" / f"{SLUG}.es.timeline.json")
                      .read_text("utf-8"))["cues"]
    spoken = {cue["id"]: cue["text"] for cue in cues}
    assert spoken["translation-review"] == REVIEWED_LINE and "review-notice" not in spoken
    overlays = [data.decode("utf-8") for name, data in package.files.items() if name.endswith(".smil")]
    assert any("titlepage.xhtml#translation-review" in smil for smil in overlays), "read along, highlighted"

    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    states = {(f["language"], f["format"]): f["review_state"] for f in manifest["files"]}
    assert states[("es", "pdf")]["state"] == "reviewed" and states[("es", "pdf")]["reviewers"] == [
        {"name": "Ana García", "credential": "CMI, Spanish"}]
    assert states[("vi", "epub")]["state"] == "unreviewed" and states[("vi", "epub")]["total"] == 43
    feed = (root / "outputs" / "es" / "catalog.xml").read_text("utf-8")
    assert 'term="reviewed"' in feed and REVIEWED_LINE in feed
    assert 'term="unreviewed"' in (root / "outputs" / "vi" / "catalog.xml").read_text("utf-8")
    assert REVIEWED_LINE in (root / "outputs" / "es" / "index.html").read_text("utf-8")
    article_page = (root / "outputs" / "articles" / f"{SLUG}.html").read_text("utf-8")
    assert "Translation reviewed by Ana García (CMI, Spanish) on 2024-05-01." in article_page


# --- the sheets, as a reviewer sees them ---------------------------------------------


def _sizes_and_fonts(pdf: Path) -> tuple[float, set[str]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    sizes, fonts = [], set()

    def walk(item) -> None:
        if isinstance(item, LTChar):
            if item.get_text().strip():
                sizes.append(item.size)
                fonts.add(item.fontname.split("+")[-1])
            return
        for child in getattr(item, "__iter__", lambda: iter(()))():
            walk(child)

    for page in extract_pages(str(pdf)):
        walk(page)
    return min(sizes), fonts


@pytest.mark.slow
@pytest.mark.parametrize("tag, font, direction", [("es", "Andika", "ltr"), ("ar", "NotoSansArabic", "rtl")])
def test_review_sheets_open_in_chromium_and_print_in_large_type(tmp_path, run_cli, browser, tag, font, direction):
    root = copy_project(tmp_path / "project")
    review_and_approve(run_cli, root, tag)
    before = _a_translation(root, tag)
    edit_translation(root, before, before.replace(" ", "  ", 1), tag)  # a translation edited after approval
    assert run_cli(root, "review", "--lang", tag).code == 0
    sheet = json.loads(sheet_json(root, tag).read_text("utf-8"))
    assert sheet["kind"] == "re-review" and len(sheet["segments"]) == 1
    assert run_cli(root, "review", "--lang", tag, "--all").code == 0  # the whole sheet, to look at
    html, pdf = sheet_json(root, tag).with_suffix(".html"), sheet_json(root, tag).with_suffix(".pdf")
    assert not any(p.name == "review" for p in (root / "outputs").rglob("*")), "sheets are never published"

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(html.as_uri())
    source = page.locator("section.segment td.source").nth(4)
    translation = page.locator("section.segment td.translation").nth(4)
    left, right = source.bounding_box(), translation.bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"] - 2, "side by side"
    assert translation.evaluate("e => getComputedStyle(e).direction") == direction
    assert font.replace("NotoSans", "Noto Sans ") in translation.evaluate("e => getComputedStyle(e).fontFamily")
    assert float(source.evaluate("e => getComputedStyle(e).fontSize").rstrip("px")) >= 18
    assert page.locator("mark.hedge").count() >= 10 and page.locator("mark.firm").count() >= 1
    assert page.locator("#digest").inner_text().replace(" ", "") == sheet_json_digest(root, tag)
    page.screenshot(path=str(tmp_path / f"sheet-{tag}.png"), full_page=False)
    page.close()

    smallest, fonts = _sizes_and_fonts(pdf)
    assert smallest >= 18 - 0.01
    assert all(any(name.replace("-", "").startswith(want) for name in fonts) for want in ("Andika", font)), fonts
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height, "landscape, so that the two texts stand side by side"
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert sheet_json_digest(root, tag)[:8] in text.replace(" ", "")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / f"print-{tag}")],
                   check=True)
    assert len(list(tmp_path.glob(f"print-{tag}*.png"))) == 2


def _a_translation(root: Path, tag: str) -> str:
    """The translation of the paragraph about headaches, in `tag`."""
    catalog = read_catalog(catalog_path(root / "translations", tag, SLUG), locale=tag)
    return next(translation_of(m) for m in catalog if m.id and "might cause headaches" in m.id)


def sheet_json_digest(root: Path, tag: str) -> str:
    return json.loads(sheet_json(root, tag).read_text("utf-8"))["digest"]


def test_a_review_folder_inside_the_published_outputs_is_refused(project_copy, run_cli):
    config = project_copy / "handouts.toml"
    config.write_text(config.read_text("utf-8") + '\n[project]\nreview = "outputs/review"\n', "utf-8")
    result = run_cli(project_copy, "review", "--lang", "es")
    assert result.code == 1 and "handouts.toml:" in result.err
    assert "project.review is inside the outputs folder, which is published" in result.err


def test_approve_of_a_re_review_refuses_when_another_segment_changed_since(project_copy, run_cli):
    root = project_copy
    review_and_approve(run_cli, root)
    edit_translation(root, "podría causar dolores de cabeza", "puede causar dolores de cabeza")
    assert run_cli(root, "review", "--lang", "es").code == 0  # shows that one segment
    line = edit_translation(root, "Diagnóstico reciente", "Recién diagnosticado")
    result = run_cli(root, "approve", "--sheet", str(sheet_json(root)), "--reviewer", "Ana", "--credential", "CMI")
    assert result.code == 1 and f"{SLUG}.po:{line}: the catalog or its source changed since the sheet" in result.err
    assert f"(segment {segment_of(root, 'Just Diagnosed')})" in result.err and "Just Diagnosed" in result.err
