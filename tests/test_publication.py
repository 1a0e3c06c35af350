"""An organisation's publication (issue 13): themes, blocks, back matter, identifiers, numbered figures and tables.

The fixture tests/fixtures/content/publication uses the theme
tests/fixtures/content/_themes/harbour and every feature at once; the sample
brief uses its own theme (content/_themes/sample-desk). Both are built with the
corpus. The schema and error tests build small briefs of their own.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pymupdf
import pytest
from conftest import FIXTURES, REPO, SAMPLE
from lxml import etree
from outputs import docx_xml, epub_documents, epub_opf, pdf_fonts, pdf_text, text_of
from pypdf import PdfReader

from pipeline.errors import ContentError

SLUG = "publication"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {"x": "http://www.w3.org/1999/xhtml", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/", "w": W[1:-1]}


def flat(text: str) -> str:
    return " ".join(text.split())


# -- themes: loading and errors ---------------------------------------------------------------------

def _themed_collection(tmp_path, theme_yaml: str | None = None, brief_extra: str = "theme: harbour\n"):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "mini", content / "mini")
    shutil.copytree(FIXTURES / "_themes", content / "_themes")
    if theme_yaml is not None:
        (content / "_themes" / "harbour" / "theme.yaml").write_text(theme_yaml, encoding="utf-8")
    brief = content / "mini" / "brief.yaml"
    brief.write_text(brief.read_text(encoding="utf-8").replace("organization: \"Example Institute\"\n", "")
                     + brief_extra, encoding="utf-8")
    return content


def _problems(folder, session) -> list[str]:
    from pipeline.content import load_brief
    from pipeline.document import build_document

    try:
        build_document(load_brief(folder, session=session), session)
    except ContentError as exc:
        return [p.format(relative_to=folder.parent) for p in exc.problems]
    return []


def test_a_theme_font_harfbuzz_refuses_is_an_error_at_its_line(tmp_path, session):
    # A real face with its GSUB table overwritten: fontTools reads its names and character map (lazily),
    # HarfBuzz refuses to cut it, and the DOCX, EPUB and web edition carry HarfBuzz subsets.
    from fontTools.ttLib import TTFont

    data = bytearray((REPO / "templates" / "fonts" / "Inter-Regular.ttf").read_bytes())
    table = TTFont(io.BytesIO(bytes(data))).reader.tables["GSUB"]
    data[table.offset:table.offset + table.length] = b"\xff" * table.length
    content = _themed_collection(tmp_path, 'name: "H"\nfonts:\n  body: [Damaged-Regular.ttf]\n')
    (content / "_themes" / "harbour" / "Damaged-Regular.ttf").write_bytes(bytes(data))
    assert "_themes/harbour/theme.yaml:3: error: font 'Damaged-Regular.ttf' cannot be cut down to the characters " \
           "a brief uses (HarfBuzz refuses it: the file may be damaged) (export the font again from its source, " \
           "or use another copy)" in _problems(content / "mini", session)


def test_a_theme_gives_its_defaults_and_the_brief_s_own_values_win(tmp_path, session):
    from pipeline.content import load_brief
    from pipeline.document import build_document

    content = _themed_collection(tmp_path)
    brief = load_brief(content / "mini", session=session)
    assert brief.theme.name == "harbour"
    meta = build_document(brief, session).meta
    assert meta.organization.plain == "Harbour Institute for Coastal Policy"  # the theme's
    assert meta.distribution.plain == "Internal — do not circulate"  # mini's own (the fixture sets it)
    assert meta.licence.spdx == "CC-BY-4.0" and meta.licence.url == "https://creativecommons.org/licenses/by/4.0/"
    assert meta.identity.accent == "#0b5563" and meta.identity.logo == "_theme/logo.svg"
    assert meta.identity.publisher == "Harbour Institute"


@pytest.mark.parametrize("theme_yaml,expected", [
    ('name: "H"\ncolour: "#000000"\n', r"_themes/harbour/theme\.yaml:2: error: unknown key 'colour'.*"),
    ('name: "H"\ncolors: {accent: "#ffcc00"}\n',
     r"_themes/harbour/theme\.yaml:2: error: the accent colour #ffcc00 has a contrast of 1\.\d:1 on white; .*"
     r"\(choose a darker accent colour \(WCAG 2\.2 AA asks at least 4\.5:1\)\)"),
    ('name: "H"\nlogo: missing.svg\n',
     r"_themes/harbour/theme\.yaml:2: error: 'missing\.svg' not found in the theme folder \(add missing\.svg to "
     r"harbour/ or fix the name\)"),
    ('name: "H"\nlogo: ../../mini/summary.md\n',
     r"_themes/harbour/theme\.yaml:2: error: '\.\./\.\./mini/summary\.md' points outside the theme folder .*"),
    ('name: "H"\nfonts: {body: [theme.yaml]}\n',
     r"_themes/harbour/theme\.yaml:2: error: font 'theme\.yaml' is not a font file fontTools can read .*"),
    ('name: "H"\nlicense: CC-BY-4\n',
     r"_themes/harbour/theme\.yaml:2: error: 'CC-BY-4' is not an SPDX licence identifier \(did you mean "
     r"CC-BY-4\.0\? .*\)"),
])
def test_theme_errors_point_at_theme_yaml(tmp_path, session, theme_yaml, expected):
    content = _themed_collection(tmp_path, theme_yaml)
    problems = _problems(content / "mini", session)
    assert any(re.fullmatch(expected, p) for p in problems), problems


def test_a_logo_with_svg_text_is_refused(tmp_path, session):
    """SVG <text> would be set in whatever font each machine has (WeasyPrint took Noto Sans here)."""
    content = _themed_collection(tmp_path, 'name: "H"\nlogo: words.svg\n')
    (content / "_themes" / "harbour" / "words.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20"><text x="0" y="15">HARBOUR</text></svg>',
        encoding="utf-8")
    assert "_themes/harbour/theme.yaml:2: error: logo 'words.svg' sets its words as SVG <text>, in whatever font " \
        "a machine has (convert the text to outlines (paths) in the drawing program)" in \
        _problems(content / "mini", session)


def test_watch_and_preview_rebuild_the_briefs_of_a_changed_theme(tmp_path):
    """A save in a theme's folder concerns the briefs that name the theme, and only those."""
    from pipeline.watch import _changed_slugs

    content = _themed_collection(tmp_path)  # mini uses harbour
    shutil.copytree(FIXTURES / "es-bib", content / "es-bib")
    theme_file = content / "_themes" / "harbour" / "theme.yaml"
    changes = {("modified", str(theme_file))}
    templates = REPO / "templates"
    assert _changed_slugs(changes, content.resolve(), templates, ["mini", "es-bib"]) == {"mini"}
    other = {("modified", str(content / "_themes" / "other" / "theme.yaml"))}
    assert _changed_slugs(other, content.resolve(), templates, ["mini", "es-bib"]) == set()


