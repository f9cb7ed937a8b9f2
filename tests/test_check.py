"""`handouts check`: one line per built file, `ok` with its measured facts, or `FAIL` with
what is wrong, for any file, including one that was replaced after the build."""

from __future__ import annotations

import re
import shutil

import pytest

from pipeline.cli import main

from conftest import SLUG, copy_project

LANGUAGES = ["en", "es"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("check") / "project")
    assert main(["--root", str(root), "build", "-q", "--jobs", "2", *[f"--lang={tag}" for tag in LANGUAGES]]) == 0
    return root


def check(root, capsys, *tags: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["--root", str(root), "check", *[f"--lang={tag}" for tag in tags]])
    return code, capsys.readouterr().out.splitlines()


def line_for(lines: list[str], relative: str) -> str:
    found = [line for line in lines if line.split(" ", 1)[-1].lstrip().startswith(relative + ":")]
    assert len(found) == 1, f"expected one line for {relative}, got {found}"
    return found[0]


def test_every_built_file_gets_one_ok_line_with_its_measurements(built, capsys):
    code, lines = check(built, capsys, *LANGUAGES)
    assert code == 0, "\n".join(lines)
    for tag in LANGUAGES:
        stem = f"outputs/{tag}/{SLUG}.{tag}"
        assert re.fullmatch(rf"ok   {stem}\.pdf: \d+ pages, smallest text (1[89]|[2-9]\d)(\.\d+)? pt, PDF/UA-1, "
                            rf"/Lang {tag}, \d+ fonts embedded", line_for(lines, f"{stem}.pdf"))
        assert re.fullmatch(rf"ok   {stem}\.epub: EPUBCheck 0 errors, 0 warnings; Ace 0 violations; \d+ documents",
                            line_for(lines, f"{stem}.epub"))
        assert re.fullmatch(rf"ok   {stem}\.mp3: \d+\.\d min, -19\.\d LUFS, -\d\.\d dBTP, 7 chapters, ID3v2\.4",
                            line_for(lines, f"{stem}.mp3"))
    assert "ok   outputs/manifest.json: every file is on disk with its size and SHA-256" in lines


def test_files_swapped_after_the_build_fail_with_what_is_wrong(built, tmp_path, capsys):
    """The Spanish files replaced by the English ones: each check reads the file itself,
    so every one of them says why it is not the Spanish handout."""
    root = tmp_path / "swapped"
    shutil.copytree(built, root)
    for suffix in ("pdf", "epub", "mp3"):
        shutil.copyfile(root / "outputs" / "en" / f"{SLUG}.en.{suffix}", root / "outputs" / "es" / f"{SLUG}.es.{suffix}")
    code, lines = check(root, capsys, "es")
    assert code == 1
    stem = f"outputs/es/{SLUG}.es"
    pdf = line_for(lines, f"{stem}.pdf")
    assert pdf.startswith("FAIL ") and "/Lang is en, not es" in pdf and "segments missing or out of order" in pdf
    epub = line_for(lines, f"{stem}.epub")
    assert epub.startswith("FAIL ") and "lacks lang/xml:lang es" in epub and "segments missing or out of order" in epub
    mp3 = line_for(lines, f"{stem}.mp3")
    assert mp3.startswith("FAIL ") and "TLAN 'eng', not spa" in mp3
    assert any(line.startswith("FAIL manifest: ") and f"{SLUG}.es.pdf: size or SHA-256 differs" in line
               for line in lines)


def test_a_file_that_was_never_built_is_named(built, tmp_path, capsys):
    root = tmp_path / "missing"
    shutil.copytree(built, root)
    (root / "outputs" / "en" / f"{SLUG}.en.epub").unlink()
    code, lines = check(root, capsys, "en")
    assert code == 1
    assert line_for(lines, f"outputs/en/{SLUG}.en.epub") == (
        f"FAIL outputs/en/{SLUG}.en.epub: not built (run 'handouts build')")
