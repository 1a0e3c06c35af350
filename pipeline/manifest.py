"""What manifest.json says about a brief (the file itself is written by :mod:`pipeline.publish`)."""

from __future__ import annotations

from . import tree
from .model import Document


def _words(nodes) -> int:
    return len(tree.stringify(nodes).split())


def variant_counts(document: Document) -> dict:
    """Words of running text and notes per variant."""
    summary = _words(document.summary.blocks)
    short = summary + sum(_words(p.title.inlines) + _words(p.key_point.inlines) for p in document.sections if p.short)
    long = summary + sum(_words(p.title.inlines) + _words(p.blocks) for p in document.sections)
    long += sum(_words(f.blocks) for f in document.footnotes)
    return {"short": {"words": short, "notes": 0},
            "long": {"words": long, "notes": len(document.notes), "footnotes": len(document.footnotes)}}


def brief_entry(document: Document) -> dict:
    """What manifest.json says about the brief: for distributors, who catalogue it without opening a file."""
    meta = document.meta
    entry = {"slug": document.slug, "title": meta.title.plain, "date": meta.date, "version": meta.version,
             "language": meta.language,
             "authors": [{"name": a.name.plain, **({"affiliation": a.affiliation.plain} if a.affiliation else {})}
                         for a in meta.authors],
             "organization": meta.organization.plain if meta.organization else None,
             "rights": meta.rights.plain if meta.rights else None,
             "license": ({"name": meta.licence.name, "url": meta.licence.url,
                          **({"spdx": meta.licence.spdx} if meta.licence.spdx else {})} if meta.licence else None),
             "theme": meta.identity.theme or None,
             "identifiers": {key: value for key, value in (("doi", meta.doi), ("isbn", meta.isbn), ("url", meta.url))
                             if value}}
    if meta.series:
        entry["series"] = {"name": meta.series.name, "number": meta.series.number}
    return entry
