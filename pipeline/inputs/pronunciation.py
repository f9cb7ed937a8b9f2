"""Pronunciation lists: `translations/<lang>/pronunciation.toml`, words the speech engines
misread and how to say them. Read at planning, so the narration receives them in its job."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.layout import pronunciation_path


def read_pronunciation(translations_dir: Path, catalog_id: str, shown: str = "") -> dict[str, str]:
    """The list's `[words]` table; {} when the language has no list."""
    path = pronunciation_path(translations_dir, catalog_id)
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the pronunciation list: {error}", file=shown or str(path)) from None
    words = data.get("words", {})
    if not isinstance(words, dict) or not all(isinstance(v, str) for v in words.values()):
        raise ConfigError("the pronunciation list needs a [words] table of \"written\" = \"spoken\" pairs",
                          file=shown or str(path))
    return dict(words)
