"""FCR target monitoring: the load date's FCR, overall and per queue, against `fcr_target`.

Reads the publication BI sees (ccpipe.duckdb, read-only, so it never blocks a load): the overall
row from `kpi_daily`, the per-queue rows from `fcr_target_breaches` (the dbt mart of the queues
under target). A breach is significant when even the top of the 95% interval is under target
(`fcr_ci_high < fcr_target`, docs/metrics.md); it is notable, and gets notified, when it is
significant and rests on at least `min_sample` eligible contacts. A row whose contacts are
still inside the repeat window is provisional, and every message says so.

Plain Python with no Airflow import: the CLI logs the same lines the Airflow notifier
(ccpipe.airflow_support.notifiers) logs and sends.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from ccpipe.paths import Paths

log = logging.getLogger("ccpipe.monitor")


@dataclass(frozen=True)
class FcrBreach:
    """One (date, channel, queue) whose FCR rate is under target; channel/queue None = overall."""

    reporting_date: str
    channel: str | None
    queue: str | None
    fcr_eligible: int
    fcr_rate: float
    fcr_target: float
    fcr_ci_high: float
    is_significant: bool
    fcr_is_final: bool

    @property
    def scope(self) -> str:
        return "overall" if self.channel is None else f"{self.channel}/{self.queue}"

    def message(self) -> str:
        maturity = "final" if self.fcr_is_final else "PROVISIONAL (repeat window still open)"
        verdict = "significant" if self.is_significant else "not significant"
        return (
            f"FCR target breach {self.reporting_date} {self.scope}: "
            f"FCR {self.fcr_rate:.1%} < target {self.fcr_target:.1%}, "
            f"95% CI high {self.fcr_ci_high:.1%}, {self.fcr_eligible} eligible contacts, "
            f"{verdict}, {maturity} FCR"
        )


@dataclass(frozen=True)
class FcrCheck:
    """Every breach of one load date, and which of them are worth a notification."""

    load_date: str
    min_sample: int
    breaches: list[FcrBreach] = field(default_factory=list)
    report: str | None = None  # the ops report's path, where one was written

    @property
    def notable(self) -> list[FcrBreach]:
        return [b for b in self.breaches if b.is_significant and b.fcr_eligible >= self.min_sample]

    def summary(self) -> str:
        notable = self.notable
        found = f"{len(notable)} significant breach(es)" if notable else "no significant breach"
        report = f"; report: {self.report}" if self.report else ""
        return (
            f"FCR target check {self.load_date}: {found} with >= {self.min_sample} eligible "
            f"contacts ({len(self.breaches)} row(s) under target){report}"
        )

    def to_dict(self) -> dict:
        """JSON-ready (an Airflow XCom, a webhook payload)."""
        return {
            "load_date": self.load_date,
            "min_sample": self.min_sample,
            "breaches": [asdict(b) for b in self.breaches],
            "notable": [asdict(b) for b in self.notable],
            "report": self.report,
        }


BREACH_QUERY = """
    select reporting_date, null as channel, null as queue, fcr_eligible, fcr_rate,
           fcr_target, fcr_ci_high, fcr_ci_high < fcr_target as is_significant, fcr_is_final
    from marts.kpi_daily
    where reporting_date = ? and fcr_rate < fcr_target and is_date_loaded
    union all
    select reporting_date, channel, queue, fcr_eligible, fcr_rate,
           fcr_target, fcr_ci_high, is_significant, fcr_is_final
    from marts.fcr_target_breaches
    where reporting_date = ? and is_date_loaded
    order by channel nulls first, queue
"""


def read_fcr_breaches(
    paths: Paths, load_date: str, min_sample: int | None = None, report: Path | None = None
) -> FcrCheck:
    """The load date's FCR breaches, read from the published marts; `report`: the ops report
    written with them, for the notice to link."""
    from ccpipe.warehouse import connect  # duckdb: imported where used, not at DAG parse

    if min_sample is None:
        from ccpipe.settings import load_settings

        min_sample = load_settings(paths).fcr_min_sample
    with connect(paths.published_db, read_only=True) as con:
        rows = con.execute(BREACH_QUERY, [load_date, load_date]).fetchall()
    breaches = [
        FcrBreach(
            reporting_date=day.isoformat() if isinstance(day, date) else str(day),
            channel=channel,
            queue=queue,
            fcr_eligible=int(eligible),
            fcr_rate=float(rate),
            fcr_target=float(target),
            fcr_ci_high=float(ci_high),
            is_significant=bool(significant),
            fcr_is_final=bool(final),
        )
        for day, channel, queue, eligible, rate, target, ci_high, significant, final in rows
    ]
    return FcrCheck(load_date, min_sample, breaches, str(report) if report else None)


def report(check: FcrCheck) -> list[str]:
    """Log the check: one summary line, then one WARNING line per notable breach."""
    log.info(check.summary())
    lines = [b.message() for b in check.notable]
    for line in lines:
        log.warning(line)
    return lines
