"""brief.yaml and section front matter against their JSON Schemas, with friendly messages."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from pipeline.errors import Collector
from pipeline.schema import check_against_schema, load_schema
from pipeline.yamlsource import YamlSyntaxError, load_located

VALID = """\
title: "Ferry links"
subtitle: "A test"
question: "Should the province keep subsidising ferries?"
date: 2026-11-28
authors:
  - name: "Alex Example"
    affiliation: "Example Institute"
  - name: "Sam Placeholder"
organization: "Example Institute"
language: pt-BR
version: "1.2"
keywords: ["ferries", "subsidies"]
rights: "© 2026 Example Institute"
distribution: "Internal — do not circulate"
identifier: "urn:example:ferries"
page_size: Letter
csl: styles/notes.csl
short:
  max_pages: 3
"""


def check(text: str, name: str = "brief") -> list[str]:
    """The formatted problems of ``text`` as brief.yaml (or a section's front matter)."""
    if name == "brief":
        path, what, offset = Path("brief.yaml"), "brief.yaml", 0
    else:
        path, what, offset = Path("sections/01-a.md"), "the section's front matter", 1
    problems = Collector()
    ok = check_against_schema(name, load_located(text, line_offset=offset), path, problems, what)
    assert ok == (not problems.problems)
    return [p.format() for p in problems.problems]


# --- brief.yaml ------------------------------------------------------------------------

def test_valid_brief_yaml_with_every_key_passes():
    assert check(VALID) == []


def test_minimal_brief_yaml_passes_and_date_stays_text():
    assert check("title: X\ndate: 2026-02-28\n") == []
    assert load_located("date: 2026-02-28\n").data == {"date": "2026-02-28"}


def test_unknown_key_suggests_the_closest_key():
    assert check("title: X\ndate: 2026-11-28\nsubtitel: Y\n") == [
        "brief.yaml:3: error: unknown key 'subtitel' in brief.yaml (did you mean 'subtitle'?)"]


def test_misspelt_required_key_is_reported_once_as_a_typo():
    assert check("titel: X\ndate: 2026-11-28\n") == [
        "brief.yaml:1: error: unknown key 'titel' in brief.yaml (did you mean 'title'?)"]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys():
    assert check("title: X\ndate: 2026-11-28\ncolour: red\n") == [
        "brief.yaml:3: error: unknown key 'colour' in brief.yaml (allowed keys: acknowledgements, authors, csl, "
        "date, disclaimer, distribution, doi, identifier, isbn, keywords, language, license, notes, organization, "
        "page_size, question, rights, series, short, short_title, subtitle, theme, title, url, version)"]


def test_unknown_key_in_nested_mapping():
    assert check("title: X\ndate: 2026-11-28\nshort:\n  max_page: 2\n") == [
        "brief.yaml:4: error: unknown key 'short.max_page' in brief.yaml (did you mean 'max_pages'?)"]


def test_missing_title():
    assert check("date: 2026-11-28\n") == [
        "brief.yaml:1: error: missing required key 'title' in brief.yaml (add 'title: ...')"]


def test_missing_date():
    assert check("title: X\n") == [
        "brief.yaml:1: error: missing required key 'date' in brief.yaml (add 'date: 2026-11-28')"]


def test_both_required_keys_missing():
    assert check("subtitle: Y\n") == [
        "brief.yaml:1: error: missing required key 'title' in brief.yaml (add 'title: ...')",
        "brief.yaml:1: error: missing required key 'date' in brief.yaml (add 'date: 2026-11-28')"]


def test_author_without_name():
    assert check("title: X\ndate: 2026-11-28\nauthors:\n  - affiliation: Y\n") == [
        "brief.yaml:4: error: missing required key 'authors[0].name' in brief.yaml (add 'name: ...' under 'authors[0]')"]


def test_keywords_not_a_list():
    assert check("title: X\ndate: 2026-11-28\nkeywords: foo\n") == [
        "brief.yaml:3: error: 'keywords' must be a list, not \"foo\" (write one '- item' per line under 'keywords:')"]


def test_keyword_that_is_a_number():
    assert check("title: X\ndate: 2026-11-28\nkeywords:\n  - ferries\n  - 2026\n") == [
        "brief.yaml:5: error: 'keywords[1]' must be text, not 2026 (put the item in quotes: - \"2026\")"]


def test_unquoted_version_number():
    assert check("title: X\ndate: 2026-11-28\nversion: 1.2\n") == [
        "brief.yaml:3: error: 'version' must be text, not 1.2 (put the value in quotes: version: \"1.2\")"]


def test_empty_value():
    assert check("title: X\ndate: 2026-11-28\nsubtitle:\n") == [
        "brief.yaml:3: error: 'subtitle' is empty (write a value after 'subtitle:' or remove the line)"]


def test_empty_title_text():
    assert check('title: ""\ndate: 2026-11-28\n') == [
        "brief.yaml:1: error: 'title' must not be empty (write the text after 'title:')"]


def test_impossible_date():
    assert check("title: X\ndate: 2026-13-45\n") == [
        "brief.yaml:2: error: 'date' is not a valid ISO date: \"2026-13-45\" (write the date as YYYY-MM-DD, e.g. 2026-11-28)"]


def test_date_in_day_month_year_order():
    assert check("title: X\ndate: 28/11/2026\n") == [
        "brief.yaml:2: error: 'date' is not a valid ISO date: \"28/11/2026\" (write the date as YYYY-MM-DD, e.g. 2026-11-28)"]


def test_date_as_number():
    assert check("title: X\ndate: 20261128\n") == [
        "brief.yaml:2: error: 'date' is not a valid ISO date: 20261128 (write the date as YYYY-MM-DD, e.g. 2026-11-28)"]


def test_impossible_date_is_reported_along_with_other_errors():
    assert check("title: X\ndate: 2026-02-30\npage_size: A5\n") == [
        "brief.yaml:3: error: 'page_size' must be one of A4, Letter, not \"A5\" (write 'page_size: A4' or 'page_size: Letter')",
        "brief.yaml:2: error: 'date' is not a valid ISO date: \"2026-02-30\" (write the date as YYYY-MM-DD, e.g. 2026-11-28)"]


def test_bad_page_size():
    assert check("title: X\ndate: 2026-11-28\npage_size: a4\n") == [
        "brief.yaml:3: error: 'page_size' must be one of A4, Letter, not \"a4\" (write 'page_size: A4' or 'page_size: Letter')"]


def test_short_max_pages_zero():
    assert check("title: X\ndate: 2026-11-28\nshort: {max_pages: 0}\n") == [
        "brief.yaml:3: error: 'short.max_pages' must be at least 1, not 0 (write a whole number from 1 to 20)"]


def test_short_max_pages_too_many():
    assert check("title: X\ndate: 2026-11-28\nshort:\n  max_pages: 50\n") == [
        "brief.yaml:4: error: 'short.max_pages' must be at most 20, not 50 (write a whole number from 1 to 20)"]


def test_short_max_pages_not_a_number():
    assert check("title: X\ndate: 2026-11-28\nshort:\n  max_pages: two\n") == [
        "brief.yaml:4: error: 'short.max_pages' must be a whole number, not \"two\" (write a whole number, e.g. max_pages: 2)"]


def test_short_not_a_mapping():
    assert check("title: X\ndate: 2026-11-28\nshort: 2\n") == [
        "brief.yaml:3: error: 'short' must be a mapping, not 2 (write its keys indented under 'short:', e.g. short: {max_pages: 2})"]


def test_bad_language_tag():
    assert check("title: X\ndate: 2026-11-28\nlanguage: English language\n") == [
        "brief.yaml:3: error: 'language' must be a BCP 47 language tag, not \"English language\" (write it like en, es, pt-BR)"]


def test_brief_yaml_that_is_a_list():
    assert check("- title: X\n") == [
        "brief.yaml:1: error: brief.yaml must be a mapping of keys to values (write one 'key: value' per line)"]


# --- section front matter ----------------------------------------------------------------

def test_valid_section_front_matter():
    assert check('title: "Costs"\nkey_point: "They rose."\nshort: false\n', "section") == []


def test_section_unknown_key_line_counts_the_opening_dashes():
    assert check("title: Costs\nkeypoint: They rose.\n", "section") == [
        "sections/01-a.md:3: error: unknown key 'keypoint' in the section's front matter (did you mean 'key_point'?)"]


def test_section_missing_title():
    assert check("key_point: They rose.\n", "section") == [
        "sections/01-a.md:2: error: missing required key 'title' in the section's front matter (add 'title: ...')"]


def test_section_short_maybe():
    assert check("title: Costs\nshort: maybe\n", "section") == [
        "sections/01-a.md:3: error: 'short' must be true or false, not \"maybe\" (write 'short: true' or 'short: false')"]


def test_section_empty_key_point():
    assert check('title: Costs\nkey_point: ""\n', "section") == [
        "sections/01-a.md:3: error: 'key_point' must not be empty (write the text after 'key_point:')"]


# --- YAML reading ---------------------------------------------------------------------------

def test_duplicate_key_is_an_error_with_both_lines():
    with pytest.raises(YamlSyntaxError) as info:
        load_located("title: A\ndate: 2026-11-28\ntitle: B\n")
    assert (info.value.message, info.value.line) == ("duplicate key 'title', first written on line 1", 3)
    assert info.value.hint == "keep one 'title:' line and delete the other; YAML would silently keep only the last one"


def test_duplicate_key_in_nested_mapping_counts_the_offset():
    with pytest.raises(YamlSyntaxError) as info:
        load_located("short:\n  max_pages: 2\n  max_pages: 3\n", line_offset=1)
    assert (info.value.message, info.value.line) == ("duplicate key 'max_pages', first written on line 3", 4)


def test_unclosed_quote_points_at_the_line_where_it_opens():
    with pytest.raises(YamlSyntaxError) as info:
        load_located('date: 2026-11-28\ntitle: "Ferry links\nsubtitle: x\n')
    assert (info.value.message, info.value.line) == ("YAML syntax error: a quote opened on this line is never closed", 2)


def test_alias_that_contains_itself_is_an_error_not_a_crash():
    with pytest.raises(YamlSyntaxError) as info:
        load_located("keywords: &k [*k]\n")
    assert info.value.line == 1


def test_lines_of_keys_and_items():
    located = load_located("title: X\nauthors:\n  - name: A\n  - name: B\n", line_offset=1)
    assert located.line_of(["authors", 1, "name"]) == 5
    assert located.line_of(["authors", 1, "missing"]) == 5
    assert located.line_of(["title"]) == 2


# --- the schema files themselves -------------------------------------------------------------

def _schema_objects(node, where="$"):
    """Every object schema (type object) and every property schema, with a JSON path."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.get("properties", {}).items():
            yield from _schema_objects(value, f"{where}.properties.{key}")
        if "items" in node:
            yield from _schema_objects(node["items"], f"{where}.items")


@pytest.mark.parametrize("name", ["brief", "section"])
def test_every_property_has_a_description_and_every_object_forbids_unknown_keys(name):
    schema = load_schema(name)
    text = resources.files("pipeline").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    assert json.loads(text) == schema
    missing_description, open_objects = [], []
    for where, node in _schema_objects(schema):
        if where != "$" and not node.get("description"):
            missing_description.append(where)
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            open_objects.append(where)
    assert missing_description == []
    assert open_objects == []


def test_schema_walk_finds_nested_objects():
    found = [where for where, node in _schema_objects(load_schema("brief")) if node.get("type") == "object"]
    assert found == ["$", "$.properties.authors.items", "$.properties.short", "$.properties.series"]


def test_an_empty_mapping_document_is_an_empty_mapping_and_its_missing_keys_are_named():
    from pipeline.yamlsource import load_mapping_or_report

    for text in ("", "# nothing yet\n", "\n\n"):
        problems = Collector()
        located = load_mapping_or_report(text, Path("brief.yaml"), problems)
        assert located is not None and located.data == {} and problems.problems == []
        check_against_schema("brief", located, Path("brief.yaml"), problems, "brief.yaml")
        assert [p.format() for p in problems.problems] and all("brief.yaml:1:" in p.format()
                                                               for p in problems.problems)
    problems = Collector()
    assert load_mapping_or_report("title: [unclosed\n", Path("brief.yaml"), problems) is None
    assert [p.line for p in problems.problems] == [1]
