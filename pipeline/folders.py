"""The content folder's briefs and each brief's files, as the rules, the index and the CLI find them.

Apart from :mod:`pipeline.content` (which reads and validates a brief) so that what only needs to know
which folders and files there are (the Snakefile, read at the start of every build; the collection
index's job) does not import the readers and validators.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .theme import theme_files, theme_of

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_brief_folder(path: Path) -> bool:
    """A folder under content/ is a brief if it holds brief.yaml and is not hidden."""
    return path.is_dir() and not path.name.startswith(("_", ".")) and (path / "brief.yaml").is_file()


def discover_briefs(content_dir: Path) -> list[Path]:
    """Brief folders under ``content_dir``, sorted by name."""
    if not content_dir.is_dir():
        return []
    return sorted(p for p in content_dir.iterdir() if is_brief_folder(p))


def brief_source_files(folder: Path) -> list[Path]:
    """Every file of a brief that its outputs depend on (what the rules list): its folder's, and its
    theme's (so that changing a theme rebuilds exactly the briefs that use it)."""
    own = sorted(_files_under(folder))
    try:
        name = theme_of((folder / "brief.yaml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        name = None
    return own + theme_files(folder.parent, name)


def _files_under(folder: Path):
    """The files under ``folder`` whose names do not start with a dot, at any depth (as ``rglob("*")``
    and ``is_file()`` find them, without their cost per path: the Snakefile asks for every brief's files in
    every run). Links to folders are not followed (nor are they by rglob); links to files are listed."""
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if not name.startswith("."):
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    yield Path(path)


def source_listing(folder: Path) -> str:
    """The rules' record of a brief's files (:func:`brief_source_files`): one line each, its path relative
    to the content folder (as a JSON string), size and modification time in ns. Editing, adding, removing
    or renaming any of them changes the text."""
    lines = []
    prefix = os.path.join(folder.parent, "")
    for path in brief_source_files(folder):
        try:
            stat = path.stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:  # gone since it was listed: the build reports it
            size = mtime = -1
        text = str(path)
        # ASCII JSON: a name that is not UTF-8 (its bytes kept as lone surrogates) is written as escapes
        name = json.dumps(text[len(prefix):] if text.startswith(prefix) else os.path.relpath(text, prefix))
        lines.append(f"{name}\t{size}\t{mtime}\n")
    return "".join(lines)


def files_present(folder: Path, names) -> set[str]:
    """Which of ``names`` (paths relative to ``folder``, with /) are files there: one listing per
    subfolder, not one ``stat`` per name (the rules ask it of every published file of every brief in each
    run, the collection index of every output it links)."""
    listings: dict[str, set[str]] = {}
    present = set()
    for name in names:
        parent, _, base = name.rpartition("/")
        if parent not in listings:
            try:
                with os.scandir(folder / parent) as entries:
                    listings[parent] = {entry.name for entry in entries if entry.is_file()}
            except OSError:
                listings[parent] = set()
        if base in listings[parent]:
            present.add(name)
    return present
