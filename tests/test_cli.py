"""The brief command as a person uses it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO

BRIEF = [sys.executable, "-m", "pipeline.cli"]


def brief(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*BRIEF, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("command", ["build", "check", "new", "watch", "proof", "unlock"])
def test_every_command_has_help(command):
    result = brief(command, "--help")
    assert result.returncode == 0
    assert "usage: brief " + command in result.stdout


def test_check_reports_unknown_citation_with_file_line_and_id(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    section = tmp_path / "mini" / "sections" / "02-riders.md"
    section.write_text(section.read_text().replace("[@example-institute-2024]", "[@example-institut-2024]"))
    result = brief("check", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert ("mini/sections/02-riders.md:8: error: unknown citation id 'example-institut-2024' "
            "(did you mean 'example-institute-2024'?)") in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_reports_all_problems_of_all_briefs_and_warnings(tmp_path):
    for name in ("mini", "es-bib"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    (tmp_path / "mini" / "brief.yaml").write_text(
        (tmp_path / "mini" / "brief.yaml").read_text().replace("title:", "titel:", 1))
    (tmp_path / "es-bib" / "sections" / "03-empty.md").write_text("---\ntitle: Vacía\n---\n\n")
    started = time.perf_counter()
    result = brief("check", "--content-dir", str(tmp_path), cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "mini/brief.yaml:1: error: unknown key 'titel' in brief.yaml (did you mean 'title'?)" in lines
    assert "es-bib/sections/03-empty.md:4: error: the section's body is empty (write the section's text below the front matter, or delete the file)" in lines
    assert lines[-1] == "checked 2 briefs: 2 with errors, 2 errors, 0 warnings"
    assert elapsed < 5  # includes interpreter start; the check itself is well under a second


def test_check_is_fast_on_the_sample():
    from pipeline.cli import check_briefs
    from pipeline.folders import discover_briefs

    check_briefs(discover_briefs(REPO / "content"), layout=False)  # pandoc and caches warm
    started = time.perf_counter()
    good, errors, warnings = check_briefs(discover_briefs(REPO / "content"), layout=False)
    assert errors == 0 and good
    assert time.perf_counter() - started < 1.0


def test_check_finds_a_short_version_over_its_page_limit(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    summary = tmp_path / "mini" / "summary.md"
    summary.write_text(summary.read_text() + ("\n\nA long paragraph that repeats itself. " * 60 + "\n") * 6)
    result = brief("check", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"^mini/summary\.md: error: the short version has \d+ pages, \d+ pages? over its limit of 2 "
                     r"\(shorten summary\.md or the key points, or raise short\.max_pages in brief\.yaml\)$",
                     result.stdout, re.M), result.stdout


def test_build_says_what_a_brief_over_its_page_limit_published_all_the_same(tmp_path):
    """The long version and the web edition are published; the short files are not: the summary says so
    rather than claiming that every previous output is unchanged."""
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    summary = tmp_path / "content" / "mini" / "summary.md"
    summary.write_text(summary.read_text() + ("\n\nA long paragraph that repeats itself. " * 60 + "\n") * 6)
    result = brief("build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(tmp_path / "build"),
                   cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "brief: 1 brief failed: mini (their previous outputs are unchanged, but for what is said below)" in lines
    said = next(line for line in lines if line.startswith("brief: mini: published "))
    assert re.fullmatch(r"brief: mini: published \d+ files despite the error \(.*\); the files the error "
                        r"concerns are unchanged", said), said
    assert "mini-long.pdf" in said and "short" not in said.split("(")[1].split(")")[0].replace("short.html", "")
    assert (tmp_path / "build" / "mini" / "mini-long.pdf").is_file()
    assert not (tmp_path / "build" / "mini" / "mini-short.pdf").exists()


def test_new_scaffolds_a_valid_brief(tmp_path):
    result = brief("new", "water-policy", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "water-policy" / "brief.yaml").is_file()
    check = brief("check", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    again = brief("new", "water-policy", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = brief("new", "Bad_Name", "--content-dir", str(tmp_path), cwd=tmp_path)
    assert bad.returncode == 2 and "not a valid brief name" in bad.stderr


def test_build_shows_progress_and_a_table_then_nothing_to_do(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    args = ["build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(tmp_path / "build")]
    first = brief(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    # every output, the web edition's files one by one (pipeline/web.py), and manifest.json
    files = len(json.loads((tmp_path / "build" / "mini" / "manifest.json").read_text())["outputs"]) + 1
    assert f"[1/1] mini: {files} files written, 0 unchanged" in first.stdout
    assert re.search(rf"^built 1 brief in [\d.]+ s: {files} files written, 0 unchanged, in ", first.stdout, re.M)
    assert "Select jobs to execute" not in first.stdout + first.stderr  # Snakemake's noise only with --verbose
    assert (tmp_path / "build" / ".snakemake").is_dir()  # Snakemake's metadata lives with the build folder
    assert not (tmp_path / ".snakemake").exists()
    second = brief(*args, cwd=tmp_path)
    assert second.returncode == 0
    assert re.search(r"^nothing to do: every output is up to date \(1 brief, [\d.]+ s\)$", second.stdout, re.M)


def test_build_skips_a_broken_brief_and_fails(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "broken")
    (tmp_path / "content" / "broken" / "summary.md").write_text("   \n")
    result = brief("build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(tmp_path / "build"),
                   cwd=tmp_path)
    assert result.returncode == 1
    assert "  broken/summary.md:1: error: the executive summary is empty (write the summary in summary.md)\n" \
        in result.stderr
    assert "brief: 1 brief failed: broken (their previous outputs are unchanged)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert (tmp_path / "build" / "mini" / "mini-long.pdf").is_file()
    assert not (tmp_path / "build" / "broken" / "broken-long.pdf").exists()


def test_build_into_a_read_only_folder_says_so_in_one_line():
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="brief-readonly-"))
    tmp_path.chmod(0o755)  # readable by the unprivileged user the test runs the build as
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    build = tmp_path / "build"
    build.mkdir()
    build.chmod(0o555)
    try:
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *BRIEF, "build",
                                 "--content-dir", str(tmp_path / "content"), "--build-dir", str(build)],
                                capture_output=True, text=True, cwd=REPO) if os.geteuid() == 0 else \
            brief("build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(build))
    finally:
        build.chmod(0o755)
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"brief: {build}: error: cannot build there: ")
    assert "Traceback" not in result.stderr


def test_unlock_removes_a_stale_lock_and_build_clears_one_by_itself(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    build = tmp_path / "build"
    locks = build / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("/somewhere\n")  # as a killed Snakemake leaves it
    result = brief("unlock", "--build-dir", str(build))
    assert result.returncode == 0 and "removed a stale lock" in result.stdout
    assert not any(locks.iterdir())
    (locks / "0.output.lock").write_text("/somewhere\n")
    result = brief("build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(build))
    assert result.returncode == 0, result.stderr
    assert "removed a stale lock" in result.stderr


def test_a_second_build_of_the_same_folder_waits_for_the_first(tmp_path):
    from pipeline.buildlock import BuildLock

    shutil.copytree(FIXTURES / "mini", tmp_path / "content" / "mini")
    build = tmp_path / "build"
    lock = BuildLock(build)
    lock.acquire()  # as a running build holds it
    process = subprocess.Popen([*BRIEF, "build", "--content-dir", str(tmp_path / "content"), "--build-dir", str(build)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    time.sleep(3)
    assert process.poll() is None and not (build / "mini" / "manifest.json").exists()
    lock.release()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert f"brief: waiting for the build that is running in {build} (process {os.getpid()})" in err
    assert (build / "mini" / "manifest.json").is_file()


def test_proof_renders_pages(corpus, tmp_path):
    from conftest import SAMPLE

    result = brief("proof", SAMPLE, "--build-dir", str(corpus.build), "--dpi", "30")
    assert result.returncode == 0, result.stderr
    pngs = sorted((corpus.build / SAMPLE / "proof").glob("*.png"))
    assert len(pngs) >= 4
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_watch_rebuilds_on_save_and_reports_errors(tmp_path):
    content, build = tmp_path / "content", tmp_path / "build"
    shutil.copytree(FIXTURES / "mini", content / "mini")
    process = subprocess.Popen(
        [*BRIEF, "watch", "--content-dir", str(content), "--build-dir", str(build), "--debounce-ms", "200"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        pdf = build / "mini" / "mini-long.pdf"
        deadline = time.time() + 300
        while not (build / "mini" / "manifest.json").exists() and time.time() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.3)
        assert pdf.exists(), "the first build did not finish"
        first = pdf.stat().st_mtime_ns
        time.sleep(1)
        section = content / "mini" / "sections" / "02-riders.md"
        section.write_text(section.read_text().replace("barely moved", "hardly moved"))
        deadline = time.time() + 300
        # Snakemake removes a job's old outputs when the job starts: wait for the new file.
        while not (pdf.exists() and pdf.stat().st_mtime_ns != first and (build / "mini" / "manifest.json").exists()):
            assert time.time() < deadline, "no rebuild after the edit"
            time.sleep(0.3)
        # a content error is shown, and watching goes on
        time.sleep(2)
        section.write_text(section.read_text().replace("[@example-institute-2024]", "[@nope]"))
        time.sleep(8)
        assert process.poll() is None
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "change in mini: rebuilding" in output
    assert "rebuilt mini in" in output
    assert "error: unknown citation id 'nope'" in output
