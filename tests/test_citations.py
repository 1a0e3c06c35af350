"""Finding pandoc-style citations in Markdown and numbering their sources."""

from __future__ import annotations

from briefmaker import make_brief, section

from pipeline.citations import CitationGroup, CitationItem, find_citations, mask_code, number_sources
from pipeline.content import load_brief


def items(text: str) -> list[list[tuple[str, str, str]]]:
    """(key, locator, prefix) of each item, grouped as found."""
    return [[(i.key, i.locator, i.prefix) for i in group.items] for group in find_citations(text)]


# --- syntax -------------------------------------------------------------------

def test_single_citation():
    assert items("Costs rose [@smith-2020].") == [[("smith-2020", "", "")]]


def test_group_of_two_citations():
    assert items("Both say so [@a; @b].") == [[("a", "", ""), ("b", "", "")]]


def test_locator_after_comma():
    assert items("Costs rose [@smith-2020, p. 4].") == [[("smith-2020", "p. 4", "")]]


def test_prefix_and_page_range():
    assert items("Costs rose [see @smith-2020, pp. 3-4].") == [[("smith-2020", "pp. 3-4", "see")]]


def test_group_with_locators_and_prefixes_on_each_item():
    assert items("[see @a, p. 1; also @b, ch. 3]") == [[("a", "p. 1", "see"), ("b", "ch. 3", "also")]]


def test_keys_with_internal_punctuation():
    assert items("[@smith:2020] and [@a.b-c] and [@x_y/z]") == [
        [("smith:2020", "", "")], [("a.b-c", "", "")], [("x_y/z", "", "")]]


def test_trailing_punctuation_is_not_part_of_the_key():
    assert [g.items[0].key for g in find_citations("[@smith:2020.] [@a.b-c:]")] == ["smith:2020", "a.b-c"]


def test_suppress_author_dash_is_still_a_citation():
    assert items("[-@smith-2020]") == [[("smith-2020", "", "")]]


def test_braced_key_may_hold_any_punctuation_but_no_space():
    assert items("[@{https://example.org/a}] [@{odd key}]") == [[("https://example.org/a", "", "")]]


def test_citation_spread_over_two_lines_is_one_group_on_its_first_line():
    groups = find_citations("Intro.\nText [@a;\n@b] more.\n", first_line=10)
    assert [(g.line, [i.key for i in g.items]) for g in groups] == [(11, ["a", "b"])]


def test_start_and_end_are_offsets_of_the_bracketed_group():
    text = "Costs rose [@a, p. 4] sharply."
    (group,) = find_citations(text)
    assert text[group.start:group.end] == "[@a, p. 4]"


# --- what is not a citation ------------------------------------------------------

def test_link_text_with_at_sign_is_not_a_citation():
    assert items("[see @a](https://example.org) and [@b](#x)") == []


def test_image_alt_text_with_at_sign_is_not_a_citation():
    assert items("![chart by @a](assets/chart.png)") == []


def test_reference_style_link_is_not_a_citation():
    assert items("[@a][ref]\n\n[ref]: https://example.org\n") == []


def test_email_address_in_brackets_is_not_a_citation():
    assert items("Write to us [contact info@example.org] or [a@b.org].") == []


def test_escaped_bracket_is_not_a_citation():
    assert items(r"\[@a] is literal text") == []


def test_bare_at_sign_outside_brackets_is_not_a_bracketed_citation():
    assert items("Follow @example on social media.") == []


def test_citation_in_code_span_is_ignored():
    assert items("Write `[@a]` to cite, like this [@b].") == [[("b", "", "")]]


def test_citation_in_double_backtick_code_span_is_ignored():
    assert items("``code with ` and [@a]`` then [@b]") == [[("b", "", "")]]


def test_citation_in_fenced_code_block_is_ignored():
    text = "Before [@a].\n\n```markdown\nText [@b].\n```\n\nAfter [@c].\n"
    assert [(g.line, g.items[0].key) for g in find_citations(text)] == [(1, "a"), (7, "c")]


