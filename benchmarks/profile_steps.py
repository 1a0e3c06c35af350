"""Where the time of one brief goes: per-job costs of the workflow's steps.

Usage::

    python benchmarks/profile_steps.py [--brief DIR] [--repeat 3]

Without ``--brief`` it generates corpus brief 1 (benchmarks/make_corpus.py)
in a temporary folder. It measures, each as the median of ``--repeat`` runs:

1. start-up: a bare interpreter, the pipeline's imports, ``import weasyprint``,
   ``pandoc --version``, and Snakemake's own cost per (trivial) shell job;
2. every step of the workflow run the way its rule runs it (``python -m
   pipeline.<module> STEP ...`` as the dry run prints it, one process each):
   wall and CPU time;
3. the same jobs through the warm worker (``pipeline/worker.py``) that local
   builds use, if the project has one: job wall time, CPU of the client
   process and of the step forked by the worker;
4. the same steps called in one warm process (imports done, second pass):
   what is left when start-up is amortised, split into pandoc processes,
   WeasyPrint layout (``HTML.render``), WeasyPrint PDF writing (``write_pdf``)
   and the rest (Python: validation, Jinja2, lxml, zip post-processing).

It prints a Markdown report (also returned by :func:`profile`, which run.py
appends to results.md).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, redirect_stderr
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
VARIANTS = ("short", "long")


def run_timed(command: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(wall, user+sys CPU of the process tree) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def median_timed(command: list[str], repeat: int, **kw) -> tuple[float, float]:
    runs = [run_timed(command, **kw) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def step_commands(content: Path, build: Path, cwd: Path = REPO) -> list[tuple[str, list[str]]]:
    """The shell commands of a cold build, as Snakemake would run them (from a dry run).

    Taken from ``snakemake --dry-run --printshellcmds`` so that the profile
    follows the workflow as it is, whatever the steps' arguments are.
    """
    proc = subprocess.run(
        [PYTHON, "-m", "snakemake", "--dry-run", "--printshellcmds", "--forceall", "--cores", "1",
         "--config", f"content_dir={content}", f"build_dir={build}"],
        cwd=cwd, capture_output=True, text=True, check=True)
    commands, rule, variant = [], None, ""
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith(("rule ", "localrule ")) and line.endswith(":"):
            rule, variant = line.split()[1].rstrip(":"), ""
        elif line.startswith("wildcards:"):
            found = re.search(r"variant=(\w+)", line)
            variant = found.group(1) if found else ""
        elif line.startswith("Shell command:") and rule:
            commands.append((f"{rule} {variant}".strip(), shlex.split(line.split(":", 1)[1])))
    if not commands:
        raise RuntimeError("no shell commands in the dry run:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return commands


def cpu_now() -> float:
    """CPU seconds used so far by this process and its waited-for children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def is_step(command: list[str]) -> bool:
    """A job of ours: ``python -m pipeline.<module> ...``."""
    return len(command) > 2 and command[1] == "-m" and command[2].startswith("pipeline.")


class Meter:
    """Accumulates wall and CPU time spent in wrapped callables, by label."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def wrap(self, owner, attr: str, label: str, when=None):
        original = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            if when is not None and not when(*args, **kwargs):
                return original(*args, **kwargs)
            start, cpu = time.perf_counter(), cpu_now()
            try:
                return original(*args, **kwargs)
            finally:
                self.wall[label] = self.wall.get(label, 0.0) + time.perf_counter() - start
                self.cpu[label] = self.cpu.get(label, 0.0) + cpu_now() - cpu
                self.counts[label] = self.counts.get(label, 0) + 1

        setattr(owner, attr, wrapper)
        return original

    def reset(self):
        self.wall.clear()
        self.cpu.clear()
        self.counts.clear()


@contextmanager
def chdir(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def in_process(commands: list[tuple[str, list[str]]], passes: int = 2) -> list[dict]:
    """Run every step command's ``main(argv)`` (``python -m pipeline.X argv``) in this process."""
    import weasyprint
    import weasyprint.document

    meter = Meter()
    meter.wrap(subprocess, "run", "pandoc", when=lambda cmd, *a, **k: Path(str(cmd[0])).name == "pandoc")
    meter.wrap(weasyprint.HTML, "render", "weasyprint layout")
    meter.wrap(weasyprint.document.Document, "write_pdf", "weasyprint write_pdf")
    results = []
    for _ in range(passes):
        meter.reset()
        row: dict = {}
        for name, command in commands:
            module = importlib.import_module(command[2])
            start, cpu = time.perf_counter(), cpu_now()
            status = module.main(command[3:])
            row[name] = (time.perf_counter() - start, cpu_now() - cpu)
            if status:
                raise RuntimeError(f"{name} failed in process")
        row["_wall"] = dict(meter.wall)
        row["_cpu"] = dict(meter.cpu)
        row["_counts"] = dict(meter.counts)
        results.append(row)
    return results


