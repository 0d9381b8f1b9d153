"""The story of the end-to-end marts tests: a small hand-built multi-day fixture, and how
to run its daily loads and read the marts back.

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

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ccpipe import cli
from ccpipe.paths import Paths
from ccpipe.relations import relation

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
            cursor = con.execute(f"select * from {relation(paths, table).name} order by all")
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
    rebuilt = relation(paths, "int_reporting_dates_rebuilt").name
    sql = f"select reporting_date from {rebuilt} order by 1"
    return [str(d) for (d,) in query(paths, sql)]
