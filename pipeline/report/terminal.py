"""The report on a terminal: rich tables, one sparkline per family, findings with their advice."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.report.model import Finding, Report, TopEntry

SPARKS = "▁▂▃▄▅▆▇█"
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
_ASSESSMENT_STYLE = {"consistent": "yellow", "not-supported": "green", "cannot-tell": "dim"}


def sparkline(counts: Sequence[int]) -> str:
    """One character per bucket: blank for none, then eight heights up to the busiest bucket."""
    peak = max(counts, default=0)
    if peak == 0:
        return " " * len(counts)
    return "".join(
        " " if c == 0 else SPARKS[min(len(SPARKS) - 1, (c * len(SPARKS) - 1) // peak)]
        for c in counts
    )


def duration(secs: float) -> str:
    secs = int(secs)
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    if secs < 86400:
        return f"{secs // 3600}h{secs % 3600 // 60:02d}m"
    return f"{secs // 86400}d{secs % 86400 // 3600:02d}h"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _top_table(title: str, entries: Sequence[TopEntry], label: str = "") -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("", no_wrap=True)
    if label:
        table.add_column(label)
    table.add_column("events", justify="right")
    table.add_column("share", justify="right")
    table.add_column("families")
    for e in entries:
        cells = [e.key, *([e.label] if label else []), f"{e.count:,}", f"{e.share:.0%}"]
        cells.append(", ".join(f"{a} {n}" for a, n in e.by_action.items()))
        table.add_row(*cells)
    return table


PIPE_WIDTH = 120  # columns when writing to a file or pipe (rich would take 80)


def _console() -> Console:
    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, width=PIPE_WIDTH if piped else None)


def render(report: Report, console: Console | None = None) -> None:
    out = console or _console()
    inputs = report.inputs
    out.print(Text("ktcp report", style="bold"))
    out.print(
        f"{inputs.events:,} events, {_when(report.first_event)} to {_when(report.last_event)} "
        f"UTC, from {', '.join(inputs.sources)}"
    )
    read = []
    if inputs.lines:
        read.append(
            f"{inputs.lines:,} lines read: {inputs.non_tcp_lines:,} not TCP, "
            f"{inputs.unmatched_lines:,} unmatched, {inputs.invalid_lines:,} invalid"
        )
    if inputs.documents:
        read.append(f"{inputs.documents:,} documents read")
    for reason, n in inputs.skipped_documents.items():
        read.append(f"{n:,} skipped: {reason}")
    if inputs.duplicates:
        read.append(f"{inputs.duplicates:,} duplicates counted once")
    if inputs.since is not None:
        read.append(f"since {_when(inputs.since)} UTC")
    if inputs.before_since:
        read.append(f"{inputs.before_since:,} before --since left out")
    if read:
        out.print("; ".join(read), style="dim")
    out.print()
    out.print(Text("In short", style="bold underline"))
    for finding in report.findings:
        out.print(
            Text.assemble(
                (f"[{finding.severity}] ", _SEVERITY_STYLE[finding.severity]), finding.statement
            )
        )
    out.print()

    tl = report.timeline
    if tl.families:
        table = Table(
            title=f"Events over time ({_when(tl.start)} to {_when(tl.end)} UTC, one "
            f"character = {duration(tl.bucket_secs)})",
            title_justify="left",
        )
        table.add_column("family", no_wrap=True)
        table.add_column("events", justify="right")
        table.add_column("over time", no_wrap=True)
        for s in tl.families:
            table.add_row(s.action, f"{s.total:,}", sparkline(s.counts))
        out.print(table)

    top = report.top
    for title, entries, label in (
        ("Top peers", top.peers, "ISP"),
        ("Top ISPs (Chinese carriers by canonical name, the rest by AS organisation)",
         top.isps, "AS numbers"),
        ("Top AS numbers", top.as_numbers, "organisation"),
        ("Top local ports", top.local_ports, ""),
        ("Peer countries", top.countries, ""),
        ("Peer regions and provinces", top.regions, "country"),
    ):  # fmt: skip
        if entries:
            out.print(_top_table(title, entries, label))

    ws = report.window_shrink
    if ws is not None:
        out.print(
            f"[bold]Window-shrink episodes[/] (events of one peer less than "
            f"{duration(ws.episode_gap_secs)} apart): {len(ws.episodes)} episodes from "
            f"{ws.peers} peers; {ws.probe_events} of {ws.probe_events + ws.in_flight_events} "
            f"events ({ws.probe_share:.0%}) had one byte outstanding (zero-window probe)"
        )
        table = Table(title_justify="left")
        for col in ("peer", "ISP", "start (UTC)", "lasted", "events", "conns", "ports",
                    "bytes out min/median/max", "probes"):  # fmt: skip
            table.add_column(col, no_wrap=col in ("peer", "start (UTC)"))
        for e in ws.episodes[:20]:
            b = e.bytes_outstanding
            table.add_row(
                e.peer,
                e.isp + (f" AS{e.as_number}" if e.as_number is not None else ""),
                _when(e.start),
                duration((e.end - e.start).total_seconds()),
                str(e.events),
                str(e.connections),
                ",".join(map(str, e.local_ports)),
                f"{b.min:,} / {b.median:,g} / {b.max:,}",
                str(e.probe_events),
            )
        out.print(table)
        if len(ws.episodes) > 20:
            out.print(f"... {len(ws.episodes) - 20} more episodes (--json has them all)")
        out.print()

    out.print(Text("Findings, causes and what to check", style="bold underline"))
    for finding in report.findings:
        _finding(out, finding)
    out.print(Text(report.host.note, style="dim"))


def _finding(out: Console, f: Finding) -> None:
    out.print()
    out.print(Text.assemble((f"[{f.severity}] ", _SEVERITY_STYLE[f.severity]), (f.title, "bold")))
    out.print(f.statement)
    out.print(Text(f.meaning, style="dim"))
    if f.causes:
        table = Table(title="Plausible causes, against the evidence", title_justify="left")
        table.add_column("cause")
        table.add_column("evidence says")
        table.add_column("why")
        for c in f.causes:
            table.add_row(c.cause, Text(c.assessment, _ASSESSMENT_STYLE[c.assessment]), c.reason)
        out.print(table)
    if f.checks:
        out.print("Check on the host:")
        for check in f.checks:
            out.print(f"  $ {check}", markup=False, soft_wrap=True)
    if f.sysctls:
        table = Table(title="Sysctls that matter", title_justify="left")
        table.add_column("sysctl", no_wrap=True)
        table.add_column("value here")
        table.add_column("meaning")
        for s in f.sysctls:
            table.add_row(s.name, s.value if s.value is not None else "-", s.meaning)
        out.print(table)
    if f.references:
        out.print(Text("Sources: " + "; ".join(f.references), style="dim"))
    ev = f.evidence
    more = "" if ev.ids_complete else f" (first {len(ev.event_ids):,} ids in --json)"
    out.print(Text(f"Evidence: {ev.events:,} events{more}", style="dim"))
