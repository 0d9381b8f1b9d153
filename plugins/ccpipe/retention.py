"""A home that does not grow without bound: what a load leaves beside the marts (Great
Expectations' validation results and Data Docs pages, dbt's and ccpipe's logs) is kept for
`retention_days` (a setting, default 90) and then removed. The raw tables, the marts and the
gate history table (audit.validation_results) are data and stay.
"""

from __future__ import annotations

import time
from pathlib import Path

from ccpipe.paths import Paths

DAY_SECONDS = 86_400


def kept_folders(paths: Paths) -> list[Path]:
    gx = paths.gx_dir / "uncommitted"
    return [
        gx / "validations",
        gx / "data_docs" / "local_site" / "validations",
        paths.home / "dbt" / "logs",
        paths.home / "logs",
    ]


def prune(paths: Paths, retention_days: int, now: float | None = None) -> int:
    """Remove the files of those folders last written more than retention_days ago, and the
    folders they leave empty; returns how many files went."""
    cutoff = (now or time.time()) - retention_days * DAY_SECONDS
    removed = 0
    for folder in kept_folders(paths):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return removed
