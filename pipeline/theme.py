"""Themes: the identity an organisation's briefs share.

A theme is a folder of the collection, ``content/_themes/<name>/``, with a
``theme.yaml`` (schema: pipeline/schemas/theme.schema.json) naming the
organisation, its address and web address, a logo, two colours, optional
font files, an "About" text, the defaults of its briefs (distribution,
rights, licence, disclaimer, CSL style) and optional overrides of the
project's templates (``templates/`` in the theme folder, resolved before
``templates/`` of the project: page.html.j2, css/brief.css, css/epub.css).

``theme: <name>`` in brief.yaml selects one; without it the default theme
applies: the project's own look, no logo, no defaults. Every file a theme
names stays inside its folder (a link out of it is refused, like a brief's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Collector
from .yamlsource import LocatedYaml, load_mapping_or_report

THEMES_FOLDER = "_themes"
THEME_FILE = "theme.yaml"
THEME_MEDIA = "_theme"  # the media path of the theme's files (its logo) in the documents; no brief may use it
DEFAULT_ACCENT = "#1f4e79"
DEFAULT_SECONDARY = "#9db3c8"
MAX_THEME_BYTES = 64 * 1024
# Text in the accent colour (links, section numbers, labels) must be readable on white: WCAG 2.2 AA asks
# 4.5:1 for text of normal size.
MIN_CONTRAST = 4.5


@dataclass
class ThemeFont:
    """One face of a theme's own fonts."""

    path: Path
    family: str
    weight: int
    italic: bool


@dataclass(eq=False)
class Theme:
    name: str  # the folder's name; "" for the default theme
    folder: Path | None = None
    data: dict = field(default_factory=dict)
    lines: LocatedYaml | None = None
    body_fonts: list[ThemeFont] = field(default_factory=list)
    heading_fonts: list[ThemeFont] = field(default_factory=list)

    @property
    def path(self) -> Path | None:
        return self.folder / THEME_FILE if self.folder else None

    def line_of(self, *keys) -> int | None:
        return self.lines.line_of(list(keys), 1) if self.lines else None

    @property
    def accent(self) -> str:
        return (self.data.get("colors") or {}).get("accent", DEFAULT_ACCENT).lower()

    @property
    def secondary(self) -> str:
        return (self.data.get("colors") or {}).get("secondary", DEFAULT_SECONDARY).lower()

    @property
    def tint(self) -> str:
        """The background of panels and boxes: the secondary colour, much lightened."""
        return mix(self.secondary, "#ffffff", 0.2)

    @property
    def logo(self) -> Path | None:
        return self.folder / self.data["logo"] if self.folder and self.data.get("logo") else None

    @property
    def templates(self) -> Path | None:
        """The theme's template overrides, if it has any."""
        if self.folder and (self.folder / "templates").is_dir():
            return self.folder / "templates"
        return None

    def file(self, relative: str) -> Path | None:
        """A file of the theme folder named by ``relative`` (None when there is no theme folder)."""
        return self.folder / relative if self.folder else None


DEFAULT_THEME = Theme("")


def themes_dir(content_dir: Path) -> Path:
    return Path(content_dir) / THEMES_FOLDER


def theme_of(brief_yaml_text: str) -> str | None:
    """The theme a brief.yaml names, read without parsing the YAML (for the workflow's file lists).

    Only the plain form ``theme: name`` at the top level counts, which is the
    only form the schema accepts (a name of lower-case letters, digits, -).
    """
    match = re.search(r"^theme:[ \t]*[\"']?([a-z0-9][a-z0-9-]*)[\"']?[ \t]*(#.*)?$", brief_yaml_text, re.M)
    return match.group(1) if match else None


def theme_files(content_dir: Path, name: str | None) -> list[Path]:
    """Every file of the theme ``name`` (what a brief using it depends on)."""
    if not name:
        return []
    folder = themes_dir(content_dir) / name
    if not folder.is_dir():
        return [folder / THEME_FILE]  # missing: the build reports it
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """``share`` of ``colour`` and the rest of ``other`` (#rrggbb)."""
    values = [round(int(colour[i:i + 2], 16) * share + int(other[i:i + 2], 16) * (1 - share)) for i in (1, 3, 5)]
    return "#" + "".join(f"{v:02x}" for v in values)


def load_theme(content_dir: Path, name: str, problems: Collector, brief_yaml: Path, line: int | None) -> Theme | None:
    """The theme ``name`` of the collection in ``content_dir``, validated; None (with problems) if unusable."""
    from .content import MAX_YAML_BYTES, _read_text
    from .schema import check_against_schema

    folder = themes_dir(content_dir) / name
    path = folder / THEME_FILE
    if not path.is_file():
        known = sorted(p.name for p in themes_dir(content_dir).iterdir() if (p / THEME_FILE).is_file()) \
            if themes_dir(content_dir).is_dir() else []
        hint = (f"the collection's themes are: {', '.join(known)}" if known else
                f"create {THEMES_FOLDER}/{name}/{THEME_FILE} in the content folder, or remove 'theme'")
        problems.error(brief_yaml, f"theme '{name}' not found (no {THEMES_FOLDER}/{name}/{THEME_FILE})", line, hint)
        return None
    text = _read_text(path, problems, folder, min(MAX_YAML_BYTES, MAX_THEME_BYTES))
    if text is None:
        return None
    located = load_mapping_or_report(text, path, problems)
    if located is None:
        return None
    if not check_against_schema("theme", located, path, problems, THEME_FILE):
        return None
    theme = Theme(name, folder, dict(located.data), located)
    errors_before = len(problems.errors)
    _check_files(theme, problems)
    _check_colours(theme, problems)
    if len(problems.errors) > errors_before:
        return None
    return theme


