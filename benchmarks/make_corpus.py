"""Generate synthetic brief corpora for the benchmarks (stdlib only).

Usage::

    python benchmarks/make_corpus.py OUTDIR --briefs 100 [--big] [--seed 1]

writes ``OUTDIR/brief-0001/`` ... (``OUTDIR`` plays the role of ``content/``)
and, with ``--big``, the big brief ``OUTDIR/big/`` (120 sections, 600
references, as ``tests/fixtures/make_big_brief.py`` makes it). The same
arguments always give byte-identical files; brief ``k`` does not depend on
how many briefs are generated, so the 20-brief corpus is the first 20 briefs
of the 100-brief one.

A corpus brief has the shape and size of the repository's sample brief
(content/venezuela-security-forces-drug-routes: 1,246 words in summary.md and
8 section files, 13 references), varied from brief to brief so that a corpus
is not 1,000 copies of one job: 5-10 sections (mostly 7-9) of 80-200 words, a
summary of 120-200 words, 6-20 references in CSL YAML (mostly about 12),
every optional brief.yaml key that makes sense, A4 or Letter, 1-3 authors.
Citations come in shuffled order, with groups, locators and repeats, and
every reference is cited at least once. About one brief in ten is
long-winded (8-10 sections of 250-400 words, 16-24 references). The prose
and the references come from ``tests/fixtures/make_big_brief.py``. Over the
first 100 briefs: median about 1,500 words (as ``wc -w`` counts summary.md
and the section files), 8 sections, 13 references; ``--stats`` prints the
figures of a corpus.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
import make_big_brief as mbb  # noqa: E402

DATE = "2026-11-28"
SUMMARY_WORDS = (120, 200)
CITE_RATE = 0.4            # share of sentences that end with a citation (the sample cites in most paragraphs)
LONG_SHARE = 0.1           # share of long-winded briefs
BIG_SECTIONS = 120
BIG_REFERENCES = 600

PLACES = ["Example Province", "Fictional Bay", "North Example", "the Example Delta", "Sample Valley",
          "the Placeholder Coast", "Example City", "the Fictional Islands"]
ORGS = ["Example Institute", "Example Policy Centre", "Institute for Example Studies",
        "Example Foundation", "Fictional Research Unit"]
DISTRIBUTION = ["Public", "Internal — do not circulate", "Public", "Restricted: partners only"]


def _words(text: str) -> int:
    return len(text.split())


def _body(rng: random.Random, topic: str, citer: mbb._Citer, words: tuple[int, int]) -> str:
    """Paragraphs of 3-6 sentences until the text has a length drawn from ``words``."""
    target = rng.randint(*words)
    paragraphs: list[str] = []
    sentences: list[str] = []
    size = rng.randint(3, 6)
    count = 0
    while count < target:
        sentence = mbb._fill(rng.choice(mbb.SENTENCES), rng, topic)
        if rng.random() < CITE_RATE:
            sentence = sentence[:-1] + " " + citer.citation() + "."
        if count + _words(sentence) > words[1] and count >= words[0]:
            break
        sentences.append(sentence)
        count += _words(sentence)
        if len(sentences) == size:
            paragraphs.append(mbb._wrap(" ".join(sentences)))
            sentences, size = [], rng.randint(3, 6)
    if sentences:
        paragraphs.append(mbb._wrap(" ".join(sentences)))
    return "\n\n".join(paragraphs)


def _brief_yaml(rng: random.Random, index: int, topics: list[tuple[str, str, str]]) -> str:
    place = rng.choice(PLACES)
    org = rng.choice(ORGS)
    main = topics[0][2]
    lines = [
        f"title: {mbb._q(f'{mbb._cap(main)} in {place}')}",
        f"subtitle: {mbb._q(f'Evidence, open questions and options (corpus brief {index})')}",
        f"question: {mbb._q(f'What do we know about {main} and {topics[1][2]} in {place}?')}",
        f"date: {DATE}",
        f"organization: {mbb._q(org)}",
        "authors:",
    ]
    for _ in range(rng.randint(1, 3)):
        lines.append(f"  - name: {mbb._q(rng.choice(mbb.GIVEN) + ' ' + rng.choice(mbb.FAMILY))}")
        lines.append(f"    affiliation: {mbb._q(org)}")
    lines += [
        "language: en",
        f'version: "1.{rng.randint(0, 9)}"',
        "keywords:",
        *(f"  - {mbb._q(t[2])}" for t in topics[:3]),
        f"rights: {mbb._q(f'© 2026 {org}. Fictional generated benchmark content.')}",
        f"distribution: {mbb._q(rng.choice(DISTRIBUTION))}",
        f"identifier: {mbb._q(f'urn:example:corpus:brief-{index:04d}')}",
        f"page_size: {rng.choice(['A4', 'A4', 'A4', 'Letter'])}",
        "",
    ]
    return "\n".join(lines)


def _shape(rng: random.Random) -> tuple[int, int, tuple[int, int]]:
    """(sections, references, words per section) of one brief."""
    if rng.random() < LONG_SHARE:
        return rng.randint(8, 10), rng.randint(16, 24), (250, 400)
    sections = min(10, max(5, round(rng.triangular(5, 10, 8))))
    references = min(22, max(6, round(rng.triangular(6, 20, 12))))
    return sections, references, (80, 200)


def make_brief(outdir: Path, index: int, seed: int = 1) -> Path:
    """Write corpus brief number ``index`` (1-based) as ``outdir/brief-NNNN``."""
    rng = random.Random(f"brief-corpus/{seed}/{index}")
    brief = Path(outdir) / f"brief-{index:04d}"
    (brief / "sections").mkdir(parents=True, exist_ok=True)
    for old in (brief / "sections").glob("*.md"):
        old.unlink()
    sections, references, section_words = _shape(rng)
    topics = rng.sample(mbb.TOPICS, sections)
    ids = [f"ref-{i:03d}" for i in range(1, references + 1)]
    citer = mbb._Citer(ids, rng)

    def write(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8", newline="\n")

    write(brief / "brief.yaml", _brief_yaml(rng, index, topics))
    write(brief / "summary.md", _body(rng, f"{topics[0][2]} and {topics[1][2]}", citer, SUMMARY_WORDS) + "\n")
    for n, (slug, title, topic) in enumerate(topics, start=1):
        body = _body(rng, topic, citer, section_words)
        if n == sections and citer.pending:
            rest = sorted(citer.pending)
            citer.pending.clear()
            body += "\n\n" + mbb._wrap("Further sources cover the same ground ["
                                       + "; ".join("@" + i for i in rest) + "].")
        key_point = mbb._wrap(mbb._fill(rng.choice(mbb.KEY_POINTS), rng, topic), 72)
        front = ["---", f"title: {mbb._q(title)}", "key_point: >",
                 *("  " + line for line in key_point.split("\n")), "---"]
        write(brief / "sections" / f"{n:02d}-{slug}.md", "\n".join(front) + "\n" + body + "\n")
    refs = ["references:"]
    for i in range(1, references + 1):
        refs.extend(mbb._reference(i, rng))
    write(brief / "references.yaml", "\n".join(refs) + "\n")
    return brief


def make_corpus(outdir: Path, briefs: int, seed: int = 1) -> list[Path]:
    """Write ``briefs`` corpus briefs into ``outdir``; return their folders."""
    return [make_brief(outdir, i, seed) for i in range(1, briefs + 1)]


def make_big(outdir: Path, seed: int = 1) -> Path:
    """The big brief (120 sections, 600 references) as ``outdir/big``."""
    return mbb.make_big_brief(Path(outdir), sections=BIG_SECTIONS, references=BIG_REFERENCES, seed=seed)


def brief_stats(brief: Path) -> tuple[int, int, int]:
    """(words of summary.md and the section files as ``wc -w`` counts them, sections, references)."""
    sections = sorted((brief / "sections").glob("*.md"))
    words = _words((brief / "summary.md").read_text(encoding="utf-8"))
    for path in sections:
        words += _words(path.read_text(encoding="utf-8"))
    refs_file = brief / "references.yaml"
    refs = refs_file.read_text(encoding="utf-8").count("\n  - id: ") if refs_file.exists() else 0
    return words, len(sections), refs


def describe(folders: list[Path]) -> str:
    """One line: median and range of words, sections and references."""
    stats = [brief_stats(f) for f in folders]
    parts = []
    for name, column in zip(("words", "sections", "references"), zip(*stats)):
        parts.append(f"{name} median {statistics.median(column):g} (min {min(column)}, max {max(column)})")
    return f"{len(folders)} briefs: " + ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="content folder to write the briefs into")
    parser.add_argument("--briefs", type=int, default=20, help="number of corpus briefs (default 20)")
    parser.add_argument("--big", action="store_true", help="also write the big brief (OUTDIR/big)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stats", action="store_true", help="print the corpus briefs' sizes")
    args = parser.parse_args(argv)
    folders = make_corpus(args.outdir, args.briefs, args.seed)
    if args.stats and folders:
        print(describe(folders))
    if args.big:
        folders.append(make_big(args.outdir, args.seed))
    print(f"{len(folders)} briefs in {args.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
