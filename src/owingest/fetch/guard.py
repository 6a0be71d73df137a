"""The SSRF guard: refuse private destinations after DNS resolution, at connect time.

A check on the URL string can be defeated by DNS rebinding, odd IP spellings
(``0x7f000001``, ``127.1``) or a redirect. This guard runs in the fetcher's network
backend instead (``network.py``): it resolves the host, refuses the connection when
*any* resolved address is not public, and the backend connects to an address it
checked. Every redirect hop to a new origin opens a new connection, so it passes here
again. TLS still verifies the original host name (the transport passes it separately).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from owingest.errors import BlockedDestinationError

__all__ = ["is_public_address", "resolve_public"]

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
# IPv6 ranges that carry an IPv4 address in their last 32 bits: IPv4-compatible (deprecated),
# IPv4-translated, and the NAT64 well-known prefix. The embedded address is what gets reached.
_EMBEDS_IPV4 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("::ffff:0:0:0/96"),
                ipaddress.ip_network("64:ff9b::/96"))


def is_public_address(address: str) -> bool:
    """True when ``address`` (an IP literal) is a public, routable unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is None and any(ip in net for net in _EMBEDS_IPV4) and int(ip) > 0xFFFF:
            mapped = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if mapped is not None:
            ip = mapped
    if ip in _METADATA or ip.is_multicast or ip.is_unspecified:
        return False
    return ip.is_global


async def resolve_public(host: str, port: int) -> tuple[str, ...]:
    """Resolve ``host`` and return the addresses to connect to, or raise if any is private.

    An IP literal in its canonical spelling needs no lookup; anything else (names, and odd
    spellings such as ``127.1``) goes through ``getaddrinfo``, as the connection would."""
    try:
        literal = str(ipaddress.ip_address(host)) == host
    except ValueError:
        literal = False
    if literal:
        addresses: list[str] = [host]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            raise httpx.ConnectError(f"cannot resolve {host!r}: {err}") from err
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise httpx.ConnectError(f"cannot resolve {host!r}")
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked:
        raise BlockedDestinationError(
            "fetch", f"refused to connect to {host!r}: it resolves to non-public address {blocked[0]}"
        )
    return tuple(addresses)
