"""Burmese line breaks for print: a zero-width space between syllables, in laid-out text only."""

from __future__ import annotations

from pipeline.writers.common.line_breaks import ZERO_WIDTH_SPACE, mark_breaks, mark_text


def shown(text: str) -> str:
    return text.replace(ZERO_WIDTH_SPACE, "|")


def test_burmese_breaks_between_syllables_never_inside_one():
    # ပုံမှန် (normal): a medial and a killed final stay with their syllable;
    # နို့ပြွန် (milk duct): vowel signs, a dot below and a stacked medial stay together.
    assert shown(mark_text("ပုံမှန်မဟုတ်သော ဆဲလ်များ", "syllables-mymr")) == "ပုံ|မှန်|မ|ဟုတ်|သော ဆဲလ်|များ"
    assert shown(mark_text("နို့ပြွန်", "syllables-mymr")) == "နို့|ပြွန်"
    # the dot below is stored before the killer: န့် is the end of ပြန့်, not a syllable of its own
    assert shown(mark_text("ပြန့်ပွားသော", "syllables-mymr")) == "ပြန့်|ပွား|သော"
    # kinzi (င်္) stays with the consonant it sits on: အင်္ဂလိပ် (English)
    assert shown(mark_text("အင်္ဂလိပ်", "syllables-mymr")) == "အင်္ဂ|လိပ်"
    # A stacked consonant (after U+1039) starts no syllable: သတ္တု (metal)
    assert shown(mark_text("သတ္တု", "syllables-mymr")) == "သတ္တု"
    assert mark_text("ကင်ဆာ", "spaces") == "ကင်ဆာ"  # other scripts are left as they are


def test_only_laid_out_text_of_the_body_is_marked():
    html = ('<html><head><title>ဆဲလ်များ</title></head><body><p class="ဆဲလ်များ">ဆဲလ်များ</p>'
            '<svg><title>ဆဲလ်များ</title></svg><p>(DCIS) ကင်ဆာ</p></body></html>')
    marked = shown(mark_breaks(html, "syllables-mymr"))
    assert marked == ('<html><head><title>ဆဲလ်များ</title></head><body><p class="ဆဲလ်များ">ဆဲလ်|များ</p>'
                      '<svg><title>ဆဲလ်များ</title></svg><p>(DCIS) ကင်|ဆာ</p></body></html>')
