"""Realistic sample landing files for the three feeds (`ccpipe generate`).

Every random draw comes from a numpy generator seeded by (seed, calendar day, stream), so a
day's files depend only on the seed, the day and the volumes: never on `start` or `days`.
Generating 30 days then 31 rewrites the first 30 byte for byte, and generating one new day
alone gives the same files as generating it inside a long run. Contacts that reach into
later days (repeat contacts, ticket versions, late survey responses) are drawn on the day
they start and filed under the day they happen; so that the first generated day also
carries that spill-over, the generator quietly models `LOOKBACK_DAYS` days before `start`
without writing them.

Numbers are drawn with numpy; ids, timestamps and enums are formatted, and files written, by
DuckDB (gzip at level 1 in Python's zlib): no Python loop touches a row of the big feeds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ccpipe.config import FEEDS
from ccpipe.contracts import FEEDS as CONTRACTS

DAY = 86_400
# No row is filed more than 7 days after the day its contact started (a ticket lives at most
# 6 days, from a call that may end after midnight; a survey answer comes at most 3 days
# after a solve at most 4 days after creation), so modelling 8 days back covers every
# spill-over into a day. Repeats reach 8 days back too, but only need those days' first draws.
LOOKBACK_DAYS = 8
EPOCH = dt.date(1970, 1, 1)

# Share of arrivals per UTC hour: quiet nights, mid-morning peak, lunch dip, afternoon bump.
HOURLY = np.array(
    [0.4, 0.3, 0.25, 0.25, 0.3, 0.5, 1.2, 2.8, 5.0, 7.2, 8.2, 7.6]
    + [6.0, 5.6, 6.4, 6.6, 5.8, 4.6, 3.4, 2.6, 2.0, 1.5, 1.0, 0.7]
)
HOURLY = HOURLY / HOURLY.sum()
# Email, web and social tickets arrive around the clock more than calls and chats do.
HOURLY_ASYNC = 0.6 * HOURLY + 0.4 / 24

QUEUES = ["billing", "tech_support", "sales", "retention", "general"]
GENERAL = QUEUES.index("general")
# One issue vocabulary for call reason codes and ticket categories, with each one's home queue.
CATEGORIES = {
    "billing": "billing",
    "payment": "billing",
    "refund": "billing",
    "login": "tech_support",
    "connectivity": "tech_support",
    "device": "tech_support",
    "upgrade": "sales",
    "new_order": "sales",
    "cancellation": "retention",
    "complaint": "retention",
    "address_change": "general",
    "general_inquiry": "general",
}
CATEGORY_P = np.array([14, 9, 6, 10, 12, 7, 6, 6, 7, 6, 5, 12], float)
CATEGORY_P /= CATEGORY_P.sum()
HOME_QUEUE = np.array([QUEUES.index(q) for q in CATEGORIES.values()], np.int8)
# Per queue, 12 slots cycling through the categories it owns: what an agent there codes.
QUEUE_CATEGORY = np.array(
    [np.resize(np.flatnonzero(HOME_QUEUE == q), 12) for q in range(len(QUEUES))], np.int64
)
# Source systems spell a category several ways; compared lower-cased and trimmed they agree.
SPELLINGS = ("{}", "{}", "{} ", " {}", "{}", "{} ")
SPELLING_CASE = (str.lower, str.title, str.title, str.lower, str.upper, str.lower)
SPELLING_P = np.array([0.80, 0.07, 0.04, 0.03, 0.03, 0.03])
CATEGORY_TEXT = [
    fmt.format(case(name))
    for name in CATEGORIES
    for fmt, case in zip(SPELLINGS, SPELLING_CASE, strict=True)
]

# Call shapes: legs per call, and how often each occurs.
SINGLE, TRANSFER2, TRANSFER3, TRANSFER_ABANDON, ABANDON, VOICEMAIL, OUT_ANSWERED, OUT_MISSED = (
    range(8)
)
CALL_KIND_P = np.array([0.675, 0.085, 0.02, 0.01, 0.08, 0.03, 0.07, 0.03])
CALL_LEGS = np.array([1, 2, 3, 2, 1, 1, 1, 1])
HANDLED_SHARE = float(CALL_KIND_P[:4].sum())  # inbound calls with an answered leg
LEGS_PER_CALL = float(CALL_KIND_P @ CALL_LEGS)
DIRECTIONS = ["inbound", "outbound"]
DISPOSITIONS = ["completed", "transferred", "abandoned", "voicemail"]

CHANNELS = ["email", "chat", "web", "social", "phone"]
PHONE = CHANNELS.index("phone")
CHANNEL_P = np.array([0.45, 0.30, 0.15, 0.10])  # tickets not opened from a call
PRIORITIES = ["low", "normal", "high", "urgent"]
PRIORITY_P = np.array([0.2, 0.6, 0.15, 0.05])
STATUSES = ["new", "open", "pending", "solved", "closed"]
NEW, OPEN, PENDING, SOLVED, CLOSED = range(5)
# Gap before a ticket version: first reply, agent work, reopen, auto-close, live chat.
FIRST, WORK, REOPEN, CLOSE, CHAT = range(5)
# Ticket lifecycles: statuses, cumulative agent replies, reopen count, gap before each step.
TEMPLATES = [
    ((NEW, SOLVED, CLOSED), (0, 1, 1), (0, 0, 0), (FIRST, CLOSE)),
    ((NEW, OPEN, SOLVED, CLOSED), (0, 1, 2, 2), (0, 0, 0, 0), (FIRST, WORK, CLOSE)),
    ((NEW, OPEN, PENDING, OPEN, SOLVED), (0, 1, 2, 2, 3), (0,) * 5, (FIRST, WORK, WORK, WORK)),
    ((NEW, OPEN, SOLVED), (0, 1, 1), (0, 0, 0), (FIRST, WORK)),
    (
        (NEW, OPEN, SOLVED, OPEN, SOLVED),
        (0, 1, 1, 1, 2),
        (0, 0, 0, 1, 1),
        (FIRST, WORK, REOPEN, WORK),
    ),
    ((NEW, OPEN, PENDING), (0, 1, 2), (0, 0, 0), (FIRST, WORK)),
    ((NEW,), (0,), (0,), ()),
    ((NEW, SOLVED), (0, 3), (0, 0), (CHAT,)),
]
TEMPLATE_P = np.array(
    [
        [0.22, 0.18, 0.12, 0.20, 0.08, 0.08, 0.04, 0.08],  # email
        [0.15, 0.10, 0.00, 0.10, 0.05, 0.00, 0.00, 0.60],  # chat
        [0.22, 0.18, 0.12, 0.20, 0.08, 0.08, 0.04, 0.08],  # web
        [0.25, 0.20, 0.10, 0.20, 0.05, 0.10, 0.10, 0.00],  # social
        [0.35, 0.20, 0.10, 0.25, 0.05, 0.05, 0.00, 0.00],  # phone (opened from a call)
    ]
)
TEMPLATE_LEN = np.array([len(t[0]) for t in TEMPLATES])
TEMPLATE_START = np.cumsum(TEMPLATE_LEN) - TEMPLATE_LEN
FLAT_STATUS = np.array([s for t in TEMPLATES for s in t[0]], np.int8)
FLAT_REPLIES = np.array([r for t in TEMPLATES for r in t[1]], np.int16)
FLAT_REOPENS = np.array([r for t in TEMPLATES for r in t[2]], np.int16)
FLAT_GAP = np.array([g for t in TEMPLATES for g in (-1, *t[3])], np.int8)
# Position of the solve a solved/closed version reports in solved_at; -1 for other statuses.
FLAT_SOLVED_POS = np.array(
    [
        max(j for j in range(i + 1) if t[0][j] == SOLVED) if t[0][i] in (SOLVED, CLOSED) else -1
        for t in TEMPLATES
        for i in range(len(t[0]))
    ],
    np.int8,
)
TEMPLATE_FIRST_SOLVE = np.array([t[0].index(SOLVED) if SOLVED in t[0] else -1 for t in TEMPLATES])
VERSIONS_PER_TICKET = TEMPLATE_P @ TEMPLATE_LEN  # by channel

SURVEY_TYPES = ["csat", "ces", "nps", "fcr"]
SURVEY_TYPE_P = np.array([0.40, 0.20, 0.25, 0.15])
# Every (scale_min, scale_max) the contract accepts, and how often each survey type uses it.
SCALE_MIN = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0])
SCALE_MAX = np.array([5, 7, 10, 10, 5, 7, 10, 10, 1])
SCALE_P = np.array(
    [
        [0.50, 0.20, 0.15, 0.15, 0, 0, 0, 0, 0],  # csat: 1-5, 1-7, 1-10, 0-10
        [0, 0, 0, 0, 0.30, 0.50, 0.20, 0, 0],  # ces: 1-5, 1-7, 1-10
        [0, 0, 0, 0, 0, 0, 0, 1.0, 0],  # nps: 0-10
        [0, 0, 0, 0, 0, 0, 0, 0, 1.0],  # fcr: 0-1
    ]
)
CONTACT_TYPES = ["call", "ticket"]
LANGUAGES = ["fa", "ar", "pl", "en"]
LANGUAGE_P = np.array([0.25, 0.20, 0.20, 0.35])
COMMENTS = {
    "fa": [
        "خیلی ممنون، مشکلم حل شد 🙏",
        "پشتیبانی کند بود.\nدو بار تماس گرفتم تا جواب دادند",
        'گفتند "فردا درست می‌شود" ولی هنوز قطع است',
        "اینترنت قطع بود, router را reset کردم و درست شد 👍",
        "کارشناس مؤدب بود ولی قبض من هنوز اشتباه است 😕",
    ],
    "ar": [
        "شكراً جزيلاً، تم حل المشكلة 😊",
        "الانتظار كان طويلاً جداً\nلكن الموظف كان لطيفاً",
        'قالوا "سنعود إليك" ولم يتصل أحد',
        "الفاتورة خاطئة للمرة الثالثة, أريد استرداد المبلغ 😡",
    ],
    "pl": [
        "Wszystko załatwione szybko, dziękuję!",
        "Musiałem dzwonić trzy razy,\na problem nadal jest 😡",
        'Konsultant powiedział "proszę czekać", i się rozłączył',
        "Zażółć gęślą jaźń – obsługa OK 👌",
    ],
    "en": [
        "Agent was great, fixed it in 5 minutes 👍",
        'They said "it will be fixed tomorrow", it was not.',
        "Line 1 of my complaint\nLine 2: still broken, third call this week",
        "Too long on hold, but polite",
        "ok",
    ],
}
COMMENT_TEXT = [c for lang in LANGUAGES for c in COMMENTS[lang]]
COMMENT_COUNT = np.array([len(COMMENTS[lang]) for lang in LANGUAGES])
COMMENT_START = np.cumsum(COMMENT_COUNT) - COMMENT_COUNT
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

# The same instant is written in whichever offset the source system uses.
OFFSETS = ["Z", "+03:30", "+04:00", "+01:00", "-05:00"]
OFFSET_SECONDS = np.array([0, 12_600, 14_400, 3_600, -18_000], np.int32)
OFFSET_P = np.array([0.30, 0.25, 0.15, 0.15, 0.15])

P_ANONYMOUS = 0.06  # inbound callers with a withheld number
P_REPEAT = 0.10  # handled contacts that are a repeat of an earlier one
# Days back to the repeated contact: 7 sits on the FCR window edge, 8 falls just outside it.
REPEAT_LAG_P = np.array([0.14, 0.20, 0.14, 0.10, 0.08, 0.08, 0.08, 0.13, 0.05])
# Seconds around exactly 7 days for window-edge repeats (0 and -1 count, +1 does not).
EDGE_JITTER = np.array([-3600, -1, 0, 0, 1, 1, 3600])
UNKNOWN_CONTACT_IDX = 9_000_000  # contact ids from here on name no real call or ticket

FORMATS = ["csv", "csv.gz", "jsonl", "jsonl.gz"]
# Random streams: one generator per (seed, day, stream).
S_CALLS, S_TICKETS, S_LEGS, S_TICKET_DETAIL, S_SURVEYS, S_FILES, S_FAULTS = range(7)

VOLUME_OVERRIDES = ("call_legs_per_day", "ticket_versions_per_day", "survey_responses_per_day")


@dataclass(frozen=True)
class Volumes:
    """Per-day counts every day is drawn with."""

    calls: int
    tickets: int  # tickets customers open themselves (not from a call)
    call_ticket_p: float  # share of handled inbound calls that open a ticket
    surveys: int
    customers: int
    agents: int


def volumes(contacts_per_day: int, **overrides: int) -> Volumes:
    """Derive per-day counts from contacts_per_day, letting a benchmark set each feed directly.

    By default about 72% of contacts are handled inbound calls and 28% tickets, which gives
    roughly 1.0 x contacts_per_day call legs and ticket versions and 0.3 x survey responses.
    `call_legs_per_day`, `ticket_versions_per_day` and `survey_responses_per_day` replace the
    derived figure for their feed (met within about 1%: call legs and ticket versions per call
    or ticket are random).
    """
    unknown = set(overrides) - set(VOLUME_OVERRIDES)
    if unknown:
        raise TypeError(f"unknown volume override(s) {sorted(unknown)}; use {VOLUME_OVERRIDES}")
    if contacts_per_day < 1 or any(v < 1 for v in overrides.values()):
        raise ValueError("volumes must be positive")
    calls = round(0.72 * contacts_per_day / HANDLED_SHARE)
    if "call_legs_per_day" in overrides:
        calls = max(1, round(overrides["call_legs_per_day"] / LEGS_PER_CALL))
    handled = calls * HANDLED_SHARE * (1 - P_ANONYMOUS)
    tickets, call_ticket_p = round(0.28 * contacts_per_day), 0.05
    if "ticket_versions_per_day" in overrides:
        target = overrides["ticket_versions_per_day"]
        from_calls = min(0.05 * handled, 0.3 * target / VERSIONS_PER_TICKET[PHONE])
        own = (target - from_calls * VERSIONS_PER_TICKET[PHONE]) / (
            CHANNEL_P @ VERSIONS_PER_TICKET[:PHONE]
        )
        tickets, call_ticket_p = max(1, round(own)), from_calls / max(handled, 1)
    surveys = overrides.get("survey_responses_per_day", round(0.3 * contacts_per_day))
    if calls + tickets >= UNKNOWN_CONTACT_IDX:  # tickets from calls number fewer than calls
        raise ValueError(f"at most {UNKNOWN_CONTACT_IDX - 1} calls and tickets a day")
    contacts = calls * HANDLED_SHARE + tickets
    return Volumes(
        calls=calls,
        tickets=tickets,
        call_ticket_p=float(call_ticket_p),
        surveys=surveys,
        customers=min(max(1000, round(20 * contacts)), 10**8 - 1),  # ids have 8 digits
        agents=int(np.clip(calls // 40, 40, 5000)),
    )


def generate(
    landing: Path,
    start: dt.date,
    days: int,
    contacts_per_day: int = 2000,
    seed: int = 7,
    faults: bool = False,
    **volume_overrides: int,
) -> dict[str, int]:
    """Write `days` days of calls, tickets and surveys under landing/<feed>/<YYYY-MM-DD>/.

    Returns the rows written per feed (fault rows included). volume_overrides:
    `call_legs_per_day`, `ticket_versions_per_day`, `survey_responses_per_day` (see
    `volumes`). The days before `start` are modelled but not written: their late ticket
    versions and survey answers do land in the first days, naming calls and tickets that no
    file holds (as in any export that starts mid-history).

    Files: each day one feed is split into 2-3 parts (a different feed every day); every file
    rotates through CSV, CSV.gz, JSONL and JSONL.gz, so each day holds at least three formats;
    about half the CSV files shuffle their column order. Files this function names
    (`<feed>_<YYYYMMDD>_*`) are replaced; other files in the folders are left alone.

    faults=True damages, per feed and day, rows // 400 rows (0.25%, at most three of each
    kind, none under 400 rows), taking the kinds in turn and carrying on the next day: a day
    of 3,200+ rows shows every kind, smaller days show them all within 8 days:
      calls:   queue missing; wrap_seconds "n/a"; started_at at hour 25; ended_at without
               offset; disposition "hung_up"; answered_at 90 s before started_at; resolved
               "maybe"; a second copy of a leg (same call_id, leg_seq) with wrap_seconds 999.
      tickets: category missing; reopen_count "one"; created_at at minute 75; created_at
               without offset; status "escalated"; a solved/closed version without
               solved_at; a second copy of a version (same ticket_id, updated_at) with
               agent_reply_count 9 (at the end of its file, as are the other duplicates).
      surveys: score missing; score "ten"; responded_at at hour 33; responded_at without
               offset; survey_type "rating"; score one above scale_max; an nps answer on a
               1-5 scale; a second response with the same response_id and another score.
    And on the last day one extra file, calls/<day>/calls_<YYYYMMDD>_resend.csv: 20 legs of
    new calls with no disposition column (a file the gate must refuse).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    model = _Model(seed, volumes(contacts_per_day, **volume_overrides))
    written = dict.fromkeys(FEEDS, 0)
    last = start + dt.timedelta(days=days - 1)
    with duckdb.connect() as con, tempfile.TemporaryDirectory() as scratch:
        con.execute("set enable_progress_bar = false")
        for offset in range(-LOOKBACK_DAYS, days):
            day = start + dt.timedelta(days=offset)
            rows = model.day(day)
            if offset < 0:
                continue
            writer = _DayWriter(con, Path(landing), Path(scratch), day, seed, faults)
            for feed in FEEDS:
                written[feed] += writer.write(feed, rows[feed])
            if faults and day == last:
                written["calls"] += writer.write_file_without_disposition()
    return written


