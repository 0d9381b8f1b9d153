"""A feed's batch of one date: its raw rows, and the parameters of the batch-level
expectations (files landed, quarantined share, row count band) computed in DuckDB from the raw
tables, the quarantine and the load audit, with what explains each if it fails."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from ccpipe.contracts import SOURCES
from ccpipe.quality.report import FAILING_ROWS
from ccpipe.settings import Settings
from ccpipe.warehouse import RAW_SCHEMA, Connection


@dataclass
class Explanation:
    """Lines that explain a batch-level failure: how a parameter was computed, and rows."""

    context: list[str]
    rows: list[str] = field(default_factory=list)


def quarantine_sample(con: Connection, feed: str, load_date: str, limit: int) -> list[str]:
    rows = con.execute(
        f"""
        select source_file, coalesce(source_path, 'line ' || source_line), reason
        from {RAW_SCHEMA}.quarantine
        where feed = ? and load_date = ? order by source_file, source_line limit {limit}
        """,
        [feed, load_date],
    ).fetchall()
    return [f"{file} {where}: {reason}" for file, where, reason in rows]


def latest_load(con: Connection, feed: str, load_date: str) -> list[tuple]:
    """The load_audit rows of the date's latest load of a feed: file, status, loaded, message."""
    return con.execute(
        f"""
        select source_file, status, rows_loaded, message
        from {RAW_SCHEMA}.load_audit
        where feed = ? and load_date = ? and load_id = (
            select arg_max(load_id, started_at) from {RAW_SCHEMA}.load_audit
            where feed = ? and load_date = ?
        )
        order by source_file
        """,
        [feed, load_date, feed, load_date],
    ).fetchall()


def feed_parameters(
    con: Connection, feed: str, load_date: str, settings: Settings
) -> tuple[dict[str, Any], dict[str, Explanation]]:
    """The suite parameters of a feed's batch-level expectations, computed in DuckDB from
    the raw tables, the quarantine and raw.load_audit; and, per parameter (or column), what
    explains a failure of an expectation using it."""
    table = f"{RAW_SCHEMA}.{SOURCES[feed].raw_table}"
    loaded = con.execute(f"select count(*) from {table} where _load_date = ?", [load_date])
    rows_loaded = loaded.fetchone()[0]
    rows_quarantined = con.execute(
        f"select count(*) from {RAW_SCHEMA}.quarantine where feed = ? and load_date = ?",
        [feed, load_date],
    ).fetchone()[0]
    rows_read = rows_loaded + rows_quarantined
    allowed_bad = math.floor(Fraction(str(settings.max_bad_row_share)) * rows_read)
    audit = latest_load(con, feed, load_date)
    files_landed = [
        source_file
        for source_file, status, loaded_rows, _ in audit
        if source_file is not None and (status == "failed" or (status == "loaded" and loaded_rows))
    ]
    day = date.fromisoformat(load_date)
    history = con.execute(
        f"""
        select _load_date, count(*) from {table}
        where _load_date >= ? and _load_date < ? group by 1 order by 1
        """,
        [day - timedelta(days=settings.row_count_history_days), day],
    ).fetchall()
    row_count_min = row_count_max = None
    median = Fraction(0)
    if history:
        median = Fraction(statistics.median(n for _, n in history))
        row_count_min = math.floor(Fraction(str(settings.row_count_min_ratio)) * median)
        row_count_max = math.ceil(Fraction(str(settings.row_count_max_ratio)) * median)
    share = f"{rows_quarantined / rows_read:.2%}" if rows_read else "n/a"
    files = Explanation(
        [
            f"latest load: {source_file or '(no file)'}: {status}"
            + (f" ({message})" if message else "")
            for source_file, status, _, message in audit
        ]
        or ["raw.load_audit holds no load of this feed and date"]
    )
    band = "no history: no band"
    if history:
        band = (
            f"band [{row_count_min}, {row_count_max}] = [{settings.row_count_min_ratio}, "
            f"{settings.row_count_max_ratio}] x median {float(median):g}"
        )
    counts = Explanation(
        [
            f"rows per date, trailing {settings.row_count_history_days} days: "
            + (", ".join(f"{d} {n}" for d, n in history) or "none")
            + f"; {band}"
        ]
    )
    explanations = {
        "min_rows_loaded": Explanation(
            [
                f"rows read {rows_read} = loaded {rows_loaded} + quarantined "
                f"{rows_quarantined} ({share}); max_bad_row_share "
                f"{settings.max_bad_row_share} allows {allowed_bad}"
            ],
            quarantine_sample(con, feed, load_date, FAILING_ROWS),
        ),
        "files_landed": files,
        "_source_file": files,
        "row_count_min": counts,
        "row_count_max": counts,
    }
    parameters = {
        "files_landed": files_landed,
        "min_rows_loaded": rows_read - allowed_bad,
        "row_count_min": row_count_min,
        "row_count_max": row_count_max,
    }
    return parameters, explanations
