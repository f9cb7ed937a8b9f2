"""liblouis, the braille translator: its binding, its tables, text to braille cells and back.

liblouis comes from Debian (`liblouis20`, `liblouis-data`); its Python binding
(`python3-louis`) is a small ctypes module in the system's dist-packages that `make setup`
links into the venv (`scripts/link-louis.sh`). A venv made without it still finds the
binding where Debian installs it. Everything here is in Unicode braille (U+2800-U+28FF,
one character per cell) whatever display table a braille table brings, so that the BRF
and the PEF are written from the same cells (and a table's virtual dots, such as the dot 9
of Ukrainian і ї є ґ in liblouis 3.24, never leak print letters into the output).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import DependencyError

SYSTEM_BINDINGS = (Path("/usr/lib/python3/dist-packages/louis"),)
INSTALL_HINT = ("install the Debian packages liblouis20, liblouis-data and python3-louis "
                "(make setup does it), then build again")
BLANK = "\u2800"
# liblouis typeform bits for the emphasis classes of the document model.
ITALIC, BOLD = 0x0001, 0x0004
_LOCK = threading.Lock()  # liblouis keeps one table cache and one log callback per process


@functools.lru_cache(maxsize=1)
def binding():
    """The `louis` module, or None when liblouis or its binding is not installed."""
    try:
        import louis  # noqa: F401 - linked into the venv by make setup
        return sys.modules["louis"]
    except ImportError:
        pass
    except OSError:  # the binding is there, liblouis.so.20 is not
        return None
    for folder in SYSTEM_BINDINGS:
        init = folder / "__init__.py"
        if init.is_file():
            spec = importlib.util.spec_from_file_location("louis", init)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except OSError:
                return None
            sys.modules["louis"] = module
            return module
    return None


TABLES = Path("/usr/share/liblouis/tables")
LIBRARIES = ("/usr/lib/x86_64-linux-gnu/liblouis.so.20", "/usr/lib/aarch64-linux-gnu/liblouis.so.20",
             "/usr/lib/liblouis.so.20")


def environment() -> list[tuple[str, int, int]]:
    """liblouis and its tables as file metadata (no import, no file read): a new
    liblouis-data or binding makes every pair be planned again."""
    rows = []
    for path in (str(TABLES), *LIBRARIES, *(str(folder) for folder in SYSTEM_BINDINGS)):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        rows.append((path, stat.st_size, stat.st_mtime_ns))
    return rows


def require() -> object:
    module = binding()
    if module is None:
        raise DependencyError("liblouis (the braille translator) is not installed", hint=INSTALL_HINT)
    return module


def version() -> str:
    module = binding()
    return module.version() if module else ""


def table_problem(table: str) -> str | None:
    """Why `table` cannot be used (not found, or it does not compile, as lou_checktable
    would say), or None when it compiles."""
    louis = require()
    messages: list[str] = []
    with _LOCK:
        callback = louis.LogCallback(lambda level, text: messages.append(text.decode("utf-8", "replace"))
                                     if level >= louis.LOG_ERROR else None)
        louis.registerLogCallback(callback)
        try:
            louis.checkTable([table])
            return None
        except RuntimeError:
            detail = "; ".join(m.strip() for m in messages[:2]) or "liblouis cannot compile it"
            return f"braille table {table} fails lou_checktable: {detail}"
        finally:
            louis.registerLogCallback(None)
            louis.setLogLevel(louis.LOG_OFF)


@dataclass(frozen=True)
class Translation:
    """Braille cells for a text, and for each cell the index of the text character it
    comes from (how line breaks are found where the text allows them)."""

    cells: str
    sources: tuple[int, ...]


def translate(table: str, text: str, typeform: list[int] | None = None) -> Translation:
    """`text` in braille cells. Undefined characters are the caller's to refuse first
    (`undefined_characters`): liblouis would spell them out as escapes."""
    louis = require()
    with _LOCK:
        louis.setLogLevel(louis.LOG_OFF)
        cells, sources, _, _ = louis.translate([table], text, typeform=list(typeform) if typeform else None,
                                               mode=louis.ucBrl | louis.dotsIO)
    return Translation(cells.replace(" ", BLANK), tuple(sources))


def translate_cells(table: str, text: str) -> str:
    return translate(table, text).cells


def back_translate(table: str, cells: str) -> str:
    """Braille cells back to print, as liblouis reads them (`lou_translate --backward`)."""
    louis = require()
    with _LOCK:
        louis.setLogLevel(louis.LOG_OFF)
        # braille-patterns.cti lets a table without its own Unicode braille input read the cells.
        return louis.backTranslateString([table, "braille-patterns.cti"], cells)


def undefined_characters(table: str, text: str) -> list[str]:
    """The characters of `text` that `table` has no braille for, in order of appearance."""
    louis = require()
    found: list[str] = []
    for char in dict.fromkeys(text):
        if char.isspace():
            continue
        with _LOCK:
            louis.setLogLevel(louis.LOG_OFF)
            cells = louis.translateString([table], char, mode=louis.ucBrl | louis.dotsIO | louis.noUndefined)
        if not cells.strip():
            found.append(char)
    return found


def describe(chars: list[str]) -> str:
    """'ї' (U+0457 CYRILLIC SMALL LETTER YI), … for a message."""
    return ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in chars)
