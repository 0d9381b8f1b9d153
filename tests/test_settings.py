"""Deployment settings and the instant FCR is judged at: where settings come from, how a bad one
is refused before anything is written, how a change that restates past numbers is refused
until `ccpipe rebuild` restates every date, and `--as-of` honoured to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import DAYS, ccpipe, file_digest, new_home

from ccpipe.paths import Paths
from ccpipe.settings import SettingsError, load_settings, setting_fields

SETTINGS_TOML = """
[metrics]
reporting_timezone = "Asia/Tehran"
fcr_window_days = 5

[quality]
max_bad_row_share = 0.02
"""


def test_settings_come_from_defaults_the_file_and_the_environment(tmp_path) -> None:
    home = Paths(tmp_path)
    (tmp_path / "settings.toml").write_text(SETTINGS_TOML, encoding="utf-8")

    settings = load_settings(home, {"CCPIPE_FCR_WINDOW_DAYS": "9", "CCPIPE_SOURCES": "calls"})

    assert (settings.reporting_timezone, settings.fcr_window_days) == ("Asia/Tehran", 9)
    assert (settings.max_bad_row_share, settings.fcr_target, settings.sources) == (
        0.02,
        0.8,
        ("calls",),
    )
    assert settings.origins["reporting_timezone"] == f"{tmp_path / 'settings.toml'} [metrics]"
    assert settings.origins["fcr_window_days"] == "environment CCPIPE_FCR_WINDOW_DAYS"
    assert settings.origins["fcr_target"] == "default"
    assert settings.dbt_vars()["fcr_window_days"] == 9
    assert "max_bad_row_share" not in settings.dbt_vars()


@pytest.mark.parametrize(
    ("file_text", "environ", "message"),
    [
        (
            "",
            {"CCPIPE_REPORTING_TIMEZONE": "Europe/Warsw"},
            "environment CCPIPE_REPORTING_TIMEZONE: "
            "reporting_timezone = Europe/Warsw is not a time zone name (e.g. UTC, Europe/Warsaw, "
            "Asia/Tehran)",
        ),
        (
            "",
            {"CCPIPE_FCR_WINDOW_DAYS": "-2"},
            "environment CCPIPE_FCR_WINDOW_DAYS: fcr_window_days = -2 must be at least 1",
        ),
        (
            "",
            {"CCPIPE_FCR_TARGET": "80%"},
            "environment CCPIPE_FCR_TARGET: fcr_target = '80%' is not a number",
        ),
        ("[metrics]\nfcr_window = 7\n", {}, "[metrics] fcr_window is not a setting"),
        ("[quality]\nfcr_target = 0.9\n", {}, "[quality] fcr_target belongs in [metrics]"),
        ("[metrics\n", {}, "not valid TOML"),
        (
            "",
            {"CCPIPE_SOURCES": "calls,zendsk"},
            "sources = calls,zendsk names unknown source(s) zendsk; known: calls, tickets, "
            "surveys, amazon_connect, zendesk, qualtrics",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_where_it_came_from(
    tmp_path, file_text, environ, message
) -> None:
    (tmp_path / "settings.toml").write_text(file_text, encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings(Paths(tmp_path), environ)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_ccpipe_settings_prints_each_value_and_its_origin(tmp_path) -> None:
    (tmp_path / "settings.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    shown = ccpipe(tmp_path, "settings").stdout.splitlines()
    rows = {line.split()[1]: line.split(maxsplit=3)[2:] for line in shown}
    assert rows["reporting_timezone"] == ["Asia/Tehran", f"{tmp_path / 'settings.toml'} [metrics]"]
    assert rows["fcr_target"] == ["0.8", "default"]
    assert rows["sources"] == ["calls,tickets,surveys", "default"]
    assert list(rows) == [f.key for f in setting_fields()]


def test_a_bad_setting_stops_a_run_before_anything_is_written(tmp_path) -> None:
    paths = new_home(tmp_path)
    (paths.home / "settings.toml").write_text('[metrics]\nreporting_timezone = "Nowhere"\n')
    stopped = ccpipe(paths.home, "run", "--date", DAYS[0], check=False)
    assert stopped.returncode == 1
    assert stopped.stderr.strip() == (
        f"ccpipe run: SettingsError: {paths.home / 'settings.toml'} [metrics]: "
        "reporting_timezone = Nowhere is not a time zone name (e.g. UTC, Europe/Warsaw, "
        f"Asia/Tehran) (details: {paths.home / 'logs' / 'ccpipe.log'})"
    )
    assert not paths.work_db.exists()


def end_of(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)


def test_as_of_is_honoured_to_the_second_and_an_earlier_one_is_refused(tmp_path) -> None:
    """Maturity is judged at exactly the given instant (not the end of the day), every contact
    against start + 7 x 24 h, and the instant is published; an earlier --as-of later on is
    refused in one line and leaves the published file as it was."""
    paths = new_home(tmp_path)
    # Seven days after the first date's 18:00 (less a second): part of its contacts are final.
    as_of = end_of(DAYS[0]) + timedelta(days=7) - timedelta(hours=6, seconds=1)
    ccpipe(paths.home, "run", "--start", DAYS[0], "--end", DAYS[-1], "--as-of", as_of.isoformat())

    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        verdicts = bi.execute(
            "select fcr_is_final, started_at + interval 7 day <= ?::timestamptz, count(*) "
            "from marts.fct_contacts group by all order by all",
            [as_of],
        ).fetchall()
        published_as_of = bi.execute("select as_of from meta.publication").fetchone()[0]
    assert [(final, expected) for final, expected, _ in verdicts] == [(False, False), (True, True)]
    assert published_as_of == as_of

    published = file_digest(paths.published_db)
    earlier = (as_of - timedelta(minutes=1)).isoformat()
    refused = ccpipe(paths.home, "run", "--date", DAYS[0], "--as-of", earlier, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"ccpipe run: AsOfError: --as-of {earlier} is earlier than {as_of.isoformat()}, the "
        "instant the marts were already judged at; give that instant or a later one "
        f"(details: {paths.home / 'logs' / 'ccpipe.log'})"
    )
    assert file_digest(paths.published_db) == published


def test_a_restating_setting_changed_is_refused_until_rebuild_restates_every_date(
    tmp_path, monkeypatch
) -> None:
    paths = new_home(tmp_path)
    ccpipe(paths.home, "run", "--date", DAYS[0])
    published = file_digest(paths.published_db)

    monkeypatch.setenv("CCPIPE_FCR_WINDOW_DAYS", "3")
    refused = ccpipe(paths.home, "run", "--date", DAYS[1], check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "ccpipe run: SettingsChangedError: settings changed since the marts were built "
        "(fcr_window_days 7 -> 3): run `ccpipe rebuild` to restate every date under them, "
        f"or restore the old values (details: {paths.home / 'logs' / 'ccpipe.log'})"
    )
    assert file_digest(paths.published_db) == published

    rebuilt = ccpipe(paths.home, "rebuild")
    assert rebuilt.stdout.startswith("ccpipe rebuild: every date restated and published")
    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        windows = bi.execute(
            "select distinct date_diff('hour', started_at, fcr_window_ends_at) "
            "from marts.fct_contacts"
        ).fetchall()
    assert windows == [(72,)]
    ccpipe(paths.home, "run", "--date", DAYS[1])


def test_gate_limits_come_from_the_environment(monkeypatch, tmp_path):
    home = Paths(tmp_path)
    monkeypatch.setenv("CCPIPE_MAX_BAD_ROW_SHARE", "0.05")
    monkeypatch.setenv("CCPIPE_ROW_COUNT_MIN_RATIO", "0.25")
    monkeypatch.setenv("CCPIPE_ROW_COUNT_MAX_RATIO", "4")
    monkeypatch.setenv("CCPIPE_ROW_COUNT_HISTORY_DAYS", "14")
    gate = load_settings(home)
    assert (
        gate.max_bad_row_share,
        gate.row_count_min_ratio,
        gate.row_count_max_ratio,
        gate.row_count_history_days,
    ) == (0.05, 0.25, 4.0, 14)
    monkeypatch.setenv("CCPIPE_MAX_BAD_ROW_SHARE", "2")
    with pytest.raises(SettingsError, match=r"max_bad_row_share = 2.0 must be between 0 and 1"):
        load_settings(home)


VENDOR_TOML = """
[pipeline]
sources = ["amazon_connect", "zendesk", "qualtrics"]

