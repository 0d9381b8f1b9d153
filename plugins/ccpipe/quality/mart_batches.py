"""A mart's batch: its rows as the build left them, compared where a suite asks with the
published marts (`published_<column>`) and with the late data this load delivered."""

from __future__ import annotations

from typing import Any

from ccpipe.paths import Paths, project_dir
from ccpipe.quality.frames import select_expression
from ccpipe.rules import compile_expectation
from ccpipe.suites import UNIQUENESS_TYPES, suite_columns
from ccpipe.warehouse import RAW_SCHEMA, Connection, sql_literal, table_columns

MART_SCHEMA = "marts"
PUBLISHED = "published"  # catalog alias of the published ccpipe.duckdb, attached read-only


def fcr_window_settings() -> tuple[int, str]:
    """fcr_window_days and reporting_timezone, from dbt_project.yml's vars (one definition)."""
    import yaml

    text = (project_dir() / "dbt_project.yml").read_text(encoding="utf-8")
    variables = (yaml.safe_load(text) or {}).get("vars", {})
    return int(variables.get("fcr_window_days", 7)), str(variables.get("reporting_timezone", "UTC"))


def attach_published(con: Connection, paths: Paths) -> bool:
    """Attach the published ccpipe.duckdb read-only (BI readers keep reading)."""
    if not paths.published_db.exists():
        return False
    con.execute(f"attach {sql_literal(str(paths.published_db))} as {PUBLISHED} (read_only)")
    return True


def mart_batch_sql(
    con: Connection,
    mart: str,
    suite: dict[str, Any],
    load_date: str,
    published: bool,
) -> tuple[str, list[Any], str]:
    """SQL for a mart's batch: the suite's columns; `published_<col>` columns from the
    published ccpipe.duckdb joined on the grain; `late_contact_rows` from this load's raw rows.
    Returns (sql, parameters, description)."""
    types = table_columns(con, MART_SCHEMA, mart)
    grain = suite["meta"]["grain"]
    wanted = [c for c in dict.fromkeys(grain + suite_columns(suite))]
    own = [c for c in wanted if c in types]
    from_published = [c for c in wanted if c.startswith("published_")]
    source = f"{MART_SCHEMA}.{mart}"
    scope = source
    if suite["meta"].get("batch") == "rebuilt_dates" and table_columns(
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
    published_types = table_columns(con, MART_SCHEMA, mart, PUBLISHED) if published else {}
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
        if expectation["type"] in UNIQUENESS_TYPES:
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
