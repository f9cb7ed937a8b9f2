"""The build state's written outputs, and what publishing last made of them: each file's
key, size, time and checksum, its line of the manifest, what the site shows of each pair,
and the record of the outputs kept beside the database (see state.py)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from pipeline.core import atomic

SCHEMA_VERSION = "9"


class OutputsTable:
    """The part of BuildState that keeps outputs (it provides db, transaction, setting,
    set_setting and record_path)."""

    # --- written outputs -------------------------------------------------------------

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Every recorded output: relative path -> key, size, mtime_ns, sha256 and info."""
        return {path: _entry(key, size, mtime, sha, info) for path, key, size, mtime, sha, info
                in self.db.execute("SELECT path, key, size, mtime_ns, sha256, info FROM outputs")}

    def outputs_of(self, slug: str, language: str) -> dict[str, dict[str, Any]]:
        return {path: _entry(key, size, mtime, sha, info) for path, key, size, mtime, sha, info in self.db.execute(
            "SELECT path, key, size, mtime_ns, sha256, info FROM outputs WHERE slug = ? AND language = ?",
            (slug, language))}

    def recorded_pairs(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT DISTINCT slug, language FROM outputs"))

    def changed_on_disk(self, locate: Callable[[str], str],
                        found: dict[str, tuple[int, int, int]] | None = None) -> dict[str, tuple[str, str]]:
        """The recorded outputs whose size or time on disk is no longer the recorded one
        (deleted, or edited by hand), with their pair: metadata only, from `found` (a scan of
        the outputs) when given, else a stat per file."""
        changed = {}
        for relative, size, mtime, slug, language in self.db.execute(
                "SELECT path, size, mtime_ns, slug, language FROM outputs"):
            path = locate(relative)
            if found is not None:
                now = found.get(path)
                if now is not None and now[:2] == (size, mtime):
                    continue
            else:
                try:
                    stat = os.stat(path)
                    if (stat.st_size, stat.st_mtime_ns) == (size, mtime):
                        continue
                except OSError:
                    pass
            changed[relative] = (slug, language)
        return changed

    def record_outputs(self, rows: list[tuple[str, Path, str, bytes, dict]]) -> None:
        """Record the files one task wrote, in one transaction."""
        values = []
        for relative, path, key, data, info in rows:
            stat = path.stat()
            values.append((relative, key, stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest(),
                           json.dumps(info, ensure_ascii=False, sort_keys=True), info["slug"], info["language"]))
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO outputs (path, key, size, mtime_ns, sha256, info, slug, "
                                "language) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
            self.db.execute("UPDATE settings SET value = value + 1 WHERE name = 'generation'")

    def generation(self) -> int:
        """How many times outputs were recorded: anything built since a moment changes it."""
        return int(self.setting("generation") or 0)

    # --- what the site and the manifest last showed -------------------------------------

    def shelves(self) -> dict[tuple[str, str], tuple]:
        """What the site shows of each pair: title, is_source, categories (JSON), reading,
        modified, digest (see publish/listing.py)."""
        return {(row[0], row[1]): row[2:] for row in self.db.execute("SELECT * FROM shelves")}

    def shelves_of(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        found = {}
        for slug, language in keys:
            row = self.db.execute("SELECT * FROM shelves WHERE slug = ? AND language = ?", (slug, language)).fetchone()
            if row:
                found[(slug, language)] = row[2:]
        return found

    def shelf_keys(self) -> set[tuple[str, str]]:
        return set(self.db.execute("SELECT slug, language FROM shelves"))

    def save_shelves(self, shown: dict[tuple[str, str], tuple | None], manifest: dict[str, str | None],
                     gone: list[str]) -> None:
        """What the site shows of each pair (None: nothing), each output's manifest line, and
        the outputs no longer on disk (their records dropped)."""
        with self.transaction():
            self.db.executemany("DELETE FROM outputs WHERE path = ?", [(path,) for path in gone])
            self.db.executemany("DELETE FROM shelves WHERE slug = ? AND language = ?",
                                [key for key, shelf in shown.items() if shelf is None])
            self.db.executemany("INSERT OR REPLACE INTO shelves VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(*key, *shelf) for key, shelf in shown.items() if shelf is not None])
            self.db.executemany("UPDATE outputs SET manifest = ? WHERE path = ?",
                                [(line, path) for path, line in manifest.items()])

    def manifest_lines(self) -> list[str]:
        return [line for line, in self.db.execute(
            "SELECT manifest FROM outputs WHERE manifest IS NOT NULL ORDER BY path")]

    # --- the record of outputs, for a state made anew -----------------------------------

    def has_record(self) -> bool:
        return self.record_path.exists()

    def write_record(self, force: bool = False) -> None:
        """Keep the outputs table beside the database (see the module's docstring), when a
        good share of it changed since the last time (it is read only to make a damaged
        state anew, and each of its rows is checked against the file's checksum then)."""
        generation, written = self.generation(), int(self.setting("record generation") or -1)
        count = self.db.execute("SELECT count(*) FROM outputs").fetchone()[0]
        if not force and self.has_record() and generation - written <= max(100, count // 100):
            return
        rows = [[path, key, size, sha, info] for path, key, size, sha, info
                in self.db.execute("SELECT path, key, size, sha256, info FROM outputs ORDER BY path")]
        atomic.atomic_write_text(self.record_path, json.dumps({"schema": SCHEMA_VERSION, "outputs": rows}))
        self.set_setting("record generation", str(generation))

    def restore_outputs(self, locate: Callable[[str], str]) -> int:
        """Take back, from the record, every output whose bytes on disk still have the
        recorded size and checksum; return how many."""
        try:
            record = json.loads(self.record_path.read_text("utf-8"))
            rows = record["outputs"] if record.get("schema") == SCHEMA_VERSION else []
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        restored = []
        for relative, key, size, sha, info in rows:
            path = locate(relative)
            try:
                stat = os.stat(path)
                if stat.st_size != size:
                    continue
                with open(path, "rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() != sha:
                        continue
            except OSError:
                continue
            about = json.loads(info)
            restored.append((relative, key, stat.st_size, stat.st_mtime_ns, sha, info, about.get("slug"),
                             about.get("language")))
        if restored:
            with self.transaction():
                self.db.executemany("INSERT OR REPLACE INTO outputs (path, key, size, mtime_ns, sha256, info, slug, "
                                    "language) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", restored)
        return len(restored)


def _entry(key: str, size: int, mtime: int, sha: str, info: str) -> dict[str, Any]:
    return {"key": key, "size": size, "mtime_ns": mtime, "sha256": sha, **json.loads(info)}
