"""Check a CSL style before pandoc uses it, and say what kind of style it is.

pandoc's citeproc follows a dependent style's ``independent-parent`` link
over the network and fails late, with only warnings, on a file that is not
CSL. Here the style is parsed (as XML: no entities, no DTD, no network) and
refused with a one-line reason when it is not an independent CSL 1.0 style
that can format the brief's note model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

CSL_NS = "http://purl.org/net/xbiblio/csl"
MAX_STYLE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class StyleInfo:
    path: Path
    title: str
    note_class: bool  # class="note": citations are notes (Chicago notes ...)
    has_bibliography: bool


class StyleError(Exception):
    """The file cannot be used as the brief's style; the message says why and what to do."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def inspect_style(path: Path, notes_model: str = "sources") -> StyleInfo:
    """Parse ``path``; raise StyleError if it is not usable with ``notes_model``."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StyleError(f"cannot read the CSL style {name}: {exc.strerror}",
                         "fix the path, relative to the brief folder") from None
    if size > MAX_STYLE_BYTES:
        raise StyleError(f"{name} is {size // 1024} KB, too large for a CSL style",
                         "use a style from https://github.com/citation-style-language/styles")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise StyleError(f"{name} is not a CSL style: it is not XML ({exc.msg}, line {exc.lineno})",
                         "download the style's .csl file from https://github.com/citation-style-language/styles, "
                         "not its web page") from None
    if root.tag != f"{{{CSL_NS}}}style":
        shown = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        what = (f"its root element <{shown}> is not in the CSL namespace" if shown == "style"
                else f"its root element is <{shown}>, not <style>")
        raise StyleError(f"{name} is not a CSL style: {what}",
                         "download the style's .csl file from https://github.com/citation-style-language/styles")
    ns = {"c": CSL_NS}
    title = " ".join("".join(root.xpath("string(c:info/c:title)", namespaces=ns)).split()) or name
    parent = root.xpath("c:info/c:link[@rel='independent-parent']/@href", namespaces=ns)
    if parent:
        parent_name = parent[0].rstrip("/").rsplit("/", 1)[-1].removesuffix(".csl")
        where = ("which pandoc would read from outside the brief folder" if parent[0].startswith("file:")
                 else "which would have to be fetched from the network")
        raise StyleError(
            f"{name} is a dependent style: it only points to its parent style '{parent_name}' ({parent[0]}), "
            f"{where}",
            f"download {parent_name}.csl from https://github.com/citation-style-language/styles, "
            f"put it in the brief folder and name it in 'csl:'")
    version = root.get("version", "")
    if not version.startswith("1."):
        raise StyleError(f"{name} is a CSL {version or 'unversioned'} style; pandoc reads CSL 1.0 styles",
                         "use the current version of the style from https://github.com/citation-style-language/styles")
    if root.find(f"{{{CSL_NS}}}citation") is None:
        raise StyleError(f"{name} has no <citation> element", "use a complete, independent CSL style")
    note_class = root.get("class") == "note"
    has_bibliography = root.find(f"{{{CSL_NS}}}bibliography") is not None
    if notes_model == "citations" and not note_class:
        raise StyleError(f"'notes: citations' needs a note style, and {name} ({title}) is an in-text style",
                         "use a note style such as chicago-notes-bibliography.csl, or 'notes: sources'")
    if notes_model == "sources" and not note_class and not has_bibliography:
        raise StyleError(f"{name} ({title}) has no bibliography layout, which 'notes: sources' uses for each note",
                         "use a style with a bibliography, or a note style")
    return StyleInfo(path, title, note_class, has_bibliography)
