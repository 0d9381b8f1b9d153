"""The ops report: FCR against target and what stands behind it, from the published marts, as
one self-contained HTML file that opens offline, plus the headline chart as PNG and SVG for
e-mail and chat. Written by `ccpipe report` and after every publish (reports/ in the home,
the newest also as reports/latest.html)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ccpipe.paths import Paths
from ccpipe.report.data import ReportData, ReportError, read_report_data
from ccpipe.settings import Settings, load_settings

HEADLINE_WIDTH = 720

__all__ = ["ReportError", "ReportFiles", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    png: Path
    svg: Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write beside, then rename: a reader (a browser, another run) never sees half a file."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    draft.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    os.replace(draft, path)


def write_report(
    paths: Paths, out: Path | None = None, days: int | None = None, settings: Settings | None = None
) -> ReportFiles:
    """Write the report of the `days` dates up to the latest loaded one (default: the setting
    report_days): to `out`, or into the home's reports/ folder as the dated report and as
    latest.html. The headline chart goes beside it as .png and .svg."""
    import vl_convert

    from ccpipe.report import charts, page

    settings = settings or load_settings(paths)
    data: ReportData = read_report_data(
        paths.published_db, days or settings.report_days, settings.fcr_min_sample
    )
    html = page.render(data, settings, page.javascript_bundle(paths.reports / ".cache"))
    confidence = page.confidence_level(settings.confidence_z)
    headline = {
        **charts.fcr_trend(data.days, settings.fcr_target, confidence),
        "width": HEADLINE_WIDTH,
    }
    svg = vl_convert.vegalite_to_svg(headline, vl_version=page.VEGA_LITE_VERSION)
    png = vl_convert.vegalite_to_png(headline, vl_version=page.VEGA_LITE_VERSION, scale=2)
    if out is None:
        stems = [paths.dated_report(data.last), paths.latest_report]
        stems = [stem.with_suffix("") for stem in stems]
    else:  # a dotted name keeps its dots: week.2026.48.html -> week.2026.48.png
        stems = [out.with_suffix("") if out.suffix == ".html" else out]
    files = {".html": html, ".svg": svg, ".png": png}
    for stem in stems:
        stem.parent.mkdir(parents=True, exist_ok=True)
        for suffix, content in files.items():
            write_atomically(stem.with_name(stem.name + suffix), content)
    last = stems[-1]
    return ReportFiles(*(last.with_name(last.name + s) for s in (".html", ".png", ".svg")))
