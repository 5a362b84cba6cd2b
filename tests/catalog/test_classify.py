"""The catalog's entry point: keyword dispatch, gap vs noise, levels, registry invariants."""

from __future__ import annotations

import re

import pytest

from pipeline.catalog import (
    BY_ACTION,
    CANDIDATE_RE,
    FAMILIES,
    Invalid,
    Match,
    NoMatch,
    classify,
    looks_like_tcp,
)

# ECS 8.x event.type allowed values.
ECS_EVENT_TYPES = {
    "access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied",
    "end", "error", "group", "indicator", "info", "installation", "protocol", "start", "user",
}  # fmt: skip
# The ids of the family table of docs/KERNEL-MESSAGES.md.
CATALOG_ACTIONS = [
    "tcp-window-shrink", "tcp-syn-flood", "tcp-orphan-sockets", "tcp-memory-pressure",
    "tcp-timewait-overflow", "tcp-drop-open-request", "tcp-window-scale-invalid", "tcp-md5",
    "tcp-gro-suspect", "tcp-hw-csum", "tcp-kernel-bug", "tcp-boot-info", "conntrack-table-full",
    "conntrack-invalid", "socket-api-notice", "kernel-ratelimit-suppressed",
]  # fmt: skip


def test_the_registry_holds_every_family_of_the_catalog_in_its_order() -> None:
    assert [f.action for f in FAMILIES] == CATALOG_ACTIONS


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.action)
def test_family_metadata_is_complete_and_uses_ecs_values(family: object) -> None:
    from pipeline.catalog.base import Family

    assert isinstance(family, Family)
    assert set(family.event_type) <= ECS_EVENT_TYPES
    assert 0 <= family.level <= 7 and family.summary and family.keywords
    assert re.fullmatch(r"[a-z][a-z0-9_]*", family.namespace)
    module = family.model.__module__.rsplit(".", 1)[1]
    assert module.replace("_", "-") in family.action  # the file name gives event.action


def test_every_keyword_is_a_prefilter_candidate() -> None:
    for family in FAMILIES:
        for word in family.keywords + family.loose_keywords:
            assert CANDIDATE_RE.search(f"x {word} y".encode()), word


@pytest.mark.parametrize(
    ("message", "level"),
    [
        ("dccp_time_wait: time wait bucket table overflow", 4),
        ("TCP: time wait bucket table overflow", 6),
        ("TCP recvmsg seq # bug: copied 1, seq 2, rcvnxt 3, fl 0", 4),
        ("TCP: tcp_fin: Impossible, sk->sk_state=7", 3),
        ("Undo loss 10.0.0.1/80 c2 l0 ss2/2 p0", 7),
        ("TCP: bbr already registered", 5),
        ("process `x' is using obsolete setsockopt SO_BSDCOMPAT", 4),
    ],
)
def test_the_match_carries_the_kernel_level_of_its_wording(message: str, level: int) -> None:
    found = classify(message)
    assert isinstance(found, Match) and found.level == level


@pytest.mark.parametrize(
    ("message", "tcp_looking"),
    [
        ("TCP: Treason uncloaked! Peer garbage", True),
        ("MD5 Hash failed for something unexpected", True),
        ("nf_ct_ftp: dropping packet: partial 227", True),
        ("usbcore: registered new interface driver usbfs", False),
        ("Undo the last change", False),
        ("EXT4-fs (vda1): mounted filesystem", False),
    ],
)
def test_a_keyword_line_without_a_wording_is_a_gap_unless_the_keyword_is_loose(
    message: str, tcp_looking: bool
) -> None:
    found = classify(message)
    assert isinstance(found, NoMatch) and found.tcp_looking is tcp_looking
    assert looks_like_tcp(message) is tcp_looking


def test_a_bad_value_is_counted_invalid_not_raised() -> None:
    found = classify("TCP: drop open request from 203.0.113.7/65536")
    assert isinstance(found, Invalid)
    assert found.family is BY_ACTION["tcp-drop-open-request"] and "peer_port" in found.reason


def test_a_line_holding_two_families_keywords_reaches_the_one_that_matches() -> None:
    # the conntrack keyword comes first, but the line is a rate-limit summary
    found = classify("nf_ct_l4proto_log_invalid: 12 callbacks suppressed")
    assert isinstance(found, Match)
    assert found.family.action == "kernel-ratelimit-suppressed"


@pytest.mark.parametrize(
    "line",
    [
        b"[UFW BLOCK] IN=ens3 OUT= SRC=45.155.205.233 DST=10.0.0.5 PROTO=TCP SPT=51234 DPT=3389",
        b"kauditd_printk_skb: 14 callbacks suppressed",
    ],
)
def test_frequent_noise_is_not_even_a_candidate(line: bytes) -> None:
    # firewall logs and other subsystems' rate-limit summaries are counted without parsing
    assert CANDIDATE_RE.search(line) is None


def test_networking_rate_limit_summaries_stay_candidates() -> None:
    for line in (b"net_ratelimit: 3 callbacks suppressed", b"tcp_v4_rcv: 3 callbacks suppressed"):
        assert CANDIDATE_RE.search(line) is not None


def test_invalid_utf8_right_before_a_keyword_does_not_hide_the_line() -> None:
    assert CANDIDATE_RE.search(b"\xff\xfeTCP: too many orphaned sockets") is not None
