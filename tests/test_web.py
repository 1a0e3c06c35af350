"""The web edition (build/<slug>/web/) and the collection index (build/index.html), as readers see them.

The files are checked as published by the session's corpus build; the
pages are then opened in a real browser (Debian's Chromium through
Playwright, one instance for the module, tests/browser.py) served over HTTP
from their own folder, as a website would: no console error, no failed
request, no request outside the folder, every character drawn by the
edition's own fonts, no WCAG 2.2 AA violation found by axe-core, note
popovers that work with the keyboard, a phone-width page that does not
scroll sideways, and a print style sheet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from browser import AXE, Site, axe_violations, describe, launch, watch
from conftest import CORPUS_BRIEFS, FIXTURES, SAMPLE
from lxml import html as lxml_html
from test_parity import expected_markers

from pipeline.model import read_document

BRIEFS = CORPUS_BRIEFS
PAGES = {"long": "index.html", "short": "short.html"}
MEDIA_TYPES = {"html": "text/html", "css": "text/css", "js": "text/javascript", "woff2": "font/woff2",
               "png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}


def web_files(build: Path, slug: str) -> dict[str, bytes]:
    web = build / slug / "web"
    return {p.relative_to(web.parent).as_posix(): p.read_bytes() for p in sorted(web.rglob("*")) if p.is_file()}


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def text(element) -> str:
    return " ".join(element.text_content().split())


# --- the files ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", BRIEFS)
def test_every_brief_has_a_self_contained_web_edition(corpus, slug):
    document = read_document(corpus.build / slug / ".work" / "brief.json")
    web = corpus.build / slug / "web"
    files = web_files(corpus.build, slug)
    assert {"web/index.html", "web/short.html"} <= set(files)
    for variant, name in PAGES.items():
        root = parse(web / name)
        assert root.get("lang") == document.meta.language
        assert root.get("dir") == document.meta.direction
        assert text(root.find(".//h1")) == " ".join(document.meta.title.plain.split())
        assert root.find(".//title").text.startswith(document.meta.title.plain)
        # landmarks and a skip link to the text
        body = root.find("body")
        assert body.xpath("./header") and body.xpath("./main[@id='text']")
        assert body.xpath("./a[1]/@href") == ["#text"] and body.xpath("./a[1]/@class") == ["skip-link"]
        assert bool(body.xpath("./nav")) == (variant == "long")
        # everything the page loads is a file of the folder, named relatively
        loaded = root.xpath("//link[@rel='stylesheet']/@href | //script/@src | //img/@src")
        assert loaded, name
        for reference in loaded:
            assert not re.match(r"^([a-z]+:|/|\.\.)", reference), reference
            assert (web / reference).resolve().is_file(), reference
            assert (web / reference).resolve().is_relative_to(web.resolve())
        assert all(href == "data:," for href in root.xpath("//link[@rel='icon']/@href"))
        # readable without the script: it is deferred and only enhances
        assert root.xpath("//script[@src]/@defer") != []
    css = next(web.glob("style-*.css")).read_text(encoding="utf-8")
    for url in re.findall(r"url\(\"?([^\")]+)\"?\)", css):
        assert not re.match(r"^([a-z]+:|/|\.\.)", url) and (web / url).is_file(), url
    assert "var(--serif)" not in css and "var(--sans)" not in css
    assert all(name.endswith(".woff2") for name in files if name.startswith("web/fonts/"))
    for name, data in files.items():
        if name.endswith(".woff2"):
            assert data[:4] == b"wOF2", name
    # each asset's name carries its content's digest, so that a page never meets another build's
    for name, data in files.items():
        if not name.endswith(".html"):
            assert Path(name).stem.endswith("-" + hashlib.sha256(data).hexdigest()[:8]), name


@pytest.mark.parametrize("slug", BRIEFS)
def test_the_manifest_lists_the_web_edition(corpus, slug):
    manifest = json.loads((corpus.build / slug / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["file"]: entry for entry in manifest["outputs"] if entry["file"].startswith("web/")}
    files = web_files(corpus.build, slug)
    assert set(listed) == set(files)
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["bytes"] == len(files[name])
        assert entry["edition"] == "web"
        assert entry["format"] == name.rsplit(".", 1)[1]
        assert entry["media_type"] == MEDIA_TYPES[entry["format"]]
        assert entry["variant"] == {"web/index.html": "long", "web/short.html": "short"}.get(name)


@pytest.mark.parametrize("slug", [SAMPLE, "footnotes", "chicago", "arabic", "stress"])
def test_the_web_edition_has_the_pdfs_text_headings_and_note_numbers(corpus, slug):
    document = read_document(corpus.build / slug / ".work" / "brief.json")
    web = parse(corpus.build / slug / "web" / "index.html")
    pdf_page = parse(corpus.build / slug / ".work" / f"{slug}-long.html")  # the page the PDF was made from
    # the same section headings, one level down (the page's h1 is the title)
    assert [text(h) for h in web.xpath("//main/section/h2")] == [text(h) for h in pdf_page.xpath("//main/section/h1")]
    # the same citation markers, in reading order, outside and inside author footnotes
    outside = [int(a.get("href").split("-")[1]) for a in web.xpath("//main//a[contains(@href, '#note-')]"
                                                                     "[not(ancestor::aside)][@role='doc-noteref']")]
    inside = [int(a.get("href").split("-")[1]) for a in web.xpath("//main//aside//a[contains(@href, '#note-')]"
                                                                    "[@role='doc-noteref']")]
    assert outside == expected_markers(document, in_footnotes=False)
    assert inside == expected_markers(document, in_footnotes=True)
    # notes at the end, each with its back links
    notes = web.xpath("//section[@id='notes']//li[starts-with(@id, 'note-')]")
    assert [n.get("id") for n in notes] == [f"note-{note.number}" for note in document.notes]
    for note, item in zip(document.notes, notes):
        assert len(item.xpath(".//a[@role='doc-backlink']")) == len(note.backlinks)
    # author footnotes: lettered markers, the notes as asides with a back link
    letters = [f.letter for f in document.footnotes]
    assert [a.text for a in web.xpath("//a[contains(@class, 'footnote-ref')]")] == letters
    asides = web.xpath("//aside[@role='doc-footnote']")
    assert [a.get("id") for a in asides] == [f"fn-{letter}" for letter in letters]
    # the body's words are the PDF's (the PDF's footnotes stand in the text, the web's at the section's end)
    def words(root):
        main = root.find(".//main")
        for dropped in main.xpath(".//*[contains(@class, 'footnote')] | .//aside | .//*[@class='backlinks']"):
            dropped.drop_tree()
        return sorted(text(main).split())
    assert words(web) == words(pdf_page)


def test_the_short_web_page_links_to_the_long_one(corpus):
    short = parse(corpus.build / SAMPLE / "web" / "short.html")
    assert short.xpath("//div[contains(@class, 'closing-line')]//a/@href") == ["index.html"]
    assert not short.xpath("//a[@role='doc-noteref']")
    assert short.xpath("//*[@id='key-points']//li")


def test_metadata_for_sharing_and_indexing(corpus):
    document = read_document(corpus.build / "mini" / ".work" / "brief.json")
    meta = document.meta
    root = parse(corpus.build / "mini" / "web" / "index.html")

    def content(selector: str) -> list[str]:
        return root.xpath(f"//meta[{selector}]/@content")

    assert content("@name='description'") == [meta.question.plain]
    assert content("@property='og:title'") == [meta.title.plain]
    assert content("@property='og:type'") == ["article"]
    assert content("@property='og:locale'") == ["en"]
    assert content("@property='og:site_name'") == [meta.organization.plain]
    assert content("@property='article:published_time'") == [meta.date]
    assert content("@name='citation_author'") == [a.name.plain for a in meta.authors]
    assert content("@name='citation_publication_date'") == [meta.date.replace("-", "/")]
    (script,) = root.xpath("//script[@type='application/ld+json']/text()")
    report = json.loads(script)
    assert report["@context"] == "https://schema.org" and report["@type"] == "Report"
    assert report["headline"] == meta.title.plain and report["datePublished"] == meta.date
    assert report["inLanguage"] == "en" and report["version"] == meta.version
    assert [a["name"] for a in report["author"]] == [a.name.plain for a in meta.authors]
    assert report["author"][0]["affiliation"]["name"] == meta.authors[0].affiliation.plain
    assert report["publisher"] == {"@type": "Organization", "name": meta.organization.plain}
    assert "url" not in report and "identifier" not in report  # the brief gives none
    assert not root.xpath("//link[@rel='canonical']")
    # the short page describes itself, without the long version's Report
    short = parse(corpus.build / "mini" / "web" / "short.html")
    assert not short.xpath("//script[@type='application/ld+json']")


def test_identifiers_reach_the_metadata_when_the_brief_gives_them(corpus, session):
    """doi, isbn, url, licence and series (issue 13's keys) in the head and the JSON-LD."""
    from pipeline.licence import resolve
    from pipeline.model import Series
    from pipeline.render import metadata_html
    from pipeline.stage import TEMPLATES_DIR
    from pipeline.web import render_web_page

    document = read_document(corpus.build / "mini" / ".work" / "brief.json")
    meta = dataclasses.replace(document.meta, doi="https://doi.org/10.1234/ferry.2026", isbn="978-3-16-148410-0",
                               url="https://example.org/briefs/ferry", licence=resolve("CC-BY-4.0"),
                               series=Series("Island Briefs", "7"))
    document = dataclasses.replace(document, meta=meta)
    page = render_web_page(document, "long", "<p>x</p>", metadata_html(document, session), TEMPLATES_DIR,
                           stylesheet="style.css", script="notes.js")
    root = lxml_html.fromstring(page)
    assert root.xpath("//link[@rel='canonical']/@href") == ["https://example.org/briefs/ferry"]
    assert root.xpath("//meta[@property='og:url']/@content") == ["https://example.org/briefs/ferry"]
    assert root.xpath("//meta[@name='citation_doi']/@content") == ["10.1234/ferry.2026"]
    assert root.xpath("//meta[@name='citation_isbn']/@content") == ["978-3-16-148410-0"]
    assert root.xpath("//link[@rel='license']/@href") == ["https://creativecommons.org/licenses/by/4.0/"]
    short = lxml_html.fromstring(render_web_page(document, "short", "<p>x</p>", metadata_html(document, session),
                                                 TEMPLATES_DIR, stylesheet="style.css", script="notes.js"))
    assert short.xpath("//footer//a[@rel='license']/text()") == ["Creative Commons Attribution 4.0 International"]
    assert root.xpath("//header//a[@href='https://doi.org/10.1234/ferry.2026']")
    report = json.loads(root.xpath("//script[@type='application/ld+json']/text()")[0])
    assert report["url"] == "https://example.org/briefs/ferry"
    assert report["sameAs"] == "https://doi.org/10.1234/ferry.2026"
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1234/ferry.2026"} in report["identifier"]
    assert report["isbn"] == "978-3-16-148410-0"
    assert report["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert report["isPartOf"] == {"@type": "CreativeWorkSeries", "name": "Island Briefs"}
    assert report["position"] == "7"
    # nothing in the JSON can end its script element
    document = dataclasses.replace(document, meta=dataclasses.replace(meta, doi="10.1/</script><script>x</script>"))
    page = render_web_page(document, "long", "<p>x</p>", metadata_html(document, session), TEMPLATES_DIR,
                           stylesheet="style.css", script="notes.js")
    assert page.count("</script>") == page.count("<script")


def test_the_web_edition_is_byte_identical_when_built_again_elsewhere(corpus, tmp_path):
    from pipeline.job import build

    out = tmp_path / "elsewhere" / "mini"
    assert build(corpus.content / "mini", out, out / ".work" / "published.json") == 0
    assert web_files(tmp_path / "elsewhere", "mini") == web_files(corpus.build, "mini")
    # built again in place: nothing of the web edition is written
    record = json.loads((out / ".work" / "published.json").read_text())
    assert build(corpus.content / "mini", out, out / ".work" / "published.json") == 0
    again = json.loads((out / ".work" / "published.json").read_text())
    assert not [name for name in again["written"] if name.startswith("web/")]
    assert sorted(name for name in record["written"] if name.startswith("web/")) == sorted(web_files(
        tmp_path / "elsewhere", "mini"))


# --- publishing a folder --------------------------------------------------------------------------------

def _stage(folder: Path, files: dict[str, str]) -> dict[str, Path]:
    staged = {}
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        staged[name] = path
    return staged


def test_a_published_folder_replaces_the_earlier_one_and_keeps_it_when_not_staged(tmp_path):
    from pipeline.publish import publish

    out = tmp_path / "out"
    args = {"brief": {"slug": "x"}, "pages": {}, "variants": {}, "tools": {}}
    first = _stage(tmp_path / "one", {"x-long.docx": "d1", "web/index.html": "p1", "web/short.html": "s1",
                                      "web/style-aaaa.css": "c1", "web/fonts/f-1.woff2": "f1"})
    report = publish(out, first, ["x-long.docx", "web/index.html", "web/short.html"], **args)
    # the pages after the files they load
    assert report.written.index("web/index.html") > report.written.index("web/style-aaaa.css")
    assert report.written.index("web/short.html") > report.written.index("web/fonts/f-1.woff2")
    second = _stage(tmp_path / "two", {"x-long.docx": "d1", "web/index.html": "p2", "web/short.html": "s1",
                                       "web/style-bbbb.css": "c2", "web/fonts/f-1.woff2": "f1"})
    report = publish(out, second, ["x-long.docx", "web/index.html", "web/short.html"], **args)
    assert report.removed == ["web/style-aaaa.css"]
    assert sorted(report.unchanged) == ["web/fonts/f-1.woff2", "web/short.html", "x-long.docx"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "manifest.json", "web/fonts/f-1.woff2", "web/index.html", "web/short.html", "web/style-bbbb.css",
        "x-long.docx"]
    # a build that did not stage the web edition keeps it, listed as it is
    third = _stage(tmp_path / "three", {"x-long.docx": "d3"})
    report = publish(out, third, ["x-long.docx", "web/index.html", "web/short.html"], **args)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["file"] for e in manifest["outputs"]] == ["web/fonts/f-1.woff2", "web/index.html", "web/short.html",
                                                        "web/style-bbbb.css", "x-long.docx"]
    assert report.removed == [] and (out / "web" / "style-bbbb.css").is_file()


# --- in the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def open_page(browser, url: str, **context):
    page = browser.new_page(**context)
    log = watch(page)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    return page, log


@pytest.mark.parametrize("slug", BRIEFS)
def test_pages_render_without_errors_or_requests_outside_their_folder(corpus, chromium, slug):
    with Site(corpus.build / slug / "web") as site:
        for name in PAGES.values():
            page, log = open_page(chromium, site.url + name, viewport={"width": 360, "height": 740})
            try:
                assert log.console == [] and log.errors == [], (log.console, log.errors)
                assert log.failed == []
                assert all(url.startswith(site.url) for url in log.requests), log.requests
                assert any(url.endswith(".woff2") for url in log.requests)  # its own fonts are used
                # a phone-wide page never scrolls sideways (WCAG 1.4.10 reflow)
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{name} is {overflow}px wider than a 360px screen"
            finally:
                page.close()


def platform_fonts(page) -> dict[str, set[str]]:
    """The fonts Chromium drew each element's own text with: {font family: {custom or system}}."""
    client = page.context.new_cdp_session(page)
    client.send("DOM.enable")
    client.send("CSS.enable")
    root = client.send("DOM.getDocument", {"depth": -1})["root"]
    used: dict[str, set[str]] = {}

    def visit(node):
        if node.get("nodeType") == 1 and any(child.get("nodeType") == 3 and child.get("nodeValue", "").strip()
                                             for child in node.get("children", [])):
            for font in client.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]:
                used.setdefault(font["familyName"], set()).add("custom" if font["isCustomFont"] else "system")
        for child in node.get("children", []):
            visit(child)

    visit(root)
    client.detach()
    return used


