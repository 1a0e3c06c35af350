"""Assemble one variant of a brief as a pandoc document tree, for one output format.

The typed intermediate (:mod:`pipeline.model`) holds each part's tree with
placeholders; here they become each format's markers:

=============  =======================================  ==================================
placeholder    html (PDF body), epub                    docx
=============  =======================================  ==================================
citation       ``[3, p. 12]``, each number a link        ``[3, p. 12]``: the first citation
               to its note (notes: sources), or a        of a source is a note (made a Word
               superscript number (notes: citations)     endnote later), a repeat a NoteRef
footnote       PDF: a ``float: footnote`` span;          a pandoc note (a Word footnote)
               EPUB: a lettered noteref and an aside
cross-ref      "Figure 2", linked                        "Figure 2", linked
=============  =======================================  ==================================

The short version drops citations and footnotes (with the space before
them) and prints cross-references without links. No Markdown is written or
read again: pandoc gets this tree as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import tree
from .document import placeholder_value
from .model import Citation, Document, Part, Text

VARIANTS = ("short", "long")
# "web" (pipeline/web.py): as "epub" (lettered footnote asides at the end of each part), without the title
# block (the page template has its own) and without epub:type attributes.
TARGETS = ("html", "docx", "epub", "web")
NBSP = "\u00a0"
WORD_JOINER = "\u2060"
# The paragraph style that marks a note's text as a source note (an endnote
# to be) in pandoc's DOCX; author footnotes keep pandoc's FootnoteText.
ENDNOTE_STYLE = "Endnote Text"
REPEAT_STYLE = "NoteRef"


class _Markers:
    """Placeholder replacement for one (variant, target)."""

    def __init__(self, document: Document, variant: str, target: str):
        self.document = document
        self.variant = variant
        self.target = target
        self.long = variant == "long"
        self.notes = {note.number: note for note in document.notes}
        self.footnotes = {f.letter: f for f in document.footnotes}
        self.docx_seen: set[int] = set()
        self.in_footnote = False
        self.after_footnote: list = []  # docx: endnotes first cited in a footnote, to add after its reference
        self.pending_footnotes: list = []  # epub: asides to add at the end of the current part
        self.in_targets = set()  # ids of cross-reference targets present in this variant

    # -- the walk ---------------------------------------------------------------------------------

    def blocks(self, blocks: list) -> list:
        out = _tidy_tree(tree.map_inlines(blocks, self._replace))
        return out if self.long else _drop_empty(out)

    def inlines(self, inlines: list) -> list:
        return _tidy_tree(tree.map_inlines(inlines, self._replace))

    def _replace(self, node: dict):
        value = placeholder_value(node, "cite")
        if value is not None:
            return self._citation(self.document.citations[int(value)]) if self.long else [_REMOVED]
        value = placeholder_value(node, "footnote")
        if value is not None:
            return self._footnote(self.footnotes[value]) if self.long else [_REMOVED]
        value = placeholder_value(node, "xref")
        if value is not None:
            return self._xref(value)
        return None

    # -- citations --------------------------------------------------------------------------------

    def _citation(self, citation: Citation) -> list:
        if self.document.meta.notes_model == "citations":
            return self._citation_note(citation)
        locators = any(item.suffix for item in citation.items)
        inner: list = []
        for position, item in enumerate(citation.items):
            if position:
                inner += [tree.Str(";" if locators else ","), tree.Space()]
            if item.prefix:
                inner += self.inlines(item.prefix) + [tree.Str(NBSP)]
            inner += self._number(item.number, item.anchor)
            inner += self._suffix(item.suffix)
        # The no-break space goes inside the marker's span, the space before it away: with a no-break
        # space before an inline box, WeasyPrint 70 can break a line after its first word.
        return [_GLUE_BEFORE, tree.Span([tree.Str(NBSP + "["), *inner, tree.Str("]")], classes=["citation"])]

    def _suffix(self, suffix: list) -> list:
        if not suffix:
            return []
        suffix = self.inlines(suffix)
        if suffix[0] == tree.Str(","):
            suffix = suffix[1:]
        while suffix and suffix[0]["t"] in ("Space", "SoftBreak"):
            suffix = suffix[1:]
        return [tree.Str(","), tree.Str(NBSP), *_no_break(suffix)]

    def _number(self, number: int, anchor: str) -> list:
        if self.target == "docx":
            return self._docx_note(number)
        return [self._note_link(str(number), f"#note-{number}", anchor)]

    def _docx_note(self, number: int) -> list:
        """The first citation of a note is the note (an endnote to be), later ones a NoteRef.

        An endnote reference may not stand in a footnote (ECMA-376 17.11.7,
        and Word and LibreOffice drop or hide such notes): a note first cited
        in a footnote gets its reference in the text, in brackets right after
        the footnote's letter, and a NoteRef (the same number) inside the
        footnote. Word then numbers the endnote where the PDF does.
        """
        repeat = [tree.Span([tree.Str(str(number))], pairs={"custom-style": REPEAT_STYLE})]
        if number in self.docx_seen:
            return repeat
        self.docx_seen.add(number)
        note = tree.Note([tree.Div(self.blocks(self.notes[number].blocks), pairs={"custom-style": ENDNOTE_STYLE})])
        reference = tree.Span([note], identifier=f"cite_n{number}")
        if self.in_footnote:
            self.after_footnote.append(reference)
            return repeat
        return [reference]

    def _note_link(self, label: str, href: str, anchor: str, classes=("noteref",)) -> dict:
        pairs = {"role": "doc-noteref"}
        if self.target == "epub":
            pairs["epub:type"] = "noteref"
        return tree.Link([tree.Str(label)], href, identifier=anchor, classes=list(classes), pairs=pairs)

    def _citation_note(self, citation: Citation) -> list:
        """A note reference (notes: citations): a superscript number, close up and after the punctuation."""
        number = citation.number
        if self.target == "docx":
            return [_AFTER_PUNCTUATION, tree.Superscript(self._docx_note(number))]
        return [_AFTER_PUNCTUATION, tree.Superscript([self._note_link(str(number), f"#note-{number}", citation.anchor)])]

    # -- footnotes --------------------------------------------------------------------------------

    def _footnote(self, footnote) -> list:
        self.in_footnote = True
        try:
            content = self.blocks(footnote.blocks)
        finally:
            self.in_footnote = False
        if self.target == "docx":
            moved, self.after_footnote = self.after_footnote, []
            if not moved:
                return [tree.Note(content)]
            inner: list = []
            for index, reference in enumerate(moved):
                inner += [tree.Str(", ")] if index else []
                inner.append(reference)
            return [tree.Note(content), tree.Str(NBSP),
                    tree.Span([tree.Str("["), *inner, tree.Str("]")], classes=["citation"])]
        if self.target == "html":
            inlines: list = []
            for block in content:
                if inlines:
                    inlines.append({"t": "LineBreak"})
                inlines.extend(block["c"] if block["t"] in ("Para", "Plain") else [tree.Str(tree.stringify([block]))])
            return [tree.Span(inlines, identifier=f"fn-{footnote.letter}", classes=["footnote"],
                              pairs={"letter": footnote.letter})]
        # epub (and web): a lettered reference here, the note as an aside at the end of the part
        label = self.document.labels["back_to_footnote"].format(letter=footnote.letter)
        back = tree.Link([tree.Str("\u21a9\ufe0e")], f"#{footnote.anchor}", classes=["backlink"],
                         pairs={"role": "doc-backlink", "aria-label": label})
        last = content[-1] if content else tree.Para([])
        if last["t"] in ("Para", "Plain"):
            content = content[:-1] + [{"t": last["t"], "c": last["c"] + [tree.Space(), back]}]
        else:
            content = content + [tree.Para([back])]
        marker = [tree.Span([tree.Str(footnote.letter + ".")], classes=["footnote-letter"]), tree.Space()]
        if content and content[0]["t"] in ("Para", "Plain"):
            content = [{"t": content[0]["t"], "c": marker + content[0]["c"]}] + content[1:]
        pairs = {"role": "doc-footnote"}
        if self.target == "epub":
            pairs["epub:type"] = "footnote"
        self.pending_footnotes.append(tree.Div(content, identifier=f"fn-{footnote.letter}", classes=["footnote"],
                                               pairs=pairs))
        return [tree.Superscript([self._note_link(footnote.letter, f"#fn-{footnote.letter}", footnote.anchor,
                                                  classes=("footnote-ref",))])]

    # -- cross-references -----------------------------------------------------------------------

    def _xref(self, identifier: str) -> list:
        target = self.document.targets[identifier]
        label = self.document.labels[target.kind]
        text = [tree.Str(label), tree.Str(NBSP + target.number)] if target.number else [tree.Str(label)]
        if self.long or target.anchor in self.in_targets:
            return [tree.Link(text, f"#{target.anchor}", classes=["xref"])]
        return text


_REMOVED = {"t": "Span", "c": [["", ["brief-removed"], []], []]}
_GLUE_BEFORE = {"t": "Span", "c": [["", ["brief-glue"], []], []]}
_AFTER_PUNCTUATION = {"t": "Span", "c": [["", ["brief-after-punctuation"], []], []]}
_CLOSING = ".,;:!?"


def _ends_wide(text: str) -> bool:
    """Whether ``text`` ends with a Chinese, Japanese or Korean character (or full-width punctuation)."""
    import unicodedata

    return bool(text) and unicodedata.east_asian_width(text[-1]) in ("W", "F")


def _joined_without_space(span: dict) -> dict:
    """A bracketed marker after Chinese or Japanese text: no space before it, only a word joiner, which
    keeps it on the line of the character before (these scripts put no space between words)."""
    attributes, content = span["c"]
    if content and content[0]["t"] == "Str" and content[0]["c"].startswith(NBSP):
        content = [tree.Str(WORD_JOINER + content[0]["c"][1:]), *content[1:]]
    return {"t": "Span", "c": [attributes, content]}


def _tidy_removed(inlines: list) -> list:
    """Apply the marks the markers left: drop a removed marker with the space before it; drop the space
    before a bracketed marker (which starts with a no-break space); set a note number close up, after the
    punctuation that follows it (``time [@a].`` gives ``time.¹``)."""
    out: list = []
    nodes = list(inlines)
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        if node == _REMOVED:
            while out and out[-1]["t"] in ("Space", "SoftBreak"):
                out.pop()
            continue
        if node == _GLUE_BEFORE:
            while out and out[-1]["t"] in ("Space", "SoftBreak"):
                out.pop()
            if out and out[-1]["t"] == "Str" and index < len(nodes) and _ends_wide(out[-1]["c"]):
                nodes[index] = _joined_without_space(nodes[index])
            continue
        if node == _AFTER_PUNCTUATION:
            while out and out[-1]["t"] in ("Space", "SoftBreak"):
                out.pop()
            marker = nodes[index] if index < len(nodes) else None
            following = nodes[index + 1] if index + 1 < len(nodes) else None
            if marker is not None and following is not None and following["t"] == "Str":
                text = following["c"]
                cut = len(text) - len(text.lstrip(_CLOSING))
                if cut:
                    out.append(tree.Str(text[:cut]))
                    nodes[index + 1] = tree.Str(text[cut:]) if text[cut:] else None
            continue
        if node is None:
            continue
        if node["t"] == "Space" and out and _is_initial(out[-1]):
            node = tree.Str(NBSP)  # "A. B. Placeholder" never breaks after an initial
        out.append(node)
    return out


def _is_initial(node: dict) -> bool:
    text = node.get("c") if node.get("t") == "Str" else None
    return isinstance(text, str) and len(text) == 2 and text[0].isupper() and text[1] == "."


def _tidy_tree(value):
    """:func:`_tidy_removed` on every list of inlines anywhere in ``value`` (JSON of the tree)."""
    if isinstance(value, list):
        items = [_tidy_tree(item) for item in value]
        if items and all(isinstance(i, dict) and i.get("t") in tree._INLINE_KINDS for i in items):
            return _tidy_removed(items)
        return items
    if isinstance(value, dict):
        return {key: _tidy_tree(item) for key, item in value.items()}
    return value


def keep_last_words_together(inlines: list) -> list:
    """A title or heading never ends on a line of one word: its last space does not break."""
    out = list(inlines)
    for index in range(len(out) - 1, -1, -1):
        if out[index]["t"] in ("Space", "SoftBreak"):
            out[index] = tree.Str(NBSP)
            break
        if out[index]["t"] not in ("Str", "Emph", "Strong", "Quoted", "Span", "SmallCaps"):
            break
    return out


ATTRIBUTION_DASHES = ("\u2014", "\u2015", "--")


def _finish_blocks(blocks: list) -> list:
    """Headings keep their last words together; a block quote's closing "— Name" line is its attribution;
    a paragraph that shows a web address is set ragged right (a long address would leave wide gaps in a
    justified line)."""
    def replace(block):
        t = block["t"]
        if t == "Para" and any(_shows_address(node) for node in block["c"]):
            return [tree.Div([block], classes=["with-address"])]
        if t == "Header":
            level, attributes, inlines = block["c"]
            return [{"t": "Header", "c": [level, attributes, keep_last_words_together(inlines)]}]
        if t == "BlockQuote" and block["c"]:
            inner = _finish_blocks(block["c"])
            last = inner[-1]
            if last["t"] == "Para" and last["c"] and last["c"][0]["t"] == "Str" \
                    and last["c"][0]["c"].startswith(ATTRIBUTION_DASHES):
                inner[-1] = tree.Div([last], classes=["attribution"])
            return [{"t": "BlockQuote", "c": inner}]
        return None

    return tree.map_blocks(blocks, replace)


def _shows_address(node: dict) -> bool:
    return node["t"] == "Link" and tree.stringify(node["c"][1]) == node["c"][2][0].removeprefix("mailto:")


def _drop_empty(blocks: list) -> list:
    """Paragraphs left empty by removing markers (short version) go."""
    return [b for b in blocks if not (b["t"] in ("Para", "Plain") and not b["c"])]


def _no_break(inlines: list) -> list:
    return [tree.Str(NBSP) if node["t"] == "Space" else node for node in inlines]


# --- the documents ----------------------------------------------------------------------------------

def localize_quotes(value, language: str):
    """Quoted nodes as the brief's language writes quotations (pandoc's writers use English marks)."""
    from .i18n import quotes_for

    marks = quotes_for(language)

    def replace(node):
        if node.get("t") != "Quoted":
            return None
        double = node["c"][0]["t"] == "DoubleQuote"
        opening, closing = (marks[0], marks[1]) if double else (marks[2], marks[3])
        return [tree.Str(opening), *tree.map_inlines(node["c"][1], replace), tree.Str(closing)]

    return tree.map_inlines(value, replace)


def _localize_meta(meta: dict, language: str) -> dict:
    out = {}
    for key, value in meta.items():
        if value["t"] == "MetaInlines":
            out[key] = tree.meta_inlines(localize_quotes(value["c"], language))
        elif value["t"] == "MetaList":
            out[key] = tree.meta_list([_localize_meta({"v": v}, language)["v"] for v in value["c"]])
        else:
            out[key] = value
    return out


def _identifiers(meta, variant: str) -> dict:
    entries = [{"t": "MetaMap", "c": {"text": tree.meta_string(f"{meta.identifier}-{variant}")}}]
    for scheme, value in (("DOI", meta.doi), ("ISBN-13", meta.isbn)):
        if value:
            entries.append({"t": "MetaMap", "c": {"scheme": tree.meta_string(scheme),
                                                   "text": tree.meta_string(value)}})
    return {"t": "MetaList", "c": entries}


def _meta_value(text: Text | None):
    return tree.meta_inlines(text.inlines) if text else None


def metadata(document: Document, variant: str, target: str = "epub") -> dict:
    """pandoc metadata for DOCX and EPUB (title page, core properties, OPF)."""
    meta = document.meta
    values = {
        "title": _meta_value(meta.title),
        "subtitle": _meta_value(meta.subtitle),
        # DOCX prints it on its title page; EPUB needs the ISO date for dc:date (its title page is fixed later)
        "date": tree.meta_string(meta.date_text if target == "docx" else meta.date),
        "dir": tree.meta_string(meta.direction),
        "lang": tree.meta_string(meta.language),
        # the EPUB's unique identifier is the variant's own; the DOI and ISBN (of the long version) follow it
        # unchanged, as further identifiers
        "identifier": _identifiers(meta, variant),
        "description": _meta_value(meta.question),
        "publisher": _meta_value(meta.organization),
        "rights": _meta_value(meta.rights),
    }
    creators = [a.name for a in meta.authors] or ([meta.organization] if meta.organization else [])
    if creators:
        values["author"] = tree.meta_list([tree.meta_inlines(c.inlines) for c in creators])
    if meta.keywords:
        values["keywords"] = tree.meta_list([tree.meta_inlines(tree.text(k)) for k in meta.keywords])
        values["subject"] = tree.meta_list([tree.meta_inlines(tree.text(k)) for k in meta.keywords])
    if target == "docx":
        # pandoc writes metadata it has no core property for as the DOCX's custom properties: the
        # identifiers travel there unchanged (Word: File > Properties > Custom)
        values["identifier"] = tree.meta_string(f"{meta.identifier}-{variant}")
        values.pop("dir")
        extra = {"doi": meta.doi, "isbn": meta.isbn, "url": meta.url,
                 "series": meta.series.name if meta.series else None,
                 "series-number": meta.series.number if meta.series else None,
                 "license": meta.licence.spdx or meta.licence.name if meta.licence else None,
                 "license-url": meta.licence.url if meta.licence else None,
                 "theme": meta.identity.theme or None}
        values.update({key: tree.meta_string(value) for key, value in extra.items() if value})
    return {key: value for key, value in values.items() if value is not None}


def _appendix_header(part: Part, document: Document) -> dict:
    """"Appendix A" over the appendix's title, as one heading (the contents and the outline show both)."""
    number = tree.Span([tree.Str(f"{document.labels['appendix']}{NBSP}{part.letter}.")], classes=["secno"])
    return tree.Header(1, [number, tree.Space(), *keep_last_words_together(part.title.inlines)],
                       classes=["unnumbered"])


