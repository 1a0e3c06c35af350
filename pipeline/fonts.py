"""Fonts for every script: which faces a brief needs, where they are, and whether they cover its text.

The house faces (EB Garamond for text, Inter for headings and furniture,
templates/fonts) cover Latin, Greek and Cyrillic. Other scripts use Noto
faces from Debian's ``fonts-noto-core`` and ``fonts-noto-cjk`` packages,
which the project's set-up installs (scripts/setup.sh): Naskh Arabic
(Arabic, Persian), Nastaliq Urdu, Hebrew, Devanagari, Thai, and the CJK faces
for Simplified and Traditional Chinese, Japanese and Korean, each extracted
from Debian's font collections (a collection's face is chosen unpredictably
by fontconfig; a single face file is not) into the pipeline's cache. Noto
Serif and Sans, and Noto's symbol and mathematics faces, catch the rest.
All are under the SIL Open Font License 1.1 (templates/fonts/README.md).

A brief's faces are chosen by its language and by the scripts of the
characters it holds. :func:`uncovered` tells which characters no face of
the catalogue can draw (a ``brief check`` error): nothing is ever left to
whatever fonts a machine happens to have.
"""

from __future__ import annotations

import functools
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

NOTO_DIR = Path(os.environ.get("BRIEF_NOTO_DIR", "/usr/share/fonts/truetype/noto"))
NOTO_CJK_DIR = Path(os.environ.get("BRIEF_NOTO_CJK_DIR", "/usr/share/fonts/opentype/noto"))
HOUSE_DIR = Path(__file__).resolve().parent.parent / "templates" / "fonts"
SETUP_HINT = "install the Noto fonts with scripts/setup.sh (Debian packages fonts-noto-core and fonts-noto-cjk)"


class FontMissing(Exception):
    """A font file of the catalogue is not installed."""


@dataclass(frozen=True)
class Face:
    """One font file as the documents use it."""

    css_family: str  # the family name in the PDF's and EPUB's CSS: unique, never a system family's name
    name: str  # the font's own family name (DOCX names fonts this way)
    role: str  # "serif" (text) or "sans" (headings, furniture)
    weight: int
    style: str  # "normal" or "italic"
    file: str  # file name in its folder (for CJK: the collection)
    folder: str  # "house", "noto", "noto-cjk", "theme"
    collection_name: str = ""  # for a face inside a CJK collection: its own name there
    base: str = ""  # a theme's face: the theme's folder (``file`` is relative to it)

    @property
    def source(self) -> Path:
        if self.folder == "theme":
            return Path(self.base) / self.file
        base = {"house": HOUSE_DIR, "noto": NOTO_DIR, "noto-cjk": NOTO_CJK_DIR}[self.folder]
        return base / self.file

    @property
    def key(self) -> str:
        """A name for the face's file as the pipeline stores it (extracted, subset)."""
        stem = Path(self.file).stem if self.folder != "theme" else "Theme-" + Path(self.file).stem
        return f"{stem}-{self.collection_name.split()[-1]}" if self.collection_name else stem


def _house() -> list[Face]:
    return [
        Face("EB Garamond", "EB Garamond", "serif", 400, "normal", "EBGaramond-Regular.ttf", "house"),
        Face("EB Garamond", "EB Garamond", "serif", 400, "italic", "EBGaramond-Italic.ttf", "house"),
        Face("EB Garamond", "EB Garamond", "serif", 600, "normal", "EBGaramond-SemiBold.ttf", "house"),
        Face("EB Garamond", "EB Garamond", "serif", 600, "italic", "EBGaramond-SemiBoldItalic.ttf", "house"),
        Face("Inter", "Inter", "sans", 400, "normal", "Inter-Regular.ttf", "house"),
        Face("Inter", "Inter", "sans", 400, "italic", "Inter-Italic.ttf", "house"),
        Face("Inter", "Inter", "sans", 600, "normal", "Inter-SemiBold.ttf", "house"),
        Face("Inter", "Inter", "sans", 700, "normal", "Inter-Bold.ttf", "house"),
    ]


def _pair(alias: str, serif: tuple[str, str], sans: tuple[str, str] | None) -> list[Face]:
    """Regular and bold of a serif (and a sans) Noto family; 600 maps to bold (fonts-noto-core has no SemiBold)."""
    faces = []
    for role, (name, stem) in (("serif", serif), ("sans", sans)) if sans else (("serif", serif),):
        css = f"Brief {alias} {role.capitalize()}"
        faces += [Face(css, name, role, 400, "normal", f"{stem}-Regular.ttf", "noto"),
                  Face(css, name, role, 700, "normal", f"{stem}-Bold.ttf", "noto")]
    return faces


