"""What a catalog family is: its wordings (regexes), its pydantic model and its ECS namespace.

A family module defines one `Family`; its regexes use named groups equal to model fields, so a
match becomes a model by validation alone. Fields common to every family (peer and local ends)
live on `KernelMessage`; anything else a family adds is rendered under `ktcp.<namespace>.*`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pipeline.addresses import unmapped_ip

U32_MAX = 2**32 - 1
INT_MAX = 2**31 - 1  # the kernel's `%d` of a non-negative int
_REASON_INPUT_CHARS = 60  # a bad value is quoted in the miss reason, cut to this length


def _ip(value: Any) -> IPv4Address | IPv6Address:
    """Parse a printed address; IPv4-mapped IPv6 (dual-stack sockets) becomes plain IPv4."""
    if isinstance(value, IPv4Address | IPv6Address):
        return unmapped_ip(value)
    return _parse_ip(str(value))


# Logs repeat a few thousand peers; parsing each printed form once halves validation time.
@lru_cache(maxsize=1 << 16)
def _parse_ip(text: str) -> IPv4Address | IPv6Address:
    return unmapped_ip(ip_address(text.strip("[]")))


IpAddress = Annotated[IPv4Address | IPv6Address, BeforeValidator(_ip)]
Port = Annotated[int, Field(ge=0, le=65535)]
U32 = Annotated[int, Field(ge=0, le=U32_MAX)]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]


class KernelMessage(BaseModel):
    """Fields every family may carry. Peer = remote end (ECS source), local = ECS destination."""

    # Built on first validation, not at import: `ktcp parse` of a log without TCP lines, and
    # commands that never parse, do not pay for sixteen schemas.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Fields rendered by the common ECS mapping, not under ktcp.<namespace>.
    COMMON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"action", "variant", "peer_ip", "peer_port", "local_ip", "local_port", "transport"}
    )
    # Model field -> its name under ktcp.<namespace> when the two must differ (a family field
    # cannot be called `action`: that name is the union's discriminator).
    ECS_NAMES: ClassVar[Mapping[str, str]] = {}

    variant: str
    peer_ip: IpAddress | None = None
    peer_port: Port | None = None
    local_ip: IpAddress | None = None
    local_port: Port | None = None
    transport: str | None = "tcp"  # None: the message does not say (conntrack, socket API)

    def extra_fields(self) -> dict[str, Any]:
        """The family's own fields (and computed ones) that are set, for ktcp.<namespace>.*.

        Plain attribute reads (not model_dump): this runs once per event on the hot path.
        """
        out: dict[str, Any] = {}
        for attr, name in _extra_names(type(self)):
            value = getattr(self, attr)
            if value is None:
                continue
            out[name] = value if isinstance(value, _JSON_NATIVE) else str(value)
        return out

    @classmethod
    def extra_field_schemas(cls) -> dict[str, dict[str, Any]]:
        """JSON Schema of each family field, keyed by its name under ktcp.<namespace>."""
        props: dict[str, dict[str, Any]] = cls.model_json_schema(mode="serialization").get(
            "properties", {}
        )
        names = cls.ECS_NAMES
        return {names.get(k, k): p for k, p in props.items() if k not in cls.COMMON_FIELDS}


_JSON_NATIVE = (str, int, float, bool)


@cache
def _extra_names(model: type[KernelMessage]) -> tuple[tuple[str, str], ...]:
    """(attribute, name under ktcp.<namespace>) of a family's own and computed fields."""
    attrs = [*model.model_fields, *model.model_computed_fields]
    return tuple((a, model.ECS_NAMES.get(a, a)) for a in attrs if a not in model.COMMON_FIELDS)


Converter = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Wording:
    """One kernel wording: its variant id, its regex (named groups = model fields), fixed values.

    The regex is matched at the start of the message (envelope already stripped).
    """

    variant: str
    regex: re.Pattern[str]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    convert: Converter | None = (
        None  # reshapes matched groups (e.g. "Sending cookies" -> "cookies")
    )
    level: int | None = None  # kernel level when it differs from the family's

    def fields(self, groups: dict[str, Any]) -> dict[str, Any]:
        """Model input from a match's named groups: unset groups dropped, converted, fixed."""
        fields = {k: v for k, v in groups.items() if v is not None}
        if self.convert is not None:
            fields = self.convert(fields)
        fields.update(self.fixed)
        fields["variant"] = self.variant
        return fields


@dataclass(frozen=True, slots=True)
class Family:
    """A message family of docs/KERNEL-MESSAGES.md: one `event.action`."""

    action: str  # event.action, kebab-case
    model: type[KernelMessage]
    wordings: tuple[Wording, ...]
    # Literal substrings; every wording holds one, so a line holding none of them cannot match.
    # A line that holds one but matches no wording is a catalog gap (counted as unmatched).
    keywords: tuple[str, ...]
    namespace: str  # family fields render under ktcp.<namespace>.*
    level: int  # kernel log level the kernel prints it at (when the envelope does not say)
    event_type: tuple[str, ...] = ("info",)  # ECS event.type values
    summary: str = ""  # one line for operators: what it means
    # Keywords too common in other subsystems' lines (`registered`, `Undo `) to call a line
    # holding them a catalog gap: they pick the family, but a miss stays ordinary noise.
    loose_keywords: tuple[str, ...] = ()
    # Loose keywords so common in other subsystems (kauditd's `callbacks suppressed`) that they
    # must not make a line a candidate by themselves; they still pick this family.
    routing_only_keywords: tuple[str, ...] = ()

    def match(self, message: str) -> tuple[Wording, dict[str, Any], int] | None:
        """The first wording matching at the start of `message`: its fields and where it ends."""
        for wording in self.wordings:
            m = wording.regex.match(message)
            if m is not None:
                return wording, wording.fields(m.groupdict()), m.end()
        return None

    def validate(self, fields: dict[str, Any]) -> KernelMessage | str:
        """The model of a match's fields, or why they are out of range (for the invalid line)."""
        try:
            return self.model.model_validate(fields)
        except ValidationError as exc:
            return _short_errors(exc)


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        got = repr(err.get("input"))
        if len(got) > _REASON_INPUT_CHARS:
            got = got[: _REASON_INPUT_CHARS - 3] + "..."
        parts.append(f"{where}: {err['msg']} (got {got})")
    return "; ".join(parts)


# Prefixes a line may carry before the family's text: the `TCP: ` pr_fmt (optional, sometimes
# doubled) and, on net_dbg_ratelimited() lines, the dynamic-debug flags' prefix: `[tid] ` or
# `<intr> ` (+t), then `module:function:file:line:` (+m +f +s +l) and one space.
TCP_PREFIX = r"(?:TCP: )*"
DYNDBG_PREFIX = r"(?:\[\d+\] |<intr> )?(?:(?:[\w./-]+:)+ )?"
# Kernel address formats. %pI4 / NIPQUAD: dotted quad (range checked by validation, so octet 256
# is an invalid line, not an unmatched one). %pI6 / NIP6_FMT: eight zero-padded groups; printed
# unbracketed before `:port`, so the port is after the *last* colon. The pattern is bounded (at
# most eight groups) so a long run of colons cannot make the regex backtrack quadratically.
# %pI6c: RFC 5952 compressed, v4-mapped as `::ffff:a.b.c.d`, always inside brackets here.
IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
IPV6 = rf"(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:[0-9A-Fa-f]{{1,4}}|{IPV4})?"
IPV6_BRACKETED = r"\[[0-9A-Fa-f:.]{2,45}\]"
