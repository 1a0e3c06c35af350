"""Run Snakemake in this process and record its own CPU time, apart from its jobs'.

Usage::

    python benchmarks/smk_self.py RESULT_JSON [--cprofile OUT] -- SNAKEMAKE_ARGS...
    python benchmarks/smk_self.py RESULT_JSON [--cprofile OUT] --runner REQUEST_JSON

The first form is ``snakemake SNAKEMAKE_ARGS...`` (Snakemake's command line);
the second runs ``python -m pipeline.runner REQUEST_JSON``, the process that
``brief build`` starts to drive Snakemake through its Python API. Either way
Snakemake's scheduling, DAG building and bookkeeping happen in this process,
and its jobs in child processes; at exit RESULT_JSON receives

    {"self_cpu": user+system s of this process (every thread), "children_cpu": of its waited-for children,
     "wall": s from start to exit, "exit": status, "maxrss_kb": this process's peak RSS}

That is exact where polling /proc would miss the end of the run, and it is
what the touch experiment of run.py needs: Snakemake's own cost per job with
the jobs themselves reduced to ``touch``. With ``--cprofile`` the run is also
profiled (cProfile, stats written to OUT).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

START = time.perf_counter()


def _write(result_path: Path, status: int) -> None:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    result_path.write_text(json.dumps({
        "self_cpu": me.ru_utime + me.ru_stime,
        "children_cpu": kids.ru_utime + kids.ru_stime,
        "wall": time.perf_counter() - START,
        "exit": status,
        "maxrss_kb": me.ru_maxrss,
    }) + "\n", encoding="utf-8")


def _run(target: list[str]) -> int:
    if target[0] == "--runner":
        from pipeline.runner import main as runner_main

        return runner_main(target[1:2])
    from snakemake.cli import main as snakemake_main

    sys.argv = ["snakemake", *target]
    try:
        snakemake_main(target)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main() -> int:
    args = sys.argv[1:]
    result_path = Path(args.pop(0))
    profile_out = None
    if args[:1] == ["--cprofile"]:
        profile_out = args[1]
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: smk_self.py RESULT_JSON [--cprofile OUT] (-- SNAKEMAKE_ARGS... | --runner REQUEST)",
              file=sys.stderr)
        return 2
    status = 1
    try:
        if profile_out:
            import cProfile

            profiler = cProfile.Profile()
            try:
                status = profiler.runcall(_run, args)
            finally:
                profiler.dump_stats(profile_out)
        else:
            status = _run(args)
    finally:
        _write(result_path, status)
    return status


if __name__ == "__main__":
    sys.exit(main())
