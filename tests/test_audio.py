"""The narration: real MP3s decoded and measured, tags and chapters, captions, media overlays,
the synthesis cache, and the gTTS path against a local stand-in of its endpoint."""

from __future__ import annotations

import base64
import fcntl
import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import responses
from lxml import etree

from pipeline.writers.common import sound
from pipeline.checks.audio import inspect_mp3, read_webvtt
from pipeline.checks.epub import NS, read_package, run_ace, run_epubcheck
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.errors import DependencyError
from pipeline.inputs.project import load_project
from pipeline.tts import choose_voice
from pipeline.tts.gtts import GttsEngine

from conftest import SLUG, copy_project

# Each script and each special case of the engines: Japanese is read as kana, Burmese a phrase per clause.
LANGUAGES = ["en", "es", "ar", "zh-Hans", "vi", "ja", "my"]
ISO_639_2 = {"en": "eng", "es": "spa", "ar": "ara", "zh-Hans": "zho", "vi": "vie", "ja": "jpn", "my": "mya"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("audio") / "project")
    assert main(["--root", str(root), "build", "--format", "audio", "--format", "epub", "-q",
                 *[f"--lang={tag}" for tag in LANGUAGES]]) == 0
    project = load_project(load_config(root))
    return root, {plan.facts.tag: plan.job for plan in project.plans}


def paths(root: Path, tag: str) -> dict[str, Path]:
    base = root / "outputs" / tag / f"{SLUG}.{tag}"
    return {
        "mp3": base.with_name(base.name + ".mp3"),
        "vtt": base.with_name(base.name + ".vtt"),
        "epub": base.with_name(base.name + ".epub"),
        "timeline": root / ".cache" / "handouts" / "artifacts" / tag / f"{SLUG}.{tag}.timeline.json",
    }


def timeline(root: Path, tag: str) -> dict:
    return json.loads(paths(root, tag)["timeline"].read_text("utf-8"))


@pytest.mark.parametrize("tag", LANGUAGES)
def test_mp3_format_loudness_peaks_and_silences(built, tag):
    root, _ = built
    report = inspect_mp3(paths(root, tag)["mp3"])
    assert report.channels == 1 and report.sample_rate == 22050 and report.bitrate == 64000
    assert abs(report.loudness - (-19.0)) <= 1.0
    assert report.true_peak <= -1.0
    assert report.clipped_samples == 0
    assert report.longest_silence < 2.0
    assert report.problems(ISO_639_2[tag]) == []


@pytest.mark.parametrize("tag", LANGUAGES)
def test_duration_fits_the_length_of_the_text(built, tag):
    root, _ = built
    data = timeline(root, tag)
    text = " ".join(cue["text"] for cue in data["cues"])
    minutes = inspect_mp3(paths(root, tag)["mp3"]).duration / 60
    if tag in ("zh-Hans", "ja"):  # no spaces between words: characters a second
        per_second = len(re.sub(r"\s|[A-Za-z]", "", text)) / (minutes * 60)
        assert {"zh-Hans": 2.5, "ja": 3.0}[tag] <= per_second <= {"zh-Hans": 6.0, "ja": 8.0}[tag], \
            f"{per_second:.1f} characters a second"
    elif tag == "my":  # spaces between phrases: syllables a second
        from pipeline.writers.common.line_breaks import ZERO_WIDTH_SPACE, mark_text

        syllables = len(mark_text(text, "syllables-mymr").replace(ZERO_WIDTH_SPACE, " ").split())
        assert 2.5 <= syllables / (minutes * 60) <= 5.0, f"{syllables / (minutes * 60):.1f} syllables a second"
    else:
        per_minute = len(text.split()) / minutes
        assert 80 <= per_minute <= 220, f"{per_minute:.0f} words a minute"
    assert 3 <= minutes <= 15


