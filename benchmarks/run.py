"""Benchmark the workflow against the plain pandoc + weasyprint baseline.

Usage::

    python benchmarks/run.py            # full run (~15-20 min on 2 cores)
    python benchmarks/run.py --quick    # smaller corpora, a few minutes
    python benchmarks/run.py --no-profile --out /tmp/results.md

In one run, alternating between ours and the baseline (benchmarks/baseline.py)
so that a change in machine load hits both, it measures on ``--cores 2``:

- cold build of 1, 20 and 100 briefs (ours vs baseline);
- the repository's sample brief (its per-page time sets the big-brief target);
- rebuild after editing one section in the 100-brief corpus (ours);
- no-op rebuild of the 100-brief corpus (ours);
- the big brief (120 sections, 600 references), ours vs baseline;
- peak memory: the largest process of every measurement (``wait4`` rusage of
  the process tree), and per kind of process (Snakemake, each pipeline step,
  pandoc, weasyprint) by polling /proc.

It prints a table and the ratios against the targets of the issue, and writes
them with the machine description to ``benchmarks/results.md`` (a quick run to
``benchmarks/work/results-quick.md``), followed by the per-job profile of
``benchmarks/profile_steps.py`` unless ``--no-profile``.

The workflow is run from a snapshot of the project (everything but .git,
.venv, build/, tests/ and benchmarks/) copied into ``benchmarks/work/`` at the
start, so that edits made to the working tree during a run do not mix into
its figures; ``--in-place`` runs the working tree instead. Everything it
writes goes under ``benchmarks/work/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
sys.path.insert(0, str(HERE))

from make_corpus import make_big, make_brief  # noqa: E402

SAMPLE = "venezuela-security-forces-drug-routes"
TARGETS = {
    "cold20": 0.5,      # ours / baseline, wall time, 20 briefs
    "edit": 1.5,        # one-section edit in 100 briefs / single-brief cold build
    "noop": 3.0,        # seconds, no-op rebuild of 100 briefs
    "big": 2.0,         # big brief / (its pages x per-page time of the sample)
    "rss_mb": 300,      # peak RSS of any one process
}


# --------------------------------------------------------------------------
# Measuring one command: wall, CPU, peak RSS (exact) and peak RSS by kind (polled).

def _kind(cmdline: list[str]) -> str | None:
    """What a process of the build is, from its command line."""
    if not cmdline:
        return None
    joined = " ".join(cmdline)
    name = Path(cmdline[0]).name
    module = next((a for a in cmdline if a.startswith("pipeline.")), None)
    if module == "pipeline.worker":
        return "warm worker (and the steps it forks)"
    if module and "-m" in cmdline:
        rest = cmdline[cmdline.index(module) + 1:]
        step = next((a for a in rest if not a.startswith("-") and "/" not in a), "?")
        return f"step {step}"
    if "snakemake" in joined and "pipeline" not in joined:
        return "snakemake"
    if name == "pandoc":
        return "pandoc"
    if "weasyprint" in joined:
        return "weasyprint (command)"
    if "baseline.py" in joined:
        return "baseline.py"
    return None


class TreePoller(threading.Thread):
    """Samples the RSS of every descendant of ``root`` from /proc."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peaks: dict[str, int] = {}
        self.snakemake_cpu: dict[int, float] = {}   # pid -> last seen user+system seconds
        self.stop = threading.Event()
        self._kinds: dict[int, str | None] = {}

    def _children(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        return children

    def sample(self) -> None:
        children = self._children()
        todo, tree = [self.root], []
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        for pid in tree:
            try:
                if pid not in self._kinds:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
                    kind = _kind(argv)
                    if not argv:      # not exec'd yet: look again next time
                        continue
                    self._kinds[pid] = kind
                kind = self._kinds[pid]
                if kind is None:
                    continue
                with open(f"/proc/{pid}/status") as f:
                    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                if kind == "snakemake":
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    self.snakemake_cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, StopIteration, ValueError):
                continue
            self.peaks[kind] = max(self.peaks.get(kind, 0), rss)

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()


