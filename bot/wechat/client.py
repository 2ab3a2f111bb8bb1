"""A wechatpy client whose access token is shared by every worker and refreshed under a lock.

Official doc 获取 Access token: each plain ``token`` call invalidates the token other workers hold,
so we use ``stable_token`` (获取稳定版接口调用凭据, which hands out the same token while it is valid)
and refresh it under a Redis lock, re-reading the shared token once the lock is ours. wechatpy
1.8.18 hardcodes api.weixin.qq.com for the token call, so it is overridden here to honour
``WECHAT_API_BASE`` (tests point that at a local stand-in).
"""

from __future__ import annotations

import logging

from wechatpy.exceptions import WeChatClientException

from indexer.sources.wechat import TOKEN_ERRORS, WeChatAPIClient

log = logging.getLogger(__name__)

TOKEN_MARGIN = 300  # seconds before expiry at which the shared token is treated as expired


class SharedTokenClient(WeChatAPIClient):
    """WeChatClient with ``API_BASE_URL`` from settings and a lock-guarded, shared token refresh."""

    def __init__(self, appid: str, secret: str, *, api_base: str, session, lock, timeout: float = 5.0):
        # wechatpy's auto_retry re-fetches and retries without bound while WeChat rejects the token;
        # _request below retries once instead.
        super().__init__(appid, secret, api_base=api_base, session=session, timeout=timeout, auto_retry=False)
        self._lock = lock  # Store.lock: (name, timeout, wait) -> context manager yielding bool

    def _request(self, method, url_or_endpoint, **kwargs):
        try:
            return super()._request(method, url_or_endpoint, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            # The shared token was rejected (expired early, or replaced elsewhere): drop it for every
            # worker, fetch a fresh one and try this call once more.
            log.info("access_token 被拒（%s），重新获取后重试一次", exc.errcode)
            self.session.delete(self.access_token_key)
            kwargs.get("params", {}).pop("access_token", None)
            return super()._request(method, url_or_endpoint, **kwargs)

    def close(self) -> None:
        """Close pooled HTTP connections (keep-alive sockets to the API)."""
        self._http.close()

    def fetch_access_token(self):
        """Get a token into the shared storage, unless another worker just did."""
        before = self.session.get(self.access_token_key)
        with self._lock("wechat-token", timeout=15, wait=10):
            current = self.session.get(self.access_token_key)
            if current and current != before:
                return {"access_token": current}
            result = self.request_stable_token()
            ttl = max(60, int(result.get("expires_in", 7200)) - TOKEN_MARGIN)
            self.session.set(self.access_token_key, result["access_token"], ttl)
            log.info("已获取新的 access_token（%d 秒有效）", ttl)
            return result