def test_citation_in_tilde_fence_is_ignored():
    assert items("~~~\n[@a]\n~~~\n[@b]\n") == [[("b", "", "")]]


def test_longer_fence_is_not_closed_by_a_shorter_one():
    assert items("````\n[@a]\n```\n[@b]\n````\n[@c]\n") == [[("c", "", "")]]


def test_fence_with_info_string_does_not_close_a_fence():
    assert items("```python\n[@a]\n```python\n[@b]\n```\n[@c]\n") == [[("c", "", "")]]


def test_mask_code_keeps_offsets_and_line_breaks():
    text = "a `[@x]` b\n```\n[@y]\n```\nc\n"
    masked = mask_code(text)
    assert len(masked) == len(text)
    assert masked.count("\n") == text.count("\n")
    assert "@" not in masked


# --- line numbers ------------------------------------------------------------------

def test_line_numbers_count_from_first_line():
    text = "One.\n\nTwo [@a].\nThree [@b; @c].\n"
    assert [(g.line, len(g.items)) for g in find_citations(text, first_line=5)] == [(7, 1), (8, 2)]


def test_line_numbers_are_lines_of_the_section_file_front_matter_included(tmp_path):
    body = "First paragraph.\n\nSecond paragraph cites [@alpha-2024].\n\nThird cites [@beta-2023, p. 2].\n"
    folder = make_brief(tmp_path, summary="Summary.\n\n\nCites [@beta-2023].\n",
                        sections={"01-a.md": section("A", body, extra="short: true")})
    brief = load_brief(folder)
    stored = (folder / "sections" / "01-a.md").read_text().splitlines()
    lines = [g.line for g in brief.sections[0].groups]
    assert lines == [8, 10]
    assert "[@alpha-2024]" in stored[lines[0] - 1]
    assert "[@beta-2023, p. 2]" in stored[lines[1] - 1]
    assert [g.line for g in brief.summary.groups] == [4]


# --- numbering -------------------------------------------------------------------------

def group(*keys: str) -> CitationGroup:
    return CitationGroup([CitationItem(key) for key in keys], line=1, start=0, end=0)


def test_numbers_follow_first_citation_and_repeats_keep_their_number():
    groups = [group("c"), group("a"), group("c"), group("b"), group("a")]
    assert number_sources(groups) == ["c", "a", "b"]
    assert [g.numbers for g in groups] == [[1], [2], [1], [3], [2]]


def test_group_gets_one_number_per_item():
    groups = [group("a"), group("b", "c"), group("c", "a")]
    number_sources(groups)
    assert [g.numbers for g in groups] == [[1], [2, 3], [3, 1]]


def test_brief_numbers_summary_first_then_sections_in_filename_order(tmp_path):
    refs = "references:\n" + "".join(f"  - id: {k}\n    title: {k}\n" for k in ("s1", "s2", "s3", "s4", "s5"))
    folder = make_brief(
        tmp_path,
        summary="Summary [@s3].\n",
        references=refs,
        sections={
            # Plain string sort: 02-x, 10-y, 9-z.
            "9-z.md": section("Z", "Z cites [@s1].\n"),
            "10-y.md": section("Y", "Y cites [@s2; @s4] and [@s3, p. 9].\n"),
            "02-x.md": section("X", "X cites [@s5] and again [@s3].\n"),
        },
    )
    brief = load_brief(folder)
    assert [p.path.name for p in brief.sections] == ["02-x.md", "10-y.md", "9-z.md"]
    assert brief.note_keys == ["s3", "s5", "s2", "s4", "s1"]
    assert [g.numbers for p in brief.parts for g in p.groups] == [[1], [2], [1], [3, 4], [1], [5]]
    assert brief.sections[1].groups[1].items[0].locator == "p. 9"