@pytest.mark.parametrize("slug", [SAMPLE, "arabic", "chinese", "japanese", "russian"])
def test_every_character_is_drawn_by_the_editions_own_fonts(corpus, chromium, slug):
    with Site(corpus.build / slug / "web") as site:
        page, _ = open_page(chromium, site.url + "index.html")
        try:
            used = platform_fonts(page)
        finally:
            page.close()
    assert used and all(kinds == {"custom"} for kinds in used.values()), used


# The lines of a paragraph, as Chromium laid them out: the right edge of each line's last character, against
# the right edge of the paragraph's content box (in px).
LINE_ENDS_JS = """(selector) => [...document.querySelectorAll(selector)].map((p) => {
  const box = p.getBoundingClientRect(), style = getComputedStyle(p);
  const right = box.right - parseFloat(style.paddingRight);
  const lines = [];
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      for (const rect of range.getClientRects()) {
        if (rect.width === 0) continue;
        const line = lines.find((l) => Math.abs(l.bottom - rect.bottom) < 8);  // a citation sits a little lower
        if (line) line.end = Math.max(line.end, rect.right); else lines.push({bottom: rect.bottom, end: rect.right});
      }
    }
  }
  return {text: p.textContent.slice(0, 30), gaps: lines.slice(0, -1).map((l) => right - l.end)};
})"""