def _section_header(part: Part, document: Document, target: str) -> dict:
    number = tree.Span([tree.Str(f"{part.number}.")], classes=["secno"])
    return tree.Header(1, [number, tree.Space(), *keep_last_words_together(part.title.inlines)])


def _part(markers: _Markers, part: Part, heading: dict, classes: list[str]) -> dict:
    """A part as a section: a Div whose first block is its heading (pandoc makes it a <section>)."""
    markers.pending_footnotes = []
    blocks = _finish_blocks(markers.blocks(part.blocks))
    blocks = _captions(_author_blocks(blocks, markers.document, markers.target, part.id), markers.document,
                       markers.target)
    if markers.target == "docx":
        blocks = _docx_styles(blocks)
    blocks += markers.pending_footnotes
    return tree.Div([heading, *blocks], identifier=part.id, classes=classes)


# The pipeline's own classes that are DOCX paragraph styles of the reference document.
DOCX_STYLES = {"suggested-citation": "Suggested Citation"}


def _docx_styles(blocks: list) -> list:
    def replace(block):
        if block["t"] == "Div":
            style = next((DOCX_STYLES[c] for c in block["c"][0][1] if c in DOCX_STYLES), None)
            if style:
                return [tree.Div(_docx_styles(block["c"][1]), pairs={"custom-style": style})]
        return None

    return tree.map_blocks(blocks, replace)


