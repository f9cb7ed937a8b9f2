"""Piper: offline neural voices (VITS models run by onnxruntime on the CPU), the preferred
engine wherever a Piper voice for the language is installed (pipeline/tts/piper_voices.py).

Reproducible. A Piper voice draws random noise in two places (the phoneme durations and
the sound itself: the graph's two RandomNormalLike nodes), so by default a sentence
sounds a little different, and has different bytes, on every run. Fixing the nodes'
`seed` attribute is not enough: onnxruntime keeps one generator per node for the life
of the session, so the second synthesis of a sentence in a process differs from the
first, and the sound would depend on which sentences a worker spoke before (a warm
cache, --jobs). Setting the noise to zero would change the voice its authors tuned.
Instead the two nodes are replaced, when the voice is loaded, by inputs that this module
fills with standard normal noise from a generator seeded by the sentence's phonemes:
the same draw every time, in any process, in any order, from the voice's own
noise_scale and noise_w (README, "Narration").

Fast. Each voice is loaded once per process (module-level cache) and runs on one
thread: the build runs one worker process per core, and one thread per process was the
faster setting on this machine; the result is also the same with more threads.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import SpeechError, VoiceError
from pipeline.core.locales import facts_for
from pipeline.tts import Engine, Found, Speech, Voice
from pipeline.tts import piper_voices
from pipeline.tts.piper_voices import VoiceFile

NOISE_NODE = "RandomNormalLike"
RANDOM_OPS = {"RandomNormal", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli"}
# Room for noise: frames per phoneme id (about 2.5 are used; a sentence that needs more
# is run again with twice the room, which gives the same sound).
FRAMES_PER_ID = 8
CHANNELS_BOUND = 192
NOISE_SCHEME = "noise seeded by phonemes v1"


class PiperEngine(Engine):
    NAME = "piper"

    def unavailable_reason(self) -> str | None:
        for module, package in (("piper", "piper-tts"), ("onnxruntime", "onnxruntime"), ("onnx", "onnx")):
            if importlib.util.find_spec(module) is None:
                return f"the Python package {package} is not installed; run 'make setup'"
        return None

    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError

        from pipeline.core.machine import package_version

        try:
            return f"piper-tts {package_version('piper-tts')}; onnxruntime {package_version('onnxruntime')}"
        except PackageNotFoundError:
            return "piper-tts (not installed)"

    def find_voice(self, tag: str) -> Found:
        """The configured voice if set (and only it), else the preferred voice of the table,
        else any installed voice of the language, best quality first. Bad files are passed
        over with one line each."""
        options = self.config.language_options.get(tag)
        configured = options.voices.get(self.NAME) if options else None
        installed = piper_voices.all_voices(self.config)
        if self.unavailable_reason():  # voices but no piper-tts: choose_voice says what to install
            preferred = configured or self.config.voice_for(tag, self.NAME)
            named = [v for v in installed if v.name == preferred]
            return Found(Voice(named[0].name, named[0].where) if named else None)
        if configured:
            candidates = [v for v in installed if v.name == configured]
            if not candidates:
                return Found(None, (f"handouts.toml: [language.{tag}] voices.piper = {configured!r}: no such Piper "
                                    f"voice in {piper_voices.shown(self.config.voices_dir, self.config.root)}/ or in "
                                    f"an installed voice package; add it with: "
                                    f"{piper_voices.download_command(configured, self.config)}",))
        else:
            preferred = self.config.voice_for(tag, self.NAME)
            candidates = [v for v in installed if piper_voices.speaks(piper_voices.voice_language(v), tag)
                          or v.name == preferred]
            candidates.sort(key=lambda v: (v.name != preferred, v.quality, v.name))
        problems: list[str] = []
        for candidate in candidates:
            try:
                identity = piper_voices.check(candidate, tag, self.config)
            except VoiceError as error:
                problems.append(error.one_line())
                continue
            return Found(Voice(candidate.name, candidate.where, identity,
                               licence=piper_voices.model_card_licence(candidate)), tuple(problems))
        return Found(None, tuple(problems))

    def sound_parts(self, voice: str, language: str) -> tuple[str, ...]:
        found = self._voice_file(voice, language)
        settings = _settings(found.config)
        return (piper_voices.verify(found, self.config), json.dumps(settings, sort_keys=True), NOISE_SCHEME)

    def suggestion(self, tag: str) -> str:
        name = self.config.voice_for(tag, self.NAME)
        if not name:
            return ""
        return piper_voices.download_command(name, self.config)

    def synthesize(self, text: str, voice: str, language: str) -> Speech:
        found = self._voice_file(voice, language)
        loaded = _load(found.model, found.config, *_stamp(found))
        text = text.replace("[[", "[ [")  # Piper reads [[…]] as phonemes; a handout's text is text
        audio = [loaded.speak(phonemes) for phonemes in loaded.voice.phonemize(text) if phonemes]
        samples = np.concatenate(audio) if audio else np.zeros(0, dtype=np.float32)
        return Speech(wav_bytes(samples, loaded.sample_rate), "wav")

    def _voice_file(self, name: str, language: str) -> VoiceFile:
        """The first sound voice file of that name (the one find_voice chose)."""
        named = [v for v in piper_voices.all_voices(self.config) if v.name == name]
        for candidate in named:
            try:
                piper_voices.verify(candidate, self.config)
            except VoiceError:
                continue
            return candidate
        if named:
            piper_voices.verify(named[0], self.config)  # raises what is wrong with it
        raise SpeechError(f"the Piper voice {name} for {facts_for(language).english_name} is no longer installed",
                          hint=f"add it with: {piper_voices.download_command(name, self.config)}")


def _stamp(voice: VoiceFile) -> tuple[int, int]:
    return voice.model.stat().st_mtime_ns, voice.config.stat().st_mtime_ns


def _settings(config_path: Path) -> dict[str, float]:
    """The voice's own inference settings (from its .onnx.json), used as they are."""
    return _read_settings(config_path, config_path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _read_settings(config_path: Path, stamp: int) -> dict[str, float]:
    inference = piper_voices.description(config_path).get("inference", {})
    return {"noise_scale": float(inference.get("noise_scale", 0.667)),
            "length_scale": float(inference.get("length_scale", 1.0)),
            "noise_w": float(inference.get("noise_w", 0.8))}


@dataclass
class _Loaded:
    """A voice ready to speak: its session (noise nodes replaced by inputs) and Piper's
    phonemizer and settings."""

    voice: Any  # piper.PiperVoice
    session: Any  # onnxruntime.InferenceSession
    noise_inputs: tuple[str, ...]
    scales: np.ndarray
    sample_rate: int
    speaker: int | None

    def speak(self, phonemes: list[str]) -> np.ndarray:
        ids = self.voice.phonemes_to_ids(phonemes)
        seed = int.from_bytes(hashlib.sha256(np.asarray(ids, dtype="<i8").tobytes()).digest()[:8], "little")
        feeds: dict[str, np.ndarray] = {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": self.scales,
        }
        if self.speaker is not None:
            feeds["sid"] = np.asarray([self.speaker], dtype=np.int64)
        room = FRAMES_PER_ID
        while True:
            for number, name in enumerate(self.noise_inputs):
                # One generator per node, seeded by the phonemes: the first n draws are
                # the same however many are asked for, so more room changes nothing.
                generator = np.random.default_rng([seed, number])
                feeds[name] = generator.standard_normal(CHANNELS_BOUND * room * len(ids), dtype=np.float32)
            try:
                audio = self.session.run(None, feeds)[0]
                break
            except Exception as error:  # noqa: BLE001 - onnxruntime's errors have no public class
                if room >= FRAMES_PER_ID * 64 or "reshape" not in str(error).lower():
                    raise SpeechError(f"Piper could not speak a sentence: {str(error).splitlines()[0][:160]}") from None
                room *= 2
        return np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)


