# Brief pipeline: every brief under content/ into build/<slug>/ as short and
# long PDF, DOCX and EPUB plus manifest.json. Wiring only: the rules are in
# rules/, their logic in the pipeline package (pipeline/steps.py).


include: "rules/common.smk"
include: "rules/brief.smk"


onstart:
    start_worker()


rule all:
    default_target: True
    input:
        manifests=all_manifests(),
