"""Write files so that a reader never sees half of one.

Every output goes to a temporary file in the cache folder (same file system), is
flushed to disk, and is moved over the destination in one `os.replace`. A crash, a
kill or a full disk leaves the old file or no file, never a partial one; stale
temporary files are removed at the start of the next build.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TEMP_DIR: Path | None = None


def set_temp_dir(folder: Path) -> None:
    """Use `folder` (outside outputs/, same file system) for temporary files."""
    global _TEMP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    _TEMP_DIR = folder


def clean_temp_dir() -> int:
    """Delete leftovers of an interrupted build; return how many there were."""
    if _TEMP_DIR is None or not _TEMP_DIR.exists():
        return 0
    count = 0
    for leftover in _TEMP_DIR.glob("*.part"):
        leftover.unlink(missing_ok=True)
        count += 1
    return count


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = _TEMP_DIR if _TEMP_DIR is not None else path.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        try:
            os.replace(temporary, path)
        except OSError:
            # Another file system: copy next to the destination first, then rename there.
            staged = path.with_name(f".{path.name}.part")
            with open(staged, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(staged, path)
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
