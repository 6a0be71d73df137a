"""TCP and TLS connections for the fetcher's transport: opened only to addresses the SSRF
guard checked, with a deadline on every read, write and handshake, and errors raised as
httpx's own exception types (so the fetcher's rules see no difference)."""

from __future__ import annotations

import asyncio
import functools
import select
import ssl
from typing import Any

import httpx

from owingest.fetch.guard import resolve_public

__all__ = ["Stream", "default_ssl_context", "open_stream"]

_CHUNK = 2**16


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """One verifying context per process: loading the CA bundle costs ~40 ms, and a context
    is safe to share between connections."""
    return httpx.create_ssl_context()


def _readable(sock: Any) -> bool:
    """Data (or EOF) waiting on an idle socket: the server closed it or broke the protocol."""
    if sock is None or sock.fileno() < 0:
        return True
    poll = select.poll()
    poll.register(sock.fileno(), select.POLLIN)
    return bool(poll.poll(0))


class Stream:
    """One TCP (or TLS) connection with a deadline on every read and write."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._socket = writer.get_extra_info("socket")

    async def read(self, timeout: float | None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(_CHUNK)
        except TimeoutError as err:
            raise httpx.ReadTimeout("read timed out") from err
        except OSError as err:
            raise httpx.ReadError(str(err) or type(err).__name__) from err

    async def write(self, data: bytes, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(data)
                await self._writer.drain()
        except TimeoutError as err:
            raise httpx.WriteTimeout("write timed out") from err
        except (OSError, RuntimeError) as err:  # RuntimeError: the transport is already closed
            raise httpx.WriteError(str(err) or type(err).__name__) from err

    async def start_tls(self, context: ssl.SSLContext, host: str, timeout: float | None) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(context, server_hostname=host)
        except TimeoutError as err:
            self.close()
            raise httpx.ConnectTimeout("TLS handshake timed out") from err
        except (OSError, ssl.SSLError) as err:
            self.close()
            raise httpx.ConnectError(str(err) or type(err).__name__) from err

    def broken(self) -> bool:
        """An idle connection the server closed, reset or wrote to: not reusable."""
        # bytes the server sent after the last response sit in the reader's buffer (asyncio
        # reads them off the socket at once), else still on the socket
        buffered = bool(self._reader._buffer)  # type: ignore[attr-defined]  # no public accessor
        return (buffered or self._reader.at_eof() or self._reader.exception() is not None
                or self._writer.is_closing() or _readable(self._socket))

    def close(self) -> None:
        self._writer.close()


async def open_stream(host: str, port: int, *, guard: bool, timeout: float | None) -> Stream:
    """A connection to the first address that accepts (each checked by the guard)."""
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve_public(host, port) if guard else (host,)
            error: OSError | None = None
            for address in addresses:
                try:
                    reader, writer = await asyncio.open_connection(address, port, limit=_CHUNK)
                except OSError as err:
                    error = err
                    continue
                return Stream(reader, writer)
    except TimeoutError as err:
        raise httpx.ConnectTimeout(f"no connection to {host!r} within {timeout:g} s") from err
    raise httpx.ConnectError(str(error) or "connection refused")
