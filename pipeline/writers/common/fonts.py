"""Which font files a language's font stack resolves to, and which characters they cover.

WeasyPrint draws a box (or silently substitutes another font) for a character that
none of the fonts of the stack has. We check before writing: every character of
the text must be in one of the language's own fonts, or the build names it.
Font files come from fontconfig (`fc-list`), read with fontTools.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass

from pipeline.core.errors import DependencyError, RenderError
from pipeline.core.locales import LocaleFacts

# Characters a font need not draw: spaces, joiners, direction marks, variation selectors.
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}


@dataclass(frozen=True)
class FontFile:
    family: str
    path: str
    index: int
    style: str

    def identity(self) -> str:
        """What decides how the font renders, for the build cache key."""
        stat = os.stat(self.path)
        return f"{self.path}#{self.index}:{stat.st_size}:{int(stat.st_mtime)}"


@functools.lru_cache(maxsize=None)
def files_of_family(family: str) -> tuple[FontFile, ...]:
    """Every installed face of `family` (exact family name), from fontconfig."""
    if not shutil.which("fc-list"):
        raise DependencyError("fontconfig's fc-list is not installed", hint="install the Debian package fontconfig")
    result = subprocess.run(
        ["fc-list", "--format", "%{family}\t%{file}\t%{index}\t%{style}\n", f":family={family}"],
        capture_output=True, text=True, check=False,
    )
    faces: list[FontFile] = []
    for line in result.stdout.splitlines():
        families, path, index, style = (line.split("\t") + ["", "", "0", ""])[:4]
        if family in [f.strip() for f in families.split(",")]:
            faces.append(FontFile(family, path, int(index or 0), style.split(",")[0]))
    return tuple(sorted(faces, key=lambda f: (f.path, f.index)))


def require_fonts(facts: LocaleFacts) -> list[FontFile]:
    """The faces of the language's stack; a missing family names the package to install."""
    found: list[FontFile] = []
    for family in facts.fonts:
        faces = files_of_family(family)
        if not faces:
            raise DependencyError(
                f"the font '{family}' for {facts.english_name} ({facts.script} script) is not installed",
                hint=f"install the Debian package {facts.font_package}",
            )
        found.extend(faces)
    return found


@functools.lru_cache(maxsize=None)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def covered_codepoints(facts: LocaleFacts) -> frozenset[int]:
    """Every character the language's fonts can draw (regular faces are enough: bold
    faces of these families cover the same characters)."""
    points: set[int] = set()
    for family in facts.fonts:
        faces = [f for f in files_of_family(family) if f.style.lower() in ("regular", "book")] or list(files_of_family(family))
        for face in faces[:1]:
            points |= _cmap(face.path, face.index)
    return frozenset(points)


def missing_characters(text: str, facts: LocaleFacts) -> list[str]:
    covered = covered_codepoints(facts)
    missing: list[str] = []
    for character in sorted(set(text)):
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            continue
        if ord(character) not in covered:
            missing.append(character)
    return missing


def check_coverage(text: str, facts: LocaleFacts, where: str) -> None:
    """Raise RenderError naming every character no font of the language can draw."""
    require_fonts(facts)
    missing = missing_characters(text, facts)
    if missing:
        names = ", ".join(f"'{c}' U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise RenderError(
            f"no font of {facts.english_name} ({', '.join(facts.fonts)}) has {names}{more}",
            file=where,
            hint="replace the character, or add a font that has it to pipeline/data/scripts.toml",
        )


def font_identities(facts: LocaleFacts) -> str:
    """The installed files behind the language's fonts, for the build cache key."""
    return "|".join(face.identity() for face in require_fonts(facts))


@functools.lru_cache(maxsize=1)
def font_config():
    """One FontConfiguration per process: fontconfig's scan (seconds for CJK) happens once."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()