def snakemake_job_overhead(tmp: Path, jobs: int = 100) -> tuple[float, float]:
    """Wall seconds per trivial shell job (N jobs minus 1 job, over N-1), and a 1-job run."""
    wf = tmp / "overhead"
    wf.mkdir()
    (wf / "Snakefile").write_text(
        'N = int(config["count"])\n'
        'rule all:\n    input: expand("out/{i}.txt", i=range(N))\n'
        'rule one:\n    output: "out/{i}.txt"\n    shell: "touch {output}"\n')
    snakemake = [PYTHON, "-m", "snakemake", "--cores", "2", "--quiet", "all", "--config"]
    one, _ = run_timed([*snakemake, "count=1"], cwd=wf)
    subprocess.run(["rm", "-rf", str(wf / "out"), str(wf / ".snakemake")], check=True)
    many, _ = run_timed([*snakemake, f"count={jobs}"], cwd=wf)
    return (many - one) / (jobs - 1), one


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its reaped children, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(v) for v in fields[11:15]) / ticks  # utime stime cutime cstime


def via_worker(commands: list[tuple[str, list[str]]], tmp: Path, project: Path, env: dict,
               repeat: int) -> list[str]:
    """Per-job cost when the steps go through the warm worker (pipeline/worker.py), if there is one."""
    try:
        from pipeline.job import WORKER_ENV
    except ImportError:
        return []
    socket_path = tmp / "worker" / "socket"
    socket_path.parent.mkdir()
    start = time.perf_counter()
    worker = subprocess.Popen([PYTHON, "-m", "pipeline.worker", str(socket_path)], cwd=project, env=env,
                              stdin=subprocess.DEVNULL)
    try:
        while not socket_path.exists():
            if worker.poll() is not None or time.perf_counter() - start > 60:
                return ["", "(the warm worker did not start; no per-job figures through it)"]
            time.sleep(0.02)
        ready = time.perf_counter() - start
        warm_env = dict(env, **{WORKER_ENV: str(socket_path)})
        lines = ["", "### The same jobs through the warm worker (pipeline/worker.py), as local builds run them "
                 f"(median of {repeat})", "",
                 f"Worker start-up (imports, before the first job): {ready:.2f} s wall, "
                 f"{_tree_cpu(worker.pid):.2f} s CPU, once per Snakemake run.", "",
                 "| step | job wall s | client CPU s | forked step CPU s |", "|---|---:|---:|---:|"]
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in commands}
        for _ in range(repeat):
            for name, command in commands:
                before = _tree_cpu(worker.pid)
                wall, client = run_timed(command, cwd=project, env=warm_env)
                time.sleep(0.3)  # the worker reaps its finished children every 0.2 s
                runs[name].append((wall, client, _tree_cpu(worker.pid) - before))
        totals = [0.0, 0.0, 0.0]
        for name, _ in commands:
            values = [statistics.median(r[i] for r in runs[name]) for i in range(3)]
            totals = [t + v for t, v in zip(totals, values)]
            lines.append(f"| {name} | {values[0]:.3f} | {values[1]:.3f} | {values[2]:.3f} |")
        lines.append(f"| **sum** | **{totals[0]:.2f}** | **{totals[1]:.2f}** | **{totals[2]:.2f}** |")
        return lines
    finally:
        worker.terminate()
        worker.wait()