def _cjk(region: str) -> list[Face]:
    faces = []
    for role, family in (("serif", "Serif"), ("sans", "Sans")):
        name = f"Noto {family} CJK {region}"
        css = f"Brief CJK {region} {role.capitalize()}"
        faces += [Face(css, name, role, 400, "normal", f"Noto{family}CJK-Regular.ttc", "noto-cjk", name),
                  Face(css, name, role, 700, "normal", f"Noto{family}CJK-Bold.ttc", "noto-cjk", name)]
    return faces


# Script -> faces, in the order they join the stacks.
SCRIPTS: dict[str, list[Face]] = {
    "arabic": _pair("Naskh", ("Noto Naskh Arabic", "NotoNaskhArabic"), ("Noto Sans Arabic", "NotoSansArabic")),
    "urdu": _pair("Nastaliq", ("Noto Nastaliq Urdu", "NotoNastaliqUrdu"), ("Noto Sans Arabic", "NotoSansArabic")),
    "hebrew": _pair("Hebrew", ("Noto Serif Hebrew", "NotoSerifHebrew"), ("Noto Sans Hebrew", "NotoSansHebrew")),
    "devanagari": _pair("Devanagari", ("Noto Serif Devanagari", "NotoSerifDevanagari"),
                        ("Noto Sans Devanagari", "NotoSansDevanagari")),
    "thai": _pair("Thai", ("Noto Serif Thai", "NotoSerifThai"), ("Noto Sans Thai", "NotoSansThai")),
    "cjk-sc": _cjk("SC"),
    "cjk-tc": _cjk("TC"),
    "cjk-jp": _cjk("JP"),
    "cjk-kr": _cjk("KR"),
    # Latin, Greek and Cyrillic beyond the house faces (e.g. Cyrillic Supplement, archaic Greek).
    "latin-extra": _pair("Noto", ("Noto Serif", "NotoSerif"), ("Noto Sans", "NotoSans")),
    # Arrows, check marks, mathematical operators and the like, for both stacks.
    "symbols": [Face("Brief Symbols", "Noto Sans Symbols", "serif", 400, "normal", "NotoSansSymbols-Regular.ttf", "noto"),
                Face("Brief Symbols", "Noto Sans Symbols", "serif", 700, "normal", "NotoSansSymbols-Bold.ttf", "noto"),
                Face("Brief Symbols 2", "Noto Sans Symbols 2", "serif", 400, "normal", "NotoSansSymbols2-Regular.ttf",
                     "noto"),
                Face("Brief Math", "Noto Sans Math", "serif", 400, "normal", "NotoSansMath-Regular.ttf", "noto")],
}

# The script a language is written in, when it is not Latin, Greek or Cyrillic.
LANGUAGE_SCRIPTS = {"ar": "arabic", "fa": "arabic", "ps": "arabic", "ckb": "arabic", "ur": "urdu", "he": "hebrew",
                    "yi": "hebrew", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari", "sa": "devanagari",
                    "th": "thai", "ja": "cjk-jp", "ko": "cjk-kr"}
