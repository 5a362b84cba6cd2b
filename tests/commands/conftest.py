"""Fixtures the command tests share with the enrichment tests (a small MaxMind database)."""

from tests.enrich.conftest import asn_mmdb

__all__ = ["asn_mmdb"]
