"""`ccpipe kpis`: a day's headline KPIs from the marts, FCR against target first."""

from __future__ import annotations

from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.warehouse import Connection, connect


class KpisError(RuntimeError):
    """No marts to read, or no row for the asked date."""


def published_source(paths: Paths) -> Path:
    """The published file: what BI reads, and so what the table shows."""
    if paths.published_db.exists():
        return paths.published_db
    raise KpisError(f"nothing published under {paths.home} yet: run `ccpipe run --date D` first")


def percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def number(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def fetch_row(con: Connection, sql: str, params: list) -> dict | None:
    cursor = con.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def read_day(source: Path, date: str | None) -> tuple[dict, list[dict]]:
    """The date's kpi_daily row (default: the latest date whose feeds were loaded; a partial
    day is never the default) and its queues under target."""
    with connect(source, read_only=True) as con:
        if date is None:
            latest = con.execute(
                "select max(reporting_date) from marts.kpi_daily where is_date_loaded"
            ).fetchone()[0]
            if latest is None:
                raise KpisError(f"{source}: marts.kpi_daily holds no loaded date")
            date = str(latest)
        day = fetch_row(con, "select * from marts.kpi_daily where reporting_date = ?", [date])
        if day is None:
            raise KpisError(f"{source}: marts.kpi_daily has no row for {date}")
        cursor = con.execute(
            "select channel, queue, fcr_rate, fcr_eligible, is_significant "
            "from marts.fcr_target_breaches where reporting_date = ? "
            "order by is_significant desc, fcr_rate, channel, queue",
            [date],
        )
        names = [d[0] for d in cursor.description]
        breaches = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return day, breaches


def day_flag(day: dict) -> str:
    if not day["is_date_loaded"]:
        return "  [PARTIAL DAY: feeds not loaded]"
    return "" if day["fcr_is_final"] else "  [FCR PROVISIONAL]"


def headline(paths: Paths, date: str | None = None) -> str:
    """The day's headline table: FCR against target first, provisional FCR marked clearly."""
    source = published_source(paths)
    day, breaches = read_day(source, date)
    final = day["fcr_is_final"]
    if day["fcr_rate"] is None:
        verdict = "no eligible contacts"
    else:
        verdict = "meets target" if day["fcr_meets_target"] else "BELOW TARGET"
    if not day["is_date_loaded"]:
        maturity = "PARTIAL DAY: its own feeds were not loaded, only other dates' late rows"
    elif final:
        maturity = "final"
    else:
        maturity = "PROVISIONAL: repeat-contact windows still open, the rate can still fall"
    rows = [
        (
            "FCR",
            percent(day["fcr_rate"]),
            percent(day["fcr_target"], 0),
            f"{verdict}; {maturity}",
        ),
        (
            "",
            "",
            "",
            f"95% CI {percent(day['fcr_ci_low'])} to {percent(day['fcr_ci_high'])}; "
            f"{day['fcr_resolved']} of {day['fcr_eligible']} eligible resolved, "
            f"{day['fcr_unlinked_contacts']} unlinked",
        ),
        (
            "Survey FCR",
            percent(day["fcr_survey_rate"]),
            "",
            f"n={day['fcr_survey_responses']}",
        ),
        (
            "CSAT",
            percent(day["csat_pct"]),
            "",
            f"top-box, 95% CI {percent(day['csat_ci_low'])} to {percent(day['csat_ci_high'])}; "
            f"score {number(day['csat_score_pct'])}%; n={day['csat_responses']}",
        ),
        (
            "NPS",
            number(day["nps"], signed=True),
            "",
            f"margin +/-{number(day['nps_margin'])}; n={day['nps_responses']}",
        ),
        (
            "CES",
            number(day["ces_net"], signed=True),
            "",
            f"% agree - % disagree; mean {number(day['ces_mean_7pt'], 2)} on 1-7; "
            f"n={day['ces_responses']}",
        ),
        ("Contacts", str(day["contacts_handled"]), "", "handled"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [
        f"ccpipe KPIs for {day['reporting_date']}" + day_flag(day),
        f"source: published marts {source}",
        "",
        f"{'metric':<{width}}  {'value':>7}  {'target':>6}  detail",
    ]
    lines += [f"{m:<{width}}  {v:>7}  {t:>6}  {d}".rstrip() for m, v, t, d in rows]
    if breaches:
        significant = sum(1 for b in breaches if b["is_significant"])
        lines += ["", f"FCR under target in {len(breaches)} queue(s), {significant} significant:"]
        lines += [
            f"  {b['channel']}/{b['queue']}: {percent(b['fcr_rate'])} of {b['fcr_eligible']}"
            + (" (significant)" if b["is_significant"] else "")
            for b in breaches
        ]
    return "\n".join(lines)
