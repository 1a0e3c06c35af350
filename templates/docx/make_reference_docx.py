#!/usr/bin/env python3
"""Regenerate templates/docx/reference.docx, the house style for pandoc's DOCX.

pandoc takes the styles (and page set-up, theme, font table) of its DOCX
output from a reference document. This script starts from pandoc's own
default reference document and restyles Word's built-in styles, so that an
editor opening a brief gets a clean document in the house look with no
direct formatting:

* body (Normal, Body Text, First Paragraph, Compact): EB Garamond 11 pt,
  line spacing 1.4;
* Title, Subtitle, Heading 1-9, TOC Heading: Inter; Title and headings in
  the accent colour #1F4E79;
* Endnote Text (9 pt, hanging number) and Endnote Reference (not
  superscript: citation markers are bracketed numbers in the running text,
  ``[4, p. 12]``); the character style NoteRef (repeat citations, see
  pipeline/docx_endnotes.py) looks the same;
* Hyperlink in the accent colour;
* a ``TableNormal`` ("Normal Table") style, which pandoc's ``Table`` style
  is based on but its reference document lacks;
* A4 pages, the theme's fonts and accent colour, font-table entries for the
  two families;
* the house fonts embedded (Word's "Embed fonts in the file"), so that an
  editor without EB Garamond and Inter installed still sees them: the faces
  of templates/fonts as obfuscated font parts ``word/fonts/fontN.odttf``
  (ECMA-376 Part 1, 17.8.1), referenced from the font table, and
  ``w:embedTrueTypeFonts`` in the settings. pandoc copies these parts into
  every DOCX it makes with the reference document. Word reads them, and so
  does LibreOffice (tests/test_reference_docx.py renders a DOCX with them).

The output is byte-identical on every run for a given pandoc version (the
default reference document comes from the pandoc that pypandoc-binary
ships; the checked-in file was made with pandoc 3.9) and the same font
files (the obfuscation keys are fixed, derived from the file names).
Regenerate after changing this script, the fonts in templates/fonts or
upgrading pandoc, and commit the result, from the repository root:

    .venv/bin/python templates/docx/make_reference_docx.py
    .venv/bin/python templates/docx/make_reference_docx.py --check   # exit 1 if stale
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pypandoc
from lxml import etree

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
FONTS_DIR = REPO_ROOT / "templates" / "fonts"
if str(REPO_ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO_ROOT))

from pipeline.docx_endnotes import XML_DECLARATION, read_docx_parts, write_docx_zip  # noqa: E402


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
FONT_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
OBFUSCATED_FONT_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.obfuscatedFont"

SERIF = "EB Garamond"
SANS = "Inter"
ACCENT = "1F4E79"
SUBDUED = "404040"  # subtitle and by-line: dark grey, prints well in greyscale

# Sizes in half-points, spacing in twentieths of a point, as OOXML wants.
BODY_SIZE = 22  # 11 pt
NOTE_SIZE = 18  # 9 pt
BODY_LINE = 336  # 1.4 x 240 ("auto" line rule: 240 = single)
HEADING_LINE = 264  # 1.1
NOTE_LINE = 276  # 1.15
NOTE_INDENT = 397  # 7 mm: room for a hanging note number up to 999

# A4 (reference.docx) or Letter (reference-letter.docx), with 25 mm top/bottom
# and 30 mm side margins (about 75 characters a line).
PAGE_SIZES = {"A4": {"w": "11906", "h": "16838"}, "Letter": {"w": "12240", "h": "15840"}}
OUTPUTS = {"A4": "reference.docx", "Letter": "reference-letter.docx"}
PAGE_MARGINS = {
    "top": "1417",
    "right": "1701",
    "bottom": "1417",
    "left": "1701",
    "header": "709",
    "footer": "709",
    "gutter": "0",
}


def w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def fonts(family: str) -> str:
    # Explicit names, no theme attributes: those would win over the names.
    return (
        f'<w:rFonts w:ascii="{family}" w:hAnsi="{family}" w:cs="{family}"'
        ' w:eastAsiaTheme="minorEastAsia"/>'
    )


def size(half_points: int) -> str:
    return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'


def bold(on: bool = True) -> str:
    return "<w:b/><w:bCs/>" if on else '<w:b w:val="0"/><w:bCs w:val="0"/>'


def color(rgb: str) -> str:
    return f'<w:color w:val="{rgb}"/>'


def spacing(before: int, after: int, line: int) -> str:
    return f'<w:spacing w:before="{before}" w:after="{after}" w:line="{line}" w:lineRule="auto"/>'


HEADINGS = {
    # level: (space before, space after, size, bold, italic)
    1: (360, 120, 32, True, False),
    2: (280, 80, 26, True, False),
    3: (220, 60, 22, True, False),
    4: (200, 40, 22, False, True),
    5: (160, 40, 20, True, False),
    6: (160, 40, 20, False, True),
    7: (120, 0, 20, False, False),
    8: (120, 0, 18, False, True),
    9: (120, 0, 18, False, False),
}

# styleId -> (pPr children, rPr children), each replacing the style's own;
# children in the order the schema requires.
PARAGRAPH_LOOK: dict[str, tuple[str, str]] = {
    "Normal": ("<w:widowControl/>" + spacing(0, 120, BODY_LINE), fonts(SERIF) + size(BODY_SIZE)),
    "BodyText": (spacing(0, 140, BODY_LINE), ""),
    "Compact": (spacing(36, 36, BODY_LINE), ""),
    "Title": (
        "<w:keepNext/>" + spacing(0, 160, HEADING_LINE) + "<w:contextualSpacing/>",
        fonts(SANS) + bold() + color(ACCENT) + '<w:spacing w:val="-6"/>' + size(52),
    ),
    "Subtitle": (
        "<w:keepNext/>" + spacing(0, 160, HEADING_LINE),
        fonts(SANS) + bold(False) + color(SUBDUED) + '<w:spacing w:val="0"/>' + size(30),
    ),
    "Author": (
        "<w:keepNext/><w:keepLines/>" + spacing(0, 0, HEADING_LINE),
        bold(False) + color(SUBDUED) + '<w:spacing w:val="0"/>' + size(BODY_SIZE),
    ),
    "Date": (
        "<w:keepNext/><w:keepLines/>" + spacing(0, 240, HEADING_LINE),
        bold(False) + color(SUBDUED) + '<w:spacing w:val="0"/>' + size(BODY_SIZE),
    ),
    "FootnoteText": (spacing(0, 60, NOTE_LINE), size(NOTE_SIZE)),
    **{
        f"Heading{level}": (
            "<w:keepNext/><w:keepLines/>"
            + spacing(before, after, HEADING_LINE)
            + f'<w:outlineLvl w:val="{level - 1}"/>',
            fonts(SANS)
            + (bold() if is_bold else "")
            + ("<w:i/><w:iCs/>" if is_italic else "")
            + color(ACCENT)
            + size(half_points),
        )
        for level, (before, after, half_points, is_bold, is_italic) in HEADINGS.items()
    },
}

# Linked character styles follow their paragraph style's run properties.
CHARACTER_LOOK = {
    "TitleChar": PARAGRAPH_LOOK["Title"][1],
    "SubtitleChar": PARAGRAPH_LOOK["Subtitle"][1],
    **{f"Heading{level}Char": PARAGRAPH_LOOK[f"Heading{level}"][1] for level in HEADINGS},
    "Hyperlink": color(ACCENT),
}

NEW_STYLES = f"""
<w:styles xmlns:w="{W_NS}">
  <w:style w:type="table" w:default="1" w:styleId="TableNormal">
    <w:name w:val="Normal Table"/>
    <w:uiPriority w:val="99"/>
    <w:semiHidden/>
    <w:unhideWhenUsed/>
    <w:tblPr>
      <w:tblInd w:w="0" w:type="dxa"/>
      <w:tblCellMar>
        <w:top w:w="0" w:type="dxa"/>
        <w:left w:w="108" w:type="dxa"/>
        <w:bottom w:w="0" w:type="dxa"/>
        <w:right w:w="108" w:type="dxa"/>
      </w:tblCellMar>
    </w:tblPr>
  </w:style>
  <w:style w:type="paragraph" w:styleId="EndnoteText">
    <w:name w:val="endnote text"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="EndnoteText"/>
    <w:uiPriority w:val="99"/>
    <w:unhideWhenUsed/>
    <w:qFormat/>
    <w:pPr>
      <w:tabs><w:tab w:val="left" w:pos="{NOTE_INDENT}"/></w:tabs>
      {spacing(0, 80, NOTE_LINE)}
      <w:ind w:left="{NOTE_INDENT}" w:hanging="{NOTE_INDENT}"/>
    </w:pPr>
    <w:rPr>{size(NOTE_SIZE)}</w:rPr>
  </w:style>
  <w:style w:type="character" w:styleId="EndnoteReference">
    <w:name w:val="endnote reference"/>
    <w:basedOn w:val="DefaultParagraphFont"/>
    <w:uiPriority w:val="99"/>
    <w:unhideWhenUsed/>
    <w:rPr><w:vertAlign w:val="baseline"/></w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Question">
    <w:name w:val="Question"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr>{spacing(120, 160, BODY_LINE)}</w:pPr>
    <w:rPr><w:i/><w:iCs/>{size(25)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="PublicationFacts">
    <w:name w:val="Publication Facts"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr>{spacing(0, 120, NOTE_LINE)}</w:pPr>
    <w:rPr>{fonts(SANS)}{color(SUBDUED)}{size(17)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="ClosingLine">
    <w:name w:val="Closing Line"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>{spacing(240, 0, NOTE_LINE)}</w:pPr>
    <w:rPr><w:i/><w:iCs/>{color(SUBDUED)}{size(NOTE_SIZE)}</w:rPr>
  </w:style>
  <w:style w:type="character" w:customStyle="1" w:styleId="NoteRef">
    <w:name w:val="NoteRef"/>
    <w:basedOn w:val="EndnoteReference"/>
    <w:uiPriority w:val="99"/>
    <w:qFormat/>
  </w:style>
</w:styles>
"""

# Children of w:sectPr that precede w:pgSz (CT_SectPr).
SECTPR_BEFORE_PAGE_SIZE = {"headerReference", "footerReference", "footnotePr", "endnotePr", "type"}

# Children of w:style that precede w:pPr / w:rPr (CT_Style).
STYLE_HEAD = {
    "name",
    "aliases",
    "basedOn",
    "next",
    "link",
    "autoRedefine",
    "hidden",
    "uiPriority",
    "semiHidden",
    "unhideWhenUsed",
    "qFormat",
    "locked",
    "personal",
    "personalCompose",
    "personalReply",
    "rsid",
}

NEW_FONTS = f"""
<w:fonts xmlns:w="{W_NS}">
  <w:font w:name="{SERIF}">
    <w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/>
  </w:font>
  <w:font w:name="{SANS}">
    <w:charset w:val="00"/><w:family w:val="swiss"/><w:pitch w:val="variable"/>
  </w:font>
</w:fonts>
"""


# The faces embedded for each family, as (font-table entry, w:embed* element,
# file in templates/fonts), in the order of CT_Font's embed children. Word
# picks the embedded face by the run's bold/italic, so "bold" has to be the
# face a bold run should get:
# * EB Garamond has no 700 face; SemiBold (600) is what the PDF and EPUB use
#   for bold (CSS ``font-weight: 600``), and what LibreOffice picks for a
#   bold run. Its legacy family name (name ID 1) is "EB Garamond SemiBold",
#   though, not "EB Garamond": software that goes by that name rather than
#   the typographic family (ID 16) may fake bold from the regular face
#   instead. LibreOffice does so when it saves the DOCX again (it drops the
#   two SemiBold faces from the font table).
# * Inter's bold is Bold (700), not SemiBold: Bold is the face that Word and
#   LibreOffice give a bold Inter run (the headings, the title) on a
#   machine with the house fonts installed, and it is named as the bold
#   member of the "Inter" family (name ID 1 "Inter", subfamily "Bold"),
#   whereas SemiBold declares its own legacy family "Inter SemiBold". So the
#   DOCX looks the same with or without the fonts installed.
# * No Inter bold italic exists in templates/fonts (no style asks for it).
EMBEDDED_FONTS = (
    (SERIF, "embedRegular", "EBGaramond-Regular.ttf"),
    (SERIF, "embedBold", "EBGaramond-SemiBold.ttf"),
    (SERIF, "embedItalic", "EBGaramond-Italic.ttf"),
    (SERIF, "embedBoldItalic", "EBGaramond-SemiBoldItalic.ttf"),
    (SANS, "embedRegular", "Inter-Regular.ttf"),
    (SANS, "embedBold", "Inter-Bold.ttf"),
    (SANS, "embedItalic", "Inter-Italic.ttf"),
)

# Children of w:settings that precede w:embedTrueTypeFonts (CT_Settings).
SETTINGS_BEFORE_EMBED_FONTS = {
    "writeProtection",
    "view",
    "zoom",
    "removePersonalInformation",
    "removeDateAndTime",
    "doNotDisplayPageBoundaries",
    "displayBackgroundShape",
    "printPostScriptOverText",
    "printFractionalCharacterWidth",
    "printFormsData",
}


def default_reference_docx() -> bytes:
    """pandoc's built-in reference.docx, from the pandoc pypandoc ships."""
    return subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", "reference.docx"],
        check=True,
        capture_output=True,
    ).stdout


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=True))


