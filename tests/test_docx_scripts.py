"""The DOCX of every script (issue 12): the brief's faces named in the styles and embedded, the languages
Word knows, right-to-left structure, emphasis without slanted Arabic or Chinese, and LibreOffice setting
the text in the embedded faces only.

pipeline/docx_finish.py (apply_scripts, embed_fonts) does this; the fixture briefs in Arabic, Chinese,
Japanese and Russian come from the session corpus, small pandoc documents test the rules one by one.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pypandoc
import pytest
from conftest import REPO
from fontTools.ttLib import TTFont
from lxml import etree
from outputs import docx_xml, pdf_fonts, pdf_text
from pdfpages import glyphs
from test_reference_docx import deobfuscate

from pipeline import docx_finish, fonts
from pipeline.docx_endnotes import read_docx_parts
from pipeline.model import read_document

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W}
VARIANTS = ("short", "long")
HOUSE = {"EB Garamond": "serif", "Inter": "sans"}

# The faces each fixture's styles name beside the house faces, by role, and the languages of w:lang.
EXPECTED = {
    "arabic": {"cs": {"serif": "Noto Naskh Arabic", "sans": "Noto Sans Arabic"}, "eastAsia": None,
               "lang": {"bidi": "ar-SA"}},
    "chinese": {"cs": None, "eastAsia": {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC"},
                "lang": {"eastAsia": "zh-CN"}},
    "japanese": {"cs": None, "eastAsia": {"serif": "Noto Serif CJK JP", "sans": "Noto Sans CJK JP"},
                 "lang": {"eastAsia": "ja-JP"}},
}
COMPLEX = ("arabic", "hebrew", "devanagari", "thai")  # fonts.script_of groups set in the w:cs face
EAST_ASIAN = ("han", "kana", "hangul")


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def on(element) -> bool:
    return element is not None and element.get(w("val"), "true") not in ("0", "false", "off")


def text_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist() if name in ("word/document.xml", "word/footnotes.xml",
                                                                "word/endnotes.xml")
                or re.fullmatch(r"word/(header|footer)\d+\.xml", name)]


class Sheet:
    """The styles as Word resolves a run's fonts and toggles: direct formatting, character style, table
    style's header row, paragraph style (along basedOn), document defaults; the nearest that sets one wins."""

    def __init__(self, styles: etree._Element):
        self.styles = {s.get(w("styleId")): s for s in styles.findall("w:style", NS)}
        self.defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)

    def _style_chain(self, style_id: str | None) -> list[etree._Element]:
        chain = []
        while style_id in self.styles:
            properties = self.styles[style_id].find("w:rPr", NS)
            if properties is not None:
                chain.append(properties)
            based = self.styles[style_id].find("w:basedOn", NS)
            style_id = based.get(w("val")) if based is not None else None
        return chain

    def chain(self, run: etree._Element) -> list[etree._Element]:
        paragraph = next(a for a in run.iterancestors(w("p")))
        direct = run.find("w:rPr", NS)
        character = direct.find("w:rStyle", NS) if direct is not None else None
        style = paragraph.find("w:pPr/w:pStyle", NS)
        found = [direct] if direct is not None else []
        found += self._style_chain(character.get(w("val")) if character is not None else None)
        found += self._style_chain(style.get(w("val")) if style is not None else "Normal")
        row = next(run.iterancestors(w("tr")), None)
        if row is not None and row.getparent().find("w:tr", NS) is row:
            table_style = row.getparent().find("w:tblPr/w:tblStyle", NS)
            if table_style is not None and table_style.get(w("val")) in self.styles:
                found += self.styles[table_style.get(w("val"))].findall("w:tblStylePr[@w:type='firstRow']/w:rPr",
                                                                          NS)
        return found + ([self.defaults] if self.defaults is not None else [])

    def font(self, run: etree._Element, slot: str) -> str | None:
        for properties in self.chain(run):
            fonts_element = properties.find("w:rFonts", NS)
            if fonts_element is not None and fonts_element.get(w(slot)):
                return fonts_element.get(w(slot))
        return None

    def toggle(self, run: etree._Element, name: str) -> bool:
        for properties in self.chain(run):
            element = properties.find(f"w:{name}", NS)
            if element is not None:
                return on(element)
        return False