def test_an_unknown_theme_names_the_themes_there_are(tmp_path, session):
    content = _themed_collection(tmp_path, brief_extra="theme: harbor\n")
    problems = _problems(content / "mini", session)
    assert any(re.fullmatch(r"mini/brief\.yaml:\d+: error: theme 'harbor' not found \(no _themes/harbor/theme\.yaml\) "
                            r"\(the collection's themes are: harbour\)", p) for p in problems), problems


def test_a_theme_folder_is_not_a_brief_and_its_files_are_the_brief_s_inputs(tmp_path):
    from pipeline.folders import brief_source_files, discover_briefs

    content = _themed_collection(tmp_path)
    assert [p.name for p in discover_briefs(content)] == ["mini"]
    files = {p.relative_to(content).as_posix() for p in brief_source_files(content / "mini")}
    assert {"_themes/harbour/theme.yaml", "_themes/harbour/logo.svg"} <= files
    plain = {p.relative_to(FIXTURES).as_posix() for p in brief_source_files(FIXTURES / "mini")}
    assert not any(name.startswith("_themes") for name in plain)


def test_new_brief_keys_are_checked_with_their_lines(tmp_path, session):
    content = _themed_collection(tmp_path, brief_extra='doi: "https://doi.org/10.1/x"\nlicense: MIT-ish\n')
    problems = _problems(content / "mini", session)
    assert any(re.match(r"mini/brief\.yaml:\d+: error: 'doi' .*https://doi\.org/10\.1/x", p) for p in problems), \
        problems


def test_an_unknown_block_class_is_a_warning_with_its_line(tmp_path, session):
    from pipeline.content import load_brief

    content = _themed_collection(tmp_path)
    section = content / "mini" / "sections" / "03-options.md"
    section.write_text(section.read_text(encoding="utf-8") + "\n::: callout\nNote this.\n:::\n", encoding="utf-8")
    brief = load_brief(content / "mini", session=session)
    warnings = [w.format(relative_to=content) for w in brief.warnings]
    assert any(re.fullmatch(r"mini/sections/03-options\.md:\d+: warning: unknown block class '\.callout' is ignored "
                            r"\(use one of \.box, \.key-findings, \.recommendations, or remove it\)", w)
               for w in warnings), warnings


def test_an_unknown_cross_reference_is_an_error_at_its_line(tmp_path, session):
    content = _themed_collection(tmp_path)
    section = content / "mini" / "sections" / "03-options.md"
    section.write_text(section.read_text(encoding="utf-8") + "\nAs @fig-missing shows.\n", encoding="utf-8")
    problems = _problems(content / "mini", session)
    assert any(re.match(r"mini/sections/03-options\.md:\d+: error: .*fig-missing", p) for p in problems), problems


