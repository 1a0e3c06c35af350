"""The PDF renderer can only read the brief's folder and the templates."""

from __future__ import annotations

import pytest
from conftest import REPO
from weasyprint.urls import FatalURLFetchingError

from pipeline.pdf import BRIEF_URL, TEMPLATES_URL, confined_fetcher


@pytest.fixture
def fetcher(tmp_path):
    brief = tmp_path / "brief"
    (brief / "assets").mkdir(parents=True)
    (brief / "assets" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "secret.txt").write_text("secret")
    return confined_fetcher({BRIEF_URL: brief, TEMPLATES_URL: REPO / "templates"}), tmp_path


def test_files_inside_the_brief_and_templates_are_served(fetcher):
    fetch, _ = fetcher
    response = fetch(f"{BRIEF_URL}assets/chart.png")
    assert response.url == f"{BRIEF_URL}assets/chart.png"
    assert response.read() == b"\x89PNG\r\n\x1a\n"
    response.close()
    response = fetch(f"{TEMPLATES_URL}css/brief.css")
    assert b"@page" in response.read()
    response.close()


@pytest.mark.parametrize("url", [
    f"{BRIEF_URL}../secret.txt",
    f"{BRIEF_URL}%2e%2e/secret.txt",
    "file:///etc/passwd",
    "https://example.org/tracker.png",
    "http://127.0.0.1:9/x.css",
    "data:text/plain,hello",
])
def test_everything_else_is_refused(fetcher, url):
    fetch, _ = fetcher
    with pytest.raises(FatalURLFetchingError):
        fetch(url)


def test_symlink_out_of_the_brief_is_refused(fetcher):
    fetch, tmp_path = fetcher
    (tmp_path / "brief" / "assets" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(FatalURLFetchingError):
        fetch(f"{BRIEF_URL}assets/link.txt")
