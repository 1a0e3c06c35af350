"""Finish pandoc's EPUB 3: note structure, accessibility claim, stable zip.

* Each note's ``<li>`` takes the id and ``epub:type="endnote"`` of the anchor
  span the Markdown put at its start (pandoc cannot put attributes on list
  items), so reading systems pop up the right note.
* The package declares its conformance (``dcterms:conformsTo`` EPUB
  Accessibility 1.1 - WCAG 2.1 Level AA) beside the schema.org metadata that
  pandoc writes from :func:`accessibility_metadata`.
* The zip is rewritten with ``mimetype`` first and stored, fixed entry order
  and times from SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from .ziputil import write_zip

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
OPF_NS = "http://www.idpf.org/2007/opf"
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


def accessibility_metadata(document: dict, has_images: bool) -> dict:
    """schema.org accessibility metadata that is true of the EPUB we write."""
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    modes = ["textual"]
    if has_images:
        features.append("alternativeText")
        modes.append("visual")
    summary = ("This publication is text with a logical reading order, headings for every section, "
               "a navigable table of contents and linked notes with links back to each citation.")
    if has_images:
        summary += " Every image has a text alternative."
    summary += " It meets WCAG 2.1 Level AA."
    return {
        "accessModes": modes,
        "accessModeSufficient": "textual",
        "accessibilityFeatures": features,
        "accessibilityHazards": "none",
        "accessibilitySummary": summary,
    }


def _fix_notes(data: bytes) -> bytes:
    root = etree.fromstring(data)
    anchors = root.xpath("//x:span[contains(concat(' ', @class, ' '), ' note-anchor ')]", namespaces={"x": XHTML_NS})
    if not anchors:
        return data
    for span in anchors:
        item = span.getparent()
        while item is not None and item.tag != f"{{{XHTML_NS}}}li":
            item = item.getparent()
        if item is None:
            continue
        for name in ("id", f"{{{EPUB_NS}}}type", "role"):
            if span.get(name):
                item.set(name, span.get(name))
        parent = span.getparent()
        # Keep the text that followed the (empty) span.
        if span.tail:
            previous = span.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + span.tail
            else:
                parent.text = (parent.text or "") + span.tail
        parent.remove(span)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>")


def _add_conformance(data: bytes) -> bytes:
    root = etree.fromstring(data)
    metadata = root.find(f"{{{OPF_NS}}}metadata")
    if metadata.xpath("opf:meta[@property='dcterms:conformsTo']", namespaces={"opf": OPF_NS}):
        return data
    meta = etree.SubElement(metadata, f"{{{OPF_NS}}}meta", property="dcterms:conformsTo")
    meta.text = CONFORMS_TO
    meta.tail = "\n  "
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def finish_epub(src: Path, dst: Path, *, source_date_epoch: int | None) -> None:
    """Post-process pandoc's EPUB ``src`` into ``dst`` (see module docstring)."""
    with zipfile.ZipFile(src) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    finished = []
    for name, data in entries:
        if name.endswith(".xhtml") and name != "EPUB/nav.xhtml":
            data = _fix_notes(data)
        elif name.endswith(".opf"):
            data = _add_conformance(data)
        finished.append((name, data))
    mimetype = [e for e in finished if e[0] == "mimetype"]
    rest = sorted(e for e in finished if e[0] != "mimetype")
    write_zip(dst, mimetype + rest, source_date_epoch=source_date_epoch, stored={"mimetype"})
