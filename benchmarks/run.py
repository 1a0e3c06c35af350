"""Benchmark the pipeline against the plain way (pandoc --citeproc + the weasyprint command).

Usage::

    python benchmarks/run.py             # full run, writes benchmarks/results.md (about 85 min on 2 cores)
    python benchmarks/run.py --quick     # 10-15 min, writes benchmarks/work/results-quick.md
    python benchmarks/run.py --no-profile --out /tmp/results.md
    python benchmarks/run.py --only rebuild   # (c) and (d) alone, about 45 min: benchmarks/work/results-rebuild.md
    python benchmarks/run.py --cold 2 --touch 5,10 --rebuild 4 --big 6,30 --repeat 1 --out /tmp/dry.md
                                         # hidden sizes: the full run's code paths in about 2 minutes

Every measure runs ours and the plain way (benchmarks/baseline.py, the same six
files per brief, two processes at a time) in the same run, alternating
between them and changing which goes first, ``--repeat`` times; the report
gives medians and ratios. Each run records wall time, the CPU time of its whole
process tree (``wait4``: the process and every descendant it waited for), the
peak RSS of its largest single process (the same rusage), the CPU of
Snakemake's own process (polled), and the peak RSS of each kind of process
(the tree sampled with psutil every 50 ms).

Measures (full run / ``--quick``):

a. cold build of 20, 100 and 400 briefs with ``brief build`` / the plain way
   (quick: 20); target <= 0.8; also the 20 briefs with the cache an earlier
   build leaves (the warm-up's: the font subsets every Latin brief shares);
b. Snakemake's own CPU per brief, the "touch experiment": the workflow with
   the ``brief`` rule's command replaced by ``touch {output.marker}`` (inputs,
   params and resources unchanged), ``snakemake --cores 2`` with the
   project's profile (greedy, scheduler-subsample 8) on a cold build folder,
   CPU of the Snakemake process only (benchmarks/smk_self.py), at 100, 400
   and 1,000 briefs (quick: 100 and 400); also through the API as
   ``brief build`` drives it (pipeline.runner); target: per-brief CPU at the
   largest size <= 1.2 x at 100;
c. no-op rebuild of 1,000 briefs (quick: 100) with ``brief build`` (target
   < 5 s) and with plain ``snakemake --cores 2``;
d. one-section edit in the 1,000 briefs (quick: 100) / cold build of that one
   brief alone, both with ``brief build``; target <= 1.5;
e. the big brief (120 sections, 600 references) / the plain way (target <=
   1.0) and the peak RSS of its largest process (target < 300 MB), with the
   cache of the warm-up build (the house faces' subsets are cut once per
   machine; the cold rows of (a) include that).

Where a target is missed the report adds what explains it: the time split and
cProfile of one job (benchmarks/profile_steps.py; of the big brief too if
(e) is missed), the plain way's commands for the same brief, and cProfile of
Snakemake for (b) and (c).

The project is run from a snapshot (everything but .git, .venv, build/,
tests/, benchmarks/) copied into ``benchmarks/work/`` at the start, so that
edits made to the working tree during a run do not mix into its figures
(``--in-place`` runs the working tree). Everything it writes goes under
``benchmarks/work/`` (ignored by git), except the full run's results.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
sys.path.insert(0, str(HERE))

from make_corpus import brief_stats, describe, make_big, make_brief  # noqa: E402

MEASURES = ("cold", "touch", "rebuild", "big")  # (a), (b), (c) and (d), (e); in the order they run
TARGETS = {"cold": 0.8, "touch": 1.2, "noop": 5.0, "edit": 1.5, "big": 1.0, "rss_mb": 300}
FULL = {"cold": [20, 100, 400], "touch": [100, 400, 1000], "rebuild": 1000, "big": (120, 600),
        "repeat": {"cold": {20: 3, 100: 1, 400: 1}, "touch": 3, "rebuild": 3, "big": 3, "profile": 3}}
QUICK = {"cold": [20], "touch": [100, 400], "rebuild": 100, "big": (120, 600),
         "repeat": {"cold": {20: 2}, "touch": 2, "rebuild": 3, "big": 1, "profile": 1}}
SAMPLE_INTERVAL = 0.05


# --------------------------------------------------------------------------
# Measuring one command.

def kind_of(cmdline: list[str]) -> str | None:
    """What a process of a build is, from its command line (None: not worth a line, e.g. a shell)."""
    if not cmdline:
        return None
    joined = " ".join(cmdline)
    name = Path(cmdline[0]).name
    # A console script runs as `python3 .venv/bin/NAME ...`: its name is the second word.
    script = Path(cmdline[1]).name if name.startswith("python") and len(cmdline) > 1 else name
    if "pipeline.runner" in joined or ("smk_self.py" in joined and "--runner" in cmdline):
        return "Snakemake (API, pipeline.runner)"
    if "pipeline.job" in joined:
        return "job (pipeline.job: validation, pandoc session, WeasyPrint)"
    if "pipeline.refuse" in joined:
        return "job (pipeline.refuse)"
    if script == "brief" or "pipeline.cli" in joined:
        return "brief (command line)"
    if "smk_self.py" in joined or script == "snakemake" or "-m snakemake" in joined:
        return "Snakemake (command line)"
    if name == "pandoc":
        return "pandoc (session coprocess)" if "lua" in cmdline else "pandoc"
    if script == "weasyprint":
        return "weasyprint (command)"
    if script == "baseline.py":
        return "baseline.py (gluing, running the commands)"
    if name in ("gcc", "cc", "collect2", "ld", "ldconfig", "ldconfig.real"):
        return "gcc, ld, ldconfig (ctypes.util.find_library, run when cffi loads WeasyPrint's libraries)"
    if name in ("sh", "bash", "touch"):
        return None
    return name


SNAKEMAKE_KINDS = ("Snakemake (API, pipeline.runner)", "Snakemake (command line)")


class TreeSampler(threading.Thread):
    """Samples the process tree under ``root``: peak RSS per kind, CPU of Snakemake's own process."""

    def __init__(self, root: int, interval: float = SAMPLE_INTERVAL):
        super().__init__(daemon=True)
        self.root = psutil.Process(root)
        self.interval = interval
        self.peaks: dict[str, int] = {}            # kind -> KB
        self.snakemake_cpu: dict[int, float] = {}  # pid -> user+system s (own, children excluded), last seen
        self.stop_event = threading.Event()
        self.cpu = 0.0                             # this thread's own CPU (what the sampling costs)

    def sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        for proc in procs:
            try:
                with proc.oneshot():
                    kind = kind_of(proc.cmdline())
                    if kind is None:
                        continue
                    rss = proc.memory_info().rss // 1024
                    if kind in SNAKEMAKE_KINDS:
                        times = proc.cpu_times()
                        self.snakemake_cpu[proc.pid] = times.user + times.system
            except psutil.Error:
                continue
            self.peaks[kind] = max(self.peaks.get(kind, 0), rss)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()
        self.cpu = time.thread_time()


