"""The quality gates: Great Expectations suites from expectations/ judge every load.

`gate_feeds` validates each feed's batch of one date (the rows ingest loaded into
raw.<table>) against the feed's whole suite: the row-level expectations ingest compiles to
SQL for the quarantine (ccpipe.rules) and the batch-level ones (meta.level = "batch": required
columns, a file for the date, no refused file, quarantined share, row count band).
`gate_marts` validates every mart of the working warehouse against its suite
(expectations/marts.<mart>.json) after dbt and before publishing. A failed expectation
raises GateError; the run stops before publishing, so the published marts stay as they were.

Every result is kept: one row per expectation in audit.validation_results of the working
warehouse, and GX Data Docs under $CCPIPE_HOME/gx/uncommitted/data_docs/local_site/.

Speed: GX runs on pandas. A batch is read from DuckDB as Arrow with only the columns the
suite checks; integers arrive as int64/float64 and timestamps as datetime64 (GX compares
those vectorised), low-cardinality strings dictionary-encoded as categoricals (cheap to
filter) and unique-key strings Arrow-backed. A 1M-row call-leg day validates in seconds.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb

from ccpipe.config import Paths, project_dir
from ccpipe.contracts import FEEDS
from ccpipe.rules import compile_expectation, load_suite, sql_literal, suite_path
from ccpipe.warehouse import RAW_SCHEMA, connect, ensure_raw_schema

log = logging.getLogger("ccpipe.quality")

AUDIT_SCHEMA = "audit"
MART_SCHEMA = "marts"
PUBLISHED = "published"  # catalog alias of the published marts.duckdb, attached read-only
FEED_ROW_ID = ("_source_file", "_source_line")  # how a failing raw row is named
# Expectations whose columns are keys: kept as Arrow strings, not categoricals.
UNIQUE_TYPES = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"}


# --------------------------------------------------------------------------- settings


DOCS_INDEX_RESULTS = 400  # about a month of daily runs (3 feed + 9 mart suites a day)


@dataclass(frozen=True)
class GateSettings:
    """The gate's thresholds; the one place they are set (environment, else these defaults).

    CCPIPE_MAX_BAD_ROW_SHARE        largest quarantined share of a feed's rows read (0.01)
    CCPIPE_ROW_COUNT_MIN_RATIO      lowest row count, as a multiple of the trailing median (0.5)
    CCPIPE_ROW_COUNT_MAX_RATIO      highest row count, as a multiple of that median (2.0)
    CCPIPE_ROW_COUNT_HISTORY_DAYS   dates before the load date the median looks at (7)
    """

    max_bad_row_share: float = 0.01
    row_count_min_ratio: float = 0.5
    row_count_max_ratio: float = 2.0
    row_count_history_days: int = 7
    failing_rows: int = 5  # failing rows shown per expectation in the error

    ENV = {
        "max_bad_row_share": "CCPIPE_MAX_BAD_ROW_SHARE",
        "row_count_min_ratio": "CCPIPE_ROW_COUNT_MIN_RATIO",
        "row_count_max_ratio": "CCPIPE_ROW_COUNT_MAX_RATIO",
        "row_count_history_days": "CCPIPE_ROW_COUNT_HISTORY_DAYS",
    }

    def __post_init__(self) -> None:
        if not 0 <= self.max_bad_row_share <= 1:
            raise ValueError(f"max_bad_row_share {self.max_bad_row_share} is not in [0, 1]")
        if not 0 <= self.row_count_min_ratio <= 1 <= self.row_count_max_ratio:
            raise ValueError(
                f"row count band [{self.row_count_min_ratio}, {self.row_count_max_ratio}] "
                "must hold 1 (min ratio in [0, 1], max ratio >= 1)"
            )
        if self.row_count_history_days < 1:
            raise ValueError("row_count_history_days must be at least 1")

    @classmethod
    def from_env(cls) -> GateSettings:
        values: dict[str, Any] = {}
        for name, variable in cls.ENV.items():
            text = os.environ.get(variable, "").strip()
            if not text:
                continue
            kind = int if name == "row_count_history_days" else float
            try:
                values[name] = kind(text)
            except ValueError as error:
                raise ValueError(f"{variable}={text!r} is not a {kind.__name__}") from error
        return cls(**values)


# --------------------------------------------------------------------------- results


class GateError(Exception):
    """A quality gate failed. The message is a readable block naming the suite, the
    expectation, the observed value and a few failing rows; `reason` is its first line."""

    def __init__(self, block: str) -> None:
        super().__init__(block)
        self.reason = block.splitlines()[0]


@dataclass
class Outcome:
    """One expectation's verdict on one batch."""

    index: int  # position in the suite file
    expectation: dict[str, Any]  # as in the suite file
    label: str
    success: bool
    observed: str  # one line a person reads
    observed_value: Any  # JSON-able, for the history table
    result: dict[str, Any]
    failing_rows: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # what the observed value is made of


