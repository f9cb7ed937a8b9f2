"""Facts of the machine, asked once per planning.

Within one planning the installed packages, voices and programs do not change, yet each
of thousands of (article, language) pairs asks for them: the voice of its language,
the versions of WeasyPrint and ebooklib, the list of installed distributions. Asked
again for every pair, reading package metadata and listing voice folders was most of
the cost of planning a library. Inside `steady()` each question is answered once;
outside it (a test that installs a voice between two builds) every call asks again.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
_ANSWERS: dict | None = None


@contextlib.contextmanager
def steady() -> Iterator[None]:
    """While this lasts, `asked_once` keeps its answers (nested uses share them)."""
    global _ANSWERS
    outermost = _ANSWERS is None
    if outermost:
        _ANSWERS = {}
    try:
        yield
    finally:
        if outermost:
            _ANSWERS = None


def hold_steady() -> None:
    """For a process whose whole life is one planning (a planning worker)."""
    global _ANSWERS
    if _ANSWERS is None:
        _ANSWERS = {}


def asked_once(question: tuple, answer: Callable[[], T]) -> T:
    """`answer()`, kept for the same `question` while the machine is held steady."""
    if _ANSWERS is None:
        return answer()
    if question not in _ANSWERS:
        _ANSWERS[question] = answer()
    return _ANSWERS[question]


def package_version(name: str) -> str:
    """The installed version of a Python distribution (PackageNotFoundError if none)."""
    from importlib.metadata import version

    return asked_once(("package version", name), lambda: version(name))
