"""Read the brief's Markdown once, with pandoc, and find what is in it.

Each Markdown part (summary.md, a section, an appendix, a metadata text) is
parsed by pandoc into its document tree; everything the pipeline needs to
know (citations, cross-references, footnotes, images, links, raw HTML or TeX,
headings, divs, attributes, math, metadata blocks) is found as nodes of that
tree, never by patterns over the text.

pandoc's tree has no source positions for Markdown, so each node found is
*located* afterwards: the node tells what to look for (a citation key, an
image path, the raw text) and :class:`Locator` finds it in the file as
stored, moving forward through the text in reading order. The position only
serves messages ("file:line"); what a node is never depends on it.

Before pandoc sees a text, :func:`bracket_guard` refuses the few bracket
patterns on which pandoc's Markdown reader takes exponential time (measured:
20 unclosed ``[`` in one paragraph take 16 s, 30 take minutes and gigabytes);
a deadline and a heap limit on pandoc catch whatever else there may be.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from . import tree

# pandoc's Markdown, with identifiers only where the author writes them (the
# pipeline gives every heading its own), and HTML tags kept as raw HTML so
# that they are refused, never turned into divs and spans.
READER_FORMAT = "markdown-auto_identifiers-implicit_header_references-native_divs-native_spans"
INLINE_TEXT_FORMAT = READER_FORMAT + "-yaml_metadata_block"

MAX_DEPTH = 3  # nested [ in one paragraph
MAX_UNCLOSED = 2  # [ never closed in one paragraph
MAX_OPEN_TARGETS = 3  # "](" never closed in one paragraph
MAX_UNCLOSED_TAGS = 50  # "<" + letter never closed by ">", in the whole text
MAX_BACKTICK_RUN = 32  # backticks in one run
MAX_QUOTE_DEPTH = 16  # ">" at the start of a line
MAX_UNCLOSED_FENCES = 3  # code fences never closed, in the whole text


@dataclass
class GuardProblem:
    line: int
    message: str
    hint: str


def bracket_guard(text: str, first_line: int = 1) -> GuardProblem | None:
    """The first place in ``text`` that pandoc's reader cannot get through in reasonable time.

    One linear pass; fenced code blocks are skipped, backslash escapes
    respected. Limits are far above what prose needs.
    """
    escape_hint = "write a literal bracket as \\[ or \\], or put code in a fenced code block"
    lines = text.split("\n")
    fences = _fence_lines(lines)
    closable = _closable_fences(fences, len(lines))
    fence = None
    unclosed_fences: list[int] = []
    stack: list[int] = []
    open_targets: list[int] = []
    angles: list[int] = []  # kept across paragraphs: pandoc looks for a tag's end in the whole text
    for index, line in enumerate(lines):
        number = first_line + index
        if fence is not None:
            if index in fences and fences[index][2] and fences[index][0] == fence[0] and fences[index][1] >= fence[1]:
                fence = None
            continue
        if index in fences:
            if closable(index):
                fence = fences[index]
                continue
            unclosed_fences.append(number)
        if not line.strip():  # end of a paragraph
            problem = _paragraph_end(stack, open_targets, angles, escape_hint)
            if problem:
                return problem
            stack, open_targets = [], []
            continue
        depth = len(line) - len(line.lstrip(" >"))
        if line[:depth].count(">") > MAX_QUOTE_DEPTH:
            return GuardProblem(number, f"block quotes nested more than {MAX_QUOTE_DEPTH} deep",
                                "remove the extra '>' at the start of the line")
        skip = False
        previous = ""
        run = 0
        for position, char in enumerate(line):
            run = run + 1 if char == "`" else 0
            if run > MAX_BACKTICK_RUN:
                return GuardProblem(number, f"more than {MAX_BACKTICK_RUN} backticks in a row",
                                    "shorten the run of backticks")
            if skip:
                skip = False
                previous = ""
                continue
            if char == "\\":
                skip = True
                continue
            if char == "[":
                stack.append(number)
                if len(stack) > MAX_DEPTH:
                    return GuardProblem(number, f"brackets nested more than {MAX_DEPTH} deep", escape_hint)
            elif char == "]":
                if stack:
                    stack.pop()
            elif char == "(" and previous == "]":
                open_targets.append(number)
            elif char == ")":
                if open_targets:
                    open_targets.pop()
            elif char == "<" and _opens_tag(line[position + 1:position + 2]):
                angles.append(number)
            elif char == ">":
                if angles:
                    angles.pop()
            previous = char
    if len(unclosed_fences) > MAX_UNCLOSED_FENCES:
        return GuardProblem(unclosed_fences[0], f"{len(unclosed_fences)} code fences are never closed",
                            "close each fenced code block with a line of the same backticks or tildes")
    return _paragraph_end(stack, open_targets, angles, escape_hint)


def _fence_lines(lines: list[str]) -> dict[int, tuple[str, int, bool]]:
    """Lines that look like code fences: index -> (character, length, nothing after it)."""
    fences = {}
    for index, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) < 4 and stripped[:3] in ("```", "~~~"):
            char = stripped[0]
            length = len(stripped) - len(stripped.lstrip(char))
            fences[index] = (char, length, not stripped[length:].strip())
    return fences


def _closable_fences(fences: dict, count: int):
    """A test: does the fence opened at this line have a closing fence further down?

    A closing fence is a bare fence line of the same character, at least as
    long. The longest bare fence after each line is precomputed, so the test
    is constant time.
    """
    longest_after = {"`": [0] * (count + 1), "~": [0] * (count + 1)}
    for char, longest in longest_after.items():
        for index in range(count - 1, -1, -1):
            own = fences.get(index)
            here = own[1] if own and own[0] == char and own[2] else 0
            longest[index] = max(longest[index + 1], here)

    def closable(index: int) -> bool:
        char, length, _ = fences[index]
        return longest_after[char][index + 1] >= length

    return closable


def _opens_tag(following: str) -> bool:
    return following.isalpha() or following in ("/", "!", "?")


def _paragraph_end(stack, open_targets, angles, escape_hint) -> GuardProblem | None:
    if len(stack) > MAX_UNCLOSED:
        return GuardProblem(stack[0], f"{len(stack)} '[' in this paragraph are never closed", escape_hint)
    if len(open_targets) > MAX_OPEN_TARGETS:
        return GuardProblem(open_targets[0], f"{len(open_targets)} link targets '](' in this paragraph are never closed",
                            "close each link target with ')', or escape the bracket as \\]")
    if len(angles) > MAX_UNCLOSED_TAGS:
        return GuardProblem(angles[0], f"{len(angles)} '<' that open HTML tags are never closed",
                            "write a literal '<' as \\<")
    return None


# --- locating nodes in the source -------------------------------------------------------------

class Locator:
    """Finds the line of a node in the text it was read from.

    ``text`` is what pandoc read; ``first_line`` the line of the file where it
    starts. Searches go forward from a cursor that follows the reading order.
    """

    def __init__(self, text: str, first_line: int = 1):
        self.text = text
        self.first_line = first_line
        self._starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._starts.append(index + 1)
        self.cursor = 0

    def line_at(self, offset: int) -> int:
        return self.first_line + bisect.bisect_right(self._starts, offset) - 1

    def find(self, *needles: str, move: bool = True) -> int | None:
        """Line of the first needle found after the cursor (else from the start); None if none."""
        for start in (self.cursor, 0):
            best = -1
            for needle in needles:
                if not needle:
                    continue
                position = self.text.find(needle, start)
                if position >= 0 and (best < 0 or position < best):
                    best = position
            if best >= 0:
                if move and start == self.cursor:
                    self.cursor = best
                return self.line_at(best)
        return None


# --- what a part holds ----------------------------------------------------------------------------

@dataclass
class Citation:
    """One cited id within a Cite node."""

    key: str
    mode: str  # NormalCitation, AuthorInText, SuppressAuthor
    prefix: list
    suffix: list


@dataclass
class CiteNode:
    node: dict
    items: list[Citation]
    line: int | None
    in_footnote: bool
    text: str  # the citation as written (pandoc keeps it)
    in_link: bool = False  # inside a link's text


@dataclass
class Located:
    """Any other node worth checking, with its line."""

    kind: str  # image, link, raw, header, div, span, code, math, table, figure, footnote, attr-holder
    node: dict
    line: int | None
    in_footnote: bool = False
    nested_footnote: bool = False
    in_link: bool = False  # inside a link's text


@dataclass
class Reading:
    """One Markdown text as pandoc read it, with its nodes located."""

    path: Path
    blocks: list
    meta: dict
    cites: list[CiteNode] = field(default_factory=list)
    nodes: list[Located] = field(default_factory=list)
    meta_line: int | None = None

    def of_kind(self, *kinds: str) -> list[Located]:
        return [n for n in self.nodes if n.kind in kinds]


_LOCATED_KINDS = {"Image": "image", "Link": "link", "RawInline": "raw", "RawBlock": "raw", "Header": "header",
                  "Div": "div", "Span": "span", "Code": "code", "CodeBlock": "code", "Math": "math",
                  "Table": "table", "Figure": "figure"}


def locate(path: Path, text: str, first_line: int, document: dict) -> Reading:
    """Walk pandoc's ``document`` of ``text`` and locate the nodes worth checking."""
    reading = Reading(path, document.get("blocks", []), document.get("meta", {}))
    locator = Locator(text, first_line)
    if reading.meta:
        first_key = sorted(reading.meta)[0]
        reading.meta_line = locator.find(f"\n{first_key}:", f"{first_key}:", move=False)
        if reading.meta_line is not None and text.find(f"\n{first_key}:") >= 0:
            reading.meta_line = locator.line_at(text.find(f"\n{first_key}:") + 1)
    _walk(reading.blocks, reading, locator, in_footnote=False, in_link=False)
    return reading


