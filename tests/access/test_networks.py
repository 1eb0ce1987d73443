"""IP allowlists (50035): parsing CIDR lists and finding the client behind trusted proxies."""

from ipaddress import ip_address, ip_network

import pytest
from pydantic import ValidationError

from smsgate.access.networks import (
    InvalidNetwork,
    address_allowed,
    client_address,
    normalise_networks,
    parse_address,
    parse_networks,
)
from smsgate.settings import Settings


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


XFF = "x-forwarded-for"


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    assert client_address("198.51.100.1", ["10.0.0.1"], "", XFF) == ip_address("198.51.100.1")


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    client = client_address("198.51.100.1", ["10.0.0.1"], "127.0.0.1/32", XFF)
    assert client == ip_address("198.51.100.1")


def test_client_behind_a_chain_of_trusted_proxies() -> None:
    trusted = "127.0.0.1/32,172.16.0.0/12"
    forwarded = ["10.0.0.1, 203.0.113.9, 172.16.0.5"]  # the leftmost hop may be forged
    assert client_address("127.0.0.1", forwarded, trusted, XFF) == ip_address("203.0.113.9")


def test_garbage_hop_makes_the_client_unknown() -> None:
    assert client_address("127.0.0.1", ["bogus"], "127.0.0.1/32", XFF) is None


def test_a_proxy_that_adds_its_own_header_line_is_read_after_the_clients() -> None:
    """HAProxy adds a line instead of appending: the client's forged line comes first."""
    lines = ["10.1.1.1", "203.0.113.9"]
    assert client_address("127.0.0.1", lines, "127.0.0.1/32", XFF) == ip_address("203.0.113.9")


def test_all_hops_trusted_leaves_the_leftmost() -> None:
    client = client_address(
        "127.0.0.1", ["172.16.0.9, 172.16.0.5"], "127.0.0.0/8,172.16.0.0/12", XFF
    )
    assert client == ip_address("172.16.0.9")


def test_empty_header_leaves_the_proxy_itself() -> None:
    assert client_address("127.0.0.1", [" , "], "127.0.0.1/32", XFF) == ip_address("127.0.0.1")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["for=192.0.2.60;proto=http;by=203.0.113.43"], "192.0.2.60"),
        (['For="[2001:db8:cafe::17]:4711"'], "2001:db8:cafe::17"),
        (['for="192.0.2.43:47011"'], "192.0.2.43"),
        (["for=10.1.1.1, for=198.51.100.17"], "198.51.100.17"),  # right-most untrusted
        (["for=10.1.1.1", "for=198.51.100.17;by=127.0.0.1"], "198.51.100.17"),
        (['for=10.1.1.1, for="198.51.100.17";proto="a,b;c"'], "198.51.100.17"),
        (["for=unknown"], None),
        (["for=_hidden"], None),
        (["proto=https"], None),  # an element without for= names no client
        (['for="[2001:db8::1"'], None),
    ],
)
def test_forwarded_header_rfc_7239(lines: list[str], expected: str | None) -> None:
    client = client_address("127.0.0.1", lines, "127.0.0.1/32", "forwarded")
    assert client == (None if expected is None else ip_address(expected))


def test_forwarded_walks_past_trusted_proxies() -> None:
    lines = ["for=10.1.1.1, for=203.0.113.9, for=172.16.0.5"]
    client = client_address("127.0.0.1", lines, "127.0.0.1/32,172.16.0.0/12", "forwarded")
    assert client == ip_address("203.0.113.9")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["203.0.113.9"], "203.0.113.9"),
        ([" 2001:db8::5 "], "2001:db8::5"),
        (["10.1.1.1", "203.0.113.9"], "203.0.113.9"),  # the nearest proxy's line counts
        (["10.1.1.1, 203.0.113.9"], None),  # one address, not a list
        (["nonsense"], None),
    ],
)
def test_real_ip_header(lines: list[str], expected: str | None) -> None:
    client = client_address("127.0.0.1", lines, "127.0.0.1/32", "x-real-ip")
    assert client == (None if expected is None else ip_address(expected))


def test_real_ip_is_ignored_from_an_untrusted_peer() -> None:
    client = client_address("198.51.100.1", ["10.1.1.1"], "127.0.0.1/32", "x-real-ip")
    assert client == ip_address("198.51.100.1")


def test_an_ipv4_mapped_peer_is_trusted_as_its_ipv4_address() -> None:
    client = client_address("::ffff:127.0.0.1", ["203.0.113.9"], "127.0.0.1/32", XFF)
    assert client == ip_address("203.0.113.9")


def test_settings_refuse_a_bad_trusted_proxy_list() -> None:
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="10.0.0.0/8,proxy.example")
    with pytest.raises(ValidationError):
        Settings(trusted_proxy_header="x-client-ip")  # type: ignore[arg-type]
