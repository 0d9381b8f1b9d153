"""The ops report in a real browser: Debian's headless Chromium opens the report every publish
writes from `file://`, with every network request refused; the charts draw with no console
error, the numbers the page carries are kpi_daily's, partial days stay out of the trend, the
miss reasons add up to the failed contacts, and a Persian comment is laid out right to left. A
screenshot is written to tests/artifacts/ops-report.png for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from pipeline_runs import (
    DAYS,
    ccpipe,
    copy_home,
    first_day_home,
    marts_snapshot,
    reference_home,
    reference_snapshot,
)
from playwright.sync_api import sync_playwright

from ccpipe.paths import Paths

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHARTS = 11


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The report reference_home's last publish wrote, as Chromium laid it out."""
    paths = copy_home(reference_home(), tmp_path_factory.mktemp("report"))
    report = paths.latest_report
    assert report.exists(), "every publish writes the report"
    refused, problems = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route(
            "**/*",
            lambda r: r.continue_()
            if r.request.url.startswith("file:")
            else (refused.append(r.request.url), r.abort()),
        )
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.chart svg').length >= {CHARTS}", timeout=30_000
        )
        seen = {
            "svgs": page.locator(".chart svg").count(),
            "marks": page.locator(".chart svg path, .chart svg rect").count(),
            "days": page.eval_on_selector_all(
                "#fcr-days tbody tr",
                "rows => rows.map(r => [r.dataset.date,"
                " [...r.querySelectorAll('td[data-value]')].map(c => c.dataset.value)])",
            ),
            "trend_dates": page.evaluate(
                "specs['fcr-trend'].data.values.map(v => v.reporting_date)"
            ),
            "misses": page.evaluate(
                "specs['miss-by-queue'].data.values.reduce((n, v) => n + v.contacts, 0)"
            ),
            "directions": page.eval_on_selector_all(
                "blockquote",
                "qs => qs.map(q => [q.lang, getComputedStyle(q).direction, q.textContent])",
            ),
        }
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ops-report.png"), full_page=True)
        browser.close()
    return {"paths": paths, "refused": refused, "problems": problems, **seen}


def marts(paths: Paths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.published_db), read_only=True) as bi:
        return bi.execute(sql).fetchall()


def test_the_report_opens_offline_and_every_chart_draws(opened: dict) -> None:
    assert opened["refused"] == []  # nothing asked of the network
    assert opened["problems"] == []  # no console error
    assert opened["svgs"] == CHARTS and opened["marks"] > 100
    assert (ARTIFACTS / "ops-report.png").stat().st_size > 50_000


def test_the_numbers_on_the_page_are_kpi_dailys(opened: dict) -> None:
    expected = marts(
        opened["paths"],
        "select reporting_date::varchar, fcr_eligible, fcr_resolved, fcr_rate, contacts_handled "
        "from marts.kpi_daily order by 1 desc",
    )
    shown = [(day, *values) for day, values in opened["days"]]
    assert shown == [
        (day, str(eligible), str(resolved), "" if rate is None else str(rate), str(handled))
        for day, eligible, resolved, rate, handled in expected
    ]


def test_partial_days_stay_out_of_the_trend(opened: dict) -> None:
    loaded = marts(
        opened["paths"],
        "select reporting_date::varchar from marts.kpi_daily "
        "where is_date_loaded and fcr_rate is not null order by 1",
    )
    partial = marts(
        opened["paths"], "select count(*) from marts.kpi_daily where not is_date_loaded"
    )
    assert opened["trend_dates"] == [day for (day,) in loaded]
    assert partial[0][0] > 0  # the generated feeds carry late rows of earlier days


def test_the_miss_reasons_add_up_to_the_failed_contacts(opened: dict) -> None:
    [(failed,)] = marts(
        opened["paths"],
        "select count(*) from marts.fct_contacts where is_first_contact_resolved = false",
    )
    assert opened["misses"] == failed > 0


def test_comments_keep_their_script_and_direction(opened: dict) -> None:
    directions = {(lang, direction) for lang, direction, _ in opened["directions"]}
    assert ("fa", "rtl") in directions or ("ar", "rtl") in directions
    assert all(d == "rtl" for lang, d, _ in opened["directions"] if lang in ("fa", "ar"))
    assert all(d == "ltr" for lang, d, _ in opened["directions"] if lang in ("en", "pl"))


def test_ccpipe_report_writes_the_page_and_its_headline_chart(tmp_path: Path) -> None:
    paths = copy_home(reference_home(), tmp_path)
    out = tmp_path / "out" / "week.2026.45.html"  # a dotted name keeps every dot
    written = ccpipe(paths.home, "report", "--out", str(out), "--days", "7")
    assert written.stdout.strip() == str(out)
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "week.2026.45.html",
        "week.2026.45.png",
        "week.2026.45.svg",
    ]
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (out.parent / "week.2026.45.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out.parent / "week.2026.45.svg").read_text(encoding="utf-8").startswith("<svg")


def test_a_rebuild_under_another_confidence_reports_its_intervals(tmp_path: Path) -> None:
    paths = copy_home(reference_home(), tmp_path)
    (paths.home / "settings.toml").write_text("[metrics]\nconfidence_z = 1.645\n")
    paths.latest_report.unlink()
    ccpipe(paths.home, "rebuild")  # restates every date, then writes the report
    page = paths.latest_report.read_text(encoding="utf-8")
    assert "<th>90% interval</th>" in page and "FCR per day, 90% interval" in page
    assert "<th>95% interval</th>" not in page


def test_a_report_that_cannot_be_written_does_not_fail_the_published_load(
    tmp_path: Path,
) -> None:
    paths = copy_home(first_day_home(), tmp_path)
    paths.latest_report.unlink()
    paths.latest_report.mkdir()  # latest.html cannot be replaced
    done = ccpipe(paths.home, "run", "--date", DAYS[1])
    assert done.stdout.strip().endswith("; the ops report could not be written")
    assert marts_snapshot(paths.published_db) == reference_snapshot()
    log = (paths.home / "logs" / "ccpipe.log").read_text()
    assert "WARNING ccpipe.pipeline: the ops report could not be written" in log
    assert "FCR target check" in log  # the check still ran
