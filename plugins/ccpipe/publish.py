"""Atomic publication of the marts: BI readers see the previous file or the new one, never a mix.

The marts are built and gated in the working warehouse (schema `marts` of work.duckdb).
`marts.duckdb`, the path BI opens, is a symbolic link to one generation file beside it
(`marts.duckdb.<id>.gen`). Publishing writes the new publication into another generation,
checkpoints and fsyncs it, then swaps the link with one rename, atomic on POSIX: a reader that
opens the path gets either file whole, and a reader that already holds the old file keeps
reading it. Nothing ever opens the current generation read-write, so BI clients' shared read
locks never block a load.

Publishing does not grow with history. Each build records the dates it rebuilt
(`record_build_started` / `record_rebuilt_dates`, in publish_state.pending_dates). The
generation BI read before the current one (the spare) is brought up to date in place: on the
dates rebuilt since it was current (the pending dates and those the current publication
carried, publish_state.carried_dates), only the rows that differ from the working marts are
replaced, and every table must then hold exactly the working marts' row count. When the spare
cannot be used (none yet, a BI reader still holds it open, it is not the publication before
the current one) a copy of the current generation is patched on the pending dates only. The
first publication, a full refresh, a build that never finished, or any change of tables or
columns copies every mart. A process killed mid-publish leaves either an untouched spare or one
whose publication id no longer matches (so it is not trusted), or a draft removed by the next
publish; `marts.duckdb` stays the last complete publication.

Only gated marts are published: the build stage clears a mark in the working warehouse before
dbt runs (`clear_gate_mark`), the marts gate sets it once they pass (`mark_gated`), and publish
refuses marts without it. So a build killed half-way, or another run's build that slipped in
between this run's gate and its publish, is never put in front of BI.
"""

from __future__ import annotations

import os
import shutil
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
GENERATION_SUFFIX = ".gen"
GATE_MARK = "publish_state.gated_marts"  # in the working warehouse
PENDING = "publish_state.pending_dates"  # dates rebuilt since the last publication
CARRIED = "publish_state.carried_dates"  # dates the current publication carried over its spare
LAST = "publish_state.last_publication"  # the current publication's id and its predecessor's
DATE_KEYS = ("reporting_date", "week_start")  # every mart is rebuilt by one of them


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


def work_table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the working warehouse (attached as `work`) holds this schema.table."""
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_catalog = 'work' "
            "and table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def require_gate_mark(con: duckdb.DuckDBPyConnection, source: Path) -> None:
    mark = work_table_exists(con, GATE_MARK)
    gated = mark and con.execute(f"select count(*) from work.{GATE_MARK}").fetchone()[0]
    if not gated:
        raise UngatedMartsError(
            f"{source}: the marts have been rebuilt and not gated since; "
            "publishing waits for the marts gate to pass"
        )


def pending_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists publish_state")
    con.execute(
        f"create table if not exists {PENDING} (build_id varchar not null, "
        "reporting_date date, week_start date, full_rebuild boolean not null)"
    )


def record_build_started(paths: Paths) -> str:
    """Until the build finishes any mart may change, so a build killed half-way leaves a
    full mark: the next publication copies every mart. Returns the build's id."""
    build_id = uuid.uuid4().hex
    with connect(paths.work_db) as con:
        pending_table(con)
        con.execute(f"insert into {PENDING} values (?, null, null, true)", [build_id])
    return build_id


def record_rebuilt_dates(paths: Paths, build_id: str, rebuilt_from: str | None) -> None:
    """The build finished: the next publication must carry the dates it rebuilt (read from
    `rebuilt_from`, a table with reporting_date and week_start), or every mart when None."""
    if rebuilt_from is None:
        return  # the full mark set when the build started stands
    with connect(paths.work_db) as con:
        con.execute("begin transaction")
        con.execute(f"delete from {PENDING} where build_id = ?", [build_id])
        con.execute(
            f"insert into {PENDING} select ?, reporting_date, week_start, false "
            f"from {rebuilt_from}",
            [build_id],
        )
        con.execute("commit")


