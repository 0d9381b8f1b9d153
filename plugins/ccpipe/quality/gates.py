"""The two quality gates: `gate_feeds` after ingest, `gate_marts` after dbt."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ccpipe.contracts import FEEDS, SOURCES
from ccpipe.paths import Paths
from ccpipe.quality.feed_batches import Explanation, feed_parameters
from ccpipe.quality.frames import arrow_frame, select_expression
from ccpipe.quality.gx_project import GxProject, gx_project, gx_run_id, new_run_id
from ccpipe.quality.history import write_history
from ccpipe.quality.mart_batches import PUBLISHED, attach_published, comparison_batch_sql
from ccpipe.quality.report import (
    FAILING_ROWS,
    FEED_ROW_ID,
    GateError,
    GateReport,
    Outcome,
    SuiteRun,
    failing_rows,
    observed_text,
)
from ccpipe.quality.results_page import write_results_page
from ccpipe.relations import relation
from ccpipe.settings import Settings, load_settings
from ccpipe.suites import (
    expectation_columns,
    expectation_label,
    key_columns,
    load_suite,
    mart_suite_names,
    parameter_names,
    suite_columns,
)
from ccpipe.warehouse import RAW_SCHEMA, Connection, connect, ensure_raw_schema, table_columns

log = logging.getLogger("ccpipe.quality")


def run_suite(
    project: GxProject,
    suite: dict[str, Any],
    frame: Any,
    parameters: dict[str, Any],
    row_id: list[str],
    run_id: Any,
    batch: str,
    explanations: dict[str, Explanation] | None = None,
) -> tuple[SuiteRun, Any]:
    started = time.perf_counter()
    results, key = project.validate(suite, frame, parameters, row_id, run_id)
    outcomes = []
    for index, result in results:
        expectation = suite["expectations"][index]
        observed, observed_value = observed_text(expectation, result)
        rows, context = failing_rows(expectation, result, FAILING_ROWS), []
        if not result.success and explanations:
            names = parameter_names(expectation["kwargs"]) + expectation_columns(expectation)
            found = [explanations[n] for n in names if n in explanations]
            for explanation in {id(e): e for e in found}.values():
                context += explanation.context
                rows += explanation.rows
        outcomes.append(
            Outcome(
                index=index,
                expectation=expectation,
                label=expectation_label(expectation),
                success=bool(result.success),
                observed=observed,
                observed_value=observed_value,
                result=result.result or {},
                failing_rows=rows if not result.success else [],
                context=context,
            )
        )
    run = SuiteRun(
        suite=suite["name"],
        batch=batch,
        rows=len(frame),
        parameters=parameters,
        outcomes=outcomes,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "suite %s on %s: %d rows, %d/%d expectations passed in %.2fs",
        run.suite,
        batch,
        run.rows,
        len(outcomes) - len(run.failures),
        len(outcomes),
        run.seconds,
    )
    return run, key


@dataclass
class GateRun:
    """One gate's run over a load date: the suites validated so far and their stored results."""

    project: GxProject
    gx_run: Any
    report: GateReport
    keys: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, paths: Paths, stage: str, load_date: str, run_id: str | None) -> GateRun:
        run_id = run_id or new_run_id(load_date)
        report = GateReport(stage, load_date, run_id, [])
        return cls(gx_project(paths.ensure()), gx_run_id(run_id), report)

    def validate(
        self,
        suite: dict[str, Any],
        frame: Any,
        parameters: dict[str, Any],
        row_id: list[str],
        batch: str,
        explanations: dict[str, Explanation] | None = None,
    ) -> None:
        run, key = run_suite(
            self.project, suite, frame, parameters, row_id, self.gx_run, batch, explanations
        )
        self.report.suites.append(run)
        self.keys.append(key)

    def record_and_judge(self, con: Connection, defer_docs: bool = False) -> GateReport:
        """Keep every result in the history table, render Data Docs (a passed gate's with
        defer_docs: at the end of the run, `render_deferred_docs`), raise when any failed."""
        report = self.report
        for suite, key in zip(report.suites, self.keys, strict=True):
            suite.docs_page = self.project.docs_page(key)
        report.docs = str(self.project.docs_index)
        write_history(con, report, datetime.now(UTC))
        if defer_docs and report.success:
            self.project.defer_docs(self.keys, [s.suite for s in report.suites])
        else:
            self.project.build_docs(self.keys, [s.suite for s in report.suites])
            report.results_page = str(write_results_page(con, self.project.root.parent))
        if not report.success:
            raise GateError(report)
        log.info("%s", report.summary())
        return report


