"""Finish a pandoc DOCX as a publication: page furniture, contents field, Notes, properties, fonts.

pandoc's DOCX carries the styles of the house reference document
(templates/docx/make_reference_docx.py) but not what makes it the same
publication as the PDF. After the notes are converted
(:mod:`pipeline.docx_endnotes`), this module rewrites the package from the
typed document (:class:`pipeline.model.Document`), with styles only (no
direct formatting):

* **title block**: the organisation (written by the composer after the
  title) moves above the title as in the PDF; pandoc's own Author and Date
  paragraphs go, because the composer's publication-facts line already
  names the date, the version and the authors with their affiliations;
* **section numbers** of the headings in the ``Section Number`` character
  style (the accent colour, like the PDF's ``.secno``);
* **Notes**: a ``Heading 1`` with the brief's label at the end of the body
  when the document has endnotes (Word sets them right after it), and each
  note's number on the line of its text (:func:`join_note_marks`);
* **contents**: the composer's ``toc 1`` entries become the cached result
  of a real ``TOC \\o "1-1" \\h \\z \\u`` field: each entry a hyperlink to a
  bookmark in its heading, with a ``PAGEREF`` field for the page number.
  Word and LibreOffice show the cached result as it is until the field is
  updated (LibreOffice imports it as a contents index), so the cached page
  numbers come from an estimate of the document's layout
  (:func:`estimate_pages`: line breaking with the house fonts' metrics at
  the styles' exact line pitch), which tests/test_docx.py checks against
  LibreOffice's own layout; updating the field (F9 in Word, Tools > Update
  in LibreOffice) rebuilds the contents from the headings;
* **page furniture** as header and footer parts: the running head (short
  title left, organisation right) on every page but the first
  (``w:titlePg``), and a footer with the distribution label left and
  "page N of M" right (``PAGE`` and ``NUMPAGES`` fields, in the words and
  order of the brief's language) on every page;
* **docProps/app.xml** that tells the truth: the application, the company
  and the words of the text; no page count (that needs a layout);
* **tables** no wider than the text column (:func:`fit_tables`);
* **lists**: bullets in the house faces (pandoc's are Symbol, Courier New
  and Wingdings characters) and compact indents, like the PDF's;
* **scripts** (:func:`apply_scripts`): the brief's faces for Arabic,
  Hebrew, Devanagari, Thai (``w:cs``) and Chinese, Japanese, Korean
  (``w:eastAsia``) from the font catalogue (:mod:`pipeline.fonts`) in the
  styles, the languages as Word names them, right-to-left paragraphs,
  tables and sections, emphasis without slanted faces; nothing changes in
  a Latin-script brief;
* **fonts**: only the faces the document's runs use, each subset: the
  house faces to the characters of the document and a fixed Western
  European repertoire (:data:`BASE_CHARACTERS`), the script faces to the
  characters of the runs they set (and a small repertoire of their script
  where it costs little, :data:`SCRIPT_REPERTOIRES`), the CJK faces' subsets
  with their PostScript outlines made TrueType (Word embeds no other);
  embedded as obfuscated font parts (ECMA-376 Part 1, 17.8.1) with
  ``w:subsetted``; Word's "embed only the characters used"
  (``w:saveSubsetFonts``) is set in the reference document. Subsets are
  cached by (font hash, character-set hash) in the pipeline's cache folder,
  so a rebuild does not subset again, and are byte-identical either way.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from .docx_endnotes import (
    CONTENT_TYPES,
    CONTENT_TYPES_NS,
    DOCUMENT,
    DOCUMENT_RELS,
    ENDNOTES,
    FOOTNOTES,
    PKG_RELS_NS,
    R_NS,
    SETTINGS,
    STYLES,
    W_NS,
    XML_DECLARATION,
    XML_SPACE,
    read_docx_parts,
    w,
    write_docx_zip,
)

APP = "docProps/app.xml"
FONT_TABLE = "word/fontTable.xml"
FONT_TABLE_RELS = "word/_rels/fontTable.xml.rels"
NUMBERING = "word/numbering.xml"
THEME = "word/theme/theme1.xml"

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
HEADER_REL_TYPE = REL + "header"
FOOTER_REL_TYPE = REL + "footer"
FONT_REL_TYPE = REL + "font"
WML_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."
HEADER_CONTENT_TYPE = WML_CT + "header+xml"
FOOTER_CONTENT_TYPE = WML_CT + "footer+xml"
OBFUSCATED_FONT_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"

APPLICATION = "brief-pipeline"

# Style ids of the reference document (make_reference_docx.py).
HEADER_STYLE = "Header"
FOOTER_STYLE = "Footer"
DISTRIBUTION_LABEL_STYLE = "DistributionLabel"
CONTENTS_ENTRY_STYLE = "TOC1"
HEADING_STYLE = "Heading1"
SECTION_NUMBER_STYLE = "SectionNumber"
ORGANIZATION_STYLE = "Organization"
TITLE_STYLE = "Title"
PANDOC_TITLE_BLOCK_STYLES = ("Author", "Date")  # pandoc's, from the metadata; the facts line replaces them
HYPERLINK_STYLE = "Hyperlink"

CONTENTS_FIELD = ' TOC \\o "1-1" \\h \\z \\u '
CONTENTS_BOOKMARK = "_Toc_brief_{number}"  # "_Toc": Word's own prefix, hidden in its bookmark dialog
NOTES_BOOKMARK_ID = "notes"  # the composer's contents entry links to "#notes"


# The house faces: (family, bold, italic) -> file in templates/fonts. Word picks the embedded face by
# the run's bold and italic, so "bold" is the face a bold run gets: EB Garamond SemiBold (the PDF's
# bold, weight 600) and Inter Bold (the bold member of the "Inter" family). There is no Inter bold
# italic: such a run uses the bold and the italic faces (Word and LibreOffice synthesise the rest).
HOUSE_FACES = {
    ("EB Garamond", False, False): "EBGaramond-Regular.ttf",
    ("EB Garamond", True, False): "EBGaramond-SemiBold.ttf",
    ("EB Garamond", False, True): "EBGaramond-Italic.ttf",
    ("EB Garamond", True, True): "EBGaramond-SemiBoldItalic.ttf",
    ("Inter", False, False): "Inter-Regular.ttf",
    ("Inter", True, False): "Inter-Bold.ttf",
    ("Inter", False, True): "Inter-Italic.ttf",
}
# CT_Font's embed children, in schema order.
EMBED_ELEMENTS = {
    (False, False): "embedRegular",
    (True, False): "embedBold",
    (False, True): "embedItalic",
    (True, True): "embedBoldItalic",
}
# The repertoire every subset keeps besides the document's characters: ASCII, Latin-1 and Latin
# Extended-A, typographic punctuation, bullets and common signs. It covers what Word and LibreOffice
# generate without a w:t (note numbers and letters, page numbers, list numbers and bullets) and what an
# editor types into a Western European brief. It also makes most of the pipeline's documents carry the
# same subset of a face: LibreOffice keeps the first embedded file of a family and style for its whole
# session (EmbeddedFontsHelper: an existing temporary font file is "assumed to be added correctly"), so
# a second brief opened beside the first would show its other characters in a fallback font.
BASE_CHARACTERS = frozenset(
    chr(code)
    for first, last in (
        (0x0020, 0x007E), (0x00A0, 0x00FF), (0x0100, 0x017F), (0x0218, 0x021B),  # Latin, Romanian commas
        (0x2010, 0x2027), (0x2030, 0x203A), (0x2044, 0x2044),  # dashes, quotes, bullet, ellipsis, primes
        (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122), (0x2190, 0x2193),  # euro, numero, TM, arrows
        (0x2212, 0x2212), (0x2248, 0x2248), (0x2260, 0x2260), (0x2264, 0x2265),  # minus, approx, not equal
        (0x25E6, 0x25E6),  # white bullet (second-level lists)
    )
    for code in range(first, last + 1)
)
# Bumped when the subsetting changes, so that cached subsets of an older pipeline are not used.
SUBSET_VERSION = 6
# List bullets by level, in the paragraph's own face: pandoc's use Symbol, Courier New and Wingdings,
# which the document does not embed and most machines replace with another face.
BULLETS = ("\u2022", "\u25e6", "\u2013")
LIST_INDENT = 397  # twips (7 mm) per list level, the number or bullet hanging in it

# The running head's measure: Inter at 7.5 pt in small capitals, letter-spaced (the reference
# document's Header style); Word sets small capitals at about 70-80 % of the capital height.
HEAD_FONT = "Inter-Regular.ttf"
HEAD_SIZE_PT = 7.5
HEAD_TRACKING_PT = 0.3
SMALL_CAPS_SCALE = 0.8
HEAD_GAP_PT = 12  # at least this much between the short title and the organisation
ELLIPSIS = "\u2026"
FOOTNOTE_GAP_PT = 6  # the separator line above the author footnotes and the space around it


class DocxFinishError(ValueError):
    """The package is not the pandoc DOCX this module expects."""


# --------------------------------------------------------------------------
# Entry points


def finish_docx(src: Path | str, dst: Path | str, document, *, fonts_dir: Path,
                source_date_epoch: int | None = None, cache_dir: Path | None = None,
                faces: dict[tuple[str, bool, bool], Path] | None = None) -> None:
    """Rewrite the DOCX ``src`` (notes already converted) as the finished ``dst`` for ``document``.

    ``faces``: a theme's fonts, (family, bold, italic) -> file, beside the house faces (the reference
    document names the theme's families in place of the house ones).
    """
    parts = read_docx_parts(src)
    finish_parts(parts, document, fonts_dir=fonts_dir, cache_dir=cache_dir, faces=faces)
    write_docx_zip(dst, parts, source_date_epoch, reuse=src)


def finish_parts(parts: dict[str, bytes], document, *, fonts_dir: Path, cache_dir: Path | None = None,
                 faces: dict[tuple[str, bool, bool], Path] | None = None) -> None:
    """:func:`finish_docx` on the package's parts, in place."""
    table = {**HOUSE_FACES, **{key: str(path) for key, path in (faces or {}).items()}}
    body_root = _parse(parts[DOCUMENT])
    body = body_root.find(w("body"))
    if body is None:
        raise DocxFinishError("word/document.xml has no w:body")
    ids = _IdCounter(_max_w_id(*(_parse(parts[name]) for name in (DOCUMENT, FOOTNOTES, ENDNOTES) if name in parts)))

    _tidy_title_block(body)
    _style_section_numbers(body, [part.number for part in document.sections])
    back_matter = _take_back_matter_marker(body)
    if back_matter is not None and _cites_first(back_matter):
        back_matter = None  # Word would set those endnotes at the end of the back matter: all go last
    notes_heading = None
    if _has_endnotes(parts):
        notes_heading = _add_notes_heading(body, document.labels["notes"], ids, before=back_matter)
    join_note_marks(parts)
    house_lists(parts)
    contents = _contents_field(body, ids)
    section = _first_section(body)
    text_width = _text_width(section)
    _page_furniture(parts, section, document, text_width, Path(fonts_dir))
    if back_matter is not None and notes_heading is not None:
        _end_section_with_the_notes(parts, body, notes_heading)
    fit_tables(body, text_width)
    apply_scripts(parts, document, body_root)  # before the estimate: CJK and Urdu lines are taller
    fall_back_to_house_faces(parts, document, table, Path(fonts_dir), body_root)
    if contents:
        footnotes = _parse(parts[FOOTNOTES]) if FOOTNOTES in parts else None
        endnotes = _parse(parts[ENDNOTES]) if ENDNOTES in parts and back_matter is not None else None
        pages = estimate_pages(body, section, _Styles(parts[STYLES], parts.get(THEME)),
                               _Numbering(parts.get(NUMBERING)), Path(fonts_dir), footnotes, endnotes, table)
        for heading, result in contents:
            result.find(w("t")).text = str(pages.get(heading, 1))
    parts[DOCUMENT] = _serialize(body_root)
    parts[APP] = app_properties(parts, document)
    embed_fonts(parts, Path(fonts_dir), cache_dir=cache_dir, face_table=table)


# --------------------------------------------------------------------------
# XML helpers


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _serialize(root: etree._Element) -> bytes:
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _style_of(paragraph: etree._Element) -> str | None:
    style = paragraph.find(f"{w('pPr')}/{w('pStyle')}")
    return style.get(w("val")) if style is not None else None


def _paragraph(style: str) -> etree._Element:
    paragraph = etree.Element(w("p"))
    etree.SubElement(etree.SubElement(paragraph, w("pPr")), w("pStyle"), {w("val"): style})
    return paragraph


def _text_run(text: str, style: str | None = None) -> etree._Element:
    run = etree.Element(w("r"))
    if style:
        etree.SubElement(etree.SubElement(run, w("rPr")), w("rStyle"), {w("val"): style})
    element = etree.SubElement(run, w("t"))
    element.text = text
    if text != text.strip() or "  " in text:
        element.set(XML_SPACE, "preserve")
    return run


def _tab_run() -> etree._Element:
    run = etree.Element(w("r"))
    etree.SubElement(run, w("tab"))
    return run


def field_runs(instruction: str, result: Iterable[etree._Element]) -> list[etree._Element]:
    """A complex field: begin, instruction, separate, the cached result runs, end."""
    def char(kind: str) -> etree._Element:
        run = etree.Element(w("r"))
        etree.SubElement(run, w("fldChar"), {w("fldCharType"): kind})
        return run

    instr_run = etree.Element(w("r"))
    instr = etree.SubElement(instr_run, w("instrText"))
    instr.set(XML_SPACE, "preserve")
    instr.text = instruction
    return [char("begin"), instr_run, char("separate"), *result, char("end")]


