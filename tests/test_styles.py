"""CSL styles from the real world: checked before use, formatted through citeproc on the document tree.

The styles are verbatim copies from citation-style-language/styles in
tests/fixtures/real/csl/ (see its README for licences).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from briefmaker import BRIEF_YAML, check, make_brief, section

from pipeline import tree

REAL = Path(__file__).parent / "fixtures" / "real" / "csl"

REFERENCES = """\
references:
  - id: alpha-2024
    type: report
    title: "Alpha report on ferries"
    author:
      - family: Lindqvist
        given: Maja
    publisher: Example Institute
    issued: {date-parts: [[2024]]}
  - id: beta-2023
    type: book
    title: "Beta book on islands"
    author:
      - family: Okafor
        given: Chidi
    publisher: Example Press
    issued: {date-parts: [[2023]]}
"""


def brief_with_style(tmp_path: Path, style: str | None, notes: str | None = None, body: str | None = None) -> Path:
    extra = ""
    files = {}
    if style:
        shutil.copy(REAL / style, tmp_path / style)
        files[f"styles/{style}"] = (REAL / style).read_text(encoding="utf-8")
        extra += f"csl: styles/{style}\n"
    if notes:
        extra += f"notes: {notes}\n"
    sections = None
    if body is not None:
        sections = {"01-a.md": section("A", body)}
    kwargs = {"sections": sections} if sections else {}
    return make_brief(tmp_path, brief_yaml=BRIEF_YAML + extra, references=REFERENCES, files=files, **kwargs)


def note_texts(folder: Path) -> list[str]:
    problems, document, _ = check(folder)
    assert document is not None, [p.format() for p in problems]
    return [tree.stringify(note.blocks) for note in document.notes]


# --- refused styles ---------------------------------------------------------------------------

def test_dependent_style_is_refused_with_its_parent_named(tmp_path):
    folder = brief_with_style(tmp_path, "bmj-open.csl")
    problems, document, _ = check(folder)
    assert document is None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/brief.yaml:7: error: bmj-open.csl is a dependent style: it only points to its parent style 'bmj' "
        "(http://www.zotero.org/styles/bmj), which would have to be fetched from the network "
        "(download bmj.csl from https://github.com/citation-style-language/styles, put it in the brief folder "
        "and name it in 'csl:')"]


def test_html_page_saved_as_csl_is_refused(tmp_path):
    page = "<!DOCTYPE html>\n<html><head><title>ieee.csl at master</title></head><body><p>Style</p></body></html>\n"
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "csl: ieee.csl\n", files={"ieee.csl": page})
    problems, document, _ = check(folder)
    assert document is None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/brief.yaml:7: error: ieee.csl is not a CSL style: its root element is <html>, not <style> "
        "(download the style's .csl file from https://github.com/citation-style-language/styles)"]


def test_text_file_saved_as_csl_is_refused(tmp_path):
    folder = make_brief(tmp_path, brief_yaml=BRIEF_YAML + "csl: notes.csl\n", files={"notes.csl": "not xml at all\n"})
    problems, _, _ = check(folder)
    assert problems[0].format(relative_to=tmp_path).startswith(
        "b/brief.yaml:7: error: notes.csl is not a CSL style: it is not XML (")


def test_in_text_style_cannot_make_one_note_per_citation(tmp_path):
    folder = brief_with_style(tmp_path, "apa.csl", notes="citations")
    problems, document, _ = check(folder)
    assert document is None
    assert [p.format(relative_to=tmp_path) for p in problems] == [
        "b/brief.yaml:7: error: 'notes: citations' needs a note style, and apa.csl (APA Style 7th edition) is an "
        "in-text style (use a note style such as chicago-notes-bibliography.csl, or 'notes: sources')"]


# --- numeric styles: the pipeline's number, not the style's ----------------------------------

@pytest.mark.parametrize("style", ["ieee.csl", "vancouver.csl", "nlm-citation-sequence.csl"])
def test_numeric_style_notes_carry_no_number_of_their_own(tmp_path, style):
    texts = note_texts(brief_with_style(tmp_path, style))
    assert len(texts) == 2
    for text in texts:
        assert not text.startswith(("[", "1", "2", "(")), text
        assert "csl-left-margin" not in text and "]{" not in text, text
    assert "Alpha report on ferries" in texts[0] and "Lindqvist" in texts[0]


def test_group_with_locators_stays_unambiguous_in_the_pdf_body(tmp_path, session):
    from lxml import html as lxml_html

    from pipeline.compose import compose
    from pipeline.content import load_brief
    from pipeline.document import build_document

    folder = make_brief(tmp_path, summary="Both say so [@alpha-2024, p. 14; @beta-2023] and [@beta-2023; @alpha-2024].\n")
    document = build_document(load_brief(folder, session=session), session)
    html = session.write(compose(document, "long", "html"), "html5", options={"wrap_text": "none"}).result
    markers = [span.text_content() for span in lxml_html.fromstring(html).find_class("citation")]
    assert markers[:2] == ["\u00a0[1,\u00a0p.\u00a014; 2]", "\u00a0[2, 1]"]


# --- note styles ---------------------------------------------------------------------------------

def test_note_style_in_sources_mode_gives_the_full_note_form(tmp_path):
    texts = note_texts(brief_with_style(tmp_path, "chicago-notes-bibliography.csl"))
    # The note form ("Maja Lindqvist, Alpha Report ...") not the bibliography's ("Lindqvist, Maja. ...").
    assert texts[0].startswith("Maja Lindqvist,"), texts[0]


def test_note_style_without_bibliography_works_for_sources(tmp_path):
    texts = note_texts(brief_with_style(tmp_path, "chicago-notes.csl"))
    assert texts[0].startswith("Maja Lindqvist,"), texts[0]


def test_citations_mode_gives_first_then_short_forms(tmp_path):
    body = "First [@alpha-2024, 3]. Again [@alpha-2024, 5]. Other [@beta-2023]. Back [@alpha-2024].\n"
    texts = note_texts(brief_with_style(tmp_path, "chicago-notes-bibliography.csl", notes="citations", body=body))
    summary, first, again, other, back = texts[0], texts[1], texts[2], texts[3], texts[4]
    assert summary.startswith("Maja Lindqvist, Alpha Report on Ferries")  # the summary cites alpha first
    assert first.startswith("Lindqvist, Alpha Report on Ferries, 3")
    assert again.startswith("Lindqvist, Alpha Report on Ferries, 5")
    assert other.startswith("Chidi Okafor, Beta Book on Islands")
    assert back.startswith("Lindqvist, Alpha Report on Ferries")