def profile(brief: Path | None = None, repeat: int = 3, project: Path = REPO, env: dict | None = None) -> str:
    """The Markdown report; ``project`` is the workflow folder to run (run.py passes its snapshot)."""
    import pypandoc

    project = Path(project).resolve()
    if project != REPO:
        sys.path.insert(0, str(project))

    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="brief-profile-") as tmpname:
        tmp = Path(tmpname)
        if brief is None:
            sys.path.insert(0, str(HERE))
            from make_corpus import make_brief

            brief = make_brief(tmp / "content", 1)
        brief = brief.resolve()
        content = tmp / "one"
        content.mkdir()
        shutil.copytree(brief, content / brief.name)
        build = tmp / "build"
        env = dict(env or os.environ)

        lines += ["### Start-up costs (one process each, median of %d)" % repeat, "",
                  "| what | wall s | CPU s |", "|---|---:|---:|"]
        startup = [
            ("python -c pass", [PYTHON, "-c", "pass"]),
            ("python + every pipeline module (jinja2, jsonschema, lxml, yaml ...; not weasyprint)",
             [PYTHON, "-c", "import importlib, pkgutil, sys, pipeline\n"
                            "for m in pkgutil.iter_modules(pipeline.__path__):\n"
                            "    if m.name not in ('cli', 'watch', '__main__', 'pdf'):\n"
                            "        importlib.import_module('pipeline.' + m.name)"]),
            ("python + import weasyprint", [PYTHON, "-c", "import weasyprint"]),
            ("python + import pypdf", [PYTHON, "-c", "import pypdf"]),
            ("pandoc --version", [pypandoc.get_pandoc_path(), "--version"]),
            ("snakemake --version", [PYTHON, "-m", "snakemake", "--version"]),
        ]
        for label, command in startup:
            wall, cpu = median_timed(command, repeat, cwd=project, env=env)
            lines.append(f"| {label} | {wall:.3f} | {cpu:.3f} |")
        per_job, one_job = snakemake_job_overhead(tmp)
        lines.append(f"| Snakemake, a 1-job workflow (`touch`) | {one_job:.3f} | |")
        lines.append(f"| Snakemake, each further trivial shell job (100-job run, 2 cores) | {per_job:.3f} | |")

        lines += ["", f"### Steps of one brief ({brief.name}), one process per job, no worker "
                  f"(as on a cluster node; median of {repeat})", "", "| step | wall s | CPU s |", "|---|---:|---:|"]
        total_wall = total_cpu = 0.0
        commands = [c for c in step_commands(content, build, cwd=project) if is_step(c[1])]
        for _, command in commands:      # Snakemake makes the output folders before a job
            for arg in command:
                if arg.startswith(str(build)):
                    Path(arg).parent.mkdir(parents=True, exist_ok=True)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in commands}
        for _ in range(repeat):
            for name, command in commands:
                runs[name].append(run_timed(command, cwd=project, env=env))
        for name, _ in commands:
            wall = statistics.median(r[0] for r in runs[name])
            cpu = statistics.median(r[1] for r in runs[name])
            total_wall += wall
            total_cpu += cpu
            lines.append(f"| {name} | {wall:.3f} | {cpu:.3f} |")
        lines.append(f"| **sum ({len(commands)} processes)** | **{total_wall:.2f}** | **{total_cpu:.2f}** |")

        lines += via_worker(commands, tmp, project, env, repeat)
        with chdir(project), open(os.devnull, "w") as devnull, redirect_stderr(devnull):
            passes = in_process(commands, passes=max(2, repeat))
        warm = passes[1:]
        lines += ["", "### The same steps in one warm process (imports done; median of passes 2..)", "",
                  "| step | wall s | CPU s |", "|---|---:|---:|"]
        warm_wall = warm_cpu = 0.0
        for name, _ in commands:
            wall = statistics.median(p[name][0] for p in warm)
            cpu = statistics.median(p[name][1] for p in warm)
            warm_wall, warm_cpu = warm_wall + wall, warm_cpu + cpu
            lines.append(f"| {name} | {wall:.3f} | {cpu:.3f} |")
        lines.append(f"| **sum** | **{warm_wall:.2f}** | **{warm_cpu:.2f}** |")
        parts = ("pandoc", "weasyprint layout", "weasyprint write_pdf")
        cpu_split = {k: statistics.median(p["_cpu"].get(k, 0.0) for p in warm) for k in parts}
        counts = warm[0]["_counts"]
        lines += ["", "Warm pass, CPU split: " + ", ".join(
            f"{k} {v:.2f} s" + (f" ({counts.get(k, 0)} processes)" if k == "pandoc" else "")
            for k, v in cpu_split.items())
            + f", everything else (Python: validation, Jinja2, lxml, zip post-processing) "
            f"{warm_cpu - sum(cpu_split.values()):.2f} s.",
            f"Start-up paid by running one process per job: {total_cpu - warm_cpu:.2f} s CPU of {total_cpu:.2f} s "
            f"({(total_cpu - warm_cpu) / total_cpu:.0%}); wall {total_wall - warm_wall:.2f} s of {total_wall:.2f} s."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brief", type=Path, help="a brief folder (default: generated corpus brief 1)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(profile(args.brief, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
