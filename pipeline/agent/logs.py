"""The agent's own log on stderr: JSON lines (`--log-format json`) or plain text."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

LOGGER_NAME = "ktcp.agent"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "log.level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return orjson.dumps(entry, default=str).decode()


class Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"ktcp agent: {record.levelname.lower()}: {record.getMessage()}" + (
            f" ({extra})" if extra else ""
        )


class AgentLog:
    """`log.info("message", key=value, ...)`: fields become JSON keys or `key=value` text."""

    def __init__(self, log_format: str) -> None:
        self._logger = logging.getLogger(LOGGER_NAME)
        self._logger.handlers.clear()
        self._logger.propagate = False
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines() if log_format == "json" else Text())
        self._logger.addHandler(handler)
        self._logger.setLevel(logging.INFO)

    def info(self, message: str, **fields: Any) -> None:
        self._logger.info(message, extra={"fields": fields})

    def warning(self, message: str, **fields: Any) -> None:
        self._logger.warning(message, extra={"fields": fields})

    def error(self, message: str, **fields: Any) -> None:
        self._logger.error(message, extra={"fields": fields})

    def say(self, message: str) -> None:
        """For sinks, which report in plain sentences."""
        self._logger.warning(message.removeprefix("ktcp: "), extra={"fields": {}})
