"""The bad-input corpus (tests/bad-inputs/, one file per case): each case gives one clear line
on stderr naming the file, the line and what to do, a non-zero exit, no traceback (an
unfinished translation instead waits, with a summary line and exit 0); the other articles
and languages still build, and outputs/ keeps its last good files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

from bad_inputs import CASES, SMALL_CONFIG, install
from conftest import copy_project, full_syntax_project

SLUGS = {None: "invasive-vs-metastatic-breast-cancer", "full-syntax": "every-element"}


def prepared_project(base: Path, spec: dict) -> tuple[Path, str]:
    if spec.get("base") == "full-syntax":
        return full_syntax_project(base), SLUGS["full-syntax"]
    root = copy_project(base)
    (root / "handouts.toml").write_text(SMALL_CONFIG, "utf-8")
    for folder in (root / "translations").iterdir():
        if folder.is_dir() and folder.name not in ("es", "ar"):
            shutil.rmtree(folder)
    return root, SLUGS[None]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_clear_line_and_nothing_else_breaks(case, tmp_path, capsys):
    spec = CASES[case]
    root, slug = prepared_project(tmp_path / "project", spec)
    assert main(["--root", str(root), "build", "--format", "html", "-q"]) == 0
    capsys.readouterr()
    last_good = {path: path.read_bytes() for path in (root / "outputs").glob(f"*/{slug}.*.html")}
    assert last_good

    install(case, root)
    code = main(["--root", str(root), "build", "--format", "html", "-q"])
    error = capsys.readouterr().err

    assert code == spec.get("exit", 1)
    assert "Traceback" not in error and "Warning" not in error
    lines = [line.removeprefix("handouts: ") for line in error.splitlines()]
    if code:
        assert all(line.startswith("handouts: ") for line in error.splitlines()), error
    else:  # waiting for translation: the summary, and no error line
        assert lines[0].startswith("waiting for translation") and "handouts: " not in error, error
    matching = [line for line in lines if re.search(spec["message"], line)]
    assert len(matching) == 1, f"expected one line matching {spec['message']!r} in:\n{error}"
    for tag in spec.get("still_built", ["en", "es", "ar"]):
        assert (root / "outputs" / tag / f"{slug}.{tag}.html").exists(), f"{tag} was not built"
    for path, data in last_good.items():
        assert path.exists(), f"the last good {path.name} was lost"
        if path.parent.name not in spec.get("still_built", ["en", "es", "ar"]):
            assert path.read_bytes() == data, f"{path.name} changed although it could not be rebuilt"
    assert not list((root / "outputs").rglob("*.part"))


def test_the_corpus_has_one_file_per_case():
    corpus = Path(__file__).resolve().parent / "bad-inputs"
    files = {f"{p.parent.name}/{p.name}" for p in corpus.glob("*/*") if p.suffix in (".md", ".po", ".toml")}
    files.discard("bad-inputs/cases.toml")
    cases_with_files = {case for case, spec in CASES.items() if spec["mode"] != "generate"}
    assert files == cases_with_files
    assert len(CASES) >= 40
