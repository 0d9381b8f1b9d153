"""The raw load: typing, quarantine, refusal of unreadable files, idempotency."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import duckdb
import pytest

from ccpipe.contracts import FEEDS
from ccpipe.ingest import IngestError, ingest_date
from ccpipe.ingest.staging import create_stage, stage_json_objects
from ccpipe.paths import Paths, project_dir
from ccpipe.settings import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV
from ccpipe.warehouse import connect

from conftest import leg, survey, ticket, write_csv, write_jsonl

DAY = "2026-11-03"


def query(paths: Paths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()


def quarantined(paths: Paths) -> list[tuple]:
    return query(
        paths,
        "select source_file, source_line, column_name, rule, reason from raw.quarantine "
        "order by source_file, source_line",
    )


LOAD_TIME = {
    "call_legs": "_loaded_at",
    "ticket_versions": "_loaded_at",
    "survey_responses": "_loaded_at",
    "quarantine": "quarantined_at",
}


def raw_tables(paths: Paths) -> dict[str, list[tuple]]:
    """Every raw table's contract and lineage content, minus load timestamps."""
    tables = ("call_legs", "ticket_versions", "survey_responses", "quarantine")
    return {
        t: query(
            paths,
            f"select * exclude ({LOAD_TIME[t]}) from raw.{t} order by all",
        )
        for t in tables
    }


# One hand-written bad row per row-level fault kind of the feed contracts, next to a good row.
# (feed, bad row, column, rule, exact reason)
ROW_FAULTS = [
    (
        "calls",
        leg(call_id="C2", queue=""),
        "queue",
        "expect_column_values_to_not_be_null(queue)",
        "queue is required",
    ),
    (
        "calls",
        leg(call_id="C2", leg_seq="first"),
        "leg_seq",
        "parse_int(leg_seq)",
        "leg_seq 'first' is not a whole number; leg_seq is required",
    ),
    (
        "calls",
        leg(call_id="C2", leg_seq="0"),
        "leg_seq",
        "expect_column_values_to_be_between(leg_seq)",
        "leg_seq '0' must be at least 1",
    ),
    (
        "calls",
        leg(call_id="C2", started_at="yesterday 9am"),
        "started_at",
        "parse_timestamp(started_at)",
        "started_at 'yesterday 9am' is not an ISO-8601 timestamp with offset; "
        "started_at is required",
    ),
    (
        "calls",
        leg(call_id="C2", started_at="2026-11-03T09:00:00"),
        "started_at",
        "parse_timestamp(started_at)",
        "started_at '2026-11-03T09:00:00' has no UTC offset; started_at is required",
    ),
    (
        "calls",
        leg(call_id="C2", direction="sideways"),
        "direction",
        "expect_column_values_to_be_in_set(direction)",
        "direction 'sideways' is not one of inbound, outbound",
    ),
    (
        "calls",
        leg(call_id="C2", answered_at="2026-11-03T08:59:00Z"),
        "answered_at",
        "expect_column_pair_values_a_to_be_greater_than_b(answered_at, started_at)",
        "answered_at '2026-11-03 08:59:00+00' must be at or after started_at "
        "'2026-11-03 09:00:00+00'",
    ),
    (
        "calls",
        leg(call_id="C2", ended_at="2026-11-03T09:00:05Z"),
        "ended_at",
        "expect_column_pair_values_a_to_be_greater_than_b(ended_at, answered_at)",
        "ended_at '2026-11-03 09:00:05+00' must be at or after answered_at "
        "'2026-11-03 09:00:10+00'",
    ),
    (
        "calls",
        leg(call_id="C2", reason_code=""),
        "reason_code",
        "expect_column_values_to_not_be_null(reason_code)",
        "reason_code is required when answered_at is set",
    ),
    (
        "calls",
        leg(call_id="C2", resolved="maybe"),
        "resolved",
        "parse_bool(resolved)",
        "resolved 'maybe' is not true, false or empty",
    ),
    (
        "calls",
        leg(call_id="C2", wrap_seconds="-5"),
        "wrap_seconds",
        "expect_column_values_to_be_between(wrap_seconds)",
        "wrap_seconds '-5' must be at least 0",
    ),
    (
        "tickets",
        ticket(ticket_id="T2", solved_at=""),
        "solved_at",
        "expect_column_values_to_not_be_null(solved_at)",
        "solved_at is required when status is solved/closed",
    ),
    (
        "tickets",
        ticket(ticket_id="T2", priority="asap"),
        "priority",
        "expect_column_values_to_be_in_set(priority)",
        "priority 'asap' is not one of low, normal, high, urgent",
    ),
    (
        "tickets",
        ticket(ticket_id="T2", updated_at="2026-11-03T09:00:00Z"),
        "updated_at",
        "expect_column_pair_values_a_to_be_greater_than_b(updated_at, created_at)",
        "updated_at '2026-11-03 09:00:00+00' must be at or after created_at "
        "'2026-11-03 10:00:00+00'",
    ),
    (
        "surveys",
        survey(response_id="R2", score="6"),
        "scale_max",
        "expect_column_pair_values_a_to_be_greater_than_b(scale_max, score)",
        "scale_max '5' must be at or after score '6'",
    ),
    (
        "surveys",
        survey(response_id="R2", survey_type="nps", score="4", scale_min="1", scale_max="5"),
        "scale_min",
        "expect_column_values_to_be_in_set(scale_min)",
        "scale_min '1' is not one of 0 when survey_type == nps; "
        "scale_max '5' is not one of 10 when survey_type == nps",
    ),
    (
        "surveys",
        survey(response_id="R2", scale_max="4"),
        "scale_max",
        "expect_column_pair_values_a_to_be_greater_than_b(scale_max, score)",
        "scale_max '4' must be at or after score '5'; "
        "scale_max '4' is not one of 1, 5, 7, 10 when survey_type == csat",
    ),
    (
        "surveys",
        survey(response_id="R1"),
        "response_id",
        "expect_column_values_to_be_unique(response_id)",
        "duplicate key (response_id) within the load; "
        "first seen in surveys/2026-11-03/f.csv line 2",
    ),
]

