"""The `ccpipe` command line: thin argument parsing over the package's functions.

Errors are one line on stderr in a person's words, with the path of the log file that holds
the details; a failed gate or dbt test also prints its report on stdout first. On a terminal
a load shows its steps as they run; elsewhere (Airflow, CI) it prints only its summary lines.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ccpipe.paths import Paths

DATE_FORMAT = "YYYY-MM-DD"
LOG_FILE = "logs/ccpipe.log"
LOG_BYTES = 10 * 1024 * 1024  # then rotated, five files kept


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command and what to write."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see {self.prog} -h)\n")


def parse_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as {DATE_FORMAT}, e.g. 2026-11-03"
        ) from None


def parse_instant(text: str) -> datetime:
    example = "e.g. 2026-11-04T00:00Z or 2026-11-04T03:30+03:30"
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an instant: write it as {DATE_FORMAT}THH:MM with a UTC offset, "
            f"{example}"
        ) from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, {example}")
    return instant


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="ccpipe", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="the ccpipe home (default: $CCPIPE_HOME, else .ccpipe)")
    commands = parser.add_subparsers(dest="command", required=True)
    day = {"type": parse_date, "metavar": DATE_FORMAT}
    instant = {"type": parse_instant, "metavar": "INSTANT"}

    generate = commands.add_parser("generate", help="write realistic sample feeds to landing/")
    generate.add_argument("--start", required=True, **day)
    generate.add_argument("--days", type=int, required=True)
    generate.add_argument("--contacts-per-day", type=int, default=2000)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--faults", action="store_true", help="add bad rows and a bad file")
    generate.add_argument(
        "--sources",
        default="calls,tickets,surveys",
        help="the shapes to write, comma-separated: calls, tickets, surveys, or the vendors' "
        "amazon_connect, zendesk, qualtrics (with the settings.toml and identities.csv they need)",
    )

    ingest = commands.add_parser("ingest", help="load one date's landing files into raw tables")
    ingest.add_argument("--date", required=True, **day)

    run = commands.add_parser("run", help="the daily load for a date, or a backfill")
    run.add_argument("--date", **day)
    run.add_argument("--start", **day)
    run.add_argument("--end", **day)
    run.add_argument(
        "--as-of",
        help="instant FCR maturity is judged at, with a UTC offset (default: end of the date)",
        **instant,
    )

    kpis = commands.add_parser("kpis", help="print a day's headline KPIs, FCR against target first")
    kpis.add_argument("--date", help="default: the latest loaded date", **day)

    report = commands.add_parser(
        "report", help="write the ops report (HTML that opens offline) and print its path"
    )
    report.add_argument("--out", type=Path, help="default: $CCPIPE_HOME/reports/latest.html")
    report.add_argument("--days", type=int, help="dates shown (default: the setting report_days)")

    commands.add_parser(
        "docs", help="build dbt's documentation site as one static page and print its path"
    )

    commands.add_parser("settings", help="print the settings in force and where each came from")

    rebuild = commands.add_parser(
        "rebuild", help="restate every date under the settings in force (full rebuild, publish)"
    )
    rebuild.add_argument("--as-of", help="default: the instant the marts were judged at", **instant)
    return parser


def log_to_file(paths: Paths) -> Path | None:
    """The package's log lines (and a failure's traceback) go to $CCPIPE_HOME/logs/, not to
    the terminal; a log that cannot be written (a full disk) never adds noise of its own."""
    logging.raiseExceptions = False
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    path: Path | None = paths.home / LOG_FILE
    try:
        if not (paths.landing.is_dir() or paths.warehouse.is_dir()):
            raise FileNotFoundError("not a home (yet): nothing is written there")
        path.parent.mkdir(exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError:
        handler, path = logging.NullHandler(), None
    root.addHandler(handler)
    return path


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = Paths.from_env(args.home)
    log = log_to_file(paths) if args.command != "generate" else None
    try:
        return COMMANDS[args.command](args, paths)
    except Exception as error:  # one line on stderr, non-zero exit: what a person can act on
        reason = getattr(error, "reason", None)  # a failed gate or test: its report first
        if reason is not None:
            print(error, flush=True)
        logging.getLogger("ccpipe.cli").error("".join(traceback.format_exception(error)))
        details = f" (details: {log})" if log is not None else ""
        line = " ".join(str(reason or person_words(error)).split())
        print(f"ccpipe {args.command}: {type(error).__name__}: {line}{details}", file=sys.stderr)
        return 1


def person_words(error: Exception) -> str:
    """What an error means, where the warehouse's own words would not say it."""
    from ccpipe.warehouse import describe_warehouse_error

    return describe_warehouse_error(error) or str(error)


@contextmanager
def terminal_progress() -> Iterator:
    """A transient line per step (the step and its elapsed time) on a terminal."""
    if not sys.stderr.isatty():
        from ccpipe.pipeline import quietly

        yield quietly
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:

        @contextmanager
        def step(label: str) -> Iterator[None]:
            task = progress.add_task(label, total=None)
            try:
                yield
            finally:
                progress.remove_task(task)

        yield step


def cmd_generate(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe_sample import generate

    written = generate(
        paths.ensure().landing,
        date.fromisoformat(args.start),
        args.days,
        contacts_per_day=args.contacts_per_day,
        seed=args.seed,
        faults=args.faults,
        sources=tuple(s.strip() for s in args.sources.split(",") if s.strip()),
    )
    print(", ".join(f"{feed}: {rows} rows" for feed, rows in written.items()))
    return 0


def cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.home import check_home
    from ccpipe.pipeline import ingest

    check_home(paths)
    for feed, load in ingest(paths, args.date).items():
        print(
            f"{feed} {args.date}: {len(load.files)} file(s), {load.rows_read} rows read, "
            f"{load.rows_loaded} loaded, {load.rows_quarantined} quarantined"
        )
    return 0


def cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.pipeline import date_range, run_dates

    if args.date and (args.start or args.end):
        raise ValueError("give --date, or --start and --end, not both")
    if args.date:
        dates = [args.date]
    elif args.start and args.end:
        dates = date_range(args.start, args.end)
    else:
        raise ValueError("give --date D, or --start D1 --end D2")
    with terminal_progress() as progress:
        run_dates(
            dates,
            as_of=args.as_of,
            paths=paths,
            progress=progress,
            on_date=lambda done: print(
                f"ccpipe run {done.load_date}: done: {done.summary()}", flush=True
            ),
        )
    return 0


def cmd_kpis(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.kpis import headline

    print(headline(paths, args.date))
    return 0


def cmd_report(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.report import write_report

    written = write_report(paths, out=args.out, days=args.days)
    print(written.html)
    return 0


def cmd_docs(args: argparse.Namespace, paths: Paths) -> int:
    from ccpipe.home import check_home, holding_home
    from ccpipe.transform import build_docs

    check_home(paths)
    with holding_home(paths):  # dbt opens the working warehouse: not beside a load
        print(build_docs(paths))
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
    "report": cmd_report,
    "docs": cmd_docs,
    "settings": cmd_settings,
    "rebuild": cmd_rebuild,
}
