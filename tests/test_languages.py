"""The twenty-four languages: complete catalogs, the right language and script on paper, dates
and language names in the language, translated template words, translation QA, and honest
review status."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import hanzidentifier
import langid
import pytest
from fontTools.unicodedata import script as unicode_script
from lingua import IsoCode639_1, LanguageDetectorBuilder

from pipeline.inputs.catalogs import catalog_path, read_catalog, template_path
from pipeline.checks.epub import read_package
from pipeline.checks.pdf import inspect_pdf
from pipeline.cli.check import translation_qa
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.inputs.project import load_project
from pipeline.inputs.qa import check_catalog
from pipeline.inputs.sources import read_article
from pipeline.inputs.translate import template_for
from pipeline.core.uitext import OPTIONAL_WORDS

from conftest import ALL_LANGUAGES, REPO, SLUG, assert_same_pixels, copy_project

LANGUAGES = ["en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "ht", "fr", "pl", "pt-BR", "fa",
             "ja", "uk", "hi", "ur", "bn", "pa", "gu", "am", "so", "my"]
assert LANGUAGES == ALL_LANGUAGES
# Unicode name prefix of each script's letters (unicodedata.name), for the script checks.
SCRIPT_LETTERS = {"Latn": ("LATIN",), "Cyrl": ("CYRILLIC",), "Arab": ("ARABIC",), "Hans": ("CJK",),
                  "Hant": ("CJK",), "Kore": ("HANGUL",), "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
                  "Deva": ("DEVANAGARI",), "Beng": ("BENGALI",), "Guru": ("GURMUKHI",), "Gujr": ("GUJARATI",),
                  "Ethi": ("ETHIOPIC",), "Mymr": ("MYANMAR",)}
# Latin-script words a non-Latin handout may carry: the people's names, and abbreviations
# the translators kept in Latin letters.
NAMES = {"Violet", "Hanft", "RN", "Ann", "Pietrangelo", "DCIS", "MRI", "CT", "PET", "X", "WCAG", "in", "situ"}
ENGLISH_MONTHS = ["January", "February", "March", "April", "June", "July", "August", "September", "October",
                  "November", "December"]
TRANSLATED = [tag for tag in LANGUAGES if tag != "en"]


@pytest.fixture(scope="module")
def built(pdf_handouts):
    """The session's PDF of every language, with each language's plan."""
    root, _ = pdf_handouts
    project = load_project(load_config(root))
    return root, {plan.facts.tag: plan for plan in project.plans}


def test_all_twenty_four_languages_are_enabled_and_published(built):
    _, plans = built
    assert list(plans) == LANGUAGES
    assert all(plan.publishable for plan in plans.values())


@pytest.mark.parametrize("tag", TRANSLATED)
def test_catalogs_are_complete(built, tag):
    _, plans = built
    plan = plans[tag]
    assert plan.coverage.complete and plan.coverage.total == 43
    assert plan.ui_coverage.complete and plan.ui_coverage.total >= 37


@pytest.fixture(scope="module")
def detector():
    return LanguageDetectorBuilder.from_all_languages().build()


@pytest.mark.parametrize("tag", LANGUAGES)
def test_the_pdf_text_is_detected_as_its_language(built, detector, tag):
    root, plans = built
    job = plans[tag].job
    text = inspect_pdf(root / "outputs" / tag / f"{job.stem}.pdf", rtl=job.facts.is_rtl).body_text
    text = text.replace(job.notice.english, "") if job.notice else text  # the English half of the notice
    language = job.facts.language
    if language == "ht":
        # lingua has no Haitian Creole; langid.py does.
        assert langid.classify(text)[0] == "ht"
    elif language in ("am", "my"):
        # No detector we can install knows Amharic or Burmese: at least the PDF's letters are
        # of the script (Ethiopic, Myanmar), read from the PDF itself. Of the scripts this
        # cannot tell languages apart (Tigrinya, Shan...): the script check is what there is.
        letters = [char for char in _pdf_text(root, job) if char.isalpha()]
        in_script = sum(1 for char in letters if unicode_script(char) == job.facts.script)
        assert len(letters) > 1000 and in_script / len(letters) > 0.95
    else:
        detected = detector.detect_language_of(text)
        assert detected is not None
        expected = language.upper()
        assert detected.iso_code_639_1 == getattr(IsoCode639_1, expected)
        assert detector.compute_language_confidence(text, detected) > 0.9
    if tag == "zh-Hans":
        assert hanzidentifier.identify(text) == hanzidentifier.SIMPLIFIED
    if tag == "zh-Hant":
        assert hanzidentifier.identify(text) == hanzidentifier.TRADITIONAL


def _pdf_text(root: Path, job) -> str:
    """What a reader gets from the PDF: its text, or where glyph order is not text order
    (Indic scripts, Burmese, Nastaliq), the /ActualText its tag tree carries for screen readers."""
    report = inspect_pdf(root / "outputs" / job.facts.tag / f"{job.stem}.pdf", rtl=job.facts.is_rtl)
    text = report.actual_text if job.facts.complex_shaping else report.body_text
    return text.replace(job.notice.english, "") if job.notice else text


@pytest.mark.parametrize("tag", [tag for tag in TRANSLATED if tag not in ("es", "vi", "tl", "ht", "fr", "pl",
                                                                          "pt-BR", "so")])
def test_the_pdf_is_in_its_script_with_no_letter_of_another(built, tag):
    """Every letter of the handout is of the language's script, except the names and
    abbreviations kept in Latin letters: no word of another language slipped in."""
    import unicodedata

    root, plans = built
    job = plans[tag].job
    text = _pdf_text(root, job)
    allowed = NAMES | set(re.findall(r"[A-Za-z]+", job.notice.english))  # the English half of the notice
    latin_words = set(re.findall(r"[A-Za-z]+", text))
    assert latin_words <= allowed, f"Latin words other than names: {sorted(latin_words - allowed)}"
    letters = [c for c in text if unicodedata.category(c).startswith("L") and not c.isascii()]
    prefixes = SCRIPT_LETTERS[job.facts.script]
    foreign = {c for c in letters if not unicodedata.name(c, "").startswith(prefixes)}
    assert len(letters) > 1000 and not foreign, f"letters of another script: {sorted(foreign)[:20]}"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_dates_and_language_names_are_the_languages_own(built, tag):
    """The updated date and 'Translated from English' in the handout's language: no English
    month names anywhere but English, no French in Haitian Creole."""
    import datetime

    root, plans = built
    job = plans[tag].job
    text = _pdf_text(root, job)
    # Text read back from a PDF is in glyph order: right-to-left runs reversed, Indic and
    # Burmese vowel signs before their consonant. Compare each word's letters and digits
    # (letters_only leaves the vowel signs and other marks out).
    from pipeline.checks.text import letters_only

    page = letters_only(text)
    updated = job.facts.format_date(datetime.date(2020, 5, 29))
    english_name = job.facts.language_name("en")
    for word in re.split(r"[\s,،]+", f"{updated} {english_name}"):
        assert letters_only(word) in page, f"{word!r} of {updated!r} / {english_name!r} is not on the handout"
    assert not [month for month in ENGLISH_MONTHS + ["May 29"] if month in text]
    assert "English" not in text
    if tag == "ht":
        assert updated == "29 me 2020" and english_name == "angle"
        assert not re.search(r"\b(mai|anglais|et)\b", text)


@pytest.mark.parametrize("tag", TRANSLATED)
def test_template_words_are_translated_on_the_handout(built, tag):
    root, plans = built
    job = plans[tag].job
    pdf = root / "outputs" / tag / f"{job.stem}.pdf"
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())
    text = text.replace(job.notice.english, "")
    for english in ("Related reading", "About this handout", "Medically reviewed by", "Updated on", "Page 1 of",
                    "Topics:", "Translated from"):
        assert english not in text, f"{english!r} left in English"
    ui = read_catalog(catalog_path(root / "translations", job.facts.catalog_id, "ui"), locale=job.facts.catalog_id)
    pot = read_catalog(template_path(root / "translations", "ui"), locale=None)
    for message in pot:
        if message.id and message.id not in OPTIONAL_WORDS:  # an optional word may wait (uitext.py)
            translated = ui.get(message.id)
            assert translated.string and (translated.string != message.id or "unchanged" in translated.flags)


def test_translation_qa_is_clean_for_every_catalog(built):
    root, _ = built
    lines, ok = translation_qa(load_project(load_config(root)))
    assert ok, "\n".join(l for l in lines if l.startswith("FAIL"))
    assert len(lines) == 2 * len(TRANSLATED)


@pytest.mark.parametrize(
    "change, problem",
    [
        (("stage 0 cancer", "estadio cero"), "number 0 of the source is missing"),
        (("identical", None), "identical to the English source"),
        (("short", "Kort."), "length is"),
        (("placeholder", "{1}x"), "placeholders"),
        (("markup", "<b>Hola</b> mundo, esto es bastante largo para pasar"), "markup"),
        (("fuzzy", None), "fuzzy translation in a published language"),
        (("empty", None), "empty translation in a published language"),
    ],
)
def test_translation_qa_finds_each_kind_of_problem(change, problem):
    article = read_article(REPO / "sources" / f"{SLUG}.md", REPO)
    template = template_for(article)
    path = catalog_path(REPO / "translations", "es", SLUG)
    catalog = read_catalog(path, locale="es")
    kind, value = change
    target = next(m for m in catalog if m.id.startswith("Abnormal cells aren"))
    if kind == "stage 0 cancer":
        target.string = target.string.replace("estadio 0", value)
    elif kind == "identical":
        target.string = target.id
    elif kind in ("short", "markup"):
        target.string = value
    elif kind == "placeholder":
        target = next(m for m in catalog if m.id.startswith("Ductal carcinoma"))
        target.string = value
    elif kind == "fuzzy":
        target.flags.add("fuzzy")
    elif kind == "empty":
        target.string = ""
    findings = check_catalog(catalog, template, "es.po", script="Latn", published=True, spans_of=lambda m: {})
    assert any(problem in f.what for f in findings), [f.what for f in findings]
    assert all(f.line for f in findings)


def test_a_flagged_unchanged_entry_is_accepted():
    article = read_article(REPO / "sources" / f"{SLUG}.md", REPO)
    catalog = read_catalog(catalog_path(REPO / "translations", "tl", SLUG), locale="tl")
    message = next(m for m in catalog if m.id == "X-rays")
    message.string = "X-rays"
    findings = check_catalog(catalog, template_for(article), "tl.po", script="Latn", published=True,
                             spans_of=lambda m: {})
    assert any("identical" in f.what for f in findings)
    message.flags.add("unchanged")
    assert not check_catalog(catalog, template_for(article), "tl.po", script="Latn", published=True,
                             spans_of=lambda m: {})


def test_every_catalog_is_an_unreviewed_draft():
    """No catalog of the project carries an approval yet (inputs/review.py)."""
    from pipeline.inputs.review import Scope, review_state

    article = read_article(REPO / "sources" / f"{SLUG}.md", REPO)
    paths = list((REPO / "translations").glob(f"*/LC_MESSAGES/{SLUG}.po"))
    assert len(paths) == len(TRANSLATED)
    for path in paths:
        state = review_state(article, read_catalog(path, locale=path.parts[-3]), Scope(path.parts[-3], SLUG), str(path))
        assert (state.reviewed, state.approved, state.total) == (False, 0, 43), path


@pytest.fixture(scope="module")
def reviewed_and_unreviewed(tmp_path_factory):
    """Spanish approved by a (test) translator; Vietnamese left unreviewed."""
    root = copy_project(tmp_path_factory.mktemp("review") / "project")
    assert main(["--root", str(root), "review", "--lang", "es"]) == 0
    assert main(["--root", str(root), "approve", "--sheet", f"review/es/{SLUG}.es.json", "--reviewer", "Ana Test",
                 "--credential", "CHI", "--date", "2024-02-01"]) == 0
    assert main(["--root", str(root), "build", "--lang", "es", "--lang", "vi", "--format", "pdf",
                 "--format", "audio", "--format", "epub", "-q"]) == 0
    return root


def _first_page(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                                   capture_output=True, text=True).stdout.split())


@pytest.mark.parametrize("tag, reviewed", [("es", True), ("vi", False)])
def test_review_notice_on_every_output_exactly_when_unreviewed(reviewed_and_unreviewed, tag, reviewed):
    root = reviewed_and_unreviewed
    project = load_project(load_config(root), languages=[tag])
    job = next(plan.job for plan in project.plans if plan.facts.tag == tag)
    base = root / "outputs" / tag / f"{SLUG}.{tag}"
    english = "This is a draft translation."
    native = {"es": "Esta es una traducción preliminar.", "vi": "Đây là bản dịch nháp."}[tag]
    page_one = _first_page(base.with_name(base.name + ".pdf"))
    package = read_package(base.with_name(base.name + ".epub"))
    title_page = " ".join(package.documents["titlepage.xhtml"].itertext())
    description = package.metadata("dc:description")[0]
    cues = json.loads((root / ".cache" / "handouts" / "artifacts" / tag / f"{SLUG}.{tag}.timeline.json")
                      .read_text("utf-8"))["cues"]
    opening = " ".join(cue["text"] for cue in cues[:3])
    for place in (page_one, title_page, description, opening):
        assert (english in place) is not reviewed
        assert (native in place) is not reviewed
    if reviewed:
        assert "Traducción revisada por Ana Test (CHI) el 1 de febrero de 2024." in " ".join(
            package.documents["backmatter.xhtml"].itertext())
        assert job.review.describe() == "reviewed by Ana Test (CHI) on 2024-02-01"


def test_status_shows_review_state_and_publish_unreviewed_false_refuses(reviewed_and_unreviewed, run_cli):
    root = reviewed_and_unreviewed
    status = run_cli(root, "status", "--lang", "es", "--lang", "vi")
    assert re.search(r"es .*43/43 segments reviewed \(reviewed by Ana Test \(CHI\) on 2024-02-01\) \| will be "
                     r"published", status.out)
    assert re.search(r"vi .*0/43 segments reviewed \(unreviewed draft\) \| will be published", status.out)
    config = (root / "handouts.toml").read_text("utf-8")
    (root / "handouts.toml").write_text(config.replace("publish_unreviewed = true", "publish_unreviewed = false"))
    status = run_cli(root, "status", "--lang", "es", "--lang", "vi")
    assert re.search(r"vi .*NOT published: the translation is unreviewed and publish_unreviewed = false", status.out)
    assert re.search(r"es .*will be published", status.out)
    build = run_cli(root, "build", "--lang", "es", "--lang", "vi", "--format", "html", "-q")
    assert build.code == 0 and "waiting for review by a qualified medical translator" in build.err
    assert "  vi: 1 article" in build.err
    assert run_cli(root, "build", "--lang", "es", "--lang", "vi", "--format", "html", "-q", "--strict").code == 1


def _without_actual_text(source: Path, destination: Path) -> Path:
    """The PDF as an extractor that ignores /ActualText reads it: only the fonts' Unicode maps."""
    import pikepdf

    from pipeline.writers.pdf.structure import is_element, walk

    with pikepdf.open(source) as pdf:
        for _, _, kid in walk(pdf.Root.StructTreeRoot):
            if is_element(kid) and "/ActualText" in kid:
                del kid["/ActualText"]
        for page in pdf.pages:
            contents = page.obj.Contents
            for stream in (list(contents) if isinstance(contents, pikepdf.Array) else [contents]):
                data = stream.read_bytes()
                stripped = re.sub(rb"/ActualText\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)", b"", data)
                if stripped != data:
                    stream.write(stripped)
        pdf.save(destination)
    return destination


