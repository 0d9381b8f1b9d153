"""A ccpipe home as a load finds it: checked before anything is written (a mistyped CCPIPE_HOME
is named, never silently created), and held by one load at a time.

The hold is an advisory lock (flock) on `$CCPIPE_HOME/ccpipe.lock`: the kernel releases it
when its process ends, however it ends, so a killed load never leaves the home locked. The
file itself says who holds it (pid, command, since), for the refusal of the next load.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ccpipe.paths import Paths

LOCK_FILE = "ccpipe.lock"
_HELD: dict[Path, int] = {}  # lock files this process holds, and how many holds are nested


class HomeError(RuntimeError):
    """CCPIPE_HOME is not a home a load can use; the message says what is wrong with it."""


class HomeBusyError(RuntimeError):
    """Another process is loading this home: transient, the load can run once it is done."""


def check_home(paths: Paths) -> None:
    """Refuse a home that does not exist, is a file, or has no landing folder."""
    home = paths.home
    if home.exists() and not home.is_dir():
        raise HomeError(f"CCPIPE_HOME {home} is a file, not a folder")
    if not home.exists():
        raise HomeError(
            f"CCPIPE_HOME {home} does not exist: set CCPIPE_HOME (or --home) to your ccpipe "
            "home; `ccpipe generate` makes a sample one"
        )
    if not paths.landing.is_dir():
        raise HomeError(
            f"CCPIPE_HOME {home} has no landing/ folder (landing/<feed>/<YYYY-MM-DD>/ holds "
            "the files to load): is CCPIPE_HOME right?"
        )


def holder_text(lock: Path) -> str:
    try:
        holder = json.loads(lock.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "a process that has not said which"
    return f"pid {holder['pid']} (`{holder['command']}`, since {holder['since']})"


@contextmanager
def holding_home(paths: Paths, command: str | None = None) -> Iterator[None]:
    """Hold the home for one load; refuse at once (HomeBusyError) when another process does.
    Holds nest within a process (a backfill holds it for each date it runs)."""
    lock = paths.home / LOCK_FILE
    if lock in _HELD:
        _HELD[lock] += 1
        try:
            yield
        finally:
            _HELD[lock] -= 1
        return
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HomeBusyError(
            f"another load holds {paths.home}: {holder_text(lock)}; wait for it to finish "
            "or stop it"
        ) from None
    holder = {
        "pid": os.getpid(),
        "command": command or " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(holder).encode())
    _HELD[lock] = 1
    try:
        yield
    finally:
        del _HELD[lock]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
