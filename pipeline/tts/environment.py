"""A cheap fingerprint of the speech environment: which voices and engines are installed.

It changes whenever a voice file is added, removed or replaced in the voices folder, a
Python package is installed, upgraded or removed (voice packages, piper-tts,
onnxruntime: their `.dist-info` folders carry name and version), or espeak-ng, SVOX Pico,
RHVoice or Open JTalk, or their voice folders, are installed, upgraded or removed. Only `stat` and directory listings: no subprocess and
no file contents, so the build can ask it on every run, and the engines use it to keep
what they found for as long as it holds.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sys
from pathlib import Path

PROJECT_CHECKOUT = Path(__file__).resolve().parents[2]
ESPEAK_DATA_FOLDERS = ("/usr/lib/*/espeak-ng-data", "/usr/share/espeak-ng-data", "/usr/local/share/espeak-ng-data",
                       "/usr/lib/espeak-ng-data")


def environment_fingerprint(config) -> str:
    """A hex digest of the voices folder of `config`, the installed packages and espeak-ng."""
    digest = hashlib.sha256()
    for part in (_folder_entries(Path(config.voices_dir)), packages_fingerprint(), _espeak_stat(), _system_engines_stat()):
        digest.update(repr(part).encode())
    return digest.hexdigest()


def _folder_entries(folder: Path) -> list[tuple[str, int, int]]:
    """Name, size and time of each entry; an entry or folder that cannot be read (a
    dangling link, a loop of links, a mount that vanished) counts by its error number,
    and the voice finder says what is wrong with it."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        return [("", -error.errno, -1)]
    rows = []
    for entry in entries:
        try:
            stat = entry.stat()
            rows.append((entry.name, stat.st_size, stat.st_mtime_ns))
        except OSError as error:
            rows.append((entry.name, -(error.errno or 1), -1))
    return sorted(rows)


def packages_fingerprint() -> tuple[str, ...]:
    """The `.dist-info` names (name and version) of every installed distribution."""
    from pipeline.core.machine import asked_once

    return asked_once(("installed distributions",), _installed_distributions)


def _installed_distributions() -> tuple[str, ...]:
    names: list[str] = []
    for entry in sys.path:
        if not entry or _is_where_one_stands(entry):
            continue
        try:
            names += [name for name in os.listdir(entry) if name.endswith((".dist-info", ".egg-info"))]
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return tuple(sorted(names))


def _is_where_one_stands(entry: str) -> bool:
    """The current folder (`python -m`) or the project's own checkout (its `.egg-info`): they
    would make the answer depend on where the build is started from, not on what is installed."""
    here = {os.path.realpath(os.getcwd()), os.path.realpath(PROJECT_CHECKOUT)}
    return os.path.realpath(entry) in here


def _espeak_stat() -> list[tuple[str, int, int]]:
    paths = [shutil.which("espeak-ng") or ""]
    folders = [os.environ.get("ESPEAK_DATA_PATH", "")] + [p for pattern in ESPEAK_DATA_FOLDERS
                                                          for p in sorted(glob.glob(pattern))]
    for folder in filter(None, folders):
        paths += [folder, os.path.join(folder, "phondata"), os.path.join(folder, "lang"),
                  os.path.join(folder, "voices")]
    rows = []
    for path in filter(None, paths):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        rows.append((path, stat.st_size, stat.st_mtime_ns))
    return rows


# The programs and voice folders of the system engines (pico.py, rhvoice.py, openjtalk.py).
SYSTEM_PROGRAMS = ("pico2wave", "RHVoice-test", "open_jtalk")
SYSTEM_VOICE_FOLDERS = ("/usr/share/pico/lang", "/usr/share/RHVoice/voices", "/usr/share/RHVoice/languages",
                        "/etc/RHVoice/RHVoice.conf", "/usr/share/hts-voice", "/var/lib/mecab/dic/open-jtalk/naist-jdic")


def _system_engines_stat() -> list[tuple[str, int, int]]:
    rows = []
    for path in [shutil.which(name) or "" for name in SYSTEM_PROGRAMS] + list(SYSTEM_VOICE_FOLDERS):
        if not path:
            continue
        try:
            stat = os.stat(path)
        except OSError:
            rows.append((path, -1, -1))
            continue
        rows.append((path, stat.st_size, stat.st_mtime_ns))
        if os.path.isdir(path):
            rows += [(f"{path}/{name}", size, time) for name, size, time in _folder_entries(Path(path))]
    return rows
