"""The workflow runs unchanged under a cluster executor.

Fifty briefs (the mini fixture under fifty names and titles) are built twice
with the same SOURCE_DATE_EPOCH: once locally and once through Snakemake's
cluster-generic executor, whose submit command
(profiles/cluster-generic-local/submit.sh) starts every job as a separate,
detached process running its own Snakemake, as a batch system would, with
the jobs grouped ten briefs per submission as the SLURM profile groups them.
If a rule read or wrote anything it does not declare, or relied on state left
by another job in the same process, the two builds would differ or fail.
"""

from __future__ import annotations

import csv
import os
import shutil

from conftest import FIXTURES, REPO, run_snakemake

SUBMIT = REPO / "profiles" / "cluster-generic-local" / "submit.sh"
SLUGS = [f"brief-{n:02d}" for n in range(1, 51)]
EPOCH = "1764288000"  # 2025-11-28 00:00 UTC


def outputs(slug: str) -> list[str]:
    return [f"{slug}-{variant}.{fmt}" for variant in ("short", "long") for fmt in ("pdf", "docx", "epub")]


def test_cluster_generic_executor_gives_the_same_bytes_as_a_local_run(tmp_path):
    content = tmp_path / "content"
    for number, slug in enumerate(SLUGS, start=1):
        shutil.copytree(FIXTURES / "mini", content / slug)
        meta = content / slug / "brief.yaml"
        meta.write_text(meta.read_text().replace("Ferry links in Example Province",
                                                 f"Ferry links in Example Province, part {number}"))
    accounting = tmp_path / "jobs.tsv"
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, LOCAL_CLUSTER_ACCOUNTING=str(accounting),
               LOCAL_CLUSTER_LOGDIR=str(tmp_path / "job-logs"))

    local = run_snakemake(content, tmp_path / "local", env=env)
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]

    cluster = run_snakemake(
        content, tmp_path / "cluster",
        "--executor", "cluster-generic",
        "--cluster-generic-submit-cmd",
        f"{SUBMIT} --name {{rule}} --mem {{resources.mem_mb}} --time {{resources.runtime}}",
        "--jobs", "2", "--seconds-between-status-checks", "1", "--latency-wait", "5",
        "--groups", "brief=briefs", "--group-components", "briefs=10",
        env=env,
    )
    logs = "".join(p.read_text(errors="replace")[-2000:] for p in sorted((tmp_path / "job-logs").glob("*.log")))
    assert cluster.returncode == 0, cluster.stdout[-3000:] + cluster.stderr[-3000:] + logs

    # Every job went through the submit script, with its rule's resources.
    with open(accounting, newline="") as f:
        jobs = list(csv.reader(f, delimiter="\t"))
    assert jobs, "no job was submitted through the cluster-generic executor"
    # five group jobs of ten briefs each (Snakemake names a group job's rule "GROUP" in the submit
    # command), and the collection index, a job of its own once every brief is built
    rules = sorted(rule for _, rule, _, _ in jobs)
    assert rules == ["GROUP"] * 5 + ["index"], rules
    for job_id, rule, mem_mb, runtime in jobs:
        assert mem_mb.isdigit() and int(mem_mb) > 0, f"{rule}: no mem_mb resource"
        assert runtime.isdigit() and int(runtime) > 0, f"{rule}: no runtime resource"
        assert (tmp_path / "job-logs" / f"{job_id}.log").exists()

    # The same six outputs and manifest of every brief, byte for byte.
    for slug in SLUGS:
        for name in [*outputs(slug), "manifest.json"]:
            mine, theirs = tmp_path / "local" / slug / name, tmp_path / "cluster" / slug / name
            assert mine.is_file(), f"local run did not write {slug}/{name}"
            assert theirs.is_file(), f"cluster run did not write {slug}/{name}"
            assert mine.read_bytes() == theirs.read_bytes(), f"{slug}/{name} differs between the local and the cluster run"
