"""Publishing: an atomic swap of ccpipe.duckdb that BI readers never see half-done, and that a
process killed at any stage of a load leaves intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import (
    CCPIPE,
    DAYS,
    ccpipe,
    cli_env,
    copy_home,
    file_digest,
    first_day_home,
    marts_snapshot,
    reference_snapshot,
)

from ccpipe.paths import Paths
from ccpipe.publication import PublishError, UngatedMartsError, publish_marts, read_publication
from ccpipe.publication.state import (
    clear_gate_mark,
    mark_gated,
    record_build_started,
    record_rebuilt_dates,
)
from ccpipe.relations import relation
from ccpipe.warehouse import connect

from conftest import give_manifest


def make_marts(paths: Paths, statements: str) -> None:
    """Hand-made marts in the working warehouse, marked as having passed the marts gate."""
    give_manifest(paths)
    clear_gate_mark(paths)
    with connect(paths.work_db) as con:
        con.execute("create schema if not exists marts")
        con.execute(statements)
    mark_gated(paths, "2026-11-03")


def drafts(paths: Paths) -> list[str]:
    return sorted(p.name for p in paths.warehouse.glob("ccpipe.duckdb.*.publishing"))


def test_publish_copies_tables_views_constraints_and_descriptions(paths: Paths) -> None:
    make_marts(
        paths,
        """
        create table marts.kpi_daily (reporting_date date primary key, fcr_rate double);
        insert into marts.kpi_daily values ('2026-11-03', 0.75), ('2026-11-04', null);
        comment on table marts.kpi_daily is 'one row per day';
        comment on column marts.kpi_daily.fcr_rate is 'resolved / eligible';
        create view marts.kpi_latest as select * from marts.kpi_daily where fcr_rate is not null;
        create schema staging;
        create table staging.not_published (x int);
        """,
    )
    publication = publish_marts(paths, "2026-11-04")

    assert publication.table_rows == {"kpi_daily": 2, "kpi_latest": 1}
    assert drafts(paths) == []
    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        assert bi.execute("select * from marts.kpi_daily order by 1").fetchall() == [
            (date(2026, 11, 3), 0.75),
            (date(2026, 11, 4), None),
        ]
        assert bi.execute(
            "select table_name, table_type from information_schema.tables "
            "order by table_schema, table_name"
        ).fetchall() == [
            ("kpi_daily", "BASE TABLE"),
            ("kpi_latest", "BASE TABLE"),
            ("marts", "BASE TABLE"),  # meta.marts: every mart with its grain
            ("publication", "BASE TABLE"),
        ]
        assert bi.execute(
            "select sql from duckdb_tables() where table_name = 'kpi_daily'"
        ).fetchone()[0] == (
            "CREATE TABLE marts.kpi_daily(reporting_date DATE PRIMARY KEY, fcr_rate DOUBLE);"
        )
        assert (
            bi.execute(
                "select comment from duckdb_tables() where table_name = 'kpi_daily'"
            ).fetchone()[0]
            == "one row per day"
        )
        # a working mart's own comment is kept; a column without one gets its dbt description
        documented = dict(relation(paths, "kpi_daily").columns)["reporting_date"]
        assert bi.execute(
            "select column_name, comment from duckdb_columns() "
            "where table_name = 'kpi_daily' order by column_index"
        ).fetchall() == [("reporting_date", documented), ("fcr_rate", "resolved / eligible")]
    record = read_publication(paths)
    assert record["publication_id"] == publication.publication_id
    assert str(record["load_date"]) == "2026-11-04"
    assert record["table_rows"] == {"kpi_daily": 2, "kpi_latest": 1}


def test_publish_without_marts_fails_and_keeps_the_previous_publication(paths: Paths) -> None:
    make_marts(paths, "create table marts.t as select 1 as x")
    first = publish_marts(paths, "2026-11-03")
    before = file_digest(paths.published_db)
    with connect(paths.work_db) as con:
        con.execute("drop schema marts cascade")

    with pytest.raises(PublishError, match="schema marts holds no tables"):
        publish_marts(paths, "2026-11-04")

    assert file_digest(paths.published_db) == before
    assert read_publication(paths)["publication_id"] == first.publication_id
    assert drafts(paths) == []


def test_marts_rebuilt_since_the_gate_are_not_published(paths: Paths) -> None:
    make_marts(paths, "create table marts.t as select 1 as x")
    first = publish_marts(paths, "2026-11-03")
    before = file_digest(paths.published_db)
    clear_gate_mark(paths)  # what the build stage does before dbt runs
    with connect(paths.work_db) as con:
        con.execute("insert into marts.t values (2)")

    with pytest.raises(UngatedMartsError, match="rebuilt and not gated since"):
        publish_marts(paths, "2026-11-04")
    assert file_digest(paths.published_db) == before
    assert read_publication(paths)["publication_id"] == first.publication_id

    mark_gated(paths, "2026-11-04")
    assert publish_marts(paths, "2026-11-04").table_rows == {"t": 2}


def published_rows(paths: Paths, table: str) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def rebuild(paths: Paths, statements: str, rebuilt: list[str] | None) -> None:
    """A build as transform.build_marts records it: started, marts changed, and (unless
    rebuilt is None: killed half-way) finished with the reporting dates it rebuilt."""
    clear_gate_mark(paths)
    build_id = record_build_started(paths)
    with connect(paths.work_db) as con:
        con.execute(statements)
        con.execute(
            "create or replace table rebuilt as select cast(d as date) as reporting_date, "
            "cast(null as date) as week_start from unnest(?) as t(d)",
            [rebuilt or []],
        )
    if rebuilt is not None:
        record_rebuilt_dates(paths, build_id, "rebuilt")
    mark_gated(paths, "2026-11-04")


KPI = (
    "create table marts.kpi_daily (reporting_date date not null, fcr_rate double); "
    "insert into marts.kpi_daily values ('2026-11-01', 0.5), ('2026-11-02', 0.6)"
)


def test_a_finished_build_publishes_by_replacing_only_the_dates_it_rebuilt(paths: Paths) -> None:
    make_marts(paths, KPI)
    assert publish_marts(paths, "2026-11-02").mode == "copied"  # the first publication
    # The build rebuilt 11-02 and added 11-03; 11-01 was not rebuilt, so even a change there
    # (which a real build never makes) stays out: only the rebuilt dates are carried.
    rebuild(
        paths,
        "update marts.kpi_daily set fcr_rate = 0.9 where reporting_date = '2026-11-01';"
        "update marts.kpi_daily set fcr_rate = 0.7 where reporting_date = '2026-11-02';"
        "insert into marts.kpi_daily values ('2026-11-03', 0.8)",
        rebuilt=["2026-11-02", "2026-11-03"],
    )

    publication = publish_marts(paths, "2026-11-03")

    assert (publication.mode, publication.table_rows) == ("patched", {"kpi_daily": 3})
    assert published_rows(paths, "kpi_daily") == [
        (date(2026, 11, 1), 0.5),
        (date(2026, 11, 2), 0.7),
        (date(2026, 11, 3), 0.8),
    ]
    assert read_publication(paths)["mode"] == "patched"


def test_a_build_killed_half_way_makes_the_next_publication_copy_every_mart(paths: Paths) -> None:
    make_marts(paths, KPI)
    publish_marts(paths, "2026-11-02")
    rebuild(paths, "update marts.kpi_daily set fcr_rate = 0.9", rebuilt=None)  # killed
    rebuild(paths, "insert into marts.kpi_daily values ('2026-11-03', 0.8)", ["2026-11-03"])

    publication = publish_marts(paths, "2026-11-03")

    assert publication.mode == "copied"
    assert published_rows(paths, "kpi_daily") == [
        (date(2026, 11, 1), 0.9),
        (date(2026, 11, 2), 0.9),
        (date(2026, 11, 3), 0.8),
    ]
    # Carried over: the next publication patches again.
    rebuild(
        paths, "delete from marts.kpi_daily where reporting_date = '2026-11-03'", ["2026-11-03"]
    )
    assert publish_marts(paths, "2026-11-03").mode == "patched"
    assert len(published_rows(paths, "kpi_daily")) == 2


def test_a_publication_that_is_not_published_keeps_its_dates_for_the_next(paths: Paths) -> None:
    make_marts(paths, KPI)
    publish_marts(paths, "2026-11-02")
    rebuild(
        paths,
        "update marts.kpi_daily set fcr_rate = 0.1 where reporting_date = '2026-11-01'",
        ["2026-11-01"],
    )  # its gate failed: never published
    rebuild(paths, "insert into marts.kpi_daily values ('2026-11-03', 0.8)", ["2026-11-03"])

    assert publish_marts(paths, "2026-11-03").mode == "patched"
    assert published_rows(paths, "kpi_daily") == [
        (date(2026, 11, 1), 0.1),
        (date(2026, 11, 2), 0.6),
        (date(2026, 11, 3), 0.8),
    ]


def test_a_mart_whose_columns_changed_is_published_by_copying_everything(paths: Paths) -> None:
    make_marts(paths, KPI)
    publish_marts(paths, "2026-11-02")
    rebuild(paths, "alter table marts.kpi_daily add column csat_pct double", ["2026-11-02"])

    publication = publish_marts(paths, "2026-11-03")

    assert publication.mode == "copied"
    assert published_rows(paths, "kpi_daily") == [
        (date(2026, 11, 1), 0.5, None),
        (date(2026, 11, 2), 0.6, None),
    ]


def test_publish_removes_drafts_of_dead_publishers_only(paths: Paths) -> None:
    make_marts(paths, "create table marts.t as select 1 as x")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = paths.warehouse / f"ccpipe.duckdb.{dead.pid}.0123456789ab.publishing"
        live = paths.warehouse / f"ccpipe.duckdb.{alive.pid}.ba9876543210.publishing"
        for draft in (stale, live, stale.with_name(stale.name + ".wal")):
            draft.write_bytes(b"half a database")

        publish_marts(paths, "2026-11-03")

        assert drafts(paths) == [live.name]
        assert not stale.with_name(stale.name + ".wal").exists()
    finally:
        alive.kill()
        alive.wait()


# A BI client in another process: one read-only connection held for the whole load ("hold"),
# or a new read-only connection per query ("reconnect"). Each answer is one line of JSON.
BI_READER = r"""
import json, os, sys, time
import duckdb

