"""The build state: what earlier builds read, planned, wrote and published, in one SQLite
database (WAL mode).

Tables, each written row by row as the build goes, never rewritten whole:
- `inputs`: each input file's size, modification time, inode and SHA-256, so that an
  unchanged file is recognized from its metadata without reading it (as make and ninja do);
- `pairs`: for each (article, language) the fingerprint of its inputs, the digests of the
  writers' bases it was planned with, what planning concluded (the plan, JSON) and, apart,
  the little a build reports of a pair it does not run (problems, notes, why it waits);
- `expected`: the key each output of each planned task should have, so that what is out of
  date is found by one query against `outputs`, without decoding a plan;
- `outputs`: each file written, the key of the task that wrote it, its size, time and
  checksum, and its line of the manifest as last published;
- `shelves`: what the download site last showed of each pair (see publish/shelves.py);
- `settings`: small values such as the digests of the published pages.

One transaction per finished task: a build killed at any moment leaves a state that
matches the complete files on disk (SQLite's journal makes each commit all or nothing).

The state is a cache of what is on disk, so a database that cannot be read (overwritten,
truncated, a disk error) or of another version is moved aside or emptied with one line
and made anew. Beside it, `outputs-record.json` keeps the outputs table (path, key, size,
checksum; see `write_record`): a new state takes back every file whose bytes still have
the recorded checksum, and only the others are built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.core import atomic
from pipeline.core.errors import StorageError
from pipeline.engine.outputs_table import SCHEMA_VERSION, OutputsTable

STATE_NAME = "state.sqlite"
GONE = "gone pairs"  # pairs no longer in the project whose files the site may still show
RECORD_NAME = "outputs-record.json"
TABLES = ("inputs", "pairs", "expected", "unpublished", "outputs", "shelves", "settings")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER,
                                   sha256 TEXT);
CREATE TABLE IF NOT EXISTS pairs (slug TEXT, language TEXT, fingerprint TEXT, plan_bases TEXT, bases TEXT,
                                  plan BLOB, findings TEXT, PRIMARY KEY (slug, language));
CREATE TABLE IF NOT EXISTS expected (path TEXT PRIMARY KEY, slug TEXT, language TEXT, writer TEXT, key TEXT);
CREATE TABLE IF NOT EXISTS unpublished (slug TEXT, language TEXT, PRIMARY KEY (slug, language));
CREATE INDEX IF NOT EXISTS expected_pair ON expected (slug, language);
CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, key TEXT, size INTEGER, mtime_ns INTEGER,
                                    sha256 TEXT, info TEXT, slug TEXT, language TEXT, manifest TEXT);
CREATE INDEX IF NOT EXISTS outputs_pair ON outputs (slug, language);
CREATE TABLE IF NOT EXISTS shelves (slug TEXT, language TEXT, title TEXT, is_source INTEGER, categories TEXT,
                                    reading INTEGER, modified TEXT, digest TEXT, PRIMARY KEY (slug, language));
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT);
"""