def _inside_reason(relative: str, folder: Path) -> str:
    from .content import outside_reason

    return outside_reason(relative, folder).replace("brief folder", "theme folder")


def _check_files(theme: Theme, problems: Collector) -> None:
    from .images import ImageError, inspect_image

    data, path = theme.data, theme.path
    named = []
    if data.get("logo"):
        named.append((("logo",), data["logo"], "logo"))
    if data.get("csl"):
        named.append((("csl",), data["csl"], "csl"))
    for role in ("body", "headings"):
        for index, file in enumerate((data.get("fonts") or {}).get(role) or []):
            named.append((("fonts", role, index), file, "font"))
    for where, relative, kind in named:
        line = theme.line_of(*where)
        reason = _inside_reason(relative, theme.folder)
        if reason:
            problems.error(path, f"'{relative}' {reason}", line, "put the file in the theme folder and name it "
                                                                  "relative to the folder")
            continue
        file = theme.folder / relative
        if not file.is_file():
            problems.error(path, f"'{relative}' not found in the theme folder", line,
                           f"add {relative} to {theme.folder.name}/ or fix the name")
            continue
        if kind == "logo":
            try:
                info = inspect_image(file)
            except ImageError as exc:
                problems.error(path, f"logo '{relative}' {exc.message}", line, exc.hint)
                continue
            if info.kind not in ("svg", "png"):
                problems.error(path, f"logo '{relative}' is {info.kind.upper()}, not SVG or PNG", line,
                               "give the logo as an SVG drawing (best) or a PNG image")
            elif info.kind == "svg" and _svg_has_text(file):
                # each renderer would set it in a font of its machine: the logo would differ from one
                # format and one reader to the next, in a font the brief does not carry
                problems.error(path, f"logo '{relative}' sets its words as SVG <text>, in whatever font a "
                               "machine has", line, "convert the text to outlines (paths) in the drawing program")
        elif kind == "font":
            face = _read_font(file)
            if isinstance(face, tuple):
                problem, hint = face
                problems.error(path, f"font '{relative}' {problem}", line, hint)
                continue
            (theme.body_fonts if where[1] == "body" else theme.heading_fonts).append(face)
    for role, faces in (("body", theme.body_fonts), ("headings", theme.heading_fonts)):
        if faces and not any(f.weight < 600 and not f.italic for f in faces):
            problems.error(path, f"the {role} fonts have no regular face", theme.line_of("fonts", role),
                           "list the regular (upright, not bold) face of the family first")
        families = {f.family for f in faces}
        if len(families) > 1:
            problems.error(path, f"the {role} fonts are of several families ({', '.join(sorted(families))})",
                           theme.line_of("fonts", role), "list the faces of one family: regular, bold, italic")


_FONT_FORMATS = "give TrueType (.ttf) or OpenType (.otf) font files"


def _read_font(path: Path) -> ThemeFont | tuple[str, str]:
    """The face a font file holds, or why it cannot be used and how to mend that."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(str(path), lazy=True)
        names = font["name"]
        family = (names.getDebugName(16) or names.getDebugName(1) or "").strip()
        weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        italic = bool(font["head"].macStyle & 2) or ("OS/2" in font and bool(font["OS/2"].fsSelection & 1))
        cmap = font.getBestCmap() if "cmap" in font else None
        if not cmap:
            return "has no character map", _FONT_FORMATS
    except (TTLibError, OSError, KeyError, AttributeError, AssertionError, ValueError) as exc:
        return f"is not a font file fontTools can read ({type(exc).__name__})", _FONT_FORMATS
    if not family:
        return "has no family name", _FONT_FORMATS
    # The DOCX, EPUB and web edition carry subsets cut by HarfBuzz, which refuses some tables fontTools
    # reads lazily past (a damaged GSUB or GPOS): make both cuts the build makes, of every character the
    # face has, so that `brief check` finds it too.
    from .fonts import FontMissing, check_subsettable

    try:
        check_subsettable(path.read_bytes(), sorted(cmap), name=path.name)
    except (FontMissing, OSError):
        return ("cannot be cut down to the characters a brief uses (HarfBuzz refuses it: the file may be damaged)",
                "export the font again from its source, or use another copy")
    return ThemeFont(path, family, weight, italic)


def _check_colours(theme: Theme, problems: Collector) -> None:
    accent = (theme.data.get("colors") or {}).get("accent")
    if accent:
        ratio = contrast(accent.lower(), "#ffffff")
        if ratio < MIN_CONTRAST:
            problems.error(theme.path, f"the accent colour {accent} has a contrast of {ratio:.1f}:1 on white; "
                                       f"links and labels in it would be hard to read", theme.line_of("colors", "accent"),
                           f"choose a darker accent colour (WCAG 2.2 AA asks at least {MIN_CONTRAST}:1)")


def theme_folder_of(brief_dir: Path, name: str) -> Path | None:
    """The folder of the theme ``name`` for the brief in ``brief_dir`` (None for the default theme)."""
    return themes_dir(Path(brief_dir).parent) / name if name else None


def theme_templates_of(brief_dir: Path, name: str) -> Path | None:
    """The theme's template overrides (its ``templates/`` folder), if it has any."""
    folder = theme_folder_of(brief_dir, name)
    return folder / "templates" if folder and (folder / "templates").is_dir() else None


def find_template(relative: str, templates_dir: Path, theme_templates: Path | None = None) -> Path:
    """A template file: the theme's override when it has one, else the project's."""
    if theme_templates is not None and (theme_templates / relative).is_file():
        return theme_templates / relative
    return Path(templates_dir) / relative


def _svg_has_text(file: Path) -> bool:
    from lxml import etree

    from .images import SVG_NS

    root = etree.fromstring(file.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    return next(root.iter(f"{{{SVG_NS}}}text"), None) is not None
