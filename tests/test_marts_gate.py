"""The marts gate: the build compared with what BI reads now. A day published with final FCR
keeps its counts unless late data arrived for it (read from the dbt model of this load's
late rows); a restated or vanished final day stops the gate, names the day and keeps the
publication byte-identical. The marts' own invariants are dbt data tests
(tests/test_mart_checks.py). A clean load passes every suite and keeps every result.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from gate_helpers import (
    DAY,
    GOOD_KPI_DAILY,
    Stopped,
    build_late_data,
    check,
    create_marts,
    days_before,
    insert_marts,
    insert_raw,
    new_home,
    sha256,
    stand_in_publication,
    stopped_run,
    ts,
)

from ccpipe.contracts import FEEDS
from ccpipe.ingest import ingest_date
from ccpipe.paths import Paths
from ccpipe.quality import validate_feeds, validate_marts
from ccpipe.suites import load_suite, mart_suite_names
from ccpipe.warehouse import connect

from conftest import give_manifest, leg, survey, ticket, write_csv

SUITES = [*FEEDS, *mart_suite_names()]
FINAL = days_before(20)  # published as final; restated without late data
VANISHED = days_before(21)  # published as final; gone from the rebuilt mart
PUBLISHED_FINAL = [
    {**GOOD_KPI_DAILY, "reporting_date": FINAL, "fcr_is_final": True},
    {
        **GOOD_KPI_DAILY,
        "reporting_date": VANISHED,
        "fcr_eligible": 50,
        "fcr_resolved": 40,
        "fcr_is_final": True,
    },
]


@pytest.fixture(scope="module")
def restated(tmp_path_factory) -> Stopped:
    """A rebuilt kpi_daily beside a publication whose final days it restates (one) and drops
    (another), with no late data for either."""
    paths = new_home(tmp_path_factory, "restated")
    published = stand_in_publication(paths, PUBLISHED_FINAL)
    build_late_data(paths)
    with connect(paths.work_db) as con:
        create_marts(con, ["kpi_daily"])
        insert_marts(
            con,
            "kpi_daily",
            [
                GOOD_KPI_DAILY,
                {**GOOD_KPI_DAILY, "reporting_date": FINAL, "fcr_eligible": 91, "fcr_resolved": 70},
            ],
        )
    return stopped_run(paths, validate_marts, published)


@pytest.mark.parametrize("column", ["fcr_eligible", "fcr_resolved"])
def test_a_final_fcr_day_restated_without_late_data_stops_the_gate(restated, column):
    expectation = (
        f"expect_column_pair_values_to_be_equal({column}, published_{column}) "
        "when published_fcr_is_final == True and late_contact_rows == 0"
    )
    new, old = {"fcr_eligible": (91, 90), "fcr_resolved": (70, 72)}[column]
    gone = {"fcr_eligible": 50, "fcr_resolved": 40}[column]
    check(
        restated,
        "marts.kpi_daily",
        expectation,
        f"2 unexpected of 2 rows (100.00%): (null, {gone}) x1, ({new}, {old}) x1",
        [
            f"reporting_date={VANISHED}: {column}=null, published_{column}={gone}",
            f"reporting_date={FINAL}: {column}={new}, published_{column}={old}",
        ],
    )


def test_a_mart_dbt_did_not_build_stops_the_gate(tmp_path):
    paths = Paths(tmp_path / "home").ensure()
    published = stand_in_publication(paths)
    give_manifest(paths)

    stopped = stopped_run(paths, validate_marts, published)

    assert stopped.failures == {
        (
            "marts.kpi_daily",
            f"expect_column_pair_values_to_be_equal({c}, published_{c}) "
            "when published_fcr_is_final == True and late_contact_rows == 0",
        ): {
            "observed": "error: name 'published_fcr_is_final' is not defined",
            "context": [],
            "rows": [],
        }
        for c in ("fcr_eligible", "fcr_resolved")
    }
    assert "on marts.kpi_daily (missing)" in str(stopped.error)
    assert stopped.published_after == published


# --------------------------------------------------------------------------- clean runs


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Paths, str]:
    """A clean date through ingest, and clean marts with a final day restated because late
    data arrived for it, another final day unchanged and a provisional day changed."""
    paths = new_home(tmp_path_factory, "clean")
    late_day, kept_day, open_day = days_before(12), days_before(17), days_before(2)
    published = stand_in_publication(
        paths,
        [
            {**GOOD_KPI_DAILY, "reporting_date": late_day, "fcr_is_final": True},
            {**GOOD_KPI_DAILY, "reporting_date": kept_day, "fcr_is_final": True},
            {**GOOD_KPI_DAILY, "reporting_date": open_day},
        ],
    )
    write_csv(paths, "calls", DAY, "a.csv", [leg(), leg(leg_seq="2", agent_id="A3")])
    write_csv(
        paths,
        "calls",
        DAY,
        "b.csv",
        [
            leg(
                call_id="C2",
                answered_at="",
                reason_code="",
                wrap_seconds="0",
                disposition="abandoned",
            )
        ],
    )
    write_csv(paths, "tickets", DAY, "a.csv", [ticket(), ticket(updated_at="2026-11-03T13:00:00Z")])
    write_csv(
        paths,
        "surveys",
        DAY,
        "a.csv",
        [
            survey(),
            survey(response_id="R2", survey_type="nps", score="9", scale_min="0", scale_max="10"),
        ],
    )
    ingest_date(paths, DAY)
    # A late leg of a call that started on late_day + 3: it may change late_day's FCR.
    insert_raw(
        paths,
        "calls",
        [
            {
                "call_id": "LATE",
                "started_at": ts(9, day=days_before(9)),
                "answered_at": None,
                "ended_at": ts(9, 5, day=days_before(9)),
                "wrap_seconds": 0,
                "reason_code": None,
            }
        ],
        source=f"calls/{DAY}/late.csv",
    )
    build_late_data(paths)
    with connect(paths.work_db) as con:
        create_marts(con, ["kpi_daily"])
        insert_marts(con, "kpi_daily", [GOOD_KPI_DAILY])
        insert_marts(
            con,
            "kpi_daily",
            [
                {
                    **GOOD_KPI_DAILY,
                    "reporting_date": late_day,
                    "fcr_resolved": 60,
                    "fcr_is_final": True,
                },
                {**GOOD_KPI_DAILY, "reporting_date": kept_day, "fcr_is_final": True},
                {**GOOD_KPI_DAILY, "reporting_date": open_day, "fcr_resolved": 10},
            ],
        )
    return paths, published


def test_a_clean_load_passes_every_suite_and_keeps_every_result(clean):
    paths, published = clean
    feeds = validate_feeds(paths, DAY, run_id="clean")
    marts = validate_marts(paths, DAY, run_id="clean")

    assert [s.suite for s in feeds.suites + marts.suites] == SUITES
    assert feeds.success and marts.success
    assert sha256(paths.published_db) == published
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        history = con.execute(
            "select suite, count(*), bool_and(success), count(distinct expectation) "
            "from audit.validation_results where run_id = 'clean' group by 1 order by 1"
        ).fetchall()
        share = con.execute(
            "select observed, observed_value::varchar, parameters::varchar "
            "from audit.validation_results where run_id = 'clean' and suite = 'calls' "
            "and expectation = 'expect_table_row_count_to_be_between($min_rows_loaded)'"
        ).fetchall()
    assert history == sorted(
        (s, n, True, n) for s in SUITES for n in [len(load_suite(s)["expectations"])]
    )
    assert share == [("4 rows", "4", '{"min_rows_loaded": 4}')]
    index = paths.gx_dir / "uncommitted/data_docs/local_site/index.html"
    assert feeds.docs == marts.docs == str(index)
    for suite in feeds.suites + marts.suites:
        folder = f"validations/{suite.suite.replace('.', '/')}/clean/"  # GX nests dotted names
        page = Path(suite.docs_page)
        assert page.is_file() and page.is_relative_to(index.parent / folder)
        assert folder in index.read_text()
