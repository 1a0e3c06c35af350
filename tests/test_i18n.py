"""The brief's language: catalogues, labels, quotation marks, dates, direction (pipeline/i18n.py)."""

from __future__ import annotations

import json
import re
import string
import tomllib
import unicodedata

import pytest
from babel.messages.pofile import read_po
from briefmaker import BRIEF_YAML, check, make_brief, section
from conftest import REPO

from pipeline import i18n, tree
from pipeline.compose import compose

# The contract's keys and their English text ({...} are str.format fields).
ENGLISH = {
    "contents": "Contents",
    "summary": "Executive summary",
    "key_points": "Key points",
    "notes": "Notes",
    "page": "page",
    "of": "of",
    "version": "Version",
    "long_version": "The full brief, with sources and notes, is published as the long version.",
    "back": "Back to citation",
    "page_of": "page {page} of {pages}",
    "footnotes": "Footnotes",
    "figure": "Figure",
    "table": "Table",
    "section": "Section",
    "appendix": "Appendix",
    "source": "Source: {source}",
    "key_findings": "Key findings",
    "recommendations": "Recommendations",
    "about_authors": "About the authors",
    "acknowledgements": "Acknowledgements",
    "about_organization": "About {organization}",
    "how_to_cite": "How to cite this brief",
    "licence": "Licence",
    "disclaimer": "Disclaimer",
    "long_version_at": "The full brief, with sources and notes: {link}",
    "back_to_citation": "Back to citation {number}",
    "back_to_footnote": "Back to footnote {letter}",
    "skip_to_content": "Skip to the text",
    "title_page": "Title page",
    "series_number": "{series}, no. {number}",
    "published": "Published {date}",
}

SUPPORTED = ["en", "es", "fr", "de", "pt", "it", "nl", "pl", "ru", "uk", "tr", "ar", "fa", "he", "hi",
             "zh-Hans", "zh-Hant", "ja", "ko"]

# Translations that are the English word on purpose: the same word in that language.
SAME_AS_ENGLISH = {("fr", "notes"), ("fr", "page"), ("fr", "version"), ("fr", "figure"), ("fr", "section"),
                   ("fr", "licence"), ("de", "version")}

# The letters each catalogue may use (Unicode character name prefixes); fields, digits and punctuation aside.
SCRIPTS = {
    "ru": ("CYRILLIC",), "uk": ("CYRILLIC",), "ar": ("ARABIC",), "fa": ("ARABIC",), "he": ("HEBREW",),
    "hi": ("DEVANAGARI",), "zh-Hans": ("CJK UNIFIED",), "zh-Hant": ("CJK UNIFIED",),
    "ja": ("CJK UNIFIED", "HIRAGANA", "KATAKANA"), "ko": ("HANGUL",),
}

WARNING = ("language '{}' has no translated labels: English labels, quotes and dates are used "
           "(supported: en, es, fr, de, pt, it, nl, pl, ru, uk, tr, ar, fa, he, hi, zh-Hans, zh-Hant, ja, ko)")


def fields(text: str) -> list[tuple[str, str, str | None]]:
    """The str.format fields of a text (name, format spec, conversion), in order."""
    return [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None]


def po_messages(name: str) -> list:
    with (i18n.LOCALE_DIR / f"{name}.po").open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


def plain(text: str) -> str:
    """The text without its {fields}."""
    return re.sub(r"\{[^}]*\}", "", text)


# --- resolving tags ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "catalogue"), [
    ("en", "en"), ("en-GB", "en"), ("en-US", "en"), ("EN-gb", "en"), ("en-GB-oxendict", "en"),
    ("pt-BR", "pt"), ("pt-PT", "pt"), ("PT-br", "pt"), ("es-419", "es"), ("es-MX", "es"), ("fr-CA", "fr"),
    ("de-CH-1996", "de"), ("it-CH", "it"), ("nl-BE", "nl"), ("pl-PL", "pl"), ("ru-RU", "ru"), ("uk-UA", "uk"),
    ("tr-TR", "tr"), ("ar-EG", "ar"), ("fa-IR", "fa"), ("fa-AF", "fa"), ("he-IL", "he"), ("iw", "he"),
    ("hi-IN", "hi"), ("ja-JP", "ja"), ("ko-KR", "ko"),
    ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh-Hans", "zh-Hans"),
    ("zh-Hans-CN", "zh-Hans"), ("zh-cmn-Hans-CN", "zh-Hans"), ("cmn", "zh-Hans"),
    ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"), ("zh-Hant", "zh-Hant"),
    ("zh-hant-tw", "zh-Hant"), ("zh-Hant-CN", "zh-Hant"), ("zh-Hans-TW", "zh-Hans"),
    # no catalogue: other languages, and supported languages in another script
    ("xx", None), ("qaa", None), ("und", None), ("ur", None), ("nb", None), ("sw", None), ("yue-HK", None),
    ("zh-yue", None), ("zh-Latn", None), ("ja-Latn", None), ("hi-Latn", None), ("ru-Latn", None),
    ("sr-Latn", None), ("en-Dsrt", None),
])
def test_catalogue_for_a_tag(tag, catalogue):
    assert i18n.catalogue_for(tag) == catalogue
    assert i18n.is_supported(tag) is (catalogue is not None)


