"""The one WeChat API client, used by the indexer (published articles) and by the bot (pushes, menu).

Official doc 获取稳定版接口调用凭据: a plain ``token`` call invalidates the token every other holder
has, so tokens come from ``stable_token``, which hands out the same token while it is valid — an
indexer run never breaks the running bot's token. wechatpy 1.8.18 hard-codes api.weixin.qq.com for
the token call; here it follows ``API_BASE_URL`` (tests point it at a local stand-in). wechatpy's
``auto_retry`` re-fetches and retries without bound while WeChat keeps rejecting a token; this
client drops a rejected token and retries the call once. The bot's ``SharedTokenClient`` builds
on it to share the token between workers under a lock.
"""

from __future__ import annotations

import logging
import time

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential, invalid token, expired token


class WeChatAPIClient(WeChatClient):
    """A WeChatClient whose token comes from ``stable_token`` at ``api_base``; a rejected token is retried once."""

    def __init__(self, appid: str, secret: str, *, api_base: str = WeChatClient.API_BASE_URL, **kwargs):
        kwargs.setdefault("auto_retry", False)
        super().__init__(appid, secret, **kwargs)
        self.API_BASE_URL = api_base.rstrip("/") + "/"

    def request_stable_token(self) -> dict:
        """POST stable_token: the token other holders have while it is valid; raise on errors."""
        try:
            res = self._http.post(
                self.API_BASE_URL + "stable_token",
                json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                timeout=self.timeout,
            )
            res.raise_for_status()
            result = res.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatClientException(None, f"stable_token failed: {exc}", client=self) from exc
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        return result

    def fetch_access_token(self) -> dict:
        """Get the access token into this client's session."""
        result = self.request_stable_token()
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result

    def forget_access_token(self) -> None:
        """Drop the stored token, so that the next call fetches one."""
        self.session.delete(self.access_token_key)
        self.expires_at = None

    def close(self) -> None:
        """Close pooled HTTP connections (keep-alive sockets to the API)."""
        self._http.close()

    def _request(self, method, url_or_endpoint, **kwargs):
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS or self.auto_retry:
                raise
            # Rejected (expired early, or replaced elsewhere): fetch a fresh token and try once more.
            log.info("access_token 被拒（%s），重新获取后重试一次", exc.errcode)
            self.forget_access_token()
            kwargs.get("params", {}).pop("access_token", None)
            return super()._request(method, url_or_endpoint, **kwargs)