def _paragraph_text(paragraph: etree._Element) -> str:
    return "".join(t.text or "" for t in paragraph.iter(w("t")))


class _IdCounter:
    """New w:id values above every one in use (pandoc shares one counter for notes and bookmarks)."""

    def __init__(self, highest: int):
        self.value = highest

    def next(self) -> str:
        self.value += 1
        return str(self.value)


def _max_w_id(*roots: etree._Element) -> int:
    return max((int(value) for root in roots for element in root.iter()
                if (value := element.get(w("id"))) is not None and value.lstrip("-").isdigit()), default=0)


def _bookmark(paragraph: etree._Element, name: str, ids: _IdCounter) -> None:
    """A bookmark around a paragraph's content (after its properties)."""
    bookmark_id = ids.next()
    start = etree.Element(w("bookmarkStart"), {w("id"): bookmark_id, w("name"): name})
    properties = paragraph.find(w("pPr"))
    if properties is not None:
        properties.addnext(start)
    else:
        paragraph.insert(0, start)
    paragraph.append(etree.Element(w("bookmarkEnd"), {w("id"): bookmark_id}))


# --------------------------------------------------------------------------
# Title block, section numbers, Notes


def _tidy_title_block(body: etree._Element) -> None:
    """Organisation above the title; pandoc's Author and Date paragraphs out (the facts line has them).

    (In a right-to-left brief every paragraph, the title block's too, is
    made right to left by :func:`apply_scripts`.)
    """
    paragraphs = [child for child in body if _local(child) == "p"]
    for paragraph in paragraphs:
        if _style_of(paragraph) in PANDOC_TITLE_BLOCK_STYLES:
            body.remove(paragraph)
    title = next((p for p in paragraphs if _style_of(p) == TITLE_STYLE), None)
    organization = next((p for p in paragraphs if _style_of(p) == ORGANIZATION_STYLE), None)
    if title is not None and organization is not None:
        title.addprevious(organization)  # moves it


def _style_section_numbers(body: etree._Element, numbers: list[int | None]) -> None:
    """The leading "N." of each numbered section heading in the Section Number character style.

    pandoc writes the composer's number span as a run of its own ("1.") at
    the start of the heading paragraph.
    """
    expected = {f"{number}." for number in numbers if number is not None}
    for paragraph in body.iter(w("p")):
        if _style_of(paragraph) != HEADING_STYLE:
            continue
        first = next((run for run in paragraph.iter(w("r")) if run.find(w("t")) is not None), None)
        if first is None:
            continue
        texts = first.findall(w("t"))
        if len(texts) == 1 and texts[0].text in expected:
            _set_character_style(first, SECTION_NUMBER_STYLE)


def _set_character_style(run: etree._Element, style: str) -> None:
    """A run in a character style, its other properties (pandoc's w:rtl) kept; never over another style."""
    properties = run.find(w("rPr"))
    if properties is None:
        properties = etree.Element(w("rPr"))
        run.insert(0, properties)
    if properties.find(w("rStyle")) is None:
        properties.insert(0, etree.Element(w("rStyle"), {w("val"): style}))  # rStyle comes first in rPr


def _has_endnotes(parts: dict[str, bytes]) -> bool:
    if ENDNOTES not in parts:
        return False
    return any(note.get(w("type")) in (None, "normal") for note in _parse(parts[ENDNOTES]).findall(w("endnote")))


def _add_notes_heading(body: etree._Element, label: str, ids: _IdCounter,
                       before: etree._Element | None = None) -> etree._Element:
    """An unnumbered Heading 1 where the endnotes go: at the end of the body, where Word sets them, or
    before the appendices and back matter (``before``), where :func:`_end_section_with_the_notes` has
    Word set them."""
    heading = _paragraph(HEADING_STYLE)
    heading.append(_text_run(label))
    _bookmark(heading, NOTES_BOOKMARK_ID, ids)
    if before is not None:
        before.addprevious(heading)
    else:
        _before_final_section(body, heading)
    return heading


BACK_MATTER_MARKER = "back-matter"  # pipeline/compose.py: an empty paragraph with this bookmark


def _take_back_matter_marker(body: etree._Element) -> etree._Element | None:
    """The first element after the composer's back-matter marker paragraph, which is removed.

    The composer puts the marker between the last section and the
    appendices and back matter: the Notes belong there, as in the PDF.
    """
    for start in body.iter(w("bookmarkStart")):
        if start.get(w("name")) == BACK_MATTER_MARKER:
            paragraph = _nearest_paragraph(start)
            following = paragraph.getnext() if paragraph is not None else None
            if paragraph is None or following is None:
                return None
            paragraph.getparent().remove(paragraph)
            return following
    return None


def _cites_first(start: etree._Element) -> bool:
    """Whether an endnote's own reference (not a NOTEREF to an earlier one) is at or after ``start``."""
    element = start
    while element is not None:
        if next(element.iter(w("endnoteReference")), None) is not None:
            return True
        element = element.getnext()
    return False


def _end_section_with_the_notes(parts: dict[str, bytes], body: etree._Element, notes_heading: etree._Element) -> None:
    """Make the Notes heading the last paragraph of the first section and have Word and LibreOffice set
    the endnotes at the end of their section (``w:pos sectEnd``): the endnotes follow the heading, and
    the appendices and back matter start on a new page after them, with the same header and footer."""
    final = body.find(w("sectPr"))
    first = _copy(final)
    properties = notes_heading.find(w("pPr"))
    if properties is None:
        properties = etree.Element(w("pPr"))
        notes_heading.insert(0, properties)
    change = properties.find(w("pPrChange"))  # CT_PPr: sectPr is last but for pPrChange
    if change is not None:
        change.addprevious(first)
    else:
        properties.append(first)
    for title_page in final.findall(w("titlePg")):  # the title page is the first section's first page
        final.remove(title_page)
    _put(final, "type", SECTPR_ORDER, val="nextPage")
    settings = _parse(parts[SETTINGS])
    endnote_properties = settings.find(w("endnotePr"))
    if endnote_properties is None:
        raise DocxFinishError("word/settings.xml has no w:endnotePr (the endnotes were not numbered)")
    position = endnote_properties.find(w("pos"))
    if position is None:
        position = etree.Element(w("pos"))
        endnote_properties.insert(0, position)  # CT_EdnDocProps: pos comes first
    position.set(w("val"), "sectEnd")
    parts[SETTINGS] = _serialize(settings)


def _before_final_section(body: etree._Element, element: etree._Element) -> None:
    final = body.find(w("sectPr"))
    if final is not None:
        final.addprevious(element)
    else:
        body.append(element)


# --------------------------------------------------------------------------
# Contents


def _contents_field(body: etree._Element, ids: _IdCounter) -> list[tuple[etree._Element, etree._Element]]:
    """The composer's contents entries as the cached result of a TOC field.

    Each entry links to a heading through pandoc's bookmark (the section's
    id); it gets a ``_Toc`` bookmark inside that heading, as Word's own
    contents does, and a PAGEREF field to it after a tab (the ``toc 1``
    style's right tab with dot leader). Returns (heading, cached page number
    run) for each entry: the numbers are filled in once the body is final.
    """
    entries = [p for p in body if _local(p) == "p" and _style_of(p) == CONTENTS_ENTRY_STYLE]
    if not entries:
        return []
    headings = _headings_by_bookmark(body)
    found = []
    for number, entry in enumerate(entries, start=1):
        link = entry.find(w("hyperlink"))
        anchor = link.get(w("anchor")) if link is not None else None
        heading = headings.get(anchor)
        if heading is None:
            raise DocxFinishError(f"contents entry {_paragraph_text(entry)!r} links to no heading ({anchor!r})")
        name = CONTENTS_BOOKMARK.format(number=number)
        _bookmark(heading, name, ids)
        link.set(w("anchor"), name)
        link.set(w("history"), "1")
        for style in list(link.iter(w("rStyle"))):  # the entry's look is the toc 1 style's, as in Word
            if style.get(w("val")) == HYPERLINK_STYLE:
                properties = style.getparent()
                properties.remove(style)
                if len(properties) == 0:
                    properties.getparent().remove(properties)
        _split_entry_number(link)
        link.append(_tab_run())
        result = _text_run("")
        link.extend(field_runs(f" PAGEREF {name} \\h ", [result]))
        found.append((heading, result))
    first, last = entries[0], entries[-1]
    begin, instruction, separate, end = field_runs(CONTENTS_FIELD, [])
    first_link = first.find(w("hyperlink"))
    for run in (begin, instruction, separate):
        first_link.addprevious(run)
    last.append(end)
    return found


def _split_entry_number(link: etree._Element) -> None:
    """ "3. Evidence" -> a Section Number run "3." and the title, like the headings."""
    runs = link.findall(w("r"))
    if not runs or runs[0].find(f"{w('rPr')}/{w('rStyle')}") is not None:
        return
    texts = runs[0].findall(w("t"))
    if len(texts) != 1:
        return
    match = re.match(r"(\d+\.)(\s.*)", texts[0].text or "", flags=re.S)
    if not match:
        return
    number = _copy(runs[0])  # with the run's own properties (w:rtl in a right-to-left brief)
    number.find(w("t")).text = match.group(1)
    _set_character_style(number, SECTION_NUMBER_STYLE)
    texts[0].text = match.group(2)
    texts[0].set(XML_SPACE, "preserve")
    runs[0].addprevious(number)


def _headings_by_bookmark(body: etree._Element) -> dict[str, etree._Element]:
    """Bookmark name -> the first Heading 1 paragraph at or after its start.

    pandoc puts a section's bookmark (its id) around the whole section, so
    it starts just before the heading paragraph.
    """
    found: dict[str, etree._Element] = {}
    pending: list[str] = []
    for element in body.iter(w("bookmarkStart"), w("p")):
        if _local(element) == "bookmarkStart":
            pending.append(element.get(w("name")))
            continue
        if _style_of(element) == HEADING_STYLE:
            for name in element.iter(w("bookmarkStart")):
                found.setdefault(name.get(w("name")), element)
            for name in pending:
                found.setdefault(name, element)
            pending = []
        elif _paragraph_text(element).strip():
            pending = []  # a bookmark on body text is not a heading's
    return found


# --------------------------------------------------------------------------
# Header and footer


def _first_section(body: etree._Element) -> etree._Element:
    """The first section's w:sectPr (a paragraph's when there are several, else the body's)."""
    for paragraph in body.iter(w("p")):
        section = paragraph.find(f"{w('pPr')}/{w('sectPr')}")
        if section is not None:
            return section
    section = body.find(w("sectPr"))
    if section is None:
        section = etree.SubElement(body, w("sectPr"))
    return section


def _text_width(section: etree._Element) -> int:
    """The text column's width in twips (page width less the side margins)."""
    size, margins = section.find(w("pgSz")), section.find(w("pgMar"))
    if size is None or margins is None:
        raise DocxFinishError("the section has no page size or margins (the reference document sets them)")
    return int(size.get(w("w"))) - int(margins.get(w("left"), "0")) - int(margins.get(w("right"), "0")) \
        - int(margins.get(w("gutter"), "0"))


def page_of_pieces(labels: dict[str, str]) -> list[tuple[str, str]]:
    """ "page {page} of {pages}" as pieces: ("text", ...) and ("field", "PAGE"/"NUMPAGES")."""
    pattern = labels.get("page_of") or f"{labels['page']} {{page}} {labels['of']} {{pages}}"
    pieces: list[tuple[str, str]] = []
    for token in re.split(r"(\{page\}|\{pages\})", pattern):
        if token == "{page}":
            pieces.append(("field", "PAGE"))
        elif token == "{pages}":
            pieces.append(("field", "NUMPAGES"))
        elif token:
            pieces.append(("text", token))
    return pieces


def running_head(document, text_width_twips: int, fonts_dir: Path) -> tuple[str, str]:
    """(short title, organisation) for the header, cut with an ellipsis so that they fit one line; the
    theme's short name stands for the organisation, as in the PDF."""
    meta = document.meta
    title = (meta.short_title or meta.title).plain
    organization = meta.identity.publisher or (meta.organization.plain if meta.organization else "")
    measure = _HeadMeasure(fonts_dir / HEAD_FONT)
    available = text_width_twips / 20 - (HEAD_GAP_PT if organization else 0)
    if measure(title) + measure(organization) <= available:
        return title, organization
    organization = _cut(organization, available / 2, measure) if organization else ""
    return _cut(title, available - measure(organization), measure), organization


def _cut(text: str, width: float, measure) -> str:
    """``text`` shortened at a word boundary (else a character) with an ellipsis to fit ``width``."""
    if measure(text) <= width:
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(",;:.\u2013\u2014-") + ELLIPSIS
        if measure(candidate) <= width:
            return candidate
    characters = text
    while characters and measure(characters + ELLIPSIS) > width:
        characters = characters[:-1]
    return characters.rstrip() + ELLIPSIS


class _HeadMeasure:
    """Width in points of a running-head text as the Header style sets it (small capitals, letter-spaced)."""

    def __init__(self, font_file: Path):
        self.metrics = _Metrics(font_file.parent)
        self.face = font_file.name

    def __call__(self, text: str) -> float:
        return self.metrics.width(text, self.face, HEAD_SIZE_PT, caps=True) + HEAD_TRACKING_PT * len(text)


