"""The per-app IP allowlist (50035): CIDR lists, and who the client is behind trusted proxies.

An allowlist is stored as the operator typed it ("10.0.0.0/8, 203.0.113.7") and parsed once
when the app is loaded; the authenticator caches the parsed app, so a check per request is a
few integer comparisons.
"""

from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from smsgate.apps.policy import InvalidPolicy

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


class InvalidNetwork(InvalidPolicy):
    """A list entry that is neither an address nor a CIDR."""


def parse_networks(text: str | None) -> tuple[Network, ...]:
    """ "10.0.0.0/8,2001:db8::/32,203.0.113.7" -> networks; empty or None -> no list."""
    if not text:
        return ()
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise InvalidNetwork(f"{part!r} is not an IP address or CIDR") from None
    return tuple(networks)


def normalise_networks(text: str) -> str | None:
    """The canonical stored form of an allowlist; None when it is empty (no restriction)."""
    networks = parse_networks(text)
    return ",".join(str(network) for network in networks) or None


def parse_address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # "::ffff:10.1.2.3" from a dual-stack socket is 10.1.2.3
    return address


def address_allowed(address: Address | None, networks: Iterable[Network]) -> bool:
    """Whether an address is inside any of the networks; an unknown address never is."""
    if address is None:
        return False
    return any(address.version == net.version and address in net for net in networks)


@lru_cache(maxsize=4)
def trusted_networks(text: str) -> tuple[Network, ...]:
    return parse_networks(text)


def client_address(peer: str | None, forwarded_for: str | None, trusted: str) -> Address | None:
    """The caller's address: the socket peer, or, when the peer is a trusted proxy, the last
    X-Forwarded-For hop that is not itself a trusted proxy (hops further left can be forged)."""
    address = parse_address(peer)
    proxies = trusted_networks(trusted)
    if not proxies or not forwarded_for:
        return address
    for hop in reversed(forwarded_for.split(",")):
        if not address_allowed(address, proxies):
            return address
        address = parse_address(hop)
    return address
