"""The synthetic contact center's shape: queues, categories, channels, ticket life cycles,
survey scales, languages and comments, and how often each occurs."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ccpipe.contracts import FEEDS as CONTRACTS

FEEDS = tuple(CONTRACTS)

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
