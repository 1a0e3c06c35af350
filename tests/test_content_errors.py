"""Bad input: every mistake in a brief gives one line naming the file, the line and what to do.

Each test writes a valid brief with ``make_brief``, breaks one thing, and
asserts the exact messages of ``load_brief`` (paths relative to the brief's
parent folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from briefmaker import BRIEF_YAML, PNG, SECTIONS, check, errors_of, make_brief, section, warnings_of

from pipeline.content import load_brief
from pipeline.errors import ContentError, Problem

FIXTURES = Path(__file__).parent / "fixtures" / "content"
REAL = Path(__file__).parent / "fixtures" / "real"

OUTSIDE_HINT = "put the image in the brief's assets/ folder and use a relative path such as assets/chart.png"
HTML_HINT = "write it in Markdown; raw HTML could carry scripts or remote resources into the outputs"


def with_section(body: str, **files) -> dict:
    """Keyword arguments for make_brief: the default sections plus 03-extra.md with ``body``."""
    return {"sections": {**SECTIONS, "03-extra.md": section("Extra", body)}, "files": files or None}


# --- valid briefs -------------------------------------------------------------------------

def cited(folder: Path) -> list[str]:
    """The cited keys in note order, as the build numbers them."""
    problems, document, _ = check(folder)
    assert document is not None, [p.format() for p in problems]
    return [key for note in document.notes for key in note.keys]


def test_valid_brief_loads_without_warnings(tmp_path):
    brief = load_brief(make_brief(tmp_path))
    assert brief.warnings == []
    assert brief.slug == "b"
    assert [s.title for s in brief.sections] == ["What the ferries cost", "Options"]
    assert cited(brief.folder) == ["alpha-2024", "beta-2023"]
    assert brief.language == "en"


@pytest.mark.parametrize("name", ["mini", "es-bib"])
def test_fixture_briefs_load(name):
    assert cited(FIXTURES / name)


def test_image_inside_the_folder_is_accepted(tmp_path):
    folder = make_brief(tmp_path, **with_section("![A chart of costs](assets/chart.png)\n",
                                                 **{"assets/chart.png": PNG}))
    assert load_brief(folder).sections[2].images == ["assets/chart.png"]


def test_section_file_with_byte_order_mark_and_windows_line_endings(tmp_path):
    text = "\ufeff" + section("Extra", "Line one.\n\nCites [@beta-2023].\n").replace("\n", "\r\n")
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": text.encode("utf-8")})
    brief = load_brief(folder)
    assert brief.sections[2].title == "Extra"
    assert [c.line for c in brief.sections[2].reading.cites] == [7]


# --- brief.yaml -----------------------------------------------------------------------------

def test_yaml_syntax_error_in_brief_yaml(tmp_path):
    folder = make_brief(tmp_path, brief_yaml='title: "Ferry links\ndate: 2026-11-28\n')
    assert errors_of(folder) == [
        "b/brief.yaml:1: error: YAML syntax error: a quote opened on this line is never closed "
        "(fix the YAML syntax: indentation, a space after ':', quotes around text with colons)"]


def test_yaml_colon_in_unquoted_text(tmp_path):
    folder = make_brief(tmp_path, brief_yaml="title: X\ndate: 2026-11-28\nsubtitle: Costs: a review\n")
    assert errors_of(folder) == [
        "b/brief.yaml:3: error: YAML syntax error: mapping values are not allowed in this context "
        "(fix the YAML syntax: indentation, a space after ':', quotes around text with colons)"]


def test_missing_required_key(tmp_path):
    folder = make_brief(tmp_path, brief_yaml="date: 2026-11-28\n")
    assert errors_of(folder) == ["b/brief.yaml:1: error: missing required key 'title' in brief.yaml (add 'title: ...')"]


def test_empty_brief_yaml(tmp_path):
    folder = make_brief(tmp_path, brief_yaml="")
    assert errors_of(folder) == [
        "b/brief.yaml:1: error: missing required key 'title' in brief.yaml (add 'title: ...')",
        "b/brief.yaml:1: error: missing required key 'date' in brief.yaml (add 'date: 2026-11-28')"]


def test_missing_brief_yaml(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=None)
    assert errors_of(folder) == [
        "b/brief.yaml: error: cannot read the file: No such file or directory (add brief.yaml to the brief folder)"]


def test_unknown_key_suggests_closest(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "orgnization: Elsewhere\n")
    assert errors_of(folder) == [
        "b/brief.yaml:7: error: unknown key 'orgnization' in brief.yaml (did you mean 'organization'?)"]


def test_wrong_type(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "keywords: foo\n")
    assert errors_of(folder) == [
        "b/brief.yaml:7: error: 'keywords' must be a list, not \"foo\" (write one '- item' per line under 'keywords:')"]


def test_bad_date(tmp_path):
    folder = make_brief(tmp_path, brief_yaml="title: X\ndate: 2026-13-45\n")
    assert errors_of(folder) == [
        "b/brief.yaml:2: error: 'date' is not a valid ISO date: \"2026-13-45\" (write the date as YYYY-MM-DD, e.g. 2026-11-28)"]


def test_duplicate_key_in_brief_yaml(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + 'title: "Second title"\n')
    assert errors_of(folder) == [
        "b/brief.yaml:7: error: duplicate key 'title', first written on line 1 "
        "(keep one 'title:' line and delete the other; YAML would silently keep only the last one)"]


def test_csl_path_that_does_not_exist(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "csl: styles/notes.csl\n")
    assert errors_of(folder) == [
        "b/brief.yaml:7: error: csl style 'styles/notes.csl' not found in the brief folder "
        "(fix the path, relative to the folder, or remove 'csl' to use the default style)"]


def test_csl_path_outside_the_folder(tmp_path):
    (tmp_path / "notes.csl").write_text("<style/>")
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "csl: ../notes.csl\n")
    assert errors_of(folder) == [
        "b/brief.yaml:7: error: csl style '../notes.csl' points outside the brief folder "
        "(put the .csl file in the brief folder (or the theme's) and give its path relative to it)"]


def test_csl_path_inside_the_folder_is_used(tmp_path):
    style = (REAL / "csl" / "ieee.csl").read_text(encoding="utf-8")
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "csl: styles/notes.csl\n",
                        files={"styles/notes.csl": style})
    assert load_brief(folder).style.path == folder / "styles" / "notes.csl"


def test_folder_name_that_is_not_a_slug(tmp_path):
    folder = make_brief(tmp_path, slug="Ferry_Links")
    assert errors_of(folder) == [
        "Ferry_Links: error: 'Ferry_Links' is not a valid brief folder name "
        "(use lower-case letters, digits and hyphens, e.g. my-brief-2026)"]


# --- summary and sections ----------------------------------------------------------------------

def test_missing_summary(tmp_path):
    folder = make_brief(tmp_path, summary=None)
    assert errors_of(folder) == [
        "b/summary.md: error: summary.md is missing (add the executive summary as summary.md in the brief folder)"]


def test_empty_summary(tmp_path):
    folder = make_brief(tmp_path, summary="\n  \n", references=None,
                        sections={"01-a.md": section("A", "No citations.\n")})
    assert errors_of(folder) == [
        "b/summary.md:1: error: the executive summary is empty (write the summary in summary.md)"]


def test_empty_section(tmp_path):
    folder = make_brief(tmp_path, **with_section("\n   \n\n"))
    assert errors_of(folder) == [
        "b/sections/03-extra.md:5: error: the section's body is empty "
        "(write the section's text below the front matter, or delete the file)"]


def test_brief_without_sections_folder(tmp_path):
    folder = make_brief(tmp_path, summary="No citations.\n", references=None, sections={})
    assert errors_of(folder) == [
        "b/sections: error: the brief has no sections (add one or more Markdown files such as sections/01-background.md)"]


def test_sections_folder_without_markdown_files(tmp_path):
    folder = make_brief(tmp_path, summary="No citations.\n", references=None, sections={},
                        files={"sections/notes.txt": "x"})
    assert errors_of(folder) == [
        "b/sections: error: the brief has no sections (add one or more Markdown files such as sections/01-background.md)"]


def test_section_without_front_matter(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": "Just text.\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:1: error: the section has no front matter "
        "(start the file with a '---' block holding at least 'title: ...', closed by '---')"]


def test_section_without_front_matter_still_has_its_body_checked(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": "Just text.\n\nCites [@gamma].\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:1: error: the section has no front matter "
        "(start the file with a '---' block holding at least 'title: ...', closed by '---')",
        "b/sections/03-extra.md:3: error: unknown citation id 'gamma' (add an entry with id 'gamma' to references.yaml)"]


def test_section_title_of_spaces_only(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": section("   ", "Text.\n")})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:2: error: 'title' must not be empty (write the text after 'title:')"]


def test_section_front_matter_never_closed(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": "---\ntitle: Extra\n\nThe text.\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:1: error: the front matter opened on line 1 is never closed "
        "(add a line '---' after the front matter, before the section's text)"]


def test_yaml_syntax_error_in_section_front_matter(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": "---\ntitle: Costs: a review\n---\nText.\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:2: error: YAML syntax error: mapping values are not allowed in this context "
        "(fix the YAML syntax of the front matter between the --- lines)"]


def test_unknown_key_in_section_front_matter(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": section("Extra", "Text.\n", extra="keypoint: X")})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:4: error: unknown key 'keypoint' in the section's front matter (did you mean 'key_point'?)"]


def test_section_without_title(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": section(None, "Text.\n")})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:2: error: missing required key 'title' in the section's front matter (add 'title: ...')"]


def test_section_short_not_boolean(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": section("Extra", "Text.\n", short="maybe")})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:4: error: 'short' must be true or false, not \"maybe\" (write 'short: true' or 'short: false')"]


def test_duplicate_key_in_section_front_matter(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": "---\ntitle: A\ntitle: B\n---\nText.\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:3: error: duplicate key 'title', first written on line 2 "
        "(keep one 'title:' line and delete the other; YAML would silently keep only the last one)"]


def test_section_file_that_is_not_utf8(tmp_path):
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": b"---\ntitle: Extra\n---\nCaf\xe9.\n"})
    assert errors_of(folder) == [
        "b/sections/03-extra.md:4: error: the file is not UTF-8 text (byte 0xe9) (save it with UTF-8 encoding)"]


# --- citations and references ------------------------------------------------------------------

def test_unknown_citation_id_suggests_close_ids(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\nCosts [@alpha-2042].\n"))
    assert errors_of(folder) == [
        "b/sections/03-extra.md:7: error: unknown citation id 'alpha-2042' (did you mean 'alpha-2024'?)"]


def test_unknown_citation_id_with_several_close_ids(tmp_path):
    refs = "- id: smith-2020a\n- id: smith-2020b\n"
    folder = make_brief(tmp_path, summary="See [@smith-2020a; @smith-2020b; @smith-2020].\n", references=refs,
                        sections={"01-a.md": section("A", "Text.\n")})
    assert errors_of(folder) == [
        "b/summary.md:1: error: unknown citation id 'smith-2020' (did you mean 'smith-2020a' or 'smith-2020b'?)"]


def test_unknown_citation_id_without_close_ids(tmp_path):
    folder = make_brief(tmp_path, summary="See [@unodc].\n")
    assert errors_of(folder) == [
        "b/summary.md:1: error: unknown citation id 'unodc' (add an entry with id 'unodc' to references.yaml)"]


def test_citation_without_references_file(tmp_path):
    folder = make_brief(tmp_path, references=None, summary="No citations.\n")
    assert errors_of(folder) == [
        "b/sections/01-costs.md:5: error: citation '@beta-2023' but the brief has no references file "
        "(add references.yaml (CSL YAML), references.json (CSL JSON) or references.bib (BibTeX) listing the sources)"]


def test_duplicate_reference_id(tmp_path):
    refs = "references:\n  - id: alpha-2024\n  - id: beta-2023\n  - id: alpha-2024\n"
    folder = make_brief(tmp_path, references=refs)
    assert errors_of(folder) == [
        "b/references.yaml:4: error: duplicate reference id 'alpha-2024', first defined on line 2 "
        "(give each reference its own id, or delete the duplicate entry)"]


def test_more_than_one_references_file(tmp_path):
    folder = make_brief(tmp_path, files={"references.bib": "@book{alpha-2024, title={A}}\n"})
    # One error: the citations are not also reported as unknown.
    assert errors_of(folder) == [
        "b/references.bib: error: more than one references file: references.yaml, references.bib "
        "(keep exactly one of references.yaml, references.json or references.bib)"]


def test_references_file_unreadable(tmp_path):
    folder = make_brief(tmp_path, references=b"references:\n  - id: alpha-2024\n    title: Caf\xe9\n")
    assert errors_of(folder) == [
        "b/references.yaml:3: error: cannot read the references file: it is not UTF-8 text (byte 0xe9) "
        "(save it with UTF-8 encoding)"]


def test_references_file_with_syntax_error_is_reported_once(tmp_path):
    folder = make_brief(tmp_path, references_name="references.json", references='[\n {"id": "alpha-2024"}\n {"id": "x"}\n]\n')
    assert errors_of(folder) == [
        "b/references.json:3: error: JSON syntax error: Expecting ',' delimiter (fix the JSON syntax: commas, quotes, brackets)"]


def test_bibtex_references_in_a_brief(tmp_path):
    bib = "@report{alpha-2024,\n  title = {Alpha},\n  year = 2024\n}\n@book{beta-2023,\n  title = {Beta},\n  year = 2023\n}\n"
    brief = load_brief(make_brief(tmp_path, references_name="references.bib", references=bib))
    assert brief.references.lines == {"alpha-2024": 1, "beta-2023": 5}
    assert cited(brief.folder) == ["alpha-2024", "beta-2023"]


def test_citations_in_code_are_not_checked(tmp_path):
    folder = make_brief(tmp_path, **with_section("Cite as `[@your-id]`:\n\n```\nText [@your-id].\n```\n"))
    assert load_brief(folder).sections[2].reading.cites == []


# --- images ------------------------------------------------------------------------------------------

def test_missing_image(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart of costs](assets/chart.png)\n"))
    assert errors_of(folder) == [
        "b/sections/03-extra.md:7: error: image 'assets/chart.png' not found "
        "(add the file assets/chart.png to the brief folder, or fix the path)"]


def test_image_without_alt_text(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![](assets/chart.png)\n", **{"assets/chart.png": PNG}))
    assert errors_of(folder) == [
        "b/sections/03-extra.md:7: error: image 'assets/chart.png' has no alt text "
        "(describe the image between the brackets: ![What the chart shows](assets/chart.png))"]


def test_image_without_alt_text_reference_style(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![][chart]\n\n[chart]: assets/chart.png\n",
                                                 **{"assets/chart.png": PNG}))
    assert errors_of(folder) == [
        "b/sections/03-extra.md:7: error: image 'assets/chart.png' has no alt text "
        "(describe the image between the brackets: ![What the chart shows](assets/chart.png))"]


@pytest.mark.parametrize("target, reason", [
    ("../x.png", "points outside the brief folder"),
    ("assets/../../x.png", "points outside the brief folder"),
    ("assets/%2e%2e/%2e%2e/x.png", "points outside the brief folder"),
    ("/etc/x.png", "is an absolute path; only files inside the brief folder may be used"),
    ("file:///x.png", "is a URL or remote resource; only files inside the brief folder may be used"),
    ("https://example.org/x.png", "is a URL or remote resource; only files inside the brief folder may be used"),
    ("//example.org/x.png", "is a URL or remote resource; only files inside the brief folder may be used"),
])
def test_image_path_leaving_the_folder(tmp_path, target, reason):
    (tmp_path / "x.png").write_bytes(PNG)
    folder = make_brief(tmp_path, **with_section(f"Text.\n\n![A chart]({target})\n"))
    shown = target.replace("%2e", ".")  # shown as the path it means
    assert errors_of(folder) == [f"b/sections/03-extra.md:7: error: image '{shown}' {reason} ({OUTSIDE_HINT})"]


def test_image_path_in_angle_brackets_leaving_the_folder(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart](<../my chart.png>)\n"))
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:7: error: image '../my chart.png' points outside the brief folder ({OUTSIDE_HINT})"]


def test_reference_style_image_leaving_the_folder(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart][c]\n\n[c]: ../x.png\n"))
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:7: error: image '../x.png' points outside the brief folder ({OUTSIDE_HINT})"]


def test_image_defined_in_another_section_is_text_and_said_so(tmp_path):
    # Each file is read on its own: a definition in one file does not serve another.
    folder = make_brief(tmp_path, sections={
        **SECTIONS, "03-extra.md": section("Extra", "Text.\n\n![A chart][c]\n"),
        "04-defs.md": section("Definitions", "Text.\n\n[c]: ../x.png\n")})
    assert warnings_of(folder) == [
        "b/sections/03-extra.md:7: warning: '![A' is printed as text: it looks like an image whose reference is "
        "not defined in this file (define it in the same file ([label]: path or [^label]: text), or write it inline)"]


def test_image_that_only_pandoc_sees_is_checked_too(tmp_path):
    # An escaped parenthesis inside the path: pandoc reads the target 'assets/x).png'.
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart](../x\\).png)\n"))
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:7: error: image '../x).png' points outside the brief folder ({OUTSIDE_HINT})"]


def test_image_symlink_in_assets_pointing_outside(tmp_path):
    (tmp_path / "secret.png").write_bytes(PNG)
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart](assets/chart.png)\n"))
    (folder / "assets").mkdir()
    (folder / "assets" / "chart.png").symlink_to(tmp_path / "secret.png")
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:7: error: image 'assets/chart.png' is a link to a file outside the brief folder ({OUTSIDE_HINT})"]


def test_assets_folder_that_is_a_symlink_pointing_outside(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "chart.png").write_bytes(PNG)
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart](assets/chart.png)\n"))
    (folder / "assets").symlink_to(tmp_path / "shared")
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:7: error: image 'assets/chart.png' points outside the brief folder ({OUTSIDE_HINT})"]


def test_symlink_inside_the_folder_is_accepted(tmp_path):
    folder = make_brief(tmp_path, **with_section("Text.\n\n![A chart](assets/latest.png)\n",
                                                 **{"assets/chart-2026.png": PNG}))
    os.symlink("chart-2026.png", folder / "assets" / "latest.png")
    assert load_brief(folder).sections[2].images == ["assets/latest.png"]


def test_section_file_that_is_a_symlink_pointing_outside(tmp_path):
    (tmp_path / "elsewhere.md").write_text(section("Elsewhere", "Text.\n"))
    folder = make_brief(tmp_path)
    (folder / "sections" / "03-linked.md").symlink_to(tmp_path / "elsewhere.md")
    assert errors_of(folder) == [
        "b/sections/03-linked.md: error: the file is a link to a place outside the brief folder "
        "(copy the file into the brief folder instead of linking to it)"]


def test_images_in_code_are_not_checked(tmp_path):
    folder = make_brief(tmp_path, **with_section("Write `![alt](../x.png)`:\n\n```\n![alt](/etc/x.png)\n```\n"))
    assert load_brief(folder).sections[2].images == []


# --- raw HTML ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("html, shown, hint", [
    ("<script>alert(1)</script>", "<script>", HTML_HINT),
    ('<img src="assets/chart.png">', '<img src="assets/chart.png">',
     "write the image in Markdown with its alt text: ![What the image shows](assets/chart.png)"),
    ('<iframe src="https://example.org"></iframe>', '<iframe src="https://example.org">', HTML_HINT),
    ("Costs <b>rose</b>.", "<b>", HTML_HINT),
    ("<!-- a note to self -->", "<!--",
     "delete the comment: HTML comments are raw HTML and would show as text in the outputs"),
])
def test_raw_html_is_refused(tmp_path, html, shown, hint):
    folder = make_brief(tmp_path, **with_section(f"Text.\n\n{html}\n"))
    assert errors_of(folder) == [f"b/sections/03-extra.md:7: error: raw HTML is not allowed: {shown} ({hint})"]


def test_raw_html_tag_over_two_lines_is_one_line_message(tmp_path):
    folder = make_brief(tmp_path, **with_section('Text <span\nclass="x">here.\n'))
    assert errors_of(folder) == [
        f"b/sections/03-extra.md:5: error: raw HTML is not allowed: <span class=\"x\"> ({HTML_HINT})"]


def test_raw_html_in_summary(tmp_path):
    folder = make_brief(tmp_path, summary="Summary [@alpha-2024].\n\n<div>boxed</div>\n")
    assert errors_of(folder) == [f"b/summary.md:3: error: raw HTML is not allowed: <div> ({HTML_HINT})"]


def test_html_in_code_autolinks_and_comparisons_are_not_raw_html(tmp_path):
    body = "Use `<b>` for bold.\n\n```html\n<script>x</script>\n```\n\nSee <https://example.org>; p<0.05.\n"
    load_brief(make_brief(tmp_path, **with_section(body)))


# --- all problems at once ---------------------------------------------------------------------------------

def test_all_problems_of_a_brief_are_reported_together_in_reading_order(tmp_path):
    folder = make_brief(
        tmp_path,
        brief_yaml="titel: Ferry links\ndate: 2026-11-28\n",
        sections={
            "01-costs.md": section("Costs", "Costs rose [@alpha-2042].\n"),
            "02-empty.md": section("Empty", "\n"),
            "03-chart.md": section("Chart", "![](assets/chart.png)\n", extra="colour: red"),
        },
        files={"assets/chart.png": PNG},
    )
    assert errors_of(folder) == [
        "b/brief.yaml:1: error: unknown key 'titel' in brief.yaml (did you mean 'title'?)",
        "b/sections/01-costs.md:5: error: unknown citation id 'alpha-2042' (did you mean 'alpha-2024'?)",
        "b/sections/02-empty.md:5: error: the section's body is empty "
        "(write the section's text below the front matter, or delete the file)",
        "b/sections/03-chart.md:4: error: unknown key 'colour' in the section's front matter "
        "(allowed keys: id, key_point, short, title)",
        # The body of a section with wrong front matter is still checked.
        "b/sections/03-chart.md:6: error: image 'assets/chart.png' has no alt text "
        "(describe the image between the brackets: ![What the chart shows](assets/chart.png))",
    ]


def test_content_error_prints_one_line_per_problem_without_traceback(tmp_path):
    folder = make_brief(tmp_path, brief_yaml="title: X\ndate: 2026-13-45\n", summary="See [@nope].\n")
    with pytest.raises(ContentError) as info:
        load_brief(folder)
    text = str(info.value)
    assert text.splitlines() == [p.format() for p in info.value.problems]
    assert len(text.splitlines()) == 2
    assert "Traceback" not in text


def test_problem_format_without_base_shows_the_path_as_given():
    problem = Problem(Path("content/b/brief.yaml"), "something is wrong", 3, "fix it")
    assert problem.format() == "content/b/brief.yaml:3: error: something is wrong (fix it)"
    assert problem.format(relative_to=Path("/elsewhere")) == "content/b/brief.yaml:3: error: something is wrong (fix it)"


# --- warnings ---------------------------------------------------------------------------------------------

def test_uncited_reference_is_a_warning(tmp_path):
    folder = make_brief(tmp_path, summary="The ferries cost more every year.\n")
    assert warnings_of(folder) == [
        "b/references.yaml:2: warning: reference 'alpha-2024' is never cited (cite it as [@alpha-2024] or remove it)"]


def test_section_without_key_point_warns_and_uses_its_first_sentence(tmp_path):
    body = "Ferries carried 2.1 million people [@beta-2023, p. 4]. Most were commuters.\n"
    folder = make_brief(tmp_path, sections={**SECTIONS, "03-extra.md": section("Extra", body, key_point=None)})
    assert warnings_of(folder) == [
        "b/sections/03-extra.md:1: warning: no key_point: the short version uses the section's first sentence: "
        "\"Ferries carried 2.1 million people.\" "
        "(add 'key_point: ...' with one or two sentences to the front matter, "
        "or 'short: false' to leave the section out of the short version)"]
    part = load_brief(folder).sections[2]
    assert (part.key_point, part.key_point_derived) == ("Ferries carried 2.1 million people.", True)


def test_section_left_out_of_the_short_version_needs_no_key_point(tmp_path):
    folder = make_brief(tmp_path, sections={
        **SECTIONS, "03-extra.md": section("Extra", "Annex text.\n", key_point=None, short=False)})
    brief = load_brief(folder)
    assert brief.warnings == []
    assert brief.sections[2].short is False


def test_key_point_is_kept_on_one_line(tmp_path):
    folder = make_brief(tmp_path, sections={
        **SECTIONS, "03-extra.md": "---\ntitle: Extra\nkey_point: >\n  Costs rose\n  by a third.\n---\nText.\n"})
    part = load_brief(folder).sections[2]
    assert (part.key_point, part.key_point_derived) == ("Costs rose by a third.", False)


# --- files reached through links ----------------------------------------------------------------------------

def test_sections_folder_that_is_a_symlink_pointing_outside(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "01-a.md").write_text(section("A", "Text.\n"))
    folder = make_brief(tmp_path, summary="No citations.\n", references=None, sections={})
    (folder / "sections").symlink_to(tmp_path / "shared")
    assert errors_of(folder) == [
        "b/sections/01-a.md: error: the file is in a linked folder that lies outside the brief folder "
        "(copy the file into the brief folder instead of linking to it)"]


def test_references_file_that_is_a_symlink_pointing_outside(tmp_path):
    (tmp_path / "shared.yaml").write_text("- id: alpha-2024\n- id: beta-2023\n")
    folder = make_brief(tmp_path, references=None)
    (folder / "references.yaml").symlink_to(tmp_path / "shared.yaml")
    assert errors_of(folder) == [
        "b/references.yaml: error: the file is a link to a place outside the brief folder "
        "(copy the file into the brief folder instead of linking to it)"]


def test_summary_that_is_a_symlink_pointing_outside(tmp_path):
    (tmp_path / "secret.txt").write_text("Secret text.\n")
    folder = make_brief(tmp_path, summary=None)
    (folder / "summary.md").symlink_to(tmp_path / "secret.txt")
    assert errors_of(folder) == [
        "b/summary.md: error: the file is a link to a place outside the brief folder "
        "(copy the file into the brief folder instead of linking to it)"]


def test_hidden_files_in_sections_are_ignored(tmp_path):
    folder = make_brief(tmp_path, files={"sections/._01-costs.md": b"\x00\x01", "sections/.draft.md": "no front matter"})
    os.symlink("nowhere@host.1234", folder / "sections" / ".#02-options.md")  # an editor's lock file
    assert [p.path.name for p in load_brief(folder).sections] == ["01-costs.md", "02-options.md"]


def test_a_file_name_that_is_not_utf8_is_an_error_not_a_crash(tmp_path):
    # an old archive's Latin-1 name: the build would fail writing brief.json; check says so first
    folder = make_brief(tmp_path)
    with open(os.path.join(os.fsencode(folder / "sections"), b"caf\xe9.md"), "wb") as handle:
        handle.write(section("Café", "Text.\n").encode("utf-8"))
    assert errors_of(folder) == [
        "b/sections: error: the file name 'b/sections/caf\\xe9.md' is not UTF-8 text "
        "(rename the file with UTF-8 characters (e.g. convmv -f latin1 -t utf-8))"]


def test_the_job_of_a_broken_brief_says_why_without_importing_the_renderers(tmp_path):
    """A content mistake ends the job before WeasyPrint is imported (about half a second a failed job)."""
    import subprocess
    import sys

    folder = make_brief(tmp_path / "content", **with_section("A claim [@no-such-source].\n"))
    out = tmp_path / "build" / "b"
    probe = ("import sys\nfrom pipeline.job import main\n"
             f"status = main(['--brief', {str(folder)!r}, '--out', {str(out)!r}, "
             f"'--marker', {str(out / '.work' / 'published.json')!r}])\n"
             "print(status, 'weasyprint' in sys.modules)\n")
    env = {key: value for key, value in os.environ.items() if key != "BRIEF_JOB_QUIET"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).parent.parent, timeout=120)
    assert result.stdout == "1 False\n", result.stderr
    assert result.stderr == ("b/sections/03-extra.md:5: error: unknown citation id 'no-such-source' (add an entry "
                             "with id 'no-such-source' to references.yaml)\n")
    assert not (out / ".work" / "published.json").exists()
