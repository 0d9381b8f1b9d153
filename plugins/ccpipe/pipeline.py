"""The daily load, one stage after another: the one code path the CLI and the DAGs share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ccpipe.config import Paths
from ccpipe.ingest import FeedLoad, ingest_date


def end_of_date(load_date: str) -> datetime:
    """The default as_of of a date's run: the instant its day ends (UTC)."""
    return datetime.combine(date.fromisoformat(load_date) + timedelta(days=1), time(), UTC)


def ingest(paths: Paths, load_date: str) -> dict[str, FeedLoad]:
    """Stage 1: the date's landing files into the raw tables."""
    return ingest_date(paths, load_date)


def run_date(load_date: str, as_of: datetime | None = None, paths: Paths | None = None) -> None:
    """The whole daily load for one logical date."""
    paths = (paths or Paths.from_env()).ensure()
    ingest(paths, load_date)


def date_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"--end {end} is before --start {start}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
