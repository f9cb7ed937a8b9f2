"""A build with nothing to do is answered from the record of the last complete build
(pipeline/engine/settled.py) without planning a pair, and any change of what the record
was made from — an input, an output, the configuration, the selection — takes the
ordinary path and builds what it must. Small HTML libraries keep these tests fast."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.core.config import load_config
from pipeline.engine import plan as planning
from pipeline.engine.settled import RECORD_NAME
from pipeline.publish import build_and_publish

from conftest import SLUG
from library import make_library


def build(root: Path, *formats: str, **options):
    return build_and_publish(load_config(root), list(formats) or ["html"], say=lambda text: None, jobs=1, **options)


@pytest.fixture
def html_library(tmp_path) -> Path:
    root = make_library(tmp_path / "html_library", 3, ["en", "es", "fr"])
    report = build(root)
    assert not report.failed and len(report.built) == 9
    return root


@pytest.fixture
def planned(monkeypatch) -> list[int]:
    """Counts the plannings of the whole project (each reads the state of every pair)."""
    calls: list[int] = []
    original = planning.plan_build

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr("pipeline.engine.coordinator.plan_build", counting)
    return calls


def test_nothing_changed_is_answered_without_planning_and_reports_the_same(html_library, planned):
    report = build(html_library)
    assert report.built == [] and len(report.cached) == 9 and not report.failed
    assert planned == [], "a settled build plans no pair"
    assert report.plan is None


def test_a_deleted_output_is_built_again(html_library, planned):
    (html_library / "outputs" / "es" / f"{SLUG}-001.es.html").unlink()
    report = build(html_library)
    assert report.built == [f"{SLUG}-001.es.html"] and planned == [1]
    assert build(html_library).built == [] and planned == [1], "settled again after that build"


def test_an_output_edited_by_hand_is_built_again(html_library, planned):
    page = html_library / "outputs" / "fr" / f"{SLUG}.fr.html"
    page.write_text(page.read_text("utf-8").replace("<p>", "<p>X", 1), "utf-8")
    assert build(html_library).built == [f"{SLUG}.fr.html"]


def test_an_edited_catalog_rebuilds_its_pair_only(html_library, planned):
    catalog = html_library / "translations" / "es" / "LC_MESSAGES" / f"{SLUG}-002.po"
    text = catalog.read_text("utf-8")
    catalog.write_text(text.replace("Las investigaciones sobre el tratamiento", "La investigación sobre el tratamiento"),
                       "utf-8")
    assert build(html_library).built == [f"{SLUG}-002.es.html"] and planned == [1]


def test_a_touched_catalog_takes_the_ordinary_path_and_builds_nothing(html_library, planned):
    catalog = html_library / "translations" / "fr" / "LC_MESSAGES" / f"{SLUG}.po"
    os.utime(catalog, ns=(catalog.stat().st_atime_ns, catalog.stat().st_mtime_ns + 10**9))
    report = build(html_library)
    assert report.built == [] and len(report.cached) == 9 and planned == [1]


def test_another_selection_or_configuration_is_not_answered_from_the_record(html_library, planned):
    assert build(html_library, languages=["es"]).built == [] and planned == [1]
    assert build(html_library, languages=["es"]).built == [] and planned == [1], "each selection has its record"
    assert build(html_library).built == [] and planned == [1], "and the whole html_library's is still valid"
    config = html_library / "handouts.toml"
    config.write_text(config.read_text("utf-8").replace('"fr"]', '"fr", "de"]') + "\n", "utf-8")
    build(html_library)
    assert planned == [1, 1]


def test_waiting_and_problems_are_reported_again_exactly(html_library, capsys):
    from pipeline.cli.main import main

    (html_library / "sources" / "new-article.md").write_text(
        (html_library / "sources" / f"{SLUG}.md").read_text("utf-8"), "utf-8")
    broken = html_library / "translations" / "fr" / "LC_MESSAGES" / f"{SLUG}-001.po"
    broken.write_text(broken.read_text("utf-8") + '\nmsgid "dangling"\n', "utf-8")
    outputs = []
    for _ in range(2):
        code = main(["--root", str(html_library), "build", "--format", "html", "-q", "--jobs", "1"])
        captured = capsys.readouterr()
        outputs.append((code, captured.err, captured.out.split(" (")[0]))
    assert outputs[0][0] == outputs[1][0] == 1
    assert outputs[0][1] == outputs[1][1] and "new-article" in outputs[1][1] and f"{SLUG}-001.po" in outputs[1][1]
    assert outputs[1][2] == "built 0, up to date 9, failed 0, waiting 2"
    record = json.loads((load_config(html_library).cache_dir / RECORD_NAME).read_text("utf-8"))
    assert len(record["builds"]) == 1


def test_a_failed_task_is_never_settled(html_library, monkeypatch):
    from pipeline.writers.html import HtmlWriter

    (html_library / "outputs" / "es" / f"{SLUG}.es.html").unlink()
    original = HtmlWriter.write

    def failing(self, job):
        if job.facts.tag == "es":
            raise RuntimeError("a writer bug")
        return original(self, job)

    monkeypatch.setattr(HtmlWriter, "write", failing)
    assert len(build(html_library).failed) == 1
    assert len(build(html_library).failed) == 1, "tried again, not answered from a record"
    monkeypatch.undo()
    assert build(html_library).built == [f"{SLUG}.es.html"]
