# Configuration, paths and input functions shared by the rules.

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.content import brief_source_files, discover_briefs
from pipeline.job import WORKER_ENV

CONTENT_DIR = Path(config.get("content_dir", "content")).resolve()
BUILD_DIR = Path(config.get("build_dir", "build")).resolve()
TEMPLATES_DIR = Path(workflow.basedir, "templates")
# The interpreter of the jobs: the one running Snakemake (.venv), unless set.
PYTHON = config.get("python", sys.executable)
CONDA_ENV = str(Path(workflow.basedir, "envs", "brief.yaml"))
VARIANTS = ["short", "long"]
FORMATS = ["pdf", "docx", "epub"]

SLUGS = [p.name for p in discover_briefs(CONTENT_DIR)]
if config.get("briefs"):
    SLUGS = [s for s in SLUGS if s in str(config["briefs"]).split(",")]


wildcard_constraints:
    slug=r"[a-z0-9][a-z0-9-]*",
    variant="short|long",


def work_path(name):
    """A file in the brief's intermediate folder, with {slug} wildcards."""
    return str(BUILD_DIR / "{slug}" / ".work" / name)


def out_path(name):
    """A final output of a brief, with {slug} wildcards."""
    return str(BUILD_DIR / "{slug}" / name)


def log_path(name):
    return str(BUILD_DIR / "{slug}" / ".work" / "logs" / name)


def all_manifests():
    return [str(BUILD_DIR / slug / "manifest.json") for slug in SLUGS]


def brief_dir(wildcards):
    return str(CONTENT_DIR / wildcards.slug)


@functools.cache
def _source_files(slug):
    """The brief's files, listed once per run (several rules ask for them)."""
    return tuple(brief_source_files(CONTENT_DIR / slug))


def brief_sources(wildcards):
    """Every file of the brief: editing any of them rebuilds only this brief."""
    return [str(p) for p in _source_files(wildcards.slug)]


def brief_resources(wildcards):
    """Files the renderers read from the brief folder besides brief.json: images.

    Text sources are read by ``prepare`` only; declaring them here too would
    only make Snakemake check more files on every scheduling round.
    """
    folder = CONTENT_DIR / wildcards.slug
    text_sources = {
        "brief.yaml",
        "summary.md",
        "references.yaml",
        "references.json",
        "references.bib",
    }
    return [
        str(p)
        for p in _source_files(wildcards.slug)
        if p.name not in text_sources and p.parent != folder / "sections"
    ]


def template_files(*names):
    return [str(TEMPLATES_DIR / name) for name in names]


def font_files():
    return sorted(str(p) for p in (TEMPLATES_DIR / "fonts").glob("*.ttf"))


def final_outputs(wildcards):
    return [
        str(BUILD_DIR / wildcards.slug / f"{wildcards.slug}-{variant}.{fmt}")
        for variant in VARIANTS
        for fmt in FORMATS
    ]


def start_worker():
    """Start a warm step runner for this run's local jobs (see pipeline/job.py).

    Jobs that find no worker (not up yet, or on another machine) run their
    step themselves, so this only saves start-up time. ``--config worker=false``
    turns it off.
    """
    if (
        str(config.get("worker", "true")).lower() in ("false", "0", "no")
        or WORKER_ENV in os.environ
    ):
        return
    path = os.path.join(tempfile.mkdtemp(prefix="brief-worker-"), "socket")
    # The worker stops by itself when this Snakemake process ends.
    # Its output goes nowhere: jobs get theirs through the socket, and a worker
    # that fails to start only means that jobs run their steps themselves.
    subprocess.Popen(
        [PYTHON, "-m", "pipeline.worker", path, str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ[WORKER_ENV] = path
