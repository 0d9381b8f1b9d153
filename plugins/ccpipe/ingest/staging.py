"""Staging a landing file: its records as text in the temp table `stage`, each with its file
and line; records the reader rejects go to `stage_rejects`. CSV and JSONL are read by DuckDB's
own readers (no Python row loops)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ccpipe.contracts import Feed
from ccpipe.ingest.files import IngestError, csv_header, read_failure, refuse_missing_columns
from ccpipe.warehouse import Connection, WarehouseError, quote_ident, sql_literal

# The longest record a file may hold: survey comments are kept byte-for-byte, however long
# (DuckDB's readers stop at 2 MB unless told).
MAX_RECORD_BYTES = 64 * 1024 * 1024


def create_stage(con: Connection, feed: Feed) -> None:
    columns = ", ".join(f"{c.name} varchar" for c in feed.columns)
    con.execute(
        f"""
        create or replace temp table stage (
            {columns}, _source_file varchar, _source_line bigint, _extra json,
            _source_path varchar
        )
        """
    )
    con.execute("create or replace temp table stage_files (source_file varchar, sha256 varchar)")
    con.execute(
        """
        create or replace temp table stage_rejects (
            source_file varchar, source_line bigint, rule varchar, reason varchar, record json,
            source_path varchar
        )
        """
    )


def stage_columns(feed: Feed) -> str:
    """The stage's columns a line-numbered record fills (_source_path stays null)."""
    return ", ".join([*feed.column_names, "_source_file", "_source_line", "_extra"])


def stage_csv(con: Connection, feed: Feed, path: Path, label: str) -> None:
    header = csv_header(path, label)
    refuse_missing_columns(feed, set(header), label)
    columns = "{" + ", ".join(f"{sql_literal(h)}: 'VARCHAR'" for h in header) + "}"
    known = {c.name for c in feed.columns}
    values = ", ".join(
        f"{quote_ident(c.name)}" if c.name in header else f"null as {c.name}" for c in feed.columns
    )
    extras = [h for h in header if h not in known]
    extra_json = (
        "json_object(" + ", ".join(f"{sql_literal(h)}, {quote_ident(h)}" for h in extras) + ")"
        if extras
        else "null"
    )
    try:
        con.execute("drop table if exists file_rejects; drop table if exists file_reject_scans")
        con.execute(
            f"""
            insert into stage ({stage_columns(feed)})
            select {values}, {sql_literal(label)}, row_number() over () + 1, {extra_json}
            from read_csv({sql_literal(str(path))}, header = true, columns = {columns},
                          auto_detect = false, delim = ',', quote = '"', escape = '"',
                          allow_quoted_nulls = false, strict_mode = true,
                          max_line_size = {MAX_RECORD_BYTES},
                          store_rejects = true, rejects_table = 'file_rejects',
                          rejects_scan = 'file_reject_scans')
            """
        )
    except WarehouseError as error:
        raise read_failure(label, error) from error
    bad_unicode = con.execute(
        "select min(line) from file_rejects"
        " where error_type in ('INVALID ENCODING', 'INVALID UNICODE')"
    ).fetchone()[0]
    if bad_unicode is not None:
        raise IngestError.of(label, f"line {bad_unicode} is not UTF-8")
    if con.execute("select count(*) from file_rejects").fetchone()[0]:
        shift_lines_past_rejects(con, label)


def shift_lines_past_rejects(con: Connection, label: str) -> None:
    """Give good records their true lines when malformed ones were left out of the read.

    Rows were numbered among good records only (header = line 1); each rejected line before
    a good record pushes it one line further, and rejects go to the quarantine as they are.
    """
    con.execute(
        """
        create or replace temp table file_reject_positions as
        select line - 2 - (row_number() over (order by line) - 1) as good_before
        from (select distinct line from file_rejects)
        """
    )
    con.execute(
        f"""
        update stage
        set _source_line = _source_line + (
            select count(*) from file_reject_positions where good_before < stage._source_line - 1
        )
        where _source_file = {sql_literal(label)}
        """
    )
    con.execute(
        f"""
        insert into stage_rejects (source_file, source_line, rule, reason, record)
        select {sql_literal(label)}, line, 'csv_record_shape',
               'malformed CSV record: ' || min(error_message), to_json(min(csv_line))
        from file_rejects
        group by line
        """
    )


@dataclass(frozen=True)
class JsonShape:
    """How a JSON-lines source's records become stage rows: one JSON path per contract
    column (read with one parse per record: a parse per field costs 4x), SQL over `fields[n]`
    where a value needs more than the text, the contract columns a file provides given its
    records' top-level keys, and whether keys beyond the contract are kept in _extra."""

    paths: tuple[str, ...]
    values: tuple[str, ...]
    # None: the caller checks what the staged rows hold (no parse of every record's keys)
    provided: Callable[[set[str]], set[str]] | None
    keeps_extra: bool


