"""Shared fixtures: a throw-away CCPIPE_HOME and writers for small hand-made landing files."""

from __future__ import annotations

import csv
import functools
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from ccpipe.contracts import FEEDS
from ccpipe.paths import Paths
from ccpipe.relations import manifest_path
from ccpipe.transform import invoke_dbt

# Fixtures of the Airflow tests (a throw-away Airflow, local webhook and SMTP servers).
pytest_plugins = ["airflow_home", "notify_servers"]

# The marts the published file promises BI tools, in its schema `marts`.
BI_MARTS = (
    "kpi_daily",
    "kpi_daily_by_queue",
    "call_ops_daily",
    "ticket_ops_daily",
    "ces_daily",
    "agent_scorecard_weekly",
    "fcr_target_breaches",
    "fct_contacts",
    "fct_survey_responses",
)


@functools.cache
def parsed_manifest() -> Path:
    """dbt's manifest of the project, parsed once per test session."""
    home = Paths(Path(tempfile.mkdtemp(prefix="ccpipe-manifest-")))
    result = invoke_dbt(home, ["parse"])
    assert result.success, result.exception
    return manifest_path(home)


def give_manifest(paths: Paths) -> None:
    """A hand-built home gets dbt's manifest, as if its dbt had run: where the models live."""
    target = manifest_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(parsed_manifest(), target)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("CCPIPE_HOME", str(tmp_path / "home"))
    return Paths.from_env().ensure()


def write_csv(
    paths: Paths,
    feed: str,
    date: str,
    name: str,
    rows: list[dict],
    columns: list[str] | None = None,
) -> Path:
    """A CSV landing file; columns default to the feed's contract columns."""
    folder = paths.landing_dir(feed, date)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    columns = columns or FEEDS[feed].column_names
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def write_jsonl(paths: Paths, feed: str, date: str, name: str, rows: list[dict | str]) -> Path:
    """A JSONL landing file; a str row is written as the raw line."""
    folder = paths.landing_dir(feed, date)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def leg(**overrides) -> dict:
    """One answered, completed inbound call leg; override what a case needs."""
    row = {
        "call_id": "C1",
        "leg_seq": "1",
        "direction": "inbound",
        "customer_id": "K1",
        "queue": "billing",
        "agent_id": "A1",
        "started_at": "2026-11-03T09:00:00Z",
        "answered_at": "2026-11-03T09:00:10Z",
        "ended_at": "2026-11-03T09:05:00Z",
        "wrap_seconds": "30",
        "disposition": "completed",
        "reason_code": "billing",
        "resolved": "true",
    }
    row.update(overrides)
    return row


def ticket(**overrides) -> dict:
    """One solved one-touch email ticket version."""
    row = {
        "ticket_id": "T1",
        "updated_at": "2026-11-03T12:00:00Z",
        "customer_id": "K2",
        "channel": "email",
        "category": "delivery",
        "queue": "support",
        "priority": "normal",
        "status": "solved",
        "agent_id": "A2",
        "created_at": "2026-11-03T10:00:00Z",
        "first_response_at": "2026-11-03T10:30:00Z",
        "solved_at": "2026-11-03T12:00:00Z",
        "reopen_count": "0",
        "agent_reply_count": "1",
        "source_call_id": None,
    }
    row.update(overrides)
    return row


def survey(**overrides) -> dict:
    """One CSAT response on 1-5 rating call C1."""
    row = {
        "response_id": "R1",
        "survey_type": "csat",
        "contact_type": "call",
        "contact_id": "C1",
        "customer_id": "K1",
        "responded_at": "2026-11-03T10:00:00Z",
        "score": "5",
        "scale_min": "1",
        "scale_max": "5",
        "language": "en",
        "comment": "great",
    }
    row.update(overrides)
    return row
