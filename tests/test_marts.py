"""The marts end to end: a small hand-built multi-day fixture through the daily load.

Four load dates, each with a calls, a tickets and a surveys file in its landing folder:

    D0 2026-10-26  D1 2026-11-02 (Mon)  D2 2026-11-03  D3 2026-11-10

run one after another, each with as_of = the end of its date (the default). Every column of
kpi_daily and call_ops_daily is checked against numbers worked out by hand below; then the
incremental result is compared with a full refresh, and the last load is shown to have
rebuilt only the dates it can change.

The story (reporting time zone UTC, fcr_window_days 7):
- D0: C01 K1 billing call 10-26 09:00 (answered after 10 s, talk 300 s + wrap 20 s);
  C02 abandoned after 3 s (short); T01 K3 delivery email ticket, one-touch solved;
  R01 CSAT 5/5 on C01.
- D1: C11 K4 billing call transferred billing -> retention (answer 30 s; legs 120 s and
  300 s + 30 s wrap); C12 K5 answered at 20 s exactly, flagged resolved=false; C13
  anonymous caller (unlinked); C14 abandoned after 10 s (not short); C15 voicemail; C16
  outbound (never counted); T11 K4 billing chat ticket 6 h after C11 (a repeat in another
  channel); T12 opened from call C12 (paper trail, not a contact). Surveys R11 CSAT 6/7,
  R12 NPS 9, R13 CES 2/5.
- D2: C21 K1 billing call starting 11-02 09:00:00, exactly 7 days after C01, delivered late
  (a repeat at the window's end: C01 loses its FCR); C22 K8 tech (answer 25 s); C23
  abandoned after 4.5 s (short); T21 K8 tech ticket reopened, a repeat of C22; T12's next
  version (solved). Surveys: R21 CSAT 8 on 0-10 rating C01 (late response, counts on 11-03),
  R22 FCR survey 0, R23 CES 6/7, R24 NPS 5 on an unknown contact.
- D3: C31 K4 billing call 11-09 15:00:01, 7 days + 1 s after T11 (no repeat), delivered
  late; C32 K2 billing (answer 18 s); T31 K3 pending ticket. R31 CSAT 3/5, R32 FCR survey 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ccpipe import cli
from ccpipe.paths import Paths
from ccpipe.transform import dbt_dirs, run_dbt_build

from conftest import BI_MARTS, leg, survey, ticket, write_csv

D0, D1, D2, D3 = "2026-10-26", "2026-11-02", "2026-11-03", "2026-11-10"
DATES = [D0, D1, D2, D3]


def unanswered(**overrides) -> dict:
    """A leg nobody answered."""
    blank = {"agent_id": None, "answered_at": None, "wrap_seconds": "0", "reason_code": None}
    return leg(**{**blank, "resolved": None, **overrides})


def write_fixture(paths: Paths) -> None:
    """The landing files of the four load dates (see the module docstring)."""
    calls = {
        D0: [
            leg(
                call_id="C01",
                customer_id="K1",
                started_at="2026-10-26T09:00:00Z",
                answered_at="2026-10-26T09:00:10Z",
                ended_at="2026-10-26T09:05:10Z",
                wrap_seconds="20",
            ),
            unanswered(
                call_id="C02",
                customer_id="K2",
                started_at="2026-10-26T10:00:00Z",
                ended_at="2026-10-26T10:00:03Z",
                disposition="abandoned",
            ),
        ],
        D1: [
            leg(
                call_id="C11",
                leg_seq="1",
                customer_id="K4",
                started_at="2026-11-02T09:00:00Z",
                answered_at="2026-11-02T09:00:30Z",
                ended_at="2026-11-02T09:02:30Z",
                wrap_seconds="0",
                disposition="transferred",
                resolved=None,
            ),
            leg(
                call_id="C11",
                leg_seq="2",
                customer_id="K4",
                queue="retention",
                agent_id="A3",
                started_at="2026-11-02T09:02:30Z",
                answered_at="2026-11-02T09:02:40Z",
                ended_at="2026-11-02T09:07:40Z",
                wrap_seconds="30",
            ),
            # offsets are read as instants: 13:30+03:30 is 10:00:00Z
            leg(
                call_id="C12",
                customer_id="K5",
                started_at="2026-11-02T13:30:00+03:30",
                answered_at="2026-11-02T10:00:20Z",
                ended_at="2026-11-02T10:04:20Z",
                wrap_seconds="10",
                reason_code="Delivery ",
                resolved="false",
            ),
            leg(
                call_id="C13",
                customer_id=None,
                queue="sales",
                agent_id="A4",
                started_at="2026-11-02T11:00:00Z",
                answered_at="2026-11-02T11:00:05Z",
                ended_at="2026-11-02T11:03:05Z",
                wrap_seconds="15",
                reason_code="tech",
            ),
            unanswered(
                call_id="C14",
                customer_id="K6",
                started_at="2026-11-02T12:00:00Z",
                ended_at="2026-11-02T12:00:10Z",
                disposition="abandoned",
            ),
            unanswered(
                call_id="C15",
                customer_id="K7",
                queue="sales",
                started_at="2026-11-02T13:00:00Z",
                ended_at="2026-11-02T13:01:00Z",
                disposition="voicemail",
            ),
            leg(
                call_id="C16",
                direction="outbound",
                customer_id="K4",
                started_at="2026-11-02T14:00:00Z",
                answered_at="2026-11-02T14:00:01Z",
                ended_at="2026-11-02T14:02:00Z",
            ),
        ],
        D2: [
            leg(
                call_id="C21",
                customer_id="K1",
                started_at="2026-11-02T09:00:00Z",
                answered_at="2026-11-02T09:00:15Z",
                ended_at="2026-11-02T09:04:15Z",
                wrap_seconds="0",
            ),
            leg(
                call_id="C22",
                customer_id="K8",
                queue="tech",
                agent_id="A5",
                started_at="2026-11-03T08:00:00Z",
                answered_at="2026-11-03T08:00:25Z",
                ended_at="2026-11-03T08:10:25Z",
                wrap_seconds="35",
                reason_code="tech",
            ),
            unanswered(
                call_id="C23",
                customer_id="K9",
                queue="tech",
                started_at="2026-11-03T09:00:00Z",
                ended_at="2026-11-03T09:00:04.5Z",
                disposition="abandoned",
            ),
        ],
        D3: [
            leg(
                call_id="C31",
                customer_id="K4",
                started_at="2026-11-09T15:00:01Z",
                answered_at="2026-11-09T15:00:11Z",
                ended_at="2026-11-09T15:03:11Z",
                wrap_seconds="9",
            ),
            leg(
                call_id="C32",
                customer_id="K2",
                started_at="2026-11-10T10:00:00Z",
                answered_at="2026-11-10T10:00:18Z",
                ended_at="2026-11-10T10:02:18Z",
                wrap_seconds="12",
            ),
        ],
    }
    tickets = {
        D0: [
            ticket(
                ticket_id="T01",
                customer_id="K3",
                created_at="2026-10-26T11:00:00Z",
                first_response_at="2026-10-26T11:30:00Z",
                solved_at="2026-10-26T13:00:00Z",
                updated_at="2026-10-26T13:00:00Z",
            ),
        ],
        D1: [
            ticket(
                ticket_id="T11",
                customer_id="K4",
                channel="chat",
                category="Billing",
                created_at="2026-11-02T15:00:00Z",
                first_response_at="2026-11-02T15:10:00Z",
                solved_at="2026-11-02T16:00:00Z",
                updated_at="2026-11-02T16:00:00Z",
            ),
            ticket(
                ticket_id="T12",
                customer_id="K5",
                channel="phone",
                queue="billing",
                status="open",
                agent_id="A1",
                created_at="2026-11-02T10:05:00Z",
                first_response_at="2026-11-02T10:05:00Z",
                solved_at=None,
                updated_at="2026-11-02T10:05:00Z",
                source_call_id="C12",
            ),
        ],
        D2: [
            ticket(
                ticket_id="T12",
                customer_id="K5",
                channel="phone",
                queue="billing",
                agent_id="A1",
                created_at="2026-11-02T10:05:00Z",
                first_response_at="2026-11-02T10:05:00Z",
                solved_at="2026-11-03T09:00:00Z",
                updated_at="2026-11-03T09:00:00Z",
                source_call_id="C12",
            ),
            ticket(
                ticket_id="T21",
                customer_id="K8",
                category="tech",
                created_at="2026-11-03T12:00:00Z",
                first_response_at="2026-11-03T12:20:00Z",
                solved_at="2026-11-03T18:00:00Z",
                updated_at="2026-11-03T18:00:00Z",
                reopen_count="1",
            ),
        ],
        D3: [
            ticket(
                ticket_id="T31",
                customer_id="K3",
                channel="web",
                status="pending",
                created_at="2026-11-10T09:00:00Z",
                first_response_at="2026-11-10T09:45:00Z",
                solved_at=None,
                updated_at="2026-11-10T10:00:00Z",
            ),
        ],
    }
    surveys = {
        D0: [survey(response_id="R01", contact_id="C01", responded_at="2026-10-26T12:00:00Z")],
        D1: [
            survey(
                response_id="R11",
                contact_id="C11",
                customer_id="K4",
                responded_at="2026-11-02T10:00:00Z",
                score="6",
                scale_max="7",
            ),
            survey(
                response_id="R12",
                survey_type="nps",
                contact_id="C12",
                customer_id="K5",
                responded_at="2026-11-02T11:00:00Z",
                score="9",
                scale_min="0",
                scale_max="10",
                language="fa",
                comment="عالی بود 👍",
            ),
            survey(
                response_id="R13",
                survey_type="ces",
                contact_type="ticket",
                contact_id="T11",
                customer_id="K4",
                responded_at="2026-11-02T17:00:00Z",
                score="2",
                scale_max="5",
            ),
        ],
        D2: [
            survey(
                response_id="R21",
                contact_id="C01",
                responded_at="2026-11-03T09:30:00Z",
                score="8",
                scale_min="0",
                scale_max="10",
            ),
            survey(
                response_id="R22",
                survey_type="fcr",
                contact_id="C22",
                customer_id="K8",
                responded_at="2026-11-03T10:00:00Z",
                score="0",
                scale_min="0",
                scale_max="1",
            ),
            survey(
                response_id="R23",
                survey_type="ces",
                contact_id="C22",
                customer_id="K8",
                responded_at="2026-11-03T10:05:00Z",
                score="6",
                scale_max="7",
            ),
            survey(
                response_id="R24",
                survey_type="nps",
                contact_id="C999",
                customer_id=None,
                responded_at="2026-11-03T11:00:00Z",
                score="5",
                scale_min="0",
                scale_max="10",
            ),
        ],
        D3: [
            survey(
                response_id="R31",
                contact_id="C32",
                customer_id="K2",
                responded_at="2026-11-10T11:00:00Z",
                score="3",
            ),
            survey(
                response_id="R32",
                survey_type="fcr",
                contact_id="C32",
                customer_id="K2",
                responded_at="2026-11-10T11:05:00Z",
                score="1",
                scale_min="0",
                scale_max="1",
            ),
        ],
    }
    for feed, by_date in (("calls", calls), ("tickets", tickets), ("surveys", surveys)):
        for day, rows in by_date.items():
            write_csv(paths, feed, day, f"{feed}_{day}.csv", rows)


def end_of(day: str) -> datetime:
    """The default as_of of a date's run: the instant its day ends."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)


