"""Finish pandoc's EPUB 3: notes, titles, title page, accessibility claim, stable zip.

* Each note's ``<li>`` takes the id and ``epub:type="endnote"`` of the anchor
  span the Markdown put at its start (pandoc cannot put attributes on list
  items), so reading systems pop up the right note.
* Every content document gets a ``<title>`` from its heading (pandoc writes
  the file name, ``ch001.xhtml``: WCAG 2.4.2 Page Titled).
* The question and publication facts that the Markdown puts before the first
  heading would become a chapter of their own, headed by a copy of the title
  and listed in the contents; they move onto pandoc's title page instead.
* The navigation document's heading and landmark labels follow the brief's
  language (pandoc uses the title and English labels).
* The accessibility metadata is derived from the finished content (images and
  their text alternatives, notes, ARIA roles), so that it is true of this
  file: schema.org properties, an accessibility summary, and the EPUB
  Accessibility 1.1 conformance claim (``dcterms:conformsTo``) with its
  evaluator (``a11y:certifiedBy``, which the specification requires).
* The zip is rewritten with ``mimetype`` first and stored, fixed entry order
  and times from SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from lxml import etree

from .i18n import labels_for
from .render import move_note_anchors
from .ziputil import write_zip

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NS = {"x": XHTML_NS, "epub": EPUB_NS, "opf": OPF_NS, "dc": DC_NS, "ncx": NCX_NS}

CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
# Who is named as evaluator when the brief names neither organisation nor authors.
FALLBACK_EVALUATOR = "Brief pipeline (automated checks)"
EPUB_TYPE = f"{{{EPUB_NS}}}type"
SCHEMA_PROPERTIES = ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                     "schema:accessibilityHazard", "schema:accessibilitySummary")


def accessibility_metadata(document: dict | None = None, has_images: bool = False, *, has_notes: bool = False,
                           images_have_alt: bool = True, has_aria: bool = False) -> dict:
    """schema.org accessibility metadata that is true of an EPUB with these contents.

    :func:`finish_epub` calls this with facts read from the finished EPUB and
    replaces whatever metadata pandoc wrote; ``document`` is not needed.
    """
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    modes = ["textual"]
    sufficient = ["textual"]
    sentences = ["Every section starts with a heading and is listed in the table of contents."]
    if has_notes:
        sentences.append("Citation markers link to numbered notes at the end, and each note links back "
                         "to every place where it is cited.")
    if has_images:
        modes.append("visual")
        if images_have_alt:
            features.append("alternativeText")
            sufficient = ["textual", "textual,visual"]
            sentences.append("Each image has a short text alternative; there are no extended descriptions.")
        else:
            sufficient = ["textual,visual"]
            sentences.append("Some images have no text alternative.")
    if has_aria:
        features.append("ARIA")
    sentences.append("Page numbers of the PDF edition are not marked.")
    return {
        "accessModes": modes,
        "accessModeSufficient": sufficient,
        "accessibilityFeatures": features,
        "accessibilityHazards": "none",
        "accessibilitySummary": " ".join(sentences),
    }


def _text(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _footnotes_as_asides(root) -> None:
    """An author's footnote is an <aside epub:type="footnote">, which reading systems pop up and keep out
    of the reading flow (pandoc writes the composed Div as a <div>)."""
    for div in root.xpath("//x:div[@epub:type='footnote']", namespaces=NS):
        div.tag = f"{{{XHTML_NS}}}aside"


def _set_title(root, title: str) -> None:
    element = root.find(f"{{{XHTML_NS}}}head/{{{XHTML_NS}}}title")
    if element is not None and title:
        element.text = title


def _lead_in_section(root, book_title: str):
    """The section pandoc made of the text before the first heading, else None.

    pandoc heads it with the book title; it holds no other heading.
    """
    body = root.find(f"{{{XHTML_NS}}}body")
    children = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(children) != 1 or children[0].tag != f"{{{XHTML_NS}}}section":
        return None
    section = children[0]
    heading = next((c for c in section if isinstance(c.tag, str)), None)
    if heading is None or heading.tag != f"{{{XHTML_NS}}}h1" or _text(heading) != book_title:
        return None
    headings = section.xpath(".//x:h1|.//x:h2|.//x:h3|.//x:h4|.//x:h5|.//x:h6", namespaces=NS)
    if len(headings) != 1:
        return None
    return section


def _merge_into_title_page(section, title_page) -> None:
    target = title_page.xpath("//x:section[@epub:type='titlepage']", namespaces=NS)[0]
    anchor = (target.xpath("x:p[contains(concat(' ', @class, ' '), ' subtitle ')]", namespaces=NS)
              or target.xpath("x:h1", namespaces=NS))[-1]
    moved = [c for c in section if isinstance(c.tag, str) and c.tag != f"{{{XHTML_NS}}}h1"]
    for element in moved:
        element.tail = "\n  "
        anchor.addnext(element)
        anchor = element


def _resolve(base: str, href: str) -> str:
    """Zip entry name of ``href`` (fragment dropped) relative to entry ``base``."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), href.split("#")[0]))


