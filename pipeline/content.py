"""Load a brief folder, validate it, and collect every problem in one pass.

``load_brief`` reads brief.yaml, summary.md, sections/*.md and the references
file, checks them against the schemas and the rules of the contract (citations
defined, images present with alt text and inside the folder, no raw HTML, no
empty section ...), and returns a :class:`Brief` or raises a
:class:`ContentError` listing all errors. Warnings travel on the Brief.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .citations import CitationGroup, find_citations, mask_code, number_sources
from .errors import Collector, ContentError
from .references import REFERENCE_FILES, References, load_references
from .schema import check_against_schema
from .yamlsource import LocatedYaml, YamlSyntaxError, load_located

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)\s*$")
# ![alt](target "title") with the target possibly in <...>
_IMAGE = re.compile(r"!\[(?P<alt>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_REF_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\](?:\[(?P<label>[^\]]*)\])?(?!\()")
_LINK_DEF = re.compile(r"^\s{0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<target>\S+?)>?(?:\s.*)?$", re.M)
_RAW_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


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


def _read_text(path: Path, problems: Collector) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.error(path, "the file is not UTF-8 text", hint="save it with UTF-8 encoding")
    except OSError as exc:
        problems.error(path, f"cannot read the file: {exc.strerror}")
    return None


def _load_meta(folder: Path, problems: Collector) -> dict | None:
    path = folder / "brief.yaml"
    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line, "fix the YAML syntax (indentation, a space after ':', quotes around text with colons)")
        return None
    if located.data is None:
        located = LocatedYaml({}, {(): 1})
    if not check_against_schema("brief", located, path, problems, "brief.yaml"):
        return None
    return dict(located.data)


def _check_markdown(part: Part, folder: Path, problems: Collector) -> None:
    """Images (present, alt text, inside the folder) and raw HTML."""
    text = part.body
    masked = mask_code(text)

    def line_at(offset: int) -> int:
        return part.body_line + text.count("\n", 0, offset)

    for match in _RAW_HTML.finditer(masked):
        problems.error(part.path, f"raw HTML is not allowed: {match.group(0)[:40]}", line_at(match.start()),
                       "write it in Markdown; raw HTML could carry scripts or remote resources into the outputs")
    definitions = {m.group("label").lower(): m.group("target") for m in _LINK_DEF.finditer(masked)}
    images = [(m.group("alt"), m.group("target"), m.start()) for m in _IMAGE.finditer(masked)]
    for m in _REF_IMAGE.finditer(masked):
        label = (m.group("label") or m.group("alt")).lower()
        if label in definitions:
            images.append((m.group("alt"), definitions[label], m.start()))
    for alt, target, offset in images:
        line = line_at(offset)
        if not alt.strip():
            problems.error(part.path, f"image '{target}' has no alt text", line,
                           "describe the image between the brackets: ![What the chart shows](assets/chart.png)")
        reason = _outside_reason(target, folder)
        if reason:
            problems.error(part.path, f"image '{target}' {reason}", line,
                           "put the image in the brief's assets/ folder and use a relative path such as assets/chart.png")
            continue
        if not (folder / target).is_file():
            problems.error(part.path, f"image '{target}' not found", line,
                           f"add the file {target} to the brief folder, or fix the path")
            continue
        part.images.append(target)


def _outside_reason(target: str, folder: Path) -> str:
    """Why an image path may not be used, or '' if it stays inside the brief."""
    if _SCHEME.match(target) or target.startswith("//"):
        return "is a URL or remote resource; only files inside the brief folder may be used"
    if target.startswith("/") or target.startswith("\\"):
        return "is an absolute path; only files inside the brief folder may be used"
    resolved = (folder / target).resolve()
    if not resolved.is_relative_to(folder.resolve()):
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
    text = _read_text(path, problems)
    if text is None:
        return None
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.error(path, "the section has no front matter", 1,
                       "start the file with a '---' block holding at least 'title: ...', closed by '---'")
        return None
    try:
        located = load_located(front, line_offset=1)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line, "fix the YAML syntax of the front matter between the --- lines")
        return None
    if located.data is None:
        located = LocatedYaml({}, {(): 1})
    if not check_against_schema("section", located, path, problems, "the section's front matter"):
        return None
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
            problems.warn(path, "no key_point: the short version uses the section's first sentence", 1,
                          "add 'key_point: ...' (one or two sentences) to the front matter")
    return part


def load_brief(folder: Path) -> Brief:
    """Read and validate the brief in ``folder``; raise ContentError with every error."""
    folder = Path(folder)
    problems = Collector()
    slug = folder.name
    if not SLUG_RE.match(slug):
        problems.error(folder, f"'{slug}' is not a valid brief folder name", hint="use lower-case letters, digits and hyphens, e.g. my-brief-2026")
    meta = _load_meta(folder, problems)

    summary = None
    summary_path = folder / "summary.md"
    if not summary_path.is_file():
        problems.error(summary_path, "summary.md is missing", hint="add the executive summary as summary.md in the brief folder")
    else:
        text = _read_text(summary_path, problems)
        if text is not None:
            front, body, body_line = split_front_matter(text)
            if front is not None:
                problems.error(summary_path, "summary.md takes no front matter", 1, "remove the --- block; the title comes from brief.yaml")
            if not body.strip():
                problems.error(summary_path, "the executive summary is empty", body_line, "write the summary in summary.md")
            summary = Part(summary_path, body, body_line)

    sections: list[Part] = []
    sections_dir = folder / "sections"
    section_files = sorted(sections_dir.glob("*.md")) if sections_dir.is_dir() else []
    if not section_files:
        problems.error(sections_dir, "the brief has no sections", hint="add one or more Markdown files such as sections/01-background.md")
    for path in section_files:
        part = _load_section(path, folder, problems)
        if part is not None:
            sections.append(part)

    present = [folder / name for name in REFERENCE_FILES if (folder / name).exists()]
    references = References.empty()
    if len(present) > 1:
        problems.error(present[1], f"more than one references file: {', '.join(p.name for p in present)}",
                       hint="keep exactly one of references.yaml, references.json or references.bib")
    elif present:
        references = load_references(present[0], problems)

    csl = None
    if meta and meta.get("csl"):
        reason = _outside_reason(meta["csl"], folder)
        candidate = folder / meta["csl"]
        if reason:
            problems.error(folder / "brief.yaml", f"csl style '{meta['csl']}' {reason}", hint="put the .csl file in the brief folder")
        elif not candidate.is_file():
            problems.error(folder / "brief.yaml", f"csl style '{meta['csl']}' not found", hint="fix the path (relative to the brief folder) or remove 'csl'")
        else:
            csl = candidate

    parts = ([summary] if summary else []) + sections
    for part in parts:
        part.groups = find_citations(part.body, part.body_line)
        _check_markdown(part, folder, problems)

    groups = [group for part in parts for group in part.groups]
    cited = set()
    for part in parts:
        for group in part.groups:
            for item in group.items:
                cited.add(item.key)
                if item.key in references.items:
                    continue
                if references.path is None:
                    problems.error(part.path, f"citation '@{item.key}' but the brief has no references file", group.line,
                                   "add references.yaml (CSL YAML), references.json or references.bib")
                    continue
                close = difflib.get_close_matches(item.key, list(references.items), n=3, cutoff=0.6)
                hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else f"add an entry with id '{item.key}' to {references.path.name}")
                problems.error(part.path, f"unknown citation id '{item.key}'", group.line, hint)
    for ref_id, line in references.lines.items():
        if ref_id not in cited:
            problems.warn(references.path, f"reference '{ref_id}' is never cited", line, "cite it as [@" + ref_id + "] or remove it")

    problems.raise_if_errors()
    note_keys = number_sources(groups)
    meta.setdefault("language", "en")
    return Brief(slug, folder, meta, summary, sections, references, csl, note_keys, problems.warnings)
