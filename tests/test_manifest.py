"""manifest.json as distributors read it."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import CORPUS_BRIEFS, SAMPLE
from outputs import pdf_info

from pipeline.model import read_document

BRIEFS = CORPUS_BRIEFS


@pytest.mark.parametrize("slug", BRIEFS)
def test_manifest_describes_every_output(corpus, slug):
    manifest = json.loads((corpus.build / slug / "manifest.json").read_text())
    document = read_document(corpus.build / slug / ".work" / "brief.json")
    meta = document.meta
    brief = manifest["brief"]
    assert {key: brief[key] for key in ("slug", "title", "date", "version", "language")} == {
        "slug": slug, "title": meta.title.plain, "date": meta.date, "version": meta.version,
        "language": meta.language}
    assert brief["authors"] == [{"name": a.name.plain, **({"affiliation": a.affiliation.plain} if a.affiliation
                                                             else {})} for a in meta.authors]
    assert brief["organization"] == (meta.organization.plain if meta.organization else None)
    assert brief["rights"] == (meta.rights.plain if meta.rights else None)
    assert brief["theme"] == (meta.identity.theme or None)
    assert set(brief["identifiers"]) <= {"doi", "isbn", "url"}
    files = {entry["file"]: entry for entry in manifest["outputs"]}
    assert {name for name in files if "/" not in name} == {f"{slug}-{v}.{f}" for v in ("short", "long")
                                                           for f in ("pdf", "docx", "epub")}
    # the web edition, file by file (its entries are checked in test_web.py)
    web = corpus.build / slug / "web"
    assert {name for name in files if "/" in name} == {p.relative_to(web.parent).as_posix()
                                                       for p in web.rglob("*") if p.is_file()}
    for name, entry in files.items():
        data = (corpus.build / slug / name).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        if "/" in name:
            continue
        assert entry["variant"] == name.rsplit("-", 1)[1].split(".")[0]
        assert entry["format"] == name.rsplit(".", 1)[1]
        assert entry["media_type"] == {"pdf": "application/pdf", "epub": "application/epub+zip",
                                       "docx": "application/vnd.openxmlformats-officedocument."
                                               "wordprocessingml.document"}[entry["format"]]
        if entry["format"] == "pdf":
            assert entry["pages"] == int(pdf_info(corpus.build / slug / name)["Pages"])
        else:
            assert "pages" not in entry
    assert manifest["variants"]["long"]["notes"] == len(document.notes)
    assert manifest["variants"]["short"]["notes"] == 0
    assert 0 < manifest["variants"]["short"]["words"] < manifest["variants"]["long"]["words"]
    assert manifest["tools"]["pandoc"] == "3.9"
    assert manifest["tools"]["weasyprint"] == "70.0"
    assert manifest["tools"]["snakemake"] == "9.27.1"


def test_sample_word_counts_are_plausible(corpus):
    manifest = json.loads((corpus.build / SAMPLE / "manifest.json").read_text())
    assert 300 < manifest["variants"]["short"]["words"] < 900
    assert 900 < manifest["variants"]["long"]["words"] < 3000
