"""Native Word endnotes from pandoc footnotes (pipeline/docx_endnotes.py).

The DOCX files are built by pandoc from Markdown in the renderer's
convention, with the house reference document, then converted. The last
tests check the reference document itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pypandoc
import pytest
from lxml import etree
from outputs import libreoffice_to_pdf

from pipeline.docx_endnotes import (
    ENDNOTES_CONTENT_TYPE,
    ENDNOTES_REL_TYPE,
    SETTINGS_AFTER_ENDNOTE_PR,
    convert_to_endnotes,
    read_docx_parts,
    rezip_deterministic,
    write_docx_zip,
)
from pipeline.docx_finish import join_note_marks

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DOCX = REPO_ROOT / "templates" / "docx" / "reference.docx"
MAKE_REFERENCE = REPO_ROOT / "templates" / "docx" / "make_reference_docx.py"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"w": W, "r": R, "rel": RELS, "ct": CT}

EPOCH = 1764288000  # 2025-11-28

# The composer's convention (pipeline/compose.py): the first citation of
# source n is a note whose text is in the Endnote Text style, in a span
# #cite_n<n>; later ones are NoteRef spans; notes in number order. A note
# in pandoc's own style is an author's footnote and stays a footnote.
BRIEF_MD = r"""---
title: Example brief
lang: en
---
# Summary