# --- blocks: key findings, recommendations, boxes ---------------------------------------------------------

BLOCK_STYLES = {  # class -> (DOCX paragraph style of the content, of the title)
    "key-findings": ("Key Findings", "Key Findings Title"),
    "recommendations": ("Recommendations", "Recommendations Title"),
    "box": ("Box", "Box Title"),
}


def _author_blocks(blocks: list, document: Document, target: str, prefix: str = "panel") -> list:
    """The author's ``::: key-findings``, ``::: recommendations`` and ``::: box`` divs as titled panels.

    Each gets a title (the label, or the box's ``title`` attribute) that
    names it for screen readers; recommendations are numbered (paragraphs
    become the items of one ordered list). In the HTML and EPUB a panel is a
    ``<section>`` (a box an ``<aside>``, see pipeline/render.py and
    pipeline/epub.py); in the DOCX its paragraphs take the reference
    document's named styles.
    """
    count = [0]

    def replace(block):
        if block["t"] != "Div":
            return None
        identifier, classes, pairs = block["c"][0]
        kind = next((c for c in classes if c in BLOCK_STYLES), None)
        if kind is None:
            return None
        count[0] += 1
        content = _author_blocks(block["c"][1], document, target, f"{prefix}-{count[0]}")
        if kind == "recommendations":
            content = _numbered(content)
        title_text = dict(pairs).get("title") if kind == "box" else document.labels[kind.replace("-", "_")]
        title_id = f"{identifier or f'{prefix}-{kind}-{count[0]}'}-title"
        return [_panel(kind, title_text, content, identifier, dict(pairs), target, title_id)]

    return tree.map_blocks(blocks, replace)


