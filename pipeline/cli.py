"""The ``brief`` command: build, check, scaffold, watch, preview, proof and unlock briefs.

A thin layer over the library and the Snakemake workflow: content mistakes
come out as one line each (``path:line: error: message (hint)``) and a
non-zero exit status, never as a traceback. ``brief build`` drives
Snakemake through its Python API (:mod:`pipeline.runner`) and reads its
events, not its console text.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .folders import SLUG_RE, discover_briefs

REPO_DIR = Path(__file__).resolve().parent.parent


def _content_dir(args) -> Path:
    return Path(args.content_dir).resolve()


def _select(content_dir: Path, slugs: list[str]) -> list[Path]:
    """Brief folders to work on: the named ones, or all of them."""
    if not content_dir.is_dir():
        raise SystemExit(f"brief: {content_dir}: error: no such folder (give the folder of the briefs with --content-dir)")
    folders = discover_briefs(content_dir)
    if not slugs:
        return folders
    by_name = {f.name: f for f in folders}
    missing = [s for s in slugs if s not in by_name]
    if missing:
        raise SystemExit(f"brief: no brief named {', '.join(missing)} in {content_dir} "
                         f"(briefs: {', '.join(by_name) or 'none'})")
    return [by_name[s] for s in slugs]


# --- check -------------------------------------------------------------------------------------

def check_brief(folder: Path, session, cache=None, *, layout: bool = True):
    """Everything ``brief build`` could fail on, without writing anything: (problems, document or None).

    Validation, citeproc, and the short version's page limit (a layout of
    its PDF in memory).
    """
    from .content import load_brief
    from .document import build_document
    from .errors import ContentError, Problem

    try:
        brief = load_brief(folder, session=session, cache=cache)
        document = build_document(brief, session)
    except ContentError as exc:
        return exc.problems, None, []
    problems = list(brief.warnings)
    if layout:
        overrun = short_overrun(document, folder, session)
        if overrun:
            problems.append(Problem(folder / "summary.md", overrun, None,
                                    "shorten summary.md or the key points, or raise short.max_pages in brief.yaml"))
    return problems, document, brief.details


def short_overrun(document, folder: Path, session) -> str | None:
    """The message if the short version does not fit its page limit, else None."""
    from .fonts import theme_faces
    from .pdf import count_pages
    from .stage import TEMPLATES_DIR, page_html
    from .theme import theme_folder_of

    page = page_html(document, "short", folder, TEMPLATES_DIR, session)
    theme_dir = theme_folder_of(folder, document.meta.identity.theme)
    pages = count_pages(page, brief_dir=folder, templates_dir=TEMPLATES_DIR, scripts=document.meta.scripts,
                        language=document.meta.language,
                        theme_dir=theme_dir, theme_fonts=theme_faces(document.meta.identity, theme_dir))
    limit = document.meta.short_max_pages
    if pages <= limit:
        return None
    over = pages - limit
    return f"the short version has {pages} pages, {over} page{'s' * (over != 1)} over its limit of {limit}"


def check_briefs(folders: list[Path], out=None, verbose: bool = False,
                 layout: bool = True) -> tuple[list[str], int, int]:
    """Validate ``folders``; print every problem to ``out`` (standard output); return (good slugs, errors, warnings)."""
    out = out or sys.stdout
    from .cache import Cache
    from .pandoc import PandocSession

    good, errors, warnings = [], 0, 0
    cache = Cache()
    with PandocSession() as session:
        for folder in folders:
            problems, _document, details = check_brief(folder, session, cache, layout=layout)
            if verbose:
                problems = [p for p in problems if "--verbose" not in p.hint] + list(details)
            for problem in problems:
                print(problem.format(relative_to=Path.cwd()), file=out, flush=True)
            failed = any(p.severity == "error" for p in problems)
            errors += sum(p.severity == "error" for p in problems)
            warnings += sum(p.severity == "warning" for p in problems)
            if not failed:
                good.append(folder.name)
    return good, errors, warnings


def cmd_check(args) -> int:
    folders = _select(_content_dir(args), args.slugs)
    good, errors, warnings = check_briefs(folders, verbose=args.verbose, layout=not args.no_layout)
    failed = len(folders) - len(good)
    print(f"checked {len(folders)} brief{'s' * (len(folders) != 1)}: "
          f"{failed} with errors, {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return 1 if errors else 0


# --- build -------------------------------------------------------------------------------------

def _runner_command(content_dir: Path, build_dir: Path, slugs: list[str], cores: int) -> list[str]:
    request = {"snakefile": str(REPO_DIR / "Snakefile"), "content_dir": str(content_dir),
               "build_dir": str(build_dir), "slugs": slugs, "cores": cores, "parent": os.getpid()}
    return [sys.executable, "-m", "pipeline.runner", json.dumps(request)]


def _log_messages(paths: list[str]) -> list[str]:
    """The one-line messages a job wrote at the top of its log (before any traceback)."""
    from .job import TRACEBACK_MARK

    lines = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            if line == TRACEBACK_MARK:
                break
            if line.strip():
                lines.append(line)
    return lines


def _marker(build_dir: Path, slug: str) -> dict | None:
    try:
        return json.loads((build_dir / slug / ".work" / "published.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class _Progress:
    """Prints one line per finished or failed brief, from the runner's events."""

    def __init__(self, build_dir: Path, verbose: bool, folder_names: dict[str, str] | None = None):
        self.build_dir = build_dir
        self.folder_names = folder_names or {}  # a refused folder's job name -> the folder's own name
        self.verbose = verbose
        self.total = 0
        self.done = 0
        self.failed: list[str] = []
        self.built: list[str] = []
        self.nothing = False
        self.errors: list[str] = []

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        if self.verbose:
            print(json.dumps(event, ensure_ascii=False), flush=True)
        if kind == "planned":
            rules = event.get("rules")
            if isinstance(rules, dict):  # the briefs' jobs (and refused folders'), not "all" or "index"
                self.total = int(rules.get("brief", 0)) + int(rules.get("refused", 0))
            else:
                self.total = max(0, int(event["total"]) - 1)  # the final "all" job is not a brief
        elif kind == "nothing_to_do":
            self.nothing = True
        elif kind == "job_finished" and event.get("rule") == "brief":
            self.done += 1
            slug = event["wildcards"].get("slug", "?")
            self.built.append(slug)
            marker = _marker(self.build_dir, slug) or {}
            written, unchanged = marker.get("written", []), marker.get("unchanged", [])
            print(f"[{self.done}/{self.total or '?'}] {slug}: {len(written)} file{'s' * (len(written) != 1)} "
                  f"written, {len(unchanged)} unchanged", flush=True)
            for warning in marker.get("warnings", []):
                print(f"  {warning}", flush=True)
        elif kind == "job_failed" and event.get("rule") == "index":
            messages = _log_messages(event.get("log", [])) or [f"the collection index failed with no message "
                                                               f"(see {', '.join(event.get('log', []))})"]
            self.failed.append("the collection index")
            print("collection index (index.html): failed", file=sys.stderr, flush=True)
            for line in messages:
                print(f"  {line}", file=sys.stderr, flush=True)
        elif kind == "job_failed":
            self.done += 1
            name = event.get("wildcards", {}).get("slug") or event.get("wildcards", {}).get("name", "?")
            name = self.folder_names.get(name, name)
            self.failed.append(name)
            messages = _log_messages(event.get("log", [])) or [f"{name}: error: the build step failed with no "
                                                               f"message (see {', '.join(event.get('log', []))})"]
            print(f"[{self.done}/{self.total or '?'}] {name}: failed", file=sys.stderr, flush=True)
            for line in messages:
                print(f"  {line}", file=sys.stderr, flush=True)
        elif kind == "error":
            self.errors.append(event["message"])


