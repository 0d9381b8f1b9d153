"""What the ops report shows, read from the published marts only (nothing recomputed): the
window's days, queues, call operations, why FCR missed, the latest week's agents and the
latest low-score comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ccpipe.warehouse import Connection, connect

LOW_SCORE = 0.5  # a response in the lower half of its scale is a low score
COMMENTS_SHOWN = 20


class ReportError(RuntimeError):
    """Nothing published to report on."""


@dataclass(frozen=True)
class ReportData:
    first: date
    last: date  # the latest date whose feeds were loaded
    days: list[dict[str, Any]]  # kpi_daily rows of the window, loaded or not
    queue_days: list[dict[str, Any]]  # kpi_daily_by_queue's FCR, with breach significance
    call_ops: list[dict[str, Any]]  # call_ops_daily rows of the window
    misses: list[dict[str, Any]]  # failed contacts by reason, queue and issue category
    scorecard: list[dict[str, Any]]  # agent_scorecard_weekly of the latest week
    week_start: date | None
    comments: list[dict[str, Any]]  # the latest low-score survey comments
    publication: dict[str, Any]  # meta.publication


def rows(con: Connection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_report_data(published: Path, days: int, min_sample: int) -> ReportData:
    """The window of `days` dates ending at the latest loaded date."""
    if not published.exists():
        raise ReportError(f"nothing published at {published} yet: run `ccpipe run --date D`")
    with connect(published, read_only=True) as con:
        last = con.execute(
            "select max(reporting_date) from marts.kpi_daily where is_date_loaded"
        ).fetchone()[0]
        if last is None:
            raise ReportError(f"{published}: marts.kpi_daily holds no loaded date yet")
        first = max(
            last - timedelta(days=days - 1),
            con.execute("select min(reporting_date) from marts.kpi_daily").fetchone()[0],
        )
        window = [first, last]
        in_window = "reporting_date between ? and ?"
        week = con.execute("select max(week_start) from marts.agent_scorecard_weekly").fetchone()
        return ReportData(
            first=first,
            last=last,
            days=rows(con, f"select * from marts.kpi_daily where {in_window} order by 1", window),
            queue_days=rows(
                con,
                f"""
                select q.reporting_date, q.channel, q.queue, q.fcr_eligible, q.fcr_rate,
                       q.fcr_is_final, q.is_date_loaded,
                       coalesce(b.is_significant, false)
                           and q.fcr_eligible >= ? as is_notable_breach
                from marts.kpi_daily_by_queue as q
                left join marts.fcr_target_breaches as b using (reporting_date, channel, queue)
                where q.{in_window} and q.fcr_eligible > 0
                order by q.channel, q.queue, q.reporting_date
                """,
                [min_sample, *window],
            ),
            call_ops=rows(
                con, f"select * from marts.call_ops_daily where {in_window} order by 2, 1", window
            ),
            misses=rows(
                con,
                f"""
                select fcr_miss_reason, queue, issue_category, count(*) as contacts
                from marts.fct_contacts
                where {in_window} and fcr_miss_reason is not null
                group by all order by contacts desc
                """,
                window,
            ),
            scorecard=rows(
                con,
                "select * from marts.agent_scorecard_weekly where week_start = ? "
                "order by contacts_handled desc, agent_id",
                [week[0]],
            ),
            week_start=week[0],
            comments=rows(
                con,
                f"""
                select responded_at, survey_type, score, scale_min, scale_max, language,
                       comment, queue, channel
                from marts.fct_survey_responses
                where {in_window} and score_fraction < ? and trim(coalesce(comment, '')) <> ''
                order by responded_at desc, response_id
                limit {COMMENTS_SHOWN}
                """,
                [*window, LOW_SCORE],
            ),
            publication=rows(con, "select * from meta.publication", [])[0],
        )