def _panel(kind: str, title: str | None, content: list, identifier: str, pairs: dict, target: str,
           title_id: str) -> dict:
    body_style, title_style = BLOCK_STYLES[kind]
    if target == "docx":
        # pandoc styles a tight list's items (Plain) "Compact" whatever the div says: make them paragraphs
        content = tree.map_blocks(content, lambda b: [tree.Para(b["c"])] if b["t"] == "Plain" else None)
        blocks = [tree.Div([tree.Para(tree.text(title))], pairs={"custom-style": title_style})] if title else []
        return tree.Div([*blocks, tree.Div(content, pairs={"custom-style": body_style})], identifier=identifier)
    attributes = {key: value for key, value in pairs.items() if key in ("lang", "dir")}
    blocks = []
    if title:
        blocks.append(tree.Div([tree.Para(tree.text(title))], identifier=title_id, classes=["block-title"]))
        attributes["aria-labelledby"] = title_id
    classes = ["section", kind, "panel"] if kind != "box" else [kind, "panel"]
    return tree.Div([*blocks, *content], identifier=identifier, classes=classes, pairs=attributes)


def _numbered(blocks: list) -> list:
    """Recommendations as one ordered list: its paragraphs and the items of its lists, in order."""
    items: list = []
    rest: list = []
    for block in blocks:
        if block["t"] in ("Para", "Plain"):
            items.append([block])
        elif block["t"] in ("OrderedList", "BulletList"):
            entries = block["c"][1] if block["t"] == "OrderedList" else block["c"]
            items.extend(entries)
        else:
            (items[-1].append(block) if items else rest.append(block))
    return [*rest, tree.OrderedList(items)] if items else rest


