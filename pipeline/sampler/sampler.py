"""One sample of the kernel's TCP state as ECS documents: zero-window episodes that started or
ended since the previous sample, and the TcpExt counters' increase over the interval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline import ecs
from pipeline.identity import sample_id
from pipeline.records import PeerInfo
from pipeline.sampler.counters import deltas, read_counters
from pipeline.sampler.episodes import Episode, EpisodeTracker
from pipeline.sampler.sockets import ZeroWindowSocket, scan

Lookup = Callable[[Any], PeerInfo]


class KernelStateSampler:
    """Reads one network namespace's /proc/net (the caller's own unless told otherwise)."""

    def __init__(
        self,
        net_dir: Path,
        host: str | None,
        boot_id: str | None,
        lookup: Lookup | None = None,
    ) -> None:
        self.net_dir = net_dir
        self.host = host
        self.boot_id = boot_id
        self.lookup = lookup
        self.episodes = EpisodeTracker()
        self._counters: dict[str, int] | None = None
        self._counters_at: datetime | None = None
        self.open_episodes = 0

    def sample(self, now: datetime) -> list[dict[str, Any]]:
        """Documents for what changed at `now` (the first sample sets the counters' baseline)."""
        started, ended = self.episodes.update(scan(self.net_dir), now)
        self.open_episodes = len(self.episodes.open)
        docs = [self._episode(e) for e in (*ended, *started)]
        counters = read_counters(self.net_dir)
        if self._counters is not None and self._counters_at is not None:
            increases = deltas(self._counters, counters)
            original = " ".join(f"{k}={v}" for k, v in counters.items())
            docs.append(
                ecs.counters_document(
                    increases,
                    (now - self._counters_at).total_seconds(),
                    now,
                    original,
                    sample_id("counters", self.host, self.boot_id, ecs.format_time(now)),
                    self.host,
                    self.boot_id,
                )
            )
        self._counters, self._counters_at = counters, now
        return docs

    def _episode(self, episode: Episode) -> dict[str, Any]:
        sock: ZeroWindowSocket = episode.socket
        phase = "end" if episode.end is not None else "start"
        event_id = sample_id(
            "zero-window",
            self.host,
            self.boot_id,
            *map(str, sock.key),
            ecs.format_time(episode.start),
            phase,
        )
        peer = self.lookup(sock.peer_ip) if self.lookup is not None else None
        return ecs.zero_window_document(episode, event_id, self.host, self.boot_id, peer)