# Character ranges of the scripts (first, last, script); others are Latin/Greek/Cyrillic or symbols.
_RANGES = [
    (0x0590, 0x05FF, "hebrew"), (0xFB1D, 0xFB4F, "hebrew"),
    (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"), (0x08A0, 0x08FF, "arabic"), (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0x0900, 0x097F, "devanagari"), (0xA8E0, 0xA8FF, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1100, 0x11FF, "hangul"), (0x3130, 0x318F, "hangul"), (0xAC00, 0xD7AF, "hangul"),
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF65, 0xFF9F, "kana"),
    (0x2E80, 0x2FDF, "han"), (0x3000, 0x303F, "han"), (0x3100, 0x312F, "han"), (0x3190, 0x31BF, "han"),
    (0x3200, 0x33FF, "han"), (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"),
    (0xFE30, 0xFE4F, "han"), (0xFF00, 0xFF64, "han"), (0xFFE0, 0xFFEF, "han"), (0x20000, 0x3FFFF, "han"),
]


def script_of(char: str) -> str | None:
    """The script group of a character that the house faces do not draw, else None."""
    code = ord(char)
    for first, last, script in _RANGES:
        if first <= code <= last:
            return script
    return None


def cjk_region(language: str) -> str:
    """The CJK face whose glyph forms suit the brief's language (Han characters differ by region)."""
    from .i18n import catalogue_for

    catalogue = catalogue_for(language) or ""
    return {"zh-Hant": "cjk-tc", "ja": "cjk-jp", "ko": "cjk-kr"}.get(catalogue, "cjk-sc")


def scripts_needed(text: str, language: str) -> list[str]:
    """The script groups of the catalogue a brief needs, its own language's first."""
    found: list[str] = []
    primary = LANGUAGE_SCRIPTS.get(language.split("-")[0].lower())
    if language.split("-")[0].lower() == "zh":
        primary = cjk_region(language)
    if primary:
        found.append(primary)
    region = cjk_region(language)
    seen_groups = set()
    for char in dict.fromkeys(text):  # in order of appearance: a set's order changes with the hash seed
        group = script_of(char)
        if group is None or group in seen_groups:
            continue
        seen_groups.add(group)
        script = {"han": region, "kana": "cjk-jp" if region != "cjk-tc" else region,
                  "hangul": "cjk-kr"}.get(group, group)
        if group == "arabic" and primary == "urdu":
            script = "urdu"
        if script not in found:
            found.append(script)
    if language.split("-")[0].lower() == "ja" and "cjk-jp" not in found:
        found.append("cjk-jp")
    return found


FALLBACKS = ("latin-extra", "symbols")


def theme_faces(identity, theme_dir: Path | None) -> list[Face]:
    """The faces a theme gives for text ("serif") and headings ("sans") (pipeline/theme.py checked them)."""
    if not theme_dir or not getattr(identity, "fonts", None):
        return []
    return [Face(f"Brief Theme {face.role.capitalize()}", face.family, face.role, 700 if face.weight >= 600 else 400,
                 "italic" if face.italic else "normal", face.file, "theme", base=str(theme_dir))
            for face in identity.fonts]


def faces_for(scripts: list[str], theme: list[Face] | tuple = ()) -> list[Face]:
    """The theme's faces, the house faces, then the faces of ``scripts`` (fallback groups included only when
    listed). The house faces stay behind a theme's as fallbacks for characters its fonts lack."""
    faces = [*theme, *_house()]
    for script in scripts:
        for face in SCRIPTS[script]:
            if face not in faces:
                faces.append(face)
    return faces


def choose(text: str, language: str, theme: list[Face] | tuple = ()) -> tuple[list[str], list[str]]:
    """The font groups ``text`` needs and the characters no face of the catalogue draws.

    The brief's own script and the scripts of its characters come first; the
    fallback groups (more Latin/Greek/Cyrillic, symbols) join only when a
    character needs them, so a brief loads no font it does not use.
    """
    scripts = scripts_needed(text, language)
    covered: set[int] = set()
    for face in faces_for(scripts, theme):
        covered |= _cmap(face)
    leftover = [char for char in dict.fromkeys(text) if not _invisible(char) and ord(char) not in covered]
    for group in FALLBACKS:
        if not leftover:
            break
        group_cover: set[int] = set()
        for face in SCRIPTS[group]:
            group_cover |= _cmap(face)
        if any(ord(char) in group_cover for char in leftover):
            scripts.append(group)
            leftover = [char for char in leftover if ord(char) not in group_cover]
    return scripts, leftover


def own_script(language: str) -> str | None:
    """The font group of a language's own script (None for Latin, Greek and Cyrillic: the house faces)."""
    own = scripts_needed("", language)
    return own[0] if own else None


def stacks(faces: list[Face], scripts: list[str], language: str) -> dict[str, list[str]]:
    """CSS font-family lists for text ("serif") and headings ("sans").

    A brief in a non-Latin script (``language``'s own) puts its script's face
    first, so that punctuation and digits in its text come from the same face
    (EB Garamond would otherwise give Chinese text Latin quotation marks); the
    theme's and the house face of the role follow, then the other role's
    (own script, theme, house), then the faces of the other scripts, then the
    symbol faces. The other scripts of ``scripts`` (a Chinese word or a check
    mark in an English brief) never go before the house faces: their faces
    have Latin letters and symbols too, and would set them in a face of
    another script (the DOCX falls back in the same order,
    :func:`pipeline.docx_finish.fall_back_to_house_faces`).
    """
    own = own_script(language)
    primary = set(SCRIPTS[own]) if own in scripts else set()
    fallbacks = {face.css_family for face in SCRIPTS["symbols"]}

    def own_and_house(role: str) -> list[Face]:
        return ([f for f in faces if f in primary and f.role == role]
                + [f for f in faces if f.folder == "theme" and f.role == role]
                + [f for f in faces if f.folder == "house" and f.role == role])

    def other_scripts(role: str) -> list[Face]:
        return [f for f in faces if f not in primary and f.folder not in ("house", "theme") and f.role == role
                and f.css_family not in fallbacks]

    out = {}
    for role, other in (("serif", "sans"), ("sans", "serif")):
        # The other role's faces close the list: a character the coverage check found in any face
        # of the catalogue is then drawn from it, never from a font the machine happens to have.
        chosen = (own_and_house(role) + own_and_house(other) + other_scripts(role) + other_scripts(other)
                  + [f for f in faces if f.css_family in fallbacks])
        out[role] = list(dict.fromkeys(face.css_family for face in chosen))
    return out


# --- files ------------------------------------------------------------------------------------------

def _cache_dir() -> Path:
    from .cache import default_cache_dir

    return default_cache_dir() / "fonts"


def face_file(face: Face) -> Path:
    """The single-face font file for ``face`` (a CJK face is extracted once from its collection)."""
    if face.folder != "noto-cjk":  # house, noto and theme faces are single files already
        if not face.source.is_file():
            raise FontMissing(f"the font file {face.source} is missing ({SETUP_HINT})")
        return face.source
    if not face.source.is_file():
        raise FontMissing(f"the font file {face.source} is missing ({SETUP_HINT})")
    stat = face.source.stat()
    stamp = hashlib.sha256(f"{face.source}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:10]
    target = _cache_dir() / f"{face.key}-{stamp}.otf"
    if not target.is_file():
        _extract(face, target)
    return target


def _extract(face: Face, target: Path) -> None:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(face.source), lazy=True, recalcTimestamp=False)
    for font in collection.fonts:
        if font["name"].getDebugName(1) == face.collection_name:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
            font.save(str(temporary))
            os.replace(temporary, target)
            return
    raise FontMissing(f"{face.source} holds no face named {face.collection_name} ({SETUP_HINT})")


@functools.cache
def file_cmap(path: Path | str) -> frozenset[int]:
    """The code points a single-face font file maps (read once per process)."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path), lazy=True).getBestCmap())


@functools.cache
def _cmap(face: Face) -> frozenset[int]:
    from fontTools.ttLib import TTCollection

    if not face.source.is_file():
        raise FontMissing(f"the font file {face.source} is missing ({SETUP_HINT})")
    if face.folder != "noto-cjk":
        return file_cmap(face.source)
    collection = TTCollection(str(face.source), lazy=True)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == face.collection_name)
    return frozenset(font.getBestCmap())


# Characters that draw nothing: no face needs a glyph for them.
def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn") and not (category == "Mn" and script_of(char)) \
        or char in "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\ufeff" or "\ufe00" <= char <= "\ufe0f"


def uncovered(text: str, language: str) -> list[str]:
    """The characters of ``text`` that no face of the catalogue can draw, in order of appearance."""
    return choose(text, language)[1]


def describe(char: str) -> str:
    """'ᚠ' (U+16A0 RUNIC LETTER FEHU FEOH FE F) for messages."""
    name = unicodedata.name(char, "")
    return f"'{char}' (U+{ord(char):04X}{' ' + name if name else ''})"


def catalogue_digest() -> str:
    """Name, size and time of every font file of the catalogue (house faces are templates, hashed apart)."""
    sources = {face.source for faces in SCRIPTS.values() for face in faces}
    return file_digest(sorted(sources))


def file_digest(paths: list[Path]) -> str:
    """Name, size and time of font files: part of what decides whether a brief is rebuilt."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{int(stat.st_mtime)}".encode())
        except OSError:
            digest.update(f"{path}:missing".encode())
    return digest.hexdigest()[:16]


