"""The code's own style: the workflow passes Snakemake's linter and snakefmt, the Python passes ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_the_workflow_passes_snakemake_lint(tmp_path):
    result = _run(str(BIN / "snakemake"), "--lint", "--config", f"build_dir={tmp_path / 'build'}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_the_workflow_is_formatted_with_snakefmt():
    result = _run(str(BIN / "snakefmt"), "--check", "Snakefile", "rules/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_python_passes_ruff():
    result = _run(str(BIN / "ruff"), "check", "pipeline", "tests", "benchmarks", "templates", "scripts")
    assert result.returncode == 0, result.stdout[-4000:]
