"""References from the real world: CSL YAML, CSL JSON (Zotero, Better BibTeX), BibTeX/BibLaTeX.

File-level problems (unreadable, syntax) are errors; problems of one entry
are errors when the brief cites it and one summary warning otherwise.
Real exports and styles are in tests/fixtures/real/ (see its README).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from briefmaker import check, make_brief

from pipeline.cache import Cache
from pipeline.errors import Collector
from pipeline.references import ReferenceIndex, cited_references, index_references

REAL = Path(__file__).parent / "fixtures" / "real"


def index(tmp_path: Path, name: str, content: str | bytes, cache=None) -> tuple[ReferenceIndex, list[str]]:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    problems = Collector()
    refs = index_references(path, problems, cache)
    return refs, [p.format(relative_to=tmp_path) for p in problems.problems]


def entry_problems(refs: ReferenceIndex) -> list[tuple[str | None, int, str]]:
    return [(p.key, p.line, p.message) for p in refs.problems]


def csl(session, refs: ReferenceIndex, keys: list[str]) -> dict[str, dict]:
    kind, text = cited_references(refs, keys, session)
    if kind == "yaml":
        text = session.request("yaml_to_csljson", text=text).result
    return {item["id"]: item for item in json.loads(text)}


# --- CSL YAML -------------------------------------------------------------------------

def test_csl_yaml_pandoc_form_with_references_key(tmp_path):
    refs, problems = index(tmp_path, "references.yaml", """\
---
references:
  - id: smith-2020
    type: report
    title: "Ferry costs"

  - id: jones-2021
    type: book
    title: "Islands"
