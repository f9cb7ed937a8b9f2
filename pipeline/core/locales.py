"""Every per-language fact in one place, answered from Babel's CLDR data and our tables.

Writers ask `facts.direction`, `facts.fonts`, `facts.format_date(d)`; they never
compare language codes themselves. Two spellings of a language circulate: the BCP 47
tag (`zh-Hans`, `pt-BR`) used in HTML, EPUB, ID3 and file names, and the gettext/Babel
identifier (`zh_Hans`, `pt_BR`) used for catalog folders. This module converts.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.lists import format_list as babel_format_list

from pipeline.core.errors import ConfigError

# A strict subset of BCP 47: language, optional script, optional region. Nothing that
# could be a path (no dots, slashes or spaces) gets through.
_TAG = re.compile(r"^(?P<lang>[a-z]{2,3})(?:[-_](?P<script>[A-Z][a-z]{3}))?(?:[-_](?P<region>[A-Z]{2}|\d{3}))?$")

# Digits of the CLDR numbering systems our languages use by default.
_DIGITS = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
    "beng": "০১২৩৪৫৬৭৮৯",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
}
# The CSS counter style that writes page numbers in those digits.
_COUNTER_STYLES = {"latn": "decimal", "arab": "arabic-indic", "arabext": "persian", "deva": "devanagari",
                   "beng": "bengali", "mymr": "myanmar"}

PAPER_SIZES = {"letter": "letter", "a4": "A4"}


def is_valid_tag(code: str) -> bool:
    return bool(_TAG.match(code))


def to_bcp47(code: str) -> str:
    """'zh_Hans' -> 'zh-Hans'; 'pt_BR' -> 'pt-BR'; refuses anything that is not a tag."""
    match = _TAG.match(code)
    if not match:
        raise ConfigError(
            f"'{code}' is not a language tag",
            hint="use a BCP 47 tag such as es, zh-Hans or pt-BR",
        )
    parts = [match["lang"]] + [p for p in (match["script"], match["region"]) if p]
    return "-".join(parts)


@functools.lru_cache(maxsize=256)
def to_catalog_id(code: str) -> str:
    """'zh-Hans' -> 'zh_Hans': the folder name under translations/ (Babel's identifier)."""
    return to_bcp47(code).replace("-", "_")


@dataclass(frozen=True)
class LocaleFacts:
    """What a writer needs to know about one language. Plain data, cheap to pickle."""

    tag: str
    catalog_id: str
    native_name: str
    english_name: str
    direction: str
    script: str
    fonts: tuple[str, ...]
    font_package: str
    line_height: float
    numbering: str
    paper: str = "letter"
    line_breaks: str = "spaces"  # or a rule of writers/common/line_breaks.py for scripts without spaces
    complex_shaping: bool = False  # glyph order is not text order (see pipeline/data/scripts.toml)

    @property
    def babel_locale(self) -> Locale:
        return _babel_locale(self.catalog_id)

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def language(self) -> str:
        """The bare language subtag ('zh' for zh-Hans)."""
        return self.tag.split("-")[0]

    @property
    def iso639_2(self) -> str:
        """The three-letter ISO 639-2 code that ID3 TLAN frames want."""
        import pycountry  # imported here: only the audio writer asks

        record = pycountry.languages.get(alpha_2=self.language) or pycountry.languages.get(alpha_3=self.language)
        return record.alpha_3 if record else "und"

    @property
    def counter_style(self) -> str:
        return _COUNTER_STYLES.get(self.numbering, "decimal")

    @property
    def css_font_family(self) -> str:
        return ", ".join(f'"{name}"' for name in self.fonts) + ", sans-serif"

    @property
    def display_name(self) -> str:
        """The native name as it starts a line in a list: 'Español', not 'español'."""
        name = self.native_name
        return name[:1].upper() + name[1:]

    def localize_digits(self, text: str) -> str:
        digits = _DIGITS.get(self.numbering)
        if not digits or self.numbering == "latn":
            return text
        return text.translate(str.maketrans("0123456789", digits))

    def format_number(self, number: int) -> str:
        return self.localize_digits(str(number))

    @property
    def own_data(self) -> dict:
        """What pipeline/data/languages.toml supplies where CLDR lacks this language."""
        return _table("languages.toml").get(self.tag, {})

    def format_date(self, day: datetime.date) -> str:
        data = self.own_data
        if "months" in data:
            text = data["date_pattern"].format(day=day.day, month=data["months"][day.month - 1], year=day.year)
        else:
            text = babel_format_date(day, "long", locale=self.babel_locale)
        return self.localize_digits(text)

    def language_name(self, tag: str) -> str:
        """The name of another language in this one ('angle' for English, in Kreyòl)."""
        names = self.own_data.get("language_names", {})
        if tag in names:
            return names[tag]
        return _babel_locale(to_catalog_id(tag)).get_display_name(self.babel_locale) or tag

    def format_duration(self, seconds: float) -> str:
        """'7 min', '7 分', '۷ دقیقه': whole minutes, rounded up, in the language's words."""
        from babel.units import format_unit

        minutes = max(1, math.ceil(seconds / 60))
        own = self.own_data.get("units", {}).get("minute")
        if own:
            return self.localize_digits(own.format(minutes))
        return self.localize_digits(format_unit(minutes, "duration-minute", length="short", locale=self.babel_locale))

    def format_size(self, size: int) -> str:
        """'3.4 MB' or '120 kB' in the language's own unit words and decimal sign."""
        from babel.units import format_unit

        big = size >= 1_000_000
        value, unit = (size / 1_000_000, "megabyte") if big else (max(1, round(size / 1000)), "kilobyte")
        own = self.own_data.get("units", {}).get(unit)
        if own:
            number = f"{value:.1f}".replace(".", self.own_data.get("decimal", ".")) if big else str(value)
            return self.localize_digits(own.format(number))
        return self.localize_digits(format_unit(value, f"digital-{unit}", length="short",
                                                format="#,##0.0" if big else "#,##0", locale=self.babel_locale))

    def format_list(self, items: list[str]) -> str:
        """'A, B and C' in the language's own words and punctuation."""
        if not items:
            return ""
        conjunction = self.own_data.get("list_and")
        if conjunction:
            return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
        return babel_format_list(list(items), locale=self.babel_locale)


@functools.lru_cache(maxsize=None)
def _babel_locale(catalog_id: str) -> Locale:
    return Locale.parse(catalog_id)


@functools.lru_cache(maxsize=None)
def _table(name: str) -> dict:
    return tomllib.loads(resources.files("pipeline.data").joinpath(name).read_text("utf-8"))


def script_table() -> dict:
    return _table("scripts.toml")


def voice_table() -> dict:
    return _table("voices.toml")


@functools.lru_cache(maxsize=None)
def facts_for(code: str, paper: str = "letter") -> LocaleFacts:
    """The facts for a language tag, or a ConfigError if Babel does not know the language."""
    tag = to_bcp47(code)
    catalog_id = tag.replace("-", "_")
    try:
        locale = _babel_locale(catalog_id)
    except (UnknownLocaleError, ValueError):
        raise ConfigError(
            f"unknown language '{code}'",
            hint="use a language that CLDR knows, written as a BCP 47 tag (es, zh-Hans, pt-BR)",
        ) from None
    script = _script_of(locale, tag)
    scripts = script_table()
    if script not in scripts:
        raise ConfigError(
            f"no typeface is configured for the {script} script of '{tag}'",
            file="pipeline/data/scripts.toml",
            hint=f"add a [{script}] table with its Noto font",
        )
    overrides = _table("languages.toml").get(tag, {})
    english = Locale.parse("en")
    return LocaleFacts(
        tag=tag,
        catalog_id=catalog_id,
        native_name=overrides.get("native_name") or locale.get_display_name(locale) or tag,
        english_name=overrides.get("english_name") or locale.get_display_name(english) or tag,
        direction=locale.text_direction,
        script=script,
        fonts=tuple(overrides.get("fonts") or scripts[script]["fonts"]),
        font_package=overrides.get("package") or scripts[script]["package"],
        line_height=float(overrides.get("line_height") or scripts[script]["line_height"]),
        numbering=getattr(locale, "default_numbering_system", "latn") or "latn",
        paper=paper,
        line_breaks=scripts[script].get("line_breaks", "spaces"),
        complex_shaping=bool(overrides.get("complex_shaping", scripts[script].get("complex_shaping", False))),
    )


def implied_region(code: str) -> str | None:
    """The region a voice for this language must be from: the tag's own (pt-BR: BR), or
    for a tag that names a script, the region CLDR says writes it (zh-Hant: TW, zh-Hans:
    CN); None when any region will do (en, es)."""
    match = _TAG.match(to_bcp47(code))
    if match["region"]:
        return match["region"]
    if match["script"]:
        likely = get_global("likely_subtags")
        for key in (f"{match['lang']}_{match['script']}", match["lang"]):
            parts = likely.get(key, "").split("_")
            if len(parts) == 3 and parts[1] == match["script"]:
                return parts[2]
    return None


def _script_of(locale: Locale, tag: str) -> str:
    """ISO 15924 script: the tag's own, else CLDR's likely script; Chinese as Hans/Hant."""
    if locale.script:
        return locale.script
    likely = get_global("likely_subtags").get(locale.language, "")
    parts = likely.split("_")
    return parts[1] if len(parts) > 1 and len(parts[1]) == 4 else "Latn"
