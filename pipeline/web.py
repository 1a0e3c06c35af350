"""The web edition: ``build/<slug>/web/``, the brief as two pages for a website.

``index.html`` is the long version and ``short.html`` the short one. Their
body is the tree the PDF and EPUB are made from (:func:`pipeline.compose.compose_full`
for the ``web`` target, written by pandoc through :func:`pipeline.render.body_html`):
the same text, headings, note numbers, blocks and back matter. What the web
needs on top is done here, on that HTML:

* headings one level down (the page's ``<h1>`` is the brief's title);
* author footnotes as ``<aside>`` at the end of their section (the ``web``
  target puts them there, as the EPUB's);
* images copied into ``media/`` under names that carry their content's hash;
* wide tables in a scrollable, focusable region (they never widen a phone's page);
* the short version's closing line links to the long version.

Beside the pages: one style sheet (``templates/css/web.css`` with the
brief's font lists, :mod:`pipeline.fonts`), the fonts as WOFF2 subsets of the
characters the pages hold, and a small script (``templates/js/notes.js``)
that shows a note's text when its marker is hovered or focused. The pages
need neither the script nor anything outside the folder to be read.

Every asset's name carries a digest of its bytes (``style-1a2b3c4d.css``):
a rebuild that changes nothing gives the same names and bytes, a page never
meets a style sheet or font of another build (the pages are published after
their assets, :mod:`pipeline.publish`), and a web server may cache the
assets for ever.

Metadata for sharing and indexing comes from brief.yaml: ``<title>``, a
description (the question, else the subtitle, else the summary's opening),
Open Graph, Highwire ``citation_*`` tags (Google Scholar), and a schema.org
``Report`` in JSON-LD on the long version. Of the document's metadata that
issue 13 adds, read with ``getattr`` (a document without them still builds):
``doi``, ``isbn``, ``url`` (canonical address of the long version),
``series`` (``name``, ``number``), ``licence`` (``name``, ``url``, ``spdx``;
a plain SPDX id is also understood) and ``identity`` (the theme's: its
``url`` is the publisher's address, its colours set the style sheet's custom
properties, its ``logo`` heads the title block, its ``fonts`` replace the
house faces).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

from lxml import etree
from lxml import html as lxml_html

FOLDER = "web"
PAGES = {"long": "index.html", "short": "short.html"}
# Characters the style sheet itself puts on the page (separators, back-link arrows): the fonts keep them.
CSS_TEXT = " ·\u00a0\u21a9\ufe0e[],.;:()–—"
SCRIPT = "notes.js"


def stage_web(document, brief_dir: Path, stage_dir: Path, templates_dir: Path, session,
              media: list[tuple[str, str, Path]]) -> dict[str, Path]:
    """Write the web edition of ``document`` into ``stage_dir/web``; return {published name: staged file}."""
    from .render import metadata_html

    folder = Path(stage_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        staged[f"{FOLDER}/{name}"] = path

    images = _image_names(media)
    for name, path in sorted(set(images.values())):
        put(name, path.read_bytes())
    bodies = {variant: web_body(document, variant, session, media, {src: name for src, (name, _) in images.items()})
              for variant in PAGES}
    texts = metadata_html(document, session)
    css_name, css, font_files = _style_sheet(document, brief_dir, templates_dir, bodies.values())
    for name, data in font_files.items():
        put(name, data)
    put(css_name, css)
    script = (templates_dir / "js" / SCRIPT).read_bytes()
    script_name = hashed_name(SCRIPT, script)
    put(script_name, script)
    logo = getattr(getattr(document.meta, "identity", None), "logo", None)
    logo_name = images.get(logo, (None, None))[0] if logo else None
    for variant, page in PAGES.items():
        put(page, render_web_page(document, variant, bodies[variant], texts, templates_dir,
                                  stylesheet=css_name, script=script_name, logo=logo_name).encode("utf-8"))
    return staged


def hashed_name(name: str, data: bytes) -> str:
    """``style.css`` -> ``style-1a2b3c4d.css``: the name changes exactly when the bytes do."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:8]
    return f"{stem}-{digest}.{suffix}" if dot else f"{name}-{digest}"


def _image_names(media: list[tuple[str, str, Path]]) -> dict[str, tuple[str, Path]]:
    """Each image's ``src`` as written in the Markdown (plain and URL-quoted) -> (name in media/, file).

    The name is the file's own, reduced to safe characters, with its
    content's digest: two images of the same name in different folders
    stay apart, and an odd file name never reaches the page.
    """
    names = {}
    for src, _mime, path in media:
        data = path.read_bytes()
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-") or "image"
        suffix = re.sub(r"[^A-Za-z0-9]+", "", path.suffix.lower()) or "img"
        names[src] = (f"media/{hashed_name(f'{stem[:60]}.{suffix}', data)}", path)
    return names


