"""Golden tests on the deterministic intermediates of the mini fixture.

The normalised brief.json, the Markdown pandoc reads for each variant and
target, and the HTML page WeasyPrint reads are compared as text with the
files in tests/golden/mini/. After an intended change, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

and review the diff in git before committing.
"""

from __future__ import annotations

import difflib
import json
import os

import pytest

from conftest import FIXTURES, REPO
from pipeline.content import load_brief
from pipeline.document import build_document
from pipeline.render import markdown_to_html, render_markdown, render_page

GOLDEN = REPO / "tests" / "golden" / "mini"
TEMPLATES = REPO / "templates"


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    brief = load_brief(FIXTURES / "mini")
    document = build_document(brief, TEMPLATES)
    files = {"brief.json": json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"}
    for variant in ("short", "long"):
        for target in ("html", "docx", "epub"):
            files[f"mini-{variant}.{target}.md"] = render_markdown(document, variant, target, TEMPLATES)
        body = markdown_to_html(files[f"mini-{variant}.html.md"], brief.folder, TEMPLATES)
        files[f"mini-{variant}.html"] = render_page(document, variant, body, TEMPLATES)
    return files


NAMES = ["brief.json"] + [f"mini-{v}.{t}" for v in ("short", "long") for t in ("html.md", "docx.md", "epub.md", "html")]


@pytest.mark.parametrize("name", NAMES)
def test_intermediate_matches_golden(rendered, name):
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered[name], encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if rendered[name] != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), rendered[name].splitlines(True),
                                            f"golden/{name}", f"rendered/{name}"))
        pytest.fail(f"{name} differs from the golden file (UPDATE_GOLDEN=1 to accept):\n{diff}")
