"""`--html FILE`: one self-contained page, charts drawn as SVG here (no script, no network).

Every chart element carries its numbers as data-* attributes, and the report's JSON rides along
in a non-executed <script type="application/json">, so a browser test can compare what is drawn
with what `--json` says. A Content-Security-Policy forbids the page any fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from pipeline.report.model import Finding, Report, TopEntry
from pipeline.report.terminal import duration

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{margin-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}td.n{text-align:right}.dim{color:#666}
.critical{color:#b00020}.warning{color:#a66300}.info{color:#0a5d8a}
.consistent{color:#a66300}.not-supported{color:#2e7d32}.cannot-tell{color:#666}
code{background:#f4f4f4;padding:1px 3px;white-space:pre-wrap}
.finding{border-left:4px solid #ccc;padding-left:1em;margin:1.2em 0}
svg text{font:11px system-ui,sans-serif;fill:#333}
"""
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _timeline_svg(report: Report) -> str:
    tl = report.timeline
    if not tl.families:
        return "<p>No events.</p>"
    width, row_h, label_w = 1000, 46, 230
    n = len(tl.families[0].counts)
    bar_w = (width - label_w - 60) / max(n, 1)
    parts = [
        f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{row_h * len(tl.families) + 30}" role="img" aria-label="events over time">'
    ]
    for i, series in enumerate(tl.families):
        y0 = i * row_h + 4
        peak = max(series.counts) or 1
        color = _PALETTE[i % len(_PALETTE)]
        parts.append(
            f'<text x="0" y="{y0 + 24}">{escape(series.action)}</text>'
            f'<text x="{width - 55}" y="{y0 + 24}">{series.total:,}</text>'
        )
        for j, count in enumerate(series.counts):
            h = 0 if count == 0 else max(1.5, 36 * count / peak)
            x = label_w + j * bar_w
            parts.append(
                f'<rect class="bar" data-chart="timeline" data-series="{escape(series.action)}" '
                f'data-index="{j}" data-count="{count}" x="{x:.1f}" y="{y0 + 38 - h:.1f}" '
                f'width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{escape(series.action)}: {count} from bucket {j}</title></rect>"
            )
        parts.append(
            f'<line x1="{label_w}" x2="{width - 60}" y1="{y0 + 38}" y2="{y0 + 38}" stroke="#ccc"/>'
        )
    y = row_h * len(tl.families) + 20
    parts.append(
        f'<text x="{label_w}" y="{y}">{escape(_iso(tl.start))}</text>'
        f'<text x="{width - 60}" y="{y}" text-anchor="end">{escape(_iso(tl.end))}</text>'
        "</svg>"
    )
    return "".join(parts)


