"""Connections to the warehouse files: the one place that opens DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ccpipe.settings import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV
from ccpipe.warehouse.sql import sql_literal

Connection = duckdb.DuckDBPyConnection
WarehouseError = duckdb.Error


_configured: dict[str, str] = {}  # the budget the process's settings give (use_settings)


def configure_memory_limit(limit: str) -> None:
    """The budget of every connection this process opens from now on, dbt's included."""
    _configured["limit"] = limit


def memory_limit() -> str:
    """DuckDB's memory budget for every connection of a load, dbt's included (profiles.yml):
    past it DuckDB spills to disk instead of growing. Not DuckDB's own 80% of RAM: tasks of
    parallel backfills share a worker, and at 1M call legs a day the default keeps a load
    under 4 GB at the same speed (bench/README.md). The setting duckdb_memory_limit: its
    environment variable, else the value configure_memory_limit was given (from
    settings.toml, pipeline.use_settings), else the default."""
    configured = _configured.get("limit", DEFAULT_MEMORY_LIMIT)
    return os.environ.get(MEMORY_LIMIT_ENV) or configured


def is_resource_failure(error: BaseException) -> bool:
    """Whether a warehouse error is the machine's (memory, disk), not the data's."""
    return isinstance(error, duckdb.OutOfMemoryException) or "No space left on device" in str(error)


def describe_warehouse_error(error: BaseException) -> str | None:
    """A resource failure in a person's words (None for any other error)."""
    if isinstance(error, duckdb.OutOfMemoryException):
        return (
            f"DuckDB ran out of memory within its budget duckdb_memory_limit = "
            f"{memory_limit()}: raise it (CCPIPE_DUCKDB_MEMORY_LIMIT, or [pipeline] in "
            "settings.toml) and run the date again"
        )
    if "No space left on device" in str(error):
        return "the disk is full: free space under CCPIPE_HOME and run the date again"
    return None


def connect(path: Path | None, read_only: bool = False) -> Connection:
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


def release_dbt_connections() -> None:
    """Close the DuckDB instance dbt-duckdb keeps for the process after an in-process run.

    Otherwise the working warehouse stays open in this process and the next step (publish,
    a read-only reader) cannot open it with another configuration.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()
