"""The daily load, one step after another: the one code path the CLI and the DAG share.

ingest -> gate_feeds -> build_marts -> gate_marts -> publish -> check_fcr_target. Each step
is one DAG task; `run_date` runs them all in one process (ccpipe run). The steps own the
order and the bookkeeping between stages (the as_of a build judges FCR at, the publication
state); the stages themselves live in ccpipe.ingest, .quality, .transform, .publication and
.monitor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ccpipe.contracts import FEEDS
from ccpipe.ingest import FeedLoad, ingest_date, landing_files, latest_loaded_date
from ccpipe.paths import Paths

# The model listing the dates a build rebuilt (reporting_date, week_start): what the next
# publication carries.
REBUILT_DATES_MODEL = "int_reporting_dates_rebuilt"


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
    latest = latest_loaded_date(paths)
    return max(requested, end_of_date(latest)) if latest else requested


def ingest(paths: Paths, load_date: str) -> dict[str, FeedLoad]:
    """Step 1: the date's landing files into the raw tables."""
    return ingest_date(paths, load_date)


def gate_feeds(paths: Paths, load_date: str):
    """Step 2: the date's feed batches against their suites (GateError stops the load)."""
    from ccpipe.quality import validate_feeds

    return validate_feeds(paths, load_date)


def build_marts(
    paths: Paths, load_date: str | None, as_of: datetime | None = None, full_refresh: bool = False
) -> datetime:
    """Step 3: one dbt build; returns the as_of FCR maturity was judged at. From here until
    the marts gate passes, nothing is publishable; the dates the build rebuilt are recorded
    for the next publication (every date, when it had no load date or was a full refresh).
    """
    from ccpipe.publication.state import clear_gate_mark, record_build_started, record_rebuilt_dates
    from ccpipe.relations import relation
    from ccpipe.transform import run_dbt_build

    if load_date is not None:
        as_of = effective_as_of(paths, load_date, as_of)
    elif as_of is None:
        raise ValueError("a build of every date needs an explicit as_of")
    clear_gate_mark(paths)
    build_id = record_build_started(paths)
    run_dbt_build(paths, load_date, as_of, full_refresh)
    if load_date is not None and not full_refresh:
        record_rebuilt_dates(paths, build_id, relation(paths, REBUILT_DATES_MODEL).name)
    return as_of


def gate_marts(paths: Paths, load_date: str):
    """Step 4: the rebuilt marts against their suites; only then are they publishable."""
    from ccpipe.publication.state import mark_gated
    from ccpipe.quality import validate_marts

    report = validate_marts(paths, load_date)
    mark_gated(paths, load_date)
    return report


def publish(paths: Paths, load_date: str, as_of: datetime | None = None):
    """Step 5: the gated marts, atomically, to the published file BI reads."""
    from ccpipe.publication import publish_marts

    return publish_marts(paths, load_date, as_of)


def check_fcr_target(paths: Paths, load_date: str, min_sample: int | None = None):
    """Step 6: the date's FCR, overall and per queue, against fcr_target (read-only)."""
    from ccpipe.monitor import read_fcr_breaches

    return read_fcr_breaches(paths, load_date, min_sample)


def run_date(load_date: str, as_of: datetime | None = None, paths: Paths | None = None) -> None:
    """The whole daily load for one logical date: the steps the DAG runs as tasks."""
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
