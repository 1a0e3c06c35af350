"""A brief's references: CSL YAML, CSL JSON or BibTeX/BibLaTeX, as exported by real tools.

Reading is in two steps, because real files are large (a Zotero or JabRef
export of thousands of entries of which a brief cites twenty):

1. :func:`index_references` finds every entry's id and line, duplicates and
   malformed entries, without converting anything. BibTeX is split into
   entries by bibtexparser (raw field values, so that an undefined ``@string``
   macro can be told from text). The index of a file is cached by the file's
   hash (see :mod:`pipeline.cache`), so a second ``brief check`` of an
   unchanged 4,000-entry file costs one small JSON read.
2. :func:`cited_references` hands pandoc only the entries the brief cites
   (for BibTeX with every ``@string`` definition and the ``crossref``
   parents they need), in the form pandoc reads best: BibTeX through pandoc's
   BibLaTeX reader, CSL YAML as pandoc's own ``references:`` metadata, CSL
   JSON as it is.

Problems with entries nobody cites are warnings, summed up in one line per
kind; with cited ones they are errors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Collector
from .yamlsource import load_or_report

REFERENCE_FILES = ("references.yaml", "references.json", "references.bib")
MAX_REFERENCES_BYTES = 64 * 1024 * 1024
INDEX_VERSION = 3  # bump when the index format changes: old cache entries are ignored

# BibTeX's month macros (predefined, like in bibtex's standard styles).
MONTH_MACROS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


@dataclass
class EntryProblem:
    """Something wrong with one entry: an error if it is cited, a warning otherwise."""

    key: str | None
    line: int
    message: str
    hint: str


@dataclass
class ReferenceIndex:
    """Where every entry of a references file stands, and what is wrong with which.

    ``entries`` holds what conversion needs per id: the CSL item (YAML,
    JSON) or the raw entry text (BibTeX). ``readable`` is False when the file
    could not be read at all (its problem is already reported).
    """

    path: Path | None
    kind: str | None = None  # "yaml", "json", "bib"
    lines: dict[str, int] = field(default_factory=dict)
    entries: dict[str, object] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)  # BibTeX @string blocks
    crossref: dict[str, str] = field(default_factory=dict)  # BibTeX child -> parent key
    problems: list[EntryProblem] = field(default_factory=list)  # per entry (cited: error)
    readable: bool = True

    @classmethod
    def empty(cls) -> ReferenceIndex:
        return cls(None)

    def to_json(self) -> dict:
        return {"version": INDEX_VERSION, "kind": self.kind, "lines": self.lines, "entries": self.entries,
                "strings": self.strings, "crossref": self.crossref,
                "problems": [[p.key, p.line, p.message, p.hint] for p in self.problems]}

    @classmethod
    def from_json(cls, path: Path, data: dict) -> ReferenceIndex:
        return cls(path, data["kind"], data["lines"], data["entries"], data["strings"], data["crossref"],
                   [EntryProblem(*p) for p in data["problems"]])


def index_references(path: Path, problems: Collector, cache=None) -> ReferenceIndex:
    """Index ``path``; a file-level problem (unreadable, not UTF-8, syntax) goes to ``problems``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.error(path, f"cannot read the references file: {exc.strerror}",
                       hint="check that it is a readable file, not a folder or a broken link")
        return ReferenceIndex(path, readable=False)
    if size > MAX_REFERENCES_BYTES:
        problems.error(path, f"the references file is {size / 2**20:.0f} MB, more than the limit of "
                             f"{MAX_REFERENCES_BYTES // 2**20} MB",
                       hint="export only the collection the brief cites from")
        return ReferenceIndex(path, readable=False)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(path, f"cannot read the references file: {exc.strerror}",
                       hint="check that it is a readable file, not a folder or a broken link")
        return ReferenceIndex(path, readable=False)
    digest = hashlib.sha256(data).hexdigest()
    cache_key = f"references-{INDEX_VERSION}-{path.suffix}-{digest}"
    if cache is not None:
        cached = cache.get_json(cache_key)
        if cached is not None and cached.get("version") == INDEX_VERSION:
            if "file_error" in cached:
                line, message, hint = cached["file_error"]
                problems.error(path, message, line, hint)
                return ReferenceIndex(path, readable=False)
            return ReferenceIndex.from_json(path, cached)
    local = Collector()
    index = _index(path, data, local)
    if cache is not None:
        if local.errors:
            first = local.errors[0]
            cache.put_json(cache_key, {"version": INDEX_VERSION, "file_error": [first.line, first.message, first.hint]})
        elif index.readable:
            cache.put_json(cache_key, index.to_json())
    problems.problems.extend(local.problems)
    return index


