"""`handouts extract`: write the .pot templates and bring every catalog up to date.

Two domains, laid out the way Babel's own tools (and Poedit, Weblate) expect:
`translations/<slug>.pot` per article, and `translations/ui.pot` for the words of the
templates, extracted from `pipeline/templates/*.j2` and the writers' `ui.gettext()`
calls with Babel's extractors. Updating uses Babel's `Catalog.update`: a changed
source sentence becomes fuzzy with its previous text kept, a new one appears
untranslated, a removed one becomes obsolete. Files are rewritten only when more than
their dates changed (the Sphinx gettext builder's rule), so git shows real changes only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
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
from pipeline.inputs.project import Project
from pipeline.inputs.translate import template_for
from pipeline.core.uitext import UI_SOURCE_LANGUAGE

PIPELINE_DIR = Path(__file__).resolve().parents[1]
UI_METHODS = [("templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
UI_OPTIONS = {"templates/**.j2": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
UI_KEYWORDS = {"_": None, "gettext": None, "N_": None}


@dataclass
class ExtractReport:
    written: list[str]
    unchanged: list[str]


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
    config = project.config
    now = datetime.datetime.now(datetime.timezone.utc)
    report = ExtractReport([], [])
    domains: list[tuple[str, Catalog, str]] = [(UI_DOMAIN, ui_template(now), UI_SOURCE_LANGUAGE)]
    for article in project.articles:
        domains.append((article.slug, template_for(article), article.meta.source_language))

    for domain, template, source_language in domains:
        pot = template_path(config.translations_dir, domain)
        _write(project, report, pot, template)
        for tag in config.languages:
            facts = config.facts(tag)
            if facts.language == source_language.split("-")[0] and domain == UI_DOMAIN:
                continue
            if tag == source_language:
                continue
            path = catalog_path(config.translations_dir, facts.catalog_id, domain)
            if path.exists():
                catalog = read_catalog(path, locale=facts.catalog_id, shown=project.shown(path))
            else:
                catalog = new_catalog(facts.catalog_id, domain, now)
            update_catalog(catalog, template)
            _write(project, report, path, catalog)
    return report


def _write(project: Project, report: ExtractReport, path: Path, catalog: Catalog) -> None:
    shown = project.shown(path)
    if write_if_changed(path, render_catalog(catalog)):
        report.written.append(shown)
    else:
        report.unchanged.append(shown)
