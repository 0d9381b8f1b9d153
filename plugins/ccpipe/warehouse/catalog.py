"""What the warehouse holds: tables and their columns, read from its information schema."""

from __future__ import annotations

from ccpipe.warehouse.connection import Connection


def table_columns(
    con: Connection, schema: str, table: str, catalog: str | None = None
) -> dict[str, str]:
    """Column -> type of a table, in column order (empty when the table does not exist); the
    current database unless a catalog (an attached file) is named."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) and table_schema = ? "
        "and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return dict(rows)


def table_exists(con: Connection, schema: str, table: str, catalog: str | None = None) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = coalesce(?, current_database()) and table_schema = ? "
            "and table_name = ?",
            [catalog, schema, table],
        ).fetchone()[0]
    )