def contract_shape(feed: Feed) -> JsonShape:
    """A canonical feed's JSONL: keys named as the contract's columns, others kept."""
    return JsonShape(
        paths=tuple(f'$."{c.name}"' for c in feed.columns),
        values=tuple(f"fields[{n}]" for n in range(1, len(feed.columns) + 1)),
        provided=lambda keys: keys,
        keeps_extra=True,
    )


def json_fields(shape: JsonShape) -> str:
    return "[" + ", ".join(sql_literal(p) for p in shape.paths) + "]"


def stage_json_objects(
    con: Connection,
    feed: Feed,
    path: Path,
    label: str,
    lines: int,
    shape: JsonShape | None = None,
) -> bool:
    """Stage a clean file through DuckDB's own JSON reader, several times faster than the
    line-by-line path: one JSON object on every line, no blank line (a record's number is
    then its line) and, where the shape keeps extras, no field outside the contract. False,
    with nothing staged, for any other file; stage_jsonl then reads it line by line."""
    shape = shape or contract_shape(feed)
    source = (
        f"read_ndjson_objects({sql_literal(str(path))}, maximum_object_size = {MAX_RECORD_BYTES})"
    )
    # The probe runs on its own connection: a reader error (a line that is not JSON, which
    # the line-by-line path quarantines) would abort the load's transaction.
    keys_of = "list(distinct json_keys(json))" if shape.provided else "[]"
    with con.cursor() as probe:
        try:
            # One pass: records, all objects, and the few distinct key lists they have. The
            # reader accepted each record as JSON, so one that starts with "{" is an object
            # (a parse fewer than json_type; an object led by blanks takes the slow path).
            records, objects, key_lists = probe.execute(
                f"""
                select count(*), bool_and(starts_with(json, '{{')), {keys_of}
                from {source}
                """
            ).fetchone()
        except WarehouseError:
            return False
    if records != lines or not objects:
        return False
    keys = {key for key_list in key_lists or [] for key in key_list}
    if shape.keeps_extra and keys - set(feed.column_names):
        return False
    if shape.provided:
        refuse_missing_columns(feed, shape.provided(keys), label, every_column=False)
    con.execute(
        f"""
        insert into stage ({stage_columns(feed)})
        select {", ".join(shape.values)}, {sql_literal(label)}, _line, null
        from (
            select row_number() over () as _line, json_extract_string(json, {json_fields(shape)})
                as fields
            from {source}
        )
        """
    )
    return True


def stage_jsonl(
    con: Connection,
    feed: Feed,
    path: Path,
    label: str,
    lines: int,
    shape: JsonShape | None = None,
) -> None:
    """Stage a JSON-lines file, by DuckDB's JSON reader when clean, else line by line."""
    shape = shape or contract_shape(feed)
    if stage_json_objects(con, feed, path, label, lines, shape):
        return
    # Line by line: a line that is not a JSON object gets no values and goes to the
    # quarantine; a blank line is skipped but keeps its number.
    try:
        con.execute(
            f"""
            create or replace temp table file_rows as
            select _line, line,
                   case when starts_with(ltrim(line), '{{')
                       then try(json_extract_string(line, {json_fields(shape)})) end as fields
            from (
                select line, row_number() over () as _line
                from read_csv({sql_literal(str(path))}, header = false,
                              columns = {{'line': 'VARCHAR'}}, auto_detect = false,
                              delim = chr(1), quote = '', escape = '', strict_mode = false,
                              max_line_size = {MAX_RECORD_BYTES})
            )
            where trim(coalesce(line, '')) <> ''
            """
        )
    except WarehouseError as error:
        raise read_failure(label, error) from error
    keys = set()
    if shape.provided or shape.keeps_extra:
        found = con.execute(
            "select distinct unnest(try(json_keys(line))) from file_rows where fields is not null"
        )
        keys = {row[0] for row in found.fetchall()}
    if shape.provided:
        refuse_missing_columns(feed, shape.provided(keys), label, every_column=False)
    known_keys = "{" + ", ".join(f'"{c.name}": null' for c in feed.columns) + "}"
    extra_json = (
        f"nullif(json_merge_patch(line, '{known_keys}')::varchar, '{{}}')::json"
        if shape.keeps_extra and keys - set(feed.column_names)
        else "null"
    )
    con.execute(
        f"""
        insert into stage ({stage_columns(feed)})
        select {", ".join(shape.values)}, {sql_literal(label)}, _line, {extra_json}
        from file_rows
        where fields is not null
        """
    )
    con.execute(
        f"""
        insert into stage_rejects (source_file, source_line, rule, reason, record)
        select {sql_literal(label)}, _line, 'json_record',
               'line is not a JSON object', to_json(line)
        from file_rows
        where fields is null
        """
    )