def fragment(xml: str) -> list[etree._Element]:
    """Elements of a w: namespaced fragment."""
    return list(parse(f'<w:x xmlns:w="{W_NS}">{xml}</w:x>'.encode()))


def serialize(root: etree._Element, indent: bool = True) -> bytes:
    if indent:  # reviewable diffs when the look changes
        etree.indent(root, space="  ")
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def replace_props(style: etree._Element, tag: str, children: str) -> None:
    """Replace a style's w:pPr or w:rPr by one holding ``children``."""
    old = style.find(w(tag))
    if old is not None:
        style.remove(old)
    if not children:
        return
    props = etree.Element(w(tag))
    props.extend(fragment(children))
    head = [child for child in style if etree.QName(child).localname in STYLE_HEAD]
    anchor = style.find(w("pPr")) if tag == "rPr" else None
    if anchor is None:
        anchor = head[-1]
    anchor.addnext(props)


def restyle(styles_xml: bytes) -> bytes:
    root = parse(styles_xml)
    by_id = {style.get(w("styleId")): style for style in root.findall(w("style"))}

    # Defaults for everything, including styles not listed here.
    run_defaults = root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    for name in ("rFonts", "sz", "szCs"):
        for old in run_defaults.findall(w(name)):
            run_defaults.remove(old)
    for position, element in enumerate(fragment(fonts(SERIF) + size(BODY_SIZE))):
        run_defaults.insert(position, element)

    for style_id, (paragraph, run) in PARAGRAPH_LOOK.items():
        replace_props(by_id[style_id], "pPr", paragraph)
        replace_props(by_id[style_id], "rPr", run)
    for style_id, run in CHARACTER_LOOK.items():
        replace_props(by_id[style_id], "rPr", run)
    # TOC Heading is based on Heading 1: let it inherit the look.
    replace_props(by_id["TOCHeading"], "rPr", "")

    # pandoc's Table style is based on the missing TableNormal: add Word's
    # "Normal Table" as the default table style (only one may be default).
    del by_id["Table"].attrib[w("default")]
    for new_style in parse(NEW_STYLES.encode()):
        if new_style.get(w("styleId")) in by_id:
            raise SystemExit(
                f"pandoc's reference.docx now defines {new_style.get(w('styleId'))}: revisit"
            )
        root.append(new_style)
    return serialize(root)


