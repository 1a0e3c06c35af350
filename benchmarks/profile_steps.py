"""Where one brief's build time goes inside ``python -m pipeline.job`` (the one Snakemake job per brief).

Usage::

    python benchmarks/profile_steps.py [--brief DIR] [--repeat 3]

(default brief: generated corpus brief 1, see make_corpus.py). Three views of
the same job, each in fresh processes like the ones Snakemake starts:

1. **The job as Snakemake runs it**: ``python -m pipeline.job --brief ...``
   into an empty folder; wall time and CPU of the job and its pandoc
   coprocess (median of ``--repeat``), beside a bare ``python -c pass``.
2. **The time split of one job**: the same job in a process that first
   imports what it needs (timed: that is the job's import cost) and wraps the
   pipeline's stages with a meter that charges every second to exactly one
   stage (a stage's own time, its inner stages subtracted): reading and
   validation (pipeline.content, markdown, references), every pandoc request
   by kind (read, citeproc, the DOCX/EPUB/HTML writes; the pandoc coprocess's
   own CPU beside it), numbering, composing, the HTML page (Jinja2),
   WeasyPrint layout, WeasyPrint PDF writing, DOCX/EPUB post-processing,
   publishing; also how much each stage raised the peak RSS.
3. **cProfile of the job**, self time grouped by module (``pipeline.X``,
   ``weasyprint.X``, other packages, the standard library); the time of C
   functions goes to the module that called them, and waiting for pandoc's
   answers shows as its own line. cProfile slows Python code down (most of
   all WeasyPrint's many small calls), so use it for proportions, the split
   for seconds.

run.py calls :func:`profile` and puts the report into results.md, with the
figures it uses to explain a missed target.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable

# Stages of the job: (module, attribute, label). Attributes that a newer
# pipeline no longer has are skipped (and listed in the report).
FUNCTIONS = [
    ("pipeline.job", "main", "job: arguments, staging folder, marker, log"),
    ("pipeline.job", "build", "job: arguments, staging folder, marker, log"),
    ("pipeline.job", "tool_versions", "tool versions for the manifest"),
    ("pipeline.stage", "stage_brief", "stage: the rest (images, folders)"),
    ("pipeline.content", "load_brief", "read + validate (pipeline.content, markdown, references)"),
    ("pipeline.document", "build_document", "numbering (pipeline.document)"),
    ("pipeline.model", "write_document", "brief.json (intermediate)"),
    ("pipeline.compose", "compose_full", "compose (pipeline.compose)"),
    ("pipeline.render", "body_html", "HTML page (pipeline.render, Jinja2, lxml)"),
    ("pipeline.render", "metadata_html", "HTML page (pipeline.render, Jinja2, lxml)"),
    ("pipeline.render", "render_page", "HTML page (pipeline.render, Jinja2, lxml)"),
    ("pipeline.pdf", "render_pdf", "PDF: the rest (URL fetcher, writing the file)"),
    ("pipeline.pdf", "fit_running_head", "running head fitting (pipeline.pdf, apart from its layouts)"),
    ("pipeline.convert", "make_docx", "DOCX/EPUB: temporary files, moving into place"),
    ("pipeline.convert", "make_epub", "DOCX/EPUB: temporary files, moving into place"),
    ("pipeline.docx_endnotes", "convert_to_endnotes", "DOCX post-processing (native endnotes)"),
    ("pipeline.docx_finish", "finish_docx", "DOCX post-processing (pipeline.docx_finish)"),
    ("pipeline.epub", "finish_epub", "EPUB post-processing (accessibility, notes)"),
    ("pipeline.publish", "publish", "publish (compare, copy, rename, manifest)"),
    ("gc", "collect", "gc.collect() (pipeline.pdf, before writing the PDF)"),
]
METHODS = [
    ("weasyprint", "HTML", "render", "WeasyPrint layout (HTML.render)"),
    ("weasyprint", "CSS", "__init__", "WeasyPrint stylesheets (CSS, @font-face)"),
    ("weasyprint.text.fonts", "FontConfiguration", "__init__", "WeasyPrint font configuration"),
    ("weasyprint.document", "Document", "write_pdf", "WeasyPrint PDF writing (write_pdf)"),
    ("pipeline.pandoc", "PandocSession", "close", "pandoc: waiting for the coprocess to exit"),
]
IMPORTS = "Python imports"
RUNNING_HEAD_LAYOUT = "WeasyPrint layout to fit the running head"
PANDOC_PREFIX = "pandoc: "


def run_timed(command: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(wall, user+sys CPU of the process and its waited-for children) of one command."""
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


