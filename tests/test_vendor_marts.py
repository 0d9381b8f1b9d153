"""The vendor exports end to end: the hand-built Amazon Connect, Zendesk and Qualtrics fixtures
(tests/fixtures/, each with a README) through two daily loads, every number of kpi_daily,
call_ops_daily and ticket_ops_daily worked out by hand below; a full rebuild gives the same
marts; no phone number and no secret outlives the raw layer.

The story (UTC; D1 2026-11-02, D2 2026-11-03; FCR window 7 days):

- Calls (Connect). A: K2, billing -> retention transfer, answer 20 s, handle (160 + 15) +
  (270 + 30) = 475 s, its first leg marked Resolved false (unresolved); its transfer leg
  arrives three times (the newest LastUpdateTimestamp wins: category cancellation). B: the
  conference: a caller known only by +15550100001, which the identity map names K1, login,
  answer 5 s, handle 595 + 20; the dialled third party is no leg. C1, C2: abandoned (3 s:
  short; 40 s). V1: voicemail. CB1: a callback, K4 billing, answer 30 s, handle 270. O1:
  outbound. CH1: a chat. E1: +442079460000 (unmapped: keyed by its hash), login, answer
  10 s, handle 250. G: K5 billing, transferred at 23:59:50 to a leg that ends at 00:04 on
  D2 and arrives with D2's file: answer 10 s, handle (100 + 0) + (220 + 20) = 340 s.
  D2: F1 the same number as E1 about login again (E1's repeat), answer 15 s, handle 290;
  H1 K2 billing, answer 25 s, handle 345.
- Tickets (Zendesk). T100 K1 login email 15:00, one-touch solved 17:00 after a 45-minute
  first reply: B's repeat across channels. T101 opened from call A (not a contact). T102
  zendesk:777 billing via api (web), on hold: pending, unresolved, first reply 30 min. T103
  K4 billing web 21:00, CB1's repeat, deleted on D2: gone, and CB1 resolved again. D2: T104
  K4 refund chat 07:00, reply 10 min, solved 09:00, rated good at 10:00; T105 K1 billing
  native_messaging 08:00, reply 5 min, reopened, solved 11:00, rated bad.
- Surveys (Qualtrics, America/Denver). D1: R_a1 on B: CSAT 5/5, NPS 10, resolved yes.
  D2: R_b1 on A: CSAT 2/5, resolved no (recode 2 -> 0); R_b2 a preview, R_b3 partial (left
  out); R_b4 on T100: NPS 6. Zendesk: T104 good (1 on 0-1), T105 bad (0).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import duckdb
import pytest

from ccpipe import cli
from ccpipe.paths import Paths
from ccpipe.relations import dbt_target_dir

from conftest import BI_MARTS

FIXTURES = Path(__file__).parent / "fixtures"
D1, D2 = "2026-11-02", "2026-11-03"
SOURCES = ("amazon_connect", "zendesk", "qualtrics")
SECRET = "fixture-secret-do-not-use-0123456789"
PHONES = ("5550100001", "5550100002", "5550100005", "442079460000", "5550199999")


def vendor_home(parent: Path) -> Paths:
    """A home with the fixtures' landing files, settings.toml and identity map."""
    home = parent / "home"
    for source in SOURCES:
        shutil.copytree(FIXTURES / source, home / "landing" / source, ignore=readme)
    for name in ("settings.toml", "identities.csv"):
        shutil.copy(FIXTURES / "home" / name, home / name)
    return Paths(home.resolve()).ensure()


def readme(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".md")]


def marts(db: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(db), read_only=True) as con:
        found = {}
        for table in BI_MARTS:
            cursor = con.execute(f"select * from marts.{table} order by all")
            names = [d[0] for d in cursor.description]
            found[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return found


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, dict[str, list[dict]]]:
    paths = vendor_home(tmp_path_factory.mktemp("vendors"))
    assert cli.main(["--home", str(paths.home), "run", "--start", D1, "--end", D2]) == 0
    return paths, marts(paths.published_db)


def by_date(rows: list[dict], *keys: str) -> dict:
    return {tuple(str(row[k]) for k in keys): row for row in rows}


def pick(row: dict, columns: dict) -> dict:
    return {c: row[c] for c in columns}


KPI = {
    D1: {
        "contacts_handled": 7,
        "fcr_eligible": 7,
        "fcr_resolved": 3,  # CB1 (T103 deleted), G, T100
        "fcr_unlinked_contacts": 0,
        "fcr_rate": pytest.approx(3 / 7),
        "fcr_is_final": False,
        "is_date_loaded": True,
        "fcr_survey_responses": 1,
        "fcr_survey_rate": 1.0,
        "csat_responses": 1,
        "csat_satisfied": 1,
        "csat_score_pct": 100.0,
        "nps_responses": 1,
        "nps_promoters": 1,
        "nps_detractors": 0,
        "nps": 100.0,
        "ces_responses": 0,
    },
    D2: {
        "contacts_handled": 4,
        "fcr_eligible": 4,
        "fcr_resolved": 3,  # F1, H1, T104 (T105 reopened)
        "fcr_unlinked_contacts": 0,
        "fcr_rate": 0.75,
        "fcr_is_final": False,
        "is_date_loaded": True,
        "fcr_survey_responses": 1,
        "fcr_survey_rate": 0.0,
        # R_b1 2/5, T104 good, T105 bad: 1 of 3 top box; (2 + 1 + 0) / (5 + 1 + 1)
        "csat_responses": 3,
        "csat_satisfied": 1,
        "csat_pct": pytest.approx(1 / 3),
        "csat_score_pct": pytest.approx(300 / 7),
        "nps_responses": 1,
        "nps_promoters": 0,
        "nps_detractors": 1,
        "nps": -100.0,
        "ces_responses": 0,
    },
}