def embedded_fonts(path: Path) -> dict[tuple[str, bool], TTFont]:
    """(family, bold) -> the embedded font, de-obfuscated."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        table = etree.fromstring(archive.read("word/fontTable.xml"))
        rels = etree.fromstring(archive.read("word/_rels/fontTable.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        for font in table.findall("w:font", NS):
            for embed in font:
                kind = etree.QName(embed).localname
                if not kind.startswith("embed"):
                    continue
                data = archive.read("word/" + targets[embed.get(f"{{{R}}}id")])
                found[(font.get(w("name")), kind in ("embedBold", "embedBoldItalic"))] = TTFont(
                    io.BytesIO(deobfuscate(data, embed.get(w("fontKey")))))
    return found


def document_of(corpus, slug):
    return read_document(corpus.build / slug / ".work" / "brief.json")


# --------------------------------------------------------------------------
# The fixtures


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_styles_name_the_brief_s_faces_for_its_script(corpus, slug):
    expected = EXPECTED[slug]
    own_cjk = expected["eastAsia"] is not None
    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        styles = docx_xml(path, "word/styles.xml")
        named = 0
        for element in styles.iter(w("rFonts")):
            latin = element.get(w("hAnsi"))
            if own_cjk and latin in expected["eastAsia"].values():  # a CJK brief's Latin text: its CJK face too
                role = next(r for r, name in expected["eastAsia"].items() if name == latin)
                assert element.get(w("ascii")) == latin
            elif latin in HOUSE:
                role = HOUSE[latin]
            else:
                continue  # code (Consolas)
            named += 1
            for slot in ("cs", "eastAsia"):
                if expected[slot]:
                    assert element.get(w(slot)) == expected[slot][role], (path.name, slot, role)
                    assert element.get(w({"cs": "cstheme", "eastAsia": "eastAsiaTheme"}[slot])) is None
        assert named > 10
        language = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        for attribute, value in expected["lang"].items():
            assert language.get(w(attribute)) == value
        table = {f.get(w("name")): f for f in docx_xml(path, "word/fontTable.xml").findall("w:font", NS)}
        for slot in ("cs", "eastAsia"):
            for name in (expected[slot] or {}).values():
                entry = table[name]
                assert re.fullmatch(r"[0-9A-F]{20}", entry.find("w:panose1", NS).get(w("val")))
                assert entry.find("w:sig", NS) is not None


def test_a_latin_script_brief_names_no_other_face(corpus):
    for variant in VARIANTS:
        path = corpus.file("russian", variant, "docx")
        styles = docx_xml(path, "word/styles.xml")
        for element in styles.iter(w("rFonts")):
            if element.get(w("ascii")) in HOUSE:
                assert element.get(w("cs")) == element.get(w("ascii"))
                assert element.get(w("eastAsiaTheme")) == "minorEastAsia"
        names = {f.get(w("name")) for f in docx_xml(path, "word/fontTable.xml").findall("w:font", NS)}
        assert not {name for name in names if name.startswith("Noto")}


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_the_embedded_faces_draw_every_character_set_in_them(corpus, slug):
    """Each character of a complex-script or East Asian run (and, in a CJK brief, its Latin text) is in
    the embedded subset of the face Word picks for it: the family its styles name for that slot, bold as
    the run is. The faces are TrueType (Word embeds no other), small and of the catalogue."""
    allowed = {face for slot in ("cs", "eastAsia") for face in (EXPECTED[slug][slot] or {}).values()} | set(HOUSE)
    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        embedded = embedded_fonts(path)
        assert {family for family, _ in embedded} <= allowed
        script_faces = EXPECTED[slug]["cs"] or EXPECTED[slug]["eastAsia"]
        assert {(script_faces["serif"], False), (script_faces["sans"], True)} <= set(embedded)  # text, headings
        for (family, _), font in embedded.items():
            assert "glyf" in font and "CFF " not in font, family
        cmaps = {key: set(font.getBestCmap()) for key, font in embedded.items()}
        sheet = Sheet(docx_xml(path, "word/styles.xml"))
        checked, missing = 0, []
        for part in text_parts(path):
            for run in docx_xml(path, part).iter(w("r")):
                text = "".join(t.text or "" for t in run.findall("w:t", NS))
                right_to_left = on(run.find("w:rPr/w:rtl", NS))
                for character in text:
                    if character.isspace() or unicodedata.category(character) == "Cf":
                        continue
                    script = fonts.script_of(character)
                    if right_to_left or script in COMPLEX:
                        slot, bold = "cs", sheet.toggle(run, "bCs")
                    elif script in EAST_ASIAN:
                        slot, bold = "eastAsia", sheet.toggle(run, "b")
                    elif sheet.font(run, "ascii") not in HOUSE:
                        slot, bold = "ascii", sheet.toggle(run, "b")
                    else:
                        continue  # Latin text in a house face (tests/test_reference_docx.py)
                    family = sheet.font(run, slot)
                    assert family in allowed, (part, text, slot, family)
                    checked += 1
                    if ord(character) not in cmaps.get((family, bold), ()):
                        missing.append((part, character, family, bold))
        assert checked > 100 and not missing, (path.name, missing[:10])
        assert path.stat().st_size < 400_000  # a Chinese long brief is about 170 KB


def test_a_right_to_left_brief_is_right_to_left_in_every_part(corpus):
    for variant in VARIANTS:
        path = corpus.file("arabic", variant, "docx")
        parts = text_parts(path)
        assert {"word/header1.xml", "word/footer1.xml"} <= set(parts)
        latin = 0
        for part in parts:
            root = docx_xml(path, part)
            for paragraph in root.iter(w("p")):
                assert on(paragraph.find("w:pPr/w:bidi", NS)), (part, etree.tostring(paragraph)[:300])
            for table in root.iter(w("tbl")):
                assert table.find("w:tblPr/w:bidiVisual", NS) is not None
            for section in root.iter(w("sectPr")):
                assert section.find("w:bidi", NS) is not None
            for run in root.iter(w("r")):
                text = "".join(t.text or "" for t in run.findall("w:t", NS))
                kinds = {unicodedata.bidirectional(c) for c in text}
                right_to_left = on(run.find("w:rPr/w:rtl", NS))
                if kinds & {"R", "AL"}:
                    assert right_to_left, (part, text)
                if "L" in kinds:  # Latin words in runs of their own: w:rtl is undefined for them
                    assert not right_to_left and not kinds & {"R", "AL"}, (part, text)
                    latin += 1
                # no slanted Arabic, and emphasis upright as in the PDF
                assert not on(run.find("w:rPr/w:iCs", NS)) and not on(run.find("w:rPr/w:i", NS))
        assert latin  # "Alex Example", SCADA
        head = "".join(t.text for t in docx_xml(path, "word/header1.xml").iter(w("t")))
        assert document_of(corpus, "arabic").meta.title.plain[:10] in head
        styles = docx_xml(path, "word/styles.xml")
        # paragraph rules (the block quotation's) mirrored: on the side where the lines start
        with zipfile.ZipFile(REPO / "templates" / "docx" / "reference.docx") as reference:
            original = etree.fromstring(reference.read("word/styles.xml"))
        mirrored = {"left": "right", "right": "left"}
        for style in original.xpath("w:style[w:pPr/w:pBdr]", namespaces=NS):
            style_id = style.get(w("styleId"))
            ours = styles.find(f"w:style[@w:styleId='{style_id}']/w:pPr/w:pBdr", NS)
            sides = {mirrored.get(etree.QName(side).localname, etree.QName(side).localname): dict(side.attrib)
                     for side in style.find("w:pPr/w:pBdr", NS)}
            assert {etree.QName(side).localname: dict(side.attrib) for side in ours} == sides, style_id
        assert styles.find(".//w:style[@w:styleId='BlockText']/w:pPr/w:pBdr/w:right", NS) is not None
        for style in styles.iter(w("style")):
            properties = style.find("w:rPr", NS)
            if properties is not None:
                assert not on(properties.find("w:iCs", NS)) and properties.find("w:spacing", NS) is None


# --------------------------------------------------------------------------
# LibreOffice


def dejavu_folder() -> Path:
    found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True,
                           check=True).stdout
    assert "DejaVuSans" in found, f"fc-match found {found!r}: install fonts-dejavu-core"
    return Path(found).parent


def convert_without_system_fonts(files: list[Path], folder: Path) -> list[Path]:
    """LibreOffice (one process, fresh profile) with DejaVu as the machine's only font: text not set in
    an embedded face shows up as DejaVu in the PDF, whatever fonts this machine has installed."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("soffice is not on PATH: install LibreOffice (libreoffice-writer-nogui)")
    config = folder / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                      f"<dir>{dejavu_folder()}</dir><cachedir>{folder / 'fc-cache'}</cachedir></fontconfig>\n")
    import os

    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(folder), *map(str, files)],
                   check=True, capture_output=True, timeout=300, env=env)
    pdfs = [folder / f"{file.stem}.pdf" for file in files]
    for pdf in pdfs:
        assert pdf.is_file(), f"LibreOffice could not convert {pdf.stem}.docx"
    return pdfs


