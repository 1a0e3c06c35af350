"""Faults: builds killed at any moment, a full disk, outputs watched during a rebuild, an unlucky user.

The promises tested (issue 9, "nothing lost, ever" and "locks"): a killed or
failed build leaves every published output readable and byte-identical; no
process of a killed build goes on running (and writing); the next
``brief build`` succeeds, clearing a stale lock with a message; during an
ordinary rebuild every published output exists and is a whole file at every
moment.

One brief is built once for the module; each test edits it (so that a
rebuild has something to publish), starts a build as a user would, and
kills it (SIGKILL) at a chosen moment: as soon as Snakemake holds its lock,
while the brief's job runs, or right after the job has staged its first
output (build/<slug>/.work/stage/), before anything is published.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from briefmaker import SECTIONS, make_brief, section
from conftest import REPO

PYTHON = str(REPO / ".venv" / "bin" / "python")
SNAKEMAKE = str(REPO / ".venv" / "bin" / "snakemake")
SLUG = "ferry"
FINALS = [f"{SLUG}-{variant}.{fmt}" for variant in ("short", "long") for fmt in ("pdf", "docx", "epub")]
PUBLISHED = [*FINALS, "manifest.json"]
GRACE = 3  # seconds a killed build's processes may take to end
STALE_LOCK = "brief: removed a stale lock in {build} left by a build that was stopped"


# --- the site: one brief, built once ----------------------------------------------------------------

@dataclass
class Site:
    root: Path
    content: Path
    build: Path
    revision: int = 0

    def edit(self) -> None:
        """Change the brief so that every output changes."""
        self.revision += 1
        path = self.content / SLUG / "sections" / "02-options.md"
        path.write_text(section("Options", f"Keep the subsidy, or tender the routes (revision {self.revision}).\n",
                                key_point=f"Two options remain (revision {self.revision})."), encoding="utf-8")

    def command(self, runner: str) -> list[str]:
        if runner == "snakemake":
            return [SNAKEMAKE, "--cores", "2", "--config", f"content_dir={self.content}", f"build_dir={self.build}"]
        return [PYTHON, "-m", "pipeline.cli", "build", "--content-dir", str(self.content), "--build-dir",
                str(self.build)]

    def start(self, runner: str) -> tuple[subprocess.Popen, Path]:
        """Start a build; its console goes to files (a surviving orphan must not block a pipe)."""
        console = self.root / f"console-{self.revision}"
        console.mkdir(exist_ok=True)
        with open(console / "stdout", "w") as out, open(console / "stderr", "w") as err:
            return subprocess.Popen(self.command(runner), cwd=REPO, stdout=out, stderr=err), console

    def brief_build(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("brief"), cwd=REPO, capture_output=True, text=True, timeout=600)

    def snapshot(self) -> dict[str, tuple[str, int] | None]:
        """sha256 and modification time (ns) of every published file (None: missing)."""
        out = {}
        for name in PUBLISHED:
            path = self.build / SLUG / name
            out[name] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) \
                if path.is_file() else None
        return out

    def stale_locks(self) -> list[Path]:
        locks = self.build / ".snakemake" / "locks"
        return sorted(locks.iterdir()) if locks.is_dir() else []


def assert_consistent(site: Site) -> None:
    """Every published file is whole and manifest.json describes exactly the files beside it."""
    folder = site.build / SLUG
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["file"]: entry["sha256"] for entry in manifest["outputs"]}
    assert sorted(name for name in listed if "/" not in name) == sorted(FINALS)
    web = sorted(name for name in listed if "/" in name)  # the web edition, whole
    assert "web/index.html" in web and "web/short.html" in web
    for name in web:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == listed[name], f"{name} != manifest"
    for name in FINALS:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == listed[name], f"{name} != manifest"
        assert whole(folder / name) is None, name
    leftovers = [p.name for p in folder.iterdir() if p.is_file() and p.name not in PUBLISHED]
    assert leftovers == [], "temporary files left beside the outputs"


def whole(path: Path) -> str | None:
    """Why ``path`` is not a complete output file, or None if it is one (cheap: no full read)."""
    try:
        with open(path, "rb") as handle:
            if path.suffix == ".pdf":
                head = handle.read(5)
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - 1024))
                if head != b"%PDF-" or b"%%EOF" not in handle.read():
                    return "not a whole PDF"
            elif path.suffix in (".docx", ".epub"):
                with zipfile.ZipFile(handle) as archive:
                    if not archive.namelist():
                        return "an empty zip"
            else:
                json.loads(handle.read())
    except FileNotFoundError:
        return "missing"
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return f"unreadable: {exc}"
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("faults")
    site = Site(root, root / "content", root / "build")
    # A few sections more than the default, so that the job lasts long enough to be caught at each moment.
    sections = {**SECTIONS, **{f"0{n}-more.md": section(f"More {n}", "Ferries link the islands. " * 40 + "\n")
                               for n in range(3, 5)}}
    make_brief(site.content, SLUG, sections=sections)
    make_brief(site.content, "retired")
    result = site.brief_build()
    assert result.returncode == 0, result.stderr[-3000:]
    return site


# --- watching the processes of a build ---------------------------------------------------------------------

@dataclass
class ProcessWatch:
    """Every process that descends from ``root`` at any time, seen every 10 ms until stopped."""

    root: int
    seen: dict[int, tuple[float, str]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _add_tree(self, pid: int) -> None:
        try:
            process = psutil.Process(pid)
            family = [process, *process.children(recursive=True)]
        except psutil.Error:
            return
        for member in family:
            try:
                # the latest command line: a process seen between fork and exec still shows its parent's
                # (Snakemake's), and would never be found by what it runs
                self.seen[member.pid] = (member.create_time(), " ".join(member.cmdline()))
            except psutil.Error:
                continue

    def scan(self) -> None:
        self._add_tree(self.root)
        for pid in list(self.seen):  # orphans keep their own children
            if self.alive_one(pid):
                self._add_tree(pid)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.scan()
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def alive_one(self, pid: int) -> bool:
        try:
            process = psutil.Process(pid)
            return process.create_time() == self.seen[pid][0] and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def alive(self) -> dict[int, str]:
        return {pid: cmd for pid, (_, cmd) in self.seen.items() if pid != self.root and self.alive_one(pid)}

    def find(self, needle: str) -> int | None:
        for pid, (_, cmd) in list(self.seen.items()):
            if needle in cmd and self.alive_one(pid):
                return pid
        return None


def wait_for(condition, timeout: float, what: str, poll: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def staged(site: Site) -> list[Path]:
    stage = site.build / SLUG / ".work" / "stage"
    try:
        return [p for p in stage.iterdir() if p.name in FINALS]
    except FileNotFoundError:
        return []


MOMENTS = {
    "locked": "as soon as Snakemake holds its lock",
    "job": "while the brief's job runs",
    "staged": "right after the job staged its first output",
}


def wait_for_moment(site: Site, watch: ProcessWatch, moment: str) -> None:
    if moment == "locked":
        wait_for(site.stale_locks, 60, "Snakemake's lock")
    elif moment == "job":
        wait_for(lambda: watch.find("pipeline.job"), 60, "the job to start")
        time.sleep(0.3)
    else:
        wait_for(lambda: staged(site), 60, "a staged output")


# --- killed builds ---------------------------------------------------------------------------------------

SCENARIOS = [("brief", "brief", "locked"), ("brief", "brief", "job"), ("brief", "brief", "staged"),
             ("brief", "runner", "job"), ("brief", "runner", "staged"),
             ("snakemake", "snakemake", "job"), ("snakemake", "snakemake", "staged")]


@pytest.mark.parametrize(("runner", "target", "moment"), SCENARIOS,
                         ids=[f"kill-{target}-{moment}" for _, target, moment in SCENARIOS])
def test_a_killed_build_loses_nothing_and_the_next_build_succeeds(site, runner, target, moment):
    before = site.snapshot()
    assert all(before.values())
    site.edit()
    process, console = site.start(runner)
    watch = ProcessWatch(process.pid)
    try:
        wait_for_moment(site, watch, moment)
        victim = process.pid if target != "runner" else wait_for(lambda: watch.find("pipeline.runner"), 10,
                                                                   "the runner")
        watch.scan()
        os.kill(victim, signal.SIGKILL)
        process.wait(timeout=120)  # the victim, or brief build outliving its runner
        time.sleep(GRACE)  # the kernel's parent-death signals and SIGTERM handlers act within this
        watch.scan()
        survivors = watch.alive()
        # Let whatever survived finish (or kill it after a minute) before looking at the outputs, so that a
        # late write by an orphan is seen, and the next build is not disturbed.
        try:
            wait_for(lambda: not watch.alive(), 60, "the build's processes to end", poll=0.1)
        except AssertionError:
            pass
    finally:
        watch.stop()
        for pid in watch.alive():  # only processes this test started
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if process.poll() is None:
            process.kill()
            process.wait()
    out, err = ((console / name).read_text() for name in ("stdout", "stderr"))
    running = f"; still running {GRACE} s after the kill: {sorted(survivors.values())}" if survivors else ""
    changed = sorted(name for name in PUBLISHED if site.snapshot()[name] != before[name])
    assert changed == [], f"published files changed or disappeared after the kill{running}"
    assert survivors == {}, f"processes still running {GRACE} s after the kill: {sorted(survivors.values())}"
    if target == "runner":
        # brief build itself lives on: it says in one line that the build was stopped, and fails.
        assert process.returncode not in (0, None)
        lines = err.strip().splitlines()
        assert lines and re.match(r"brief: .*error: ", lines[-1]), err
        assert "Traceback" not in out + err
    locks = site.stale_locks()
    result = site.brief_build()
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    if locks:
        assert STALE_LOCK.format(build=site.build) in result.stderr.splitlines()
    after = site.snapshot()
    assert all(after[name] and after[name][0] != before[name][0] for name in PUBLISHED), "not rebuilt"
    assert_consistent(site)


# --- outputs never missing during a rebuild --------------------------------------------------------------

@pytest.mark.parametrize("runner", ["brief", "snakemake"])
def test_every_output_exists_and_is_whole_during_a_rebuild(site, runner):
    assert site.brief_build().returncode == 0  # start from a finished build
    before = site.snapshot()
    site.edit()
    problems: list[tuple[float, str, str]] = []
    polls = 0
    done = threading.Event()

    def poll():
        nonlocal polls
        started = time.monotonic()
        while not done.is_set():
            for name in PUBLISHED:
                why = whole(site.build / SLUG / name)
                if why:
                    problems.append((round(time.monotonic() - started, 3), name, why))
            polls += 1
            time.sleep(0.02)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        result = subprocess.run(site.command(runner), cwd=REPO, capture_output=True, text=True, timeout=600)
    finally:
        done.set()
        thread.join()
    assert result.returncode == 0, result.stderr[-3000:]
    after = site.snapshot()
    assert all(after[name][0] != before[name][0] for name in PUBLISHED), "the rebuild published nothing"
    assert polls > 50
    assert problems == [], f"{len(problems)} bad observations in {polls} polls, first: {problems[:5]}"
    assert_consistent(site)


# --- concurrent builds ---------------------------------------------------------------------------------------

def test_a_second_build_of_the_same_folder_waits_or_says_a_build_is_running(site):
    """The first build's job is paused (SIGSTOP) while the others start, so that it is surely running."""
    assert site.brief_build().returncode == 0  # start from a finished build
    site.edit()
    first, console = site.start("brief")
    watch = ProcessWatch(first.pid)
    job = None
    waiting = f"brief: waiting for the build that is running in {site.build} (process {first.pid})"
    try:
        job = wait_for(lambda: watch.find("pipeline.job"), 120, "the first build's job")
        os.kill(job, signal.SIGSTOP)
        snake = subprocess.run(site.command("snakemake"), cwd=REPO, capture_output=True, text=True, timeout=600)
        with open(site.root / "second-stderr", "w") as err:
            second = subprocess.Popen(site.command("brief"), cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        wait_for(lambda: waiting in (site.root / "second-stderr").read_text(), 60, "the second build to wait",
                 poll=0.1)
        assert second.poll() is None, "the second build did not wait"
        os.kill(job, signal.SIGCONT)
        first.wait(timeout=600)
        second.wait(timeout=600)
    finally:
        if job is not None:
            try:
                os.kill(job, signal.SIGCONT)
            except ProcessLookupError:
                pass
        watch.stop()
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert first.returncode == 0, (console / "stderr").read_text()
    assert second.returncode == 0, (site.root / "second-stderr").read_text()
    # Plain snakemake cannot wait: it must refuse, saying why, and leave the running build alone.
    assert snake.returncode == 1
    assert "Directory cannot be locked" in snake.stderr, snake.stderr[-2000:]
    assert "Traceback" not in snake.stderr
    assert_consistent(site)


# --- a full disk ---------------------------------------------------------------------------------------------

def test_a_full_disk_keeps_every_output_and_says_so_in_one_line(tmp_path):
    """The build folder on a small file system (tmpfs, needs root), filled up before a rebuild."""
    content, build = tmp_path / "content", tmp_path / "build"
    make_brief(content, SLUG)
    build.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(build)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, f"this test mounts a small tmpfs and needs root: {mounted.stderr}"
    try:
        site = Site(tmp_path, content, build)
        first = site.brief_build()
        assert first.returncode == 0, first.stderr[-3000:]
        before = site.snapshot()
        stats = os.statvfs(build)
        (build / "filler").write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 1_000_000))
        site.edit()
        result = site.brief_build()
        assert site.snapshot() == before, "a published file changed or disappeared"
        assert result.returncode == 1
        assert "Traceback" not in result.stdout + result.stderr
        lines = result.stderr.splitlines()
        assert any(re.fullmatch(r"  \S+: error: cannot write the outputs: No space left on device "
                                r"\(free some disk space and build again\)", line) for line in lines), lines
        (build / "filler").unlink()
        again = site.brief_build()
        assert again.returncode == 0, again.stderr[-3000:]
        assert_consistent(site)
    finally:
        subprocess.run(["umount", "-l", str(build)], capture_output=True)


