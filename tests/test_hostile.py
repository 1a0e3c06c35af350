"""Hostile input: every case of issue 9 (and the top of issue 8), as an attacker or an unlucky user meets it.

Each case either builds safely or is refused by ``brief check`` with one
line ``path:line: error: message (hint)``:

- refused content: one ``brief check`` run (the real command) over a folder
  holding one brief per case; each test asserts that brief's exact lines,
  exit status 1 and no traceback. The denial-of-service cases are also timed
  one by one.
- accepted hostile content: one ``brief build`` of a collection of such
  briefs; each test asserts what a reader of the outputs sees (no file from
  outside the brief in word/media/ or EPUB/media/, no author style in the
  PDF's HTML, the brief's own distribution label in the footer, only the
  house fonts, clean notes).
- a broken brief keeps its last good outputs: every refused case is written
  over a brief that has outputs, then rebuilt with ``brief build`` and with
  plain ``snakemake``; the six outputs and manifest.json keep their bytes and
  modification times, the exit status is non-zero and the reason is printed.

No network: a TCP listener on 127.0.0.1 runs for the whole module. Its URL is
written everywhere content may hold one (links, references' URL and DOI,
refused images), every pandoc of the tests and of the builds sends HTTP
through it (``BRIEF_BLOCKED_PROXY``), and it must see no connection at all.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import socketserver
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from briefmaker import BRIEF_YAML, PNG, REFERENCES_YAML, SECTIONS, SUMMARY, check, make_brief, section
from conftest import REPO
from lxml import etree
from outputs import NS, docx_xml, epub_documents, epub_read, pdf_fonts, pdf_pages_text, pdf_text

REAL = REPO / "tests" / "fixtures" / "real"
PYTHON = str(REPO / ".venv" / "bin" / "python")
SNAKEMAKE = str(REPO / ".venv" / "bin" / "snakemake")
FINALS = [f"{variant}.{fmt}" for variant in ("short", "long") for fmt in ("pdf", "docx", "epub")]
W = f"{{{NS['w']}}}"


# --- the listener that proves no request leaves a build ----------------------------------------------

class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.seen.append("(connected)")
        self.request.settimeout(2)
        try:
            first = self.rfile.readline(2048).decode("latin-1").strip()
        except OSError:
            first = ""
        self.server.seen[-1] = first or "(connected, sent nothing)"
        # Answer like a web server with an image, so that a fetch would "work" and show in the outputs.
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % len(PNG) + PNG)


class Listener(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with pytest.MonkeyPatch.context() as patch:
        # pandoc started by this process (check()) sends its HTTP through the listener too.
        patch.setattr("pipeline.pandoc.BLOCKED_PROXY", server.url)
        yield server
    server.shutdown()
    server.server_close()


def user_env(listener: Listener) -> dict[str, str]:
    """The environment of a user's command: pandoc's proxy is the listener."""
    return {**os.environ, "BRIEF_BLOCKED_PROXY": listener.url}


def brief_cli(*args: str, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "pipeline.cli", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def plain_snakemake(content: Path, build: Path, env: dict) -> subprocess.CompletedProcess:
    """Plain ``snakemake`` from the checkout, as the README tells users to run it."""
    return subprocess.run([SNAKEMAKE, "--cores", "2", "--config", f"content_dir={content}", f"build_dir={build}"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=600)


# --- hostile files ------------------------------------------------------------------------------------

def image_bytes(fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, fmt)
    return buffer.getvalue()


def alias_bomb(size: int = 952) -> str:
    """A "billion laughs" YAML document of exactly ``size`` bytes: nine levels of nine aliases (9^9 values)."""
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
        f"{child}: &{child} [{', '.join(['*' + parent] * 9)}]\n" for parent, child in zip("abcdefgh", "bcdefghi"))
    padding = size - len(text) - len("# \n")
    assert padding >= 0
    return text + "# " + "x" * padding + "\n"


BOMB = alias_bomb()
TEN_MB_FRONT = section("Extra", "")
EXTRA = "sections/03-extra.md"
HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>styles/apa.csl at master</title></head>
<body><p>Raw<br></body>
</html>
"""
DEPENDENT_FILE_PARENT = (REAL / "csl" / "bmj-open.csl").read_text(encoding="utf-8").replace(
    'href="http://www.zotero.org/styles/bmj" rel="independent-parent"',
    f'href="{(REAL / "csl" / "bmj.csl").as_uri()}" rel="independent-parent"')


def brief_yaml(extra: str = "", **replace: str) -> str:
    text = BRIEF_YAML
    for old, new in replace.items():
        text = text.replace(old, new)
    return text + extra


def extra_section(body: str, files: dict | None = None) -> dict:
    """make_brief arguments: the default sections plus sections/03-extra.md (its body starts on line 5)."""
    return {"sections": {**SECTIONS, "03-extra.md": section("Extra", body)}, "files": files}


