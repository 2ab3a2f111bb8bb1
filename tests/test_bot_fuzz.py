"""Property-based tests of the webhook: random and mutated pushes through the real Flask app.

Whatever arrives — random bytes, odd encodings, any size, genuine pushes with one thing changed,
made-up signatures — the answer is a deliberate 200/400/403/413, never a 500 or a swallowed
exception, and a push whose signed part was changed never reaches a handler (the message counter
on ``/metrics`` does not move). Bounded to a few seconds each (``max_examples``).
"""

from __future__ import annotations

import logging
import re
import secrets
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer, encrypt, message_xml

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ANSWERS = {200, 400, 403, 413}


class Failures(logging.Handler):
    """Collects the log records that mean a request crashed somewhere and was papered over."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def bots(tmp_path_factory, redis_url, sample_settings):
    """A bot in each mode, and a handler noticing every error-level log line they write."""
    from bot import create_app

    failures = Failures()
    for name in ("bot.web.errors", "bot.chat.dispatch", "bot.wechat"):
        logging.getLogger(name).addHandler(failures)
    apps = {
        mode: create_app(
            make_bot_settings(
                tmp_path_factory.mktemp(mode), redis_url, sample_settings.index_dir, WECHAT_MESSAGE_MODE=mode
            )
        )
        for mode in ("plain", "safe")
    }
    servers = {mode: WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID) for mode, app in apps.items()}
    yield servers, failures
    for name in ("bot.web.errors", "bot.chat.dispatch", "bot.wechat"):
        logging.getLogger(name).removeHandler(failures)
    for app in apps.values():
        app.extensions["caselink"].close()


def fresh(bots):
    """The bots, with the failure log emptied for this example."""
    servers, failures = bots
    failures.records.clear()
    return servers, failures


def handled(server: WeChatServer) -> float:
    """How many pushes reached a handler so far, as /metrics says."""
    text = server.client.get("/metrics").get_data(as_text=True)
    return sum(float(v) for v in re.findall(r"^caselink_messages_total\{[^}]*\} (\S+)$", text, re.M))


def sealed(server: WeChatServer, payload: bytes) -> tuple[dict, bytes]:
    """A safe-mode push carrying ``payload`` (any bytes) inside a correctly signed Encrypt."""
    encrypted = encrypt(payload, server.encoding_aes_key, server.appid)
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return server.query(encrypt_part=encrypted), body.encode("utf-8")


def check(reply, failures: Failures) -> None:
    assert reply.status in ANSWERS, (reply.status, reply.body[:200])
    assert "Traceback" not in reply.body
    assert not failures.records, [r.getMessage() for r in failures.records]


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
fields = st.dictionaries(
    st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey"]),
    st.one_of(texts, st.integers(-(2**70), 2**70)),
)


@FUZZ
@given(body=st.binary(max_size=2000), mode=st.sampled_from(["plain", "safe"]))
def test_random_bytes_get_a_deliberate_answer(bots, body, mode):
    servers, failures = fresh(bots)
    server = servers[mode]
    # Correctly signed: the body alone has to be judged (in safe mode, whatever the ciphertext holds).
    check(server.send(*(sealed(server, body) if mode == "safe" else (server.query(), body))), failures)


@FUZZ
@given(
    xml_fields=fields,
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "gbk", "latin-1", "utf-8-sig"]),
    declared=st.booleans(),
)
def test_odd_messages_and_encodings_never_crash(bots, xml_fields, encoding, declared):
    servers, failures = fresh(bots)
    server = servers["plain"]
    xml = message_xml(xml_fields)
    if declared:
        xml = f'<?xml version="1.0" encoding="{encoding}"?>' + xml
    body = xml.encode(encoding, "replace")
    check(server.send(server.query(), body), failures)
    safe = servers["safe"]
    check(safe.send(*sealed(safe, body)), failures)


@FUZZ
@given(
    # Not ``signature``: with encrypt_type=aes it is msg_signature that vouches for the push.
    target=st.sampled_from(["body", "msg_signature", "timestamp", "nonce", "encrypt_type"]),
    position=st.integers(0, 10**6),
    replacement=st.binary(min_size=1, max_size=3),
)
def test_a_push_whose_signed_part_was_changed_never_reaches_a_handler(bots, target, position, replacement):
    servers, failures = fresh(bots)
    server = servers["safe"]
    xml = server.text_xml(new_openid("fuzz"), "帮助")
    query, body = server.prepare(xml, "safe")
    encrypt_at = body.index(b"<Encrypt>")
    if target == "body":
        # Change a byte of the signed ciphertext (the outer ToUserName is not signed and not read).
        start, end = encrypt_at + len(b"<Encrypt><![CDATA["), body.index(b"]]></Encrypt>")
        at = start + position % (end - start)
        mutated = body[:at] + replacement + body[at + 1 :]
        if mutated == body:
            return
        query_out, body_out = query, mutated
    else:
        value = query.get(target, "")
        at = position % (len(value) + 1)
        changed = value[:at] + replacement.decode("latin-1") + value[at + 1 :]
        if changed == value:
            return
        query_out, body_out = {**query, target: changed}, body
    before = handled(server)
    check(server.send(query_out, body_out), failures)
    assert handled(server) == before


@FUZZ
@given(signature=st.text(max_size=60), msg_signature=st.text(max_size=60), timestamp=st.text(max_size=12))
def test_made_up_signatures_are_refused(bots, signature, msg_signature, timestamp):
    servers, failures = fresh(bots)
    for mode, server in servers.items():
        query, body = server.prepare(server.text_xml(new_openid("fuzz"), "帮助"), mode)
        forged = {**query, "signature": signature, "nonce": secrets.token_hex(6)}
        if mode == "safe":
            forged["msg_signature"] = msg_signature
        if timestamp:
            forged["timestamp"] = timestamp
        before = handled(server)
        reply = server.send(forged, body)
        check(reply, failures)
        assert reply.status == 403
        assert handled(server) == before


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(size=st.integers(0, 80_000))
def test_any_size_gets_a_deliberate_answer(bots, size):
    servers, failures = fresh(bots)
    server = servers["plain"]
    xml = server.text_xml(new_openid("fuzz"), "品" * (size // 3))
    reply = server.send(server.query(timestamp=int(time.time())), xml.encode("utf-8"))
    check(reply, failures)
    assert (reply.status == 413) == (len(xml.encode("utf-8")) > 64 * 1024)