def _page_furniture(parts: dict[str, bytes], section: etree._Element, document, text_width: int,
                    fonts_dir: Path) -> None:
    """Header and footer parts, referenced from the first section, no header on the title page."""
    title, organization = running_head(document, text_width, fonts_dir)
    head = _paragraph(HEADER_STYLE)
    head.append(_text_run(title))
    if organization:
        head.append(_tab_run())
        head.append(_text_run(organization))
    foot = _paragraph(FOOTER_STYLE)
    if document.meta.distribution:
        foot.append(_text_run(document.meta.distribution.plain, DISTRIBUTION_LABEL_STYLE))
    foot.append(_tab_run())
    for kind, value in page_of_pieces(document.labels):
        if kind == "text":
            foot.append(_text_run(value))
        else:  # the cached result LibreOffice and Word replace when they lay the page out
            foot.extend(field_runs(f" {value} ", [_text_run("1")]))
    empty = _paragraph(HEADER_STYLE)
    if document.meta.direction == "rtl":  # the runs right to left as pandoc writes the body's (paragraphs: later)
        for paragraph in (head, foot):
            _right_to_left_runs(paragraph)

    references = [
        ("headerReference", "default", "header", head),
        ("headerReference", "first", "header", empty),
        ("footerReference", "default", "footer", foot),
        ("footerReference", "first", "footer", _copy(foot)),
    ]
    for old in section.findall(w("headerReference")) + section.findall(w("footerReference")):
        section.remove(old)
    for position, (element, kind, part_kind, paragraph) in enumerate(references):
        number = 1 + sum(1 for name in parts if re.fullmatch(rf"word/{part_kind}\d+\.xml", name))
        target = f"{part_kind}{number}.xml"
        root = etree.Element(w("hdr" if part_kind == "header" else "ftr"), nsmap={"w": W_NS, "r": R_NS})
        root.append(paragraph)
        parts[f"word/{target}"] = _serialize(root)
        rel_id = _add_relationship(parts, DOCUMENT_RELS, HEADER_REL_TYPE if part_kind == "header" else FOOTER_REL_TYPE,
                                   target)
        _add_override(parts, f"/word/{target}",
                      HEADER_CONTENT_TYPE if part_kind == "header" else FOOTER_CONTENT_TYPE)
        section.insert(position, etree.Element(w(element), {w("type"): kind, f"{{{R_NS}}}id": rel_id}))
    _put(section, "titlePg", SECTPR_ORDER)


def _right_to_left_runs(paragraph: etree._Element) -> None:
    """The text runs of a paragraph right to left (``w:rtl``), as pandoc writes the body's.

    Latin words among them are taken out of right-to-left runs later
    (:func:`_isolate_left_to_right`), as they are in the body.
    """
    for run in paragraph.findall(w("r")):
        if run.find(w("t")) is not None:
            _put(_run_properties(run), "rtl", RPR_ORDER)


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def _add_relationship(parts: dict[str, bytes], rels_name: str, rel_type: str, target: str) -> str:
    if rels_name in parts:
        root = _parse(parts[rels_name])
    else:
        root = etree.Element(f"{{{PKG_RELS_NS}}}Relationships", nsmap={None: PKG_RELS_NS})
    used = {rel.get("Id") for rel in root}
    number = 1
    while f"rId{number}" in used:
        number += 1
    rel_id = f"rId{number}"
    etree.SubElement(root, f"{{{PKG_RELS_NS}}}Relationship", Type=rel_type, Id=rel_id, Target=target)
    parts[rels_name] = _serialize(root)
    return rel_id


def _add_override(parts: dict[str, bytes], part_name: str, content_type: str) -> None:
    root = _parse(parts[CONTENT_TYPES])
    for override in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        if override.get("PartName") == part_name:
            override.set("ContentType", content_type)
            break
    else:
        etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override", PartName=part_name, ContentType=content_type)
    parts[CONTENT_TYPES] = _serialize(root)


# --------------------------------------------------------------------------
# docProps/app.xml


# Ideographs and kana count one word each, as Word counts them (Chinese and Japanese have no spaces).
CJK_CHARACTER = "\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
WORD = re.compile(f"[{CJK_CHARACTER}]|[^\\s{CJK_CHARACTER}]+")
CJK = re.compile(f"[{CJK_CHARACTER}]")


def visible_words(parts: dict[str, bytes]) -> int:
    """Words of the text as a reader sees it: the body, footnotes and endnotes (not field codes)."""
    count = 0
    for name in (DOCUMENT, FOOTNOTES, ENDNOTES):
        if name not in parts:
            continue
        for paragraph in _parse(parts[name]).iter(w("p")):
            pieces = []
            for element in paragraph.iter(w("t"), w("tab"), w("br"), w("noBreakHyphen")):
                run = element.getparent()
                if run.find(f"{w('rPr')}/{w('vanish')}") is not None:
                    continue
                if _local(element) == "t":
                    pieces.append(element.text or "")
                elif _local(element) == "noBreakHyphen":
                    pieces.append("-")
                else:
                    pieces.append(" ")
            count += len(WORD.findall("".join(pieces)))
    return count


def app_properties(parts: dict[str, bytes], document) -> bytes:
    """docProps/app.xml: who made the file and how many words it has, nothing a layout would have to say."""
    root = etree.Element(f"{{{APP_NS}}}Properties", nsmap={None: APP_NS, "vt": VT_NS})

    def add(name: str, value: str) -> None:
        etree.SubElement(root, f"{{{APP_NS}}}{name}").text = value

    add("Application", APPLICATION)
    add("DocSecurity", "0")
    add("ScaleCrop", "false")
    if document.meta.organization:
        add("Company", document.meta.organization.plain)
    add("LinksUpToDate", "false")
    add("Words", str(visible_words(parts)))
    add("SharedDoc", "false")
    add("HyperlinksChanged", "false")
    return _serialize(root)


# --------------------------------------------------------------------------
# Styles: what the fonts and the page estimate need to know about a run or a paragraph


class _Styles:
    """Enough of the style hierarchy to know each run's face and size and each paragraph's spacing."""

    def __init__(self, styles_xml: bytes, theme_xml: bytes | None):
        root = _parse(styles_xml)
        self.styles = {style.get(w("styleId")): style for style in root.findall(w("style"))}
        self.default_paragraph = next(
            (sid for sid, s in self.styles.items() if s.get(w("type")) == "paragraph" and s.get(w("default")) == "1"),
            None)
        self.defaults = root.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
        self.paragraph_defaults = root.find(f"{w('docDefaults')}/{w('pPrDefault')}/{w('pPr')}")
        self.theme = {"major": None, "minor": None}
        if theme_xml:
            theme = _parse(theme_xml)
            for kind in self.theme:
                latin = theme.find(f".//{{{A_NS}}}{kind}Font/{{{A_NS}}}latin")
                if latin is not None:
                    self.theme[kind] = latin.get("typeface")

    def _chain(self, style_id: str | None, tag: str = "rPr") -> list[etree._Element]:
        """The style's run (or paragraph) properties, most derived first, along basedOn."""
        chain, seen = [], set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            style = self.styles[style_id]
            properties = style.find(w(tag))
            if properties is not None:
                chain.append(properties)
            based = style.find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return chain

    def _run_levels(self, paragraph_style: str | None, run: etree._Element | None):
        """(direct properties, character style chain, paragraph style chain) of a run."""
        direct = run.find(w("rPr")) if run is not None else None
        character_style = None
        if direct is not None and direct.find(w("rStyle")) is not None:
            character_style = direct.find(w("rStyle")).get(w("val"))
        return direct, self._chain(character_style), self._chain(paragraph_style or self.default_paragraph)

    def _family(self, properties: etree._Element) -> str | None:
        fonts = properties.find(w("rFonts"))
        if fonts is None:
            return None
        theme = fonts.get(w("asciiTheme")) or fonts.get(w("hAnsiTheme"))
        if theme:
            return self.theme["major" if theme.startswith("major") else "minor"]
        return fonts.get(w("ascii")) or fonts.get(w("hAnsi"))

    @staticmethod
    def _toggle(properties: etree._Element, name: str) -> bool | None:
        element = properties.find(w(name))
        if element is None:
            return None
        return element.get(w("val"), "true") not in ("0", "false", "off")

    def toggle_of(self, paragraph_style: str | None, run: etree._Element | None, name: str) -> bool:
        """A toggle property (bold, italic, caps ...): a paragraph style's and a character style's
        values combine by exclusive or (ECMA-376 Part 1, 17.7.3); direct formatting is absolute."""
        direct, character_chain, paragraph_chain = self._run_levels(paragraph_style, run)
        if direct is not None and self._toggle(direct, name) is not None:
            return self._toggle(direct, name)
        value = name in self._table_toggles(run)
        for chain in (paragraph_chain, character_chain):
            found = next((v for p in chain if (v := self._toggle(p, name)) is not None), None)
            value ^= bool(found)
        return value

    def _table_toggles(self, run: etree._Element | None) -> set[str]:
        """Toggles the table style's header-row formatting sets for a run in a table's first row."""
        row = run
        while row is not None and _local(row) != "tr":
            row = row.getparent()
        if row is None:
            return set()
        table = row.getparent()
        if table.find(w("tr")) is not row:
            return set()
        look = table.find(f"{w('tblPr')}/{w('tblLook')}")
        if look is None or not (look.get(w("firstRow")) in ("1", "true", "on")
                                or int(look.get(w("val"), "0") or "0", 16) & 0x0020):
            return set()
        style = table.find(f"{w('tblPr')}/{w('tblStyle')}")
        toggles: set[str] = set()
        style_id, seen = style.get(w("val")) if style is not None else None, set()
        while style_id in self.styles and style_id not in seen:  # the table style and those it is based on
            seen.add(style_id)
            for conditional in self.styles[style_id].findall(w("tblStylePr")):
                properties = conditional.find(w("rPr"))
                if conditional.get(w("type")) == "firstRow" and properties is not None:
                    toggles.update(_local(child) for child in properties if self._toggle(properties, _local(child)))
            based = self.styles[style_id].find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return toggles

    def face(self, paragraph_style: str | None, run: etree._Element | None) -> tuple[str | None, bool, bool]:
        """(family, bold, italic) of a run (``run`` None: of the paragraph style's own text)."""
        direct, character_chain, paragraph_chain = self._run_levels(paragraph_style, run)
        family = None
        for properties in ([direct] if direct is not None else []) + character_chain + paragraph_chain + \
                ([self.defaults] if self.defaults is not None else []):
            family = self._family(properties)
            if family:
                break
        return family, self.toggle_of(paragraph_style, run, "b"), self.toggle_of(paragraph_style, run, "i")

    def slot_family(self, paragraph_style: str | None, run: etree._Element | None, slot: str) -> str | None:
        """The family of a run's complex-script (``cs``) or East Asian (``eastAsia``) characters.

        Each slot of ``w:rFonts`` is inherited on its own: the nearest
        properties naming it (or its theme font) decide.
        """
        direct, character_chain, paragraph_chain = self._run_levels(paragraph_style, run)
        theme_attribute = {"cs": "cstheme", "eastAsia": "eastAsiaTheme"}[slot]
        for properties in ([direct] if direct is not None else []) + character_chain + paragraph_chain + \
                ([self.defaults] if self.defaults is not None else []):
            fonts = properties.find(w("rFonts"))
            if fonts is None:
                continue
            if fonts.get(w(theme_attribute)):
                return None  # a theme font: none of the catalogue's
            if fonts.get(w(slot)):
                return fonts.get(w(slot))
        return None

    def paragraph_face(self, paragraph_style: str | None) -> tuple[str | None, bool, bool]:
        return self.face(paragraph_style, None)

    def size_of(self, paragraph_style: str | None, run: etree._Element | None) -> float:
        """Font size in points."""
        direct, character_chain, paragraph_chain = self._run_levels(paragraph_style, run)
        for properties in ([direct] if direct is not None else []) + character_chain + paragraph_chain + \
                ([self.defaults] if self.defaults is not None else []):
            size = properties.find(w("sz"))
            if size is not None:
                return _twips(size.get(w("val")), 20) / 2
        return 10.0  # Word's default

    def paragraph_properties(self, paragraph_style: str | None, direct: etree._Element | None) -> dict:
        """Spacing, indents, keep and break settings and list numbering, merged attribute by attribute."""
        levels = list(reversed(self._chain(paragraph_style or self.default_paragraph, "pPr")))
        if self.paragraph_defaults is not None:
            levels.insert(0, self.paragraph_defaults)
        if direct is not None:
            levels.append(direct)
        merged = {"spacing": {}, "ind": {}, "keepNext": False, "pageBreakBefore": False, "top": {}, "bottom": {}}
        for properties in levels:
            for name, path in (("spacing", w("spacing")), ("ind", w("ind")), ("top", f"{w('pBdr')}/{w('top')}"),
                               ("bottom", f"{w('pBdr')}/{w('bottom')}")):
                element = properties.find(path)
                if element is not None:
                    merged[name].update({etree.QName(k).localname: v for k, v in element.attrib.items()})
            for name in ("keepNext", "pageBreakBefore"):
                if (value := self._toggle(properties, name)) is not None:
                    merged[name] = value
            numbering = properties.find(w("numPr"))
            if numbering is not None:
                for name in ("numId", "ilvl"):
                    element = numbering.find(w(name))
                    if element is not None:
                        merged[name] = element.get(w("val"))
        return merged


# --------------------------------------------------------------------------
# Fonts


def _runs_with_paragraph_style(root: etree._Element) -> Iterator[tuple[str | None, etree._Element]]:
    for paragraph in root.iter(w("p")):
        style = _style_of(paragraph)
        for run in paragraph.iter(w("r")):
            if run.getparent() is not None and _nearest_paragraph(run) is paragraph:
                yield style, run


