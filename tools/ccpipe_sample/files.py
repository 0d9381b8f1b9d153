"""A day's rows written as landing files: contract text made in DuckDB, faults applied,
formats rotated (CSV, CSV.gz, JSONL, JSONL.gz)."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ccpipe.contracts import FEEDS as CONTRACTS
from ccpipe_sample.distributions import (
    ARABIC_DIGITS,
    CATEGORY_TEXT,
    CHANNELS,
    COMMENT_TEXT,
    CONTACT_TYPES,
    DIRECTIONS,
    DISPOSITIONS,
    FEEDS,
    FORMATS,
    LANGUAGES,
    OFFSET_SECONDS,
    OFFSETS,
    PERSIAN_DIGITS,
    PRIORITIES,
    QUEUES,
    S_FAULTS,
    S_FILES,
    STATUSES,
    SURVEY_TYPES,
)
from ccpipe_sample.model import day_ymd, stream_rng


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


class DayWriter:
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
        self.ymd = day_ymd(day)

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
        rng = stream_rng(self.seed, self.day, S_FILES, phase)
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
        rng = stream_rng(self.seed, self.day, S_FAULTS, FEEDS.index(feed))
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
