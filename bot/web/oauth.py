"""Who is looking at a results page: WeChat web authorisation (网页授权, scope ``snsapi_base``).

Official doc 网页授权: send the browser to ``open.weixin.qq.com/connect/oauth2/authorize`` (the
parameters in the documented order, ending in ``#wechat_redirect``); WeChat sends it back to
``redirect_uri?code=CODE&state=STATE`` without asking anything (snsapi_base); ``sns/oauth2/access_token``
turns the code (single use, valid 5 minutes) into the viewer's openid for this account. ``state``
may only hold ``[a-zA-Z0-9]`` and up to 128 bytes, so it is a timestamp plus a hex HMAC binding the
round trip to the page and to a nonce cookie of this browser. Only works inside WeChat, and the
page's domain must be listed under 网页授权域名 in the account settings.

A ``state`` is accepted once (``Store.once``; without Redis not at all): a URL with a code and
state copied from a browser's history or a log cannot be replayed. After a successful round trip
the viewer's openid is kept in a signed, short-lived cookie; the role is looked up again on every
view, so a revoked employee stops seeing internal content.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import quote, urljoin

import requests
from itsdangerous import BadData, URLSafeTimedSerializer

from config.settings import Settings

log = logging.getLogger(__name__)

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
VIEWER_COOKIE = "caselink_viewer"
NONCE_COOKIE = "caselink_oauth"
VIEWER_TTL = 2 * 3600  # seconds a verified viewer is trusted before WeChat is asked again
STATE_TTL = 600  # a round trip through WeChat takes seconds; codes live 5 minutes
VIEWER_SALT = "caselink.results-viewer"


class WebAuthError(Exception):
    """The round trip through WeChat did not yield an openid (bad state, API error, unreachable)."""


def possible(settings: Settings, user_agent: str) -> bool:
    """Whether web authorisation can work here: credentials set and the page open inside WeChat."""
    return bool(settings.wechat_appid and settings.wechat_secret) and "MicroMessenger" in (user_agent or "")


def authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    """The authorisation URL, parameters in the order the official doc shows (WeChat checks it)."""
    return (
        f"{AUTHORIZE_URL}?appid={settings.wechat_appid}&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={state}#wechat_redirect"
    )


def new_nonce() -> str:
    """A random value for the nonce cookie of one round trip."""
    return secrets.token_hex(16)


def make_state(settings: Settings, page: str, nonce: str, now: float | None = None) -> str:
    """``state`` for a round trip from ``page``: hex timestamp + HMAC over it, the page and the nonce."""
    stamp = f"{int(now if now is not None else time.time()):x}"
    return stamp + _mac(settings, stamp, page, nonce)


def check_state(settings: Settings, state: str, page: str, nonce: str) -> bool:
    """Whether ``state`` was made by us, for this page and browser, within the last 10 minutes."""
    if not (state.isascii() and state.isalnum() and 32 < len(state) <= 128):
        return False
    stamp, mac = state[:-32], state[-32:]
    try:
        age = time.time() - int(stamp, 16)
    except ValueError:
        return False
    if not nonce or not 0 <= age <= STATE_TTL:
        return False
    return hmac.compare_digest(mac, _mac(settings, stamp, page, nonce))


def _mac(settings: Settings, stamp: str, page: str, nonce: str) -> str:
    message = "\x00".join(("oauth-state", stamp, page, nonce)).encode("utf-8")
    return hmac.new(settings.secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def exchange_code(settings: Settings, code: str, timeout: float = 5.0) -> str:
    """The viewer's openid for ``code`` (``sns/oauth2/access_token``); raise WebAuthError."""
    url = urljoin(settings.wechat_api_base, "../sns/oauth2/access_token")
    params = {
        "appid": settings.wechat_appid,
        "secret": settings.wechat_secret,
        "code": code,
        "grant_type": "authorization_code",
    }
    try:
        res = requests.get(url, params=params, timeout=timeout)
        res.raise_for_status()
        data = res.json()
    except (requests.RequestException, ValueError) as exc:
        raise WebAuthError(f"sns/oauth2/access_token unreachable: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("errcode") or not data.get("openid"):
        errcode = data.get("errcode") if isinstance(data, dict) else None
        raise WebAuthError(f"sns/oauth2/access_token refused: errcode={errcode}")
    return str(data["openid"])


def viewer_cookie(settings: Settings, openid: str) -> str:
    """The signed cookie value naming a verified viewer."""
    return URLSafeTimedSerializer(settings.secret_key, salt=VIEWER_SALT).dumps({"o": openid})


def read_viewer(settings: Settings, value: str | None) -> str | None:
    """The openid in a viewer cookie, or None when it is absent, forged or older than VIEWER_TTL."""
    if not value:
        return None
    try:
        data = URLSafeTimedSerializer(settings.secret_key, salt=VIEWER_SALT).loads(value, max_age=VIEWER_TTL)
    except BadData:
        return None
    openid = data.get("o") if isinstance(data, dict) else None
    return openid if isinstance(openid, str) and openid else None
