"""CRI container log lines (containerd, CRI-O): `RFC3339Nano STREAM TAG line`.

TAG is `F` for a full line or `P` for a partial one (the runtime split a long line; the rest
follows in the next record). Kernel TCP lines are short, so a `P` line is parsed on its own.
Docker's json-file lines are JSON records (see structured.py).
"""

from __future__ import annotations

import re

from pipeline.envelopes.base import parse_iso
from pipeline.records import Envelope

_CRI_RE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<stream>stdout|stderr) (?P<tag>[A-Z](?::[A-Z])*)(?: |$)"
)


def parse_cri(text: str) -> Envelope | None:
    m = _CRI_RE.match(text)
    if m is None:
        return None
    extra = {"stream": m.group("stream")}
    if "P" in m.group("tag").split(":"):
        extra["partial"] = "true"
    return Envelope(
        name="cri",
        message=text[m.end() :],
        wall_time=parse_iso(m.group("time")),
        extra=extra,
    )
