"""The Airflow DAG: it parses cleanly and light, its wiring is what the README says, and real
`dag.test()` runs over generated feeds publish the same marts as `ccpipe run`, keep the last
publication when a gate fails, and notify FCR breaches and failures over a real webhook.

Airflow runs against a throw-away AIRFLOW_HOME with SQLite metadata, set up before Airflow is
first imported in this process.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ccpipe-airflow-"))
REPO = Path(__file__).resolve().parents[1]
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
}
if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(AIRFLOW_HOME):
    raise RuntimeError("test_dags.py must configure Airflow before anything imports it")
os.environ.update(AIRFLOW_ENV)

from pipeline_runs import (  # noqa: E402
    DAYS,
    copy_home,
    file_digest,
    first_day_home,
    marts_snapshot,
    new_home,
    reference_snapshot,
)

from ccpipe.airflow_support.notifiers import FcrBreachNotifier  # noqa: E402
from ccpipe.monitor import FcrBreach, FcrCheck  # noqa: E402
from ccpipe.paths import Paths  # noqa: E402

from conftest import leg, write_csv  # noqa: E402

POOL = "ccpipe_duckdb"
TASK_ORDER = [
    "wait_for_feeds",
    "ingest",
    "gate_feeds",
    "build_marts",
    "gate_marts",
    "publish",
    "check_fcr_target",
]
WRITERS = {"ingest", "gate_feeds", "build_marts", "gate_marts", "publish"}


class Webhook:
    """A real HTTP endpoint recording the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def connection(self) -> str:
        host = f"http://127.0.0.1:{self.server.server_port}/hooks/ccpipe"
        return json.dumps({"conn_type": "http", "host": host})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    """A real (plain, local) SMTP server keeping each message it is given."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        messages = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 ccpipe-test ESMTP")
                envelope: dict = {"rcpt": []}
                while line := self.rfile.readline().decode().rstrip("\r\n"):
                    verb, _, argument = line.partition(" ")
                    verb = verb.upper()
                    if verb == "MAIL":
                        envelope["from"] = argument
                    elif verb == "RCPT":
                        envelope["rcpt"].append(argument)
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                            data.append(chunk)
                        messages.append({**envelope, "message": "".join(data)})
                        envelope = {"rcpt": []}
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    self.reply("250 ccpipe-test" if verb in ("EHLO", "HELO") else "250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def connection(self, to: str) -> str:
        extra = {"to": to, "from_email": "ccpipe@example.com", "disable_ssl": True}
        extra |= {"disable_tls": True, "retry_limit": 0}
        port = self.server.server_address[1]
        return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """Migrated SQLite metadata and the one-slot pool every DuckDB-writing task uses."""
    subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        env={**os.environ, **AIRFLOW_ENV},
        check=True,
        capture_output=True,
        timeout=300,
    )
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        POOL, slots=1, description="one DuckDB writer at a time", include_deferred=False
    )
    yield
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=REPO / "dags")
    assert bag.import_errors == {}
    return bag.dags["ccpipe_daily"]


@pytest.fixture
def webhook():
    hook = Webhook()
    previous = os.environ.get("AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK")
    os.environ["AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK"] = hook.connection
    yield hook
    hook.close()
    if previous is None:
        os.environ.pop("AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK", None)
    else:
        os.environ["AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK"] = previous


@pytest.fixture
def mailbox():
    server = SmtpServer()
    os.environ["AIRFLOW_CONN_CCPIPE_FCR_EMAIL"] = server.connection("ops@example.com")
    yield server
    os.environ.pop("AIRFLOW_CONN_CCPIPE_FCR_EMAIL", None)
    server.close()


def run_dag(dag, paths: Paths, load_date: str) -> dict[str, str]:
    """One real dag.test() run loading `load_date`; returns each task's final state.

    The daily timetable's data interval of a run at midnight D+1 is the day D.
    """
    previous = os.environ.get("CCPIPE_HOME")
    os.environ["CCPIPE_HOME"] = str(paths.home)  # the tasks run in this process
    logical_date = datetime.fromisoformat(load_date).replace(tzinfo=UTC) + timedelta(days=1)
    try:
        run = dag.test(logical_date=logical_date)
    finally:
        if previous is None:
            os.environ.pop("CCPIPE_HOME")
        else:
            os.environ["CCPIPE_HOME"] = previous
    assert run.data_interval_start.date().isoformat() == load_date
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


# --- parsing and structure ------------------------------------------------------------------


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


# --- real runs -------------------------------------------------------------------------------


def test_a_dag_run_publishes_the_same_marts_as_the_cli_and_notifies_breaches(
    dag, tmp_path: Path, webhook: Webhook
) -> None:
    paths = new_home(tmp_path)
    states = run_dag(dag, paths, DAYS[0])

    assert states == dict.fromkeys(TASK_ORDER, "success")
    assert marts_snapshot(paths.marts_db) == marts_snapshot(first_day_home().marts_db)
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

    with duckdb.connect(str(paths.marts_db), read_only=True) as con:
        return con.execute(
            """
            select null, null, fcr_eligible from marts.marts.kpi_daily
            where reporting_date = $day and fcr_ci_high < fcr_target
              and fcr_eligible >= $min_sample
            union all
            select channel, queue, fcr_eligible from marts.marts.kpi_daily_by_queue
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
    assert marts_snapshot(paths.marts_db) == reference_snapshot()


def test_failed_gate_keeps_the_last_publication_and_reports_date_task_reason(
    dag, tmp_path: Path, webhook: Webhook
) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    published = file_digest(paths.marts_db)
    bad = [leg(call_id=f"X{n}", direction="sideways") for n in range(200)]
    write_csv(paths, "calls", DAYS[1], "late_export.csv", bad)

    states = run_dag(dag, paths, DAYS[1])

    assert states == {
        "wait_for_feeds": "success",
        "ingest": "success",
        "gate_feeds": "failed",
        "build_marts": "upstream_failed",
        "gate_marts": "upstream_failed",
        "publish": "upstream_failed",
        "check_fcr_target": "upstream_failed",
    }
    assert file_digest(paths.marts_db) == published
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
    assert marts_snapshot(paths.marts_db) == reference_snapshot()


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
