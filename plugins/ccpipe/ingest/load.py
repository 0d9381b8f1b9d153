"""The raw load of one date: each feed's landing files staged, judged and written in one
transaction that replaces the date's rows, with one load_audit row per file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ccpipe.contracts import FEEDS, SOURCES, Feed
from ccpipe.ingest.amazon_connect import stage_contact_records
from ccpipe.ingest.files import (
    IngestError,
    content_digest,
    landing_files,
    refuse_links_outside_home,
)
from ccpipe.ingest.identities import load_identities
from ccpipe.ingest.judging import file_counts, judge_stage, write_rows
from ccpipe.ingest.qualtrics import stage_response_export
from ccpipe.ingest.staging import create_stage, stage_csv, stage_jsonl
from ccpipe.ingest.zendesk import stage_ticket_page
from ccpipe.paths import Paths
from ccpipe.settings import Settings
from ccpipe.warehouse import RAW_SCHEMA, Connection, connect, ensure_raw_schema, raw_table


@dataclass
class FileLoad:
    source_file: str
    sha256: str | None
    status: str  # loaded | skipped_duplicate | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str | None = None


@dataclass
class FeedLoad:
    feed: str
    load_date: str
    files: list[FileLoad] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def delivered_before(con: Connection, feed: Feed, load_date: str) -> dict:
    """Content already loaded for another date: sha256 -> (file, date)."""
    rows = con.execute(
        f"""
        select sha256, source_file, load_date from {RAW_SCHEMA}.load_audit
        where feed = ? and status = 'loaded' and load_date <> ?
        """,
        [feed.name, load_date],
    ).fetchall()
    return {sha: (source_file, str(date)) for sha, source_file, date in rows}


def record_audit(
    con: Connection,
    load_id: str,
    result: FeedLoad,
    sizes: dict[str, int],
    started_at: datetime,
) -> None:
    finished_at = datetime.now(UTC)
    rows = [
        (
            load_id,
            result.feed,
            result.load_date,
            f.source_file,
            f.sha256,
            sizes.get(f.source_file),
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.status,
            f.message,
            started_at,
            finished_at,
        )
        for f in result.files
    ] or [
        (
            load_id,
            result.feed,
            result.load_date,
            None,
            None,
            None,
            0,
            0,
            0,
            "missing",
            "no file landed for this date",
            started_at,
            finished_at,
        )
    ]
    con.executemany(
        f"insert into {RAW_SCHEMA}.load_audit values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def stage_file(
    con: Connection, feed: Feed, path: Path, label: str, lines: int, settings: Settings
) -> None:
    """A landing file's records into the stage, by its source's reader."""
    if feed.name == "amazon_connect":
        stage_contact_records(con, feed, path, label, lines, settings.amazon_connect)
    elif feed.name == "zendesk":
        stage_ticket_page(con, feed, path, label, settings.zendesk)
    elif feed.name == "qualtrics":
        stage_response_export(con, feed, path, label, settings.qualtrics)
    elif path.name.endswith((".jsonl", ".jsonl.gz")):
        stage_jsonl(con, feed, path, label, lines)
    else:
        stage_csv(con, feed, path, label)


def ingest_feed(
    con: Connection,
    paths: Paths,
    feed: Feed,
    load_date: str,
    settings: Settings | None = None,
) -> FeedLoad:
    """Load one feed's files for one date, replacing whatever that date held before."""
    settings = settings or Settings()
    started_at = datetime.now(UTC)
    load_id = uuid.uuid4().hex
    result = FeedLoad(feed.name, load_date)
    folder = paths.landing_dir(feed.name, load_date)
    files = landing_files(folder, feed.formats)
    seen = delivered_before(con, feed, load_date)
    sizes: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        if not settings.allow_landing_outside_home:
            refuse_links_outside_home(folder, files, paths.home)
        con.execute(f"delete from {RAW_SCHEMA}.{feed.raw_table} where _load_date = ?", [load_date])
        con.execute(
            f"delete from {RAW_SCHEMA}.quarantine where feed = ? and load_date = ?",
            [feed.name, load_date],
        )
        create_stage(con, feed)
        for path in files:
            label = path.relative_to(paths.landing).as_posix()
            sha, lines = content_digest(path, label)
            sizes[label] = path.stat().st_size
            if sha in seen:
                first_file, first_date = seen[sha]
                result.files.append(
                    FileLoad(
                        label,
                        sha,
                        "skipped_duplicate",
                        message=f"same content as {first_file} (loaded for {first_date})",
                    )
                )
                continue
            seen[sha] = (label, load_date)
            con.execute("insert into stage_files values (?, ?)", [label, sha])
            stage_file(con, feed, path, label, lines, settings)
            result.files.append(FileLoad(label, sha, "loaded"))
        judge_stage(con, feed)
        write_rows(con, feed, load_date)
        counts = file_counts(con, feed)
        for loaded_file in result.files:
            if loaded_file.status == "loaded":
                loaded, quarantined = counts.get(loaded_file.source_file, (0, 0))
                loaded_file.rows_loaded, loaded_file.rows_quarantined = loaded, quarantined
                loaded_file.rows_read = loaded + quarantined
        record_audit(con, load_id, result, sizes, started_at)
        con.execute("commit")
    except IngestError as error:
        con.execute("rollback")
        failed = FeedLoad(
            feed.name,
            load_date,
            [FileLoad(file, None, "failed", message=str(error)) for file in error.problems],
        )
        record_audit(con, load_id, failed, sizes, started_at)
        raise
    except BaseException:
        con.execute("rollback")
        raise
    return result


def ingest_date(
    paths: Paths,
    load_date: str,
    feeds: tuple[str, ...] | None = None,
    settings: Settings | None = None,
) -> dict[str, FeedLoad]:
    """Load every feed's landing files for one date (and the identity map, whole); a refused
    file fails only its feed. The settings locate what vendor records keep and say whether a
    landing link may lead outside the home (their defaults when none are given).

    Returns {feed: FeedLoad}; raises IngestError naming every refused file after the other
    feeds have loaded.
    """
    paths.ensure()
    settings = settings or Settings()
    con = connect(paths.work_db)
    try:
        ensure_raw_schema(con)
        results: dict[str, FeedLoad] = {}
        problems: dict[str, str] = {}
        try:
            load_identities(con, paths, load_date, settings)
        except IngestError as error:
            problems |= error.problems
        for name in feeds or tuple(FEEDS):
            try:
                results[name] = ingest_feed(con, paths, SOURCES[name], load_date, settings)
            except IngestError as error:
                problems |= error.problems
    finally:
        con.close()
    if problems:
        raise IngestError(problems)
    return results


def reload_identity_map(paths: Paths, load_date: str, settings: Settings) -> int:
    """The identity map as it is now, loaded whole (what `ccpipe rebuild` restates under)."""
    con = connect(paths.work_db)
    try:
        ensure_raw_schema(con)
        return load_identities(con, paths, load_date, settings)
    finally:
        con.close()


def latest_loaded_date(paths: Paths) -> date | None:
    """The latest logical date any feed has rows loaded for (None before the first load)."""
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        dates = " union all ".join(
            f"select max(_load_date) as d from {raw_table(feed)}" for feed in SOURCES.values()
        )
        return con.execute(f"select max(d) from ({dates})").fetchone()[0]
