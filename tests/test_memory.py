"""Translation memory at `handouts extract`: an untranslated segment of a new article is
offered, as fuzzy, what another article of the same language already translates."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from conftest import SLUG, copy_project
from pipeline.core.job import Approver
from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog
from pipeline.inputs.memory import CLOSE_MATCH, Candidate, Memory, similarity
from pipeline.inputs.review import Scope, add_approval, make_approval, translation_of

NEW = "questions-to-ask"
LANGUAGES = ("en", "es", "fr")
# Segments of the seed article, repeated word for word in the new ones.
REPEATED = [
    "You should report persistent symptoms to your doctor, especially if you’ve previously been treated for cancer.",
    "Blood tests can provide some information but can’t say for certain if you have cancer or what type it may be.",
]
FRESH = "Write down your questions before you see your doctor, and bring someone with you to take notes."
SEED_LIST = ["ultrasounds", "MRIs", "X-rays", "CT scans", "bone scans", "positron emission tomography (PET) scans"]
RESEARCH = "Research into treatment for metastatic cancer is ongoing."
# A seed paragraph with "stage 0" changed to "stage 1".
NUMBERED = ("Abnormal cells aren’t cancerous, but they may increase your risk of developing cancer. When you have "
            "atypical cells that haven’t spread, the cells are considered noninvasive. This is sometimes referred to "
            "as pre-cancer or stage 1 cancer.")


def project(tmp_path: Path) -> Path:
    """The real project in English, Spanish and French only (extract then takes a fraction
    of a second)."""
    root = copy_project(tmp_path / "project")
    config = root / "handouts.toml"
    text = re.sub(r"(?s)^languages = \[.*?\]", "languages = [" + ", ".join(f'"{t}"' for t in LANGUAGES) + "]",
                  config.read_text("utf-8"), count=1, flags=re.MULTILINE)
    text = re.sub(r"(?ms)^\[language\.[^\]]+\].*?(?=^\[|\Z)", "", text)
    config.write_text(text, "utf-8")
    for folder in (root / "translations").iterdir():
        if folder.is_dir() and folder.name not in LANGUAGES:
            shutil.rmtree(folder)
    return root


def write_article(root: Path, slug: str, paragraphs: list[str], title: str = "Questions to Ask Your Doctor",
                  items: list[str] | None = None) -> None:
    body = "\n\n".join(paragraphs)
    if items:
        body += "\n\n" + "\n".join(f"- {item}" for item in items)
    (root / "sources" / f"{slug}.md").write_text(
        f"---\ntitle: {title}\nlanguage: en\nupdated: 2024-03-01\n---\n\n{body}\n", "utf-8")


def po(root: Path, slug: str = NEW, tag: str = "es") -> Path:
    return catalog_path(root / "translations", tag, slug)


def catalog(root: Path, slug: str = NEW, tag: str = "es"):
    return read_catalog(po(root, slug, tag), locale=tag)


def entry(root: Path, msgid: str, slug: str = NEW, tag: str = "es", context: str = "paragraph"):
    message = catalog(root, slug, tag).get(msgid, context=context)
    assert message is not None, msgid
    return message


def comment(message) -> str:
    """The translator comment, joined again where Babel wrapped it at 78 columns."""
    return " ".join(message.user_comments)


def seed_translation(root: Path, msgid: str, tag: str = "es", context: str = "paragraph") -> str:
    return translation_of(entry(root, msgid, SLUG, tag, context))


def edit(root: Path, slug: str, msgid: str, *, string: str, fuzzy: bool = False, approve: bool = False,
         context: str = "paragraph") -> None:
    """What a translator (and a reviewer) would do to one entry of the Spanish catalog."""
    path = po(root, slug)
    found = read_catalog(path, locale="es")
    message = found.get(msgid, context=context)
    message.string = string
    message.previous_id = []
    message.user_comments = []
    (message.flags.add if fuzzy else message.flags.discard)("fuzzy")
    if approve:
        add_approval(message, make_approval(Scope("es", slug), "2024-05-01", Approver("Ana Test", "CMI, Spanish"),
                                            context, msgid, string))
    path.write_text(render_catalog(found), "utf-8")


# --- what is offered -------------------------------------------------------------------------


def test_a_new_article_gets_the_translations_of_its_repeated_segments_as_fuzzy(tmp_path, run_cli):
    root = project(tmp_path)
    write_article(root, NEW, [*REPEATED, FRESH], items=SEED_LIST)
    seed_before = po(root, SLUG).read_bytes()
    result = run_cli(root, "extract")
    assert result.code == 0, result.err
    for tag in ("es", "fr"):
        for msgid in REPEATED:
            message = entry(root, msgid, tag=tag)
            assert message.fuzzy and message.string == seed_translation(root, msgid, tag)
            assert message.user_comments == [f"memory: from {SLUG}.po (draft)"]
        for item in SEED_LIST:
            assert entry(root, item, tag=tag, context="list item").fuzzy
        fresh = entry(root, FRESH, tag=tag)
        assert fresh.string == "" and not fresh.fuzzy and fresh.user_comments == []
        title = entry(root, "Questions to Ask Your Doctor", tag=tag, context="title")
        assert title.string == "" and not title.fuzzy
    # Each language from its own catalogs: the French article never gets Spanish.
    assert entry(root, REPEATED[0], tag="fr").string != entry(root, REPEATED[0], tag="es").string
    assert po(root, SLUG).read_bytes() == seed_before, "translated entries are never touched"


def test_extract_reports_per_language_and_article_what_memory_offered(tmp_path, run_cli):
    root = project(tmp_path)
    write_article(root, NEW, [*REPEATED, FRESH, RESEARCH.replace("metastatic", "metastatic breast")],
                  items=SEED_LIST)
    result = run_cli(root, "extract")
    memory = [line for line in result.out.splitlines() if line.startswith("memory:")]
    # 11 segments: the title, 4 paragraphs, 6 list items; 8 exact, 1 close.
    assert memory == [
        f"memory: {tag}: 9 of 11 segments of {NEW} offered (8 exact, 1 close; 0 from reviewed translations)"
        for tag in ("es", "fr")
    ]
    again = run_cli(root, "extract")
    assert "memory:" not in again.out and "0 files updated" in again.out, "offers are made once, as fuzzy"


@pytest.mark.parametrize("approval, chosen", [("valid", "reviewed"), ("none", "seed"), ("stale", "seed")])
def test_a_reviewed_translation_is_preferred_over_a_draft(tmp_path, run_cli, approval, chosen):
    """The same sentence translated in the seed (a draft) and in another article; that
    other article's name sorts after the seed's, so only its approval can make it win. An
    approval of a text that has changed since is no approval."""
    root = project(tmp_path)
    other = "zz-reviewed"
    write_article(root, other, [REPEATED[0]], title="Reviewed")
    assert run_cli(root, "extract").code == 0
    edit(root, other, REPEATED[0], string="Informe a su médico (revisado).", approve=approval != "none")
    if approval == "stale":
        edit_keeping_records(root, other, REPEATED[0], "Informe a su médico (cambiado).")
    write_article(root, NEW, [REPEATED[0]])
    result = run_cli(root, "extract")
    message = entry(root, REPEATED[0])
    assert message.fuzzy
    if chosen == "reviewed":
        assert message.string == "Informe a su médico (revisado)."
        assert message.user_comments == [f"memory: from {other}.po (reviewed)"]
        assert f"memory: es: 1 of 2 segments of {NEW} offered (1 exact, 0 close; 1 from reviewed translations)" \
            in result.out
    else:
        assert message.string == seed_translation(root, REPEATED[0])
        assert message.user_comments == [f"memory: from {SLUG}.po (draft)"]


def edit_keeping_records(root: Path, slug: str, msgid: str, string: str) -> None:
    path = po(root, slug)
    found = read_catalog(path, locale="es")
    found.get(msgid, context="paragraph").string = string
    path.write_text(render_catalog(found), "utf-8")


def test_fuzzy_and_obsolete_entries_are_never_offered(tmp_path, run_cli):
    root = project(tmp_path)
    fuzzy_sentence = "Ask which tests you will need and when the results will be ready."
    moved_sentence = "Ask how each treatment may affect your work and your family."
    write_article(root, "b-drafts", [fuzzy_sentence, moved_sentence], title="Drafts")
    assert run_cli(root, "extract").code == 0
    edit(root, "b-drafts", fuzzy_sentence, string="Pregunte qué pruebas necesitará.", fuzzy=True)
    edit(root, "b-drafts", moved_sentence, string="Pregunte cómo cada tratamiento afectará su trabajo.")
    # The second sentence leaves b-drafts (its entry becomes obsolete) for the new article.
    write_article(root, "b-drafts", [fuzzy_sentence], title="Drafts")
    write_article(root, NEW, [fuzzy_sentence, moved_sentence])
    result = run_cli(root, "extract")
    assert result.code == 0, result.err
    assert [m.id for m in catalog(root, "b-drafts").obsolete.values()] == [moved_sentence]
    for msgid in (fuzzy_sentence, moved_sentence):
        message = entry(root, msgid)
        assert message.string == "" and not message.fuzzy
    assert f"segments of {NEW} offered" not in result.out


def test_a_slightly_edited_sentence_is_offered_as_a_close_match(tmp_path, run_cli):
    root = project(tmp_path)
    edited = RESEARCH.replace("metastatic", "metastatic breast")
    numbered = NUMBERED
    marked = RESEARCH.replace("metastatic cancer", "**metastatic cancer**")
    far = "Research into nutrition during treatment is what this handout is about."
    write_article(root, NEW, [edited, numbered, far])
    write_article(root, "other-marked", [marked], title="Marked")
    assert run_cli(root, "extract").code == 0
    message = entry(root, edited)
    assert message.fuzzy and message.string == seed_translation(root, RESEARCH)
    assert message.previous_id == [RESEARCH], "the earlier English, for the editor's diff"
    assert re.fullmatch(rf"memory: close match \(\d\d%\) from {SLUG}\.po \(draft\)", comment(message))
    number = entry(root, numbered)
    assert re.fullmatch(rf"memory: close match \(\d\d%\), its numbers differ, from {SLUG}\.po \(draft\)",
                        comment(number)) and number.fuzzy
    placeholders = entry(root, "Research into treatment for {1}metastatic cancer{/1} is ongoing.", "other-marked")
    assert placeholders.fuzzy and comment(placeholders).startswith("memory: close match (")
    assert comment(placeholders).endswith(f", its placeholders differ, from {SLUG}.po (draft)")
    assert entry(root, far).string == "", "below the threshold nothing is offered"


def test_an_offer_emptied_by_its_translator_is_offered_again_with_one_comment(tmp_path, run_cli):
    """The close-match comment is longer than Babel's 78 columns, so it is wrapped over two
    comment lines; a new offer replaces both and keeps the translator's own comment."""
    root = project(tmp_path)
    edited = NUMBERED
    write_article(root, NEW, [edited])
    assert run_cli(root, "extract").code == 0
    path = po(root)
    found = read_catalog(path, locale="es")
    message = found.get(edited, context="paragraph")
    assert len(message.user_comments) == 2, "wrapped by Babel"
    message.string = ""
    message.flags.discard("fuzzy")
    message.user_comments = ["ask the oncologist", *message.user_comments]
    path.write_text(render_catalog(found), "utf-8")
    assert run_cli(root, "extract").code == 0
    message = entry(root, edited)
    assert message.user_comments[0] == "ask the oncologist" and message.fuzzy
    assert re.fullmatch(rf"memory: close match \(\d\d%\), its numbers differ, from {SLUG}\.po \(draft\)",
                        " ".join(message.user_comments[1:]))


