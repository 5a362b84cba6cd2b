"""Opening every configured database once, in layer order, failing early on a bad file."""

from __future__ import annotations

from pipeline.enrich.answer import Provider
from pipeline.enrich.bundled import BundledDatabase
from pipeline.enrich.names import load
from pipeline.enrich.overrides import IspOverrides
from pipeline.enrich.resolver import IspResolver
from pipeline.enrich.settings import EnrichSettings
from pipeline.enrich.special import SpecialRanges


def build_resolver(settings: EnrichSettings) -> IspResolver | None:
    """The resolver for these settings, or None when enrichment is off.

    Raises DatabaseError (a UsageError: exit 2) naming a missing, unreadable or corrupt file.
    """
    if not settings.enabled:
        return None
    providers: list[Provider] = []
    if settings.isp_overrides is not None:
        providers.append(IspOverrides(settings.isp_overrides))
    providers.append(SpecialRanges())
    # The readers of user databases (maxminddb, ip2region) are imported only when such a file
    # is given: the default, the bundled data alone, starts about 5 ms sooner without them.
    if settings.mmdb:
        from pipeline.enrich.mmdb import MaxMindDatabase

        providers.extend(MaxMindDatabase(path) for path in settings.mmdb)
    if settings.ip2region is not None:
        from pipeline.enrich.xdb import Ip2RegionDatabase

        providers.append(Ip2RegionDatabase(settings.ip2region))
    providers.append(BundledDatabase())
    return IspResolver(providers, load(), settings.cache_size)
