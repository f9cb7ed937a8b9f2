"""The one configuration file, `handouts.toml`, read once into a typed, validated object.

Unknown keys and bad values are refused with the file, the line and the valid choices:
a typo in a publishing switch must not silently change what clinics receive.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core import characters
from pipeline.core.errors import ConfigError
from pipeline.core.toml_file import CONFIG_NAME, Locator, check_table, line_from_message, refused
from pipeline.core.locales import PAPER_SIZES, facts_for, LocaleFacts, to_bcp47, voice_table

ENGINES = ("piper", "pico", "rhvoice", "open-jtalk", "espeak-ng", "gtts")
# Without `[audio] engines`, each language gets the order measured for it (`[order]` in
# pipeline/data/voices.toml, bench/intelligibility.py); a language not measured gets this.
DEFAULT_ENGINES = ("piper", "espeak-ng")
DEFAULT_VOICES_FOLDER = "voices"

_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "project": {"sources": str, "translations": str, "outputs": str, "cache": str, "review": str},
    "publishing": {"languages": list, "publish_unreviewed": bool, "paper": str, "strict": bool, "base_url": str},
    "clinic": {"name": str, "phone": str, "address": str, "website": str, "logo": str, "logo_alt": str},
    "audio": {"engines": list, "voices": str, "words_per_minute": int, "max_concurrent_requests": int,
              "noncommercial": bool, "online": bool},
}
_LANGUAGE_KEYS: dict[str, type | tuple[type, ...]] = {"paper": str, "engines": list, "voices": dict,
                                                      "words_per_minute": int, "braille_grade": int,
                                                      "braille_table": str}
# A liblouis table named by its file (no folders): one of liblouis-data's or of pipeline/data/braille/.
_BRAILLE_TABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*\.(?:ctb|utb|tbl)$")


@dataclass(frozen=True)
class LanguageOptions:
    paper: str | None = None
    engines: tuple[str, ...] | None = None
    voices: dict[str, str] = field(default_factory=dict)
    words_per_minute: int | None = None
    braille_grade: int | None = None
    braille_table: str | None = None  # an explicit stand-in table (see pipeline/writers/braille)


@dataclass(frozen=True)
class Clinic:
    """The clinic that hands the handouts out: named on every handout, with how to reach it.
    The phone number is printed as written; `logo` is checked as an image by the project
    loader (inputs/project.py), like an article's images."""

    name: str
    phone: str
    address: str = ""
    website: str = ""
    logo: Path | None = None
    logo_alt: str = ""


# What each setting changes (Sphinx's `rebuild=`): "plan", which pairs exist and what their
# jobs hold (every format follows); a writer's name, that writer's outputs only (with the
# writers that use them); nothing, where files go. A change re-plans or re-keys only that.
PLAN = ("plan",)
NOTHING: tuple[str, ...] = ()
AUDIO = ("audio",)


_SETTINGS_DIGESTS: dict[tuple[int, str], tuple[object, str]] = {}


def _portable(value: Any, root: Path) -> Any:
    """A setting with its paths relative to the project: a copy of the project elsewhere
    (another checkout, a CI folder) has the same settings."""
    import dataclasses

    if isinstance(value, Path):
        return value.relative_to(root) if value.is_relative_to(root) else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple((f.name, _portable(getattr(value, f.name), root)) for f in dataclasses.fields(value))
    return value


def _setting(rebuild: tuple[str, ...], **options: Any) -> Any:
    return field(metadata={"rebuild": rebuild}, **options)


