"""Settings of enrichment: which databases to open and how many answers to remember."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# Most events come from a few hundred peers; this many answers covers a busy host's working set
# many times over while bounding memory (~1 KiB per entry).
DEFAULT_CACHE_SIZE = 65_536

# The environment variables of the enrichment flags (what Fluentd's exec_filter stage sets).
ENV_ENABLED = "KTCP_ENRICH"
ENV_MMDB = "KTCP_MMDB"
ENV_IP2REGION = "KTCP_IP2REGION"
ENV_OVERRIDES = "KTCP_ISP_OVERRIDES"


class EnrichSettings(BaseModel):
    """Which providers answer, in layer order: overrides, special ranges, mmdb..., xdb, bundled."""

    model_config = ConfigDict(frozen=True)

    enabled: bool = True
    mmdb: tuple[Path, ...] = ()  # MaxMind databases, asked in this order
    ip2region: Path | None = None  # ip2region xdb file
    isp_overrides: Path | None = None  # user CIDR table (CSV)
    cache_size: int = Field(DEFAULT_CACHE_SIZE, ge=0)
