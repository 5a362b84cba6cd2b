"""Enrichment: what is known about a peer address (AS, organisation, canonical ISP, geo)."""

from pipeline.enrich.build import build_resolver
from pipeline.enrich.resolver import IspResolver
from pipeline.enrich.settings import DEFAULT_CACHE_SIZE, EnrichSettings

__all__ = ["DEFAULT_CACHE_SIZE", "EnrichSettings", "IspResolver", "build_resolver"]