@dataclass(frozen=True)
class Refused:
    """A hostile brief that ``brief check`` must refuse, and the lines it must print.

    ``make`` gets the listener's URL and returns make_brief's arguments;
    ``lines`` are the brief's lines relative to its folder ("brief.yaml:1:
    error: ..."), a compiled pattern where the wording is not fixed yet.
    """

    slug: str
    make: Callable[[str], dict]
    lines: tuple
    slow: bool = False  # a denial-of-service case: timed on its own too

    def expected(self) -> list:
        return [re.compile(re.escape(self.slug + "/") + line.pattern) if isinstance(line, re.Pattern)
                else f"{self.slug}/{line}" for line in self.lines]


NOT_PLAIN = "(write plain text; emphasis (*...*) and quotes are allowed)"
STYLE_HINT = "(remove it; the house style sets the look of every format)"
INVISIBLE = "which no output format can hold (delete the character (it is invisible in most editors))"
CONVERT = "(convert it to PNG (or JPEG for photographs, SVG for drawings))"
BOMB_LINE = ("error: the YAML aliases (*name) expand to more than 200,000 values "
             "(write the values out instead of repeating them through aliases)")
GLYPH = r"error: .*\bU\+{code}\b.*"  # no font of the catalogue draws it: file, line and code point

REFUSED = [
    # Confinement: metadata values are text, not Markdown that reads files or the network.
    Refused("title-image", lambda url: {"brief_yaml": brief_yaml(**{'"Ferry links"': '"Ferry ![x](/etc/passwd)"'})},
            (f"brief.yaml:1: error: 'title' may not hold an image {NOT_PLAIN}",)),
    Refused("rights-image", lambda url: {"brief_yaml": brief_yaml('rights: "![r](/any/file)"\n')},
            (f"brief.yaml:7: error: 'rights' may not hold an image {NOT_PLAIN}",)),
    Refused("subtitle-http", lambda url: {"brief_yaml": brief_yaml(f'subtitle: "Costs ![s]({url}/s.png)"\n')},
            (f"brief.yaml:7: error: 'subtitle' may not hold an image {NOT_PLAIN}",)),
    Refused("organization-http", lambda url: {"brief_yaml": brief_yaml(
        **{'"Example Institute"': f'"Example ![o]({url}/o.png) Institute"'})},
        (f"brief.yaml:3: error: 'organization' may not hold an image {NOT_PLAIN}",)),
    Refused("affiliation-http", lambda url: {"brief_yaml": brief_yaml(
        **{'  - name: "Alex Example"\n': f'  - name: "Alex Example"\n    affiliation: "![a]({url}/a.png)"\n'})},
        (f"brief.yaml:6: error: 'authors.0.affiliation' may not hold an image {NOT_PLAIN}",)),
    Refused("section-image-http", lambda url: extra_section(f"![A chart]({url}/chart.png)\n"),
            ("sections/03-extra.md:5: error: image 'URL/chart.png' is a URL or remote resource; only files inside "
             "the brief folder may be used (put the image in the brief's assets/ folder and use a relative path "
             "such as assets/chart.png)",)),
    Refused("yaml-block-in-body", lambda url: extra_section(
        "Text.\n\n---\ncover-image: /etc/passwd\ncss: /etc/passwd\n---\n\nMore text.\n"),
        ("sections/03-extra.md:8: error: a YAML metadata block (between --- lines) inside the text (move settings "
         "to the front matter at the top of the file; to draw a line, write '***')",)),
    Refused("csl-dependent", lambda url: {"brief_yaml": brief_yaml("csl: bmj-open.csl\n"),
                                          "files": {"bmj-open.csl": (REAL / "csl" / "bmj-open.csl").read_bytes()}},
            ("brief.yaml:7: error: bmj-open.csl is a dependent style: it only points to its parent style 'bmj' "
             "(http://www.zotero.org/styles/bmj), which would have to be fetched from the network (download bmj.csl "
             "from https://github.com/citation-style-language/styles, put it in the brief folder and name it in "
             "'csl:')",)),
    Refused("csl-dependent-file-parent", lambda url: {"brief_yaml": brief_yaml("csl: bmj-open.csl\n"),
                                                      "files": {"bmj-open.csl": DEPENDENT_FILE_PARENT}},
            (re.compile(r"brief\.yaml:7: error: bmj-open\.csl is a dependent style: it only points to its parent "
                        r"style 'bmj' \(file:///\S+/bmj\.csl\).* \(download bmj\.csl from "
                        r"https://github\.com/citation-style-language/styles, put it in the brief folder and name it "
                        r"in 'csl:'\)"),)),
    Refused("string-set-attack", lambda url: {"summary": SUMMARY + "\n[]{style=\"string-set: doc-distribution "
                                                                   "'PUBLIC'\"}\n"},
            (f"summary.md:3: error: the attribute 'style' is not allowed {STYLE_HINT}",)),
    Refused("string-set-in-distribution", lambda url: {"brief_yaml": brief_yaml(
        "distribution: \"[Public]{style=\\\"string-set: doc-distribution 'PUBLIC'\\\"}\"\n")},
        (f"brief.yaml:7: error: the attribute 'style' is not allowed {STYLE_HINT}",)),
    Refused("style-background-url", lambda url: extra_section(f'[x]{{style="background:url({url}/x)"}}\n'),
            (f"sections/03-extra.md:5: error: the attribute 'style' is not allowed {STYLE_HINT}",)),
    # Outputs lost: content that once failed late, in the publish step.
    Refused("control-char-title", lambda url: {"brief_yaml": brief_yaml(**{'"Ferry links"': '"Ferry\\x01links"'})},
            (f"brief.yaml:1: error: 'title' contains U+0001 (control character), {INVISIBLE}",)),
    Refused("custom-style", lambda url: extra_section('[x]{custom-style="NoteRef"}\n'),
            (f"sections/03-extra.md:5: error: the attribute 'custom-style' is not allowed {STYLE_HINT}",)),
    Refused("form-feed", lambda url: extra_section("Costs\frose.\n"),
            (f"sections/03-extra.md:5: error: the text contains U+000C (form feed), {INVISIBLE}",)),
    Refused("escape", lambda url: extra_section("Costs\x1b[31mrose.\n"),
            (f"sections/03-extra.md:5: error: the text contains U+001B (ESC), {INVISIBLE}",)),
    Refused("nul", lambda url: extra_section("Costs\x00rose.\n"),
            (f"sections/03-extra.md:5: error: the text contains U+0000 (NUL), {INVISIBLE}",)),
    Refused("non-character", lambda url: extra_section("Costs\ufffe rose.\n"),
            (f"sections/03-extra.md:5: error: the text contains U+FFFE (non-character), {INVISIBLE}",)),
    Refused("forged-placeholder", lambda url: extra_section('Costs []{.brief-cite ref="0"} rose.\n'),
            ("sections/03-extra.md:5: error: the attribute 'ref' is not allowed (remove it; allowed here: dir, lang)",
             "sections/03-extra.md:5: error: the class '.brief-cite' is reserved for the pipeline's own elements "
             "(remove it)")),
    # Characters no font of the catalogue can draw (the PDF would take them from whatever the machine
    # has); Chinese, mathematical brackets and the like are drawn (tests/test_scripts.py).
    Refused("runic", lambda url: extra_section("An author types \u16a0 here.\n"),
            (re.compile(r"sections/03-extra\.md:5: " + GLYPH.format(code="16A0")),)),
    Refused("hieroglyph", lambda url: extra_section("Ferries \U00013000 sail.\n"),
            (re.compile(r"sections/03-extra\.md:5: " + GLYPH.format(code="13000")),)),
    # Denial of service.
    Refused("alias-bomb-brief", lambda url: {"brief_yaml": brief_yaml(BOMB)}, (f"brief.yaml:1: {BOMB_LINE}",),
            slow=True),
    Refused("alias-bomb-references", lambda url: {"references": BOMB + REFERENCES_YAML},
            (f"references.yaml:1: {BOMB_LINE}",), slow=True),
    Refused("image-openers", lambda url: extra_section("![" * 120_000 + "\n"),
            ("sections/03-extra.md:5: error: brackets nested more than 3 deep (write a literal bracket as \\[ or \\], "
             "or put code in a fenced code block)",), slow=True),
    Refused("backticks", lambda url: extra_section("`" * 240_000 + "\n"),
            ("sections/03-extra.md:5: error: more than 32 backticks in a row (shorten the run of backticks)",),
            slow=True),
    Refused("ten-megabytes", lambda url: {"sections": {**SECTIONS, "03-extra.md": TEN_MB_FRONT + "word " * (
        10 * 2**20 // 5)}},
        ("sections/03-extra.md: error: the file is 10240 KB, more than the limit of 256 KB (split the text into "
         "several section files)",), slow=True),
    # Accepted input that broke outputs.
    Refused("bmp-named-png", lambda url: extra_section("![A chart](assets/chart.png)\n",
                                                       {"assets/chart.png": image_bytes("BMP")}),
            (f"sections/03-extra.md:5: error: image 'assets/chart.png' is a BMP file, which not every output format "
             f"can carry {CONVERT}",)),
    Refused("tiff-named-png", lambda url: extra_section("![A chart](assets/chart.png)\n",
                                                        {"assets/chart.png": image_bytes("TIFF")}),
            (f"sections/03-extra.md:5: error: image 'assets/chart.png' is a TIFF file, which not every output format "
             f"can carry {CONVERT}",)),
    Refused("pdf-named-png", lambda url: extra_section("![A chart](assets/chart.png)\n", {
        "assets/chart.png": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}),
        (f"sections/03-extra.md:5: error: image 'assets/chart.png' is a PDF file, which not every output format "
         f"can carry {CONVERT}",)),
    Refused("text-named-png", lambda url: extra_section("![A chart](assets/chart.png)\n",
                                                        {"assets/chart.png": "This is not an image.\n"}),
            ("sections/03-extra.md:5: error: image 'assets/chart.png' is not an image file (PNG, JPEG, GIF or SVG) "
             "(check that the file is really an image; save it again as PNG)",)),
    Refused("svg-file-href", lambda url: extra_section("![A chart](assets/chart.svg)\n", {
        "assets/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                            'width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/>'
                            '</svg>\n'}),
        ("sections/03-extra.md:5: error: image 'assets/chart.svg' is an SVG that refers to another file "
         "(file:///etc/passwd) (embed the referenced image or remove the reference)",)),
    Refused("svg-entity", lambda url: extra_section("![A chart](assets/chart.svg)\n", {
        "assets/chart.svg": '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text y="5">&x;</text>'
                            '</svg>\n'}),
        ("sections/03-extra.md:5: error: image 'assets/chart.svg' is an SVG with a DOCTYPE or entity declarations "
         "(save it again without them (e.g. export as 'plain SVG'))",)),
    Refused("citation-in-link", lambda url: extra_section(f"See [the report [@alpha-2024]]({url}/report).\n"),
            ("sections/03-extra.md:5: error: a citation inside a link's text: [@alpha-2024] (put the citation after "
             "the link: [the report](https://...) [@id])",)),
    Refused("surrogates-in-brief-yaml", lambda url: {"brief_yaml": brief_yaml(
        **{'"Ferry links"': '"Ferry \\ud83d\\udea2 links"'})},
        ("brief.yaml:1: error: YAML syntax error: while parsing a quoted scalar, found invalid Unicode character "
         "escape code (fix the YAML syntax: indentation, a space after ':', quotes around text with colons)",)),
    Refused("surrogates-in-references", lambda url: {"references": REFERENCES_YAML.replace(
        '"Alpha report"', '"Alpha \\ud83d\\udea2 report"')},
        ("references.yaml:4: error: YAML syntax error: while parsing a quoted scalar, found invalid Unicode "
         "character escape code (fix the YAML syntax: indentation, a space after ':', quotes around text with "
         "colons)",)),
    Refused("csl-html-page", lambda url: {"brief_yaml": brief_yaml("csl: apa.csl\n"), "files": {"apa.csl": HTML_PAGE}},
            ("brief.yaml:7: error: apa.csl is not a CSL style: it is not XML (Opening and ending tag mismatch: meta "
             "line 3 and head, line 3, column 75, line 3) (download the style's .csl file from "
             "https://github.com/citation-style-language/styles, not its web page)",)),
    Refused("in-text-style-for-citations", lambda url: {
        "brief_yaml": brief_yaml("csl: apa.csl\nnotes: citations\n"),
        "files": {"apa.csl": (REAL / "csl" / "apa.csl").read_bytes()}},
        ("brief.yaml:7: error: 'notes: citations' needs a note style, and apa.csl (APA Style 7th edition) is an "
         "in-text style (use a note style such as chicago-notes-bibliography.csl, or 'notes: sources')",)),
    # Issue 8: a citation with brackets in its locator is still a citation, and its id is checked.
    Refused("bracket-in-locator", lambda url: extra_section("Extra claim [@no-such-source, p. [3]].\n"),
            ("sections/03-extra.md:5: error: unknown citation id 'no-such-source' (add an entry with id "
             "'no-such-source' to references.yaml)",)),
]
BY_SLUG = {case.slug: case for case in REFUSED}


def write_refused(content: Path, case: Refused, url: str) -> Path:
    return make_brief(content, case.slug, **case.make(url))


def matches(expected, line: str) -> bool:
    return bool(expected.fullmatch(line)) if isinstance(expected, re.Pattern) else expected == line


def with_url(lines: list[str], url: str) -> list[str]:
    return [line.replace(url, "URL") for line in lines]


# --- refused content: one `brief check` of every case ------------------------------------------------

@dataclass
class CheckRun:
    content: Path
    result: subprocess.CompletedProcess
    seconds: float

    def lines_of(self, slug: str) -> list[str]:
        return [line for line in self.result.stdout.splitlines() if line.startswith(f"{slug}/")]


@pytest.fixture(scope="module")
def check_run(tmp_path_factory, listener) -> CheckRun:
    content = tmp_path_factory.mktemp("refused")
    for case in REFUSED:
        write_refused(content, case, listener.url)
    started = time.monotonic()
    result = brief_cli("check", "--content-dir", str(content), cwd=content, env=user_env(listener), timeout=600)
    return CheckRun(content, result, time.monotonic() - started)


def test_check_of_all_hostile_briefs_ends_with_one_summary_and_no_traceback(check_run):
    result = check_run.result
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert result.stderr == ""
    last = result.stdout.splitlines()[-1]
    assert re.fullmatch(rf"checked {len(REFUSED)} briefs: \d+ with errors, \d+ errors, \d+ warnings", last), last
    assert check_run.seconds < 60, f"brief check of {len(REFUSED)} hostile briefs took {check_run.seconds:.0f} s"


@pytest.mark.parametrize("slug", [case.slug for case in REFUSED])
def test_check_refuses_with_one_exact_line(check_run, listener, slug):
    case = BY_SLUG[slug]
    shown = with_url(check_run.lines_of(slug), listener.url)
    expected = case.expected()
    assert len(shown) == len(expected) and all(matches(e, line) for e, line in zip(expected, shown)), (
        "brief check printed:\n" + "\n".join(shown) + "\nexpected:\n" + "\n".join(map(str, expected)))


@pytest.mark.parametrize("slug", [case.slug for case in REFUSED if case.slow])
def test_check_answers_a_hostile_file_within_seconds(tmp_path, listener, slug):
    case = BY_SLUG[slug]
    folder = write_refused(tmp_path, case, listener.url)
    started = time.monotonic()
    problems, document, _ = check(folder)
    elapsed = time.monotonic() - started
    assert document is None
    shown = [p.format(relative_to=tmp_path) for p in problems if p.severity == "error"]
    assert len(shown) == 1 and matches(case.expected()[0], shown[0]), shown
    assert elapsed < 5, f"brief check took {elapsed:.1f} s"


# --- accepted hostile content: one `brief build` of a collection -----------------------------------------

CHICAGO_REFS = """\
references:
  - id: writer-2024
    type: book
    title: "Ferries of the North"
    author: [{family: Writer, given: Alex}]
    publisher: "Harbour Press"
    publisher-place: "Oslo"
    issued: {date-parts: [[2024]]}
"""
DISTRIBUTION = "Internal — do not circulate"


def accepted_briefs(content: Path, url: str) -> None:
    """Briefs that pass ``brief check`` although they hold what an attacker or a careless user would write."""
    web_refs = REFERENCES_YAML.replace('title: "Alpha report"', f'title: "Alpha report"\n    URL: "{url}/ref"\n'
                                                                 f'    DOI: "10.1234/alpha"')
    make_brief(content, "web", brief_yaml=brief_yaml(
        f'distribution: "{DISTRIBUTION}"\nkeywords: ["![k]({url}/k.png)", "![p](/etc/passwd)"]\n'
        'version: "![v](/etc/passwd)"\n'),
        summary=SUMMARY + f"\nSee [the site]({url}/page) and <{url}/auto>.\n", references=web_refs,
        sections={**SECTIONS, "03-extra.md": section("Extra", f"[Report]({url}/report) [@beta-2023].\n")})
    make_brief(content, "far-future", brief_yaml=brief_yaml(**{"2026-11-28": "2150-01-01"}))
    make_brief(content, "two-line-title", sections={**SECTIONS, "03-extra.md": (
        "---\ntitle: |\n  Ferry costs\n  and fares\nkey_point: Fares follow costs.\n---\n"
        "Fares rose too [@alpha-2024].\n")})
    make_brief(content, "footnotes",
               summary="The ferries cost more^[An author note in the summary.] every year [@alpha-2024].\n",
               sections={"01-costs.md": section("Costs", (
                   "Before any citation^[A note before the first citation.] costs rose [@beta-2023, p. 4].\n\n"
                   "After the citations^[A note after the citations.] and one with a source^[See the report "
                   "[@alpha-2024].].\n"), key_point="Costs rose."), "02-options.md": SECTIONS["02-options.md"]})
    make_brief(content, "bib-macros", summary="Aristotle wrote on the soul [@aristotle:anima].\n",
               references=(REAL / "bib" / "biblatex-examples.bib").read_text(encoding="utf-8"),
               references_name="references.bib",
               sections={"01-costs.md": section("Costs", "Costs rose [@aristotle:anima, p. 4].\n",
                                                key_point="Costs rose.")})
    make_brief(content, "ieee", brief_yaml=brief_yaml("csl: ieee.csl\n"),
               files={"ieee.csl": (REAL / "csl" / "ieee.csl").read_bytes()})
    make_brief(content, "chicago", brief_yaml=brief_yaml("csl: chicago-notes-bibliography.csl\nnotes: citations\n"),
               files={"chicago-notes-bibliography.csl": (REAL / "csl" / "chicago-notes-bibliography.csl").read_bytes()},
               references=CHICAGO_REFS, summary="Ferries matter [@writer-2024].\n",
               sections={"01-costs.md": section("Costs", "Costs rose [@writer-2024, 12].\n\n"
                                                         "They rose again [@writer-2024, 14].\n",
                                                key_point="Costs rose.")})
    make_brief(content, "note-style", brief_yaml=brief_yaml("csl: chicago-notes.csl\n"),
               files={"chicago-notes.csl": (REAL / "csl" / "chicago-notes.csl").read_bytes()})


ACCEPTED = ["web", "far-future", "two-line-title", "footnotes", "bib-macros", "ieee", "chicago", "note-style"]


@dataclass
class Build:
    content: Path
    build: Path
    result: subprocess.CompletedProcess

    def file(self, slug: str, name: str) -> Path:
        return self.build / slug / f"{slug}-{name}"

    def built(self, slug: str) -> None:
        """Assert that the brief was built: its six outputs and manifest.json are there."""
        missing = [name for name in [*(f"{slug}-{n}" for n in FINALS), "manifest.json"]
                   if not (self.build / slug / name).is_file()]
        assert not missing, f"{slug}: not built ({', '.join(missing)} missing)\n{self.result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, listener) -> Build:
    root = tmp_path_factory.mktemp("accepted")
    content, build = root / "content", root / "build"
    accepted_briefs(content, listener.url)
    result = brief_cli("build", "--content-dir", str(content), "--build-dir", str(build), cwd=root,
                       env=user_env(listener))
    return Build(content, build, result)


def endnotes(path: Path) -> list[str]:
    """The text of each Word endnote (separators left out)."""
    root = docx_xml(path, "word/endnotes.xml")
    return ["".join(t.text or "" for t in note.iter(f"{W}t")).strip()
            for note in root if int(note.get(f"{W}id")) > 0]


def footnotes(path: Path) -> list[str]:
    root = docx_xml(path, "word/footnotes.xml")
    return ["".join(t.text or "" for t in note.iter(f"{W}t")).strip()
            for note in root if int(note.get(f"{W}id")) > 0]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_hostile_collection_builds_without_a_traceback(hostile_build):
    result = hostile_build.result
    assert "Traceback" not in result.stdout + result.stderr
    # Every console line is a progress line, an indented one-line message or brief's own summary.
    odd = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
           if not re.match(r"\[\d+/\d+\] |  \S|brief: |built \d+ briefs? in ", line)]
    assert odd == []


def test_urls_in_links_references_and_plain_metadata_stay_text_and_nothing_is_fetched(hostile_build, listener):
    hostile_build.built("web")
    core = docx_xml(hostile_build.file("web", "long.docx"), "docProps/core.xml")
    keywords = core.findtext("{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords")
    assert keywords == f"![k]({listener.url}/k.png), ![p](/etc/passwd)"
    long_pdf = flat(pdf_text(hostile_build.file("web", "long.pdf")))
    assert "Version ![v](/etc/passwd)" in long_pdf
    assert f"{listener.url}/auto" in long_pdf and "https://doi.org/10.1234/alpha" in long_pdf
    assert listener.seen == []


def media_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name.startswith(("word/media/", "EPUB/media/"))}


def test_no_output_embeds_a_file_from_outside_its_brief(hostile_build):
    for slug in ACCEPTED:
        if not (hostile_build.build / slug / "manifest.json").is_file():
            continue  # a brief that did not build is reported by its own test
        own = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (hostile_build.content / slug).rglob("*")
               if p.is_file()}
        for variant_format in ("short.docx", "long.docx", "short.epub", "long.epub"):
            for name, data in media_of(hostile_build.file(slug, variant_format)).items():
                assert hashlib.sha256(data).hexdigest() in own, f"{slug}-{variant_format}: {name} is not a brief file"


