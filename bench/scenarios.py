"""The four scenarios, each timed beside its floor, and --connect-ingest."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench import (
    BACKFILL_START,
    BIG_DAY,
    REPO_DIR,
    SAMPLE_DAYS,
    SAMPLE_START,
    SEED,
)
from bench.floors import measure_floor
from bench.homes import (
    days_from,
    generate_days,
    history_home,
    home_with_landing,
    ingest_history,
    settle_history,
)
from bench.measure import Outcome, ccpipe, daily_load, import_libraries, run_process
from ccpipe.contracts import SOURCES
from ccpipe.ingest import ingest_date, landing_files
from ccpipe.paths import Paths
from ccpipe.settings import load_settings
from ccpipe_sample import generate


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


SCENARIOS: dict[str, Callable[[argparse.Namespace], Outcome]] = {
    "small-day": small_day,
    "make-run": make_run,
    "backfill": backfill,
    "big-day": big_day,
}


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
