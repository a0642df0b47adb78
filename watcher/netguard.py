"""Where outbound requests may go: the internal network only at the sources that sources.yaml names.

A feed is third-party content: an item's link, a page's links or a redirect can
point at 127.0.0.1, at the cloud metadata service (169.254.169.254) or at a
database of the compose network. The guard refuses every address that is not
publicly routable (private, loopback, link-local, CGNAT, NAT64, multicast,
reserved…) unless the request goes to the host and port of a configured
source, or `WATCHER_ALLOW_PRIVATE_NETWORKS=1` lifts the rule.

The check happens where the connection is made, in httpcore's network backend:
the name is resolved here, the addresses are checked, and the socket is opened
to the very address that was checked. A name that resolves to a private address
is refused as well as a literal one, and a name that answers a public address to
one lookup and a private one to the next (DNS rebinding) gains nothing, since no
second lookup happens. Every connection goes through it: the first request, each
redirect hop, item links, page listings.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

ALLOW_ENV_VAR = "WATCHER_ALLOW_PRIVATE_NETWORKS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Not covered (or not wholly) by the `ipaddress` flags: shared address space, NAT64 prefixes (they reach IPv4
# addresses, 127.0.0.1 included, through a gateway), multicast is « global » to `ipaddress`.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_public(address: IPAddress) -> bool:
    """True for a publicly routable unicast address; False for anything that may lead inside."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if any(address in network for network in _NAT64):
            return False
        if address.sixtofour is not None:  # 2002::/16 carries an IPv4 address of its own
            return is_public(address.sixtofour)
    elif address in _CGNAT:
        return False
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    return address.is_global


def env_allows_private() -> bool:
    return os.environ.get(ALLOW_ENV_VAR, "").strip().lower() in ("1", "true", "yes", "oui")


def endpoint(url: str) -> tuple[str, int] | None:
    """(host as sent on the wire, port) of an http(s) URL; None when it has no host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    if not host:
        return None
    return host, parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 80)


@dataclass(frozen=True)
class NetworkPolicy:
    """The endpoints allowed to be internal, and whether every endpoint is."""

    allowed: frozenset[tuple[str, int]] = frozenset()
    allow_private: bool = False

    @classmethod
    def for_urls(cls, urls: Iterable[str], *, allow_private: bool | None = None) -> NetworkPolicy:
        """The named URLs' hosts and ports may be internal; the environment variable may allow everything."""
        named = frozenset(found for url in urls if (found := endpoint(url)) is not None)
        return cls(named, env_allows_private() if allow_private is None else allow_private)

    def names(self, host: str, port: int) -> bool:
        return self.allow_private or (host.lower().rstrip("."), port) in self.allowed


LOOKUP_SECONDS = 2.0  # for all the names of an OPML file together: an import must not hang on a slow resolver


def internal_addresses(urls: Iterable[str]) -> dict[str, list[str]]:
    """The URLs whose host is, or now resolves to, nothing but non-public addresses, with those addresses.

    For what enters sources.yaml from outside (an OPML file): once there, a source may reach the internal
    network. A name that does not resolve (yet) is not listed: the connection-time guard still applies.
    """
    hosts = {url: found[0] for url in urls if (found := endpoint(url)) is not None}

    def lookup(host: str) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, None)))
        except (OSError, UnicodeError):
            return []

    executor = ThreadPoolExecutor(max_workers=8)
    futures = {host: executor.submit(lookup, host) for host in set(hosts.values())}
    wait(futures.values(), timeout=LOOKUP_SECONDS)
    executor.shutdown(wait=False, cancel_futures=True)
    # A lookup still queued when time ran out is cancelled, and a cancelled future is « done » too: its result
    # raises. With more hosts than lookup threads (an OPML of the whole sources.yaml), that stopped the import.
    addresses = {host: future.result() for host, future in futures.items() if future.done() and not future.cancelled()}
    return {
        url: found
        for url, host in hosts.items()
        if (found := addresses.get(host)) and not any(is_public(ipaddress.ip_address(a.split("%")[0])) for a in found)
    }


class AddressRefused(Exception):
    """A connection the policy refuses: the address is internal and the endpoint is not a named source."""

    def __init__(self, host: str, port: int, addresses: list[str]):
        self.host, self.port, self.addresses = host, port, addresses
        shown = host if host in addresses else f"{host} → {', '.join(addresses)}"
        super().__init__(f"{shown}, port {port}")


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's backend, with the resolution and the policy check in front of every TCP connection."""

    def __init__(
        self,
        policy: NetworkPolicy,
        resolve: Resolver = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ):
        self.policy = policy
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"résolution de {host} trop lente") from None
        if not self.policy.names(host, port):
            allowed = [address for address in addresses if is_public(ipaddress.ip_address(address))]
            if not allowed:
                raise AddressRefused(host, port, addresses)
            addresses = allowed
        # Connect to the checked address itself: a second lookup could answer something else.
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            found = await self._resolve(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if not found:
            raise httpcore.ConnectError(f"aucune adresse pour {host}")
        return found

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("connexions locales (socket Unix) non autorisées")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificates every fetch checks against, read once per process.

    Reading the CA bundle costs some 25 ms of CPU; httpx reads it anew for each transport, which a cycle opens
    afresh. One context serves every connection, in every thread. A certificate store changed on disk is read at
    the next start.
    """
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection the policy checks."""

    def __init__(
        self, policy: NetworkPolicy, *, limits: httpx.Limits, retries: int = 0, resolve: Resolver = system_resolve
    ):
        super().__init__(verify=tls_context(), limits=limits, retries=retries)
        # httpx has no parameter for the network backend: its pool is replaced by one built alike, with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            network_backend=GuardedBackend(policy, resolve),
        )
