# One job per brief: stage every output into .work/, then publish them
# atomically with manifest.json (pipeline/job.py). The published files are
# not declared as outputs, because Snakemake deletes a job's outputs when it
# starts and when it fails; the declared output is the marker written last.


rule brief:
    input:
        sources=brief_sources,
    output:
        marker=str(BUILD_DIR / "{slug}" / ".work" / "published.json"),
    log:
        str(BUILD_DIR / "{slug}" / ".work" / "logs" / "build.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=600,
        runtime=10,
    params:
        python=PYTHON,
        templates=TEMPLATES_DIR,
        content=CONTENT_DIR,
        build=BUILD_DIR,
        engine=engine_version(),
        template_files=templates_digest(),
    shell:
        "exec {params.python:q} -m pipeline.job --brief {params.content:q}/{wildcards.slug}"
        " --out {params.build:q}/{wildcards.slug}"
        " --templates {params.templates:q} --marker {output.marker:q} --log {log:q} --parent $PPID"


rule refused:
    output:
        report=str(BUILD_DIR / ".work" / "refused" / "{name}.txt"),
    log:
        str(BUILD_DIR / ".work" / "refused" / "{name}.log"),
    wildcard_constraints:
        name=r"[A-Za-z0-9._-]+",
    conda:
        CONDA_ENV
    params:
        python=PYTHON,
        folder=refused_folder,
    shell:
        "exec {params.python:q} -m pipeline.refuse {params.folder:q} --log {log:q}"
