"""`ccpipe generate --sources amazon_connect,zendesk,qualtrics` writes the canonical generator's
contact center (same seed, same days) as vendor exports; loading them gives the very same
kpi_daily, call_ops_daily and ticket_ops_daily, cell for cell, as loading the canonical feeds
(pipeline_runs.reference_home, shared with the publishing tests)."""

from __future__ import annotations

import hashlib

import pytest
from pipeline_runs import CONTACTS_PER_DAY, DAYS, SEED, marts_snapshot, reference_snapshot

from ccpipe import cli, pipeline
from ccpipe.paths import Paths

VENDORS = "amazon_connect,zendesk,qualtrics"
COMPARED = ("kpi_daily", "call_ops_daily", "ticket_ops_daily")


def generate(paths: Paths, *more: str) -> None:
    args = ["--home", str(paths.home), "generate", "--start", DAYS[0], "--days", str(len(DAYS))]
    args += ["--contacts-per-day", str(CONTACTS_PER_DAY), "--seed", str(SEED), *more]
    assert cli.main(args) == 0


@pytest.fixture(scope="module")
def vendor_marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The vendor sample's days ingested (nothing quarantined), then one build of them all,
    gated and published: the same marts as daily loads (test_vendor_marts shows a rebuild
    equals them), at one dbt build's cost."""
    paths = Paths(tmp_path_factory.mktemp("vendor-sample").resolve() / "home")
    generate(paths, "--sources", VENDORS)
    assert sorted(p.name for p in paths.landing.iterdir()) == sorted(VENDORS.split(","))
    for day in DAYS:
        loads = pipeline.ingest(paths, day)
        assert {s: (load.rows_loaded > 0, load.rows_quarantined) for s, load in loads.items()} == {
            source: (True, 0) for source in VENDORS.split(",")
        }
    assert cli.main(["--home", str(paths.home), "rebuild"]) == 0
    return marts_snapshot(paths.published_db)


@pytest.mark.parametrize("mart", COMPARED)
def test_vendor_exports_give_the_canonical_marts_cell_for_cell(vendor_marts, mart) -> None:
    canonical = reference_snapshot()[mart]
    assert len(canonical) > 5
    assert vendor_marts[mart] == canonical


def test_the_vendor_sample_is_the_same_bytes_for_the_same_seed(tmp_path) -> None:
    digests = []
    for name in ("a", "b"):
        paths = Paths(tmp_path / name)
        generate(paths, "--sources", VENDORS)
        files = sorted(p for p in paths.home.rglob("*") if p.is_file())
        digests.append(
            {p.relative_to(paths.home): hashlib.sha256(p.read_bytes()).digest() for p in files}
        )
    assert digests[0] == digests[1]
    assert len(digests[0]) == 3 * len(DAYS) + 2  # a file a source a day, settings, identities
