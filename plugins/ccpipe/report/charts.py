"""The report's charts as Vega-Lite specifications (the grammar Altair writes; built here as
data, since importing Altair alone costs more than the whole report may), rendered in the page
by vega-embed and to PNG/SVG by vl-convert."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
WIDTH = "container"
PERCENT = {"format": ".0%"}
FINAL, PROVISIONAL = "final", "provisional: repeat window still open"
MATURITY_COLORS = {"domain": [FINAL, PROVISIONAL], "range": ["#1f4e79", "#e08a00"]}
MATURITY_SHAPES = {"domain": [FINAL, PROVISIONAL], "range": ["circle", "triangle-up"]}
DAY_AXIS = {"format": "%d %b", "labelAngle": 0}
REASON_LABELS = {
    "repeat_contact": "repeat contact within the window",
    "call_marked_unresolved": "call marked unresolved",
    "ticket_not_solved": "ticket not solved",
    "ticket_reopened": "ticket reopened",
    "ticket_multi_touch": "ticket multi-touch",
}


def plain(value: Any) -> Any:
    """A value as JSON carries it (dates as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def values(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    return [{c: plain(row[c]) for c in columns} for row in rows]


def chart(title: str, data: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "height": 220,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": data},
        **spec,
    }


def fcr_trend(days: list[dict[str, Any]], target: float, confidence: str) -> dict[str, Any]:
    """FCR per loaded day with its Wilson band (`confidence`: its level, as "95%") and the
    target; provisional days (repeat window still open) drawn apart."""
    data = [
        {
            **values([day], ["reporting_date", "fcr_rate", "fcr_ci_low", "fcr_ci_high"])[0],
            "eligible": day["fcr_eligible"],
            "maturity": FINAL if day["fcr_is_final"] else PROVISIONAL,
        }
        for day in days
        if day["is_date_loaded"] and day["fcr_rate"] is not None
    ]
    x = day_axis()
    y_scale = {"domain": [0, 1]}
    return chart(
        f"FCR per day, {confidence} interval, target {target:.0%}",
        data,
        layer=[
            {
                "mark": {"type": "area", "opacity": 0.18, "color": "#1f4e79"},
                "encoding": {
                    "x": x,
                    "y": {"field": "fcr_ci_low", "type": "quantitative", "scale": y_scale},
                    "y2": {"field": "fcr_ci_high"},
                },
            },
            {
                "mark": {"type": "line", "color": "#1f4e79"},
                "encoding": {"x": x, "y": {"field": "fcr_rate", "type": "quantitative"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 60},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "fcr_rate",
                        "type": "quantitative",
                        "axis": PERCENT,
                        "title": "FCR",
                    },
                    "color": {
                        "field": "maturity",
                        "type": "nominal",
                        "scale": MATURITY_COLORS,
                        "title": "FCR verdicts",
                        "legend": {"labelLimit": 320, "orient": "bottom"},
                    },
                    "shape": {
                        "field": "maturity",
                        "type": "nominal",
                        "scale": MATURITY_SHAPES,
                        "title": "FCR verdicts",
                    },
                    "tooltip": [
                        {"field": "reporting_date", "type": "temporal"},
                        {"field": "fcr_rate", "type": "quantitative", "format": ".1%"},
                        {"field": "eligible", "type": "quantitative"},
                        {"field": "maturity", "type": "nominal"},
                    ],
                },
            },
            {
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#a40000"},
                "encoding": {"y": {"datum": target}},
            },
            {
                "mark": {"type": "text", "align": "left", "dy": -8, "color": "#a40000"},
                "encoding": {"y": {"datum": target}, "text": {"value": f"target {target:.0%}"}},
            },
        ],
    )


def rows_high(categories: set[Any]) -> int:
    """A chart's height for one band per category (a fixed height keeps the width fitted)."""
    return max(120, 18 * len(categories))


def day_axis() -> dict[str, Any]:
    return {
        "field": "reporting_date",
        "type": "temporal",
        "timeUnit": "yearmonthdate",
        "title": None,
        "axis": DAY_AXIS,
    }


def queue_breaches(queue_days: list[dict[str, Any]], min_sample: int) -> dict[str, Any]:
    """FCR per queue and day; a dot marks a significant breach resting on enough contacts."""
    data = [
        {
            **values([row], ["reporting_date", "fcr_rate", "fcr_eligible"])[0],
            "queue": f"{row['channel']}/{row['queue']}",
            "breach": bool(row["is_notable_breach"]),
        }
        for row in queue_days
        if row["is_date_loaded"]
    ]
    x = {"field": "reporting_date", "type": "ordinal", "timeUnit": "yearmonthdate", "title": None}
    y = {"field": "queue", "type": "nominal", "title": None}
    return chart(
        f"FCR by queue; dot: significant breach on >= {min_sample} eligible contacts",
        data,
        height=rows_high({row["queue"] for row in data}),
        layer=[
            {
                "mark": "rect",
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "fcr_rate",
                        "type": "quantitative",
                        "scale": {"domain": [0, 1], "scheme": "redyellowgreen"},
                        "legend": {"format": ".0%"},
                        "title": "FCR",
                    },
                    "tooltip": [
                        {"field": "queue"},
                        {"field": "reporting_date", "type": "temporal"},
                        {"field": "fcr_rate", "format": ".1%"},
                        {"field": "fcr_eligible"},
                    ],
                },
            },
            {
                "transform": [{"filter": "datum.breach"}],
                "mark": {"type": "point", "filled": True, "color": "black", "size": 18},
                "encoding": {"x": x, "y": y},
            },
        ],
    )


