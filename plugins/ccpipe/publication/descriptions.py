"""The published file describes itself: every mart and column carries its dbt description as a
DuckDB comment, and meta.marts lists every mart with its grain. The date-grained marts declare
their grain as a primary key too; the two row-grained fact tables (every contact and survey
response of the history) state it in meta.marts only: a key index over tens of millions of
rows would cost every publication minutes and gigabytes.
"""

from __future__ import annotations

from ccpipe.relations import Relation
from ccpipe.warehouse import Connection, quote_ident, sql_literal

DATE_KEYS = ("reporting_date", "week_start")  # every mart is rebuilt by one of them


def primary_key(mart: Relation) -> tuple[str, ...]:
    """The grain of a date-grained mart (its primary key in the published file), else ()."""
    return mart.grain if mart.grain and mart.grain[0] in DATE_KEYS else ()


def with_primary_key(ddl: str, mart: Relation | None, columns: list[str]) -> str:
    """A CREATE TABLE statement of a table with these columns, with the mart's primary key
    if it has one the table can hold and the statement declares none yet."""
    key = primary_key(mart) if mart else ()
    if not key or not set(key) <= set(columns) or "PRIMARY KEY" in ddl.upper():
        return ddl
    body = ddl.rstrip().removesuffix(";").rstrip()
    return f"{body.removesuffix(')')}, PRIMARY KEY ({', '.join(map(quote_ident, key))}));"


def comments(con: Connection, catalog: str, schema: str) -> dict[tuple[str, str | None], str]:
    """(table, column or None) -> comment of every table, view and column of a schema."""
    rows = con.execute(
        """
        select table_name, null, comment from duckdb_tables()
        where database_name = ? and schema_name = ?
        union all
        select view_name, null, comment from duckdb_views()
        where database_name = ? and schema_name = ?
        union all
        select table_name, column_name, comment from duckdb_columns()
        where database_name = ? and schema_name = ?
        """,
        [catalog, schema] * 3,
    ).fetchall()
    return {(table, column): comment for table, column, comment in rows}


def describe_marts(
    con: Connection, work_schema: str, schema: str, meta_schema: str, marts: list[Relation]
) -> None:
    """In the published draft (catalog pub, the working warehouse attached as work): every
    table's and column's comment set, where it differs, to the working mart's own comment or
    else its dbt description (a patched file keeps what an earlier publish wrote); and
    meta.marts."""
    published = comments(con, "pub", schema)
    wanted = {
        key: comment for key, comment in comments(con, "work", work_schema).items() if comment
    }
    for mart in marts:
        wanted.setdefault((mart.identifier, None), mart.description)
        for column, description in mart.columns:
            wanted.setdefault((mart.identifier, column), description)
    for (table, column), comment in wanted.items():
        if not comment or (table, column) not in published or published[(table, column)] == comment:
            continue
        subject = f"pub.{schema}.{quote_ident(table)}"
        if column is None:
            con.execute(f"comment on table {subject} is {sql_literal(comment)}")
        else:
            con.execute(
                f"comment on column {subject}.{quote_ident(column)} is {sql_literal(comment)}"
            )
    con.execute(f"create schema if not exists pub.{meta_schema}")
    con.execute(
        f"""
        create or replace table pub.{meta_schema}.marts (
            table_name varchar primary key,
            grain varchar[] not null,
            primary_key varchar[],
            description varchar
        )
        """
    )
    listed = [
        (m.identifier, list(m.grain), list(primary_key(m)) or None, m.description)
        for m in marts
        if (m.identifier, None) in published
    ]
    if listed:
        con.executemany(f"insert into pub.{meta_schema}.marts values (?, ?, ?, ?)", listed)
    con.execute(
        f"comment on table pub.{meta_schema}.marts is "
        "'Every mart of schema marts: the columns one row stands for (grain), the primary key "
        "declared where it is one, and what the mart holds.'"
    )
