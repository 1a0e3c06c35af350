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


def long_headings(document) -> list[str]:
    """The long version's level-1 headings, in order: summary, sections, Notes, appendices, back matter."""
    headings = [document.labels["summary"], *[f"{s.number}. {s.title.plain}" for s in document.sections]]
    if document.notes:
        headings.append(document.labels["notes"])
    headings += [f"{document.labels['appendix']} {a.letter}. {a.title.plain}" for a in document.appendices]
    return headings + [part.title.plain for part in document.back]


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
    assert styles[:2] == (["Organization", "Title"] if document.meta.organization else ["Title", styles[1]])
    headings = [text.replace("\xa0", " ") for style, text in paragraphs if style == "Heading1"]
    assert headings == long_headings(document)
    # the look comes from the reference document's styles, not direct formatting
    body = docx_xml(corpus.file(slug, "long", "docx"))
    # (pandoc marks East Asian runs with a script hint, w:rFonts w:hint="eastAsia", which names no font)
    assert not [f for f in body.findall(".//w:r/w:rPr/w:rFonts", NS) if set(f.attrib) != {f"{{{W}}}hint"}]
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
    assert document_of(corpus, slug).labels["key_points"] in text


def test_letter_page_size_follows_brief(corpus):
    for slug, width in (("mini", "12240"), (SAMPLE, "11906")):
        section = docx_xml(corpus.file(slug, "long", "docx")).find(".//w:body/w:sectPr/w:pgSz", NS)
        assert section.get(f"{{{W}}}w") == width


@pytest.mark.libreoffice
def test_libreoffice_opens_every_docx_and_shows_the_same_numbers(corpus, tmp_path):
    from collections import Counter

    from outputs import pdf_text
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


# --------------------------------------------------------------------------
# Page furniture, contents, Notes, properties, fonts (pipeline/docx_finish.py)

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VARIANTS = ("short", "long")


def squash(text: str) -> str:
    """Text without spaces, case-folded: LibreOffice sets small capitals letter by letter in pdftotext."""
    return re.sub(r"\s+", "", text).casefold()


def shown_text(element) -> str:
    """Visible text in an element, a complex field shown as «INSTRUCTION» instead of its cached result."""
    pieces, instruction, depth = [], "", 0
    for node in element.iter(f"{{{W}}}fldChar", f"{{{W}}}instrText", f"{{{W}}}t", f"{{{W}}}tab"):
        local = node.tag.split("}")[1]
        if local == "fldChar":
            kind = node.get(f"{{{W}}}fldCharType")
            if kind == "begin":
                depth, instruction = depth + 1, ""
            elif kind == "separate":
                pieces.append(f"«{instruction.split()[0]}»")
            elif kind == "end":
                depth -= 1
        elif local == "instrText":
            instruction += node.text or ""
        elif depth <= 0:
            pieces.append("\t" if local == "tab" else node.text or "")
    return "".join(pieces)


def run_texts(root) -> list[str]:
    """:func:`shown_text` of each paragraph."""
    return [shown_text(paragraph) for paragraph in root.iter(f"{{{W}}}p")]


def section_parts(path) -> dict[tuple[str, str], str]:
    """(headerReference|footerReference, type) -> part name, from the body's section properties."""
    section = docx_xml(path).find("w:body/w:sectPr", NS)
    rels = {rel.get("Id"): rel.get("Target") for rel in docx_xml(path, "word/_rels/document.xml.rels")}
    found = {}
    for reference in section:
        local = reference.tag.split("}")[1]
        if local in ("headerReference", "footerReference"):
            found[(local, reference.get(f"{{{W}}}type"))] = "word/" + rels[reference.get(f"{{{R_NS}}}id")]
    return found


def running_head(document) -> tuple[str, str]:
    meta = document.meta  # the theme's short name, else the organisation (as the PDF's running head)
    return (meta.short_title or meta.title).plain, \
        meta.identity.publisher or (meta.organization.plain if meta.organization else "")


