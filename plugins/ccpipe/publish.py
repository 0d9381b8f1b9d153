"""Atomic publication of the marts: BI readers see the previous file or the new one, never a mix.

The marts are built and gated in the working warehouse (schema `marts` of work.duckdb). Publishing
copies that schema into a new DuckDB file beside `marts.duckdb` (a draft named
`marts.duckdb.<pid>.<id>.publishing`), checkpoints and fsyncs it, then renames it over
`marts.duckdb`. The rename is atomic on POSIX: a reader that opens the path gets either file
whole, and a reader that already holds the old file keeps reading its snapshot (the old inode
lives until it closes). Nothing ever opens `marts.duckdb` read-write, so BI clients' shared
read locks never block a load. A process killed mid-publish leaves only a draft, removed by the
next publish; `marts.duckdb` stays the last complete publication.

Only gated marts are published: the build stage clears a mark in the working warehouse before
dbt runs (`clear_gate_mark`), the marts gate sets it once they pass (`mark_gated`), and publish
refuses marts without it. So a build killed half-way, or another run's build that slipped in
between this run's gate and its publish, is never put in front of BI.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ccpipe.config import Paths
from ccpipe.rules import sql_literal
from ccpipe.warehouse import connect

MARTS_SCHEMA = "marts"
META_SCHEMA = "meta"
DRAFT_SUFFIX = ".publishing"
GATE_MARK = "publish_state.gated_marts"  # in the working warehouse


class PublishError(Exception):
    """The working warehouse holds nothing publishable; the message says what is missing."""


class UngatedMartsError(Exception):
    """The marts were rebuilt since they last passed the gate (another run's build came in
    between): transient, a retry publishes once that build has passed its own gate."""


def set_gate_mark(paths: Paths, load_date: str | None) -> None:
    """Record whether the marts as they are now passed the gate (None: not yet gated)."""
    with connect(paths.work_db) as con:
        con.execute("create schema if not exists publish_state")
        con.execute(
            f"create table if not exists {GATE_MARK} (load_date date, gated_at timestamptz)"
        )
        con.execute(f"delete from {GATE_MARK}")
        if load_date is not None:
            con.execute(f"insert into {GATE_MARK} values (?, ?)", [load_date, datetime.now(UTC)])


def clear_gate_mark(paths: Paths) -> None:
    """Before dbt rebuilds the marts: whatever is built next has not been gated yet."""
    set_gate_mark(paths, None)


def mark_gated(paths: Paths, load_date: str) -> None:
    """After the marts gate passed on the marts as they are now."""
    set_gate_mark(paths, load_date)


def require_gate_mark(con: duckdb.DuckDBPyConnection, source: Path) -> None:
    mark = con.execute(
        "select count(*) from information_schema.tables where table_catalog = 'work' "
        "and table_schema = 'publish_state' and table_name = 'gated_marts'"
    ).fetchone()[0]
    gated = mark and con.execute(f"select count(*) from work.{GATE_MARK}").fetchone()[0]
    if not gated:
        raise UngatedMartsError(
            f"{source}: the marts have been rebuilt and not gated since; "
            "publishing waits for the marts gate to pass"
        )


@dataclass(frozen=True)
class Publication:
    """What one publish put in front of BI readers."""

    path: Path
    publication_id: str
    published_at: datetime
    load_date: str | None
    as_of: datetime | None
    table_rows: dict[str, int]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def draft_pid(draft: Path) -> int | None:
    """The pid written into a draft's name (marts.duckdb.<pid>.<id>.publishing)."""
    parts = draft.name.removesuffix(DRAFT_SUFFIX).split(".")
    return int(parts[-2]) if len(parts) >= 2 and parts[-2].isdigit() else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_drafts(target: Path) -> list[Path]:
    """Drafts left by killed publishers (their pid is gone); a live publisher's draft stays."""
    removed = []
    for draft in target.parent.glob(f"{target.name}.*{DRAFT_SUFFIX}"):
        pid = draft_pid(draft)
        if pid is not None and pid != os.getpid() and process_alive(pid):
            continue
        remove_draft(draft)
        removed.append(draft)
    return removed


