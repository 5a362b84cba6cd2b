"""`--output table`: one aligned line per event, streamed (never buffers the whole input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from pipeline import ecs
from pipeline.sinks.base import Delivery, Document

_COLUMNS = (("TIME (UTC)", 27), ("ACTION", 26), ("PEER", 40), ("LOCAL", 22), ("ISP", 22))


def _endpoint(ip: str | None, port: int | None) -> str:
    if ip is None and port is None:
        return "-"
    host = "" if ip is None else (f"[{ip}]" if ":" in str(ip) else str(ip))
    return f"{host}:{port}" if port is not None else host


def _peer(doc: Document) -> str:
    ip, port = ecs.peer_end(doc)
    return "-" if ip is None else _endpoint(ip, port)


def _isp(doc: Document) -> str:
    name, asn = ecs.isp_of(doc)
    label = "-" if name is None else str(name)
    return f"{label} AS{asn}" if asn is not None else label


def _detail(doc: Document) -> str:
    variant, details = ecs.family_details(doc)
    parts = [f"variant={variant}"]
    parts.extend(f"{k}={v}" for k, v in details.items())
    return " ".join(parts)


def _fit(text: str, width: int) -> str:
    """Pad to the column, or cut with an ellipsis so the columns stay aligned."""
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


class TableSink:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.delivery = Delivery()
        header = " ".join(name.ljust(width) for name, width in _COLUMNS) + " DETAIL"
        out.write(header + "\n")

    def send(self, documents: Sequence[Document]) -> None:
        for doc in documents:
            cells = (
                ecs.document_time(doc),
                ecs.document_action(doc),
                _peer(doc),
                _endpoint(*ecs.local_end(doc)),
                _isp(doc),
            )
            line = " ".join(_fit(str(c), w) for c, (_, w) in zip(cells, _COLUMNS, strict=True))
            self.out.write(f"{line} {_detail(doc)}\n")
        self.out.flush()  # a person is reading, possibly a followed live log
        self.delivery.created += len(documents)

    def close(self) -> Delivery:
        self.out.flush()
        return self.delivery
