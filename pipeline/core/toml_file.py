"""handouts.toml as a file: where a key or a section is, the one shape of every error about
it, and the check of a table's keys and types. Kept apart from the settings themselves
(config.py) so that each reads on its own."""

from __future__ import annotations

import re

from pipeline.core.errors import ConfigError

CONFIG_NAME = "handouts.toml"

class Locator:
    """Finds the line of a key or section in the TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def key(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        return self._find(pattern)

    def section(self, name: str) -> int | None:
        pattern = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
        return self._find(pattern)

    def value(self, value: str) -> int | None:
        return self._find(re.compile(re.escape(f'"{value}"')))

    def _find(self, pattern: re.Pattern[str]) -> int | None:
        for number, line in enumerate(self.lines, start=1):
            if pattern.search(line):
                return number
        return None


def check_table(values: dict, schema: dict, section: str, where: Locator) -> None:
    for key, value in values.items():
        if key not in schema:
            raise refused(f"unknown key '{key}' in [{section}]", where.key(key), hint=f"valid keys: {', '.join(sorted(schema))}")
        expected = schema[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            names = expected.__name__ if isinstance(expected, type) else "/".join(t.__name__ for t in expected)
            raise refused(f"{section}.{key} must be a {toml_type(names)}, not {value!r}", where.key(key))


def toml_type(python_name: str) -> str:
    return {"str": "string", "list": "list", "bool": "true/false", "int": "whole number", "dict": "table"}.get(
        python_name, python_name
    )


def refused(what: str, line: int | None, hint: str | None = None) -> ConfigError:
    """The one shape of every configuration error: what, on which line of handouts.toml."""
    return ConfigError(what, file=CONFIG_NAME, line=line, hint=hint)


def line_from_message(message: str) -> int | None:
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None
