"""``brief preview``: the briefs in a browser, rebuilt and reloaded on every save.

The build folder is served as the site root on 127.0.0.1 only
(``http://127.0.0.1:PORT/<slug>/web/index.html``). After a save in a brief
(or in templates/), the preview

1. stops a background build still running (its outputs are published
   atomically, so a stopped build leaves the earlier ones as they were);
2. rebuilds the web edition of each changed brief in this process
   (:func:`pipeline.web.publish_web`: one pandoc session kept open, font
   subsets cached; a fraction of a second) and tells the open pages to
   reload (Server-Sent Events, ``/__brief__/events``);
3. builds everything else (PDF, DOCX, EPUB, the collection index) in the
   background through the ordinary build (Snakemake, as ``brief build``).

A content error is shown on the page as an overlay naming ``file:line`` and
the message, over the last good page; it goes away when the error is fixed.
Both the in-process web build and the background build report them (the
short version's page limit is found by the latter). Every HTML page served
gets the small script that does this (``templates/js/preview.js``); the
files in the build folder are not changed by it.

Nothing outside the build folder is served: a path with ``..``, a
backslash, a NUL, a folder whose name starts with ``.`` (``.work``,
``.snakemake``) or a symbolic link that leads out is refused (403 or 404).
Ctrl-C (or SIGTERM) stops the watcher, the background build and the server.
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SPECIAL = "/__brief__/"
LIVE_SCRIPT = TEMPLATES_DIR / "js" / "preview.js"
KEEP_ALIVE = 15.0  # seconds between comments on an idle event stream
TYPES = {".woff2": "font/woff2", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
         ".html": "text/html", ".svg": "image/svg+xml", ".epub": "application/epub+zip",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


# --- state shared by the server's threads and the watcher -----------------------------------------------

class State:
    """The errors of each brief and the open event streams."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.web_errors: dict[str, list[dict]] = {}  # from the in-process web build
        self.build_errors: dict[str, list[dict]] = {}  # from the background build
        self.clients: list[queue.Queue] = []
        self.closed = False

    def snapshot(self) -> dict:
        with self.lock:
            slugs = sorted(set(self.web_errors) | set(self.build_errors))
            errors = {slug: self.web_errors.get(slug, []) + [e for e in self.build_errors.get(slug, [])
                                                             if e not in self.web_errors.get(slug, [])]
                      for slug in slugs}
        return {"errors": {slug: problems for slug, problems in errors.items() if problems}}

    def set_errors(self, source: str, slug: str, problems: list[dict]) -> None:
        with self.lock:
            table = self.web_errors if source == "web" else self.build_errors
            if problems:
                table[slug] = problems
            else:
                table.pop(slug, None)
        self.send("state", self.snapshot())

    def send(self, event: str, data: dict) -> None:
        message = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
        with self.lock:
            for client in self.clients:
                client.put(message)

    def subscribe(self) -> queue.Queue:
        client: queue.Queue = queue.Queue()
        with self.lock:
            self.clients.append(client)
        return client

    def unsubscribe(self, client: queue.Queue) -> None:
        with self.lock:
            if client in self.clients:
                self.clients.remove(client)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for client in self.clients:
                client.put(None)


def problem_entry(line: str) -> dict:
    """A one-line message ``path[:line]: error: message (hint)`` as the overlay shows it."""
    match = re.match(r"^(?P<where>.*?): (?P<severity>error|warning): (?P<message>.*)$", line)
    if not match:
        return {"where": "", "message": line, "text": line}
    return {"where": match["where"], "message": match["message"], "text": line}


# --- the server ---------------------------------------------------------------------------------------

class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, build_dir: Path, state: State, home: str):
        self.build_dir = build_dir.resolve()
        self.state = state
        self.home = home
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "brief-preview"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # the console is for the editor's messages, not one line per request

    # -- responses --

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _message(self, status: int, title: str, text: str) -> None:
        from html import escape

        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
                '</head><body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">'
                f'<main><h1>{escape(title)}</h1><p>{escape(text)}</p></main></body></html>\n')
        self._send(status, _inject(page.encode("utf-8")), "text/html; charset=utf-8")

    def do_HEAD(self):  # noqa: N802 - the base class's name
        self.do_GET()

    def do_GET(self):  # noqa: N802 - the base class's name
        try:
            self._get()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _get(self) -> None:
        raw = self.path.split("?", 1)[0].split("#", 1)[0]  # as sent: urlsplit would read //x/ as a host
        if raw.startswith(SPECIAL):
            return self._special(raw[len(SPECIAL):])
        if raw == "/":
            return self._send(302, b"", "text/plain", {"Location": self.server.home})
        target, refusal = resolve(self.server.build_dir, raw)
        if refusal == 403:
            return self._message(403, "Forbidden", "The preview serves only the files of the build folder.")
        if target is None:
            return self._message(404, "Not found", "There is no such file in the build folder (yet): the page "
                                                   "reloads when it is built.")
        if target.is_dir():
            if not raw.endswith("/"):
                return self._send(301, b"", "text/plain", {"Location": raw + "/"})
            target = target / "index.html"
            if not target.is_file():
                return self._message(404, "Not found", "This folder has no index.html (yet).")
        try:
            data = target.read_bytes()
        except OSError:
            return self._message(404, "Not found", "The file could not be read.")
        kind = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind == "text/html":
            data = _inject(data)
        if kind.startswith("text/") or kind in ("application/json",):
            kind += "; charset=utf-8"
        self._send(200, data, kind)

    def _special(self, name: str) -> None:
        if name == "live.js":
            return self._send(200, LIVE_SCRIPT.read_bytes(), "text/javascript; charset=utf-8")
        if name == "state":
            return self._send(200, json.dumps(self.server.state.snapshot()).encode("utf-8"),
                              "application/json; charset=utf-8")
        if name == "events":
            return self._events()
        return self._message(404, "Not found", "No such preview resource.")

    def _events(self) -> None:
        """Server-Sent Events: the current errors now, then every change and every reload."""
        state = self.server.state
        client = state.subscribe()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            snapshot = json.dumps(state.snapshot(), ensure_ascii=False)
            self.wfile.write(f"retry: 500\nevent: state\ndata: {snapshot}\n\n".encode())
            self.wfile.flush()
            while not state.closed:
                try:
                    message = client.get(timeout=KEEP_ALIVE)
                except queue.Empty:
                    message = b": keep-alive\n\n"
                if message is None:
                    break
                self.wfile.write(message)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            state.unsubscribe(client)


