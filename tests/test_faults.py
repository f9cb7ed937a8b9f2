"""A missing system dependency is one clear line naming the package to install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


from pipeline.inputs import fonts
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


def test_a_crashing_writer_is_one_line_with_its_traceback_in_the_log(tmp_path, monkeypatch, capsys):
    """A bug in a writer (not in the input) fails that output alone: one line on stderr,
    the traceback in the cache's errors.log, every other output built."""
    from pipeline.writers.html import HtmlWriter

    def crash(self, job):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(HtmlWriter, "write", crash)
    root = copy_project(tmp_path / "crash")
    code = main(["--root", str(root), "build", "--lang", "es", "--format", "html", "--format", "pdf",
                 "-q", "--jobs", "1"])
    error = capsys.readouterr().err
    assert code == 1 and "Traceback" not in error
    from pipeline.core.config import load_config

    log = load_config(root).cache_dir / "errors.log"
    line = next(l for l in error.splitlines() if "simulated bug" in l)
    assert line == (f"handouts: the html writer failed on {SLUG}.es: ZeroDivisionError: simulated bug; "
                    f"this is a bug in the pipeline; details in {log}")
    logged = log.read_text("utf-8")
    assert logged.startswith(f"--- {SLUG}.es.html\nTraceback") and "ZeroDivisionError: simulated bug" in logged
    assert (root / "outputs" / "es" / f"{SLUG}.es.pdf").exists()
    assert not (root / "outputs" / "es" / f"{SLUG}.es.html").exists()


def test_an_unexpected_error_outside_the_writers_is_one_line_and_exit_70(tmp_path, monkeypatch, capsys):
    import pipeline.status

    monkeypatch.setattr(pipeline.status, "summary_lines", lambda plan, pairs: 1 / 0)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code = main(["--root", str(copy_project(tmp_path / "bug")), "status"])
    error = capsys.readouterr().err.strip()
    log = tmp_path / "handouts-errors.log"
    assert code == 70
    assert error == (f"handouts: internal error: ZeroDivisionError: division by zero "
                     f"(a bug in handouts; details in {log})")
    assert "Traceback" in log.read_text("utf-8") and "ZeroDivisionError" in log.read_text("utf-8")