def remove_draft(draft: Path) -> None:
    for leftover in (draft, draft.with_name(draft.name + ".wal")):
        leftover.unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's) bytes to disk, so a rename never exposes a hole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_marts(con: duckdb.DuckDBPyConnection, source: Path) -> dict[str, int]:
    """Copy every table and view of the work warehouse's `marts` schema, as tables, keeping
    the tables' constraints and the dbt descriptions (table and column comments).

    The draft is the current catalog `pub`: a file named marts.duckdb opens as catalog `marts`,
    where `marts.<table>` would be ambiguous between the catalog and the schema.
    """
    con.execute(f"attach {sql_literal(str(source))} as work (read_only)")
    require_gate_mark(con, source)
    relations = con.execute(
        """
        select table_name, table_type = 'VIEW'
        from information_schema.tables
        where table_catalog = 'work' and table_schema = ?
        order by table_name
        """,
        [MARTS_SCHEMA],
    ).fetchall()
    if not relations:
        raise PublishError(
            f"{source}: schema {MARTS_SCHEMA} holds no tables; build the marts before publishing"
        )
    ddl = dict(
        con.execute(
            "select table_name, sql from duckdb_tables() where database_name = 'work' "
            "and schema_name = ?",
            [MARTS_SCHEMA],
        ).fetchall()
    )
    comments = con.execute(
        """
        select table_name, null as column_name, comment from duckdb_tables()
        where database_name = 'work' and schema_name = ? and comment is not null
        union all
        select view_name, null, comment from duckdb_views()
        where database_name = 'work' and schema_name = ? and comment is not null
        union all
        select table_name, column_name, comment from duckdb_columns()
        where database_name = 'work' and schema_name = ? and comment is not null
        """,
        [MARTS_SCHEMA] * 3,
    ).fetchall()
    con.execute(f"create schema {MARTS_SCHEMA}")
    rows: dict[str, int] = {}
    for name, is_view in relations:
        target = f"{MARTS_SCHEMA}.{quote_ident(name)}"
        source_rel = f"work.{MARTS_SCHEMA}.{quote_ident(name)}"
        if is_view:
            con.execute(f"create table {target} as select * from {source_rel}")
        else:
            con.execute(ddl[name])
            con.execute(f"insert into {target} select * from {source_rel}")
        rows[name] = con.execute(f"select count(*) from {target}").fetchone()[0]
    for table, column, comment in comments:
        subject = f"{MARTS_SCHEMA}.{quote_ident(table)}"
        if column is None:
            con.execute(f"comment on table {subject} is {sql_literal(comment)}")
        else:
            con.execute(
                f"comment on column {subject}.{quote_ident(column)} is {sql_literal(comment)}"
            )
    con.execute("detach work")
    return rows


def write_publication_record(con: duckdb.DuckDBPyConnection, publication: Publication) -> None:
    """One row in meta.publication, so a BI user can see which load they are reading."""
    con.execute(f"create schema {META_SCHEMA}")
    con.execute(
        f"""
        create table {META_SCHEMA}.publication (
            publication_id varchar not null,
            published_at timestamptz not null,
            load_date date,
            as_of timestamptz,
            table_rows map(varchar, bigint) not null
        )
        """
    )
    con.execute(
        f"insert into {META_SCHEMA}.publication values (?, ?, ?, ?, map(?, ?))",
        [
            publication.publication_id,
            publication.published_at,
            publication.load_date,
            publication.as_of,
            list(publication.table_rows),
            list(publication.table_rows.values()),
        ],
    )


def publish(
    paths: Paths, load_date: str | None = None, as_of: datetime | None = None
) -> Publication:
    """Publish schema `marts` of the working warehouse as a new marts.duckdb, atomically."""
    target = paths.marts_db
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_drafts(target)
    publication_id = uuid.uuid4().hex
    draft = target.with_name(f"{target.name}.{os.getpid()}.{publication_id[:12]}{DRAFT_SUFFIX}")
    try:
        con = duckdb.connect()
        try:
            con.execute("set TimeZone = 'UTC'")
            con.execute(f"attach {sql_literal(str(draft))} as pub")
            con.execute("use pub")
            table_rows = copy_marts(con, paths.work_db)
            publication = Publication(
                target, publication_id, datetime.now(UTC), load_date, as_of, table_rows
            )
            write_publication_record(con, publication)
            con.execute("use memory")
            con.execute("checkpoint pub")
            con.execute("detach pub")
        finally:
            con.close()
        if draft.with_name(draft.name + ".wal").exists():
            raise PublishError(f"{draft}: DuckDB left a write-ahead log after checkpoint")
        fsync_path(draft)
        os.replace(draft, target)
        fsync_path(target.parent)
    except BaseException:
        remove_draft(draft)
        raise
    return publication


def read_publication(paths: Paths) -> dict | None:
    """The meta.publication row of the current marts.duckdb (None before the first publish)."""
    if not paths.marts_db.exists():
        return None
    with connect(paths.marts_db, read_only=True) as con:
        row = con.execute(
            f"select publication_id, published_at, load_date, as_of, table_rows "
            f"from {META_SCHEMA}.publication"
        ).fetchone()
    keys = ("publication_id", "published_at", "load_date", "as_of", "table_rows")
    return dict(zip(keys, row, strict=True))
