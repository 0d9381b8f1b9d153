"""The daily load, one step after another: the one code path the CLI and the DAG share.

ingest -> gate_feeds -> build_marts -> gate_marts -> publish (then `after_publish`: retention,
Data Docs, the ops report) -> check_fcr_target. Each step is one DAG task; `run_dates` runs
them all in one process for one date or a range (ccpipe run). The steps own the order and
the bookkeeping between stages (the settings in force, the instant a build judges FCR maturity
at, the publication state); the stages themselves live in ccpipe.ingest, .quality,
.transform, .publication, .report and .monitor.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ccpipe.home import check_home, holding_home
from ccpipe.ingest import FeedLoad, ingest_date, landing_files
from ccpipe.paths import Paths
from ccpipe.retention import prune
from ccpipe.settings import Settings, load_settings

if TYPE_CHECKING:
    from ccpipe.monitor import FcrCheck

log = logging.getLogger("ccpipe.pipeline")

# The model listing the dates a build rebuilt (reporting_date, week_start): what the next
# publication carries.
REBUILT_DATES_MODEL = "int_reporting_dates_rebuilt"


class AsOfError(ValueError):
    """An --as-of earlier than the instant the marts were already judged at."""


class SettingsChangedError(RuntimeError):
    """Settings that restate published numbers differ from those the marts were built with."""


class NoLandingFilesError(ValueError):
    """A date some active feed has no landing file for."""


def use_settings(paths: Paths) -> Settings:
    """The home's settings, checked; their memory budget is every DuckDB connection's."""
    from ccpipe.warehouse import configure_memory_limit

    settings = load_settings(paths)
    configure_memory_limit(settings.duckdb_memory_limit)
    return settings


def check_settings_unchanged(paths: Paths, settings: Settings) -> None:
    """Refuse a load whose restating settings differ from those the marts were built with:
    published numbers computed under two settings are never mixed."""
    from ccpipe.publication.state import build_basis

    basis = build_basis(paths)
    if basis is None:
        return
    # A setting newer than the marts' build is taken at its default (how they were built).
    built = Settings().restating() | basis[1]
    changed = [
        f"{key} {built[key]} -> {value}"
        for key, value in settings.restating().items()
        if built[key] != value
    ]
    if changed:
        raise SettingsChangedError(
            f"settings changed since the marts were built ({'; '.join(changed)}): "
            "run `ccpipe rebuild` to restate every date under them, or restore the old values"
        )


def end_of_date(load_date: str | date) -> datetime:
    """The default as_of of a date's run: the instant its day ends (UTC)."""
    day = date.fromisoformat(load_date) if isinstance(load_date, str) else load_date
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def judged_at(paths: Paths, load_date: str, as_of: datetime | None) -> datetime:
    """The instant FCR maturity is judged at. A given as_of is honoured exactly, but never
    earlier than the marts were already judged at (refused: maturity does not move back).
    Without one: the end of the date, or the instant the marts were already judged at if
    later, so dates loaded in any order give the same marts as loading them in order."""
    from ccpipe.publication.state import build_basis

    basis = build_basis(paths)
    judged = basis[0] if basis else None
    if as_of is not None:
        if judged is not None and as_of < judged:
            raise AsOfError(
                f"--as-of {as_of.isoformat()} is earlier than {judged.isoformat()}, the "
                "instant the marts were already judged at; give that instant or a later one"
            )
        return as_of
    default = end_of_date(load_date)
    return max(default, judged) if judged is not None else default


def checked_settings(paths: Paths, settings: Settings | None) -> Settings:
    """The settings a step runs under: those its caller already checked (run_dates checks
    them once, before its first date), or the home's, checked here (a DAG task, `ccpipe
    ingest`)."""
    if settings is not None:
        return settings
    settings = use_settings(paths)
    check_settings_unchanged(paths, settings)
    return settings


def ingest(paths: Paths, load_date: str, settings: Settings | None = None) -> dict[str, FeedLoad]:
    """Step 1: the date's landing files of the active sources into the raw tables."""
    settings = checked_settings(paths, settings)
    with holding_home(paths):
        return ingest_date(paths, load_date, settings.sources, settings)


