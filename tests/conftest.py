"""Shared helpers: sample projects under tests/roots/, the real project, and the CLI in-process."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
ROOTS = Path(__file__).resolve().parent / "roots"
SEED = REPO.parent / "shared" / "seed" / "invasive-vs-metastatic-breast-cancer.txt"
SLUG = "invasive-vs-metastatic-breast-cancer"
sys.path.insert(0, str(REPO / "bench"))  # the library generator, shared with the benchmark
# Hypothesis keeps no example database: tests never write into the checkout, and a run
# is reproduced from the seed it prints.
hypothesis_settings.register_profile("handouts", database=None)
hypothesis_settings.load_profile("handouts")
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="handouts-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
# Every language the project publishes, as handouts.toml lists them.
ALL_LANGUAGES = tomllib.loads((REPO / "handouts.toml").read_text("utf-8"))["publishing"]["languages"]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def copy_project(destination: Path, root: Path | None = None, engines: tuple[str, ...] = ("espeak-ng",)) -> Path:
    """A private copy of a project (the real one by default) that a test may change.

    The copy narrates with `engines` (espeak-ng by default: it speaks six minutes of English
    in a few seconds, Piper in half a minute); the tests of Piper (test_piper.py) ask for the
    project's own engines with `engines=()`."""
    root = root or REPO
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("handouts.toml", "sources", "translations"):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        elif source.exists():
            shutil.copy2(source, destination / name)
    if engines:
        set_engines(destination, engines)
    return destination


def set_engines(root: Path, engines: tuple[str, ...]) -> None:
    """Set `[audio] engines` in the project's handouts.toml."""
    path = root / "handouts.toml"
    text = path.read_text("utf-8") if path.exists() else ""
    if "[audio]" not in text:
        text += "\n[audio]\n"
    head, tail = text.split("[audio]", 1)
    line = "engines = [" + ", ".join(f'"{name}"' for name in engines) + "]"
    tail, found = re.subn(r"(?m)^engines = \[.*\]$", line, tail, count=1)
    text = head + "[audio]" + (tail if found else f"\n{line}{tail}")
    path.write_text(text, "utf-8")


def full_syntax_project(destination: Path) -> Path:
    """The full-syntax article with complete Spanish catalogs whose translations are the
    English text marked 'ES ' (enough to exercise every element through translation)."""
    from pipeline.inputs.catalogs import catalog_path, read_catalog, render_catalog

    root = copy_project(destination, ROOTS / "full-syntax")
    assert main(["--root", str(root), "extract"]) == 0
    for domain in ("every-element", "ui"):
        path = catalog_path(root / "translations", "es", domain)
        catalog = read_catalog(path, locale="es")
        for message in catalog:
            if message.id:
                message.string = "ES " + message.id
        path.write_text(render_catalog(catalog), "utf-8")
    return root


def identity_catalog(article):
    """A catalog that 'translates' every message of the article into itself."""
    from pipeline.inputs.catalogs import ProjectCatalog
    from pipeline.inputs.translate import template_for

    catalog = ProjectCatalog(locale="es")
    for message in template_for(article):
        if message.id:
            catalog.add(message.id, message.id, context=message.context)
    return catalog


