"""Install one case of the bad-input corpus (tests/bad-inputs/) into a copy of a project."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from babel.messages.pofile import read_po

from pipeline.inputs.catalogs import read_catalog, render_catalog

CORPUS = Path(__file__).resolve().parent / "bad-inputs"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))
SMALL_CONFIG = '[publishing]\nlanguages = ["en", "es", "ar"]\n'


def install(case: str, root: Path) -> None:
    spec = CASES[case]
    kind, name = case.split("/", 1)
    source = CORPUS / kind / name if kind != "generated" else None
    target = root / spec.get("target", "")
    mode = spec.get("mode", "add")
    if mode == "add":
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        for extra in spec.get("with", []):
            shutil.copyfile(CORPUS / kind / extra, target.parent / extra)
    elif mode == "replace":
        shutil.copyfile(source, target)
    elif mode == "patch":
        patch = read_po(source.open("rb"))
        catalog = read_catalog(target, locale=target.parts[-3])
        for message in patch:
            if message.id:
                existing = catalog.get(message.id, context=message.context)
                assert existing is not None, f"{case}: the patch names a message the catalog lacks"
                existing.string = message.string
                existing.flags = set(message.flags)
        target.write_text(render_catalog(catalog), "utf-8")
    elif mode == "generate":
        GENERATORS[spec["generator"]](root)
    else:
        raise ValueError(mode)


def _huge_source(root: Path) -> None:
    (root / "sources" / "huge.md").write_text("---\ntitle: Huge\nlanguage: en\n---\n\n" + "word " * 250_000, "utf-8")


def _huge_catalog(root: Path) -> None:
    path = root / "translations" / "es" / "LC_MESSAGES" / "invasive-vs-metastatic-breast-cancer.po"
    path.write_text(path.read_text("utf-8") + "\n# padding\n" + "#. " + "x" * 2_100_000 + "\n", "utf-8")


def _too_many_pixels(root: Path) -> None:
    from PIL import Image

    Image.new("1", (8000, 6000)).save(root / "sources" / "poster.png", optimize=True)
    (root / "sources" / "poster.md").write_text(
        "---\ntitle: Poster\nlanguage: en\n---\n\n![A huge poster](poster.png)\n", "utf-8")


def _no_sources(root: Path) -> None:
    shutil.rmtree(root / "sources")
    (root / "sources").mkdir()


GENERATORS = {
    "huge-source": _huge_source,
    "huge-catalog": _huge_catalog,
    "too-many-pixels": _too_many_pixels,
    "no-sources": _no_sources,
}
