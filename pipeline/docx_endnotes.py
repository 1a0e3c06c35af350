"""Turn the footnotes of a pandoc DOCX into native Word endnotes.

pandoc cannot write endnotes (pandoc issue 4041), so the long DOCX is
post-processed here:

* every ``w:footnoteReference`` becomes a ``w:endnoteReference`` and the
  note bodies move from ``word/footnotes.xml`` to ``word/endnotes.xml``
  (their hyperlinks and images move to ``word/_rels/endnotes.xml.rels``);
* a repeat citation, which the renderer writes as a run in the ``NoteRef``
  character style holding the note number, becomes a ``NOTEREF`` field to a
  bookmark around the first reference of that note. Neither LibreOffice nor
  Word (until fields are updated) recomputes the field, so its cached
  result holds the number and carries the ``EndnoteReference`` style;
* endnotes are numbered in decimal, in ``settings.xml`` and in every
  ``w:sectPr`` (LibreOffice only reads the latter, and both default to
  lower-case roman numerals).

The renderer's Markdown convention (see tests/test_docx_endnotes.py): the
first citation of source *n* is ``[[^nN]]{#cite_nN}`` (pandoc puts a
bookmark ``cite_nN`` around the note reference), later ones are
``[N]{custom-style="NoteRef"}``; footnotes appear in note-number order.

The package is rewritten deterministically (see ``write_docx_zip``).
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from lxml import etree

from .ziputil import write_zip

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

ENDNOTES_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
ENDNOTES_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml"
)

DOCUMENT = "word/document.xml"
FOOTNOTES = "word/footnotes.xml"
ENDNOTES = "word/endnotes.xml"
SETTINGS = "word/settings.xml"
STYLES = "word/styles.xml"
CONTENT_TYPES = "[Content_Types].xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
FOOTNOTES_RELS = "word/_rels/footnotes.xml.rels"
ENDNOTES_RELS = "word/_rels/endnotes.xml.rels"

REPEAT_STYLE = "NoteRef"
ENDNOTE_REFERENCE_STYLE = "EndnoteReference"
ENDNOTE_TEXT_STYLE = "EndnoteText"
FIRST_CITATION_BOOKMARK = re.compile(r"cite_n(\d+)")
# A leading underscore hides the bookmark in Word's bookmark dialog.
NOTE_BOOKMARK = "_RefEn_n{number}"

# Children of w:settings that come after w:endnotePr (ECMA-376 CT_Settings).
SETTINGS_AFTER_ENDNOTE_PR = {
    "compat",
    "docVars",
    "rsids",
    "mathPr",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
}
# Children of w:settings that come after w:footnotePr (CT_Settings).
SETTINGS_AFTER_FOOTNOTE_PR = SETTINGS_AFTER_ENDNOTE_PR | {"endnotePr"}
# Children of w:sectPr that come before w:endnotePr (CT_SectPr).
SECTPR_BEFORE_ENDNOTE_PR = {"headerReference", "footerReference", "footnotePr"}


def w(name: str) -> str:
    """Clark name of a WordprocessingML element or attribute."""
    return f"{{{W_NS}}}{name}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


# --------------------------------------------------------------------------
# Deterministic packages


def ordered_part_names(names: Iterable[str]) -> list[str]:
    """Fixed entry order: content types, package rels, then by name."""
    names = set(names)
    first = [name for name in (CONTENT_TYPES, "_rels/.rels") if name in names]
    return first + sorted(names - set(first))


def write_docx_zip(
    dst: Path | str,
    parts: Mapping[str, bytes],
    source_date_epoch: int | None = None,
    reuse: Path | str | None = None,
) -> None:
    """Write ``parts`` as a ZIP package whose bytes depend only on the input.

    Entries in a fixed order with fresh, fixed headers (``ziputil``). The
    file is written next to ``dst`` and moved into place, so ``dst`` may
    also be the source.
    """
    dst = Path(dst)
    entries = [(name, parts[name]) for name in ordered_part_names(parts)]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        write_zip(
            Path(tmp_name),
            entries,
            source_date_epoch=source_date_epoch,
            reuse=Path(reuse) if reuse else None,
        )
        os.chmod(tmp_name, 0o644)  # mkstemp's 0600 is not meant for an output file
        os.replace(tmp_name, dst)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def read_docx_parts(src: Path | str | IO[bytes]) -> dict[str, bytes]:
    """All entries of a DOCX package, by name (directories skipped)."""
    with zipfile.ZipFile(src) as archive:
        return {
            info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()
        }


def rezip_deterministic(
    src: Path | str, dst: Path | str, source_date_epoch: int | None = None
) -> None:
    """Copy a DOCX without changing its parts, in deterministic ZIP form."""
    write_docx_zip(dst, read_docx_parts(src), source_date_epoch, reuse=src)


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))


def _serialize(root: etree._Element) -> bytes:
    # The declaration Word itself writes (lxml's would use single quotes).
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


# --------------------------------------------------------------------------
# Conversion


def convert_to_endnotes(
    src: Path | str, dst: Path | str, *, source_date_epoch: int | None = None,
) -> int:
    """Rewrite the pandoc DOCX ``src`` with native endnotes into ``dst``.

    The notes whose text is in the ``Endnote Text`` style are the source
    notes; they become endnotes. Other notes are the author's footnotes:
    they stay footnotes, lettered a, b, c, and a repeat citation inside one
    (a NoteRef run in footnotes.xml) becomes a NOTEREF field like in the text.

    Returns the number of endnotes. Raises ValueError when a repeat
    citation names a note that does not exist, or when the renderer's note
    numbers disagree with the order of the notes in the document (Word
    numbers endnotes by position, so the numbers would differ from the PDF).
    """
    parts = read_docx_parts(src)
    document = _parse(parts[DOCUMENT])
    footnotes = _parse(parts[FOOTNOTES]) if FOOTNOTES in parts else None
    all_references = list(document.iter(w("footnoteReference")))
    bodies = {note.get(w("id")): note for note in footnotes.findall(w("footnote"))} if footnotes is not None else {}
    references = [r for r in all_references if _is_source_note(bodies.get(r.get(w("id"))))]
    author_notes = len(all_references) - len(references)
    repeats = _repeat_runs(document) + (_repeat_runs(footnotes) if footnotes is not None else [])

    if author_notes:
        parts[SETTINGS] = _number_footnotes_with_letters_in_settings(parts[SETTINGS])
        for section in document.iter(w("sectPr")):
            _number_footnotes_with_letters_in_section(section)
    if not references:
        if repeats:
            raise ValueError(
                f"{src}: {len(repeats)} repeat citation(s) ({REPEAT_STYLE} runs) "
                "but no notes in the document"
            )
        parts[DOCUMENT] = _serialize(document)
        write_docx_zip(dst, parts, source_date_epoch, reuse=src)
        return 0

    endnotes = _move_notes_to_endnotes(references, footnotes)
    next_id = _max_w_id(document, footnotes, endnotes) + 1

    bookmarks = _name_note_bookmarks(document, endnotes, next_id, footnotes)
    _replace_repeats_with_fields(repeats, bookmarks, len(references))

    endnote_rels, footnote_rels = _split_note_relationships(endnotes, parts.get(FOOTNOTES_RELS))
    if endnote_rels is not None:
        parts[ENDNOTES_RELS] = endnote_rels
    if footnote_rels is not None:
        parts[FOOTNOTES_RELS] = footnote_rels
    parts[DOCUMENT_RELS] = _add_endnotes_relationship(parts[DOCUMENT_RELS])
    parts[CONTENT_TYPES] = _add_endnotes_content_type(parts[CONTENT_TYPES])
    parts[SETTINGS] = _number_endnotes_in_settings(parts[SETTINGS])
    if STYLES in parts:
        parts[STYLES] = _ensure_endnote_styles(parts[STYLES])
    for section in document.iter(w("sectPr")):  # LibreOffice reads only these
        _number_endnotes_in_section(section)

    parts[DOCUMENT] = _serialize(document)
    parts[FOOTNOTES] = _serialize(footnotes)
    parts[ENDNOTES] = _serialize(endnotes)
    write_docx_zip(dst, parts, source_date_epoch, reuse=src)
    return len(references)


def _is_source_note(note: etree._Element | None) -> bool:
    """A note whose paragraphs are in the Endnote Text style (the renderer's source notes)."""
    if note is None:
        return False
    return any(style.get(w("val")) == ENDNOTE_TEXT_STYLE for style in note.iter(w("pStyle")))


def _number_footnotes_with_letters_in_settings(settings: bytes) -> bytes:
    root = _parse(settings)
    footnote_pr = root.find(w("footnotePr"))
    if footnote_pr is None:
        footnote_pr = etree.Element(w("footnotePr"))
        following = [c for c in root if _local(c) in SETTINGS_AFTER_FOOTNOTE_PR]
        if following:
            following[0].addprevious(footnote_pr)
        else:
            root.append(footnote_pr)
    _set_number_format(footnote_pr, "lowerLetter", separator_kind="footnote", separator_ids=("-1", "0"))
    return _serialize(root)


def _number_footnotes_with_letters_in_section(section: etree._Element) -> None:
    footnote_pr = section.find(w("footnotePr"))
    if footnote_pr is None:
        footnote_pr = etree.Element(w("footnotePr"))
        preceding = [c for c in section if _local(c) in ("headerReference", "footerReference")]
        if preceding:
            preceding[-1].addnext(footnote_pr)
        else:
            section.insert(0, footnote_pr)
    _set_number_format(footnote_pr, "lowerLetter", separator_kind="footnote", separator_ids=())


def _set_number_format(note_pr: etree._Element, fmt: str, *, separator_kind: str,
                       separator_ids: tuple[str, ...]) -> None:
    """numFmt in a w:footnotePr / w:endnotePr, keeping position, start and restart rule.

    Children in schema order: pos, numFmt, numStart, numRestart, then (in
    settings only) the separator notes.
    """
    kept = {_local(c): c for c in note_pr if _local(c) in ("pos", "numStart", "numRestart")}
    if separator_kind == "footnote":
        # a, b, c through the whole document, as in the PDF and EPUB (pandoc restarts at each section)
        kept.pop("numRestart", None)
    note_pr.clear()
    if "pos" in kept:
        note_pr.append(kept["pos"])
    etree.SubElement(note_pr, w("numFmt"), {w("val"): fmt})
    for name in ("numStart", "numRestart"):
        if name in kept:
            note_pr.append(kept[name])
    if separator_kind == "footnote":
        etree.SubElement(note_pr, w("numRestart"), {w("val"): "continuous"})
    for note_id in separator_ids:
        etree.SubElement(note_pr, w(separator_kind), {w("id"): note_id})


def _repeat_runs(document: etree._Element) -> list[etree._Element]:
    """Runs in the NoteRef character style: the renderer's repeat citations."""
    return [
        style.getparent().getparent()
        for style in document.iter(w("rStyle"))
        if style.get(w("val")) == REPEAT_STYLE
        and _local(style.getparent()) == "rPr"
        and _local(style.getparent().getparent()) == "r"
    ]


def _move_notes_to_endnotes(
    references: list[etree._Element], footnotes: etree._Element
) -> etree._Element:
    """Turn references and note bodies into endnotes, in reference order."""
    notes_by_id = {note.get(w("id")): note for note in footnotes.findall(w("footnote"))}
    endnotes = etree.Element(w("endnotes"), nsmap=footnotes.nsmap)
    # Word and LibreOffice expect the two separators as notes -1 and 0.
    for note_id, kind in (("-1", "separator"), ("0", "continuationSeparator")):
        separator = etree.SubElement(endnotes, w("endnote"), {w("type"): kind, w("id"): note_id})
        etree.SubElement(etree.SubElement(etree.SubElement(separator, w("p")), w("r")), w(kind))

    for reference in references:
        note_id = reference.get(w("id"))
        note = notes_by_id.pop(note_id, None)
        if note is None:
            raise ValueError(f"footnote {note_id} is referenced twice or missing")
        reference.tag = w("endnoteReference")
        _set_run_style(reference.getparent(), ENDNOTE_REFERENCE_STYLE)
        endnotes.append(note)  # moves it out of footnotes.xml
        _restyle_note_body(note)
    return endnotes


def _restyle_note_body(note: etree._Element) -> None:
    note.tag = w("endnote")
    for mark in note.iter(w("footnoteRef")):
        mark.tag = w("endnoteRef")
        # A tab, not pandoc's space, after the number: EndnoteText hangs
        # the number in the margin like the Notes list of the PDF.
        following = mark.getparent().getnext()
        if following is not None and _is_single_space_run(following):
            for text in following.findall(w("t")):
                following.remove(text)
            etree.SubElement(following, w("tab"))
    for style in note.iter(w("pStyle")):
        if style.get(w("val")) == "FootnoteText":
            style.set(w("val"), ENDNOTE_TEXT_STYLE)
    for style in note.iter(w("rStyle")):
        if style.get(w("val")) == "FootnoteReference":
            style.set(w("val"), ENDNOTE_REFERENCE_STYLE)


def _is_single_space_run(element: etree._Element) -> bool:
    if _local(element) != "r":
        return False
    content = [child for child in element if _local(child) != "rPr"]
    return len(content) == 1 and _local(content[0]) == "t" and content[0].text == " "


def _set_run_style(run: etree._Element, style_id: str) -> None:
    """Set a run's character style, creating w:rPr/w:rStyle where needed."""
    run_props = run.find(w("rPr"))
    if run_props is None:
        run_props = etree.Element(w("rPr"))
        run.insert(0, run_props)
    style = run_props.find(w("rStyle"))
    if style is None:
        style = etree.Element(w("rStyle"))
        run_props.insert(0, style)  # rStyle is the first child of rPr
    style.set(w("val"), style_id)


def _max_w_id(*roots: etree._Element) -> int:
    """Largest numeric w:id in these parts (pandoc shares one counter)."""
    ids = [
        int(value)
        for root in roots
        for element in root.iter()
        if (value := element.get(w("id"))) is not None and value.lstrip("-").isdigit()
    ]
    return max(ids, default=0)


def _name_note_bookmarks(
    document: etree._Element, endnotes: etree._Element, next_id: int,
    footnotes: etree._Element | None = None,
) -> dict[int, str]:
    """Bookmark name around the reference of each note number (1-based).

    pandoc's ``cite_nN`` bookmarks are renamed to hidden ``_RefEn_nN`` ones
    (internal links follow); a note without one gets a new bookmark.
    """
    body = document.find(w("body"))
    open_bookmarks: dict[str, etree._Element] = {}
    renamed: dict[str, str] = {}
    bookmarks: dict[int, str] = {}
    number = 0
    for element in body.iter(w("bookmarkStart"), w("bookmarkEnd"), w("endnoteReference")):
        kind = _local(element)
        if kind == "bookmarkStart":
            open_bookmarks[element.get(w("id"))] = element
        elif kind == "bookmarkEnd":
            open_bookmarks.pop(element.get(w("id")), None)
        else:
            number += 1
            for start in open_bookmarks.values():
                match = FIRST_CITATION_BOOKMARK.fullmatch(start.get(w("name"), ""))
                if match is None:
                    continue
                if int(match.group(1)) != number:
                    raise ValueError(
                        f"bookmark {match.group(0)} is on endnote {number}: the "
                        "citation numbers and the order of the notes disagree"
                    )
                new_name = NOTE_BOOKMARK.format(number=number)
                renamed[start.get(w("name"))] = new_name
                start.set(w("name"), new_name)
                bookmarks[number] = new_name

    for root in (document, endnotes, footnotes):
        if root is None:
            continue
        for link in root.iter(w("hyperlink")):
            if link.get(w("anchor")) in renamed:
                link.set(w("anchor"), renamed[link.get(w("anchor"))])

    for number, reference in enumerate(body.iter(w("endnoteReference")), start=1):
        if number not in bookmarks:
            bookmarks[number] = NOTE_BOOKMARK.format(number=number)
            _wrap_in_bookmark(reference.getparent(), bookmarks[number], next_id)
            next_id += 1
    return bookmarks


def _wrap_in_bookmark(run: etree._Element, name: str, bookmark_id: int) -> None:
    start = etree.Element(w("bookmarkStart"), {w("id"): str(bookmark_id), w("name"): name})
    end = etree.Element(w("bookmarkEnd"), {w("id"): str(bookmark_id)})
    run.addprevious(start)
    run.addnext(end)


def _replace_repeats_with_fields(
    repeats: list[etree._Element], bookmarks: Mapping[int, str], note_count: int
) -> None:
    """Replace each NoteRef run by a NOTEREF field whose cached result shows the number."""
    for run in repeats:
        text = "".join(t.text or "" for t in run.iter(w("t"))).strip()
        if not text.isdigit() or not 1 <= int(text) <= note_count:
            raise ValueError(
                f"repeat citation {text!r} ({REPEAT_STYLE} run) does not name one of "
                f"the {note_count} notes"
            )
        number = int(text)
        # Keep the run's own formatting (e.g. italics around it), restyled.
        run_props = copy.deepcopy(run.find(w("rPr")))
        run_props.find(w("rStyle")).set(w("val"), ENDNOTE_REFERENCE_STYLE)

        instruction = etree.Element(w("instrText"))
        instruction.set(XML_SPACE, "preserve")
        instruction.text = f" NOTEREF {bookmarks[number]} \\h "
        cached_result = etree.Element(w("t"))
        cached_result.text = str(number)
        for content in (
            etree.Element(w("fldChar"), {w("fldCharType"): "begin"}),
            instruction,
            etree.Element(w("fldChar"), {w("fldCharType"): "separate"}),
            cached_result,
            etree.Element(w("fldChar"), {w("fldCharType"): "end"}),
        ):
            field_run = etree.Element(w("r"))
            field_run.append(copy.deepcopy(run_props))
            field_run.append(content)
            run.addprevious(field_run)
        run.getparent().remove(run)


def _split_note_relationships(
    endnotes: etree._Element, footnote_rels: bytes | None
) -> tuple[bytes | None, bytes | None]:
    """Move the relationships the endnotes use out of the footnotes' rels part.

    Returns the new endnotes rels part (None if the notes use none) and the
    remaining footnotes rels part (None if there was none).
    """
    used = {
        value
        for element in endnotes.iter()
        for name, value in element.attrib.items()
        if name.startswith(f"{{{R_NS}}}")
    }
    if not used:
        return None, footnote_rels
    if footnote_rels is None:
        raise ValueError(
            f"endnotes use relationships {sorted(used)} but there is no {FOOTNOTES_RELS}"
        )
    source = _parse(footnote_rels)
    target = etree.Element(f"{{{PKG_RELS_NS}}}Relationships", nsmap={None: PKG_RELS_NS})
    for relationship in list(source):
        if relationship.get("Id") in used:
            target.append(relationship)  # moves it
            used.discard(relationship.get("Id"))
    if used:
        raise ValueError(
            f"endnotes use relationships missing from {FOOTNOTES_RELS}: {sorted(used)}"
        )
    return _serialize(target), _serialize(source)


def _add_endnotes_relationship(document_rels: bytes) -> bytes:
    root = _parse(document_rels)
    relationships = root.findall(f"{{{PKG_RELS_NS}}}Relationship")
    if any(rel.get("Type") == ENDNOTES_REL_TYPE for rel in relationships):
        return document_rels
    numbers = [
        int(rel.get("Id")[3:])
        for rel in relationships
        if re.fullmatch(r"rId\d+", rel.get("Id", ""))
    ]
    etree.SubElement(
        root,
        f"{{{PKG_RELS_NS}}}Relationship",
        Type=ENDNOTES_REL_TYPE,
        Id=f"rId{max(numbers, default=0) + 1}",
        Target="endnotes.xml",
    )
    return _serialize(root)


def _add_endnotes_content_type(content_types: bytes) -> bytes:
    root = _parse(content_types)
    part_name = "/" + ENDNOTES
    if any(o.get("PartName") == part_name for o in root.iter(f"{{{CONTENT_TYPES_NS}}}Override")):
        return content_types
    etree.SubElement(
        root,
        f"{{{CONTENT_TYPES_NS}}}Override",
        PartName=part_name,
        ContentType=ENDNOTES_CONTENT_TYPE,
    )
    return _serialize(root)


def _number_endnotes_in_settings(settings: bytes) -> bytes:
    root = _parse(settings)
    endnote_pr = root.find(w("endnotePr"))
    if endnote_pr is None:
        endnote_pr = etree.Element(w("endnotePr"))
        following = [c for c in root if _local(c) in SETTINGS_AFTER_ENDNOTE_PR]
        if following:
            following[0].addprevious(endnote_pr)
        else:
            root.append(endnote_pr)
    _make_decimal(endnote_pr, separator_ids=("-1", "0"))
    return _serialize(root)


def _number_endnotes_in_section(section: etree._Element) -> None:
    endnote_pr = section.find(w("endnotePr"))
    if endnote_pr is None:
        endnote_pr = etree.Element(w("endnotePr"))
        preceding = [c for c in section if _local(c) in SECTPR_BEFORE_ENDNOTE_PR]
        if preceding:
            preceding[-1].addnext(endnote_pr)
        else:
            section.insert(0, endnote_pr)
    _make_decimal(endnote_pr, separator_ids=())


def _make_decimal(endnote_pr: etree._Element, separator_ids: tuple[str, ...]) -> None:
    """Decimal numbers in a w:endnotePr, keeping its position, start and restart rule."""
    _set_number_format(endnote_pr, "decimal", separator_kind="endnote", separator_ids=separator_ids)


def _ensure_endnote_styles(styles: bytes) -> bytes:
    """Add plain EndnoteText / EndnoteReference styles if the reference doc lacks them."""
    root = _parse(styles)
    present = {style.get(w("styleId")) for style in root.findall(w("style"))}
    fallbacks = {
        ENDNOTE_TEXT_STYLE: (
            '<w:style xmlns:w="{ns}" w:type="paragraph" w:styleId="EndnoteText">'
            '<w:name w:val="endnote text"/><w:basedOn w:val="Normal"/>'
            '<w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
            '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>'
        ),
        ENDNOTE_REFERENCE_STYLE: (
            '<w:style xmlns:w="{ns}" w:type="character" w:styleId="EndnoteReference">'
            '<w:name w:val="endnote reference"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/>'
            '<w:rPr><w:vertAlign w:val="baseline"/></w:rPr></w:style>'
        ),
    }
    missing = [style_id for style_id in fallbacks if style_id not in present]
    if not missing:
        return styles
    for style_id in missing:
        root.append(etree.fromstring(fallbacks[style_id].format(ns=W_NS)))
    return _serialize(root)
