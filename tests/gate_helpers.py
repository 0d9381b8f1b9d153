"""Hand-made inputs of the quality gate tests: typed raw rows, a stand-in publication, marts
with their contract's columns, and the gate's error read back."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from ccpipe.contracts import FEEDS
from ccpipe.paths import Paths, project_dir
from ccpipe.quality import GateError
from ccpipe.transform import invoke_dbt
from ccpipe.warehouse import connect, ensure_raw_schema

DAY = "2026-11-03"


def ts(hour: int, minute: int = 0, second: int = 0, day: str = DAY) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(
        hours=hour, minutes=minute, seconds=second
    )


def days_before(n: int) -> str:
    return (date.fromisoformat(DAY) - timedelta(days=n)).isoformat()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Paths:
    return Paths(tmp_path_factory.mktemp(name).resolve()).ensure()


# --------------------------------------------------------------------------- hand-made data

# One good typed raw row per feed; a case overrides what it breaks.
GOOD_RAW = {
    "calls": {
        "call_id": "C0",
        "leg_seq": 1,
        "direction": "inbound",
        "customer_id": "K1",
        "queue": "billing",
        "agent_id": "A1",
        "started_at": ts(9),
        "answered_at": ts(9, 0, 10),
        "ended_at": ts(9, 5),
        "wrap_seconds": 30,
        "disposition": "completed",
        "reason_code": "billing",
        "resolved": True,
    },
    "tickets": {
        "ticket_id": "T0",
        "updated_at": ts(12),
        "customer_id": "K2",
        "channel": "email",
        "category": "delivery",
        "queue": "support",
        "priority": "normal",
        "status": "solved",
        "agent_id": "A2",
        "created_at": ts(10),
        "first_response_at": ts(10, 30),
        "solved_at": ts(12),
        "reopen_count": 0,
        "agent_reply_count": 1,
        "source_call_id": None,
    },
    "surveys": {
        "response_id": "R0",
        "survey_type": "csat",
        "contact_type": "call",
        "contact_id": "C0",
        "customer_id": "K1",
        "responded_at": ts(10),
        "score": 5,
        "scale_min": 1,
        "scale_max": 5,
        "language": "en",
        "comment": "great",
    },
}
KEY = {"calls": "call_id", "tickets": "ticket_id", "surveys": "response_id"}


def insert_raw(
    paths: Paths, feed: str, rows: list[dict], load_date: str = DAY, source: str | None = None
) -> None:
    """Typed rows straight into raw.<table> (a batch ingest could never have loaded)."""
    columns = FEEDS[feed].column_names
    source = source or f"{feed}/{load_date}/hand.csv"
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        con.executemany(
            f"insert into raw.{FEEDS[feed].raw_table} values "
            f"({', '.join('?' * (len(columns) + 6))})",
            [
                [{**GOOD_RAW[feed], **row}[c] for c in columns]
                + [load_date, source, "sha", line, None, datetime.now(UTC)]
                for line, row in enumerate(rows, start=2)
            ],
        )


def stand_in_publication(paths: Paths, kpi_rows: list[dict] | None = None) -> str:
    """A published ccpipe.duckdb (what BI reads) with kpi_daily; returns its sha256."""
    with duckdb.connect() as con:
        con.execute(f"attach '{paths.published_db}' as pub")
        con.execute("use pub")
        create_marts(con, ["kpi_daily"])
        insert_marts(con, "kpi_daily", kpi_rows or [GOOD_KPI_DAILY])
    return sha256(paths.published_db)


MART_COLUMNS = {
    model["name"]: [(c["name"], c["data_type"]) for c in model["columns"]]
    for model in yaml.safe_load(
        (project_dir() / "dbt_project/models/marts/_marts__models.yml").read_text()
    )["models"]
}


def create_marts(con: duckdb.DuckDBPyConnection, marts: list[str] | None = None) -> None:
    """Mart tables with the columns and types of their dbt contracts."""
    con.execute("create schema if not exists marts")
    for mart in marts or MART_COLUMNS:
        columns = ", ".join(f"{name} {kind}" for name, kind in MART_COLUMNS[mart])
        con.execute(f"create table marts.{mart} ({columns})")


def insert_marts(con: duckdb.DuckDBPyConnection, mart: str, rows: list[dict]) -> None:
    for row in rows:
        names = ", ".join(row)
        con.execute(
            f"insert into marts.{mart} ({names}) values ({', '.join('?' * len(row))})",
            list(row.values()),
        )


KPI = {
    "contacts_handled": 100,
    "fcr_eligible": 90,
    "fcr_resolved": 72,
    "fcr_rate": 0.8,
    "fcr_ci_low": 0.7,
    "fcr_ci_high": 0.87,
    "fcr_target": 0.8,
    "fcr_is_final": False,
    "fcr_survey_rate": 0.75,
    "csat_pct": 0.9,
    "csat_ci_low": 0.8,
    "csat_ci_high": 0.95,
    "csat_score_pct": 85.0,
    "nps": 40.0,
    "ces_net": 30.0,
}
GOOD_KPI_DAILY = {"reporting_date": DAY, **KPI}


def build_late_data(paths: Paths, load_date: str = DAY) -> None:
    """The dbt model the marts gate reads the load's late data from, built from the raw rows
    (with the views it reads); leaves the home its dbt manifest too."""
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
    select = ["+int_reporting_dates_late_data"]
    result = invoke_dbt(paths, ["run", "--select", *select], {"load_date": load_date})
    assert result.success, result.exception


@dataclass
class Stopped:
    """A gate run that raised: the error and the publication's checksum around it."""

    error: GateError
    published_before: str
    published_after: str
    paths: Paths | None = None

    @property
    def failures(self) -> dict[tuple[str, str], dict]:
        """The error block read back: (suite, expectation label) -> observed, failing rows."""
        found: dict[tuple[str, str], dict] = {}
        suite, current = None, None
        for line in str(self.error).splitlines()[1:]:
            if match := re.match(r"suite (\S+) \(", line):
                suite = match.group(1)
            elif match := re.match(r"  FAILED #\d+ (.+)$", line):
                current = found[(suite, match.group(1))] = {"rows": [], "context": []}
            elif line.startswith("    observed: "):
                current["observed"] = line.removeprefix("    observed: ")
            elif line.startswith("    context: "):
                current["context"].append(line.removeprefix("    context: "))
            elif line.startswith("      "):
                current["rows"].append(line.strip())
        return found


def stopped_run(paths: Paths, gate, published: str) -> Stopped:
    with pytest.raises(GateError) as raised:
        gate(paths, DAY, run_id=f"test-{paths.home.name}")
    return Stopped(raised.value, published, sha256(paths.published_db), paths)


def one(n: int, value: str, count: int = 1) -> str:
    """The observed line of a column expectation with `count` bad rows of n."""
    rows = "1 row" if n == 1 else f"{n} rows"
    return f"{count} unexpected of {rows} ({count / n:.2%}): {value} x{count}"


def check(stopped: Stopped, suite: str, expectation: str, observed: str, rows: list[str]):
    """The gate stopped, named this expectation with its observed value and failing rows,
    and the publication is byte-identical."""
    failures = stopped.failures
    assert (suite, expectation) in failures, f"{expectation} not named in:\n{stopped.error}"
    assert failures[(suite, expectation)]["observed"] == observed
    assert failures[(suite, expectation)]["rows"] == rows
    assert stopped.published_after == stopped.published_before
