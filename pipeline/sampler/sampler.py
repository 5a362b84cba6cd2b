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
from pipeline.sampler.episodes import Episode, EpisodeTracker, episode_from_state, episode_state
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

    def state(self) -> dict[str, Any]:
        """What a restart needs (JSON): the boot, open episodes, the counters' last reading."""
        return {
            "boot_id": self.boot_id,
            "open": [episode_state(e) for e in self.episodes.open.values()],
            "counters": self._counters,
            "counters_at": None if self._counters_at is None else self._counters_at.isoformat(),
        }

    def restore(self, state: Any) -> None:
        """Continue from `state()` of an earlier run, unless the machine rebooted since."""
        if not isinstance(state, dict) or state.get("boot_id") != self.boot_id:
            return  # another boot: every counter and socket started again
        try:
            episodes = [episode_from_state(item) for item in state.get("open", [])]
            counters = state.get("counters")
            at = state.get("counters_at")
        except (KeyError, TypeError, ValueError):
            return  # a state this version cannot read: start afresh rather than fail
        self.episodes.open = {e.socket.key: e for e in episodes}
        if isinstance(counters, dict) and isinstance(at, str):
            self._counters = {str(k): int(v) for k, v in counters.items()}
            self._counters_at = datetime.fromisoformat(at)

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
