"""A warm, stateless step runner for local builds (see :mod:`pipeline.job`).

The parent process imports the pipeline, WeasyPrint, lxml and the rest once,
then forks a fresh child for every request: each step runs in a clean copy
of that warm process, exactly as it would in a new one, and nothing carries
over from one job to the next. The worker stops when Snakemake, its parent,
goes away.

    python -m pipeline.worker SOCKET_PATH
"""

from __future__ import annotations

import contextlib
import io
import json
import os
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


def _stop_when_orphaned(server: _Server, parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    server.shutdown()


def serve(path: str) -> None:
    _warm_up()
    parent = os.getppid()
    try:
        with _Server(path, _StepHandler) as server:
            threading.Thread(target=_stop_when_orphaned, args=(server, parent), daemon=True).start()
            server.serve_forever(poll_interval=0.2)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    serve(sys.argv[1])