GOOD = {"calls": leg(), "tickets": ticket(), "surveys": survey()}


@pytest.mark.parametrize(
    ("feed", "bad", "column", "rule", "reason"),
    ROW_FAULTS,
    ids=[f"{f[0]}-{f[3]}-{i}" for i, f in enumerate(ROW_FAULTS)],
)
def test_row_fault_is_quarantined_with_line_column_and_reason(
    paths, feed, bad, column, rule, reason
):
    write_csv(paths, feed, DAY, "f.csv", [GOOD[feed], bad])

    loads = ingest_date(paths, DAY, feeds=(feed,))

    assert quarantined(paths) == [(f"{feed}/{DAY}/f.csv", 3, column, rule, reason)]
    assert (loads[feed].rows_read, loads[feed].rows_loaded, loads[feed].rows_quarantined) == (
        2,
        1,
        1,
    )


def test_duplicate_key_across_two_files_of_one_date_is_quarantined(paths):
    write_csv(paths, "calls", DAY, "a.csv", [leg()])
    write_csv(paths, "calls", DAY, "b.csv", [leg(agent_id="A9")])

    ingest_date(paths, DAY, feeds=("calls",))

    assert quarantined(paths) == [
        (
            f"calls/{DAY}/b.csv",
            2,
            "call_id, leg_seq",
            "expect_compound_columns_to_be_unique(call_id, leg_seq)",
            "duplicate key (call_id, leg_seq) within the load; "
            f"first seen in calls/{DAY}/a.csv line 2",
        )
    ]
    assert query(paths, "select agent_id from raw.call_legs") == [("A1",)]


