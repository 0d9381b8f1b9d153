"""A throw-away Airflow for the tests: AIRFLOW_HOME with SQLite metadata, configured on import,
before Airflow is first imported in this process; the migrated database, the DAG, a dag.test() run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ccpipe-airflow-"))
REPO = Path(__file__).resolve().parents[1]
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
}
if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(AIRFLOW_HOME):
    raise RuntimeError("airflow_home must configure Airflow before anything imports it")
os.environ.update(AIRFLOW_ENV)

from ccpipe.paths import Paths  # noqa: E402

POOL = "ccpipe_duckdb"
TASK_ORDER = [
    "check_date_covered",
    "wait_for_feeds",
    "ingest",
    "gate_feeds",
    "build_marts",
    "gate_marts",
    "publish",
    "check_fcr_target",
]


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=REPO / "dags")
    assert bag.import_errors == {}
    return bag.dags["ccpipe_daily"]


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
