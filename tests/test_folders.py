"""pipeline.folders: the files of a brief the rules watch, and their listing (build/<slug>/.work/sources.txt)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.folders import brief_source_files, source_listing


def make(root: Path) -> Path:
    brief = root / "content" / "b"
    (brief / "sections").mkdir(parents=True)
    (brief / "brief.yaml").write_text("title: T\ntheme: house-red\n", encoding="utf-8")
    (brief / "sections" / "01-a.md").write_text("# A\n", encoding="utf-8")
    (brief / "notes{draft}.txt").write_text("n\n", encoding="utf-8")
    (brief / ".DS_Store").write_text("", encoding="utf-8")
    (brief / ".git").mkdir()
    (brief / ".git" / "HEAD").write_text("ref\n", encoding="utf-8")
    theme = root / "content" / "_themes" / "house-red"
    theme.mkdir(parents=True)
    (theme / "theme.yaml").write_text("name: Red\n", encoding="utf-8")
    outside = root / "outside"
    outside.mkdir()
    (outside / "x.md").write_text("x\n", encoding="utf-8")
    (brief / "linked").symlink_to(outside)  # a link to a folder: not followed
    (brief / "sections" / "02-link.md").symlink_to(outside / "x.md")  # a link to a file: listed (and refused)
    (brief / "broken.md").symlink_to(root / "nowhere")  # no file behind it: not listed
    return brief


def test_the_files_of_a_brief_are_what_rglob_would_find(tmp_path):
    brief = make(tmp_path)
    found = brief_source_files(brief)
    expected = [p for p in sorted(brief.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    expected.append(tmp_path / "content" / "_themes" / "house-red" / "theme.yaml")
    assert found == expected
    assert [p.relative_to(tmp_path / "content").as_posix() for p in found] == [
        "b/.git/HEAD", "b/brief.yaml", "b/notes{draft}.txt", "b/sections/01-a.md", "b/sections/02-link.md",
        "_themes/house-red/theme.yaml"]


def test_the_listing_names_each_file_with_its_size_and_time_and_changes_with_any_of_them(tmp_path):
    brief = make(tmp_path)
    listing = source_listing(brief)
    rows = [line.split("\t") for line in listing.splitlines()]
    section = brief / "sections" / "01-a.md"
    assert [json.loads(name) for name, _size, _time in rows][3] == "b/sections/01-a.md"
    assert rows[3][1:] == [str(section.stat().st_size), str(section.stat().st_mtime_ns)]
    assert source_listing(brief) == listing  # nothing changed, the same text: the file is not rewritten
    stat = section.stat()
    os.utime(section, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    touched = source_listing(brief)
    assert touched != listing
    (brief / "sections" / "03-b.md").write_text("# B\n", encoding="utf-8")
    added = source_listing(brief)
    assert added != touched and '"b/sections/03-b.md"' in added
    (brief / "notes{draft}.txt").unlink()
    removed = source_listing(brief)
    assert "notes" not in removed
    (tmp_path / "content" / "_themes" / "house-red" / "theme.yaml").write_text("name: Redder\n", encoding="utf-8")
    assert source_listing(brief) != removed  # the theme's files are the brief's too


def test_files_present_lists_each_folder_once_and_counts_only_files(tmp_path):
    from pipeline.folders import files_present

    (tmp_path / "web" / "fonts").mkdir(parents=True)
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "web" / "index.html").write_text("<p>", encoding="utf-8")
    (tmp_path / "web" / "fonts" / "f.woff2").write_bytes(b"wOF2")
    (tmp_path / "web" / "style.css").mkdir()  # a folder by a file's name is not the file
    names = ["a.pdf", "b.pdf", "web/index.html", "web/style.css", "web/fonts/f.woff2", "gone/x.js"]
    assert files_present(tmp_path, names) == {"a.pdf", "web/index.html", "web/fonts/f.woff2"}


def test_a_file_name_that_is_not_utf8_is_listed_not_a_crash(tmp_path):
    brief = make(tmp_path)
    odd = os.path.join(os.fsencode(brief), b"caf\xe9.md")  # Latin-1 bytes, as an old archive may leave them
    with open(odd, "wb") as handle:
        handle.write(b"# Caf\xc3\xa9\n")
    listing = source_listing(brief)
    listing.encode("utf-8")  # what the rules write: no lone surrogate left in the text
    assert '"b/caf\\udce9.md"' in listing
    assert "b/caf\udce9.md" in [json.loads(line.split("\t")[0]) for line in listing.splitlines()]
