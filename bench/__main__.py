"""`make bench`: a large contact center's day through the real pipeline, against the floor.

Generates history plus one new day with `ccpipe generate`, loads the history, then times the
new day's daily load stage by stage through the same functions the DAG runs (wall time and
peak RSS per stage), times the floor (bench/floor.sql: plain DuckDB SQL from the landing
files), checks the floor's numbers equal the pipeline's, and repeats the daily load on a
longer history to show the daily cost does not grow with history.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from string import Template

import duckdb
import psutil

from ccpipe import pipeline
from ccpipe.contracts import FEEDS, SOURCES
from ccpipe.ingest import ingest_date, landing_files
from ccpipe.paths import Paths
from ccpipe.settings import load_settings
from ccpipe.transform import dbt_dirs
from ccpipe_sample import generate

BENCH_DIR = Path(__file__).resolve().parent
NEW_DAY = date(2026, 10, 1)
SETTLED = "settled-warehouse"  # a home's warehouse once its history settled: --reuse-history
SETTLED_PARSE = "settled-partial_parse.msgpack"  # and dbt's parse state then


class PeakRss:
    """Samples this process's resident memory in a thread; peak() since the last reset."""

    def __init__(self, interval: float = 0.02) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.value = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.stopped.wait(self.interval):
            self.value = max(self.value, self.process.memory_info().rss)

    def reset(self) -> None:
        self.value = self.process.memory_info().rss

    def peak(self) -> int:
        return max(self.value, self.process.memory_info().rss)


@dataclass
class DailyLoad:
    history_days: int
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(s["seconds"] for s in self.stages.values())

    @property
    def peak_rss_mb(self) -> float:
        return max(s["peak_rss_mb"] for s in self.stages.values())


@contextmanager
def timed(stages: dict, name: str, rss: PeakRss):
    rss.reset()
    started = time.perf_counter()
    yield
    stages[name] = {
        "seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": round(rss.peak() / 2**20, 1),
    }
    print(f"    {name:<12} {stages[name]['seconds']:7.2f} s  {stages[name]['peak_rss_mb']:8.0f} MB")


def generate_days(landing: Path, first: date, days: int, volumes: dict[str, int]) -> None:
    """Days already written are kept: each day depends only on the seed and its date."""
    todo = [
        first + timedelta(n)
        for n in range(days)
        if not all(landing_files(landing / f / (first + timedelta(n)).isoformat()) for f in FEEDS)
    ]
    if not todo:
        return
    print(f"  generating {len(todo)} day(s) from {todo[0]} to {todo[-1]}")
    started = time.perf_counter()
    generate(landing, todo[0], (todo[-1] - todo[0]).days + 1, seed=7, **volumes)
    print(f"  generated in {time.perf_counter() - started:.0f} s")


def home_with_landing(root: Path, name: str, landing: Path, reuse: bool = False) -> Paths:
    """A bench home reading the shared landing folder. With reuse, its warehouse is put back
    as it was when its history settled (see settle_history), before the new day."""
    home = root / name
    settled = home / SETTLED
    if reuse and settled.is_dir():
        warehouse = Paths(home).work_db.parent
        shutil.rmtree(warehouse)
        copy_warehouse(settled, warehouse)
        # dbt's parse state as the history's last daily run left it, as the new day's run
        # would find it (a history settled before the state was kept: a full parse).
        parse_state = partial_parse_state(Paths(home))
        if (home / SETTLED_PARSE).exists():
            shutil.copy2(home / SETTLED_PARSE, parse_state)
        else:
            parse_state.unlink(missing_ok=True)
        return Paths(home).ensure()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing)
    return Paths(home).ensure()


def partial_parse_state(paths: Paths) -> Path:
    return dbt_dirs(paths)["target"] / "partial_parse.msgpack"


def copy_warehouse(source: Path, target: Path) -> None:
    """Copy a warehouse folder and flush it to disk: the copy's writeback must not run into
    the timed stages."""
    shutil.copytree(source, target, symlinks=True)
    os.sync()


def loaded_days(paths: Paths) -> set[date]:
    if not paths.work_db.exists():
        return set()
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        rows = con.execute(
            "select load_date from raw.load_audit group by 1 "
            f"having count(distinct feed) = {len(FEEDS)}"
        ).fetchall()
    return {row[0] for row in rows}


