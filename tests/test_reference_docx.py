"""The DOCX reference documents and the fonts the pipeline embeds.

templates/docx/make_reference_docx.py makes the house reference documents
(A4 and Letter): Word's built-in styles in the look of the PDF, font-table
entries for EB Garamond and Inter, the font embedding settings, and no font
parts. pipeline/docx_finish.py embeds, per document, only the faces it uses,
each subset to its characters. These tests check the reference documents are
current and carry that look, that a finished DOCX holds exactly the used
faces as valid obfuscated subsets, that subsets are cached and reproducible,
and that LibreOffice, on a machine without the fonts installed, renders the
DOCX with them (and with no fallback font).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypandoc
import pytest
from fontTools.ttLib import TTFont
from lxml import etree
from outputs import libreoffice_to_pdf

from pipeline import docx_finish
from pipeline.docx_endnotes import read_docx_parts, write_docx_zip

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCX_TEMPLATES = REPO_ROOT / "templates" / "docx"
FONTS_DIR = REPO_ROOT / "templates" / "fonts"
MAKE_REFERENCE = DOCX_TEMPLATES / "make_reference_docx.py"
REFERENCES = {"reference.docx": "A4", "reference-letter.docx": "Letter"}

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"w": W, "r": R, "rel": RELS, "ct": CT}
FONT_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
EPOCH = 1764288000

# Font-table entry -> its embed* children in schema order, with the house
# font each must be a subset of (SAMPLE_MD uses every face).
EXPECTED_FACES = {
    "EB Garamond": [
        ("embedRegular", "EBGaramond-Regular.ttf"),
        ("embedBold", "EBGaramond-SemiBold.ttf"),
        ("embedItalic", "EBGaramond-Italic.ttf"),
        ("embedBoldItalic", "EBGaramond-SemiBoldItalic.ttf"),
    ],
    "Inter": [
        ("embedRegular", "Inter-Regular.ttf"),
        ("embedBold", "Inter-Bold.ttf"),
        ("embedItalic", "Inter-Italic.ttf"),
    ],
}
# PostScript names pdffonts shows: every embedded face is used by SAMPLE_MD.
EXPECTED_PDF_FONTS = {Path(name).stem for faces in EXPECTED_FACES.values() for _, name in faces}

# Every house face in use: Title and headings 1-2 (Inter bold), Subtitle
# (Inter regular), heading 4 (Inter italic), body text in EB Garamond
# regular, bold, italic and bold italic; curly quotes and an accented word,
# which a subset must keep.
SAMPLE_MD = """---
title: Embedded fonts
subtitle: A test of the reference document
---
# First heading

Body text with **bold words**, *italic words* and ***bold italic words***: “quoted”, it’s café.

## Second heading

#### Fourth-level heading

More body text.
"""
# Only the body face: what a plain document embeds.
PLAIN_MD = "Plain text, nothing else.\n"

GUID = re.compile(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}")


def deobfuscate(data: bytes, font_key: str) -> bytes:
    """ECMA-376 Part 1, 17.8.1, written independently of the pipeline.

    The key bytes are taken from the GUID string last byte first, at the
    positions LibreOffice's DOCX import reads them, and XORed over bytes
    0-15 and again 16-31.
    """
    # Where each byte's two hex digits start in "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}".
    positions = (35, 33, 31, 29, 27, 25, 22, 20, 17, 15, 12, 10, 7, 5, 3, 1)
    key = [int(font_key[p : p + 2], 16) for p in positions]
    head = bytes(byte ^ key[index % 16] for index, byte in enumerate(data[:32]))
    return head + data[32:]


def part(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name))


def styles_of(reference: str) -> dict[str, etree._Element]:
    with zipfile.ZipFile(DOCX_TEMPLATES / reference) as archive:
        styles = part(archive, "word/styles.xml")
    return {style.get(f"{{{W}}}styleId"): style for style in styles.findall("w:style", NS)}


def pandoc_docx(markdown: str, folder: Path, reference: str) -> Path:
    source = folder / "sample.md"
    source.write_text(markdown, encoding="utf-8")
    output = folder / "sample.docx"
    subprocess.run(
        [pypandoc.get_pandoc_path(), str(source), "-f", "markdown", "-o", str(output),
         f"--reference-doc={DOCX_TEMPLATES / reference}"],
        check=True, env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)},
    )
    return output


def embed(src: Path, dst: Path, cache_dir: Path) -> Path:
    """The pipeline's font embedding on a pandoc DOCX."""
    parts = read_docx_parts(src)
    docx_finish.embed_fonts(parts, FONTS_DIR, cache_dir=cache_dir)
    write_docx_zip(dst, parts, EPOCH)
    return dst


