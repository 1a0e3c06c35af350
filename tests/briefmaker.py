"""Write a small valid brief into a temporary folder, then break one thing.

    folder = make_brief(tmp_path)                                   # valid, no warnings
    folder = make_brief(tmp_path, brief_yaml="titel: X\\ndate: 2026-11-28\\n")
    folder = make_brief(tmp_path, sections={"01-a.md": section("A", "Text [@nope].")})
    folder = make_brief(tmp_path, references=None)                  # no references file
    folder = make_brief(tmp_path, files={"assets/chart.png": PNG})  # extra files

``errors_of(folder)`` / ``warnings_of(folder)`` return the one-line messages
of ``Problem.format`` with paths relative to the brief's parent folder, as
``brief check`` prints them when run from the content folder.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.content import Brief, load_brief

# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)

BRIEF_YAML = """\
title: "Ferry links"
date: 2026-11-28
organization: "Example Institute"
authors:
  - name: "Alex Example"
language: en
"""

SUMMARY = "The ferries cost more every year [@alpha-2024].\n"

REFERENCES_YAML = """\
references:
  - id: alpha-2024
    type: report
    title: "Alpha report"
    issued: {date-parts: [[2024]]}
  - id: beta-2023
    type: report
    title: "Beta report"
    issued: {date-parts: [[2023]]}
"""


def section(title: str | None = "A section", body: str = "Some text.\n", *, key_point: str | None = "The point.",
            short: bool | str | None = None, extra: str = "") -> str:
    """The text of a section file: front matter (unless title is None and nothing else is set) and body."""
    lines = []
    if title is not None:
        lines.append(f'title: "{title}"')
    if key_point is not None:
        lines.append(f'key_point: "{key_point}"')
    if short is not None:
        lines.append(f"short: {str(short).lower() if isinstance(short, bool) else short}")
    if extra:
        lines.append(extra.rstrip("\n"))
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


SECTIONS = {
    "01-costs.md": section("What the ferries cost", "Costs rose by a third [@beta-2023, p. 4].\n",
                           key_point="Costs rose by a third."),
    "02-options.md": section("Options", "Keep the subsidy, or tender the routes.\n",
                             key_point="Two options remain."),
}

_DEFAULT = object()


def make_brief(tmp_path: Path, slug: str = "b", *, brief_yaml: str | None = BRIEF_YAML,
               summary: str | None = SUMMARY, sections: dict[str, str | bytes] | None = _DEFAULT,
               references: str | bytes | None = REFERENCES_YAML, references_name: str = "references.yaml",
               files: dict[str, str | bytes] | None = None) -> Path:
    """Write a brief into ``tmp_path/slug`` and return its folder.

    Every argument replaces one part of the valid default brief; ``None``
    leaves that file out. ``sections`` maps file names under sections/ to
    their text (default: two valid sections); ``files`` adds any other file
    (relative path -> text or bytes).
    """
    folder = tmp_path / slug
    folder.mkdir(parents=True)
    if sections is _DEFAULT:
        sections = SECTIONS
    written: dict[str, str | bytes | None] = {
        "brief.yaml": brief_yaml,
        "summary.md": summary,
        references_name: references,
    }
    for name, text in (sections or {}).items():
        written[f"sections/{name}"] = text
    written.update(files or {})
    for relative, content in written.items():
        if content is None:
            continue
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def check(folder: Path, layout: bool = False):
    """What ``brief check`` finds: (problems, document or None, details)."""
    from pipeline.cli import check_brief
    from pipeline.pandoc import PandocSession

    with PandocSession() as session:
        return check_brief(folder, session, layout=layout)


def errors_of(folder: Path) -> list[str]:
    """The formatted errors that ``brief check`` reports for ``folder`` (there must be some)."""
    problems, document, _ = check(folder)
    errors = [p.format(relative_to=folder.parent) for p in problems if p.severity == "error"]
    assert errors and document is None, "expected errors"
    return errors


def warnings_of(folder: Path) -> list[str]:
    """The formatted warnings of a brief that checks without errors."""
    problems, document, _ = check(folder)
    assert document is not None, [p.format() for p in problems]
    return [p.format(relative_to=folder.parent) for p in problems if p.severity == "warning"]


def load(folder: Path) -> Brief:
    return load_brief(folder)
