"""Translation memory: an untranslated segment is offered, as *fuzzy*, the translation the
same language already has for the same sentence (or a close one) in another article.

The semantics are GNU gettext's `msgmerge --compendium`: the other article catalogs of
the language are the compendium; an exact match is a msgid translated there, a close
match one whose text is similar enough (`CLOSE_MATCH`); what is offered is always
fuzzy, so nothing is published until a translator has read it and cleared the flag
(a fuzzy entry makes its language wait). Only confirmed translations serve: fuzzy,
empty and obsolete entries never do, and template words (`ui.po`) are not memory.
A translation approved by a medical translator (a record whose digest matches, see
review.py) is preferred over a draft; then exact over close; then the same context;
then the higher similarity; then the source catalog's name, so that a run is
reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from babel.messages.catalog import Catalog, Message

from pipeline.core.errors import HandoutsError
from pipeline.inputs.qa import UNCHANGED_FLAG, numbers_in
from pipeline.inputs.review import Scope, content_digest, records_of, translation_of

# difflib's ratio (2 × matching characters / both lengths) from which a sentence counts as
# a close match. msgmerge and Babel offer from 0.6; medical sentences that alike often say
# something else ("can" / "can't", another organ), so only an edit of a few words is offered.
CLOSE_MATCH = 0.8
MEMORY_COMMENT = "memory: "
_PLACEHOLDER = re.compile(r"\{/?\d+/?\}")


@dataclass(frozen=True)
class Candidate:
    """A confirmed translation of another article catalog of the language."""

    slug: str
    context: str | None
    source: str
    translation: str
    reviewed: bool
    unchanged: bool  # the translator flagged it as intentionally the same as the English


@dataclass(frozen=True)
class Offer:
    candidate: Candidate
    similarity: float  # 1.0 for an exact match

    @property
    def exact(self) -> bool:
        return self.similarity == 1.0


class Similarity:
    """difflib's ratio of two sentences, remembered: the same new sentence is compared with
    the same memory in every language, so each pair is computed once per extract."""

    def __init__(self, threshold: float = CLOSE_MATCH) -> None:
        self.threshold = threshold
        self._known: dict[tuple[str, str], float] = {}

    def __call__(self, new: str, old: str) -> float:
        key = (new, old)
        if key not in self._known:
            self._known[key] = self._ratio(new, old)
        return self._known[key]

    def _ratio(self, new: str, old: str) -> float:
        if 2 * min(len(new), len(old)) < self.threshold * (len(new) + len(old)):
            return 0.0  # the lengths alone rule it out
        matcher = SequenceMatcher(None, new, old, autojunk=False)
        if matcher.real_quick_ratio() < self.threshold or matcher.quick_ratio() < self.threshold:
            return 0.0
        return matcher.ratio()


@dataclass
class Memory:
    """The confirmed translations of one language, by English source text."""

    similarity: Similarity = field(default_factory=Similarity)
    by_source: dict[str, list[Candidate]] = field(default_factory=dict)

    def add_catalog(self, slug: str, catalog: Catalog, catalog_id: str, shown: str) -> None:
        """Every translated, non-fuzzy, current entry of one article catalog."""
        scope = Scope(catalog_id, slug)
        for message in catalog:  # iterating a catalog gives its current entries, never obsolete ones
            if not _usable(message):
                continue
            candidate = Candidate(slug, message.context, message.id, translation_of(message),
                                  _reviewed(message, scope, shown), UNCHANGED_FLAG in message.flags)
            self.by_source.setdefault(message.id, []).append(candidate)

    def best(self, source: str, context: str | None, slug: str) -> Offer | None:
        """The offer for one segment of article `slug` (never from its own catalog)."""
        offers = [Offer(c, 1.0) for c in self.by_source.get(source, ()) if c.slug != slug]
        if any(o.candidate.reviewed for o in offers):
            return min(offers, key=lambda o: _rank(o, context))
        for old, candidates in self.by_source.items():
            candidates = [c for c in candidates if c.slug != slug and (c.reviewed or not offers)]
            if old == source or not candidates:
                continue
            ratio = self.similarity(source, old)
            if ratio >= self.similarity.threshold:
                offers += [Offer(c, min(ratio, 0.999)) for c in candidates]  # below 1: not exact
        return min(offers, key=lambda o: _rank(o, context), default=None)


def _usable(message: Message) -> bool:
    return (bool(message.id) and isinstance(message.id, str) and not message.fuzzy
            and isinstance(message.string, str) and bool(message.string.strip()))


def _reviewed(message: Message, scope: Scope, shown: str) -> bool:
    """Approved as it reads now. A record that does not belong here counts as no approval
    (the build and `handouts status` report it)."""
    try:
        approvals = records_of(message, scope, shown)
    except HandoutsError:
        return False
    digest = content_digest(message.context, message.id, translation_of(message))
    return any(a.content == digest for a in approvals)


def _rank(offer: Offer, context: str | None) -> tuple:
    c = offer.candidate
    return (not c.reviewed, not offer.exact, c.context != context, -offer.similarity, c.slug,
            c.context or "", c.source, c.translation)


# --- offering -----------------------------------------------------------------------


@dataclass
class MemoryReport:
    """What memory offered to one article catalog."""

    tag: str
    slug: str
    total: int = 0
    exact: int = 0
    close: int = 0
    reviewed: int = 0

    @property
    def offered(self) -> int:
        return self.exact + self.close

    def line(self) -> str:
        return (f"memory: {self.tag}: {self.offered} of {self.total} segments of {self.slug} offered "
                f"({self.exact} exact, {self.close} close; {self.reviewed} from reviewed translations)")


def fill_from_memory(catalog: Catalog, slug: str, tag: str, memory: Memory) -> MemoryReport:
    """Offer every untranslated entry of `catalog` its best match, as fuzzy with a comment
    naming the source. Translated and fuzzy entries are never touched."""
    report = MemoryReport(tag, slug)
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        report.total += 1
        if message.fuzzy or translation_of(message).strip():
            continue
        offer = memory.best(message.id, message.context, slug)
        if offer is None:
            continue
        _apply(message, offer)
        report.exact += offer.exact
        report.close += not offer.exact
        report.reviewed += offer.candidate.reviewed
    return report


def _apply(message: Message, offer: Offer) -> None:
    candidate = offer.candidate
    message.string = candidate.translation
    message.flags.add("fuzzy")
    if offer.exact and candidate.unchanged:
        message.flags.add(UNCHANGED_FLAG)
    if not offer.exact:
        message.previous_id = [candidate.source]  # as msgmerge --previous: the editor shows the difference
    message.user_comments = [c for c in message.user_comments if not c.startswith(MEMORY_COMMENT)]
    message.user_comments.append(memory_comment(offer, message.id, message.context))


def memory_comment(offer: Offer, source: str, context: str | None) -> str:
    """`memory: from <slug>.po (reviewed)`; a close match says so, with its similarity and
    whether its placeholders or numbers differ (the `#| msgid` shows the earlier English)."""
    candidate = offer.candidate
    state = "reviewed" if candidate.reviewed else "draft"
    where = f"{candidate.slug}.po"
    if candidate.context != context:
        where += f", where it is a {candidate.context or 'message without context'}"
    if offer.exact:
        return f"{MEMORY_COMMENT}from {where} ({state})"
    differences = [what for what, left, right in (
        ("placeholders", _placeholders(candidate.source), _placeholders(source)),
        ("numbers", numbers_in(candidate.source), numbers_in(source)),
    ) if left != right]
    check = f"; its {' and '.join(differences)} differ" if differences else ""
    return f"{MEMORY_COMMENT}close match ({int(offer.similarity * 100)}%) from {where} ({state}){check}"


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))
