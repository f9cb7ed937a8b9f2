"""A library of articles: authoring never breaks the build, rebuilds decide from metadata
without parsing, the site and feeds are browsable by article and by language, and the same
build runs on a Dask cluster, byte for byte, surviving a killed worker or coordinator."""

from __future__ import annotations

import json
import os
import signal
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from pipeline.core.config import load_config
from pipeline.publish import build_and_publish, verify_manifest

from conftest import REPO, SLUG, set_engines
from library import make_library as make_project_library
from test_build import state_problems

LANGUAGES = ["en", "es", "ar"]
NEW_ARTICLE = """---
title: Questions to Ask Your Care Team
language: en
authors: [Ann Pietrangelo]
updated: 2021-03-01
---

## Before your visit

Write down your questions before you see your doctor.
"""
ATOM = "{http://www.w3.org/2005/Atom}"


def make_library(root: Path, articles: int, languages: list[str]) -> Path:
    """A library narrated by espeak-ng (Piper's English is tested in test_piper.py)."""
    library = make_project_library(root, articles, languages)
    set_engines(library, ("espeak-ng",))
    return library


def build(root: Path, formats: list[str] | None = None, **options):
    return build_and_publish(load_config(root), formats, say=lambda text: None, **options)


def handouts(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    root = make_library(tmp_path_factory.mktemp("library") / "project", 3, LANGUAGES)
    report = build(root, ["html"], jobs=2)
    assert not report.failed and not report.problems and len(report.built) == 9
    return root


def copy_of(root: Path, destination: Path) -> Path:
    subprocess.run(["cp", "-a", str(root), str(destination)], check=True)
    return destination


# --- authoring ---------------------------------------------------------------------------------


def test_a_new_untranslated_article_waits_for_translation_and_the_build_succeeds(library, tmp_path):
    root = copy_of(library, tmp_path / "new")
    (root / "sources" / "questions-to-ask.md").write_text(NEW_ARTICLE, "utf-8")
    result = handouts(root, "build", "--format", "html", "-q")
    assert result.returncode == 0, result.stderr
    assert "handouts:" not in result.stderr  # no error line: waiting is not a failure
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("waiting for translation")
    assert lines[1:] == ["  es, ar: 1 article (questions-to-ask)"]
    assert "built 1," in result.stdout and "waiting 2" in result.stdout
    assert (root / "outputs" / "en" / "questions-to-ask.en.html").exists()
    strict = handouts(root, "build", "--format", "html", "-q", "--strict")
    assert strict.returncode == 1
    config = root / "handouts.toml"
    config.write_text(config.read_text("utf-8").replace("[publishing]", "[publishing]\nstrict = true"), "utf-8")
    assert handouts(root, "build", "--format", "html", "-q").returncode == 1


def test_a_broken_catalog_is_still_a_failure(library, tmp_path):
    root = copy_of(library, tmp_path / "broken")
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}-001.po"
    catalog.write_text(catalog.read_text("utf-8") + '\nmsgid "unfinished\n', "utf-8")
    result = handouts(root, "build", "--format", "html", "-q")
    assert result.returncode == 1
    assert f"translations/es/LC_MESSAGES/{SLUG}-001.po:" in result.stderr


def test_status_summarizes_per_language_and_drills_down(library, tmp_path):
    root = copy_of(library, tmp_path / "status")
    (root / "sources" / "questions-to-ask.md").write_text(NEW_ARTICLE, "utf-8")
    summary = handouts(root, "status")
    assert summary.returncode == 0, summary.stderr
    rows = {line.split()[0]: line.split() for line in summary.stdout.splitlines()[2:]}
    assert summary.stdout.splitlines()[0] == "4 articles, 3 languages"
    assert rows["en"][2:5] == ["4", "source", "0"]
    assert rows["es"][2:6] == ["3", "0", "1", "3"]  # complete, in progress, not started, published
    drill = handouts(root, "status", "--lang", "es")
    assert "questions-to-ask" in drill.stdout and "no catalog" in drill.stdout
    assert drill.stdout.count("will be published") == 3
    data = json.loads(handouts(root, "status", "--json").stdout)
    states = {(p["article"], p["language"]): p["state"] for p in data["pairs"]}
    assert states[("questions-to-ask", "ar")] == "not started" and states[(SLUG, "ar")] == "complete"