@dataclass
class Run:
    measure: str
    label: str
    who: str
    wall: float
    cpu: float
    maxrss_kb: int
    ok: bool
    snakemake_cpu: float = 0.0
    peaks: dict[str, int] = field(default_factory=dict)
    load: float = 0.0
    note: str = ""
    sampler_cpu: float = 0.0
    log: Path | None = None


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so that a helper outliving its parent is still counted."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_leftovers(deadline: float) -> tuple[float, int]:
    """Reap adopted descendants still running after the command; (their CPU, their max RSS)."""
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


def measure(measure_key: str, label: str, who: str, command: list[str], *, cwd: Path, env: dict,
            log: Path) -> Run:
    """Run ``command``: wall time until it exits, CPU and largest process of its whole tree."""
    _reap_leftovers(time.perf_counter())
    load = os.getloadavg()[0]
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu, maxrss, code = 0.0, 0, None
    with open(log, "wb") as out:
        out.write(("$ " + " ".join(map(str, command)) + "\n").encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        while code is None:
            pid, status, usage = os.wait4(-1, 0)
            cpu += usage.ru_utime + usage.ru_stime
            maxrss = max(maxrss, usage.ru_maxrss)
            if pid == proc.pid:
                code = os.waitstatus_to_exitcode(status)
                proc.returncode = code
        wall = time.perf_counter() - start
        sampler.stop_event.set()
        sampler.join()
        extra_cpu, extra_rss = _reap_leftovers(time.perf_counter() + 10)
    run = Run(measure_key, label, who, wall, cpu + extra_cpu, max(maxrss, extra_rss), code == 0,
              snakemake_cpu=sum(sampler.snakemake_cpu.values()), peaks=sampler.peaks, load=load,
              sampler_cpu=sampler.cpu, log=log)
    if code != 0:
        run.note = f"exit {code}, see {log}"
    print(f"  {label:<34} {who:<16} {wall:8.2f} s wall {run.cpu:8.2f} s CPU {run.maxrss_kb / 1024:6.0f} MB"
          f"  load {load:.1f}{'  FAILED ' + run.note if code else ''}", flush=True)
    return run


# --------------------------------------------------------------------------
# Set-up: snapshot of the project, corpora, the touch workflow.

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


def make_corpora(root: Path, sizes: set[int], rebuild: int, big: tuple[int, int], seed: int) -> dict[str, Path]:
    """``briefs-N`` (read only), ``rebuild-N`` (edited by the run) and ``big`` under ``root``."""
    if root.exists():
        shutil.rmtree(root)
    master = root / "master"
    for i in range(1, max([*sizes, rebuild]) + 1):
        make_brief(master, i, seed)
    corpora: dict[str, Path] = {}
    for name, n in [*((f"briefs-{n}", n) for n in sorted(sizes)), (f"rebuild-{rebuild}", rebuild)]:
        dest = root / name
        dest.mkdir(parents=True)
        for i in range(1, n + 1):
            shutil.copytree(master / f"brief-{i:04d}", dest / f"brief-{i:04d}")
        corpora[name] = dest
    shutil.rmtree(master)
    big_dir = root / "big"
    if big == (120, 600):
        make_big(big_dir, seed)
    else:
        import make_big_brief

        make_big_brief.make_big_brief(big_dir, sections=big[0], references=big[1], seed=seed)
    corpora["big"] = big_dir
    return corpora


def touch_rules(text: str) -> str:
    """rules/brief.smk with the ``brief`` rule's shell command replaced by ``touch {output.marker}``."""
    lines = text.splitlines(keepends=True)
    out, in_rule, replaced, skipping = [], False, False, False
    for line in lines:
        stripped = line.strip()
        if line.startswith("rule "):
            in_rule = stripped == "rule brief:"
            skipping = False
        if skipping:
            if line.startswith("        ") or not stripped:
                if not stripped:
                    skipping = False
                    out.append(line)
                continue
            skipping = False
        if in_rule and line.startswith("    ") and stripped == "shell:":
            out.append(line)
            out.append('        "touch {output.marker:q}"\n')
            replaced, skipping = True, True
            continue
        out.append(line)
    if not replaced:
        raise RuntimeError("rules/brief.smk: no `shell:` in `rule brief:`; the touch experiment needs updating")
    return "".join(out)


def touch_workflow(project: Path, dest: Path) -> Path:
    """A copy of the workflow whose jobs only touch their marker; return its Snakefile."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy2(project / "Snakefile", dest / "Snakefile")
    shutil.copytree(project / "rules", dest / "rules")
    shutil.copytree(project / "profiles", dest / "profiles")
    brief_smk = dest / "rules" / "brief.smk"
    brief_smk.write_text(touch_rules(brief_smk.read_text(encoding="utf-8")), encoding="utf-8")
    # The rules read the templates and the pipeline's code (their digests are parameters) next to the Snakefile.
    for name in ("templates", "pipeline", "envs"):
        if (project / name).exists():
            (dest / name).symlink_to(project / name)
    return dest / "Snakefile"


def published_mtimes(build: Path) -> dict[Path, int]:
    """Modification times of the published files (not .work/, not Snakemake's metadata)."""
    return {p: p.stat().st_mtime_ns for p in build.glob("brief-*/*") if p.is_file()}


def built_briefs(log: Path) -> list[str]:
    """The briefs `brief build` says it built ("[k/N] slug: ... written")."""
    found = re.findall(r"^\[\d+/[\d?]+\] (\S+): ", log.read_text(errors="replace"), flags=re.M)
    return sorted(found)


def edit_section(brief: Path, n: int) -> Path:
    """Append a sentence to one section of ``brief``: a one-file edit."""
    sections = sorted((brief / "sections").glob("*.md"))
    section = sections[n % len(sections)]
    text = section.read_text(encoding="utf-8").rstrip("\n")
    section.write_text(text + f"\n\nAn edit made by the benchmark (round {n + 1}) to rebuild this brief only.\n",
                       encoding="utf-8")
    return section


def pdf_pages(build: Path) -> int:
    total = 0
    for manifest in build.glob("*/manifest.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        total += sum(o.get("pages", 0) for o in data["outputs"] if o.get("format") == "pdf")
    return total


# --------------------------------------------------------------------------
# Machine description.

def machine_info() -> list[tuple[str, str]]:
    import ctypes.util
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

    mem = first("/proc/meminfo", "MemTotal")
    mem_gib = int(mem.split()[0]) / 1024 / 1024 if mem != "?" else 0
    pandoc = subprocess.run([pypandoc.get_pandoc_path(), "--version"], capture_output=True, text=True).stdout.split()[1]
    subsetter = "HarfBuzz (libharfbuzz-subset)" if ctypes.util.find_library("harfbuzz-subset") else "fontTools (slow)"
    return [
        ("date (UTC)", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")),
        ("CPU", first("/proc/cpuinfo", "model name")),
        ("cores", f"{os.cpu_count()} logical, {len(os.sched_getaffinity(0))} usable"),
        ("memory", f"{mem_gib:.1f} GiB"),
        ("OS", f"{first('/etc/os-release', 'PRETTY_NAME=').strip(chr(34))}, kernel {platform.release()}"),
        ("Python", platform.python_version()),
        ("pandoc", f"{pandoc} (pypandoc-binary {version('pypandoc-binary')})"),
        ("WeasyPrint", version("weasyprint") + f", font subsetting by {subsetter}"),
        ("font subsets of the EPUB, DOCX and web edition", f"uharfbuzz {version('uharfbuzz')}; WOFF2 by fontTools "
         f"{version('fonttools')} with Brotli"),
        ("Snakemake", version("snakemake")),
        ("psutil (sampling)", version("psutil")),
        ("PYTHONDONTWRITEBYTECODE", os.environ.get("PYTHONDONTWRITEBYTECODE", "(unset)")),
    ]


# --------------------------------------------------------------------------
# Snakemake's own CPU, exactly (benchmarks/smk_self.py).

def smk_self(measure_key: str, label: str, who: str, target: list[str], *, cwd: Path, env: dict, log: Path,
             result: Path, cprofile: Path | None = None) -> tuple[Run, dict]:
    """Run Snakemake (``target``: its CLI arguments after ``--``, or ``--runner REQUEST``) through smk_self.py."""
    command = [PYTHON, str(HERE / "smk_self.py"), str(result)]
    if cprofile:
        command += ["--cprofile", str(cprofile)]
    run = measure(measure_key, label, who, [*command, *target], cwd=cwd, env=env, log=log)
    try:
        figures = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        figures = {"self_cpu": float("nan"), "children_cpu": float("nan")}
        run.ok, run.note = False, f"no result from smk_self.py, see {log}"
    run.snakemake_cpu = figures["self_cpu"]
    return run, figures


def snakemake_hotspots(stats_path: Path, top: int = 14) -> list[str]:
    """Markdown rows: Snakemake's functions by cumulative time in a cProfile of a run."""
    raw = pstats.Stats(str(stats_path)).stats
    rows = []
    for (filename, line, func), (_, nc, tottime, cumtime, _) in raw.items():
        if "/snakemake/" in filename or "/snakemake_interface" in filename or "/pipeline/" in filename:
            short = filename.split("/site-packages/")[-1] if "/site-packages/" in filename else \
                "pipeline/" + filename.split("/pipeline/")[-1]
            rows.append((cumtime, tottime, nc, f"{short}:{line} {func}"))
    rows.sort(reverse=True)
    out = ["| function | calls | self s | cumulative s |", "|---|---:|---:|---:|"]
    # Entry points and module bodies (imports) span the whole run or only start-up: leave them out.
    skip = (" main", " _run", " runcall", " <module>")
    for cumtime, tottime, calls, name in [row for row in rows if not row[3].endswith(skip)][:top]:
        out.append(f"| `{name}` | {calls} | {tottime:.2f} | {cumtime:.2f} |")
    return out


# --------------------------------------------------------------------------
# The run.

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        spec = QUICK if args.quick else FULL
        self.cold = args.cold or spec["cold"]
        self.touch = args.touch or spec["touch"]
        self.rebuild = args.rebuild or spec["rebuild"]
        self.big = tuple(args.big) if args.big else spec["big"]
        rep = spec["repeat"]
        self.repeat_cold = {n: args.repeat or rep["cold"].get(n, 2) for n in self.cold}
        self.repeat = {k: args.repeat or rep[k] for k in ("touch", "rebuild", "big", "profile")}
        self.work = args.work.resolve()
        self.selected = set(args.only or MEASURES)
        self.edits: list = []
        self.runs: list[Run] = []
        self.figures: dict = {}
        self.profiles: list[str] = []

    # -- commands
    def ours(self, key: str, label: str, corpus: Path, build: Path, fresh: bool = True, expect: int | None = None,
             cache: Path | None = None):
        """``brief build``; a fresh build also starts with an empty reference cache unless ``cache`` is given."""
        if fresh and build.exists():
            shutil.rmtree(build)
        if cache is None:
            cache = self.work / "cache" / f"{key}-{len(self.runs)}"
            shutil.rmtree(cache, ignore_errors=True)
        env = dict(self.env, BRIEF_CACHE_DIR=str(cache))
        run = measure(key, label, "ours", [*self.brief, "build", "--content-dir", str(corpus), "--build-dir",
                                           str(build)], cwd=self.project, env=env,
                      log=self.logs / f"{key}-{len(self.runs)}.log")
        expected = len([p for p in corpus.iterdir() if p.is_dir()]) if expect is None else expect
        found = len(list(build.glob("*/manifest.json")))
        if run.ok and found != expected:
            run.ok, run.note = False, f"{found} of {expected} manifests"
        self.runs.append(run)
        return run

    def plain(self, key: str, label: str, corpus: Path, out: Path):
        if out.exists():
            shutil.rmtree(out)
        run = measure(key, label, "plain", [PYTHON, str(HERE / "baseline.py"), str(corpus), str(out), "--jobs", "2"],
                      cwd=REPO, env=self.plain_env, log=self.logs / f"{key}-{len(self.runs)}.log")
        expected = 2 * len([p for p in corpus.iterdir() if p.is_dir()])
        found = len(list(out.glob("*/*.pdf")))
        if run.ok and found != expected:
            run.ok, run.note = False, f"{found} of {expected} PDFs"
        retried = run.log.read_text(errors="replace").count("retried after signal")
        if retried:
            run.note = (run.note + "; " if run.note else "") + f"{retried} crashed command(s) run again"
        self.runs.append(run)
        return run

    def alternate(self, key: str, label: str, corpus: Path, repeat: int, cache_from: Path | None = None):
        """``repeat`` runs each way, alternating; ours starts with an empty cache, or a copy of ``cache_from``."""
        for i in range(repeat):
            order = ("ours", "plain") if i % 2 == 0 else ("plain", "ours")
            for who in order:
                if who == "ours":
                    cache = None
                    if cache_from is not None:
                        cache = self.work / "cache" / f"{key}-{len(self.runs)}"
                        shutil.rmtree(cache, ignore_errors=True)
                        shutil.copytree(cache_from, cache)
                    self.ours(key, label, corpus, self.builds / f"{key}-ours", cache=cache)
                else:
                    self.plain(key, label, corpus, self.builds / f"{key}-plain")

    def med(self, key: str, who: str, attr: str = "wall") -> float:
        runs = [r for r in self.runs if r.measure == key and r.who == who]
        values = [getattr(r, attr) for r in runs if r.ok] or [getattr(r, attr) for r in runs]
        return statistics.median(values) if values else float("nan")

    def all_ok(self, key: str) -> bool:
        return all(r.ok for r in self.runs if r.measure == key)

    # -- the measures
    def setup(self):
        self.work.mkdir(parents=True, exist_ok=True)
        if self.args.in_place:
            self.project = REPO
            self.env = dict(os.environ)
        else:
            self.project = snapshot(self.work / "snapshot")
            # Byte-compiled as after a first run (this environment sets PYTHONDONTWRITEBYTECODE=1).
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(self.project / "pipeline")], check=True)
            self.env = dict(os.environ, PYTHONPATH=str(self.project) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.plain_env = dict(os.environ)
        brief_script = Path(PYTHON).parent / "brief"
        self.brief = [str(brief_script)] if brief_script.exists() else \
            [PYTHON, "-c", "import sys; from pipeline.cli import main; sys.exit(main())"]
        sizes = set(self.cold) | set(self.touch)
        self.corpora = make_corpora(self.work / "corpora", sizes, self.rebuild, self.big, self.args.seed)
        for name in ("builds", "logs", "touch", "cache"):
            shutil.rmtree(self.work / name, ignore_errors=True)
            (self.work / name).mkdir(parents=True)
        self.builds, self.logs = self.work / "builds", self.work / "logs"
        # One unmeasured build of one brief each way first: one-time costs (fontconfig's cache of the
        # snapshot's templates/fonts, the OS's file cache) are paid once on any machine, not per build.
        print("warm-up (not measured)", flush=True)
        one = self.work / "corpora" / "warm-up"
        one.mkdir(parents=True)
        shutil.copytree(self.corpora[f"briefs-{self.cold[0]}"] / "brief-0001", one / "brief-0001")
        for who in ("ours", "plain"):
            if who == "ours":
                self.warm_up_cache = self.work / "cache" / "warm-up"
                self.ours("warm-up", "warm-up", one, self.builds / "warm-up-ours", cache=self.warm_up_cache)
            else:
                self.plain("warm-up", "warm-up", one, self.builds / "warm-up-plain")
        if not self.all_ok("warm-up"):
            raise SystemExit("benchmark: the warm-up build failed; stopping (see the log named above)")

    def measure_cold(self):
        print("a. cold builds, ours (brief build) and the plain way, alternating", flush=True)
        for n in self.cold:
            self.alternate(f"cold-{n}", f"cold build, {n} briefs", self.corpora[f"briefs-{n}"], self.repeat_cold[n])
        # The same smallest corpus with the cache a user has after any earlier build (the warm-up's: the house
        # faces' subsets are the same for every brief in Latin script), as every build after the first finds it.
        n = self.cold[0]
        self.alternate(f"cold-cached-{n}", f"cold build, {n} briefs, cache of an earlier build",
                       self.corpora[f"briefs-{n}"], self.repeat_cold[n], cache_from=self.warm_up_cache)

    def measure_touch(self):
        print("b. touch experiment: Snakemake's own CPU with jobs reduced to `touch`", flush=True)
        snakefile = touch_workflow(self.project, self.work / "touch" / "workflow")
        wf = snakefile.parent
        for i in range(self.repeat["touch"]):
            for n in self.touch:
                corpus = self.corpora[f"briefs-{n}"]
                slugs = sorted(p.name for p in corpus.iterdir() if p.is_dir())
                for who in ("CLI", "API") if i % 2 == 0 else ("API", "CLI"):
                    build = self.work / "touch" / f"build-{n}-{who}"
                    shutil.rmtree(build, ignore_errors=True)
                    tag = f"touch-{n}-{who}-{i}"
                    if who == "CLI":
                        target = ["--", "--snakefile", str(snakefile), "--cores", "2", "--config",
                                  f"content_dir={corpus}", f"build_dir={build}"]
                    else:
                        request = {"snakefile": str(snakefile), "content_dir": str(corpus), "build_dir": str(build),
                                   "slugs": slugs, "cores": 2}
                        target = ["--runner", json.dumps(request)]
                    run, figures = smk_self(f"touch-{n}", f"touch, {n} briefs ({who})",
                                            f"snakemake {who}", target, cwd=wf, env=self.env,
                                            log=self.logs / f"{tag}.log", result=self.work / "touch" / f"{tag}.json")
                    markers = len(list(build.glob("*/.work/published.json")))
                    if run.ok and markers != n:
                        run.ok, run.note = False, f"{markers} of {n} markers"
                    if who == "CLI" and "profiles/default" not in run.log.read_text(errors="replace"):
                        run.ok, run.note = False, "the project's profile (profiles/default) was not used"
                    self.runs.append(run)

    def measure_rebuild(self):
        n = self.rebuild
        corpus = self.corpora[f"rebuild-{n}"]
        build = self.builds / f"rebuild-{n}"
        print(f"c/d. {n} briefs: one cold build, then no-op rebuilds and one-section edits", flush=True)
        cache = self.work / "cache" / f"rebuild-{n}"   # the user's cache, kept from build to build
        shutil.rmtree(cache, ignore_errors=True)
        self.ours(f"build-{n}", f"cold build, {n} briefs (once)", corpus, build, cache=cache)
        if not self.all_ok(f"build-{n}"):
            raise SystemExit(f"benchmark: the {n}-brief build failed; stopping (see the log named above)")
        # The `snakemake` command of the same environment, as a user types it. (`python -m snakemake` would
        # rebuild every brief here: the rules' `python` parameter is the interpreter's path as invoked, and
        # the `snakemake` and `brief` scripts both run .venv/bin/python3.)
        snakemake = Path(PYTHON).parent / "snakemake"
        cli = [str(snakemake) if snakemake.exists() else PYTHON, *([] if snakemake.exists() else ["-m", "snakemake"]),
               "--cores", "2", "--config", f"content_dir={corpus}", f"build_dir={build}"]
        for i in range(self.repeat["rebuild"]):
            for who in ("ours", "snakemake CLI") if i % 2 == 0 else ("snakemake CLI", "ours"):
                if who == "ours":
                    run = self.ours(f"noop-{n}", f"no-op rebuild, {n} briefs", corpus, build, fresh=False, cache=cache)
                    says = "nothing to do" in run.log.read_text(errors="replace")
                else:
                    run = measure(f"noop-{n}", f"no-op rebuild, {n} briefs", who, cli, cwd=self.project,
                                  env=dict(self.env, BRIEF_CACHE_DIR=str(cache)), log=self.logs / f"noop-cli-{i}.log")
                    self.runs.append(run)
                    says = "Nothing to be done" in run.log.read_text(errors="replace")
                if run.ok and not says:
                    run.ok, run.note = False, "did not say that there was nothing to do"
        self.edits = []
        for i in range(self.repeat["rebuild"]):
            slug = f"brief-{n // 2 + i:04d}"
            before = published_mtimes(build)
            section = edit_section(corpus / slug, i)
            run = self.ours(f"edit-{n}", f"one-section edit, {n} briefs", corpus, build, fresh=False, cache=cache)
            after = published_mtimes(build)
            changed = sorted(p.relative_to(build).as_posix() for p in after if before.get(p) != after[p])
            others = [c for c in changed if not c.startswith(slug + "/")]
            rebuilt = built_briefs(run.log)
            if run.ok and (others or not changed):
                run.ok, run.note = False, f"rewrote {', '.join(others[:5]) or 'nothing'}"
            elif run.ok and rebuilt != [slug]:
                run.ok, run.note = False, f"ran {len(rebuilt)} jobs ({', '.join(rebuilt[:5])}), not only {slug}'s"
            self.edits.append((slug, section.name, run, changed))
            one = self.work / "corpora" / f"one-{i}"
            shutil.rmtree(one, ignore_errors=True)
            one.mkdir(parents=True)
            shutil.copytree(corpus / slug, one / slug)
            # An empty build folder, but the same cache as the edit finds (the user's): the ratio then shows
            # what the other briefs add to an edit, not what a first build of the brief adds (font subsets).
            self.ours("one", "cold build, the edited brief alone", one, self.builds / "one", cache=cache)

    def measure_big(self):
        print("e. the big brief", flush=True)
        # With the cache an earlier build left (the warm-up's): the measure is the cost of a long document, not
        # the once-per-machine cutting of the house faces' subsets, which the cold rows of (a) show.
        self.alternate("big", "big brief", self.corpora["big"], self.repeat["big"], cache_from=self.warm_up_cache)
        self.figures["big_pages"] = pdf_pages(self.builds / "big-ours")
        if "cold" in self.selected:
            self.figures["corpus_pages"] = pdf_pages(self.builds / f"cold-{self.cold[0]}-ours") / self.cold[0]

    # -- explanations
    def explain(self, verdicts: dict[str, bool]):
        if self.args.no_profile:
            return
        print("profiles ...", flush=True)
        from profile_steps import plain_split, profile

        if "cold" in self.selected:
            brief = self.corpora[f"briefs-{self.cold[0]}"] / "brief-0001"
            text, figs = profile(brief, repeat=self.repeat["profile"], project=self.project, env=self.env,
                                 title="One job of a corpus brief")
            self.figures["job"] = figs
            self.profiles.append(text)
            plain_text, plain_figs = plain_split(brief, repeat=self.repeat["profile"])
            self.figures["plain_job"] = plain_figs
            self.profiles.append(plain_text)
        if not verdicts.get("big", True) or not verdicts.get("rss", True):
            text, figs = profile(self.corpora["big"] / "big", repeat=1, project=self.project, env=self.env,
                                 title="The big brief's job")
            self.figures["big_job"] = figs
            self.profiles.append(text)
        if not verdicts.get("touch", True):
            n = max(self.touch)
            corpus = self.corpora[f"briefs-{n}"]
            build = self.work / "touch" / "build-profile"
            shutil.rmtree(build, ignore_errors=True)
            prof = self.work / "touch" / "touch.prof"
            run, figures = smk_self("profile", f"touch, {n} briefs, under cProfile", "snakemake CLI",
                                    ["--", "--snakefile", str(self.work / "touch" / "workflow" / "Snakefile"),
                                     "--cores", "2", "--config", f"content_dir={corpus}", f"build_dir={build}"],
                                    cwd=self.work / "touch" / "workflow", env=self.env,
                                    log=self.logs / "touch-profile.log", result=self.work / "touch" / "profile.json",
                                    cprofile=prof)
            self.profiles.append("\n".join([
                f"### Snakemake's own work in the touch experiment at {n} briefs (cProfile, command line)", "",
                f"{figures['self_cpu']:.1f} s CPU in Snakemake's process under the profiler "
                f"(cProfile slows it down); Snakemake's functions by cumulative time:", "",
                *snakemake_hotspots(prof), ""]))
        if not verdicts.get("noop", True) or not verdicts.get("edit", True):
            n = self.rebuild
            corpus, build = self.corpora[f"rebuild-{n}"], self.builds / f"rebuild-{n}"
            slugs = sorted(p.name for p in corpus.iterdir() if p.is_dir())
            request = {"snakefile": str(self.project / "Snakefile"), "content_dir": str(corpus),
                       "build_dir": str(build), "slugs": slugs, "cores": 2}
            prof = self.work / "noop.prof"
            plain_run, plain_figs = smk_self("profile", f"no-op, {n} briefs, API runner alone", "snakemake API",
                                             ["--runner", json.dumps(request)], cwd=self.project, env=self.env,
                                             log=self.logs / "noop-runner.log", result=self.work / "noop-plain.json")
            run, figures = smk_self("profile", f"no-op, {n} briefs, API runner under cProfile", "snakemake API",
                                    ["--runner", json.dumps(request)], cwd=self.project, env=self.env,
                                    log=self.logs / "noop-profile.log", result=self.work / "noop-profile.json",
                                    cprofile=prof)
            brief_noop = self.med(f"noop-{n}", "ours")
            self.figures["noop_runner"] = plain_figs
            self.profiles.append("\n".join([
                f"### The no-op rebuild of {n} briefs, taken apart", "",
                f"`brief build` takes {brief_noop:.2f} s (median); the Snakemake runner alone "
                f"(`python -m pipeline.runner`, the process `brief build` starts) {plain_run.wall:.2f} s wall, "
                f"{plain_figs['self_cpu']:.2f} s CPU; the rest ({brief_noop - plain_run.wall:.2f} s) is the `brief` "
                "command's own start-up, its brief discovery and lock, and its summary. "
                "Snakemake's functions by cumulative time (cProfile of the runner, which slows it down):", "",
                *snakemake_hotspots(prof), ""]))

    # -- report
    def report(self) -> list[str]:
        t = TARGETS
        rows, verdicts = [], {}

        def verdict(key: str, good: bool) -> str:
            verdicts[key] = verdicts.get(key, True) and good
            return "met" if good else "**missed**"

        def fails(key: str) -> str:
            return "" if self.all_ok(key) else " **(a run failed: see the table of runs)**"

        # a. cold
        for n in self.cold if "cold" in self.selected else []:
            key = f"cold-{n}"
            ratio = self.med(key, "ours") / self.med(key, "plain")
            cpu_ratio = self.med(key, "ours", "cpu") / self.med(key, "plain", "cpu")
            rows.append(f"| a | cold build, {n} briefs{fails(key)} | {self.med(key, 'ours'):.1f} s "
                        f"({self.med(key, 'ours', 'cpu') / n:.2f} CPU-s/brief, Snakemake "
                        f"{self.med(key, 'ours', 'snakemake_cpu') / n:.3f}) | {self.med(key, 'plain'):.1f} s "
                        f"({self.med(key, 'plain', 'cpu') / n:.2f} CPU-s/brief) | **{ratio:.2f}x** "
                        f"(CPU {cpu_ratio:.2f}x)"
                        f" | <= {t['cold']} | {verdict('cold', ratio <= t['cold'])} |")
        key, n = f"cold-cached-{self.cold[0]}", self.cold[0]
        if "cold" in self.selected and any(r.measure == key for r in self.runs):
            ratio = self.med(key, "ours") / self.med(key, "plain")
            rows.append(f"| a | cold build, {n} briefs, with the cache of an earlier build (font subsets){fails(key)} | "
                        f"{self.med(key, 'ours'):.1f} s ({self.med(key, 'ours', 'cpu') / n:.2f} CPU-s/brief) | "
                        f"{self.med(key, 'plain'):.1f} s ({self.med(key, 'plain', 'cpu') / n:.2f} CPU-s/brief) | "
                        f"**{ratio:.2f}x** (CPU {self.med(key, 'ours', 'cpu') / self.med(key, 'plain', 'cpu'):.2f}x) | "
                        f"<= {t['cold']} | {'met' if ratio <= t['cold'] else 'missed'} (every build after the first) |")
        if "touch" in self.selected:
            # b. touch
            per: dict[tuple[int, str], float] = {}
            for n in self.touch:
                for who in ("CLI", "API"):
                    runs = [r for r in self.runs if r.measure == f"touch-{n}" and r.who == f"snakemake {who}"]
                    per[(n, who)] = statistics.median(r.snakemake_cpu for r in runs) / n if runs else float("nan")
            small, large = min(self.touch), max(self.touch)
            for who in ("CLI", "API"):
                ratio = per[(large, who)] / per[(small, who)]
                figures = ", ".join(f"{n}: {per[(n, who)] * 1000:.1f} ms" for n in self.touch)
                # Per brief above includes Snakemake's fixed start-up; the marginal cost per added brief does not.
                marginal = (per[(large, who)] * large - per[(small, who)] * small) / (large - small) if large > small else 0
                figures += f" (each brief added from {small} to {large}: {marginal * 1000:.1f} ms)"
                target = f"<= {t['touch']}" + ("" if large == 1000 and small == 100 else " (for 1,000 vs 100)")
                label = ("`snakemake --cores 2` + profile" if who == "CLI" else "API, as `brief build` runs it")
                good = ratio <= t["touch"]
                rows.append(f"| b | Snakemake's own CPU per brief, {label}{fails(f'touch-{large}')} | {figures} | - | "
                            f"**{ratio:.2f}x** ({large} vs {small}) | {target} | "
                            f"{verdict('touch', good) if who == 'CLI' else ('met' if good else 'missed (API)')} |")
            self.figures["touch_per"] = per
        if "rebuild" in self.selected:
            # c. no-op
            n = self.rebuild
            noop, noop_cli = self.med(f"noop-{n}", "ours"), self.med(f"noop-{n}", "snakemake CLI")
            scope = "" if n == 1000 else " (the target is for 1,000)"
            rows.append(f"| c | no-op rebuild, {n} briefs, `brief build`{fails(f'noop-{n}')} | **{noop:.2f} s** | - | - | "
                        f"< {t['noop']:.0f} s{scope} | {verdict('noop', noop < t['noop'])} |")
            rows.append(f"| c | no-op rebuild, {n} briefs, `snakemake --cores 2` | {noop_cli:.2f} s | - | - | - | - |")
            # d. edit
            edit, one = self.med(f"edit-{n}", "ours"), self.med("one", "ours")
            ratio = edit / one
            rows.append(f"| d | one-section edit in {n} briefs / that brief alone, cold{fails(f'edit-{n}')} | "
                        f"{edit:.2f} s / {one:.2f} s | - | **{ratio:.2f}x** | <= {t['edit']}{scope} | "
                        f"{verdict('edit', ratio <= t['edit'])} |")
        if "big" in self.selected:
            # e. big
            ratio = self.med("big", "ours") / self.med("big", "plain")
            rows.append(f"| e | big brief ({self.big[0]} sections, {self.big[1]} references){fails('big')} | "
                        f"{self.med('big', 'ours'):.1f} s | {self.med('big', 'plain'):.1f} s | **{ratio:.2f}x** "
                        f"(CPU {self.med('big', 'ours', 'cpu') / self.med('big', 'plain', 'cpu'):.2f}x) | <= {t['big']} | "
                        f"{verdict('big', ratio <= t['big'])} |")
            big_rss = max((r.maxrss_kb for r in self.runs if r.measure == "big" and r.who == "ours"), default=0) / 1024
            all_rss = max((r.maxrss_kb for r in self.runs if r.who == "ours"), default=0) / 1024
            big_plain_rss = max((r.maxrss_kb for r in self.runs if r.measure == "big" and r.who == "plain"), default=0)
            rows.append(f"| e | peak RSS of the largest process, big brief | **{big_rss:.0f} MB** "
                        f"(every `brief build` run: {all_rss:.0f} MB) | {big_plain_rss / 1024:.0f} MB | - | "
                        f"< {t['rss_mb']} MB | {verdict('rss', big_rss < t['rss_mb'])} |")
        self.verdicts = verdicts
        return rows

    def why(self) -> list[str]:
        v, f, t = self.verdicts, self.figures, TARGETS
        out = []
        job = f.get("job")
        plain_job = f.get("plain_job")
        if not v.get("cold", True):
            n = max(self.cold)
            ours_cpu = self.med(f"cold-{n}", "ours", "cpu") / n
            plain_cpu = self.med(f"cold-{n}", "plain", "cpu") / n
            smk = self.med(f"cold-{n}", "ours", "snakemake_cpu") / n
            busy_ours = self.med(f"cold-{n}", "ours", "cpu") / self.med(f"cold-{n}", "ours")
            busy_plain = self.med(f"cold-{n}", "plain", "cpu") / self.med(f"cold-{n}", "plain")
            text = (f"**Cold builds (a).** At {n} briefs ours spends {ours_cpu:.2f} CPU-s per brief ({smk:.3f} of "
                    f"it in Snakemake's own process), the plain way {plain_cpu:.2f}; on average {busy_ours:.2f} and "
                    f"{busy_plain:.2f} of the 2 cores were busy. With both keeping the cores equally busy, the "
                    f"wall-time ratio is the CPU ratio, and {t['cold']} needs at most about "
                    f"{t['cold'] * plain_cpu:.2f} CPU-s per brief, {ours_cpu - t['cold'] * plain_cpu:.2f} s less "
                    "than now.")
            if job:
                s = job["split"]
                top = sorted(s.items(), key=lambda kv: -(kv[1]["cpu"] + kv[1]["pandoc_cpu"]))[:6]
                text += (f" One job (profile below, {job['job_cpu']:.2f} CPU-s with its pandoc coprocess) spends, "
                         "largest first: " + "; ".join(f"{k} {v_['cpu'] + v_['pandoc_cpu']:.2f} s" for k, v_ in top)
                         + f"; plus {job['python_start']:.2f} s of interpreter start-up.")
                text += layout_note(job)
            if plain_job:
                kinds = sorted(plain_job["by_kind"].items(), key=lambda kv: -kv[1])
                text += (f" The plain way's commands for the same brief (below) cost {plain_job['cpu']:.2f} CPU-s: "
                         + "; ".join(f"{k} {v_:.2f} s" for k, v_ in kinds if v_ >= 0.005) + ".")
            text += (" What would reach the target: a job cheaper by the amount above, taken from the largest items "
                     "listed (the split and cProfile below give them in detail).")
            out += [text, ""]
        if not v.get("touch", True):
            per = f["touch_per"]
            out += ["**Snakemake's own CPU (b).** Per brief: " + ", ".join(
                f"{n} briefs {per[(n, 'CLI')] * 1000:.1f} ms (API {per[(n, 'API')] * 1000:.1f} ms)"
                for n in self.touch) + ". It grows with the number of briefs: each scheduling round stats the "
                "inputs of the ready jobs it looks at and lists every remaining job (see /work/notes/snakemake.md); "
                "the cProfile below shows where. What would reach the target: fewer rounds or less work per round "
                "(fewer inputs per job; or running the briefs in batches of about 100 per Snakemake run).", ""]
        if not v.get("noop", True):
            out += ["**No-op rebuild (c).** See the no-op taken apart below: the time is Snakemake's start-up "
                    "(imports), parsing the Snakefile, listing every brief's files and building the DAG with one "
                    "mtime check per input; what would reach the target is less of that work per brief (fewer "
                    "inputs per job) or skipping Snakemake when nothing changed.", ""]
        if not v.get("edit", True):
            n = self.rebuild
            out += [f"**One-section edit (d).** The edit build pays for everything a no-op rebuild of {n} briefs "
                    f"pays ({self.med(f'noop-{n}', 'ours'):.2f} s) plus the one job; the cold build of the brief "
                    f"alone takes {self.med('one', 'ours'):.2f} s. The ratio is met when the no-op part stays under "
                    f"half of a one-brief build; see the no-op rebuild taken apart below.", ""]
        if not v.get("big", True) or not v.get("rss", True):
            big_job = f.get("big_job")
            text = "**The big brief (e).**"
            plain_wall = self.med("big", "plain")
            plain_rss = max((r.maxrss_kb for r in self.runs if r.measure == "big" and r.who == "plain"), default=0)
            if big_job:
                s = big_job["split"]
                top = sorted(s.items(), key=lambda kv: -kv[1]["wall"])[:6]
                grow = sorted(s.items(), key=lambda kv: -kv[1]["rss_kb"])[:3]
                text += (f" Its job alone takes {big_job['job_wall']:.1f} s, the plain way {plain_wall:.1f} s for the "
                         f"whole brief; a ratio of {t['big']} needs the job {big_job['job_wall'] - plain_wall:.1f} s "
                         "shorter. Largest stages: " + "; ".join(f"{k} {v_['wall']:.1f} s" for k, v_ in top)
                         + f". Peak RSS {big_job['peak_mb']:.0f} MB (the plain way's largest process: "
                         f"{plain_rss / 1024:.0f} MB), raised most by: "
                         + "; ".join(f"{k} +{v_['rss_kb'] / 1024:.0f} MB" for k, v_ in grow) + ".")
                text += layout_note(big_job)
            text += (" WeasyPrint holds the laid-out document (every page's boxes) in memory until the PDF is "
                     "written, so the peak grows with the long PDF's pages.")
            out += [text, ""]
        return out or ["Every target is met."]


def layout_note(job: dict) -> str:
    """A sentence on WeasyPrint layouts beyond one per PDF (two PDFs per brief)."""
    split = job["split"]
    layouts = split.get("WeasyPrint layout (HTML.render)", {}).get("calls", 0)
    extra = split.get("WeasyPrint layout to fit the running head", {})
    note = ""
    if extra.get("calls"):
        note += (f" Besides the two PDFs' layouts, WeasyPrint lays out {extra['calls']:.0f} more times to fit the "
                 f"running head ({extra['wall']:.2f} s).")
    if layouts > 2:
        note += f" The PDFs' own layouts run {layouts:.0f} times for two PDFs."
    return note


def run(args) -> int:
    bench = Bench(args)
    quick = args.quick
    partial = bench.selected != set(MEASURES)
    only = f"-{'-'.join(sorted(bench.selected))}" if partial else ""
    out_md = args.out or (bench.work / f"results-quick{only}.md" if quick else
                          bench.work / f"results{only}.md" if partial else HERE / "results.md")
    subreaper = become_subreaper()
    load_start = os.getloadavg()
    started = time.perf_counter()
    print(f"benchmark: {'quick' if quick else 'full'} run, work folder {bench.work}", flush=True)
    bench.setup()
    corpus_line = describe(sorted(p for p in bench.corpora[f"briefs-{max(bench.cold)}"].iterdir()))
    big_words, big_sections, big_refs = brief_stats(bench.corpora["big"] / "big")
    for name in MEASURES:
        if name in bench.selected:
            getattr(bench, f"measure_{name}")()
    rows = bench.report()
    bench.explain(bench.verdicts)
    elapsed = time.perf_counter() - started
    load_end = os.getloadavg()

    def run_row(r: Run) -> str:
        return (f"| {r.label} | {r.who} | {r.wall:.2f} | {r.cpu:.2f} | {r.snakemake_cpu:.2f} | "
                f"{r.maxrss_kb / 1024:.0f} | {r.load:.2f} | {r.sampler_cpu:.2f} | "
                f"{r.note or ('' if r.ok else 'failed')} |")

    kinds: dict[tuple[str, str], int] = {}
    for r in bench.runs:
        for kind, kb in r.peaks.items():
            kinds[(r.who, kind)] = max(kinds.get((r.who, kind), 0), kb)
    edit_rows = [f"- edit {i + 1}: `{slug}/sections/{section}`, {r.wall:.2f} s, rewrote {len(changed)} files "
                 f"({', '.join(Path(c).name for c in changed)})" for i, (slug, section, r, changed) in
                 enumerate(bench.edits)]
    n = bench.rebuild
    command = "benchmarks/run.py" + (" --quick" if quick else "") + (
        f" --only {','.join(m for m in MEASURES if m in bench.selected)}" if partial else "")
    built_line = (f"The {n}-brief corpus was built once with `brief build` before (c) and (d): "
                  f"{bench.med(f'build-{n}', 'ours'):.1f} s wall, {bench.med(f'build-{n}', 'ours', 'cpu'):.1f} s CPU, "
                  f"of which Snakemake's own process {bench.med(f'build-{n}', 'ours', 'snakemake_cpu'):.1f} s."
                  if "rebuild" in bench.selected else "")
    lines = [
        f"# Benchmark results{' (quick run)' if quick else ''}{' (only ' + ', '.join(sorted(bench.selected)) + ')' if partial else ''}",
        "",
        f"Written by `.venv/bin/python {command}` in {elapsed / 60:.1f} min. Ours is `brief build` "
        "(Snakemake through its API, one job per brief, greedy scheduler with subsample 8); the plain way is "
        "`benchmarks/baseline.py`: what a user with pandoc --citeproc and the `weasyprint` command would script, "
        "the same six files per brief (DOCX, EPUB, HTML then PDF, for the short and the long version), two "
        "processes at a time. Both on 2 cores, alternating, medians over the repeats (the 100- and "
        "400-brief cold builds run once each way: together they take most of an hour). CPU is user+system time of "
        "the whole process tree; \"Snakemake\" is the CPU of Snakemake's own process (exact in the touch "
        "experiment, sampled every 50 ms otherwise). A cold build starts from an empty build folder and an empty "
        "cache (BRIEF_CACHE_DIR: reference indexes, font subsets), as for briefs never built before (the "
        "second 20-brief row and the big brief (e) start with a copy of the warm-up build's cache instead, as "
        "every build after the first on a machine does); the "
        "rebuilds (c, d) and the one-brief build of (d) use the cache as the builds before them left it. One "
        "unmeasured build of one brief each way runs first (one-time costs such as fontconfig's cache). The "
        "project runs from a byte-compiled snapshot of the working tree taken at the start.",
        "",
        "## Machine",
        "",
        "| | |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine_info()],
        f"| load average at start / end | {load_start[0]:.2f} / {load_end[0]:.2f} (1 min; the machine is shared) |",
        f"| orphaned helpers counted | {'yes (subreaper)' if subreaper else 'no'} |",
        "",
        "## Corpus",
        "",
        f"`benchmarks/make_corpus.py --seed {args.seed}`: {corpus_line} (the sample brief: 1,246 words, "
        f"8 sections, 13 references). Big brief: {big_words} words, {big_sections} sections, {big_refs} references. "
        (f"PDF pages: {bench.figures['corpus_pages']:.1f} per corpus brief (short + long), "
         f"{bench.figures['big_pages']} for the big brief." if "corpus_pages" in bench.figures else ""),
        "",
        "## Results and targets",
        "",
        "| | measure | ours | plain way | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        built_line,
        *edit_rows,
        "",
        "## Why a target is missed, and what would reach it",
        "",
        *bench.why(),
        "",
        *bench.profiles,
        "## Peak memory by kind of process",
        "",
        "| run | process | peak RSS MB (sampled every 50 ms) |", "|---|---|---:|",
        *[f"| {who} | {k} | {v / 1024:.0f} |" for (who, k), v in sorted(kinds.items(), key=lambda kv: -kv[1])],
        "",
        "## Every run",
        "",
        "| measure | who | wall s | CPU s | Snakemake s | largest process MB | load before | sampler CPU s | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
        *[run_row(r) for r in bench.runs],
        "",
    ]
    report = "\n".join(lines)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(report, encoding="utf-8")
    print(report)
    print(f"benchmark: written {out_md}")
    return 0 if all(r.ok for r in bench.runs) else 1


def _measures(text: str) -> list[str]:
    names = [x for x in text.split(",") if x]
    unknown = [x for x in names if x not in MEASURES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown) or text!r}: not one of {', '.join(MEASURES)}")
    return names


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="20-brief cold build, touch experiment at 100 and 400, no-op/edit at 100, big brief")
    parser.add_argument("--repeat", type=int, help="runs of every measure (default: 2-3, see FULL/QUICK in run.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "work", help="scratch folder (default benchmarks/work)")
    parser.add_argument("--out", type=Path, help="results file (default benchmarks/results.md; "
                                                  "quick: benchmarks/work/results-quick.md)")
    parser.add_argument("--in-place", action="store_true", help="run the working tree, not a snapshot of it")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles that explain missed targets")
    parser.add_argument("--only", type=_measures, metavar="MEASURES",
                        help="comma-separated, of " + ", ".join(MEASURES) + " (a, b, c and d, e): run only those; "
                        "the report goes to benchmarks/work/results-<measures>.md, not results.md")
    # Hidden: other sizes, to try the full run's code paths in a few minutes.
    parser.add_argument("--cold", type=_sizes, help=argparse.SUPPRESS)
    parser.add_argument("--touch", type=_sizes, help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--big", type=_sizes, help=argparse.SUPPRESS)  # sections,references
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
