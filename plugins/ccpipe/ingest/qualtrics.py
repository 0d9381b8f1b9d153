"""Qualtrics response exports (CSV) staged as the qualtrics contract's columns: one row per
response and answered question. An export has three header rows: the export tags, the
question texts, and an {"ImportId": ...} object per column that also gives the time zone of
the dates (which carry no offset). The header rows are read here; the responses by DuckDB.

The question map ([qualtrics.questions]) says what each question column holds: a score of a
survey type on a scale, the response's comment, or nothing ccpipe reads. An answer to a
question the map does not name is quarantined, its reason naming the export tag, so that a
question added to the survey is seen, not silently dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccpipe.contracts import Feed
from ccpipe.ingest.files import IngestError, open_bytes, read_failure
from ccpipe.ingest.judging import ISO_TIMESTAMP, UTC_OFFSET
from ccpipe.ingest.staging import MAX_RECORD_BYTES, stage_columns
from ccpipe.setting_types import QualtricsSettings
from ccpipe.warehouse import Connection, WarehouseError, quote_ident, sql_literal

HEADER_ROWS = 3
# Export columns ccpipe reads (the contract's names), and those an export must have.
METADATA = {
    "ResponseId": "response_id",
    "Status": "status",
    "Finished": "finished",
    "Progress": "progress",
    "StartDate": "start_date",
    "RecordedDate": "recorded_date",
    "UserLanguage": "user_language",
}
REQUIRED = ("ResponseId", "Status", "Finished", "RecordedDate")
QUESTION = re.compile(r"QID\d+.*")
NPS_GROUP = "_NPS_GROUP"  # Qualtrics' own NPS grouping: NPS is worked out from the score


@dataclass(frozen=True)
class ExportHeader:
    tags: list[str]  # the export tags, one per column
    questions: list[str]  # the export tags of the question columns (NPS groups left out)
    time_zone: str


def header_rows(path: Path, label: str) -> list[list[str]]:
    try:
        with open_bytes(path) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            return [row for _, row in zip(range(HEADER_ROWS), reader, strict=False)]
    except (OSError, EOFError, zlib.error) as error:
        raise IngestError.of(label, f"cannot be read as gzip ({error})") from error
    except UnicodeDecodeError as error:
        raise IngestError.of(label, f"its header is not UTF-8 ({error.reason})") from error
    except csv.Error as error:
        raise IngestError.of(label, f"its header rows cannot be read as CSV ({error})") from error


def read_header(path: Path, label: str) -> ExportHeader:
    """The export's header rows, checked: distinct export tags, the required columns, an
    ImportId object for every column and the time zone its dates are in."""
    rows = header_rows(path, label)
    tags = [tag.strip() for tag in rows[0]] if rows else []
    if not tags or "" in tags or len(set(tags)) != len(tags):
        raise IngestError.of(label, "line 1 is not a header of distinct export tags")
    missing = [name for name in REQUIRED if name not in tags]
    if missing:
        raise IngestError.of(label, f"missing required column(s) {', '.join(missing)}")
    import_ids = [import_id(cell) for cell in rows[2]] if len(rows) == HEADER_ROWS else []
    if len(import_ids) != len(tags) or None in import_ids:
        raise IngestError.of(
            label,
            'line 3 is not the ImportId row ({"ImportId": ...} for every column): a Qualtrics '
            "export has three header rows (export tags, question texts, import ids)",
        )
    zones = [i["timeZone"] for i in import_ids if isinstance(i.get("timeZone"), str)]
    if not zones:
        raise IngestError.of(label, "its ImportId row names no timeZone: its dates cannot be read")
    try:
        ZoneInfo(zones[0])
    except (ZoneInfoNotFoundError, ValueError):
        raise IngestError.of(label, f"timeZone {zones[0]!r} is not a time zone name") from None
    questions = [
        tag
        for tag, ids in zip(tags, import_ids, strict=True)
        if QUESTION.fullmatch(str(ids["ImportId"]))
        and not tag.endswith(NPS_GROUP)
        and not str(ids["ImportId"]).endswith(NPS_GROUP)
    ]
    return ExportHeader(tags, questions, zones[0])


def import_id(cell: str) -> dict | None:
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "ImportId" in value else None


def local_time(column: str, zone: str) -> str:
    """A date as the export gives it (no offset) read in the export's zone, as UTC text; a
    value that is not such a date is passed on for the contract's typing to judge."""
    offset = sql_literal(ISO_TIMESTAMP + UTC_OFFSET)
    local = f"try_cast(trim({column}) as timestamp)"
    utc = f"strftime(timezone({sql_literal(zone)}, {local}), '%Y-%m-%dT%H:%M:%SZ')"
    return (
        f"case when regexp_full_match(trim({column}), {offset}) then {column}"
        f" else coalesce({utc}, {column}) end"
    )


