"""The same day's rows in the vendors' shapes: Amazon Connect contact records (JSON lines),
Zendesk incremental export pages (JSON) and Qualtrics response exports (CSV, three header
rows), plus the deployment settings.toml and identity map they need.

What each shape cannot say is represented so that loading it gives the canonical truth back:
a call's legs are a transfer chain of contact records, its customer a contact attribute or,
for one in five customers, only the caller's number (which the identity map names); a ticket's
requester has the customer as external_id or, for one in five, only a requester_id (the map
again); every survey scale is a question of its own, the FCR question recoded 1 = yes, 2 = no.
What a vendor adds and ccpipe must see through is added too: contact records delivered twice
and older copies after newer ones, a withheld number, pending tickets on hold, repeated ticket
versions, survey previews and partial responses. Rows are made in DuckDB, as the canonical
files are: no Python loop touches a row.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np

from ccpipe_sample.distributions import QUEUES
from ccpipe_sample.files import _arrow
from ccpipe_sample.model import day_ymd

VENDOR_OF = {"calls": "amazon_connect", "tickets": "zendesk", "surveys": "qualtrics"}
INSTANCE = "arn:aws:connect:eu-west-1:123456789012:instance/5a3c0000-0000-4000-8000-000000000000"
CATEGORY_FIELD, ORIGIN_CALL_FIELD = 360001, 360002
PAGE_TICKETS = 1000  # the cursor export's page size
EXPORT_ZONE, EXPORT_OFFSET = "Asia/Kolkata", 19_800  # no daylight saving: every local time exists
QUESTIONS = {  # export tag -> (survey type, scale): one question per scale the generator draws
    "CSAT_1_5": ("csat", 1, 5),
    "CSAT_1_7": ("csat", 1, 7),
    "CSAT_1_10": ("csat", 1, 10),
    "CSAT_0_10": ("csat", 0, 10),
    "CES_1_5": ("ces", 1, 5),
    "CES_1_7": ("ces", 1, 7),
    "CES_1_10": ("ces", 1, 10),
    "NPS": ("nps", 0, 10),
    "FCR": ("fcr", 0, 1),
}
METADATA = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": EXPORT_ZONE}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": EXPORT_ZONE}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": EXPORT_ZONE}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]


def ts(column: str) -> str:
    """Epoch seconds as the ISO-8601 UTC text the vendors' APIs write."""
    return f"strftime(make_timestamp(({column}) * 1000000), '%Y-%m-%dT%H:%M:%SZ')"


def contact_uuid(call: str, seq: str) -> str:
    """A Connect ContactId for a call's leg: a UUID made of the call and the leg's number."""
    return f"printf('%08x-%04x-4000-8000-%012x', {call} % 4294967291, {seq}, {call})"


def customer(column: str) -> str:
    return f"'CU' || substr(({column} + 100000000)::varchar, 2)"


def phone(column: str) -> str:
    return f"'+1' || (2000000000 + {column})::varchar"


