"""The input sources' contracts (docs/data-contracts.md): columns, types and keys of the three
canonical feeds and of the vendor exports flattened (Amazon Connect, Zendesk, Qualtrics).

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


CANONICAL_FORMATS = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Feed:
    name: str
    raw_table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # The landing file names the source reads (others in its folder are ignored).
    formats: tuple[str, ...] = CANONICAL_FORMATS
    # Whether its records are named by a JSON path within the file (a Zendesk page's
    # $.tickets[n]): its raw table then has the lineage column _source_path.
    record_paths: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def lineage_columns(self) -> tuple[tuple[str, str], ...]:
        return LINEAGE_COLUMNS + ((PATH_LINEAGE,) if self.record_paths else ())


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

# Vendor exports, flattened by ingest (ccpipe.ingest.vendors): one row per record as the
# vendor delivered it, plus the values the deployment's settings locate (a contact attribute,
# a custom field, a question's export tag). Duplicates are not faults here: Connect delivers
# at least once and Zendesk's export repeats versions; dbt keeps the newest.

AMAZON_CONNECT = Feed(
    name="amazon_connect",
    raw_table="connect_contact_records",
    key=("contact_id", "last_update_timestamp"),
    formats=(".jsonl", ".jsonl.gz", ".json", ".json.gz"),
    columns=(
        Column("contact_id", "string", required=True),  # ContactId
        Column("initial_contact_id", "string"),  # InitialContactId
        Column("previous_contact_id", "string"),  # PreviousContactId
        Column("next_contact_id", "string"),  # NextContactId
        Column("channel", "string", required=True),  # Channel
        Column("initiation_method", "string", required=True),  # InitiationMethod
        Column("initiation_timestamp", "timestamp", required=True),
        Column("disconnect_timestamp", "timestamp"),
        Column("last_update_timestamp", "timestamp", required=True),
        Column("disconnect_reason", "string"),  # DisconnectReason
        Column("queue_name", "string"),  # Queue.Name
        Column("enqueue_timestamp", "timestamp"),  # Queue.EnqueueTimestamp
        Column("agent_username", "string"),  # Agent.Username
        Column("connected_to_agent_timestamp", "timestamp"),  # Agent.ConnectedToAgentTimestamp
        Column("after_contact_work_duration", "int"),  # Agent.AfterContactWorkDuration
        Column("customer_endpoint_address", "string"),  # CustomerEndpoint.Address: raw only
        Column("customer_attribute", "string"),  # Attributes.<[amazon_connect] ...>
        Column("category_attribute", "string"),
        Column("resolved_attribute", "bool"),
        Column("voicemail_attribute", "bool"),
    ),
)

ZENDESK = Feed(
    name="zendesk",
    raw_table="zendesk_ticket_versions",
    key=("ticket_id", "updated_at"),
    formats=(".json", ".json.gz"),
    record_paths=True,
    columns=(
        Column("ticket_id", "string", required=True),  # id
        Column("updated_at", "timestamp", required=True),
        Column("created_at", "timestamp", required=True),
        Column("status", "string", required=True),
        Column("priority", "string"),
        Column("via_channel", "string"),  # via.channel as delivered
        Column("channel", "string"),  # via.channel mapped onto ccpipe's channels
        Column("requester_id", "string"),
        Column("requester_external_id", "string"),  # the side-loaded user's external_id
        Column("group_id", "string"),
        Column("assignee_id", "string"),
        Column("category", "string"),  # [zendesk] category_field_id or category_tag_prefix
        Column("source_call_id", "string"),  # [zendesk] origin_call_field_id
        Column("agent_reply_count", "int"),  # metric_set.replies
        Column("reopen_count", "int"),  # metric_set.reopens
        Column("solved_at", "timestamp"),  # metric_set.solved_at
        Column("first_reply_minutes", "int"),  # metric_set.reply_time_in_minutes.calendar
        Column("satisfaction_score", "string"),  # satisfaction_rating.score
        Column("satisfaction_rating_id", "string"),
        Column("satisfaction_comment", "text"),
    ),
)

QUALTRICS = Feed(
    name="qualtrics",
    raw_table="qualtrics_responses",
    key=("response_id", "export_tag"),
    formats=(".csv", ".csv.gz"),
    columns=(
        Column("response_id", "string", required=True),  # ResponseId
        Column("export_tag", "string", required=True),  # the question's column
        Column("answer", "text"),  # its value as exported
        Column("survey_type", "string"),  # from [qualtrics.questions]
        Column("score", "int"),  # the answer, recoded by the question map
        Column("scale_min", "int"),
        Column("scale_max", "int"),
        Column("status", "string", required=True),  # Status
        Column("finished", "bool", required=True),  # Finished
        Column("progress", "int"),
        Column("start_date", "timestamp"),  # read in the export's timeZone
        Column("recorded_date", "timestamp", required=True),
        Column("user_language", "string"),
        Column("contact_id", "string"),  # [qualtrics] contact_column
        Column("contact_type", "string"),  # [qualtrics] contact_type_column
        Column("customer_id", "string"),  # [qualtrics] customer_column
        Column("comment", "text"),  # the question mapped to "comment"
        Column("time_zone", "string"),  # the export's timeZone
    ),
)

# The deployment's customer-identity map ($CCPIPE_HOME/identities.csv, the setting
# identity_map): not a source of contacts, loaded whole by every ingest.
IDENTITIES = Feed(
    name="identities",
    raw_table="customer_identities",
    key=("source", "source_key"),
    formats=(".csv",),
    columns=(
        Column("source", "string", required=True),
        Column("source_key", "string", required=True),
        Column("customer_id", "string", required=True),
    ),
)

VENDOR_FEEDS: dict[str, Feed] = {f.name: f for f in (AMAZON_CONNECT, ZENDESK, QUALTRICS)}

# Every source ccpipe can load, by the name `sources` (settings) gives it.
SOURCES: dict[str, Feed] = FEEDS | VENDOR_FEEDS

# Lineage columns every raw table carries after the contract columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_date", "DATE"),  # the logical date whose landing folder held the file
    ("_source_file", "VARCHAR"),  # path relative to the landing folder
    ("_source_sha256", "VARCHAR"),
    ("_source_line", "BIGINT"),  # the record's line (see ingest: records, header = line 1)
    ("_extra", "JSON"),  # columns beyond the contract, kept as delivered
    ("_loaded_at", "TIMESTAMPTZ"),
)
# And, where records are named by a JSON path (Feed.record_paths), that path.
PATH_LINEAGE = ("_source_path", "VARCHAR")
