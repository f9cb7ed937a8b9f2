"""The shared semantic HTML: language and direction, structure, nothing in English that should not be."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from pipeline.inputs.sources import read_article

from conftest import REPO, SLUG

EXPECTED = {"en": "ltr", "es": "ltr", "ar": "rtl", "zh-Hans": "ltr", "vi": "ltr"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import copy_project
    from pipeline.cli import main

    root = copy_project(tmp_path_factory.mktemp("html") / "project")
    assert main(["--root", str(root), "build", "--format", "html", "-q"]) == 0
    return root


@pytest.mark.parametrize("tag, direction", EXPECTED.items())
def test_html_has_language_direction_and_real_structure(built, tag, direction):
    page = lxml_html.parse(str(built / "outputs" / tag / f"{SLUG}.{tag}.html")).getroot()
    assert page.get("lang") == tag
    assert page.get("dir") == direction
    assert len(page.findall(".//h1")) == 1
    assert len(page.findall(".//main//h2")) == 5
    assert len(page.findall(".//main//ul/li")) == 6
    assert page.find(".//figure/blockquote") is not None and page.find(".//figure/figcaption") is not None


@pytest.mark.parametrize("tag", [t for t in EXPECTED if t != "en"])
def test_translated_html_contains_no_english_sentence(built, tag):
    english = read_article(REPO / "sources" / f"{SLUG}.md")
    text = lxml_html.parse(str(built / "outputs" / tag / f"{SLUG}.{tag}.html")).getroot().text_content()
    leaked = [s.text for s in english.segments() if len(s.text) > 12 and s.text in text]
    assert not leaked
    for word in ("Related reading", "About this handout", "Medically reviewed by", "Updated on"):
        assert word not in text
    assert "Violet Hanft RN" in text  # names stay as they are
