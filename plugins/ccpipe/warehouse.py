"""The working DuckDB warehouse: connections and the raw-layer tables ingest writes."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ccpipe.contracts import FEEDS, LINEAGE_COLUMNS, SQL_TYPES, Feed
from ccpipe.rules import sql_literal

RAW_SCHEMA = "raw"
# DuckDB's memory budget for every connection of a load, dbt's included (profiles.yml): past
# it DuckDB spills to disk instead of growing. Not DuckDB's own 80% of RAM: tasks of parallel
# backfills share a worker, and at 1M call legs a day this budget keeps a load under 4 GB at
# the same speed (README, Benchmark).
MEMORY_LIMIT_ENV = "CCPIPE_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2500MB"


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


def connect(path: Path | None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file (None: an in-memory database) with UTC as the session time
    zone, so casts never drift, and the load's memory budget."""
    if path is not None and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    con.execute("set python_enable_replacements = false")  # a missing table is an error
    con.execute(f"set memory_limit = {sql_literal(memory_limit())}")
    return con


def raw_table_ddl(feed: Feed) -> str:
    columns = [f"{c.name} {SQL_TYPES[c.type]}" for c in feed.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
    return f"create table if not exists {RAW_SCHEMA}.{feed.raw_table} ({', '.join(columns)})"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables, the quarantine and the load audit if they are not there yet."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for feed in FEEDS.values():
        con.execute(raw_table_ddl(feed))
    con.execute(
        f"""
        create table if not exists {RAW_SCHEMA}.quarantine (
            feed varchar not null,
            load_date date not null,
            source_file varchar not null,
            source_line bigint,
            column_name varchar,
            rule varchar not null,
            reason varchar not null,
            record json,
            quarantined_at timestamptz not null
        )
        """
    )
    con.execute(
        f"""
        create table if not exists {RAW_SCHEMA}.load_audit (
            load_id varchar not null,
            feed varchar not null,
            load_date date not null,
            source_file varchar,
            sha256 varchar,
            size_bytes bigint,
            rows_read bigint,
            rows_loaded bigint,
            rows_quarantined bigint,
            status varchar not null,
            message varchar,
            started_at timestamptz not null,
            finished_at timestamptz not null
        )
        """
    )