def _rng(seed: int, day: dt.date, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), *stream])


def _ymd(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _id(day: dt.date, index: np.ndarray) -> np.ndarray:
    """Numeric ids that read as YYYYMMDD + 7-digit index (the feed's letter is added later)."""
    return _ymd(day) * 10**7 + index


def _epoch(day: dt.date) -> int:
    return (day - EPOCH).days * DAY


def _arrivals(rng: np.random.Generator, day: dt.date, n: int, curve: np.ndarray) -> np.ndarray:
    """Sorted epoch seconds within `day` following an hourly arrival curve."""
    hours = rng.choice(24, size=n, p=curve)
    return np.sort(_epoch(day) + hours * 3600 + rng.integers(0, 3600, n))


def _lognormal(
    rng: np.random.Generator, median: float, sigma: float, n: int, lo: int, hi: int
) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma, n), lo, hi).astype(np.int64)


def _choose_rows(rng: np.random.Generator, probs: np.ndarray, row_class: np.ndarray) -> np.ndarray:
    """Per row, an option drawn with the probabilities of that row's class (a row of probs)."""
    cum = np.cumsum(probs, axis=1)
    cum = np.where(cum >= cum[:, -1:] - 1e-9, 1.0, cum)  # float dust never picks a 0-p option
    return (rng.random(row_class.size)[:, None] >= cum[row_class]).sum(axis=1)


