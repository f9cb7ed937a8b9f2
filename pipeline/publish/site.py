"""The download site: plain HTML pages, no JavaScript, browsable by article and by language.

- `outputs/index.html`: every language (names in their own script, marked with `lang` and
  `dir`), and every article while there are few; `outputs/titles/index.html` (then
  `index-2.html` …): every article by title, PAGE_SIZE to a page;
- `outputs/articles/<slug>.html`: one article in all its languages, with its files;
- `outputs/<lang>/index.html` (then `index-2.html` …): the articles of one language by
  title, with its topics (`outputs/<lang>/topics/<id>.html`, from the categories of the
  front matter), titled and labelled in that language (an outreach worker for one
  community wants one place). Pages are written only when what they show changed.
"""

from __future__ import annotations

import datetime

from markupsafe import Markup

from pipeline import __version__
from pipeline.core import atomic
from pipeline.core.config import Config
from pipeline.core.errors import HandoutsError
from pipeline.core.locales import LocaleFacts, facts_for
from pipeline.core.uitext import OPTIONAL_WORDS, REVIEW_NOTICE, TOPICS_WORD, UI_SOURCE_LANGUAGE, UiText
from pipeline.inputs.catalogs import UI_DOMAIN, catalog_path, read_catalog
from pipeline.publish.listing import Shelf
from pipeline.publish.manifest import MANIFEST
from pipeline.publish import pages as paging
from pipeline.publish.pages import PageWriter, by_title, paginate, shelf_digest, topics

INDEX = "index.html"
OPDS = "catalog.xml"
ARTICLES = "articles"
TOPICS = "topics"
TITLES = "titles"


class SiteWords:
    """The template words of each language with pages of its own, read when one of its
    pages is written (an edit in a library writes the pages of one language or two); a
    language whose words cannot be read gets no page written, and `failed` says why."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.found: dict[str, UiText | None] = {}
        self.failed: list[HandoutsError] = []

    def get(self, tag: str) -> UiText | None:
        if tag not in self.found:
            try:
                self.found[tag] = site_words(self.config, facts_for(tag))
            except HandoutsError as error:
                self.found[tag] = None
                self.failed.append(HandoutsError(f"no download page for {tag}: {error.one_line()}"))
        return self.found[tag]

    def feed_words(self, tag: str) -> tuple[str, str] | None:
        """The draft notice (entries' summaries) and the word "Topics" (the facets' group)."""
        ui = self.get(tag)
        return (ui.gettext(REVIEW_NOTICE), ui.gettext(TOPICS_WORD)) if ui is not None else None


def write_site(config: Config, shelves: list[Shelf], words: SiteWords, pages: PageWriter) -> None:
    """Write every page whose content changed."""
    articles = _articles(shelves)
    languages = _languages(shelves)
    _write_index(pages, articles, languages)
    for slug, article_shelves in articles.items():
        _write_article(pages, slug, article_shelves)
    for tag, language_shelves in languages.items():
        _write_language(pages, tag, language_shelves, words)


def _render(template: str, **context: object) -> str:
    from pipeline.writers.common.templates import environment

    return environment().get_template(f"site/{template}").render(
        version=__version__, manifest=MANIFEST, opds=OPDS, **context)


def _write_index(pages: PageWriter, articles: dict[str, list[Shelf]], languages: dict[str, list[Shelf]]) -> None:
    """The front page (languages, and the articles when few) and the list of every article
    by English title, in pages."""
    firsts = by_title([_source_shelf(article_shelves) for article_shelves in articles.values()])
    counts = {slug: len(article_shelves) for slug, article_shelves in articles.items()}
    shown = [(tag, len(language_shelves)) for tag, language_shelves in languages.items()]
    listing = paginate(f"{TITLES}/index", firsts)  # not under articles/: a slug may be "index"
    on_front = firsts if len(firsts) <= paging.PAGE_SIZE else []
    pages.page(INDEX, ("index", shown, [shelf_digest(s) for s in on_front], len(firsts), counts), lambda: _render(
        "index.html.j2", articles=on_front, total=len(firsts), counts=counts, languages=languages, prefix="",
        page_size=paging.PAGE_SIZE))
    for page in listing:
        pages.page(page.path, lambda page=page: ("articles", page.number, page.paths,
                                                 [shelf_digest(s) for s in page.shelves], counts),
                   lambda page=page: _render("articles.html.j2", page=page, counts=counts, prefix="../",
                                             label=lambda page, pages: f"Page {page} of {pages}", number=str),
                   page.shelves)


def _write_article(pages: PageWriter, slug: str, article_shelves: list[Shelf]) -> None:
    pages.page(f"{ARTICLES}/{slug}.html", lambda: ("article", [shelf_digest(s) for s in article_shelves]),
               lambda: _render("article.html.j2", slug=slug, shelves=article_shelves,
                               first=_source_shelf(article_shelves), prefix="../", words=_english),
               article_shelves)


def _write_language(pages: PageWriter, tag: str, language_shelves: list[Shelf], words: SiteWords) -> None:
    """A language's pages: its topics, and every article by title, both in pages."""
    facts = language_shelves[0].facts
    ordered = by_title(language_shelves)
    groups = topics(ordered)
    topic_list = [(key, name, len(members)) for key, (name, members) in groups.items()]
    sequences = [(None, paginate(f"{tag}/index", ordered), "../")]
    sequences += [((key, name), paginate(f"{tag}/{TOPICS}/{key}", members), "../../")
                  for key, (name, members) in groups.items()]

    def render(page, topic, prefix) -> str | None:
        ui = words.get(tag)
        if ui is None:
            return None
        return _render("language.html.j2", page=page, shelves=page.shelves, topic=topic, prefix=prefix,
                       home=f"{prefix}{tag}/", facts=facts, words=page_words(ui), topics=topic_list,
                       feed=any(s.reading for s in ordered),
                       page_label=lambda **values: ui.gettext("Page %(page)s of %(pages)s", **values),
                       date=lambda iso: facts.format_date(datetime.date.fromisoformat(iso)) if iso else "")

    for topic, sequence, prefix in sequences:
        for page in sequence:
            pages.page(page.path, lambda page=page, topic=topic: ("language", topic, topic_list, page.number, page.paths,
                                                                 [shelf_digest(s) for s in page.shelves]),
                       lambda page=page, topic=topic, prefix=prefix: render(page, topic, prefix), page.shelves)


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
        found.setdefault(shelf.slug, []).append(shelf)
    return found


def _languages(shelves: list[Shelf]) -> dict[str, list[Shelf]]:
    found: dict[str, list[Shelf]] = {}
    for shelf in shelves:
        found.setdefault(shelf.language, []).append(shelf)
    return found


def _source_shelf(shelves: list[Shelf]) -> Shelf:
    """The article in the language it was written in (its title names the article)."""
    return next((s for s in shelves if s.is_source), shelves[0])


def _write(config: Config, relative: str, text: str) -> None:
    atomic.atomic_write_text(config.outputs_dir / relative, text)
