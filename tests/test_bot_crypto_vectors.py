"""The official and captured crypto vectors: our independent test client opens them, and the server
(wechatpy underneath) answers them with replies the independent client verifies."""

from __future__ import annotations

import json

import pytest

from tests.bot_fixtures import make_bot_settings
from tests.conftest import shared_path
from tests.wechat_client import WeChatServer, decrypt, encrypt, signature, xml_fields

ENCRYPTED = ("wechat-samples", "encrypted")


def vector(name: str) -> tuple[dict, dict]:
    folder = shared_path(*ENCRYPTED, name)
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    files = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix == ".xml"}
    return params, files


@pytest.mark.parametrize(
    ("name", "request_file", "expect"),
    [
        ("oa_official_sample", "request.xml", {"Content": "abcdteT", "MsgType": "text"}),
        ("oa_official_sample", "request_safe_mode_derived.xml", {"Content": "abcdteT"}),
        ("corp_official_sample", "request.xml", {"MsgType": "text"}),
        ("wechatpy_work_decrypt", "request.xml", {"Content": "test"}),
        ("oa_safe_mode_captured_godcong", "request.xml", {"Content": "你好啊你好啊你好啊"}),
    ],
)
def test_independent_client_opens_inbound_vectors(name, request_file, expect):
    params, files = vector(name)
    outer = xml_fields(files[request_file])
    assert signature(params["token"], params["timestamp"], params["nonce"], outer["Encrypt"]) == params["msg_signature"]
    xml, appid = decrypt(outer["Encrypt"], params["encoding_aes_key"])
    assert appid == params["appid"]
    fields = xml_fields(xml)
    for key, value in expect.items():
        assert fields[key] == value


def test_independent_client_reproduces_the_deterministic_reply_vector():
    params, files = vector("wechatpy_work_encrypt_reply")
    plain = files["reply_plain.xml"]
    expected = xml_fields(files["reply_encrypted_expected.xml"])
    enc = encrypt(plain, params["encoding_aes_key"], params["appid"], random16=params["random16"].encode())
    assert enc == expected["Encrypt"]
    assert signature(params["token"], params["timestamp"], params["nonce"], enc) == expected["MsgSignature"]


@pytest.mark.parametrize(
    ("name", "params_file"),
    [("reply_captured_unattributed", "params.json"), ("oa_safe_mode_captured_godcong", "reply_params.json")],
)
def test_independent_client_verifies_captured_replies(name, params_file):
    folder = shared_path(*ENCRYPTED, name)
    params = json.loads((folder / params_file).read_text(encoding="utf-8"))
    outer = xml_fields((folder / "reply_encrypted.xml").read_text(encoding="utf-8"))
    assert signature(params["token"], outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]) == outer["MsgSignature"]
    xml, appid = decrypt(outer["Encrypt"], params["encoding_aes_key"])
    assert appid == params["appid"]
    assert xml_fields(xml)["MsgType"] == "text"


@pytest.mark.parametrize(
    ("name", "request_file", "searched"),
    [
        ("oa_official_sample", "request.xml", "abcdteT"),  # compatible mode: plaintext fields + Encrypt
        ("oa_official_sample", "request_safe_mode_derived.xml", "abcdteT"),  # safe mode
        ("oa_safe_mode_captured_godcong", "request.xml", "你好啊"),
    ],
)
def test_server_answers_official_vectors_with_verifiable_replies(
    tmp_path, redis_url, sample_settings, name, request_file, searched
):
    from bot import create_app

    params, files = vector(name)
    settings = make_bot_settings(
        tmp_path,
        redis_url,
        sample_settings.index_dir,
        WECHAT_TOKEN=params["token"],
        WECHAT_AES_KEY=params["encoding_aes_key"],
        WECHAT_APPID=params["appid"],
    )
    # The vectors are years old: widen the replay window for them only (configuration, not a patch).
    settings = settings.with_overrides(replay_window=10**10)
    server = WeChatServer(
        create_app(settings).test_client(), params["token"], params["encoding_aes_key"], params["appid"]
    )
    args = {k: params[k] for k in ("timestamp", "nonce", "msg_signature")}
    args.update(encrypt_type="aes", signature=signature(params["token"], params["timestamp"], params["nonce"]))
    res = server.client.post("/wechat", query_string=args, data=files[request_file].encode(), content_type="text/xml")
    reply = server.open_reply(res.status_code, res.get_data(as_text=True), params["nonce"], encrypted=True)
    assert reply.status == 200
    assert reply.encrypted
    assert reply.fields["MsgType"] == "text"
    assert searched in reply.fields["Content"]
