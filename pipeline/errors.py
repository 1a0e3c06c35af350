"""Content problems: what is wrong, where, and how to fix it.

Every mistake in a brief's content is reported as a :class:`Problem` that
names the file (relative to the content folder when possible), the line where
one applies, the message and a hint. A :class:`ContentError` carries one or
more problems; the CLI prints each as a single line and never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One error or warning about a brief's content."""

    path: Path
    message: str
    line: int | None = None
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def format(self, relative_to: Path | None = None) -> str:
        """Render as ``path:line: severity: message (hint)`` on one line.

        With ``relative_to`` the path is shown relative to that folder when it
        lies below it (symbolic links are not followed, so a linked file is
        named where the author sees it); otherwise it is shown as stored.
        """
        shown = self.path
        if relative_to is not None:
            shown = _relative(self.path, relative_to)
        where = f"{shown}:{self.line}" if self.line else f"{shown}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.splitlines())  # always one line, whatever the message holds


def _relative(path: Path, base: Path) -> Path:
    for candidate, root in ((os.path.abspath(path), os.path.abspath(base)),
                            (Path(path).resolve(), Path(base).resolve())):
        try:
            return Path(candidate).relative_to(root)
        except ValueError:
            continue
    return path


@dataclass
class ContentError(Exception):
    """A brief cannot be built because its content is wrong."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.problems[0].format() if self.problems else "content error")

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)


class PageLimitError(Exception):
    """The short version does not fit its page limit."""

    def __init__(self, path: Path, pages: int, max_pages: int):
        self.path, self.pages, self.max_pages = path, pages, max_pages
        super().__init__(self.describe(str(path)))

    def describe(self, where: str) -> str:
        over = self.pages - self.max_pages
        return (f"{where}: error: the short version has {self.pages} pages, "
                f"{over} page{'s' if over != 1 else ''} over its limit of {self.max_pages} "
                "(shorten summary.md or the key points, or raise short.max_pages in brief.yaml)")


class Collector:
    """Gathers problems so that one run reports all of them, not only the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: Path, message: str, line: int | None = None, hint: str = "") -> None:
        self.problems.append(Problem(path, message, line, hint, "error"))

    def warn(self, path: Path, message: str, line: int | None = None, hint: str = "") -> None:
        self.problems.append(Problem(path, message, line, hint, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ContentError(self.errors)