def _content_facts(docs: dict) -> dict:
    images = [img for root in docs.values() for img in root.iter(f"{{{XHTML_NS}}}img")]
    return {
        "has_images": bool(images),
        "images_have_alt": all((img.get("alt") or "").strip() for img in images),
        "has_notes": any(root.xpath("//x:a[contains(concat(' ', @epub:type, ' '), ' noteref ')]", namespaces=NS)
                         for root in docs.values()),
        "has_aria": any(root.xpath("//*[starts-with(@role, 'doc-')]") for root in docs.values()),
    }


def _meta(metadata, prop: str, text: str, **attrs) -> None:
    element = etree.SubElement(metadata, f"{{{OPF_NS}}}meta", nsmap={None: OPF_NS})
    element.set("property", prop)
    for name, value in attrs.items():
        element.set(name, value)
    element.text = text
    element.tail = "\n    "


def _write_accessibility(opf, facts: dict, language: str) -> None:
    metadata = opf.find(f"{{{OPF_NS}}}metadata")
    for element in metadata.xpath("opf:meta", namespaces=NS):
        prop = element.get("property")
        if prop in SCHEMA_PROPERTIES or prop in ("dcterms:conformsTo", "a11y:certifiedBy"):
            metadata.remove(element)
    values = accessibility_metadata(None, facts["has_images"], has_notes=facts["has_notes"],
                                    images_have_alt=facts["images_have_alt"], has_aria=facts["has_aria"])
    properties = {"accessModes": "schema:accessMode", "accessModeSufficient": "schema:accessModeSufficient",
                  "accessibilityFeatures": "schema:accessibilityFeature",
                  "accessibilityHazards": "schema:accessibilityHazard"}
    for key, prop in properties.items():
        value = values[key]
        for item in value if isinstance(value, list) else [value]:
            _meta(metadata, prop, item)
    summary = values["accessibilitySummary"]
    conforms = facts["images_have_alt"]
    if conforms:
        summary += " The conformance claim is a self-assessment, not a third-party certification."
    summary_lang = {} if language.split("-")[0].lower() == "en" else {XML_LANG: "en"}
    _meta(metadata, "schema:accessibilitySummary", summary, **summary_lang)
    if conforms:
        # The publisher (else the authors) makes the claim: a self-assessment.
        names = ([_text(e) for e in metadata.xpath("dc:publisher", namespaces=NS)]
                 or [_text(e) for e in metadata.xpath("dc:creator", namespaces=NS)])
        _meta(metadata, "dcterms:conformsTo", CONFORMS_TO, id="a11y-conformance")
        _meta(metadata, "a11y:certifiedBy", ", ".join(n for n in names if n) or FALLBACK_EVALUATOR,
              refines="#a11y-conformance")
    metadata[-1].tail = "\n  "


def _finish_nav(nav, labels: dict, language: str, removed: set[str], nav_name: str) -> None:
    heading = nav.xpath("//x:nav[@epub:type='toc']/x:h1", namespaces=NS)
    if heading:
        for child in list(heading[0]):
            heading[0].remove(child)
        heading[0].text = labels["contents"]
    _set_title(nav, labels["contents"])
    for link in nav.xpath("//x:nav[@epub:type='toc']//x:li/x:a", namespaces=NS):
        if _resolve(nav_name, link.get("href", "")) in removed:
            item = link.getparent()
            item.getparent().remove(item)
    for link in nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS):
        if link.get(EPUB_TYPE) == "toc":
            link.text = labels["contents"]
        elif language.split("-")[0].lower() != "en":
            # pandoc's English label ("Title Page") in a document of another language.
            link.set("lang", "en")
            link.set(XML_LANG, "en")


def _tidy_title_page(title_page) -> None:
    """The title page as the PDF's title block: the organisation above the title, and pandoc's own
    author, publisher, date and rights lines removed (the composed block names each once, the date as
    the language writes it)."""
    section = title_page.xpath("//x:section[@epub:type='titlepage']", namespaces=NS)
    if not section:
        return
    section = section[0]
    for element in section.xpath("x:p[@class='author' or @class='publisher' or @class='date']"
                                 "|x:div[@class='rights']", namespaces=NS):
        section.remove(element)
    organization = section.xpath("x:div[@class='organization']", namespaces=NS)
    title = section.xpath("x:h1", namespaces=NS)
    if organization and title:
        title[0].addprevious(organization[0])