def test_the_pdf_html_carries_no_author_style_and_the_footer_keeps_the_label(hostile_build):
    hostile_build.built("web")
    for variant in ("short", "long"):
        html = (hostile_build.build / "web" / ".work" / f"web-{variant}.html").read_text(encoding="utf-8")
        assert "string-set" not in html and not re.search(r"\sstyle\s*=", html)
        pages = pdf_pages_text(hostile_build.file("web", f"{variant}.pdf"))
        footers = [page.strip().splitlines()[-1] for page in pages]
        assert all(footer.startswith(DISTRIBUTION) for footer in footers), footers


HOUSE_FONTS = {"Inter", "Inter-Bold", "Inter-Semi-Bold", "Inter-Italic", "EB-Garamond", "EB-Garamond-Italic",
               "EB-Garamond-SemiBold", "EB-Garamond-SemiBold-Italic", "EB-Garamond-Semi-Bold",
               "EB-Garamond-Semi-Bold-Italic"}


def test_every_pdf_uses_only_the_house_fonts(hostile_build):
    for slug in ACCEPTED:
        if not (hostile_build.build / slug / "manifest.json").is_file():
            continue
        for variant in ("short", "long"):
            names = {row["name"].split("+", 1)[-1] for row in pdf_fonts(hostile_build.file(slug, f"{variant}.pdf"))}
            assert names <= HOUSE_FONTS, f"{slug}-{variant}.pdf: {sorted(names - HOUSE_FONTS)}"


