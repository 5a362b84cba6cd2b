"""`--output table`: one aligned line per event, streamed (never buffers the whole input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from pipeline.sinks.base import Delivery, Document

_COLUMNS = (("TIME (UTC)", 27), ("ACTION", 26), ("PEER", 40), ("LOCAL", 22), ("ISP", 22))


def _peer(doc: Document) -> str:
    src = doc.get("source", {})
    if "ip" not in src:
        return "-"
    ip = str(src["ip"])
    host = f"[{ip}]" if ":" in ip else ip
    return f"{host}:{src['port']}" if "port" in src else host


def _local(doc: Document) -> str:
    dst = doc.get("destination", {})
    ip = dst.get("ip")
    port = dst.get("port")
    if ip is None and port is None:
        return "-"
    host = "" if ip is None else (f"[{ip}]" if ":" in str(ip) else str(ip))
    return f"{host}:{port}" if port is not None else host


def _isp(doc: Document) -> str:
    isp: dict[str, Any] = doc.get("ktcp", {}).get("isp", {})
    name = str(isp.get("name", "-"))
    asn = doc.get("source", {}).get("as", {}).get("number")
    return f"{name} AS{asn}" if asn is not None else name


def _detail(doc: Document) -> str:
    ktcp: dict[str, Any] = doc.get("ktcp", {})
    skip = {"variant", "kernel", "time", "envelope", "parser", "isp"}
    parts = [f"variant={ktcp.get('variant')}"]
    for ns, values in ktcp.items():
        if ns in skip or not isinstance(values, dict):
            continue
        parts.extend(f"{k}={v}" for k, v in values.items())
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
                doc["@timestamp"],
                doc["event"]["action"],
                _peer(doc),
                _local(doc),
                _isp(doc),
            )
            line = " ".join(_fit(str(c), w) for c, (_, w) in zip(cells, _COLUMNS, strict=True))
            self.out.write(f"{line} {_detail(doc)}\n")
        self.out.flush()  # a person is reading, possibly a followed live log
        self.delivery.created += len(documents)

    def close(self) -> Delivery:
        self.out.flush()
        return self.delivery
