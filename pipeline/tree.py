"""Helpers for pandoc's JSON document tree (the AST): build, walk, stringify.

Nodes are the dicts pandoc writes (``{"t": "Str", "c": "text"}``); these
helpers keep the shapes in one place so that the rest of the pipeline never
builds them by hand. See https://hackage.haskell.org/package/pandoc-types for
the node kinds.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator

API_VERSION = [1, 23, 1, 1]

Node = dict
Inlines = list[dict]
Blocks = list[dict]
Attr = list  # [id, [classes], [[key, value], ...]]


# --- building -----------------------------------------------------------------------------

def attr(identifier: str = "", classes: list[str] | None = None, pairs: dict | list | None = None) -> Attr:
    items = list(pairs.items()) if isinstance(pairs, dict) else list(pairs or [])
    return [identifier, list(classes or []), [[k, v] for k, v in items]]


def Str(text: str) -> Node:  # noqa: N802 (pandoc's constructor names)
    return {"t": "Str", "c": text}


def Space() -> Node:  # noqa: N802
    return {"t": "Space"}


def text(value: str) -> Inlines:
    """Plain text as inlines: words and spaces, no markup."""
    out: Inlines = []
    for index, word in enumerate(value.split()):
        if index:
            out.append(Space())
        out.append(Str(word))
    return out


def Span(content: Inlines, identifier: str = "", classes=None, pairs=None) -> Node:  # noqa: N802
    return {"t": "Span", "c": [attr(identifier, classes, pairs), content]}


def LineBreak() -> Node:  # noqa: N802
    return {"t": "LineBreak"}


def Emph(content: Inlines) -> Node:  # noqa: N802
    return {"t": "Emph", "c": content}


def Strong(content: Inlines) -> Node:  # noqa: N802
    return {"t": "Strong", "c": content}


def Superscript(content: Inlines) -> Node:  # noqa: N802
    return {"t": "Superscript", "c": content}


def Link(content: Inlines, target: str, identifier: str = "", classes=None, pairs=None, title: str = "") -> Node:  # noqa: N802
    return {"t": "Link", "c": [attr(identifier, classes, pairs), content, [target, title]]}


def Note(blocks: Blocks) -> Node:  # noqa: N802
    return {"t": "Note", "c": blocks}


def Para(content: Inlines) -> Node:  # noqa: N802
    return {"t": "Para", "c": content}


def Plain(content: Inlines) -> Node:  # noqa: N802
    return {"t": "Plain", "c": content}


def Header(level: int, content: Inlines, identifier: str = "", classes=None, pairs=None) -> Node:  # noqa: N802
    return {"t": "Header", "c": [level, attr(identifier, classes, pairs), content]}


def Div(blocks: Blocks, identifier: str = "", classes=None, pairs=None) -> Node:  # noqa: N802
    return {"t": "Div", "c": [attr(identifier, classes, pairs), blocks]}


def OrderedList(items: list[Blocks], start: int = 1, style: str = "Decimal", delim: str = "Period") -> Node:  # noqa: N802
    return {"t": "OrderedList", "c": [[start, {"t": style}, {"t": delim}], items]}


def BulletList(items: list[Blocks]) -> Node:  # noqa: N802
    return {"t": "BulletList", "c": items}


def document(blocks: Blocks, meta: dict | None = None) -> dict:
    return {"pandoc-api-version": API_VERSION, "meta": meta or {}, "blocks": blocks}


def meta_inlines(inlines: Inlines) -> dict:
    return {"t": "MetaInlines", "c": inlines}


def meta_string(value: str) -> dict:
    return {"t": "MetaString", "c": value}


def meta_list(values: list[dict]) -> dict:
    return {"t": "MetaList", "c": values}


def meta_map(values: dict[str, dict]) -> dict:
    return {"t": "MetaMap", "c": values}


def meta_bool(value: bool) -> dict:
    return {"t": "MetaBool", "c": value}


# --- reading ------------------------------------------------------------------------------

def kind(node: Node) -> str:
    return node.get("t", "")


def node_attr(node: Node) -> Attr | None:
    """The attributes of a node that has them (Div, Span, Header, Image, Link, Code, ...)."""
    t, c = node.get("t"), node.get("c")
    if t in ("Div", "Span", "Code", "CodeBlock", "Table", "Figure"):
        return c[0]
    if t in ("Image", "Link"):
        return c[0]
    if t == "Header":
        return c[1]
    return None


def children(node: Node) -> Iterator[tuple[str, list]]:
    """(role, list of nodes) for every list of child nodes of ``node``.

    Roles: "inlines" or "blocks". Citation prefixes and suffixes, captions,
    table cells and list items are included, so a walk sees every node.
    """
    t, c = node.get("t"), node.get("c")
    if t in ("Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline", "CodeBlock",
             "RawBlock", "HorizontalRule"):
        return
    if t in ("Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
             "Plain", "Para"):
        yield "inlines", c
    elif t == "Quoted":
        yield "inlines", c[1]
    elif t == "Cite":
        for citation in c[0]:
            yield "inlines", citation["citationPrefix"]
            yield "inlines", citation["citationSuffix"]
        # c[1] is the citation's source text, not content: not walked
    elif t in ("Link", "Image"):
        yield "inlines", c[1]
    elif t == "Span":
        yield "inlines", c[1]
    elif t == "Note":
        yield "blocks", c
    elif t == "LineBlock":
        for line in c:
            yield "inlines", line
    elif t == "BlockQuote":
        yield "blocks", c
    elif t == "OrderedList":
        for item in c[1]:
            yield "blocks", item
    elif t == "BulletList":
        for item in c:
            yield "blocks", item
    elif t == "DefinitionList":
        for term, definitions in c:
            yield "inlines", term
            for definition in definitions:
                yield "blocks", definition
    elif t == "Header":
        yield "inlines", c[2]
    elif t == "Div":
        yield "blocks", c[1]
    elif t == "Figure":
        yield from _caption(c[1])
        yield "blocks", c[2]
    elif t == "Table":
        yield from _caption(c[1])
        head, bodies, foot = c[3], c[4], c[5]
        for row in head[1]:
            yield from _row(row)
        for body in bodies:
            for row in body[2] + body[3]:
                yield from _row(row)
        for row in foot[1]:
            yield from _row(row)


def _caption(caption) -> Iterator[tuple[str, list]]:
    short, long = caption
    if short:
        yield "inlines", short
    yield "blocks", long


def _row(row) -> Iterator[tuple[str, list]]:
    for cell in row[1]:
        yield "blocks", cell[4]


def walk(nodes: list, visit: Callable[[Node], None]) -> None:
    """Call ``visit`` on every node below ``nodes``, parents before children, in order."""
    for node in nodes:
        visit(node)
        for _, child_list in children(node):
            walk(child_list, visit)


def map_inlines(nodes: list, replace: Callable[[Node], list | None]) -> list:
    """A copy of ``nodes`` in which each inline for which ``replace`` returns a list is replaced by it.

    Nodes are visited in reading order (depth first), so ``replace`` may
    number what it sees; a replaced node's result is not walked again.
    Block structure is kept.
    """
    return _map_children(nodes, replace)


def _map_children(nodes: list, replace) -> list:
    out = []
    for node in nodes:
        result = replace(node) if _is_inline(node) else None
        if result is not None:
            out.extend(result)
            continue
        node = copy.copy(node)
        t = node.get("t")
        if "c" in node and t not in ("Str", "Code", "Math", "RawInline", "CodeBlock", "RawBlock"):
            node["c"] = _map_content(t, node["c"], replace)
        out.append(node)
    return out


def _map_content(t: str, c, replace):
    if t in ("Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
             "Plain", "Para", "Note", "BlockQuote"):
        return _map_children(c, replace)
    if t == "Quoted":
        return [c[0], _map_children(c[1], replace)]
    if t == "Cite":
        citations = []
        for citation in c[0]:
            citation = dict(citation)
            citation["citationPrefix"] = _map_children(citation["citationPrefix"], replace)
            citation["citationSuffix"] = _map_children(citation["citationSuffix"], replace)
            citations.append(citation)
        return [citations, c[1]]
    if t in ("Link", "Image"):
        return [c[0], _map_children(c[1], replace), c[2]]
    if t == "Span":
        return [c[0], _map_children(c[1], replace)]
    if t == "LineBlock":
        return [_map_children(line, replace) for line in c]
    if t == "OrderedList":
        return [c[0], [_map_children(item, replace) for item in c[1]]]
    if t == "BulletList":
        return [_map_children(item, replace) for item in c]
    if t == "DefinitionList":
        return [[_map_children(term, replace), [_map_children(d, replace) for d in defs]] for term, defs in c]
    if t == "Header":
        return [c[0], c[1], _map_children(c[2], replace)]
    if t == "Div":
        return [c[0], _map_children(c[1], replace)]
    if t == "Figure":
        return [c[0], _map_caption(c[1], replace), _map_children(c[2], replace)]
    if t == "Table":
        head = [c[3][0], [_map_row(row, replace) for row in c[3][1]]]
        bodies = [[b[0], b[1], [_map_row(r, replace) for r in b[2]], [_map_row(r, replace) for r in b[3]]]
                  for b in c[4]]
        foot = [c[5][0], [_map_row(row, replace) for row in c[5][1]]]
        return [c[0], _map_caption(c[1], replace), c[2], head, bodies, foot]
    return c


def _map_caption(caption, replace):
    short, long = caption
    return [_map_children(short, replace) if short else short, _map_children(long, replace)]


def _map_row(row, replace):
    return [row[0], [[cell[0], cell[1], cell[2], cell[3], _map_children(cell[4], replace)] for cell in row[1]]]


_INLINE_KINDS = {"Str", "Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps",
                 "Quoted", "Cite", "Code", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "Link",
                 "Image", "Note", "Span"}


def _is_inline(node: Node) -> bool:
    return node.get("t") in _INLINE_KINDS


def map_blocks(blocks: Blocks, replace: Callable[[Node], list | None]) -> Blocks:
    """A copy of ``blocks`` with each block for which ``replace`` returns a list replaced by it (top level and nested)."""
    out: Blocks = []
    for block in blocks:
        result = replace(block)
        if result is not None:
            out.extend(result)
            continue
        node = copy.copy(block)
        t = node.get("t")
        if t in ("BlockQuote", "Note"):
            node["c"] = map_blocks(node["c"], replace)
        elif t == "Div":
            node["c"] = [node["c"][0], map_blocks(node["c"][1], replace)]
        elif t == "OrderedList":
            node["c"] = [node["c"][0], [map_blocks(item, replace) for item in node["c"][1]]]
        elif t == "BulletList":
            node["c"] = [map_blocks(item, replace) for item in node["c"]]
        elif t == "Figure":
            node["c"] = [node["c"][0], node["c"][1], map_blocks(node["c"][2], replace)]
        out.append(node)
    return out


def stringify(nodes) -> str:
    """The plain text of nodes, as pandoc.utils.stringify gives it (notes left out)."""
    out: list[str] = []

    def visit(node):
        t = node.get("t")
        if t == "Str":
            out.append(node["c"])
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(node["c"][1])
        elif t == "Quoted":
            quote = "\u201c\u201d" if node["c"][0]["t"] == "DoubleQuote" else "\u2018\u2019"
            out.append(quote[0])
            for child in node["c"][1]:
                visit(child)
            out.append(quote[1])
            return
        elif t == "Note":
            return
        elif t == "Cite":
            for child in node["c"][1]:
                visit(child)
            return
        for _, child_list in children(node):
            for child in child_list:
                visit(child)
        if t in ("Para", "Plain", "Header"):
            out.append(" ")

    for node in nodes if isinstance(nodes, list) else [nodes]:
        visit(node)
    # Runs of ordinary white space become one space; a no-break space is kept.
    return re.sub(r"[ \t\r\n]+", " ", "".join(out)).strip(" \t\r\n")
