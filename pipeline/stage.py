"""Build every output of one brief into a staging folder, without touching the published files.

``stage_brief`` is the whole build of a brief in one process and one pandoc
session: validate, normalise (``brief.json``), compose each variant for each
format, then write the two PDFs (WeasyPrint), DOCX and EPUB (pandoc plus
post-processing) into ``stage_dir``. Nothing is published here
(:mod:`pipeline.publish` does that), so a failure at any point leaves the
published outputs as they were.

A short version over its page limit is not a failure of the stage: the long
version's files are staged and the overrun is reported in the result, so
that they can be published and the brief's build still fails.
"""

from __future__ import annotations

import calendar
import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PageLimitError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
VARIANTS = ("short", "long")
FORMATS = ("pdf", "docx", "epub")
REFERENCE_DOCX = {"A4": "reference.docx", "Letter": "reference-letter.docx"}


@dataclass
class StageResult:
    slug: str
    files: dict[str, Path] = field(default_factory=dict)  # published name -> staged file
    pages: dict[str, int] = field(default_factory=dict)  # published name -> pages (PDFs)
    errors: list[str] = field(default_factory=list)  # one-line problems that fail the build
    warnings: list[str] = field(default_factory=list)


# A ZIP file (DOCX, EPUB) dates its members between 1980 and 2107.
ZIP_FIRST = calendar.timegm((1980, 1, 1, 0, 0, 0))
ZIP_LAST = calendar.timegm((2107, 12, 31, 0, 0, 0))


