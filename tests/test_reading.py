"""Reading Markdown once, with pandoc: what is found, where it is, and what pandoc is not given."""

from __future__ import annotations

import time

import pytest
from briefmaker import make_brief, section

from pipeline.content import load_brief
from pipeline.document import build_document
from pipeline.markdown import Locator, bracket_guard, read
from pipeline.pandoc import PandocSession


def cites(session, text: str) -> list[list[tuple[str, str, str]]]:
    """(key, mode, suffix text) of each citation, grouped by Cite node, in reading order."""
    from pipeline import tree

    reading = read(session, text)
    return [[(c.key, c.mode[:4], tree.stringify(c.suffix)) for c in cite.items] for cite in reading.cites]


# --- citations are pandoc's -------------------------------------------------------------------

def test_single_citation(session):
    assert cites(session, "Costs rose [@smith-2020].") == [[("smith-2020", "Norm", "")]]


def test_group_with_locators_and_prefixes(session):
    assert cites(session, "[see @a, p. 1; also @b, ch. 3]") == [[("a", "Norm", ", p.\u00a01"),
                                                                 ("b", "Norm", ", ch.\u00a03")]]


def test_keys_with_internal_punctuation_and_trailing_punctuation(session):
    found = cites(session, "[@smith:2020] and [@a.b-c] and [@x_y/z] and [@k.]")
    assert [group[0][0] for group in found] == ["smith:2020", "a.b-c", "x_y/z", "k"]


def test_a_locator_with_brackets_is_still_a_citation(session):
    # The regular expressions of old printed this one literally, with exit 0.
    assert cites(session, "Extra claim [@no-such-source, p. [3]].") == [[("no-such-source", "Norm", ", p.\u00a0[3]")]]


def test_bare_at_is_a_citation_in_text_mode_and_code_holds_none(session):
    text = ("Follow @example. [see @a](https://example.org) ![by @b](assets/x.png) `[@c]` "
            "and write to info@example.org.\n\n```\n[@d]\n```\n")
    assert cites(session, text) == [[("example", "Auth", "")], [("a", "Auth", "")], [("b", "Auth", "")]]
    reading = read(session, text)
    assert [c.in_link for c in reading.cites] == [False, True, True]


def test_escaped_bracket_is_text(session):
    assert cites(session, r"\[@a] is literal") == [[("a", "Auth", "")]]


# --- footnotes, images, raw, metadata blocks are nodes -----------------------------------------

def test_inline_and_reference_footnotes_with_a_citation_inside(session):
    text = "Text^[An aside [@a].] and more[^n].\n\n[^n]: A note citing [@b, p. 2].\n"
    reading = read(session, text, first_line=10)
    notes = reading.of_kind("footnote")
    assert [n.line for n in notes] == [10, 10]
    assert [(c.items[0].key, c.in_footnote, c.line) for c in reading.cites] == [("a", True, 10), ("b", True, 12)]


def test_nested_footnote_is_noticed(session):
    reading = read(session, "Text^[outer ^[inner]].")
    assert [n.nested_footnote for n in reading.of_kind("footnote")] == [False, True]


def test_raw_html_and_tex_are_raw_nodes(session):
    reading = read(session, "A <b>bold</b> claim.\n\n<div>block</div>\n\nA \\textbf{x} claim.\n")
    raw = [(n.node["c"][0], n.node["c"][1], n.line) for n in reading.of_kind("raw")]
    assert ("html", "<b>", 1) in raw and ("html", "<div>", 3) in raw and ("tex", "\\textbf{x}", 5) in raw


def test_yaml_block_in_the_body_is_metadata_not_text(session):
    reading = read(session, "Para.\n\n---\ncover-image: /etc/passwd\n---\n\nMore.\n", first_line=4)
    assert "cover-image" in reading.meta
    assert reading.meta_line == 7


def test_headings_code_and_images_with_lines(session):
    text = "# Sub {#sec-costs}\n\n```python\nx = '[@a]'\n```\n\n![A chart](assets/a.png){#fig-a}\n"
    reading = read(session, text, first_line=5)
    assert [(n.kind, n.line) for n in reading.nodes if n.kind in ("header", "code", "figure", "image")] == [
        ("header", 5), ("code", 7), ("figure", 11), ("image", 11)]  # a code block is on its fence
    assert reading.cites == []


# --- locating -------------------------------------------------------------------------------

