"""Zero-window episodes: one per connection, opened when first seen at the persist timer and
closed at the first sample that no longer shows it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from ipaddress import ip_address
from typing import Any

from pipeline.sampler.sockets import ConnectionKey, ZeroWindowSocket


@dataclass(frozen=True, slots=True)
class Episode:
    socket: ZeroWindowSocket  # as last seen
    start: datetime  # the sample that first showed it
    end: datetime | None = None  # the first sample that no longer showed it
    samples: int = 1  # how many samples showed it
    max_bytes_queued: int = 0
    max_probes: int = 0


class EpisodeTracker:
    """Turns successive socket-table samples into episode starts and ends."""

    def __init__(self) -> None:
        self.open: dict[ConnectionKey, Episode] = {}

    def update(
        self, sockets: Iterable[ZeroWindowSocket], now: datetime
    ) -> tuple[list[Episode], list[Episode]]:
        """(episodes that started, episodes that ended) at this sample."""
        started: list[Episode] = []
        seen: dict[ConnectionKey, Episode] = {}
        for sock in sockets:
            key = sock.key
            episode = self.open.get(key)
            if episode is None:
                episode = Episode(sock, now, None, 1, sock.bytes_queued, sock.probes)
                started.append(episode)
            else:
                episode = replace(
                    episode,
                    socket=sock,
                    samples=episode.samples + 1,
                    max_bytes_queued=max(episode.max_bytes_queued, sock.bytes_queued),
                    max_probes=max(episode.max_probes, sock.probes),
                )
            seen[key] = episode
        ended = [replace(e, end=now) for k, e in self.open.items() if k not in seen]
        self.open = seen
        return started, ended


def episode_state(episode: Episode) -> dict[str, Any]:
    """An open episode as JSON (the agent's checkpoint of the sampler)."""
    sock = asdict(episode.socket)
    sock["local_ip"], sock["peer_ip"] = str(episode.socket.local_ip), str(episode.socket.peer_ip)
    return {
        "socket": sock,
        "start": episode.start.isoformat(),
        "samples": episode.samples,
        "max_bytes_queued": episode.max_bytes_queued,
        "max_probes": episode.max_probes,
    }


def episode_from_state(state: dict[str, Any]) -> Episode:
    sock = dict(state["socket"])
    sock["local_ip"], sock["peer_ip"] = ip_address(sock["local_ip"]), ip_address(sock["peer_ip"])
    return Episode(
        ZeroWindowSocket(**sock),
        datetime.fromisoformat(state["start"]),
        None,
        int(state["samples"]),
        int(state["max_bytes_queued"]),
        int(state["max_probes"]),
    )
