"""The feed gate: every expectation of every feed suite has a fixture that breaks it; the gate
then stops, its error names the suite, the expectation, the observed value and the failing
rows, and the published marts stay byte-identical. A suite edited changes the quarantine
and the gate alike.

Each scenario below is one gate run (module-scoped: GX costs about a second a run) whose
fixture breaks several expectations at once, each with its own rows; the parametrised tests
then check one expectation each.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from gate_helpers import (
    DAY,
    GOOD_RAW,
    KEY,
    Stopped,
    check,
    days_before,
    insert_raw,
    new_home,
    one,
    sha256,
    stand_in_publication,
    stopped_run,
    ts,
)

from ccpipe.cli import main
from ccpipe.contracts import FEEDS
from ccpipe.ingest import IngestError, ingest_date
from ccpipe.paths import Paths, project_dir
from ccpipe.quality import GateError, validate_feeds
from ccpipe.rules import compile_expectation
from ccpipe.suites import expectation_columns, expectation_label, load_suite, mart_suite_names
from ccpipe.warehouse import connect

from conftest import leg, survey, ticket, write_csv

SUITES = [*FEEDS, *mart_suite_names()]


# --------------------------------------------------------------------------- row-level rules

# (suite, expectation, bad row's overrides of the good row, the value the gate reports, the
# failing row's values as printed). Each bad row breaks exactly its own expectation; the batch
# also holds the good row and a duplicate key pair (UNIQUE_CASES).
NN = "expect_column_values_to_not_be_null"
IN = "expect_column_values_to_be_in_set"
GT = "expect_column_pair_values_a_to_be_greater_than_b"
BT = "expect_column_values_to_be_between"
ROW_CASES = [
    ("calls", f"{NN}(call_id)", {"call_id": None}, "null", "call_id=null"),
    ("calls", f"{NN}(leg_seq)", {"leg_seq": None}, "null", "leg_seq=null"),
    ("calls", f"{NN}(direction)", {"direction": None}, "null", "direction=null"),
    ("calls", f"{NN}(queue)", {"queue": None}, "null", "queue=null"),
    ("calls", f"{NN}(started_at)", {"started_at": None}, "null", "started_at=null"),
    ("calls", f"{NN}(ended_at)", {"ended_at": None}, "null", "ended_at=null"),
    ("calls", f"{NN}(disposition)", {"disposition": None}, "null", "disposition=null"),
    ("calls", f"{BT}(leg_seq)", {"leg_seq": 0}, "0", "leg_seq=0"),
    ("calls", f"{IN}(direction)", {"direction": "sideways"}, "'sideways'", "direction='sideways'"),
    (
        "calls",
        f"{IN}(disposition)",
        {"disposition": "hung_up"},
        "'hung_up'",
        "disposition='hung_up'",
    ),
    (
        "calls",
        f"{GT}(answered_at, started_at)",
        {"answered_at": ts(8, 59)},
        "(2026-11-03 08:59:00+00:00, 2026-11-03 09:00:00+00:00)",
        "answered_at=2026-11-03 08:59:00+00:00, started_at=2026-11-03 09:00:00+00:00",
    ),
    (
        "calls",
        f"{GT}(ended_at, started_at)",
        {"answered_at": None, "wrap_seconds": 0, "reason_code": None, "ended_at": ts(8, 58)},
        "(2026-11-03 08:58:00+00:00, 2026-11-03 09:00:00+00:00)",
        "ended_at=2026-11-03 08:58:00+00:00, started_at=2026-11-03 09:00:00+00:00",
    ),
    (
        "calls",
        f"{GT}(ended_at, answered_at)",
        {"ended_at": ts(9, 0, 5)},
        "(2026-11-03 09:00:05+00:00, 2026-11-03 09:00:10+00:00)",
        "ended_at=2026-11-03 09:00:05+00:00, answered_at=2026-11-03 09:00:10+00:00",
    ),
    ("calls", f"{BT}(wrap_seconds)", {"wrap_seconds": -5}, "-5", "wrap_seconds=-5"),
    (
        "calls",
        f"{IN}(wrap_seconds) when answered_at is null",
        {"answered_at": None, "reason_code": None},
        "30",
        "wrap_seconds=30",
    ),
    (
        "calls",
        f"{NN}(reason_code) when answered_at is not null",
        {"reason_code": None},
        "null",
        "reason_code=null",
    ),
    ("tickets", f"{NN}(ticket_id)", {"ticket_id": None}, "null", "ticket_id=null"),
    ("tickets", f"{NN}(updated_at)", {"updated_at": None}, "null", "updated_at=null"),
    ("tickets", f"{NN}(channel)", {"channel": None}, "null", "channel=null"),
    ("tickets", f"{NN}(category)", {"category": None}, "null", "category=null"),
    ("tickets", f"{NN}(queue)", {"queue": None}, "null", "queue=null"),
    ("tickets", f"{NN}(priority)", {"priority": None}, "null", "priority=null"),
    ("tickets", f"{NN}(status)", {"status": None}, "null", "status=null"),
    ("tickets", f"{NN}(created_at)", {"created_at": None}, "null", "created_at=null"),
    ("tickets", f"{IN}(channel)", {"channel": "fax"}, "'fax'", "channel='fax'"),
    ("tickets", f"{IN}(priority)", {"priority": "asap"}, "'asap'", "priority='asap'"),
    ("tickets", f"{IN}(status)", {"status": "escalated"}, "'escalated'", "status='escalated'"),
    (
        "tickets",
        f"{GT}(updated_at, created_at)",
        {"updated_at": ts(9)},
        "(2026-11-03 09:00:00+00:00, 2026-11-03 10:00:00+00:00)",
        "updated_at=2026-11-03 09:00:00+00:00, created_at=2026-11-03 10:00:00+00:00",
    ),
    (
        "tickets",
        f"{GT}(first_response_at, created_at)",
        {"first_response_at": ts(9, 30)},
        "(2026-11-03 09:30:00+00:00, 2026-11-03 10:00:00+00:00)",
        "first_response_at=2026-11-03 09:30:00+00:00, created_at=2026-11-03 10:00:00+00:00",
    ),
    (
        "tickets",
        f"{GT}(solved_at, created_at)",
        {"solved_at": ts(9, 45)},
        "(2026-11-03 09:45:00+00:00, 2026-11-03 10:00:00+00:00)",
        "solved_at=2026-11-03 09:45:00+00:00, created_at=2026-11-03 10:00:00+00:00",
    ),
    (
        "tickets",
        f"{NN}(solved_at) when status IN ['solved', 'closed']",
        {"status": "closed", "solved_at": None},
        "null",
        "solved_at=null",
    ),
    ("tickets", f"{BT}(reopen_count)", {"reopen_count": -1}, "-1", "reopen_count=-1"),
    (
        "tickets",
        f"{BT}(agent_reply_count)",
        {"agent_reply_count": -1},
        "-1",
        "agent_reply_count=-1",
    ),
    ("surveys", f"{NN}(response_id)", {"response_id": None}, "null", "response_id=null"),
    ("surveys", f"{NN}(survey_type)", {"survey_type": None}, "null", "survey_type=null"),
    ("surveys", f"{NN}(contact_type)", {"contact_type": None}, "null", "contact_type=null"),
    ("surveys", f"{NN}(responded_at)", {"responded_at": None}, "null", "responded_at=null"),
    ("surveys", f"{NN}(score)", {"score": None}, "null", "score=null"),
    ("surveys", f"{NN}(scale_min)", {"scale_min": None}, "null", "scale_min=null"),
    ("surveys", f"{NN}(scale_max)", {"scale_max": None}, "null", "scale_max=null"),
    (
        "surveys",
        f"{IN}(survey_type)",
        {"survey_type": "rating"},
        "'rating'",
        "survey_type='rating'",
    ),
    (
        "surveys",
        f"{IN}(contact_type)",
        {"contact_type": "email"},
        "'email'",
        "contact_type='email'",
    ),
    ("surveys", f"{GT}(score, scale_min)", {"score": 0}, "(0, 1)", "score=0, scale_min=1"),
    ("surveys", f"{GT}(scale_max, score)", {"score": 6}, "(5, 6)", "scale_max=5, score=6"),
    (
        "surveys",
        f"{IN}(scale_min) when survey_type == 'csat'",
        {"scale_min": 2},
        "2",
        "scale_min=2",
    ),
    (
        "surveys",
        f"{IN}(scale_max) when survey_type == 'csat'",
        {"scale_max": 6},
        "6",
        "scale_max=6",
    ),
    (
        "surveys",
        f"{GT}(scale_max, scale_min) when survey_type == 'csat'",
        {"scale_min": 1, "scale_max": 1, "score": 1},
        "(1, 1)",
        "scale_max=1, scale_min=1",
    ),
    (
        "surveys",
        f"{IN}(scale_min) when survey_type == 'ces'",
        {"survey_type": "ces", "scale_min": 0, "score": 3},
        "0",
        "scale_min=0",
    ),
    (
        "surveys",
        f"{IN}(scale_max) when survey_type == 'ces'",
        {"survey_type": "ces", "scale_max": 4, "score": 3},
        "4",
        "scale_max=4",
    ),
    (
        "surveys",
        f"{IN}(scale_min) when survey_type == 'nps'",
        {"survey_type": "nps", "scale_min": 1, "scale_max": 10, "score": 9},
        "1",
        "scale_min=1",
    ),
    (
        "surveys",
        f"{IN}(scale_max) when survey_type == 'nps'",
        {"survey_type": "nps", "scale_min": 0, "scale_max": 5, "score": 4},
        "5",
        "scale_max=5",
    ),
    (
        "surveys",
        f"{IN}(scale_min) when survey_type == 'fcr'",
        {"survey_type": "fcr", "scale_min": 1, "scale_max": 1, "score": 1},
        "1",
        "scale_min=1",
    ),
    (
        "surveys",
        f"{IN}(scale_max) when survey_type == 'fcr'",
        {"survey_type": "fcr", "scale_min": 0, "scale_max": 2, "score": 1},
        "2",
        "scale_max=2",
    ),
]
UNIQUE_CASES = {
    "calls": "expect_compound_columns_to_be_unique(call_id, leg_seq)",
    "tickets": "expect_compound_columns_to_be_unique(ticket_id, updated_at)",
    "surveys": "expect_column_values_to_be_unique(response_id)",
}


def row_batch(feed: str) -> list[dict]:
    """The good row, every bad row of the feed (own key each), then a duplicate key pair."""
    cases = [case for case in ROW_CASES if case[0] == feed]
    key = KEY[feed]
    rows = [{key: f"{key[0].upper()}0"}]
    rows += [{key: f"{key[0].upper()}{n}", **case[2]} for n, case in enumerate(cases, start=1)]
    rows += [{key: "DUP"}, {key: "DUP"}]
    return rows


def judged(feed: str, expectation: str) -> int:
    """How many rows of the feed's batch an expectation judges (its row_condition's rows)."""
    rows = [{**GOOD_RAW[feed], **row} for row in row_batch(feed)]
    condition = next(
        e["kwargs"].get("row_condition")
        for e in load_suite(feed)["expectations"]
        if expectation_label(e) == expectation
    )
    if condition is None:
        return len(rows)
    column = condition["column"]["name"]
    if condition["type"] == "nullity":
        return sum((row[column] is None) == condition["is_null"] for row in rows)
    if condition["operator"] == "IN":
        return sum(row[column] in condition["parameter"] for row in rows)
    return sum(row[column] == condition["parameter"] for row in rows)


@pytest.fixture(scope="module")
def row_faults(tmp_path_factory) -> Stopped:
    """Hand-made raw batches (ingest would have quarantined these rows) breaking every
    row-level expectation of the three feed suites, gated at once."""
    paths = new_home(tmp_path_factory, "row_faults")
    published = stand_in_publication(paths)
    for feed in FEEDS:
        insert_raw(paths, feed, row_batch(feed))
    return stopped_run(paths, validate_feeds, published)


@pytest.mark.parametrize(
    ("suite", "expectation", "value", "columns"),
    [(c[0], c[1], c[3], c[4]) for c in ROW_CASES],
    ids=[f"{c[0]}-{c[1]}" for c in ROW_CASES],
)
def test_row_rule_broken_in_a_batch_stops_the_gate(row_faults, suite, expectation, value, columns):
    line = 2 + [c[1] for c in ROW_CASES if c[0] == suite].index(expectation) + 1
    check(
        row_faults,
        suite,
        expectation,
        one(judged(suite, expectation), value),
        [f"{suite}/{DAY}/hand.csv line {line}: {columns}"],
    )


@pytest.mark.parametrize("suite", list(FEEDS))
def test_duplicate_key_in_a_batch_stops_the_gate(row_faults, suite):
    rows = row_batch(suite)
    first = len(rows)  # the duplicate pair are the last two rows (lines n and n + 1)
    values = {
        "calls": ("('DUP', 1)", "call_id='DUP', leg_seq=1"),
        "tickets": (
            "('DUP', 2026-11-03 12:00:00+00:00)",
            "ticket_id='DUP', updated_at=2026-11-03 12:00:00+00:00",
        ),
        "surveys": ("'DUP'", "response_id='DUP'"),
    }[suite]
    check(
        row_faults,
        suite,
        UNIQUE_CASES[suite],
        one(len(rows), values[0], count=2),
        [f"{suite}/{DAY}/hand.csv line {n}: {values[1]}" for n in (first, first + 1)],
    )


def test_the_error_block_names_suite_file_batch_and_data_docs(row_faults):
    lines = str(row_faults.error).splitlines()
    run_id = f"test-{row_faults.paths.home.name}"
    failed = len(ROW_CASES) + len(UNIQUE_CASES)
    assert lines[0] == (
        f"quality gate (feeds) stopped the load of {DAY}: suite calls: "
        f"{NN}(call_id): {one(19, 'null')} (+{failed - 1} more)"
    )
    assert row_faults.error.reason == lines[0]
    assert lines[1] == (
        f"suite calls (expectations/calls.json) on raw.call_legs where _load_date = {DAY}: "
        f"17 of 22 expectations failed [run {run_id}]"
    )
    docs = row_faults.paths.gx_dir / "uncommitted/data_docs/local_site"
    assert lines[-2] == f"Data Docs index: {docs / 'index.html'}"
    results = row_faults.paths.gx_dir / "results.html"
    assert lines[-1] == f"Results page (opens offline): {results}"
    assert (docs / "index.html").is_file()
    # Every result is kept, the failed ones too.
    with duckdb.connect(str(row_faults.paths.work_db), read_only=True) as con:
        kept = con.execute(
            "select count(*), count(*) filter (not success) from audit.validation_results "
            "where run_id = ?",
            [run_id],
        ).fetchone()
    assert kept == (sum(len(load_suite(f)["expectations"]) for f in FEEDS), failed)


# --------------------------------------------------------------------------- batch-level rules


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> Stopped:
    """Each feed's only file lacks a required column: ingest refuses it, the gate sees a
    feed with no file for the date and a landed file missing from the batch."""
    paths = new_home(tmp_path_factory, "refused")
    published = stand_in_publication(paths)
    for feed, row, dropped in (
        ("calls", leg(), "disposition"),
        ("tickets", ticket(), "status"),
        ("surveys", survey(), "score"),
    ):
        columns = [c for c in FEEDS[feed].column_names if c != dropped]
        write_csv(paths, feed, DAY, f"no_{dropped}.csv", [row], columns)
    with pytest.raises(IngestError):
        ingest_date(paths, DAY)
    return stopped_run(paths, validate_feeds, published)


REFUSED = {"calls": "disposition", "tickets": "status", "surveys": "score"}


@pytest.fixture(scope="module")
def nothing_landed(tmp_path_factory) -> Stopped:
    """No feed has a file for the date."""
    paths = new_home(tmp_path_factory, "nothing_landed")
    published = stand_in_publication(paths)
    ingest_date(paths, DAY)
    return stopped_run(paths, validate_feeds, published)


NO_FILE = "expect_column_unique_value_count_to_be_between(_source_file)"


@pytest.mark.parametrize("suite", list(FEEDS))
def test_a_feed_with_no_file_for_the_date_stops_the_gate(nothing_landed, suite):
    check(nothing_landed, suite, NO_FILE, "0 distinct values", [])
    assert nothing_landed.failures[(suite, NO_FILE)]["context"] == [
        "latest load: (no file): missing (no file landed for this date)"
    ]


@pytest.mark.parametrize("suite", list(FEEDS))
def test_a_refused_file_leaves_its_feed_without_a_file(refused, suite):
    check(refused, suite, NO_FILE, "0 distinct values", [])
    file = f"{suite}/{DAY}/no_{REFUSED[suite]}.csv"
    assert refused.failures[(suite, NO_FILE)]["context"] == [
        f"latest load: {file}: failed ({file}: missing required column(s) {REFUSED[suite]})"
    ]


@pytest.mark.parametrize("suite", list(FEEDS))
def test_a_refused_file_stops_the_gate_by_name(refused, suite):
    file = f"{suite}/{DAY}/no_{REFUSED[suite]}.csv"
    check(
        refused,
        suite,
        "expect_column_distinct_values_to_contain_set(_source_file, $files_landed)",
        f"missing ['{file}']",
        [],
    )


@pytest.fixture(scope="module")
def share_and_band(tmp_path_factory) -> Stopped:
    """Three earlier dates of 10 rows per feed, then a date of 2 good rows and 1 bad:
    a third quarantined (over 1%) and 2 rows against a band of [5, 20]."""
    paths = new_home(tmp_path_factory, "share_and_band")
    published = stand_in_publication(paths)
    bad = {
        "calls": leg(call_id="C9", direction="sideways"),
        "tickets": ticket(ticket_id="T9", priority="asap"),
        "surveys": survey(response_id="R9", survey_type="rating"),
    }
    good = {"calls": leg, "tickets": ticket, "surveys": survey}
    for feed in FEEDS:
        for n in (1, 2, 3):
            rows = [{KEY[feed]: f"H{n}_{i}"} for i in range(10)]
            insert_raw(paths, feed, rows, load_date=days_before(n))
        rows = [good[feed](**{KEY[feed]: "X1"}), good[feed](**{KEY[feed]: "X2"}), bad[feed]]
        write_csv(paths, feed, DAY, "f.csv", rows)
    ingest_date(paths, DAY)
    return stopped_run(paths, validate_feeds, published)


QUARANTINED = {
    "calls": "direction 'sideways' is not one of inbound, outbound",
    "tickets": "priority 'asap' is not one of low, normal, high, urgent",
    "surveys": "survey_type 'rating' is not one of csat, ces, nps, fcr",
}


@pytest.mark.parametrize("suite", list(FEEDS))
def test_quarantined_share_over_the_limit_stops_the_gate(share_and_band, suite):
    expectation = "expect_table_row_count_to_be_between($min_rows_loaded)"
    check(
        share_and_band,
        suite,
        expectation,
        "2 rows",
        [f"{suite}/{DAY}/f.csv line 4: {QUARANTINED[suite]}"],
    )
    assert share_and_band.failures[(suite, expectation)]["context"] == [
        "rows read 3 = loaded 2 + quarantined 1 (33.33%); max_bad_row_share 0.01 allows 0"
    ]


@pytest.mark.parametrize("suite", list(FEEDS))
def test_row_count_out_of_the_trailing_median_band_stops_the_gate(share_and_band, suite):
    expectation = "expect_table_row_count_to_be_between($row_count_min, $row_count_max)"
    check(share_and_band, suite, expectation, "2 rows", [])
    history = ", ".join(f"{days_before(n)} 10" for n in (3, 2, 1))
    assert share_and_band.failures[(suite, expectation)]["context"] == [
        f"rows per date, trailing 7 days: {history}; band [5, 20] = [0.5, 2.0] x median 10"
    ]


@pytest.fixture(scope="module")
def required_missing(tmp_path_factory) -> Stopped:
    """A batch without a required column (the raw table lost it)."""
    paths = new_home(tmp_path_factory, "required_missing")
    published = stand_in_publication(paths)
    for feed in FEEDS:
        insert_raw(paths, feed, [{}])
    with connect(paths.work_db) as con:
        for feed, column in DROPPED.items():
            con.execute(f"alter table raw.{FEEDS[feed].raw_table} drop column {column}")
    return stopped_run(paths, validate_feeds, published)


DROPPED = {"calls": "queue", "tickets": "category", "surveys": "responded_at"}


@pytest.mark.parametrize("suite", list(FEEDS))
def test_a_missing_required_column_stops_the_gate(required_missing, suite):
    present = [c for c in FEEDS[suite].column_names if c != DROPPED[suite]]
    checked = sorted(
        {c for e in load_suite(suite)["expectations"] for c in expectation_columns(e)}
        & set(present)
        | {"_source_file", "_source_line"}
    )
    check(
        required_missing,
        suite,
        "expect_table_columns_to_match_set",
        f"missing column(s) ['{DROPPED[suite]}']; has [{', '.join(map(repr, checked))}]",
        [],
    )


# --------------------------------------------------------------------------- one definition


def test_every_row_level_expectation_is_compiled_for_the_quarantine():
    """Ingest quarantines by the expectations rules.py compiles; the gate runs the whole suite.
    Every expectation is one or the other, never silently neither."""
    for feed in FEEDS:
        for expectation in load_suite(feed)["expectations"]:
            batch_level = expectation["meta"].get("level") == "batch"
            assert (compile_expectation(expectation) is None) == batch_level, expectation_label(
                expectation
            )


def test_labels_name_one_expectation_each():
    for suite in SUITES:
        labels = [expectation_label(e) for e in load_suite(suite)["expectations"]]
        assert len(labels) == len(set(labels)), suite


def test_every_expectation_has_a_breaking_fixture():
    covered = {(s, e) for s, e, *_ in ROW_CASES}
    covered |= {(s, e) for s, e in UNIQUE_CASES.items()}
    covered |= {
        (feed, name)
        for feed in FEEDS
        for name in (
            "expect_column_unique_value_count_to_be_between(_source_file)",
            "expect_column_distinct_values_to_contain_set(_source_file, $files_landed)",
            "expect_table_row_count_to_be_between($min_rows_loaded)",
            "expect_table_row_count_to_be_between($row_count_min, $row_count_max)",
            "expect_table_columns_to_match_set",
        )
    }
    covered |= {
        (
            "marts.kpi_daily",
            f"expect_column_pair_values_to_be_equal({c}, published_{c}) "
            "when published_fcr_is_final == True and late_contact_rows == 0",
        )
        for c in ("fcr_eligible", "fcr_resolved")
    }
    every = {(s, expectation_label(e)) for s in SUITES for e in load_suite(s)["expectations"]}
    assert covered == every


def test_a_rule_edited_in_the_suite_changes_quarantine_and_gate_alike(tmp_path, monkeypatch):
    """One definition: drop 'outbound' from the calls suite and ingest quarantines outbound
    legs while the gate stops a batch holding one, both naming the same expectation."""
    project = tmp_path / "project"
    shutil.copytree(project_dir() / "expectations", project / "expectations")
    shutil.copy(project_dir() / "dbt_project.yml", project / "dbt_project.yml")
    suite = load_suite("calls")
    for expectation in suite["expectations"]:
        if expectation_label(expectation) == f"{IN}(direction)":
            expectation["kwargs"]["value_set"] = ["inbound"]
    (project / "expectations/calls.json").write_text(json.dumps(suite, indent=2))
    monkeypatch.setenv("CCPIPE_PROJECT_DIR", str(project))
    paths = Paths(tmp_path / "home").ensure()
    write_csv(paths, "calls", DAY, "f.csv", [leg(), leg(call_id="C2", direction="outbound")])

    ingest_date(paths, DAY, feeds=("calls",))
    insert_raw(paths, "calls", [{"call_id": "C3", "direction": "outbound"}])

    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        assert con.execute("select rule, reason from raw.quarantine").fetchall() == [
            (f"{IN}(direction)", "direction 'outbound' is not one of inbound")
        ]
    with pytest.raises(GateError) as raised:
        validate_feeds(paths, DAY, feeds=("calls",))
    failures = Stopped(raised.value, "", "").failures
    assert failures[("calls", f"{IN}(direction)")] == {
        "observed": one(2, "'outbound'"),
        "context": [],
        "rows": [f"calls/{DAY}/hand.csv line 2: direction='outbound'"],
    }


# --------------------------------------------------------------------------- the command line


def test_ccpipe_run_stops_at_the_feed_gate_with_a_one_line_reason(tmp_path, capsys):
    paths = Paths(tmp_path / "home").ensure()
    published = stand_in_publication(paths)
    write_csv(paths, "calls", DAY, "f.csv", [leg(), leg(call_id="C2", direction="sideways")])
    write_csv(paths, "tickets", DAY, "f.csv", [ticket()])
    write_csv(paths, "surveys", DAY, "f.csv", [survey()])

    status = main(["--home", str(paths.home), "run", "--date", DAY])

    out, err = capsys.readouterr()
    assert status == 1
    assert err == (
        f"ccpipe run: GateError: quality gate (feeds) stopped the load of {DAY}: suite calls: "
        "expect_table_row_count_to_be_between($min_rows_loaded) "
        "[quarantined share <= max_bad_row_share]: 1 row "
        f"(details: {paths.home / 'logs' / 'ccpipe.log'})\n"
    )
    assert f"calls/{DAY}/f.csv line 3: direction 'sideways' is not one of inbound" in out
    assert sha256(paths.published_db) == published
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        assert con.execute(
            "select count(*) from information_schema.schemata where schema_name = 'marts'"
        ).fetchone() == (0,)
