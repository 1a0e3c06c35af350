"""What an image file really is, decided by its content, not its name.

Every output format must be able to carry it: PNG, JPEG and GIF (raster)
and SVG. An SVG must be self-contained: no DOCTYPE or entity declarations
(which parsers may expand or fetch), no reference to anything outside the
file (href, url(), @import), no script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_PIXELS = 80_000_000  # a larger raster is a decompression bomb, not a chart
MIME_BY_KIND = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml"}
EXTENSIONS = {"png": (".png",), "jpeg": (".jpg", ".jpeg"), "gif": (".gif",), "svg": (".svg",)}
CONVERT_HINT = "convert it to PNG (or JPEG for photographs, SVG for drawings)"
SVG_NS = "http://www.w3.org/2000/svg"


class ImageError(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # png, jpeg, gif, svg
    mime: str
    width: int | None
    height: int | None


def sniff(head: bytes) -> str | None:
    """The image kind from the first bytes of a file, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg")) and b"<svg" in head:
        return "svg"
    return None


def inspect_image(path: Path) -> ImageInfo:
    """Check ``path``; raise ImageError with a message and a hint if no output can use it."""
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageError(f"is {size // 2**20} MB, more than the limit of {MAX_IMAGE_BYTES // 2**20} MB",
                         "reduce its resolution or compress it")
    data = path.read_bytes()
    kind = sniff(data[:4096])
    if kind in ("bmp", "tiff", "pdf", "webp"):
        raise ImageError(f"is a {kind.upper()} file, which not every output format can carry", CONVERT_HINT)
    if kind is None:
        raise ImageError("is not an image file (PNG, JPEG, GIF or SVG)",
                         "check that the file is really an image; save it again as PNG")
    if path.suffix.lower() not in EXTENSIONS[kind]:
        raise ImageError(f"is a {kind.upper()} file named {path.suffix or 'without an extension'}",
                         f"rename it to end in {EXTENSIONS[kind][0]}")
    if kind == "svg":
        _check_svg(data)
        return ImageInfo(kind, MIME_BY_KIND[kind], None, None)
    width, height = _raster_size(data, kind)
    if width * height > MAX_PIXELS:
        raise ImageError(f"has {width} x {height} pixels, more than any page needs", "reduce its resolution")
    return ImageInfo(kind, MIME_BY_KIND[kind], width, height)


def _raster_size(data: bytes, kind: str) -> tuple[int, int]:
    import io

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # the size is checked here, from the header, before decoding
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise ImageError(f"is a damaged {kind.upper()} file ({exc})", "save the image again") from None


_URL_IN_CSS = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.I)


def _check_svg(data: bytes) -> None:
    from lxml import etree

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ImageError("is an SVG with a DOCTYPE or entity declarations",
                         "save it again without them (e.g. export as 'plain SVG')")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImageError(f"is not a valid SVG file ({exc.msg})", "save it again from the drawing program") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageError("is not an SVG drawing (its root element is not <svg>)", "save it again as SVG")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in ("script", "foreignObject"):
            raise ImageError(f"is an SVG with a <{name}> element", "remove it; a figure must be a plain drawing")
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname
            if local.startswith("on"):
                raise ImageError(f"is an SVG with an event handler ({local})", "remove the script attributes")
            if local == "href" and not value.strip().startswith("#") and not value.strip().startswith("data:image/"):
                raise ImageError(f"is an SVG that refers to another file ({value[:60]})",
                                 "embed the referenced image or remove the reference")
            if local == "style":
                _check_css(value)
        if name == "style":
            _check_css(element.text or "")


def _check_css(css: str) -> None:
    if "@import" in css.lower():
        raise ImageError("is an SVG whose styles import another file", "remove the @import")
    for target in _URL_IN_CSS.findall(css):
        if not target.startswith("#") and not target.startswith("data:"):
            raise ImageError(f"is an SVG whose styles refer to another file ({target[:60]})",
                             "remove the url(...) reference")


# An SVG drawing becomes a PNG of at most this width for formats that cannot show SVG (the DOCX): sharp
# across the text column (106 mm) at about 380 dpi.
FALLBACK_WIDTH = 1600


def png_fallback(path: Path, cache_dir: Path | None = None) -> Path:
    """A PNG rendering of the SVG ``path`` (MuPDF, through PyMuPDF), cached by the drawing's content.

    Word shows an SVG only beside a PNG fallback that pandoc cannot make
    without rsvg-convert; the DOCX gets this PNG instead.
    """
    import hashlib

    import pymupdf

    from .cache import default_cache_dir
    from .fsutil import write_bytes_atomic

    data = Path(path).read_bytes()
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "png"
    target = folder / f"{hashlib.sha256(data).hexdigest()[:24]}-{FALLBACK_WIDTH}.png"
    if target.is_file():
        return target
    with pymupdf.open(stream=data, filetype="svg") as document:
        page = document[0]
        zoom = min(8.0, max(1.0, FALLBACK_WIDTH / max(page.rect.width, 1)))
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=True)
        png = pixmap.tobytes("png")
    write_bytes_atomic(target, png)
    return target
