"""YAML loading that remembers where every key and item stands in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class _TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates and times as the text the author wrote."""


# Dates stay strings so that the schema checks them and metadata keeps them verbatim.
_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class YamlSyntaxError(Exception):
    """A YAML text does not parse."""

    message: str
    line: int | None


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


def _walk(node: yaml.Node, path: tuple, lines: dict[tuple, int], offset: int) -> None:
    lines.setdefault(path, node.start_mark.line + 1 + offset)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1 + offset
            _walk(value_node, path + (key,), lines, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1 + offset
            _walk(item, path + (index,), lines, offset)


def load_located(text: str, line_offset: int = 0) -> LocatedYaml:
    """Parse ``text``; lines are shifted by ``line_offset`` (for front matter)."""
    try:
        node = yaml.compose(text, Loader=_TextDatesLoader)
        data = yaml.load(text, Loader=_TextDatesLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}, {problem}"
        raise YamlSyntaxError(f"YAML syntax error: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", None) from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _walk(node, (), lines, line_offset)
    return LocatedYaml(data, lines)
