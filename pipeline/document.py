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
from .model import (
    Author,
    Citation,
    CitationItem,
    Document,
    Footnote,
    Identity,
    Licence,
    Meta,
    Note,
    Part,
    Series,
    Target,
    Text,
    ThemeFace,
)
from .notes import CitationRequest, NoteFormatError, format_citation_notes, format_source_notes
from .references import cited_references
from .theme import THEME_MEDIA

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
        doi=meta.get("doi"),
        isbn=meta.get("isbn"),
        url=meta.get("url"),
        series=Series(meta["series"]["name"], str(meta["series"]["number"]) if meta["series"].get("number")
                      is not None else None) if meta.get("series") else None,
        licence=_licence(meta.get("license")),
        identity=_identity(brief),
    )


def _licence(value) -> Licence | None:
    from .licence import resolve

    if value is None:
        return None
    found = resolve(value)  # checked when the brief was loaded
    return Licence(found.name, found.url, found.spdx)


def _identity(brief: Brief) -> Identity:
    theme = brief.theme
    if not theme.folder:
        return Identity()
    logo = f"{THEME_MEDIA}/{theme.data['logo']}" if theme.data.get("logo") else None
    faces = [ThemeFace(role, face.path.relative_to(theme.folder).as_posix(), face.family, face.weight, face.italic)
             for role, found in (("serif", theme.body_fonts), ("sans", theme.heading_fonts)) for face in found]
    return Identity(theme=theme.name, publisher=theme.data["name"], accent=theme.accent, secondary=theme.secondary,
                    tint=theme.tint, logo=logo, address=theme.data.get("address"), url=theme.data.get("url"),
                    fonts=faces)


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
    sources = [source for source in brief.parts if source.kind != "text"]
    for part, source in zip(parts, sources):
        kind = "appendix" if part.kind == "appendix" else "section"
        label = part.letter if part.kind == "appendix" else (str(part.number) if part.number is not None else "")
        if source.anchor:
            targets[source.anchor] = Target(source.anchor, kind, label, part.id)

        def visit(node, kind=kind, label=label):
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
                targets[identifier] = Target(identifier, kind, label, identifier)

        tree.walk(part.blocks, visit)
    return targets


