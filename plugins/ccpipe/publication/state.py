"""The publication state, in schema publish_state of the working warehouse; this module is its
one reader and writer.

- The gate mark (`gated_marts`): cleared before dbt rebuilds the marts, set once the marts gate
  passed on them; publish refuses marts without it. A build killed half-way, or another run's
  build that slipped in between this run's gate and its publish, is never put in front of BI.
- The pending dates (`pending_dates`): what each build rebuilt since the last publication
  (a full mark while a build runs, so one killed half-way makes the next publication copy
  every mart).
- The carried dates (`carried_dates`) and the last publication (`last_publication`): what the
  current publication changed over its predecessor, so that predecessor (the spare
  generation) can be brought up to date in place next time.

Functions taking `paths` open the working warehouse; those taking a connection expect it
attached as catalog `work` (as publish attaches it, read-only).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.warehouse import Connection, connect, table_exists

STATE_SCHEMA = "publish_state"
GATE_MARK = f"{STATE_SCHEMA}.gated_marts"
PENDING = f"{STATE_SCHEMA}.pending_dates"  # dates rebuilt since the last publication
CARRIED = f"{STATE_SCHEMA}.carried_dates"  # dates the current publication carried over its spare
LAST = f"{STATE_SCHEMA}.last_publication"  # the current publication's id and its predecessor's
BASIS = f"{STATE_SCHEMA}.build_basis"  # the as_of and the settings the marts were last built at


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


def work_table_exists(con: Connection, table: str) -> bool:
    """Whether the working warehouse (attached as `work`) holds this schema.table."""
    schema, name = table.split(".")
    return table_exists(con, schema, name, catalog="work")


def require_gate_mark(con: Connection, source: Path) -> None:
    mark = work_table_exists(con, GATE_MARK)
    gated = mark and con.execute(f"select count(*) from work.{GATE_MARK}").fetchone()[0]
    if not gated:
        raise UngatedMartsError(
            f"{source}: the marts have been rebuilt and not gated since; "
            "publishing waits for the marts gate to pass"
        )


def pending_table(con: Connection) -> None:
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


def record_build_basis(paths: Paths, as_of: datetime, restating: dict[str, str]) -> None:
    """What the marts are judged at from this build on: its as_of (FCR maturity) and the
    settings that restate published numbers."""
    with connect(paths.work_db) as con:
        con.execute(f"create schema if not exists {STATE_SCHEMA}")
        con.execute(
            f"create or replace table {BASIS} as "
            "select ?::timestamptz as as_of, ?::json as restating_settings",
            [as_of, json.dumps(restating, sort_keys=True)],
        )


def build_basis(paths: Paths) -> tuple[datetime, dict[str, str]] | None:
    """(as_of, restating settings) of the marts' last build; None before the first."""
    if not paths.work_db.exists():
        return None
    with connect(paths.work_db) as con:
        if not table_exists(con, STATE_SCHEMA, BASIS.split(".")[1]):
            return None
        as_of, restating = con.execute(f"select as_of, restating_settings from {BASIS}").fetchone()
    return as_of, json.loads(restating)


def record_rebuilt_dates(paths: Paths, build_id: str, rebuilt_from: str | None) -> None:
    """The build finished: the next publication must carry the dates it rebuilt (read from
    `rebuilt_from`, a relation with reporting_date and week_start), or every mart when None."""
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


def last_publication(con: Connection) -> tuple[str | None, str | None]:
    """(the current publication's id, its predecessor's) as the working warehouse recorded."""
    row = (
        work_table_exists(con, LAST)
        and con.execute(
            f"select publication_id, previous_publication_id from work.{LAST}"
        ).fetchone()
    )
    return (row[0], row[1]) if row else (None, None)


def patch_dates(con: Connection, with_carried: bool) -> None:
    """The dates to patch, as temp table patch_dates: the pending ones, and for the spare
    those the current publication carried too."""
    carried = f" union all select reporting_date, week_start from work.{CARRIED}"
    con.execute(
        "create or replace temp table patch_dates as "
        f"select reporting_date, week_start from work.{PENDING}" + (carried if with_carried else "")
    )


def pending_builds(con: Connection) -> tuple[list[str], bool]:
    """The builds the working marts hold unpublished changes of, and whether any of them
    needs every mart copied (a full refresh, or a build that never finished)."""
    if not work_table_exists(con, PENDING):
        return [], True
    builds = con.execute(
        f"select build_id, bool_or(full_rebuild) from work.{PENDING} group by 1"
    ).fetchall()
    return [b for b, _ in builds], any(full for _, full in builds)


def full_publication_since(con: Connection) -> bool:
    """Whether the current publication copied every mart (its spare cannot be patched)."""
    return bool(
        con.execute(f"select count(*) from work.{CARRIED} where full_rebuild").fetchone()[0]
    )