def test_a_date_far_in_the_future_builds_with_valid_zips(hostile_build):
    hostile_build.built("far-future")
    for name in ("short.docx", "long.docx", "short.epub", "long.epub"):
        with zipfile.ZipFile(hostile_build.file("far-future", name)) as archive:
            assert archive.testzip() is None
            assert all(1980 <= info.date_time[0] <= 2107 for info in archive.infolist())
    assert "1 January 2150" in flat(pdf_text(hostile_build.file("far-future", "long.pdf"), 1, 1))
    opf = epub_read(hostile_build.file("far-future", "long.epub"), "EPUB/content.opf").decode()
    assert re.search(r"<dc:date[^>]*>2150-01-01", opf)


def test_a_section_title_written_as_a_two_line_yaml_block(hostile_build):
    hostile_build.built("two-line-title")
    text = flat(pdf_text(hostile_build.file("two-line-title", "long.pdf")))
    assert re.search(r"3\. Ferry costs and fares \.{5,} ?\d", text)  # its contents entry, with its page
    assert "{#" not in text
    nav = etree.fromstring(epub_read(hostile_build.file("two-line-title", "long.epub"), "EPUB/nav.xhtml"))
    entries = [" ".join("".join(a.itertext()).split()) for a in nav.iterfind(".//x:nav/x:ol/x:li/x:a", NS)]
    assert "3. Ferry costs and fares" in entries
    headings = [" ".join("".join(t.text or "" for t in p.iter(f"{W}t")).split())
                for p in docx_xml(hostile_build.file("two-line-title", "long.docx")).iter(f"{W}p")
                if p.find("w:pPr/w:pStyle[@w:val='Heading1']", NS) is not None]
    assert "3. Ferry costs and fares" in headings