# --- rebuilds at library scale -----------------------------------------------------------------


def test_a_rebuild_with_nothing_changed_parses_nothing(library, monkeypatch):
    import pipeline.inputs.project as project

    def refuse(*args, **kwargs):
        raise AssertionError("a source or catalog was parsed although nothing changed")

    monkeypatch.setattr(project, "read_article", refuse)
    monkeypatch.setattr(project, "read_catalog", refuse)
    report = build(library, ["html"])
    assert report.built == [] and len(report.cached) == 9 and report.replanned == 0


def test_one_edited_sentence_in_one_catalog_rebuilds_exactly_that_pair(tmp_path):
    root = make_library(tmp_path / "edit", 3, LANGUAGES)
    assert len(build(root, ["html"]).built) == 9
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}-002.po"
    text = catalog.read_text("utf-8")
    assert "Las células anormales no son cancerosas" in text
    catalog.write_text(text.replace("Las células anormales no son cancerosas", "Las células anormales no son cáncer"),
                       "utf-8")
    report = build(root, ["html"])
    assert report.built == [f"{SLUG}-002.es.html"] and report.replanned == 1
    touched = root / "translations" / "ar" / "LC_MESSAGES" / f"{SLUG}-001.po"
    os.utime(touched)  # a newer time, the same bytes: planned again, nothing rebuilt
    report = build(root, ["html"])
    assert report.built == [] and report.replanned == 0


def test_a_removed_article_leaves_the_site_and_files_deleted_by_hand_leave_the_manifest(library, tmp_path):
    root = copy_of(library, tmp_path / "removed")
    (root / "sources" / f"{SLUG}-002.md").unlink()
    assert build(root, ["html"]).built == []
    assert f"{SLUG}-002" not in (root / "outputs" / "index.html").read_text("utf-8")
    manifest = json.loads((root / "outputs" / "manifest.json").read_text("utf-8"))
    assert {f["current"] for f in manifest["files"] if f["article"] == f"{SLUG}-002"} == {False}
    for leftover in (root / "outputs").glob(f"*/{SLUG}-002.*"):
        leftover.unlink()
    assert build(root, ["html"]).built == []
    assert verify_manifest(load_config(root)) == []


# --- the site and the feeds --------------------------------------------------------------------


def test_every_page_of_the_site_passes_axe_core_in_chromium(library, browser):
    axe = REPO / "node_modules" / "axe-core" / "axe.min.js"
    outputs = library / "outputs"
    pages = ["index.html", f"articles/{SLUG}-001.html", "es/index.html", "ar/index.html", "en/index.html"]
    for name in pages:
        page = browser.new_page()
        page.goto((outputs / name).as_uri())
        page.add_script_tag(content=axe.read_text("utf-8"))
        result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
        assert result["violations"] == [], name
        # Reflow (WCAG 1.4.10): at a phone's width nothing scrolls sideways, in either direction.
        page.set_viewport_size({"width": 320, "height": 640})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{name} is {width} px wide at a 320 px viewport"
        broken = page.evaluate("""() => [...document.querySelectorAll('a[href]')].map(a => a.href)
            .filter(h => h.startsWith('file:'))""")
        for href in broken:
            assert Path(href.removeprefix("file://").split("#")[0]).exists(), f"{name} links to {href}"
        page.close()


def test_a_language_page_lists_every_article_in_that_language_titled_in_it(library):
    from lxml import html

    page = html.parse(str(library / "outputs" / "ar" / "index.html")).getroot()
    assert page.get("lang") == "ar" and page.get("dir") == "rtl"
    title = page.findtext(".//title")
    assert title.startswith("نشرات للمرضى") and "العربية" in title  # "Patient handouts" in Arabic
    assert len(page.findall(".//main/article")) == 3
    links = [a.get("href") for a in page.iter("a") if a.get("href", "").endswith(".ar.html")]
    assert len(links) == 3
    topics = [a.get("href") for a in page.iter("a") if "/topics/" in a.get("href", "")]
    assert len(topics) == 2  # the article's two categories
    index = html.parse(str(library / "outputs" / "index.html")).getroot()
    names = [(s.get("lang"), s.get("dir"), s.text) for s in index.findall(".//section[@aria-labelledby='by-language']//span")]
    assert names == [("en", "ltr", "English"), ("es", "ltr", "Español"), ("ar", "rtl", "العربية")]