def panels_for_short(document: Document) -> list:
    """The key findings and recommendations of the sections, in reading order (the short version has them)."""
    found = []
    for part in document.sections:
        def visit(node):
            if node.get("t") == "Div" and any(c in ("key-findings", "recommendations") for c in node["c"][0][1]):
                found.append(node)
        tree.walk(part.blocks, visit)
    return found


# --- figures and tables ------------------------------------------------------------------------------

def _captions(blocks: list, document: Document, target: str) -> list:
    """Numbered figures and tables: "Figure 2." before the caption; a ``source`` attribute as a line
    "Source: ..." (after the caption of a figure, after a table)."""
    labels = document.labels

    def source_line(text: str) -> dict:
        para = tree.Para(tree.text(labels["source"].format(source=text)))
        if target == "docx":
            return tree.Div([para], pairs={"custom-style": "Source"})
        return tree.Div([para], classes=["source"])

    def numbered(identifier: str, caption_blocks: list) -> list:
        target_info = document.targets.get(identifier)
        if not target_info or not caption_blocks:
            return caption_blocks
        label = [tree.Span([tree.Str(f"{labels[target_info.kind]}{NBSP}{target_info.number}.")],
                           classes=["caption-label"]), tree.Space()]
        first = caption_blocks[0]
        if first["t"] in ("Plain", "Para"):
            return [{"t": first["t"], "c": [*label, *first["c"]]}, *caption_blocks[1:]]
        return [tree.Plain(label), *caption_blocks]

    def replace(block):
        if block["t"] == "Figure":
            attributes, (short, caption), body = block["c"]
            source = None
            for node in _images(body):
                pairs = dict(node["c"][0][2])
                source = source or pairs.get("source")
                node["c"][0][2] = [[k, v] for k, v in node["c"][0][2] if k != "source"]
            caption = numbered(attributes[0], caption)
            if source:
                caption = [*caption, source_line(source)] if target != "docx" else caption
            figure = {"t": "Figure", "c": [attributes, [short, caption], body]}
            return [figure, source_line(source)] if source and target == "docx" else [figure]
        if block["t"] == "Table":
            attributes = block["c"][0]
            identifier, classes, pairs = attributes
            source = dict(pairs).get("source")
            short, caption = block["c"][1]
            table = {"t": "Table", "c": [[identifier, classes, [[k, v] for k, v in pairs if k != "source"]],
                                         [short, numbered(identifier, caption)], *block["c"][2:]]}
            return [table, source_line(source)] if source else [table]
        return None

    return tree.map_blocks(blocks, replace)


