"""Atomic publication of the marts: BI readers see the previous file or the new one, never a mix.

The marts are built and gated in the working warehouse (the marts schema of work.duckdb, as
dbt's manifest names it). The published path is a link to one generation file
(publication.generations). Nothing ever opens the current generation read-write, so BI
clients' shared read locks never block a load.

Publishing does not grow with history. Each build records the dates it rebuilt
(publication.state). The generation BI read before the current one (the spare) is brought up
to date in place: on the dates rebuilt since it was current (the pending dates and those the
current publication carried), only the rows that differ from the working marts are replaced,
and every table must then hold exactly the working marts' row count. When the spare cannot
be used (none yet, a BI reader still holds it open, it is not the publication before the
current one) a copy of the current generation is patched on the pending dates only. The
first publication, a full refresh, a build that never finished, or any change of tables or
columns copies every mart. A process killed mid-publish leaves either an untouched spare or
one whose publication id no longer matches (so it is not trusted), or a draft removed by the
next publish; the published path stays the last complete publication.

Only gated marts are published (the gate mark, publication.state).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.publication.descriptions import DATE_KEYS, describe_marts, with_primary_key
from ccpipe.publication.generations import (
    DRAFT_SUFFIX,
    GENERATION_SUFFIX,
    current_generation,
    fsync_path,
    generations,
    remove_draft,
    remove_stale_drafts,
    retire_legacy_publication,
    swap_link,
)
from ccpipe.publication.state import (
    full_publication_since,
    last_publication,
    patch_dates,
    pending_builds,
    record_publication,
    require_gate_mark,
)
from ccpipe.relations import Relation, mart_relations, mart_schema
from ccpipe.warehouse import Connection, WarehouseError, connect, quote_ident, sql_literal

PUBLISHED_SCHEMA = "marts"  # what BI reads in the published file
META_SCHEMA = "meta"
# The file format every published file is written in: what DuckDB 1.4 and newer read (the
# shells, JDBC and Node drivers and duckdb-engine that BI tools ship lag the Python package).
STORAGE_VERSION = "v1.4.0"


class PublishError(Exception):
    """The working warehouse holds nothing publishable; the message says what is missing."""


@dataclass(frozen=True)
class Publication:
    """What one publish put in front of BI readers."""

    path: Path
    publication_id: str
    published_at: datetime
    load_date: str | None
    as_of: datetime | None
    table_rows: dict[str, int]
    mode: str  # "patched": the pending dates replaced in a copy of the last file; "copied": all


def publication_id_in(con: Connection, catalog: str) -> str | None:
    try:
        row = con.execute(f"select publication_id from {catalog}.{META_SCHEMA}.publication")
        return row.fetchone()[0]
    except WarehouseError:
        return None


def current_publication_id(con: Connection, current: Path | None) -> str | None:
    if current is None:
        return None
    con.execute(f"attach {sql_literal(str(current))} as cur (read_only)")
    try:
        return publication_id_in(con, "cur")
    finally:
        con.execute("detach cur")


def attach_spare(
    con: Connection, target: Path, current: Path, current_id: str | None
) -> Path | None:
    """Attach as `pub` the generation BI read before the current one, if it can be patched:
    the working warehouse recorded the current publication and its predecessor, the spare
    holds that predecessor, no full publication came since (its dates are all known), and no
    BI reader holds it open (its lock refuses us; such a spare is never touched)."""
    recorded_id, previous_id = last_publication(con)
    spares = [g for g in generations(target) if g != current]
    if not spares or previous_id is None or recorded_id != current_id:
        return None
    if full_publication_since(con):
        return None
    for spare in spares:
        try:
            con.execute(f"attach {sql_literal(str(spare))} as pub")
        except WarehouseError:
            continue  # held open by a reader (or unreadable): never touched
        if publication_id_in(con, "pub") == previous_id:
            return spare
        con.execute("detach pub")
    return None


def copy_marts(
    con: Connection, source: Path, work_schema: str, marts: dict[str, Relation]
) -> dict[str, int]:
    """Copy every table and view of the work warehouse's marts schema, as tables, keeping
    the tables' constraints and declaring the date-grained marts' grain as primary key.

    The draft is the current catalog `pub` while it is written (a file opens as the catalog
    its name starts with; the published one as `ccpipe`).
    """
    relations = con.execute(
        """
        select table_name, table_type = 'VIEW'
        from information_schema.tables
        where table_catalog = 'work' and table_schema = ?
        order by table_name
        """,
        [work_schema],
    ).fetchall()
    if not relations:
        raise PublishError(
            f"{source}: schema {work_schema} holds no tables; build the marts before publishing"
        )
    ddl = dict(
        con.execute(
            "select table_name, sql from duckdb_tables() where database_name = 'work' "
            "and schema_name = ?",
            [work_schema],
        ).fetchall()
    )
    columns = mart_columns(con, "work", work_schema)
    con.execute(f"create schema {PUBLISHED_SCHEMA}")
    rows: dict[str, int] = {}
    for name, is_view in relations:
        target = f"{PUBLISHED_SCHEMA}.{quote_ident(name)}"
        source_rel = f"work.{quote_ident(work_schema)}.{quote_ident(name)}"
        if is_view:
            con.execute(f"create table {target} as select * from {source_rel}")
        else:
            names = [column for column, _, _ in columns[name]]
            con.execute(
                with_primary_key(published_ddl(ddl[name], work_schema), marts.get(name), names)
            )
            con.execute(f"insert into {target} select * from {source_rel}")
        rows[name] = con.execute(f"select count(*) from {target}").fetchone()[0]
    return rows


def published_ddl(ddl: str, work_schema: str) -> str:
    """A working mart's CREATE TABLE statement, for the same table in the published schema."""
    prefix = f"CREATE TABLE {work_schema}."
    if not ddl.startswith(prefix):
        raise PublishError(f"unexpected table definition in schema {work_schema}: {ddl[:80]}")
    return f"CREATE TABLE {PUBLISHED_SCHEMA}." + ddl.removeprefix(prefix)


