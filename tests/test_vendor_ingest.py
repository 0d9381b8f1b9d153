"""Vendor exports into the raw layer: what each source's bad input gets. A structurally broken
file is refused by name (a truncated Zendesk page, a Qualtrics export without its third header
row, a file of other records); a bad record is quarantined with its file, line or JSON path
and a reason (a Connect record without ContactId, a Zendesk version breaking a rule or on a
channel nobody mapped, an answer to a Qualtrics question the map does not name); a replayed
file loads once. Real files, DuckDB and GX; no dbt."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ccpipe.ingest import IngestError, ingest_date
from ccpipe.paths import Paths
from ccpipe.quality import GateError, validate_feeds
from ccpipe.settings import load_settings

from conftest import survey, write_csv

FIXTURES = Path(__file__).parent / "fixtures"
D1, D2 = "2026-11-02", "2026-11-03"


@pytest.fixture
def home(tmp_path: Path) -> Paths:
    """An empty home under the fixtures' deployment (settings.toml, identity map)."""
    paths = Paths((tmp_path / "home").resolve()).ensure()
    for name in ("settings.toml", "identities.csv"):
        shutil.copy(FIXTURES / "home" / name, paths.home / name)
    return paths


def land(paths: Paths, source: str, day: str, name: str, content: bytes | str) -> Path:
    folder = paths.landing_dir(source, day)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def fixture(source: str, day: str, name: str) -> bytes:
    return (FIXTURES / source / day / name).read_bytes()


def ingest(paths: Paths, day: str, *sources: str):
    return ingest_date(paths, day, sources, settings=load_settings(paths))