def _nearest_paragraph(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and _local(parent) != "p":
        parent = parent.getparent()
    return parent


def _run_text(run: etree._Element) -> str:
    pieces = []
    for child in run:
        local = _local(child)
        if local == "t":
            pieces.append(child.text or "")
        elif local == "noBreakHyphen":
            pieces.append("\u2011")
    return "".join(pieces)


def used_faces(parts: dict[str, bytes]) -> tuple[set[tuple[str, bool, bool]], set[str]]:
    """The (family, bold, italic) faces of every run with text, and every character shown."""
    faces, characters, _ = _font_use(parts)
    return faces, characters


def script_characters(parts: dict[str, bytes]) -> dict[tuple[str, bool], set[str]]:
    """(family, bold) of each script face of the catalogue the runs use -> the characters it may set.

    A run's complex-script face (``w:cs``) sets its text when the run is
    right to left (``w:rtl``: all its characters are complex script) or
    holds complex-script characters; its East Asian face (``w:eastAsia``)
    when it holds East Asian characters or pandoc's ``w:hint="eastAsia"``.
    All the run's characters count then (its digits and punctuation may be
    set in the same face, by Word's rules or by LibreOffice's, which give a
    neutral character the script of its neighbours); the subset keeps only
    those the face has.
    """
    return _font_use(parts)[2]


def _font_use(parts: dict[str, bytes], face_table: dict | None = None):
    from . import fonts

    styles = _Styles(parts[STYLES], parts.get(THEME))
    catalogue = {family for family, _ in _catalogue_faces()}
    faces: set[tuple[str, bool, bool]] = set()
    characters: set[str] = set()
    scripts: dict[tuple[str, bool], set[str]] = {}
    for name in _text_part_names(parts):
        root = _parse(parts[name])
        for paragraph_style, run in _runs_with_paragraph_style(root):
            text = _run_text(run)
            generated = run.find(w("endnoteRef")) is not None or run.find(w("footnoteRef")) is not None \
                or run.find(w("endnoteReference")) is not None or run.find(w("footnoteReference")) is not None
            if not text.strip() and not generated:
                continue
            face = styles.face(paragraph_style, run)
            faces.add(face)
            characters.update(text)
            if face[0] in catalogue:  # a CJK brief's Latin text
                scripts.setdefault((face[0], face[1]), set()).update(LATIN_BASE_CHARACTERS, text)
            groups = {fonts.script_of(character) for character in text}
            direct = run.find(w("rPr"))
            complex_run = direct is not None and (_is_on(direct.find(w("rtl"))) or _is_on(direct.find(w("cs"))))
            if complex_run:  # its characters are complex script: bold and italic by w:bCs and w:iCs
                family = styles.slot_family(paragraph_style, run, "cs")
                if family in HOUSE_ROLES or (face_table and (family, False, False) in face_table):
                    faces.add((family, styles.toggle_of(paragraph_style, run, "bCs"),
                               styles.toggle_of(paragraph_style, run, "iCs")))
            hint = direct.find(w("rFonts")).get(w("hint")) if direct is not None \
                and direct.find(w("rFonts")) is not None else None
            for slot, bold, used in (
                    ("cs", "bCs", complex_run or bool(groups & set(COMPLEX_SCRIPTS))),
                    ("eastAsia", "b", hint == "eastAsia" or bool(groups & set(EAST_ASIAN_SCRIPTS)))):
                family = styles.slot_family(paragraph_style, run, slot) if used else None
                if family in catalogue:
                    scripts.setdefault((family, styles.toggle_of(paragraph_style, run, bold)), set()).update(text)
    if NUMBERING in parts:  # list bullets and the text around list numbers
        for level_text in _parse(parts[NUMBERING]).iter(w("lvlText")):
            characters.update(re.sub(r"%\d", "", level_text.get(w("val"), "")))
    characters |= {c.upper() for c in characters if len(c.upper()) == 1}  # small capitals are capitals
    return faces, characters, scripts


def _face_files(faces: set[tuple[str, bool, bool]], table: dict | None = None) -> dict[tuple[str, bool, bool], str]:
    """Embedded face -> font file (of templates/fonts, or a theme's), for the faces the runs use."""
    table = HOUSE_FACES if table is None else table
    wanted: dict[tuple[str, bool, bool], str] = {}
    for family, bold, italic in faces:
        if (family, bold, italic) in table:
            wanted[(family, bold, italic)] = table[(family, bold, italic)]
        elif (family, False, False) in table:  # no such face: what the renderer synthesises it from
            for key in ((family, bold, False), (family, False, italic)):
                if key in table:
                    wanted[key] = table[key]
    return wanted


def font_key(subset: bytes) -> str:
    """The w:fontKey GUID of a font part, derived from its bytes so that the package is reproducible.

    The key is stored next to the part it unlocks, so a random one would
    protect nothing. Upper case, as Word writes it: LibreOffice reads the
    hex digits as upper case only.
    """
    digest = hashlib.sha256(subset).hexdigest()
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"brief-pipeline:font:{digest}")).upper() + "}"


def obfuscate(font: bytes, key: str) -> bytes:
    """ECMA-376 Part 1, 17.8.1 font obfuscation (its own inverse).

    The 16-byte key is the GUID's 32 hex digits read as bytes in the order
    they are written, last byte first; it is XORed over the font's first 32
    bytes (bytes 0-15 and again 16-31), the rest is unchanged. This is the
    order LibreOffice's DOCX import (writerfilter, EmbeddedFontHandler)
    undoes.
    """
    reversed_key = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ reversed_key[index % 16] for index, byte in enumerate(font[:32]))
    return head + font[32:]


def subset_font(font_file: Path, characters: Iterable[str], cache_dir: Path | None = None) -> bytes:
    """``font_file`` cut down to ``characters`` (with the layout features that apply to them), cached."""
    import fontTools

    from .fonts import subsetter_version

    data = Path(font_file).read_bytes()
    text = "".join(sorted(set(characters)))
    key = hashlib.sha256(
        f"{SUBSET_VERSION}\0{fontTools.version}\0{subsetter_version()}\0{hashlib.sha256(data).hexdigest()}\0"
        f"{hashlib.sha256(text.encode()).hexdigest()}".encode()).hexdigest()
    folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    cached = folder / f"docx-font-{key}.ttf"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    result = _subset(data, text, str(font_file))
    try:
        from .fsutil import write_bytes_atomic

        write_bytes_atomic(cached, result)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return result


def _default_cache_dir() -> Path:
    from .cache import default_cache_dir

    return default_cache_dir()


def _subset(data: bytes, text: str, name: str = "a font file") -> bytes:
    import io

    from fontTools.ttLib import TTFont

    from .fonts import DOCX_CUT, harfbuzz_subset

    # every name record, the .notdef outline (a missing character shows as a box), and fonts.DOCX_CUT
    subset = harfbuzz_subset(data, sorted(ord(c) for c in text), **DOCX_CUT, name=name)
    font = TTFont(io.BytesIO(subset), recalcTimestamp=False, lazy=True)
    os2 = font["OS/2"]
    # A bold face that gives its weight as regular (Noto Nastaliq Urdu Bold says 400): LibreOffice picks
    # the embedded face by weight and would thicken the regular one instead.
    wrong_weight = bool(os2.fsSelection & 0x20 and os2.usWeightClass < 600)
    if "CFF " not in font and not wrong_weight:
        return subset
    font = TTFont(io.BytesIO(subset), recalcTimestamp=False, lazy=False)
    if "CFF " in font:
        _to_truetype(font)
    if wrong_weight:
        font["OS/2"].usWeightClass = 700
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _to_truetype(font) -> None:
    """A subset with PostScript (CFF) outlines, the Noto CJK faces', with TrueType outlines instead.

    Word embeds and uses TrueType fonts only. The cubic curves become
    quadratic ones within one font unit (fontTools' cu2qu, the recipe of
    its otf2ttf snippet); cheap once the font is subset. The glyphs keep
    their names out (a format 3 ``post`` table) and the vertical origins
    of the CFF font (``VORG``) go: the vertical metrics (``vmtx``) stay.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(outlines)
        outlines[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))  # PostScript winds the other way
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    metrics = font["hmtx"].metrics
    for name in order:  # TrueType's left side bearing is the outline's leftmost point
        glyphs[name].recalcBounds(glyf)
        metrics[name] = (metrics[name][0], getattr(glyphs[name], "xMin", 0))
    maxp = newTable("maxp")  # version 1.0, for TrueType outlines; the counts are computed on saving
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def embed_fonts(parts: dict[str, bytes], fonts_dir: Path, *, cache_dir: Path | None = None,
                face_table: dict | None = None) -> None:
    """Subset font parts for the faces the document uses, replacing any embedded before.

    The house faces are subset to the document's characters and
    :data:`BASE_CHARACTERS`; the script faces of the catalogue that the
    styles name (:func:`apply_scripts`) to the characters of the runs they
    set (:func:`script_characters`) and :data:`SCRIPT_BASE_CHARACTERS`.
    ``face_table``: (family, bold, italic) -> file, the house faces and a theme's (absolute paths).
    """
    from . import fonts

    faces, characters, scripts = _font_use(parts, face_table)
    characters = characters | BASE_CHARACTERS
    wanted: dict[tuple[str, bool, bool], tuple[Path, set[str] | frozenset[str]]] = {
        key: (fonts_dir / file_name, characters) for key, file_name in _face_files(faces, face_table).items()}
    catalogue = _catalogue_faces()
    if scripts and NUMBERING in parts:  # bullets and the punctuation of list numbers, in a script's runs
        numbering = {c for text in _parse(parts[NUMBERING]).iter(w("lvlText"))
                     for c in re.sub(r"%\d", "", text.get(w("val"), ""))}
    else:
        numbering = set()
    for (family, bold), text in scripts.items():
        face = catalogue.get((family, bold)) or catalogue[(family, False)]
        wanted[(family, face.weight >= 600, False)] = (
            fonts.face_file(face), text | numbering | SCRIPT_BASE_CHARACTERS | SCRIPT_REPERTOIRES.get(family, set()))

    font_table = _parse(parts[FONT_TABLE])
    entries = {font.get(w("name")): font for font in font_table.findall(w("font"))}
    for font in entries.values():
        for embed in [child for child in font if _local(child).startswith("embed")]:
            font.remove(embed)
    for name in [name for name in parts if re.fullmatch(r"word/fonts/[^/]+\.odttf", name)]:
        del parts[name]

    rels = etree.Element(f"{{{PKG_RELS_NS}}}Relationships", nsmap={None: PKG_RELS_NS})
    number = 0
    for family in sorted({family for family, _, _ in wanted}):
        entry = entries.get(family)
        if entry is None:
            raise DocxFinishError(f"the font table has no entry for {family} (the reference document adds it)")
        for (bold, italic), element in EMBED_ELEMENTS.items():
            if (family, bold, italic) not in wanted:
                continue
            font_file, subset_characters = wanted[(family, bold, italic)]
            number += 1
            subset = subset_font(font_file, subset_characters, cache_dir)
            key = font_key(subset)
            target = f"fonts/font{number}.odttf"
            parts[f"word/{target}"] = obfuscate(subset, key)
            rel_id = f"rId{number}"
            etree.SubElement(rels, f"{{{PKG_RELS_NS}}}Relationship",
                             {"Id": rel_id, "Type": FONT_REL_TYPE, "Target": target})
            entry.append(etree.Element(w(element), {f"{{{R_NS}}}id": rel_id, w("fontKey"): key,
                                                    w("subsetted"): "1"}))
    parts[FONT_TABLE] = _serialize(font_table)
    if number:
        parts[FONT_TABLE_RELS] = _serialize(rels)
        types = _parse(parts[CONTENT_TYPES])
        defaults = types.findall(f"{{{CONTENT_TYPES_NS}}}Default")
        if not any((d.get("Extension") or "").lower() == "odttf" for d in defaults):
            default = etree.Element(f"{{{CONTENT_TYPES_NS}}}Default",
                                    {"Extension": "odttf", "ContentType": OBFUSCATED_FONT_CONTENT_TYPE})
            if defaults:
                defaults[-1].addnext(default)
            else:
                types.insert(0, default)
            parts[CONTENT_TYPES] = _serialize(types)
    else:
        parts.pop(FONT_TABLE_RELS, None)


# --------------------------------------------------------------------------
# Scripts: the brief's faces, languages, direction and emphasis for every script


# Schema order of the children of the properties this module adds to (ECMA-376 Part 1: CT_RPr, CT_PPr,
# CT_TblPr, CT_SectPr): Word refuses a package whose elements are out of order.
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
             "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w",
             "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
             "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
             "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
             "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
               "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
               "tblCaption", "tblDescription", "tblPrChange")
SECTPR_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
                "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
                "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")

# Font groups of pipeline/fonts.py that Word sets in the complex-script slot of a run (w:cs: right-to-left
# scripts and the Indic and South-East Asian ones) and in its East Asian slot (w:eastAsia).
COMPLEX_GROUPS = ("arabic", "urdu", "hebrew", "devanagari", "thai")
EAST_ASIAN_GROUPS = ("cjk-sc", "cjk-tc", "cjk-jp", "cjk-kr")
COMPLEX_SCRIPTS = ("arabic", "hebrew", "devanagari", "thai")  # fonts.script_of of the characters in w:cs faces
EAST_ASIAN_SCRIPTS = ("han", "kana", "hangul")
HOUSE_ROLES = {"EB Garamond": "serif", "Inter": "sans"}  # the house family a style names -> the role of its face
HOUSE_FACES_BY_ROLE = {role: family for family, role in HOUSE_ROLES.items()}

# The languages Word knows (its proofing tools and its choice of glyph forms go by them): a brief's
# language without a region gets the one Word uses for it; a group's default when only the characters of
# another language are in the brief.
WORD_LANGUAGES = {"zh": "zh-CN", "zh-hans": "zh-CN", "zh-hant": "zh-TW", "ja": "ja-JP", "ko": "ko-KR",
                  "ar": "ar-SA", "fa": "fa-IR", "ur": "ur-PK", "ps": "ps-AF", "ckb": "ku-Arab-IQ", "he": "he-IL",
                  "yi": "yi-001", "hi": "hi-IN", "mr": "mr-IN", "ne": "ne-NP", "sa": "sa-IN", "th": "th-TH"}
GROUP_LANGUAGES = {"arabic": "ar-SA", "urdu": "ur-PK", "hebrew": "he-IL", "devanagari": "hi-IN", "thai": "th-TH",
                   "cjk-sc": "zh-CN", "cjk-tc": "zh-TW", "cjk-jp": "ja-JP", "cjk-kr": "ko-KR"}
# The Windows character set Word records for a face of each group (w:charset): with the face missing and
# not embedded, Word substitutes one of the same script.
GROUP_CHARSETS = {"arabic": "B2", "urdu": "B2", "hebrew": "B1", "devanagari": "00", "thai": "DE",
                  "cjk-sc": "86", "cjk-tc": "88", "cjk-jp": "80", "cjk-kr": "81"}
# Kept in every subset of a script face besides the text it sets: what Word and LibreOffice draw in it on
# their own in a right-to-left or East Asian run (page and note numbers, list numbers, their punctuation).
SCRIPT_BASE_CHARACTERS = frozenset(" \u00a0.,:;()[]-/%\u2013\u2014" + "0123456789")
# And in a script face that sets Latin text (a CJK brief's): ASCII, for what an editor types and for the
# letters of the author footnotes.
LATIN_BASE_CHARACTERS = frozenset(chr(code) for code in range(0x20, 0x7F))


def _characters(*ranges: tuple[int, int]) -> frozenset[str]:
    return frozenset(chr(code) for first, last in ranges for code in range(first, last + 1))


# The letters, marks, digits and punctuation of a script that every subset of its face keeps, where that
# costs little (10-25 KB a face once compressed): an editor can type in the brief's script with the
# embedded face alone, and briefs in one script share a subset of it (LibreOffice keeps the first
# embedded file of a face for its whole session, see BASE_CHARACTERS). Urdu's Nastaliq and the
# Devanagari faces would cost 80-170 KB (their contextual forms and conjuncts), the CJK faces megabytes:
# they keep the document's characters only.
_ARABIC_LETTERS = _characters((0x060C, 0x060C), (0x061B, 0x061B), (0x061F, 0x063A), (0x0640, 0x0652),
                              (0x0660, 0x066C), (0x0670, 0x0670), (0x067E, 0x067E), (0x0686, 0x0686),
                              (0x0698, 0x0698), (0x06A9, 0x06A9), (0x06AF, 0x06AF), (0x06CC, 0x06CC),
                              (0x06F0, 0x06F9))
SCRIPT_REPERTOIRES = {
    "Noto Naskh Arabic": _ARABIC_LETTERS,
    "Noto Sans Arabic": _ARABIC_LETTERS | _characters((0x0679, 0x0679), (0x0688, 0x0688), (0x0691, 0x0691),
                                                      (0x06BA, 0x06BA), (0x06BE, 0x06BE), (0x06C1, 0x06C1),
                                                      (0x06C3, 0x06C3), (0x06D2, 0x06D4)),  # and Urdu's
    "Noto Serif Hebrew": _characters((0x0591, 0x05F4)),
    "Noto Sans Hebrew": _characters((0x0591, 0x05F4)),
    "Noto Serif Thai": _characters((0x0E01, 0x0E5B)),
    "Noto Sans Thai": _characters((0x0E01, 0x0E5B)),
}


def _catalogue_faces() -> dict[tuple[str, bool], object]:
    """(family name, bold) -> catalogue face, for the faces a DOCX can name besides the house's."""
    from . import fonts

    found: dict[tuple[str, bool], object] = {}
    for group in (*COMPLEX_GROUPS, *EAST_ASIAN_GROUPS):
        for face in fonts.SCRIPTS[group]:
            found.setdefault((face.name, face.weight >= 600), face)
    return found