@pytest.mark.parametrize("slug", ["chinese", "japanese"])
def test_chinese_and_japanese_lines_end_flush_in_the_epub_and_the_web_edition(corpus, chromium, slug, tmp_path):
    """Lines break between any two characters; a citation and its neighbours cannot be parted, and ended the
    line before them early, leaving a gap of up to five characters (justified, as in the PDF)."""
    with zipfile.ZipFile(corpus.file(slug, "long", "epub")) as epub:
        epub.extractall(tmp_path / "epub")
    # the PDF's justified paragraphs
    text = "section.part > p, section.part section:not(.panel) > p, section.summary > p, section.appendix > p"
    pages = [(path.as_uri(), text) for path in sorted((tmp_path / "epub" / "EPUB" / "text").glob("*.xhtml"))]
    with Site(corpus.build / slug / "web") as site:
        pages.append((site.url + "index.html", text))
        lines = 0
        for url, selector in pages:
            page, _ = open_page(chromium, url, viewport={"width": 420, "height": 800})
            try:
                paragraphs = page.evaluate(LINE_ENDS_JS, selector)
            finally:
                page.close()
            for paragraph in paragraphs:
                assert all(gap < 1.5 for gap in paragraph["gaps"]), (url, paragraph)
                lines += len(paragraph["gaps"])
    assert lines > 10


