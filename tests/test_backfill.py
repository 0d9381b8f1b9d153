"""A range of dates in one `ccpipe run` into a home that has never built its marts: every date
is ingested and its feeds gated on its own, then the marts are built, gated and published once.
The marts equal loading the same dates one by one, and a failed feed gate still stops the run
before anything is built or published."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from pipeline_runs import (
    DAYS,
    ccpipe,
    copy_home,
    day_after,
    first_day_home,
    marts_snapshot,
    new_home,
    reference_home,
    reference_snapshot,
)

from ccpipe.publication import read_publication
from ccpipe.publication.state import build_basis

from conftest import leg, write_csv


def gate_runs(work_db: Path) -> list[tuple]:
    """(stage, load date, suites validated, expectations failed) of every gate run."""
    with duckdb.connect(str(work_db), read_only=True) as con:
        return con.execute(
            """
            select stage, load_date::varchar, count(distinct suite), count(*) filter (not success)
            from audit.validation_results
            group by run_id, stage, load_date
            order by min(validated_at)
            """
        ).fetchall()


def test_a_range_is_built_once_into_the_marts_of_loading_its_dates_one_by_one(
    tmp_path: Path,
) -> None:
    at_once = reference_home()  # `ccpipe run --start DAYS[0] --end DAYS[-1]` into a new home
    one_by_one = copy_home(first_day_home(), tmp_path)
    ccpipe(one_by_one.home, "run", "--date", DAYS[1])

    assert marts_snapshot(one_by_one.published_db) == reference_snapshot()
    publication = read_publication(at_once)
    assert (publication["mode"], publication["load_date"]) == ("copied", None)
    assert publication["as_of"] == datetime.fromisoformat(f"{day_after(DAYS[1])}T00:00:00+00:00")
    assert build_basis(at_once)[0] == build_basis(one_by_one)[0]
    assert gate_runs(at_once.work_db) == [
        ("feeds", DAYS[0], 3, 0),
        ("feeds", DAYS[1], 3, 0),
        ("marts", DAYS[1], 1, 0),
    ]
    assert read_publication(one_by_one)["mode"] == "patched"


def test_a_failed_feed_gate_in_a_range_builds_and_publishes_nothing(tmp_path: Path) -> None:
    paths = new_home(tmp_path)
    bad = [leg(call_id=f"X{n}", direction="sideways") for n in range(200)]
    write_csv(paths, "calls", DAYS[1], "late_export.csv", bad)

    stopped = ccpipe(paths.home, "run", "--start", DAYS[0], "--end", DAYS[1], check=False)

    assert stopped.returncode == 1
    assert stopped.stderr.startswith(
        f"ccpipe run: GateError: quality gate (feeds) stopped the load of {DAYS[1]}: suite calls: "
    )
    assert [(stage, day, failed > 0) for stage, day, _, failed in gate_runs(paths.work_db)] == [
        ("feeds", DAYS[0], False),
        ("feeds", DAYS[1], True),
    ]
    assert build_basis(paths) is None and not paths.published_db.exists()
    assert not paths.latest_report.exists()
