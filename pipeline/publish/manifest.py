"""`outputs/manifest.json`: every file with its language, format, size and SHA-256, the
versions of its source and catalog, its engine and voice, its braille table, grade and
pages, its review state; and the check
that the manifest and the files on disk agree."""

from __future__ import annotations

import hashlib
import json
import re

from pipeline import __version__
from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.publish.listing import Listed

MANIFEST = "manifest.json"
# Files the publishing layer writes itself (not listed in the manifest).
SITE_FILES = ("index.html", "catalog.xml")


def manifest_line(item: Listed) -> str:
    """One file's entry of the manifest, as one line of JSON."""
    return json.dumps({
        "path": item.path,
        "article": item.slug,
        "language": item.language,
        "format": item.format,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "source_version": item.info.get("source_version"),
        "catalog_version": item.info.get("catalog_version") or None,
        "engine": item.info.get("engine") or None,
        "voice": item.info.get("voice") or None,
        "voice_licence": item.info.get("voice_licence") or None,
        "voice_note": item.info.get("voice_note") or None,
        "duration_seconds": item.duration,
        "braille_table": item.info.get("braille_table") or None,
        "braille_grade": int(item.info["braille_grade"]) if item.info.get("braille_grade") else None,
        "braille_pages": item.braille_pages,
        "review": item.info.get("review"),
        "review_state": item.info.get("review_state"),
        "current": item.current,
    }, ensure_ascii=False)


def write_manifest(config: Config, lines: list[str]) -> None:
    """The manifest from each file's line (kept in the build state, worked out again only
    for the files that changed), one file per line: readable and diffable."""
    entries = ",\n".join(lines)
    text = f'{{"generator": {json.dumps(f"handouts {__version__}")}, "files": [\n{entries}\n]}}\n'
    atomic.atomic_write_text(config.outputs_dir / MANIFEST, text)


# The later pages of a list or feed (index-2.html, catalog-2.xml: see publish/pages.py).
_PAGED_SITE_FILE = re.compile(r"^(index|catalog)-[0-9]+\.(html|xml)$")


def is_site_file(relative: str) -> bool:
    """The pages and feeds of the download site, which the manifest does not list."""
    name = relative.rsplit("/", 1)[-1]
    return (name in SITE_FILES or _PAGED_SITE_FILE.match(name) is not None
            or relative.startswith(("articles/", "titles/")) or "/topics/" in relative)


def verify_manifest(config: Config) -> list[str]:
    """Problems found comparing the manifest with the files on disk (empty: all good)."""
    path = config.outputs_dir / MANIFEST
    if not path.exists():
        return [f"no outputs/{MANIFEST} (run 'handouts build')"]
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except ValueError as error:
        return [f"outputs/{MANIFEST} is not valid JSON: {error}"]
    problems: list[str] = []
    listed = set()
    for entry in manifest.get("files", []):
        file = config.outputs_dir / entry["path"]
        listed.add(entry["path"])
        if not file.is_file():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
            continue
        data = file.read_bytes()
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['path']}: size or SHA-256 differs from the manifest")
    for file in config.outputs_dir.rglob("*"):
        relative = str(file.relative_to(config.outputs_dir))
        if file.is_file() and file.parent != config.outputs_dir and relative not in listed \
                and not is_site_file(relative):
            problems.append(f"{relative}: on disk but not in the manifest")
    return problems