def run_load(paths: Paths, day: str) -> None:
    """`ccpipe run --date D`: ingest, quality gate, dbt build, marts gate, publish.

    as_of defaults to the end of the date (the dates run in order)."""
    assert cli.main(["--home", str(paths.home), "run", "--date", day]) == 0


def read_marts(paths: Paths) -> dict[str, list[dict]]:
    """Every mart, rows as dicts sorted by all columns (the working warehouse, read-only)."""
    con = duckdb.connect(str(paths.work_db), read_only=True)
    try:
        tables = {}
        for table in BI_MARTS:
            cursor = con.execute(f"select * from marts.{table} order by all")
            names = [d[0] for d in cursor.description]
            tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return tables
    finally:
        con.close()


def query(paths: Paths, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.work_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@contextmanager
def hand_built_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Paths]:
    """A fresh CCPIPE_HOME for a module's hand-built loads."""
    home = tmp_path_factory.mktemp(name) / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCPIPE_HOME", str(home))
        # The hand-built days differ in size on purpose (2 to 7 legs): widen the row-count
        # trend band of the feed gate, which has its own tests.
        patch.setenv("CCPIPE_ROW_COUNT_MIN_RATIO", "0")
        patch.setenv("CCPIPE_ROW_COUNT_MAX_RATIO", "100")
        yield Paths.from_env().ensure()


