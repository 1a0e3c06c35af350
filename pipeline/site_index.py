"""The collection index: ``build/index.html`` and ``build/index.json``, for distributors.

    python -m pipeline.site_index --content DIR --build DIR --marker FILE [--templates DIR]

One row per brief of the content folder (title, date, language, version)
with links to its seven outputs (the short and long PDF, DOCX and EPUB, and
the web edition) and its manifest.json, read from the manifests the brief
builds published: the index says only what is there. A brief that has not
been built yet is listed as such. ``index.json`` is the same list for
programs, and names index.html with its size and digest.

The page is one self-contained file: its style sheet is inline and its
fonts (the house sans and, for titles in other scripts, their Noto faces)
are WOFF2 subsets of the characters it shows, embedded as ``data:`` URLs.
Both files are rewritten only when their bytes change (same modification
time otherwise), and hold nothing that varies between builds.

The Snakemake rule ``index`` runs this after the briefs' jobs
(rules/index.smk); like a brief's job, it declares a marker as its output
(``.work/index-published.json``), because Snakemake deletes a job's declared outputs
when it starts, and the index must never be missing.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from .fsutil import write_bytes_if_changed

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
INDEX = "index.html"
INDEX_JSON = "index.json"
FORMATS = (("web", "Web"), ("pdf", "PDF"), ("docx", "Word"), ("epub", "EPUB"))


def _read_manifest(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("outputs"), list) else None


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    if count < 1_000_000:
        return f"{count / 1000:.0f} kB"
    return f"{count / 1_000_000:.1f} MB"


def collect(content_dir: Path, build_dir: Path) -> list[dict]:
    """Every brief of ``content_dir`` as the index shows it, newest first."""
    from .folders import SLUG_RE, discover_briefs, files_present
    from .i18n import direction

    briefs = []
    for folder in discover_briefs(content_dir):
        slug = folder.name
        if not SLUG_RE.match(slug):
            continue
        manifest = _read_manifest(build_dir / slug / "manifest.json")
        entry: dict = {"slug": slug, "built": manifest is not None}
        if manifest is None:
            briefs.append(entry)
            continue
        brief = manifest.get("brief") or {}
        language = str(brief.get("language") or "en")
        entry.update(title=str(brief.get("title") or slug), date=str(brief.get("date") or ""), language=language,
                     version=brief.get("version"), direction=direction(language),
                     manifest=f"{slug}/manifest.json")
        links: dict[str, dict[str, dict]] = {}
        present = files_present(build_dir / slug, [o["file"] for o in manifest["outputs"]
                                                   if isinstance(o, dict) and isinstance(o.get("file"), str)])
        for output in manifest["outputs"]:
            name, variant = output.get("file"), output.get("variant")
            if not isinstance(name, str) or variant not in ("short", "long"):
                continue
            fmt = output.get("edition") or output.get("format")
            if fmt not in dict(FORMATS) or name not in present:
                continue
            link = {"href": f"{slug}/{name}", "bytes": output.get("bytes"), "sha256": output.get("sha256")}
            if output.get("pages"):
                link["pages"] = output["pages"]
            links.setdefault(fmt, {})[variant] = link
        entry["outputs"] = links
        briefs.append(entry)
    built = sorted((b for b in briefs if b["built"]), key=lambda b: b["slug"])
    # newest first; within a date, by name
    built.sort(key=lambda b: b["date"], reverse=True)
    return built + [b for b in briefs if not b["built"]]


def _fonts_css(text: str, languages: list[str]) -> tuple[str, str]:
    """(@font-face rules, font list): the house sans, and the sans of the scripts the titles need, embedded."""
    from . import fonts

    scripts, _missing = fonts.choose(text, "en")
    # each title's language's own faces (Traditional Chinese and Japanese titles write Han characters that
    # the coverage check alone finds in the Simplified Chinese faces)
    scripts += [own for language in set(languages) if (own := fonts.own_script(language)) and own not in scripts]
    scripts = sorted(scripts)  # the page's own language has no script of its own; the order is the bytes'
    # the weights the page uses: 400 and 600 (a Noto face's 600 is its bold)
    faces = [face for face in fonts.faces_for(scripts) if face.role == "sans" and face.style == "normal"
             and (face.weight in (400, 600) or (face.weight == 700 and face.folder != "house"))]
    urls = {}
    for face in faces:
        subset, _name = fonts.subset_file(face, text, flavor="woff2")
        urls[face] = "data:font/woff2;base64," + base64.b64encode(subset.read_bytes()).decode("ascii")
    # the house sans first (the page is in English), then the faces of the titles' scripts; a title's own
    # script's face first for its language (Chinese and Japanese write the same characters differently)
    families = list(dict.fromkeys(face.css_family for face in sorted(faces, key=lambda f: f.folder != "house")))
    css = fonts.font_face_css(faces, lambda face: urls[face])
    for language in sorted(set(languages)):
        own = fonts.own_script(language)
        first = [face.css_family for face in faces if own and face in fonts.SCRIPTS[own]]
        if first:
            stack = list(dict.fromkeys([families[0], *first, *families]))
            css += fonts.with_stacks(f":lang({language}) {{ font-family: var(--sans); }}\n", {"sans": stack})
    return css, fonts.with_stacks("var(--sans)", {"sans": families})


# Stand-ins for the font CSS in the page's one rendering: the fonts are subsets of the page's own characters,
# known only once it is rendered (private-use characters, which no text of the index holds).
_FONT_FACES, _SANS = "\ue000font-faces\ue000", "\ue000sans\ue000"


def render(briefs: list[dict], templates_dir: Path = TEMPLATES_DIR) -> str:
    from .render import environment

    template = environment(str(templates_dir)).get_template("index.html.j2")
    labels = {"web": "Web", "pdf": "PDF", "docx": "Word", "epub": "EPUB"}
    page = template.render(briefs=briefs, formats=FORMATS, labels=labels, size=_size, font_faces=_FONT_FACES,
                           sans=_SANS)
    # the characters of the page, for the font subsets: everything the template and the briefs put there,
    # each once, in order of appearance (a 1,000-brief index is 1.6 MB of text)
    characters = "".join(dict.fromkeys(page.replace(_FONT_FACES, "").replace(_SANS, "")))
    font_faces, sans = _fonts_css(characters, [b["language"] for b in briefs if b["built"]])
    if page.count(_FONT_FACES) == 1 and page.count(_SANS) == 1:
        return page.replace(_FONT_FACES, font_faces).replace(_SANS, sans)
    # a title that holds a stand-in itself: render again, with the CSS
    return template.render(briefs=briefs, formats=FORMATS, labels=labels, size=_size, font_faces=font_faces,
                           sans=sans)


def build_index(content_dir: Path, build_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> dict:
    """Write build/index.html and build/index.json (when they change); return what was done."""
    import hashlib

    briefs = collect(content_dir, build_dir)
    page = render(briefs, templates_dir).encode("utf-8")
    written = []
    if write_bytes_if_changed(build_dir / INDEX, page):
        written.append(INDEX)
    listing = {"index": {"file": INDEX, "media_type": "text/html", "bytes": len(page),
                         "sha256": hashlib.sha256(page).hexdigest()},
               "briefs": [{key: value for key, value in brief.items() if key != "direction"} for brief in briefs]}
    data = (json.dumps(listing, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if write_bytes_if_changed(build_dir / INDEX_JSON, data):
        written.append(INDEX_JSON)
    return {"written": written, "briefs": [b["slug"] for b in briefs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.site_index", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", type=Path, required=True, help="the folder of the briefs")
    parser.add_argument("--build", type=Path, required=True, help="the build folder (index.html goes there)")
    parser.add_argument("--marker", type=Path, required=True, help="written last: what was done")
    parser.add_argument("--templates", type=Path, default=TEMPLATES_DIR)
    args = parser.parse_args(argv)
    try:
        record = build_index(args.content.resolve(), args.build.resolve(), args.templates)
    except OSError as exc:
        from .console import say

        say(f"{exc.filename or args.build}: error: cannot write the collection index: {exc.strerror or exc}")
        return 1
    from .fsutil import write_text_atomic

    write_text_atomic(args.marker, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