class VendorWriter:
    """Writes one day's rows of a feed in its vendor's shape."""

    def __init__(self, con: duckdb.DuckDBPyConnection, landing: Path, scratch: Path, day: dt.date):
        self.con, self.landing, self.scratch, self.day = con, landing, scratch, day
        self.ymd = day_ymd(day)

    def write(self, feed: str, rows: dict[str, np.ndarray]) -> int:
        source = VENDOR_OF[feed]
        folder = self.landing / source / self.day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"*{self.ymd}*"):
            old.unlink()
        self.con.register("numbers", _arrow(rows) if rows else empty_numbers(feed))
        try:
            return {
                "calls": self.contact_records,
                "tickets": self.ticket_pages,
                "surveys": self.response_export,
            }[feed](folder)
        finally:
            self.con.unregister("numbers")

    def run(self, sql: str) -> list[tuple]:
        """Run a statement to its end (DuckDB keeps an unread result open)."""
        return self.con.execute(sql).fetchall()

    def copy_json(self, select: str, path: Path) -> None:
        target = str(path).replace("'", "''")
        self.run(f"copy ({select}) to '{target}' (format json)")

    def contact_records(self, folder: Path) -> int:
        """A record per leg; every 97th call's records delivered twice, every 89th's legs
        also as an older copy (before the agent's attributes were set) after the newer."""
        agent = "'agent' || substr((agent + 10000)::varchar, 2)"
        # an inbound call spends a few seconds in the flow before it is queued
        ivr = "case when leg_seq = 1 and direction = 'inbound' then 5 + call_id % 40 else 0 end"
        self.run(
            f"""
            create or replace temp table records as
            with legs as (
                select *, max(leg_seq) over (partition by call_id) as legs,
                       customer % 5 = 0 as number_only
                from numbers
            )
            select
                '123456789012' as AWSAccountId,
                '2017-03-10' as AWSContactTraceRecordFormatVersion,
                case when answered is not null then {{
                    'ARN': '{INSTANCE}/agent/' || {agent},
                    'AfterContactWorkDuration': wrap,
                    'ConnectedToAgentTimestamp': {ts("answered")},
                    'Username': {agent}
                }} end as Agent,
                map_from_entries(list_filter([
                    {{'k': 'CustomerId', 'v': case when not number_only
                        then {customer("customer")} end}},
                    {{'k': 'ContactReason', 'v': reason_code}},
                    {{'k': 'Resolved', 'v': case resolved when 1 then 'true'
                        when 0 then 'false' end}},
                    {{'k': 'Voicemail', 'v': case when disposition = 'voicemail' then 'true' end}}
                ], lambda e: e.v is not null)) as Attributes,
                'VOICE' as Channel,
                {contact_uuid("call_id", "leg_seq")} as ContactId,
                {{'Address': coalesce({phone("customer")}, 'anonymous'),
                  'Type': 'TELEPHONE_NUMBER'}} as CustomerEndpoint,
                case when leg_seq < legs then 'AGENT_DISCONNECT' else 'CUSTOMER_DISCONNECT' end
                    as DisconnectReason,
                {ts("ended")} as DisconnectTimestamp,
                case when leg_seq > 1 then {contact_uuid("call_id", "1")} end as InitialContactId,
                case when direction = 'outbound' then 'OUTBOUND' when leg_seq > 1 then 'TRANSFER'
                    else 'INBOUND' end as InitiationMethod,
                {ts(f"started - {ivr}")} as InitiationTimestamp,
                '{INSTANCE}' as InstanceARN,
                {ts("ended + coalesce(wrap, 0) + 5")} as LastUpdateTimestamp,
                case when leg_seq < legs then {contact_uuid("call_id", "leg_seq + 1")} end
                    as NextContactId,
                case when leg_seq > 1 then {contact_uuid("call_id", "leg_seq - 1")} end
                    as PreviousContactId,
                {{
                    'ARN': '{INSTANCE}/queue/' || queue,
                    'EnqueueTimestamp': case when direction = 'inbound' then {ts("started")} end,
                    'Name': queue
                }} as Queue,
                call_id, leg_seq, ended
            from legs
            """
        )
        older = (
            "select * replace ("
            f"{ts('ended + 1')} as LastUpdateTimestamp, "
            "map_from_entries([{'k': 'ContactReason', 'v': 'General'}]) as Attributes)"
        )
        delivered = f"""
            select * exclude (call_id, leg_seq, ended, copy)
            from (
                select *, 0 as copy from records
                union all select *, 1 from records where call_id % 97 = 0
                union all select *, 2 from ({older} from records where call_id % 89 = 0)
            )
            order by ended, ContactId, copy
        """
        self.copy_json(delivered, folder / f"contact-records-{self.ymd}-0001.jsonl")
        return self.con.execute(f"select count(*) from ({delivered})").fetchall()[0][0]

    def ticket_pages(self, folder: Path) -> int:
        """The day's ticket versions, a page of up to 1000; every 53rd ticket's versions twice
        (the export repeats versions); every 3rd ticket's pending versions on hold."""
        requester = "coalesce(1000000000 + customer, 900000000000000 + ticket_id % 100000000000000)"
        via = (
            "case channel when 'chat' then case when ticket_id % 2 = 0 then 'chat'"
            " else 'native_messaging' end when 'web' then case when ticket_id % 2 = 0"
            " then 'web' else 'web_form' end when 'social' then ['twitter', 'facebook',"
            " 'any_channel'][ticket_id % 3 + 1] when 'phone' then 'voice' else channel end"
        )
        tagged = "ticket_id % 7 = 0"  # category as a tag, not the custom field
        category, status = "category", "status"
        minutes = "(first_response - created) // 60"
        self.run(
            f"""
            create or replace temp table versions as
            select
                row_number() over (order by updated, ticket_id) - 1 as ord,
                {requester} as requester,
                customer,
                {{
                    'id': ticket_id,
                    'url': 'https://sample.zendesk.com/api/v2/tickets/' || ticket_id || '.json',
                    'created_at': {ts("created")},
                    'updated_at': {ts("updated")},
                    'type': 'question',
                    'subject': 'Sample ticket ' || ticket_id,
                    'priority': priority,
                    'status': case when {status} = 'pending' and ticket_id % 3 = 0
                        then 'hold' else {status} end,
                    'requester_id': {requester},
                    'assignee_id': 370000000 + agent,
                    'group_id': 360000000 + list_position({QUEUES}, queue),
                    'tags': case when {tagged}
                        then ['cat_' || lower(trim({category}))] else ['sample'] end,
                    'custom_fields': [
                        {{'id': {CATEGORY_FIELD},
                          'value': case when not {tagged} then {category} end}},
                        {{'id': {ORIGIN_CALL_FIELD},
                          'value': {contact_uuid("source_call_id", "1")}}}
                    ],
                    'via': {{'channel': {via}}},
                    'satisfaction_rating': {{'score': 'unoffered'}},
                    'metric_set': {{
                        'ticket_id': ticket_id,
                        'replies': replies,
                        'reopens': reopen,
                        'solved_at': {ts("solved")},
                        'reply_time_in_minutes': {{'calendar': {minutes}, 'business': {minutes}}}
                    }}
                }} as ticket
            from numbers
            """
        )
        self.run(
            f"""
            create or replace temp table delivered_versions as
            select ord // {PAGE_TICKETS} as page, * from (
                select ord, requester, customer, ticket from versions
                union all
                select ord, requester, customer, ticket from versions
                where ticket.id % 53 = 0
            )
            """
        )
        pages = self.run("select coalesce(max(page), 0) from delivered_versions")
        last = pages[0][0]
        external = f"case when customer % 5 <> 1 then {customer('customer')} end"
        for page in range(last + 1):
            cursor = f"'{self.ymd}-{page + 1:04d}'"
            self.copy_json(
                f"""
                select
                    coalesce((select list(ticket order by ord) from delivered_versions
                              where page = {page}), []) as tickets,
                    coalesce((select list(u order by u.id)
                              from (select distinct {{'id': requester, 'external_id': {external},
                                                      'role': 'end-user'}} as u
                                    from delivered_versions where page = {page})), []) as users,
                    to_base64(encode({cursor})) as after_cursor,
                    {str(page == last).lower()} as end_of_stream
                """,
                folder / f"tickets-{self.ymd}-{page + 1:04d}.json",
            )
        return self.con.execute("select count(*) from delivered_versions").fetchall()[0][0]

    def response_export(self, folder: Path) -> int:
        """One row per response, answering the question of its survey type and scale; every
        41st response also as a preview, every 43rd as an unfinished copy."""
        tag = (
            "case "
            + " ".join(
                f"when survey_type = '{t}' and scale_min = {lo} and scale_max = {hi} then '{name}'"
                for name, (t, lo, hi) in QUESTIONS.items()
            )
            + " end"
        )
        local, start = (
            f"strftime(make_timestamp(({at} + {EXPORT_OFFSET}) * 1000000), '%Y-%m-%d %H:%M:%S')"
            for at in ("responded", "responded - 60")
        )
        answer = (
            "case when tag = 'FCR' then case score when 1 then '1' else '2' end"
            " else score::varchar end"
        )
        contact = (
            f"case when contact_type = 'call' then {contact_uuid('contact_id', '1')}"
            " else contact_id::varchar end"
        )
        questions = ", ".join(
            f"case when tag = '{name}' then {answer} end as \"{name}\"" for name in QUESTIONS
        )
        responses = f"""
            select
                {start} as "StartDate", {local} as "EndDate", '0' as "Status",
                '203.0.113.' || (response_id % 250) as "IPAddress", '100' as "Progress",
                '60' as "Duration (in seconds)", '1' as "Finished", {local} as "RecordedDate",
                'R_' || printf('%015x', response_id) as "ResponseId",
                {customer("customer")} as "ExternalReference",
                'email' as "DistributionChannel",
                upper(language) as "UserLanguage",
                {questions},
                case when tag = 'NPS' then case when score >= 9 then '3' when score >= 7 then '2'
                    else '1' end end as "NPS_NPS_GROUP",
                comment as "COMMENT",
                {contact} as "ContactId",
                contact_type as "ContactType",
                responded, response_id
            from (select *, {tag} as tag from numbers)
        """
        rows = f"""
            select * exclude (responded, response_id) from (
                select * from ({responses})
                union all
                select * replace ('1' as "Status", 'R_P' || printf('%014x', response_id)
                    as "ResponseId") from ({responses}) where response_id % 41 = 0
                union all
                select * replace ('0' as "Finished", '40' as "Progress",
                    'R_U' || printf('%014x', response_id) as "ResponseId")
                from ({responses}) where response_id % 43 = 0
            )
            order by responded, "ResponseId"
        """
        tags = [name for name, _, _ in METADATA] + [*QUESTIONS, "NPS_NPS_GROUP", "COMMENT"]
        tags += ["ContactId", "ContactType"]
        texts = [text for _, text, _ in METADATA]
        texts += [f"How would you rate us? ({name})" for name in QUESTIONS]
        texts += ["NPS - Group", "Anything else you would like to tell us?\n(optional)"]
        texts += ["ContactId", "ContactType"]
        ids = [i for _, _, i in METADATA] + [
            {"ImportId": f"QID{n}"} for n in range(1, len(QUESTIONS) + 1)
        ]
        ids += [{"ImportId": "QID8_NPS_GROUP"}, {"ImportId": f"QID{len(QUESTIONS) + 1}_TEXT"}]
        ids += [{"ImportId": "ContactId"}, {"ImportId": "ContactType"}]
        header = self.scratch / "header.csv"
        header_lines = [
            ",".join(csv_field(t) for t in tags),
            ",".join(csv_field(t) for t in texts),
            ",".join(csv_field(json.dumps(i, separators=(",", ":"))) for i in ids),
        ]
        header.write_text("\n".join(header_lines) + "\n", encoding="utf-8")
        body = self.scratch / "body.csv"
        target = str(body).replace("'", "''")
        self.run(f"copy ({rows}) to '{target}' (format csv, header false)")
        path = folder / f"responses-{self.ymd}.csv"
        with path.open("wb") as out:
            out.write(b"\xef\xbb\xbf")  # Qualtrics writes a byte-order mark
            for part in (header, body):
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out)
        return self.con.execute(f"select count(*) from ({rows})").fetchall()[0][0]


