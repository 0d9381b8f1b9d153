"""Real Airflow runs of the DAG: `dag.test()` over generated feeds publishes the same marts as
`ccpipe run`, keeps the last publication when a gate fails and notifies breaches and failures
over a real webhook; a scheduler backfill gives the CLI backfill's marts."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from airflow_home import AIRFLOW_ENV, POOL, REPO, TASK_ORDER, run_dag
from notify_servers import Webhook
from pipeline_runs import (
    DAYS,
    copy_home,
    file_digest,
    first_day_home,
    marts_snapshot,
    new_home,
    reference_snapshot,
)

from ccpipe.paths import Paths

from conftest import leg, write_csv


def test_a_dag_run_publishes_the_same_marts_as_the_cli_and_notifies_breaches(
    dag, tmp_path: Path, webhook: Webhook
) -> None:
    paths = new_home(tmp_path)
    states = run_dag(dag, paths, DAYS[0])

    assert states == dict.fromkeys(TASK_ORDER, "success")
    assert marts_snapshot(paths.published_db) == marts_snapshot(first_day_home().published_db)
    expected = significant_breaches(paths, DAYS[0], min_sample=30)
    assert expected, "the generated feeds should hold a significant breach to notify"
    [body] = webhook.bodies
    notified = [(b["channel"], b["queue"], b["fcr_eligible"]) for b in body["ccpipe"]["notable"]]
    assert notified == expected
    lines = body["text"].splitlines()
    assert lines[0].startswith(f"FCR target check {DAYS[0]}: {len(expected)} significant")
    assert len(lines) == 1 + len(expected)
    assert all("PROVISIONAL (repeat window still open) FCR" in line for line in lines[1:])


def significant_breaches(paths: Paths, day: str, min_sample: int) -> list[tuple]:
    """Independently of ccpipe.monitor: (channel, queue, eligible) of each notable breach."""
    import duckdb

    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute(
            """
            select null, null, fcr_eligible from marts.kpi_daily
            where reporting_date = $day and fcr_ci_high < fcr_target
              and fcr_eligible >= $min_sample
            union all
            select channel, queue, fcr_eligible from marts.kpi_daily_by_queue
            where reporting_date = $day and fcr_ci_high < fcr_target
              and fcr_eligible >= $min_sample
            order by 1 nulls first, 2
            """,
            {"day": day, "min_sample": min_sample},
        ).fetchall()


def test_dates_loaded_one_by_one_in_reverse_order_give_the_same_marts(tmp_path: Path) -> None:
    from ccpipe.pipeline import run_date

    paths = new_home(tmp_path)
    for day in reversed(DAYS):
        run_date(day, paths=paths)
    assert marts_snapshot(paths.published_db) == reference_snapshot()


def test_failed_gate_keeps_the_last_publication_and_reports_date_task_reason(
    dag, tmp_path: Path, webhook: Webhook
) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    published = file_digest(paths.published_db)
    bad = [leg(call_id=f"X{n}", direction="sideways") for n in range(200)]
    write_csv(paths, "calls", DAYS[1], "late_export.csv", bad)

    states = run_dag(dag, paths, DAYS[1])

    assert states == {
        "check_date_covered": "success",
        "wait_for_feeds": "success",
        "ingest": "success",
        "gate_feeds": "failed",
        "build_marts": "upstream_failed",
        "gate_marts": "upstream_failed",
        "publish": "upstream_failed",
        "check_fcr_target": "upstream_failed",
    }
    assert file_digest(paths.published_db) == published
    [failure] = [b["text"] for b in webhook.bodies]
    assert failure.startswith(
        f"ccpipe task failed: dag=ccpipe_daily date={DAYS[1]} task=gate_feeds try=1 "
        f"reason=GateError: quality gate (feeds) stopped the load of {DAYS[1]}: suite calls: "
    )
    assert "[quarantined share <= max_bad_row_share]" in failure
    assert "\n" not in failure


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """End a process group this test started (scheduler or api-server and their children)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def backfill_runs(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(db, timeout=30)) as con:
        return con.execute(
            "select data_interval_start, state from dag_run "
            "where dag_id = 'ccpipe_daily' and run_type = 'backfill' order by logical_date"
        ).fetchall()


