"""Connection options: credentials leave the URL, contradictions are usage errors."""

from __future__ import annotations

import pytest

from pipeline.errors import UsageError
from pipeline.sinks.elasticsearch.connection import client, connection, redact


def test_credentials_in_the_url_move_out_of_it() -> None:
    conn = connection("https://shipper:s%40cret@es.example.net:9243/")
    assert conn.url == "https://es.example.net:9243"
    assert (conn.user, conn.password) == ("shipper", "s@cret")
    assert "s@cret" not in repr(conn) and "s%40cret" not in repr(conn)


def test_api_key_never_shows_in_repr() -> None:
    conn = connection("http://127.0.0.1:9200", api_key="QUtJRDpTRUNSRVQ=")
    assert "QUtJRDpTRUNSRVQ" not in repr(conn)
    assert conn.api_key == "QUtJRDpTRUNSRVQ="


def test_ipv6_hosts_keep_their_brackets() -> None:
    assert connection("http://[::1]:9200").url == "http://[::1]:9200"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "es.example.net:9200"}, "must look like https://HOST:9200"),
        ({"url": "ftp://es:21"}, "must look like"),
        ({"url": "http://es:notaport"}, "malformed"),
        ({"url": "http://es:9200", "api_key": "k", "user": "u", "password": "p"}, "not both"),
        ({"url": "http://es:9200", "user": "u"}, "needs a password"),
        ({"url": "http://es:9200", "password": "p"}, "needs a user"),
    ],
)
def test_contradictory_or_malformed_options_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        connection(**kwargs)


def test_redact_hides_userinfo_only() -> None:
    assert redact("https://u:pw@es:9200/x") == "https://***@es:9200/x"
    assert redact("https://es:9200") == "https://es:9200"


def test_the_client_sends_basic_auth_in_a_header_not_the_url() -> None:
    es = client(connection("https://u:pw@es.example.net:9200"))
    try:
        node = es.transport.node_pool.all()[0]
        assert "pw" not in node.base_url
        assert es._headers["authorization"].startswith("Basic ")
    finally:
        es.close()
