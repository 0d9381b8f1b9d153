"""The raw load: one logical date's landing files into typed raw tables.

Everything row-shaped happens in DuckDB: files are read with read_csv, values typed and judged
by SQL compiled from the feed's suite (ccpipe.rules), good rows go to raw.<table>, bad ones to
raw.quarantine with file, line, column and reason. A date's load runs in one transaction per
feed and replaces that date's rows, so loading a date twice equals loading it once.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ccpipe.config import Paths
from ccpipe.contracts import FEEDS, Column, Feed
from ccpipe.rules import RowRule, row_rules, sql_literal, sql_text
from ccpipe.warehouse import RAW_SCHEMA, connect, ensure_raw_schema

SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, read as the same numbers.
EASTERN_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩"
WESTERN_DIGITS = "0123456789" * 2
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
UTC_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)"


class IngestError(Exception):
    """A file that cannot be read; the message names the file and the problem."""


@dataclass
class FileLoad:
    source_file: str
    sha256: str | None
    status: str  # loaded | skipped_duplicate | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str | None = None


@dataclass
class FeedLoad:
    feed: str
    load_date: str
    files: list[FileLoad] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def landing_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))


def content_digest(path: Path, label: str) -> tuple[str, int]:
    """The hash of the delivered content, so the same data as .csv or .csv.gz is one file,
    and its number of lines."""
    digest = hashlib.sha256()
    lines, last = 0, b"\n"
    try:
        with open_bytes(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                lines += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError, zlib.error) as error:
        raise IngestError(f"{label}: cannot be read as gzip ({error})") from error
    return digest.hexdigest(), lines + (last != b"\n")


def open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def csv_header(path: Path, label: str) -> list[str]:
    """The header row, read in Python so column order is free and no sniffer guesses."""
    try:
        with open_bytes(path) as handle:
            first_line = handle.readline()
    except (OSError, EOFError, zlib.error) as error:
        raise IngestError(f"{label}: cannot be read as gzip ({error})") from error
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError(f"{label}: line 1 is not UTF-8 ({error.reason})") from error
    header = [name.strip() for name in next(csv.reader([text]), [])]
    if not header or len(set(header)) != len(header):
        raise IngestError(f"{label}: line 1 is not a header of distinct column names")
    return header


def refuse_missing_columns(feed: Feed, present: set[str], label: str) -> None:
    missing = [name for name in feed.required_columns if name not in present]
    if missing:
        raise IngestError(f"{label}: missing required column(s) {', '.join(missing)}")


def read_failure(label: str, error: duckdb.Error) -> IngestError:
    first_line = str(error).strip().splitlines()[0]
    return IngestError(f"{label}: cannot be read ({first_line})")


def stage_csv(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, label: str) -> None:
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
            insert into stage
            select {values}, {sql_literal(label)}, row_number() over () + 1, {extra_json}
            from read_csv({sql_literal(str(path))}, header = true, columns = {columns},
                          auto_detect = false, delim = ',', quote = '"', escape = '"',
                          allow_quoted_nulls = false, strict_mode = true,
                          store_rejects = true, rejects_table = 'file_rejects',
                          rejects_scan = 'file_reject_scans')
            """
        )
    except duckdb.Error as error:
        raise read_failure(label, error) from error
    bad_unicode = con.execute(
        "select min(line) from file_rejects"
        " where error_type in ('INVALID ENCODING', 'INVALID UNICODE')"
    ).fetchone()[0]
    if bad_unicode is not None:
        raise IngestError(f"{label}: line {bad_unicode} is not UTF-8")
    if con.execute("select count(*) from file_rejects").fetchone()[0]:
        shift_lines_past_rejects(con, label)


