# The collection index: build/index.html and build/index.json list every brief
# with its outputs (pipeline/site_index.py). It runs after the briefs' jobs and
# again whenever one of them publishes; like a brief's job, it declares a
# marker, written last, rather than the index itself, which Snakemake would
# delete when the job starts.


rule index:
    input:
        markers=all_markers(),
        template=str(TEMPLATES_DIR / "index.html.j2"),
    output:
        marker=index_marker(),
    log:
        str(BUILD_DIR / ".work" / "logs" / "index.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=300,
        runtime=5,
    params:
        python=PYTHON,
        content=CONTENT_DIR,
        build=BUILD_DIR,
        templates=TEMPLATES_DIR,
        engine=engine_version(),
    shell:
        "exec {params.python:q} -m pipeline.site_index --content {params.content:q} --build {params.build:q}"
        " --templates {params.templates:q} --marker {output.marker:q} 2> {log:q}"
