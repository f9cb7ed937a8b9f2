"""A html_library at scale: what keeps a thousand articles in two dozen languages cheap to
build again. A writer's code change re-keys its tasks without reading a pair; pairs
planned on worker processes are planned exactly as here; a catalog without an article
and a build state of another version are one line each and the build goes on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.core.config import load_config
from pipeline.engine import BuildState, keys, plan_build
from pipeline.engine import replan
from pipeline.engine.pairs import encoded
from pipeline.engine.settled import RECORD_NAME
from pipeline.engine.state import SCHEMA_VERSION
from pipeline.publish import build_and_publish

from conftest import SLUG
from library import make_library


def build(root: Path, *formats: str, **options):
    return build_and_publish(load_config(root), list(formats) or ["html"], say=lambda text: None, jobs=1, **options)


@pytest.fixture
def html_library(tmp_path) -> Path:
    root = make_library(tmp_path / "html_library", 3, ["en", "es", "ar"])
    report = build(root)
    assert not report.failed and len(report.built) == 9
    return root


def _changed_code(monkeypatch, writer: str, root: Path) -> None:
    """As if the writer's module had been edited: its code fingerprint changes, and the
    record of the last complete build no longer holds (the edit changed a file's time)."""
    (load_config(root).cache_dir / RECORD_NAME).unlink(missing_ok=True)
    original = keys.code_fingerprint

    def fingerprint(name: str, *args) -> str:
        return original(name, *args) + ("-edited" if name == writer else "")

    monkeypatch.setattr(keys, "code_fingerprint", fingerprint)


def test_a_writer_code_change_rekeys_its_tasks_without_reading_a_pair(html_library, monkeypatch):
    _changed_code(monkeypatch, "epub", html_library)
    report = build(html_library)
    assert report.built == [] and report.replanned == 0, "the EPUB's tasks are re-keyed, none selected"
    _changed_code(monkeypatch, "html", html_library)
    report = build(html_library)
    assert report.replanned == 0 and len(report.built) == 9, "every HTML task is built again, nothing is read"


def test_rekeyed_tasks_have_the_keys_a_full_planning_gives(html_library, monkeypatch):
    _changed_code(monkeypatch, "html", html_library)
    assert build(html_library).replanned == 0
    config = load_config(html_library)
    state = BuildState(config.cache_dir)
    rekeyed = dict(state.db.execute("SELECT path, key FROM expected"))
    with state.transaction():
        state.db.execute("DELETE FROM pairs")
    planned = plan_build(config, state)
    assert planned.replanned == 9
    assert dict(state.db.execute("SELECT path, key FROM expected")) == rekeyed
    assert len([path for path in rekeyed if path.endswith(".html")]) == 9
    state.close()


def test_pairs_planned_on_workers_are_planned_as_here(html_library, monkeypatch):
    config = load_config(html_library)
    here = plan_build(config, BuildState(config.cache_dir / "here"))
    monkeypatch.setattr(replan, "PARALLEL_FROM", 1)
    there = plan_build(config, BuildState(config.cache_dir / "there"), jobs=2)
    assert there.replanned == here.replanned == 9
    assert [encoded(pair) for pair in there.pairs()] == [encoded(pair) for pair in here.pairs()]


def test_catalogs_of_a_removed_article_are_one_note_and_the_build_goes_on(html_library, capsys):
    from pipeline.cli.main import main

    (html_library / "sources" / f"{SLUG}-002.md").unlink()
    assert main(["--root", str(html_library), "build", "--format", "html", "-q", "--jobs", "1"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "no article" in line]
    assert notes == [f"note: translations/*/LC_MESSAGES/{SLUG}-002.po (2 languages: ar, es): there is no article "
                     f"'{SLUG}-002' in sources/ (renamed or removed?); not built, kept as translation memory for "
                     f"'handouts extract'; delete the catalogs when they are no longer needed"]


def test_a_state_of_another_version_is_one_note_and_made_anew(html_library, capsys):
    from pipeline.cli.main import main

    state = load_config(html_library).cache_dir / "state.sqlite"
    with sqlite3.connect(state) as db:
        db.execute("UPDATE settings SET value = '1' WHERE name = 'schema'")
    (html_library / "outputs" / "es" / f"{SLUG}.es.html").unlink()  # so that the build has work to do
    assert main(["--root", str(html_library), "build", "--format", "html", "-q", "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if "state" in line] == [
        f"note: the build state {state} was made by another version of handouts (state schema 1, this version's "
        f"is {SCHEMA_VERSION}); made it anew from the files on disk"]
    assert captured.out.startswith("built 1, up to date 8,")


def _edit_spanish(root: Path, slug: str) -> None:
    catalog = root / "translations" / "es" / "LC_MESSAGES" / f"{slug}.po"
    text = catalog.read_text("utf-8")
    edited = text.replace("Las investigaciones sobre el tratamiento", "La investigación sobre el tratamiento")
    assert edited != text
    catalog.write_text(edited, "utf-8")


@pytest.fixture
def only_changed_pairs(monkeypatch):
    """Fails a build that fingerprints every pair (what a build does when more than
    article catalogs changed)."""
    from pipeline.engine.fingerprints import Fingerprints

    def refuse(self, sources):
        raise AssertionError("every pair was fingerprinted although only one catalog changed")

    monkeypatch.setattr(Fingerprints, "all", refuse)


def test_an_edited_catalog_is_planned_without_looking_at_the_other_pairs(html_library, only_changed_pairs):
    _edit_spanish(html_library, f"{SLUG}-002")
    report = build(html_library)
    assert report.built == [f"{SLUG}-002.es.html"] and report.replanned == 1
    assert len(report.cached) == 8 and len(report.plan.order) == 9


def test_anything_but_article_catalogs_changed_looks_at_every_pair(html_library, monkeypatch):
    from pipeline.engine.fingerprints import Fingerprints

    calls = []
    original = Fingerprints.all
    monkeypatch.setattr(Fingerprints, "all", lambda self, sources: calls.append(1) or original(self, sources))
    source = html_library / "sources" / f"{SLUG}-001.md"
    source.write_text(source.read_text("utf-8") + "\n", "utf-8")
    assert build(html_library).built == [] and calls == [1]
    pronunciation = html_library / "translations" / "es" / "pronunciation.toml"
    pronunciation.write_text(pronunciation.read_text("utf-8") + "\n", "utf-8")
    assert build(html_library).built == [] and calls == [1, 1]


def test_a_broken_source_is_still_reported_when_only_a_catalog_changed(html_library, capsys):
    from pipeline.cli.main import main

    broken = html_library / "sources" / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n\nText.\n", "utf-8")
    runs = []
    for edit in (None, f"{SLUG}-001"):
        if edit:
            _edit_spanish(html_library, edit)
        code = main(["--root", str(html_library), "build", "--format", "html", "-q", "--jobs", "1"])
        runs.append((code, [line for line in capsys.readouterr().err.splitlines() if "broken.md" in line]))
    assert runs[0][0] == runs[1][0] == 1
    assert runs[0][1] == runs[1][1] and len(runs[1][1]) == 1
