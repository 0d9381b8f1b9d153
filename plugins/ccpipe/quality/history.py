"""Every gate result kept: one row per expectation in audit.validation_results."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ccpipe.quality.report import GateReport
from ccpipe.suites import parameter_names
from ccpipe.warehouse import Connection

AUDIT_SCHEMA = "audit"


def ensure_audit_schema(con: Connection) -> None:
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {AUDIT_SCHEMA}.validation_results (
            run_id varchar not null,
            load_date date not null,
            stage varchar not null,
            suite varchar not null,
            expectation_index integer not null,
            expectation varchar not null,
            rule varchar,
            success boolean not null,
            observed varchar not null,
            observed_value json,
            failing_rows json,
            parameters json,
            result json,
            batch varchar not null,
            batch_rows bigint not null,
            data_docs_page varchar,
            validated_at timestamptz not null
        )
        """
    )


def write_history(con: Connection, report: GateReport, at: datetime) -> None:
    ensure_audit_schema(con)

    def as_json(value: Any) -> str:
        return json.dumps(value, default=str, ensure_ascii=False)

    rows = [
        (
            report.run_id,
            report.load_date,
            report.stage,
            suite.suite,
            outcome.index,
            outcome.label,
            outcome.expectation.get("meta", {}).get("rule"),
            outcome.success,
            outcome.observed,
            as_json(outcome.observed_value),
            as_json(outcome.failing_rows),
            as_json({p: suite.parameters.get(p) for p in parameter_names(outcome.expectation)}),
            as_json(outcome.result),
            suite.batch,
            suite.rows,
            suite.docs_page,
            at,
        )
        for suite in report.suites
        for outcome in suite.outcomes
    ]
    con.executemany(
        f"insert into {AUDIT_SCHEMA}.validation_results values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