def job_command(brief: Path, out: Path) -> list[str]:
    return [PYTHON, "-m", "pipeline.job", "--brief", str(brief), "--out", str(out / brief.name),
            "--marker", str(out / brief.name / ".work" / "published.json")]


# --------------------------------------------------------------------------
# The split (runs in a child process: python profile_steps.py --child-split ...)

def _maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class StageMeter:
    """Charges wall time, CPU and peak-RSS growth to the innermost stage running."""

    def __init__(self):
        self.stack: list[list] = []
        self.totals: dict[str, dict] = defaultdict(lambda: {"wall": 0.0, "cpu": 0.0, "pandoc_cpu": 0.0,
                                                            "calls": 0, "rss_kb": 0})

    def enter(self, label: str) -> None:
        # label, wall0, cpu0, inner wall, inner cpu, rss0, inner rss growth
        self.stack.append([label, time.perf_counter(), time.process_time(), 0.0, 0.0, _maxrss_kb(), 0])

    def leave(self, pandoc_cpu: float = 0.0, cancel: bool = False) -> None:
        label, wall0, cpu0, inner_wall, inner_cpu, rss0, inner_rss = self.stack.pop()
        wall, cpu, rss = time.perf_counter() - wall0, time.process_time() - cpu0, _maxrss_kb() - rss0
        if cancel:  # not a stage after all: its time stays with the caller
            if self.stack:
                self.stack[-1][3] += inner_wall
                self.stack[-1][4] += inner_cpu
                self.stack[-1][6] += inner_rss
            return
        total = self.totals[label]
        total["wall"] += wall - inner_wall
        total["cpu"] += cpu - inner_cpu
        total["rss_kb"] += rss - inner_rss
        total["pandoc_cpu"] += pandoc_cpu
        total["calls"] += 1
        if self.stack:
            self.stack[-1][3] += wall
            self.stack[-1][4] += cpu
            self.stack[-1][6] += rss


def _pandoc_cpu(session) -> tuple[int | None, float]:
    process = getattr(session, "_process", None)
    if process is None:
        return None, 0.0
    try:
        import psutil

        times = psutil.Process(process.pid).cpu_times()
        return process.pid, times.user + times.system
    except Exception:  # the coprocess has gone: its CPU is counted at the end (RUSAGE_CHILDREN)
        return process.pid, 0.0