def gate_feeds(
    paths: Paths, load_date: str, settings: Settings | None = None, defer_docs: bool = False
):
    """Step 2: the date's feed batches against their suites (GateError stops the load).
    defer_docs: a passed gate's Data Docs wait for `after_publish`."""
    from ccpipe.quality import validate_feeds

    settings = settings or use_settings(paths)
    with holding_home(paths):
        return validate_feeds(
            paths, load_date, feeds=settings.sources, settings=settings, defer_docs=defer_docs
        )


def build_marts(
    paths: Paths,
    load_date: str | None,
    as_of: datetime | None = None,
    full_refresh: bool = False,
    settings: Settings | None = None,
) -> datetime:
    """Step 3: one dbt build; returns the as_of FCR maturity was judged at. From here until
    the marts gate passes, nothing is publishable; the dates the build rebuilt are recorded
    for the next publication (every date, when it had no load date or was a full refresh).
    """
    from ccpipe.publication.state import (
        clear_gate_mark,
        record_build_basis,
        record_build_started,
        record_rebuilt_dates,
    )
    from ccpipe.relations import relation
    from ccpipe.transform import run_dbt_build

    if full_refresh:  # restates every date under the settings in force: nothing to compare
        settings = settings or use_settings(paths)
    else:
        settings = checked_settings(paths, settings)
    if load_date is not None:
        as_of = judged_at(paths, load_date, as_of)
    elif as_of is None:
        raise ValueError("a build of every date needs an explicit as_of")
    with holding_home(paths):
        clear_gate_mark(paths)
        build_id = record_build_started(paths)
        record_build_basis(paths, as_of, settings.restating())
        run_dbt_build(paths, load_date, as_of, full_refresh, settings)
        if load_date is not None and not full_refresh:
            record_rebuilt_dates(paths, build_id, relation(paths, REBUILT_DATES_MODEL).name)
    return as_of


def gate_marts(paths: Paths, load_date: str, restated: bool = False, defer_docs: bool = False):
    """Step 4: the rebuilt marts against their suites; only then are they publishable. A
    restatement (restated) is not compared with what it replaces."""
    from ccpipe.publication.state import mark_gated
    from ccpipe.quality import validate_marts

    with holding_home(paths):
        report = validate_marts(
            paths, load_date, compare_published=not restated, defer_docs=defer_docs
        )
        mark_gated(paths, load_date)
    return report


def publish(paths: Paths, load_date: str | None, as_of: datetime | None = None):
    """Step 5: the gated marts, atomically, to the published file BI reads."""
    from ccpipe.publication import publish_marts

    with holding_home(paths):
        return publish_marts(paths, load_date, as_of)


def write_ops_report(paths: Paths, settings: Settings | None = None) -> Path | None:
    """The ops report from the published marts (reports/latest.html and the dated copy, the
    headline chart as PNG and SVG); its path, or None when it could not be written. The marts
    are published by then, so a report that fails is logged (with why), not raised: the load
    it follows has succeeded."""
    from ccpipe.report import write_report

    try:
        return write_report(paths, settings=settings or load_settings(paths)).html
    except Exception:
        log.warning("the ops report could not be written", exc_info=True)
        return None


def after_publish(paths: Paths, settings: Settings | None = None) -> Path | None:
    """Once per run, after its last publish: what it left beside the marts ages out
    (retention), the Data Docs the gates deferred are rendered, and the ops report is
    written (its path returned, None when it could not be)."""
    from ccpipe.quality import render_deferred_docs

    settings = settings or load_settings(paths)
    with holding_home(paths):
        prune(paths, settings.retention_days)
        render_deferred_docs(paths)
    return write_ops_report(paths, settings)


def check_fcr_target(
    paths: Paths, load_date: str, min_sample: int | None = None, report: Path | None = None
):
    """Step 6: the date's FCR, overall and per queue, against fcr_target (read-only);
    `report` is the ops report this run wrote, which its notice links."""
    from ccpipe.monitor import read_fcr_breaches

    return read_fcr_breaches(paths, load_date, min_sample, report)


