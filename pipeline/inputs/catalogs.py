"""Gettext catalogs on disk: where they live, how they are read, checked and written.

Babel does the PO work. Two small extensions of its public classes: `ProjectCatalog`
keeps the headers Babel does not know (`X-…`) that it would otherwise drop on rewrite,
and `_StrictParser` refuses a message that appears twice instead of keeping the last.
Everything a translator can get wrong is reported as a `CatalogError` with the file,
the line and the message id.
"""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, PoFileParser, write_po

from pipeline.core import characters
from pipeline.core.errors import CatalogError
from pipeline.core.layout import UI_DOMAIN, catalog_ids_on_disk, catalog_path, template_path  # noqa: F401 - re-exported

MAX_CATALOG_BYTES = 2_000_000
PROJECT = "Patient handouts"


class ProjectCatalog(Catalog):
    """A Babel catalog that keeps the headers Babel does not know (our review state)."""

    def __init__(self, *args, **kwargs) -> None:
        self.extra_headers: dict[str, str] = {}
        # Babel fills a missing revision date with "now"; only a date the file states counts.
        self.declared_revision_date: datetime.datetime | None = None
        super().__init__(*args, **kwargs)

    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers = super()._get_mime_headers()
        known = {name.lower() for name, _ in headers}
        extra = [(name, value) for name, value in self.extra_headers.items() if name.lower() not in known]
        # Babel ends its last header (Generated-By) with a newline; ours go before it, or
        # the blank line would end the header block when the file is read back.
        last = [h for h in headers if h[0].lower() == "generated-by"]
        return [h for h in headers if h[0].lower() != "generated-by"] + extra + last

    def _set_mime_headers(self, headers) -> None:
        headers = list(headers)
        super()._set_mime_headers(headers)
        for name, value in headers:
            if name.lower() == "po-revision-date" and "YEAR" not in value:
                self.declared_revision_date = self.revision_date
            if name.lower().startswith("x-"):
                self.extra_headers[_header_case(name)] = value

    mime_headers = property(_get_mime_headers, _set_mime_headers)


def _header_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


class _StrictParser(PoFileParser):
    """Babel's parser, refusing a message id (with its context) that was seen before, and
    keeping the `#| msgid` previous text of fuzzy entries (Babel reads it as a comment)."""

    def __init__(self, catalog: Catalog, shown: str) -> None:
        super().__init__(catalog, ignore_obsolete=False, abort_invalid=True)
        self.shown = shown
        self.first_seen: dict[object, int] = {}
        self.previous: list[str] = []
        self.previous_keyword = ""

    def _process_comment(self, line) -> None:
        if not line.startswith("#|"):
            super()._process_comment(line)
            return
        self._finish_current_message()
        rest = line[2:].strip()
        for keyword in ("msgctxt", "msgid_plural", "msgid"):
            if rest.startswith(keyword + " "):
                self.previous_keyword = keyword
                rest = rest[len(keyword):].strip()
                break
        if self.previous_keyword == "msgid" and rest.startswith('"'):
            from babel.messages.pofile import unescape

            self.previous.append(unescape(rest))

    def _add_message(self) -> None:
        previous = "".join(self.previous)
        self.previous, self.previous_keyword = [], ""
        self._check_duplicate()
        key = (self.messages[0].denormalize() if self.messages else None,
               self.context.denormalize() if self.context else None)
        super()._add_message()
        if previous and key[0] is not None and not isinstance(key[0], tuple):
            message = self.catalog.get(key[0], context=key[1])
            if message is not None:
                message.previous_id = [previous]

    def _check_duplicate(self) -> None:
        if not self.obsolete and self.messages:
            msgid = self.messages[0].denormalize() if len(self.messages) == 1 else tuple(m.denormalize() for m in self.messages)
            context = self.context.denormalize() if self.context else None
            key = (msgid if isinstance(msgid, str) else msgid[0], context)
            line = self.offset + 1
            if key in self.first_seen and key[0] != "":
                raise CatalogError(
                    f"the message appears twice (first on line {self.first_seen[key]})",
                    file=self.shown,
                    line=line,
                    msgid=key[0],
                    hint="delete one of the two entries",
                )
            self.first_seen[key] = line


# --- where catalogs live ------------------------------------------------------------


# --- reading ------------------------------------------------------------------------


def read_catalog(path: Path, *, locale: str | None, shown: str | None = None) -> ProjectCatalog:
    """Read and check one .po/.pot file. Raises CatalogError with the file and line."""
    shown = shown or str(path)
    size = path.stat().st_size
    if size > MAX_CATALOG_BYTES:
        raise CatalogError(f"the catalog is {size:,} bytes; the limit is {MAX_CATALOG_BYTES:,}", file=shown,
                           hint="this is not a catalog of one article; check the file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CatalogError("the file is not UTF-8", file=shown, line=line,
                           hint="save the catalog as UTF-8 (Poedit: Catalog > Properties > Charset UTF-8)") from None
    return parse_catalog(text, locale=locale, shown=shown)


