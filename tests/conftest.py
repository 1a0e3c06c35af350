"""Shared fixtures: one Snakemake build of the sample and the fixture briefs.

Building is the slow part (WeasyPrint, pandoc), so the corpus is built once
per test session into a temporary folder and every end-to-end test reads the
outputs from there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# The references index cache of the tests stays out of the user's ~/.cache.
os.environ.setdefault("BRIEF_CACHE_DIR", tempfile.mkdtemp(prefix="brief-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "content"
SAMPLE = "venezuela-security-forces-drug-routes"
# The fixture briefs of tests/fixtures/content that the corpus builds (see copy_corpus).
FIXTURE_BRIEFS = ["mini", "es-bib", "footnotes", "chicago", "ieee-bib", "stress", "arabic", "chinese", "japanese",
                  "russian", "publication"]
# Every brief of the corpus: the sample, the fixtures and a generated big brief.
CORPUS_BRIEFS = [SAMPLE, *FIXTURE_BRIEFS, "big"]


@dataclass
class Corpus:
    content: Path
    build: Path
    result: subprocess.CompletedProcess

    def outputs(self, slug: str) -> Path:
        return self.build / slug

    def file(self, slug: str, variant: str, fmt: str) -> Path:
        return self.build / slug / f"{slug}-{variant}.{fmt}"


def run_snakemake(content: Path, build: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the workflow as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", "--config", f"content_dir={content}",
         f"build_dir={build}", *extra],
        cwd=REPO, capture_output=True, text=True, env=env,
    )


def copy_corpus(dest: Path) -> Path:
    """The sample, the fixture briefs and a generated big brief."""
    sys.path.insert(0, str(REPO / "tests" / "fixtures"))
    from make_big_brief import make_big_brief

    dest.mkdir(parents=True)
    shutil.copytree(REPO / "content" / SAMPLE, dest / SAMPLE)
    for name in FIXTURE_BRIEFS:
        shutil.copytree(FIXTURES / name, dest / name)
    # the themes of the sample and of the fixtures
    shutil.copytree(REPO / "content" / "_themes", dest / "_themes")
    shutil.copytree(FIXTURES / "_themes", dest / "_themes", dirs_exist_ok=True)
    make_big_brief(dest)
    return dest


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    content = copy_corpus(root / "content")
    build = root / "build"
    result = run_snakemake(content, build)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Corpus(content, build, result)


@pytest.fixture(scope="session")
def session():
    """One pandoc coprocess for the unit tests that read Markdown."""
    from pipeline.pandoc import PandocSession

    with PandocSession() as pandoc:
        yield pandoc
