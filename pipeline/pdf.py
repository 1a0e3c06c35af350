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


def render_pdf(page: str, pdf_path: Path, *, brief_dir: Path, templates_dir: Path,
               max_pages: int | None = None) -> int:
    """Write ``pdf_path`` from the HTML ``page``; return the page count.

    With ``max_pages`` set, a longer document raises PageLimitError and
    nothing is written.
    """
    import weasyprint
    import weasyprint.text.fonts

    fetcher = confined_fetcher({BRIEF_URL: brief_dir, TEMPLATES_URL: templates_dir})
    html = weasyprint.HTML(string=page, base_url=BRIEF_URL, url_fetcher=fetcher)
    # @font-face rules only take effect through a FontConfiguration shared by
    # the stylesheet and the rendering.
    font_config = weasyprint.text.fonts.FontConfiguration()
    stylesheets = [weasyprint.CSS(url=f"{TEMPLATES_URL}css/{name}", url_fetcher=fetcher, font_config=font_config)
                   for name in ("fonts.css", "brief.css")]
    document = html.render(stylesheets=stylesheets, font_config=font_config)
    pages = len(document.pages)
    if max_pages is not None and pages > max_pages:
        raise PageLimitError(pdf_path, pages, max_pages)
    # Layout leaves much garbage behind; collecting it before the PDF is
    # written keeps a 100-page brief's peak memory under 300 MB.
    gc.collect()
    buffer = io.BytesIO()
    document.write_pdf(buffer, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    write_bytes_atomic(pdf_path, buffer.getvalue())
    return pages


def count_pages(page: str, *, brief_dir: Path, templates_dir: Path) -> int:
    """The number of pages ``page`` lays out to (nothing is written)."""
    import weasyprint
    import weasyprint.text.fonts

    fetcher = confined_fetcher({BRIEF_URL: brief_dir, TEMPLATES_URL: templates_dir})
    html = weasyprint.HTML(string=page, base_url=BRIEF_URL, url_fetcher=fetcher)
    font_config = weasyprint.text.fonts.FontConfiguration()
    stylesheets = [weasyprint.CSS(url=f"{TEMPLATES_URL}css/{name}", url_fetcher=fetcher, font_config=font_config)
                   for name in ("fonts.css", "brief.css")]
    return len(html.render(stylesheets=stylesheets, font_config=font_config).pages)
