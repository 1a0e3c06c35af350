"""The normalised intermediate of a brief: one JSON file that later steps read.

It holds the metadata with defaults applied, the summary and sections as
Markdown in which every citation group is replaced by a token, the citation
groups with their note numbers and anchor ids, and the formatted notes. It is
deterministic: the same content gives the same bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .citations import mask_code
from .content import Brief
from .labels import labels_for
from .notes import format_notes

FORMAT_VERSION = 1
TOKEN = "\u27e6cite:{}\u27e7"  # ⟦cite:N⟧: cannot occur in Markdown the author writes
TOKEN_RE = re.compile(r"\u27e6cite:(\d+)\u27e7")
_ATX_HEADING = re.compile(r"^(#{1,5})(?=\s)", re.M)


def default_csl(templates_dir: Path) -> Path:
    return templates_dir / "csl" / "brief-notes.csl"


def _demote_headings(markdown: str) -> str:
    """Headings inside a section sit below its title: # becomes ## (not in code)."""
    masked = mask_code(markdown)
    starts = [m.start() for m in _ATX_HEADING.finditer(masked)]
    for start in reversed(starts):
        markdown = markdown[:start] + "#" + markdown[start:]
    return markdown


def build_document(brief: Brief, templates_dir: Path) -> dict:
    """The intermediate dict for ``brief`` (see module docstring)."""
    meta = dict(brief.meta)
    meta.setdefault("language", "en")
    meta.setdefault("identifier", f"urn:brief:{brief.slug}")
    meta.setdefault("page_size", "A4")
    meta["short"] = {"max_pages": (meta.get("short") or {}).get("max_pages", 2)}
    meta["authors"] = [{"name": a["name"], "affiliation": a.get("affiliation")} for a in meta.get("authors", [])]
    meta.setdefault("keywords", [])
    # Every optional key is present (None when unset) so templates need no guards.
    for key in ("subtitle", "question", "organization", "version", "rights", "distribution", "csl"):
        meta.setdefault(key, None)

    groups_out: list[dict] = []
    counts: dict[int, int] = {}
    citations_of: dict[int, list[str]] = {}

    def tokenise(part) -> str:
        text = part.body
        pieces, last = [], 0
        for group in part.groups:
            pieces.append(text[last:group.start])
            items = []
            for item, number in zip(group.items, group.numbers):
                counts[number] = counts.get(number, 0) + 1
                anchor = f"cite-{number}-{counts[number]}"
                citations_of.setdefault(number, []).append(anchor)
                items.append({"number": number, "locator": item.locator, "prefix": item.prefix,
                              "anchor": anchor, "first": counts[number] == 1})
            pieces.append(TOKEN.format(len(groups_out)))
            groups_out.append({"file": part.path.name, "line": group.line, "items": items})
            last = group.end
        pieces.append(text[last:])
        return _demote_headings("".join(pieces).strip()) + "\n"

    summary_md = tokenise(brief.summary)
    sections = []
    for number, part in enumerate(brief.sections, start=1):
        sections.append({
            "number": number,
            "id": f"sec-{number}",
            "file": f"sections/{part.path.name}",
            "title": part.title,
            "key_point": part.key_point,
            "key_point_derived": part.key_point_derived,
            "short": part.short,
            "markdown": tokenise(part),
        })

    csl = brief.csl or default_csl(templates_dir)
    texts = format_notes(brief.note_keys, brief.references.items, csl, meta["language"])
    notes = [{"number": n, "key": key, "markdown": texts[key], "citations": citations_of.get(n, [])}
             for n, key in enumerate(brief.note_keys, start=1)]
    return {
        "format": FORMAT_VERSION,
        "slug": brief.slug,
        "meta": meta,
        "labels": labels_for(meta["language"]),
        "summary": {"markdown": summary_md},
        "sections": sections,
        "citations": groups_out,
        "notes": notes,
        # Relative to the content folder: the intermediate must not depend on where it lives.
        "warnings": [w.format(relative_to=brief.folder.parent) for w in brief.warnings],
    }


def write_document(document: dict, path: Path) -> None:
    from .fsutil import write_text_atomic

    write_text_atomic(path, json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def read_document(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
