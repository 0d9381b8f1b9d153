"""The daily load, one step after another: the one code path the CLI and the DAG share.

ingest -> gate_feeds -> build_marts -> gate_marts -> publish -> check_fcr_target. Each step
is one DAG task; `run_date` runs them all in one process (ccpipe run). The steps own the
order and the bookkeeping between stages (the settings in force, the instant a build judges
FCR maturity at, the publication state); the stages themselves live in ccpipe.ingest,
.quality, .transform, .publication and .monitor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from ccpipe.home import check_home, holding_home
from ccpipe.ingest import FeedLoad, ingest_date, landing_files
from ccpipe.paths import Paths
from ccpipe.retention import prune
from ccpipe.settings import Settings, load_settings

if TYPE_CHECKING:
    from ccpipe.monitor import FcrCheck

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


def ingest(paths: Paths, load_date: str, settings: Settings | None = None) -> dict[str, FeedLoad]:
    """Step 1: the date's landing files of the active sources into the raw tables."""
    settings = settings or use_settings(paths)
    check_settings_unchanged(paths, settings)
    with holding_home(paths):
        return ingest_date(
            paths, load_date, settings.sources, settings.allow_landing_outside_home, settings
        )


def gate_feeds(paths: Paths, load_date: str, settings: Settings | None = None):
    """Step 2: the date's feed batches against their suites (GateError stops the load)."""
    from ccpipe.quality import validate_feeds

    settings = settings or use_settings(paths)
    with holding_home(paths):
        return validate_feeds(paths, load_date, feeds=settings.sources, settings=settings)


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

    settings = settings or use_settings(paths)
    if not full_refresh:
        check_settings_unchanged(paths, settings)
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


def gate_marts(paths: Paths, load_date: str, restated: bool = False):
    """Step 4: the rebuilt marts against their suites; only then are they publishable. A
    restatement (restated) is not compared with what it replaces."""
    from ccpipe.publication.state import mark_gated
    from ccpipe.quality import validate_marts

    with holding_home(paths):
        report = validate_marts(paths, load_date, compare_published=not restated)
        mark_gated(paths, load_date)
    return report


def publish(paths: Paths, load_date: str | None, as_of: datetime | None = None):
    """Step 5: the gated marts, atomically, to the published file BI reads."""
    from ccpipe.publication import publish_marts

    with holding_home(paths):
        return publish_marts(paths, load_date, as_of)


def check_fcr_target(paths: Paths, load_date: str, min_sample: int | None = None):
    """Step 6: the date's FCR, overall and per queue, against fcr_target (read-only)."""
    from ccpipe.monitor import read_fcr_breaches

    return read_fcr_breaches(paths, load_date, min_sample)


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
    """What one date's load did: rows in, and the FCR check of its published marts."""

    load_date: str
    loads: dict[str, FeedLoad]
    check: FcrCheck

    def summary(self) -> str:
        loaded = sum(load.rows_loaded for load in self.loads.values())
        quarantined = sum(load.rows_quarantined for load in self.loads.values())
        notable = len(self.check.notable)
        return (
            f"{loaded:,} rows loaded, {quarantined:,} quarantined; FCR under target in "
            f"{len(self.check.breaches)} row(s), {notable} significant on >= "
            f"{self.check.min_sample} contacts"
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
    """The whole daily load for one logical date: the steps the DAG runs as tasks. What can
    be known up front (the home, the settings, the as_of, the landing files) is checked before
    anything is written; `progress(label)` wraps each step (a terminal shows it)."""
    from ccpipe.monitor import report

    paths = paths or Paths.from_env()
    check_home(paths)
    settings = use_settings(paths)
    with holding_home(paths):
        check_settings_unchanged(paths, settings)
        judged_at(paths, load_date, as_of)
        refuse_missing_landing(paths, load_date, settings)
        paths.ensure()
        with progress(f"{load_date} 1/6 ingest"):
            loads = ingest(paths, load_date, settings)
        with progress(f"{load_date} 2/6 feed gate"):
            gate_feeds(paths, load_date, settings)
        with progress(f"{load_date} 3/6 dbt build"):
            as_of = build_marts(paths, load_date, as_of, settings=settings)
        with progress(f"{load_date} 4/6 marts gate"):
            gate_marts(paths, load_date)
        with progress(f"{load_date} 5/6 publish"):
            publish(paths, load_date, as_of)
        prune(paths, settings.retention_days)
    with progress(f"{load_date} 6/6 FCR check"):
        check = check_fcr_target(paths, load_date, settings.fcr_min_sample)
    report(check)
    return DateRun(load_date, loads, check)


def rebuild(as_of: datetime | None = None, paths: Paths | None = None) -> datetime:
    """Every date recomputed from the raw tables under the settings in force (a full refresh),
    gated and published: how a change of a restating setting reaches the marts. as_of
    defaults to the instant the marts were judged at (the end of the latest loaded date when
    none was recorded)."""
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
        gate_marts(paths, latest.isoformat(), restated=True)
        publish(paths, None, as_of)
        prune(paths, settings.retention_days)
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
