"""Publish staged outputs: every changed file and manifest.json, or nothing.

Each staged file that differs from the published one is first copied beside
its target under a temporary name and flushed to disk; only when every copy
has succeeded are they renamed into place (rename is atomic), manifest.json
last, so a reader never sees a half-written file, a failure (a full disk, a
read-only folder) leaves the published files as they were, and
manifest.json always describes the files beside it. Files whose bytes did
not change are not touched (same modification time).

A folder of outputs (the web edition, ``web/...``) is published file by file
in the same way, its pages (``*.html``) after the files they load, so that a
page never meets a style sheet of another build (the web edition names its
assets by their content, see :mod:`pipeline.web`). When the folder was staged,
the files of an earlier build that it no longer holds are removed once the
manifest is in place; when it was not, its published files are kept and
listed as they are.

Standard library only, plus pypdf for the page count of a PDF that was kept
from an earlier build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "epub": "application/epub+zip",
    "html": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "woff2": "font/woff2",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
}
# The pages of a published folder (web/) and the variant each one is; its other files serve both.
FOLDER_PAGES = {"index.html": "long", "short.html": "short"}


@dataclass
class Report:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files of a published folder no longer part of it
    manifest: dict = field(default_factory=dict)


def _same(a: Path, b: Path) -> bool:
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return a.read_bytes() == b.read_bytes()
    except FileNotFoundError:
        return False


def _digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _copy_beside(source: Path, target: Path) -> Path:
    temporary = target.with_name(f".{target.name}.publishing")
    with open(source, "rb") as src, open(temporary, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.chmod(temporary, 0o644)
    return temporary


def _write_beside(data: bytes, target: Path) -> Path:
    temporary = target.with_name(f".{target.name}.publishing")
    with open(temporary, "wb") as dst:
        dst.write(data)
        dst.flush()
        os.fsync(dst.fileno())
    os.chmod(temporary, 0o644)
    return temporary


def _pages(path: Path, staged_pages: dict[str, int]) -> int:
    if path.name in staged_pages:
        return staged_pages[path.name]
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _kind(name: str) -> dict:
    """variant and format of a published name; a file in a folder (web/) also says which edition it is of.

    ``<slug>-long.pdf``: long, pdf. ``web/index.html``: long, html, edition
    web; ``web/style-....css``: variant null (it serves both pages).
    """
    folder, _, base = name.rpartition("/")
    fmt = base.rsplit(".", 1)[1].lower() if "." in base else ""
    if folder:
        return {"variant": FOLDER_PAGES.get(base), "format": fmt, "edition": folder.split("/")[0]}
    return {"variant": "short" if base.rsplit(".", 1)[0].endswith("-short") else "long", "format": fmt}


def build_manifest(brief: dict, files: dict[str, Path], pages: dict[str, int], variants: dict, tools: dict,
                   extra: dict | None = None) -> dict:
    """manifest.json for ``files`` (published name -> the file that will be there)."""
    outputs = []
    for name in sorted(files):
        path = files[name]
        kind = _kind(name)
        fmt = kind["format"]
        entry = {"file": name, **kind, "media_type": MEDIA_TYPES.get(fmt, "application/octet-stream"),
                 "bytes": path.stat().st_size, "sha256": _digest(path)}
        if fmt == "pdf":
            entry["pages"] = _pages(path, pages)
        outputs.append(entry)
    manifest = {"brief": brief, "outputs": outputs, "variants": variants, "tools": tools}
    if extra:
        manifest.update(extra)
    return manifest


def publish(out_dir: Path, staged: dict[str, Path], expected: list[str], *, brief: dict, pages: dict[str, int],
            variants: dict, tools: dict) -> Report:
    """Publish ``staged`` (name -> staged file) into ``out_dir`` with a manifest of ``expected`` names present."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report()
    pending: list[tuple[Path, Path]] = []  # (temporary, target)
    folders = {name.split("/", 1)[0] for name in staged if "/" in name}  # folders published whole
    # a folder's pages after its other files (sorted() is stable)
    ordered = sorted(sorted(staged), key=lambda name: "/" in name and name.rsplit("/", 1)[1] in FOLDER_PAGES)
    try:
        for name in ordered:
            target = out_dir / name
            if _same(staged[name], target):
                report.unchanged.append(name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            pending.append((_copy_beside(staged[name], target), target))
            report.written.append(name)
        # Files of folders not staged this time stay as an earlier manifest listed them.
        kept = [name for name in _listed(out_dir) if "/" in name and name.split("/", 1)[0] not in folders]
        names = [*expected, *(n for n in staged if n not in expected), *(n for n in kept if n not in expected)]
        present = {name: staged.get(name, out_dir / name) for name in dict.fromkeys(names)
                   if name in staged or (out_dir / name).is_file()}
        # The manifest describes the files as they will be once renamed.
        manifest = build_manifest(brief, present, pages, variants, tools)
        data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        target = out_dir / MANIFEST
        if not (target.is_file() and target.read_bytes() == data):
            pending.append((_write_beside(data, target), target))
            report.written.append(MANIFEST)
        else:
            report.unchanged.append(MANIFEST)
    except BaseException:
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in pending:
        os.replace(temporary, target)
    if pending:
        for folder in {target.parent for _, target in pending}:
            _sync_folder(folder)
    for folder in sorted(folders):
        report.removed += _remove_stale(out_dir, folder, set(staged))
    report.manifest = manifest
    return report


def _listed(out_dir: Path) -> list[str]:
    """The files the published manifest.json lists (none if it is missing or unreadable)."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return [entry["file"] for entry in manifest.get("outputs", []) if isinstance(entry.get("file"), str)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []


def _remove_stale(out_dir: Path, folder: str, keep: set[str]) -> list[str]:
    """Remove the files of ``out_dir/folder`` that this build did not publish (an earlier build's), and
    folders left empty; the manifest no longer lists them. Returns the removed names."""
    root = out_dir / folder
    removed = []
    if not root.is_dir() or root.is_symlink():
        return removed
    for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
        name = path.relative_to(out_dir).as_posix()
        if path.is_dir() and not path.is_symlink():
            try:
                path.rmdir()  # only when empty
            except OSError:
                pass
        elif name not in keep:
            path.unlink(missing_ok=True)
            removed.append(name)
    return sorted(removed)


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