def rows(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.work_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def quarantine(paths: Paths) -> list[tuple]:
    return rows(
        paths,
        "select feed, source_file, source_line, source_path, rule, reason from raw.quarantine "
        "where feed <> 'identities' order by all",
    )


# --------------------------------------------------------------------------- Amazon Connect


def test_a_connect_record_without_contact_id_is_quarantined_and_stops_the_gate(home) -> None:
    records = fixture("amazon_connect", D1, "contact-records-1.jsonl").decode().splitlines()
    stray = json.loads(records[0]) | {"ContactId": None}
    land(home, "amazon_connect", D1, "records.jsonl", "\n".join([*records, json.dumps(stray)]))
    loads = ingest(home, D1, "amazon_connect")
    assert (loads["amazon_connect"].rows_loaded, loads["amazon_connect"].rows_quarantined) == (
        13,
        1,
    )
    assert quarantine(home) == [
        (
            "amazon_connect",
            f"amazon_connect/{D1}/records.jsonl",
            14,
            None,
            "expect_column_values_to_not_be_null(contact_id)",
            "contact_id is required",
        )
    ]
    # 1 of 14 quarantined is over max_bad_row_share (1%): the feed gate names the record
    with pytest.raises(GateError) as stopped:
        validate_feeds(home, D1, feeds=("amazon_connect",), settings=load_settings(home))
    assert "suite amazon_connect: expect_table_row_count_to_be_between($min_rows_loaded)" in (
        stopped.value.reason
    )
    assert f"amazon_connect/{D1}/records.jsonl line 14: contact_id is required" in str(
        stopped.value
    )


def test_connect_records_are_read_with_the_attributes_the_deployment_names(home) -> None:
    land(
        home,
        "amazon_connect",
        D1,
        "records.jsonl.gz",
        gzip.compress(fixture("amazon_connect", D1, "contact-records-1.jsonl")),
    )
    land(
        home,
        "amazon_connect",
        D1,
        "one.json",
        fixture("amazon_connect", D1, "conference-customer.json"),
    )
    ingest(home, D1, "amazon_connect")
    found = rows(
        home,
        "select contact_id[-3:], customer_attribute, category_attribute, resolved_attribute, "
        "voicemail_attribute, _source_file, _source_line from raw.connect_contact_records "
        "where contact_id[-3:] in ('a01', 'b01', 'd01') order by 1",
    )
    assert found == [
        ("a01", "K2", "Billing", False, None, f"amazon_connect/{D1}/records.jsonl.gz", 1),
        # the pretty-printed record of its own file: record 1; "yes" read as true
        ("b01", None, "Login", True, None, f"amazon_connect/{D1}/one.json", 1),
        ("d01", "K6", None, None, True, f"amazon_connect/{D1}/records.jsonl.gz", 8),
    ]
    # delivered at least once: every copy is kept in the raw layer (dbt keeps the newest)
    assert rows(
        home, "select count(*) from raw.connect_contact_records where contact_id[-3:] = 'a02'"
    ) == [(3,)]


def test_a_file_of_other_records_is_refused_as_not_contact_records(home) -> None:
    land(home, "amazon_connect", D1, "calls.jsonl", '{"call_id": "C1", "leg_seq": 1}\n')
    with pytest.raises(IngestError) as refused:
        ingest(home, D1, "amazon_connect")
    assert refused.value.problems == {
        f"amazon_connect/{D1}/calls.jsonl": "no record has ContactId, Channel, InitiationMethod, "
        "InitiationTimestamp, LastUpdateTimestamp: not Amazon Connect contact records"
    }


def test_a_replayed_connect_file_loads_once(home) -> None:
    content = fixture("amazon_connect", D1, "contact-records-1.jsonl")
    land(home, "amazon_connect", D1, "records.jsonl", content)
    land(home, "amazon_connect", D2, "records-again.jsonl", content)
    ingest(home, D1, "amazon_connect")
    loads = ingest(home, D2, "amazon_connect")
    assert [(f.status, f.message) for f in loads["amazon_connect"].files] == [
        (
            "skipped_duplicate",
            f"same content as amazon_connect/{D1}/records.jsonl (loaded for {D1})",
        )
    ]


# --------------------------------------------------------------------------- Zendesk


def test_a_truncated_zendesk_page_is_refused_by_name_and_the_others_load(home) -> None:
    page = fixture("zendesk", D1, "tickets-page-0001.json")
    land(home, "zendesk", D1, "page-0001.json", page[: len(page) // 2])
    land(
        home,
        "amazon_connect",
        D1,
        "records.jsonl",
        fixture("amazon_connect", D1, "contact-records-1.jsonl"),
    )
    with pytest.raises(IngestError) as refused:
        ingest(home, D1, "amazon_connect", "zendesk")
    ((file, problem),) = refused.value.problems.items()
    assert file == f"zendesk/{D1}/page-0001.json"
    assert problem.startswith("cannot be read (") and "Malformed JSON" in problem
    audit = rows(
        home, "select feed, status from raw.load_audit where feed <> 'identities' order by 1"
    )
    assert audit == [("amazon_connect", "loaded"), ("zendesk", "failed")]


def test_a_json_file_that_is_not_an_export_page_is_refused(home) -> None:
    land(home, "zendesk", D1, "users.json", '{"users": [{"id": 1}], "end_of_stream": true}')
    with pytest.raises(IngestError) as refused:
        ingest(home, D1, "zendesk")
    assert refused.value.problems == {
        f"zendesk/{D1}/users.json": "is not an incremental export page: one JSON object with "
        'a "tickets" array'
    }


def test_zendesk_versions_are_judged_and_named_by_their_json_path(home) -> None:
    page = json.loads(fixture("zendesk", D1, "tickets-page-0001.json"))
    page["tickets"][1]["status"] = "escalated"
    page["tickets"][3]["via"]["channel"] = "sms"
    land(home, "zendesk", D1, "page.json", json.dumps(page, indent=2))
    ingest(home, D1, "zendesk")
    assert quarantine(home) == [
        (
            "zendesk",
            f"zendesk/{D1}/page.json",
            2,
            "$.tickets[1]",
            "expect_column_values_to_be_in_set(status)",
            "status 'escalated' is not one of new, open, pending, hold, solved, closed, deleted",
        ),
        (
            "zendesk",
            f"zendesk/{D1}/page.json",
            4,
            "$.tickets[3]",
            "zendesk_via_channel",
            "via.channel 'sms' is not mapped to a channel: add it to [zendesk] channels "
            '(e.g. sms = "web")',
        ),
    ]
    found = rows(
        home,
        "select ticket_id, channel, category, requester_external_id, source_call_id, "
        "first_reply_minutes, _source_path from raw.zendesk_ticket_versions order by all",
    )
    assert found == [
        ("100", "email", "Login", "K1", None, None, "$.tickets[0]"),
        # the category from the tag prefix, the call from the custom field
        (
            "101",
            "phone",
            "billing",
            None,
            "a1b2c3d4-0000-4000-8000-000000000a01",
            None,
            "$.tickets[2]",
        ),
        ("103", "web", "Billing", "K4", None, None, "$.tickets[4]"),
    ]


# --------------------------------------------------------------------------- Qualtrics


def export_lines() -> list[str]:
    return fixture("qualtrics", D1, "post-contact-survey.csv").decode("utf-8-sig").split("\r\n")


def test_a_qualtrics_export_missing_its_third_header_row_is_refused(home) -> None:
    lines = export_lines()  # records: tags, question texts (one spans two lines), import ids
    land(home, "qualtrics", D1, "export.csv", "\r\n".join(lines[:2] + lines[3:]))
    with pytest.raises(IngestError) as refused:
        ingest(home, D1, "qualtrics")
    assert refused.value.problems == {
        f"qualtrics/{D1}/export.csv": 'line 3 is not the ImportId row ({"ImportId": ...} for '
        "every column): a Qualtrics export has three header rows (export tags, question "
        "texts, import ids)"
    }


def test_an_answer_to_an_unmapped_export_tag_is_quarantined_naming_the_tag(home) -> None:
    lines = export_lines()
    lines[0] += ",Q5"
    lines[1] += ",How did you hear about us?"
    lines[2] += ',"{""ImportId"":""QID5""}"'
    lines[3] += ",3"
    land(home, "qualtrics", D1, "export.csv", "\r\n".join(lines))
    loads = ingest(home, D1, "qualtrics")
    assert (loads["qualtrics"].rows_loaded, loads["qualtrics"].rows_quarantined) == (3, 1)
    assert quarantine(home) == [
        (
            "qualtrics",
            f"qualtrics/{D1}/export.csv",
            4,
            None,
            "qualtrics_export_tag",
            "export tag 'Q5' is not in [qualtrics.questions]: map it to a survey type and "
            'scale, "comment" or "ignore"',
        )
    ]


def test_an_export_without_a_time_zone_is_refused(home) -> None:
    lines = export_lines()
    lines[2] = lines[2].replace(',""timeZone"":""America/Denver""', "")
    land(home, "qualtrics", D1, "export.csv", "\r\n".join(lines))
    with pytest.raises(IngestError, match="its ImportId row names no timeZone"):
        ingest(home, D1, "qualtrics")


def test_qualtrics_dates_are_read_in_the_exports_time_zone(home) -> None:
    land(
        home,
        "qualtrics",
        D2,
        "export.csv.gz",
        fixture("qualtrics", D2, "post-contact-survey.csv.gz"),
    )
    ingest(home, D2, "qualtrics")
    found = rows(
        home,
        "select response_id, export_tag, score, strftime(recorded_date, '%Y-%m-%dT%H:%M:%S'), "
        "finished, status, _source_line from raw.qualtrics_responses order by 1, 2",
    )
    assert found == [
        ("R_3b1FixtureB1", "Q1", 2, "2026-11-03T09:30:00", True, "0", 4),
        ("R_3b1FixtureB1", "Q3", 0, "2026-11-03T09:30:00", True, "0", 4),  # recode 2 -> 0
        ("R_3b2FixtureB2", "Q1", 5, "2026-11-03T10:01:00", True, "1", 5),  # a preview: dbt drops it
        ("R_3b3FixtureB3", "Q1", 1, "2026-11-03T11:20:00", False, "0", 6),  # partial: dbt drops it
        ("R_3b4FixtureB4", "Q2", 6, "2026-11-03T12:00:00", True, "0", 7),
    ]


# --------------------------------------------------------------------------- identities, CSAT


def test_bad_rows_of_the_identity_map_are_quarantined(home) -> None:
    (home.home / "identities.csv").write_text(
        "source,source_key,customer_id\nzendesk,1,K1\nsalesforce,2,K2\nzendesk,1,K3\n"
    )
    ingest(home, D1)
    assert rows(home, "select source, source_key, customer_id from raw.customer_identities") == [
        ("zendesk", "1", "K1")
    ]
    reasons = rows(home, "select source_line, reason from raw.quarantine order by 1")
    assert reasons == [
        (3, "source 'salesforce' is not one of amazon_connect, zendesk, qualtrics"),
        (
            4,
            "duplicate key (source, source_key) within the load; first seen in identities.csv "
            "line 2",
        ),
    ]


def test_a_two_point_csat_loads_and_a_one_point_scale_does_not(tmp_path) -> None:
    """The canonical surveys feed takes a helpdesk's good/bad as CSAT on 0-1."""
    paths = Paths((tmp_path / "home").resolve()).ensure()
    good = survey(response_id="R1", score="1", scale_min="0", scale_max="1")
    flat = survey(response_id="R2", score="1", scale_min="1", scale_max="1")
    write_csv(paths, "surveys", D1, "s.csv", [good, flat])
    ingest_date(paths, D1, ("surveys",))
    assert rows(paths, "select response_id from raw.survey_responses") == [("R1",)]
    assert rows(paths, "select source_line, reason from raw.quarantine") == [
        (3, "scale_max '1' must be after scale_min '1' when survey_type == csat")
    ]
