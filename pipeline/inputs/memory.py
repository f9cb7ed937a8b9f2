"""Translation memory: an untranslated segment is offered, as *fuzzy*, the translation the
same language already has for the same sentence (or a close one) in another article.

The semantics are GNU gettext's `msgmerge --compendium`: the other article catalogs of
the language are the compendium; an exact match is a msgid translated there, a close
match one whose text is similar enough (`CLOSE_MATCH`, 0.8 of difflib's ratio); what is
offered is always fuzzy, so nothing is published until a translator has read it and
cleared the flag (a fuzzy entry makes its language wait). Only confirmed translations serve: fuzzy,
empty and obsolete entries never do, and template words (`ui.po`) are not memory.
An exact match always beats a close one; among equals, a translation approved by a
medical translator (a record whose digest matches, see review.py) beats a draft; then
the same context; then the higher similarity; then the source catalog's name, so that a run is
reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babel.messages.catalog import Catalog, Message
from rapidfuzz import fuzz, process

from pipeline.core.errors import HandoutsError
from pipeline.inputs.qa import UNCHANGED_FLAG, numbers_in
from pipeline.inputs.review import Scope, content_digest, records_of, translation_of

# The similarity (see `similarity`) from which a sentence counts as a close match. msgmerge
# and Babel offer from 0.6; medical sentences that alike often say something else ("can" /
# "can't", another organ), so only an edit of a few words is offered.
CLOSE_MATCH = 0.8
MEMORY_COMMENT = "memory: "
_STATES = ("(draft)", "(reviewed)")  # how a memory comment ends
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


def similarity(new: str, old: str) -> float:
    """How alike two sentences are, 0 to 1: 2 × the characters they share in order over both
    lengths (difflib's ratio, computed exactly by rapidfuzz: a library's worth of memory is
    compared in a fraction of a second where difflib took seconds per language)."""
    return fuzz.ratio(new, old) / 100


@dataclass
class Memory:
    """The confirmed translations of one language, by English source text."""

    by_source: dict[str, list[Candidate]] = field(default_factory=dict)
    threshold: float = CLOSE_MATCH

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
        """The offer for one segment of article `slug` (never from its own catalog). An exact
        match always beats a close one: a close match's translation says another sentence."""
        offers = [Offer(c, 1.0) for c in self.by_source.get(source, ()) if c.slug != slug]
        if not offers:
            choices = [old for old, candidates in self.by_source.items()
                       if old != source and any(c.slug != slug for c in candidates)]
            for old, score, _ in process.extract(source, choices, scorer=fuzz.ratio,
                                                 score_cutoff=self.threshold * 100, limit=None):
                offers += [Offer(c, min(score / 100, 0.999))  # below 1: not exact
                           for c in self.by_source[old] if c.slug != slug]
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
    return (not offer.exact, not c.reviewed, c.context != context, -offer.similarity, c.slug,
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
    message.user_comments = without_memory_comments(message.user_comments)
    message.user_comments.append(memory_comment(offer, message.id, message.context))


def without_memory_comments(comments: list[str]) -> list[str]:
    """The translator comments less an earlier offer's, which Babel may have wrapped over
    several lines: it runs from `memory: ` to the line that ends `(draft)` or `(reviewed)`."""
    kept: list[str] = []
    inside = False
    for comment in comments:
        inside = inside or comment.strip().startswith(MEMORY_COMMENT)
        if not inside:
            kept.append(comment)
        elif comment.rstrip().endswith(_STATES):
            inside = False
    return kept


def memory_comment(offer: Offer, source: str, context: str | None) -> str:
    """`memory: from <slug>.po (reviewed)`; a close match says so, with its similarity and
    whether its placeholders or numbers differ (the `#| msgid` shows the earlier English):
    `memory: close match (93%), its numbers differ, from <slug>.po (draft)`."""
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
    check = f", its {' and '.join(differences)} differ," if differences else ""
    return f"{MEMORY_COMMENT}close match ({int(offer.similarity * 100)}%){check} from {where} ({state})"


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))
