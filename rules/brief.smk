# One brief: prepare (validate, normalise, render both variants) -> staged PDF
# per variant -> final outputs per variant -> manifest.
# Validation and the page-limit check run in rules whose outputs are
# intermediates, because Snakemake deletes the outputs of a failed job: the
# last good final outputs of a broken brief must survive.


rule prepare:
    input:
        sources=brief_sources,
        csl=template_files("csl/brief-notes.csl"),
        templates=template_files("brief.md.j2", "page.html.j2", "filters/quotes.lua"),
    output:
        document=work_path("brief.json"),
        short_html=work_path("{slug}-short.html"),
        short_html_md=work_path("{slug}-short.html.md"),
        short_docx_md=work_path("{slug}-short.docx.md"),
        short_epub_md=work_path("{slug}-short.epub.md"),
        long_html=work_path("{slug}-long.html"),
        long_html_md=work_path("{slug}-long.html.md"),
        long_docx_md=work_path("{slug}-long.docx.md"),
        long_epub_md=work_path("{slug}-long.epub.md"),
    log:
        log_path("prepare.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=300,
        runtime=5,
    params:
        python=PYTHON,
        templates=TEMPLATES_DIR,
        brief=brief_dir,
    shell:
        "{params.python} -m pipeline.job --log {log} --templates {params.templates} prepare"
        " --brief {params.brief} --out {output.document}"


rule pdf:
    input:
        document=work_path("brief.json"),
        html=work_path("{slug}-{variant}.html"),
        css=template_files("css/fonts.css", "css/brief.css"),
        fonts=font_files(),
        resources=brief_resources,
    output:
        pdf=work_path("{slug}-{variant}.pdf"),
    log:
        log_path("pdf-{variant}.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=500,
        runtime=10,
    params:
        python=PYTHON,
        templates=TEMPLATES_DIR,
        brief=brief_dir,
    shell:
        "{params.python} -m pipeline.job --log {log} --templates {params.templates} pdf"
        " --document {input.document} --html {input.html} --variant {wildcards.variant}"
        " --brief {params.brief} --out {output.pdf}"


rule publish:
    input:
        document=work_path("brief.json"),
        staged_pdf=work_path("{slug}-{variant}.pdf"),
        docx_md=work_path("{slug}-{variant}.docx.md"),
        epub_md=work_path("{slug}-{variant}.epub.md"),
        reference_docx=template_files(
            "docx/reference.docx", "docx/reference-letter.docx"
        ),
        epub_css=template_files("css/fonts.css", "css/epub.css"),
        quotes_filter=template_files("filters/quotes.lua"),
        fonts=font_files(),
        resources=brief_resources,
    output:
        pdf=out_path("{slug}-{variant}.pdf"),
        docx=out_path("{slug}-{variant}.docx"),
        epub=out_path("{slug}-{variant}.epub"),
    log:
        log_path("publish-{variant}.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=400,
        runtime=10,
    params:
        python=PYTHON,
        templates=TEMPLATES_DIR,
        brief=brief_dir,
    shell:
        "{params.python} -m pipeline.job --log {log} --templates {params.templates} publish"
        " --document {input.document} --variant {wildcards.variant} --brief {params.brief}"
        " --staged-pdf {input.staged_pdf} --docx-md {input.docx_md} --epub-md {input.epub_md}"
        " --out-pdf {output.pdf} --out-docx {output.docx} --out-epub {output.epub}"


rule manifest:
    input:
        document=work_path("brief.json"),
        outputs=final_outputs,
    output:
        manifest=out_path("manifest.json"),
    log:
        log_path("manifest.log"),
    conda:
        CONDA_ENV
    resources:
        mem_mb=200,
        runtime=5,
    params:
        python=PYTHON,
        templates=TEMPLATES_DIR,
    shell:
        "{params.python} -m pipeline.job --log {log} --templates {params.templates} manifest"
        " --document {input.document} --out {output.manifest} {input.outputs}"