def mart_columns(con: Connection, catalog: str, schema: str) -> dict[str, list[tuple]]:
    """Each mart table's columns and types, in order (views count as a change of shape)."""
    columns: dict[str, list[tuple]] = {}
    for table, column, data_type, table_type in con.execute(
        """
        select c.table_name, c.column_name, c.data_type, t.table_type
        from information_schema.columns as c
        join information_schema.tables as t using (table_catalog, table_schema, table_name)
        where c.table_catalog = ? and c.table_schema = ?
        order by c.table_name, c.ordinal_position
        """,
        [catalog, schema],
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type, table_type))
    return columns


def patch_marts(con: Connection, work_schema: str) -> dict[str, int] | None:
    """In an earlier publication (catalog pub), make every mart's rows on the dates of
    patch_dates equal the working mart's, touching only the rows that differ (a row's hash
    names it: rows are unique per grain). None when the copy cannot be patched: tables or
    columns changed, or a table's row count then differs from the working mart's."""
    work = mart_columns(con, "work", work_schema)
    published = mart_columns(con, "pub", PUBLISHED_SCHEMA)
    if not work or work != published:
        return None
    rows: dict[str, int] = {}
    for table, columns in work.items():
        names = {name for name, _, table_type in columns if table_type == "BASE TABLE"}
        key = next((k for k in DATE_KEYS if k in names), None)
        if key is None:
            return None
        work_mart = f"work.{quote_ident(work_schema)}.{quote_ident(table)}"
        mart = f"pub.{PUBLISHED_SCHEMA}.{quote_ident(table)}"
        dates = f"select {key} from patch_dates where {key} is not null"
        # Only row ids and hashes are kept (copying the wide rows costs more than reading
        # the changed ones again by row id; work is attached read-only, so ids hold).
        row_hash = f"hash({', '.join(quote_ident(name) for name, _, _ in columns)})"
        con.execute(
            f"""
            create or replace temp table new_rows as
            select rowid as row_id, {row_hash} as row_hash from {work_mart}
            where {key} in ({dates})
            """
        )
        con.execute(
            f"""
            create or replace temp table old_rows as
            select rowid as row_id, {row_hash} as row_hash from {mart}
            where {key} in ({dates})
            """
        )
        con.execute(
            f"""
            delete from {mart} where rowid in (
                select row_id from old_rows anti join new_rows using (row_hash)
            )
            """
        )
        con.execute(
            f"""
            insert into {mart}
            select * from {work_mart} where rowid in (
                select row_id from new_rows anti join old_rows using (row_hash)
            )
            """
        )
        count = con.execute(f"select count(*) from {mart}").fetchone()[0]
        if count != con.execute(f"select count(*) from {work_mart}").fetchone()[0]:
            return None
        rows[table] = count
    con.execute("drop table new_rows; drop table old_rows; drop table patch_dates")
    return rows