@pytest.fixture(scope="module", params=list(REFERENCES))
def finished_docx(request, tmp_path_factory) -> Path:
    """A DOCX made by pandoc from SAMPLE_MD with one of the reference documents, fonts embedded."""
    folder = tmp_path_factory.mktemp(Path(request.param).stem)
    return embed(pandoc_docx(SAMPLE_MD, folder, request.param), folder / "embedded.docx", folder / "cache")


def embedded_faces(archive: zipfile.ZipFile) -> dict[str, list[tuple[str, str, str, str | None]]]:
    """Font name -> (embed element, part name, font key, subsetted) in document order."""
    rels = part(archive, "word/_rels/fontTable.xml.rels")
    targets = {}
    for rel in rels.findall("rel:Relationship", NS):
        assert rel.get("Type") == FONT_REL_TYPE
        assert rel.get("TargetMode") in (None, "Internal")
        targets[rel.get("Id")] = "word/" + rel.get("Target")
    faces: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for font in part(archive, "word/fontTable.xml").findall("w:font", NS):
        for embed_element in font:
            local = etree.QName(embed_element).localname
            if local.startswith("embed"):
                faces.setdefault(font.get(f"{{{W}}}name"), []).append(
                    (local, targets[embed_element.get(f"{{{R}}}id")], embed_element.get(f"{{{W}}}fontKey"),
                     embed_element.get(f"{{{W}}}subsetted")))
    return faces


def document_characters(archive: zipfile.ZipFile) -> set[str]:
    text = "".join(t.text or "" for t in part(archive, "word/document.xml").iter(f"{{{W}}}t"))
    return set(text) - {" "}


# --------------------------------------------------------------------------
# The reference documents