path, out, stop, mode = sys.argv[1:5]
QUERY = '''
    select (select publication_id from meta.publication),
           (select count(*) from marts.fct_contacts),
           (select count(*) from marts.kpi_daily),
           (select sum(hash(reporting_date, fcr_eligible, fcr_resolved, contacts_handled))
            from marts.kpi_daily)
'''
with open(out, "w") as log:
    held = duckdb.connect(path, read_only=True) if mode == "hold" else None
    while not os.path.exists(stop):
        try:
            if held is not None:
                answer = held.execute(QUERY).fetchone()
            else:
                with duckdb.connect(path, read_only=True) as con:
                    answer = con.execute(QUERY).fetchone()
            log.write(json.dumps({"answer": [str(v) for v in answer]}) + "\n")
        except Exception as error:
            log.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
        log.flush()
        time.sleep(0.002)
"""

ANSWER = """
    select (select publication_id from meta.publication),
           (select count(*) from marts.fct_contacts),
           (select count(*) from marts.kpi_daily),
           (select sum(hash(reporting_date, fcr_eligible, fcr_resolved, contacts_handled))
            from marts.kpi_daily)
"""


def publication_answer(paths: Paths) -> list[str]:
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        return [str(v) for v in con.execute(ANSWER).fetchone()]


def read_lines(path: Path) -> list[dict]:
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.endswith("}")]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.001)


def test_bi_readers_see_old_or_new_publication_while_a_load_runs(tmp_path: Path) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    old = publication_answer(paths)
    stop = tmp_path / "stop"
    readers = {}
    for mode in ("hold", "reconnect"):
        out = tmp_path / f"{mode}.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-c", BI_READER, str(paths.published_db), str(out), str(stop), mode]
        )
        readers[mode] = (process, out)
    try:
        for mode, (_, out) in readers.items():
            wait_for(lambda out=out: len(read_lines(out)) >= 3, 30, f"{mode} reader to start")

        ccpipe(paths.home, "run", "--date", DAYS[1])
        new = publication_answer(paths)
        reconnect_out = readers["reconnect"][1]
        wait_for(
            lambda: read_lines(reconnect_out)[-1].get("answer") == new,
            30,
            "the reconnecting reader to see the new publication",
        )
    finally:
        stop.touch()
        for process, _ in readers.values():
            process.wait(timeout=30)

    assert old != new
    held = read_lines(readers["hold"][1])
    fresh = read_lines(readers["reconnect"][1])
    assert [line for line in held + fresh if "error" in line] == []
    # The held connection keeps the snapshot it opened, for the whole load.
    assert {tuple(line["answer"]) for line in held} == {tuple(old)}
    # A new connection gets the old publication until the swap, then the new one, never a mix.
    answers = [line["answer"] for line in fresh]
    switch = answers.index(new)
    assert answers[0] == old
    assert set(map(tuple, answers[:switch])) == {tuple(old)}
    assert set(map(tuple, answers[switch:])) == {tuple(new)}


def open_files(pid: int) -> set[str]:
    found = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
    except OSError:
        pass
    return found


def dbt_log(paths: Paths) -> Path:
    return paths.home / "dbt" / "logs" / "dbt.log"


def dbt_log_size(paths: Paths) -> int:
    return dbt_log(paths).stat().st_size if dbt_log(paths).exists() else 0


def kill_point(stage: str, paths: Paths, pid: int, dbt_log_before: int, drafts_before) -> bool:
    """True once the `ccpipe run` process is inside the stage to kill it in."""
    if stage == "ingest":  # ingest is the first stage to open the working warehouse
        return str(paths.work_db) in open_files(pid)
    if stage == "dbt":
        return dbt_log_size(paths) > dbt_log_before
    return drafts(paths) != drafts_before  # publish: a new draft beside ccpipe.duckdb


def kill_load_in(stage: str, paths: Paths, day: str) -> None:
    """Start `ccpipe run --date day`, SIGKILL it inside `stage`, check nothing was published."""
    published = file_digest(paths.published_db)
    publication_id = read_publication(paths)["publication_id"]
    dbt_log_before = dbt_log_size(paths)
    drafts_before = drafts(paths)
    load = subprocess.Popen(
        [CCPIPE, "run", "--date", day],
        env=cli_env(paths.home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: kill_point(stage, paths, load.pid, dbt_log_before, drafts_before)
            or load.poll() is not None,
            180,
            f"the load to reach {stage}",
        )
        if stage == "dbt":
            time.sleep(1.0)  # dbt is parsing or building by now, not yet done (seconds more)
        assert load.poll() is None, f"the load finished before it could be killed in {stage}"
        load.send_signal(signal.SIGKILL)
    finally:
        load.wait(timeout=30)
    assert load.returncode == -signal.SIGKILL

    assert file_digest(paths.published_db) == published
    assert read_publication(paths)["publication_id"] == publication_id
    if stage == "ingest":
        assert dbt_log_size(paths) == dbt_log_before  # killed before dbt began
    if stage == "dbt":
        assert "Completed successfully" not in dbt_log(paths).read_text()[dbt_log_before:]
    if stage == "publish":  # the killed publisher's half-written file, never renamed
        assert len(drafts(paths)) == len(drafts_before) + 1


def test_loads_killed_in_ingest_dbt_and_publish_leave_the_publication_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    paths = copy_home(first_day_home(), tmp_path)

    for stage in ("ingest", "dbt", "publish"):
        kill_load_in(stage, paths, DAYS[1])
    ccpipe(paths.home, "run", "--date", DAYS[1])

    assert drafts(paths) == []
    assert marts_snapshot(paths.published_db) == reference_snapshot()  # DAYS[0], DAYS[1]


def generation_files(paths: Paths) -> list[str]:
    return sorted(p.name for p in paths.warehouse.glob("ccpipe.duckdb.*.gen"))


def test_the_spare_generation_is_brought_up_to_date_in_place(paths: Paths) -> None:
    make_marts(paths, KPI)
    first = publish_marts(paths, "2026-11-02")
    first_file = paths.published_db.resolve()
    rebuild(
        paths,
        "update marts.kpi_daily set fcr_rate = 0.7 where reporting_date = '2026-11-02'",
        ["2026-11-02"],
    )
    second = publish_marts(paths, "2026-11-03")  # no spare yet: a copy of the first, patched
    second_file = paths.published_db.resolve()
    rebuild(paths, "insert into marts.kpi_daily values ('2026-11-03', 0.8)", ["2026-11-03"])

    third = publish_marts(paths, "2026-11-04")

    assert (first.mode, second.mode, third.mode) == ("copied", "patched", "patched")
    assert paths.published_db.is_symlink() and os.readlink(paths.published_db) == first_file.name
    assert generation_files(paths) == sorted([first_file.name, second_file.name])
    # The spare lacked the second publication's date as well as this build's: both patched.
    assert published_rows(paths, "kpi_daily") == [
        (date(2026, 11, 1), 0.5),
        (date(2026, 11, 2), 0.7),
        (date(2026, 11, 3), 0.8),
    ]
    assert read_publication(paths)["publication_id"] == third.publication_id


def test_a_spare_a_bi_reader_still_holds_open_is_never_written(
    paths: Paths, tmp_path: Path
) -> None:
    make_marts(paths, KPI)
    publish_marts(paths, "2026-11-02")
    first_file = paths.published_db.resolve()
    held = tmp_path / "held.duckdb"
    os.link(first_file, held)  # the same file, to read it back once it left the folder
    before = file_digest(held)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print(con.execute('select count(*) from marts.kpi_daily').fetchone()[0],"
            " flush=True)\n"
            "time.sleep(120)",
            str(paths.published_db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "2"
        rebuild(paths, "insert into marts.kpi_daily values ('2026-11-03', 0.8)", ["2026-11-03"])
        publish_marts(paths, "2026-11-03")
        rebuild(paths, "insert into marts.kpi_daily values ('2026-11-04', 0.9)", ["2026-11-04"])

        third = publish_marts(paths, "2026-11-04")

        assert third.mode == "patched"
        assert file_digest(held) == before
        assert first_file.name not in generation_files(paths)
        assert len(published_rows(paths, "kpi_daily")) == 4
        assert reader.poll() is None
    finally:
        reader.kill()
        reader.wait()


def test_bi_clients_open_the_published_file_by_its_documented_names(paths: Paths) -> None:
    """ccpipe.duckdb opens as catalog `ccpipe`: `marts.kpi_daily` and `ccpipe.marts.kpi_daily`
    resolve in a plain read-only connection, and the DuckDB 1.5 shell reads the file."""
    make_marts(
        paths,
        "create table marts.kpi_daily (reporting_date date, fcr_rate double); "
        "insert into marts.kpi_daily values ('2026-11-03', 0.75)",
    )
    publish_marts(paths, "2026-11-03")

    assert paths.published_db == paths.warehouse / "ccpipe.duckdb"
    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        assert bi.execute("select current_database()").fetchone() == ("ccpipe",)
        assert bi.execute("select fcr_rate from marts.kpi_daily").fetchall() == [(0.75,)]
        assert bi.execute("select fcr_rate from ccpipe.marts.kpi_daily").fetchall() == [(0.75,)]
        [(storage,)] = bi.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'ccpipe'"
        ).fetchall()
    shell = Path(sys.executable).with_name("duckdb")
    answer = subprocess.run(
        [
            str(shell),
            "-readonly",
            "-csv",
            str(paths.published_db),
            "-c",
            "select version(), reporting_date, fcr_rate from marts.kpi_daily",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.splitlines()[1:] == ["v1.5.6,2026-11-03,0.75"]
    assert storage == "v1.4.0+"


def test_a_home_published_under_the_old_name_moves_over_on_its_next_publish(
    paths: Paths,
) -> None:
    legacy = paths.legacy_published_db
    generation = legacy.with_name("marts.duckdb.0123456789ab.gen")
    with duckdb.connect(str(generation)) as old:
        old.execute("create schema marts; create table marts.marts.kpi_daily as select 1 as x")
    legacy.symlink_to(generation.name)
    make_marts(paths, "create table marts.kpi_daily as select 2 as x")

    publish_marts(paths, "2026-11-03")

    assert not legacy.exists() and not legacy.is_symlink() and not generation.exists()
    assert published_rows(paths, "kpi_daily") == [(2,)]
