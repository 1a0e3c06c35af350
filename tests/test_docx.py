"""The DOCX files: Word's styles, core properties, native endnotes, LibreOffice."""

from __future__ import annotations

import re

import docx
import pytest

from conftest import CORPUS_BRIEFS, SAMPLE
from outputs import NS, docx_paragraphs, docx_parts, docx_xml, libreoffice_to_pdf
from pipeline.model import read_document

BRIEFS = CORPUS_BRIEFS
W = NS["w"]


def document_of(corpus, slug):
    return read_document(corpus.build / slug / ".work" / "brief.json")


def docx_citation_sequence(path, part: str = "word/document.xml") -> list[int]:
    """Note numbers of the citations in reading order: endnote references and NOTEREF fields."""
    endnotes = docx_xml(path, "word/endnotes.xml")
    order = [n.get(f"{{{W}}}id") for n in endnotes.findall("w:endnote", NS)
             if n.get(f"{{{W}}}type") is None]
    number_of = {note_id: index for index, note_id in enumerate(order, start=1)}
    sequence = []
    for element in docx_xml(path, part).iter(f"{{{W}}}endnoteReference", f"{{{W}}}instrText"):
        if element.tag == f"{{{W}}}endnoteReference":
            sequence.append(number_of[element.get(f"{{{W}}}id")])
        elif "NOTEREF" in (element.text or ""):
            sequence.append(int(re.search(r"_RefEn_n(\d+)", element.text).group(1)))
    return sequence


@pytest.mark.parametrize("slug", BRIEFS)
def test_core_properties(corpus, slug):
    meta = document_of(corpus, slug).meta
    for variant in ("short", "long"):
        props = docx.Document(corpus.file(slug, variant, "docx")).core_properties
        assert props.title == meta.title.plain
        assert props.author == "; ".join(a.name.plain for a in meta.authors) or not meta.authors
        assert props.language == meta.language
        for keyword in meta.keywords:
            assert keyword in props.keywords


@pytest.mark.parametrize("slug", BRIEFS)
def test_built_in_styles_carry_the_structure(corpus, slug):
    document = document_of(corpus, slug)
    paragraphs = docx_paragraphs(corpus.file(slug, "long", "docx"))
    styles = [style for style, _ in paragraphs]
    assert styles[0] == "Title"
    headings = [text for style, text in paragraphs if style == "Heading1"]
    expected = [document.labels["summary"]] + [f"{s.number}. {s.title.plain}" for s in document.sections]
    assert headings == expected
    # the look comes from the reference document's styles, not direct formatting
    body = docx_xml(corpus.file(slug, "long", "docx"))
    assert not body.findall(".//w:r/w:rPr/w:rFonts", NS)
    assert not body.findall(".//w:r/w:rPr/w:sz", NS)


@pytest.mark.parametrize("slug", BRIEFS)
def test_long_docx_has_native_endnotes_in_order(corpus, slug):
    document = document_of(corpus, slug)
    path = corpus.file(slug, "long", "docx")
    assert "word/endnotes.xml" in docx_parts(path)
    endnotes = docx_xml(path, "word/endnotes.xml")
    notes = [n for n in endnotes.findall("w:endnote", NS) if n.get(f"{{{W}}}type") is None]
    assert len(notes) == len(document.notes)
    body = docx_xml(path)
    assert len(body.findall(".//w:endnoteReference", NS)) == len(document.notes)
    assert len(body.findall(".//w:footnoteReference", NS)) == len(document.footnotes)
    # numbering: first citation order, the same as the intermediate's citations
    from collections import Counter

    from test_parity import expected_markers, first_cited_in_footnotes

    expected = expected_markers(document)
    footnote_part = "word/footnotes.xml" if document.footnotes else None
    found = docx_citation_sequence(path) + (docx_citation_sequence(path, footnote_part) if footnote_part else [])
    assert Counter(found) == Counter(expected + first_cited_in_footnotes(document))
    if not document.footnotes:
        assert docx_citation_sequence(path) == expected
    settings = docx_xml(path, "word/settings.xml")
    assert settings.find("w:endnotePr/w:numFmt", NS).get(f"{{{W}}}val") == "decimal"


def test_sample_endnote_texts(corpus):
    endnotes = docx_xml(corpus.file(SAMPLE, "long", "docx"), "word/endnotes.xml")
    texts = ["".join(t.text or "" for t in n.iter(f"{{{W}}}t"))
             for n in endnotes.findall("w:endnote", NS) if n.get(f"{{{W}}}type") is None]
    for number, text in enumerate(texts, start=1):
        assert f"Unnamed source {number} of the original reporting" in text


@pytest.mark.parametrize("slug", BRIEFS)
def test_short_docx_has_no_notes_or_markers(corpus, slug):
    path = corpus.file(slug, "short", "docx")
    body = docx_xml(path)
    assert not body.findall(".//w:endnoteReference", NS)
    assert not body.findall(".//w:footnoteReference", NS)
    text = " ".join(t for _, t in docx_paragraphs(path))
    assert not re.search(r"\[\d+(, [^\]]+)?\]", text)
    assert "Key points" in text or "Puntos clave" in text


def test_letter_page_size_follows_brief(corpus):
    for slug, width in (("mini", "12240"), (SAMPLE, "11906")):
        section = docx_xml(corpus.file(slug, "long", "docx")).find(".//w:body/w:sectPr/w:pgSz", NS)
        assert section.get(f"{{{W}}}w") == width


@pytest.mark.libreoffice
def test_libreoffice_opens_every_docx_and_shows_the_same_numbers(corpus, tmp_path):
    from outputs import pdf_text

    from collections import Counter

    from test_parity import first_cited_in_footnotes

    files = [corpus.file(slug, variant, "docx") for slug in BRIEFS for variant in ("short", "long")]
    for path, converted in zip(files, libreoffice_to_pdf(files, tmp_path)):
        text = " ".join(pdf_text(converted).split())
        if path.stem.endswith("-long"):
            slug = path.stem.rsplit("-", 1)[0]
            ours = " ".join(pdf_text(corpus.file(slug, "long", "pdf")).split())
            document = document_of(corpus, slug)
            if document.footnotes:  # footnotes sit at the foot of the page in both, in another order
                moved = Counter(first_cited_in_footnotes(document))
                assert Counter(marker_numbers(text)) == Counter(marker_numbers(ours)) + moved, path.name
            else:
                assert marker_numbers(text) == marker_numbers(ours), path.name
            assert not re.search(r"\b(ii|iii|iv)\b\s", text[-2000:])  # endnotes are not roman


def marker_numbers(text: str) -> list[int]:
    """Note numbers shown in bracketed citation markers, in order."""
    numbers = []
    for group in re.findall(r"\[(\d+(?:, [^\[\]]{1,30}?)*)\]", text):
        numbers += [int(part) for part in group.split(", ") if part.isdigit()]
    return numbers
