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
import sys
import time
from pathlib import Path

from bench import (
    BENCH_DIR,
    BIG_DAY,
)
from bench.measure import Outcome
from bench.scenarios import SCENARIOS, connect_ingest


def scenario_list(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {','.join(SCENARIOS)}"
        )
    return chosen


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
