"""The gate results as a page that opens offline: `$CCPIPE_HOME/gx/results.html`.

Great Expectations' Data Docs load their styles and scripts from CDNs, and their index lists
nothing without them; pipelines usually run where those cannot be reached. This page needs
nothing but the file: the newest suite runs from audit.validation_results, each failed
expectation with what was observed, and a link to the run's Data Docs page (whose tables do
read offline, unstyled).
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from pathlib import Path

from ccpipe.warehouse import Connection

RESULTS_PAGE = "results.html"
SUITE_RUNS_SHOWN = 200
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.failed { color: #a40000; font-weight: 600; }
.passed { color: #1f6f1f; }
ul { margin: 0; padding-left: 1.2em; }
"""


def suite_runs(con: Connection) -> list[tuple]:
    """The newest suite runs: when, load date, stage, suite, batch, passed, total, the failed
    expectations (label, observed) and the Data Docs page."""
    return con.execute(
        f"""
        select
            max(validated_at), load_date, stage, suite, any_value(batch),
            count(*) filter (success), count(*),
            list({{'expectation': expectation, 'observed': observed}}) filter (not success),
            any_value(data_docs_page)
        from audit.validation_results
        group by run_id, load_date, stage, suite
        order by 1 desc, suite
        limit {SUITE_RUNS_SHOWN}
        """
    ).fetchall()


def write_results_page(con: Connection, gx_dir: Path) -> Path:
    """Write the page (replacing it) from the gate history; returns its path."""
    page = gx_dir / RESULTS_PAGE
    rows = []
    for at, load_date, stage, suite, batch, passed, total, failed, docs in suite_runs(con):
        verdict = (
            '<span class="passed">passed</span>'
            if passed == total
            else f'<span class="failed">{total - passed} of {total} failed</span>'
        )
        failures = "".join(
            f"<li>{html.escape(f['expectation'])}: {html.escape(f['observed'])}</li>"
            for f in failed or []
        )
        link = (
            f'<a href="{html.escape(os.path.relpath(docs, gx_dir))}">Data Docs</a>'
            if docs and Path(docs).exists()
            else ""
        )
        rows.append(
            f"<tr><td>{html.escape(str(at)[:19])}</td><td>{load_date}</td>"
            f"<td>{html.escape(stage)}</td><td>{html.escape(suite)}</td>"
            f"<td>{html.escape(batch)}</td><td>{verdict}"
            f"{f'<ul>{failures}</ul>' if failures else ''}</td><td>{link}</td></tr>"
        )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    page.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ccpipe quality gate results</title><style>{STYLE}</style></head><body>"
        f"<h1>Quality gate results</h1><p>The newest {SUITE_RUNS_SHOWN} suite runs, newest "
        f"first; written {now}.</p><table><thead><tr><th>validated (UTC)</th>"
        "<th>load date</th><th>gate</th><th>suite</th><th>batch</th><th>verdict</th>"
        f"<th>details</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>",
        encoding="utf-8",
    )
    return page
