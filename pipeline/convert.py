"""DOCX and EPUB from the composed document tree, with pandoc.

pandoc writes from the tree it is given, with only the images the document
uses in its media bag (see pipeline/lua/session.lua); the result is
post-processed: DOCX notes of sources become native Word endnotes
(:mod:`pipeline.docx_endnotes`), the EPUB gets its accessibility claim and
note structure (:mod:`pipeline.epub`). Both are written deterministically
for a given SOURCE_DATE_EPOCH, beside their target and moved into place.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .fsutil import replace_atomic


def make_docx(session, document: dict, out: Path, *, templates_dir: Path, reference: str,
              media: list[tuple[str, str, Path]], endnotes: bool, source_date_epoch: int) -> None:
    """Write ``out``; with ``endnotes`` the source notes become Word endnotes."""
    from .docx_endnotes import convert_to_endnotes

    with tempfile.TemporaryDirectory(prefix=".brief-docx-", dir=out.parent) as tmp:
        raw = Path(tmp) / "pandoc.docx"
        session.write(document, "docx", out=raw, media=media,
                      options={"reference_doc": str(templates_dir / "docx" / reference)})
        staged = Path(tmp) / out.name
        convert_to_endnotes(raw, staged, source_date_epoch=source_date_epoch)
        replace_atomic(staged, out)


def make_epub(session, document: dict, out: Path, *, templates_dir: Path, media: list[tuple[str, str, Path]],
              source_date_epoch: int) -> None:
    """Write the EPUB 3 ``out`` with the house stylesheet and fonts."""
    from .epub import finish_epub

    options = {
        "variables": {"css": [str(templates_dir / "css" / "fonts.css"), str(templates_dir / "css" / "epub.css")]},
        "epub_fonts": [str(p) for p in sorted((templates_dir / "fonts").glob("*.ttf"))],
        "split_level": 1,
        "table_of_contents": True,
        "toc_depth": 1,
    }
    with tempfile.TemporaryDirectory(prefix=".brief-epub-", dir=out.parent) as tmp:
        raw = Path(tmp) / "pandoc.epub"
        session.write(document, "epub3", out=raw, media=media, options=options, standalone=True)
        staged = Path(tmp) / out.name
        finish_epub(raw, staged, source_date_epoch=source_date_epoch)
        replace_atomic(staged, out)
