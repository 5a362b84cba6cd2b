"""Hypothesis strategies: every catalog format string rendered with random valid values.

Each strategy draws a `Case`: a kernel message exactly as the kernel's format string prints it
(addresses in %pI4, %pI6 full zero-padded, %pI6c compressed in brackets, v4-mapped forms) and
the flattened ECS fields it must produce, restricted to the keys `expect.checked()` selects. Reuse
`FORMATS` / `cases()` to wrap the messages in envelopes; the expectations do not depend on the
envelope (uptime, time, severity and host are not among the checked keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from hypothesis import strategies as st

from pipeline.catalog.kernel_bug import TCP_STATES

Case = tuple[str, dict[str, Any]]  # (kernel message, expected flattened ECS fields)
U32_MAX = 2**32 - 1

# -- addresses as the kernel prints them ----------------------------------------------------------


@dataclass(frozen=True)
class Addr:
    text: str  # as printed
    ip: str  # as the ECS document must show it (v4-mapped -> IPv4)
    net_type: str


def _expected(address: IPv4Address | IPv6Address) -> tuple[str, str]:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped), "ipv4"
    return str(address), "ipv4" if isinstance(address, IPv4Address) else "ipv6"


def pi6c(address: IPv6Address) -> str:
    """The kernel's %pI6c (lib/vsprintf.c ip6_compressed_string): RFC 5952, dotted tail for
    v4-mapped and ISATAP addresses, a single zero group never compressed."""
    words = [int.from_bytes(address.packed[i : i + 2], "big") for i in range(0, 16, 2)]
    use_ipv4 = address.ipv4_mapped is not None or (
        (words[4] | 0x0200) == 0x0200 and words[5] == 0x5EFE
    )
    span = 6 if use_ipv4 else 8
    longest, colonpos = 1, -1
    for i in range(span):
        run = 0
        while i + run < span and words[i + run] == 0:
            run += 1
        if run > longest:
            longest, colonpos = run, i
    out = ""
    needcolon = False
    i = 0
    while i < span:
        if i == colonpos:
            out += "::" if (needcolon or i == 0) else ":"
            needcolon = False
            i += longest
            continue
        if needcolon:
            out += ":"
        out += f"{words[i]:x}"
        needcolon = True
        i += 1
    if use_ipv4:
        if needcolon:
            out += ":"
        out += ".".join(str(b) for b in address.packed[12:])
    return out


def _v6_source() -> st.SearchStrategy[IPv6Address]:
    mapped = st.ip_addresses(v=4).map(lambda a: IPv6Address(f"::ffff:{a}"))
    isatap = st.ip_addresses(v=4).map(lambda a: IPv6Address(f"fe80::200:5efe:{a}"))
    return st.one_of(st.ip_addresses(v=6), mapped, isatap, st.just(IPv6Address("::")))


def ipv4() -> st.SearchStrategy[Addr]:
    """%pI4 / NIPQUAD."""
    return st.ip_addresses(v=4).map(lambda a: Addr(str(a), *_expected(a)))


def ipv6_full() -> st.SearchStrategy[Addr]:
    """%pI6 / NIP6_FMT: eight zero-padded groups, v4-mapped in hex."""
    return _v6_source().map(lambda a: Addr(a.exploded, *_expected(a)))


def ipv6_compressed() -> st.SearchStrategy[Addr]:
    """%pI6c, without the brackets the format strings put around it."""
    return _v6_source().map(lambda a: Addr(pi6c(a), *_expected(a)))


ports = st.integers(0, 65535)
u32 = st.one_of(st.integers(0, U32_MAX), st.integers(U32_MAX - 64, U32_MAX), st.just(0))
counts = st.integers(0, 2**31 - 1)
dyndbg = st.sampled_from(
    [
        "",
        "tcp_timer:tcp_retransmit_timer: ",
        "tcp_input:tcp_conn_request:7040: ",
        "[4242] tcp_timer:tcp_retransmit_timer:net/ipv4/tcp_timer.c:512: ",
        "<intr> ",
        "[17] ",
    ]
)


def peer(addr: Addr | None, port: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if addr is not None:
        out["source.ip"] = addr.ip
    if port is not None:
        out["source.port"] = port
    return out


def local(addr: Addr | None, port: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if addr is not None:
        out["destination.ip"] = addr.ip
    if port is not None:
        out["destination.port"] = port
    return out


def base(action: str, variant: str, transport: str | None = "tcp", **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"event.action": action, "ktcp.variant": variant}
    # docs/CONTRACT.md: network.transport always present; tcp unless the line names another
    out["network.transport"] = transport if transport is not None else "tcp"
    out.update(more)
    return out


def net_type(*addrs: Addr | None) -> dict[str, Any]:
    first = next((a for a in addrs if a is not None), None)
    return {} if first is None else {"network.type": first.net_type}


# -- the formats ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    action: str
    variant: str
    kernel_format: str  # the format string as the kernel source has it (for the reader)
    cases: st.SearchStrategy[Case]


FORMATS: list[Format] = []
Draw = Callable[[st.SearchStrategy[Any]], Any]


def fmt(action: str, variant: str, kernel_format: str) -> Callable[[Callable[[Draw], Case]], None]:
    """Register a composite strategy drawing one Case of this format string."""

    def register(fn: Callable[[Draw], Case]) -> None:
        FORMATS.append(Format(action, variant, kernel_format, st.composite(fn)()))

    return register


def cases() -> st.SearchStrategy[Case]:
    """Any wording of any family."""
    return st.one_of([f.cases for f in FORMATS])


# tcp-window-shrink ---------------------------------------------------------------------------

WS = "tcp-window-shrink"


def _window(una: int, nxt: int, **more: Any) -> dict[str, Any]:
    out = {
        "ktcp.window.snd_una": una,
        "ktcp.window.snd_nxt": nxt,
        "ktcp.window.bytes_outstanding": (nxt - una) % 2**32,
    }
    out.update({f"ktcp.window.{k}": v for k, v in more.items()})
    return out


def _shrink_peer(variant: str, addr: Addr, pport: int, lport: int) -> dict[str, Any]:
    if addr.text == "127.0.0.6" and variant in ("treason-uncloaked", "bad-what-else"):
        return {
            "source.port": pport,
            "destination.port": lport,
            "ktcp.window.ipv6_peer_hidden": True,
        }
    return {**peer(addr, pport), **local(None, lport), **net_type(addr)}


@fmt(
    WS,
    "treason-uncloaked",
    "TCP: Treason uncloaked! Peer %u.%u.%u.%u:%u/%u shrinks window %u:%u. Repaired.",
)
def _treason(draw: Draw) -> Case:
    a = draw(st.one_of(ipv4(), ipv6_full(), st.just(Addr("127.0.0.6", "127.0.0.6", "ipv4"))))
    pp, lp, una, nxt = draw(ports), draw(ports), draw(u32), draw(u32)
    msg = f"TCP: Treason uncloaked! Peer {a.text}:{pp}/{lp} shrinks window {una}:{nxt}. Repaired."
    return msg, {
        **base(WS, "treason-uncloaked"),
        **_shrink_peer("treason-uncloaked", a, pp, lp),
        **_window(una, nxt),
    }


@fmt(
    WS,
    "bad-what-else",
    "TCP: peer %u.%u.%u.%u:%u/%u shrinks window %u:%u:%u. Bad, what else can I say?",
)
def _bad(draw: Draw) -> Case:
    a = draw(ipv4())
    pp, lp, una, wnd, nxt = draw(ports), draw(ports), draw(u32), draw(u32), draw(u32)
    msg = (
        f"TCP: peer {a.text}:{pp}/{lp} shrinks window {una}:{wnd}:{nxt}. Bad, what else can I say?"
    )
    return msg, {
        **base(WS, "bad-what-else"),
        **_shrink_peer("bad-what-else", a, pp, lp),
        **_window(una, nxt, snd_wnd=wnd),
    }


@fmt(
    WS, "unexpectedly-shrunk", "[TCP: ]Peer %pI4:%u/%u unexpectedly shrunk window %u:%u (repaired)"
)
def _shrunk(draw: Draw) -> Case:
    a = draw(st.one_of(ipv4(), ipv6_full()))
    prefix = draw(st.sampled_from(["TCP: ", ""]))
    lead = draw(dyndbg) if prefix == "" else ""  # 3.19+ net_dbg_ratelimited has no TCP: prefix
    pp, lp, una, nxt = draw(ports), draw(ports), draw(u32), draw(u32)
    msg = f"{lead}{prefix}Peer {a.text}:{pp}/{lp} unexpectedly shrunk window {una}:{nxt} (repaired)"
    return msg, {
        **base(WS, "unexpectedly-shrunk"),
        **_shrink_peer("", a, pp, lp),
        **_window(una, nxt),
    }


@fmt(
    WS,
    "probing-zero-window",
    "Probing zero-window on %pI4:%u/%u, seq=%u:%u, recv %ums ago, lasting %ums",
)
def _probing(draw: Draw) -> Case:
    a = draw(st.one_of(ipv4(), ipv6_full()))
    pp, lp, una, nxt, recv, last = (draw(x) for x in (ports, ports, u32, u32, u32, u32))
    msg = (
        f"{draw(dyndbg)}Probing zero-window on {a.text}:{pp}/{lp}, seq={una}:{nxt}, "
        f"recv {recv}ms ago, lasting {last}ms"
    )
    return msg, {
        **base(WS, "probing-zero-window"),
        **_shrink_peer("", a, pp, lp),
        **_window(una, nxt, recv_ago_ms=recv, lasting_ms=last),
    }


# tcp-syn-flood -------------------------------------------------------------------------------

SF = "tcp-syn-flood"
RESPONSE = st.sampled_from([("Sending cookies", "cookies"), ("Dropping request", "drop")])
SLABS = st.sampled_from(
    ["request_sock_TCP", "request_sock_TCPv6", "request_sock_subflow_v4", "request_sock_subflow_v6"]
)


def _syn(variant: str, response: str, listener: str | None = None, **more: Any) -> dict[str, Any]:
    out = base(SF, variant, **more)
    out["ktcp.syn_flood.action"] = response
    if listener is not None:
        out["ktcp.syn_flood.listener"] = listener
    return out


@fmt(SF, "possible-lowercase", "possible SYN flooding on port %d. Sending cookies.")
def _lower(draw: Draw) -> Case:
    p = draw(ports)
    return f"possible SYN flooding on port {p}. Sending cookies.", _syn(
        "possible-lowercase", "cookies", **local(None, p)
    )


FORMATS.append(
    Format(
        SF,
        "tcpv6-dropping",
        "TCPv6: dropping request, synflood is possible",
        st.just(
            (
                "TCPv6: dropping request, synflood is possible",
                _syn("tcpv6-dropping", "drop", "TCPv6"),
            )
        ),
    )
)


@fmt(SF, "proto-possible", "TCP: Possible SYN flooding on port %d. %s.")
def _proto(draw: Draw) -> Case:
    p, (text, response) = draw(ports), draw(RESPONSE)
    proto = draw(st.sampled_from(["TCP", "TCPv6"]))
    msg = f"{proto}: Possible SYN flooding on port {p}. {text}."
    return msg, _syn("proto-possible", response, proto, **local(None, p))


@fmt(SF, "check-snmp", "%s: Possible SYN flooding on port %d. %s.  Check SNMP counters.")
def _check(draw: Draw) -> Case:
    p, (text, response) = draw(ports), draw(RESPONSE)
    proto = draw(st.sampled_from(["TCP", "TCPv6"]))
    prefix = draw(st.sampled_from(["", "TCP: "]))  # 3.4+ adds the pr_fmt prefix
    msg = f"{prefix}{proto}: Possible SYN flooding on port {p}. {text}.  Check SNMP counters."
    return msg, _syn("check-snmp", response, proto, **local(None, p))


@fmt(SF, "request-sock", "%s: Possible SYN flooding on port %d. %s.  Check SNMP counters.")
def _reqsock(draw: Draw) -> Case:
    p, (text, response), slab = draw(ports), draw(RESPONSE), draw(SLABS)
    msg = f"TCP: {slab}: Possible SYN flooding on port {p}. {text}.  Check SNMP counters."
    return msg, _syn("request-sock", response, slab, **local(None, p))


@fmt(SF, "with-address", "%s: Possible SYN flooding on port %pI4:%u. %s. / [%pI6c]:%u")
def _withaddr(draw: Draw) -> Case:
    p, (text, response), slab = draw(ports), draw(RESPONSE), draw(SLABS)
    a = draw(
        st.one_of(ipv4(), ipv6_compressed().map(lambda x: Addr(f"[{x.text}]", x.ip, x.net_type)))
    )
    msg = f"TCP: {slab}: Possible SYN flooding on port {a.text}:{p}. {text}."
    return msg, _syn("with-address", response, slab, **local(a, p), **net_type(a))


# tcp-orphan-sockets, tcp-memory-pressure, tcp-timewait-overflow --------------------------------


def _fixed(action: str, variant: str, message: str, **expected: Any) -> None:
    """A wording without values: one message, one expectation."""
    transport = expected.pop("transport", "tcp")
    case = (message, base(action, variant, transport, **expected))
    FORMATS.append(Format(action, variant, message, st.just(case)))


_fixed(
    "tcp-orphan-sockets",
    "too-many-of-orphaned",
    "TCP: too many of orphaned sockets",
    **{"ktcp.orphans.cause": "orphans-or-memory"},
)
_fixed(
    "tcp-orphan-sockets",
    "too-many-orphaned",
    "TCP: too many orphaned sockets",
    **{"ktcp.orphans.cause": "orphans"},
)
_fixed(
    "tcp-memory-pressure",
    "out-of-socket-memory",
    "Out of socket memory",
    **{"ktcp.memory.cause": "orphans-or-memory"},
)
_fixed(
    "tcp-memory-pressure",
    "out-of-memory-tcp-mem",
    "TCP: out of memory -- consider tuning tcp_mem",
    **{"ktcp.memory.cause": "memory"},
)
_fixed("tcp-timewait-overflow", "tw-bucket-overflow", "TCP: time wait bucket table overflow")
_fixed(
    "tcp-timewait-overflow",
    "dccp-tw-overflow",
    "dccp_time_wait: time wait bucket table overflow",
    transport="dccp",
)
_fixed("tcp-kernel-bug", "keepalive-on-listen", "Hmm... keepalive on a LISTEN ???")
_fixed(
    "conntrack-table-full",
    "ip-conntrack",
    "ip_conntrack: table full, dropping packet.",
    transport=None,
)
_fixed(
    "conntrack-table-full",
    "nf-conntrack-dot",
    "nf_conntrack: table full, dropping packet.",
    transport=None,
)
_fixed(
    "conntrack-table-full",
    "nf-conntrack",
    "nf_conntrack: table full, dropping packet",
    transport=None,
)
_fixed(
    "conntrack-table-full",
    "nf-conntrack",
    "nf_conntrack: nf_conntrack: table full, dropping packet",
    transport=None,
)


@fmt(
    "conntrack-table-full",
    "netns-proposal",
    "nf_conntrack: table full in netns %u, dropping packet",
)
def _netns(draw: Draw) -> Case:
    n = draw(u32)
    msg = f"nf_conntrack: nf_conntrack: table full in netns {n}, dropping packet"
    return msg, base("conntrack-table-full", "netns-proposal", None, **{"ktcp.conntrack.netns": n})


# tcp-drop-open-request ------------------------------------------------------------------------


@fmt(
    "tcp-drop-open-request",
    "pi4",
    "TCP: drop open request from %pI4/%u (also NIPQUAD, pr_drop_req)",
)
def _drop4(draw: Draw) -> Case:
    a, p = draw(ipv4()), draw(ports)
    msg = f"{draw(dyndbg)}TCP: drop open request from {a.text}/{p}"
    return msg, {**base("tcp-drop-open-request", "pi4"), **peer(a, p), **net_type(a)}


@fmt("tcp-drop-open-request", "pi6", "TCP: drop open request from %pI6/%u")
def _drop6(draw: Draw) -> Case:
    a, p = draw(ipv6_full()), draw(ports)
    msg = f"{draw(dyndbg)}TCP: drop open request from {a.text}/{p}"
    return msg, {**base("tcp-drop-open-request", "pi6"), **peer(a, p), **net_type(a)}


# tcp-window-scale-invalid ---------------------------------------------------------------------

WSI = "tcp-window-scale-invalid"
scales = st.integers(15, 255)


def _scale(variant: str, value: int, limit: int = 14) -> dict[str, Any]:
    return base(
        WSI, variant, **{"ktcp.window_scale.value": value, "ktcp.window_scale.limit": limit}
    )


@fmt(WSI, "gt14-dot", "tcp_parse_options: Illegal window scaling value %d >14 received.")
def _gt14dot(draw: Draw) -> Case:
    v = draw(scales)
    return f"tcp_parse_options: Illegal window scaling value {v} >14 received.", _scale(
        "gt14-dot", v
    )


@fmt(WSI, "gt14", "%s: Illegal window scaling value %d >14 received")
def _gt14(draw: Draw) -> Case:
    v = draw(scales)
    return f"TCP: tcp_parse_options: Illegal window scaling value {v} >14 received", _scale(
        "gt14", v
    )


@fmt(WSI, "gt-max", "%s: Illegal window scaling value %d > %u received")
def _gtmax(draw: Draw) -> Case:
    v = draw(scales)
    return f"TCP: tcp_parse_options: Illegal window scaling value {v} > 14 received", _scale(
        "gt-max", v
    )


# tcp-md5 --------------------------------------------------------------------------------------

MD5 = "tcp-md5"
l3s = st.integers(0, 2**31 - 1)


def _md5(
    variant: str, reason: str, src: Addr, sport: int, dst: Addr, dport: int, **more: Any
) -> dict[str, Any]:
    out = {
        **base(MD5, variant),
        **peer(src, sport),
        **local(dst, dport),
        **net_type(src),
        "ktcp.md5.reason": reason,
    }
    out.update({f"ktcp.md5.{k}": v for k, v in more.items()})
    return out


LEGACY = st.sampled_from(
    [("expected but NOT found", "md5-not-found"), ("NOT expected but found", "md5-unexpected")]
)


@fmt(MD5, "md5-v4-legacy", "MD5 Hash expected but NOT found (NIPQUAD, %d)->(NIPQUAD, %d)")
def _md5v4legacy(draw: Draw) -> Case:
    s, d, sp, dp, (text, reason) = (
        draw(ipv4()),
        draw(ipv4()),
        draw(ports),
        draw(ports),
        draw(LEGACY),
    )
    msg = f"MD5 Hash {text} ({s.text}, {sp})->({d.text}, {dp})"
    return msg, _md5("md5-v4-legacy", reason, s, sp, d, dp)


@fmt(MD5, "md5-v6-legacy", "MD5 Hash NOT expected but found (NIP6_FMT, %u)->(NIP6_FMT, %u)")
def _md5v6legacy(draw: Draw) -> Case:
    s, d, sp, dp = draw(ipv6_full()), draw(ipv6_full()), draw(ports), draw(ports)
    text, reason = draw(
        st.one_of(
            LEGACY,
            st.sampled_from([("failed for", "md5-failed"), ("mismatch for", "md5-mismatch")]),
        )
    )
    msg = f"MD5 Hash {text} ({s.text}, {sp})->({d.text}, {dp})"
    return msg, _md5("md5-v6-legacy", reason, s, sp, d, dp)


@fmt(MD5, "md5-failed-v4", "MD5 Hash failed for (%pI4, %d)->(%pI4, %d)%s")
def _md5failed(draw: Draw) -> Case:
    s, d, sp, dp = draw(ipv4()), draw(ipv4()), draw(ports), draw(ports)
    calc = draw(st.booleans())
    prefix = draw(st.sampled_from(["", "TCP: "]))
    msg = f"{prefix}MD5 Hash failed for ({s.text}, {sp})->({d.text}, {dp})" + (
        " tcp_v4_calc_md5_hash failed" if calc else ""
    )
    more = {"hash_calc_failed": True} if calc else {}
    return msg, _md5("md5-failed-v4", "md5-failed", s, sp, d, dp, **more)


@fmt(MD5, "md5-failed-v4-l3", "MD5 Hash failed for (%pI4, %d)->(%pI4, %d)%s L3 index %d")
def _md5failedl3(draw: Draw) -> Case:
    s, d, sp, dp, l3 = draw(ipv4()), draw(ipv4()), draw(ports), draw(ports), draw(l3s)
    calc = draw(st.booleans())
    msg = (
        f"TCP: MD5 Hash failed for ({s.text}, {sp})->({d.text}, {dp})"
        + (" tcp_v4_calc_md5_hash failed" if calc else "")
        + f" L3 index {l3}"
    )
    more: dict[str, Any] = {"l3_index": l3}
    if calc:
        more["hash_calc_failed"] = True
    return msg, _md5("md5-failed-v4-l3", "md5-failed", s, sp, d, dp, **more)


@fmt(MD5, "md5-v6", "MD5 Hash %s for [%pI6c]:%u->[%pI6c]:%u L3 index %d")
def _md5v6(draw: Draw) -> Case:
    s, d, sp, dp = draw(ipv6_compressed()), draw(ipv6_compressed()), draw(ports), draw(ports)
    word = draw(st.sampled_from(["failed", "mismatch"]))
    l3 = draw(st.none() | l3s)
    prefix = draw(st.sampled_from(["", "TCP: "]))
    msg = f"{prefix}MD5 Hash {word} for [{s.text}]:{sp}->[{d.text}]:{dp}" + (
        "" if l3 is None else f" L3 index {l3}"
    )
    more = {} if l3 is None else {"l3_index": l3}
    return msg, _md5("md5-v6", f"md5-{word}", s, sp, d, dp, **more)


# tcp_hash_fail(): (reason text, reason id, suffix format: l3 / keyid / calc / other text)
HASH_FAIL_REASONS = [
    ("MD5 Hash failed", "md5-failed", "calc-l3"),
    ("MD5 Hash mismatch", "md5-mismatch", "l3"),
    ("MD5 Hash not found", "md5-not-found", "l3"),
    ("Unexpected MD5 Hash found", "md5-unexpected", ""),
    ("AO hash is required, but not found", "ao-required", "l3"),
    ("AO hash wrong length", "ao-wrong-length", "length"),
    ("AO hash mismatch", "ao-mismatch", "l3index"),
    ("AO key not found", "ao-key-not-found", "keyid"),
    ("Requested by the peer AO key id not found", "ao-peer-key-not-found", "l3index"),
    ("TCP segment has incorrect auth options set", "bad-auth-options", ""),
    ("TCP connection can't start/end using TCP-AO", "ao-handshake", "handshake"),
]
flag_sets = st.tuples(*(st.booleans() for _ in "FSRP.")).map(
    lambda bits: "".join(c for c, on in zip("FSRP.", bits, strict=True) if on)
)


@st.composite
def _hash_fail_suffix(draw: Draw, kind: str, ipv6: bool) -> tuple[str, dict[str, Any]]:
    l3 = draw(l3s)
    if kind == "calc-l3":
        if ipv6:
            return f"L3 index {l3}", {"l3_index": l3}
        calc = draw(st.booleans())
        text = "tcp_v4_calc_md5_hash failed" if calc else ""
        more: dict[str, Any] = {"l3_index": l3}
        if calc:
            more["hash_calc_failed"] = True
        return f"{text} L3 index {l3}", more
    if kind == "l3":
        return f"L3 index {l3}", {"l3_index": l3}
    if kind == "l3index":
        return f"L3index: {l3}", {"l3_index": l3}
    if kind == "length":
        return f"{draw(st.integers(0, 40))} != {draw(st.integers(0, 40))} L3index: {l3}", {
            "l3_index": l3
        }
    if kind == "keyid":
        key = draw(st.integers(0, 255))
        return f"keyid: {key} L3index: {l3}", {"l3_index": l3, "key_id": key}
    if kind == "handshake":
        return draw(st.sampled_from(["missing AO", "AO signed"])), {}
    return "", {}


@fmt(
    MD5, "hash-fail", "%s for %pI4.%d->%pI4.%d [%s] <fmt> / %s for [%pI6c].%d->[%pI6c].%d [%s]<fmt>"
)
def _hashfail(draw: Draw) -> Case:
    text, reason, kind = draw(st.sampled_from(HASH_FAIL_REASONS))
    ipv6 = draw(st.booleans())
    addrs = (
        ipv6_compressed().map(lambda x: Addr(f"[{x.text}]", x.ip, x.net_type)) if ipv6 else ipv4()
    )
    s, d, sp, dp, flags = draw(addrs), draw(addrs), draw(ports), draw(ports), draw(flag_sets)
    suffix, more = draw(_hash_fail_suffix(kind, ipv6))
    gap = "" if ipv6 else " "  # the IPv6 macro has no space after `[%s]`
    msg = f"TCP: {text} for {s.text}.{sp}->{d.text}.{dp} [{flags}]{gap}{suffix}"
    if flags:
        more["flags"] = flags
    return msg, _md5("hash-fail", reason, s, sp, d, dp, **more)


# tcp-gro-suspect, tcp-hw-csum -----------------------------------------------------------------

devices = st.from_regex(r"[a-z][a-z0-9_.-]{0,14}", fullmatch=True)


@fmt(
    "tcp-gro-suspect",
    "suspect-gro",
    "%s: Driver has suspect GRO implementation, TCP performance may be compromised.",
)
def _gro(draw: Draw) -> Case:
    dev = draw(st.one_of(devices, st.just("Unknown driver")))
    msg = f"TCP: {dev}: Driver has suspect GRO implementation, TCP performance may be compromised."
    more = {} if dev == "Unknown driver" else {"ktcp.gro.device": dev}
    return msg, base("tcp-gro-suspect", "suspect-gro", **more)


@fmt("tcp-hw-csum", "hw-csum-failed", "hw tcp v4 csum failed / hw tcp v6 csum failed")
def _csum(draw: Draw) -> Case:
    v = draw(st.sampled_from([4, 6]))
    return f"hw tcp v{v} csum failed", base(
        "tcp-hw-csum", "hw-csum-failed", **{"ktcp.hw_csum.ip_version": v}
    )


# tcp-kernel-bug -------------------------------------------------------------------------------

KB = "tcp-kernel-bug"


@fmt(KB, "fin-impossible", "%s: Impossible, sk->sk_state=%d")
def _fin(draw: Draw) -> Case:
    state = draw(st.integers(0, 255))
    more: dict[str, Any] = {"ktcp.kernel_bug.function": "tcp_fin", "ktcp.kernel_bug.state": state}
    if state in TCP_STATES:
        more["ktcp.kernel_bug.state_name"] = TCP_STATES[state]
    return f"TCP: tcp_fin: Impossible, sk->sk_state={state}", base(KB, "fin-impossible", **more)


@fmt(KB, "recvmsg-seq-bug", "TCP recvmsg seq # bug: copied %X, seq %X, rcvnxt %X, fl %X")
def _recvmsg(draw: Draw) -> Case:
    c, s, r, f = draw(u32), draw(u32), draw(u32), draw(u32)
    second = draw(st.booleans())
    head = "TCP recvmsg seq # bug 2" if second else "TCP recvmsg seq # bug"
    msg = f"{head}: copied {c:X}, seq {s:X}, rcvnxt {r:X}, fl {f:X}"
    return msg, base(
        KB,
        "recvmsg-seq-bug",
        **{
            "ktcp.kernel_bug.copied_seq": c,
            "ktcp.kernel_bug.seq": s,
            "ktcp.kernel_bug.rcv_nxt": r,
            "ktcp.kernel_bug.flags": f,
            "ktcp.kernel_bug.check": 2 if second else 1,
        },
    )


@fmt(KB, "found-a-syn", "%s: found a SYN, please report !")
def _syn_found(draw: Draw) -> Case:
    fn = draw(st.sampled_from(["tcp_recvmsg", "tcp_recv_skb", "tcp_read_sock"]))
    return f"TCP: {fn}: found a SYN, please report !", base(
        KB, "found-a-syn", **{"ktcp.kernel_bug.function": fn}
    )


@fmt(KB, "debug-undo", "Undo %s %u.%u.%u.%u/%u c%u l%u ss%u/%u p%u / Disorder%d %d %u f%u s%u rr%d")
def _undo(draw: Draw) -> Case:
    if draw(st.booleans()):
        r = draw(u32)
        sack, state, rr = draw(st.integers(0, 1)), draw(st.integers(0, 4)), draw(st.integers(-5, 5))
        msg = f"Disorder{sack} {state} {r} f{draw(u32)} s{draw(u32)} rr{rr}"
        return msg, base(KB, "debug-undo", **{"ktcp.kernel_bug.reordering": r})
    a, p = draw(st.one_of(ipv4(), ipv6_full())), draw(ports)
    what = draw(st.sampled_from(["Hoe", "partial", "full", "D-SACK", "loss", "[Hoe]"]))
    nums = [draw(u32) for _ in range(5)]
    msg = f"Undo {what} {a.text}/{p} c{nums[0]} l{nums[1]} ss{nums[2]}/{nums[3]} p{nums[4]}"
    return msg, {
        **base(KB, "debug-undo", **{"ktcp.kernel_bug.undo": what}),
        **peer(a, p),
        **net_type(a),
    }


# tcp-boot-info --------------------------------------------------------------------------------

BOOT = "tcp-boot-info"
algorithms = st.sampled_from(
    ["cubic", "reno", "bic", "htcp", "westwood", "bbr", "dctcp", "lp", "yeah"]
)


@fmt(BOOT, "hash-tables", "TCP: Hash tables configured (established %u bind %u)")
def _hashtables(draw: Draw) -> Case:
    e, b = draw(u32), draw(u32)
    return f"TCP: Hash tables configured (established {e} bind {b})", base(
        BOOT, "hash-tables", **{"ktcp.boot.established": e, "ktcp.boot.bind": b}
    )


@fmt(BOOT, "hash-entries", "%s hash table entries: %lu (order: %d, %lu bytes[, linear|vmalloc])")
def _hashentries(draw: Draw) -> Case:
    table = draw(
        st.sampled_from(
            ["TCP established", "TCP bind", "TCP bind bhash2", "tcp_listen_portaddr_hash"]
        )
    )
    n, order, size = (
        draw(st.integers(0, 2**63 - 1)),
        draw(st.integers(0, 20)),
        draw(st.integers(0, 2**63 - 1)),
    )
    alloc = draw(st.sampled_from([None, "linear", "vmalloc", "vmalloc hugepage"]))
    msg = f"{table} hash table entries: {n} (order: {order}, {size} bytes" + (
        f", {alloc})" if alloc else ")"
    )
    more = {
        "ktcp.boot.table": table,
        "ktcp.boot.entries": n,
        "ktcp.boot.order": order,
        "ktcp.boot.size_bytes": size,
    }
    if alloc:
        more["ktcp.boot.allocation"] = alloc
    return msg, base(BOOT, "hash-entries", **more)


@fmt(BOOT, "cc-registered", "TCP %s registered / %s registered (pr_fmt TCP: )")
def _cc(draw: Draw) -> Case:
    alg, sep = draw(algorithms), draw(st.sampled_from(["TCP ", "TCP: "]))
    return f"{sep}{alg} registered", base(BOOT, "cc-registered", **{"ktcp.boot.algorithm": alg})


@fmt(BOOT, "cc-already-registered", "TCP %s already registered")
def _cc_again(draw: Draw) -> Case:
    alg, sep = draw(algorithms), draw(st.sampled_from(["TCP ", "TCP: "]))
    return f"{sep}{alg} already registered", base(
        BOOT, "cc-already-registered", **{"ktcp.boot.algorithm": alg}
    )


@fmt(BOOT, "cc-missing-ops", "TCP %s does not implement required ops")
def _cc_ops(draw: Draw) -> Case:
    alg, sep = draw(algorithms), draw(st.sampled_from(["TCP ", "TCP: "]))
    return f"{sep}{alg} does not implement required ops", base(
        BOOT, "cc-missing-ops", **{"ktcp.boot.algorithm": alg}
    )


# conntrack-invalid ----------------------------------------------------------------------------

CI = "conntrack-invalid"
CT_REASONS = st.sampled_from(
    [
        "invalid packet ignored in state CLOSE",
        "SEQ is under the lower bound (already ACKed data retransmitted)",
        "ACK is over the upper bound (ACKed data not seen yet)",
        "bad checksum",
        "invalid tcp flag combination",
    ]
)
CT_PROTOS = st.sampled_from(
    [("TCP", 6, "tcp"), ("UDP", 17, "udp"), ("SCTP", 132, "sctp"), ("UDPLITE", 136, "udplite")]
)
interfaces = st.one_of(st.just(""), devices)


@st.composite
def _dump(draw: Draw, proto_name: str) -> tuple[str, dict[str, Any]]:
    """An nf_log packet dump (IPv4 or IPv6 form) and what it must give."""
    s = draw(st.one_of(ipv4(), ipv6_full()))
    ipv6 = ":" in s.text
    d = draw(ipv6_full() if ipv6 else ipv4())
    sp, dp, inn, out = draw(ports), draw(ports), draw(interfaces), draw(interfaces)
    mac = "MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 " if inn else ""
    middle = (
        "LEN=60 TC=0 HOPLIMIT=64 FLOWLBL=0" if ipv6 else "LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF"
    )
    text = (
        f"IN={inn} OUT={out} {mac}SRC={s.text} DST={d.text} {middle} PROTO={proto_name} "
        f"SPT={sp} DPT={dp} SEQ=1 ACK=0 WINDOW=0 RES=0x00 ACK RST URGP=0 "
    )
    fields: dict[str, Any] = {**peer(s, sp), **local(d, dp), **net_type(s)}
    if inn:
        fields["ktcp.conntrack.in_interface"] = inn
    if out:
        fields["ktcp.conntrack.out_interface"] = out
    return text, fields


@fmt(CI, "ct-invalid", "nf_ct_proto_%d: %pV + nf_log dump")
def _ctinvalid(draw: Draw) -> Case:
    name, number, transport = draw(CT_PROTOS)
    reason = draw(CT_REASONS)
    msg = f"nf_ct_proto_{number}: {reason} "
    fields = base(
        CI,
        "ct-invalid",
        transport,
        **{"ktcp.conntrack.reason": reason, "ktcp.conntrack.protocol": number},
    )
    if draw(st.booleans()):
        dump, more = draw(_dump(name))
        msg += dump
        fields.update(more)
    return msg.rstrip() if draw(st.booleans()) else msg, fields


@fmt(CI, "ct-invalid-old", "nf_ct_tcp: <reason> + nf_log dump")
def _ctinvalid_old(draw: Draw) -> Case:
    name, _, transport = draw(CT_PROTOS)
    reason = draw(CT_REASONS)
    dump, more = draw(_dump(name))
    msg = f"nf_ct_{transport}: {reason} {dump}"
    return msg, {
        **base(CI, "ct-invalid-old", transport, **{"ktcp.conntrack.reason": reason}),
        **more,
    }


# socket-api-notice, kernel-ratelimit-suppressed -------------------------------------------------

comms = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=15)
pids = st.integers(1, 4 * 1024 * 1024)


@fmt("socket-api-notice", "negative-timeout", "%s: `%s' (pid %d) tries to set negative timeout")
def _negtimeout(draw: Draw) -> Case:
    comm, pid = draw(comms), draw(pids)
    prefix = draw(st.sampled_from(["sock_set_timeout: ", "sock: sock_set_timeout: "]))
    msg = f"{prefix}`{comm}' (pid {pid}) tries to set negative timeout"
    return msg, base(
        "socket-api-notice",
        "negative-timeout",
        None,
        **{"ktcp.socket.comm": comm, "ktcp.socket.pid": pid},
    )


@fmt("socket-api-notice", "so-bsdcompat", "process `%s' is using obsolete %s SO_BSDCOMPAT")
def _bsdcompat(draw: Draw) -> Case:
    comm, call = draw(comms), draw(st.sampled_from(["setsockopt", "getsockopt"]))
    msg = f"process `{comm}' is using obsolete {call} SO_BSDCOMPAT"
    return msg, base(
        "socket-api-notice",
        "so-bsdcompat",
        None,
        **{"ktcp.socket.comm": comm, "ktcp.socket.call": call},
    )


RS = "kernel-ratelimit-suppressed"
functions = st.one_of(
    st.sampled_from(["net_ratelimit", "tcp_v4_rcv", "nf_conntrack_in", "inet_csk_bind_conflict"]),
    st.from_regex(r"tcp_[a-z0-9_]{0,30}", fullmatch=True),
)


@fmt(RS, "callbacks-suppressed", "%s: %d callbacks suppressed")
def _callbacks(draw: Draw) -> Case:
    fn, n = draw(functions), draw(counts)
    return f"{fn}: {n} callbacks suppressed", base(
        RS,
        "callbacks-suppressed",
        None,
        **{"ktcp.suppressed.count": n, "ktcp.suppressed.function": fn},
    )


@fmt(RS, "messages-suppressed", "printk: %d messages suppressed.")
def _printk(draw: Draw) -> Case:
    n = draw(counts)
    return f"printk: {n} messages suppressed.", base(
        RS, "messages-suppressed", None, **{"ktcp.suppressed.count": n}
    )


@fmt(RS, "net-messages-suppressed", "NET: %d messages suppressed.")
def _net_summary(draw: Draw) -> Case:
    n = draw(counts)
    return f"NET: {n} messages suppressed.", base(
        RS, "net-messages-suppressed", None, **{"ktcp.suppressed.count": n}
    )
