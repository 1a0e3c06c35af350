"""Rendering details that follow the brief's language."""

from __future__ import annotations

import re

import pytest
from conftest import REPO
from outputs import pdf_text

from pipeline import tree
from pipeline.compose import localize_quotes

TEMPLATES = REPO / "templates"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "“the cartel” and ‘cells’"),
    ("es", "“the cartel” and ‘cells’"),
    ("fr", "«\u202fthe cartel\u202f» and «\u202fcells\u202f»"),
    ("de", "„the cartel“ and ‚cells‘"),
    ("pt-BR", "“the cartel” and ‘cells’"),
])
def test_quotes_follow_language(session, lang, expected):
    document = session.read_markdown(["\"the cartel\" and 'cells'"], "")[0]
    assert tree.stringify(localize_quotes(document["blocks"], lang)) == expected


def test_apostrophes_stay_apostrophes(session):
    document = session.read_markdown(["Venezuela's forces"], "")[0]
    assert tree.stringify(localize_quotes(document["blocks"], "de")) == "Venezuela’s forces"


def test_pdf_is_hyphenated_by_language(corpus):
    from conftest import SAMPLE

    for slug in ("es-bib", SAMPLE):
        lines = pdf_text(corpus.file(slug, "long", "pdf")).splitlines()
        assert any(re.search(r"[a-záéíóúñ][-\u2010]$", line.rstrip()) for line in lines), slug
    html = (corpus.build / "es-bib" / ".work" / "es-bib-long.html").read_text()
    assert '<html lang="es" dir="ltr">' in html
