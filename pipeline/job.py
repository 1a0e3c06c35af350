"""What a Snakemake rule runs: one build step, in a warm worker if one is up.

Starting Python and importing WeasyPrint costs about a second per job, more
than most steps take. When the workflow runs locally, ``rules/common.smk``
starts a :mod:`pipeline.worker` that has imported everything once and forks a
fresh child per job; this client hands the step to it and relays its output
and exit status. Without a worker (e.g. a cluster node, or a worker that is
not up yet) the step runs in this process. Either way the step is
``pipeline.steps.main`` with the same arguments, reading and writing only the
rule's declared files.

This module must stay cheap to import: standard library only.
"""

from __future__ import annotations

import json
import os
import socket
import sys

WORKER_ENV = "BRIEF_PIPELINE_WORKER"
# Environment that a step may depend on and that the worker must see as the job sees it.
FORWARDED_ENV = ("SOURCE_DATE_EPOCH",)


def _via_worker(path: str, argv: list[str]) -> int | None:
    """Run the step in the worker; None if there is no worker to run it."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(path)
    except OSError:
        return None
    request = {"argv": argv, "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in FORWARDED_ENV}}
    with connection, connection.makefile("rwb") as stream:
        stream.write(json.dumps(request).encode() + b"\n")
        stream.flush()
        connection.shutdown(socket.SHUT_WR)
        reply = stream.read()
    if not reply:
        return None  # the worker went away before answering: run it here
    answer = json.loads(reply)
    sys.stderr.write(answer["output"])
    sys.stderr.flush()
    return int(answer["status"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    path = os.environ.get(WORKER_ENV)
    if path:
        status = _via_worker(path, argv)
        if status is not None:
            return status
    from pipeline.steps import main as run_step

    return run_step(argv)


if __name__ == "__main__":
    sys.exit(main())
