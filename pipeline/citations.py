"""Find pandoc-style citations in Markdown and number their sources.

Citation groups are written as in pandoc: ``[@id]``, ``[@a; @b]``,
``[see @id, p. 4]``. Sources are numbered in order of first citation, reading
the summary and then the sections in order; a source cited again keeps its
number. Code spans and fenced code blocks are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# pandoc citation keys: start with a letter, digit or _, may hold internal
# punctuation; {braced} keys may hold anything but braces and spaces.
_KEY = r"(?:\{[^{}\s]+\}|[\w](?:[\w:.#$%&\-+?<>~/]*[\w])?)"
# The prefix is empty or ends with a space: "[mail x@y.org]" is no citation.
_ITEM = re.compile(rf"^(?P<prefix>(?:[^@]*?\s)?)(?P<suppress>-?)@(?P<key>{_KEY})(?P<suffix>.*)$", re.S)
# A bracketed group that contains at least one @key, with no nested brackets,
# not preceded by ] or ! (links/images) and not followed by ( or [ (link targets).
_GROUP = re.compile(r"(?<![\]!\\])\[(?P<body>[^\[\]]*?@[^\[\]]*?)\](?![(\[{])")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}(?!.*`)|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


@dataclass(frozen=True)
class CitationItem:
    """One cited source within a group, with its optional locator."""

    key: str
    locator: str = ""
    prefix: str = ""


@dataclass
class CitationGroup:
    """A bracketed citation such as ``[@a; @b, p. 4]`` found in a file."""

    items: list[CitationItem]
    line: int
    start: int
    end: int
    numbers: list[int] = field(default_factory=list)


def mask_code(text: str) -> str:
    """Blank out code blocks and spans so citations inside them are ignored.

    Offsets and line breaks are kept, so positions in the result are
    positions in ``text``. A fence closes with the same character, at least
    as many times, and nothing else on the line.
    """
    out, fence = [], ""
    for line in text.splitlines(keepends=True):
        if fence:
            stripped = line.strip()
            if len(line) - len(line.lstrip(" ")) <= 3 and stripped and set(stripped) == {fence[0]} \
                    and len(stripped) >= len(fence):
                fence = ""
            out.append(_blank(line))
            continue
        marker = _FENCE_OPEN.match(line)
        if marker:
            fence = marker.group(1)
            out.append(_blank(line))
            continue
        out.append(line)
    masked = "".join(out)
    return _CODE_SPAN.sub(lambda m: _blank(m.group(0)), masked)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def parse_group_body(body: str) -> list[CitationItem] | None:
    """Parse ``@a; see @b, p. 4``; None if any part is not a citation."""
    items = []
    for part in body.split(";"):
        match = _ITEM.match(part.strip())
        if not match:
            return None
        key = match.group("key").strip("{}")
        suffix = match.group("suffix").strip()
        if suffix.startswith(","):
            suffix = suffix[1:].strip()
        items.append(CitationItem(key=key, locator=suffix, prefix=match.group("prefix").strip()))
    return items


def find_citations(text: str, first_line: int = 1) -> list[CitationGroup]:
    """All citation groups in ``text``; ``first_line`` is the line of text[0]."""
    groups = []
    for match in _GROUP.finditer(mask_code(text)):
        items = parse_group_body(match.group("body"))
        if items is None:
            continue
        line = first_line + text.count("\n", 0, match.start())
        groups.append(CitationGroup(items, line, match.start(), match.end()))
    return groups


def number_sources(groups_in_reading_order: list[CitationGroup]) -> list[str]:
    """Give each group its note numbers; return the keys in note order."""
    order: dict[str, int] = {}
    for group in groups_in_reading_order:
        group.numbers = [order.setdefault(item.key, len(order) + 1) for item in group.items]
    return list(order)
