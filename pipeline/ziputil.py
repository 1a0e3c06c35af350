"""Write zip containers (DOCX, EPUB) byte for byte the same on every build."""

from __future__ import annotations

import struct
import time
import zipfile
from pathlib import Path

_ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can hold


def zip_date_time(source_date_epoch: int | None) -> tuple:
    """The entry time: SOURCE_DATE_EPOCH clamped to 1980 or later (UTC)."""
    epoch = max(_ZIP_EPOCH, source_date_epoch or _ZIP_EPOCH)
    return time.gmtime(epoch)[:6]


def _raw_deflated(source: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of a member, as stored (local header skipped)."""
    source.fp.seek(info.header_offset)
    header = source.fp.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    source.fp.seek(info.header_offset + 30 + name_length + extra_length)
    return source.fp.read(info.compress_size)


def _write_raw(archive: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """Append an already deflated member (zipfile has no public call for it)."""
    info.header_offset = archive.fp.tell()
    archive.fp.write(info.FileHeader(zip64=False))
    archive.fp.write(raw)
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info
    archive.start_dir = archive.fp.tell()
    archive._didModify = True


def write_zip(dst: Path, entries: list[tuple[str, bytes]], *, source_date_epoch: int | None,
              stored: set[str] = frozenset(), reuse: Path | None = None) -> None:
    """Write ``entries`` in the given order with fresh, fixed ZipInfo headers.

    With ``reuse`` (the zip the entries were read from), a deflated member
    whose bytes did not change is copied as it is compressed there instead of
    being compressed again: fonts make up most of a DOCX or EPUB, and
    deflating them again took most of the post-processing time. The result
    is still determined by the input.
    """
    date_time = zip_date_time(source_date_epoch)
    source = zipfile.ZipFile(reuse) if reuse else None
    try:
        with zipfile.ZipFile(dst, "w") as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=date_time)
                info.external_attr = 0o644 << 16
                info.create_system = 3
                old = source.NameToInfo.get(name) if source else None
                if (old is not None and name not in stored and old.compress_type == zipfile.ZIP_DEFLATED
                        and old.file_size == len(data) and source.read(name) == data):
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.CRC, info.file_size, info.compress_size = old.CRC, old.file_size, old.compress_size
                    _write_raw(archive, info, _raw_deflated(source, old))
                    continue
                info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9 if name not in stored else None)
    finally:
        if source:
            source.close()
