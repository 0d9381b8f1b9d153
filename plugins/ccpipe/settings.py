"""Deployment settings: everything a deployment may change, set outside the repository.

Three layers, the later winning: the defaults below, `$CCPIPE_HOME/settings.toml` (sections
as in SECTIONS), and environment variables `CCPIPE_<KEY>` (the key upper-cased). Every value
is checked before a run touches anything; a wrong one is a one-line SettingsError naming
where it came from. `ccpipe settings` prints what is in force and where each came from.

Settings marked `restates` change numbers already published (the time zone moves contacts to
other dates, the window changes verdicts): the marts remember the ones they were built with,
and a run under other values is refused with the command that restates every date
(pipeline.check_settings_unchanged). Settings marked `dbt` reach the dbt build as vars.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccpipe.paths import Paths

SETTINGS_FILE = "settings.toml"
ENV_PREFIX = "CCPIPE_"
CANONICAL_SOURCES = ("calls", "tickets", "surveys")
KNOWN_SOURCES = CANONICAL_SOURCES
DEFAULT_MEMORY_LIMIT = "2500MB"
MEMORY_LIMIT_ENV = "CCPIPE_DUCKDB_MEMORY_LIMIT"  # read by every DuckDB connection, dbt's too
MEMORY_AMOUNT = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B|%)", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it, its value and where it came from."""


def _zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a time zone name (e.g. UTC, Europe/Warsaw, Asia/Tehran)"
    return None


def _at_least(low: float) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else f"must be at least {low:g}"


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda value: None if low <= value <= high else f"must be between {low:g} and {high:g}"


def _above_zero_up_to_one(value: float) -> str | None:
    return None if 0 < value <= 1 else "must be above 0 and at most 1"


def _sources(value: tuple[str, ...]) -> str | None:
    unknown = [s for s in value if s not in KNOWN_SOURCES]
    if unknown:
        return f"names unknown source(s) {', '.join(unknown)}; known: {', '.join(KNOWN_SOURCES)}"
    if not value:
        return "must name at least one source"
    return None


def _memory(value: str) -> str | None:
    if MEMORY_AMOUNT.fullmatch(value.strip()):
        return None
    return "must be an amount such as 2500MB, 6GB or 80%"


def setting(
    default: Any,
    section: str,
    about: str,
    check: Callable[[Any], str | None] | None = None,
    restates: bool = False,
    dbt: bool = False,
) -> Any:
    metadata = {"section": section, "about": about, "check": check}
    return field(default=default, metadata=metadata | {"restates": restates, "dbt": dbt})


