"""The `ccpipe` command line: thin argument parsing over the package's functions."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from ccpipe.paths import Paths


def parse_date(text: str) -> str:
    return date.fromisoformat(text).isoformat()


def parse_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-11-04T00:00Z")
    return instant


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccpipe", description=__doc__)
    parser.add_argument("--home", help="CCPIPE_HOME (default: $CCPIPE_HOME or .ccpipe)")
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write realistic sample feeds to landing/")
    generate.add_argument("--start", type=parse_date, required=True)
    generate.add_argument("--days", type=int, required=True)
    generate.add_argument("--contacts-per-day", type=int, default=2000)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--faults", action="store_true", help="add bad rows and a bad file")

    ingest = commands.add_parser("ingest", help="load one date's landing files into raw tables")
    ingest.add_argument("--date", type=parse_date, required=True)

    run = commands.add_parser("run", help="the daily load for a date, or a backfill")
    run.add_argument("--date", type=parse_date)
    run.add_argument("--start", type=parse_date)
    run.add_argument("--end", type=parse_date)
    run.add_argument("--as-of", type=parse_instant, help="instant FCR maturity is judged at")

    kpis = commands.add_parser("kpis", help="print a day's headline KPIs, FCR against target first")
    kpis.add_argument("--date", type=parse_date, help="default: the latest published date")

    commands.add_parser("settings", help="print the settings in force and where each came from")

    rebuild = commands.add_parser(
        "rebuild", help="restate every date under the settings in force (full rebuild, publish)"
    )
    rebuild.add_argument(
        "--as-of", type=parse_instant, help="default: the instant the marts were judged at"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = Paths.from_env(args.home)
    try:
        return COMMANDS[args.command](args, paths)
    except Exception as error:  # one line on stderr, non-zero exit: what a person can act on
        reason = getattr(error, "reason", None)  # a failed gate: its block on stdout first
        if reason is not None:
            print(error, flush=True)
        print(f"ccpipe {args.command}: {type(error).__name__}: {reason or error}", file=sys.stderr)
        return 1


def cmd_generate(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe_sample import generate

    written = generate(
        paths.ensure().landing,
        date.fromisoformat(args.start),
        args.days,
        contacts_per_day=args.contacts_per_day,
        seed=args.seed,
        faults=args.faults,
    )
    print(", ".join(f"{feed}: {rows} rows" for feed, rows in written.items()))
    return 0


def cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.pipeline import ingest

    for feed, load in ingest(paths.ensure(), args.date).items():
        print(
            f"{feed} {args.date}: {len(load.files)} file(s), {load.rows_read} rows read, "
            f"{load.rows_loaded} loaded, {load.rows_quarantined} quarantined"
        )
    return 0


def cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.pipeline import date_range, run_date

    if args.date and (args.start or args.end):
        raise ValueError("give --date, or --start and --end, not both")
    if args.date:
        dates = [args.date]
    elif args.start and args.end:
        dates = date_range(args.start, args.end)
    else:
        raise ValueError("give --date D, or --start D1 --end D2")
    for load_date in dates:
        run_date(load_date, as_of=args.as_of, paths=paths)
        print(f"ccpipe run {load_date}: done")
    return 0


def cmd_kpis(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.kpis import headline

    print(headline(paths, args.date))
    return 0


def cmd_settings(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.settings import load_settings

    print(load_settings(paths).table())
    return 0


def cmd_rebuild(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.pipeline import rebuild

    as_of = rebuild(as_of=args.as_of, paths=paths)
    print(f"ccpipe rebuild: every date restated and published, judged at {as_of.isoformat()}")
    return 0


COMMANDS = {
    "generate": cmd_generate,
    "ingest": cmd_ingest,
    "run": cmd_run,
    "kpis": cmd_kpis,
    "settings": cmd_settings,
    "rebuild": cmd_rebuild,
}
