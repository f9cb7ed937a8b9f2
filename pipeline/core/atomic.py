"""Write files so that a reader never sees half of one, and say in one line why the disk
refused a write.

Every output goes to a temporary file on the destination's file system (the cache's
temporary folder when it is on the same one, else beside the destination), is flushed to
disk and moved over the destination in one `os.replace`. A crash, a kill or a full disk
leaves the old file or no file, never a partial one; a failed write removes its temporary
file, and stale ones are removed at the start of the next build (in the cache) or at the
next write of the same file (beside it).

A refusal of the disk (full, read-only, a file where a folder should be, a mount that no
longer answers) becomes a `StorageError` naming the folder and what to do: a fault of
the machine, never reported as a bug.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from pipeline.core.errors import StorageError

_TEMP_DIR: Path | None = None
# The files written or removed since `keep_journal()`: a build's record of what it changed
# (engine/settled.py), so that it need not look at every file again.
_JOURNAL: set[str] | None = None

FULL = {errno.ENOSPC, errno.EDQUOT}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST}
GONE = {errno.EIO, errno.ENOTCONN, errno.ESTALE, errno.ENODEV, errno.EHOSTDOWN}


def set_temp_dir(folder: Path) -> None:
    """Use `folder` (outside outputs/) for temporary files."""
    global _TEMP_DIR
    make_folder(folder)
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


def keep_journal() -> None:
    global _JOURNAL
    _JOURNAL = set()


def journal() -> set[str]:
    """The files written or removed since `keep_journal()`, and stop keeping them."""
    global _JOURNAL
    found, _JOURNAL = _JOURNAL or set(), None
    return found


def remove(path: Path) -> None:
    """Delete a file (journaled, see above)."""
    path.unlink(missing_ok=True)
    if _JOURNAL is not None:
        _JOURNAL.add(str(path))


def make_folder(folder: Path) -> None:
    """`mkdir -p`, with the disk's refusal as one line."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(error, folder) from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    make_folder(path.parent)
    staging = _staging_folder(path.parent)
    if staging == path.parent:
        _remove_stale_parts(path)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=staging)
    except OSError as error:
        raise storage_error(error, staging, len(data)) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        if _JOURNAL is not None:
            _JOURNAL.add(str(path))
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise storage_error(error, path.parent, len(data), path.name) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _staging_folder(folder: Path) -> Path:
    """The cache's temporary folder when it is on the destination's file system (a rename
    there is atomic), else the destination folder itself."""
    if _TEMP_DIR is None:
        return folder
    if _device(folder) == _device(_TEMP_DIR):
        return _TEMP_DIR
    return folder


def _device(folder: Path) -> int:
    """The file system of a folder (asked at every write: a disk may be mounted meanwhile)."""
    try:
        return os.stat(folder).st_dev
    except OSError as error:
        raise storage_error(error, folder) from None


def _remove_stale_parts(path: Path) -> None:
    """Temporary files of this destination left beside it by a killed build."""
    for leftover in path.parent.glob(f".{path.name}.*.part"):
        leftover.unlink(missing_ok=True)


def storage_error(error: OSError, folder: Path, needed: int = 0, name: str = "") -> StorageError | OSError:
    """The disk's refusal as one line naming the folder and what to do; an error that is
    not the disk's (a bug) comes back unchanged, to be reported as one."""
    code = error.errno
    reason = error.strerror or str(error)
    if code in FULL:
        what = f"{folder}: the disk is full" + (f": writing {name} needs {human_size(needed)}" if name else "")
        return StorageError(f"{what}, {human_size(free_space(folder))} free",
                            hint="free some space and build again (the files already built are kept)")
    if code in READ_ONLY:
        return StorageError(f"{folder}: cannot write here ({reason})",
                            hint="make the folder writable, or choose another in [project] of handouts.toml")
    if code in NOT_A_FOLDER:
        culprit = _file_in_the_way(folder)
        return StorageError(f"{culprit} is a file, but a folder is needed there",
                            hint="move the file away, or choose another folder in [project] of handouts.toml")
    if code == errno.EISDIR:
        return StorageError(f"{folder / name if name else folder} is a folder, but a file is needed there",
                            hint="move the folder away")
    if code in GONE:
        return StorageError(f"{folder}: the disk does not answer ({reason})",
                            hint="check that it is mounted and reachable, then build again")
    if code == errno.ELOOP:
        return StorageError(f"{folder}: a loop of symbolic links", hint="point the link at a real folder")
    return error


def _file_in_the_way(folder: Path) -> Path:
    """The first part of `folder` that exists but is not a folder."""
    for candidate in [*reversed(folder.parents), folder]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return folder


def free_space(folder: Path) -> int:
    for candidate in [folder, *folder.parents]:
        try:
            info = os.statvfs(candidate)
            return info.f_bavail * info.f_frsize
        except OSError:
            continue
    return 0


def human_size(count: int) -> str:
    """1536 -> '1.5 KB' (powers of 1024, as df -h counts)."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
