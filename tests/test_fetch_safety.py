"""Page fetches as an attacker would use them (issue 8.1): this machine, the private network, odd
address notations, redirects, proxies, slow and huge answers. Each case is the attack; it must fail
safely, and the "internal service" stand-in must never be reached.

The stand-ins listen on 127.0.0.1. A fetch may reach one only when the test says so through
``FetchPolicy(loopback_ports=...)``/``Settings.fetch_loopback_ports``, which no environment variable sets.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time

import pytest

from config.settings import load_settings
from indexer.fetch import FetchError, FetchPolicy, UnsafeAddress, fetch, is_public_address
from indexer.sources.url_list import read_url_list
from tests.stubs import StubServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
SECRET_PAGE = "<html><head><title>内部监控</title></head><body><p>绝密指标 redis 口令</p></body></html>"
PUBLIC_PAGE = (
    "<html><head><title>公开文章</title></head><body><article><p>一篇公开的文章正文。</p></article></body></html>"
)


@pytest.fixture
def internal():
    """A service on this machine an attacker wants to read (the bot's /metrics, Redis …)."""
    with StubServer({("GET", "/metrics"): (200, HTML, SECRET_PAGE)}) as stub:
        yield stub


@pytest.fixture
def public():
    """Plays a public web site: the only loopback port the tests' policy opens."""
    with StubServer({("GET", "/post"): (200, HTML, PUBLIC_PAGE)}) as stub:
        yield stub


def allow(*servers: StubServer, **kw) -> FetchPolicy:
    return FetchPolicy(loopback_ports=frozenset(s.port for s in servers), **kw)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space (CGNAT)
        ("224.0.0.1", False),  # multicast (Python 3.11 calls it global)
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:0808:0808::1", True),  # 6to4 of a public address
        ("not an address", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/metrics",
        "http://localhost:{port}/metrics",
        "http://LOCALHOST.:{port}/metrics",
        "http://2130706433:{port}/metrics",  # 127.0.0.1 as one decimal number
        "http://0x7f.1:{port}/metrics",
        "http://0x7f000001:{port}/metrics",
        "http://127.1:{port}/metrics",
        "http://0177.0.0.1:{port}/metrics",
        "http://0.0.0.0:{port}/metrics",
        "http://[::ffff:127.0.0.1]:{port}/metrics",
        "http://[::1]:{port}/metrics",
        "http://user:pw@127.0.0.1:{port}/metrics",
    ],
)
def test_this_machine_is_refused_in_any_notation(internal, public, template):
    with pytest.raises(UnsafeAddress) as info:
        fetch(template.format(port=internal.port), allow(public), timeout=3)
    assert "不能抓取" in str(info.value)
    assert internal.calls == []


@pytest.mark.parametrize(
    "url", ["http://10.255.255.1/", "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/"]
)
def test_private_networks_are_refused_before_connecting(url):
    # UnsafeAddress, not the FetchError of a timeout: refused before any connection was tried.
    with pytest.raises(UnsafeAddress):
        fetch(url, FetchPolicy(), timeout=5)


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/metrics",
        "http://2130706433:{port}/metrics",
        "http://localhost:{port}/metrics",
        "http://[::ffff:127.0.0.1]:{port}/metrics",
    ],
)
def test_every_redirect_hop_is_checked(internal, public, location):
    public.route("GET", "/moved", (302, {"Location": location.format(port=internal.port)}, ""))
    with pytest.raises(UnsafeAddress):
        fetch(public.url + "/moved", allow(public), timeout=3)
    assert [c.path for c in public.calls] == ["/moved"]
    assert internal.calls == []


def test_redirects_to_allowed_pages_are_followed_a_few_times(public):
    public.route("GET", "/old", (301, {"Location": "/post"}, ""))
    page = fetch(public.url + "/old", allow(public), timeout=3)
    assert page.url == public.url + "/post" and "公开的文章" in page.body.decode("utf-8")
    public.route("GET", "/loop", (302, {"Location": "/loop"}, ""))
    with pytest.raises(FetchError) as info:
        fetch(public.url + "/loop", allow(public), timeout=3)
    assert "跳转超过" in str(info.value)


def test_proxy_environment_variables_are_ignored(public, monkeypatch):
    with StubServer({("GET", "/post"): (200, HTML, SECRET_PAGE)}) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        page = fetch(public.url + "/post", allow(public, proxy), timeout=3)
    assert "公开的文章" in page.body.decode("utf-8")
    assert proxy.calls == [] and len(public.calls) == 1