def test_every_supported_language_has_its_catalogue_file():
    assert list(i18n.SUPPORTED) == SUPPORTED
    assert sorted(path.stem for path in i18n.LOCALE_DIR.glob("*.po")) == sorted(SUPPORTED)
    for name in SUPPORTED:
        assert i18n.catalogue_for(name) == name


def test_catalogues_ship_with_the_package():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["pipeline"]
    shipped = {path for pattern in patterns for path in (REPO / "pipeline").glob(pattern)}
    assert set(i18n.LOCALE_DIR.glob("*.po")) <= shipped
    assert any(line.startswith("babel==") for line in (REPO / "requirements.lock").read_text().splitlines())


# --- the catalogues ----------------------------------------------------------------------------------

def test_english_catalogue_is_the_contract():
    assert {m.context: m.id for m in po_messages("en")} == ENGLISH
    assert i18n.labels_for("en") == ENGLISH


@pytest.mark.parametrize("name", SUPPORTED)
def test_catalogue_translates_every_key(name):
    messages = po_messages(name)
    contexts = [m.context for m in messages]
    assert sorted(contexts) == sorted(ENGLISH), "every key exactly once"
    for message in messages:
        key, text = message.context, message.string
        assert message.id == ENGLISH[key], f"{name}:{key}: msgid must be the English text"
        assert not message.fuzzy, f"{name}:{key} is fuzzy"
        assert text and text.strip() == text, f"{name}:{key}: empty or padded msgstr"
        assert sorted(fields(text)) == sorted(fields(ENGLISH[key])), f"{name}:{key}: fields differ from English"
        text.format(page=3, pages=8, source="X", organization="X", link="X", number=3, letter="a",
                    series="X", date="X")
        if name != "en" and (name, key) not in SAME_AS_ENGLISH:
            assert text != ENGLISH[key], f"{name}:{key} is not translated"
    assert i18n.labels_for(name) == {m.context: m.string for m in messages}


@pytest.mark.parametrize("name", sorted(set(SUPPORTED) - set(SCRIPTS)))
def test_latin_script_catalogues_use_latin_letters(name):
    for key, text in i18n.labels_for(name).items():
        for char in plain(text):
            if char.isalpha() and char not in "ºª":  # n.º: the ordinal indicators of Spanish and Portuguese
                assert unicodedata.name(char).startswith("LATIN"), f"{name}:{key}: {char!r}"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_catalogues_are_written_in_their_script(name):
    for key, text in i18n.labels_for(name).items():
        for char in plain(text):
            if char.isalpha() and unicodedata.category(char) != "Mn":
                assert unicodedata.name(char).startswith(SCRIPTS[name]), f"{name}:{key}: {char!r}"


def test_persian_and_arabic_use_their_own_letters():
    persian = "".join(i18n.labels_for("fa").values())
    arabic = "".join(i18n.labels_for("ar").values())
    assert "\u064a" not in persian and "\u0643" not in persian  # Arabic yeh and kaf
    assert "\u06cc" in persian and "\u06a9" in persian          # Persian yeh and keheh
    assert "\u06cc" not in arabic and "\u06a9" not in arabic
    assert "\u200c" in i18n.labels_for("fa")["footnotes"]        # پانویس‌ها: the half-space of Persian plurals


def test_chinese_catalogues_are_simplified_and_traditional():
    pairs = ["录錄", "报報", "发發", "简簡", "谢謝", "关關", "许許", "议議", "声聲", "处處", "页頁", "图圖",
             "节節", "资資", "来來", "详詳", "脚腳", "见見", "释釋", "点點", "执執", "权權", "条條", "责責"]
    simplified = "".join(i18n.labels_for("zh-Hans").values())
    traditional = "".join(i18n.labels_for("zh-Hant").values())
    for pair in pairs:
        assert pair[1] not in simplified, pair
        assert pair[0] not in traditional, pair
    assert sum(pair[0] in simplified for pair in pairs) >= 10
    assert sum(pair[1] in traditional for pair in pairs) >= 10