def test_reference_documents_are_up_to_date():
    """Regenerating gives the same bytes, for A4 and Letter."""
    completed = subprocess.run(
        [sys.executable, str(MAKE_REFERENCE), "--check"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    for name in REFERENCES:
        assert f"{name} is up to date" in completed.stdout


@pytest.mark.parametrize("reference", list(REFERENCES))
def test_reference_has_font_entries_and_settings_but_no_fonts(reference):
    with zipfile.ZipFile(DOCX_TEMPLATES / reference) as archive:
        names = archive.namelist()
        fonts = {f.get(f"{{{W}}}name"): f for f in part(archive, "word/fontTable.xml").findall("w:font", NS)}
        settings = [etree.QName(child).localname for child in part(archive, "word/settings.xml")]
    assert not [name for name in names if name.startswith("word/fonts/")]
    assert (DOCX_TEMPLATES / reference).stat().st_size < 30_000
    for family in EXPECTED_FACES:
        assert fonts[family].find("w:family", NS) is not None
        assert not [c for c in fonts[family] if etree.QName(c).localname.startswith("embed")]
    # Word keeps embedded fonts only with embedTrueTypeFonts, and subsets them
    # with saveSubsetFonts; schema order (CT_Settings): zoom, embedTrueTypeFonts,
    # saveSubsetFonts ..., defaultTabStop, autoHyphenation.
    position = settings.index("embedTrueTypeFonts")
    assert settings[position + 1] == "saveSubsetFonts"
    assert set(settings[:position]) <= {"view", "zoom", "writeProtection"}
    assert "embedSystemFonts" not in settings
    assert settings[settings.index("defaultTabStop") + 1] == "autoHyphenation"


def run_property(styles, style_id: str, path: str, attribute: str = "val") -> str | None:
    element = styles[style_id].find(f"w:rPr/{path}", NS)
    return None if element is None else element.get(f"{{{W}}}{attribute}")


def paragraph_spacing(styles, style_id: str) -> dict[str, str]:
    element = styles[style_id].find("w:pPr/w:spacing", NS)
    return {etree.QName(k).localname: v for k, v in element.attrib.items()} if element is not None else {}


@pytest.mark.parametrize("reference", list(REFERENCES))
def test_line_spacing_matches_the_pdf(reference):
    """The PDF sets 11 pt EB Garamond on a 1.4 line: 15.4 pt, an exact pitch in the DOCX, not a multiple
    of the font's own tall line (EB Garamond's is 1.44 em: "auto" 1.4 gave about 2.0)."""
    styles = styles_of(reference)
    assert run_property(styles, "Normal", "w:sz") == "22"
    for style_id in ("Normal", "BodyText", "Compact"):
        spacing = paragraph_spacing(styles, style_id)
        assert spacing["lineRule"] == "exact", style_id
        assert int(spacing["line"]) == 308, style_id  # 15.4 pt in twentieths of a point
    # Every text style sets its line in points; only pictures (Figure) keep their own height.
    for style_id, style in styles.items():
        spacing = paragraph_spacing(styles, style_id)
        if style.get(f"{{{W}}}type") == "paragraph" and spacing.get("line") and style_id not in ("Figure",
                                                                                             "Distribution"):
            assert spacing.get("lineRule") in ("exact", "atLeast"), style_id


@pytest.mark.parametrize("reference", list(REFERENCES))
def test_title_and_headings_black_accent_for_numbers_and_links(reference):
    styles = styles_of(reference)
    assert run_property(styles, "Normal", "w:rFonts", "ascii") == "EB Garamond"
    for style_id in ("Title", "Heading1", "Heading2", "Heading3", "TitleChar", "Heading1Char"):
        assert run_property(styles, style_id, "w:rFonts", "ascii") == "Inter", style_id
        assert run_property(styles, style_id, "w:color") == "000000", style_id
    assert styles["TOCHeading"].find("w:rPr", NS) is None  # inherits Heading 1
    for style_id in ("SectionNumber", "Hyperlink", "DistributionLabel", "Organization"):
        assert run_property(styles, style_id, "w:color") == "1F4E79", style_id
    assert run_property(styles, "EndnoteText", "w:sz") == "18"
    assert run_property(styles, "EndnoteReference", "w:vertAlign") in (None, "baseline")
    assert styles["NoteRef"].find("w:basedOn", NS).get(f"{{{W}}}val") == "EndnoteReference"
    for style in styles.values():  # every style it refers to exists
        for link in ("basedOn", "next", "link"):
            target = style.find(f"w:{link}", NS)
            assert target is None or target.get(f"{{{W}}}val") in styles, (style.get(f"{{{W}}}styleId"), link)
    table_defaults = [s for s in styles.values()
                      if s.get(f"{{{W}}}type") == "table" and s.get(f"{{{W}}}default") == "1"]
    assert [s.get(f"{{{W}}}styleId") for s in table_defaults] == ["TableNormal"]


@pytest.mark.parametrize(("reference", "page"), list(REFERENCES.items()))
def test_furniture_and_contents_styles_tab_to_the_text_width(reference, page):
    """Header, footer and contents entries end at the right margin: their right tab stop is the text width."""
    with zipfile.ZipFile(DOCX_TEMPLATES / reference) as archive:
        section = part(archive, "word/document.xml").find(".//w:body/w:sectPr", NS)
    size, margins = section.find("w:pgSz", NS), section.find("w:pgMar", NS)
    width = int(size.get(f"{{{W}}}w")) - int(margins.get(f"{{{W}}}left")) - int(margins.get(f"{{{W}}}right"))
    assert size.get(f"{{{W}}}w") == {"A4": "11906", "Letter": "12240"}[page]
    styles = styles_of(reference)
    for style_id, leader in (("Header", None), ("Footer", None), ("TOC1", "dot")):
        [tab] = styles[style_id].findall("w:pPr/w:tabs/w:tab", NS)
        assert tab.get(f"{{{W}}}val") == "right"
        assert int(tab.get(f"{{{W}}}pos")) == width, style_id
        assert tab.get(f"{{{W}}}leader") == leader
        assert styles[style_id].find("w:pPr/w:suppressAutoHyphens", NS) is not None
    assert styles["TOC1"].find("w:name", NS).get(f"{{{W}}}val") == "toc 1"  # Word's own contents style
    assert styles["Header"].find("w:rPr/w:smallCaps", NS) is not None  # the running head in small capitals
    assert run_property(styles, "Header", "w:rFonts", "ascii") == "Inter"


# --------------------------------------------------------------------------
# Fonts: only the used faces, subset


def test_finished_docx_embeds_subsets_of_the_used_faces(finished_docx):
    with zipfile.ZipFile(finished_docx) as archive:
        names = archive.namelist()
        faces = embedded_faces(archive)
        types = part(archive, "[Content_Types].xml")
        characters = document_characters(archive)
        fonts = {}
        for family, expected in EXPECTED_FACES.items():
            assert [face[0] for face in faces[family]] == [element for element, _ in expected], \
                "embed elements per font-table entry, in schema order (CT_Font)"
            for (element, name, key, subsetted), (_, file_name) in zip(faces[family], expected):
                assert name in names and re.fullmatch(r"word/fonts/font\d+\.odttf", name)
                assert GUID.fullmatch(key), key  # upper case: LibreOffice needs it
                assert subsetted == "1"
                data = archive.read(name)
                house = (FONTS_DIR / file_name).read_bytes()
                assert data[:32] != deobfuscate(data, key)[:32], f"{name} is not obfuscated"
                fonts[(family, element)] = (TTFont(io.BytesIO(deobfuscate(data, key))), TTFont(FONTS_DIR / file_name),
                                            len(data), len(house))
    keys = [face[2] for found in faces.values() for face in found]
    assert len(set(keys)) == len(keys)
    odttf = [d.get("ContentType") for d in types.findall("ct:Default", NS) if d.get("Extension").lower() == "odttf"]
    assert odttf == [OBFUSCATED_FONT]

    for (family, element), (subset, house, size, house_size) in fonts.items():
        cmap, house_cmap = subset.getBestCmap(), house.getBestCmap()
        assert set(cmap) <= set(house_cmap)
        assert {ord(c) for c in characters if ord(c) in house_cmap} <= set(cmap), (family, element)
        assert len(subset.getGlyphOrder()) < len(house.getGlyphOrder()) / 5
        assert size < house_size / 5
        # the names Word and LibreOffice match the face by, unchanged
        for name_id in (1, 2, 4, 6, 16):
            assert subset["name"].getDebugName(name_id) == house["name"].getDebugName(name_id)


def test_subsets_keep_a_common_repertoire_so_briefs_share_them(finished_docx, tmp_path):
    """Latin-1, Latin Extended-A and typographic punctuation stay in every subset: an editor can type them,
    and two briefs whose text needs nothing more carry the very same subset of a face (LibreOffice keeps
    the first embedded file of a face for its whole session)."""
    plain = embed(pandoc_docx(PLAIN_MD, tmp_path, "reference.docx"), tmp_path / "plain.docx", tmp_path / "cache")

    def regular_serif(path: Path) -> bytes:
        with zipfile.ZipFile(path) as archive:
            [(_, name, key, _)] = [face for face in embedded_faces(archive)["EB Garamond"]
                                   if face[0] == "embedRegular"]
            return deobfuscate(archive.read(name), key)

    assert regular_serif(plain) == regular_serif(finished_docx)
    cmap = TTFont(io.BytesIO(regular_serif(plain))).getBestCmap()
    house = TTFont(FONTS_DIR / "EBGaramond-Regular.ttf").getBestCmap()
    wanted = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180)) | {0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D,
                                                                0x2022, 0x2026, 0x20AC, 0x2212}
    assert wanted & set(house) <= set(cmap)