@pytest.mark.parametrize("tag", LANGUAGES)
def test_tags_and_one_chapter_per_section_titled_in_the_language(built, tag):
    root, jobs = built
    job = jobs[tag]
    report = inspect_mp3(paths(root, tag)["mp3"])
    assert report.id3_version[:2] == (2, 4)
    assert report.tags["TIT2"] == job.article.meta.title.text
    assert report.tags["TPE1"] == "Ann Pietrangelo"
    assert report.tags["TLAN"] == ISO_639_2[tag]
    assert report.tags["TCON"] == "Speech"
    assert report.tags["TALB"] == job.ui.gettext("Patient education")
    assert "Violet Hanft RN" in report.tags["COMM"]
    headings = [heading.segment.text for heading, _ in job.article.sections()]
    assert [c.title for c in report.chapters] == [job.article.meta.title.text, *headings,
                                                 job.ui.gettext("Related reading")]
    assert report.toc == [c.id for c in report.chapters]
    cues = timeline(root, tag)["cues"]
    for chapter, following in zip(report.chapters, report.chapters[1:] + [None]):
        first = next(cue for cue in cues if cue["chapter"] == chapter.id)
        assert chapter.start == pytest.approx(0.0 if chapter is report.chapters[0] else first["start"], abs=0.001)
        assert chapter.end == pytest.approx(following.start if following else report.duration, abs=0.05)


@pytest.mark.parametrize("tag", LANGUAGES)
def test_captions_are_the_timeline_and_the_timeline_is_the_audio(built, tag):
    root, jobs = built
    cues = timeline(root, tag)["cues"]
    captions = read_webvtt(paths(root, tag)["vtt"])
    assert [(c.id, c.start, c.end, c.text) for c in captions] == [
        (c["id"], c["start"], c["end"], c["text"]) for c in cues]
    visible = [s.text for s in jobs[tag].article.reading_order()
               if s.role not in ("category",)]
    spoken = [c.text for c in captions]
    for text in visible:
        assert text in spoken, f"not narrated: {text[:40]}"
    samples = sound.decode(paths(root, tag)["mp3"].read_bytes())
    rate = sound.SAMPLE_RATE

    def rms(start, end):
        chunk = samples[int(start * rate): int(end * rate)]
        return float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if chunk.size else 0.0

    for previous, cue in zip(cues, cues[1:]):
        gap = cue["start"] - previous["end"]
        assert gap >= 0.45
        speech = rms(cue["start"] + 0.05, min(cue["end"], cue["start"] + 1.0))
        pause = rms(previous["end"] + 0.1, cue["start"] - 0.1)
        assert speech > 10 * pause, f"{cue['id']}: the timeline does not line up with the audio"


@pytest.mark.parametrize("tag", LANGUAGES)
def test_media_overlays_point_at_real_elements_within_the_audio(built, tag):
    root, _ = built
    package = read_package(paths(root, tag)["epub"])
    duration = inspect_mp3(paths(root, tag)["mp3"]).duration
    assert package.metadata("media:active-class") == ["-epub-media-overlay-active"]
    assert "synchronizedAudioText" in package.metadata("schema:accessibilityFeature")
    assert "auditory" in package.metadata("schema:accessMode")
    total = 0.0
    overlays = package.opf.findall(".//opf:item[@media-type='application/smil+xml']", NS)
    assert len(overlays) == 7  # title page, five chapters, back matter
    for item in overlays:
        smil = etree.fromstring(package.files[item.get("href")])
        clips = 0.0
        for par in smil.iter("{http://www.w3.org/ns/SMIL}par"):
            text = par.find("smil:text", NS).get("src")
            document, _, element_id = text.partition("#")
            assert package.documents[document].find(f".//*[@id='{element_id}']") is not None
            audio = par.find("smil:audio", NS)
            start, end = (float(audio.get(a).rstrip("s")) for a in ("clipBegin", "clipEnd"))
            assert 0 <= start < end <= duration
            clips += end - start
        declared = package.opf.find(f".//opf:meta[@refines='#{item.get('id')}'][@property='media:duration']", NS).text
        assert _seconds(declared) == pytest.approx(clips, abs=0.002)
        total += clips
        owner = package.opf.find(f".//opf:item[@media-overlay='{item.get('id')}']", NS)
        assert owner is not None
    book_total = [m.text for m in package.opf.findall(".//opf:meta[@property='media:duration']", NS)
                  if m.get("refines") is None]
    assert len(book_total) == 1
    assert _seconds(book_total[0]) == pytest.approx(total, abs=0.01)