def _needles(node: dict) -> list[str]:
    t, c = node["t"], node.get("c")
    if t == "Cite":
        key = c[0][0]["citationId"] if c[0] else ""
        return [f"@{key}", f"@{{{key}}}"]
    if t == "Image":
        return ["![" + tree.stringify(c[1])[:20], c[2][0], "!["]
    if t == "Link":
        return [c[2][0], "]("]
    if t in ("RawInline", "RawBlock"):
        raw = c[1].strip()
        return [raw[:40], raw.split("\n")[0][:20]]
    if t == "CodeBlock":
        return ["```", "~~~", c[1].split("\n")[0][:40]]
    if t == "Code":
        return [c[1].split("\n")[0][:40]]
    if t == "Math":
        return [c[1].split("\n")[0][:30], "$"]
    if t == "Div":
        classes = c[0][1]
        return [f"::: {classes[0]}" if classes else ":::", f".{classes[0]}" if classes else ":::", ":::"]
    if t == "Span":
        return ["]{"]
    if t == "Header":
        return [_first_word(c[2]), "#"]
    if t in ("Para", "Plain"):
        return [_first_word(c)]
    if t == "Table":
        return ["|", ": "]
    if t == "Figure":
        return ["!["]
    return []


def _first_word(inlines: list) -> str:
    for node in inlines[:12]:
        if node.get("t") == "Str" and node["c"].isalnum():
            return node["c"]
    return ""


