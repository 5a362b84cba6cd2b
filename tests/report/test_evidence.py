"""Every finding's evidence, checked against the events it cites (the parse output)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ktcp_report_helpers import SAMPLE, parsed_documents  # type: ignore[import-not-found]

Run = Callable[..., dict[str, Any]]
Doc = dict[str, Any]


def _isp_group(doc: Doc, canonical: set[str]) -> str:
    isp = doc.get("ktcp", {}).get("isp", {}).get("name")
    if isp in canonical:
        return str(isp)
    org = doc.get("source", {}).get("as", {}).get("organization", {}).get("name")
    return str(org or isp or "unknown")


def _check_window_shrink_concentration(facts: dict[str, Any], cited: list[Doc]) -> None:
    from pipeline.report.rows import canonical_isps

    canonical = set(canonical_isps())
    assert facts["events"] == len(cited)
    peers = Counter(d["source"]["ip"] for d in cited if "ip" in d.get("source", {}))
    assert facts["peers"] == len(peers)
    isps = Counter(_isp_group(d, canonical) for d in cited)
    assert isps[facts["top_isp"]] == facts["top_isp_events"] == max(isps.values())
    asns = {
        f"AS{d['source']['as']['number']}"
        for d in cited
        if _isp_group(d, canonical) == facts["top_isp"] and "number" in d["source"].get("as", {})
    }
    assert set(facts["top_isp_as_numbers"].split(", ")) == asns
    ranked = [n for _, n in peers.most_common()]
    k = facts["top_peers_needed"]
    assert sum(ranked[:k]) == facts["top_peers_events"] >= 0.9 * len(cited)
    assert sum(ranked[: k - 1]) < 0.9 * len(cited)
    ports = sorted({d["destination"]["port"] for d in cited})
    assert facts["local_ports"] == ", ".join(map(str, ports))


def _check_window_shrink_probes(facts: dict[str, Any], cited: list[Doc]) -> None:
    outstanding = [d["ktcp"]["window"]["bytes_outstanding"] for d in cited]
    in_flight = [b for b in outstanding if b != 1]
    assert facts["probe_events"] == outstanding.count(1)
    assert facts["in_flight_events"] == len(in_flight)
    assert facts["in_flight_min_bytes"] == min(in_flight, default=None)
    assert facts["in_flight_max_bytes"] == max(in_flight, default=None)


def _check_syn_flood(facts: dict[str, Any], cited: list[Doc]) -> None:
    responses = Counter(d["ktcp"]["syn_flood"]["action"] for d in cited)
    assert (facts["cookies_events"], facts["drop_events"]) == (
        responses["cookies"], responses["drop"],
    )  # fmt: skip
    listeners = {(d["destination"].get("ip"), d["destination"]["port"]) for d in cited}
    assert facts["listeners"] == len(listeners)
    ports = sorted({d["destination"]["port"] for d in cited})
    assert facts["local_ports"] == ", ".join(map(str, ports))


def _check_suppressed(facts: dict[str, Any], cited: list[Doc]) -> None:
    assert facts["suppressed"] == sum(d["ktcp"]["suppressed"]["count"] for d in cited)


def _check_ambiguous(namespace: str) -> Callable[[dict[str, Any], list[Doc]], None]:
    def check(facts: dict[str, Any], cited: list[Doc]) -> None:
        causes = Counter(d["ktcp"][namespace]["cause"] for d in cited)
        assert facts["ambiguous_events"] == causes["orphans-or-memory"]

    return check


CHECKS: dict[str, Callable[[dict[str, Any], list[Doc]], None]] = {
    "window-shrink-concentration": _check_window_shrink_concentration,
    "window-shrink-probes": _check_window_shrink_probes,
    "syn-flood": _check_syn_flood,
    "ratelimit-suppressed": _check_suppressed,
    "tcp-memory-pressure": _check_ambiguous("memory"),
    "tcp-orphan-sockets": _check_ambiguous("orphans"),
}


def check_evidence(report: dict[str, Any], docs: list[Doc]) -> set[str]:
    by_id = {d["event"]["id"]: d for d in docs}
    checked = set()
    for finding in report["findings"]:
        ev = finding["evidence"]
        assert ev["ids_complete"]
        assert ev["events"] == len(ev["event_ids"]) == len(set(ev["event_ids"]))
        assert ev["facts"].get("events", ev["events"]) == ev["events"]
        cited = [by_id[i] for i in ev["event_ids"]]  # every cited id is a real event
        # a finding cites every event of its families, not a convenient part of them
        family = {d["event"]["id"] for d in docs if d["event"]["action"] in finding["actions"]}
        if ev["events"]:
            assert set(ev["event_ids"]) == family, finding["id"]
        if finding["id"] in CHECKS:
            CHECKS[finding["id"]](ev["facts"], cited)
            checked.add(finding["id"])
    return checked


@pytest.mark.parametrize("which", ["sample", "corpus"])
def test_each_finding_rests_on_the_events_it_cites(
    which: str, run_report: Run, corpus: Path
) -> None:
    path = SAMPLE if which == "sample" else corpus
    checked = check_evidence(run_report(str(path)), parsed_documents(path))
    assert {"window-shrink-concentration", "window-shrink-probes", "syn-flood"} <= checked
    if which == "sample":
        assert set(CHECKS) == checked