Allegations are framed loosely \[[[^n1]]{#cite_n1}, [[^n2]]{#cite_n2}\]. The term is shorthand \[[2]{custom-style="NoteRef"}, p. 12\].

# 1. Section

Again \[[1]{custom-style="NoteRef"}\] and new \[[[^n3]]{#cite_n3}, p. 4\].

*In italics \[[3]{custom-style="NoteRef"}\].* Grouped \[[1]{custom-style="NoteRef"}, [[^n4]]{#cite_n4}\].

[^n1]:
    ::: {custom-style="Endnote Text"}
    U.S. Department of State. *Some report*. 2025. <https://example.org/a>
    :::
[^n2]:
    ::: {custom-style="Endnote Text"}
    Unnamed source 2 of the original reporting.
    :::
[^n3]:
    ::: {custom-style="Endnote Text"}
    Another source, with a link: <https://example.org/c>
    :::
[^n4]:
    ::: {custom-style="Endnote Text"}
    Fourth source.
    :::
"""


def endnote(text: str) -> str:
    """A source note's definition in the composer's convention."""
    return f'\n    ::: {{custom-style="Endnote Text"}}\n    {text}\n    :::\n'

NOTE_TEXTS = [
    "U.S. Department of State. Some report. 2025. https://example.org/a",
    "Unnamed source 2 of the original reporting.",
    "Another source, with a link: https://example.org/c",
    "Fourth source.",
]
NOTE_LINKS = {1: ["https://example.org/a"], 3: ["https://example.org/c"]}
REPEATS = [2, 1, 3, 1]  # note numbers of the NoteRef spans, in document order
MARKERS = ["[1, 2]", "[2, p. 12]", "Again [1]", "[3, p. 4]", "In italics [3]", "Grouped [1, 4]"]


def pandoc_docx(markdown: str, dst: Path, reference: Path | None = REFERENCE_DOCX) -> Path:
    source = dst.with_suffix(".md")
    source.write_text(markdown, encoding="utf-8")
    command = [pypandoc.get_pandoc_path(), str(source), "-f", "markdown", "-o", str(dst)]
    if reference is not None:
        command.append(f"--reference-doc={reference}")
    subprocess.run(command, check=True, env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)})
    return dst


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(name))


def has_part(path: Path, name: str) -> bool:
    with zipfile.ZipFile(path) as archive:
        return name in archive.namelist()


def text_of(element: etree._Element) -> str:
    """Visible text, tabs as spaces."""
    return "".join(
        " " if node.tag == f"{{{W}}}tab" else (node.text or "")
        for node in element.iter(f"{{{W}}}t", f"{{{W}}}tab")
    )


def notes_of(path: Path) -> list[etree._Element]:
    return part(path, "word/endnotes.xml").findall("w:endnote", NS)


def fields_of(document: etree._Element) -> list[dict]:
    """Complex fields in document order: instruction, cached result, result runs."""
    fields, current = [], None
    for run in document.iter(f"{{{W}}}r"):
        for child in run:
            kind = child.get(f"{{{W}}}fldCharType")
            if kind == "begin":
                current = {"instr": "", "result": "", "result_runs": [], "in_result": False}
            elif kind == "separate":
                current["in_result"] = True
            elif kind == "end":
                fields.append(current)
                current = None
            elif child.tag == f"{{{W}}}instrText":
                current["instr"] += child.text or ""
            elif child.tag == f"{{{W}}}t" and current is not None and current["in_result"]:
                current["result"] += child.text or ""
                current["result_runs"].append(run)
    return fields


def bookmarked_references(document: etree._Element) -> dict[str, list[str]]:
    """Bookmark name -> ids of the endnote references inside it."""
    open_marks: dict[str, str] = {}
    inside: dict[str, list[str]] = {}
    for element in document.iter(
        f"{{{W}}}bookmarkStart", f"{{{W}}}bookmarkEnd", f"{{{W}}}endnoteReference"
    ):
        local = etree.QName(element).localname
        if local == "bookmarkStart":
            open_marks[element.get(f"{{{W}}}id")] = element.get(f"{{{W}}}name")
            inside.setdefault(element.get(f"{{{W}}}name"), [])
        elif local == "bookmarkEnd":
            open_marks.pop(element.get(f"{{{W}}}id"), None)
        else:
            for name in open_marks.values():
                inside[name].append(element.get(f"{{{W}}}id"))
    return inside


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("endnotes")
    source = pandoc_docx(BRIEF_MD, folder / "brief.docx")
    result = folder / "brief-endnotes.docx"
    count = convert_to_endnotes(source, result, source_date_epoch=EPOCH)
    return {"folder": folder, "source": source, "result": result, "count": count}


# --------------------------------------------------------------------------
# Structure of the converted package


def test_returns_number_of_notes(built):
    assert built["count"] == len(NOTE_TEXTS)


def test_endnotes_part_has_separators_then_notes_in_order(built):
    notes = notes_of(built["result"])
    assert [(n.get(f"{{{W}}}id"), n.get(f"{{{W}}}type")) for n in notes[:2]] == [
        ("-1", "separator"),
        ("0", "continuationSeparator"),
    ]
    assert notes[0].find(".//w:separator", NS) is not None
    assert notes[1].find(".//w:continuationSeparator", NS) is not None
    bodies = notes[2:]
    assert [text_of(n).strip() for n in bodies] == NOTE_TEXTS
    for note in bodies:
        assert note.get(f"{{{W}}}type") is None
        mark = note.find(".//w:endnoteRef", NS)
        assert mark is not None
        assert mark.getparent().find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val") == "EndnoteReference"
        assert {s.get(f"{{{W}}}val") for s in note.iterfind(".//w:pStyle", NS)} == {"EndnoteText"}
    assert bodies[0].find(".//w:i", NS) is not None, "italics in the note survive"


def test_document_references_endnotes_not_footnotes(built):
    document = part(built["result"], "word/document.xml")
    references = document.findall(".//w:endnoteReference", NS)
    note_ids = [n.get(f"{{{W}}}id") for n in notes_of(built["result"])[2:]]
    assert [r.get(f"{{{W}}}id") for r in references] == note_ids
    assert len(set(note_ids)) == len(NOTE_TEXTS)
    assert document.find(".//w:footnoteReference", NS) is None
    for reference in references:
        style = reference.getparent().find("w:rPr/w:rStyle", NS)
        assert style.get(f"{{{W}}}val") == "EndnoteReference"


def test_footnotes_part_keeps_only_separators(built):
    footnotes = part(built["result"], "word/footnotes.xml").findall("w:footnote", NS)
    assert sorted(f.get(f"{{{W}}}type") for f in footnotes) == [
        "continuationSeparator",
        "separator",
    ]


def test_repeat_citations_are_noteref_fields_to_first_reference(built):
    document = part(built["result"], "word/document.xml")
    note_ids = [n.get(f"{{{W}}}id") for n in notes_of(built["result"])[2:]]
    inside = bookmarked_references(document)
    fields = fields_of(document)
    assert len(fields) == len(REPEATS)
    for field, number in zip(fields, REPEATS):
        match = re.fullmatch(r"\s*NOTEREF\s+(\S+)\s+\\h\s*", field["instr"])
        assert match, field["instr"]
        bookmark = match.group(1)
        assert len(bookmark) <= 40 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", bookmark)
        assert inside.get(bookmark) == [note_ids[number - 1]], "bookmark wraps the first reference"
        assert field["result"] == str(number)
        for run in field["result_runs"]:
            assert run.find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val") == "EndnoteReference"
    assert not [
        s for s in document.iter(f"{{{W}}}rStyle") if s.get(f"{{{W}}}val") == "NoteRef"
    ], "no NoteRef run is left"
    italic_field = fields[2]
    assert (
        italic_field["result_runs"][0].find("w:rPr/w:i", NS) is not None
    ), "context formatting kept"


def test_bookmark_ids_unique_and_note_bookmarks_hidden(built):
    document = part(built["result"], "word/document.xml")
    starts = document.findall(".//w:bookmarkStart", NS)
    ids = [s.get(f"{{{W}}}id") for s in starts]
    assert len(ids) == len(set(ids))
    names = {s.get(f"{{{W}}}name") for s in starts}
    assert not any(name.startswith("cite_n") for name in names)
    ends = {e.get(f"{{{W}}}id") for e in document.findall(".//w:bookmarkEnd", NS)}
    assert set(ids) == ends


def test_note_hyperlinks_resolve_in_endnotes_rels(built):
    rels = {
        r.get("Id"): r
        for r in part(built["result"], "word/_rels/endnotes.xml.rels").findall(
            "rel:Relationship", NS
        )
    }
    for number, note in enumerate(notes_of(built["result"])[2:], start=1):
        targets = [
            rels[link.get(f"{{{R}}}id")].get("Target") for link in note.iter(f"{{{W}}}hyperlink")
        ]
        assert targets == NOTE_LINKS.get(number, [])
    assert all(r.get("TargetMode") == "External" for r in rels.values())


def test_package_declares_endnotes_part(built):
    types = part(built["result"], "[Content_Types].xml")
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.findall("ct:Override", NS)}
    assert overrides["/word/endnotes.xml"] == ENDNOTES_CONTENT_TYPE
    relationships = part(built["result"], "word/_rels/document.xml.rels").findall(
        "rel:Relationship", NS
    )
    endnote_rels = [r for r in relationships if r.get("Type") == ENDNOTES_REL_TYPE]
    assert [r.get("Target") for r in endnote_rels] == ["endnotes.xml"]
    ids = [r.get("Id") for r in relationships]
    assert len(ids) == len(set(ids))


def test_endnotes_numbered_decimal_in_settings_and_section(built):
    settings = part(built["result"], "word/settings.xml")
    endnote_pr = settings.find("w:endnotePr", NS)
    assert endnote_pr.find("w:numFmt", NS).get(f"{{{W}}}val") == "decimal"
    assert [e.get(f"{{{W}}}id") for e in endnote_pr.findall("w:endnote", NS)] == ["-1", "0"]
    assert [etree.QName(c).localname for c in endnote_pr] == ["numFmt", "endnote", "endnote"]
    # Schema order: after footnotePr, before compat / rsids / mathPr ...
    children = [etree.QName(c).localname for c in settings]
    position = children.index("endnotePr")
    assert not SETTINGS_AFTER_ENDNOTE_PR & set(children[:position])
    assert "footnotePr" not in children[position:]

    sections = part(built["result"], "word/document.xml").findall(".//w:sectPr", NS)
    assert sections
    for section in sections:
        names = [etree.QName(c).localname for c in section]
        assert section.find("w:endnotePr/w:numFmt", NS).get(f"{{{W}}}val") == "decimal"
        if "footnotePr" in names:
            assert names.index("footnotePr") < names.index("endnotePr")
        if "pgSz" in names:
            assert names.index("endnotePr") < names.index("pgSz")


def test_python_docx_opens_result(built):
    document = docx.Document(str(built["result"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Again [1] and new [" in text
    part_names = {str(p.partname) for p in document.part.package.iter_parts()}
    assert "/word/endnotes.xml" in part_names


# --------------------------------------------------------------------------
# Determinism


def test_same_input_gives_identical_bytes(built, tmp_path):
    again = tmp_path / "again.docx"
    convert_to_endnotes(built["source"], again, source_date_epoch=EPOCH)
    assert again.read_bytes() == built["result"].read_bytes()
    # The whole chain, into another folder.
    source = pandoc_docx(BRIEF_MD, tmp_path / "other.docx")
    convert_to_endnotes(source, tmp_path / "other-endnotes.docx", source_date_epoch=EPOCH)
    assert (tmp_path / "other-endnotes.docx").read_bytes() == built["result"].read_bytes()


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(EPOCH, (2025, 11, 28, 0, 0, 0)), (None, (1980, 1, 1, 0, 0, 0)), (0, (1980, 1, 1, 0, 0, 0))],
)
def test_zip_entries_fixed_order_and_time(built, tmp_path, epoch, expected):
    result = tmp_path / "out.docx"
    convert_to_endnotes(built["source"], result, source_date_epoch=epoch)
    with zipfile.ZipFile(result) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
    names = [i.filename for i in infos]
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert names[2:] == sorted(names[2:])
    assert {i.date_time for i in infos} == {expected}


def test_rezip_deterministic_keeps_parts(tmp_path):
    source = pandoc_docx("# Short\n\nNo notes here.\n", tmp_path / "short.docx")
    first, second = tmp_path / "a.docx", tmp_path / "b.docx"
    rezip_deterministic(source, first, EPOCH)
    rezip_deterministic(source, second, EPOCH)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(first) as copy:
        assert {n: original.read(n) for n in original.namelist()} == {
            n: copy.read(n) for n in copy.namelist()
        }
        assert copy.namelist()[0] == "[Content_Types].xml"


# --------------------------------------------------------------------------
# Other inputs


def test_document_without_notes_is_only_rezipped(tmp_path):
    source = pandoc_docx("# Short\n\nNo citations.\n", tmp_path / "plain.docx")
    result = tmp_path / "plain-out.docx"
    assert convert_to_endnotes(source, result, source_date_epoch=EPOCH) == 0
    assert not has_part(result, "word/endnotes.xml")
    assert etree.tostring(part(result, "word/document.xml")) == etree.tostring(
        part(source, "word/document.xml")
    )


def test_works_without_house_reference_doc(tmp_path):
    """pandoc's default styles lack the endnote styles: the converter adds them."""
    source = pandoc_docx(BRIEF_MD, tmp_path / "plain-ref.docx", reference=None)
    result = tmp_path / "plain-ref-out.docx"
    assert convert_to_endnotes(source, result) == len(NOTE_TEXTS)
    style_ids = {
        s.get(f"{{{W}}}styleId") for s in part(result, "word/styles.xml").findall("w:style", NS)
    }
    assert {"EndnoteText", "EndnoteReference"} <= style_ids


def test_converting_in_place(built, tmp_path):
    target = tmp_path / "in-place.docx"
    shutil.copyfile(built["source"], target)
    convert_to_endnotes(target, target, source_date_epoch=EPOCH)
    assert target.read_bytes() == built["result"].read_bytes()


def test_repeat_of_unknown_note_is_an_error(tmp_path):
    markdown = f'A \\[[[^n1]]{{#cite_n1}}\\] b \\[[5]{{custom-style="NoteRef"}}\\].\n\n[^n1]: {endnote("One.")}\n'
    source = pandoc_docx(markdown, tmp_path / "bad.docx")
    with pytest.raises(ValueError, match="does not name one of the 1 notes"):
        convert_to_endnotes(source, tmp_path / "bad-out.docx")


def test_numbers_out_of_order_are_an_error(tmp_path):
    markdown = (f"A \\[[[^n2]]{{#cite_n2}}\\] b \\[[[^n1]]{{#cite_n1}}\\].\n\n[^n1]: {endnote('One.')}\n"
                f"[^n2]: {endnote('Two.')}\n")
    source = pandoc_docx(markdown, tmp_path / "order.docx")
    with pytest.raises(ValueError, match="disagree"):
        convert_to_endnotes(source, tmp_path / "order-out.docx")


# --------------------------------------------------------------------------
# The note's number on the line of its text (pipeline/docx_finish.py)


@pytest.fixture(scope="module")
def joined(built) -> Path:
    """The converted package with the note marks joined to their text, as the pipeline finishes it."""
    parts = read_docx_parts(built["result"])
    join_note_marks(parts)
    result = built["folder"] / "brief-joined.docx"
    write_docx_zip(result, parts, EPOCH)
    return result


def test_pandoc_sets_the_mark_of_a_styled_note_apart(built):
    """Why the joining is needed: a source note holds a styled Div, so pandoc writes its mark alone."""
    for note in notes_of(built["result"])[2:]:
        first = note.find("w:p", NS)
        assert first.find(".//w:endnoteRef", NS) is not None
        assert not text_of(first).strip()


def test_note_mark_starts_the_first_paragraph_of_its_text(built, joined):
    before, after = notes_of(built["result"])[2:], notes_of(joined)[2:]
    assert len(after) == len(NOTE_TEXTS)
    for old, note, text in zip(before, after, NOTE_TEXTS):
        assert len(note.findall("w:p", NS)) == len(old.findall("w:p", NS)) - 1
        first = note.find("w:p", NS)
        runs = first.findall("w:r", NS)
        assert runs[0].find("w:endnoteRef", NS) is not None
        assert runs[1].find("w:tab", NS) is not None  # Endnote Text hangs the number
        assert text_of(first).strip() == text
        assert first.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") == "EndnoteText"


# --------------------------------------------------------------------------
# LibreOffice


@pytest.fixture
def soffice() -> str:
    """LibreOffice is a requirement of the project, never a reason to skip."""
    path = shutil.which("soffice")
    if path is None:
        pytest.fail("soffice is not on PATH: install LibreOffice (libreoffice-writer-nogui)")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is not on PATH: install poppler-utils")
    return path


@pytest.mark.libreoffice
def test_libreoffice_sets_each_number_on_the_line_of_its_note(joined, soffice, tmp_path):
    [pdf] = libreoffice_to_pdf([joined], tmp_path, soffice)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    lines = re.sub(r"[ \t]+", " ", text.replace("\f", "\n"))  # justified lines come out with runs of spaces
    for number, note in enumerate(NOTE_TEXTS, start=1):
        assert re.search(rf"(?m)^ ?{number} {re.escape(note[:20])}", lines), f"note {number}:\n{text}"


@pytest.mark.libreoffice
def test_libreoffice_renders_decimal_endnotes(built, soffice, tmp_path):
    [pdf] = libreoffice_to_pdf([built["result"]], tmp_path, soffice)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    positions = []
    for number, note in enumerate(NOTE_TEXTS, start=1):
        match = re.search(rf"(?m)^\s*{number}\s+{re.escape(note[:25])}", text)
        assert match, f"endnote {number} ({note[:25]}...) not found in:\n{text}"
        assert note in flat
        positions.append(match.start())
    assert positions == sorted(positions), "endnotes in number order"
    assert not re.search(r"(?m)^\s*i{1,3}\s", text), "roman numerals"
    for marker in MARKERS:
        assert marker in flat, f"{marker!r} not in the rendered text"


# --------------------------------------------------------------------------
# The house reference document


def styles_by_id() -> dict[str, etree._Element]:
    styles = part(REFERENCE_DOCX, "word/styles.xml")
    return {s.get(f"{{{W}}}styleId"): s for s in styles.findall("w:style", NS)}


def test_reference_docx_is_up_to_date():
    """Regenerating gives the same bytes: the checked-in file matches the script."""
    completed = subprocess.run(
        [sys.executable, str(MAKE_REFERENCE), "--check"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


def test_reference_docx_styles():
    styles = styles_by_id()
    for style in styles.values():  # every style it refers to exists
        for link in ("basedOn", "next", "link"):
            target = style.find(f"w:{link}", NS)
            assert target is None or target.get(f"{{{W}}}val") in styles, (
                style.get(f"{{{W}}}styleId"),
                link,
            )
    table_defaults = [
        s
        for s in styles.values()
        if s.get(f"{{{W}}}type") == "table" and s.get(f"{{{W}}}default") == "1"
    ]
    assert [s.get(f"{{{W}}}styleId") for s in table_defaults] == ["TableNormal"]

    def run_prop(style_id: str, path: str, attribute: str = "val") -> str | None:
        element = styles[style_id].find(f"w:rPr/{path}", NS)
        return None if element is None else element.get(f"{{{W}}}{attribute}")

    assert run_prop("Normal", "w:rFonts", "ascii") == "EB Garamond"
    assert run_prop("Normal", "w:sz") == "22"
    for style_id in ("Title", "Heading1", "Heading2", "Heading3"):  # black, like the PDF
        assert run_prop(style_id, "w:rFonts", "ascii") == "Inter"
        assert run_prop(style_id, "w:color") == "000000"
    assert run_prop("Hyperlink", "w:color") == "1F4E79"
    assert run_prop("EndnoteText", "w:sz") == "18"
    assert run_prop("EndnoteReference", "w:vertAlign") in (None, "baseline")
    assert styles["NoteRef"].find("w:basedOn", NS).get(f"{{{W}}}val") == "EndnoteReference"
    assert styles["NoteRef"].find("w:rPr", NS) is None
