"""The day model: every contact, call leg, ticket version and survey response of a day,
drawn with numpy from generators seeded by (seed, day, stream)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from ccpipe_sample.distributions import (
    ABANDON,
    CALL_KIND_P,
    CALL_LEGS,
    CATEGORIES,
    CATEGORY_P,
    CHANNEL_P,
    CHANNELS,
    CHAT,
    CLOSE,
    COMMENT_COUNT,
    COMMENT_START,
    DAY,
    EDGE_JITTER,
    EPOCH,
    FIRST,
    FLAT_GAP,
    FLAT_REOPENS,
    FLAT_REPLIES,
    FLAT_SOLVED_POS,
    FLAT_STATUS,
    GENERAL,
    HANDLED_SHARE,
    HOME_QUEUE,
    HOURLY,
    HOURLY_ASYNC,
    LANGUAGE_P,
    LEGS_PER_CALL,
    NEW,
    OFFSET_P,
    OUT_ANSWERED,
    OUT_MISSED,
    P_ANONYMOUS,
    P_REPEAT,
    PHONE,
    PRIORITY_P,
    QUEUE_CATEGORY,
    QUEUES,
    REOPEN,
    REPEAT_LAG_P,
    S_CALLS,
    S_LEGS,
    S_SURVEYS,
    S_TICKET_DETAIL,
    S_TICKETS,
    SCALE_MAX,
    SCALE_MIN,
    SCALE_P,
    SPELLING_P,
    SPELLINGS,
    SURVEY_TYPE_P,
    TEMPLATE_FIRST_SOLVE,
    TEMPLATE_LEN,
    TEMPLATE_P,
    TEMPLATE_START,
    TRANSFER2,
    TRANSFER3,
    TRANSFER_ABANDON,
    UNKNOWN_CONTACT_IDX,
    VERSIONS_PER_TICKET,
    VOICEMAIL,
    VOLUME_OVERRIDES,
    WORK,
)


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


def stream_rng(seed: int, day: dt.date, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), *stream])


def day_ymd(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _id(day: dt.date, index: np.ndarray) -> np.ndarray:
    """Numeric ids that read as YYYYMMDD + 7-digit index (the feed's letter is added later)."""
    return day_ymd(day) * 10**7 + index


def day_epoch(day: dt.date) -> int:
    return (day - EPOCH).days * DAY


def _arrivals(rng: np.random.Generator, day: dt.date, n: int, curve: np.ndarray) -> np.ndarray:
    """Sorted epoch seconds within `day` following an hourly arrival curve."""
    hours = rng.choice(24, size=n, p=curve)
    return np.sort(day_epoch(day) + hours * 3600 + rng.integers(0, 3600, n))


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


class DayModel:
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
        due = self._due.pop(day_epoch(day) // DAY, {})
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
        rng, n = stream_rng(self.seed, day, S_CALLS), self.vol.calls
        start = _arrivals(rng, day, n, HOURLY)
        kind = rng.choice(CALL_KIND_P.size, n, p=CALL_KIND_P)
        customer = rng.integers(0, self.vol.customers, n)
        customer[(kind < OUT_ANSWERED) & (rng.random(n) < P_ANONYMOUS)] = -1
        category = rng.choice(len(CATEGORIES), n, p=CATEGORY_P)
        eligible = (kind <= TRANSFER_ABANDON) & (customer >= 0)
        return _contacts(rng, start, customer, category, kind, eligible)

    def _draw_tickets(self, day: dt.date) -> _Contacts:
        rng, n = stream_rng(self.seed, day, S_TICKETS), self.vol.tickets
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
        day_start = day_epoch(day)
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
    rng = stream_rng(seed, day, S_LEGS)
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
    rng = stream_rng(seed, day, S_TICKET_DETAIL)
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
    # The first reply comes whole minutes after the ticket opened, as Zendesk reports it
    # (reply_time_in_minutes), so the canonical and the vendor shapes tell the same story.
    first_reply_gap = np.isin(FLAT_GAP[flat], (FIRST, CHAT))
    gap = np.where(first_reply_gap, -(-gap // 60) * 60, gap)
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
    rng = stream_rng(seed, day, S_SURVEYS)
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
    after = np.where(unknown, day_epoch(day) + rng.integers(0, DAY, n), after)
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