@dataclass(frozen=True)
class Config:
    root: Path = _setting(NOTHING)
    sources_dir: Path = _setting(PLAN)
    translations_dir: Path = _setting(PLAN)
    outputs_dir: Path = _setting(NOTHING)
    cache_dir: Path = _setting(NOTHING)
    languages: tuple[str, ...] = _setting(PLAN)
    # Piper voices laid out as `python -m piper.download_voices NAME --data-dir <voices_dir>` writes them.
    voices_dir: Path = _setting(AUDIO, default=Path(DEFAULT_VOICES_FOLDER))
    # Review sheets and the approval ledger: never published.
    review_dir: Path = _setting(NOTHING, default=Path("review"))
    publish_unreviewed: bool = _setting(PLAN, default=True)
    strict: bool = _setting(PLAN, default=False)  # a language waiting for translation fails the build
    paper: str = _setting(PLAN, default="letter")  # in each job's language facts
    # `[audio] engines` as written: one order for every language; () = the measured order.
    engines: tuple[str, ...] = _setting(AUDIO, default=())
    # Engines to try first whatever the order (`--tts NAME`).
    prefer: tuple[str, ...] = _setting(AUDIO, default=())
    # The use is non-commercial: voices whose licence allows only that may be chosen.
    noncommercial: bool = _setting(AUDIO, default=False)
    # The clinic is online: gTTS speaks where the best offline voice is espeak-ng.
    online: bool = _setting(AUDIO, default=False)
    words_per_minute: int = _setting(AUDIO, default=150)
    max_concurrent_requests: int = _setting(NOTHING, default=2)
    # Per language: paper (in the job's facts), engines, voices and pace.
    language_options: dict[str, LanguageOptions] = _setting(PLAN + AUDIO + ("braille",), default_factory=dict)
    path: Path | None = _setting(NOTHING, default=None)
    clinic: Clinic | None = _setting(("html", "pdf", "epub"), default=None)  # the logo joins the jobs' resources
    # Where the outputs are published, without a trailing slash (the QR code and the feeds).
    base_url: str | None = _setting(("html", "pdf", "epub"), default=None)

    def settings_for(self, scope: str) -> str:
        """A digest of the settings that change `scope` ("plan" or a writer's name)."""
        import dataclasses
        import hashlib

        known = _SETTINGS_DIGESTS.get((id(self), scope))
        if known is not None and known[0] is self:  # every task key asks: once per settings
            return known[1]
        chosen = [(f.name, repr(_portable(getattr(self, f.name), self.root))) for f in dataclasses.fields(self)
                  if scope in f.metadata.get("rebuild", PLAN)]
        answer = hashlib.sha256(repr(chosen).encode()).hexdigest()
        _SETTINGS_DIGESTS[(id(self), scope)] = (self, answer)
        return answer

    def facts(self, tag: str) -> LocaleFacts:
        return facts_for(tag, self.paper_for(tag))

    def languages_for(self, source_language: str) -> list[str]:
        """An article's languages: its own first (always built), then every enabled one."""
        return [source_language] + [tag for tag in self.languages if tag != source_language]

    def paper_for(self, tag: str) -> str:
        options = self.language_options.get(tag)
        return (options.paper if options and options.paper else self.paper)

    def engines_for(self, tag: str) -> tuple[str, ...]:
        """The engines to try for a language, in order: the language's own, else
        `[audio] engines`, else the order measured for it (with gTTS before espeak-ng when
        `online = true`); `--tts NAME` first."""
        options = self.language_options.get(tag)
        if options and options.engines:
            order = options.engines
        elif self.engines:
            order = self.engines
        else:
            measured = voice_table().get("order", {})
            order = tuple(measured.get(to_bcp47(tag), measured.get("default", DEFAULT_ENGINES)))
            if self.online and "gtts" not in order:
                position = order.index("espeak-ng") if "espeak-ng" in order else len(order)
                order = order[:position] + ("gtts",) + order[position:]
        return tuple(dict.fromkeys(self.prefer + tuple(order)))

    def words_per_minute_for(self, tag: str) -> int:
        options = self.language_options.get(tag)
        return options.words_per_minute if options and options.words_per_minute else self.words_per_minute

    def voice_for(self, tag: str, engine: str) -> str | None:
        """The preferred voice: the configured one, else the table's for the language, else None.
        A preference only: the engine says whether that voice is installed (pipeline.tts)."""
        options = self.language_options.get(tag)
        if options and engine in options.voices:
            return options.voices[engine]
        return voice_table().get(engine, {}).get(tag)

    def with_overrides(self, **changes: Any) -> "Config":
        import dataclasses

        return dataclasses.replace(self, **changes)


