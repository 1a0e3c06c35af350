"""A small on-disk cache for results that are pure functions of a file's bytes.

Used for the index of large references files (a 4,000-entry export is
indexed once, then read back in milliseconds). Keys include the content hash
and a format version, so an entry can never be stale; a cache that cannot be
read or written is simply not used (the result is computed again).
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def default_cache_dir() -> Path:
    if os.environ.get("BRIEF_CACHE_DIR"):
        return Path(os.environ["BRIEF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "brief-pipeline"


class Cache:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get_json(self, key: str):
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put_json(self, key: str, data) -> None:
        from .fsutil import write_text_atomic

        try:
            write_text_atomic(self._path(key), json.dumps(data, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written only costs time
