"""The house fonts embedded in the DOCX reference documents.

templates/docx/make_reference_docx.py puts EB Garamond and Inter from
templates/fonts into both reference documents as obfuscated font parts;
pandoc copies them into every DOCX it makes. These tests check the
reference documents are current, that a DOCX from pandoc carries the parts
and the font-table entries, that the parts are exactly the house fonts, and
that LibreOffice, on a machine without the fonts installed, renders the
DOCX with them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypandoc
import pytest

from outputs import libreoffice_to_pdf
from lxml import etree

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCX_TEMPLATES = REPO_ROOT / "templates" / "docx"
FONTS_DIR = REPO_ROOT / "templates" / "fonts"
MAKE_REFERENCE = DOCX_TEMPLATES / "make_reference_docx.py"
REFERENCES = ("reference.docx", "reference-letter.docx")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"w": W, "r": R, "rel": RELS, "ct": CT}
FONT_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"

# Font-table entry -> its embed* children in schema order, with the house
# font each must hold.
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

# Every embedded face in use: Title and headings 1-2 (Inter bold), Subtitle
# (Inter regular), heading 4 (Inter italic), body text in EB Garamond
# regular, bold, italic and bold italic.
SAMPLE_MD = """---
title: Embedded fonts
subtitle: A test of the reference document
---
# First heading

Body text with **bold words**, *italic words* and ***bold italic words***.

## Second heading

#### Fourth-level heading

More body text.
"""

GUID = re.compile(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}")


def deobfuscate(data: bytes, font_key: str) -> bytes:
    """ECMA-376 Part 1, 17.8.1, written independently of the generator.

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


@pytest.fixture(scope="module", params=REFERENCES)
def pandoc_docx(request, tmp_path_factory) -> Path:
    """A DOCX made by pandoc from SAMPLE_MD with one of the reference documents."""
    folder = tmp_path_factory.mktemp(Path(request.param).stem)
    source = folder / "sample.md"
    source.write_text(SAMPLE_MD, encoding="utf-8")
    output = folder / "sample.docx"
    subprocess.run(
        [
            pypandoc.get_pandoc_path(),
            str(source),
            "-f",
            "markdown",
            "-o",
            str(output),
            f"--reference-doc={DOCX_TEMPLATES / request.param}",
        ],
        check=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1764288000"},
    )
    return output


def embedded_faces(archive: zipfile.ZipFile) -> dict[str, list[tuple[str, str, str]]]:
    """Font name -> (embed element, part name, font key) in document order."""
    rels = part(archive, "word/_rels/fontTable.xml.rels")
    targets = {}
    for rel in rels.findall("rel:Relationship", NS):
        assert rel.get("Type") == FONT_REL_TYPE
        assert rel.get("TargetMode") in (None, "Internal")
        targets[rel.get("Id")] = "word/" + rel.get("Target")
    faces: dict[str, list[tuple[str, str, str]]] = {}
    for font in part(archive, "word/fontTable.xml").findall("w:font", NS):
        for embed in font:
            local = etree.QName(embed).localname
            if local.startswith("embed"):
                faces.setdefault(font.get(f"{{{W}}}name"), []).append(
                    (local, targets[embed.get(f"{{{R}}}id")], embed.get(f"{{{W}}}fontKey"))
                )
    return faces


def test_reference_documents_are_up_to_date():
    """Regenerating gives the same bytes, fonts included, for A4 and Letter."""
    completed = subprocess.run(
        [sys.executable, str(MAKE_REFERENCE), "--check"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    for name in REFERENCES:
        assert f"{name} is up to date" in completed.stdout


def test_pandoc_output_carries_the_font_parts(pandoc_docx):
    with zipfile.ZipFile(pandoc_docx) as archive:
        names = archive.namelist()
        faces = embedded_faces(archive)
        types = part(archive, "[Content_Types].xml")
        settings = part(archive, "word/settings.xml")

    assert {f: [face[0] for face in found] for f, found in faces.items()} == {
        family: [element for element, _ in expected] for family, expected in EXPECTED_FACES.items()
    }, "embed elements per font-table entry, in schema order (CT_Font)"
    parts = [face[1] for found in faces.values() for face in found]
    assert len(set(parts)) == len(parts) == 7
    for name in parts:
        assert re.fullmatch(r"word/fonts/font\d+\.odttf", name)
        assert name in names
    keys = [face[2] for found in faces.values() for face in found]
    assert all(GUID.fullmatch(key) for key in keys), keys  # upper case: LibreOffice needs it
    assert len(set(keys)) == len(keys)

    odttf = [
        d.get("ContentType")
        for d in types.findall("ct:Default", NS)
        if d.get("Extension").lower() == "odttf"
    ]
    assert odttf == [OBFUSCATED_FONT]

    # Word keeps embedded fonts only with this setting; schema order puts it
    # after zoom and before embedSystemFonts (CT_Settings).
    children = [etree.QName(child).localname for child in settings]
    assert "embedTrueTypeFonts" in children
    position = children.index("embedTrueTypeFonts")
    assert children[position + 1] == "embedSystemFonts"
    assert set(children[:position]) <= {"view", "zoom", "writeProtection"}


def test_font_parts_deobfuscate_to_the_house_fonts(pandoc_docx):
    with zipfile.ZipFile(pandoc_docx) as archive:
        faces = embedded_faces(archive)
        for family, expected in EXPECTED_FACES.items():
            for (element, name, key), (_, file_name) in zip(faces[family], expected):
                data = archive.read(name)
                font = (FONTS_DIR / file_name).read_bytes()
                assert data[:32] != font[:32], f"{name} is not obfuscated"
                assert deobfuscate(data, key) == font, f"{family} {element}: {name} != {file_name}"


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
def test_libreoffice_renders_with_the_embedded_fonts(pandoc_docx, soffice, tmp_path):
    # With the fonts installed LibreOffice would use those, and this test
    # would prove nothing about the embedded ones.
    installed = installed_house_fonts(soffice)
    assert not installed, (
        "EB Garamond or Inter is installed where LibreOffice finds it; this test needs a "
        f"machine without them: {installed}"
    )
    # A fresh profile: no fonts cached from other runs.
    [pdf] = libreoffice_to_pdf([pandoc_docx], tmp_path, soffice)
    listing = subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    fonts = {}
    for line in listing.splitlines()[2:]:  # after the header and its rule
        columns = line.split()
        # name, type (one or two words), encoding, emb, sub, uni, object, generation
        fonts[columns[0].split("+", 1)[-1]] = columns[-5]
    assert set(fonts) == EXPECTED_PDF_FONTS, listing
    assert set(fonts.values()) == {"yes"}, listing
    assert "dejavu" not in listing.lower(), listing
