"""Make the PDF from the rendered HTML page with WeasyPrint.

The URL fetcher only hands out files inside the brief folder and the
project's templates: no network request, no file elsewhere on the machine.
The PDF is tagged (PDF/UA-1), has an outline from the headings, and its
metadata comes from the HTML head.
"""

from __future__ import annotations

import gc
import io
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import PageLimitError
from .fsutil import write_bytes_atomic

# The document sees its folders under fixed virtual paths: no file outside
# them can be named, and the PDF does not depend on where the brief or the
# checkout lives (WeasyPrint names image resources after their URL).
BRIEF_URL = "file:///brief/"
TEMPLATES_URL = "file:///templates/"


def confined_fetcher(roots: dict[str, Path]):
    """A WeasyPrint URL fetcher serving only files below the virtual ``roots``.

    ``roots`` maps URL prefixes such as ``file:///brief/`` to real folders;
    any other URL (http, data outside, file elsewhere) stops the rendering.
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, path2url

    real_roots = {prefix: folder.resolve() for prefix, folder in roots.items()}

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            for prefix, folder in real_roots.items():
                if url.startswith(prefix):
                    path = (folder / unquote(urlparse(url).path[len(urlparse(prefix).path):])).resolve()
                    if not path.is_relative_to(folder):
                        break
                    response = super().fetch(path2url(str(path)), headers)
                    response.url = url
                    return response
            raise FatalURLFetchingError(f"refused to fetch {url}: only files inside the brief folder may be used")

    return ConfinedFetcher(allowed_protocols={"file"}, fail_on_errors=True)


def layout(page: str, *, brief_dir: Path, templates_dir: Path, scripts: list[str] | tuple = (),
           language: str = "en", theme_dir: Path | None = None, theme_fonts: list | tuple = ()):
    """WeasyPrint's laid-out document of the HTML ``page`` with the house stylesheet.

    ``scripts`` are the brief's font groups beyond the house faces
    (:mod:`pipeline.fonts`): their @font-face rules join the style sheet and
    the text and heading font lists name them (``language``'s own first). ``theme_dir`` is the brief's
    theme folder: its files (the logo) are served as ``_theme/...`` of the
    brief, and its ``templates/css/brief.css`` replaces the project's.
    """
    import weasyprint
    import weasyprint.text.fonts

    from . import fonts
    from .document import THEME_MEDIA
    from .theme import find_template

    roots = {f"{BRIEF_URL}{THEME_MEDIA}/": theme_dir} if theme_dir else {}  # before the brief's own root
    roots = {**roots, BRIEF_URL: brief_dir, TEMPLATES_URL: templates_dir, **fonts.pdf_font_roots(theme_dir)}
    faces = fonts.faces_for(list(scripts), theme_fonts)
    sheet = find_template("css/brief.css", templates_dir, theme_dir / "templates" if theme_dir else None)
    css = fonts.pdf_fonts_css(list(scripts), theme_fonts) + fonts.with_stacks(sheet.read_text(encoding="utf-8"),
                                                                  fonts.stacks(faces, list(scripts), language))
    key = (css, tuple((prefix, str(Path(folder).resolve())) for prefix, folder in roots.items()))
    if key not in _STYLESHEETS:
        fetcher = confined_fetcher(roots)
        # @font-face rules only take effect through a FontConfiguration shared by
        # the stylesheet and the rendering.
        font_config = weasyprint.text.fonts.FontConfiguration()
        stylesheet = weasyprint.CSS(string=css, base_url=f"{TEMPLATES_URL}css/brief.css", url_fetcher=fetcher,
                                    font_config=font_config)
        _STYLESHEETS.clear()  # one brief's at a time: the PDFs and the running head's probe of one job share it
        _STYLESHEETS[key] = (fetcher, stylesheet, font_config)
    fetcher, stylesheet, font_config = _STYLESHEETS[key]
    html = weasyprint.HTML(string=page, base_url=BRIEF_URL, url_fetcher=fetcher)
    return html.render(stylesheets=[stylesheet], font_config=font_config)


# The last parsed house style sheet with its fetcher and font configuration, by (CSS text, folders served):
# parsing it and loading its @font-face files costs a tenth of a second, and a job lays out four pages with
# the same one (both versions and the running head's probe of each).
_STYLESHEETS: dict = {}


def render_pdf(page: str, pdf_path: Path, *, brief_dir: Path, templates_dir: Path,
               max_pages: int | None = None, scripts: list[str] | tuple = (), language: str = "en",
               theme_dir: Path | None = None, identifiers: dict[str, str] | None = None,
               theme_fonts: list | tuple = ()) -> int:
    """Write ``pdf_path`` from the HTML ``page``; return the page count.

    With ``max_pages`` set, a longer document raises PageLimitError and
    nothing is written.
    """
    document = layout(page, brief_dir=brief_dir, templates_dir=templates_dir, scripts=scripts, language=language,
                      theme_dir=theme_dir, theme_fonts=theme_fonts)
    pages = len(document.pages)
    if max_pages is not None and pages > max_pages:
        raise PageLimitError(pdf_path, pages, max_pages)
    if identifiers:
        _add_identifiers(document.metadata, identifiers)
    # Layout leaves much garbage behind; collecting it before the PDF is
    # written keeps a 100-page brief's peak memory under 300 MB.
    gc.collect()
    buffer = io.BytesIO()
    document.write_pdf(buffer, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    write_bytes_atomic(pdf_path, buffer.getvalue())
    return pages


XMP_NAMESPACES = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dc": "http://purl.org/dc/elements/1.1/",
                  "prism": "http://prismstandard.org/namespaces/basic/3.0/"}


def _add_identifiers(metadata, identifiers: dict[str, str]) -> None:
    """The brief's DOI, ISBN and address in the PDF's XMP: ``dc:identifier`` and ``prism:doi`` /
    ``prism:isbn`` / ``prism:url`` as written, in WeasyPrint's own rdf:RDF."""
    from lxml import etree

    original = metadata.generate_rdf_metadata

    def with_identifiers(*args, **kwargs) -> bytes:
        root = etree.fromstring(original(*args, **kwargs))
        rdf, dc, prism = (XMP_NAMESPACES[k] for k in ("rdf", "dc", "prism"))
        description = etree.SubElement(root, f"{{{rdf}}}Description", {f"{{{rdf}}}about": ""},
                                       nsmap={"dc": dc, "prism": prism})
        # dc:identifier is one text in XMP: the DOI (doi:...), else the ISBN (urn:isbn:...), else the address
        written = {"doi": "doi:{}", "isbn": "urn:isbn:{}", "url": "{}"}
        first = next(scheme for scheme in written if scheme in identifiers)
        etree.SubElement(description, f"{{{dc}}}identifier").text = written[first].format(identifiers[first])
        for scheme, value in identifiers.items():
            etree.SubElement(description, f"{{{prism}}}{scheme}").text = value
        return etree.tostring(root, encoding="utf-8")

    metadata.generate_rdf_metadata = with_identifiers


def count_pages(page: str, *, brief_dir: Path, templates_dir: Path, scripts: list[str] | tuple = (),
                language: str = "en", theme_dir: Path | None = None, theme_fonts: list | tuple = ()) -> int:
    """The number of pages ``page`` lays out to (nothing is written)."""
    return len(layout(page, brief_dir=brief_dir, templates_dir=templates_dir, scripts=scripts, language=language,
                      theme_dir=theme_dir, theme_fonts=theme_fonts).pages)


ELLIPSIS = "\u2026"


def fit_running_head(title: str, organization: str, *, variant: str, page_size: str, direction: str,
                     templates_dir: Path, scripts: list[str] | tuple = (), language: str = "en",
                     brief_dir: Path | None = None, theme_dir: Path | None = None,
                     theme_fonts: list | tuple = ()) -> tuple[str, str]:
    """The running head's title and organisation, each cut at a word with an ellipsis to fit one line.

    WeasyPrint neither wraps nor clips a page-margin box's text as a
    browser's text-overflow would, so the longest fitting form is chosen here
    by laying out every candidate with the running head's own style and page
    geometry (one small layout, the same fonts and stylesheet as the PDF).
    """
    from html import escape

    from . import fonts
    from .render import page_furniture_css

    probe_font = fonts.with_stacks("var(--sans)", fonts.stacks(fonts.faces_for(list(scripts), theme_fonts),
                                                              list(scripts), language))
    candidates = {"title": _shortened(title), "organization": _shortened(organization)}
    probes = "".join(f'<p class="probe"><span class="probe-{key}" data-index="{index}">{escape(text)}</span></p>'
                     for key, texts in candidates.items() for index, text in enumerate(texts))
    page = (f'<!DOCTYPE html><html dir="{direction}"><head><style>@page {{ size: {page_size}; }}'
            f'{page_furniture_css(direction, "{page}")}'
            f"body .probe {{ margin: 0; white-space: nowrap; font: 400 7.5pt/1.2 {probe_font};"
            " font-variant: all-small-caps; letter-spacing: 0.04em; }</style></head>"
            f'<body class="{variant}"><p class="running-strings"><span class="running-title">x</span>'
            f'<span class="running-organization">x</span></p><p style="break-before: page">x</p>'
            f'<main>{probes}</main></body></html>')
    # the brief's own folder when known: the probe then shares the style sheet the pages are laid out with
    document = layout(page, brief_dir=brief_dir or templates_dir, templates_dir=templates_dir, scripts=scripts,
                      language=language, theme_dir=theme_dir, theme_fonts=theme_fonts)
    widths = {"title": 0.0, "organization": 0.0}
    fitted = {"title": [], "organization": []}
    for box in _descendants(document.pages[1]._page_box):
        at_keyword = getattr(box, "at_keyword", None)
        if at_keyword in ("@top-left", "@top-right"):
            starts_line = at_keyword == ("@top-right" if direction == "rtl" else "@top-left")
            widths["title" if starts_line else "organization"] = box.width
    for box in _descendants(document.pages[1]._page_box):
        element = getattr(box, "element", None)
        if type(box).__name__ == "InlineBox" and element is not None and element.get("data-index") is not None:
            key = "title" if element.get("class") == "probe-title" else "organization"
            fitted[key].append((int(element.get("data-index")), box.width))
    chosen = {}
    for key, texts in candidates.items():
        fitting = [index for index, width in fitted[key] if width <= widths[key] + 0.01]
        chosen[key] = texts[min(fitting)] if fitting else texts[-1]
    return chosen["title"], chosen["organization"]


def _shortened(text: str) -> list[str]:
    """``text`` and its shorter forms, cut after ever fewer words, with an ellipsis."""
    words = text.split()
    forms = [" ".join(words)]
    for count in range(len(words) - 1, 0, -1):
        forms.append(" ".join(words[:count]).rstrip(",;:.") + ELLIPSIS)
    return forms


def _descendants(box):
    yield box
    for child in getattr(box, "children", []) or []:
        yield from _descendants(child)