def test_an_image_in_a_folder_named_like_the_theme_s_media_is_refused(tmp_path, session):
    """The documents carry the theme's logo under _theme/: a brief's own _theme/ would be taken for it."""
    content = _themed_collection(tmp_path)
    (content / "mini" / "_theme").mkdir()
    shutil.copy(FIXTURES / "publication" / "assets" / "chart.png", content / "mini" / "_theme" / "chart.png")
    section = content / "mini" / "sections" / "03-options.md"
    section.write_text(section.read_text(encoding="utf-8") + "\n![A chart](_theme/chart.png)\n", encoding="utf-8")
    problems = _problems(content / "mini", session)
    assert any(re.fullmatch(r"mini/sections/03-options\.md:\d+: error: image '_theme/chart\.png' is in the folder "
                            r"_theme/, which the pipeline keeps for the theme's files \(move the image to the "
                            r"brief's assets/ folder\)", p) for p in problems), problems


NOTO = Path("/usr/share/fonts/truetype/noto")  # fonts-noto-core, installed by scripts/setup.sh


def test_a_theme_s_fonts_set_the_text_in_every_format(tmp_path):
    """A theme's body and heading fonts (here Debian's Noto Serif and Noto Sans) replace EB Garamond and
    Inter: in the PDF, in the EPUB's style sheet and fonts, and in the DOCX's styles, font table and
    embedded subsets."""
    from pipeline.stage import stage_brief

    content = _themed_collection(tmp_path)
    theme = content / "_themes" / "harbour"
    (theme / "fonts").mkdir()
    for name in ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf", "NotoSerif-Italic.ttf", "NotoSans-Regular.ttf",
                 "NotoSans-Bold.ttf"):
        shutil.copy(NOTO / name, theme / "fonts" / name)
    yaml_text = (theme / "theme.yaml").read_text(encoding="utf-8")
    (theme / "theme.yaml").write_text(yaml_text + "fonts:\n  body: [fonts/NotoSerif-Regular.ttf, fonts/NotoSerif-Bold.ttf,"
                                      " fonts/NotoSerif-Italic.ttf]\n  headings: [fonts/NotoSans-Regular.ttf,"
                                      " fonts/NotoSans-Bold.ttf]\n", encoding="utf-8")
    out = tmp_path / "out"
    document, result = stage_brief(content / "mini", out, work_dir=out)
    assert result.errors == []

    pdf_names = {font["name"].split("+")[-1] for font in pdf_fonts(out / "mini-long.pdf")}
    assert {"Brief-Theme-Serif", "Brief-Theme-Sans-Bold"} <= pdf_names, pdf_names
    assert not any(name.startswith("EB-Garamond") for name in pdf_names), pdf_names

    with zipfile.ZipFile(out / "mini-long.epub") as epub:
        names = epub.namelist()
        css = "".join(epub.read(n).decode() for n in names if n.endswith(".css"))
    assert "EPUB/fonts/Theme-NotoSerif-Regular.ttf" in names and "Theme-NotoSerif-Regular.ttf" in css

    styles = docx_xml(out / "mini-long.docx", "word/styles.xml")
    families = {f.get(f"{W}ascii") for f in styles.iter(f"{W}rFonts")}
    assert {"Noto Serif", "Noto Sans"} <= families and not families & {"EB Garamond", "Inter"}, families
    table = docx_xml(out / "mini-long.docx", "word/fontTable.xml")
    embedded = {font.get(f"{W}name"): [child.tag.split("}")[1] for child in font if "embed" in child.tag]
                for font in table.iter(f"{W}font")}
    assert "embedRegular" in embedded["Noto Serif"] and "embedRegular" in embedded["Noto Sans"], embedded


def _western_fonts(folder: Path) -> None:
    """Noto Serif and Noto Sans cut to Western European text (Latin-1, general punctuation, the euro) and
    renamed Western Serif and Western Sans: an organisation's font that lacks "ł", "→" and "≥"."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    folder.mkdir()
    unicodes = [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2010, 0x2027), 0x20AC]
    for name in ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        font = TTFont(NOTO / name)
        options = subset.Options()
        options.name_IDs, options.layout_features, options.notdef_outline = ["*"], ["*"], True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        for record in font["name"].names:
            if record.nameID in (1, 3, 4, 6, 16):
                record.string = record.toUnicode().replace("Noto", "Western")
        font.save(folder / name.replace("Noto", "Western"))


def _with_text(content: Path, slug: str, section: str, text: str) -> None:
    """``text`` added as a paragraph at the end of one section of the brief ``slug``."""
    path = content / slug / "sections" / section
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def _fixture_with_text(tmp_path: Path, slug: str, section: str, text: str) -> Path:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / slug, content / slug)
    _with_text(content, slug, section, text)
    return content


def _staged(content: Path, slug: str, tmp_path: Path):
    """The brief built into tmp_path/out (no errors); its document and the folder."""
    from pipeline.stage import stage_brief

    out = tmp_path / "out"
    document, result = stage_brief(content / slug, out, work_dir=out)
    assert result.errors == []
    return document, out


def _run_fonts(paragraph) -> list[tuple[str, etree._Element | None]]:
    """(text, w:rFonts or None) of each run of a DOCX paragraph."""
    return [("".join(t.text or "" for t in run.iter(f"{W}t")), run.find(f"{W}rPr/{W}rFonts"))
            for run in paragraph.iter(f"{W}r")]


def _pdf_spans(pdf: Path) -> list[tuple[str, str]]:
    """(font, text) of every span of the PDF, as PyMuPDF reads them."""
    with pymupdf.open(pdf) as document:
        return [(span["font"], span["text"]) for page in document for block in page.get_text("dict")["blocks"]
                for line in block.get("lines", []) for span in line["spans"]]


def _drawn_by_libreoffice(docx: Path, tmp_path: Path) -> list[tuple[str, str]]:
    """(character, font) of every glyph LibreOffice draws for ``docx`` with DejaVu as the machine's only font."""
    from pdfpages import glyphs
    from test_docx_scripts import convert_without_system_fonts

    (tmp_path / "lo").mkdir()
    (pdf,) = convert_without_system_fonts([docx], tmp_path / "lo")
    return [(character, font) for _, character, _glyph, font in glyphs(pdf)]