def shift_lines_past_rejects(con: duckdb.DuckDBPyConnection, label: str) -> None:
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
        insert into stage_rejects
        select {sql_literal(label)}, line, 'csv_record_shape',
               'malformed CSV record: ' || min(error_message), to_json(min(csv_line))
        from file_rejects
        group by line
        """
    )


def json_fields(feed: Feed) -> str:
    """The JSON paths of the contract's fields, for one json_extract_string per record (a
    parse per field costs 4x)."""
    return "[" + ", ".join(sql_literal(f'$."{c.name}"') for c in feed.columns) + "]"


def stage_json_objects(
    con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, label: str, lines: int
) -> bool:
    """Stage a clean file through DuckDB's own JSON reader, several times faster than the
    line-by-line path: one JSON object on every line, no blank line (a record's number is
    then its line) and no field outside the contract. False, with nothing staged, for any
    other file; stage_jsonl then reads it line by line."""
    source = f"read_ndjson_objects({sql_literal(str(path))})"
    # The probe runs on its own connection: a reader error (a line that is not JSON, which
    # the line-by-line path quarantines) would abort the load's transaction.
    with con.cursor() as probe:
        try:
            # One pass: records, all objects, and the few distinct key lists they have. The
            # reader accepted each record as JSON, so one that starts with "{" is an object
            # (a parse fewer than json_type; an object led by blanks takes the slow path).
            records, objects, key_lists = probe.execute(
                f"""
                select count(*), bool_and(starts_with(json, '{{')),
                       list(distinct json_keys(json))
                from {source}
                """
            ).fetchone()
        except duckdb.Error:
            return False
    if records != lines or not objects:
        return False
    keys = {key for key_list in key_lists for key in key_list}
    if keys - set(feed.column_names):
        return False
    refuse_missing_columns(feed, keys, label)
    values = ", ".join(f"fields[{n}]" for n in range(1, len(feed.columns) + 1))
    con.execute(
        f"""
        insert into stage
        select {values}, {sql_literal(label)}, _line, null
        from (
            select row_number() over () as _line, json_extract_string(json, {json_fields(feed)})
                as fields
            from {source}
        )
        """
    )
    return True


def stage_jsonl(
    con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, label: str, lines: int
) -> None:
    if stage_json_objects(con, feed, path, label, lines):
        return
    # Line by line: a line that is not a JSON object gets no values and goes to the
    # quarantine; a blank line is skipped but keeps its number.
    fields = json_fields(feed)
    try:
        con.execute(
            f"""
            create or replace temp table file_rows as
            select _line, line,
                   case when starts_with(ltrim(line), '{{')
                       then try(json_extract_string(line, {fields})) end as fields
            from (
                select line, row_number() over () as _line
                from read_csv({sql_literal(str(path))}, header = false,
                              columns = {{'line': 'VARCHAR'}}, auto_detect = false,
                              delim = chr(1), quote = '', escape = '', strict_mode = false)
            )
            where trim(coalesce(line, '')) <> ''
            """
        )
    except duckdb.Error as error:
        raise read_failure(label, error) from error
    keys = {
        row[0]
        for row in con.execute(
            "select distinct unnest(try(json_keys(line))) from file_rows where fields is not null"
        ).fetchall()
    }
    refuse_missing_columns(feed, keys, label)
    values = ", ".join(f"fields[{n}]" for n in range(1, len(feed.columns) + 1))
    known_keys = "{" + ", ".join(f'"{c.name}": null' for c in feed.columns) + "}"
    extra_json = (
        f"nullif(json_merge_patch(line, '{known_keys}')::varchar, '{{}}')::json"
        if keys - set(feed.column_names)
        else "null"
    )
    con.execute(
        f"""
        insert into stage
        select {values}, {sql_literal(label)}, _line, {extra_json}
        from file_rows
        where fields is not null
        """
    )
    con.execute(
        f"""
        insert into stage_rejects
        select {sql_literal(label)}, _line, 'json_record',
               'line is not a JSON object', to_json(line)
        from file_rows
        where fields is null
        """
    )


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


def judge_stage(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    """Type every staged value and list the rules each row breaks (parse rules first)."""
    typed = ", ".join(f"{typed_value(c)} as {c.name}" for c in feed.columns)
    raw_kept = ", ".join(
        f"{c.name} as _raw_{c.name}" for c in feed.columns if c.type in ("int", "timestamp", "bool")
    )
    rules = [r for r in map(parse_rule, feed.columns) if r] + row_rules(feed.name)
    checks = ", ".join(violation(r) for r in rules)
    con.execute(
        f"""
        create or replace temp table judged as
        select *, list_filter([{checks}], lambda v: v is not null) as _violations
        from (
            select {typed}, {raw_kept}, _source_file, _source_line, _extra
            from stage
        )
        """
    )


def write_rows(con: duckdb.DuckDBPyConnection, feed: Feed, load_date: str) -> None:
    columns = ", ".join(f"j.{c.name}" for c in feed.columns)
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{feed.raw_table}
        select {columns}, date '{load_date}', j._source_file, f.sha256, j._source_line,
               j._extra, current_timestamp
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
               {record})), current_timestamp
        from judged as j
        join stage as s using (_source_file, _source_line)
        where len(j._violations) > 0
        union all
        select {sql_literal(feed.name)}, date '{load_date}', source_file, source_line,
               null, rule, reason, record, current_timestamp
        from stage_rejects
        """
    )


def file_counts(con: duckdb.DuckDBPyConnection, feed: Feed) -> dict[str, tuple[int, int]]:
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


