"""Load a brief folder, validate it, and collect every problem in one pass.

``load_brief`` reads brief.yaml, summary.md, sections/*.md and the references
file, checks them against the schemas and the rules of the contract (citations
defined, images present with alt text and inside the folder, no raw HTML, no
empty section ...), and returns a :class:`Brief` or raises a
:class:`ContentError` listing all errors. Warnings travel on the Brief.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from .citations import CitationGroup, find_citations, mask_code, number_sources
from .errors import Collector, ContentError, Problem
from .references import REFERENCE_FILES, References, load_references
from .schema import check_against_schema
from .yamlsource import LocatedYaml, YamlSyntaxError, load_located

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)\s*$")
# ![alt](target "title"): the target in <...> (may hold spaces) or bare (may
# hold balanced parentheses), as pandoc reads it.
_IMAGE = re.compile(
    r"!\[(?P<alt>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*"
    r"(?:<(?P<angle>[^<>\n]*)>|(?P<target>(?:\\.|[^\s()\\]|\([^\s()]*\))*))"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\](?:\[(?P<label>[^\]]*)\])?(?!\()")
_LINK_DEF = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*(?:<(?P<angle>[^<>\n]*)>|(?P<target>\S+))", re.M)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # pandoc's backslash escapes: ASCII punctuation
_RAW_HTML = re.compile(r"</?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>|<!--")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # one letter + ':' is a drive (C:)


@dataclass
class Part:
    """summary.md or one section file."""

    path: Path
    body: str
    body_line: int
    groups: list[CitationGroup] = field(default_factory=list)
    title: str = ""
    key_point: str = ""
    key_point_derived: bool = False
    short: bool = True
    images: list[str] = field(default_factory=list)


@dataclass
class Brief:
    """A validated brief, ready to be turned into a document."""

    slug: str
    folder: Path
    meta: dict
    summary: Part
    sections: list[Part]
    references: References
    csl: Path | None
    note_keys: list[str]
    warnings: list = field(default_factory=list)

    @property
    def parts(self) -> list[Part]:
        return [self.summary, *self.sections]

    @property
    def language(self) -> str:
        return self.meta.get("language", "en")


def is_brief_folder(path: Path) -> bool:
    """A folder under content/ is a brief if it holds brief.yaml and is not hidden."""
    return path.is_dir() and not path.name.startswith(("_", ".")) and (path / "brief.yaml").is_file()


def discover_briefs(content_dir: Path) -> list[Path]:
    """Brief folders under ``content_dir``, sorted by slug."""
    if not content_dir.is_dir():
        return []
    return sorted(p for p in content_dir.iterdir() if is_brief_folder(p))


def brief_source_files(folder: Path) -> list[Path]:
    """Every file of a brief that its outputs depend on (for rules and watching)."""
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    return files


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, 1-based line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if _FRONT_MATTER_END.match(lines[index]):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    return "".join(lines[1:]), "", len(lines) + 1


def _read_text(path: Path, problems: Collector, folder: Path | None = None) -> str | None:
    """The text of ``path`` (UTF-8, a byte-order mark dropped, newlines as \\n).

    With ``folder``, a file that is a link to a place outside that folder is
    refused and not read: a brief can only reach its own folder.
    """
    if folder is not None and _refuse_outside(path, folder, problems):
        return None
    try:
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
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def _load_meta(folder: Path, problems: Collector) -> tuple[dict | None, LocatedYaml | None]:
    path = folder / "brief.yaml"
    text = _read_text(path, problems, folder)
    if text is None:
        return None, None
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line,
                       exc.hint or "fix the YAML syntax: indentation, a space after ':', quotes around text with colons")
        return None, None
    if located.data is None:
        located = LocatedYaml({}, {(): 1})
    if not check_against_schema("brief", located, path, problems, "brief.yaml"):
        return None, located
    return dict(located.data), located


def _link_definitions(parts: list[Part]) -> dict[str, str]:
    """Reference link definitions ``[label]: target`` of the whole brief.

    The parts are joined into one document to be rendered, so a definition in
    one file serves an image in another.
    """
    definitions: dict[str, str] = {}
    for part in parts:
        for m in _LINK_DEF.finditer(mask_code(part.body)):
            target = m.group("target") if m.group("angle") is None else m.group("angle")
            definitions.setdefault(_label(m.group("label")), _ESCAPE.sub(r"\1", target))
    return definitions


def _label(text: str) -> str:
    return " ".join(text.split()).lower()


def _check_markdown(part: Part, folder: Path, problems: Collector, definitions: dict[str, str]) -> set[str]:
    """Images (present, alt text, inside the folder) and raw HTML; return the image targets seen."""
    text = part.body
    masked = mask_code(text)

    def line_at(offset: int) -> int:
        return part.body_line + text.count("\n", 0, offset)

    html_lines = set()
    for match in _RAW_HTML.finditer(masked):
        line = line_at(match.start())
        if line in html_lines:
            continue  # one message per line: <b>x</b> is one mistake, not two
        html_lines.add(line)
        if match.group(0) == "<!--":
            hint = "delete the comment: HTML comments are raw HTML and would show as text in the outputs"
        elif (match.group("tag") or "").lower() == "img":
            hint = "write the image in Markdown with its alt text: ![What the image shows](assets/chart.png)"
        else:
            hint = "write it in Markdown; raw HTML could carry scripts or remote resources into the outputs"
        problems.error(part.path, f"raw HTML is not allowed: {' '.join(match.group(0).split())[:60]}", line, hint)
    images = [(m.group("alt"), _ESCAPE.sub(r"\1", m.group("target") if m.group("angle") is None else m.group("angle")),
               m.start()) for m in _IMAGE.finditer(masked)]
    for m in _REF_IMAGE.finditer(masked):
        label = _label(m.group("label") or m.group("alt"))
        if label in definitions:
            images.append((m.group("alt"), definitions[label], m.start()))
    seen = set()
    for alt, target, offset in sorted(images, key=lambda image: image[2]):
        seen.add(unquote(target))
        _check_image(part, folder, problems, alt, target, line_at(offset))
    return seen


def _check_image(part: Part, folder: Path, problems: Collector, alt: str, target: str, line: int | None) -> None:
    if not alt.strip():
        problems.error(part.path, f"image '{target}' has no alt text", line,
                       f"describe the image between the brackets: ![What the chart shows]({target})")
    reason = _outside_reason(target, folder)
    if reason:
        problems.error(part.path, f"image '{target}' {reason}", line,
                       "put the image in the brief's assets/ folder and use a relative path such as assets/chart.png")
        return
    if not (folder / unquote(target)).is_file():
        problems.error(part.path, f"image '{target}' not found", line,
                       f"add the file {unquote(target)} to the brief folder, or fix the path")
        return
    part.images.append(unquote(target))


_PART_MARK = "\u27e6part:{}\u27e7"  # cannot occur in Markdown the author writes


def _check_images_as_pandoc_reads_them(parts: list[Part], folder: Path, problems: Collector,
                                       seen: set[str]) -> None:
    """Check every image pandoc finds in the brief that the patterns above missed.

    pandoc reads the parts as one document when rendering (a link definition
    in one file serves an image in another); whatever image it finds there is
    what it would fetch. Images already checked are skipped. A marker
    paragraph before each part tells which file an image comes from.
    """
    from .pandoc import PandocError, run_pandoc

    joined = "".join(f"{_PART_MARK.format(index)}\n\n{part.body}\n\n" for index, part in enumerate(parts))
    try:
        ast = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], joined))
    except (PandocError, OSError, ValueError) as exc:
        problems.error(parts[0].path, f"pandoc cannot read the Markdown: {exc}")
        return
    current = 0
    for block in ast.get("blocks", []):
        text = _stringify(block) if block.get("t") == "Para" else ""
        marker = re.fullmatch("\u27e6part:(\\d+)\u27e7", text)
        if marker:
            current = int(marker.group(1))
            continue
        for alt, target in _pandoc_images(block):
            if unquote(target) in seen:
                continue
            seen.add(unquote(target))
            part, line = parts[current], None
            for needle in (target, unquote(target)):
                offset = part.body.find(needle)
                if offset >= 0:
                    line = part.body_line + part.body.count("\n", 0, offset)
                    break
            _check_image(part, folder, problems, alt, target, line)


def _pandoc_images(node) -> list[tuple[str, str]]:
    """(alt text, target) of every Image in a pandoc JSON AST."""
    found = []
    if isinstance(node, dict):
        if node.get("t") == "Image":
            _attr, inlines, (target, _title) = node["c"]
            found.append((_stringify(inlines), target))
        for value in node.values():
            found += _pandoc_images(value)
    elif isinstance(node, list):
        for value in node:
            found += _pandoc_images(value)
    return found


def _stringify(node) -> str:
    if isinstance(node, dict):
        if node.get("t") in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if node.get("t") == "Str":
            return node["c"]
        return _stringify(node.get("c", []))
    if isinstance(node, list):
        return "".join(_stringify(value) for value in node)
    return ""


def _outside_reason(target: str, folder: Path) -> str:
    """Why an image or style path may not be used, or '' if it stays inside the brief.

    The target is checked as written and percent-decoded (pandoc and
    WeasyPrint decode %2e%2e to ..); links are followed, so a symbolic link
    in assets/ that points outside the folder is refused.
    """
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


def _first_sentence(body: str) -> str:
    text = re.sub(r"\[[^\[\]]*@[^\[\]]*\]", "", body)  # citations
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip() and not p.lstrip().startswith("#")]
    if not paragraphs:
        return ""
    flat = " ".join(paragraphs[0].split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“‘(¿¡])", flat)[0]
    return re.sub(r"\s+([.,;:])", r"\1", sentence).strip()


def _load_section(path: Path, folder: Path, problems: Collector) -> Part | None:
    text = _read_text(path, problems, folder)
    if text is None:
        return None
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.error(path, "the section has no front matter", 1,
                       "start the file with a '---' block holding at least 'title: ...', closed by '---'")
        return Part(path, text, 1)  # the body is still checked, so that every problem shows at once
    if not any(_FRONT_MATTER_END.match(line) for line in text.splitlines()[1:]):
        problems.error(path, "the front matter opened on line 1 is never closed", 1,
                       "add a line '---' after the front matter, before the section's text")
        return None
    try:
        located = load_located(front, line_offset=1)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line,
                       exc.hint or "fix the YAML syntax of the front matter between the --- lines")
        return _unchecked_part(path, body, body_line, problems)
    if located.data is None:
        located = LocatedYaml({}, {(): 1})
    if not check_against_schema("section", located, path, problems, "the section's front matter"):
        return _unchecked_part(path, body, body_line, problems)
    meta = located.data
    part = Part(path, body, body_line, title=meta["title"].strip(), short=meta.get("short", True))
    if not body.strip():
        problems.error(path, "the section's body is empty", body_line, "write the section's text below the front matter, or delete the file")
        return part
    if "key_point" in meta:
        part.key_point = " ".join(meta["key_point"].split())
    else:
        part.key_point = _first_sentence(body)
        part.key_point_derived = True
        if part.short:
            shown = part.key_point if len(part.key_point) <= 80 else part.key_point[:77] + "..."
            problems.warn(path, f"no key_point: the short version uses the section's first sentence: \"{shown}\"", 1,
                          "add 'key_point: ...' with one or two sentences to the front matter, "
                          "or 'short: false' to leave the section out of the short version")
    return part


def _unchecked_part(path: Path, body: str, body_line: int, problems: Collector) -> Part:
    """A section whose front matter is wrong: its body is still checked."""
    if not body.strip():
        problems.error(path, "the section's body is empty", body_line, "write the section's text below the front matter, or delete the file")
    return Part(path, body, body_line)


def load_brief(folder: Path) -> Brief:
    """Read and validate the brief in ``folder``; raise ContentError with every error."""
    folder = Path(folder)
    problems = Collector()
    slug = folder.name
    if not SLUG_RE.match(slug):
        problems.error(folder, f"'{slug}' is not a valid brief folder name", hint="use lower-case letters, digits and hyphens, e.g. my-brief-2026")
    meta, located_meta = _load_meta(folder, problems)

    summary = None
    summary_path = folder / "summary.md"
    if not summary_path.is_file():
        problems.error(summary_path, "summary.md is missing", hint="add the executive summary as summary.md in the brief folder")
    else:
        text = _read_text(summary_path, problems, folder)
        if text is not None:
            front, body, body_line = split_front_matter(text)
            if front is not None:
                problems.error(summary_path, "summary.md takes no front matter", 1, "remove the --- block; the title comes from brief.yaml")
            if not body.strip():
                problems.error(summary_path, "the executive summary is empty", body_line, "write the summary in summary.md")
            summary = Part(summary_path, body, body_line)

    sections: list[Part] = []
    sections_dir = folder / "sections"
    section_files = sorted(p for p in sections_dir.glob("*.md") if not p.name.startswith(".")) if sections_dir.is_dir() else []
    if not section_files:
        problems.error(sections_dir, "the brief has no sections", hint="add one or more Markdown files such as sections/01-background.md")
    for path in section_files:
        part = _load_section(path, folder, problems)
        if part is not None:
            sections.append(part)

    present = [folder / name for name in REFERENCE_FILES if (folder / name).exists() or (folder / name).is_symlink()]
    references = References.empty()
    if len(present) > 1:
        problems.error(present[1], f"more than one references file: {', '.join(p.name for p in present)}",
                       hint="keep exactly one of references.yaml, references.json or references.bib")
        references.readable = False
    elif present and _refuse_outside(present[0], folder, problems):
        references = References(present[0], {}, {}, readable=False)
    elif present:
        references = load_references(present[0], problems)

    csl = None
    if meta and meta.get("csl"):
        line = located_meta.line_of(["csl"]) if located_meta else None
        reason = _outside_reason(meta["csl"], folder)
        candidate = folder / meta["csl"]
        if reason:
            problems.error(folder / "brief.yaml", f"csl style '{meta['csl']}' {reason}", line,
                           "put the .csl file in the brief folder and give its path relative to the folder")
        elif not candidate.is_file():
            problems.error(folder / "brief.yaml", f"csl style '{meta['csl']}' not found", line,
                           "fix the path, relative to the brief folder, or remove 'csl' to use the default style")
        else:
            csl = candidate

    parts = ([summary] if summary else []) + sections
    definitions = _link_definitions(parts)
    seen_images: set[str] = set()
    for part in parts:
        part.groups = find_citations(part.body, part.body_line)
        seen_images |= _check_markdown(part, folder, problems, definitions)
    if parts:
        _check_images_as_pandoc_reads_them(parts, folder, problems, seen_images)

    groups = [group for part in parts for group in part.groups]
    cited = set()
    for part in parts:
        for group in part.groups:
            for item in group.items:
                cited.add(item.key)
                if item.key in references.items or not references.readable:
                    continue  # an unreadable references file is reported once, not per citation
                if references.path is None:
                    problems.error(part.path, f"citation '@{item.key}' but the brief has no references file", group.line,
                                   "add references.yaml (CSL YAML), references.json (CSL JSON) or references.bib (BibTeX) listing the sources")
                    continue
                close = sorted(difflib.get_close_matches(item.key, list(references.items), n=3, cutoff=0.6),
                               key=lambda c: (-difflib.SequenceMatcher(None, item.key, c).ratio(), c))
                hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else f"add an entry with id '{item.key}' to {references.path.name}")
                problems.error(part.path, f"unknown citation id '{item.key}'", group.line, hint)
    for ref_id, line in references.lines.items():
        if ref_id not in cited:
            problems.warn(references.path, f"reference '{ref_id}' is never cited", line, "cite it as [@" + ref_id + "] or remove it")

    if problems.errors:
        raise ContentError(_in_reading_order(problems.errors, folder, parts))
    note_keys = number_sources(groups)
    meta.setdefault("language", "en")
    return Brief(slug, folder, meta, summary, sections, references, csl, note_keys, problems.warnings)


def _in_reading_order(found: list[Problem], folder: Path, parts: list[Part]) -> list[Problem]:
    """Problems sorted by file (brief.yaml, summary, sections, references, others) and line."""
    order = [folder / "brief.yaml", folder / "summary.md", *(part.path for part in parts)]
    rank = {path: index for index, path in reversed(list(enumerate(order)))}

    def key(problem: Problem):
        return (rank.get(problem.path, len(order)), str(problem.path) if problem.path not in rank else "",
                problem.line or 0)

    return sorted(found, key=key)