def run_build(content_dir: Path, build_dir: Path, slugs: list[str], cores: int = 2, verbose: bool = False) -> int:
    """Build the briefs with Snakemake (through pipeline.runner); print progress and a summary."""
    from .buildlock import BuildLock, BuildLockError

    folders = _select(content_dir, slugs)
    started = time.time()
    try:
        lock = BuildLock(build_dir)
        lock.acquire(announce=lambda message: print(message, file=sys.stderr, flush=True))
    except BuildLockError as exc:
        print(f"brief: {exc}", file=sys.stderr)
        return 1
    try:
        if lock.cleared_stale:
            print(f"brief: removed a stale lock in {build_dir} left by a build that was stopped", file=sys.stderr)
        from .refuse import job_name

        progress = _Progress(build_dir, verbose, {job_name(f.name): f.name for f in folders})
        status = _run_runner(_runner_command(content_dir, build_dir, [f.name for f in folders], cores), progress)
    finally:
        lock.release()
    _print_summary(build_dir, progress, [f.name for f in folders], started)
    for orphan in orphan_outputs(content_dir, build_dir):
        print(f"{build_dir / orphan}: warning: no brief named '{orphan}' in {content_dir} any more; its outputs "
              "are left as they were (delete the folder if the brief was removed or renamed)", file=sys.stderr)
    if status != 0 and not progress.failed:
        reason = progress.errors[0] if progress.errors else "Snakemake stopped without saying why"
        print(f"brief: error: the build did not run: {reason} (run with --verbose for Snakemake's events)",
              file=sys.stderr)
    return status