def test_template_words_are_not_memory(tmp_path, run_cli):
    root = project(tmp_path)
    ui = read_catalog(po(root, "ui"), locale="es")
    assert translation_of(ui.get("Patient education"))
    write_article(root, NEW, ["Patient education"])
    assert run_cli(root, "extract").code == 0
    assert entry(root, "Patient education").string == ""


def test_a_renamed_article_gets_its_translations_back_from_its_old_catalog(tmp_path, run_cli):
    root = project(tmp_path)
    (root / "sources" / f"{SLUG}.md").rename(root / "sources" / "renamed.md")
    result = run_cli(root, "extract")
    assert result.code == 0, result.err
    assert "memory: es: 43 of 43 segments of renamed offered (43 exact, 0 close; 0 from reviewed translations)" \
        in result.out
    assert all(m.fuzzy for m in catalog(root, "renamed") if m.id)


# --- nothing is published from memory until a translator has read it ------------------------


def test_a_memory_filled_catalog_waits_until_its_fuzzy_flags_are_cleared(tmp_path, run_cli):
    root = project(tmp_path)
    write_article(root, NEW, REPEATED, items=SEED_LIST)
    assert run_cli(root, "extract").code == 0
    edit(root, NEW, "Questions to Ask Your Doctor", string="Preguntas para su médico", context="title")
    html = root / "outputs" / "es" / f"{NEW}.es.html"

    build = run_cli(root, "build", "--lang", "es", "--article", NEW, "--format", "html", "-q")
    assert build.code == 0, build.err
    assert f"es: 1 article ({NEW})" in build.err and "waiting for translation" in build.err
    assert "waiting 1" in build.out and not html.exists()

    found = catalog(root)  # the translator reads every offer and clears its flag
    for message in found:
        if message.id:
            message.flags.discard("fuzzy")
    po(root).write_text(render_catalog(found), "utf-8")
    build = run_cli(root, "build", "--lang", "es", "--article", NEW, "--format", "html", "-q")
    assert build.code == 0 and "waiting 0" in build.out, build.out + build.err
    assert seed_translation(root, REPEATED[0]).split()[0] in html.read_text("utf-8")


