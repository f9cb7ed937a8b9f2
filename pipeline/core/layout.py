"""Where a project keeps its files: articles as `sources/<slug>.md`; catalogs in the gettext
layout Babel, Poedit and Weblate expect (`translations/<slug>.pot`,
`translations/<catalog id>/LC_MESSAGES/<domain>.po`); pronunciation lists beside them.
Names and folder listings only: the build asks here without importing the libraries
that parse those files."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import CatalogError, HandoutsError, SourceError
from pipeline.core.locales import is_valid_tag, to_bcp47

UI_DOMAIN = "ui"  # the template words, shared by every article
PRONUNCIATION = "pronunciation.toml"


def template_path(translations_dir: Path, domain: str) -> Path:
    return translations_dir / f"{domain}.pot"


def catalog_path(translations_dir: Path, catalog_id: str, domain: str) -> Path:
    return Path(catalog_file(str(translations_dir), catalog_id, domain))


def catalog_file(translations_dir: str, catalog_id: str, domain: str) -> str:
    """`catalog_path` as a string, for the build's per-pair loop (pathlib is slow there)."""
    return os.path.join(translations_dir, catalog_id, "LC_MESSAGES", f"{domain}.po")


def catalog_ids_on_disk(translations_dir: Path) -> list[str]:
    """Every folder under translations/ that holds LC_MESSAGES (whatever its name)."""
    if not translations_dir.is_dir():
        return []
    return sorted(p.name for p in translations_dir.iterdir() if (p / "LC_MESSAGES").is_dir())


def pronunciation_path(translations_dir: Path, catalog_id: str) -> Path:
    return Path(pronunciation_file(str(translations_dir), catalog_id))


def pronunciation_file(translations_dir: str, catalog_id: str) -> str:
    return os.path.join(translations_dir, catalog_id, PRONUNCIATION)


def find_sources(sources_dir: Path) -> list[Path]:
    """Every article in the sources folder, in a stable order."""
    return sorted(p for p in sources_dir.glob("*.md") if p.is_file() and not p.name.startswith("."))


def shown_path(path: Path, root: Path | None) -> str:
    """How messages name a file: relative to the project folder when it is inside it."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def catalog_folder_problems(config: Config) -> list[HandoutsError]:
    """Catalog folders that are misnamed or belong to a language that is not enabled."""
    problems: list[HandoutsError] = []
    enabled = set(config.languages)
    for folder in catalog_ids_on_disk(config.translations_dir):
        where = shown_path(config.translations_dir / folder, config.root)
        if not is_valid_tag(folder):
            problems.append(CatalogError(f"'{folder}' is not a language identifier", file=where,
                                                 hint="name catalog folders like es, zh_Hans or pt_BR"))
            continue
        tag = to_bcp47(folder)
        if folder != tag.replace("-", "_"):
            problems.append(CatalogError(f"the folder should be named {tag.replace('-', '_')}", file=where))
        elif tag not in enabled:
            problems.append(CatalogError(
                f"there is a catalog for '{tag}', but {tag} is not enabled", file=where,
                hint=f"add \"{tag}\" to publishing.languages in handouts.toml, or remove the folder"))
    return problems


def orphan_catalogs(config: Config, slugs: set[str]) -> list[str]:
    """One line per article that has catalogs but no source (renamed or removed): they are
    not built, and are kept because `handouts extract` offers their translations as memory."""
    languages: dict[str, list[str]] = {}
    for folder in catalog_ids_on_disk(config.translations_dir):
        try:
            names = os.listdir(config.translations_dir / folder / "LC_MESSAGES")
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if suffix == "po" and dot and stem != UI_DOMAIN and stem not in slugs:
                languages.setdefault(stem, []).append(folder)
    where = shown_path(config.translations_dir, config.root)
    return [f"{where}/*/LC_MESSAGES/{slug}.po ({len(found)} language{'s' if len(found) != 1 else ''}: "
            f"{', '.join(sorted(found)[:5])}{' …' if len(found) > 5 else ''}): there is no article '{slug}' in "
            f"{shown_path(config.sources_dir, config.root)}/ (renamed or removed?); not built, kept as translation "
            f"memory for 'handouts extract'; delete the catalogs when they are no longer needed"
            for slug, found in sorted(languages.items())]


def source_problems(config: Config, sources: list[Path], slugs: list[str] | None = None) -> list[HandoutsError]:
    """No article at all, or an article asked for by name that does not exist."""
    where = shown_path(config.sources_dir, config.root)
    if not sources:
        return [SourceError("no articles found", file=where,
                            hint="add an article as sources/<name>.md (see README, 'The source format')")]
    return [SourceError(f"no article named '{slug}'", file=where, hint=f"articles: {', '.join(p.stem for p in sources)}")
            for slug in sorted(set(slugs or []) - {p.stem for p in sources})]
