"""Fetch a web page safely: the one way CaseLink downloads pages (URL list, forwarded articles).

An admin's forwarded link or a line of the URL list names a host somebody else chose, so a fetch
must not become a way into the machine or its network (SSRF):

- the host is resolved once and *every* address it resolves to must be public: loopback, private,
  link-local, multicast, reserved, shared (CGNAT), unspecified and documentation ranges are refused,
  for IPv4 and IPv6, IPv4 inside IPv6 (mapped, NAT64, 6to4) and odd notations (``2130706433``,
  ``0x7f.1``, ``127.1``: the resolver reads them as 127.0.0.1, and that is what is checked);
- the connection goes to the address that was checked (no second lookup a DNS answer could change);
- every redirect is a new hop, checked the same way (at most ``MAX_REDIRECTS``);
- proxy environment variables are never read (``http.client`` has no proxy support to trust);
- one wall-clock deadline covers the whole fetch, redirects and DNS included: every read waits
  only for the time left, so a server that sends one byte every two seconds is cut off on time;
- the body is capped at ``MAX_BYTES``;
- ``FETCH_ALLOWED_HOSTS`` may narrow fetches further to named hosts (never widen them).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

__all__ = ["FetchError", "FetchPolicy", "Fetched", "UnsafeAddress", "fetch", "is_public_address"]

# mp.weixin.qq.com answers non-browser agents with a verification page, so look like a browser.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 CaseLink/0.1"
)
MAX_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
STATUS_HINTS = {403: "（禁止访问）", 404: "（页面不存在）", 410: "（页面已删除）", 429: "（请求太频繁）"}
_CHUNK = 64 * 1024
# Python 3.11's is_global calls these global although no public web page can live there.
_EMBEDS_IPV4 = ipaddress.ip_network("64:ff9b::/96")  # NAT64
_resolver: ThreadPoolExecutor | None = None


class FetchError(Exception):
    """The page could not be used; the message is the editor-facing reason (Chinese)."""


class UnsafeAddress(FetchError):
    """The URL leads to an address CaseLink must not fetch (this machine or a private network)."""


@dataclass(frozen=True)
class FetchPolicy:
    """Where fetches may go.

    ``loopback_ports`` exists for tests only (a local stand-in server on 127.0.0.1): it is not a
    setting, no environment variable reaches it, and it opens loopback on the listed ports only.
    ``ca_file`` replaces the public CA bundle (certifi) for HTTPS, e.g. a company's own CA.
    """

    allowed_hosts: tuple[str, ...] = ()
    loopback_ports: frozenset[int] = frozenset()
    max_bytes: int = MAX_BYTES
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        """The policy named by ``FETCH_ALLOWED_HOSTS`` (and a test's loopback ports)."""
        return cls(
            allowed_hosts=tuple(settings.fetch_allowed_hosts),
            loopback_ports=frozenset(settings.fetch_loopback_ports),
        )

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` is on the allowlist (always true without one)."""
        if not self.allowed_hosts:
            return True
        host = host.lower().rstrip(".")
        for entry in self.allowed_hosts:
            entry = entry.lower().strip().rstrip(".")
            if entry.startswith(("*.", ".")):
                suffix = entry.lstrip("*")
                if host.endswith(suffix) or host == suffix[1:]:
                    return True
            elif host == entry:
                return True
        return False


@dataclass(frozen=True)
class Fetched:
    """A downloaded page: the URL it finally came from, its bytes and declared charset."""

    url: str
    body: bytes
    content_type: str
    charset: str | None


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IP literal) is a public unicast address a web page may live on."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _EMBEDS_IPV4:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _public(inner) and (ip.ipv4_mapped is not None or _public(ip))
    return _public(ip)


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )


def fetch(url: str, policy: FetchPolicy, *, timeout: float, accept: str = "html") -> Fetched:
    """Download ``url`` within ``timeout`` seconds in all; raise FetchError (UnsafeAddress) with the reason."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        status, headers, conn = _request(url, policy, deadline, timeout)
        try:
            if status in REDIRECTS:
                location = headers.get("Location", "").strip()
                if not location:
                    raise FetchError(f"网页返回 HTTP {status} 跳转，但没有给出地址")
                seen += 1
                if seen > MAX_REDIRECTS:
                    raise FetchError(f"跳转超过 {MAX_REDIRECTS} 次，已放弃")
                url = urljoin(url, location)
                continue
            if status != 200:
                raise FetchError(f"网页返回 HTTP {status}{STATUS_HINTS.get(status, '')}")
            content_type = headers.get("Content-Type", "")
            if accept not in content_type.lower():
                raise FetchError(f"不是网页（Content-Type: {content_type or '未声明'}）")
            body = _read_body(conn.response, headers, policy.max_bytes, timeout)
            match = re.search(r"charset=([\w-]+)", content_type, re.I)
            return Fetched(url, body, content_type, match.group(1) if match else None)
        finally:
            conn.close()


class _Exchange:
    """An open connection and its response (closed by ``fetch``)."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.connection, self.response = connection, response

    def close(self) -> None:
        self.response.close()
        self.connection.close()


def _request(url: str, policy: FetchPolicy, deadline: float, timeout: float):
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeAddress("链接不是 http(s) 地址")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchError("链接的端口无效") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError("链接里没有网站地址")
    try:
        ascii_host = host if ":" in host else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError("链接里的网站名无效") from None
    if not policy.host_allowed(ascii_host):
        raise UnsafeAddress(f"网站 {host} 不在允许抓取的名单里（FETCH_ALLOWED_HOSTS）")
    if ascii_host.lower() == "localhost" or ascii_host.lower().endswith(".localhost"):
        raise UnsafeAddress("链接指向本机地址，出于安全考虑不能抓取")
    addresses = _resolve(ascii_host, port, deadline, timeout)
    for _, _, _, _, sockaddr in addresses:
        if not _allowed(sockaddr[0], port, policy):
            raise UnsafeAddress("链接指向本机或内网地址，出于安全考虑不能抓取")
    sock = _connect(addresses, deadline, timeout)
    try:
        if scheme == "https":
            sock = _tls(sock, ascii_host, deadline, policy.ca_file)
        conn = http.client.HTTPConnection(ascii_host, port)
        conn.sock = sock  # already connected to the checked address: http.client never resolves again
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"})
        response = conn.getresponse()
        return response.status, response.headers, _Exchange(conn, response)
    except (OSError, http.client.HTTPException) as exc:
        sock.close()
        raise _network_error(exc, timeout) from None


def _allowed(address: str, port: int, policy: FetchPolicy) -> bool:
    if is_public_address(address):
        return True
    try:
        loopback = ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
    return loopback and port in policy.loopback_ports


def _resolve(host: str, port: int, deadline: float, timeout: float) -> list:
    global _resolver
    if _resolver is None:  # created on first use: importing this module starts no threads
        _resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="caselink-dns")
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        raise FetchError(f"{timeout:g} 秒内没有找到网站的地址（超时）") from None
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"找不到网站 {host}（域名无法解析）") from None


class _DeadlineSocket(socket.socket):
    """A socket whose every read waits only for the time left before ``deadline``."""

    deadline = float("inf")

    def recv_into(self, buffer, nbytes=0, flags=0):
        self.settimeout(_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """The TLS counterpart of ``_DeadlineSocket``."""

    deadline = float("inf")

    def recv_into(self, buffer, nbytes=None, flags=0):
        self.settimeout(_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _connect(addresses: list, deadline: float, timeout: float) -> socket.socket:
    error: OSError | None = None
    for family, socktype, proto, _, sockaddr in addresses:
        sock = _DeadlineSocket(family, socktype, proto)
        sock.deadline = deadline
        try:
            sock.settimeout(_left(deadline))
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise _network_error(error or OSError("no address"), timeout)


def _tls(sock: socket.socket, host: str, deadline: float, ca_file: str | None) -> ssl.SSLSocket:
    import certifi

    context = ssl.create_default_context(cafile=ca_file or certifi.where())
    context.sslsocket_class = _DeadlineSSLSocket
    sock.settimeout(_left(deadline))  # the handshake as a whole stays within this
    wrapped = context.wrap_socket(sock, server_hostname=host)
    wrapped.deadline = deadline
    return wrapped


def _read_body(response: http.client.HTTPResponse, headers, max_bytes: int, timeout: float) -> bytes:
    too_big = FetchError(f"网页超过 {max_bytes // 1024 // 1024} MB，已放弃")
    declared = headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks, size = [], 0
    try:
        while chunk := response.read1(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise too_big
            chunks.append(chunk)
    except (OSError, http.client.HTTPException) as exc:
        raise _network_error(exc, timeout, reading=True) from None
    return _decode(b"".join(chunks), headers.get("Content-Encoding", ""), max_bytes, too_big)


def _decode(data: bytes, encoding: str, max_bytes: int, too_big: FetchError) -> bytes:
    # We ask for identity; a server compressing anyway is decoded with the same cap (no zip bombs).
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"网页用了不支持的压缩方式（{encoding}）")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if "gzip" in encoding else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise FetchError("网页的压缩数据已损坏") from None
    if len(out) > max_bytes:
        raise too_big
    return out


def _network_error(exc: BaseException, timeout: float, reading: bool = False) -> FetchError:
    if isinstance(exc, TimeoutError | socket.timeout):
        what = "没有下载完" if reading else "没有响应"
        return FetchError(f"{timeout:g} 秒内{what}（超时）")
    if isinstance(exc, ssl.SSLError):
        return FetchError(f"网站的 HTTPS 证书或加密连接有问题：{str(exc)[:120]}")
    if isinstance(exc, http.client.HTTPException):
        return FetchError(f"网站的回应不是有效的 HTTP：{type(exc).__name__}")
    return FetchError(f"无法连接：{str(exc)[:200]}")
