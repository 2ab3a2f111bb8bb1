"""The load client: WeChat's side of ``POST /wechat``, cheap enough to share two cores with the server.

Requests are built *before* a level starts (signed, AES-encrypted, unique MsgId and nonce, one openid
per simulated user), so the timed loop does no crypto: ``concurrency`` asyncio tasks write them,
pre-serialised, one connection each (or through aiohttp, ``client="aiohttp"``) and keep the raw
replies. Replies are verified afterwards, outside the timed
window, by ``tests.wechat_client`` (an implementation written from WeChat's docs with
``cryptography`` only, not wechatpy): a reply that is not HTTP 200, does not verify or decrypt, is
addressed to someone else or is not the kind of answer the message asks for counts as an error.

Each simulated user sends a script of 20 messages: 14 searches from a fixed query list, 3 ``更多``,
2 result numbers and 1 ``帮助`` (70/15/10/5 %), the first always a search, so paging and picking
work on a real conversation held in Redis. A task takes the next user's script when it finishes
one, so the number of distinct openids grows with the number of requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlencode

from yarl import URL

from tests.wechat_client import decrypt, encrypt, message_xml, signature, xml_fields

COMMAND_WORDS = frozenset(
    [
        "帮助",
        "?",
        "help",
        "HELP",
        "Help",
        "更多",
        "下一页",
        "上一页",
        "上页",
        "前一页",
        "最新",
        "最新案例",
        "最新文章",
        "案例",
        "文章",
        "绑定",
        "分享",
        "标题",
        "换一批",
    ]
)
SCRIPT = ("search",) * 14 + ("more",) * 3 + ("pick",) * 2 + ("help",)
ACCOUNT = "gh_caselink_bench"
HELP_WORD = "帮助"
MORE_WORD = "更多"
# What each kind of message may be answered with (the start of the text, or a news card).
SEARCH_OK = ("找到 ", "没有与「", "没有找到与「")
MORE_OK = (*SEARCH_OK, "「", "最新", "还没有可以翻页的搜索")
# Answers that mean the bot failed, whatever the message was.
FAILED = ("抱歉，刚才出了点问题", "内容库正在准备中")


@dataclass(frozen=True)
class Keys:
    """The account's secrets as the WeChat side knows them."""

    token: str
    aes_key: str
    appid: str


