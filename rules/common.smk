# Configuration, paths and input functions shared by the rules.

import functools
import hashlib
import json
import sys
from pathlib import Path

from pipeline.buildlock import hold_for_snakemake
from pipeline.console import say, whole_messages
from pipeline.folders import SLUG_RE, discover_briefs, files_present, source_listing
from pipeline.fsutil import write_bytes_if_changed
from pipeline.job import expected_outputs
from pipeline.fonts import catalogue_digest
from pipeline.refuse import job_name

# Snakemake writes a message and its line end in two writes: a job's error
# line could land between them, glued to Snakemake's line (pipeline/console.py).
whole_messages()

CONTENT_DIR = Path(config.get("content_dir", "content")).resolve()
BUILD_DIR = Path(config.get("build_dir", "build")).resolve()
for _name, _folder in (("content_dir", CONTENT_DIR), ("build_dir", BUILD_DIR)):
    if "{" in str(_folder) or "}" in str(_folder):
        raise WorkflowError(
            f"{_name} {_folder}: Snakemake cannot use a folder whose path holds {{ or }}; rename it"
        )
REPO_DIR = Path(workflow.basedir)
TEMPLATES_DIR = REPO_DIR / "templates"
# The interpreter of the jobs: the one running Snakemake (.venv), unless set;
# named the same whether Snakemake was started as python, python3 or
# snakemake, so that switching between them does not change the rules' params
# (which would rebuild every brief).
_PYTHON3 = Path(sys.prefix) / "bin" / "python3"
PYTHON = config.get("python", str(_PYTHON3) if _PYTHON3.exists() else sys.executable)
CONDA_ENV = str(REPO_DIR / "envs" / "brief.yaml")

_FOLDERS = discover_briefs(CONTENT_DIR)
if config.get("briefs"):
    _CHOSEN = set(str(config["briefs"]).split(","))
    _FOLDERS = [f for f in _FOLDERS if f.name in _CHOSEN]
# A folder whose name is not a valid slug is still reported, by a job of its
# own that fails (rule refused), so that it never stops the other briefs.
SLUGS = [f.name for f in _FOLDERS if SLUG_RE.match(f.name)]
# Refused folders go by a name without braces or slashes (any folder name is data).
REFUSED = {job_name(f.name): f for f in _FOLDERS if not SLUG_RE.match(f.name)}


wildcard_constraints:
    slug=r"[a-z0-9][a-z0-9-]*",


def marker_path(slug):
    return BUILD_DIR / slug / ".work" / "published.json"


def _forget_lost_outputs(slug):
    """A published file removed by hand is published again: the marker goes, so the job reruns."""
    marker = marker_path(slug)
    if marker.is_file():
        names = [*expected_outputs(slug), "manifest.json", *_listed_outputs(slug)]
        if len(files_present(BUILD_DIR / slug, names)) < len(set(names)):
            marker.unlink()


def _listed_outputs(slug):
    """The files the brief's manifest.json lists (the web edition's style sheet, fonts, images ...)."""
    try:
        manifest = json.loads(
            (BUILD_DIR / slug / "manifest.json").read_text(encoding="utf-8")
        )
        return [str(entry["file"]) for entry in manifest["outputs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


@functools.cache
def _markers():
    for slug in SLUGS:
        _forget_lost_outputs(slug)
    return tuple(str(marker_path(slug)) for slug in SLUGS)


def all_markers():
    """Every brief's marker; their published files are checked once per run."""
    return list(_markers())


def index_marker():
    """The collection index's marker; gone when build/index.html is, so that the index is written again."""
    marker = BUILD_DIR / ".work" / "index-published.json"
    if marker.is_file() and not (BUILD_DIR / "index.html").is_file():
        marker.unlink()
    return str(marker)


def refused_briefs():
    return [str(BUILD_DIR / ".work" / "refused" / f"{name}.txt") for name in REFUSED]


def refused_folder(wildcards):
    return str(REFUSED[wildcards.name])


def brief_sources(wildcards):
    """The brief's one input: build/<slug>/.work/sources.txt, its files (its folder's and its theme's) with
    their sizes and modification times, rewritten only when that changes. Editing, adding or removing any
    of them rebuilds only this brief.

    Why not the files themselves: Snakemake checks every input of every job in each run (a no-op rebuild of
    1,000 briefs checked 12,000 paths), and a file whose name holds braces cannot be an input at all
    (Snakemake reads {...} as a wildcard).
    """
    return _sources_listing(wildcards.slug)


@functools.cache
def _sources_listing(slug):
    """Written at most once per run, and only by the Snakemake process that plans the run: a cluster job's
    own Snakemake reads the rules again, and must not touch what the main process compared.
    """
    listing = BUILD_DIR / slug / ".work" / "sources.txt"
    if workflow.is_main_process:
        write_bytes_if_changed(
            listing, source_listing(CONTENT_DIR / slug).encode("utf-8")
        )
    return str(listing)


@functools.cache
def templates_digest():
    """A digest of the files under templates/ that a build reads: a parameter of every brief's job, so that
    changing one rebuilds every brief. (As inputs, the 20 files made Snakemake's DAG check 20,000 paths
    in a no-op rebuild of 1,000 briefs; a parameter is one string per job, compared with the one
    Snakemake recorded.)"""
    digest = hashlib.sha256()
    for name in template_files():
        digest.update(Path(name).relative_to(TEMPLATES_DIR).as_posix().encode() + b"\0")
        with open(name, "rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()[:16]


def template_files():
    """Every file under templates/ that a build reads (not the generators beside them)."""
    return sorted(
        str(p)
        for p in TEMPLATES_DIR.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".md", ".txt")
    )


@functools.cache
def engine_version():
    """A digest of the pipeline's code and of the installed fonts of its catalogue: a new version of
    either (an update of Debian's Noto packages) rebuilds every brief."""
    digest = hashlib.sha256()
    for path in sorted((REPO_DIR / "pipeline").rglob("*")):
        if path.suffix in (".py", ".lua", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(REPO_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(catalogue_digest().encode())
    return digest.hexdigest()[:16]


def hold_build_lock():
    """Plain snakemake holds the build folder's lock too, so that brief can tell a stale lock."""
    global BUILD_LOCK_FD
    BUILD_LOCK_FD = hold_for_snakemake(BUILD_DIR)


def index_after_failure():
    """The index rule waits for every brief's job, so a failed brief would keep the collection index as
    it was: list what the briefs that did build have published, and the failed ones' last good outputs.
    """
    from pipeline.site_index import build_index

    try:
        build_index(CONTENT_DIR, BUILD_DIR, TEMPLATES_DIR)
    except OSError as exc:
        # the build has failed already: say so, and let its own reason stand
        say(f"brief: the collection index was not updated: {exc}")
