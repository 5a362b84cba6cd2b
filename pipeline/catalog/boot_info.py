"""tcp-boot-info: boot-time TCP inventory: hash table sizes and congestion-control registration.

tcp.c tcp_init() `TCP: Hash tables configured (...)`; the generic large-hash allocator's `<table>
hash table entries: N (order: n, N bytes[, linear|vmalloc...])` for the TCP tables (only those:
the allocator prints the same line for dentry, inode and other tables, which are not TCP);
tcp_cong.c `TCP %s registered` (2.6) / `TCP: %s registered` (≈3.4-≈4.x), plus its
`already registered` (notice) and `does not implement required ops` (err) siblings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from pipeline.catalog.base import TCP_PREFIX, U32, Family, KernelMessage, Wording

ACTION = "tcp-boot-info"
TCP_HASH_TABLES = ("TCP established", "TCP bind", "TCP bind bhash2", "tcp_listen_portaddr_hash")
Size = Annotated[int, Field(ge=0, le=2**63 - 1)]  # `%lu`, but Elasticsearch longs are signed
_ALGORITHM = r"(?P<algorithm>[\w-]+)"


class BootInfo(KernelMessage):
    action: Literal["tcp-boot-info"] = "tcp-boot-info"
    established: U32 | None = Field(None, description="hash-tables: established hash size")
    bind: U32 | None = Field(None, description="hash-tables: bind hash size")
    table: str | None = Field(None, description="hash-entries: which TCP hash table")
    entries: Size | None = Field(None, description="hash-entries: number of entries")
    order: Annotated[int, Field(ge=0, le=64)] | None = Field(
        None, description="hash-entries: allocation order (pages = 2^order)"
    )
    size_bytes: Size | None = Field(None, description="hash-entries: table size in bytes")
    allocation: str | None = Field(
        None, description="hash-entries: `linear` / `vmalloc` (newer kernels)"
    )
    algorithm: str | None = Field(None, description="cc-*: congestion-control algorithm")


FAMILY = Family(
    action=ACTION,
    model=BootInfo,
    wordings=(
        Wording(
            "hash-tables",
            re.compile(
                rf"{TCP_PREFIX}Hash tables configured "
                r"\(established (?P<established>\d+) bind (?P<bind>\d+)\)"
            ),
        ),
        Wording(
            "hash-entries",
            re.compile(
                r"(?P<table>TCP established|TCP bind(?: bhash2)?|tcp_listen_portaddr_hash) "
                r"hash table entries: (?P<entries>\d+) \(order: (?P<order>\d+), "
                r"(?P<size_bytes>\d+) bytes(?:, (?P<allocation>[\w ]+?))?\)"
            ),
        ),
        Wording(
            "cc-registered",
            re.compile(rf"TCP:? {_ALGORITHM} registered\s*$"),
        ),
        Wording(
            "cc-already-registered",
            re.compile(rf"TCP:? {_ALGORITHM} already registered\s*$"),
            level=5,
        ),
        Wording(
            "cc-missing-ops",
            re.compile(rf"TCP:? {_ALGORITHM} does not implement required ops"),
            level=3,
        ),
    ),
    keywords=(
        "Hash tables configured",
        *(f"{table} hash table entries" for table in TCP_HASH_TABLES),
        "does not implement required ops",
    ),
    # `registered` is printed by many subsystems; only the `TCP` forms are this family's.
    loose_keywords=(" registered",),
    namespace="boot",
    level=6,
    event_type=("info",),
    summary="boot-time TCP inventory (hash table sizes, congestion-control algorithms)",
)
