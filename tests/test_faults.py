"""A missing system dependency is one clear line naming the package to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import fonts
from pipeline.cli import main

from conftest import SLUG, copy_project


def path_without(*commands: str) -> str:
    """A PATH where the given commands cannot be found (the rest still can)."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"handouts-path-{'-'.join(commands)}-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    for entry in os.environ["PATH"].split(os.pathsep):
        if not Path(entry).is_dir():
            continue
        for tool in Path(entry).iterdir():
            if tool.name not in commands and not (folder / tool.name).exists():
                try:
                    (folder / tool.name).symlink_to(tool)
                except OSError:
                    pass
    return str(folder)


def test_no_espeak_ng_fails_the_narration_with_the_package_name(tmp_path):
    root = copy_project(tmp_path / "no-espeak")
    environment = {**os.environ, "PATH": path_without("espeak-ng", "espeak")}
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "es",
                             "--format", "audio", "--format", "pdf", "-q"], capture_output=True, text=True,
                            env=environment)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(l for l in result.stderr.splitlines() if "espeak-ng is not installed" in l)
    assert "install the Debian package espeak-ng" in line
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()


def test_no_java_makes_check_say_which_package(tmp_path):
    root = copy_project(tmp_path / "no-java")
    assert main(["--root", str(root), "build", "--lang", "en", "--format", "epub", "--format", "pdf", "-q"]) == 0
    environment = {**os.environ, "PATH": path_without("java")}
    result = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "check", "--lang", "en"],
                            capture_output=True, text=True, env=environment)
    assert result.returncode == 1
    line = next(l for l in result.stdout.splitlines() if l.startswith("FAIL") and ".epub" in l)
    assert "EPUBCheck needs a Java runtime; install the Debian package default-jre-headless" in line


def test_a_missing_font_names_the_package(tmp_path, monkeypatch, capsys):
    root = copy_project(tmp_path / "no-font")
    real = fonts.files_of_family.__wrapped__
    fonts.files_of_family.cache_clear()
    monkeypatch.setattr(fonts, "files_of_family", lambda family: () if family == "Noto Sans Arabic" else real(family))
    code = main(["--root", str(root), "build", "--lang", "ar", "--lang", "es", "--format", "pdf", "-q"])
    error = capsys.readouterr().err
    assert code == 1 and "Traceback" not in error
    assert ("the font 'Noto Sans Arabic' for Arabic (Arab script) is not installed; "
            "install the Debian package fonts-noto-core") in error
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()
