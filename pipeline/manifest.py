"""manifest.json: what was built for a brief, for distributors."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .fsutil import write_text_atomic

_WORD = re.compile(r"\w+(?:[’'\-]\w+)*")


def tool_versions() -> dict:
    from importlib.metadata import version

    from .pandoc import pandoc_version

    return {"pandoc": pandoc_version(), "weasyprint": version("weasyprint"), "snakemake": version("snakemake")}


def _words(markdown: str) -> int:
    from .document import TOKEN_RE

    return len(_WORD.findall(TOKEN_RE.sub(" ", markdown)))


def variant_counts(document: dict) -> dict:
    """Words of running text and notes per variant."""
    summary = _words(document["summary"]["markdown"])
    short = summary + sum(_words(s["title"]) + _words(s["key_point"]) for s in document["sections"] if s["short"])
    long = summary + sum(_words(s["title"]) + _words(s["markdown"]) for s in document["sections"])
    return {"short": {"words": short, "notes": 0}, "long": {"words": long, "notes": len(document["notes"])}}


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def build_manifest(document: dict, outputs: list[Path]) -> dict:
    entries = []
    for path in sorted(outputs, key=lambda p: p.name):
        data = path.read_bytes()
        variant = "short" if path.stem.endswith("-short") else "long"
        entry = {"file": path.name, "variant": variant, "format": path.suffix.lstrip("."),
                 "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if path.suffix == ".pdf":
            entry["pages"] = pdf_pages(path)
        entries.append(entry)
    meta = document["meta"]
    return {
        "brief": {"slug": document["slug"], "title": meta["title"], "date": meta["date"],
                  "version": meta.get("version"), "language": meta["language"]},
        "outputs": entries,
        "variants": variant_counts(document),
        "tools": tool_versions(),
    }


def write_manifest(manifest: dict, out: Path) -> None:
    write_text_atomic(out, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
