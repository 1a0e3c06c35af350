"""Load a brief's references from CSL YAML, CSL JSON or BibTeX.

Whatever the input format, the result is a list of CSL items (dicts with an
``id``) keyed by id, plus the line where each entry starts so that messages can
point at it. BibTeX is parsed for structure and lines by bibtexparser and
converted to CSL by pandoc's own BibTeX reader (it knows LaTeX accents).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector
from .yamlsource import YamlSyntaxError, load_located

REFERENCE_FILES = ("references.yaml", "references.json", "references.bib")


@dataclass
class References:
    """The references of one brief."""

    path: Path | None
    items: dict[str, dict]
    lines: dict[str, int]

    @classmethod
    def empty(cls) -> "References":
        return cls(None, {}, {})


def load_references(path: Path, problems: Collector) -> References:
    """Read ``path``; report unreadable files and duplicate ids to ``problems``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        problems.error(path, f"cannot read the references file: {reason}", hint="save it as UTF-8 text")
        return References(path, {}, {})
    if path.suffix == ".bib":
        entries = _bibtex_entries(path, text, problems)
    elif path.suffix == ".json":
        entries = _csl_json_entries(path, text, problems)
    else:
        entries = _csl_yaml_entries(path, text, problems)
    items: dict[str, dict] = {}
    lines: dict[str, int] = {}
    for item, line in entries:
        ref_id = item.get("id")
        if not isinstance(ref_id, str) or not ref_id.strip():
            problems.error(path, "a reference has no id", line, "give every entry an id: a short key such as smith-2024")
            continue
        if ref_id in items:
            problems.error(
                path,
                f"duplicate reference id '{ref_id}' (first defined on line {lines[ref_id]})",
                line,
                "give each reference its own id, or delete the duplicate entry",
            )
            continue
        items[ref_id] = item
        lines[ref_id] = line
    return References(path, items, lines)


def _csl_yaml_entries(path: Path, text: str, problems: Collector) -> list[tuple[dict, int]]:
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line, "fix the YAML syntax (indentation, quotes around text with colons)")
        return []
    data, prefix = located.data, ()
    if isinstance(data, dict) and "references" in data:
        data, prefix = data["references"], ("references",)
    if not isinstance(data, list):
        problems.error(path, "expected a list of CSL references (or a 'references:' key holding one)", 1,
                       "see the CSL YAML example in the README")
        return []
    entries = []
    for index, item in enumerate(data):
        line = located.line_of(prefix + (index,), 1)
        if not isinstance(item, dict):
            problems.error(path, "a reference must be a mapping of CSL fields", line, "write it as 'id: ..., type: ..., title: ...'")
            continue
        entries.append((item, line))
    return entries


def _csl_json_entries(path: Path, text: str, problems: Collector) -> list[tuple[dict, int]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.error(path, f"JSON syntax error: {exc.msg}", exc.lineno, "fix the JSON syntax (commas, quotes, brackets)")
        return []
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        problems.error(path, "expected a JSON array of CSL references", 1, "write [ {\"id\": ...}, ... ]")
        return []
    # json does not keep positions: find each id's line in the text, in order.
    id_lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"id"\s*:', text)]
    entries = []
    for index, item in enumerate(data):
        line = id_lines[index] if index < len(id_lines) else None
        if not isinstance(item, dict):
            problems.error(path, "a reference must be a JSON object of CSL fields", line)
            continue
        entries.append((item, line))
    return entries


def _bibtex_entries(path: Path, text: str, problems: Collector) -> list[tuple[dict, int]]:
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    library = bibtexparser.parse_string(text)
    key_lines: list[tuple[str, int]] = [(e.key, e.start_line + 1) for e in library.entries]
    for block in library.failed_blocks:
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            first = next((ln for key, ln in key_lines if key == block.key), None)
            problems.error(
                path,
                f"duplicate reference id '{block.key}'" + (f" (first defined on line {first})" if first else ""),
                line,
                "give each reference its own key, or delete the duplicate entry",
            )
        elif isinstance(block, ParsingFailedBlock):
            problems.error(path, f"BibTeX syntax error: {block.error}", line, "check braces, commas and the @type{key, ...} form")
    if not library.entries:
        return []
    csl = _bibtex_to_csl(text, path, problems)
    by_id = {item.get("id"): item for item in csl}
    entries = []
    for key, line in key_lines:
        if key in by_id:
            entries.append((by_id[key], line))
        else:
            problems.error(path, f"pandoc could not read the BibTeX entry '{key}'", line, "check its fields")
    return entries


def _bibtex_to_csl(text: str, path: Path, problems: Collector) -> list[dict]:
    from .pandoc import run_pandoc, PandocError

    try:
        out = run_pandoc(["-f", "bibtex", "-t", "csljson"], text)
    except PandocError as exc:
        problems.error(path, f"cannot convert the BibTeX file: {exc}", hint="check the entries' syntax")
        return []
    return json.loads(out)
