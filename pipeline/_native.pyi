# Types of the compiled fast path (native/src/lib.rs); pipeline/native.py builds and drives it.
from collections.abc import Callable
from typing import Any

INTERFACE: int

class Scanner:
    def __init__(
        self,
        config: dict[str, Any],
        time_of: Callable[[str, str, str], tuple[str, Any, str, str] | None],
        peer_of: Callable[[str], tuple[dict[str, Any], dict[str, Any]] | None] | None = None,
        occurrence_of: Callable[[str, str, str], int] | None = None,
    ) -> None: ...
    def scan(
        self, data: bytes, pos: int, path: str, base_offset: int, file_id: str
    ) -> tuple[list[tuple[Any, int]], int | None, int, dict[str, int]]: ...
    def record(
        self, line: bytes, envelope: str, ingested: str, time_key: str | None, output: str
    ) -> tuple[bytes, str] | None: ...