@dataclass(frozen=True)
class Prepared:
    """One push, ready to send: what it asks, who sends it, its URL and encrypted body."""

    kind: str
    content: str
    openid: str
    nonce: str
    url: URL
    body: bytes

    @property
    def raw(self) -> bytes:
        """The whole HTTP/1.1 request, as the raw client writes it."""
        head = (
            f"POST {self.url.raw_path_qs} HTTP/1.1\r\nHost: {self.url.raw_authority}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode("ascii") + self.body


class RequestFactory:
    """Builds signed, encrypted text pushes with unique MsgIds and nonces, as WeChat does."""

    def __init__(self, base_url: str, keys: Keys, queries: list[str], seed: int = 1, distinct: bool = False):
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        # A generated "query" that is a command (最新, 文章, 帮助…) is not a search: the bot rightly
        # answers it as the command, which the checks would count as a wrong answer.
        self.queries = [q for q in queries if q not in COMMAND_WORDS and not front_desk_answers(q)]
        queries = self.queries
        # distinct: take the queries in turn, each once (until the list runs out), instead of at random
        self._turn = itertools.cycle(dict.fromkeys(queries)) if distinct else None
        self.rng = random.Random(seed)
        self.run = secrets.token_hex(3)  # openids and nonces differ between runs sharing one Redis
        self._msg_ids = count(time.time_ns() // 1000)
        self._users = count()
        self._nonces = count(self.rng.randrange(10**6))

    def request(self, kind: str, content: str, openid: str) -> Prepared:
        ts = str(int(time.time()))
        nonce = f"{self.run}{next(self._nonces)}"
        xml = message_xml(
            {
                "ToUserName": ACCOUNT,
                "FromUserName": openid,
                "CreateTime": int(ts),
                "MsgType": "text",
                "Content": content,
                "MsgId": next(self._msg_ids),
            }
        )
        encrypted = encrypt(xml, self.keys.aes_key, self.keys.appid)
        query = {
            "signature": signature(self.keys.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": openid,
            "encrypt_type": "aes",
            "msg_signature": signature(self.keys.token, ts, nonce, encrypted),
        }
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        url = URL(f"{self.base_url}/wechat?{urlencode(query)}", encoded=True)
        return Prepared(kind, content, openid, nonce, url, body.encode("utf-8"))

    def new_openid(self) -> str:
        return f"o-bench-{self.run}-{next(self._users)}"

    def script(self) -> list[Prepared]:
        """One new user's 20 messages: a search first, the rest of the mix shuffled."""
        openid = self.new_openid()
        rest = list(SCRIPT[1:])
        self.rng.shuffle(rest)
        out = []
        for kind in (SCRIPT[0], *rest):
            if kind == "search":
                content = next(self._turn) if self._turn is not None else self.rng.choice(self.queries)
            elif kind == "more":
                content = MORE_WORD
            elif kind == "pick":
                content = str(self.rng.randint(1, 5))
            else:
                content = HELP_WORD
            out.append(self.request(kind, content, openid))
        return out

    def prebuilt(self, n_requests: int) -> list[list[Prepared]]:
        """Scripts holding at least ``n_requests`` requests, built now."""
        return [self.script() for _ in range(-(-n_requests // len(SCRIPT)))]

    def endless(self) -> Iterator[list[Prepared]]:
        """Scripts built as they are needed (long runs, whose timestamps must stay fresh)."""
        while True:
            yield self.script()


@functools.cache
def _shipped_desk():
    from bot.chat.frontdesk.desk import Desk
    from bot.chat.frontdesk.rules import load_defaults
    from config.settings import CONFIG_DIR

    return Desk(load_defaults(CONFIG_DIR))


def front_desk_answers(query: str) -> bool:
    """Whether the bot answers ``query`` other than by searching it: a pick (``五个``, ``第六``) or a
    fixed answer of the shipped front desk (config/replies.yaml)."""
    from bot.chat.picking import parse_picks

    desk = _shipped_desk()
    answered = desk.answer_for(query, "client") is not None or desk.contains(query, "client") is not None
    return answered or parse_picks(query) is not None


@dataclass
class Record:
    """One request as it happened: when it started and ended (perf_counter), and the raw reply."""

    request: Prepared
    started: float
    ended: float
    status: int
    body: bytes

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class Stop:
    """When the timed loop ends (``at``, perf_counter); may be moved while it runs."""

    at: float
    max_requests: int


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of ``samples``; 0.0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class LevelResult:
    """Figures for one load level: throughput, latency percentiles and errors."""

    name: str
    concurrency: int
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    client_cpu: float = 0.0  # share of one core the client used while the level ran
    client_cpu_s: float = 0.0  # the client's CPU seconds in the timed loop (warm-up included)
    sent: int = 0  # requests sent in the timed loop (warm-up included)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<9} c={self.concurrency:<3} {self.requests:>6} req {self.rps:>7.0f}/s  "
            f"p50 {self.p50:6.1f}  p95 {self.p95:6.1f}  p99 {self.p99:6.1f} ms  errors {self.errors}"
            f"  (client CPU {self.client_cpu:.0%})"
        )

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["rps"] = round(self.rps, 1)
        return data


class _Exchange(asyncio.Protocol):
    """One request on its own connection: write it, collect the reply until the server closes."""

    def __init__(self, payload: bytes, done: asyncio.Future):
        self.payload = payload
        self.done = done
        self.chunks: list[bytes] = []

    def connection_made(self, transport) -> None:
        transport.write(self.payload)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(b"".join(self.chunks))


def parse_response(data: bytes) -> tuple[int, bytes]:
    """Status and body of a complete HTTP/1.1 response (``Connection: close``)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        return -1, b"malformed response"
    status = int(head[9:12])
    headers = head.lower()
    if b"transfer-encoding: chunked" in headers:
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if not size:
                break
            out, rest = out + rest[:size], rest[size + 2 :]
        body = out
    return status, body


async def _send_raw(loop, host: str, port: int, req: Prepared, timeout: float) -> tuple[int, bytes]:
    done = loop.create_future()
    transport, _ = await asyncio.wait_for(loop.create_connection(lambda: _Exchange(req.raw, done), host, port), timeout)
    try:
        return parse_response(await asyncio.wait_for(done, timeout))
    finally:
        transport.close()


async def drive(
    scripts: Iterable[list[Prepared]],
    concurrency: int,
    stop: Stop,
    *,
    timeout: float = 10.0,
    client: str = "raw",
) -> list[Record]:
    """Send the scripts' requests from ``concurrency`` tasks until ``stop`` (time or count).

    ``client="raw"`` (default) writes each pre-built request on a new connection with asyncio's
    transports and reads the reply to the close (gunicorn's sync workers close every
    connection), the least a client can do per request; ``"aiohttp"`` sends it with aiohttp.
    """
    if client == "raw":
        loop = asyncio.get_running_loop()

        async def send_raw(req: Prepared) -> tuple[int, bytes]:
            return await _send_raw(loop, req.url.host, req.url.port, req, timeout)

        return await _drive(scripts, concurrency, stop, send_raw, (OSError, TimeoutError, ValueError))
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    headers = {"Content-Type": "text/xml"}
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout, headers=headers) as session:

        async def send_aiohttp(req: Prepared) -> tuple[int, bytes]:
            async with session.post(req.url, data=req.body) as resp:
                return resp.status, await resp.read()

        return await _drive(scripts, concurrency, stop, send_aiohttp, (aiohttp.ClientError, TimeoutError))


async def _drive(scripts, concurrency: int, stop: Stop, send, failures: tuple) -> list[Record]:
    """Run ``concurrency`` simulated users, each taking the next script and sending its requests in order."""
    records: list[Record] = []
    source = iter(scripts)

    async def user_loop() -> None:
        perf = time.perf_counter
        while True:
            script = next(source, None)
            if script is None:
                return
            for req in script:
                if perf() >= stop.at or len(records) >= stop.max_requests:
                    return
                started = perf()
                try:
                    status, body = await send(req)
                except failures as exc:
                    status, body = -1, type(exc).__name__.encode()
                records.append(Record(req, started, perf(), status, body))

    await asyncio.gather(*(user_loop() for _ in range(concurrency)))
    return records


def run_level(
    name: str,
    scripts: Iterable[list[Prepared]],
    concurrency: int,
    duration: float,
    keys: Keys,
    *,
    warmup: float = 1.0,
    max_requests: int = 100_000,
    echo_text: str | None = None,
    client: str = "raw",
) -> tuple[LevelResult, list[Record]]:
    """Drive one level for ``warmup`` + ``duration`` seconds; figures count only after the warm-up."""
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    stop = Stop(t0 + warmup + duration, max_requests)
    records = asyncio.run(drive(scripts, concurrency, stop, client=client))
    cpu = time.process_time() - cpu0  # the timed loop only: building and verifying happen outside it
    elapsed = time.perf_counter() - t0
    result, records = summarize(
        name, concurrency, records, keys, t0 + warmup, echo_text, cpu / elapsed if elapsed else 0.0
    )
    result.client_cpu_s, result.sent = cpu, len(records)
    return result, records


def summarize(
    name: str,
    concurrency: int,
    records: list[Record],
    keys: Keys,
    since: float,
    echo_text: str | None = None,
    client_cpu: float = 0.0,
) -> tuple[LevelResult, list[Record]]:
    """Verify every reply; figures over the requests started at or after ``since``.

    When the count bound ended the run early (fewer than half of the requests after ``since``),
    only the first fifth of the requests is taken as the warm-up instead.
    """
    errors: Counter[str] = Counter()
    counted = [r for r in records if r.started >= since]
    if len(counted) < len(records) / 2:
        since = sorted(r.started for r in records)[len(records) // 5]
        counted = [r for r in records if r.started >= since]
    for r in records:  # warm-up replies must be right too
        problem = check(r, keys, echo_text)
        if problem:
            errors[problem] += 1
    latencies = [r.ms for r in counted]
    seconds = (max(r.ended for r in counted) - since) if counted else 0.0
    result = LevelResult(
        name=name,
        concurrency=concurrency,
        requests=len(counted),
        seconds=seconds,
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        errors=sum(errors.values()),
        error_kinds=dict(errors),
        by_kind=dict(Counter(r.request.kind for r in counted)),
        client_cpu=client_cpu,
    )
    return result, records


def open_reply(record: Record, keys: Keys) -> dict:
    """Verify and decrypt a reply as WeChat does; return its fields or raise ValueError/AssertionError."""
    outer = xml_fields(record.body.decode("utf-8"))
    if set(outer) != {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}:
        raise ValueError("not an encrypted reply")
    if outer["MsgSignature"] != signature(keys.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]):
        raise ValueError("bad MsgSignature")
    xml, appid = decrypt(outer["Encrypt"], keys.aes_key)
    if appid != keys.appid:
        raise ValueError("wrong appid")
    return xml_fields(xml)


def check(record: Record, keys: Keys, echo_text: str | None = None) -> str | None:
    """Why this reply is wrong (a short category), or None when it is right."""
    if record.status != 200:
        return f"http {record.status}"
    if record.body.strip() in (b"", b"success"):
        return "no passive reply"
    try:
        fields = open_reply(record, keys)
    except Exception:  # anything that does not verify or decrypt is an error, whatever broke
        return "does not verify/decrypt"
    if fields.get("ToUserName") != record.request.openid:
        return "addressed to another user"
    if fields.get("MsgType") == "news":
        return None if record.request.kind == "pick" else "unexpected card"
    if fields.get("MsgType") != "text":
        return "unexpected reply type"
    content = fields.get("Content", "")
    if echo_text is not None:
        return None if content == echo_text else "wrong echo"
    if content.startswith(FAILED):
        return "bot failed"
    kind = record.request.kind
    ok = {
        "search": content.startswith(SEARCH_OK),
        "more": content.startswith(MORE_OK),
        # a number past a short list is told how many there are (只有 2 条，回复 1–2 选一条。)
        "pick": content.startswith((*SEARCH_OK, "只有 ")) or "已失效" in content,
        "help": HELP_WORD in content and "更多" in content,
    }[kind]
    return None if ok else f"unexpected {kind} answer"


def reply_text(record: Record, keys: Keys) -> str:
    """The decrypted text of a reply ('' when it has none)."""
    with contextlib.suppress(Exception):
        return open_reply(record, keys).get("Content", "")
    return ""
