# The two commands of the README:
#   make sample   set up (system packages, .venv) and build the sample brief into build/
#   make test     set up, including the validators, and run the whole test suite
.PHONY: setup setup-test sample test lint clean

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

sample: setup
	.venv/bin/snakemake --cores 2

test: setup-test
	.venv/bin/python -m pytest

lint: setup-test
	.venv/bin/snakemake --lint
	.venv/bin/snakefmt --check Snakefile rules/

clean:
	rm -rf build .snakemake