@pytest.fixture(scope="module")
def narrated(tmp_path_factory) -> Path:
    """Two articles in English and Spanish, every format, built by local processes."""
    root = make_library(tmp_path_factory.mktemp("narrated") / "project", 2, ["en", "es"])
    report = build(root, jobs=2)
    assert not report.failed and len(report.built) == 20
    return root


def test_opds_feeds_list_every_language_and_every_article(narrated):
    outputs = narrated / "outputs"
    navigation = etree.parse(str(outputs / "catalog.xml")).getroot()
    sections = navigation.findall(f"{ATOM}entry")
    assert [s.find("{http://purl.org/dc/terms/}language").text for s in sections] == ["en", "es"]
    assert "kind=navigation" in navigation.find(f"{ATOM}link[@rel='self']").get("type")
    for section in sections:
        link = section.find(f"{ATOM}link[@rel='subsection']")
        feed = etree.parse(str(outputs / link.get("href"))).getroot()
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == 2 and section.find(f"{ATOM}content").text == "2 publications"
        ids = {entry.find(f"{ATOM}id").text for entry in entries}
        assert len(ids) == 2
        for entry in entries:
            for acquisition in entry.findall(f"{ATOM}link[@rel='http://opds-spec.org/acquisition']"):
                assert (outputs / link.get("href")).parent.joinpath(acquisition.get("href")).is_file()


# --- Dask ------------------------------------------------------------------------------------


def outputs_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root / "outputs")): p.read_bytes()
            for p in sorted((root / "outputs").rglob("*")) if p.is_file()}


def test_a_dask_local_cluster_builds_the_same_bytes(narrated, tmp_path):
    root = make_library(tmp_path / "dask", 2, ["en", "es"])
    # The sentences are already spoken (the synthesis cache is keyed by content); the
    # killed-worker test below has Dask workers synthesize.
    shutil.copytree(narrated / ".cache" / "handouts" / "tts", root / ".cache" / "handouts" / "tts")
    report = build(root, jobs=2, scheduler="local")
    assert not report.failed and len(report.built) == 20 and "Dask LocalCluster" in report.executor
    assert outputs_of(root) == outputs_of(narrated)


def _children(pid: int) -> list[int]:
    """Every descendant process of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def _dask_workers(pid: int) -> list[int]:
    workers = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"spawn_main" in command:
            workers.append(child)
    return workers


def test_a_killed_dask_worker_is_replaced_and_the_build_completes(narrated, tmp_path):
    root = make_library(tmp_path / "worker", 2, ["en", "es"])
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--scheduler", "local",
                                "--jobs", "2", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    synthesized = root / ".cache" / "handouts" / "tts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(synthesized.rglob("*.wav")):
        time.sleep(0.1)  # until a worker is synthesizing narration
    time.sleep(0.5)
    workers = _dask_workers(process.pid)
    assert workers, "no Dask worker process found"
    os.kill(workers[-1], signal.SIGKILL)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "built 20," in out
    assert outputs_of(root) == outputs_of(narrated)
    assert verify_manifest(load_config(root)) == []


def test_a_killed_coordinator_leaves_complete_files_and_the_next_build_resumes(narrated, tmp_path):
    from test_build import _complete

    root = make_library(tmp_path / "coordinator", 2, ["en", "es"])
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--scheduler", "local",
                                "--jobs", "2", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((root / "outputs").rglob("*.mp3")):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert list((root / "outputs").rglob("*.mp3")), "the build was killed before it wrote anything"
    for path in (root / "outputs").rglob("*"):
        assert not path.name.startswith(".") and not path.name.endswith(".part")
        if path.is_file():
            assert _complete(path), f"partial file: {path}"
    assert state_problems(root) == []
    report = build(root, jobs=2)
    assert not report.failed and report.cached, "the next build resumes from what was stored"
    assert outputs_of(root) == outputs_of(narrated)
    assert verify_manifest(load_config(root)) == []