@functools.lru_cache(maxsize=4)
def _load(model_path: Path, config_path: Path, model_stamp: int, config_stamp: int) -> _Loaded:
    """Load a voice once per process (the stamps reload it if its files change)."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    model = piper_voices.load_model(model_path)
    if isinstance(model, str):
        raise VoiceError(f"{model_path.name} is {model}", file=str(model_path))
    noise_inputs = seed_noise_inputs(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # a retry with more room for noise is not an error
    session = onnxruntime.InferenceSession(model.SerializeToString(), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(piper_voices.description(config_path))
    settings = _settings(config_path)
    return _Loaded(
        voice=PiperVoice(session=session, config=config),
        session=session,
        noise_inputs=noise_inputs,
        scales=np.asarray([settings["noise_scale"], settings["length_scale"], settings["noise_w"]], dtype=np.float32),
        sample_rate=config.sample_rate,
        speaker=config.default_speaker_id if config.num_speakers > 1 else None,
    )


def seed_noise_inputs(model) -> tuple[str, ...]:
    """Replace each RandomNormalLike node (noise shaped like its input X) by a slice of a
    new 1-D graph input, reshaped like X: Reshape(Slice(noise, 0, size(X)), shape(X)).
    Returns the names of the new inputs, to be filled with seeded standard normal noise."""
    from onnx import TensorProto, helper

    graph = model.graph
    if any(node.op_type in RANDOM_OPS for node in graph.node):
        raise VoiceError("the voice model draws random numbers in a way that cannot be made reproducible",
                         hint="use a Piper voice exported by piper-tts")
    names = []
    nodes = list(graph.node)
    for number, node in enumerate(n for n in nodes if n.op_type == NOISE_NODE):
        noise = f"handouts_noise_{number}"
        names.append(noise)
        graph.input.append(helper.make_tensor_value_info(noise, TensorProto.FLOAT, [f"{noise}_length"]))
        replacement = [
            helper.make_node("Shape", [node.input[0]], [f"{noise}_shape"]),
            helper.make_node("ReduceProd", [f"{noise}_shape"], [f"{noise}_size"], keepdims=1),
            helper.make_node("Constant", [], [f"{noise}_start"],
                             value=helper.make_tensor(f"{noise}_zero", TensorProto.INT64, [1], [0])),
            helper.make_node("Slice", [noise, f"{noise}_start", f"{noise}_size"], [f"{noise}_flat"]),
            helper.make_node("Reshape", [f"{noise}_flat", f"{noise}_shape"], [node.output[0]]),
        ]
        position = list(graph.node).index(node)
        graph.node.remove(node)
        for offset, new in enumerate(replacement):
            graph.node.insert(position + offset, new)
    return tuple(names)


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono WAV, Piper's raw level (not normalized per sentence: the mastering sets
    the level of the whole narration, and sentences keep their relative loudness)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


ENGINE = PiperEngine