def test_author_footnotes_before_after_and_with_a_citation(hostile_build):
    hostile_build.built("footnotes")
    docx = hostile_build.file("footnotes", "long.docx")
    assert footnotes(docx) == ["An author note in the summary.", "A note before the first citation.",
                               "A note after the citations.", "See the report\u00a0[1]."]
    assert endnotes(docx) == ["Alpha report. 2024.", "Beta report. 2023."]
    text = flat(pdf_text(hostile_build.file("footnotes", "long.pdf")))
    for line in ("1. Alpha report. 2024.", "2. Beta report. 2023.", "a An author note in the summary.",
                 "b A note before the first citation.", "c A note after the citations.", "d See the report [1]."):
        assert line in text, line
    assert "[]" not in text and not re.search(r"\b1\. (An author|A note|See the report)", text)
    asides = [aside.get("id") for _, doc in epub_documents(hostile_build.file("footnotes", "long.epub"))
              for aside in doc.iterfind(".//x:aside", NS) if aside.get(f"{{{NS['epub']}}}type") == "footnote"]
    assert sorted(asides) == ["fn-a", "fn-b", "fn-c", "fn-d"]


def test_bibtex_string_macros_print_their_values(hostile_build):
    hostile_build.built("bib-macros")
    assert endnotes(hostile_build.file("bib-macros", "long.docx")) == [
        "Aristotle. De anima. Cambridge University Press, Cambridge. 1907."]
    text = flat(pdf_text(hostile_build.file("bib-macros", "long.pdf")))
    assert "Cambridge University Press" in text and not re.search(r"\bcup\b", text)


