"""Deployment settings: everything a deployment may change, set outside the repository.

Three layers, the later winning: the defaults below, `$CCPIPE_HOME/settings.toml` (sections
as in SECTIONS), and environment variables `CCPIPE_<KEY>` (the key upper-cased; a vendor
section's key is prefixed with its section, `CCPIPE_ZENDESK_CATEGORY_FIELD_ID`). Every value
is checked before a run touches anything; a wrong one is a one-line SettingsError naming
where it came from. `ccpipe settings` prints what is in force and where each came from, a
secret only as set or not.

Settings marked `restates` change numbers already published (the time zone moves contacts to
other dates, the window changes verdicts): the marts remember the ones they were built with,
and a run under other values is refused with the command that restates every date
(pipeline.check_settings_unchanged). Settings marked `dbt` reach the dbt build as vars. The
vendor sources' settings ([amazon_connect], [zendesk], [qualtrics]) say where a vendor record
keeps what ccpipe reads; ingest applies them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccpipe.contracts import FEEDS, SOURCES
from ccpipe.paths import Paths
from ccpipe.setting_types import (
    VENDOR_SECTIONS,
    AmazonConnectSettings,
    QualtricsSettings,
    SettingsError,
    ZendeskSettings,
    at_least,
    check_vendor_settings,
    setting,
)

SETTINGS_FILE = "settings.toml"
ENV_PREFIX = "CCPIPE_"
CANONICAL_SOURCES = tuple(FEEDS)  # the default: ccpipe's own three feeds
KNOWN_SOURCES = tuple(SOURCES)  # and the vendor exports
DEFAULT_MEMORY_LIMIT = "2500MB"
MEMORY_LIMIT_ENV = "CCPIPE_DUCKDB_MEMORY_LIMIT"  # read by every DuckDB connection, dbt's too
MEMORY_AMOUNT = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B|%)", re.IGNORECASE)
MIN_SECRET_LENGTH = 16


def _zone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a time zone name (e.g. UTC, Europe/Warsaw, Asia/Tehran)"
    return None


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


def _secret(value: str) -> str | None:
    if value and len(value) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters (a random string)"
    return None


def _relative_file(value: str) -> str | None:
    path = Path(value)
    if not value or path.is_absolute() or ".." in path.parts:
        return "must be a file name under CCPIPE_HOME (e.g. identities.csv)"
    return None


@dataclass(frozen=True)
class Settings:
    """The settings in force; `origins` says where each value came from (by Leaf.name)."""

    reporting_timezone: str = setting(
        "UTC", "metrics", "time zone of reporting dates", _zone, restates=True, dbt=True
    )
    fcr_window_days: int = setting(
        7, "metrics", "FCR repeat window, in 24-hour days", at_least(1), restates=True, dbt=True
    )
    fcr_target: float = setting(
        0.80, "metrics", "FCR target rate", _above_zero_up_to_one, restates=True, dbt=True
    )
    short_abandon_seconds: int = setting(
        5, "metrics", "abandons shorter than this are short", at_least(0), restates=True, dbt=True
    )
    service_level_seconds: int = setting(
        20, "metrics", "service level answer time", at_least(0), restates=True, dbt=True
    )
    csat_top_box_threshold: float = setting(
        0.75, "metrics", "CSAT satisfied share of the scale", _above_zero_up_to_one, True, True
    )
    confidence_z: float = setting(
        1.96, "metrics", "z of the Wilson interval and NPS margin", at_least(0.01), True, True
    )
    nps_promoter_min_score: int = setting(
        9, "metrics", "lowest promoter score (0-10)", _between(0, 10), restates=True, dbt=True
    )
    nps_detractor_max_score: int = setting(
        6, "metrics", "highest detractor score (0-10)", _between(0, 10), restates=True, dbt=True
    )
    survey_attribution_days: int = setting(
        30, "metrics", "days a survey may follow its contact", at_least(0), True, True
    )
    fcr_maturity_lookback_days: int = setting(
        3, "incremental", "days a daily load re-checks FCR maturity", at_least(0), dbt=True
    )
    redelivery_lookback_days: int = setting(
        7, "incremental", "days a re-delivery is matched back", at_least(0), dbt=True
    )
    max_bad_row_share: float = setting(
        0.01, "quality", "largest quarantined share of a feed's rows", _between(0, 1)
    )
    row_count_min_ratio: float = setting(
        0.5, "quality", "lowest row count, x trailing median", _between(0, 1)
    )
    row_count_max_ratio: float = setting(
        2.0, "quality", "highest row count, x trailing median", at_least(1)
    )
    row_count_history_days: int = setting(
        7, "quality", "dates the trailing median looks back", at_least(1)
    )
    fcr_min_sample: int = setting(
        30, "monitor", "fewest eligible contacts a breach notice rests on", at_least(0)
    )
    service_level_target: float = setting(
        0.80, "monitor", "service level target drawn in the ops report", _above_zero_up_to_one
    )
    report_days: int = setting(90, "monitor", "days the ops report shows", at_least(1))
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
        90, "pipeline", "days GX results, Data Docs and logs are kept", at_least(1)
    )
    duckdb_memory_limit: str = setting(
        DEFAULT_MEMORY_LIMIT, "pipeline", "DuckDB memory budget of a load", _memory
    )
    identity_map: str = setting(
        "identities.csv",
        "pipeline",
        "customer-identity map (source, source_key, customer_id), a CSV under CCPIPE_HOME",
        _relative_file,
        restates=True,
    )
    phone_hash_key: str = setting(
        "", "secrets", "key of the keyed hash of phone numbers", _secret, True, secret=True
    )
    amazon_connect: AmazonConnectSettings = field(default_factory=AmazonConnectSettings)
    zendesk: ZendeskSettings = field(default_factory=ZendeskSettings)
    qualtrics: QualtricsSettings = field(default_factory=QualtricsSettings)
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The identity map's content as the marts remember it: its SHA-256, or "none".
    identity_map_sha256: str = field(default="none", compare=False, repr=False)

    def value(self, leaf: Leaf) -> Any:
        owner = getattr(self, leaf.path[0]) if len(leaf.path) > 1 else self
        return getattr(owner, leaf.key)

    def dbt_vars(self) -> dict[str, Any]:
        """The settings the dbt project reads as vars (never a secret: that goes by an
        environment variable dbt scrubs, transform.dbt)."""
        return {
            leaf.name: as_json(self.value(leaf)) for leaf in setting_fields() if leaf.meta["dbt"]
        }

    def restating(self) -> dict[str, str]:
        """The settings that change published numbers, as text (what the marts remember): a
        secret as its fingerprint, the identity map as its file and content hash."""
        chosen = [leaf for leaf in setting_fields() if leaf.meta["restates"]]
        return {leaf.name: self.remembered(leaf) for leaf in chosen}

    def remembered(self, leaf: Leaf) -> str:
        value = self.value(leaf)
        if leaf.meta["secret"]:
            return fingerprint(value)
        if leaf.name == "identity_map":
            return f"{value} sha256:{self.identity_map_sha256}"
        return as_text(value)

    def table(self) -> str:
        """What `ccpipe settings` prints: section, key, value and where it came from."""
        rows = [
            (leaf.section, leaf.key, self.shown(leaf), self.origins[leaf.name])
            for leaf in setting_fields()
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(
            f"{s:<{widths[0]}}  {k:<{widths[1]}}  {v:<{widths[2]}}  {o}" for s, k, v, o in rows
        )

    def shown(self, leaf: Leaf) -> str:
        value = self.value(leaf)
        if leaf.meta["secret"]:
            return f"(set, {len(value)} characters)" if value else "(not set)"
        return as_text(value) or ("(none)" if isinstance(value, dict) else '""')


@dataclass(frozen=True)
class Leaf:
    """One setting: `path` is its attribute path in Settings (a vendor section's first)."""

    section: str
    key: str
    path: tuple[str, ...]
    type: str
    default: Any
    meta: Any

    @property
    def name(self) -> str:
        """How origins, dbt vars and the environment name it: amazon_connect_customer_attribute."""
        return "_".join(self.path)

    @property
    def variable(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _leaf(f: Any, path: tuple[str, ...]) -> Leaf:
    default = f.default_factory() if callable(f.default_factory) else f.default
    return Leaf(f.metadata["section"], f.name, path, f.type, default, f.metadata)


def _leaves() -> list[Leaf]:
    found = []
    for f in fields(Settings):
        if f.name in VENDOR_SECTIONS:
            found += [_leaf(g, (f.name, g.name)) for g in fields(VENDOR_SECTIONS[f.name])]
        elif "section" in f.metadata:
            found.append(_leaf(f, (f.name,)))
    return found


_LEAVES = _leaves()


def setting_fields() -> list[Leaf]:
    """Every setting, in the order `ccpipe settings` prints them."""
    return list(_LEAVES)


SECTIONS = tuple(dict.fromkeys(leaf.section for leaf in _LEAVES))


def fingerprint(secret: str) -> str:
    """What the marts remember of a secret: enough to tell a changed key, not the key."""
    if not secret:
        return "(not set)"
    return (
        "sha256:"
        + hashlib.sha256(b"ccpipe secret fingerprint\0" + secret.encode()).hexdigest()[:16]
    )


def as_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={as_text(v)}" for k, v in sorted(value.items()))
    return value.isoformat() if isinstance(value, date) else str(value)


def as_json(value: Any) -> Any:
    """A setting as a dbt var: tables as plain JSON objects."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if hasattr(value, "as_json"):
        return value.as_json()
    return list(value) if isinstance(value, tuple) else value


WANTED = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "date": "a date YYYY-MM-DD",
    "bool": "true or false",
    "tuple[str, ...]": "a comma-separated list",
}


def parse(leaf: Leaf, value: Any, origin: str) -> Any:
    """A value from TOML (typed) or the environment (text) as the setting's type."""
    kind = leaf.type
    try:
        if leaf.meta["parse"] is not None:
            if isinstance(value, str):
                value = json.loads(value)
            return leaf.meta["parse"](value)
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
            return value if leaf.meta["secret"] else value.strip()
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
        if kind == "tuple[str, ...]":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
    except SettingsError as error:
        raise SettingsError(f"{origin}: {leaf.key} {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError):
        pass
    if leaf.meta["secret"]:
        raise SettingsError(f"{origin}: {leaf.key} is not text")
    wanted = WANTED.get(kind, "a table (see docs/operations.md)")
    raise SettingsError(f"{origin}: {leaf.key} = {value!r} is not {wanted}")


def read_file(path: Path) -> dict[str, tuple[Any, str]]:
    """settings.toml as {leaf name: (value, origin)}; unknown sections or keys are refused."""
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from error
    known: dict[str, list[Leaf]] = {}
    for leaf in _LEAVES:
        known.setdefault(leaf.key, []).append(leaf)
    found: dict[str, tuple[Any, str]] = {}
    for section, values in document.items():
        if section not in SECTIONS or not isinstance(values, dict):
            raise SettingsError(
                f"{path}: [{section}] is not a settings section; sections: {', '.join(SECTIONS)}"
            )
        for key, value in values.items():
            leaf = next((leaf for leaf in known.get(key, []) if leaf.section == section), None)
            if leaf is None:
                homes = [f"[{leaf.section}]" for leaf in known.get(key, [])]
                where = f"belongs in {' or '.join(homes)}" if homes else "is not a setting"
                raise SettingsError(f"{path}: [{section}] {key} {where}")
            found[leaf.name] = (value, f"{path} [{section}]")
    return found


def load_settings(paths: Paths, environ: dict[str, str] | None = None) -> Settings:
    """The settings in force for a home: defaults, its settings.toml, then CCPIPE_<KEY>."""
    environ = os.environ if environ is None else environ
    given = read_file(paths.home / SETTINGS_FILE)
    for leaf in _LEAVES:
        if environ.get(leaf.variable, "").strip():
            given[leaf.name] = (environ[leaf.variable], f"environment {leaf.variable}")
    values: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in VENDOR_SECTIONS}
    origins: dict[str, str] = {}
    for leaf in _LEAVES:
        value, origins[leaf.name] = leaf.default, "default"
        if leaf.name in given:
            raw, origin = given[leaf.name]
            value, origins[leaf.name] = parse(leaf, raw, origin), origin
            problem = leaf.meta["check"] and leaf.meta["check"](value)
            if problem:
                shown = "(secret)" if leaf.meta["secret"] else as_text(value)
                raise SettingsError(f"{origin}: {leaf.key} = {shown} {problem}")
        if len(leaf.path) > 1:
            sections[leaf.path[0]][leaf.key] = value
        else:
            values[leaf.name] = value
    values |= {name: VENDOR_SECTIONS[name](**kept) for name, kept in sections.items()}
    digest = identity_map_digest(paths.home / values["identity_map"])
    settings = Settings(**values, origins=origins, identity_map_sha256=digest)
    check_together(settings)
    return settings


def identity_map_digest(path: Path) -> str:
    """The SHA-256 of the identity map's bytes, or "none" when the deployment has none."""
    if not path.is_file():
        return "none"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_together(settings: Settings) -> None:
    if settings.nps_detractor_max_score >= settings.nps_promoter_min_score:
        raise SettingsError(
            f"nps_detractor_max_score {settings.nps_detractor_max_score} "
            f"({settings.origins['nps_detractor_max_score']}) must be below "
            f"nps_promoter_min_score {settings.nps_promoter_min_score} "
            f"({settings.origins['nps_promoter_min_score']})"
        )
    if "amazon_connect" in settings.sources and not settings.phone_hash_key:
        raise SettingsError(
            f"sources ({settings.origins['sources']}) names amazon_connect, so phone_hash_key "
            "must be set (CCPIPE_PHONE_HASH_KEY, or [secrets] in settings.toml): a caller's "
            "number is kept after the raw layer only as its keyed hash"
        )
    check_vendor_settings(settings)