class _ScriptPlan:
    """What a brief's scripts ask of its DOCX: the faces of the w:cs and w:eastAsia slots, its languages."""

    def __init__(self, meta):
        from . import fonts

        scripts = list(meta.scripts)
        self.language = meta.language
        self.right_to_left = meta.direction == "rtl"
        self.complex = next((group for group in scripts if group in COMPLEX_GROUPS), None)
        self.east_asian = next((group for group in scripts if group in EAST_ASIAN_GROUPS), None)
        # The script of the brief's own language: its emphasis is upright and it is not letter-spaced, as
        # in the PDF and the EPUB (templates/css: ":lang(ar) em" and the like).
        own = fonts.scripts_needed("", meta.language)
        self.own = own[0] if own and own[0] in (*COMPLEX_GROUPS, *EAST_ASIAN_GROUPS) else None

    @property
    def active(self) -> bool:
        return bool(self.complex or self.east_asian or self.right_to_left)

    @staticmethod
    def face(group: str, role: str):
        from . import fonts

        return next(face for face in fonts.SCRIPTS[group] if face.role == role and face.weight == 400)

    def names(self, slot: str, role: str) -> str | None:
        group = self.complex if slot == "cs" else self.east_asian
        return self.face(group, role).name if group else None

    def groups(self) -> list[str]:
        return [group for group in (self.complex, self.east_asian) if group]

    def bidi_language(self) -> str | None:
        if not self.complex:
            return None
        return word_language(self.language) if self.own == self.complex else GROUP_LANGUAGES[self.complex]

    def east_asian_language(self) -> str | None:
        if not self.east_asian:
            return None
        return word_language(self.language) if self.own == self.east_asian else GROUP_LANGUAGES[self.east_asian]


def word_language(tag: str) -> str:
    """A BCP 47 tag as Word names the language: zh-Hans -> zh-CN, ja -> ja-JP, ar -> ar-SA; a region kept."""
    pieces = tag.replace("_", "-").split("-")
    region = next((piece for piece in pieces[1:] if len(piece) == 2 and piece.isalpha()
                   or len(piece) == 3 and piece.isdigit()), None)
    if region:
        return f"{pieces[0].lower()}-{region.upper()}"
    return WORD_LANGUAGES.get(tag.lower()) or WORD_LANGUAGES.get(pieces[0].lower()) or tag


def apply_scripts(parts: dict[str, bytes], document, body_root: etree._Element | None = None) -> None:
    """The brief's scripts in the styles, the font table and the text (nothing changes for a Latin brief).

    ``body_root``: word/document.xml's root when the caller holds it parsed
    (it is changed in place and not serialised); otherwise the part is.

    * **fonts**: each style naming a house face names the brief's
      complex-script face of the same role in ``w:cs`` (Arabic, Urdu,
      Hebrew, Devanagari, Thai) and its CJK face in ``w:eastAsia``, in
      place of the theme fonts (``w:cstheme``, ``w:eastAsiaTheme``, which
      would override them), with font-table entries for them; a brief in
      Chinese, Japanese or Korean names its CJK face for Latin text as well;
    * **languages** (``w:lang``) Word knows: ``zh-CN``, ``ja-JP``, ``ar-SA``;
    * **emphasis**: scripts without italics never get a slanted face: a
      complex-script run's italic (``w:iCs``) becomes bold (``w:bCs``);
      in a brief whose own language is written in such a script, every
      emphasis is upright and bold, the italic styles are upright and no
      style is letter-spaced, as in the PDF; East Asian characters in an
      italic run of another brief are set bold in a run of their own;
    * **line pitch**: a Chinese, Japanese or Korean brief's text styles
      set their lines at least 1.7 times the type size apart, an Urdu
      brief's 2.1 times, as the PDF does (:data:`LINE_PITCHES`);
    * **right to left**: every paragraph (title block, headings, notes,
      header and footer, table cells) ``w:bidi``, tables ``w:bidiVisual``,
      the sections ``w:bidi``, paragraph rules on the side where lines
      start (a border is not mirrored by ``w:bidi``), and Latin words,
      web addresses and numbers within them in left-to-right runs of their
      own (``w:rtl`` makes "all characters complex script" and is not
      defined for strong left-to-right text);
    * **fallback**: the characters of complex-script text that its face
      lacks (Noto Naskh Arabic has no brackets or Latin quotation marks,
      the Hebrew faces no digits) in the house face of the run (a
      character style naming it in ``w:cs``), as the PDF's font lists fall
      back to it, never to a font of the reader's machine.
    """
    plan = _ScriptPlan(document.meta)
    if not plan.active:
        return
    styles = _parse(parts[STYLES])
    _style_fonts(styles, plan)
    _style_languages(styles, plan)
    _style_emphasis(styles, plan)
    if plan.right_to_left:
        _mirror_borders(styles)
    if plan.own in LINE_PITCHES:
        _taller_lines(styles, parts.get(THEME), LINE_PITCHES[plan.own])
    parts[STYLES] = _serialize(styles)
    _font_table_entries(parts, plan)
    fallback = _HouseFallback(parts) if plan.complex else None
    if plan.complex and NUMBERING in parts:
        _bullets_in_house_face(parts)
    for name in _text_part_names(parts):
        root = body_root if name == DOCUMENT and body_root is not None else _parse(parts[name])
        if plan.right_to_left:
            _right_to_left_part(root)
        _emphasis_runs(root, plan)
        if fallback:
            fallback(root)
        if root is not body_root:
            parts[name] = _serialize(root)
    if fallback and fallback.used:
        for family in sorted(fallback.used):
            styles.append(_fallback_style(family))
        parts[STYLES] = _serialize(styles)


def _text_part_names(parts: dict[str, bytes]) -> list[str]:
    return [name for name in sorted(parts) if name in (DOCUMENT, FOOTNOTES, ENDNOTES)
            or re.fullmatch(r"word/(header|footer)\d+\.xml", name)]


def _put(parent: etree._Element, name: str, order: tuple[str, ...], **attributes: str) -> etree._Element:
    """The child ``name`` of ``parent``, added in schema order when missing; ``attributes`` set on it."""
    element = parent.find(w(name))
    if element is None:
        element = etree.Element(w(name))
        rank = order.index(name)
        later = next((child for child in parent if _local(child) in order and order.index(_local(child)) > rank),
                     None)
        if later is not None:
            later.addprevious(element)
        else:
            parent.append(element)
    for key, value in attributes.items():
        element.set(w(key), value)
    return element


def _run_properties(run: etree._Element) -> etree._Element:
    properties = run.find(w("rPr"))
    if properties is None:
        properties = etree.Element(w("rPr"))
        run.insert(0, properties)
    return properties


def _is_on(element: etree._Element | None) -> bool:
    return element is not None and element.get(w("val"), "true") not in ("0", "false", "off")


