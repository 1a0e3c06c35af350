"""The EPUBs pass EPUBCheck and DAISY Ace, and carry the structure the contract asks for.

Contract, section 2 (EPUB 3): zero EPUBCheck errors and warnings; title,
creator, language, identifier, date, publisher metadata; a navigation
document; notes marked ``noteref``/``endnote`` with back links; EPUB
accessibility metadata that is true of the file. Ace must report no
violation of any impact.

The build is made once per session: the shared ``corpus`` fixture of
``conftest.py`` when there is one, else a build of this module's own (the
sample and the two fixture briefs) into a temporary folder.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from acecheck import run_ace
from conftest import FIXTURE_BRIEFS
from epubcheck_batch import run_epubcheck
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
SAMPLE = "venezuela-security-forces-drug-routes"
BRIEFS = [SAMPLE, *FIXTURE_BRIEFS]
CASES = [(slug, variant) for slug in BRIEFS for variant in ("short", "long")]
NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
EPUB_TYPE = f"{{{NS['epub']}}}type"
CONFORMS_TO = re.compile(r"^EPUB Accessibility 1\.1 - WCAG 2\.\d Level AA$")
SCHEMA = ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
          "schema:accessibilityHazard", "schema:accessibilitySummary")


# --- the build ------------------------------------------------------------------------------------

def _own_build(root: Path) -> Path:
    from conftest import copy_corpus

    content = copy_corpus(root / "content")
    build = root / "build"
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--config", f"content_dir={content}",
         f"build_dir={build}"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return content, build


@pytest.fixture(scope="session")
def epub_build(request, tmp_path_factory) -> tuple[Path, Path]:
    """(content folder, build folder) of a build holding at least the sample and the fixtures."""
    try:
        corpus = request.getfixturevalue("corpus")
    except pytest.FixtureLookupError:
        return _own_build(tmp_path_factory.mktemp("epub-build"))
    return corpus.content, corpus.build


@pytest.fixture(scope="session")
def all_epubs(epub_build) -> list[Path]:
    epubs = sorted(epub_build[1].glob("*/*.epub"))
    assert epubs, f"no EPUB in {epub_build[1]}"
    return epubs


@pytest.fixture(scope="session")
def epubcheck_results(all_epubs) -> dict[Path, list[str]]:
    return run_epubcheck(all_epubs)


@pytest.fixture(scope="session")
def ace_results(all_epubs, tmp_path_factory) -> dict[Path, list[dict]]:
    return run_ace(all_epubs, tmp_path_factory.mktemp("ace"))


def epub_path(epub_build, slug: str, variant: str) -> Path:
    return epub_build[1] / slug / f"{slug}-{variant}.epub"


# --- reading an EPUB ------------------------------------------------------------------------------

class Epub:
    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as archive:
            self.files = {name: archive.read(name) for name in archive.namelist()}
        container = etree.fromstring(self.files["META-INF/container.xml"])
        self.opf_name = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        self.opf = etree.fromstring(self.files[self.opf_name])
        items = self.opf.xpath("//opf:manifest/opf:item", namespaces=NS)
        self.manifest = {i.get("id"): self.resolve(self.opf_name, i.get("href")) for i in items}
        nav = [i for i in items if "nav" in (i.get("properties") or "").split()]
        assert len(nav) == 1, "exactly one navigation document"
        self.nav_name = self.resolve(self.opf_name, nav[0].get("href"))
        self.spine = [self.manifest[r] for r in self.opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)]
        self.docs = {name: etree.fromstring(self.files[name]) for name in self.manifest.values()
                     if name.endswith(".xhtml")}

    @staticmethod
    def resolve(base: str, href: str) -> str:
        return posixpath.normpath(posixpath.join(posixpath.dirname(base), href.split("#")[0]))

    def target(self, base: str, href: str):
        """The element that ``href`` (in document ``base``) points to."""
        name = self.resolve(base, href) if not href.startswith("#") else base
        fragment = href.split("#", 1)[1]
        found = self.docs[name].xpath("//*[@id=$id]", id=fragment)
        assert len(found) == 1, f"{href} from {base}: {len(found)} targets"
        return name, found[0]

    def meta(self, prop: str) -> list[str]:
        return [text(m) for m in self.opf.xpath("//opf:metadata/opf:meta[@property=$p]", p=prop, namespaces=NS)]

    def dc(self, name: str) -> list[str]:
        return [text(e) for e in self.opf.xpath(f"//opf:metadata/dc:{name}", namespaces=NS)]

    def content_docs(self):
        return [(n, self.docs[n]) for n in self.spine if n != self.nav_name]


def text(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def plain(value: str) -> str:
    """Compare source and EPUB text: pandoc makes quotes typographic."""
    return value.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def source_brief(content: Path, slug: str) -> tuple[dict, list[dict]]:
    folder = content / slug
    meta = yaml.safe_load((folder / "brief.yaml").read_text(encoding="utf-8"))
    sections = []
    for path in sorted((folder / "sections").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("---", 2)[1]
        sections.append(yaml.safe_load(front))
    return meta, sections


# --- validators -----------------------------------------------------------------------------------

@pytest.mark.parametrize("slug,variant", CASES)
def test_epubcheck_reports_nothing(epub_build, epubcheck_results, slug, variant):
    path = epub_path(epub_build, slug, variant)
    assert epubcheck_results[path] == [], "\n".join(epubcheck_results[path])


@pytest.mark.parametrize("slug,variant", CASES)
def test_ace_reports_no_violation(epub_build, ace_results, slug, variant):
    path = epub_path(epub_build, slug, variant)
    found = ace_results[path]
    assert found == [], "\n".join(f"[{v['impact']}] {v['rule']} in {v['document']}: {v['description']}"
                                  for v in found)


def test_every_epub_in_the_build_is_clean(epubcheck_results, ace_results):
    """Also the briefs a shared corpus may add (e.g. a generated big brief)."""
    assert {str(p): m for p, m in epubcheck_results.items() if m} == {}
    assert {str(p): [v["rule"] for v in f] for p, f in ace_results.items() if f} == {}


# --- metadata -------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug,variant", CASES)
def test_package_metadata(epub_build, slug, variant):
    epub = Epub(epub_path(epub_build, slug, variant))
    meta, _ = source_brief(epub_build[0], slug)
    assert [plain(t) for t in epub.dc("title")] == [meta["title"]]
    assert epub.dc("creator"), "dc:creator"
    for author in meta.get("authors", []):
        assert any(author["name"] in c for c in epub.dc("creator")), author
    assert epub.dc("language") == [meta.get("language", "en")]
    assert epub.dc("date") == [str(meta["date"])]
    # organisation and rights as the brief resolved them (a theme may give them)
    from pipeline.model import read_document

    resolved = read_document(epub_build[1] / slug / ".work" / "brief.json").meta
    assert epub.dc("publisher") == ([resolved.organization.plain] if resolved.organization else [])
    assert epub.dc("rights") == ([resolved.rights.plain] if resolved.rights else [])

    unique = epub.opf.get("unique-identifier")
    identifier = epub.opf.xpath("//dc:identifier[@id=$id]", id=unique, namespaces=NS)
    assert len(identifier) == 1
    value = text(identifier[0])
    assert not value.lower().startswith("urn:uuid"), value
    # Stable: brief.yaml's identifier, else one derived from the slug; one per variant.
    assert value.endswith(f"-{variant}") and (meta.get("identifier") or slug) in value, value
    ncx = [n for n in epub.files if n.endswith(".ncx")]
    if ncx:
        uid = etree.fromstring(epub.files[ncx[0]]).xpath("string(//ncx:meta[@name='dtb:uid']/@content)",
                                                          namespaces=NS)
        assert uid == value


@pytest.mark.parametrize("slug,variant", CASES)
def test_accessibility_metadata_is_present_and_true(epub_build, slug, variant):
    epub = Epub(epub_path(epub_build, slug, variant))
    for prop in SCHEMA:
        assert epub.meta(prop), prop
    conforms = epub.meta("dcterms:conformsTo")
    assert len(conforms) == 1 and CONFORMS_TO.match(conforms[0]), conforms
    # EPUB Accessibility 1.1 requires the evaluator with the claim: the publisher assesses itself.
    assert epub.meta("a11y:certifiedBy") == epub.dc("publisher")

    images = [(n, img) for n, d in epub.content_docs() for img in d.iter(f"{{{NS['x']}}}img")]
    assert all(img.get("alt", "").strip() for _, img in images), "every image has alt text"
    modes = set(epub.meta("schema:accessMode"))
    features = set(epub.meta("schema:accessibilityFeature"))
    sufficient = set(epub.meta("schema:accessModeSufficient"))
    assert ("visual" in modes) == bool(images)
    assert ("alternativeText" in features) == bool(images)
    assert "textual" in modes and "textual" in sufficient
    assert {"structuralNavigation", "tableOfContents", "readingOrder"} <= features
    assert epub.meta("schema:accessibilityHazard") == ["none"]
    assert slug != "es-bib" or variant == "short" or images, "es-bib has an image"

    summary = epub.meta("schema:accessibilitySummary")[0]
    noterefs = [a for _, d in epub.content_docs() for a in d.xpath("//x:a[@epub:type='noteref']", namespaces=NS)]
    assert ("notes" in summary) == bool(noterefs), summary
    assert ("image" in summary) == bool(images), summary

    # displayTransformability: the stylesheets fix no sizes in px.
    for name, data in epub.files.items():
        if name.endswith(".css"):
            assert not re.search(r"\d\s*px\b", data.decode("utf-8")), name


# --- navigation and structure ---------------------------------------------------------------------

@pytest.mark.parametrize("slug,variant", CASES)
def test_nav_lists_the_sections(epub_build, slug, variant):
    epub = Epub(epub_path(epub_build, slug, variant))
    meta, sections = source_brief(epub_build[0], slug)
    nav = epub.docs[epub.nav_name]
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)
    assert len(toc) == 1
    entries = [(a.get("href"), text(a)) for a in toc[0].xpath(".//x:li/x:a", namespaces=NS)]
    labels = [plain(label) for _, label in entries]
    assert plain(epub.dc("title")[0]) not in labels, "no chapter that only repeats the title"
    if variant == "long":
        expected = [f"{i}. {s['title']}" for i, s in enumerate(sections, 1)]
        assert [label for label in labels if re.match(r"\d+\. ", label)] == expected
    else:
        assert len(entries) == 2  # executive summary, key points
    for href, label in entries:
        name, element = epub.target(epub.nav_name, href)
        heading = element if element.tag.endswith("h1") else element.find(f"{{{NS['x']}}}h1")
        assert heading is not None and plain(text(heading)) == label, (href, label)
    assert epub.spine.index(epub.nav_name) < epub.spine.index(epub.resolve(epub.nav_name, entries[0][0]))


@pytest.mark.parametrize("slug,variant", CASES)
def test_every_document_has_a_title_and_language(epub_build, slug, variant):
    epub = Epub(epub_path(epub_build, slug, variant))
    meta, _ = source_brief(epub_build[0], slug)
    for name, doc in epub.docs.items():
        title = doc.xpath("string(//x:head/x:title)", namespaces=NS).strip()
        assert title and not title.endswith(".xhtml"), (name, title)
        assert doc.get("lang") == meta.get("language", "en"), name


@pytest.mark.parametrize("slug,variant", CASES)
def test_title_page_carries_the_question(epub_build, slug, variant):
    epub = Epub(epub_path(epub_build, slug, variant))
    meta, _ = source_brief(epub_build[0], slug)
    pages = [d for _, d in epub.content_docs()
             if d.xpath("//x:section[@epub:type='titlepage']", namespaces=NS)]
    assert len(pages) == 1
    if meta.get("question"):
        assert plain(meta["question"]) in plain(text(pages[0]))


# --- notes ----------------------------------------------------------------------------------------

def test_short_epub_has_no_notes(epub_build):
    for slug in BRIEFS:
        epub = Epub(epub_path(epub_build, slug, "short"))
        for name, doc in epub.docs.items():
            assert not doc.xpath("//*[@epub:type='noteref' or @epub:type='endnote' or @epub:type='endnotes']",
                                 namespaces=NS), name


@pytest.mark.parametrize("slug", BRIEFS)
def test_long_epub_notes_link_both_ways(epub_build, slug):
    epub = Epub(epub_path(epub_build, slug, "long"))
    citations = {}  # (doc, id) of each citation marker -> (doc, id) of its note
    for name, doc in epub.content_docs():
        for link in doc.xpath("//x:a[contains(concat(' ', @class, ' '), ' noteref ')] | "
                              "//x:a[@epub:type='noteref'][not(contains(@class, 'footnote-ref'))]", namespaces=NS):
            assert link.get(EPUB_TYPE) == "noteref" and link.get("role") == "doc-noteref", etree.tostring(link)
            assert link.get("id"), "a citation marker has an id for the back link"
            assert re.fullmatch(r"\d+", text(link)), text(link)
            note_doc, note = epub.target(name, link.get("href"))
            assert note.tag == f"{{{NS['x']}}}li" and note.get(EPUB_TYPE) == "endnote", etree.tostring(note)
            assert note.getparent().getparent().get(EPUB_TYPE) == "endnotes"
            assert text(link) == note.get("id").split("-")[-1], "marker number = note number"
            citations[(name, link.get("id"))] = (note_doc, note.get("id"))
    assert citations, "the long version cites sources"

    back = {}
    for name, doc in epub.content_docs():
        for note in doc.xpath("//x:li[@epub:type='endnote']", namespaces=NS):
            links = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
            assert links, f"note {note.get('id')} has back links"
            for link in links:
                assert link.get("aria-label"), "a back link says what it does"
                cite_doc, cite = epub.target(name, link.get("href"))
                back[(cite_doc, cite.get("id"))] = (name, note.get("id"))
    assert back == citations, "every citation has exactly one back link, from its own note"


@pytest.mark.parametrize("slug", BRIEFS)
def test_long_epub_footnotes_are_asides_with_letters(epub_build, slug):
    epub = Epub(epub_path(epub_build, slug, "long"))
    refs = [(name, link) for name, doc in epub.content_docs()
            for link in doc.xpath("//x:a[contains(@class, 'footnote-ref')]", namespaces=NS)]
    letters = [text(link) for _, link in refs]
    assert letters == [chr(ord("a") + i) for i in range(len(letters))]
    from pipeline.model import read_document

    footnotes = read_document(epub_build[1] / slug / ".work" / "brief.json").footnotes
    assert len(refs) == len(footnotes)  # each author footnote once, lettered
    for name, link in refs:
        assert link.get(EPUB_TYPE) == "noteref"
        note_doc, aside = epub.target(name, link.get("href"))
        assert aside.tag == f"{{{NS['x']}}}aside" and aside.get(EPUB_TYPE) == "footnote"
        back = aside.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
        assert [epub.target(note_doc, b.get("href"))[1].get("id") for b in back] == [link.get("id")]