def delivered_before(con: duckdb.DuckDBPyConnection, feed: Feed, load_date: str) -> dict:
    """Content already loaded for another date: sha256 -> (file, date)."""
    rows = con.execute(
        f"""
        select sha256, source_file, load_date from {RAW_SCHEMA}.load_audit
        where feed = ? and status = 'loaded' and load_date <> ?
        """,
        [feed.name, load_date],
    ).fetchall()
    return {sha: (source_file, str(date)) for sha, source_file, date in rows}


def record_audit(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    result: FeedLoad,
    sizes: dict[str, int],
    started_at: datetime,
) -> None:
    finished_at = datetime.now(UTC)
    rows = [
        (
            load_id,
            result.feed,
            result.load_date,
            f.source_file,
            f.sha256,
            sizes.get(f.source_file),
            f.rows_read,
            f.rows_loaded,
            f.rows_quarantined,
            f.status,
            f.message,
            started_at,
            finished_at,
        )
        for f in result.files
    ] or [
        (
            load_id,
            result.feed,
            result.load_date,
            None,
            None,
            None,
            0,
            0,
            0,
            "missing",
            "no file landed for this date",
            started_at,
            finished_at,
        )
    ]
    con.executemany(
        f"insert into {RAW_SCHEMA}.load_audit values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def create_stage(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    columns = ", ".join(f"{c.name} varchar" for c in feed.columns)
    con.execute(
        f"""
        create or replace temp table stage (
            {columns}, _source_file varchar, _source_line bigint, _extra json
        )
        """
    )
    con.execute("create or replace temp table stage_files (source_file varchar, sha256 varchar)")
    con.execute(
        """
        create or replace temp table stage_rejects (
            source_file varchar, source_line bigint, rule varchar, reason varchar, record json
        )
        """
    )


def ingest_feed(
    con: duckdb.DuckDBPyConnection, paths: Paths, feed: Feed, load_date: str
) -> FeedLoad:
    """Load one feed's files for one date, replacing whatever that date held before."""
    started_at = datetime.now(UTC)
    load_id = uuid.uuid4().hex
    result = FeedLoad(feed.name, load_date)
    files = landing_files(paths.landing_dir(feed.name, load_date))
    seen = delivered_before(con, feed, load_date)
    sizes: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{feed.raw_table} where _load_date = ?", [load_date])
        con.execute(
            f"delete from {RAW_SCHEMA}.quarantine where feed = ? and load_date = ?",
            [feed.name, load_date],
        )
        create_stage(con, feed)
        for path in files:
            label = path.relative_to(paths.landing).as_posix()
            sha, lines = content_digest(path, label)
            sizes[label] = path.stat().st_size
            if sha in seen:
                first_file, first_date = seen[sha]
                result.files.append(
                    FileLoad(
                        label,
                        sha,
                        "skipped_duplicate",
                        message=f"same content as {first_file} (loaded for {first_date})",
                    )
                )
                continue
            seen[sha] = (label, load_date)
            con.execute("insert into stage_files values (?, ?)", [label, sha])
            if path.name.endswith((".jsonl", ".jsonl.gz")):
                stage_jsonl(con, feed, path, label, lines)
            else:
                stage_csv(con, feed, path, label)
            result.files.append(FileLoad(label, sha, "loaded"))
        judge_stage(con, feed)
        write_rows(con, feed, load_date)
        counts = file_counts(con, feed)
        for loaded_file in result.files:
            if loaded_file.status == "loaded":
                loaded, quarantined = counts.get(loaded_file.source_file, (0, 0))
                loaded_file.rows_loaded, loaded_file.rows_quarantined = loaded, quarantined
                loaded_file.rows_read = loaded + quarantined
        record_audit(con, load_id, result, sizes, started_at)
        con.execute("commit")
    except IngestError as error:
        con.execute("rollback")
        failed_file = str(error).split(":", 1)[0]
        failed = FeedLoad(feed.name, load_date, [FileLoad(failed_file, None, "failed", 0, 0, 0)])
        failed.files[0].message = str(error)
        record_audit(con, load_id, failed, sizes, started_at)
        raise
    except BaseException:
        con.execute("rollback")
        raise
    return result


def ingest_date(paths: Paths, load_date: str, feeds: tuple[str, ...] | None = None) -> dict:
    """Load every feed's landing files for one date; a refused file fails only its feed.

    Returns {feed: FeedLoad}; raises IngestError naming every refused file after the other
    feeds have loaded.
    """
    paths.ensure()
    con = connect(paths.work_db)
    try:
        ensure_raw_schema(con)
        results: dict[str, FeedLoad] = {}
        errors: list[str] = []
        for name in feeds or tuple(FEEDS):
            try:
                results[name] = ingest_feed(con, paths, FEEDS[name], load_date)
            except IngestError as error:
                errors.append(str(error))
    finally:
        con.close()
    if errors:
        raise IngestError("; ".join(errors))
    return results
