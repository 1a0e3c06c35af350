"""Load a brief folder, validate it, and collect every problem in one pass.

``load_brief`` reads brief.yaml, summary.md, sections/*.md and the references
file, checks them against the schemas and the rules of the contract, and
returns a :class:`Brief` or raises :class:`ContentError` listing all errors.
Warnings travel on the Brief.

The Markdown is read once, by pandoc (:mod:`pipeline.markdown`): citations,
footnotes, images, links, raw HTML, headings, divs, attributes and
cross-references are nodes of its document tree. Metadata texts (title,
subtitle, question, section titles, key points ...) are read the same way as
inline Markdown and may hold emphasis and quotes, nothing that reads a file.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import i18n, tree
from .csl import StyleError, StyleInfo, inspect_style
from .errors import Collector, ContentError, Problem
from .folders import SLUG_RE, brief_source_files
from .images import ImageError, inspect_image
from .markdown import INLINE_TEXT_FORMAT, Locator, Reading, bracket_guard, locate, read_body
from .references import REFERENCE_FILES, ReferenceIndex, index_references
from .schema import check_against_schema
from .theme import DEFAULT_THEME, THEME_MEDIA, THEMES_FOLDER, Theme, load_theme
from .yamlsource import LocatedYaml, load_mapping_or_report

MAX_MARKDOWN_BYTES = 256 * 1024
MAX_YAML_BYTES = 256 * 1024
READ_TIMEOUT = 30.0  # seconds pandoc may take to read one file

CROSSREF_PREFIXES = ("fig-", "tbl-", "sec-")
# Identifiers and classes the pipeline gives its own elements: an author's
# attributes must not be mistaken for them.
RESERVED_IDS = {"summary", "key-points", "notes", "toc", "contents", "title-block-header", "footnotes", "main",
                "content", "about-authors", "acknowledgements", "about-organization", "how-to-cite", "licence"}
RESERVED_ID_PREFIXES = ("note-", "cite-", "fn-", "fnref-", "section-", "appendix-", "h-", "ref-", "brief-")
ALLOWED_ATTRIBUTES = {
    "Image": {"width", "height", "source"},
    "Table": {"source"},
    "Div": {"title", "lang", "dir"},
    "Span": {"lang", "dir"},
}
GENERIC_ATTRIBUTES = {"lang", "dir"}
KNOWN_DIV_CLASSES = {"key-findings", "recommendations", "box"}
KNOWN_SPAN_CLASSES = {"smallcaps", "underline", "mark"}
LINK_SCHEMES = ("http://", "https://", "mailto:")
# Inline nodes that a metadata text (title, key point ...) may hold.
META_INLINES = {"Str", "Space", "SoftBreak", "LineBreak", "Emph", "Strong", "Underline", "Strikeout",
                "Superscript", "Subscript", "SmallCaps", "Quoted", "Code", "Span", "Link", "Cite"}
# Metadata fields read as inline Markdown, with what they are called in messages.
META_TEXT_FIELDS = ("title", "subtitle", "question", "organization", "rights", "distribution", "short_title")


@dataclass
class Part:
    """summary.md, one section or appendix file, or a Markdown text of the metadata (a bio, the
    acknowledgements, the theme's About text, the disclaimer)."""

    kind: str  # "summary", "section", "appendix", or "text" (a metadata text read as blocks)
    path: Path
    body: str
    body_line: int
    title: str = ""
    title_line: int = 1
    key_point: str = ""
    key_point_line: int = 1
    key_point_derived: bool = False
    short: bool = True
    anchor: str | None = None  # front matter 'id' (a sec- cross-reference target)
    reading: Reading | None = None
    title_inlines: list = field(default_factory=list)
    key_point_inlines: list = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    key: str = ""  # kind "text": which text ("bio.0", "acknowledgements", "about", "disclaimer")


@dataclass
class Brief:
    """A validated brief, ready to be turned into a document."""

    slug: str
    folder: Path
    meta: dict
    meta_lines: LocatedYaml
    texts: dict[str, list]  # metadata field path ("title", "authors.0.name") -> inlines
    summary: Part
    sections: list[Part]
    references: ReferenceIndex
    style: StyleInfo
    warnings: list = field(default_factory=list)
    details: list = field(default_factory=list)  # warnings summed up in `warnings`, one by one
    theme: Theme = field(default_factory=lambda: DEFAULT_THEME)
    appendices: list[Part] = field(default_factory=list)
    texts_as_blocks: list[Part] = field(default_factory=list)  # bios, acknowledgements, about, disclaimer

    @property
    def parts(self) -> list[Part]:
        """Every Markdown text in reading order: summary, sections, appendices, then the back matter's texts."""
        return [self.summary, *self.sections, *self.appendices, *self.texts_as_blocks]

    @property
    def language(self) -> str:
        return self.meta.get("language", "en")

    @property
    def notes_model(self) -> str:
        return self.meta.get("notes", "sources")


_FRONT_MATTER_END = ("---", "...")


def split_front_matter(text: str) -> tuple[str | None, str, int, bool]:
    """(front matter text or None, body, 1-based line where the body starts, front matter closed)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1, True
    for index in range(1, len(lines)):
        if lines[index].rstrip() in _FRONT_MATTER_END:
            return "\n".join(lines[1:index]) + "\n", "\n".join(lines[index + 1:]), index + 2, True
    return "\n".join(lines[1:]), "", len(lines) + 1, False


# Characters no output format can hold: XML 1.0 forbids C0 controls other
# than tab and newline, lone surrogates and U+FFFE/U+FFFF.
_FORBIDDEN = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A)} | {"\ufffe", "\uffff", "\x7f"}


def forbidden_character(text: str) -> tuple[int, str] | None:
    """(offset, character) of the first character that no output can hold, else None."""
    for offset, char in enumerate(text):
        if char in _FORBIDDEN or "\ud800" <= char <= "\udfff":
            return offset, char
    return None


def _describe_char(char: str) -> str:
    names = {"\x00": "NUL", "\x0c": "form feed", "\x1b": "ESC", "\x0b": "vertical tab", "\x7f": "DEL"}
    name = names.get(char, "control character" if ord(char) < 0x20 else "non-character")
    return f"U+{ord(char):04X} ({name})"


def _read_text(path: Path, problems: Collector, folder: Path, limit: int) -> str | None:
    """The text of ``path`` (UTF-8, a byte-order mark dropped, newlines as \\n), or None if it cannot be used.

    A file that is a link to a place outside the brief folder is refused and
    not read; so is a file over ``limit`` bytes or one with characters no
    output format can hold.
    """
    if _refuse_outside(path, folder, problems):
        return None
    try:
        size = path.stat().st_size
        if size > limit:
            problems.error(path, f"the file is {size // 1024} KB, more than the limit of {limit // 1024} KB",
                           hint="split the text into several section files")
            return None
        data = path.read_bytes()
    except OSError as exc:
        hint = (f"add {path.name} to the brief folder" if isinstance(exc, FileNotFoundError)
                else "check that it is a readable file, not a folder or a broken link")
        problems.error(path, f"cannot read the file: {exc.strerror}", hint=hint)
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(path, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})", line,
                       "save it with UTF-8 encoding")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = forbidden_character(text)
    if bad:
        offset, char = bad
        problems.error(path, f"the text contains {_describe_char(char)}, which no output format can hold",
                       text.count("\n", 0, offset) + 1, "delete the character (it is invisible in most editors)")
        return None
    return text


def _inside(path: Path, folder: Path) -> bool:
    """True if ``path``, links followed, lies inside ``folder``."""
    return path.resolve().is_relative_to(folder.resolve())


def _refuse_outside(path: Path, folder: Path, problems: Collector) -> bool:
    """Report (and return True) if ``path`` is, through a link, outside ``folder``."""
    if _inside(path, folder):
        return False
    where = "a link to a place" if path.is_symlink() else "in a linked folder that lies"
    problems.error(path, f"the file is {where} outside the brief folder",
                   hint="copy the file into the brief folder instead of linking to it")
    return True


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # one letter + ':' is a drive (C:)


def outside_reason(target: str, folder: Path) -> str:
    """Why a path may not be used, or '' if it stays inside the brief folder.

    The target is checked as written and percent-decoded (pandoc and
    WeasyPrint decode %2e%2e to ..); links are followed, so a symbolic link
    in assets/ that points outside the folder is refused.
    """
    from urllib.parse import unquote

    for form in dict.fromkeys((target, unquote(target))):
        if "\0" in form:
            return "is not a valid path"
        if _SCHEME.match(form) or form.startswith(("//", "\\\\")):
            return "is a URL or remote resource; only files inside the brief folder may be used"
        if form.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", form):
            return "is an absolute path; only files inside the brief folder may be used"
        path = folder / form
        if not path.resolve().is_relative_to(folder.resolve()):
            if _inside(path.parent, folder) and path.is_symlink():
                return "is a link to a file outside the brief folder"
            return "points outside the brief folder"
    return ""


# --- brief.yaml and section files ----------------------------------------------------------------

def _check_yaml_text(value, path: Path, located: LocatedYaml, where: tuple, problems: Collector) -> bool:
    """Report characters no output can hold in any string of a YAML value."""
    ok = True
    if isinstance(value, str):
        bad = forbidden_character(value)
        if bad:
            key = ".".join(str(p) for p in where)
            problems.error(path, f"'{key}' contains {_describe_char(bad[1])}, which no output format can hold",
                           located.line_of(where, 1), "delete the character (it is invisible in most editors)")
            ok = False
    elif isinstance(value, dict):
        for key, item in value.items():
            ok &= _check_yaml_text(item, path, located, where + (key,), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            ok &= _check_yaml_text(item, path, located, where + (index,), problems)
    return ok


def _load_meta(folder: Path, problems: Collector) -> tuple[dict | None, LocatedYaml | None]:
    path = folder / "brief.yaml"
    text = _read_text(path, problems, folder, MAX_YAML_BYTES)
    if text is None:
        return None, None
    located = load_mapping_or_report(text, path, problems)
    if located is None:
        return None, None
    if not check_against_schema("brief", located, path, problems, "brief.yaml"):
        return None, located
    if not _check_yaml_text(located.data, path, located, (), problems):
        return None, located
    return dict(located.data), located


def _load_section(path: Path, folder: Path, problems: Collector, kind: str = "section") -> Part | None:
    """A section or appendix file: front matter (pipeline/schemas/section.schema.json) and body."""
    text = _read_text(path, problems, folder, MAX_MARKDOWN_BYTES)
    if text is None:
        return None
    front, body, body_line, closed = split_front_matter(text)
    if front is None:
        problems.error(path, "the section has no front matter", 1,
                       "start the file with a '---' block holding at least 'title: ...', closed by '---'")
        return _unchecked_part(path, text, 1, problems)  # the body is still checked, so every problem shows at once
    if not closed:
        problems.error(path, "the front matter opened on line 1 is never closed", 1,
                       "add a line '---' after the front matter, before the section's text")
        return None
    located = load_mapping_or_report(front, path, problems, line_offset=1,
                                     hint="fix the YAML syntax of the front matter between the --- lines")
    if located is None:
        return _unchecked_part(path, body, body_line, problems)
    if not check_against_schema("section", located, path, problems, "the section's front matter"):
        return _unchecked_part(path, body, body_line, problems)
    if not _check_yaml_text(located.data, path, located, (), problems):
        return _unchecked_part(path, body, body_line, problems)
    meta = located.data
    part = Part(kind, path, body, body_line, title=" ".join(meta["title"].split()),
                title_line=located.line_of(["title"], 1), short=meta.get("short", True), anchor=meta.get("id"))
    if not body.strip():
        problems.error(path, "the section's body is empty", body_line,
                       "write the section's text below the front matter, or delete the file")
        return part
    if "key_point" in meta:
        part.key_point = " ".join(meta["key_point"].split())
        part.key_point_line = located.line_of(["key_point"], 1)
    return part


def _unchecked_part(path: Path, body: str, body_line: int, problems: Collector) -> Part:
    """A section whose front matter is wrong: its body is still checked."""
    if not body.strip():
        problems.error(path, "the section's body is empty", body_line,
                       "write the section's text below the front matter, or delete the file")
    return Part("section", path, body, body_line)


def _load_summary(folder: Path, problems: Collector) -> Part | None:
    path = folder / "summary.md"
    if not path.is_file() and not path.is_symlink():
        problems.error(path, "summary.md is missing", hint="add the executive summary as summary.md in the brief folder")
        return None
    text = _read_text(path, problems, folder, MAX_MARKDOWN_BYTES)
    if text is None:
        return None
    front, body, body_line, _ = split_front_matter(text)
    if front is not None:
        problems.error(path, "summary.md takes no front matter", 1, "remove the --- block; the title comes from brief.yaml")
    if not body.strip():
        problems.error(path, "the executive summary is empty", body_line, "write the summary in summary.md")
    return Part("summary", path, body, body_line)


# --- reading the Markdown with pandoc --------------------------------------------------------------

@dataclass
class _MetaText:
    """A metadata value read as inline Markdown: where it is written, and its inlines once read."""

    key: str  # "title", "authors.0.name", "sections/01-a.md:title"
    path: Path
    line: int
    value: str
    inlines: list = field(default_factory=list)


def _read_markdown(parts: list[Part], texts: list[_MetaText], session, problems: Collector) -> None:
    """Read every part and metadata text with pandoc; set ``part.reading`` and ``text.inlines``."""
    from .pandoc import PandocError

    for part in parts:
        if not part.body.strip():
            continue
        guard = bracket_guard(part.body, part.body_line)
        if guard:
            problems.error(part.path, guard.message, guard.line, guard.hint)
            continue
        try:
            document = read_body(session, part.body, timeout=READ_TIMEOUT)
        except PandocError as exc:
            problems.error(part.path, f"pandoc could not read the file: {exc}",
                           hint="look for long runs of brackets, backticks or '<' and simplify them")
            continue
        part.reading = locate(part.path, part.body, part.body_line, document)
    usable = []
    for text in texts:
        value = " ".join(text.value.split())
        guard = bracket_guard(value)
        if guard:
            problems.error(text.path, f"'{text.key}': {guard.message}", text.line, guard.hint)
        else:
            usable.append((text, value))
    if not usable:
        return
    # "x " first: block syntax (a list, a heading) cannot start a one-line text.
    try:
        documents = session.read_markdown([f"x {value}" for _, value in usable],
                                          INLINE_TEXT_FORMAT[len("markdown"):], timeout=READ_TIMEOUT)
    except PandocError as exc:
        problems.error(usable[0][0].path, f"pandoc could not read the metadata texts: {exc}")
        return
    for (text, _), document in zip(usable, documents):
        blocks = document.get("blocks", [])
        inlines = blocks[0]["c"] if len(blocks) == 1 and blocks[0]["t"] in ("Para", "Plain") else []
        text.inlines = inlines[2:] if inlines[:1] == [tree.Str("x")] else tree.text(text.value)


def _check_meta_text(text: _MetaText, problems: Collector) -> None:
    """Metadata texts may hold emphasis, quotes and web links; nothing that reads a file or makes a note."""
    what = {"Image": "an image", "Note": "a footnote", "RawInline": "raw HTML or TeX", "Math": "math"}

    def visit(node):
        t = node["t"]
        if t not in META_INLINES:
            problems.error(text.path, f"'{text.key}' may not hold {what.get(t, t)}", text.line,
                           "write plain text; emphasis (*...*) and quotes are allowed")
        elif t == "Link" and not node["c"][2][0].startswith(LINK_SCHEMES):
            problems.error(text.path, f"'{text.key}' links to '{node['c'][2][0]}', which is not a web address",
                           text.line, "link only to http://, https:// or mailto: addresses")
        elif t == "Cite":
            citations = node["c"][0]
            if any(c["citationMode"]["t"] != "AuthorInText" for c in citations):
                problems.error(text.path, f"'{text.key}' may not hold a citation", text.line,
                               "cite sources in the text of the brief, not in its metadata")
        attributes = tree.node_attr(node)
        if attributes is not None and t == "Span":
            _check_attributes(node, attributes, text.path, text.line, problems, None)

    tree.walk(text.inlines, visit)
    text.inlines = tree.map_inlines(text.inlines, _cite_as_text)


def _cite_as_text(node):
    """A bare @word in a metadata text (e.g. a social media handle) is text."""
    if node["t"] == "Cite":
        return node["c"][1]
    return None


# --- checking what pandoc found ---------------------------------------------------------------------

@dataclass
class _Ids:
    """Identifiers written by the author across the brief: unique, not reserved."""

    seen: dict[str, tuple[Path, int | None]] = field(default_factory=dict)

    def add(self, identifier: str, path: Path, line: int | None, problems: Collector) -> None:
        if identifier in RESERVED_IDS or identifier.startswith(RESERVED_ID_PREFIXES):
            problems.error(path, f"the identifier '#{identifier}' is reserved for the pipeline's own elements", line,
                           "choose another identifier, e.g. with a fig-, tbl- or sec- prefix")
        elif identifier in self.seen:
            first_path, first_line = self.seen[identifier]
            where = f"{first_path.name}:{first_line}" if first_line else first_path.name
            problems.error(path, f"the identifier '#{identifier}' is used twice (first in {where})", line,
                           "give each element its own identifier")
        else:
            self.seen[identifier] = (path, line)


def _check_attributes(node: dict, attributes, path: Path, line: int | None, problems: Collector,
                      ids: _Ids | None) -> None:
    identifier, classes, pairs = attributes
    t = node["t"]
    allowed = ALLOWED_ATTRIBUTES.get(t, GENERIC_ATTRIBUTES if t not in ("Code", "CodeBlock", "Figure",
                                                                       "Table", "Header", "Link") else set())
    for key, value in pairs:
        if key not in allowed:
            hint = ("remove it; the house style sets the look of every format" if key in ("style", "custom-style")
                    else f"remove it; allowed here: {', '.join(sorted(allowed))}" if allowed else "remove it")
            problems.error(path, f"the attribute '{key}' is not allowed", line, hint)
        elif key == "dir" and value not in ("ltr", "rtl", "auto"):
            problems.error(path, f"dir=\"{value}\" is not a text direction", line, "write dir=\"rtl\" or dir=\"ltr\"")
        elif key == "lang" and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
            problems.error(path, f"lang=\"{value}\" is not a BCP 47 language tag", line, "write e.g. lang=\"fr\"")
    for name in classes:
        if name.startswith("brief-"):
            problems.error(path, f"the class '.{name}' is reserved for the pipeline's own elements", line,
                           "remove it")
    if identifier and ids is not None:
        ids.add(identifier, path, line, problems)


def _raw_shown(raw: str) -> str:
    """The raw content as a message shows it: its first tag (or comment opener)."""
    raw = " ".join(raw.split())
    if raw.startswith("<!--"):
        return "<!--"
    if raw.startswith("<") and ">" in raw:
        return raw[:raw.index(">") + 1][:60]
    return raw[:60]


def _check_reading(part: Part, reading: Reading, folder: Path, ids: _Ids, problems: Collector) -> None:
    path = part.path
    raw_lines: set = set()
    if reading.meta:
        problems.error(path, "a YAML metadata block (between --- lines) inside the text", reading.meta_line,
                       "move settings to the front matter at the top of the file; to draw a line, write '***'")
    for found in reading.nodes:
        node, line = found.node, found.line
        attributes = tree.node_attr(node)
        if attributes is not None:
            _check_attributes(node, attributes, path, line, problems, ids)
        kind = found.kind
        if kind == "raw":
            raw = node["c"][1].strip()
            fmt = node["c"][0]
            if line in raw_lines:
                continue  # one message per line: <b>x</b> is one mistake, not two
            raw_lines.add(line)
            shown = _raw_shown(raw)
            if raw.startswith("<!--"):
                hint = "delete the comment: HTML comments are raw HTML and would show as text in the outputs"
            elif raw.lower().startswith("<img"):
                hint = "write the image in Markdown with its alt text: ![What the image shows](assets/chart.png)"
            elif fmt in ("tex", "latex"):
                hint = "write it as text; to show a backslash write \\\\"
            else:
                hint = "write it in Markdown; raw HTML could carry scripts or remote resources into the outputs"
            what = "raw TeX" if fmt in ("tex", "latex") else "raw HTML" if fmt.startswith("html") else f"raw {fmt}"
            problems.error(path, f"{what} is not allowed: {shown}", line, hint)
        elif kind == "image":
            alt = tree.stringify(node["c"][1])
            _check_image(part, folder, problems, alt, node["c"][2][0], line)
        elif kind == "link":
            target = node["c"][2][0]
            if target.startswith("#"):
                continue  # checked once every identifier is known
            if not target.startswith(LINK_SCHEMES):
                problems.error(path, f"the link target '{target}' is not a web address", line,
                               "link to http://, https:// or mailto: addresses; files cannot travel with the outputs")
        elif kind == "footnote" and found.nested_footnote:
            problems.error(path, "a footnote inside a footnote", line, "move the inner note's text into the outer one")
        elif kind == "footnote" and found.in_link:
            problems.error(path, "a footnote inside a link's text", line, "put the footnote after the link")
        elif kind == "math":
            # pandoc would write it as raw TeX in the PDF's page and as MathML only in the EPUB: refused
            # rather than published differently (or unreadably) in each format
            display = node["c"][0]["t"] == "DisplayMath"
            what = "display math ($$...$$)" if display else "inline math ($...$)"
            problems.error(path, f"{what} is not supported: the outputs cannot show a formula the same way in the "
                                 f"PDF, DOCX and EPUB", line,
                           "write the formula in words or with Unicode characters (x² + y² = r²), or as an SVG "
                           "image with alt text; to write a dollar sign, escape it: \\$")
        elif kind == "div":
            for name in node["c"][0][1]:
                if name not in KNOWN_DIV_CLASSES and not name.startswith("brief-"):
                    problems.warn(path, f"unknown block class '.{name}' is ignored", line,
                                  f"use one of {', '.join('.' + c for c in sorted(KNOWN_DIV_CLASSES))}, or remove it")
        elif kind == "span":
            for name in node["c"][0][1]:
                if name not in KNOWN_SPAN_CLASSES and not name.startswith("brief-"):
                    problems.warn(path, f"unknown class '.{name}' is ignored", line,
                                  f"use one of {', '.join('.' + c for c in sorted(KNOWN_SPAN_CLASSES))}, or remove it")
    _check_literal_references(part, reading, problems)


def _check_literal_references(part: Part, reading: Reading, problems: Collector) -> None:
    """pandoc leaves an image or footnote reference whose definition it did not find as text: say so."""
    def visit(node):
        if node.get("t") != "Str":
            return
        text = node["c"]
        if text.startswith("![") or text.startswith("[^"):
            what = "an image" if text.startswith("![") else "a footnote"
            line = Locator(part.body, part.body_line).find(text)
            problems.warn(part.path, f"'{text}' is printed as text: it looks like {what} whose reference is not "
                                     "defined in this file", line,
                          "define it in the same file ([label]: path or [^label]: text), or write it inline")

    tree.walk(reading.blocks, visit)


def _check_image(part: Part, folder: Path, problems: Collector, alt: str, target: str, line: int | None) -> None:
    from urllib.parse import unquote

    shown = unquote(target)
    if not alt.strip():
        problems.error(part.path, f"image '{shown}' has no alt text", line,
                       f"describe the image between the brackets: ![What the chart shows]({shown})")
    reason = outside_reason(target, folder)
    if reason:
        problems.error(part.path, f"image '{shown}' {reason}", line,
                       "put the image in the brief's assets/ folder and use a relative path such as assets/chart.png")
        return
    if PurePosixPath(posixpath.normpath(unquote(target))).parts[:1] == (THEME_MEDIA,):
        # the documents carry the theme's files (its logo) under this media path
        problems.error(part.path, f"image '{shown}' is in the folder {THEME_MEDIA}/, which the pipeline keeps "
                       "for the theme's files", line, "move the image to the brief's assets/ folder")
        return
    path = folder / unquote(target)
    if not path.is_file():
        problems.error(part.path, f"image '{shown}' not found", line,
                       f"add the file {unquote(target)} to the brief folder, or fix the path")
        return
    try:
        inspect_image(path)
    except ImageError as exc:
        problems.error(part.path, f"image '{shown}' {exc.message}", line, exc.hint)
        return
    if unquote(target) not in part.images:
        part.images.append(unquote(target))


def _first_sentence(blocks: list) -> str:
    """The first sentence of the first paragraph, citations and notes left out."""
    for block in blocks:
        if block["t"] in ("Para", "Plain"):
            inlines = tree.map_inlines(block["c"], lambda n: [] if n["t"] in ("Cite", "Note") else None)
            flat = tree.stringify(inlines)
            if flat:
                return _cut_sentence(flat)
    return ""


def _cut_sentence(text: str) -> str:
    """Up to the first '.', '!' or '?' followed by a space and a capital or opening mark (one pass)."""
    for index, char in enumerate(text[:-2]):
        if char in ".!?" and text[index + 1] == " " and (text[index + 2].isupper() or text[index + 2] in "\"“‘(¿¡«"):
            return _tidy(text[:index + 1])
    return _tidy(text)


def _tidy(sentence: str) -> str:
    """No space before a closing punctuation mark (left where a citation was)."""
    out: list[str] = []
    for char in sentence:
        if char in ".,;:!?" and out and out[-1] == " ":
            out.pop()
        out.append(char)
    return "".join(out).strip()


# --- citations ---------------------------------------------------------------------------------------

def is_crossref(key: str) -> bool:
    return key.startswith(CROSSREF_PREFIXES)


def _check_citations(parts: list[Part], refs: ReferenceIndex, targets: set[str], problems: Collector) -> list[str]:
    """Report unknown ids and misplaced cross-references; return the cited keys in reading order."""
    cited: list[str] = []
    for part in parts:
        if part.reading is None:
            continue
        for cite in part.reading.cites:
            crossrefs = [item for item in cite.items if is_crossref(item.key)]
            if crossrefs and len(crossrefs) != len(cite.items):
                problems.error(part.path, f"a cross-reference mixed with citations: {cite.text}", cite.line,
                               "write the cross-reference (@fig-..., @tbl-..., @sec-...) outside the citation brackets")
                continue
            for item in crossrefs:
                if item.key not in targets:
                    kinds = {"fig-": "figure", "tbl-": "table", "sec-": "section"}
                    kind = kinds[item.key[:4]]
                    close = difflib.get_close_matches(item.key, sorted(targets), n=1, cutoff=0.6)
                    hint = (f"did you mean '@{close[0]}'?" if close
                            else f"give the {kind} the identifier {{#{item.key}}}, or fix the reference")
                    problems.error(part.path, f"unknown cross-reference '@{item.key}'", cite.line, hint)
            bare = all(item.mode == "AuthorInText" for item in cite.items)
            if cite.in_link and (crossrefs or not bare):
                problems.error(part.path, f"a citation inside a link's text: {cite.text}", cite.line,
                               "put the citation after the link: [the report](https://...) [@id]")
                continue
            if crossrefs:
                continue
            if bare:
                key = cite.items[0].key
                if key in refs.lines:
                    problems.warn(part.path, f"'@{key}' without brackets is printed as text", cite.line,
                                  f"write [@{key}] to cite the source")
                continue
            for item in cite.items:
                if item.key not in cited:
                    cited.append(item.key)
                if item.key in refs.lines or not refs.readable:
                    continue  # an unreadable references file is reported once, not per citation
                if refs.path is None:
                    problems.error(part.path, f"citation '@{item.key}' but the brief has no references file", cite.line,
                                   "add references.yaml (CSL YAML), references.json (CSL JSON) or references.bib "
                                   "(BibTeX) listing the sources")
                    continue
                candidates = list(refs.lines)
                close = sorted(difflib.get_close_matches(item.key, candidates, n=3, cutoff=0.6),
                               key=lambda c: (-difflib.SequenceMatcher(None, item.key, c).ratio(), c))
                hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else f"add an entry with id '{item.key}' to {refs.path.name}")
                problems.error(part.path, f"unknown citation id '{item.key}'", cite.line, hint)
    return cited


def _report_reference_problems(refs: ReferenceIndex, cited: list[str], problems: Collector,
                               details: list[Problem]) -> None:
    """Errors for the entries the brief cites; one summary warning per kind for the others."""
    cited_set = set(cited)
    uncited: dict[str, list] = {}
    for problem in refs.problems:
        if problem.key is not None and problem.key in cited_set:
            problems.error(refs.path, problem.message, problem.line, problem.hint)
        else:
            kind = problem.message.split(":")[0].split(" '")[0]
            uncited.setdefault(kind, []).append(problem)
    for kind, found in uncited.items():
        for problem in found:
            details.append(Problem(refs.path, problem.message, problem.line, problem.hint, "warning"))
        if len(found) == 1:
            problems.warn(refs.path, found[0].message + " (the entry is not cited)", found[0].line, found[0].hint)
        else:
            problems.warn(refs.path, f"{len(found):,} entries that are not cited have problems: {kind}, "
                                     f"first on line {found[0].line}",
                          hint="run 'brief check --verbose' to list them")
    used = set(cited_set)
    queue = [key for key in cited_set if key in refs.crossref]
    while queue:  # a crossref parent is used by the entry that inherits from it
        parent = refs.crossref[queue.pop()]
        if parent not in used:
            used.add(parent)
            if parent in refs.crossref:
                queue.append(parent)
    never = [key for key in refs.lines if key not in used]
    for key in never:
        details.append(Problem(refs.path, f"reference '{key}' is never cited", refs.lines[key],
                               f"cite it as [@{key}] or remove it", "warning"))
    if len(never) == 1:
        problems.warn(refs.path, f"reference '{never[0]}' is never cited", refs.lines[never[0]],
                      f"cite it as [@{never[0]}] or remove it")
    elif never:
        problems.warn(refs.path, f"{len(never):,} references are never cited",
                      hint="run 'brief check --verbose' to list them")


# --- cross-reference targets ----------------------------------------------------------------------------

def _targets(parts: list[Part]) -> set[str]:
    found = set()
    for part in parts:
        if part.anchor:
            found.add(part.anchor)
        if part.reading is None:
            continue
        for node in part.reading.nodes:
            attributes = tree.node_attr(node.node)
            if attributes and attributes[0].startswith(CROSSREF_PREFIXES):
                identifier = attributes[0]
                ok = {"fig-": node.kind in ("figure", "image"), "tbl-": node.kind == "table",
                      "sec-": node.kind == "header"}[identifier[:4]]
                if ok:
                    found.add(identifier)
    return found


def _check_target_kinds(parts: list[Part], problems: Collector) -> None:
    """fig- only on figures, tbl- only on tables, sec- only on headings."""
    for part in parts:
        if part.reading is None:
            continue
        for node in part.reading.nodes:
            attributes = tree.node_attr(node.node)
            if not attributes or not attributes[0].startswith(CROSSREF_PREFIXES):
                continue
            identifier = attributes[0]
            expected = {"fig-": ("figure", "image"), "tbl-": ("table",), "sec-": ("header",)}[identifier[:4]]
            if node.kind == "image" and identifier.startswith("fig-"):
                problems.error(part.path, f"the figure '#{identifier}' is an image inside a paragraph", node.line,
                               "put the image alone in its own paragraph so that it becomes a numbered figure")
            elif node.kind not in expected:
                what = {"fig-": "figures", "tbl-": "tables (on the caption line)", "sec-": "headings"}[identifier[:4]]
                problems.error(part.path, f"the identifier '#{identifier}' belongs on {what}", node.line,
                               "use a fig-, tbl- or sec- prefix that matches the element")


def _check_internal_links(parts: list[Part], ids: _Ids, problems: Collector) -> None:
    for part in parts:
        if part.reading is None:
            continue
        for node in part.reading.of_kind("link"):
            target = node.node["c"][2][0]
            if target.startswith("#") and target[1:] not in ids.seen:
                problems.error(part.path, f"the link target '{target}' is not an identifier in the brief", node.line,
                               "link to an element you gave an identifier, e.g. {#sec-costs} on a heading")


# --- the whole brief ----------------------------------------------------------------------------------

def load_brief(folder: Path, *, session=None, cache=None) -> Brief:
    """Read and validate the brief in ``folder``; raise ContentError with every error.

    ``session`` is a :class:`pipeline.pandoc.PandocSession` (one is started
    when not given); ``cache`` a :class:`pipeline.cache.Cache` for the
    references index.
    """
    from .cache import Cache
    from .pandoc import PandocSession

    if session is None:
        with PandocSession() as own:
            return load_brief(folder, session=own, cache=cache)
    folder = Path(folder)
    cache = cache if cache is not None else Cache()
    problems = Collector()
    details: list[Problem] = []
    slug = folder.name
    if not SLUG_RE.match(slug):
        problems.error(folder, f"'{slug}' is not a valid brief folder name",
                       hint="use lower-case letters, digits and hyphens, e.g. my-brief-2026")
    for path in brief_source_files(folder):
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:  # bytes kept as lone surrogates: no output format can hold the name
            shown = os.fsencode(path.relative_to(folder.parent)).decode("utf-8", "backslashreplace")
            problems.error(path.parent, f"the file name '{shown}' is not UTF-8 text",
                           hint="rename the file with UTF-8 characters (e.g. convmv -f latin1 -t utf-8)")
    meta, located_meta = _load_meta(folder, problems)
    if meta is not None and (unsupported := i18n.unsupported_language(meta.get("language", "en"))):
        message, hint = unsupported
        problems.warn(folder / "brief.yaml", message, located_meta.line_of(["language"]), hint)

    theme = DEFAULT_THEME
    origins: dict[str, tuple[Path, int | None]] = {}
    if meta is not None and meta.get("theme"):
        theme = load_theme(folder.parent, meta["theme"], problems, folder / "brief.yaml",
                           located_meta.line_of(["theme"])) or DEFAULT_THEME
        if theme.folder:
            origins = _theme_defaults(meta, theme)
    if meta is not None and meta.get("license") is not None:
        from .licence import LicenceError, resolve

        try:
            resolve(meta["license"])
        except LicenceError as exc:
            where = origins.get("license") or (folder / "brief.yaml", located_meta.line_of(["license"]))
            problems.error(where[0], exc.message, where[1], exc.hint)

    summary = _load_summary(folder, problems)
    sections: list[Part] = []
    sections_dir = folder / "sections"
    section_files = (sorted(p for p in sections_dir.glob("*.md") if not p.name.startswith("."))
                     if sections_dir.is_dir() else [])
    if not section_files:
        problems.error(sections_dir, "the brief has no sections",
                       hint="add one or more Markdown files such as sections/01-background.md")
    for path in section_files:
        part = _load_section(path, folder, problems)
        if part is not None:
            sections.append(part)

    appendices = []
    appendices_dir = folder / "appendices"
    if appendices_dir.is_dir():
        for path in sorted(p for p in appendices_dir.glob("*.md") if not p.name.startswith(".")):
            part = _load_section(path, folder, problems, kind="appendix")
            if part is not None:
                appendices.append(part)
    block_texts = _block_texts(folder, meta, located_meta, theme, origins)

    refs = _load_references(folder, problems, cache)
    style = _load_style(folder, meta, located_meta, problems, theme, origins)

    parts = ([summary] if summary else []) + sections + appendices + block_texts
    texts = _meta_texts(folder, meta, located_meta, sections + appendices, origins)
    _read_markdown(parts, texts, session, problems)
    for text in texts:
        _check_meta_text(text, problems)
    ids = _Ids()
    for part in sections + appendices:
        if part.anchor:
            ids.add(part.anchor, part.path, 1, problems)
    for part in parts:
        if part.reading is not None:
            _check_reading(part, part.reading, folder, ids, problems)
    _check_target_kinds(parts, problems)
    _check_internal_links(parts, ids, problems)
    cited = _check_citations(parts, refs, _targets(parts), problems)
    if refs.readable:
        _report_reference_problems(refs, cited, problems, details)

    for part in sections:
        if part.reading is not None and not part.key_point and part.title:
            part.key_point = _first_sentence(part.reading.blocks)
            part.key_point_derived = True
            if part.short:
                shown = part.key_point if len(part.key_point) <= 80 else part.key_point[:77] + "..."
                problems.warn(part.path, f"no key_point: the short version uses the section's first sentence: "
                                         f"\"{shown}\"", 1,
                              "add 'key_point: ...' with one or two sentences to the front matter, "
                              "or 'short: false' to leave the section out of the short version")

    if problems.errors:
        raise ContentError(_in_reading_order(problems.errors, folder, parts))
    by_key = {text.key: text.inlines for text in texts}
    for part in sections + appendices:
        part.title_inlines = by_key.get(f"{part.path.name}:title", tree.text(part.title))
        part.key_point_inlines = by_key.get(f"{part.path.name}:key_point", tree.text(part.key_point))
    meta.setdefault("language", "en")
    return Brief(slug, folder, meta, located_meta, by_key, summary, sections, refs, style,
                 problems.warnings, details, theme, appendices, block_texts)


# Keys a brief takes from its theme when it does not set them itself.
THEME_DEFAULTS = ("distribution", "rights", "license", "disclaimer", "csl")


def _theme_defaults(meta: dict, theme: Theme) -> dict[str, tuple[Path, int | None]]:
    """Fill ``meta`` with the theme's defaults; return where each value taken from the theme stands."""
    origins = {}
    for key in THEME_DEFAULTS:
        if key not in meta and key in theme.data:
            meta[key] = theme.data[key]
            origins[key] = (theme.path, theme.line_of(key))
    if "organization" not in meta:
        source = "organization" if "organization" in theme.data else "name"
        meta["organization"] = theme.data[source]
        origins["organization"] = (theme.path, theme.line_of(source))
    if theme.data.get("about"):
        origins["about"] = (theme.path, theme.line_of("about"))
    return origins


def _block_texts(folder: Path, meta: dict | None, located: LocatedYaml | None, theme: Theme,
                 origins: dict) -> list[Part]:
    """The metadata texts that are whole paragraphs of Markdown (read like a section's body)."""
    if not meta:
        return []
    path = folder / "brief.yaml"
    found: list[tuple[str, str, Path, int | None]] = []
    for index, author in enumerate(meta.get("authors") or []):
        if isinstance(author.get("bio"), str):
            found.append((f"bio.{index}", author["bio"], path, located.line_of(["authors", index, "bio"], 1)))
    if isinstance(meta.get("acknowledgements"), str):
        found.append(("acknowledgements", meta["acknowledgements"], path, located.line_of(["acknowledgements"], 1)))
    if isinstance(theme.data.get("about"), str):
        found.append(("about", theme.data["about"], *origins["about"]))
    if isinstance(meta.get("disclaimer"), str):
        where = origins.get("disclaimer") or (path, located.line_of(["disclaimer"], 1))
        found.append(("disclaimer", meta["disclaimer"], *where))
    parts = []
    for key, value, source, line in found:
        # a block scalar (| or >) starts on the line after its key
        body_line = (line or 1) + (1 if "\n" in value.strip() else 0)
        parts.append(Part("text", source, value, body_line, key=key))
    return parts


def _load_references(folder: Path, problems: Collector, cache) -> ReferenceIndex:
    present = [folder / name for name in REFERENCE_FILES if (folder / name).exists() or (folder / name).is_symlink()]
    if len(present) > 1:
        problems.error(present[1], f"more than one references file: {', '.join(p.name for p in present)}",
                       hint="keep exactly one of references.yaml, references.json or references.bib")
        return ReferenceIndex(None, readable=False)
    if present and _refuse_outside(present[0], folder, problems):
        return ReferenceIndex(present[0], readable=False)
    if present:
        return index_references(present[0], problems, cache)
    return ReferenceIndex.empty()


def default_csl(templates_dir: Path | None = None) -> Path:
    base = templates_dir or Path(__file__).resolve().parent.parent / "templates"
    return base / "csl" / "brief-notes.csl"


def _load_style(folder: Path, meta: dict | None, located: LocatedYaml | None, problems: Collector,
                theme: Theme = DEFAULT_THEME, origins: dict | None = None) -> StyleInfo | None:
    """The CSL style: the brief's ``csl`` (a file of the brief folder, else of its theme's folder), the
    theme's, or the project's default."""
    model = (meta or {}).get("notes", "sources")
    path = default_csl()
    yaml_path, line = folder / "brief.yaml", None
    if meta and meta.get("csl"):
        yaml_path, line = (origins or {}).get("csl") or (folder / "brief.yaml", located.line_of(["csl"]) if located
                                                         else None)
        from_theme = yaml_path != folder / "brief.yaml"
        places = ([] if from_theme else [folder]) + ([theme.folder] if theme.folder else [])
        candidate, reason = None, ""
        for place in places:
            reason = outside_reason(meta["csl"], place)
            if not reason and (place / meta["csl"]).is_file():
                candidate = place / meta["csl"]
                break
        if reason and candidate is None:
            problems.error(yaml_path, f"csl style '{meta['csl']}' {reason}", line,
                           "put the .csl file in the brief folder (or the theme's) and give its path relative to it")
            return None
        if candidate is None:
            where = "the brief folder" + (f" or the theme folder {THEMES_FOLDER}/{theme.name}" if theme.folder else "")
            problems.error(yaml_path, f"csl style '{meta['csl']}' not found in {where}", line,
                           "fix the path, relative to the folder, or remove 'csl' to use the default style")
            return None
        path = candidate
    try:
        return inspect_style(path, model)
    except StyleError as exc:
        problems.error(yaml_path, exc.message, line, exc.hint)
        return None


def _meta_texts(folder: Path, meta: dict | None, located: LocatedYaml | None, sections: list[Part],
                origins: dict | None = None) -> list[_MetaText]:
    """The metadata values read as inline Markdown (a value taken from the theme is located there)."""
    texts: list[_MetaText] = []
    path = folder / "brief.yaml"
    if meta:
        for key in META_TEXT_FIELDS:
            if isinstance(meta.get(key), str):
                where = (origins or {}).get(key) or (path, located.line_of([key], 1))
                texts.append(_MetaText(key, where[0], where[1], meta[key]))
        for index, author in enumerate(meta.get("authors") or []):
            for key in ("name", "affiliation"):
                if isinstance(author.get(key), str):
                    texts.append(_MetaText(f"authors.{index}.{key}", path,
                                           located.line_of(["authors", index, key], 1), author[key]))
    for part in sections:
        if part.title:
            texts.append(_MetaText(f"{part.path.name}:title", part.path, part.title_line, part.title))
        if part.key_point:
            texts.append(_MetaText(f"{part.path.name}:key_point", part.path, part.key_point_line, part.key_point))
    return texts


def _in_reading_order(found: list[Problem], folder: Path, parts: list[Part]) -> list[Problem]:
    """Problems sorted by file (brief.yaml, summary, sections, references, others) and line."""
    order = [folder / "brief.yaml", folder / "summary.md", *(part.path for part in parts)]
    rank = {path: index for index, path in reversed(list(enumerate(order)))}

    def key(problem: Problem):
        return (rank.get(problem.path, len(order)), str(problem.path) if problem.path not in rank else "",
                problem.line or 0)

    return sorted(found, key=key)
