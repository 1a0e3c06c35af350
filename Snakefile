# Brief pipeline: every brief under content/ into build/<slug>/ as short and
# long PDF, DOCX and EPUB plus manifest.json. Wiring only: the rules are in
# rules/, their logic in the pipeline package (pipeline/job.py).


include: "rules/common.smk"


# Snakemake's own metadata (.snakemake/) lives with the build folder it describes.
workdir: BUILD_DIR


include: "rules/brief.smk"


onstart:
    hold_build_lock()


rule all:
    default_target: True
    input:
        markers=all_markers(),
        refused=refused_briefs(),