def load_config(root: Path) -> Config:
    """Read `<root>/handouts.toml` (all defaults when the file does not exist)."""
    root = root.resolve()
    path = root / CONFIG_NAME
    data, where = _read_toml(path)
    project = data.get("project", {})
    publishing = data.get("publishing", {})
    audio = data.get("audio", {})

    def folder(key: str, default: str) -> Path:
        return (root / project.get(key, default)).resolve()

    _check_review_folder(folder("review", "review"), folder("outputs", "outputs"), where)
    languages = tuple(_tag(code, "publishing.languages", where) for code in publishing.get("languages", ["en"]))
    if not languages:
        raise refused("publishing.languages is empty", where.key("languages"), hint="list at least the source language")
    concurrent = audio.get("max_concurrent_requests", 2)
    if not 1 <= concurrent <= 8:
        raise refused(f"audio.max_concurrent_requests = {concurrent} is outside 1..8",
                       where.key("max_concurrent_requests"), hint="2 keeps gTTS from rate-limiting")

    return Config(
        root=root,
        sources_dir=folder("sources", "sources"),
        translations_dir=folder("translations", "translations"),
        outputs_dir=folder("outputs", "outputs"),
        cache_dir=folder("cache", ".cache/handouts"),
        review_dir=folder("review", "review"),
        languages=languages,
        voices_dir=(root / audio.get("voices", DEFAULT_VOICES_FOLDER)).resolve(),
        publish_unreviewed=publishing.get("publish_unreviewed", True),
        strict=publishing.get("strict", False),
        paper=_paper(publishing.get("paper", "letter"), "publishing.paper", where),
        engines=_engines(audio["engines"], "audio.engines", where) if "engines" in audio else (),
        noncommercial=audio.get("noncommercial", False),
        online=audio.get("online", False),
        words_per_minute=_words_per_minute(audio.get("words_per_minute", 150), "audio.words_per_minute", where),
        max_concurrent_requests=concurrent,
        language_options=_language_options(data.get("language", {}), where),
        path=path if path.exists() else None,
        clinic=_clinic(data["clinic"], root, where) if "clinic" in data else None,
        base_url=_web_address(publishing["base_url"], "publishing.base_url", "base_url", where).rstrip("/")
        if "base_url" in publishing else None,
    )


