"""The warehouse boundary: the only package that opens DuckDB, quotes SQL values and reads
the catalog. Moving ccpipe to another warehouse starts here (and in the dbt macros)."""

from ccpipe.warehouse.catalog import table_columns, table_exists
from ccpipe.warehouse.connection import (
    Connection,
    WarehouseError,
    configure_memory_limit,
    connect,
    describe_warehouse_error,
    is_resource_failure,
    memory_limit,
    release_dbt_connections,
)
from ccpipe.warehouse.raw_schema import RAW_SCHEMA, ensure_raw_schema, raw_table
from ccpipe.warehouse.sql import quote_ident, sql_literal, sql_text

__all__ = [
    "RAW_SCHEMA",
    "Connection",
    "WarehouseError",
    "configure_memory_limit",
    "connect",
    "describe_warehouse_error",
    "is_resource_failure",
    "ensure_raw_schema",
    "memory_limit",
    "quote_ident",
    "raw_table",
    "release_dbt_connections",
    "sql_literal",
    "sql_text",
    "table_columns",
    "table_exists",
]
