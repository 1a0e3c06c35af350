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
  buffering flushes after a write that holds a line end), the message goes
  out without its last line end, and a job's error line printed just then is
  glued to it (``... bash strict mode!)b/brief.yaml:3: error: ...``).
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

    For Snakemake's own process: its handler flushes after each message. What
    else is written there (the Snakefile's own lines go through :func:`say`,
    which flushes; Python's warnings do not) waits for the next message or the
    end of the process. Streams that are not text wrappers (a test's capture,
    say) are left as they are.
    """
    stream = stream if stream is not None else sys.stderr
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(line_buffering=False, write_through=False)
