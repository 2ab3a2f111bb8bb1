"""The webhook as WeChat drives it: every sample payload in every mode, forgeries, replays, limits."""

from __future__ import annotations

import json
import re
import time

import pytest

from bot import texts
from tests.bot_fixtures import OLD_AES_KEY, TOKEN, WELCOME, make_bot_settings, new_openid
from tests.conftest import shared_path
from tests.wechat_client import WeChatServer, encrypt, message_xml, signature

MODES = ["plain", "compat", "safe"]
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


@pytest.mark.parametrize("mode", MODES)
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


def test_url_verification_vectors(tmp_path, redis_url, sample_settings):
    from bot import create_app

    vectors = json.loads(shared_path("wechat-samples", "url_verify_signature_vectors.json").read_text())
    for vector in vectors:
        settings = make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, WECHAT_TOKEN=vector["token"])
        client = create_app(settings).test_client()
        args = {k: vector[k] for k in ("timestamp", "nonce", "signature")}
        args["echostr"] = vector.get("echostr", "echo-me")
        res = client.get("/wechat", query_string=args)
        if vector["expect_valid"]:
            assert (res.status_code, res.get_data(as_text=True)) == (200, args["echostr"]), vector["name"]
        else:
            assert res.status_code == 403, vector["name"]


def test_url_verification_with_our_token(wechat):
    res = wechat.verify(echostr="5837397520665436492")
    assert (res.status_code, res.get_data(as_text=True)) == (200, "5837397520665436492")
    forged = wechat.verify()
    forged_args = {"timestamp": "1", "nonce": "2", "signature": "0" * 40, "echostr": "x"}
    assert wechat.client.get("/wechat", query_string=forged_args).status_code == 403
    assert forged.status_code == 200


@pytest.mark.parametrize("mode", MODES)
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


@pytest.mark.parametrize("mode", MODES)
def test_stale_or_future_timestamps_are_replays(wechat, mode):
    for skew in (-400, 400):
        reply = wechat.text(new_openid(), "品牌", mode, timestamp=int(time.time()) + skew)
        assert reply.status == 403


@pytest.mark.parametrize("mode", MODES)
def test_a_used_nonce_cannot_carry_another_message(wechat, mode):
    user = new_openid()
    first = wechat.text(user, "品牌", mode, nonce="424242" + mode)
    assert first.status == 200
    again = wechat.text(user, "私域流量", mode, nonce="424242" + mode, timestamp=int(time.time()))
    assert again.status == 403


def test_a_retry_with_the_same_nonce_gets_the_same_reply(wechat):
    xml = wechat.text_xml(new_openid(), "品牌")
    args = wechat.query()
    first = wechat.post_xml(xml, args=args)
    second = wechat.post_xml(xml, args=args)
    assert first.status == second.status == 200
    assert first.body == second.body


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("<xml><ToUserName>oops", "text/xml", 400),
        ("not xml at all", "text/xml", 400),
        ("<root><MsgType>text</MsgType></root>", "text/xml", 400),
        ("<xml><ToUserName><![CDATA[gh]]></ToUserName></xml>", "text/xml", 400),  # no MsgType/FromUserName
        ('<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>', "text/xml", 400),
        ("<xml><MsgType>text</MsgType></xml>", "application/json", 400),
        ("<xml><MsgType>text</MsgType></xml>", "application/x-www-form-urlencoded", 400),
    ],
)
def test_malformed_requests_get_400(wechat, body, content_type, status):
    reply = wechat.post_xml(body, "plain", headers={"Content-Type": content_type})
    assert (reply.status, reply.body) == (status, "bad request")


def test_encrypted_mode_without_encrypt_element_is_400(wechat):
    xml = wechat.text_xml(new_openid(), "品牌")
    args = wechat.query(encrypt_part="")
    assert wechat.post_xml(xml, "plain", args=args).status == 400


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
