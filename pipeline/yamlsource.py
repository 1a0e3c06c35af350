"""YAML loading that remembers where every key and item stands in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (it is, from PyPI): a large
# references.yaml parses in a fraction of the time.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Aliases (*name) let a small file describe a huge structure ("billion
# laughs"); the expanded size is counted before anything is built from it.
MAX_VALUES = 200_000


class _TextDatesLoader(_BASE_LOADER):
    """SafeLoader that keeps dates and times as the text the author wrote."""


# Dates stay strings so that the schema checks them and metadata keeps them verbatim.
_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class YamlSyntaxError(Exception):
    """A YAML text does not parse, or repeats a key.

    ``hint`` is set when the problem has a more specific fix than "fix the
    YAML syntax" (callers fall back to their own hint otherwise).
    """

    message: str
    line: int | None
    hint: str = ""


@dataclass
class LocatedYaml:
    """Parsed YAML plus the 1-based line of each key path."""

    data: Any
    lines: dict[tuple, int]

    def line_of(self, path: tuple | list, default: int | None = None) -> int | None:
        """Line of the deepest known prefix of ``path`` (a key/index path)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), default)


def _walk(node: yaml.Node, path: tuple, lines: dict[tuple, int], offset: int,
          ancestors: set[int], seen: set[int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1 + offset)
    if id(node) in ancestors:
        raise YamlSyntaxError("YAML syntax error: an alias (*name) refers to the value that contains it",
                              node.start_mark.line + 1 + offset, "remove the alias or point it at another value")
    if id(node) in seen:  # an alias to a value already walked: its lines are known
        return
    seen.add(id(node))
    ancestors.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping used as a key: yaml.load reports it
            key = key_node.value
            line = key_node.start_mark.line + 1 + offset
            if key_node.tag != "tag:yaml.org,2002:merge":
                if key in first_line:
                    raise YamlSyntaxError(
                        f"duplicate key '{key}', first written on line {first_line[key]}", line,
                        f"keep one '{key}:' line and delete the other; YAML would silently keep only the last one")
                first_line[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, offset, ancestors, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1 + offset
            _walk(item, path + (index,), lines, offset, ancestors, seen)
    ancestors.discard(id(node))


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document has once every alias is expanded (stops past MAX_VALUES)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        items = ([v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else list(node.value))
        if not done:
            if id(node) in visiting:
                continue  # already on the stack below: its children are being counted
            visiting.add(id(node))
            stack.append((node, True))
            for child in items:
                if id(child) in visiting and id(child) not in sizes:
                    raise YamlSyntaxError("YAML syntax error: an alias (*name) refers to the value that contains it",
                                          child.start_mark.line + 1, "remove the alias or point it at another value")
                if id(child) not in sizes:
                    stack.append((child, False))
            continue
        total = 1 + sum(sizes.get(id(child), 1) for child in items)
        sizes[id(node)] = min(total, MAX_VALUES + 1)
    return sizes[id(root)]


# The hint of a YAML syntax error when the parser has none of its own.
SYNTAX_HINT = "fix the YAML syntax: indentation, a space after ':', quotes around text with colons"


def load_or_report(text: str, path, problems, *, hint: str = SYNTAX_HINT, line_offset: int = 0) -> LocatedYaml | None:
    """:func:`load_located`, or None after reporting the syntax error at ``path``:line to ``problems``
    (a collector with ``error(path, message, line, hint)``)."""
    try:
        return load_located(text, line_offset)
    except YamlSyntaxError as exc:
        problems.error(path, exc.message, exc.line, exc.hint or hint)
        return None


def load_mapping_or_report(text: str, path, problems, **options) -> LocatedYaml | None:
    """:func:`load_or_report` for a document that is a mapping (brief.yaml, front matter, theme.yaml): an
    empty one counts as an empty mapping, whose missing keys the schema then names."""
    located = load_or_report(text, path, problems, **options)
    if located is not None and located.data is None:
        return LocatedYaml({}, {(): 1})
    return located


def load_located(text: str, line_offset: int = 0) -> LocatedYaml:
    """Parse ``text``; lines are shifted by ``line_offset`` (for front matter).

    Raises :class:`YamlSyntaxError` for a syntax error, for a key written
    twice in one mapping (PyYAML would silently keep the last one), and for
    aliases that expand to more than MAX_VALUES values.
    """
    text = text.removeprefix("\ufeff")
    last_line = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    loader = _TextDatesLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            # "unexpected end of stream" is noticed after the last line: the
            # context (e.g. where an unclosed quote opened) is the useful place.
            if mark is not None and mark.line + 1 > last_line and exc.context_mark is not None:
                mark = exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            problem = exc.problem or str(exc)
            if exc.context:
                problem = f"{exc.context}, {problem}"
            if "quoted scalar" in (exc.context or "") and "end of stream" in (exc.problem or ""):
                problem = "a quote opened on this line is never closed"
            raise YamlSyntaxError(f"YAML syntax error: {problem}", line) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(f"YAML syntax error: {exc}", None) from None
        except RecursionError:
            raise YamlSyntaxError("YAML syntax error: the values are nested too deeply", None) from None
        lines: dict[tuple, int] = {}
        if node is None:
            return LocatedYaml(None, lines)
        try:
            expanded = _expanded_size(node)
        except YamlSyntaxError as exc:
            raise YamlSyntaxError(exc.message, (exc.line or 0) + line_offset or None, exc.hint) from None
        if expanded > MAX_VALUES:
            raise YamlSyntaxError(f"the YAML aliases (*name) expand to more than {MAX_VALUES:,} values",
                                  node.start_mark.line + 1 + line_offset,
                                  "write the values out instead of repeating them through aliases")
        try:
            _walk(node, (), lines, line_offset, set(), set())
        except RecursionError:
            raise YamlSyntaxError("YAML syntax error: the values are nested too deeply", None) from None
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:  # e.g. a list used as a key
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            raise YamlSyntaxError(f"YAML syntax error: {exc.context + ', ' if exc.context else ''}{exc.problem}",
                                  line) from None
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(f"YAML syntax error: {exc}", None) from None
        except RecursionError:
            raise YamlSyntaxError("YAML syntax error: the values are nested too deeply", None) from None
        return LocatedYaml(data, lines)
    finally:
        loader.dispose()
