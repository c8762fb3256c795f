"""A callback URL may not reach a non-public address under another spelling (issue 18,
reviewer's finding): decimal, octal and hex IPv4 hosts were taken when the URL was set, and
IPv4-compatible, NAT64 and 6to4 IPv6 forms of 127.0.0.1 or 169.254.169.254 were judged public
(delivery then tried [::127.0.0.1])."""

import pytest

from cunguan.core.callback_targets import address_refusal, url_refusal

HIDDEN = ["http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://1.2.3/",
          "http://0x7f000001/", "http://[::127.0.0.1]/", "http://[::a9fe:a9fe]/",
          "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/",
          "http://[2002:a9fe:a9fe::1]/", "http://[::ffff:10.0.0.1]/", "http://[::]/"]


@pytest.mark.parametrize("url", HIDDEN)
def test_an_address_in_another_form_is_refused_when_set(url: str) -> None:
    assert url_refusal(url, frozenset()) is not None


@pytest.mark.parametrize("address", ["::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::",
                                     "::ffff:169.254.169.254"])
def test_an_embedded_private_ipv4_is_refused_at_delivery(address: str) -> None:
    assert address_refusal(address) is not None


@pytest.mark.parametrize("url", ["https://platform.example/cb", "http://8.8.8.8/",
                                 "http://[2001:4860:4860::8888]/", "https://1.example.com/"])
def test_public_targets_stay_allowed(url: str) -> None:
    assert url_refusal(url, frozenset()) is None
