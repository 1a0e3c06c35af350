"""The pandoc that ships inside pypandoc-binary, run as one coprocess per brief.

:class:`PandocSession` starts ``pandoc lua pipeline/lua/session.lua`` once and
sends it requests (read Markdown, run citeproc, convert BibTeX, write DOCX,
EPUB or HTML) as JSON lines, so a brief costs one pandoc start-up instead of
one per conversion. Each request has a deadline and pandoc's heap is capped:
pandoc's Markdown reader is exponential on some bracket patterns, and a
hostile file must end in an error, not in a machine without memory.

Network: the process runs with ``http_proxy`` (and friends) pointing at a
closed local port, so anything pandoc might try to fetch fails instead of
leaving the machine; the requests themselves never name a URL (see the Lua
side for the confinement of writers).
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .lifetime import die_with_parent

LUA_SESSION = Path(__file__).resolve().parent / "lua" / "session.lua"
# Where pandoc's HTTP requests go: a closed port, so they fail. Tests point it
# at a listener of their own to prove that no request is ever made.
BLOCKED_PROXY = os.environ.get("BRIEF_BLOCKED_PROXY", "http://127.0.0.1:9")
HEAP_LIMIT = "1536m"
DEFAULT_TIMEOUT = 60.0


class PandocError(Exception):
    """pandoc could not do what was asked (the message is pandoc's)."""


class PandocTimeout(PandocError):
    """pandoc did not answer within the deadline (the process is gone)."""


@functools.cache
def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@functools.cache
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def _die_with_parent() -> None:
    """In the child, before pandoc starts: end with the process that started it (Linux)."""
    die_with_parent()


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    for key in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[key] = BLOCKED_PROXY
    env.setdefault("LANG", "C.UTF-8")
    return env


@dataclass
class Response:
    result: object
    log: list[dict] = field(default_factory=list)


class PandocSession:
    """One ``pandoc lua`` coprocess; use as a context manager."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, environment: dict[str, str] | None = None):
        self.timeout = timeout
        self.environment = dict(environment or {})
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._stderr = None
        self._next_id = 0

    def __enter__(self) -> PandocSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> subprocess.Popen:
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [pandoc_path(), "+RTS", f"-M{HEAP_LIMIT}", "-RTS", "lua", str(LUA_SESSION)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env={**_environment(), **self.environment}, preexec_fn=_die_with_parent,
        )
        self._buffer = b""
        return self._process

    def set_environment(self, values: dict[str, str]) -> None:
        """Environment for pandoc from now on (e.g. SOURCE_DATE_EPOCH); restarts the process if it changes."""
        if all(self.environment.get(k) == v for k, v in values.items()):
            return
        self.environment.update(values)
        self.close()

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            process.stdout.close()
            if self._stderr is not None:
                self._stderr.close()

    def _kill(self) -> str:
        """Stop the process after a failure; return what it wrote to stderr."""
        process, self._process = self._process, None
        stderr = ""
        if process is not None:
            process.kill()
            process.wait()
            process.stdout.close()
            with_stderr = self._stderr
            if with_stderr is not None:
                with_stderr.seek(0)
                stderr = with_stderr.read().decode("utf-8", "replace").strip()
                with_stderr.close()
        return stderr

    def request(self, op: str, timeout: float | None = None, **args) -> Response:
        """Send one request and wait for its answer; raise PandocError on failure."""
        process = self._process or self._start()
        self._next_id += 1
        line = json.dumps({"id": self._next_id, "op": op, **args}, ensure_ascii=False).encode("utf-8") + b"\n"
        try:
            process.stdin.write(line)
            process.stdin.flush()
        except BrokenPipeError:
            raise PandocError(f"pandoc stopped: {self._kill() or 'no message'}") from None
        answer = self._read_line(timeout if timeout is not None else self.timeout)
        response = json.loads(answer)
        if not response.get("ok"):
            raise PandocError(_clean_error(str(response.get("error", "unknown error"))))
        return Response(response.get("result"), response.get("log") or [])

    def _read_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        stdout = self._process.stdout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self._kill()
                    raise PandocTimeout(f"pandoc did not finish within {timeout:.0f} s")
                chunk = os.read(stdout.fileno(), 1 << 20)
                if not chunk:
                    stderr = self._kill()
                    if "Heap exhausted" in stderr:
                        raise PandocError("pandoc ran out of memory")
                    raise PandocError(f"pandoc stopped: {stderr or 'no message'}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    # Convenience wrappers -------------------------------------------------------------

    def read_markdown(self, texts: list[str], extensions: str, timeout: float | None = None) -> list[dict]:
        """pandoc's JSON document tree of each text, read as ``markdown`` + ``extensions``."""
        return self.request("read_many", texts=texts, format=f"markdown{extensions}", timeout=timeout).result

    def citeproc(self, document: dict, references: tuple[str, str], csl: Path, lang: str,
                 suppress_bibliography: bool = False) -> Response:
        """pandoc's citeproc on ``document``; ``references`` is ("csljson" or "yaml", text)."""
        kind, text = references
        return self.request("citeproc", doc=json.dumps(document, ensure_ascii=False), references=text,
                            references_kind=kind, csl=str(csl), lang=lang,
                            suppress_bibliography=suppress_bibliography)

    def bibtex_to_csl(self, text: str, dialect: str = "biblatex") -> list[dict]:
        return json.loads(self.request("bibtex", text=text, format=dialect).result)

    def write(self, document: dict, fmt: str, *, out: Path | None = None, options: dict | None = None,
              media: list[tuple[str, str, Path]] = (), standalone: bool = False) -> Response:
        extra = {"out": str(out)} if out else {}
        try:
            return self.request("write", doc=json.dumps(document, ensure_ascii=False), format=fmt,
                                options=options or {}, standalone=standalone,
                                media=[[name, mime, str(path)] for name, mime, path in media], **extra)
        except PandocError as exc:
            raise _as_os_error(exc, out) from None

    def write_many(self, documents: list[dict], fmt: str, options: dict | None = None) -> list[str]:
        return self.request("write_many", docs=[json.dumps(d, ensure_ascii=False) for d in documents],
                            format=fmt, options=options or {}).result


def _as_os_error(exc: PandocError, out: Path | None) -> Exception:
    """A failed write of the output file (session.lua: "cannot write PATH: REASON") as the OSError it is,
    so that a full disk is reported as one (pipeline/job.py); any other error as it was."""
    import errno
    import os

    message = str(exc)
    if out is None or not message.startswith("cannot write "):
        return exc
    reason = message.rsplit(": ", 1)[-1]
    codes = {os.strerror(code): code for code in errno.errorcode}
    for text, code in codes.items():
        if reason.startswith(text):
            return OSError(code, text, str(out))
    return exc


def _clean_error(message: str) -> str:
    """pandoc's Lua errors carry a traceback and the script's path; keep the message."""
    first = message.strip().splitlines()[0] if message.strip() else message
    if "session.lua:" in first:
        first = first.split("session.lua:", 1)[1].split(":", 1)[-1].strip()
    return first