def test_malformed_csv_record_is_quarantined_and_later_lines_stay_exact(paths):
    path = write_csv(paths, "surveys", DAY, "f.csv", [])
    header = path.read_text(encoding="utf-8")
    path.write_text(
        header
        + 'R1,csat,call,C1,K1,2026-11-03T10:00:00Z,5,1,5,fa,"two\nlines"\n'
        + "R2,csat,call,only,four\n"
        + "R3,csat,call,C1,K1,2026-11-03T10:00:00Z,9,1,5,en,x\n",
        encoding="utf-8",
    )

    ingest_date(paths, DAY, feeds=("surveys",))

    rows = quarantined(paths)
    assert rows[0][:4] == (f"surveys/{DAY}/f.csv", 3, None, "csv_record_shape")
    assert rows[0][4].startswith("malformed CSV record: Expected Number of Columns: 11")
    # R3 is the third record: line 4 counting the header as line 1, one line per record.
    assert rows[1] == (
        f"surveys/{DAY}/f.csv",
        4,
        "scale_max",
        "expect_column_pair_values_a_to_be_greater_than_b(scale_max, score)",
        "scale_max '5' must be at or after score '9'",
    )


def test_jsonl_line_that_is_not_an_object_is_quarantined(paths):
    write_jsonl(paths, "surveys", DAY, "f.jsonl", [survey(), "{not json", "[1, 2]"])

    ingest_date(paths, DAY, feeds=("surveys",))

    assert quarantined(paths) == [
        (f"surveys/{DAY}/f.jsonl", 2, None, "json_record", "line is not a JSON object"),
        (f"surveys/{DAY}/f.jsonl", 3, None, "json_record", "line is not a JSON object"),
    ]
    assert query(paths, "select response_id, _source_line from raw.survey_responses") == [("R1", 1)]


def test_clean_jsonl_goes_through_duckdbs_reader_with_the_line_by_line_paths_result(
    paths, tmp_path
):
    """A clean file (one object per line, contract keys only) is staged by DuckDB's own JSON
    reader; a blank line, a key outside the contract or a bad line sends a file line by line.
    Both load the same values, each record numbered by its physical line."""
    records = [survey(response_id=f"R{n}", score=str(n), comment=f"ok {n}") for n in (1, 2, 3)]
    clean = write_jsonl(paths, "surveys", DAY, "clean.jsonl", records)
    messy = write_jsonl(
        paths,
        "surveys",
        "2026-11-04",
        "messy.jsonl",
        [records[0], "", {**records[1], "note": "x"}, records[2], "[1]"],
    )
    # valid JSON on every line, but not all objects
    not_objects = write_jsonl(
        paths, "surveys", "2026-11-05", "arrays.jsonl", [records[0], "[1]", '"x"']
    )
    with connect(paths.work_db) as con:
        create_stage(con, FEEDS["surveys"])
        assert stage_json_objects(con, FEEDS["surveys"], clean, "clean", lines=3)
        assert not stage_json_objects(con, FEEDS["surveys"], messy, "messy", lines=5)
        assert not stage_json_objects(con, FEEDS["surveys"], not_objects, "arrays", lines=3)
        assert not stage_json_objects(con, FEEDS["surveys"], clean, "clean", lines=4)

    ingest_date(paths, DAY, feeds=("surveys",))
    ingest_date(paths, "2026-11-04", feeds=("surveys",))

    loaded = query(
        paths,
        "select _load_date::varchar, response_id, score, comment, _source_line, "
        "_extra::varchar from raw.survey_responses order by 1, 2",
    )
    assert loaded == [
        ("2026-11-03", "R1", 1, "ok 1", 1, None),
        ("2026-11-03", "R2", 2, "ok 2", 2, None),
        ("2026-11-03", "R3", 3, "ok 3", 3, None),
        ("2026-11-04", "R1", 1, "ok 1", 1, None),
        ("2026-11-04", "R2", 2, "ok 2", 3, '{"note":"x"}'),
        ("2026-11-04", "R3", 3, "ok 3", 4, None),
    ]


