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
    catalog_ids_on_disk,
    catalog_path,
    read_catalog,
    template_path,
)
from pipeline.core.config import CONFIG_NAME, Config, key_line
from pipeline.core.document import Article
from pipeline.core.errors import CatalogError, ConfigError, HandoutsError, SourceError
from pipeline.inputs import images
from pipeline.core.locales import LocaleFacts, is_valid_tag, to_bcp47
from pipeline.inputs.sources import find_sources, read_article, shown_path
from pipeline.inputs.translate import Coverage, coverage, template_for, translate
from pipeline.core.uitext import REVIEW_NOTICE, UI_SOURCE_LANGUAGE, UiText
from pipeline.core.job import Job, Notice


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
    check_clinic_logo(config)
    project = Project(config)
    sources = find_sources(config.sources_dir)
    if not sources:
        project.problems.append(SourceError(
            "no articles found", file=project.shown(config.sources_dir),
            hint="add an article as sources/<name>.md (see README, 'The source format')"))
        return project
    for path in sources:
        if slugs and path.stem not in slugs:
            continue
        try:
            project.articles.append(read_article(path, config.root))
        except HandoutsError as error:
            project.problems.append(error)
    if slugs:
        unknown = set(slugs) - {p.stem for p in sources}
        for slug in sorted(unknown):
            project.problems.append(SourceError(f"no article named '{slug}'", file=project.shown(config.sources_dir),
                                                hint=f"articles: {', '.join(p.stem for p in sources)}"))

    _check_catalog_folders(project)
    wanted = [to_bcp47(code) for code in languages] if languages else None
    ui_template = _load_ui_template(project)
    for article in project.articles:
        template = template_for(article)
        for tag in _languages_of(article, config):
            if wanted and tag not in wanted:
                continue
            project.plans.append(_plan(project, article, tag, template, ui_template))
    return project


def check_clinic_logo(config: Config) -> None:
    """The clinic's logo passes the checks of an article's images (PNG or JPEG, real, of
    sane size), or the whole project stops with one line naming handouts.toml and the key."""
    clinic = config.clinic
    if clinic is None or clinic.logo is None:
        return
    problem = None
    if not clinic.logo.is_file():
        problem = images.ImageProblem(f"the logo {clinic.logo.name!r} does not exist",
                                      "put the logo file in the project and give its path from handouts.toml")
    else:
        try:
            images.check_image(clinic.logo.name, clinic.logo.parent)
        except images.ImageProblem as error:
            problem = error
    if problem is not None:
        raise ConfigError(f"clinic.logo: {problem}", file=CONFIG_NAME, line=key_line(config, "logo"),
                          hint=problem.hint)


def _languages_of(article: Article, config: Config) -> list[str]:
    """The source language first (always built), then every enabled language."""
    tags = [article.meta.source_language]
    tags += [tag for tag in config.languages if tag != article.meta.source_language]
    return tags


def _check_catalog_folders(project: Project) -> None:
    enabled = set(project.config.languages)
    for folder in catalog_ids_on_disk(project.config.translations_dir):
        where = project.shown(project.config.translations_dir / folder)
        if not is_valid_tag(folder):
            project.problems.append(CatalogError(f"'{folder}' is not a language identifier", file=where,
                                                 hint="name catalog folders like es, zh_Hans or pt_BR"))
            continue
        tag = to_bcp47(folder)
        if folder != tag.replace("-", "_"):
            project.problems.append(CatalogError(f"the folder should be named {tag.replace('-', '_')}", file=where))
        elif tag not in enabled:
            project.problems.append(CatalogError(
                f"there is a catalog for '{tag}', but {tag} is not enabled", file=where,
                hint=f"add \"{tag}\" to publishing.languages in handouts.toml, or remove the folder"))


def _load_ui_template(project: Project) -> Catalog | None:
    path = template_path(project.config.translations_dir, UI_DOMAIN)
    if not path.exists():
        return None
    try:
        return read_catalog(path, locale=None, shown=project.shown(path))
    except HandoutsError as error:
        project.problems.append(error)
        return None


def _plan(project: Project, article: Article, tag: str, template: Catalog, ui_template: Catalog | None) -> LanguagePlan:
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
                plan.ui_coverage = coverage(ui_catalog, ui_template)
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
    )
    return plan


def _load(project: Project, plan: LanguagePlan, domain: str, what: str) -> ProjectCatalog | None:
    config = project.config
    path = catalog_path(config.translations_dir, plan.facts.catalog_id, domain)
    if not path.exists():
        plan.skip_reasons.append(f"no {what} catalog {project.shown(path)} (run 'handouts extract', then translate it)")
        return None
    try:
        return read_catalog(path, locale=plan.facts.catalog_id, shown=project.shown(path))
    except HandoutsError as error:
        project.problems.append(error)
        plan.skip_reasons.append(f"the {what} catalog has errors (see above)")
        return None


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
