"""What a catalog family is: its wordings (regexes), its pydantic model and its ECS namespace.

A family module defines one `Family`; its regexes use named groups equal to model fields, so a
match becomes a model by validation alone. Fields common to every family (peer and local ends)
live on `KernelMessage`; anything else a family adds is rendered under `ktcp.<namespace>.*`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

U32_MAX = 2**32 - 1


def _ip(value: Any) -> IPv4Address | IPv6Address:
    """Parse a printed address; IPv4-mapped IPv6 (dual-stack sockets) becomes plain IPv4."""
    if isinstance(value, IPv4Address | IPv6Address):
        address = value
    else:
        address = ip_address(str(value).strip("[]"))
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


IpAddress = Annotated[IPv4Address | IPv6Address, BeforeValidator(_ip)]
Port = Annotated[int, Field(ge=0, le=65535)]
U32 = Annotated[int, Field(ge=0, le=U32_MAX)]


class KernelMessage(BaseModel):
    """Fields every family may carry: peer = remote end (ECS source), local = ECS destination."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Fields rendered by the common ECS mapping, not under ktcp.<namespace>.
    COMMON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"action", "variant", "peer_ip", "peer_port", "local_ip", "local_port", "transport"}
    )

    variant: str
    peer_ip: IpAddress | None = None
    peer_port: Port | None = None
    local_ip: IpAddress | None = None
    local_port: Port | None = None
    transport: str = "tcp"

    def extra_fields(self) -> dict[str, Any]:
        """The family's own fields (and computed ones) that are set, for ktcp.<namespace>.*."""
        data = self.model_dump(exclude_none=True, mode="json")
        return {k: v for k, v in data.items() if k not in self.COMMON_FIELDS}


Converter = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Wording:
    """One kernel wording: its variant id, its regex (named groups = model fields), fixed values."""

    variant: str
    regex: re.Pattern[str]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    convert: Converter | None = None  # reshapes groups ("Sending cookies" -> "cookies")


@dataclass(frozen=True, slots=True)
class Family:
    """A message family of ../shared/kernel-tcp-messages.md: one `event.action`."""

    action: str  # event.action, kebab-case
    model: type[KernelMessage]
    wordings: tuple[Wording, ...]
    keywords: tuple[str, ...]  # literal substrings; a line holding none of them cannot match
    namespace: str  # family fields render under ktcp.<namespace>.*
    level: int  # kernel log level the kernel prints it at (when the envelope does not say)
    event_type: tuple[str, ...] = ("info",)  # ECS event.type values
    summary: str = ""  # one line for operators: what it means

    def match(self, message: str) -> tuple[Wording, dict[str, Any]] | None:
        for wording in self.wordings:
            m = wording.regex.search(message)
            if m is not None:
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                if wording.convert is not None:
                    groups = wording.convert(groups)
                groups.update(wording.fixed)
                groups["variant"] = wording.variant
                return wording, groups
        return None


# Prefixes a line may carry before the family's text: the `TCP: ` pr_fmt (optional, sometimes
# doubled) and dynamic-debug module/function/line prefixes (`tcp_timer:tcp_retransmit_timer: `).
TCP_PREFIX = r"(?:TCP: )*"
DYNDBG_PREFIX = r"(?:[\w.]+:(?:\d+:)?)*\s*"
# Kernel address formats: %pI4, %pI6 (8 groups, zero padded), %pI6c (RFC 5952), v4-mapped.
IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
IPV6 = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"
