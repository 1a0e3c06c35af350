"""JSON Schemas of brief.yaml and section front matter, and friendly messages."""

from __future__ import annotations

import datetime
import difflib
import functools
import json
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
    """Validate ``located.data``; report each problem with line and hint. True if valid."""
    schema = load_schema(name)
    data = located.data
    if not isinstance(data, dict):
        problems.error(path, f"{what} must be a mapping of keys to values", located.line_of((), 1),
                       "write one 'key: value' per line")
        return False
    ok = True
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    for error in errors:
        ok = False
        where = list(error.absolute_path)
        line = located.line_of(where, 1)
        field = _dotted(where)
        node = _subschema(schema, where)
        if error.validator == "additionalProperties":
            allowed = sorted(node.get("properties", {}))
            extra = sorted(set(error.instance) - set(allowed))
            for key in extra:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                key_path = where + [key]
                problems.error(path, f"unknown key '{_dotted(key_path)}' in {what}", located.line_of(key_path, line), hint)
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            desc = node.get("properties", {}).get(missing, {}).get("description", "")
            problems.error(path, f"missing required key '{_dotted(where + [missing])}' in {what}", line,
                           f"add '{missing}: ...'" + (f" ({desc})" if desc else ""))
        elif where == ["date"]:
            problems.error(path, f"'date' is not a valid ISO date: {json.dumps(error.instance, default=str)}",
                           line, "write the date as YYYY-MM-DD, e.g. 2026-11-28")
        elif error.validator in ("type", "enum", "pattern", "minLength", "minimum", "maximum", "format"):
            desc = node.get("description", "")
            shown = json.dumps(error.instance, ensure_ascii=False, default=str)
            if error.validator == "type":
                wanted = error.validator_value
                message = f"'{field}' must be {_article(wanted)}, not {shown}"
            elif error.validator == "enum":
                message = f"'{field}' must be one of {', '.join(map(str, error.validator_value))}, not {shown}"
            elif error.validator == "minLength":
                message = f"'{field}' must not be empty"
            else:
                message = f"'{field}' has an invalid value {shown}"
            problems.error(path, message, line, desc)
        else:
            problems.error(path, f"'{field}': {error.message}", line, node.get("description", ""))
    # jsonschema does not check dates by default: do it here with the real calendar.
    if ok and name == "brief":
        value = data.get("date")
        try:
            datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            ok = False
            problems.error(path, f"'date' is not a valid ISO date: {json.dumps(value, default=str)}",
                           located.line_of(["date"], 1), "write the date as YYYY-MM-DD, e.g. 2026-11-28")
    return ok


def _article(type_name) -> str:
    names = {"string": "text", "integer": "a whole number", "boolean": "true or false",
             "array": "a list", "object": "a mapping", "number": "a number"}
    if isinstance(type_name, list):
        return " or ".join(names.get(t, t) for t in type_name)
    return names.get(type_name, type_name)