@dataclass
class Explanation:
    """Lines that explain a batch-level failure: how a parameter was computed, and rows."""

    context: list[str]
    rows: list[str] = field(default_factory=list)


@dataclass
class SuiteRun:
    """One suite validated against one batch."""

    suite: str
    batch: str  # what was validated, e.g. raw.call_legs where _load_date = ...
    rows: int
    parameters: dict[str, Any]
    outcomes: list[Outcome]
    seconds: float
    docs_page: str | None = None

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]


@dataclass
class GateReport:
    """Every suite a gate ran for one load date; `docs` is the Data Docs index."""

    stage: str
    load_date: str
    run_id: str
    suites: list[SuiteRun]
    docs: str | None = None

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    def summary(self) -> str:
        checks = sum(len(s.outcomes) for s in self.suites)
        seconds = sum(s.seconds for s in self.suites)
        return (
            f"quality gate ({self.stage}) {self.load_date}: {len(self.suites)} suite(s), "
            f"{checks} expectations passed in {seconds:.1f}s"
        )


# --------------------------------------------------------------------------- suites


def mart_suite_names() -> list[str]:
    """Every mart suite: one file per mart, because a GX suite validates one batch (table)."""
    folder = project_dir() / "expectations"
    return sorted(p.name.removesuffix(".json") for p in folder.glob(f"{MART_SCHEMA}.*.json"))


def parameter_names(value: Any) -> list[str]:
    """The $PARAMETER names an expectation's kwargs use."""
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return [value["$PARAMETER"]]
        return [name for v in value.values() for name in parameter_names(v)]
    if isinstance(value, list):
        return [name for v in value for name in parameter_names(v)]
    return []


def condition_columns(condition: dict[str, Any] | None) -> list[str]:
    if not condition:
        return []
    if condition.get("type") in ("and", "or"):
        return [c for part in condition["conditions"] for c in condition_columns(part)]
    return [condition["column"]["name"]]


def condition_words(condition: dict[str, Any] | None) -> str:
    if not condition:
        return ""
    if condition.get("type") in ("and", "or"):
        joiner = f" {condition['type']} "
        return joiner.join(condition_words(c) for c in condition["conditions"])
    column = condition["column"]["name"]
    if condition["type"] == "nullity":
        return f"{column} is {'null' if condition['is_null'] else 'not null'}"
    return f"{column} {condition['operator']} {condition['parameter']!r}"


def expectation_columns(expectation: dict[str, Any]) -> list[str]:
    """The columns an expectation reads, in order."""
    kwargs = expectation["kwargs"]
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += kwargs.get("column_list", [])
    if expectation["type"] == "expect_table_columns_to_match_set":
        columns += kwargs["column_set"]
    return columns + condition_columns(kwargs.get("row_condition"))


def suite_columns(suite: dict[str, Any]) -> list[str]:
    columns: list[str] = []
    for expectation in suite["expectations"]:
        for column in expectation_columns(expectation):
            if column not in columns:
                columns.append(column)
    return columns


def key_columns(suite: dict[str, Any]) -> set[str]:
    return {
        c
        for e in suite["expectations"]
        if e["type"] in UNIQUE_TYPES
        for c in expectation_columns(e)
    }


def label(expectation: dict[str, Any]) -> str:
    """How a person tells expectations apart: type(columns, $parameters) [when condition]."""
    kwargs = expectation["kwargs"]
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    columns += kwargs.get("column_list", [])
    columns += [f"${name}" for name in parameter_names(kwargs)]
    text = f"{expectation['type']}({', '.join(columns)})" if columns else expectation["type"]
    words = condition_words(kwargs.get("row_condition"))
    return f"{text} when {words}" if words else text


def kwargs_text(kwargs: dict[str, Any], parameters: dict[str, Any]) -> str:
    """The expectation's arguments, with each $PARAMETER shown with the value it got."""
    parts = []
    for key, value in kwargs.items():
        if key in ("column", "column_A", "column_B", "column_list", "row_condition"):
            continue
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
            name = value["$PARAMETER"]
            parts.append(f"{key}={short(parameters.get(name))} (${name})")
        else:
            parts.append(f"{key}={short(value)}")
    return ", ".join(parts)


