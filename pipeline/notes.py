"""Format the notes' reference text with a CSL style through pandoc's citeproc.

The pipeline numbers sources itself (first citation order over the whole
brief); citeproc is used only to turn each cited CSL item into formatted text,
returned as pandoc Markdown so that every output format gets the same text.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from .pandoc import run_pandoc

_ENTRY = re.compile(r"^:::+ \{#ref-(?P<id>\S+) \.csl-entry[^}]*\}\n(?P<body>.*?)\n:::+\s*$", re.M | re.S)
_LEFT_MARGIN = re.compile(r"\[[^\]]*\]\{\.csl-left-margin\}\s*")
_RIGHT_INLINE = re.compile(r"^\[(?P<text>.*)\]\{\.csl-right-inline\}$", re.S)


def format_notes(keys: list[str], items: dict[str, dict], csl: Path, language: str) -> dict[str, str]:
    """Formatted Markdown text for each key in ``keys`` (in that order)."""
    if not keys:
        return {}
    with tempfile.TemporaryDirectory(prefix="brief-notes-") as tmp:
        bib = Path(tmp) / "references.json"
        bib.write_text(json.dumps([items[k] for k in keys], ensure_ascii=False), encoding="utf-8")
        body = " ".join(f"[@{key}]" for key in keys)
        out = run_pandoc(
            ["-f", "markdown", "-t", "markdown-citations", "--wrap=none", "--citeproc",
             f"--bibliography={bib}", f"--csl={csl}", f"--metadata=lang:{language}",
             "--metadata=link-citations:false"],
            body,
        )
    texts = {}
    for match in _ENTRY.finditer(out):
        text = _LEFT_MARGIN.sub("", match.group("body").strip())
        inline = _RIGHT_INLINE.match(text)
        texts[match.group("id")] = inline.group("text") if inline else text
    missing = [k for k in keys if k not in texts]
    if missing:
        raise RuntimeError(f"citeproc returned no entry for {', '.join(missing)}")
    return texts