def refuse_missing_landing(paths: Paths, load_date: str, settings: Settings) -> None:
    """Refuse a date some active feed has no landing file for, naming the empty folders,
    before anything runs (the DAG's sensor waits for them instead)."""
    empty = [
        paths.landing_dir(feed, load_date).relative_to(paths.home).as_posix()
        for feed in missing_feeds(paths, load_date, settings)
    ]
    if empty:
        folders = ", ".join(empty[:-1]) + (" and " if len(empty) > 1 else "") + empty[-1]
        raise NoLandingFilesError(f"no files for {load_date} in {folders}")


@dataclass(frozen=True)
class DateRun:
    """What one date's load did: rows in, and the FCR check of its published marts (with the
    ops report the run wrote after its last publish, if this date's run wrote it)."""

    load_date: str
    loads: dict[str, FeedLoad]
    check: FcrCheck
    report_failed: bool = False

    def summary(self) -> str:
        loaded = sum(load.rows_loaded for load in self.loads.values())
        quarantined = sum(load.rows_quarantined for load in self.loads.values())
        notable = len(self.check.notable)
        if self.check.report:
            report = f"; report: {self.check.report}"
        else:
            report = "; the ops report could not be written" if self.report_failed else ""
        return (
            f"{loaded:,} rows loaded, {quarantined:,} quarantined; FCR under target in "
            f"{len(self.check.breaches)} row(s), {notable} significant on >= "
            f"{self.check.min_sample} contacts{report}"
        )


@contextmanager
def quietly(step: str) -> Iterator[None]:
    yield


def run_date(
    load_date: str,
    as_of: datetime | None = None,
    paths: Paths | None = None,
    progress: Callable[[str], AbstractContextManager[None]] = quietly,
) -> DateRun:
    """The whole daily load for one logical date: the steps the DAG runs as tasks."""
    return run_dates([load_date], as_of, paths, progress)[0]


def run_dates(
    dates: list[str],
    as_of: datetime | None = None,
    paths: Paths | None = None,
    progress: Callable[[str], AbstractContextManager[None]] = quietly,
    on_date: Callable[[DateRun], None] = lambda done: None,
) -> list[DateRun]:
    """The daily load of each date, in order (`ccpipe run`). What can be known up front (the
    home, the settings, the as_of, every date's landing files) is checked before anything is
    written; `progress(label)` wraps each step (a terminal shows it) and `on_date` hears of
    each date once its marts are published. Every date is ingested and its feeds gated on its
    own. Into a home that has never built its marts, a range is then built, gated and
    published once (a full build judged at the last date's as_of: the marts loading the dates
    one by one ends with); onto a history, date by date (each an incremental build; the marts
    gate compares each with the publication before it). Retention, the deferred Data Docs
    and the ops report come once, after the last publish."""
    from ccpipe.monitor import report
    from ccpipe.publication.state import build_basis
    from ccpipe.quality import render_deferred_docs

    paths = paths or Paths.from_env()
    check_home(paths)
    settings = use_settings(paths)
    with holding_home(paths):
        check_settings_unchanged(paths, settings)
        judged_at(paths, dates[-1], as_of)
        for load_date in dates:
            refuse_missing_landing(paths, load_date, settings)
        paths.ensure()
        try:
            if len(dates) > 1 and build_basis(paths) is None:
                loads = load_range_at_once(paths, dates, as_of, settings, progress)
            else:
                loads = {}
                for load_date in dates:
                    loads[load_date] = load_one_date(paths, load_date, as_of, settings, progress)
        except BaseException:
            with contextlib.suppress(Exception):  # the pages of the gates that passed before
                render_deferred_docs(paths)
            raise
    with progress(f"{dates[-1]} 6/7 ops report"):
        written = after_publish(paths, settings)
    runs = []
    for load_date in dates:
        with progress(f"{load_date} 7/7 FCR check"):
            last = load_date == dates[-1]
            check = check_fcr_target(
                paths, load_date, settings.fcr_min_sample, written if last else None
            )
        report(check)
        runs.append(DateRun(load_date, loads[load_date], check, last and written is None))
        on_date(runs[-1])
    return runs