def finish_epub(src: Path, dst: Path, *, source_date_epoch: int | None, direction: str = "ltr") -> None:
    """Post-process pandoc's EPUB ``src`` into ``dst`` (see module docstring)."""
    with zipfile.ZipFile(src) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    container = etree.fromstring(entries["META-INF/container.xml"])
    opf_name = container.xpath("//c:rootfile/@full-path", namespaces={"c": CONTAINER_NS})[0]
    opf = etree.fromstring(entries[opf_name])
    language = (opf.xpath("string(//dc:language)", namespaces=NS) or "en").strip()
    labels = labels_for(language)
    book_title = _text(opf.xpath("//dc:title", namespaces=NS)[0])
    items = {i.get("id"): i for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    nav_item = opf.xpath("//opf:manifest/opf:item[contains(concat(' ', @properties, ' '), ' nav ')]",
                         namespaces=NS)[0]
    nav_name = _resolve(opf_name, nav_item.get("href"))
    spine = [_resolve(opf_name, items[ref].get("href"))
             for ref in opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)]

    docs = {}
    for name in spine:
        if name == nav_name:
            continue
        root = etree.fromstring(entries[name])
        move_note_anchors(root)
        _footnotes_as_asides(root)
        for box in root.xpath("//x:div[contains(concat(' ', @class, ' '), ' box ')]", namespaces=NS):
            box.tag = f"{{{XHTML_NS}}}aside"  # a sidebar is complementary content (pipeline/compose.py)
        heading = root.find(f".//{{{XHTML_NS}}}h1")
        _set_title(root, _text(heading) if heading is not None else book_title)
        docs[name] = root

    removed: set[str] = set()
    title_pages = [n for n, r in docs.items() if r.xpath("//x:section[@epub:type='titlepage']", namespaces=NS)]
    body_docs = [n for n in spine if n in docs and n not in title_pages]
    if title_pages and body_docs:
        lead_in = _lead_in_section(docs[body_docs[0]], book_title)
        linked = any(_resolve(n, h) == body_docs[0] for n, r in docs.items() for h in r.xpath("//x:a/@href",
                                                                                          namespaces=NS))
        if lead_in is not None and not linked:
            _merge_into_title_page(lead_in, docs[title_pages[0]])
            removed.add(body_docs[0])
            _set_title(docs[title_pages[0]], book_title)
        _tidy_title_page(docs[title_pages[0]])

    nav = etree.fromstring(entries[nav_name])
    _finish_nav(nav, labels, language, removed, nav_name)

    for item in list(items.values()):
        if _resolve(opf_name, item.get("href")) in removed:
            for ref in opf.xpath(f"//opf:spine/opf:itemref[@idref='{item.get('id')}']", namespaces=NS):
                ref.getparent().remove(ref)
            item.getparent().remove(item)
    _write_accessibility(opf, _content_facts({n: r for n, r in docs.items() if n not in removed}), language)
    if direction == "rtl":
        # pandoc's EPUB writer sets neither: the text's direction on every page and the order of the pages
        for root in [*docs.values(), nav]:
            root.set("dir", "rtl")
        for spine_element in opf.xpath("//opf:spine", namespaces=NS):
            spine_element.set("page-progression-direction", "rtl")

    finished = {}
    for name, data in entries.items():
        if name in removed:
            continue
        if name in docs or name == nav_name:
            root = nav if name == nav_name else docs[name]
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", doctype="<!DOCTYPE html>")
        elif name == opf_name:
            data = etree.tostring(opf, xml_declaration=True, encoding="UTF-8")
        elif name.endswith(".ncx") and removed:
            ncx = etree.fromstring(data)
            for point in ncx.xpath("//ncx:navPoint", namespaces=NS):
                src_attr = point.xpath("string(ncx:content/@src)", namespaces=NS)
                if _resolve(name, src_attr) in removed:
                    point.getparent().remove(point)
            data = etree.tostring(ncx, xml_declaration=True, encoding="UTF-8")
        finished[name] = data
    rest = sorted((n, d) for n, d in finished.items() if n != "mimetype")
    write_zip(dst, [("mimetype", finished["mimetype"])] + rest, source_date_epoch=source_date_epoch,
              stored={"mimetype"}, reuse=src)