# --- the body ---------------------------------------------------------------------------------------

def web_body(document, variant: str, session, media=(), images: dict[str, str] | None = None) -> str:
    """The HTML of ``variant``'s body for the web page (see the module's docstring for what changes)."""
    from .compose import compose_full
    from .render import body_html

    fragment = body_html(compose_full(document, variant, "web").tree, session, media)
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    _demote_headings(root)
    for div in root.xpath("//div[@role='doc-footnote']"):
        div.tag = "aside"
    _glue_back_links(root)
    _rename_images(root, images or {})
    _scrollable_tables(root, document.labels.get("table", "Table"))
    if variant == "short":
        _link_closing_line(root)
    return "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def _demote_headings(root) -> None:
    for element in root.iter("h1", "h2", "h3", "h4", "h5"):
        element.tag = f"h{int(element.tag[1]) + 1}"


def _glue_back_links(root) -> None:
    """A footnote's back link stays on the line of its last word (never an arrow alone on a line)."""
    for link in root.xpath("//aside//a[contains(concat(' ', @class, ' '), ' backlink ')]"):
        previous = link.getprevious()
        if previous is not None:
            if previous.tail and previous.tail.endswith(" "):
                previous.tail = previous.tail[:-1] + "\u00a0"
        else:
            parent = link.getparent()
            if parent.text and parent.text.endswith(" "):
                parent.text = parent.text[:-1] + "\u00a0"


def _rename_images(root, images: dict[str, str]) -> None:
    for img in root.iter("img"):
        src = img.get("src", "")
        name = images.get(src) or images.get(unquote(src))
        if name is not None:
            img.set("src", quote(name))


def _scrollable_tables(root, label: str) -> None:
    """A table wider than the screen scrolls inside its own region, which the keyboard can reach (WCAG 2.1.1)."""
    for table in list(root.iter("table")):
        caption = table.find("caption")
        name = re.sub(r"\s+", " ", caption.text_content()).strip() if caption is not None else label
        wrapper = etree.Element("div", {"class": "table-scroll", "tabindex": "0", "role": "group",
                                        "aria-label": name or label})
        table.addprevious(wrapper)
        wrapper.append(table)  # moves the table (and its tail) into the wrapper
        wrapper.tail, table.tail = table.tail, None


def _link_closing_line(root) -> None:
    """The short version's closing line ("The full brief ... is published as the long version") links to it."""
    for paragraph in root.xpath("//div[contains(concat(' ', @class, ' '), ' closing-line ')]/p"):
        if paragraph.find(".//a") is not None:
            continue
        link = etree.Element("a", {"href": PAGES["long"]})
        link.text, paragraph.text = paragraph.text, None
        for child in list(paragraph):
            link.append(child)
        paragraph.append(link)


# --- style sheet and fonts --------------------------------------------------------------------------

def page_text(document, bodies) -> str:
    """Every character the pages can show: the document's texts and labels and the bodies as written."""
    from .document import document_text

    pieces = [document_text(document), CSS_TEXT]
    for body in bodies:
        root = lxml_html.fragment_fromstring(body, create_parent="div")
        pieces.append(root.text_content())
    return "\n".join(pieces)


def theme_faces(document, brief_dir: Path) -> list:
    """The faces the brief's theme gives (none without a theme, or in a pipeline without themes)."""
    from . import fonts

    identity = getattr(document.meta, "identity", None)
    if identity is None or not getattr(identity, "fonts", None) or not hasattr(fonts, "theme_faces"):
        return []
    from .theme import theme_folder_of

    return fonts.theme_faces(identity, theme_folder_of(brief_dir, identity.theme))


