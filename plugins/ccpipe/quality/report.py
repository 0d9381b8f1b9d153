"""What a gate found, as people read it: each expectation's verdict in one line, the failing
rows by their file and line (feeds) or grain key (marts), and the error block a failed gate
raises."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccpipe.paths import project_dir
from ccpipe.suites import expectation_columns, suite_path

FEED_ROW_ID = ("_source_file", "_source_line")  # how a failing raw row is named
FAILING_ROWS = 5  # failing rows shown per expectation in the error


class GateError(Exception):
    """A quality gate failed. The message is a readable block naming the suite, the
    expectation, the observed value and a few failing rows; `reason` is its first line and
    `report` every suite's verdict."""

    def __init__(self, report: GateReport) -> None:
        block = error_block(report)
        super().__init__(block)
        self.report = report
        self.reason = block.splitlines()[0]


@dataclass
class Outcome:
    """One expectation's verdict on one batch."""

    index: int  # position in the suite file
    expectation: dict[str, Any]  # as in the suite file
    label: str
    success: bool
    observed: str  # one line a person reads
    observed_value: Any  # JSON-able, for the history table
    result: dict[str, Any]
    failing_rows: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # what the observed value is made of


@dataclass
class Explanation:
    """Lines that explain a batch-level failure: how a parameter was computed, and rows."""

    context: list[str]
    rows: list[str] = field(default_factory=list)


@dataclass
class SuiteRun:
    """One suite validated against one batch."""

    suite: str
    batch: str  # what was validated, e.g. raw.call_legs where _load_date = ...
    rows: int
    parameters: dict[str, Any]
    outcomes: list[Outcome]
    seconds: float
    docs_page: str | None = None

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]


@dataclass
class GateReport:
    """Every suite a gate ran for one load date; `docs` is the Data Docs index."""

    stage: str
    load_date: str
    run_id: str
    suites: list[SuiteRun]
    docs: str | None = None
    results_page: str | None = None  # the same results, readable offline

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    def summary(self) -> str:
        checks = sum(len(s.outcomes) for s in self.suites)
        seconds = sum(s.seconds for s in self.suites)
        return (
            f"quality gate ({self.stage}) {self.load_date}: {len(self.suites)} suite(s), "
            f"{checks} expectations passed in {seconds:.1f}s"
        )


def kwargs_text(kwargs: dict[str, Any], parameters: dict[str, Any]) -> str:
    """The expectation's arguments, with each $PARAMETER shown with the value it got."""
    parts = []
    for key, value in kwargs.items():
        if key in ("column", "column_A", "column_B", "column_list", "row_condition"):
            continue
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
            name = value["$PARAMETER"]
            parts.append(f"{key}={shortened(parameters.get(name))} (${name})")
        else:
            parts.append(f"{key}={shortened(value)}")
    return ", ".join(parts)


def shortened(value: Any, limit: int = 160) -> str:
    text = value_text(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def value_text(value: Any) -> str:
    """A value as a person reads it: null, 5, 'text', 2026-11-03 09:00:00+00:00, [a, b]."""
    import numpy as np
    import pandas as pd

    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(value_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, np.datetime64):  # GX hands tz-aware columns back as naive UTC
        value = pd.Timestamp(value).tz_localize("UTC")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return "null"
        if value.is_integer():
            return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)


