"""The one retry policy of the delivering sinks (Elasticsearch and Fluentd).

Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And
Jitter"): the n-th wait is drawn uniformly between half and all of
min(RETRY_MAX_SECS, RETRY_FIRST_SECS * 2**n), so clients that failed together do not retry in
step, and no wait is ever near zero. A success starts again from the first wait. The constants
live in pipeline/settings.py.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from pipeline.settings import RETRY_FIRST_SECS, RETRY_MAX_SECS


class Backoff:
    def __init__(
        self,
        first_secs: float = RETRY_FIRST_SECS,
        max_secs: float = RETRY_MAX_SECS,
        draw: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.first_secs = first_secs
        self.max_secs = max_secs
        self._draw = draw
        self._ceiling = first_secs

    def next_secs(self) -> float:
        """How long to wait before the next attempt (and the wait after it grows)."""
        ceiling = self._ceiling
        self._ceiling = min(self._ceiling * 2, self.max_secs)
        return self._draw(ceiling / 2, ceiling)

    def reset(self) -> None:
        """The destination answered: the next failure waits the first wait again."""
        self._ceiling = self.first_secs

    def wait(self, stop: threading.Event, limit_secs: float = float("inf")) -> bool:
        """Wait the next delay (at most `limit_secs`); False when `stop` was set meanwhile."""
        return not stop.wait(min(self.next_secs(), max(0.0, limit_secs)))
