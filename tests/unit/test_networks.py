"""IP allowlists (50035): parsing CIDR lists and finding the client behind trusted proxies."""

from ipaddress import ip_address, ip_network

import pytest

from smsgate.apps.networks import (
    InvalidNetwork,
    address_allowed,
    client_address,
    normalise_networks,
    parse_address,
    parse_networks,
)


def test_parse_list_of_cidrs_and_single_addresses() -> None:
    networks = parse_networks(" 10.0.0.0/8, 203.0.113.7 ,2001:db8::/32,")
    assert networks == (
        ip_network("10.0.0.0/8"),
        ip_network("203.0.113.7/32"),
        ip_network("2001:db8::/32"),
    )
    assert parse_networks("") == () and parse_networks(None) == ()


def test_host_bits_are_accepted_and_normalised() -> None:
    assert normalise_networks("192.168.1.5/24") == "192.168.1.0/24"
    assert normalise_networks(" , ") is None


@pytest.mark.parametrize("text", ["10.0.0.0/33", "example.com", "10.0.0.300", "1.2.3.4/8/1"])
def test_bad_entries_are_refused(text: str) -> None:
    with pytest.raises(InvalidNetwork):
        parse_networks(f"10.0.0.0/8,{text}")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.1.2.3", True),
        ("11.0.0.1", False),
        ("203.0.113.7", True),
        ("203.0.113.8", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        ("::ffff:10.9.9.9", True),  # an IPv4 client seen through a dual-stack socket
    ],
)
def test_address_allowed(address: str, allowed: bool) -> None:
    networks = parse_networks("10.0.0.0/8,203.0.113.7,2001:db8::/32")
    assert address_allowed(parse_address(address), networks) is allowed


def test_unknown_address_is_never_allowed() -> None:
    assert not address_allowed(None, parse_networks("0.0.0.0/0"))
    assert parse_address("not-an-ip") is None and parse_address(None) is None


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    assert client_address("198.51.100.1", "10.0.0.1", "") == ip_address("198.51.100.1")


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_address("198.51.100.1", "10.0.0.1", "127.0.0.1/32") == ip_address("198.51.100.1")


def test_client_behind_a_chain_of_trusted_proxies() -> None:
    trusted = "127.0.0.1/32,172.16.0.0/12"
    forwarded = "10.0.0.1, 203.0.113.9, 172.16.0.5"  # the leftmost hop may be forged
    assert client_address("127.0.0.1", forwarded, trusted) == ip_address("203.0.113.9")


def test_garbage_hop_makes_the_client_unknown() -> None:
    assert client_address("127.0.0.1", "bogus", "127.0.0.1/32") is None
