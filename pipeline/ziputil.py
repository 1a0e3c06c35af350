"""Write zip containers (DOCX, EPUB) byte for byte the same on every build."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

_ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can hold


def zip_date_time(source_date_epoch: int | None) -> tuple:
    """The entry time: SOURCE_DATE_EPOCH clamped to 1980 or later (UTC)."""
    epoch = max(_ZIP_EPOCH, source_date_epoch or _ZIP_EPOCH)
    return time.gmtime(epoch)[:6]


def write_zip(dst: Path, entries: list[tuple[str, bytes]], *, source_date_epoch: int | None,
              stored: set[str] = frozenset()) -> None:
    """Write ``entries`` in the given order with fresh, fixed ZipInfo headers."""
    date_time = zip_date_time(source_date_epoch)
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compresslevel=9 if name not in stored else None)
