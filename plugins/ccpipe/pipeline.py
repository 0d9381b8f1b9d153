"""The daily load, one stage after another: the one code path the CLI and the DAGs share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ccpipe.config import Paths
from ccpipe.ingest import FeedLoad, ingest_date
from ccpipe.warehouse import RAW_SCHEMA, connect


def end_of_date(load_date: str | date) -> datetime:
    """The default as_of of a date's run: the instant its day ends (UTC)."""
    day = date.fromisoformat(load_date) if isinstance(load_date, str) else load_date
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def effective_as_of(paths: Paths, load_date: str, as_of: datetime | None) -> datetime:
    """The instant FCR maturity is judged at: the run's as_of (default: end of the date),
    but never earlier than the end of the latest date already loaded, so a backfill run in
    any order, or a rerun of an old date, gives the same marts as running the dates in order.
    """
    requested = as_of or end_of_date(load_date)
    with connect(paths.work_db) as con:
        tables = [
            f"select max(_load_date) as d from {RAW_SCHEMA}.{t}"
            for t in ("call_legs", "ticket_versions", "survey_responses")
        ]
        latest = con.execute(f"select max(d) from ({' union all '.join(tables)})").fetchone()[0]
    return max(requested, end_of_date(latest)) if latest else requested


def ingest(paths: Paths, load_date: str) -> dict[str, FeedLoad]:
    """Stage 1: the date's landing files into the raw tables."""
    return ingest_date(paths, load_date)


def run_date(load_date: str, as_of: datetime | None = None, paths: Paths | None = None) -> None:
    """The whole daily load for one logical date."""
    paths = (paths or Paths.from_env()).ensure()
    ingest(paths, load_date)
    as_of = effective_as_of(paths, load_date, as_of)


def date_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"--end {end} is before --start {start}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