def test_only_used_faces_are_embedded(tmp_path):
    docx = embed(pandoc_docx(PLAIN_MD, tmp_path, "reference.docx"), tmp_path / "plain.docx", tmp_path / "cache")
    with zipfile.ZipFile(docx) as archive:
        faces = embedded_faces(archive)
        fonts = [name for name in archive.namelist() if name.startswith("word/fonts/")]
    assert {family: [face[0] for face in found] for family, found in faces.items()} == {
        "EB Garamond": ["embedRegular"]}
    assert len(fonts) == 1
    assert docx.stat().st_size < 60_000


def test_subsets_are_cached_and_identical(tmp_path, monkeypatch):
    source = pandoc_docx(SAMPLE_MD, tmp_path, "reference.docx")
    cache = tmp_path / "cache"
    first = embed(source, tmp_path / "first.docx", cache)
    cached = sorted(cache.glob("docx-font-*.ttf"))
    assert len(cached) == 7

    def no_subsetting(*args, **kwargs):
        raise AssertionError("subset again although the cache holds the subset")

    monkeypatch.setattr(docx_finish, "_subset", no_subsetting)
    second = embed(source, tmp_path / "second.docx", cache)
    assert second.read_bytes() == first.read_bytes()
    monkeypatch.undo()
    # Without the cache, the same bytes again (HarfBuzz's subsetting is deterministic).
    third = embed(source, tmp_path / "third.docx", tmp_path / "other-cache")
    assert third.read_bytes() == first.read_bytes()