[secrets]
phone_hash_key = "a-long-enough-secret-key"

[amazon_connect]
customer_attribute = "CrmId"

[zendesk]
category_tag_prefix = "cat_"

[zendesk.channels]
API = "Web"

[qualtrics.questions]
Q1 = { survey_type = "csat", scale = [1, 5] }
Q3 = { survey_type = "fcr", scale = [0, 1], values = { "1" = 1, "2" = 0 } }
Q4_TEXT = "comment"
"""


def test_vendor_sections_come_from_the_file_and_the_environment(tmp_path) -> None:
    (tmp_path / "settings.toml").write_text(VENDOR_TOML, encoding="utf-8")
    environ = {"CCPIPE_ZENDESK_CATEGORY_FIELD_ID": "360001", "CCPIPE_QUALTRICS_KEEP_PARTIAL": "1"}
    settings = load_settings(Paths(tmp_path), environ)
    assert settings.amazon_connect.customer_attribute == "CrmId"
    assert settings.amazon_connect.category_attribute == "ContactReason"  # the default
    assert (settings.zendesk.category_field_id, settings.zendesk.channels) == (
        360001,
        {"api": "web"},
    )
    questions = {tag: str(q) for tag, q in settings.qualtrics.questions.items()}
    assert questions == {"Q1": "csat 1-5", "Q3": "fcr 0-1 (1->1, 2->0)", "Q4_TEXT": "comment"}
    assert settings.origins["zendesk_category_field_id"] == (
        "environment CCPIPE_ZENDESK_CATEGORY_FIELD_ID"
    )
    assert settings.origins["amazon_connect_customer_attribute"] == (
        f"{tmp_path / 'settings.toml'} [amazon_connect]"
    )
    assert settings.dbt_vars()["qualtrics_keep_partial"] is True
    # the secret never reaches dbt's vars, and the marts remember only its fingerprint
    assert "phone_hash_key" not in settings.dbt_vars()
    assert settings.restating()["phone_hash_key"].startswith("sha256:")
    assert "a-long-enough-secret-key" not in str(settings.restating())


def test_ccpipe_settings_never_shows_the_secret(tmp_path) -> None:
    (tmp_path / "settings.toml").write_text(VENDOR_TOML, encoding="utf-8")
    shown = ccpipe(tmp_path, "settings").stdout
    assert "a-long-enough-secret-key" not in shown
    line = next(line for line in shown.splitlines() if " phone_hash_key " in line)
    assert line.split(maxsplit=2)[2].startswith("(set, 24 characters)")


@pytest.mark.parametrize(
    ("file_text", "message"),
    [
        (
            '[pipeline]\nsources = ["amazon_connect"]\n',
            "sources (",
        ),
        (
            '[secrets]\nphone_hash_key = "short"\n',
            "[secrets]: phone_hash_key = (secret) must be at least 16 characters",
        ),
        (
            '[pipeline]\nsources = ["zendesk"]\n',
            "[zendesk] needs category_field_id or category_tag_prefix",
        ),
        (
            '[pipeline]\nsources = ["qualtrics"]\n',
            "[qualtrics.questions] must map at least one export tag",
        ),
        (
            '[qualtrics.questions]\nQ1 = { survey_type = "stars", scale = [1, 5] }\n',
            "[qualtrics]: questions Q1: survey_type 'stars' is not one of csat, ces, nps, fcr",
        ),
        (
            '[qualtrics.questions]\nQ1 = { survey_type = "csat", scale = [5, 1] }\n',
            "questions Q1: scale [5, 1] must run from a lower to a higher score",
        ),
        ('[zendesk.channels]\nsms = "text"\n', "channels = sms=text maps to unknown channel(s)"),
        (
            '[amazon_connect]\ncustomer_atribute = "X"\n',
            "[amazon_connect] customer_atribute is not a setting",
        ),
        ("[zendesk]\nkeep_partial = true\n", "[zendesk] keep_partial belongs in [qualtrics]"),
    ],
)
def test_a_bad_vendor_setting_is_refused_in_one_line(tmp_path, file_text, message) -> None:
    (tmp_path / "settings.toml").write_text(file_text, encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings(Paths(tmp_path), {})
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_documented_vendor_deployment_loads(tmp_path) -> None:
    """The example settings.toml of docs/operations.md (Vendor sources) is a valid one."""
    doc = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    block = doc.split("A deployment of Amazon Connect, Zendesk and Qualtrics")[1]
    block = block.split("\n\n", 1)[1].split("\nWith `$CCPIPE_HOME/identities.csv`")[0]
    example = "\n".join(line.removeprefix("    ") for line in block.splitlines())
    (tmp_path / "settings.toml").write_text(example, encoding="utf-8")
    settings = load_settings(Paths(tmp_path), {})
    assert settings.sources == ("amazon_connect", "zendesk", "qualtrics")
    assert settings.zendesk.channels == {"api": "web", "mobile_sdk": "chat"}
    assert str(settings.qualtrics.questions["Q3"]) == "fcr 0-1 (1->1, 2->0)"
