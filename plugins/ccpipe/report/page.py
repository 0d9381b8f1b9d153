"""The report as one HTML file that opens from disk with no network: the chart runtime
(vega-embed with Vega and Vega-Lite, from vl-convert) is inlined, every value escaped."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from ccpipe.report import charts, write_atomically
from ccpipe.report.data import ReportData
from ccpipe.settings import Settings

VEGA_LITE_VERSION = "6.4"  # the version vl-convert bundles and renders with
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 1em 1.5em; color: #1b1b1b; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta, .note { color: #555; } .chart { width: 100%; margin: 0.6em 0; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f4f4f4; }
.provisional { color: #b36b00; } .partial { color: #777; font-style: italic; }
blockquote { margin: 0.4em 0; padding: 0.4em 0.8em; border-left: 3px solid #ccc;
             background: #fafafa; white-space: pre-wrap; unicode-bidi: plaintext; }
"""


def javascript_bundle(cache: Path) -> str:
    """vega-embed with Vega and Vega-Lite as one script, built once per vl-convert version
    (building it takes seconds) and kept in the cache folder."""
    import vl_convert

    path = cache / f"vega-embed-{vl_convert.__version__}-vl{VEGA_LITE_VERSION}.js"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        write_atomically(path, vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION))
    return path.read_text(encoding="utf-8")


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def cell(value: Any, shown: str) -> str:
    """A table cell showing a formatted value and carrying the mart's own in data-value."""
    raw = "" if value is None else str(value)
    return f'<td data-value="{escape(raw)}">{escape(shown)}</td>'


def day_table(days: list[dict[str, Any]], confidence: str) -> str:
    head = (
        "<tr><th>date</th><th>eligible</th><th>resolved</th><th>FCR</th>"
        f"<th>{confidence} interval</th>"
        "<th>verdicts</th><th>contacts</th></tr>"
    )
    body = []
    for day in reversed(days):
        if not day["is_date_loaded"]:
            state, css = "partial day: its feeds were not loaded", "partial"
        elif day["fcr_is_final"]:
            state, css = "final", ""
        else:
            state, css = "provisional", "provisional"
        body.append(
            f'<tr class="{css}" data-date="{day["reporting_date"]}">'
            f"<td>{day['reporting_date']}</td>"
            + cell(day["fcr_eligible"], str(day["fcr_eligible"]))
            + cell(day["fcr_resolved"], str(day["fcr_resolved"]))
            + cell(day["fcr_rate"], percent(day["fcr_rate"]))
            + f"<td>{percent(day['fcr_ci_low'])} to {percent(day['fcr_ci_high'])}</td>"
            + f"<td>{state}</td>"
            + cell(day["contacts_handled"], str(day["contacts_handled"]))
            + "</tr>"
        )
    return f'<table id="fcr-days"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def scorecard_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>agent</th><th>contacts</th><th>FCR</th><th>CSAT</th><th>NPS</th>"
        "<th>AHT (s)</th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(str(r['agent_id']))}</td><td>{r['contacts_handled']}</td>"
        f"<td>{percent(r['fcr_rate'])}</td><td>{percent(r['csat_pct'])}</td>"
        f"<td>{number(r['nps'], 0)}</td><td>{number(r['aht_seconds'], 0)}</td></tr>"
        for r in rows
    )
    return f'<table id="scorecard"><thead>{head}</thead><tbody>{body}</tbody></table>'


def comments_list(comments: list[dict[str, Any]]) -> str:
    """Each comment in its own script and direction (dir="auto"), escaped."""
    if not comments:
        return '<p class="note">No low-score comments in the window.</p>'
    items = []
    for c in comments:
        where = " / ".join(escape(str(c[k])) for k in ("channel", "queue") if c[k]) or "unknown"
        lang = escape(str(c["language"] or ""))
        items.append(
            f'<div class="comment"><p class="meta">{escape(str(c["responded_at"])[:16])} - '
            f"{escape(c['survey_type'])} {c['score']} on {c['scale_min']}-{c['scale_max']} - "
            f'{where}</p><blockquote dir="auto" lang="{lang}">{escape(c["comment"])}</blockquote>'
            "</div>"
        )
    return "".join(items)