@pytest.mark.libreoffice
def test_libreoffice_sets_arabic_and_chinese_in_the_embedded_faces(corpus, tmp_path):
    briefs = {"arabic": {"NotoNaskhArabic-Regular", "NotoNaskhArabic-Bold", "NotoSansArabic-Regular",
                         "NotoSansArabic-Bold"},
              "chinese": {"NotoSerifCJKsc-Regular", "NotoSerifCJKsc-Bold", "NotoSansCJKsc-Regular",
                          "NotoSansCJKsc-Bold"}}
    house = {"EBGaramond-Regular", "EBGaramond-SemiBold", "EBGaramond-Italic", "EBGaramond-SemiBoldItalic",
             "Inter-Regular", "Inter-Bold", "Inter-Italic"}
    files = [corpus.file(slug, "long", "docx") for slug in briefs]
    for (slug, faces), pdf in zip(briefs.items(), convert_without_system_fonts(files, tmp_path)):
        names = {row["name"].split("+", 1)[-1] for row in pdf_fonts(pdf)}
        assert names <= faces | house and names & faces, (slug, sorted(names))
        assert all(row["emb"] == "yes" for row in pdf_fonts(pdf))
        drawn = 0
        for page, character, glyph, font in glyphs(pdf):
            assert glyph != 0, f"{slug}: .notdef for {character!r} on page {page} ({font})"
            if fonts.script_of(character) in (*COMPLEX, *EAST_ASIAN):
                assert font in faces, (slug, character, font)
                drawn += 1
        assert drawn > 200
        title = document_of(corpus, slug).meta.title.plain
        shown = re.sub(r"\s+", "", pdf_text(pdf))
        assert re.sub(r"\s+", "", title)[:6] in shown or slug == "arabic"  # Arabic comes out in drawing order