# --- style sheets -----------------------------------------------------------------------------------

GENERIC = {"serif": "serif", "sans": "sans-serif"}


def with_stacks(css: str, font_stacks: dict[str, list[str]]) -> str:
    """``css`` with ``var(--serif)`` and ``var(--sans)`` replaced by the brief's font lists.

    The style sheets name the two roles rather than the families, so that one
    sheet serves every script; the lists are written out rather than left as
    custom properties because EPUB reading systems do not all support them
    (and WeasyPrint not inside the ``font`` shorthand).
    """
    for role, families in font_stacks.items():
        listed = ", ".join([*(f'"{family}"' for family in families), GENERIC[role]])
        css = css.replace(f"var(--{role})", listed)
    return css


def font_face_css(faces: list[Face], url_of) -> str:
    """One @font-face rule per face, its ``src`` given by ``url_of(face)``."""
    rules = []
    for face in faces:
        rules.append(f'@font-face {{ font-family: "{face.css_family}"; font-weight: {face.weight}; '
                     f'font-style: {face.style}; src: url("{url_of(face)}"); }}')
    return "\n".join(rules) + "\n"


# The PDF's renderer sees font files under these virtual folders only (pipeline/pdf.py's fetcher).
PDF_FONT_URLS = {"house": "file:///fonts/house/", "noto": "file:///fonts/noto/", "noto-cjk": "file:///fonts/cache/",
                 "theme": "file:///fonts/theme/"}


