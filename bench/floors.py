"""The floor: plain DuckDB computing a day's kpi_daily and call_ops_daily from its landing
files (bench/floor.sql), and its numbers checked against the published marts."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from string import Template

import duckdb

from bench import (
    BENCH_DIR,
)
from ccpipe import pipeline
from ccpipe.contracts import FEEDS
from ccpipe.ingest import landing_files
from ccpipe.paths import Paths


def text_reader(files: list[Path], feed: str) -> str:
    """Every file of a feed's day as rows of text columns, whatever its format."""
    columns = FEEDS[feed].column_names
    csv_files = [str(f) for f in files if ".csv" in f.name]
    json_files = [str(f) for f in files if ".jsonl" in f.name]
    parts = []
    if csv_files:
        parts.append(
            f"select {', '.join(columns)} from read_csv({csv_files}, header = true, "
            "all_varchar = true, union_by_name = true, delim = ',', quote = '\"', escape = '\"')"
        )
    if json_files:
        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
        parts.append(
            f"select {', '.join(columns)} from read_json({json_files}, "
            f"format = 'newline_delimited', columns = {spec})"
        )
    return " union all ".join(parts)


def run_floor(landing: Path, day: date) -> tuple[float, duckdb.DuckDBPyConnection]:
    text = day.isoformat()
    readers = {feed: text_reader(landing_files(landing / feed / text), feed) for feed in FEEDS}
    script = Template((BENCH_DIR / "floor.sql").read_text(encoding="utf-8")).substitute(
        **readers, day=text, as_of=pipeline.end_of_date(text).isoformat()
    )
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(script)
    return time.perf_counter() - started, con


def compare_with_floor(floor: duckdb.DuckDBPyConnection, paths: Paths, day: date) -> list[str]:
    """Every column the floor computes must equal the published mart (1e-9 for decimals)."""
    floor.execute(f"attach '{paths.published_db}' as published (read_only)")
    differences = []
    for table, keys in (
        ("kpi_daily", ["reporting_date"]),
        ("call_ops_daily", ["reporting_date", "queue"]),
    ):
        columns = [r[0] for r in floor.execute(f"describe floor_{table}").fetchall()]
        measures = [c for c in columns if c not in keys]
        on = " and ".join(f"f.{k} = p.{k}" for k in keys)
        checks = " or ".join(
            f"not (f.{c} is not distinct from p.{c} or abs(f.{c} - p.{c}) < 1e-9)"
            if c not in ("fcr_meets_target", "fcr_is_final")
            else f"f.{c} is distinct from p.{c}"
            for c in measures
        )
        rows = floor.execute(
            f"""
            select f.* from floor_{table} as f
            left join (select * from published.marts.{table}
                       where reporting_date = date '{day}') as p on {on}
            where p.reporting_date is null or {checks}
            """
        ).fetchall()
        differences += [f"{table}: floor row {row} differs from the published mart" for row in rows]
    return differences


def measure_floor(landing: Path, days: list[date], paths: Paths) -> tuple[float, list[str]]:
    """The floor of each day on its own files, summed; the last day's floor numbers against
    the home's published marts (earlier days are judged at a later as_of in the marts)."""
    total = 0.0
    for n, day in enumerate(days, 1):
        seconds, floor = run_floor(landing, day)
        total += seconds
        if day != days[-1]:
            floor.close()
        if n % 30 == 0:
            print(f"  floor: {n} of {len(days)} days, {total:.1f} s so far")
    differences = compare_with_floor(floor, paths, days[-1])
    floor.close()
    verdict = "equal" if not differences else f"{len(differences)} row(s) DIFFER"
    print(
        f"  floor: {total:.2f} s over {len(days)} day(s); "
        f"its {days[-1]} vs the published marts: {verdict}"
    )
    return total, differences
