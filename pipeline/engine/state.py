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

The state is a cache of what is on disk, so a database that cannot be read (overwritten,
truncated, a disk error) is moved aside with one line and made anew. Beside it, after
each build that wrote something, `outputs-record.json` keeps the outputs table (path,
key, size, checksum): a new state takes back every file whose bytes still have the
recorded checksum, and only the others are built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable

from pipeline.core import atomic
from pipeline.core.errors import StorageError

STATE_NAME = "state.sqlite"
RECORD_NAME = "outputs-record.json"
SCHEMA_VERSION = "6"
TABLES = ("inputs", "pairs", "outputs", "settings")

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
        atomic.make_folder(cache_dir)
        self.path = cache_dir / STATE_NAME
        self.record_path = cache_dir / RECORD_NAME
        self.recovered = ""  # the line that says the state was unreadable (or of another version) and made anew
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as error:
            if _is_disk_refusal(error):
                raise self._storage_error(error) from None
            self.recovered = self._move_aside(error)
            self.db = self._open()
        self._inputs: dict[str, tuple] | None = None
        self._outputs: dict[str, tuple] | None = None
        self._pending_inputs: list[tuple] = []

    def _open(self) -> sqlite3.Connection:
        """Connect, and read every table through once, so that a damaged file is found here
        rather than halfway through a build."""
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            for table in TABLES:  # walks each table's pages: finds a truncated or overwritten file
                db.execute(f"SELECT count(*) FROM {table}").fetchone()
            schema = db.execute("SELECT value FROM settings WHERE name = 'schema'").fetchone()
            if schema and schema[0] != SCHEMA_VERSION:
                self.recovered = (f"the build state {self.path} was made by another version of handouts (state "
                                  f"schema {schema[0]}, this version's is {SCHEMA_VERSION}); made it anew from the "
                                  f"files on disk")
            if not schema or schema[0] != SCHEMA_VERSION:
                db.execute("BEGIN IMMEDIATE")
                for table in TABLES:
                    db.execute(f"DELETE FROM {table}")
                db.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                               [("schema", SCHEMA_VERSION), ("generation", "0")])
                db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def reset(self, error: sqlite3.DatabaseError) -> None:
        """A damage found after opening (in a page the first read-through did not reach)."""
        self.db.close()
        self.recovered = self._move_aside(error)
        self.db = self._open()
        self._inputs, self._outputs, self._pending_inputs = None, None, []

    def _move_aside(self, error: sqlite3.DatabaseError) -> str:
        broken = self.path.with_name(STATE_NAME + ".broken")
        try:
            os.replace(self.path, broken)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError as move_error:
            raise atomic.storage_error(move_error, self.path.parent) from None
        return (f"the build state {self.path} could not be read ({error}); moved it to {broken.name} and "
                f"made it anew from the files on disk")

    def _storage_error(self, error: sqlite3.Error):
        what = "the disk is full" if "full" in str(error) else f"cannot write the build state ({error})"
        return StorageError(f"{self.path.parent}: {what}",
                            hint="free some space or make the cache folder writable, then build again")

    def close(self) -> None:
        self.flush_inputs()
        self.db.close()

    def transaction(self) -> "_Transaction":
        return _Transaction(self)

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

    def save_pairs(self, rows: Iterable[tuple[str, str, str, bytes]]) -> None:
        """Each planned pair's fingerprint and its plan, encoded by the planner (JSON)."""
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?)",
                                list(rows))

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

    # --- the record of outputs, for a state made anew -----------------------------------

    def has_record(self) -> bool:
        return self.record_path.exists()

    def write_record(self) -> None:
        """Keep the outputs table beside the database (see the module's docstring)."""
        rows = [[path, key, size, sha, info] for path, key, size, _, sha, info
                in self.db.execute("SELECT * FROM outputs ORDER BY path")]
        atomic.atomic_write_text(self.record_path, json.dumps({"schema": SCHEMA_VERSION, "outputs": rows}))

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
            restored.append((relative, key, stat.st_size, stat.st_mtime_ns, sha, info))
        if restored:
            with self.transaction():
                self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)", restored)
        self._outputs = None
        return len(restored)

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
    """BEGIN ... COMMIT; a disk that refuses the commit (full, read-only) is one line."""

    def __init__(self, state: BuildState) -> None:
        self.state = state
        self.db = state.db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, _) -> bool:
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        except sqlite3.OperationalError as commit_error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if _is_disk_refusal(commit_error):
                raise self.state._storage_error(commit_error) from None
            raise
        if isinstance(error, sqlite3.OperationalError) and _is_disk_refusal(error):
            raise self.state._storage_error(error) from None
        return False


def _is_disk_refusal(error: sqlite3.Error) -> bool:
    """SQLite's words for a disk that refuses, as opposed to a damaged file."""
    text = str(error)
    return any(words in text for words in ("disk is full", "readonly database", "unable to open database",
                                           "disk I/O error"))
