"""Lines written to a shared console go out whole (pipeline/console.py).

Under plain ``snakemake`` a job's error line and Snakemake's own messages
share one standard error; a line split over two writes can have another
process's text land inside it. These tests count the writes that reach the
file descriptor, on streams set up as Python sets up standard error.
"""

from __future__ import annotations

import io
import logging

import pytest
from snakemake.logging import ColorizingTextHandler

from pipeline.console import say, whole_messages


class CountingRaw(io.RawIOBase):
    """What the operating system would see: one entry per write system call."""

    def __init__(self):
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.writes.append(bytes(data))
        return len(data)


def stderr_like(unbuffered: bool) -> tuple[io.TextIOWrapper, CountingRaw]:
    """Standard error as Python opens it for a pipe: line-buffered, or write-through under PYTHONUNBUFFERED."""
    raw = CountingRaw()
    if unbuffered:
        return io.TextIOWrapper(raw, encoding="utf-8", write_through=True), raw
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", line_buffering=True), raw


MULTI_LINE = "Error in rule brief:\n    jobid: 3\n    shell: exec python -m pipeline.job (exited non-zero)"


def emit_through_snakemakes_handler(stream, message: str) -> None:
    handler = ColorizingTextHandler(nocolor=True, stream=stream, formatter=logging.Formatter("%(message)s"))
    handler.emit(logging.LogRecord("snakemake", logging.ERROR, __file__, 1, message, None, None))


@pytest.mark.parametrize("unbuffered", [False, True], ids=["line-buffered", "PYTHONUNBUFFERED"])
def test_snakemakes_handler_splits_a_message_from_its_line_end_on_a_plain_stderr(unbuffered):
    """Why whole_messages exists: without it, the last line of a message goes out without its line end."""
    stream, raw = stderr_like(unbuffered)
    emit_through_snakemakes_handler(stream, MULTI_LINE)
    assert len(raw.writes) == 2 and raw.writes[-1] == b"\n"


@pytest.mark.parametrize("unbuffered", [False, True], ids=["line-buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("message", [MULTI_LINE, "Finished jobid: 3 (Rule: brief)"], ids=["multi-line", "one-line"])
def test_whole_messages_makes_each_snakemake_message_one_write(unbuffered, message):
    stream, raw = stderr_like(unbuffered)
    whole_messages(stream)
    for _ in range(3):
        emit_through_snakemakes_handler(stream, message)
    assert raw.writes == [(message + "\n").encode()] * 3


@pytest.mark.parametrize("unbuffered", [False, True], ids=["line-buffered", "PYTHONUNBUFFERED"])
def test_say_writes_a_line_and_its_end_at_once(unbuffered):
    line = "b/sections/01-a.md:5: error: unknown citation id 'x' (add an entry with id 'x' to references.yaml)"
    stream, raw = stderr_like(unbuffered)
    say(line, stream)
    assert raw.writes == [(line + "\n").encode()]
    # print() would have made two writes of it under PYTHONUNBUFFERED
    if unbuffered:
        print(line, file=stream, flush=True)
        assert raw.writes[1:] == [line.encode(), b"\n"]


def test_whole_messages_leaves_streams_that_are_not_text_wrappers_alone():
    capture = io.StringIO()
    whole_messages(capture)
    say("one line", capture)
    assert capture.getvalue() == "one line\n"