def write_publication_record(con: Connection, publication: Publication) -> None:
    """One row in meta.publication, so a BI user can see which load they are reading."""
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create or replace table {META_SCHEMA}.publication (
            publication_id varchar not null,
            published_at timestamptz not null,
            load_date date,
            as_of timestamptz,
            table_rows map(varchar, bigint) not null,
            mode varchar not null
        )
        """
    )
    con.execute(
        f"insert into {META_SCHEMA}.publication values (?, ?, ?, ?, map(?, ?), ?)",
        [
            publication.publication_id,
            publication.published_at,
            publication.load_date,
            publication.as_of,
            list(publication.table_rows),
            list(publication.table_rows.values()),
            publication.mode,
        ],
    )


def publish_marts(
    paths: Paths, load_date: str | None = None, as_of: datetime | None = None
) -> Publication:
    """Publish the working warehouse's marts as the new published file, atomically."""
    work_schema = mart_schema(paths)
    marts = mart_relations(paths)
    target = paths.published_db
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_drafts(target)
    publication_id = uuid.uuid4().hex
    current = current_generation(target)
    draft = target.with_name(f"{target.name}.{os.getpid()}.{publication_id[:12]}{DRAFT_SUFFIX}")
    written = draft
    try:
        con = connect(None)
        try:
            con.execute(f"attach {sql_literal(str(paths.work_db))} as work (read_only)")
            require_gate_mark(con, paths.work_db)
            current_id = current_publication_id(con, current)
            carried, full = pending_builds(con)
            table_rows, mode = None, "patched"
            if not full and current is not None:
                spare = attach_spare(con, target, current, current_id)
                if spare is None:
                    shutil.copyfile(current, draft)
                    con.execute(f"attach {sql_literal(str(draft))} as pub")
                else:
                    written = spare
                patch_dates(con, with_carried=spare is not None)
                con.execute("begin transaction")
                table_rows = patch_marts(con, work_schema)
                if table_rows is None:
                    con.execute("rollback")
                    con.execute("detach pub")
                    remove_draft(draft)
                    written = draft
            if table_rows is None:
                con.execute(
                    f"attach {sql_literal(str(draft))} as pub "
                    f"(storage_version {sql_literal(STORAGE_VERSION)})"
                )
                con.execute("use pub")
                con.execute("begin transaction")
                by_name = {m.identifier: m for m in marts}
                table_rows = copy_marts(con, paths.work_db, work_schema, by_name)
                mode = "copied"
            describe_marts(con, work_schema, PUBLISHED_SCHEMA, META_SCHEMA, marts)
            con.execute("use pub")
            publication = Publication(
                target, publication_id, datetime.now(UTC), load_date, as_of, table_rows, mode
            )
            write_publication_record(con, publication)
            con.execute("commit")
            con.execute("use memory")
            con.execute("detach work")
            con.execute("checkpoint pub")
            con.execute("detach pub")
        finally:
            con.close()
        if written.with_name(written.name + ".wal").exists():
            raise PublishError(f"{written}: DuckDB left a write-ahead log after checkpoint")
        fsync_path(written)
        if written == draft:
            generation = target.with_name(f"{target.name}.{publication_id[:12]}{GENERATION_SUFFIX}")
            os.replace(draft, generation)
        else:
            generation = written
        swap_link(target, generation)
    except BaseException:
        remove_draft(draft)
        raise
    for stale in generations(target):
        if stale not in (generation, current):
            remove_draft(stale)  # a reader still holding one keeps its inode
    retire_legacy_publication(paths.legacy_published_db)
    record_publication(paths, publication_id, current_id, carried, mode == "copied")
    return publication


def read_publication(paths: Paths) -> dict | None:
    """The meta.publication row of the current ccpipe.duckdb (None before the first publish)."""
    if not paths.published_db.exists():
        return None
    with connect(paths.published_db, read_only=True) as con:
        row = con.execute(
            f"select publication_id, published_at, load_date, as_of, table_rows, mode "
            f"from {META_SCHEMA}.publication"
        ).fetchone()
    keys = ("publication_id", "published_at", "load_date", "as_of", "table_rows", "mode")
    return dict(zip(keys, row, strict=True))
