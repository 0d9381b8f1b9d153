"""The reporting time zone as a deployment setting: Europe/Warsaw through the environment, across
the night of 2026-03-29 when Warsaw moves from UTC+1 to UTC+2.

Every contact lands on its local date, weeks start on the local Monday, and the FCR window
stays an exact 7 x 24 hours from the contact's start whatever the clocks do:

    call  customer  started (UTC)          Warsaw local            reporting date
    A     K1        2026-03-25 12:00:00    03-25 13:00 (+01)       2026-03-25
    B     K1        2026-04-01 12:00:00    04-01 14:00 (+02)       2026-04-01  exactly 168 h
                                                                   after A: A not resolved
    C     K2        2026-03-25 12:00:00    03-25 13:00 (+01)       2026-03-25
    D     K2        2026-04-01 12:00:01    04-01 14:00:01 (+02)    2026-04-01  168 h + 1 s
                                                                   after C: C resolved
    E     K3        2026-03-28 23:30:00    03-29 00:30 (+01)       2026-03-29 (UTC: 03-28)
    G     K5        2026-03-29 01:30:00    03-29 03:30 (+02)       2026-03-29
    F     K4        2026-03-29 22:30:00    03-30 00:30 (+02)       2026-03-30 (UTC: 03-29)
    H     K6        2026-03-29 23:30:00    03-30 01:30 (+02)       2026-03-30
    T1    K7        2026-03-28 23:59:00    03-29 00:59 (+01)       2026-03-29 (ticket)
    T2    K8        2026-03-29 10:00:00    03-29 12:00 (+02)       2026-03-29 (ticket)
    T3    K9        2026-03-30 10:00:00    03-30 12:00 (+02)       2026-03-30 (ticket)

A window counted in local calendar days (03-25 13:00 to 04-01 13:00 local = 11:00 UTC) would
leave B outside it and call A resolved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest
from pipeline_runs import ccpipe

from ccpipe.paths import Paths

from conftest import leg, survey, ticket, write_csv

LOADS = ["2026-03-28", "2026-03-29", "2026-03-30"]
CALLS = {  # load date -> (call, customer, started_at)
    "2026-03-28": [
        ("A", "K1", "2026-03-25T12:00:00Z"),
        ("C", "K2", "2026-03-25T12:00:00Z"),
        ("E", "K3", "2026-03-28T23:30:00Z"),
    ],
    "2026-03-29": [("G", "K5", "2026-03-29T01:30:00Z"), ("F", "K4", "2026-03-29T22:30:00Z")],
    "2026-03-30": [
        ("H", "K6", "2026-03-29T23:30:00Z"),
        ("B", "K1", "2026-04-01T12:00:00Z"),
        ("D", "K2", "2026-04-01T12:00:01Z"),
    ],
}
TICKETS = {
    "2026-03-28": ("T1", "K7", "2026-03-28T23:59:00Z"),
    "2026-03-29": ("T2", "K8", "2026-03-29T10:00:00Z"),
    "2026-03-30": ("T3", "K9", "2026-03-30T10:00:00Z"),
}


def shifted(timestamp: str, seconds: int) -> str:
    instant = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return datetime.fromtimestamp(instant.timestamp() + seconds, UTC).isoformat()


def write_feeds(paths: Paths) -> None:
    for day, calls in CALLS.items():
        legs = [
            leg(
                call_id=call,
                customer_id=customer,
                started_at=started,
                answered_at=shifted(started, 10),
                ended_at=shifted(started, 300),
            )
            for call, customer, started in calls
        ]
        write_csv(paths, "calls", day, "calls.csv", legs)
        number, customer, created = TICKETS[day]
        version = ticket(
            ticket_id=number,
            customer_id=customer,
            category="delivery",
            created_at=created,
            first_response_at=shifted(created, 600),
            solved_at=shifted(created, 3600),
            updated_at=shifted(created, 3600),
        )
        write_csv(paths, "tickets", day, "tickets.csv", [version])
        response = survey(response_id=f"R{day}", contact_id=calls[0][0], responded_at=created)
        write_csv(paths, "surveys", day, "surveys.csv", [response])


@pytest.fixture(scope="module")
def warsaw(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("warsaw") / "home").ensure()
    write_feeds(paths)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCPIPE_REPORTING_TIMEZONE", "Europe/Warsaw")
        patch.setenv("CCPIPE_ROW_COUNT_MIN_RATIO", "0")  # the days differ in size on purpose
        patch.setenv("CCPIPE_ROW_COUNT_MAX_RATIO", "100")
        ccpipe(paths.home, "run", "--start", LOADS[0], "--end", LOADS[-1])
    return paths


def rows(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        return bi.execute(sql).fetchall()


def test_every_contact_lands_on_its_warsaw_date(warsaw: Paths) -> None:
    contacts = dict(rows(warsaw, "select contact_id, reporting_date from marts.fct_contacts"))
    expected = {
        "A": "2026-03-25", "C": "2026-03-25", "E": "2026-03-29", "G": "2026-03-29",
        "T1": "2026-03-29", "T2": "2026-03-29", "F": "2026-03-30", "H": "2026-03-30",
        "T3": "2026-03-30", "B": "2026-04-01", "D": "2026-04-01",
    }  # fmt: skip
    assert contacts == {k: date.fromisoformat(v) for k, v in expected.items()}
    handled = rows(
        warsaw, "select reporting_date::varchar, contacts_handled from marts.kpi_daily order by 1"
    )
    assert handled == [("2026-03-25", 2), ("2026-03-29", 4), ("2026-03-30", 3), ("2026-04-01", 2)]


def test_the_fcr_window_is_seven_times_24_hours_across_the_clock_change(warsaw: Paths) -> None:
    verdicts = rows(
        warsaw,
        "select contact_id, is_first_contact_resolved, repeat_contacts, "
        "date_diff('second', started_at, fcr_window_ends_at) from marts.fct_contacts "
        "where contact_id in ('A', 'C') order by 1",
    )
    assert verdicts == [("A", False, 1, 7 * 86_400), ("C", True, 0, 7 * 86_400)]


def test_weeks_start_on_the_local_monday(warsaw: Paths) -> None:
    weeks = rows(
        warsaw,
        "select week_start::varchar, contacts_handled from marts.agent_scorecard_weekly "
        "where agent_id = 'A1' order by 1",
    )
    # 03-25 (Wed) and Sunday 03-29 belong to the week of Monday 03-23; 03-30 and 04-01 to 03-30
    assert weeks == [("2026-03-23", 4), ("2026-03-30", 4)]