def source_date_epoch(date: str) -> int:
    """SOURCE_DATE_EPOCH if set, else midnight UTC of the brief's date; within what a ZIP file can record.

    The stamp only dates the files inside the packages; the brief's own date
    is printed and recorded in the metadata as written.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    else:
        epoch = calendar.timegm(datetime.date.fromisoformat(date).timetuple())
    return min(max(epoch, ZIP_FIRST), ZIP_LAST)


def stage_brief(brief_dir: Path, stage_dir: Path, templates_dir: Path = TEMPLATES_DIR, *, cache=None,
                work_dir: Path | None = None, on_content_read: Callable[[], None] | None = None):
    """Stage every output of the brief in ``brief_dir``; return (document, StageResult).

    Raises ContentError for content mistakes (nothing is staged then).
    ``work_dir`` receives the intermediates worth looking at (brief.json, the
    PDF's HTML pages). ``on_content_read`` is called once the brief has been
    read and checked, before any output is made.
    """
    from .content import load_brief
    from .document import build_document
    from .model import write_document
    from .pandoc import PandocSession

    brief_dir, stage_dir = Path(brief_dir), Path(stage_dir)
    stage_dir.mkdir(parents=True, exist_ok=True)
    with PandocSession() as session:
        brief = load_brief(brief_dir, session=session, cache=cache)
        document = build_document(brief, session, templates_dir)
        if on_content_read is not None:
            on_content_read()
        if work_dir is not None:
            write_document(document, work_dir / "brief.json")
        result = StageResult(document.slug, warnings=list(document.warnings))
        epoch = source_date_epoch(document.meta.date)
        session.set_environment({"SOURCE_DATE_EPOCH": str(epoch)})
        for variant in VARIANTS:
            _stage_variant(document, variant, brief_dir, stage_dir, templates_dir, session, epoch, result,
                           work_dir)
        # The web edition (pipeline/web.py): both pages, whatever the short PDF's page count, in web/.
        from .web import stage_web

        result.files.update(stage_web(document, brief_dir, stage_dir, templates_dir, session,
                                      _media(document, brief_dir)))
    return document, result


def _stage_variant(document, variant: str, brief_dir: Path, stage_dir: Path, templates_dir: Path, session,
                   epoch: int, result: StageResult, work_dir: Path | None) -> None:
    from . import fonts
    from .compose import compose_full
    from .convert import make_docx, make_epub
    from .pdf import render_pdf
    from .theme import theme_folder_of

    slug = document.slug
    names = {fmt: f"{slug}-{variant}.{fmt}" for fmt in FORMATS}
    media = _media(document, brief_dir)
    theme_dir = theme_folder_of(brief_dir, document.meta.identity.theme)
    page = page_html(document, variant, brief_dir, templates_dir, session, media)
    if work_dir is not None:
        from .fsutil import write_text_atomic

        write_text_atomic(work_dir / f"{slug}-{variant}.html", page)
    limit = document.meta.short_max_pages if variant == "short" else None
    pdf = stage_dir / names["pdf"]
    try:
        result.pages[names["pdf"]] = render_pdf(page, pdf, brief_dir=brief_dir, templates_dir=templates_dir,
                                                max_pages=limit, scripts=document.meta.scripts,
                                                language=document.meta.language,
                                                theme_dir=theme_dir, identifiers=identifiers_of(document),
                                                theme_fonts=fonts.theme_faces(document.meta.identity, theme_dir))
    except PageLimitError as exc:
        result.errors.append(exc.describe(brief_dir.name))
        return  # the variant is not published; its earlier outputs are kept
    result.files[names["pdf"]] = pdf
    docx = compose_full(document, variant, "docx")
    docx_tree, docx_media = svg_as_png(docx.tree, media)
    make_docx(session, docx_tree, stage_dir / names["docx"], model=document, templates_dir=templates_dir,
              reference=REFERENCE_DOCX[document.meta.page_size], media=docx_media, endnotes=variant == "long",
              source_date_epoch=epoch, theme_templates=theme_dir / "templates" if theme_dir else None,
              theme_dir=theme_dir)
    result.files[names["docx"]] = stage_dir / names["docx"]
    make_epub(session, compose_full(document, variant, "epub").tree, stage_dir / names["epub"], model=document,
              templates_dir=templates_dir, media=media, source_date_epoch=epoch,
              theme_templates=theme_dir / "templates" if theme_dir else None, theme_folder=theme_dir)
    result.files[names["epub"]] = stage_dir / names["epub"]


def identifiers_of(document) -> dict[str, str]:
    """The long version's identifiers, as every format's metadata carries them unchanged."""
    meta = document.meta
    return {scheme: value for scheme, value in (("doi", meta.doi), ("isbn", meta.isbn), ("url", meta.url)) if value}


def svg_as_png(document_tree: dict, media: list[tuple[str, str, Path]]):
    """The DOCX's tree and media with every SVG drawing replaced by its PNG rendering (Word needs one)."""
    from . import tree
    from .images import png_fallback

    renamed = {name: f"{name}.png" for name, mime, _ in media if mime == "image/svg+xml"}
    if not renamed:
        return document_tree, media
    out_media = [(renamed[name], "image/png", png_fallback(path)) if name in renamed else (name, mime, path)
                 for name, mime, path in media]

    def replace(node):
        if node.get("t") == "Image" and node["c"][2][0] in renamed:
            attributes, alt, (src, title) = node["c"]
            return [{"t": "Image", "c": [attributes, alt, [renamed[src], title]]}]
        return None

    blocks = tree.map_inlines(document_tree["blocks"], replace)
    return {**document_tree, "blocks": blocks}, out_media


def page_html(document, variant: str, brief_dir: Path, templates_dir: Path, session, media=None) -> str:
    """The HTML page of ``variant`` that WeasyPrint lays out (the theme's templates first)."""
    from .compose import compose_full
    from .render import body_html, metadata_html, render_page
    from .theme import theme_folder_of

    media = _media(document, brief_dir) if media is None else media
    theme_dir = theme_folder_of(brief_dir, document.meta.identity.theme)
    return render_page(document, variant, body_html(compose_full(document, variant, "html").tree, session, media),
                       metadata_html(document, session), templates_dir,
                       running=running_head(document, variant, templates_dir, theme_dir, brief_dir),
                       theme_templates=theme_dir / "templates" if theme_dir else None)


def running_head(document, variant: str, templates_dir: Path, theme_dir: Path | None = None,
                 brief_dir: Path | None = None) -> tuple[str, str]:
    """The PDF's running head (short title or title; the theme's short name, else the organisation), fitted
    to one line."""
    from .pdf import fit_running_head

    meta = document.meta
    title = (meta.short_title or meta.title).plain
    organization = meta.identity.publisher or (meta.organization.plain if meta.organization else "")
    from .fonts import theme_faces

    return fit_running_head(title, organization, variant=variant, page_size=meta.page_size,
                            direction=meta.direction, templates_dir=templates_dir, scripts=meta.scripts,
                            language=meta.language,
                            brief_dir=brief_dir, theme_dir=theme_dir, theme_fonts=theme_faces(meta.identity, theme_dir))


def _media(document, brief_dir: Path) -> list[tuple[str, str, Path]]:
    """(name in the document, media type, file) of every image, checked by content when the brief was loaded."""
    from urllib.parse import quote

    from .document import THEME_MEDIA
    from .images import inspect_image
    from .theme import theme_folder_of

    media = []
    for relative in document.images:
        if relative.startswith(f"{THEME_MEDIA}/"):
            path = theme_folder_of(brief_dir, document.meta.identity.theme) / relative[len(THEME_MEDIA) + 1:]
        else:
            path = brief_dir / relative
        info = inspect_image(path)
        media.append((relative, info.mime, path))
        if quote(relative) != relative:
            media.append((quote(relative), info.mime, path))
    return media