def csv_field(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def empty_numbers(feed: str):
    """A day without rows of a feed: the columns its writer reads, no rows."""
    columns = {
        "calls": "call_id leg_seq direction customer queue agent started answered ended wrap"
        " disposition reason_code resolved",
        "tickets": "ticket_id updated customer channel category queue priority status agent"
        " created first_response solved reopen replies source_call_id",
        "surveys": "response_id survey_type contact_type contact_id customer responded score"
        " scale_min scale_max language comment",
    }[feed].split()
    return _arrow({c: np.zeros(0, np.int64) for c in columns})


class Identities:
    """The identity map the written days need: the callers known to Connect only by number,
    the requesters known to Zendesk only by requester_id, each with the customer they are."""

    def __init__(self) -> None:
        self.rows: set[tuple[str, str, str]] = set()

    def add(self, feed: str, rows: dict[str, np.ndarray]) -> None:
        if not rows or feed == "surveys":
            return
        customers = np.unique(rows["customer"])
        if feed == "calls":
            for c in customers[(customers >= 0) & (customers % 5 == 0)].tolist():
                digits = str(2_000_000_000 + c)
                # as people write numbers, and as E.164: the same key once normalised
                number = f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"
                number = number if c % 10 else f"+1{digits}"
                self.rows.add(("amazon_connect", number, f"CU{c:08d}"))
        else:
            for c in customers[(customers >= 0) & (customers % 5 == 1)].tolist():
                self.rows.add(("zendesk", str(1_000_000_000 + c), f"CU{c:08d}"))


def deployment_settings(sources: tuple[str, ...], seed: int) -> str:
    """The settings.toml the sample's vendor exports are read with."""
    questions = "\n".join(
        f'{tag} = {{ survey_type = "{t}", scale = [{lo}, {hi}]'
        + (', values = { "1" = 1, "2" = 0 }' if t == "fcr" else "")
        + " }"
        for tag, (t, lo, hi) in QUESTIONS.items()
    )
    listed = ", ".join(f'"{s}"' for s in sources)
    return f"""# Written by `ccpipe generate --sources {",".join(sources)}`:
# the deployment its sample vendor exports are read with (docs/operations.md).
[pipeline]
sources = [{listed}]

[secrets]
# A sample key: a deployment sets its own secret (CCPIPE_PHONE_HASH_KEY).
phone_hash_key = "sample-phone-hash-key-{seed:04d}-not-a-secret"

[amazon_connect]
customer_attribute = "CustomerId"
category_attribute = "ContactReason"
resolved_attribute = "Resolved"
voicemail_attribute = "Voicemail"

[zendesk]
category_field_id = {CATEGORY_FIELD}
category_tag_prefix = "cat_"
origin_call_field_id = {ORIGIN_CALL_FIELD}
require_external_id = true

[qualtrics]
contact_column = "ContactId"
contact_type_column = "ContactType"
customer_column = "ExternalReference"
keep_partial = false

[qualtrics.questions]
{questions}
COMMENT = "comment"
"""


def write_deployment(home: Path, sources: tuple[str, ...], seed: int, ids: Identities) -> None:
    """settings.toml (refused if the home has other settings) and identities.csv (merged with
    the rows an earlier run wrote: the map is a function of the customer, not of the days)."""
    settings = home / "settings.toml"
    text = deployment_settings(sources, seed)
    if settings.exists() and settings.read_text(encoding="utf-8") != text:
        raise ValueError(
            f"{settings} exists with other settings; the vendor sample writes its own: "
            "move it away, or generate into another home (--home)"
        )
    settings.write_text(text, encoding="utf-8")
    path = home / "identities.csv"
    rows = set(ids.rows)
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        rows |= {tuple(line.split(",", 2)) for line in lines if line}
    body = "".join(f"{s},{k},{c}\n" for s, k, c in sorted(rows))
    path.write_text("source,source_key,customer_id\n" + body, encoding="utf-8")
