"""The daily load, one stage after another: the one code path the CLI and the DAGs share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ccpipe.config import FEEDS, Paths
from ccpipe.ingest import FeedLoad, ingest_date, landing_files
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


def gate_feeds(paths: Paths, load_date: str):
    """Stage 2: the date's feed batches against their suites (GateError stops the load)."""
    from ccpipe.quality import gate_feeds as gate

    return gate(paths, load_date)


def build_marts(paths: Paths, load_date: str, as_of: datetime | None = None) -> datetime:
    """Stage 3: one dbt build; returns the as_of FCR maturity was judged at."""
    from ccpipe.publish import clear_gate_mark
    from ccpipe.transform import build_marts as build

    as_of = effective_as_of(paths, load_date, as_of)
    clear_gate_mark(paths)  # from here until the marts gate passes, nothing is publishable
    build(paths, load_date, as_of)
    return as_of


def gate_marts(paths: Paths, load_date: str):
    """Stage 4: the rebuilt marts against their suites; only then are they publishable."""
    from ccpipe.publish import mark_gated
    from ccpipe.quality import gate_marts as gate

    report = gate(paths, load_date)
    mark_gated(paths, load_date)
    return report


def run_date(load_date: str, as_of: datetime | None = None, paths: Paths | None = None) -> None:
    """The whole daily load for one logical date: the stages the DAG runs as tasks."""
    from ccpipe.monitor import report

    paths = (paths or Paths.from_env()).ensure()
    ingest(paths, load_date)
    gate_feeds(paths, load_date)
    as_of = build_marts(paths, load_date, as_of)
    gate_marts(paths, load_date)
    publish(paths, load_date, as_of)
    report(check_fcr_target(paths, load_date))


def date_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"--end {end} is before --start {start}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def missing_feeds(paths: Paths, load_date: str) -> list[str]:
    """The feeds with no landing file for the date yet (what the DAG's sensor waits for)."""
    return [feed for feed in FEEDS if not landing_files(paths.landing_dir(feed, load_date))]


def summarise_loads(loads: dict[str, FeedLoad]) -> dict[str, dict[str, int]]:
    """Files and rows per feed, small and JSON-ready (an Airflow XCom, a log line)."""
    return {
        feed: {
            "files": len(load.files),
            "rows_loaded": load.rows_loaded,
            "rows_quarantined": load.rows_quarantined,
        }
        for feed, load in loads.items()
    }


def publish(paths: Paths, load_date: str, as_of: datetime | None = None):
    """Stage 5: the gated marts, atomically, to marts.duckdb for BI."""
    from ccpipe.publish import publish as publish_marts

    return publish_marts(paths, load_date, as_of)


def check_fcr_target(paths: Paths, load_date: str, min_sample: int | None = None):
    """Stage 6: the date's FCR, overall and per queue, against fcr_target (read-only)."""
    from ccpipe.monitor import check_fcr_target as check

    return check(paths, load_date, min_sample)