def resolve(root: Path, raw_path: str) -> tuple[Path | None, int | None]:
    """The file a URL path names inside ``root``: (path, None), or (None, 403) / (None, 404).

    Refused (403): ``..`` in the path, as written or percent-encoded; a
    backslash or NUL; a path that does not start with one ``/`` (``//host``);
    anything that resolves outside ``root`` (a symbolic link leading out).
    Not found (404): a segment starting with ``.`` (the build's own
    ``.work``/``.snakemake``), or no such file.
    """
    if not raw_path.startswith("/") or raw_path.startswith("//"):
        return None, 403
    path = unquote(raw_path)
    segments = path.split("/")
    if any(seg == ".." for seg in raw_path.split("/") + segments) or "\\" in path or "\x00" in path:
        return None, 403
    if any(seg.startswith(".") for seg in segments if seg):
        return None, 404
    candidate = root.joinpath(*[seg for seg in segments if seg])
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, 404
    if real != root and not real.is_relative_to(root):
        return None, 403
    return real, None


def _inject(page: bytes) -> bytes:
    """The page with the preview's script (reload, error overlay) before ``</body>``."""
    tag = f'<script src="{SPECIAL}live.js"></script>\n'.encode("ascii")
    index = page.lower().rfind(b"</body>")
    return page[:index] + tag + page[index:] if index >= 0 else page + tag


# --- rebuilding ---------------------------------------------------------------------------------------