def parse_catalog(text: str, *, locale: str | None, shown: str) -> ProjectCatalog:
    unsafe = characters.problem(text)
    if unsafe:
        index, what, hint = unsafe
        raise CatalogError(what, file=shown, line=characters.line_of(text, index), hint=hint)
    catalog = ProjectCatalog(locale=locale, domain=None, charset="utf-8")
    parser = _StrictParser(catalog, shown)
    try:
        parser.parse(io.StringIO(text.lstrip("\ufeff")))
    except PoFileError as error:
        message = re.sub(r" on \d+$", "", str(error))
        raise CatalogError(f"PO syntax error: {message}", file=shown, line=error.lineno + 1,
                           hint="compare with the entries around it; every msgid needs a msgstr in quotes") from None
    except (ValueError, IndexError) as error:
        raise CatalogError(f"PO syntax error: {error}", file=shown, line=parser.offset + 1) from None
    header_line = _header_lines(text)
    if catalog.charset.lower() not in ("utf-8", "utf8"):
        raise CatalogError(f"the catalog declares charset {catalog.charset}", file=shown,
                           line=header_line.get("content-type"), hint="declare and save it as UTF-8")
    if locale is not None:
        _check_header_language(catalog, text, locale, shown, header_line)
    return catalog


def _header_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r'^\s*"([A-Za-z-]+):', line)
        if match and match.group(1).lower() not in lines:
            lines[match.group(1).lower()] = number
        if number > 60:
            break
    return lines


def _check_header_language(catalog: ProjectCatalog, text: str, locale: str, shown: str, header_line: dict[str, int]) -> None:
    declared = re.search(r'"Language:\s*([^\\"]*)', text)
    if declared and declared.group(1).strip():
        value = declared.group(1).strip().replace("-", "_")
        if value != locale:
            raise CatalogError(f"the header says Language: {declared.group(1).strip()}, but the folder is {locale}",
                               file=shown, line=header_line.get("language"),
                               hint=f"move the file to translations/{value}/ or fix the header")
    plural = re.search(r'"Plural-Forms:\s*([^\\"]*)', text)
    if plural:
        expected = get_plural(locale)
        nplurals = re.search(r"nplurals\s*=\s*(\d+)", plural.group(1))
        if not nplurals or int(nplurals.group(1)) != expected.num_plurals:
            raise CatalogError(
                f"Plural-Forms '{plural.group(1).strip()}' is not right for {locale}",
                file=shown, line=header_line.get("plural-forms"),
                hint=f"use 'nplurals={expected.num_plurals}; plural={expected.plural_expr};'",
            )


# --- updating -----------------------------------------------------------------------


def update_catalog(catalog: Catalog, template: Catalog) -> None:
    """Babel's `Catalog.update`, keeping the previous text of entries that stay fuzzy
    (Babel only records it on the update that makes them fuzzy)."""
    previous = {
        (m.id, m.context): list(m.previous_id) for m in catalog if m.id and m.fuzzy and m.previous_id
    }
    catalog.update(template, update_header_comment=False, update_creation_date=True)
    for message in catalog:
        if message.id and message.fuzzy and not message.previous_id:
            message.previous_id = previous.get((message.id, message.context), [])


def without_messages(template: Catalog, message_ids) -> Catalog:
    """A copy of `template` without the given messages (for counting what is required)."""
    copy = Catalog(locale=template.locale, domain=template.domain, charset="utf-8", fuzzy=False)
    for message in template:
        if message.id and message.id not in message_ids:
            copy[message.id] = message
    return copy


# --- writing ------------------------------------------------------------------------


def render_catalog(catalog: Catalog) -> str:
    """The catalog as a PO file. The previous text of a fuzzy entry (`#| msgid`) is written
    as GNU gettext writes it: Babel 2.18 passes a long one through its comment wrapper,
    which joins its quoted lines into `#| msgid "" "…` that msgmerge, msgfmt and Poedit
    refuse as a syntax error."""
    previous: dict[str, list] = {}
    for number, message in enumerate(m for m in catalog if m.id and m.previous_id):
        token = f"handouts-previous-{number}"
        previous[token] = list(message.previous_id)
        message.previous_id = [token, *previous[token][1:]]
    buffer = io.BytesIO()
    try:
        write_po(buffer, catalog, width=78, omit_header=False, sort_output=False, ignore_obsolete=False,
                 include_previous=True)
    finally:
        for message in catalog:
            if message.id and message.previous_id and message.previous_id[0] in previous:
                message.previous_id = previous[message.previous_id[0]]
    return _PREVIOUS_TOKEN.sub(lambda m: _previous_lines(previous[m.group(1)][0]), buffer.getvalue().decode("utf-8"))


_PREVIOUS_TOKEN = re.compile(r'^#\| msgid "(handouts-previous-\d+)"\n', re.MULTILINE)


def _previous_lines(text: str) -> str:
    from babel.messages.pofile import normalize

    lines = normalize(text, width=75).splitlines()
    return f"#| msgid {lines[0]}\n" + "".join(f"#| {line}\n" for line in lines[1:])


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` unless the file already says the same (dates aside): no churn in git."""
    if path.exists() and _without_dates(path.read_text("utf-8")) == _without_dates(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    from pipeline.core.atomic import atomic_write_text

    atomic_write_text(path, text)
    return True


def _without_dates(text: str) -> str:
    return re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*"', "", text)


def new_catalog(locale: str, domain: str, fixed_date: datetime.datetime) -> ProjectCatalog:
    """A fresh, untranslated catalog for a language: a draft until its segments are approved."""
    catalog = ProjectCatalog(locale=locale, domain=domain, project=PROJECT, version="1",
                             creation_date=fixed_date, revision_date=fixed_date, charset="utf-8", fuzzy=False)
    catalog.header_comment = (
        f"# {catalog.locale.english_name} translation of '{domain}' (patient handouts).\n"
        "# A DRAFT until a qualified medical translator approves every segment:\n"
        "# 'handouts review' writes the review sheets, 'handouts approve' records\n"
        "# the approval on each entry ('# approved <date> by <name> (<credential>)').\n"
        "#"
    )
    return catalog
