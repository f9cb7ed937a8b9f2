"""Output writers, peers looked up by name: each writer's module exports `WRITER`.

The one name table is `WRITER_MODULES` (format name -> module under this package), the
convention `pipeline.tts` uses for engines (`ENGINE_MODULES`, `ENGINE`). Writer modules
import their heavy libraries (WeasyPrint, ebooklib, audio codecs) inside `write()`, so
that a build with nothing to do never pays for them. Writers never import each other:
what they share is in `common/`.
"""

from __future__ import annotations

import importlib

from pipeline.core.errors import ConfigError

# In build order: a writer after those it uses (EPUB uses the PDF's pages and the narration).
WRITER_MODULES = {"html": "html", "pdf": "pdf.writer", "audio": "audio.writer", "epub": "epub.writer",
                  "braille": "braille"}


def writer_names() -> list[str]:
    """Every output format, in build order. Imports no writer."""
    return list(WRITER_MODULES)


def writer_module(name: str) -> str:
    """The dotted name of the module that exports the writer of a format."""
    if name not in WRITER_MODULES:
        raise ConfigError(f"unknown output format '{name}'", hint=f"valid formats: {', '.join(WRITER_MODULES)}")
    return f"{__name__}.{WRITER_MODULES[name]}"


def writer_class(name: str):
    """The writer class of an output format, importing only its own module."""
    return importlib.import_module(writer_module(name)).WRITER


def get_writer(name: str):
    return writer_class(name)()