def test_airflow_backfill_through_the_scheduler_gives_the_cli_backfill_marts(
    tmp_path: Path,
) -> None:
    """`airflow backfill create` run by a real scheduler, LocalExecutor and api-server."""
    paths = new_home(tmp_path)
    home = tmp_path / "airflow"
    port = free_port()
    env = {
        **os.environ,
        **AIRFLOW_ENV,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "ccpipe-test-only",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # backfill runs only
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "CCPIPE_HOME": str(paths.home),
    }
    env.pop("AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK", None)
    airflow = str(Path(sys.executable).with_name("airflow"))
    setup = (
        f"{airflow} db migrate"
        f" && {airflow} pools set {POOL} 1 'one DuckDB writer at a time'"
        f" && {airflow} dags reserialize"
        f" && {airflow} backfill create --dag-id ccpipe_daily --from-date {DAYS[0]}"
        f" --to-date {DAYS[-1]} --max-active-runs 1"
    )
    home.mkdir()
    subprocess.run(["bash", "-c", setup], env=env, check=True, capture_output=True, timeout=300)
    logs = {name: (home / f"{name}.log").open("w") for name in ("api-server", "scheduler")}
    api = subprocess.Popen(
        [airflow, "api-server", "--port", str(port)],
        env=env,
        stdout=logs["api-server"],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    scheduler = None
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/api/v2/monitor/health", api, 120)
        scheduler = subprocess.Popen(
            [airflow, "scheduler"],
            env=env,
            stdout=logs["scheduler"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            runs = backfill_runs(home / "airflow.db")
            if runs and all(state in ("success", "failed") for _, state in runs):
                break
            assert scheduler.poll() is None, (home / "scheduler.log").read_text()[-3000:]
            time.sleep(2)
    finally:
        for process in (scheduler, api):
            if process is not None:
                stop(process)
        for log in logs.values():
            log.close()

    assert [(start[:10], state) for start, state in runs] == [(d, "success") for d in DAYS]
    assert marts_snapshot(paths.published_db) == reference_snapshot()


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the api-server exited"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_the_schedule_starts_at_the_setting_and_an_earlier_date_fails_loudly(
    tmp_path: Path, monkeypatch
) -> None:
    """CCPIPE_SCHEDULE_START moves the load tasks' first date; a run for a date before it
    would run none of them, so the one task every date runs fails it, naming the setting."""
    from airflow.dag_processing.dagbag import DagBag

    from ccpipe.airflow_support.schedule import refuse_uncovered_date

    monkeypatch.setenv("CCPIPE_SCHEDULE_START", DAYS[1])
    late_start = DagBag(dag_folder=REPO / "dags").dags["ccpipe_daily"]
    starts = {t.task_id: t.start_date.date().isoformat() for t in late_start.tasks}
    assert starts == {**dict.fromkeys(TASK_ORDER, DAYS[1]), "check_date_covered": "1970-01-01"}

    paths = new_home(tmp_path)
    states = run_dag(late_start, paths, DAYS[0])
    assert states.pop("check_date_covered") == "failed"
    assert set(states.values()) <= {"upstream_failed"}  # nothing else ran
    assert not paths.published_db.exists()
    with pytest.raises(Exception) as refused:
        refuse_uncovered_date(DAYS[0])
    assert str(refused.value) == (
        f"{DAYS[0]} is before the schedule's first date {DAYS[1]} (schedule_start, from "
        "environment CCPIPE_SCHEDULE_START): its load tasks would not run; set "
        f"CCPIPE_SCHEDULE_START={DAYS[0]} (or earlier) to load it"
    )