@dataclass
class Result:
    label: str
    who: str
    wall: float
    cpu: float
    maxrss_kb: int
    ok: bool
    peaks: dict[str, int] = field(default_factory=dict)
    load: float = 0.0
    note: str = ""
    snakemake_cpu: float = 0.0   # of Snakemake's own process(es), polled


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so that their CPU time and memory are counted.

    Snakemake may start helpers that outlive it (e.g. the warm step runner
    pipeline/worker.py): as a subreaper this process reaps them, and their
    rusage, with their own children's, lands in the measurement.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_leftovers(deadline: float) -> tuple[float, int]:
    """Reap descendants still running after the command; (their CPU, their max RSS)."""
    cpu, rss = 0.0, 0
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu, rss
        if pid == 0:
            if time.perf_counter() > deadline:
                return cpu, rss
            time.sleep(0.05)
            continue
        cpu += usage.ru_utime + usage.ru_stime
        rss = max(rss, usage.ru_maxrss)


def measure(label: str, who: str, command: list[str], *, cwd: Path, env: dict, log: Path) -> Result:
    """Run ``command``; wall time until it exits, CPU and peak RSS of its whole process tree."""
    _reap_leftovers(time.perf_counter())
    load = os.getloadavg()[0]
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu, maxrss, code = 0.0, 0, None
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        poller = TreePoller(proc.pid)
        poller.start()
        while code is None:
            pid, status, usage = os.wait4(-1, 0)
            cpu += usage.ru_utime + usage.ru_stime
            maxrss = max(maxrss, usage.ru_maxrss)
            if pid == proc.pid:
                code = os.waitstatus_to_exitcode(status)
                proc.returncode = code
        wall = time.perf_counter() - start
        poller.stop.set()
        poller.join()
        # Helpers that outlive the command (adopted as a subreaper) stop soon after it.
        extra_cpu, extra_rss = _reap_leftovers(time.perf_counter() + 10)
        cpu, maxrss = cpu + extra_cpu, max(maxrss, extra_rss)
    result = Result(label, who, wall, cpu, maxrss, code == 0, poller.peaks, load,
                    snakemake_cpu=sum(poller.snakemake_cpu.values()))
    if code != 0:
        result.note = f"exit {code}, see {log}"
    print(f"  {label:<28} {who:<8} {wall:8.2f} s wall {cpu:8.2f} s CPU "
          f"{maxrss / 1024:6.0f} MB  load {load:.1f}{'  FAILED ' + result.note if code else ''}",
          flush=True)
    return result


# --------------------------------------------------------------------------
# Set-up: snapshot of the project, corpora.

SNAPSHOT_SKIP = {".git", ".venv", ".tools", ".snakemake", ".pytest_cache", "build", "benchmarks", "tests"}