def _install(meter: StageMeter) -> list[str]:
    """Wrap the stages; return the ones that could not be found."""
    import importlib

    missing = []

    def wrapped(original, label_of):
        def wrapper(*args, **kwargs):
            meter.enter(label_of(args, kwargs))
            try:
                return original(*args, **kwargs)
            finally:
                meter.leave()
        wrapper.__wrapped__ = original
        return wrapper

    def module_or_none(name: str):
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    for module_name, attr, label in FUNCTIONS:
        module = module_or_none(module_name)
        original = getattr(module, attr, None)
        if original is None:
            missing.append(f"{module_name}.{attr}")
            continue
        replacement = wrapped(original, lambda a, k, label=label: label)
        setattr(module, attr, replacement)
        # Also where another module bound the function at import time.
        for other in [m for name, m in sys.modules.items() if name.startswith("pipeline") and m is not None]:
            for name, value in list(vars(other).items()):
                if value is original:
                    setattr(other, name, replacement)
    def label_for(label: str):
        # A layout made to fit the running head is not one of the PDFs' layouts: say so.
        def label_of(args, kwargs) -> str:
            if label.startswith("WeasyPrint layout") and any(f[0].startswith("running head") for f in meter.stack):
                return RUNNING_HEAD_LAYOUT
            return label
        return label_of

    for module_name, cls_name, attr, label in METHODS:
        cls = getattr(module_or_none(module_name), cls_name, None)
        if cls is None or not hasattr(cls, attr):
            missing.append(f"{module_name}.{cls_name}.{attr}")
            continue
        setattr(cls, attr, wrapped(getattr(cls, attr), label_for(label)))

    from pipeline.pandoc import PandocSession

    request = PandocSession.request
    seen: dict[int, float] = {}

    def metered_request(self, op, *args, **kwargs):
        fmt = kwargs.get("format", "")
        label = PANDOC_PREFIX + {"read_many": "read Markdown", "citeproc": "citeproc",
                                 "bibtex": "read BibTeX"}.get(op, f"{op} {fmt}".strip())
        meter.enter(label)
        cpu = 0.0
        try:
            return request(self, op, *args, **kwargs)
        finally:
            pid, now = _pandoc_cpu(self)
            if pid is not None:
                cpu = max(0.0, now - seen.get(pid, 0.0))
                seen[pid] = now
            meter.leave(pandoc_cpu=cpu)

    PandocSession.request = metered_request

    original_import = builtins.__import__

    def metered_import(name, globals=None, locals=None, fromlist=(), level=0):
        before = len(sys.modules)
        meter.enter(IMPORTS)
        try:
            return original_import(name, globals, locals, fromlist, level)
        finally:
            meter.leave(cancel=len(sys.modules) == before)

    builtins.__import__ = metered_import
    return missing


def child_split(brief: Path, out: Path, result: Path) -> int:
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    meter = StageMeter()
    meter.enter(IMPORTS)
    import weasyprint  # noqa: F401
    import weasyprint.document  # noqa: F401
    import weasyprint.text.fonts  # noqa: F401

    import pipeline.compose  # noqa: F401
    import pipeline.content  # noqa: F401
    import pipeline.convert  # noqa: F401
    import pipeline.document  # noqa: F401
    import pipeline.docx_endnotes  # noqa: F401
    import pipeline.epub  # noqa: F401
    import pipeline.job
    import pipeline.model  # noqa: F401
    import pipeline.pandoc  # noqa: F401
    import pipeline.pdf  # noqa: F401
    import pipeline.publish  # noqa: F401
    import pipeline.render  # noqa: F401
    import pipeline.stage  # noqa: F401
    meter.leave()
    missing = _install(meter)
    os.environ["BRIEF_JOB_QUIET"] = "1"
    pipeline.job.QUIET = True
    status = pipeline.job.main(job_command(brief, out)[3:])
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.write_text(json.dumps({
        "status": status, "stages": meter.totals, "missing": missing,
        "wall": time.perf_counter() - started_wall, "cpu": time.process_time() - started_cpu,
        "pandoc_cpu": kids.ru_utime + kids.ru_stime, "maxrss_kb": _maxrss_kb(),
    }), encoding="utf-8")
    return status


# --------------------------------------------------------------------------
# cProfile, grouped by module

WEASYPRINT_FAMILY = {"weasyprint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "html5lib", "PIL",
                     "cffi", "pycparser", "pyphen", "webencodings", "zopfli", "brotli"}
