"""Golden tests on the deterministic intermediates of the mini fixture.

The typed intermediate (brief.json), each variant's composed document for
each target (shown as pandoc's Markdown, so that a diff reads well), and the
HTML page WeasyPrint reads are compared as text with the files in
tests/golden/mini/. After an intended change, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

and review the diff in git before committing.
"""

from __future__ import annotations

import difflib
import os

import pytest
from conftest import FIXTURES, REPO

from pipeline.compose import compose
from pipeline.content import load_brief
from pipeline.document import build_document
from pipeline.pandoc import PandocSession
from pipeline.render import body_html, metadata_html, render_page
from pipeline.stage import _media

GOLDEN = REPO / "tests" / "golden" / "mini"
TEMPLATES = REPO / "templates"
VARIANTS = ("short", "long")
TARGETS = ("html", "docx", "epub")


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    folder = FIXTURES / "mini"
    with PandocSession() as session:
        document = build_document(load_brief(folder, session=session), session)
        files = {"brief.json": document.to_json()}
        for variant in VARIANTS:
            for target in TARGETS:
                composed = compose(document, variant, target)
                files[f"mini-{variant}.{target}.md"] = session.write(
                    composed, "markdown", options={"wrap_text": "preserve"}, media=_media(document, folder),
                    standalone=True).result
            body = body_html(compose(document, variant, "html"), session, _media(document, folder))
            files[f"mini-{variant}.html"] = render_page(document, variant, body, metadata_html(document, session),
                                                       TEMPLATES)
    return files


NAMES = ["brief.json"] + [f"mini-{v}.{t}" for v in VARIANTS for t in ("html.md", "docx.md", "epub.md", "html")]


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
