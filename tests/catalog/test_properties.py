"""Property: every catalog format string, rendered with random valid values, parses back to them.

Addresses come in every printed form (%pI4, %pI6 zero-padded, %pI6c in brackets, v4-mapped and
ISATAP), ports span 0..65535 and sequence numbers the whole u32 range including wrap-around.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.catalog import BY_ACTION, FAMILIES
from pipeline.records import RawLine
from tests.catalog.expect import bare_chain, checked, flat
from tests.catalog.strategies import FORMATS, Format, pi6c

CHAIN = bare_chain()


@pytest.mark.parametrize("form", FORMATS, ids=lambda f: f"{f.action}:{f.variant}")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rendered_values_come_back(form: Format, data: st.DataObject) -> None:
    message, expected = data.draw(form.cases)
    family = BY_ACTION[form.action]
    words = family.keywords + family.loose_keywords + family.routing_only_keywords
    assert any(k in message for k in words)
    assert checked(flat(CHAIN.process(RawLine(message)))) == expected


def test_every_wording_has_a_format_strategy() -> None:
    wanted = {(f.action, w.variant) for f in FAMILIES for w in f.wordings}
    assert wanted == {(f.action, f.variant) for f in FORMATS}


@pytest.mark.parametrize(
    ("address", "printed"),
    [
        ("2001:db8::1", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  # a single zero group stays
        ("::ffff:93.97.112.201", "::ffff:93.97.112.201"),
        ("fe80::200:5efe:192.0.2.1", "fe80::200:5efe:192.0.2.1"),
    ],
)
def test_the_pi6c_renderer_prints_like_the_kernel(address: str, printed: str) -> None:
    from ipaddress import IPv6Address

    assert pi6c(IPv6Address(address)) == printed