FAMILIES = [
    ("pandoc (waiting for the coprocess: read, citeproc, writes)", lambda g: g in ("waiting for pandoc",
                                                                                 "pipeline.pandoc")),
    ("WeasyPrint (layout, CSS, fonts, PDF writing)", lambda g: g.split(".")[0] in WEASYPRINT_FAMILY),
    ("fontTools (WOFF2 compression, font checks; subsetting when WeasyPrint lacks HarfBuzz)",
     lambda g: g == "fontTools"),
    ("uharfbuzz (the EPUB, DOCX and web edition's font subsets)", lambda g: g == "uharfbuzz"),
    ("read + validate (pipeline.content, markdown, references, schema, yaml, jsonschema)",
     lambda g: g in ("pipeline.content", "pipeline.markdown", "pipeline.references", "pipeline.schema",
                     "pipeline.yamlsource", "pipeline.csl", "pipeline.errors", "pipeline.images", "yaml",
                     "jsonschema", "referencing", "rpds", "attrs", "jsonschema_specifications")),
    ("numbering + compose (pipeline.document, compose, tree, notes, model)",
     lambda g: g in ("pipeline.document", "pipeline.compose", "pipeline.tree", "pipeline.notes",
                     "pipeline.model", "pipeline.labels")),
    ("HTML page (pipeline.render, Jinja2, lxml)", lambda g: g in ("pipeline.render", "jinja2", "markupsafe", "lxml")),
    ("DOCX/EPUB post-processing (pipeline.docx_*, epub, zip)",
     lambda g: g.startswith("pipeline.docx") or g in ("pipeline.epub", "pipeline.ziputil", "pipeline.convert",
                                                      "stdlib: zipfile", "stdlib: zlib")),
    ("publish (pipeline.publish, manifest, hashing, pypdf)",
     lambda g: g in ("pipeline.publish", "pipeline.manifest", "pipeline.fsutil", "stdlib: hashlib", "pypdf")),
    ("Python imports", lambda g: g == IMPORTS),
]


def _group(filename: str, func: str) -> str | None:
    """The group of a function; None for a C function (charged to its callers)."""
    if filename == "~":
        if "select.epoll" in func or "select.poll" in func or "select.select" in func:
            return "waiting for pandoc"
        if "zlib" in func:
            return "stdlib: zlib"
        return None
    if filename.startswith("<frozen importlib") or filename.startswith("<frozen zipimport"):
        return IMPORTS
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        parts = path.split("/site-packages/", 1)[1].split("/")
        top = parts[0].removesuffix(".py")
        if top == "weasyprint" and len(parts) > 2:
            return "weasyprint." + parts[1].removesuffix(".py")
        return top
    if "/pipeline/" in path and path.endswith(".py"):
        return "pipeline." + Path(path).stem
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib: " + rest.split("/")[0].removesuffix(".py")
    if filename.startswith("<frozen "):
        return "stdlib: " + filename[8:].rstrip(">")
    return "other"


def group_profile(stats_path: Path) -> tuple[dict[str, float], float]:
    """Self time (s) by group, and the total."""
    raw = pstats.Stats(str(stats_path)).stats
    groups: dict[str, float] = defaultdict(float)
    for (filename, _, func), (_, _, tottime, _, callers) in raw.items():
        group = _group(filename, func)
        if group is not None:
            groups[group] += tottime
            continue
        share = sum(c[2] for c in callers.values())
        if not callers or share <= 0:
            groups["C functions (caller unknown)"] += tottime
            continue
        for (cfile, _, cfunc), caller in callers.items():
            groups[_group(cfile, cfunc) or "C functions (called from C)"] += tottime * caller[2] / share
    return dict(groups), sum(groups.values())


def family_of(group: str) -> str:
    return next((name for name, test in FAMILIES if test(group)), "other (standard library, start-up, ...)")


# --------------------------------------------------------------------------
# The report

def _median_split(runs: list[dict]) -> dict[str, dict]:
    labels = {label for run in runs for label in run["stages"]}
    return {label: {key: statistics.median(run["stages"].get(label, {}).get(key, 0.0) for run in runs)
                    for key in ("wall", "cpu", "pandoc_cpu", "calls", "rss_kb")} for label in labels}


