"""The brief's language: fixed labels, quotation marks, the printed date, the writing direction.

``language`` in brief.yaml is any BCP 47 tag. It is resolved to one of the
catalogues in :data:`SUPPORTED` (``pt-BR`` -> ``pt``, ``zh-TW`` ->
``zh-Hant``, ``iw`` -> ``he``) with Babel's copy of CLDR (language aliases,
likely subtags, parent locales), not with tables of regions kept here.

* Labels ("Contents", "page 3 of 8", ...) are gettext catalogues, one
  ``locale/<catalogue>.po`` per language, each entry's ``msgctxt`` being the
  label's key and its ``msgid`` the English text. They are read at run time
  with Babel's PO reader (no compiled ``.mo``), once per process.
* The printed date is CLDR's long date format (Babel), in the tag's own
  region where CLDR has one (``en-US`` "November 28, 2026", ``en``
  "28 November 2026").
* Quotation marks are CLDR's delimiters, which Babel does not carry: they
  are transcribed in :data:`_CLDR_QUOTES`, plus French spacing.
* The direction (``rtl``/``ltr``) is CLDR's character order for the tag,
  whether or not the language has labels: Urdu is set right to left with
  English labels.

A tag without a catalogue gets the English labels, quotes and date;
:func:`unsupported_language` is the warning that says so (``brief check``).
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date as _babel_format_date
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"

# The catalogues, in the order the warning lists them.
SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl", "pl", "ru", "uk", "tr", "ar", "fa", "he", "hi",
             "zh-Hans", "zh-Hant", "ja", "ko")

# Chinese is the one supported language with two written forms: its catalogue
# depends on the script (explicit, or CLDR's likely script for the region).
_CHINESE = {"Hans": "zh-Hans", "Hant": "zh-Hant"}

# CLDR's <delimiters> (quotationStart, quotationEnd, alternateQuotationStart,
# alternateQuotationEnd) for the supported languages and the regions where
# CLDR differs from the language's default. Babel does not import this part of
# CLDR, so the values are transcribed from CLDR 48 (cldr-json
# cldr-misc-full/main/*/delimiters.json; Babel 2.19 ships CLDR 49 for the
# rest), unchanged -- typographic spacing is added in quotes_for. Every other
# region of these languages inherits one of these entries through CLDR's
# parent locales (pt-MZ -> pt-PT, zh-Hant-MO -> zh-Hant-HK -> zh-Hant).
_CLDR_QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
    "es": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
    "es_US": ("\u00ab", "\u00bb", "\u201c", "\u201d"),   # «…» “…”
    "fr": ("\u00ab", "\u00bb", "\u00ab", "\u00bb"),      # «…» «…»
    "fr_CA": ("\u00ab", "\u00bb", "\u201d", "\u201c"),   # «…» ”…“
    "fr_CH": ("\u00ab", "\u00bb", "\u2039", "\u203a"),   # «…» ‹…›
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),      # „…“ ‚…‘
    "pt": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
    "pt_PT": ("\u00ab", "\u00bb", "\u201c", "\u201d"),   # «…» “…”
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),      # «…» “…”
    "nl": ("\u2018", "\u2019", "\u2018", "\u2019"),      # ‘…’ ‘…’
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),      # „…” «…»
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),      # «…» „…“
    "uk": ("\u00ab", "\u00bb", "\u201e", "\u201c"),      # «…» „…“
    "tr": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
    "ar": ("\u201d", "\u201c", "\u2019", "\u2018"),      # ”…“ ’…‘ (read right to left)
    "fa": ("\u00ab", "\u00bb", "\u2039", "\u203a"),      # «…» ‹…›
    "he": ("\u201d", "\u201d", "\u2019", "\u2019"),      # ”…” ’…’
    "hi": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’ (simplified script)
    "zh_Hant": ("\u300c", "\u300d", "\u300e", "\u300f"),  # 「…」『…』
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),      # 「…」『…』
    "ko": ("\u201c", "\u201d", "\u2018", "\u2019"),      # “…” ‘…’
}

# Typographic spacing inside quotation marks, which CLDR's delimiters leave
# out. Of the supported languages only French sets a space there: a no-break
# space inside guillemets (« … », and ‹ … › in Switzerland), today the narrow
# one, U+202F, as French typography guides recommend and as CLDR itself uses
# in French numbers. Russian, Ukrainian, Italian, Portuguese, Persian and
# Polish guillemets take no space; the other marks never do.
_SPACED_GUILLEMETS = {"fr"}
_GUILLEMET_OPENING, _GUILLEMET_CLOSING = {"\u00ab", "\u2039"}, {"\u00bb", "\u203a"}
NARROW_NBSP = "\u202f"

# Digits of CLDR's numbering systems that a supported language uses by
# default in some region (fa: arabext; ar-EG, ar-SA, ...: arab). Babel formats
# dates with ASCII digits whatever the locale's numbering system, so the long
# date is converted here. Numbering systems not listed keep ASCII digits.
_NATIVE_ZERO = {"arab": 0x0660, "arabext": 0x06F0}

_ALPHA, _DIGITS = re.compile(r"[A-Za-z]+$"), re.compile(r"[0-9]+$")


# --- resolving a tag -----------------------------------------------------------------------------------

def _subtags(language: str) -> tuple[str, str | None, str | None]:
    """(language, script, region) of a BCP 47 tag, in CLDR's case; variants and extensions dropped.

    An extended language subtag is the language (RFC 5646 2.2.2:
    ``zh-cmn-Hans-CN`` is ``cmn-Hans-CN``).
    """
    parts = [part for part in (language or "").strip().replace("_", "-").split("-") if part]
    if not parts or not _ALPHA.match(parts[0]):
        return "", None, None
    lang, rest = parts[0].lower(), parts[1:]
    if len(lang) <= 3 and rest and len(rest[0]) == 3 and _ALPHA.match(rest[0]):
        lang, rest = rest[0].lower(), rest[1:]
        while rest and len(rest[0]) == 3 and _ALPHA.match(rest[0]):  # at most three extlangs; only one is valid
            rest = rest[1:]
    script = region = None
    if rest and len(rest[0]) == 4 and _ALPHA.match(rest[0]):
        script, rest = rest[0].title(), rest[1:]
    if rest and ((len(rest[0]) == 2 and _ALPHA.match(rest[0])) or (len(rest[0]) == 3 and _DIGITS.match(rest[0]))):
        region = rest[0].upper()
    return lang, script, region


@functools.lru_cache(maxsize=256)
def _resolve(language: str) -> tuple[Locale | None, str | None]:
    """(the closest Babel locale or None, the tag's explicit script or None)."""
    lang, script, region = _subtags(language)
    if not lang or lang == "und":
        return None, script
    candidates = ["_".join(p for p in (lang, script, region) if p), "_".join(p for p in (lang, script) if p),
                  "_".join(p for p in (lang, region) if p), lang]
    for identifier in dict.fromkeys(candidates):
        try:
            return Locale.parse(identifier), script
        except (UnknownLocaleError, ValueError):
            continue
    return None, script


def _likely_script(language: str) -> str | None:
    """CLDR's likely script of a language (ru -> Cyrl), or None."""
    likely = get_global("likely_subtags").get(language)
    return likely.split("_")[1] if likely and likely.count("_") == 2 else None


@functools.lru_cache(maxsize=256)
def catalogue_for(language: str) -> str | None:
    """The catalogue (one of :data:`SUPPORTED`) for a BCP 47 tag, or None when none fits.

    Case-insensitive; regions and variants choose nothing but the written form
    of Chinese. A tag whose script is not the one its catalogue is written in
    (``zh-Latn``, ``hi-Latn``, ``ru-Latn``) has no catalogue.
    """
    locale, script = _resolve(language)
    if locale is None:
        return None
    if locale.language == "zh":
        return _CHINESE.get(script or locale.script or _likely_script("zh"))
    if locale.language not in SUPPORTED:
        return None
    if script and script != _likely_script(locale.language):
        return None
    return locale.language


def is_supported(language: str) -> bool:
    """Whether the tag has translated labels, quotes and dates."""
    return catalogue_for(language) is not None


def unsupported_language(language: str) -> tuple[str, str] | None:
    """(warning, hint) for a tag without a catalogue, None for a supported one."""
    if is_supported(language):
        return None
    return (f"language '{language}' has no translated labels: English labels, quotes and dates are used",
            f"supported: {', '.join(SUPPORTED)}")


# --- labels -----------------------------------------------------------------------------------------

@functools.cache
def _read_catalogue(name: str) -> dict[str, tuple[str, str]]:
    """``locale/<name>.po`` as {key (msgctxt): (English msgid, msgstr)}, read once per process."""
    with (LOCALE_DIR / f"{name}.po").open("rb") as handle:
        catalog = read_po(handle, locale=None, ignore_obsolete=True)
    return {message.context: (message.id, message.string) for message in catalog
            if message.id and message.context}


def labels_for(language: str) -> dict[str, str]:
    """Every label for a BCP 47 tag, in its catalogue's language; English where it has none."""
    labels = {key: english for key, (english, _) in _read_catalogue("en").items()}
    name = catalogue_for(language)
    if name and name != "en":
        labels.update({key: text for key, (_, text) in _read_catalogue(name).items() if key in labels and text})
    return labels


# --- quotation marks ----------------------------------------------------------------------------------

def _cldr_chain(identifier: str):
    """A locale identifier and its CLDR parents, most specific first (pt_MZ, pt_PT, pt)."""
    parents = get_global("parent_exceptions")
    while identifier:
        yield identifier
        identifier = parents.get(identifier) or identifier.rpartition("_")[0]


def quotes_for(language: str) -> tuple[str, str, str, str]:
    """(open, close, inner open, inner close) as the language writes quotations; English where unsupported."""
    name = catalogue_for(language)
    if name is None:
        return _CLDR_QUOTES["en"]
    locale = _resolve(language)[0]
    identifier = str(locale)
    if name in _CHINESE.values():  # the written form decides (zh-Hant-CN is not a CLDR locale)
        identifier = "_".join(p for p in ("zh", name.split("-")[1], locale.territory) if p)
    marks = next(_CLDR_QUOTES[i] for i in _cldr_chain(identifier) if i in _CLDR_QUOTES)
    if name in _SPACED_GUILLEMETS:
        marks = tuple(mark + NARROW_NBSP if mark in _GUILLEMET_OPENING
                      else NARROW_NBSP + mark if mark in _GUILLEMET_CLOSING else mark for mark in marks)
    return marks


# --- dates and direction ----------------------------------------------------------------------------

def _date_locale(language: str) -> Locale:
    name = catalogue_for(language)
    locale = _resolve(language)[0] if name else None
    if locale is None or (locale.language == "en" and not locale.territory):
        # CLDR's "en" is American English; a bare en (and every unsupported
        # language) is printed as international English: 28 November 2026.
        return Locale.parse("en_001")
    return locale


def format_date(iso: str | datetime.date, language: str) -> str:
    """The date as the language prints it in full (CLDR's long format), in its default digits.

    ``2026-11-28``: en "28 November 2026", en-US "November 28, 2026", es
    "28 de noviembre de 2026", ja "2026年11月28日"; unsupported languages get
    the English form. The Gregorian calendar is used for every language.
    """
    date = iso if isinstance(iso, datetime.date) else datetime.date.fromisoformat(str(iso))
    locale = _date_locale(language)
    text = _babel_format_date(date, "long", locale=locale)
    zero = _NATIVE_ZERO.get(locale.default_numbering_system)
    if zero is not None:
        text = text.translate({ord("0") + digit: zero + digit for digit in range(10)})
    return text


def direction(language: str) -> str:
    """``rtl`` or ``ltr``: CLDR's character order for the tag (its script when it names one)."""
    locale, script = _resolve(language)
    if script:  # the script decides: ar-Latn is written left to right, az-Arab right to left
        likely = get_global("likely_subtags")
        # CLDR's likeliest locale for the script; Latin, the default of "und", has no entry of its own
        identifier = likely.get(f"und_{script}") or (likely["und"] if _likely_script("und") == script else None)
        try:
            locale = Locale.parse(identifier) if identifier else locale
        except (UnknownLocaleError, ValueError):
            pass
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"