def retheme(theme_xml: bytes) -> bytes:
    """Theme fonts and accent colour, so Word's pickers offer the house look."""
    root = parse(theme_xml)
    ns = {"a": A_NS}
    for font_set, family in (("majorFont", SANS), ("minorFont", SERIF)):
        latin = root.find(f".//a:{font_set}/a:latin", ns)
        latin.attrib.clear()
        latin.set("typeface", family)
    for slot in ("accent1", "hlink"):
        root.find(f".//a:{slot}/a:srgbClr", ns).set("val", ACCENT)
    return serialize(root)


def add_fonts(font_table_xml: bytes) -> bytes:
    """Font-table entries let Word substitute a similar family if one is missing."""
    root = parse(font_table_xml)
    for position, font in enumerate(parse(NEW_FONTS.encode())):
        root.insert(position, font)
    return serialize(root)


def font_key(file_name: str) -> str:
    """The w:fontKey GUID of a font file: fixed, so the output is reproducible.

    The key is stored next to the part it unlocks, so a random one would
    protect nothing and only make every run differ. Upper case, as Word
    writes it: LibreOffice reads the hex digits as upper case only.
    """
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"templates/fonts/{file_name}")).upper() + "}"


def obfuscate(font: bytes, key: str) -> bytes:
    """ECMA-376 Part 1, 17.8.1 font obfuscation (its own inverse).

    The 16-byte key is the GUID's 32 hex digits read as bytes in the order
    they are written, last byte first; it is XORed over the font's first 32
    bytes (bytes 0-15 and again 16-31), the rest is unchanged. This is the
    order LibreOffice's DOCX import (writerfilter, EmbeddedFontHandler)
    undoes.
    """
    digits = key.strip("{}").replace("-", "")
    reversed_key = bytes.fromhex(digits)[::-1]
    head = bytes(byte ^ reversed_key[index % 16] for index, byte in enumerate(font[:32]))
    return head + font[32:]


