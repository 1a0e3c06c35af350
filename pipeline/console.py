"""Lines on a console that several processes write to at once, kept whole.

Under plain ``snakemake`` the jobs and Snakemake share one standard error. A
line reaches it whole only if it goes out in one ``write``: the kernel does
not interleave one small write to a pipe or terminal with another. Two
ordinary habits split a line in two writes, and another process's line can
then land in the gap:

- ``print(line)`` writes the text, then the line end; with ``PYTHONUNBUFFERED``
  (or ``python -u``) each is its own system call.
- Snakemake's text handler writes a message, then its line end. With
  ``PYTHONUNBUFFERED``, or when the message spans several lines (line
  buffering flushes at its first line end), the message's last line goes out
  without its line end, and a job's error line printed just then is glued to
  it (``... bash strict mode!)b/brief.yaml:3: error: ...``).
"""

from __future__ import annotations

import io
import sys
from typing import TextIO


def say(line: str, stream: TextIO | None = None) -> None:
    """Write one line (its line end included) in one write, and flush it."""
    stream = stream if stream is not None else sys.stderr
    stream.write(line + "\n")
    stream.flush()


def whole_messages(stream: TextIO | None = None) -> None:
    """Hold what is written to ``stream`` until it is flushed, so that each message goes out in one write.

    For Snakemake's own process: its handler flushes after each message, so
    nothing waits longer than the message it belongs to. Streams that are not
    text wrappers (a test's capture, say) are left as they are.
    """
    stream = stream if stream is not None else sys.stderr
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(line_buffering=False, write_through=False)
