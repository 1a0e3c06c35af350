"""Every script: fonts chosen by the text, no missing glyph, right-to-left pages, the language's labels and dates.

The fixture briefs arabic, chinese, japanese and russian (tests/fixtures/content)
are built with the corpus; their text was written for the fixtures (fictional
places and sources).
"""

from __future__ import annotations

import re
import zipfile

import pymupdf
import pytest
from conftest import FIXTURES
from outputs import epub_documents, epub_opf, pdf_fonts, pdf_text, text_of
from pdfpages import glyphs

from pipeline import fonts
from pipeline.i18n import format_date, labels_for

# slug -> (language, direction, the face the text must be set in, its file in the EPUB)
LANGUAGES = {
    "arabic": ("ar", "rtl", "Brief-Naskh-Serif", "NotoNaskhArabic-Regular.ttf"),
    "chinese": ("zh-Hans", "ltr", "Brief-CJK-SC-Serif", "NotoSerifCJK-Regular-SC.otf"),
    "japanese": ("ja", "ltr", "Brief-CJK-JP-Serif", "NotoSerifCJK-Regular-JP.otf"),
    "russian": ("ru", "ltr", "EB-Garamond", "EBGaramond-Regular.ttf"),
}
HAN = "\u4e00-\u9fff\u3040-\u30ff"
EPUB_NS = {"x": "http://www.w3.org/1999/xhtml", "opf": "http://www.idpf.org/2007/opf"}


# -- choosing fonts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,language,scripts", [
    ("Ferries and fares", "en", []),
    ("Ferries in 渡轮 towns", "en", ["cjk-sc"]),
    ("渡轮", "zh-Hant", ["cjk-tc"]),
    ("渡し船", "ja", ["cjk-jp"]),
    ("漢字", "ja", ["cjk-jp"]),
    ("버스", "en", ["cjk-kr"]),
    ("ماء", "ar", ["arabic"]),
    ("پانی", "ur", ["urdu"]),
    ("Tel Aviv, תל אביב", "en", ["hebrew"]),
    ("Отопление", "ru", []),
    ("a ⟦bracket⟧ of mathematics", "en", ["symbols"]),
])
def test_the_fonts_follow_the_language_and_the_characters(text, language, scripts):
    chosen, missing = fonts.choose(text, language)
    assert (chosen, missing) == (scripts, [])


def test_a_character_no_font_draws_is_reported():
    assert fonts.choose("Runes \u16a0 and \U00013000 here", "en")[1] == ["\u16a0", "\U00013000"]
    assert fonts.describe("\u16a0") == "'\u16a0' (U+16A0 RUNIC LETTER FEHU FEOH FE F)"


def test_the_brief_s_script_leads_its_font_lists_and_every_face_closes_them():
    scripts = ["arabic"]
    stacks = fonts.stacks(fonts.faces_for(scripts), scripts, "ar")
    assert stacks["serif"][:2] == ["Brief Naskh Serif", "EB Garamond"]
    assert stacks["sans"][:2] == ["Brief Naskh Sans", "Inter"]
    # a character only one role's face has is still drawn by the catalogue in the other role
    assert set(stacks["serif"]) == set(stacks["sans"])
    css = fonts.with_stacks("h1 { font: 600 1em/1 var(--sans); }", stacks)
    assert css == 'h1 { font: 600 1em/1 "Brief Naskh Sans", "Inter", "Brief Naskh Serif", "EB Garamond", sans-serif; }'


@pytest.mark.parametrize("language,first", [("en", "EB Garamond"), ("ko", "Brief CJK KR Serif")])
def test_only_the_brief_s_own_script_leads_the_font_lists(language, first):
    """A Korean word and a check box in an English brief add their faces behind the house ones; those faces
    have Latin letters too, and in front they set the whole text (the PDF's, the EPUB's, the web edition's)."""
    scripts, _ = fonts.choose("Ferries ☐ 버스", language)
    assert set(scripts) == {"cjk-kr", "symbols"}
    stacks = fonts.stacks(fonts.faces_for(scripts), scripts, language)
    assert stacks["serif"][0] == first
    assert stacks["sans"][0] == ("Inter" if language == "en" else "Brief CJK KR Sans")


