"""ktcp's Kibana set: one data view, the saved searches, the Lens charts and the dashboard.

Field names are checked against pipeline/ecs.py and `event.action` values come from the catalog,
so a rename breaks the build here rather than leaving a search that silently matches nothing.

To give a new peer family (one whose events carry source.ip/port = the peer, destination.port
and ktcp.isp.*) its saved search and its "by ISP" chart on the dashboard, add one `PeerFamily`
to PEER_FAMILIES.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pipeline.catalog import (
    conntrack_table_full,
    memory_pressure,
    orphan_sockets,
    syn_flood,
    timewait_overflow,
    window_shrink,
)
from pipeline.ecs import ZERO_WINDOW_ACTION, all_fields
from pipeline.kibana.format import (
    DateHistogram,
    Filter,
    Obj,
    Panel,
    Ranges,
    Terms,
    dashboard,
    data_view,
    exists,
    is_,
    is_one_of,
    lens_bar,
    saved_search,
)
from pipeline.sinks.elasticsearch.templates import INDEX_PATTERN

DATA_VIEW_ID = "ktcp-events"
DASHBOARD_ID = "ktcp-overview"
TIME_FIELD = "@timestamp"
NEWEST_FIRST = ((TIME_FIELD, "desc"),)
# The canonical names of pipeline/data/isp_names.csv, not AS organisation strings: "China
# Unicom Beijing Province Network" and "CHINA UNICOM China169 Backbone" are both China Unicom.
CHINESE_CARRIERS = (
    ("china-unicom", "China Unicom"),
    ("china-telecom", "China Telecom"),
    ("china-mobile", "China Mobile"),
)


@cache
def _known_fields() -> frozenset[str]:
    return frozenset(spec.name for spec in all_fields())


def field(name: str) -> str:
    """`name`, once pipeline/ecs.py is known to define it."""
    if name not in _known_fields():
        raise KeyError(f"{name} is not a field of pipeline/ecs.py")
    return name


ACTION = field("event.action")
ISP = field("ktcp.isp.name")
HOST = field("host.name")
PEER = field("source.ip")
PEER_PORT = field("source.port")
LOCAL_PORT = field("destination.port")
AS_ORG = field("source.as.organization.name")
VARIANT = field("ktcp.variant")
PEER_COLUMNS = (HOST, PEER, PEER_PORT, ISP, AS_ORG, LOCAL_PORT, VARIANT)


@dataclass(frozen=True)
class PeerFamily:
    """A family whose events name a peer: its saved search and its "by ISP" chart."""

    action: str
    slug: str  # object ids: ktcp-<slug>, ktcp-<slug>-by-isp
    noun: str  # "window shrink"
    description: str  # of its saved search
    own_columns: tuple[str, ...] = ()
    counted: str = "events"  # what its chart counts
    count_filters: tuple[Filter, ...] = ()  # which of its events the chart counts

    @property
    def filters(self) -> tuple[Filter, ...]:
        return (is_(ACTION, self.action),)

    def search(self) -> Obj:
        return saved_search(
            f"ktcp-{self.slug}",
            f"Kernel TCP: {self.noun}",
            self.description,
            DATA_VIEW_ID,
            self.filters,
            (*PEER_COLUMNS, *self.own_columns),
            NEWEST_FIRST,
        )

    def by_isp_chart(self) -> Obj:
        return lens_bar(
            f"ktcp-{self.slug}-by-isp-chart",
            f"Kernel TCP: {self.noun} by ISP (top 10)",
            f"{self.noun.capitalize()} {self.counted} per canonical ISP of the peer ({ISP}).",
            DATA_VIEW_ID,
            (*self.filters, *self.count_filters),
            Terms(ISP, "string", "ISP", size=10),
            horizontal=True,
        )


WINDOW_SHRINK = PeerFamily(
    window_shrink.ACTION,
    "window-shrink",
    "window shrink",
    f"Every window shrink event ({ACTION}: {window_shrink.ACTION}), in every kernel wording.",
    (
        field("ktcp.window.bytes_outstanding"),
        field("ktcp.window.snd_una"),
        field("ktcp.window.snd_nxt"),
    ),
)
ZERO_WINDOW_PEERS = PeerFamily(  # from `ktcp sample`: connections held at zero window
    ZERO_WINDOW_ACTION,
    "zero-window-peers",
    "zero-window peers",
    "Connections `ktcp sample` found held at zero window by their peer: one event when an "
    "episode starts, one when it ends (with its duration).",
    (
        field("ktcp.zero_window.bytes_queued"),
        field("ktcp.zero_window.probes"),
        field("ktcp.zero_window.samples"),
        field("event.duration"),
    ),
    counted="episodes",
    count_filters=(is_(field("event.type"), "start"),),  # an episode has a start and an end
)
PEER_FAMILIES: tuple[PeerFamily, ...] = (WINDOW_SHRINK, ZERO_WINDOW_PEERS)


def _searches() -> list[Obj]:
    ws = WINDOW_SHRINK
    searches = [
        saved_search(
            "ktcp-all-events",
            "Kernel TCP: all events",
            "Every kernel TCP event ktcp indexed, newest first.",
            DATA_VIEW_ID,
            (),
            (HOST, ACTION, PEER, ISP, LOCAL_PORT, field("message")),
            NEWEST_FIRST,
        ),
    ]
    searches += [family.search() for family in PEER_FAMILIES]
    searches += [
        saved_search(
            f"ktcp-{ws.slug}-{slug}",
            f"Kernel TCP: {ws.noun} from {isp}",
            f"{ws.noun.capitalize()} events whose peer belongs to {isp} ({ISP}), whatever its "
            "AS organisation string.",
            DATA_VIEW_ID,
            (*ws.filters, is_(ISP, isp)),
            (*PEER_COLUMNS, *ws.own_columns),
            NEWEST_FIRST,
        )
        for slug, isp in CHINESE_CARRIERS
    ]
    searches += [
        saved_search(
            f"ktcp-{ws.slug}-by-isp",
            f"Kernel TCP: {ws.noun} by ISP",
            f"{ws.noun.capitalize()} events with a known ISP, grouped by ISP, newest first "
            "within each.",
            DATA_VIEW_ID,
            (*ws.filters, exists(ISP)),
            (ISP, *(c for c in PEER_COLUMNS if c != ISP), *ws.own_columns),
            ((ISP, "asc"), *NEWEST_FIRST),
        ),
        saved_search(
            "ktcp-syn-flood",
            "Kernel TCP: SYN flood",
            "Listen queues overflowing: the kernel answered SYNs with cookies or dropped them.",
            DATA_VIEW_ID,
            (is_(ACTION, syn_flood.ACTION),),
            (
                HOST,
                field("destination.ip"),
                LOCAL_PORT,
                field("ktcp.syn_flood.listener"),
                field("ktcp.syn_flood.action"),
                VARIANT,
            ),
            NEWEST_FIRST,
        ),
        saved_search(
            "ktcp-socket-pressure",
            "Kernel TCP: socket memory pressure, orphans and TIME-WAIT overflow",
            "The host running out of TCP memory, orphan sockets or TIME-WAIT buckets.",
            DATA_VIEW_ID,
            (
                is_one_of(
                    ACTION,
                    (memory_pressure.ACTION, orphan_sockets.ACTION, timewait_overflow.ACTION),
                ),
            ),
            (
                HOST,
                ACTION,
                field("ktcp.memory.cause"),
                field("ktcp.orphans.cause"),
                VARIANT,
                field("message"),
            ),
            NEWEST_FIRST,
        ),
        saved_search(
            "ktcp-conntrack-table-full",
            "Kernel TCP: conntrack table full",
            "The connection-tracking table was full: packets of new flows were dropped.",
            DATA_VIEW_ID,
            (is_(ACTION, conntrack_table_full.ACTION),),
            (HOST, VARIANT, field("ktcp.conntrack.netns"), field("message")),
            NEWEST_FIRST,
        ),
    ]
    return searches


def _charts() -> list[Obj]:
    ws = WINDOW_SHRINK
    return [
        lens_bar(
            "ktcp-events-over-time-chart",
            "Kernel TCP: events over time by family",
            f"Events per time interval, stacked by family ({ACTION}).",
            DATA_VIEW_ID,
            (),
            DateHistogram(TIME_FIELD, "Time"),
            breakdown=Terms(ACTION, "string", "Family", size=20),
        ),
        *(family.by_isp_chart() for family in PEER_FAMILIES),
        lens_bar(
            f"ktcp-{ws.slug}-top-peers-chart",
            f"Kernel TCP: top peers by {ws.noun} count",
            f"The 10 peer addresses ({PEER}) with the most {ws.noun} events.",
            DATA_VIEW_ID,
            ws.filters,
            Terms(PEER, "ip", "Peer", size=10),
            horizontal=True,
        ),
        lens_bar(
            "ktcp-local-ports-chart",
            "Kernel TCP: affected local ports",
            f"Events per local port ({LOCAL_PORT}), the 10 busiest.",
            DATA_VIEW_ID,
            (),
            Terms(LOCAL_PORT, "number", "Local port", size=10),
        ),
        lens_bar(
            "ktcp-peer-countries-chart",
            "Kernel TCP: events by peer country",
            "Events per country of the peer (ISO code), the 10 most frequent.",
            DATA_VIEW_ID,
            (),
            Terms(field("source.geo.country_iso_code"), "string", "Peer country", size=10),
        ),
        lens_bar(
            f"ktcp-{ws.slug}-bytes-outstanding-chart",
            f"Kernel TCP: {ws.noun}, bytes outstanding",
            "1 byte outstanding is a zero-window probe (the peer's window is closed); more "
            "means the peer took back window it had already offered.",
            DATA_VIEW_ID,
            ws.filters,
            Ranges(
                field("ktcp.window.bytes_outstanding"),
                "Bytes outstanding",
                ((1, 2, "1 byte (zero-window probe)"), (2, None, "more than 1 byte")),
            ),
        ),
    ]


def _layout(charts: list[Obj], searches: list[Obj]) -> list[Panel]:
    """Charts two to a row, then each saved search full width."""
    panels = [
        Panel("lens", chart["id"], x=24 * (n % 2), y=15 * (n // 2), w=24, h=15)
        for n, chart in enumerate(charts)
    ]
    y = 15 * ((len(charts) + 1) // 2)
    for search in searches:
        panels.append(Panel("search", search["id"], x=0, y=y, w=48, h=15))
        y += 15
    return panels


def saved_objects() -> list[Obj]:
    """The whole set, each object before the ones that refer to it."""
    searches = _searches()
    charts = _charts()
    overview = dashboard(
        DASHBOARD_ID,
        "Kernel TCP: overview",
        "What the kernel said about TCP, by family, ISP, peer, local port and country; the "
        "saved searches below list the events.",
        _layout(charts, searches),
    )
    view = data_view(DATA_VIEW_ID, INDEX_PATTERN, "Kernel TCP events (ktcp)", TIME_FIELD)
    return [view, *searches, *charts, overview]
