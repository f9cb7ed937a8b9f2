"""The front matter of a source: YAML fields (title, language, reviewers…) read into
`Metadata`, each wrong value refused with its line. Dates stay text until checked here,
so that a bad date gets a clear error rather than YAML's own type."""

from __future__ import annotations

import datetime
from typing import Any

import yaml

from pipeline.core import characters
from pipeline.core.document import Metadata, Reviewer, Segment, Text
from pipeline.core.errors import ConfigError, SourceError
from pipeline.core.locales import facts_for, to_bcp47
from pipeline.inputs.segment_ids import SegmentIds

FIELDS: dict[str, str] = {
    "title": "text",
    "language": "language tag",
    "authors": "list of names",
    "reviewers": "list of name + credentials",
    "updated": "date (YYYY-MM-DD)",
    "categories": "list of words",
    "summary": "text",
    "related": "list of titles",
}
REQUIRED = ("title", "language")



class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: we parse them ourselves, with a clear error."""


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def split_front_matter(text: str, shown: str) -> tuple[str, str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise SourceError("the file does not start with YAML front matter", file=shown, line=1,
                          hint="begin with a line '---', the fields (title, language, ...), and another '---'")
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, body, index + 1
    raise SourceError("the front matter is never closed", file=shown, line=1, hint="end it with a line '---'")


def load_front_matter(front: str, shown: str) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node = yaml.compose(front, Loader=_FrontMatterLoader)
        data = yaml.load(front, Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 2 if mark else None
        raise SourceError(f"broken YAML front matter: {error.problem or error}", file=shown, line=line,
                          hint="check indentation, colons and quotes (quote titles that contain ': ')") from None
    except yaml.YAMLError as error:
        raise SourceError(f"broken YAML front matter: {error}", file=shown, line=2) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise SourceError("the front matter must be a set of 'field: value' lines", file=shown, line=2)
    lines: dict[str, int] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in lines:
            raise SourceError(f"the field '{key}' is given twice", file=shown, line=key_node.start_mark.line + 2,
                              hint="keep one")
        lines[key] = key_node.start_mark.line + 2
    for key in data:
        if str(key) not in FIELDS:
            raise SourceError(f"unknown front-matter field '{key}'", file=shown, line=lines.get(str(key)),
                              hint=f"valid fields: {', '.join(FIELDS)}")
    for key in REQUIRED:
        if key not in data or data[key] in (None, ""):
            raise SourceError(f"the required field '{key}' is missing", file=shown, line=2,
                              hint=f"add '{key}:' to the front matter")
    return data, lines


def metadata(fields: dict[str, Any], lines: dict[str, int], shown: str, ids: SegmentIds) -> Metadata:
    def wrong(key: str, value: Any) -> SourceError:
        return SourceError(f"'{key}' must be a {FIELDS[key]}, not {value!r}", file=shown, line=lines.get(key))

    def safe(key: str, value: str) -> str:
        """A value as YAML decoded it: its escapes (\\u202E) may make what the file does not show."""
        unsafe = characters.problem(value)
        if unsafe:
            raise SourceError(f"{key}: {unsafe[1]}", file=shown, line=lines.get(key), hint=unsafe[2])
        return value

    def text_field(key: str) -> str | None:
        value = fields.get(key)
        if value is None:
            return None
        if isinstance(value, (dict, list, bool)) or not str(value).strip():
            raise wrong(key, value)
        return " ".join(safe(key, str(value)).split())

    def list_field(key: str) -> list[str]:
        value = fields.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and str(v).strip() for v in value):
            raise wrong(key, value)
        return [" ".join(safe(key, str(v)).split()) for v in value]

    language_value = text_field("language")
    try:
        language = to_bcp47(language_value or "")
        facts_for(language)
    except ConfigError as error:
        raise SourceError(f"language: {error.what}", file=shown, line=lines.get("language"), hint=error.hint) from None

    reviewers = _reviewers(fields.get("reviewers") or [], lines, shown, wrong, safe)
    updated = _updated(fields.get("updated"), lines, shown)

    def segment(role: str, value: str, key: str) -> Segment:
        return ids.make(role, (Text(value),), lines.get(key, 0))

    title = text_field("title")
    summary = text_field("summary")
    assert title is not None
    return Metadata(
        title=segment("title", title, "title"),
        language=language,
        source_language=language,
        authors=tuple(list_field("authors")),
        reviewers=tuple(reviewers),
        updated=updated,
        categories=tuple(segment("category", c, "categories") for c in list_field("categories")),
        summary=segment("summary", summary, "summary") if summary else None,
        related=tuple(segment("related reading", r, "related") for r in list_field("related")),
    )


def _reviewers(raw: Any, lines: dict[str, int], shown: str, wrong, safe) -> list[Reviewer]:
    """`reviewers:` as a list of `name` (required) and `credentials` (optional)."""
    if not isinstance(raw, list):
        raise wrong("reviewers", raw)
    reviewers: list[Reviewer] = []
    for entry in raw:
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip() or set(entry) - {"name", "credentials"}:
            raise SourceError(
                f"each reviewer needs 'name' and may have 'credentials', not {entry!r}",
                file=shown, line=lines.get("reviewers"),
                hint="write '- name: Violet Hanft' and '  credentials: RN'",
            )
        reviewers.append(Reviewer(safe("reviewers", str(entry["name"])).strip(),
                                  safe("reviewers", str(entry.get("credentials") or "")).strip()))
    return reviewers


def _updated(updated: Any, lines: dict[str, int], shown: str) -> datetime.date | None:
    """`updated:` as a date; YAML's own dates are kept as text by the loader."""
    if updated is not None:
        if isinstance(updated, datetime.datetime):
            updated = updated.date()
        elif not isinstance(updated, datetime.date):
            try:
                updated = datetime.date.fromisoformat(str(updated))
            except ValueError:
                raise SourceError(f"'updated' is not a date: {updated!r}", file=shown, line=lines.get("updated"),
                                  hint="write it as YYYY-MM-DD, e.g. 2020-05-29") from None
    return updated