def test_russian_and_ukrainian_are_different_languages():
    russian = "".join(i18n.labels_for("ru").values()).lower()
    ukrainian = "".join(i18n.labels_for("uk").values()).lower()
    assert not set("іїєґ") & set(russian) and set("ії") <= set(ukrainian)
    assert not set("ыэъ") & set(ukrainian) and set("ыэ") & set(russian)


def test_french_punctuation_spacing():
    labels = i18n.labels_for("fr")
    assert labels["source"].format(source="Insee") == "Source\u00a0: Insee"
    for key, text in labels.items():
        assert " :" not in text and (":" not in text or "\u00a0:" in text), key


def test_labels_of_an_unsupported_language_are_english():
    for tag in ("xx", "ur", "zh-Latn", "sw-KE"):
        assert i18n.labels_for(tag) == ENGLISH


def test_labels_follow_the_written_form_of_chinese():
    assert i18n.labels_for("zh-TW")["contents"] == "目錄"
    assert i18n.labels_for("zh-HK")["summary"] == "執行摘要"
    assert i18n.labels_for("zh-SG")["contents"] == "目录"
    assert i18n.labels_for("pt-BR")["summary"] == "Sumário executivo"
    assert i18n.labels_for("ja")["page_of"].format(page=3, pages=8) == "3/8ページ"
    assert i18n.labels_for("de-AT")["page_of"].format(page=3, pages=8) == "Seite 3 von 8"


# --- quotation marks ---------------------------------------------------------------------------------

NNBSP = "\u202f"


@pytest.mark.parametrize(("tag", "marks"), [
    ("en", "“”‘’"), ("en-GB", "“”‘’"), ("es", "“”‘’"), ("es-US", "«»“”"), ("de", "„“‚‘"), ("de-CH", "„“‚‘"),
    ("pt", "“”‘’"), ("pt-BR", "“”‘’"), ("pt-PT", "«»“”"), ("pt-MZ", "«»“”"), ("it", "«»“”"), ("nl", "‘’‘’"),
    ("pl", "„”«»"), ("ru", "«»„“"), ("uk", "«»„“"), ("tr", "“”‘’"), ("ar", "”“’‘"), ("fa", "«»‹›"),
    ("he", "””’’"), ("hi", "“”‘’"), ("zh-Hans", "“”‘’"), ("zh-CN", "“”‘’"), ("zh-Hant", "「」『』"),
    ("zh-TW", "「」『』"), ("zh-HK", "「」『』"), ("zh-MO", "「」『』"), ("ja", "「」『』"), ("ko", "“”‘’"),
    ("xx", "“”‘’"), ("ur", "“”‘’"),
])
def test_quotes_follow_cldr(tag, marks):
    assert i18n.quotes_for(tag) == tuple(marks)


@pytest.mark.parametrize(("tag", "marks"), [
    ("fr", ("«" + NNBSP, NNBSP + "»", "«" + NNBSP, NNBSP + "»")),
    ("fr-BE", ("«" + NNBSP, NNBSP + "»", "«" + NNBSP, NNBSP + "»")),
    ("fr-CH", ("«" + NNBSP, NNBSP + "»", "‹" + NNBSP, NNBSP + "›")),
    ("fr-CA", ("«" + NNBSP, NNBSP + "»", "”", "“")),
])
def test_french_guillemets_take_a_narrow_no_break_space(tag, marks):
    assert i18n.quotes_for(tag) == marks


def test_only_french_spaces_its_quotation_marks():
    for name in SUPPORTED:
        spaced = any(not mark.isprintable() or mark.strip() != mark or len(mark) > 1 for mark in i18n.quotes_for(name))
        assert spaced is (name == "fr"), name


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", "«Газпром» и „ячейки“"),
    ("ja", "「Газпром」 и 『ячейки』"),
    ("fr", f"«{NNBSP}Газпром{NNBSP}» и «{NNBSP}ячейки{NNBSP}»"),
])
def test_composed_brief_quotes_and_labels_follow_its_language(tmp_path, lang, expected):
    """Through the pipeline: a brief in the language gets its quotes and labels in the composed document."""
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML.replace("language: en", f"language: {lang}"),
                        sections={"01-a.md": section("A", "\"Газпром\" и 'ячейки' [@alpha-2024; @beta-2023].\n")})
    problems, document, _ = check(folder)
    assert document is not None and not problems, [p.format() for p in problems]
    text = tree.stringify(compose(document, "long", "html")["blocks"])
    assert expected in text
    labels = i18n.labels_for(lang)
    assert labels["summary"] in text and labels["notes"] in text