@pytest.mark.parametrize("tag", ["en", "ar"])
def test_narrated_epub_stays_clean_in_epubcheck_and_ace(built, tag):
    root, _ = built
    result = run_epubcheck(paths(root, tag)["epub"])
    assert result.errors == [] and result.warnings == []
    try:
        assert run_ace(paths(root, tag)["epub"]) == []
    except DependencyError as missing:
        pytest.skip(f"Ace by DAISY cannot run here: {missing.one_line()}")


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_pronunciation_list_changes_the_speech_not_the_captions(built):
    root, _ = built
    cue = next(c for c in timeline(root, "en")["cues"] if "(DCIS)" in c["text"])
    assert "DCIS" in cue["text"]
    from pipeline.inputs.pronunciation import read_pronunciation
    from pipeline.writers.audio.narration import apply_pronunciation

    words = read_pronunciation(root / "translations", "en")
    assert apply_pronunciation(cue["text"], words).count("D C I S") == 2


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_spoken_item_sounds_the_same_on_every_build(built, tag):
    """espeak-ng 1.51 is not deterministic for every input (its Vietnamese voice said "Ann"
    differently each time); a cold build on another machine must make the same narration."""
    from pipeline.writers.audio.narration import narration_script
    from pipeline.tts import engine_class

    root, jobs = built
    config = load_config(root)
    choice = choose_voice(config, tag)
    engine = engine_class(choice.engine)(config)
    unstable = []
    for item in narration_script(jobs[tag]):
        voice = choice.voice if item.language == tag else config.voice_for(item.language, choice.engine)
        first, second = (engine.synthesize(item.spoken, voice, item.language).data for _ in range(2))
        if first != second:
            unstable.append(item.element_id)
    assert unstable == []


def test_one_edited_sentence_is_synthesized_once_per_affected_language(built, tmp_path):
    root = copy_project(tmp_path / "edit")
    assert main(["--root", str(root), "build", "--format", "audio", "--lang", "en", "--lang", "es", "-q"]) == 0
    assert timeline(root, "es")["synthesized"] > 40
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    catalog.write_text(catalog.read_text("utf-8").replace(
        "Las investigaciones sobre el tratamiento del cáncer metastásico continúan.",
        "La investigación sobre el tratamiento del cáncer metastásico continúa."), "utf-8")
    cache = root / ".cache" / "handouts" / "tts" / "espeak-ng"
    before = set(cache.iterdir())
    assert main(["--root", str(root), "build", "--format", "audio", "--lang", "en", "--lang", "es", "-q"]) == 0
    assert timeline(root, "es")["synthesized"] == 1
    assert len(set(cache.iterdir()) - before) == 1
    assert timeline(root, "en")["synthesized"] > 40  # English was not rebuilt at all

    source = root / "sources" / f"{SLUG}.md"
    source.write_text(source.read_text("utf-8").replace(
        "Research into treatment for metastatic cancer is ongoing.",
        "Research into treatment for metastatic cancer is still ongoing."), "utf-8")
    main(["--root", str(root), "build", "--format", "audio", "--lang", "en", "--lang", "es", "-q"])
    assert timeline(root, "en")["synthesized"] == 1
    assert timeline(root, "es")["synthesized"] == 1  # unchanged: Spanish is now fuzzy, not rebuilt


def test_a_language_no_engine_speaks_gets_a_reason_not_a_file(tmp_path):
    root = copy_project(tmp_path / "tl")
    config = load_config(root).with_overrides(languages=("en", "tl"))
    choice = choose_voice(config, "tl")
    assert choice.engine is None
    assert "espeak-ng has no Tagalog voice" in choice.reason and "gtts could" in choice.reason
    assert choose_voice(config.with_overrides(engines=("gtts", "espeak-ng")), "tl").engine == "gtts"
    assert choose_voice(config, "fa").voice == "fa"
    assert choose_voice(config.with_overrides(engines=("gtts",)), "fa").engine is None


# --- gTTS against a local stand-in of its endpoint ----------------------------------------

ENDPOINT = re.compile(r"https://translate\.google\.[a-z.]+/_/TranslateWebserverUi/data/batchexecute")


