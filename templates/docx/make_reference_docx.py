#!/usr/bin/env python3
"""Regenerate templates/docx/reference.docx, the house style for pandoc's DOCX.

pandoc takes the styles (and page set-up, theme, font table, settings) of
its DOCX output from a reference document. This script starts from pandoc's
own default reference document and restyles Word's built-in styles after the
PDF (templates/css/brief.css), so that an editor opening a brief gets a clean
document in the house look with no direct formatting:

* body (Normal, Body Text, First Paragraph, Compact): EB Garamond 11 pt on
  a 15.4 pt line, the PDF's 1.4 line height as an exact spacing in points:
  a multiple ("auto" line rule) would multiply EB Garamond's own line
  height, 1.44 em, and give about 2.0; Body Text justified with automatic
  hyphenation (``w:autoHyphenation``), like the PDF;
* Title, Subtitle, Heading 1-9, TOC Heading: Inter, black, at the PDF's
  sizes; the accent colour #1F4E79 only for section numbers (the ``Section
  Number`` character style), links and the organisation and distribution
  label, as in the PDF;
* the title block's own paragraph styles (Organization in small capitals
  under the accent band,
  Question, Publication Facts, Distribution as a boxed label, Rights), the
  ``toc 1`` entries with a dotted right tab to the page number, and the
  header and footer (running head in small capitals, the distribution label
  in the ``Distribution Label`` character style) that pipeline/docx_finish.py
  writes; their right tab stops sit at the text width of the page size;
* Endnote Text (9 pt, hanging number) and Endnote Reference (not
  superscript: citation markers are bracketed numbers in the running text,
  ``[4, p. 12]``); the character style NoteRef (repeat citations, see
  pipeline/docx_endnotes.py) looks the same;
* a ``TableNormal`` ("Normal Table") style, which pandoc's ``Table`` style
  is based on but its reference document lacks, and rules above and below
  tables and under the header row (no vertical rules);
* A4 or Letter pages with the PDF's margins (a text column of about 70
  characters), the theme's fonts and accent colour;
* font-table entries for the two families and Word's "embed fonts in the
  file" and "embed only the characters used" settings. The fonts themselves
  are not in the reference document: pipeline/docx_finish.py embeds, per
  document, only the faces it uses, subset to its characters.

The output is byte-identical on every run for a given pandoc version (the
default reference document comes from the pandoc that pypandoc-binary
ships; the checked-in file was made with pandoc 3.9). Regenerate after
changing this script or upgrading pandoc, and commit the result, from the
repository root:

    .venv/bin/python templates/docx/make_reference_docx.py
    .venv/bin/python templates/docx/make_reference_docx.py --check   # exit 1 if stale
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pypandoc
from lxml import etree

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO_ROOT))

from pipeline.docx_endnotes import XML_DECLARATION, read_docx_parts, write_docx_zip  # noqa: E402

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OBFUSCATED_FONT_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.obfuscatedFont"

SERIF = "EB Garamond"
SANS = "Inter"
ACCENT = "1F4E79"
MUTED = "4A4A4A"  # the PDF's --muted: subtitle, facts, furniture; prints well in greyscale
BLACK = "000000"
RULE = "9DB3C8"  # the PDF's --rule: light rules (block quotes)
TINT = "EEF3F8"  # the PDF's --tint: the background of key findings and recommendations

# Sizes in half-points, lengths in twentieths of a point (twips), as OOXML wants.
MM = 56.6929  # twips per millimetre
BODY_SIZE = 22  # 11 pt
NOTE_SIZE = 18  # 9 pt
NOTE_INDENT = 397  # 7 mm: room for a hanging note number up to 999


def mm(value: float) -> int:
    return round(value * MM)


def line(points: float) -> int:
    """A line pitch in points as twips (the "exact" line rule)."""
    return round(points * 20)


BODY_LINE = line(11 * 1.4)  # the PDF's html { font-size: 11pt; line-height: 1.4 }
BODY_AFTER = line(11 * 0.55)  # p { margin-bottom: 0.55em }

# A4 (reference.docx) or Letter (reference-letter.docx) with the PDF's
# margins (templates/css/brief.css: 22 mm top, 20 mm bottom, wide sides): a
# text column of 106 mm, about 70 characters of EB Garamond 11 pt (house
# style: 65-75). The header and footer sit where the PDF's running head and
# footer do, and keep to the column.
PAGE_SIZES = {"A4": {"w": "11906", "h": "16838"}, "Letter": {"w": "12240", "h": "15840"}}
OUTPUTS = {"A4": "reference.docx", "Letter": "reference-letter.docx"}
SIDE_MARGINS = {"A4": mm(52), "Letter": mm(55)}


def page_margins(page: str) -> dict[str, str]:
    return {
        "top": str(mm(22)),
        "right": str(SIDE_MARGINS[page]),
        "bottom": str(mm(20)),
        "left": str(SIDE_MARGINS[page]),
        "header": str(mm(14)),
        "footer": str(mm(12)),
        "gutter": "0",
    }


def text_width(page: str) -> int:
    """The text column's width in twips: where the right tab stops of contents and furniture go."""
    return int(PAGE_SIZES[page]["w"]) - 2 * SIDE_MARGINS[page]


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