@pytest.mark.libreoffice
def test_characters_a_theme_font_lacks_are_set_in_the_house_face_in_the_docx_as_in_the_pdf(tmp_path):
    """Word and LibreOffice would take such characters from a font of the reader's machine (DejaVu Sans
    here, before): the DOCX names the house face for them, as the PDF's font lists do, and embeds it."""
    from test_docx_scripts import embedded_fonts

    content = _themed_collection(tmp_path)
    theme = content / "_themes" / "harbour"
    _western_fonts(theme / "fonts")
    with open(theme / "theme.yaml", "a", encoding="utf-8") as yaml_file:
        yaml_file.write("fonts:\n  body: [fonts/WesternSerif-Regular.ttf, fonts/WesternSerif-Bold.ttf]\n"
                        "  headings: [fonts/WesternSans-Regular.ttf, fonts/WesternSans-Bold.ttf]\n")
    _with_text(content, "mini", "01-costs.md", "The ferry to Łódź costs more than 5 € → a rise of ≥ 3 %, says "
               "**Paweł Ślusarczyk**.")
    _document, out = _staged(content, "mini", tmp_path)
    docx = out / "mini-long.docx"

    paragraph = next(p for p in docx_xml(docx).iter(f"{W}p") if "Łódź" in "".join(p.itertext()))
    runs = [(text, fonts, run.find(f"{W}rPr/{W}b") is not None)
            for (text, fonts), run in zip(_run_fonts(paragraph), paragraph.iter(f"{W}r"))]
    in_house = [(text, bold) for text, fonts, bold in runs
                if fonts is not None and fonts.get(f"{W}ascii") == fonts.get(f"{W}hAnsi") == "EB Garamond"]
    assert in_house == [("Ł", False), ("ź", False), ("→", False), ("≥", False), ("ł", True), ("Ś", True)]
    assert "".join(text for text, _, _ in runs).startswith("The ferry to Łódź costs more than 5 € → a rise of ≥ 3")
    assert all(fonts is None for text, fonts, _ in runs if text in ("ód", " costs more than 5 € ", "Pawe"))
    embedded = embedded_fonts(docx)
    for bold, characters in ((False, "Łź→≥"), (True, "łŚ")):
        cmap = embedded[("EB Garamond", bold)].getBestCmap()
        assert all(ord(c) in cmap for c in characters), (bold, characters)
    assert not any(ord(c) in embedded[("Western Serif", False)].getBestCmap() for c in "Łź→≥")

    # the PDF draws the same characters from the same faces
    spans = _pdf_spans(out / "mini-long.pdf")
    for character, face in (("Ł", "EB-Garamond"), ("→", "EB-Garamond"), ("Ś", "EB-Garamond-Semi-Bold")):
        assert any(character in text and font == face for font, text in spans), (character, face)

    # and LibreOffice, with no font of its own but DejaVu, draws them from the embedded faces
    glyphs = _drawn_by_libreoffice(docx, tmp_path)
    drawn = {character: font for character, font in glyphs if character in "Łź→≥łŚ"}
    assert drawn == {"Ł": "EBGaramond-Regular", "ź": "EBGaramond-Regular", "→": "EBGaramond-Regular",
                     "≥": "EBGaramond-Regular", "ł": "EBGaramond-SemiBold", "Ś": "EBGaramond-SemiBold"}, drawn
    assert not any(font.startswith("DejaVu") for _, font in glyphs)