@pytest.fixture
def run_cli(capsys):
    def run(root: Path, *args: str) -> CliResult:
        code = main(["--root", str(root), *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def pdf_handouts(tmp_path_factory):
    """The real project's PDF handout in every language, built once per test session;
    (root, {tag: job}). Tests read it and never change it."""
    from pipeline.core.config import load_config
    from pipeline.inputs.project import load_project

    shared = _shared_folder(tmp_path_factory)
    root = shared / "pdf" / "project"
    with FileLock(str(shared / "pdf.lock")):  # one build, whichever worker asks first
        if not (root / "built").exists():
            shutil.rmtree(root, ignore_errors=True)
            copy_project(root)
            assert main(["--root", str(root), "build", "--format", "pdf", "-q"]) == 0
            (root / "built").touch()
    return root, {plan.facts.tag: plan.job for plan in load_project(load_config(root)).plans}


def _shared_folder(tmp_path_factory) -> Path:
    """A folder every pytest-xdist worker of this run sees (the session's own without
    xdist): outputs built once per run are built there once, under a lock."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def handout_pdf(root: Path, tag: str) -> Path:
    return root / "outputs" / tag / f"{SLUG}.{tag}.pdf"


def assert_same_pixels(before: Path, after: Path, scale: float = 1.5) -> None:
    """Every page of two PDFs renders (PDFium) to the same pixels."""
    import pypdfium2
    from PIL import ImageChops

    documents = [pypdfium2.PdfDocument(str(path)) for path in (before, after)]
    try:
        assert len(documents[0]) == len(documents[1])
        for number in range(len(documents[0])):
            first, second = (d[number].render(scale=scale).to_pil().convert("RGB") for d in documents)
            assert ImageChops.difference(first, second).getbbox() is None, f"page {number + 1} differs"
    finally:
        for document in documents:
            document.close()


@pytest.fixture
def project_copy(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Chromium is not installed (Debian package chromium)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"])
        yield instance
        instance.close()


# --- the checkout is read-only for tests ---------------------------------------------------------

def _checkout_state() -> str:
    """Git's view of the checkout, ignored files included: a test that writes into the
    checkout (a cache, an edited style sheet) changes it."""
    import subprocess

    done = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--ignored"],
                          capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else ""


def _is_worker(config) -> bool:
    """A pytest-xdist worker: the run's checks belong to the controller, which sees every report."""
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    if not _is_worker(session.config):
        session.config.stash[_CHECKOUT] = _checkout_state()


def pytest_sessionfinish(session, exitstatus):
    if _is_worker(session.config):
        return
    before = session.config.stash.get(_CHECKOUT, "")
    after = _checkout_state()
    if before != after:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        session.config.stash[_WROTE] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    skipped = session.config.stash.get(_SKIPS, 0)
    if skipped and os.environ.get("HANDOUTS_NO_SKIPS") == "1":
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_runtest_logreport(report):
    if report.skipped:
        _SESSION_CONFIG[0].stash[_SKIPS] = _SESSION_CONFIG[0].stash.get(_SKIPS, 0) + 1


def pytest_configure(config):
    _SESSION_CONFIG[:] = [config]


# Fixtures that build real outputs (every PDF, a narrated project, a library on Dask) or
# start Chromium: a test that uses one is slow. `pytest -m "not slow"` is the fast loop.
SLOW_FIXTURES = {"pdf_handouts", "browser", "built", "small_project", "clinic", "reviewed_and_unreviewed",
                 "library", "narrated", "split", "english", "wheel"}


# The modules that take longest, longest first: pytest-xdist hands out modules in collection
# order, so these start first and no worker is left with a long one at the end.
LONGEST_MODULES = ["test_audio", "test_epub", "test_faults", "test_library", "test_build", "test_voices_engines",
                   "test_clinic", "test_languages", "test_piper", "test_review"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    rank = {name: number for number, name in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in config.stash.get(_WROTE, []):
        terminalreporter.write_line(f"a test wrote into the checkout: {line}", red=True)
    skipped = config.stash.get(_SKIPS, 0)
    if skipped and os.environ.get("HANDOUTS_NO_SKIPS") == "1":
        terminalreporter.write_line(f"{skipped} tests skipped: with HANDOUTS_NO_SKIPS=1 (make test, CI) a skip "
                                    "fails the run; run `make setup-test` to install what they need", red=True)


_CHECKOUT = pytest.StashKey[str]()
_WROTE = pytest.StashKey[list]()
_SKIPS = pytest.StashKey[int]()
_SESSION_CONFIG: list = []
