"""Loading references from CSL YAML, CSL JSON and BibTeX, with the line of each entry."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import Collector
from pipeline.references import References, load_references


def load(tmp_path: Path, name: str, content: str | bytes) -> tuple[References, list[str]]:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    problems = Collector()
    refs = load_references(path, problems)
    return refs, [p.format(relative_to=tmp_path) for p in problems.problems]


# --- CSL YAML -------------------------------------------------------------------------

def test_csl_yaml_pandoc_form_with_references_key(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", """\
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
    assert list(refs.items) == ["smith-2020", "jones-2021"]
    assert refs.items["jones-2021"]["title"] == "Islands"
    assert refs.lines == {"smith-2020": 3, "jones-2021": 7}
    assert refs.readable


def test_csl_yaml_bare_list(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "- id: a\n  title: A\n- id: b\n  title: B\n")
    assert problems == []
    assert refs.lines == {"a": 1, "b": 3}


def test_csl_yaml_dates_stay_as_written(tmp_path):
    refs, _ = load(tmp_path, "references.yaml", "- id: a\n  issued: 2024-05-14\n")
    assert refs.items["a"]["issued"] == "2024-05-14"


def test_csl_yaml_numeric_id_is_read_as_text(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "- id: 2024\n  title: A\n")
    assert problems == []
    assert refs.items["2024"]["id"] == "2024"


def test_csl_yaml_byte_order_mark_is_accepted(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "\ufeff- id: a\n  title: A\n")
    assert problems == []
    assert refs.lines == {"a": 1}


def test_csl_yaml_duplicate_id(tmp_path):
    _, problems = load(tmp_path, "references.yaml", "references:\n  - id: a\n  - id: b\n  - id: a\n    title: again\n")
    assert problems == [
        "references.yaml:4: error: duplicate reference id 'a', first defined on line 2 "
        "(give each reference its own id, or delete the duplicate entry)"
    ]


def test_csl_yaml_duplicate_field_in_one_entry(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "- id: a\n  title: One\n  title: Two\n")
    assert problems == [
        "references.yaml:3: error: duplicate key 'title', first written on line 2 "
        "(keep one 'title:' line and delete the other; YAML would silently keep only the last one)"
    ]
    assert not refs.readable


def test_csl_yaml_syntax_error_with_line(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "- id: a\n  title: Costs: a review\n")
    assert problems == [
        "references.yaml:2: error: YAML syntax error: mapping values are not allowed here "
        "(fix the YAML syntax: indentation, a space after ':', quotes around text with colons)"
    ]
    assert not refs.readable


def test_csl_yaml_entry_without_id(tmp_path):
    _, problems = load(tmp_path, "references.yaml", "- id: a\n- title: No id\n")
    assert problems == [
        "references.yaml:2: error: a reference has no id (give every entry an id: a short key such as smith-2024)"
    ]


