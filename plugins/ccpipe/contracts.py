"""The three input feeds' contracts (docs/data-contracts.md): columns, types and keys.

Value rules (not null, accepted values, ranges, timestamp order) are not here: they live in
the Great Expectations suites under expectations/, the one definition both the row-level
quarantine (ingest) and the batch gate (quality) use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "int", "timestamp", "bool", "text"]

# DuckDB type each contract type is stored as in the raw layer. "text" is free text kept
# byte-for-byte (never trimmed, empty string kept); "string" is an identifier or code.
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "int": "INTEGER",
    "timestamp": "TIMESTAMPTZ",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    # A file without this column (CSV header, or no JSONL record having the key) is refused.
    required: bool = False


@dataclass(frozen=True)
class Feed:
    name: str
    raw_table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


CALLS = Feed(
    name="calls",
    raw_table="call_legs",
    key=("call_id", "leg_seq"),
    columns=(
        Column("call_id", "string", required=True),
        Column("leg_seq", "int", required=True),
        Column("direction", "string", required=True),
        Column("customer_id", "string"),
        Column("queue", "string", required=True),
        Column("agent_id", "string"),
        Column("started_at", "timestamp", required=True),
        Column("answered_at", "timestamp"),
        Column("ended_at", "timestamp", required=True),
        Column("wrap_seconds", "int"),
        Column("disposition", "string", required=True),
        Column("reason_code", "string"),
        Column("resolved", "bool"),
    ),
)

TICKETS = Feed(
    name="tickets",
    raw_table="ticket_versions",
    key=("ticket_id", "updated_at"),
    columns=(
        Column("ticket_id", "string", required=True),
        Column("updated_at", "timestamp", required=True),
        Column("customer_id", "string"),
        Column("channel", "string", required=True),
        Column("category", "string", required=True),
        Column("queue", "string", required=True),
        Column("priority", "string", required=True),
        Column("status", "string", required=True),
        Column("agent_id", "string"),
        Column("created_at", "timestamp", required=True),
        Column("first_response_at", "timestamp"),
        Column("solved_at", "timestamp"),
        Column("reopen_count", "int"),
        Column("agent_reply_count", "int"),
        Column("source_call_id", "string"),
    ),
)

SURVEYS = Feed(
    name="surveys",
    raw_table="survey_responses",
    key=("response_id",),
    columns=(
        Column("response_id", "string", required=True),
        Column("survey_type", "string", required=True),
        Column("contact_type", "string", required=True),
        Column("contact_id", "string"),
        Column("customer_id", "string"),
        Column("responded_at", "timestamp", required=True),
        Column("score", "int", required=True),
        Column("scale_min", "int", required=True),
        Column("scale_max", "int", required=True),
        Column("language", "string"),
        Column("comment", "text"),
    ),
)

FEEDS: dict[str, Feed] = {feed.name: feed for feed in (CALLS, TICKETS, SURVEYS)}

# Lineage columns every raw table carries after the contract columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_date", "DATE"),  # the logical date whose landing folder held the file
    ("_source_file", "VARCHAR"),  # path relative to the landing folder
    ("_source_sha256", "VARCHAR"),
    ("_source_line", "BIGINT"),  # the record's line (see ingest: records, header = line 1)
    ("_extra", "JSON"),  # columns beyond the contract, kept as delivered
    ("_loaded_at", "TIMESTAMPTZ"),
)