def test_a_numeric_style_gives_clean_notes(hostile_build):
    hostile_build.built("ieee")
    assert endnotes(hostile_build.file("ieee", "long.docx")) == ["“Alpha report,” 2024.",
                                                                 "“Beta report,” 2023."]
    text = flat(pdf_text(hostile_build.file("ieee", "long.pdf")))
    assert "1. “Alpha report,” 2024." in text
    assert "csl-left-margin" not in text and "]{." not in text and "[1] " not in text


def test_chicago_notes_for_each_citation_give_a_full_then_a_short_note(hostile_build):
    hostile_build.built("chicago")
    assert endnotes(hostile_build.file("chicago", "long.docx")) == [
        "Alex Writer, Ferries of the North (Harbour Press, 2024).", "Writer, Ferries of the North, 12.",
        "Writer, Ferries of the North, 14."]
    text = flat(pdf_text(hostile_build.file("chicago", "long.pdf")))
    assert "1. Alex Writer, Ferries of the North (Harbour Press, 2024)." in text
    assert "Writer, Alex." not in text  # not the bibliography form


def test_a_note_style_without_bibliography_formats_one_note_per_source(hostile_build):
    hostile_build.built("note-style")
    assert endnotes(hostile_build.file("note-style", "long.docx")) == ["Alpha Report (2024).", "Beta Report (2023)."]