def profile(brief: Path | None = None, repeat: int = 3, project: Path = REPO, env: dict | None = None,
            title: str = "") -> tuple[str, dict]:
    """(Markdown report, figures) for one brief; ``project`` is the code to run (run.py passes its snapshot)."""
    project = Path(project).resolve()
    env = dict(env or os.environ)
    env["PYTHONPATH"] = str(project) + os.pathsep + env.get("PYTHONPATH", "")
    env["BRIEF_JOB_QUIET"] = "1"
    with tempfile.TemporaryDirectory(prefix="brief-profile-") as tmpname:
        tmp = Path(tmpname)
        if brief is None:
            sys.path.insert(0, str(HERE))
            from make_corpus import make_brief

            brief = make_brief(tmp / "content", 1)
        brief = Path(brief).resolve()
        sys.path.insert(0, str(HERE))
        from make_corpus import brief_stats

        words, sections, refs = brief_stats(brief)

        def fresh(name: str) -> Path:
            path = tmp / name
            shutil.rmtree(path, ignore_errors=True)
            return path

        # 1. The job as Snakemake runs it, and a bare interpreter.
        bare = [run_timed([PYTHON, "-c", "pass"], env=env) for _ in range(repeat)]
        def cold(i: int) -> dict:  # every run starts with an empty reference cache, as a first build does
            return dict(env, BRIEF_CACHE_DIR=str(fresh(f"cache-{i}")))

        jobs = [run_timed(job_command(brief, fresh("job")), cwd=tmp, env=cold(i)) for i in range(repeat)]
        # 2. The split.
        splits = []
        for i in range(repeat):
            result = tmp / f"split-{i}.json"
            run_timed([PYTHON, str(Path(__file__).resolve()), "--child-split", str(brief), str(fresh("split")),
                       str(result)], cwd=tmp, env=cold(repeat + i))
            splits.append(json.loads(result.read_text(encoding="utf-8")))
        # 3. cProfile.
        prof = tmp / "job.prof"
        run_timed([PYTHON, "-m", "cProfile", "-o", str(prof), *job_command(brief, fresh("cprofile"))[1:]],
                  cwd=tmp, env=cold(2 * repeat))
        groups, profiled_total = group_profile(prof)

    job_wall = statistics.median(j[0] for j in jobs)
    job_cpu = statistics.median(j[1] for j in jobs)
    start_wall = statistics.median(b[0] for b in bare)
    split = _median_split(splits)
    split_wall = statistics.median(s["wall"] for s in splits)
    split_cpu = statistics.median(s["cpu"] for s in splits)
    pandoc_total = statistics.median(s["pandoc_cpu"] for s in splits)
    peak = statistics.median(s["maxrss_kb"] for s in splits) / 1024
    missing = sorted({m for s in splits for m in s["missing"]})

    lines = [f"### {title or 'One job'}: {brief.name} ({words} words, {sections} sections, {refs} references)", ""]
    lines += [f"`python -m pipeline.job` into an empty folder, median of {repeat}: **{job_wall:.2f} s wall, "
              f"{job_cpu:.2f} s CPU** (the job and its pandoc coprocess); a bare `python -c pass` takes "
              f"{start_wall:.3f} s.", ""]
    lines += [f"**Time split** (one process per run, median of {repeat}; every second is charged to one stage; "
              f"total {split_wall:.2f} s wall after interpreter start-up, {split_cpu:.2f} s CPU in the job's "
              f"process, {pandoc_total:.2f} s CPU in pandoc; peak RSS {peak:.0f} MB):", "",
              "| stage | wall s | share | job CPU s | pandoc CPU s | calls | peak RSS growth MB |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    ordered = sorted(split.items(), key=lambda kv: -kv[1]["wall"])
    accounted = sum(v["wall"] for v in split.values())
    for label, v in ordered:
        lines.append(f"| {label} | {v['wall']:.3f} | {v['wall'] / split_wall:.0%} | {v['cpu']:.3f} | "
                     f"{v['pandoc_cpu']:.3f} | {v['calls']:.0f} | {v['rss_kb'] / 1024:.0f} |")
    lines.append(f"| (outside the stages: interpreter shutdown, the meter) | {split_wall - accounted:.3f} | "
                 f"{(split_wall - accounted) / split_wall:.0%} | | | | |")
    pandoc_wall = sum(v["wall"] for k, v in split.items() if k.startswith(PANDOC_PREFIX))
    weasy_wall = sum(v["wall"] for k, v in split.items() if k.startswith("WeasyPrint"))
    lines += ["", f"Groups: pandoc requests {pandoc_wall:.2f} s, WeasyPrint layout + PDF writing {weasy_wall:.2f} s, "
              f"Python imports {split.get(IMPORTS, {}).get('wall', 0):.2f} s, the pipeline's own Python (everything "
              f"else) {split_wall - pandoc_wall - weasy_wall - split.get(IMPORTS, {}).get('wall', 0):.2f} s; plus "
              f"interpreter start-up {start_wall:.3f} s."]
    if missing:
        lines.append(f"(Not found in this version of the pipeline, not metered: {', '.join(missing)}.)")
    families: dict[str, float] = defaultdict(float)
    for group, seconds in groups.items():
        families[family_of(group)] += seconds
    lines += ["", f"**cProfile, self time by module** (one run, {profiled_total:.2f} s under the profiler; "
              "C functions charged to their callers):", "",
              "| what | s | share |", "|---|---:|---:|"]
    for name, seconds in sorted(families.items(), key=lambda kv: -kv[1]):
        lines.append(f"| **{name}** | **{seconds:.2f}** | **{seconds / profiled_total:.0%}** |")
    lines += ["", "| module | s | share |", "|---|---:|---:|"]
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"| {group} | {seconds:.3f} | {seconds / profiled_total:.1%} |")
    figures = {"brief": brief.name, "words": words, "sections": sections, "references": refs,
               "job_wall": job_wall, "job_cpu": job_cpu, "python_start": start_wall, "split": split,
               "split_wall": split_wall, "pandoc_wall": pandoc_wall, "weasyprint_wall": weasy_wall,
               "imports_wall": split.get(IMPORTS, {}).get("wall", 0.0), "pandoc_cpu": pandoc_total,
               "peak_mb": peak, "families": dict(families), "profiled_total": profiled_total}
    return "\n".join(lines) + "\n", figures


