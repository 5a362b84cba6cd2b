"""The layered lookup: providers in order, first answer wins per field, behind an LRU cache."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.addresses import unmapped_ip
from pipeline.enrich.answer import Answer, IPAddress, Provider
from pipeline.enrich.names import IspNames
from pipeline.records import PeerInfo

if TYPE_CHECKING:
    from pipeline.catalog.base import KernelMessage

UNKNOWN = "unknown"
_FIELDS = (
    "as_number",
    "as_organization",
    "country_iso_code",
    "region_name",
    "city_name",
)


class IspResolver:
    """What is known about a peer address, from every configured layer."""

    def __init__(self, providers: Sequence[Provider], names: IspNames, cache_size: int) -> None:
        self.providers = tuple(providers)
        self.names = names
        # functools' C LRU: a hit costs one hash and one dict probe, no Python frame.
        self.lookup = functools.lru_cache(maxsize=cache_size)(self._resolve)

    def __call__(self, message: KernelMessage) -> PeerInfo | None:
        """The Chain's `enrich` callable: facts about the message's peer, if it names one."""
        peer = message.peer_ip
        return None if peer is None else self.lookup(peer)

    def explain(self, ip: IPAddress) -> list[tuple[str, PeerInfo | None]]:
        """What each provider alone answers (for `ktcp lookup`), uncached."""
        address = unmapped_ip(ip)
        out: list[tuple[str, PeerInfo | None]] = []
        for provider in self.providers:
            answer = provider.answer(address)
            out.append((provider.name, None if answer is None else self._merge([answer])))
        return out

    def _resolve(self, ip: IPAddress) -> PeerInfo:
        address = unmapped_ip(ip)
        answers: list[Answer] = []
        for provider in self.providers:
            answer = provider.answer(address)
            if answer is not None:
                answers.append(answer)
                if answer.final:
                    break
        if not answers:
            asked = ", ".join(p.name for p in self.providers)
            return PeerInfo(isp_name=UNKNOWN, isp_source=f"no answer from: {asked}")
        return self._merge(answers)

    def _merge(self, answers: list[Answer]) -> PeerInfo:
        facts: dict[str, object] = dict.fromkeys(_FIELDS)
        sources: list[str] = []
        for answer in answers:
            used = False
            for field in _FIELDS:
                value = getattr(answer, field)
                if value is not None and facts[field] is None:
                    facts[field] = value
                    used = True
            if answer.isp_name is not None or answer.isp_hint is not None:
                used = True
            if used and answer.source not in sources:
                sources.append(answer.source)
        as_number = facts["as_number"]
        organization = facts["as_organization"]
        country = facts["country_iso_code"]
        assert as_number is None or isinstance(as_number, int)
        assert organization is None or isinstance(organization, str)
        assert country is None or isinstance(country, str)
        name, local = self._isp(answers, as_number, organization, country)
        return PeerInfo(
            isp_name=name,
            isp_source="; ".join(sources),
            isp_name_local=local,
            as_number=as_number,
            as_organization=organization,
            country_iso_code=country,
            region_name=_str(facts["region_name"]),
            city_name=_str(facts["city_name"]),
        )

    def _isp(
        self,
        answers: list[Answer],
        as_number: int | None,
        organization: str | None,
        country: str | None,
    ) -> tuple[str, str | None]:
        """A decided name (overrides, special ranges), else the canonical table, else raw."""
        for answer in answers:
            if answer.isp_name is not None:
                local = next((a.isp_name_local for a in answers if a.isp_name_local), None)
                return answer.isp_name, local
        # Every name a layer gives, in layer order, so the first layer's word wins.
        texts = tuple(t for a in answers for t in (a.isp_hint, a.as_organization) if t is not None)
        known = self.names.canonical(as_number, texts, country)
        if known is not None:
            return known.name, known.name_local
        # An unknown network keeps the name its database gives it.
        return (organization or (texts[0] if texts else UNKNOWN)), None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
