"""The marts' invariants are dbt data tests (dbt_project/models/marts/_marts__models.yml): every
grain key unique and not null, every rate in its range, fcr_resolved <= fcr_eligible <=
contacts_handled. Each checks only the rows on the dates (weeks) the load rebuilt.

For every invariant a hand-built row breaks it in a real working warehouse (mart tables with
their contract's columns, filled by hand, beside a hand-made int_reporting_dates_rebuilt);
a real `dbt test` then fails exactly that test node, and only it. Each bad row also has a
copy on a date the load did not rebuild: a daily load's test never sees it, a build without
a load date does. Clean marts pass every test.

Also int_reporting_dates_late_data, the late rows the marts gate weighs a restated final day
against, on hand-made raw rows with numbers worked out by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from gate_helpers import KPI, MART_COLUMNS, insert_raw

from ccpipe.paths import Paths
from ccpipe.relations import relation
from ccpipe.transform import TransformError, invoke_dbt
from ccpipe.transform.dbt import raise_for_result
from ccpipe.warehouse import connect, ensure_raw_schema

from conftest import give_manifest

DAY = "2026-11-03"  # the load date
WEEK = "2026-11-02"  # its week (Monday)
REBUILT_DAYS = 120  # the hand-made load rebuilt DAY and the 119 dates before it
OUTSIDE_DAYS = 365  # a copy of each bad row this many days earlier: not rebuilt


def day(offset: int) -> str:
    return (date.fromisoformat(DAY) + timedelta(days=offset)).isoformat()


# --------------------------------------------------------------------------- the invariants

GRAIN = {
    "kpi_daily": ("reporting_date",),
    "kpi_daily_by_queue": ("reporting_date", "channel", "queue"),
    "call_ops_daily": ("reporting_date", "queue"),
    "ticket_ops_daily": ("reporting_date", "channel"),
    "ces_daily": ("reporting_date", "scale_max"),
    "agent_scorecard_weekly": ("week_start", "agent_id"),
    "fcr_target_breaches": ("reporting_date", "channel", "queue"),
    "fct_contacts": ("contact_type", "contact_id"),
    "fct_survey_responses": ("response_id",),
}
RATE, SCORE, PERCENT = (0, 1), (-100, 100), (0, 100)
KPI_RANGES = {
    "fcr_rate": RATE,
    "fcr_ci_low": RATE,
    "fcr_ci_high": RATE,
    "fcr_target": RATE,
    "fcr_survey_rate": RATE,
    "csat_pct": RATE,
    "csat_ci_low": RATE,
    "csat_ci_high": RATE,
    "csat_score_pct": PERCENT,
    "nps": SCORE,
    "ces_net": SCORE,
}
RANGES = {
    "kpi_daily": KPI_RANGES,
    "kpi_daily_by_queue": KPI_RANGES,
    "call_ops_daily": {"abandon_rate": RATE, "service_level": RATE, "transfer_rate": RATE},
    "ces_daily": {"ces_net": SCORE},
    "agent_scorecard_weekly": {"fcr_rate": RATE, "csat_pct": RATE, "nps": SCORE},
    "fcr_target_breaches": {
        "fcr_rate": RATE,
        "fcr_target": RATE,
        "fcr_ci_low": RATE,
        "fcr_ci_high": RATE,
    },
    "fct_survey_responses": {"score_fraction": RATE},
}
FCR_COUNTS = [("fcr_resolved", "fcr_eligible"), ("fcr_eligible", "contacts_handled")]
ORDERINGS = {
    "kpi_daily": FCR_COUNTS,
    "kpi_daily_by_queue": FCR_COUNTS,
    "agent_scorecard_weekly": FCR_COUNTS,
    "fcr_target_breaches": FCR_COUNTS[:1],
}


@dataclass(frozen=True)
class Invariant:
    mart: str
    test: str  # the generic test: unique, not_null, accepted_range, not_greater_than
    columns: tuple[str, ...]
    bounds: tuple[int, int] | None = None

    @property
    def id(self) -> str:
        return "-".join([self.mart, self.test, *self.columns])

    def __str__(self) -> str:
        bounds = f" in [{self.bounds[0]}, {self.bounds[1]}]" if self.bounds else ""
        return f"{self.mart}: {self.test}({', '.join(self.columns)}){bounds}"

    @property
    def on_the_load_filter(self) -> bool:
        """not_null on the column a daily load's filter reads: a null date is on no rebuilt
        date, so only a build without a load date can see it (and the contract's not null
        constraint keeps such a row out of any mart dbt builds)."""
        return self.test == "not_null" and self.columns[0] in {"reporting_date", "week_start"}


def invariants() -> list[Invariant]:
    found = []
    for mart, grain in GRAIN.items():
        found.append(Invariant(mart, "unique", grain))
        found += [Invariant(mart, "not_null", (column,)) for column in grain]
        found += [
            Invariant(mart, "accepted_range", (column,), bounds)
            for column, bounds in RANGES.get(mart, {}).items()
        ]
        found += [Invariant(mart, "not_greater_than", pair) for pair in ORDERINGS.get(mart, [])]
    return found


INVARIANTS = invariants()


def invariant_of(node: Any) -> Invariant:
    """The invariant a dbt test node checks, from its generic test and arguments."""
    mart = node.attached_node.split(".")[-1]
    kwargs = node.test_metadata.kwargs
    name = node.test_metadata.name
    if name == "unique_combination":
        return Invariant(mart, "unique", tuple(kwargs["combination"]))
    if name in ("unique", "not_null"):
        return Invariant(mart, name, (node.column_name,))
    if name == "accepted_range":
        bounds = (int(kwargs["min_value"]), int(kwargs["max_value"]))
        return Invariant(mart, name, (node.column_name,), bounds)
    if name == "not_greater_than":
        return Invariant(mart, name, (node.column_name, kwargs["other_column"]))
    raise AssertionError(f"a mart test no invariant names: {node.unique_id}")


# --------------------------------------------------------------------------- hand-made marts

GOOD_MART = {
    "kpi_daily": {"reporting_date": DAY, **KPI},
    "kpi_daily_by_queue": {"reporting_date": DAY, "channel": "phone", "queue": "billing", **KPI},
    "call_ops_daily": {
        "reporting_date": DAY,
        "queue": "billing",
        "abandon_rate": 0.05,
        "service_level": 0.8,
        "transfer_rate": 0.1,
    },
    "ticket_ops_daily": {"reporting_date": DAY, "channel": "email"},
    "ces_daily": {"reporting_date": DAY, "scale_max": 7, "ces_net": 20.0},
    "agent_scorecard_weekly": {
        "week_start": WEEK,
        "agent_id": "A1",
        "contacts_handled": 50,
        "fcr_eligible": 40,
        "fcr_resolved": 30,
        "fcr_rate": 0.75,
        "csat_pct": 0.9,
        "nps": 10.0,
    },
    "fcr_target_breaches": {
        "reporting_date": DAY,
        "channel": "phone",
        "queue": "billing",
        "fcr_eligible": 90,
        "fcr_resolved": 60,
        "fcr_rate": 0.67,
        "fcr_target": 0.8,
        "fcr_ci_low": 0.56,
        "fcr_ci_high": 0.76,
    },
    "fct_contacts": {"contact_type": "call", "contact_id": "C0", "reporting_date": DAY},
    "fct_survey_responses": {"response_id": "R0", "score_fraction": 1.0, "reporting_date": DAY},
}


def shifted(mart: str, row: dict, k: int) -> dict:
    """The row on its own grain key number k (an earlier rebuilt date or week, or an id)."""
    first = GRAIN[mart][0]
    if first == "reporting_date":
        return {**row, first: day(-k)}
    if first == "week_start":
        return {**row, first: (date.fromisoformat(WEEK) - timedelta(weeks=k)).isoformat()}
    return {**row, first: f"{row[first]}_{k}"}


def outside(mart: str, row: dict) -> dict:
    """The row's copy on a date the load did not rebuild (a year earlier), on its own key."""
    moved = dict(row)
    for column in ("reporting_date", "week_start"):
        if moved.get(column) is not None:
            days = OUTSIDE_DAYS if column == "reporting_date" else 7 * (OUTSIDE_DAYS // 7)
            moved[column] = (date.fromisoformat(moved[column]) - timedelta(days=days)).isoformat()
    if mart.startswith("fct_"):
        key = GRAIN[mart][-1]
        moved[key] = None if row[key] is None else f"{row[key]}_outside"
    return moved


def breaking_row(invariant: Invariant, k: int) -> dict | None:
    """A row on grain key k breaking the invariant and nothing else; none for uniqueness
    (broken by a second copy of the good row)."""
    good = GOOD_MART[invariant.mart]
    column = invariant.columns[0]
    if invariant.test == "unique":
        return None
    if invariant.test == "not_null":
        return {**shifted(invariant.mart, good, k), column: None}
    if invariant.test == "accepted_range":
        return shifted(invariant.mart, {**good, column: invariant.bounds[1] + 0.5}, k)
    other = invariant.columns[1]
    return shifted(invariant.mart, {**good, column: good[other] + 1}, k)


def mart_rows(mart: str, broken: bool) -> list[dict]:
    """The good row (twice when broken), one breaking row per invariant of the mart, and a
    copy of each on a date the load did not rebuild."""
    rows = [GOOD_MART[mart]]
    if broken:
        rows.append(GOOD_MART[mart])
        mart_invariants = [i for i in INVARIANTS if i.mart == mart]
        rows += [breaking_row(i, k) for k, i in enumerate(mart_invariants, start=1)]
    return [row for row in rows if row is not None] + [
        outside(mart, row) for row in rows if row is not None
    ]


def week_of(day_text: str) -> str:
    monday = date.fromisoformat(day_text)
    return (monday - timedelta(days=monday.weekday())).isoformat()


def hand_made_warehouse(paths: Paths, broken: bool) -> None:
    """Marts with their contract's columns (no constraints, so a null key can be stored) and
    the dates the hand-made load rebuilt, where dbt's manifest says they live."""
    give_manifest(paths)
    rebuilt_dates = relation(paths, "int_reporting_dates_rebuilt")
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        for mart, columns in MART_COLUMNS.items():
            table = relation(paths, mart)
            con.execute(f"create schema if not exists {table.schema}")
            con.execute(f"create table {table.name} ({', '.join(f'{c} {t}' for c, t in columns)})")
            for row in mart_rows(mart, broken):
                names = ", ".join(row)
                con.execute(
                    f"insert into {table.name} ({names}) values ({', '.join('?' * len(row))})",
                    list(row.values()),
                )
        con.execute(f"create schema {rebuilt_dates.schema}")
        con.execute(f"create table {rebuilt_dates.name} (reporting_date date, week_start date)")
        rebuilt = [day(-n) for n in range(REBUILT_DAYS)]
        con.executemany(
            f"insert into {rebuilt_dates.name} values (?, ?)",
            [(d, week_of(d)) for d in rebuilt],
        )


@dataclass
class TestRun:
    results: dict[Invariant, tuple[str, int]]  # invariant -> (status, failing rows)
    compiled: dict[Invariant, str]  # invariant -> the SQL dbt ran
    error: TransformError | None  # what a build failing these tests raises

    @property
    def failing(self) -> set[Invariant]:
        return {i for i, (status, _) in self.results.items() if status != "pass"}


def mart_tests(paths: Paths, load_date: str | None) -> TestRun:
    """`dbt test` of the marts' data tests, as a daily load (load_date) or a full build."""
    run_values = {"load_date": load_date, "as_of": datetime(2026, 11, 4, tzinfo=UTC).isoformat()}
    args = ["test", "--select", "path:dbt_project/models/marts"]
    result = invoke_dbt(paths, [*args, "--exclude-resource-type", "unit_test"], run_values)
    assert result.exception is None, result.exception
    results, compiled = {}, {}
    for node_result in result.result.results:
        invariant = invariant_of(node_result.node)
        assert invariant not in results, f"two tests check {invariant}"
        status = str(getattr(node_result.status, "value", node_result.status))
        results[invariant] = (status, node_result.failures or 0)
        compiled[invariant] = node_result.node.compiled_code
    try:
        raise_for_result(result, "dbt test", paths)
        error = None
    except TransformError as raised:
        error = raised
    return TestRun(results, compiled, error)


@dataclass
class Warehouse:
    daily: TestRun
    full: TestRun


def tested_warehouse(tmp_path_factory: pytest.TempPathFactory, broken: bool) -> Warehouse:
    name = "broken_marts" if broken else "clean_marts"
    paths = Paths(tmp_path_factory.mktemp(name).resolve() / "home").ensure()
    hand_made_warehouse(paths, broken)
    return Warehouse(mart_tests(paths, DAY), mart_tests(paths, None))


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return tested_warehouse(tmp_path_factory, broken=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return tested_warehouse(tmp_path_factory, broken=False)


# --------------------------------------------------------------------------- the checks


def test_each_invariant_is_exactly_one_mart_data_test(clean: Warehouse) -> None:
    assert sorted(map(str, clean.daily.results)) == sorted(map(str, INVARIANTS))


@pytest.mark.parametrize("invariant", INVARIANTS, ids=[i.id for i in INVARIANTS])
def test_a_row_breaking_an_invariant_fails_its_data_test(
    broken: Warehouse, invariant: Invariant
) -> None:
    if invariant.on_the_load_filter:
        assert broken.daily.results[invariant] == ("pass", 0)
        assert broken.full.results[invariant][0] == "fail"
    else:
        # the bad row on a rebuilt date fails it; its copy on another date is not read
        assert broken.daily.results[invariant] == ("fail", 1)


def test_a_bad_row_fails_no_other_test(broken: Warehouse) -> None:
    expected = {i for i in INVARIANTS if not i.on_the_load_filter}
    assert sorted(map(str, broken.daily.failing)) == sorted(map(str, expected))
    assert sorted(map(str, broken.full.failing)) == sorted(map(str, INVARIANTS))


def shown(value: Any) -> str:
    """A value as the failure shows it (dates as text, strings quoted)."""
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) and not DATE_TEXT.fullmatch(value) else str(value)


DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def failing_row_text(invariant: Invariant) -> str:
    """What the build's error shows of the row breaking the invariant on a rebuilt date: its
    grain key and the columns the test judges (a uniqueness test: the key it found twice)."""
    mart_invariants = [i for i in INVARIANTS if i.mart == invariant.mart]
    good = GOOD_MART[invariant.mart]
    if invariant.test == "unique" and len(invariant.columns) == 1:
        return f"unique_field={shown(good[invariant.columns[0]])}, n_records=2"
    if invariant.test in ("unique", "not_null"):
        row = good if invariant.test == "unique" else breaking_row(invariant, 0)
        return ", ".join(f"{c}={shown(row[c])}" for c in invariant.columns)
    row = breaking_row(invariant, mart_invariants.index(invariant) + 1)
    columns = dict.fromkeys([*GRAIN[invariant.mart], *invariant.columns])
    return ", ".join(f"{c}={shown(row[c])}" for c in columns)


@pytest.mark.parametrize(
    "invariant",
    [i for i in INVARIANTS if not i.on_the_load_filter],
    ids=[i.id for i in INVARIANTS if not i.on_the_load_filter],
)
def test_the_build_error_names_the_row_that_breaks_an_invariant(
    broken: Warehouse, invariant: Invariant
) -> None:
    error = broken.daily.error
    assert error is not None and error.reason.startswith("dbt test failed: test.ccpipe.")
    assert f"    failing row: {failing_row_text(invariant)}" in error.details


def test_clean_marts_pass_every_test(clean: Warehouse) -> None:
    assert clean.daily.failing == set()
    assert clean.full.failing == set()


def test_a_daily_load_tests_the_rows_of_the_dates_it_rebuilt(clean: Warehouse) -> None:
    """The filter names the relation dbt resolved for int_reporting_dates_rebuilt; a build
    without a load date filters nothing."""
    rebuilt = r'"work"\."intermediate"\."int_reporting_dates_rebuilt"'
    for invariant, sql in clean.daily.compiled.items():
        key = "week_start" if invariant.mart == "agent_scorecard_weekly" else "reporting_date"
        assert re.search(rf"where {key} in \(select {key} from {rebuilt}\)", sql), invariant
    for invariant, sql in clean.full.compiled.items():
        assert "where 1 = 1" in sql and "int_reporting_dates_rebuilt" not in sql, invariant


# --------------------------------------------------------------------------- late data

LOAD = "2026-11-10"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# typed rows straight into raw.<table> (gate_helpers.insert_raw), as ingest stores them


# The rows the 11-10 load delivered, by contact date (UTC): 11-10: 2 legs of call A;
# 11-09: 2 versions of ticket T1; 11-03: call B's leg at 23:30 and ticket T2; 11-02: call C.
# A leg delivered by the 11-09 load starting 11-10 is not this load's.
LATE_LEGS = [
    {"call_id": "A", "leg_seq": 1, "started_at": ts("2026-11-10T09:00:00")},
    {"call_id": "A", "leg_seq": 2, "started_at": ts("2026-11-10T09:05:00")},
    {"call_id": "B", "started_at": ts("2026-11-03T23:30:00")},
    {"call_id": "C", "started_at": ts("2026-11-02T12:00:00")},
]
LATE_TICKETS = [
    {"ticket_id": "T1", "created_at": ts("2026-11-09T10:00:00")},
    {"ticket_id": "T1", "created_at": ts("2026-11-09T10:00:00"), "status": "open"},
    {"ticket_id": "T2", "created_at": ts("2026-11-03T00:00:00")},
]
# Date D counts the rows starting on D .. D + 7 (fcr_window_days), both ends included:
#   10-26: 11-02 (exactly D + 7)                       = 1  (10-25 would reach 11-01: none)
#   10-27 .. 11-01: 11-02, 11-03                        = 1 + 2 = 3
#   11-02: 11-02, 11-03, 11-09 (D + 7; 11-10 is D + 8)  = 1 + 2 + 2 = 5
#   11-03: 11-03, 11-09, 11-10 (D + 7)                  = 2 + 2 + 2 = 6
#   11-04 .. 11-09: 11-09, 11-10                        = 2 + 2 = 4
#   11-10: 11-10                                        = 2
EXPECTED_LATE = {
    "2026-10-26": 1,
    **{f"2026-10-{d}": 3 for d in range(27, 32)},
    "2026-11-01": 3,
    "2026-11-02": 5,
    "2026-11-03": 6,
    **{f"2026-11-0{d}": 4 for d in range(4, 10)},
    "2026-11-10": 2,
}

# The Python gate's expression today (ccpipe.quality.mart_batch_sql), per reporting date.
GATE_LATE_SQL = """
    with late as (
        select cast(started_at at time zone 'UTC' as date) as contact_date
        from raw.call_legs where _load_date = ?
        union all
        select cast(created_at at time zone 'UTC' as date)
        from raw.ticket_versions where _load_date = ?
    ), late_days as (select contact_date, count(*) as n from late group by 1)
    select
        d.reporting_date,
        coalesce((select sum(l.n) from late_days as l where l.contact_date between
            d.reporting_date and d.reporting_date + 7), 0)::bigint as late_contact_rows
    from (select unnest(range(date '2026-10-01', date '2026-11-30', interval 1 day))::date
          as reporting_date) as d
"""


@pytest.fixture(scope="module")
def late_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, dict[str, int]]:
    paths = Paths(tmp_path_factory.mktemp("late_data").resolve() / "home").ensure()
    insert_raw(paths, "calls", LATE_LEGS, LOAD)
    insert_raw(paths, "tickets", LATE_TICKETS, LOAD)
    insert_raw(paths, "calls", [{"call_id": "D", "started_at": ts("2026-11-10T08:00:00")}], day(6))
    # the late data model and the views it reads, every source's legs and versions
    select = ["--select", "+int_reporting_dates_late_data"]
    result = invoke_dbt(paths, ["run", *select], {"load_date": LOAD})
    assert result.success, result.exception
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        late = relation(paths, "int_reporting_dates_late_data").name
        rows = con.execute(f"select reporting_date, late_contact_rows from {late}").fetchall()
    return paths, {str(d): n for d, n in rows}


def test_late_data_counts_the_load_rows_in_each_dates_fcr_window(late_data) -> None:
    _, late = late_data
    assert late == EXPECTED_LATE


def test_late_data_is_what_the_python_gate_computes(late_data) -> None:
    paths, late = late_data
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        gate = con.execute(GATE_LATE_SQL, [LOAD, LOAD]).fetchall()
    assert late == {str(d): n for d, n in gate if n > 0}


def test_late_data_is_empty_without_a_load_date(late_data) -> None:
    paths, _ = late_data
    select = ["--select", "int_reporting_dates_late_data"]
    assert invoke_dbt(paths, ["run", *select], {}).success
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        table = relation(paths, "int_reporting_dates_late_data").name
        assert con.execute(f"select count(*) from {table}").fetchone() == (0,)
