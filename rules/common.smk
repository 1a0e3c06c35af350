# Configuration, paths and input functions shared by the rules.

import functools
import hashlib
import json
import os
import sys
from pathlib import Path

from pipeline.buildlock import hold_for_snakemake
from pipeline.content import SLUG_RE, brief_source_files, discover_briefs
from pipeline.job import expected_outputs
from pipeline.fonts import catalogue_digest
from pipeline.refuse import job_name

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
    _FOLDERS = [f for f in _FOLDERS if f.name in str(config["briefs"]).split(",")]
# A folder whose name is not a valid slug is still reported, by a job of its
# own that fails (rule refused), so that it never stops the other briefs.
SLUGS = [f.name for f in _FOLDERS if SLUG_RE.match(f.name)]
# Refused folders go by a name without braces or slashes (any folder name is data).
REFUSED = {job_name(f.name): f for f in _FOLDERS if not SLUG_RE.match(f.name)}


wildcard_constraints:
    slug=r"[a-z0-9][a-z0-9-]*",


def _is_pattern_like(path):
    """Snakemake reads {...} in an input path as a wildcard, and has no escape for it."""
    return "{" in str(path) or "}" in str(path)


def marker_path(slug):
    return BUILD_DIR / slug / ".work" / "published.json"


def _forget_lost_outputs(slug):
    """A published file removed by hand is published again: the marker goes, so the job reruns."""
    marker = marker_path(slug)
    if marker.is_file():
        names = [*expected_outputs(slug), "manifest.json", *_listed_outputs(slug)]
        if not _all_files(BUILD_DIR / slug, names):
            marker.unlink()


def _all_files(folder, names):
    """Whether every name (a path relative to folder) is a file there: one listing per subfolder, not one
    stat per name (a no-op rebuild of 1,000 briefs asks this 20,000 times)."""
    listings = {}
    for name in names:
        parent, _, base = name.rpartition("/")
        if parent not in listings:
            try:
                with os.scandir(folder / parent) as entries:
                    listings[parent] = {e.name for e in entries if e.is_file()}
            except OSError:
                return False
        if base not in listings[parent]:
            return False
    return True


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


@functools.cache
def _source_files(slug):
    """The brief's files, listed once per run."""
    return tuple(brief_source_files(CONTENT_DIR / slug))


def brief_sources(wildcards):
    """Every file of the brief: editing any of them rebuilds only this brief.

    A file whose name holds braces cannot be an input (see
    brief_odd_files): it is tracked through a parameter instead.
    """
    return [str(p) for p in _source_files(wildcards.slug) if not _is_pattern_like(p)]


def brief_odd_files(wildcards):
    """Name, size and modification time of the brief's files named with braces: a change reruns the job."""
    return [
        f"{p.relative_to(CONTENT_DIR / wildcards.slug)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in _source_files(wildcards.slug)
        if _is_pattern_like(p)
    ]


def brief_dir(wildcards):
    return str(CONTENT_DIR / wildcards.slug)


def out_dir(wildcards):
    return str(BUILD_DIR / wildcards.slug)


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
        print(f"brief: the collection index was not updated: {exc}", file=sys.stderr)
