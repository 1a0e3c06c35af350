"""Render a brief's intermediate into the documents pandoc and WeasyPrint read.

For each variant (short, long) and target (html for the PDF, docx, epub) the
same Jinja2 template ``templates/brief.md.j2`` writes one pandoc Markdown
document; only the citation markers and the notes differ by target:

* html/epub: bracketed numbers linking to the Notes list, which links back;
* docx: the first citation of a source is a footnote (turned into a native
  Word endnote afterwards), later ones a NoteRef span (turned into a NOTEREF
  field), see :mod:`pipeline.docx_endnotes`.

The PDF's HTML page wraps pandoc's HTML of the Markdown in
``templates/page.html.j2`` (title block, contents, running-head strings).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2
from lxml import etree
from lxml import html as lxml_html

from .document import TOKEN_RE
from .pandoc import run_pandoc

VARIANTS = ("short", "long")
TARGETS = ("html", "docx", "epub")
_TOKEN_WITH_SPACE = re.compile(r"[ \t]*" + TOKEN_RE.pattern)
PANDOC_MARKDOWN = "markdown-raw_html-raw_attribute-raw_tex"


@functools.cache
def _environment(templates_dir: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # pandoc attributes are written {#id .class}: keep {# free for them.
        comment_start_string="{##",
        comment_end_string="##}",
        # The HTML page escapes metadata; Markdown templates escape with md_escape.
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
    )
    env.filters["md_escape"] = md_escape
    env.filters["yaml_str"] = yaml_str
    env.filters["smart"] = smart_quotes
    return env


def md_escape(text: str) -> str:
    """Escape text so that pandoc Markdown shows it literally (inline)."""
    out = []
    for ch in str(text):
        if ch in "\\`*_{}[]<>#|~^@$":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# Quotation marks by language: (open, close, inner open, inner close); the
# same table is in templates/filters/quotes.lua, which pandoc applies.
QUOTES = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u201c", "\u201d"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "pt": ("\u201c", "\u201d", "\u2018", "\u2019"),
}


def smart_quotes(text, language: str = "en") -> str:
    """Typographic quotes and apostrophes, as pandoc and the quotes filter make them.

    The PDF's title block and contents come from metadata, not through pandoc;
    this keeps them the same as the headings pandoc renders and the DOCX/EPUB.
    """
    if text is None:
        return text
    marks = QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", str(text))  # apostrophe
    text = re.sub(r"(?<!\w)'(.+?)'(?!\w)", lambda m: marks[2] + m.group(1) + marks[3], text)
    text = re.sub(r'"(.+?)"', lambda m: marks[0] + m.group(1) + marks[1], text)
    return text.replace("'", "\u2019")


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar."""
    import json

    return json.dumps(str(text), ensure_ascii=False)


def _marker(item: dict, target: str) -> str:
    number, anchor = item["number"], item["anchor"]
    if target == "docx":
        mark = f"[[^n{number}]]{{#cite_n{number}}}" if item["first"] else f"[{number}]{{custom-style=\"NoteRef\"}}"
    else:
        extra = ' epub:type="noteref"' if target == "epub" else ""
        mark = f'[{number}](#note-{number}){{#{anchor} .noteref role="doc-noteref"{extra}}}'
    prefix = md_escape(item["prefix"]) + " " if item["prefix"] else ""
    locator = ", " + md_escape(item["locator"]) if item["locator"] else ""
    return prefix + mark + locator


def _replace_tokens(markdown: str, document: dict, target: str | None) -> str:
    """Put the markers in; ``target`` None drops them (short version)."""
    if target is None:
        return _TOKEN_WITH_SPACE.sub("", markdown)
    def marker(match) -> str:
        group = document["citations"][int(match.group(1))]
        inner = ", ".join(_marker(item, target) for item in group["items"])
        return f"[\\[{inner}\\]]{{.citation}}"
    return TOKEN_RE.sub(marker, markdown)


def render_markdown(document: dict, variant: str, target: str, templates_dir: Path) -> str:
    """The pandoc Markdown of one variant for one target."""
    assert variant in VARIANTS and target in TARGETS
    long = variant == "long"
    mark_target = target if long else None
    summary = _replace_tokens(document["summary"]["markdown"], document, mark_target)
    sections = [dict(s, body=_replace_tokens(s["markdown"], document, mark_target))
                for s in document["sections"]]
    template = _environment(str(templates_dir)).get_template("brief.md.j2")
    return template.render(
        doc=document, meta=document["meta"], labels=document["labels"], variant=variant,
        target=target, summary=summary, sections=sections,
        notes=document["notes"] if long else [],
    )


def quotes_filter(templates_dir: Path) -> str:
    return f"--lua-filter={templates_dir / 'filters' / 'quotes.lua'}"


def markdown_to_html(markdown: str, resource_dir: Path, templates_dir: Path) -> str:
    """pandoc's HTML fragment of ``markdown`` with note list items as targets."""
    fragment = run_pandoc(["-f", PANDOC_MARKDOWN, "-t", "html5", "--wrap=none", "--sandbox",
                           f"--resource-path={resource_dir}", quotes_filter(templates_dir)], markdown)
    return move_note_ids_to_items(fragment)


def move_note_anchors(root) -> None:
    """Give each note's <li> the attributes of the anchor span at its start.

    pandoc cannot put an id (or epub:type, role) on a list item, so the
    Markdown puts them on an empty ``span.note-anchor``; this moves them to
    the item and removes the span. Works on HTML and namespaced XHTML trees.
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


def render_page(document: dict, variant: str, body_html: str, templates_dir: Path) -> str:
    """The complete HTML page WeasyPrint turns into the PDF."""
    template = _environment(str(templates_dir)).get_template("page.html.j2")
    return template.render(
        doc=document, meta=document["meta"], labels=document["labels"], variant=variant,
        body=body_html, sections=document["sections"], has_notes=bool(document["notes"]) and variant == "long",
    )
