"""The normalised intermediate of a brief, as typed classes (``.work/brief.json``).

Everything later steps need is here: metadata with defaults applied, each
part's blocks as pandoc's document tree in which citations, footnotes and
cross-references are placeholders (see :mod:`pipeline.document`), the
citations with their note numbers and anchors, the formatted notes and
footnotes, and the numbered cross-reference targets. It is written and read
only through these classes; the file carries a format version that is
checked on reading, so a step never works on an intermediate of another
version of the pipeline.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path

FORMAT_VERSION = 5

Inlines = list  # pandoc JSON inlines
Blocks = list  # pandoc JSON blocks


class ModelError(Exception):
    """The intermediate file cannot be used (wrong version, not ours)."""


@dataclass
class Text:
    """A metadata text: its plain form (for metadata fields) and its inlines (for pages)."""

    plain: str
    inlines: Inlines


@dataclass
class Author:
    name: Text
    affiliation: Text | None = None


@dataclass
class Series:
    name: str
    number: str | None = None


@dataclass
class Licence:
    name: str
    url: str
    spdx: str | None = None


@dataclass
class ThemeFace:
    """A font file of the theme (relative to its folder) replacing a default face."""

    role: str  # "serif" (body) or "sans" (headings)
    file: str
    family: str
    weight: int
    italic: bool


@dataclass
class Identity:
    """What the brief's theme gives its pages (pipeline/theme.py): the project's look when it has none."""

    theme: str = ""  # the theme's name; "" for the default
    publisher: str = ""  # short name for running heads ("" = the organisation)
    accent: str = "#1f4e79"
    secondary: str = "#9db3c8"
    tint: str = "#eef3f8"
    logo: str | None = None  # the logo's name in the document's media ("_theme/logo.svg")
    address: str | None = None
    url: str | None = None
    fonts: list[ThemeFace] = field(default_factory=list)


@dataclass
class Meta:
    title: Text
    date: str  # ISO, for metadata
    date_text: str  # as printed, in the brief's language ("28 November 2026")
    language: str
    direction: str  # "ltr" or "rtl"
    identifier: str
    page_size: str
    short_max_pages: int
    notes_model: str
    subtitle: Text | None = None
    question: Text | None = None
    organization: Text | None = None
    rights: Text | None = None
    distribution: Text | None = None
    short_title: Text | None = None
    version: str | None = None
    authors: list[Author] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    csl: str | None = None
    scripts: list[str] = field(default_factory=list)  # font groups beyond the house faces (pipeline/fonts.py)
    doi: str | None = None
    isbn: str | None = None
    url: str | None = None  # canonical address of the long version
    series: Series | None = None
    licence: Licence | None = None
    identity: Identity = field(default_factory=Identity)


@dataclass
class CitationItem:
    """One source within a citation, with its note number and the marker's anchor."""

    key: str
    number: int
    prefix: Inlines
    suffix: Inlines
    anchor: str


@dataclass
class Citation:
    """A citation as written (``[@a; @b, p. 4]``), where it is, and its numbers.

    With ``notes: citations`` the whole citation is one note (``number``);
    with ``notes: sources`` each item carries its source's number.
    """

    index: int
    items: list[CitationItem]
    file: str
    line: int | None
    footnote: str | None = None  # the letter of the footnote it stands in
    number: int | None = None  # notes: citations
    anchor: str | None = None  # notes: citations


@dataclass
class Note:
    """An endnote: a source (notes: sources) or a citation (notes: citations)."""

    number: int
    keys: list[str]
    blocks: Blocks
    backlinks: list[str]  # anchors of the markers that point here


@dataclass
class Footnote:
    """An author's footnote: its letter, its content (with placeholders) and its marker's anchor."""

    letter: str
    blocks: Blocks
    anchor: str
    part: str  # id of the part it stands in
    file: str
    line: int | None


@dataclass
class Target:
    """A cross-reference target: what it is, its number and where it points."""

    id: str
    kind: str  # figure, table, section
    number: str
    anchor: str


@dataclass
class Part:
    kind: str  # summary, section, appendix, back (back matter: about the authors, how to cite ...)
    id: str
    file: str
    blocks: Blocks
    number: int | None = None
    letter: str | None = None  # appendices: A, B ...
    title: Text | None = None
    key_point: Text | None = None
    key_point_derived: bool = False
    short: bool = True


@dataclass
class Document:
    slug: str
    meta: Meta
    labels: dict[str, str]
    summary: Part
    sections: list[Part]
    citations: list[Citation]
    notes: list[Note]
    footnotes: list[Footnote]
    targets: dict[str, Target]
    images: list[str]
    warnings: list[str]
    appendices: list[Part] = field(default_factory=list)
    back: list[Part] = field(default_factory=list)  # after the appendices: about the authors ... licence
    format: int = FORMAT_VERSION

    @property
    def parts(self) -> list[Part]:
        """The parts of the long version in reading order (the Notes stand between sections and appendices)."""
        return [self.summary, *self.sections, *self.appendices, *self.back]

    def to_json(self) -> str:
        # dataclasses.asdict would deep-copy every document tree first: 60 MB more at the peak for a
        # 100-page brief. The encoder turns each dataclass into a shallow dict as it meets it instead.
        return json.dumps(self, ensure_ascii=False, indent=1, sort_keys=True, default=_fields_of) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Document:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            found = data.get("format") if isinstance(data, dict) else None
            raise ModelError(f"intermediate format {found!r}, this pipeline reads {FORMAT_VERSION}: rebuild the brief")
        return _build(cls, data)


def _fields_of(value) -> dict:
    """A dataclass instance's fields as a dict, unconverted (the JSON encoder's ``default``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not part of the document model")


def write_document(document: Document, path: Path) -> None:
    from .fsutil import write_text_atomic

    write_text_atomic(path, document.to_json())


def read_document(path: Path) -> Document:
    return Document.from_json(Path(path).read_text(encoding="utf-8"))


def _build(kind, value):
    """``value`` (from JSON) as an instance of the type ``kind``."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        unknown = set(value) - names
        if unknown:
            raise ModelError(f"{kind.__name__} has no field {', '.join(sorted(unknown))}")
        return kind(**{name: _build(hints[name], item) for name, item in value.items()})
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(options[0], value)
    if origin is list:
        (item_kind,) = typing.get_args(kind) or (typing.Any,)
        return [_build(item_kind, item) for item in value]
    if origin is dict:
        _, item_kind = typing.get_args(kind)
        return {key: _build(item_kind, item) for key, item in value.items()}
    return value
