"""Timing a scenario: wall time and peak RSS, in-process by stage or a whole process."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil

from ccpipe import pipeline
from ccpipe.paths import Paths

CCPIPE = str(Path(sys.executable).with_name("ccpipe"))  # the venv's command, as a person runs it
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")  # `make bench`'s own, not for `make run`


@dataclass
class Outcome:
    """A scenario's result: one row of the table, and its details for results.json."""

    timed: str
    seconds: float
    floor_seconds: float
    targets: dict[str, bool]
    floor_differences: list[str]
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "timed": self.timed,
            "seconds": round(self.seconds, 3),
            "floor_seconds": round(self.floor_seconds, 3),
            "over_floor": round(self.seconds / self.floor_seconds, 2),
            "targets": self.targets,
            "floor_matches_pipeline": not self.floor_differences,
            "floor_differences": self.floor_differences[:20],
            **self.details,
        }


# Measuring ---------------------------------------------------------------------------------


class PeakRss:
    """Samples this process's resident memory in a thread; peak() since the last reset."""

    def __init__(self, interval: float = 0.02) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.value = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.stopped.wait(self.interval):
            self.value = max(self.value, self.process.memory_info().rss)

    def reset(self) -> None:
        self.value = self.process.memory_info().rss

    def peak(self) -> int:
        return max(self.value, self.process.memory_info().rss)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


@dataclass
class DailyLoad:
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(s["seconds"] for s in self.stages.values())

    @property
    def peak_rss_mb(self) -> float:
        return max(s["peak_rss_mb"] for s in self.stages.values())

    def as_json(self) -> dict:
        return {
            "stages": self.stages,
            "total_seconds": round(self.total_seconds, 3),
            "peak_rss_mb": self.peak_rss_mb,
        }


@contextmanager
def timed(stages: dict, name: str, rss: PeakRss) -> Iterator[None]:
    rss.reset()
    started = time.perf_counter()
    yield
    stages[name] = {
        "seconds": round(time.perf_counter() - started, 3),
        "peak_rss_mb": round(rss.peak() / 2**20, 1),
    }
    print(f"    {name:<16} {stages[name]['seconds']:7.2f} s  {stages[name]['peak_rss_mb']:8.0f} MB")


def daily_load(paths: Paths, day: date) -> DailyLoad:
    """A date's daily load in this process, each stage timed: the pipeline functions called as
    pipeline.run_dates calls them for one date (load_one_date, then after_publish and the FCR
    check)."""
    load, text, rss = DailyLoad(), day.isoformat(), PeakRss()
    settings = pipeline.use_settings(paths)
    pipeline.check_settings_unchanged(paths, settings)  # as run_dates, before its first date
    print(f"  daily load of {text} in this process, stage by stage:")
    with timed(load.stages, "ingest", rss):
        pipeline.ingest(paths, text, settings)
    with timed(load.stages, "gate_feeds", rss):
        pipeline.gate_feeds(paths, text, settings, defer_docs=True)
    with timed(load.stages, "build_marts", rss):
        judged = pipeline.build_marts(paths, text, None, settings=settings)
    with timed(load.stages, "gate_marts", rss):
        pipeline.gate_marts(paths, text, defer_docs=True)
    with timed(load.stages, "publish", rss):
        pipeline.publish(paths, text, judged)
    with timed(load.stages, "after_publish", rss):
        written = pipeline.after_publish(paths, settings)
    with timed(load.stages, "check_fcr_target", rss):
        pipeline.check_fcr_target(paths, text, settings.fcr_min_sample, written)
    rss.stop()
    print(f"    {'total':<16} {load.total_seconds:7.2f} s  {load.peak_rss_mb:8.0f} MB")
    return load


@functools.cache
def import_libraries() -> float:
    """Import GX and dbt, which a fresh process pays once (an Airflow task, a `ccpipe run`),
    and time it apart: the first daily load timed would otherwise carry it alone. The first
    call's time is every scenario's: a second import in the same process costs nothing."""
    started = time.perf_counter()
    import great_expectations.data_context  # noqa: F401
    from dbt.cli.main import dbtRunner  # noqa: F401

    seconds = time.perf_counter() - started
    print(f"  importing GX and dbt: {seconds:.2f} s (once per process)")
    return seconds


@dataclass
class ProcessRun:
    seconds: float
    peak_rss_mb: float


def run_process(args: list[str], home: Path, log: Path, cwd: Path | None = None) -> ProcessRun:
    """A command as a person runs it, in its own process with CCPIPE_HOME set, its output in
    `log`: the wall time, and the peak RSS of the process and its children (wait4)."""
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    env["CCPIPE_HOME"] = str(home)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"  $ {' '.join([Path(args[0]).name, *args[1:]])}")
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        tail = log.read_text(encoding="utf-8").splitlines()[-20:]
        print("\n".join(f"    | {line}" for line in tail))
        raise SystemExit(f"bench: {args[0]} exited with {process.returncode} (output: {log})")
    ran = ProcessRun(seconds, round(usage.ru_maxrss / 1024, 1))  # ru_maxrss is in KiB on Linux
    print(f"    {ran.seconds:.2f} s, peak RSS {ran.peak_rss_mb:.0f} MB (output: {log})")
    return ran


def ccpipe(home: Path, *args: str) -> ProcessRun:
    """`ccpipe <args>` on a home; its output in a log beside the home, named by the args."""
    log = home.parent / f"ccpipe-{'-'.join(arg.lstrip('-') for arg in args)}.log"
    return run_process([CCPIPE, *args], home, log)
