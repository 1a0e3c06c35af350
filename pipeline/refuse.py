"""The job for a brief folder whose name is not a valid slug: say so, and fail.

    python -m pipeline.refuse FOLDER --log FILE

It is a job of its own so that, under plain ``snakemake`` as under
``brief build``, such a folder is reported (one line, non-zero exit) without
stopping the other briefs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from .console import say


def job_name(folder_name: str) -> str:
    """The name the refused folder's job goes by: no braces or slashes (any folder name is data), unique."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in folder_name)
    return f"{safe}-{hashlib.sha256(folder_name.encode()).hexdigest()[:8]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.refuse")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    line = (f"{args.folder}: error: '{args.folder.name}' is not a valid brief folder name "
            "(use lower-case letters, digits and hyphens, e.g. my-brief-2026; or start the name with _ to keep "
            "the folder out of the build)")
    if os.environ.get("BRIEF_JOB_QUIET") != "1":
        say(line)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(line + "\n", encoding="utf-8")
    return 1


if __name__ == "__main__":
    sys.exit(main())