@pytest.mark.libreoffice
def test_characters_eb_garamond_lacks_are_set_in_inter_or_the_symbol_faces_in_the_docx_as_in_the_pdf(tmp_path):
    from test_docx_scripts import embedded_fonts

    content = _fixture_with_text(tmp_path, "mini", "01-costs.md", "Tendering: ✓ cheaper, ● one bidder, ☐ A ⊂ B.")
    _document, out = _staged(content, "mini", tmp_path)
    docx = out / "mini-long.docx"
    paragraph = next(p for p in docx_xml(docx).iter(f"{W}p") if "Tendering:" in "".join(p.itertext()))
    runs = _run_fonts(paragraph)
    expected = {"✓": "Inter", "●": "Inter", "☐": "Noto Sans Symbols 2", "⊂": "Noto Sans Math"}
    assert [(text, fonts.get(f"{W}ascii")) for text, fonts in runs if fonts is not None] == list(expected.items())
    assert "".join(text for text, _ in runs) == "Tendering: ✓ cheaper, ● one bidder, ☐ A ⊂ B."
    embedded = embedded_fonts(docx)
    for character, family in expected.items():
        assert ord(character) in embedded[(family, False)].getBestCmap(), (character, family)
    # the PDF draws them from the same faces
    pdf_faces = {"Inter": "Inter", "Noto Sans Symbols 2": "Brief-Symbols-2,", "Noto Sans Math": "Brief-Math"}
    spans = _pdf_spans(out / "mini-long.pdf")
    for character, family in expected.items():
        assert any(character in text and font == pdf_faces[family] for font, text in spans), \
            [s for s in spans if character in s[1]]
    # and so does LibreOffice, from the embedded faces
    drawn = {character: font for character, font in _drawn_by_libreoffice(docx, tmp_path) if character in expected}
    assert drawn == {"✓": "Inter-Regular", "●": "Inter-Regular", "☐": "NotoSansSymbols2-Regular",
                     "⊂": "NotoSansMath-Regular"}, drawn


@pytest.mark.libreoffice
def test_in_right_to_left_text_the_docx_sets_a_symbol_the_script_face_lacks_in_inter(tmp_path):
    """Word and LibreOffice set every character of a right-to-left run in its complex-script face (w:cs):
    a check mark in an Arabic sentence goes to Inter there too, as the PDF draws it."""
    content = _fixture_with_text(tmp_path, "arabic", "01-losses.md", "الخيار الأول ✓ والخيار الثاني ●.")
    _document, out = _staged(content, "arabic", tmp_path)
    docx = out / "arabic-long.docx"
    runs = [run for run in docx_xml(docx).iter(f"{W}r")
            if any(c in "".join(t.text or "" for t in run.iter(f"{W}t")) for c in "✓●")]
    assert len(runs) == 2
    for run in runs:
        fonts = run.find(f"{W}rPr/{W}rFonts")
        assert (fonts.get(f"{W}ascii"), fonts.get(f"{W}hAnsi"), fonts.get(f"{W}cs")) == ("Inter",) * 3, \
            etree.tostring(run)
    drawn = {character: font for character, font in _drawn_by_libreoffice(docx, tmp_path) if character in "✓●"}
    assert drawn == {"✓": "Inter-Regular", "●": "Inter-Regular"}, drawn


def test_a_theme_with_one_family_for_text_and_headings_falls_back_by_the_style_s_role(tmp_path):
    """One brand face for both roles: a character it lacks goes to EB Garamond in the text and to Inter in
    the headings, as the PDF's serif and sans font lists have it."""
    content = _themed_collection(tmp_path)
    theme = content / "_themes" / "harbour"
    _western_fonts(theme / "fonts")
    with open(theme / "theme.yaml", "a", encoding="utf-8") as yaml_file:
        yaml_file.write("fonts:\n  body: [fonts/WesternSans-Regular.ttf, fonts/WesternSans-Bold.ttf]\n"
                        "  headings: [fonts/WesternSans-Regular.ttf, fonts/WesternSans-Bold.ttf]\n")
    section = content / "mini" / "sections" / "01-costs.md"
    section.write_text(section.read_text(encoding="utf-8").replace('title: "What the ferries cost"',
                                                                   'title: "What the ferries to Łódź cost"'),
                       encoding="utf-8")
    _with_text(content, "mini", "01-costs.md", "The ferry to Łódź.")
    _document, out = _staged(content, "mini", tmp_path)
    faces = {}
    for paragraph in docx_xml(out / "mini-long.docx").iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        for run in paragraph.iter(f"{W}r"):
            if "".join(t.text or "" for t in run.iter(f"{W}t")) == "Ł":
                fonts = run.find(f"{W}rPr/{W}rFonts")
                faces[style.get(f"{W}val") if style is not None else None] = fonts.get(f"{W}ascii")
    assert faces["Heading1"] == "Inter" and faces["BodyText"] == "EB Garamond", faces


def test_a_letter_and_its_combining_mark_move_to_another_face_together():
    from pipeline.docx_finish import HOUSE_FACES, _FallbackFaces

    fallback = _FallbackFaces({"EB Garamond": {"serif"}, "Inter": {"sans"}}, dict(HOUSE_FACES),
                              REPO / "templates" / "fonts", [], "en")
    # Inter has "t" but not U+0331 COMBINING MACRON BELOW; EB Garamond has both
    assert fallback.pieces("Wadi t\u0331ar", "Inter", "sans", False, False) == [
        ("Wadi ", None), ("t\u0331", "EB Garamond"), ("ar", None)]
    # a variation selector stays with its symbol
    assert fallback.pieces("ok \u2713\ufe0f", "EB Garamond", "serif", False, False) == [
        ("ok ", None), ("\u2713\ufe0f", "Inter")]