def page_of(document) -> str:
    labels = document.labels
    return labels.get("page_of") or f"{labels['page']} {{page}} {labels['of']} {{pages}}"


@pytest.mark.parametrize("slug", BRIEFS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_header_and_footer_parts_with_the_briefs_texts(corpus, slug, variant):
    document = document_of(corpus, slug)
    path = corpus.file(slug, variant, "docx")
    parts = section_parts(path)
    assert set(parts) == {("headerReference", "default"), ("headerReference", "first"),
                          ("footerReference", "default"), ("footerReference", "first")}
    # the first section's properties: the Notes heading's when the back matter follows the notes
    section = next(docx_xml(path).find("w:body", NS).iter(f"{{{W}}}sectPr"))
    assert section.find("w:titlePg", NS) is not None, "the title page has its own (empty) header"
    overrides = {o.get("PartName"): o.get("ContentType") for o in docx_xml(path, "[Content_Types].xml")}
    for (kind, _), name in parts.items():
        assert name in docx_parts(path)
        assert overrides["/" + name].endswith("header+xml" if kind == "headerReference" else "footer+xml")

    title, organization = running_head(document)
    head = docx_xml(path, parts[("headerReference", "default")])
    [text] = run_texts(head)
    shown_title, _, shown_organization = text.partition("\t")
    for shown, full in ((shown_title, title), (shown_organization, organization)):
        # as it is, or cut with an ellipsis to keep the head on one line (LibreOffice's rendering shows it does)
        assert shown == full or (shown.endswith("…") and full.startswith(shown[:-1].rstrip())), (shown, full)
    assert bool(shown_organization) == bool(organization)
    assert {s.get(f"{{{W}}}val") for s in head.iter(f"{{{W}}}pStyle")} == {"Header"}
    assert not "".join(run_texts(docx_xml(path, parts[("headerReference", "first")]))).strip()

    distribution = document.meta.distribution.plain if document.meta.distribution else ""
    expected = distribution + "\t" + page_of(document).format(page="«PAGE»", pages="«NUMPAGES»")
    for kind in ("default", "first"):  # the footer on every page, the title page too
        foot = docx_xml(path, parts[("footerReference", kind)])
        assert run_texts(foot) == [expected]
        assert {s.get(f"{{{W}}}val") for s in foot.iter(f"{{{W}}}pStyle")} == {"Footer"}
        if distribution:
            label = [r for r in foot.iter(f"{{{W}}}r") if r.find("w:rPr/w:rStyle", NS) is not None]
            assert [r.find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val") for r in label] == ["DistributionLabel"]


def test_running_head_prefers_the_short_title(corpus):
    """A brief with short_title: the header uses it (the stress fixture's long title has one)."""
    with_short = [slug for slug in BRIEFS if document_of(corpus, slug).meta.short_title]
    assert with_short, "no brief of the corpus sets short_title"
    for slug in with_short:
        document = document_of(corpus, slug)
        head = docx_xml(corpus.file(slug, "long", "docx"),
                         section_parts(corpus.file(slug, "long", "docx"))[("headerReference", "default")])
        assert run_texts(head)[0].split("\t")[0] == document.meta.short_title.plain


def contents_entries(path) -> list[dict]:
    """The TOC field's cached entries: text, page number, link anchor, PAGEREF bookmark."""
    entries = []
    for paragraph in docx_xml(path).iter(f"{{{W}}}p"):
        style = paragraph.find("w:pPr/w:pStyle", NS)
        if style is None or style.get(f"{{{W}}}val") != "TOC1":
            continue
        link = paragraph.find("w:hyperlink", NS)
        text = shown_text(link)
        instructions = [t.text for t in link.iter(f"{{{W}}}instrText")]
        result = "".join(t.text or "" for t in link.iter(f"{{{W}}}t"))
        title, _, _ = text.partition("\t")
        entries.append({"title": title, "page": result[len(title):], "anchor": link.get(f"{{{W}}}anchor"),
                        "instructions": instructions, "text": text})
    return entries


@pytest.mark.parametrize("slug", BRIEFS)
def test_contents_is_a_word_toc_field_with_page_numbers(corpus, slug):
    document = document_of(corpus, slug)
    path = corpus.file(slug, "long", "docx")
    body = docx_xml(path)
    instructions = [t.text.strip() for t in body.iter(f"{{{W}}}instrText")]
    assert instructions.count('TOC \\o "1-1" \\h \\z \\u') == 1
    entries = contents_entries(path)
    headings = [(p, text) for p, text in zip(body.iter(f"{{{W}}}p"), run_texts(body))
                if p.find("w:pPr/w:pStyle", NS) is not None
                and p.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") == "Heading1"]
    expected = long_headings(document)

    def spaced(text: str) -> str:  # titles may keep their last two words together (a no-break space)
        return text.replace("\xa0", " ")

    assert [spaced(e["title"]) for e in entries] == expected == [spaced(text) for _, text in headings]
    # the field spans the entries: begin in the first, end in the last
    paragraphs = [p for p in body.iter(f"{{{W}}}p") if p.find("w:pPr/w:pStyle", NS) is not None
                  and p.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") == "TOC1"]
    kinds = [c.get(f"{{{W}}}fldCharType") for p in paragraphs for c in p.iter(f"{{{W}}}fldChar")]
    assert kinds[0] == "begin" and kinds[-1] == "end" and kinds.count("begin") == kinds.count("end")
    pages = []
    for entry, (heading, _) in zip(entries, headings):
        # a hyperlink and a PAGEREF to a hidden _Toc bookmark inside the heading, as Word's own contents
        assert entry["anchor"].startswith("_Toc")
        assert entry["instructions"] == [f" PAGEREF {entry['anchor']} \\h "]
        names = [b.get(f"{{{W}}}name") for b in heading.iter(f"{{{W}}}bookmarkStart")]
        assert entry["anchor"] in names
        assert entry["page"].isdigit(), entry
        pages.append(int(entry["page"]))
    assert pages == sorted(pages) and pages[0] >= 1


@pytest.mark.parametrize("slug", BRIEFS)
def test_notes_heading_before_the_endnotes(corpus, slug):
    document = document_of(corpus, slug)
    for variant in VARIANTS:
        body = docx_xml(corpus.file(slug, variant, "docx")).find("w:body", NS)
        # the last paragraph, or the one that ends the first section when the back matter follows the notes
        paragraphs = [child for child in body if child.tag == f"{{{W}}}p"]
        last = next((p for p in paragraphs if p.find("w:pPr/w:sectPr", NS) is not None), paragraphs[-1])
        style = last.find("w:pPr/w:pStyle", NS)
        is_notes = style is not None and style.get(f"{{{W}}}val") == "Heading1" \
            and run_texts(last) == [document.labels["notes"]]
        has_endnotes = "word/endnotes.xml" in docx_parts(corpus.file(slug, variant, "docx")) and any(
            n.get(f"{{{W}}}type") is None
            for n in docx_xml(corpus.file(slug, variant, "docx"), "word/endnotes.xml").findall("w:endnote", NS))
        assert is_notes == has_endnotes == (variant == "long" and bool(document.notes)), (slug, variant)


@pytest.mark.parametrize("slug", BRIEFS)
def test_section_numbers_in_the_accent_style(corpus, slug):
    body = docx_xml(corpus.file(slug, "long", "docx"))
    numbered = 0
    for paragraph in body.iter(f"{{{W}}}p"):
        style = paragraph.find("w:pPr/w:pStyle", NS)
        if style is None or style.get(f"{{{W}}}val") != "Heading1":
            continue
        first = next(r for r in paragraph.iter(f"{{{W}}}r") if r.find("w:t", NS) is not None)
        if re.fullmatch(r"\d+\.", first.find("w:t", NS).text):
            assert first.find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val") == "SectionNumber"
            numbered += 1
    assert numbered == len(document_of(corpus, slug).sections)


@pytest.mark.parametrize("slug", BRIEFS)
def test_title_block_names_each_author_once_and_the_rights(corpus, slug):
    document = document_of(corpus, slug)
    meta = document.meta
    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        paragraphs = docx_paragraphs(path)
        styles = [style for style, _ in paragraphs]
        assert "Author" not in styles and "Date" not in styles
        block = paragraphs[:styles.index("Heading1") if "TOCHeading" not in styles else styles.index("TOCHeading")]
        block_styles = [style for style, _ in block]
        expected = (["Organization"] if meta.organization else []) + ["Title"] + \
            (["Subtitle"] if meta.subtitle else []) + (["Question"] if meta.question else []) + \
            ["PublicationFacts"] + (["PublicationFacts"] if meta.doi or meta.isbn else []) + \
            (["Distribution"] if meta.distribution else []) + \
            (["Rights"] if meta.rights else [])
        assert block_styles == expected, (slug, variant)
        text = " ".join(t for _, t in block)
        for author in meta.authors:
            assert text.count(author.name.plain) == 1, author.name.plain
        facts = next(t for style, t in block if style == "PublicationFacts")
        assert meta.date_text in facts  # the date as the PDF prints it
        if meta.rights:
            assert dict(block)["Rights"] == meta.rights.plain


def words_of(path) -> int:
    """Words a reader sees in the text and the notes (field codes and hidden runs left out).

    As Word counts them: runs of characters between spaces, and each Chinese or Japanese character
    (ideograph, kana) as a word of its own.
    """
    import unicodedata

    def one_word(character: str) -> bool:
        name = unicodedata.name(character, "")
        return name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA",
                                "KATAKANA", "HALFWIDTH KATAKANA", "CJK RADICAL", "KANGXI RADICAL"))

    count = 0
    for name in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml"):
        if name not in docx_parts(path):
            continue
        for paragraph in docx_xml(path, name).iter(f"{{{W}}}p"):
            text = ""
            for element in paragraph.iter(f"{{{W}}}t", f"{{{W}}}tab"):
                if element.getparent().find("w:rPr/w:vanish", NS) is not None:
                    continue
                text += " " if element.tag.endswith("}tab") else element.text or ""
            count += len("".join(f" {c} " if one_word(c) else c for c in text).split())
    return count


@pytest.mark.parametrize("slug", BRIEFS)
def test_app_properties_tell_the_truth(corpus, slug):
    import zipfile

    document = document_of(corpus, slug)
    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("docProps/app.xml")
        assert b"Microsoft" not in raw
        app = {child.tag.split("}")[1]: child.text for child in docx_xml(path, "docProps/app.xml")}
        assert app["Application"] == "brief-pipeline"
        assert not {"Pages", "Lines", "Paragraphs", "AppVersion", "TotalTime", "Template"} & set(app)
        assert int(app["Words"]) == words_of(path) > 50
        assert app.get("Company") == (document.meta.organization.plain if document.meta.organization else None)


@pytest.mark.parametrize("slug", BRIEFS)
def test_tables_fit_the_text_column(corpus, slug):
    for variant in VARIANTS:
        body = docx_xml(corpus.file(slug, variant, "docx"))
        margins = body.find("w:body/w:sectPr/w:pgMar", NS)
        width = int(body.find("w:body/w:sectPr/w:pgSz", NS).get(f"{{{W}}}w")) - \
            int(margins.get(f"{{{W}}}left")) - int(margins.get(f"{{{W}}}right"))
        for table in body.iter(f"{{{W}}}tbl"):
            grid = [int(c.get(f"{{{W}}}w")) for c in table.findall("w:tblGrid/w:gridCol", NS)]
            assert sum(grid) <= width, (slug, variant, grid, width)


@pytest.mark.parametrize("slug", BRIEFS)
def test_lists_have_house_bullets_and_compact_indents(corpus, slug):
    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        if "word/numbering.xml" not in docx_parts(path):
            continue
        for level in docx_xml(path, "word/numbering.xml").iter(f"{{{W}}}lvl"):
            depth = int(level.get(f"{{{W}}}ilvl"))
            indent = level.find("w:pPr/w:ind", NS)
            assert indent.get(f"{{{W}}}hanging") == "397"  # 7 mm for the number, like the PDF's lists
            assert int(indent.get(f"{{{W}}}left")) == 397 * (depth + 1)
            if level.find("w:numFmt", NS).get(f"{{{W}}}val") != "bullet":
                continue
            assert level.find("w:rPr/w:rFonts", NS) is None  # no Symbol, Wingdings, Courier New
            assert level.find("w:lvlText", NS).get(f"{{{W}}}val") in (" ", "•", "◦", "–")


@pytest.mark.parametrize("slug", BRIEFS)
def test_docx_files_are_small_with_subset_fonts(corpus, slug):
    import zipfile

    for variant in VARIANTS:
        path = corpus.file(slug, variant, "docx")
        assert path.stat().st_size < 400_000, (path.name, path.stat().st_size)
        fonts = docx_xml(path, "word/fontTable.xml")
        embedded = [e for font in fonts for e in font if e.tag.split("}")[1].startswith("embed")]
        assert embedded and all(e.get(f"{{{W}}}subsetted") == "1" for e in embedded)
        with zipfile.ZipFile(path) as archive:
            sizes = [archive.getinfo(n).file_size for n in archive.namelist() if n.startswith("word/fonts/")]
        # the house faces (at most 7) and a script's four (tests/test_docx_scripts.py checks those)
        assert len(sizes) == len(embedded) <= (11 if document_of(corpus, slug).meta.scripts else 7)
        # whole faces are 340-520 KB; a subset of a CJK face, TrueType, about 120 KB
        assert max(sizes) < (160_000 if document_of(corpus, slug).meta.scripts else 80_000)


# LibreOffice renders the DOCX (issue 11, c): what a reader sees on each page.

FURNITURE_FILES = [(SAMPLE, "long"), (SAMPLE, "short"), ("big", "long"), ("footnotes", "long"), ("stress", "long"),
                   ("chinese", "long")]


@pytest.fixture(scope="module")
def rendered(corpus, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("docx-rendered")
    files = [corpus.file(slug, variant, "docx") for slug, variant in FURNITURE_FILES]
    return dict(zip(FURNITURE_FILES, libreoffice_to_pdf(files, folder)))


def endnote_pages(document, pages: list[str]) -> int:
    """How many pages at the end hold only the endnotes.

    LibreOffice 7.4 sets a DOCX's endnotes on pages of its own "Endnote"
    page style, which has no header or footer (LibreOffice 24.8 and later
    run them on after the text, as Word does). Those pages must hold the
    endnotes and nothing of the text.
    """
    notes = squash(document.labels["notes"])
    heading_page = max((index for index, page in enumerate(pages)
                        if any(squash(line) == notes for line in page.splitlines())), default=None)
    if heading_page is None or heading_page == len(pages) - 1 or not document.notes:
        return 0
    # the appendices and back matter (a section of their own) may stand between the heading and the notes
    first_note = squash(" ".join(tree_text(document.notes[0].blocks).split()[:6]))
    start = next((i for i in range(heading_page + 1, len(pages)) if first_note in squash(pages[i])), None)
    if start is None:
        return 0
    after = squash("".join(pages[start:]))
    for note in document.notes:
        words = " ".join(tree_text(note.blocks).split()[:6])
        assert squash(words) in after, f"endnote {note.number} not on the pages after the Notes heading"
    assert squash(pages[start - 1])[:40] not in after  # nothing of the text on the endnote pages
    return len(pages) - start


def tree_text(blocks) -> str:
    from pipeline import tree

    return tree.stringify(blocks)


@pytest.mark.libreoffice
@pytest.mark.parametrize(("slug", "variant"), FURNITURE_FILES)
def test_libreoffice_shows_header_and_footer_on_every_page(corpus, rendered, slug, variant):
    from outputs import pdf_pages_text

    document = document_of(corpus, slug)
    pages = pdf_pages_text(rendered[(slug, variant)])
    assert len(pages) >= 2
    title, organization = running_head(document)
    head_path = corpus.file(slug, variant, "docx")
    head_text = run_texts(docx_xml(head_path, section_parts(head_path)[("headerReference", "default")]))[0]
    head = squash(head_text)  # the title as the header shows it (cut with an ellipsis if too long)
    distribution = document.meta.distribution.plain if document.meta.distribution else ""
    last = len(pages) - endnote_pages(document, pages) if variant == "long" else len(pages)
    for number, page in enumerate(pages[:last], start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        foot = distribution + page_of(document).format(page=number, pages=len(pages))
        assert squash(lines[-1]) == squash(foot), f"page {number}: {lines[-1]!r}"
        if number == 1:
            assert not any(squash(title)[:20] in squash(line) and squash(organization) in squash(line)
                           for line in lines), "no running head on the title page"
        else:
            assert squash(lines[0]) == head, f"page {number}: {lines[0]!r}"
    # nothing runs into the side margins: text, tables and furniture keep to the column
    import subprocess

    margins = docx_xml(head_path).find("w:body/w:sectPr/w:pgMar", NS)
    left, right = (int(margins.get(f"{{{W}}}{side}")) / 20 for side in ("left", "right"))
    boxes = subprocess.run(["pdftotext", "-bbox", str(rendered[(slug, variant)]), "-"], check=True,
                           capture_output=True, text=True).stdout
    pages_xml = re.findall(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', boxes, flags=re.S)
    for number, (page_width, content) in enumerate(pages_xml[:last], start=1):
        for x_min, x_max, word in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<',
                                             content):
            assert left - 1 <= float(x_min) and float(x_max) <= float(page_width) - right + 1, \
                f"page {number}: {word!r} outside the column"


@pytest.mark.libreoffice
def test_libreoffice_sets_several_briefs_in_one_session_in_the_house_faces(corpus, rendered):
    """The DOCX files above were converted by one LibreOffice process, which keeps the first embedded file
    of each face for the whole session: every character of every Latin-script brief is still in a house
    face. (Briefs in other scripts: tests/test_docx_scripts.py.)"""
    from outputs import pdf_fonts

    house = {"EBGaramond-Regular", "EBGaramond-SemiBold", "EBGaramond-Italic", "EBGaramond-SemiBoldItalic",
             "Inter-Regular", "Inter-Bold", "Inter-Italic"}
    for (slug, variant), pdf in rendered.items():
        if document_of(corpus, slug).meta.scripts:
            continue
        names = {font["name"].split("+", 1)[-1] for font in pdf_fonts(pdf)}
        assert names <= house, f"{slug}-{variant}: fallback fonts {sorted(names - house)}"


def heading_pages(pages: list[str], headings: list[str]) -> list[int | None]:
    """The page each heading starts on in LibreOffice's rendering (the contents' own lines skipped)."""
    found = []
    for heading in headings:
        target = squash(heading)
        page_number = None
        for number, page in enumerate(pages, start=1):
            for line in page.splitlines():
                shown = squash(line)
                if "...." in line or not shown:
                    continue
                if shown == target or (len(shown) >= 10 and target.startswith(shown)):
                    page_number = number
                    break
            if page_number:
                break
        found.append(page_number)
    return found


@pytest.mark.libreoffice
@pytest.mark.parametrize("slug", [SAMPLE, "big", "footnotes", "stress", "chinese"])
def test_contents_page_numbers_are_where_libreoffice_sets_the_headings(corpus, rendered, slug):
    """The cached page numbers (an estimate: LibreOffice shows them as they are) match its own layout."""
    from outputs import pdf_pages_text

    entries = contents_entries(corpus.file(slug, "long", "docx"))
    pages = pdf_pages_text(rendered[(slug, "long")])
    # Up to the Notes: after them, Word sets the endnotes (w:pos sectEnd) and then the appendices and back
    # matter, on a new page; LibreOffice 7.4 sets the endnotes at the very end and the back matter at once.
    notes = next((i for i, e in enumerate(entries) if e["title"] == document_of(corpus, slug).labels["notes"]),
                 len(entries) - 1)
    # An estimate: a heading whose lines only just fit at the foot of a page in LibreOffice may be set on
    # the next one (the sample's section 7 is 4 lines from the foot of page 3). Every number is within a
    # page of LibreOffice's, and nearly all are exact.
    laid_out = heading_pages(pages, [e["title"] for e in entries])[:notes + 1]
    estimated = [int(e["page"]) for e in entries][:notes + 1]
    assert all(abs(a - b) <= 1 for a, b in zip(laid_out, estimated)), (laid_out, estimated)
    assert sum(a == b for a, b in zip(laid_out, estimated)) >= 0.8 * len(estimated), (laid_out, estimated)
    after = [int(e["page"]) for e in entries[notes:]]
    assert after == sorted(after) and (len(after) < 2 or after[1] > after[0]), after


# Units of pipeline/docx_finish.py: the words of the footer, the running head's fit.


def test_page_of_follows_the_languages_word_order():
    from pipeline.docx_finish import page_of_pieces

    assert page_of_pieces({"page_of": "{page}/{pages}ページ", "page": "ページ", "of": "/"}) == [
        ("field", "PAGE"), ("text", "/"), ("field", "NUMPAGES"), ("text", "ページ")]
    assert page_of_pieces({"page_of": "Seite {page} von {pages}"}) == [
        ("text", "Seite "), ("field", "PAGE"), ("text", " von "), ("field", "NUMPAGES")]
    # a catalogue without page_of: the page and of labels, in English order
    assert page_of_pieces({"page": "página", "of": "de"}) == [
        ("text", "página "), ("field", "PAGE"), ("text", " de "), ("field", "NUMPAGES")]


def test_running_head_is_cut_to_one_line_never_wrapped():
    from pathlib import Path
    from types import SimpleNamespace

    from pipeline.docx_finish import HEAD_FONT, HEAD_GAP_PT, _HeadMeasure, running_head
    from pipeline.model import Text

    fonts = Path(__file__).resolve().parents[1] / "templates" / "fonts"
    measure = _HeadMeasure(fonts / HEAD_FONT)
    width = 6010  # twips: the A4 text column of the reference document (106 mm)

    def head(title: str, organization: str | None, short: str | None = None):
        meta = SimpleNamespace(title=Text(title, []), short_title=Text(short, []) if short else None,
                               organization=Text(organization, []) if organization else None,
                               identity=SimpleNamespace(publisher=""))
        return running_head(SimpleNamespace(meta=meta), width, fonts)

    assert head("A short title", "Desk") == ("A short title", "Desk")
    assert head("A title far too long " * 6, "Desk", short="Short") == ("Short", "Desk")
    long_title = "Containers, cranes and customs: how the island ports handle freight after the consolidation"
    long_organization = "Example Institute for Maritime and Regional Infrastructure Studies of the Islands"
    title, organization = head(long_title, long_organization)
    assert title.endswith("…") and long_title.startswith(title[:-1])
    assert organization.endswith("…") and long_organization.startswith(organization[:-1])
    assert measure(title) + measure(organization) + HEAD_GAP_PT <= width / 20
    title, organization = head(long_title * 2, None)
    assert organization == "" and title.endswith("…") and measure(title) <= width / 20
