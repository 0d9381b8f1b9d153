"""The dbt project itself: its unit tests pass, its docs build, every published column is
described and every BI-facing mart has an enforced contract.

Unit tests read the column types of their inputs from the warehouse, so they run inside one
`dbt build --empty` (models built with no rows, each model's unit tests right after its
parents) on a fresh CCPIPE_HOME whose raw schema ccpipe.warehouse creates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ccpipe.paths import Paths
from ccpipe.transform import dbt_dirs, invoke_dbt
from ccpipe.warehouse import connect, ensure_raw_schema

from conftest import BI_MARTS

# One per formula and edge case of docs/metrics.md (see the _*__unit_tests.yml files).
EXPECTED_UNIT_TESTS = {
    # FCR verdict
    "fcr_repeat_exactly_at_window_end_counts",
    "fcr_repeat_one_second_after_window_end_is_ignored",
    "fcr_repeat_in_another_channel_counts",
    "fcr_same_customer_other_category_is_not_a_repeat",
    "fcr_unlinked_contact_is_not_eligible",
    "fcr_repeat_is_itself_judged_and_marked_unresolved_fails",
    "fcr_provisional_until_window_end_reaches_as_of",
    # contacts
    "transferred_call_is_one_contact_handled_by_last_answered_leg",
    "call_marked_unresolved_when_an_answered_leg_says_false",
    "unanswered_calls_are_abandoned_or_voicemail_with_their_wait",
    "call_delivered_again_later_replaces_all_its_legs",
    "reporting_date_follows_the_reporting_timezone",
    "newest_ticket_version_wins",
    "reopened_or_two_touch_ticket_is_marked_unresolved",
    "ticket_opened_from_a_call_is_not_a_contact",
    # surveys
    "csat_top_box_on_1_5_1_7_1_10_and_0_10",
    "ces_agree_and_disagree_around_the_midpoint_of_each_scale",
    "ces_scores_mapped_onto_7_points",
    "nps_promoters_detractors_and_fcr_survey_answers",
    "survey_attributed_to_response_date_and_rated_contact",
    # incrementality
    "daily_load_rebuilds_the_dates_its_contacts_reach",
    # marts
    "kpi_formulas_wilson_interval_and_nps_margin_hand_computed",
    "kpi_wilson_interval_stays_within_0_and_1_at_the_extremes",
    "kpi_day_final_only_when_every_contact_is_final",
    "kpi_day_not_final_when_its_own_feeds_were_not_loaded",
    "fcr_miss_reason_puts_a_repeat_first_then_the_contacts_own_reason",
    "kpi_by_queue_uses_handling_queue_and_unknown_for_unknown_contacts",
    "fcr_breach_is_significant_when_the_interval_is_under_target",
    "call_ops_short_abandons_and_service_level_denominator",
    "ces_mean_per_scale_never_mixes_scales",
    "ticket_ops_created_on_created_date_solved_on_solved_date",
    "agent_scorecard_counts_monday_to_sunday_for_the_finishing_agent",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paths]:
    paths = Paths.from_env(tmp_path_factory.mktemp("dbt") / "home").ensure()
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
    yield paths


@pytest.fixture(scope="module")
def build_result(home: Paths):
    run_values = {"as_of": datetime(2026, 11, 11, tzinfo=UTC).isoformat()}
    return invoke_dbt(home, ["build", "--empty"], run_values)


def test_every_unit_test_passes(build_result) -> None:
    results = build_result.result.results
    unit = {r.node.name: str(r.status) for r in results if r.node.resource_type == "unit_test"}
    assert unit == dict.fromkeys(EXPECTED_UNIT_TESTS, "pass")
    assert build_result.success, [(r.node.name, r.message) for r in results if r.message]


def test_docs_generate_and_every_mart_column_described(home: Paths, build_result) -> None:
    result = invoke_dbt(home, ["docs", "generate"])
    assert result.success
    target = dbt_dirs(home)["target"]
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").exists()

    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name, node in models.items():
        built = catalog["nodes"][node["unique_id"]]["columns"]
        documented = {c: col["description"].strip() for c, col in node["columns"].items()}
        assert node["description"].strip(), name
        assert set(built) == set(documented), (name, set(built) ^ set(documented))
        assert all(documented.values()), (name, [c for c, d in documented.items() if not d])

    for name in BI_MARTS:
        node = models[name]
        assert node["config"]["contract"]["enforced"], name
        assert node["config"]["materialized"] == "incremental", name
        assert node["schema"] == "marts", name

    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"contact_center_kpi_dashboard", "fcr_monitor"} <= set(exposures)
    assert "model.ccpipe.fcr_target_breaches" in exposures["fcr_monitor"]["depends_on"]["nodes"]