@pytest.mark.libreoffice
def test_with_a_chinese_word_in_an_english_brief_the_docx_falls_back_in_the_pdf_s_order(tmp_path):
    """The PDF's font lists: the house faces, then the faces of the other script, then the symbol faces. A
    character EB Garamond lacks comes from Inter if it has it (✓), else from Noto Serif CJK (ℵ, ◌), else
    from the symbol faces (☐), in the DOCX as in the PDF, and LibreOffice draws it from the embedded face."""
    content = _fixture_with_text(tmp_path, "mini", "01-costs.md", "The bus (公交) costs ℵ units, ✓ and ☐ and ◌.")
    document, out = _staged(content, "mini", tmp_path)
    assert document.meta.scripts == ["cjk-sc", "symbols"]
    docx = out / "mini-long.docx"
    paragraph = next(p for p in docx_xml(docx).iter(f"{W}p") if "公交" in "".join(p.itertext()))
    families = {text: fonts.get(f"{W}ascii") for text, fonts in _run_fonts(paragraph) if text in ("ℵ", "✓", "☐", "◌")}
    assert families == {"ℵ": "Noto Serif CJK SC", "✓": "Inter", "☐": "Noto Sans Symbols 2", "◌": "Noto Serif CJK SC"}
    pdf_names = {"Noto Serif CJK SC": "Brief-CJK-SC-Serif", "Inter": "Inter", "Noto Sans Symbols 2": "Brief-Symbols-2,"}
    spans = _pdf_spans(out / "mini-long.pdf")
    for character, family in families.items():
        assert any(character in text and font == pdf_names[family] for font, text in spans), \
            [s for s in spans if character in s[1]]
    drawn = {character: font for character, font in _drawn_by_libreoffice(docx, tmp_path) if character in families}
    assert drawn == {"ℵ": "NotoSerifCJKsc-Regular", "✓": "Inter-Regular", "☐": "NotoSansSymbols2-Regular",
                     "◌": "NotoSerifCJKsc-Regular"}, drawn


# -- the built publication fixture -------------------------------------------------------------------

def test_pdf_numbers_figures_and_tables_and_links_the_cross_references(corpus):
    pdf = corpus.file(SLUG, "long", "pdf")
    text = flat(pdf_text(pdf))
    assert "Figure 1. Monthly passengers on the three routes, 2025" in text
    assert "Source: Example Bay Authority, passenger counts" in text
    assert "Table 1. Average weekly passengers by season" in text
    assert "Source: Example Bay Authority" in text
    # "@sec-options compares them" (the summary), "@fig-ridership shows", "@tbl-ridership gives"
    assert "Section 2 compares them" in text and "Figure 1 shows the months" in text
    assert "Table 1 gives the figures" in text and "are in Appendix A" in text
    with pymupdf.open(pdf) as document:
        links = [(page.number, link) for page in document for link in page.get_links()
                 if link.get("kind") == pymupdf.LINK_NAMED or link.get("nameddest")]
    targets = {link.get("nameddest") or link.get("name") for _, link in links}
    # a section's or an appendix's own id (sec- in its front matter) points at the part
    assert {"fig-ridership", "tbl-ridership", "section-2", "appendix-a"} <= targets, targets


def test_pdf_back_matter_follows_the_notes_in_contents_and_outline(corpus):
    pdf = corpus.file(SLUG, "long", "pdf")
    outline = [flat(item.title) for item in PdfReader(pdf).outline if not isinstance(item, list)]
    expected = ["Notes", "Appendix A. How the timetables were costed", "Appendix B. The three routes",
                "About the authors", "Acknowledgements", "About Harbour Institute for Coastal Policy",
                "How to cite this brief", "Licence", "Disclaimer"]
    assert outline[-len(expected):] == expected
    text = flat(pdf_text(pdf))
    contents = text[text.index("Contents"):text.index("Executive summary", text.index("Contents") + 20)]
    positions = [contents.index(entry.split(". ")[-1]) for entry in expected]
    assert positions == sorted(positions)
    # the suggested citation, formatted by the style from the metadata
    cite = text[text.index("How to cite this brief", text.index("Disclaimer") - 900):]
    assert "Ruth Example and Tomás Placeholder" in cite and "10.5555/harbour.2026.07" in cite
    assert "Creative Commons Attribution 4.0 International (CC-BY-4.0)" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text
    assert "Ruth Example leads the institute" in text and "We thank the crews" in text


