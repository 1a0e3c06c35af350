"""The editors' loop: incremental rebuilds, broken briefs, identical rebuilds.

One small corpus (the mini and es-bib fixtures) is built once for this module
and then edited step by step; the workflow files are copied next to it so
that template edits do not touch the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

FINALS = [f"{v}.{f}" for v in ("short", "long") for f in ("pdf", "docx", "epub")]


def snapshot(build: Path, slug: str) -> dict[str, tuple[str, int]]:
    """sha256 and mtime (ns) of a brief's final outputs and manifest."""
    files = [build / slug / f"{slug}-{name}" for name in FINALS] + [build / slug / "manifest.json"]
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in files}


class Workspace:
    def __init__(self, root: Path):
        self.root = root
        self.workflow = root / "workflow"
        self.content = root / "content"
        self.build = root / "build"
        self.workflow.mkdir()
        shutil.copy(REPO / "Snakefile", self.workflow)
        for name in ("rules", "templates", "profiles", "envs"):
            shutil.copytree(REPO / name, self.workflow / name)
        for name in ("mini", "es-bib"):
            shutil.copytree(FIXTURES / name, self.content / name)

    def run(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(self.workflow / "Snakefile"),
             "--directory", str(self.workflow), "--cores", "2",
             "--config", f"content_dir={self.content}", f"build_dir={self.build}"],
            capture_output=True, text=True)


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("editing"))
    result = ws.run()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return ws


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_1_noop_rebuild_does_nothing_and_says_so(ws):
    before = {slug: snapshot(ws.build, slug) for slug in ("mini", "es-bib")}
    result = ws.run()
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr
    assert {slug: snapshot(ws.build, slug) for slug in ("mini", "es-bib")} == before


def test_1b_a_published_file_deleted_by_hand_is_published_again(ws):
    before = snapshot(ws.build, "mini")
    (ws.build / "mini" / "mini-short.epub").unlink()
    result = ws.run()
    assert result.returncode == 0, result.stderr[-2000:]
    after = snapshot(ws.build, "mini")
    assert after["mini-short.epub"][0] == before["mini-short.epub"][0]
    assert after["mini-long.pdf"] == before["mini-long.pdf"]  # the others are not rewritten


def test_1c_a_web_font_deleted_by_hand_is_published_again(ws):
    # a file of the manifest's list, in a subfolder (the rules list each folder once, not stat each file)
    fonts = sorted((ws.build / "mini" / "web" / "fonts").glob("*.woff2"))
    assert fonts
    lost = fonts[0]
    data = lost.read_bytes()
    lost.unlink()
    result = ws.run()
    assert result.returncode == 0, result.stderr[-2000:]
    assert lost.read_bytes() == data


def test_2_editing_one_section_rebuilds_only_that_brief(ws):
    other = snapshot(ws.build, "es-bib")
    mine = snapshot(ws.build, "mini")
    edit(ws.content / "mini" / "sections" / "02-riders.md", "barely moved", "hardly moved")
    result = ws.run()
    assert result.returncode == 0, result.stderr[-2000:]
    assert snapshot(ws.build, "es-bib") == other
    rebuilt = snapshot(ws.build, "mini")
    for name in ("mini-long.pdf", "mini-long.docx", "mini-long.epub", "manifest.json"):
        assert rebuilt[name][0] != mine[name][0], name
    # the short version does not show the section's body: its files are not even rewritten
    for name in ("mini-short.pdf", "mini-short.docx", "mini-short.epub"):
        assert rebuilt[name] == mine[name], name


def marker_mtime(ws: Workspace, slug: str) -> int:
    return (ws.build / slug / ".work" / "published.json").stat().st_mtime_ns


def test_2b_adding_and_removing_a_file_reruns_only_that_brief(ws):
    # a name with braces too: Snakemake could not take it as an input (it would read a wildcard)
    extra = ws.content / "mini" / "notes{draft}.txt"
    for change in (lambda: extra.write_text("a note to self\n", encoding="utf-8"), extra.unlink):
        mine, other = marker_mtime(ws, "mini"), marker_mtime(ws, "es-bib")
        change()
        result = ws.run()
        assert result.returncode == 0, result.stderr[-2000:]
        assert marker_mtime(ws, "mini") != mine
        assert marker_mtime(ws, "es-bib") == other
    assert "Nothing to be done" in ws.run().stderr


def test_3_broken_brief_keeps_its_outputs_and_others_still_build(ws):
    broken_before = snapshot(ws.build, "mini")
    good_before = snapshot(ws.build, "es-bib")
    edit(ws.content / "mini" / "sections" / "01-costs.md", "[@harbour-board-2022, p. 12]", "[@harbour-bord-2022, p. 12]")
    edit(ws.content / "es-bib" / "summary.md", "\n", " \n\nUna frase más.\n")
    result = ws.run()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("mini/sections/01-costs.md:6: error: unknown citation id 'harbour-bord-2022' "
            "(did you mean 'harbour-board-2022'?)") in output
    assert "Traceback" not in output
    assert snapshot(ws.build, "mini") == broken_before  # same bytes and times
    rebuilt = snapshot(ws.build, "es-bib")
    assert rebuilt["es-bib-long.pdf"] != good_before["es-bib-long.pdf"]
    # fix it: the brief builds again
    edit(ws.content / "mini" / "sections" / "01-costs.md", "harbour-bord-2022", "harbour-board-2022")
    assert ws.run().returncode == 0


