# Brief pipeline: every brief under content/ into build/<slug>/ as short and
# long PDF, DOCX and EPUB, a web edition (web/) and manifest.json, and the
# collection index build/index.html. Wiring only: the rules are in
# rules/, their logic in the pipeline package (pipeline/job.py).


include: "rules/common.smk"


# Snakemake's own metadata (.snakemake/) lives with the build folder it describes.
workdir: BUILD_DIR


include: "rules/brief.smk"
include: "rules/index.smk"


onstart:
    hold_build_lock()


onerror:
    index_after_failure()


rule all:
    default_target: True
    input:
        markers=all_markers(),
        index=index_marker(),
        refused=refused_briefs(),