def _images(blocks: list) -> list:
    found = []
    tree.walk(blocks, lambda node: found.append(node) if node.get("t") == "Image" else None)
    return found


def title_block(document: Document, target: str) -> list:
    """The title block of the DOCX and the EPUB, as the PDF's page has it (its template has its own).

    Under pandoc's title and subtitle: the organisation (moved above the
    title by pipeline/docx_finish.py and pipeline/epub.py), the question, one
    facts line (date as the language writes it · version · authors with
    affiliations; pandoc's own author, publisher and date lines are removed
    there, so that the authors are named once), the distribution label and
    the copyright line.
    """
    meta, labels = document.meta, document.labels
    blocks = []
    if meta.identity.logo:
        # the logo stands for the organisation's name (its alt text), where the name would be
        name = meta.organization.plain if meta.organization else meta.identity.publisher
        logo = {"t": "Image", "c": [["", ["logo"], [["height", "11mm"]]], tree.text(name), [meta.identity.logo, ""]]}
        blocks.append(_styled([tree.Para([logo])], "Organization", "organization", target))
    elif meta.organization:
        blocks.append(_styled([tree.Para(meta.organization.inlines)], "Organization", "organization", target))
    if meta.question:
        blocks.append(_styled([tree.Para(meta.question.inlines)], "Question", "question", target))
    # the date as printed, split at its spaces only: its no-break spaces stay ("28 ноября 2026\u202fг.")
    date: list = []
    for word in meta.date_text.split(" "):
        date += ([tree.Space()] if date else []) + ([tree.Str(word)] if word else [])
    pieces = [date]
    if meta.series:
        series = labels["series_number"].format(series=meta.series.name, number=meta.series.number) \
            if meta.series.number else meta.series.name
        pieces.insert(0, tree.text(series))
    if meta.version:
        pieces.append([tree.Str(labels["version"]), tree.Str(NBSP + meta.version)])
    for author in meta.authors:
        affiliation = [tree.Str(","), tree.Space(), *author.affiliation.inlines] if author.affiliation else []
        pieces.append([*author.name.inlines, *affiliation])
    facts: list = []
    for piece in pieces:
        if facts:
            facts += [tree.Str(NBSP + "·"), tree.Space()]
        facts += piece
    blocks.append(_styled([tree.Para(facts)], "Publication Facts", "publication-facts", target))
    identifiers: list = []
    if meta.doi:
        identifiers += [tree.Str("DOI"), tree.Str(NBSP), tree.Link(tree.text(meta.doi), f"https://doi.org/{meta.doi}")]
    if meta.isbn:
        identifiers += ([tree.Str(NBSP + "·"), tree.Space()] if identifiers else []) + [tree.Str(f"ISBN{NBSP}{meta.isbn}")]
    if identifiers:
        blocks.append(_styled([tree.Para(identifiers)], "Publication Facts", "identifiers", target))
    if meta.distribution:
        blocks.append(_styled([tree.Para(meta.distribution.inlines)], "Distribution", "distribution", target))
    if meta.rights:
        # "copyright" in the EPUB: pandoc's title page has its own div.rights, which pipeline/epub.py removes
        blocks.append(_styled([tree.Para(meta.rights.inlines)], "Rights", "copyright", target))
    return blocks


