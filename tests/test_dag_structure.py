"""The Airflow DAG's structure: it parses cleanly and light, its wiring, retries, assets and
notifiers are as docs/operations.md says, and the compose file runs it on Airflow 3."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import yaml
from airflow_home import AIRFLOW_ENV, POOL, REPO, TASK_ORDER
from notify_servers import SmtpServer, Webhook

from ccpipe.airflow_support.notifiers import FcrBreachNotifier
from ccpipe.monitor import FcrBreach, FcrCheck

WRITERS = {"ingest", "gate_feeds", "build_marts", "gate_marts", "publish"}


def test_dagbag_parses_without_errors_or_heavy_imports() -> None:
    """In a fresh interpreter: no import error, and no pandas/duckdb/dbt/GX at parse time."""
    probe = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(REPO / 'dags')!r})\n"
        "heavy = ['duckdb', 'dbt', 'great_expectations', 'pandas']\n"
        "print(bag.import_errors, sorted(bag.dags), [m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **AIRFLOW_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "{} ['ccpipe_daily'] []"


def test_tasks_run_in_order_and_writers_share_the_one_slot_pool(dag) -> None:
    edges = {(t.task_id, down) for t in dag.tasks for down in t.downstream_task_ids}
    chained = set(zip(TASK_ORDER, TASK_ORDER[1:], strict=False))
    # publish also reads build_marts' XCom: the as_of dbt judged FCR maturity at
    assert edges == chained | {("build_marts", "publish")}
    assert [t.task_id for t in dag.topological_sort()] == TASK_ORDER
    assert {t.task_id for t in dag.tasks if t.pool == POOL} == WRITERS
    assert {t.pool for t in dag.tasks if t.task_id not in WRITERS} == {"default_pool"}


def test_retries_timeouts_callbacks_and_sensor(dag) -> None:
    from ccpipe.airflow_support.notifiers import TaskFailureNotifier
    from ccpipe.airflow_support.retries import TransientFaultPolicy

    for t in dag.tasks:
        assert t.retries == 3, t.task_id
        assert t.retry_delay == timedelta(minutes=1)
        assert t.retry_exponential_backoff == 2.0
        assert t.max_retry_delay == timedelta(minutes=20)
        assert isinstance(t.retry_policy, TransientFaultPolicy)
        assert [type(c) for c in t.on_failure_callback] == [TaskFailureNotifier]
    timeouts = {t.task_id: t.execution_timeout for t in dag.tasks}
    assert timeouts == {
        "check_date_covered": timedelta(minutes=2),
        "wait_for_feeds": timedelta(minutes=2),
        "ingest": timedelta(minutes=30),
        "gate_feeds": timedelta(minutes=30),
        "build_marts": timedelta(hours=1),
        "gate_marts": timedelta(minutes=30),
        "publish": timedelta(minutes=15),
        "check_fcr_target": timedelta(minutes=10),
    }
    sensor = dag.get_task("wait_for_feeds")
    assert (sensor.mode, sensor.poke_interval, sensor.timeout) == ("reschedule", 300, 43200)
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"


def test_each_step_names_the_asset_it_produces(dag) -> None:
    outlets = {t.task_id: [a.name for a in t.outlets] for t in dag.tasks if t.outlets}
    assert outlets == {
        "ingest": ["ccpipe_raw_feeds"],
        "build_marts": ["ccpipe_work_marts"],
        "publish": ["ccpipe_published_marts"],
    }
    assert [a.name for a in dag.get_task("check_fcr_target").inlets] == ["ccpipe_published_marts"]


def test_transient_faults_retry_and_bad_input_fails_at_once() -> None:
    import duckdb
    from airflow.sdk import RetryAction

    from ccpipe.airflow_support.retries import TransientFaultPolicy
    from ccpipe.ingest import IngestError
    from ccpipe.publication import PublishError, UngatedMartsError
    from ccpipe.transform import TransformError

    policy = TransientFaultPolicy()

    def action(error: BaseException) -> RetryAction:
        return policy.evaluate(error, try_number=1, max_tries=4).action

    lock = 'IO Error: Could not set lock on file "/x/work.duckdb": Conflicting lock is held'
    assert action(duckdb.IOException(lock)) is RetryAction.RETRY
    assert action(TransformError(f"dbt build failed: {lock}")) is RetryAction.RETRY
    assert action(TimeoutError("read timed out")) is RetryAction.RETRY
    assert action(ConnectionResetError("peer reset")) is RetryAction.RETRY
    assert (
        action(IngestError.of("calls/x.csv", "missing required column(s) queue"))
        is RetryAction.FAIL
    )
    assert action(TransformError("dbt build failed: test not_null failed")) is RetryAction.FAIL
    assert action(PublishError("no tables")) is RetryAction.FAIL
    assert action(UngatedMartsError("rebuilt by another run")) is RetryAction.DEFAULT
    assert action(RuntimeError("something else")) is RetryAction.DEFAULT


def test_compose_file_runs_airflow_3_services_on_postgres_with_the_project_mounted() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {
        "postgres",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-init",
        "airflow-cli",
    }
    airflow = {name: s for name, s in services.items() if name.startswith("airflow-")}
    commands = {name: s["command"] for name, s in airflow.items() if name != "airflow-init"}
    assert commands == {
        "airflow-apiserver": ["airflow", "api-server"],
        "airflow-scheduler": ["airflow", "scheduler"],
        "airflow-dag-processor": ["airflow", "dag-processor"],
        "airflow-triggerer": ["airflow", "triggerer"],
        "airflow-cli": ["airflow", "version"],
    }
    mounts = {
        "./dags:/opt/airflow/dags",
        "./plugins:/opt/airflow/plugins",
        "./dbt_project:/opt/airflow/dbt_project",
        "./dbt_project.yml:/opt/airflow/dbt_project.yml",
        "./profiles.yml:/opt/airflow/profiles.yml",
        "./expectations:/opt/airflow/expectations",
        "${CCPIPE_DATA:-ccpipe-data}:/opt/ccpipe",
    }
    for name, service in airflow.items():
        assert service["build"]["context"] == ".", name
        assert service["image"] == "${CCPIPE_IMAGE:-ccpipe-airflow:3.3.2}", name
        assert mounts <= set(service["volumes"]), name
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
            "http://airflow-apiserver:8080/execution/"
        )
        assert env["CCPIPE_HOME"] == "/opt/ccpipe"
        assert env["CCPIPE_PROJECT_DIR"] == "/opt/airflow"
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        assert airflow[name]["depends_on"]["airflow-init"] == {
            "condition": "service_completed_successfully"
        }
        assert airflow[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    assert airflow["airflow-triggerer"]["healthcheck"]["test"][1].startswith(
        "airflow jobs check --job-type TriggererJob"
    )
    assert services["postgres"]["healthcheck"]["test"] == ["CMD", "pg_isready", "-U", "airflow"]
    assert airflow["airflow-apiserver"]["ports"] == ["8080:8080"]
    init = "\n".join(airflow["airflow-init"]["command"])
    assert "airflow db migrate" in init
    assert f'airflow pools set {POOL} 1 "' in init
    assert set(compose["volumes"]) == {"postgres-db-volume", "airflow-logs", "ccpipe-data"}

    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.splitlines()[3] == "FROM python:3.11-slim-bookworm"
    assert "RUN pip install -c constraints.txt -e . psycopg2-binary==2.9.13" in dockerfile
    lock = (REPO / "constraints.txt").read_text().splitlines()
    assert {"apache-airflow==3.3.2", "dbt-core==1.11.16", "duckdb==2.0.0"} <= set(lock)


# --- notifiers -------------------------------------------------------------------------------


def breach(channel, queue, eligible, rate, ci_high, final=False) -> FcrBreach:
    return FcrBreach(
        reporting_date="2026-11-03",
        channel=channel,
        queue=queue,
        fcr_eligible=eligible,
        fcr_rate=rate,
        fcr_target=0.8,
        fcr_ci_high=ci_high,
        is_significant=ci_high < 0.8,
        fcr_is_final=final,
    )


def test_fcr_notifier_sends_only_significant_breaches_on_enough_contacts(
    webhook: Webhook, mailbox: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    check = FcrCheck(
        "2026-11-03",
        min_sample=30,
        breaches=[
            breach(None, None, 297, 0.646, 0.699),  # overall, provisional: notified
            breach("email", "billing", 45, 0.6, 0.7322, final=True),  # final: notified
            breach("phone", "sales", 12, 0.5, 0.75),  # significant, too few contacts
            breach("chat", "general", 80, 0.78, 0.86),  # under target, not significant
        ],
    )
    caplog.set_level("INFO", logger="ccpipe.monitor")

    FcrBreachNotifier(check)({})

    text = [
        "FCR target check 2026-11-03: 2 significant breach(es) with >= 30 eligible contacts "
        "(4 row(s) under target)",
        "FCR target breach 2026-11-03 overall: FCR 64.6% < target 80.0%, 95% CI high 69.9%, "
        "297 eligible contacts, significant, PROVISIONAL (repeat window still open) FCR",
        "FCR target breach 2026-11-03 email/billing: FCR 60.0% < target 80.0%, "
        "95% CI high 73.2%, 45 eligible contacts, significant, final FCR",
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "ccpipe.monitor"] == text
    assert [r.levelname for r in caplog.records if r.name == "ccpipe.monitor"] == [
        "INFO",
        "WARNING",
        "WARNING",
    ]
    [body] = webhook.bodies
    assert body["text"] == "\n".join(text)
    assert [(b["channel"], b["queue"]) for b in body["ccpipe"]["notable"]] == [
        (None, None),
        ("email", "billing"),
    ]
    assert len(body["ccpipe"]["breaches"]) == 4
    [mail] = mailbox.messages
    assert mail["rcpt"] == ["TO:<ops@example.com>"]
    message = email.message_from_string(mail["message"])
    assert message["Subject"] == f"[ccpipe] {text[0]}"
    [part] = message.get_payload()
    escaped = "\n".join(text).replace("<", "&lt;").replace(">", "&gt;")
    assert part.get_payload(decode=True).decode() == f"<pre>{escaped}</pre>"


def test_fcr_notifier_without_a_notable_breach_sends_nothing(
    webhook: Webhook, mailbox: SmtpServer
) -> None:
    check = FcrCheck(
        "2026-11-03", min_sample=30, breaches=[breach("phone", "sales", 12, 0.5, 0.75)]
    )
    FcrBreachNotifier(check)({})
    assert webhook.bodies == []
    assert mailbox.messages == []