def embed_fonts(parts: dict[str, bytes]) -> None:
    """Obfuscated font parts, their relationships and font-table references."""
    font_table = parse(parts["word/fontTable.xml"])
    entries = {font.get(w("name")): font for font in font_table.findall(w("font"))}
    rels = etree.Element(f"{{{PACKAGE_RELS_NS}}}Relationships", nsmap={None: PACKAGE_RELS_NS})
    for number, (family, element, file_name) in enumerate(EMBEDDED_FONTS, start=1):
        key = font_key(file_name)
        rel_id = f"rId{number}"
        target = f"fonts/font{number}.odttf"
        parts[f"word/{target}"] = obfuscate((FONTS_DIR / file_name).read_bytes(), key)
        etree.SubElement(
            rels,
            f"{{{PACKAGE_RELS_NS}}}Relationship",
            {"Id": rel_id, "Type": FONT_REL_TYPE, "Target": target},
        )
        # The embed* elements close CT_Font, in the order of EMBEDDED_FONTS.
        entries[family].append(
            etree.Element(w(element), {f"{{{R_NS}}}id": rel_id, w("fontKey"): key})
        )
    parts["word/fontTable.xml"] = serialize(font_table)
    parts["word/_rels/fontTable.xml.rels"] = serialize(rels)

    # A package on its own: Word opens the reference document too. (pandoc
    # writes its own content types, which already cover .odttf.)
    types = parse(parts["[Content_Types].xml"])
    extensions = {d.get("Extension") for d in types.findall(f"{{{CONTENT_TYPES_NS}}}Default")}
    if "odttf" not in extensions:
        default = etree.Element(
            f"{{{CONTENT_TYPES_NS}}}Default",
            {"Extension": "odttf", "ContentType": OBFUSCATED_FONT_CONTENT_TYPE},
        )
        types.findall(f"{{{CONTENT_TYPES_NS}}}Default")[-1].addnext(default)
    parts["[Content_Types].xml"] = serialize(types, indent=False)

    # Word embeds and keeps fonts only with this setting ("Embed fonts in the
    # file"); LibreOffice turns it into its own "embed fonts" option, so it
    # keeps them when it saves the document again.
    settings = parse(parts["word/settings.xml"])
    if settings.find(w("embedTrueTypeFonts")) is None:
        flag = etree.Element(w("embedTrueTypeFonts"))
        before = [c for c in settings if etree.QName(c).localname in SETTINGS_BEFORE_EMBED_FONTS]
        if before:
            before[-1].addnext(flag)
        else:
            settings.insert(0, flag)
    parts["word/settings.xml"] = serialize(settings)


