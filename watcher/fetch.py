"""The one HTTP client of the veille: deadlines, size cap, redirects, conditional GET.

Every failure becomes a `FetchError` whose message is French and names the URL,
so that one misbehaving site is reported on its source and never stops a cycle.
"""

from __future__ import annotations

import asyncio
import socket
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from watcher import __version__
from watcher.netguard import ALLOW_ENV_VAR, AddressRefused, GuardedTransport, NetworkPolicy, Resolver, system_resolve

USER_AGENT = f"veille-action-patients/{__version__} (media monitoring of the Action Patients collective)"
DEFAULT_DEADLINE_SECONDS = 20.0
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 5
DECODE_STEP = 64 * 1024
ACCEPT_FEEDS = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)


class FetchError(Exception):
    """A French, user-facing description of why a URL could not be fetched."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: str | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class RefusedAddress(FetchError):
    """The link leads into the internal network, where only the sources of sources.yaml may be reached."""


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes
    headers: httpx.Headers
    not_modified: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Fetcher:
    """One shared async client with global and per-host concurrency limits, and the network policy (`netguard`)."""

    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES
    max_connections: int = 20
    per_host: int = 4
    # No endpoint may be internal unless named: the caller names its sources (`NetworkPolicy.for_urls`).
    policy: NetworkPolicy = field(default_factory=lambda: NetworkPolicy.for_urls(()))
    resolve: Resolver = system_resolve
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)
    _host_slots: defaultdict[str, asyncio.Semaphore] = field(init=False, repr=False)
    _slots: asyncio.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._host_slots = defaultdict(lambda: asyncio.Semaphore(self.per_host))
        # Waiting for a free connection must not eat into a request's deadline: the slot
        # is taken before the clock starts (httpx's pool would otherwise queue inside it).
        self._slots = asyncio.Semaphore(self.max_connections)

    async def __aenter__(self) -> Fetcher:
        limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT_FEEDS, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(self.deadline_seconds, connect=10.0),
            transport=GuardedTransport(
                self.policy,
                limits=limits,
                retries=1,
                resolve=self.resolve,
            ),
            # Proxies from the environment would open connections the guard never sees.
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        if self._client is None:
            raise RuntimeError("Fetcher used outside of 'async with'")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        async with self._host_slots[host], self._slots:
            try:
                # httpx timeouts apply per read; the whole request gets one deadline,
                # otherwise a server dripping a byte a second never times out.
                async with asyncio.timeout(self.deadline_seconds):
                    return await self._get(url, headers)
            except AddressRefused as exc:
                raise RefusedAddress(_refused_message(url, exc)) from None
            except TimeoutError:
                raise FetchError(f"délai dépassé ({self.deadline_seconds:g} s) pour {url}") from None
            except httpx.TooManyRedirects:
                raise FetchError(f"trop de redirections (plus de {MAX_REDIRECTS}) pour {url}") from None
            except httpx.ConnectError as exc:
                raise FetchError(_connect_error_message(url, exc)) from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise FetchError(f"connexion interrompue par le serveur pour {url} ({exc})") from None
            except httpx.InvalidURL:
                raise FetchError(f"adresse invalide : {url}") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"erreur réseau pour {url} : {exc.__class__.__name__} {exc}") from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        assert self._client is not None
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(str(response.url), 304, b"", response.headers, not_modified=True)
            if response.status_code >= 400:
                message = _status_message(url, response.status_code)
                if await _is_bot_challenge(response):
                    message = f"HTTP {response.status_code} : page de protection anti-robots (Cloudflare) pour {url}"
                raise FetchError(
                    message,
                    status=response.status_code,
                    retry_after=response.headers.get("retry-after"),
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(_too_large(url, self.max_bytes))
            body = await self._read_capped(response, url)
            return FetchResult(str(response.url), response.status_code, body, response.headers)

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in _decoded_chunks(response, url):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(_too_large(url, self.max_bytes))
                chunks.append(chunk)
        except zlib.error:
            raise FetchError(f"contenu compressé illisible pour {url}") from None
        return b"".join(chunks)


async def _decoded_chunks(response: httpx.Response, url: str) -> AsyncIterator[bytes]:
    """The body, decompressed here in bounded steps.

    httpx inflates each network chunk in one call, so a few kilobytes of gzip can
    become tens of megabytes in memory before any cap is checked (a compression
    bomb). Inflating with `max_length` keeps every step at most DECODE_STEP bytes.
    """
    codings = [c.strip() for c in response.headers.get("content-encoding", "").lower().split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        async for chunk in response.aiter_raw():
            yield chunk
        return
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"encodage de contenu non pris en charge « {', '.join(codings)} » pour {url}")
    # 32 + MAX_WBITS reads both gzip and zlib headers; some servers send raw deflate, retried below.
    inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)
    started = False
    async for raw in response.aiter_raw():
        data = raw
        if not started and codings[0] == "deflate":
            started = True
            try:
                zlib.decompressobj(32 + zlib.MAX_WBITS).decompress(data[:64], 1)
            except zlib.error:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while data and not inflater.eof:
            out = inflater.decompress(data, DECODE_STEP)
            data = inflater.unconsumed_tail
            if out:
                yield out
    while not inflater.eof:
        out = inflater.decompress(b"", DECODE_STEP)
        if not out:
            break
        yield out


_CHALLENGE_MARKERS = (
    b"cf-browser-verification",
    b"cf_chl_",
    b"challenge-platform",
    b"Attention Required! | Cloudflare",
)


async def _is_bot_challenge(response: httpx.Response) -> bool:
    """Cloudflare answers robots with a 403/503 challenge page; say so rather than « accès interdit »."""
    if response.status_code not in (403, 429, 503):
        return False
    if response.headers.get("cf-mitigated") == "challenge":
        return True
    if "cloudflare" not in response.headers.get("server", "").lower() and "cf-ray" not in response.headers:
        return False
    head = b""
    try:
        async for chunk in _decoded_chunks(response, str(response.url)):
            head += chunk
            if len(head) >= 16 * 1024:  # markers sit in the page's head; never read an error page whole
                break
    except (httpx.HTTPError, FetchError, zlib.error):
        return False
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def _too_large(url: str, limit: int) -> str:
    size = f"{limit / (1024 * 1024):g} Mo" if limit >= 1024 * 1024 else f"{limit / 1024:g} Ko"
    return f"réponse trop volumineuse (plus de {size}) pour {url}"


def _status_message(url: str, status: int) -> str:
    reasons = {
        401: "accès refusé (authentification requise)",
        403: "accès interdit (le site bloque peut-être les robots)",
        404: "page introuvable",
        410: "flux supprimé définitivement",
        429: "trop de requêtes, le site demande de ralentir",
        500: "erreur interne du serveur",
        502: "passerelle en erreur",
        503: "service indisponible",
        504: "délai de passerelle dépassé",
    }
    reason = reasons.get(status, "réponse en erreur")
    return f"HTTP {status} : {reason} pour {url}"


def _refused_message(url: str, exc: AddressRefused) -> str:
    return (
        f"lien vers le réseau interne refusé pour {url} ({exc}) : seules les sources de sources.yaml y ont accès, "
        f"sauf avec {ALLOW_ENV_VAR}=1"
    )


def _connect_error_message(url: str, exc: Exception) -> str:
    # httpx's own message is generic; the socket error that explains it sits down the chain.
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"nom de domaine introuvable pour {url}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connexion refusée pour {url}"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "name resolution" in text or "nodename nor servname" in text:
        return f"nom de domaine introuvable pour {url}"
    return f"connexion impossible pour {url} ({exc})"