def test_a_check_box_and_a_korean_word_leave_an_english_brief_s_text_in_the_house_faces(tmp_path):
    from briefmaker import make_brief, section

    from pipeline.content import load_brief
    from pipeline.document import build_document
    from pipeline.pandoc import PandocSession
    from pipeline.pdf import render_pdf
    from pipeline.stage import TEMPLATES_DIR, page_html

    folder = make_brief(tmp_path, sections={"01-a.md": section("Options",
                                                               "Tendering ☐ was the bus (버스) route ✓.\n")})
    pdf = tmp_path / "b-long.pdf"
    with PandocSession() as session:
        document = build_document(load_brief(folder, session=session), session, TEMPLATES_DIR)
        page = page_html(document, "long", folder, TEMPLATES_DIR, session)
    render_pdf(page, pdf, brief_dir=folder, templates_dir=TEMPLATES_DIR, scripts=document.meta.scripts,
               language=document.meta.language)
    drawn = [(character, font) for _, character, glyph, font in glyphs(pdf) if not character.isspace()]
    latin = {font for character, font in drawn if character.isascii() and character.isalpha()}
    assert latin and all(font.startswith(("EB-Garamond", "Inter")) for font in latin), latin
    # a symbol EB Garamond lacks comes from Inter, as in the DOCX, before the faces of another script
    assert {character: font for character, font in drawn if character in "☐버스✓"} == {
        "☐": "Brief-Symbols-2,", "버": "Brief-CJK-KR-Serif", "스": "Brief-CJK-KR-Serif", "✓": "Inter"}


def test_a_subset_keeps_the_text_s_characters_and_is_the_same_each_time():
    from fontTools.ttLib import TTFont

    face = next(f for f in fonts.faces_for([]) if f.file == "EBGaramond-Regular.ttf")
    first, name = fonts.subset_file(face, "Ferries ŵ")
    cmap = TTFont(str(first)).getBestCmap()
    assert name == "EBGaramond-Regular.ttf"
    assert {ord(c) for c in "Ferries ŵ"} <= set(cmap) and ord("é") in cmap  # Latin-1 always
    assert ord("ž") in cmap and ord("ő") not in cmap
    saved = first.read_bytes()
    first.unlink()
    again, _ = fonts.subset_file(face, "Ferries ŵ")
    assert again == first and again.read_bytes() == saved  # made again, the same bytes


def test_line_breaks_between_chinese_characters_are_no_space(session):
    from pipeline.markdown import read_body

    document = read_body(session, "集中在\n市中心，and\nthen 中\nEnglish")
    inlines = document["blocks"][0]["c"]
    kinds = [node["t"] for node in inlines]
    assert [n.get("c") for n in inlines[:2]] == ["集中在", "市中心，and"]
    assert kinds.count("SoftBreak") == 2  # between Latin words, and between 中 and English


def test_a_character_no_font_draws_is_an_error_at_its_line(tmp_path, capsys):
    import shutil

    from pipeline.cli import main

    brief = tmp_path / "content" / "runes"
    shutil.copytree(FIXTURES / "mini", brief)
    section = brief / "sections" / "02-riders.md"
    lines = section.read_text(encoding="utf-8").splitlines()
    lines += ["", "Some riders carve \u16a0 on the benches."]
    section.write_text("\n".join(lines) + "\n", encoding="utf-8")
    where = len(lines)
    status = main(["check", "--content-dir", str(tmp_path / "content"), "--no-layout"])
    assert status == 1
    printed = capsys.readouterr()
    assert (f"runes/sections/02-riders.md:{where}: error: the character '\u16a0' (U+16A0 RUNIC LETTER FEHU FEOH FE F) "
            "is in none of the brief's fonts (replace it, or write it as text") in printed.out + printed.err


# -- the built briefs --------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", LANGUAGES)
def test_no_glyph_is_missing_and_every_font_is_the_catalogue_s(corpus, slug):
    face = LANGUAGES[slug][2]
    for variant in ("short", "long"):
        pdf = corpus.file(slug, variant, "pdf")
        missing = [(page, char, font) for page, char, glyph, font in glyphs(pdf) if glyph == 0]
        assert not missing, f"{pdf.name}: missing glyphs {missing[:5]}"
        names = {font["name"].split("+")[-1] for font in pdf_fonts(pdf)}
        assert all(name.startswith(("EB-Garamond", "Inter", "Brief-")) for name in names), names
        assert any(name.startswith(face) for name in names), names
        # scripts without italics are never slanted by the renderer
        if slug != "russian":
            assert not any("Oblique" in name for name in names), names