def _style_properties(styles: etree._Element) -> list[etree._Element]:
    """Every run-properties element of the styles: defaults, styles, table styles' conditional parts."""
    found = list(styles.iterfind(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}"))
    for style in styles.iter(w("style")):
        found += style.findall(w("rPr")) + style.findall(f"{w('tblStylePr')}/{w('rPr')}")
    return found


def _style_fonts(styles: etree._Element, plan: _ScriptPlan) -> None:
    for properties in _style_properties(styles):
        fonts = properties.find(w("rFonts"))
        if fonts is None:
            continue
        role = HOUSE_ROLES.get(fonts.get(w("ascii")) or fonts.get(w("hAnsi")) or "")
        if role is None:
            continue
        for slot, theme in (("cs", "cstheme"), ("eastAsia", "eastAsiaTheme")):
            name = plan.names(slot, role)
            if name:
                fonts.set(w(slot), name)
                fonts.attrib.pop(w(theme), None)
        if plan.own in EAST_ASIAN_GROUPS:
            # A Chinese, Japanese or Korean brief sets its Latin letters, digits and punctuation in its CJK
            # face too, as the PDF does (the face leads its font lists): one face for the whole text.
            for slot in ("ascii", "hAnsi"):
                fonts.set(w(slot), plan.names("eastAsia", role))
                fonts.attrib.pop(w(f"{slot}Theme"), None)


def _style_languages(styles: etree._Element, plan: _ScriptPlan) -> None:
    defaults = styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")
    if defaults is None:
        return
    language = _put(defaults, "lang", RPR_ORDER)
    for attribute, value in (("bidi", plan.bidi_language()), ("eastAsia", plan.east_asian_language())):
        if value:
            language.set(w(attribute), value)


def _style_emphasis(styles: etree._Element, plan: _ScriptPlan) -> None:
    """Bold and size for complex-script text wherever a style sets them for other text; no slanted
    complex-script text; in a brief of a script without italics, no italic and no letter-spacing at all."""
    for properties in _style_properties(styles):
        if plan.complex:
            for toggle, complex_toggle in (("b", "bCs"), ("sz", "szCs")):
                element = properties.find(w(toggle))
                if element is not None and properties.find(w(complex_toggle)) is None:
                    _put(properties, complex_toggle, RPR_ORDER, **{k.split("}")[1]: v for k, v in element.attrib.items()})
            if _is_on(properties.find(w("iCs"))):
                properties.remove(properties.find(w("iCs")))
        if plan.own:
            for name in ("i", "iCs"):
                if _is_on(properties.find(w(name))):
                    properties.remove(properties.find(w(name)))
            spacing = properties.find(w("spacing"))
            if spacing is not None:
                properties.remove(spacing)


# Line pitch (times the type size) of the text of a brief in these scripts, as templates/css/brief.css
# sets it: ":lang(zh), :lang(ja), :lang(ko) { line-height: 1.7 }", ":lang(ur) { line-height: 2.1 }" (Urdu's
# Nastaliq stacks its letters diagonally).
LINE_PITCHES = {"cjk-sc": 1.7, "cjk-tc": 1.7, "cjk-jp": 1.7, "cjk-kr": 1.7, "urdu": 2.1}
TEXT_SIZE_PT = 12  # styles up to this size set text (body, lists, notes, captions); larger ones headings


def _taller_lines(styles: etree._Element, theme_xml: bytes | None, factor: float) -> None:
    """Text styles' exact line pitch at least ``factor`` times their type size."""
    sizes = _Styles(_serialize(styles), theme_xml)
    for style in styles.iter(w("style")):
        spacing = style.find(f"{w('pPr')}/{w('spacing')}")
        if style.get(w("type")) != "paragraph" or spacing is None or spacing.get(w("lineRule")) != "exact":
            continue
        size = sizes.size_of(style.get(w("styleId")), None)
        if size <= TEXT_SIZE_PT:
            pitch = round(size * factor * 20)
            if _twips(spacing.get(w("line"))) < pitch:
                spacing.set(w("line"), str(pitch))


def _mirror_borders(styles: etree._Element) -> None:
    """Paragraph rules (the block quotation's) on the side where right-to-left lines start.

    ``w:bidi`` mirrors a paragraph's indents, alignment and tabs but not its
    borders (ECMA-376 Part 1, 17.3.1.6), in Word and LibreOffice alike.
    """
    for borders in styles.iter(w("pBdr")):
        left, right = borders.find(w("left")), borders.find(w("right"))
        if left is not None:
            left.tag = w("right")
        if right is not None:
            right.tag = w("left")
        # CT_PBdr order: top, left, bottom, right, between, bar
        order = ("top", "left", "bottom", "right", "between", "bar")
        for child in sorted(borders, key=lambda child: order.index(_local(child)) if _local(child) in order else 9):
            borders.append(child)


def _font_table_entries(parts: dict[str, bytes], plan: _ScriptPlan) -> None:
    """A font-table entry for each script face the styles name: its PANOSE class, character set and
    Unicode and code-page ranges (from the font's OS/2 table), for matching and substitution."""
    from . import fonts

    table = _parse(parts[FONT_TABLE])
    present = {font.get(w("name")) for font in table.findall(w("font"))}
    for group in plan.groups():
        for role in ("serif", "sans"):
            face = plan.face(group, role)
            if face.name in present:
                continue
            present.add(face.name)
            table.append(_font_entry(face.name, fonts.face_file(face), GROUP_CHARSETS[group], role))
    parts[FONT_TABLE] = _serialize(table)


def _font_entry(name: str, font_file: Path, charset: str, role: str) -> etree._Element:
    """A font-table entry: the face's PANOSE class, character set and Unicode and code-page ranges (from
    its OS/2 table), for matching and substitution."""
    entry = etree.Element(w("font"), {w("name"): name})
    os2 = _os2(font_file)
    panose = os2.panose
    etree.SubElement(entry, w("panose1"), {w("val"): "".join(
        f"{getattr(panose, field):02X}" for field in (
            "bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast", "bStrokeVariation",
            "bArmStyle", "bLetterForm", "bMidline", "bXHeight"))})
    etree.SubElement(entry, w("charset"), {w("val"): charset})
    etree.SubElement(entry, w("family"), {w("val"): "roman" if role == "serif" else "swiss"})
    etree.SubElement(entry, w("pitch"), {w("val"): "variable"})
    etree.SubElement(entry, w("sig"), {
        w("usb0"): f"{os2.ulUnicodeRange1:08X}", w("usb1"): f"{os2.ulUnicodeRange2:08X}",
        w("usb2"): f"{os2.ulUnicodeRange3:08X}", w("usb3"): f"{os2.ulUnicodeRange4:08X}",
        w("csb0"): f"{os2.ulCodePageRange1:08X}", w("csb1"): f"{os2.ulCodePageRange2:08X}"})
    return entry


def _os2(path: Path):
    from fontTools.ttLib import TTFont

    return TTFont(str(path), lazy=True)["OS/2"]


def _right_to_left_part(root: etree._Element) -> None:
    """Every paragraph, table and section of a part right to left; left-to-right words in runs of their own."""
    for paragraph in root.iter(w("p")):
        properties = paragraph.find(w("pPr"))
        if properties is None:
            properties = etree.Element(w("pPr"))
            paragraph.insert(0, properties)
        bidi = _put(properties, "bidi", PPR_ORDER)
        bidi.attrib.pop(w("val"), None)
    for table in root.iter(w("tbl")):
        properties = table.find(w("tblPr"))
        if properties is None:
            properties = etree.Element(w("tblPr"))
            table.insert(0, properties)
        _put(properties, "bidiVisual", TBLPR_ORDER)
    for section in root.iter(w("sectPr")):
        _put(section, "bidi", SECTPR_ORDER)
    for run in list(root.iter(w("r"))):
        text = _run_text(run)
        if "R" in _bidi_classes(text):  # the text the pipeline adds (the Notes heading) as pandoc's
            _put(_run_properties(run), "rtl", RPR_ORDER)
        if _is_on(run.find(f"{w('rPr')}/{w('rtl')}")):
            _isolate_left_to_right(run)


def _bidi_classes(text: str) -> str:
    """One letter per character: L strong left-to-right, R right-to-left (and Arabic digits), N European
    digits, S white space, O other (neutral and weak)."""
    import unicodedata

    def letter(character: str) -> str:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "L"
        if kind in ("R", "AL", "AN"):
            return "R"
        if kind == "EN":
            return "N"
        return "S" if kind == "WS" else "O"

    return "".join(letter(character) for character in text)


# A left-to-right stretch: from a strong left-to-right character to the last one (or the last digit of a
# number or web address glued to it), over the spaces between left-to-right words; never over
# right-to-left characters. Punctuation at its ends stays with the right-to-left text around it.
LEFT_TO_RIGHT = re.compile(r"L[LNO]*(?:S+L[LNO]*)*")


def _left_to_right_spans(text: str) -> list[tuple[int, int]]:
    classes = _bidi_classes(text)
    spans = []
    for match in LEFT_TO_RIGHT.finditer(classes):
        start, end = match.span()
        while classes[end - 1] == "O":
            end -= 1
        spans.append((start, end))
    return spans


def _isolate_left_to_right(run: etree._Element) -> None:
    """A right-to-left run's Latin words (names, titles, web addresses) in left-to-right runs of their own."""
    texts = [child for child in run if _local(child) != "rPr"]
    if len(texts) != 1 or _local(texts[0]) != "t":
        return
    text = texts[0].text or ""
    spans = _left_to_right_spans(text)
    if not spans:
        return
    pieces, position = [], 0
    for start, end in spans:
        if start > position:
            pieces.append((text[position:start], True))
        pieces.append((text[start:end], False))
        position = end
    if position < len(text):
        pieces.append((text[position:], True))
    _split_run(run, pieces, lambda properties, right_to_left: None if right_to_left else _drop(properties, "rtl"))


def _drop(properties: etree._Element, name: str) -> None:
    element = properties.find(w(name))
    if element is not None:
        properties.remove(element)


def _split_run(run: etree._Element, pieces: list[tuple[str, object]], adjust) -> None:
    """``run`` (properties and one w:t) as one run per piece of its text, ``adjust(rPr, key)`` on each."""
    for text, key in pieces:
        piece = _copy(run)
        element = piece.find(w("t"))
        element.text = text
        if text != text.strip() or "  " in text:
            element.set(XML_SPACE, "preserve")
        properties = _run_properties(piece)
        adjust(properties, key)
        if len(properties) == 0:
            piece.remove(properties)
        run.addprevious(piece)
    run.getparent().remove(run)


def _emphasis_runs(root: etree._Element, plan: _ScriptPlan) -> None:
    """Italic runs in scripts without italics: bold instead (see :func:`apply_scripts`)."""
    from . import fonts

    for run in list(root.iter(w("r"))):
        properties = run.find(w("rPr"))
        if properties is None:
            continue
        italic, complex_italic = properties.find(w("i")), properties.find(w("iCs"))
        if plan.own and (_is_on(italic) or _is_on(complex_italic)):
            for element, bold in ((italic, "b"), (complex_italic, "bCs")):
                if _is_on(element):
                    properties.remove(element)
                    _put(properties, bold, RPR_ORDER).attrib.pop(w("val"), None)
            continue
        if plan.complex and _is_on(complex_italic):
            properties.remove(complex_italic)
            _put(properties, "bCs", RPR_ORDER).attrib.pop(w("val"), None)
        if plan.east_asian and _is_on(italic):
            texts = [child for child in run if _local(child) != "rPr"]
            if len(texts) != 1 or _local(texts[0]) != "t":
                continue
            text = texts[0].text or ""
            keys = [fonts.script_of(character) in EAST_ASIAN_SCRIPTS for character in text]
            if not any(keys):
                continue
            _split_run(run, _runs_of_keys(text, keys), _upright_bold)


def _bullets_in_house_face(parts: dict[str, bytes]) -> None:
    """List bullets of complex-script paragraphs in the house text face: a right-to-left list's bullet is
    set in the paragraph's complex-script face, and the Arabic, Hebrew and Thai faces have no bullets."""
    root = _parse(parts[NUMBERING])
    for level in root.iter(w("lvl")):
        number_format, text = level.find(w("numFmt")), level.find(w("lvlText"))
        if number_format is None or number_format.get(w("val")) != "bullet" or text is None \
                or text.get(w("val")) not in BULLETS:
            continue
        properties = level.find(w("rPr"))
        if properties is None:
            properties = etree.SubElement(level, w("rPr"))  # the last child of CT_Lvl
        _put(properties, "rFonts", RPR_ORDER, cs=HOUSE_FACES_BY_ROLE["serif"])
    parts[NUMBERING] = _serialize(root)


# Character styles that set complex-script text in a house face (w:rFonts w:cs), by family.
FALLBACK_STYLES = {"EB Garamond": ("FallbackSerif", "Fallback Serif"), "Inter": ("FallbackSans", "Fallback Sans")}


def _fallback_style(family: str) -> etree._Element:
    style_id, name = FALLBACK_STYLES[family]
    style = etree.Element(w("style"), {w("type"): "character", w("customStyle"): "1", w("styleId"): style_id})
    etree.SubElement(style, w("name"), {w("val"): name})
    etree.SubElement(style, w("basedOn"), {w("val"): "DefaultParagraphFont"})
    etree.SubElement(style, w("uiPriority"), {w("val"): "99"})
    etree.SubElement(style, w("semiHidden"))
    etree.SubElement(etree.SubElement(style, w("rPr")), w("rFonts"), {w("cs"): family})
    return style


class _HouseFallback:
    """Puts the characters of complex-script runs that their script face lacks in the run's house face.

    The pieces get the character style of their house face
    (:data:`FALLBACK_STYLES`), so the look stays in the styles; a run that
    already has a character style (a hyperlink's) gets the face directly.
    ``used``: the house families the styles are needed for.
    """

    def __init__(self, parts: dict[str, bytes]):
        self.styles = _Styles(parts[STYLES], parts.get(THEME))
        self.catalogue = _catalogue_faces()
        self.used: set[str] = set()

    @staticmethod
    def cmap(face) -> frozenset[int]:
        from . import fonts

        return fonts.file_cmap(fonts.face_file(face))

    def __call__(self, root: etree._Element) -> None:
        import unicodedata

        from . import fonts

        complex_paragraphs = {paragraph for paragraph in root.iter(w("p"))
                              if _is_on(paragraph.find(f"{w('pPr')}/{w('bidi')}"))
                              or any(fonts.script_of(c) in COMPLEX_SCRIPTS for c in _paragraph_text(paragraph))}
        for paragraph_style, run in list(_runs_with_paragraph_style(root)):
            texts = [child for child in run if _local(child) != "rPr"]
            if len(texts) != 1 or _local(texts[0]) != "t":
                continue
            text = texts[0].text or ""
            direct = run.find(w("rPr"))
            complex_run = direct is not None and (_is_on(direct.find(w("rtl"))) or _is_on(direct.find(w("cs"))))
            # Besides a complex-script run's characters, LibreOffice sets those of a run of neutral characters
            # (brackets, digits) in a complex-script paragraph in the complex-script face too, by their
            # neighbours; in a run with Latin letters (a web address) they go with the letters.
            if not complex_run and (_nearest_paragraph(run) not in complex_paragraphs
                                    or "L" in _bidi_classes(text)):
                continue
            face = self.catalogue.get((self.styles.slot_family(paragraph_style, run, "cs"),
                                       self.styles.toggle_of(paragraph_style, run, "bCs")))
            house = self.styles.face(paragraph_style, run)[0]  # the face of its Latin text
            if face is None or house not in FALLBACK_STYLES:
                continue
            cmap = self.cmap(face)
            missing = [not (c.isspace() or unicodedata.category(c) == "Cf" or ord(c) in cmap) for c in text]
            if not any(missing):
                continue
            pieces = _runs_of_keys(text, missing)
            if direct is None or direct.find(w("rStyle")) is None:
                self.used.add(house)
            _split_run(run, pieces, functools.partial(_in_house_face, house=house))


def fall_back_to_house_faces(parts: dict[str, bytes], document, face_table: dict, fonts_dir: Path,
                             body_root: etree._Element | None = None) -> None:
    """Characters a run's face lacks, in the face the PDF's font list draws them from.

    A theme's body (or heading) font may cover less than the brief uses
    (an organisation's Latin face without "ł" or "→"), and EB Garamond has
    no "✓" or "☐". The PDF then draws those characters from the next face of
    its font list that has them (:func:`pipeline.fonts.stacks`: the brief's
    own script, the theme's and the house face of the role, the same for the
    other role, the faces of other scripts, the Noto faces for more Latin and
    for symbols); here they become runs of their own naming that face (in
    ``w:cs`` too: Word and LibreOffice set right-to-left text there), which
    is then embedded with them (``face_table`` gains its files), so that Word
    and LibreOffice do not pick a face of the reader's machine. A letter and
    its combining marks move together. Characters of complex and East Asian
    scripts are left alone: the run's ``w:cs`` and ``w:eastAsia`` faces set
    them (:func:`apply_scripts`). Only runs in a house or theme face are
    looked at (a Chinese brief's Latin text is in its CJK face already).
    """
    roles: dict[str, set[str]] = {family: {role} for family, role in HOUSE_ROLES.items()}
    for face in getattr(document.meta.identity, "fonts", None) or ():
        roles.setdefault(face.family, set()).add(face.role)
    fallback = _FallbackFaces(roles, face_table, fonts_dir, list(document.meta.scripts), document.meta.language)
    styles = _Styles(parts[STYLES], parts.get(THEME))
    for name in _text_part_names(parts):
        root = body_root if name == DOCUMENT and body_root is not None else _parse(parts[name])
        changed = False
        for paragraph_style, run in list(_runs_with_paragraph_style(root)):
            texts = [child for child in run if _local(child) != "rPr"]
            if len(texts) != 1 or _local(texts[0]) != "t" or not texts[0].text \
                    or fallback.every_face_has(texts[0].text):
                continue
            family, bold, italic = styles.face(paragraph_style, run)
            if family not in roles:
                continue
            # a theme family in both roles: the role of the run's style in the house reference document
            if len(roles[family]) == 1:
                (role,) = roles[family]
            else:
                house_styles = _house_styles(fonts_dir)
                role = HOUSE_ROLES.get(house_styles.face(paragraph_style, run)[0], "serif") if house_styles \
                    else "serif"
            pieces = fallback.pieces(texts[0].text, family, role, bold, italic)
            if pieces:
                _split_run(run, pieces, _in_face)
                changed = True
        if changed and root is not body_root:
            parts[name] = _serialize(root)
    if fallback.used:
        table = _parse(parts[FONT_TABLE])
        present = {font.get(w("name")) for font in table.findall(w("font"))}
        for family in sorted(fallback.used - present):
            charset, role = fallback.font_class(family)
            table.append(_font_entry(family, fonts_dir / face_table[(family, False, False)], charset, role))
        parts[FONT_TABLE] = _serialize(table)


@functools.cache
def _house_styles(fonts_dir: Path) -> _Styles | None:
    """The styles of the project's reference document (templates/docx), which name the house families."""
    import zipfile

    try:
        parts = read_docx_parts(fonts_dir.parent / "docx" / "reference.docx")
        return _Styles(parts[STYLES], parts.get(THEME))
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def _runs_of_keys(text: str, keys: list) -> list[tuple[str, object]]:
    """``text`` cut where the key of its characters (``keys``, one each) changes: (piece, key) pairs."""
    pieces, start = [], 0
    for index in range(1, len(text) + 1):
        if index == len(text) or keys[index] != keys[start]:
            pieces.append((text[start:index], keys[start]))
            start = index
    return pieces


def _clusters(text: str) -> list[str]:
    """``text`` as characters with the combining marks, variation selectors and joined characters that
    follow them (what a renderer draws from one face)."""
    import unicodedata

    clusters: list[str] = []
    for char in text:
        joins = clusters and (unicodedata.category(char) in ("Mn", "Mc", "Me") or "\ufe00" <= char <= "\ufe0f"
                              or char == "\u200d" or clusters[-1].endswith("\u200d"))
        if joins:
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


class _FallbackFaces:
    """Which characters of a run in a house or theme face go to which other face, in the order of the
    PDF's font lists (:func:`fall_back_to_house_faces`). ``used``: the families given characters; their
    files join ``face_table`` (for the page estimate and the embedding)."""

    def __init__(self, roles: dict[str, set[str]], face_table: dict, fonts_dir: Path, scripts: list[str],
                 language: str):
        from . import fonts

        self.face_table, self.fonts_dir = face_table, fonts_dir
        themes = {role: [family for family, family_roles in roles.items()
                         if family not in HOUSE_ROLES and role in family_roles] for role in ("serif", "sans")}
        # the catalogue's faces by DOCX family (their own name); none that a theme's family shadows
        faces = fonts.faces_for(scripts)
        self.catalogue: dict[str, list] = {}
        for face in faces:
            if face.folder != "house" and face.name not in roles:
                self.catalogue.setdefault(face.name, []).append(face)
        by_css = {face.css_family: face.name for face in faces}
        self.order: dict[str, list[str]] = {}
        for role, stack in fonts.stacks(faces, scripts, language).items():
            names: list[str] = []
            for css_family in stack:
                name = by_css[css_family]
                if name in HOUSE_ROLES:  # the theme's face of that role goes before the house one
                    names += themes[HOUSE_ROLES[name]]
                if name in HOUSE_ROLES or name in self.catalogue:
                    names.append(name)
            self.order[role] = list(dict.fromkeys(names))
        self.groups = {face.name: group for group, faces in fonts.SCRIPTS.items() for face in faces}
        self.used: set[str] = set()
        # the characters every house and theme face has: a run of them needs no look at its style (most runs)
        self.common = frozenset.intersection(*(fonts.file_cmap(self.fonts_dir / file_name)
                                               for (family, _, _), file_name in face_table.items()
                                               if family in roles))

    def every_face_has(self, text: str) -> bool:
        return all(ord(char) in self.common for char in text)

    def _cmap(self, file_name: str) -> frozenset[int]:
        from . import fonts

        return fonts.file_cmap(self.fonts_dir / file_name)

    def _file(self, family: str, bold: bool, italic: bool) -> str | None:
        """The face's file, or the one a renderer synthesises it from (a catalogue face's joins the table)."""
        from . import fonts

        for face in self.catalogue.get(family, ()):
            key = (family, face.weight >= 600, face.style == "italic")
            if key not in self.face_table:
                self.face_table[key] = str(fonts.face_file(face))
        for key in ((family, bold, italic), (family, bold, False), (family, False, italic), (family, False, False)):
            if key in self.face_table:
                return self.face_table[key]
        return None

    def font_class(self, family: str) -> tuple[str, str]:
        """(w:charset, role) of a family's font-table entry: symbol faces are sans."""
        group = self.groups.get(family)
        if family in HOUSE_ROLES:
            return "00", HOUSE_ROLES[family]
        role = "sans" if group == "symbols" else self.catalogue[family][0].role
        return GROUP_CHARSETS.get(group, "00"), role

    def _face_for(self, cluster: str, own: set[int], candidates: list[str], bold: bool, italic: bool) -> str | None:
        import unicodedata

        from . import fonts

        needed = [ord(char) for char in cluster if not (
            char.isspace() or unicodedata.category(char) == "Cf" or "\ufe00" <= char <= "\ufe0f"
            or fonts.script_of(char) in (*COMPLEX_SCRIPTS, *EAST_ASIAN_SCRIPTS))]
        if not needed or all(code in own for code in needed):
            return None
        for family in candidates:
            file_name = self._file(family, bold, italic)
            if file_name and all(code in self._cmap(file_name) for code in needed):
                return family
        return None

    def pieces(self, text: str, family: str, role: str, bold: bool, italic: bool) -> list[tuple[str, str | None]]:
        """``text`` (in ``family``, a face of ``role``) cut where its face changes, each piece with its
        family (None: the run's own face); empty when the run's face has every character."""
        own_file = self._file(family, bold, italic)
        if own_file is None:
            return []
        candidates = [name for name in self.order[role] if name != family]
        own = self._cmap(own_file)
        keys = []
        for cluster in _clusters(text):
            keys += [self._face_for(cluster, own, candidates, bold, italic)] * len(cluster)
        if not any(keys):
            return []
        self.used.update(key for key in keys if key)
        return _runs_of_keys(text, keys)


def _in_face(properties: etree._Element, family: str | None) -> None:
    """A piece of a split run in ``family`` (text that is neither East Asian nor complex script)."""
    if family is None:
        return
    fonts = _put(properties, "rFonts", RPR_ORDER, ascii=family, hAnsi=family)
    # the piece holds no East Asian character: pandoc's hint would have Word set it in the w:eastAsia face
    for attribute in ("asciiTheme", "hAnsiTheme", "hint"):
        fonts.attrib.pop(w(attribute), None)
    # and in w:cs: Word sets a right-to-left run there, LibreOffice a neutral one (✓) in a right-to-left
    # paragraph too
    fonts.set(w("cs"), family)
    fonts.attrib.pop(w("cstheme"), None)


def _in_house_face(properties: etree._Element, lacking: bool, *, house: str) -> None:
    if not lacking:
        return
    if properties.find(w("rStyle")) is None:
        _put(properties, "rStyle", RPR_ORDER, val=FALLBACK_STYLES[house][0])
    else:
        _put(properties, "rFonts", RPR_ORDER, cs=house)


def _upright_bold(properties: etree._Element, east_asian: bool) -> None:
    if east_asian:
        _drop(properties, "i")
        _put(properties, "b", RPR_ORDER).attrib.pop(w("val"), None)


# --------------------------------------------------------------------------
# Note marks


def join_note_marks(parts: dict[str, bytes]) -> None:
    """A note's number on the line of its text, not on a line of its own.

    The composer's source notes hold a styled Div, so pandoc writes the
    note's mark (``w:endnoteRef``/``w:footnoteRef``) in a paragraph of its
    own before the text's; Word and LibreOffice then show the number alone
    on a line. The mark moves to the start of the next paragraph, followed
    by a tab (endnotes hang their number, Endnote Text style) or a space.
    """
    for name, note_tag, mark_tag, separator in ((ENDNOTES, "endnote", "endnoteRef", "tab"),
                                                (FOOTNOTES, "footnote", "footnoteRef", "space")):
        if name not in parts:
            continue
        root = _parse(parts[name])
        changed = False
        for note in root.findall(w(note_tag)):
            paragraphs = note.findall(w("p"))
            if len(paragraphs) < 2:
                continue
            first, following = paragraphs[0], paragraphs[1]
            marks = [run for run in first.findall(w("r")) if run.find(w(mark_tag)) is not None]
            if len(marks) != 1 or _paragraph_text(first).strip():
                continue
            run = marks[0]
            gap = _tab_run() if separator == "tab" else _text_run(" ")
            anchor = following.find(w("pPr"))
            if anchor is not None:
                anchor.addnext(run)
            else:
                following.insert(0, run)
            run.addnext(gap)
            note.remove(first)
            changed = True
        if changed:
            parts[name] = _serialize(root)


# --------------------------------------------------------------------------
# Tables


def fit_tables(body: etree._Element, text_width: int) -> None:
    """Tables no wider than the text column.

    pandoc sizes a table's grid for its own default page (7920 twips, 5.5
    inches); in the house's narrower column LibreOffice lets such a table
    run into the right margin. Wider grids, and the cell and table widths
    given in twips, are scaled down in proportion.
    """
    for table in body.iter(w("tbl")):
        columns = table.findall(f"{w('tblGrid')}/{w('gridCol')}")
        total = sum(_twips(column.get(w("w"))) for column in columns)
        if total <= text_width:
            continue
        factor = text_width / total
        for column in columns:
            column.set(w("w"), str(int(_twips(column.get(w("w"))) * factor)))
        for width in table.iter(w("tblW"), w("tcW")):
            if width.get(w("type")) == "dxa":
                width.set(w("w"), str(int(_twips(width.get(w("w"))) * factor)))


# --------------------------------------------------------------------------
# Lists


def house_lists(parts: dict[str, bytes]) -> None:
    """Lists as the PDF sets them: bullets (•, ◦, – by level) in the list paragraph's face instead of
    pandoc's symbol fonts, and numbers hanging in a 7 mm indent per level instead of pandoc's half inch."""
    if NUMBERING not in parts:
        return
    root = _parse(parts[NUMBERING])
    for level in root.iter(w("lvl")):
        depth = int(level.get(w("ilvl"), "0"))
        indent = level.find(f"{w('pPr')}/{w('ind')}")
        if indent is not None and indent.get(w("hanging")) is not None:
            indent.attrib.pop(w("start"), None)
            indent.set(w("left"), str(LIST_INDENT * (depth + 1)))
            indent.set(w("hanging"), str(LIST_INDENT))
        number_format, text = level.find(w("numFmt")), level.find(w("lvlText"))
        if number_format is None or number_format.get(w("val")) != "bullet" or text is None \
                or not text.get(w("val"), "").strip():
            continue
        text.set(w("val"), BULLETS[depth % len(BULLETS)])
        properties = level.find(w("rPr"))
        if properties is not None:
            for fonts in properties.findall(w("rFonts")):
                properties.remove(fonts)
            if len(properties) == 0:
                level.remove(properties)
    parts[NUMBERING] = _serialize(root)


# --------------------------------------------------------------------------
# Page estimate (the contents' cached page numbers)


class _Numbering:
    """List indents from word/numbering.xml: (numId, level) -> w:ind attributes."""

    def __init__(self, numbering_xml: bytes | None):
        self.indents: dict[tuple[str, str], dict[str, str]] = {}
        if not numbering_xml:
            return
        root = _parse(numbering_xml)
        abstract = {}
        for definition in root.findall(w("abstractNum")):
            levels = {}
            for level in definition.findall(w("lvl")):
                indent = level.find(f"{w('pPr')}/{w('ind')}")
                if indent is not None:
                    levels[level.get(w("ilvl"))] = {etree.QName(k).localname: v for k, v in indent.attrib.items()}
            abstract[definition.get(w("abstractNumId"))] = levels
        for number in root.findall(w("num")):
            reference = number.find(w("abstractNumId"))
            if reference is not None:
                for level, indent in abstract.get(reference.get(w("val")), {}).items():
                    self.indents[(number.get(w("numId")), level)] = indent

    def indent(self, num_id: str | None, level: str | None) -> dict[str, str]:
        return self.indents.get((num_id or "", level or "0"), {})


def _twips(value: str | None, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class _Metrics:
    """Advance widths and line heights of the house faces, by font file."""

    def __init__(self, fonts_dir: Path, face_table: dict | None = None):
        self.fonts_dir = fonts_dir
        self.face_table = HOUSE_FACES if face_table is None else face_table
        self.fonts: dict[str, tuple[dict, dict, int, float]] = {}

    def face_file(self, family: str | None, bold: bool, italic: bool) -> str | None:
        """The font file that sets a run of this face (the nearest one), None for a family not embedded."""
        table = self.face_table
        return table.get((family, bold, italic)) or table.get((family, bold, False)) \
            or table.get((family, False, False))

    def font(self, file_name: str) -> tuple[dict, dict, int, float]:
        if file_name not in self.fonts:
            from fontTools.ttLib import TTFont

            font = TTFont(str(self.fonts_dir / file_name), lazy=True)
            os2 = font["OS/2"]
            units = font["head"].unitsPerEm
            # Word and LibreOffice set a single line at the font's Windows ascent plus descent.
            self.fonts[file_name] = (font.getBestCmap(), font["hmtx"].metrics, units,
                                     (os2.usWinAscent + os2.usWinDescent) / units)
        return self.fonts[file_name]

    def width(self, text: str, file_name: str | None, size: float, caps: bool) -> float:
        """Advance width in points; a character the face lacks (set in a fallback face) counts as an
        average letter, or as a whole em when it is a wide (East Asian) one."""
        if file_name is None:  # a face that is not the house's: average characters
            return sum(size if _wide(c) else size * 0.5 for c in text)
        cmap, advances, units, _ = self.font(file_name)
        fallback = advances.get(cmap.get(ord("n"), ".notdef"), (units // 2, 0))[0]
        total = 0.0
        for character in text:
            shown, scale = character, 1.0
            if caps and character.upper() != character and len(character.upper()) == 1:
                shown, scale = character.upper(), SMALL_CAPS_SCALE
            glyph = cmap.get(ord(shown))
            if glyph in advances:
                total += advances[glyph][0] * scale
            elif _wide(character):
                total += units
            elif "\u0590" <= character <= "\u06ff":  # Hebrew and Arabic letters join narrow
                total += units * 0.42
            else:
                total += fallback
        return total * size / units

    def line_height(self, file_name: str | None, size: float) -> float:
        if file_name is None:
            return size * 1.2
        return self.font(file_name)[3] * size


def _border_height(border: dict[str, str]) -> float:
    """Points a paragraph border takes: its width (eighths of a point) and its space (points)."""
    if border.get("val", "nil") in ("nil", "none"):
        return 0.0
    return _twips(border.get("sz")) / 8 + _twips(border.get("space"))


def _wide(character: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(character) in ("W", "F")


class _Box:
    """A paragraph (or a table row) as the estimate sees it: its lines and the space around them."""

    def __init__(self, element, lines: list[float], before: float, after: float, keep_next: bool,
                 page_break_before: bool, breaks_after: bool, footnotes: float, repeated: float = 0.0):
        self.element = element
        self.lines = lines
        self.before = before
        self.after = after
        self.keep_next = keep_next
        self.page_break_before = page_break_before
        self.breaks_after = breaks_after
        self.footnotes = footnotes
        self.repeated = repeated  # a table row: the height of the header rows repeated above it on a new page


def estimate_pages(body: etree._Element, section: etree._Element, styles: _Styles, numbering: _Numbering,
                   fonts_dir: Path, footnotes: etree._Element | None = None,
                   endnotes: etree._Element | None = None, face_table: dict | None = None) -> dict:
    """Page (1-based) on which each body paragraph starts, as Word and LibreOffice would set it.

    An estimate, for the cached page numbers of the contents: lines are
    broken greedily with the house fonts' advance widths at the width the
    styles and list indents leave, at the styles' exact line pitch; spacing
    before and after adds up; keep-with-next, page breaks, pictures, table
    rows and author footnotes are counted; spacing before is dropped at the
    top of a page. Word recomputes the numbers when fields are updated.
    ``endnotes``, when given, are set after the paragraph that ends the
    first section (the Notes heading before the back matter), and a new
    page follows them.
    """
    metrics = _Metrics(fonts_dir, face_table)
    size, margins = section.find(w("pgSz")), section.find(w("pgMar"))
    page_height = (_twips(size.get(w("h"))) - _twips(margins.get(w("top"))) - _twips(margins.get(w("bottom")))) / 20
    width = _text_width(section) / 20
    footnote_heights = {}
    for note in footnotes.findall(w("footnote")) if footnotes is not None else []:
        if note.get(w("type")) in (None, "normal"):
            note_boxes = [_paragraph_box(p, width, styles, numbering, metrics, {}) for p in note.findall(w("p"))]
            footnote_heights[note.get(w("id"))] = FOOTNOTE_GAP_PT + sum(
                b.before + sum(b.lines) + b.after for b in note_boxes)
    boxes: list[_Box] = []
    for element in body:
        if _local(element) == "p":
            boxes.append(_paragraph_box(element, width, styles, numbering, metrics, footnote_heights))
            if endnotes is not None and element.find(f"{w('pPr')}/{w('sectPr')}") is not None:
                # (the heading is not kept with the first note: LibreOffice, which sets the notes on
                # pages of their own, sets it where the text ends)
                boxes[-1].keep_next = False
                for note in endnotes.findall(w("endnote")):
                    if note.get(w("type")) in (None, "normal"):
                        boxes.extend(_paragraph_box(p, width, styles, numbering, metrics, {})
                                     for p in note.findall(w("p")))
                boxes[-1].breaks_after = True
        elif _local(element) == "tbl":
            boxes.extend(_table_boxes(element, width, styles, numbering, metrics, footnote_heights))

    pages: dict = {}
    page, used, after = 1, 0.0, 0.0
    for index, box in enumerate(boxes):
        if box.page_break_before and used > 0:
            page, used, after = page + 1, 0.0, 0.0
        # The larger of the space after the previous paragraph and before this one separates them
        # (ECMA-376 Part 1, 17.3.1.33, and what LibreOffice does); none at the top of a page.
        gap = max(after, box.before) if used > 0 else 0.0
        need = gap + sum(box.lines[:2])  # a paragraph's first two lines stay together (widow control)
        following, chained = index + 1, box
        while chained.keep_next and following < len(boxes):  # keep with next: the next one's first lines too
            nxt = boxes[following]
            need += max(chained.after, nxt.before) + sum(nxt.lines[:2])
            chained, following = nxt, following + 1
        if used > 0 and used + need + box.footnotes > page_height:
            page, used, gap = page + 1, box.repeated, 0.0
        pages[box.element] = page
        used += gap + box.footnotes
        for height in box.lines:
            if used > 0 and used + height > page_height:
                page, used = page + 1, box.repeated
            used += height
        after = box.after
        if box.breaks_after:
            page, used, after = page + 1, 0.0, 0.0
    return pages


def _paragraph_box(paragraph, width: float, styles: _Styles, numbering: _Numbering, metrics: _Metrics,
                   footnote_heights: dict[str, float]) -> _Box:
    style = _style_of(paragraph)
    props = styles.paragraph_properties(style, paragraph.find(w("pPr")))
    indent = dict(numbering.indent(props.get("numId"), props.get("ilvl")))
    indent.update(props["ind"])
    left = _twips(indent.get("left", indent.get("start"))) / 20
    right = _twips(indent.get("right", indent.get("end"))) / 20
    first = (_twips(indent.get("firstLine")) - _twips(indent.get("hanging"))) / 20

    segments, pictures, footnotes, page_break = [], [], 0.0, False
    for run in paragraph.iter(w("r")):
        if _nearest_paragraph(run) is not paragraph:
            continue
        if styles.toggle_of(style, run, "vanish"):
            continue
        face = metrics.face_file(*styles.face(style, run))
        points = styles.size_of(style, run)
        caps = styles.toggle_of(style, run, "caps") or styles.toggle_of(style, run, "smallCaps")
        for child in run:
            local = _local(child)
            if local == "t":
                segments.append((child.text or "", face, points, caps))
            elif local == "tab":
                segments.append(("\t", face, points, caps))
            elif local == "br" and child.get(w("type")) in (None, "textWrapping"):
                segments.append(("\n", face, points, caps))
            elif local == "br" and child.get(w("type")) == "page":
                page_break = True
            elif local in ("footnoteReference",):
                footnotes += footnote_heights.get(child.get(w("id")), 0.0)
                segments.append(("a", face, points, caps))
            elif local in ("endnoteReference",):
                segments.append(("00", face, points, caps))
            elif local == "drawing":
                extent = child.find(".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent")
                if extent is not None:
                    pictures.append(_twips(extent.get("cy")) / 12700)  # EMU -> points

    base_face = metrics.face_file(*styles.paragraph_face(style))
    base_size = styles.size_of(style, None)
    natural = metrics.line_height(base_face, base_size)
    line, rule = props["spacing"].get("line"), props["spacing"].get("lineRule", "auto")
    if line is None:
        pitch = natural
    elif rule == "exact":
        pitch = _twips(line) / 20
    elif rule == "atLeast":
        pitch = max(natural, _twips(line) / 20)
    else:
        pitch = natural * _twips(line, 240) / 240
    count = _count_lines(segments, width - left - right, first, metrics) if segments or not pictures else 0
    lines = [pitch] * count
    lines += [max(pitch if rule != "exact" else 0, height) for height in pictures]
    if not lines:
        lines = [pitch]  # an empty paragraph still takes a line
    # A rule above or below the text (the title block's accent band) takes its width and its space,
    # even at the top of a page: it counts with the first and last lines.
    lines[0] += _border_height(props["top"])
    lines[-1] += _border_height(props["bottom"])
    before = _twips(props["spacing"].get("before")) / 20
    after = _twips(props["spacing"].get("after")) / 20
    return _Box(paragraph, lines, before, after, props["keepNext"], props["pageBreakBefore"], page_break, footnotes)


def _count_lines(segments: list[tuple[str, str | None, float, bool]], width: float, first: float,
                 metrics: _Metrics) -> int:
    """Lines a greedy line breaker makes of the segments, at ``width`` (``first`` more on the first line).

    Lines break at spaces (which hang at the end of a line), after hyphens
    and dashes, and before and after any ideograph or kana.
    """
    units: list[tuple[float, float, bool]] = []  # (width, trailing space, forced break after)
    current = 0.0
    for text, face, size, caps in segments:
        for character in text:
            if character == " ":
                units.append((current, metrics.width(" ", face, size, caps), False))
                current = 0.0
            elif character == "\n":
                units.append((current, 0.0, True))
                current = 0.0
            elif character == "\t":
                current += metrics.width("    ", face, size, caps)
            elif CJK.match(character):
                if current:
                    units.append((current, 0.0, False))
                units.append((metrics.width(character, face, size, caps), 0.0, False))
                current = 0.0
            else:
                current += metrics.width(character, face, size, caps)
                if character in "-\u2013\u2014":
                    units.append((current, 0.0, False))
                    current = 0.0
    if current:
        units.append((current, 0.0, False))
    lines, used, available = 1, 0.0, width - first
    for unit, space, forced in units:
        if used and used + unit > available + 0.01:
            lines, used, available = lines + 1, 0.0, width
        used += unit + space
        if forced:
            lines, used, available = lines + 1, 0.0, width
    return lines


def _table_boxes(table, width: float, styles: _Styles, numbering: _Numbering, metrics: _Metrics,
                 footnote_heights: dict[str, float]) -> list[_Box]:
    """Each row as one box: as tall as its tallest cell (rows are not split in the estimate).

    Header rows (``w:tblHeader``) stay with the next row and are repeated at
    the top of each page the table continues on, in Word and LibreOffice.
    """
    grid = [_twips(column.get(w("w"))) / 20 for column in table.iterfind(f"{w('tblGrid')}/{w('gridCol')}")]
    boxes: list[_Box] = []
    repeated = 0.0
    for row in table.findall(w("tr")):
        header = row.find(f"{w('trPr')}/{w('tblHeader')}")
        is_header = header is not None and header.get(w("val"), "true") not in ("0", "false", "off")
        cells = row.findall(w("tc"))
        heights, column, notes = [], 0, 0.0
        for cell in cells:
            span = cell.find(f"{w('tcPr')}/{w('gridSpan')}")
            count = _twips(span.get(w("val")), 1) if span is not None else 1
            columns = grid[column:column + count]
            cell_width = sum(columns) if len(columns) == count else width / max(len(cells), 1)
            column += count
            height = 0.0
            for paragraph in cell.findall(w("p")):
                box = _paragraph_box(paragraph, max(cell_width - 10.8, 1.0), styles, numbering, metrics,
                                     footnote_heights)
                height += box.before + sum(box.lines) + box.after
                notes += box.footnotes
            heights.append(height)
        height = max(heights, default=0.0)
        boxes.append(_Box(row, [height], 0.0, 0.0, is_header, False, False, notes, 0.0 if is_header else repeated))
        if is_header:
            repeated += height
    return boxes
