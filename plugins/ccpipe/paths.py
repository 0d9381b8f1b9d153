"""Where ccpipe keeps its files: one place to resolve CCPIPE_HOME and the project folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATED_REPORT_PREFIX = "ccpipe-report-"


def project_dir() -> Path:
    """The repository root (dbt_project.yml, expectations/); CCPIPE_PROJECT_DIR overrides it."""
    override = os.environ.get("CCPIPE_PROJECT_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Every file location under one CCPIPE_HOME."""

    home: Path

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Paths:
        chosen = home or os.environ.get("CCPIPE_HOME") or project_dir() / ".ccpipe"
        return cls(Path(chosen).resolve())

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    def landing_dir(self, feed: str, date: str) -> Path:
        return self.landing / feed / date

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def work_db(self) -> Path:
        """The working warehouse: raw tables, quarantine, audit, dbt models."""
        return self.warehouse / "work.duckdb"

    @property
    def published_db(self) -> Path:
        """The published marts BI tools read (replaced atomically on publish). Its name is
        its catalog's: `ccpipe.marts.kpi_daily`, and `marts.kpi_daily` with no catalog."""
        return self.warehouse / "ccpipe.duckdb"

    @property
    def legacy_published_db(self) -> Path:
        """Where homes published before the file was named ccpipe.duckdb (catalog `marts`,
        which clashed with schema `marts`); removed by the first publish under the new name."""
        return self.warehouse / "marts.duckdb"

    @property
    def reports(self) -> Path:
        """The ops reports (ccpipe-report-<date>.html, latest.html and their charts)."""
        return self.home / "reports"

    @property
    def latest_report(self) -> Path:
        return self.reports / "latest.html"

    def dated_report(self, last_date: object) -> Path:
        """The report whose last date is `last_date` (kept retention_days, like the logs)."""
        return self.reports / f"{DATED_REPORT_PREFIX}{last_date}.html"

    @property
    def gx_dir(self) -> Path:
        """Great Expectations results and Data Docs."""
        return self.home / "gx"

    def ensure(self) -> Paths:
        for folder in (self.landing, self.warehouse, self.gx_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