# --------------------------------------------------------------------------
# The rules, one by one, on small pandoc documents


def pandoc_parts(markdown: str, folder: Path) -> dict[str, bytes]:
    source, output = folder / "in.md", folder / "out.docx"
    source.write_text(markdown, encoding="utf-8")
    subprocess.run([pypandoc.get_pandoc_path(), str(source), "-o", str(output),
                    f"--reference-doc={REPO / 'templates' / 'docx' / 'reference.docx'}"], check=True)
    return read_docx_parts(output)


def brief(language: str, scripts: list[str], direction: str = "ltr"):
    return SimpleNamespace(meta=SimpleNamespace(language=language, direction=direction, scripts=scripts))


def runs(parts: dict[str, bytes]) -> list[tuple[str, etree._Element]]:
    root = etree.fromstring(parts["word/document.xml"])
    return [("".join(t.text or "" for t in run.iter(w("t"))), run) for run in root.iter(w("r"))]


RTL_MD = """---
lang: ar
dir: rtl
---
نص *مائل* و**عريض** يذكر Alex Example والموقع https://example.org/a/2026 (بين قوسين).

- بند أول
- بند ثان

| الخيار | التكلفة |
|---|---:|
| أ | 300 |

> «اقتباس»
"""


def test_right_to_left_rules(tmp_path):
    parts = pandoc_parts(RTL_MD, tmp_path)
    docx_finish.house_lists(parts)  # the house's bullets, as finish_parts sets them before
    docx_finish.apply_scripts(parts, brief("ar", ["arabic"], "rtl"))
    root = etree.fromstring(parts["word/document.xml"])
    order = ["pStyle", "keepNext", "numPr", "pBdr", "bidi", "spacing", "ind", "jc", "rPr"]
    for paragraph in root.iter(w("p")):
        properties = paragraph.find("w:pPr", NS)
        assert on(properties.find("w:bidi", NS))
        names = [etree.QName(child).localname for child in properties if etree.QName(child).localname in order]
        assert names == sorted(names, key=order.index), names  # schema order: Word refuses others
    table = root.find(".//w:tbl/w:tblPr", NS)
    assert [etree.QName(child).localname for child in table][:3] == ["tblStyle", "bidiVisual", "tblW"]
    shown = {text: run for text, run in runs(parts)}
    # Latin words and a web address in left-to-right runs, the Arabic around them right to left
    for text in ("Alex Example", "https://example.org/a/2026"):
        assert text in shown and not on(shown[text].find("w:rPr/w:rtl", NS)), text
    assert on(shown[" والموقع "].find("w:rPr/w:rtl", NS))
    # emphasis: bold, never slanted
    assert on(shown["مائل"].find("w:rPr/w:b", NS)) and on(shown["مائل"].find("w:rPr/w:bCs", NS))
    assert not any(on(run.find("w:rPr/w:i", NS)) or on(run.find("w:rPr/w:iCs", NS)) for _, run in runs(parts))
    # the brackets Noto Naskh Arabic lacks: in a character style naming the house face for w:cs
    for bracket in "()":
        style = shown[bracket].find("w:rPr/w:rStyle", NS).get(w("val"))
        assert on(shown[bracket].find("w:rPr/w:rtl", NS))
        styles = etree.fromstring(parts["word/styles.xml"])
        defined = styles.find(f"w:style[@w:styleId='{style}']/w:rPr/w:rFonts", NS)
        assert defined.get(w("cs")) == "EB Garamond"
    # the list's bullet too (the Arabic faces have none)
    numbering = etree.fromstring(parts["word/numbering.xml"])
    assert any(level.find("w:rPr/w:rFonts", NS) is not None
               and level.find("w:rPr/w:rFonts", NS).get(w("cs")) == "EB Garamond"
               for level in numbering.iter(w("lvl")) if level.find("w:lvlText", NS).get(w("val")) == "\u2022")