def test_pdf_title_block_carries_logo_series_and_identifiers_in_the_theme_s_colour(corpus):
    pdf = corpus.file(SLUG, "long", "pdf")
    with pymupdf.open(pdf) as document:
        first = document[0]
        assert first.get_images() or first.get_drawings(), "no logo"
        text = flat(first.get_text())
        spans = [s for b in first.get_text("dict")["blocks"] for line in b.get("lines", []) for s in line["spans"]]
    assert "Harbour Policy Briefs, no. 7" in text
    assert "DOI 10.5555/harbour.2026.07" in text and "ISBN 978-0-00-000000-2" in text
    accent = 0x0B5563
    assert any(s["color"] == accent and s["text"].strip() == "1." for s in spans), "section numbers not in the accent"
    xmp = PdfReader(pdf).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<prism:doi>10.5555/harbour.2026.07</prism:doi>" in xmp
    assert "<dc:identifier>doi:10.5555/harbour.2026.07</dc:identifier>" in xmp
    assert "<prism:isbn>978-0-00-000000-2</prism:isbn>" in xmp


def test_short_version_has_the_findings_and_recommendations_and_links_the_long_one(corpus):
    text = flat(pdf_text(corpus.file(SLUG, "short", "pdf")))
    assert "Key findings" in text and "Winter ridership is 45 % below summer" in text
    assert "Recommendations" in text and "Review the winter counts after one season" in text
    assert "The full brief, with sources and notes: https://harbour" in text
    with pymupdf.open(corpus.file(SLUG, "short", "pdf")) as document:
        uris = {link.get("uri") for page in document for link in page.get_links()}
    assert "https://harbour-institute.example.org/briefs/winter-ferries" in uris
    assert "How the counts were made" not in text  # a box stays in the long version


def test_docx_uses_the_reference_styles_and_the_theme_s_colours(corpus):
    path = corpus.file(SLUG, "long", "docx")
    body = docx_xml(path)
    styles = [p.get(f"{W}val") for p in body.iter(f"{W}pStyle")]
    for style in ("KeyFindingsTitle", "KeyFindings", "RecommendationsTitle", "Recommendations", "BoxTitle", "Box",
                  "Source", "SuggestedCitation", "Organization"):
        assert style in styles, style
    texts = {flat("".join(t.text or "" for t in p.iter(f"{W}t"))) for p in body.iter(f"{W}p")}
    assert "Figure 1. Monthly passengers on the three routes, 2025" in texts
    with zipfile.ZipFile(path) as archive:
        assert b"0B5563" in archive.read("word/styles.xml") and b"1F4E79" not in archive.read("word/styles.xml")
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert media and all(n.endswith((".png", ".jpeg", ".jpg")) for n in media)  # the SVG logo as a PNG
    custom = etree.fromstring(zipfile.ZipFile(path).read("docProps/custom.xml"))
    properties = {p.get("name"): "".join(p.itertext()) for p in custom}
    assert {key: properties.get(key) for key in ("doi", "isbn", "url", "license", "series", "theme")} == {
        "doi": "10.5555/harbour.2026.07", "isbn": "978-0-00-000000-2",
        "url": "https://harbour-institute.example.org/briefs/winter-ferries", "license": "CC-BY-4.0",
        "series": "Harbour Policy Briefs", "theme": "harbour"}


def test_docx_sets_the_notes_before_the_appendices_and_back_matter(corpus):
    """Contract 5.5: Notes, then appendices, then back matter. The Notes heading ends the first section and
    Word sets the endnotes at the end of their section (w:pos sectEnd); the appendices start a new page."""
    path = corpus.file(SLUG, "long", "docx")
    body = docx_xml(path).find(f"{W}body")
    paragraphs = list(body.iter(f"{W}p"))
    texts = [flat("".join(t.text or "" for t in p.iter(f"{W}t"))) for p in paragraphs]
    notes = next(i for i, p in enumerate(paragraphs)
                 if texts[i] == "Notes" and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "Heading1")
    appendix = texts.index("Appendix A. How the timetables were costed")
    about = texts.index("About the authors")
    last_section = max(i for i, p in enumerate(paragraphs) if re.match(r"2\. \w", texts[i])
                       and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "Heading1")
    assert last_section < notes < appendix < about
    assert paragraphs[notes].find(f"{W}pPr/{W}sectPr") is not None, "the Notes heading does not end a section"
    final = body.find(f"{W}sectPr")
    assert final.find(f"{W}type").get(f"{W}val") == "nextPage" and final.find(f"{W}titlePg") is None
    assert [r.get(f"{W}type") for r in final.findall(f"{W}headerReference")] == ["default", "first"]
    settings = docx_xml(path, "word/settings.xml")
    assert settings.find(f"{W}endnotePr/{W}pos").get(f"{W}val") == "sectEnd"
    # every endnote's own reference is before the Notes; the back matter only refers back to them
    after = paragraphs[notes + 1:]
    assert not [r for p in after for r in p.iter(f"{W}endnoteReference")]
    assert any("NOTEREF" in (t.text or "") for p in after for t in p.iter(f"{W}instrText"))