def observed_text(expectation: dict[str, Any], result: Any) -> tuple[str, Any]:
    """(one line a person reads, JSON-able observed value) of a GX result."""
    res = result.result or {}
    info = result.exception_info or {}
    # GX reports an exception flat, or per metric that failed to compute.
    errors = [info] if "exception_message" in info else list(info.values())
    messages = [
        " ".join(str(e.get("exception_message")).split())
        for e in errors
        if isinstance(e, dict) and e.get("exception_message")
    ]
    if messages:
        message = "; ".join(dict.fromkeys(messages))
        return f"error: {message}", {"error": message}
    kind = expectation["type"]
    if kind == "expect_table_columns_to_match_set":
        missing = (res.get("details") or {}).get("mismatched", {}).get("missing", [])
        observed = res.get("observed_value")
        if missing:
            return f"missing column(s) {value_text(missing)}; has {value_text(observed)}", observed
        return f"columns {value_text(observed)}", observed
    if kind == "expect_column_distinct_values_to_contain_set":
        missing = res.get("partial_missing_list") or []
        if missing:
            return f"missing {shortened(missing)}", {"missing": missing}
        return "all present", {"missing": []}
    if "unexpected_count" in res:
        count, total = res.get("unexpected_count") or 0, res.get("element_count") or 0
        counts = res.get("partial_unexpected_counts") or []
        if sum(c["count"] for c in counts) == count:  # GX counts within its sample only
            values = ", ".join(f"{shortened(c['value'], 80)} x{c['count']}" for c in counts[:5])
        else:
            values = "e.g. " + ", ".join(shortened(c["value"], 80) for c in counts[:5])
        share = f" ({count / total:.2%})" if total else ""
        text = f"{count} unexpected of {rows_text(total)}{share}"
        observed = {"unexpected_count": count, "element_count": total}
        if count and values:
            text += f": {values}"
            observed["values"] = [c["value"] for c in counts[:5]]
        return text, observed
    observed = res.get("observed_value")
    if kind == "expect_table_row_count_to_be_between":
        return rows_text(observed), observed
    if kind == "expect_column_unique_value_count_to_be_between":
        return f"{observed} distinct values", observed
    return shortened(observed), observed


def rows_text(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def failing_rows(expectation: dict[str, Any], result: Any, limit: int) -> list[str]:
    """A few failing rows named by their row id (file and line, or the mart's grain)."""
    res = result.result or {}
    rows = res.get("partial_unexpected_index_list") or []
    id_columns = res.get("unexpected_index_column_names") or []
    columns = [c for c in expectation_columns(expectation) if c not in id_columns]
    lines = []
    for row in rows[:limit]:
        if not isinstance(row, dict):
            lines.append(shortened(row))
            continue
        if id_columns[:2] == list(FEED_ROW_ID):
            where = f"{row.get('_source_file')} line {row.get('_source_line')}"
        else:
            where = ", ".join(f"{c}={value_text(row.get(c))}" for c in id_columns)
        values = ", ".join(f"{c}={shortened(row[c], 80)}" for c in columns if c in row)
        lines.append(f"{where}: {values}" if values else where)
    return lines


def error_block(report: GateReport) -> str:
    failed = [(s, o) for s in report.suites for o in s.failures]
    first_suite, first = failed[0]
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    rule = first.expectation.get("meta", {}).get("rule")
    what = f"{first.label} [{rule}]" if rule else first.label
    lines = [
        f"quality gate ({report.stage}) stopped the load of {report.load_date}: suite "
        f"{first_suite.suite}: {what}: {first.observed}{more}"
    ]
    for suite in report.suites:
        if suite.success:
            continue
        lines.append(
            f"suite {suite.suite} ({suite_path(suite.suite).relative_to(project_dir())}) on "
            f"{suite.batch}: {len(suite.failures)} of {len(suite.outcomes)} expectations "
            f"failed [run {report.run_id}]"
        )
        for outcome in suite.failures:
            rule = outcome.expectation.get("meta", {}).get("rule")
            lines.append(f"  FAILED #{outcome.index + 1} {outcome.label}")
            if rule:
                lines.append(f"    rule: {rule}")
            arguments = kwargs_text(outcome.expectation["kwargs"], suite.parameters)
            if arguments:
                lines.append(f"    expects: {arguments}")
            lines.append(f"    observed: {outcome.observed}")
            lines += [f"    context: {line}" for line in outcome.context]
            if outcome.failing_rows:
                lines.append("    failing rows:")
                lines += [f"      {row}" for row in outcome.failing_rows]
        if suite.docs_page:
            lines.append(f"  Data Docs: {suite.docs_page}")
    if report.docs:
        lines.append(f"Data Docs index: {report.docs}")
    if report.results_page:
        lines.append(f"Results page (opens offline): {report.results_page}")
    return "\n".join(lines)
