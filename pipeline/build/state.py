"""The build state: what earlier builds read and wrote, in one SQLite database (WAL mode).

Four tables, each written row by row as the build goes, never rewritten whole:
- `inputs`: for each input file its size, modification time, inode and SHA-256, so
  that an unchanged file is recognized from its metadata without reading it (the way
  make and ninja decide);
- `pairs`: for each (article, language) the fingerprint of its inputs and what planning
  concluded (publishable or why not, task keys, what the download site shows), so an
  unchanged pair is not parsed or translated again;
- `outputs`: for each file written, the key of the task that wrote it, its size, time
  and checksum; a file whose metadata no longer matches is not vouched for;
- `settings`: small values such as the fingerprint of the last publication.

One transaction per finished task: a build killed at any moment leaves a state that
matches the complete files on disk (SQLite's journal makes each commit all or nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any, Iterable

STATE_NAME = "state.sqlite"
SCHEMA_VERSION = "5"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER,
                                   sha256 TEXT);
CREATE TABLE IF NOT EXISTS pairs (slug TEXT, language TEXT, fingerprint TEXT, plan BLOB,
                                  PRIMARY KEY (slug, language));
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, key TEXT, size INTEGER, mtime_ns INTEGER,
                                    sha256 TEXT, info TEXT);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT);
"""


class BuildState:
    """The state database of one project (in its cache folder)."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / STATE_NAME
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        if self.setting("schema") != SCHEMA_VERSION:
            with self.transaction():
                for table in ("inputs", "pairs", "outputs", "settings"):
                    self.db.execute(f"DELETE FROM {table}")
                self._put_setting("schema", SCHEMA_VERSION)
                self._put_setting("generation", "0")
        self._inputs: dict[str, tuple] | None = None
        self._outputs: dict[str, tuple] | None = None
        self._pending_inputs: list[tuple] = []

    def close(self) -> None:
        self.flush_inputs()
        self.db.close()

    def transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    # --- input files -----------------------------------------------------------------

    def file_hash(self, path: Path | str) -> str:
        """SHA-256 of a file, read only when its size, time or inode changed since it was
        last hashed; "" when the file does not exist."""
        if self._inputs is None:
            self._inputs = {row[0]: row[1:] for row in self.db.execute("SELECT * FROM inputs")}
        key = str(path)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return ""
        known = self._inputs.get(key)
        if known and known[:3] == (stat.st_size, stat.st_mtime_ns, stat.st_ino):
            return known[3]
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        row = (stat.st_size, stat.st_mtime_ns, stat.st_ino, digest)
        self._inputs[key] = row
        self._pending_inputs.append((key, *row))
        return digest

    def flush_inputs(self) -> None:
        if self._pending_inputs:
            with self.transaction():
                self.db.executemany("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?)", self._pending_inputs)
            self._pending_inputs = []

    # --- planned pairs ---------------------------------------------------------------

    def pairs(self) -> dict[tuple[str, str], tuple[str, bytes]]:
        """Each planned pair's fingerprint and its plan, still encoded (decode only the
        plans whose fingerprint still matches: see `decode`)."""
        return {(slug, language): (fingerprint, plan)
                for slug, language, fingerprint, plan in self.db.execute("SELECT * FROM pairs")}

    @staticmethod
    def decode(plan: bytes) -> Any:
        """A stored plan (pickled by this program into its own cache); None if unreadable."""
        try:
            return pickle.loads(plan)
        except Exception:  # noqa: BLE001 - an old or damaged entry is simply planned again
            return None

    def save_pairs(self, rows: Iterable[tuple[str, str, str, Any]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?)",
                                [(slug, language, fingerprint, pickle.dumps(plan, protocol=5))
                                 for slug, language, fingerprint, plan in rows])

    def forget_pairs(self, keep: set[tuple[str, str]]) -> None:
        """Drop the plans of pairs that no longer exist (an article or language removed)."""
        gone = [pair for pair in self.db.execute("SELECT slug, language FROM pairs") if pair not in keep]
        if gone:
            with self.transaction():
                self.db.executemany("DELETE FROM pairs WHERE slug = ? AND language = ?", gone)

    # --- written outputs -------------------------------------------------------------

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Every recorded output: relative path -> key, size, mtime_ns, sha256 and info."""
        return {path: {"key": key, "size": size, "mtime_ns": mtime, "sha256": sha, **json.loads(info)}
                for path, key, size, mtime, sha, info in self.db.execute("SELECT * FROM outputs")}

    def files_on_disk(self, outputs_dir: Path) -> list[tuple[str, int, int]]:
        """Each recorded output under outputs/ with its size and time now (-1 when gone):
        metadata only, for deciding whether what was published still matches the disk."""
        found = []
        for relative, in self.db.execute("SELECT path FROM outputs WHERE path NOT LIKE 'cache:%' ORDER BY path"):
            try:
                stat = os.stat(os.path.join(outputs_dir, relative))
                found.append((relative, stat.st_size, stat.st_mtime_ns))
            except FileNotFoundError:
                found.append((relative, -1, -1))
        return found

    def is_current(self, relative: str, path: Path | str, key: str) -> bool:
        if self._outputs is None:
            self._outputs = {row[0]: row[1:4] for row in self.db.execute("SELECT path, key, size, mtime_ns FROM outputs")}
        known = self._outputs.get(relative)
        if not known or known[0] != key:
            return False
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == known[1:]

    def record_outputs(self, rows: list[tuple[str, Path, str, bytes, dict]]) -> None:
        """Record the files one task wrote, in one transaction."""
        values = []
        for relative, path, key, data, info in rows:
            stat = path.stat()
            values.append((relative, key, stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest(),
                           json.dumps(info, ensure_ascii=False, sort_keys=True)))
            if self._outputs is not None:
                self._outputs[relative] = (key, stat.st_size, stat.st_mtime_ns)
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)", values)
            self.db.execute("UPDATE settings SET value = value + 1 WHERE name = 'generation'")

    def generation(self) -> int:
        """How many times outputs were recorded: anything built since a moment changes it."""
        return int(self.setting("generation") or 0)

    # --- settings --------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        with self.transaction():
            self._put_setting(name, value)

    def _put_setting(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, value))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, *_) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