def _index(path: Path, data: bytes, problems: Collector) -> ReferenceIndex:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(path, f"cannot read the references file: it is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                       line, "save it with UTF-8 encoding")
        return ReferenceIndex(path, readable=False)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix == ".bib":
        index = _bibtex_index(path, text, problems)
    elif path.suffix == ".json":
        index = _csl_json_index(path, text, problems)
    else:
        index = _csl_yaml_index(path, text, problems)
    if problems.errors:
        index.readable = False
    return index


def _add(index: ReferenceIndex, ref_id, line: int, entry) -> None:
    """Record one entry; a missing or repeated id is an entry problem."""
    if isinstance(ref_id, (int, float)) and not isinstance(ref_id, bool):
        ref_id = str(ref_id)  # CSL allows numeric ids; citations spell them as text
        if isinstance(entry, dict):
            entry = {**entry, "id": ref_id}
    if not isinstance(ref_id, str) or not ref_id.strip():
        index.problems.append(EntryProblem(None, line, "a reference has no id",
                                           "give every entry an id: a short key such as smith-2024"))
        return
    if ref_id in index.lines:
        index.problems.append(EntryProblem(
            ref_id, line, f"duplicate reference id '{ref_id}', first defined on line {index.lines[ref_id]}",
            "give each reference its own id, or delete the duplicate entry"))
        return
    index.lines[ref_id] = line
    index.entries[ref_id] = entry


# --- CSL YAML ------------------------------------------------------------------------------------

def _csl_yaml_index(path: Path, text: str, problems: Collector) -> ReferenceIndex:
    index = ReferenceIndex(path, "yaml")
    located = load_or_report(text, path, problems)
    if located is None:
        return index
    data, prefix = located.data, ()
    if data is None:  # an empty file: no references yet
        return index
    if isinstance(data, dict) and "references" in data:
        data, prefix = data["references"], ("references",)
    if not isinstance(data, list):
        problems.error(path, "expected a list of CSL references, or a 'references:' key holding one", 1,
                       "write 'references:' followed by one '- id: ...' entry per source")
        return index
    for position, item in enumerate(data):
        line = located.line_of(prefix + (position,), 1)
        if not isinstance(item, dict):
            index.problems.append(EntryProblem(None, line, "a reference must be a mapping of CSL fields",
                                               "write it as 'id: ..., type: ..., title: ...'"))
            continue
        _add(index, item.get("id"), line, item)
    return index


# --- CSL JSON ------------------------------------------------------------------------------------

def _csl_json_index(path: Path, text: str, problems: Collector) -> ReferenceIndex:
    index = ReferenceIndex(path, "json")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.error(path, f"JSON syntax error: {exc.msg}", exc.lineno, "fix the JSON syntax: commas, quotes, brackets")
        return index
    except RecursionError:
        problems.error(path, "JSON syntax error: the values are nested too deeply", 1,
                       "fix the JSON syntax: commas, quotes, brackets")
        return index
    start = _skip_space(text, 0)
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
        start = dict(_json_members(text, start)).get("references", (start, start))[1]
    if not isinstance(data, list):
        problems.error(path, "expected a JSON array of CSL references", _line(text, start),
                       "write [ {\"id\": ...}, ... ]")
        return index
    for item, (begin, _end) in zip(data, _json_elements(text, start)):
        if not isinstance(item, dict):
            index.problems.append(EntryProblem(None, _line(text, begin), "a reference must be a JSON object of CSL fields",
                                               "write it as {\"id\": ..., \"type\": ..., \"title\": ...}"))
            continue
        # The line of the entry's "id" (where a duplicate shows), else of its "{".
        members = dict(_json_members(text, begin))
        _add(index, item.get("id"), _line(text, members.get("id", (begin,))[0]), _clean_zotero_note(item))
    return index


# Lines that Zotero and Better BibTeX keep in the Extra field (exported as
# "note") for their own use: never part of a note.
_ZOTERO_EXTRA_KEYS = ("citation key", "zotero item type", "tex.")


def _clean_zotero_note(item: dict) -> dict:
    """Drop Zotero's bookkeeping lines ("Citation Key: ...") from the note field."""
    note = item.get("note")
    if not isinstance(note, str) or ":" not in note:
        return item
    kept = [line for line in note.split("\n")
            if not line.strip().lower().startswith(_ZOTERO_EXTRA_KEYS)]
    if len(kept) == len(note.split("\n")):
        return item
    item = dict(item)
    if any(line.strip() for line in kept):
        item["note"] = "\n".join(kept).strip()
    else:
        del item["note"]
    return item


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


# --- BibTeX / BibLaTeX ----------------------------------------------------------------------------

def _bibtex_index(path: Path, text: str, problems: Collector) -> ReferenceIndex:
    import logging

    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    index = ReferenceIndex(path, "bib")
    # bibtexparser logs syntax errors itself; they are reported below instead.
    logger = logging.getLogger("bibtexparser")
    level, logger.level = logger.level, logging.CRITICAL
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])  # raw values: macros stay visible
    finally:
        logger.setLevel(level)
    defined = set(MONTH_MACROS)
    for string in library.strings:
        index.strings.append(string.raw)
        defined.add(string.key.lower())
    for entry in library.entries:
        line = entry.start_line + 1
        before = len(index.lines)
        _add(index, entry.key, line, entry.raw)
        if len(index.lines) == before:
            continue
        for bibfield in entry.fields:
            name = bibfield.key.lower()
            if name == "crossref":
                index.crossref[entry.key] = _unbrace(bibfield.value)
                continue
            for macro in _macro_names(bibfield.value):
                if macro.lower() not in defined:
                    index.problems.append(EntryProblem(
                        entry.key, (bibfield.start_line or entry.start_line) + 1,
                        f"'{bibfield.key}' of entry '{entry.key}' uses the @string macro '{macro}', "
                        "which the file never defines",
                        f"add @string{{{macro} = {{...}}}} to the file, or write the value in braces"))
    for block in library.failed_blocks:
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            first = index.lines.get(block.key)
            index.problems.append(EntryProblem(
                block.key, line,
                f"duplicate reference id '{block.key}'" + (f", first defined on line {first}" if first else ""),
                "give each reference its own key, or delete the duplicate entry"))
        elif isinstance(block, ParsingFailedBlock):
            reason = (getattr(block.error, "abort_reason", "") or str(block.error) or type(block.error).__name__).strip()
            index.problems.append(EntryProblem(_failed_key(block.raw), line, f"BibTeX syntax error: {reason}",
                                               "check braces, commas and the @type{key, field = {value}, ...} form"))
    for child, parent in index.crossref.items():
        if parent not in index.lines:
            index.problems.append(EntryProblem(
                child, index.lines[child], f"entry '{child}' has crossref '{parent}', which the file does not hold",
                f"add the entry '{parent}' or remove the crossref field"))
    index.problems.sort(key=lambda p: p.line)
    return index