def test_4_short_version_over_its_limit_fails_and_keeps_short_outputs(ws):
    before = snapshot(ws.build, "mini")
    edit(ws.content / "mini" / "brief.yaml", "page_size: Letter", "page_size: Letter\nshort:\n  max_pages: 1")
    summary = ws.content / "mini" / "summary.md"
    summary.write_text(summary.read_text() + "\n" + ("Ferries matter to islanders. " * 120) + "\n")
    result = ws.run()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "error: the short version has 2 pages, 1 page over its limit of 1" in output
    after = snapshot(ws.build, "mini")
    for name in ("mini-short.pdf", "mini-short.docx", "mini-short.epub"):
        assert after[name] == before[name], name
    for name in ("mini-long.pdf", "mini-long.docx", "mini-long.epub", "manifest.json"):
        assert after[name] != before[name], name
    # the manifest describes the files as they are: the new long ones, the kept short ones
    import json

    manifest = json.loads((ws.build / "mini" / "manifest.json").read_text())
    for entry in manifest["outputs"]:  # the six files and the web edition's
        on_disk = hashlib.sha256((ws.build / "mini" / entry["file"]).read_bytes()).hexdigest()
        assert entry["sha256"] == on_disk, entry["file"]


def test_5_template_edit_rebuilds_every_brief(ws):
    # restore mini's limit first, so both briefs can build
    edit(ws.content / "mini" / "brief.yaml", "short:\n  max_pages: 1", "")
    assert ws.run().returncode == 0
    before = {slug: snapshot(ws.build, slug) for slug in ("mini", "es-bib")}
    css = ws.workflow / "templates" / "css" / "brief.css"
    # (the accent comes from the theme; the muted grey of the furniture is the style sheet's own)
    assert "--muted: #4a4a4a" in css.read_text()
    css.write_text(css.read_text().replace("--muted: #4a4a4a", "--muted: #3a3a3a"))
    result = ws.run()
    assert result.returncode == 0, result.stderr[-2000:]
    for slug in ("mini", "es-bib"):
        after = snapshot(ws.build, slug)
        assert after[f"{slug}-long.pdf"][0] != before[slug][f"{slug}-long.pdf"][0]


def test_6_changing_a_theme_rebuilds_exactly_the_briefs_that_use_it(ws):
    shutil.copytree(FIXTURES / "_themes", ws.content / "_themes")
    edit(ws.content / "mini" / "brief.yaml", "language: en", "language: en\ntheme: harbour")
    assert ws.run().returncode == 0
    before = {slug: snapshot(ws.build, slug) for slug in ("mini", "es-bib")}
    edit(ws.content / "_themes" / "harbour" / "theme.yaml", '"#0b5563"', '"#5b2c6f"')
    result = ws.run()
    assert result.returncode == 0, result.stderr[-2000:]
    mini, es_bib = snapshot(ws.build, "mini"), snapshot(ws.build, "es-bib")
    assert mini["mini-long.pdf"][0] != before["mini"]["mini-long.pdf"][0]  # the new accent colour
    assert es_bib == before["es-bib"]  # not rebuilt: it has no theme
    # the theme's logo is in every format of the brief that uses it
    import zipfile

    import pymupdf

    with pymupdf.open(ws.build / "mini" / "mini-long.pdf") as pdf:
        # the SVG logo, drawn as vectors in the logo's own colour
        teal = (0x0B / 255, 0x55 / 255, 0x63 / 255)
        fills = [d["fill"] for d in pdf[0].get_drawings() if d.get("fill")]
        assert any(all(abs(a - b) < 0.01 for a, b in zip(fill, teal)) for fill in fills), "no logo on the first page"
    with zipfile.ZipFile(ws.build / "mini" / "mini-long.docx") as docx:
        assert any(name.startswith("word/media/") and name.endswith(".png") for name in docx.namelist())
        assert b"5B2C6F" in docx.read("word/styles.xml")


def test_rebuild_into_another_folder_is_byte_identical(corpus, tmp_path):
    """All six outputs of every corpus brief, built again into a fresh folder."""
    from conftest import run_snakemake

    again = tmp_path / "build-again"
    result = run_snakemake(corpus.content, again)
    assert result.returncode == 0, result.stderr[-2000:]
    for brief in sorted(p.name for p in corpus.content.iterdir() if not p.name.startswith("_")):
        first = snapshot(corpus.build, brief)
        second = snapshot(again, brief)
        assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in second.items()}, brief


def test_source_date_epoch_is_honoured_in_docx_and_epub(tmp_path):
    import zipfile

    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "mini", content / "mini")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    from conftest import run_snakemake

    result = run_snakemake(content, tmp_path / "build", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    epub = tmp_path / "build" / "mini" / "mini-long.epub"
    with zipfile.ZipFile(epub) as archive:
        assert archive.infolist()[0].filename == "mimetype"
        assert {i.date_time[:3] for i in archive.infolist()} == {(2023, 11, 14)}
        opf = archive.read("EPUB/content.opf").decode()
    assert "2023-11-14T22:13:20Z" in opf
    with zipfile.ZipFile(tmp_path / "build" / "mini" / "mini-long.docx") as archive:
        assert {i.date_time[:3] for i in archive.infolist()} == {(2023, 11, 14)}
