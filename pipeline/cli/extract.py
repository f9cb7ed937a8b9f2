"""`handouts extract`: write the .pot templates and bring every catalog up to date.

Two domains, laid out the way Babel's own tools (and Poedit, Weblate) expect:
`translations/<slug>.pot` per article, and `translations/ui.pot` for the words of the
templates, extracted from `pipeline/templates/*.j2` and the writers' `ui.gettext()`
calls with Babel's extractors. Updating uses Babel's `Catalog.update`: a changed
source sentence becomes fuzzy with its previous text kept, a new one appears
untranslated, a removed one becomes obsolete. Files are rewritten only when more than
their dates changed (the Sphinx gettext builder's rule), so git shows real changes only.
Then translation memory (inputs/memory.py) offers each untranslated segment of an article
catalog, as fuzzy, what the language's other article catalogs already translate. A
catalog that cannot be read is one line and is left as it is; the others go on.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from pipeline.inputs.catalogs import (
    PROJECT,
    UI_DOMAIN,
    catalog_path,
    new_catalog,
    read_catalog,
    render_catalog,
    template_path,
    update_catalog,
    write_if_changed,
)
from pipeline.inputs.memory import Memory, MemoryReport, fill_from_memory
from pipeline.inputs.project import Project
from pipeline.inputs.translate import template_for
from pipeline.core.errors import HandoutsError
from pipeline.core.uitext import UI_SOURCE_LANGUAGE

PIPELINE_DIR = Path(__file__).resolve().parents[1]
UI_METHODS = [("templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
UI_OPTIONS = {"templates/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
UI_KEYWORDS = {"_": None, "gettext": None, "N_": None}


@dataclass
class ExtractReport:
    written: list[str]
    unchanged: list[str]
    memory: list[MemoryReport] = field(default_factory=list)  # catalogs that memory offered segments to
    problems: list[HandoutsError] = field(default_factory=list)  # catalogs that could not be read


def ui_template(now: datetime.datetime | None = None) -> Catalog:
    """The template words, extracted from the pipeline's templates and code."""
    template = Catalog(project=PROJECT, version="1", domain=UI_DOMAIN, charset="utf-8", fuzzy=False,
                       creation_date=now or datetime.datetime.now(datetime.timezone.utc), msgid_bugs_address="")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PIPELINE_DIR), UI_METHODS, UI_OPTIONS, keywords=UI_KEYWORDS, comment_tags=("NOTE:",),
        strip_comment_tags=True,
    ):
        if not isinstance(message, str) or not message:
            continue
        location = (f"pipeline/{filename}", lineno)
        existing = template.get(message, context=context)
        if existing is not None:
            existing.locations.append(location)
            continue
        template.add(message, locations=[location], auto_comments=comments, context=context)
    return template


def extract(project: Project) -> ExtractReport:
    """Write the templates and update every catalog; then offer each untranslated segment
    of an article catalog what the language's other article catalogs already translate."""
    config = project.config
    now = datetime.datetime.now(datetime.timezone.utc)
    report = ExtractReport([], [])
    ui = ui_template(now)
    _write(project, report, template_path(config.translations_dir, UI_DOMAIN), ui)
    for tag in config.languages:
        facts = config.facts(tag)
        if facts.language != UI_SOURCE_LANGUAGE.split("-")[0] and tag != UI_SOURCE_LANGUAGE:
            _update_and_write(project, report, facts.catalog_id, UI_DOMAIN, ui, now)
    templates = [(article, template_for(article)) for article in project.articles]
    for article, template in templates:
        _write(project, report, template_path(config.translations_dir, article.slug), template)
    for tag in config.languages:
        _extract_language(project, report, tag, templates, now)
    return report


def _extract_language(project: Project, report: ExtractReport, tag: str, templates: list,
                      now: datetime.datetime) -> None:
    """Every article catalog of one language updated, then offered the memory of the others."""
    facts = project.config.facts(tag)
    updated: dict[str, tuple[Path, Catalog]] = {}
    for article, template in templates:
        if tag == article.meta.source_language:
            continue
        path = catalog_path(project.config.translations_dir, facts.catalog_id, article.slug)
        catalog = _updated(project, report, path, facts.catalog_id, article.slug, template, now)
        if catalog is not None:
            updated[article.slug] = (path, catalog)
    memory = Memory()
    for slug, (path, catalog) in updated.items():
        memory.add_catalog(slug, catalog, facts.catalog_id, project.shown(path))
    _add_retired_catalogs(project, report, memory, facts.catalog_id, {a.slug for a, _ in templates})
    for slug, (path, catalog) in updated.items():
        offered = fill_from_memory(catalog, slug, tag, memory)
        if offered.offered:
            report.memory.append(offered)
        _write(project, report, path, catalog)


def _add_retired_catalogs(project: Project, report: ExtractReport, memory: Memory, catalog_id: str,
                          current: set[str]) -> None:
    """Catalogs of the language whose article is gone or renamed serve as memory too, as
    they are on disk (a renamed article gets its translations back)."""
    folder = catalog_path(project.config.translations_dir, catalog_id, UI_DOMAIN).parent
    for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
        if path.stem in current or path.stem == UI_DOMAIN:
            continue
        try:
            catalog = read_catalog(path, locale=catalog_id, shown=project.shown(path))
        except HandoutsError as error:
            report.problems.append(error)
            continue
        memory.add_catalog(path.stem, catalog, catalog_id, project.shown(path))


def _update_and_write(project: Project, report: ExtractReport, catalog_id: str, domain: str, template: Catalog,
                      now: datetime.datetime) -> None:
    path = catalog_path(project.config.translations_dir, catalog_id, domain)
    catalog = _updated(project, report, path, catalog_id, domain, template, now)
    if catalog is not None:
        _write(project, report, path, catalog)


def _updated(project: Project, report: ExtractReport, path: Path, catalog_id: str, domain: str,
             template: Catalog, now: datetime.datetime) -> Catalog | None:
    """The catalog brought up to date with its template (Babel), or None when it cannot be
    read: that is one line, the file is left as it is, and the other catalogs go on."""
    if path.exists():
        try:
            catalog = read_catalog(path, locale=catalog_id, shown=project.shown(path))
        except HandoutsError as error:
            report.problems.append(error)
            return None
    else:
        catalog = new_catalog(catalog_id, domain, now)
    # Babel puts the template's own Message objects into the catalog for new messages;
    # memory then fills them, so each language gets copies (else Spanish lands in French).
    update_catalog(catalog, copy.deepcopy(template))
    return catalog


def _write(project: Project, report: ExtractReport, path: Path, catalog: Catalog) -> None:
    shown = project.shown(path)
    if write_if_changed(path, render_catalog(catalog)):
        report.written.append(shown)
    else:
        report.unchanged.append(shown)