def test_docx_keeps_the_notes_last_when_the_back_matter_cites_a_source_first():
    """Word sets a section's endnotes at its end: a note first cited in an appendix would land after the
    back matter, away from the others. Then all the notes go last, as Word sets them by default."""
    from pipeline.docx_finish import _cites_first, _take_back_matter_marker

    def body(appendix_run: str):
        return etree.fromstring(
            f'<w:body xmlns:w="{W[1:-1]}"><w:p><w:r><w:endnoteReference w:id="1"/></w:r></w:p>'
            '<w:p><w:bookmarkStart w:id="9" w:name="back-matter"/><w:bookmarkEnd w:id="9"/></w:p>'
            f'<w:p><w:r><w:t>Appendix A</w:t></w:r></w:p><w:p>{appendix_run}</w:p><w:sectPr/></w:body>')

    citing = body('<w:r><w:endnoteReference w:id="2"/></w:r>')
    start = _take_back_matter_marker(citing)
    assert "".join(start.itertext()) == "Appendix A" and len(citing.findall(f"{W}p")) == 3
    assert _cites_first(start)
    referring = body('<w:r><w:instrText> NOTEREF _RefEn_n1 \\h </w:instrText></w:r>')
    assert not _cites_first(_take_back_matter_marker(referring))


def test_epub_carries_identifiers_and_marks_up_the_blocks(corpus):
    path = corpus.file(SLUG, "long", "epub")
    opf = epub_opf(path)
    unique = opf.get("unique-identifier")
    identifiers = {i.get("id"): i.text for i in opf.xpath("//dc:identifier", namespaces=NS)}
    assert identifiers[unique] == "urn:brief:publication-long"
    assert "10.5555/harbour.2026.07" in identifiers.values() and "978-0-00-000000-2" in identifiers.values()
    docs = dict(epub_documents(path))
    every = {i for root in docs.values() for i in root.xpath("//@id")}
    sections = [s for root in docs.values()
                for s in root.xpath("//x:section[contains(@class, 'key-findings') or contains(@class, "
                                    "'recommendations')]", namespaces=NS)]
    assert len(sections) == 2
    for section in sections:
        assert section.get("aria-labelledby") in every
    asides = [a for root in docs.values() for a in root.xpath("//x:aside[contains(@class, 'box')]", namespaces=NS)]
    assert asides and "How the counts were made" in text_of(asides[0])
    title_page = next(root for name, root in docs.items() if "title_page" in name)
    assert title_page.xpath("//x:img[contains(@class, 'logo')]/@alt", namespaces=NS) == \
        ["Harbour Institute for Coastal Policy"]
    all_text = flat(" ".join(text_of(root) for root in docs.values()))
    assert "Figure 1. Monthly passengers" in all_text and "Appendix A. How the timetables were costed" in all_text


def test_manifest_names_identifiers_authors_licence_and_theme(corpus):
    manifest = json.loads((corpus.outputs(SLUG) / "manifest.json").read_text(encoding="utf-8"))
    brief = manifest["brief"]
    assert brief["identifiers"] == {"doi": "10.5555/harbour.2026.07", "isbn": "978-0-00-000000-2",
                                    "url": "https://harbour-institute.example.org/briefs/winter-ferries"}
    assert brief["license"] == {"name": "Creative Commons Attribution 4.0 International",
                                "url": "https://creativecommons.org/licenses/by/4.0/", "spdx": "CC-BY-4.0"}
    assert brief["theme"] == "harbour" and brief["organization"] == "Harbour Institute for Coastal Policy"
    assert brief["authors"][0] == {"name": "Ruth Example", "affiliation": "Harbour Institute"}
    assert brief["series"] == {"name": "Harbour Policy Briefs", "number": "7"}


def test_the_sample_carries_its_own_theme(corpus):
    text = flat(pdf_text(corpus.file(SAMPLE, "long", "pdf")))
    assert "Sample Briefs, no. 1" in text and "About Brief Pipeline Sample Desk" in text
    manifest = json.loads((corpus.outputs(SAMPLE) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["brief"]["theme"] == "sample-desk"
    assert (REPO / "content" / "_themes" / "sample-desk" / "logo.svg").is_file()
    root = etree.fromstring((REPO / "content" / "_themes" / "sample-desk" / "logo.svg").read_bytes())
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "Brief Pipeline Sample Desk"


def test_math_is_refused_at_check_with_what_to_write_instead(tmp_path, session):
    content = _themed_collection(tmp_path)
    section = content / "mini" / "sections" / "03-options.md"
    lines = section.read_text(encoding="utf-8").splitlines() + ["", "The area is $$\\pi r^2$$ and $n$ grows."]
    section.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _problems(content / "mini", session)
    where = f"mini/sections/03-options.md:{len(lines)}"
    assert (f"{where}: error: display math ($$...$$) is not supported: the outputs cannot show a formula the same "
            "way in the PDF, DOCX and EPUB (write the formula in words or with Unicode characters (x² + y² = r²), "
            "or as an SVG image with alt text; to write a dollar sign, escape it: \\$)") in problems, problems
    assert any(p.startswith(f"{where}: error: inline math ($...$) is not supported") for p in problems)