class Preview:
    """The watcher's side: web editions in-process, everything else in a background build."""

    def __init__(self, content_dir: Path, build_dir: Path, slugs: list[str], *, cores: int, state: State,
                 out=None):
        self.content_dir = content_dir
        self.build_dir = build_dir
        self.slugs = slugs
        self.cores = cores
        self.state = state
        self.out = out or sys.stdout
        self.session = None
        self.cache = None
        self.background: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    # -- the web edition, in this process --

    def web(self, slug: str) -> bool:
        """Rebuild and publish ``slug``'s web edition; record its errors; True if it built."""
        from .buildlock import BuildLock, BuildLockError
        from .cache import Cache
        from .errors import ContentError
        from .pandoc import PandocSession
        from .web import publish_web

        started = time.monotonic()
        if self.session is None:
            self.session = PandocSession().__enter__()
            self.cache = Cache()
        lock = BuildLock(self.build_dir)
        try:
            lock.acquire(announce=self.say)
        except BuildLockError as exc:
            self.say(f"brief: {exc}")
            return False
        try:
            publish_web(self.content_dir / slug, self.build_dir / slug, session=self.session, cache=self.cache)
        except ContentError as exc:
            lines = [p.format(relative_to=self.content_dir) for p in exc.problems]
            for line in lines:
                self.say(line)
            self.state.set_errors("web", slug, [problem_entry(line) for line in lines])
            return False
        except Exception as exc:  # not a content mistake: one line, and a fresh pandoc next time
            line = f"{slug}: error: the web edition failed: {type(exc).__name__}: {exc}"
            self.say(line)
            self.state.set_errors("web", slug, [problem_entry(line)])
            self._restart_session()
            return False
        finally:
            lock.release()
        self.state.set_errors("web", slug, [])
        self.say(f"{slug}: web edition updated in {time.monotonic() - started:.1f} s")
        return True

    def _restart_session(self) -> None:
        if self.session is not None:
            try:
                self.session.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - it is being replaced
                pass
        self.session = None

    # -- everything else, in the background --

    def start_background(self, slugs: list[str]) -> None:
        """PDF, DOCX, EPUB and the collection index of ``slugs`` through the ordinary build."""
        from .buildlock import BuildLock, BuildLockError
        from .cli import REPO_DIR, _runner_command

        self.stop_background()
        lock = BuildLock(self.build_dir)
        try:
            lock.acquire(announce=self.say)
        except BuildLockError as exc:
            self.say(f"brief: {exc}")
            return
        process = subprocess.Popen(_runner_command(self.content_dir, self.build_dir, slugs, self.cores),
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                   cwd=REPO_DIR)
        self.background = process
        self.reader = threading.Thread(target=self._read_events, args=(process, lock, slugs, time.monotonic()),
                                       daemon=True)
        self.reader.start()

    def _read_events(self, process: subprocess.Popen, lock, slugs: list[str], started: float) -> None:
        from .cli import _log_messages
        from .runner import read_events

        failed = []
        ok = False
        try:
            for event in read_events(process.stdout):
                kind, rule = event.get("event"), event.get("rule")
                slug = (event.get("wildcards") or {}).get("slug")
                if kind == "job_finished" and rule == "brief" and slug:
                    self.state.set_errors("build", slug, [])
                elif kind == "job_failed" and rule == "brief" and slug:
                    failed.append(slug)
                    lines = _log_messages(event.get("log", [])) or [f"{slug}: error: the build failed"]
                    self.state.set_errors("build", slug, [problem_entry(line) for line in lines])
                elif kind == "job_failed" and rule == "index":
                    self.say("brief: the collection index (index.html) could not be written: see "
                             + ", ".join(event.get("log", [])))
                elif kind == "done":
                    ok = bool(event.get("ok"))
            process.wait()
        finally:
            lock.release()
        if process.returncode in (-signal.SIGKILL, -signal.SIGTERM):
            return  # stopped for a newer save
        took = time.monotonic() - started
        if ok and not failed:
            self.say(f"{', '.join(slugs)}: PDF, DOCX and EPUB up to date ({took:.1f} s)")
        elif failed:
            self.say(f"{', '.join(failed)}: PDF, DOCX or EPUB not rebuilt (see the messages on the page)")
        else:
            self.say("brief: the background build failed; run 'brief build' to see why")
        self.state.send("reload", {"slugs": [], "index": True})

    def stop_background(self) -> None:
        process, reader = self.background, self.reader
        self.background = self.reader = None
        if process is not None and process.poll() is None:
            process.kill()  # its jobs die with it (pipeline/lifetime.py); outputs are published atomically
        if process is not None:
            process.wait()
        if reader is not None:
            reader.join(timeout=30)

    # -- a save --

    def changed(self, slugs: list[str]) -> None:
        self.stop_background()
        for slug in slugs:  # the background build's errors were about the content before this save
            self.state.set_errors("build", slug, [])
        built = [slug for slug in slugs if self.web(slug)]
        if built:
            self.state.send("reload", {"slugs": built, "index": False})
        self.start_background(slugs)

    def close(self) -> None:
        self.stop_background()
        self._restart_session()


def home_page(slugs: list[str]) -> str:
    """The page the preview opens: the brief's web edition, or the collection index for several."""
    if len(slugs) == 1:
        return f"/{slugs[0]}/web/index.html"
    return "/index.html"


def preview(content_dir: Path, build_dir: Path, slugs: list[str], *, port: int = 0, open_browser: bool = False,
            cores: int = 2, debounce_ms: int = 100) -> int:
    """Serve, build and watch until interrupted; return the exit status."""
    from watchfiles import watch as watch_files

    from .cli import _select
    from .watch import _changed_slugs

    content_dir, build_dir = content_dir.resolve(), build_dir.resolve()
    chosen = [folder.name for folder in _select(content_dir, slugs)]
    if not chosen:
        print(f"brief: no briefs in {content_dir} (create one with 'brief new SLUG')", file=sys.stderr)
        return 1
    build_dir.mkdir(parents=True, exist_ok=True)
    state = State()
    try:
        server = PreviewServer(port, build_dir, state, home_page(chosen))
    except OSError as exc:
        print(f"brief: error: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc} "
              "(choose another port with --port, or leave it out for a free one)", file=sys.stderr)
        return 1
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    worker = Preview(content_dir, build_dir, chosen, cores=cores, state=state)
    templates_dir = TEMPLATES_DIR.resolve()

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    first = True
    try:
        for changes in watch_files(content_dir, templates_dir, debounce=debounce_ms, step=50, rust_timeout=500,
                                   yield_on_timeout=True):
            if first:
                first = False
                for slug in chosen:
                    worker.web(slug)
                address = server.url + server.home
                print(f"preview: {address} (Ctrl-C to stop)", flush=True)
                if open_browser:
                    import webbrowser

                    webbrowser.open(address)
                worker.start_background(chosen)
                continue
            if not changes:
                continue
            present = {folder.name for folder in _select(content_dir, [])}
            todo = sorted(slug for slug in _changed_slugs(changes, content_dir, templates_dir, chosen)
                          if slug in present)
            if todo:
                print(f"change in {', '.join(todo)}: rebuilding", flush=True)
                worker.changed(todo)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        worker.close()
        state.close()
        server.shutdown()
        server.server_close()
        print("stopped the preview", flush=True)
    return 0