# --- the files stay valid gettext, and bad input is one line ---------------------------------


def test_a_memory_filled_catalog_reads_with_babel_and_passes_msgfmt(tmp_path, run_cli):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt is not installed (Debian package gettext)")
    root = project(tmp_path)
    write_article(root, NEW, [*REPEATED, FRESH, RESEARCH.replace("metastatic", "metastatic breast")],
                  items=SEED_LIST)
    assert run_cli(root, "extract").code == 0
    for tag in ("es", "fr"):
        path = po(root, tag=tag)
        with path.open("rb") as handle:
            plain = read_po(handle, locale=tag)
        assert sum(1 for m in plain if m.id and m.fuzzy) == 9
        checked = subprocess.run([msgfmt, "--check-format", "-o", "/dev/null", str(path)],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_a_catalog_that_cannot_be_read_is_one_line_and_not_memory(tmp_path, run_cli):
    root = project(tmp_path)
    retired = po(root, "retired-article")
    retired.write_bytes(f'msgid ""\nmsgstr ""\n\nmsgid "{REPEATED[0]}"\n'.encode("utf-8")
                        + 'msgstr "Informe à su médico."\n'.encode("latin-1"))  # not UTF-8
    seed_fr = po(root, SLUG, "fr")
    seed_fr.write_text(seed_fr.read_text("utf-8") + '\nmsgctxt "category"\nmsgid "Just Diagnosed"\nmsgstr "x"\n',
                       "utf-8")  # the same message twice
    broken_fr = seed_fr.read_bytes()
    write_article(root, NEW, REPEATED)
    result = run_cli(root, "extract")
    assert result.code == 1
    lines = sorted(result.err.strip().splitlines(), key=lambda line: "fr/" in line)
    assert len(lines) == 2 and "internal error" not in result.err, result.err
    assert re.match(r"handouts: translations/es/LC_MESSAGES/retired-article\.po:\d+: ", lines[0]), lines[0]
    assert re.match(rf"handouts: translations/fr/LC_MESSAGES/{SLUG}\.po:\d+: ", lines[1]), lines[1]
    assert seed_fr.read_bytes() == broken_fr, "a catalog that cannot be read is left as it is"
    assert entry(root, REPEATED[0]).fuzzy, "Spanish still gets the seed's translations"
    assert entry(root, REPEATED[0], tag="fr").string == "", "French has no readable memory"


# --- the choice among candidates -------------------------------------------------------------


def _candidate(slug: str, source: str, translation: str, *, context: str = "paragraph", reviewed: bool = False):
    return Candidate(slug, context, source, translation, reviewed, False)


def test_among_equals_the_same_context_then_the_first_catalog_by_name_wins():
    memory = Memory()
    for candidate in (_candidate("b", "Call us.", "B"), _candidate("a", "Call us.", "A", context="heading"),
                      _candidate("c", "Call us.", "C"), _candidate("a", "Call us today.", "A2", reviewed=False)):
        memory.by_source.setdefault(candidate.source, []).append(candidate)
    assert memory.best("Call us.", "paragraph", "new").candidate.translation == "B"
    assert memory.best("Call us.", "heading", "new").candidate.translation == "A"
    assert memory.best("Call us.", "paragraph", "b").candidate.translation == "C", "never from its own catalog"
    assert memory.best("Call us!", "paragraph", "new").similarity < 1


def test_the_close_match_threshold():
    from difflib import SequenceMatcher

    assert CLOSE_MATCH == 0.8
    edited = RESEARCH.replace("metastatic", "metastatic breast")
    assert similarity(edited, RESEARCH) == pytest.approx(SequenceMatcher(None, edited, RESEARCH).ratio())
    assert similarity(RESEARCH.replace("metastatic", "metastatic breast"), RESEARCH) >= CLOSE_MATCH
    assert similarity("Ask your doctor about the risks.", "Ask your nurse about the costs.") < CLOSE_MATCH
    assert similarity("MRIs", "X-rays") < CLOSE_MATCH


def test_an_exact_draft_beats_a_reviewed_close_match_and_review_decides_among_exact_ones():
    memory = Memory()
    sentence = "Talk to your doctor about any new symptoms you notice."
    for candidate in (_candidate("z-draft", sentence, "DRAFT"),
                      _candidate("a-reviewed", sentence.replace("new ", ""), "REVIEWED CLOSE", reviewed=True)):
        memory.by_source.setdefault(candidate.source, []).append(candidate)
    assert memory.best(sentence, "paragraph", "new").candidate.translation == "DRAFT"
    memory.by_source[sentence].append(_candidate("y-reviewed", sentence, "REVIEWED EXACT", reviewed=True))
    assert memory.best(sentence, "paragraph", "new").candidate.translation == "REVIEWED EXACT"
    offer = memory.best(sentence.replace("any new", "the"), "paragraph", "new")
    assert not offer.exact and offer.candidate.translation in ("DRAFT", "REVIEWED EXACT", "REVIEWED CLOSE")
