"""Run the pandoc that ships inside pypandoc-binary (no system pandoc)."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path


class PandocError(Exception):
    """pandoc exited with an error."""


@functools.cache
def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@functools.cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def run_pandoc(args: list[str], stdin: str | None = None, *, cwd: Path | None = None,
               source_date_epoch: int | None = None) -> str:
    """Run pandoc with ``args``, feeding ``stdin``; return its standard output."""
    env = dict(os.environ)
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    proc = subprocess.run(
        [pandoc_path(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    if proc.returncode != 0:
        raise PandocError(proc.stderr.strip() or f"pandoc exited with status {proc.returncode}")
    return proc.stdout