@pytest.mark.parametrize(("slug", "name"), [(SAMPLE, "index.html"), (SAMPLE, "short.html"),
                                            ("footnotes", "index.html"), ("arabic", "index.html"),
                                            ("stress", "index.html"), ("chinese", "short.html")])
def test_no_wcag_aa_violation(corpus, chromium, slug, name):
    assert AXE.is_file(), f"{AXE} is missing (run scripts/setup.sh --test)"
    with Site(corpus.build / slug / "web") as site:
        page, _ = open_page(chromium, site.url + name)
        try:
            violations = axe_violations(page)
            if name == "index.html":  # and with a note's popover open
                page.focus("a[role='doc-noteref'], a.footnote-ref")
                assert page.locator("#note-popover").is_visible()
                violations += axe_violations(page)
        finally:
            page.close()
    assert violations == [], describe(violations)


def tab_to(page, selector: str, limit: int = 80) -> str:
    """Press Tab until an element matching ``selector`` has the focus; return its text."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({json.dumps(selector)})"):
            return page.evaluate("document.activeElement.textContent")
    raise AssertionError(f"no {selector} reached with the Tab key")


def test_a_notes_text_pops_up_when_its_marker_has_the_keyboard_focus(corpus, chromium):
    document = read_document(corpus.build / "footnotes" / ".work" / "brief.json")
    with Site(corpus.build / "footnotes" / "web") as site:
        page, log = open_page(chromium, site.url + "index.html", viewport={"width": 1000, "height": 700})
        try:
            popover = page.locator("#note-popover")
            # the skip link comes first and leads to the text
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip-link"
            assert page.locator(".skip-link").is_visible()
            # a footnote's letter: its text beside it, described to screen readers
            letter = tab_to(page, "a.footnote-ref")
            assert popover.is_visible()
            footnote = page.locator(f"#fn-{letter}")
            expected = " ".join(footnote.inner_text().replace("\u21a9\ufe0e", "").split())
            assert " ".join(popover.inner_text().split()) == expected
            assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "note-popover"
            # Escape closes it and leaves the focus where it was (WCAG 1.4.13)
            page.keyboard.press("Escape")
            assert not popover.is_visible()
            assert page.evaluate("document.activeElement.textContent") == letter
            # a source note's number
            number = tab_to(page, "a[role='doc-noteref']")
            assert popover.is_visible()
            note = next(n for n in document.notes if str(n.number) == number)
            shown = " ".join(popover.inner_text().split())
            assert shown.startswith(f"{number}. ")
            assert "\u21a9" not in shown and shown != f"{number}."
            assert popover.locator("a").count() == 0  # a tooltip holds nothing to activate
            box, marker = popover.bounding_box(), page.locator(":focus").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1000
            assert abs(box["y"] - (marker["y"] + marker["height"])) < 40 or box["y"] + box["height"] <= marker["y"]
            # moving on closes it; Enter follows the marker to its note
            page.keyboard.press("Enter")
            assert not popover.is_visible()
            assert page.evaluate("location.hash") == f"#note-{note.number}"
            assert log.console == [] and log.errors == []
        finally:
            page.close()


def test_notes_work_without_the_script(corpus, chromium):
    with Site(corpus.build / SAMPLE / "web") as site:
        page, log = open_page(chromium, site.url + "index.html", java_script_enabled=False)
        try:
            marker = page.locator("a[role='doc-noteref']").first
            target = marker.get_attribute("href")
            marker.click()
            assert page.evaluate("location.hash") == target
            assert page.locator(f"{target}").is_visible()
            # and back to the text
            page.locator(f"{target} a.backlink").first.click()
            assert page.evaluate("location.hash") == "#" + marker.get_attribute("id")
            assert page.locator("#note-popover").count() == 0
        finally:
            page.close()


def test_the_print_style_sheet_follows_the_pdf(corpus, chromium):
    with Site(corpus.build / SAMPLE / "web") as site:
        page, _ = open_page(chromium, site.url + "index.html")
        try:
            page.emulate_media(media="print")
            style = page.evaluate("""() => ({
                body: getComputedStyle(document.querySelector('main p')).fontSize,
                notes: getComputedStyle(document.querySelector('section.notes ol')).fontSize,
                skip: getComputedStyle(document.querySelector('.skip-link')).display,
                column: document.querySelector('main').getBoundingClientRect().width,
            })""")
            assert style["body"] == "14.6667px"  # 11pt, as the PDF
            assert style["notes"] == "12px"  # 9pt
            assert style["skip"] == "none"
            pdf = page.pdf(format="A4")
            assert pdf[:5] == b"%PDF-"
        finally:
            page.close()


# --- the collection index -------------------------------------------------------------------------------

def test_the_index_lists_every_brief_with_its_seven_outputs_and_manifest(corpus):
    root = parse(corpus.build / "index.html")
    entries = {li.get("id"): li for li in root.xpath("//li[contains(@class, 'brief')]")}
    assert set(entries) == set(BRIEFS)
    for slug, entry in entries.items():
        manifest = json.loads((corpus.build / slug / "manifest.json").read_text())
        brief = manifest["brief"]
        heading = entry.find(".//h2")
        assert text(heading) == " ".join(brief["title"].split())
        assert heading.get("lang") == brief["language"]
        facts = text(entry.xpath(".//p[@class='facts']")[0])
        assert brief["date"] in facts and f"language {brief['language']}" in facts
        assert (f"version {brief['version']}" in facts) == bool(brief["version"])
        links = set(entry.xpath(".//a/@href"))
        expected = {f"{slug}/{slug}-{v}.{f}" for v in ("short", "long") for f in ("pdf", "docx", "epub")}
        expected |= {f"{slug}/web/index.html", f"{slug}/web/short.html", f"{slug}/manifest.json"}
        assert links == expected
        for href in links:
            assert (corpus.build / href).is_file(), href
    # newest first
    dates = [json.loads((corpus.build / slug / "manifest.json").read_text())["brief"]["date"] for slug in entries]
    assert dates == sorted(dates, reverse=True)
    listing = json.loads((corpus.build / "index.json").read_text())
    assert listing["index"]["sha256"] == hashlib.sha256((corpus.build / "index.html").read_bytes()).hexdigest()
    assert [b["slug"] for b in listing["briefs"]] == list(entries)


def test_the_index_is_unchanged_when_built_again(corpus, tmp_path):
    from pipeline.site_index import build_index

    before = {name: (corpus.build / name).stat().st_mtime_ns for name in ("index.html", "index.json")}
    assert build_index(corpus.content, corpus.build)["written"] == []
    assert {name: (corpus.build / name).stat().st_mtime_ns for name in before} == before
    # the same bytes in another build folder (links are relative)
    top = {".snakemake", "index.html", "index.json"}
    shutil.copytree(corpus.build, tmp_path / "copy",
                    ignore=lambda folder, names: top & set(names) if Path(folder) == corpus.build else set())
    build_index(corpus.content, tmp_path / "copy")
    assert (tmp_path / "copy" / "index.html").read_bytes() == (corpus.build / "index.html").read_bytes()


def test_the_index_lists_a_brief_not_built_yet(corpus, tmp_path):
    from pipeline.site_index import build_index

    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    build_index(tmp_path / "content", tmp_path / "build")
    root = parse(tmp_path / "build" / "index.html")
    assert "Not built yet" in text(root.xpath("//li[@id='mini']")[0])


def test_the_index_sets_a_traditional_chinese_title_in_the_traditional_chinese_face():
    """Han characters alone would take the Simplified Chinese face: the title's language brings its own."""
    from pipeline.site_index import _fonts_css

    css, _ = _fonts_css("Ferry index 臺灣渡輪", ["zh-Hant", "en"])
    assert ':lang(zh-Hant) { font-family: "Inter", "Brief CJK TC Sans", ' in css, css[-400:]