def render_deferred_docs(paths: Paths) -> None:
    """The Data Docs of the results the gates deferred, and the offline results page."""
    project = gx_project(paths)
    if not project.pending_keys:
        return
    project.build_docs()
    with connect(paths.work_db, read_only=True) as con:
        write_results_page(con, project.root.parent)


def validate_feeds(
    paths: Paths,
    load_date: str,
    run_id: str | None = None,
    feeds: tuple[str, ...] | None = None,
    settings: Settings | None = None,
    defer_docs: bool = False,
) -> GateReport:
    """Validate each feed's batch of one date against its whole suite; raise GateError
    (after recording every result) when any expectation fails."""
    settings = settings or load_settings(paths)
    gate = GateRun.start(paths, "feeds", load_date, run_id)
    with connect(paths.work_db) as con:
        ensure_raw_schema(con)
        for feed in feeds or tuple(FEEDS):
            suite = load_suite(feed)
            table = SOURCES[feed].raw_table
            types = table_columns(con, RAW_SCHEMA, table)
            wanted = list(dict.fromkeys(suite_columns(suite) + list(FEED_ROW_ID)))
            columns = ", ".join(select_expression(c, types[c], "b") for c in wanted if c in types)
            started = time.perf_counter()
            arrow = con.sql(
                f"select {columns} from {RAW_SCHEMA}.{table} as b where _load_date = ?",
                params=[load_date],
            ).to_arrow_table()
            frame = arrow_frame(arrow, key_columns(suite))
            parameters, explanations = feed_parameters(con, feed, load_date, settings)
            log.info("batch %s %s read in %.2fs", table, load_date, time.perf_counter() - started)
            batch = f"{RAW_SCHEMA}.{table} where _load_date = {load_date}"
            gate.validate(suite, frame, parameters, list(FEED_ROW_ID), batch, explanations)
        return gate.record_and_judge(con, defer_docs)


def validate_marts(
    paths: Paths,
    load_date: str,
    run_id: str | None = None,
    marts: tuple[str, ...] | None = None,
    compare_published: bool = True,
    defer_docs: bool = False,
) -> GateReport:
    """Validate the marts of the working warehouse against their suites (the build beside
    what BI reads now), after dbt and before publishing; raise GateError (after recording
    every result) on a failure. compare_published=False judges the marts as a first
    publication would be (a deliberate restatement of every date is not held to what it
    replaces)."""
    gate = GateRun.start(paths, "marts", load_date, run_id)
    names = [f"marts.{m}" for m in marts] if marts else mart_suite_names()
    with connect(paths.work_db) as con:
        published = compare_published and attach_published(con, paths)
        for name in names:
            suite = load_suite(name)
            built = relation(paths, suite["meta"]["mart"])
            if table_columns(con, built.schema, built.identifier):
                frame_sql, batch = comparison_batch_sql(con, paths, suite, published)
            else:
                frame_sql = "select null as _missing where false"
                batch = f"{built.schema}.{built.identifier} (missing)"
            frame = arrow_frame(con.sql(frame_sql).to_arrow_table(), key_columns(suite))
            gate.validate(suite, frame, {}, suite["meta"]["grain"], batch)
        if published:
            con.execute(f"detach {PUBLISHED}")
        return gate.record_and_judge(con, defer_docs)
