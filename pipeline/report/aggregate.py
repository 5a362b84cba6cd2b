"""The numbers: events per family over time, top lists, and window-shrink episodes."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from pipeline.catalog import BY_ACTION, FAMILIES
from pipeline.report.model import (
    BytesOutstanding,
    Episode,
    FamilySeries,
    Timeline,
    TopEntry,
    TopLists,
    WindowShrinkSummary,
)
from pipeline.report.rows import Row
from pipeline.settings import REPORT_MAX_BUCKETS, REPORT_TOP_N

WINDOW_SHRINK = "tcp-window-shrink"
# Bucket sizes a person reads easily; the smallest that keeps the timeline short is used.
BUCKET_LADDER_SECS = (
    60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400,
)  # fmt: skip
_FAMILY_ORDER = {f.action: i for i, f in enumerate(FAMILIES)}


def family_summary(action: str) -> str:
    family = BY_ACTION.get(action)
    return family.summary if family is not None else action


def bucket_secs(first: datetime, last: datetime, max_buckets: int = REPORT_MAX_BUCKETS) -> int:
    span = (last - first).total_seconds()
    for size in BUCKET_LADDER_SECS:
        if span / size < max_buckets:
            return size
    return BUCKET_LADDER_SECS[-1]


def _floor(moment: datetime, size: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % size, UTC)


def action_order(action: str) -> tuple[int, str]:
    return (_FAMILY_ORDER.get(action, len(_FAMILY_ORDER)), action)


def timeline(rows: Sequence[Row], max_buckets: int = REPORT_MAX_BUCKETS) -> Timeline:
    rows = [r for r in rows if r.counted]
    if not rows:
        return Timeline(start=None, end=None, bucket_secs=BUCKET_LADDER_SECS[0], families=[])
    first = min(r.timestamp for r in rows)
    last = max(r.timestamp for r in rows)
    size = bucket_secs(first, last, max_buckets)
    start = _floor(first, size)
    count = int((last - start).total_seconds()) // size + 1
    series: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for r in rows:
        series[r.action][int((r.timestamp - start).total_seconds()) // size] += 1
    families = [
        FamilySeries(action=a, summary=family_summary(a), total=sum(c), counts=c)
        for a, c in sorted(series.items(), key=lambda kv: (-sum(kv[1]), action_order(kv[0])))
    ]
    return Timeline(
        start=start, end=start + timedelta(seconds=size * count), bucket_secs=size,
        families=families,
    )  # fmt: skip


def top(
    rows: Iterable[Row],
    key: Callable[[Row], str | None],
    label: Callable[[Row], str] = lambda r: "",
    n: int = REPORT_TOP_N,
) -> list[TopEntry]:
    """The n most frequent keys (ties by key), share of the events that carry a key."""
    counts: Counter[str] = Counter()
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        k = key(r)
        if k is None:
            continue
        counts[k] += 1
        actions[k][r.action] += 1
        labels[k][label(r)] += 1
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [
        TopEntry(
            key=k,
            label=labels[k].most_common(1)[0][0],
            count=c,
            share=c / total,
            by_action=dict(sorted(actions[k].items())),
        )
        for k, c in ranked
    ]


def _isp_label(r: Row) -> str:
    asn = f"AS{r.as_number}" if r.as_number is not None else ""
    return " ".join(x for x in (r.isp_group or "", asn) if x)


def _as_numbers_label(r: Row) -> str:
    return r.as_organization or r.isp or ""


def _ports(r: Row) -> str | None:
    return str(r.local_port) if r.local_port is not None else None


def _as_key(r: Row) -> str | None:
    return f"AS{r.as_number}" if r.as_number is not None else None


def _asns_of_group(rows: Iterable[Row]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if r.isp_group is not None and r.as_number is not None:
            out[r.isp_group][f"AS{r.as_number}"] += 1
    return out


def top_lists(rows: Sequence[Row], n: int = REPORT_TOP_N) -> TopLists:
    rows = [r for r in rows if r.counted]
    asns = _asns_of_group(rows)

    def isp_label(r: Row) -> str:
        group = r.isp_group
        return ", ".join(a for a, _ in asns[group].most_common(3)) if group in asns else ""

    return TopLists(
        peers=top(rows, lambda r: r.peer_ip, _isp_label, n),
        isps=top(rows, lambda r: r.isp_group, isp_label, n),
        as_numbers=top(rows, _as_key, _as_numbers_label, n),
        local_ports=top(rows, _ports, n=n),
        countries=top(rows, lambda r: r.country, n=n),
        regions=top(rows, lambda r: r.region, lambda r: r.country or "", n),
    )


def spread(values: Sequence[int]) -> BytesOutstanding | None:
    if not values:
        return None
    return BytesOutstanding(min=min(values), median=statistics.median(values), max=max(values))


def episodes(rows: Sequence[Row], gap_secs: float) -> list[Episode]:
    """Per peer, consecutive events no more than gap_secs apart form one episode."""
    by_peer: dict[str, list[Row]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.timestamp, r.id)):
        if r.peer_ip is not None:
            by_peer[r.peer_ip].append(r)
    out: list[Episode] = []
    gap = timedelta(seconds=gap_secs)
    for peer_rows in by_peer.values():
        current: list[Row] = []
        for r in peer_rows:
            if current and r.timestamp - current[-1].timestamp > gap:
                out.append(_episode(current))
                current = []
            current.append(r)
        out.append(_episode(current))
    out.sort(key=lambda e: (-(e.end - e.start).total_seconds(), -e.events, e.start, e.peer))
    return out


def _episode(rows: Sequence[Row]) -> Episode:
    outstanding = [b for r in rows if (b := r.bytes_outstanding) is not None]
    first = rows[0]
    spread_ = spread(outstanding) or BytesOutstanding(min=0, median=0, max=0)
    return Episode(
        peer=first.peer_ip or "",
        isp=first.isp_group or "unknown",
        as_number=first.as_number,
        start=first.timestamp,
        end=rows[-1].timestamp,
        events=len(rows),
        connections=len({(r.peer_port, r.local_port) for r in rows}),
        local_ports=sorted({r.local_port for r in rows if r.local_port is not None}),
        bytes_outstanding=spread_,
        probe_events=sum(1 for b in outstanding if b == 1),
    )


def window_shrink_summary(rows: Sequence[Row], gap_secs: float) -> WindowShrinkSummary | None:
    shrinks = [r for r in rows if r.action == WINDOW_SHRINK]
    if not shrinks:
        return None
    outstanding = [b for r in shrinks if (b := r.bytes_outstanding) is not None]
    probes = sum(1 for b in outstanding if b == 1)
    return WindowShrinkSummary(
        events=len(shrinks),
        peers=len({r.peer_ip for r in shrinks if r.peer_ip is not None}),
        episode_gap_secs=gap_secs,
        episodes=episodes(shrinks, gap_secs),
        probe_events=probes,
        in_flight_events=len(outstanding) - probes,
        probe_share=probes / len(outstanding) if outstanding else 0.0,
        bytes_outstanding=spread(outstanding),
    )