def ingest_history(paths: Paths, days: list[date]) -> None:
    """Loads the days not loaded yet, so an interrupted history resumes where it stopped."""
    todo = sorted(set(days) - loaded_days(paths))
    started = time.perf_counter()
    for day in todo:
        pipeline.ingest(paths, day.isoformat())
    print(f"  ingested {len(todo)} history day(s) in {time.perf_counter() - started:.0f} s")


def settle_history(paths: Paths, history: list[date]) -> None:
    """Marts over the history but its last day (one full refresh), gated and published; then
    the last day's daily load, so that the new day finds what a daily run leaves (its
    publish patches the spare generation). The warehouse is kept for --reuse-history."""
    started = time.perf_counter()
    day = history[-2].isoformat()
    as_of = pipeline.end_of_date(day)
    as_of = pipeline.build_marts(paths, None, as_of, full_refresh=True)
    pipeline.gate_marts(paths, day)
    pipeline.publish(paths, day, as_of)
    for _, step in load_steps(paths, history[-1].isoformat()):
        step()
    print(f"  history marts built and published in {time.perf_counter() - started:.0f} s")
    copy_warehouse(paths.work_db.parent, paths.home / SETTLED)
    shutil.copy2(partial_parse_state(paths), paths.home / SETTLED_PARSE)


def daily_load(paths: Paths, day: date, history_days: int, rss: PeakRss) -> DailyLoad:
    """The new day through the stages the DAG runs, each timed."""
    load = DailyLoad(history_days)
    text = day.isoformat()
    print(f"  daily load of {text} with {history_days} days of history:")
    for name, step in load_steps(paths, text):
        with timed(load.stages, name, rss):
            step()
    return load


def load_steps(paths: Paths, day: str) -> list[tuple[str, Callable[[], object]]]:
    """The stages of a date's daily load, as the DAG runs them."""
    return [
        ("ingest", lambda: pipeline.ingest(paths, day)),
        ("gate_feeds", lambda: pipeline.gate_feeds(paths, day)),
        ("dbt_build", lambda: pipeline.build_marts(paths, day)),
        ("gate_marts", lambda: pipeline.gate_marts(paths, day)),
        ("publish", lambda: pipeline.publish(paths, day, pipeline.end_of_date(day))),
        ("fcr_monitor", lambda: pipeline.check_fcr_target(paths, day)),
    ]


def import_libraries() -> float:
    """Import GX and dbt, which a fresh process pays once (an Airflow task, a `ccpipe run`),
    and time it apart: the first daily load timed would otherwise carry it alone."""
    started = time.perf_counter()
    import great_expectations.data_context  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401

    return time.perf_counter() - started


def text_reader(files: list[Path], feed: str) -> str:
    """Every file of a feed's day as rows of text columns, whatever its format."""
    columns = FEEDS[feed].column_names
    csv_files = [str(f) for f in files if ".csv" in f.name]
    json_files = [str(f) for f in files if ".jsonl" in f.name]
    parts = []
    if csv_files:
        parts.append(
            f"select {', '.join(columns)} from read_csv({csv_files}, header = true, "
            "all_varchar = true, union_by_name = true, delim = ',', quote = '\"', escape = '\"')"
        )
    if json_files:
        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
        parts.append(
            f"select {', '.join(columns)} from read_json({json_files}, "
            f"format = 'newline_delimited', columns = {spec})"
        )
    return " union all ".join(parts)


def run_floor(landing: Path, day: date) -> tuple[float, duckdb.DuckDBPyConnection]:
    text = day.isoformat()
    readers = {feed: text_reader(landing_files(landing / feed / text), feed) for feed in FEEDS}
    script = Template((BENCH_DIR / "floor.sql").read_text(encoding="utf-8")).substitute(
        **readers, day=text, as_of=pipeline.end_of_date(text).isoformat()
    )
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(script)
    return time.perf_counter() - started, con


