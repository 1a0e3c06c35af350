"""Make the PDF from the rendered HTML page with WeasyPrint.

The URL fetcher only hands out files inside the brief folder and the
project's templates: no network request, no file elsewhere on the machine.
The PDF is tagged (PDF/UA-1), has an outline from the headings, and its
metadata comes from the HTML head.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import PageLimitError
from .fsutil import write_bytes_atomic


def confined_fetcher(allowed: list[Path]):
    """A WeasyPrint URL fetcher that serves only local files below ``allowed``.

    Anything else (http, data outside, file elsewhere) stops the rendering.
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = [p.resolve() for p in allowed]

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise FatalURLFetchingError(f"refused to fetch {url}: only files inside the brief folder may be used")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise FatalURLFetchingError(f"refused to read {path}: it is outside the brief folder")
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols={"file"}, fail_on_errors=True)


def render_pdf(html_path: Path, pdf_path: Path, *, brief_dir: Path, templates_dir: Path,
               max_pages: int | None = None) -> int:
    """Write ``pdf_path`` from ``html_path``; return the page count.

    With ``max_pages`` set, a longer document raises PageLimitError and
    nothing is written.
    """
    import weasyprint
    import weasyprint.text.fonts

    fetcher = confined_fetcher([brief_dir, templates_dir, html_path.parent])
    html = weasyprint.HTML(
        string=html_path.read_text(encoding="utf-8"),
        base_url=str(brief_dir.resolve()) + "/",
        url_fetcher=fetcher,
    )
    # @font-face rules only take effect through a FontConfiguration shared by
    # the stylesheet and the rendering.
    font_config = weasyprint.text.fonts.FontConfiguration()
    stylesheet = weasyprint.CSS(filename=str(templates_dir / "css" / "brief.css"), url_fetcher=fetcher,
                                font_config=font_config)
    document = html.render(stylesheets=[stylesheet], font_config=font_config)
    pages = len(document.pages)
    if max_pages is not None and pages > max_pages:
        raise PageLimitError(pdf_path, pages, max_pages)
    buffer = io.BytesIO()
    document.write_pdf(buffer, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    write_bytes_atomic(pdf_path, buffer.getvalue())
    return pages
