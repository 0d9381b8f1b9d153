"""Zendesk incremental ticket export pages staged as the zendesk contract's columns: one row
per ticket object (a ticket version), named by its JSON path in the page ($.tickets[3]). A
page is one JSON object, {"tickets": [...], "after_cursor": ..., "end_of_stream": ...}, with
`metric_set` side-loaded on each ticket and, optionally, the requesters in `users`.
Where a ticket keeps its category and originating call, and channels beyond Zendesk's own,
come from [zendesk] in settings.toml.
"""

from __future__ import annotations

from pathlib import Path

from ccpipe.contracts import Feed
from ccpipe.ingest.files import IngestError, read_failure
from ccpipe.ingest.staging import MAX_RECORD_BYTES
from ccpipe.setting_types import ZendeskSettings
from ccpipe.warehouse import Connection, WarehouseError, sql_literal, sql_text

# Contract column -> where a ticket object keeps it (the others are worked out below).
PATHS = {
    "ticket_id": "$.id",
    "updated_at": "$.updated_at",
    "created_at": "$.created_at",
    "status": "$.status",
    "priority": "$.priority",
    "via_channel": "$.via.channel",
    "requester_id": "$.requester_id",
    "group_id": "$.group_id",
    "assignee_id": "$.assignee_id",
    "agent_reply_count": "$.metric_set.replies",
    "reopen_count": "$.metric_set.reopens",
    "solved_at": "$.metric_set.solved_at",
    "first_reply_minutes": "$.metric_set.reply_time_in_minutes.calendar",
    "satisfaction_score": "$.satisfaction_rating.score",
    "satisfaction_rating_id": "$.satisfaction_rating.id",
    "satisfaction_comment": "$.satisfaction_rating.comment",
}
# via.channel -> ccpipe's channel, as Zendesk names its channels; [zendesk] channels adds more.
CHANNELS = {
    "web": "web",
    "web_form": "web",
    "email": "email",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "twitter": "social",
    "facebook": "social",
    "any_channel": "social",
}


def custom_field(field_id: int) -> str:
    """The value of a ticket's custom field, by id."""
    match = f"lambda x: json_extract_string(x, '$.id') = {sql_literal(str(field_id))}"
    return (
        f"json_extract_string(list_filter(json_extract(ticket, '$.custom_fields[*]'), {match})[1],"
        " '$.value')"
    )


def category(settings: ZendeskSettings) -> str:
    """The issue category: the named custom field, else the first tag with the prefix."""
    found = []
    if settings.category_field_id:
        found.append(custom_field(settings.category_field_id))
    if settings.category_tag_prefix:
        prefix = sql_literal(settings.category_tag_prefix)
        tags = "json_extract_string(ticket, '$.tags[*]')"
        tag = f"list_filter({tags}, lambda t: starts_with(t, {prefix}))"
        found.append(f"substr({tag}[1], {len(settings.category_tag_prefix) + 1})")
    return f"coalesce({', '.join(found)})" if found else "null"


def channel(settings: ZendeskSettings, via: str) -> str:
    mapping = CHANNELS | settings.channels
    cases = " ".join(f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in mapping.items())
    return f"case lower({via}) {cases} end"


def stage_ticket_page(
    con: Connection, feed: Feed, path: Path, label: str, settings: ZendeskSettings
) -> None:
    """Stage one page: its tickets, their requesters' external ids from the page's users.
    A page that cannot be read whole (truncated) or is not an export page is refused."""
    source = (
        f"read_json_objects({sql_literal(str(path))}, format = 'auto', "
        f"maximum_object_size = {MAX_RECORD_BYTES})"
    )
    try:
        con.execute(f"create or replace temp table file_page as select json from {source}")
    except WarehouseError as error:
        raise read_failure(label, error) from error
    documents, pages = con.execute(
        "select count(*), count(*) filter (json_type(json, '$.tickets') = 'ARRAY') from file_page"
    ).fetchone()
    if documents != 1 or pages != 1:
        raise IngestError.of(
            label, 'is not an incremental export page: one JSON object with a "tickets" array'
        )
    paths = [PATHS[c.name] if c.name in PATHS else "$.__none" for c in feed.columns]
    fields = "[" + ", ".join(sql_literal(p) for p in paths) + "]"
    index = {c.name: n for n, c in enumerate(feed.columns, start=1)}
    computed = {
        "channel": channel(settings, f"fields[{index['via_channel']}]"),
        "requester_external_id": "requesters.external_id",
        "category": "category",
        "source_call_id": "source_call_id",
    }
    if settings.origin_call_field_id:
        origin_call = custom_field(settings.origin_call_field_id)
    else:
        origin_call = "null"
    values = ", ".join(
        f"{computed.get(c.name, f'fields[{index[c.name]}]')} as {c.name}" for c in feed.columns
    )
    con.execute(
        f"""
        create or replace temp table file_tickets as
        with page as (
            select json_extract(json, '$.tickets[*]') as tickets,
                   coalesce(json_extract(json, '$.users[*]'), []) as users
            from file_page
        ),
        requesters as (
            select json_extract_string(u, '$.id') as id,
                   any_value(json_extract_string(u, '$.external_id')) as external_id
            from (select unnest(users) as u from page)
            group by 1
        ),
        records as (
            select unnest(tickets) as ticket, unnest(range(1, len(tickets) + 1)) as _line
            from page
        ),
        flattened as (
            select _line, json_extract_string(ticket, {fields}) as fields,
                   {category(settings)} as category, {origin_call} as source_call_id
            from records
        )
        select _line, {values}
        from flattened
        left join requesters on requesters.id = fields[{index["requester_id"]}]
        """
    )
    where = f"{sql_literal(label)}, _line, null, '$.tickets[' || (_line - 1) || ']'"
    columns = ", ".join(feed.column_names)
    con.execute(
        f"""
        insert into stage ({columns}, _source_file, _source_line, _extra, _source_path)
        select {columns}, {where}
        from file_tickets
        where channel is not null or via_channel is null
        """
    )
    con.execute(
        f"""
        insert into stage_rejects (source_file, source_line, rule, reason, record, source_path)
        select {sql_literal(label)}, _line, 'zendesk_via_channel',
               'via.channel ' || {sql_text("via_channel")} || ' is not mapped to a '
               || 'channel: add it to [zendesk] channels (e.g. ' || via_channel || ' = "web")',
               to_json(struct_pack(id := ticket_id, updated_at, via_channel)),
               '$.tickets[' || (_line - 1) || ']'
        from file_tickets
        where channel is null and via_channel is not null
        """
    )
