"""A real browser for the tests: Debian's Chromium driven by Playwright, and axe-core inside it.

Nothing is downloaded at test time: Playwright is given the Chromium that
``scripts/setup.sh --test`` installs (``pip install playwright`` brings the
driver, not a browser), and axe-core is the copy bundled with DAISY Ace
(``.tools/``, installed by the same script), injected into the page.

:class:`Site` serves one folder over HTTP on 127.0.0.1, the way a web
server would publish it, so that a request for anything outside the folder
fails as it would on a website.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("BRIEF_CHROMIUM", "/usr/lib/chromium/chromium"))
AXE = REPO / ".tools" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"
SETUP_HINT = "run scripts/setup.sh --test"
# The WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA, as axe-core tags its rules.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def launch(playwright):
    """Chromium, headless, from the system (never a download)."""
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing ({SETUP_HINT}; or set BRIEF_CHROMIUM)"
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class Site:
    """``folder`` served read-only at ``http://127.0.0.1:PORT/`` in a background thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class PageLog:
    """What a page did while loading: console messages, page errors, requests, failures."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def watch(page) -> PageLog:
    """Record ``page``'s console errors and warnings, script errors, requests and failed requests."""
    log = PageLog()
    page.on("console", lambda m: log.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.on("request", lambda r: log.requests.append(r.url))
    page.on("requestfailed", lambda r: log.failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: log.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
    return log


def axe_violations(page, tags: list[str] = WCAG_AA) -> list[dict]:
    """axe-core's violations of ``tags`` on the page as it is now: [{id, impact, help, nodes: [html]}]."""
    assert AXE.is_file(), f"{AXE} is missing ({SETUP_HINT})"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.html.slice(0, 200))}));
    }""", tags)
    return result


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}: {'; '.join(v['nodes'][:3])}" for v in violations)