def test_a_latin_brief_with_other_scripts_keeps_its_italics_where_they_exist(tmp_path):
    parts = pandoc_parts("*Italic 中文 words* and *سلام*.\n", tmp_path)
    docx_finish.apply_scripts(parts, brief("en", ["arabic", "cjk-sc"]))
    styles = etree.fromstring(parts["word/styles.xml"])
    normal = styles.find("w:style[@w:styleId='Normal']/w:rPr/w:rFonts", NS)
    assert (normal.get(w("ascii")), normal.get(w("cs")), normal.get(w("eastAsia"))) == (
        "EB Garamond", "Noto Naskh Arabic", "Noto Serif CJK SC")
    language = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
    assert (language.get(w("bidi")), language.get(w("eastAsia"))) == ("ar-SA", "zh-CN")
    shown = {text.strip(): run for text, run in runs(parts)}
    assert on(shown["Italic"].find("w:rPr/w:i", NS)) and on(shown["words"].find("w:rPr/w:i", NS))
    chinese = shown["中文"].find("w:rPr", NS)
    assert not on(chinese.find("w:i", NS)) and on(chinese.find("w:b", NS))
    arabic = shown["سلام"].find("w:rPr", NS)
    assert not on(arabic.find("w:iCs", NS)) and on(arabic.find("w:bCs", NS))


@pytest.mark.parametrize("scripts", [[], ["latin-extra", "symbols"]])
def test_a_latin_brief_is_left_as_it_is(tmp_path, scripts):
    parts = pandoc_parts("Text with *emphasis* and “quotes”.\n", tmp_path)
    before = dict(parts)
    docx_finish.apply_scripts(parts, brief("en", scripts))
    assert parts == before


@pytest.mark.parametrize(("tag", "word"), [("zh-Hans", "zh-CN"), ("zh-Hant", "zh-TW"), ("zh", "zh-CN"),
                                           ("ja", "ja-JP"), ("ko", "ko-KR"), ("ar", "ar-SA"), ("fa", "fa-IR"),
                                           ("he", "he-IL"), ("ar-EG", "ar-EG"), ("zh-Hant-HK", "zh-HK")])
def test_languages_as_word_names_them(tag, word):
    assert docx_finish.word_language(tag) == word


def test_subsets_are_the_same_from_a_cold_and_a_warm_cache(corpus, tmp_path, monkeypatch):
    """Embedding again, with an empty cache and then with it filled, gives the very font parts of the
    build: a DOCX of any script is the same file however often it is built."""
    path = corpus.file("chinese", "long", "docx")
    built = read_docx_parts(path)
    fonts_dir = REPO / "templates" / "fonts"
    cold = dict(built)
    docx_finish.embed_fonts(cold, fonts_dir, cache_dir=tmp_path / "cache")
    assert cold == built
    monkeypatch.setattr(docx_finish, "_subset", lambda *a: pytest.fail("subset again with a warm cache"))
    warm = dict(built)
    docx_finish.embed_fonts(warm, fonts_dir, cache_dir=tmp_path / "cache")
    assert warm == built