CALL_OPS = {
    (D1, "billing"): {
        # A, C1, C2, CB1, G: C1 a short abandon; answers 20, 30, 10 s
        "calls_offered": 5,
        "calls_handled": 3,
        "calls_abandoned": 2,
        "short_abandons": 1,
        "calls_voicemail": 0,
        "calls_within_service_level": 2,
        "calls_transferred": 2,
        "abandon_rate": 0.25,
        "asa_seconds": 20.0,
        "service_level": 0.5,
        "aht_seconds": pytest.approx((475 + 270 + 340) / 3),
        "transfer_rate": pytest.approx(2 / 3),
    },
    (D1, "general"): {
        "calls_offered": 1,
        "calls_handled": 0,
        "calls_abandoned": 0,
        "calls_voicemail": 1,
        "abandon_rate": 0.0,
        "asa_seconds": None,
        "aht_seconds": None,
        "transfer_rate": None,
    },
    (D1, "tech_support"): {
        "calls_offered": 2,
        "calls_handled": 2,
        "calls_within_service_level": 2,
        "asa_seconds": 7.5,
        "aht_seconds": 432.5,
        "transfer_rate": 0.0,
    },
    (D2, "billing"): {
        "calls_offered": 1,
        "calls_handled": 1,
        "calls_within_service_level": 0,
        "asa_seconds": 25.0,
        "aht_seconds": 345.0,
    },
    (D2, "tech_support"): {
        "calls_offered": 1,
        "calls_handled": 1,
        "calls_within_service_level": 1,
        "asa_seconds": 15.0,
        "aht_seconds": 290.0,
    },
}

TICKET_OPS = {
    (D1, "email"): {
        "tickets_created": 1,
        "tickets_solved": 1,
        "tickets_replied": 1,
        "first_reply_minutes_median": 45.0,
        "resolution_hours_median": 2.0,
    },
    (D1, "phone"): {"tickets_created": 1, "tickets_solved": 0, "tickets_replied": 0},
    # T102 only: T103 was deleted
    (D1, "web"): {"tickets_created": 1, "tickets_replied": 1, "first_reply_minutes_median": 30.0},
    (D2, "chat"): {
        "tickets_created": 2,
        "tickets_solved": 2,
        "tickets_replied": 2,
        "first_reply_minutes_median": 7.5,
        "first_reply_minutes_p90": 9.5,
        "resolution_hours_median": 2.5,
        "resolution_hours_p90": pytest.approx(2.9),
    },
}


def test_kpi_daily_is_the_hand_worked_story(loaded) -> None:
    rows = by_date(loaded[1]["kpi_daily"], "reporting_date")
    assert sorted(rows) == [(D1,), (D2,)]
    for day, expected in KPI.items():
        assert pick(rows[(day,)], expected) == expected, day


def test_call_ops_daily_is_the_hand_worked_story(loaded) -> None:
    rows = by_date(loaded[1]["call_ops_daily"], "reporting_date", "queue")
    assert sorted(rows) == sorted(CALL_OPS)
    for key, expected in CALL_OPS.items():
        assert pick(rows[key], expected) == expected, key


def test_ticket_ops_daily_is_the_hand_worked_story(loaded) -> None:
    rows = by_date(loaded[1]["ticket_ops_daily"], "reporting_date", "channel")
    assert sorted(rows) == sorted(TICKET_OPS)
    for key, expected in TICKET_OPS.items():
        assert pick(rows[key], expected) == expected, key


def contact(tag: str) -> str:
    return f"a1b2c3d4-0000-4000-8000-{tag:0>12}"


def phone_key(number: str) -> str:
    return "phone:" + hmac.new(SECRET.encode(), number.encode(), hashlib.sha256).hexdigest()


def test_contacts_across_vendors_and_their_verdicts(loaded) -> None:
    """Customers meet across Connect and Zendesk through the identity map and CRM ids; the
    conference's third party and a deleted ticket are not contacts."""
    found = {
        (r["contact_type"], r["contact_id"]): (
            r["customer_id"],
            r["issue_category"],
            r["queue"],
            r["is_first_contact_resolved"],
        )
        for r in loaded[1]["fct_contacts"]
    }
    unmapped = phone_key("+442079460000")
    assert found == {
        ("call", contact("a01")): ("K2", "cancellation", "retention", False),
        ("call", contact("b01")): ("K1", "login", "tech_support", False),  # T100 repeats it
        ("call", contact("e01")): ("K4", "billing", "billing", True),
        ("call", contact("e04")): (unmapped, "login", "tech_support", False),  # F1 repeats it
        ("call", contact("f01")): ("K5", "billing", "retention", True),
        ("call", contact("g01")): (unmapped, "login", "tech_support", True),
        ("call", contact("g02")): ("K2", "billing", "billing", True),
        ("ticket", "100"): ("K1", "login", "360000111", True),
        ("ticket", "102"): ("zendesk:777", "billing", "360000111", False),
        ("ticket", "104"): ("K4", "refund", "360000113", True),
        ("ticket", "105"): ("K1", "billing", "360000111", False),
    }


