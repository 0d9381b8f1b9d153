"""`make bench`: four scenarios through the real pipeline, each beside its floor.

  small-day  the `make run` sample's last day: `ccpipe run --date` as a process (8 s), and the
             same day in-process stage by stage (3 s after the imports)
  make-run   `make run` from the repository root: 10 sample days generated and loaded (90 s)
  backfill   a year at 20,000 contacts a day into a new home, one `ccpipe run --start --end`
             (600 s)
  big-day    a large contact center's day (1M call legs) after 30 days of history, stage by
             stage in-process (8x its floor, peak RSS 4 GB)

The floor (bench/floor.sql) is plain DuckDB computing one day's kpi_daily and call_ops_daily
from that day's landing files; a scenario of several days sums the floor of each day. Every
floor is measured in the same run as its scenario, and its last day's numbers are checked
against the scenario's published marts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
from ccpipe.settings import SETTINGS_FILE, load_settings
from ccpipe.transform import dbt_dirs
from ccpipe_sample import generate

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
CCPIPE = str(Path(sys.executable).with_name("ccpipe"))  # the venv's command, as a person runs it
SEED = 7  # `ccpipe generate`'s default
SAMPLE_START, SAMPLE_DAYS = date(2026, 11, 1), 10  # the Makefile's, for `make run`
BACKFILL_START = date(2025, 1, 1)
BIG_DAY = date(2026, 10, 1)
SETTLED = "settled-warehouse"  # a home's warehouse once its history settled: --reuse-history
SETTLED_PARSE = "settled-partial_parse.msgpack"  # and dbt's parse state then
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")  # `make bench`'s own, not for `make run`


@dataclass
class Outcome:
    """A scenario's result: one row of the table, and its details for results.json."""

    timed: str
    seconds: float
    floor_seconds: float
    targets: dict[str, bool]
    floor_differences: list[str]
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "timed": self.timed,
            "seconds": round(self.seconds, 3),
            "floor_seconds": round(self.floor_seconds, 3),
            "over_floor": round(self.seconds / self.floor_seconds, 2),
            "targets": self.targets,
            "floor_matches_pipeline": not self.floor_differences,
            "floor_differences": self.floor_differences[:20],
            **self.details,
        }


# Measuring ---------------------------------------------------------------------------------


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

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


@dataclass
class DailyLoad:
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(s["seconds"] for s in self.stages.values())

    @property
    def peak_rss_mb(self) -> float:
        return max(s["peak_rss_mb"] for s in self.stages.values())

    def as_json(self) -> dict:
        return {
            "stages": self.stages,
            "total_seconds": round(self.total_seconds, 3),
            "peak_rss_mb": self.peak_rss_mb,
        }


@contextmanager
def timed(stages: dict, name: str, rss: PeakRss) -> Iterator[None]:
    rss.reset()
    started = time.perf_counter()
    yield
    stages[name] = {
        "seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": round(rss.peak() / 2**20, 1),
    }
    print(f"    {name:<16} {stages[name]['seconds']:7.2f} s  {stages[name]['peak_rss_mb']:8.0f} MB")


def daily_load(paths: Paths, day: date) -> DailyLoad:
    """A date's daily load in this process, each stage timed: the pipeline functions called as
    pipeline.run_dates calls them for one date (load_one_date, then after_publish and the FCR
    check)."""
    load, text, rss = DailyLoad(), day.isoformat(), PeakRss()
    settings = pipeline.use_settings(paths)
    print(f"  daily load of {text} in this process, stage by stage:")
    with timed(load.stages, "ingest", rss):
        pipeline.ingest(paths, text, settings)
    with timed(load.stages, "gate_feeds", rss):
        pipeline.gate_feeds(paths, text, settings, defer_docs=True)
    with timed(load.stages, "build_marts", rss):
        judged = pipeline.build_marts(paths, text, None, settings=settings)
    with timed(load.stages, "gate_marts", rss):
        pipeline.gate_marts(paths, text, defer_docs=True)
    with timed(load.stages, "publish", rss):
        pipeline.publish(paths, text, judged)
    with timed(load.stages, "after_publish", rss):
        written = pipeline.after_publish(paths, settings)
    with timed(load.stages, "check_fcr_target", rss):
        pipeline.check_fcr_target(paths, text, settings.fcr_min_sample, written)
    rss.stop()
    print(f"    {'total':<16} {load.total_seconds:7.2f} s  {load.peak_rss_mb:8.0f} MB")
    return load