def load_one_date(
    paths: Paths,
    load_date: str,
    as_of: datetime | None,
    settings: Settings,
    progress: Callable[[str], AbstractContextManager[None]],
) -> dict[str, FeedLoad]:
    """Steps 1 to 5 of one date: ingest, feed gate, incremental build, marts gate, publish."""
    with progress(f"{load_date} 1/7 ingest"):
        loads = ingest(paths, load_date, settings)
    with progress(f"{load_date} 2/7 feed gate"):
        gate_feeds(paths, load_date, settings, defer_docs=True)
    with progress(f"{load_date} 3/7 dbt build"):
        judged = build_marts(paths, load_date, as_of, settings=settings)
    with progress(f"{load_date} 4/7 marts gate"):
        gate_marts(paths, load_date, defer_docs=True)
    with progress(f"{load_date} 5/7 publish"):
        publish(paths, load_date, judged)
    return loads


def load_range_at_once(
    paths: Paths,
    dates: list[str],
    as_of: datetime | None,
    settings: Settings,
    progress: Callable[[str], AbstractContextManager[None]],
) -> dict[str, dict[str, FeedLoad]]:
    """Steps 1 and 2 date by date (a failed feed gate stops the run before anything is
    built), then steps 3 to 5 once over every date."""
    loads = {}
    for load_date in dates:
        with progress(f"{load_date} 1/7 ingest"):
            loads[load_date] = ingest(paths, load_date, settings)
        with progress(f"{load_date} 2/7 feed gate"):
            gate_feeds(paths, load_date, settings, defer_docs=True)
    span = f"{dates[0]}..{dates[-1]}"
    judged = judged_at(paths, dates[-1], as_of)
    with progress(f"{span} 3/7 dbt build (every date)"):
        build_marts(paths, None, judged, full_refresh=True, settings=settings)
    with progress(f"{span} 4/7 marts gate"):
        gate_marts(paths, dates[-1], defer_docs=True)
    with progress(f"{span} 5/7 publish"):
        publish(paths, None, judged)
    return loads


def rebuild(as_of: datetime | None = None, paths: Paths | None = None) -> datetime:
    """Every date recomputed from the raw tables under the settings in force (a full refresh),
    gated and published, then the ops report: how a change of a restating setting reaches
    the marts. as_of defaults to the instant the marts were judged at (the end of the latest
    loaded date when none was recorded)."""
    from ccpipe.ingest import latest_loaded_date, reload_identity_map
    from ccpipe.publication.state import build_basis

    paths = paths or Paths.from_env()
    check_home(paths)
    settings = use_settings(paths)
    with holding_home(paths):
        basis = build_basis(paths)
        latest = latest_loaded_date(paths)
        if latest is None:
            raise ValueError(f"nothing loaded under {paths.home} yet: run `ccpipe run` first")
        as_of = judged_at(paths, latest.isoformat(), as_of or (basis[0] if basis else None))
        reload_identity_map(paths, latest.isoformat(), settings)  # restated under the map too
        build_marts(paths, None, as_of, full_refresh=True, settings=settings)
        gate_marts(paths, latest.isoformat(), restated=True, defer_docs=True)
        publish(paths, None, as_of)
    after_publish(paths, settings)
    return as_of


def date_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError(f"--end {end} is before --start {start}")
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def missing_feeds(paths: Paths, load_date: str, settings: Settings | None = None) -> list[str]:
    """The active feeds with no landing file for the date yet (what the DAG's sensor waits for)."""
    from ccpipe.contracts import SOURCES

    sources = (settings or load_settings(paths)).sources
    return [
        feed
        for feed in sources
        if not landing_files(paths.landing_dir(feed, load_date), SOURCES[feed].formats)
    ]


def summarise_loads(loads: dict[str, FeedLoad]) -> dict[str, dict[str, int]]:
    """Files and rows per feed, small and JSON-ready (an Airflow XCom, a log line)."""
    return {
        feed: {
            "files": len(load.files),
            "rows_loaded": load.rows_loaded,
            "rows_quarantined": load.rows_quarantined,
        }
        for feed, load in loads.items()
    }
