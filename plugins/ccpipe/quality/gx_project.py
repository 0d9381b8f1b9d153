"""Great Expectations, set up once per process and home: an ephemeral context whose suites come
from expectations/ and whose validation results and Data Docs are written under
$CCPIPE_HOME/gx/uncommitted/."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccpipe.paths import Paths

DOCS_INDEX_RESULTS = 400  # about three months of daily runs (3 feed + 1 mart suite a day)


class GxProject:
    """An ephemeral GX context (created once per process and gx folder: context set-up and
    the GX import are the slow part) whose suites come from expectations/ and whose
    validation results and Data Docs are written under $CCPIPE_HOME/gx/uncommitted/."""

    def __init__(self, gx_dir: Path) -> None:
        # GX chatters at INFO while importing and validating; keep the pipeline's log readable.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        self.root = gx_dir / "uncommitted"

        def files(folder: str) -> dict[str, str]:
            return {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(self.root / folder),
            }

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        config.stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": files("validations"),
        }
        config.data_docs_sites = {
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": files("data_docs/local_site"),
                # The index lists the newest results only, so refreshing it each run does
                # not grow with history; every page stays on disk and every result in
                # audit.validation_results.
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_INDEX_RESULTS,
                },
            }
        }
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.source = self.context.data_sources.add_pandas("ccpipe")
        self.definitions: dict[str, tuple[str, Any, dict[str, int]]] = {}
        self.pending_keys: list[Any] = []
        self.pending_suites: set[str] = set()

    @property
    def docs_index(self) -> Path:
        return self.root / "data_docs" / "local_site" / "index.html"

    def definition(self, suite: dict[str, Any]) -> tuple[Any, dict[str, int]]:
        """The validation definition of a suite as its file reads now (a changed file is
        picked up), and the position in the file of each expectation id."""
        from great_expectations.core import ExpectationSuite

        name = suite["name"]
        text = json.dumps(suite, sort_keys=True)
        cached = self.definitions.get(name)
        if cached and cached[0] == text:
            return cached[1], cached[2]
        gx_suite = self.context.suites.add_or_update(ExpectationSuite(**copy.deepcopy(suite)))
        if cached is None:
            asset = self.source.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("batch")
        else:
            batch = cached[1].data
        definition = self.context.validation_definitions.add_or_update(
            self.gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        positions = {e.id: i for i, e in enumerate(gx_suite.expectations)}
        self.definitions[name] = (text, definition, positions)
        return definition, positions

    def validate(
        self,
        suite: dict[str, Any],
        frame: Any,
        parameters: dict[str, Any],
        row_id: list[str],
        run_id: Any,
    ) -> tuple[list[tuple[int, Any]], Any]:
        """Run the suite on a frame; (suite position, GX result) in suite order, and the key
        of the stored validation result (for Data Docs)."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        definition, positions = self.definition(suite)
        result_format = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": 20,
            "unexpected_index_column_names": [c for c in row_id if c in frame.columns],
        }
        result = definition.run(
            batch_parameters={"dataframe": frame},
            expectation_parameters=parameters,
            result_format=result_format,
            run_id=run_id,
        )
        ordered = sorted((positions[r.expectation_config.id], r) for r in result.results)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite["name"]),
            run_id=run_id,
            batch_identifier=result.batch_id,
        )
        return ordered, key

    def docs_page(self, key: Any) -> str:
        """Where Data Docs renders (or will render) a stored validation result."""
        *folders, name = key.to_tuple()
        site = self.root / "data_docs" / "local_site" / "validations"
        return str(site.joinpath(*folders, f"{name}.html"))

    def defer_docs(self, keys: list[Any], suites: list[str]) -> None:
        """Render these results later, with every other deferred one (`build_docs`): Data Docs
        costs about half a second a build whatever it renders, so a run over many dates
        renders once, at its end."""
        self.pending_keys += keys
        self.pending_suites |= set(suites)

    def build_docs(self, keys: list[Any] = (), suites: list[str] = ()) -> None:
        """Render these and every deferred validation result (and their suites) and refresh
        the index."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        keys = self.pending_keys + list(keys)
        suites = sorted(self.pending_suites | set(suites))
        self.pending_keys, self.pending_suites = [], set()
        if keys:
            identifiers = keys + [ExpectationSuiteIdentifier(name=s) for s in suites]
            self.context.build_data_docs(resource_identifiers=identifiers)


_PROJECTS: dict[Path, GxProject] = {}


def gx_project(paths: Paths) -> GxProject:
    """The process's GX project for this CCPIPE_HOME (one context per process and home)."""
    root = paths.gx_dir
    if root not in _PROJECTS:
        _PROJECTS[root] = GxProject(root)
    return _PROJECTS[root]


def new_run_id(load_date: str) -> str:
    return f"{load_date}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def gx_run_id(run_id: str) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