@pytest.mark.parametrize("slug", LANGUAGES)
def test_labels_and_date_are_the_language_s(corpus, slug):
    language = LANGUAGES[slug][0]
    labels = labels_for(language)
    text = _plain(pdf_text(corpus.file(slug, "long", "pdf")))
    for label in ("contents", "notes", "summary"):
        assert labels[label] in text, label
    date = _plain(format_date("2026-11-28", language))
    if LANGUAGES[slug][1] == "rtl":  # the text comes out in drawing order: its words, not their order
        assert all(word in text for word in date.split()), date
    else:
        assert date in text
    short = _plain(pdf_text(corpus.file(slug, "short", "pdf")))
    assert labels["key_points"] in short


def _plain(text: str) -> str:
    """Text without the direction marks PyMuPDF adds around right-to-left runs, spaces as spaces."""
    text = re.sub("[\u202a-\u202e\u200e\u200f]", "", text)
    return re.sub("[\u00a0\u202f ]+", " ", text)


@pytest.mark.parametrize("slug", ["chinese", "japanese"])
def test_chinese_and_japanese_text_has_no_spaces_between_characters(corpus, slug):
    for variant in ("short", "long"):
        with pymupdf.open(corpus.file(slug, variant, "pdf")) as document:
            for page in document:
                for line in page.get_text().splitlines():
                    assert not re.search(f"[{HAN}，。] +[{HAN}\\[]", line), line


def test_a_right_to_left_page_starts_its_lines_on_the_right(corpus):
    with pymupdf.open(corpus.file("arabic", "long", "pdf")) as document:
        page = document[0]
        width = page.rect.width
        blocks = [b for b in page.get_text("dict")["blocks"] if b.get("lines")]
        found = [line for b in blocks for line in b["lines"]]
        body_right = max(line["bbox"][2] for line in found)
        heading = next(line for line in found if any("الفاقد" in s["text"] and s["size"] > 12 for s in line["spans"]))
        number = next(s for s in heading["spans"] if s["text"].strip() == ".1")
        assert abs(number["bbox"][2] - body_right) < 2, "the section number does not stand at the right edge"
        paragraph = next(line for line in found if line["spans"][0]["text"].startswith("تفقد"))
        assert abs(paragraph["bbox"][2] - body_right) < 2, "the summary does not start at the right edge"
        # the contents: titles at the right, page numbers at the left
        entry = next(line for line in found if any("الخيارات" in s["text"] for s in line["spans"])
                     and line["bbox"][1] < paragraph["bbox"][1])
        title = next(s for s in entry["spans"] if "الخيارات" in s["text"])
        assert title["bbox"][2] > width / 2
        numbers = [line for line in found if line["spans"][0]["text"].strip() == "1"
                   and abs(line["bbox"][1] - entry["bbox"][1]) < 2]
        assert numbers and numbers[0]["bbox"][0] < width / 3, "the page number of the entry is not at the left"
        second = document[1]
        head = [s for b in second.get_text("dict")["blocks"] for line in b.get("lines", []) for s in line["spans"]
                if s["bbox"][1] < 60]
        title = next(s for s in head if "شبكات" in s["text"])
        assert title["bbox"][0] > width / 2, "the running title is not on the right"
        foot = [s for b in second.get_text("dict")["blocks"] for line in b.get("lines", []) for s in line["spans"]
                if s["bbox"][1] > second.rect.height - 60]
        assert foot and max(s["bbox"][2] for s in foot) < width / 2, "the page number is not on the left"


def test_the_epub_of_a_right_to_left_brief_reads_right_to_left(corpus):
    path = corpus.file("arabic", "long", "epub")
    opf = epub_opf(path)
    assert opf.xpath("//opf:spine/@page-progression-direction", namespaces=EPUB_NS) == ["rtl"]
    for name, root in epub_documents(path):
        assert root.get("dir") == "rtl", name
        assert root.get("lang") == "ar", name


