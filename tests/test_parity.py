"""One publication in three formats: the same sections, notes and note numbers."""

from __future__ import annotations

import pytest
from conftest import CORPUS_BRIEFS, SAMPLE
from outputs import NS, docx_paragraphs, docx_xml, epub_documents, text_of
from pypdf import PdfReader
from test_docx import docx_citation_sequence
from test_pdf import note_link_sequence

from pipeline.model import read_document

BRIEFS = CORPUS_BRIEFS


def pdf_section_titles(path) -> list[str]:
    outline = [item.title for item in PdfReader(path).outline if not isinstance(item, list)]
    return [t for t in outline if t[:1].isdigit()]


def epub_section_titles(path) -> list[str]:
    titles = []
    for _, root in epub_documents(path):
        for heading in root.iter(f"{{{NS['x']}}}h1"):
            text = text_of(heading)
            if text[:1].isdigit():
                titles.append(text)
    return titles


def expected_markers(document, *, in_footnotes: bool | None = None) -> list[int]:
    """Note numbers of the citation markers in reading order (one per source, or one per citation).

    ``in_footnotes`` True or False keeps only the citations inside or outside author footnotes.
    """
    chosen = [c for c in document.citations if in_footnotes is None or bool(c.footnote) == in_footnotes]
    if document.meta.notes_model == "citations":
        return [citation.number for citation in chosen]
    return [item.number for citation in chosen for item in citation.items]


def first_cited_in_footnotes(document) -> list[int]:
    """Notes first cited inside a footnote: the DOCX also shows them after the footnote's letter."""
    seen, firsts = set(), []
    for citation in document.citations:
        numbers = [citation.number] if document.meta.notes_model == "citations" else [i.number for i in citation.items]
        for number in numbers:
            if number not in seen and citation.footnote:
                firsts.append(number)
            seen.add(number)
    return firsts


def epub_citation_sequence(path, in_footnotes: bool | None = None) -> list[int]:
    numbers = []
    where = {None: "", True: "[ancestor::x:aside]", False: "[not(ancestor::x:aside)]"}[in_footnotes]
    for _, root in epub_documents(path):
        for link in root.xpath(f"//x:a[@epub:type='noteref'][contains(@href, '#note-')]{where}", namespaces=NS):
            assert link.get("role") == "doc-noteref"
            numbers.append(int(link.get("href").rsplit("#note-", 1)[1]))
            assert text_of(link) == str(numbers[-1])
    return numbers


def epub_note_count(path) -> int:
    return sum(len(root.xpath("//x:li[@epub:type='endnote']", namespaces=NS)) for _, root in epub_documents(path))


@pytest.mark.parametrize("slug", BRIEFS)
def test_long_versions_agree(corpus, slug):
    document = read_document(corpus.build / slug / ".work" / "brief.json")
    expected_titles = [f"{s.number}. {s.title.plain}" for s in document.sections]
    pdf, docx_file, epub = (corpus.file(slug, "long", fmt) for fmt in ("pdf", "docx", "epub"))

    def spaced(titles: list[str]) -> list[str]:  # a title keeps its last two words together (no-break space)
        return [title.replace("\xa0", " ") for title in titles]

    docx_titles = [t for style, t in docx_paragraphs(docx_file) if style == "Heading1" and t[:1].isdigit()]
    assert spaced(pdf_section_titles(pdf)) == expected_titles
    assert spaced(docx_titles) == expected_titles
    assert spaced(epub_section_titles(epub)) == expected_titles

    notes = len(document.notes)
    endnotes = docx_xml(docx_file, "word/endnotes.xml").findall("w:endnote", NS)
    assert len([n for n in endnotes if n.get(f"{{{NS['w']}}}type") is None]) == notes
    assert epub_note_count(epub) == notes
    assert len(set(note_link_sequence(pdf))) == notes

    # The text's markers in reading order; a footnote's markers stand where the format puts the footnote
    # (the foot of the page, the end of the chapter, footnotes.xml), so every number is counted too.
    from collections import Counter

    expected = expected_markers(document)
    body = expected_markers(document, in_footnotes=False)
    assert Counter(note_link_sequence(pdf)) == Counter(expected)
    assert epub_citation_sequence(epub, in_footnotes=False) == body
    assert Counter(epub_citation_sequence(epub)) == Counter(expected)
    docx_body = docx_citation_sequence(docx_file)
    docx_notes = docx_citation_sequence(docx_file, part="word/footnotes.xml")
    assert Counter(docx_body + docx_notes) == Counter(expected + first_cited_in_footnotes(document))
    if not document.footnotes:
        assert note_link_sequence(pdf) == expected
        assert docx_body == expected


def test_sample_numbers_match_the_seed(corpus):
    """The seed's [n] marks map to src-n, numbered by first citation: note n is src-n."""
    document = read_document(corpus.build / SAMPLE / ".work" / "brief.json")
    assert [n.keys for n in document.notes] == [[f"src-{n:02d}"] for n in range(1, 14)]
