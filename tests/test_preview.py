"""``brief preview`` as an editor uses it: save, see the page change; make a mistake, see it on the page.

One preview of a small brief runs for the module (``brief preview mini``
as a user starts it), watched by a real browser (tests/browser.py). The
tests save files in its content folder and wait for what the page shows.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from browser import launch, watch
from conftest import FIXTURES, REPO

SLUG = "mini"


class Preview:
    """``brief preview`` in a child process, its console collected line by line."""

    def __init__(self, content: Path, build: Path, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "preview", *args, "--content-dir", str(content),
             "--build-dir", str(build)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = self.wait_for(r"^preview: (http://127\.0\.0\.1:\d+/\S*)", 60).group(1)
        self.origin = re.match(r"http://[^/]+", self.url).group(0)
        self.port = int(self.origin.rsplit(":", 1)[1])

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in: {self.lines}")

    def get(self, raw_path: str) -> tuple[int, bytes]:
        """A request with the path sent exactly as written (no normalisation by the client)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("GET", raw_path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def stop(self, sig=signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("brief preview did not stop within 15 s of Ctrl-C") from None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("preview")
    shutil.copytree(FIXTURES / SLUG, root / "content" / SLUG)
    opened = root / "opened.txt"
    # --open hands the address to the web browser: here a script that writes it down
    browser = root / "browser.sh"
    browser.write_text(f"#!/bin/sh\necho \"$1\" >> {opened}\n")
    browser.chmod(0o755)
    preview = Preview(root / "content", root / "build", SLUG, "--open", env={"BROWSER": str(browser)})
    preview.root, preview.opened = root, opened
    yield preview
    preview.stop()


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.log = watch(page)
        page.goto(site.url)
        page.wait_for_load_state("load")
        yield page
        browser.close()


def command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def summary_path(site) -> Path:
    return site.root / "content" / SLUG / "summary.md"


def test_the_address_is_printed_served_on_loopback_only_and_opened_when_asked(site):
    assert site.url == f"{site.origin}/{SLUG}/web/index.html"
    for _ in range(100):
        if site.opened.is_file():
            break
        time.sleep(0.05)
    assert site.opened.read_text().split() == [site.url]
    listening = [c for c in psutil.Process(site.process.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert [(c.laddr.ip, c.laddr.port) for c in listening] == [("127.0.0.1", site.port)]
    status, body = site.get(f"/{SLUG}/web/index.html")
    assert status == 200 and b"/__brief__/live.js" in body
    # the published page itself holds no preview script
    assert b"__brief__" not in (site.root / "build" / SLUG / "web" / "index.html").read_bytes()


def test_a_saved_edit_appears_on_the_page_within_3_s(site, page):
    summary = summary_path(site)
    original = summary.read_text(encoding="utf-8")
    started = time.monotonic()
    summary.write_text("Zebra crossings are the new ferries. " + original, encoding="utf-8")
    page.wait_for_function("document.querySelector('#summary p').textContent.includes('Zebra crossings')",
                           timeout=3000)
    took = time.monotonic() - started
    summary.write_text(original, encoding="utf-8")
    page.wait_for_function("!document.querySelector('#summary p').textContent.includes('Zebra crossings')",
                           timeout=3000)
    assert took < 3


def test_a_content_error_shows_over_the_page_and_goes_when_fixed(site, page):
    summary = summary_path(site)
    original = summary.read_text(encoding="utf-8")
    good = page.locator("#summary p").first.inner_text()
    summary.write_text(original.rstrip("\n") + "\n\nAs shown before [@no-such-source].\n", encoding="utf-8")
    line = len(original.rstrip("\n").splitlines()) + 2
    overlay = page.locator("#brief-preview-errors")
    overlay.wait_for(state="visible", timeout=3000)
    assert overlay.get_attribute("role") == "alert"
    assert overlay.locator(".where").all_inner_texts() == [f"{SLUG}/summary.md:{line}"]
    assert "unknown citation id 'no-such-source'" in overlay.locator(".message").inner_text()
    # the last good page is still there, underneath
    assert page.locator("#summary p").first.inner_text() == good
    # a reload keeps showing it while the error is there
    page.reload()
    overlay.wait_for(state="visible", timeout=3000)
    site.wait_for(rf"^{SLUG}/summary.md:{line}: error: unknown citation id", 5)
    summary.write_text(original, encoding="utf-8")
    overlay.wait_for(state="detached", timeout=3000)
    assert page.locator("#summary p").first.inner_text() == good


def test_the_background_build_follows_with_pdf_docx_and_epub(site):
    site.wait_for(rf"^{SLUG}: PDF, DOCX and EPUB up to date", 120)
    build = site.root / "build"
    for variant in ("short", "long"):
        for fmt in ("pdf", "docx", "epub"):
            assert (build / SLUG / f"{SLUG}-{variant}.{fmt}").is_file()
    assert (build / "index.html").is_file()


@pytest.mark.parametrize("raw", ["/../../../../etc/passwd", "/mini/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                                 "/mini/%2E%2E/%2E%2E/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc/passwd",
                                 "//etc/passwd", "/%2fetc/passwd", "/mini\\..\\..\\etc\\passwd",
                                 "http://127.0.0.1/../etc/passwd", "/.work/build.lock", "/mini/.work/brief.json",
                                 "/mini/web/leak/passwd", "/mini/web/%00index.html"])
def test_nothing_outside_the_build_folder_is_served(site, raw):
    leak = site.root / "build" / SLUG / "web" / "leak"
    if not leak.is_symlink():
        leak.symlink_to("/etc")  # a link inside the build folder that leads out
    status, body = site.get(raw)
    assert status in (403, 404), (raw, status)
    assert b"root:" not in body


def test_ctrl_c_stops_the_preview_cleanly(tmp_path):
    """A second preview, started without --open: it opens nothing; Ctrl-C stops it and its build."""
    shutil.copytree(FIXTURES / SLUG, tmp_path / "content" / SLUG)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f"#!/bin/sh\necho \"$1\" >> {opened}\n")
    browser.chmod(0o755)
    preview = Preview(tmp_path / "content", tmp_path / "build", SLUG, "--port", "0",
                      env={"BROWSER": str(browser)})
    # stopped while its background build runs (the first one builds every output)
    process = psutil.Process(preview.process.pid)
    deadline = time.monotonic() + 10
    while not any("pipeline.job" in command(c) for c in process.children(recursive=True)):
        assert time.monotonic() < deadline, "the background build did not start"
        time.sleep(0.05)
    children = process.children(recursive=True)
    assert preview.get(f"/{SLUG}/web/index.html")[0] == 200
    status = preview.stop(signal.SIGINT)
    assert status == 0
    preview.reader.join(timeout=5)
    assert preview.lines[-1] == "stopped the preview"
    assert not any("Traceback" in line for line in preview.lines)
    assert not opened.exists()
    time.sleep(1)
    assert [c.pid for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
    with pytest.raises(OSError):
        preview.get("/")
