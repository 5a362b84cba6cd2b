"""Settings of enrichment: which databases to open and how many answers to remember."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Most events come from a few hundred peers; this many answers covers a busy host's working set
# many times over while bounding memory (~1 KiB per entry).
DEFAULT_CACHE_SIZE = 65_536

# The environment variables of the enrichment flags (what Fluentd's exec_filter stage sets).
ENV_ENABLED = "KTCP_ENRICH"
ENV_MMDB = "KTCP_MMDB"
ENV_IP2REGION = "KTCP_IP2REGION"
ENV_OVERRIDES = "KTCP_ISP_OVERRIDES"


@dataclass(frozen=True)
class EnrichSettings:
    """Which providers answer, in layer order: overrides, special ranges, mmdb..., xdb, bundled.

    A plain frozen dataclass, not a pydantic model: every command that parses builds one, and
    importing pydantic would be most of `ktcp parse`'s start-up. Its values come from click
    options and from the agent's validated settings; paths are normalised here.
    """

    enabled: bool = True
    mmdb: tuple[Path, ...] = ()  # MaxMind databases, asked in this order
    ip2region: Path | None = None  # ip2region xdb file
    isp_overrides: Path | None = None  # user CIDR table (CSV)
    cache_size: int = DEFAULT_CACHE_SIZE

    def __post_init__(self) -> None:
        if self.cache_size < 0:
            raise ValueError(f"cache_size must be 0 or more, not {self.cache_size}")
        mmdb: Iterable[str | Path] = self.mmdb
        object.__setattr__(self, "mmdb", tuple(Path(p) for p in mmdb))
        for name in ("ip2region", "isp_overrides"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