def _read_toml(path: Path) -> tuple[dict[str, Any], "Locator"]:
    """The file's tables, checked against the schema, and a locator of its lines."""
    data: dict[str, Any] = {}
    text = ""
    if path.exists():
        text = path.read_text("utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            problem = re.sub(r" \(at .*\)$", "", str(error))
            raise refused(f"not valid TOML: {problem}", line_from_message(str(error)),
                           hint="fix the syntax (see https://toml.io)") from None
    where = Locator(text)
    for section, values in data.items():
        if section == "language":
            continue
        if section not in _SCHEMA:
            raise refused(f"unknown section [{section}]", where.section(section),
                           hint=f"valid sections: {', '.join(sorted([*_SCHEMA, 'language']))}")
        check_table(values, _SCHEMA[section], section, where)
    return data, where


def _language_options(tables: dict[str, Any], where: "Locator") -> dict[str, LanguageOptions]:
    """`[language.<tag>]` tables: a language's own paper, engines, voices and pace."""
    options: dict[str, LanguageOptions] = {}
    for code, values in tables.items():
        tag = _tag(code, f"[language.{code}]", where)
        if not isinstance(values, dict):
            raise refused(f"[language.{code}] must be a table", where.section(f"language.{code}"))
        check_table(values, _LANGUAGE_KEYS, f"language.{code}", where)
        voices = values.get("voices", {})
        for engine in voices:
            _engines([engine], f"language.{code}.voices", where)
        options[tag] = LanguageOptions(
            paper=_paper(values["paper"], f"language.{code}.paper", where) if "paper" in values else None,
            engines=_engines(values["engines"], f"language.{code}.engines", where) if "engines" in values else None,
            voices={str(k): str(v) for k, v in voices.items()},
            words_per_minute=_words_per_minute(values["words_per_minute"], f"language.{code}.words_per_minute", where)
            if "words_per_minute" in values else None,
            **_braille_options(values, tag, code, where),
        )
    return options


def key_line(config: Config, key: str) -> int | None:
    """The line of `key` in the configuration file, for an error found after loading."""
    if config.path is None:
        return None
    return Locator(config.path.read_text("utf-8")).key(key)


def _check_review_folder(review: Path, outputs: Path, where) -> None:
    if review.is_relative_to(outputs):
        raise refused("project.review is inside the outputs folder, which is published", where.key("review") or where.key("outputs"), hint="review sheets name reviewers and are not for patients: keep them outside outputs/")


def _tag(code: Any, where_name: str, where: Locator) -> str:
    try:
        tag = to_bcp47(str(code))
        facts_for(tag)
    except ConfigError as error:
        raise refused(f"{where_name}: {error.what}", where.value(str(code)) or where.section(f"language.{code}"), hint=error.hint) from None
    return tag


def _words_per_minute(value: int, where_name: str, where: Locator) -> int:
    if not 80 <= value <= 300:
        raise refused(f"{where_name} = {value} is outside 80..300", where.key("words_per_minute"), hint="150 suits patient education")
    return value


def _braille_options(values: dict, tag: str, code: str, where: Locator) -> dict:
    """`braille_grade` (one the language's verified tables offer, or any with a stand-in
    `braille_table`) and `braille_table`, checked against the language data."""
    table = values.get("braille_table")
    if table is not None and not _BRAILLE_TABLE.match(table):
        raise ConfigError(f"language.{code}.braille_table = {table!r} is not a liblouis table name", file=CONFIG_NAME,
                          line=where.key("braille_table"), hint="name a table file such as \"en-ueb-g1.ctb\" "
                          "(ls /usr/share/liblouis/tables)")
    grade = values.get("braille_grade")
    if grade is not None and table is None:
        offered = sorted(facts_for(tag).own_data.get("braille", {}).get("tables", {}))
        if str(grade) not in offered:
            choices = f"grades {', '.join(offered)}" if offered else "no verified braille table"
            raise ConfigError(f"language.{code}.braille_grade = {grade}: braille for {tag} here has {choices}",
                              file=CONFIG_NAME, line=where.key("braille_grade"),
                              hint="use one of those, or name a table with braille_table")
    elif grade is not None and not 0 <= grade <= 3:
        raise ConfigError(f"language.{code}.braille_grade = {grade} is outside 0..3", file=CONFIG_NAME,
                          line=where.key("braille_grade"))
    return {"braille_grade": grade, "braille_table": table}


def _paper(value: Any, where_name: str, where: Locator) -> str:
    if str(value).lower() not in PAPER_SIZES:
        raise refused(f"{where_name} = {value!r} is not a paper size", where.key("paper"), hint=f"use one of: {', '.join(PAPER_SIZES)}")
    return str(value).lower()


def _engines(values: Any, where_name: str, where: Locator) -> tuple[str, ...]:
    for value in values:
        if value not in ENGINES:
            raise refused(f"{where_name}: unknown speech engine {value!r}", where.value(str(value)) or where.key("engines"), hint=f"valid engines: {', '.join(ENGINES)}")
    return tuple(values)


def _clinic(values: dict, root: Path, where: Locator) -> Clinic:
    import phonenumbers

    for key in ("name", "phone"):
        if not str(values.get(key, "")).strip():
            raise refused(f"[clinic] has no {key}", where.section("clinic"), hint=f"add {key} = \"…\" (the handouts print it), or remove the [clinic] table")
    for key, value in values.items():  # every handout shows them: TOML's escapes may make unsafe text
        unsafe = characters.problem(str(value))
        if unsafe:
            raise refused(f"clinic.{key}: {unsafe[1]}", where.key(key), hint=unsafe[2])
    phone = values["phone"].strip()
    try:
        possible = phonenumbers.is_possible_number(phonenumbers.parse(phone, "US"))
    except phonenumbers.NumberParseException:
        possible = False
    if not possible or re.search(r"[^0-9A-Za-z +().\-/#*,;]", phone):
        raise refused(f"clinic.phone = {phone!r} is not a phone number", where.key("phone"), hint="write it as patients dial it, e.g. \"(617) 555-0100\" "
                          "or \"+1 617 555 0100\"")
    website = _web_address(values["website"], "clinic.website", "website", where) if "website" in values else ""
    logo = None
    if "logo" in values:
        logo = (root / values["logo"]).resolve()
        if not str(values.get("logo_alt", "")).strip():
            raise refused("clinic.logo has no clinic.logo_alt", where.key("logo"), hint="add logo_alt = \"…\": what the logo shows, read aloud by screen readers")
    elif "logo_alt" in values:
        raise refused("clinic.logo_alt without clinic.logo", where.key("logo_alt"), hint="add logo = \"file.png\" or remove logo_alt")
    return Clinic(name=values["name"].strip(), phone=phone, address=values.get("address", "").strip(),
                  website=website, logo=logo, logo_alt=values.get("logo_alt", "").strip())


def _web_address(value: str, where_name: str, key: str, where: Locator) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value.strip():
        raise refused(f"{where_name} = {value!r} is not an http or https address", where.key(key), hint="write the full address, e.g. \"https://clinic.example.org\"")
    return value.strip()


