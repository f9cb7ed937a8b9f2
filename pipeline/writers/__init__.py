"""Output writers, one module (or package) each, looked up by name through `base.REGISTRY`.

Writer modules import their heavy libraries (WeasyPrint, ebooklib, audio codecs)
inside `write()`, so that a build with nothing to do never pays for them.
"""

from __future__ import annotations

import importlib

WRITER_MODULES = ("html", "pdf", "audio", "epub", "braille")


def load_all() -> None:
    for name in WRITER_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def writer_names() -> list[str]:
    """Every output format, in build order (a writer after those it uses); each module
    registers a writer of its own name (a test holds them in step). Imports no writer."""
    return list(WRITER_MODULES)