def rebuilt_dates(paths: Paths) -> list[str]:
    """The reporting dates the last build rebuilt."""
    sql = "select reporting_date from intermediate.int_reporting_dates_rebuilt order by 1"
    return [str(d) for (d,) in query(paths, sql)]


@dataclass
class Loaded:
    paths: Paths
    before_last_load: dict[str, list[dict]]
    rebuilt_by_last_load: list[str]
    incremental: dict[str, list[dict]]
    full_refresh: dict[str, list[dict]]
    full_refresh_out_of_date_order: dict[str, int]
    last_load_parse: list[str]
    last_load_test_filters: set[str]


# The row-grained tables and the date their daily loads filter on (full_build_order).
DATE_ORDERED = {
    "marts.fct_contacts": "reporting_date",
    "marts.fct_survey_responses": "reporting_date",
    "intermediate.int_calls_rolled_up": "reporting_date",
    "intermediate.int_tickets_latest": "created_date",
    "intermediate.int_surveys_normalised": "reporting_date",
    "intermediate.int_surveys_attributed": "reporting_date",
}


def dbt_log(paths: Paths) -> Path:
    return dbt_dirs(paths)["logs"] / "dbt.log"


def dbt_log_size(paths: Paths) -> int:
    return dbt_log(paths).stat().st_size if dbt_log(paths).exists() else 0


def parse_lines(paths: Paths, since: int) -> list[str]:
    """dbt's log lines on how it parsed the project, after byte `since` of dbt.log."""
    with dbt_log(paths).open(encoding="utf-8") as log:
        log.seek(since)
        return [line.split("]: ", 1)[-1].strip() for line in log if "partial pars" in line.lower()]


def load_date_filters(paths: Paths) -> set[str]:
    """The load_date filters in the SQL of the nodes the last build ran, its data tests' and
    its models' (every node runs in each build, so none of these files is an older build's)."""
    filters = set()
    for test_sql in (dbt_dirs(paths)["target"] / "run").rglob("*.sql"):
        filters |= set(re.findall(r"load_date = cast\('[^']*' as date\)", test_sql.read_text()))
    return filters


