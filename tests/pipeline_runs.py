"""Real pipeline runs shared by the publishing and DAG tests: generated feeds, `ccpipe` processes,
and the marts they publish, read as plain rows to compare.

Built once per test session (module-level caches), copied into each test's own CCPIPE_HOME.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from ccpipe.paths import Paths

REPO = Path(__file__).resolve().parents[1]
CCPIPE = str(Path(sys.executable).with_name("ccpipe"))
DAYS = ("2026-11-02", "2026-11-03")
CONTACTS_PER_DAY = 300
SEED = 11

_scratch = Path(tempfile.mkdtemp(prefix="ccpipe-runs-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)


def cli_env(home: Path) -> dict[str, str]:
    return {**os.environ, "CCPIPE_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def ccpipe(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real `ccpipe` command line against one home."""
    result = subprocess.run(
        [CCPIPE, *args], env=cli_env(home), capture_output=True, text=True, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ccpipe {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


@functools.cache
def landing() -> Path:
    """Generated feeds for DAYS (small volumes, fixed seed), written once."""
    home = _scratch / "generated"
    ccpipe(
        home,
        "generate",
        "--start",
        DAYS[0],
        "--days",
        str(len(DAYS)),
        "--contacts-per-day",
        str(CONTACTS_PER_DAY),
        "--seed",
        str(SEED),
    )
    return home / "landing"


def new_home(parent: Path, name: str = "home") -> Paths:
    """A CCPIPE_HOME holding a copy of the generated landing files, nothing loaded yet."""
    home = parent / name
    shutil.copytree(landing(), home / "landing")
    return Paths(home.resolve()).ensure()


@functools.cache
def reference_home() -> Paths:
    """`ccpipe run --start --end` over DAYS: the marts every other path must reproduce."""
    paths = new_home(_scratch, "reference")
    ccpipe(paths.home, "run", "--start", DAYS[0], "--end", DAYS[-1])
    return paths


@functools.cache
def first_day_home() -> Paths:
    """DAYS[0] loaded and published: the state a test's second load starts from."""
    paths = new_home(_scratch, "first-day")
    ccpipe(paths.home, "run", "--date", DAYS[0])
    return paths


def copy_home(source: Paths, parent: Path, name: str = "home") -> Paths:
    target = parent / name
    shutil.copytree(source.home, target)
    return Paths(target.resolve())


def normalise(value):
    """Floats to 12 significant digits: the same sums in another order differ in the last bit."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def marts_snapshot(published_db: Path) -> dict[str, list[tuple]]:
    """Every published table's rows, sorted, floats normalised."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            table: sorted(
                (
                    tuple(map(normalise, row))
                    for row in con.execute(f"select * from marts.{table}").fetchall()
                ),
                key=repr,
            )
            for table in tables
        }


@functools.cache
def reference_snapshot() -> dict[str, list[tuple]]:
    return marts_snapshot(reference_home().published_db)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def day_after(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()