def _bars_svg(chart: str, entries: Sequence[TopEntry]) -> str:
    if not entries:
        return "<p>None.</p>"
    width, row_h, label_w = 1000, 22, 330
    peak = max(e.count for e in entries)
    parts = [
        f'<svg id="{chart}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{row_h * len(entries) + 6}" role="img" aria-label="{chart}">'
    ]
    for i, e in enumerate(entries):
        y = i * row_h + 3
        w = (width - label_w - 120) * e.count / peak
        label = f"{e.key}  {e.label}" if e.label else e.key
        parts.append(
            f'<text x="0" y="{y + 14}">{escape(label[:48])}</text>'
            f'<rect class="bar" data-chart="{chart}" data-key="{escape(e.key)}" '
            f'data-count="{e.count}" x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{_PALETTE[0]}"><title>{escape(e.key)}: {e.count}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}">{e.count:,} ({e.share:.0%})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _episodes_svg(report: Report) -> str:
    ws = report.window_shrink
    if ws is None or not ws.episodes:
        return "<p>No window-shrink episodes.</p>"
    episodes = ws.episodes
    first = min(e.start for e in episodes)
    last = max(e.end for e in episodes)
    span = max((last - first).total_seconds(), 1.0)
    width, row_h, label_w = 1000, 18, 330
    plot = width - label_w - 20
    parts = [
        f'<svg id="episodes" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{row_h * len(episodes) + 26}" role="img" aria-label="episodes">'
    ]
    for i, e in enumerate(episodes):
        y = i * row_h + 3
        x = label_w + plot * (e.start - first).total_seconds() / span
        w = max(3.0, plot * (e.end - e.start).total_seconds() / span)
        parts.append(
            f'<text x="0" y="{y + 12}">{escape(f"{e.peer} {e.isp}"[:48])}</text>'
            f'<rect class="bar" data-chart="episodes" data-peer="{escape(e.peer)}" '
            f'data-start="{escape(_iso(e.start))}" data-end="{escape(_iso(e.end))}" '
            f'data-count="{e.events}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 5}" '
            f'fill="{_PALETTE[2]}"><title>{escape(e.peer)}: {e.events} events over '
            f"{duration((e.end - e.start).total_seconds())}</title></rect>"
        )
    y = row_h * len(episodes) + 18
    parts.append(
        f'<text x="{label_w}" y="{y}">{escape(_iso(first))}</text>'
        f'<text x="{width - 20}" y="{y}" text-anchor="end">{escape(_iso(last))}</text></svg>'
    )
    return "".join(parts)


def _finding(f: Finding) -> str:
    parts = [
        f'<div class="finding" id="{escape(f.id)}" data-finding="{escape(f.id)}">',
        f'<h3><span class="{f.severity}">[{f.severity}]</span> {escape(f.title)}</h3>',
        f"<p><b>{escape(f.statement)}</b></p><p class=dim>{escape(f.meaning)}</p>",
    ]
    if f.causes:
        parts.append("<table><tr><th>cause</th><th>evidence says</th><th>why</th></tr>")
        for c in f.causes:
            parts.append(
                f"<tr><td>{escape(c.cause)}</td><td class='{c.assessment}'>{c.assessment}</td>"
                f"<td>{escape(c.reason)}</td></tr>"
            )
        parts.append("</table>")
    if f.checks:
        parts.append("<p>Check on the host:</p><ul>")
        parts.extend(f"<li><code>{escape(c)}</code></li>" for c in f.checks)
        parts.append("</ul>")
    if f.sysctls:
        parts.append("<table><tr><th>sysctl</th><th>value here</th><th>meaning</th></tr>")
        for s in f.sysctls:
            value = escape(s.value) if s.value is not None else "-"
            parts.append(
                f"<tr><td><code>{escape(s.name)}</code></td><td>{value}</td>"
                f"<td>{escape(s.meaning)}</td></tr>"
            )
        parts.append("</table>")
    if f.references:
        parts.append(f"<p class=dim>Sources: {escape('; '.join(f.references))}</p>")
    parts.append(f"<p class=dim>Evidence: {f.evidence.events:,} events</p></div>")
    return "".join(parts)


def _top_table(entries: Sequence[TopEntry]) -> str:
    rows = "".join(
        f"<tr><td>{escape(e.key)}</td><td>{escape(e.label)}</td><td class=n>{e.count:,}</td>"
        f"<td class=n>{e.share:.0%}</td></tr>"
        for e in entries
    )
    return f"<table><tr><th></th><th></th><th>events</th><th>share</th></tr>{rows}</table>"


def render_html(report: Report) -> str:
    inputs = report.inputs
    data = report.model_dump_json().replace("</", "<\\/")  # cannot close the script element
    ws = report.window_shrink
    shrink_text = ""
    if ws is not None:
        shrink_text = (
            f"<p>{len(ws.episodes)} episodes from {ws.peers} peers (gap "
            f"{duration(ws.episode_gap_secs)}); {ws.probe_events} of "
            f"{ws.probe_events + ws.in_flight_events} events ({ws.probe_share:.0%}) had one "
            "byte outstanding, a zero-window probe.</p>"
        )
    top = report.top
    return "".join(
        [
            "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">",
            "<title>ktcp report</title><style>",
            _CSS,
            "</style></head><body><h1>ktcp report</h1>",
            f"<p>{inputs.events:,} events from {escape(_iso(report.first_event))} to "
            f"{escape(_iso(report.last_event))}; sources: {escape(', '.join(inputs.sources))}."
            f"</p><p class=dim>{escape(report.host.note)}</p>",
            "<h2>In short</h2><ul>",
            *(
                f'<li><a href="#{escape(f.id)}"><span class="{f.severity}">[{f.severity}]</span>'
                f"</a> {escape(f.statement)}</li>"
                for f in report.findings
            ),
            "</ul>",
            f"<h2>Events over time</h2><p class=dim>one bar = "
            f"{duration(report.timeline.bucket_secs)}</p>",
            _timeline_svg(report),
            "<h2>Top ISPs</h2><p class=dim>Chinese carriers by canonical name, the rest by AS "
            "organisation</p>",
            _bars_svg("isps", top.isps),
            "<h2>Top peers</h2>",
            _bars_svg("peers", top.peers),
            "<h2>Window-shrink episodes</h2>",
            shrink_text,
            _episodes_svg(report),
            "<h2>Findings, causes and what to check</h2>",
            *(_finding(f) for f in report.findings),
            "<h2>Top AS numbers</h2>",
            _top_table(top.as_numbers),
            "<h2>Top local ports</h2>",
            _top_table(top.local_ports),
            "<h2>Peer countries and regions</h2>",
            _top_table(top.countries),
            _top_table(top.regions),
            '<script type="application/json" id="ktcp-report-data">',
            data,
            "</script></body></html>\n",
        ]
    )