def pdf_font_roots(theme_dir: Path | None = None) -> dict[str, Path]:
    roots = {PDF_FONT_URLS["house"]: HOUSE_DIR, PDF_FONT_URLS["noto"]: NOTO_DIR, PDF_FONT_URLS["noto-cjk"]: _cache_dir()}
    if theme_dir:
        roots[PDF_FONT_URLS["theme"]] = Path(theme_dir)
    return roots


def pdf_font_url(face: Face) -> str:
    """The face's file under the PDF renderer's virtual font folders (a CJK face is extracted first)."""
    if face.folder == "theme":
        return PDF_FONT_URLS["theme"] + face.file
    return PDF_FONT_URLS[face.folder] + face_file(face).name


def pdf_fonts_css(scripts: list[str], theme: list[Face] | tuple = ()) -> str:
    """The @font-face rules of the PDF for a brief needing ``scripts``."""
    return font_face_css(faces_for(scripts, theme), pdf_font_url)


# --- subsets for the EPUB and the DOCX --------------------------------------------------------------

SUBSET_VERSION = 4
# Kept in every subset beside the text's own characters: what reading systems and word processors
# draw on their own (hyphens when they hyphenate, ellipses, quotation marks, digits).
_ALWAYS = " -\u00a0\u00ad\u2010\u2011\u2013\u2014\u2018\u2019\u201c\u201d\u2026" + "0123456789"
# A house face's subset holds at least Latin-1 and the common punctuation: most briefs need no more,
# so they share one cached subset per face instead of paying for their own.
COMMON_LATIN = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2010, 0x2027), 0x152, 0x153, 0x160, 0x161, 0x178, 0x17D,
     0x17E, 0x192, 0x2C6, 0x2DC, 0x2030, 0x2032, 0x2033, 0x2039, 0x203A, 0x20AC, 0x2122, 0x2212, 0x2190, 0x2192,
     0x21A9, 0x21AA, 0x2060])
# OpenType features kept besides HarfBuzz's defaults (which include the shaping of Arabic and Indic
# scripts): the figure styles and small capitals the style sheets ask for.
_FEATURES = ["smcp", "c2sc", "lnum", "onum", "tnum", "pnum", "case", "frac"]
# The two cuts the build makes of a face (:func:`harfbuzz_subset`'s options), named once so that the theme
# check (:func:`check_subsettable`) makes the same ones. The EPUB's and web edition's keep the layout
# features; the DOCX's keep the hints (Word on Windows uses them), the Macintosh names (Word and LibreOffice
# match the face by its names) and the whole font's OS/2 Unicode ranges (with the subset's, LibreOffice
# 7.4 takes the curly apostrophe from a fallback font).
EPUB_CUT = {"features": _FEATURES}
DOCX_CUT = {"hinting": True, "legacy_names": True, "prune_unicode_ranges": False}


