"""Realistic sample landing files for the three feeds (`ccpipe generate`).

Every random draw comes from a numpy generator seeded by (seed, calendar day, stream), so a
day's files depend only on the seed, the day and the volumes: never on `start` or `days`.
Generating 30 days then 31 rewrites the first 30 byte for byte, and generating one new day
alone gives the same files as generating it inside a long run. Contacts that reach into
later days (repeat contacts, ticket versions, late survey responses) are drawn on the day
they start and filed under the day they happen; so that the first generated day also
carries that spill-over, the generator quietly models `LOOKBACK_DAYS` days before `start`
without writing them.

Numbers are drawn with numpy; ids, timestamps and enums are formatted, and files written, by
DuckDB (gzip at level 1 in Python's zlib): no Python loop touches a row of the big feeds.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb

from ccpipe_sample.distributions import FEEDS, LOOKBACK_DAYS
from ccpipe_sample.files import DayWriter
from ccpipe_sample.model import DayModel, Volumes, volumes

__all__ = ["DayModel", "Volumes", "generate", "volumes"]


def generate(
    landing: Path,
    start: dt.date,
    days: int,
    contacts_per_day: int = 2000,
    seed: int = 7,
    faults: bool = False,
    **volume_overrides: int,
) -> dict[str, int]:
    """Write `days` days of calls, tickets and surveys under landing/<feed>/<YYYY-MM-DD>/.

    Returns the rows written per feed (fault rows included). volume_overrides:
    `call_legs_per_day`, `ticket_versions_per_day`, `survey_responses_per_day` (see
    `volumes`). The days before `start` are modelled but not written: their late ticket
    versions and survey answers do land in the first days, naming calls and tickets that no
    file holds (as in any export that starts mid-history).

    Files: each day one feed is split into 2-3 parts (a different feed every day); every file
    rotates through CSV, CSV.gz, JSONL and JSONL.gz, so each day holds at least three formats;
    about half the CSV files shuffle their column order. Files this function names
    (`<feed>_<YYYYMMDD>_*`) are replaced; other files in the folders are left alone.

    faults=True damages, per feed and day, rows // 400 rows (0.25%, at most three of each
    kind, none under 400 rows), taking the kinds in turn and carrying on the next day: a day
    of 3,200+ rows shows every kind, smaller days show them all within 8 days:
      calls:   queue missing; wrap_seconds "n/a"; started_at at hour 25; ended_at without
               offset; disposition "hung_up"; answered_at 90 s before started_at; resolved
               "maybe"; a second copy of a leg (same call_id, leg_seq) with wrap_seconds 999.
      tickets: category missing; reopen_count "one"; created_at at minute 75; created_at
               without offset; status "escalated"; a solved/closed version without
               solved_at; a second copy of a version (same ticket_id, updated_at) with
               agent_reply_count 9 (at the end of its file, as are the other duplicates).
      surveys: score missing; score "ten"; responded_at at hour 33; responded_at without
               offset; survey_type "rating"; score one above scale_max; an nps answer on a
               1-5 scale; a second response with the same response_id and another score.
    And on the last day one extra file, calls/<day>/calls_<YYYYMMDD>_resend.csv: 20 legs of
    new calls with no disposition column (a file the gate must refuse).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    model = DayModel(seed, volumes(contacts_per_day, **volume_overrides))
    written = dict.fromkeys(FEEDS, 0)
    last = start + dt.timedelta(days=days - 1)
    with duckdb.connect() as con, tempfile.TemporaryDirectory() as scratch:
        con.execute("set enable_progress_bar = false")
        for offset in range(-LOOKBACK_DAYS, days):
            day = start + dt.timedelta(days=offset)
            rows = model.day(day)
            if offset < 0:
                continue
            writer = DayWriter(con, Path(landing), Path(scratch), day, seed, faults)
            for feed in FEEDS:
                written[feed] += writer.write(feed, rows[feed])
            if faults and day == last:
                written["calls"] += writer.write_file_without_disposition()
    return written