def rows_out_of_date_order(paths: Paths) -> dict[str, int]:
    """Per table, the rows stored (rowid order) right after a row of a later date."""
    return {
        table: query(
            paths,
            f"select count(*) from (select {column} < lag({column}) over (order by rowid) "
            f"as is_back from {table}) where is_back",
        )[0][0]
        for table, column in DATE_ORDERED.items()
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    with hand_built_home(tmp_path_factory, "marts") as paths:
        write_fixture(paths)
        for day in DATES[:-1]:
            run_load(paths, day)
        before = read_marts(paths)
        log_size = dbt_log_size(paths)
        run_load(paths, DATES[-1])
        parsed, filters = parse_lines(paths, log_size), load_date_filters(paths)
        rebuilt = rebuilt_dates(paths)
        incremental = read_marts(paths)
        run_dbt_build(paths, None, as_of=end_of(D3), full_refresh=True)
        out_of_order = rows_out_of_date_order(paths)
        yield Loaded(
            paths, before, rebuilt, incremental, read_marts(paths), out_of_order, parsed, filters
        )


def rows_by(table: list[dict], *keys: str) -> dict:
    return {tuple(str(row[k]) for k in keys): row for row in table}


def assert_row(actual: dict, expected: dict) -> None:
    """Every column of the row, exactly (floats to 1e-12: they are hand-computed decimals)."""
    assert set(actual) == set(expected), set(actual) ^ set(expected)
    for column, value in expected.items():
        got = actual[column]
        if isinstance(value, float) and got is not None:
            assert math.isclose(got, value, rel_tol=1e-12, abs_tol=1e-12), (column, got, value)
        else:
            assert got == value, (column, got, value)


# Wilson 95% interval, z = 1.96, z^2 = 3.8416:
#   centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
# 1 of 2: centre = (0.5 + 0.9604) / 2.9208 = 0.5
#         half = 1.96 x sqrt(0.125 + 0.2401) / 2.9208 = 1.96 x 0.6042351 / 2.9208 = 0.4054713
WILSON_1_OF_2 = (0.09452865480086611, 0.905471345199134)
# 2 of 4: centre = (0.5 + 0.4802) / 1.9604 = 0.5
#         half = 1.96 x sqrt(0.0625 + 0.060025) / 1.9604 = 1.96 x 0.3500357 / 1.9604 = 0.3499643
WILSON_2_OF_4 = (0.15003570882017145, 0.8499642911798285)
# 0 of 2: centre = half = 0.9604 / 2.9208 = 0.3288140 -> [0, 0.6576280]
WILSON_0_OF_2 = (0.0, 0.6576280471103807)
# 1 of 1: centre = (1 + 1.9208) / 4.8416 = 0.6032717, half = 1.96 x 0.98 / 4.8416 = 0.3967283
WILSON_1_OF_1 = (0.20654329147389294, 1.0)
# 0 of 1: centre = half = 1.9208 / 4.8416 = 0.3967283 -> [0, 0.7934566]
WILSON_0_OF_1 = (0.0, 0.7934567085261071)

NO_SURVEY_FCR = {"fcr_survey_responses": 0, "fcr_survey_rate": None}
NO_CSAT = {
    "csat_responses": 0,
    "csat_satisfied": 0,
    "csat_pct": None,
    "csat_ci_low": None,
    "csat_ci_high": None,
    "csat_score_pct": None,
}
NO_NPS = {
    "nps_responses": 0,
    "nps_promoters": 0,
    "nps_detractors": 0,
    "nps": None,
    "nps_margin": None,
}
NO_CES = {"ces_responses": 0, "ces_mean_7pt": None, "ces_net": None}


def fcr(eligible, resolved, unlinked, handled, wilson, final) -> dict:
    rate = resolved / eligible
    return {
        "contacts_handled": handled,
        "fcr_eligible": eligible,
        "fcr_resolved": resolved,
        "fcr_unlinked_contacts": unlinked,
        "fcr_rate": rate,
        "fcr_ci_low": wilson[0],
        "fcr_ci_high": wilson[1],
        "fcr_target": 0.8,
        "fcr_meets_target": rate >= 0.8,
        "fcr_is_final": final,
    }


EXPECTED_KPI_DAILY = {
    # 10-26 (last rebuilt by D2, as_of 11-04 00:00): C01 and T01 handled, both K-linked.
    #   C01 has a repeat: C21 (K1, billing) starts 11-02 09:00:00 = 10-26 09:00 + 7 days
    #   exactly (inside the window) -> not resolved. T01 one-touch solved, no repeat -> resolved.
    #   fcr_rate = 1/2. Final: latest window end 10-26 11:00 + 7 d = 11-02 11:00 <= 11-04.
    #   R01 CSAT 5 on 1-5: satisfied, 1/1; csat_score_pct = 5 / 5 x 100 = 100.
    "2026-10-26": {
        "reporting_date": "2026-10-26",
        **fcr(eligible=2, resolved=1, unlinked=0, handled=2, wilson=WILSON_1_OF_2, final=True),
        **NO_SURVEY_FCR,
        "csat_responses": 1,
        "csat_satisfied": 1,
        "csat_pct": 1.0,
        "csat_ci_low": WILSON_1_OF_1[0],
        "csat_ci_high": WILSON_1_OF_1[1],
        "csat_score_pct": 100.0,
        **NO_NPS,
        **NO_CES,
    },
    # 11-02 (rebuilt by D3, as_of 11-11 00:00): handled C11, C12, C13, C21, T11 = 5
    #   (C14 abandoned, C15 voicemail, C16 outbound, T12 opened from C12: not contacts).
    #   C13 anonymous -> unlinked 1, eligible 4.
    #   C11: repeat T11 (K4 billing, chat, +6 h) -> no. C12: flagged resolved=false -> no.
    #   C21: no later K1 billing contact -> yes. T11: C31 starts 7 d + 1 s later -> no
    #   repeat, one-touch solved -> yes. fcr_rate = 2/4 = 0.5.
    #   Final: latest window end T11 15:00 + 7 d = 11-09 15:00 <= 11-11 00:00.
    #   R11 CSAT 6 on 1-7: (6-1)/6 = 0.83 >= 0.75 satisfied; score_pct = 6/7 x 100.
    #   R12 NPS 9: promoter; nps = 100 x (1 - 0) / 1 = 100; margin = 196 x sqrt((1+0-1)/1) = 0.
    #   R13 CES 2 on 1-5: below midpoint 3 -> disagree; net = 100 x (0 - 1) / 1 = -100;
    #   on 1-7: 1 + 6 x (2-1)/4 = 2.5.
    "2026-11-02": {
        "reporting_date": "2026-11-02",
        **fcr(eligible=4, resolved=2, unlinked=1, handled=5, wilson=WILSON_2_OF_4, final=True),
        **NO_SURVEY_FCR,
        "csat_responses": 1,
        "csat_satisfied": 1,
        "csat_pct": 1.0,
        "csat_ci_low": WILSON_1_OF_1[0],
        "csat_ci_high": WILSON_1_OF_1[1],
        "csat_score_pct": 600 / 7,  # 85.714285714...
        "nps_responses": 1,
        "nps_promoters": 1,
        "nps_detractors": 0,
        "nps": 100.0,
        "nps_margin": 0.0,
        "ces_responses": 1,
        "ces_mean_7pt": 2.5,
        "ces_net": -100.0,
    },
    # 11-03 (rebuilt by D3): handled C22 and T21 (C23 abandoned; T12's new version is still
    #   a call's paper trail). C22: repeat T21 (K8 tech, +4 h) -> no. T21: reopened -> no.
    #   fcr_rate = 0/2. Final: T21 12:00 + 7 d = 11-10 12:00 <= 11-11.
    #   R21 CSAT 8 on 0-10 (rates C01 of 10-26, counts on its response date): 0.8 -> satisfied;
    #   score_pct = 8/10 x 100 = 80. R22 FCR survey 0 -> 0/1. R23 CES 6 on 1-7: agree, 7pt 6,
    #   net 100. R24 NPS 5 on an unknown contact still counts: detractor, nps = -100,
    #   margin = 196 x sqrt((0 + 1 - 1) / 1) = 0.
    "2026-11-03": {
        "reporting_date": "2026-11-03",
        **fcr(eligible=2, resolved=0, unlinked=0, handled=2, wilson=WILSON_0_OF_2, final=True),
        "fcr_survey_responses": 1,
        "fcr_survey_rate": 0.0,
        "csat_responses": 1,
        "csat_satisfied": 1,
        "csat_pct": 1.0,
        "csat_ci_low": WILSON_1_OF_1[0],
        "csat_ci_high": WILSON_1_OF_1[1],
        "csat_score_pct": 80.0,
        "nps_responses": 1,
        "nps_promoters": 0,
        "nps_detractors": 1,
        "nps": -100.0,
        "nps_margin": 0.0,
        "ces_responses": 1,
        "ces_mean_7pt": 6.0,
        "ces_net": 100.0,
    },
    # 11-09 (D3, delivered late): C31 K4 billing, resolved, no later contact -> 1/1, meets
    #   target. Provisional: 11-09 15:00:01 + 7 d = 11-16 > as_of 11-11. No surveys.
    "2026-11-09": {
        "reporting_date": "2026-11-09",
        **fcr(eligible=1, resolved=1, unlinked=0, handled=1, wilson=WILSON_1_OF_1, final=False),
        **NO_SURVEY_FCR,
        **NO_CSAT,
        **NO_NPS,
        **NO_CES,
    },
    # 11-10 (D3): C32 resolved; T31 pending -> marked unresolved. 1/2, provisional.
    #   R31 CSAT 3 on 1-5: (3-1)/4 = 0.5 -> not satisfied, 0/1; score_pct = 3/5 x 100 = 60.
    #   R32 FCR survey 1 -> 1/1.
    "2026-11-10": {
        "reporting_date": "2026-11-10",
        **fcr(eligible=2, resolved=1, unlinked=0, handled=2, wilson=WILSON_1_OF_2, final=False),
        "fcr_survey_responses": 1,
        "fcr_survey_rate": 1.0,
        "csat_responses": 1,
        "csat_satisfied": 0,
        "csat_pct": 0.0,
        "csat_ci_low": WILSON_0_OF_1[0],
        "csat_ci_high": WILSON_0_OF_1[1],
        "csat_score_pct": 60.0,
        **NO_NPS,
        **NO_CES,
    },
}


def ops(offered, handled, abandoned, short, voicemail, within_sl, transferred, asa, aht) -> dict:
    return {
        "calls_offered": offered,
        "calls_handled": handled,
        "calls_abandoned": abandoned,
        "short_abandons": short,
        "calls_voicemail": voicemail,
        "calls_within_service_level": within_sl,
        "calls_transferred": transferred,
        "abandon_rate": (abandoned - short) / (offered - short),
        "asa_seconds": asa,
        "service_level": within_sl / (offered - short),
        "aht_seconds": aht,
        "transfer_rate": transferred / handled,
    }


EXPECTED_CALL_OPS_DAILY = {
    # C01: answered 10 s after start (<= 20: within SL), handle 300 + 20 = 320.
    # C02: abandoned after 3 s < 5 -> short. abandon_rate = (1 - 1) / (2 - 1) = 0;
    # service_level = 1 / (2 - 1) = 1.
    ("2026-10-26", "billing"): ops(2, 1, 1, 1, 0, 1, 0, asa=10.0, aht=320.0),
    # Entry queue billing: C11 (answer 30 s; handle 120 + 0 + 300 + 30 = 450; transferred),
    # C12 (answer 20 s exactly: within SL; handle 240 + 10 = 250), C21 (answer 15 s; handle
    # 240), C14 abandoned after 10 s (not short). C16 is outbound: not offered.
    # abandon_rate = (1 - 0) / (4 - 0) = 0.25; service_level = 2 / 4 = 0.5;
    # asa = (30 + 20 + 15) / 3 = 21.67; aht = (450 + 250 + 240) / 3 = 313.33; transfer = 1/3.
    ("2026-11-02", "billing"): ops(4, 3, 1, 0, 0, 2, 1, asa=65 / 3, aht=940 / 3),
    # sales: C13 (answer 5 s, handle 180 + 15 = 195), C15 voicemail (offered, neither handled
    # nor abandoned). abandon_rate = 0 / 2 = 0; service_level = 1 / 2 = 0.5.
    ("2026-11-02", "sales"): ops(2, 1, 0, 0, 1, 1, 0, asa=5.0, aht=195.0),
    # tech: C22 (answer 25 s > 20; handle 600 + 35 = 635), C23 abandoned after 4.5 s (short).
    # abandon_rate = (1 - 1) / (2 - 1) = 0; service_level = 0 / (2 - 1) = 0.
    ("2026-11-03", "tech"): ops(2, 1, 1, 1, 0, 0, 0, asa=25.0, aht=635.0),
    # C31: answer 10 s, handle 180 + 9 = 189.
    ("2026-11-09", "billing"): ops(1, 1, 0, 0, 0, 1, 0, asa=10.0, aht=189.0),
    # C32: answer 18 s, handle 120 + 12 = 132.
    ("2026-11-10", "billing"): ops(1, 1, 0, 0, 0, 1, 0, asa=18.0, aht=132.0),
}


def as_text(row: dict) -> dict:
    return {k: str(v) if k in {"reporting_date", "week_start"} else v for k, v in row.items()}


def test_kpi_daily_every_column_matches_hand_computed(loaded: Loaded) -> None:
    actual = rows_by(loaded.incremental["kpi_daily"], "reporting_date")
    assert sorted(actual) == [(d,) for d in sorted(EXPECTED_KPI_DAILY)]
    for day, expected in EXPECTED_KPI_DAILY.items():
        assert_row(as_text(actual[(day,)]), expected)


def test_call_ops_daily_every_column_matches_hand_computed(loaded: Loaded) -> None:
    actual = rows_by(loaded.incremental["call_ops_daily"], "reporting_date", "queue")
    assert sorted(actual) == sorted(EXPECTED_CALL_OPS_DAILY)
    for (day, queue), expected in EXPECTED_CALL_OPS_DAILY.items():
        assert_row(
            as_text(actual[(day, queue)]), {"reporting_date": day, "queue": queue, **expected}
        )


def test_contacts_verdicts_and_survey_attribution(loaded: Loaded) -> None:
    contacts = rows_by(loaded.incremental["fct_contacts"], "contact_id")
    verdicts = {k[0]: (r["queue"], r["is_first_contact_resolved"]) for k, r in contacts.items()}
    assert verdicts == {
        "C01": ("billing", False),
        "T01": ("support", True),
        "C11": ("retention", False),
        "C12": ("billing", False),
        "C13": ("sales", None),
        "C21": ("billing", True),
        "T11": ("support", True),
        "C22": ("tech", False),
        "T21": ("support", False),
        "C31": ("billing", True),
        "C32": ("billing", True),
        "T31": ("support", False),
    }
    surveys = rows_by(loaded.incremental["fct_survey_responses"], "response_id")
    late = surveys[("R21",)]
    assert (str(late["reporting_date"]), late["agent_id"], late["queue"]) == (
        "2026-11-03",
        "A1",
        "billing",
    )
    assert surveys[("R24",)]["queue"] is None
    assert surveys[("R12",)]["comment"] == "عالی بود 👍"


def test_last_load_rebuilt_only_the_dates_it_can_change(loaded: Loaded) -> None:
    # D3 delivered contacts on 11-09 and 11-10: their dates and the 8 days before them
    # (11-01 .. 11-10) can change; maturity (as_of 11-11 - 7 - 3 days = 11-01) adds nothing
    # new. 10-26 is out of reach and must not be recomputed.
    assert loaded.rebuilt_by_last_load == [f"2026-11-{d:02d}" for d in range(1, 11)]
    for table in BI_MARTS:
        key = "week_start" if table == "agent_scorecard_weekly" else "reporting_date"
        before = [r for r in loaded.before_last_load[table] if str(r[key]) < "2026-11-01"]
        after = [r for r in loaded.incremental[table] if str(r[key]) < "2026-11-01"]
        assert after == before, table
    assert [r for r in loaded.before_last_load["kpi_daily"] if str(r["reporting_date"]) < "2026-11"]


def test_incremental_loads_equal_a_full_refresh(loaded: Loaded) -> None:
    for table in BI_MARTS:
        assert loaded.incremental[table] == loaded.full_refresh[table], table


def test_a_full_build_stores_rows_in_date_order(loaded: Loaded) -> None:
    """So DuckDB's per-row-group min/max dates let a daily load skip the rest of history."""
    assert loaded.full_refresh_out_of_date_order == dict.fromkeys(DATE_ORDERED, 0)


def test_a_daily_build_reparses_nothing_and_still_runs_on_its_own_load_date(
    loaded: Loaded,
) -> None:
    """load_date and as_of reach dbt as environment variables read only when nodes run, so
    the next date's build re-parses no file (vars that change would re-parse the whole
    project, ~3 s a day), and its data tests filter on the new load_date, not the last one's."""
    assert loaded.last_load_parse == [
        "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed.",
        "Nothing changed, skipping partial parsing.",
        "Partial parsing enabled, no changes found, skipping parsing",
    ]
    assert loaded.last_load_test_filters == {f"load_date = cast('{D3}' as date)"}


def test_rerun_of_a_date_gives_the_same_marts(loaded: Loaded) -> None:
    run_dbt_build(loaded.paths, D3, as_of=end_of(D3))
    assert read_marts(loaded.paths) == loaded.full_refresh


def test_kpis_headline_puts_fcr_first_and_flags_provisional(loaded: Loaded) -> None:
    from ccpipe.kpis import headline

    provisional = headline(loaded.paths, D3)
    lines = provisional.splitlines()
    assert lines[0] == "ccpipe KPIs for 2026-11-10  [FCR PROVISIONAL]"
    assert lines[1].startswith("source: published marts")
    assert lines[4].split()[:3] == ["FCR", "50.0%", "80%"]
    assert "BELOW TARGET; PROVISIONAL" in lines[4]
    assert "1 of 2 eligible resolved, 0 unlinked" in lines[5]
    final = headline(loaded.paths, "2026-11-02")
    assert "PROVISIONAL" not in final
    assert "BELOW TARGET; final" in final
    assert "  phone/retention: 0.0% of 1" in final
    assert headline(loaded.paths).splitlines()[0].startswith("ccpipe KPIs for 2026-11-10")


# --------------------------------------------------------------------------- regrouping
# A ticket update rebuilds the FCR window before the ticket only when it regroups it (new
# customer, category, start or contact status). Four loads, reporting time zone UTC:
#   10-29: X1 K9 billing call 09:00, resolved (no repeat yet).
#   11-01: Y1 K9 ticket "tech", created 11-01 12:00, one-touch solved 13:00: not X1's repeat.
#   11-14: Y1 recategorised "billing" (same start): now X1's repeat (11-01 12:00 <= 10-29
#          09:00 + 7 d), so X1 on 10-29 must be rebuilt although maturity (as_of 11-15 - 10 d
#          = 11-05) and the filler call (11-14 - 8 d = 11-06) do not reach it.
#   11-16: Y1 reopened, category unchanged: only its own date 11-01 is re-judged, nothing
#          before it. Each load also has a filler call and survey of customer K7. (The gaps
#          between loads are longer than fcr_maturity_lookback_days: no contact's window
#          may end inside one unless its date is rebuilt anyway.)
REGROUP_DATES = ["2026-10-29", "2026-11-01", "2026-11-14", "2026-11-16"]


def write_regrouping_fixture(paths: Paths) -> None:
    y1 = {
        "ticket_id": "Y1",
        "customer_id": "K9",
        "created_at": "2026-11-01T12:00:00Z",
        "first_response_at": "2026-11-01T12:30:00Z",
        "solved_at": "2026-11-01T13:00:00Z",
    }
    tickets = {
        "2026-10-29": [
            ticket(
                ticket_id="F0",
                customer_id="K5",
                updated_at="2026-10-29T12:00:00Z",
                created_at="2026-10-29T10:00:00Z",
                first_response_at="2026-10-29T10:30:00Z",
                solved_at="2026-10-29T12:00:00Z",
            )
        ],
        "2026-11-01": [ticket(**y1, category="tech", updated_at="2026-11-01T13:00:00Z")],
        "2026-11-14": [ticket(**y1, category="billing", updated_at="2026-11-14T10:00:00Z")],
        "2026-11-16": [
            ticket(
                **y1,
                category="billing",
                updated_at="2026-11-16T10:00:00Z",
                status="open",
                reopen_count="1",
            )
        ],
    }
    for day in REGROUP_DATES:
        calls = [
            leg(
                call_id=f"Q{day}",
                customer_id="K7",
                reason_code="sales",
                started_at=f"{day}T15:00:00Z",
                answered_at=f"{day}T15:00:10Z",
                ended_at=f"{day}T15:05:00Z",
            )
        ]
        if day == "2026-10-29":
            calls.append(
                leg(
                    call_id="X1",
                    customer_id="K9",
                    started_at="2026-10-29T09:00:00Z",
                    answered_at="2026-10-29T09:00:10Z",
                    ended_at="2026-10-29T09:05:00Z",
                )
            )
        write_csv(paths, "calls", day, f"calls_{day}.csv", calls)
        write_csv(paths, "tickets", day, f"tickets_{day}.csv", tickets[day])
        response = survey(response_id=f"S{day}", contact_id=f"Q{day}", customer_id="K7")
        write_csv(
            paths,
            "surveys",
            day,
            f"surveys_{day}.csv",
            [response | {"responded_at": f"{day}T16:00:00Z"}],
        )


@dataclass
class Regrouped:
    rebuilt: dict[str, list[str]]  # load date -> the reporting dates its build rebuilt
    verdicts: dict[str, dict[str, bool | None]]  # load date -> contact -> FCR verdict
    incremental: dict[str, list[dict]]
    full_refresh: dict[str, list[dict]]


@pytest.fixture(scope="module")
def regrouped(tmp_path_factory: pytest.TempPathFactory) -> Regrouped:
    with hand_built_home(tmp_path_factory, "regrouping") as paths:
        write_regrouping_fixture(paths)
        rebuilt, verdicts = {}, {}
        for day in REGROUP_DATES:
            run_load(paths, day)
            rebuilt[day] = rebuilt_dates(paths)
            verdicts[day] = dict(
                query(
                    paths,
                    "select contact_id, is_first_contact_resolved from marts.fct_contacts "
                    "where customer_id = 'K9'",
                )
            )
        incremental = read_marts(paths)
        run_dbt_build(paths, None, as_of=end_of(REGROUP_DATES[-1]), full_refresh=True)
        return Regrouped(rebuilt, verdicts, incremental, read_marts(paths))


def test_a_recategorised_ticket_rejudges_the_contacts_it_now_repeats(
    regrouped: Regrouped,
) -> None:
    assert regrouped.verdicts["2026-11-01"] == {"X1": True, "Y1": True}
    assert regrouped.verdicts["2026-11-14"] == {"X1": False, "Y1": True}
    # Y1 (11-01) regrouped: 10-24 .. 11-01; the filler call: 11-06 .. 11-14.
    assert regrouped.rebuilt["2026-11-14"] == [
        *(f"2026-10-{d}" for d in range(24, 32)),
        "2026-11-01",
        *(f"2026-11-{d:02d}" for d in range(6, 15)),
    ]


def test_a_ticket_update_that_keeps_its_grouping_rebuilds_only_its_own_dates(
    regrouped: Regrouped,
) -> None:
    # Y1 reopened: its created and old solved date 11-01 only; the filler call 11-08 .. 11-16
    # (maturity, as_of 11-17 - 10 d = 11-07, has contacts on 11-14 and 11-16 only).
    assert regrouped.rebuilt["2026-11-16"] == [
        "2026-11-01",
        *(f"2026-11-{d:02d}" for d in range(8, 17)),
    ]
    assert regrouped.verdicts["2026-11-16"] == {"X1": False, "Y1": False}
    for table in BI_MARTS:
        assert regrouped.incremental[table] == regrouped.full_refresh[table], table
