"""The DAG's schedule from the deployment's settings: where it starts, and the refusal of a run
for a date before that start (Airflow would create the run with no task in it and call it a
success)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from airflow.sdk.exceptions import AirflowFailException

from ccpipe.paths import Paths
from ccpipe.settings import load_settings

# A start no logical date precedes: the task that must run for every date starts here.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def schedule_start() -> datetime:
    """The first date the schedule and its backfills cover (the setting schedule_start)."""
    return datetime.combine(load_settings(Paths.from_env()).schedule_start, time(), UTC)


def refuse_uncovered_date(load_date: str) -> None:
    """Fail, without retries, a run whose date lies before the schedule's start."""
    settings = load_settings(Paths.from_env())
    start = settings.schedule_start
    if date.fromisoformat(load_date) < start:
        raise AirflowFailException(
            f"{load_date} is before the schedule's first date {start} "
            f"(schedule_start, from {settings.origins['schedule_start']}): its load tasks "
            f"would not run; set CCPIPE_SCHEDULE_START={load_date} (or earlier) to load it"
        )
