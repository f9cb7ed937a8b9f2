"""A library's site and feeds in pages: every article listed exactly once across the pages
of a language and of each topic, OPDS feeds linked by next/previous that together offer
every entry once, and an edit that rewrites only the pages showing what changed. Pages
hold three entries here (PAGE_SIZE is 50) so that a small library has many pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree, html

from pipeline.core.config import load_config
from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog
from pipeline.publish import build_and_publish
from pipeline.publish import pages as paging

from conftest import SLUG, set_engines
from library import make_library

ATOM = "{http://www.w3.org/2005/Atom}"
OPDS_NS = "{http://opds-spec.org/2010/catalog}"
ARTICLES = 7


def build(root: Path, formats: list[str], **options):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paging, "PAGE_SIZE", 3)
        return build_and_publish(load_config(root), formats, say=lambda text: None, **options)


def slugs(count: int) -> set[str]:
    return {SLUG if n == 0 else f"{SLUG}-{n:03d}" for n in range(count)}


@pytest.fixture(scope="module")
def paged(tmp_path_factory) -> Path:
    root = make_library(tmp_path_factory.mktemp("paged") / "project", ARTICLES, ["en", "es"])
    report = build(root, ["html"], jobs=2)
    assert not report.failed and len(report.built) == 2 * ARTICLES
    return root


def listed_articles(outputs: Path, first: str) -> tuple[list[str], list[str]]:
    """The article ids on every page of a sequence, following rel="next" from `first`;
    and the pages visited."""
    found: list[str] = []
    visited: list[str] = []
    page: Path | None = outputs / first
    while page is not None:
        visited.append(str(page.relative_to(outputs)))
        tree = html.parse(str(page)).getroot()
        found += [article.get("id") for article in tree.iterfind(".//main//article")]
        following = tree.find(".//nav[@class='pages']//a[@rel='next']")
        page = page.parent / Path(following.get("href")).name if following is not None else None  # same folder
    return found, visited


def test_a_language_lists_every_article_exactly_once_across_its_pages(paged):
    found, visited = listed_articles(paged / "outputs", "es/index.html")
    assert sorted(found) == sorted(slugs(ARTICLES))
    assert visited == ["es/index.html", "es/index-2.html", "es/index-3.html"]
    last = html.parse(str(paged / "outputs" / "es" / "index-3.html")).getroot()
    current = last.find(".//nav[@class='pages']//a[@aria-current='page']")
    assert current.text == "3" and last.find(".//nav[@class='pages']//a[@rel='prev']").get("href").endswith("index-2.html")
    assert "Página 3 de 3" in last.find(".//nav[@class='pages']/p").text  # in the page's language


def test_each_topic_lists_its_articles_exactly_once_and_in_the_pages_language(paged):
    index = html.parse(str(paged / "outputs" / "es" / "index.html")).getroot()
    topics = index.findall(".//nav[@aria-labelledby='topics']//a")
    assert index.find(".//h2[@id='topics']").text == "Temas"
    assert [a.text for a in topics] == ["Diagnóstico reciente", "Medicina y ciencia"]
    for link in topics:
        first = "es/" + link.get("href").split("es/", 1)[1]
        found, _ = listed_articles(paged / "outputs", first)
        assert sorted(found) == sorted(slugs(ARTICLES))


def test_an_edit_rewrites_only_the_pages_that_show_it(paged, tmp_path):
    import shutil

    root = tmp_path / "project"
    shutil.copytree(paged, root, symlinks=True)
    outputs = root / "outputs"
    before = {p: p.stat().st_mtime_ns for p in outputs.rglob("*") if p.is_file()}
    edited = f"{SLUG}-004"
    path = catalog_path(root / "translations", "es", edited)
    catalog = read_catalog(path, locale="es")
    message = next(m for m in catalog if m.id and m.context == "paragraph")
    message.string = message.string + " (editado)"
    path.write_text(render_catalog(catalog), "utf-8")
    report = build(root, ["html"])
    assert report.built == [f"{edited}.es.html"]
    changed = {str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file()
               and before.get(p) != p.stat().st_mtime_ns}
    # By title, then slug (every generated article has the same title): -004 is the 5th of
    # 7, on the second page of three entries, in the language list and in each topic.
    assert changed == {f"es/{edited}.es.html", "manifest.json", f"articles/{edited}.html", "es/index-2.html",
                       *(f"es/topics/{key}-2.html" for key in _topic_keys(outputs))}
    assert report.published == len(changed) - 2  # the handout and the manifest are not site pages


def test_a_retitled_article_moves_to_its_place_on_every_page(paged, tmp_path):
    """A changed title changes the pages' order: every page of the language and of its
    topics is worked out again, and each still lists its articles by title, once."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(paged, root, symlinks=True)
    moved = f"{SLUG}-005"
    path = catalog_path(root / "translations", "es", moved)
    catalog = read_catalog(path, locale="es")
    title = next(m for m in catalog if m.id and m.context == "title")
    title.string = "Antes que todo: " + title.string  # sorts first
    path.write_text(render_catalog(catalog), "utf-8")
    assert build(root, ["html"]).built == [f"{moved}.es.html"]
    found, visited = listed_articles(root / "outputs", "es/index.html")
    assert found[0].endswith(moved) and sorted(found) == sorted(set(found)) and len(found) == ARTICLES
    for key in _topic_keys(root / "outputs"):
        assert listed_articles(root / "outputs", f"es/topics/{key}.html")[0][0].endswith(moved)


def _topic_keys(outputs: Path) -> list[str]:
    return sorted(p.stem for p in (outputs / "es" / "topics").glob("*.html") if "-" not in p.stem.removeprefix("cat-"))


@pytest.mark.slow
def test_paged_feeds_offer_every_entry_exactly_once(tmp_path):
    root = make_library(tmp_path / "project", 4, ["en", "es"])
    set_engines(root, ("espeak-ng",))
    assert not build(root, ["audio"], languages=["es"], jobs=2).failed
    outputs = root / "outputs"
    navigation = etree.parse(str(outputs / "catalog.xml")).getroot()
    (spanish,) = [e for e in navigation.iter(f"{ATOM}entry")]
    first = spanish.find(f"{ATOM}link[@rel='subsection']").get("href")
    ids, feeds, feed = [], [], outputs / first
    while feed is not None:
        tree = etree.parse(str(feed)).getroot()
        feeds.append(feed.name)
        ids += [entry.findtext(f"{ATOM}id") for entry in tree.iter(f"{ATOM}entry")]
        for entry in tree.iter(f"{ATOM}entry"):
            for link in entry.iter(f"{ATOM}link"):
                assert (feed.parent / link.get("href")).is_file()
        links = {link.get("rel"): link.get("href") for link in tree.findall(f"{ATOM}link")}
        assert links["first"] == "catalog.xml" and links["last"] == "catalog-2.xml"
        facets = [link for link in tree.findall(f"{ATOM}link") if link.get("rel") == "http://opds-spec.org/facet"]
        assert {f.get(f"{OPDS_NS}facetGroup") for f in facets} == {"Temas"} and len(facets) == 2
        feed = feed.parent / links["next"] if "next" in links else None
    assert feeds == ["catalog.xml", "catalog-2.xml"]
    assert len(ids) == len(set(ids)) == 4
