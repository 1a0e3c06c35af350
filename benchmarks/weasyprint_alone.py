"""What WeasyPrint alone costs for a brief's PDF: its layout and writing in a process of their own.

Usage::

    python benchmarks/weasyprint_alone.py BRIEF_DIR BUILD_DIR [--variant long] [--repeat 3]

BUILD_DIR is the brief's build folder (``build/<slug>``) after ``brief
build``: the job keeps the HTML page the PDF was made from in
``.work/<slug>-<variant>.html``. A fresh interpreter imports only
``pipeline.pdf`` and WeasyPrint, then lays the page out and writes the PDF
(``pipeline.pdf.render_pdf``, as the job does). Printed: wall and CPU time,
the resident memory before the layout, and the peak. The difference from the
job's own peak is what the rest of the job adds; the peak here is the floor
for any process that makes this PDF with WeasyPrint.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path

def rss_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

start_wall, start_cpu = time.perf_counter(), time.process_time()
import weasyprint  # noqa: F401
from pipeline import pdf
before = rss_mb()
page, brief_dir, out = Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]), Path(sys.argv[3])
laid_wall, laid_cpu = time.perf_counter(), time.process_time()
pages = pdf.render_pdf(page, out, brief_dir=brief_dir, templates_dir=Path(sys.argv[4]))
print(json.dumps({"pages": pages, "rss_before_mb": before,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "import_wall": laid_wall - start_wall, "wall": time.perf_counter() - laid_wall,
                  "cpu": time.process_time() - laid_cpu}))
"""


def measure(page: Path, brief_dir: Path, repeat: int) -> dict:
    runs = []
    with tempfile.TemporaryDirectory(prefix="weasyprint-alone-") as tmp:
        for _ in range(repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(page), str(brief_dir), str(Path(tmp) / "out.pdf"),
                                  str(REPO / "templates")], cwd=REPO, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("brief", type=Path, help="the brief's content folder")
    parser.add_argument("build", type=Path, help="the brief's build folder (build/<slug>)")
    parser.add_argument("--variant", default="long", choices=("short", "long"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    pages = sorted((args.build / ".work").glob(f"*-{args.variant}.html"))
    if not pages:
        parser.error(f"no {args.variant} HTML page in {args.build / '.work'}: build the brief first")
    figures = measure(pages[0], args.brief.resolve(), args.repeat)
    print(f"WeasyPrint alone, {pages[0].name} ({pages[0].stat().st_size / 1024:.0f} KB of HTML, "
          f"{figures['pages']:.0f} pages), median of {args.repeat}: layout and PDF {figures['wall']:.2f} s wall, "
          f"{figures['cpu']:.2f} s CPU; resident memory {figures['rss_before_mb']:.0f} MB after the imports, "
          f"peak {figures['peak_mb']:.0f} MB (imports {figures['import_wall']:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