def record_publication(
    paths: Paths, publication_id: str, previous_id: str | None, builds: list[str], full: bool
) -> None:
    """The publication carrying these builds' dates is in place: they move from pending to
    carried (what the spare, the previous publication, lacks; a full mark when it copied every
    mart), and the publication becomes the last one."""
    with connect(paths.work_db) as con:
        con.execute("begin transaction")
        pending_table(con)
        con.execute(f"create or replace table {CARRIED} as from {PENDING} where false")
        if full:
            con.execute(f"insert into {CARRIED} values (?, null, null, true)", [publication_id])
        else:
            con.execute(f"insert into {CARRIED} from {PENDING} where build_id in ?", [builds])
        if builds:
            con.execute(f"delete from {PENDING} where build_id in ?", [builds])
        con.execute(
            f"create or replace table {LAST} as select ?::varchar as publication_id, "
            "?::varchar as previous_publication_id",
            [publication_id, previous_id],
        )
        con.execute("commit")


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
    """Drafts left by killed publishers (their pid is gone); a live publisher's draft stays.
    Links a killed publisher made but never swapped in go too."""
    for link in target.parent.glob(f"{target.name}.*.link"):
        link.unlink(missing_ok=True)
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


def current_generation(target: Path) -> Path | None:
    """The file marts.duckdb names now (a plain file in a home published before generations)."""
    if target.is_symlink():
        generation = target.parent / os.readlink(target)
        return generation if generation.exists() else None
    return target if target.exists() else None


def generations(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f"{target.name}.*{GENERATION_SUFFIX}"))


def publication_id_in(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    try:
        row = con.execute(f"select publication_id from {catalog}.{META_SCHEMA}.publication")
        return row.fetchone()[0]
    except duckdb.Error:
        return None


def last_publication(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """(the current publication's id, its predecessor's) as the working warehouse recorded."""
    row = (
        work_table_exists(con, LAST)
        and con.execute(
            f"select publication_id, previous_publication_id from work.{LAST}"
        ).fetchone()
    )
    return (row[0], row[1]) if row else (None, None)


def current_publication_id(con: duckdb.DuckDBPyConnection, current: Path | None) -> str | None:
    if current is None:
        return None
    con.execute(f"attach {sql_literal(str(current))} as cur (read_only)")
    try:
        return publication_id_in(con, "cur")
    finally:
        con.execute("detach cur")


def attach_spare(
    con: duckdb.DuckDBPyConnection, target: Path, current: Path, current_id: str | None
) -> Path | None:
    """Attach as `pub` the generation BI read before the current one, if it can be patched:
    the working warehouse recorded the current publication and its predecessor, the spare
    holds that predecessor, no full publication came since (its dates are all known), and no
    BI reader holds it open (its lock refuses us; such a spare is never touched)."""
    recorded_id, previous_id = last_publication(con)
    spares = [g for g in generations(target) if g != current]
    if not spares or previous_id is None or recorded_id != current_id:
        return None
    full_since = con.execute(f"select count(*) from work.{CARRIED} where full_rebuild").fetchone()[
        0
    ]
    if full_since:
        return None
    for spare in spares:
        try:
            con.execute(f"attach {sql_literal(str(spare))} as pub")
        except duckdb.Error:
            continue  # held open by a reader (or unreadable): never touched
        if publication_id_in(con, "pub") == previous_id:
            return spare
        con.execute("detach pub")
    return None


def patch_dates(con: duckdb.DuckDBPyConnection, with_carried: bool) -> None:
    """The dates to patch, as temp table patch_dates: the pending ones, and for the spare
    those the current publication carried too."""
    carried = f" union all select reporting_date, week_start from work.{CARRIED}"
    con.execute(
        "create or replace temp table patch_dates as "
        f"select reporting_date, week_start from work.{PENDING}" + (carried if with_carried else "")
    )


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
    return rows


def mart_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple]]:
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
        [catalog, MARTS_SCHEMA],
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type, table_type))
    return columns


