"""The lines, spans and glyphs of a PDF as a reader sees them (PyMuPDF), for the tests that look at pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pymupdf


@dataclass
class Span:
    text: str
    font: str
    size: float
    bbox: tuple[float, float, float, float]
    origin: tuple[float, float]


@dataclass
class Line:
    page: int  # 1-based
    spans: list[Span]

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (min(s.bbox[0] for s in self.spans), min(s.bbox[1] for s in self.spans),
                max(s.bbox[2] for s in self.spans), max(s.bbox[3] for s in self.spans))

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]


def lines(path: Path) -> list[Line]:
    """Every text line of every page, in reading order."""
    found = []
    with pymupdf.open(path) as document:
        for number, page in enumerate(document, start=1):
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    spans = [Span(s["text"], s["font"], s["size"], tuple(s["bbox"]), tuple(s["origin"]))
                             for s in line["spans"] if s["text"]]
                    if spans:
                        found.append(Line(number, spans))
    return found


def rows(found: list[Line]) -> list[str]:
    """The text of each visual row (lines on one baseline joined left to right), page by page, top to bottom.

    A list's number is a line of its own for PyMuPDF; on the page it stands on its item's first row.
    """
    grouped: dict[tuple[int, int], list[Line]] = {}
    for line in found:
        baseline = round(max(span.origin[1] for span in line.spans))
        grouped.setdefault((line.page, baseline), []).append(line)
    return [" ".join(" ".join(entry.text.split()) for entry in sorted(group, key=lambda entry: entry.bbox[0]))
            for _, group in sorted(grouped.items())]


def page_size(path: Path) -> tuple[float, float]:
    with pymupdf.open(path) as document:
        rect = document[0].rect
        return rect.width, rect.height


def glyphs(path: Path):
    """(page, character, glyph id, font name) of every glyph drawn; glyph 0 is .notdef, a missing glyph."""
    with pymupdf.open(path) as document:
        for number, page in enumerate(document, start=1):
            for span in page.get_texttrace():
                for char in span["chars"]:
                    yield number, chr(char[0]) if char[0] >= 0 else "", char[1], span["font"]


def render_page(path: Path, page: int, dpi: int = 50):
    """A page as a grayscale pixmap (PyMuPDF), for image comparisons."""
    with pymupdf.open(path) as document:
        return document[page - 1].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)


MARKER_ONLY = re.compile(r"^\s*[\[\(]?[\d\s,;.–\-pP]*[\]\)]?[.,;:]?\s*$")