def test_locator_moves_forward_and_falls_back_to_the_start():
    locator = Locator("a @x\nb @y\nc @x\n", first_line=3)
    assert locator.find("@y") == 4
    assert locator.find("@x") == 5  # the next one after the cursor
    assert locator.find("@y") == 4  # none after: the first one


def test_citation_over_two_lines_is_on_its_first_line(session):
    reading = read(session, "Intro.\nText [@a;\n@b] more.\n", first_line=10)
    assert [c.line for c in reading.cites] == [11]


def test_lines_of_a_section_file_count_its_front_matter(tmp_path):
    body = "First paragraph.\n\nSecond paragraph cites [@alpha-2024].\n\nThird cites [@beta-2023, p. 2].\n"
    folder = make_brief(tmp_path, summary="Summary.\n\n\nCites [@beta-2023].\n",
                        sections={"01-a.md": section("A", body, extra="short: true")})
    brief = load_brief(folder)
    stored = (folder / "sections" / "01-a.md").read_text().splitlines()
    lines = [c.line for c in brief.sections[0].reading.cites]
    assert lines == [8, 10]
    assert "[@alpha-2024]" in stored[lines[0] - 1]
    assert [c.line for c in brief.summary.reading.cites] == [4]


# --- numbering ------------------------------------------------------------------------------

def test_sources_numbered_summary_first_then_sections_in_file_name_order(tmp_path):
    refs = "references:\n" + "".join(f"  - id: {k}\n    title: {k}\n    type: report\n" for k in ("s1", "s2", "s3", "s4", "s5"))
    folder = make_brief(tmp_path, summary="Summary [@s3].\n", references=refs, sections={
        "9-z.md": section("Z", "Z cites [@s1].\n"),
        "10-y.md": section("Y", "Y cites [@s2; @s4] and [@s3, p. 9].\n"),
        "02-x.md": section("X", "X cites [@s5] and again [@s3].\n"),
    })
    with PandocSession() as session:
        document = build_document(load_brief(folder, session=session), session)
    assert [p.file for p in document.sections] == ["sections/02-x.md", "sections/10-y.md", "sections/9-z.md"]
    assert [[i.number for i in c.items] for c in document.citations] == [[1], [2], [1], [3, 4], [1], [5]]
    assert [n.keys for n in document.notes] == [["s3"], ["s5"], ["s2"], ["s4"], ["s1"]]
    assert document.notes[0].backlinks == ["cite-1-1", "cite-1-2", "cite-1-3"]


def test_a_citation_in_a_footnote_numbers_its_source_at_the_footnote(tmp_path):
    folder = make_brief(tmp_path, summary="Summary^[See [@beta-2023].] then [@alpha-2024].\n")
    with PandocSession() as session:
        document = build_document(load_brief(folder, session=session), session)
    assert [(c.items[0].key, c.items[0].number, c.footnote) for c in document.citations][:2] == [
        ("beta-2023", 1, "a"), ("alpha-2024", 2, None)]
    assert [f.letter for f in document.footnotes] == ["a"]


# --- the guard against pandoc's slow paths ------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("![" * 30, "brackets nested more than 3 deep"),
    ("[a [b [c x\n", "3 '[' in this paragraph are never closed"),
    ("[a](" * 10, "10 link targets '](' in this paragraph are never closed"),
    ("<a " * 60, "60 '<' that open HTML tags are never closed"),
    ("`" * 40, "more than 32 backticks in a row"),
    ("> " * 20 + "x", "block quotes nested more than 16 deep"),
    ("``` x\n\n" * 5, "5 code fences are never closed"),
])
def test_guard_refuses_what_pandoc_would_take_minutes_on(text, message):
    problem = bracket_guard(text)
    assert problem is not None and problem.message == message


def test_guard_lets_prose_code_and_escapes_through():
    text = ("Costs [see @a, p. 3; @b] and a [link](https://example.org) and `a[b]`.\n\n"
            "```\n[[[[[[[[\n```\n\nEscaped \\[\\[\\[\\[ brackets and <https://example.org>.\n")
    assert bracket_guard(text) is None


def test_guard_is_linear(session):
    text = ("Some prose with a citation [@smith-2020, p. 4] and *emphasis* and a [link](https://x.org).\n\n") * 2500
    started = time.perf_counter()
    assert bracket_guard(text) is None
    assert time.perf_counter() - started < 1.0
