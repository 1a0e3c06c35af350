"""Publish staged outputs: every changed file and manifest.json, or nothing.

Each staged file that differs from the published one is first copied beside
its target under a temporary name and flushed to disk; only when every copy
has succeeded are they renamed into place (rename is atomic), manifest.json
last, so a reader never sees a half-written file, a failure (a full disk, a
read-only folder) leaves the published files as they were, and
manifest.json always describes the files beside it. Files whose bytes did
not change are not touched (same modification time).

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
}


@dataclass
class Report:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
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


def build_manifest(brief: dict, files: dict[str, Path], pages: dict[str, int], variants: dict, tools: dict,
                   extra: dict | None = None) -> dict:
    """manifest.json for ``files`` (published name -> the file that will be there)."""
    outputs = []
    for name in sorted(files):
        path = files[name]
        stem, fmt = name.rsplit(".", 1)
        entry = {"file": name, "variant": "short" if stem.endswith("-short") else "long", "format": fmt,
                 "media_type": MEDIA_TYPES.get(fmt, "application/octet-stream"),
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
    try:
        for name in sorted(staged):
            target = out_dir / name
            if _same(staged[name], target):
                report.unchanged.append(name)
                continue
            pending.append((_copy_beside(staged[name], target), target))
            report.written.append(name)
        present = {name: staged.get(name, out_dir / name) for name in expected
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
        _sync_folder(out_dir)
    report.manifest = manifest
    return report


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
