"""``brief watch``: rebuild the briefs whose files change, until interrupted."""

from __future__ import annotations

import time
from pathlib import Path

from .theme import THEMES_FOLDER, theme_of


def _changed_slugs(changes, content_dir: Path, templates_dir: Path, all_slugs: list[str]) -> set[str]:
    slugs: set[str] = set()
    for _, raw in changes:
        path = Path(raw).resolve()
        if path.is_relative_to(templates_dir):
            return set(all_slugs)  # a template change concerns every brief
        if path.is_relative_to(content_dir):
            parts = path.relative_to(content_dir).parts
            if parts and parts[0] in all_slugs:
                slugs.add(parts[0])
            elif len(parts) > 1 and parts[0] == THEMES_FOLDER:  # a theme's file: the briefs that use it
                slugs.update(slug for slug in all_slugs if _theme_of(content_dir / slug) == parts[1])
    return slugs


def _theme_of(brief_dir: Path) -> str | None:
    try:
        return theme_of((brief_dir / "brief.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def watch(content_dir: Path, build_dir: Path, slugs: list[str], *, cores: int = 2, debounce_ms: int = 300,
          verbose: bool = False) -> int:
    """Build once, then rebuild changed briefs after each save (debounced)."""
    from watchfiles import watch as watch_files

    from .cli import REPO_DIR, _select, run_build

    templates_dir = (REPO_DIR / "templates").resolve()
    chosen = [f.name for f in _select(content_dir, slugs)]
    print(f"watching {len(chosen)} brief{'s' * (len(chosen) != 1)} in {content_dir} (Ctrl-C to stop)", flush=True)
    first = True
    try:
        # The watcher starts before the first build and keeps collecting
        # changes while a build runs; an empty set is a timeout tick.
        for changes in watch_files(content_dir, templates_dir, debounce=debounce_ms, step=50, rust_timeout=500,
                                   yield_on_timeout=True):
            if first:
                first = False
                run_build(content_dir, build_dir, chosen, cores, verbose)
                continue
            if not changes:
                continue
            current = chosen if slugs else [f.name for f in _select(content_dir, [])]
            present = {f.name for f in _select(content_dir, [])}
            missing = [slug for slug in current if slug not in present]
            if missing:
                # A renamed or removed brief: say so, and keep watching (it may come back).
                print(f"{', '.join(missing)}: no such brief in {content_dir} any more; still watching", flush=True)
            todo = sorted(s for s in _changed_slugs(changes, content_dir.resolve(), templates_dir, current)
                          if s in present)
            if not todo:
                continue
            started = time.time()
            print(f"change in {', '.join(todo)}: rebuilding", flush=True)
            status = run_build(content_dir, build_dir, todo, cores, verbose)
            outcome = "rebuilt" if status == 0 else "failed to rebuild"
            print(f"{outcome} {', '.join(todo)} in {time.time() - started:.1f} s", flush=True)
    except KeyboardInterrupt:
        print("stopped watching", flush=True)
    return 0
