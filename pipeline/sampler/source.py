"""The sampler as an agent source (`ktcp agent --sample-interval SECONDS`): every interval one
sample's documents, beside the log source, into the same sink.

Its position is the sampler's own state (open zero-window episodes, the counters' last values,
the boot): after a restart in the same boot an episode already reported is not reported again,
one that ended while the agent was down gets its end, and the counters' first increase spans
the downtime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from pipeline.sampler.sampler import KernelStateSampler
from pipeline.sources.base import IDLE_SECS, Batch, Position


class SamplerSource:
    kind = "sampler"

    def __init__(self, sampler: KernelStateSampler, interval_secs: float) -> None:
        self.sampler = sampler
        self.interval_secs = interval_secs

    def describe(self) -> str:
        return f"{self.sampler.net_dir} every {self.interval_secs:g} s (zero-window peers, TcpExt)"

    def batches(self, resume: Position, stop: threading.Event) -> Iterator[Batch]:
        if resume is not None:
            self.sampler.restore(resume)
        next_at = time.monotonic()
        while not stop.is_set():
            documents = self.sampler.sample(datetime.now(UTC))
            yield Batch(position=self.sampler.state(), documents=documents)
            next_at += self.interval_secs
            while not stop.is_set() and (delay := next_at - time.monotonic()) > 0:
                stop.wait(min(delay, IDLE_SECS))
                if delay > IDLE_SECS:
                    yield Batch()  # an idle tick: the agent sees stop and health promptly
