"""A warm, stateless step runner for local builds (see :mod:`pipeline.job`).

The parent process imports the pipeline, WeasyPrint, lxml and the rest once,
then forks a fresh child for every request: each step runs in a clean copy
of that warm process, exactly as it would in a new one, and nothing carries
over from one job to the next. The worker stops when Snakemake, its parent,
goes away (its process id is the second argument).

    python -m pipeline.worker SOCKET_PATH SNAKEMAKE_PID
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socketserver
import sys
import threading
import time


def _warm_up() -> None:
    """Import what the steps import, before any fork."""
    import pipeline.content  # noqa: F401
    import pipeline.convert  # noqa: F401
    import pipeline.docx_endnotes  # noqa: F401
    import pipeline.document  # noqa: F401
    import pipeline.epub  # noqa: F401
    import pipeline.manifest  # noqa: F401
    import pipeline.pdf  # noqa: F401
    import pipeline.render  # noqa: F401
    import pipeline.steps  # noqa: F401
    import pypdf  # noqa: F401
    import weasyprint  # noqa: F401
    import weasyprint.text.fonts  # noqa: F401

    # Load the hyphenation dictionaries of the labelled languages and lay out
    # one small page with the house stylesheet and fonts, so that every
    # forked step finds them loaded. Caches only: outputs do not change.
    import pyphen

    for language in ("en", "es", "fr", "de", "pt"):
        pyphen.Pyphen(lang=language)
    from pipeline.pdf import BRIEF_URL, TEMPLATES_URL, confined_fetcher
    from pipeline.steps import TEMPLATES_DIR

    fetcher = confined_fetcher({BRIEF_URL: TEMPLATES_DIR, TEMPLATES_URL: TEMPLATES_DIR})
    font_config = weasyprint.text.fonts.FontConfiguration()
    sheets = [weasyprint.CSS(url=f"{TEMPLATES_URL}css/{name}", url_fetcher=fetcher, font_config=font_config)
              for name in ("fonts.css", "brief.css")]
    page = '<html lang="en"><body class="long"><h1>Warm</h1><p>Up <em>text</em> <strong>bold</strong>.</p></body></html>'
    weasyprint.HTML(string=page, base_url=BRIEF_URL, url_fetcher=fetcher).render(
        stylesheets=sheets, font_config=font_config).write_pdf()


class _StepHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        request = json.loads(self.rfile.readline())
        os.chdir(request["cwd"])
        for key, value in request["env"].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        output = io.StringIO()
        from pipeline.steps import main

        with contextlib.redirect_stderr(output), contextlib.redirect_stdout(output):
            try:
                status = main(request["argv"])
            except SystemExit as exc:  # argparse errors
                status = exc.code if isinstance(exc.code, int) else 2
            except Exception:  # a bug, not a content error: show it as the job would
                import traceback

                traceback.print_exc()
                status = 1
        self.wfile.write(json.dumps({"status": status, "output": output.getvalue()}).encode())


class _Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    # Many jobs may wait at once; the default of 5 could refuse some.
    request_queue_size = 64


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_when_orphaned(server: _Server, parent: int) -> None:
    while _alive(parent):
        time.sleep(0.5)
    server.shutdown()


def _exit_on_term(signum, frame) -> None:
    raise SystemExit(0)  # so that the socket is removed on the way out


def serve(path: str, parent: int) -> None:
    """Serve until the process ``parent`` (Snakemake) is gone."""
    signal.signal(signal.SIGTERM, _exit_on_term)
    if not _alive(parent):
        return
    _warm_up()
    try:
        with _Server(path, _StepHandler) as server:
            threading.Thread(target=_stop_when_orphaned, args=(server, parent), daemon=True).start()
            server.serve_forever(poll_interval=0.2)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
