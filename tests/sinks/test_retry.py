"""The one retry policy of both delivering sinks."""

from __future__ import annotations

import itertools
import threading

from pipeline.settings import RETRY_FIRST_SECS, RETRY_MAX_SECS
from pipeline.sinks.retry import Backoff


def test_waits_double_up_to_the_longest_each_drawn_between_half_and_all() -> None:
    low = Backoff(draw=lambda a, b: a)
    high = Backoff(draw=lambda a, b: b)
    lows = [low.next_secs() for _ in range(12)]
    highs = [high.next_secs() for _ in range(12)]
    assert highs[0] == RETRY_FIRST_SECS and highs[-1] == RETRY_MAX_SECS
    assert all(b == min(2 * a, RETRY_MAX_SECS) for a, b in itertools.pairwise(highs))
    assert lows == [h / 2 for h in highs]  # never near zero: no retry storm in step


def test_an_answer_starts_again_from_the_first_wait() -> None:
    backoff = Backoff(draw=lambda a, b: b)
    for _ in range(5):
        backoff.next_secs()
    backoff.reset()
    assert backoff.next_secs() == RETRY_FIRST_SECS


def test_a_stop_request_ends_the_wait() -> None:
    stop = threading.Event()
    stop.set()
    assert Backoff(first_secs=3600, max_secs=3600).wait(stop) is False
    assert Backoff(draw=lambda a, b: 0.0).wait(threading.Event()) is True