def _run_runner(command: list[str], progress: _Progress) -> int:
    from .runner import read_events

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=None if progress.verbose else subprocess.DEVNULL,
                               text=True, bufsize=1, cwd=REPO_DIR)

    def stop(signum, frame):
        process.kill()
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    ok = False
    try:
        for event in read_events(process.stdout):
            if event.get("event") == "done":
                ok = bool(event.get("ok"))
            progress.handle(event)
        process.wait()
    except KeyboardInterrupt:
        process.kill()
        process.wait()
        print("brief: stopped; the outputs of briefs not finished are as they were", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if ok and process.returncode == 0 else 1


def orphan_outputs(content_dir: Path, build_dir: Path) -> list[str]:
    """Build folders of briefs that are no longer in the content folder (removed or renamed)."""
    if not build_dir.is_dir():
        return []
    present = {folder.name for folder in discover_briefs(content_dir)}
    return sorted(folder.name for folder in build_dir.iterdir()
                  if folder.is_dir() and (folder / ".work" / "published.json").is_file() and folder.name not in present)


def _partial_record(build_dir: Path, slug: str) -> dict | None:
    """What a failed brief's job published anyway (pipeline/job.py writes it), if anything."""
    from .job import PARTIAL_RECORD

    try:
        record = json.loads((build_dir / slug / ".work" / PARTIAL_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("written") else None


def _print_summary(build_dir: Path, progress: _Progress, slugs: list[str], since: float) -> None:
    elapsed = time.time() - since
    if progress.nothing and not progress.failed:
        print(f"nothing to do: every output is up to date ({len(slugs)} brief{'s' * (len(slugs) != 1)}, "
              f"{elapsed:.1f} s)", flush=True)
        return
    written = unchanged = 0
    partly = {name: record for name in progress.failed if (record := _partial_record(build_dir, name))}
    for marker in [_marker(build_dir, slug) or {} for slug in progress.built] + list(partly.values()):
        written += len(marker.get("written", []))
        unchanged += len(marker.get("unchanged", []))
    line = (f"built {len(progress.built)} brief{'s' * (len(progress.built) != 1)} in {elapsed:.1f} s: "
            f"{written} file{'s' * (written != 1)} written, {unchanged} unchanged, in {build_dir}")
    print(line, flush=True)
    if progress.failed:
        print(f"brief: {len(progress.failed)} brief{'s' * (len(progress.failed) != 1)} failed: "
              f"{', '.join(progress.failed)} (their previous outputs are unchanged"
              f"{', but for what is said below' if partly else ''})", file=sys.stderr, flush=True)
        for name, record in partly.items():
            written = record.get("written", [])
            print(f"brief: {name}: published {len(written)} file{'s' * (len(written) != 1)} despite the error "
                  f"({', '.join(written[:4])}{', ...' if len(written) > 4 else ''}); the files the error concerns "
                  "are unchanged", file=sys.stderr, flush=True)


def cmd_build(args) -> int:
    return run_build(_content_dir(args), Path(args.build_dir).resolve(), args.slugs, args.cores, args.verbose)


def cmd_unlock(args) -> int:
    from .buildlock import BuildLock, BuildLockError

    build_dir = Path(args.build_dir).resolve()
    try:
        lock = BuildLock(build_dir)
        lock.acquire(wait=False)
    except BuildLockError as exc:
        print(f"brief: {exc}", file=sys.stderr)
        return 1
    lock.release()
    print(f"{build_dir}: {'removed a stale lock' if lock.cleared_stale else 'not locked'}")
    return 0


# --- new, watch, proof -----------------------------------------------------------------------------

SCAFFOLD = {
    "brief.yaml": """title: {title}
subtitle: A short line that says what the brief adds
question: What question does this brief answer?
date: {date}
authors:
  - name: Your Name
    affiliation: Your Team
organization: Your Organisation
language: en
version: "0.1"
keywords: [policy]
distribution: Internal — do not circulate
""",
    "summary.md": """Write the executive summary here: three to six sentences that a busy reader
can act on. Cite sources like this [@example-source].
""",
    "sections/01-background.md": """---
title: Background
key_point: >
  One or two sentences that carry this section's message into the short version.
---
Write the section here. Cite a source with its id [@example-source, p. 2].
""",
    "references.yaml": """# CSL YAML: one entry per source; cite an entry as [@id].
references:
  - id: example-source
    type: report
    title: Replace this with the title of a real source
    author:
      - literal: Replace with the author or organisation
    issued:
      date-parts: [[{year}]]
""",
}


def cmd_new(args) -> int:
    slug = args.slug
    if not SLUG_RE.match(slug):
        print(f"brief: '{slug}' is not a valid brief name (use lower-case letters, digits and hyphens)", file=sys.stderr)
        return 2
    folder = _content_dir(args) / slug
    if folder.exists():
        print(f"brief: {folder} already exists; choose another name", file=sys.stderr)
        return 2
    today = datetime.date.today()
    title = slug.replace("-", " ").capitalize()
    for name, text in SCAFFOLD.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(title=title, date=today.isoformat(), year=today.year), encoding="utf-8")
    (folder / "assets").mkdir()
    print(f"created {folder}: edit brief.yaml, summary.md and sections/, then run 'brief build {slug}'")
    return 0


def cmd_watch(args) -> int:
    from .watch import watch

    return watch(_content_dir(args), Path(args.build_dir).resolve(), args.slugs, cores=args.cores,
                 debounce_ms=args.debounce_ms, verbose=args.verbose)


def cmd_preview(args) -> int:
    from .preview import preview

    return preview(_content_dir(args), Path(args.build_dir).resolve(), args.slugs, port=args.port,
                   open_browser=args.open, cores=args.cores, debounce_ms=args.debounce_ms)


def cmd_proof(args) -> int:
    build_dir = Path(args.build_dir).resolve()
    out_dir = build_dir / args.slug / "proof"
    pdfs = sorted((build_dir / args.slug).glob(f"{args.slug}-*.pdf"))
    if not pdfs:
        print(f"brief: no PDFs for '{args.slug}' in {build_dir}; run 'brief build {args.slug}' first", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.png"):
        old.unlink()
    for pdf in pdfs:
        subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), str(pdf), str(out_dir / pdf.stem)], check=True)
    pages = sorted(out_dir.glob("*.png"))
    print(f"{len(pages)} page images in {out_dir}")
    return 0


