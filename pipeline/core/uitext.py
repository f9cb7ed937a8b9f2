"""The words of the templates themselves ("Page 2 of 4", "Related reading", ...) in one language.

They come from the `ui` gettext domain, extracted from the templates and from the
`ui.gettext("...")` calls in the writers with Babel's extractors (`extract.py`). The
source language of these words is English; every other language needs a complete,
non-fuzzy `translations/<lang>/LC_MESSAGES/ui.po`, and a word that is missing raises
instead of quietly printing English on a translated handout.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog
from pipeline.core.errors import CatalogError

UI_SOURCE_LANGUAGE = "en"
_NAMED = re.compile(r"%\([a-z_]+\)s")
# Markup in a translation (tags or a script address): never allowed in any catalog.
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>|\bjavascript\s*:", re.IGNORECASE)


def N_(message: str) -> str:
    """Mark a template word for extraction where it is defined, not where it is looked up."""
    return message


REVIEW_NOTICE = N_(
    "This is a draft translation. A qualified medical translator has not reviewed it yet. "
    "Ask your care team if anything is unclear."
)


class UiText:
    """`gettext` for one language; plain text for Python callers, escaped markup for Jinja."""

    def __init__(self, language: str, catalog: Catalog | None = None, shown: str = "") -> None:
        self.language = language
        self.catalog = catalog
        self.shown = shown
        if catalog is None and language.split("-")[0] != UI_SOURCE_LANGUAGE:
            raise CatalogError(f"no template-words catalog for {language}", file=shown or None,
                               hint="run 'handouts extract' and translate ui.po")

    def gettext(self, message_id: str, **values: object) -> str:
        """The translation of `message_id`, with %(name)s values filled in."""
        text = self._lookup(message_id)
        return text % values if values else text

    def markup(self, message_id: str, **values: object) -> Markup:
        """For Jinja: the translation escaped, then the (escaped) values filled in."""
        translated = escape(self._lookup(message_id))
        return translated % {k: v for k, v in values.items()} if values else translated

    def validate(self, template) -> None:
        """Raise the first problem of any template word (missing, fuzzy, markup, placeholders)
        now, before a writer meets it half-way through a handout. An optional word (see
        OPTIONAL_WORDS) may be missing, never wrong."""
        for message in template:
            if message.id and isinstance(message.id, str):
                if message.id in OPTIONAL_WORDS and not self.has(message.id):
                    continue
                self._lookup(message.id)

    def has(self, message_id: str) -> bool:
        """Whether the word is translated (not missing, not fuzzy) in this language."""
        if self.catalog is None:
            return True
        message = self.catalog.get(message_id)
        return message is not None and bool(message.string) and not message.fuzzy

    def optional(self, message_id: str, **values: object) -> str | None:
        """An optional word, or None while this language has not translated it: the caller
        then says it with the words it has, never in English."""
        return self.gettext(message_id, **values) if self.has(message_id) else None

    def _lookup(self, message_id: str) -> str:
        if self.catalog is None:
            return message_id
        message = self.catalog.get(message_id)
        if message is None or not message.string or message.fuzzy:
            state = "fuzzy" if message is not None and message.fuzzy else "missing"
            raise CatalogError(f"the template words are {state} for this message", file=self.shown,
                               line=message.lineno if message is not None else None, msgid=message_id,
                               hint="run 'handouts extract' and translate ui.po")
        if MARKUP.search(message.string):
            raise CatalogError("the translation contains markup", file=self.shown, line=message.lineno,
                               msgid=message_id, hint="write plain text")
        wanted, given = sorted(_NAMED.findall(message_id)), sorted(_NAMED.findall(message.string))
        if wanted != given:
            raise CatalogError(f"placeholders do not match the source: expected {', '.join(wanted) or 'none'}, "
                               f"found {', '.join(given) or 'none'}", file=self.shown, line=message.lineno,
                               msgid=message_id, hint="keep every %(name)s of the source exactly once")
        return message.string


# Words of the clinic block, the QR code and the EPUB page list (handouts), and of the
# download site. Defined here so that translators see them with the rest; the templates
# and writers look them up with the same text.
CLINIC_QUESTIONS = N_("Questions? Call %(clinic)s at %(phone)s.")
CLINIC_LOGO = N_("Logo of %(clinic)s")
QR_INVITATION = N_("Scan this code with your phone camera to listen to this handout or read it as an e-book.")
QR_DESCRIPTION = N_("QR code for the audio narration and the e-book of this handout")
PAGE_LIST = N_("Pages")
# NOTE: a translation reviewer and the credential they gave, e.g. "Ana García (CMI, Spanish)".
REVIEWER_WITH_CREDENTIAL = N_("%(name)s (%(credential)s)")
TRANSLATION_REVIEWED = N_("Translation reviewed by %(name)s on %(date)s.")
# Words added after the languages were translated. Until a language translates one, its
# handouts say the same with the words it has (see `UiText.optional`): a new word never
# holds a language back and never puts English in a handout.
SITE_WORDS = (
    N_("Patient handouts"),
    N_("All handouts in this language. Print the large-print handout, read the e-book, or listen to the narration."),
    N_("Skip to the handouts"),
    N_("All languages"),
    N_("Large-print handout"),
    N_("E-book"),
    N_("E-book with read-along narration"),
    N_("Audio narration"),
    N_("Captions of the narration"),
    N_("Web page"),
    N_("No narration yet"),
)
# NOTE: the heading of the list of topics (the articles' categories) on a language's page.
TOPICS_WORD = N_("Topics")

# The braille edition's own words (its title page and transcriber's notes), and the download
# site's words for braille files.
BRAILLE_PAGES = N_("Braille pages: %(count)s")
BRAILLE_VOLUME = N_("Volume %(number)s of %(total)s")
BRAILLE_IMAGE = "Image: %(description)s"  # the narration's words for an image (writers/narration.py)
# NOTE: Opens a note the braille transcriber adds (an image description, a link's address).
BRAILLE_NOTE = N_("Transcriber's note: %(note)s")
BRAILLE_WORDS = (BRAILLE_PAGES, BRAILLE_VOLUME, BRAILLE_NOTE)
BRAILLE_BRF = N_("Braille for embossers (BRF)")
BRAILLE_PEF = N_("Braille (PEF)")
BRAILLE_DETAILS = N_("grade %(grade)s, braille pages: %(pages)s")
BRAILLE_ON_REQUEST = N_("Braille on request from the clinic")
BRAILLE_SITE_WORDS = (BRAILLE_BRF, BRAILLE_PEF, BRAILLE_DETAILS, BRAILLE_ON_REQUEST)
# Words that only an optional output uses: a language whose catalog does not translate them
# yet is still published (its handouts need none of them); the braille edition waits for
# its words (one line says which), and the download page shows its braille words in English,
# marked as English, until they are translated.
OPTIONAL_WORDS = frozenset({REVIEWER_WITH_CREDENTIAL, *BRAILLE_WORDS, *BRAILLE_SITE_WORDS})