def subset_file(face: Face, text: str, flavor: str | None = None) -> tuple[Path, str]:
    """A copy of ``face`` holding only the glyphs ``text`` needs, cached; returns (file, its name in a package).

    The subset keeps OpenType layout for the characters kept (shaping,
    ligatures, small capitals), so the text shapes as in the PDF, and is
    deterministic: the same characters give the same bytes. A house face's
    subset is rounded up to Latin-1 (:data:`COMMON_LATIN`). ``flavor``
    ``"woff2"`` compresses it for the web edition (fontTools with Brotli).
    Cut by :func:`harfbuzz_subset`.
    """
    cmap = _cmap(face)
    wanted = {ord(char) for char in {*text, *_ALWAYS}}
    if face.folder == "house":
        wanted |= COMMON_LATIN
    codes = sorted(code for code in wanted if code in cmap)
    source = face_file(face)
    key = ",".join(map(str, codes))
    stamp = hashlib.sha256(f"{SUBSET_VERSION}:{subsetter_version()}:{source.name}:{source.stat().st_size}:{flavor}:"
                           f"{key}".encode()).hexdigest()[:16]
    suffix = f".{flavor}" if flavor else source.suffix
    target = _cache_dir() / "subsets" / f"{face.key}-{stamp}{suffix}"
    if not target.is_file():
        if flavor:  # the same subset as the EPUB's (cached): compressing it is cheaper than cutting the face again
            _compress(subset_file(face, text)[0], target, flavor)
        else:
            _subset(source, codes, target)
    return target, f"{face.key}{suffix}"


def _compress(subset: Path, target: Path, flavor: str) -> None:
    from fontTools.ttLib import TTFont

    font = TTFont(str(subset), recalcTimestamp=False, lazy=False)
    font.flavor = flavor
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    font.save(str(temporary))
    os.replace(temporary, target)


def _subset(source: Path, codes: list[int], target: Path) -> None:
    data = harfbuzz_subset(source.read_bytes(), codes, **EPUB_CUT, name=str(source))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def subsetter_version() -> str:
    """What a cached subset's bytes depend on besides the face and the characters."""
    import uharfbuzz

    return f"harfbuzz {uharfbuzz.version_string()} uharfbuzz {uharfbuzz.__version__}"


def check_subsettable(data: bytes, codes, *, name: str = "a font file") -> None:
    """Raise :class:`FontMissing` unless HarfBuzz can make both cuts the build makes of the face: the
    EPUB's and web edition's (:func:`subset_file`: layout features) and the DOCX's
    (``docx_finish``: hints, Macintosh names, the whole font's Unicode ranges)."""
    for cut in (EPUB_CUT, DOCX_CUT):
        harfbuzz_subset(data, codes, **cut, name=name)


def harfbuzz_subset(data: bytes, codes, *, features=(), hinting: bool = False, legacy_names: bool = False,
                    prune_unicode_ranges: bool = True, name: str = "a font file") -> bytes:
    """The face in ``data`` cut down to the characters ``codes`` (with what its layout reaches from them).

    HarfBuzz's subsetter (through uharfbuzz): the same result as fontTools'
    for these options in a few milliseconds instead of about a second per
    face. Kept: every name record (the licence, the designers, the names
    Word and LibreOffice match the face by), a ``.notdef`` outline (a
    missing character shows as a box), HarfBuzz's default layout features
    plus ``features`` (small capitals, figure styles), the outlines' format.
    ``hinting``: keep the TrueType instructions; ``legacy_names``: keep the
    Macintosh name records; ``prune_unicode_ranges``: recompute the OS/2
    Unicode ranges from the subset. Deterministic: the same input gives the
    same bytes. ``name``: the font file, for the error when HarfBuzz cannot cut it.
    """
    import uharfbuzz as hb

    face = hb.Face(hb.Blob(data))
    request = hb.SubsetInput()
    request.unicode_set.update(codes)
    request.layout_feature_tag_set.update(int.from_bytes(tag.encode("ascii"), "big") for tag in features)
    request.name_id_set.clear()
    request.name_id_set.invert()  # every name ID
    request.name_lang_id_set.clear()
    request.name_lang_id_set.invert()  # in every language
    flags = hb.SubsetFlags.NOTDEF_OUTLINE
    if not hinting:
        flags |= hb.SubsetFlags.NO_HINTING
    if legacy_names:
        flags |= hb.SubsetFlags.NAME_LEGACY
    if not prune_unicode_ranges:
        flags |= hb.SubsetFlags.NO_PRUNE_UNICODE_RANGES
    request.flags = flags
    try:
        result = hb.subset(face, request)  # uharfbuzz raises RuntimeError where HarfBuzz returns nothing
    except RuntimeError:
        result = None
    if result is None:
        raise FontMissing(f"HarfBuzz could not subset {name}: the file may be damaged "
                          f"({SETUP_HINT}, or replace the theme's font file)")
    return bytes(result.blob.data)
