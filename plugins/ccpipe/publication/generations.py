"""The files behind the stable path BI opens: generations, drafts and the link between them.

The published path is a symbolic link to one generation file beside it (`<name>.<id>.gen`).
A publication is written as a draft (`<name>.<pid>.<id>.publishing`), made durable, renamed
to a generation and swapped in with one atomic rename of a new link: a reader that opens the
path gets either file whole, and one that already holds the old file keeps reading it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

DRAFT_SUFFIX = ".publishing"
GENERATION_SUFFIX = ".gen"


def draft_pid(draft: Path) -> int | None:
    """The pid written into a draft's name (ccpipe.duckdb.<pid>.<id>.publishing)."""
    parts = draft.name.removesuffix(DRAFT_SUFFIX).split(".")
    return int(parts[-2]) if len(parts) >= 2 and parts[-2].isdigit() else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_drafts(target: Path) -> list[Path]:
    """Drafts left by killed publishers (their pid is gone); a live publisher's draft stays.
    Links a killed publisher made but never swapped in go too."""
    for link in target.parent.glob(f"{target.name}.*.link"):
        link.unlink(missing_ok=True)
    removed = []
    for draft in target.parent.glob(f"{target.name}.*{DRAFT_SUFFIX}"):
        pid = draft_pid(draft)
        if pid is not None and pid != os.getpid() and process_alive(pid):
            continue
        remove_draft(draft)
        removed.append(draft)
    return removed


def remove_draft(draft: Path) -> None:
    for leftover in (draft, draft.with_name(draft.name + ".wal")):
        leftover.unlink(missing_ok=True)


def current_generation(target: Path) -> Path | None:
    """The file ccpipe.duckdb names now (a plain file in a home published before generations)."""
    if target.is_symlink():
        generation = target.parent / os.readlink(target)
        return generation if generation.exists() else None
    return target if target.exists() else None


def generations(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f"{target.name}.*{GENERATION_SUFFIX}"))


def retire_legacy_publication(legacy: Path) -> None:
    """Remove a publication under an earlier name (its link and generations), once the
    current name holds a complete one; readers holding the old files keep their inodes."""
    for generation in generations(legacy):
        remove_draft(generation)
    if legacy.is_symlink() or legacy.exists():
        legacy.unlink()


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's) bytes to disk, so a rename never exposes a hole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_link(target: Path, generation: Path) -> None:
    """Point ccpipe.duckdb at a generation with one atomic rename (relative, so the folder
    can be mounted anywhere)."""
    link = target.with_name(f"{target.name}.{uuid.uuid4().hex[:12]}.link")
    link.symlink_to(generation.name)
    os.replace(link, target)
    fsync_path(target.parent)