# --- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "date"), [
    ("en", "28 November 2026"), ("en-GB", "28 November 2026"), ("en-US", "November 28, 2026"),
    ("es", "28 de noviembre de 2026"), ("fr", "28 novembre 2026"), ("de", "28. November 2026"),
    ("pt-BR", "28 de novembro de 2026"), ("it", "28 novembre 2026"), ("nl", "28 november 2026"),
    ("pl", "28 listopada 2026"), ("ru", "28 ноября 2026\u202fг."), ("uk", "28 листопада 2026\u202fр."),
    ("tr", "28 Kasım 2026"), ("ar", "28 نوفمبر 2026"), ("ar-EG", "٢٨ نوفمبر ٢٠٢٦"),
    ("fa", "۲۸ نوامبر ۲۰۲۶"), ("he", "28 בנובמבר 2026"), ("hi", "28 नवंबर 2026"),
    ("zh-Hans", "2026年11月28日"), ("zh-Hant", "2026年11月28日"), ("zh-TW", "2026年11月28日"),
    ("ja", "2026年11月28日"), ("ko", "2026년 11월 28일"),
    ("xx", "28 November 2026"), ("ur", "28 November 2026"), ("zh-Latn", "28 November 2026"),
])
def test_printed_date_is_the_long_cldr_date(tag, date):
    assert i18n.format_date("2026-11-28", tag) == date


def test_published_label_takes_the_date():
    assert i18n.labels_for("es")["published"].format(date=i18n.format_date("2026-11-28", "es")) == \
        "Publicado el 28 de noviembre de 2026"
    assert i18n.labels_for("de")["published"].format(date=i18n.format_date("2026-03-01", "de")) == \
        "Veröffentlicht am 1. März 2026"


# --- direction ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "expected"), [
    ("ar", "rtl"), ("ar-EG", "rtl"), ("fa", "rtl"), ("fa-IR", "rtl"), ("he", "rtl"), ("iw", "rtl"), ("ur", "rtl"),
    ("ur-PK", "rtl"), ("yi", "rtl"), ("az-Arab", "rtl"),
    ("en", "ltr"), ("fr", "ltr"), ("ru", "ltr"), ("hi", "ltr"), ("zh-Hant", "ltr"), ("ja", "ltr"),
    ("ar-Latn", "ltr"), ("xx", "ltr"),
])
def test_direction(tag, expected):
    assert i18n.direction(tag) == expected


# --- unsupported and unusual tags ---------------------------------------------------------------------

def test_an_unsupported_language_warns_once_and_builds_in_english(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML.replace("language: en", "language: sw-KE"))
    problems, document, _ = check(folder)
    assert document is not None
    warnings = [p.format(relative_to=folder.parent) for p in problems if p.severity == "warning"]
    assert warnings == ["b/brief.yaml:6: warning: " + WARNING.format("sw-KE")]
    assert document.labels == ENGLISH
    assert document.meta.language == "sw-KE"


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-TW", "fa-IR"])
def test_a_supported_language_does_not_warn(tmp_path, tag):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML.replace("language: en", f"language: {tag}"))
    problems, document, _ = check(folder)
    assert document is not None and not problems, [p.format() for p in problems]
    assert document.labels == i18n.labels_for(tag)


def test_every_tag_the_schema_accepts_works():
    schema = json.loads((REPO / "pipeline" / "schemas" / "brief.schema.json").read_text(encoding="utf-8"))
    pattern = re.compile(schema["properties"]["language"]["pattern"])
    tags = ["en", "EN", "zz", "zzz", "und", "mul", "zxx", "qaa", "en-US-POSIX", "de-DE-1901-1996", "es-419",
            "sr-Latn-RS", "zh-cmn", "zh-cmn-Hant-TW", "zh-min-nan", "en-12", "en-123", "en-1234", "ab-cdefghij",
            "ar-Latn-EG", "he-Latn", "fa-Arab-AF", "en-a1-bbb", "hy-Latn-IT-arevela", "sgn-BE-FR", "ja-JP-u0ca",
            "ru-RU-kk", "no-NYN", "pt-BR-abl1943", "tr-CYP", "ko-Kore-KR", "ja-Jpan", "zh-Hant-TW-1234"]
    for tag in tags:
        assert pattern.match(tag), tag
        labels = i18n.labels_for(tag)
        assert set(labels) == set(ENGLISH), tag
        assert len(i18n.quotes_for(tag)) == 4, tag
        assert "2026" in i18n.format_date("2026-11-28", tag) or "۲۰۲۶" in i18n.format_date("2026-11-28", tag), tag
        assert i18n.direction(tag) in ("ltr", "rtl"), tag
        assert (i18n.unsupported_language(tag) is None) is i18n.is_supported(tag), tag
    assert i18n.catalogue_for("zh-cmn-Hant-TW") == "zh-Hant"
    assert i18n.catalogue_for("ko-Kore-KR") == "ko" and i18n.catalogue_for("ja-Jpan") == "ja"
