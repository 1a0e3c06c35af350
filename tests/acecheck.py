"""DAISY Ace (EPUB accessibility checker) on EPUBs, violations per file.

Ace is installed by the project into ``.tools`` (pinned by
``tools/ace/package.json`` and ``package-lock.json``)::

    mkdir -p .tools && cp tools/ace/package.json tools/ace/package-lock.json .tools/
    cd .tools && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund

and drives Debian's ``chromium`` (``apt-get install chromium``) through
puppeteer: ``PUPPETEER_EXECUTABLE_PATH`` points it there. Ace already starts
Chromium with ``--no-sandbox --disable-setuid-sandbox``, so it runs as root
without further flags; Chromium only needs the loopback interface up.
``ACE_TIMEOUT_INITIAL`` (ms, Ace's default 5000) is raised to 30000 because
Chromium can take longer than 5 s to start on a busy machine.
``ACE_CLI`` and ``CHROMIUM`` override where the two are looked for.

A violation is every Ace assertion whose outcome is ``fail``, whatever its
impact (minor, moderate, serious, critical).

Usage: ``python tests/acecheck.py OUTDIR a.epub b.epub ...``
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ACE = REPO / ".tools" / "node_modules" / ".bin" / "ace-cli"
INSTALL_HINT = ("install it with: mkdir -p .tools && cp tools/ace/package.json tools/ace/package-lock.json .tools/ "
                "&& cd .tools && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund")


class AceUnavailable(RuntimeError):
    """Ace, Node.js or Chromium is missing."""


def ace_command() -> list[str]:
    ace = Path(os.environ.get("ACE_CLI", DEFAULT_ACE))
    if not ace.exists():
        raise AceUnavailable(f"DAISY Ace not found at {ace}; {INSTALL_HINT}")
    if not shutil.which("node"):
        raise AceUnavailable("'node' (Node.js) is not on PATH; DAISY Ace needs it (apt-get install nodejs)")
    return [str(ace)]


def chromium() -> str:
    # Debian's /usr/bin/chromium is a shell wrapper whose start-up checks can fail
    # (e.g. on a machine where /dev/shm is mounted twice); the binary itself is enough.
    for candidate in (os.environ.get("CHROMIUM"), os.environ.get("PUPPETEER_EXECUTABLE_PATH"),
                      "/usr/lib/chromium/chromium", "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise AceUnavailable("Chromium not found (looked at $CHROMIUM, $PUPPETEER_EXECUTABLE_PATH, /usr/bin/chromium "
                         "and PATH); DAISY Ace runs its checks in it: apt-get install chromium")


def violations(report: dict) -> list[dict]:
    """The failed assertions of an Ace ``report.json``, one dict per violation."""
    found = []
    for document in report.get("assertions", []):
        where = document.get("earl:testSubject", {}).get("url", "")
        for assertion in document.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            found.append({
                "document": where,
                "rule": test.get("dct:title", ""),
                "impact": test.get("earl:impact", ""),
                "description": result.get("dct:description", ""),
                "pointer": result.get("earl:pointer", {}),
                "html": result.get("html", ""),
            })
    return found


def _run_one(command: list[str], env: dict, epub: Path, out: Path, timeout: float) -> list[dict]:
    if out.exists():
        shutil.rmtree(out)
    proc = subprocess.run([*command, "--force", "--outdir", str(out), str(epub)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    report_path = out / "report.json"
    if proc.returncode != 0 or not report_path.is_file():
        raise RuntimeError(f"DAISY Ace failed on {epub} (exit status {proc.returncode}):\n{proc.stdout[-3000:]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    found = violations(report)
    if report.get("earl:result", {}).get("earl:outcome") == "fail" and not found:
        found.append({"document": "", "rule": "ace-outcome", "impact": "", "description":
                      "Ace's overall outcome is 'fail' but no failed assertion was found in report.json",
                      "pointer": {}, "html": ""})
    return found


def run_ace(epubs: list[Path], outdir: Path, *, jobs: int = 2, timeout: float = 300) -> dict[Path, list[dict]]:
    """Run Ace on each EPUB (``jobs`` at a time); its violations per EPUB.

    Each report goes to ``outdir/<n>-<epub stem>/`` (report.json, report.html).
    Raises :class:`AceUnavailable` when Ace, Node.js or Chromium is missing.
    """
    epubs = [Path(e) for e in epubs]
    command = ace_command()
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=chromium(), PUPPETEER_SKIP_DOWNLOAD="1")
    # Ace gives Chromium 5 s to start; on a loaded 2-core machine that is not always enough.
    env.setdefault("ACE_TIMEOUT_INITIAL", "30000")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    outs = [outdir / f"{i:02d}-{epub.stem}" for i, epub in enumerate(epubs)]
    # Largest first (time grows with the number of documents): the pool then ends together.
    order = sorted(range(len(epubs)), key=lambda i: -epubs[i].stat().st_size)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {i: pool.submit(_run_one, command, env, epubs[i], outs[i], timeout) for i in order}
        return {epub: futures[i].result() for i, epub in enumerate(epubs)}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    results = run_ace([Path(a) for a in argv[1:]], Path(argv[0]))
    for path, found in results.items():
        print(f"{path}: {len(found)} violation(s)")
        for v in found:
            print(f"  [{v['impact']}] {v['rule']} in {v['document']}: {v['description'].splitlines()[0]}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