class BuildState(OutputsTable):
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
        self._pending_inputs: list[tuple] = []
        self._scanned: tuple[tuple[str, ...], dict[str, tuple[int, int, int]]] = ((), {})

    def _open(self) -> sqlite3.Connection:
        """Connect, and read every table through once, so that a damaged file is found here
        rather than halfway through a build."""
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            schema = _schema_of(db)
            if schema is not None and schema != SCHEMA_VERSION:
                self.recovered = (f"the build state {self.path} was made by another version of handouts (state "
                                  f"schema {schema}, this version's is {SCHEMA_VERSION}); made it anew from the "
                                  f"files on disk")
                _drop_everything(db)
            db.executescript(_SCHEMA)
            for table in TABLES:  # walks each table's pages: finds a truncated or overwritten file
                db.execute(f"SELECT count(*) FROM {table}").fetchone()
            if schema != SCHEMA_VERSION:
                db.executemany("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                               [("schema", SCHEMA_VERSION), ("generation", "0")])
        except BaseException:
            db.close()
            raise
        return db

    def reset(self, error: sqlite3.DatabaseError) -> None:
        """A damage found after opening (in a page the first read-through did not reach)."""
        self.db.close()
        self.recovered = self._move_aside(error)
        self.db = self._open()
        self._inputs, self._pending_inputs = None, []

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
        """Close; file hashes not flushed are dropped: a planning that did not finish must not
        leave files recorded as seen whose pairs it did not store (the next one would skip them)."""
        self.db.close()

    def transaction(self) -> "_Transaction":
        return _Transaction(self)

    # --- input files -----------------------------------------------------------------

    def use_scan(self, roots: list[Path], files: dict[str, tuple[int, int, int]]) -> None:
        """The files under `roots` as a scan just found them (absolute path -> size, time,
        inode): `file_hash` takes their metadata from it instead of asking again."""
        self._scanned = (tuple(f"{root}{os.sep}" for root in roots), files)

    def inputs_changed(self) -> list[str] | None:
        """The scanned files whose metadata is not the one last hashed, and the files last
        hashed under the scanned folders that are gone (None: nothing was scanned)."""
        roots, files = self._scanned
        if not roots:
            return None
        known = self._known_inputs()
        changed = [path for path, stat in files.items() if known.get(path, ())[:3] != stat]
        return changed + [path for path in known if path.startswith(roots) and path not in files]

    def _known_inputs(self) -> dict[str, tuple]:
        if self._inputs is None:
            self._inputs = {row[0]: row[1:] for row in self.db.execute("SELECT * FROM inputs")}
        return self._inputs

    def _stat(self, key: str) -> tuple[int, int, int] | None:
        roots, files = self._scanned
        if roots and key.startswith(roots):
            found = files.get(key)
            return found if found is None or found[0] >= 0 else None
        try:
            stat = os.stat(key)
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns, stat.st_ino

    def file_hash(self, path: Path | str) -> str:
        """SHA-256 of a file, read only when its size, time or inode changed since it was
        last hashed; "" when the file does not exist."""
        known_inputs = self._known_inputs()
        key = str(path)
        stat = self._stat(key)
        if stat is None:
            return ""
        known = known_inputs.get(key)
        if known and known[:3] == stat:
            return known[3]
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        row = (*stat, digest)
        known_inputs[key] = row
        self._pending_inputs.append((key, *row))
        return digest

    def flush_inputs(self) -> None:
        if self._pending_inputs:
            with self.transaction():
                self.db.executemany("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?)", self._pending_inputs)
            self._pending_inputs = []

    # --- planned pairs ---------------------------------------------------------------

    def pair_rows(self) -> dict[tuple[str, str], tuple[str, str, str]]:
        """Each planned pair's fingerprint and bases digests, without its plan (decoding a
        library's plans costs seconds; only the pairs that changed are decoded)."""
        return {(slug, language): (fingerprint, plan_bases, bases) for slug, language, fingerprint, plan_bases, bases
                in self.db.execute("SELECT slug, language, fingerprint, plan_bases, bases FROM pairs")}

    def pair_plan(self, slug: str, language: str) -> bytes | None:
        row = self.db.execute("SELECT plan FROM pairs WHERE slug = ? AND language = ?", (slug, language)).fetchone()
        return row[0] if row else None

    def findings(self) -> dict[tuple[str, str], str]:
        """What a build reports of the pairs that have something to say (problems, notes,
        waiting), as stored with their plans."""
        return {(slug, language): text for slug, language, text
                in self.db.execute("SELECT slug, language, findings FROM pairs WHERE findings IS NOT NULL")}

    def save_pairs(self, rows: Iterable[tuple]) -> None:
        """Planned pairs: (slug, language, fingerprint, plan_bases, bases, plan, findings,
        expected), `expected` being each output's (path, writer, key)."""
        with self.transaction():
            for slug, language, fingerprint, plan_bases, bases, plan, findings, expected in rows:
                self.db.execute("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (slug, language, fingerprint, plan_bases, bases, plan, findings))
                self.db.execute("DELETE FROM expected WHERE slug = ? AND language = ?", (slug, language))
                self.db.executemany("INSERT OR REPLACE INTO expected VALUES (?, ?, ?, ?, ?)",
                                    [(path, slug, language, writer, key) for path, writer, key in expected])
                if language:  # what the site shows of it may change: publishing looks at it again
                    self.db.execute("INSERT OR IGNORE INTO unpublished VALUES (?, ?)", (slug, language))

    def forget_pairs(self, keep: set[tuple[str, str]]) -> None:
        """Drop the plans of pairs that no longer exist (an article or language removed); they
        are kept in `gone_pairs` until publishing has taken them off the site."""
        gone = [pair for pair in self.db.execute("SELECT slug, language FROM pairs") if pair not in keep]
        if gone:
            with self.transaction():
                self.db.executemany("DELETE FROM pairs WHERE slug = ? AND language = ?", gone)
                self.db.executemany("DELETE FROM expected WHERE slug = ? AND language = ?", gone)
                unpublished = set(map(tuple, json.loads(self.setting(GONE) or "[]"))) | set(gone)
                self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (GONE, json.dumps(sorted(unpublished))))

    def unpublished_pairs(self) -> set[tuple[str, str]]:
        """The pairs planned since the last publication (by a build, or by `handouts status`)."""
        return set(self.db.execute("SELECT slug, language FROM unpublished"))

    def published(self) -> None:
        """Publishing has taken in every pair planned or removed since the last time."""
        with self.transaction():
            self.db.execute("DELETE FROM unpublished")
            self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (GONE, "[]"))

    def gone_pairs(self) -> set[tuple[str, str]]:
        return {tuple(pair) for pair in json.loads(self.setting(GONE) or "[]")}

    def planned_tasks(self, writers: list[str]) -> Iterator[tuple[str, str, str, str]]:
        """(slug, language, writer, task name) of every planned task of `writers`."""
        yield from self.db.execute(f"SELECT DISTINCT slug, language, writer, slug || '.' || language || '.' || writer "
                                   f"FROM expected WHERE writer IN ({', '.join('?' * len(writers))}) "
                                   f"ORDER BY slug, language", writers)

    def task_outputs(self, writers: list[str], only_stale: bool = False) -> Iterator[tuple[str, str, str, str]]:
        """Each planned output of `writers` (only those not recorded under the key they
        should have, with `only_stale`): path, slug, language, writer."""
        stale = "AND o.key IS NOT e.key" if only_stale else ""
        yield from self.db.execute(
            f"SELECT e.path, e.slug, e.language, e.writer FROM expected e LEFT JOIN outputs o ON o.path = e.path "
            f"WHERE e.writer IN ({', '.join('?' * len(writers))}) {stale}", writers)

    def pair_row(self, slug: str, language: str) -> tuple[str, str, str] | None:
        return self.db.execute("SELECT fingerprint, plan_bases, bases FROM pairs WHERE slug = ? AND language = ?",
                               (slug, language)).fetchone()

    def expected_keys(self, slug: str, language: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, key FROM expected WHERE slug = ? AND language = ?", (slug, language)))

    # --- settings --------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, value))


def _schema_of(db: sqlite3.Connection) -> str | None:
    """The schema version a database was made with (None for a new one)."""
    if not db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'settings'").fetchone():
        return None
    row = db.execute("SELECT value FROM settings WHERE name = 'schema'").fetchone()
    return row[0] if row else None


def _drop_everything(db: sqlite3.Connection) -> None:
    names = [name for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        db.execute(f'DROP TABLE IF EXISTS "{name}"')


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
