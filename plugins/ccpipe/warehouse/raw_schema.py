"""The raw layer ingest writes: one table per source (and the identity map), the quarantine
and the load audit."""

from __future__ import annotations

from ccpipe.contracts import IDENTITIES, SOURCES, SQL_TYPES, Feed
from ccpipe.warehouse.connection import Connection

RAW_SCHEMA = "raw"


def raw_table(feed: Feed) -> str:
    return f"{RAW_SCHEMA}.{feed.raw_table}"


def raw_table_ddl(feed: Feed) -> str:
    columns = [f"{c.name} {SQL_TYPES[c.type]}" for c in feed.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in feed.lineage_columns]
    return f"create table if not exists {raw_table(feed)} ({', '.join(columns)})"


def ensure_raw_schema(con: Connection) -> None:
    """Create the raw tables, the quarantine and the load audit if they are not there yet."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for feed in (*SOURCES.values(), IDENTITIES):
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
            quarantined_at timestamptz not null,
            source_path varchar
        )
        """
    )
    # A record named by its JSON path ($.tickets[3]) has it here (homes from before: added).
    con.execute(f"alter table {RAW_SCHEMA}.quarantine add column if not exists source_path varchar")
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
