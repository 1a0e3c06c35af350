"""What the Snakemake rule runs for one brief: stage everything, then publish.

    python -m pipeline.job --brief DIR --out DIR --marker FILE --log FILE [--templates DIR] [--parent PID]

The published files (the six outputs, the web edition and manifest.json) are not the rule's
declared outputs: Snakemake deletes a job's declared outputs when it starts
and when it fails, and a published file must never be lost. The rule
declares ``--marker`` instead (``.work/published.json``), written last, which
records what was published; the published files are written only by
:mod:`pipeline.publish`, atomically, after the whole brief has been staged.

Every failure prints one line ``path[:line]: error: message (hint)`` on
standard error; the log holds the same lines and, for anything that is not a
content mistake, the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import traceback
from pathlib import Path

from .console import say as say_on_console
from .lifetime import die_with_parent

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# Under `brief build` the CLI prints the messages, from the log.
QUIET = os.environ.get("BRIEF_JOB_QUIET") == "1"
# In a log, what comes after this line is for developers (a traceback).
TRACEBACK_MARK = "--- traceback ---"


def tool_versions() -> dict:
    from importlib.metadata import version

    from .pandoc import pandoc_version

    return {"pandoc": pandoc_version(), "weasyprint": version("weasyprint"), "snakemake": version("snakemake")}


# Written when a brief's job publishes part of its outputs and fails (a short version over its page limit):
# what it wrote, for `brief build`'s summary.
PARTIAL_RECORD = "partial.json"


def expected_outputs(slug: str) -> list[str]:
    """The published files every brief has: six documents and the web edition's two pages (its style sheet,
    fonts and images, named by their content, are listed in manifest.json)."""
    return [*(f"{slug}-{variant}.{fmt}" for variant in ("short", "long") for fmt in ("pdf", "docx", "epub")),
            "web/index.html", "web/short.html"]


def build(brief_dir: Path, out_dir: Path, marker: Path, templates_dir: Path = TEMPLATES_DIR,
          log: list[str] | None = None) -> int:
    """Stage and publish one brief; return the exit status. Messages go to ``log`` and standard error."""
    from .cache import Cache
    from .errors import ContentError
    from .fsutil import write_text_atomic
    from .manifest import brief_entry, variant_counts
    from .publish import publish
    from .stage import stage_brief

    log = log if log is not None else []
    work = out_dir / ".work"
    stage_dir = work / "stage"
    shutil.rmtree(stage_dir, ignore_errors=True)
    partial = work / PARTIAL_RECORD
    partial.unlink(missing_ok=True)

    def say(line: str) -> None:
        log.append(line)
        if not QUIET:
            say_on_console(line)

    try:
        work.mkdir(parents=True, exist_ok=True)
        document, result = stage_brief(brief_dir, stage_dir, templates_dir, cache=Cache(), work_dir=work,
                                       on_content_read=settle_garbage_collector)
    except ContentError as exc:
        for problem in exc.problems:
            say(problem.format(relative_to=brief_dir.parent))
        return 1
    except OSError as exc:
        say(_os_error(out_dir, exc))
        return 1
    try:
        report = publish(out_dir, result.files, expected_outputs(document.slug), brief=brief_entry(document),
                         pages=result.pages, variants=variant_counts(document), tools=tool_versions())
        for line in result.errors:
            say(line)
        record = {"slug": document.slug, "written": report.written, "unchanged": report.unchanged,
                  "removed": report.removed,
                  "errors": result.errors, "warnings": result.warnings, "manifest": report.manifest}
        text = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        if result.errors:
            # Snakemake deletes the marker of a failed job: this record tells `brief build` what was published
            write_text_atomic(partial, text)
        write_text_atomic(marker, text)
    except OSError as exc:
        say(_os_error(out_dir, exc))
        return 1
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
    return 1 if result.errors else 0


def _os_error(out_dir: Path, exc: OSError) -> str:
    import errno

    hints = {errno.ENOSPC: "free some disk space and build again",
             errno.EROFS: "the build folder is read-only: choose another with --build-dir",
             errno.EACCES: "you may not write there: check the folder's permissions or choose another with --build-dir",
             errno.EDQUOT: "the disk quota is exhausted: free some space and build again"}
    where = exc.filename or out_dir
    return (f"{where}: error: cannot write the outputs: {exc.strerror or exc} "
            f"({hints.get(exc.errno, 'the previous outputs are unchanged')})")


# Allocations between two collections of the youngest generation (Python's default: 700). WeasyPrint's layout
# allocates millions of short-lived objects; at the default the collector ran often enough to take a tenth
# of a job's time.
YOUNG_GENERATION_THRESHOLD = 50_000


def settle_garbage_collector() -> None:
    """Import the modules every job uses, then keep their objects out of the garbage collector's scans.

    A job is one short process: the modules' hundreds of thousands of
    objects live as long as it does, and scanning them again on every full
    collection was pure cost (gc.freeze is meant for this). Measured on a
    corpus brief: about 0.4 CPU-s of 4.3 (benchmarks/results.md). Called once
    the brief has been read and checked: a job that fails on a content
    mistake does not pay for importing WeasyPrint (about 0.5 s).
    """
    import gc

    import lxml.etree  # noqa: F401
    import weasyprint  # noqa: F401

    from . import content, convert, document, docx_finish, pdf, render, stage, web  # noqa: F401

    gc.collect()
    gc.freeze()


def collect_garbage_less_often() -> None:
    """From the job's start: reading the brief allocates many short-lived objects too."""
    import gc

    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.job", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brief", type=Path, required=True, help="the brief's folder")
    parser.add_argument("--out", type=Path, required=True, help="the brief's build folder (build/<slug>)")
    parser.add_argument("--marker", type=Path, required=True, help="written last: what was published")
    parser.add_argument("--log", type=Path, help="also write messages (and tracebacks) here")
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR)
    parser.add_argument("--parent", type=int, help="end when this process (Snakemake) ends")
    args = parser.parse_args(argv)
    if args.parent:
        die_with_parent(args.parent)
    collect_garbage_less_often()
    log: list[str] = []
    try:
        status = build(args.brief, args.out, args.marker, args.templates, log)
    except Exception as exc:  # a bug, not a content mistake: one line here, the traceback in the log
        where = f" (the traceback is in {args.log})" if args.log else ""
        line = f"{args.brief.name}: error: internal error: {type(exc).__name__}: {exc}{where}"
        if not QUIET:
            say_on_console(line)
        log += [line, TRACEBACK_MARK, traceback.format_exc()]
        status = 1
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text("".join(line.rstrip("\n") + "\n" for line in log), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