def import_libraries() -> float:
    """Import GX and dbt, which a fresh process pays once (an Airflow task, a `ccpipe run`),
    and time it apart: the first daily load timed would otherwise carry it alone (a second
    call in the same process costs nothing)."""
    started = time.perf_counter()
    import great_expectations.data_context  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401

    seconds = time.perf_counter() - started
    print(f"  importing GX and dbt: {seconds:.2f} s (once per process)")
    return seconds


@dataclass
class ProcessRun:
    seconds: float
    peak_rss_mb: float


def run_process(args: list[str], home: Path, log: Path, cwd: Path | None = None) -> ProcessRun:
    """A command as a person runs it, in its own process with CCPIPE_HOME set, its output in
    `log`: the wall time, and the peak RSS of the process and its children (wait4)."""
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    env["CCPIPE_HOME"] = str(home)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"  $ {' '.join([Path(args[0]).name, *args[1:]])}")
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        tail = log.read_text(encoding="utf-8").splitlines()[-20:]
        print("\n".join(f"    | {line}" for line in tail))
        raise SystemExit(f"bench: {args[0]} exited with {process.returncode} (output: {log})")
    ran = ProcessRun(seconds, round(usage.ru_maxrss / 1024, 1))  # ru_maxrss is in KiB on Linux
    print(f"    {ran.seconds:.2f} s, peak RSS {ran.peak_rss_mb:.0f} MB (output: {log})")
    return ran


def ccpipe(home: Path, *args: str) -> ProcessRun:
    """`ccpipe <args>` on a home; its output in a log beside the home, named by the args."""
    log = home.parent / f"ccpipe-{'-'.join(arg.lstrip('-') for arg in args)}.log"
    return run_process([CCPIPE, *args], home, log)


# The floor ---------------------------------------------------------------------------------


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


def measure_floor(landing: Path, days: list[date], paths: Paths) -> tuple[float, list[str]]:
    """The floor of each day on its own files, summed; the last day's floor numbers against
    the home's published marts (earlier days are judged at a later as_of in the marts)."""
    total = 0.0
    for n, day in enumerate(days, 1):
        seconds, floor = run_floor(landing, day)
        total += seconds
        if day != days[-1]:
            floor.close()
        if n % 30 == 0:
            print(f"  floor: {n} of {len(days)} days, {total:.1f} s so far")
    differences = compare_with_floor(floor, paths, days[-1])
    floor.close()
    verdict = "equal" if not differences else f"{len(differences)} row(s) DIFFER"
    print(
        f"  floor: {total:.2f} s over {len(days)} day(s); "
        f"its {days[-1]} vs the published marts: {verdict}"
    )
    return total, differences


# Homes and landing files -------------------------------------------------------------------


def generate_days(landing: Path, days: list[date], **volumes: int) -> None:
    """The days not written yet, as `ccpipe generate --seed 7` writes them; days already
    written are kept, since a day's files depend only on the seed, its date and the volumes.
    A landing folder written at other volumes is refused (landing.json beside it says which)."""
    stamp = landing.with_name(f"{landing.name}.json")
    wanted = json.dumps(volumes, sort_keys=True)
    if stamp.exists() and stamp.read_text(encoding="utf-8") != wanted:
        raise SystemExit(
            f"bench: {landing} holds days generated at {stamp.read_text(encoding='utf-8')}, "
            f"not {wanted}: remove it or give another --workdir"
        )
    landing.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted, encoding="utf-8")
    todo = [d for d in days if not all(landing_files(landing / f / d.isoformat()) for f in FEEDS)]
    if not todo:
        print(f"  landing: {len(days)} day(s) already generated in {landing}")
        return
    print(f"  generating {len(todo)} day(s) from {todo[0]} to {todo[-1]} into {landing}")
    started = time.perf_counter()
    generate(landing, todo[0], (todo[-1] - todo[0]).days + 1, seed=SEED, **volumes)
    print(f"  generated in {time.perf_counter() - started:.0f} s")