def miss_reasons(misses: list[dict[str, Any]], by: str) -> dict[str, Any]:
    """The failed contacts split by why they missed, per queue or issue category."""
    data = [
        {"reason": REASON_LABELS.get(m["fcr_miss_reason"], m["fcr_miss_reason"]), **m}
        for m in misses
    ]
    return chart(
        f"Why FCR missed, by {by.replace('_', ' ')}",
        values(data, ["reason", by, "contacts"]),
        height=rows_high({row[by] for row in data}),
        mark="bar",
        encoding={
            "y": {"field": by, "type": "nominal", "sort": "-x", "title": None},
            "x": {"aggregate": "sum", "field": "contacts", "type": "quantitative"},
            "color": {"field": "reason", "type": "nominal", "title": "reason"},
            "tooltip": [{"field": by}, {"field": "reason"}, {"field": "contacts"}],
        },
    )


def band_trend(
    days: list[dict[str, Any]],
    title: str,
    value: str,
    low: str | None,
    high: str | None,
    axis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One measure per loaded day, with its interval where it has one."""
    columns = ["reporting_date", value] + [c for c in (low, high) if c]
    data = values([d for d in days if d["is_date_loaded"] and d[value] is not None], columns)
    x = day_axis()
    layers = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": {"field": value, "type": "quantitative", "axis": axis or {}, "title": None},
                "tooltip": [{"field": "reporting_date", "type": "temporal"}, {"field": value}],
            },
        }
    ]
    if low and high:
        layers.insert(
            0,
            {
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {"field": low, "type": "quantitative"},
                    "y2": {"field": high},
                },
            },
        )
    return chart(title, data, height=160, layer=layers)


def nps_with_margin(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **day,
            "nps_low": None if day["nps"] is None else day["nps"] - (day["nps_margin"] or 0),
            "nps_high": None if day["nps"] is None else day["nps"] + (day["nps_margin"] or 0),
        }
        for day in days
    ]


def call_ops(
    rows: list[dict[str, Any]],
    measure: str,
    title: str,
    target: float | None = None,
    axis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One call-operations measure per entry queue and loaded day, against its target."""
    data = values([r for r in rows if r["is_date_loaded"]], ["reporting_date", "queue", measure])
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": day_axis(),
                "y": {"field": measure, "type": "quantitative", "axis": axis or {}, "title": None},
                "color": {"field": "queue", "type": "nominal", "title": "entry queue"},
                "tooltip": [
                    {"field": "queue"},
                    {"field": "reporting_date", "type": "temporal"},
                    {"field": measure},
                ],
            },
        }
    ]
    if target is not None:
        layers.append(
            {
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#a40000"},
                "encoding": {"y": {"datum": target}},
            }
        )
    return chart(title, data, height=160, layer=layers)
