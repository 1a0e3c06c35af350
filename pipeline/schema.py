"""JSON Schemas of brief.yaml and section front matter, and friendly messages."""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema

from .errors import Collector
from .yamlsource import LocatedYaml


@functools.cache
def load_schema(name: str) -> dict:
    """The schema ``name`` (``brief`` or ``section``) shipped in pipeline/schemas."""
    text = resources.files("pipeline").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _subschema(schema: dict, path: list) -> dict:
    """The schema node describing the object at ``path`` in the data."""
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_against_schema(name: str, located: LocatedYaml, path: Path, problems: Collector,
                         what: str) -> bool:
    """Validate ``located.data``; report each problem with line and hint. True if valid.

    An unknown key that looks like a missing required key (``titel`` for
    ``title``) is reported once, as the typo it is.
    """
    schema = load_schema(name)
    data = located.data
    if not isinstance(data, dict):
        problems.error(path, f"{what} must be a mapping of keys to values", located.line_of((), 1),
                       "write one 'key: value' per line")
        return False
    ok = True
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    suggested: set[tuple] = set()
    for error in errors:
        ok = False
        where = list(error.absolute_path)
        line = located.line_of(where, 1)
        field = _dotted(where)
        node = _subschema(schema, where)
        if error.validator == "additionalProperties":
            allowed = sorted(node.get("properties", {}))
            extra = sorted(set(error.instance) - set(allowed), key=str)
            for key in extra:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                if close:
                    suggested.add(tuple(where) + (close[0],))
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                key_path = where + [key]
                problems.error(path, f"unknown key '{_dotted(key_path)}' in {what}", located.line_of(key_path, line), hint)
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            if tuple(where) + (missing,) in suggested:
                continue
            example = (node.get("properties", {}).get(missing, {}).get("examples") or ["..."])[0]
            hint = f"add '{missing}: {example}'" + (f" under '{field}'" if where else "")
            problems.error(path, f"missing required key '{_dotted(where + [missing])}' in {what}", line, hint)
        elif where == ["date"]:
            problems.error(path, f"'date' is not a valid ISO date: {_shown(error.instance)}", line, _DATE_HINT)
        else:
            message, hint = _describe(error, where, node)
            problems.error(path, message, line, hint)
    # Text made only of spaces passes minLength but is as empty as "".
    for key, value in data.items():
        spec = schema.get("properties", {}).get(key, {})
        if isinstance(value, str) and value and not value.strip() and spec.get("minLength"):
            ok = False
            problems.error(path, f"'{key}' must not be empty", located.line_of([key], 1), f"write the text after '{key}:'")
    # jsonschema does not check dates by default: do it here with the real calendar.
    value = data.get("date") if name == "brief" else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            ok = False
            problems.error(path, f"'date' is not a valid ISO date: {_shown(value)}",
                           located.line_of(["date"], 1), _DATE_HINT)
    return ok


_DATE_HINT = "write the date as YYYY-MM-DD, e.g. 2026-11-28"


def _shown(value) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # a structure that contains itself
        return repr(value)


def _describe(error, where: list, node: dict) -> tuple[str, str]:
    """(message, hint) for a wrong value at ``where``."""
    field = _dotted(where)
    key = where[-1] if where else ""
    item = isinstance(key, int)
    shown = _shown(error.instance)
    examples = node.get("examples") or []
    if error.instance is None:
        return (f"'{field}' is empty",
                "write the item or remove the '-' line" if item else f"write a value after '{key}:' or remove the line")
    if error.validator == "type":
        wanted = error.validator_value[0] if isinstance(error.validator_value, list) else error.validator_value
        message = f"'{field}' must be {_article(error.validator_value)}, not {shown}"
        if wanted == "array":
            hint = f"write one '- item' per line under '{key}:'"
        elif wanted == "object":
            hint = f"write its keys indented under '{key}:'"
            if examples:
                hint += f", e.g. {key}: {_flow(examples[0])}"
        elif wanted == "string" and isinstance(error.instance, (int, float, bool)):
            text = json.dumps(error.instance)
            hint = f'put the item in quotes: - "{text}"' if item else f'put the value in quotes: {key}: "{text}"'
        elif wanted == "string":
            hint = "write it as text on one line"
        elif wanted == "boolean":
            hint = f"write '{key}: true' or '{key}: false'"
        elif wanted == "integer":
            hint = f"write a whole number, e.g. {key}: {examples[0] if examples else 1}"
        else:
            hint = node.get("description", "")
        return message, hint
    if error.validator == "enum":
        options = [str(option) for option in error.validator_value]
        return (f"'{field}' must be one of {', '.join(options)}, not {shown}",
                "write " + " or ".join(f"'{key}: {option}'" for option in options))
    if error.validator in ("minimum", "maximum"):
        low, high = node.get("minimum"), node.get("maximum")
        bound = f"at least {low}" if error.validator == "minimum" else f"at most {high}"
        hint = (f"write a whole number from {low} to {high}" if low is not None and high is not None
                else node.get("description", ""))
        return f"'{field}' must be {bound}, not {shown}", hint
    if error.validator == "minLength":
        return f"'{field}' must not be empty", f"write the text after '{key}:'"
    if error.validator == "pattern":
        hint = f"write it like {', '.join(map(str, examples))}" if examples else node.get("description", "")
        if node.get("title"):
            return f"'{field}' must be {node['title']}, not {shown}", hint
        return f"'{field}' has an invalid value {shown}", hint
    return f"'{field}': {error.message}", node.get("description", "")


def _flow(value) -> str:
    """A small value in YAML flow style: {max_pages: 2}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _article(type_name) -> str:
    names = {"string": "text", "integer": "a whole number", "boolean": "true or false",
             "array": "a list", "object": "a mapping", "number": "a number"}
    if isinstance(type_name, list):
        return " or ".join(names.get(t, t) for t in type_name)
    return names.get(type_name, type_name)
