"""What the engines that are system programs share (SVOX Pico, RHVoice, Open JTalk).

- Running the program on one sentence with a time limit: a crash, a hang or no audio is
  an `EngineFault` naming the engine, the voice and what to do, never a half-made file
  (the narration falls back to the next engine: pipeline/writers/audio.py).
- What identifies their sound for the synthesis cache: the Debian package versions, else
  the program's checksum; a voice's own files by checksum (read once per version of the
  files, as Piper's are).
- A voice's licence, from Debian's machine-readable copyright file (DEP-5, read with
  python-debian): the licence travels with the voice into the outputs.
- How to get an engine that is not installed: the apt-get line, and the archive section
  (Debian contrib/non-free, Ubuntu multiverse) that scripts/system-deps.sh enables.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import ClassVar

from pipeline.core.errors import SpeechError
from pipeline.core.locales import voice_table
from pipeline.tts import Engine

# One sentence takes these engines well under a second; a minute means it hangs.
SENTENCE_TIMEOUT_SECONDS = 60.0


class EngineFault(SpeechError):
    """The engine program failed on a sentence (crashed, hung, gave no audio): the
    language falls back to the next engine."""


def run_program(command: list[str], *, text: str | None, engine: str, voice: str, language: str,
                output: Path | None = None, timeout: float | None = None) -> bytes:
    """Run an engine program on one sentence; the WAV it wrote (to stdout, or to `output`)."""
    from pipeline.core.locales import facts_for

    timeout = timeout or SENTENCE_TIMEOUT_SECONDS
    name = facts_for(language).english_name
    reinstall = install_command(engine, language, reinstall=True) or "reinstall its Debian package"
    remove = f"or take {engine} out of the engines of {language} in handouts.toml"
    try:
        result = subprocess.run(command, input=text.encode("utf-8") if text is not None else None,
                                capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise EngineFault(f"{engine} ({voice}) hung on a sentence of {name} (no answer in {timeout:g} s)",
                          hint=f"reinstall it ({reinstall}), {remove}") from None
    except OSError as error:
        raise EngineFault(f"{engine} ({voice}) could not be started: {error.strerror}", hint=reinstall) from None
    data = output.read_bytes() if output is not None and output.exists() else result.stdout
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EngineFault(f"{engine} ({voice}) crashed on a sentence of {name} ({exit_status(result.returncode)}"
                          + (f": {said[-1][:120]}" if said else "") + ")", hint=f"reinstall it ({reinstall}), {remove}")
    if not data.startswith(b"RIFF") or len(data) <= 44:
        raise EngineFault(f"{engine} ({voice}) gave no audio for a sentence of {name}", hint=f"reinstall it ({reinstall}), {remove}")
    return data


def exit_status(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


# --- identity ---------------------------------------------------------------------------


def program_version(binary: str, packages: tuple[str, ...]) -> str:
    """The Debian versions of the engine's packages, else the program's checksum."""
    path = shutil.which(binary)
    if not path:
        return f"{binary} (not installed)"
    versions = _package_versions(packages, _stamp(path))
    return f"{binary} {versions}" if versions else f"{binary} sha256:{files_checksum((Path(path),))[:16]}"


@functools.lru_cache(maxsize=16)
def _package_versions(packages: tuple[str, ...], stamp: tuple[int, int]) -> str:
    if not packages or not shutil.which("dpkg-query"):
        return ""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", *packages],
                            capture_output=True, text=True, timeout=30, check=False)
    return "; ".join(line for line in result.stdout.splitlines() if line.split()[1:])


def files_checksum(paths: tuple[Path, ...]) -> str:
    """SHA-256 of the files' names and contents, once per version of the files."""
    return _checksum(tuple(sorted(str(p) for p in paths)), tuple(_stamp(str(p)) for p in sorted(paths)))


@functools.lru_cache(maxsize=64)
def _checksum(paths: tuple[str, ...], stamps: tuple[tuple[int, int], ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.basename(path).encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _stamp(path: str) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


# --- licences ---------------------------------------------------------------------------


def debian_licence(doc_packages: tuple[str, ...], path_in_source: str) -> str | None:
    """The licence Debian's copyright file gives for a path of the upstream source
    (`data/voices/elena/voice.data`), or None when no such file is installed."""
    for package in doc_packages:
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        if copyright_file.is_file():
            licence = _dep5_licence(str(copyright_file), path_in_source, _stamp(str(copyright_file)))
            if licence:
                return licence
    return None


@functools.lru_cache(maxsize=64)
def _dep5_licence(copyright_file: str, path_in_source: str, stamp: tuple[int, int]) -> str | None:
    import logging

    from debian.copyright import Copyright, Error

    logging.getLogger("debian.copyright").setLevel(logging.ERROR)  # its notes on old Format URLs
    try:
        with open(copyright_file, encoding="utf-8") as handle:
            paragraph = Copyright(handle, strict=False).find_files_paragraph(path_in_source)
    except (Error, ValueError, OSError, UnicodeDecodeError):
        return None
    return paragraph.license.synopsis if paragraph is not None and paragraph.license else None


def known_licence(engine: str, voice: str) -> str | None:
    """The licence pipeline/data/voices.toml records for a voice (Debian's, copied there
    for machines whose /usr/share/doc was stripped)."""
    return voice_table().get("licences", {}).get(engine, {}).get(voice)


def allows_commercial_use(licence: str) -> bool:
    """False for a non-commercial licence (Creative Commons NC, or a licence that says so)."""
    words = licence.upper().replace("_", "-").replace(" ", "-")
    return not ("-NC" in words or "NONCOMMERCIAL" in words or "NON-COMMERCIAL" in words)


# --- set-up -----------------------------------------------------------------------------


def setup_facts(engine: str) -> dict:
    return voice_table().get("setup", {}).get(engine, {})


def install_command(engine: str, language: str, reinstall: bool = False) -> str:
    """`sudo apt-get install -y rhvoice rhvoice-russian` (the packages voices.toml names)."""
    facts = setup_facts(engine)
    packages = list(facts.get("packages", [])) + list(facts.get("voices", {}).get(language, []))
    if not packages:
        return ""
    again = "--reinstall " if reinstall else ""
    return f"sudo apt-get install -y {again}{' '.join(packages)}"


def how_to_get(engine: str, language: str) -> str:
    """The one line saying how to install an engine's voice for a language."""
    command = install_command(engine, language)
    if not command:
        return ""
    section = setup_facts(engine).get("section", "")
    where = f" (Debian {section}; Ubuntu multiverse: scripts/system-deps.sh enables it as root)" if section else ""
    return f"{command}{where}"


class ProgramEngine(Engine):
    """An engine that is a Debian program: it runs when its program is on PATH, and its
    output is identified by the versions of the packages that make it."""

    BINARY: ClassVar[str] = ""
    PACKAGES: ClassVar[tuple[str, ...]] = ()

    def unavailable_reason(self) -> str | None:
        if not shutil.which(self.BINARY):
            return f"{self.BINARY} is not installed; install it: {how_to_get(self.NAME, '')}"
        return None

    def version(self) -> str:
        return program_version(self.BINARY, self.PACKAGES)
