"""The baseline: the plain way to make the six files without this project.

Usage::

    python benchmarks/baseline.py CONTENT_DIR OUT_DIR [--jobs 2]

For every brief under CONTENT_DIR it does what a user with pandoc and
WeasyPrint, and no pipeline, would script:

1. glue the brief into two Markdown files with a YAML header (title,
   subtitle, author, date, lang, bibliography): ``long.md`` = summary + every
   section under its title; ``short.md`` = summary + "Key points" (each
   section's title and key point);
2. per variant (both by default, ``--variants long`` for the full text only),
   one process per output: ``pandoc --citeproc`` to DOCX,
   ``pandoc --citeproc`` to EPUB, and ``pandoc --citeproc -s`` to HTML followed
   by the ``weasyprint`` command to PDF (pandoc's default HTML styling);
3. run those commands two at a time (``--jobs``), as ``xargs -P 2`` would.

Outputs go to ``OUT_DIR/<slug>/<slug>-{short,long}.{pdf,docx,epub}``. There
is no validation, no incremental rebuild, no notes numbering, endnotes or
accessibility metadata: it is the cost floor a user would compare against.
The gluing step is plain Python in this process and is part of the time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WEASYPRINT = str(Path(sys.executable).parent / "weasyprint")


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def _split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---\n"):
        end = text.index("\n---", 4)
        return yaml.safe_load(text[4:end]) or {}, text[end + 4:].lstrip("\n")
    return {}, text


def _header(meta: dict, bibliography: Path | None, title_suffix: str = "") -> str:
    header = {
        "title": meta["title"] + title_suffix,
        "date": str(meta["date"]),
        "lang": meta.get("language", "en"),
    }
    if meta.get("subtitle"):
        header["subtitle"] = meta["subtitle"]
    if meta.get("authors"):
        header["author"] = [a["name"] for a in meta["authors"]]
    if bibliography is not None:
        header["bibliography"] = str(bibliography)
    return "---\n" + json.dumps(header, ensure_ascii=False) + "\n---\n\n"


def glue(brief: Path, work: Path) -> dict[str, Path]:
    """Write ``work/long.md`` and ``work/short.md`` for ``brief``; return them."""
    meta = yaml.safe_load((brief / "brief.yaml").read_text(encoding="utf-8"))
    bibliography = next((brief / f"references.{ext}" for ext in ("yaml", "json", "bib")
                         if (brief / f"references.{ext}").exists()), None)
    summary = (brief / "summary.md").read_text(encoding="utf-8")
    long_parts = ["# Summary\n\n" + summary]
    short_parts = ["# Summary\n\n" + summary, "# Key points\n"]
    for path in sorted((brief / "sections").glob("*.md")):
        front, body = _split_front_matter(path.read_text(encoding="utf-8"))
        long_parts.append(f"# {front['title']}\n\n{body}")
        key_point = front.get("key_point") or body.split(". ")[0] + "."
        if front.get("short", True):
            short_parts.append(f"**{front['title']}.** {key_point.strip()}\n")
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    for variant, parts in (("long", long_parts), ("short", short_parts)):
        files[variant] = work / f"{variant}.md"
        files[variant].write_text(_header(meta, bibliography) + "\n\n".join(parts) + "\n", encoding="utf-8")
    return files


def tasks_for(brief: Path, out_dir: Path, pandoc: str,
              variants: tuple[str, ...] = ("short", "long")) -> list[list[list[str]]]:
    """The command chains of one brief: each chain runs its commands in order."""
    slug = brief.name
    dest = out_dir / slug
    sources = glue(brief, dest / "work")
    chains = []
    for variant in variants:
        md = str(sources[variant])
        stem = dest / f"{slug}-{variant}"
        common = [pandoc, md, "--citeproc", f"--resource-path={brief}"]
        toc = ["--toc"] if variant == "long" else []
        chains.append([[*common, *toc, "-o", f"{stem}.docx"]])
        chains.append([[*common, *toc, "-o", f"{stem}.epub"]])
        chains.append([[*common, *toc, "-s", "-o", f"{stem}.html"],
                       [WEASYPRINT, "--base-url", str(brief), f"{stem}.html", f"{stem}.pdf"]])
    return chains


def run_chain(chain: list[list[str]], errors: list[str], lock: threading.Lock) -> None:
    for command in chain:
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode < 0:
            # Killed by a signal (the weasyprint command has been seen to crash with SIGSEGV on a loaded
            # machine, at random): that is not the plain way failing on the content, so run it again once.
            print(f"retried after signal {-proc.returncode}: {' '.join(command)}", file=sys.stderr, flush=True)
            proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            messages = [line for line in proc.stderr.splitlines() if not line.startswith("WARNING")]
            with lock:
                errors.append(f"{' '.join(command)}: exit status {proc.returncode}: "
                              + "\n".join(messages)[-1500:])
            return


def build(content_dir: Path, out_dir: Path, jobs: int = 2, variants: tuple[str, ...] = ("short", "long")) -> int:
    """Build every brief; return the number of failed commands."""
    pandoc = pandoc_path()
    briefs = sorted(p for p in content_dir.iterdir()
                    if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "brief.yaml").is_file())
    errors: list[str] = []
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = []
        for brief in briefs:
            for chain in tasks_for(brief, out_dir, pandoc, variants):
                futures.append(pool.submit(run_chain, chain, errors, lock))
        for future in futures:
            future.result()
    for error in errors:
        print(error, file=sys.stderr)
    return len(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--jobs", type=int, default=2, help="commands run at the same time (default 2)")
    parser.add_argument("--variants", default="short,long",
                        help="which documents to make per brief (default short,long: the same six files as "
                             "the pipeline; 'long' = only the full text, as a user without a short version would)")
    args = parser.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v)
    failed = build(args.content_dir.resolve(), args.out_dir.resolve(), args.jobs, variants)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
