"""The sample-data generator: real files, read back with DuckDB, checked against the contracts."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from ccpipe.contracts import FEEDS as CONTRACTS
from ccpipe_sample import DayModel, generate, volumes
from ccpipe_sample.distributions import COMMENT_TEXT, LOOKBACK_DAYS, OFFSETS
from ccpipe_sample.files import FAULT_KINDS
from ccpipe_sample.model import day_epoch

START = dt.date(2026, 11, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(9)]  # room for 7-day repeats
ENUMS = {
    ("calls", "direction"): {"inbound", "outbound"},
    ("calls", "disposition"): {"completed", "transferred", "abandoned", "voicemail"},
    ("tickets", "channel"): {"email", "chat", "web", "social", "phone"},
    ("tickets", "priority"): {"low", "normal", "high", "urgent"},
    ("tickets", "status"): {"new", "open", "pending", "solved", "closed"},
    ("surveys", "survey_type"): {"csat", "ces", "nps", "fcr"},
    ("surveys", "contact_type"): {"call", "ticket"},
    ("surveys", "language"): {"fa", "ar", "pl", "en"},
}
SCALES = {
    ("csat", 1, 5),
    ("csat", 1, 7),
    ("csat", 1, 10),
    ("csat", 0, 10),
    ("ces", 1, 5),
    ("ces", 1, 7),
    ("ces", 1, 10),
    ("nps", 0, 10),
    ("fcr", 0, 1),
}
# Scores may be written in Persian or Arabic-Indic digits: map both to ASCII in SQL.
ASCII_SCORE = "translate(score, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')"
NAIVE = r"'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$'"


def _files(landing: Path) -> dict[str, str]:
    return {
        str(f.relative_to(landing)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(landing.rglob("*"))
        if f.is_file()
    }


def _header(path: Path) -> list[str]:
    """A file's columns: the CSV header, or the keys of its first JSON record."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        first = f.readline()
    if ".csv" in path.name:
        return first.rstrip("\n").split(",")
    return list(json.loads(first))