def _styled(blocks: list, style: str, css_class: str, target: str) -> dict:
    if target == "docx":
        return tree.Div(blocks, pairs={"custom-style": style})
    return tree.Div(blocks, classes=[css_class])


@dataclass
class Composed:
    """A composed document (room for what post-processing needs to know besides the tree)."""

    tree: dict


def compose(document: Document, variant: str, target: str) -> dict:
    """The pandoc document of ``variant`` for ``target`` (html = the PDF's body)."""
    return compose_full(document, variant, target).tree


def compose_full(document: Document, variant: str, target: str) -> Composed:
    """:func:`compose`, with what the DOCX post-processing needs to know."""
    assert variant in VARIANTS and target in TARGETS
    markers = _Markers(document, variant, target)
    labels = document.labels
    blocks: list = []
    if target not in ("html", "web"):
        blocks += title_block(document, target)
    if target == "docx" and variant == "long":
        blocks += _docx_contents(document)
    summary_heading = tree.Header(1, [tree.Str(labels["summary"])], classes=["unnumbered"])
    blocks.append(_part(markers, document.summary, summary_heading, ["summary", "unnumbered"]))
    if variant == "short":
        markers.in_targets = set()
        blocks += _key_points(document, target, markers)
    else:
        for part in document.sections:
            blocks.append(_part(markers, part, _section_header(part, document, target), ["part"]))
        if document.notes and target != "docx":
            blocks.append(_notes(document, target))
        if target == "docx" and (document.appendices or document.back):
            # where the Notes go in the DOCX: pipeline/docx_finish.py puts its heading and the endnotes here
            blocks.append(tree.Para([tree.Span([], identifier="back-matter")]))
        for part in document.appendices:
            blocks.append(_part(markers, part, _appendix_header(part, document), ["appendix"]))
        for part in document.back:
            heading = tree.Header(1, keep_last_words_together(part.title.inlines), classes=["unnumbered"])
            blocks.append(_part(markers, part, heading, ["back-matter", part.id]))
    language = document.meta.language
    composed = tree.document(localize_quotes(blocks, language),
                             _localize_meta(metadata(document, variant, target), language))
    return Composed(composed)


