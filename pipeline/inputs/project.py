"""The project as the build sees it: which articles, which languages, and whether each
(article, language) pair may be published, with the reason when it may not.

This is the docutils `Publisher` of the pipeline: read every source, load every
catalog, apply the publishing policy, and hand writers translated articles. Every
problem found on the way is collected (not raised) so that one broken catalog never
stops the other languages.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog

from pipeline.inputs.catalogs import (
    UI_DOMAIN,
    ProjectCatalog,
    catalog_path,
    read_catalog,
    template_path,
    without_messages,
)
from pipeline.core.config import Config
from pipeline.core.document import Article, Figure, walk_blocks
from pipeline.core.errors import HandoutsError
from pipeline.core.locales import LocaleFacts, to_bcp47
from pipeline.core.layout import catalog_folder_problems, find_sources, shown_path, source_problems
from pipeline.inputs.images import check_clinic_logo
from pipeline.inputs.sources import read_article
from pipeline.inputs.translate import Coverage, coverage, template_for, translate
from pipeline.core.uitext import OPTIONAL_WORDS, REVIEW_NOTICE, UI_SOURCE_LANGUAGE, UiText
from pipeline.core.job import CLINIC_LOGO_RESOURCE, Job, Notice, Resource, ReviewState
from pipeline.inputs.images import check_image
from pipeline.core.layout import pronunciation_path
from pipeline.inputs.pronunciation import read_pronunciation
from pipeline.inputs.review import Scope, legacy_claim, review_state


@dataclass
class LanguagePlan:
    """One article in one language: its state, and the job to build when it is publishable."""

    slug: str
    facts: LocaleFacts
    is_source: bool
    coverage: Coverage | None = None
    ui_coverage: Coverage | None = None
    review: ReviewState | None = None
    skip_reasons: list[str] = field(default_factory=list)
    job: Job | None = None
    problems: list[HandoutsError] = field(default_factory=list)  # found while planning this pair
    notes: list[str] = field(default_factory=list)  # e.g. a review header that no longer counts

    @property
    def waiting(self) -> bool:
        """Not built only because its translation is not ready (a normal state of a library)."""
        return self.job is None and not self.problems

    @property
    def publishable(self) -> bool:
        return self.job is not None


@dataclass
class Project:
    config: Config
    articles: list[Article] = field(default_factory=list)
    plans: list[LanguagePlan] = field(default_factory=list)
    problems: list[HandoutsError] = field(default_factory=list)

    def shown(self, path: Path) -> str:
        return shown_path(path, self.config.root)


def load_project(config: Config, *, slugs: list[str] | None = None, languages: list[str] | None = None) -> Project:
    """Read every selected source and catalog and plan every (article, language) pair."""
    check_clinic_logo(config)
    project = Project(config)
    reader = ProjectReader(config, project.problems)
    sources = reader.sources(slugs)
    wanted = [to_bcp47(code) for code in languages] if languages else None
    for path in sources:
        article = reader.article(path)
        if article is None:
            continue
        project.articles.append(article)
        for tag in config.languages_for(article.meta.source_language):
            if wanted and tag not in wanted:
                continue
            project.plans.append(reader.plan(article, tag))
    return project


ARTICLES_KEPT = 8


class ProjectReader:
    """Reads sources and catalogs on demand, each at most once, collecting problems instead
    of raising them, so that the build can plan one pair without reading the library."""

    def __init__(self, config: Config, problems: list[HandoutsError] | None = None) -> None:
        self.config = config
        self.problems = problems if problems is not None else []
        self._articles: dict[Path, Article | None] = {}
        self._ui_template: Catalog | None | bool = False
        self._required_words: Catalog | None | bool = False
        self._catalogs: dict[Path, ProjectCatalog | HandoutsError] = {}
        self._coverage: dict[tuple[int, int], Coverage] = {}
        self._templates: dict[int, tuple[Article, Catalog]] = {}
        self.pronunciations: dict[str, dict[str, str] | HandoutsError] = {}

    def shown(self, path: Path) -> str:
        return shown_path(path, self.config.root)

    def sources(self, slugs: list[str] | None = None) -> list[Path]:
        """The article files (those named in `slugs` only, when given); problems recorded."""
        config = self.config
        sources = find_sources(config.sources_dir)
        self.problems += source_problems(config, sources, slugs)
        if not sources:
            return []
        self.problems += catalog_folder_problems(config)
        return [p for p in sources if not slugs or p.stem in slugs]

    def article(self, path: Path) -> Article | None:
        """An article, read once while it is among the last few asked for (planning goes
        article by article; a library's articles all kept would fill memory). A source that
        cannot be read is remembered, so its problem is reported once."""
        if path in self._articles:
            self._articles[path] = self._articles.pop(path)  # the most recently used last
            return self._articles[path]
        try:
            article: Article | None = read_article(path, self.config.root)
        except HandoutsError as error:
            self.problems.append(error)
            article = None
        self._articles[path] = article
        kept = [p for p, a in self._articles.items() if a is not None]
        for old in kept[:-ARTICLES_KEPT]:
            del self._articles[old]
        return article

    def ui_template(self) -> Catalog | None:
        if self._ui_template is False:
            path = template_path(self.config.translations_dir, UI_DOMAIN)
            self._ui_template = None
            if path.exists():
                try:
                    self._ui_template = read_catalog(path, locale=None, shown=self.shown(path))
                except HandoutsError as error:
                    self.problems.append(error)
        return self._ui_template  # type: ignore[return-value]

    def required_words(self) -> Catalog | None:
        """The template words a language must have translated before it is built: all but
        the optional ones (core/uitext.py, OPTIONAL_WORDS)."""
        if self._required_words is False:
            template = self.ui_template()
            self._required_words = template if template is None else without_messages(template, OPTIONAL_WORDS)
        return self._required_words  # type: ignore[return-value]

    def catalog(self, path: Path, catalog_id: str) -> ProjectCatalog | HandoutsError:
        """A catalog; the template words of a language are read once and serve all its
        articles (an article's catalog serves one pair: kept, a library's would fill memory)."""
        if path in self._catalogs:
            return self._catalogs[path]
        try:
            found: ProjectCatalog | HandoutsError = read_catalog(path, locale=catalog_id, shown=self.shown(path))
        except HandoutsError as error:
            found = error
        if path.name == f"{UI_DOMAIN}.po":
            self._catalogs[path] = found
        return found

    def coverage(self, catalog: ProjectCatalog, template: Catalog) -> Coverage:
        """Coverage of a shared catalog (template words), counted once per build."""
        key = (id(catalog), id(template))
        if key not in self._coverage:
            self._coverage[key] = coverage(catalog, template)
        return self._coverage[key]

    def template(self, article: Article) -> Catalog:
        """The article's messages, made once for all its languages."""
        known = self._templates.get(id(article))
        if known is None or known[0] is not article:
            self._templates = {id(article): (article, template_for(article))}  # planning goes article by article
            known = self._templates[id(article)]
        return known[1]

    def plan(self, article: Article, tag: str) -> LanguagePlan:
        """The state of one article in one language, and its job when it is publishable."""
        before = len(self.problems)
        plan = _plan(self, article, tag, self.template(article), self.ui_template())
        plan.problems = self.problems[before:]
        return plan




def _plan(project: ProjectReader, article: Article, tag: str, template: Catalog, ui_template: Catalog | None) -> LanguagePlan:
    """One article in one language: its catalogs read and checked, its review state, and
    its job when it can be published (else the reasons why not, on the plan)."""
    config = project.config
    facts = config.facts(tag)
    is_source = tag == article.meta.source_language
    plan = LanguagePlan(slug=article.slug, facts=facts, is_source=is_source)
    ui, ui_catalog = _template_words(project, plan, ui_template)
    catalog: ProjectCatalog | None = None
    if is_source:
        translated, catalog_version = article, ""
    else:
        catalog = _load(project, plan, article.slug, "article")
        translated = _translated(project, plan, article, catalog, template) if catalog is not None else None
        if translated is None:
            return plan
        catalog_version = _catalog_version(catalog, ui_catalog)
    if plan.skip_reasons or ui is None:
        return plan
    try:
        if ui_catalog is not None and ui_template is not None:
            ui.validate(ui_template)
        notice = _notice(plan, ui)
    except HandoutsError as error:
        project.problems.append(error)
        plan.skip_reasons.append("the template words have errors (see above)")
        return plan
    plan.job = Job(
        article=translated, facts=facts, ui=ui, config=config, source_folder=config.sources_dir,
        review=plan.review, notice=notice, source_version=_source_version(article), catalog_version=catalog_version,
        modified=_modified(article, ui_catalog, catalog),
        resources=_resources(article, config.sources_dir, config),
        pronunciation=_pronunciation(project, facts),
    )
    return plan


def _template_words(project: ProjectReader, plan: LanguagePlan,
                    ui_template: Catalog | None) -> tuple[UiText | None, ProjectCatalog | None]:
    """The words of the templates in the plan's language (English needs no catalog)."""
    facts = plan.facts
    if facts.language == UI_SOURCE_LANGUAGE:
        return UiText(facts.tag), None
    ui_catalog = _load(project, plan, UI_DOMAIN, "template words")
    if ui_catalog is None:
        return None, None
    if ui_template is not None:
        plan.ui_coverage = project.coverage(ui_catalog, project.required_words())
        if not plan.ui_coverage.complete:
            plan.skip_reasons.append(_incomplete("template words (ui.po)", plan.ui_coverage))
    shown = project.shown(catalog_path(project.config.translations_dir, facts.catalog_id, UI_DOMAIN))
    return UiText(facts.tag, ui_catalog, shown), ui_catalog


def _translated(project: ProjectReader, plan: LanguagePlan, article: Article, catalog: ProjectCatalog,
                template: Catalog) -> Article | None:
    """The article translated by its catalog, or None (the reasons on the plan) when the
    catalog is incomplete, waits for review, or has errors."""
    plan.coverage = coverage(catalog, template)
    shown = project.shown(catalog_path(project.config.translations_dir, plan.facts.catalog_id, article.slug))
    if not plan.coverage.complete:
        plan.skip_reasons.append(_incomplete("article", plan.coverage))
    if not _review(project, plan, article, catalog, shown) or plan.skip_reasons:
        return None
    try:
        return translate(article, catalog, plan.facts.tag, shown)
    except HandoutsError as error:
        project.problems.append(error)
        plan.skip_reasons.append("the catalog has errors (see above)")
        return None


def _resources(article: Article, folder: Path, config: Config) -> dict[str, Resource]:
    """The images of the article and the clinic's logo, read once here (the reader and
    `check_clinic_logo` have checked them), so that writers never read a file."""
    found: dict[str, Resource] = {}
    for block in walk_blocks(article.blocks):
        if isinstance(block, Figure) and block.src not in found:
            image = check_image(block.src, folder)
            found[block.src] = Resource(image.media_type, image.path.read_bytes())
    logo = config.clinic.logo if config.clinic else None
    if logo is not None:
        image = check_image(logo.name, logo.parent)
        found[CLINIC_LOGO_RESOURCE] = Resource(image.media_type, image.path.read_bytes())
    return found


def _pronunciation(project: "ProjectReader", facts: LocaleFacts) -> dict[str, str]:
    """The language's pronunciation list, read once for all its articles; its problem is
    reported with every pair it touches."""
    if facts.catalog_id not in project.pronunciations:
        translations = project.config.translations_dir
        try:
            project.pronunciations[facts.catalog_id] = read_pronunciation(
                translations, facts.catalog_id, project.shown(pronunciation_path(translations, facts.catalog_id)))
        except HandoutsError as error:
            project.pronunciations[facts.catalog_id] = error
    found = project.pronunciations[facts.catalog_id]
    if isinstance(found, HandoutsError):
        project.problems.append(found)
        return {}
    return dict(found)


def _load(project: ProjectReader, plan: LanguagePlan, domain: str, what: str) -> ProjectCatalog | None:
    config = project.config
    path = catalog_path(config.translations_dir, plan.facts.catalog_id, domain)
    if not path.exists():
        plan.skip_reasons.append(f"no {what} catalog {project.shown(path)} (run 'handouts extract', then translate it)")
        return None
    catalog = project.catalog(path, plan.facts.catalog_id)
    if isinstance(catalog, HandoutsError):
        project.problems.append(catalog)
        plan.skip_reasons.append(f"the {what} catalog has errors (see above)")
        return None
    return catalog


def _review(project: ProjectReader, plan: LanguagePlan, article: Article, catalog: ProjectCatalog,
            shown: str) -> bool:
    """The review state of the pair from its catalog's approval records (False: a record is
    wrong, and the pair is not built: never a handout that claims a review it lacks)."""
    try:
        plan.review = review_state(article, catalog, Scope(plan.facts.catalog_id, article.slug), shown)
    except HandoutsError as error:
        project.problems.append(error)
        plan.skip_reasons.append("the article catalog has errors (see above)")
        return False
    review = plan.review
    if legacy_claim(catalog) and not review.reviewed:
        plan.notes.append(f"review: {shown}: the header says 'X-Review-Status: reviewed', but {review.approved} of "
                          f"{review.total} segments carry an approval of their text; the header no longer counts "
                          f"(README, 'Review workflow': migrating a reviewed catalog)")
    if not review.reviewed and not project.config.publish_unreviewed:
        if review.approved:
            plan.skip_reasons.append(f"the translation is partly reviewed ({review.approved} of {review.total} "
                                     f"segments; waiting: {', '.join(review.waiting)}) and publish_unreviewed = false")
        else:
            plan.skip_reasons.append("the translation is unreviewed and publish_unreviewed = false")
    return True


def _incomplete(what: str, numbers: Coverage) -> str:
    parts = []
    if numbers.untranslated:
        parts.append(f"{numbers.untranslated} untranslated")
    if numbers.fuzzy:
        parts.append(f"{numbers.fuzzy} fuzzy")
    return f"{what} translation incomplete: {', '.join(parts)} of {numbers.total}"


def _notice(plan: LanguagePlan, ui: UiText) -> Notice | None:
    """The unreviewed-translation notice, in the language and in English; None when reviewed."""
    if plan.is_source or (plan.review is not None and plan.review.reviewed):
        return None
    return Notice(native=ui.gettext(REVIEW_NOTICE), english=UiText("en").gettext(REVIEW_NOTICE))


def _source_version(article: Article) -> str:
    return hashlib.sha256(repr(article).encode()).hexdigest()[:12]


def _catalog_version(*catalogs: ProjectCatalog | None) -> str:
    digest = hashlib.sha256()
    for catalog in catalogs:
        if catalog is None:
            continue
        for message in catalog:
            digest.update(repr((message.id, message.context, message.string, message.fuzzy)).encode())
        digest.update(repr(sorted(catalog.extra_headers.items())).encode())
    return digest.hexdigest()[:12]


def _modified(article: Article, *catalogs: ProjectCatalog | None) -> str:
    """The last change to what the reader sees: the article's date or a catalog revision."""
    days = [article.meta.updated or datetime.date(2000, 1, 1)]
    for catalog in catalogs:
        if catalog is not None and catalog.declared_revision_date is not None:
            days.append(catalog.declared_revision_date.date())
    return max(days).isoformat()