def identity_css(document) -> str:
    """The theme's colours as the custom properties of web.css (the house colours when it has none)."""
    identity = getattr(document.meta, "identity", None)
    values = {"--accent": getattr(identity, "accent", None), "--rule": getattr(identity, "secondary", None),
              "--tint": getattr(identity, "tint", None)}
    rules = "; ".join(f"{key}: {value}" for key, value in values.items()
                      if isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{3,8}", value))
    return f":root {{ {rules}; }}\n" if rules else ""


def _style_sheet(document, brief_dir: Path, templates_dir: Path, bodies) -> tuple[str, bytes, dict[str, bytes]]:
    """(name, bytes) of the style sheet and {name: bytes} of its fonts, as WOFF2 subsets."""
    from . import fonts

    scripts = list(document.meta.scripts)
    theme = theme_faces(document, brief_dir)
    faces = fonts.faces_for(scripts, theme) if theme else fonts.faces_for(scripts)
    text = page_text(document, bodies)
    font_files: dict[str, bytes] = {}
    names = {}
    for face in faces:
        subset, name = fonts.subset_file(face, text, flavor="woff2")
        data = subset.read_bytes()
        names[face] = f"fonts/{hashed_name(name, data)}"
        font_files[names[face]] = data
    css = fonts.font_face_css(faces, lambda face: names[face]).replace("; }", "; font-display: swap; }")
    css += fonts.with_stacks((templates_dir / "css" / "web.css").read_text(encoding="utf-8"),
                             fonts.stacks(faces, scripts, document.meta.language))
    css += identity_css(document)  # after web.css's own :root, so that it wins
    data = css.encode("utf-8")
    return hashed_name("style.css", data), data, font_files


# --- the page ---------------------------------------------------------------------------------------

def _plain(value) -> str | None:
    """A metadata value as plain text: a Text, a string, a number; None when empty."""
    if value is None:
        return None
    text = getattr(value, "plain", value)
    text = str(text).strip() if text is not None else ""
    return text or None


def _field(value, key: str):
    """``key`` of a mapping or an object (issue 13's metadata may be either)."""
    if isinstance(value, dict):
        return value.get(key)
    return getattr(value, key, None)


IDENTIFIER_KEYS = ("doi", "isbn", "url", "license_name", "license_url", "series", "series_number", "publisher_url")


def identifiers(meta) -> dict[str, str]:
    """The brief's optional identifiers and links, whichever this version of the pipeline carries.

    Keys: ``doi``, ``isbn``, ``url``, ``license_name``, ``license_url``,
    ``series``, ``series_number``, ``publisher_url``.
    """
    out: dict[str, str] = {}
    for key in ("doi", "isbn", "url"):
        value = _plain(getattr(meta, key, None))
        if value:
            out[key] = value
    if "doi" in out:
        out["doi"] = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", out["doi"], flags=re.I)
    license_ = getattr(meta, "licence", None) or getattr(meta, "license", None)
    if isinstance(license_, str) or getattr(license_, "plain", None):
        spdx = _plain(license_)
        out["license_name"] = spdx
        if re.fullmatch(r"[A-Za-z0-9.+-]+", spdx):
            out["license_url"] = f"https://spdx.org/licenses/{spdx}.html"
    elif license_ is not None:
        for key in ("spdx", "id", "name", "url"):  # the printed name wins over an identifier
            value = _plain(_field(license_, key))
            if value:
                out[{"id": "license_name", "spdx": "license_name"}.get(key, f"license_{key}")] = value
    series = getattr(meta, "series", None)
    if series is not None:
        name, number = _plain(_field(series, "name")), _plain(_field(series, "number"))
        if name:
            out["series"] = name
        if number:
            out["series_number"] = number
    identity = getattr(meta, "identity", None)  # the theme's (pipeline/theme.py)
    publisher_url = _plain(_field(identity, "url")) if identity is not None else None
    if publisher_url:
        out["publisher_url"] = publisher_url
    return out


def description(document) -> str:
    """One or two sentences for search results and link previews."""
    meta = document.meta
    for text in (meta.question, meta.subtitle):
        if text is not None and text.plain.strip():
            return text.plain.strip()
    from . import tree

    summary = " ".join(tree.stringify(document.summary.blocks).split())
    if len(summary) <= 200:
        return summary
    cut = summary[:200].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def json_ld(document, ids: dict[str, str]) -> dict:
    """schema.org ``Report`` of the long version."""
    meta = document.meta
    data: dict = {"@context": "https://schema.org", "@type": "Report", "headline": meta.title.plain,
                  "name": meta.title.plain}
    if meta.subtitle is not None:
        data["alternativeHeadline"] = meta.subtitle.plain
    data["description"] = description(document)
    data["datePublished"] = meta.date
    data["inLanguage"] = meta.language
    if meta.version:
        data["version"] = meta.version
    if meta.keywords:
        data["keywords"] = list(meta.keywords)
    authors = []
    for author in meta.authors:
        person: dict = {"@type": "Person", "name": author.name.plain}
        if author.affiliation is not None:
            person["affiliation"] = {"@type": "Organization", "name": author.affiliation.plain}
        authors.append(person)
    publisher = None
    if meta.organization is not None:
        publisher = {"@type": "Organization", "name": meta.organization.plain}
        if "publisher_url" in ids:
            publisher["url"] = ids["publisher_url"]
    if authors:
        data["author"] = authors
    elif publisher:
        data["author"] = publisher
    if publisher:
        data["publisher"] = publisher
    if "url" in ids:
        data["url"] = ids["url"]
    identifiers_ = []
    if "doi" in ids:
        identifiers_.append({"@type": "PropertyValue", "propertyID": "DOI", "value": ids["doi"]})
        data["sameAs"] = f"https://doi.org/{ids['doi']}"
    if "isbn" in ids:
        data["isbn"] = ids["isbn"]
        identifiers_.append({"@type": "PropertyValue", "propertyID": "ISBN", "value": ids["isbn"]})
    if identifiers_:
        data["identifier"] = identifiers_
    if "license_url" in ids or "license_name" in ids:
        data["license"] = ids.get("license_url") or ids["license_name"]
    if meta.rights is not None:
        data["copyrightNotice"] = meta.rights.plain
    if "series" in ids:
        series: dict = {"@type": "CreativeWorkSeries", "name": ids["series"]}
        data["isPartOf"] = series
        if "series_number" in ids:
            data["position"] = ids["series_number"]
    return data


def script_json(data: dict) -> str:
    """JSON for a ``<script>`` element: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def og_locale(language: str) -> str:
    """Open Graph's locale form of a BCP 47 tag (``en-GB`` -> ``en_GB``)."""
    parts = language.split("-")
    if len(parts) > 1 and len(parts[-1]) == 2:
        return f"{parts[0].lower()}_{parts[-1].upper()}"
    return parts[0].lower()


def render_web_page(document, variant: str, body: str, texts: dict[str, str], templates_dir: Path, *,
                    stylesheet: str, script: str, logo: str | None = None) -> str:
    """The complete page of ``variant`` (``templates/web.html.j2``)."""
    import jinja2

    from .render import environment

    meta = document.meta
    ids = identifiers(meta)
    template_ids = {key: ids.get(key) for key in IDENTIFIER_KEYS}
    template = environment(str(templates_dir)).get_template("web.html.j2")
    return template.render(
        doc=document, meta=meta, labels=document.labels, variant=variant, body=jinja2.utils.markupsafe.Markup(body),
        text={key: jinja2.utils.markupsafe.Markup(value) for key, value in texts.items()},
        sections=document.sections, has_notes=bool(document.notes) and variant == "long",
        appendices=getattr(document, "appendices", []), back=getattr(document, "back", []),
        description=description(document), ids=template_ids, locale=og_locale(meta.language),
        json_ld=jinja2.utils.markupsafe.Markup(script_json(json_ld(document, ids))) if variant == "long" else None,
        stylesheet=stylesheet, script=script, pages=PAGES, logo=quote(logo) if logo else None,
    )


# --- the web edition alone (brief preview) ----------------------------------------------------------

def publish_web(brief_dir: Path, out_dir: Path, templates_dir: Path | None = None, *, session=None,
                cache=None) -> list[str]:
    """Validate the brief, stage its web edition alone and publish it: what ``brief preview`` does first after
    a save, so that the page reloads within about a second. Returns the names written.

    Raises ContentError for content mistakes (nothing is published then). The
    other outputs and the build's marker are left to the ordinary build that
    follows (Snakemake sees the saved file newer than the marker); the
    manifest is rewritten so that it describes the files beside it. The
    caller holds the build folder's lock (:class:`pipeline.buildlock.BuildLock`).
    """
    import shutil
    import tempfile

    from .content import load_brief
    from .document import build_document
    from .job import expected_outputs, tool_versions
    from .manifest import brief_entry, variant_counts
    from .pandoc import PandocSession
    from .publish import publish
    from .stage import TEMPLATES_DIR, _media

    templates_dir = Path(templates_dir or TEMPLATES_DIR)
    brief_dir, out_dir = Path(brief_dir), Path(out_dir)
    if session is None:
        with PandocSession() as own:
            return publish_web(brief_dir, out_dir, templates_dir, session=own, cache=cache)
    brief = load_brief(brief_dir, session=session, cache=cache)
    document = build_document(brief, session, templates_dir)
    work = out_dir / ".work"
    work.mkdir(parents=True, exist_ok=True)
    stage_dir = Path(tempfile.mkdtemp(prefix="stage-web-", dir=work))
    try:
        staged = stage_web(document, brief_dir, stage_dir, templates_dir, session, _media(document, brief_dir))
        report = publish(out_dir, staged, expected_outputs(document.slug), brief=brief_entry(document), pages={},
                         variants=variant_counts(document), tools=tool_versions())
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
    return report.written
