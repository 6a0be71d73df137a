"""The fetcher's connection layer (fetch/network.py) over real loopback sockets: keep-alive
reuse, idle connections the server closed, TLS with host-name verification, refused ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from owingest.config import FetchSettings
from owingest.fetch import Fetcher
from owingest.fetch.network import FetchTransport
from owingest.models import FetchOutcome

pytestmark = pytest.mark.integration

BODY = b"<rss><channel><title>t</title></channel></rss>"
BIG = b"<rss>" + b"x" * 2**20 + b"</rss>"
# answers the fetcher never reads the body of: (head, body, pause between them in seconds)
UNREAD: dict[bytes, tuple[bytes, bytes, float]] = {
    b"/304": (b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n", b"", 0),
    b"/404": (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 39\r\n\r\n",
              b"<html><body>no such page</body></html>\n", 0.05),  # the page comes in a later read
    b"/moved": (b"HTTP/1.1 301 Moved Permanently\r\nLocation: /feed\r\nContent-Length: 0\r\n\r\n", b"", 0),
    b"/410-long": (b"HTTP/1.1 410 Gone\r\nContent-Length: %d\r\n\r\n" % len(BIG), BIG, 0),
    b"/404-slow": (b"HTTP/1.1 404 Not Found\r\nContent-Length: 39\r\n\r\n",
                   b"<html><body>no such page</body></html>\n", 2.0),
    # a 304 has no body, whatever the server says: bytes after it belong to no response
    b"/304-with-body": (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n",
                        b"HTTP/1.1 200", 0.05),
    b"/304-chunked": (b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                      b"0\r\n\r\n", 0.05),
}


class TinyServer:
    """HTTP/1.1 on 127.0.0.1 in the test's own event loop: counts connections; with
    ``close_idle`` it hangs up on every connection right after its first answer, without
    saying so (as a server whose keep-alive timeout is shorter than the client's)."""

    def __init__(self, *, close_idle: bool = False) -> None:
        self.close_idle = close_idle
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def start(self, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> int:
        self._server = await asyncio.start_server(self._handle, host, 0, ssl=ssl_context)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                target = head.split(b" ", 2)[1]
                if target in UNREAD:
                    await self._unread(writer, *UNREAD[target])
                    continue
                body = BIG if b" /big " in head else BODY
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                if self.close_idle:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _unread(writer: asyncio.StreamWriter, head: bytes, body: bytes, pause: float) -> None:
        writer.write(head)
        await writer.drain()
        if body:
            await asyncio.sleep(pause)
            writer.write(body)
            await writer.drain()


def run(body: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(body())


def settings(**overrides: Any) -> FetchSettings:
    base: dict[str, Any] = {"allow_private_hosts": True, "connect_timeout": 1.0, "read_timeout": 1.0,
                            "total_timeout": 3.0, "max_attempts": 1}
    return FetchSettings(**{**base, **overrides})


def test_a_kept_alive_connection_is_reused_for_the_same_host() -> None:
    server = TinyServer()

    async def go() -> list[FetchOutcome]:
        port = await server.start()
        async with Fetcher(settings()) as fetcher:
            outcomes = [await fetcher.fetch(f"http://127.0.0.1:{port}/feed/{n}") for n in range(3)]
        await server.stop()
        return outcomes

    outcomes = run(go)
    assert [o.document.body if o.document else o.error for o in outcomes] == [BODY] * 3
    assert (server.requests, server.connections) == (3, 1)


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    server = TinyServer(close_idle=True)

    async def go() -> list[FetchOutcome]:
        port = await server.start()
        async with Fetcher(settings()) as fetcher:
            first = await fetcher.fetch(f"http://127.0.0.1:{port}/a")
            await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
            second = await fetcher.fetch(f"http://127.0.0.1:{port}/b")
        await server.stop()
        return [first, second]

    outcomes = run(go)
    # max_attempts=1: a reused dead connection would have been an error, not a second body
    assert [o.document.body if o.document else o.error for o in outcomes] == [BODY, BODY]
    assert (server.requests, server.connections) == (2, 2)


def test_a_response_abandoned_mid_body_never_goes_back_to_the_pool() -> None:
    server = TinyServer()

    async def go() -> list[FetchOutcome]:
        port = await server.start()
        async with Fetcher(settings(max_bytes=64 * 1024)) as fetcher:
            big = await fetcher.fetch(f"http://127.0.0.1:{port}/big")
            small = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        await server.stop()
        return [big, small]

    big, small = run(go)
    assert big.error == "fetch: Content-Length 1048587 is over the cap of 65536 bytes"
    # the rest of the big body was never read: the next request needs a connection of its own
    assert small.document is not None and small.document.body == BODY
    assert (server.requests, server.connections) == (2, 2)


def test_answers_whose_bodies_are_not_read_keep_their_connection() -> None:
    # a warm run: 304s, an error page, a redirect; none of their bodies is wanted, and a new
    # connection (a handshake, on a real host) for each would cost more than reading them
    server = TinyServer()

    async def go() -> list[FetchOutcome]:
        port = await server.start()
        async with Fetcher(settings()) as fetcher:
            outcomes = [await fetcher.fetch(f"http://127.0.0.1:{port}{path}")
                        for path in ("/304", "/304", "/404", "/moved", "/304")]
        await server.stop()
        return outcomes

    outcomes = run(go)
    assert [(o.status, o.not_modified, o.error) for o in outcomes] == [
        (304, True, None), (304, True, None), (404, False, "fetch: HTTP 404 Not Found"),
        (200, False, None), (304, True, None)]
    assert (server.requests, server.connections) == (6, 1)


@pytest.mark.parametrize("path", ["/304-with-body", "/304-chunked"])
def test_bytes_after_a_response_never_reach_the_next_one(path: str) -> None:
    server = TinyServer()

    async def go() -> tuple[FetchOutcome, FetchOutcome]:
        port = await server.start()
        async with Fetcher(settings()) as fetcher:
            first = await fetcher.fetch(f"http://127.0.0.1:{port}{path}")
            await asyncio.sleep(0.2)       # the stray bytes have arrived by now
            after = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        await server.stop()
        return first, after

    first, after = run(go)
    assert first.not_modified
    assert after.error is None and after.document is not None and after.document.body == BODY
    assert server.connections == 2     # the connection with stray bytes was not reused


@pytest.mark.parametrize("path", ["/410-long", "/404-slow"])
def test_an_unread_body_that_is_long_or_slow_closes_its_connection(path: str) -> None:
    server = TinyServer()

    async def go() -> tuple[FetchOutcome, FetchOutcome, float]:
        port = await server.start()
        async with Fetcher(settings()) as fetcher:
            started = time.monotonic()
            refused = await fetcher.fetch(f"http://127.0.0.1:{port}{path}")
            took = time.monotonic() - started
            after = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        await server.stop()
        return refused, after, took

    refused, after, took = run(go)
    assert refused.error is not None and refused.error.startswith("fetch: HTTP 4")
    assert took < 1.0  # the slow page (2 s) was not waited for
    assert after.document is not None and after.document.body == BODY
    assert (server.requests, server.connections) == (2, 2)


def test_a_refused_port_is_a_transient_connection_error() -> None:
    async def go() -> FetchOutcome:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()  # nothing listens there any more
        async with Fetcher(settings()) as fetcher:
            return await fetcher.fetch(f"http://127.0.0.1:{port}/feed")

    outcome = run(go)
    assert outcome.error is not None and outcome.error.startswith("fetch: connection failed: ")
    assert (outcome.transient, outcome.status) == (True, None)


# ---- TLS ------------------------------------------------------------------------------------

def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1 (cert file, key file)."""
    crypto = pytest.importorskip("cryptography", reason="needs cryptography to make a test certificate")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize(("host", "verified"), [
    ("localhost", True), ("127.0.0.1", True),
    ("127.0.0.2", False),  # a name the certificate does not carry
])
def test_https_is_verified_against_the_host_name(tmp_path: Path, host: str, verified: bool) -> None:
    cert_file, key_file = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=str(cert_file))
    server = TinyServer()
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)

    async def go() -> tuple[FetchOutcome, FetchOutcome]:
        port = await server.start(server_context, host="127.0.0.2" if host == "127.0.0.2" else "127.0.0.1")
        transport = FetchTransport(limits=limits, guard=False, ssl_context=trusting)
        async with Fetcher(settings(), transport=transport) as fetcher:
            with_our_ca = await fetcher.fetch(f"https://{host}:{port}/feed")
        async with Fetcher(settings()) as fetcher:  # the public CA bundle: a self-signed cert fails
            public_ca = await fetcher.fetch(f"https://{host}:{port}/feed")
        await server.stop()
        return with_our_ca, public_ca

    with_our_ca, public_ca = run(go)
    if verified:
        assert with_our_ca.document is not None and with_our_ca.document.body == BODY, with_our_ca.error
    else:
        assert with_our_ca.error is not None and "CERTIFICATE_VERIFY_FAILED" in with_our_ca.error
        assert "IP address mismatch" in with_our_ca.error
    assert public_ca.error is not None and public_ca.error.startswith("fetch: connection failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in public_ca.error
    assert server.requests == (1 if verified else 0)
