"""The deployment's customer-identity map, loaded whole into raw.customer_identities.

A CSV under CCPIPE_HOME (the setting identity_map, identities.csv by default) with columns
source, source_key, customer_id: the customer a vendor source's own key stands for (a
Zendesk requester_id, a caller's phone number, a survey's customer column), so that one
customer has one key across channels. Every ingest reloads it (bad rows quarantined, a file
that cannot be read refused); without the file the map is empty. dbt applies it in each
vendor source's mapping to the contact shapes; a changed map restates published numbers, so
it is part of what the marts remember (settings.restating).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ccpipe.contracts import IDENTITIES
from ccpipe.ingest.files import IngestError, content_digest, refuse_links_outside_home
from ccpipe.ingest.judging import file_counts, judge_stage, write_rows
from ccpipe.ingest.staging import create_stage, stage_csv
from ccpipe.paths import Paths
from ccpipe.settings import Settings
from ccpipe.warehouse import RAW_SCHEMA, Connection


def load_identities(con: Connection, paths: Paths, load_date: str, settings: Settings) -> int:
    """Replace the loaded identity map with the file's rows; the rows loaded (0 without it)."""
    path = paths.home / settings.identity_map
    feed = IDENTITIES
    started_at = datetime.now(UTC)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{feed.raw_table}")
        con.execute(f"delete from {RAW_SCHEMA}.quarantine where feed = ?", [feed.name])
        if not path.is_file():
            con.execute("commit")
            return 0
        label = path.relative_to(paths.home).as_posix()
        if not settings.allow_landing_outside_home:
            refuse_links_outside_home(path.parent, [path], paths.home)
        sha, _ = content_digest(path, label)
        create_stage(con, feed)
        con.execute("insert into stage_files values (?, ?)", [label, sha])
        stage_csv(con, feed, path, label)
        judge_stage(con, feed)
        write_rows(con, feed, load_date)
        loaded, quarantined = file_counts(con, feed).get(label, (0, 0))
        con.execute(
            f"insert into {RAW_SCHEMA}.load_audit values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', null, ?, ?)",
            [
                sha,
                feed.name,
                load_date,
                label,
                sha,
                path.stat().st_size,
                loaded + quarantined,
                loaded,
                quarantined,
                started_at,
                datetime.now(UTC),
            ],
        )
        con.execute("commit")
    except IngestError:
        con.execute("rollback")
        raise
    except BaseException:
        con.execute("rollback")
        raise
    return loaded
