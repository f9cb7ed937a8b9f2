"""A settled build: when nothing changed since the last complete build, say so at once.

A library of a thousand articles in two dozen languages has tens of thousands of inputs
and outputs. Deciding pair by pair that nothing is to be done (decoding each stored
plan, checking each output) costs seconds; the answer is almost always "nothing". So a
build that finished with nothing failed leaves a small record, `settled.json`, of

- the *inputs signature*: the selection (formats, articles, languages, publishing or
  not), the configuration, the metadata (path, size, time, inode) of every file under
  the project's sources and translations, of the pipeline's own code and data, of the
  voices that failed at run time (`voice-faults.json`), and the machine's
  fingerprint (fonts, speech engines, liblouis: keys.environment_fingerprint);
- the *outputs signature*: the metadata of every file under outputs/ and of the build's
  artifacts, as that build left them;
- what that build would print again with nothing to do: problems, notes, what waits.

The next build with the same selection computes both signatures (directory listings and
`stat`, no file is read) and, when they match, replays the record without opening the
build state or planning a pair. Any difference, however small (a catalog saved, an
output deleted, a package installed), takes the ordinary path, which decides pair by
pair; the record never vouches for more than the metadata it was made from, the same
rule make and ninja use.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core import atomic
from pipeline.core.config import Config

RECORD_NAME = "settled.json"
VERSION = "1"
PIPELINE_DIR = Path(__file__).resolve().parents[1]
# The build's own files in the cache whose change may change what a build decides (the
# voices that failed at run time; the others are caches of what the signature covers).
CACHE_FILES = ("voice-faults.json",)
KEPT_SELECTIONS = 8  # records kept, one per selection (the whole library, one language…)


@dataclass
class Settled:
    """What a build with nothing to do reports, as the last complete build left it."""

    cached: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)  # slug, language, skip_reasons, review_state


def selection_key(formats: list[str] | None, slugs: list[str] | None, languages: list[str] | None,
                  publishing: bool) -> str:
    return repr((sorted(formats or []), sorted(slugs or []), sorted(languages or []), publishing))


def inputs_signature(config: Config, selection: str) -> str:
    from pipeline.engine.keys import environment_fingerprint

    digest = hashlib.sha256(repr((VERSION, selection, config)).encode())
    for folder in (config.sources_dir, config.translations_dir):
        _tree(Path(folder), digest)
    _tree(PIPELINE_DIR, digest, skip=("__pycache__",))
    _files([config.path, *(config.cache_dir / name for name in CACHE_FILES),
            *([config.clinic.logo] if config.clinic and config.clinic.logo else [])], digest)
    digest.update(environment_fingerprint(config).encode())
    return digest.hexdigest()


def outputs_signature(config: Config) -> str:
    """The outputs and the build's artifacts. (Not the build state: it is a cache of what is
    on disk, which `handouts status` also writes; a damaged one is found, and made anew,
    by the next build that has work to do.)"""
    digest = hashlib.sha256()
    for folder in (config.outputs_dir, config.cache_dir / "artifacts"):
        _tree(Path(folder), digest)
    return digest.hexdigest()


def _tree(folder: Path, digest, skip: tuple[str, ...] = ()) -> None:
    """Every file and folder under `folder`: relative path, size, time and inode."""
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError as error:  # gone, unreadable: counts as such
            digest.update(f"{current}\0{error.errno}\n".encode())
            continue
        rows = []
        for entry in entries:
            if entry.name in skip:
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError as error:
                rows.append(f"{entry.name}\0{error.errno}")
                continue
            rows.append(f"{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}")
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
        digest.update(f"{current}\n".encode() + "\n".join(rows).encode(errors="surrogateescape"))


def _files(paths: list, digest) -> None:
    for path in paths:
        try:
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\n".encode())
        except OSError as error:
            digest.update(f"{path}\0{error.errno}\n".encode())


class SettledRecord:
    """The records of the last complete builds, one per selection, in the cache folder."""

    def __init__(self, config: Config, selection: str) -> None:
        self.config = config
        self.path = Path(config.cache_dir) / RECORD_NAME
        self.selection = selection
        self.inputs = inputs_signature(config, selection)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return data if isinstance(data, dict) and data.get("version") == VERSION else {}
        except (OSError, ValueError):
            return {}

    def lookup(self) -> Settled | None:
        """The report of the last complete build of this selection, when nothing it was made
        from has changed since; else None."""
        entry = self._read().get("builds", {}).get(self.selection)
        if not isinstance(entry, dict) or entry.get("inputs") != self.inputs:
            return None
        if entry.get("outputs") != outputs_signature(self.config):
            return None
        try:
            return Settled(**entry["report"])
        except (TypeError, KeyError):
            return None

    def save(self, settled: Settled) -> None:
        """Record this build as complete (called after it wrote everything, inside the lock).
        The inputs are those seen when it started: an input changed since (while it ran)
        differs from the record, and the next build takes the ordinary path for it."""
        builds = self._read().get("builds", {})
        builds.pop(self.selection, None)
        builds[self.selection] = {"inputs": self.inputs, "outputs": outputs_signature(self.config),
                                  "report": settled.__dict__}
        kept = dict(list(builds.items())[-KEPT_SELECTIONS:])
        atomic.atomic_write_text(self.path, json.dumps({"version": VERSION, "builds": kept}, ensure_ascii=False))
