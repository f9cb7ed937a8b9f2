"""Piper against espeak-ng on the English narration: speed, the MP3s compared, and the
noise settings that make Piper reproducible.

Run with `.venv/bin/python bench/voices.py` (about five minutes on two cores). Prints
Markdown tables for the README and writes bench/results/voices.json.

- Real-time factor: every spoken item of the English narration synthesized by each
  engine, no cache; seconds of audio per second of wall time and of CPU time.
- Cold build: `handouts build --lang en --format audio --jobs 1` in a fresh copy, once
  with Piper (the default) and once with espeak-ng, and the two MP3s read back
  (duration, integrated loudness, true peak, longest silence, chapter start times).
- Noise: the first paragraphs synthesized with Piper's default random noise (twice),
  with the noise seeded by the phonemes (what the engine does), and with no noise:
  total duration, pitch spread, loudness spread between sentences, same bytes twice.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchmark import SLUG, fresh_project  # noqa: E402

from pipeline.checks.audio import inspect_mp3  # noqa: E402
from pipeline.core.config import load_config  # noqa: E402
from pipeline.inputs.project import load_project  # noqa: E402
from pipeline.tts import choose_voice, engine_class, item_speaker  # noqa: E402
from pipeline.writers.common import sound  # noqa: E402
from pipeline.writers.audio.narration import narration_script  # noqa: E402


def set_engines(root: Path, engines: list[str]) -> None:
    path = root / "handouts.toml"
    text = path.read_text("utf-8")
    head, tail = text.split("[audio]", 1)
    line = f"engines = {json.dumps(engines)}"
    lines = [line if old.startswith("engines =") else old for old in tail.split("\n")]
    if line not in lines:
        lines.insert(1, line)
    path.write_text(head + "[audio]" + "\n".join(lines), "utf-8")


def real_time_factor(root: Path, engine_name: str) -> dict:
    config = load_config(root).with_overrides(engines=(engine_name,))
    job = next(p.job for p in load_project(config, languages=["en"]).plans if p.job)
    engine = engine_class(engine_name)(config)
    voice = choose_voice(config, "en").voice
    items = narration_script(job)
    engine.synthesize("Warm up.", voice, "en")  # loading the voice is not speaking
    wall, cpu, children = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    audio = 0.0
    for item in items:
        speaker, item_voice = item_speaker(config, engine_name, item.language, voice)
        speech = engine_class(speaker)(config).synthesize(item.spoken, item_voice, item.language)
        audio += sound.decode(speech.data).size / sound.SAMPLE_RATE
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return {"engine": engine_name, "voice": voice, "audio_s": round(audio, 1), "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "x_real_time_wall": round(audio / wall, 1), "x_real_time_cpu": round(audio / cpu, 1)}


def cold_build(parent: Path, engine_name: str) -> dict:
    root = fresh_project(parent, engine_name)
    set_engines(root, [engine_name])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "en", "--format", "audio",
                    "--jobs", "1", "-q"], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = inspect_mp3(root / "outputs" / "en" / f"{SLUG}.en.mp3")
    return {"engine": engine_name, "build_wall_s": round(wall, 1),
            "build_cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1),
            "duration_s": round(report.duration, 1), "loudness_lufs": round(report.loudness, 1),
            "true_peak_dbtp": round(report.true_peak, 1), "longest_silence_s": round(report.longest_silence, 2),
            "chapter_starts_s": [round(c.start, 1) for c in report.chapters]}


def pitch_spread(samples: np.ndarray, rate: int) -> list[float]:
    """Voiced-frame pitch in semitones (autocorrelation, 40 ms frames), for spread only."""
    size, hop, low, high = int(0.04 * rate), int(0.01 * rate), rate // 400, rate // 70
    found = []
    for start in range(0, samples.size - size, hop):
        frame = samples[start:start + size].astype(np.float64)
        frame -= frame.mean()
        if np.sqrt(np.mean(frame ** 2)) < 0.02:
            continue
        correlation = np.correlate(frame, frame, "full")[size - 1:]
        correlation /= correlation[0] + 1e-12
        lag = low + int(np.argmax(correlation[low:high]))
        if correlation[lag] > 0.5:
            found.append(12 * np.log2(rate / lag / 100))
    return found


def noise_settings(root: Path, paragraphs: int = 14) -> list[dict]:
    import onnxruntime
    import pyloudnorm
    from piper import PiperVoice
    from piper.config import PiperConfig, SynthesisConfig

    from pipeline.tts import piper as piper_engine

    config = load_config(root)
    engine = engine_class("piper")(config)
    job = next(p.job for p in load_project(config, languages=["en"]).plans if p.job)
    texts = [item.spoken for item in narration_script(job) if len(item.spoken.split()) > 12][:paragraphs]
    voice_file = engine._voice_file("en_US-joe-medium", "en")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    plain = PiperVoice(session=onnxruntime.InferenceSession(str(voice_file.model), sess_options=options,
                                                            providers=["CPUExecutionProvider"]),
                       config=PiperConfig.from_dict(json.loads(voice_file.config.read_text("utf-8"))))
    meter = pyloudnorm.Meter(22050)

    def piper_default(settings):
        return lambda text: [c.audio_float_array for c in plain.synthesize(text, settings)]

    def seeded(text):
        loaded = piper_engine._load(voice_file.model, voice_file.config, *piper_engine._stamp(voice_file))
        return [loaded.speak(p) for p in loaded.voice.phonemize(text) if p]

    unnormalized = {"normalize_audio": False}
    variants = {
        "Piper default: random noise (0.667, 0.8)": piper_default(SynthesisConfig(**unnormalized)),
        "Piper default, second run": piper_default(SynthesisConfig(**unnormalized)),
        "noise seeded by the phonemes (0.667, 0.8)": seeded,
        "no noise (0, 0)": piper_default(SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, **unnormalized)),
    }
    rows = []
    for name, speak in variants.items():
        chunks = [speak(text) for text in texts]
        again = [speak(text) for text in texts[:3]]
        sentences = [c for paragraph in chunks for c in paragraph]
        audio = np.concatenate(sentences)
        pitches = pitch_spread(audio, 22050)
        loudness = [meter.integrated_loudness(c.astype(np.float64)) for c in sentences if c.size > 22050]
        same = all(np.array_equal(np.concatenate(a), np.concatenate(b)) for a, b in zip(again, chunks[:3]))
        rows.append({"settings": name, "duration_s": round(audio.size / 22050, 1),
                     "pitch_spread_semitones": round(float(np.std(pitches)), 2),
                     "sentence_loudness_spread_lu": round(float(np.std(loudness)), 2),
                     "digest": hashlib.sha256(audio.tobytes()).hexdigest()[:12], "same_bytes_twice": same})
    return rows


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="handouts-voices-") as folder:
        parent = Path(folder)
        root = fresh_project(parent, "measure")
        results["real_time"] = [real_time_factor(root, name) for name in ("piper", "espeak-ng")]
        results["builds"] = [cold_build(parent, name) for name in ("piper", "espeak-ng")]
        results["noise"] = noise_settings(root)
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    (REPO / "bench" / "results" / "voices.json").write_text(json.dumps(results, indent=1), "utf-8")
    print("| engine | audio (s) | wall (s) | × real time | CPU (s) | × real time per CPU second |")
    print("|---|--:|--:|--:|--:|--:|")
    for row in results["real_time"]:
        print(f"| {row['engine']} {row['voice']} | {row['audio_s']} | {row['wall_s']} | {row['x_real_time_wall']} | "
              f"{row['cpu_s']} | {row['x_real_time_cpu']} |")
    print("\n| English MP3 | cold build (s) | CPU (s) | duration (s) | loudness (LUFS) | true peak (dBTP) | "
          "longest silence (s) | chapter starts (s) |")
    print("|---|--:|--:|--:|--:|--:|--:|---|")
    for row in results["builds"]:
        print(f"| {row['engine']} | {row['build_wall_s']} | {row['build_cpu_s']} | {row['duration_s']} | "
              f"{row['loudness_lufs']} | {row['true_peak_dbtp']} | {row['longest_silence_s']} | "
              f"{', '.join(map(str, row['chapter_starts_s']))} |")
    print("\n| Piper noise | duration (s) | pitch spread (st) | sentence loudness spread (LU) | same bytes twice |")
    print("|---|--:|--:|--:|---|")
    for row in results["noise"]:
        print(f"| {row['settings']} | {row['duration_s']} | {row['pitch_spread_semitones']} | "
              f"{row['sentence_loudness_spread_lu']} | {'yes' if row['same_bytes_twice'] else 'no'} |")


if __name__ == "__main__":
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is needed: install the Debian package espeak-ng")
    main()