def test_survey_responses_one_per_answered_question_and_rating(loaded) -> None:
    columns = ("survey_type", "score", "scale_max", "language", "comment")
    found = {
        r["response_id"]: tuple(r[c] for c in columns) for r in loaded[1]["fct_survey_responses"]
    }
    assert found == {
        "R_2a1FixtureA1/Q1": ("csat", 5, 5, "en", "All good 👍"),
        "R_2a1FixtureA1/Q2": ("nps", 10, 10, "en", "All good 👍"),
        "R_2a1FixtureA1/Q3": ("fcr", 1, 1, "en", "All good 👍"),
        "R_3b1FixtureB1/Q1": ("csat", 2, 5, "pt-BR", 'Line one\nline two, "quoted"'),
        "R_3b1FixtureB1/Q3": ("fcr", 0, 1, "pt-BR", 'Line one\nline two, "quoted"'),
        "R_3b4FixtureB4/Q2": ("nps", 6, 10, "en", None),
        "zendesk-rating-9001": ("csat", 1, 1, None, "Quick and kind"),
        "zendesk-rating-9002": ("csat", 0, 1, None, "Had to ask twice"),
    }
    rated = {r["response_id"]: r for r in loaded[1]["fct_survey_responses"]}
    # dated when rated (10:00), not when the ticket was last updated (closed at 18:00); a
    # Qualtrics RecordedDate of 02:30 in Denver (MST) is 09:30 UTC
    assert rated["zendesk-rating-9001"]["responded_at"].isoformat() == f"{D2}T10:00:00+00:00"
    assert rated["R_3b1FixtureB1/Q1"]["responded_at"].isoformat() == f"{D2}T09:30:00+00:00"
    assert rated["R_3b1FixtureB1/Q1"]["queue"] == "retention"  # call A's handling queue


def every_text(db: Path, skip_schemas: tuple[str, ...]) -> str:
    """All text stored in a warehouse's tables outside the given schemas, and its views'
    definitions (a view stores none)."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute(
            "select c.table_schema, c.table_name, c.column_name "
            "from information_schema.columns as c join information_schema.tables as t "
            "using (table_catalog, table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' and c.data_type in ('VARCHAR', 'JSON') "
            f"and c.table_schema not in ({', '.join(repr(s) for s in skip_schemas)})"
        ).fetchall()
        texts = [
            " ".join(str(v) for (v,) in con.execute(f'select "{c}" from "{s}"."{t}"').fetchall())
            for s, t, c in columns
        ]
        texts += [sql for (sql,) in con.execute("select sql from duckdb_views()").fetchall()]
    return "\n".join(texts)


def test_phone_numbers_never_leave_the_raw_layer(loaded) -> None:
    paths, _ = loaded
    raw = every_text(paths.work_db, ("staging", "intermediate", "marts", "audit", "publish_state"))
    assert "+15550100001" in raw  # the raw layer keeps what was delivered
    after = every_text(paths.work_db, ("raw",)) + every_text(paths.published_db, ())
    digits = after.replace(" ", "").replace("-", "")
    assert [number for number in PHONES if number in digits] == []
    # the caller known only by number is keyed by HMAC-SHA256 of it under phone_hash_key
    assert phone_key("+442079460000") in after


def test_the_secret_is_in_no_file_and_no_view(loaded) -> None:
    paths, _ = loaded
    written = [p for p in paths.home.rglob("*") if p.is_file() and p.name != "settings.toml"]
    leaks = [p for p in written if SECRET.encode() in p.read_bytes()]
    assert leaks == []
    assert (dbt_target_dir(paths) / "manifest.json").is_file()


def test_a_rebuild_of_every_date_gives_the_same_marts(loaded) -> None:
    """The daily loads (a call assembled across two days' files, a rating delivered once,
    a deletion) equal one full build of the raw tables."""
    paths, daily = loaded
    assert cli.main(["--home", str(paths.home), "rebuild"]) == 0
    assert marts(paths.published_db) == daily


def test_a_changed_identity_map_is_refused_until_rebuild(loaded, capsys) -> None:
    paths, _ = loaded
    identities = paths.home / "identities.csv"
    before = identities.read_text()
    try:
        identities.write_text(before + "qualtrics,K9,K1\n")
        assert cli.main(["--home", str(paths.home), "run", "--date", D2]) == 1
        refused = capsys.readouterr().err
        assert "SettingsChangedError: settings changed since the marts were built " in refused
        assert "(identity_map identities.csv sha256:" in refused
    finally:
        identities.write_text(before)