def question_map(settings: QualtricsSettings) -> tuple[str, str]:
    """The question map and its recode values as SQL relations."""
    rows = [
        f"({sql_literal(tag)}, {sql_literal(q.kind)}, {sql_literal(q.survey_type or '')}, "
        f"{q.scale_min or 0}, {q.scale_max or 0})"
        for tag, q in settings.questions.items()
    ]
    mapping = (
        f"(values {', '.join(rows)}) as m(tag, kind, survey_type, scale_min, scale_max)"
        if rows
        else "(select ''::varchar tag, ''::varchar kind, ''::varchar survey_type,"
        " 0 scale_min, 0 scale_max where false) as m"
    )
    recoded = [
        f"({sql_literal(tag)}, {sql_literal(value)}, {score})"
        for tag, q in settings.questions.items()
        for value, score in q.values
    ]
    recodes = (
        f"(values {', '.join(recoded)}) as rc(tag, value, score)"
        if recoded
        else "(select ''::varchar tag, ''::varchar value, 0 score where false) as rc"
    )
    return mapping, recodes


def column_or_null(header: ExportHeader, name: str) -> str:
    return f"r.{quote_ident(name)}" if name in header.tags else "null"


def stage_response_export(
    con: Connection, feed: Feed, path: Path, label: str, settings: QualtricsSettings
) -> None:
    """Stage one export: a row per response and answered question, line = the response's
    record (the header rows are lines 1-3)."""
    header = read_header(path, label)
    columns = "{" + ", ".join(f"{sql_literal(t)}: 'VARCHAR'" for t in header.tags) + "}"
    try:
        con.execute(
            f"""
            create or replace temp table file_responses as
            select row_number() over () + {HEADER_ROWS} as _line, *
            from read_csv({sql_literal(str(path))}, skip = {HEADER_ROWS}, header = false,
                          columns = {columns}, auto_detect = false, delim = ',', quote = '"',
                          escape = '"', allow_quoted_nulls = false, strict_mode = true,
                          max_line_size = {MAX_RECORD_BYTES})
            """
        )
    except WarehouseError as error:
        raise read_failure(label, error) from error
    questions = ", ".join(quote_ident(tag) for tag in header.questions) or "null"
    con.execute(
        f"""
        create or replace temp table file_answers as
        select _line, tag, answer
        from (select _line, {questions} from file_responses)
        unpivot (answer for tag in ({questions}))
        where trim(answer) <> ''
        """
        if header.questions
        else "create or replace temp table file_answers as"
        " select 0::bigint _line, ''::varchar tag, ''::varchar answer where false"
    )
    mapping, recodes = question_map(settings)
    zone = header.time_zone
    finished = (
        "case lower(trim(r.Finished)) when '1' then 'true' when '0' then 'false'"
        " else r.Finished end"
    )
    values = {
        "response_id": "r.ResponseId",
        "export_tag": "a.tag",
        "answer": "a.answer",
        "survey_type": "m.survey_type",
        "score": "coalesce(cast(rc.score as varchar), a.answer)",
        "scale_min": "cast(m.scale_min as varchar)",
        "scale_max": "cast(m.scale_max as varchar)",
        "status": "r.Status",
        "finished": finished,
        "progress": column_or_null(header, "Progress"),
        "start_date": local_time(column_or_null(header, "StartDate"), zone),
        "recorded_date": local_time("r.RecordedDate", zone),
        "user_language": column_or_null(header, "UserLanguage"),
        "contact_id": column_or_null(header, settings.contact_column),
        "contact_type": column_or_null(header, settings.contact_type_column),
        "customer_id": column_or_null(header, settings.customer_column),
        "comment": "c.comment",
        "time_zone": sql_literal(zone),
    }
    con.execute(
        f"""
        insert into stage ({stage_columns(feed)})
        with comments as (
            select a._line, string_agg(a.answer, chr(10) order by a.tag) as comment
            from file_answers as a join {mapping} on m.tag = a.tag
            where m.kind = 'comment'
            group by a._line
        )
        select {", ".join(values[c.name] for c in feed.columns)}, {sql_literal(label)},
               a._line, null
        from file_answers as a
        join {mapping} on m.tag = a.tag and m.kind = 'score'
        join file_responses as r on r._line = a._line
        left join {recodes} on rc.tag = a.tag and rc.value = trim(a.answer)
        left join comments as c on c._line = a._line
        """
    )
    con.execute(
        f"""
        insert into stage_rejects (source_file, source_line, rule, reason, record)
        select {sql_literal(label)}, a._line, 'qualtrics_export_tag',
               'export tag ''' || a.tag || ''' is not in [qualtrics.questions]: map it to a '
               || 'survey type and scale, "comment" or "ignore"',
               to_json(struct_pack(ResponseId := r.ResponseId, tag := a.tag, answer := a.answer))
        from file_answers as a
        join file_responses as r on r._line = a._line
        where a.tag not in (select m.tag from {mapping})
        """
    )
