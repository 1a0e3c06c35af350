"""The HTML page that WeasyPrint turns into the PDF.

The body is pandoc's HTML of the composed document (:mod:`pipeline.compose`);
the title block, contents and running-head strings come from
``templates/page.html.j2``, filled with pandoc's HTML of the metadata texts.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from lxml import etree
from lxml import html as lxml_html

from . import tree
from .model import Document, Text


@functools.cache
def environment(templates_dir: str, theme_templates: str | None = None) -> jinja2.Environment:
    """Jinja2 with the theme's templates (when it has its own) before the project's."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*([theme_templates] if theme_templates else []), templates_dir]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=True,
    )
    environment.filters["css_counters"] = css_counters
    return environment


def css_counters(pattern: str) -> str:
    """A label such as "page {page} of {pages}" as CSS ``content``: strings and page counters.

    The label's word order is the language's own (the counters may come in any order).
    """
    import re

    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", pattern):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def page_furniture_css(direction: str, page_of: str) -> str:
    """The @page rules placing the running head and footer, mirrored for a right-to-left brief.

    The running title stands where a line of the text starts (left in
    English, right in Arabic), the organisation at the other end; likewise
    the distribution mark and the page number at the foot. The boxes' type
    is in brief.css; their places are here because a page rule cannot depend
    on the document's direction.
    """
    start, end = ("left", "right") if direction != "rtl" else ("right", "left")
    return (f"@page {{ @top-{start} {{ content: string(running-title); width: 62%; text-align: {start}; }}\n"
            f"  @top-{end} {{ content: string(running-organization); width: 38%; text-align: {end}; }}\n"
            f"  @bottom-{start} {{ content: string(doc-distribution); text-align: {start}; font-weight: 600;"
            " color: var(--accent); }\n"
            f"  @bottom-{end} {{ content: {css_counters(page_of)}; text-align: {end}; }} }}\n"
            "@page :first { @top-left { content: none; } @top-right { content: none; } }\n")


def metadata_html(document: Document, session) -> dict[str, str]:
    """pandoc's HTML of every metadata text the page shows, by name."""
    meta = document.meta
    texts = {key: getattr(meta, key) for key in ("title", "subtitle", "question", "organization", "distribution",
                                                  "rights", "short_title")}
    for index, author in enumerate(meta.authors):
        # a name is never broken over two lines
        texts[f"author.{index}"] = Text(author.name.plain, [tree.Str("\u00a0") if n["t"] == "Space" else n
                                                            for n in author.name.inlines])
        texts[f"affiliation.{index}"] = author.affiliation
    for part in [*document.sections, *document.appendices, *document.back]:
        texts[f"part.{part.id}"] = part.title
    for part in document.sections:
        texts[f"section.{part.number}"] = part.title
    if meta.series:
        series = labels_text(document.labels["series_number"], series=meta.series.name, number=meta.series.number) \
            if meta.series.number else meta.series.name
        texts["series"] = Text(series, tree.text(series))
    present = {key: text for key, text in texts.items() if text is not None}
    from .compose import keep_last_words_together, localize_quotes

    documents = [tree.document([tree.Plain(keep_last_words_together(localize_quotes(text.inlines, meta.language)))])
                 for text in present.values()]
    written = session.write_many(documents, "html5", {"wrap_text": "none"}) if documents else []
    return {key: html.strip() for key, html in zip(present, written)}


def labels_text(pattern: str, **fields) -> str:
    return pattern.format(**fields)


def body_html(document_tree: dict, session, media=()) -> str:
    """pandoc's HTML fragment of the composed body, with each note's id on its list item and each box an
    ``<aside>``."""
    fragment = session.write(document_tree, "html5", options={"wrap_text": "none"}, media=media).result
    return boxes_as_asides(move_note_ids_to_items(fragment))


def boxes_as_asides(fragment: str) -> str:
    """A ``div.box`` (pipeline/compose.py's sidebar) as the ``<aside>`` it is: complementary content."""
    if 'class="box' not in fragment:
        return fragment
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in root.xpath("//div[contains(concat(' ', @class, ' '), ' box ')]"):
        element.tag = "aside"
    return "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def identity_css(document: Document) -> str:
    """The theme's colours as the style sheets' custom properties (the project's own when it has none)."""
    identity = document.meta.identity
    # html:root outranks brief.css's own :root (WeasyPrint applies that sheet after the page's style)
    return (f"html:root {{ --accent: {identity.accent}; --rule: {identity.secondary}; --tint: {identity.tint}; }}\n")


def move_note_anchors(root) -> None:
    """Give each note's <li> the attributes of the anchor span at its start.

    pandoc cannot put an id (or epub:type, role) on a list item, so the
    composed tree puts them on an empty ``span.note-anchor``; this moves them
    to the item and removes the span. Works on HTML and namespaced XHTML trees.
    """
    anchors = root.xpath("//*[local-name()='span'][contains(concat(' ', @class, ' '), ' note-anchor ')]")
    for span in anchors:
        item = span.getparent()
        while item is not None and etree.QName(item).localname != "li":
            item = item.getparent()
        if item is None:
            continue
        for name, value in span.attrib.items():
            if name != "class":
                item.set(name, value)
        parent, previous = span.getparent(), span.getprevious()
        if span.tail:  # keep the text that followed the empty span
            if previous is not None:
                previous.tail = (previous.tail or "") + span.tail
            else:
                parent.text = (parent.text or "") + span.tail
        parent.remove(span)


def move_note_ids_to_items(fragment: str) -> str:
    """:func:`move_note_anchors` on an HTML fragment."""
    if "note-anchor" not in fragment:
        return fragment
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    move_note_anchors(root)
    return "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def render_page(document: Document, variant: str, body: str, texts: dict[str, str], templates_dir: Path,
                running: tuple[str, str] = ("", ""), theme_templates: Path | None = None) -> str:
    """The complete HTML page WeasyPrint turns into the PDF; ``running`` is the running head (title, organisation)."""
    template = environment(str(templates_dir), str(theme_templates) if theme_templates else None) \
        .get_template("page.html.j2")
    return template.render(
        doc=document, meta=document.meta, labels=document.labels, variant=variant, body=body, running=running,
        text={key: jinja2.utils.markupsafe.Markup(value) for key, value in texts.items()},
        sections=document.sections, appendices=document.appendices, back=document.back,
        has_notes=bool(document.notes) and variant == "long",
        furniture=page_furniture_css(document.meta.direction, document.labels["page_of"]) + identity_css(document),
    )
