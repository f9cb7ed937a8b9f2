"""A library of N articles in every language, for the benchmark and the tests: the real
article copied under new slugs, each with complete catalogs (the real ones, renamed), so
that every article of the library is publishable in every configured language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLUG = "invasive-vs-metastatic-breast-cancer"


def make_library(root: Path, articles: int, languages: list[str] | None = None, source: Path = REPO) -> Path:
    """`root` holds handouts.toml, sources/ and translations/ for `articles` articles
    (`languages`: the tags to enable; default: those of the source project)."""
    root.mkdir(parents=True, exist_ok=True)
    config = (source / "handouts.toml").read_text("utf-8")
    if languages is not None:
        listed = ", ".join(f'"{tag}"' for tag in languages)
        config = re.sub(r"^languages = \[[^\]]*\]", f"languages = [{listed}]", config, count=1, flags=re.M)
        # options of languages that are left out would name a language that is not enabled: harmless,
        # but keep the file to what is built
        config = re.sub(r"^\[language\.(?!(" + "|".join(map(re.escape, languages)) + r")\])[^\]]+\][^\[]*", "",
                        config, flags=re.M)
    (root / "handouts.toml").write_text(config, "utf-8")
    shutil.copytree(source / "translations", root / "translations", dirs_exist_ok=True)
    (root / "sources").mkdir(exist_ok=True)
    text = (source / "sources" / f"{SLUG}.md").read_text("utf-8")
    catalogs = list((root / "translations").glob(f"*/LC_MESSAGES/{SLUG}.po"))
    for number in range(articles):
        slug = SLUG if number == 0 else f"{SLUG}-{number:03d}"
        (root / "sources" / f"{slug}.md").write_text(text, "utf-8")
        if number:
            shutil.copy2(root / "translations" / f"{SLUG}.pot", root / "translations" / f"{slug}.pot")
            for catalog in catalogs:
                shutil.copy2(catalog, catalog.with_name(f"{slug}.po"))
    if languages is not None:
        for folder in (root / "translations").iterdir():
            if folder.is_dir() and folder.name.replace("_", "-") not in languages:
                shutil.rmtree(folder)
    return root