# --- the unlucky user -------------------------------------------------------------------------------------------

def test_renaming_the_watched_brief_does_not_end_the_watch(tmp_path):
    content, build = tmp_path / "content", tmp_path / "build"
    make_brief(content, SLUG)
    process = subprocess.Popen([PYTHON, "-m", "pipeline.cli", "watch", SLUG, "--content-dir", str(content),
                                "--build-dir", str(build), "--debounce-ms", "200"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: (build / SLUG / "manifest.json").is_file(), 300, "the first build", poll=0.2)
        time.sleep(1)
        seen = len(lines)
        (content / SLUG).rename(content / f"{SLUG}-renamed")
        time.sleep(5)
        assert process.poll() is None, "the watch ended:\n" + "".join(lines[seen:])
        after = "".join(lines[seen:])
        assert f"{SLUG}: no such brief in {content} any more; still watching\n" in after, after
        assert "Traceback" not in after
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)


def test_a_removed_brief_is_reported_with_its_old_outputs(site):
    """Its outputs stay (nothing is deleted behind the user's back) but the build says they are orphans."""
    assert (site.build / "retired" / "manifest.json").is_file()
    shutil.rmtree(site.content / "retired")
    result = site.brief_build()
    assert result.returncode == 0, result.stderr[-3000:]
    assert (f"{site.build / 'retired'}: warning: no brief named 'retired' in {site.content} any more; its outputs "
            "are left as they were (delete the folder if the brief was removed or renamed)") \
        in result.stderr.splitlines(), result.stderr
    assert (site.build / "retired" / "retired-long.pdf").is_file()


def test_no_process_of_these_builds_is_left_running(site):
    """A last look: nothing started from this module's folders still runs."""
    left = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(str(site.root) in part for part in process.info["cmdline"] or []):
                left.append(" ".join(process.info["cmdline"]))
        except psutil.Error:
            continue
    assert left == []
