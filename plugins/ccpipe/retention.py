"""A home that does not grow without bound: what a load leaves beside the marts (Great
Expectations' validation results and Data Docs pages, dbt's and ccpipe's logs, the dated ops
reports) is kept for `retention_days` (a setting, default 90) and then removed. The raw tables,
the marts, the gate history table (audit.validation_results) and reports/latest.html stay.
"""

from __future__ import annotations

import time
from pathlib import Path

from ccpipe.paths import DATED_REPORT_PREFIX, Paths

DAY_SECONDS = 86_400


def kept_files(paths: Paths) -> list[tuple[Path, str]]:
    """The folders whose files age out, each with the pattern of those files."""
    gx = paths.gx_dir / "uncommitted"
    return [
        (gx / "validations", "*"),
        (gx / "data_docs" / "local_site" / "validations", "*"),
        (paths.home / "dbt" / "logs", "*"),
        (paths.home / "logs", "*"),
        (paths.reports, f"{DATED_REPORT_PREFIX}*"),
    ]


def prune(paths: Paths, retention_days: int, now: float | None = None) -> int:
    """Remove those files when last written more than retention_days ago, and the folders
    they leave empty; returns how many files went."""
    cutoff = (now or time.time()) - retention_days * DAY_SECONDS
    removed = 0
    for folder, pattern in kept_files(paths):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(pattern), key=lambda p: len(p.parts), reverse=True):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return removed