# --- the command line --------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="brief", description="Build policy briefs into short and long PDF, DOCX and EPUB.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, slugs=True, build=True):
        p.add_argument("--content-dir", default=os.environ.get("BRIEF_CONTENT_DIR", "content"),
                       help="folder holding the briefs (default: content)")
        if build:
            p.add_argument("--build-dir", default=os.environ.get("BRIEF_BUILD_DIR", "build"),
                           help="folder for the outputs (default: build)")
        if slugs:
            p.add_argument("slugs", nargs="*", metavar="SLUG", help="briefs to work on (default: all)")

    p = sub.add_parser("build", help="build briefs into build/<slug>/",
                       description="Build briefs (only what changed is rebuilt); a broken brief keeps its outputs.")
    common(p)
    p.add_argument("-j", "--cores", type=int, default=2, help="jobs to run at once (default 2)")
    p.add_argument("-v", "--verbose", action="store_true", help="show Snakemake's events and messages")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="validate briefs without building",
                       description="Report every error and warning of the briefs, including a short version over "
                                   "its page limit; write nothing.")
    common(p, build=False)
    p.add_argument("-v", "--verbose", action="store_true", help="list every problem that is summed up in one line")
    p.add_argument("--no-layout", action="store_true", help="skip laying out the short version (page limit)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("new", help="scaffold a new, valid brief", description="Create content/SLUG with a valid skeleton brief.")
    p.add_argument("slug", metavar="SLUG")
    common(p, slugs=False, build=False)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("watch", help="rebuild on save",
                       description="Watch the briefs and rebuild the changed ones on save, until interrupted.")
    common(p)
    p.add_argument("-j", "--cores", type=int, default=2)
    p.add_argument("--debounce-ms", type=int, default=300, help="wait this long after the last change (default 300)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("preview", help="show briefs in a browser, rebuilt and reloaded on save",
                       description="Serve the build folder on 127.0.0.1 (the web edition at "
                                   "/SLUG/web/index.html); after each save rebuild the brief's web edition and "
                                   "reload the page, then build the PDF, DOCX and EPUB in the background. Content "
                                   "errors are shown on the page. Ctrl-C stops it.")
    common(p)
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument("-j", "--cores", type=int, default=2, help="jobs of the background build (default 2)")
    p.add_argument("--debounce-ms", type=int, default=100, help="wait this long after the last change (default 100)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("proof", help="render every PDF page to PNG",
                       description="Render the brief's PDF pages to PNG (pdftoppm) in build/<slug>/proof/.")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--build-dir", default=os.environ.get("BRIEF_BUILD_DIR", "build"))
    p.add_argument("--dpi", type=int, default=80)
    p.set_defaults(func=cmd_proof)

    p = sub.add_parser("unlock", help="remove a stale lock left by a killed build",
                       description="Remove the lock a killed build left in the build folder (never one of a build "
                                   "that is still running).")
    p.add_argument("--build-dir", default=os.environ.get("BRIEF_BUILD_DIR", "build"))
    p.set_defaults(func=cmd_unlock)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a folder that cannot be read or written: one line, no traceback
        where = exc.filename or ""
        print(f"brief: {where}{': ' if where else ''}error: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
