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
    ReviewState,
    catalog_path,
    read_catalog,
    template_path,
)
from pipeline.core.config import Config
from pipeline.core.document import Article, Figure, walk_blocks
from pipeline.core.errors import HandoutsError
from pipeline.core.locales import LocaleFacts, to_bcp47
from pipeline.core.layout import catalog_folder_problems, find_sources, shown_path, source_problems
from pipeline.inputs.images import check_clinic_logo
from pipeline.inputs.sources import read_article
from pipeline.inputs.translate import Coverage, coverage, template_for, translate
from pipeline.core.uitext import REVIEW_NOTICE, UI_SOURCE_LANGUAGE, UiText, required_words
from pipeline.core.job import CLINIC_LOGO_RESOURCE, Job, Notice, Resource
from pipeline.inputs.images import check_image
from pipeline.core.layout import pronunciation_path
from pipeline.inputs.pronunciation import read_pronunciation


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


class ProjectReader:
    """Reads sources and catalogs on demand, each at most once, collecting problems instead
    of raising them, so that the build can plan one pair without reading the library."""

    def __init__(self, config: Config, problems: list[HandoutsError] | None = None) -> None:
        self.config = config
        self.problems = problems if problems is not None else []
        self._articles: dict[Path, Article | None] = {}
        self._ui_template: Catalog | None | bool = False
        self._required_ui: Catalog | None = None
        self._catalogs: dict[Path, ProjectCatalog | HandoutsError] = {}
        self._coverage: dict[tuple[int, int], Coverage] = {}

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
        if path not in self._articles:
            try:
                self._articles[path] = read_article(path, self.config.root)
            except HandoutsError as error:
                self.problems.append(error)
                self._articles[path] = None
        return self._articles[path]

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

    def required_ui_template(self) -> Catalog:
        """The template words a language needs to be published (without optional words)."""
        if self._required_ui is None:
            self._required_ui = required_words(self.ui_template())
        return self._required_ui

    def catalog(self, path: Path, catalog_id: str) -> ProjectCatalog | HandoutsError:
        """A catalog read once (the template words of a language serve all its articles)."""
        if path not in self._catalogs:
            try:
                self._catalogs[path] = read_catalog(path, locale=catalog_id, shown=self.shown(path))
            except HandoutsError as error:
                self._catalogs[path] = error
        return self._catalogs[path]

    def coverage(self, catalog: ProjectCatalog, template: Catalog) -> Coverage:
        """Coverage of a shared catalog (template words), counted once per build."""
        key = (id(catalog), id(template))
        if key not in self._coverage:
            self._coverage[key] = coverage(catalog, template)
        return self._coverage[key]

    def plan(self, article: Article, tag: str) -> LanguagePlan:
        """The state of one article in one language, and its job when it is publishable."""
        before = len(self.problems)
        plan = _plan(self, article, tag, template_for(article), self.ui_template())
        plan.problems = self.problems[before:]
        return plan




def _plan(project: ProjectReader, article: Article, tag: str, template: Catalog, ui_template: Catalog | None) -> LanguagePlan:
    config = project.config
    facts = config.facts(tag)
    source_folder = config.sources_dir
    is_source = tag == article.meta.source_language
    plan = LanguagePlan(slug=article.slug, facts=facts, is_source=is_source)

    ui: UiText | None = None
    ui_catalog: ProjectCatalog | None = None
    if facts.language != UI_SOURCE_LANGUAGE:
        ui_catalog = _load(project, plan, UI_DOMAIN, "template words")
        if ui_catalog is not None:
            if ui_template is not None:
                plan.ui_coverage = project.coverage(ui_catalog, project.required_ui_template())
                if not plan.ui_coverage.complete:
                    plan.skip_reasons.append(_incomplete("template words (ui.po)", plan.ui_coverage))
            ui = UiText(tag, ui_catalog, project.shown(catalog_path(config.translations_dir, facts.catalog_id, UI_DOMAIN)))
    else:
        ui = UiText(tag)

    catalog: ProjectCatalog | None = None
    if is_source:
        translated = article
        catalog_version = ""
    else:
        catalog = _load(project, plan, article.slug, "article")
        if catalog is None:
            return plan
        plan.coverage = coverage(catalog, template)
        plan.review = catalog.review
        if not plan.coverage.complete:
            plan.skip_reasons.append(_incomplete("article", plan.coverage))
        if not plan.review.reviewed and not config.publish_unreviewed:
            plan.skip_reasons.append("the translation is unreviewed and publish_unreviewed = false")
        if plan.skip_reasons:
            return plan
        shown = project.shown(catalog_path(config.translations_dir, facts.catalog_id, article.slug))
        try:
            translated = translate(article, catalog, tag, shown)
        except HandoutsError as error:
            project.problems.append(error)
            plan.skip_reasons.append("the catalog has errors (see above)")
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
        article=translated,
        facts=facts,
        ui=ui,
        config=config,
        source_folder=source_folder,
        review=plan.review,
        notice=notice,
        source_version=_source_version(article),
        catalog_version=catalog_version,
        modified=_modified(article, ui_catalog, catalog if not is_source else None),
        resources=_resources(article, source_folder, config),
        pronunciation=_pronunciation(project, facts),
    )
    return plan


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
    translations = project.config.translations_dir
    try:
        return read_pronunciation(translations, facts.catalog_id,
                                  project.shown(pronunciation_path(translations, facts.catalog_id)))
    except HandoutsError as error:
        project.problems.append(error)
        return {}


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
