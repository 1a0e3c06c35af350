"""Turn a validated brief into the typed intermediate (:mod:`pipeline.model`).

Reading summary.md and then the sections in order (a footnote's content at
its reference point), this numbers

* sources by first citation (``notes: sources``) or citations in order
  (``notes: citations``),
* the author's footnotes a, b, c ...,
* figures and tables, and resolves ``@fig-``, ``@tbl-``, ``@sec-``,

and replaces, in each part's document tree, every citation, footnote and
cross-reference by a placeholder span (class ``brief-cite``,
``brief-footnote``, ``brief-xref``; the author cannot write these classes)
that each output format turns into its own markers (:mod:`pipeline.compose`).
Headings written in a section body are demoted one level below the section
title and given identifiers of their own.
"""

from __future__ import annotations

from pathlib import Path

from . import i18n, tree
from .content import Brief, is_crossref
from .errors import ContentError, Problem
from .i18n import labels_for
from .model import Author, Citation, CitationItem, Document, Footnote, Meta, Note, Part, Target, Text
from .notes import CitationRequest, NoteFormatError, format_citation_notes, format_source_notes
from .references import cited_references

FOOTNOTE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def footnote_letter(index: int) -> str:
    """a ... z, aa, ab ... for the index-th footnote (0-based)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = FOOTNOTE_LETTERS[rest] + letters
    return letters


def placeholder(kind: str, value: str) -> dict:
    return tree.Span([], classes=[f"brief-{kind}"], pairs={"ref": value})


def placeholder_value(node: dict, kind: str) -> str | None:
    """The value of a placeholder span of ``kind``, or None if ``node`` is not one."""
    if node.get("t") != "Span" or f"brief-{kind}" not in node["c"][0][1]:
        return None
    return dict(node["c"][0][2]).get("ref")


def _text(brief: Brief, key: str, value: str | None) -> Text | None:
    """A metadata text: its inlines as pandoc read them, and the plain text they show."""
    if value is None:
        return None
    inlines = brief.texts.get(key) or tree.text(value)
    return Text(plain_text(inlines, brief.language), inlines)


def plain_text(inlines: list, language: str) -> str:
    """What inlines read as, with the language's quotation marks (for metadata fields)."""
    from .compose import localize_quotes

    return tree.stringify(localize_quotes(inlines, language))


def _meta(brief: Brief) -> Meta:
    meta = brief.meta
    language = meta.get("language", "en")
    return Meta(
        title=_text(brief, "title", meta["title"]),
        date=meta["date"],
        date_text=i18n.format_date(meta["date"], language),
        language=language,
        direction=i18n.direction(language),
        identifier=meta.get("identifier") or f"urn:brief:{brief.slug}",
        page_size=meta.get("page_size", "A4"),
        short_max_pages=(meta.get("short") or {}).get("max_pages", 2),
        notes_model=meta.get("notes", "sources"),
        subtitle=_text(brief, "subtitle", meta.get("subtitle")),
        question=_text(brief, "question", meta.get("question")),
        organization=_text(brief, "organization", meta.get("organization")),
        rights=_text(brief, "rights", meta.get("rights")),
        distribution=_text(brief, "distribution", meta.get("distribution")),
        short_title=_text(brief, "short_title", meta.get("short_title")),
        version=meta.get("version"),
        authors=[Author(_text(brief, f"authors.{i}.name", a["name"]),
                        _text(brief, f"authors.{i}.affiliation", a.get("affiliation")))
                 for i, a in enumerate(meta.get("authors") or [])],
        keywords=list(meta.get("keywords") or []),
        csl=meta.get("csl"),
    )


