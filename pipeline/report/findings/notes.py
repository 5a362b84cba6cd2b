"""Short findings for the families that need one sentence of advice, and a catch-all.

Any event.action that no finder claims still gets a finding here (its count and the family's
own summary), so a new family is never left out of a report silently.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pipeline.report.aggregate import family_summary
from pipeline.report.findings.base import Context, evidence, plural
from pipeline.report.model import Finding, Severity


@dataclass(frozen=True)
class Note:
    severity: Severity
    title: str
    advice: str
    checks: tuple[str, ...] = ()


NOTES: dict[str, Note] = {
    "tcp-md5": Note(
        "warning",
        "TCP-MD5 / TCP-AO signature failures",
        "Segments whose RFC 2385 / RFC 5925 signature was missing, unexpected or wrong were "
        "dropped. Usually a key mismatch or a neighbour (BGP) configured on one side only; "
        "spoofing when the addresses are not your neighbours.",
        ("nstat -az TcpExtTCPMD5NotFound TcpExtTCPMD5Unexpected TcpExtTCPMD5Failure",),
    ),
    "tcp-gro-suspect": Note(
        "info",
        "NIC driver with suspect GRO",
        "A driver handed TCP oversized segments without GSO data (printed once per boot). "
        "A performance issue, not a connectivity one: update the driver, or test with "
        "`ethtool -K DEV gro off`.",
    ),
    "tcp-kernel-bug": Note(
        "warning",
        "TCP states the kernel calls impossible",
        "Kernel bug-report material: keep the full log around the line (any WARNING splat "
        "and call trace) and the exact kernel version (`uname -a`).",
    ),
    "tcp-window-scale-invalid": Note(
        "info",
        "SYNs with a window scale above 14",
        "A peer asked for a window scale above the RFC 7323 limit of 14; the kernel used 14 "
        "and went on. Harmless; bursts usually come from scanners.",
    ),
    "tcp-hw-csum": Note(
        "warning",
        "Hardware checksum offload errors",
        "The NIC said a checksum was good and the software check disagreed: a NIC or driver "
        "offload fault. Test with `ethtool -K DEV rx off`.",
    ),
    "socket-api-notice": Note(
        "info",
        "Applications misusing the socket API",
        "An application (named in the line) passed a negative timeout or an obsolete option: "
        "an application bug, harmless to the network.",
    ),
    "conntrack-invalid": Note(
        "info",
        "Packets conntrack classified INVALID",
        "Printed only while net.netfilter.nf_conntrack_log_invalid is set: turn it off when "
        "done debugging.",
    ),
}
QUIET = frozenset({"tcp-boot-info"})  # inventory at boot: nothing to act on


def find(ctx: Context, claimed: Collection[str] = ()) -> list[Finding]:
    out = []
    for action, rows in sorted(ctx.by_action.items()):
        if action in claimed or action in QUIET or not rows:
            continue
        note = NOTES.get(action)
        summary = family_summary(action)
        out.append(
            Finding(
                id=action if note is not None else f"other-{action}",
                actions=[action],
                severity=note.severity if note is not None else "info",
                title=note.title if note is not None else action,
                statement=f"{plural(len(rows), 'event')}: {summary}.",
                meaning=note.advice if note is not None else summary,
                checks=list(note.checks) if note is not None else [],
                evidence=evidence(ctx, rows, events=len(rows)),
            )
        )
    return out
