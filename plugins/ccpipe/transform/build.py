"""The dbt build of the marts: one in-process `dbt build` per load, values from the run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.relations import dbt_target_dir
from ccpipe.settings import Settings, load_settings
from ccpipe.transform.dbt import as_of_text, invoke_dbt, raise_for_result


def build_docs(paths: Paths, settings: Settings | None = None) -> Path:
    """dbt's documentation site as one static page (descriptions, lineage, the ops report's
    exposure), from the working warehouse's catalog; returns its path."""
    result = invoke_dbt(
        paths, ["docs", "generate", "--static"], {}, settings or load_settings(paths)
    )
    raise_for_result(result, "dbt docs generate", paths)
    return dbt_target_dir(paths) / "static_index.html"


def run_dbt_build(
    paths: Paths,
    load_date: str | None,
    as_of: datetime,
    full_refresh: bool = False,
    settings: Settings | None = None,
) -> None:
    """Build staging, intermediate and marts with their data tests for one load.

    load_date limits the work to what that load can change (docs/incremental-design.md);
    None recomputes every date. as_of is the instant FCR maturity is judged at. Unit tests
    are excluded: they run in the test suite, not in every daily load.
    """
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    run_values = {"load_date": load_date, "as_of": as_of_text(as_of)}
    result = invoke_dbt(paths, args, run_values, settings or load_settings(paths))
    raise_for_result(result, f"dbt build (load_date={load_date})", paths)
