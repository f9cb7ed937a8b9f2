"""Errors a user can act on: each names the place, what is wrong and what to do.

The CLI prints `error.one_line()` and exits non-zero; no traceback reaches the user
for any of these.
"""

from __future__ import annotations

from pathlib import Path


class HandoutsError(Exception):
    """Base class: `file`, `line` and `msgid` locate the problem; `hint` says what to do."""

    kind = "error"

    def __init__(
        self,
        what: str,
        *,
        file: str | None = None,
        line: int | None = None,
        msgid: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(what)
        self.what = what
        self.file = file
        self.line = line
        self.msgid = msgid
        self.hint = hint

    def one_line(self) -> str:
        place = ""
        if self.file:
            place = self.file + (f":{self.line}" if self.line else "") + ": "
        text = f"{place}{self.what}"
        if self.msgid is not None:
            shown = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "..."
            text += f" (message {shown!r})"
        if self.hint:
            text += f"; {self.hint}"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.one_line()


class SourceError(HandoutsError):
    """A source article breaks the source-format contract."""


class CatalogError(HandoutsError):
    """A translation catalog cannot be read or does not fit its source."""


class ConfigError(HandoutsError):
    """The configuration file has an unknown key or a bad value."""


class DependencyError(HandoutsError):
    """A system tool or font is missing; the hint names the package to install."""


class RenderError(HandoutsError):
    """A writer could not produce its output (for example a glyph no font has)."""


class SpeechError(HandoutsError):
    """A speech engine failed for one language; the rest of the build goes on."""


class VoiceError(HandoutsError):
    """A voice file is missing, damaged or for another language: that language falls back
    to the next engine (or gets no narration); the rest of the build goes on."""


class StorageError(HandoutsError):
    """The disk refused a write or a read: full, read-only, a file where a folder should be,
    a mount that no longer answers. A fault of the machine, not of the input or of the
    pipeline: the build stops with one line, and the files already built are kept."""


class UnsafeResourceError(HandoutsError):
    """A resource outside the article's own folder or the pipeline's assets was asked for."""


def log_traceback(log: Path, heading: str) -> Path:
    """Append the traceback being handled to `log` and return its path: a bug's details
    go to a file for its report, the user gets one line."""
    import traceback

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {heading}\n{traceback.format_exc()}\n")
    return log