class _Numbering:
    """Numbers everything in reading order while the parts' trees are rewritten."""

    def __init__(self, brief: Brief):
        self.brief = brief
        self.model = brief.notes_model
        self.citations: list[Citation] = []
        self.footnotes: list[Footnote] = []
        self.source_numbers: dict[str, int] = {}
        self.uses: dict[int, int] = {}
        self.part_id = ""
        self.file = ""
        self.lines: dict[int, int | None] = {}
        self.in_footnote: str | None = None

    def part(self, part_id: str, file: str, reading) -> None:
        self.part_id, self.file = part_id, file
        # Cite nodes are located in reading order; their lines follow the same order.
        self.cite_lines = [cite.line for cite in reading.cites] if reading else []
        self.cite_position = 0

    def _next_line(self) -> int | None:
        line = self.cite_lines[self.cite_position] if self.cite_position < len(self.cite_lines) else None
        self.cite_position += 1
        return line

    def inline(self, node: dict):
        t = node["t"]
        if t == "Cite":
            line = self._next_line()
            citations = node["c"][0]
            keys = [c["citationId"] for c in citations]
            if all(is_crossref(k) for k in keys):
                return [placeholder("xref", k) for k in keys]
            if all(c["citationMode"]["t"] == "AuthorInText" for c in citations):
                return node["c"][1]  # a bare @word is text (see content._check_citations)
            return [self._citation(citations, line)]
        if t == "Note":
            letter = footnote_letter(len(self.footnotes))
            footnote = Footnote(letter, [], f"fnref-{letter}", self.part_id, self.file, None)
            self.footnotes.append(footnote)
            outer, self.in_footnote = self.in_footnote, letter
            footnote.blocks = tree.map_inlines(node["c"], self.inline)
            self.in_footnote = outer
            return [placeholder("footnote", letter)]
        return None

    def _citation(self, citations: list[dict], line: int | None) -> dict:
        index = len(self.citations)
        items = []
        for c in citations:
            key = c["citationId"]
            if self.model == "citations":
                number = len(self.citations) + 1
                anchor = f"cite-{number}"
            else:
                number = self.source_numbers.setdefault(key, len(self.source_numbers) + 1)
                self.uses[number] = self.uses.get(number, 0) + 1
                anchor = f"cite-{number}-{self.uses[number]}"
            items.append(CitationItem(key, number, c["citationPrefix"], c["citationSuffix"], anchor))
        citation = Citation(index, items, self.file, line, self.in_footnote)
        if self.model == "citations":
            citation.number = index + 1
            citation.anchor = f"cite-{index + 1}"
        self.citations.append(citation)
        return placeholder("cite", str(index))


def _demote_and_name_headings(blocks: list, part_id: str) -> list:
    """Headings in a body sit one level below the part's title; each gets an identifier."""
    count = [0]

    def replace(block):
        if block["t"] != "Header":
            return None
        level, (identifier, classes, pairs), inlines = block["c"]
        count[0] += 1
        identifier = identifier or f"h-{part_id}-{count[0]}"
        return [{"t": "Header", "c": [min(level + 1, 6), [identifier, classes, pairs], inlines]}]

    return tree.map_blocks(blocks, replace)


def _targets(brief: Brief, parts: list[Part]) -> dict[str, Target]:
    """Numbered figures and tables (in reading order) and section targets."""
    targets: dict[str, Target] = {}
    figures = tables = 0
    for part, source in zip(parts, brief.parts):
        if source.anchor:
            targets[source.anchor] = Target(source.anchor, "section", str(part.number), part.id)

        def visit(node, part=part):
            nonlocal figures, tables
            attributes = tree.node_attr(node)
            if not attributes or not attributes[0].startswith(("fig-", "tbl-", "sec-")):
                return
            identifier = attributes[0]
            if node["t"] == "Figure" and identifier.startswith("fig-"):
                figures += 1
                targets[identifier] = Target(identifier, "figure", str(figures), identifier)
            elif node["t"] == "Table" and identifier.startswith("tbl-"):
                tables += 1
                targets[identifier] = Target(identifier, "table", str(tables), identifier)
            elif node["t"] == "Header" and identifier.startswith("sec-"):
                number = str(part.number) if part.number is not None else ""
                targets[identifier] = Target(identifier, "section", number, identifier)

        tree.walk(part.blocks, visit)
    return targets


def build_document(brief: Brief, session, templates_dir: Path | None = None) -> Document:
    """The intermediate for ``brief``; formats the notes with citeproc (ContentError if it cannot)."""
    numbering = _Numbering(brief)
    parts: list[Part] = []
    for index, source in enumerate(brief.parts):
        if source.kind == "summary":
            part_id, number = "summary", None
        else:
            part_id, number = f"section-{index}", index
        numbering.part(part_id, source.path.name, source.reading)
        blocks = tree.map_inlines(source.reading.blocks if source.reading else [], numbering.inline)
        blocks = _demote_and_name_headings(blocks, part_id)
        file = source.path.name if source.kind == "summary" else f"sections/{source.path.name}"
        part = Part(source.kind, part_id, file, blocks, number)
        if source.kind == "section":
            part.title = Text(plain_text(source.title_inlines, brief.language), source.title_inlines)
            part.key_point = Text(plain_text(source.key_point_inlines, brief.language), source.key_point_inlines)
            part.key_point_derived = source.key_point_derived
            part.short = source.short
        parts.append(part)

    notes = _format_notes(brief, numbering, session)
    meta = _meta(brief)
    images = sorted({image for source in brief.parts for image in source.images})
    document = Document(
        slug=brief.slug,
        meta=meta,
        labels=labels_for(meta.language),
        summary=parts[0],
        sections=parts[1:],
        citations=numbering.citations,
        notes=notes,
        footnotes=numbering.footnotes,
        targets=_targets(brief, parts),
        images=images,
        warnings=[w.format(relative_to=brief.folder.parent) for w in brief.warnings],
    )
    _choose_fonts(brief, document)
    return document