def test_empty_csl_yaml_file_has_no_references(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", "# no sources yet\n")
    assert problems == []
    assert refs.items == {} and refs.readable


def test_csl_yaml_not_a_list(tmp_path):
    _, problems = load(tmp_path, "references.yaml", "title: not a list\n")
    assert problems == [
        "references.yaml:1: error: expected a list of CSL references, or a 'references:' key holding one "
        "(write 'references:' followed by one '- id: ...' entry per source)"
    ]


# --- CSL JSON ---------------------------------------------------------------------------

CSL_JSON = """\
[
  {
    "type": "report",
    "id": "smith-2020",
    "title": "Ferry costs"
  },
  {"id": "jones-2021", "type": "book", "title": "Islands",
   "author": [{"family": "Jones", "given": "Kim"}]}
]
"""


def test_csl_json_lines_are_lines_of_each_entry_id(tmp_path):
    refs, problems = load(tmp_path, "references.json", CSL_JSON)
    assert problems == []
    assert refs.lines == {"smith-2020": 4, "jones-2021": 7}
    assert refs.items["jones-2021"]["author"] == [{"family": "Jones", "given": "Kim"}]


def test_csl_json_object_with_references_key(tmp_path):
    refs, problems = load(tmp_path, "references.json", '{"references": [\n  {"id": "a"},\n  {"id": "b"}\n]}\n')
    assert problems == []
    assert refs.lines == {"a": 2, "b": 3}


def test_csl_json_duplicate_id(tmp_path):
    _, problems = load(tmp_path, "references.json", '[\n  {"id": "a"},\n  {"id": "b"},\n  {"id": "a"}\n]\n')
    assert problems == [
        "references.json:4: error: duplicate reference id 'a', first defined on line 2 "
        "(give each reference its own id, or delete the duplicate entry)"
    ]


def test_csl_json_entry_without_id_does_not_shift_the_lines_of_the_others(tmp_path):
    refs, problems = load(tmp_path, "references.json", '[\n  {"title": "x"},\n  {"id": "b"}\n]\n')
    assert problems == [
        "references.json:2: error: a reference has no id (give every entry an id: a short key such as smith-2024)"
    ]
    assert refs.lines == {"b": 3}


def test_csl_json_syntax_error_with_line(tmp_path):
    refs, problems = load(tmp_path, "references.json", '[\n  {"id": "a"}\n  {"id": "b"}\n]\n')
    assert problems == [
        "references.json:3: error: JSON syntax error: Expecting ',' delimiter (fix the JSON syntax: commas, quotes, brackets)"
    ]
    assert not refs.readable


def test_csl_json_not_an_array(tmp_path):
    _, problems = load(tmp_path, "references.json", '\n{"id": "a"}\n')
    assert problems == [
        'references.json:2: error: expected a JSON array of CSL references (write [ {"id": ...}, ... ])'
    ]


# --- BibTeX -----------------------------------------------------------------------------

BIBTEX = r"""% A comment line
@article{perez2024,
  author  = {P{\'e}rez, Luc{\'i}a and Mart{\'i}nez, Jos{\'e}},
  title   = {Muelles peque{\~n}os},
  journal = {Revista Ejemplo},
  year    = {2024}
}

@book{smith:2020,
  author    = {Smith, Anne},
  title     = {Caf{\'e} economics},
  publisher = {Example Press},
  year      = 2020
}
"""


def test_bibtex_entries_and_their_lines(tmp_path):
    refs, problems = load(tmp_path, "references.bib", BIBTEX)
    assert problems == []
    assert refs.lines == {"perez2024": 2, "smith:2020": 9}
    assert refs.items["smith:2020"]["type"] == "book"
    assert refs.items["smith:2020"]["issued"] == {"date-parts": [[2020]]}


def test_bibtex_latex_accents_are_decoded(tmp_path):
    refs, _ = load(tmp_path, "references.bib", BIBTEX)
    assert refs.items["perez2024"]["author"] == [
        {"family": "Pérez", "given": "Lucía"}, {"family": "Martínez", "given": "José"}]
    assert refs.items["perez2024"]["title"] == "Muelles pequeños"
    assert refs.items["smith:2020"]["title"] == "Café economics"


def test_bibtex_duplicate_key(tmp_path):
    refs, problems = load(tmp_path, "references.bib", BIBTEX + "\n@misc{perez2024,\n  title = {Another}\n}\n")
    assert problems == [
        "references.bib:16: error: duplicate reference id 'perez2024', first defined on line 2 "
        "(give each reference its own key, or delete the duplicate entry)"
    ]
    # The first entry is kept, with its own fields.
    assert refs.items["perez2024"]["title"] == "Muelles pequeños"


def test_bibtex_syntax_error_names_the_entry_and_keeps_the_others(tmp_path):
    broken = "@book{broken title = {No comma after the key}}\n\n"
    refs, problems = load(tmp_path, "references.bib", broken + BIBTEX)
    assert problems == [
        "references.bib:1: error: BibTeX syntax error: Expected comma after entry key, but found = "
        "(check braces, commas and the @type{key, field = {value}, ...} form)"
    ]
    assert list(refs.items) == ["perez2024", "smith:2020"]


# --- unreadable files ---------------------------------------------------------------------

def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path):
    refs, problems = load(tmp_path, "references.yaml", b"- id: a\n  title: Caf\xe9\n")
    assert problems == [
        "references.yaml:2: error: cannot read the references file: it is not UTF-8 text (byte 0xe9) "
        "(save it with UTF-8 encoding)"
    ]
    assert refs.items == {} and not refs.readable


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "references.json").mkdir()
    problems = Collector()
    refs = load_references(tmp_path / "references.json", problems)
    assert [p.format(relative_to=tmp_path) for p in problems.problems] == [
        "references.json: error: cannot read the references file: Is a directory "
        "(check that it is a readable file, not a folder or a broken link)"
    ]
    assert not refs.readable


def test_windows_line_endings_keep_line_numbers(tmp_path):
    refs, problems = load(tmp_path, "references.json", b'[\r\n  {"id": "a"},\r\n  {"id": "b"}\r\n]\r\n')
    assert problems == []
    assert refs.lines == {"a": 2, "b": 3}
