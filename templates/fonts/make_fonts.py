#!/usr/bin/env python3
"""Regenerate the static fonts in templates/fonts/ from pinned PyPI wheels.

WeasyPrint rejects variable weight ranges in @font-face, and EPUB readers
cope best with plain static faces, so this script turns the variable fonts
shipped in the `fontpkg-eb-garamond` and `fontpkg-inter` wheels into one
static TrueType file per face with fontTools.varLib.instancer.

Nothing is subset: every glyph, cmap entry and OpenType feature of the
source fonts is kept. Only the variation tables (fvar, gvar, avar, HVAR,
MVAR, STAT) are dropped, and the naming / style bits are rewritten so
that each file describes the one face it contains.

Output is byte-for-byte reproducible: the wheels are pinned by version and
sha256, and head.created / head.modified are fixed to constants.

Usage (from the repository root):

    .venv/bin/python templates/fonts/make_fonts.py            # downloads wheels with pip
    .venv/bin/python templates/fonts/make_fonts.py --wheels /path/to/wheel/dir
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

HERE = Path(__file__).resolve().parent

# The fonts were generated and checked with this fontTools version; another
# version may produce (harmlessly) different bytes.
TESTED_FONTTOOLS = "4.68.0"

# 2020-02-02T00:00:00Z (the timestamp used inside the source wheels),
# expressed in seconds since 1904-01-01 as the OpenType head table wants.
HEAD_TIMESTAMP = 3663446400


@dataclass(frozen=True)
class Wheel:
    requirement: str
    filename: str
    sha256: str
    package: str  # import package inside the wheel
    licence_out: str


WHEELS = {
    "ebgaramond": Wheel(
        requirement="fontpkg-eb-garamond==1.3",
        filename="fontpkg_eb_garamond-1.3-py3-none-any.whl",
        sha256="026191b72c59d5fa6657657b49972604bb583fbe496e16afbb0d3849b6bd62b7",
        package="fontpkg_eb_garamond",
        licence_out="OFL-EBGaramond.txt",
    ),
    "inter": Wheel(
        requirement="fontpkg-inter==4.1.post1",
        filename="fontpkg_inter-4.1.post1-py3-none-any.whl",
        sha256="b1105c8b368787112e9352ba657fe4fd32feb0722cc3046a308f65962298ddf8",
        package="fontpkg_inter",
        licence_out="OFL-Inter.txt",
    ),
}


@dataclass(frozen=True)
class Face:
    wheel: str  # key into WHEELS
    source: str  # path of the variable font inside the wheel package
    family: str  # typographic family name (CSS font-family)
    ps_family: str  # PostScript family prefix
    weight_name: str  # "Regular", "SemiBold", "Bold"
    weight: int
    italic: bool
    axes: tuple[tuple[str, float], ...]  # every fvar axis, pinned
    # The face plays "Bold" in the legacy four-style family (EB Garamond has
    # no Bold: its SemiBold is what Word, LibreOffice and the DOCX's embedded
    # fonts must find as the family's bold).
    legacy_bold: bool = False

    @property
    def style_name(self) -> str:  # e.g. "SemiBold Italic", "Italic", "Regular"
        if self.italic:
            return "Italic" if self.weight_name == "Regular" else f"{self.weight_name} Italic"
        return self.weight_name

    @property
    def ps_name(self) -> str:  # e.g. "EBGaramond-SemiBoldItalic"
        return f"{self.ps_family}-{self.style_name.replace(' ', '')}"

    @property
    def filename(self) -> str:
        return f"{self.ps_name}.ttf"

    @property
    def ribbi(self) -> bool:  # fits the legacy Regular/Italic/Bold/Bold Italic model
        return self.weight_name in ("Regular", "Bold") or self.legacy_bold


GAR_R = "files/EBGaramond[wght].ttf"
GAR_I = "files/EBGaramond-Italic[wght].ttf"
INT_R = "files/Inter[opsz,wght].ttf"
INT_I = "files/Inter-Italic[opsz,wght].ttf"
INTER_OPSZ = 14.0  # default (text) optical size of Inter 4

FACES = [
    Face("ebgaramond", GAR_R, "EB Garamond", "EBGaramond", "Regular", 400, False, (("wght", 400),)),
    Face("ebgaramond", GAR_I, "EB Garamond", "EBGaramond", "Regular", 400, True, (("wght", 400),)),
    Face("ebgaramond", GAR_R, "EB Garamond", "EBGaramond", "SemiBold", 600, False, (("wght", 600),), legacy_bold=True),
    Face("ebgaramond", GAR_I, "EB Garamond", "EBGaramond", "SemiBold", 600, True, (("wght", 600),), legacy_bold=True),
    Face("inter", INT_R, "Inter", "Inter", "Regular", 400, False, (("opsz", INTER_OPSZ), ("wght", 400))),
    Face("inter", INT_I, "Inter", "Inter", "Regular", 400, True, (("opsz", INTER_OPSZ), ("wght", 400))),
    Face("inter", INT_R, "Inter", "Inter", "SemiBold", 600, False, (("opsz", INTER_OPSZ), ("wght", 600))),
    Face("inter", INT_R, "Inter", "Inter", "Bold", 700, False, (("opsz", INTER_OPSZ), ("wght", 700))),
]

# Characters the templates rely on; checked in every output file.
REQUIRED = [
    0x2011,  # non-breaking hyphen
    0x2013, 0x2014,  # en / em dash
    0x2018, 0x2019, 0x201C, 0x201D,  # curly quotes
    0x00AB, 0x00BB,  # guillemets
    0x00BF, 0x00A1,  # inverted ? and !
    0x00A0,  # no-break space
    0x2026,  # ellipsis
    *map(ord, "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŽžŁłČčĆćŘřŞşŐőŰűĘęĄą"),
]
REQUIRED_EXTRA = {"inter": [0x21A9]}  # ↩ (footnote back-references)

# Name IDs rewritten below; everything else (copyright, version, licence,
# designer, URLs, trademark...) is kept from the source font.
NID_FAMILY, NID_SUBFAMILY, NID_UNIQUE, NID_FULL, NID_PS = 1, 2, 3, 4, 6
NID_TYPO_FAMILY, NID_TYPO_SUBFAMILY = 16, 17
NID_WWS_FAMILY, NID_WWS_SUBFAMILY, NID_VAR_PS_PREFIX = 21, 22, 25

DROP_TABLES = ("STAT", "fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download_wheels(dest: Path) -> None:
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--only-binary=:all:", "--dest", str(dest),
        *(w.requirement for w in WHEELS.values()),
    ]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)


def open_wheels(wheel_dir: Path) -> dict[str, zipfile.ZipFile]:
    out = {}
    for key, w in WHEELS.items():
        path = wheel_dir / w.filename
        if not path.is_file():
            sys.exit(f"error: {path} not found (expected wheel for {w.requirement})")
        digest = sha256(path)
        if digest != w.sha256:
            sys.exit(f"error: sha256 mismatch for {path}:\n  got      {digest}\n  expected {w.sha256}")
        out[key] = zipfile.ZipFile(path)
    return out


def set_names(font: TTFont, face: Face) -> None:
    name = font["name"]
    # Drop legacy Macintosh records; keep only Windows/Unicode English ones.
    name.names = [n for n in name.names if n.platformID == 3]

    if face.legacy_bold:
        legacy_family = face.family
        legacy_sub = "Bold Italic" if face.italic else "Bold"
    elif face.ribbi:
        legacy_family = face.family
        legacy_sub = face.style_name  # Regular / Italic / Bold / Bold Italic
    else:
        # Non-RIBBI weights get their own legacy family so that old
        # applications can still pick them; the typographic family groups
        # everything under the real family name.
        legacy_family = f"{face.family} {face.weight_name}"
        legacy_sub = "Italic" if face.italic else "Regular"

    os2 = font["OS/2"]
    version = f"{font['head'].fontRevision:.3f}"
    vendor = os2.achVendID.strip()

    name.removeNames(nameID=NID_TYPO_FAMILY)
    name.removeNames(nameID=NID_TYPO_SUBFAMILY)
    name.removeNames(nameID=NID_WWS_FAMILY)
    name.removeNames(nameID=NID_WWS_SUBFAMILY)
    name.removeNames(nameID=NID_VAR_PS_PREFIX)

    records = {
        NID_FAMILY: legacy_family,
        NID_SUBFAMILY: legacy_sub,
        NID_UNIQUE: f"{version};{vendor};{face.ps_name}",
        NID_FULL: f"{face.family} {face.style_name}",
        NID_PS: face.ps_name,
    }
    if not face.ribbi or face.legacy_bold:
        records[NID_TYPO_FAMILY] = face.family
        records[NID_TYPO_SUBFAMILY] = face.style_name
    for nid, text in records.items():
        name.removeNames(nameID=nid)
        name.setName(text, nid, 3, 1, 0x409)
    name.removeUnusedNames(font)
    name.names.sort()


def set_style_bits(font: TTFont, face: Face) -> None:
    os2, head = font["OS/2"], font["head"]
    os2.usWeightClass = face.weight
    bold = face.legacy_bold or (face.ribbi and face.weight_name == "Bold")
    sel = os2.fsSelection & ~((1 << 0) | (1 << 5) | (1 << 6) | (1 << 9))  # ITALIC, BOLD, REGULAR, OBLIQUE
    if face.italic:
        sel |= 1 << 0
    if bold:
        sel |= 1 << 5
    if not face.italic and not bold:
        sel |= 1 << 6
    os2.fsSelection = sel
    head.macStyle = (1 if bold else 0) | (2 if face.italic else 0)


def check_coverage(font: TTFont, source_cmap: dict[int, str], face: Face) -> None:
    cmap = font.getBestCmap()
    if cmap != source_cmap:
        sys.exit(f"error: {face.filename}: cmap differs from the source variable font")
    missing = [c for c in REQUIRED + REQUIRED_EXTRA.get(face.wheel, []) if c not in cmap]
    if missing:
        sys.exit(f"error: {face.filename}: missing " + ", ".join(f"U+{c:04X}" for c in missing))


def build_face(face: Face, source_bytes: bytes, out_dir: Path) -> Path:
    font = TTFont(io.BytesIO(source_bytes), recalcTimestamp=False)
    source_cmap = font.getBestCmap()
    n_glyphs = len(font.getGlyphOrder())

    fvar_axes = {a.axisTag: a for a in font["fvar"].axes}
    pins = dict(face.axes)
    if set(pins) != set(fvar_axes):
        sys.exit(f"error: {face.filename}: pins {sorted(pins)} != font axes {sorted(fvar_axes)}")
    for tag, value in pins.items():
        a = fvar_axes[tag]
        if not a.minValue <= value <= a.maxValue:
            sys.exit(f"error: {face.filename}: {tag}={value} outside {a.minValue}..{a.maxValue}")

    font = instancer.instantiateVariableFont(font, pins, inplace=False, static=True)
    for tag in DROP_TABLES:
        if tag in font:
            del font[tag]

    set_names(font, face)
    set_style_bits(font, face)
    font["head"].created = HEAD_TIMESTAMP
    font["head"].modified = HEAD_TIMESTAMP

    if len(font.getGlyphOrder()) != n_glyphs:
        sys.exit(f"error: {face.filename}: glyph count changed")
    check_coverage(font, source_cmap, face)

    out = out_dir / face.filename
    buf = io.BytesIO()
    font.save(buf, reorderTables=True)
    out.write_bytes(buf.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheels", type=Path, help="directory holding the pinned wheels (default: download them with pip)")
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: %(default)s)")
    args = ap.parse_args(argv)

    if fontTools.version != TESTED_FONTTOOLS:
        print(f"warning: fontTools {fontTools.version} (files were made with {TESTED_FONTTOOLS}); "
              "output bytes may differ", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="make_fonts-") as tmp:
        wheel_dir = args.wheels
        if wheel_dir is None:
            wheel_dir = Path(tmp)
            download_wheels(wheel_dir)
        wheels = open_wheels(wheel_dir)

        for key, w in WHEELS.items():
            lic = wheels[key].read(f"{w.package}/LICENSE")
            (args.out / w.licence_out).write_bytes(lic)
            print(f"{len(lic):>9,}  {w.licence_out}")

        cache: dict[tuple[str, str], bytes] = {}
        for face in FACES:
            key = (face.wheel, face.source)
            if key not in cache:
                cache[key] = wheels[face.wheel].read(f"{WHEELS[face.wheel].package}/{face.source}")
            out = build_face(face, cache[key], args.out)
            print(f"{out.stat().st_size:>9,}  {out.name}  sha256={sha256(out)[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