def document_text(document: Document) -> str:
    """Every character the outputs may show: texts, notes, labels (for the fonts)."""
    meta = document.meta
    pieces = [text.plain for text in (meta.title, meta.subtitle, meta.question, meta.organization, meta.rights,
                                       meta.distribution, meta.short_title) if text]
    pieces += [a.name.plain + " " + (a.affiliation.plain if a.affiliation else "") for a in meta.authors]
    pieces += [meta.date_text, *meta.keywords, *document.labels.values()]
    for part in document.parts:
        pieces.append(tree.stringify(part.blocks))
        pieces += [part.title.plain if part.title else "", part.key_point.plain if part.key_point else ""]
    pieces += [tree.stringify(item.prefix) + " " + tree.stringify(item.suffix)
               for citation in document.citations for item in citation.items]
    pieces += [tree.stringify(note.blocks) for note in document.notes]
    pieces += [tree.stringify(footnote.blocks) for footnote in document.footnotes]
    return "\n".join(pieces)


def _choose_fonts(brief: Brief, document: Document) -> None:
    """The brief's font groups; a character no font of the catalogue can draw is an error where it stands."""
    from .fonts import FontMissing, choose, describe

    text = document_text(document)
    try:
        document.meta.scripts, missing = choose(text, document.meta.language)
    except FontMissing as exc:
        raise ContentError([Problem(brief.folder / "brief.yaml", f"cannot choose the fonts: {exc}")]) from None
    if missing:
        raise ContentError([_where_is(brief, char, describe(char)) for char in missing])


def _where_is(brief: Brief, char: str, shown: str) -> Problem:
    """The first place a character stands in the brief's files, as a problem to report."""
    message = f"the character {shown} is in none of the brief's fonts"
    hint = "replace it, or write it as text (fonts cover Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari, " \
           "Thai, Chinese, Japanese, Korean and common symbols)"
    candidates = [brief.folder / "brief.yaml", *(part.path for part in brief.parts)]
    if brief.references.path:
        candidates.append(brief.references.path)
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError:
            continue
        offset = text.find(char)
        if offset >= 0:
            return Problem(path, message, text.count("\n", 0, offset) + 1, hint)
    return Problem(brief.folder / "brief.yaml", message, brief.meta_lines.line_of(["language"]), hint)


def _format_notes(brief: Brief, numbering: _Numbering, session) -> list[Note]:
    if not numbering.citations:
        return []
    keys = list(numbering.source_numbers) if brief.notes_model == "sources" else \
        list(dict.fromkeys(item.key for c in numbering.citations for item in c.items))
    try:
        references = cited_references(brief.references, keys, session)
        if brief.notes_model == "sources":
            texts = format_source_notes(keys, references, brief.style, brief.language, session)
            backlinks: dict[int, list[str]] = {}
            for citation in numbering.citations:
                for item in citation.items:
                    backlinks.setdefault(item.number, []).append(item.anchor)
            return [Note(number, [key], texts[key], backlinks.get(number, []))
                    for key, number in numbering.source_numbers.items()]
        requests = [CitationRequest([(i.key, i.prefix, i.suffix) for i in c.items]) for c in numbering.citations]
        texts_in_order = format_citation_notes(requests, references, brief.style, brief.language, session)
        return [Note(c.number, [i.key for i in c.items], blocks, [c.anchor])
                for c, blocks in zip(numbering.citations, texts_in_order)]
    except NoteFormatError as exc:
        refs = brief.references
        raise ContentError([Problem(refs.path or brief.folder / "brief.yaml", exc.message,
                                    refs.lines.get(exc.key), "check the entry's fields")]) from None
    except Exception as exc:
        from .pandoc import PandocError

        if isinstance(exc, PandocError):
            where = brief.style.path if "csl" in str(exc).lower() or "style" in str(exc).lower() else \
                (brief.references.path or brief.folder / "brief.yaml")
            raise ContentError([Problem(where, f"pandoc's citeproc failed: {exc}",
                                        hint="check the references file and the CSL style")]) from None
        raise