def patch_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """In an earlier publication (catalog pub), make every mart's rows on the dates of
    patch_dates equal the working mart's, touching only the rows that differ (a row's hash
    names it: rows are unique per grain). None when the copy cannot be patched: tables or
    columns changed, or a table's row count then differs from the working mart's."""
    work, published = mart_columns(con, "work"), mart_columns(con, "pub")
    if not work or work != published:
        return None
    rows: dict[str, int] = {}
    for table, columns in work.items():
        names = {name for name, _, table_type in columns if table_type == "BASE TABLE"}
        key = next((k for k in DATE_KEYS if k in names), None)
        if key is None:
            return None
        mart = f"{MARTS_SCHEMA}.{quote_ident(table)}"
        dates = f"select {key} from patch_dates where {key} is not null"
        # Only row ids and hashes are kept (copying the wide rows costs more than reading
        # the changed ones again by row id; work is attached read-only, so ids hold).
        row_hash = f"hash({', '.join(quote_ident(name) for name, _, _ in columns)})"
        con.execute(
            f"""
            create or replace temp table new_rows as
            select rowid as row_id, {row_hash} as row_hash from work.{mart}
            where {key} in ({dates})
            """
        )
        con.execute(
            f"""
            create or replace temp table old_rows as
            select rowid as row_id, {row_hash} as row_hash from pub.{mart}
            where {key} in ({dates})
            """
        )
        con.execute(
            f"""
            delete from pub.{mart} where rowid in (
                select row_id from old_rows anti join new_rows using (row_hash)
            )
            """
        )
        con.execute(
            f"""
            insert into pub.{mart}
            select * from work.{mart} where rowid in (
                select row_id from new_rows anti join old_rows using (row_hash)
            )
            """
        )
        count = con.execute(f"select count(*) from pub.{mart}").fetchone()[0]
        if count != con.execute(f"select count(*) from work.{mart}").fetchone()[0]:
            return None
        rows[table] = count
    con.execute("drop table new_rows; drop table old_rows; drop table patch_dates")
    return rows


def pending_builds(con: duckdb.DuckDBPyConnection) -> tuple[list[str], bool]:
    """The builds the working marts hold unpublished changes of, and whether any of them
    needs every mart copied (a full refresh, or a build that never finished)."""
    if not work_table_exists(con, PENDING):
        return [], True
    builds = con.execute(
        f"select build_id, bool_or(full_rebuild) from work.{PENDING} group by 1"
    ).fetchall()
    return [b for b, _ in builds], any(full for _, full in builds)


def write_publication_record(con: duckdb.DuckDBPyConnection, publication: Publication) -> None:
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


def swap_link(target: Path, generation: Path) -> None:
    """Point marts.duckdb at a generation with one atomic rename (relative, so the folder
    can be mounted anywhere)."""
    link = target.with_name(f"{target.name}.{uuid.uuid4().hex[:12]}.link")
    link.symlink_to(generation.name)
    os.replace(link, target)
    fsync_path(target.parent)


def publish(
    paths: Paths, load_date: str | None = None, as_of: datetime | None = None
) -> Publication:
    """Publish schema `marts` of the working warehouse as the new marts.duckdb, atomically."""
    target = paths.marts_db
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
                table_rows = patch_marts(con)
                if table_rows is None:
                    con.execute("rollback")
                    con.execute("detach pub")
                    remove_draft(draft)
                    written = draft
            if table_rows is None:
                con.execute(f"attach {sql_literal(str(draft))} as pub")
                con.execute("use pub")
                con.execute("begin transaction")
                table_rows, mode = copy_marts(con, paths.work_db), "copied"
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
    record_publication(paths, publication_id, current_id, carried, mode == "copied")
    return publication


def read_publication(paths: Paths) -> dict | None:
    """The meta.publication row of the current marts.duckdb (None before the first publish)."""
    if not paths.marts_db.exists():
        return None
    with connect(paths.marts_db, read_only=True) as con:
        row = con.execute(
            f"select publication_id, published_at, load_date, as_of, table_rows, mode "
            f"from {META_SCHEMA}.publication"
        ).fetchone()
    keys = ("publication_id", "published_at", "load_date", "as_of", "table_rows", "mode")
    return dict(zip(keys, row, strict=True))
