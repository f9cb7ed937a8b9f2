"""The download site: plain HTML pages, no JavaScript, browsable by article and by language.

- `outputs/index.html`: every article and every language (language names in their own
  script, marked with `lang` and `dir`);
- `outputs/articles/<slug>.html`: one article in all its languages, with its files;
- `outputs/<lang>/index.html`: every article available in one language, titled and
  labelled in that language (an outreach worker for one community wants one page).
"""

from __future__ import annotations

import datetime

from markupsafe import Markup

from pipeline import __version__
from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.locales import LocaleFacts
from pipeline.core.uitext import OPTIONAL_WORDS, UI_SOURCE_LANGUAGE, UiText
from pipeline.inputs.catalogs import UI_DOMAIN, catalog_path, read_catalog
from pipeline.publish.listing import Shelf
from pipeline.publish.manifest import MANIFEST

INDEX = "index.html"
OPDS = "catalog.xml"
ARTICLES = "articles"


def write_site(config: Config, shelves: list[Shelf], words: dict[str, UiText]) -> None:
    """Write every page. `words`: the template words of each language that gets a page of
    its own (a language whose words cannot be read is left out, and the caller says why)."""
    from pipeline.writers.common.templates import environment

    env = environment()
    articles = _articles(shelves)
    languages = _languages(shelves)
    common = {"version": __version__, "manifest": MANIFEST, "opds": OPDS}
    _write(config, INDEX, env.get_template("site/index.html.j2").render(
        articles=articles, languages=languages, prefix="", **common))
    for slug, article_shelves in articles.items():
        _write(config, f"{ARTICLES}/{slug}.html", env.get_template("site/article.html.j2").render(
            slug=slug, shelves=article_shelves, first=_source_shelf(article_shelves), prefix="../",
            words=_english, **common))
    for tag, language_shelves in languages.items():
        facts = language_shelves[0].facts
        if tag not in words:
            continue
        _write(config, f"{tag}/{INDEX}", env.get_template("site/language.html.j2").render(
            facts=facts, shelves=language_shelves, words=page_words(words[tag]), prefix="../",
            date=lambda iso, facts=facts: facts.format_date(datetime.date.fromisoformat(iso)) if iso else "",
            **common))


def site_words(config: Config, facts: LocaleFacts) -> UiText:
    """The template words of a language, for its page (English needs no catalog)."""
    if facts.language == UI_SOURCE_LANGUAGE:
        return UiText(facts.tag)
    path = catalog_path(config.translations_dir, facts.catalog_id, UI_DOMAIN)
    shown = str(path.relative_to(config.root)) if path.is_relative_to(config.root) else str(path)
    return UiText(facts.tag, read_catalog(path, locale=facts.catalog_id, shown=shown), shown)


def page_words(ui: UiText):
    """`gettext` for a language's page; an optional word its catalog does not translate yet
    (see uitext.OPTIONAL_WORDS) is shown in English, marked as English."""
    def words(message: str, **values: object):
        if message in OPTIONAL_WORDS and not ui.has(message):
            return Markup('<span lang="en" dir="ltr">%s</span>') % _english(message, **values)
        return ui.gettext(message, **values)

    return words


def _english(message: str, **values: object) -> str:
    return UiText("en").gettext(message, **values)


def _articles(shelves: list[Shelf]) -> dict[str, list[Shelf]]:
    found: dict[str, list[Shelf]] = {}
    for shelf in shelves:
        found.setdefault(shelf.pair.slug, []).append(shelf)
    return found


def _languages(shelves: list[Shelf]) -> dict[str, list[Shelf]]:
    found: dict[str, list[Shelf]] = {}
    for shelf in shelves:
        found.setdefault(shelf.pair.language, []).append(shelf)
    return found


def _source_shelf(shelves: list[Shelf]) -> Shelf:
    """The article in the language it was written in (its title names the article)."""
    return next((s for s in shelves if s.pair.is_source), shelves[0])


def _write(config: Config, relative: str, text: str) -> None:
    atomic.atomic_write_text(config.outputs_dir / relative, text)