def test_a_font_harfbuzz_cannot_cut_is_named(tmp_path):
    from pipeline.fonts import FontMissing

    damaged = tmp_path / "Damaged-Regular.ttf"
    damaged.write_bytes(b"\x00\x01\x00\x00" + b"\xff" * 64)  # a TrueType signature and nothing usable
    with pytest.raises(FontMissing, match=r"HarfBuzz could not subset .*Damaged-Regular\.ttf: the file may be damaged"):
        docx_finish.subset_font(damaged, "abc", tmp_path / "cache")


# --------------------------------------------------------------------------
# LibreOffice


def installed_house_fonts(soffice: str) -> list[str]:
    """House fonts LibreOffice could find without the DOCX: must be none."""
    families = subprocess.run(
        ["fc-list", ":", "family"], check=True, capture_output=True, text=True
    ).stdout
    found = [
        line
        for line in families.splitlines()
        if re.search(r"(^|,)\s*(EB Garamond|Inter)\b", line, flags=re.IGNORECASE)
    ]
    # Fonts LibreOffice ships and loads itself, outside fontconfig.
    bundled = Path(soffice).resolve().parent.parent / "share" / "fonts"
    found += [
        str(path)
        for path in bundled.rglob("*")
        if re.match(r"(EB ?Garamond|Inter)[-_ .[]", path.name, flags=re.IGNORECASE)
    ]
    return found


@pytest.fixture
def soffice() -> str:
    """LibreOffice is a requirement of the project, never a reason to skip."""
    path = shutil.which("soffice")
    if path is None:
        pytest.fail("soffice is not on PATH: install LibreOffice (libreoffice-writer-nogui)")
    for tool in ("pdffonts", "fc-list"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not on PATH: install poppler-utils and fontconfig")
    return path


@pytest.mark.libreoffice
def test_libreoffice_renders_with_the_embedded_subsets(finished_docx, soffice, tmp_path):
    # With the fonts installed LibreOffice would use those, and this test
    # would prove nothing about the embedded ones.
    installed = installed_house_fonts(soffice)
    assert not installed, (
        "EB Garamond or Inter is installed where LibreOffice finds it; this test needs a "
        f"machine without them: {installed}"
    )
    # A fresh profile: no fonts cached from other runs.
    [pdf] = libreoffice_to_pdf([finished_docx], tmp_path, soffice)
    listing = subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    fonts = {}
    for line in listing.splitlines()[2:]:  # after the header and its rule
        columns = line.split()
        # name, type (one or two words), encoding, emb, sub, uni, object, generation
        fonts[columns[0].split("+", 1)[-1]] = columns[-5]
    # every face, and no other font: not even for the curly quotes
    assert set(fonts) == EXPECTED_PDF_FONTS, listing
    assert set(fonts.values()) == {"yes"}, listing
