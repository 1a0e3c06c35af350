"""The ``brief`` command: build, check, scaffold, watch and proof briefs.

A thin layer over the library and the Snakemake workflow: content mistakes
come out as one line each (``path:line: error: message (hint)``) and a
non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from .content import SLUG_RE, discover_briefs, load_brief
from .errors import ContentError
from .steps import DONE

REPO_DIR = Path(__file__).resolve().parent.parent


def _content_dir(args) -> Path:
    return Path(args.content_dir).resolve()


def _select(content_dir: Path, slugs: list[str]) -> list[Path]:
    """Brief folders to work on: the named ones, or all of them."""
    folders = discover_briefs(content_dir)
    if not slugs:
        return folders
    by_name = {f.name: f for f in folders}
    missing = [s for s in slugs if s not in by_name]
    if missing:
        raise SystemExit(f"brief: no brief named {', '.join(missing)} in {content_dir} "
                         f"(briefs: {', '.join(by_name) or 'none'})")
    return [by_name[s] for s in slugs]


def check_briefs(folders: list[Path], out=sys.stdout) -> tuple[list[str], int, int]:
    """Validate ``folders``; print every problem; return (good slugs, errors, warnings)."""
    good, errors, warnings = [], 0, 0
    for folder in folders:
        try:
            brief = load_brief(folder)
        except ContentError as exc:
            problems = exc.problems
        else:
            problems = brief.warnings
            good.append(folder.name)
        for problem in problems:
            print(problem.format(relative_to=Path.cwd()), file=out)
            if problem.severity == "error":
                errors += 1
            else:
                warnings += 1
    return good, errors, warnings


def cmd_check(args) -> int:
    folders = _select(_content_dir(args), args.slugs)
    good, errors, warnings = check_briefs(folders)
    failed = len(folders) - len(good)
    print(f"checked {len(folders)} brief{'s' * (len(folders) != 1)}: "
          f"{failed} with errors, {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return 1 if errors else 0


def snakemake_command(content_dir: Path, build_dir: Path, slugs: list[str], cores: int) -> list[str]:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO_DIR / "Snakefile"),
               "--directory", str(REPO_DIR), "--cores", str(cores), "--keep-going",
               "--config", f"content_dir={content_dir}", f"build_dir={build_dir}"]
    if slugs:
        command.append(f"briefs={','.join(slugs)}")
    return command


# Lines of Snakemake's output that `brief build` shows without --verbose:
# the steps' own progress and problem lines, the step counter, and the outcome.
_COUNTER = re.compile(r"^(\d+) of (\d+) steps")
_TOTAL = re.compile(r"^total\s+(\d+)\s*$")  # last row of Snakemake's "Job stats" table
# Warnings were already shown by the check that runs before the build.
_PROBLEM = re.compile(r"^\S.*?: error: ")


def _run_snakemake(command: list[str], verbose: bool) -> int:
    """Run Snakemake; without ``verbose`` show only the lines a person needs."""
    if verbose:
        return subprocess.run(command).returncode
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    done, total = 0, 0
    for line in process.stdout:
        line = line.rstrip("\n")
        counter = _COUNTER.match(line)
        planned = _TOTAL.match(line)
        if planned:
            total = int(planned.group(1))
        elif counter:
            done, total = int(counter.group(1)), int(counter.group(2))
        elif line.startswith(DONE):
            # Snakemake counts a job after it ends: this line is the next one.
            print(f"[{min(done + 1, total or done + 1)}/{total or '?'}] {line[2:]}", flush=True)
        elif line.startswith("Nothing to be done"):
            print("nothing to do: every output is up to date", flush=True)
        elif _PROBLEM.match(line):
            print(line, flush=True)
    return process.wait()


def run_build(content_dir: Path, build_dir: Path, slugs: list[str], cores: int = 2, verbose: bool = False) -> int:
    """Check, then build the good briefs with Snakemake; print a summary table."""
    folders = _select(content_dir, slugs)
    started = time.time()
    good, errors, _ = check_briefs(folders, out=sys.stderr)
    failed = sorted({f.name for f in folders} - set(good))
    status = 0
    if good:
        status = _run_snakemake(snakemake_command(content_dir, build_dir, good, cores), verbose)
    _print_summary(build_dir, good, started)
    if failed:
        print(f"brief: {len(failed)} brief{'s' * (len(failed) != 1)} not built because of content errors: "
              f"{', '.join(failed)} (their previous outputs are unchanged)", file=sys.stderr)
        status = status or 1
    return status


def _print_summary(build_dir: Path, slugs: list[str], since: float) -> None:
    rows = []
    for slug in slugs:
        for path in sorted((build_dir / slug).glob(f"{slug}-*.*")):
            if path.suffix in (".pdf", ".docx", ".epub"):
                state = "built" if path.stat().st_mtime >= since - 1 else "unchanged"
                rows.append((slug, path.name, f"{path.stat().st_size / 1024:.0f} KB", state))
    if not rows:
        return
    built = sum(1 for r in rows if r[3] == "built")
    print(f"{built} of {len(rows)} outputs rebuilt in {time.time() - since:.1f} s, in {build_dir}:")
    width = max(len(r[1]) for r in rows)
    for _, name, size, state in rows:
        print(f"  {name:<{width}}  {size:>8}  {state}")


def cmd_build(args) -> int:
    return run_build(_content_dir(args), Path(args.build_dir).resolve(), args.slugs, args.cores, args.verbose)


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


def cmd_proof(args) -> int:
    build_dir = Path(args.build_dir).resolve()
    out_dir = build_dir / args.slug / "proof"
    pdfs = sorted((build_dir / args.slug).glob(f"{args.slug}-*.pdf"))
    if not pdfs:
        print(f"brief: no PDFs for '{args.slug}' in {build_dir}; run 'brief build {args.slug}' first", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), str(pdf), str(out_dir / pdf.stem)], check=True)
    pages = sorted(out_dir.glob("*.png"))
    print(f"{len(pages)} page images in {out_dir}")
    return 0


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

    p = sub.add_parser("build", help="build briefs into build/<slug>/", description="Check, then build briefs (only what changed is rebuilt).")
    common(p)
    p.add_argument("-j", "--cores", type=int, default=2, help="jobs to run at once (default 2)")
    p.add_argument("-v", "--verbose", action="store_true", help="show Snakemake's full log")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="validate briefs without building", description="Report every error and warning of the briefs; write nothing.")
    common(p, build=False)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("new", help="scaffold a new, valid brief", description="Create content/SLUG with a valid skeleton brief.")
    p.add_argument("slug", metavar="SLUG")
    common(p, slugs=False, build=False)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("watch", help="rebuild on save", description="Watch the briefs and rebuild the changed ones on save, until interrupted.")
    common(p)
    p.add_argument("-j", "--cores", type=int, default=2)
    p.add_argument("--debounce-ms", type=int, default=300, help="wait this long after the last change (default 300)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("proof", help="render every PDF page to PNG", description="Render the brief's PDF pages to PNG (pdftoppm) in build/<slug>/proof/.")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--build-dir", default="build")
    p.add_argument("--dpi", type=int, default=80)
    p.set_defaults(func=cmd_proof)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