# LaTeX writes í as \'\i (an accent on a dotless i); pandoc keeps the dotless
# letter and adds a combining accent, which shows as a different letter.
_DOTLESS = {"\u0131\u0301": "í", "\u0131\u0300": "ì", "\u0131\u0302": "î", "\u0131\u0308": "ï",
            "\u0237\u030c": "ǰ"}


def _fix_dotless_accents(value):
    if isinstance(value, str):
        for wrong, right in _DOTLESS.items():
            value = value.replace(wrong, right)
        return value
    if isinstance(value, list):
        return [_fix_dotless_accents(v) for v in value]
    if isinstance(value, dict):
        return {k: _fix_dotless_accents(v) for k, v in value.items()}
    return value


def _unbrace(value: str) -> str:
    value = value.strip()
    while len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
        value = value[1:-1].strip()
    return value


def _macro_names(value: str) -> list[str]:
    """The bare words (macro references) in a raw BibTeX field value such as ``oup # { Press}``."""
    names, depth, quoted, word = [], 0, False, ""
    for char in value + " ":
        if depth:
            depth += {"{": 1, "}": -1}.get(char, 0)
            continue
        if quoted:
            quoted = char != '"'
            continue
        if char == "{":
            depth = 1
        elif char == '"':
            quoted = True
        elif char.isspace() or char == "#":
            if word and not word.isdigit():
                names.append(word)
            word = ""
            continue
        else:
            word += char
            continue
        if word and not word.isdigit():
            names.append(word)
        word = ""
    return names


def _failed_key(raw: str) -> str | None:
    """The key of a BibTeX entry that did not parse (``@type{key,``), if it can be seen."""
    head = raw.split(",", 1)[0]
    for opener in ("{", "("):
        if opener in head:
            key = head.split(opener, 1)[1].strip()
            return key if key and " " not in key and "\n" not in key else None
    return None


# --- handing the cited entries to pandoc ------------------------------------------------------------

def cited_references(index: ReferenceIndex, keys: list[str], session) -> tuple[str, str]:
    """The entries ``keys`` as pandoc's citeproc should read them: ("csljson" or "yaml", text).

    BibTeX is converted by pandoc to CSL JSON; CSL YAML is handed over as
    pandoc's own ``references:`` metadata (more lenient than CSL JSON, e.g.
    ``issued: 2022``, and its text fields are Markdown); CSL JSON as it is.
    """
    if index.kind == "bib":
        wanted, queue = [], list(keys)
        while queue:  # the cited entries and the crossref parents they inherit from
            key = queue.pop(0)
            if key in wanted or key not in index.entries:
                continue
            wanted.append(key)
            if key in index.crossref:
                queue.append(index.crossref[key])
        text = "\n".join(index.strings) + "\n" + "\n\n".join(str(index.entries[k]) for k in wanted)
        items = {item["id"]: _fix_dotless_accents(item) for item in session.bibtex_to_csl(text)}
        return "csljson", json.dumps([items[k] for k in keys if k in items], ensure_ascii=False)
    if index.kind == "yaml":
        import yaml

        items = [index.entries[k] for k in keys]
        return "yaml", "---\n" + yaml.safe_dump({"references": items}, allow_unicode=True, sort_keys=False) + "---\n"
    return "csljson", json.dumps([index.entries[k] for k in keys], ensure_ascii=False)