@pytest.mark.slow
def test_the_urdu_codes_draw_the_same_glyphs(built, tmp_path):
    """A code per glyph and spelling (glyph_codes.py) must not change how a page looks."""
    root, plans = built
    plain = copy_project(tmp_path / "plain-codes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pipeline.writers.pdf.tags.spell_each_occurrence", lambda *arguments: None)
        assert main(["--root", str(plain), "build", "--format", "pdf", "--lang", "ur", "--jobs", "1", "-q"]) == 0
    name = f"{plans['ur'].job.stem}.pdf"
    assert (plain / "outputs" / "ur" / name).read_bytes() != (root / "outputs" / "ur" / name).read_bytes()
    assert_same_pixels(plain / "outputs" / "ur" / name, root / "outputs" / "ur" / name, scale=1.2)


@pytest.mark.parametrize("tag", ["hi", "bn", "gu", "pa", "my", "ur"])
def test_copying_the_text_gives_the_catalogs_characters_without_actual_text(built, tag, tmp_path):
    """Where glyphs are not characters (conjuncts, vowel-sign widths, Nastaliq forms), each
    glyph's Unicode map gives the characters it draws (writers/pdf/text_maps.py; in Urdu,
    where a stem or a dot is shared by many letters, a code per glyph and spelling:
    glyph_codes.py): pdftotext of the PDF stripped of /ActualText yields every letter and
    vowel sign of the catalog's text (in visual order: a pre-base vowel sign before its
    consonant, as any extractor reads it). WeasyPrint's own maps lost 3 % of them in Hindi,
    4 % in Gujarati, 18 % in Urdu."""
    import collections
    import unicodedata

    root, plans = built
    job = plans[tag].job
    pdf = _without_actual_text(root / "outputs" / tag / f"{job.stem}.pdf", tmp_path / "plain.pdf")
    extracted = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout

    def characters(text: str) -> collections.Counter:
        return collections.Counter(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c)[0] in "LM")

    text = " ".join(segment.text for segment in job.article.reading_order())
    wanted = characters(text)
    lost = wanted - characters(extracted)
    assert sum(lost.values()) <= 0.02 * sum(wanted.values()), lost.most_common(10)
    if tag == "ur":
        # Letters in their words' order: pdftotext splits a Nastaliq word where its glyphs
        # step down the cascade, so spaces and lines are not compared (28 % found before).
        words = [word for word in text.split() if len(word) > 1]
        joined = re.sub(r"[\s\u200d]", "", extracted)
        assert sum(word in joined for word in words) >= 0.65 * len(words)
    # A glyph whose characters shaping cannot tell (a Nastaliq dot, the second glyph of a
    # letter) is mapped to an invisible joiner: none in the Indic scripts, a few in Burmese.
    assert extracted.count("\u200d") <= {"my": 0.005, "ur": 0.25}.get(tag, 0) * len(extracted)