def test_the_hostile_build_made_no_network_request(hostile_build, listener):
    assert listener.seen == []


# --- folders with spaces and shell metacharacters, odd file names, bad folder names --------------------

@dataclass
class PathBuilds:
    root: Path
    content: Path
    by_brief: Build
    by_snakemake: Build


@pytest.fixture(scope="module")
def path_builds(tmp_path_factory, listener) -> PathBuilds:
    root = tmp_path_factory.mktemp("paths")
    content = root / "My Briefs"
    make_brief(content, "ferry")
    make_brief(content, "odd", sections={**SECTIONS, "03-extra.md": section(
        "Extra", "![A draft chart](assets/draft{v2}.png)\n")}, files={"assets/draft{v2}.png": PNG})
    make_brief(content, "Bad_Name")
    env = user_env(listener)
    brief_out = root / "out||touch PWNED||x"
    by_brief = brief_cli("build", "--content-dir", str(content), "--build-dir", str(brief_out), cwd=root, env=env)
    snake_out = root / "snake out;touch PWNED;$(touch PWNED2)'x"
    by_snakemake = plain_snakemake(content, snake_out, env)
    return PathBuilds(root, content, Build(content, brief_out, by_brief), Build(content, snake_out, by_snakemake))


def test_folders_with_spaces_and_shell_metacharacters_build_and_run_nothing(path_builds):
    for build in (path_builds.by_brief, path_builds.by_snakemake):
        build.built("ferry")
    planted = [p for where in (REPO, path_builds.root, Path.cwd(), path_builds.by_brief.build,
                               path_builds.by_snakemake.build) for p in where.glob("PWNED*")]
    planted += list(path_builds.root.rglob("PWNED*"))
    assert planted == []