def _walk(nodes: list, reading: Reading, locator: Locator, in_footnote: bool, in_link: bool) -> None:
    for node in nodes:
        t = node.get("t")
        needles = _needles(node)
        if t == "Note":
            line = locator.find("^[", "[^")
            saved = locator.cursor
            _start_note_content(locator)
            reading.nodes.append(Located("footnote", node, line, in_footnote, nested_footnote=in_footnote,
                                         in_link=in_link))
            _walk(node["c"], reading, locator, in_footnote=True, in_link=False)
            locator.cursor = saved
            continue
        line = locator.find(*needles) if needles else None
        if t == "Cite":
            items = [Citation(c["citationId"], c["citationMode"]["t"], c["citationPrefix"], c["citationSuffix"])
                     for c in node["c"][0]]
            reading.cites.append(CiteNode(node, items, line, in_footnote, tree.stringify(node["c"][1]), in_link))
        elif t in _LOCATED_KINDS:
            reading.nodes.append(Located(_LOCATED_KINDS[t], node, line, in_footnote, in_link=in_link))
        child_lists = [child_list for _, child_list in tree.children(node)]
        if t == "Figure":  # the caption comes after the image in the source: ![caption](image)
            child_lists.reverse()
        for child_list in child_lists:
            _walk(child_list, reading, locator, in_footnote, in_link or t in ("Link", "Image"))


def _start_note_content(locator: Locator) -> None:
    """Move the cursor to where the content of the footnote at the cursor is written.

    An inline note ``^[...]`` holds it right there; a reference note
    ``[^label]`` at its definition ``[^label]:``.
    """
    text, at = locator.text, locator.cursor
    if text.startswith("[^", at):
        end = text.find("]", at)
        if end > 0:
            definition = text.find(text[at:end + 1] + ":")
            if definition >= 0:
                locator.cursor = definition


def read_body(session, text: str, timeout: float | None = None) -> dict:
    """pandoc's document of one Markdown text, line breaks between East Asian characters removed.

    Chinese and Japanese put no space between words, so a line break of the
    source between two of their characters is no space (pandoc's
    ``east_asian_line_breaks`` does this only in its command-line program,
    not in the Lua ``pandoc.read`` the pipeline uses).
    """
    options = {"timeout": timeout} if timeout is not None else {}
    document = session.read_markdown([text], READER_FORMAT[len("markdown"):], **options)[0]
    return join_east_asian_lines(document)


def join_east_asian_lines(value, spaces: bool = False):
    """``value`` (pandoc JSON) without the soft line breaks that stand between two wide characters, and
    with ``spaces`` the spaces too (citeproc puts spaces around "和" and between the parts of a note)."""
    gaps = ("SoftBreak", "Space") if spaces else ("SoftBreak",)
    if isinstance(value, list):
        items = [join_east_asian_lines(item, spaces) for item in value]
        return [item for index, item in enumerate(items)
                if not (isinstance(item, dict) and item.get("t") in gaps and 0 < index < len(items) - 1
                        and _wide_edge(items[index - 1], -1) and _wide_edge(items[index + 1], 0))]
    if isinstance(value, dict):
        return {key: join_east_asian_lines(item, spaces) for key, item in value.items()}
    return value


def _wide_edge(node, end: int) -> bool:
    import unicodedata

    if not (isinstance(node, dict) and node.get("t") == "Str" and node.get("c")):
        return False
    return unicodedata.east_asian_width(node["c"][end]) in ("W", "F")


def read(session, text: str, first_line: int = 1, path: Path = Path("text.md")) -> Reading:
    """Read one Markdown text with pandoc and locate its nodes (the guard is the caller's)."""
    return locate(path, text, first_line, read_body(session, text))