...
""")
    assert problems == []
    assert refs.lines == {"smith-2020": 3, "jones-2021": 7}
    assert refs.entries["jones-2021"]["title"] == "Islands"


def test_csl_yaml_bare_list_numeric_id_and_dates_as_written(tmp_path):
    refs, problems = index(tmp_path, "references.yaml", "- id: a\n  issued: 2024-05-14\n- id: 2024\n  title: B\n")
    assert problems == []
    assert refs.lines == {"a": 1, "2024": 3}
    assert refs.entries["a"]["issued"] == "2024-05-14"


def test_csl_yaml_duplicate_id_is_an_entry_problem(tmp_path):
    refs, problems = index(tmp_path, "references.yaml", "references:\n  - id: a\n  - id: b\n  - id: a\n")
    assert problems == []
    assert entry_problems(refs) == [("a", 4, "duplicate reference id 'a', first defined on line 2")]


def test_csl_yaml_syntax_error_is_a_file_error(tmp_path):
    refs, problems = index(tmp_path, "references.yaml", "- id: a\n  title: Costs: a review\n")
    assert problems == [
        "references.yaml:2: error: YAML syntax error: mapping values are not allowed in this context "
        "(fix the YAML syntax: indentation, a space after ':', quotes around text with colons)"]
    assert not refs.readable


def test_csl_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, previous in zip("bcdefghi", "abcdefgh"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    refs, problems = index(tmp_path, "references.yaml", "\n".join(lines) + "\n")
    assert problems == ["references.yaml:1: error: the YAML aliases (*name) expand to more than 200,000 values "
                        "(write the values out instead of repeating them through aliases)"]


def test_csl_yaml_is_read_by_pandoc_as_its_own_metadata(session, tmp_path):
    refs, _ = index(tmp_path, "references.yaml", "- id: a\n  type: book\n  title: The *Ever Given* affair\n"
                                                 "  issued: 2021\n")
    item = csl(session, refs, ["a"])["a"]
    assert item["title"] == "The <i>Ever Given</i> affair"
    assert item["issued"] == {"date-parts": [[2021]]}


# --- CSL JSON (Zotero, Better BibTeX) ------------------------------------------------------

def test_csl_json_lines_are_lines_of_each_entry_id(tmp_path):
    text = '[\n  {\n    "type": "report",\n    "id": "smith-2020"\n  },\n  {"id": "jones-2021"}\n]\n'
    refs, problems = index(tmp_path, "references.json", text)
    assert problems == []
    assert refs.lines == {"smith-2020": 4, "jones-2021": 6}


def test_csl_json_syntax_error_with_line(tmp_path):
    refs, problems = index(tmp_path, "references.json", '[\n  {"id": "a"}\n  {"id": "b"}\n]\n')
    assert problems == ["references.json:3: error: JSON syntax error: Expecting ',' delimiter "
                        "(fix the JSON syntax: commas, quotes, brackets)"]


def test_better_bibtex_export_reads_with_its_extra_variables(session, tmp_path):
    shutil.copy(REAL / "csljson" / "bbt-825-embedded-csl-variables.csl.json", tmp_path / "references.json")
    refs = index_references(tmp_path / "references.json", Collector())
    assert list(refs.lines) == ["Author2015", "Blair2004", "Doe2015", "emptybook", "friends:leia:dvd",
                                "friends:leia:tv", "Kubrick1964"]
    items = csl(session, refs, ["Blair2004", "Kubrick1964"])
    assert items["Kubrick1964"]["title-short"] == "Dr. Strangelove"


def test_zotero_bookkeeping_lines_never_reach_a_note(tmp_path):
    text = json.dumps([{"id": "a", "type": "report", "title": "T",
                        "note": "Citation Key: a\nZotero item type: report\ntex.howpublished: x\nSeen in print."}])
    refs, _ = index(tmp_path, "references.json", text)
    assert refs.entries["a"]["note"] == "Seen in print."


# --- BibTeX and BibLaTeX ----------------------------------------------------------------------

BIBTEX = r"""% A comment line
@string{oup = {Oxford University Press}}
@article{perez2024,
  author  = {P{\'e}rez, Luc{\'i}a and Mart{\'i}nez, Jos{\'e}},
  title   = {Muelles peque{\~n}os},
  journal = {Revista Ejemplo},
  month   = jan,
  year    = {2024}
}

@book{smith:2020,
  author    = {Smith, Anne},
  title     = {Caf{\'e} economics},
  publisher = oup,
  year      = 2020
}
"""


def test_bibtex_entries_lines_and_macros(session, tmp_path):
    refs, problems = index(tmp_path, "references.bib", BIBTEX)
    assert problems == [] and refs.problems == []
    assert refs.lines == {"perez2024": 3, "smith:2020": 11}
    items = csl(session, refs, ["perez2024", "smith:2020"])
    assert items["smith:2020"]["publisher"] == "Oxford University Press"  # never the macro name
    assert items["perez2024"]["author"] == [{"family": "Pérez", "given": "Lucía"}, {"family": "Martínez", "given": "José"}]
    assert items["perez2024"]["issued"] == {"date-parts": [[2024, 1]]}


def test_undefined_macro_is_an_entry_problem(tmp_path):
    shutil.copy(REAL / "bib" / "bbt-1597-undefined-string-macro.bibtex", tmp_path / "references.bib")
    refs = index_references(tmp_path / "references.bib", Collector())
    assert entry_problems(refs) == [("bjornsonScalable2020", 5, "'journal' of entry 'bjornsonScalable2020' uses "
                                     "the @string macro 'IEEE_J_WC', which the file never defines")]


def test_biblatex_examples_macros_and_crossref(session, tmp_path):
    shutil.copy(REAL / "bib" / "biblatex-examples.bib", tmp_path / "references.bib")
    refs = index_references(tmp_path / "references.bib", Collector())
    assert refs.crossref["westfahl:space"] == "westfahl:frontier"
    items = csl(session, refs, ["aristotle:anima", "pines", "westfahl:space"])
    assert items["aristotle:anima"]["publisher"] == "Cambridge University Press"
    assert items["pines"]["publisher"] == "Harvard University Press"
    assert items["westfahl:space"]["container-title"]  # inherited from the crossref parent


def test_jabref_string_macros_build_the_author_list(session, tmp_path):
    shutil.copy(REAL / "bib" / "jabref-twente-strings.bib", tmp_path / "references.bib")
    refs = index_references(tmp_path / "references.bib", Collector())
    assert refs.problems == []
    item = csl(session, refs, ["Patterson06"])["Patterson06"]
    assert [a.get("family") for a in item["author"]][:3] == ["Patterson", "Arvind", "Asanovíc"]  # the file spells it so


def test_bibtex_duplicate_key_and_broken_entry_are_entry_problems(tmp_path):
    broken = "@book{broken title = {No comma after the key}}\n\n"
    refs, problems = index(tmp_path, "references.bib", broken + BIBTEX + "\n@misc{perez2024,\n  title = {Another}\n}\n")
    assert problems == []
    assert [(p.key, p.line) for p in refs.problems] == [(None, 1), ("perez2024", 20)]
    assert list(refs.lines) == ["perez2024", "smith:2020"]


def test_an_uncited_broken_entry_does_not_block_a_brief(tmp_path):
    bib = "@book{broken title = {x}}\n\n" + BIBTEX.replace("perez2024", "alpha-2024").replace("smith:2020", "beta-2023")
    folder = make_brief(tmp_path, references=bib, references_name="references.bib")
    problems, document, _ = check(folder)
    assert document is not None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/references.bib:1: warning: BibTeX syntax error: Expected comma after entry key, but found = "
        "(the entry is not cited) (check braces, commas and the @type{key, field = {value}, ...} form)"]


def test_a_cited_entry_with_an_undefined_macro_is_an_error(tmp_path):
    bib = "@book{alpha-2024, title = {A}, publisher = cup, year = 2024}\n@book{beta-2023, title = {B}, year = 2023}\n"
    folder = make_brief(tmp_path, references=bib, references_name="references.bib")
    problems, document, _ = check(folder)
    assert document is None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/references.bib:1: error: 'publisher' of entry 'alpha-2024' uses the @string macro 'cup', which the "
        "file never defines (add @string{cup = {...}} to the file, or write the value in braces)"]


# --- big exports: only the cited entries, one summary warning, a cache -------------------------

def big_bib(count: int) -> str:
    return "".join(f"@article{{key{i},\n  author = {{Author, A. {i}}},\n  title = {{Title {i}}},\n"
                   f"  journal = {{J}},\n  year = {{{2000 + i % 25}}}\n}}\n" for i in range(count))


def test_uncited_entries_are_summed_up_in_one_warning(tmp_path):
    bib = big_bib(500).replace("key0,", "alpha-2024,").replace("key1,", "beta-2023,")
    folder = make_brief(tmp_path, references=bib, references_name="references.bib")
    problems, document, details = check(folder)
    assert document is not None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/references.bib: warning: 498 references are never cited (run 'brief check --verbose' to list them)"]
    assert len(details) == 498


def test_the_index_of_an_unchanged_file_comes_from_the_cache(tmp_path):
    cache = Cache(tmp_path / "cache")
    first, _ = index(tmp_path, "references.bib", big_bib(50), cache)
    assert list((tmp_path / "cache").glob("references-*.json"))
    problems = Collector()
    second = index_references(tmp_path / "references.bib", problems, cache)
    assert second.lines == first.lines and second.entries == first.entries


# --- unreadable files ---------------------------------------------------------------------

def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path):
    refs, problems = index(tmp_path, "references.yaml", b"- id: a\n  title: Caf\xe9\n")
    assert problems == ["references.yaml:2: error: cannot read the references file: it is not UTF-8 text (byte 0xe9) "
                        "(save it with UTF-8 encoding)"]
    assert not refs.readable


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "references.json").mkdir()
    problems = Collector()
    refs = index_references(tmp_path / "references.json", problems)
    assert [p.format(relative_to=tmp_path) for p in problems.problems] == [
        "references.json: error: cannot read the references file: Is a directory "
        "(check that it is a readable file, not a folder or a broken link)"]
    assert not refs.readable


def test_windows_line_endings_keep_line_numbers(tmp_path):
    refs, problems = index(tmp_path, "references.json", b'[\r\n  {"id": "a"},\r\n  {"id": "b"}\r\n]\r\n')
    assert problems == []
    assert refs.lines == {"a": 2, "b": 3}


@pytest.mark.parametrize("size", [MAX := 64 * 1024 * 1024 + 1])
def test_references_file_over_the_size_limit(tmp_path, size):
    path = tmp_path / "references.json"
    with open(path, "wb") as handle:
        handle.truncate(size)
    problems = Collector()
    refs = index_references(path, problems)
    assert [p.format(relative_to=tmp_path) for p in problems.problems] == [
        "references.json: error: the references file is 64 MB, more than the limit of 64 MB "
        "(export only the collection the brief cites from)"]
    assert not refs.readable