def test_values_are_typed_per_contract(paths):
    write_csv(
        paths,
        "calls",
        DAY,
        "f.csv",
        [
            leg(started_at="2026-11-03T12:30:00+03:30", resolved="true"),
            leg(leg_seq="2", started_at="2026-11-03T04:00:00-05:00", resolved="FALSE"),
            leg(leg_seq="3", started_at="2026-11-03T09:00:00Z", resolved=""),
        ],
    )

    ingest_date(paths, DAY, feeds=("calls",))

    assert query(paths, "select leg_seq, started_at, resolved from raw.call_legs order by 1") == [
        (1, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), True),
        (2, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), False),
        (3, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), None),
    ]


def test_persian_and_arabic_indic_digits_become_integers(paths):
    write_csv(
        paths,
        "surveys",
        DAY,
        "f.csv",
        [
            survey(response_id="R1", score="۹", scale_max="۱۰"),
            survey(response_id="R2", score="٩", scale_max="١٠"),
        ],
    )
    write_jsonl(
        paths, "surveys", DAY, "g.jsonl", [survey(response_id="R3", score="٧", scale_max="7")]
    )

    ingest_date(paths, DAY, feeds=("surveys",))

    assert query(
        paths, "select response_id, score, scale_max from raw.survey_responses order by 1"
    ) == [
        ("R1", 9, 10),
        ("R2", 9, 10),
        ("R3", 7, 7),
    ]


PERSIAN_COMMENT = 'پشتیبانی "عالی" بود،\nممنونم 🙏 — وقت: ۱۰ دقیقه'


@pytest.mark.parametrize("writer", ["csv", "csv.gz", "jsonl"])
def test_rtl_comment_with_newline_quotes_and_emoji_comes_back_identical(paths, writer):
    row = survey(language="fa", comment=PERSIAN_COMMENT)
    if writer == "jsonl":
        write_jsonl(paths, "surveys", DAY, "f.jsonl", [row])
    else:
        path = write_csv(paths, "surveys", DAY, "f.csv", [row])
        if writer == "csv.gz":
            path.with_suffix(".csv.gz").write_bytes(gzip.compress(path.read_bytes()))
            path.unlink()

    ingest_date(paths, DAY, feeds=("surveys",))

    [(comment,)] = query(paths, "select comment from raw.survey_responses")
    assert comment.encode("utf-8") == PERSIAN_COMMENT.encode("utf-8")


def test_bom_column_order_and_extra_columns(paths):
    columns = ["comment", "extra_note"] + [c for c in survey() if c != "comment"]
    path = write_csv(paths, "surveys", DAY, "f.csv", [{**survey(), "extra_note": "kept"}], columns)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    ingest_date(paths, DAY, feeds=("surveys",))

    assert query(
        paths, "select response_id, comment, _extra::varchar from raw.survey_responses"
    ) == [("R1", "great", '{"extra_note":"kept"}')]


def test_missing_required_column_refuses_the_file_by_name(paths):
    columns = [c for c in leg() if c != "disposition"]
    write_csv(paths, "calls", DAY, "no_disposition.csv", [leg()], columns)
    write_csv(paths, "surveys", DAY, "ok.csv", [survey()])

    with pytest.raises(IngestError) as raised:
        ingest_date(paths, DAY)

    assert str(raised.value) == (
        f"calls/{DAY}/no_disposition.csv: missing required column(s) disposition"
    )
    # The refused feed loaded nothing; the other feeds went on.
    assert query(paths, "select count(*) from raw.call_legs") == [(0,)]
    assert query(paths, "select count(*) from raw.survey_responses") == [(1,)]
    assert query(
        paths, "select source_file, status, message from raw.load_audit where feed = 'calls'"
    ) == [
        (
            f"calls/{DAY}/no_disposition.csv",
            "failed",
            f"calls/{DAY}/no_disposition.csv: missing required column(s) disposition",
        )
    ]


