"""Fluentd / Fluent Bit records as collectors really shape them: time, priority and host keys."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.envelopes import detect

MSG = "TCP: too many orphaned sockets"


def record(**fields: object) -> str:
    return orjson.dumps({"message": MSG, **fields}).decode()


def test_syslog_parser_record_keeps_time_pri_host_and_ident() -> None:
    env = detect(record(pri="6", time="Nov 24 15:14:57", host="web1", ident="kernel"))
    assert env.naive_time == datetime(2000, 11, 24, 15, 14, 57) and env.year_missing
    assert (env.priority, env.severity, env.facility) == (6, 6, 0)
    assert (env.host, env.ident) == ("web1", "kernel")


@pytest.mark.parametrize(
    "fields",
    [
        {"date": 1795504497.123},  # Fluent Bit es / forward-json outputs
        {"@timestamp": "2026-11-24T07:14:57.123Z"},  # ECS / Logstash style
        {"timestamp": "2026-11-24T07:14:57.123+00:00"},
        {"fluentd_time": "1795504497.123"},  # <inject> time_key, time_type float
    ],
)
def test_record_time_keys_give_the_wall_clock(fields: dict[str, object]) -> None:
    env = detect(record(**fields))
    assert env.wall_time == datetime(2026, 11, 24, 7, 14, 57, 123000, tzinfo=UTC)


def test_ecs_style_host_object_names_the_host() -> None:
    assert detect(record(host={"name": "web9"})).host == "web9"
