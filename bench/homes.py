"""The scenarios' homes: generated landing files shared between runs, and the big day's
settled history."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench import (
    SEED,
    SETTLED,
    SETTLED_PARSE,
)
from bench.measure import daily_load
from ccpipe import pipeline
from ccpipe.contracts import FEEDS
from ccpipe.ingest import landing_files
from ccpipe.paths import Paths
from ccpipe.settings import SETTINGS_FILE
from ccpipe.transform import dbt_dirs
from ccpipe_sample import generate


def generate_days(landing: Path, days: list[date], **volumes: int) -> None:
    """The days not written yet, as `ccpipe generate --seed 7` writes them; days already
    written are kept, since a day's files depend only on the seed, its date and the volumes.
    A landing folder written at other volumes is refused (landing.json beside it says which)."""
    stamp = landing.with_name(f"{landing.name}.json")
    wanted = json.dumps(volumes, sort_keys=True)
    if stamp.exists() and stamp.read_text(encoding="utf-8") != wanted:
        raise SystemExit(
            f"bench: {landing} holds days generated at {stamp.read_text(encoding='utf-8')}, "
            f"not {wanted}: remove it or give another --workdir"
        )
    landing.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted, encoding="utf-8")
    todo = [d for d in days if not all(landing_files(landing / f / d.isoformat()) for f in FEEDS)]
    if not todo:
        print(f"  landing: {len(days)} day(s) already generated in {landing}")
        return
    print(f"  generating {len(todo)} day(s) from {todo[0]} to {todo[-1]} into {landing}")
    started = time.perf_counter()
    generate(landing, todo[0], (todo[-1] - todo[0]).days + 1, seed=SEED, **volumes)
    print(f"  generated in {time.perf_counter() - started:.0f} s")


def allow_shared_landing(home: Path) -> None:
    """The pipeline refuses landing folders that link outside the home unless the setting
    allow_landing_outside_home is true: a home reading a shared landing folder sets it."""
    (home / SETTINGS_FILE).write_text(
        "[pipeline]\nallow_landing_outside_home = true\n", encoding="utf-8"
    )


def home_with_landing(home: Path, landing: Path) -> Paths:
    """A new home (any earlier one removed) whose landing/ links to a shared landing folder."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing)
    allow_shared_landing(home)
    return Paths(home).ensure()


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(n) for n in range(count)]


def history_home(home: Path, landing: Path, reuse: bool) -> Paths:
    """A big-day home reading the shared landing folder. With reuse, its warehouse is put back
    as it was when its history settled (see settle_history), before the new day."""
    if not (reuse and (home / SETTLED).is_dir()):
        return home_with_landing(home, landing)
    paths = Paths(home)
    shutil.rmtree(paths.warehouse)
    copy_warehouse(home / SETTLED, paths.warehouse)
    # dbt's parse state as the history's last daily run left it, as the new day's run would
    # find it (a history settled before the state was kept: a full parse).
    if (home / SETTLED_PARSE).exists():
        shutil.copy2(home / SETTLED_PARSE, partial_parse_state(paths))
    else:
        partial_parse_state(paths).unlink(missing_ok=True)
    allow_shared_landing(home)
    return paths.ensure()


def partial_parse_state(paths: Paths) -> Path:
    return dbt_dirs(paths)["target"] / "partial_parse.msgpack"


def copy_warehouse(source: Path, target: Path) -> None:
    """Copy a warehouse folder and flush it to disk: the copy's writeback must not run into
    the timed stages."""
    shutil.copytree(source, target, symlinks=True)
    os.sync()


def loaded_days(paths: Paths) -> set[date]:
    if not paths.work_db.exists():
        return set()
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        rows = con.execute(
            "select load_date from raw.load_audit group by 1 "
            f"having count(distinct feed) = {len(FEEDS)}"
        ).fetchall()
    return {row[0] for row in rows}


def ingest_history(paths: Paths, days: list[date]) -> None:
    """Loads the days not loaded yet, so an interrupted history resumes where it stopped."""
    todo = sorted(set(days) - loaded_days(paths))
    started = time.perf_counter()
    for day in todo:
        pipeline.ingest(paths, day.isoformat())
    print(f"  ingested {len(todo)} history day(s) in {time.perf_counter() - started:.0f} s")


def settle_history(paths: Paths, history: list[date]) -> None:
    """Marts over the history but its last day (one full refresh, gated and published as
    pipeline.load_range_at_once does); then the last day's daily load, so that the new day
    finds what a daily run leaves (its publish patches the spare generation). The warehouse
    is kept for --reuse-history."""
    started = time.perf_counter()
    day = history[-2].isoformat()
    as_of = pipeline.build_marts(paths, None, pipeline.end_of_date(day), full_refresh=True)
    pipeline.gate_marts(paths, day, defer_docs=True)
    pipeline.publish(paths, None, as_of)
    print(f"  history but its last day built, published in {time.perf_counter() - started:.0f} s")
    daily_load(paths, history[-1])
    copy_warehouse(paths.warehouse, paths.home / SETTLED)
    shutil.copy2(partial_parse_state(paths), paths.home / SETTLED_PARSE)
