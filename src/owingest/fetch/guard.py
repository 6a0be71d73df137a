"""The SSRF guard: refuse private destinations after DNS resolution, at connect time.

A check on the URL string can be defeated by DNS rebinding, odd IP spellings
(``0x7f000001``, ``127.1``) or a redirect. This guard sits in httpcore's network
backend instead: it resolves the host, refuses the connection when *any*
resolved address is not public, and connects to the address it checked. Every
redirect hop to a new origin opens a new connection, so it passes here again.
TLS still verifies the original host name (httpcore passes it separately).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

from owingest.errors import BlockedDestinationError

__all__ = ["GuardedTransport", "is_public_address", "resolve_public"]

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


async def resolve_public(host: str, port: int) -> str:
    """Resolve ``host`` and return an address to connect to, or raise if any is private."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise httpcore.ConnectError(f"cannot resolve {host!r}: {err}") from err
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host!r}")
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked:
        raise BlockedDestinationError(
            "fetch", f"refused to connect to {host!r}: it resolves to non-public address {blocked[0]}"
        )
    return addresses[0]


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        address = await resolve_public(host, port)
        return await self._inner.connect_tcp(address, port, timeout=timeout,
                                             local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise BlockedDestinationError("fetch", "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An ``AsyncHTTPTransport`` whose connections go through the SSRF guard."""

    def __init__(self, *, limits: httpx.Limits, **kwargs: Any) -> None:
        super().__init__(limits=limits, **kwargs)
        # httpx does not expose ``network_backend``; build the same pool with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )
