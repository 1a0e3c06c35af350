"""Format the notes with the brief's CSL style, through pandoc's citeproc on the document tree.

The pipeline numbers notes itself; citeproc only turns citations into
formatted text, and its result is read as pandoc's document tree (never by
parsing its Markdown):

* ``notes: sources`` with an in-text style (numeric, author-date): each
  source's bibliography entry, without the style's own number (IEEE's
  ``[1]`` in the left margin): the pipeline prints its own.
* ``notes: sources`` with a note style: each source's first, full note.
* ``notes: citations`` (a note style): one note per citation in reading
  order, so the style's first, subsequent and ibid forms apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import tree
from .csl import StyleInfo
from .markdown import join_east_asian_lines


@dataclass
class CitationRequest:
    """One citation to format as a note: (key, prefix inlines, suffix inlines) per item."""

    items: list[tuple[str, list, list]]


class NoteFormatError(Exception):
    """citeproc gave a note that cannot be published (the key and why)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key, self.message = key, message


def _cite(items: list[tuple[str, list, list]]) -> dict:
    citations = [{"citationId": key, "citationPrefix": prefix, "citationSuffix": suffix,
                  "citationMode": {"t": "NormalCitation"}, "citationNoteNum": 0, "citationHash": 0}
                 for key, prefix, suffix in items]
    return {"t": "Cite", "c": [citations, [tree.Str("@" + items[0][0])]]}


def format_source_notes(keys: list[str], references: tuple[str, str], style: StyleInfo, language: str,
                        session) -> dict[str, list]:
    """The blocks of each source's note, by key."""
    if not keys:
        return {}
    blocks = [tree.Para([_cite([(key, [], [])])]) for key in keys]
    response = session.citeproc(tree.document(blocks), references, style.path, language,
                                suppress_bibliography=style.note_class)
    result = response.result["blocks"]
    if style.note_class:
        notes = _notes_in_order(result)
        return {key: _clean(key, note) for key, note in zip(keys, notes)}
    entries = {}
    for block in _all_blocks(result):
        if block["t"] == "Div" and block["c"][0][0].startswith("ref-"):
            key = block["c"][0][0][len("ref-"):]
            entries[key] = _clean(key, block["c"][1])
    missing = [key for key in keys if key not in entries]
    if missing:
        raise NoteFormatError(missing[0], f"the style gave no bibliography entry for '{missing[0]}'")
    return {key: entries[key] for key in keys}


def format_citation_notes(citations: list[CitationRequest], references: tuple[str, str], style: StyleInfo,
                          language: str, session) -> list[list]:
    """The blocks of each citation's note, in the order given (reading order)."""
    if not citations:
        return []
    blocks = [tree.Para([_cite(c.items)]) for c in citations]
    response = session.citeproc(tree.document(blocks), references, style.path, language, suppress_bibliography=True)
    notes = _notes_in_order(response.result["blocks"])
    if len(notes) != len(citations):
        raise NoteFormatError(citations[0].items[0][0], "the style did not make one note per citation")
    return [_clean(c.items[0][0], note) for c, note in zip(citations, notes)]


def _all_blocks(blocks: list):
    for block in blocks:
        yield block
        if block["t"] == "Div":
            yield from _all_blocks(block["c"][1])


def _notes_in_order(value) -> list[list]:
    """The content of every Note, in document order (citeproc puts them inside the Cite's content)."""
    notes: list = []
    if isinstance(value, dict):
        if value.get("t") == "Note":
            return [value["c"]]
        for item in value.values():
            notes += _notes_in_order(item)
    elif isinstance(value, list):
        for item in value:
            notes += _notes_in_order(item)
    return notes


_DROP = {"csl-left-margin"}


def _clean(key: str, blocks: list) -> list:
    """The note's blocks without citeproc's layout spans; refuse what no note may hold."""
    def unwrap(node):
        t = node["t"]
        if t == "Span":
            classes = node["c"][0][1]
            if _DROP & set(classes):
                return []
            if any(c.startswith("csl-") for c in classes) or not any(node["c"][0]):
                return node["c"][1]
        if t == "Cite":
            return node["c"][1]
        if t in ("Image", "Note", "RawInline"):
            what = {"Image": "an image", "Note": "a footnote", "RawInline": "raw HTML"}[t]
            raise NoteFormatError(key, f"the reference '{key}' holds {what}, which a note cannot show")
        return None

    cleaned = tree.map_inlines(blocks, unwrap)
    flat: list = []
    for block in cleaned:
        if block["t"] == "Div":  # csl-entry / csl-bib-body wrappers
            flat.extend(block["c"][1])
        elif block["t"] == "RawBlock":
            raise NoteFormatError(key, f"the reference '{key}' holds raw HTML, which a note cannot show")
        else:
            flat.append(block)
    flat = [_strip_edges(block) for block in join_east_asian_lines(flat, spaces=True)]
    if not tree.stringify(flat).strip():
        raise NoteFormatError(key, f"the style formats the reference '{key}' as an empty note")
    return flat


def _strip_edges(block: dict) -> dict:
    """No leading or trailing space in a paragraph (left where the margin number was)."""
    if block["t"] not in ("Para", "Plain"):
        return block
    inlines = list(block["c"])
    while inlines and inlines[0]["t"] in ("Space", "SoftBreak"):
        inlines.pop(0)
    while inlines and inlines[-1]["t"] in ("Space", "SoftBreak"):
        inlines.pop()
    return {"t": block["t"], "c": inlines}