@pytest.fixture(scope="module")
def service_mp3() -> bytes:
    """A real MP3 as the service sends it (24 kHz mono), of real speech."""
    import subprocess

    wav = subprocess.run(["espeak-ng", "-v", "es-419", "--stdout", "Hola, esto es una prueba."],
                         capture_output=True, check=True).stdout
    return sound.encode_mp3(sound.decode(wav, 24000), 24000)


def service_reply(mp3: bytes) -> str:
    payload = base64.b64encode(mp3).decode("ascii")
    return ")]}'\n\n" + f'[["wrb.fr","jQ1olc","[\\"{payload}\\"]",null,null,null,"generic"]]\n'


@pytest.fixture
def no_backoff(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(GttsEngine, "sleep", staticmethod(slept.append))
    return slept


def gtts_build(root: Path) -> int:
    return main(["--root", str(root), "build", "--format", "audio", "--format", "pdf", "--lang", "es",
                 "--tts", "gtts", "--jobs", "1", "-q"])


@pytest.mark.slow
@responses.activate
def test_gtts_narration_through_the_stand_in(tmp_path, service_mp3, no_backoff):
    responses.add(responses.POST, ENDPOINT, body=service_reply(service_mp3))
    root = copy_project(tmp_path / "gtts")
    assert gtts_build(root) == 0
    mp3 = paths(root, "es")["mp3"]
    report = inspect_mp3(mp3)
    assert report.problems("spa") == []
    data = timeline(root, "es")
    assert data["engine"] == "gtts" and data["voice"] == "es@com.mx"
    hosts = {requests.utils.urlparse(call.request.url).hostname for call in responses.calls}
    assert hosts == {"translate.google.com.mx", "translate.google.com"}  # Spanish, and the English notice
    bodies = [requests.utils.unquote(call.request.body) for call in responses.calls]
    assert all(len(json.loads(json.loads(b[len("f.req="):].rstrip("&"))[0][0][1])[0]) <= 100 for b in bodies)
    assert no_backoff == []


@responses.activate
def test_gtts_retries_a_429_with_backoff_then_succeeds(tmp_path, service_mp3, no_backoff):
    responses.add(responses.POST, ENDPOINT, status=429)
    responses.add(responses.POST, ENDPOINT, status=429)
    responses.add(responses.POST, ENDPOINT, body=service_reply(service_mp3))
    root = copy_project(tmp_path / "retry")
    assert gtts_build(root) == 0
    assert no_backoff[:2] == [1.0, 2.0]
    assert paths(root, "es")["mp3"].exists()


@responses.activate
@pytest.mark.parametrize("failure", ["429", "timeout", "dropped"])
def test_gtts_staying_down_fails_only_that_audio_with_one_line(tmp_path, capsys, no_backoff, failure):
    if failure == "429":
        responses.add(responses.POST, ENDPOINT, status=429)
    elif failure == "timeout":
        responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectTimeout("timed out"))
    else:
        responses.add(responses.POST, ENDPOINT, body=requests.exceptions.ConnectionError("connection reset"))
    root = copy_project(tmp_path / failure)
    assert gtts_build(root) == 1
    error = capsys.readouterr().err
    line = next(l for l in error.splitlines() if "gTTS service failed" in l)
    assert "after 4 attempts" in line and "Traceback" not in error
    assert no_backoff == [1.0, 2.0, 4.0]
    assert not paths(root, "es")["mp3"].exists()
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()
    assert not list((root / "outputs").rglob("*.part"))


@responses.activate
def test_gtts_waits_for_a_free_request_slot(tmp_path, service_mp3):
    responses.add(responses.POST, ENDPOINT, body=service_reply(service_mp3))
    root = copy_project(tmp_path / "slots")
    config = load_config(root).with_overrides(max_concurrent_requests=1)
    slot = config.cache_dir / "gtts-slots" / "slot-0"
    slot.parent.mkdir(parents=True)
    holder = open(slot, "a+")
    fcntl.flock(holder, fcntl.LOCK_EX)
    result = []
    worker = threading.Thread(target=lambda: result.append(GttsEngine(config).synthesize("Hola.", "es@com.mx", "es")))
    worker.start()
    time.sleep(0.4)
    assert len(responses.calls) == 0 and not result
    fcntl.flock(holder, fcntl.LOCK_UN)
    holder.close()
    worker.join(10)
    assert result and result[0].format == "mp3" and len(responses.calls) == 1