APPENDIX_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def build_document(brief: Brief, session, templates_dir: Path | None = None) -> Document:
    """The intermediate for ``brief``; formats the notes with citeproc (ContentError if it cannot)."""
    numbering = _Numbering(brief)
    parts: list[Part] = []
    texts: dict[str, list] = {}  # the metadata texts read as blocks, by key (bio.0, acknowledgements ...)
    sections = appendices = 0
    for source in brief.parts:
        number = letter = None
        if source.kind == "summary":
            part_id, file = "summary", source.path.name
        elif source.kind == "section":
            sections += 1
            part_id, number, file = f"section-{sections}", sections, f"sections/{source.path.name}"
        elif source.kind == "appendix":
            letter = APPENDIX_LETTERS[appendices % 26] * (appendices // 26 + 1)
            appendices += 1
            part_id, file = f"appendix-{letter.lower()}", f"appendices/{source.path.name}"
        else:
            part_id = "text-" + source.key.replace(".", "-")
            file = source.path.relative_to(brief.folder.parent).as_posix() if source.path.is_relative_to(
                brief.folder.parent) else source.path.name
        numbering.part(part_id, file, source.reading)
        blocks = tree.map_inlines(source.reading.blocks if source.reading else [], numbering.inline)
        blocks = _demote_and_name_headings(blocks, part_id)
        if source.kind == "text":
            texts[source.key] = blocks
            continue
        part = Part(source.kind, part_id, file, blocks, number, letter=letter)
        if source.kind in ("section", "appendix"):
            part.title = Text(plain_text(source.title_inlines, brief.language), source.title_inlines)
        if source.kind == "section":
            part.key_point = Text(plain_text(source.key_point_inlines, brief.language), source.key_point_inlines)
            part.key_point_derived = source.key_point_derived
            part.short = source.short
        parts.append(part)

    notes = _format_notes(brief, numbering, session)
    meta = _meta(brief)
    labels = labels_for(meta.language)
    images = sorted({image for source in brief.parts for image in source.images})
    if meta.identity.logo:
        images.append(meta.identity.logo)
    body = [p for p in parts if p.kind in ("summary", "section")]
    document = Document(
        slug=brief.slug,
        meta=meta,
        labels=labels,
        summary=body[0],
        sections=body[1:],
        citations=numbering.citations,
        notes=notes,
        footnotes=numbering.footnotes,
        targets=_targets(brief, parts),
        images=images,
        warnings=[w.format(relative_to=brief.folder.parent) for w in brief.warnings],
        appendices=[p for p in parts if p.kind == "appendix"],
    )
    document.back = _back_matter(brief, document, texts, session)
    _choose_fonts(brief, document)
    return document


def _back_matter(brief: Brief, document: Document, texts: dict[str, list], session) -> list[Part]:
    """What follows the Notes and appendices of the long version, each only when there is something to say:
    about the authors, acknowledgements, about the organisation, how to cite, licence, disclaimer."""
    meta, labels = document.meta, document.labels
    back: list[Part] = []

    def add(part_id: str, title: str, blocks: list) -> None:
        back.append(Part("back", part_id, "brief.yaml", blocks, title=Text(title, tree.text(title))))

    bios: list = []
    for index, author in enumerate(meta.authors):
        if f"bio.{index}" in texts:
            bios.append(tree.Div([tree.Para([tree.Strong(author.name.inlines)]), *texts[f"bio.{index}"]],
                                 classes=["bio"]))
    if bios:
        add("about-authors", labels["about_authors"], bios)
    if "acknowledgements" in texts:
        add("acknowledgements", labels["acknowledgements"], texts["acknowledgements"])
    identity = meta.identity
    if "about" in texts or identity.address or identity.url:
        blocks = list(texts.get("about", []))
        contact = []
        if identity.address:
            contact.append(tree.text(identity.address))
        if identity.url:
            contact.append([tree.Link(tree.text(identity.url), identity.url, classes=["uri"])])
        if contact:
            # one paragraph per line: a line break in a justified paragraph stretches the line before it in Word
            blocks.append(tree.Div([tree.Para(piece) for piece in contact], classes=["imprint"]))
        organization = meta.organization.plain if meta.organization else identity.publisher
        add("about-organization", labels["about_organization"].format(organization=organization), blocks)
    citation = _suggested_citation(brief, document, session)
    if citation:
        add("how-to-cite", labels["how_to_cite"], [tree.Div(citation, classes=["suggested-citation"])])
    if meta.licence:
        licence = meta.licence
        named = [tree.Link(tree.text(licence.name), licence.url)]
        if licence.spdx:
            named += [tree.Space(), tree.Str(f"({licence.spdx})")]
        blocks = [tree.Div([tree.Para(named), tree.Para([tree.Link(tree.text(licence.url), licence.url,
                                                                     classes=["uri"])])], classes=["licence"])]
        if meta.rights:
            blocks.insert(0, tree.Para(meta.rights.inlines))
        add("licence", labels["licence"], blocks)
    if "disclaimer" in texts:
        add("disclaimer", labels["disclaimer"], [tree.Div(texts["disclaimer"], classes=["disclaimer"])])
    return back


def suggested_citation_item(document: Document) -> dict:
    """The brief itself as a CSL JSON item: what "How to cite this brief" formats with the brief's style."""
    meta = document.meta
    year, month, day = (int(piece) for piece in meta.date.split("-"))
    item = {"id": "brief-pipeline-this-brief", "type": "report", "title": meta.title.plain,
            "issued": {"date-parts": [[year, month, day]]}, "language": meta.language}
    if meta.subtitle:
        item["title"] = f"{meta.title.plain}: {meta.subtitle.plain}"
    # names as written (a literal): splitting "family, given" would guess wrong for many cultures
    authors = [{"literal": author.name.plain} for author in meta.authors]
    organization = meta.organization.plain if meta.organization else meta.identity.publisher
    if authors:
        item["author"] = authors
    elif organization:
        item["author"] = [{"literal": organization}]
    if organization:
        item["publisher"] = organization
    if meta.series:
        item["collection-title"] = meta.series.name
        if meta.series.number:
            item["collection-number"] = meta.series.number
            item["number"] = meta.series.number
    for key, value in (("DOI", meta.doi), ("ISBN", meta.isbn), ("URL", meta.url)):
        if value:
            item[key] = value
    return item


def _suggested_citation(brief: Brief, document: Document, session) -> list:
    """The brief's own reference in its CSL style (the style's bibliography entry, or its first full note)."""
    import json

    item = suggested_citation_item(document)
    try:
        entry = format_source_notes([item["id"]], ("csljson", json.dumps([item], ensure_ascii=False)), brief.style,
                                    document.meta.language, session)
    except NoteFormatError:
        return []
    return entry.get(item["id"], [])


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
    from .fonts import FontMissing, choose, describe, theme_faces

    text = document_text(document)
    try:
        theme = theme_faces(document.meta.identity, brief.theme.folder)
        document.meta.scripts, missing = choose(text, document.meta.language, theme)
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