def _load(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """One all-VARCHAR table per feed over every file, with file day and name."""
    for feed, contract in CONTRACTS.items():
        selects = []
        for path in sorted((landing / feed).glob("*/*")):
            if ".csv" in path.name:
                source = f"read_csv('{path}', all_varchar = true, header = true, quote = '\"')"
            else:
                types = ", ".join(f"{c}: 'VARCHAR'" for c in contract.column_names)
                source = f"read_json('{path}', columns = {{{types}}}, format = 'newline_delimited')"
            present = {r[0] for r in con.execute(f"describe select * from {source}").fetchall()}
            columns = ", ".join(
                c if c in present else f"null::varchar as {c}" for c in contract.column_names
            )
            selects.append(
                f"select {columns}, '{path.parent.name}' as file_day, '{path.name}' as file"
                f" from {source}"
            )
        con.execute(f"create or replace table {feed} as {' union all '.join(selects)}")


def _connect(landing: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    _load(con, landing)
    con.execute(
        """
        create view legs as
        select *, started_at::timestamptz as s, answered_at::timestamptz as a,
            ended_at::timestamptz as e, leg_seq::int as seq
        from calls
        """
    )
    con.execute(
        """
        create view versions as
        select *, updated_at::timestamptz as u, created_at::timestamptz as c
        from tickets
        """
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchone()


def _count(con: duckdb.DuckDBPyConnection, where: str, table: str) -> int:
    return con.execute(f"select count(*) from {table} where {where}").fetchone()[0]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    landing = tmp_path_factory.mktemp("sample")
    written = generate(landing, START, len(DAYS), contacts_per_day=600)
    return landing, written


@pytest.fixture(scope="module")
def con(sample: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    return _connect(sample[0])


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(tmp_path / name, START, 2, contacts_per_day=150, seed=seed)
    first, again, other = (_files(tmp_path / name) for name in "abc")
    assert first == again
    assert len(first) >= 7  # three feeds, two days, one feed split each day
    assert first.keys() == other.keys()
    assert all(first[f] != other[f] for f in first)


def test_a_day_does_not_depend_on_start_or_the_days_after_it(tmp_path: Path) -> None:
    generate(tmp_path / "long", START, 3, contacts_per_day=150)
    generate(tmp_path / "short", START, 2, contacts_per_day=150)
    generate(tmp_path / "late", DAYS[2], 1, contacts_per_day=150)
    long, short, late = (_files(tmp_path / name) for name in ("long", "short", "late"))
    first_two = {f: h for f, h in long.items() if DAYS[2].isoformat() not in f}
    assert short == first_two
    assert late == {f: h for f, h in long.items() if DAYS[2].isoformat() in f}


def test_every_file_carries_every_contract_column(sample) -> None:
    landing, _ = sample
    shuffled = 0
    for feed, contract in CONTRACTS.items():
        for path in (landing / feed).glob("*/*"):
            columns = _header(path)
            assert sorted(columns) == sorted(contract.column_names), path
            shuffled += columns != contract.column_names
    assert shuffled >= 1  # some CSV files order their columns differently


def test_formats_rotate_and_one_feed_is_split_each_day(sample) -> None:
    landing, _ = sample
    formats = set()
    for day in DAYS:
        per_feed = {f: list((landing / f / day.isoformat()).iterdir()) for f in CONTRACTS}
        day_formats = {p.name.split(".", 1)[1] for files in per_feed.values() for p in files}
        assert len(day_formats) >= 3
        assert sorted(len(files) > 1 for files in per_feed.values()) == [False, False, True]
        formats |= day_formats
    assert formats == {"csv", "csv.gz", "jsonl", "jsonl.gz"}


def test_written_counts_match_the_files_and_the_default_volumes(sample, con) -> None:
    _, written = sample
    for feed, rows in written.items():
        assert _count(con, "true", feed) == rows
    # 600 contacts a day: ~620 legs, ~610 ticket versions, 180 survey answers.
    days = len(DAYS)
    assert 600 * days < written["calls"] < 640 * days
    assert 580 * days < written["tickets"] < 640 * days
    assert 170 * days < written["surveys"] < 190 * days


def test_every_enum_value_and_survey_scale_appears(con) -> None:
    for (feed, column), accepted in ENUMS.items():
        seen = {r[0] for r in con.execute(f"select distinct {column} from {feed}").fetchall()}
        assert seen == accepted, column
    scales = con.execute(
        "select distinct survey_type, scale_min::int, scale_max::int from surveys"
    ).fetchall()
    assert set(scales) == SCALES
    outside = f"{ASCII_SCORE}::int not between scale_min::int and scale_max::int"
    assert _count(con, outside, "surveys") == 0


def test_scores_come_in_persian_and_arabic_indic_digits(con) -> None:
    persian, arabic = _one(
        con,
        "select count(*) filter (where regexp_matches(score, '^[۰-۹]+$')),"
        " count(*) filter (where regexp_matches(score, '^[٠-٩]+$')) from surveys",
    )
    assert persian > 20 and arabic > 20
    foreign = "language not in ('fa', 'ar') and not regexp_matches(score, '^[0-9]+$')"
    assert _count(con, foreign, "surveys") == 0


def test_comments_round_trip_unchanged_through_every_format(con) -> None:
    read = {r[0] for r in con.execute("select distinct comment from surveys").fetchall()}
    assert read - {None} == set(COMMENT_TEXT)
    by_format = con.execute(
        "select distinct split_part(file, '.', 2) from surveys"
        " where comment like '%' || chr(10) || '%'"
    ).fetchall()
    assert {r[0] for r in by_format} >= {"csv", "jsonl"}


def test_arrivals_peak_mid_morning_with_quiet_nights(con) -> None:
    hourly = dict(
        con.execute("select hour(s), count(*) from legs where seq = 1 group by 1").fetchall()
    )
    total = sum(hourly.values())
    assert max(hourly, key=hourly.get) in (9, 10, 11)
    assert sum(hourly.get(h, 0) for h in range(6)) < 0.04 * total
    assert max(hourly[h] for h in (14, 15, 16)) < 0.9 * hourly[10]  # smaller afternoon bump
    assert max(hourly[h] for h in (14, 15, 16)) > max(hourly[h] for h in (12, 13))


def test_timestamps_use_every_offset_for_the_same_instants(con) -> None:
    suffixes = {
        r[0] for r in con.execute("select distinct right(started_at, 6) from calls").fetchall()
    }
    assert {s for s in suffixes if s.endswith("Z")} and suffixes >= set(OFFSETS[1:])
    # Folders hold the UTC day a call started, whatever offset its timestamps are in.
    assert _count(con, "seq = 1 and file_day <> s::date::varchar", "legs") == 0


def test_calls_have_every_shape(con) -> None:
    con.execute(
        """
        create or replace view call_shapes as
        select call_id, any_value(direction) as direction, count(*) as legs,
            count(a) as answered, count(distinct queue) as queues,
            arg_max(disposition, seq) as last_disposition, max(e) - min(s) as wait,
            bool_or(customer_id is null) as anonymous
        from legs group by call_id
        """
    )
    shapes = dict(
        con.execute(
            """
            select 'transferred', count(*) from call_shapes where answered > 1 and queues > 1
            union all select 'transfer_then_abandon', count(*) from call_shapes
                where answered = 1 and legs = 2 and last_disposition = 'abandoned'
            union all select 'abandoned', count(*) from call_shapes
                where answered = 0 and last_disposition = 'abandoned'
            union all select 'short_abandon', count(*) from call_shapes
                where answered = 0 and last_disposition = 'abandoned' and wait < interval 5 second
            union all select 'voicemail', count(*) from call_shapes
                where last_disposition = 'voicemail'
            union all select 'outbound', count(*) from call_shapes where direction = 'outbound'
            union all select 'anonymous', count(*) from call_shapes where anonymous
            union all select 'calls', count(*) from call_shapes
            """
        ).fetchall()
    )
    calls = shapes.pop("calls")
    assert 0.07 < shapes["transferred"] / calls < 0.14
    assert 0.05 < shapes["abandoned"] / calls < 0.11
    assert 0.15 < shapes["short_abandon"] / shapes["abandoned"] < 0.35
    assert all(count >= 10 for count in shapes.values()), shapes
    resolved = {r[0] for r in con.execute("select distinct resolved from calls").fetchall()}
    assert resolved == {"true", "false", None}


def test_call_legs_keep_their_rules(con) -> None:
    broken = _one(
        con,
        """
        select
            count(*) filter (where a < s or e < coalesce(a, s)),
            count(*) filter (where a is not null and (agent_id is null or reason_code is null)),
            count(*) filter (where a is null and (agent_id is not null or wrap_seconds <> '0')),
            count(*) filter (where disposition = 'transferred' and a is null),
            count(*) - count(distinct (call_id, seq))
        from legs
        """,
    )
    assert broken == (0, 0, 0, 0, 0)
    # A transferred leg hands over: the next leg starts when it ends.
    gaps = _one(
        con,
        """
        select count(*) from legs l join legs n on n.call_id = l.call_id and n.seq = l.seq + 1
        where n.s <> l.e
        """,
    )
    assert gaps == (0,)


def test_categories_share_one_vocabulary_spelled_several_ways(con) -> None:
    raw, normal = _one(
        con,
        """
        select count(distinct v), count(distinct lower(trim(v))) from (
            select reason_code as v from calls union all select category from tickets
        ) where v is not null
        """,
    )
    assert normal == 12
    assert raw > 3 * normal
    assert _count(con, "category = 'Billing '", "tickets") > 0


def test_customers_come_back_about_the_same_issue(con) -> None:
    con.execute(
        """
        create or replace table contacts as
        select call_id as id, 'phone' as channel, any_value(customer_id) as customer,
            min(s) as started,
            arg_max(lower(trim(reason_code)), seq) filter (where a is not null) as issue
        from legs where direction = 'inbound' group by call_id having count(a) > 0
        union all
        select ticket_id, arg_max(channel, u), any_value(customer_id), min(c),
            arg_max(lower(trim(category)), u)
        from versions group by ticket_id having bool_and(source_call_id is null)
        """
    )
    pairs = dict(
        con.execute(
            """
            with repeat as (
                select a.channel as first, b.channel as later, b.started - a.started as gap
                from contacts a join contacts b on a.customer = b.customer
                    and a.issue = b.issue and b.started > a.started
                    and b.started <= a.started + interval 8 day
            )
            select 'call_then_ticket', count(*) from repeat
                where first = 'phone' and later <> 'phone'
            union all select 'call_then_call', count(*) from repeat
                where first = 'phone' and later = 'phone'
            union all select 'exactly_7_days', count(*) from repeat where gap = interval 7 day
            union all select 'just_over_7_days', count(*) from repeat
                where gap = interval '7 days 1 second'
            union all select 'within_window', count(*) from repeat where gap <= interval 7 day
            union all select 'contacts', count(*) from contacts
            """
        ).fetchall()
    )
    assert pairs["call_then_ticket"] > 20 and pairs["call_then_call"] > 20
    assert pairs["exactly_7_days"] >= 1 and pairs["just_over_7_days"] >= 1
    assert 0.05 < pairs["within_window"] / pairs["contacts"] < 0.15


def test_ticket_versions_arrive_on_later_days(con) -> None:
    spread, reopened, max_replies = _one(
        con,
        """
        select count(*) filter (where days > 1), count(*) filter (where reopened),
            max(replies)
        from (
            select ticket_id, count(distinct file_day) as days,
                bool_or(reopen_count::int > 0) as reopened,
                max(agent_reply_count::int) as replies
            from versions group by ticket_id
        )
        """,
    )
    assert spread > 100 and reopened > 10 and max_replies == 3
    broken = _one(
        con,
        """
        select
            count(*) filter (where file_day <> u::date::varchar),
            count(*) filter (where c > u or first_response_at::timestamptz < c),
            count(*) filter (where (status in ('solved', 'closed')) <> (solved_at is not null)),
            count(*) filter (where status = 'new' and agent_id is not null),
            count(*) - count(distinct (ticket_id, u))
        from versions
        """,
    )
    assert broken == (0, 0, 0, 0, 0)
    assert _count(con, "status = 'closed'", "versions") > 50
    # a first reply comes whole minutes after the ticket opened, as Zendesk reports it
    uneven = "date_diff('second', c, first_response_at::timestamptz) % 60 <> 0"
    assert _count(con, uneven, "versions") == 0


def test_tickets_from_calls_point_at_real_inbound_calls(con) -> None:
    linked, missing = _one(
        con,
        f"""
        select count(*), count(*) filter (where call_id is null)
        from versions left join (
            select distinct call_id from calls where direction = 'inbound'
        ) on call_id = source_call_id
        where source_call_id is not null and c >= '{START}'::timestamptz + interval 6 hour
        """,
    )
    assert linked > 100 and missing == 0


def test_surveys_rate_real_contacts_after_they_happen(con) -> None:
    known, unknown, early, late = _one(
        con,
        f"""
        with ends as (
            select call_id as id, max(e) as done from legs group by 1
            union all select ticket_id, min(solved_at::timestamptz) from versions group by 1
        )
        select count(done), count(*) filter (where done is null),
            count(*) filter (where responded_at::timestamptz < done),
            count(*) filter (where responded_at::timestamptz >= done + interval 1 day)
        from surveys left join ends on id = contact_id
        where substr(contact_id, 2, 8) >= '{START:%Y%m%d}'
        """,
    )
    assert early == 0 and late > 50
    assert 0.003 < unknown / (known + unknown) < 0.03  # about 1% rate no known contact


def test_volume_overrides_set_each_feed_independently(tmp_path: Path) -> None:
    written = generate(
        tmp_path,
        START,
        1,
        contacts_per_day=100,
        call_legs_per_day=3000,
        ticket_versions_per_day=2000,
        survey_responses_per_day=1000,
    )
    assert 2900 < written["calls"] < 3100
    assert 1850 < written["tickets"] < 2150
    assert 930 < written["surveys"] < 1070
    with pytest.raises(TypeError, match="call_legs"):
        volumes(100, legs=5)


def test_nothing_spills_beyond_the_lookback() -> None:
    model = DayModel(7, volumes(3000))
    model.day(START)
    assert max(model._due) - day_epoch(START) // 86_400 <= LOOKBACK_DAYS


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    landing = tmp_path_factory.mktemp("faulty")
    generate(
        landing,
        START,
        2,
        contacts_per_day=100,
        faults=True,
        call_legs_per_day=4000,
        ticket_versions_per_day=4000,
        survey_responses_per_day=4000,
    )
    bad = landing / "calls" / DAYS[1].isoformat() / "calls_20261102_resend.csv"
    assert "disposition" not in _header(bad) and len(bad.read_text().splitlines()) == 21
    bad.rename(landing / "bad_file.csv")  # kept out of the feed tables below
    return landing, _connect(landing)


FAULT_SQL = {
    "calls": {
        "missing_required": "queue is null",
        "bad_int": "wrap_seconds = 'n/a'",
        "bad_timestamp": "started_at like '%T25:61:%'",
        "naive_timestamp": f"regexp_matches(ended_at, {NAIVE})",
        "bad_enum": "disposition = 'hung_up'",
        "bad_bool": "resolved = 'maybe'",
        "answered_before_started": "try_cast(answered_at as timestamptz)"
        " < try_cast(started_at as timestamptz)",
        "duplicate_key": "count(*) over (partition by call_id, leg_seq) > 1",
    },
    "tickets": {
        "missing_required": "category is null",
        "bad_int": "reopen_count = 'one'",
        "bad_timestamp": "created_at like '%T09:75:%'",
        "naive_timestamp": f"regexp_matches(created_at, {NAIVE})",
        "bad_enum": "status = 'escalated'",
        "solved_at_missing": "status in ('solved', 'closed') and solved_at is null",
        "duplicate_key": "count(*) over (partition by ticket_id, updated_at) > 1",
    },
    "surveys": {
        "missing_required": "score is null",
        "bad_int": "score = 'ten'",
        "bad_timestamp": "responded_at like '%T33:%'",
        "naive_timestamp": f"regexp_matches(responded_at, {NAIVE})",
        "bad_enum": "survey_type = 'rating'",
        "score_outside_scale": f"try_cast({ASCII_SCORE} as int) > scale_max::int",
        "nps_not_0_10": "survey_type = 'nps' and scale_max <> '10'",
        "duplicate_key": "count(*) over (partition by response_id) > 1",
    },
}


@pytest.mark.parametrize("feed", list(CONTRACTS))
def test_faults_mode_writes_every_kind_each_day_in_small_numbers(faulty, feed) -> None:
    _, con = faulty
    assert set(FAULT_SQL[feed]) == set(FAULT_KINDS[feed])
    checks = ", ".join(
        f"({sql})::int as {kind}" if "over" in sql else f"coalesce(({sql}), false)::int as {kind}"
        for kind, sql in FAULT_SQL[feed].items()
    )
    per_day = con.execute(
        f"""
        with flagged as (select file_day, {checks} from {feed})
        select file_day, count(*), {", ".join(f"sum({k})" for k in FAULT_SQL[feed])}
        from flagged group by file_day order by file_day
        """
    ).fetchall()
    assert [day for day, *_ in per_day] == [d.isoformat() for d in DAYS[:2]]
    for _, rows, *kinds in per_day:
        # 10 victims a day over 7-8 kinds; both copies of a duplicate match its check.
        assert all(1 <= k <= 4 for k in kinds), dict(zip(FAULT_SQL[feed], kinds, strict=True))
        assert sum(kinds) < 0.01 * rows


def test_faults_mode_off_writes_clean_rows(sample, con) -> None:
    assert not list(sample[0].rglob("*resend*"))
    for feed, kinds in FAULT_SQL.items():
        for kind, sql in kinds.items():
            if "over" in sql:
                found = _one(
                    con, f"select count(*) from (select {sql} as hit from {feed}) where hit"
                )
            else:
                found = _one(con, f"select count(*) from {feed} where {sql}")
            assert found == (0,), (feed, kind)