@pytest.mark.parametrize("slug", LANGUAGES)
def test_the_epub_s_fonts_draw_all_of_its_text(corpus, slug):
    """Every character of the EPUB's pages is in one of the (subset) fonts it carries."""
    from fontTools.ttLib import TTFont

    path = corpus.file(slug, "long", "epub")
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("EPUB/fonts/")]
        assert f"EPUB/fonts/{LANGUAGES[slug][3]}" in names
        covered: set[int] = set()
        for name in names:
            with archive.open(name) as handle:
                covered |= set(TTFont(handle).getBestCmap())
        total = sum(info.file_size for info in archive.infolist() if info.filename in names)
    text = "".join(text_of(root) for _, root in epub_documents(path))
    missing = {c for c in text if not c.isspace() and ord(c) not in covered and c not in "\u2060\ufe0e\u00ad"}
    assert not missing, sorted(missing)
    assert total < 1_200_000, f"{total} bytes of fonts"


def test_no_space_before_punctuation_in_right_to_left_text(corpus):
    """The PDF's text, read in logical order (PyMuPDF's "rawdict" keeps the drawing order, so the text is taken
    from the page's HTML): a removed citation leaves no space before a full stop or comma."""
    from lxml import html as lxml_html

    page = (corpus.build / "arabic" / ".work" / "arabic-long.html").read_text(encoding="utf-8")
    text = " ".join(lxml_html.fromstring(page).xpath("//main")[0].text_content().split())
    assert not re.search(r"\w [.,;:،؛](\s|$)", text)


# Every script of the catalogue in one brief, each passage marked with its language (sentences written
# for this test: "The ferry leaves at eight.").
EVERY_SCRIPT = {
    "el": "Το πλοίο φεύγει στις οκτώ.",
    "he": "המעבורת יוצאת בשמונה.",
    "hi": "नौका आठ बजे चलती है।",
    "th": "เรือข้ามฟากออกเวลาแปดโมง",
    "ko": "여객선은 여덟 시에 출발합니다.",
    "zh-Hant": "渡輪八點開出。",
    "zh-Hans": "渡轮八点开出。",
    "ja": "フェリーは八時に出ます。",
    "fa": "کشتی ساعت هشت حرکت می‌کند.",
    "ur": "کشتی آٹھ بجے روانہ ہوتی ہے۔",
    "ar": "تغادر العبّارة في الثامنة.",
    "ru": "Паром отходит в восемь.",
}


def test_a_brief_in_every_supported_script_draws_every_glyph(tmp_path):
    """Latin, Greek, Cyrillic, Arabic (with Persian and Urdu), Hebrew, Devanagari, Thai, Chinese (both),
    Japanese and Korean in one brief: every character of the long PDF is drawn by a face of the
    catalogue, none as .notdef, and each script's text is in the PDF."""
    from briefmaker import make_brief, section

    from pipeline.content import load_brief
    from pipeline.document import build_document
    from pipeline.pandoc import PandocSession
    from pipeline.pdf import render_pdf
    from pipeline.stage import TEMPLATES_DIR, page_html

    body = "\n\n".join(f"[{text}]{{lang={tag}}}" for tag, text in EVERY_SCRIPT.items()) + "\n"
    folder = make_brief(tmp_path, sections={"01-a.md": section("Every script", body)})
    pdf = tmp_path / "every-script-long.pdf"
    with PandocSession() as session:  # the long PDF alone (the DOCX and EPUB of scripts: their own tests)
        document = build_document(load_brief(folder, session=session), session, TEMPLATES_DIR)
        page = page_html(document, "long", folder, TEMPLATES_DIR, session)
    assert set(document.meta.scripts) >= {"hebrew", "devanagari", "thai", "cjk-kr", "arabic"}
    render_pdf(page, pdf, brief_dir=folder, templates_dir=TEMPLATES_DIR, scripts=document.meta.scripts,
               language=document.meta.language)
    missing = [(char, font) for _, char, glyph, font in glyphs(pdf) if glyph == 0]
    assert not missing, missing[:10]
    names = {font["name"].split("+")[-1] for font in pdf_fonts(pdf)}
    assert all(name.startswith(("EB-Garamond", "Inter", "Brief-")) for name in names), names
    with pymupdf.open(pdf) as document_pdf:
        text = "".join("".join(page.get_text() for page in document_pdf).split())
    for tag, sentence in EVERY_SCRIPT.items():
        if tag in ("th", "hi", "ar", "fa", "ur", "he"):  # shaped or right to left: extracted in visual order
            continue
        assert "".join(sentence.split()) in text, tag