def plain_split(brief: Path, repeat: int = 3) -> tuple[str, dict]:
    """The plain way (benchmarks/baseline.py) for one brief, command by command, one at a time."""
    sys.path.insert(0, str(HERE))
    import baseline

    pandoc = baseline.pandoc_path()
    kinds: dict[str, list[float]] = defaultdict(list)
    walls: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="brief-plain-") as tmpname:
        out = Path(tmpname)
        for _ in range(repeat):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            chains = baseline.tasks_for(brief.resolve(), out, pandoc)
            per_run: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            per_run["gluing the Markdown (Python, in the driver)"] = [time.perf_counter() - wall0,
                                                                     time.process_time() - cpu0]
            for chain in chains:
                for command in chain:
                    if Path(command[0]).name == "weasyprint":
                        kind = "`weasyprint` command (HTML -> PDF)"
                    else:
                        target = command[command.index("-o") + 1].rsplit(".", 1)[1].upper()
                        kind = f"pandoc --citeproc -> {target}"
                    wall, cpu = run_timed(command)
                    per_run[kind][0] += wall
                    per_run[kind][1] += cpu
            for kind, (wall, cpu) in per_run.items():
                walls[kind].append(wall)
                kinds[kind].append(cpu)
    by_kind = {k: statistics.median(v) for k, v in kinds.items()}
    wall_by_kind = {k: statistics.median(v) for k, v in walls.items()}
    total = sum(by_kind.values())
    lines = [f"### The plain way for the same brief ({brief.name}), one command at a time (median of {repeat})", "",
             "| commands (both variants) | wall s | CPU s |", "|---|---:|---:|"]
    for kind in sorted(by_kind, key=lambda k: -by_kind[k]):
        lines.append(f"| {kind} | {wall_by_kind[kind]:.2f} | {by_kind[kind]:.2f} |")
    lines.append(f"| **total** | **{sum(wall_by_kind.values()):.2f}** | **{total:.2f}** |")
    return "\n".join(lines) + "\n", {"by_kind": by_kind, "cpu": total}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-split"]:
        return child_split(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brief", type=Path, help="a brief folder (default: generated corpus brief 1)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    report, _ = profile(args.brief, args.repeat)
    print(report)
    if args.brief is not None:
        print(plain_split(args.brief, args.repeat)[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
