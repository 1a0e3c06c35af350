"""The PDFs as a reader sees them: text, pages, fonts, contents, links, tags."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS_BRIEFS, SAMPLE
from outputs import pdf_fonts, pdf_info, pdf_pages_text, pdf_text
from pypdf import PdfReader

from pipeline.i18n import labels_for
from pipeline.model import read_document

BRIEFS = CORPUS_BRIEFS
MARKER = re.compile(r"\[\d+(?:, [^\]\n]+)?\]")


def note_link_sequence(path) -> list[int]:
    """Note numbers of the citation links, in reading order."""
    numbers = []
    for page in PdfReader(path).pages:
        for annot in page.get("/Annots", []) or []:
            dest = annot.get_object().get("/Dest")
            if isinstance(dest, str) and dest.startswith("note-"):
                numbers.append(int(dest.split("-")[1]))
    return numbers


@pytest.mark.parametrize("slug", BRIEFS)
def test_short_pdf_fits_limit_and_has_no_markers(corpus, slug):
    pdf = corpus.file(slug, "short", "pdf")
    pages = int(pdf_info(pdf)["Pages"])
    limit = 5 if slug == "big" else 2
    assert 1 <= pages <= limit
    text = pdf_text(pdf)
    assert not MARKER.search(text), MARKER.search(text)
    assert not note_link_sequence(pdf)


def test_sample_short_pdf_content(corpus):
    text = pdf_text(corpus.file(SAMPLE, "short", "pdf"))
    flat = " ".join(text.split())
    for expected in ("Venezuela’s security forces and the drug trade", "Executive summary", "Key points",
                     "How the allegations are framed", "What the record supports", "Public",
                     "How have Venezuela’s military and security forces been implicated"):
        assert expected in flat, expected
    assert "Limitations" not in flat  # short: false
    assert "Notes" not in flat


@pytest.mark.parametrize("slug", BRIEFS)
def test_pdf_metadata_tagging_and_fonts(corpus, slug):
    for variant in ("short", "long"):
        pdf = corpus.file(slug, variant, "pdf")
        info = pdf_info(pdf)
        assert info["Tagged"] == "yes"
        assert info["Title"]
        reader = PdfReader(pdf)
        root = reader.trailer["/Root"]
        assert root["/MarkInfo"]["/Marked"]
        assert "/StructTreeRoot" in root
        assert root["/Lang"] == read_document(corpus.build / slug / ".work" / "brief.json").meta.language
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert re.search(r'pdfuaid:part(="1"|>1<)', xmp), "XMP does not declare PDF/UA-1"
        size = info["Page size"]
        assert ("612 x 792" in size) if slug == "mini" else ("595.276 x 841.89" in size)
        fonts = pdf_fonts(pdf)
        assert fonts
        for font in fonts:
            assert font["emb"] == "yes", font
            family = font["name"].split("+")[-1]
            # the house faces, or a face of the catalogue (pipeline/fonts.py names them "Brief ...")
            assert family.startswith(("EB-Garamond", "Inter", "Brief-")), f"fallback font {family} in {pdf.name}"


def test_sample_pdf_author_and_keywords(corpus):
    info = pdf_info(corpus.file(SAMPLE, "long", "pdf"))
    assert info["Author"] == "Policy Research Team"
    assert "Cartel de los Soles" in info["Keywords"]


# Lines of right-to-left text come out of pdftotext in drawing order: the
# Arabic brief's contents are checked by tests/test_scripts.py.
@pytest.mark.parametrize("slug", [slug for slug in BRIEFS if slug != "arabic"])
def test_long_pdf_contents_page_numbers_are_right(corpus, slug):
    pdf = corpus.file(slug, "long", "pdf")
    pages = pdf_pages_text(pdf)
    # Contents lines: "3. Evidence and its limits ........ 2"
    toc_entries = []
    for page_no, page in enumerate(pages, start=1):
        for line in page.splitlines():
            match = re.match(r"^\s*(\d+\.\s+.+?)\s*\.{3,}\s*(\d+)\s*$", line)
            if match:
                toc_entries.append((page_no, " ".join(match.group(1).split()), int(match.group(2))))
    sections = read_document(corpus.build / slug / ".work" / "brief.json").sections
    assert len(toc_entries) >= len(sections) - sum(len(s.title.plain) > 60 for s in sections)
    # the pages without the contents' own lines (the summary follows the contents on its page)
    bodies = ["\n".join(line for line in text.splitlines() if not re.search(r"\.{3,}\s*\d+\s*$", line))
              for text in pages]
    for _, title, page in toc_entries:
        number = title.split(".")[0]
        heading = [i for i, text in enumerate(bodies, start=1) if
                   re.search(rf"^\s*{number}\.\s+\S", text, re.M) and title.split(". ", 1)[1][:20] in " ".join(text.split())]
        assert heading, f"heading {title!r} not found"
        assert page == heading[0], f"{title!r}: contents says page {page}, heading is on page {heading[0]}"


@pytest.mark.parametrize("slug", BRIEFS)
def test_long_pdf_outline_and_running_head(corpus, slug):
    pdf = corpus.file(slug, "long", "pdf")
    reader = PdfReader(pdf)
    outline = [" ".join(item.title.split()) for item in reader.outline if not isinstance(item, list)]
    document = read_document(corpus.build / slug / ".work" / "brief.json")
    for section in document.sections:
        assert f"{section.number}. {section.title.plain}" in outline
    pages = pdf_pages_text(pdf)
    total = len(pages)
    meta = document.meta
    page_of = labels_for(meta.language)["page_of"]
    running_title = (meta.short_title or meta.title).plain
    for number, text in enumerate(pages, start=1):
        flat = " ".join(re.sub("[\u202a-\u202e]", "", text).split())  # pdftotext marks right-to-left runs
        # spaces compared away: pdftotext moves them around the numbers of right-to-left text
        assert "".join(page_of.format(page=number, pages=total).split()) in "".join(flat.split())
        if meta.distribution:
            assert meta.distribution.plain in flat
        if number > 1:
            assert " ".join(running_title[:15].split()) in flat  # running head (not on the title page)


def test_sample_long_pdf_notes_in_order_and_links(corpus):
    pdf = corpus.file(SAMPLE, "long", "pdf")
    text = " ".join(pdf_text(pdf).split())
    notes = text[text.rindex("Notes"):]
    positions = [notes.index(f"Unnamed source {n} of the original reporting") for n in range(1, 14)]
    assert positions == sorted(positions)
    sequence = note_link_sequence(pdf)
    # first citations appear in note order; all 13 notes are cited
    firsts = list(dict.fromkeys(sequence))
    assert firsts == list(range(1, 14))
    # every note links back to each of its citations
    reader = PdfReader(pdf)
    back = [a.get_object()["/Dest"] for p in reader.pages for a in (p.get("/Annots") or [])
            if isinstance(a.get_object().get("/Dest"), str) and a.get_object()["/Dest"].startswith("cite-")]
    assert len(back) == len(sequence)


def test_locators_and_groups_in_pdf_text(corpus):
    text = " ".join(pdf_text(corpus.file("mini", "long", "pdf")).split())
    assert re.search(r"\[1, 2\]", text)
    assert re.search(r"\[3, p\. 12\]", text)


def test_spanish_pdf_labels_and_image(corpus):
    pdf = corpus.file("es-bib", "long", "pdf")
    text = " ".join(pdf_text(pdf).split())
    for label in ("Índice", "Resumen ejecutivo", "Notas"):
        assert label in text
    reader = PdfReader(pdf)
    images = {image.name for page in reader.pages for image in page.images}
    assert len(images) == 1


def structure_types(pdf) -> set[str]:
    """Every structure element type (/S) in the PDF's tag tree."""
    reader = PdfReader(pdf)
    found, stack, seen = set(), [reader.trailer["/Root"]["/StructTreeRoot"]], set()
    while stack:
        node = stack.pop()
        if hasattr(node, "get_object"):
            if id(node.get_object()) in seen:
                continue
            seen.add(id(node.get_object()))
            node = node.get_object()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "/S" in node:
                found.add(str(node["/S"]))
            if "/K" in node:
                stack.append(node["/K"])
    return found


def test_tags_carry_headings_lists_links_and_notes(corpus):
    types = structure_types(corpus.file(SAMPLE, "long", "pdf"))
    assert {"/H1", "/P", "/L", "/LI", "/Link"} <= types, types


def test_pdf_subject_is_the_question(corpus):
    info = pdf_info(corpus.file(SAMPLE, "long", "pdf"))
    assert info["Subject"].startswith("How have Venezuela")