def _key_points(document: Document, target: str, markers: _Markers | None = None) -> list:
    """Key points, the sections' key findings and recommendations, and the line naming the long version."""
    labels = document.labels
    items = []
    for part in document.sections:
        if not part.short:
            continue
        items.append([tree.Para([tree.Strong([*part.title.inlines, tree.Str(".")]), tree.Space(),
                                 *part.key_point.inlines])])
    heading = tree.Header(1, [tree.Str(labels["key_points"])], classes=["unnumbered"])
    out = [tree.Div([heading, tree.OrderedList(items)], identifier="key-points", classes=["key-points"])]
    panels = panels_for_short(document)
    if panels and markers is not None:
        out += _author_blocks(_finish_blocks(markers.blocks(panels)), document, target, "short")
    out.append(_styled([tree.Para(_long_version_line(document))], "Closing Line", "closing-line", target))
    return out


def _long_version_line(document: Document) -> list:
    """"The full brief ... is published as the long version", with its address when the brief has one."""
    meta, labels = document.meta, document.labels
    address = meta.url or (f"https://doi.org/{meta.doi}" if meta.doi else None)
    if not address:
        return tree.text(labels["long_version"])
    before, _, after = labels["long_version_at"].partition("{link}")
    return [*tree.text(before.rstrip()), tree.Space(), tree.Link(tree.text(address), address, classes=["uri"]),
            *tree.text(after)]


def _notes(document: Document, target: str) -> dict:
    labels = document.labels
    items = []
    for note in document.notes:
        anchor_pairs = {}
        if target == "epub":
            anchor_pairs["epub:type"] = "endnote"
        anchor = tree.Span([], identifier=f"note-{note.number}", classes=["note-anchor"], pairs=anchor_pairs)
        backlinks: list = []
        many = len(note.backlinks) > 1
        for index, citation_anchor in enumerate(note.backlinks):
            letter = "abcdefghijklmnopqrstuvwxyz"[index % 26] if many else ""
            label = labels["back_to_citation"].format(number=f"{note.number}{' ' + letter if letter else ''}")
            text = [tree.Str("\u21a9\ufe0e" + (NBSP + letter if letter else ""))]
            backlinks += [tree.Space()] if index else []
            backlinks.append(tree.Link(text, f"#{citation_anchor}", classes=["backlink"],
                                       pairs={"role": "doc-backlink", "aria-label": label}))
        # The back links stay together, glued to the note's last word: an arrow never wraps alone. (The
        # no-break space is inside the span: before an inline box, WeasyPrint 70 breaks lines badly.)
        backlinks = [tree.Span([tree.Str(NBSP), *backlinks], classes=["backlinks"])]
        blocks = [dict(b) for b in note.blocks]
        first = blocks[0]
        if first["t"] in ("Para", "Plain"):
            blocks[0] = {"t": first["t"], "c": [anchor, *first["c"]]}
        else:
            blocks.insert(0, tree.Plain([anchor]))
        last = blocks[-1]
        if last["t"] in ("Para", "Plain"):
            blocks[-1] = {"t": last["t"], "c": [*last["c"], *backlinks]}
        else:
            blocks.append(tree.Plain(backlinks))
        items.append(blocks)
    pairs = {"role": "doc-endnotes"}
    if target == "epub":
        pairs["epub:type"] = "endnotes"
    heading = tree.Header(1, [tree.Str(labels["notes"])], classes=["unnumbered"])
    return tree.Div([heading, tree.OrderedList(items)], identifier="notes", classes=["notes"], pairs=pairs)


def _docx_contents(document: Document) -> list:
    """Contents entries as links to the headings, Notes last when there are notes.

    pipeline/docx_finish.py turns the ``toc 1`` paragraphs into the cached
    result of a Word TOC field with page numbers (PAGEREF fields), and adds
    the Notes heading the last entry links to.
    """
    labels = document.labels
    links = [tree.Para([tree.Link([tree.Str(labels["summary"])], "#summary")])]
    for part in document.sections:
        links.append(tree.Para([tree.Link([tree.Str(f"{part.number}."), tree.Space(), *part.title.inlines],
                                          f"#{part.id}")]))
    if document.notes:
        links.append(tree.Para([tree.Link([tree.Str(labels["notes"])], "#notes")]))
    for part in document.appendices:
        links.append(tree.Para([tree.Link([tree.Str(f"{labels['appendix']}{NBSP}{part.letter}."), tree.Space(),
                                           *part.title.inlines], f"#{part.id}")]))
    for part in document.back:
        links.append(tree.Para([tree.Link(part.title.inlines, f"#{part.id}")]))
    return [tree.Div([tree.Para([tree.Str(labels["contents"])])], pairs={"custom-style": "TOC Heading"}),
            tree.Div(links, pairs={"custom-style": "toc 1"})]
