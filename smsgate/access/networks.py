"""The per-app IP allowlist (50035): CIDR lists, and who the client is behind trusted proxies.

Only smsgate decides which proxy header counts (uvicorn's own proxy-header handling is off):
one header, named by the operator, and only when the socket peer is a trusted proxy.

An allowlist is stored as the operator typed it ("10.0.0.0/8, 203.0.113.7") and parsed once
when the app is loaded; the authenticator caches the parsed app, so a check per request is a
few integer comparisons.
"""

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Literal

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address
# The header a trusted proxy names the client in (SMSGATE_TRUSTED_PROXY_HEADER).
ProxyHeader = Literal["x-forwarded-for", "forwarded", "x-real-ip"]


class InvalidNetwork(ValueError):
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


def client_address(
    peer: str | None, claimed: Sequence[str], trusted: str, header: ProxyHeader
) -> Address | None:
    """The caller's address: the socket peer, or, when the peer is a trusted proxy, the
    right-most hop of the proxy header that is not itself a trusted proxy (hops further left
    can be forged by the client).

    `claimed` holds every line of `header` in the order received (a proxy may add a line of
    its own instead of appending to the client's). Only the one header the operator's proxies
    write counts: a proxy passes any other header on as the client sent it.
    """
    address = parse_address(peer)
    proxies = trusted_networks(trusted)
    if not proxies or not claimed:
        return address
    for hop in reversed(proxy_hops(header, claimed)):
        if not address_allowed(address, proxies):
            return address
        address = hop
    return address


def proxy_hops(header: ProxyHeader, lines: Sequence[str]) -> list[Address | None]:
    """The addresses a proxy header names, client first; None for a hop that is unreadable,
    "unknown" or obfuscated (RFC 7239 §6), which no allowlist admits."""
    if header == "x-real-ip":
        return [parse_address(lines[-1])]  # one address, set by the nearest proxy
    hops = [hop for line in lines for hop in _split_outside_quotes(line, ",")]
    if header == "x-forwarded-for":
        return [parse_address(hop) for hop in hops]
    return [_forwarded_for(element) for element in hops]


def _forwarded_for(element: str) -> Address | None:
    """The `for=` node of one RFC 7239 element: `for=192.0.2.1`, `for="192.0.2.1:8080"`,
    `for="[2001:db8::1]:4711"`."""
    for pair in _split_outside_quotes(element, ";"):
        name, _, value = pair.partition("=")
        if name.strip().lower() == "for":
            return _node_address(_unquote(value.strip()))
    return None


def _node_address(node: str) -> Address | None:
    if node.startswith("["):
        return parse_address(node[1 : node.find("]")] if "]" in node else None)
    if node.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        node = node.partition(":")[0]
    return parse_address(node)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split on `separator` where it is not inside a quoted string (RFC 7230 quoted-string)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]
