"""Readers for what users see in each output format (used by the tests)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from lxml import etree

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages_text(path: Path) -> list[str]:
    return pdf_text(path).split("\f")[:-1]


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def pdf_fonts(path: Path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type... encoding emb sub uni object id
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def docx_xml(path: Path, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(part))


def docx_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    """(style id, text) of each body paragraph."""
    root = docx_xml(path)
    rows = []
    for para in root.iter(f"{{{NS['w']}}}p"):
        style = para.find("w:pPr/w:pStyle", NS)
        text = "".join(t.text or "" for t in para.iter(f"{{{NS['w']}}}t"))
        rows.append((style.get(f"{{{NS['w']}}}val") if style is not None else "", text))
    return rows


def epub_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def epub_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def epub_opf(path: Path) -> etree._Element:
    container = etree.fromstring(epub_read(path, "META-INF/container.xml"))
    opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return etree.fromstring(epub_read(path, opf_path))


def epub_documents(path: Path) -> list[tuple[str, etree._Element]]:
    """The spine's XHTML documents in reading order."""
    opf = epub_opf(path)
    manifest = {i.get("id"): i.get("href") for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    docs = []
    for ref in opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS):
        name = "EPUB/" + manifest[ref]
        docs.append((name, etree.fromstring(epub_read(path, name))))
    return docs


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def libreoffice_to_pdf(files: list[Path], outdir: Path, soffice: str = "soffice") -> list[Path]:
    """Convert DOCX files with LibreOffice (headless, fresh profile); return the PDFs.

    LibreOffice exits 0 even when it cannot load a file, so each PDF must exist.
    """
    profile = (outdir / "lo-profile").as_uri()
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )
    pdfs = [outdir / f"{Path(f).stem}.pdf" for f in files]
    for pdf in pdfs:
        assert pdf.is_file(), f"LibreOffice could not convert {pdf.stem}.docx (it wrote no PDF)"
    return pdfs
