"""The webhook as WeChat drives it: every sample payload in every mode, forgeries, replays, limits."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

from bot import texts
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, OLD_AES_KEY, TOKEN, WELCOME, make_bot_settings, new_openid
from tests.conftest import shared_path
from tests.wechat_client import WeChatServer, encrypt, message_xml, signature

MODES = ["plain", "compat", "safe"]
# The bot set to each message mode (WECHAT_MESSAGE_MODE), and WeChat sending in that mode.
IN_EVERY_MODE = pytest.mark.parametrize(
    ("mode", "bot_env"), [(m, {"WECHAT_MESSAGE_MODE": m}) for m in MODES], ids=MODES
)
_unique = iter(range(10**6))

# sample file -> what the reply must be: ("text", substring) or ("success", None)
SAMPLES = {
    "text.xml": ("text", "this is a test"),
    "text_from_article.xml": ("text", "this is a test"),
    "voice_recognition.xml": ("text", "腾讯微信团队"),
    "voice_recognition_captured.xml": ("text", "今天天气不错"),
    "voice.xml": ("text", texts.VOICE_WITHOUT_TEXT),
    "image.xml": ("text", texts.UNSUPPORTED),
    "location.xml": ("text", texts.UNSUPPORTED),
    "link.xml": ("text", texts.UNSUPPORTED),
    "unknown_msgtype.xml": ("text", texts.UNSUPPORTED),
    "event_subscribe.xml": ("text", WELCOME),
    "event_subscribe_qrscene.xml": ("text", WELCOME),
    "event_click.xml": ("text", texts.HELP),
    "event_unsubscribe.xml": ("success", None),
    "event_view.xml": ("success", None),
    "event_location.xml": ("success", None),
    "event_scan.xml": ("success", None),
    "event_location_select_captured.xml": ("success", None),
}


def personalise(xml: str, user: str) -> str:
    """Give a shared sample its own sender and MsgId, so retries de-duplication keeps them apart."""
    xml = re.sub(
        r"<FromUserName><!\[CDATA\[[^\]]*\]\]></FromUserName>", f"<FromUserName><![CDATA[{user}]]></FromUserName>", xml
    )
    return re.sub(r"<MsgId>\d+</MsgId>", f"<MsgId>{int(time.time()) * 1000 + next(_unique)}</MsgId>", xml)


def test_every_sample_is_covered():
    folder = shared_path("wechat-samples", "plain")
    assert {p.name for p in folder.glob("*.xml")} == set(SAMPLES)


@IN_EVERY_MODE
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_sample_payloads_in_every_mode(wechat, sample, mode):
    raw = shared_path("wechat-samples", "plain", sample).read_text(encoding="utf-8")
    user = new_openid("sample")
    reply = wechat.post_xml(personalise(raw, user), mode)
    kind, expected = SAMPLES[sample]
    assert reply.status == 200
    if kind == "success":
        assert reply.success
        return
    assert reply.encrypted == (mode != "plain")
    assert reply.fields["MsgType"] == "text"
    assert reply.fields["ToUserName"] == user
    assert reply.fields["FromUserName"] == re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]>", raw).group(1)
    content = reply.text
    assert len(content.encode("utf-8")) <= 2048
    if expected in (texts.VOICE_WITHOUT_TEXT, texts.UNSUPPORTED, WELCOME, texts.HELP):
        assert content == expected
    else:  # a search: the recognised or typed words are what was searched for
        assert expected in content


def test_url_verification_vectors(tmp_path, sample_settings):
    from wechatpy.exceptions import InvalidSignatureException

    from bot.wechat.protocol import Codec

    vectors = json.loads(shared_path("wechat-samples", "url_verify_signature_vectors.json").read_text())
    for vector in vectors:
        codec = Codec(make_bot_settings(tmp_path, "", sample_settings.index_dir, WECHAT_TOKEN=vector["token"]))
        args = {k: vector[k] for k in ("timestamp", "nonce", "signature")}
        args["echostr"] = vector.get("echostr", "echo-me")
        at = int(vector["timestamp"])  # the vectors are years old: check them at their own time
        if vector["expect_valid"]:
            assert codec.verify_url(args, now=at).echostr == args["echostr"], vector["name"]
        else:
            with pytest.raises(InvalidSignatureException):
                codec.verify_url(args, now=at)


def test_url_verification_with_our_token(wechat):
    res = wechat.verify(echostr="5837397520665436492")
    assert (res.status_code, res.get_data(as_text=True)) == (200, "5837397520665436492")
    forged_args = {"timestamp": str(int(time.time())), "nonce": "2", "signature": "0" * 40, "echostr": "x"}
    assert wechat.client.get("/wechat", query_string=forged_args).status_code == 403


def test_a_verification_url_works_once_and_only_while_fresh(wechat):
    args = {**wechat.query(), "echostr": "once"}
    assert wechat.client.get("/wechat", query_string=args).get_data(as_text=True) == "once"
    assert wechat.client.get("/wechat", query_string=args).status_code == 403  # seen in a log, replayed
    assert wechat.verify(timestamp=int(time.time()) - 3600).status_code == 403
    assert wechat.verify(timestamp=int(time.time()) + 3600).status_code == 403


@pytest.mark.parametrize("bot_env", [{"WECHAT_MESSAGE_MODE": "plain"}, {}], ids=["plain", "safe"])
def test_a_captured_verification_url_cannot_carry_a_forged_push(wechat, bot_env):
    # The attack: a GET verification URL from a proxy log signs (token, timestamp, nonce) only, so
    # as a POST it would vouch for any plaintext body — here the admin asking for an admin invite.
    captured = {**wechat.query(), "echostr": "hello"}
    assert wechat.client.get("/wechat", query_string=captured).status_code == 200
    forged = wechat.text_xml(ADMIN, "邀请 管理员")
    reply = wechat.send({k: v for k, v in captured.items() if k != "echostr"}, forged.encode("utf-8"))
    assert (reply.status, reply.body) == (403, "forbidden")


@pytest.mark.parametrize("bot_env", [{"WECHAT_MESSAGE_MODE": "compat"}, {}], ids=["compat", "safe"])
def test_compat_and_safe_mode_refuse_plaintext_pushes(wechat, bot_env):
    reply = wechat.text(ADMIN, "邀请 管理员", "plain")  # correctly signed, but nothing vouches for the body
    assert (reply.status, reply.body) == (403, "forbidden")
    assert wechat.text(ADMIN, "帮助").text == texts.ADMIN_HELP  # the encrypted part is what counts


@pytest.mark.parametrize("bot_env", [{"WECHAT_MESSAGE_MODE": "compat"}], ids=["compat"])
def test_compat_mode_ignores_the_plaintext_beside_the_encrypted_part(wechat, bot_env):
    genuine = wechat.text_xml(new_openid(), "帮助")
    query, body = wechat.prepare(genuine, "compat")
    # Swap the plaintext copy for the admin asking for an invite; the signed Encrypt is untouched.
    forged = body.decode("utf-8").replace(genuine[: genuine.rindex("</xml>")], wechat.text_xml(ADMIN, "邀请")[:-6])
    assert forged != body.decode("utf-8")
    assert wechat.send(query, forged.encode("utf-8")).text == texts.HELP


@IN_EVERY_MODE
def test_forged_signature_is_refused(wechat, mode):
    user = new_openid()
    xml = wechat.text_xml(user, "品牌")
    ts, nonce = str(int(time.time())), "12345"
    args = {"timestamp": ts, "nonce": nonce, "signature": signature("wrong-token", ts, nonce)}
    if mode != "plain":
        enc = encrypt(xml, wechat.encoding_aes_key, wechat.appid)
        args.update(encrypt_type="aes", msg_signature=signature("wrong-token", ts, nonce, enc))
        xml = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    reply = wechat.post_xml(xml, "plain", args=args)
    assert (reply.status, reply.body) == (403, "forbidden")


@IN_EVERY_MODE
@pytest.mark.parametrize("variant", ["AES", "aEs", "Aes", "RAW", "aes ", ""])
def test_encrypt_type_other_than_exactly_aes_or_raw_is_a_bad_request(wechat, mode, variant):
    # WeChat sends exactly ``aes``; a case variant is not WeChat and is not read as if it were.
    query, body = wechat.prepare(wechat.text_xml(new_openid(), "帮助"), "safe")
    reply = wechat.send({**query, "encrypt_type": variant}, body, encrypted=True)
    assert (reply.status, reply.body) == (400, "bad request")
    assert wechat.send(query, body).text == texts.HELP  # the same push as WeChat sends it is answered


def test_tampered_ciphertext_is_refused(wechat):
    enc = encrypt(wechat.text_xml(new_openid(), "品牌"), wechat.encoding_aes_key, wechat.appid)
    args = wechat.query(encrypt_part=enc)
    tampered = enc[:10] + ("A" if enc[10] != "A" else "B") + enc[11:]
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{tampered}]]></Encrypt></xml>"
    assert wechat.post_xml(body, "plain", args=args).status == 403


def test_signed_but_undecryptable_is_a_bad_request(wechat):
    # Signed with our token but encrypted with a key we do not have: authentic, yet unreadable.
    enc = encrypt(wechat.text_xml(new_openid(), "品牌"), OLD_AES_KEY, wechat.appid)
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    assert wechat.post_xml(body, "plain", args=wechat.query(encrypt_part=enc)).status == 400


def test_a_message_for_another_appid_is_reported_as_such(wechat, caplog):
    # Right token and key, but sealed for another AppID: a configuration error the log must name.
    enc = encrypt(wechat.text_xml(new_openid(), "品牌"), wechat.encoding_aes_key, "wxanotheraccount1")
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    assert wechat.send(wechat.query(encrypt_part=enc), body.encode()).status == 400
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("wxanotheraccount1" in m and "WECHAT_APPID" in m for m in logged), logged


def test_messages_to_another_account_are_refused_when_the_account_id_is_set(tmp_path, redis_url, sample_settings):
    from bot import create_app

    env = {"WECHAT_ACCOUNT_ID": "gh_caselink"}
    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, **env))
    ours = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID, account="gh_caselink")
    other = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID, account="gh_someoneelse")
    assert ours.text(new_openid(), "帮助").text == texts.HELP
    assert other.text(new_openid(), "帮助").status == 403
    # In safe mode the outer ToUserName is not signed: only the one inside the ciphertext counts.
    query, body = other.prepare(other.text_xml(new_openid(), "帮助"))
    disguised = body.replace(b"gh_someoneelse", b"gh_caselink", 1)
    assert other.send(query, disguised).status == 403
    app.extensions["caselink"].close()


@IN_EVERY_MODE
def test_stale_or_future_timestamps_are_replays(wechat, mode):
    for skew in (-400, 400):
        reply = wechat.text(new_openid(), "品牌", mode, timestamp=int(time.time()) + skew)
        assert reply.status == 403


@IN_EVERY_MODE
def test_a_used_nonce_cannot_carry_another_message(wechat, mode):
    user, now = new_openid(), int(time.time())  # one timestamp: a second boundary must not make it a new pair
    first = wechat.text(user, "品牌", mode, nonce="424242" + mode, timestamp=now)
    assert first.status == 200
    again = wechat.text(user, "私域流量", mode, nonce="424242" + mode, timestamp=now)
    assert again.status == 403


@IN_EVERY_MODE
def test_a_retry_with_the_same_nonce_gets_the_same_reply(wechat, mode):
    query, body = wechat.prepare(wechat.text_xml(ADMIN, "邀请"), mode)
    first = wechat.send(query, body)
    second = wechat.send(query, body)  # WeChat's docs do not say whether retries reuse the nonce
    assert first.status == second.status == 200
    assert first.text.startswith("新的员工邀请码")
    assert first.body == second.body  # the same invite: processed once


@IN_EVERY_MODE
def test_a_retry_with_a_new_nonce_gets_the_same_reply(wechat, mode):
    xml = wechat.text_xml(ADMIN, "邀请")
    first, second = wechat.post_xml(xml, mode), wechat.post_xml(xml, mode)
    assert first.text.startswith("新的员工邀请码")
    assert first.body == second.body


def test_another_sender_with_the_same_msgid_gets_their_own_answer(wechat):
    msg_id = int(time.time() * 1000) * 1000 + 7
    invite = wechat.text(ADMIN, "邀请", msg_id=msg_id).text
    assert invite.startswith("新的员工邀请码")
    stranger = wechat.text(new_openid("stranger"), "帮助", msg_id=msg_id)
    assert stranger.text == texts.HELP  # never the admin's invite


def test_two_menu_clicks_in_the_same_second_are_both_answered(wechat):
    user, now = new_openid(), int(time.time())
    help_reply = wechat.event(user, "CLICK", key="HELP", create_time=now)
    latest = wechat.event(user, "CLICK", key="LATEST_CASES", create_time=now)
    assert help_reply.text == texts.HELP
    assert latest.text.startswith("最新案例")
    again = wechat.event(user, "CLICK", key="HELP", create_time=now)  # WeChat's retry of the first click
    assert again.body == help_reply.body


UTF16_DTD = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>'
TEXT_WITH_MSGID = (
    "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-x]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>"
    "<MsgId>{}</MsgId></xml>"
)
MALFORMED = [
    (b"<xml><ToUserName>oops", "text/xml"),
    (b"not xml at all", "text/xml"),
    (b"<root><MsgType>text</MsgType></root>", "text/xml"),
    (b"<xml><ToUserName><![CDATA[gh]]></ToUserName></xml>", "text/xml"),  # no MsgType/FromUserName
    (b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>', "text/xml"),
    (UTF16_DTD.encode("utf-16"), "text/xml"),  # with a BOM
    (UTF16_DTD.encode("utf-16-le"), "text/xml"),  # without one: every byte is also valid UTF-8
    (UTF16_DTD.encode("utf-16-be"), "text/xml"),
    (TEXT_WITH_MSGID.format("1").replace("hi", "你好").encode("gbk"), "text/xml"),  # not UTF-8
    # Declared Latin-1: an XML parser reads it, but it is not the UTF-8 that WeChat sends.
    (
        ('<?xml version="1.0" encoding="ISO-8859-1"?>' + TEXT_WITH_MSGID.format("1"))
        .replace("hi", "café")
        .encode("latin-1"),
        "text/xml",
    ),
    (TEXT_WITH_MSGID.format("12ab").encode(), "text/xml"),
    (TEXT_WITH_MSGID.format("-5").encode(), "text/xml"),
    (TEXT_WITH_MSGID.format("<n>1</n>").encode(), "text/xml"),
    (TEXT_WITH_MSGID.format("1").replace("1700000000", "soon").encode(), "text/xml"),
    (b"<xml><MsgType>text</MsgType></xml>", "application/json"),
    (b"<xml><MsgType>text</MsgType></xml>", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize("bot_env", [{"WECHAT_MESSAGE_MODE": "plain"}], ids=["plain"])
@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_malformed_plaintext_pushes_get_400(wechat, bot_env, body, content_type):
    reply = wechat.send(wechat.query(), body, content_type=content_type)
    assert (reply.status, reply.body) == (400, "bad request")


@pytest.mark.parametrize(("body", "content_type"), [m for m in MALFORMED if m[1] == "text/xml"])
def test_malformed_messages_inside_encrypt_get_400(wechat, body, content_type):
    # Only WeChat (or whoever holds the token and key) can send these, but they must not crash us either.
    encrypted = encrypt(body, wechat.encoding_aes_key, wechat.appid)
    outer = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    reply = wechat.send(wechat.query(encrypt_part=encrypted), outer.encode("utf-8"))
    assert (reply.status, reply.body) == (400, "bad request")


def test_encrypted_push_without_encrypt_element_is_refused(wechat):
    xml = wechat.text_xml(new_openid(), "品牌")
    args = wechat.query(encrypt_part="")
    assert wechat.post_xml(xml, "plain", args=args).status == 403


def test_oversized_body_is_413(wechat):
    xml = wechat.text_xml(new_openid(), "品" * 30_000)  # 90 KB of UTF-8
    reply = wechat.post_xml(xml)
    assert reply.status == 413
    assert "Traceback" not in reply.body


def test_unknown_paths_and_methods_are_plain_errors(wechat):
    assert wechat.client.get("/nope").status_code == 404
    res = wechat.client.put("/wechat")
    assert res.status_code == 405
    assert "Traceback" not in res.get_data(as_text=True)


def test_previous_aes_key_is_accepted_during_rotation(tmp_path, redis_url, sample_settings):
    from bot import create_app

    new_key = "NEWKEYabcdefghijklmnopqrstuvwxyz0123456789X"
    settings = make_bot_settings(
        tmp_path, redis_url, sample_settings.index_dir, WECHAT_AES_KEY=new_key, WECHAT_AES_KEY_PREVIOUS=OLD_AES_KEY
    )
    client = create_app(settings).test_client()
    with_old = WeChatServer(client, TOKEN, OLD_AES_KEY, settings.wechat_appid)
    with_new = WeChatServer(client, TOKEN, new_key, settings.wechat_appid)
    for server in (with_old, with_new):
        reply = server.event(new_openid(), "subscribe", mode="safe")
        assert reply.status == 200
        assert reply.text == WELCOME  # the reply opens with the key the request used


def test_success_reply_is_never_encrypted(wechat):
    reply = wechat.event(new_openid(), "VIEW", key="https://example.com", mode="safe")
    assert (reply.status, reply.body) == (200, "success")


def test_events_without_msgid_are_told_apart_by_event(wechat):
    user, now = new_openid(), int(time.time())
    subscribed = wechat.event(user, "subscribe", create_time=now)
    located = wechat.event(user, "LOCATION", create_time=now)
    assert subscribed.text == WELCOME
    assert located.success


def test_message_xml_helper_round_trip():
    xml = message_xml({"ToUserName": "a", "CreateTime": 1, "Content": "中文"})
    expected = "<xml><ToUserName><![CDATA[a]]></ToUserName><CreateTime>1</CreateTime>"
    assert xml == expected + "<Content><![CDATA[中文]]></Content></xml>"


# --- replays over the whole window, and with Redis down ----------------------------------------


@pytest.fixture
def private_bot(tmp_path, private_redis, sample_settings):
    """The WeChat side of a bot on a Redis of its own (to let time pass for it, or to stop it)."""
    from bot import create_app

    app = create_app(
        make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir, WECHAT_MESSAGE_MODE="plain")
    )
    yield WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    app.extensions["caselink"].close()


@pytest.mark.parametrize("mode", MODES)
def test_a_captured_request_replayed_a_minute_later_is_not_processed_again(private_bot, private_redis, mode):
    # The attack: an admin's 邀请 captured on the wire, sent again 64 s later — inside the 300 s
    # window, after the old 60 s de-duplication had forgotten it — minted a second invite.
    query, body = private_bot.prepare(private_bot.text_xml(ADMIN, "邀请"), mode, timestamp=int(time.time()) - 64)
    first = private_bot.send(query, body)
    assert first.text.startswith("新的员工邀请码")
    private_redis.advance(64)
    replayed = private_bot.send(query, body)
    assert replayed.body == first.body  # the same invite: answered from memory, not made again


def test_replays_are_refused_while_redis_is_down(private_bot, private_redis):
    private_redis.stop()
    captured = {**private_bot.query(), "echostr": "hello"}
    assert private_bot.client.get("/wechat", query_string=captured).get_data(as_text=True) == "hello"
    assert private_bot.client.get("/wechat", query_string=captured).status_code == 403
    del captured["echostr"]
    forged = private_bot.send(captured, private_bot.text_xml(ADMIN, "邀请 管理员").encode("utf-8"))
    assert forged.status == 403

    query, body = private_bot.prepare(private_bot.text_xml(new_openid(), "帮助"), "safe")
    first = private_bot.send(query, body)
    assert first.text == texts.HELP
    assert private_bot.send(query, body).body == first.body  # WeChat's retry
    other = private_bot.prepare(private_bot.text_xml(new_openid(), "品牌"), "safe", **_same(query))[1]
    assert private_bot.send(query, other).status == 403  # that nonce with another body


def _same(query: dict) -> dict:
    return {"timestamp": int(query["timestamp"]), "nonce": query["nonce"]}