def test_a_file_name_with_braces_is_data_not_a_wildcard(path_builds):
    for build in (path_builds.by_brief, path_builds.by_snakemake):
        build.built("odd")
        media = media_of(build.file("odd", "long.epub"))
        assert list(media.values()) == [PNG]
        assert list(media_of(build.file("odd", "long.docx")).values()) == [PNG]


def test_a_folder_that_is_not_a_slug_fails_alone_with_one_line(path_builds):
    reason = (f"{path_builds.content / 'Bad_Name'}: error: 'Bad_Name' is not a valid brief folder name (use "
              "lower-case letters, digits and hyphens, e.g. my-brief-2026; or start the name with _ to keep the "
              "folder out of the build)")
    brief_result = path_builds.by_brief.result
    assert brief_result.returncode == 1
    assert f"  {reason}" in brief_result.stderr.splitlines()
    assert "brief: 1 brief failed: Bad_Name (their previous outputs are unchanged)" in brief_result.stderr.splitlines()
    assert "Traceback" not in brief_result.stdout + brief_result.stderr
    snake_result = path_builds.by_snakemake.result
    assert snake_result.returncode == 1
    assert reason in snake_result.stderr.splitlines()
    assert "Traceback" not in snake_result.stderr
    for build in (path_builds.by_brief, path_builds.by_snakemake):
        assert sorted(p.name for p in build.build.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            == ["ferry", "odd"]


def test_the_path_builds_made_no_network_request(path_builds, listener):
    assert listener.seen == []


# --- a broken brief keeps its last good outputs ------------------------------------------------------------

def snapshot(build: Path, slug: str) -> dict[str, tuple[str, int]]:
    """sha256 and modification time (ns) of the six outputs and manifest.json."""
    files = [build / slug / f"{slug}-{name}" for name in FINALS] + [build / slug / "manifest.json"]
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) if p.is_file() else None
            for p in files}


@dataclass
class Kept:
    before: dict[str, dict]
    after_brief: dict[str, dict]
    after_snakemake: dict[str, dict]
    by_brief: subprocess.CompletedProcess
    by_snakemake: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def kept(tmp_path_factory, listener) -> Kept:
    """One good brief really built, its published folder given to one brief per refused case, then every case
    written over its brief and the collection rebuilt, by ``brief build`` and then by plain ``snakemake``.

    Copying the good outputs (renamed) instead of building each brief keeps the module fast; what is tested is
    that a failed rebuild never touches what is published, whoever published it.
    """
    root = tmp_path_factory.mktemp("kept")
    content, build = root / "content", root / "build"
    env = user_env(listener)
    make_brief(content, "good")
    first = brief_cli("build", "--content-dir", str(content), "--build-dir", str(build), cwd=root, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    for case in REFUSED:
        target = build / case.slug
        shutil.copytree(build / "good", target, symlinks=True)
        for name in FINALS:
            os.rename(target / f"good-{name}", target / f"{case.slug}-{name}")
    shutil.rmtree(content / "good")
    shutil.rmtree(build / "good")
    before = {case.slug: snapshot(build, case.slug) for case in REFUSED}
    time.sleep(0.05)  # the broken sources are newer than every published file
    for case in REFUSED:
        write_refused(content, case, listener.url)
    by_brief = brief_cli("build", "--content-dir", str(content), "--build-dir", str(build), cwd=root, env=env)
    after_brief = {case.slug: snapshot(build, case.slug) for case in REFUSED}
    by_snakemake = plain_snakemake(content, build, env)
    after_snakemake = {case.slug: snapshot(build, case.slug) for case in REFUSED}
    return Kept(before, after_brief, after_snakemake, by_brief, by_snakemake)


def test_rebuilding_broken_briefs_fails_without_a_traceback(kept):
    for result in (kept.by_brief, kept.by_snakemake):
        assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
        assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in kept.by_brief.stderr.splitlines() if line.startswith("brief: ") and " failed: " in line]
    assert len(failed) == 1 and re.match(r"brief: \d+ briefs failed: ", failed[0]), failed


@pytest.mark.parametrize("slug", [case.slug for case in REFUSED])
def test_a_broken_brief_keeps_its_outputs_and_says_why(kept, listener, slug):
    case = BY_SLUG[slug]
    assert kept.after_brief[slug] == kept.before[slug], "brief build changed or removed published files"
    assert kept.after_snakemake[slug] == kept.before[slug], "snakemake changed or removed published files"
    brief_lines = with_url([line[2:] for line in kept.by_brief.stderr.splitlines() if line.startswith("  ")],
                           listener.url)
    snake_lines = with_url(kept.by_snakemake.stderr.splitlines(), listener.url)
    for expected in case.expected():
        assert any(matches(expected, line) for line in brief_lines), f"brief build did not say: {expected}"
        assert any(matches(expected, line) for line in snake_lines), (
            f"snakemake did not say: {expected}\nits lines naming {slug}: {[x for x in snake_lines if slug in x]}")


def test_the_rebuilds_made_no_network_request(kept, listener):
    assert listener.seen == []


def test_nothing_in_this_module_made_a_network_request(listener):
    assert listener.seen == []
