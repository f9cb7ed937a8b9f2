"""The system speech engines (SVOX Pico, RHVoice, Open JTalk) with the real programs and
voices: synthesis, the same bytes in two processes, cache keys, the measured engine order
and its fallbacks, licences (refusal of non-commercial voices, TCOP, manifest, download
page), set-up messages on a machine without the packages, and the faults: a half
installed voice, a missing voice folder, a program that crashes or hangs, a voice of
another language. The narrations they make go through the same mastering, chapters,
captions and media overlays as espeak-ng's (test_audio.py's checks, run again here)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import wave
from io import BytesIO
from pathlib import Path

import pytest

import test_audio as shared
from pipeline.checks.audio import inspect_mp3
from pipeline.cli import main
from pipeline.core.config import LanguageOptions, load_config
from pipeline.tts import choose_voice, engine_class, item_speaker
from pipeline.tts import openjtalk, pico, rhvoice
from pipeline.tts.system import EngineFault, allows_commercial_use
from pipeline.writers.audio.narration import apply_pronunciation

from conftest import REPO, SLUG, copy_project

SENTENCES = {"es": ("pico", "es-ES", "El cáncer de mama invasivo se ha extendido.", 16000),
             "fr": ("pico", "fr-FR", "Le cancer du sein invasif s'est propagé.", 16000),
             "ru": ("rhvoice", "aleksandr", "Инвазивный рак молочной железы распространился.", 24000),
             "uk": ("rhvoice", "volodymyr", "Інвазивний рак грудей поширився.", 24000),
             "pt-BR": ("rhvoice", "Leticia-F123", "O câncer de mama invasivo se espalhou.", 24000),
             "ja": ("open-jtalk", "nitech_jp_atr503_m001", "浸潤性乳がんは広がっています。", 48000)}
MEASURED = {"en": "piper", "es": "pico", "fr": "pico", "ru": "rhvoice", "uk": "rhvoice", "pt-BR": "rhvoice",
            "ja": "open-jtalk", "zh-Hans": "espeak-ng", "ar": "espeak-ng"}


@pytest.fixture
def measured(tmp_path):
    """A project copy narrating with the measured order (no `[audio] engines`)."""
    return copy_project(tmp_path / "measured", engines=())


def configure(root: Path, text: str) -> None:
    path = root / "handouts.toml"
    path.write_text(path.read_text("utf-8") + "\n" + text + "\n", "utf-8")


def wav_rate(data: bytes) -> tuple[int, float]:
    with wave.open(BytesIO(data)) as handle:
        return handle.getframerate(), handle.getnframes() / handle.getframerate()


# --- synthesis, reproducibility, cache keys -----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("tag", SENTENCES)
def test_each_engine_speaks_and_gives_the_same_bytes_in_two_processes(measured, tag):
    engine_name, voice, sentence, rate = SENTENCES[tag]
    script = ("import hashlib, sys; from pathlib import Path; from pipeline.core.config import LanguageOptions, load_config; "
              "from pipeline.tts import engine_class; "
              "e = engine_class(sys.argv[1])(load_config(Path(sys.argv[2]))); "
              "print(hashlib.sha256(e.synthesize(sys.argv[3], sys.argv[4], sys.argv[5]).data).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script, engine_name, str(measured), sentence, voice, tag],
                              capture_output=True, text=True, check=True, cwd=REPO).stdout.strip() for _ in range(2)}
    speech = engine_class(engine_name)(load_config(measured)).synthesize(sentence, voice, tag)
    assert digests == {hashlib.sha256(speech.data).hexdigest()}
    sample_rate, seconds = wav_rate(speech.data)
    assert sample_rate == rate and 1.0 < seconds < 10.0


def test_cache_keys_name_the_engine_version_and_the_voice_files(measured, tmp_path, monkeypatch):
    config = load_config(measured)
    engine = engine_class("pico")(config)
    assert "libttspico-data" in engine.version() or "sha256:" in engine.version()
    folder = tmp_path / "lang"
    shutil.copytree(pico.LINGWARE_FOLDER, folder)
    monkeypatch.setattr(pico, "LINGWARE_FOLDER", folder)
    before = engine.sound_parts("es-ES", "es")
    assert before != engine.sound_parts("fr-FR", "fr")
    signal = next(folder.glob("es-ES_*_sg.bin"))
    signal.write_bytes(signal.read_bytes()[:-1] + b"\0")
    assert engine.sound_parts("es-ES", "es") != before
    russian = engine_class("rhvoice")(config)
    assert russian.sound_parts("elena", "ru") != russian.sound_parts("aleksandr", "ru")
    jtalk = engine_class("open-jtalk")(config)
    assert len(jtalk.sound_parts("nitech_jp_atr503_m001", "ja")) == 2  # the voice file and the dictionary


# --- which engine speaks -----------------------------------------------------------------


def test_the_measured_order_chooses_each_language_s_engine(measured):
    config = load_config(measured)
    assert {tag: choose_voice(config, tag).engine for tag in MEASURED} == MEASURED
    assert choose_voice(config, "es").note == "Castilian Spanish (Spain), not Latin American"
    explicit = config.with_overrides(engines=("piper", "espeak-ng"))
    assert choose_voice(explicit, "es").engine == "espeak-ng"
    online = config.with_overrides(online=True)
    assert online.engines_for("zh-Hans") == ("piper", "gtts", "espeak-ng")
    assert online.engines_for("es") == ("pico", "piper", "gtts", "espeak-ng")
    assert choose_voice(online, "es").engine == "pico"  # a measured voice stays offline
    assert config.with_overrides(prefer=("espeak-ng",)).engines_for("ru")[0] == "espeak-ng"  # --tts espeak-ng


def test_voices_are_found_from_what_is_installed(measured, tmp_path, monkeypatch):
    config = load_config(measured)
    folder = tmp_path / "lang"
    folder.mkdir()
    for path in pico.LINGWARE_FOLDER.glob("fr-FR_*"):
        shutil.copy(path, folder)
    monkeypatch.setattr(pico, "LINGWARE_FOLDER", folder)
    assert [v.name for v in pico.installed_voices()] == ["fr-FR"]
    assert choose_voice(config, "fr").voice == "fr-FR"
    assert choose_voice(config, "es").engine == "espeak-ng"  # no Spanish lingware here
    names = {v.name: v.tag for v in rhvoice.installed_voices()}
    assert names["elena"] == "ru" and names["natalia"] == "uk" and names["Leticia-F123"] == "pt-BR"
    assert [p.stem for p in openjtalk.voice_files()] == ["nitech_jp_atr503_m001"]
    assert openjtalk.voice_language(openjtalk.voice_files()[0]) == "ja"


def test_the_english_notice_of_a_narration_is_spoken_by_an_english_voice(measured):
    config = load_config(measured)
    assert item_speaker(config, "pico", "en", "es-ES") == ("pico", "en-US")
    assert item_speaker(config, "open-jtalk", "en", "nitech_jp_atr503_m001") == ("piper", "en_US-joe-medium")
    assert item_speaker(config, "rhvoice", "en", "aleksandr")[0] in ("rhvoice", "piper")


def test_pronunciation_respellings_reach_every_engine(measured):
    """Pico, RHVoice and Open JTalk take no phonemes: the lists are respellings, and the
    respelled text is what they say."""
    config = load_config(measured)
    for tag, written, (engine_name, voice, _, _) in (("fr", "IRM", SENTENCES["fr"]), ("ja", "Pietrangelo", SENTENCES["ja"]),
                                                       ("ru", "МРТ", SENTENCES["ru"])):
        words = {"fr": {"IRM": "I R M"}, "ja": {"Pietrangelo": "ピエトランジェロ"}, "ru": {"МРТ": "эм эр тэ"}}[tag]
        spoken = apply_pronunciation(f"{written}.", words)
        assert spoken != f"{written}."
        engine = engine_class(engine_name)(config)
        plain, respelled = (engine.synthesize(text, voice, tag).data for text in (f"{written}.", spoken))
        assert respelled != plain and wav_rate(respelled)[1] > 0.3


# --- licences ---------------------------------------------------------------------------


def test_licences_come_from_debian_s_copyright_files_and_the_table_backs_them(monkeypatch):
    assert rhvoice.licence_of("magda") == "CC-BY-NC-ND-4.0"
    assert rhvoice.licence_of("elena") == "LGPL-2.1+"
    assert rhvoice.licence_of("Leticia-F123") == "CC-BY-SA-4.0"
    monkeypatch.setattr(rhvoice, "debian_licence", lambda *a: None)  # /usr/share/doc stripped
    assert rhvoice.licence_of("natan") == "CC-BY-NC-ND-4.0" and rhvoice.licence_of("anatol") == "LGPL-2.1+"
    assert not allows_commercial_use("CC-BY-NC-ND-4.0") and allows_commercial_use("CC-BY-SA-4.0")
    assert allows_commercial_use("LGPL-2.1+") and allows_commercial_use("Apache-2.0")


def test_a_non_commercial_voice_needs_noncommercial_true(measured, run_cli):
    config = load_config(measured)
    polish = choose_voice(config, "pl")
    assert (polish.engine, polish.voice) == ("espeak-ng", "pl")
    [line] = polish.notes()
    assert line == ("rhvoice magda would speak Polish but its licence (CC-BY-NC-ND-4.0) allows non-commercial use "
                    "only: set [audio] noncommercial = true in handouts.toml if yours is; Polish is narrated by "
                    "espeak-ng (pl) instead")
    configured = config.with_overrides(language_options={"pl": LanguageOptions(voices={"rhvoice": "natan"})})
    assert choose_voice(configured, "pl").engine == "espeak-ng"  # asking for a voice by name is not enough
    allowed = choose_voice(config.with_overrides(noncommercial=True), "pl")
    assert (allowed.engine, allowed.voice, allowed.licence) == ("rhvoice", "magda", "CC-BY-NC-ND-4.0")
    text = (measured / "handouts.toml").read_text("utf-8").replace("[audio]\n", "[audio]\nnoncommercial = true\n", 1)
    (measured / "handouts.toml").write_text(text, "utf-8")
    listing = run_cli(measured, "voices")
    assert "pl       rhvoice magda (rhvoice /usr/share/RHVoice/voices/magda)" in listing.out
    assert "licence CC-BY-NC-ND-4.0" in listing.out


# --- faults ------------------------------------------------------------------------------


def fake_program(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", "utf-8")
    path.chmod(0o755)
    return path


def test_a_crashing_or_hanging_program_is_one_line_naming_engine_voice_and_what_to_do(measured, tmp_path, monkeypatch):
    from pipeline.tts import system

    config = load_config(measured)
    bin_folder = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_folder}:{os.environ['PATH']}")
    fake_program(bin_folder, "RHVoice-test", "cat >/dev/null; kill -SEGV $$")
    with pytest.raises(EngineFault) as crash:
        engine_class("rhvoice")(config).synthesize("Тест.", "elena", "ru")
    assert crash.value.one_line().startswith("rhvoice (elena) crashed on a sentence of Russian (killed by SIGSEGV); "
                                             "reinstall it (sudo apt-get install -y --reinstall rhvoice rhvoice-russian)")
    fake_program(bin_folder, "pico2wave", "sleep 30")
    monkeypatch.setattr(system, "SENTENCE_TIMEOUT_SECONDS", 0.5)
    with pytest.raises(EngineFault) as hang:
        engine_class("pico")(config).synthesize("Hola.", "es-ES", "es")
    assert hang.value.one_line().startswith("pico (es-ES) hung on a sentence of Spanish (no answer in 0.5 s)")
    fake_program(bin_folder, "open_jtalk", "exit 0")
    with pytest.raises(EngineFault, match=r"open-jtalk \(nitech_jp_atr503_m001\) gave no audio"):
        engine_class("open-jtalk")(config).synthesize("テスト。", "nitech_jp_atr503_m001", "ja")


def test_a_half_installed_voice_is_one_line_and_the_language_falls_back(measured, tmp_path, monkeypatch):
    folder = tmp_path / "lang"
    shutil.copytree(pico.LINGWARE_FOLDER, folder)
    next(folder.glob("es-ES_*_sg.bin")).unlink()
    monkeypatch.setattr(pico, "LINGWARE_FOLDER", folder)
    choice = choose_voice(load_config(measured), "es")
    assert (choice.engine, choice.voice) == ("espeak-ng", "es-419")
    [line] = choice.notes()
    assert line.startswith(f"pico: voice es-ES is half installed ({folder}/es-ES_*_sg.bin is missing or empty); "
                           "reinstall it: sudo apt-get install -y --reinstall libttspico-utils")
    assert line.endswith("Spanish is narrated by espeak-ng (es-419) instead")

    data = tmp_path / "RHVoice"
    (data / "voices" / "aleksandr").mkdir(parents=True)
    (data / "voices" / "aleksandr" / "voice.info").write_text("name=Aleksandr\nlanguage=Russian\n", "utf-8")
    (data / "languages" / "Russian").mkdir(parents=True)
    monkeypatch.setattr(rhvoice, "DATA_FOLDER", data)
    russian = choose_voice(load_config(measured), "ru")
    assert russian.engine == "espeak-ng"
    assert russian.notes()[0].startswith(f"rhvoice: voice aleksandr is half installed (no model data in {data}/voices/aleksandr)")


def test_a_missing_voice_folder_says_how_to_get_the_better_voice(measured, tmp_path, monkeypatch):
    monkeypatch.setattr(rhvoice, "DATA_FOLDER", tmp_path / "nothing")
    [line] = choose_voice(load_config(measured), "uk").notes()
    assert line == ("RHVoice volodymyr would speak Ukrainian more clearly, but the voice is not installed in "
                    f"{tmp_path}/nothing/voices: sudo apt-get install -y rhvoice rhvoice-ukrainian (Debian non-free; "
                    "Ubuntu multiverse: scripts/system-deps.sh enables it as root); Ukrainian is narrated by "
                    "espeak-ng (uk) instead")


def test_a_voice_of_another_language_is_refused_with_one_line(measured):
    configure(measured, '[language.ru]\nvoices = { rhvoice = "natalia" }\n\n[language.fr]\nvoices = { pico = "es-ES" }')
    config = load_config(measured)
    russian = choose_voice(config, "ru")
    assert russian.engine == "espeak-ng"
    assert russian.problems == ("handouts.toml: [language.ru] voices.rhvoice = 'natalia' speaks Ukrainian, not "
                                "Russian; use a voice of the language ('handouts voices' lists them)",)
    french = choose_voice(config, "fr")
    assert french.engine == "espeak-ng"
    assert french.problems[0].startswith("handouts.toml: [language.fr] voices.pico = 'es-ES' speaks Spanish, not French")


# --- set-up on a machine without the packages -------------------------------------------


def bare_path(tmp_path: Path) -> str:
    """A PATH with espeak-ng and the usual tools but no pico2wave, RHVoice-test or open_jtalk."""
    folder = tmp_path / "bare-bin"
    folder.mkdir()
    for name in ("espeak-ng", "dpkg-query", "sh"):
        os.symlink(shutil.which(name), folder / name)
    return f"{folder}:{Path(sys.executable).parent}"


def test_without_the_packages_each_language_says_which_voice_is_better_and_how(measured, tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(measured), "voices"], capture_output=True,
                            text=True, env={**os.environ, "PATH": bare_path(tmp_path)}, cwd=REPO)
    lines = result.stdout.splitlines()
    spanish = [line.strip() for line in lines if "SVOX Pico es-ES would speak Spanish" in line]
    assert spanish == ["SVOX Pico es-ES would speak Spanish more clearly, but pico2wave is not installed: sudo apt-get "
                       "install -y libttspico-utils (Debian non-free; Ubuntu multiverse: scripts/system-deps.sh "
                       "enables it as root); Spanish is narrated by espeak-ng (es-419) instead"]
    assert any("RHVoice aleksandr would speak Russian more clearly, but RHVoice-test is not installed: sudo apt-get install "
               "-y rhvoice rhvoice-russian" in line for line in lines)
    assert any("Open JTalk nitech_jp_atr503_m001 would speak Japanese more clearly, but open_jtalk is not installed: "
               "sudo apt-get install -y open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001 "
               "(Debian contrib" in line for line in lines)
    assert "es       espeak-ng es-419" in result.stdout


def stub(folder: Path, name: str, body: str) -> None:
    fake_program(folder, name, body)


@pytest.mark.parametrize("root_user", [False, True])
def test_the_set_up_enables_the_archive_sections_or_prints_the_commands(tmp_path, root_user):
    bin_folder = tmp_path / "stubs"
    stub(bin_folder, "id", f"echo {0 if root_user else 1000}")
    stub(bin_folder, "dpkg-query", 'case "$*" in *fonts*|*espeak*|*pango*|*fontconfig*|*louis*) echo "install ok installed";; '
                                   '*) exit 1;; esac')
    # Like apt on a fresh Debian: the voices are known (main's packages suggest them) but have
    # no candidate until contrib/non-free are enabled.
    stub(bin_folder, "apt-cache", f'echo "$2:"; if [ -e "{tmp_path}/sources/handouts-voices.sources" ]; '
                                  f'then echo "  Candidate: 1.0"; else echo "  Candidate: (none)"; fi')
    stub(bin_folder, "apt-get", f'echo "apt-get $*" >> "{tmp_path}/apt.log"')
    (tmp_path / "sources").mkdir()
    env = {**os.environ, "PATH": f"{bin_folder}:{os.environ['PATH']}", "HANDOUTS_APT_SOURCES_DIR": str(tmp_path / "sources")}
    result = subprocess.run(["bash", str(REPO / "scripts" / "system-deps.sh"), "build"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    sources = tmp_path / "sources" / "handouts-voices.sources"
    if root_user:
        assert "handouts setup: enabled Debian contrib/non-free for the voices" in result.stderr
        assert "Components: contrib non-free" in sources.read_text("utf-8")
        log = (tmp_path / "apt.log").read_text("utf-8")
        assert "install -y -q --no-install-recommends libttspico-utils rhvoice rhvoice-russian" in log
    else:
        assert not sources.exists() and not (tmp_path / "apt.log").exists()
        lines = result.stderr.splitlines()
        assert "they come from Debian contrib/non-free. Run:" in lines[0]
        assert lines[1].startswith("  printf 'Types: deb\\nURIs: http://deb.debian.org/debian\\n")
        assert lines[1].endswith(f"| sudo tee {sources} >/dev/null")
        assert lines[2:] == ["  sudo apt-get update", "  sudo apt-get install -y --no-install-recommends "
                             "libttspico-utils rhvoice rhvoice-russian rhvoice-ukrainian rhvoice-brazilian-portuguese "
                             "rhvoice-polish open-jtalk open-jtalk-mecab-naist-jdic hts-voice-nitech-jp-atr503-m001"]


# --- real narrations by each engine -----------------------------------------------------

ENGINE_LANGUAGES = {"es": "pico", "ru": "rhvoice", "ja": "open-jtalk"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("engines") / "project", engines=())
    assert main(["--root", str(root), "build", "--format", "audio", "--format", "epub", "--format", "html", "-q",
                 *[f"--lang={tag}" for tag in ENGINE_LANGUAGES]]) == 0
    from pipeline.inputs.project import load_project

    project = load_project(load_config(root))
    return root, {plan.facts.tag: plan.job for plan in project.plans}


@pytest.fixture(autouse=True)
def _iso_codes(monkeypatch):
    monkeypatch.setitem(shared.ISO_639_2, "ru", "rus")


@pytest.mark.slow
@pytest.mark.parametrize("tag", ENGINE_LANGUAGES)
def test_every_engine_s_narration_is_mastered_chaptered_captioned_and_overlaid(built, tag):
    root, _ = built
    assert shared.timeline(root, tag)["engine"] == ENGINE_LANGUAGES[tag]
    shared.test_mp3_format_loudness_peaks_and_silences(built, tag)
    shared.test_tags_and_one_chapter_per_section_titled_in_the_language(built, tag)
    shared.test_captions_are_the_timeline_and_the_timeline_is_the_audio(built, tag)
    shared.test_media_overlays_point_at_real_elements_within_the_audio(built, tag)
    cues = {cue["id"]: cue for cue in shared.timeline(root, tag)["cues"]}
    assert {"review-notice", "review-notice-en"} <= set(cues)  # the spoken review notice, in both languages


@pytest.mark.slow
def test_the_voice_and_its_licence_are_in_the_tags_the_manifest_and_the_download_page(built):
    root, _ = built
    report = inspect_mp3(shared.paths(root, "es")["mp3"])
    assert report.tags["TCOP"] == ("2020 Ann Pietrangelo; narrated by pico es-ES (licence Apache-2.0), "
                                   "Castilian Spanish (Spain), not Latin American")
    assert inspect_mp3(shared.paths(root, "ru")["mp3"]).tags["TCOP"].endswith("narrated by rhvoice aleksandr "
                                                                              "(licence LGPL-2.1+)")
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    narrations = {f["language"]: f for f in manifest["files"] if f["format"] == "mp3"}
    assert (narrations["ja"]["engine"], narrations["ja"]["voice"], narrations["ja"]["voice_licence"]) == (
        "open-jtalk", "nitech_jp_atr503_m001", "CC-BY-3.0")
    assert narrations["es"]["voice_note"] == "Castilian Spanish (Spain), not Latin American"
    page = (root / "outputs" / "es" / "index.html").read_text("utf-8")
    assert "pico es-ES, voice licence Apache-2.0: Castilian Spanish (Spain), not Latin American" in page


@pytest.mark.slow
def test_an_engine_that_crashes_mid_narration_hands_the_language_to_the_next_one(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "crash", engines=())
    bin_folder = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_folder}:{os.environ['PATH']}")
    real = shutil.which("RHVoice-test")
    # Speaks the first sentences, then crashes on the one that mentions the lymph nodes.
    fake_program(bin_folder, "RHVoice-test", f'text=$(cat); case "$text" in *лимф*) kill -SEGV $$;; esac; '
                                             f'printf "%s" "$text" | {real} "$@"')
    assert main(["--root", str(root), "build", "--lang", "ru", "--format", "audio", "--jobs", "1", "-q"]) == 0
    error = capsys.readouterr().err
    [line] = [line for line in error.splitlines() if "crashed on a sentence" in line]
    assert "rhvoice (aleksandr) crashed on a sentence of Russian (killed by SIGSEGV)" in line
    assert line.endswith("Russian is narrated by espeak-ng (ru) instead")
    mp3 = root / "outputs" / "ru" / f"{SLUG}.ru.mp3"
    assert inspect_mp3(mp3).tags["TSSE"].startswith("espeak-ng ru")
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    assert {f["engine"] for f in manifest["files"] if f["language"] == "ru"} == {"espeak-ng"}
    assert sorted(p.name for p in (root / "outputs" / "ru").iterdir()) == [
        "catalog.xml", "index.html", f"{SLUG}.ru.mp3", f"{SLUG}.ru.vtt", "topics"]  # nothing half-written
    later = choose_voice(load_config(root), "ru")  # the next build chooses espeak-ng from the start
    assert later.engine == "espeak-ng" and "crashed on a sentence" in later.problems[0]


def test_handouts_voices_names_licence_note_measurement_and_the_online_choice(measured, run_cli):
    lines = run_cli(measured, "voices").out.splitlines()

    def block(tag):
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{tag} "))
        end = next((i for i, line in enumerate(lines[start + 1:], start + 1) if not line.startswith(" ")), len(lines))
        return [line.strip() for line in lines[start:end]]

    spanish = block("es")
    assert spanish[0] == "es       pico es-ES (pico /usr/share/pico/lang)"
    assert spanish[1] == "licence Apache-2.0; Castilian Spanish (Spain), not Latin American"
    assert any(line.startswith("measured: the recognizer misheard ") for line in spanish)
    chinese = block("zh-Hans")
    assert chinese[0].startswith("zh-Hans  espeak-ng cmn")
    assert any("it cannot follow this voice" in line for line in chinese)
    assert "better online: gTTS has a natural voice for it; set [audio] online = true in handouts.toml" in chinese
    assert not any(line.startswith("better online") for line in block("ru"))
