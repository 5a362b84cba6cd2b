"""Settings of enrichment: which databases to open and how many answers to remember."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import UsageError

# Most events come from a few hundred peers; this many answers covers a busy host's working set
# many times over while bounding memory (~1 KiB per entry).
DEFAULT_CACHE_SIZE = 65_536

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EnrichSettings:
        """Settings from KTCP_ENRICH, KTCP_MMDB, KTCP_IP2REGION, KTCP_ISP_OVERRIDES (Fluentd)."""
        env = os.environ if environ is None else environ
        flag = env.get(ENV_ENABLED, "").strip()
        if flag not in {"", "0", "1"}:
            raise UsageError(f"{ENV_ENABLED}={flag!r}: use 1 to enrich or 0 to skip enrichment")
        mmdb = tuple(Path(p) for p in env.get(ENV_MMDB, "").split(os.pathsep) if p.strip())
        ip2region = env.get(ENV_IP2REGION, "").strip()
        overrides = env.get(ENV_OVERRIDES, "").strip()
        return cls(
            enabled=flag != "0",
            mmdb=mmdb,
            ip2region=Path(ip2region) if ip2region else None,
            isp_overrides=Path(overrides) if overrides else None,
        )