def allow_shared_landing(home: Path) -> None:
    """The pipeline refuses landing folders that link outside the home unless the setting
    allow_landing_outside_home is true: a home reading a shared landing folder sets it."""
    (home / SETTINGS_FILE).write_text(
        "[pipeline]\nallow_landing_outside_home = true\n", encoding="utf-8"
    )


def home_with_landing(home: Path, landing: Path) -> Paths:
    """A new home (any earlier one removed) whose landing/ links to a shared landing folder."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing)
    allow_shared_landing(home)
    return Paths(home).ensure()


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(n) for n in range(count)]


# Scenarios ---------------------------------------------------------------------------------


def small_day(args: argparse.Namespace) -> Outcome:
    """The `make run` sample (10 days, `ccpipe generate`'s defaults): 9 days loaded untimed,
    then the 10th timed as a process, and the same day's stages in this process on a copy of
    the home as it was before."""
    root = args.workdir / "small-day"
    home, before = root / "home", root / "home-before"
    days = days_from(SAMPLE_START, SAMPLE_DAYS)
    day = days[-1]
    shutil.rmtree(root, ignore_errors=True)
    ccpipe(home, "generate", "--start", SAMPLE_START.isoformat(), "--days", str(SAMPLE_DAYS))
    ccpipe(home, "run", "--start", days[0].isoformat(), "--end", days[-2].isoformat())
    shutil.copytree(home, before, symlinks=True)
    os.sync()  # the copy's writeback must not run into the timed run
    run = ccpipe(home, "run", "--date", day.isoformat())
    floor_seconds, differences = measure_floor(Paths(home).landing, [day], Paths(home))
    # The stages run at the home's own path: dbt's parse state is only reused for the same
    # warehouse path, as the timed process reused it.
    home.rename(root / "home-timed")
    before.rename(home)
    imports = import_libraries()
    load = daily_load(Paths(home), day)
    return Outcome(
        timed=f"ccpipe run --date {day} (a process)",
        seconds=run.seconds,
        floor_seconds=floor_seconds,
        targets={"<= 8 s": run.seconds <= 8, "stages <= 3 s": load.total_seconds <= 3},
        floor_differences=differences,
        details={
            "day": day.isoformat(),
            "process_peak_rss_mb": run.peak_rss_mb,
            "in_process": load.as_json(),
            "imports_once_per_process_seconds": round(imports, 3),
        },
    )


def make_run(args: argparse.Namespace) -> Outcome:
    """`make run` from the repository root into its own home: generate, load, print KPIs."""
    home = args.workdir / "make-run" / "home"
    days = days_from(SAMPLE_START, SAMPLE_DAYS)
    sample = [f"SAMPLE_START={SAMPLE_START}", f"SAMPLE_DAYS={SAMPLE_DAYS}"]
    run = run_process(["make", "run", *sample], home, home.parent / "make-run.log", REPO_DIR)
    floor_seconds, differences = measure_floor(Paths(home).landing, days, Paths(home))
    return Outcome(
        timed=f"make run ({SAMPLE_DAYS} days)",
        seconds=run.seconds,
        floor_seconds=floor_seconds,
        targets={"<= 90 s": run.seconds <= 90},
        floor_differences=differences,
        details={"days": SAMPLE_DAYS, "peak_rss_mb": run.peak_rss_mb},
    )


def backfill(args: argparse.Namespace) -> Outcome:
    """--backfill-days days at --backfill-contacts a day into a new home, one process."""
    root = args.workdir / "backfill"
    days = days_from(BACKFILL_START, args.backfill_days)
    generate_days(root / "landing", days, contacts_per_day=args.backfill_contacts)
    paths = home_with_landing(root / "home", root / "landing")
    run = ccpipe(paths.home, "run", "--start", days[0].isoformat(), "--end", days[-1].isoformat())
    floor_seconds, differences = measure_floor(root / "landing", days, paths)
    return Outcome(
        timed=f"ccpipe run --start {days[0]} --end {days[-1]}",
        seconds=run.seconds,
        floor_seconds=floor_seconds,
        targets={"<= 600 s": run.seconds <= 600},
        floor_differences=differences,
        details={
            "days": len(days),
            "contacts_per_day": args.backfill_contacts,
            "peak_rss_mb": run.peak_rss_mb,
        },
    )


def big_day(args: argparse.Namespace) -> Outcome:
    """A large contact center's new day after --history-days of history, stage by stage in
    this process; again after --long-history-days, to show the daily cost does not grow."""
    root = args.workdir / "big-day"
    landing = root / "landing"
    volumes = {
        "call_legs_per_day": args.call_legs,
        "ticket_versions_per_day": args.ticket_versions,
        "survey_responses_per_day": args.survey_responses,
    }
    longest = max(args.history_days, args.long_history_days)
    print(f"  {volumes}, new day {BIG_DAY}, history {args.history_days}/{longest} days")
    generate_days(landing, days_from(BIG_DAY - timedelta(longest), longest + 1), **volumes)

    history = [BIG_DAY - timedelta(n) for n in range(args.history_days, 0, -1)]
    short = history_home(root / f"home{args.history_days}", landing, args.reuse_history)
    fresh_short = not short.published_db.exists()
    if fresh_short:
        ingest_history(short, history[:-1])  # the last day comes as a daily load
    long = None
    if args.long_history_days > args.history_days:
        long = history_home(root / f"home{longest}", landing, args.reuse_history)
        fresh_long = not long.published_db.exists()
        if fresh_long:
            if not long.work_db.exists():
                shutil.copy2(short.work_db, long.work_db)  # the shared history is ingested once
            older = [BIG_DAY - timedelta(n) for n in range(longest, args.history_days, -1)]
            ingest_history(long, older + history[:-1])

    imports = import_libraries()
    if fresh_short:
        settle_history(short, history)
    load = daily_load(short, BIG_DAY)
    floor_seconds, differences = measure_floor(landing, [BIG_DAY], short)
    targets = {
        "<= 8x floor": load.total_seconds <= 8 * floor_seconds,
        "RSS <= 4 GB": load.peak_rss_mb <= 4096,
    }
    details = {
        "volumes_per_day": volumes,
        "new_day": BIG_DAY.isoformat(),
        "history_days": args.history_days,
        "daily_load": load.as_json(),
        "rows_per_second": round(sum(volumes.values()) / load.total_seconds),
        "imports_once_per_process_seconds": round(imports, 3),
    }
    if long is not None:
        if fresh_long:
            settle_history(long, history)
        long_load = daily_load(long, BIG_DAY)
        ratio = long_load.total_seconds / load.total_seconds
        print(f"  {longest} days of history / {args.history_days} days: {ratio:.3f}")
        targets[f"{longest}d/{args.history_days}d <= 1.10"] = ratio <= 1.10
        details["long_history"] = {"history_days": longest, **long_load.as_json()}
        details["long_over_short"] = round(ratio, 3)
    return Outcome(
        timed=f"daily load of {BIG_DAY}, {args.history_days}d history (stages)",
        seconds=load.total_seconds,
        floor_seconds=floor_seconds,
        targets=targets,
        floor_differences=differences,
        details=details,
    )


def history_home(home: Path, landing: Path, reuse: bool) -> Paths:
    """A big-day home reading the shared landing folder. With reuse, its warehouse is put back
    as it was when its history settled (see settle_history), before the new day."""
    if not (reuse and (home / SETTLED).is_dir()):
        return home_with_landing(home, landing)
    paths = Paths(home)
    shutil.rmtree(paths.warehouse)
    copy_warehouse(home / SETTLED, paths.warehouse)
    # dbt's parse state as the history's last daily run left it, as the new day's run would
    # find it (a history settled before the state was kept: a full parse).
    if (home / SETTLED_PARSE).exists():
        shutil.copy2(home / SETTLED_PARSE, partial_parse_state(paths))
    else:
        partial_parse_state(paths).unlink(missing_ok=True)
    allow_shared_landing(home)
    return paths.ensure()


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
    """Marts over the history but its last day (one full refresh, gated and published as
    pipeline.load_range_at_once does); then the last day's daily load, so that the new day
    finds what a daily run leaves (its publish patches the spare generation). The warehouse
    is kept for --reuse-history."""
    started = time.perf_counter()
    day = history[-2].isoformat()
    as_of = pipeline.build_marts(paths, None, pipeline.end_of_date(day), full_refresh=True)
    pipeline.gate_marts(paths, day, defer_docs=True)
    pipeline.publish(paths, None, as_of)
    print(f"  history but its last day built, published in {time.perf_counter() - started:.0f} s")
    daily_load(paths, history[-1])
    copy_warehouse(paths.warehouse, paths.home / SETTLED)
    shutil.copy2(partial_parse_state(paths), paths.home / SETTLED_PARSE)


SCENARIOS: dict[str, Callable[[argparse.Namespace], Outcome]] = {
    "small-day": small_day,
    "make-run": make_run,
    "backfill": backfill,
    "big-day": big_day,
}


# Running and reporting ---------------------------------------------------------------------


def scenario_list(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {','.join(SCENARIOS)}"
        )
    return chosen


def connect_ingest(workdir: Path, call_legs: int, output: Path) -> None:
    """--connect-ingest: one day of call legs as the canonical calls file(s) and as Amazon
    Connect contact records (the generator's same calls), each ingested alone into a fresh
    home and timed: the Connect day's ingest is to take at most 2x the canonical file's."""
    day = BIG_DAY.isoformat()
    results: dict[str, dict] = {}
    for source in ("calls", "amazon_connect"):
        home = workdir / "connect-ingest" / source
        folder = home / "landing" / source / day
        if not landing_files(folder, SOURCES[source].formats):
            print(f"  generating {call_legs:,} call legs as {source}")
            started = time.perf_counter()
            generate(
                home / "landing",
                BIG_DAY,
                1,
                seed=SEED,
                sources=(source,),
                call_legs_per_day=call_legs,
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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenarios",
        type=scenario_list,
        default=list(SCENARIOS),
        help=f"comma-separated, run in the order given (default: {','.join(SCENARIOS)})",
    )
    parser.add_argument("--workdir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    backfill_flags = parser.add_argument_group("backfill")
    backfill_flags.add_argument("--backfill-days", type=int, default=365)
    backfill_flags.add_argument("--backfill-contacts", type=int, default=20_000, help="a day")
    big = parser.add_argument_group("big-day")
    big.add_argument("--call-legs", type=int, default=1_000_000)
    big.add_argument("--ticket-versions", type=int, default=300_000)
    big.add_argument("--survey-responses", type=int, default=200_000)
    big.add_argument("--history-days", type=int, default=30)
    big.add_argument("--long-history-days", type=int, default=0, help="0 skips it")
    big.add_argument(
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
    if args.history_days < 2 or args.backfill_days < 1:
        parser.error("--history-days must be at least 2 and --backfill-days at least 1")
    args.workdir = args.workdir.resolve()  # homes link to landing folders by absolute path
    return args


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # progress lines as they come, under make too
    args = parse_args()
    if args.connect_ingest:
        print(f"bench --connect-ingest: {args.call_legs:,} call legs on {BIG_DAY}")
        connect_ingest(args.workdir, args.call_legs, BENCH_DIR / "results-connect-ingest.json")
        return
    outcomes: dict[str, Outcome] = {}
    for name in args.scenarios:
        print(f"== {name}")
        started = time.perf_counter()
        outcomes[name] = SCENARIOS[name](args)
        print(f"== {name} done in {time.perf_counter() - started:.0f} s\n")
        results = {
            "cores": os.cpu_count(),
            "scenarios": {n: outcome.as_json() for n, outcome in outcomes.items()},
        }
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(outcomes)
    print(f"results: {args.output}")


def print_table(outcomes: dict[str, Outcome]) -> None:
    header = ("scenario", "what is timed", "seconds", "floor seconds", "seconds/floor")
    rows = [header + ("target", "met")]
    for name, outcome in outcomes.items():
        rows.append(
            (
                name,
                outcome.timed,
                f"{outcome.seconds:.2f}",
                f"{outcome.floor_seconds:.2f}",
                f"{outcome.seconds / outcome.floor_seconds:.1f}",
                "; ".join(outcome.targets),
                "; ".join("yes" if met else "no" for met in outcome.targets.values()),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) + 2)]
    numeric = {2, 3, 4}
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print(" | ".join(cells).rstrip())
        if n == 0:
            print("-+-".join("-" * width for width in widths))
    for name, outcome in outcomes.items():
        if outcome.floor_differences:
            print(f"{name}: the floor differs from the published marts:")
            for difference in outcome.floor_differences[:20]:
                print("  " + difference)
    if not any(outcome.floor_differences for outcome in outcomes.values()):
        print("every floor equals its scenario's published marts on its last day")


if __name__ == "__main__":
    main()
