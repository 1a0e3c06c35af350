"""Load a brief's references from CSL YAML, CSL JSON or BibTeX.

Whatever the input format, the result is a list of CSL items (dicts with an
``id``) keyed by id, plus the line where each entry starts so that messages can
point at it. BibTeX is parsed for structure and lines by bibtexparser and
converted to CSL by pandoc's own BibTeX reader (it knows LaTeX accents).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector
from .yamlsource import YamlSyntaxError, load_located

REFERENCE_FILES = ("references.yaml", "references.json", "references.bib")


@dataclass
class References:
    """The references of one brief.

    ``readable`` is False when the file could not be read or parsed at all
    (its problems are already reported): citations are then not checked
    against it, which would only repeat the same problem once per citation.
    """

    path: Path | None
    items: dict[str, dict]
    lines: dict[str, int]
    readable: bool = True

    @classmethod
    def empty(cls) -> "References":
        return cls(None, {}, {})


def load_references(path: Path, problems: Collector) -> References:
    """Read ``path``; report unreadable files and duplicate ids to ``problems``."""
    before = len(problems.errors)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(path, f"cannot read the references file: {exc.strerror}",
                       hint="check that it is a readable file, not a folder or a broken link")
        return References(path, {}, {}, readable=False)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(path, f"cannot read the references file: it is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                       line, "save it with UTF-8 encoding")
        return References(path, {}, {}, readable=False)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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
        if isinstance(ref_id, (int, float)) and not isinstance(ref_id, bool):
            ref_id = str(ref_id)  # CSL allows numeric ids; citations spell them as text
            item = {**item, "id": ref_id}
        if not isinstance(ref_id, str) or not ref_id.strip():
            problems.error(path, "a reference has no id", line, "give every entry an id: a short key such as smith-2024")
            continue
        if ref_id in items:
            problems.error(
                path,
                f"duplicate reference id '{ref_id}', first defined on line {lines[ref_id]}",
                line,
                "give each reference its own id, or delete the duplicate entry",
            )
            continue
        items[ref_id] = item
        lines[ref_id] = line
    readable = bool(items) or len(problems.errors) == before
    return References(path, items, lines, readable)


def _csl_yaml_entries(path: Path, text: str, problems: Collector) -> list[tuple[dict, int]]:
    try:
        located = load_located(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line,
                       exc.hint or "fix the YAML syntax: indentation, a space after ':', quotes around text with colons")
        return []
    data, prefix = located.data, ()
    if data is None:  # an empty file: no references yet
        return []
    if isinstance(data, dict) and "references" in data:
        data, prefix = data["references"], ("references",)
    if not isinstance(data, list):
        problems.error(path, "expected a list of CSL references, or a 'references:' key holding one", 1,
                       "write 'references:' followed by one '- id: ...' entry per source")
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
        problems.error(path, f"JSON syntax error: {exc.msg}", exc.lineno, "fix the JSON syntax: commas, quotes, brackets")
        return []
    except RecursionError:
        problems.error(path, "JSON syntax error: the values are nested too deeply", 1, "fix the JSON syntax: commas, quotes, brackets")
        return []
    start = _skip_space(text, 0)
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
        start = dict(_json_members(text, start)).get("references", (start, start))[1]
    if not isinstance(data, list):
        problems.error(path, "expected a JSON array of CSL references", _line(text, start),
                       "write [ {\"id\": ...}, ... ]")
        return []
    entries = []
    for item, (begin, _end) in zip(data, _json_elements(text, start)):
        if not isinstance(item, dict):
            problems.error(path, "a reference must be a JSON object of CSL fields", _line(text, begin),
                           "write it as {\"id\": ..., \"type\": ..., \"title\": ...}")
            continue
        # The line of the entry's "id" (where a duplicate shows), else of its "{".
        members = dict(_json_members(text, begin))
        entries.append((item, _line(text, members.get("id", (begin,))[0])))
    return entries


# The json module keeps no positions; the text is known to be valid JSON, so
# a small scanner finds where each array element and object member starts.
_DECODER = json.JSONDecoder()


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _json_elements(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each element of the JSON array at ``start``."""
    spans = []
    index = _skip_space(text, start + 1)
    while index < len(text) and text[index] != "]":
        _, end = _DECODER.raw_decode(text, index)
        spans.append((index, end))
        index = _skip_space(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)
    return spans


def _json_members(text: str, start: int) -> list[tuple[str, tuple[int, int]]]:
    """(key, (key start, value start)) of each member of the JSON object at ``start``."""
    if not text.startswith("{", start):
        return []
    members = []
    index = _skip_space(text, start + 1)
    while index < len(text) and text[index] != "}":
        key, end = _DECODER.raw_decode(text, index)
        value = _skip_space(text, _skip_space(text, end) + 1)  # past the ':'
        _, value_end = _DECODER.raw_decode(text, value)
        members.append((key, (index, value)))
        index = _skip_space(text, value_end)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)
    return members


def _bibtex_entries(path: Path, text: str, problems: Collector) -> list[tuple[dict, int]]:
    import logging

    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    # bibtexparser logs syntax errors itself; they are reported below instead.
    logger = logging.getLogger("bibtexparser")
    level, logger.level = logger.level, logging.CRITICAL
    try:
        library = bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)
    key_lines: list[tuple[str, int]] = [(e.key, e.start_line + 1) for e in library.entries]
    for block in library.failed_blocks:
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            first = next((ln for key, ln in key_lines if key == block.key), None)
            problems.error(
                path,
                f"duplicate reference id '{block.key}'" + (f", first defined on line {first}" if first else ""),
                line,
                "give each reference its own key, or delete the duplicate entry",
            )
        elif isinstance(block, ParsingFailedBlock):
            reason = (getattr(block.error, "abort_reason", "") or str(block.error) or type(block.error).__name__).strip()
            problems.error(path, f"BibTeX syntax error: {reason}", line,
                           "check braces, commas and the @type{key, field = {value}, ...} form")
    if not library.entries:
        return []
    # pandoc converts only the entries that parsed, so one broken entry does not hide the others.
    csl = _bibtex_to_csl("\n\n".join(e.raw for e in library.entries), path, problems)
    if csl is None:
        return []
    by_id: dict = {}
    for item in csl:  # the first entry of a key, like bibtexparser
        by_id.setdefault(item.get("id"), item)
    entries = []
    for key, line in key_lines:
        if key in by_id:
            entries.append((by_id[key], line))
        else:
            problems.error(path, f"pandoc could not read the BibTeX entry '{key}'", line, "check its fields")
    return entries


def _bibtex_to_csl(text: str, path: Path, problems: Collector) -> list[dict] | None:
    from .pandoc import PandocError, run_pandoc

    try:
        out = run_pandoc(["-f", "bibtex", "-t", "csljson"], text)
    except (PandocError, OSError) as exc:
        problems.error(path, f"cannot convert the BibTeX file: {exc}", hint="check the entries' syntax")
        return None
    return json.loads(out)
