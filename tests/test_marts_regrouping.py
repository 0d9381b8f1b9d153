"""Regrouping: a ticket update rebuilds the FCR window before the ticket only when it regroups
it (new customer, category, start or contact status), on a hand-built story of four loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from marts_story import end_of, hand_built_home, query, read_marts, rebuilt_dates, run_load

from ccpipe.paths import Paths
from ccpipe.relations import relation
from ccpipe.transform import run_dbt_build

from conftest import BI_MARTS, leg, survey, ticket, write_csv

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
                    "select contact_id, is_first_contact_resolved "
                    f"from {relation(paths, 'fct_contacts').name} "
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
