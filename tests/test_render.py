"""Rendering details that follow the brief's language."""

from __future__ import annotations

import re

import pytest

from conftest import REPO
from outputs import pdf_text
from pipeline.render import markdown_to_html, md_escape, smart_quotes

TEMPLATES = REPO / "templates"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "“the cartel” and ‘cells’"),
    ("es", "«the cartel» and “cells”"),
    ("fr", "«\u00a0the cartel\u00a0» and “cells”"),
    ("de", "„the cartel“ and ‚cells‘"),
    ("pt-BR", "“the cartel” and ‘cells’"),
])
def test_quotes_follow_language_in_pandoc_and_title_block(tmp_path, lang, expected):
    markdown = f'---\nlang: {lang}\n---\n\n"the cartel" and \'cells\'\n'
    html = markdown_to_html(markdown, tmp_path, TEMPLATES)
    assert expected in html
    assert smart_quotes("\"the cartel\" and 'cells'", lang) == expected


def test_apostrophes_stay_apostrophes():
    assert smart_quotes("Venezuela's forces", "de") == "Venezuela’s forces"


def test_md_escape_keeps_text_literal(tmp_path):
    text = "Costs *rose* by [10%] #1 <b> @id"
    html = markdown_to_html(md_escape(text) + "\n", tmp_path, TEMPLATES)
    assert "Costs *rose* by [10%] #1 &lt;b&gt; @id" in html


def test_pdf_is_hyphenated_by_language(corpus):
    from conftest import SAMPLE

    for slug in ("es-bib", SAMPLE):
        lines = pdf_text(corpus.file(slug, "long", "pdf")).splitlines()
        assert any(re.search(r"[a-záéíóúñ][-\u2010]$", line.rstrip()) for line in lines), slug
    html = (corpus.build / "es-bib" / ".work" / "es-bib-long.html").read_text()
    assert '<html lang="es">' in html