def _expand(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows for variable-length groups: each row's group, its 0-based position, group starts."""
    group = np.repeat(np.arange(lengths.size), lengths)
    first = np.cumsum(lengths) - lengths
    return group, np.arange(group.size) - first[group], first


@dataclass
class _Contacts:
    """One day's calls or customer-opened tickets as first drawn, before repeats are linked."""

    start: np.ndarray
    customer: np.ndarray  # -1: anonymous
    category: np.ndarray
    kind: np.ndarray  # call shape, or ticket channel
    eligible: np.ndarray  # handled with a known customer: may repeat or be repeated
    lag: np.ndarray  # days back to the contact this one repeats; -1: not a repeat
    pick: np.ndarray  # which of that day's contacts it repeats, as a fraction
    nudge: np.ndarray  # seconds after the first (same day) or around 7 days (window edge)


def _contacts(
    rng: np.random.Generator,
    start: np.ndarray,
    customer: np.ndarray,
    category: np.ndarray,
    kind: np.ndarray,
    eligible: np.ndarray,
) -> _Contacts:
    """Complete a day's contacts with the repeat draws (who comes back, from when)."""
    n = start.size
    is_repeat = eligible & (rng.random(n) < P_REPEAT)
    lag = np.where(is_repeat, rng.choice(REPEAT_LAG_P.size, n, p=REPEAT_LAG_P), -1)
    pick = rng.random(n)
    same_day_delay = rng.integers(600, 4 * 3600, n)
    nudge = np.where(lag == 0, same_day_delay, rng.choice(EDGE_JITTER, n))
    return _Contacts(start, customer, category, kind, eligible, lag, pick, nudge)


class _Model:
    """Draws each day once and files ticket versions and survey answers under their own day."""

    def __init__(self, seed: int, vol: Volumes) -> None:
        self.seed, self.vol = seed, vol
        self._bases: dict[dt.date, tuple[_Contacts, _Contacts]] = {}
        self._origins: dict[dt.date, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._due: dict[int, dict[str, list[dict[str, np.ndarray]]]] = {}

    def day(self, day: dt.date) -> dict[str, dict[str, np.ndarray]]:
        """The numeric rows filed under `day`: its call legs, and versions/answers due then."""
        calls, tickets = (self._link(day, c) for c in self._base(day))
        legs, call_facts = _call_legs(self.seed, day, calls, self.vol)
        versions, ticket_facts = _ticket_versions(self.seed, day, tickets, call_facts, self.vol)
        answers = _survey_responses(self.seed, day, call_facts, ticket_facts, self.vol)
        for feed, rows, when in (
            ("tickets", versions, "updated"),
            ("surveys", answers, "responded"),
        ):
            file_day = rows[when] // DAY
            order = np.argsort(file_day, kind="stable")
            days, firsts = np.unique(file_day[order], return_index=True)
            for d, chunk in zip(days, np.split(order, firsts)[1:], strict=True):
                piece = {k: v[chunk] for k, v in rows.items()}
                self._due.setdefault(int(d), {}).setdefault(feed, []).append(piece)
        oldest = day - dt.timedelta(days=REPEAT_LAG_P.size)
        for cache in (self._bases, self._origins):
            for old in [d for d in cache if d < oldest]:
                del cache[old]
        due = self._due.pop(_epoch(day) // DAY, {})
        return {
            "calls": legs,
            "tickets": _concat(due.get("tickets")),
            "surveys": _concat(due.get("surveys")),
        }

    def _base(self, day: dt.date) -> tuple[_Contacts, _Contacts]:
        if day not in self._bases:
            calls, tickets = self._draw_calls(day), self._draw_tickets(day)
            self._bases[day] = calls, tickets
            self._origins[day] = tuple(
                np.concatenate([getattr(c, f)[c.eligible & (c.lag < 0)] for c in (calls, tickets)])
                for f in ("start", "customer", "category")
            )
        return self._bases[day]

    def _draw_calls(self, day: dt.date) -> _Contacts:
        rng, n = _rng(self.seed, day, S_CALLS), self.vol.calls
        start = _arrivals(rng, day, n, HOURLY)
        kind = rng.choice(CALL_KIND_P.size, n, p=CALL_KIND_P)
        customer = rng.integers(0, self.vol.customers, n)
        customer[(kind < OUT_ANSWERED) & (rng.random(n) < P_ANONYMOUS)] = -1
        category = rng.choice(len(CATEGORIES), n, p=CATEGORY_P)
        eligible = (kind <= TRANSFER_ABANDON) & (customer >= 0)
        return _contacts(rng, start, customer, category, kind, eligible)

    def _draw_tickets(self, day: dt.date) -> _Contacts:
        rng, n = _rng(self.seed, day, S_TICKETS), self.vol.tickets
        channel = rng.choice(CHANNEL_P.size, n, p=CHANNEL_P)
        live, around_the_clock = (_arrivals(rng, day, n, c) for c in (HOURLY, HOURLY_ASYNC))
        start = np.where(channel == CHANNELS.index("chat"), live, around_the_clock)
        order = np.argsort(start, kind="stable")
        customer = rng.integers(0, self.vol.customers, n)
        customer[rng.random(n) < 0.02] = -1
        category = rng.choice(len(CATEGORIES), n, p=CATEGORY_P)
        return _contacts(rng, start[order], customer, category, channel[order], customer >= 0)

    def _link(self, day: dt.date, contacts: _Contacts) -> _Contacts:
        """Point each repeat at an earlier contact: same customer and category, later start."""
        customer, category, start = (
            contacts.customer.copy(),
            contacts.category.copy(),
            contacts.start.copy(),
        )
        day_start = _epoch(day)
        for lag in range(REPEAT_LAG_P.size):
            rows = np.flatnonzero(contacts.lag == lag)
            origin_day = day - dt.timedelta(days=lag)
            self._base(origin_day)
            o_start, o_customer, o_category = self._origins[origin_day]
            if rows.size == 0 or o_start.size == 0:
                continue
            j = (contacts.pick[rows] * o_start.size).astype(np.int64)
            when = start[rows]
            if lag == 0:
                when = o_start[j] + contacts.nudge[rows]
            elif lag == 7:
                when = np.maximum(o_start[j] + 7 * DAY + contacts.nudge[rows], day_start)
            ok = when < day_start + DAY  # a same-day repeat that would spill over stays single
            rows, j = rows[ok], j[ok]
            customer[rows], category[rows], start[rows] = o_customer[j], o_category[j], when[ok]
        return dataclasses.replace(contacts, start=start, customer=customer, category=category)


def _concat(pieces: list[dict[str, np.ndarray]] | None) -> dict[str, np.ndarray]:
    if not pieces:
        return {}
    return {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}


def _agents_of(rng: np.random.Generator, queue: np.ndarray, vol: Volumes) -> np.ndarray:
    """A random agent of each row's queue (agent a works queue a mod len(QUEUES))."""
    q = len(QUEUES)
    per_queue = (vol.agents - queue + q - 1) // q
    return queue + q * (rng.random(queue.size) * per_queue).astype(np.int64)


def _call_legs(
    seed: int, day: dt.date, calls: _Contacts, vol: Volumes
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Expand calls into CDR legs; also return per-call facts tickets and surveys refer to."""
    rng = _rng(seed, day, S_LEGS)
    n, kind = calls.start.size, calls.kind
    n_legs = CALL_LEGS[kind]
    call, pos, first = _expand(n_legs)
    total, seq = call.size, pos + 1
    last = seq == n_legs[call]
    k = kind[call]
    transfer = (k == TRANSFER2) | (k == TRANSFER3) | (k == TRANSFER_ABANDON)
    answered = (k <= TRANSFER3) | ((k == TRANSFER_ABANDON) & ~last) | (k == OUT_ANSWERED)
    voicemail = (k == VOICEMAIL) | (k == OUT_MISSED)
    disposition = np.select([answered & ~last, answered, voicemail], [1, 0, 3], 2)
    # Seconds until answer, hang-up or voicemail: a quarter of abandons give up within 5 s.
    quick_abandon = rng.random(total) < 0.25
    wait = np.select(
        [answered & (k != OUT_ANSWERED), k == ABANDON, k == TRANSFER_ABANDON, k == VOICEMAIL],
        [
            rng.exponential(np.where(seq == 1, 15, 12), total),
            np.where(quick_abandon, rng.integers(0, 5, total), 5 + rng.exponential(75, total)),
            5 + rng.exponential(45, total),
            20 + rng.exponential(40, total),
        ],
        rng.integers(4, 35, total),  # outbound ringing
    ).astype(np.int64)
    talk = np.where(
        disposition == 1,
        _lognormal(rng, 80, 0.6, total, 10, 1800),
        _lognormal(rng, 240, 0.7, total, 15, 5400),
    )
    message = rng.integers(10, 90, total)
    duration = wait + np.select([answered, voicemail], [talk, message], 0)
    elapsed = np.cumsum(duration) - duration  # a transferred leg starts when the last one ends
    started = calls.start[call] + elapsed - elapsed[first][call]
    ended = started + duration
    wrap = np.select(
        [disposition == 0, disposition == 1],
        [rng.gamma(2.0, 15.0, total).astype(np.int64), rng.integers(0, 10, total)],
        0,
    )
    # A transfer ends in the category's home queue after general or another queue; most
    # single-leg inbound calls enter the home queue directly.
    home = HOME_QUEUE[calls.category]
    other = (home + rng.integers(1, len(QUEUES), n)) % len(QUEUES)
    wrong = np.where((rng.random(n) < 0.5) & (home != GENERAL), GENERAL, other)
    entry = np.where(rng.random(n) < 0.15, GENERAL, home)
    queue = np.select(
        [transfer & (seq == 1), transfer & ~last & (k == TRANSFER3)],
        [wrong[call], rng.integers(0, len(QUEUES), total)],
        np.where(transfer | (k >= OUT_ANSWERED), home[call], entry[call]),
    )
    # The last answered leg carries the call's category; earlier legs code what they heard.
    handling_seq = n_legs - (kind == TRANSFER_ABANDON)
    handling = answered & (seq == handling_seq[call])
    heard = QUEUE_CATEGORY[queue, rng.integers(0, QUEUE_CATEGORY.shape[1], total)]
    spelling = rng.choice(SPELLING_P.size, total, p=SPELLING_P)
    reason = np.where(handling, calls.category[call], heard) * len(SPELLINGS) + spelling
    agent = np.where(answered, _agents_of(rng, queue, vol), -1)
    verdict = rng.random(total)
    resolved = np.select(
        [handling & (verdict < 0.72), handling & (verdict < 0.84), answered & (verdict < 0.5)],
        [1, 0, 0],
        -1,
    )
    legs = {
        "call_id": _id(day, call),
        "leg_seq": seq,
        "direction": (k >= OUT_ANSWERED).astype(np.int8),
        "customer": calls.customer[call],
        "queue": queue,
        "agent": agent,
        "started": started,
        "answered": np.where(answered, started + wait, -1),
        "ended": ended,
        "wrap": wrap,
        "disposition": disposition,
        "reason_code": np.where(answered, reason, -1),
        "resolved": resolved,
        "tz": rng.choice(OFFSET_P.size, n, p=OFFSET_P)[call],
    }
    handling_leg = first + handling_seq - 1
    facts = {
        "handled": kind <= TRANSFER_ABANDON,
        "end": ended[first + n_legs - 1],
        "customer": calls.customer,
        "category": calls.category,
        "queue": queue[handling_leg],
    }
    return legs, facts


def _ticket_versions(
    seed: int, day: dt.date, tickets: _Contacts, call_facts: dict[str, np.ndarray], vol: Volumes
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every version of the tickets created on `day`, plus facts surveys refer to."""
    rng = _rng(seed, day, S_TICKET_DETAIL)
    handled = call_facts["handled"] & (call_facts["customer"] >= 0)
    from_call = np.flatnonzero(handled & (rng.random(handled.size) < vol.call_ticket_p))
    n_own, n = tickets.start.size, tickets.start.size + from_call.size
    created = np.concatenate(
        [tickets.start, call_facts["end"][from_call] + rng.integers(10, 900, from_call.size)]
    )
    customer = np.concatenate([tickets.customer, call_facts["customer"][from_call]])
    category = np.concatenate([tickets.category, call_facts["category"][from_call]])
    channel = np.concatenate([tickets.kind, np.full(from_call.size, PHONE)])
    own_queue = np.where(rng.random(n_own) < 0.8, HOME_QUEUE[tickets.category], GENERAL)
    queue = np.concatenate([own_queue, call_facts["queue"][from_call]])
    source = np.concatenate([np.full(n_own, -1), from_call])
    template = _choose_rows(rng, TEMPLATE_P, channel)
    spelling = rng.choice(SPELLING_P.size, n, p=SPELLING_P)
    agent = _agents_of(rng, queue, vol)
    priority = rng.choice(PRIORITY_P.size, n, p=PRIORITY_P)
    tz = rng.choice(OFFSET_P.size, n, p=OFFSET_P)

    ticket, pos, first = _expand(TEMPLATE_LEN[template])
    total = ticket.size
    flat = TEMPLATE_START[template][ticket] + pos
    status = FLAT_STATUS[flat]
    chat = channel[ticket] == CHANNELS.index("chat")
    gap = np.select(
        [FLAT_GAP[flat] == g for g in (FIRST, WORK, REOPEN, CLOSE, CHAT)],
        [
            np.where(
                chat, rng.integers(20, 300, total), _lognormal(rng, 5400, 1.0, total, 60, DAY)
            ),
            _lognormal(rng, 4 * 3600, 1.0, total, 60, DAY),
            rng.integers(3600, DAY, total),
            rng.integers(3 * DAY, 4 * DAY, total),
            rng.integers(120, 1800, total),
        ],
        0,
    )
    elapsed = np.cumsum(gap)
    updated = created[ticket] + elapsed - elapsed[first][ticket]
    replied = TEMPLATE_LEN[template] > 1  # the second version is the first agent reply
    first_reply = np.where(replied, updated[np.minimum(first + 1, total - 1)], -1)
    solved_pos = FLAT_SOLVED_POS[flat]
    versions = {
        "ticket_id": _id(day, ticket),
        "updated": updated,
        "customer": customer[ticket],
        "channel": channel[ticket],
        "category": (category * len(SPELLINGS) + spelling)[ticket],
        "queue": queue[ticket],
        "priority": priority[ticket],
        "status": status,
        "agent": np.where(status == NEW, -1, agent[ticket]),
        "created": created[ticket],
        "first_response": np.where(pos >= 1, first_reply[ticket], -1),
        "solved": np.where(solved_pos >= 0, updated[first[ticket] + solved_pos], -1),
        "reopen": FLAT_REOPENS[flat],
        "replies": FLAT_REPLIES[flat],
        "source_call_id": np.where(source[ticket] >= 0, _id(day, source[ticket]), -1),
        "tz": tz[ticket],
    }
    first_solve = TEMPLATE_FIRST_SOLVE[template]
    facts = {
        "own": source < 0,
        "solved": np.where(first_solve >= 0, updated[first + first_solve], -1),
        "customer": customer,
    }
    return versions, facts


def _survey_responses(
    seed: int,
    day: dt.date,
    call_facts: dict[str, np.ndarray],
    ticket_facts: dict[str, np.ndarray],
    vol: Volumes,
) -> dict[str, np.ndarray]:
    """Answers to surveys about `day`'s handled calls and solved tickets (1% about no one)."""
    rng = _rng(seed, day, S_SURVEYS)
    n = vol.surveys
    is_ticket = rng.random(n) < 0.35
    unknown = rng.random(n) < 0.01
    pick = rng.random(n)
    rated = []  # per contact type, for every response: (index, answerable from, customer)
    for facts, eligible, when, wanted in (
        (call_facts, call_facts["handled"], "end", ~is_ticket),
        (ticket_facts, ticket_facts["own"] & (ticket_facts["solved"] >= 0), "solved", is_ticket),
    ):
        pool = np.flatnonzero(eligible)
        if pool.size == 0:  # nothing of this type to rate that day: those answers rate no one
            unknown |= wanted
            rated.append((np.zeros(n, np.int64),) * 3)
            continue
        i = pool[(pick * pool.size).astype(np.int64)]
        rated.append((i, facts[when][i], facts["customer"][i]))
    (call, call_after, call_customer), (tk, tk_after, tk_customer) = rated
    idx = np.where(is_ticket, tk, call)
    after = np.where(is_ticket, tk_after, call_after)
    customer = np.where(is_ticket, tk_customer, call_customer)
    idx = np.where(unknown, UNKNOWN_CONTACT_IDX + rng.integers(0, 999_999, n), idx)
    after = np.where(unknown, _epoch(day) + rng.integers(0, DAY, n), after)
    customer = np.where(unknown | (rng.random(n) < 0.04), -1, customer)
    # Most answer within minutes; some the next day or up to three days later.
    delay_kind = rng.random(n)
    delay = np.select(
        [delay_kind < 0.6, delay_kind < 0.9],
        [30 + rng.exponential(600, n).astype(np.int64), rng.integers(3600, DAY, n)],
        rng.integers(DAY, 3 * DAY, n),
    )
    survey_type = rng.choice(SURVEY_TYPE_P.size, n, p=SURVEY_TYPE_P)
    scale = _choose_rows(rng, SCALE_P, survey_type)
    low, high = SCALE_MIN[scale], SCALE_MAX[scale]
    # Satisfaction skews high: ~75% top-box CSAT, NPS around +10.
    score = low + np.rint(rng.beta(4.0, 1.3, n) * (high - low)).astype(np.int64)
    language = rng.choice(LANGUAGE_P.size, n, p=LANGUAGE_P)
    native = rng.random(n) < 0.3
    digits = np.select([native & (language == 0), native & (language == 1)], [1, 2], 0)
    has_comment = rng.random(n) < 0.55
    comment = COMMENT_START[language] + (rng.random(n) * COMMENT_COUNT[language]).astype(np.int64)
    return {
        "response_id": _id(day, np.arange(n)),
        "survey_type": survey_type,
        "contact_type": is_ticket.astype(np.int8),
        "contact_id": _id(day, idx),
        "customer": customer,
        "responded": after + delay,
        "score": score,
        "scale_min": low,
        "scale_max": high,
        "digits": digits,
        "language": language,
        "comment": np.where(has_comment, comment, -1),
        "tz": rng.choice(OFFSET_P.size, n, p=OFFSET_P),
    }


# Numeric rows become contract text in DuckDB: one SQL expression per contract column.
def _ts(column: str) -> str:
    """Local wall-clock seconds (offset already added) as ISO-8601 with the row's offset."""
    return f"strftime(make_timestamp({column} * 1000000), '%Y-%m-%dT%H:%M:%S') || tz"


def _digits(script: str) -> str:
    return f"translate(score::varchar, '0123456789', '{script}')"


TEXT_SQL = {
    "calls": {
        "call_id": "'C' || call_id",
        "leg_seq": "leg_seq::varchar",
        "direction": "direction",
        "customer_id": "'CU' || substr((customer + 100000000)::varchar, 2)",
        "queue": "queue",
        "agent_id": "'AG' || substr((agent + 10000)::varchar, 2)",
        "started_at": _ts("started"),
        "answered_at": _ts("answered"),
        "ended_at": _ts("ended"),
        "wrap_seconds": "wrap::varchar",
        "disposition": "disposition",
        "reason_code": "reason_code",
        "resolved": "case resolved when 1 then 'true' when 0 then 'false' end",
    },
    "tickets": {
        "ticket_id": "'T' || ticket_id",
        "updated_at": _ts("updated"),
        "customer_id": "'CU' || substr((customer + 100000000)::varchar, 2)",
        "channel": "channel",
        "category": "category",
        "queue": "queue",
        "priority": "priority",
        "status": "status",
        "agent_id": "'AG' || substr((agent + 10000)::varchar, 2)",
        "created_at": _ts("created"),
        "first_response_at": _ts("first_response"),
        "solved_at": _ts("solved"),
        "reopen_count": "reopen::varchar",
        "agent_reply_count": "replies::varchar",
        "source_call_id": "'C' || source_call_id",
    },
    "surveys": {
        "response_id": "'S' || response_id",
        "survey_type": "survey_type",
        "contact_type": "contact_type",
        "contact_id": "case contact_type when 'call' then 'C' else 'T' end || contact_id",
        "customer_id": "'CU' || substr((customer + 100000000)::varchar, 2)",
        "responded_at": _ts("responded"),
        "score": f"case digits when 1 then {_digits(PERSIAN_DIGITS)}"
        f" when 2 then {_digits(ARABIC_DIGITS)} else score::varchar end",
        "scale_min": "scale_min::varchar",
        "scale_max": "scale_max::varchar",
        "language": "language",
        "comment": "comment",
    },
}
TIMESTAMPS = {
    "calls": ("started", "answered", "ended"),
    "tickets": ("updated", "created", "first_response", "solved"),
    "surveys": ("responded",),
}
# Code columns and the words they stand for.
VOCABULARY = {
    "direction": DIRECTIONS,
    "queue": QUEUES,
    "disposition": DISPOSITIONS,
    "reason_code": CATEGORY_TEXT,
    "channel": CHANNELS,
    "category": CATEGORY_TEXT,
    "priority": PRIORITIES,
    "status": STATUSES,
    "survey_type": SURVEY_TYPES,
    "contact_type": CONTACT_TYPES,
    "language": LANGUAGES,
    "comment": COMMENT_TEXT,
    "tz": OFFSETS,
}


# Faults written as text: the damaged column and the SQL value it gets ({day}: ISO date).
# duplicate_key instead inserts a second copy of the row with that column changed.
TEXT_FAULTS = {
    "calls": {
        "missing_required": ("queue", "null"),
        "bad_int": ("wrap_seconds", "'n/a'"),
        "bad_timestamp": ("started_at", "'{day}T25:61:00Z'"),
        "naive_timestamp": ("ended_at", "left(ended_at, 19)"),
        "bad_enum": ("disposition", "'hung_up'"),
        "bad_bool": ("resolved", "'maybe'"),
        "duplicate_key": ("wrap_seconds", "'999'"),
    },
    "tickets": {
        "missing_required": ("category", "null"),
        "bad_int": ("reopen_count", "'one'"),
        "bad_timestamp": ("created_at", "'{day}T09:75:00+03:30'"),
        "naive_timestamp": ("created_at", "left(created_at, 19)"),
        "bad_enum": ("status", "'escalated'"),
        "duplicate_key": ("agent_reply_count", "'9'"),
    },
    "surveys": {
        "missing_required": ("score", "null"),
        "bad_int": ("score", "'ten'"),
        "bad_timestamp": ("responded_at", "'{day}T33:00:00+04:00'"),
        "naive_timestamp": ("responded_at", "left(responded_at, 19)"),
        "bad_enum": ("survey_type", "'rating'"),
        "duplicate_key": ("score", "case when score = scale_min then scale_max else scale_min end"),
    },
}


def _answer_before_start(rows: dict[str, np.ndarray], i: int) -> None:
    rows["answered"][i] = rows["started"][i] - 90


def _drop_solved_at(rows: dict[str, np.ndarray], i: int) -> None:
    rows["solved"][i] = -1


def _score_above_scale(rows: dict[str, np.ndarray], i: int) -> None:
    rows["score"][i], rows["digits"][i] = rows["scale_max"][i] + 1, 0


def _nps_on_five_points(rows: dict[str, np.ndarray], i: int) -> None:
    rows["survey_type"][i] = SURVEY_TYPES.index("nps")
    rows["scale_min"][i], rows["scale_max"][i] = 1, 5
    rows["score"][i] = min(max(rows["score"][i], 1), 5)


# Faults made in the numbers: the column a victim must have set, and the damage.
NUMBER_FAULTS = {
    "calls": {"answered_before_started": ("answered", _answer_before_start)},
    "tickets": {"solved_at_missing": ("solved", _drop_solved_at)},
    "surveys": {
        "score_outside_scale": (None, _score_above_scale),
        "nps_not_0_10": (None, _nps_on_five_points),
    },
}
FAULT_KINDS = {feed: (*TEXT_FAULTS[feed], *NUMBER_FAULTS[feed]) for feed in FEEDS}
FAULT_SHARE = 400  # one damaged row per this many rows


class _DayWriter:
    """Writes one day's files for each feed, damaging a few rows when faults are asked for."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        landing: Path,
        scratch: Path,
        day: dt.date,
        seed: int,
        faults: bool,
    ) -> None:
        self.con, self.landing, self.scratch = con, landing, scratch
        self.day, self.seed, self.faults = day, seed, faults
        self.ymd = _ymd(day)

    def write(self, feed: str, rows: dict[str, np.ndarray]) -> int:
        """Replace this generator's files for the feed and day; return the rows written."""
        folder = self.landing / feed / self.day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{feed}_{self.ymd}_*"):
            old.unlink()
        when = {"tickets": "updated", "surveys": "responded"}.get(feed)
        if rows and when:
            order = np.argsort(rows[when], kind="stable")
            rows = {k: v[order] for k, v in rows.items()}
        n = rows["tz"].size if rows else 0
        text_faults = self._break_numbers(feed, rows, n) if self.faults else []
        plan = self._file_plan(feed)
        table = f"{feed}_text"
        columns = CONTRACTS[feed].column_names
        self.con.execute(
            f"create or replace table {table} (ord bigint, part integer, "
            + ", ".join(f"{c} varchar" for c in columns)
            + ")"
        )
        if n:
            for column in TIMESTAMPS[feed]:  # local wall-clock time in the row's offset
                value = rows[column]
                rows[column] = np.where(value >= 0, value + OFFSET_SECONDS[rows["tz"]], -1)
            unit = rows["call_id"] - rows["call_id"][0] if feed == "calls" else np.arange(n)
            rows["part"] = unit * len(plan) // (unit.max() + 1)
            rows["ord"] = np.arange(n)
            self.con.register("numbers", _arrow(rows))
            select = ", ".join(f"{sql} as {c}" for c, sql in TEXT_SQL[feed].items())
            self.con.execute(f"insert into {table} select ord, part, {select} from numbers")
            self.con.unregister("numbers")
        self._break_text(feed, table, text_faults)
        for part, (fmt, order) in enumerate(plan):
            path = folder / f"{feed}_{self.ymd}_{part + 1}.{fmt}"
            # Insertion order is kept, so a duplicate fault lands at the end of its file.
            self._copy(feed, f"select * from {table} where part = {part}", order, path)
        return self.con.execute(f"select count(*) from {table}").fetchone()[0]

    def write_file_without_disposition(self) -> int:
        """The day's bad file: legs of 20 further calls, but no disposition column."""
        columns = [c for c in CONTRACTS["calls"].column_names if c != "disposition"]
        path = self.landing / "calls" / self.day.isoformat() / f"calls_{self.ymd}_resend.csv"
        source = (
            "select * replace (call_id || 'R' as call_id) from calls_text"
            " where leg_seq = '1' limit 20"
        )
        self._copy("calls", source, columns, path)
        return self.con.execute(f"select count(*) from ({source})").fetchone()[0]

    def _file_plan(self, feed: str) -> list[tuple[str, list[str]]]:
        """(format, column order) per file: one feed a day is split, formats rotate."""
        phase, ordinal = FEEDS.index(feed), self.day.toordinal()
        parts = 2 + ordinal % 2 if (ordinal + phase) % 3 == 0 else 1
        rng = _rng(self.seed, self.day, S_FILES, phase)
        plan = []
        for part in range(parts):
            fmt = FORMATS[(ordinal + phase + part) % len(FORMATS)]
            columns = CONTRACTS[feed].column_names
            if fmt.startswith("csv") and rng.random() < 0.5:
                columns = [str(c) for c in rng.permutation(columns)]
            plan.append((fmt, columns))
        return plan

    def _copy(self, feed: str, source: str, columns: list[str], path: Path) -> None:
        types = {c.name: c.type for c in CONTRACTS[feed].columns}
        if path.name.endswith((".csv", ".csv.gz")):
            select, options = ", ".join(columns), "format csv, header true"
        else:
            select, options = ", ".join(_json_value(c, types[c]) for c in columns), "format json"
        plain = self.scratch / path.name.removesuffix(".gz") if path.suffix == ".gz" else path
        target = str(plain).replace("'", "''")
        self.con.execute(f"copy (select {select} from ({source})) to '{target}' ({options})")
        if plain != path:
            _gzip(plain, path)

    def _break_numbers(
        self, feed: str, rows: dict[str, np.ndarray], n: int
    ) -> list[tuple[str, int]]:
        """Pick the day's fault victims; damage numbers now, return the text faults to apply."""
        kinds = FAULT_KINDS[feed]
        count = min(n // FAULT_SHARE, 3 * len(kinds))
        rng = _rng(self.seed, self.day, S_FAULTS, FEEDS.index(feed))
        order = rng.permutation(n)
        free = np.ones(n, bool)
        text = []
        for j in range(count):  # at most a few dozen rows
            kind = kinds[(self.day.toordinal() * count + j) % len(kinds)]
            needs, damage = NUMBER_FAULTS[feed].get(kind, (None, None))
            fits = free[order] & (rows[needs][order] >= 0 if needs else True)
            if not fits.any():
                continue
            victim = int(order[np.argmax(fits)])
            free[victim] = False
            if damage:
                damage(rows, victim)
            else:
                text.append((kind, victim))
        return text

    def _break_text(self, feed: str, table: str, faults: list[tuple[str, int]]) -> None:
        for kind in dict.fromkeys(k for k, _ in faults):
            column, value = TEXT_FAULTS[feed][kind]
            value = value.format(day=self.day.isoformat())
            ords = ", ".join(str(o) for k, o in faults if k == kind)
            if kind == "duplicate_key":
                self.con.execute(
                    f"insert into {table} select * replace ({value} as {column})"
                    f" from {table} where ord in ({ords})"
                )
            else:
                self.con.execute(f"update {table} set {column} = {value} where ord in ({ords})")


def _gzip(source: Path, target: Path) -> None:
    """Compress at level 1 with no name or time in the header: fast and byte-reproducible.

    (DuckDB's own gzip writer compresses harder and takes several times longer.)
    """
    with (
        source.open("rb") as plain,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as packed,
    ):
        shutil.copyfileobj(plain, packed, 1 << 22)
    source.unlink()


def _json_value(column: str, kind: str) -> str:
    """JSONL keeps numbers and booleans typed; a value that is not one stays a string."""
    if kind == "int":
        return f"coalesce(try_cast({column} as bigint)::json, to_json({column})) as {column}"
    if kind == "bool":
        return (
            f"case {column} when 'true' then 'true'::json when 'false' then 'false'::json"
            f" else to_json({column}) end as {column}"
        )
    return column


def _arrow(rows: dict[str, np.ndarray]) -> pa.Table:
    """Numbers to Arrow: negative means null; code columns become dictionary strings."""
    columns = {}
    for name, values in rows.items():
        valid = pa.array(values, mask=values < 0)
        if name in VOCABULARY:
            words = pa.array(VOCABULARY[name], pa.string())
            valid = pa.DictionaryArray.from_arrays(valid.cast(pa.int32()), words)
        columns[name] = valid
    return pa.table(columns)