def italic(on: bool = True) -> str:
    return "<w:i/><w:iCs/>" if on else '<w:i w:val="0"/><w:iCs w:val="0"/>'


def color(rgb: str) -> str:
    return f'<w:color w:val="{rgb}"/>'


def tracking(twips: int) -> str:
    """Letter spacing (w:spacing in run properties)."""
    return f'<w:spacing w:val="{twips}"/>'


def spacing(before: int, after: int, pitch: int, rule: str = "exact") -> str:
    return f'<w:spacing w:before="{before}" w:after="{after}" w:line="{pitch}" w:lineRule="{rule}"/>'


def right_tab(position: int, leader: str | None = None) -> str:
    leader_attribute = f' w:leader="{leader}"' if leader else ""
    return f'<w:tabs><w:tab w:val="right"{leader_attribute} w:pos="{position}"/></w:tabs>'


NO_HYPHENS = "<w:suppressAutoHyphens/>"  # headings and furniture, like the PDF's hyphens: manual
LEFT = '<w:jc w:val="left"/>'

HEADINGS = {
    # level: (space before, space after, size, line pitch in pt, bold, italic); 1-3 as the PDF's main h1-h3
    1: (mm(7), mm(2.5), 27, 13.5 * 1.25, True, False),
    2: (mm(5), mm(2), 22, 11 * 1.3, True, False),
    3: (mm(4), mm(1.5), 20, 10 * 1.3, True, False),
    4: (mm(3.5), mm(1), 20, 10 * 1.3, False, True),
    5: (mm(3), mm(1), 19, 9.5 * 1.3, True, False),
    6: (mm(3), mm(1), 19, 9.5 * 1.3, False, True),
    7: (mm(2), 0, 19, 9.5 * 1.3, False, False),
    8: (mm(2), 0, 18, 9 * 1.3, False, True),
    9: (mm(2), 0, 18, 9 * 1.3, False, False),
}

