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


def scan(folders: list[Path], skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int, int]]:
    """Every file under `folders`: absolute path -> (size, time, inode); a folder or entry
    that cannot be read counts by its error number (-errno, 0, 0)."""
    found: dict[str, tuple[int, int, int]] = {}
    pending = [str(folder) for folder in folders]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        except OSError as error:  # unreadable: counts as such
            found[current] = (-(error.errno or 1), 0, 0)
            continue
        for entry in entries:
            if entry.name in skip:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                stat = entry.stat(follow_symlinks=False)
                found[entry.path] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            except OSError as error:
                found[entry.path] = (-(error.errno or 1), 0, 0)
    return found


def signature(files: dict[str, tuple[int, int, int]], *parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode())
    digest.update("\n".join(f"{path}\0{size}\0{mtime}\0{inode}" for path, (size, mtime, inode)
                             in sorted(files.items())).encode(errors="surrogateescape"))
    return digest.hexdigest()


def _files(paths: list) -> dict[str, tuple[int, int, int]]:
    found = {}
    for path in paths:
        try:
            stat = os.stat(path)
            found[str(path)] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        except OSError as error:
            found[str(path)] = (-(error.errno or 1), 0, 0)
    return found


class SettledRecord:
    """The records of the last complete builds, one per selection, in the cache folder.
    Its scans serve the build too: `inputs` (sources and translations) lets planning look
    only at the files that changed, `outputs` tells what was changed on disk by hand."""

    def __init__(self, config: Config, selection: str) -> None:
        from pipeline.engine.keys import environment_fingerprint

        self.config = config
        self.path = Path(config.cache_dir) / RECORD_NAME
        self.selection = selection
        self.inputs = scan([config.sources_dir, config.translations_dir])
        others = scan([PIPELINE_DIR], skip=("__pycache__",)) | _files(
            [*([config.path] if config.path else []), *(config.cache_dir / name for name in CACHE_FILES),
             *([config.clinic.logo] if config.clinic and config.clinic.logo else [])])
        self.inputs_signature = signature(self.inputs | others, VERSION, selection, config,
                                          environment_fingerprint(config))
        self.output_roots = [Path(config.outputs_dir), Path(config.cache_dir) / "artifacts"]
        self.outputs = scan(self.output_roots)
        self._data: dict | None = None

    def _read(self) -> dict:
        """The records as this build found them (read once)."""
        if self._data is None:
            try:
                data = json.loads(self.path.read_text("utf-8"))
                self._data = data if isinstance(data, dict) and data.get("version") == VERSION else {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def lookup(self) -> Settled | None:
        """The report of the last complete build of this selection, when nothing it was made
        from has changed since; else None."""
        entry = self._read().get("builds", {}).get(self.selection)
        if not isinstance(entry, dict) or entry.get("inputs") != self.inputs_signature:
            return None
        if entry.get("outputs") != signature(self.outputs):
            return None
        try:
            return Settled(**entry["report"])
        except (TypeError, KeyError):
            return None

    def outputs_untouched(self) -> bool:
        """The outputs are as the last complete build (of any selection) left them: nothing
        was changed on disk by hand since, and the build state's records hold."""
        builds = self._read().get("builds", {})
        last = list(builds.values())[-1] if builds else None
        return isinstance(last, dict) and last.get("outputs") == signature(self.outputs)

    def save(self, settled: Settled, written: set[str]) -> None:
        """Record this build as complete (called after it wrote everything, inside the lock).
        The inputs are those seen when it started: an input changed since (while it ran)
        differs from the record, and the next build takes the ordinary path for it. The
        outputs are those seen when it started and the files it wrote or removed since
        (`written`): a file changed meanwhile by anything else differs from the record too."""
        outputs = dict(self.outputs)
        roots = tuple(f"{root}{os.sep}" for root in self.output_roots)
        for path, stat in _files(sorted(path for path in written if path.startswith(roots))).items():
            if stat[0] < 0:
                outputs.pop(path, None)
            else:
                outputs[path] = stat
        builds = dict(self._read().get("builds", {}))
        builds.pop(self.selection, None)
        builds[self.selection] = {"inputs": self.inputs_signature, "outputs": signature(outputs),
                                  "report": settled.__dict__}
        kept = dict(list(builds.items())[-KEPT_SELECTIONS:])
        atomic.atomic_write_text(self.path, json.dumps({"version": VERSION, "builds": kept}, ensure_ascii=False))