def compare_with_floor(floor: duckdb.DuckDBPyConnection, paths: Paths, day: date) -> list[str]:
    """Every column the floor computes must equal the published mart (1e-9 for decimals)."""
    floor.execute(f"attach '{paths.published_db}' as published (read_only)")
    differences = []
    for table, keys in (
        ("kpi_daily", ["reporting_date"]),
        ("call_ops_daily", ["reporting_date", "queue"]),
    ):
        columns = [r[0] for r in floor.execute(f"describe floor_{table}").fetchall()]
        measures = [c for c in columns if c not in keys]
        on = " and ".join(f"f.{k} = p.{k}" for k in keys)
        checks = " or ".join(
            f"not (f.{c} is not distinct from p.{c} or abs(f.{c} - p.{c}) < 1e-9)"
            if c not in ("fcr_meets_target", "fcr_is_final")
            else f"f.{c} is distinct from p.{c}"
            for c in measures
        )
        rows = floor.execute(
            f"""
            select f.* from floor_{table} as f
            left join (select * from published.marts.{table}
                       where reporting_date = date '{day}') as p on {on}
            where p.reporting_date is null or {checks}
            """
        ).fetchall()
        differences += [f"{table}: floor row {row} differs from the published mart" for row in rows]
    return differences


def connect_ingest(workdir: Path, call_legs: int, output: Path) -> None:
    """--connect-ingest: one day of call legs as the canonical calls file(s) and as Amazon
    Connect contact records (the generator's same calls), each ingested alone into a fresh
    home and timed: the Connect day's ingest is to take at most 2x the canonical file's."""
    day = NEW_DAY.isoformat()
    results: dict[str, dict] = {}
    for source in ("calls", "amazon_connect"):
        home = workdir / "connect-ingest" / source
        folder = home / "landing" / source / day
        if not landing_files(folder, SOURCES[source].formats):
            print(f"  generating {call_legs:,} call legs as {source}")
            started = time.perf_counter()
            generate(
                home / "landing", NEW_DAY, 1, seed=7, sources=(source,), call_legs_per_day=call_legs
            )
            print(f"  generated in {time.perf_counter() - started:.0f} s")
        paths = Paths(home)
        shutil.rmtree(paths.warehouse, ignore_errors=True)
        files = landing_files(folder, SOURCES[source].formats)
        os.sync()  # the generator's writeback must not run into the timed ingest
        started = time.perf_counter()
        loads = ingest_date(paths, day, (source,), settings=load_settings(paths))
        seconds = time.perf_counter() - started
        results[source] = {
            "seconds": round(seconds, 3),
            "rows_read": loads[source].rows_read,
            "rows_quarantined": loads[source].rows_quarantined,
            "files": [f.name for f in files],
            "megabytes_on_disk": round(sum(f.stat().st_size for f in files) / 2**20, 1),
        }
        print(f"  {source:<15} {seconds:7.2f} s  {loads[source].rows_read:>10,} records")
    ratio = results["amazon_connect"]["seconds"] / results["calls"]["seconds"]
    results["connect_over_calls"] = round(ratio, 2)
    print(f"  connect/calls   {ratio:7.2f}   (target <= 2)")
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--call-legs", type=int, default=1_000_000)
    parser.add_argument("--ticket-versions", type=int, default=300_000)
    parser.add_argument("--survey-responses", type=int, default=200_000)
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--long-history-days", type=int, default=90, help="0 skips it")
    parser.add_argument("--workdir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument(
        "--reuse-history",
        action="store_true",
        help="put each history home's warehouse back as an earlier run left it once its "
        "history settled, instead of building the history again; the new day then loads "
        "exactly as in a fresh run",
    )
    parser.add_argument(
        "--connect-ingest",
        action="store_true",
        help="only time the ingest of one day of --call-legs legs as the canonical calls file "
        "and as Amazon Connect contact records (writes bench/results-connect-ingest.json)",
    )
    args = parser.parse_args()
    if args.connect_ingest:
        print(f"bench --connect-ingest: {args.call_legs:,} call legs on {NEW_DAY}")
        output = BENCH_DIR / "results-connect-ingest.json"
        connect_ingest(args.workdir.resolve(), args.call_legs, output)
        return

    volumes = {
        "call_legs_per_day": args.call_legs,
        "ticket_versions_per_day": args.ticket_versions,
        "survey_responses_per_day": args.survey_responses,
    }
    longest = max(args.history_days, args.long_history_days)
    workdir = args.workdir.resolve()  # the homes link to the landing folder by absolute path
    landing = workdir / "landing"
    first_day = NEW_DAY - timedelta(longest)
    print(f"bench: {volumes}, new day {NEW_DAY}, history {args.history_days}/{longest} days")
    generate_days(landing, first_day, longest + 1, volumes)

    history = [NEW_DAY - timedelta(n) for n in range(args.history_days, 0, -1)]
    reuse = args.reuse_history
    short = home_with_landing(workdir, f"home{args.history_days}", landing, reuse)
    fresh_short = not short.published_db.exists()
    if fresh_short:
        ingest_history(short, history[:-1])  # the last day comes as a daily load
    long = None
    if args.long_history_days > args.history_days:
        long = home_with_landing(workdir, f"home{longest}", landing, reuse)
        fresh_long = not long.published_db.exists()
        if fresh_long:
            if not long.work_db.exists():
                shutil.copy2(short.work_db, long.work_db)  # the shared history is ingested once
            older = [NEW_DAY - timedelta(n) for n in range(longest, args.history_days, -1)]
            ingest_history(long, older + history[:-1])

    imports_seconds = import_libraries()
    rss = PeakRss()
    if fresh_short:
        settle_history(short, history)
    short_load = daily_load(short, NEW_DAY, args.history_days, rss)
    long_load = None
    if long is not None:
        if fresh_long:
            settle_history(long, history)
        long_load = daily_load(long, NEW_DAY, longest, rss)

    floor_seconds, floor = run_floor(landing, NEW_DAY)
    differences = compare_with_floor(floor, short, NEW_DAY)
    results = {
        "volumes_per_day": volumes,
        "new_day": NEW_DAY.isoformat(),
        "cores": os.cpu_count(),
        "daily_load": {
            "history_days": short_load.history_days,
            "stages": short_load.stages,
            "total_seconds": round(short_load.total_seconds, 3),
            "peak_rss_mb": short_load.peak_rss_mb,
            "rows_per_second": round(sum(volumes.values()) / short_load.total_seconds),
        },
        "imports_once_per_process_seconds": round(imports_seconds, 3),
        "floor_seconds": round(floor_seconds, 3),
        "total_over_floor": round(short_load.total_seconds / floor_seconds, 2),
        "floor_matches_pipeline": not differences,
        "floor_differences": differences[:20],
    }
    if long_load is not None:
        results["long_history"] = {
            "history_days": long_load.history_days,
            "stages": long_load.stages,
            "total_seconds": round(long_load.total_seconds, 3),
            "peak_rss_mb": long_load.peak_rss_mb,
        }
        results["long_over_short"] = round(long_load.total_seconds / short_load.total_seconds, 3)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)