# styleId -> (pPr children, rPr children), each replacing the style's own;
# children in the order the schema requires.
PARAGRAPH_LOOK: dict[str, tuple[str, str]] = {
    "Normal": ("<w:widowControl/>" + spacing(0, BODY_AFTER, BODY_LINE), fonts(SERIF) + size(BODY_SIZE)),
    "BodyText": (spacing(0, BODY_AFTER, BODY_LINE) + '<w:jc w:val="both"/>', ""),
    "Compact": (spacing(36, 36, BODY_LINE) + LEFT, ""),
    "Title": (
        "<w:keepNext/>" + NO_HYPHENS + spacing(0, mm(2.5), line(24 * 1.1)) + "<w:contextualSpacing/>",
        fonts(SANS) + bold() + color(BLACK) + tracking(-5) + size(48),
    ),
    "Subtitle": (
        "<w:keepNext/>" + NO_HYPHENS + spacing(0, mm(3), line(13 * 1.25)) + LEFT,
        fonts(SANS) + bold(False) + italic(False) + color(MUTED) + tracking(0) + size(26),
    ),
    # pandoc's by-line and date paragraphs (pipeline/docx_finish.py removes them: the
    # Publication Facts line of the title block names the date and the authors).
    "Author": (
        "<w:keepNext/><w:keepLines/>" + spacing(0, 0, line(8.5 * 1.4)),
        fonts(SANS) + bold(False) + color(MUTED) + tracking(0) + size(17),
    ),
    "Date": (
        "<w:keepNext/><w:keepLines/>" + spacing(0, mm(2), line(8.5 * 1.4)),
        fonts(SANS) + bold(False) + color(MUTED) + tracking(0) + size(17),
    ),
    "FootnoteText": (spacing(0, 40, line(8.5 * 1.3)) + LEFT, size(17)),
    "Caption": (spacing(mm(1.5), mm(3), line(8.5 * 1.35)), fonts(SANS) + italic(False) + color(MUTED) + size(17)),
    # Pictures set their own line height: an exact one would crop them.
    "Figure": (spacing(mm(4), mm(1.5), 240, "auto"), ""),
    # Block quotes as in the PDF: indented, with a rule on the left in the rule colour.
    "BlockText": (
        f'<w:pBdr><w:left w:val="single" w:sz="12" w:space="8" w:color="{RULE}"/></w:pBdr>'
        + spacing(mm(1), mm(2), BODY_LINE)
        + f'<w:ind w:left="{mm(6)}" w:right="{mm(6)}" w:firstLine="0"/>' + LEFT,
        "",
    ),
    "TOCHeading": (
        "<w:keepNext/><w:keepLines/>" + NO_HYPHENS + spacing(mm(8), mm(3), line(13.5 * 1.25))
        + '<w:outlineLvl w:val="9"/>',
        "",
    ),
    **{
        f"Heading{level}": (
            "<w:keepNext/><w:keepLines/>"
            + NO_HYPHENS
            + spacing(before, after, line(pitch))
            + LEFT
            + f'<w:outlineLvl w:val="{level - 1}"/>',
            fonts(SANS)
            + (bold() if is_bold else "")
            + (italic() if is_italic else "")
            + color(BLACK)
            + size(half_points),
        )
        for level, (before, after, half_points, pitch, is_bold, is_italic) in HEADINGS.items()
    },
}

# Linked character styles follow their paragraph style's run properties.
CHARACTER_LOOK = {
    "TitleChar": PARAGRAPH_LOOK["Title"][1],
    "SubtitleChar": PARAGRAPH_LOOK["Subtitle"][1],
    **{f"Heading{level}Char": PARAGRAPH_LOOK[f"Heading{level}"][1] for level in HEADINGS},
    "Hyperlink": color(ACCENT),
    "SectionNumber": color(ACCENT),  # the PDF's .secno
}


