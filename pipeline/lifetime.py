"""Processes that end with their parent, so that a killed build leaves nothing running.

A build step runs as a child of Snakemake (``exec`` in the rule's shell
command); if Snakemake or ``brief build`` is killed, even with SIGKILL, the
kernel sends the step SIGTERM (``PR_SET_PDEATHSIG``), and the step's own
children (pandoc) get the same treatment.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None, signum: int = signal.SIGTERM) -> None:
    """Ask the kernel for ``signum`` when the parent ends; exit now if it already has.

    A build step takes SIGTERM (it stops its pandoc and leaves). The runner
    takes SIGKILL: Snakemake would answer SIGTERM by waiting for its running
    jobs, which would then publish after ``brief build`` was killed; killed
    outright, its jobs get their own SIGTERM and stop.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have gone before the request was made.
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(143)
