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
from ccpipe_sample.vendors import VENDOR_OF, Identities, VendorWriter, write_deployment

__all__ = ["VENDOR_OF", "DayModel", "Volumes", "generate", "volumes"]


def generate(
    landing: Path,
    start: dt.date,
    days: int,
    contacts_per_day: int = 2000,
    seed: int = 7,
    faults: bool = False,
    sources: tuple[str, ...] = FEEDS,
    **volume_overrides: int,
) -> dict[str, int]:
    """Write `days` days of calls, tickets and surveys under landing/<source>/<YYYY-MM-DD>/.

    `sources` names the shape of each feed: its canonical name (calls, tickets, surveys) or its
    vendor's (amazon_connect, zendesk, qualtrics: ccpipe_sample.vendors), the same contact
    center either way; a vendor source also writes, beside landing/, the settings.toml and
    identities.csv its deployment needs. A feed neither names is not written.

    Returns the rows written per source (fault rows included). volume_overrides:
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
    unknown = set(sources) - set(FEEDS) - set(VENDOR_OF.values())
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(sorted(unknown))}")
    vendors = {feed: VENDOR_OF[feed] for feed in FEEDS if VENDOR_OF[feed] in sources}
    if faults and vendors:
        raise ValueError("--faults damages the canonical feeds only")
    shapes = {feed: vendors.get(feed, feed) for feed in FEEDS if feed in {*sources, *vendors}}
    model = DayModel(seed, volumes(contacts_per_day, **volume_overrides))
    written = dict.fromkeys(shapes.values(), 0)
    identities = Identities()
    last = start + dt.timedelta(days=days - 1)
    with duckdb.connect() as con, tempfile.TemporaryDirectory() as scratch:
        con.execute("set enable_progress_bar = false")
        vendor_con = con.cursor()  # its own connection: the canonical writer's is left busy
        for offset in range(-LOOKBACK_DAYS, days):
            day = start + dt.timedelta(days=offset)
            rows = model.day(day)
            if offset < 0:
                continue
            writer = DayWriter(con, Path(landing), Path(scratch), day, seed, faults)
            vendor_writer = VendorWriter(vendor_con, Path(landing), Path(scratch), day)
            for feed, source in shapes.items():
                if feed in vendors:
                    identities.add(feed, rows[feed])
                    written[source] += vendor_writer.write(feed, rows[feed])
                else:
                    written[source] += writer.write(feed, rows[feed])
            if faults and day == last:
                written["calls"] += writer.write_file_without_disposition()
    if vendors:
        write_deployment(Path(landing).parent, tuple(shapes.values()), seed, identities)
    return written
