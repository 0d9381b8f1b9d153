"""ccpipe_daily: the daily contact-center load of one date, the same stages as `ccpipe run`.

check_date_covered >> wait_for_feeds >> ingest >> gate_feeds >> build_marts >> gate_marts
>> publish >> check_fcr_target

- The date loaded is the run's data interval start (UTC); FCR maturity is judged at the end of
  that date, as `ccpipe run --date D` judges it (or later, if the marts were already judged
  later). A scheduled or backfilled run with logical date D loads D; a manual run at instant T
  loads the last whole day before T.
- The load tasks start at the setting schedule_start (CCPIPE_SCHEDULE_START or settings.toml),
  so backfills reach any history a deployment has. A run for an earlier date would run none
  of them; check_date_covered, which runs for every date, makes it fail, naming the setting.
- Every task that opens the working warehouse runs in pool `ccpipe_duckdb` (1 slot): DuckDB has
  one writer at a time, so parallel dates, backfills and manual runs queue instead of failing.
- Wiring only: every task calls a `ccpipe` function, imported inside the task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, PokeReturnValue, chain, dag, task

from ccpipe.airflow_support.notifiers import TaskFailureNotifier
from ccpipe.airflow_support.retries import TransientFaultPolicy
from ccpipe.airflow_support.schedule import EARLIEST, schedule_start

POOL = "ccpipe_duckdb"
LOAD_DATE = "{{ data_interval_start | ds }}"

RAW_FEEDS = Asset(name="ccpipe_raw_feeds", uri="x-ccpipe://warehouse/work/raw", group="ccpipe")
WORK_MARTS = Asset(name="ccpipe_work_marts", uri="x-ccpipe://warehouse/work/marts", group="ccpipe")
PUBLISHED_MARTS = Asset(
    name="ccpipe_published_marts", uri="x-ccpipe://warehouse/marts", group="ccpipe"
)


@dag(
    dag_id="ccpipe_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    # The DAG reaches back to any date; its load tasks start at schedule_start and
    # check_date_covered, the one task of every date, refuses the dates before it.
    start_date=EARLIEST,
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "ccpipe",
        "start_date": schedule_start(),
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=20),
        "retry_policy": TransientFaultPolicy(),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": TaskFailureNotifier(),
    },
    params={
        "fcr_min_sample": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            description="Fewest eligible contacts an FCR breach notification may rest on "
            "(default: the setting fcr_min_sample, 30 unless set).",
        ),
    },
    tags=["ccpipe"],
    doc_md=__doc__,
)
def ccpipe_daily():
    @task(start_date=EARLIEST, execution_timeout=timedelta(minutes=2))
    def check_date_covered(load_date: str) -> None:
        """Fail a run for a date before the schedule's first date, instead of passing empty."""
        from ccpipe.airflow_support.schedule import refuse_uncovered_date

        refuse_uncovered_date(load_date)

    @task.sensor(
        mode="reschedule",
        poke_interval=timedelta(minutes=5).total_seconds(),
        timeout=timedelta(hours=12).total_seconds(),
        execution_timeout=timedelta(minutes=2),
    )
    def wait_for_feeds(load_date: str) -> PokeReturnValue:
        """Done when calls, tickets and surveys each have a file for the date."""
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        missing = pipeline.missing_feeds(Paths.from_env(), load_date)
        return PokeReturnValue(is_done=not missing, xcom_value=missing)

    @task(pool=POOL, outlets=[RAW_FEEDS])
    def ingest(load_date: str) -> dict:
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        return pipeline.summarise_loads(pipeline.ingest(Paths.from_env().ensure(), load_date))

    @task(pool=POOL)
    def gate_feeds(load_date: str) -> None:
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        pipeline.gate_feeds(Paths.from_env(), load_date)

    @task(pool=POOL, outlets=[WORK_MARTS], execution_timeout=timedelta(hours=1))
    def build_marts(load_date: str) -> str:
        """One `dbt build` (docs/incremental-design.md: why one invocation, not one per model)."""
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        return pipeline.build_marts(Paths.from_env(), load_date).isoformat()

    @task(pool=POOL)
    def gate_marts(load_date: str) -> None:
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        pipeline.gate_marts(Paths.from_env(), load_date)

    @task(pool=POOL, outlets=[PUBLISHED_MARTS], execution_timeout=timedelta(minutes=15))
    def publish(load_date: str, as_of: str, outlet_events=None) -> dict:
        from ccpipe import pipeline
        from ccpipe.paths import Paths

        paths = Paths.from_env()
        publication = pipeline.publish(paths, load_date, datetime.fromisoformat(as_of))
        report = pipeline.after_publish(paths)  # retention, then the ops report
        summary = {
            "load_date": load_date,
            "publication_id": publication.publication_id,
            "report": str(report) if report else None,
        }
        outlet_events[PUBLISHED_MARTS].extra = summary
        return {**summary, "table_rows": publication.table_rows}

    @task(inlets=[PUBLISHED_MARTS], execution_timeout=timedelta(minutes=10))
    def check_fcr_target(load_date: str, published: dict, params=None) -> dict:
        """Reads ccpipe.duckdb read-only (no pool: publishing never locks it)."""
        from pathlib import Path

        from airflow.sdk import get_current_context

        from ccpipe import pipeline
        from ccpipe.airflow_support.notifiers import FcrBreachNotifier
        from ccpipe.paths import Paths

        report = Path(published["report"]) if published["report"] else None
        check = pipeline.check_fcr_target(
            Paths.from_env(), load_date, params["fcr_min_sample"], report
        )
        FcrBreachNotifier(check)(get_current_context())
        return check.to_dict()

    as_of = build_marts(LOAD_DATE)  # the as_of dbt judged FCR maturity at
    published = publish(LOAD_DATE, as_of)  # its summary names the ops report it wrote
    chain(
        check_date_covered(LOAD_DATE),
        wait_for_feeds(LOAD_DATE),
        ingest(LOAD_DATE),
        gate_feeds(LOAD_DATE),
        as_of,
        gate_marts(LOAD_DATE),
        published,
        check_fcr_target(LOAD_DATE, published),
    )


ccpipe_daily()