@dataclass(frozen=True)
class Settings:
    """The settings in force; `origins` says where each value came from."""

    reporting_timezone: str = setting(
        "UTC", "metrics", "time zone of reporting dates", _zone, restates=True, dbt=True
    )
    fcr_window_days: int = setting(
        7, "metrics", "FCR repeat window, in 24-hour days", _at_least(1), restates=True, dbt=True
    )
    fcr_target: float = setting(
        0.80, "metrics", "FCR target rate", _above_zero_up_to_one, restates=True, dbt=True
    )
    short_abandon_seconds: int = setting(
        5, "metrics", "abandons shorter than this are short", _at_least(0), restates=True, dbt=True
    )
    service_level_seconds: int = setting(
        20, "metrics", "service level answer time", _at_least(0), restates=True, dbt=True
    )
    csat_top_box_threshold: float = setting(
        0.75, "metrics", "CSAT satisfied share of the scale", _above_zero_up_to_one, True, True
    )
    confidence_z: float = setting(
        1.96, "metrics", "z of the Wilson interval and NPS margin", _at_least(0.01), True, True
    )
    nps_promoter_min_score: int = setting(
        9, "metrics", "lowest promoter score (0-10)", _between(0, 10), restates=True, dbt=True
    )
    nps_detractor_max_score: int = setting(
        6, "metrics", "highest detractor score (0-10)", _between(0, 10), restates=True, dbt=True
    )
    survey_attribution_days: int = setting(
        30, "metrics", "days a survey may follow its contact", _at_least(0), True, True
    )
    fcr_maturity_lookback_days: int = setting(
        3, "incremental", "days a daily load re-checks FCR maturity", _at_least(0), dbt=True
    )
    redelivery_lookback_days: int = setting(
        7, "incremental", "days a re-delivery is matched back", _at_least(0), dbt=True
    )
    max_bad_row_share: float = setting(
        0.01, "quality", "largest quarantined share of a feed's rows", _between(0, 1)
    )
    row_count_min_ratio: float = setting(
        0.5, "quality", "lowest row count, x trailing median", _between(0, 1)
    )
    row_count_max_ratio: float = setting(
        2.0, "quality", "highest row count, x trailing median", _at_least(1)
    )
    row_count_history_days: int = setting(
        7, "quality", "dates the trailing median looks back", _at_least(1)
    )
    fcr_min_sample: int = setting(
        30, "monitor", "fewest eligible contacts a breach notice rests on", _at_least(0)
    )
    service_level_target: float = setting(
        0.80, "monitor", "service level target drawn in the ops report", _above_zero_up_to_one
    )
    report_days: int = setting(90, "monitor", "days the ops report shows", _at_least(1))
    schedule_start: date = setting(
        date(2020, 1, 1), "pipeline", "first date the Airflow schedule covers"
    )
    sources: tuple[str, ...] = setting(
        CANONICAL_SOURCES, "pipeline", "active input sources", _sources, restates=True, dbt=True
    )
    allow_landing_outside_home: bool = setting(
        False, "pipeline", "read landing folders or files that link outside CCPIPE_HOME"
    )
    retention_days: int = setting(
        90, "pipeline", "days GX results, Data Docs and logs are kept", _at_least(1)
    )
    duckdb_memory_limit: str = setting(
        DEFAULT_MEMORY_LIMIT, "pipeline", "DuckDB memory budget of a load", _memory
    )
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def dbt_vars(self) -> dict[str, Any]:
        """The settings the dbt project reads as vars."""
        return {f.name: getattr(self, f.name) for f in setting_fields() if f.metadata["dbt"]}

    def restating(self) -> dict[str, str]:
        """The settings that change published numbers, as text (what the marts remember)."""
        chosen = [f for f in setting_fields() if f.metadata["restates"]]
        return {f.name: as_text(getattr(self, f.name)) for f in chosen}

    def table(self) -> str:
        """What `ccpipe settings` prints: section, key, value and where it came from."""
        rows = [
            (f.metadata["section"], f.name, as_text(getattr(self, f.name)), self.origins[f.name])
            for f in setting_fields()
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(
            f"{s:<{widths[0]}}  {k:<{widths[1]}}  {v:<{widths[2]}}  {o}" for s, k, v, o in rows
        )


def setting_fields() -> list[Any]:
    return [f for f in fields(Settings) if f.name != "origins"]


SECTIONS = tuple(dict.fromkeys(f.metadata["section"] for f in setting_fields()))


def as_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def parse(name: str, kind: Any, value: Any, origin: str) -> Any:
    """A value from TOML (typed) or the environment (text) as the setting's type."""
    try:
        if kind == "int" and not isinstance(value, bool):
            if isinstance(value, str):
                value = value.strip()
            if isinstance(value, float) or not str(value).lstrip("-").isdigit():
                raise ValueError
            return int(value)
        if kind == "float" and not isinstance(value, bool):
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            return {"true": True, "false": False, "1": True, "0": False}[str(value).lower()]
        if kind == "str" and isinstance(value, str):
            return value.strip()
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
        if kind == "tuple[str, ...]":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
    except (TypeError, ValueError, KeyError):
        pass
    wanted = {
        "int": "a whole number",
        "float": "a number",
        "str": "text",
        "date": "a date YYYY-MM-DD",
        "bool": "true or false",
        "tuple[str, ...]": "a comma-separated list",
    }[kind]
    raise SettingsError(f"{origin}: {name} = {value!r} is not {wanted}")


def read_file(path: Path) -> dict[str, tuple[Any, str]]:
    """settings.toml as {key: (value, origin)}; unknown sections or keys are refused."""
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from error
    known = {f.name: f.metadata["section"] for f in setting_fields()}
    found: dict[str, tuple[Any, str]] = {}
    for section, values in document.items():
        if section not in SECTIONS or not isinstance(values, dict):
            raise SettingsError(
                f"{path}: [{section}] is not a settings section; sections: {', '.join(SECTIONS)}"
            )
        for key, value in values.items():
            if known.get(key) != section:
                where = f"belongs in [{known[key]}]" if key in known else "is not a setting"
                raise SettingsError(f"{path}: [{section}] {key} {where}")
            found[key] = (value, f"{path} [{section}]")
    return found


def load_settings(paths: Paths, environ: dict[str, str] | None = None) -> Settings:
    """The settings in force for a home: defaults, its settings.toml, then CCPIPE_<KEY>."""
    environ = os.environ if environ is None else environ
    given = read_file(paths.home / SETTINGS_FILE)
    for f in setting_fields():
        variable = ENV_PREFIX + f.name.upper()
        if environ.get(variable, "").strip():
            given[f.name] = (environ[variable], f"environment {variable}")
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for f in setting_fields():
        if f.name not in given:
            values[f.name], origins[f.name] = f.default, "default"
            continue
        raw, origin = given[f.name]
        value = parse(f.name, f.type, raw, origin)
        problem = f.metadata["check"] and f.metadata["check"](value)
        if problem:
            raise SettingsError(f"{origin}: {f.name} = {as_text(value)} {problem}")
        values[f.name], origins[f.name] = value, origin
    settings = Settings(**values, origins=origins)
    check_together(settings)
    return settings


def check_together(settings: Settings) -> None:
    if settings.nps_detractor_max_score >= settings.nps_promoter_min_score:
        raise SettingsError(
            f"nps_detractor_max_score {settings.nps_detractor_max_score} "
            f"({settings.origins['nps_detractor_max_score']}) must be below "
            f"nps_promoter_min_score {settings.nps_promoter_min_score} "
            f"({settings.origins['nps_promoter_min_score']})"
        )