def test_the_index_page_in_the_browser(corpus, chromium):
    with Site(corpus.build) as site:
        page, log = open_page(chromium, site.url + "index.html", viewport={"width": 360, "height": 740})
        try:
            assert log.console == [] and log.errors == [] and log.failed == []
            assert log.requests == [site.url + "index.html"]  # one file: fonts and style inside
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            violations = axe_violations(page)
            assert violations == [], describe(violations)
        finally:
            page.close()


def test_a_failed_brief_does_not_keep_the_index_from_listing_the_others(tmp_path):
    """The index rule waits for every brief; when one fails, the Snakefile's onerror writes the index of
    what the others published (a failure is no reason for distributors to miss a new brief)."""
    from conftest import run_snakemake

    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "mini", content / "mini")
    shutil.copytree(FIXTURES / "mini", content / "broken")
    summary = content / "broken" / "summary.md"
    summary.write_text(summary.read_text(encoding="utf-8") + "\nAs shown [@no-such-source].\n", encoding="utf-8")
    result = run_snakemake(content, tmp_path / "build")
    assert result.returncode != 0
    assert "unknown citation id 'no-such-source'" in result.stderr
    root = parse(tmp_path / "build" / "index.html")
    entries = {li.get("id"): li for li in root.xpath("//li[contains(@class, 'brief')]")}
    assert list(entries) == ["mini", "broken"]  # the built ones first; a brief never built, without links
    assert "mini/web/index.html" in entries["mini"].xpath(".//a/@href") and not entries["broken"].xpath(".//a")
    listing = json.loads((tmp_path / "build" / "index.json").read_text())
    assert [(b["slug"], b["built"]) for b in listing["briefs"]] == [("mini", True), ("broken", False)]
