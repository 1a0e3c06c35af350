"""Fixed labels in the brief's language (en, es, fr, de, pt; English fallback)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {"contents": "Contents", "summary": "Executive summary", "key_points": "Key points",
           "notes": "Notes", "page": "page", "of": "of", "version": "Version",
           "long_version": "The full brief, with sources and notes, is published as the long version.",
           "back": "Back to citation"},
    "es": {"contents": "Índice", "summary": "Resumen ejecutivo", "key_points": "Puntos clave",
           "notes": "Notas", "page": "página", "of": "de", "version": "Versión",
           "long_version": "El informe completo, con fuentes y notas, se publica en la versión larga.",
           "back": "Volver a la cita"},
    "fr": {"contents": "Sommaire", "summary": "Synthèse", "key_points": "Points clés",
           "notes": "Notes", "page": "page", "of": "sur", "version": "Version",
           "long_version": "La note complète, avec ses sources et ses notes, est publiée dans la version longue.",
           "back": "Retour à la citation"},
    "de": {"contents": "Inhalt", "summary": "Zusammenfassung", "key_points": "Kernpunkte",
           "notes": "Anmerkungen", "page": "Seite", "of": "von", "version": "Version",
           "long_version": "Das vollständige Papier mit Quellen und Anmerkungen erscheint als Langfassung.",
           "back": "Zurück zum Zitat"},
    "pt": {"contents": "Índice", "summary": "Sumário executivo", "key_points": "Pontos-chave",
           "notes": "Notas", "page": "página", "of": "de", "version": "Versão",
           "long_version": "O documento completo, com fontes e notas, é publicado na versão longa.",
           "back": "Voltar à citação"},
}


def labels_for(language: str) -> dict[str, str]:
    """Labels for a BCP 47 tag: its primary language, else English."""
    primary = (language or "en").split("-")[0].lower()
    return LABELS.get(primary, LABELS["en"])


# Quotation marks by language: (open, close, inner open, inner close).
QUOTES = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u201c", "\u201d"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "pt": ("\u201c", "\u201d", "\u2018", "\u2019"),
}


def quotes_for(language: str) -> tuple[str, str, str, str]:
    return QUOTES.get((language or "en").split("-")[0].lower(), QUOTES["en"])
