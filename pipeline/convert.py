"""DOCX and EPUB from the rendered Markdown, with pandoc.

pandoc reads only the Markdown given to it and the brief's own folder
(``--resource-path``); its output is post-processed: DOCX footnotes become
native Word endnotes (:mod:`pipeline.docx_endnotes`), the EPUB gets its
accessibility claim and note structure (:mod:`pipeline.epub`). Both are
written deterministically for a given SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .fsutil import replace_atomic
from .pandoc import run_pandoc
from .render import PANDOC_MARKDOWN, quotes_filter



REFERENCE_DOCX = {"A4": "reference.docx", "Letter": "reference-letter.docx"}


def make_docx(markdown: Path, out: Path, *, brief_dir: Path, templates_dir: Path, endnotes: bool,
              source_date_epoch: int, page_size: str = "A4") -> None:
    """Write ``out`` from ``markdown``; the long version's notes become endnotes.

    The reference document for the page size carries the styles and the page.
    """
    from .docx_endnotes import convert_to_endnotes, rezip_deterministic

    args = ["-f", PANDOC_MARKDOWN, "-t", "docx", f"--resource-path={brief_dir.resolve()}", quotes_filter(templates_dir),
            f"--reference-doc={templates_dir / 'docx' / REFERENCE_DOCX[page_size]}"]
    with tempfile.TemporaryDirectory(prefix="brief-docx-", dir=out.parent) as tmp:
        raw = Path(tmp) / "pandoc.docx"
        run_pandoc([*args, "-o", str(raw), str(markdown.resolve())], source_date_epoch=source_date_epoch)
        staged = Path(tmp) / out.name
        if endnotes:
            convert_to_endnotes(raw, staged, source_date_epoch=source_date_epoch)
        else:
            rezip_deterministic(raw, staged, source_date_epoch=source_date_epoch)
        replace_atomic(staged, out)


def make_epub(markdown: Path, out: Path, *, brief_dir: Path, templates_dir: Path, source_date_epoch: int) -> None:
    """Write the EPUB 3 ``out`` from ``markdown`` with the house stylesheet and fonts.

    The accessibility metadata is derived from the finished files by
    :func:`pipeline.epub.finish_epub`.
    """
    from .epub import finish_epub

    args = ["-f", PANDOC_MARKDOWN, "-t", "epub3", f"--resource-path={brief_dir.resolve()}", quotes_filter(templates_dir),
            f"--css={templates_dir / 'css' / 'fonts.css'}", f"--css={templates_dir / 'css' / 'epub.css'}", "--split-level=1", "--toc", "--toc-depth=1"]
    for font in sorted((templates_dir / "fonts").glob("*.ttf")):
        args.append(f"--epub-embed-font={font}")
    with tempfile.TemporaryDirectory(prefix="brief-epub-", dir=out.parent) as tmp:
        raw = Path(tmp) / "pandoc.epub"
        run_pandoc([*args, "-o", str(raw), str(markdown.resolve())], source_date_epoch=source_date_epoch)
        staged = Path(tmp) / out.name
        finish_epub(raw, staged, source_date_epoch=source_date_epoch)
        replace_atomic(staged, out)
