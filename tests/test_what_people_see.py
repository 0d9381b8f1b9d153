"""What a person sees: every refusal is one line in their words, said before anything is
written when it can be known up front; a load shows its steps on a terminal and ends each date
with a summary; bad inputs that used to slip through are refused or carried intact; a home
does not grow without bound; the gate results open offline."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import (
    CCPIPE,
    DAYS,
    ccpipe,
    cli_env,
    copy_home,
    file_digest,
    first_day_home,
    new_home,
)

from ccpipe.home import holding_home
from ccpipe.paths import Paths

from conftest import leg, survey, write_csv

DAY = "2026-11-03"


def details(paths: Paths) -> str:
    return f" (details: {paths.home / 'logs' / 'ccpipe.log'})"


@pytest.mark.parametrize("text", ["2026-13-01", "yesterday", "11/03/2026"])
def test_a_malformed_date_names_the_format(tmp_path: Path, text: str) -> None:
    refused = ccpipe(tmp_path, "run", "--date", text, check=False)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"ccpipe run: argument --date: {text!r} is not a date: write it as YYYY-MM-DD, "
        "e.g. 2026-11-03 (see ccpipe run -h)\n"
    )
    assert "--date YYYY-MM-DD" in ccpipe(tmp_path, "run", "-h").stdout


def test_a_date_without_landing_files_is_refused_naming_the_empty_folders(tmp_path) -> None:
    paths = new_home(tmp_path)
    started = time.monotonic()
    refused = ccpipe(paths.home, "run", "--date", "2026-11-20", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "ccpipe run: NoLandingFilesError: no files for 2026-11-20 in landing/calls/2026-11-20, "
        "landing/tickets/2026-11-20 and landing/surveys/2026-11-20" + details(paths)
    )
    assert time.monotonic() - started < 10  # no gate, no dbt
    assert not paths.work_db.exists()


def test_a_mistyped_home_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    home = tmp_path / "no-such-home"
    refused = ccpipe(home, "run", "--date", DAY, check=False)
    assert refused.stderr.strip() == (
        f"ccpipe run: HomeError: CCPIPE_HOME {home} does not exist: set CCPIPE_HOME (or "
        "--home) to your ccpipe home; `ccpipe generate` makes a sample one"
    )
    assert not home.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("not a home")
    refused = ccpipe(a_file, "run", "--date", DAY, check=False)
    assert (
        refused.stderr.strip()
        == f"ccpipe run: HomeError: CCPIPE_HOME {a_file} is a file, not a folder"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = ccpipe(elsewhere, "run", "--date", DAY, check=False)
    assert "has no landing/ folder" in refused.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_second_load_on_a_held_home_is_refused_before_it_touches_anything(tmp_path) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    work, published = file_digest(paths.work_db), file_digest(paths.published_db)
    with holding_home(paths, command=f"ccpipe run --date {DAYS[1]}"):
        started = time.monotonic()
        refused = ccpipe(paths.home, "run", "--date", DAYS[1], check=False)
    assert refused.returncode == 1
    line = refused.stderr.strip()
    assert line.startswith(
        f"ccpipe run: HomeBusyError: another load holds {paths.home}: pid {os.getpid()} "
        f"(`ccpipe run --date {DAYS[1]}`, since "
    )
    assert line.endswith("; wait for it to finish or stop it" + details(paths))
    assert time.monotonic() - started < 10
    assert (file_digest(paths.work_db), file_digest(paths.published_db)) == (work, published)
    ccpipe(paths.home, "run", "--date", DAYS[1])  # once the home is free, the load runs


def test_a_backfill_prints_one_summary_line_a_date_and_no_warnings(tmp_path) -> None:
    paths = new_home(tmp_path)
    done = ccpipe(paths.home, "run", "--start", DAYS[0], "--end", DAYS[1])
    lines = done.stdout.splitlines()
    assert [line.split(": done: ")[0] for line in lines] == [f"ccpipe run {d}" for d in DAYS]
    for line in lines:
        assert " rows loaded, " in line and " quarantined; FCR under target in " in line
    assert lines[0].endswith("significant on >= 30 contacts")
    assert lines[1].endswith(f"significant on >= 30 contacts; report: {paths.latest_report}")
    assert done.stderr == ""
    log = (paths.home / "logs" / "ccpipe.log").read_text()
    assert "FCR target breach" in log  # the breaches' details, for whoever wants them


def test_a_terminal_shows_each_step_as_it_runs(tmp_path) -> None:
    paths = new_home(tmp_path)
    controller, terminal = pty.openpty()
    load = subprocess.Popen(
        [CCPIPE, "run", "--date", DAYS[0]],
        env=cli_env(paths.home),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    while True:  # until the terminal closes (EIO): the load has ended
        if select.select([controller], [], [], 0.2)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif load.poll() is not None:
            break
    os.close(controller)
    text = seen.decode(errors="replace")
    assert load.wait(timeout=60) == 0
    steps = ("1/7 ingest", "2/7 feed gate", "3/7 dbt build", "4/7 marts gate", "5/7 publish")
    for step in (*steps, "6/7 ops report", "7/7 FCR check"):
        assert f"{DAYS[0]} {step}" in text
    assert f"ccpipe run {DAYS[0]}: done: " in text


def test_a_calls_file_whose_column_arrives_renamed_is_refused_by_name(tmp_path) -> None:
    paths = new_home(tmp_path)
    calls = paths.landing_dir("calls", DAYS[0])
    original = sorted(calls.iterdir())[0]
    renamed = calls / "renamed.csv"
    columns = [c if c != "resolved" else "is_resolved" for c in leg()]
    write_csv(paths, "calls", DAYS[0], "renamed.csv", [leg(call_id="RN1")], columns)
    refused = ccpipe(paths.home, "run", "--date", DAYS[0], check=False)
    assert refused.returncode == 1
    assert (
        f"calls/{DAYS[0]}/renamed.csv: missing column(s) resolved; it has is_resolved, which "
        "the contract does not know: renamed?"
    ) in refused.stderr
    assert original.exists()
    renamed.unlink()
    ccpipe(paths.home, "run", "--date", DAYS[0])


def test_a_16_mb_survey_comment_in_csv_loads_byte_for_byte(paths: Paths) -> None:
    from ccpipe.ingest import ingest_date

    comment = ("نظر " * 4_200_000)[:16_800_000] + "\n✓ end"
    write_csv(
        paths, "surveys", DAY, "long.csv", [survey(comment=comment), survey(response_id="R2")]
    )
    load = ingest_date(paths, DAY, feeds=("surveys",))["surveys"]
    assert (load.rows_loaded, load.rows_quarantined) == (2, 0)
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        [(stored,)] = con.execute(
            "select comment from raw.survey_responses where response_id = 'R1'"
        ).fetchall()
    assert stored.encode("utf-8") == comment.encode("utf-8")


def test_a_landing_folder_linked_outside_the_home_is_refused_unless_allowed(
    tmp_path: Path, monkeypatch
) -> None:
    from ccpipe.ingest import IngestError, ingest_date
    from ccpipe.settings import load_settings

    paths = Paths(tmp_path / "home").ensure()
    outside = tmp_path / "export"
    outside.mkdir()
    write_csv(Paths(outside), "calls", DAY, "calls.csv", [leg()])
    paths.landing_dir("calls", DAY).parent.mkdir(parents=True)
    paths.landing_dir("calls", DAY).symlink_to(outside / "landing" / "calls" / DAY)
    with pytest.raises(IngestError) as refused:
        ingest_date(paths, DAY, feeds=("calls",))
    assert str(refused.value) == (
        f"landing/calls/{DAY}: is a link to {outside / 'landing' / 'calls' / DAY}, outside "
        "CCPIPE_HOME; set allow_landing_outside_home = true ([pipeline] in settings.toml) to "
        "read it"
    )
    monkeypatch.setenv("CCPIPE_ALLOW_LANDING_OUTSIDE_HOME", "true")
    settings = load_settings(paths)
    assert settings.allow_landing_outside_home
    load = ingest_date(paths, DAY, feeds=("calls",), settings=settings)["calls"]
    assert load.rows_loaded == 1


def test_results_older_than_the_retention_are_removed(tmp_path: Path) -> None:
    from ccpipe.retention import prune

    paths = Paths(tmp_path / "home").ensure()
    old_result = paths.gx_dir / "uncommitted/validations/calls/run-old/x.json"
    new_page = paths.gx_dir / "uncommitted/data_docs/local_site/validations/calls/run-new/x.html"
    old_log = paths.home / "dbt/logs/dbt.log.1"
    old_report, old_latest = paths.dated_report("2026-01-31"), paths.latest_report
    old_bundle = paths.reports / ".cache/vega-embed.js"
    for path in (old_result, new_page, old_log, old_report, old_latest, old_bundle):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    long_ago = time.time() - 91 * 86_400
    for path in (old_result, old_log, old_report, old_latest, old_bundle):
        os.utime(path, (long_ago, long_ago))

    assert prune(paths, retention_days=90) == 3
    assert not old_result.exists() and not old_result.parent.exists() and not old_log.exists()
    assert not old_report.exists()
    assert new_page.exists() and old_latest.exists() and old_bundle.exists()


def test_a_failed_gate_names_a_results_page_that_opens_offline(tmp_path) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    bad = [leg(call_id=f"X{n}", direction="sideways") for n in range(200)]
    write_csv(paths, "calls", DAYS[1], "late_export.csv", bad)
    stopped = ccpipe(paths.home, "run", "--date", DAYS[1], check=False)
    page = paths.gx_dir / "results.html"
    assert f"Results page (opens offline): {page}" in stopped.stdout
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text  # nothing to fetch
    assert "<td>calls</td><td>raw.call_legs where _load_date = 2026-11-03</td>" in text
    assert '<span class="failed">1 of 22 failed</span>' in text
    assert "<li>expect_table_row_count_to_be_between($min_rows_loaded): " in text


def test_documented_variables_are_the_ones_the_code_reads() -> None:
    """Every CCPIPE_ variable the docs name is one the code reads (a setting's, or one named
    in the code or its configuration files), and every setting is in the settings table."""
    from ccpipe.settings import ENV_PREFIX, setting_fields

    repo = Path(__file__).parents[1]
    names = re.compile(r"CCPIPE_[A-Z_]+")
    settings = {ENV_PREFIX + field.name.upper() for field in setting_fields()}
    code = [*repo.glob("plugins/**/*.py"), *repo.glob("dags/*.py"), *repo.glob("tools/**/*.py")]
    code += [repo / f for f in ("profiles.yml", "docker-compose.yml", "Dockerfile", "Makefile")]
    read = settings | {n for path in code for n in names.findall(path.read_text())}
    docs = [repo / "README.md", repo / "bench" / "README.md", *repo.glob("docs/*.md")]
    for doc in docs:
        documented = set(names.findall(doc.read_text()))
        assert documented <= read, (doc.name, sorted(documented - read))
    table = (repo / "docs" / "operations.md").read_text()
    assert [name for name in sorted(settings) if f"| `{name}` |" not in table] == []


def test_running_out_of_memory_is_said_so_and_blames_no_file(tmp_path) -> None:
    paths = new_home(tmp_path)
    env = {"CCPIPE_DUCKDB_MEMORY_LIMIT": "8MB"}
    starved = subprocess.run(
        [CCPIPE, "run", "--date", DAYS[0]],
        env={**cli_env(paths.home), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert starved.returncode == 1
    assert starved.stderr.strip() == (
        "ccpipe run: OutOfMemoryException: DuckDB ran out of memory within its budget "
        "duckdb_memory_limit = 8MB: raise it (CCPIPE_DUCKDB_MEMORY_LIMIT, or [pipeline] in "
        "settings.toml) and run the date again" + details(paths)
    )
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        failed = con.execute("select count(*) from raw.load_audit where status = 'failed'")
        assert failed.fetchone() == (0,)
    ccpipe(paths.home, "run", "--date", DAYS[0])  # with its budget back, the date loads


def test_a_full_disk_under_dbt_logs_adds_no_noise(tmp_path) -> None:
    """dbt's log file on a device that is always full (/dev/full): the load goes on, and
    stderr carries no logging tracebacks."""
    paths = new_home(tmp_path)
    logs = paths.home / "dbt" / "logs"
    logs.mkdir(parents=True)
    (logs / "dbt.log").symlink_to("/dev/full")
    done = ccpipe(paths.home, "run", "--date", DAYS[0])
    assert "Logging error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr == ""