def new_styles(page: str) -> str:
    """Styles pandoc's reference document lacks; tab stops at the text width of ``page``."""
    width = text_width(page)
    return f"""
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
      {spacing(0, mm(1.4), line(9 * 1.35))}
      <w:ind w:left="{NOTE_INDENT}" w:hanging="{NOTE_INDENT}"/>
      {LEFT}
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
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Organization">
    <w:name w:val="Organization"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="Title"/>
    <w:qFormat/>
    <w:pPr>
      <w:keepNext/>
      <w:pBdr><w:top w:val="single" w:sz="40" w:space="17" w:color="{ACCENT}"/></w:pBdr>
      {NO_HYPHENS}{spacing(0, mm(3), line(8.5 * 1.2))}{LEFT}
    </w:pPr>
    <w:rPr>{fonts(SANS)}{bold()}<w:smallCaps/>{color(ACCENT)}{tracking(14)}{size(17)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Question">
    <w:name w:val="Question"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr><w:keepNext/>{NO_HYPHENS}{spacing(0, mm(3), line(12.5 * 1.35))}{LEFT}</w:pPr>
    <w:rPr>{italic()}{size(25)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="PublicationFacts">
    <w:name w:val="Publication Facts"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr><w:keepNext/>{NO_HYPHENS}{spacing(0, mm(2), line(8.5 * 1.4))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}{color(MUTED)}{size(17)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Distribution">
    <w:name w:val="Distribution"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr>{NO_HYPHENS}{spacing(mm(1), mm(2), 240, "auto")}{LEFT}</w:pPr>
    <w:rPr>
      {fonts(SANS)}{bold()}<w:caps/>{color(ACCENT)}{tracking(12)}{size(15)}
      <w:bdr w:val="single" w:sz="6" w:space="2" w:color="{ACCENT}"/>
    </w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Rights">
    <w:name w:val="Rights"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="BodyText"/>
    <w:qFormat/>
    <w:pPr>{NO_HYPHENS}{spacing(mm(1), 0, line(7.5 * 1.35))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}{color(MUTED)}{size(15)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="ClosingLine">
    <w:name w:val="Closing Line"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>{spacing(240, 0, line(9 * 1.4))}{LEFT}</w:pPr>
    <w:rPr>{italic()}{color(MUTED)}{size(NOTE_SIZE)}</w:rPr>
  </w:style>
  <w:style w:type="character" w:customStyle="1" w:styleId="NoteRef">
    <w:name w:val="NoteRef"/>
    <w:basedOn w:val="EndnoteReference"/>
    <w:uiPriority w:val="99"/>
    <w:qFormat/>
  </w:style>
  <w:style w:type="paragraph" w:styleId="TOC1">
    <w:name w:val="toc 1"/>
    <w:basedOn w:val="Normal"/>
    <w:next w:val="Normal"/>
    <w:uiPriority w:val="39"/>
    <w:unhideWhenUsed/>
    <w:pPr>{right_tab(width, "dot")}{NO_HYPHENS}{spacing(0, 0, line(9.5 * 1.6))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}{size(19)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:styleId="Header">
    <w:name w:val="header"/>
    <w:basedOn w:val="Normal"/>
    <w:uiPriority w:val="99"/>
    <w:unhideWhenUsed/>
    <w:pPr>{right_tab(width)}{NO_HYPHENS}{spacing(0, 0, line(7.5 * 1.2))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}<w:smallCaps/>{color(MUTED)}{tracking(6)}{size(15)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:styleId="Footer">
    <w:name w:val="footer"/>
    <w:basedOn w:val="Normal"/>
    <w:uiPriority w:val="99"/>
    <w:unhideWhenUsed/>
    <w:pPr>{right_tab(width)}{NO_HYPHENS}{spacing(0, 0, line(7.5 * 1.2))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}{color(MUTED)}{size(15)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="KeyFindings">
    <w:name w:val="Key Findings"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>
      <w:pBdr><w:left w:val="single" w:sz="20" w:space="8" w:color="{ACCENT}"/></w:pBdr>
      <w:shd w:val="clear" w:color="auto" w:fill="{TINT}"/>
      {spacing(0, mm(1.4), line(11 * 1.4))}<w:ind w:left="{mm(4)}" w:right="{mm(3)}"/>{LEFT}
    </w:pPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="KeyFindingsTitle">
    <w:name w:val="Key Findings Title"/>
    <w:basedOn w:val="KeyFindings"/>
    <w:next w:val="KeyFindings"/>
    <w:qFormat/>
    <w:pPr><w:keepNext/>{NO_HYPHENS}{spacing(mm(4), mm(1.5), line(9 * 1.3))}</w:pPr>
    <w:rPr>{fonts(SANS)}{bold()}<w:smallCaps/>{color(ACCENT)}{tracking(10)}{size(18)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Recommendations">
    <w:name w:val="Recommendations"/>
    <w:basedOn w:val="KeyFindings"/>
    <w:qFormat/>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="RecommendationsTitle">
    <w:name w:val="Recommendations Title"/>
    <w:basedOn w:val="KeyFindingsTitle"/>
    <w:next w:val="Recommendations"/>
    <w:qFormat/>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Box">
    <w:name w:val="Box"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>
      <w:pBdr>
        <w:left w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
        <w:bottom w:val="single" w:sz="6" w:space="4" w:color="{RULE}"/>
        <w:right w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
      </w:pBdr>
      {spacing(0, mm(1.4), line(10 * 1.38))}<w:ind w:left="{mm(3)}" w:right="{mm(3)}"/>{LEFT}
    </w:pPr>
    <w:rPr>{size(20)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="BoxTitle">
    <w:name w:val="Box Title"/>
    <w:basedOn w:val="Box"/>
    <w:next w:val="Box"/>
    <w:qFormat/>
    <w:pPr>
      <w:keepNext/>
      <w:pBdr>
        <w:top w:val="single" w:sz="20" w:space="6" w:color="{ACCENT}"/>
        <w:left w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
        <w:bottom w:val="single" w:sz="6" w:space="4" w:color="{RULE}"/>
        <w:right w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
      </w:pBdr>
      {NO_HYPHENS}{spacing(mm(4), mm(1.5), line(9.5 * 1.3))}
    </w:pPr>
    <w:rPr>{fonts(SANS)}{bold()}{size(19)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="Source">
    <w:name w:val="Source"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>{NO_HYPHENS}{spacing(0, mm(4), line(7.5 * 1.35))}{LEFT}</w:pPr>
    <w:rPr>{fonts(SANS)}{color(MUTED)}{size(15)}</w:rPr>
  </w:style>
  <w:style w:type="paragraph" w:customStyle="1" w:styleId="SuggestedCitation">
    <w:name w:val="Suggested Citation"/>
    <w:basedOn w:val="Normal"/>
    <w:qFormat/>
    <w:pPr>
      <w:pBdr>
        <w:top w:val="single" w:sz="6" w:space="4" w:color="{RULE}"/>
        <w:left w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
        <w:bottom w:val="single" w:sz="6" w:space="4" w:color="{RULE}"/>
        <w:right w:val="single" w:sz="6" w:space="8" w:color="{RULE}"/>
      </w:pBdr>
      {spacing(mm(2), mm(4), line(10 * 1.4))}<w:ind w:left="{mm(3)}" w:right="{mm(3)}"/>{LEFT}
    </w:pPr>
    <w:rPr>{size(20)}</w:rPr>
  </w:style>
  <w:style w:type="character" w:customStyle="1" w:styleId="DistributionLabel">
    <w:name w:val="Distribution Label"/>
    <w:basedOn w:val="DefaultParagraphFont"/>
    <w:uiPriority w:val="99"/>
    <w:qFormat/>
    <w:rPr>{bold()}{color(ACCENT)}</w:rPr>
  </w:style>
</w:styles>
"""