def set_page(document_xml: bytes, page: str = "A4") -> bytes:
    """Page size and margins in the reference's section properties (pandoc copies them)."""
    # No blank-text removal: the sample text has xml:space="preserve" runs.
    root = etree.fromstring(document_xml)
    section = root.find(f"{w('body')}/{w('sectPr')}")
    for old in section.findall(w("pgSz")) + section.findall(w("pgMar")):
        section.remove(old)
    page_size = etree.Element(w("pgSz"), {w(k): v for k, v in PAGE_SIZES[page].items()})
    margins = etree.Element(w("pgMar"), {w(k): v for k, v in PAGE_MARGINS.items()})
    # Schema order: header/footer references, footnotePr, endnotePr, type, pgSz, pgMar ...
    before = [c for c in section if etree.QName(c).localname in SECTPR_BEFORE_PAGE_SIZE]
    if before:
        before[-1].addnext(page_size)
    else:
        section.insert(0, page_size)
    page_size.addnext(margins)
    return serialize(root, indent=False)


def build(page: str = "A4") -> dict[str, bytes]:
    """The parts of the house reference document for ``page`` size."""
    parts = read_docx_parts(io.BytesIO(default_reference_docx()))
    parts["word/styles.xml"] = restyle(parts["word/styles.xml"])
    parts["word/theme/theme1.xml"] = retheme(parts["word/theme/theme1.xml"])
    parts["word/fontTable.xml"] = add_fonts(parts["word/fontTable.xml"])
    embed_fonts(parts)
    parts["word/document.xml"] = set_page(parts["word/document.xml"], page)
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check that the files are up to date"
    )
    parser.add_argument("--output-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)

    stale = 0
    for page, name in OUTPUTS.items():
        output = args.output_dir / name
        parts = build(page)
        if args.check:
            with tempfile.TemporaryDirectory() as scratch:
                fresh = Path(scratch) / name
                write_docx_zip(fresh, parts)
                if not output.exists() or fresh.read_bytes() != output.read_bytes():
                    print(f"{output} is stale: run {Path(__file__).name}", file=sys.stderr)
                    stale = 1
                else:
                    print(f"{output} is up to date")
            continue
        write_docx_zip(output, parts)
        print(f"wrote {output}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