class DripServer:
    """Answers every request one byte every ``interval`` seconds: in the body or already in the headers."""

    def __init__(self, interval: float, in_headers: bool, tls: ssl.SSLContext | None = None):
        self.interval, self.in_headers, self.tls = interval, in_headers, tls
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
            if not self.in_headers:
                conn.sendall(head)
            for byte in head if self.in_headers else b"x" * 1000:
                if self.stop.wait(self.interval):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_server_sending_one_byte_every_two_seconds_is_cut_at_the_deadline(in_headers):
    with DripServer(2.0, in_headers) as drip:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            fetch(f"http://127.0.0.1:{drip.port}/", FetchPolicy(loopback_ports=frozenset({drip.port})), timeout=2.5)
        elapsed = time.monotonic() - started
    assert "超时" in str(info.value)
    assert elapsed < 2.5 + 1.5  # each byte arrives within a per-read timeout: only the deadline stops it


def test_the_body_is_capped(public):
    big = "<html><body>" + "很长的正文" * 2000 + "</body></html>"
    public.route("GET", "/big", (200, HTML, big))
    with pytest.raises(FetchError) as info:
        fetch(public.url + "/big", allow(public, max_bytes=4096), timeout=3)
    assert "超过" in str(info.value)


def test_the_allowlist_narrows_fetches(public):
    with pytest.raises(UnsafeAddress) as info:
        fetch(public.url + "/post", allow(public, allowed_hosts=("mp.weixin.qq.com",)), timeout=3)
    assert "FETCH_ALLOWED_HOSTS" in str(info.value) and public.calls == []
    assert fetch(public.url + "/post", allow(public, allowed_hosts=("127.0.0.1",)), timeout=3).body
    policy = FetchPolicy(allowed_hosts=("mp.weixin.qq.com", ".example.cn"))
    assert [policy.host_allowed(h) for h in ("mp.weixin.qq.com", "blog.example.cn", "example.cn", "evil.cn")] == [
        True,
        True,
        True,
        False,
    ]


def test_the_allowlist_is_a_setting_but_loopback_is_not():
    settings = load_settings({"FETCH_ALLOWED_HOSTS": "mp.weixin.qq.com, .Example.cn", "FETCH_LOOPBACK_PORTS": "6379"})
    policy = FetchPolicy.from_settings(settings)
    assert policy.allowed_hosts == ("mp.weixin.qq.com", ".example.cn")
    assert policy.loopback_ports == frozenset()  # no environment variable opens this machine


def test_a_url_list_entry_on_this_machine_is_a_problem_not_a_document(tmp_path, internal, public):
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{internal.url}/metrics\nhttp://2130706433:{internal.port}/metrics\n{public.url}/post\n", "utf-8")
    result = read_url_list(urls, timeout=3, policy=allow(public))
    assert [d.title for d in result.documents] == ["公开文章"]
    assert [p.category for p in result.problems] == ["unsafe", "unsafe"]
    assert all("不能抓取" in p.reason for p in result.problems)
    assert internal.calls == []


# --- HTTPS: the checked address, the real host name for the certificate, the same deadline ---------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (key and cert files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caselink-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem", folder / "key.pem"


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def tls_public(certificate):
    """A public stand-in behind TLS (its listening socket wrapped before any request)."""
    with StubServer({("GET", "/post"): (200, HTML, PUBLIC_PAGE)}) as stub:
        stub._server.socket = server_context(certificate).wrap_socket(stub._server.socket, server_side=True)
        yield stub


def test_https_pages_are_fetched_with_the_certificate_checked(tls_public, certificate):
    url = f"https://127.0.0.1:{tls_public.port}/post"
    page = fetch(url, allow(tls_public, ca_file=str(certificate[0])), timeout=5)
    assert "公开的文章" in page.body.decode("utf-8")
    with pytest.raises(FetchError) as info:
        fetch(url, allow(tls_public), timeout=5)  # the public CA bundle does not know this certificate
    assert "证书" in str(info.value)


def test_a_dripping_https_body_is_cut_at_the_deadline_too(certificate):
    with DripServer(2.0, in_headers=False, tls=server_context(certificate)) as drip:
        policy = FetchPolicy(loopback_ports=frozenset({drip.port}), ca_file=str(certificate[0]))
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            fetch(f"https://127.0.0.1:{drip.port}/", policy, timeout=2.5)
        elapsed = time.monotonic() - started
    assert "超时" in str(info.value) and elapsed < 2.5 + 1.5