def confidence_level(z: float) -> str:
    """The two-sided confidence of a normal quantile, as the intervals are labelled (1.96: 95%)."""
    return f"{math.erf(z / math.sqrt(2)):.0%}"


def render(data: ReportData, settings: Settings, bundle: str) -> str:
    target, min_sample = settings.fcr_target, settings.fcr_min_sample
    service_level_target = settings.service_level_target
    confidence = confidence_level(settings.confidence_z)
    days = data.days
    partial = [str(d["reporting_date"]) for d in days if not d["is_date_loaded"]]
    provisional = [
        str(d["reporting_date"]) for d in days if d["is_date_loaded"] and not d["fcr_is_final"]
    ]
    specs = {
        "fcr-trend": charts.fcr_trend(days, target, confidence),
        "queue-breaches": charts.queue_breaches(data.queue_days, min_sample),
        "miss-by-queue": charts.miss_reasons(data.misses, "queue"),
        "miss-by-category": charts.miss_reasons(data.misses, "issue_category"),
        "csat": charts.band_trend(
            days, "CSAT (top-box)", "csat_pct", "csat_ci_low", "csat_ci_high", charts.PERCENT
        ),
        "nps": charts.band_trend(
            charts.nps_with_margin(days), "NPS, with its margin", "nps", "nps_low", "nps_high"
        ),
        "ces": charts.band_trend(days, "CES net (% agree - % disagree)", "ces_net", None, None),
        "service-level": charts.call_ops(
            data.call_ops,
            "service_level",
            f"Service level (target {service_level_target:.0%})",
            service_level_target,
            charts.PERCENT,
        ),
        "abandon-rate": charts.call_ops(
            data.call_ops, "abandon_rate", "Abandon rate", axis=charts.PERCENT
        ),
        "asa": charts.call_ops(data.call_ops, "asa_seconds", "Average speed of answer (s)"),
        "aht": charts.call_ops(data.call_ops, "aht_seconds", "Average handle time (s)"),
    }
    div = {name: f'<div class="chart" id="{name}"></div>' for name in specs}
    published = data.publication
    notes = []
    if provisional:
        notes.append(
            f"Provisional (repeat window still open, the rate can still fall): "
            f"{', '.join(provisional)}."
        )
    if partial:
        notes.append(
            f"Left out of the trends, their own feeds not loaded (only other dates' late "
            f"rows): {', '.join(partial)}."
        )
    embed = json.dumps(specs, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccpipe ops report {data.last}</title><style>{STYLE}</style>
<script>{bundle}</script></head>
<body>
<h1>FCR against target, {data.first} to {data.last}</h1>
<p class="meta">From the published marts (publication {escape(str(published["publication_id"]))},
published {escape(str(published["published_at"])[:19])}, FCR judged at
{escape(str(published["as_of"])[:19])}); target {target:.0%}.</p>
{div["fcr-trend"]}
{"".join(f'<p class="note">{escape(n)}</p>' for n in notes)}
<h2>Queues and channels in breach</h2>{div["queue-breaches"]}
<h2>Why FCR missed</h2><div class="grid">{div["miss-by-queue"]}{div["miss-by-category"]}</div>
<h2>CSAT, NPS and CES</h2><div class="grid">{div["csat"]}{div["nps"]}</div>{div["ces"]}
<h2>Call operations</h2>
<div class="grid">{div["service-level"]}{div["abandon-rate"]}{div["asa"]}{div["aht"]}</div>
<h2>Agents, week of {data.week_start}</h2>{scorecard_table(data.scorecard)}
<h2>Latest low-score comments</h2>{comments_list(data.comments)}
<h2>FCR by day</h2>{day_table(days, confidence)}
<script>
const specs = {embed};
for (const [id, spec] of Object.entries(specs)) {{
  vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}}).catch(console.error);
}}
</script>
</body></html>
"""