def snapshot(dest: Path) -> Path:
    """Copy the project (without .git, .venv, build, tests, benchmarks ...) to ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    ignore_inner = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(ignore_inner(folder, names))
        if Path(folder).resolve() == REPO:
            skipped |= SNAPSHOT_SKIP & set(names)
        return skipped

    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    return dest


def make_corpora(root: Path, sizes: list[int], big_sections: int, big_refs: int, seed: int) -> dict[str, Path]:
    if root.exists():
        shutil.rmtree(root)
    corpora: dict[str, Path] = {}
    master = root / "all"
    for i in range(1, max(sizes) + 1):
        make_brief(master, i, seed)
    for n in sizes:
        dest = root / f"briefs-{n}"
        dest.mkdir(parents=True)
        for i in range(1, n + 1):
            shutil.copytree(master / f"brief-{i:03d}", dest / f"brief-{i:03d}")
        corpora[f"briefs-{n}"] = dest
    shutil.rmtree(master)
    big = root / "big"
    if (big_sections, big_refs) == (120, 600):
        make_big(big, seed)
    else:
        import make_big_brief

        make_big_brief.make_big_brief(big, sections=big_sections, references=big_refs, seed=seed)
    corpora["big"] = big
    sample = root / "sample"
    sample.mkdir()
    shutil.copytree(REPO / "content" / SAMPLE, sample / SAMPLE)
    corpora["sample"] = sample
    return corpora


def pdf_pages(build: Path) -> int:
    """Pages of all PDFs under ``build`` (from manifest.json files, else pypdf)."""
    import json

    total = 0
    for manifest in build.glob("*/manifest.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        total += sum(o.get("pages", 0) for o in data["outputs"] if o.get("format") == "pdf")
    if total == 0:
        from pypdf import PdfReader

        total = sum(len(PdfReader(p).pages) for p in build.glob("*/*.pdf"))
    return total


def output_mtimes(build: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in build.glob("*/*") if p.is_file()}


def edit_section(brief: Path, n: int) -> Path:
    """Append a sentence to section ``n`` of ``brief``: a one-file edit."""
    section = sorted((brief / "sections").glob("*.md"))[n % 8]
    text = section.read_text(encoding="utf-8").rstrip("\n")
    section.write_text(text + f"\n\nAn edit made by the benchmark (round {n}) to rebuild this brief only.\n",
                       encoding="utf-8")
    return section


# --------------------------------------------------------------------------
# Machine description.

def machine_info() -> list[tuple[str, str]]:
    from importlib.metadata import version

    import pypandoc

    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
        except OSError:
            pass
        return "?"

    mem_kb = int(first("/proc/meminfo", "MemTotal").split()[0]) if first("/proc/meminfo", "MemTotal") != "?" else 0
    pandoc = subprocess.run([pypandoc.get_pandoc_path(), "--version"], capture_output=True, text=True).stdout.split()[1]
    import ctypes.util
    subsetter = "HarfBuzz (libharfbuzz-subset)" if ctypes.util.find_library("harfbuzz-subset") else "fontTools (slow)"
    return [
        ("date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("CPU", first("/proc/cpuinfo", "model name")),
        ("cores", f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable"),
        ("memory", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("OS", f"{first('/etc/os-release', 'PRETTY_NAME=').strip(chr(34))}, kernel {platform.release()}"),
        ("Python", platform.python_version()),
        ("Snakemake", version("snakemake")),
        ("WeasyPrint", version("weasyprint") + f", font subsetting by {subsetter}"),
        ("pandoc", f"{pandoc} (pypandoc-binary {version('pypandoc-binary')})"),
        ("PYTHONDONTWRITEBYTECODE", os.environ.get("PYTHONDONTWRITEBYTECODE", "(unset)")),
    ]


# --------------------------------------------------------------------------
# The run.

def run(args) -> int:
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    quick = args.quick
    sizes = [1, 5, 10] if quick else [1, 20, 100]
    big_sections, big_refs = (40, 200) if quick else (120, 600)
    repeat = args.repeat or (1 if quick else 3)
    out_md = args.out or (work / "results-quick.md" if quick else HERE / "results.md")

    subreaper = become_subreaper()
    load_start = os.getloadavg()
    started = time.perf_counter()
    print(f"benchmark: {'quick' if quick else 'full'} run, work folder {work}", flush=True)
    if args.in_place:
        project = REPO
        env = dict(os.environ)
    else:
        project = snapshot(work / "snapshot")
        env = dict(os.environ, PYTHONPATH=str(project) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        shutil.rmtree(project / ".snakemake", ignore_errors=True)
    corpora = make_corpora(work / "corpora", sizes, big_sections, big_refs, args.seed)
    builds = work / "builds"
    if builds.exists():
        shutil.rmtree(builds)
    logs = work / "logs"
    if logs.exists():
        shutil.rmtree(logs)

    def ours(label: str, corpus: str, build: str, fresh: bool = True) -> Result:
        dest = builds / build
        if fresh and dest.exists():
            shutil.rmtree(dest)
        command = [PYTHON, "-m", "snakemake", "--cores", "2", "--config",
                   f"content_dir={corpora[corpus]}", f"build_dir={dest}"]
        result = measure(label, "ours", command, cwd=project, env=env, log=logs / f"{build}-{label}.log")
        expected = len(list(corpora[corpus].iterdir()))
        if result.ok and len(list(dest.glob("*/manifest.json"))) != expected:
            result.ok, result.note = False, f"only {len(list(dest.glob('*/manifest.json')))} of {expected} manifests"
        return result

    def base(label: str, corpus: str, build: str) -> Result:
        dest = builds / build
        if dest.exists():
            shutil.rmtree(dest)
        command = [PYTHON, str(HERE / "baseline.py"), str(corpora[corpus]), str(dest), "--jobs", "2"]
        result = measure(label, "baseline", command, cwd=REPO, env=dict(os.environ), log=logs / f"{build}.log")
        expected = 2 * len(list(corpora[corpus].iterdir()))
        if result.ok and len(list(dest.glob("*/*.pdf"))) != expected:
            result.ok, result.note = False, "missing PDFs"
        return result

    results: dict[str, list[Result]] = {}

    def add(key: str, result: Result) -> Result:
        results.setdefault(key, []).append(result)
        return result

    small, mid, large = sizes
    # 1. Single brief and the sample, alternating, `repeat` times.
    for i in range(repeat):
        add("ours-1", ours(f"cold {small} brief", f"briefs-{small}", f"ours-{small}"))
        add("base-1", base(f"cold {small} brief", f"briefs-{small}", f"base-{small}"))
        add("ours-sample", ours("cold sample brief", "sample", "ours-sample"))
        if i == 0 and not results["ours-1"][0].ok:
            print("benchmark: the workflow fails on a single brief; stopping (see the log above)", file=sys.stderr)
            return 2
    sample_pages = pdf_pages(builds / "ours-sample")
    one_pages = pdf_pages(builds / f"ours-{small}")
    # 2. 20 briefs: ours first; 100 briefs: baseline first (drift hits both orders).
    add(f"ours-{mid}", ours(f"cold {mid} briefs", f"briefs-{mid}", f"ours-{mid}"))
    add(f"base-{mid}", base(f"cold {mid} briefs", f"briefs-{mid}", f"base-{mid}"))
    add(f"base-{large}", base(f"cold {large} briefs", f"briefs-{large}", f"base-{large}"))
    add(f"ours-{large}", ours(f"cold {large} briefs", f"briefs-{large}", f"ours-{large}"))
    # 3. Edits and no-op rebuilds of the large corpus.
    large_build = builds / f"ours-{large}"
    edits: list[tuple[Result, int, set[str]]] = []
    for i in range(repeat if not quick else 1):
        slug = f"brief-{large // 2 + i:03d}"
        before = output_mtimes(large_build)
        edit_section(corpora[f"briefs-{large}"] / slug, i)
        r = add("edit", ours(f"edit 1 section of {large}", f"briefs-{large}", f"ours-{large}", fresh=False))
        after = output_mtimes(large_build)
        changed = {p for p in after if before.get(p) != after[p]}
        edits.append((r, len(changed), {p.parent.name for p in changed}))
        add("noop", ours(f"no-op rebuild of {large}", f"briefs-{large}", f"ours-{large}", fresh=False))
    noop_log = (logs / f"ours-{large}-no-op rebuild of {large}.log").read_text(errors="replace")
    noop_says = "Nothing to be done" in noop_log
    # 4. The big brief.
    add("ours-big", ours("big brief", "big", "ours-big"))
    add("base-big", base("big brief", "big", "base-big"))
    big_pages = pdf_pages(builds / "ours-big")
    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()

    # ---- Report.
    def med(key: str, attr: str = "wall") -> float:
        """Median over the successful runs; over all runs if none succeeded (flagged as failed)."""
        runs = results.get(key, [])
        values = [getattr(r, attr) for r in runs if r.ok] or [getattr(r, attr) for r in runs]
        return statistics.median(values) if values else float("nan")

    def ok(key: str) -> bool:
        return all(r.ok for r in results.get(key, []))

    rows = [("cold build, 1 brief", "ours-1", "base-1"), ("cold build, sample brief", "ours-sample", None),
            (f"cold build, {mid} briefs", f"ours-{mid}", f"base-{mid}"),
            (f"cold build, {large} briefs", f"ours-{large}", f"base-{large}"),
            (f"one-section edit in {large} briefs", "edit", None), (f"no-op rebuild, {large} briefs", "noop", None),
            (f"big brief ({big_sections} sections, {big_refs} refs)", "ours-big", "base-big")]
    table = ["| measurement | ours wall s | ours CPU s | of which Snakemake's own process | baseline wall s "
             "| baseline CPU s | ours/baseline (wall) | ours/baseline (CPU) | ours peak RSS MB | runs |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, mine, theirs in rows:
        b_wall = med(theirs) if theirs else None
        ratio = f"{med(mine) / b_wall:.2f}x" if theirs else "-"
        cpu_ratio = f"{med(mine, 'cpu') / med(theirs, 'cpu'):.2f}x" if theirs else "-"
        peak = max((r.maxrss_kb for r in results.get(mine, [])), default=0) / 1024
        fails = "" if ok(mine) and (not theirs or ok(theirs)) else " **(failed)**"
        table.append(f"| {name}{fails} | {med(mine):.2f} | {med(mine, 'cpu'):.2f} | {med(mine, 'snakemake_cpu'):.2f} | "
                     + (f"{b_wall:.2f} | {med(theirs, 'cpu'):.2f}" if theirs else "- | -")
                     + f" | {ratio} | {cpu_ratio} | {peak:.0f} | {len(results.get(mine, []))} |")

    per_page = med("ours-sample") / sample_pages if sample_pages else float("nan")
    big_target = TARGETS["big"] * big_pages * per_page
    all_results = [r for rs in results.values() for r in rs]
    ours_results = [r for r in all_results if r.who == "ours"]
    peak_all = max(r.maxrss_kb for r in ours_results) / 1024
    kinds: dict[tuple[str, str], int] = {}
    for r in all_results:
        for kind, kb in r.peaks.items():
            kinds[(r.who, kind)] = max(kinds.get((r.who, kind), 0), kb)

    def verdict(good: bool) -> str:
        return "**met**" if good else "**missed**"

    cold_ratio = med(f"ours-{mid}") / med(f"base-{mid}")
    edit_ratio = med("edit") / med("ours-1")
    target_rows = [
        "| target | measured | limit | |", "|---|---:|---:|---|",
        f"| cold build of {mid} briefs, ours / baseline (wall) | {cold_ratio:.2f}x "
        f"(CPU: {med(f'ours-{mid}', 'cpu') / med(f'base-{mid}', 'cpu'):.2f}x) | "
        f"{TARGETS['cold20']}x | {verdict(cold_ratio <= TARGETS['cold20'])} |",
        f"| one-section edit in {large} briefs / cold build of 1 brief | {edit_ratio:.2f}x "
        f"({med('edit'):.1f} s / {med('ours-1'):.1f} s) | {TARGETS['edit']}x | {verdict(edit_ratio <= TARGETS['edit'])} |",
        f"| no-op rebuild of {large} briefs | {med('noop'):.2f} s | < {TARGETS['noop']:.0f} s | "
        f"{verdict(med('noop') < TARGETS['noop'])} |",
        f"| big brief: time / ({big_pages} pages x {per_page:.2f} s per page of the sample) | "
        f"{med('ours-big') / (big_pages * per_page):.2f}x ({med('ours-big'):.1f} s vs {big_pages * per_page:.1f} s) | "
        f"{TARGETS['big']}x | {verdict(med('ours-big') <= big_target)} |",
        f"| peak RSS of the largest process (ours) | {peak_all:.0f} MB | < {TARGETS['rss_mb']} MB | "
        f"{verdict(peak_all < TARGETS['rss_mb'])} |",
    ]
    per_brief_ours = med(f"ours-{mid}", "cpu") / mid
    per_brief_base = med(f"base-{mid}", "cpu") / mid
    why_rows = [
        f"Cold builds: ours spends {per_brief_ours:.2f} CPU-s per brief ({med(f'ours-{mid}', 'snakemake_cpu') / mid:.2f} "
        f"of it in Snakemake's own process), the baseline {per_brief_base:.2f}. A wall time of "
        f"{TARGETS['cold20']}x the baseline's on the same 2 cores would need about "
        f"{TARGETS['cold20'] * per_brief_base:.2f} CPU-s per brief. The profile below shows the floor: the same "
        "steps in one warm process, with every start-up cost gone, still take the time given under \"one warm "
        "process\" (pandoc runs, WeasyPrint layout and PDF writing of two PDFs, and the checks and post-processing "
        "the baseline does not do: validation, native endnotes, accessible EPUB, manifest). Amortising start-up "
        "cannot reach the target; it needs less work per output.",
        "",
        f"Peak memory: the largest process is the layout of the biggest PDF ({big_pages} pages of the big brief "
        "in total); WeasyPrint keeps the whole laid-out document in memory, about 1.7 MB per page.",
    ]
    kind_rows = ["| run | process | peak RSS MB (polled every 0.2 s) |", "|---|---|---:|"]
    kind_rows += [f"| {who} | {k} | {v / 1024:.0f} |" for (who, k), v in sorted(kinds.items(), key=lambda kv: -kv[1])]
    edit_rows = [f"- edit round {i + 1}: {r.wall:.2f} s, {n} files rewritten, in {', '.join(sorted(s)) or 'none'}"
                 for i, (r, n, s) in enumerate(edits)]

    sections = [
        f"# Benchmark results{' (quick run)' if quick else ''}",
        "",
        f"Written by `benchmarks/run.py{' --quick' if quick else ''}` in {elapsed / 60:.1f} min. "
        "Both sides on 2 cores: ours is `snakemake --cores 2`, the baseline "
        "(`benchmarks/baseline.py`) runs pandoc --citeproc to DOCX, EPUB and HTML and the `weasyprint` "
        "command, one process per output, two at a time, for both variants of every brief. "
        "Wall times are medians where a measurement ran more than once; CPU is user+system time of the "
        "whole process tree. Measurements alternate between ours and the baseline.",
        "",
        "## Machine",
        "",
        "| | |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine_info()],
        f"| load average at start / end | {load_start[0]:.2f} / {load_end[0]:.2f} (1 min) |",
        f"| CPU of helpers that outlive Snakemake counted | {'yes (subreaper)' if subreaper else 'no'} |",
        "",
        "## Results",
        "",
        *table,
        "",
        f"Pages: sample brief {sample_pages} (short + long PDF), corpus brief {one_pages}, big brief {big_pages}.",
        f"No-op rebuild says \"Nothing to be done\": {'yes' if noop_says else 'NO'}.",
        *edit_rows,
        "",
        "## Targets",
        "",
        *target_rows,
        "",
        "### Why a target is missed",
        "",
        *why_rows,
        "",
        "## Peak memory by process",
        "",
        *kind_rows,
        "",
        "## Every measurement",
        "",
        "| measurement | who | wall s | CPU s | Snakemake process CPU s | peak RSS MB | 1-min load before | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        *[f"| {r.label} | {r.who} | {r.wall:.2f} | {r.cpu:.2f} | {r.snakemake_cpu:.2f} | {r.maxrss_kb / 1024:.0f} | "
          f"{r.load:.2f} | {r.note or ('' if r.ok else 'failed')} |" for r in all_results],
        "",
    ]
    report = "\n".join(sections)
    print()
    print(report)
    if args.profile:
        print("profiling one brief's jobs ...", flush=True)
        sys.path.insert(0, str(HERE))
        from profile_steps import profile

        old_cwd = Path.cwd()
        try:
            profile_md = profile(None, repeat=3 if not quick else 1, project=project, env=env)
        finally:
            os.chdir(old_cwd)
        print(profile_md)
        report += "\n## Per-job profile (benchmarks/profile_steps.py)\n\n" + profile_md
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(report, encoding="utf-8")
    print(f"benchmark: written {out_md}")
    return 0 if all(r.ok for r in all_results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/5/10 briefs and a 40-section big brief")
    parser.add_argument("--repeat", type=int, help="runs of the single-brief and rebuild measurements "
                                                   "(default 3, quick 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "work", help="scratch folder (default benchmarks/work)")
    parser.add_argument("--out", type=Path, help="results file (default benchmarks/results.md; "
                                                  "quick: benchmarks/work/results-quick.md)")
    parser.add_argument("--in-place", action="store_true", help="run the working tree, not a snapshot of it")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip the per-job profile")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
