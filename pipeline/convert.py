"""DOCX and EPUB from the composed document tree, with pandoc.

pandoc writes from the tree it is given, with only the images the document
uses in its media bag (see pipeline/lua/session.lua); the result is
post-processed: DOCX notes of sources become native Word endnotes
(:mod:`pipeline.docx_endnotes`), the EPUB gets its accessibility claim and
note structure (:mod:`pipeline.epub`). Both are written deterministically
for a given SOURCE_DATE_EPOCH, beside their target and moved into place.
"""

from __future__ import annotations

import os
import tempfile
from html import escape
from pathlib import Path

from .fsutil import replace_atomic


def reference_document(templates_dir: Path, reference: str, identity, theme_templates: Path | None = None) -> Path:
    """The reference document pandoc takes the DOCX's styles from: the theme's own (``templates/docx/``
    in its folder) or the project's, in the theme's colours (a recoloured copy, cached)."""
    import hashlib
    import zipfile

    from .cache import default_cache_dir
    from .theme import DEFAULT_ACCENT, DEFAULT_SECONDARY, find_template
    from .ziputil import write_zip

    base = find_template(f"docx/{reference}", templates_dir, theme_templates)
    colours = [(DEFAULT_ACCENT, identity.accent), (DEFAULT_SECONDARY, identity.secondary), ("#eef3f8", identity.tint)]
    colours = [(old[1:].upper(), new[1:].upper()) for old, new in colours if old != new]
    families = theme_families(identity)
    if not colours and not families:
        return base
    data = base.read_bytes()
    key = hashlib.sha256(data + repr(colours).encode() + repr(families).encode()).hexdigest()[:20]
    target = default_cache_dir() / "docx" / f"reference-{key}.docx"
    if target.is_file():
        return target
    with zipfile.ZipFile(base) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    recoloured = []
    for name, content in members:
        if name in ("word/styles.xml", "word/numbering.xml", "word/document.xml", "word/fontTable.xml",
                    "word/theme/theme1.xml"):
            text = content.decode("utf-8")
            for old, new in colours:
                text = text.replace(old, new).replace(old.lower(), new)
            for house, family in families:  # the theme's fonts in the styles and the font table, by name
                text = text.replace(f'"{house}"', f'"{escape(family)}"')
            content = text.encode("utf-8")
        recoloured.append((name, content))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    write_zip(temporary, recoloured, source_date_epoch=None)
    os.replace(temporary, target)
    return target


# The house families the reference documents name, by the role a theme's fonts take over.
HOUSE_FAMILIES = {"serif": "EB Garamond", "sans": "Inter"}


def theme_families(identity) -> list[tuple[str, str]]:
    """(house family, theme family) for each role a theme's fonts replace."""
    chosen = {face.role: face.family for face in identity.fonts}
    return [(house, chosen[role]) for role, house in HOUSE_FAMILIES.items() if role in chosen]


def theme_face_files(identity, theme_dir: Path | None) -> dict[tuple[str, bool, bool], Path]:
    """The theme's fonts as the DOCX embeds them: (family, bold, italic) -> font file."""
    if theme_dir is None:
        return {}
    return {(face.family, face.weight >= 600, face.italic): Path(theme_dir) / face.file for face in identity.fonts}


def make_docx(session, document: dict, out: Path, *, model, templates_dir: Path, reference: str,
              media: list[tuple[str, str, Path]], endnotes: bool, source_date_epoch: int,
              cache_dir: Path | None = None, theme_templates: Path | None = None,
              theme_dir: Path | None = None) -> None:
    """Write ``out`` from the composed tree ``document`` of the typed document ``model``.

    With ``endnotes`` the source notes become Word endnotes; then the package
    is finished as a publication (:mod:`pipeline.docx_finish`: header and
    footer, contents field, Notes heading, properties, subset fonts cached in
    ``cache_dir``, by default the pipeline's cache folder).
    """
    from .docx_endnotes import convert_to_endnotes
    from .docx_finish import finish_docx

    with tempfile.TemporaryDirectory(prefix=".brief-docx-", dir=out.parent) as tmp:
        raw = Path(tmp) / "pandoc.docx"
        session.write(document, "docx", out=raw, media=media,
                      options={"reference_doc": str(reference_document(templates_dir, reference, model.meta.identity,
                                                                       theme_templates))})
        notes = Path(tmp) / "notes.docx"
        convert_to_endnotes(raw, notes, source_date_epoch=source_date_epoch)
        staged = Path(tmp) / out.name
        finish_docx(notes, staged, model, fonts_dir=templates_dir / "fonts", source_date_epoch=source_date_epoch,
                    cache_dir=cache_dir, faces=theme_face_files(model.meta.identity, theme_dir))
        replace_atomic(staged, out)


def epub_stylesheet(model, templates_dir: Path, theme_templates: Path | None = None) -> str:
    """The EPUB's style sheet (the theme's, else the project's) in the theme's colours.

    Reading systems do not all support custom properties, so the house
    colours are written out and replaced by the theme's here.
    """
    from .theme import DEFAULT_ACCENT, DEFAULT_SECONDARY, find_template

    css = find_template("css/epub.css", templates_dir, theme_templates).read_text(encoding="utf-8")
    identity = model.meta.identity
    for house, theme in ((DEFAULT_ACCENT, identity.accent), (DEFAULT_SECONDARY, identity.secondary),
                         ("#eef3f8", identity.tint)):
        css = css.replace(house, theme)
    return css


def make_epub(session, document: dict, out: Path, *, model, templates_dir: Path, media: list[tuple[str, str, Path]],
              source_date_epoch: int, theme_templates: Path | None = None, theme_folder: Path | None = None) -> None:
    """Write the EPUB 3 ``out`` from the composed tree ``document`` of the typed document ``model``.

    The house style sheet gets the brief's font lists (:mod:`pipeline.fonts`)
    and the fonts go in subset to the characters the brief uses.
    """
    from . import fonts
    from .document import document_text
    from .epub import finish_epub

    scripts = list(model.meta.scripts)
    faces = fonts.faces_for(scripts, fonts.theme_faces(model.meta.identity, theme_folder))
    text = document_text(model)
    with tempfile.TemporaryDirectory(prefix=".brief-epub-", dir=out.parent) as tmp:
        folder = Path(tmp)
        (folder / "fonts").mkdir()
        names = {}
        for face in faces:
            subset, name = fonts.subset_file(face, text)
            (folder / "fonts" / name).write_bytes(subset.read_bytes())
            names[face] = name
        # pandoc puts the style sheets in EPUB/styles/ and the fonts in EPUB/fonts/.
        face_css = fonts.font_face_css(faces, lambda face: f"../fonts/{names[face]}")
        house_css = fonts.with_stacks(epub_stylesheet(model, templates_dir, theme_templates),
                                      fonts.stacks(faces, scripts, model.meta.language))
        (folder / "fonts.css").write_text(face_css, encoding="utf-8")
        (folder / "brief.css").write_text(house_css, encoding="utf-8")
        options = {
            "variables": {"css": [str(folder / "fonts.css"), str(folder / "brief.css")]},
            "epub_fonts": [str(folder / "fonts" / name) for name in sorted(names.values())],
            "split_level": 1,
            "table_of_contents": True,
            "toc_depth": 1,
        }
        raw = folder / "pandoc.epub"
        session.write(document, "epub3", out=raw, media=media, options=options, standalone=True)
        staged = folder / out.name
        finish_epub(raw, staged, source_date_epoch=source_date_epoch, direction=model.meta.direction)
        replace_atomic(staged, out)
