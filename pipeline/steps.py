"""The build steps that the Snakemake rules run, one function per rule.

Each step reads only the files its rule declares as input and writes only the
files it declares as output, so any Snakemake executor can run it. Run as
``python -m pipeline.steps STEP ARGS`` (see ``main``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .errors import ContentError, PageLimitError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
DONE = "\u2713"  # marks a step's progress line; `brief build` shows these


def source_date_epoch(document: dict) -> int:
    """SOURCE_DATE_EPOCH if set, else midnight UTC of the brief's date."""
    import calendar
    import datetime

    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    date = datetime.date.fromisoformat(document["meta"]["date"])
    return calendar.timegm(date.timetuple())


def rendered_paths(document_path: Path, slug: str, variant: str) -> dict[str, Path]:
    """Where ``prepare`` writes a variant's rendered files (beside brief.json)."""
    stem = document_path.parent / f"{slug}-{variant}"
    return {"html": Path(f"{stem}.html"), "html_md": Path(f"{stem}.html.md"),
            "docx_md": Path(f"{stem}.docx.md"), "epub_md": Path(f"{stem}.epub.md")}


def prepare(brief_dir: Path, out: Path, templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """Validate a brief, write its intermediate JSON and render both variants.

    Returns the warnings. Rendering happens here, in the job that may fail on
    content, so that later jobs (which write final outputs) do not fail.
    """
    from .content import load_brief
    from .document import build_document, write_document

    brief = load_brief(brief_dir)
    document = build_document(brief, templates_dir)
    write_document(document, out)
    for variant in ("short", "long"):
        render_variant(document, variant, brief_dir, rendered_paths(out, brief.slug, variant), templates_dir)
    return [warning.format() for warning in brief.warnings]


def render_variant(document: dict, variant: str, brief_dir: Path, outputs: dict[str, Path],
                   templates_dir: Path = TEMPLATES_DIR) -> None:
    """Write one variant's HTML page and its Markdown for html, docx and epub.

    ``outputs`` maps "html", "html_md", "docx_md" and "epub_md" to paths.
    """
    from .fsutil import write_text_atomic
    from .render import markdown_to_html, render_markdown, render_page

    for target in ("docx", "epub"):
        write_text_atomic(outputs[f"{target}_md"], render_markdown(document, variant, target, templates_dir))
    html_md = render_markdown(document, variant, "html", templates_dir)
    write_text_atomic(outputs["html_md"], html_md)
    page = render_page(document, variant, markdown_to_html(html_md, brief_dir, templates_dir), templates_dir)
    write_text_atomic(outputs["html"], page)


def pdf(document_path: Path, html: Path, variant: str, brief_dir: Path, out: Path,
        templates_dir: Path = TEMPLATES_DIR) -> int:
    """Render the PDF; the short one must fit its page limit."""
    from .document import read_document
    from .pdf import render_pdf

    document = read_document(document_path)
    limit = document["meta"]["short"]["max_pages"] if variant == "short" else None
    return render_pdf(html, out, brief_dir=brief_dir, templates_dir=templates_dir, max_pages=limit)


def publish(document_path: Path, variant: str, brief_dir: Path, staged_pdf: Path, docx_md: Path,
            epub_md: Path, out_pdf: Path, out_docx: Path, out_epub: Path,
            templates_dir: Path = TEMPLATES_DIR) -> None:
    """Write the variant's final PDF, DOCX and EPUB (after the PDF passed its checks)."""
    from .convert import make_docx, make_epub
    from .document import read_document
    from .fsutil import replace_atomic

    document = read_document(document_path)
    epoch = source_date_epoch(document)
    make_docx(docx_md, out_docx, brief_dir=brief_dir, templates_dir=templates_dir,
              endnotes=variant == "long", source_date_epoch=epoch, page_size=document["meta"]["page_size"])
    make_epub(epub_md, out_epub, brief_dir=brief_dir, templates_dir=templates_dir, source_date_epoch=epoch)
    tmp = out_pdf.with_name(f".{out_pdf.name}.part")
    shutil.copyfile(staged_pdf, tmp)
    replace_atomic(tmp, out_pdf)


def manifest(document_path: Path, outputs: list[Path], out: Path) -> None:
    from .document import read_document
    from .manifest import build_manifest, write_manifest

    write_manifest(build_manifest(read_document(document_path), outputs), out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline.steps", description=__doc__)
    parser.add_argument("--log", type=Path, help="also write messages to this file")
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR, help="the templates folder")
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="validate a brief and write its intermediate JSON")
    p.add_argument("--brief", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("pdf", help="render one variant's PDF")
    p.add_argument("--document", type=Path, required=True)
    p.add_argument("--html", type=Path, required=True)
    p.add_argument("--variant", choices=("short", "long"), required=True)
    p.add_argument("--brief", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("publish", help="write one variant's final PDF, DOCX and EPUB")
    for name in ("document", "brief", "staged-pdf", "docx-md", "epub-md", "out-pdf", "out-docx", "out-epub"):
        p.add_argument(f"--{name}", type=Path, required=True)
    p.add_argument("--variant", choices=("short", "long"), required=True)
    p = sub.add_parser("manifest", help="write manifest.json")
    p.add_argument("--document", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("outputs", type=Path, nargs="+")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    messages: list[str] = []
    status = 0
    slug = (args.brief.name if getattr(args, "brief", None) else args.document.parent.parent.name)
    try:
        if args.step == "prepare":
            messages += prepare(args.brief, args.out, args.templates)
            messages.append(f"{DONE} {slug}: checked, short and long versions rendered")
        elif args.step == "pdf":
            pages = pdf(args.document, args.html, args.variant, args.brief, args.out, args.templates)
            messages.append(f"{DONE} {slug}: {args.variant} PDF laid out, {pages} page{'s' * (pages != 1)}")
        elif args.step == "publish":
            publish(args.document, args.variant, args.brief, args.staged_pdf, args.docx_md, args.epub_md,
                    args.out_pdf, args.out_docx, args.out_epub, args.templates)
            messages.append(f"{DONE} {slug}: {args.variant} PDF, DOCX and EPUB written")
        elif args.step == "manifest":
            manifest(args.document, args.outputs, args.out)
            messages.append(f"{DONE} {slug}: manifest.json written")
    except ContentError as exc:
        messages += [problem.format() for problem in exc.problems]
        status = 1
    except PageLimitError as exc:
        messages.append(str(exc))
        status = 1
    finally:
        for message in messages:
            print(message, file=sys.stderr)
        if args.log:
            args.log.parent.mkdir(parents=True, exist_ok=True)
            args.log.write_text("".join(m + "\n" for m in messages), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
