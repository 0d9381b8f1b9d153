"""The marts end to end: the hand-built story (marts_story.py) through four daily loads. Every
column of kpi_daily and call_ops_daily is checked against numbers worked out by hand below;
then the incremental result is compared with a full refresh, and the last load is shown to
have rebuilt only the dates it can change, parsed nothing and run on its own load date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from marts_story import (
    D3,
    DATES,
    end_of,
    hand_built_home,
    query,
    read_marts,
    rebuilt_dates,
    run_load,
    write_fixture,
)

from ccpipe.paths import Paths
from ccpipe.relations import relation
from ccpipe.transform import dbt_dirs, run_dbt_build

from conftest import BI_MARTS


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
    "fct_contacts": "reporting_date",
    "fct_survey_responses": "reporting_date",
    "int_calls_rolled_up": "reporting_date",
    "int_tickets_latest": "created_date",
    "int_surveys_normalised": "reporting_date",
    "int_surveys_attributed": "reporting_date",
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
        model: query(
            paths,
            f"select count(*) from (select {column} < lag({column}) over (order by rowid) "
            f"as is_back from {relation(paths, model).name}) where is_back",
        )[0][0]
        for model, column in DATE_ORDERED.items()
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


def fcr(eligible, resolved, unlinked, handled, wilson, final, loaded=True) -> dict:
    rate = resolved / eligible
    return {
        "is_date_loaded": loaded,
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
    #   target. Provisional: 11-09 15:00:01 + 7 d = 11-16 > as_of 11-11, and 11-09's own
    #   feeds were never loaded (a partial day). No surveys.
    "2026-11-09": {
        "reporting_date": "2026-11-09",
        **fcr(
            eligible=1,
            resolved=1,
            unlinked=0,
            handled=1,
            wilson=WILSON_1_OF_1,
            final=False,
            loaded=False,
        ),
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


def ops(
    offered, handled, abandoned, short, voicemail, within_sl, transferred, asa, aht, loaded=True
) -> dict:
    return {
        "is_date_loaded": loaded,
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
    ("2026-11-09", "billing"): ops(1, 1, 0, 0, 0, 1, 0, asa=10.0, aht=189.0, loaded=False),
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
    # 11-09 holds only C31, delivered late by 11-10's feeds: a partial day, never the default
    partial = headline(loaded.paths, "2026-11-09").splitlines()
    assert partial[0] == "ccpipe KPIs for 2026-11-09  [PARTIAL DAY: feeds not loaded]"
    assert "PARTIAL DAY: its own feeds were not loaded" in partial[4]
