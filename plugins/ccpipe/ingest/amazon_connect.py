"""Amazon Connect contact records staged as the amazon_connect contract's columns: the fields
ccpipe reads from each record, and the contact attributes the deployment names
([amazon_connect] in settings.toml). A file holds one JSON record per line (.jsonl, the
stream's own shape) or JSON documents (.json: one record, pretty-printed or not); gzip or not.
"""

from __future__ import annotations

from pathlib import Path

from ccpipe.contracts import Feed
from ccpipe.ingest.files import IngestError, read_failure
from ccpipe.ingest.staging import (
    MAX_RECORD_BYTES,
    JsonShape,
    json_fields,
    stage_columns,
    stage_jsonl,
)
from ccpipe.setting_types import AmazonConnectSettings
from ccpipe.warehouse import Connection, WarehouseError, sql_literal

# Contract column -> where the contact record keeps it. The other columns are contact
# attributes, named by the setting of the column's own name (customer_attribute, ...).
PATHS = {
    "contact_id": "$.ContactId",
    "initial_contact_id": "$.InitialContactId",
    "previous_contact_id": "$.PreviousContactId",
    "next_contact_id": "$.NextContactId",
    "channel": "$.Channel",
    "initiation_method": "$.InitiationMethod",
    "initiation_timestamp": "$.InitiationTimestamp",
    "disconnect_timestamp": "$.DisconnectTimestamp",
    "last_update_timestamp": "$.LastUpdateTimestamp",
    "disconnect_reason": "$.DisconnectReason",
    "queue_name": "$.Queue.Name",
    "enqueue_timestamp": "$.Queue.EnqueueTimestamp",
    "agent_username": "$.Agent.Username",
    "connected_to_agent_timestamp": "$.Agent.ConnectedToAgentTimestamp",
    "after_contact_work_duration": "$.Agent.AfterContactWorkDuration",
    "customer_endpoint_address": "$.CustomerEndpoint.Address",
}
# Keys without which a file is not contact records (a record lacking one is quarantined).
REQUIRED_KEYS = {
    "contact_id": "ContactId",
    "channel": "Channel",
    "initiation_method": "InitiationMethod",
    "initiation_timestamp": "InitiationTimestamp",
    "last_update_timestamp": "LastUpdateTimestamp",
}
# Flags a contact flow sets as text: yes/no and 1/0 read as true/false.
FLAG_WORDS = {"yes": "true", "y": "true", "1": "true", "no": "false", "n": "false", "0": "false"}


def attribute_path(name: str) -> str:
    return f'$.Attributes."{name}"'


def flag(value: str) -> str:
    words = " ".join(f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in FLAG_WORDS.items())
    return f"case lower(trim({value})) {words} else {value} end"


def shape(feed: Feed, settings: AmazonConnectSettings) -> JsonShape:
    """How a contact record becomes the contract's columns under these settings. Which keys
    the records have is read off the staged rows (refuse_other_records): asking every record
    for its keys would parse it twice."""
    paths = [PATHS.get(c.name) or attribute_path(getattr(settings, c.name)) for c in feed.columns]
    values = [
        flag(f"fields[{n}]") if c.type == "bool" else f"fields[{n}]"
        for n, c in enumerate(feed.columns, start=1)
    ]
    return JsonShape(tuple(paths), tuple(values), provided=None, keeps_extra=False)


def refuse_other_records(con: Connection, label: str) -> None:
    """Refuse a file none of whose records has a key every contact record has."""
    counts = ", ".join(f"count({column})" for column in REQUIRED_KEYS)
    found = con.execute(f"select {counts} from stage where _source_file = ?", [label]).fetchone()
    missing = [key for key, n in zip(REQUIRED_KEYS.values(), found, strict=True) if not n]
    if missing:
        raise IngestError.of(
            label, f"no record has {', '.join(missing)}: not Amazon Connect contact records"
        )


def stage_contact_records(
    con: Connection,
    feed: Feed,
    path: Path,
    label: str,
    lines: int,
    settings: AmazonConnectSettings,
) -> None:
    """Stage one landing file of contact records (record n: line n, or the n-th document)."""
    record_shape = shape(feed, settings)
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        stage_jsonl(con, feed, path, label, lines, record_shape)
    else:
        source = (
            f"read_json_objects({sql_literal(str(path))}, format = 'auto', "
            f"maximum_object_size = {MAX_RECORD_BYTES})"
        )
        try:
            con.execute(
                f"""
                insert into stage ({stage_columns(feed)})
                select {", ".join(record_shape.values)}, {sql_literal(label)}, _line, null
                from (
                    select row_number() over () as _line,
                           json_extract_string(json, {json_fields(record_shape)}) as fields
                    from {source}
                )
                """
            )
        except WarehouseError as error:
            raise read_failure(label, error) from error
    refuse_other_records(con, label)