def short(value: Any, limit: int = 160) -> str:
    text = plain(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any) -> str:
    """A value as a person reads it: null, 5, 'text', 2026-11-03 09:00:00+00:00, [a, b]."""
    import numpy as np
    import pandas as pd

    if isinstance(value, list):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(plain(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {plain(v)}" for k, v in value.items()) + "}"
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, np.datetime64):  # GX hands tz-aware columns back as naive UTC
        value = pd.Timestamp(value).tz_localize("UTC")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return "null"
        if value.is_integer():
            return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------- GX


class GxProject:
    """An ephemeral GX context (created once per process and gx folder: context set-up and
    the GX import are the slow part) whose suites come from expectations/ and whose
    validation results and Data Docs are written under $CCPIPE_HOME/gx/uncommitted/."""

    def __init__(self, gx_dir: Path) -> None:
        # GX chatters at INFO while importing and validating; keep the pipeline's log readable.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        self.root = gx_dir / "uncommitted"

        def files(folder: str) -> dict[str, str]:
            return {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(self.root / folder),
            }

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        config.stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": files("validations"),
        }
        config.data_docs_sites = {
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": files("data_docs/local_site"),
                # The index lists the newest results only, so refreshing it each run does
                # not grow with history; every page stays on disk and every result in
                # audit.validation_results.
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_INDEX_RESULTS,
                },
            }
        }
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.source = self.context.data_sources.add_pandas("ccpipe")
        self.definitions: dict[str, tuple[str, Any, dict[str, int]]] = {}

    @property
    def docs_index(self) -> Path:
        return self.root / "data_docs" / "local_site" / "index.html"

    def definition(self, suite: dict[str, Any]) -> tuple[Any, dict[str, int]]:
        """The validation definition of a suite as its file reads now (a changed file is
        picked up), and the position in the file of each expectation id."""
        from great_expectations.core import ExpectationSuite

        name = suite["name"]
        text = json.dumps(suite, sort_keys=True)
        cached = self.definitions.get(name)
        if cached and cached[0] == text:
            return cached[1], cached[2]
        gx_suite = self.context.suites.add_or_update(ExpectationSuite(**copy.deepcopy(suite)))
        if cached is None:
            asset = self.source.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("batch")
        else:
            batch = cached[1].data
        definition = self.context.validation_definitions.add_or_update(
            self.gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        positions = {e.id: i for i, e in enumerate(gx_suite.expectations)}
        self.definitions[name] = (text, definition, positions)
        return definition, positions

    def validate(
        self,
        suite: dict[str, Any],
        frame: Any,
        parameters: dict[str, Any],
        row_id: list[str],
        run_id: Any,
    ) -> tuple[list[tuple[int, Any]], Any]:
        """Run the suite on a frame; (suite position, GX result) in suite order, and the key
        of the stored validation result (for Data Docs)."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        definition, positions = self.definition(suite)
        result_format = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": 20,
            "unexpected_index_column_names": [c for c in row_id if c in frame.columns],
        }
        result = definition.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            result_format=result_format,
            run_id=run_id,
        )
        ordered = sorted((positions[r.expectation_config.id], r) for r in result.results)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite["name"]),
            run_id=run_id,
            batch_identifier=result.batch_id,
        )
        return ordered, key

    def build_docs(self, keys: list[Any], suites: list[str]) -> dict[Any, str]:
        """Render the new validation results (and their suites) and refresh the index."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        identifiers = keys + [ExpectationSuiteIdentifier(name=s) for s in suites]
        self.context.build_data_docs(resource_identifiers=identifiers)
        site = self.root / "data_docs" / "local_site" / "validations"
        return {
            key: str(site.joinpath(*key.to_tuple()[:-1], f"{key.to_tuple()[-1]}.html"))
            for key in keys
        }


_PROJECTS: dict[Path, GxProject] = {}


def gx_project(paths: Paths) -> GxProject:
    """The process's GX project for this CCPIPE_HOME (one context per process and home)."""
    root = paths.gx_dir
    if root not in _PROJECTS:
        _PROJECTS[root] = GxProject(root)
    return _PROJECTS[root]


def new_run_id(load_date: str) -> str:
    return f"{load_date}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------- batches


def table_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """Column -> DuckDB type of a table (empty when the table does not exist)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return dict(rows)


def select_expression(column: str, sql_type: str, source: str, alias: str | None = None) -> str:
    """A column as GX compares it fastest: small integers widened to BIGINT (int64)."""
    expr = f"{source}.{column}"
    if sql_type in INTEGER_TYPES:
        expr = f"cast({expr} as bigint)"
    return f"{expr} as {alias or column}"


def arrow_frame(table: Any, keys: set[str]) -> Any:
    """Arrow table -> pandas: strings dictionary-encoded (categorical) unless a key,
    keys Arrow-backed, numbers and timestamps as numpy (GX's vectorised paths)."""
    import pandas as pd
    import pyarrow as pa

    def is_text(kind: Any) -> bool:
        return (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or (hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))
        )

    columns = [
        column.dictionary_encode() if is_text(column.type) and name not in keys else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas(types_mapper=lambda kind: pd.ArrowDtype(kind) if is_text(kind) else None)


def quarantine_sample(
    con: duckdb.DuckDBPyConnection, feed: str, load_date: str, limit: int
) -> list[str]:
    rows = con.execute(
        f"""
        select source_file, source_line, reason from {RAW_SCHEMA}.quarantine
        where feed = ? and load_date = ? order by source_file, source_line limit {limit}
        """,
        [feed, load_date],
    ).fetchall()
    return [f"{file} line {line}: {reason}" for file, line, reason in rows]


def latest_load(con: duckdb.DuckDBPyConnection, feed: str, load_date: str) -> list[tuple]:
    """The load_audit rows of the date's latest load of a feed: file, status, loaded, message."""
    return con.execute(
        f"""
        select source_file, status, rows_loaded, message
        from {RAW_SCHEMA}.load_audit
        where feed = ? and load_date = ? and load_id = (
            select arg_max(load_id, started_at) from {RAW_SCHEMA}.load_audit
            where feed = ? and load_date = ?
        )
        order by source_file
        """,
        [feed, load_date, feed, load_date],
    ).fetchall()


def feed_parameters(
    con: duckdb.DuckDBPyConnection, feed: str, load_date: str, settings: GateSettings
) -> tuple[dict[str, Any], dict[str, Explanation]]:
    """The suite parameters of a feed's batch-level expectations, computed in DuckDB from
    the raw tables, the quarantine and raw.load_audit; and, per parameter (or column), what
    explains a failure of an expectation using it."""
    table = f"{RAW_SCHEMA}.{FEEDS[feed].raw_table}"
    loaded = con.execute(f"select count(*) from {table} where _load_date = ?", [load_date])
    rows_loaded = loaded.fetchone()[0]
    rows_quarantined = con.execute(
        f"select count(*) from {RAW_SCHEMA}.quarantine where feed = ? and load_date = ?",
        [feed, load_date],
    ).fetchone()[0]
    rows_read = rows_loaded + rows_quarantined
    allowed_bad = math.floor(Fraction(str(settings.max_bad_row_share)) * rows_read)
    audit = latest_load(con, feed, load_date)
    files_landed = [
        source_file
        for source_file, status, loaded_rows, _ in audit
        if source_file is not None and (status == "failed" or (status == "loaded" and loaded_rows))
    ]
    day = date.fromisoformat(load_date)
    history = con.execute(
        f"""
        select _load_date, count(*) from {table}
        where _load_date >= ? and _load_date < ? group by 1 order by 1
        """,
        [day - timedelta(days=settings.row_count_history_days), day],
    ).fetchall()
    row_count_min = row_count_max = None
    median = Fraction(0)
    if history:
        median = Fraction(statistics.median(n for _, n in history))
        row_count_min = math.floor(Fraction(str(settings.row_count_min_ratio)) * median)
        row_count_max = math.ceil(Fraction(str(settings.row_count_max_ratio)) * median)
    share = f"{rows_quarantined / rows_read:.2%}" if rows_read else "n/a"
    files = Explanation(
        [
            f"latest load: {source_file or '(no file)'}: {status}"
            + (f" ({message})" if message else "")
            for source_file, status, _, message in audit
        ]
        or ["raw.load_audit holds no load of this feed and date"]
    )
    band = "no history: no band"
    if history:
        band = (
            f"band [{row_count_min}, {row_count_max}] = [{settings.row_count_min_ratio}, "
            f"{settings.row_count_max_ratio}] x median {float(median):g}"
        )
    counts = Explanation(
        [
            f"rows per date, trailing {settings.row_count_history_days} days: "
            + (", ".join(f"{d} {n}" for d, n in history) or "none")
            + f"; {band}"
        ]
    )
    explanations = {
        "min_rows_loaded": Explanation(
            [
                f"rows read {rows_read} = loaded {rows_loaded} + quarantined "
                f"{rows_quarantined} ({share}); max_bad_row_share "
                f"{settings.max_bad_row_share} allows {allowed_bad}"
            ],
            quarantine_sample(con, feed, load_date, settings.failing_rows),
        ),
        "files_landed": files,
        "_source_file": files,
        "row_count_min": counts,
        "row_count_max": counts,
    }
    parameters = {
        "files_landed": files_landed,
        "min_rows_loaded": rows_read - allowed_bad,
        "row_count_min": row_count_min,
        "row_count_max": row_count_max,
    }
    return parameters, explanations


def fcr_window_settings() -> tuple[int, str]:
    """fcr_window_days and reporting_timezone, from dbt_project.yml's vars (one definition)."""
    import yaml

    text = (project_dir() / "dbt_project.yml").read_text(encoding="utf-8")
    variables = (yaml.safe_load(text) or {}).get("vars", {})
    return int(variables.get("fcr_window_days", 7)), str(variables.get("reporting_timezone", "UTC"))


def attach_published(con: duckdb.DuckDBPyConnection, paths: Paths) -> bool:
    """Attach the published marts.duckdb read-only (BI readers keep reading)."""
    if not paths.marts_db.exists():
        return False
    con.execute(f"attach {sql_literal(str(paths.marts_db))} as {PUBLISHED} (read_only)")
    return True


def mart_batch_sql(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    suite: dict[str, Any],
    load_date: str,
    published: bool,
) -> tuple[str, list[Any], str]:
    """SQL for a mart's batch: the suite's columns; `published_<col>` columns from the
    published marts.duckdb joined on the grain; `late_contact_rows` from this load's raw rows.
    Returns (sql, parameters, description)."""
    types = table_types(con, MART_SCHEMA, mart)
    grain = suite["meta"]["grain"]
    wanted = [c for c in dict.fromkeys(grain + suite_columns(suite))]
    own = [c for c in wanted if c in types]
    from_published = [c for c in wanted if c.startswith("published_")]
    source = f"{MART_SCHEMA}.{mart}"
    scope = source
    if suite["meta"].get("batch") == "rebuilt_dates" and table_types(
        con, "intermediate", "int_reporting_dates_rebuilt"
    ):
        source = f"({rule_breakers_sql(suite, mart)})"
        scope += (
            " (rows of the reporting dates this load rebuilt that break a row rule or share "
            "their grain key; every other row passes each expectation of the suite)"
        )
    if not from_published and "late_contact_rows" not in wanted:
        columns = ", ".join(select_expression(c, types[c], "m") for c in own)
        order = (
            " order by " + ", ".join(f"m.{c}" for c in grain) if set(grain) <= set(types) else ""
        )
        return f"select {columns} from {source} as m{order}", [], scope

    # A mart compared with its published self: full join on the grain, so a published row
    # that vanished is compared too.
    published_types = table_types_attached(con, PUBLISHED, MART_SCHEMA, mart) if published else {}
    needed = [c.removeprefix("published_") for c in from_published]
    if all(c in published_types for c in grain + needed):
        published_sql = f"select {', '.join(grain + needed)} from {PUBLISHED}.{MART_SCHEMA}.{mart}"
    else:
        published_sql = (
            "select "
            + ", ".join(f"cast(null as {types.get(c, 'varchar')}) as {c}" for c in grain + needed)
            + " where false"
        )
    select = [
        f"coalesce(m.{c}, p.{c}) as {c}" if c in grain else select_expression(c, types[c], "m")
        for c in own
    ]
    for column in from_published:
        original = column.removeprefix("published_")
        if types.get(original) == "BOOLEAN":
            select.append(f"coalesce(p.{original}, false) as {column}")
        else:
            select.append(select_expression(original, types.get(original, ""), "p", column))
    sql_parameters: list[Any] = []
    late = ""
    if "late_contact_rows" in wanted:
        window, zone = fcr_window_settings()
        late = f"""
        , late as (
            select cast(started_at at time zone {sql_literal(zone)} as date) as contact_date
            from {RAW_SCHEMA}.call_legs where _load_date = ?
            union all
            select cast(created_at at time zone {sql_literal(zone)} as date)
            from {RAW_SCHEMA}.ticket_versions where _load_date = ?
        ), late_days as (select contact_date, count(*) as n from late group by 1)"""
        sql_parameters = [load_date, load_date]
        select.append(
            "coalesce((select sum(l.n) from late_days as l where l.contact_date between "
            f"coalesce(m.reporting_date, p.reporting_date) and "
            f"coalesce(m.reporting_date, p.reporting_date) + {window}), 0)::bigint "
            "as late_contact_rows"
        )
    join = " and ".join(f"m.{c} is not distinct from p.{c}" for c in grain)
    sql = f"""
        with p as ({published_sql}){late}
        select {", ".join(select)}
        from {source} as m
        full join p on {join}
        order by {", ".join(f"coalesce(m.{c}, p.{c})" for c in grain)}
    """
    return sql, sql_parameters, scope + " vs published"


def rule_breakers_sql(suite: dict[str, Any], mart: str) -> str:
    """A fact table grows with history and its rows number millions a day: of the reporting
    dates this load rebuilt (the batch), only the rows that can fail the suite, found in
    DuckDB. A row that breaks none of the compiled row rules and whose grain key no other row
    of the batch holds passes every row and uniqueness expectation, so validating the rest
    in GX gives the same verdict at a fraction of the cost. Suites of such batches may hold
    nothing else."""
    grain = suite["meta"]["grain"]
    violations = []
    for expectation in suite["expectations"]:
        if expectation["type"] in UNIQUE_TYPES:
            columns = expectation["kwargs"].get("column_list") or [expectation["kwargs"]["column"]]
            if set(columns) != set(grain):
                raise ValueError(f"{suite['name']}: uniqueness must be on the grain {grain}")
            continue
        rule = compile_expectation(expectation)
        if rule is None:
            raise ValueError(
                f"{suite['name']}: {expectation['type']} is not a row rule; a batch of "
                "rebuilt dates holds row and grain-uniqueness rules only"
            )
        violations.append(f"({rule.violated})")
    table = f"{MART_SCHEMA}.{mart}"
    keys = ", ".join(grain)
    rebuilt = (
        f"select * from {table} where reporting_date in "
        "(select reporting_date from intermediate.int_reporting_dates_rebuilt)"
    )
    shared_keys = (
        f"select {keys}, true as _shared_key from rebuilt group by {keys} having count(*) > 1"
    )
    breaks = " or ".join(violations) or "false"
    return f"""
        with rebuilt as ({rebuilt}), shared as ({shared_keys})
        select rebuilt.* from rebuilt left join shared using ({keys})
        where shared._shared_key or {breaks}
    """


def table_types_attached(
    con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str
) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchall()
    return dict(rows)


# --------------------------------------------------------------------------- verdicts


def describe(expectation: dict[str, Any], result: Any) -> tuple[str, Any]:
    """(one line a person reads, JSON-able observed value) of a GX result."""
    res = result.result or {}
    info = result.exception_info or {}
    # GX reports an exception flat, or per metric that failed to compute.
    errors = [info] if "exception_message" in info else list(info.values())
    messages = [
        " ".join(str(e.get("exception_message")).split())
        for e in errors
        if isinstance(e, dict) and e.get("exception_message")
    ]
    if messages:
        message = "; ".join(dict.fromkeys(messages))
        return f"error: {message}", {"error": message}
    kind = expectation["type"]
    if kind == "expect_table_columns_to_match_set":
        missing = (res.get("details") or {}).get("mismatched", {}).get("missing", [])
        observed = res.get("observed_value")
        if missing:
            return f"missing column(s) {plain(missing)}; has {plain(observed)}", observed
        return f"columns {plain(observed)}", observed
    if kind == "expect_column_distinct_values_to_contain_set":
        missing = res.get("partial_missing_list") or []
        if missing:
            return f"missing {short(missing)}", {"missing": missing}
        return "all present", {"missing": []}
    if "unexpected_count" in res:
        count, total = res.get("unexpected_count") or 0, res.get("element_count") or 0
        counts = res.get("partial_unexpected_counts") or []
        if sum(c["count"] for c in counts) == count:  # GX counts within its sample only
            values = ", ".join(f"{short(c['value'], 80)} x{c['count']}" for c in counts[:5])
        else:
            values = "e.g. " + ", ".join(short(c["value"], 80) for c in counts[:5])
        share = f" ({count / total:.2%})" if total else ""
        text = f"{count} unexpected of {rows_text(total)}{share}"
        observed = {"unexpected_count": count, "element_count": total}
        if count and values:
            text += f": {values}"
            observed["values"] = [c["value"] for c in counts[:5]]
        return text, observed
    observed = res.get("observed_value")
    if kind == "expect_table_row_count_to_be_between":
        return rows_text(observed), observed
    if kind == "expect_column_unique_value_count_to_be_between":
        return f"{observed} distinct values", observed
    return short(observed), observed


def rows_text(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def failing_rows(expectation: dict[str, Any], result: Any, limit: int) -> list[str]:
    """A few failing rows named by their row id (file and line, or the mart's grain)."""
    res = result.result or {}
    rows = res.get("partial_unexpected_index_list") or []
    id_columns = res.get("unexpected_index_column_names") or []
    columns = [c for c in expectation_columns(expectation) if c not in id_columns]
    lines = []
    for row in rows[:limit]:
        if not isinstance(row, dict):
            lines.append(short(row))
            continue
        if id_columns[:2] == list(FEED_ROW_ID):
            where = f"{row.get('_source_file')} line {row.get('_source_line')}"
        else:
            where = ", ".join(f"{c}={plain(row.get(c))}" for c in id_columns)
        values = ", ".join(f"{c}={short(row[c], 80)}" for c in columns if c in row)
        lines.append(f"{where}: {values}" if values else where)
    return lines


def failure_block(report: GateReport) -> str:
    failed = [(s, o) for s in report.suites for o in s.failures]
    first_suite, first = failed[0]
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    rule = first.expectation.get("meta", {}).get("rule")
    what = f"{first.label} [{rule}]" if rule else first.label
    lines = [
        f"quality gate ({report.stage}) stopped the load of {report.load_date}: suite "
        f"{first_suite.suite}: {what}: {first.observed}{more}"
    ]
    for suite in report.suites:
        if suite.success:
            continue
        lines.append(
            f"suite {suite.suite} ({suite_path(suite.suite).relative_to(project_dir())}) on "
            f"{suite.batch}: {len(suite.failures)} of {len(suite.outcomes)} expectations "
            f"failed [run {report.run_id}]"
        )
        for outcome in suite.failures:
            rule = outcome.expectation.get("meta", {}).get("rule")
            lines.append(f"  FAILED #{outcome.index + 1} {outcome.label}")
            if rule:
                lines.append(f"    rule: {rule}")
            arguments = kwargs_text(outcome.expectation["kwargs"], suite.parameters)
            if arguments:
                lines.append(f"    expects: {arguments}")
            lines.append(f"    observed: {outcome.observed}")
            lines += [f"    context: {line}" for line in outcome.context]
            if outcome.failing_rows:
                lines.append("    failing rows:")
                lines += [f"      {row}" for row in outcome.failing_rows]
        if suite.docs_page:
            lines.append(f"  Data Docs: {suite.docs_page}")
    if report.docs:
        lines.append(f"Data Docs index: {report.docs}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- history


def ensure_audit_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {AUDIT_SCHEMA}.validation_results (
            run_id varchar not null,
            load_date date not null,
            stage varchar not null,
            suite varchar not null,
            expectation_index integer not null,
            expectation varchar not null,
            rule varchar,
            success boolean not null,
            observed varchar not null,
            observed_value json,
            failing_rows json,
            parameters json,
            result json,
            batch varchar not null,
            batch_rows bigint not null,
            data_docs_page varchar,
            validated_at timestamptz not null
        )
        """
    )


def write_history(con: duckdb.DuckDBPyConnection, report: GateReport, at: datetime) -> None:
    ensure_audit_schema(con)

    def as_json(value: Any) -> str:
        return json.dumps(value, default=str, ensure_ascii=False)

    rows = [
        (
            report.run_id,
            report.load_date,
            report.stage,
            suite.suite,
            outcome.index,
            outcome.label,
            outcome.expectation.get("meta", {}).get("rule"),
            outcome.success,
            outcome.observed,
            as_json(outcome.observed_value),
            as_json(outcome.failing_rows),
            as_json({p: suite.parameters.get(p) for p in parameter_names(outcome.expectation)}),
            as_json(outcome.result),
            suite.batch,
            suite.rows,
            suite.docs_page,
            at,
        )
        for suite in report.suites
        for outcome in suite.outcomes
    ]
    con.executemany(
        f"insert into {AUDIT_SCHEMA}.validation_results values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


# --------------------------------------------------------------------------- gates


def run_suite(
    project: GxProject,
    suite: dict[str, Any],
    frame: Any,
    parameters: dict[str, Any],
    row_id: list[str],
    run_id: Any,
    batch: str,
    settings: GateSettings,
    explanations: dict[str, Explanation] | None = None,
) -> tuple[SuiteRun, Any]:
    started = time.perf_counter()
    results, key = project.validate(suite, frame, parameters, row_id, run_id)
    outcomes = []
    for index, result in results:
        expectation = suite["expectations"][index]
        observed, observed_value = describe(expectation, result)
        rows, context = failing_rows(expectation, result, settings.failing_rows), []
        if not result.success and explanations:
            names = parameter_names(expectation["kwargs"]) + expectation_columns(expectation)
            found = [explanations[n] for n in names if n in explanations]
            for explanation in {id(e): e for e in found}.values():
                context += explanation.context
                rows += explanation.rows
        outcomes.append(
            Outcome(
                index=index,
                expectation=expectation,
                label=label(expectation),
                success=bool(result.success),
                observed=observed,
                observed_value=observed_value,
                result=result.result or {},
                failing_rows=rows if not result.success else [],
                context=context,
            )
        )
    run = SuiteRun(
        suite=suite["name"],
        batch=batch,
        rows=len(frame),
        parameters=parameters,
        outcomes=outcomes,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "suite %s on %s: %d rows, %d/%d expectations passed in %.2fs",
        run.suite,
        batch,
        run.rows,
        len(outcomes) - len(run.failures),
        len(outcomes),
        run.seconds,
    )
    return run, key


def finish(
    con: duckdb.DuckDBPyConnection,
    project: GxProject,
    report: GateReport,
    keys: list[Any],
) -> GateReport:
    """Render Data Docs, keep every result in the history table, raise when any failed."""
    pages = project.build_docs(keys, [s.suite for s in report.suites])
    for suite, key in zip(report.suites, keys, strict=True):
        suite.docs_page = pages.get(key)
    report.docs = str(project.docs_index)
    write_history(con, report, datetime.now(UTC))
    if not report.success:
        raise GateError(failure_block(report))
    log.info("%s", report.summary())
    return report


def gx_run_id(run_id: str) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))


def gate_feeds(
    paths: Paths,
    load_date: str,
    run_id: str | None = None,
    feeds: tuple[str, ...] | None = None,
    settings: GateSettings | None = None,
) -> GateReport:
    """Validate each feed's batch of one date against its whole suite; raise GateError
    (after recording every result) when any expectation fails."""
    settings = settings or GateSettings.from_env()
    run_id = run_id or new_run_id(load_date)
    project = gx_project(paths.ensure())
    gx_run = gx_run_id(run_id)
    report = GateReport("feeds", load_date, run_id, [])
    keys = []
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        for feed in feeds or tuple(FEEDS):
            suite = load_suite(feed)
            table = FEEDS[feed].raw_table
            types = table_types(con, RAW_SCHEMA, table)
            wanted = list(dict.fromkeys(suite_columns(suite) + list(FEED_ROW_ID)))
            columns = ", ".join(select_expression(c, types[c], "b") for c in wanted if c in types)
            started = time.perf_counter()
            arrow = con.sql(
                f"select {columns} from {RAW_SCHEMA}.{table} as b where _load_date = ?",
                params=[load_date],
            ).to_arrow_table()
            frame = arrow_frame(arrow, key_columns(suite))
            parameters, explanations = feed_parameters(con, feed, load_date, settings)
            log.info("batch %s %s read in %.2fs", table, load_date, time.perf_counter() - started)
            batch = f"{RAW_SCHEMA}.{table} where _load_date = {load_date}"
            run, key = run_suite(
                project,
                suite,
                frame,
                parameters,
                list(FEED_ROW_ID),
                gx_run,
                batch,
                settings,
                explanations,
            )
            report.suites.append(run)
            keys.append(key)
        return finish(con, project, report, keys)


def gate_marts(
    paths: Paths,
    load_date: str,
    run_id: str | None = None,
    marts: tuple[str, ...] | None = None,
    settings: GateSettings | None = None,
) -> GateReport:
    """Validate every mart of the working warehouse (schema marts) against its suite, after
    dbt and before publishing; raise GateError (after recording every result) on a failure."""
    settings = settings or GateSettings.from_env()
    run_id = run_id or new_run_id(load_date)
    project = gx_project(paths.ensure())
    gx_run = gx_run_id(run_id)
    report = GateReport("marts", load_date, run_id, [])
    keys = []
    names = [f"{MART_SCHEMA}.{m}" for m in marts] if marts else mart_suite_names()
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        published = attach_published(con, paths)
        try:
            for name in names:
                suite = load_suite(name)
                mart = suite["meta"]["mart"]
                if not table_types(con, MART_SCHEMA, mart):
                    frame_sql, sql_parameters, batch = (
                        "select null as _missing where false",
                        [],
                        f"{MART_SCHEMA}.{mart} (missing)",
                    )
                else:
                    frame_sql, sql_parameters, batch = mart_batch_sql(
                        con, mart, suite, load_date, published
                    )
                arrow = con.sql(frame_sql, params=sql_parameters or None).to_arrow_table()
                frame = arrow_frame(arrow, key_columns(suite))
                run, key = run_suite(
                    project, suite, frame, {}, suite["meta"]["grain"], gx_run, batch, settings
                )
                report.suites.append(run)
                keys.append(key)
        finally:
            if published:
                con.execute(f"detach {PUBLISHED}")
        return finish(con, project, report, keys)