# Table rules as the house style wants them: above and below the table and
# under the header row, no vertical rules (pandoc's Table style).
TABLE_BORDERS = f"""
<w:tblBorders xmlns:w="{W_NS}">
  <w:top w:val="single" w:sz="8" w:space="0" w:color="{BLACK}"/>
  <w:bottom w:val="single" w:sz="8" w:space="0" w:color="{BLACK}"/>
</w:tblBorders>
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

# Settings, by the CT_Settings element each must follow in schema order
# (the first of the listed ones present), else inserted at the top.
SETTINGS = (
    # Word embeds and keeps fonts only with this setting ("Embed fonts in the
    # file"); LibreOffice turns it into its own "embed fonts" option.
    ("embedTrueTypeFonts", ("printFormsData", "printFractionalCharacterWidth", "printPostScriptOverText",
                            "displayBackgroundShape", "doNotDisplayPageBoundaries", "removeDateAndTime",
                            "removePersonalInformation", "zoom", "view", "writeProtection")),
    # "Embed only the characters used in the document": Word keeps the
    # documents small when an editor saves them, like the pipeline does.
    ("saveSubsetFonts", ("embedTrueTypeFonts",)),
    # Hyphenation by language, for the justified body text (the PDF's hyphens: auto).
    ("autoHyphenation", ("defaultTabStop",)),
)
# Settings of pandoc's reference document that do not belong in the house one:
# embedding "common system fonts" as well would put Times New Roman and the like
# into a document an editor saves.
DROPPED_SETTINGS = ("embedSystemFonts",)


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


def restyle(styles_xml: bytes, page: str) -> bytes:
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
        if style_id != "TOCHeading":  # TOC Heading is based on Heading 1: it inherits the look
            replace_props(by_id[style_id], "rPr", run)
    replace_props(by_id["TOCHeading"], "rPr", "")
    for style_id, run in CHARACTER_LOOK.items():
        replace_props(by_id[style_id], "rPr", run)

    # pandoc's Table style is based on the missing TableNormal: add Word's
    # "Normal Table" as the default table style (only one may be default).
    table = by_id["Table"]
    del table.attrib[w("default")]
    table_props = table.find(w("tblPr"))
    table_props.find(w("tblInd")).addnext(parse(TABLE_BORDERS.encode()))  # CT_TblPr: tblInd, tblBorders
    header_row = table.find(w("tblStylePr"))  # pandoc's firstRow: a rule under it; the header in bold
    header_row.find(w("tcPr")).addprevious(parse(f'<w:rPr xmlns:w="{W_NS}"><w:b/><w:bCs/></w:rPr>'.encode()))
    header_row.find(f"{w('tcPr')}/{w('tcBorders')}/{w('bottom')}").attrib.update(
        {w("sz"): "6", w("space"): "0", w("color"): BLACK})
    for new_style in parse(new_styles(page).encode()):
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
    """Font-table entries: pipeline/docx_finish.py embeds the used faces under them, and Word
    substitutes a similar family (roman or swiss) when a face is neither embedded nor installed."""
    root = parse(font_table_xml)
    for position, font in enumerate(parse(NEW_FONTS.encode())):
        root.insert(position, font)
    return serialize(root)


def configure(settings_xml: bytes) -> bytes:
    """Font embedding and hyphenation settings, in schema order."""
    root = parse(settings_xml)
    for name in DROPPED_SETTINGS:
        for old in root.findall(w(name)):
            root.remove(old)
    for name, after in SETTINGS:
        if root.find(w(name)) is not None:
            continue
        element = etree.Element(w(name))
        anchor = next((found for previous in after if (found := root.find(w(previous))) is not None), None)
        if anchor is not None:
            anchor.addnext(element)
        else:
            root.insert(0, element)
    return serialize(root)


def declare_font_parts(content_types_xml: bytes) -> bytes:
    """The .odttf content type, so that the font parts the pipeline adds need no further declaration.

    (pandoc writes its own content types, which already cover .odttf.)
    """
    types = parse(content_types_xml)
    extensions = {d.get("Extension") for d in types.findall(f"{{{CONTENT_TYPES_NS}}}Default")}
    if "odttf" not in extensions:
        default = etree.Element(
            f"{{{CONTENT_TYPES_NS}}}Default",
            {"Extension": "odttf", "ContentType": OBFUSCATED_FONT_CONTENT_TYPE},
        )
        types.findall(f"{{{CONTENT_TYPES_NS}}}Default")[-1].addnext(default)
    return serialize(types, indent=False)


def set_page(document_xml: bytes, page: str = "A4") -> bytes:
    """Page size and margins in the reference's section properties (pandoc copies them)."""
    # No blank-text removal: the sample text has xml:space="preserve" runs.
    root = etree.fromstring(document_xml)
    section = root.find(f"{w('body')}/{w('sectPr')}")
    for old in section.findall(w("pgSz")) + section.findall(w("pgMar")):
        section.remove(old)
    page_size = etree.Element(w("pgSz"), {w(k): v for k, v in PAGE_SIZES[page].items()})
    margins = etree.Element(w("pgMar"), {w(k): v for k, v in page_margins(page).items()})
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
    parts["word/styles.xml"] = restyle(parts["word/styles.xml"], page)
    parts["word/theme/theme1.xml"] = retheme(parts["word/theme/theme1.xml"])
    parts["word/fontTable.xml"] = add_fonts(parts["word/fontTable.xml"])
    parts["word/settings.xml"] = configure(parts["word/settings.xml"])
    parts["[Content_Types].xml"] = declare_font_parts(parts["[Content_Types].xml"])
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