def test_jsonl_without_a_required_key_in_any_record_is_refused(paths):
    record = {k: v for k, v in survey().items() if k != "score"}
    write_jsonl(paths, "surveys", DAY, "f.jsonl", [record])

    with pytest.raises(
        IngestError, match=rf"surveys/{DAY}/f.jsonl: missing required column\(s\) score"
    ):
        ingest_date(paths, DAY, feeds=("surveys",))


def test_corrupt_gzip_is_refused_by_name(paths):
    folder = paths.landing_dir("calls", DAY)
    folder.mkdir(parents=True)
    (folder / "broken.csv.gz").write_bytes(gzip.compress(b"call_id,leg_seq\n" * 50)[:40])

    with pytest.raises(IngestError, match=rf"^calls/{DAY}/broken.csv.gz: cannot be read as gzip"):
        ingest_date(paths, DAY, feeds=("calls",))


def test_file_that_is_not_utf8_is_refused_by_name(paths):
    path = write_csv(paths, "surveys", DAY, "latin1.csv", [survey(comment="café")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    with pytest.raises(IngestError, match=rf"^surveys/{DAY}/latin1.csv: line 2 is not UTF-8"):
        ingest_date(paths, DAY, feeds=("surveys",))


def test_refused_reload_leaves_the_dates_earlier_rows_untouched(paths):
    write_csv(paths, "calls", DAY, "a.csv", [leg()])
    ingest_date(paths, DAY, feeds=("calls",))
    before = raw_tables(paths)
    (paths.landing_dir("calls", DAY) / "b.csv").write_text("call_id\nC9\n", encoding="utf-8")

    with pytest.raises(IngestError):
        ingest_date(paths, DAY, feeds=("calls",))

    assert raw_tables(paths) == before


def test_no_file_for_the_date_is_recorded_as_missing(paths):
    assert ingest_date(paths, DAY, feeds=("tickets",))["tickets"].files == []
    assert query(paths, "select feed, status, source_file from raw.load_audit") == [
        ("tickets", "missing", None)
    ]


def test_replay_gives_identical_raw_tables_and_reload_does_not_double_count(paths):
    write_csv(paths, "calls", DAY, "a.csv", [leg(), leg(leg_seq="2"), leg(call_id="X", queue="")])
    write_jsonl(paths, "tickets", DAY, "t.jsonl", [ticket()])
    write_csv(paths, "surveys", DAY, "s.csv", [survey()])

    ingest_date(paths, DAY)
    first = raw_tables(paths)
    ingest_date(paths, DAY)

    assert raw_tables(paths) == first
    assert [len(first[t]) for t in first] == [2, 1, 1, 1]
    assert query(paths, "select count(*), count(distinct load_id) from raw.load_audit") == [(6, 6)]


def test_same_content_under_another_name_is_skipped_and_logged(paths):
    original = write_csv(paths, "calls", DAY, "a.csv", [leg()])
    ingest_date(paths, DAY, feeds=("calls",))
    next_day = paths.landing_dir("calls", "2026-11-04")
    next_day.mkdir(parents=True)
    (next_day / "again.csv.gz").write_bytes(gzip.compress(original.read_bytes()))

    load = ingest_date(paths, "2026-11-04", feeds=("calls",))["calls"]

    assert [(f.status, f.message) for f in load.files] == [
        ("skipped_duplicate", f"same content as calls/{DAY}/a.csv (loaded for {DAY})")
    ]
    assert query(paths, "select count(*) from raw.call_legs") == [(1,)]


def test_every_warehouse_connection_keeps_the_configured_memory_budget(paths, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    with connect(paths.work_db) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    monkeypatch.delenv(MEMORY_LIMIT_ENV)
    with connect(None) as con:
        # the default budget, 2500MB (DuckDB shows MiB)
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "2.3 GiB"
    profile = (project_dir() / "profiles.yml").read_text(encoding="utf-8")
    default = f"env_var('{MEMORY_LIMIT_ENV}', '') or '{DEFAULT_MEMORY_LIMIT}'"
    assert f'memory_limit: "{{{{ {default} }}}}"' in profile
