"""Golden page images: the first page of each version of the sample and of the stress fixture, and of the
long version of the Arabic and Chinese fixtures.

A stylesheet or template change that moves, resizes or breaks something on
these pages shows here, in review, as a changed PNG. The comparison is
perceptual: small anti-aliasing differences pass, a moved line or a changed
size does not. After an intended change, regenerate the images with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_page_images.py

and look at them (git shows the old and the new PNG) before committing.
"""

from __future__ import annotations

import os

import pytest
from conftest import REPO, SAMPLE
from pdfpages import render_page

GOLDEN = REPO / "tests" / "golden" / "pages"
PAGES = [(slug, variant) for slug in (SAMPLE, "stress") for variant in ("short", "long")] + [
    ("arabic", "long"), ("chinese", "long")]
DPI = 40
# A pixel "differs" when its grey level moves by more than this (of 255) ...
PIXEL_TOLERANCE = 48
# ... and the page differs when more than this share of its pixels do.
PAGE_TOLERANCE = 0.004


def name(slug: str, variant: str) -> str:
    short = "sample" if slug == SAMPLE else slug
    return f"{short}-{variant}-page1.png"


@pytest.mark.parametrize("slug,variant", PAGES)
def test_first_page_looks_as_approved(corpus, tmp_path, slug, variant):
    import pymupdf

    pixmap = render_page(corpus.file(slug, variant, "pdf"), 1, DPI)
    golden = GOLDEN / name(slug, variant)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        pixmap.save(golden)
    expected = pymupdf.Pixmap(str(golden))
    assert (expected.width, expected.height) == (pixmap.width, pixmap.height), "the page size changed"
    new, old = pixmap.samples, expected.samples
    differing = sum(1 for a, b in zip(new, old) if abs(a - b) > PIXEL_TOLERANCE)
    share = differing / len(new)
    if share > PAGE_TOLERANCE:
        pixmap.save(tmp_path / name(slug, variant))
        pytest.fail(f"{name(slug, variant)}: {share:.2%} of the pixels differ from the approved page "
                    f"(new rendering: {tmp_path / name(slug, variant)}; UPDATE_GOLDEN=1 to accept)")