def print_table(results: dict) -> None:
    load = results["daily_load"]
    long = results.get("long_history")
    print()
    header = f"{'stage':<12} {load['history_days']:>4}d s  peak MB"
    print(header + (f"   {long['history_days']:>4}d s  peak MB" if long else ""))
    for name, stage in load["stages"].items():
        line = f"{name:<12} {stage['seconds']:7.2f} {stage['peak_rss_mb']:8.0f}"
        if long:
            other = long["stages"][name]
            line += f"   {other['seconds']:7.2f} {other['peak_rss_mb']:8.0f}"
        print(line)
    print(f"{'total':<12} {load['total_seconds']:7.2f} {load['peak_rss_mb']:8.0f}", end="")
    print(f"   {long['total_seconds']:7.2f} {long['peak_rss_mb']:8.0f}" if long else "")
    print(f"imports      {results['imports_once_per_process_seconds']:7.2f}   (once per process)")
    print(f"floor        {results['floor_seconds']:7.2f}")
    print(f"total/floor  {results['total_over_floor']:7.2f}   (target <= 2)")
    if long:
        print(
            f"{long['history_days']}d/{load['history_days']}d"
            f"     {results['long_over_short']:7.3f}   (target <= 1.10)"
        )
    print(f"rows/s       {load['rows_per_second']:>7}")
    print(f"floor matches pipeline: {results['floor_matches_pipeline']}")
    for difference in results["floor_differences"]:
        print("  " + difference)


if __name__ == "__main__":
    main()
