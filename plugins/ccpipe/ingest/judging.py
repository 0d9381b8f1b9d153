"""Judging staged rows: every value typed per its contract, every row checked against the
parse rules and the feed suite's row rules; good rows to raw.<table>, the others to
raw.quarantine with file, line, column, rule and reason."""

from __future__ import annotations

from ccpipe.contracts import Column, Feed
from ccpipe.rules import RowRule, row_rules
from ccpipe.warehouse import RAW_SCHEMA, Connection, sql_literal, sql_text

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, read as the same numbers.
EASTERN_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
WESTERN_DIGITS = "0123456789" * 2
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
UTC_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)"


def typed_value(column: Column) -> str:
    raw = column.name
    if column.type == "int":
        # translate() is costly, so plain ASCII digits (nearly every value) skip it.
        digits = f"trim(translate({raw}, '{EASTERN_DIGITS}', '{WESTERN_DIGITS}'))"
        return (
            f"case when regexp_full_match({raw}, '[+-]?[0-9]+') then try_cast({raw} as integer) "
            f"when regexp_full_match({digits}, '[+-]?[0-9]+') then try_cast({digits} as integer) "
            "end"
        )
    if column.type == "timestamp":
        pattern = sql_literal(ISO_TIMESTAMP + UTC_OFFSET)
        return (
            f"case when regexp_full_match(trim({raw}), {pattern}) "
            f"then try_cast(trim({raw}) as timestamptz) end"
        )
    if column.type == "bool":
        return f"case lower(trim({raw})) when 'true' then true when 'false' then false end"
    if column.type == "string":
        return f"nullif({raw}, '')"
    return raw


def parse_rule(column: Column) -> RowRule | None:
    """The rule a raw value breaks when it cannot become its contract type."""
    raw, typed = f"_raw_{column.name}", column.name
    if column.type in ("string", "text"):
        return None
    present = f"{raw} is not null and trim({raw}) <> ''"
    reason = {
        "int": f"'{column.name} ' || {sql_text(raw)} || ' is not a whole number'",
        "bool": f"'{column.name} ' || {sql_text(raw)} || ' is not true, false or empty'",
        "timestamp": (
            f"'{column.name} ' || {sql_text(raw)} || case "
            f"when regexp_full_match(trim({raw}), {sql_literal(ISO_TIMESTAMP)}) "
            "then ' has no UTC offset' else ' is not an ISO-8601 timestamp with offset' end"
        ),
    }[column.type]
    return RowRule(
        rule=f"parse_{column.type}({column.name})",
        column=column.name,
        violated=f"{present} and {typed} is null",
        reason=reason,
    )


def violation(rule: RowRule) -> str:
    return (
        f"case when {rule.violated} then {{'column': {sql_literal(rule.column)}, "
        f"'rule': {sql_literal(rule.rule)}, 'reason': {rule.reason}}} end"
    )


def judge_stage(con: Connection, feed: Feed) -> None:
    """Type every staged value and list the rules each row breaks (parse rules first)."""
    typed = [f"{typed_value(c)} as {c.name}" for c in feed.columns]
    raw_kept = [
        f"{c.name} as _raw_{c.name}" for c in feed.columns if c.type in ("int", "timestamp", "bool")
    ]
    rules = [r for r in map(parse_rule, feed.columns) if r] + row_rules(feed.name)
    checks = ", ".join(violation(r) for r in rules)
    con.execute(
        f"""
        create or replace temp table judged as
        select *, list_filter([{checks}], lambda v: v is not null) as _violations
        from (
            select {", ".join(typed + raw_kept)}, _source_file, _source_line, _extra,
                   _source_path, rowid as _stage_row
            from stage
        )
        """
    )


def write_rows(con: Connection, feed: Feed, load_date: str) -> None:
    columns = ", ".join(f"j.{c.name}" for c in feed.columns)
    path = ", j._source_path" if feed.record_paths else ""
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{feed.raw_table}
        select {columns}, date '{load_date}', j._source_file, f.sha256, j._source_line,
               j._extra, current_timestamp{path}
        from judged as j
        join stage_files as f on f.source_file = j._source_file
        where len(j._violations) = 0
        """
    )
    record = "to_json(struct_pack(" + ", ".join(f"{c.name} := s.{c.name}" for c in feed.columns)
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.quarantine
        select {sql_literal(feed.name)}, date '{load_date}', j._source_file, j._source_line,
               j._violations[1].column, j._violations[1].rule,
               array_to_string(list_transform(j._violations, lambda v: v.reason), '; '),
               {record})), current_timestamp, j._source_path
        from judged as j
        join stage as s on s.rowid = j._stage_row
        where len(j._violations) > 0
        union all
        select {sql_literal(feed.name)}, date '{load_date}', source_file, source_line,
               null, rule, reason, record, current_timestamp, source_path
        from stage_rejects
        """
    )


def file_counts(con: Connection, feed: Feed) -> dict[str, tuple[int, int]]:
    """Rows loaded and quarantined per staged file."""
    rows = con.execute(
        """
        select _source_file, count(*) filter (len(_violations) = 0),
               count(*) filter (len(_violations) > 0)
        from judged group by 1
        union all
        select source_file, 0, count(*) from stage_rejects group by 1
        """
    ).fetchall()
    counts: dict[str, tuple[int, int]] = {}
    for source_file, loaded, quarantined in rows:
        before = counts.get(source_file, (0, 0))
        counts[source_file] = (before[0] + loaded, before[1] + quarantined)
    return counts
